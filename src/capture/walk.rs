//! The capture walker: one depth-first pass over the sources, in name order.
//!
//! The walk holds each directory it lists open and examines, opens and
//! reads the links of its entries through that handle ([`sys::Dir`]), never
//! by a path that could have changed meanwhile. On Linux, directories are
//! opened relative to their parent (`openat`) with `O_NOFOLLOW |
//! O_NOATIME`, entries are examined with `statx` without following
//! symlinks, so the walk never leaves the source through a link and does
//! not touch access times where the kernel allows it; on Windows and macOS
//! the portable calls do the same as far as each system allows (see
//! `capture::sys`). Filesystem boundaries are checked on every directory:
//! pseudo and network filesystems are recorded and not entered unless asked.

use super::select::{Selection, Selector};
use super::sys::{self, Dir as _};
use crate::archive::{EntryType, Status};
use crate::job::CancelToken;
use crate::platform::errno::Errno;
use std::path::{Path, PathBuf};

/// A time as (seconds, nanoseconds) since the epoch.
pub type Time = crate::platform::meta::Time;

/// What the system said about an entry.
#[derive(Debug, Clone, Default)]
pub struct Stat {
    pub kind: Option<EntryType>,
    /// Full `st_mode` including the type bits.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub ino: u64,
    pub dev: u64,
    pub nlink: u64,
    pub atime: Option<Time>,
    pub mtime: Option<Time>,
    pub ctime: Option<Time>,
    pub btime: Option<Time>,
    /// File capabilities of a regular file (`security.capability`), decoded.
    pub capabilities: Option<String>,
    /// NTFS alternate data streams of a regular file (Windows).
    pub streams: Vec<crate::archive::record::AltStream>,
}

impl Stat {
    /// `(uid, gid)`, `None` where the system has no numeric owner.
    pub fn owner(&self) -> Option<(u32, u32)> {
        crate::platform::meta::OWNER_IDS.then_some((self.uid, self.gid))
    }

    /// `(inode, dev, nlink)`, `None` where the system cannot read them.
    pub fn identity(&self) -> Option<(u64, u64, u64)> {
        crate::platform::meta::IDENTITY.then_some((self.ino, self.dev, self.nlink))
    }
}

impl From<crate::platform::meta::Meta> for Stat {
    fn from(m: crate::platform::meta::Meta) -> Self {
        Stat {
            kind: EntryType::from_mode(m.mode),
            mode: m.mode,
            uid: m.uid,
            gid: m.gid,
            size: m.size,
            ino: m.ino,
            dev: m.dev,
            nlink: m.nlink,
            atime: m.atime,
            mtime: m.mtime,
            ctime: m.ctime,
            btime: m.btime,
            capabilities: None,
            streams: Vec::new(),
        }
    }
}

/// One entry the walk found.
#[derive(Debug, Clone)]
pub struct WalkItem {
    /// Logical path (absolute, as the examined system sees it), raw bytes.
    pub logical: Vec<u8>,
    pub stat: Stat,
    pub link_target: Option<Vec<u8>>,
    pub selection: Selection,
    /// An outcome the walk already knows (cannot list, other filesystem,
    /// vanished...), overriding the normal acquisition.
    pub outcome: Option<(Status, String)>,
}

pub struct WalkOptions<'a> {
    /// Target root on the examiner's machine; `None` for the running system.
    pub root: Option<&'a Path>,
    pub selector: &'a dyn Selector,
    /// Enter pseudo and network filesystems too.
    pub all_filesystems: bool,
    /// Do not cross into any other filesystem.
    pub one_file_system: bool,
    /// (dev, inode) of files never to take (the capture's own output).
    pub exclude: Vec<(u64, u64)>,
    pub cancel: &'a CancelToken,
    /// Called every few hundred entries with the count so far and a path.
    pub on_progress: &'a dyn Fn(u64, &[u8]),
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalkError {
    #[error("cancelled")]
    Cancelled,
    /// The caller's visitor asked to stop.
    #[error("stopped")]
    Stopped,
}

const MAX_DEPTH: usize = 4096;

/// The path on the examiner's machine of a logical path.
pub fn physical(root: Option<&Path>, logical: &[u8]) -> PathBuf {
    crate::platform::names::physical(root, logical)
}

/// Resolve a logical path inside a target root the way the examined system
/// would, with every symlink (absolute or relative) interpreted inside
/// `root`, never on the examiner's machine. With `follow_last` false the
/// final component is left as it is. Returns the resolved logical path.
///
/// Every link read on the way has its access time noted in
/// [`super::atime`] when reading it changed it.
pub fn resolve_in_root(root: &Path, logical: &[u8], follow_last: bool) -> std::io::Result<Vec<u8>> {
    let mut pending: Vec<Vec<u8>> = logical
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .rev()
        .map(<[u8]>::to_vec)
        .collect();
    let mut resolved: Vec<Vec<u8>> = Vec::new();
    let mut hops = 0;
    while let Some(comp) = pending.pop() {
        match comp.as_slice() {
            b"." => continue,
            b".." => {
                resolved.pop();
                continue;
            }
            _ => {}
        }
        let last = pending.is_empty();
        let mut candidate = resolved.clone();
        candidate.push(comp.clone());
        let logical_now = join_components(&candidate);
        let phys = physical(Some(root), &logical_now);
        let link = std::fs::symlink_metadata(&phys)
            .ok()
            .filter(|m| m.file_type().is_symlink());
        if let Some(link) = link.filter(|_| follow_last || !last) {
            hops += 1;
            if hops > 40 {
                return Err(std::io::Error::from(Errno::LOOP));
            }
            // Reading a link may update its access time (the kernel offers
            // no way around it): note the value from before for the record.
            let target = std::fs::read_link(&phys);
            super::atime::note_path(&phys, &link);
            let target = target?;
            let t = crate::platform::names::path_bytes(&target);
            if t.starts_with(b"/") {
                resolved.clear();
            }
            for c in t.split(|&b| b == b'/').filter(|c| !c.is_empty()).rev() {
                pending.push(c.to_vec());
            }
        } else {
            resolved.push(comp);
        }
    }
    Ok(join_components(&resolved))
}

fn join_components(c: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for comp in c {
        out.push(b'/');
        out.extend_from_slice(comp);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

fn child_path(parent: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = parent.to_vec();
    if !p.ends_with(b"/") {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

fn errno_text(e: Errno) -> String {
    std::io::Error::from(e).to_string()
}

struct Frame<D> {
    dir: D,
    logical: Vec<u8>,
    names: std::vec::IntoIter<Vec<u8>>,
    dev: u64,
    depth: usize,
}

struct Walker<'a, 'v> {
    opts: &'a WalkOptions<'a>,
    /// Receives every item in walk order; `false` stops the walk.
    visit: &'v mut dyn FnMut(WalkItem) -> bool,
    stopped: bool,
    seen: u64,
}

fn content() -> Selection {
    Selection::Content {
        size_limit: None,
        rule: None,
        flags: Vec::new(),
    }
}

impl Walker<'_, '_> {
    fn emit(&mut self, item: WalkItem) {
        if !self.stopped && !(self.visit)(item) {
            self.stopped = true;
        }
    }

    fn tick(&mut self, path: &[u8]) -> Result<(), WalkError> {
        if self.stopped {
            return Err(WalkError::Stopped);
        }
        self.seen += 1;
        if self.seen.is_multiple_of(256) {
            if self.opts.cancel.is_cancelled() {
                return Err(WalkError::Cancelled);
            }
            (self.opts.on_progress)(self.seen, path);
        }
        Ok(())
    }

    /// Examine one entry `name` of `parent` (already stat'ed): its item, if
    /// it is to be recorded, and an open directory to descend into, if any.
    /// `dev` is the parent's device, `None` for a start point.
    fn visit<D: sys::Dir>(
        &mut self,
        parent: &D,
        dev: Option<u64>,
        name: &[u8],
        logical: Vec<u8>,
        mut stat: Stat,
        depth: usize,
    ) -> (Option<WalkItem>, Option<(D, u64)>) {
        let kind = stat.kind;
        if kind == Some(EntryType::File) {
            stat.capabilities = parent.capabilities(name);
            stat.streams = parent.streams(name);
        }
        let mut selection = match kind {
            Some(k) => self
                .opts
                .selector
                .select_entry(&logical, k, stat.size, stat.mode),
            None => content(),
        };
        if (stat.dev, stat.ino) != (0, 0) && self.opts.exclude.contains(&(stat.dev, stat.ino)) {
            selection = Selection::Excluded("the capture's own output file".to_string());
        }
        let mut outcome = None;
        let mut link_target = None;
        if kind == Some(EntryType::Symlink) {
            match parent.read_link(name) {
                Ok(t) => link_target = Some(t),
                Err(e) => {
                    outcome = Some((
                        Status::Unreadable,
                        format!("cannot read link: {}", errno_text(e)),
                    ))
                }
            }
        }
        let mut descend = None;
        let wants_children = kind == Some(EntryType::Dir)
            && !matches!(selection, Selection::Excluded(_))
            && self.opts.selector.descend(&logical, depth);
        if wants_children {
            if depth >= MAX_DEPTH {
                outcome = Some((
                    Status::Skipped,
                    format!("depth_limit: deeper than {MAX_DEPTH} levels"),
                ));
            } else {
                match parent.open_dir(name) {
                    Err(e) => {
                        outcome = Some((
                            Status::Unreadable,
                            format!("cannot list directory: {}", errno_text(e)),
                        ))
                    }
                    Ok(dir) => {
                        let crossing = dev.is_some_and(|d| d != stat.dev);
                        let fs_skip = if crossing && self.opts.one_file_system {
                            Some(
                                "other_filesystem: a different filesystem (--one-file-system)"
                                    .to_string(),
                            )
                        } else if crossing && !self.opts.all_filesystems {
                            dir.skipped_filesystem()
                                .map(|k| format!("other_filesystem: {k} (pseudo or network filesystem; use --all-filesystems to enter)"))
                        } else {
                            None
                        };
                        match fs_skip {
                            Some(reason) => outcome = Some((Status::Skipped, reason)),
                            None => descend = Some((dir, stat.dev)),
                        }
                    }
                }
            }
        }
        let recorded = !matches!(selection, Selection::Ignore) || outcome.is_some();
        let item = recorded.then_some(WalkItem {
            logical,
            stat,
            link_target,
            selection,
            outcome,
        });
        (item, descend)
    }

    /// An entry that could not be examined.
    fn unexamined(&mut self, logical: Vec<u8>, e: Errno, what: &str) {
        let status = if e == Errno::NOENT {
            Status::Vanished
        } else {
            Status::Unreadable
        };
        self.emit(WalkItem {
            logical,
            stat: Stat::default(),
            link_target: None,
            selection: content(),
            outcome: Some((status, format!("{what}: {}", errno_text(e)))),
        });
    }

    /// Emit a directory's `item` (when it is recorded), then list `dir`
    /// and push it on the stack; a directory that cannot be listed is
    /// recorded so on its item.
    #[allow(clippy::too_many_arguments)]
    fn push<D: sys::Dir>(
        &mut self,
        stack: &mut Vec<Frame<D>>,
        mut item: Option<WalkItem>,
        dir: D,
        dev: u64,
        logical: Vec<u8>,
        depth: usize,
    ) {
        match dir.list() {
            Ok(names) => {
                if let Some(item) = item {
                    self.emit(item);
                }
                stack.push(Frame {
                    dir,
                    logical,
                    names: names.into_iter(),
                    dev,
                    depth,
                })
            }
            Err(e) => {
                if let Some(mut item) = item.take() {
                    item.outcome = Some((
                        Status::Unreadable,
                        format!("cannot list directory: {}", errno_text(e)),
                    ));
                    self.emit(item);
                }
            }
        }
    }
}

/// Walk every start point (logical paths) and return the items in walk order.
pub fn walk(starts: &[Vec<u8>], opts: &WalkOptions<'_>) -> Result<Vec<WalkItem>, WalkError> {
    let mut items = Vec::new();
    walk_each(starts, opts, &mut |item| {
        items.push(item);
        true
    })?;
    Ok(items)
}

/// Walk every start point (logical paths) and hand each item to `visit`
/// in walk order, as it is found: nothing is kept. `visit` returns `false`
/// to stop the walk ([`WalkError::Stopped`]).
pub fn walk_each(
    starts: &[Vec<u8>],
    opts: &WalkOptions<'_>,
    visit: &mut dyn FnMut(WalkItem) -> bool,
) -> Result<(), WalkError> {
    sys::prepare_walk(MAX_DEPTH);
    let mut w = Walker {
        opts,
        visit,
        stopped: false,
        seen: 0,
    };
    for start in starts {
        if w.stopped {
            break;
        }
        let phys = physical(opts.root, start);
        let top = sys::Top::default();
        let name = crate::platform::names::path_bytes(&phys).into_owned();
        let stat = match top.stat(&name) {
            Ok(s) => s,
            Err(e) => {
                w.unexamined(start.clone(), e, "cannot examine source");
                continue;
            }
        };
        // A start point on a pseudo or network filesystem (`exhibit capture
        // /proc`) gets the same rule as a mount met during the walk: recorded,
        // not entered or read (/proc/kcore alone claims ~128 TiB).
        if !opts.all_filesystems
            && stat.kind != Some(EntryType::Symlink)
            && let Some(kind) = sys::skipped_filesystem_at(&phys)
        {
            w.emit(WalkItem {
                logical: start.clone(),
                stat,
                link_target: None,
                selection: content(),
                outcome: Some((
                    Status::Skipped,
                    format!(
                        "other_filesystem: {kind} (pseudo or network filesystem; use --all-filesystems to enter)"
                    ),
                )),
            });
            continue;
        }
        let (item, descend) = w.visit(&top, None, &name, start.clone(), stat, 0);
        let Some((first, dev)) = descend else {
            if let Some(item) = item {
                w.emit(item);
            }
            continue;
        };
        let mut stack = Vec::new();
        w.push(&mut stack, item, first, dev, start.clone(), 0);
        while let Some(top) = stack.last_mut() {
            let Some(name) = top.names.next() else {
                stack.pop();
                continue;
            };
            let logical = child_path(&top.logical, &name);
            let depth = top.depth + 1;
            w.tick(&logical)?;
            let stat = match top.dir.stat(&name) {
                Ok(s) => s,
                Err(e) => {
                    w.unexamined(logical, e, "gone between listing and examining");
                    continue;
                }
            };
            let (item, descend) =
                w.visit(&top.dir, Some(top.dev), &name, logical.clone(), stat, depth);
            match descend {
                Some((dir, dev)) => w.push(&mut stack, item, dir, dev, logical, depth),
                None => {
                    if let Some(item) = item {
                        w.emit(item);
                    }
                }
            }
        }
    }
    (opts.on_progress)(w.seen, b"");
    if w.stopped {
        return Err(WalkError::Stopped);
    }
    Ok(())
}
