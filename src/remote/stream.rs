//! The framing of a remote capture's output on the SSH channel.
//!
//! The server side (`exhibit capture --stream-out`) writes to its standard
//! output: a magic line, then frames of one type byte and a big-endian
//! `u32` length: one `H` (header JSON: the archive's stem) before the
//! archive, `D` frames holding the archive's bytes in order, and one `T`
//! (trailer JSON: [`crate::capture::Streamed`], with the server's SHA-256
//! and length of the archive it wrote, and its acquisition record) last.
//! The receiver knows where the archive ends, sees a stream cut short (no
//! trailer) and can compare what it received with what was sent. Frames
//! are capped ([`MAX_DATA_FRAME`], [`MAX_JSON_FRAME`]) so a garbled stream
//! cannot make the receiver allocate without bound.

use std::io::{self, Read, Write};

/// The first bytes of a stream.
pub const MAGIC: &[u8] = b"EXHIBIT-STREAM/1\n";
/// The largest `D` frame a writer sends and a reader accepts.
pub const MAX_DATA_FRAME: usize = 1 << 20;
/// The largest `H` or `T` frame.
pub const MAX_JSON_FRAME: usize = 16 << 20;

pub const HEADER: u8 = b'H';
pub const DATA: u8 = b'D';
pub const TRAILER: u8 = b'T';

/// The header sent before the archive.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Header {
    pub stem: String,
    pub tool_version: String,
}

/// Write one frame.
pub fn write_frame(w: &mut dyn Write, kind: u8, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len()).map_err(|_| io::Error::other("frame too large"))?;
    w.write_all(&[kind])?;
    w.write_all(&len.to_be_bytes())?;
    w.write_all(payload)
}

/// Writes the archive as `D` frames of up to [`MAX_DATA_FRAME`] bytes.
pub struct FrameWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> FrameWriter<W> {
    /// Start a stream on `inner`: the magic line and the header.
    pub fn start(mut inner: W, header: &Header) -> io::Result<Self> {
        inner.write_all(MAGIC)?;
        let json = serde_json::to_vec(header).map_err(io::Error::other)?;
        write_frame(&mut inner, HEADER, &json)?;
        Ok(Self {
            inner,
            buf: Vec::with_capacity(MAX_DATA_FRAME),
        })
    }

    fn send_buffered(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            write_frame(&mut self.inner, DATA, &self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

impl<W: Write> Write for FrameWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = MAX_DATA_FRAME - self.buf.len();
        let n = data.len().min(room);
        self.buf
            .extend_from_slice(data.get(..n).unwrap_or_default());
        if self.buf.len() >= MAX_DATA_FRAME {
            self.send_buffered()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buffered()?;
        self.inner.flush()
    }
}

/// One frame read back.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Header(Vec<u8>),
    Data(Vec<u8>),
    Trailer(Vec<u8>),
}

/// Why a stream could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    #[error("the stream ended early (after {0} bytes of archive)")]
    Truncated(u64),
    #[error("not an Exhibit stream (the remote side printed {0:?})")]
    NotAStream(String),
    #[error("garbled stream: {0}")]
    Garbled(String),
    #[error("reading the stream: {0}")]
    Io(#[from] io::Error),
}

/// Reads frames, checking the magic line first.
pub struct FrameReader<R: Read> {
    inner: R,
    /// Archive bytes read so far (for the error when the stream stops).
    pub data_bytes: u64,
}

impl<R: Read> FrameReader<R> {
    pub fn new(mut inner: R) -> Result<Self, FrameError> {
        let mut magic = vec![0u8; MAGIC.len()];
        let got = read_full(&mut inner, &mut magic)?;
        if got < MAGIC.len() && got == 0 {
            return Err(FrameError::Truncated(0));
        }
        if magic.get(..got) != MAGIC.get(..got) || got < MAGIC.len() {
            let shown = String::from_utf8_lossy(magic.get(..got).unwrap_or_default()).into_owned();
            return Err(FrameError::NotAStream(shown));
        }
        Ok(Self {
            inner,
            data_bytes: 0,
        })
    }

    /// The next frame; `Truncated` when the stream ends anywhere but after
    /// a trailer (the caller stops reading after the trailer).
    pub fn next_frame(&mut self) -> Result<Frame, FrameError> {
        let mut head = [0u8; 5];
        if read_full(&mut self.inner, &mut head)? < head.len() {
            return Err(FrameError::Truncated(self.data_bytes));
        }
        let [kind, a, b, c, d] = head;
        let len = u32::from_be_bytes([a, b, c, d]) as usize;
        let max = if kind == DATA {
            MAX_DATA_FRAME
        } else {
            MAX_JSON_FRAME
        };
        if len > max {
            return Err(FrameError::Garbled(format!(
                "a frame of {len} bytes (at most {max})"
            )));
        }
        let mut payload = vec![0u8; len];
        if read_full(&mut self.inner, &mut payload)? < len {
            return Err(FrameError::Truncated(self.data_bytes));
        }
        match kind {
            HEADER => Ok(Frame::Header(payload)),
            DATA => {
                self.data_bytes += len as u64;
                Ok(Frame::Data(payload))
            }
            TRAILER => Ok(Frame::Trailer(payload)),
            k => Err(FrameError::Garbled(format!("unknown frame type {k:#04x}"))),
        }
    }
}

/// Read until `buf` is full or the end of the stream; returns the bytes read.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        let Some(rest) = buf.get_mut(got..) else {
            break;
        };
        match r.read(rest) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn header() -> Header {
        Header {
            stem: "C_E01_h_20260101T000000Z".into(),
            tool_version: "x".into(),
        }
    }

    #[test]
    fn round_trip_splits_large_writes_into_capped_frames() {
        let data: Vec<u8> = (0..(3 * MAX_DATA_FRAME + 17)).map(|i| i as u8).collect();
        let mut out = Vec::new();
        {
            let mut w = FrameWriter::start(&mut out, &header()).unwrap();
            w.write_all(&data).unwrap();
            w.flush().unwrap();
        }
        write_frame(&mut out, TRAILER, b"{}").unwrap();
        let mut r = FrameReader::new(out.as_slice()).unwrap();
        let Frame::Header(h) = r.next_frame().unwrap() else {
            panic!("header first")
        };
        assert_eq!(
            serde_json::from_slice::<Header>(&h).unwrap().stem,
            header().stem
        );
        let mut got = Vec::new();
        loop {
            match r.next_frame().unwrap() {
                Frame::Data(d) => {
                    assert!(d.len() <= MAX_DATA_FRAME);
                    got.extend(d)
                }
                Frame::Trailer(t) => {
                    assert_eq!(t, b"{}");
                    break;
                }
                Frame::Header(_) => panic!("one header"),
            }
        }
        assert_eq!(got, data);
    }

    #[test]
    fn a_stream_cut_anywhere_is_truncated_not_complete() {
        let mut out = Vec::new();
        {
            let mut w = FrameWriter::start(&mut out, &header()).unwrap();
            w.write_all(&[7u8; 5000]).unwrap();
            w.flush().unwrap();
        }
        write_frame(&mut out, TRAILER, b"{}").unwrap();
        for cut in MAGIC.len()..out.len() {
            let mut r = FrameReader::new(&out[..cut]).unwrap();
            let mut ended = false;
            loop {
                match r.next_frame() {
                    Ok(Frame::Trailer(_)) => {
                        ended = true;
                        break;
                    }
                    Ok(_) => {}
                    Err(FrameError::Truncated(_)) => break,
                    Err(e) => panic!("cut at {cut}: {e}"),
                }
            }
            assert!(!ended, "cut at {cut} read as complete");
        }
    }

    #[test]
    fn other_output_is_not_a_stream_and_huge_frames_are_refused() {
        assert!(matches!(
            FrameReader::new(&b"bash: exhibit: command not found\n"[..]),
            Err(FrameError::NotAStream(_))
        ));
        let mut out = MAGIC.to_vec();
        out.push(DATA);
        out.extend_from_slice(&u32::MAX.to_be_bytes());
        let mut r = FrameReader::new(out.as_slice()).unwrap();
        assert!(matches!(r.next_frame(), Err(FrameError::Garbled(_))));
    }
}
