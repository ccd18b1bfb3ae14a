//! Whole-archive verification: is this archive exactly what was sealed?
//!
//! [`verify`] checks, and reports each finding separately: the ZIP structure
//! (local against central headers, CRCs, overlaps, duplicates, hidden bytes,
//! names that escape the bag), every payload file against
//! `manifest-sha256.txt` and `files.jsonl`, Payload-Oxum, every tag file
//! against `tagmanifest-sha256.txt`, every other manifest present, every
//! `files.jsonl` record against the member it describes, and the custody log
//! beside the archive (missing or unsigned, it fails the verification when
//! `trust` is given). Everything is streamed from the archive; nothing is
//! extracted to disk. Members whose bytes overlap another's are never
//! inflated (a "zip bomb" of many entries sharing one stream costs nothing).

mod digest;
mod manifests;
mod records;

use crate::archive::bagit::{self, Algorithm};
use crate::archive::zipread::{self, ZipIndex};
use crate::archive::{self, encrypt, regular};
use crate::custody;
use crate::job::{CancelToken, Progress, ProgressSink};
use digest::{Digests, MultiHasher};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// What to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyRequest {
    pub archive: PathBuf,
    /// OpenSSH `allowed_signers` file: signatures by these keys are trusted.
    pub trust: Option<PathBuf>,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
    /// Decrypts an encrypted archive (`.zip.age`) for the full check;
    /// without it only its ciphertext is checked against the custody log.
    pub identity: Option<crate::archive::encrypt::Identities>,
}

/// What was checked of an encrypted archive (`.zip.age`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EncryptionCheck {
    /// SHA-256 of the `.zip.age` file.
    pub ciphertext_sha256: String,
    /// SHA-256 of the decrypted ZIP, when an identity decrypted it.
    pub plaintext_sha256: Option<String>,
    /// True when the archive was decrypted and its content verified; false
    /// when only the ciphertext was checked (no identity given).
    pub contents_checked: bool,
}

pub use crate::problem::{Problem, ProblemKind};

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
    /// Set for an encrypted archive; `sha256` is then the ciphertext's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<EncryptionCheck>,
}

impl VerifyReport {
    /// An empty report about `path`: not ok, nothing checked yet.
    pub fn new(path: &std::path::Path) -> Self {
        new_report(path)
    }

    /// The `details` of a `verified` custody event recording this result:
    /// `result` (`intact`/`failed`), `observed_sha256`, `problems`,
    /// `problem_kinds` (sorted, distinct) and `tool`. Shared by the CLI's
    /// `verify --record` and the workstation, so both record the same facts.
    pub fn custody_details(&self, tool: &str) -> serde_json::Map<String, serde_json::Value> {
        let mut details = serde_json::Map::new();
        details.insert(
            "result".into(),
            (if self.ok { "intact" } else { "failed" }).into(),
        );
        details.insert("observed_sha256".into(), self.sha256.clone().into());
        details.insert("problems".into(), self.problems.len().into());
        let mut kinds: Vec<&str> = self.problems.iter().map(|p| p.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        if !kinds.is_empty() {
            details.insert("problem_kinds".into(), kinds.join(", ").into());
        }
        details.insert("tool".into(), tool.into());
        details
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("cannot read archive: {0}: {1}")]
    Io(std::io::Error, PathBuf),
    #[error(transparent)]
    Decrypt(crate::archive::encrypt::EncryptError),
    #[error("verification cancelled")]
    Cancelled,
}

/// Largest tag file the verifier reads into memory (files.jsonl of ~4M entries).
const MAX_TAG_BYTES: u64 = 2 << 30;

fn problem(kind: ProblemKind, path: Option<&str>, detail: impl Into<String>) -> Problem {
    Problem::new(kind, path, detail)
}

/// Result of streaming one member.
#[derive(Debug, Default, Clone)]
struct MemberCheck {
    /// The content's digests; `None` when it could not be read as declared.
    digests: Option<Digests>,
    problems: Vec<Problem>,
}

/// SHA-256 of the whole open archive, read positionally.
fn sha256_whole(
    file: &File,
    len: u64,
    done: &AtomicU64,
    cancel: &CancelToken,
) -> std::io::Result<String> {
    let mut r = zipread::RangeReader::new(file, 0, len);
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if cancel.is_cancelled() {
            return Err(std::io::Error::other("cancelled"));
        }
        let n = r.read(&mut buf)?;
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
    algs: &[Algorithm],
    done: &AtomicU64,
    cancel: &CancelToken,
) -> MemberCheck {
    let mut out = MemberCheck::default();
    let mut reader = match zipread::open_member(file, m) {
        Ok(r) => r,
        Err(e) => {
            out.problems.push(problem(
                ProblemKind::UnreadableMember,
                Some(&m.name),
                e.to_string(),
            ));
            return out;
        }
    };
    let mut hasher = MultiHasher::new(algs);
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
                    out.problems.push(problem(
                        ProblemKind::SizeMismatch,
                        Some(&m.name),
                        format!("content is longer than the declared {} bytes", m.usize),
                    ));
                    return out;
                }
                hasher.update(&buf[..n]);
                crc.update(&buf[..n]);
                let share = (n as u64)
                    .saturating_mul(m.csize)
                    .checked_div(m.usize)
                    .unwrap_or(0);
                done.fetch_add(share / 2, Ordering::Relaxed);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                out.problems.push(problem(
                    ProblemKind::CorruptData,
                    Some(&m.name),
                    format!("cannot decompress: {e}"),
                ));
                return out;
            }
        }
    }
    let crc = crc.finalize();
    if total != m.usize {
        out.problems.push(problem(
            ProblemKind::SizeMismatch,
            Some(&m.name),
            format!(
                "content is {total} bytes, the central directory says {}",
                m.usize
            ),
        ));
        return out;
    } else if crc != m.crc {
        out.problems.push(problem(
            ProblemKind::CrcMismatch,
            Some(&m.name),
            format!(
                "content CRC-32 is {crc:08x}, the central directory says {:08x}",
                m.crc
            ),
        ));
        return out;
    }
    let unread = reader.unread_compressed();
    if unread > 0 {
        out.problems.push(problem(
            ProblemKind::TrailingCompressedData,
            Some(&m.name),
            format!(
                "the deflate stream ends {unread} bytes before the member's compressed size: \
                 bytes no extractor reads and no hash covers"
            ),
        ));
    }
    out.digests = Some(hasher.finish());
    out
}

/// Verify an archive (and its custody log, when present beside it).
pub fn verify(
    req: &VerifyRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<VerifyReport, VerifyError> {
    let path = &req.archive;
    if encrypt::is_age_file(path) {
        return verify_encrypted(req, progress, cancel);
    }
    let file = regular::open_regular(path).map_err(|e| VerifyError::Io(e, path.clone()))?;
    let mut report = check_zip(req, &file, progress, cancel)?;
    check_custody(req, &mut report);
    Ok(report)
}

/// An empty report on `path`, before anything is checked.
fn new_report(path: &std::path::Path) -> VerifyReport {
    VerifyReport {
        ok: false,
        archive: path.to_path_buf(),
        sha256: String::new(),
        checked: Checked::default(),
        problems: Vec::new(),
        custody_log: None,
        signatures: Vec::new(),
        warnings: Vec::new(),
        custody_assurance: custody::assurance(&custody::CustodyCheck::default(), false, false),
        encryption: None,
    }
}

/// Check the ZIP in `file` (the archive, or an encrypted one decrypted):
/// its SHA-256 and structure, every member and manifest. No custody yet.
fn check_zip(
    req: &VerifyRequest,
    file: &File,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<VerifyReport, VerifyError> {
    let path = &req.archive;
    let file_size = file
        .metadata()
        .map_err(|e| VerifyError::Io(e, path.clone()))?
        .len();
    let mut report = new_report(path);
    let done = AtomicU64::new(0);

    let threads = if req.threads == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    } else {
        req.threads
    };
    let (whole_sha, structure) = std::thread::scope(|s| {
        let whole = s.spawn(|| sha256_whole(file, file_size, &done, cancel));
        let structure = verify_structure(file, threads, &done, progress, cancel);
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
    progress.update(&Progress {
        phase: "verified",
        bytes_done: file_size,
        bytes_total: Some(file_size),
        warnings: report.problems.len() as u64,
        ..Progress::default()
    });
    Ok(report)
}

/// Check the custody log beside the archive against `report.sha256` (the
/// archive file's hash: the ciphertext's for an encrypted one) and settle
/// the verdict.
fn check_custody(req: &VerifyRequest, report: &mut VerifyReport) {
    let log = archive::custody_log_path(&req.archive);
    let c = custody::verify_beside_archive(&log, &report.sha256, req.trust.as_deref());
    report.checked.custody_events = c.check.events;
    report.problems.extend(c.check.problems);
    report.warnings = c.check.warnings;
    report.signatures = c.check.signatures;
    // An encrypted archive decrypted here: its plaintext must be the ZIP
    // the `sealed` event hashed.
    if let Some(enc) = &report.encryption
        && let Some(plain) = &enc.plaintext_sha256
        && let Some(sealed) = c
            .check
            .log
            .iter()
            .find(|e| e.action == custody::Action::Sealed)
    {
        match custody::sealed_plaintext_sha256(sealed) {
            Some(want) if want == plain => {}
            Some(want) => report.problems.push(problem(
                ProblemKind::CustodyPlaintextMismatch,
                Some(&file_name(&req.archive)),
                format!("the decrypted archive's SHA-256 is {plain}, the sealed event says {want}"),
            )),
            None => report.problems.push(problem(
                ProblemKind::CustodyPlaintextMismatch,
                Some(&file_name(&req.archive)),
                "the sealed event records no plaintext_sha256 for this encrypted archive",
            )),
        }
    }
    report.custody_log = c.found.then_some(log);
    report.custody_assurance = c.assurance;
    report.ok = report.problems.is_empty();
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Unlock an encrypted archive for this process
/// ([`archive::unlocked::unlock`]) with `identities`, keeping the decrypted
/// copy only when it is the archive sealed: when a custody log is beside it
/// and its `sealed` event records a plaintext SHA-256 for this ciphertext,
/// the decrypted ZIP must have that SHA-256.
pub fn unlock(
    path: &std::path::Path,
    identities: encrypt::Identities,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<encrypt::Hashes, archive::unlocked::UnlockError> {
    let log = archive::custody_log_path(path);
    archive::unlocked::unlock(path, identities, progress, cancel, &|hashes| {
        if !log.exists() {
            return Ok(());
        }
        let check = custody::verify_for_archive(&log, &hashes.ciphertext_sha256, None);
        match check.sealed().and_then(custody::sealed_plaintext_sha256) {
            Some(sealed) if sealed != hashes.plaintext_sha256 => Err(format!(
                "the decrypted archive's SHA-256 {} is not the one its custody log sealed ({sealed}): {}",
                hashes.plaintext_sha256,
                path.display()
            )),
            _ => Ok(()),
        }
    })
}

/// Verify an encrypted archive (`.zip.age`). Its ciphertext is always
/// hashed and checked against the custody log (no key needed). With an
/// identity it is decrypted as a stream into an unnamed owner-only
/// temporary file ([`encrypt::decrypt_to_temp`]; the ZIP checks need random
/// access), both hashes are taken on the way, and the decrypted ZIP gets
/// the full verification; the temporary file vanishes when it is closed.
fn verify_encrypted(
    req: &VerifyRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<VerifyReport, VerifyError> {
    let path = &req.archive;
    let Some(ids) = &req.identity else {
        let mut report = ciphertext_report(path, cancel)?;
        check_custody(req, &mut report);
        return Ok(report);
    };
    progress.update(&Progress {
        phase: "decrypting",
        ..Progress::default()
    });
    match encrypt::decrypt_to_temp(path, ids) {
        Ok((file, hashes)) => {
            let mut report = check_zip(req, &file, progress, cancel)?;
            if report.sha256 != hashes.plaintext_sha256 {
                return Err(VerifyError::Io(
                    std::io::Error::other("the decrypted copy changed while it was checked"),
                    path.clone(),
                ));
            }
            report.sha256 = hashes.ciphertext_sha256.clone();
            report.encryption = Some(EncryptionCheck {
                ciphertext_sha256: hashes.ciphertext_sha256,
                plaintext_sha256: Some(hashes.plaintext_sha256),
                contents_checked: true,
            });
            check_custody(req, &mut report);
            Ok(report)
        }
        Err(encrypt::EncryptError::Corrupt(why, _)) => {
            let mut report = ciphertext_report(path, cancel)?;
            report.problems.push(problem(
                ProblemKind::DecryptionFailed,
                Some(&file_name(path)),
                format!("the ciphertext does not decrypt intact: {why}"),
            ));
            check_custody(req, &mut report);
            Ok(report)
        }
        Err(e) => Err(VerifyError::Decrypt(e)),
    }
}

/// A report on an encrypted archive's ciphertext alone: its SHA-256, and
/// its contents marked not checked (custody is checked by the caller).
fn ciphertext_report(
    path: &std::path::Path,
    cancel: &CancelToken,
) -> Result<VerifyReport, VerifyError> {
    let io = |e| VerifyError::Io(e, path.to_path_buf());
    let file = regular::open_regular(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let sha = sha256_whole(&file, len, &AtomicU64::new(0), cancel).map_err(io)?;
    let mut report = new_report(path);
    report.sha256 = sha.clone();
    report.encryption = Some(EncryptionCheck {
        ciphertext_sha256: sha,
        plaintext_sha256: None,
        contents_checked: false,
    });
    Ok(report)
}

enum TagError {
    /// No such member.
    Absent,
    /// Not read; the reason is a problem of its own unless already reported
    /// (an overlapping or corrupt member).
    Unread(Option<String>),
}

/// Read a tag file (bag-relative `rel`) whole.
fn read_tag(file: &File, index: &ZipIndex, prefix: &str, rel: &str) -> Result<Vec<u8>, TagError> {
    let name = format!("{prefix}{rel}");
    let m = index
        .members
        .iter()
        .find(|m| m.name == name)
        .ok_or(TagError::Absent)?;
    if m.overlaps {
        return Err(TagError::Unread(None));
    }
    // Tag files are metadata: a multi-gigabyte one is hostile or broken.
    if m.usize > MAX_TAG_BYTES {
        return Err(TagError::Unread(Some(format!(
            "a tag file of {} bytes, more than the {MAX_TAG_BYTES} the verifier reads",
            m.usize
        ))));
    }
    let mut out = Vec::new();
    zipread::open_member(file, m)
        .and_then(|r| r.take(m.usize).read_to_end(&mut out))
        .map_err(|_| TagError::Unread(None))?;
    Ok(out)
}

/// Stream every member that is not a directory and does not overlap
/// another on all cores: (member, its check) in member order.
fn stream_members<'a>(
    file: &File,
    index: &'a ZipIndex,
    algs: &[Algorithm],
    threads: usize,
    done: &AtomicU64,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Vec<(&'a zipread::Member, MemberCheck)> {
    let file_size = index.file_size;
    let members: Vec<&zipread::Member> = index
        .members
        .iter()
        .filter(|m| !m.is_dir() && !m.overlaps)
        .collect();
    let mut report = |started: usize| {
        progress.update(&Progress {
            phase: "verifying",
            files_done: started as u64,
            files_total: Some(members.len() as u64),
            bytes_done: done.load(Ordering::Relaxed).min(file_size),
            bytes_total: Some(file_size),
            ..Progress::default()
        })
    };
    let results = crate::job::par_map(
        &members,
        threads,
        cancel,
        |m| check_member(file, m, algs, done, cancel),
        Some((std::time::Duration::from_millis(100), &mut report)),
    );
    members
        .into_iter()
        .zip(results)
        .map(|(m, r)| (m, r.unwrap_or_default()))
        .collect()
}

/// The archive's structure, manifests and records, in the order the report
/// lists them. One function because each step uses the sets the previous
/// ones built (members by name, the manifest, the payload); the steps that
/// stand alone are in `manifests` and `records`.
fn verify_structure(
    file: &File,
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
            problems.push(problem(ProblemKind::NotAZip, None, e.to_string()));
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
                ProblemKind::NotABag,
                None,
                "no <stem>/bagit.txt member: not a BagIt bag",
            ));
            return (checked, problems);
        }
        many => {
            problems.push(problem(
                ProblemKind::NotABag,
                None,
                format!("{} bag directories", many.len()),
            ));
            return (checked, problems);
        }
    };
    let prefix = format!("{stem}/");

    // Every manifest present is checked, so hash with each algorithm used.
    let manifest_files = manifests::present(&index, &prefix, &mut problems);
    let mut algs = vec![Algorithm::Sha256];
    algs.extend(manifest_files.iter().map(|m| m.alg));

    let mut digests: HashMap<&str, Digests> = HashMap::new();
    for (m, r) in stream_members(file, &index, &algs, threads, done, progress, cancel) {
        problems.extend(r.problems);
        if let Some(d) = r.digests {
            digests.insert(m.name.as_str(), d);
        }
    }
    let read = |rel: &str, problems: &mut Vec<Problem>| -> Option<Vec<u8>> {
        match read_tag(file, &index, &prefix, rel) {
            Ok(b) => Some(b),
            Err(TagError::Absent) => {
                problems.push(problem(
                    ProblemKind::MissingMember,
                    Some(&format!("{prefix}{rel}")),
                    format!("{rel} is missing"),
                ));
                None
            }
            Err(TagError::Unread(why)) => {
                if let Some(why) = why {
                    problems.push(problem(
                        ProblemKind::UnreadableMember,
                        Some(&format!("{prefix}{rel}")),
                        why,
                    ));
                }
                None
            }
        }
    };

    // bagit.txt
    if let Some(b) = read("bagit.txt", &mut problems) {
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
                ProblemKind::BagDeclaration,
                Some(&format!("{prefix}bagit.txt")),
                "bagit.txt lacks BagIt-Version or UTF-8 encoding",
            ));
        }
    }

    // Manifests.
    let parse = |rel: &str, problems: &mut Vec<Problem>| -> HashMap<String, (String, usize)> {
        let mut map = HashMap::new();
        let Some(raw) = read(rel, problems) else {
            return map;
        };
        let text = String::from_utf8_lossy(&raw);
        let (lines, bad) = bagit::parse_manifest(&text);
        for (n, l) in bad {
            problems.push(problem(
                ProblemKind::ManifestMalformed,
                Some(&format!("{prefix}{rel}")),
                format!("line {n}: {l}"),
            ));
        }
        for l in lines {
            if map.insert(l.path.clone(), (l.hash, l.line_no)).is_some() {
                problems.push(problem(
                    ProblemKind::ManifestMalformed,
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
    let mut tag_files: HashSet<String> = HashSet::new();
    for m in &index.members {
        let Some(rel) = m.name.strip_prefix(&prefix) else {
            problems.push(problem(
                ProblemKind::OutsideBag,
                Some(&m.name),
                format!("member is not inside the bag directory `{stem}/`"),
            ));
            continue;
        };
        if m.is_dir() {
            problems.push(problem(
                ProblemKind::DirectoryMember,
                Some(&m.name),
                "a directory member (Exhibit stores none): extractors create a directory \
                 that is not in the payload",
            ));
            continue;
        }
        let actual = digests
            .get(m.name.as_str())
            .and_then(|d| d.get(Algorithm::Sha256));
        if rel.starts_with("data/") {
            payload_count += 1;
            payload_bytes += m.usize;
            seen_payload.insert(rel.to_string());
            match manifest.get(rel) {
                None => problems.push(problem(
                    ProblemKind::UnlistedMember,
                    Some(&m.name),
                    "payload file not listed in manifest-sha256.txt",
                )),
                Some((want, line)) => {
                    if let Some(got) = actual
                        && got != want
                    {
                        problems.push(problem(
                            ProblemKind::ManifestMismatch,
                            Some(&m.name),
                            format!(
                                "SHA-256 is {got}, manifest-sha256.txt line {line} says {want}"
                            ),
                        ));
                    }
                }
            }
            continue;
        }
        // Tag file names are fixed (bagit.txt, exhibit/files.jsonl…): a `\`
        // in one is a name Windows tools extract somewhere else.
        if rel.contains('\\') {
            problems.push(problem(
                ProblemKind::NoncanonicalName,
                Some(&m.name),
                format!(
                    "a tag file name with `\\`: Windows tools and 7-Zip extract it as `{}`",
                    rel.replace('\\', "/")
                ),
            ));
        }
        checked.tag_files += 1;
        tag_files.insert(rel.to_string());
        if rel == bagit::TAGMANIFEST {
            continue;
        }
        seen_tags.insert(rel.to_string());
        match tagmanifest.get(rel) {
            None => problems.push(problem(
                ProblemKind::UnlistedMember,
                Some(&m.name),
                "tag file not listed in tagmanifest-sha256.txt",
            )),
            Some((want, line)) => {
                if let Some(got) = actual
                    && got != want
                {
                    problems.push(problem(
                        ProblemKind::TagMismatch,
                        Some(&m.name),
                        format!("SHA-256 is {got}, tagmanifest-sha256.txt line {line} says {want}"),
                    ));
                }
            }
        }
    }
    for (p, (_, line)) in &manifest {
        if !seen_payload.contains(p) {
            problems.push(problem(
                ProblemKind::MissingMember,
                Some(&format!("{prefix}{p}")),
                format!("listed in manifest-sha256.txt line {line} but not in the archive"),
            ));
        }
    }
    for (p, (_, line)) in &tagmanifest {
        if !seen_tags.contains(p) {
            problems.push(problem(
                ProblemKind::MissingMember,
                Some(&format!("{prefix}{p}")),
                format!("listed in tagmanifest-sha256.txt line {line} but not in the archive"),
            ));
        }
    }
    checked.payload_files = payload_count;
    checked.payload_bytes = payload_bytes;

    // Every other manifest, line by line.
    for mf in &manifest_files {
        if mf.alg == Algorithm::Sha256 {
            continue;
        }
        if let Some(raw) = read(&mf.rel, &mut problems) {
            manifests::check_other(
                mf,
                &String::from_utf8_lossy(&raw),
                &prefix,
                &seen_payload,
                &tag_files,
                &digests,
                &mut problems,
            );
        }
    }

    // Payload-Oxum.
    if let Ok(info) = read_tag(file, &index, &prefix, "bag-info.txt") {
        let fields = bagit::parse_bag_info(&String::from_utf8_lossy(&info));
        match fields.iter().find(|(k, _)| k == "Payload-Oxum") {
            Some((_, v)) => {
                let want = format!("{payload_bytes}.{payload_count}");
                if v.trim() != want {
                    problems.push(problem(
                        ProblemKind::OxumMismatch,
                        Some(&format!("{prefix}bag-info.txt")),
                        format!("Payload-Oxum says {v}, the payload is {want}"),
                    ));
                }
            }
            None => problems.push(problem(
                ProblemKind::OxumMismatch,
                Some(&format!("{prefix}bag-info.txt")),
                "no Payload-Oxum",
            )),
        }
    }

    // files.jsonl against the payload.
    if let Some(raw) = read(archive::FILES_JSONL, &mut problems) {
        let mut members = HashMap::with_capacity(index.members.len());
        for m in &index.members {
            members.entry(m.name.as_str()).or_insert(m);
        }
        let ctx = records::Context {
            stem: &stem,
            prefix: &prefix,
            manifest: &manifest,
            members,
            payload: &seen_payload,
        };
        records::check(&raw, &ctx, &mut checked, &mut problems);
    }
    (checked, problems)
}
