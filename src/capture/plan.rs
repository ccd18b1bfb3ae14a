//! Capture planning: turn the walk's items into the capture's records and
//! decide, for each, what the readers must do.
//!
//! Every walk item becomes one [`FileRecord`] holding its metadata, and one
//! [`Plan`]: nothing more to do, read the file (store and/or hash it), or
//! share the result of an earlier name of the same hard-linked file. This is
//! also where payload member names are given out ([`MemberNames`]: the
//! `<stem>/data/…` name of [`archive::payload_member`], `~N` appended until
//! it is unique, refused as [`NAME_TOO_LONG`] when it cannot be a ZIP member
//! name), and where the readers' outcomes are folded back into the records.
//! Nothing here reads a file or writes the archive.

use super::acquire::{FileJob, FileOutcome};
use super::select::Selection;
use super::walk::{self, WalkItem};
use super::{NAME_TOO_LONG, accounts};
use crate::archive::record::FileRecord;
use crate::archive::zipwrite::EntryMeta;
use crate::archive::{self, EntryType, Status, names};
use std::collections::{HashMap, HashSet};
use std::path::Path;

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
        let mut name = base.clone();
        let mut n = 1;
        while !self.used.insert(name.clone()) {
            n += 1;
            name = format!("{base}~{n}");
        }
        Some(name)
    }
}

/// The records and plans of one capture, index for index with the walk.
pub(super) struct Planned {
    pub records: Vec<FileRecord>,
    pub plans: Vec<Plan>,
    /// Member names given out; a late read of a hard link claims one more.
    pub members: MemberNames,
    /// Files to read and their bytes (for progress).
    pub files_total: u64,
    pub bytes_total: u64,
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
            uid: st.uid,
            gid: st.gid,
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
        uid: st.uid,
        gid: st.gid,
        user: acc.users.get(&st.uid).cloned(),
        group: acc.groups.get(&st.gid).cloned(),
        inode: st.ino,
        dev: st.dev,
        nlink: st.nlink,
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

/// Plan the capture of the walk's `items` into the archive named `stem`.
pub(super) fn plan(
    items: &[WalkItem],
    acc: &accounts::Accounts,
    stem: &str,
    root: Option<&Path>,
) -> Planned {
    let mut planner = Planner {
        root,
        planned: Planned {
            records: Vec::with_capacity(items.len()),
            plans: Vec::with_capacity(items.len()),
            members: MemberNames::new(stem),
            files_total: 0,
            bytes_total: 0,
        },
        inodes: HashMap::new(),
    };
    for (i, item) in items.iter().enumerate() {
        let mut rec = base_record(item, acc);
        let plan = planner.plan_item(i, item, &mut rec);
        planner.planned.records.push(rec);
        planner.planned.plans.push(plan);
    }
    planner.planned
}

struct Planner<'a> {
    root: Option<&'a Path>,
    planned: Planned,
    /// (dev, inode) of a hard-linked file -> (index of its first name read,
    /// whether that name stores the content).
    inodes: HashMap<(u64, u64), (usize, bool)>,
}

impl Planner<'_> {
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
            && let Some(&(first, first_stored)) = self.inodes.get(&key)
            && (first_stored || !store)
        {
            rec.hardlink_of = Some(self.planned.records[first].path.clone());
            // Its own job, without a member name: named only if used.
            let job = file_job(i, item, self.root, store.then(String::new));
            return Plan::Alias(first, Box::new(job));
        }
        let member = if store {
            let Some(name) = self.planned.members.claim(&rec.path) else {
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
            self.inodes.insert(key, (i, store));
        }
        self.planned.files_total += 1;
        self.planned.bytes_total += item.stat.size;
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

/// Hard-link aliases share their first name's result.
pub(super) fn share_hard_link_results(planned: &mut Planned) {
    let records = &mut planned.records;
    for (i, plan) in planned.plans.iter().enumerate() {
        if let Plan::Alias(first, _) = *plan {
            let (sha, member, status, reason) = {
                let f = &records[first];
                (
                    f.sha256.clone(),
                    f.member.clone(),
                    f.status,
                    f.reason.clone(),
                )
            };
            let r = &mut records[i];
            r.sha256 = sha;
            r.member = member;
            if r.status != Status::MetadataOnly {
                r.status = status;
                r.reason = reason;
            }
        }
    }
}
