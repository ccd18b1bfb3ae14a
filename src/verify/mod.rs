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
mod lines;
mod manifests;
mod records;

use crate::archive::bagit::{self, Algorithm};
use crate::archive::zipread::{self, CompactIndex, MemberTable};
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

/// Largest tag file the verifier reads into memory (`bagit.txt`,
/// `bag-info.txt`, manifests of other algorithms); the SHA-256 manifests
/// and `files.jsonl` are read as streams, whatever their size.
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
    buf: &mut [u8],
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
    loop {
        if cancel.is_cancelled() {
            return out;
        }
        match reader.read(buf) {
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

/// The member holding tag file `rel` (the first of its name).
fn tag_member(t: &MemberTable, prefix: &str, rel: &str) -> Result<usize, TagError> {
    let i = t.find(&format!("{prefix}{rel}")).ok_or(TagError::Absent)?;
    if t.overlaps(i) {
        return Err(TagError::Unread(None));
    }
    Ok(i)
}

/// Read a small tag file (bag-relative `rel`) whole.
fn read_tag(file: &File, t: &MemberTable, prefix: &str, rel: &str) -> Result<Vec<u8>, TagError> {
    let i = tag_member(t, prefix, rel)?;
    let m = t.member(i);
    // Tag files are metadata: a multi-gigabyte one is hostile or broken.
    if m.usize > MAX_TAG_BYTES {
        return Err(TagError::Unread(Some(format!(
            "a tag file of {} bytes, more than the {MAX_TAG_BYTES} the verifier reads",
            m.usize
        ))));
    }
    let mut out = Vec::new();
    zipread::open_member(file, &m)
        .and_then(|r| r.take(m.usize).read_to_end(&mut out))
        .map_err(|_| TagError::Unread(None))?;
    Ok(out)
}

/// A reader of tag file `rel` read as a stream, whatever its size (the
/// manifests and `files.jsonl` of millions of entries).
fn open_tag<'f>(
    file: &'f File,
    t: &MemberTable,
    prefix: &str,
    rel: &str,
) -> Result<impl Read + 'f, TagError> {
    let i = tag_member(t, prefix, rel)?;
    let m = t.member(i);
    let usize = m.usize;
    zipread::open_member(file, &m)
        .map(|r| r.take(usize))
        .map_err(|_| TagError::Unread(None))
}

/// What streaming the members found, by member number.
struct Streamed {
    /// SHA-256 of each member whose content was read as declared.
    sha256: Vec<Option<[u8; 32]>>,
    /// Every digest of those members, when other manifests need other
    /// algorithms than SHA-256.
    others: HashMap<usize, Digests>,
}

impl Streamed {
    /// The member whose digests a lookup by `name` finds: the last of that
    /// name that was read (a duplicated name is `duplicate_member`).
    fn read_as(&self, t: &MemberTable, name: &str) -> Option<usize> {
        t.named(name)
            .iter()
            .rev()
            .map(|&i| i as usize)
            .find(|&i| self.sha256[i].is_some())
    }

    /// The SHA-256 (hex) found under `name`.
    fn sha256_of(&self, t: &MemberTable, name: &str) -> Option<[u8; 32]> {
        self.read_as(t, name).and_then(|i| self.sha256[i])
    }

    /// The digest with `alg` (hex) found under `name`.
    fn digest_of(&self, t: &MemberTable, name: &str, alg: Algorithm) -> Option<String> {
        let i = self.read_as(t, name)?;
        match alg {
            Algorithm::Sha256 => self.sha256[i].map(hex::encode),
            other => self
                .others
                .get(&i)
                .and_then(|d| d.get(other))
                .map(str::to_string),
        }
    }
}

/// Stream every member that is not a directory and does not overlap
/// another on all cores. Memory: 33 bytes per member (and the other
/// digests when other manifests ask for them).
#[allow(clippy::too_many_arguments)]
fn stream_members(
    file: &File,
    t: &MemberTable,
    algs: &[Algorithm],
    threads: usize,
    done: &AtomicU64,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
    problems: &mut Vec<Problem>,
) -> Streamed {
    let file_size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let todo: Vec<u32> = (0..t.len())
        .filter(|&i| !t.is_dir(i) && !t.overlaps(i))
        .map(|i| i as u32)
        .collect();
    let chunks: Vec<&[u32]> = todo.chunks(64).collect();
    let other_algs = algs.iter().any(|&a| a != Algorithm::Sha256);
    let started = AtomicU64::new(0);
    let found = std::sync::Mutex::new((
        Streamed {
            sha256: vec![None; t.len()],
            others: HashMap::new(),
        },
        Vec::<(usize, Vec<Problem>)>::new(),
    ));
    let total = todo.len() as u64;
    let mut report = |_: usize| {
        progress.update(&Progress {
            phase: "verifying",
            files_done: started.load(Ordering::Relaxed).min(total),
            files_total: Some(total),
            bytes_done: done.load(Ordering::Relaxed).min(file_size),
            bytes_total: Some(file_size),
            ..Progress::default()
        })
    };
    crate::job::par_map(
        &chunks,
        threads,
        cancel,
        |chunk| {
            let mut local = Vec::with_capacity(chunk.len());
            let mut buf = vec![0u8; 1 << 20];
            for &i in chunk.iter() {
                started.fetch_add(1, Ordering::Relaxed);
                let m = t.member(i as usize);
                local.push((
                    i as usize,
                    check_member(file, &m, algs, done, cancel, &mut buf),
                ));
            }
            let Ok(mut f) = found.lock() else { return };
            let (streamed, problems) = &mut *f;
            for (i, c) in local {
                if let Some(d) = c.digests {
                    let mut sha = [0u8; 32];
                    if let Some(h) = d.get(Algorithm::Sha256)
                        && hex::decode_to_slice(h, &mut sha).is_ok()
                    {
                        streamed.sha256[i] = Some(sha);
                    }
                    if other_algs {
                        streamed.others.insert(i, d);
                    }
                }
                if !c.problems.is_empty() {
                    problems.push((i, c.problems));
                }
            }
        },
        Some((std::time::Duration::from_millis(100), &mut report)),
    );
    let (streamed, mut found) = found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    found.sort_by_key(|(i, _)| *i);
    problems.extend(found.into_iter().flat_map(|(_, p)| p));
    streamed
}

/// A SHA-256 manifest (`manifest-sha256.txt` or `tagmanifest-sha256.txt`)
/// read against the members: what verify needs of it without keeping its
/// lines.
#[derive(Default)]
struct Listing {
    /// By member number (the first member of a name): the line listing it,
    /// 0 when none.
    line: Vec<u32>,
    /// Hashes listed that are not the SHA-256 read under that name.
    hash: HashMap<usize, String>,
    /// Paths listed that are no member's: path -> (hash, line).
    absent: HashMap<String, (String, usize)>,
}

impl Listing {
    /// The line listing member `first` (the first of its name).
    fn line_of(&self, first: usize) -> Option<usize> {
        self.line
            .get(first)
            .copied()
            .filter(|&l| l != 0)
            .map(|l| l as usize)
    }

    /// The (hash, line) listed for bag-relative `rel`, as a map of the
    /// manifest's lines would answer.
    fn get(
        &self,
        t: &MemberTable,
        streamed: &Streamed,
        prefix: &str,
        rel: &str,
    ) -> Option<(String, usize)> {
        let name = format!("{prefix}{rel}");
        match t.find(&name) {
            Some(first) => {
                let line = self.line_of(first)?;
                let hash = match self.hash.get(&first) {
                    Some(h) => h.clone(),
                    None => hex::encode(streamed.sha256_of(t, &name)?),
                };
                Some((hash, line))
            }
            None => self.absent.get(rel).cloned(),
        }
    }
}

/// The longest manifest or `files.jsonl` line read (a longer one is
/// reported and skipped).
const MAX_LINE: usize = 16 << 20;

/// Read the SHA-256 manifest `rel` as a stream; its problems (malformed
/// lines, then paths listed twice) go to `problems`. A manifest that cannot
/// be read is empty.
fn read_listing(
    file: &File,
    t: &MemberTable,
    streamed: &Streamed,
    prefix: &str,
    rel: &str,
    problems: &mut Vec<Problem>,
) -> Listing {
    let here = format!("{prefix}{rel}");
    let r = match open_tag(file, t, prefix, rel) {
        Ok(r) => r,
        Err(e) => {
            tag_problem(e, &here, rel, problems);
            return Listing::default();
        }
    };
    let mut l = Listing {
        line: vec![0; t.len()],
        ..Listing::default()
    };
    let mut malformed = Vec::new();
    let mut twice = Vec::new();
    let mut lines = lines::Lines::new(r, MAX_LINE);
    loop {
        let (n, line) = match lines.next() {
            Ok(Some(x)) => x,
            Ok(None) => break,
            // Cut off or corrupt: not read at all.
            Err(_) => return Listing::default(),
        };
        let text = match line {
            lines::Line::Text(t) => String::from_utf8_lossy(t),
            lines::Line::TooLong => {
                malformed.push(problem(
                    ProblemKind::ManifestMalformed,
                    Some(&here),
                    format!("line {n}: longer than {MAX_LINE} bytes"),
                ));
                continue;
            }
        };
        let ml = match bagit::parse_manifest_line(&text, n, Algorithm::Sha256) {
            Ok(Some(ml)) => ml,
            Ok(None) => continue,
            Err((n, bad)) => {
                malformed.push(problem(
                    ProblemKind::ManifestMalformed,
                    Some(&here),
                    format!("line {n}: {bad}"),
                ));
                continue;
            }
        };
        let name = format!("{prefix}{}", ml.path);
        let listed_twice = match t.find(&name) {
            Some(first) => {
                let twice = l.line[first] != 0;
                l.line[first] = u32::try_from(ml.line_no).unwrap_or(u32::MAX);
                let mut want = [0u8; 32];
                let same = hex::decode_to_slice(&ml.hash, &mut want).is_ok()
                    && streamed.sha256_of(t, &name) == Some(want);
                if same {
                    l.hash.remove(&first);
                } else {
                    l.hash.insert(first, ml.hash);
                }
                twice
            }
            None => l
                .absent
                .insert(ml.path.clone(), (ml.hash, ml.line_no))
                .is_some(),
        };
        if listed_twice {
            twice.push(problem(
                ProblemKind::ManifestMalformed,
                Some(&here),
                format!("line {}: `{}` listed twice", ml.line_no, ml.path),
            ));
        }
    }
    problems.extend(malformed);
    problems.extend(twice);
    l
}

/// The problem of a tag file that could not be read, if it is one.
fn tag_problem(e: TagError, member: &str, rel: &str, problems: &mut Vec<Problem>) {
    match e {
        TagError::Absent => problems.push(problem(
            ProblemKind::MissingMember,
            Some(member),
            format!("{rel} is missing"),
        )),
        TagError::Unread(Some(why)) => {
            problems.push(problem(ProblemKind::UnreadableMember, Some(member), why))
        }
        TagError::Unread(None) => {}
    }
}

/// What a member is in the bag: `data/…` payload, a tag file, or neither
/// (outside the bag, a directory).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Payload,
    Tag,
    Other,
}

fn role(t: &MemberTable, prefix: &str, i: usize) -> Role {
    let name = t.name(i);
    match name.strip_prefix(prefix) {
        Some(_) if t.is_dir(i) => Role::Other,
        Some(rel) if rel.starts_with("data/") => Role::Payload,
        Some(_) => Role::Tag,
        None => Role::Other,
    }
}

/// The archive's structure, manifests and records, in the order the report
/// lists them. One function because each step uses what the previous ones
/// found (members by name, the manifest, the payload); the steps that
/// stand alone are in `manifests` and `records`. Memory: the members'
/// compact table and about 45 bytes per member; manifests and
/// `files.jsonl` are read as streams.
fn verify_structure(
    file: &File,
    threads: usize,
    done: &AtomicU64,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> (Checked, Vec<Problem>) {
    let mut checked = Checked::default();
    let mut problems = Vec::new();
    let index = match CompactIndex::open(file) {
        Ok(i) => i,
        Err(e) => {
            problems.push(problem(ProblemKind::NotAZip, None, e.to_string()));
            return (checked, problems);
        }
    };
    for i in &index.issues {
        problems.push(problem(i.kind, i.member.as_deref(), i.detail.clone()));
    }
    let t = &index.members;
    checked.members = t.len() as u64;
    // The bag directory: the one holding bagit.txt.
    let mut stems: Vec<String> = (0..t.len())
        .filter_map(|i| {
            t.name(i)
                .strip_suffix("/bagit.txt")
                .filter(|s| !s.contains('/') && !s.is_empty())
                .map(str::to_string)
        })
        .collect();
    let stem = match stems.len() {
        1 => stems.remove(0),
        0 => {
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
                format!("{many} bag directories"),
            ));
            return (checked, problems);
        }
    };
    let prefix = format!("{stem}/");

    // Every manifest present is checked, so hash with each algorithm used.
    let manifest_files = manifests::present(t, &prefix, &mut problems);
    let mut algs = vec![Algorithm::Sha256];
    algs.extend(manifest_files.iter().map(|m| m.alg));

    let streamed = stream_members(
        file,
        t,
        &algs,
        threads,
        done,
        progress,
        cancel,
        &mut problems,
    );
    let read = |rel: &str, problems: &mut Vec<Problem>| -> Option<Vec<u8>> {
        match read_tag(file, t, &prefix, rel) {
            Ok(b) => Some(b),
            Err(e) => {
                tag_problem(e, &format!("{prefix}{rel}"), rel, problems);
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
    let manifest = read_listing(file, t, &streamed, &prefix, bagit::MANIFEST, &mut problems);
    let tagmanifest = read_listing(
        file,
        t,
        &streamed,
        &prefix,
        bagit::TAGMANIFEST,
        &mut problems,
    );

    let mut payload_bytes = 0u64;
    let mut payload_count = 0u64;
    let mut tag_files: HashSet<String> = HashSet::new();
    for i in 0..t.len() {
        let name = t.name(i);
        let Some(rel) = name.strip_prefix(&prefix) else {
            problems.push(problem(
                ProblemKind::OutsideBag,
                Some(&name),
                format!("member is not inside the bag directory `{stem}/`"),
            ));
            continue;
        };
        if t.is_dir(i) {
            problems.push(problem(
                ProblemKind::DirectoryMember,
                Some(&name),
                "a directory member (Exhibit stores none): extractors create a directory \
                 that is not in the payload",
            ));
            continue;
        }
        let first = t.find(&name).unwrap_or(i);
        let actual = streamed.sha256_of(t, &name).map(hex::encode);
        if rel.starts_with("data/") {
            payload_count += 1;
            payload_bytes += t.usize(i);
            match manifest.line_of(first) {
                None => problems.push(problem(
                    ProblemKind::UnlistedMember,
                    Some(&name),
                    "payload file not listed in manifest-sha256.txt",
                )),
                Some(line) => {
                    if let (Some(got), Some(want)) = (&actual, manifest.hash.get(&first))
                        && got != want
                    {
                        problems.push(problem(
                            ProblemKind::ManifestMismatch,
                            Some(&name),
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
                Some(&name),
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
        match tagmanifest.line_of(first) {
            None => problems.push(problem(
                ProblemKind::UnlistedMember,
                Some(&name),
                "tag file not listed in tagmanifest-sha256.txt",
            )),
            Some(line) => {
                if let (Some(got), Some(want)) = (&actual, tagmanifest.hash.get(&first))
                    && got != want
                {
                    problems.push(problem(
                        ProblemKind::TagMismatch,
                        Some(&name),
                        format!("SHA-256 is {got}, tagmanifest-sha256.txt line {line} says {want}"),
                    ));
                }
            }
        }
    }
    // Listed but not there, in line order.
    for (listing, file_name, wanted) in [
        (&manifest, bagit::MANIFEST, Role::Payload),
        (&tagmanifest, bagit::TAGMANIFEST, Role::Tag),
    ] {
        let mut missing: Vec<(usize, String)> = listing
            .absent
            .iter()
            .map(|(p, (_, line))| (*line, format!("{prefix}{p}")))
            .collect();
        for (first, &line) in listing.line.iter().enumerate() {
            if line == 0 {
                continue;
            }
            // The tag manifest does not list itself.
            let there = role(t, &prefix, first) == wanted
                && (wanted == Role::Payload
                    || t.name(first) != format!("{prefix}{}", bagit::TAGMANIFEST));
            if !there {
                missing.push((line as usize, t.name(first).into_owned()));
            }
        }
        missing.sort();
        for (line, name) in missing {
            problems.push(problem(
                ProblemKind::MissingMember,
                Some(&name),
                format!("listed in {file_name} line {line} but not in the archive"),
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
                t,
                &tag_files,
                &|name: &str, alg| streamed.digest_of(t, name, alg),
                &mut problems,
            );
        }
    }

    // Payload-Oxum.
    if let Ok(info) = read_tag(file, t, &prefix, "bag-info.txt") {
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

    // files.jsonl against the payload, streamed (twice when hard links or
    // members claimed twice need a second look).
    let ctx = records::Context {
        stem: &stem,
        prefix: &prefix,
        members: t,
        manifest: &|rel: &str| manifest.get(t, &streamed, &prefix, rel),
        is_payload: &|i: usize| role(t, &prefix, i) == Role::Payload,
    };
    match open_tag(file, t, &prefix, archive::FILES_JSONL) {
        Ok(_) => {
            let open = || open_tag(file, t, &prefix, archive::FILES_JSONL).ok();
            if let Some((records, found)) = records::check(&open, &ctx) {
                checked.records = records;
                problems.extend(found);
            }
        }
        Err(e) => tag_problem(
            e,
            &format!("{prefix}{}", archive::FILES_JSONL),
            archive::FILES_JSONL,
            &mut problems,
        ),
    }
    (checked, problems)
}
