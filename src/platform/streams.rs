//! NTFS alternate data streams: the named streams a file carries besides
//! its content (`report.docx:Zone.Identifier`, or a payload hidden as
//! `notes.txt:x.exe`). Capture records each stream's name and size in the
//! file's record ([`crate::archive::record::AltStream`]); their content is
//! not taken.
//!
//! On Windows the streams are read from a handle the walker opened with
//! `FILE_FLAG_OPEN_REPARSE_POINT` (so a link is examined as itself, never
//! followed) with `GetFileInformationByHandleEx(FileStreamInfo)`; the
//! answer is a buffer of `FILE_STREAM_INFO` entries, parsed here as bytes.
//! This is the crate's one `unsafe` call (Windows offers no safe API and
//! no well-kept crate wraps this one). Other systems have no such streams.

use serde::{Deserialize, Serialize};
use std::fs::File;

/// A named data stream of a file besides its content (NTFS alternate data
/// streams: `Zone.Identifier`, or data hidden beside a file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AltStream {
    pub name: String,
    pub size: u64,
}

/// The named streams of an open file, without its unnamed content stream
/// (`::$DATA`); empty when the system has none or cannot list them.
pub fn of(file: &File) -> std::io::Result<Vec<AltStream>> {
    imp::of(file)
}

/// Parse a `FILE_STREAM_INFO` chain: each entry is
/// `NextEntryOffset: u32, StreamNameLength: u32 (bytes), StreamSize: i64,
/// StreamAllocationSize: i64, StreamName: [u16]`, the next one
/// `NextEntryOffset` bytes further (0 ends the chain).
pub fn parse_stream_info(buf: &[u8]) -> Vec<AltStream> {
    let u32_at = |o: usize| {
        buf.get(o..o + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    };
    let i64_at = |o: usize| {
        buf.get(o..o + 8)
            .and_then(|b| b.try_into().ok())
            .map(i64::from_le_bytes)
    };
    let mut out = Vec::new();
    let mut at = 0usize;
    // At most one entry per 24 bytes: a chain that loops ends.
    for _ in 0..buf.len() / 24 + 1 {
        let (Some(next), Some(len), Some(size)) = (u32_at(at), u32_at(at + 4), i64_at(at + 8))
        else {
            break;
        };
        let name_at = at + 24;
        let Some(raw) = buf.get(name_at..name_at + len as usize) else {
            break;
        };
        let units: Vec<u16> = raw
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let full = String::from_utf16_lossy(&units);
        // `:Zone.Identifier:$DATA`; the unnamed stream is `::$DATA`.
        let name = full
            .strip_prefix(':')
            .and_then(|n| n.strip_suffix(":$DATA"))
            .unwrap_or(&full);
        if !name.is_empty() {
            out.push(AltStream {
                name: name.to_string(),
                size: u64::try_from(size).unwrap_or(0),
            });
        }
        if next == 0 {
            break;
        }
        at += next as usize;
    }
    out
}

#[cfg(windows)]
#[allow(unsafe_code)]
mod imp {
    use super::{AltStream, parse_stream_info};
    use std::fs::File;
    use std::os::windows::io::AsRawHandle as _;
    use windows_sys::Win32::Foundation::{ERROR_HANDLE_EOF, ERROR_MORE_DATA};
    use windows_sys::Win32::Storage::FileSystem::{FileStreamInfo, GetFileInformationByHandleEx};

    pub fn of(file: &File) -> std::io::Result<Vec<AltStream>> {
        // u64s: the entries hold 8-byte fields, so the buffer is aligned.
        let mut buf: Vec<u64> = vec![0; 8 * 1024];
        loop {
            let bytes = buf.len() * 8;
            let len = u32::try_from(bytes).unwrap_or(u32::MAX);
            // SAFETY: the handle is open for as long as `file` is borrowed;
            // the buffer is writable, 8-byte aligned and `len` bytes long,
            // and FileStreamInfo writes FILE_STREAM_INFO entries into it.
            let ok = unsafe {
                GetFileInformationByHandleEx(
                    file.as_raw_handle(),
                    FileStreamInfo,
                    buf.as_mut_ptr().cast(),
                    len,
                )
            };
            if ok != 0 {
                let bytes: Vec<u8> = buf.iter().flat_map(|w| w.to_le_bytes()).collect();
                return Ok(parse_stream_info(&bytes));
            }
            let e = std::io::Error::last_os_error();
            match e.raw_os_error().map(|c| c as u32) {
                // No stream at all (a directory, some filesystems).
                Some(ERROR_HANDLE_EOF) => return Ok(Vec::new()),
                Some(ERROR_MORE_DATA) if buf.len() < 8 << 20 => {
                    buf.resize(buf.len() * 4, 0);
                }
                _ => return Err(e),
            }
        }
    }
}

#[cfg(not(windows))]
mod imp {
    use super::AltStream;
    use std::fs::File;

    pub fn of(_: &File) -> std::io::Result<Vec<AltStream>> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(next: u32, name: &str, size: i64) -> Vec<u8> {
        let units: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut e = Vec::new();
        e.extend(next.to_le_bytes());
        e.extend((units.len() as u32).to_le_bytes());
        e.extend(size.to_le_bytes());
        e.extend(size.to_le_bytes());
        e.extend(units);
        e
    }

    #[test]
    fn the_unnamed_stream_is_left_out_and_named_ones_kept() {
        let mut a = entry(0, "::$DATA", 10);
        let pad = a.len().div_ceil(8) * 8;
        a.resize(pad, 0);
        a[..4].copy_from_slice(&(pad as u32).to_le_bytes());
        let mut b = entry(0, ":Zone.Identifier:$DATA", 26);
        let pad_b = b.len().div_ceil(8) * 8;
        b.resize(pad_b, 0);
        b[..4].copy_from_slice(&(pad_b as u32).to_le_bytes());
        let c = entry(0, ":x.exe:$DATA", 4096);
        let buf = [a, b, c].concat();
        let s = parse_stream_info(&buf);
        assert_eq!(
            s,
            [
                AltStream {
                    name: "Zone.Identifier".into(),
                    size: 26
                },
                AltStream {
                    name: "x.exe".into(),
                    size: 4096
                }
            ]
        );
    }

    #[test]
    fn short_looping_or_lying_buffers_end_cleanly() {
        assert!(parse_stream_info(&[]).is_empty());
        assert!(parse_stream_info(&[1, 2, 3]).is_empty());
        // An entry that points at itself ends after a bounded number.
        let mut e = entry(0, ":a:$DATA", 1);
        e[..4].copy_from_slice(&0u32.to_le_bytes());
        let mut looping = entry(0, ":a:$DATA", 1);
        looping.resize(32, 0);
        looping[..4].copy_from_slice(&1u32.to_le_bytes());
        assert!(parse_stream_info(&looping).len() <= 2);
        // A name length past the end.
        let mut lying = entry(0, ":a:$DATA", 1);
        lying[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse_stream_info(&lying).is_empty());
        // Negative sizes are 0.
        assert_eq!(parse_stream_info(&entry(0, ":n:$DATA", -5))[0].size, 0);
    }
}
