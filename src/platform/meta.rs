//! File identity, owner, mode and times from `std::fs::Metadata`.
//!
//! On Unix every field comes from `stat`. Windows has no inode number,
//! device number, link count, owner ids, status-change time or Unix mode
//! that the standard library can read. [`Meta`] holds 0 for them (and
//! `None` for `ctime`) so the walk can tell "no identity" apart; the
//! records write them as `null` ([`OWNER_IDS`], [`IDENTITY`]) and the
//! acquisition record lists them under [`UNKNOWN`] with the reason. The
//! mode is derived from the read-only attribute (0444 or 0644, directories
//! 0555 or 0755) and says nothing about access control lists.

use std::fs::Metadata;
use std::time::{SystemTime, UNIX_EPOCH};

/// A time as (seconds, nanoseconds) since the epoch.
pub type Time = (i64, u32);

/// What a file's metadata says, in the terms the archive records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Meta {
    pub dev: u64,
    pub ino: u64,
    /// Full `st_mode`, type bits included.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u64,
    pub size: u64,
    pub atime: Option<Time>,
    pub mtime: Option<Time>,
    pub ctime: Option<Time>,
    pub btime: Option<Time>,
}

/// A `(seconds, nanoseconds)` time from `stat` fields.
pub fn time_of(secs: i64, nsec: i64) -> Time {
    (secs, u32::try_from(nsec).unwrap_or(0))
}

fn system_time(t: std::io::Result<SystemTime>) -> Option<Time> {
    let t = t.ok()?;
    Some(match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (i64::try_from(d.as_secs()).ok()?, d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let secs = -i64::try_from(d.as_secs()).ok()?;
            match d.subsec_nanos() {
                0 => (secs, 0),
                n => (secs - 1, 1_000_000_000 - n),
            }
        }
    })
}

/// Whether files have numeric owner ids here (false on Windows).
pub const OWNER_IDS: bool = cfg!(unix);

/// Whether files have an inode number, a device number and a link count
/// here (false on Windows, through the portable file API).
pub const IDENTITY: bool = cfg!(unix);

/// The fields this system cannot read, each with why; empty on Unix.
#[cfg(unix)]
pub const UNKNOWN: &[(&str, &str)] = &[];

/// The fields this system cannot read, each with why; empty on Unix.
#[cfg(not(unix))]
pub const UNKNOWN: &[(&str, &str)] = &[
    (
        "uid",
        "Windows files have an owner SID, not a numeric user id; recorded as null",
    ),
    (
        "gid",
        "Windows files have no numeric group id; recorded as null",
    ),
    (
        "inode",
        "not readable through the portable file API on Windows; recorded as null",
    ),
    (
        "dev",
        "not readable through the portable file API on Windows; recorded as null",
    ),
    (
        "nlink",
        "not readable through the portable file API on Windows; recorded as null",
    ),
    (
        "ctime",
        "Windows' change time is not readable through the portable file API; recorded as null",
    ),
    (
        "mode",
        "Windows has no Unix mode: derived from the read-only attribute (0444/0644, directories 0555/0755); ACLs are not recorded",
    ),
];

/// The type bits of `st_mode` for a file type.
fn type_bits(t: std::fs::FileType) -> u32 {
    if t.is_symlink() {
        0o120000
    } else if t.is_dir() {
        0o040000
    } else if t.is_file() {
        0o100000
    } else {
        0
    }
}

/// Read what the metadata says.
#[cfg(unix)]
pub fn of(m: &Metadata) -> Meta {
    use std::os::unix::fs::MetadataExt as _;
    Meta {
        dev: m.dev(),
        ino: m.ino(),
        mode: m.mode(),
        uid: m.uid(),
        gid: m.gid(),
        nlink: m.nlink(),
        size: m.size(),
        atime: Some(time_of(m.atime(), m.atime_nsec())),
        mtime: Some(time_of(m.mtime(), m.mtime_nsec())),
        ctime: Some(time_of(m.ctime(), m.ctime_nsec())),
        btime: system_time(m.created()),
    }
}

/// Read what the metadata says (see the module's note on Windows).
#[cfg(not(unix))]
pub fn of(m: &Metadata) -> Meta {
    let t = m.file_type();
    let perm = match (t.is_dir(), m.permissions().readonly()) {
        (true, true) => 0o555,
        (true, false) => 0o755,
        (false, true) => 0o444,
        (false, false) => 0o644,
    };
    Meta {
        mode: type_bits(t) | perm,
        size: m.len(),
        atime: system_time(m.accessed()),
        mtime: system_time(m.modified()),
        ctime: None,
        btime: system_time(m.created()),
        ..Meta::default()
    }
}

/// `(dev, ino)`, the identity of a file; `(0, 0)` where unknown.
pub fn identity(m: &Metadata) -> (u64, u64) {
    let x = of(m);
    (x.dev, x.ino)
}

/// Whether two metadata name the same file. Where the system gives no
/// identity, the same type, size and modification time stand for it.
pub fn same_file(a: &Metadata, b: &Metadata) -> bool {
    let (x, y) = (of(a), of(b));
    if (x.dev, x.ino) != (0, 0) || (y.dev, y.ino) != (0, 0) {
        return (x.dev, x.ino) == (y.dev, y.ino);
    }
    type_bits(a.file_type()) == type_bits(b.file_type()) && x.size == y.size && x.mtime == y.mtime
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_before_the_epoch_keep_their_sign() {
        let t = UNIX_EPOCH - std::time::Duration::new(1, 250_000_000);
        assert_eq!(system_time(Ok(t)), Some((-2, 750_000_000)));
        let t = UNIX_EPOCH + std::time::Duration::new(5, 7);
        assert_eq!(system_time(Ok(t)), Some((5, 7)));
    }

    #[test]
    fn a_file_is_the_same_as_itself_and_not_another() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a"), b"1").unwrap();
        std::fs::write(d.path().join("b"), b"22").unwrap();
        let a = std::fs::metadata(d.path().join("a")).unwrap();
        let a2 = std::fs::metadata(d.path().join("a")).unwrap();
        let b = std::fs::metadata(d.path().join("b")).unwrap();
        assert!(same_file(&a, &a2));
        assert!(!same_file(&a, &b));
        assert_eq!(of(&a).mode & 0o170000, 0o100000);
    }
}
