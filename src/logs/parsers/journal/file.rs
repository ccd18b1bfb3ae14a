//! A reader of binary systemd journal files (`*.journal`, `*.journal~`),
//! written from systemd's `docs/JOURNAL_FILE_FORMAT.md`: the header, the
//! entry-array chain that lists the entries in file order, entry objects
//! (regular and compact), and data objects with XZ, LZ4 or Zstd-compressed
//! payloads. Hash tables are not needed to read every entry in order, so
//! keyed and Jenkins hashes read alike.
//!
//! Everything read from the file is distrusted: every offset is checked
//! against the bytes held, object sizes and decompressed sizes are capped,
//! the entry-array chain must move forward (so it cannot loop), and a
//! damaged object becomes a [`Problem`] naming its offset instead of a
//! panic. The reader works on bytes in memory (the caller caps how many it
//! holds), so it reads files from evidence archives and folders alike.

use std::borrow::Cow;
use std::io::Read;

/// The file signature.
pub const SIGNATURE: &[u8; 8] = b"LPKSHHRH";

/// The smallest header systemd ever wrote (up to `tail_entry_monotonic`
/// plus `n_data`/`n_fields`, systemd 187).
const HEADER_MIN: u64 = 208;
/// The object header: type, flags, 6 reserved bytes, size.
const OBJECT_HEADER: u64 = 16;
/// A decompressed field larger than this is not read (its entry keeps the
/// other fields and the source gets a note).
pub const MAX_FIELD_BYTES: usize = 16 << 20;
/// Fields decompressed for one entry, at most.
const MAX_ENTRY_DECOMPRESSED: usize = 64 << 20;
/// Fields decompressed for one file, at most (and at most 32 times the
/// file's size plus 64 MiB): entries that all link one compressed bomb
/// cannot make reading last for hours.
const MAX_FILE_DECOMPRESSED: u64 = 4 << 30;

/// Object types.
const OBJECT_DATA: u8 = 1;
const OBJECT_ENTRY: u8 = 3;
const OBJECT_ENTRY_ARRAY: u8 = 6;

/// Header flags.
const COMPAT_SEALED: u32 = 1;
const INCOMPAT_XZ: u32 = 1;
const INCOMPAT_LZ4: u32 = 2;
const INCOMPAT_KEYED_HASH: u32 = 4;
const INCOMPAT_ZSTD: u32 = 8;
const INCOMPAT_COMPACT: u32 = 16;
const INCOMPAT_KNOWN: u32 = 31;

/// Object flags: how a data object's payload is compressed.
const OBJ_XZ: u8 = 1;
const OBJ_LZ4: u8 = 2;
const OBJ_ZSTD: u8 = 4;

/// Something in the file that could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Byte offset in the file of the damaged object (or field).
    pub offset: u64,
    pub what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "offset {} (0x{:x}): {}",
            self.offset, self.offset, self.what
        )
    }
}

/// Problems found in one file: the first few kept, all counted (a hostile
/// file may have millions).
#[derive(Debug, Default, Clone)]
pub struct Problems {
    pub first: Vec<Problem>,
    pub total: u64,
}

impl Problems {
    /// How many are kept with their text.
    pub const KEEP: usize = 10;

    pub fn push(&mut self, p: Problem) {
        self.total += 1;
        if self.first.len() < Self::KEEP {
            self.first.push(p);
        }
    }

    pub fn extend(&mut self, other: Problems) {
        let extra = other.total.saturating_sub(other.first.len() as u64);
        for p in other.first {
            self.push(p);
        }
        self.total += extra;
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

fn problem(offset: u64, what: impl Into<String>) -> Problem {
    Problem {
        offset,
        what: what.into(),
    }
}

/// The file's state byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Closed cleanly.
    Offline,
    /// Still open for writing when it was copied.
    Online,
    /// Rotated away (`system@….journal`).
    Archived,
    Other(u8),
}

impl State {
    pub fn name(self) -> String {
        match self {
            State::Offline => "offline".into(),
            State::Online => "online".into(),
            State::Archived => "archived".into(),
            State::Other(n) => format!("unknown ({n})"),
        }
    }
}

/// The header fields the reader uses and reports.
#[derive(Debug, Clone)]
pub struct Header {
    pub compatible_flags: u32,
    pub incompatible_flags: u32,
    pub state: State,
    pub file_id: [u8; 16],
    pub machine_id: [u8; 16],
    pub header_size: u64,
    pub arena_size: u64,
    pub n_objects: u64,
    pub n_entries: u64,
    pub entry_array_offset: u64,
    pub head_entry_realtime: u64,
    pub tail_entry_realtime: u64,
}

impl Header {
    /// Forward Secure Sealing was on for this file.
    pub fn sealed(&self) -> bool {
        self.compatible_flags & COMPAT_SEALED != 0
    }

    /// Compact format (32-bit offsets in entries and arrays, systemd 252+).
    pub fn compact(&self) -> bool {
        self.incompatible_flags & INCOMPAT_COMPACT != 0
    }

    /// Hash tables keyed by the file id (SipHash) instead of Jenkins.
    pub fn keyed_hash(&self) -> bool {
        self.incompatible_flags & INCOMPAT_KEYED_HASH != 0
    }

    /// The compression algorithms the header announces.
    pub fn compression(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        for (bit, name) in [
            (INCOMPAT_XZ, "xz"),
            (INCOMPAT_LZ4, "lz4"),
            (INCOMPAT_ZSTD, "zstd"),
        ] {
            if self.incompatible_flags & bit != 0 {
                v.push(name);
            }
        }
        v
    }

    /// Incompatible flags this reader does not know.
    pub fn unknown_flags(&self) -> u32 {
        self.incompatible_flags & !INCOMPAT_KNOWN
    }
}

fn le64(b: &[u8], at: u64) -> Option<u64> {
    let at = usize::try_from(at).ok()?;
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}

fn le32(b: &[u8], at: u64) -> Option<u32> {
    let at = usize::try_from(at).ok()?;
    let s = b.get(at..at.checked_add(4)?)?;
    let mut a = [0u8; 4];
    a.copy_from_slice(s);
    Some(u32::from_le_bytes(a))
}

fn id128(b: &[u8], at: usize) -> [u8; 16] {
    let mut a = [0u8; 16];
    if let Some(s) = b.get(at..at + 16) {
        a.copy_from_slice(s);
    }
    a
}

/// Read the header of a journal file.
pub fn header(data: &[u8]) -> Result<Header, Problem> {
    if !data.starts_with(SIGNATURE) {
        return Err(problem(
            0,
            "not a systemd journal file (no LPKSHHRH signature)",
        ));
    }
    let need = |at: u64| le64(data, at).ok_or_else(|| problem(0, "the header is cut short"));
    let header_size = need(88)?;
    if header_size < HEADER_MIN || header_size > data.len() as u64 {
        return Err(problem(
            88,
            format!(
                "header size {header_size} is impossible (file holds {} bytes)",
                data.len()
            ),
        ));
    }
    let state = match data.get(16).copied().unwrap_or(0) {
        0 => State::Offline,
        1 => State::Online,
        2 => State::Archived,
        n => State::Other(n),
    };
    Ok(Header {
        compatible_flags: le32(data, 8).unwrap_or(0),
        incompatible_flags: le32(data, 12).unwrap_or(0),
        state,
        file_id: id128(data, 24),
        machine_id: id128(data, 40),
        header_size,
        arena_size: need(96)?,
        n_objects: need(144)?,
        n_entries: need(152)?,
        entry_array_offset: need(176)?,
        head_entry_realtime: need(184)?,
        tail_entry_realtime: need(192)?,
    })
}

/// A journal file held in memory.
pub struct Journal<'a> {
    data: &'a [u8],
    pub header: Header,
    /// End of the objects: the end of the arena, or of the bytes held when
    /// the file was cut.
    end: u64,
    compact: bool,
    /// Bytes the remaining compressed fields may still decompress to.
    budget: std::cell::Cell<u64>,
}

/// One entry's fixed part and where its items are.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Offset of the entry object in the file.
    pub offset: u64,
    pub seqnum: u64,
    /// Wall-clock time, UTC microseconds (`__REALTIME_TIMESTAMP`).
    pub realtime: u64,
    /// Microseconds since boot (`__MONOTONIC_TIMESTAMP`).
    pub monotonic: u64,
    pub boot_id: [u8; 16],
    items_at: u64,
    n_items: u64,
}

impl Entry {
    /// The number of fields the entry links.
    pub fn n_items(&self) -> u64 {
        self.n_items
    }
}

/// What walking the entry-array chain gave.
#[derive(Debug, Default)]
pub struct Walk {
    /// Entry object offsets in file order.
    pub entries: Vec<u64>,
    pub problems: Problems,
    /// The chain broke before listing the header's entry count.
    pub broken: bool,
    /// Entries listed by the arrays whose objects lie past the end of the
    /// bytes held (a file cut short).
    pub past_end: u64,
}

impl<'a> Journal<'a> {
    /// Open the bytes of a journal file (possibly cut short).
    pub fn open(data: &'a [u8]) -> Result<(Journal<'a>, Problems), Problem> {
        let header = header(data)?;
        let mut problems = Problems::default();
        let declared = header.header_size.saturating_add(header.arena_size);
        let held = data.len() as u64;
        let end = if declared > held {
            problems.push(problem(
                held,
                format!(
                    "the file is cut short: the header declares {declared} bytes, {held} are present; entries past the cut are lost"
                ),
            ));
            held
        } else {
            declared
        };
        if header.unknown_flags() != 0 {
            problems.push(problem(
                12,
                format!(
                    "unknown incompatible header flags 0x{:x}: read as far as the known layout allows",
                    header.unknown_flags()
                ),
            ));
        }
        let compact = header.compact();
        Ok((
            Journal {
                data,
                header,
                end,
                compact,
                budget: std::cell::Cell::new(
                    (data.len() as u64)
                        .saturating_mul(32)
                        .saturating_add(64 << 20)
                        .min(MAX_FILE_DECOMPRESSED),
                ),
            },
            problems,
        ))
    }

    /// The object at `off`, checked to be of type `want` and at least
    /// `min` bytes long, lying whole inside the file: its bytes.
    fn object(&self, off: u64, want: u8, min: u64) -> Result<&'a [u8], Problem> {
        if off < self.header.header_size
            || !off.is_multiple_of(8)
            || off.saturating_add(OBJECT_HEADER) > self.end
        {
            return Err(problem(off, "object offset outside the file or misaligned"));
        }
        let data = self.data;
        let typ = data.get(off as usize).copied().unwrap_or(0);
        let size = le64(data, off + 8).unwrap_or(0);
        if typ != want {
            return Err(problem(
                off,
                format!("not {} object (type {typ})", type_name(want)),
            ));
        }
        if size < min || size > self.end - off {
            return Err(problem(
                off,
                format!("{} object of impossible size {size}", type_name(want)),
            ));
        }
        data.get(off as usize..(off + size) as usize)
            .ok_or_else(|| problem(off, "object outside the file"))
    }

    /// Walk the entry-array chain: every entry's offset in file order. At
    /// most the header's entry count, bounded by what the file can hold;
    /// the chain must move forward (a loop or a backward link ends it).
    pub fn walk(&self) -> Walk {
        let mut w = Walk::default();
        let width: u64 = if self.compact { 4 } else { 8 };
        // An entry object is at least 64 bytes: no file holds more.
        let cap = self.header.n_entries.min(self.end / 64);
        let mut off = self.header.entry_array_offset;
        let mut prev_array = 0u64;
        let mut prev_entry = 0u64;
        let mut done = false;
        while off != 0 && !done && (w.entries.len() as u64) < cap {
            if off <= prev_array {
                w.problems.push(problem(
                    off,
                    format!("the entry-array chain links backwards (from {prev_array}): a loop or a damaged link"),
                ));
                w.broken = true;
                break;
            }
            let obj = match self.object(off, OBJECT_ENTRY_ARRAY, 24) {
                Ok(o) => o,
                Err(p) => {
                    w.problems.push(p);
                    w.broken = true;
                    break;
                }
            };
            let next = le64(obj, 16).unwrap_or(0);
            let n = (obj.len() as u64 - 24) / width;
            for i in 0..n {
                let at = 24 + i * width;
                let item = if self.compact {
                    le32(obj, at).map(u64::from)
                } else {
                    le64(obj, at)
                }
                .unwrap_or(0);
                if item == 0 {
                    // Unused slots at the end of the last array.
                    done = true;
                    break;
                }
                if item >= self.end {
                    w.past_end += 1;
                    continue;
                }
                if item <= prev_entry {
                    w.problems.push(problem(
                        off + at,
                        format!("entry-array item points backwards to {item}: skipped"),
                    ));
                    continue;
                }
                prev_entry = item;
                w.entries.push(item);
                if w.entries.len() as u64 >= cap {
                    break;
                }
            }
            prev_array = off;
            off = next;
        }
        let listed = w.entries.len() as u64;
        if w.past_end > 0 {
            w.problems.push(problem(
                self.end,
                format!(
                    "{} entries listed in the entry arrays lie past the end of the file",
                    w.past_end
                ),
            ));
        }
        if listed + w.past_end < self.header.n_entries && !w.broken {
            w.problems.push(problem(
                prev_array,
                format!(
                    "the header counts {} entries but the entry arrays list {listed}",
                    self.header.n_entries
                ),
            ));
            w.broken = true;
        }
        w
    }

    /// Scan objects one after the other from `from` to the end, for entry
    /// objects the broken chain could not reach. A damaged object header
    /// is stepped over 8 bytes at a time until a plausible one follows.
    /// Returns the entry offsets found and how many bytes were stepped over.
    pub fn scan_entries(&self, from: u64) -> (Vec<u64>, u64) {
        let mut out = Vec::new();
        let mut skipped = 0u64;
        let mut off = from.max(self.header.header_size).next_multiple_of(8);
        while off.saturating_add(OBJECT_HEADER) <= self.end {
            let typ = self.data.get(off as usize).copied().unwrap_or(0);
            let size = le64(self.data, off + 8).unwrap_or(0);
            let plausible = (1..=7).contains(&typ)
                && size >= OBJECT_HEADER
                && size <= self.end - off
                && self
                    .data
                    .get(off as usize + 2..off as usize + 8)
                    .is_some_and(|r| r.iter().all(|&b| b == 0));
            if !plausible {
                skipped += 8;
                off += 8;
                continue;
            }
            if typ == OBJECT_ENTRY && size >= 64 {
                out.push(off);
            }
            off = off.saturating_add(size.next_multiple_of(8));
        }
        (out, skipped)
    }

    /// The entry object at `off`.
    pub fn entry(&self, off: u64) -> Result<Entry, Problem> {
        let obj = self.object(off, OBJECT_ENTRY, 64)?;
        let width: u64 = if self.compact { 4 } else { 16 };
        let get = |at| le64(obj, at).unwrap_or(0);
        Ok(Entry {
            offset: off,
            seqnum: get(16),
            realtime: get(24),
            monotonic: get(32),
            boot_id: id128(obj, 40),
            items_at: off + 64,
            n_items: (obj.len() as u64 - 64) / width,
        })
    }

    /// The offset of the entry's `i`-th data object.
    fn item(&self, e: &Entry, i: u64) -> Option<u64> {
        if self.compact {
            le32(self.data, e.items_at + i * 4).map(u64::from)
        } else {
            le64(self.data, e.items_at + i * 16)
        }
    }

    /// Call `f(offset, payload)` for each field of the entry (`NAME=value`
    /// bytes, decompressed into `scratch` when compressed), in the entry's
    /// order. Damaged fields are skipped and added to `problems`.
    pub fn fields(
        &self,
        e: &Entry,
        scratch: &mut Vec<u8>,
        problems: &mut Problems,
        mut f: impl FnMut(u64, &[u8]),
    ) {
        let mut budget = MAX_ENTRY_DECOMPRESSED;
        for i in 0..e.n_items {
            let Some(off) = self.item(e, i) else { break };
            match self.payload(off, scratch, &mut budget) {
                Ok(Some(p)) => f(off, &p),
                Ok(None) => f(off, scratch),
                Err(p) => problems.push(p),
            }
        }
    }

    /// A data object's payload: borrowed when stored plain, `None` when it
    /// was decompressed into `scratch`.
    fn payload(
        &self,
        off: u64,
        scratch: &mut Vec<u8>,
        budget: &mut usize,
    ) -> Result<Option<Cow<'a, [u8]>>, Problem> {
        let start: u64 = if self.compact { 72 } else { 64 };
        let obj = self.object(off, OBJECT_DATA, start)?;
        let flags = obj.get(1).copied().unwrap_or(0);
        let raw = obj.get(start as usize..).unwrap_or_default();
        if flags & (OBJ_XZ | OBJ_LZ4 | OBJ_ZSTD) == 0 {
            return Ok(Some(Cow::Borrowed(raw)));
        }
        let file_left = usize::try_from(self.budget.get()).unwrap_or(usize::MAX);
        if file_left == 0 {
            return Err(problem(
                off,
                "compressed field not read: the file's decompression budget is spent",
            ));
        }
        let limit = MAX_FIELD_BYTES.min(*budget).min(file_left);
        scratch.clear();
        let r = decompress(flags, raw, scratch, limit);
        // A failed attempt may have decompressed up to the limit.
        let spent = match r {
            Ok(()) => scratch.len(),
            Err(_) => limit.max(raw.len()),
        } as u64;
        self.budget.set(self.budget.get().saturating_sub(spent));
        r.map_err(|what| problem(off, what))?;
        *budget = budget.saturating_sub(scratch.len());
        Ok(None)
    }
}

fn type_name(t: u8) -> &'static str {
    match t {
        1 => "a data",
        2 => "a field",
        3 => "an entry",
        4 => "a data hash table",
        5 => "a field hash table",
        6 => "an entry array",
        7 => "a tag",
        _ => "an unknown",
    }
}

/// A writer that refuses to hold more than `limit` bytes.
struct Bounded<'b> {
    out: &'b mut Vec<u8>,
    limit: usize,
    overflow: bool,
}

impl std::io::Write for Bounded<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len().saturating_add(buf.len()) > self.limit {
            self.overflow = true;
            return Err(std::io::Error::other("too large"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Decompress a data object's payload into `out`, at most `limit` bytes.
pub fn decompress(flags: u8, raw: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), String> {
    let too_large = || format!("compressed field decompresses beyond {limit} bytes: skipped");
    if flags & OBJ_LZ4 != 0 {
        // systemd writes the decompressed size (le64) before the LZ4 block.
        let size = le64(raw, 0).ok_or("LZ4 field without its size")?;
        let size = usize::try_from(size).map_err(|_| too_large())?;
        if size > limit {
            return Err(too_large());
        }
        out.resize(size, 0);
        let n = lz4_flex::block::decompress_into(raw.get(8..).unwrap_or_default(), out)
            .map_err(|e| format!("LZ4 field does not decompress: {e}"))?;
        out.truncate(n);
        Ok(())
    } else if flags & OBJ_ZSTD != 0 {
        let dec = ruzstd::decoding::StreamingDecoder::new(raw)
            .map_err(|e| format!("Zstd field does not decompress: {e}"))?;
        let got = dec
            .take(limit as u64 + 1)
            .read_to_end(out)
            .map_err(|e| format!("Zstd field does not decompress: {e}"))?;
        if got > limit {
            out.clear();
            return Err(too_large());
        }
        Ok(())
    } else if flags & OBJ_XZ != 0 {
        let mut input = raw;
        let mut w = Bounded {
            out,
            limit,
            overflow: false,
        };
        let r = lzma_rs::xz_decompress(&mut input, &mut w);
        r.map_err(|e| {
            if w.overflow {
                too_large()
            } else {
                format!("XZ field does not decompress: {e}")
            }
        })
    } else {
        Err("unknown compression flag".into())
    }
}

/// Hex of a 128-bit id, as journalctl prints it.
pub fn hex_id(id: &[u8; 16]) -> String {
    hex::encode(id)
}
