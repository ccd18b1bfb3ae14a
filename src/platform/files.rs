//! Files the way each system offers them: reading at an offset, files and
//! folders only their owner may read, locking a folder, making a folder's
//! new entries durable, and the kinds of special file.

use std::fs::{DirBuilder, File, Metadata, OpenOptions};
use std::io;
use std::path::Path;

/// Read into `buf` at `offset` without depending on (Unix) or caring
/// about (Windows: it moves) the handle's position.
pub fn read_at(f: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_at(f, buf, offset)
    }
    #[cfg(windows)]
    {
        std::os::windows::fs::FileExt::seek_read(f, buf, offset)
    }
}

/// Fill `buf` from `offset` (see [`read_at`]); an error at end of file.
pub fn read_exact_at(f: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match read_at(f, buf, offset) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Options to create a new file only its owner may read and write (0600 on
/// Unix; on Windows the folder's inherited access list applies).
pub fn private_new_file() -> OpenOptions {
    new_file_with_mode(0o600)
}

/// Options to create a new file (never replacing one) with Unix mode
/// `mode`; on Windows the folder's inherited access list applies.
pub fn new_file_with_mode(mode: u32) -> OpenOptions {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, mode);
    #[cfg(not(unix))]
    let _ = mode;
    o
}

/// A connection to a local agent's socket (`SSH_AUTH_SOCK`): a Unix
/// socket, or on Windows the named pipe OpenSSH's agent listens on
/// (`\\.\pipe\openssh-ssh-agent`), opened as a file.
#[cfg(unix)]
pub fn connect_local(path: &Path) -> io::Result<std::os::unix::net::UnixStream> {
    std::os::unix::net::UnixStream::connect(path)
}

/// A connection to a local agent's socket (`SSH_AUTH_SOCK`): a Unix
/// socket, or on Windows the named pipe OpenSSH's agent listens on
/// (`\\.\pipe\openssh-ssh-agent`), opened as a file.
#[cfg(not(unix))]
pub fn connect_local(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).write(true).open(path)
}

/// A builder for folders only their owner may enter (0700 on Unix).
pub fn private_dir_builder() -> DirBuilder {
    #[allow(unused_mut)]
    let mut b = DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b
}

/// Options to open a file for reading that never block on a FIFO
/// (`O_NONBLOCK` on Unix; Windows has no FIFOs in the file system).
pub fn nonblocking_read() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut o,
        rustix::fs::OFlags::NONBLOCK.bits() as i32,
    );
    o
}

/// Open `p` for reading (links followed: `/proc/<pid>/exe`), never
/// blocking on a FIFO, and with `O_NOATIME` on Linux unless the kernel
/// refuses it (not the owner and no `CAP_FOWNER`). The flag says whether
/// the access time is left alone.
pub fn open_read_keeping_atime(p: &Path) -> io::Result<(File, bool)> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt as _;
        let flags = (OFlags::NOATIME | OFlags::NONBLOCK).bits() as i32;
        match OpenOptions::new().read(true).custom_flags(flags).open(p) {
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::PERM.raw_os_error()) => {}
            other => return other.map(|f| (f, true)),
        }
    }
    nonblocking_read().open(p).map(|f| (f, false))
}

/// The permission bits (Unix mode & 0o7777), or none where the system has
/// no Unix mode.
pub fn permission_bits(m: &Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        Some(m.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        None
    }
}

/// What a file that is not a regular file is, for messages.
pub fn special_kind(m: &Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_dir() {
        return "a directory";
    }
    if t.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return "a FIFO";
        } else if t.is_char_device() {
            return "a character device";
        } else if t.is_block_device() {
            return "a block device";
        } else if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// An exclusive lock on a folder, held until dropped.
pub struct DirLock(#[allow(dead_code)] File);

/// Lock `dir` against other Exhibit processes writing in it. On Unix the
/// folder itself is locked (`flock`), which leaves nothing behind; Windows
/// cannot lock a folder, so the lock is on a `.exhibit.lock` file in it.
/// Blocks until the lock is free.
pub fn lock_dir(dir: &Path) -> io::Result<DirLock> {
    #[cfg(unix)]
    let f = File::open(dir)?;
    #[cfg(not(unix))]
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join(".exhibit.lock"))?;
    f.lock()?;
    Ok(DirLock(f))
}

/// Make the entries of `dir` durable (a rename in it, a new file): `fsync`
/// of the folder on Unix; Windows makes a rename durable with the file's
/// own flush, so there is nothing to do.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// A new file, readable and writable, that has no name once this returns
/// and whose content goes when it is closed, even if the process dies:
/// created in a fresh owner-only folder under `base` and unlinked at once
/// on Unix; on Windows opened delete-on-close (its name stays, hidden in
/// that folder, until the handle closes).
pub fn anonymous_file(base: &Path) -> io::Result<File> {
    anonymous_file_for(base, "decrypt")
}

/// [`anonymous_file`] for `purpose` (a word naming the owner-only folder
/// it is created in, `.exhibit-<purpose>-…`, which on Windows stays until
/// the handle closes).
pub fn anonymous_file_for(base: &Path, purpose: &str) -> io::Result<File> {
    // Linux makes a file that never had a name: nothing appears in `base`
    // even for an instant (a walk of `base` meanwhile sees nothing).
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let tmpfile = OpenOptions::new()
            .read(true)
            .write(true)
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::TMPFILE.bits() as i32)
            .open(base);
        if let Ok(f) = tmpfile {
            return Ok(f);
        }
    }
    let mut last = None;
    for attempt in 0..16u32 {
        // Not a secret: the folder is created exclusively, so a name taken
        // already only makes us try the next.
        let d = unique_path(base, purpose, attempt);
        match private_dir_builder().create(&d) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                last = Some(e);
                continue;
            }
            Err(e) => return Err(e),
        }
        let p = d.join("archive.zip");
        let mut o = private_new_file();
        o.read(true);
        #[cfg(windows)]
        {
            use std::os::windows::fs::OpenOptionsExt as _;
            const FILE_FLAG_DELETE_ON_CLOSE: u32 = 0x0400_0000;
            const FILE_ATTRIBUTE_TEMPORARY: u32 = 0x100;
            // Read, write and delete shared, so the handle can be reopened.
            o.custom_flags(FILE_FLAG_DELETE_ON_CLOSE)
                .attributes(FILE_ATTRIBUTE_TEMPORARY)
                .share_mode(0x7);
        }
        let f = o.open(&p);
        #[cfg(unix)]
        {
            let _ = std::fs::remove_file(&p);
            let _ = std::fs::remove_dir(&d);
        }
        return f;
    }
    Err(last.unwrap_or_else(|| io::Error::other("no unique temporary directory")))
}

/// `base/.exhibit-PURPOSE-PID-NONCE`: a name for a private file or folder
/// created exclusively, the nonce from the clock and the attempt (not a
/// secret: a name taken already only makes the caller try the next).
fn unique_path(base: &Path, purpose: &str, attempt: u32) -> std::path::PathBuf {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        .wrapping_add(u64::from(attempt));
    base.join(format!(
        ".exhibit-{purpose}-{}-{nonce:016x}",
        std::process::id()
    ))
}

/// A file for a job's temporary data in `base` that goes when it is closed
/// (or the process dies) and leaves nothing behind: [`anonymous_file_for`]
/// on Unix (no name at all on Linux); on Windows a hidden delete-on-close
/// file directly in `base`, so no folder outlives it.
pub fn spill_file(base: &Path) -> io::Result<File> {
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt as _;
        const FILE_FLAG_DELETE_ON_CLOSE: u32 = 0x0400_0000;
        const FILE_ATTRIBUTE_HIDDEN: u32 = 0x2;
        const FILE_ATTRIBUTE_TEMPORARY: u32 = 0x100;
        let mut last = None;
        for attempt in 0..16u32 {
            let p = unique_path(base, "spill", attempt);
            let mut o = private_new_file();
            o.read(true)
                .custom_flags(FILE_FLAG_DELETE_ON_CLOSE)
                .attributes(FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_TEMPORARY)
                .share_mode(0x7);
            match o.open(&p) {
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no unique temporary file name")))
    }
    #[cfg(not(windows))]
    {
        anonymous_file_for(base, "spill")
    }
}

/// A second handle on `f` with its own position where the system allows
/// (`/proc/self/fd` on Linux), else a shared handle rewound: readers read
/// by position ([`read_at`]), not through the shared offset.
pub fn reopen(f: &File) -> io::Result<File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd as _;
        if let Ok(own) = File::open(format!("/proc/self/fd/{}", f.as_raw_fd())) {
            return Ok(own);
        }
    }
    use std::io::Seek as _;
    let mut c = f.try_clone()?;
    c.rewind()?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_at_reads_at_the_offset_whatever_the_position() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, b"0123456789").unwrap();
        let f = File::open(&p).unwrap();
        let mut b = [0u8; 3];
        assert_eq!(read_at(&f, &mut b, 4).unwrap(), 3);
        assert_eq!(&b, b"456");
        assert_eq!(read_at(&f, &mut b, 1).unwrap(), 3);
        assert_eq!(&b, b"123");
    }

    #[test]
    fn a_locked_folder_is_locked_once() {
        let d = tempfile::tempdir().unwrap();
        let held = lock_dir(d.path()).unwrap();
        #[cfg(unix)]
        let other = File::open(d.path()).unwrap();
        #[cfg(not(unix))]
        let other = OpenOptions::new()
            .write(true)
            .open(d.path().join(".exhibit.lock"))
            .unwrap();
        assert!(other.try_lock().is_err());
        drop(held);
        assert!(other.try_lock().is_ok());
    }
}
