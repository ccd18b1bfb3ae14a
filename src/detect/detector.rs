//! The one [`Detector`] notion of the detection layer (`detect::detector`):
//! a piece of detection logic with a stable id that judges some evidence
//! and adds [`Finding`]s about it. File detectors
//! (`detect::files::detectors`) judge a snapshot, its baseline and changes
//! (`detect::files::Context`) and find files; log detections
//! (`detect::logs::DETECTIONS`) judge the event store (`detect::logs::Ctx`)
//! and find events.

use crate::detect::Finding;
use serde::Serialize;

/// What a detector judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    /// The files of a snapshot (and, on a diff, its baseline and changes).
    Files,
    /// The events of the logs read.
    Events,
}

/// Whether a detector needs a baseline snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Baseline {
    /// Runs only on a diff: it judges changes.
    Required,
    /// Runs on one snapshot, and finds more with a baseline.
    Optional,
    /// A baseline changes nothing.
    Unused,
}

/// What a detector declares it needs: the input, a baseline, and the
/// evidence it reads, in words an examiner can act on ("capture
/// /etc/passwd", "add the web server's access logs"). The catalog
/// (`exhibit detections`) lists it, and an investigation names the
/// detectors whose evidence was missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Needs {
    pub input: Input,
    pub baseline: Baseline,
    pub reads: &'static [&'static str],
}

/// Detection logic over evidence `C` whose findings have subject `S`.
pub trait Detector<C: ?Sized, S>: Sync {
    /// A stable id: the prefix of the rule ids a file detector emits, the
    /// name of a log detection.
    fn id(&self) -> &'static str;
    /// What it judges and reads.
    fn needs(&self) -> Needs;
    /// What it finds, in one sentence.
    fn describe(&self) -> &'static str;
    /// Add findings about `ctx` to `out`. `prior` holds the findings of
    /// detectors run before this one that it reads (the log pivot reads
    /// the web detections'); it is empty for the others.
    fn run(&self, ctx: &C, prior: &[Finding<S>], out: &mut Vec<Finding<S>>);
}
