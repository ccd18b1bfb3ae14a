//! The one [`Detector`] notion of the detection layer (`detect::detector`):
//! a piece of detection logic with a stable id that judges some evidence
//! and adds [`Finding`]s about it. File detectors
//! (`detect::files::detectors`) judge a snapshot, its baseline and changes
//! (`detect::files::Context`) and find files; log detections
//! (`detect::logs::DETECTIONS`) judge the event store (`detect::logs::Ctx`)
//! and find events.

use crate::detect::Finding;

/// Detection logic over evidence `C` whose findings have subject `S`.
pub trait Detector<C: ?Sized, S>: Sync {
    /// A stable id: the prefix of the rule ids a file detector emits, the
    /// name of a log detection.
    fn id(&self) -> &'static str;
    /// Add findings about `ctx` to `out`. `prior` holds the findings of
    /// detectors run before this one that it reads (the log pivot reads
    /// the web detections'); it is empty for the others.
    fn run(&self, ctx: &C, prior: &[Finding<S>], out: &mut Vec<Finding<S>>);
}
