//! Chain of custody: the append-only, hash-chained custody log beside each
//! archive (`<stem>.custody.jsonl`), OpenSSH signatures, and the printable
//! chain-of-custody form.
//!
//! Each line of the log is one [`Event`] (see [`event`] for the exact bytes).
//! `prev` links every line to the one before by SHA-256, so an edited,
//! removed or reordered event breaks the chain; a signature (SSHSIG,
//! namespace `exhibit-custody`) binds an event to its author's key, so
//! nobody can rewrite the chain without the keys. Appending takes a lock,
//! re-checks the chain, and replaces the log atomically with the old bytes
//! plus one line (written and fsynced under a temporary name, then renamed),
//! so a crash leaves either the old or the new log, never a torn line.
//!
//! The functions here are what the CLI and the GUI call: [`record_acquisition`],
//! [`append_event`], [`load_log`], [`check_log`] (and its lenient mode
//! [`read_lenient`], which also returns every line for display) and
//! [`verify_for_archive`]. The printable form is rendered by
//! [`crate::report::custody_form`].

pub mod allowed_signers;
pub mod chain;
pub mod event;
pub mod signer;

pub use allowed_signers::AllowedSigners;
pub use chain::{CheckOptions, LenientLog, LogLine, check_log, read_lenient};
pub use event::{Action, ArchiveRef, Event};
pub use signer::{KeyFile, NAMESPACE, NewKey, Signer, generate_key};

use crate::archive::acquisition::Acquisition;
use crate::problem::ProblemKind;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The largest custody log Exhibit reads (a log is a few KiB per event).
pub const MAX_LOG_BYTES: u64 = 64 << 20;

/// Who performed a custody action.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// Why a custody operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CustodyError {
    #[error("cannot write custody log: {0}: {1}")]
    Io(std::io::Error, PathBuf),
    #[error("cannot read {0}: {1}")]
    Read(std::io::Error, PathBuf),
    #[error("refusing to append: the custody chain is already broken ({0}): {1}")]
    Broken(String, PathBuf),
    #[error("a custody log already exists: {0}")]
    Exists(PathBuf),
    #[error("no custody log beside the archive: {0}")]
    Missing(PathBuf),
    #[error("the archive does not match its sealed SHA-256 ({0}): {1}")]
    ArchiveMismatch(String, PathBuf),
    #[error("cannot use signing key ({0}): {1}")]
    Key(String, PathBuf),
    #[error("ssh-agent: {0}")]
    Agent(String),
    #[error("cannot sign: {0}")]
    Sign(String),
    #[error("invalid custody event: {0}")]
    Invalid(String),
}

/// What capture knows when it seals an archive.
#[derive(Debug)]
pub struct AcquisitionEvents<'a> {
    pub archive_path: &'a Path,
    pub archive_sha256: &'a str,
    pub archive_size: u64,
    /// SHA-256 of the exact bytes of `exhibit/acquisition.json`.
    pub acquisition_sha256: &'a str,
    pub actor: Actor,
    pub location: Option<String>,
    pub case_id: String,
    pub evidence_id: String,
    pub purpose: Option<String>,
    pub signer: Option<&'a Signer>,
    /// The acquisition record, whose key fields the `acquired` event repeats.
    pub acquisition: Option<&'a Acquisition>,
    /// More details both the `acquired` and the `sealed` event carry (a
    /// remote capture's server identity).
    pub extra_details: Map<String, Value>,
    /// An encrypted archive (`.zip.age`): `archive_sha256` and
    /// `archive_size` are then the ciphertext's; the `sealed` event also
    /// records these.
    pub encryption: Option<Encryption<'a>>,
}

/// What the `sealed` event of an encrypted archive records.
#[derive(Debug)]
pub struct Encryption<'a> {
    pub hashes: &'a crate::archive::encrypt::Hashes,
    /// The recipients, as age or OpenSSH public key strings.
    pub recipients: Vec<String>,
}

/// The plaintext SHA-256 a `sealed` event records for an encrypted archive
/// (`details.plaintext_sha256`), if it is one.
pub fn sealed_plaintext_sha256(sealed: &Event) -> Option<&str> {
    sealed
        .details
        .get("plaintext_sha256")
        .and_then(|v| v.as_str())
}

/// A custody event's signature verdict, for reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignatureStatus {
    pub seq: u64,
    /// `valid`, `untrusted`, `invalid` or `unsigned`.
    pub status: String,
    /// The trusted principals (`valid`) or the key fingerprint (`untrusted`).
    pub signer: Option<String>,
}

/// The custody part of a verification.
#[derive(Debug, Clone, Default)]
pub struct CustodyCheck {
    /// Lines in the log.
    pub events: u64,
    pub problems: Vec<crate::problem::Problem>,
    /// Findings an auditor must see that do not fail the check: a trusted
    /// signature whose principals do not name the event's actor
    /// (`custody_signer_not_actor`).
    pub warnings: Vec<crate::problem::Problem>,
    pub signatures: Vec<SignatureStatus>,
    /// The events that could be read, in log order.
    pub log: Vec<Event>,
    /// SHA-256 of the last line: write it down (the form prints it) to pin
    /// the chain's length, since removing whole events from the end leaves
    /// a consistent chain.
    pub head: Option<String>,
}

impl CustodyCheck {
    /// The SHA-256 recorded by the `sealed` event, if any.
    pub fn sealed(&self) -> Option<&Event> {
        self.log.iter().find(|e| e.action == Action::Sealed)
    }
}

/// An event to append; `seq`, `prev`, the time and the archive reference are
/// filled in by [`append_event`].
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub action: Option<Action>,
    pub actor: Actor,
    pub location: Option<String>,
    pub purpose: Option<String>,
    /// Action-specific details (see [`transfer_details`], [`note_details`]).
    pub details: Map<String, Value>,
    /// The archive's file name; default: the one in the log.
    pub archive_file: Option<String>,
    /// The archive's SHA-256 as the actor observed it; must equal the sealed
    /// one. `None` repeats the sealed hash without a new observation.
    pub archive_sha256: Option<String>,
}

/// Details of a `transferred` or `received` event. Empty values are left out.
pub fn transfer_details(
    from: Option<&str>,
    to: Option<&str>,
    medium: Option<&str>,
    note: Option<&str>,
) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in [
        ("from", from),
        ("to", to),
        ("medium", medium),
        ("note", note),
    ] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            m.insert(k.into(), Value::String(v.into()));
        }
    }
    m
}

/// Details holding only a free-text note.
pub fn note_details(note: &str) -> Map<String, Value> {
    transfer_details(None, None, None, Some(note))
}

fn now_utc() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CustodyError + '_ {
    move |e| CustodyError::Io(e, path.to_path_buf())
}

/// SHA-256 (hex) of a whole regular file, streamed (a FIFO or device is
/// refused without blocking).
pub fn hash_file(path: &Path) -> Result<String, CustodyError> {
    let read_err = |e| CustodyError::Read(e, path.to_path_buf());
    let mut f = crate::archive::regular::open_regular(path).map_err(read_err)?;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(read_err)?;
        if n == 0 {
            break;
        }
        sha.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hex::encode(sha.finalize()))
}

/// Read a log's bytes (bounded by [`MAX_LOG_BYTES`]; a FIFO, device or
/// directory is refused without blocking).
pub fn read_log_bytes(path: &Path) -> Result<Vec<u8>, CustodyError> {
    crate::archive::regular::read_regular(path, MAX_LOG_BYTES).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CustodyError::Missing(path.to_path_buf()),
        std::io::ErrorKind::InvalidData => CustodyError::Invalid(format!(
            "the log is larger than {MAX_LOG_BYTES} bytes: {}",
            path.display()
        )),
        _ => CustodyError::Read(e, path.to_path_buf()),
    })
}

/// Read every event of a log; fails on any line that cannot be read (use
/// [`check_log`] to see a damaged log line by line).
pub fn load_log(path: &Path) -> Result<Vec<Event>, CustodyError> {
    let bytes = read_log_bytes(path)?;
    let c = check_log(&bytes, &CheckOptions::default());
    if let Some(p) = c.problems.iter().find(|p| {
        matches!(
            p.kind,
            ProblemKind::CustodyParse | ProblemKind::CustodyTruncated
        )
    }) {
        return Err(CustodyError::Broken(p.detail.clone(), path.to_path_buf()));
    }
    Ok(c.log)
}

/// The chain defects that forbid appending (signatures are not checked
/// here: a receiver without the sender's key may still append).
fn chain_defect(c: &CustodyCheck) -> Option<String> {
    c.problems
        .iter()
        .find(|p| {
            !matches!(
                p.kind,
                ProblemKind::CustodySignatureInvalid | ProblemKind::CustodySignatureUntrusted
            )
        })
        .map(|p| p.detail.clone())
}

/// Hold an exclusive lock on the log's directory while reading and
/// replacing the log (released when dropped).
struct DirLock(#[allow(dead_code)] crate::platform::files::DirLock);

fn lock_dir(log: &Path) -> Result<DirLock, CustodyError> {
    let dir = log
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let lock = crate::platform::files::lock_dir(dir).map_err(io_err(dir))?;
    Ok(DirLock(lock))
}

/// Replace `log` with `bytes`: write a temporary file beside it, fsync,
/// rename, fsync the directory. A crash leaves the old log or the new one.
fn replace_log(log: &Path, bytes: &[u8]) -> Result<(), CustodyError> {
    let dir = log
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = log
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    // We hold the lock: a file by this name is a leftover of a crashed run
    // whose process id was reused, never another writer's.
    let _ = std::fs::remove_file(&tmp);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        if let Ok(meta) = std::fs::metadata(log) {
            f.set_permissions(meta.permissions())?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, log)?;
        crate::platform::files::sync_dir(dir)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CustodyError::Io(e, log.to_path_buf())
    })
}

/// Build the next line of a chain: fills `seq`, `prev`, signs when asked.
fn make_event(
    prev_line: Option<&[u8]>,
    seq: u64,
    at: String,
    action: Action,
    new: &NewEvent,
    archive: ArchiveRef,
    signer: Option<&Signer>,
) -> Result<Event, CustodyError> {
    let mut e = Event {
        seq,
        at,
        action,
        actor: new.actor.clone(),
        location: new.location.clone(),
        purpose: new.purpose.clone(),
        archive,
        details: new.details.clone(),
        prev: prev_line.map(event::line_hash),
        signature: None,
    };
    if e.actor.name.trim().is_empty() {
        return Err(CustodyError::Invalid("the actor's name is empty".into()));
    }
    if let Some(s) = signer {
        e.signature = Some(s.sign(e.unsigned_line().as_bytes())?);
    }
    Ok(e)
}

/// Append one event to an existing custody log and return it. Refuses when
/// the chain is already broken (saying why) or when `new.archive_sha256`
/// differs from the sealed hash.
pub fn append_event(
    log_path: &Path,
    new: &NewEvent,
    signer: Option<&Signer>,
) -> Result<Event, CustodyError> {
    let action = new
        .action
        .ok_or_else(|| CustodyError::Invalid("no action given".into()))?;
    if matches!(action, Action::Acquired | Action::Sealed) {
        return Err(CustodyError::Invalid(format!(
            "{action} events are written by capture only"
        )));
    }
    let _lock = lock_dir(log_path)?;
    let bytes = read_log_bytes(log_path)?;
    let c = check_log(&bytes, &CheckOptions::default());
    if let Some(why) = chain_defect(&c) {
        return Err(CustodyError::Broken(why, log_path.to_path_buf()));
    }
    let sealed = c
        .sealed()
        .ok_or_else(|| CustodyError::Broken("no sealed event".into(), log_path.to_path_buf()))?;
    if let Some(seen) = &new.archive_sha256
        && seen != &sealed.archive.sha256
    {
        return Err(CustodyError::ArchiveMismatch(
            format!("now {seen}, sealed {}", sealed.archive.sha256),
            log_path.to_path_buf(),
        ));
    }
    let archive = ArchiveRef {
        file: new
            .archive_file
            .clone()
            .unwrap_or_else(|| sealed.archive.file.clone()),
        sha256: sealed.archive.sha256.clone(),
    };
    let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    let last_line = body.rsplit(|&b| b == b'\n').next();
    let e = make_event(
        last_line,
        c.events + 1,
        now_utc(),
        action,
        new,
        archive,
        signer,
    )?;
    let mut out = bytes.clone();
    out.extend_from_slice(e.line().as_bytes());
    out.push(b'\n');
    replace_log(log_path, &out)?;
    Ok(e)
}

/// The `details` of the `acquired` event: the key fields of
/// `exhibit/acquisition.json` and that file's SHA-256.
fn acquired_details(ev: &AcquisitionEvents<'_>) -> Map<String, Value> {
    let mut d = Map::new();
    d.insert(
        "acquisition_json_sha256".into(),
        json!(ev.acquisition_sha256),
    );
    d.insert("case_id".into(), json!(ev.case_id));
    d.insert("evidence_id".into(), json!(ev.evidence_id));
    if let Some(a) = ev.acquisition {
        d.insert("examiner".into(), json!(a.examiner));
        d.insert("source_host".into(), json!(a.host));
        d.insert(
            "tool".into(),
            json!(format!("{} {}", a.method.tool, a.method.tool_version)),
        );
        d.insert(
            "command_line".into(),
            match &a.method.command_line {
                Some(c) => json!(c),
                None => json!(a.method.interface.to_uppercase()),
            },
        );
        d.insert("profiles".into(), json!(a.method.profiles));
        d.insert("sources".into(), json!(a.method.sources));
        if let Some(r) = &a.method.root {
            d.insert("root".into(), json!(r));
        }
        d.insert("started_at".into(), json!(a.started_at));
        d.insert("finished_at".into(), json!(a.finished_at));
        d.insert("counts".into(), json!(a.counts));
        d.insert("errors".into(), json!(a.errors.len()));
    }
    d.extend(ev.extra_details.clone());
    d
}

/// Start the custody log of a freshly sealed archive with its `acquired`
/// and `sealed` events (signed when a signer is given). Returns the log's
/// path. Refuses to overwrite an existing log.
pub fn record_acquisition(ev: &AcquisitionEvents<'_>) -> Result<PathBuf, CustodyError> {
    let log = crate::archive::custody_log_path(ev.archive_path);
    let file = ev
        .archive_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let archive = ArchiveRef {
        file,
        sha256: ev.archive_sha256.to_string(),
    };
    let acquired = NewEvent {
        action: Some(Action::Acquired),
        actor: ev.actor.clone(),
        location: ev.location.clone(),
        purpose: ev.purpose.clone(),
        details: acquired_details(ev),
        ..NewEvent::default()
    };
    let at = ev
        .acquisition
        .map(|a| a.finished_at.clone())
        .filter(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok() && t.ends_with('Z'))
        .unwrap_or_else(now_utc);
    let first = make_event(
        None,
        1,
        at,
        Action::Acquired,
        &acquired,
        archive.clone(),
        ev.signer,
    )?;
    let first_line = first.line();
    let mut sealed_details = Map::new();
    sealed_details.insert("size_bytes".into(), json!(ev.archive_size));
    sealed_details.extend(ev.extra_details.clone());
    sealed_details.insert(
        "format".into(),
        json!(format!(
            "{} {}",
            crate::archive::FORMAT_NAME,
            crate::archive::FORMAT_VERSION
        )),
    );
    if let Some(enc) = &ev.encryption {
        sealed_details.insert("encryption".into(), json!("age"));
        sealed_details.insert(
            "ciphertext_sha256".into(),
            json!(enc.hashes.ciphertext_sha256),
        );
        sealed_details.insert(
            "plaintext_sha256".into(),
            json!(enc.hashes.plaintext_sha256),
        );
        sealed_details.insert(
            "plaintext_size_bytes".into(),
            json!(enc.hashes.plaintext_bytes),
        );
        sealed_details.insert("recipients".into(), json!(enc.recipients));
    }
    let sealed = NewEvent {
        action: Some(Action::Sealed),
        details: sealed_details,
        ..acquired.clone()
    };
    let second = make_event(
        Some(first_line.as_bytes()),
        2,
        now_utc(),
        Action::Sealed,
        &sealed,
        archive,
        ev.signer,
    )?;
    let content = format!("{first_line}\n{}\n", second.line());
    let _lock = lock_dir(&log)?;
    if log.exists() {
        return Err(CustodyError::Exists(log));
    }
    replace_log(&log, content.as_bytes())?;
    Ok(log)
}

/// Verify the custody log of an archive whose actual SHA-256 is
/// `archive_sha256`. With `trust`, a valid signature by a key that is not in
/// the allowed_signers file is a problem (`custody_signature_untrusted`), and
/// so is an unsigned `acquired` or `sealed` event (`custody_unsigned`);
/// without it, valid signatures are reported as `untrusted` and are not
/// problems.
pub fn verify_for_archive(log: &Path, archive_sha256: &str, trust: Option<&Path>) -> CustodyCheck {
    read_for_archive(log, archive_sha256, trust).check
}

/// [`verify_for_archive`] in the lenient mode of [`chain::read_lenient`]:
/// the same check, plus every line of the log with the problems found on
/// it, for a viewer. No lines when the log or the trust file is unreadable.
pub fn read_for_archive(
    log: &Path,
    archive_sha256: &str,
    trust: Option<&Path>,
) -> chain::LenientLog {
    let log_name = file_name(log);
    let fail = |kind: ProblemKind, detail: String| chain::LenientLog {
        lines: Vec::new(),
        check: CustodyCheck {
            problems: vec![crate::problem::Problem {
                kind,
                path: Some(log_name.clone()),
                detail,
            }],
            ..CustodyCheck::default()
        },
    };
    let signers = match trust.map(AllowedSigners::load).transpose() {
        Ok(s) => s,
        Err(e) => return fail(ProblemKind::CustodyTrustUnreadable, e),
    };
    let bytes = match read_log_bytes(log) {
        Ok(b) => b,
        Err(e) => return fail(ProblemKind::CustodyUnreadable, e.to_string()),
    };
    chain::read_lenient(
        &bytes,
        &CheckOptions {
            archive_sha256: Some(archive_sha256),
            trust: signers.as_ref(),
            log_name: Some(&log_name),
            now: None,
        },
    )
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// How far a verification ties an archive to the original that was sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AssuranceLevel {
    /// A trust file was given, the custody log checks out, and its
    /// `acquired` and `sealed` events are signed by trusted keys: the
    /// archive is the one those people sealed.
    SignedCustody,
    /// No trust file: the archive is only consistent with itself (and with
    /// an unauthenticated log); whoever could rewrite the archive could have
    /// rewritten the log too.
    InternalOnly,
    /// A trust file was given, but the custody log is missing or fails a
    /// check: the signed custody the auditor asked for is not there.
    Failed,
}

/// The custody assurance of a verification, with one plain sentence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CustodyAssurance {
    pub level: AssuranceLevel,
    pub statement: String,
}

/// The custody part of `exhibit verify`: the check, whether a log was
/// found, and what that proves.
#[derive(Debug, Clone)]
pub struct CustodyVerification {
    pub check: CustodyCheck,
    /// False when there is no custody log beside the archive.
    pub found: bool,
    pub assurance: CustodyAssurance,
}

/// Check the custody log beside an archive (`log` may not exist). With
/// `trust`, a missing log is a problem (`custody_missing`): the auditor
/// asked for signed custody. Never blocks on a FIFO or device named like the
/// log (`custody_unreadable`).
pub fn verify_beside_archive(
    log: &Path,
    archive_sha256: &str,
    trust: Option<&Path>,
) -> CustodyVerification {
    let missing = matches!(std::fs::symlink_metadata(log), Err(e) if e.kind() == std::io::ErrorKind::NotFound);
    let mut check = if missing {
        CustodyCheck::default()
    } else {
        verify_for_archive(log, archive_sha256, trust)
    };
    if missing && trust.is_some() {
        check.problems.push(crate::problem::Problem {
            kind: ProblemKind::CustodyMissing,
            path: Some(file_name(log)),
            detail: "no custody log beside the archive: with --trust the chain of custody must be proven by a signed log, and there is none".into(),
        });
    }
    let assurance = assurance(&check, !missing, trust.is_some());
    CustodyVerification {
        check,
        found: !missing,
        assurance,
    }
}

/// What a custody check proves, in one level and one sentence.
pub fn assurance(check: &CustodyCheck, found: bool, trusted: bool) -> CustodyAssurance {
    let (level, statement) = match (trusted, found, check.problems.is_empty()) {
        (false, false, _) => (
            AssuranceLevel::InternalOnly,
            "no custody log beside the archive: the archive is only internally consistent; nothing ties it to the sealed original".to_string(),
        ),
        (false, true, _) => (
            AssuranceLevel::InternalOnly,
            "no --trust given: the archive and its custody log are only internally consistent; nothing ties them to the sealed original (anyone able to rewrite the archive can rewrite an unauthenticated log); give --trust ALLOWED_SIGNERS".to_string(),
        ),
        (true, _, false) => (
            AssuranceLevel::Failed,
            "signed custody was asked for (--trust) and is not proven: see the custody problems".to_string(),
        ),
        (true, _, true) => {
            let by = |a: Action| {
                check
                    .log
                    .iter()
                    .find(|e| e.action == a)
                    .and_then(|e| check.signatures.iter().find(|s| s.seq == e.seq))
                    .and_then(|s| s.signer.clone())
                    .unwrap_or_default()
            };
            let unsigned: Vec<String> = check
                .signatures
                .iter()
                .filter(|s| s.status == "unsigned")
                .map(|s| s.seq.to_string())
                .collect();
            let mut text = format!(
                "the archive is the one sealed by a trusted key ({}); the chain of {} events is intact",
                by(Action::Sealed),
                check.events
            );
            if !unsigned.is_empty() {
                text.push_str(&format!(
                    "; unsigned events ({}) are not attested by anyone",
                    unsigned.join(", ")
                ));
            }
            (AssuranceLevel::SignedCustody, text)
        }
    };
    CustodyAssurance { level, statement }
}

/// The names under which an event's actor may appear in an allowed_signers
/// file: the name, the contact, and the name as [`principal_from_name`]
/// writes it. A trusted signature is the actor's when `ssh-keygen -Y verify
/// -I ID` would accept it for one of these.
pub fn actor_ids(actor: &Actor) -> Vec<String> {
    let mut ids = vec![actor.name.clone(), principal_from_name(&actor.name)];
    ids.extend(actor.contact.clone());
    ids.retain(|i| !i.is_empty());
    ids
}

/// The principal Exhibit suggests for a display name: `Dana Scully` →
/// `dana.scully` (lowercase words joined with dots).
pub fn principal_from_name(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(dir: &Path) -> PathBuf {
        let archive = dir.join("C_E01_h_20260101T000000Z.zip");
        std::fs::write(&archive, b"not really a zip").unwrap();
        let sha = hash_file(&archive).unwrap();
        record_acquisition(&AcquisitionEvents {
            archive_path: &archive,
            archive_sha256: &sha,
            archive_size: 16,
            acquisition_sha256: "ab",
            actor: Actor {
                name: "Ann".into(),
                ..Actor::default()
            },
            location: Some("lab".into()),
            case_id: "C".into(),
            evidence_id: "E01".into(),
            purpose: None,
            signer: None,
            acquisition: None,
            extra_details: Map::new(),
            encryption: None,
        })
        .unwrap()
    }

    fn note(who: &str) -> NewEvent {
        NewEvent {
            action: Some(Action::Note),
            actor: Actor {
                name: who.into(),
                ..Actor::default()
            },
            details: note_details("n"),
            ..NewEvent::default()
        }
    }

    #[test]
    fn record_acquisition_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let log = start(dir.path());
        let before = std::fs::read(&log).unwrap();
        let archive = dir.path().join("C_E01_h_20260101T000000Z.zip");
        let again = record_acquisition(&AcquisitionEvents {
            archive_path: &archive,
            archive_sha256: "00",
            archive_size: 1,
            acquisition_sha256: "ab",
            actor: Actor {
                name: "Eve".into(),
                ..Actor::default()
            },
            location: None,
            case_id: "C".into(),
            evidence_id: "E01".into(),
            purpose: None,
            signer: None,
            acquisition: None,
            extra_details: Map::new(),
            encryption: None,
        });
        assert!(matches!(again, Err(CustodyError::Exists(_))));
        assert_eq!(std::fs::read(&log).unwrap(), before);
    }

    #[test]
    fn concurrent_appends_keep_one_chain() {
        let dir = tempfile::tempdir().unwrap();
        let log = start(dir.path());
        std::thread::scope(|s| {
            for t in 0..4 {
                let log = &log;
                s.spawn(move || {
                    for _ in 0..5 {
                        append_event(log, &note(&format!("writer {t}")), None).unwrap();
                    }
                });
            }
        });
        let bytes = std::fs::read(&log).unwrap();
        let c = check_log(&bytes, &CheckOptions::default());
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c.events, 22);
        let seqs: Vec<u64> = c.log.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=22).collect::<Vec<_>>());
        // No temporary files are left beside the log.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn append_rejects_capture_only_actions_and_empty_actor() {
        let dir = tempfile::tempdir().unwrap();
        let log = start(dir.path());
        let mut e = note("Ann");
        e.action = Some(Action::Sealed);
        assert!(matches!(
            append_event(&log, &e, None),
            Err(CustodyError::Invalid(_))
        ));
        assert!(matches!(
            append_event(&log, &note(" "), None),
            Err(CustodyError::Invalid(_))
        ));
        let mut e = note("Ann");
        e.archive_sha256 = Some("00".repeat(32));
        assert!(matches!(
            append_event(&log, &e, None),
            Err(CustodyError::ArchiveMismatch(..))
        ));
        assert_eq!(load_log(&log).unwrap().len(), 2);
    }

    #[test]
    fn append_refuses_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let log = start(dir.path());
        let mut bytes = std::fs::read(&log).unwrap();
        bytes.truncate(bytes.len() - 10);
        std::fs::write(&log, &bytes).unwrap();
        let err = append_event(&log, &note("Bob"), None).unwrap_err();
        assert!(
            err.to_string().contains("line 2 (event 2, sealed?)"),
            "{err}"
        );
        assert_eq!(std::fs::read(&log).unwrap(), bytes);
    }
}
