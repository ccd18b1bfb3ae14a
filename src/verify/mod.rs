//! Whole-archive verification: is this archive exactly what was sealed?
//!
//! [`verify`] checks, and reports each finding separately: the ZIP structure
//! (local against central headers, CRCs, overlaps, duplicates, hidden bytes,
//! names that escape the bag), every payload file against
//! `manifest-sha256.txt` and `files.jsonl`, Payload-Oxum, every tag file
//! against `tagmanifest-sha256.txt`, and the custody log beside the archive
//! (missing or unsigned, it fails the verification when `trust` is given).
//! Everything is streamed from the archive; nothing is extracted to disk.

use crate::archive::zipread::{self, ZipIndex};
use crate::archive::{self, FileRecord, bagit};
use crate::custody;
use crate::job::{CancelToken, Progress, ProgressSink};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// What to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyRequest {
    pub archive: PathBuf,
    /// OpenSSH `allowed_signers` file: signatures by these keys are trusted.
    pub trust: Option<PathBuf>,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
}

/// One discrepancy. `kind` is stable and machine-readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub kind: String,
    pub path: Option<String>,
    pub detail: String,
}

/// What was checked, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Checked {
    pub members: u64,
    pub payload_files: u64,
    pub payload_bytes: u64,
    pub tag_files: u64,
    pub records: u64,
    pub custody_events: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub archive: PathBuf,
    pub sha256: String,
    pub checked: Checked,
    pub problems: Vec<Problem>,
    /// The custody log checked, when one was found beside the archive.
    pub custody_log: Option<PathBuf>,
    /// Signature verdicts of the custody events (`valid`, `untrusted`...).
    pub signatures: Vec<custody::SignatureStatus>,
    /// Findings that do not fail the verification but must be seen
    /// (a signer who is not the event's actor).
    pub warnings: Vec<Problem>,
    /// What the custody check proves about the archive's origin.
    pub custody_assurance: custody::CustodyAssurance,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("cannot read archive: {0}: {1}")]
    Io(std::io::Error, PathBuf),
    #[error("verification cancelled")]
    Cancelled,
}

/// Largest tag file the verifier reads into memory (files.jsonl of ~4M entries).
const MAX_TAG_BYTES: u64 = 2 << 30;

fn problem(kind: &str, path: Option<&str>, detail: impl Into<String>) -> Problem {
    Problem {
        kind: kind.to_string(),
        path: path.map(str::to_string),
        detail: detail.into(),
    }
}

/// Result of streaming one member.
#[derive(Debug, Default, Clone)]
struct MemberCheck {
    sha256: String,
    error: Option<Problem>,
}

fn sha256_file(path: &Path, done: &AtomicU64, cancel: &CancelToken) -> std::io::Result<String> {
    let mut f = File::open(path)?;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if cancel.is_cancelled() {
            return Err(std::io::Error::other("cancelled"));
        }
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        done.fetch_add(n as u64 / 2, Ordering::Relaxed);
    }
    Ok(hex::encode(sha.finalize()))
}

fn check_member(
    file: &File,
    m: &zipread::Member,
    done: &AtomicU64,
    cancel: &CancelToken,
) -> MemberCheck {
    let mut out = MemberCheck::default();
    let mut reader = match zipread::member_reader(file, m) {
        Ok(r) => r,
        Err(e) => {
            out.error = Some(problem("unreadable_member", Some(&m.name), e.to_string()));
            return out;
        }
    };
    let mut sha = Sha256::new();
    let mut crc = crc32fast::Hasher::new();
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if cancel.is_cancelled() {
            return out;
        }
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                total += n as u64;
                if total > m.usize {
                    out.error = Some(problem(
                        "size_mismatch",
                        Some(&m.name),
                        format!("content is longer than the declared {} bytes", m.usize),
                    ));
                    return out;
                }
                sha.update(&buf[..n]);
                crc.update(&buf[..n]);
                let share = (n as u64 * m.csize).checked_div(m.usize).unwrap_or(0);
                done.fetch_add(share / 2, Ordering::Relaxed);
            }
            Err(e) => {
                out.error = Some(problem(
                    "corrupt_data",
                    Some(&m.name),
                    format!("cannot decompress: {e}"),
                ));
                return out;
            }
        }
    }
    out.sha256 = hex::encode(sha.finalize());
    let crc = crc.finalize();
    if total != m.usize {
        out.error = Some(problem(
            "size_mismatch",
            Some(&m.name),
            format!(
                "content is {total} bytes, the central directory says {}",
                m.usize
            ),
        ));
    } else if crc != m.crc {
        out.error = Some(problem(
            "crc_mismatch",
            Some(&m.name),
            format!(
                "content CRC-32 is {crc:08x}, the central directory says {:08x}",
                m.crc
            ),
        ));
    }
    out
}

/// Verify an archive (and its custody log, when present beside it).
pub fn verify(
    req: &VerifyRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<VerifyReport, VerifyError> {
    let path = &req.archive;
    let file = File::open(path).map_err(|e| VerifyError::Io(e, path.clone()))?;
    let file_size = file
        .metadata()
        .map_err(|e| VerifyError::Io(e, path.clone()))?
        .len();
    let mut report = VerifyReport {
        ok: false,
        archive: path.clone(),
        sha256: String::new(),
        checked: Checked::default(),
        problems: Vec::new(),
        custody_log: None,
        signatures: Vec::new(),
        warnings: Vec::new(),
        custody_assurance: custody::assurance(&custody::CustodyCheck::default(), false, false),
    };
    let done = AtomicU64::new(0);

    // The whole-file hash runs beside the member checks.
    let threads = if req.threads == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    } else {
        req.threads
    };
    let (whole_sha, structure) = std::thread::scope(|s| {
        let whole = s.spawn(|| sha256_file(path, &done, cancel));
        let structure = verify_structure(&file, file_size, threads, &done, progress, cancel);
        (whole.join(), structure)
    });
    if cancel.is_cancelled() {
        return Err(VerifyError::Cancelled);
    }
    report.sha256 = match whole_sha {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return Err(VerifyError::Io(e, path.clone())),
        Err(_) => {
            return Err(VerifyError::Io(
                std::io::Error::other("hash thread failed"),
                path.clone(),
            ));
        }
    };
    let (checked, problems) = structure;
    report.checked = checked;
    report.problems = problems;

    // Custody log beside the archive.
    let log = archive::custody_log_path(path);
    let c = custody::verify_beside_archive(&log, &report.sha256, req.trust.as_deref());
    report.checked.custody_events = c.check.events;
    report.problems.extend(c.check.problems);
    report.warnings = c.check.warnings;
    report.signatures = c.check.signatures;
    report.custody_log = c.found.then_some(log);
    report.custody_assurance = c.assurance;
    report.ok = report.problems.is_empty();
    progress.update(&Progress {
        phase: "verified",
        bytes_done: file_size,
        bytes_total: Some(file_size),
        warnings: report.problems.len() as u64,
        ..Progress::default()
    });
    Ok(report)
}

fn verify_structure(
    file: &File,
    file_size: u64,
    threads: usize,
    done: &AtomicU64,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> (Checked, Vec<Problem>) {
    let mut checked = Checked::default();
    let mut problems = Vec::new();
    let index = match ZipIndex::open(file) {
        Ok(i) => i,
        Err(e) => {
            problems.push(problem("not_a_zip", None, e.to_string()));
            return (checked, problems);
        }
    };
    for i in &index.issues {
        problems.push(problem(i.kind, i.member.as_deref(), i.detail.clone()));
    }
    checked.members = index.members.len() as u64;
    // The bag directory: the one holding bagit.txt.
    let stems: Vec<&str> = index
        .members
        .iter()
        .filter_map(|m| m.name.strip_suffix("/bagit.txt"))
        .filter(|s| !s.contains('/') && !s.is_empty())
        .collect();
    let stem = match stems.as_slice() {
        [one] => one.to_string(),
        [] => {
            problems.push(problem(
                "not_a_bag",
                None,
                "no <stem>/bagit.txt member: not a BagIt bag",
            ));
            return (checked, problems);
        }
        many => {
            problems.push(problem(
                "not_a_bag",
                None,
                format!("{} bag directories", many.len()),
            ));
            return (checked, problems);
        }
    };
    let prefix = format!("{stem}/");

    // Stream every member on all cores.
    let members: Vec<&zipread::Member> = index.members.iter().filter(|m| !m.is_dir()).collect();
    let results: Vec<Mutex<Option<MemberCheck>>> =
        members.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(m) = members.get(i) else { break };
                    if cancel.is_cancelled() {
                        break;
                    }
                    let r = check_member(file, m, done, cancel);
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(r);
                    }
                }
            });
        }
        loop {
            let finished = next.load(Ordering::Relaxed) >= members.len() + threads.max(1);
            progress.update(&Progress {
                phase: "verifying",
                files_done: next.load(Ordering::Relaxed).min(members.len()) as u64,
                files_total: Some(members.len() as u64),
                bytes_done: done.load(Ordering::Relaxed).min(file_size),
                bytes_total: Some(file_size),
                ..Progress::default()
            });
            if finished || cancel.is_cancelled() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    });
    let mut hashes: HashMap<&str, String> = HashMap::new();
    for (m, r) in members.iter().zip(results) {
        let r = r.into_inner().ok().flatten().unwrap_or_default();
        if let Some(p) = r.error {
            problems.push(p);
        } else {
            hashes.insert(m.name.as_str(), r.sha256);
        }
    }

    // Read a tag file that passed its CRC check.
    let read_tag = |rel: &str| -> Option<Vec<u8>> {
        let name = format!("{prefix}{rel}");
        let m = index.members.iter().find(|m| m.name == name)?;
        // Tag files are metadata: a multi-gigabyte one is hostile or broken.
        if m.usize > MAX_TAG_BYTES {
            return None;
        }
        let mut out = Vec::new();
        zipread::member_reader(file, m)
            .ok()?
            .take(m.usize)
            .read_to_end(&mut out)
            .ok()?;
        Some(out)
    };

    // bagit.txt
    match read_tag("bagit.txt") {
        Some(b) => {
            let text = String::from_utf8_lossy(&b);
            let fields = bagit::parse_bag_info(&text);
            let version = fields
                .iter()
                .find(|(k, _)| k == "BagIt-Version")
                .map(|(_, v)| v.as_str());
            let enc = fields
                .iter()
                .find(|(k, _)| k == "Tag-File-Character-Encoding")
                .map(|(_, v)| v.as_str());
            if version.is_none() || enc.map(|e| e.eq_ignore_ascii_case("UTF-8")) != Some(true) {
                problems.push(problem(
                    "bag_declaration",
                    Some(&format!("{prefix}bagit.txt")),
                    "bagit.txt lacks BagIt-Version or UTF-8 encoding",
                ));
            }
        }
        None => problems.push(problem(
            "missing_member",
            Some(&format!("{prefix}bagit.txt")),
            "bagit.txt is missing",
        )),
    }

    // Manifests.
    let parse = |rel: &str, problems: &mut Vec<Problem>| -> HashMap<String, (String, usize)> {
        let mut map = HashMap::new();
        let Some(raw) = read_tag(rel) else {
            problems.push(problem(
                "missing_member",
                Some(&format!("{prefix}{rel}")),
                format!("{rel} is missing"),
            ));
            return map;
        };
        let text = String::from_utf8_lossy(&raw);
        let (lines, bad) = bagit::parse_manifest(&text);
        for (n, l) in bad {
            problems.push(problem(
                "manifest_malformed",
                Some(&format!("{prefix}{rel}")),
                format!("line {n}: {l}"),
            ));
        }
        for l in lines {
            if map.insert(l.path.clone(), (l.hash, l.line_no)).is_some() {
                problems.push(problem(
                    "manifest_malformed",
                    Some(&format!("{prefix}{rel}")),
                    format!("line {}: `{}` listed twice", l.line_no, l.path),
                ));
            }
        }
        map
    };
    let manifest = parse(bagit::MANIFEST, &mut problems);
    let tagmanifest = parse(bagit::TAGMANIFEST, &mut problems);

    let mut payload_bytes = 0u64;
    let mut payload_count = 0u64;
    let mut seen_payload: HashSet<String> = HashSet::new();
    let mut seen_tags: HashSet<String> = HashSet::new();
    for m in &index.members {
        let Some(rel) = m.name.strip_prefix(&prefix) else {
            problems.push(problem(
                "outside_bag",
                Some(&m.name),
                format!("member is not inside the bag directory `{stem}/`"),
            ));
            continue;
        };
        if m.is_dir() {
            continue;
        }
        let actual = hashes.get(m.name.as_str());
        if rel.starts_with("data/") {
            payload_count += 1;
            payload_bytes += m.usize;
            seen_payload.insert(rel.to_string());
            match manifest.get(rel) {
                None => problems.push(problem(
                    "unlisted_member",
                    Some(&m.name),
                    "payload file not listed in manifest-sha256.txt",
                )),
                Some((want, line)) => {
                    if let Some(got) = actual
                        && got != want
                    {
                        problems.push(problem(
                            "manifest_mismatch",
                            Some(&m.name),
                            format!(
                                "SHA-256 is {got}, manifest-sha256.txt line {line} says {want}"
                            ),
                        ));
                    }
                }
            }
        } else if rel == bagit::TAGMANIFEST {
            checked.tag_files += 1;
        } else {
            checked.tag_files += 1;
            seen_tags.insert(rel.to_string());
            match tagmanifest.get(rel) {
                None => problems.push(problem(
                    "unlisted_member",
                    Some(&m.name),
                    "tag file not listed in tagmanifest-sha256.txt",
                )),
                Some((want, line)) => {
                    if let Some(got) = actual
                        && got != want
                    {
                        problems.push(problem(
                            "tag_mismatch",
                            Some(&m.name),
                            format!(
                                "SHA-256 is {got}, tagmanifest-sha256.txt line {line} says {want}"
                            ),
                        ));
                    }
                }
            }
        }
    }
    for (p, (_, line)) in &manifest {
        if !seen_payload.contains(p) {
            problems.push(problem(
                "missing_member",
                Some(&format!("{prefix}{p}")),
                format!("listed in manifest-sha256.txt line {line} but not in the archive"),
            ));
        }
    }
    for (p, (_, line)) in &tagmanifest {
        if !seen_tags.contains(p) {
            problems.push(problem(
                "missing_member",
                Some(&format!("{prefix}{p}")),
                format!("listed in tagmanifest-sha256.txt line {line} but not in the archive"),
            ));
        }
    }
    checked.payload_files = payload_count;
    checked.payload_bytes = payload_bytes;

    // Payload-Oxum.
    if let Some(info) = read_tag("bag-info.txt") {
        let fields = bagit::parse_bag_info(&String::from_utf8_lossy(&info));
        match fields.iter().find(|(k, _)| k == "Payload-Oxum") {
            Some((_, v)) => {
                let want = format!("{payload_bytes}.{payload_count}");
                if v.trim() != want {
                    problems.push(problem(
                        "oxum_mismatch",
                        Some(&format!("{prefix}bag-info.txt")),
                        format!("Payload-Oxum says {v}, the payload is {want}"),
                    ));
                }
            }
            None => problems.push(problem(
                "oxum_mismatch",
                Some(&format!("{prefix}bag-info.txt")),
                "no Payload-Oxum",
            )),
        }
    }

    // files.jsonl against the payload.
    if let Some(raw) = read_tag(archive::FILES_JSONL) {
        let mut referenced: HashSet<String> = HashSet::new();
        for (i, line) in raw.split(|&b| b == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            let r: FileRecord = match serde_json::from_slice(line) {
                Ok(r) => r,
                Err(e) => {
                    problems.push(problem(
                        "record_malformed",
                        Some(&format!("{prefix}{}", archive::FILES_JSONL)),
                        format!("line {}: {e}", i + 1),
                    ));
                    continue;
                }
            };
            checked.records += 1;
            let Some(member) = &r.member else {
                if r.status.has_content()
                    && r.kind == archive::EntryType::File
                    && r.hardlink_of.is_none()
                {
                    problems.push(problem(
                        "record_mismatch",
                        Some(&r.path),
                        "record says captured but names no member",
                    ));
                }
                continue;
            };
            referenced.insert(member.clone());
            let Some(rel) = member.strip_prefix(&prefix) else {
                problems.push(problem(
                    "record_mismatch",
                    Some(&r.path),
                    format!("member `{member}` is outside the bag"),
                ));
                continue;
            };
            match (manifest.get(rel), &r.sha256) {
                (None, _) => problems.push(problem(
                    "record_mismatch",
                    Some(&r.path),
                    format!("member `{member}` is not in the manifest"),
                )),
                (Some((want, _)), Some(have)) if want != have => problems.push(problem(
                    "record_mismatch",
                    Some(&r.path),
                    format!("files.jsonl says SHA-256 {have}, the manifest says {want}"),
                )),
                (Some(_), None) => problems.push(problem(
                    "record_mismatch",
                    Some(&r.path),
                    "record has a member but no SHA-256",
                )),
                _ => {}
            }
        }
        for p in &seen_payload {
            let name = format!("{prefix}{p}");
            if !referenced.contains(&name) {
                problems.push(problem(
                    "record_mismatch",
                    Some(&name),
                    "payload file has no record in files.jsonl",
                ));
            }
        }
    } else {
        problems.push(problem(
            "missing_member",
            Some(&format!("{prefix}{}", archive::FILES_JSONL)),
            "files.jsonl is missing",
        ));
    }
    (checked, problems)
}
