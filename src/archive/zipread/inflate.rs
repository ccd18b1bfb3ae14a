//! Reading a member's content, accounting for every compressed byte.
//!
//! A deflate stream says where it ends, so a member's compressed size can be
//! larger than the stream: extractors inflate up to the end of the stream
//! and never look at the bytes after it, a hiding place no CRC or hash
//! covers. [`MemberReader`] inflates with `flate2`'s raw [`Decompress`] so it
//! knows how many compressed bytes the stream used, reports the rest
//! ([`MemberReader::unread_compressed`]), and treats a stream that ends
//! before its final block as an error rather than as a short file.

use flate2::{Decompress, FlushDecompress, Status};
use std::io::{self, Read};

use super::RangeReader;

/// How much compressed data is read at once.
const INPUT_LEN: usize = 256 * 1024;

/// A raw deflate stream read from a byte range.
pub(super) struct Inflater<'a> {
    src: RangeReader<'a>,
    inflate: Decompress,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    src_done: bool,
    ended: bool,
    csize: u64,
}

impl<'a> Inflater<'a> {
    pub(super) fn new(src: RangeReader<'a>, csize: u64) -> Self {
        Self {
            src,
            inflate: Decompress::new(false),
            // A small member needs no 256 KiB buffer (verify opens millions).
            buf: vec![
                0;
                usize::try_from(csize)
                    .unwrap_or(INPUT_LEN)
                    .clamp(1, INPUT_LEN)
            ],
            pos: 0,
            len: 0,
            src_done: false,
            ended: false,
            csize,
        }
    }
}

impl Read for Inflater<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() || self.ended {
            return Ok(0);
        }
        loop {
            if self.pos >= self.len && !self.src_done {
                let n = self.src.read(&mut self.buf)?;
                self.src_done = n == 0;
                self.pos = 0;
                self.len = n;
            }
            let input = self.buf.get(self.pos..self.len).unwrap_or_default();
            let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
            let status = self
                .inflate
                .decompress(input, out, FlushDecompress::None)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            let consumed = (self.inflate.total_in() - in_before) as usize;
            let produced = (self.inflate.total_out() - out_before) as usize;
            self.pos += consumed;
            if status == Status::StreamEnd {
                self.ended = true;
                return Ok(produced);
            }
            if produced > 0 {
                return Ok(produced);
            }
            if self.src_done && self.pos >= self.len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the deflate stream is cut off before its final block",
                ));
            }
            if consumed == 0 && self.pos < self.len {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the deflate stream makes no progress",
                ));
            }
        }
    }
}

/// A reader of one member's uncompressed content (stored or deflated). The
/// caller checks the CRC and the size.
pub struct MemberReader<'a> {
    inner: Inner<'a>,
}

enum Inner<'a> {
    Stored(RangeReader<'a>),
    Deflated(Box<Inflater<'a>>),
}

impl<'a> MemberReader<'a> {
    pub(super) fn stored(src: RangeReader<'a>) -> Self {
        Self {
            inner: Inner::Stored(src),
        }
    }

    pub(super) fn deflated(src: RangeReader<'a>, csize: u64) -> Self {
        Self {
            inner: Inner::Deflated(Box::new(Inflater::new(src, csize))),
        }
    }

    /// Compressed bytes after the end of the deflate stream, inside the
    /// member's compressed size: data no extractor reads. Meaningful once
    /// the content has been read to its end; always 0 for stored members.
    pub fn unread_compressed(&self) -> u64 {
        match &self.inner {
            Inner::Stored(_) => 0,
            Inner::Deflated(d) if d.ended => d.csize.saturating_sub(d.inflate.total_in()),
            Inner::Deflated(_) => 0,
        }
    }
}

impl Read for MemberReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Stored(r) => r.read(buf),
            Inner::Deflated(d) => d.read(buf),
        }
    }
}
