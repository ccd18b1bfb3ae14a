//! Extracting files from an evidence archive to a directory, checked on the
//! way out, for the evidence browser's "Extract…" and `exhibit extract`.
//!
//! The archive is only read. Each file is streamed out of its member with
//! its SHA-256 computed as it is written and compared with the sealed
//! manifest (`manifest-sha256.txt`):
//! - bytes equal to the seal: written under the file's own name;
//! - bytes that differ from the seal (or a member the manifest does not
//!   list): written as `<name>.HASH-MISMATCH`, so the examiner can look at
//!   what the archive holds but can never take it for the sealed file, and
//!   reported as such.
//!
//! Every path lands inside the chosen directory whatever the archived name
//! holds: each component is made safe ([`safe_component`]: `..`, `.`,
//! separators, drive colons, control characters and reserved Windows names
//! are `%XX`-escaped), no directory on the way may be a symbolic link, and
//! an existing file is never overwritten (the file is reported as skipped).
//! Symbolic links, devices, FIFOs and sockets are not recreated.
//!
//! Beside the files, a list in `sha256sum` format
//! (`exhibit-extract-<stem>-<time>.sha256`) names every written file with
//! its *sealed* SHA-256, so `sha256sum -c` run in the directory passes for
//! the files that match the seal and fails for the others. [`record_export`]
//! appends the `exported` custody event that names the list's SHA-256.

use crate::archive::checked::SealedManifest;
use crate::archive::{Archive, EntryType, FileRecord, custody_log_path};
use crate::custody::{self, Action, Actor, CustodyError, Event, NewEvent, Signer};
use crate::job::{CancelToken, Progress, ProgressSink};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The suffix of a file whose bytes are not the sealed ones.
pub const MISMATCH_SUFFIX: &str = ".HASH-MISMATCH";
/// The suffix of a file while it is being written.
const PART_SUFFIX: &str = ".exhibit-part";
/// Files whose hashes the custody event lists one by one (above, only the
/// list file's hash).
pub const EVENT_FILE_HASHES_MAX: usize = 20;

/// What to extract and where.
#[derive(Debug, Clone, Default)]
pub struct ExtractRequest {
    /// Logical paths (files or folders, as the records name them); empty or
    /// `/` extracts everything.
    pub paths: Vec<String>,
    /// The destination directory (created if missing).
    pub to: PathBuf,
}

/// How a written file compares with the seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// SHA-256 equal to the manifest's line.
    Matches,
    /// Different bytes, or no manifest line: written as `…HASH-MISMATCH`.
    Mismatch,
}

/// One file written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Extracted {
    /// Its logical path in the archive.
    pub path: String,
    /// Where it was written, relative to the destination (`/`-separated).
    pub written: String,
    pub size_bytes: u64,
    /// SHA-256 of the bytes written.
    pub sha256: String,
    /// The manifest's SHA-256, if it has a line for the member.
    pub sealed_sha256: Option<String>,
    pub check: Check,
}

/// An entry not written, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// The outcome of an extraction.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExtractReport {
    pub archive: PathBuf,
    pub to: PathBuf,
    pub requested: Vec<String>,
    pub files: Vec<Extracted>,
    pub dirs_created: u64,
    pub skipped: Vec<Skipped>,
    /// The `sha256sum` list written beside the files, and its SHA-256.
    pub list_file: Option<PathBuf>,
    pub list_sha256: Option<String>,
    /// Stopped by the user before the end.
    pub cancelled: bool,
}

impl ExtractReport {
    /// Files whose bytes are not the sealed ones.
    pub fn mismatched(&self) -> usize {
        self.files
            .iter()
            .filter(|f| f.check == Check::Mismatch)
            .count()
    }

    /// Whether everything asked for was written and matches the seal.
    pub fn clean(&self) -> bool {
        self.mismatched() == 0 && self.skipped.is_empty() && !self.cancelled
    }

    /// One line for the user.
    pub fn summary(&self) -> String {
        format!(
            "{} file(s) extracted to {} ({} match the seal, {} do not, {} skipped{})",
            self.files.len(),
            self.to.display(),
            self.files.len() - self.mismatched(),
            self.mismatched(),
            self.skipped.len(),
            if self.cancelled { ", cancelled" } else { "" }
        )
    }
}

/// Why an extraction could not run at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    #[error("the sealed manifest cannot be read, so nothing could be checked ({0}): {1}")]
    Manifest(String, PathBuf),
    #[error("cannot create the destination directory: {0}: {1}")]
    Destination(std::io::Error, PathBuf),
    #[error("the destination is not a directory: {0}")]
    NotDirectory(PathBuf),
    #[error("cannot write the hash list: {0}: {1}")]
    List(std::io::Error, PathBuf),
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
}

/// Windows device names, which no file may be called on Windows whatever
/// its extension.
const RESERVED: [&str; 4] = ["CON", "PRN", "AUX", "NUL"];

fn is_reserved_windows_name(name: &str) -> bool {
    let base = name.split('.').next().unwrap_or(name).trim_end();
    let upper = base.to_ascii_uppercase();
    if RESERVED.contains(&upper.as_str()) {
        return true;
    }
    let b = upper.as_bytes();
    b.len() == 4
        && (upper.starts_with("COM") || upper.starts_with("LPT"))
        && b.get(3).is_some_and(u8::is_ascii_digit)
}

/// A path component safe to create on Linux, macOS and Windows, inside its
/// directory: unsafe characters become `%XX`. `None` for an empty
/// component (`a//b`).
pub fn safe_component(name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    if name == "." || name == ".." {
        return Some(name.replace('.', "%2E"));
    }
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_control() || matches!(c, '\\' | '/' | ':' | '<' | '>' | '"' | '|' | '?' | '*') {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    // Windows drops a trailing dot or space: `a.` would become `a`.
    if out.ends_with('.') || out.ends_with(' ') {
        let last = out.pop().unwrap_or('.');
        out.push_str(&format!("%{:02X}", last as u32));
    }
    if is_reserved_windows_name(&out) {
        let first = out.remove(0);
        out.insert_str(0, &format!("%{:02X}", first as u32));
    }
    Some(out)
}

/// The destination of a logical path, relative, `/`-separated, every
/// component made safe. `None` for the root itself.
pub fn safe_relative(logical: &str) -> Option<String> {
    let parts: Vec<String> = logical.split('/').filter_map(safe_component).collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn selected(path: &str, wanted: &[String]) -> bool {
    wanted.is_empty()
        || wanted.iter().any(|w| {
            let w = w.trim_end_matches('/');
            w.is_empty()
                || path == w
                || path
                    .strip_prefix(w)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

/// Create the directories of `rel` under `to`, refusing to pass through a
/// symbolic link or a non-directory. Returns the full path and how many
/// directories were created.
fn make_dirs(to: &Path, rel_dirs: &[&str]) -> Result<(PathBuf, u64), String> {
    let mut p = to.to_path_buf();
    let mut made = 0;
    for c in rel_dirs {
        p.push(c);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "the destination has a symbolic link on the way: {}",
                    p.display()
                ));
            }
            Ok(m) if !m.is_dir() => {
                return Err(format!(
                    "the destination has a file where a folder goes: {}",
                    p.display()
                ));
            }
            Ok(_) => {}
            Err(_) => {
                std::fs::create_dir(&p)
                    .map_err(|e| format!("cannot create the folder: {e}: {}", p.display()))?;
                made += 1;
            }
        }
    }
    Ok((p, made))
}

fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

/// Give `part` the name `target` without replacing anything there.
fn publish(part: &Path, target: &Path) -> Result<(), String> {
    let taken = || {
        format!(
            "a file already exists at the destination, not overwritten: {}",
            target.display()
        )
    };
    if exists(target) {
        return Err(taken());
    }
    match std::fs::hard_link(part, target) {
        Ok(()) => {
            let _ = std::fs::remove_file(part);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(taken()),
        // File systems without hard links (FAT, exFAT): checked just above.
        Err(_) => std::fs::rename(part, target)
            .map_err(|e| format!("cannot name the file: {e}: {}", target.display())),
    }
}

struct Streamed {
    size: u64,
    sha256: String,
}

fn stream(
    archive: &Archive,
    member: &str,
    out: &mut File,
    cancel: &CancelToken,
) -> Result<Option<Streamed>, String> {
    let mut r = archive
        .open_member(member)
        .map_err(|e| format!("cannot read the member: {e}: {member}"))?;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        let n = r
            .read(&mut buf)
            .map_err(|e| format!("cannot read the member: {e}: {member}"))?;
        if n == 0 {
            break;
        }
        let chunk = buf.get(..n).unwrap_or_default();
        sha.update(chunk);
        out.write_all(chunk)
            .map_err(|e| format!("cannot write: {e}"))?;
        size += n as u64;
    }
    out.sync_all().map_err(|e| format!("cannot write: {e}"))?;
    Ok(Some(Streamed {
        size,
        sha256: hex::encode(sha.finalize()),
    }))
}

/// The member holding a record's content: its own, or that of the file it
/// is a hard link to.
fn content_member(records: &[FileRecord], rec: &FileRecord) -> Option<String> {
    rec.member.clone().or_else(|| {
        rec.hardlink_of.as_ref().and_then(|target| {
            records
                .binary_search_by(|r| r.path.as_str().cmp(target))
                .ok()
                .and_then(|i| records.get(i))
                .or_else(|| records.iter().find(|r| &r.path == target))
                .and_then(|r| r.member.clone())
        })
    })
}

/// Outcome of one file.
enum One {
    Written(Extracted, u64),
    Skipped(String),
    Cancelled,
}

fn extract_file(
    archive: &Archive,
    manifest: &SealedManifest,
    to: &Path,
    rel: &str,
    rec: &FileRecord,
    member: &str,
    cancel: &CancelToken,
) -> One {
    let parts: Vec<&str> = rel.split('/').collect();
    let (name, dirs) = match parts.split_last() {
        Some(x) => x,
        None => return One::Skipped("empty name".into()),
    };
    let (dir, made) = match make_dirs(to, dirs) {
        Ok(x) => x,
        Err(e) => return One::Skipped(e),
    };
    let target = dir.join(name);
    if exists(&target) {
        return One::Skipped(format!(
            "a file already exists at the destination, not overwritten: {}",
            target.display()
        ));
    }
    let part = dir.join(format!("{name}{PART_SUFFIX}"));
    let mut out = match OpenOptions::new().write(true).create_new(true).open(&part) {
        Ok(f) => f,
        Err(e) => return One::Skipped(format!("cannot create: {e}: {}", part.display())),
    };
    let streamed = match stream(archive, member, &mut out, cancel) {
        Ok(Some(s)) => s,
        Ok(None) => {
            drop(out);
            let _ = std::fs::remove_file(&part);
            return One::Cancelled;
        }
        Err(e) => {
            drop(out);
            let _ = std::fs::remove_file(&part);
            return One::Skipped(e);
        }
    };
    if let Some(t) = rec
        .mtime
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    {
        let _ = out.set_modified(t.with_timezone(&chrono::Utc).into());
    }
    drop(out);
    let sealed = manifest.get(member);
    let check = match &sealed {
        Some(s) if s.eq_ignore_ascii_case(&streamed.sha256) => Check::Matches,
        _ => Check::Mismatch,
    };
    let (final_path, written) = match check {
        Check::Matches => (target, rel.to_string()),
        Check::Mismatch => (
            dir.join(format!("{name}{MISMATCH_SUFFIX}")),
            format!("{rel}{MISMATCH_SUFFIX}"),
        ),
    };
    if let Err(e) = publish(&part, &final_path) {
        let _ = std::fs::remove_file(&part);
        return One::Skipped(e);
    }
    One::Written(
        Extracted {
            path: rec.path.clone(),
            written,
            size_bytes: streamed.size,
            sha256: streamed.sha256,
            sealed_sha256: sealed,
            check,
        },
        made,
    )
}

/// Extract the requested paths of an opened archive to `req.to`, checking
/// each file against `manifest` (see the module documentation for what is
/// written where). Per-file problems are reported, not fatal.
pub fn extract(
    archive: &Archive,
    records: &[FileRecord],
    manifest: &Result<SealedManifest, String>,
    req: &ExtractRequest,
    sink: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<ExtractReport, ExtractError> {
    let manifest = manifest
        .as_ref()
        .map_err(|e| ExtractError::Manifest(e.clone(), archive.path.clone()))?;
    match std::fs::symlink_metadata(&req.to) {
        Ok(m) if !m.is_dir() => return Err(ExtractError::NotDirectory(req.to.clone())),
        Ok(_) => {}
        Err(_) => std::fs::create_dir_all(&req.to)
            .map_err(|e| ExtractError::Destination(e, req.to.clone()))?,
    }
    let mut report = ExtractReport {
        archive: archive.path.clone(),
        to: req.to.clone(),
        requested: req.paths.clone(),
        files: Vec::new(),
        dirs_created: 0,
        skipped: Vec::new(),
        list_file: None,
        list_sha256: None,
        cancelled: false,
    };
    for w in &req.paths {
        if !records
            .iter()
            .any(|r| selected(&r.path, std::slice::from_ref(w)))
        {
            report.skipped.push(Skipped {
                path: w.clone(),
                reason: "no such path in the archive".into(),
            });
        }
    }
    let chosen: Vec<&FileRecord> = records
        .iter()
        .filter(|r| selected(&r.path, &req.paths))
        .collect();
    let total = chosen.len() as u64;
    for (i, rec) in chosen.into_iter().enumerate() {
        if cancel.is_cancelled() {
            report.cancelled = true;
            break;
        }
        sink.update(&Progress {
            phase: "extracting",
            files_done: i as u64,
            files_total: Some(total),
            current: rec.path.clone(),
            warnings: (report.skipped.len() + report.mismatched()) as u64,
            ..Progress::default()
        });
        let skip = |why: String| Skipped {
            path: rec.path.clone(),
            reason: why,
        };
        let Some(rel) = safe_relative(&rec.path) else {
            continue;
        };
        match rec.kind {
            EntryType::Dir => {
                let dirs: Vec<&str> = rel.split('/').collect();
                match make_dirs(&req.to, &dirs) {
                    Ok((_, n)) => report.dirs_created += n,
                    Err(e) => report.skipped.push(skip(e)),
                }
            }
            EntryType::File => match content_member(records, rec) {
                None => report.skipped.push(skip(format!(
                    "no content stored ({:?}{})",
                    rec.status,
                    rec.reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ))),
                Some(member) => {
                    match extract_file(archive, manifest, &req.to, &rel, rec, &member, cancel) {
                        One::Written(x, made) => {
                            report.dirs_created += made;
                            report.files.push(x);
                        }
                        One::Skipped(e) => report.skipped.push(skip(e)),
                        One::Cancelled => {
                            report.cancelled = true;
                            break;
                        }
                    }
                }
            },
            EntryType::Symlink => report.skipped.push(skip(format!(
                "symbolic link (to {}) not recreated",
                rec.link_target.as_deref().unwrap_or("?")
            ))),
            other => report
                .skipped
                .push(skip(format!("{} entry not recreated", other.letter()))),
        }
    }
    write_list(archive, &mut report)?;
    sink.update(&Progress {
        phase: "extracted",
        files_done: report.files.len() as u64,
        files_total: Some(total),
        ..Progress::default()
    });
    Ok(report)
}

/// Write the `sha256sum` list of the files written, with their sealed
/// hashes, and note its name and SHA-256 in the report.
fn write_list(archive: &Archive, report: &mut ExtractReport) -> Result<(), ExtractError> {
    let mut text = String::new();
    for f in &report.files {
        if let Some(s) = &f.sealed_sha256 {
            text.push_str(&format!("{}  {}\n", s.to_ascii_lowercase(), f.written));
        }
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let stem = crate::archive::names::safe_component(&archive.stem);
    let mut n = 0;
    let (path, mut file) = loop {
        let name = match n {
            0 => format!("exhibit-extract-{stem}-{stamp}.sha256"),
            _ => format!("exhibit-extract-{stem}-{stamp}-{n}.sha256"),
        };
        let p = report.to.join(name);
        match OpenOptions::new().write(true).create_new(true).open(&p) {
            Ok(f) => break (p, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(ExtractError::List(e, p)),
        }
    };
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| ExtractError::List(e, path.clone()))?;
    report.list_sha256 = Some(hex::encode(Sha256::digest(text.as_bytes())));
    report.list_file = Some(path);
    Ok(())
}

/// Open the archive at `path` and extract from it (the CLI's way; the
/// browser passes the archive it already loaded to [`extract`]).
pub fn extract_archive(
    path: &Path,
    req: &ExtractRequest,
    sink: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<ExtractReport, ExtractError> {
    let archive = Archive::open(path)?;
    let (records, _bad) = archive.records()?;
    let manifest = crate::archive::checked::read_sealed_manifest(&archive);
    extract(&archive, &records, &manifest, req, sink, cancel)
}

/// The `details` of the `exported` event of an extraction.
pub fn export_details(report: &ExtractReport) -> Map<String, Value> {
    let mut d = Map::new();
    d.insert("kind".into(), json!("extract"));
    d.insert(
        "tool".into(),
        json!(format!("exhibit {}", env!("CARGO_PKG_VERSION"))),
    );
    d.insert("to".into(), json!(report.to.display().to_string()));
    let paths = if report.requested.is_empty() {
        vec!["/".to_string()]
    } else {
        report.requested.clone()
    };
    d.insert("paths".into(), json!(paths));
    d.insert("files".into(), json!(report.files.len()));
    d.insert("files_mismatched".into(), json!(report.mismatched()));
    d.insert("skipped".into(), json!(report.skipped.len()));
    if report.cancelled {
        d.insert("cancelled".into(), json!(true));
    }
    if let (Some(list), Some(sha)) = (&report.list_file, &report.list_sha256) {
        let name = list
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        d.insert("list_file".into(), json!(name));
        d.insert("list_sha256".into(), json!(sha));
    }
    if report.files.len() <= EVENT_FILE_HASHES_MAX {
        let hashes: Vec<Value> = report
            .files
            .iter()
            .map(|f| json!({"path": f.path, "sha256": f.sha256, "matches_seal": f.check == Check::Matches}))
            .collect();
        d.insert("sha256".into(), Value::Array(hashes));
    }
    d
}

/// Append the `exported` custody event of an extraction to the archive's
/// custody log (`<stem>.custody.jsonl` beside it).
pub fn record_export(
    archive_path: &Path,
    report: &ExtractReport,
    actor: Actor,
    signer: Option<&Signer>,
) -> Result<Event, CustodyError> {
    let log = custody_log_path(archive_path);
    let new = NewEvent {
        action: Some(Action::Exported),
        actor,
        details: export_details(report),
        archive_file: archive_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
        ..NewEvent::default()
    };
    custody::append_event(&log, &new, signer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_components_become_plain_names() {
        assert_eq!(safe_component(".."), Some("%2E%2E".into()));
        assert_eq!(safe_component("."), Some("%2E".into()));
        assert_eq!(safe_component(""), None);
        assert_eq!(safe_component("C:evil"), Some("C%3Aevil".into()));
        assert_eq!(safe_component("a\\..\\b"), Some("a%5C..%5Cb".into()));
        assert_eq!(safe_component("CON"), Some("%43ON".into()));
        assert_eq!(safe_component("nul.txt"), Some("%6Eul.txt".into()));
        assert_eq!(safe_component("lpt1"), Some("%6Cpt1".into()));
        assert_eq!(safe_component("console"), Some("console".into()));
        assert_eq!(safe_component("x."), Some("x%2E".into()));
        assert_eq!(safe_component("a\nb"), Some("a%0Ab".into()));
        assert_eq!(
            safe_relative("/../../etc/passwd"),
            Some("%2E%2E/%2E%2E/etc/passwd".into())
        );
        assert_eq!(safe_relative("/"), None);
    }

    #[test]
    fn selection_is_by_whole_components() {
        let w = vec!["/etc/ssh".to_string()];
        assert!(selected("/etc/ssh", &w));
        assert!(selected("/etc/ssh/sshd_config", &w));
        assert!(!selected("/etc/sshd", &w));
        assert!(selected("/x", &[]));
        assert!(selected("/x", &["/".to_string()]));
    }

    proptest::proptest! {
        #[test]
        fn safe_relative_never_escapes(path in ".{0,60}") {
            if let Some(rel) = safe_relative(&path) {
                for c in rel.split('/') {
                    proptest::prop_assert!(!c.is_empty() && c != "." && c != "..");
                    proptest::prop_assert!(!c.contains(['\\', ':']));
                }
                proptest::prop_assert!(!rel.starts_with('/'));
            }
        }
    }
}
