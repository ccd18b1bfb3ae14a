//! Deciding per file whether deflating pays, and deflating with a reused
//! compressor context.

use flate2::{Compress, Compression, FlushCompress, Status};

/// Extensions of formats that are already compressed.
const COMPRESSED_EXT: &[&str] = &[
    "gz", "tgz", "bz2", "tbz2", "xz", "txz", "zst", "zstd", "lz4", "lzma", "lz", "7z", "zip",
    "jar", "war", "ear", "apk", "rar", "jpg", "jpeg", "png", "gif", "webp", "heic", "avif", "mp3",
    "mp4", "m4a", "m4v", "mkv", "webm", "avi", "mov", "ogg", "opus", "flac", "docx", "xlsx",
    "pptx", "odt", "ods", "odp", "deb", "rpm", "woff", "woff2", "br", "gpg", "pgp", "cab",
    "squashfs", "snap", "whl", "egg", "xpi", "crx",
];

/// Magic numbers of already-compressed formats.
const COMPRESSED_MAGIC: &[&[u8]] = &[
    b"\x1f\x8b",
    b"PK\x03\x04",
    b"BZh",
    b"\xfd7zXZ\x00",
    b"\x28\xb5\x2f\xfd",
    b"7z\xbc\xaf\x27\x1c",
    b"\xff\xd8\xff",
    b"\x89PNG",
    b"GIF8",
    b"Rar!",
    b"OggS",
    b"fLaC",
    b"ID3",
    b"\x04\x22\x4d\x18",
    b"!<arch>\ndebian",
    b"\xed\xab\xee\xdb",
    b"hsqs",
    b"wOF2",
];

/// True when the name or the first bytes say the content is already compressed.
pub fn already_compressed(name: &[u8], head: &[u8]) -> bool {
    if COMPRESSED_MAGIC.iter().any(|m| head.starts_with(m)) {
        return true;
    }
    let base = name.rsplit(|&b| b == b'/').next().unwrap_or(name);
    let Some(dot) = base.iter().rposition(|&b| b == b'.').filter(|&d| d > 0) else {
        return false;
    };
    let ext = String::from_utf8_lossy(&base[dot + 1..]).to_ascii_lowercase();
    COMPRESSED_EXT.contains(&ext.as_str())
}

/// A raw-deflate compressor reused across files.
pub struct Deflater {
    inner: Compress,
}

impl Deflater {
    pub fn new(level: u32) -> Self {
        Self {
            inner: Compress::new(Compression::new(level.min(9)), false),
        }
    }

    pub fn reset(&mut self) {
        self.inner.reset();
    }

    /// Compress `input` and append the output to `out`; `finish` ends the stream.
    pub fn push(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        finish: bool,
    ) -> std::io::Result<()> {
        let flush = if finish {
            FlushCompress::Finish
        } else {
            FlushCompress::None
        };
        loop {
            if out.capacity() - out.len() < 64 * 1024 {
                out.reserve(input.len() / 2 + 128 * 1024);
            }
            let before = self.inner.total_in();
            let status = self
                .inner
                .compress_vec(input, out, flush)
                .map_err(std::io::Error::other)?;
            let used = (self.inner.total_in() - before) as usize;
            input = &input[used..];
            match status {
                Status::StreamEnd => return Ok(()),
                _ if !finish && input.is_empty() => return Ok(()),
                _ => {}
            }
        }
    }

    /// Deflate a whole buffer into a fresh vector.
    pub fn whole(&mut self, input: &[u8]) -> std::io::Result<Vec<u8>> {
        self.reset();
        let mut out = Vec::with_capacity(input.len() / 2 + 1024);
        self.push(input, &mut out, true)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn deflate_round_trips() {
        let data: Vec<u8> = (0..300_000u32)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let mut d = Deflater::new(2);
        let mut out = Vec::new();
        d.reset();
        for chunk in data.chunks(70_000) {
            d.push(chunk, &mut out, false).expect("deflate");
        }
        d.push(&[], &mut out, true).expect("finish");
        let mut back = Vec::new();
        flate2::read::DeflateDecoder::new(&out[..])
            .read_to_end(&mut back)
            .expect("inflate");
        assert_eq!(back, data);
        assert!(out.len() < data.len() / 3);
        // A reused context produces the same stream.
        assert_eq!(d.whole(&data).expect("deflate"), out);
    }

    #[test]
    fn recognises_compressed_content() {
        assert!(already_compressed(b"/var/log/syslog.2.gz", b""));
        assert!(already_compressed(b"/x/blob", b"\x1f\x8b\x08"));
        assert!(!already_compressed(b"/etc/passwd", b"root:x:0"));
        assert!(!already_compressed(b"/etc/.gz", b"x"));
    }
}
