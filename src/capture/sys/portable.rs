//! Capture's system calls on Windows and macOS, through the standard
//! library (see the parent module for what each system guarantees).

use super::{Dir, Opened, Refused};
use crate::archive::EntryType;
use crate::capture::walk::Stat;
use crate::platform::errno::{self, Errno};
use crate::platform::meta::{self, Meta};
use crate::platform::names;
use std::fs::{File, Metadata, OpenOptions};
use std::path::{Path, PathBuf};

fn os(e: std::io::Error) -> Errno {
    errno::of(&e)
}

/// A reparse point that is not a link (cloud placeholders, deduplicated
/// files, ...): its content may be fetched or rebuilt by a driver when it is
/// read, so it is recorded and not opened.
#[cfg(windows)]
fn is_other_reparse_point(m: &Metadata) -> bool {
    use std::os::windows::fs::MetadataExt as _;
    const FILE_ATTRIBUTE_REPARSE_POINT: u32 = 0x400;
    m.file_attributes() & FILE_ATTRIBUTE_REPARSE_POINT != 0 && !m.file_type().is_symlink()
}

#[cfg(not(windows))]
fn is_other_reparse_point(_: &Metadata) -> bool {
    false
}

fn stat_of(m: &Metadata) -> Stat {
    let mut s = Stat::from(meta::of(m));
    if is_other_reparse_point(m) {
        s.kind = None;
    }
    s
}

/// Options that open a file as itself: the link, not what it leads to
/// (`O_NOFOLLOW`, or `FILE_FLAG_OPEN_REPARSE_POINT` on Windows), and never
/// blocking on a FIFO (`O_NONBLOCK`).
fn no_follow_read() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt as _;
        const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;
        o.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT);
    }
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt as _;
        o.custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC).bits() as i32);
    }
    o
}

/// `LOOP` when a link or reparse point is on `path` (its last component
/// included), so nothing is opened through one.
fn refuse_links_on(path: &Path) -> Result<(), Errno> {
    let mut p = PathBuf::new();
    for c in path.components() {
        p.push(c);
        if matches!(c, std::path::Component::Normal(_))
            && let Ok(m) = std::fs::symlink_metadata(&p)
            && m.file_type().is_symlink()
        {
            return Err(Errno::LOOP);
        }
    }
    Ok(())
}

/// A directory the walk lists, by its path; `None` is the current
/// directory, whose names are whole paths.
#[derive(Default)]
pub(crate) struct PortableDir(Option<PathBuf>);

/// The handle start points are examined through.
pub(crate) type Top = PortableDir;

impl PortableDir {
    fn child(&self, name: &[u8]) -> PathBuf {
        let n = names::bytes_path(name);
        match &self.0 {
            Some(d) => d.join(n),
            None => n,
        }
    }
}

impl Dir for PortableDir {
    fn list(&self) -> Result<Vec<Vec<u8>>, Errno> {
        let dir = self.0.as_deref().unwrap_or(Path::new("."));
        read_names(dir)
    }

    fn stat(&self, name: &[u8]) -> Result<Stat, Errno> {
        std::fs::symlink_metadata(self.child(name))
            .map(|m| stat_of(&m))
            .map_err(os)
    }

    fn read_link(&self, name: &[u8]) -> Result<Vec<u8>, Errno> {
        std::fs::read_link(self.child(name))
            .map(|t| names::path_bytes(&t).into_owned())
            .map_err(os)
    }

    fn open_dir(&self, name: &[u8]) -> Result<Self, Errno> {
        let p = self.child(name);
        let m = std::fs::symlink_metadata(&p).map_err(os)?;
        if m.file_type().is_symlink() || is_other_reparse_point(&m) {
            return Err(Errno::LOOP);
        }
        if !m.is_dir() {
            return Err(Errno::NOTDIR);
        }
        Ok(PortableDir(Some(p)))
    }

    fn capabilities(&self, _: &[u8]) -> Option<String> {
        None
    }

    /// Listed from a handle opened as the entry itself (a link swapped in
    /// is examined, never followed); a file that cannot be opened has its
    /// reading error recorded when its content is read.
    fn streams(&self, name: &[u8]) -> Vec<crate::archive::record::AltStream> {
        no_follow_read()
            .open(self.child(name))
            .and_then(|f| crate::platform::streams::of(&f))
            .unwrap_or_default()
    }

    fn skipped_filesystem(&self) -> Option<&'static str> {
        None
    }
}

fn read_names(dir: &Path) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(os)? {
        let e = e.map_err(os)?;
        out.push(names::to_bytes(&e.file_name()).into_owned());
    }
    out.sort();
    Ok(out)
}

/// No pseudo filesystems are known here.
pub(crate) fn skipped_filesystem_at(_: &Path) -> Option<&'static str> {
    None
}

/// Nothing to prepare: the walk holds no descriptors.
pub(crate) fn prepare_walk(_: usize) {}

/// File capabilities (a Linux notion) are not read.
pub(crate) const READS_CAPABILITIES: bool = false;

/// Examine an open file.
pub(crate) fn fstat(f: &File) -> Result<Meta, Errno> {
    f.metadata().map(|m| meta::of(&m)).map_err(os)
}

/// Open the regular file at `path` for reading without opening anything
/// else: no link may be on the path, the entry must be a regular file
/// before it is opened, it is opened as itself (a link swapped in is opened
/// as the link and refused), and the opened file is checked again.
pub(crate) fn open_regular(path: &Path) -> Result<Opened, Refused> {
    refuse_links_on(path).map_err(Refused::Os)?;
    let m = std::fs::symlink_metadata(path).map_err(|e| Refused::Os(os(e)))?;
    let kind = stat_of(&m).kind;
    if kind == Some(EntryType::Symlink) {
        return Err(Refused::Os(Errno::LOOP));
    }
    if kind != Some(EntryType::File) {
        return Err(Refused::NotRegular(kind));
    }
    let file = no_follow_read()
        .open(path)
        .map_err(|e| Refused::Os(os(e)))?;
    let after = file.metadata().map_err(|e| Refused::Os(os(e)))?;
    if after.file_type().is_symlink() {
        return Err(Refused::Os(Errno::LOOP));
    }
    let kind = stat_of(&after).kind;
    if kind != Some(EntryType::File) {
        return Err(Refused::NotRegular(kind));
    }
    Ok(Opened {
        file,
        noatime: false,
    })
}

/// The names in the directory at `path` (no link on the way), sorted
/// bytewise. `NOTDIR` when it is not a directory.
pub(crate) fn list_dir(path: &Path) -> Result<Vec<Vec<u8>>, Errno> {
    refuse_links_on(path)?;
    let m = std::fs::symlink_metadata(path).map_err(os)?;
    if !m.is_dir() {
        return Err(Errno::NOTDIR);
    }
    read_names(path)
}

/// Open a file of a directory snapshot for reading, never through a final
/// link.
pub(crate) fn open_read_noatime(p: &Path) -> std::io::Result<File> {
    no_follow_read().open(p)
}

/// File capabilities are a Linux notion.
pub(crate) fn capabilities(_: &Path) -> Option<String> {
    None
}
