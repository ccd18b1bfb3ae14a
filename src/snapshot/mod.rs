//! A snapshot: one side of a comparison, or the subject of a scan.
//!
//! A snapshot is either an evidence archive (its `files.jsonl` records, with
//! content streamed from the ZIP on demand) or a directory on the examiner's
//! machine read as a target root (`--root` semantics: `DIR/etc/passwd` is the
//! logical path `/etc/passwd`). Directories are walked read-only with the
//! capture walker and every regular file is hashed with SHA-256 on all cores;
//! nothing in them is ever modified. Both kinds become the same compact,
//! path-sorted list of [`Entry`] values, so the comparison, the findings and
//! the GUI never care where a snapshot came from.

pub mod partial;

use crate::archive::checked::{Integrity, Verdict};
use crate::archive::{Archive, EntryType, FileRecord, Status};
use crate::capture::select::Everything;
use crate::capture::walk::{self, WalkItem, WalkOptions};
use crate::job::{CancelToken, Progress, ProgressSink};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A time as nanoseconds since the Unix epoch, UTC.
pub type TimeNs = i64;

/// One entry of a snapshot, reduced to what comparison and findings need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Logical path as the examined system sees it (escaped when not UTF-8).
    pub path: String,
    pub kind: EntryType,
    pub size: u64,
    /// Permission bits including setuid/setgid/sticky (no type bits).
    pub mode: u32,
    /// Owner ids and inode; `None` where the capturing system could not
    /// read them (an archive's `null`, a live tree on Windows). An inode 0,
    /// which no Linux filesystem gives a file and which early Windows
    /// captures wrote for "unknown", is unknown too. The link count is not
    /// kept: nothing compares it (the record has it).
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub inode: Option<std::num::NonZeroU64>,
    pub mtime_ns: Option<TimeNs>,
    pub ctime_ns: Option<TimeNs>,
    pub link_target: Option<Box<str>>,
    /// SHA-256 of the content (regular files whose content was read).
    pub sha256: Option<[u8; 32]>,
    /// What happened to the entry when the snapshot was taken.
    pub status: Status,
    /// The status reason, when there is one. Shared: a snapshot's entries
    /// repeat a few reasons (`metadata only (profile rule)` on every entry
    /// of a metadata sweep), each held once ([`Reasons`]).
    pub reason: Option<Arc<str>>,
    /// Archive member holding the content (archives only).
    pub member: Option<Box<str>>,
    /// File capabilities (`security.capability`) as decoded names, when the
    /// file has any. Only directory snapshots read them
    /// ([`Snapshot::knows_capabilities`]).
    pub capabilities: Option<Box<str>>,
}

impl Entry {
    /// A regular file with this content hash, for tests and benches.
    pub fn file(path: &str, size: u64, sha256: [u8; 32]) -> Self {
        Entry {
            path: path.to_string(),
            kind: EntryType::File,
            size,
            mode: 0o644,
            uid: Some(0),
            gid: Some(0),
            inode: None,
            mtime_ns: None,
            ctime_ns: None,
            link_target: None,
            sha256: Some(sha256),
            status: Status::Captured,
            reason: None,
            member: None,
            capabilities: None,
        }
    }

    /// The SHA-256 as lowercase hex, when known.
    pub fn sha256_hex(&self) -> Option<String> {
        self.sha256.map(hex::encode)
    }

    /// The last path component.
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// True when the content can be read from the snapshot.
    pub fn has_content(&self) -> bool {
        self.kind == EntryType::File && self.status.has_content()
    }

    fn from_record(r: FileRecord, reasons: &mut Reasons) -> Self {
        Entry {
            mode: r.mode_bits() & 0o7777,
            path: r.path,
            kind: r.kind,
            size: r.size,
            uid: r.uid,
            gid: r.gid,
            inode: r.inode.and_then(std::num::NonZeroU64::new),
            mtime_ns: r.mtime.as_deref().and_then(parse_time),
            ctime_ns: r.ctime.as_deref().and_then(parse_time),
            link_target: r.link_target.map(String::into_boxed_str),
            sha256: r.sha256.as_deref().and_then(parse_sha256),
            status: r.status,
            reason: r.reason.as_deref().map(|x| reasons.get(x)),
            member: r.member.map(String::into_boxed_str),
            capabilities: r.capabilities.map(String::into_boxed_str),
        }
    }
}

/// The status reasons of a snapshot's entries, each distinct text held
/// once and shared by the entries that give it: a metadata-only entry
/// costs its reason's pointer, not a copy of it. At most [`Reasons::MAX`]
/// texts are kept; a reason beyond them gets a copy of its own.
#[derive(Debug, Default)]
pub struct Reasons {
    seen: std::collections::HashMap<Box<str>, Arc<str>>,
}

impl Reasons {
    /// The most distinct reasons shared.
    pub const MAX: usize = 4096;

    /// The shared text equal to `reason`.
    pub fn get(&mut self, reason: &str) -> Arc<str> {
        if let Some(r) = self.seen.get(reason) {
            return Arc::clone(r);
        }
        let r: Arc<str> = Arc::from(reason);
        if self.seen.len() < Self::MAX {
            self.seen.insert(reason.into(), Arc::clone(&r));
        }
        r
    }
}

/// Parse an RFC 3339 time into nanoseconds since the epoch.
pub fn parse_time(s: &str) -> Option<TimeNs> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
}

/// Format nanoseconds since the epoch as RFC 3339 UTC.
pub fn format_time(ns: TimeNs) -> String {
    chrono::DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn parse_sha256(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// Where a snapshot came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotKind {
    Archive,
    Directory,
    /// Built in memory (tests, benches).
    Memory,
}

enum Source {
    /// The archive (its tag files) and its payload members, compact and
    /// looked up by name in O(log n).
    Archive(Box<Archive>, crate::archive::zipread::MemberTable),
    Directory(PathBuf),
    Memory,
}

/// Errors opening a snapshot. Problems with single entries are not errors:
/// they stay in the entries' status and in [`Snapshot::problems`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
    #[error("cannot read snapshot: {0}: {1}")]
    Io(std::io::Error, PathBuf),
    #[error("cancelled")]
    Cancelled,
    #[error("{0}: {1}")]
    TooLarge(String, PathBuf),
}

/// One side of a comparison: every entry, sorted by path, and a way to read
/// their content.
pub struct Snapshot {
    /// The archive or directory as given, for display and provenance.
    pub label: String,
    pub kind: SnapshotKind,
    /// When the snapshot was taken: the acquisition start of an archive, the
    /// start of the walk of a directory.
    pub taken_at_ns: Option<TimeNs>,
    /// Every entry, sorted by path, one per path.
    pub entries: Vec<Entry>,
    /// Records that could not be read and files that could not be hashed.
    pub problems: Vec<String>,
    /// True when file capabilities were read: directories, and archives
    /// whose acquisition says `records_capabilities`.
    pub knows_capabilities: bool,
    source: Source,
    /// Files read whole by [`Snapshot::read_prefix`] whose bytes are not the
    /// ones the archive sealed: path → what differs.
    altered_reads: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
    /// Set when `entries` holds only some of the snapshot's entries
    /// ([`partial`]): then every lookup that finds nothing is noted, so the
    /// reader can fetch what was asked for and look again.
    partial: Option<Box<partial::Partial>>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("label", &self.label)
            .field("kind", &self.kind)
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl Snapshot {
    /// Open an archive (a file) or walk a directory, read-only.
    pub fn open(
        path: &Path,
        progress: &dyn ProgressSink,
        cancel: &CancelToken,
    ) -> Result<Self, SnapshotError> {
        let meta = std::fs::metadata(path).map_err(|e| SnapshotError::Io(e, path.to_path_buf()))?;
        if meta.is_dir() {
            Self::open_directory(path, progress, cancel)
        } else {
            Self::open_archive(path)
        }
    }

    /// Read an evidence archive's records, streamed from `files.jsonl` (see
    /// [`stream_records`]): memory grows with the distinct paths, never with
    /// the inflated size of the file, however well it compresses.
    pub fn open_archive(path: &Path) -> Result<Self, SnapshotError> {
        let opened = Opened::open(path)?;
        let archive = &opened.archive;
        let mut entries: Vec<Entry> = Vec::new();
        // (path, hardlink_of) of records that name no member of their own.
        let mut links: Vec<(String, String)> = Vec::new();
        let mut duplicates = 0u64;
        let mut compact_at = COMPACT_FIRST;
        let mut too_many = false;
        let mut reasons = Reasons::default();
        let stats = stream_records(archive, |r| {
            if r.member.is_none()
                && let Some(h) = &r.hardlink_of
            {
                links.push((r.path.clone(), h.clone()));
            }
            entries.push(Entry::from_record(r, &mut reasons));
            if entries.len() >= compact_at {
                duplicates += compact(&mut entries);
                links.sort_by(|a, b| a.0.cmp(&b.0));
                links.dedup_by(|b, a| a.0 == b.0);
                if entries.len() > MAX_SNAPSHOT_RECORDS {
                    too_many = true;
                    return ControlFlow::Break(());
                }
                compact_at = (entries.len() * 2).max(COMPACT_FIRST);
            }
            ControlFlow::Continue(())
        })?;
        if too_many {
            return Err(SnapshotError::TooLarge(
                format!("files.jsonl holds more than {MAX_SNAPSHOT_RECORDS} distinct paths"),
                path.to_path_buf(),
            ));
        }
        duplicates += compact(&mut entries);
        let problems = record_problems(&stats, duplicates);
        give_members(&mut entries, &links);
        Ok(opened.into_snapshot(entries, problems, None))
    }

    /// Walk a directory as a target root and hash its regular files.
    pub fn open_directory(
        root: &Path,
        progress: &dyn ProgressSink,
        cancel: &CancelToken,
    ) -> Result<Self, SnapshotError> {
        let taken_at_ns = chrono::Utc::now().timestamp_nanos_opt();
        let on_progress = |n: u64, p: &[u8]| {
            progress.update(&Progress {
                phase: "walking",
                files_done: n,
                current: String::from_utf8_lossy(p).into_owned(),
                ..Progress::default()
            })
        };
        let opts = WalkOptions {
            root: Some(root),
            selector: &Everything,
            all_filesystems: false,
            one_file_system: false,
            exclude: Vec::new(),
            cancel,
            on_progress: &on_progress,
        };
        let items = walk::walk(&[b"/".to_vec()], &opts).map_err(|_| SnapshotError::Cancelled)?;
        let mut reasons = Reasons::default();
        let mut entries: Vec<Entry> = items
            .iter()
            .filter_map(|w| entry_from_walk(w, &mut reasons))
            .collect();
        let mut problems = Vec::new();
        hash_directory_files(root, &mut entries, progress, cancel)?;
        for e in &entries {
            if e.kind == EntryType::File && !e.status.has_content() {
                problems.push(format!(
                    "{}: {}",
                    e.reason.as_deref().unwrap_or("not read"),
                    e.path
                ));
            }
        }
        sort_dedup(&mut entries, &mut problems);
        Ok(Snapshot {
            label: root.display().to_string(),
            kind: SnapshotKind::Directory,
            taken_at_ns,
            entries,
            problems,
            knows_capabilities: true,
            source: Source::Directory(root.to_path_buf()),
            altered_reads: Default::default(),
            partial: None,
        })
    }

    /// A snapshot of entries built in memory (content is not readable).
    pub fn from_entries(label: &str, mut entries: Vec<Entry>) -> Self {
        let mut problems = Vec::new();
        sort_dedup(&mut entries, &mut problems);
        Snapshot {
            label: label.to_string(),
            kind: SnapshotKind::Memory,
            taken_at_ns: None,
            entries,
            problems,
            knows_capabilities: false,
            source: Source::Memory,
            altered_reads: Default::default(),
            partial: None,
        }
    }

    /// The entry at a logical path.
    pub fn get(&self, path: &str) -> Option<&Entry> {
        let found = find(&self.entries, path);
        if found.is_none()
            && let Some(p) = &self.partial
        {
            p.ask(|r| {
                r.paths.insert(path.to_string());
            });
        }
        found
    }

    /// Entries directly or indirectly below a directory (`dir` without a
    /// trailing slash), in path order.
    pub fn under<'a>(&'a self, dir: &str) -> impl Iterator<Item = &'a Entry> + 'a {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        if let Some(p) = &self.partial {
            p.ask(|r| {
                r.prefixes.insert(prefix.clone());
            });
        }
        self.prefixed(prefix)
    }

    /// The entries whose parent folder is `dir` (`/` for the top level), in
    /// path order.
    pub fn children<'a>(&'a self, dir: &str) -> impl Iterator<Item = &'a Entry> + 'a {
        let dir = partial::folder(dir).to_string();
        if let Some(p) = &self.partial {
            p.ask(|r| {
                r.children.insert(dir.clone());
            });
        }
        let prefix = if dir == "/" {
            dir.clone()
        } else {
            format!("{dir}/")
        };
        self.prefixed(prefix)
            .filter(move |e| partial::parent(&e.path) == dir)
    }

    /// Entries whose path starts with `prefix` (a plain string prefix), in
    /// path order.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        if let Some(p) = &self.partial {
            p.ask(|r| {
                r.prefixes.insert(prefix.to_string());
            });
        }
        self.prefixed(prefix.to_string())
    }

    fn prefixed<'a>(&'a self, prefix: String) -> impl Iterator<Item = &'a Entry> + 'a {
        let start = self
            .entries
            .partition_point(|e| e.path.as_str() < prefix.as_str());
        self.entries
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(move |e| e.path.starts_with(&prefix))
    }

    /// How many entries the snapshot has: all of them, also when only some
    /// are held ([`Snapshot::is_partial`]).
    pub fn entry_count(&self) -> u64 {
        self.partial
            .as_ref()
            .map_or(self.entries.len() as u64, |p| p.entries_total)
    }

    /// The entries a scan judges: all of them, or only a window's own
    /// ([`partial::Windows`]; the others are held for lookups).
    pub fn judged(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.entries
            .iter()
            .filter(|e| self.partial.as_ref().is_none_or(|p| p.judges(&e.path)))
    }

    /// True when `entries` holds only the entries an examination needed
    /// ([`partial`]), not all of them.
    pub fn is_partial(&self) -> bool {
        self.partial.is_some()
    }

    /// What the lookups on a partial snapshot asked for and did not find
    /// since the last call (nothing for a whole snapshot).
    pub fn take_requests(&self) -> partial::Requests {
        self.partial.as_ref().map(|p| p.take()).unwrap_or_default()
    }

    /// Whether the inode numbers of a pair read together by
    /// [`partial::open_pair`] can be compared, judged on every pair of
    /// entries (`None` for a whole snapshot).
    pub fn pair_inodes_comparable(&self) -> Option<bool> {
        self.partial.as_ref().map(|p| p.inodes_comparable)
    }

    /// A reader of an entry's content, read-only; from an archive, checked
    /// against its seal as it streams, with the handle on the verdict
    /// (`None` for a directory, which has no seal).
    pub fn open_content_checked(
        &self,
        entry: &Entry,
    ) -> std::io::Result<(Box<dyn Read + Send + '_>, Option<Verdict>)> {
        self.open_content_with(entry, true)
    }

    /// Read an entry's whole content through the seal check and return
    /// the verdict; `None` for a directory snapshot or an entry without
    /// content (nothing was sealed to check against).
    pub fn check_content(&self, entry: &Entry) -> Option<Integrity> {
        if !entry.has_content() || !matches!(self.source, Source::Archive(..)) {
            return None;
        }
        Some(match self.open_content_checked(entry) {
            Ok((mut r, v)) => match std::io::copy(&mut r, &mut std::io::sink()) {
                Ok(_) => v.map_or_else(
                    || Integrity::NotChecked("no seal to check against".into()),
                    |v| v.get(),
                ),
                Err(e) => Integrity::Mismatch(format!("the content cannot be read whole: {e}")),
            },
            Err(e) => Integrity::Mismatch(format!("the content cannot be opened: {e}")),
        })
    }

    /// A reader of an entry's content, read-only.
    pub fn open_content(&self, entry: &Entry) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(self.open_content_with(entry, false)?.0)
    }

    fn open_content_with(
        &self,
        entry: &Entry,
        checked: bool,
    ) -> std::io::Result<(Box<dyn Read + Send + '_>, Option<Verdict>)> {
        use std::io::{Error, ErrorKind};
        if !entry.has_content() {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("no content in the snapshot ({})", entry.status.as_str()),
            ));
        }
        match &self.source {
            Source::Archive(a, payload) => {
                let name = entry
                    .member
                    .as_deref()
                    .ok_or_else(|| Error::new(ErrorKind::NotFound, "no archive member"))?;
                let m = payload
                    .find(name)
                    .map(|i| payload.member(i))
                    .ok_or_else(|| Error::new(ErrorKind::NotFound, name.to_string()))?;
                let m = &m;
                if checked {
                    let r = a.checked_reader(m)?;
                    let v = r.verdict_handle();
                    Ok((Box::new(r), Some(v)))
                } else {
                    Ok((crate::archive::zipread::member_reader(&a.file, m)?, None))
                }
            }
            Source::Directory(root) => Ok((
                Box::new(open_read_only(&walk::physical(
                    Some(root),
                    entry.path.as_bytes(),
                ))?),
                None,
            )),
            Source::Memory => Err(Error::new(
                ErrorKind::NotFound,
                "in-memory snapshot holds no content",
            )),
        }
    }

    /// The evidence archive, for an archive snapshot (its tag files: live
    /// response, acquisition).
    pub fn archive(&self) -> Option<&Archive> {
        match &self.source {
            Source::Archive(a, _) => Some(&**a),
            _ => None,
        }
    }

    /// Up to `max` bytes of an entry's content. From an archive, a file
    /// read whole (no larger than `max`) is checked against the seal on the
    /// way, and one whose bytes are not the sealed ones is remembered
    /// ([`Snapshot::altered_reads`]): whoever shows what was read can say
    /// so.
    pub fn read_prefix(&self, entry: &Entry, max: u64) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(entry.size.min(max) as usize);
        if entry.size <= max && matches!(self.source, Source::Archive(..)) {
            let (r, verdict) = self.open_content_checked(entry)?;
            // One byte more than the size, so the reader meets the end of
            // the member (and a member longer than recorded is caught).
            let read = r.take(max.saturating_add(1)).read_to_end(&mut out);
            if let Some(Integrity::Mismatch(why)) = verdict.map(|v| v.get()) {
                self.note_altered(&entry.path, why);
            }
            read?;
            out.truncate(usize::try_from(max).unwrap_or(usize::MAX));
            return Ok(out);
        }
        self.open_content(entry)?.take(max).read_to_end(&mut out)?;
        Ok(out)
    }

    /// Remember that the content read at `path` is not the sealed content.
    pub fn note_altered(&self, path: &str, why: String) {
        if let Ok(mut m) = self.altered_reads.lock() {
            m.entry(path.to_string()).or_insert(why);
        }
    }

    /// What differs, when the file at `path` was read whole and its bytes
    /// are not the ones the archive sealed.
    pub fn altered_read(&self, path: &str) -> Option<String> {
        self.altered_reads.lock().ok()?.get(path).cloned()
    }

    /// The files read whole so far whose bytes are not the ones the archive
    /// sealed, as (path, what differs), in path order.
    pub fn altered_reads(&self) -> Vec<(String, String)> {
        self.altered_reads
            .lock()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// The SHA-256 of the first `len` bytes of an entry's content, read in a
    /// stream; `None` when the content is shorter or unreadable.
    pub fn prefix_sha256(&self, entry: &Entry, len: u64) -> Option<[u8; 32]> {
        sha256_of_first(self.open_content(entry).ok()?, len)
    }
}

/// The SHA-256 of the first `len` bytes a reader gives, read in a stream;
/// `None` when it gives fewer or fails.
pub fn sha256_of_first(r: impl Read, len: u64) -> Option<[u8; 32]> {
    let mut r = r.take(len);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(buf.get(..n)?);
        total += n as u64;
    }
    (total == len).then(|| h.finalize().into())
}

/// Sort by path and drop repeated paths (the first kept); returns how many
/// were dropped.
fn compact(entries: &mut Vec<Entry>) -> u64 {
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let before = entries.len();
    entries.dedup_by(|b, a| a.path == b.path);
    (before - entries.len()) as u64
}

/// An archive opened for its records: the tag files in its index, the
/// payload in a compact table (an archive of millions of files costs ~80
/// bytes and a name each), and what its acquisition says.
struct Opened {
    archive: Archive,
    payload: crate::archive::zipread::MemberTable,
    taken_at_ns: Option<TimeNs>,
    knows_capabilities: bool,
    label: String,
}

impl Opened {
    fn open(path: &Path) -> Result<Self, SnapshotError> {
        let archive = Archive::open_tags(path)?;
        let payload = archive.payload_members()?;
        let acquisition = archive.acquisition().ok();
        Ok(Opened {
            taken_at_ns: acquisition.as_ref().and_then(|a| parse_time(&a.started_at)),
            knows_capabilities: acquisition
                .as_ref()
                .is_some_and(|a| a.method.records_capabilities),
            payload,
            archive,
            label: path.display().to_string(),
        })
    }

    /// The snapshot of these entries, reading content from the archive.
    fn into_snapshot(
        self,
        entries: Vec<Entry>,
        problems: Vec<String>,
        partial: Option<Box<partial::Partial>>,
    ) -> Snapshot {
        Snapshot {
            label: self.label,
            kind: SnapshotKind::Archive,
            taken_at_ns: self.taken_at_ns,
            entries,
            problems,
            knows_capabilities: self.knows_capabilities,
            source: Source::Archive(Box::new(self.archive), self.payload),
            altered_reads: Default::default(),
            partial,
        }
    }

    /// The archive back from a snapshot made by [`Opened::into_snapshot`].
    fn take_back(snap: Snapshot) -> Option<Self> {
        match snap.source {
            Source::Archive(archive, payload) => Some(Opened {
                archive: *archive,
                payload,
                taken_at_ns: snap.taken_at_ns,
                knows_capabilities: snap.knows_capabilities,
                label: snap.label,
            }),
            _ => None,
        }
    }
}

/// A snapshot's problems with its records: the lines that did not parse
/// and how many repeated paths were ignored.
fn record_problems(stats: &RecordStats, duplicates: u64) -> Vec<String> {
    let mut problems = stats.problems();
    if duplicates > 0 {
        problems.push(format!(
            "{duplicates} duplicate path records ignored (first kept)"
        ));
    }
    problems
}

/// Give each entry of `links` (path, `hardlink_of`) that names no member
/// of its own the member of the entry it is a hard link of, in the order
/// given; returns the targets `entries` does not hold.
fn give_members(entries: &mut [Entry], links: &[(String, String)]) -> Vec<String> {
    let mut missing = Vec::new();
    for (p, target) in links {
        let member = match find(entries, target) {
            Some(t) => t.member.clone(),
            None => {
                missing.push(target.clone());
                None
            }
        };
        if let Ok(i) = entries.binary_search_by(|e| e.path.as_str().cmp(p))
            && let Some(e) = entries.get_mut(i)
            && e.member.is_none()
        {
            e.member = member;
        }
    }
    missing
}

/// The entry at `path` in a sorted list.
fn find<'a>(entries: &'a [Entry], path: &str) -> Option<&'a Entry> {
    entries
        .binary_search_by(|e| e.path.as_str().cmp(path))
        .ok()
        .and_then(|i| entries.get(i))
}

/// Entries gathered before the first compaction.
const COMPACT_FIRST: usize = 1 << 18;

/// The most distinct paths an archive snapshot holds (about 4 GiB of
/// entries); a larger `files.jsonl` is refused rather than exhausting memory.
pub const MAX_SNAPSHOT_RECORDS: usize = 16_000_000;

/// The longest `files.jsonl` line read; a longer one is reported and skipped
/// without being held in memory (a real record is at most a few KiB).
pub const MAX_RECORD_LINE_BYTES: usize = 1 << 20;

/// The most inflated `files.jsonl` bytes read (about 40 million records).
pub const MAX_RECORDS_BYTES: u64 = 16 << 30;

/// Lines that do not parse whose messages are kept (the rest are counted).
const BAD_LINES_KEPT: usize = 100;

/// What [`stream_records`] saw besides the records.
#[derive(Debug, Clone, Default)]
pub struct RecordStats {
    /// Lines read (empty ones included).
    pub lines: u64,
    /// The first lines that did not parse: (line number, why).
    pub bad: Vec<(u64, String)>,
    /// How many lines did not parse (or were too long), in all.
    pub bad_total: u64,
}

impl RecordStats {
    /// One message per kept bad line, and one for the rest.
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .bad
            .iter()
            .map(|(line, e)| format!("files.jsonl line {line} does not parse: {e}"))
            .collect();
        let more = self.bad_total.saturating_sub(self.bad.len() as u64);
        if more > 0 {
            out.push(format!(
                "… and {more} more files.jsonl lines that do not parse"
            ));
        }
        out
    }
}

/// Stream the records of an archive's `exhibit/files.jsonl` straight from
/// the inflater, one line at a time, into `visit` (which may stop early).
/// A line longer than [`MAX_RECORD_LINE_BYTES`] is skipped and reported, a
/// file larger than [`MAX_RECORDS_BYTES`] when inflated is an error: memory
/// stays bounded whatever the archive holds.
pub fn stream_records(
    archive: &Archive,
    mut visit: impl FnMut(FileRecord) -> ControlFlow<()>,
) -> Result<RecordStats, crate::archive::ArchiveError> {
    let mut stats = RecordStats::default();
    let bad = |stats: &mut RecordStats, n: u64, why: String| {
        stats.bad_total += 1;
        if stats.bad.len() < BAD_LINES_KEPT {
            stats.bad.push((n, why));
        }
    };
    stats.lines = stream_lines(archive, |n, line| {
        match line {
            Err(why) => bad(&mut stats, n, why),
            Ok([]) => {}
            Ok(line) => match serde_json::from_slice::<FileRecord>(line) {
                Ok(r) => return visit(r),
                Err(e) => bad(&mut stats, n, e.to_string()),
            },
        }
        ControlFlow::Continue(())
    })?;
    Ok(stats)
}

/// The lines of an archive's `exhibit/files.jsonl`, streamed as
/// [`stream_records`] reads them: `visit` gets each line's number and its
/// bytes without the newline, or why it was skipped (too long). Returns
/// how many lines were read.
pub fn stream_lines(
    archive: &Archive,
    mut visit: impl FnMut(u64, Result<&[u8], String>) -> ControlFlow<()>,
) -> Result<u64, crate::archive::ArchiveError> {
    use crate::archive::ArchiveError;
    use std::io::BufRead as _;
    let name = format!("{}/{}", archive.stem, crate::archive::FILES_JSONL);
    let err = |msg: String| ArchiveError::Format(msg, archive.path.clone());
    let member = archive
        .member(&name)
        .ok_or_else(|| err(format!("missing {name}")))?;
    if member.usize > MAX_RECORDS_BYTES {
        return Err(err(format!(
            "{name} is {} bytes, more than {MAX_RECORDS_BYTES}",
            member.usize
        )));
    }
    let reader = crate::archive::zipread::member_reader(&archive.file, member)
        .map_err(|e| err(format!("cannot read {name}: {e}")))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, reader.take(MAX_RECORDS_BYTES + 1));
    let mut lines = 0u64;
    let mut line: Vec<u8> = Vec::new();
    let mut too_long = false;
    let mut total = 0u64;
    loop {
        let buf = reader
            .fill_buf()
            .map_err(|e| err(format!("cannot read {name}: {e}")))?;
        let at_end = buf.is_empty();
        let (chunk, ends_line) = match memchr::memchr(b'\n', buf) {
            Some(i) => (buf.get(..i).unwrap_or_default(), true),
            None => (buf, at_end),
        };
        if !too_long {
            if line.len() + chunk.len() > MAX_RECORD_LINE_BYTES {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        let used = chunk.len() + usize::from(!at_end && ends_line);
        reader.consume(used);
        total += used as u64;
        if total > MAX_RECORDS_BYTES {
            return Err(err(format!(
                "{name} inflates to more than {MAX_RECORDS_BYTES} bytes"
            )));
        }
        if !ends_line {
            continue;
        }
        if at_end && line.is_empty() && !too_long {
            break;
        }
        lines += 1;
        let seen = if too_long {
            Err(format!(
                "longer than {MAX_RECORD_LINE_BYTES} bytes; skipped"
            ))
        } else {
            Ok(line.as_slice())
        };
        if visit(lines, seen).is_break() {
            return Ok(lines);
        }
        line.clear();
        if line.capacity() > 1 << 16 {
            line.shrink_to(1 << 16);
        }
        too_long = false;
        if at_end {
            break;
        }
    }
    Ok(lines)
}

fn sort_dedup(entries: &mut Vec<Entry>, problems: &mut Vec<String>) {
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let before = entries.len();
    entries.dedup_by(|b, a| a.path == b.path);
    if entries.len() != before {
        problems.push(format!(
            "{} duplicate path records ignored (first kept)",
            before - entries.len()
        ));
    }
}

fn open_read_only(p: &Path) -> std::io::Result<File> {
    crate::capture::sys::open_read_noatime(p)
}

fn entry_from_walk(w: &WalkItem, reasons: &mut Reasons) -> Option<Entry> {
    let kind = w.stat.kind?;
    let to_ns = |t: Option<(i64, u32)>| t.map(|(s, n)| s * 1_000_000_000 + i64::from(n));
    let (status, reason) = match &w.outcome {
        Some((s, r)) => (*s, Some(reasons.get(r))),
        None if kind == EntryType::File => (Status::Captured, None),
        None => (Status::Captured, None),
    };
    Some(Entry {
        path: String::from_utf8_lossy(&w.logical).into_owned(),
        kind,
        size: w.stat.size,
        mode: w.stat.mode & 0o7777,
        uid: w.stat.owner().map(|o| o.0),
        gid: w.stat.owner().map(|o| o.1),
        inode: w
            .stat
            .identity()
            .and_then(|i| std::num::NonZeroU64::new(i.0)),
        mtime_ns: to_ns(w.stat.mtime),
        ctime_ns: to_ns(w.stat.ctime),
        link_target: w
            .link_target
            .as_ref()
            .map(|t| String::from_utf8_lossy(t).into()),
        sha256: None,
        status,
        reason,
        member: None,
        capabilities: None,
    })
}

/// A file's SHA-256 and the bytes read, or why it could not be read.
type HashOutcome = Result<([u8; 32], u64), String>;

pub use crate::archive::capabilities::decode_capabilities;

fn read_capabilities(p: &Path) -> Option<String> {
    crate::capture::sys::capabilities(p)
}

fn hash_file(p: &Path) -> HashOutcome {
    let mut f = open_read_only(p).map_err(|e| format!("cannot open: {e}"))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| format!("cannot read: {e}"))?;
        if n == 0 {
            break;
        }
        h.update(buf.get(..n).unwrap_or_default());
        total += n as u64;
    }
    Ok((h.finalize().into(), total))
}

fn hash_directory_files(
    root: &Path,
    entries: &mut [Entry],
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<(), SnapshotError> {
    let todo: Vec<usize> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == EntryType::File && e.status == Status::Captured)
        .map(|(i, _)| i)
        .collect();
    let total = todo.len() as u64;
    let done = AtomicU64::new(0);
    let paths: Vec<PathBuf> = todo
        .iter()
        .filter_map(|&i| entries.get(i))
        .map(|e| walk::physical(Some(root), e.path.as_bytes()))
        .collect();
    let results = crate::job::par_map(
        &paths,
        crate::job::threads(0, 16),
        cancel,
        |p| {
            let r = (hash_file(p), read_capabilities(p));
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            if d.is_multiple_of(64) {
                progress.update(&Progress {
                    phase: "hashing",
                    files_done: d,
                    files_total: Some(total),
                    current: p.display().to_string(),
                    ..Progress::default()
                });
            }
            r
        },
        None,
    );
    if cancel.is_cancelled() {
        return Err(SnapshotError::Cancelled);
    }
    let mut results = results.into_iter();
    for &i in &todo {
        let r = results.next().flatten();
        let Some(e) = entries.get_mut(i) else {
            continue;
        };
        let r = r.map(|(h, caps)| {
            e.capabilities = caps.map(String::into_boxed_str);
            h
        });
        match r {
            Some(Ok((sha, n))) => {
                e.sha256 = Some(sha);
                if n != e.size {
                    e.status = Status::ChangedDuringRead;
                    e.reason = Some(format!("size was {} when listed, read {n}", e.size).into());
                    e.size = n;
                }
            }
            Some(Err(msg)) => {
                e.status = Status::Unreadable;
                e.reason = Some(msg.into());
            }
            None => {
                e.status = Status::Unreadable;
                e.reason = Some("not hashed".into());
            }
        }
    }
    Ok(())
}

/// Where a side of the comparison came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotInfo {
    pub label: String,
    pub kind: SnapshotKind,
    pub entries: u64,
    pub taken_at: Option<String>,
    /// Records that could not be read, files that could not be hashed.
    pub problems: Vec<String>,
}

impl SnapshotInfo {
    /// The summary of a snapshot.
    pub fn of(s: &Snapshot) -> Self {
        SnapshotInfo {
            label: s.label.clone(),
            kind: s.kind,
            entries: s.entry_count(),
            taken_at: s.taken_at_ns.map(format_time),
            problems: s.problems.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_reason_is_held_once_and_read_back_whole() {
        let mut r = Reasons::default();
        let a = r.get("metadata only (profile rule)");
        let b = r.get(&String::from("metadata only (profile rule)"));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*b, "metadata only (profile rule)");
        assert!(!Arc::ptr_eq(&a, &r.get("size_limit")));
        // Past the limit, a reason still reads back whole, unshared.
        for i in 0..Reasons::MAX + 10 {
            assert_eq!(&*r.get(&format!("reason {i}")), format!("reason {i}"));
        }
        assert_eq!(r.seen.len(), Reasons::MAX);
        assert_eq!(&*r.get("reason 5000"), "reason 5000");
    }

    /// An entry costs its fixed fields and its strings: a regression here
    /// is megabytes per million entries (README, Memory).
    #[test]
    fn an_entry_stays_compact() {
        assert!(
            std::mem::size_of::<Entry>() <= 192,
            "Entry is {} bytes",
            std::mem::size_of::<Entry>()
        );
    }

    fn opt(s: impl Strategy<Value = String>) -> impl Strategy<Value = Option<String>> {
        proptest::option::of(s)
    }

    proptest! {
        /// Every field the comparison and the detectors read comes out of
        /// a record as the record says it.
        #[test]
        fn an_entry_keeps_what_its_record_says(
            path in "/[a-z/ .é]{0,40}",
            kind in prop::sample::select(vec!["file", "dir", "symlink", "fifo"]),
            size in any::<u64>(),
            mode in 0u32..0o10000,
            uid in proptest::option::of(any::<u32>()),
            gid in proptest::option::of(any::<u32>()),
            inode in proptest::option::of(any::<u64>()),
            nlink in proptest::option::of(any::<u64>()),
            mtime in opt(Just("2026-12-03T23:10:56.858690553Z".to_string())),
            ctime in opt(Just("1999-01-02T03:04:05Z".to_string())),
            link_target in opt("[ -~]{0,30}".prop_map(String::from)),
            sha256 in opt("[0-9a-f]{64}".prop_map(String::from)),
            status in prop::sample::select(vec!["captured", "metadata_only", "skipped", "unreadable"]),
            reason in opt(prop::sample::select(vec!["metadata only (profile rule)", "size_limit", "excluded"]).prop_map(String::from)),
            member in opt("[a-z_/]{1,40}".prop_map(String::from)),
            capabilities in opt(Just("cap_setuid=ep".to_string())),
        ) {
            let json = serde_json::json!({
                "path": path, "type": kind, "size": size, "mode": format!("{mode:04o}"),
                "uid": uid, "gid": gid, "inode": inode, "dev": 1, "nlink": nlink,
                "mtime": mtime, "ctime": ctime, "link_target": link_target,
                "sha256": sha256, "status": status, "reason": reason,
                "member": member, "capabilities": capabilities,
            });
            let rec: FileRecord = serde_json::from_value(json).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut reasons = Reasons::default();
            let e = Entry::from_record(rec.clone(), &mut reasons);
            prop_assert_eq!(&e.path, &rec.path);
            prop_assert_eq!(e.kind, rec.kind);
            prop_assert_eq!(e.size, rec.size);
            prop_assert_eq!(e.mode, mode);
            prop_assert_eq!((e.uid, e.gid, e.inode), (uid, gid, inode.and_then(std::num::NonZeroU64::new)));
            prop_assert_eq!(e.mtime_ns, rec.mtime.as_deref().and_then(parse_time));
            prop_assert_eq!(e.ctime_ns.is_some(), rec.ctime.is_some());
            prop_assert_eq!(e.link_target.as_deref(), rec.link_target.as_deref());
            prop_assert_eq!(e.sha256_hex(), rec.sha256.clone());
            prop_assert_eq!(e.status, rec.status);
            prop_assert_eq!(e.reason.as_deref(), rec.reason.as_deref());
            prop_assert_eq!(e.member.as_deref(), rec.member.as_deref());
            prop_assert_eq!(e.capabilities.as_deref(), rec.capabilities.as_deref());
        }
    }
}
