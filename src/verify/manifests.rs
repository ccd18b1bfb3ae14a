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

use super::digest::Digests;
use super::{Problem, ProblemKind, problem};
use crate::archive::bagit::{self, Algorithm};
use crate::archive::zipread::ZipIndex;
use std::collections::{HashMap, HashSet};

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
    index: &ZipIndex,
    prefix: &str,
    problems: &mut Vec<Problem>,
) -> Vec<ManifestFile> {
    let mut out = Vec::new();
    for m in &index.members {
        let Some(rel) = m.name.strip_prefix(prefix) else {
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
                Some(&m.name),
                format!("a manifest of algorithm `{alg}`, which Exhibit cannot check"),
            )),
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out.dedup();
    out
}

/// Check one manifest other than the SHA-256 pair. `payload` and `tags` are
/// the bag-relative names of the payload and tag files; `digests` are by
/// full member name.
pub(super) fn check_other(
    mf: &ManifestFile,
    text: &str,
    prefix: &str,
    payload: &HashSet<String>,
    tags: &HashSet<String>,
    digests: &HashMap<&str, Digests>,
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
    let pool = if mf.tag { tags } else { payload };
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
        if !pool.contains(&l.path) {
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
        let got = digests.get(name.as_str()).and_then(|d| d.get(mf.alg));
        if let Some(got) = got
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
        let mut unlisted: Vec<&String> = payload
            .iter()
            .filter(|p| !listed.contains(p.as_str()))
            .collect();
        unlisted.sort();
        for p in unlisted {
            problems.push(problem(
                ProblemKind::UnlistedMember,
                Some(&format!("{prefix}{p}")),
                format!("payload file not listed in {}", mf.rel),
            ));
        }
    }
}
