//! The detection layer: everything that judges evidence and reports
//! findings: one [`Finding`] type on the one [`Severity`] scale.
//!
//! - [`files`]: rules as data (`assets/rules/*.toml`) and detectors (one
//!   file each in `files/detectors/`) judging a snapshot's changes
//!   ([`files::on_diff`]) or one snapshot ([`files::scan`]);
//! - [`logs`]: detections over the event store of [`crate::logs`] (one file
//!   each, registered in [`logs::DETECTIONS`]), thresholds in
//!   [`logs::DetectConfig`], pattern lists in [`logs::rules`];
//! - [`detector`]: the one [`Detector`] trait file detectors and log
//!   detections implement, each declaring what it needs
//!   ([`detector::Needs`]: files or events, a baseline, what it reads);
//! - [`catalog`]: the one list of everything that raises findings (file
//!   rules, file detectors, log detections), as `exhibit detections`
//!   prints it;
//! - [`finding`]: the one [`Finding`], whose subject is files
//!   ([`FileSubject`]) or events ([`EventSubject`]);
//! - [`severity`]: the one [`Severity`];
//! - [`ruleset`]: the one loader of rule files (built in and `--rules DIR`)
//!   for both kinds;
//! - [`yara`]: YARA rules (`--yara`, yara-x behind the `yara` feature)
//!   over every captured file's content, as file findings.
//! - [`ioc`]: the examiner's indicator lists (`--ioc FILE`) matched against
//!   a snapshot's files ([`ioc::files`]) and the log events
//!   ([`ioc::logs`]), as findings of both kinds.
//!
//! This layer sits above what it judges: `files` uses `diff` and `snapshot`,
//! `logs` uses `crate::logs`; neither of those imports `detect`.

pub mod catalog;
pub mod detector;
pub mod files;
pub mod finding;
pub mod ioc;
pub mod logs;
pub mod ruleset;
pub mod severity;
pub mod yara;

pub use detector::Detector;
pub use finding::{EventSubject, FileSubject, Finding, Subject};
pub use severity::Severity;
