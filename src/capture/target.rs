//! Reading the examined system's own files outside the walk: host identity
//! (`/etc/hostname`, `/etc/machine-id`, `os-release`), accounts
//! (`/etc/passwd`, `/etc/group`), homes, utmp and logind sessions.
//!
//! Every such read goes through here, under the walk's rules. The path is
//! resolved the way the examined system would resolve it, every symbolic
//! link interpreted inside the target root, so a link never leads to the
//! examiner's own files; the result is opened without following any link
//! (a link swapped in meanwhile is refused); only a regular file is opened
//! (a FIFO, socket or device never is: a FIFO would block the capture, a
//! device such as `/dev/zero` would never end); it is opened `O_NOATIME`
//! (dropped only when the kernel refuses it, and then the access time it
//! had is noted in [`super::atime`]); and at most a given number of bytes
//! is read. Directories are listed `O_NOATIME` in the same way.

use super::atime;
use super::sys::{Refused, fstat, open_regular};
use super::walk::{physical, resolve_in_root};
use crate::archive::EntryType;
use crate::platform::errno::Errno;
use std::io::Read;
use std::path::Path;

/// Cap for one-line identity files (hostname, machine-id, os-release).
pub const IDENTITY_CAP: u64 = 1 << 20;
/// Cap for account databases (`/etc/passwd`, `/etc/group`).
pub const ACCOUNTS_CAP: u64 = 8 << 20;
/// Cap for the utmp file and logind session files.
pub const UTMP_CAP: u64 = 16 << 20;

/// A file of the target, read.
#[derive(Debug, Clone)]
pub struct TargetFile {
    /// Its logical path once every link was resolved inside the root.
    pub resolved: Vec<u8>,
    /// Its content, at most the cap given.
    pub bytes: Vec<u8>,
    /// The file holds more than the cap; only the first bytes were read.
    pub truncated: bool,
}

impl TargetFile {
    /// The content as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Why a file of the target was not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetReadError {
    /// It (or a directory on its path) does not exist.
    #[error("does not exist")]
    NotFound,
    /// Not a regular file (or, for a listing, not a directory): never opened.
    #[error("not a regular file ({0}); never opened")]
    NotRegular(String),
    /// A symbolic link appeared on the resolved path (swapped in while it
    /// was resolved), or links loop.
    #[error("symbolic link on the path (not followed)")]
    Link,
    /// Any other error, from resolving, opening or reading.
    #[error("{0}")]
    Io(std::io::Error),
}

impl TargetReadError {
    fn from_errno(e: Errno) -> Self {
        match e {
            Errno::NOENT | Errno::NOTDIR => Self::NotFound,
            Errno::LOOP => Self::Link,
            e => Self::Io(e.into()),
        }
    }
}

fn kind_name(kind: Option<EntryType>) -> String {
    match kind {
        Some(EntryType::Fifo) => "FIFO".into(),
        Some(EntryType::Socket) => "socket".into(),
        Some(EntryType::Block) => "block device".into(),
        Some(EntryType::Char) => "character device".into(),
        Some(EntryType::Dir) => "directory".into(),
        Some(k) => format!("{k:?}"),
        None => "unknown type".into(),
    }
}

/// Resolve `logical` inside `root` (following every link inside it) and
/// give the physical path, with `root` canonicalised so that only the
/// target's own links are on the path.
fn resolve(root: &Path, logical: &str) -> Result<(Vec<u8>, std::path::PathBuf), TargetReadError> {
    let root = std::fs::canonicalize(root).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => TargetReadError::NotFound,
        _ => TargetReadError::Io(e),
    })?;
    let resolved = resolve_in_root(&root, logical.as_bytes(), true).map_err(|e| {
        match crate::platform::errno::of(&e) {
            errno @ (Errno::NOENT | Errno::NOTDIR | Errno::LOOP) => {
                TargetReadError::from_errno(errno)
            }
            _ => TargetReadError::Io(e),
        }
    })?;
    let phys = physical(Some(&root), &resolved);
    Ok((resolved, phys))
}

/// Read the file at `logical` (an absolute path as the target sees it) of
/// the system whose `/` is `root` (`/` for the running system): at most
/// `cap` bytes.
pub fn read(root: &Path, logical: &str, cap: u64) -> Result<TargetFile, TargetReadError> {
    let (resolved, phys) = resolve(root, logical)?;
    let opened = open_regular(&phys).map_err(|r| match r {
        Refused::NotRegular(kind) => TargetReadError::NotRegular(kind_name(kind)),
        Refused::Os(e) => TargetReadError::from_errno(e),
    })?;
    let before = fstat(&opened.file).map_err(TargetReadError::from_errno)?;
    let hint = before.size.min(cap);
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0).saturating_add(1));
    let read = (&opened.file)
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes);
    if !opened.noatime
        && let Ok(after) = fstat(&opened.file)
        && let (Some(b), Some(a)) = (before.atime, after.atime)
    {
        atime::note(before.dev, before.ino, b, a);
    }
    read.map_err(TargetReadError::Io)?;
    let truncated = bytes.len() as u64 > cap;
    bytes.truncate(usize::try_from(cap).unwrap_or(usize::MAX));
    Ok(TargetFile {
        resolved,
        bytes,
        truncated,
    })
}

/// Whether an entry exists at `logical` itself (a final symbolic link is not
/// followed: a link to something the target does not hold exists). Used to
/// tell a missing file from a link that leads nowhere inside the target.
pub fn exists(root: &Path, logical: &str) -> bool {
    let Ok(root) = std::fs::canonicalize(root) else {
        return false;
    };
    resolve_in_root(&root, logical.as_bytes(), false)
        .is_ok_and(|l| std::fs::symlink_metadata(physical(Some(&root), &l)).is_ok())
}

/// The names in the directory at `logical` of the system whose `/` is
/// `root`, sorted bytewise, listed `O_NOATIME` where the kernel allows it.
/// Returns the resolved logical path of the directory too.
pub fn list(root: &Path, logical: &str) -> Result<(Vec<u8>, Vec<Vec<u8>>), TargetReadError> {
    let (resolved, phys) = resolve(root, logical)?;
    let names = super::sys::list_dir(&phys).map_err(|e| match e {
        Errno::NOTDIR => TargetReadError::NotRegular("not a directory".into()),
        e => TargetReadError::from_errno(e),
    })?;
    Ok((resolved, names))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn tree() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("root/etc")).unwrap();
        std::fs::create_dir_all(t.path().join("root/usr/lib")).unwrap();
        t
    }

    #[test]
    fn a_link_out_of_the_root_resolves_inside_it() {
        let t = tree();
        std::fs::write(t.path().join("secret"), "EXAMINER-SECRET").unwrap();
        let root = t.path().join("root");
        std::os::unix::fs::symlink(t.path().join("secret"), root.join("etc/hostname")).unwrap();
        std::os::unix::fs::symlink("../../../../secret", root.join("etc/machine-id")).unwrap();
        for name in ["/etc/hostname", "/etc/machine-id"] {
            match read(&root, name, IDENTITY_CAP) {
                Err(TargetReadError::NotFound) => {}
                other => panic!("{name}: {other:?}"),
            }
        }
        // A link that stays inside: followed, as the target would.
        std::fs::write(root.join("usr/lib/os-release"), "PRETTY_NAME=x\n").unwrap();
        std::os::unix::fs::symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
        let f = read(&root, "/etc/os-release", IDENTITY_CAP).unwrap();
        assert_eq!(f.bytes, b"PRETTY_NAME=x\n");
        assert_eq!(f.resolved, b"/usr/lib/os-release");
    }

    #[test]
    fn fifos_and_devices_are_never_opened() {
        let t = tree();
        let root = t.path().join("root");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("etc/hostname"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        assert!(matches!(
            read(&root, "/etc/hostname", IDENTITY_CAP),
            Err(TargetReadError::NotRegular(k)) if k == "FIFO"
        ));
        // `/dev/zero` of the examiner's machine, reached by a link
        // resolved inside the root: not there.
        std::os::unix::fs::symlink("/dev/zero", root.join("etc/os-release")).unwrap();
        assert!(matches!(
            read(&root, "/etc/os-release", IDENTITY_CAP),
            Err(TargetReadError::NotFound)
        ));
        // The running system's own `/dev/zero`: a device, never read.
        assert!(matches!(
            read(Path::new("/"), "/dev/zero", IDENTITY_CAP),
            Err(TargetReadError::NotRegular(k)) if k == "character device"
        ));
    }

    #[test]
    fn reads_at_most_the_cap() {
        let t = tree();
        let root = t.path().join("root");
        std::fs::write(root.join("etc/passwd"), vec![b'a'; 5000]).unwrap();
        let f = read(&root, "/etc/passwd", 1000).unwrap();
        assert_eq!(f.bytes.len(), 1000);
        assert!(f.truncated);
        let f = read(&root, "/etc/passwd", 5000).unwrap();
        assert_eq!(f.bytes.len(), 5000);
        assert!(!f.truncated);
    }

    #[test]
    fn lists_a_directory_inside_the_root() {
        let t = tree();
        let root = t.path().join("root");
        std::fs::create_dir_all(root.join("data/home/bob")).unwrap();
        std::fs::create_dir_all(root.join("data/home/alice")).unwrap();
        std::os::unix::fs::symlink("/data/home", root.join("home")).unwrap();
        let (resolved, names) = list(&root, "/home").unwrap();
        assert_eq!(resolved, b"/data/home");
        assert_eq!(names, vec![b"alice".to_vec(), b"bob".to_vec()]);
        std::os::unix::fs::symlink("/etc", root.join("outside")).unwrap();
        let (resolved, _) = list(&root, "/outside").unwrap();
        assert_eq!(resolved, b"/etc");
    }
}
