//! Opening a file the user named (a custody log, an `allowed_signers` file,
//! an archive to hash) without hanging on it or reading without end.
//!
//! A FIFO named like a custody log blocks a plain `open` until a writer
//! appears, and `/dev/zero` is read until memory runs out. Every reader of a
//! user-given path in custody and the CLI goes through [`open_input_file`]:
//! it checks the type with `stat` before opening (so a device is never even
//! opened), opens with `O_NONBLOCK` (so a FIFO swapped in after the check
//! cannot block the open), checks the opened file again with `fstat`, and
//! refuses anything but a regular file. [`read_input_file`] adds a size cap.
//!
//! (`src/archive/regular.rs` does the same for archives; the two are meant to
//! become one.)

use std::fs::File;
use std::io::{Error, ErrorKind, Read};
use std::path::Path;

/// What a non-regular file is, for messages.
fn kind_name(ft: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

fn not_regular(ft: std::fs::FileType) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("{}, not a regular file: refusing to read it", kind_name(ft)),
    )
}

/// Open a user-given path for reading, refusing FIFOs, devices, sockets and
/// directories (symbolic links are followed: the user named the path). The
/// returned file is in blocking mode again.
pub fn open_input_file(path: &Path) -> std::io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(not_regular(meta.file_type()));
    }
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )?;
    let file = File::from(fd);
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(meta.file_type()));
    }
    rustix::fs::fcntl_setfl(&file, OFlags::empty())?;
    Ok(file)
}

/// Read a whole user-given regular file of at most `max` bytes.
pub fn read_input_file(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let f = open_input_file(path)?;
    let mut bytes = Vec::new();
    f.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!("larger than {max} bytes: refusing to read it"),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_fifos_devices_and_directories_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("x.custody.jsonl");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            0,
        )
        .unwrap();
        let e = open_input_file(&fifo).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        let e = read_input_file(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        assert!(open_input_file(dir.path()).is_err());
        let f = dir.path().join("f");
        std::fs::write(&f, b"12345").unwrap();
        assert_eq!(read_input_file(&f, 5).unwrap(), b"12345");
        assert!(read_input_file(&f, 4).is_err());
    }
}
