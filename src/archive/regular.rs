//! Opening a file that must be a regular file, without ever blocking.
//!
//! Every reader of something a user or an archive names (the archive to
//! verify, the custody log beside it) goes through [`open_regular`]: a FIFO
//! would block `open` until a writer appears, and a device such as
//! `/dev/zero` or `/dev/urandom` never ends. The path is checked with `stat`
//! before it is opened (opening some devices has side effects, such as a tape
//! rewinding), then opened with `O_NONBLOCK` and checked again on the open
//! descriptor, so a file swapped in between is caught too. Symlinks the user
//! gave are followed: the check is on what they point to.

use std::fs::{File, Metadata};
use std::io;
use std::path::Path;

fn refuse(meta: &Metadata) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{}, not a regular file",
            crate::platform::files::special_kind(meta)
        ),
    )
}

/// Whether `path` names (after following symlinks) a regular file. Errors
/// from `stat` (e.g. it does not exist) are returned as they are.
pub fn is_regular(path: &Path) -> io::Result<bool> {
    Ok(std::fs::metadata(path)?.is_file())
}

/// Open `path` read-only, refusing anything but a regular file. Never
/// blocks: FIFOs and devices are refused before they are opened, and the
/// open itself uses `O_NONBLOCK`. The error says what the file is instead.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let before = std::fs::metadata(path)?;
    if !before.is_file() {
        return Err(refuse(&before));
    }
    let file = crate::platform::files::nonblocking_read().open(path)?;
    let after = file.metadata()?;
    if !after.is_file() {
        return Err(refuse(&after));
    }
    if !crate::platform::meta::same_file(&before, &after) {
        return Err(io::Error::other(
            "the file was replaced while it was being opened",
        ));
    }
    Ok(file)
}

/// Read a whole regular file of at most `max` bytes (see [`open_regular`]);
/// a larger one is refused rather than read without end.
pub fn read_regular(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    use std::io::Read as _;
    let f = open_regular(path)?;
    let mut bytes = Vec::new();
    f.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max} bytes: refusing to read it"),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn regular_files_open_and_others_are_refused() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("f");
        std::fs::write(&f, b"x").unwrap();
        assert!(open_regular(&f).is_ok());
        assert!(is_regular(&f).unwrap());
        let e = open_regular(t.path()).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
        let e = open_regular(Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        assert!(!is_regular(Path::new("/dev/null")).unwrap());
        let e = read_regular(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        std::fs::write(&f, b"0123456789ab").unwrap();
        assert_eq!(read_regular(&f, 12).unwrap(), b"0123456789ab");
        let e = read_regular(&f, 11).unwrap_err();
        assert!(e.to_string().contains("larger than 11 bytes"), "{e}");
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("p");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::from(0o600)).unwrap();
        let e = open_regular(&fifo).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
    }
}
