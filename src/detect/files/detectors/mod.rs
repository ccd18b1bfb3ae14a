//! File detectors (`detect::files::detectors`): findings that need code, one
//! per file, registered in
//! [`registry`]. Adding one is a new file plus one line here.

pub mod accounts;
pub mod antiforensics;
pub mod capabilities;
pub mod dpkg;
pub mod known_hashes;
pub mod timestamps;

use super::{Context, Finding};

/// A piece of detection logic that cannot be expressed as a rule.
pub trait Detector: Sync {
    /// A stable id, the prefix of the rule ids it emits.
    fn id(&self) -> &'static str;
    /// Add findings about the context to `out`.
    fn run(&self, ctx: &Context<'_>, out: &mut Vec<Finding>);
}

/// Every detector, in the order they run.
pub fn registry() -> &'static [&'static dyn Detector] {
    &[
        &accounts::Accounts,
        &antiforensics::AntiForensics,
        &capabilities::Capabilities,
        &dpkg::Dpkg,
        &known_hashes::KnownHashes,
        &timestamps::Timestamps,
    ]
}
