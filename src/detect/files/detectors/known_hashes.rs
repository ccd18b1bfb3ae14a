//! Files whose content is in a user-supplied known-bad hash set.

use crate::detect::Severity;
use crate::detect::detector::{Baseline, Input, Needs};
use crate::detect::files::{Context, Finding};
use crate::detect::{Detector, FileSubject};

/// The rule id of a known-bad match (never suppressed by known-good sets).
pub const RULE_BAD: &str = "hashes.known_bad";

/// Flags every judged file whose SHA-256 is in a known-bad set.
pub struct KnownHashes;

impl<'a> Detector<Context<'a>, FileSubject> for KnownHashes {
    fn id(&self) -> &'static str {
        "hashes"
    }

    fn needs(&self) -> Needs {
        Needs {
            input: Input::Files,
            baseline: Baseline::Unused,
            reads: &["the known-bad hash sets given (--hash-set)"],
        }
    }

    fn describe(&self) -> &'static str {
        "Files whose content is in a known-bad hash set."
    }

    fn run(&self, ctx: &Context<'a>, _prior: &[Finding], out: &mut Vec<Finding>) {
        if ctx.hash_sets.bad.is_empty() {
            return;
        }
        for s in ctx.subjects() {
            let Some(h) = s.entry.sha256 else { continue };
            if let Some((set, listed)) = ctx.hash_sets.known_bad(&h) {
                let mut f = ctx.finding(
                    RULE_BAD,
                    Severity::Critical,
                    &s.entry.path,
                    "File matches a known-bad hash",
                    format!(
                        "The file's SHA-256 is listed in the known-bad hash set {set}: its content is exactly that of a known malicious file."
                    ),
                    vec![
                        format!("sha256 {}", hex::encode(h)),
                        format!("listed in {set} as {listed:?}"),
                    ],
                );
                f.subject.snapshot = s.snapshot.label.clone();
                f.subject.change = s.change.map(|c| c.change);
                out.push(f);
            }
        }
    }
}
