//! Capture's system calls on Linux (see the parent module).

use super::{Dir, Opened, Refused};
use crate::archive::EntryType;
use crate::capture::atime;
use crate::capture::fstype;
use crate::capture::walk::Stat;
use crate::platform::meta::{Meta, time_of};
use rustix::fs::{AtFlags, Mode, OFlags, StatxFlags};
use rustix::io::Errno;
use std::ffi::{CStr, CString};
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

fn from_statx(s: &rustix::fs::Statx) -> Stat {
    let has = |f: StatxFlags| StatxFlags::from_bits_retain(s.stx_mask).contains(f);
    let t =
        |f: StatxFlags, ts: rustix::fs::StatxTimestamp| has(f).then_some((ts.tv_sec, ts.tv_nsec));
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
        atime: t(StatxFlags::ATIME, s.stx_atime),
        mtime: t(StatxFlags::MTIME, s.stx_mtime),
        ctime: t(StatxFlags::CTIME, s.stx_ctime),
        btime: t(StatxFlags::BTIME, s.stx_btime),
        capabilities: None,
        streams: Vec::new(),
    }
}

// `st_nlink` is a u64 with glibc and a u32 with musl (the static build).
#[allow(clippy::useless_conversion)]
fn meta_of(st: &rustix::fs::Stat) -> Meta {
    Meta {
        dev: st.st_dev,
        ino: st.st_ino,
        mode: st.st_mode,
        uid: st.st_uid,
        gid: st.st_gid,
        nlink: u64::from(st.st_nlink),
        size: u64::try_from(st.st_size).unwrap_or(0),
        atime: Some(time_of(st.st_atime, st.st_atime_nsec as i64)),
        mtime: Some(time_of(st.st_mtime, st.st_mtime_nsec as i64)),
        ctime: Some(time_of(st.st_ctime, st.st_ctime_nsec as i64)),
        btime: None,
    }
}

/// File capabilities are read for every regular file.
pub(crate) const READS_CAPABILITIES: bool = true;

/// Examine an open file.
pub(crate) fn fstat(f: &impl std::os::fd::AsFd) -> Result<Meta, Errno> {
    rustix::fs::fstat(f).map(|s| meta_of(&s))
}

/// A directory the walk holds open; `None` is the current directory.
#[derive(Default)]
pub(crate) struct LinuxDir(Option<OwnedFd>);

/// The handle start points are examined through.
pub(crate) type Top = LinuxDir;

fn cname(name: &[u8]) -> Result<CString, Errno> {
    CString::new(name).map_err(|_| Errno::INVAL)
}

impl LinuxDir {
    fn at<R>(&self, f: impl FnOnce(std::os::fd::BorrowedFd<'_>) -> R) -> R {
        use std::os::fd::AsFd as _;
        match &self.0 {
            Some(fd) => f(fd.as_fd()),
            None => f(rustix::fs::CWD),
        }
    }
}

impl Dir for LinuxDir {
    fn list(&self) -> Result<Vec<Vec<u8>>, Errno> {
        match &self.0 {
            Some(fd) => list_fd(fd),
            None => list_fd(&rustix::fs::open(
                ".",
                OFlags::RDONLY | OFlags::DIRECTORY,
                Mode::empty(),
            )?),
        }
    }

    fn stat(&self, name: &[u8]) -> Result<Stat, Errno> {
        let name = cname(name)?;
        self.at(|d| {
            rustix::fs::statx(
                d,
                name.as_c_str(),
                AtFlags::SYMLINK_NOFOLLOW,
                StatxFlags::BASIC_STATS | StatxFlags::BTIME,
            )
        })
        .map(|s| from_statx(&s))
    }

    fn read_link(&self, name: &[u8]) -> Result<Vec<u8>, Errno> {
        let name = cname(name)?;
        self.at(|d| rustix::fs::readlinkat(d, name.as_c_str(), Vec::new()))
            .map(CString::into_bytes)
    }

    fn open_dir(&self, name: &[u8]) -> Result<Self, Errno> {
        let name = cname(name)?;
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        self.at(
            |d| match rustix::fs::openat(d, &name, flags | OFlags::NOATIME, Mode::empty()) {
                Err(Errno::PERM) => rustix::fs::openat(d, &name, flags, Mode::empty()),
                other => other,
            },
        )
        .map(|fd| LinuxDir(Some(fd)))
    }

    /// Read without following a symlink and without opening the file:
    /// through the directory's descriptor (`/proc/self/fd/N/name`), so the
    /// name is looked up in the directory the walk holds, not in whatever
    /// a path would lead to now.
    fn capabilities(&self, name: &[u8]) -> Option<String> {
        let mut buf = [0u8; 64];
        let n = match &self.0 {
            Some(fd) => {
                let mut p = format!("/proc/self/fd/{}/", fd.as_raw_fd()).into_bytes();
                p.extend_from_slice(name);
                let p = CString::new(p).ok()?;
                rustix::fs::lgetxattr(p.as_c_str(), "security.capability", &mut buf[..]).ok()?
            }
            None => {
                let p = CString::new(name).ok()?;
                rustix::fs::lgetxattr(p.as_c_str(), "security.capability", &mut buf[..]).ok()?
            }
        };
        crate::archive::capabilities::decode_capabilities(buf.get(..n)?)
    }

    fn skipped_filesystem(&self) -> Option<&'static str> {
        let fd = self.0.as_ref()?;
        rustix::fs::fstatfs(fd)
            .ok()
            .and_then(|s| fstype::skipped_kind(s.f_type as u64))
    }
}

/// The names in an open directory (without `.` and `..`), sorted bytewise.
fn list_fd(fd: &OwnedFd) -> Result<Vec<Vec<u8>>, Errno> {
    let mut names = Vec::new();
    for entry in rustix::fs::Dir::read_from(fd)? {
        let entry = entry?;
        let b = entry.file_name().to_bytes();
        if b == b"." || b == b".." {
            continue;
        }
        names.push(b.to_vec());
    }
    names.sort();
    Ok(names)
}

/// The kind of pseudo or network filesystem `path` is on, if any.
pub(crate) fn skipped_filesystem_at(path: &Path) -> Option<&'static str> {
    rustix::fs::statfs(path)
        .ok()
        .and_then(|s| fstype::skipped_kind(s.f_type as u64))
}

/// The walk holds one directory descriptor per level. Processes often start
/// with a soft limit of 1024 open files (and a higher hard limit): raise the
/// soft limit, within the hard one, so a tree `max_depth` deep can be walked
/// rather than recorded as "Too many open files" from some depth on.
pub(crate) fn prepare_walk(max_depth: usize) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let want = (max_depth + 1024) as u64;
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

/// Open `path` without following a symbolic link anywhere on it. The walk
/// never followed one, so a link met now was swapped in after the listing
/// (e.g. a directory replaced by a link to elsewhere): refused with `ELOOP`,
/// never read through. Paths longer than `PATH_MAX` (which the walk reaches
/// with `openat`) and kernels without `openat2` (before 5.6) are opened one
/// directory at a time, each with `O_NOFOLLOW`.
pub(crate) fn open_no_symlinks(path: &Path, flags: OFlags) -> Result<OwnedFd, Errno> {
    let resolve = rustix::fs::ResolveFlags::NO_SYMLINKS;
    match rustix::fs::openat2(rustix::fs::CWD, path, flags, Mode::empty(), resolve) {
        Err(Errno::NOSYS | Errno::NAMETOOLONG) => open_by_components(path, flags),
        other => other,
    }
}

/// Open `path` one component at a time, never following a symbolic link.
pub(crate) fn open_by_components(path: &Path, flags: OFlags) -> Result<OwnedFd, Errno> {
    let bytes = path.as_os_str().as_bytes();
    let start = if bytes.starts_with(b"/") { "/" } else { "." };
    let dir_flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut dir = rustix::fs::open(start, dir_flags, Mode::empty())?;
    let mut comps = bytes
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .peekable();
    while let Some(c) = comps.next() {
        let name = CString::new(c).map_err(|_| Errno::INVAL)?;
        if comps.peek().is_none() {
            return rustix::fs::openat(&dir, name.as_c_str(), flags, Mode::empty());
        }
        dir = match rustix::fs::openat(&dir, name.as_c_str(), dir_flags, Mode::empty()) {
            // `O_PATH | O_NOFOLLOW` on a link gives ENOTDIR; say what it is.
            Err(Errno::NOTDIR) if is_link_at(&dir, &name) => return Err(Errno::LOOP),
            other => other?,
        };
    }
    Err(Errno::INVAL)
}

fn is_link_at(dir: &OwnedFd, name: &CStr) -> bool {
    rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).is_ok_and(|s| {
        rustix::fs::FileType::from_raw_mode(s.st_mode) == rustix::fs::FileType::Symlink
    })
}

/// Open the regular file at `path` for reading without ever opening
/// anything else. The path is first resolved without following any
/// symbolic link into an `O_PATH` handle, which opens nothing; only when
/// that handle is a regular file is it opened read-only, `O_NONBLOCK`, and
/// `O_NOATIME` unless the kernel refuses it, through that very handle, so a
/// FIFO or device swapped in is never opened (opening a FIFO can block or
/// release a writer; opening a device runs its driver).
pub(crate) fn open_regular(path: &Path) -> Result<Opened, Refused> {
    let handle = open_no_symlinks(path, OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC)
        .map_err(Refused::Os)?;
    let kind = EntryType::from_mode(rustix::fs::fstat(&handle).map_err(Refused::Os)?.st_mode);
    if kind == Some(EntryType::Symlink) {
        return Err(Refused::Os(Errno::LOOP));
    }
    if kind != Some(EntryType::File) {
        return Err(Refused::NotRegular(kind));
    }
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd_path = format!("/proc/self/fd/{}", handle.as_raw_fd());
    let reopen = |flags| match rustix::fs::open(fd_path.as_str(), flags, Mode::empty()) {
        // No /proc: open by path again (the type is checked below).
        Err(Errno::NOENT) => open_no_symlinks(path, flags | OFlags::NOFOLLOW),
        other => other,
    };
    let (fd, noatime) = match reopen(flags | OFlags::NOATIME) {
        Err(Errno::PERM) => (reopen(flags).map_err(Refused::Os)?, false),
        other => (other.map_err(Refused::Os)?, true),
    };
    // Opened by path again without /proc: it may have changed in between.
    let kind = EntryType::from_mode(rustix::fs::fstat(&fd).map_err(Refused::Os)?.st_mode);
    if kind != Some(EntryType::File) {
        return Err(Refused::NotRegular(kind));
    }
    Ok(Opened {
        file: File::from(fd),
        noatime,
    })
}

/// The names in the directory at `path` (no link followed on the way),
/// sorted bytewise, listed `O_NOATIME` where the kernel allows it, else
/// with the access time it had noted in [`atime`]. `NOTDIR` when it is
/// not a directory.
pub(crate) fn list_dir(path: &Path) -> Result<Vec<Vec<u8>>, Errno> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let (fd, noatime) = match open_no_symlinks(path, flags | OFlags::NOATIME) {
        Err(Errno::PERM) => (open_no_symlinks(path, flags)?, false),
        other => (other?, true),
    };
    let before = fstat(&fd)?;
    let names = list_fd(&fd);
    if !noatime
        && let Ok(after) = fstat(&fd)
        && let (Some(b), Some(a)) = (before.atime, after.atime)
    {
        atime::note(before.dev, before.ino, b, a);
    }
    names
}

/// Open a file of a directory snapshot for reading: never through a final
/// symbolic link, `O_NOATIME` where the kernel allows it.
pub(crate) fn open_read_noatime(p: &Path) -> std::io::Result<File> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = match rustix::fs::open(p, flags | OFlags::NOATIME, Mode::empty()) {
        Err(Errno::PERM) => rustix::fs::open(p, flags, Mode::empty()),
        other => other,
    }?;
    Ok(File::from(fd))
}

/// The file capabilities of the file at `p` (a final link not followed).
pub(crate) fn capabilities(p: &Path) -> Option<String> {
    let mut buf = [0u8; 64];
    let n = rustix::fs::lgetxattr(p, "security.capability", &mut buf[..]).ok()?;
    crate::archive::capabilities::decode_capabilities(buf.get(..n)?)
}
