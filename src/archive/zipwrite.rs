//! A streaming ZIP writer for evidence archives.
//!
//! Entries arrive already compressed (workers deflate and hash in the same
//! pass) either whole or as a stream of chunks; the writer only lays them out.
//! Output is strictly append-only, so the SHA-256 of the whole archive is
//! computed while it is written and needs no second read. Streamed entries
//! use a data descriptor (general-purpose flag bit 3) instead of seeking back.
//!
//! Every entry carries the Unix mode, the Info-ZIP extended timestamp and
//! Unix uid/gid extra fields, and the UTF-8 flag. ZIP64 structures are written
//! whenever a size, an offset or the entry count needs them.

use super::spill::{Spill, SpillWriter};
use super::zipspec::*;
use sha2::{Digest, Sha256};
use std::io::{self, Read, Write};

/// Metadata of one member, taken from the source file.
#[derive(Debug, Clone, Default)]
pub struct EntryMeta {
    /// Full member name (`<stem>/data/...`).
    pub name: String,
    /// Permission bits (the file type bits are added by the writer).
    pub mode: u32,
    pub mtime: i64,
    pub atime: i64,
    /// `(uid, gid)` for the Info-ZIP Unix field; `None` (no field) where the
    /// capturing system has no numeric owner.
    pub owner: Option<(u32, u32)>,
}

#[derive(Debug)]
struct Central {
    meta: EntryMeta,
    method: u16,
    flags: u16,
    crc: u32,
    csize: u64,
    usize: u64,
    offset: u64,
    version_needed: u16,
}

/// Where the central directory goes until [`ZipWriter::finish`] writes it:
/// each entry's central header is rendered as soon as the entry is
/// complete, into memory or a [`Spill`], so the writer keeps no per-entry
/// structure.
enum CentralDir {
    Memory(Vec<u8>),
    Spilled(SpillWriter),
}

impl CentralDir {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            CentralDir::Memory(v) => {
                v.extend_from_slice(bytes);
                Ok(())
            }
            CentralDir::Spilled(w) => w.write_all(bytes),
        }
    }
}

#[derive(Debug)]
struct OpenStream {
    meta: EntryMeta,
    method: u16,
    offset: u64,
    data_start: u64,
    zip64: bool,
}

/// The finished archive's totals.
#[derive(Debug, Clone)]
pub struct Finished {
    pub sha256: String,
    pub bytes: u64,
    pub members: u64,
}

pub struct ZipWriter<W: Write> {
    out: W,
    sha: Sha256,
    offset: u64,
    central: CentralDir,
    /// Central headers rendered so far.
    members: u64,
    open: Option<OpenStream>,
    /// Scratch buffer for one central header.
    scratch: Vec<u8>,
}

fn in_i32(t: i64) -> Option<i32> {
    i32::try_from(t).ok()
}

fn timestamp_extra(meta: &EntryMeta, local: bool) -> Vec<u8> {
    let mut e = Vec::new();
    let Some(m) = in_i32(meta.mtime) else {
        return e;
    };
    let a = in_i32(meta.atime).filter(|_| local);
    e.put_u16(EXTRA_TIMESTAMP);
    e.put_u16(if a.is_some() { 9 } else { 5 });
    // Flags say which times the local header carries; the central copy holds
    // only mtime but repeats the local flags, as Info-ZIP does.
    e.push(if in_i32(meta.atime).is_some() {
        0b11
    } else {
        0b01
    });
    e.put_u32(m as u32);
    if let Some(a) = a {
        e.put_u32(a as u32);
    }
    e
}

fn unix_extra(meta: &EntryMeta) -> Vec<u8> {
    let mut e = Vec::new();
    let Some((uid, gid)) = meta.owner else {
        return e;
    };
    e.put_u16(EXTRA_UNIX_UIDGID);
    e.put_u16(11);
    e.push(1);
    e.push(4);
    e.put_u32(uid);
    e.push(4);
    e.put_u32(gid);
    e
}

fn name_len(meta: &EntryMeta) -> io::Result<u16> {
    u16::try_from(meta.name.len()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("member name longer than 65535 bytes: {}", meta.name),
        )
    })
}

impl<W: Write> ZipWriter<W> {
    /// A writer keeping the central directory in memory (about 130 bytes
    /// per member, rendered).
    pub fn new(out: W) -> Self {
        Self::with_central(out, CentralDir::Memory(Vec::new()))
    }

    /// A writer keeping the central directory in `spill` until the end
    /// (nothing per member in memory).
    pub fn with_central_spill(out: W, spill: &Spill) -> io::Result<Self> {
        Ok(Self::with_central(
            out,
            CentralDir::Spilled(spill.writer()?),
        ))
    }

    fn with_central(out: W, central: CentralDir) -> Self {
        Self {
            out,
            sha: Sha256::new(),
            offset: 0,
            central,
            members: 0,
            open: None,
            scratch: Vec::new(),
        }
    }

    /// Render the central header of a complete member.
    fn push_central(&mut self, c: &Central) -> io::Result<()> {
        let buf = &mut self.scratch;
        buf.clear();
        let mut z64 = Vec::new();
        if c.usize >= U32_SENTINEL {
            z64.put_u64(c.usize);
        }
        if c.csize >= U32_SENTINEL {
            z64.put_u64(c.csize);
        }
        if c.offset >= U32_SENTINEL {
            z64.put_u64(c.offset);
        }
        let mut extra = Vec::new();
        if !z64.is_empty() {
            extra.put_u16(EXTRA_ZIP64);
            extra.put_u16(z64.len() as u16);
            extra.extend_from_slice(&z64);
        }
        extra.extend(timestamp_extra(&c.meta, false));
        extra.extend(unix_extra(&c.meta));
        let (time, date) = dos_datetime(c.meta.mtime);
        let version_needed = if z64.is_empty() {
            c.version_needed
        } else {
            VERSION_NEEDED_ZIP64
        };
        buf.put_u32(CENTRAL_SIG);
        buf.put_u16(VERSION_MADE_BY);
        buf.put_u16(version_needed);
        buf.put_u16(c.flags);
        buf.put_u16(c.method);
        buf.put_u16(time);
        buf.put_u16(date);
        buf.put_u32(c.crc);
        buf.put_u32(c.csize.min(U32_SENTINEL) as u32);
        buf.put_u32(c.usize.min(U32_SENTINEL) as u32);
        buf.put_u16(name_len(&c.meta)?);
        buf.put_u16(extra.len() as u16);
        buf.put_u16(0); // comment length
        buf.put_u16(0); // disk number start
        buf.put_u16(0); // internal attributes
        buf.put_u32((0o100000 | (c.meta.mode & 0o7777)) << 16);
        buf.put_u32(c.offset.min(U32_SENTINEL) as u32);
        buf.extend_from_slice(c.meta.name.as_bytes());
        buf.extend_from_slice(&extra);
        self.central.append(&self.scratch)?;
        self.members += 1;
        Ok(())
    }

    /// Bytes written so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn emit(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.sha.update(bytes);
        self.offset += bytes.len() as u64;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn local_header(
        &mut self,
        meta: &EntryMeta,
        method: u16,
        flags: u16,
        crc: u32,
        csize: u64,
        usize: u64,
        zip64: bool,
    ) -> io::Result<()> {
        let (time, date) = dos_datetime(meta.mtime);
        let mut extra = Vec::new();
        if zip64 {
            extra.put_u16(EXTRA_ZIP64);
            extra.put_u16(16);
            extra.put_u64(usize);
            extra.put_u64(csize);
        }
        extra.extend(timestamp_extra(meta, true));
        extra.extend(unix_extra(meta));
        let mut h = Vec::with_capacity(LOCAL_HEADER_LEN + meta.name.len() + extra.len());
        h.put_u32(LOCAL_SIG);
        h.put_u16(if zip64 {
            VERSION_NEEDED_ZIP64
        } else {
            VERSION_NEEDED_DEFAULT
        });
        h.put_u16(flags);
        h.put_u16(method);
        h.put_u16(time);
        h.put_u16(date);
        h.put_u32(crc);
        if zip64 {
            h.put_u32(U32_SENTINEL as u32);
            h.put_u32(U32_SENTINEL as u32);
        } else {
            h.put_u32(csize as u32);
            h.put_u32(usize as u32);
        }
        h.put_u16(name_len(meta)?);
        h.put_u16(extra.len() as u16);
        h.extend_from_slice(meta.name.as_bytes());
        h.extend_from_slice(&extra);
        self.emit(&h)
    }

    fn check_idle(&self) -> io::Result<()> {
        if self.open.is_some() {
            return Err(io::Error::other("a streamed entry is still open"));
        }
        Ok(())
    }

    /// Write a complete entry whose data is already compressed with `method`.
    pub fn add_whole(
        &mut self,
        meta: EntryMeta,
        method: u16,
        crc: u32,
        usize: u64,
        data: &[u8],
    ) -> io::Result<()> {
        self.whole_entry(meta, method, crc, usize, data.len() as u64, |w, _| {
            w.emit(data)
        })
    }

    /// [`ZipWriter::add_whole`] with the `csize` bytes of compressed data
    /// read from `data` (a tag file too large to hold in memory), laid out
    /// exactly as `add_whole` lays them out.
    pub fn add_whole_from(
        &mut self,
        meta: EntryMeta,
        method: u16,
        crc: u32,
        usize: u64,
        csize: u64,
        data: &mut dyn Read,
    ) -> io::Result<()> {
        self.whole_entry(meta, method, crc, usize, csize, |w, name| {
            let copied = w.copy_from(data, csize)?;
            if copied != csize {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{name}: {copied} bytes of data where {csize} were announced"),
                ));
            }
            Ok(())
        })
    }

    /// A whole entry: its local header, the `csize` bytes `body` writes,
    /// and its central directory record.
    fn whole_entry(
        &mut self,
        meta: EntryMeta,
        method: u16,
        crc: u32,
        usize: u64,
        csize: u64,
        body: impl FnOnce(&mut Self, &str) -> io::Result<()>,
    ) -> io::Result<()> {
        self.check_idle()?;
        let zip64 = usize >= U32_SENTINEL || csize >= U32_SENTINEL;
        let offset = self.offset;
        self.local_header(&meta, method, FLAG_UTF8, crc, csize, usize, zip64)?;
        body(self, &meta.name)?;
        self.push_central(&Central {
            meta,
            method,
            flags: FLAG_UTF8,
            crc,
            csize,
            usize,
            offset,
            version_needed: if zip64 {
                VERSION_NEEDED_ZIP64
            } else {
                VERSION_NEEDED_DEFAULT
            },
        })
    }

    fn copy_from(&mut self, r: &mut dyn Read, max: u64) -> io::Result<u64> {
        let mut buf = vec![0u8; 1 << 16];
        let mut r = r.take(max);
        let mut total = 0u64;
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.emit(&buf[..n])?;
            total += n as u64;
        }
    }

    /// Start an entry whose data will follow in chunks. `large` reserves ZIP64
    /// sizes in the local header; it must be set when the entry may reach 4 GiB.
    pub fn begin_stream(&mut self, meta: EntryMeta, method: u16, large: bool) -> io::Result<()> {
        self.check_idle()?;
        let offset = self.offset;
        self.local_header(
            &meta,
            method,
            FLAG_UTF8 | FLAG_DATA_DESCRIPTOR,
            0,
            0,
            0,
            large,
        )?;
        self.open = Some(OpenStream {
            meta,
            method,
            offset,
            data_start: self.offset,
            zip64: large,
        });
        Ok(())
    }

    /// Append compressed data to the open streamed entry.
    pub fn stream_data(&mut self, data: &[u8]) -> io::Result<()> {
        if self.open.is_none() {
            return Err(io::Error::other("no streamed entry is open"));
        }
        self.emit(data)
    }

    /// Close the open streamed entry with its CRC and uncompressed size.
    pub fn end_stream(&mut self, crc: u32, usize: u64) -> io::Result<()> {
        let open = self
            .open
            .take()
            .ok_or_else(|| io::Error::other("no streamed entry is open"))?;
        let csize = self.offset - open.data_start;
        if !open.zip64 && (csize >= U32_SENTINEL || usize >= U32_SENTINEL) {
            return Err(io::Error::other(format!(
                "entry grew past 4 GiB without a ZIP64 header: {}",
                open.meta.name
            )));
        }
        let mut d = Vec::with_capacity(24);
        d.put_u32(DATA_DESCRIPTOR_SIG);
        d.put_u32(crc);
        if open.zip64 {
            d.put_u64(csize);
            d.put_u64(usize);
        } else {
            d.put_u32(csize as u32);
            d.put_u32(usize as u32);
        }
        self.emit(&d)?;
        self.push_central(&Central {
            meta: open.meta,
            method: open.method,
            flags: FLAG_UTF8 | FLAG_DATA_DESCRIPTOR,
            crc,
            csize,
            usize,
            offset: open.offset,
            version_needed: if open.zip64 {
                VERSION_NEEDED_ZIP64
            } else {
                VERSION_NEEDED_DEFAULT
            },
        })
    }

    /// Write the central directory and end records; return the inner writer,
    /// the SHA-256 of every byte written, and the totals.
    pub fn finish(mut self) -> io::Result<(W, Finished)> {
        self.check_idle()?;
        let cd_start = self.offset;
        let central = std::mem::replace(&mut self.central, CentralDir::Memory(Vec::new()));
        match central {
            CentralDir::Memory(buf) => {
                for chunk in buf.chunks(60 * 1024) {
                    self.emit(chunk)?;
                }
            }
            CentralDir::Spilled(w) => {
                let len = w.len();
                let mut r = w.finish()?.reader()?;
                if self.copy_from(&mut r, len)? != len {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the spilled central directory is shorter than written",
                    ));
                }
            }
        }
        let cd_size = self.offset - cd_start;
        let n = self.members;
        let mut end = Vec::new();
        if n >= U16_SENTINEL || cd_size >= U32_SENTINEL || cd_start >= U32_SENTINEL {
            let z64_start = self.offset;
            end.put_u32(ZIP64_EOCD_SIG);
            end.put_u64((ZIP64_EOCD_LEN - 12) as u64);
            end.put_u16(VERSION_MADE_BY);
            end.put_u16(VERSION_NEEDED_ZIP64);
            end.put_u32(0);
            end.put_u32(0);
            end.put_u64(n);
            end.put_u64(n);
            end.put_u64(cd_size);
            end.put_u64(cd_start);
            end.put_u32(ZIP64_LOCATOR_SIG);
            end.put_u32(0);
            end.put_u64(z64_start);
            end.put_u32(1);
        }
        end.put_u32(EOCD_SIG);
        end.put_u16(0);
        end.put_u16(0);
        end.put_u16(n.min(U16_SENTINEL) as u16);
        end.put_u16(n.min(U16_SENTINEL) as u16);
        end.put_u32(cd_size.min(U32_SENTINEL) as u32);
        end.put_u32(cd_start.min(U32_SENTINEL) as u32);
        end.put_u16(0);
        self.emit(&end)?;
        self.out.flush()?;
        let sha256 = hex::encode(self.sha.finalize_reset());
        Ok((
            self.out,
            Finished {
                sha256,
                bytes: self.offset,
                members: n,
            },
        ))
    }
}
