//! Exhibit: evidence capture, verification and analysis for the first hours
//! of a data-breach response.
//!
//! This crate is the core library. It has no GUI types anywhere outside
//! `gui` (built only with the `gui` feature); the CLI and the GUI are thin
//! callers of the same request/result functions:
//!
//! - [`capture`]: snapshot files into a hashed evidence archive;
//! - [`archive`]: the archive format (ZIP + BagIt), its records and a reader;
//! - [`verify`]: whole-archive verification;
//! - [`custody`]: the hash-chained, signed custody log;
//! - [`detect`]: the detections: file rules and detectors, log detections,
//!   one `Severity` scale;
//! - [`problem`]: the discrepancies verification and custody report;
//! - [`snapshot`], [`diff`], [`detect::files`], [`examine`]: open snapshots,
//!   compare them, judge the changes;
//! - [`logs`], [`timeline`]: log analysis and the merged timeline;
//! - [`leak`], [`investigate`]: is a published sample genuine, and the
//!   investigation's answers (how, when, what was taken, who, whose
//!   credentials to reset);
//! - [`remote`]: capture a server over SSH, its archive streamed back and
//!   sealed here;
//! - [`stack`]: which host differs: least-frequency-of-occurrence stacking
//!   of many hosts' snapshots;
//! - [`case`]: the case folder (case.json, its archives and their custody
//!   state), which the workstation opens;
//! - [`report`]: HTML reports and inert terminal text;
//! - [`text`]: evidence text made inert for terminals (every front end's
//!   output goes through it);
//! - [`platform`]: what differs between Linux, Windows and macOS, one
//!   module per concern;
//! - [`sysfiles`], [`tz`], [`job`]: shared parsers of Unix system files,
//!   time zones, progress, cancellation and the worker pool;
//! - [`viewmodel`]: what the workstation's screens show, without egui;
//! - `gui` (feature `gui`): the eframe workstation, a caller like the CLI.
//!
//! ARCHITECTURE.md at the repository root draws the direction of the
//! dependencies between these modules and the data's path through them.

pub mod archive;
pub mod capture;
pub mod case;
pub mod custody;
pub mod detect;
pub mod diff;
pub mod examine;
pub mod extract;
#[cfg(feature = "gui")]
pub mod gui;
pub mod investigate;
pub mod job;
pub mod leak;
pub mod logs;
pub mod platform;
pub mod problem;
pub mod remote;
pub mod report;
pub mod snapshot;
pub mod stack;
pub mod sysfiles;
pub mod text;
pub mod timeline;
pub mod tz;
pub mod verify;
pub mod viewmodel;
