//! Capture: snapshot files into a hashed, timestamped evidence archive.
//!
//! [`capture`] takes a validated [`CaptureRequest`] and runs the pipeline:
//! walk the sources once (recording every entry), then read the regular files
//! on all cores (hash + compress in one pass) while a writer thread lays out
//! the ZIP, then write the tag files (records, bodyfile, acquisition, BagIt
//! manifests), seal, and start the custody log. The archive is written as
//! `<stem>.zip.partial` and renamed only once complete and synced, so an
//! interrupted capture never leaves a file that looks complete.

pub mod accounts;
pub mod acquire;
pub mod atime;
pub mod compress;
pub mod fstype;
pub mod host;
pub mod live;
pub mod profile;
pub mod select;
pub mod sink;
pub mod target;
pub mod walk;

use crate::archive::acquisition::{
    Acquisition, AcquisitionError, CaseInfo, Counts, Examiner, Method,
};
use crate::archive::record::FileRecord;
use crate::archive::zipspec::METHOD_DEFLATED;
use crate::archive::zipwrite::EntryMeta;
use crate::archive::{self, EntryType, Status, bagit, bodyfile, names};
use crate::custody;
use crate::job::{CancelToken, Progress, ProgressSink};
use acquire::{Acquirer, FileJob, FileOutcome};
use select::{Everything, Selection, Selector};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use walk::{WalkItem, WalkOptions};

/// How payload content is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Deflate where it pays (per file), at this level (1-9).
    Deflate(u32),
    /// Store everything uncompressed (fastest, largest).
    Store,
}

impl Default for Compression {
    fn default() -> Self {
        Compression::Deflate(DEFAULT_LEVEL)
    }
}

/// Default deflate level: level 2 compresses as well as `zip -6` on logs at
/// several times the speed of level 6.
pub const DEFAULT_LEVEL: u32 = 2;

/// Reason prefix of a file whose path is too long for a ZIP member name:
/// recorded `skipped`, and counted as a problem (its content is missing).
pub const NAME_TOO_LONG: &str = "name_too_long";

/// The most reader threads a capture starts, whatever it is asked for.
pub const MAX_THREADS: usize = 64;

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

/// Reader threads a capture asked for `requested` threads uses: one per
/// core for 0, else `requested`, at most four per core and at most
/// [`MAX_THREADS`] (each holds buffers and compressors; reading is bound by
/// the disk long before that).
pub fn reader_threads(requested: usize) -> usize {
    let max = cores().saturating_mul(4).clamp(1, MAX_THREADS);
    match requested {
        0 => cores().clamp(1, MAX_THREADS),
        n => n.min(max),
    }
}

/// Which front end asked for the capture (recorded in the acquisition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interface {
    Cli { command_line: Vec<String> },
    Gui,
}

/// Everything a capture needs, validated by the caller (CLI or GUI).
pub struct CaptureRequest {
    /// Paths to capture. With `root`, logical paths inside the root
    /// (`/etc`); without, local paths. Empty with a root means the whole root.
    pub sources: Vec<PathBuf>,
    /// A mounted image or copied tree whose `/` is this directory.
    pub root: Option<PathBuf>,
    /// Decides what is taken; `None` takes everything below the sources.
    pub selector: Option<Arc<dyn Selector>>,
    pub out_dir: PathBuf,
    pub case: CaseInfo,
    pub examiner: Examiner,
    pub interface: Interface,
    pub compression: Compression,
    /// Worker threads; 0 = one per core. More than [`reader_threads`]
    /// allows is reduced to that.
    pub threads: usize,
    pub all_filesystems: bool,
    pub one_file_system: bool,
    /// Signs the custody events written at the end.
    pub signer: Option<Arc<custody::Signer>>,
    /// Where the acquisition took place (free text for the custody log).
    pub location: Option<String>,
    /// Extra tag files (name under `exhibit/`, content), e.g. live response.
    pub extra_tags: Vec<(String, Vec<u8>)>,
}

impl CaptureRequest {
    /// A request with defaults for everything but the essentials.
    pub fn new(sources: Vec<PathBuf>, out_dir: PathBuf, case_id: &str, examiner: &str) -> Self {
        Self {
            sources,
            root: None,
            selector: None,
            out_dir,
            case: CaseInfo {
                case_id: case_id.to_string(),
                evidence_id: String::new(),
                purpose: None,
                description: None,
            },
            examiner: Examiner {
                name: examiner.to_string(),
                organisation: None,
                contact: None,
                timezone: local_timezone(),
            },
            interface: Interface::Gui,
            compression: Compression::default(),
            threads: 0,
            all_filesystems: false,
            one_file_system: false,
            signer: None,
            location: None,
            extra_tags: Vec::new(),
        }
    }
}

/// What a finished capture produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaptureSummary {
    pub archive: PathBuf,
    pub sha256: String,
    /// Regular files whose content is in the archive.
    pub files: u64,
    /// Payload bytes stored (uncompressed).
    pub bytes: u64,
    /// Entries that could not be captured completely, with reasons.
    pub errors: Vec<AcquisitionError>,
    pub custody_log: PathBuf,
    pub archive_bytes: u64,
    pub entries: u64,
    pub stem: String,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("source does not exist or cannot be examined: {1}: {0}")]
    Source(std::io::Error, PathBuf),
    #[error("cannot create the archive: {0}: {1}")]
    Create(std::io::Error, PathBuf),
    #[error(
        "writing the archive failed ({0}); the incomplete archive was left as {1} and must not be used as evidence"
    )]
    Write(std::io::Error, PathBuf),
    #[error(
        "capture cancelled; the incomplete archive was left as {0} and must not be used as evidence"
    )]
    Cancelled(PathBuf),
    #[error("the archive was sealed but its custody log could not be started: {0}")]
    Custody(#[from] custody::CustodyError),
}

/// The examiner's time zone: `$TZ`, `/etc/timezone`, the `/etc/localtime`
/// link, or `UTC`.
pub fn local_timezone() -> String {
    if let Ok(tz) = std::env::var("TZ")
        && !tz.trim().is_empty()
    {
        return tz.trim().trim_start_matches(':').to_string();
    }
    // On a live capture these are files of the examined system too: read
    // like the target's own (regular file, `O_NOATIME`, capped), the link's
    // access time noted for its record.
    if let Ok(tz) = target::read(Path::new("/"), "/etc/timezone", 4096)
        && !tz.truncated
        && !tz.text().trim().is_empty()
    {
        return tz.text().trim().to_string();
    }
    let localtime = Path::new("/etc/localtime");
    let before = std::fs::symlink_metadata(localtime);
    let link = std::fs::read_link(localtime);
    if let Ok(before) = &before {
        atime::note_path(localtime, before);
    }
    if let Ok(link) = link {
        let s = link.to_string_lossy();
        if let Some((_, zone)) = s.split_once("zoneinfo/") {
            return zone.to_string();
        }
    }
    "UTC".to_string()
}

fn rfc3339(t: Option<walk::Time>) -> Option<String> {
    t.and_then(|(s, n)| chrono::DateTime::from_timestamp(s, n))
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
}

/// The archive stem: `<case>_<evidence>_<host>_<YYYYMMDDTHHMMSSZ>`.
pub fn make_stem(
    case: &str,
    evidence: &str,
    host: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> String {
    format!(
        "{}_{}_{}_{}",
        names::safe_component(case),
        names::safe_component(evidence),
        names::safe_component(host),
        at.format("%Y%m%dT%H%M%SZ")
    )
}

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
    }
}

/// What the dispatcher decided for one walk item.
enum Plan {
    /// Nothing to read: the record is final.
    Done,
    /// Read it (store and/or hash).
    Read(FileJob),
    /// A further name of a hard-linked file read under another index; the
    /// job reads it under this name if the first name vanished unread.
    Alias(usize, Box<FileJob>),
}

/// Run a capture. Progress goes to `progress`; `cancel` stops it cleanly.
pub fn capture(
    req: &CaptureRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<CaptureSummary, CaptureError> {
    let started = chrono::Utc::now();
    if req.case.case_id.trim().is_empty() {
        return Err(CaptureError::Invalid("a case id is required".into()));
    }
    if req.examiner.name.trim().is_empty() {
        return Err(CaptureError::Invalid("an examiner name is required".into()));
    }
    let root = match &req.root {
        Some(r) => {
            let c = std::fs::canonicalize(r).map_err(|e| CaptureError::Source(e, r.clone()))?;
            if !c.is_dir() {
                return Err(CaptureError::Invalid(format!(
                    "--root is not a directory: {}",
                    r.display()
                )));
            }
            Some(c)
        }
        None => None,
    };
    let selector: Arc<dyn Selector> = req.selector.clone().unwrap_or_else(|| Arc::new(Everything));

    // Start points as logical paths.
    let mut starts: Vec<Vec<u8>> = Vec::new();
    let requested: Vec<PathBuf> = match (&root, req.sources.is_empty(), selector.start_points()) {
        (_, _, Some(points)) if req.sources.is_empty() => points
            .into_iter()
            .map(|p| PathBuf::from(std::ffi::OsStr::from_bytes(&p)))
            .collect(),
        (Some(_), true, _) => vec![PathBuf::from("/")],
        (None, true, _) => {
            return Err(CaptureError::Invalid(
                "nothing to capture: give at least one path".into(),
            ));
        }
        _ => req.sources.clone(),
    };
    let explicit = !req.sources.is_empty();
    for src in &requested {
        let logical = match &root {
            Some(r) => {
                let l = src.as_os_str().as_bytes();
                let l = if l.starts_with(b"/") {
                    l.to_vec()
                } else {
                    [b"/".as_slice(), l].concat()
                };
                walk::resolve_in_root(r, &l, false)
                    .map_err(|e| CaptureError::Source(e, src.clone()))?
            }
            None => {
                // Resolve the parent (the user typed it), never the final component.
                let abs =
                    std::path::absolute(src).map_err(|e| CaptureError::Source(e, src.clone()))?;
                let parent = abs
                    .parent()
                    .map(std::fs::canonicalize)
                    .transpose()
                    .map_err(|e| CaptureError::Source(e, src.clone()))?;
                match (parent, abs.file_name()) {
                    (Some(p), Some(name)) => p.join(name).as_os_str().as_bytes().to_vec(),
                    // `/` or a path ending in `..` (which `absolute` keeps):
                    // a directory the user named; resolve it.
                    _ => std::fs::canonicalize(&abs)
                        .map_err(|e| CaptureError::Source(e, src.clone()))?
                        .as_os_str()
                        .as_bytes()
                        .to_vec(),
                }
            }
        };
        if explicit {
            let phys = walk::physical(root.as_deref(), &logical);
            std::fs::symlink_metadata(&phys).map_err(|e| CaptureError::Source(e, src.clone()))?;
        }
        if !starts.contains(&logical) {
            starts.push(logical);
        }
    }
    // A start inside another start would be walked twice.
    starts.sort();
    let mut deduped: Vec<Vec<u8>> = Vec::new();
    for s in starts {
        let covered = deduped
            .iter()
            .any(|d| d.as_slice() == b"/" || s.starts_with(d) && s.get(d.len()) == Some(&b'/'));
        if !covered {
            deduped.push(s);
        }
    }
    let starts = deduped;

    let host::HostRead {
        info: host,
        refused: host_refused,
    } = host::host_info(root.as_deref());
    // An image without a readable hostname is not named after the
    // examiner's own machine.
    let host_name = match (&host.hostname, &root) {
        (Some(h), _) => h.clone(),
        (None, Some(_)) => "unknown".to_string(),
        (None, None) => host::local_hostname(),
    };
    let evidence_id = if req.case.evidence_id.trim().is_empty() {
        "E01".to_string()
    } else {
        req.case.evidence_id.clone()
    };
    let stem = make_stem(&req.case.case_id, &evidence_id, &host_name, started);
    std::fs::create_dir_all(&req.out_dir)
        .map_err(|e| CaptureError::Create(e, req.out_dir.clone()))?;
    let out_dir = std::fs::canonicalize(&req.out_dir)
        .map_err(|e| CaptureError::Create(e, req.out_dir.clone()))?;
    let final_path = out_dir.join(format!("{stem}.zip"));
    let partial = out_dir.join(format!("{stem}.zip.partial"));
    if final_path.exists() {
        return Err(CaptureError::Create(
            std::io::Error::new(std::io::ErrorKind::AlreadyExists, "archive already exists"),
            final_path,
        ));
    }
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .map_err(|e| CaptureError::Create(e, partial.clone()))?;
    let out_meta = file
        .metadata()
        .map_err(|e| CaptureError::Create(e, partial.clone()))?;
    let exclude = vec![(out_meta.dev(), out_meta.ino())];
    let acc = accounts::Accounts::load(root.as_deref().unwrap_or(Path::new("/")));

    // 1. Walk.
    let mut prog = Progress {
        phase: "walking",
        ..Progress::default()
    };
    progress.update(&prog);
    let on_walk = |n: u64, p: &[u8]| {
        progress.update(&Progress {
            phase: "walking",
            files_done: n,
            current: String::from_utf8_lossy(p).into_owned(),
            ..Progress::default()
        })
    };
    let mut items = walk::walk(
        &starts,
        &WalkOptions {
            root: root.as_deref(),
            selector: selector.as_ref(),
            all_filesystems: req.all_filesystems,
            one_file_system: req.one_file_system,
            exclude,
            cancel,
            on_progress: &on_walk,
        },
    )
    .map_err(|_| CaptureError::Cancelled(partial.clone()))?;
    // Access times Exhibit changed before the walk and could not avoid
    // changing (links read while resolving): recorded as they were before.
    let touched = atime::take();
    for item in &mut items {
        item.stat.atime = atime::original(&touched, item.stat.dev, item.stat.ino, item.stat.atime);
    }

    // 2. Plan: base records, member names, hard links.
    let mut records: Vec<FileRecord> = Vec::with_capacity(items.len());
    let mut plans: Vec<Plan> = Vec::with_capacity(items.len());
    let mut members_used: HashSet<String> = HashSet::new();
    let mut inodes: HashMap<(u64, u64), (usize, bool)> = HashMap::new();
    let mut bytes_total = 0u64;
    let mut files_total = 0u64;
    for (i, item) in items.iter().enumerate() {
        let mut rec = base_record(item, &acc);
        let mut plan = Plan::Done;
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
        } else if let Selection::Excluded(why) = &item.selection {
            rec.status = Status::Skipped;
            rec.reason = Some(format!("excluded: {why}"));
        } else {
            match item.stat.kind {
                Some(EntryType::File) => {
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
                    let key = (item.stat.dev, item.stat.ino);
                    // A name that must store the content cannot share the
                    // result of a name that was only hashed.
                    if (store || hash)
                        && item.stat.nlink > 1
                        && let Some(&(first, first_stored)) = inodes.get(&key)
                        && (first_stored || !store)
                    {
                        rec.hardlink_of = Some(records[first].path.clone());
                        // Its own job, without a member name: named only if used.
                        let job = FileJob {
                            index: i,
                            physical: walk::physical(root.as_deref(), &item.logical),
                            logical: item.logical.clone(),
                            member: store.then(|| EntryMeta {
                                name: String::new(),
                                mode: item.stat.mode & 0o7777,
                                mtime: item.stat.mtime.map(|t| t.0).unwrap_or(0),
                                atime: item.stat.atime.map(|t| t.0).unwrap_or(0),
                                uid: item.stat.uid,
                                gid: item.stat.gid,
                            }),
                            walk_dev: item.stat.dev,
                            walk_ino: item.stat.ino,
                            walk_size: item.stat.size,
                            walk_mtime: item.stat.mtime,
                            walk_ctime: item.stat.ctime,
                        };
                        plan = Plan::Alias(first, Box::new(job));
                    } else if store || hash {
                        let payload_member = |path: &str| archive::payload_member(&stem, path);
                        let member = if store {
                            let mut name = payload_member(&rec.path);
                            if name.len() > 65_000 {
                                rec.status = Status::Skipped;
                                rec.reason = Some(format!(
                                    "{NAME_TOO_LONG}: {} bytes is too long for a ZIP member name; content not stored",
                                    rec.path.len()
                                ));
                                None
                            } else {
                                let mut n = 1;
                                while !members_used.insert(name.clone()) {
                                    n += 1;
                                    name = format!("{}~{n}", payload_member(&rec.path));
                                }
                                Some(name)
                            }
                        } else {
                            None
                        };
                        if store && member.is_none() {
                            // Name too long: recorded as skipped above.
                        } else {
                            if item.stat.nlink > 1 {
                                inodes.insert(key, (i, store));
                            }
                            files_total += 1;
                            bytes_total += item.stat.size;
                            plan = Plan::Read(FileJob {
                                index: i,
                                physical: walk::physical(root.as_deref(), &item.logical),
                                logical: item.logical.clone(),
                                member: member.map(|name| EntryMeta {
                                    name,
                                    mode: item.stat.mode & 0o7777,
                                    mtime: item.stat.mtime.map(|t| t.0).unwrap_or(0),
                                    atime: item.stat.atime.map(|t| t.0).unwrap_or(0),
                                    uid: item.stat.uid,
                                    gid: item.stat.gid,
                                }),
                                walk_dev: item.stat.dev,
                                walk_ino: item.stat.ino,
                                walk_size: item.stat.size,
                                walk_mtime: item.stat.mtime,
                                walk_ctime: item.stat.ctime,
                            });
                        }
                    }
                }
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
        }
        records.push(rec);
        plans.push(plan);
    }
    drop(items);

    // 3. Acquire on all cores; the writer thread lays out the ZIP.
    let threads = reader_threads(req.threads);
    let level = match req.compression {
        Compression::Deflate(l) => Some(l.clamp(1, 9)),
        Compression::Store => None,
    };
    let budget = Arc::new(sink::Budget::new(256 << 20));
    let (wtx, wrx) = crossbeam_channel::bounded::<sink::ToWriter>(4096);
    let writer_budget = budget.clone();
    let writer = std::thread::Builder::new()
        .name("exhibit-writer".into())
        .spawn(move || sink::run_writer(file, wrx, writer_budget))
        .map_err(|e| CaptureError::Write(e, partial.clone()))?;
    let (job_tx, job_rx) = crossbeam_channel::bounded::<FileJob>(1024);
    let (out_tx, out_rx) = crossbeam_channel::unbounded::<FileOutcome>();
    let bytes_done = Arc::new(AtomicU64::new(0));
    let worker_cancel = CancelToken::new();
    let mut workers = Vec::new();
    for w in 0..threads {
        let jobs = job_rx.clone();
        let outs = out_tx.clone();
        let handle = sink::SinkHandle {
            tx: wtx.clone(),
            budget: budget.clone(),
        };
        let bytes = bytes_done.clone();
        let wc = worker_cancel.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("exhibit-reader-{w}"))
            .spawn(move || {
                let mut acq = Acquirer::new(level, handle, bytes, wc.clone());
                for job in jobs.iter() {
                    match acq.run(&job) {
                        Ok(o) => {
                            if outs.send(o).is_err() {
                                break;
                            }
                        }
                        Err(acquire::Stop) => {
                            wc.cancel();
                            break;
                        }
                    }
                }
            });
        match spawned {
            Ok(h) => workers.push(h),
            Err(e) => return Err(CaptureError::Write(e, partial.clone())),
        }
    }
    drop(job_rx);
    drop(out_tx);
    let to_read: Vec<FileJob> = plans
        .iter()
        .filter_map(|p| match p {
            Plan::Read(j) => Some(j.clone()),
            _ => None,
        })
        .collect();
    let jobs_total = to_read.len() as u64;
    let feeder_cancel = worker_cancel.clone();
    let feeder = std::thread::spawn(move || {
        for job in to_read {
            if feeder_cancel.is_cancelled() || job_tx.send(job).is_err() {
                break;
            }
        }
    });
    prog.phase = "capturing";
    prog.files_total = Some(files_total);
    prog.bytes_total = Some(bytes_total);
    let mut outcomes = 0u64;
    let mut warnings = 0u64;
    loop {
        if cancel.is_cancelled() && !worker_cancel.is_cancelled() {
            worker_cancel.cancel();
            budget.close();
        }
        match out_rx.recv_timeout(Duration::from_millis(100)) {
            Ok(o) => {
                outcomes += 1;
                let rec = &mut records[o.index];
                prog.current = rec.path.clone();
                if !matches!(o.status, Status::Captured) {
                    warnings += 1;
                }
                if o.stored
                    && let Plan::Read(j) = &plans[o.index]
                {
                    rec.member = j.member.as_ref().map(|m| m.name.clone());
                }
                rec.sha256 = o.sha256;
                if rec.status != Status::MetadataOnly || !matches!(o.status, Status::Captured) {
                    rec.status = o.status;
                    if o.reason.is_some() {
                        rec.reason = o.reason;
                    }
                }
                rec.change = o.change;
            }
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        }
        prog.files_done = outcomes;
        prog.bytes_done = bytes_done.load(Ordering::Relaxed);
        prog.warnings = warnings;
        progress.update(&prog);
    }
    let _ = feeder.join();
    let crashed = workers
        .into_iter()
        .map(|w| w.join())
        .filter(Result::is_err)
        .count();
    // Every file handed to a reader must have come back with an outcome: a
    // reader that died would otherwise leave records that look captured.
    let lost = !cancel.is_cancelled() && (crashed > 0 || outcomes != jobs_total);
    if lost {
        worker_cancel.cancel();
    }
    if worker_cancel.is_cancelled() || cancel.is_cancelled() {
        // Either the user cancelled or the writer failed (and the readers
        // stopped because of it): close the writer and say which.
        drop(wtx);
        budget.close();
        let res = writer.join();
        if cancel.is_cancelled() {
            return Err(CaptureError::Cancelled(partial));
        }
        let err = match res {
            Ok(Err(e)) => e,
            _ if lost => std::io::Error::other(format!(
                "{} of {jobs_total} files came back from the readers ({crashed} reader threads failed)",
                outcomes
            )),
            _ => std::io::Error::other("reading stopped before every file was captured"),
        };
        return Err(CaptureError::Write(err, partial));
    }

    // 3b. A hard-linked file whose first name vanished before it was read is
    // read under its next name instead of being recorded vanished as well.
    let mut late: Option<Acquirer> = None;
    for i in 0..records.len() {
        let Plan::Alias(first, job) = &mut plans[i] else {
            continue;
        };
        let first = *first;
        if records[first].status != Status::Vanished || records[first].sha256.is_some() {
            continue;
        }
        if let Some(meta) = job.member.as_mut() {
            let mut name = archive::payload_member(&stem, &records[i].path);
            let base = name.clone();
            let mut n = 1;
            while name.len() <= 65_000 && !members_used.insert(name.clone()) {
                n += 1;
                name = format!("{base}~{n}");
            }
            if name.len() > 65_000 {
                continue;
            }
            meta.name = name;
        }
        let acq = late.get_or_insert_with(|| {
            Acquirer::new(
                level,
                sink::SinkHandle {
                    tx: wtx.clone(),
                    budget: budget.clone(),
                },
                bytes_done.clone(),
                worker_cancel.clone(),
            )
        });
        let o = acq.run(job).map_err(|_| {
            CaptureError::Write(
                std::io::Error::other("the writer stopped while reading a hard link"),
                partial.clone(),
            )
        })?;
        // Now read (and maybe stored) under its own name; the first name is
        // matched to the next alias too.
        let rec = &mut records[i];
        rec.hardlink_of = None;
        if o.stored {
            rec.member = job.member.as_ref().map(|m| m.name.clone());
        }
        rec.sha256 = o.sha256;
        if rec.status != Status::MetadataOnly || !matches!(o.status, Status::Captured) {
            rec.status = o.status;
            if o.reason.is_some() {
                rec.reason = o.reason;
            }
        }
        rec.change = o.change;
        // Later names of the same file share this name's result.
        let key = (job.walk_dev, job.walk_ino);
        let path = records[i].path.clone();
        for (k, p) in plans.iter_mut().enumerate().skip(i + 1) {
            if let Plan::Alias(f, j) = p
                && *f == first
                && (j.walk_dev, j.walk_ino) == key
            {
                *f = i;
                records[k].hardlink_of = Some(path.clone());
            }
        }
        plans[i] = Plan::Done;
    }
    drop(late);

    // 4. Hard-link aliases share their first name's result.
    for i in 0..records.len() {
        if let Plan::Alias(first, _) = plans[i] {
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

    // 5. Tag files.
    let finished_at = chrono::Utc::now();
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by(|&a, &b| records[a].path.cmp(&records[b].path));
    let mut counts = Counts {
        entries: records.len() as u64,
        ..Counts::default()
    };
    // Identity and account files of the target that were not read: not
    // records of the walk, but what the capture refused to read.
    let mut errors: Vec<AcquisitionError> = host_refused
        .iter()
        .chain(&acc.refused)
        .map(|(path, reason)| AcquisitionError {
            path: path.clone(),
            status: Status::Skipped.as_str().to_string(),
            reason: reason.clone(),
        })
        .collect();
    let mut payload: Vec<(String, String)> = Vec::new();
    let mut payload_bytes = 0u64;
    let mut files_jsonl = Vec::with_capacity(records.len() * 300);
    for &i in &order {
        let r = &records[i];
        match r.status {
            Status::Captured if r.kind == EntryType::File && r.member.is_some() => {}
            Status::ChangedDuringRead => counts.changed_during_read += 1,
            Status::Unreadable => counts.unreadable += 1,
            Status::Vanished => counts.vanished += 1,
            Status::Skipped => counts.skipped += 1,
            Status::MetadataOnly => counts.metadata_only += 1,
            Status::Captured => {}
        }
        if matches!(
            r.status,
            Status::ChangedDuringRead | Status::Unreadable | Status::Vanished
        ) || (r.status == Status::Skipped
            && r.reason
                .as_deref()
                .is_some_and(|x| !x.starts_with("excluded")))
        {
            errors.push(AcquisitionError {
                path: r.path.clone(),
                status: r.status.as_str().to_string(),
                reason: r.reason.clone().unwrap_or_default(),
            });
        }
        if let (Some(m), Some(sha), None) = (&r.member, &r.sha256, &r.hardlink_of) {
            counts.files_captured += 1;
            let size = r.change.as_ref().map(|c| c.bytes_read).unwrap_or(r.size);
            counts.bytes_captured += size;
            payload_bytes += size;
            let rel = m.strip_prefix(&format!("{stem}/")).unwrap_or(m).to_string();
            payload.push((sha.clone(), rel));
        }
        if let Ok(line) = serde_json::to_vec(r) {
            files_jsonl.extend_from_slice(&line);
            files_jsonl.push(b'\n');
        }
    }
    let sorted: Vec<FileRecord> = order.iter().map(|&i| records[i].clone()).collect();
    let body = bodyfile::render(&sorted);
    drop(sorted);
    let (command_line, interface) = match &req.interface {
        Interface::Cli { command_line } => (Some(command_line.clone()), "cli"),
        Interface::Gui => (None, "gui"),
    };
    let acquisition = Acquisition {
        format: archive::FORMAT_NAME.into(),
        format_version: archive::FORMAT_VERSION,
        stem: stem.clone(),
        case: CaseInfo {
            evidence_id: evidence_id.clone(),
            ..req.case.clone()
        },
        examiner: req.examiner.clone(),
        host: host.clone(),
        method: Method {
            tool: "exhibit".into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            interface: interface.into(),
            command_line,
            profiles: selector.profile_names(),
            sources: starts.iter().map(|s| names::escape_bytes(s).0).collect(),
            root: root.as_ref().map(|r| r.display().to_string()),
            compression: match req.compression {
                Compression::Deflate(l) => {
                    format!("deflate level {l} where it pays, stored otherwise")
                }
                Compression::Store => "stored".into(),
            },
            acquired_on: root.as_ref().map(|_| host::local_hostname()),
        },
        started_at: started.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        finished_at: finished_at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        counts: counts.clone(),
        errors: errors.clone(),
    };
    let acquisition_json = serde_json::to_vec_pretty(&acquisition).unwrap_or_default();
    let acquisition_sha = hex::encode(Sha256::digest(&acquisition_json));
    let manifest = bagit::manifest(payload.iter().map(|(h, p)| (h.as_str(), p.as_str())));
    let bag_info = bagit::bag_info(&[
        (
            "Source-Organization",
            req.examiner.organisation.clone().unwrap_or_default(),
        ),
        ("Contact-Name", req.examiner.name.clone()),
        (
            "Contact-Email",
            req.examiner.contact.clone().unwrap_or_default(),
        ),
        (
            "External-Identifier",
            format!("{} / {}", req.case.case_id, evidence_id),
        ),
        (
            "External-Description",
            req.case
                .description
                .clone()
                .or_else(|| req.case.purpose.clone())
                .unwrap_or_else(|| format!("Evidence captured from {host_name}")),
        ),
        ("Bagging-Date", finished_at.format("%Y-%m-%d").to_string()),
        ("Payload-Oxum", format!("{payload_bytes}.{}", payload.len())),
        (
            "Bag-Software-Agent",
            format!("Exhibit {}", env!("CARGO_PKG_VERSION")),
        ),
        (
            "Exhibit-Format-Version",
            archive::FORMAT_VERSION.to_string(),
        ),
        ("Exhibit-Acquisition-Start", acquisition.started_at.clone()),
        ("Exhibit-Acquisition-End", acquisition.finished_at.clone()),
        ("Exhibit-Source-Host", host_name.clone()),
        ("Exhibit-Profile", selector.profile_names().join(", ")),
    ]);
    let mut tags: Vec<(String, Vec<u8>)> = vec![
        (archive::ACQUISITION_JSON.into(), acquisition_json),
        (archive::FILES_JSONL.into(), files_jsonl),
        (archive::BODYFILE.into(), body.into_bytes()),
    ];
    for (name, data) in &req.extra_tags {
        tags.push((
            format!("exhibit/{}", name.trim_start_matches('/')),
            data.clone(),
        ));
    }
    tags.push((bagit::MANIFEST.into(), manifest.into_bytes()));
    tags.push(("bagit.txt".into(), bagit::BAGIT_TXT.as_bytes().to_vec()));
    tags.push(("bag-info.txt".into(), bag_info.into_bytes()));
    let tagmanifest = bagit::manifest(
        tags.iter()
            .map(|(n, d)| (hex::encode(Sha256::digest(d)), n.clone()))
            .collect::<Vec<_>>()
            .iter()
            .map(|(h, n)| (h.as_str(), n.as_str())),
    );
    tags.push((bagit::TAGMANIFEST.into(), tagmanifest.into_bytes()));

    // The writer is still running: the tag files go last, then it finishes.
    let (file, finished) = write_tags_and_finish(writer, wtx, tags, &stem, &partial)?;

    // 6. Seal: durable data, then the rename that makes it an archive.
    file.sync_all()
        .map_err(|e| CaptureError::Write(e, partial.clone()))?;
    drop(file);
    std::fs::rename(&partial, &final_path).map_err(|e| CaptureError::Write(e, partial.clone()))?;
    if let Ok(d) = File::open(&out_dir) {
        let _ = d.sync_all();
    }
    prog.phase = "sealed";
    progress.update(&prog);

    let custody_log = custody::record_acquisition(&custody::AcquisitionEvents {
        archive_path: &final_path,
        archive_sha256: &finished.sha256,
        archive_size: finished.bytes,
        acquisition_sha256: &acquisition_sha,
        actor: custody::Actor {
            name: req.examiner.name.clone(),
            role: Some("first responder".into()),
            organisation: req.examiner.organisation.clone(),
            contact: req.examiner.contact.clone(),
        },
        location: req
            .location
            .clone()
            .or_else(|| Some(host::local_hostname())),
        case_id: req.case.case_id.clone(),
        evidence_id: evidence_id.clone(),
        purpose: req.case.purpose.clone(),
        signer: req.signer.as_deref(),
        acquisition: Some(&acquisition),
    })?;
    Ok(CaptureSummary {
        archive: final_path,
        sha256: finished.sha256,
        files: counts.files_captured,
        bytes: counts.bytes_captured,
        errors,
        custody_log,
        archive_bytes: finished.bytes,
        entries: counts.entries,
        stem,
    })
}

/// Hand the tag files to the writer and wait for the finished archive.
#[allow(clippy::type_complexity)]
fn write_tags_and_finish(
    writer: std::thread::JoinHandle<std::io::Result<(File, archive::zipwrite::Finished)>>,
    tx: crossbeam_channel::Sender<sink::ToWriter>,
    tags: Vec<(String, Vec<u8>)>,
    stem: &str,
    partial: &Path,
) -> Result<(File, archive::zipwrite::Finished), CaptureError> {
    let now = chrono::Utc::now().timestamp();
    let mut deflater = compress::Deflater::new(6);
    for (name, data) in tags {
        let crc = crc32fast::hash(&data);
        let usize = data.len() as u64;
        let (method, body) = match deflater.whole(&data) {
            Ok(d) if d.len() < data.len() => (METHOD_DEFLATED, d),
            _ => (archive::zipspec::METHOD_STORED, data),
        };
        let meta = EntryMeta {
            name: format!("{stem}/{name}"),
            mode: 0o444,
            mtime: now,
            atime: now,
            uid: 0,
            gid: 0,
        };
        if tx
            .send(sink::ToWriter::Whole {
                meta,
                method,
                crc,
                usize,
                data: body,
            })
            .is_err()
        {
            break;
        }
    }
    drop(tx);
    match writer.join() {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(CaptureError::Write(e, partial.to_path_buf())),
        Err(_) => Err(CaptureError::Write(
            std::io::Error::other("writer thread panicked"),
            partial.to_path_buf(),
        )),
    }
}
