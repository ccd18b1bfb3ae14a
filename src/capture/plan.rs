//! Capture planning: turn the walk's items into the capture's records and
//! decide, for each, what the readers must do.
//!
//! Every walk item becomes one [`FileRecord`] holding its metadata, and one
//! [`Plan`]: nothing more to do, read the file (store and/or hash it), or
//! share the result of an earlier name of the same hard-linked file. Items
//! are planned one at a time as the walk finds them ([`Planner`]), so the
//! planner keeps nothing per entry but what hard links and colliding
//! member names need. This is also where payload member names are given
//! out ([`MemberNames`]: the `<stem>/data/…` name of
//! [`archive::payload_member`], `~N` appended until it is unique, refused
//! as [`NAME_TOO_LONG`] when it cannot be a ZIP member name), where the
//! files to read wait for the readers ([`PendingReads`]) and where the
//! readers' outcomes are folded back into the records. Nothing here reads
//! a file or writes the archive.

use super::acquire::{FileJob, FileOutcome};
use super::select::Selection;
use super::walk::{self, WalkItem};
use super::{NAME_TOO_LONG, accounts};
use crate::archive::record::FileRecord;
use crate::archive::spill::{self, Spill, SpillWriter};
use crate::archive::zipwrite::EntryMeta;
use crate::archive::{self, EntryType, Status, names};
use std::collections::{HashMap, HashSet};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The longest payload member name given out: a ZIP member name has at
/// most 65,535 bytes, and `~N` may still be appended.
const MAX_MEMBER_NAME: usize = 65_000;

/// What the planner decided for one walk item.
pub(super) enum Plan {
    /// Nothing to read: the record is final.
    Done,
    /// Read it (store and/or hash).
    Read(FileJob),
    /// A further name of a hard-linked file read under another index; the
    /// job reads it under this name if the first name vanished unread.
    Alias(usize, Box<FileJob>),
}

/// The payload member names given out so far in one archive.
///
/// Only names holding a `%` are remembered: a name without one comes from
/// a path without `%`, `\` or bytes that are not UTF-8, which
/// [`archive::payload_member`] keeps as they are, so it cannot equal the
/// name of another path (the walk meets every path once), and every name
/// given a `~N` suffix holds a `%`. Memory grows with those names only.
pub(super) struct MemberNames {
    stem: String,
    used: HashSet<String>,
}

impl MemberNames {
    pub(super) fn new(stem: &str) -> Self {
        Self {
            stem: stem.to_string(),
            used: HashSet::new(),
        }
    }

    /// A new, unique member name for the content of logical `path`: its
    /// payload member name, with `~2`, `~3`… appended if that is taken.
    /// `None` if the name is too long for a ZIP member.
    pub(super) fn claim(&mut self, path: &str) -> Option<String> {
        let base = archive::payload_member(&self.stem, path);
        if base.len() > MAX_MEMBER_NAME {
            return None;
        }
        if !base.contains('%') {
            return Some(base);
        }
        let mut name = base.clone();
        let mut n = 1;
        while !self.used.insert(name.clone()) {
            n += 1;
            name = format!("{base}~{n}");
        }
        Some(name)
    }
}

/// The job that reads `item`, stored under `member` (`None`: hash only).
pub(super) fn file_job(
    index: usize,
    item: &WalkItem,
    root: Option<&Path>,
    member: Option<String>,
) -> FileJob {
    let st = &item.stat;
    FileJob {
        index,
        physical: walk::physical(root, &item.logical),
        logical: item.logical.clone(),
        member: member.map(|name| EntryMeta {
            name,
            mode: st.mode & 0o7777,
            mtime: st.mtime.map(|t| t.0).unwrap_or(0),
            atime: st.atime.map(|t| t.0).unwrap_or(0),
            owner: st.owner(),
        }),
        walk_dev: st.dev,
        walk_ino: st.ino,
        walk_size: st.size,
        walk_mtime: st.mtime,
        walk_ctime: st.ctime,
    }
}

fn rfc3339(t: Option<walk::Time>) -> Option<String> {
    t.and_then(|(s, n)| chrono::DateTime::from_timestamp(s, n))
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
}

/// The record of `item` as the walk saw it: metadata, nothing read yet.
fn base_record(item: &WalkItem, acc: &accounts::Accounts) -> FileRecord {
    let (path, path_bytes_b64) = names::path_fields(&item.logical);
    let (link_target, link_target_bytes_b64) = match &item.link_target {
        Some(t) => {
            let (s, b) = names::path_fields(t);
            (Some(s), b)
        }
        None => (None, None),
    };
    let st = &item.stat;
    FileRecord {
        path,
        path_bytes_b64,
        kind: st.kind.unwrap_or(EntryType::File),
        size: st.size,
        mode: format!("{:04o}", st.mode & 0o7777),
        uid: st.owner().map(|o| o.0),
        gid: st.owner().map(|o| o.1),
        user: st.owner().and_then(|(u, _)| acc.users.get(&u).cloned()),
        group: st.owner().and_then(|(_, g)| acc.groups.get(&g).cloned()),
        inode: st.identity().map(|i| i.0),
        dev: st.identity().map(|i| i.1),
        nlink: st.identity().map(|i| i.2),
        atime: rfc3339(st.atime),
        mtime: rfc3339(st.mtime),
        ctime: rfc3339(st.ctime),
        btime: rfc3339(st.btime),
        link_target,
        link_target_bytes_b64,
        sha256: None,
        member: None,
        hardlink_of: None,
        status: Status::Captured,
        reason: None,
        change: None,
        size_limit: None,
        rule: None,
        flags: Vec::new(),
        capabilities: st.capabilities.clone(),
        streams: st.streams.clone(),
    }
}

/// Plans the walk's items one at a time, in walk order.
pub(super) struct Planner<'a> {
    root: Option<&'a Path>,
    acc: &'a accounts::Accounts,
    /// Member names given out; a late read of a hard link claims one more.
    pub members: MemberNames,
    /// Files to read and their bytes (for progress).
    pub files_total: u64,
    pub bytes_total: u64,
    /// (dev, inode) of a hard-linked file -> (index of its first name read,
    /// whether that name stores the content, its path).
    inodes: HashMap<(u64, u64), (usize, bool, String)>,
}

impl<'a> Planner<'a> {
    /// A planner for the archive named `stem` of the target at `root`
    /// (`None`: the running system), owners named from `acc`.
    pub(super) fn new(stem: &str, root: Option<&'a Path>, acc: &'a accounts::Accounts) -> Self {
        Self {
            root,
            acc,
            members: MemberNames::new(stem),
            files_total: 0,
            bytes_total: 0,
            inodes: HashMap::new(),
        }
    }

    /// The record of walk item `i` and what to do with it.
    pub(super) fn plan(&mut self, i: usize, item: &WalkItem) -> (FileRecord, Plan) {
        let mut rec = base_record(item, self.acc);
        let plan = self.plan_item(i, item, &mut rec);
        (rec, plan)
    }

    /// Complete `rec` with what the walk and the selection say, and decide
    /// what to read for item `i`.
    fn plan_item(&mut self, i: usize, item: &WalkItem, rec: &mut FileRecord) -> Plan {
        match &item.selection {
            Selection::Content { rule, flags, .. } => {
                rec.rule = rule.clone();
                rec.flags = flags.clone();
            }
            Selection::MetadataOnly { rule, .. } => rec.rule = rule.clone(),
            _ => {}
        }
        if let Some((status, reason)) = &item.outcome {
            rec.status = *status;
            rec.reason = Some(reason.clone());
            return Plan::Done;
        }
        if let Selection::Excluded(why) = &item.selection {
            rec.status = Status::Skipped;
            rec.reason = Some(format!("excluded: {why}"));
            return Plan::Done;
        }
        match item.stat.kind {
            Some(EntryType::File) => return self.plan_file(i, item, rec),
            Some(EntryType::Fifo | EntryType::Socket | EntryType::Block | EntryType::Char) => {
                rec.status = Status::Skipped;
                rec.reason =
                    Some("special_file: FIFOs, sockets and devices are never opened".into());
            }
            Some(_) => {
                if let Selection::MetadataOnly { .. } = item.selection {
                    rec.status = Status::Captured;
                }
            }
            None => {
                rec.status = Status::Skipped;
                rec.reason = Some(format!(
                    "special_file: unknown file type (mode {:o})",
                    item.stat.mode
                ));
            }
        }
        Plan::Done
    }

    /// A regular file: store and/or hash it as selected, or share the
    /// result of an earlier name of the same hard-linked file.
    fn plan_file(&mut self, i: usize, item: &WalkItem, rec: &mut FileRecord) -> Plan {
        let (store, hash) = match &item.selection {
            Selection::Content {
                size_limit: Some(limit),
                ..
            } if item.stat.size > *limit => {
                rec.status = Status::Skipped;
                rec.reason = Some(format!(
                    "size_limit: {} bytes is over the limit of {limit}",
                    item.stat.size
                ));
                rec.size_limit = Some(*limit);
                (false, false)
            }
            Selection::Content { size_limit, .. } => {
                rec.size_limit = *size_limit;
                (true, true)
            }
            Selection::MetadataOnly { hash, .. } => {
                rec.status = Status::MetadataOnly;
                rec.reason = Some("metadata only (profile rule)".into());
                (false, *hash)
            }
            _ => (false, false),
        };
        if !(store || hash) {
            return Plan::Done;
        }
        let key = (item.stat.dev, item.stat.ino);
        // A name that must store the content cannot share the result of a
        // name that was only hashed.
        if item.stat.nlink > 1
            && let Some((first, first_stored, first_path)) = self.inodes.get(&key)
            && (*first_stored || !store)
        {
            let first = *first;
            rec.hardlink_of = Some(first_path.clone());
            // Its own job, without a member name: named only if used.
            let job = file_job(i, item, self.root, store.then(String::new));
            return Plan::Alias(first, Box::new(job));
        }
        let member = if store {
            let Some(name) = self.members.claim(&rec.path) else {
                rec.status = Status::Skipped;
                rec.reason = Some(format!(
                    "{NAME_TOO_LONG}: {} bytes is too long for a ZIP member name; content not stored",
                    rec.path.len()
                ));
                return Plan::Done;
            };
            Some(name)
        } else {
            None
        };
        if item.stat.nlink > 1 {
            self.inodes.insert(key, (i, store, rec.path.clone()));
        }
        self.files_total += 1;
        self.bytes_total += item.stat.size;
        Plan::Read(file_job(i, item, self.root, member))
    }
}

/// Fold a reader's outcome into the record it was planned for; `member` is
/// the member name the content was stored under, if it was.
pub(super) fn record_outcome(rec: &mut FileRecord, o: FileOutcome, member: Option<String>) {
    if o.stored {
        rec.member = member;
    }
    rec.sha256 = o.sha256;
    // A metadata-only record stays so when its hash was taken.
    if rec.status != Status::MetadataOnly || !matches!(o.status, Status::Captured) {
        rec.status = o.status;
        if o.reason.is_some() {
            rec.reason = o.reason;
        }
    }
    rec.change = o.change;
}

/// What later names of a hard-linked file need of the name whose result
/// they share.
#[derive(Debug, Clone)]
pub(super) struct First {
    pub status: Status,
    pub reason: Option<String>,
    pub sha256: Option<String>,
    pub member: Option<String>,
}

impl First {
    pub(super) fn of(rec: &FileRecord) -> Self {
        Self {
            status: rec.status,
            reason: rec.reason.clone(),
            sha256: rec.sha256.clone(),
            member: rec.member.clone(),
        }
    }
}

/// A further name of a hard-linked file (a [`Plan::Alias`]), kept until
/// every file was read: the walk item's index, the index of the name whose
/// result it shares, its own job and its record.
pub(super) struct Alias {
    pub index: usize,
    pub first: usize,
    pub job: Box<FileJob>,
    pub rec: FileRecord,
    /// Read under its own name (its first name vanished): no longer shares.
    pub done: bool,
}

/// Give `alias` the result of its first name (`first`).
pub(super) fn share_result(alias: &mut Alias, first: &First) {
    let r = &mut alias.rec;
    r.sha256 = first.sha256.clone();
    r.member = first.member.clone();
    if r.status != Status::MetadataOnly {
        r.status = first.status;
        r.reason = first.reason.clone();
    }
}

/// The files planned for reading, each job with its record, waiting in a
/// [`Spill`] in walk order until the readers take them.
pub(super) struct PendingReads {
    out: SpillWriter,
    count: u64,
    buf: Vec<u8>,
}

impl PendingReads {
    pub(super) fn new(spill: &Spill) -> io::Result<Self> {
        Ok(Self {
            out: spill.writer()?,
            count: 0,
            buf: Vec::new(),
        })
    }

    /// Jobs added so far.
    pub(super) fn len(&self) -> u64 {
        self.count
    }

    pub(super) fn push(&mut self, job: &FileJob, rec: &FileRecord) -> io::Result<()> {
        let b = &mut self.buf;
        b.clear();
        b.extend_from_slice(&(job.index as u64).to_le_bytes());
        spill::put_bytes(b, &job.logical)?;
        match &job.member {
            None => b.push(0),
            Some(m) => {
                b.push(1);
                spill::put_bytes(b, m.name.as_bytes())?;
                b.extend_from_slice(&m.mode.to_le_bytes());
                b.extend_from_slice(&m.mtime.to_le_bytes());
                b.extend_from_slice(&m.atime.to_le_bytes());
                match m.owner {
                    None => b.push(0),
                    Some((uid, gid)) => {
                        b.push(1);
                        b.extend_from_slice(&uid.to_le_bytes());
                        b.extend_from_slice(&gid.to_le_bytes());
                    }
                }
            }
        }
        for v in [job.walk_dev, job.walk_ino, job.walk_size] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        for t in [job.walk_mtime, job.walk_ctime] {
            match t {
                None => b.push(0),
                Some((s, n)) => {
                    b.push(1);
                    b.extend_from_slice(&s.to_le_bytes());
                    b.extend_from_slice(&n.to_le_bytes());
                }
            }
        }
        spill::put_bytes(b, &serde_json::to_vec(rec).map_err(io::Error::other)?)?;
        spill::put_bytes(&mut self.out, b)?;
        self.count += 1;
        Ok(())
    }

    /// Done adding: the jobs to read back, in the order they were added.
    pub(super) fn finish(self, root: Option<&Path>) -> io::Result<PendingJobs> {
        Ok(PendingJobs {
            r: self.out.finish()?.reader()?,
            root: root.map(Path::to_path_buf),
            buf: Vec::new(),
        })
    }
}

/// The jobs of [`PendingReads`], read back one at a time.
pub(super) struct PendingJobs {
    r: Box<dyn Read + Send>,
    root: Option<PathBuf>,
    buf: Vec<u8>,
}

fn take<const N: usize>(b: &mut &[u8]) -> io::Result<[u8; N]> {
    let (head, rest) = b.split_at_checked(N).ok_or_else(cut_short)?;
    *b = rest;
    head.try_into().map_err(|_| cut_short())
}

fn cut_short() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "a spilled job is cut short")
}

fn take_bytes(b: &mut &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    if spill::get_bytes(b, &mut out)? {
        Ok(out)
    } else {
        Err(cut_short())
    }
}

fn take_time(b: &mut &[u8]) -> io::Result<Option<walk::Time>> {
    Ok(match take::<1>(b)? {
        [0] => None,
        _ => Some((i64::from_le_bytes(take(b)?), u32::from_le_bytes(take(b)?))),
    })
}

impl PendingJobs {
    /// The next job and its record, `None` after the last.
    pub(super) fn next(&mut self) -> io::Result<Option<(FileJob, Box<FileRecord>)>> {
        if !spill::get_bytes(&mut self.r, &mut self.buf)? {
            return Ok(None);
        }
        let b = &mut self.buf.as_slice();
        let index = u64::from_le_bytes(take(b)?) as usize;
        let logical = take_bytes(b)?;
        let member = match take::<1>(b)? {
            [0] => None,
            _ => Some(EntryMeta {
                name: String::from_utf8(take_bytes(b)?).map_err(io::Error::other)?,
                mode: u32::from_le_bytes(take(b)?),
                mtime: i64::from_le_bytes(take(b)?),
                atime: i64::from_le_bytes(take(b)?),
                owner: match take::<1>(b)? {
                    [0] => None,
                    _ => Some((u32::from_le_bytes(take(b)?), u32::from_le_bytes(take(b)?))),
                },
            }),
        };
        let walk_dev = u64::from_le_bytes(take(b)?);
        let walk_ino = u64::from_le_bytes(take(b)?);
        let walk_size = u64::from_le_bytes(take(b)?);
        let walk_mtime = take_time(b)?;
        let walk_ctime = take_time(b)?;
        let rec: FileRecord = serde_json::from_slice(&take_bytes(b)?).map_err(io::Error::other)?;
        let job = FileJob {
            index,
            physical: walk::physical(self.root.as_deref(), &logical),
            logical,
            member,
            walk_dev,
            walk_ino,
            walk_size,
            walk_mtime,
            walk_ctime,
        };
        Ok(Some((job, Box::new(rec))))
    }
}
