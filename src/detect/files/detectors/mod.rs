//! File detectors (`detect::files::detectors`): findings that need code, one
//! per file, registered in
//! [`registry`]. Adding one is a new file plus one line here.

pub mod accounts;
pub mod antiforensics;
pub mod capabilities;
pub mod dpkg;
pub mod known_hashes;
pub mod shell_escape;
pub mod timestamps;

use super::Context;
use crate::detect::{Detector, FileSubject};

/// A file detector: logic that cannot be expressed as a rule, the
/// detection layer's [`Detector`] over a snapshot and its changes. File
/// detectors do not read each other's findings (`prior` is empty).
pub type FileDetector = dyn for<'a> Detector<Context<'a>, FileSubject>;

/// Every detector, in the order they run.
pub fn registry() -> &'static [&'static FileDetector] {
    &[
        &accounts::Accounts,
        &antiforensics::AntiForensics,
        &capabilities::Capabilities,
        &dpkg::Dpkg,
        &known_hashes::KnownHashes,
        &shell_escape::ShellEscape,
        &timestamps::Timestamps,
    ]
}
