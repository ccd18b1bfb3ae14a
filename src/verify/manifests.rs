//! Every BagIt manifest in the bag, checked as bagit-python checks them.
//!
//! Exhibit writes `manifest-sha256.txt` and `tagmanifest-sha256.txt` only
//! (the verifier's main checks read those). A bag may carry more:
//! `manifest-md5.txt`, `tagmanifest-sha1.txt`… A validator such as
//! bagit-python checks each one, so a wrong line in any of them makes the
//! bag invalid for an auditor even when the SHA-256 manifests agree; here
//! every line of every other manifest is checked too, every payload file
//! must be in every payload manifest, and a manifest whose algorithm cannot
//! be checked is itself a problem. (Being a tag file, an extra manifest must
//! also be listed in `tagmanifest-sha256.txt`, like any other tag file.)

use super::{Problem, ProblemKind, problem};
use crate::archive::bagit::{self, Algorithm};
use crate::archive::zipread::MemberTable;
use std::collections::HashSet;

/// A manifest file found in the bag's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ManifestFile {
    /// A tag manifest (`tagmanifest-*.txt`).
    pub tag: bool,
    pub alg: Algorithm,
    /// Bag-relative name.
    pub rel: String,
}

/// The manifests in the bag's root; those of an algorithm that cannot be
/// checked become problems.
pub(super) fn present(
    t: &MemberTable,
    prefix: &str,
    problems: &mut Vec<Problem>,
) -> Vec<ManifestFile> {
    let mut out = Vec::new();
    for i in 0..t.len() {
        let name = t.name(i);
        let Some(rel) = name.strip_prefix(prefix) else {
            continue;
        };
        let Some((tag, alg)) = bagit::manifest_kind(rel) else {
            continue;
        };
        match Algorithm::from_name(alg) {
            Some(alg) => out.push(ManifestFile {
                tag,
                alg,
                rel: rel.to_string(),
            }),
            None => problems.push(problem(
                ProblemKind::ManifestUnsupported,
                Some(&name),
                format!("a manifest of algorithm `{alg}`, which Exhibit cannot check"),
            )),
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out.dedup();
    out
}

/// Check one manifest other than the SHA-256 pair. The payload is the
/// members under `<prefix>data/` (`t`), `tags` the bag-relative names of
/// the tag files; `digest` gives the digest with an algorithm of the
/// content under a full member name.
pub(super) fn check_other(
    mf: &ManifestFile,
    text: &str,
    prefix: &str,
    t: &MemberTable,
    tags: &HashSet<String>,
    digest: &dyn Fn(&str, Algorithm) -> Option<String>,
    problems: &mut Vec<Problem>,
) {
    let here = format!("{prefix}{}", mf.rel);
    let (lines, bad) = bagit::parse_manifest_of(text, mf.alg);
    for (n, l) in bad {
        problems.push(problem(
            ProblemKind::ManifestMalformed,
            Some(&here),
            format!("line {n}: {l}"),
        ));
    }
    let is_payload = |i: usize| {
        !t.is_dir(i)
            && t.name(i)
                .strip_prefix(prefix)
                .is_some_and(|rel| rel.starts_with("data/"))
    };
    let mut listed: HashSet<&str> = HashSet::new();
    for l in &lines {
        if !listed.insert(l.path.as_str()) {
            problems.push(problem(
                ProblemKind::ManifestMalformed,
                Some(&here),
                format!("line {}: `{}` listed twice", l.line_no, l.path),
            ));
            continue;
        }
        let name = format!("{prefix}{}", l.path);
        let in_pool = if mf.tag {
            tags.contains(&l.path)
        } else {
            t.find(&name).is_some_and(is_payload)
        };
        if !in_pool {
            problems.push(problem(
                ProblemKind::MissingMember,
                Some(&name),
                format!(
                    "listed in {} line {} but not in the archive",
                    mf.rel, l.line_no
                ),
            ));
            continue;
        }
        if let Some(got) = digest(&name, mf.alg)
            && got != l.hash
        {
            problems.push(problem(
                if mf.tag {
                    ProblemKind::TagMismatch
                } else {
                    ProblemKind::ManifestMismatch
                },
                Some(&name),
                format!(
                    "{} is {got}, {} line {} says {}",
                    mf.alg.name().to_uppercase(),
                    mf.rel,
                    l.line_no,
                    l.hash
                ),
            ));
        }
    }
    if !mf.tag {
        // Every payload file (each name once), in name order.
        for (i, name) in t.distinct_names() {
            if !is_payload(i) {
                continue;
            }
            let rel = name.strip_prefix(prefix).unwrap_or(&name);
            if !listed.contains(rel) {
                problems.push(problem(
                    ProblemKind::UnlistedMember,
                    Some(&name),
                    format!("payload file not listed in {}", mf.rel),
                ));
            }
        }
    }
}
