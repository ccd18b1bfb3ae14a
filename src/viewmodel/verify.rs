//! The verdict the Verify screen shows for a [`VerifyReport`]: a headline
//! that says *what* failed (the custody log, the archive against its sealed
//! hash, or the archive's contents), the sentence under it, and how the
//! SHA-256 is labelled (it is only "verified" when the archive is intact).

use crate::problem::ProblemKind;
use crate::verify::VerifyReport;

/// How the verdict is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictTone {
    Good,
    Warn,
    Bad,
}

/// What the screen says about a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub tone: VerdictTone,
    pub headline: String,
    pub sub: String,
    /// The label of the SHA-256 shown under the verdict.
    pub hash_label: &'static str,
}

fn is_custody(k: ProblemKind) -> bool {
    k.as_str().starts_with("custody_")
}

/// The verdict of `rep`.
pub fn verdict(rep: &VerifyReport) -> Verdict {
    let n = rep.problems.len();
    let more = |shown: usize| match n.saturating_sub(shown) {
        0 => String::new(),
        1 => " One more problem is listed below.".to_string(),
        m => format!(" {m} more problems are listed below."),
    };
    let ciphertext_only = rep.encryption.as_ref().is_some_and(|e| !e.contents_checked);
    if rep.ok && ciphertext_only {
        return Verdict {
            tone: VerdictTone::Warn,
            headline: "CIPHERTEXT INTACT".into(),
            sub: "The encrypted file and its custody chain are what was sealed; its contents \
                  were not checked. Open the archive to unlock it with its identity, then \
                  verify again to check every file."
                .into(),
            hash_label: "Verified SHA-256 (of the encrypted file)",
        };
    }
    if rep.ok {
        return Verdict {
            tone: VerdictTone::Good,
            headline: "INTACT".into(),
            sub: "The archive is exactly what was sealed: every check passed.".into(),
            hash_label: "Verified SHA-256",
        };
    }
    let hash_label = "SHA-256 (computed now)";
    // The archive is not the one sealed: said first, whatever else failed.
    if let Some(p) = rep
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::CustodyArchiveMismatch)
    {
        return Verdict {
            tone: VerdictTone::Bad,
            headline: "ARCHIVE DOES NOT MATCH ITS SEALED HASH".into(),
            sub: format!("{}.{}", p.detail, more(1)),
            hash_label,
        };
    }
    if n > 0 && rep.problems.iter().all(|p| is_custody(p.kind)) {
        let first = &rep.problems[0];
        return Verdict {
            tone: VerdictTone::Bad,
            headline: "CUSTODY LOG FAILED".into(),
            sub: format!(
                "The archive matches its sealed hash and manifests, but its custody log does \
                 not hold: {}.{}",
                first.detail,
                more(1)
            ),
            hash_label,
        };
    }
    Verdict {
        tone: VerdictTone::Bad,
        headline: format!("{n} PROBLEM{}", if n == 1 { "" } else { "S" }),
        sub: "The archive's contents do not match what was sealed. Every discrepancy is \
              listed below."
            .into(),
        hash_label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Problem;
    use std::path::Path;

    fn report(kinds: &[(ProblemKind, &str)]) -> VerifyReport {
        let mut r = VerifyReport::new(Path::new("a.zip"));
        r.problems = kinds
            .iter()
            .map(|(k, d)| Problem::new(*k, None, *d))
            .collect();
        r.ok = r.problems.is_empty();
        r
    }

    #[test]
    fn the_headline_names_what_failed() {
        let ok = verdict(&report(&[]));
        assert_eq!(
            (ok.tone, ok.headline.as_str(), ok.hash_label),
            (VerdictTone::Good, "INTACT", "Verified SHA-256")
        );
        let edited = verdict(&report(&[(
            ProblemKind::CustodyChainBroken,
            "event 3: prev does not match the SHA-256 of line 2",
        )]));
        assert_eq!(edited.headline, "CUSTODY LOG FAILED");
        assert!(edited.sub.contains("event 3"), "{}", edited.sub);
        assert_eq!(edited.hash_label, "SHA-256 (computed now)");
        let swapped = verdict(&report(&[
            (ProblemKind::CustodyChainBroken, "event 2: …"),
            (
                ProblemKind::CustodyArchiveMismatch,
                "event 2 sealed the archive with SHA-256 aa, but the archive's SHA-256 is bb",
            ),
        ]));
        assert_eq!(swapped.headline, "ARCHIVE DOES NOT MATCH ITS SEALED HASH");
        assert!(swapped.sub.contains("One more problem"), "{}", swapped.sub);
        let content = verdict(&report(&[
            (ProblemKind::ManifestMismatch, "x"),
            (ProblemKind::CustodyUnsigned, "y"),
        ]));
        assert_eq!(content.headline, "2 PROBLEMS");
        assert_eq!(content.tone, VerdictTone::Bad);
    }
}
