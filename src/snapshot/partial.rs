//! Two archives read side by side, holding only what a comparison reads.
//!
//! A whole snapshot holds every entry (about 230 bytes each), so comparing
//! two captures of ten million entries would need gigabytes. But a
//! comparison only judges the entries that differ, and looks up a few more:
//! a changed log's rotation siblings, the files beside a changed one,
//! `/etc/passwd`, the symlinks a path resolves through. [`open_pair`]
//! streams both archives' `files.jsonl` (written in path order by capture)
//! through one merge and keeps an entry only when it differs from the other
//! side's entry at the same path, is on one side only, or is a symlink;
//! entries equal on both sides are counted and dropped. Every lookup on such
//! a partial snapshot that finds nothing (a path, a folder's children, a
//! path prefix) is noted ([`Requests`]); the caller takes the notes after
//! examining the pair, fetches those entries on both sides with [`extend`]
//! and examines again, until the examination asks for nothing new. The
//! result is the one the whole snapshots give, in memory that grows with the
//! differences rather than with the entries.
//!
//! What is asked for is always fetched on both sides, so an entry held on one
//! side is held on the other when it exists there: pairing the held entries
//! gives the same changes as pairing all of them. An archive whose
//! `files.jsonl` is not in path order cannot be merged this way;
//! [`open_pair`] then returns `None` and the caller opens it whole.

use super::{Entry, Opened, Reasons, Snapshot, SnapshotError, stream_lines};
use crate::archive::{Archive, EntryType, FileRecord};
use crate::job::{CancelToken, Progress, ProgressSink};
use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Records sent between the reading threads and the merge at a time.
const BATCH: usize = 2048;

/// What lookups on a partial snapshot asked for and did not find.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Requests {
    /// Exact paths ([`Snapshot::get`]).
    pub paths: BTreeSet<String>,
    /// Plain path prefixes ([`Snapshot::under`] asks for `dir/`,
    /// [`Snapshot::with_prefix`] for its prefix).
    pub prefixes: BTreeSet<String>,
    /// Folders whose direct children were listed ([`Snapshot::children`]).
    pub children: BTreeSet<String>,
}

impl Requests {
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.prefixes.is_empty() && self.children.is_empty()
    }

    /// Add what `other` asks for.
    pub fn extend(&mut self, other: Requests) {
        self.paths.extend(other.paths);
        self.prefixes.extend(other.prefixes);
        self.children.extend(other.children);
    }

    /// True when an entry at `path` is among what these ask for.
    fn covers(&self, path: &str) -> bool {
        self.paths.contains(path)
            || self.children.contains(parent(path))
            || self.covered_by_prefix(path)
    }

    fn covered_by_prefix(&self, s: &str) -> bool {
        s.char_indices()
            .map(|(i, _)| i)
            .chain([s.len()])
            .any(|i| s.get(..i).is_some_and(|p| self.prefixes.contains(p)))
    }

    /// What these ask for that `met` does not already cover.
    pub fn unmet(&self, met: &Requests) -> Requests {
        Requests {
            paths: self
                .paths
                .iter()
                .filter(|p| !met.covers(p))
                .cloned()
                .collect(),
            prefixes: self
                .prefixes
                .iter()
                .filter(|p| !met.covered_by_prefix(p))
                .cloned()
                .collect(),
            children: self
                .children
                .iter()
                .filter(|d| {
                    !met.children.contains(d.as_str()) && !met.covered_by_prefix(&folder_prefix(d))
                })
                .cloned()
                .collect(),
        }
    }
}

/// A folder path as [`Snapshot::children`] keys it: no trailing slash, `/`
/// for the top.
pub fn folder(dir: &str) -> &str {
    match dir.trim_end_matches('/') {
        "" => "/",
        d => d,
    }
}

/// The folder holding `path` (`/` for a top-level entry).
pub fn parent(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some(("", _)) => "/",
        Some((d, _)) => d,
        None => "",
    }
}

fn folder_prefix(dir: &str) -> String {
    if dir == "/" {
        "/".into()
    } else {
        format!("{dir}/")
    }
}

/// Decides, for paths met in ascending order, which ones [`Requests`] ask
/// for. Every path starting with a prefix lies in one run of the sorted
/// order beginning at the prefix itself, so a prefix becomes active when the
/// paths reach it and is dropped for good at the first path past its run.
struct Matcher<'a> {
    want: &'a Requests,
    pending: std::iter::Peekable<std::collections::btree_set::Iter<'a, String>>,
    active: Vec<&'a str>,
}

impl<'a> Matcher<'a> {
    fn new(want: &'a Requests) -> Self {
        Matcher {
            want,
            pending: want.prefixes.iter().peekable(),
            active: Vec::new(),
        }
    }

    fn wants(&mut self, path: &str) -> bool {
        while let Some(p) = self.pending.next_if(|p| p.as_str() <= path) {
            self.active.push(p);
        }
        // A path at or after a prefix that does not start with it sorts
        // after every path that does: the prefix's run is over.
        self.active.retain(|p| path.starts_with(p));
        !self.active.is_empty()
            || self.want.paths.contains(path)
            || self.want.children.contains(parent(path))
    }
}

/// What a partial snapshot keeps beside its entries.
#[derive(Debug)]
pub(super) struct Partial {
    /// The snapshot's distinct paths, all of them.
    pub(super) entries_total: u64,
    /// Whether the pair's inode numbers can be compared, judged on every
    /// pair ([`crate::diff::compare::inodes_comparable`]).
    pub(super) inodes_comparable: bool,
    /// (path, `hardlink_of`) of the held entries that name no member of
    /// their own, resolved again whenever entries are added.
    links: Vec<(String, String)>,
    requests: Mutex<Requests>,
    /// For a window of [`Windows`]: the first path after it (`None`: the
    /// last window). Only the window's own entries are judged
    /// ([`Snapshot::judges`]).
    window: Option<Window>,
}

/// The run of consecutive paths a window holds whole.
#[derive(Debug, Clone)]
struct Window {
    /// Its first path.
    first: String,
    /// The first path after it; `None` for the last window.
    next: Option<String>,
}

impl Window {
    fn holds(&self, path: &str) -> bool {
        self.first.as_str() <= path && self.next.as_deref().is_none_or(|n| path < n)
    }

    /// True when every path starting with `prefix` lies in the window.
    fn holds_run(&self, prefix: &str) -> bool {
        self.first.as_str() <= prefix
            && self
                .next
                .as_deref()
                .is_none_or(|n| n > prefix && !n.starts_with(prefix))
    }

    /// Drop from `r` what the window answered itself: it holds every
    /// entry of its run, so what it lacks there does not exist.
    fn answered(&self, r: &mut Requests) {
        r.paths.retain(|p| !self.holds(p));
        r.prefixes.retain(|p| !self.holds_run(p));
        r.children.retain(|d| !self.holds_run(&folder_prefix(d)));
    }
}

impl Partial {
    pub(super) fn ask(&self, f: impl FnOnce(&mut Requests)) {
        if let Ok(mut r) = self.requests.lock() {
            f(&mut r);
        }
    }

    pub(super) fn take(&self) -> Requests {
        let mut r = self
            .requests
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default();
        if let Some(w) = &self.window {
            w.answered(&mut r);
        }
        r
    }

    /// Whether an entry is one this snapshot judges: all of them, or a
    /// window's own.
    pub(super) fn judges(&self, path: &str) -> bool {
        self.window.as_ref().is_none_or(|w| w.holds(path))
    }
}

/// The held entries of one side as the merge builds them.
#[derive(Default)]
struct Held {
    entries: Vec<Entry>,
    links: Vec<(String, String)>,
    reasons: Reasons,
}

/// (path, `hardlink_of`) of a record that names no member of its own.
fn link_of(r: &FileRecord) -> Option<(String, String)> {
    match (&r.member, &r.hardlink_of) {
        (None, Some(h)) => Some((r.path.clone(), h.clone())),
        _ => None,
    }
}

impl Held {
    fn keep(&mut self, r: FileRecord) {
        let link = link_of(&r);
        let e = Entry::from_record(r, &mut self.reasons);
        self.keep_entry(link, e);
    }

    fn keep_entry(&mut self, link: Option<(String, String)>, e: Entry) {
        self.links.extend(link);
        self.entries.push(e);
    }
}

/// The records of one side, in path order, repeated paths dropped (the
/// first kept, as [`Snapshot::open_archive`] does).
struct Feed {
    rx: Receiver<Vec<FileRecord>>,
    batch: std::vec::IntoIter<FileRecord>,
    prev: Option<String>,
    distinct: u64,
    duplicates: u64,
}

/// The records are not in path order.
struct Unsorted;

impl Feed {
    fn new(rx: Receiver<Vec<FileRecord>>) -> Self {
        Feed {
            rx,
            batch: Vec::new().into_iter(),
            prev: None,
            distinct: 0,
            duplicates: 0,
        }
    }

    fn next(&mut self) -> Result<Option<FileRecord>, Unsorted> {
        loop {
            let r = match self.batch.next() {
                Some(r) => r,
                None => match self.rx.recv() {
                    Ok(b) => {
                        self.batch = b.into_iter();
                        continue;
                    }
                    Err(_) => return Ok(None),
                },
            };
            match &mut self.prev {
                Some(p) if *p == r.path => {
                    self.duplicates += 1;
                    continue;
                }
                Some(p) if p.as_str() > r.path.as_str() => return Err(Unsorted),
                Some(p) => {
                    p.clear();
                    p.push_str(&r.path);
                }
                None => self.prev = Some(r.path.clone()),
            }
            self.distinct += 1;
            return Ok(Some(r));
        }
    }
}

/// Read one archive's records into `tx`, a batch at a time, until the
/// receiver hangs up or the work is cancelled.
fn produce(
    archive: &Archive,
    tx: SyncSender<Vec<FileRecord>>,
    cancel: &CancelToken,
) -> Result<super::RecordStats, crate::archive::ArchiveError> {
    let mut batch = Vec::with_capacity(BATCH);
    let mut hung_up = false;
    let stats = super::stream_records(archive, |r| {
        batch.push(r);
        if batch.len() >= BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if tx.send(full).is_err() || cancel.is_cancelled() {
                hung_up = true;
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    })?;
    if !hung_up && !batch.is_empty() {
        let _ = tx.send(batch);
    }
    Ok(stats)
}

/// What the merge found besides the held entries.
struct Merged {
    old: Held,
    new: Held,
    old_counts: (u64, u64),
    new_counts: (u64, u64),
    inode_pairs: u64,
    inode_same: u64,
}

/// Merge the two sides' records: hold what differs, what is on one side
/// only, every symlink, and what `want` asks for; count the rest.
fn merge(
    mut old: Feed,
    mut new: Feed,
    want: &Requests,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<Option<Merged>, SnapshotError> {
    use std::cmp::Ordering;
    let mut m = Merged {
        old: Held::default(),
        new: Held::default(),
        old_counts: (0, 0),
        new_counts: (0, 0),
        inode_pairs: 0,
        inode_same: 0,
    };
    let mut matcher = Matcher::new(want);
    let (mut o, mut n) = match (old.next(), new.next()) {
        (Ok(o), Ok(n)) => (o, n),
        _ => return Ok(None),
    };
    let mut seen = 0u64;
    loop {
        seen += 1;
        if seen.is_multiple_of(1 << 16) {
            if cancel.is_cancelled() {
                return Err(SnapshotError::Cancelled);
            }
            progress.update(&Progress {
                phase: "reading both archives' records",
                files_done: old.distinct + new.distinct,
                ..Progress::default()
            });
        }
        let step = match (&o, &n) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(a), Some(b)) => a.path.cmp(&b.path),
        };
        match step {
            Ordering::Less => {
                if let Some(r) = o.take() {
                    m.old.keep(r);
                }
                let Ok(next) = old.next() else {
                    return Ok(None);
                };
                o = next;
            }
            Ordering::Greater => {
                if let Some(r) = n.take() {
                    m.new.keep(r);
                }
                let Ok(next) = new.next() else {
                    return Ok(None);
                };
                n = next;
            }
            Ordering::Equal => {
                if let (Some(a), Some(b)) = (o.take(), n.take()) {
                    let (la, lb) = (link_of(&a), link_of(&b));
                    let ea = Entry::from_record(a, &mut m.old.reasons);
                    let eb = Entry::from_record(b, &mut m.new.reasons);
                    if let (Some(x), Some(y)) = (ea.inode, eb.inode) {
                        m.inode_pairs += 1;
                        m.inode_same += u64::from(x == y);
                    }
                    if !same_but_member(&ea, &eb)
                        || ea.kind == EntryType::Symlink
                        || eb.kind == EntryType::Symlink
                        || matcher.wants(&ea.path)
                    {
                        m.old.keep_entry(la, ea);
                        m.new.keep_entry(lb, eb);
                    }
                }
                match (old.next(), new.next()) {
                    (Ok(a), Ok(b)) => (o, n) = (a, b),
                    _ => return Ok(None),
                }
            }
        }
    }
    m.old_counts = (old.distinct, old.duplicates);
    m.new_counts = (new.distinct, new.duplicates);
    Ok(Some(m))
}

/// Whether two entries at one path are alike in everything a comparison
/// reads: all but the archive member, whose name starts with each
/// archive's own stem. (Destructured, so that a field added to [`Entry`]
/// must be placed here.)
fn same_but_member(a: &Entry, b: &Entry) -> bool {
    let Entry {
        path,
        kind,
        size,
        mode,
        uid,
        gid,
        inode,
        mtime_ns,
        ctime_ns,
        link_target,
        sha256,
        status,
        reason,
        member: _,
        capabilities,
    } = a;
    *path == b.path
        && *kind == b.kind
        && *size == b.size
        && *mode == b.mode
        && *uid == b.uid
        && *gid == b.gid
        && *inode == b.inode
        && *mtime_ns == b.mtime_ns
        && *ctime_ns == b.ctime_ns
        && *link_target == b.link_target
        && *sha256 == b.sha256
        && *status == b.status
        && *reason == b.reason
        && *capabilities == b.capabilities
}

/// Read two archives' records side by side and hold only the entries that
/// differ between them, are on one side only or are symlinks (plus what
/// `want` asks for). `None` when either `files.jsonl` is not in path
/// order: the caller opens the archives whole instead.
pub fn open_pair(
    old: &Path,
    new: &Path,
    want: &Requests,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<Option<(Snapshot, Snapshot)>, SnapshotError> {
    let (a, b) = (Opened::open(old)?, Opened::open(new)?);
    let (merged, stats_a, stats_b) = std::thread::scope(|s| {
        let (tx_a, rx_a) = sync_channel(4);
        let (tx_b, rx_b) = sync_channel(4);
        let ha = s.spawn(|| produce(&a.archive, tx_a, cancel));
        let hb = s.spawn(|| produce(&b.archive, tx_b, cancel));
        // The feeds (and their receivers) are gone when merge returns, so a
        // reader blocked on a full channel stops rather than waits.
        let merged = merge(Feed::new(rx_a), Feed::new(rx_b), want, progress, cancel);
        let join = |h: std::thread::ScopedJoinHandle<'_, _>, path: &Path| {
            h.join().unwrap_or_else(|_| {
                Err(crate::archive::ArchiveError::Format(
                    "the reader of its records stopped".into(),
                    path.to_path_buf(),
                ))
            })
        };
        (merged, join(ha, old), join(hb, new))
    });
    let (stats_a, stats_b) = (stats_a?, stats_b?);
    let Some(m) = merged? else {
        return Ok(None);
    };
    if cancel.is_cancelled() {
        return Err(SnapshotError::Cancelled);
    }
    let comparable = m.inode_pairs == 0 || m.inode_same * 2 >= m.inode_pairs;
    let build = |side: Opened, held: Held, (distinct, duplicates): (u64, u64), stats| {
        let mut snap = side.into_snapshot(
            held.entries,
            super::record_problems(&stats, duplicates),
            Some(Box::new(Partial {
                entries_total: distinct,
                inodes_comparable: comparable,
                links: held.links,
                requests: Mutex::new(Requests::default()),
                window: None,
            })),
        );
        resolve_links(&mut snap);
        snap
    };
    Ok(Some((
        build(a, m.old, m.old_counts, stats_a),
        build(b, m.new, m.new_counts, stats_b),
    )))
}

/// Give each held entry that names no member of its own the member of
/// the entry it is a hard link of; a link whose target is not held asks
/// for it.
fn resolve_links(s: &mut Snapshot) {
    let Some(p) = s.partial.as_mut() else {
        return;
    };
    let mut links = std::mem::take(&mut p.links);
    links.sort_by(|a, b| a.0.cmp(&b.0));
    links.dedup_by(|b, a| a.0 == b.0);
    let missing = super::give_members(&mut s.entries, &links);
    if let Some(p) = s.partial.as_mut() {
        p.links = links;
        if !missing.is_empty() {
            p.ask(|r| r.paths.extend(missing));
        }
    }
}

/// Fetch into both snapshots of a pair from [`open_pair`] the entries
/// `want` asks for that they do not hold yet, each side's archive read
/// again as a stream (the two at once).
pub fn extend(
    old: &mut Snapshot,
    new: &mut Snapshot,
    want: &Requests,
    cancel: &CancelToken,
) -> Result<(), SnapshotError> {
    let (a, b) = std::thread::scope(|s| {
        let ha = s.spawn(|| fetch(old, want, cancel));
        let hb = s.spawn(|| fetch(new, want, cancel));
        let join = |h: std::thread::ScopedJoinHandle<'_, Result<Held, SnapshotError>>| {
            h.join().unwrap_or(Err(SnapshotError::Cancelled))
        };
        (join(ha), join(hb))
    });
    for (snap, held) in [(old, a?), (new, b?)] {
        if held.entries.is_empty() {
            continue;
        }
        snap.entries.extend(held.entries);
        snap.entries.sort_by(|x, y| x.path.cmp(&y.path));
        if let Some(p) = snap.partial.as_mut() {
            p.links.extend(held.links);
        }
        resolve_links(snap);
    }
    Ok(())
}

/// The entries of `snap`'s archive that `want` asks for and `snap` does not
/// hold. Only the path of each line is decoded unless it is wanted.
fn fetch(snap: &Snapshot, want: &Requests, cancel: &CancelToken) -> Result<Held, SnapshotError> {
    match snap.archive() {
        Some(a) => fetch_from(a, &snap.entries, want, cancel),
        None => Ok(Held::default()),
    }
}

/// The entries of `archive` that `want` asks for and `have` (sorted) does
/// not hold.
fn fetch_from(
    archive: &Archive,
    have: &[Entry],
    want: &Requests,
    cancel: &CancelToken,
) -> Result<Held, SnapshotError> {
    #[derive(serde::Deserialize)]
    struct PathOnly<'a> {
        #[serde(borrow)]
        path: std::borrow::Cow<'a, str>,
    }
    let mut held = Held::default();
    let mut matcher = Matcher::new(want);
    let mut prev: Option<String> = None;
    let mut n = 0u64;
    stream_lines(archive, |_, line| {
        n += 1;
        if n.is_multiple_of(1 << 16) && cancel.is_cancelled() {
            return ControlFlow::Break(());
        }
        let Ok(line) = line else {
            return ControlFlow::Continue(());
        };
        let Ok(p) = serde_json::from_slice::<PathOnly<'_>>(line) else {
            return ControlFlow::Continue(());
        };
        let path = p.path.as_ref();
        // A repeated path: the first record that parses is the one kept
        // (as the merge and `Snapshot::open_archive` keep it).
        if prev.as_deref() == Some(path) {
            return ControlFlow::Continue(());
        }
        if matcher.wants(path)
            && super::find(have, path).is_none()
            && let Ok(r) = serde_json::from_slice::<FileRecord>(line)
        {
            prev = Some(r.path.clone());
            held.keep(r);
        }
        ControlFlow::Continue(())
    })?;
    if cancel.is_cancelled() {
        return Err(SnapshotError::Cancelled);
    }
    Ok(held)
}

/// Entries fetched from one archive because the judging of its windows
/// looked them up ([`Windows::fetch`]), kept from round to round.
#[derive(Default)]
pub struct Fetched {
    held: Held,
}

impl std::fmt::Debug for Fetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetched")
            .field("entries", &self.held.entries.len())
            .finish()
    }
}

/// One archive read as a stream of windows: snapshots holding a run of
/// consecutive entries whole (at most `size`), plus the entries fetched
/// because earlier judging looked them up. Judging every window's own
/// entries judges every entry once, in bounded memory; a lookup outside
/// the window and the fetched entries is noted in the window's
/// [`Snapshot::take_requests`], to be fetched before the next round.
#[derive(Debug)]
pub struct Windows {
    path: std::path::PathBuf,
    /// Entries a window holds at most.
    pub size: usize,
}

/// What a pass over the windows saw of the whole archive.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    /// Distinct paths.
    pub entries: u64,
    /// As [`Snapshot::problems`] of the whole snapshot.
    pub problems: Vec<String>,
    pub taken_at_ns: Option<super::TimeNs>,
    pub label: String,
}

impl Windows {
    /// Windows of at most `size` entries over the archive at `path`.
    pub fn new(path: &Path, size: usize) -> Self {
        Windows {
            path: path.to_path_buf(),
            size: size.max(1),
        }
    }

    /// Read every window in path order into `visit`, with the entries of
    /// `fetched` beside each; the requests a window's judging made are
    /// what `visit` takes from it. `None` when the records are not in path
    /// order.
    pub fn each(
        &self,
        fetched: &Fetched,
        progress: &dyn ProgressSink,
        cancel: &CancelToken,
        mut visit: impl FnMut(&Snapshot),
    ) -> Result<Option<Totals>, SnapshotError> {
        let side = Opened::open(&self.path)?;
        let reader = Archive::open_tags(&self.path)?;
        let mut side = Some(side);
        let label = side.as_ref().map(|s| s.label.clone()).unwrap_or_default();
        let taken_at_ns = side.as_ref().and_then(|s| s.taken_at_ns);
        let (sorted, stats, distinct, duplicates) = std::thread::scope(|s| {
            let (tx, rx) = sync_channel(4);
            let h = s.spawn(|| produce(&reader, tx, cancel));
            let mut feed = Feed::new(rx);
            let mut held = Held::default();
            let mut first: Option<String> = None;
            let mut sorted = true;
            loop {
                let r = match feed.next() {
                    Ok(r) => r,
                    Err(Unsorted) => {
                        sorted = false;
                        break;
                    }
                };
                if cancel.is_cancelled() {
                    break;
                }
                let full = held.entries.len() >= self.size;
                if (full || r.is_none()) && (first.is_some() || r.is_none()) {
                    let next = r.as_ref().map(|r| r.path.clone());
                    let window = Window {
                        first: first.take().unwrap_or_default(),
                        next,
                    };
                    side = self.judge_window(
                        side.take(),
                        std::mem::take(&mut held),
                        window,
                        fetched,
                        &mut visit,
                    );
                    progress.update(&Progress {
                        phase: "judging the entries",
                        files_done: feed.distinct,
                        ..Progress::default()
                    });
                }
                let Some(r) = r else { break };
                if first.is_none() {
                    // The first window starts at the beginning of the order.
                    first = Some(if feed.distinct == 1 {
                        String::new()
                    } else {
                        r.path.clone()
                    });
                }
                held.keep(r);
            }
            let distinct = feed.distinct;
            let duplicates = feed.duplicates;
            drop(feed);
            let stats = h.join().unwrap_or_else(|_| {
                Err(crate::archive::ArchiveError::Format(
                    "the record reader stopped".into(),
                    self.path.clone(),
                ))
            });
            (sorted, stats, distinct, duplicates)
        });
        let stats = stats?;
        if cancel.is_cancelled() {
            return Err(SnapshotError::Cancelled);
        }
        if !sorted {
            return Ok(None);
        }
        Ok(Some(Totals {
            entries: distinct,
            problems: super::record_problems(&stats, duplicates),
            taken_at_ns,
            label,
        }))
    }

    /// Judge one window: a snapshot of its entries and the fetched ones.
    /// Returns the archive for the next window.
    fn judge_window(
        &self,
        side: Option<Opened>,
        window_held: Held,
        window: Window,
        fetched: &Fetched,
        visit: &mut impl FnMut(&Snapshot),
    ) -> Option<Opened> {
        let side = side?;
        let f = &fetched.held.entries;
        let before = f.partition_point(|e| e.path.as_str() < window.first.as_str());
        let after = match &window.next {
            Some(n) => f.partition_point(|e| e.path.as_str() < n.as_str()),
            None => f.len(),
        };
        let mut entries: Vec<Entry> = Vec::with_capacity(window_held.entries.len() + f.len());
        entries.extend(f.get(..before).unwrap_or_default().iter().cloned());
        entries.extend(window_held.entries);
        entries.extend(f.get(after..).unwrap_or_default().iter().cloned());
        let mut links = window_held.links;
        links.extend(fetched.held.links.iter().cloned());
        let mut snap = side.into_snapshot(
            entries,
            Vec::new(),
            Some(Box::new(Partial {
                entries_total: 0,
                inodes_comparable: true,
                links,
                requests: Mutex::new(Requests::default()),
                window: Some(window),
            })),
        );
        resolve_links(&mut snap);
        visit(&snap);
        Opened::take_back(snap)
    }

    /// What judging looks up whatever the entries: `visit` judges a
    /// snapshot of the archive that holds none, and what it asked for is
    /// returned (the account files, the package lists).
    pub fn probe(&self, visit: impl FnOnce(&Snapshot)) -> Result<Requests, SnapshotError> {
        let snap = Opened::open(&self.path)?.into_snapshot(
            Vec::new(),
            Vec::new(),
            Some(Box::new(Partial {
                entries_total: 0,
                inodes_comparable: true,
                links: Vec::new(),
                requests: Mutex::new(Requests::default()),
                window: None,
            })),
        );
        visit(&snap);
        Ok(snap.take_requests())
    }

    /// Fetch into `fetched` the entries `want` asks for that it does not
    /// hold yet (one more read of the records).
    pub fn fetch(
        &self,
        fetched: &mut Fetched,
        want: &Requests,
        cancel: &CancelToken,
    ) -> Result<(), SnapshotError> {
        if want.is_empty() {
            return Ok(());
        }
        let archive = Archive::open_tags(&self.path)?;
        let more = fetch_from(&archive, &fetched.held.entries, want, cancel)?;
        let h = &mut fetched.held;
        h.entries.extend(more.entries);
        h.entries.sort_by(|x, y| x.path.cmp(&y.path));
        h.links.extend(more.links);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn path() -> impl Strategy<Value = String> {
        "(/[ab.]{0,3}){1,4}"
    }

    proptest! {
        /// The streaming matcher, fed paths in order, wants exactly what
        /// the requests cover.
        #[test]
        fn the_matcher_wants_what_the_requests_cover(
            mut paths in proptest::collection::vec(path(), 0..60),
            asked in proptest::collection::vec(path(), 0..4),
            prefixes in proptest::collection::vec("(/[ab.]{0,3}){0,3}/?", 0..4),
            children in proptest::collection::vec(path(), 0..3),
        ) {
            paths.sort();
            paths.dedup();
            let want = Requests {
                paths: asked.into_iter().collect(),
                prefixes: prefixes.into_iter().collect(),
                children: children.iter().map(|d| folder(d).to_string()).collect(),
            };
            let mut m = Matcher::new(&want);
            for p in &paths {
                let naive = want.paths.contains(p)
                    || want.prefixes.iter().any(|x| p.starts_with(x.as_str()))
                    || want.children.contains(parent(p));
                prop_assert_eq!(m.wants(p), naive, "{}", p);
                prop_assert_eq!(want.covers(p), naive, "{}", p);
            }
        }

        /// A window drops a request only when every path it could match
        /// lies in the window's run.
        #[test]
        fn a_window_answers_only_what_lies_in_its_run(
            first in path(),
            next in proptest::option::of(path()),
            prefix in "(/[ab.]{0,3}){0,3}/?",
            suffixes in proptest::collection::vec("[ab./]{0,4}", 1..20),
        ) {
            let next = next.filter(|n| *n > first);
            let w = Window { first, next };
            if w.holds_run(&prefix) {
                for s in &suffixes {
                    let p = format!("{prefix}{s}");
                    prop_assert!(w.holds(&p), "{} outside {:?}", p, w);
                }
            }
        }
    }

    #[test]
    fn unmet_leaves_out_what_was_fetched() {
        let met = Requests {
            paths: ["/etc/passwd".to_string()].into(),
            prefixes: ["/var/lib/dpkg/".to_string()].into(),
            children: ["/home".to_string()].into(),
        };
        let asked = Requests {
            paths: [
                "/etc/passwd",
                "/etc/group",
                "/var/lib/dpkg/info/x.list",
                "/home/ann",
            ]
            .map(String::from)
            .into(),
            prefixes: ["/var/lib/dpkg/info/", "/var/log/syslog"]
                .map(String::from)
                .into(),
            children: ["/home", "/var/lib/dpkg/info", "/srv"]
                .map(String::from)
                .into(),
        };
        let u = asked.unmet(&met);
        assert_eq!(u.paths, ["/etc/group".to_string()].into());
        assert_eq!(u.prefixes, ["/var/log/syslog".to_string()].into());
        assert_eq!(u.children, ["/srv".to_string()].into());
    }
}
