//! The capture walker: one depth-first pass over the sources, in name order.
//!
//! Directories are opened relative to their parent (`openat`) with
//! `O_NOFOLLOW | O_NOATIME`, entries are examined with `statx` without
//! following symlinks, so the walk never leaves the source through a link and
//! does not touch access times where the kernel allows it. Filesystem
//! boundaries are checked on every directory: pseudo and network filesystems
//! are recorded and not entered unless asked.

use super::fstype;
use super::select::{Selection, Selector};
use crate::archive::{EntryType, Status};
use crate::job::CancelToken;
use rustix::fs::{AtFlags, Mode, OFlags, StatxFlags};
use rustix::io::Errno;
use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A time as (seconds, nanoseconds) since the epoch.
pub type Time = (i64, u32);

/// What `statx` said about an entry.
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
}

impl Stat {
    fn from_statx(s: &rustix::fs::Statx) -> Self {
        let has = |f: StatxFlags| StatxFlags::from_bits_retain(s.stx_mask).contains(f);
        let t = |ts: rustix::fs::StatxTimestamp| Some((ts.tv_sec, ts.tv_nsec));
        let mode = s.stx_mode as u32;
        Stat {
            kind: EntryType::from_mode(mode),
            mode,
            uid: s.stx_uid,
            gid: s.stx_gid,
            size: s.stx_size,
            ino: s.stx_ino,
            dev: rustix::fs::makedev(s.stx_dev_major, s.stx_dev_minor),
            nlink: s.stx_nlink as u64,
            atime: if has(StatxFlags::ATIME) {
                t(s.stx_atime)
            } else {
                None
            },
            mtime: if has(StatxFlags::MTIME) {
                t(s.stx_mtime)
            } else {
                None
            },
            ctime: if has(StatxFlags::CTIME) {
                t(s.stx_ctime)
            } else {
                None
            },
            btime: if has(StatxFlags::BTIME) {
                t(s.stx_btime)
            } else {
                None
            },
            capabilities: None,
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
}

const MAX_DEPTH: usize = 4096;

/// The path on the examiner's machine of a logical path.
pub fn physical(root: Option<&Path>, logical: &[u8]) -> PathBuf {
    let rel = std::ffi::OsStr::from_bytes(logical);
    match root {
        Some(r) => r.join(Path::new(rel).strip_prefix("/").unwrap_or(Path::new(rel))),
        None => PathBuf::from(rel),
    }
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
                return Err(std::io::Error::from_raw_os_error(
                    Errno::LOOP.raw_os_error(),
                ));
            }
            // Reading a link may update its access time (the kernel offers
            // no way around it): note the value from before for the record.
            let target = std::fs::read_link(&phys);
            super::atime::note_path(&phys, &link);
            let target = target?;
            let t = target.as_os_str().as_bytes();
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

fn open_dir(dirfd: impl std::os::fd::AsFd, name: &std::ffi::CStr) -> Result<OwnedFd, Errno> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    match rustix::fs::openat(&dirfd, name, flags | OFlags::NOATIME, Mode::empty()) {
        Err(Errno::PERM) => rustix::fs::openat(&dirfd, name, flags, Mode::empty()),
        other => other,
    }
}

/// The names in an open directory (without `.` and `..`), sorted bytewise.
pub(crate) fn list_dir(fd: &OwnedFd) -> Result<Vec<CString>, Errno> {
    let mut names = Vec::new();
    for entry in rustix::fs::Dir::read_from(fd)? {
        let entry = entry?;
        let name = entry.file_name();
        let b = name.to_bytes();
        if b == b"." || b == b".." {
            continue;
        }
        names.push(name.to_owned());
    }
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    Ok(names)
}

fn errno_text(e: Errno) -> String {
    std::io::Error::from(e).to_string()
}

struct Frame {
    fd: OwnedFd,
    logical: Vec<u8>,
    names: std::vec::IntoIter<CString>,
    dev: u64,
    depth: usize,
}

struct Walker<'a> {
    opts: &'a WalkOptions<'a>,
    items: Vec<WalkItem>,
    seen: u64,
}

impl Walker<'_> {
    fn tick(&mut self, path: &[u8]) -> Result<(), WalkError> {
        self.seen += 1;
        if self.seen.is_multiple_of(256) {
            if self.opts.cancel.is_cancelled() {
                return Err(WalkError::Cancelled);
            }
            (self.opts.on_progress)(self.seen, path);
        }
        Ok(())
    }

    /// Examine one entry (already stat'ed) and push its item; return an open
    /// directory to descend into, if any.
    fn visit(
        &mut self,
        parent: Option<(&OwnedFd, u64)>,
        name: &std::ffi::CStr,
        logical: Vec<u8>,
        mut stat: Stat,
        depth: usize,
    ) -> Option<(OwnedFd, u64)> {
        let kind = stat.kind;
        if kind == Some(EntryType::File) {
            stat.capabilities = capabilities_at(parent.map(|p| p.0), name);
        }
        let mut selection = match kind {
            Some(k) => self
                .opts
                .selector
                .select_entry(&logical, k, stat.size, stat.mode),
            None => Selection::Content {
                size_limit: None,
                rule: None,
                flags: Vec::new(),
            },
        };
        if self.opts.exclude.contains(&(stat.dev, stat.ino)) {
            selection = Selection::Excluded("the capture's own output file".to_string());
        }
        let mut outcome = None;
        let mut link_target = None;
        let dirfd = parent.map(|p| p.0);
        if kind == Some(EntryType::Symlink) {
            let res = match dirfd {
                Some(fd) => rustix::fs::readlinkat(fd, name, Vec::new()),
                None => rustix::fs::readlinkat(rustix::fs::CWD, name, Vec::new()),
            };
            match res {
                Ok(t) => link_target = Some(t.into_bytes()),
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
                let opened = match dirfd {
                    Some(fd) => open_dir(fd, name),
                    None => open_dir(rustix::fs::CWD, name),
                };
                match opened {
                    Err(e) => {
                        outcome = Some((
                            Status::Unreadable,
                            format!("cannot list directory: {}", errno_text(e)),
                        ))
                    }
                    Ok(fd) => {
                        let crossing = parent.is_some_and(|(_, dev)| dev != stat.dev);
                        let fs_skip = if crossing && self.opts.one_file_system {
                            Some(
                                "other_filesystem: a different filesystem (--one-file-system)"
                                    .to_string(),
                            )
                        } else if crossing && !self.opts.all_filesystems {
                            rustix::fs::fstatfs(&fd)
                                .ok()
                                .and_then(|s| fstype::skipped_kind(s.f_type as u64))
                                .map(|k| format!("other_filesystem: {k} (pseudo or network filesystem; use --all-filesystems to enter)"))
                        } else {
                            None
                        };
                        match fs_skip {
                            Some(reason) => outcome = Some((Status::Skipped, reason)),
                            None => descend = Some((fd, stat.dev)),
                        }
                    }
                }
            }
        }
        if !matches!(selection, Selection::Ignore) || outcome.is_some() {
            self.items.push(WalkItem {
                logical,
                stat,
                link_target,
                selection,
                outcome,
            });
        }
        descend
    }
}

/// The walk holds one directory descriptor per level. Processes often start
/// with a soft limit of 1024 open files (and a higher hard limit): raise the
/// soft limit, within the hard one, so a tree `MAX_DEPTH` deep can be walked
/// rather than recorded as "Too many open files" from some depth on.
fn raise_open_file_limit() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let want = (MAX_DEPTH + 1024) as u64;
    let lim = getrlimit(Resource::Nofile);
    let Some(current) = lim.current else { return };
    if current >= want {
        return;
    }
    let target = lim.maximum.map_or(want, |max| max.min(want));
    if target > current {
        // On failure the walk goes on; directories it cannot open are
        // recorded with the OS error.
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(target),
                maximum: lim.maximum,
            },
        );
    }
}

/// The file capabilities of `name` in the directory `dirfd` (or of the
/// path `name` when there is none), without following a symlink and
/// without opening the file: through the directory's descriptor
/// (`/proc/self/fd/N/name`), so the name is looked up in the directory the
/// walk holds, not in whatever a path would lead to now. None when the
/// file has none or they cannot be read.
fn capabilities_at(dirfd: Option<&OwnedFd>, name: &std::ffi::CStr) -> Option<String> {
    use std::os::fd::AsRawFd;
    let mut buf = [0u8; 64];
    let n = match dirfd {
        Some(fd) => {
            let mut p = format!("/proc/self/fd/{}/", fd.as_raw_fd()).into_bytes();
            p.extend_from_slice(name.to_bytes());
            let p = CString::new(p).ok()?;
            rustix::fs::lgetxattr(p.as_c_str(), "security.capability", &mut buf[..]).ok()?
        }
        None => rustix::fs::lgetxattr(name, "security.capability", &mut buf[..]).ok()?,
    };
    crate::archive::capabilities::decode_capabilities(buf.get(..n)?)
}

/// Walk every start point (logical paths) and return the items in walk order.
pub fn walk(starts: &[Vec<u8>], opts: &WalkOptions<'_>) -> Result<Vec<WalkItem>, WalkError> {
    raise_open_file_limit();
    let mut w = Walker {
        opts,
        items: Vec::new(),
        seen: 0,
    };
    for start in starts {
        let phys = physical(opts.root, start);
        let Ok(cpath) = CString::new(phys.as_os_str().as_bytes()) else {
            continue;
        };
        let stat = match rustix::fs::statx(
            rustix::fs::CWD,
            cpath.as_c_str(),
            AtFlags::SYMLINK_NOFOLLOW,
            StatxFlags::BASIC_STATS | StatxFlags::BTIME,
        ) {
            Ok(s) => Stat::from_statx(&s),
            Err(e) => {
                let status = if e == Errno::NOENT {
                    Status::Vanished
                } else {
                    Status::Unreadable
                };
                w.items.push(WalkItem {
                    logical: start.clone(),
                    stat: Stat::default(),
                    link_target: None,
                    selection: Selection::Content {
                        size_limit: None,
                        rule: None,
                        flags: Vec::new(),
                    },
                    outcome: Some((status, format!("cannot examine source: {}", errno_text(e)))),
                });
                continue;
            }
        };
        // A start point on a pseudo or network filesystem (`exhibit capture
        // /proc`) gets the same rule as a mount met during the walk: recorded,
        // not entered or read (/proc/kcore alone claims ~128 TiB).
        if !opts.all_filesystems
            && stat.kind != Some(EntryType::Symlink)
            && let Some(kind) = rustix::fs::statfs(cpath.as_c_str())
                .ok()
                .and_then(|s| fstype::skipped_kind(s.f_type as u64))
        {
            w.items.push(WalkItem {
                logical: start.clone(),
                stat,
                link_target: None,
                selection: Selection::Content {
                    size_limit: None,
                    rule: None,
                    flags: Vec::new(),
                },
                outcome: Some((
                    Status::Skipped,
                    format!(
                        "other_filesystem: {kind} (pseudo or network filesystem; use --all-filesystems to enter)"
                    ),
                )),
            });
            continue;
        }
        let Some(first) = w.visit(None, cpath.as_c_str(), start.clone(), stat, 0) else {
            continue;
        };
        let mut stack = Vec::new();
        let push =
            |stack: &mut Vec<Frame>, fd: OwnedFd, dev, logical: Vec<u8>, depth, w: &mut Walker| {
                match list_dir(&fd) {
                    Ok(names) => stack.push(Frame {
                        fd,
                        logical,
                        names: names.into_iter(),
                        dev,
                        depth,
                    }),
                    Err(e) => {
                        if let Some(item) = w.items.iter_mut().rev().find(|i| i.logical == logical)
                        {
                            item.outcome = Some((
                                Status::Unreadable,
                                format!("cannot list directory: {}", errno_text(e)),
                            ));
                        }
                    }
                }
            };
        push(&mut stack, first.0, first.1, start.clone(), 0, &mut w);
        while let Some(top) = stack.last_mut() {
            let Some(name) = top.names.next() else {
                stack.pop();
                continue;
            };
            let logical = child_path(&top.logical, name.as_bytes());
            let depth = top.depth + 1;
            w.tick(&logical)?;
            let stat = match rustix::fs::statx(
                &top.fd,
                name.as_c_str(),
                AtFlags::SYMLINK_NOFOLLOW,
                StatxFlags::BASIC_STATS | StatxFlags::BTIME,
            ) {
                Ok(s) => Stat::from_statx(&s),
                Err(e) => {
                    let status = if e == Errno::NOENT {
                        Status::Vanished
                    } else {
                        Status::Unreadable
                    };
                    w.items.push(WalkItem {
                        logical,
                        stat: Stat::default(),
                        link_target: None,
                        selection: Selection::Content {
                            size_limit: None,
                            rule: None,
                            flags: Vec::new(),
                        },
                        outcome: Some((
                            status,
                            format!("gone between listing and examining: {}", errno_text(e)),
                        )),
                    });
                    continue;
                }
            };
            let descend = w.visit(
                Some((&top.fd, top.dev)),
                name.as_c_str(),
                logical.clone(),
                stat,
                depth,
            );
            if let Some((fd, dev)) = descend {
                push(&mut stack, fd, dev, logical, depth, &mut w);
            }
        }
    }
    (opts.on_progress)(w.seen, b"");
    Ok(w.items)
}
