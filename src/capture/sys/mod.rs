//! The system calls capture makes, behind one interface: the walker's
//! directory handles ([`Dir`]), opening a file that must be a regular file
//! without following any link ([`open_regular`]), examining an open file
//! ([`fstat`]), listing a directory of a target ([`list_dir`]), reading a
//! directory snapshot's files without changing their access times
//! ([`open_read_noatime`]), and file capabilities ([`capabilities`]).
//!
//! - `linux`: `openat2(RESOLVE_NO_SYMLINKS)`, `O_PATH`, `O_NOATIME`,
//!   `statx` (birth times), `fstatfs` (pseudo and network filesystems),
//!   `security.capability`; every guarantee `capture` documents.
//! - `portable` (Windows, macOS): the standard library. A link or reparse
//!   point (symlink, junction) is recorded, never followed: entries are
//!   examined with `symlink_metadata`, and a file is opened only after the
//!   path's every component was checked not to be one and, on Windows,
//!   with `FILE_FLAG_OPEN_REPARSE_POINT`, so a link swapped in is opened
//!   as itself and refused. What the system cannot tell (inode, owner ids,
//!   change time on Windows) is listed by [`crate::platform::meta::UNKNOWN`].
//!   Access times: Windows updates them lazily (and not at all on volumes
//!   where `NtfsDisableLastAccessUpdate` is set, the default since Windows
//!   10 1803); macOS has no `O_NOATIME`, and the capture notes what it
//!   read so the record keeps the value from before.

use super::walk::Stat;
use crate::archive::EntryType;
use crate::platform::errno::Errno;

#[cfg(target_os = "linux")]
pub(crate) mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::*;

#[cfg(not(target_os = "linux"))]
mod portable;
#[cfg(not(target_os = "linux"))]
pub(crate) use portable::*;

/// A directory the walk holds open, and what it asks of it. Names are
/// single path components as bytes; the default value ([`Top`]) stands for
/// the current directory, whose "names" are whole paths (the start points).
pub(crate) trait Dir: Sized {
    /// The names in the directory (without `.` and `..`), sorted bytewise.
    fn list(&self) -> Result<Vec<Vec<u8>>, Errno>;
    /// Examine `name` without following it if it is a link.
    fn stat(&self, name: &[u8]) -> Result<Stat, Errno>;
    /// The target of the link `name`.
    fn read_link(&self, name: &[u8]) -> Result<Vec<u8>, Errno>;
    /// Open the directory `name` (never through a link).
    fn open_dir(&self, name: &[u8]) -> Result<Self, Errno>;
    /// The file capabilities of the regular file `name`, decoded.
    fn capabilities(&self, name: &[u8]) -> Option<String>;
    /// The NTFS alternate data streams of the regular file `name`
    /// ([`crate::platform::streams`]); none where the system has none.
    fn streams(&self, _name: &[u8]) -> Vec<crate::archive::record::AltStream> {
        Vec::new()
    }
    /// The kind of a pseudo or network filesystem this directory is on, if
    /// it is on one (such filesystems are not entered unless asked).
    fn skipped_filesystem(&self) -> Option<&'static str>;
}

/// A regular file opened for reading by [`open_regular`].
#[derive(Debug)]
pub(crate) struct Opened {
    pub file: std::fs::File,
    /// Opened so that reading it leaves its access time alone (`O_NOATIME`).
    /// False when the system refused the flag (not the owner and no
    /// `CAP_FOWNER`) or has none, so reading it may change its access time.
    pub noatime: bool,
}

/// Why [`open_regular`] did not open a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Not a regular file (FIFO, socket, device, directory...): never opened.
    /// `None` when the type is unknown.
    NotRegular(Option<EntryType>),
    /// The OS error; `LOOP` when a symbolic link is on the path.
    Os(Errno),
}
