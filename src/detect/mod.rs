//! The detection layer: what every detection shares. Today that is the one
//! [`Severity`] scale; the file findings live in `crate::findings` (rules
//! and detectors judging snapshots and their changes) and the log findings
//! in `crate::logs::detect` (detections over the event store).

pub mod severity;

pub use severity::Severity;
