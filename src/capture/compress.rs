//! Deciding per file whether deflating pays, and deflating with reused
//! compressor contexts.
//!
//! Two Deflate engines, one output format (raw Deflate, ZIP method 8):
//! content held whole in memory (files up to the streaming threshold, the
//! trial of a large file's first chunk, tag files) goes through libdeflate
//! (crate `libdeflater`, C built with the C compiler rustc links with),
//! which compresses a whole buffer 1.3-1.5x faster than zlib-rs and as
//! small or smaller; content streamed in chunks goes through zlib-rs (via
//! `flate2`), since libdeflate has no streaming interface and every ZIP
//! member must be a single Deflate stream. macOS builds (checked here
//! without an Apple C compiler) and the aarch64 static build use zlib-rs
//! for both.

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

/// Whole-buffer deflate with libdeflate: every platform whose C compiler
/// this project's builds have (not macOS, checked here without Apple's;
/// not the aarch64 static build, linked without a cross C compiler).
#[cfg(not(any(
    target_os = "macos",
    all(target_env = "musl", not(target_arch = "x86_64"))
)))]
mod whole {
    /// libdeflate's level for a zlib-scale `level`: libdeflate's level 1
    /// already compresses as small as zlib-rs's level 2 (the default),
    /// faster (docs/capture.md, "Compression and speed").
    fn libdeflate_level(level: u32) -> libdeflater::CompressionLvl {
        let l = if level <= 2 { 1 } else { level.min(12) };
        libdeflater::CompressionLvl::new(l as i32).unwrap_or_default()
    }

    pub struct Whole {
        level: u32,
        /// Created on first use.
        engine: Option<libdeflater::Compressor>,
    }

    impl Whole {
        pub fn new(level: u32) -> Self {
            Self {
                level,
                engine: None,
            }
        }

        pub fn deflate(&mut self, input: &[u8]) -> std::io::Result<Vec<u8>> {
            let level = self.level;
            let c = self
                .engine
                .get_or_insert_with(|| libdeflater::Compressor::new(libdeflate_level(level)));
            // Zeroed memory comes from the system untouched: only the pages
            // the compressed bytes land on become resident, and the vector
            // is handed on without a copy.
            let mut out = vec![0; c.deflate_compress_bound(input.len())];
            let n = c
                .deflate_compress(input, &mut out)
                .map_err(|e| std::io::Error::other(format!("libdeflate: {e:?}")))?;
            out.truncate(n);
            out.shrink_to_fit();
            Ok(out)
        }
    }
}

/// Whole-buffer deflate with zlib-rs where libdeflate is not built.
#[cfg(any(
    target_os = "macos",
    all(target_env = "musl", not(target_arch = "x86_64"))
))]
mod whole {
    use flate2::{Compress, Compression, FlushCompress, Status};

    pub struct Whole {
        level: u32,
        engine: Option<Compress>,
    }

    impl Whole {
        pub fn new(level: u32) -> Self {
            Self {
                level,
                engine: None,
            }
        }

        pub fn deflate(&mut self, mut input: &[u8]) -> std::io::Result<Vec<u8>> {
            let level = self.level;
            let c = self
                .engine
                .get_or_insert_with(|| Compress::new(Compression::new(level.min(9)), false));
            c.reset();
            let mut out = Vec::with_capacity(input.len() / 2 + 1024);
            loop {
                if out.capacity() - out.len() < 64 * 1024 {
                    out.reserve(input.len() / 2 + 128 * 1024);
                }
                let before = c.total_in();
                let status = c
                    .compress_vec(input, &mut out, FlushCompress::Finish)
                    .map_err(std::io::Error::other)?;
                input = &input[(c.total_in() - before) as usize..];
                if status == Status::StreamEnd {
                    return Ok(out);
                }
            }
        }
    }
}

/// A raw-deflate compressor reused across files: [`Deflater::push`]
/// streams (zlib-rs), [`Deflater::whole`] compresses one buffer
/// (libdeflate where it is built, see the `whole` module).
pub struct Deflater {
    inner: Compress,
    whole: whole::Whole,
}

impl Deflater {
    pub fn new(level: u32) -> Self {
        Self {
            inner: Compress::new(Compression::new(level.min(9)), false),
            whole: whole::Whole::new(level),
        }
    }

    /// Start a new stream for [`Deflater::push`].
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

    /// Deflate a whole buffer into a fresh vector (one complete raw
    /// Deflate stream), apart from any stream begun with [`Deflater::push`].
    pub fn whole(&mut self, input: &[u8]) -> std::io::Result<Vec<u8>> {
        self.whole.deflate(input)
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
    }

    fn inflate(deflated: &[u8]) -> Vec<u8> {
        let mut back = Vec::new();
        flate2::read::DeflateDecoder::new(deflated)
            .read_to_end(&mut back)
            .expect("inflate");
        back
    }

    #[test]
    fn whole_buffers_round_trip_and_reuse_is_deterministic() {
        let text: Vec<u8> = (0..300_000u32)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let mut noise = vec![0u8; 3 << 20];
        let mut x = 0x2545_f491_u32;
        for b in noise.iter_mut() {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *b = x as u8;
        }
        for level in [1, 2, 6, 9] {
            let mut d = Deflater::new(level);
            for input in [&[][..], b"x", &text[..1000], &text, &noise, &text] {
                let once = d.whole(input).expect("deflate");
                assert_eq!(
                    inflate(&once),
                    input,
                    "level {level}, {} bytes",
                    input.len()
                );
                assert_eq!(d.whole(input).expect("deflate"), once);
            }
            let small = d.whole(&text).expect("deflate");
            assert!(small.len() < text.len() / 3, "level {level}");
        }
        // A stream in progress is unaffected by a whole buffer between.
        let mut d = Deflater::new(2);
        d.reset();
        let mut out = Vec::new();
        d.push(&text[..100_000], &mut out, false).expect("deflate");
        d.whole(&noise).expect("deflate");
        d.push(&text[100_000..], &mut out, true).expect("deflate");
        assert_eq!(inflate(&out), text);
    }

    #[test]
    fn recognises_compressed_content() {
        assert!(already_compressed(b"/var/log/syslog.2.gz", b""));
        assert!(already_compressed(b"/x/blob", b"\x1f\x8b\x08"));
        assert!(!already_compressed(b"/etc/passwd", b"root:x:0"));
        assert!(!already_compressed(b"/etc/.gz", b"x"));
    }
}
