//! A strict structural reader for ZIP archives.
//!
//! General-purpose ZIP libraries trust the central directory and hide what an
//! auditor needs to see: a local header that disagrees with its central
//! record, overlapping or duplicate members, bytes hidden between members,
//! names that escape the extraction directory. This reader parses both
//! headers of every member with bounds checks on every field, returns the
//! structure it could read plus every irregularity as a [`ZipIssue`], and
//! never panics on any input. Member data is read positionally (`pread`), so
//! several threads can stream members of one open file at once.

mod extra;
mod inflate;
mod paths;
mod table;

pub use inflate::MemberReader;
pub use table::MemberTable;
use table::{HAS_OWNER, HAS_TIMESTAMP, LOCAL_ZIP64, OVERLAPS, Row};

use super::zipspec::*;
use crate::platform::files::read_at;
use crate::problem::ProblemKind;
use std::fs::File;
use std::io::{self, Read};

/// An irregularity in the archive's structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipIssue {
    /// Stable machine-readable kind, e.g. `local_header_mismatch`.
    pub kind: ProblemKind,
    /// The member concerned, when there is one.
    pub member: Option<String>,
    pub detail: String,
}

/// The archive could not be parsed at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ZipReadError {
    #[error("cannot read archive: {0}")]
    Io(#[from] io::Error),
    #[error("not a ZIP archive or truncated: {0}")]
    NotZip(String),
}

/// One member as the central directory and its local header describe it.
#[derive(Debug, Clone)]
pub struct Member {
    /// Name as text (lossy for non-UTF-8 names, which Exhibit never writes).
    pub name: String,
    /// The exact name bytes, kept only when they are not valid UTF-8.
    pub raw_name: Option<Box<[u8]>>,
    pub flags: u16,
    pub method: u16,
    pub crc: u32,
    pub csize: u64,
    pub usize: u64,
    pub local_offset: u64,
    /// Unix mode from the external attributes (0 when made on another system).
    pub unix_mode: u32,
    /// Modification time from the extended-timestamp extra field.
    pub mtime: Option<i64>,
    /// (uid, gid) from the Info-ZIP Unix extra field.
    pub owner: Option<(u32, u32)>,
    /// The flags of the central extended timestamp (which times the local one holds).
    pub timestamp_flags: Option<u8>,
    /// MS-DOS (time, date) of the central header.
    pub dos_datetime: (u16, u16),
    /// "Version made by": host system in the high byte.
    pub made_by: u16,
    /// External file attributes (Unix mode in the high half, DOS bits in the low).
    pub external: u32,
    /// Internal file attributes.
    pub internal: u16,
    /// Where the compressed data starts; `None` when the local header is unusable.
    pub data_start: Option<u64>,
    /// The local header carries ZIP64 sizes (so a data descriptor has 8-byte sizes).
    pub local_zip64: bool,
    /// The member's bytes overlap another member's (or the central
    /// directory): its content must not be inflated, it is not its own.
    pub overlaps: bool,
}

impl Member {
    /// A directory member (name ending in `/`).
    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }

    /// The exact bytes of the name.
    pub fn name_bytes(&self) -> &[u8] {
        self.raw_name.as_deref().unwrap_or(self.name.as_bytes())
    }
}

/// The parsed structure of an archive.
#[derive(Debug)]
pub struct ZipIndex {
    pub members: Vec<Member>,
    pub issues: Vec<ZipIssue>,
    pub file_size: u64,
}

/// Which members to keep, by name (see [`CompactIndex::open_only`]).
pub type KeepName<'a> = &'a dyn Fn(&[u8]) -> bool;

/// The parsed structure of an archive, its members kept compact
/// ([`MemberTable`]: about 80 bytes and the name per member, where a
/// [`ZipIndex`] holds a [`Member`] each): what reads archives of millions
/// of members. Same checks, same issues, in the same order.
#[derive(Debug)]
pub struct CompactIndex {
    pub members: MemberTable,
    pub issues: Vec<ZipIssue>,
    pub file_size: u64,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn read_exact_at(f: &File, len: usize, at: u64) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    crate::platform::files::read_exact_at(f, &mut buf, at)?;
    Ok(buf)
}

/// How much a [`Window`] reads at once.
const WINDOW_LEN: usize = 1 << 20;

/// Reads small pieces of a file, mostly at increasing offsets, through one
/// buffer. Pieces larger than the buffer are read directly.
struct Window<'f> {
    file: &'f File,
    start: u64,
    buf: Vec<u8>,
}

impl<'f> Window<'f> {
    fn new(file: &'f File) -> Self {
        Self {
            file,
            start: 0,
            buf: Vec::new(),
        }
    }

    /// Exactly `len` bytes at `at` (an `UnexpectedEof` error past the end,
    /// like `read_exact_at`).
    fn read(&mut self, len: usize, at: u64) -> io::Result<Vec<u8>> {
        let end = at
            .checked_add(len as u64)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "offset overflows"))?;
        let have_end = self.start.saturating_add(self.buf.len() as u64);
        if at >= self.start && end <= have_end {
            let from = (at - self.start) as usize;
            if let Some(piece) = self.buf.get(from..from + len) {
                return Ok(piece.to_vec());
            }
        }
        if len > WINDOW_LEN {
            return read_exact_at(self.file, len, at);
        }
        self.buf.resize(WINDOW_LEN, 0);
        let mut filled = 0usize;
        while filled < WINDOW_LEN {
            let Some(rest) = self.buf.get_mut(filled..) else {
                break;
            };
            match read_at(self.file, rest, at + filled as u64) {
                Ok(0) => break,
                Ok(k) => filled += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.clear();
                    return Err(e);
                }
            }
        }
        self.buf.truncate(filled);
        self.start = at;
        match self.buf.get(..len) {
            Some(piece) => Ok(piece.to_vec()),
            None => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "failed to fill whole buffer",
            )),
        }
    }
}

/// The central directory (`len` bytes at `start`), read through a window.
struct CentralReader<'f> {
    window: Window<'f>,
    start: u64,
    len: u64,
}

impl CentralReader<'_> {
    /// `len` bytes at `at` inside the central directory; `None` when they
    /// run past its end.
    fn read(&mut self, at: u64, len: usize) -> io::Result<Option<Vec<u8>>> {
        if at.saturating_add(len as u64) > self.len {
            return Ok(None);
        }
        self.window.read(len, self.start + at).map(Some)
    }
}

fn issue(kind: ProblemKind, member: Option<&str>, detail: impl Into<String>) -> ZipIssue {
    ZipIssue {
        kind,
        member: member.map(str::to_string),
        detail: detail.into(),
    }
}

/// Why a member name is unsafe to extract, if it is.
pub fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.starts_with('/') || name.starts_with('\\') {
        return Some("absolute path");
    }
    if name.len() >= 2 && name.as_bytes()[1] == b':' {
        return Some("drive-letter path");
    }
    if name.contains('\0') {
        return Some("NUL byte in name");
    }
    if name.split(['/', '\\']).any(|c| c == "..") {
        return Some("`..` component escapes the extraction directory");
    }
    None
}

impl ZipIndex {
    /// Parse the archive's structure. Fails only when there is no usable end
    /// of central directory; everything else becomes an issue.
    pub fn open(file: &File) -> Result<Self, ZipReadError> {
        Ok(CompactIndex::open(file)?.into())
    }

    /// Only the members whose name `keep` accepts (see
    /// [`CompactIndex::open_only`]).
    pub fn open_only(file: &File, keep: KeepName<'_>) -> Result<Self, ZipReadError> {
        Ok(CompactIndex::open_only(file, keep)?.into())
    }
}

impl From<CompactIndex> for ZipIndex {
    fn from(c: CompactIndex) -> Self {
        Self {
            members: c.members.members(),
            issues: c.issues,
            file_size: c.file_size,
        }
    }
}

impl CompactIndex {
    /// Parse the archive's structure (see [`ZipIndex::open`]). The central
    /// directory is read through a window, never whole.
    pub fn open(file: &File) -> Result<Self, ZipReadError> {
        Self::open_with(file, None)
    }

    /// Only the members whose name (bytes) `keep` accepts, their local
    /// headers read, and no other check: for readers that need a few tag
    /// files of an archive of millions of members (`exhibit show`). The
    /// issues are those of the kept members' headers only.
    pub fn open_only(file: &File, keep: KeepName<'_>) -> Result<Self, ZipReadError> {
        Self::open_with(file, Some(keep))
    }

    /// Parse the archive's structure, keeping the members `keep` accepts
    /// (every member and every check with `None`).
    ///
    /// One long function on purpose: it reads the end records and the
    /// central directory in file order, and each check needs what the ones
    /// before it established (offsets, counts, ZIP64 values); the checks
    /// that stand alone are the `check_*` methods it calls at the end.
    fn open_with(file: &File, keep: Option<KeepName<'_>>) -> Result<Self, ZipReadError> {
        let mut issues = Vec::new();
        let (file_size, tail_start, tail, eocd_rel) = read_tail(file)?;
        let eocd_pos = tail_start + eocd_rel as u64;
        let e = &tail[eocd_rel..];
        let disk = u16_at(e, 4).unwrap_or(0);
        let cd_disk = u16_at(e, 6).unwrap_or(0);
        let mut entries = u16_at(e, 10).unwrap_or(0) as u64;
        let mut cd_size = u32_at(e, 12).unwrap_or(0) as u64;
        let mut cd_start = u32_at(e, 16).unwrap_or(0) as u64;
        let comment_len = u16_at(e, 20).unwrap_or(0) as u64;
        if disk != 0 || cd_disk != 0 {
            issues.push(issue(
                ProblemKind::MultiDisk,
                None,
                "archive claims to span several disks",
            ));
        }
        let record_end = eocd_pos + EOCD_LEN as u64 + comment_len;
        if record_end != file_size {
            issues.push(issue(
                ProblemKind::TrailingData,
                None,
                format!(
                    "end record (with comment) ends at {record_end} but the file is {file_size} bytes"
                ),
            ));
        }
        if comment_len > 0 && record_end == file_size {
            issues.push(issue(
                ProblemKind::ArchiveComment,
                None,
                format!(
                    "the end record carries a {comment_len}-byte comment that no manifest covers"
                ),
            ));
        }
        let mut end_of_cd_region = eocd_pos;
        let loc_rel = eocd_rel.checked_sub(ZIP64_LOCATOR_LEN);
        let locator = loc_rel.filter(|&i| u32_at(&tail, i) == Some(ZIP64_LOCATOR_SIG));
        if let Some(li) = locator {
            let z64_pos = u64_at(&tail, li + 8).unwrap_or(u64::MAX);
            let rec = if z64_pos <= file_size.saturating_sub(ZIP64_EOCD_LEN as u64) {
                read_exact_at(file, ZIP64_EOCD_LEN, z64_pos).ok()
            } else {
                None
            };
            match rec {
                Some(r) if u32_at(&r, 0) == Some(ZIP64_EOCD_SIG) => {
                    let on_disk = u64_at(&r, 24).unwrap_or(0);
                    let z_entries = u64_at(&r, 32).unwrap_or(0);
                    let z_cd_size = u64_at(&r, 40).unwrap_or(0);
                    let z_cd_start = u64_at(&r, 48).unwrap_or(0);
                    // A field of the end record that is not a sentinel is what
                    // readers without ZIP64 use: it must say the same.
                    let e_on_disk = u16_at(e, 8).unwrap_or(0) as u64;
                    let disagree = on_disk != z_entries
                        || (e_on_disk != U16_SENTINEL && e_on_disk != z_entries)
                        || (entries != U16_SENTINEL && entries != z_entries)
                        || (cd_size != U32_SENTINEL && cd_size != z_cd_size)
                        || (cd_start != U32_SENTINEL && cd_start != z_cd_start);
                    if disagree {
                        issues.push(issue(
                            ProblemKind::Zip64Inconsistent,
                            None,
                            format!(
                                "ZIP64 end record ({on_disk}/{z_entries} members, {z_cd_size} bytes at {z_cd_start}) \
                                 disagrees with the end record ({e_on_disk}/{entries} members, {cd_size} bytes at {cd_start})"
                            ),
                        ));
                    }
                    entries = z_entries;
                    cd_size = z_cd_size;
                    cd_start = z_cd_start;
                    end_of_cd_region = z64_pos;
                    let rec_size = u64_at(&r, 4).unwrap_or(0);
                    if rec_size != (ZIP64_EOCD_LEN - 12) as u64 {
                        issues.push(issue(
                            ProblemKind::Zip64ExtensibleData,
                            None,
                            format!(
                                "the ZIP64 end record says it is {rec_size} bytes long (Exhibit writes {}): \
                                 an extensible data sector holds bytes no manifest covers",
                                ZIP64_EOCD_LEN - 12
                            ),
                        ));
                    }
                    let disks = [
                        u32_at(&r, 16),
                        u32_at(&r, 20),
                        u32_at(&tail, li + 4),
                        u32_at(&tail, li + 16).map(|n| n.saturating_sub(1)),
                    ];
                    if disks.iter().any(|d| d.unwrap_or(0) != 0) {
                        issues.push(issue(
                            ProblemKind::MultiDisk,
                            None,
                            "the ZIP64 end record or its locator claims several disks",
                        ));
                    }
                    let rec_end = (z64_pos + 12).saturating_add(rec_size);
                    if rec_end != eocd_pos - ZIP64_LOCATOR_LEN as u64 {
                        issues.push(issue(
                            ProblemKind::Gap,
                            None,
                            "bytes between the ZIP64 end record and its locator",
                        ));
                    }
                }
                _ => {
                    return Err(ZipReadError::NotZip(
                        "ZIP64 locator points to no ZIP64 end record".to_string(),
                    ));
                }
            }
        } else if entries == U16_SENTINEL || cd_size == U32_SENTINEL || cd_start == U32_SENTINEL {
            return Err(ZipReadError::NotZip(
                "end record needs ZIP64 but there is no ZIP64 locator".to_string(),
            ));
        }
        let cd_end = cd_start
            .checked_add(cd_size)
            .filter(|&end| end <= end_of_cd_region)
            .ok_or_else(|| {
                ZipReadError::NotZip(format!(
                    "central directory ({cd_size} bytes at {cd_start}) lies outside the file"
                ))
            })?;
        if cd_end != end_of_cd_region {
            issues.push(issue(
                ProblemKind::Gap,
                None,
                format!(
                    "{} bytes between the central directory and the end record",
                    end_of_cd_region - cd_end
                ),
            ));
        }
        // Each central header is at least 46 bytes: a larger count is a lie.
        if entries > cd_size / CENTRAL_HEADER_LEN as u64 {
            return Err(ZipReadError::NotZip(format!(
                "end record claims {entries} members but the central directory holds at most {}",
                cd_size / CENTRAL_HEADER_LEN as u64
            )));
        }
        let mut cd = CentralReader {
            window: Window::new(file),
            start: cd_start,
            len: cd_size,
        };
        // The end record's count is at most one per 46 bytes (checked
        // above); names take at most what the fixed headers leave.
        let mut members = MemberTable::with_capacity(
            entries as usize,
            cd_size.saturating_sub(entries * CENTRAL_HEADER_LEN as u64) as usize,
        );
        let mut at = 0u64;
        while at < cd_size {
            let Some(h) = cd.read(at, CENTRAL_HEADER_LEN)? else {
                issues.push(issue(
                    ProblemKind::CentralDirectoryCorrupt,
                    None,
                    if u32_at(&cd.read(at, 4)?.unwrap_or_default(), 0) == Some(CENTRAL_SIG) {
                        "truncated central header".to_string()
                    } else {
                        format!("no central header signature at offset {}", cd_start + at)
                    },
                ));
                break;
            };
            if u32_at(&h, 0) != Some(CENTRAL_SIG) {
                issues.push(issue(
                    ProblemKind::CentralDirectoryCorrupt,
                    None,
                    format!("no central header signature at offset {}", cd_start + at),
                ));
                break;
            }
            let h = h.as_slice();
            let flags = u16_at(h, 8).unwrap_or(0);
            let method = u16_at(h, 10).unwrap_or(0);
            let dos_time = u16_at(h, 12).unwrap_or(0);
            let dos_date = u16_at(h, 14).unwrap_or(0);
            let crc = u32_at(h, 16).unwrap_or(0);
            let mut csize = u32_at(h, 20).unwrap_or(0) as u64;
            let mut usize = u32_at(h, 24).unwrap_or(0) as u64;
            let n = u16_at(h, 28).unwrap_or(0) as usize;
            let m = u16_at(h, 30).unwrap_or(0) as usize;
            let k = u16_at(h, 32).unwrap_or(0) as usize;
            let disk_start = u16_at(h, 34).unwrap_or(0);
            let internal = u16_at(h, 36).unwrap_or(0);
            let external = u32_at(h, 38).unwrap_or(0);
            let made_by = u16_at(h, 4).unwrap_or(0);
            let mut local_offset = u32_at(h, 42).unwrap_or(0) as u64;
            let Some(var) = cd.read(at + CENTRAL_HEADER_LEN as u64, n)? else {
                issues.push(issue(
                    ProblemKind::CentralDirectoryCorrupt,
                    None,
                    "name runs past the central directory",
                ));
                break;
            };
            let name_raw = var.as_slice();
            if keep.is_some_and(|keep| !keep(name_raw)) {
                at += (CENTRAL_HEADER_LEN + n + m + k) as u64;
                continue;
            }
            let name = String::from_utf8_lossy(name_raw);
            if std::str::from_utf8(name_raw).is_err() {
                issues.push(issue(
                    ProblemKind::NameNotUtf8,
                    Some(&name),
                    "the name is not valid UTF-8 (Exhibit writes only UTF-8 names): \
                     readers decode it in different ways",
                ));
            }
            let extra_start = at + (CENTRAL_HEADER_LEN + n) as u64;
            let Some(extra) = cd.read(extra_start, m)? else {
                issues.push(issue(
                    ProblemKind::CentralDirectoryCorrupt,
                    Some(&name),
                    "extra field runs past the central directory",
                ));
                break;
            };
            let parsed = extra::parse(&extra, false);
            for (kind, detail) in parsed.findings {
                issues.push(issue(kind, Some(&name), detail));
            }
            let sentinels = [usize, csize, local_offset]
                .iter()
                .filter(|&&v| v == U32_SENTINEL)
                .count();
            match parsed.zip64 {
                Some(data) => {
                    let mut p = 0;
                    for field in [&mut usize, &mut csize, &mut local_offset] {
                        if *field == U32_SENTINEL {
                            match u64_at(data, p) {
                                Some(v) => *field = v,
                                None => issues.push(issue(
                                    ProblemKind::CentralDirectoryCorrupt,
                                    Some(&name),
                                    "ZIP64 extra field too short",
                                )),
                            }
                            p += 8;
                        }
                    }
                    if data.len() > 8 * sentinels {
                        issues.push(issue(
                            ProblemKind::ExtraFieldMalformed,
                            Some(&name),
                            format!(
                                "the central ZIP64 field holds {} bytes where the header needs {}",
                                data.len(),
                                8 * sentinels
                            ),
                        ));
                    }
                }
                None if sentinels > 0 => issues.push(issue(
                    ProblemKind::ExtraFieldMalformed,
                    Some(&name),
                    "the central header has ZIP64 sentinels but no ZIP64 field",
                )),
                None => {}
            }
            let mtime = parsed.timestamp.map(|t| t.mtime);
            if let Some(t) = mtime
                && dos_datetime(t) != (dos_time, dos_date)
            {
                issues.push(issue(
                    ProblemKind::TimestampMismatch,
                    Some(&name),
                    format!(
                        "the extended timestamp ({t}) and the DOS date/time of the central header disagree: \
                         extractors that use one show another time than those using the other"
                    ),
                ));
            }
            if k > 0 {
                issues.push(issue(
                    ProblemKind::ArchiveComment,
                    Some(&name),
                    format!(
                        "the central header carries a {k}-byte comment that no manifest covers"
                    ),
                ));
            }
            if disk_start != 0 {
                issues.push(issue(
                    ProblemKind::MultiDisk,
                    Some(&name),
                    format!("member claims to start on disk {disk_start}"),
                ));
            }
            let mut bits = 0;
            if parsed.timestamp.is_some() {
                bits |= HAS_TIMESTAMP;
            }
            if parsed.owner.is_some() {
                bits |= HAS_OWNER;
            }
            let (uid, gid) = parsed.owner.unwrap_or_default();
            let row = Row {
                csize,
                usize,
                local_offset,
                data_start: u64::MAX,
                mtime: mtime.unwrap_or_default(),
                crc,
                external,
                uid,
                gid,
                flags,
                method,
                made_by,
                internal,
                dos_time,
                dos_date,
                timestamp_flags: parsed.timestamp.map_or(0, |t| t.flags),
                bits,
                ..Row::default()
            };
            members.push(row, name_raw);
            // The comment is not read, only skipped (its length is an issue).
            at = extra_start + (m + k) as u64;
        }
        members.shrink();
        if keep.is_none() && members.len() as u64 != entries {
            issues.push(issue(
                ProblemKind::CentralDirectoryCorrupt,
                None,
                format!(
                    "end record says {entries} members, central directory holds {}",
                    members.len()
                ),
            ));
        }
        let mut index = CompactIndex {
            members,
            issues,
            file_size,
        };
        index.check_local_headers(file, cd_start)?;
        if keep.is_none() {
            index.check_layout(cd_start);
            index.check_names();
            index.check_members();
        }
        Ok(index)
    }

    /// Every member's local header against its central header, field by
    /// field (each comparison is a few lines; there are many fields).
    fn check_local_headers(&mut self, file: &File, cd_start: u64) -> io::Result<()> {
        // Walk the members in file order through one read window: a million
        // small members cost a few hundred reads instead of two million.
        let mut order: Vec<usize> = (0..self.members.len()).collect();
        order.sort_by_key(|&i| self.members.row(i).local_offset);
        let mut window = Window::new(file);
        for i in order {
            let name = self.members.name(i).into_owned();
            let m = *self.members.row(i);
            let fixed = if m.local_offset.saturating_add(LOCAL_HEADER_LEN as u64) <= cd_start {
                window.read(LOCAL_HEADER_LEN, m.local_offset).ok()
            } else {
                None
            };
            let Some(h) = fixed.filter(|h| u32_at(h, 0) == Some(LOCAL_SIG)) else {
                self.issues.push(issue(
                    ProblemKind::LocalHeaderMissing,
                    Some(&name),
                    format!("no local header at offset {}", m.local_offset),
                ));
                continue;
            };
            let flags = u16_at(&h, 6).unwrap_or(0);
            let method = u16_at(&h, 8).unwrap_or(0);
            let time = u16_at(&h, 10).unwrap_or(0);
            let date = u16_at(&h, 12).unwrap_or(0);
            let crc = u32_at(&h, 14).unwrap_or(0);
            let mut csize = u32_at(&h, 18).unwrap_or(0) as u64;
            let mut usize = u32_at(&h, 22).unwrap_or(0) as u64;
            let n = u16_at(&h, 26).unwrap_or(0) as u64;
            let e = u16_at(&h, 28).unwrap_or(0) as u64;
            let var_start = m.local_offset + LOCAL_HEADER_LEN as u64;
            if var_start + n + e > cd_start {
                self.issues.push(issue(
                    ProblemKind::LocalHeaderMismatch,
                    Some(&name),
                    "local header runs into the central directory",
                ));
                continue;
            }
            let var = window.read((n + e) as usize, var_start)?;
            let (lname, lextra) = var.split_at(n as usize);
            let mut problems = Vec::new();
            // Raw bytes: two different invalid names can decode to one text.
            if lname != self.members.name_bytes(i) {
                problems.push(format!(
                    "name `{}` differs from the central directory's",
                    String::from_utf8_lossy(lname)
                ));
            }
            if method != m.method {
                problems.push(format!(
                    "method {method} vs {} in the central directory",
                    m.method
                ));
            }
            if (flags ^ m.flags) & (FLAG_DATA_DESCRIPTOR | FLAG_UTF8 | 1) != 0 {
                problems.push(format!("flags {flags:#06x} vs {:#06x}", m.flags));
            }
            if (time, date) != (m.dos_time, m.dos_date) {
                problems.push(format!(
                    "DOS date/time {date:#06x} {time:#06x} vs {:#06x} {:#06x} in the central directory",
                    m.dos_date, m.dos_time
                ));
            }
            let descriptor = flags & FLAG_DATA_DESCRIPTOR != 0;
            let parsed = extra::parse(lextra, true);
            for (kind, detail) in parsed.findings {
                self.issues.push(issue(kind, Some(&name), detail));
            }
            let local_zip64 = parsed.zip64.is_some();
            let sentinel_sizes = csize == U32_SENTINEL && usize == U32_SENTINEL;
            match parsed.zip64 {
                Some(data) if data.len() == 16 && sentinel_sizes => {
                    usize = u64_at(data, 0).unwrap_or(0);
                    csize = u64_at(data, 8).unwrap_or(0);
                }
                Some(data) => self.issues.push(issue(
                    ProblemKind::ExtraFieldMalformed,
                    Some(&name),
                    format!(
                        "the local ZIP64 field holds {} bytes and the sizes are {csize}/{usize} \
                         (Exhibit writes 16 bytes behind two sentinels)",
                        data.len()
                    ),
                )),
                None if csize == U32_SENTINEL || usize == U32_SENTINEL => self.issues.push(issue(
                    ProblemKind::ExtraFieldMalformed,
                    Some(&name),
                    "the local header has ZIP64 sentinels but no ZIP64 field",
                )),
                None => {}
            }
            let local_ts = parsed.timestamp;
            let central_ts = (m.bits & HAS_TIMESTAMP != 0).then_some((m.mtime, m.timestamp_flags));
            if local_ts.map(|t| (t.mtime, t.flags)) != central_ts {
                let show = |t: Option<(i64, u8)>| {
                    t.map_or("none".to_string(), |(t, f)| format!("{t} (flags {f:#04x})"))
                };
                self.issues.push(issue(
                    ProblemKind::TimestampMismatch,
                    Some(&name),
                    format!(
                        "extended timestamp {} in the local header vs {} in the central directory",
                        show(local_ts.map(|t| (t.mtime, t.flags))),
                        show(central_ts),
                    ),
                ));
            }
            let owner = (m.bits & HAS_OWNER != 0).then_some((m.uid, m.gid));
            if parsed.owner != owner {
                problems.push(format!(
                    "Unix uid/gid {:?} vs {owner:?} in the central directory",
                    parsed.owner
                ));
            }
            let data_start = var_start + n + e;
            if descriptor {
                // Sizes and CRC live in the data descriptor after the data; the
                // local fields are zero, and a streaming reader must not find
                // other values there.
                if (crc != 0 && crc != m.crc)
                    || (csize != 0 && csize != m.csize)
                    || (usize != 0 && usize != m.usize)
                {
                    problems.push(format!(
                        "local CRC {crc:08x} and sizes {csize}/{usize} of a member with a data descriptor vs {:08x} and {}/{} in the central directory",
                        m.crc, m.csize, m.usize
                    ));
                }
                let dd_at = data_start.saturating_add(m.csize);
                let dd_len = if local_zip64 { 24 } else { 16 };
                match window.read(dd_len, dd_at) {
                    Ok(dd) if u32_at(&dd, 0) == Some(DATA_DESCRIPTOR_SIG) => {
                        let dcrc = u32_at(&dd, 4).unwrap_or(0);
                        let (dc, du) = if local_zip64 {
                            (u64_at(&dd, 8).unwrap_or(0), u64_at(&dd, 16).unwrap_or(0))
                        } else {
                            (
                                u32_at(&dd, 8).unwrap_or(0) as u64,
                                u32_at(&dd, 12).unwrap_or(0) as u64,
                            )
                        };
                        if dcrc != m.crc {
                            problems.push(format!(
                                "data descriptor CRC {dcrc:08x} vs {:08x} in the central directory",
                                m.crc
                            ));
                        }
                        if dc != m.csize || du != m.usize {
                            problems.push(format!(
                                "data descriptor sizes {dc}/{du} vs {}/{} in the central directory",
                                m.csize, m.usize
                            ));
                        }
                    }
                    _ => problems.push("data descriptor missing after the data".to_string()),
                }
            } else {
                if crc != m.crc {
                    problems.push(format!(
                        "local CRC {crc:08x} vs {:08x} in the central directory",
                        m.crc
                    ));
                }
                if csize != m.csize || usize != m.usize {
                    problems.push(format!(
                        "local sizes {csize}/{usize} vs {}/{} in the central directory",
                        m.csize, m.usize
                    ));
                }
            }
            for p in problems {
                self.issues
                    .push(issue(ProblemKind::LocalHeaderMismatch, Some(&name), p));
            }
            let row = self.members.row_mut(i);
            row.data_start = data_start;
            if local_zip64 {
                row.bits |= LOCAL_ZIP64;
            }
        }
        Ok(())
    }

    /// Lay every member's bytes (local header, name, extra, data, data
    /// descriptor) out by offset, from the headers alone, before anything is
    /// inflated: overlaps and unaccounted bytes are found here, and members
    /// that overlap are marked so that no one inflates them.
    fn check_layout(&mut self, cd_start: u64) {
        let mut spans: Vec<(u64, u64, usize)> = Vec::new();
        let mut into_cd = Vec::new();
        for i in 0..self.members.len() {
            let m = self.members.row(i);
            if m.data_start == u64::MAX {
                continue;
            }
            let ds = m.data_start;
            let mut end = ds.saturating_add(m.csize);
            if m.flags & FLAG_DATA_DESCRIPTOR != 0 {
                end = end.saturating_add(if m.bits & LOCAL_ZIP64 != 0 { 24 } else { 16 });
            }
            spans.push((m.local_offset, end, i));
            if ds.saturating_add(m.csize) > cd_start {
                into_cd.push(i);
                self.issues.push(issue(
                    ProblemKind::MemberOverlaps,
                    Some(&self.members.name(i)),
                    "member data runs into the central directory (truncated or forged sizes)",
                ));
            }
        }
        spans.sort_unstable();
        let mut cursor = 0u64;
        // The member whose bytes reach furthest so far.
        let mut owner: Option<usize> = None;
        let mut overlapping = into_cd;
        for &(start, end, i) in &spans {
            if start < cursor {
                let other = owner
                    .map(|p| self.members.name(p).into_owned())
                    .unwrap_or_default();
                self.issues.push(issue(
                    ProblemKind::MemberOverlaps,
                    Some(&self.members.name(i)),
                    format!("overlaps member `{other}`: its content is not inflated"),
                ));
                overlapping.push(i);
                overlapping.extend(owner);
            } else if start > cursor {
                self.issues.push(issue(
                    ProblemKind::Gap,
                    Some(&self.members.name(i)),
                    format!("{} unaccounted bytes before this member", start - cursor),
                ));
            }
            if end > cursor || owner.is_none() {
                cursor = cursor.max(end);
                owner = Some(i);
            }
        }
        for i in overlapping {
            self.members.row_mut(i).bits |= OVERLAPS;
        }
        if cursor < cd_start && !spans.is_empty() {
            self.issues.push(issue(
                ProblemKind::Gap,
                None,
                format!(
                    "{} unaccounted bytes before the central directory",
                    cd_start - cursor
                ),
            ));
        }
    }

    /// Names: duplicates, names extractors resolve to one path, names that
    /// escape the extraction directory or that readers decode differently.
    fn check_names(&mut self) {
        // A name seen before (by bytes): within each run of names of one
        // text (in member order), one whose bytes an earlier one has.
        let mut duplicate = vec![false; self.members.len()];
        let sorted = self.members.by_name();
        let t = &self.members;
        let mut start = 0;
        for k in 1..=sorted.len() {
            if k < sorted.len() && t.name(sorted[k] as usize) == t.name(sorted[start] as usize) {
                continue;
            }
            let run = &sorted[start..k];
            for (n, &b) in run.iter().enumerate() {
                let b = b as usize;
                if run[..n]
                    .iter()
                    .any(|&a| t.name_bytes(a as usize) == t.name_bytes(b))
                {
                    duplicate[b] = true;
                }
            }
            start = k;
        }
        for (i, dup) in duplicate.into_iter().enumerate() {
            let name = self.members.name(i);
            if dup {
                self.issues.push(issue(
                    ProblemKind::DuplicateMember,
                    Some(&name),
                    "name appears more than once",
                ));
            }
            if paths::is_noncanonical(&name) {
                self.issues.push(issue(
                    ProblemKind::NoncanonicalName,
                    Some(&name),
                    "the name has an empty or `.` component (Exhibit never writes one): \
                     extractors resolve it to another path",
                ));
            }
            if !name.is_ascii() && self.members.row(i).flags & FLAG_UTF8 == 0 {
                self.issues.push(issue(
                    ProblemKind::NameEncoding,
                    Some(&name),
                    "non-ASCII name without the UTF-8 flag: other readers decode it as CP437",
                ));
            }
            if let Some(why) = unsafe_name(&name) {
                self.issues
                    .push(issue(ProblemKind::UnsafeMemberName, Some(&name), why));
            }
        }
        let table = &self.members;
        let found = paths::collisions_by(table.len(), |i| table.name(i), |i| table.is_dir(i));
        let found: Vec<ZipIssue> = found
            .into_iter()
            .map(|(i, j, what)| {
                issue(
                    ProblemKind::NameCollision,
                    Some(&table.name(i)),
                    format!("{what} `{}` once extracted", table.name(j)),
                )
            })
            .collect();
        self.issues.extend(found);
    }

    /// What each member asks an extractor to create, and how.
    fn check_members(&mut self) {
        for i in 0..self.members.len() {
            let m = &self.members.member(i);
            // An extractor makes the directory and drops its data: hidden bytes.
            // (An empty deflate stream takes 2 bytes.)
            if m.is_dir()
                && (m.usize > 0 || m.csize > 2 || (m.csize > 0 && m.method == METHOD_STORED))
            {
                self.issues.push(issue(
                    ProblemKind::DirectoryWithData,
                    Some(&m.name),
                    format!(
                        "directory member holds {} bytes ({} uncompressed) that extraction drops",
                        m.csize, m.usize
                    ),
                ));
            }
            let found = attribute_issues(m);
            self.issues.extend(found);
            if m.method != METHOD_STORED && m.method != METHOD_DEFLATED {
                self.issues.push(issue(
                    ProblemKind::UnsupportedMethod,
                    Some(&m.name),
                    format!("compression method {}", m.method),
                ));
            }
            if m.flags & 1 != 0 {
                self.issues.push(issue(
                    ProblemKind::EncryptedMember,
                    Some(&m.name),
                    "member is encrypted",
                ));
            }
            // Bits 1-2 only describe the deflate level; 3 and 11 are understood.
            let unknown = m.flags & !(1 | 0b110 | FLAG_DATA_DESCRIPTOR | FLAG_UTF8);
            if unknown != 0 {
                self.issues.push(issue(
                    ProblemKind::UnsupportedFlags,
                    Some(&m.name),
                    format!(
                        "general-purpose flags {unknown:#06x} (patched data, strong encryption, \
                         masked headers…) are not ones Exhibit writes or reads"
                    ),
                ));
            }
            if m.method == METHOD_STORED && m.flags & FLAG_DATA_DESCRIPTOR != 0 {
                self.issues.push(issue(
                    ProblemKind::StoredWithDataDescriptor,
                    Some(&m.name),
                    "a stored member with a data descriptor (Exhibit never writes one): \
                     streaming extractors find its end by scanning for a signature \
                     that its content can forge",
                ));
            }
        }
    }
}

/// The file type an extractor recreates. 7-Zip reads a Unix mode in the
/// high half of the external attributes whatever the "made by" host, and
/// makes a directory of a member with the DOS directory bit.
fn attribute_issues(m: &Member) -> Vec<ZipIssue> {
    let mut out = Vec::new();
    let mode = m.external >> 16;
    let file_type = mode & 0o170_000;
    if file_type != 0 && file_type != 0o100_000 && !(file_type == 0o040_000 && m.is_dir()) {
        out.push(issue(
            ProblemKind::SpecialMember,
            Some(&m.name),
            format!(
                "Unix mode {mode:o} is not a regular file: extractors would not create a plain file",
            ),
        ));
    }
    let dos = m.external & 0xffff;
    if dos & 0x10 != 0 && !m.is_dir() {
        out.push(issue(
            ProblemKind::SpecialMember,
            Some(&m.name),
            "the DOS directory attribute is set on a file member: 7-Zip extracts it as a directory",
        ));
    }
    let mut odd = Vec::new();
    if m.made_by >> 8 != 3 {
        odd.push(format!("made by host {} rather than Unix", m.made_by >> 8));
    }
    if file_type == 0 && !m.is_dir() {
        odd.push("no Unix file type in the external attributes".to_string());
    }
    if dos & !0x10 != 0 {
        odd.push(format!("DOS attributes {:#06x}", dos & !0x10));
    }
    if m.internal != 0 {
        odd.push(format!("internal attributes {:#06x}", m.internal));
    }
    if !odd.is_empty() {
        out.push(issue(
            ProblemKind::MemberAttributes,
            Some(&m.name),
            format!("{} (Exhibit writes Unix attributes only)", odd.join(", ")),
        ));
    }
    out
}

/// Reads a byte range of a file with `pread`, so many readers share one `File`.
pub struct RangeReader<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl<'a> RangeReader<'a> {
    pub fn new(file: &'a File, start: u64, len: u64) -> Self {
        Self {
            file,
            pos: start,
            end: start.saturating_add(len),
        }
    }
}

impl Read for RangeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.end.saturating_sub(self.pos);
        if left == 0 {
            return Ok(0);
        }
        let want = buf.len().min(left as usize);
        let n = read_at(self.file, &mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive ends inside member data",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// The file's size, and its tail (the last end-of-central-directory record
/// could start anywhere in the last 64 KiB, with a ZIP64 locator before
/// it): where the tail starts, its bytes, and where in them the last
/// end-of-central-directory signature is.
fn read_tail(file: &File) -> Result<(u64, u64, Vec<u8>, usize), ZipReadError> {
    let file_size = file.metadata()?.len();
    if file_size < EOCD_LEN as u64 {
        return Err(ZipReadError::NotZip(format!("only {file_size} bytes")));
    }
    let tail_len = file_size.min((EOCD_LEN + 65535 + ZIP64_LOCATOR_LEN) as u64) as usize;
    let tail_start = file_size - tail_len as u64;
    let tail = read_exact_at(file, tail_len, tail_start)?;
    let eocd_rel = (0..=tail_len - EOCD_LEN)
        .rev()
        .find(|&i| u32_at(&tail, i) == Some(EOCD_SIG))
        .ok_or_else(|| ZipReadError::NotZip("no end-of-central-directory record".to_string()))?;
    Ok((file_size, tail_start, tail, eocd_rel))
}

/// A reader of a member's uncompressed content that accounts for every
/// compressed byte (see [`MemberReader`]). The caller checks CRC and size.
pub fn open_member<'a>(file: &'a File, m: &Member) -> io::Result<MemberReader<'a>> {
    let start = m.data_start.ok_or_else(|| {
        io::Error::other(format!("member has no usable local header: {}", m.name))
    })?;
    let raw = RangeReader::new(file, start, m.csize);
    match m.method {
        METHOD_STORED => Ok(MemberReader::stored(raw)),
        METHOD_DEFLATED => Ok(MemberReader::deflated(raw, m.csize)),
        other => Err(io::Error::other(format!(
            "unsupported compression method {other}: {}",
            m.name
        ))),
    }
}

/// A reader of a member's uncompressed content. The caller checks CRC and size.
pub fn member_reader<'a>(file: &'a File, m: &Member) -> io::Result<Box<dyn Read + Send + 'a>> {
    Ok(Box::new(open_member(file, m)?))
}

impl ZipIndex {
    /// The members whose names `wanted` picks, found by one pass over the
    /// central directory, each with its local header read (so that
    /// [`open_member`] reads it). None of the structure checks of
    /// [`ZipIndex::open`] run: this is for showing a few tag files early
    /// while the full index is built; whatever is shown from them must be
    /// taken back if [`ZipIndex::open`] then fails.
    pub fn find_members(
        file: &File,
        wanted: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<Member>, ZipReadError> {
        let (file_size, _, tail, eocd_rel) = read_tail(file)?;
        let e = tail.get(eocd_rel..).unwrap_or_default();
        let mut cd_size = u32_at(e, 12).unwrap_or(0) as u64;
        let mut cd_start = u32_at(e, 16).unwrap_or(0) as u64;
        let locator = eocd_rel
            .checked_sub(ZIP64_LOCATOR_LEN)
            .filter(|&i| u32_at(&tail, i) == Some(ZIP64_LOCATOR_SIG));
        if let Some(li) = locator {
            let z64_pos = u64_at(&tail, li + 8).unwrap_or(u64::MAX);
            let r = (z64_pos <= file_size.saturating_sub(ZIP64_EOCD_LEN as u64))
                .then(|| read_exact_at(file, ZIP64_EOCD_LEN, z64_pos).ok())
                .flatten()
                .filter(|r| u32_at(r, 0) == Some(ZIP64_EOCD_SIG))
                .ok_or_else(|| {
                    ZipReadError::NotZip("ZIP64 locator points to no ZIP64 end record".into())
                })?;
            cd_size = u64_at(&r, 40).unwrap_or(0);
            cd_start = u64_at(&r, 48).unwrap_or(0);
        }
        if cd_start
            .checked_add(cd_size)
            .is_none_or(|end| end > file_size)
        {
            return Err(ZipReadError::NotZip(format!(
                "central directory ({cd_size} bytes at {cd_start}) lies outside the file"
            )));
        }
        let cd = read_exact_at(file, cd_size as usize, cd_start)?;
        let mut found = Vec::new();
        let mut at = 0usize;
        while let Some(h) = cd.get(at..at + CENTRAL_HEADER_LEN) {
            if u32_at(h, 0) != Some(CENTRAL_SIG) {
                break;
            }
            let n = u16_at(h, 28).unwrap_or(0) as usize;
            let m = u16_at(h, 30).unwrap_or(0) as usize;
            let k = u16_at(h, 32).unwrap_or(0) as usize;
            let name_at = at + CENTRAL_HEADER_LEN;
            let Some(name) = cd
                .get(name_at..name_at + n)
                .and_then(|b| std::str::from_utf8(b).ok())
            else {
                at = name_at + n + m + k;
                continue;
            };
            if wanted(name) {
                let mut usize = u32_at(h, 24).unwrap_or(0) as u64;
                let mut csize = u32_at(h, 20).unwrap_or(0) as u64;
                let mut local_offset = u32_at(h, 42).unwrap_or(0) as u64;
                let extra = cd.get(name_at + n..name_at + n + m).unwrap_or_default();
                if let Some(data) = extra::parse(extra, false).zip64 {
                    let mut p = 0;
                    for field in [&mut usize, &mut csize, &mut local_offset] {
                        if *field == U32_SENTINEL {
                            *field = u64_at(data, p).unwrap_or(*field);
                            p += 8;
                        }
                    }
                }
                let local = read_exact_at(file, LOCAL_HEADER_LEN, local_offset).ok();
                let data_start = local.filter(|l| u32_at(l, 0) == Some(LOCAL_SIG)).map(|l| {
                    local_offset
                        + LOCAL_HEADER_LEN as u64
                        + u16_at(&l, 26).unwrap_or(0) as u64
                        + u16_at(&l, 28).unwrap_or(0) as u64
                });
                found.push(Member {
                    name: name.to_string(),
                    raw_name: None,
                    flags: u16_at(h, 8).unwrap_or(0),
                    method: u16_at(h, 10).unwrap_or(0),
                    crc: u32_at(h, 16).unwrap_or(0),
                    csize,
                    usize,
                    local_offset,
                    unix_mode: 0,
                    mtime: None,
                    owner: None,
                    timestamp_flags: None,
                    dos_datetime: (u16_at(h, 12).unwrap_or(0), u16_at(h, 14).unwrap_or(0)),
                    made_by: u16_at(h, 4).unwrap_or(0),
                    external: u32_at(h, 38).unwrap_or(0),
                    internal: u16_at(h, 36).unwrap_or(0),
                    data_start,
                    local_zip64: false,
                    overlaps: false,
                });
            }
            at = name_at + n + m + k;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::archive::zipwrite::{EntryMeta, ZipWriter};
    use std::io::Write;

    /// An archive of `(name, content)` members, stored, as the writer makes it.
    fn archive(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = ZipWriter::new(Vec::new());
        for (name, data) in members {
            let meta = EntryMeta {
                name: name.to_string(),
                mode: 0o644,
                owner: Some((0, 0)),
                ..EntryMeta::default()
            };
            w.add_whole(
                meta,
                METHOD_STORED,
                crc32fast::hash(data),
                data.len() as u64,
                data,
            )
            .unwrap();
        }
        w.finish().unwrap().0
    }

    #[test]
    fn find_members_reads_the_named_members_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.zip");
        std::fs::write(
            &path,
            archive(&[("S/a.txt", b"first"), ("S/b.txt", b"second"), ("S/c", b"")]),
        )
        .unwrap();
        let f = File::open(&path).unwrap();
        let found = ZipIndex::find_members(&f, &|n| n.ends_with("b.txt") || n == "S/c").unwrap();
        let names: Vec<&str> = found.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["S/b.txt", "S/c"]);
        let mut got = Vec::new();
        open_member(&f, &found[0])
            .unwrap()
            .read_to_end(&mut got)
            .unwrap();
        assert_eq!(got, b"second");
        // The same members as the full index finds.
        let full = ZipIndex::open(&f).unwrap();
        let b = full.members.iter().find(|m| m.name == "S/b.txt").unwrap();
        assert_eq!(
            (b.data_start, b.csize, b.usize, b.crc),
            (
                found[0].data_start,
                found[0].csize,
                found[0].usize,
                found[0].crc
            )
        );
        let junk = dir.path().join("junk");
        std::fs::write(&junk, [0u8; 100]).unwrap();
        assert!(ZipIndex::find_members(&File::open(&junk).unwrap(), &|_| true).is_err());
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        d.write_all(data).unwrap();
        d.finish().unwrap()
    }

    fn index_of(bytes: &[u8]) -> Result<ZipIndex, ZipReadError> {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        ZipIndex::open(&f)
    }

    fn kinds(ix: &ZipIndex) -> Vec<&'static str> {
        ix.issues.iter().map(|i| i.kind.as_str()).collect()
    }

    /// Put a ZIP64 end record (entries on disk, entries total, record size)
    /// and its locator before the end record of a plain archive.
    fn with_zip64(zip: &[u8], on_disk: u64, total: u64, rec_size: u64) -> Vec<u8> {
        let eocd = zip.len() - EOCD_LEN;
        let cd_size = u32_at(zip, eocd + 12).unwrap() as u64;
        let cd_start = u32_at(zip, eocd + 16).unwrap() as u64;
        let mut out = zip[..eocd].to_vec();
        let z64 = out.len() as u64;
        out.put_u32(ZIP64_EOCD_SIG);
        out.put_u64(rec_size);
        out.put_u16(VERSION_MADE_BY);
        out.put_u16(VERSION_NEEDED_ZIP64);
        out.put_u32(0);
        out.put_u32(0);
        out.put_u64(on_disk);
        out.put_u64(total);
        out.put_u64(cd_size);
        out.put_u64(cd_start);
        out.put_u32(ZIP64_LOCATOR_SIG);
        out.put_u32(0);
        out.put_u64(z64);
        out.put_u32(1);
        out.extend_from_slice(&zip[eocd..]);
        out
    }

    #[test]
    fn plain_archive_has_no_issues() {
        let ix = index_of(&archive(&[("b/data/x", b"hello")])).unwrap();
        assert!(ix.issues.is_empty(), "{:?}", ix.issues);
        let ix = index_of(&with_zip64(&archive(&[("b/data/x", b"hello")]), 1, 1, 44)).unwrap();
        assert!(ix.issues.is_empty(), "{:?}", ix.issues);
    }

    #[test]
    fn zip64_record_size_near_u64_max_does_not_overflow() {
        let zip = with_zip64(&archive(&[("b/data/x", b"hello")]), 1, 1, u64::MAX - 4);
        let ix = index_of(&zip).expect("the central directory is still readable");
        assert!(kinds(&ix).contains(&"gap"), "{:?}", ix.issues);
    }

    #[test]
    fn zip64_counts_that_disagree_are_an_issue() {
        let plain = archive(&[("b/data/x", b"hello")]);
        // The ZIP64 record's two counts disagree.
        let ix = index_of(&with_zip64(&plain, 2, 1, 44)).unwrap();
        assert!(
            kinds(&ix).contains(&"zip64_inconsistent"),
            "{:?}",
            ix.issues
        );
        // The 16-bit count of the end record (not a sentinel) disagrees with
        // the ZIP64 record: readers without ZIP64 see another archive.
        let mut zip = with_zip64(&plain, 1, 1, 44);
        let eocd = zip.len() - EOCD_LEN;
        zip[eocd + 8..eocd + 12].copy_from_slice(&[2, 0, 2, 0]);
        let ix = index_of(&zip).unwrap();
        assert!(
            kinds(&ix).contains(&"zip64_inconsistent"),
            "{:?}",
            ix.issues
        );
        // So does its central directory offset.
        let mut zip = with_zip64(&plain, 1, 1, 44);
        let eocd = zip.len() - EOCD_LEN;
        zip[eocd + 16] ^= 1;
        let ix = index_of(&zip).unwrap();
        assert!(
            kinds(&ix).contains(&"zip64_inconsistent"),
            "{:?}",
            ix.issues
        );
    }

    #[test]
    fn directory_member_with_data_is_an_issue() {
        // Extractors create the directory and drop its data: hidden bytes.
        let ix = index_of(&archive(&[("b/data/x/", b"hidden payload")])).unwrap();
        assert!(
            kinds(&ix).contains(&"directory_with_data"),
            "{:?}",
            ix.issues
        );
        let ix = index_of(&archive(&[("b/data/x/", b"")])).unwrap();
        assert!(ix.issues.is_empty(), "{:?}", ix.issues);
    }

    #[test]
    fn end_record_comment_is_an_issue() {
        // A comment is covered by the end record's own length, so it is not
        // trailing data, but it holds bytes no manifest lists.
        let mut zip = archive(&[("b/data/x", b"hello")]);
        let hidden = b"exfiltrated secrets";
        let len = zip.len();
        zip[len - 2..].copy_from_slice(&(hidden.len() as u16).to_le_bytes());
        zip.extend_from_slice(hidden);
        let ix = index_of(&zip).unwrap();
        assert!(kinds(&ix).contains(&"archive_comment"), "{:?}", ix.issues);
    }

    #[test]
    fn member_comment_is_an_issue() {
        // A central header's file comment holds bytes no manifest covers.
        let zip = archive(&[("b/data/x", b"hello")]);
        let eocd = zip.len() - EOCD_LEN;
        let cd_size = u32_at(&zip, eocd + 12).unwrap() as usize;
        let cd_start = u32_at(&zip, eocd + 16).unwrap() as usize;
        let hidden = b"exfiltrated secrets";
        let mut out = zip[..cd_start + cd_size].to_vec();
        out[cd_start + 32..cd_start + 34].copy_from_slice(&(hidden.len() as u16).to_le_bytes());
        out.extend_from_slice(hidden);
        out.extend_from_slice(&zip[eocd..]);
        let at = out.len() - EOCD_LEN + 12;
        out[at..at + 4].copy_from_slice(&((cd_size + hidden.len()) as u32).to_le_bytes());
        let ix = index_of(&out).unwrap();
        assert!(kinds(&ix).contains(&"archive_comment"), "{:?}", ix.issues);
    }

    #[test]
    fn streamed_member_with_forged_local_crc_or_sizes_is_an_issue() {
        // With a data descriptor the local CRC and sizes are zero; readers
        // that stream the local headers may trust non-zero ones instead.
        for (at, large) in [(14, false), (18, false), (22, false), (14, true)] {
            let mut w = ZipWriter::new(Vec::new());
            let meta = EntryMeta {
                name: "b/data/big".into(),
                mode: 0o644,
                ..EntryMeta::default()
            };
            // Deflated: Exhibit never streams a stored member.
            w.begin_stream(meta, METHOD_DEFLATED, large).unwrap();
            w.stream_data(&deflate(b"streamed content")).unwrap();
            w.end_stream(crc32fast::hash(b"streamed content"), 16)
                .unwrap();
            let mut zip = w.finish().unwrap().0;
            let ix = index_of(&zip).unwrap();
            assert!(ix.issues.is_empty(), "{:?}", ix.issues);
            zip[at] ^= 0x5a;
            let ix = index_of(&zip).unwrap();
            assert!(
                kinds(&ix).contains(&"local_header_mismatch"),
                "byte {at}, zip64 {large}: {:?}",
                ix.issues
            );
        }
    }

    #[test]
    fn non_ascii_name_without_utf8_flag_is_an_issue() {
        // Without the flag other readers decode the name as CP437: they see
        // another name than the manifest lists.
        let mut zip = archive(&[("b/data/caf\u{e9}", b"x")]);
        let ix = index_of(&zip).unwrap();
        assert!(ix.issues.is_empty(), "{:?}", ix.issues);
        let eocd = zip.len() - EOCD_LEN;
        let cd_start = u32_at(&zip, eocd + 16).unwrap() as usize;
        for flags_at in [6, cd_start + 8] {
            let f = u16_at(&zip, flags_at).unwrap() & !FLAG_UTF8;
            zip[flags_at..flags_at + 2].copy_from_slice(&f.to_le_bytes());
        }
        let ix = index_of(&zip).unwrap();
        assert!(kinds(&ix).contains(&"name_encoding"), "{:?}", ix.issues);
    }

    #[test]
    fn symlink_member_is_an_issue() {
        // Info-ZIP and others extract a member whose Unix mode says "symlink"
        // as a link to its content: an archive can plant a link to anywhere.
        let mut zip = archive(&[("b/data/x", b"/etc")]);
        let eocd = zip.len() - EOCD_LEN;
        let cd_start = u32_at(&zip, eocd + 16).unwrap() as usize;
        zip[cd_start + 38..cd_start + 42].copy_from_slice(&(0o120_777u32 << 16).to_le_bytes());
        let ix = index_of(&zip).unwrap();
        assert!(kinds(&ix).contains(&"special_member"), "{:?}", ix.issues);
    }

    /// The central header of the first member.
    fn central_start(zip: &[u8]) -> usize {
        u32_at(zip, zip.len() - EOCD_LEN + 16).unwrap() as usize
    }

    /// An archive of one deflated member whose compressed data is `data`.
    fn deflated(content: &[u8], data: &[u8]) -> Vec<u8> {
        let mut w = ZipWriter::new(Vec::new());
        let meta = EntryMeta {
            name: "b/data/x".into(),
            mode: 0o644,
            ..EntryMeta::default()
        };
        w.add_whole(
            meta,
            METHOD_DEFLATED,
            crc32fast::hash(content),
            content.len() as u64,
            data,
        )
        .unwrap();
        w.finish().unwrap().0
    }

    fn read_member(zip: &[u8]) -> (io::Result<Vec<u8>>, u64) {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(zip).unwrap();
        let ix = ZipIndex::open(&f).unwrap();
        let mut r = open_member(&f, &ix.members[0]).unwrap();
        let mut out = Vec::new();
        let res = r.read_to_end(&mut out).map(|_| out);
        (res, r.unread_compressed())
    }

    #[test]
    fn bytes_after_the_deflate_stream_are_counted() {
        let content = b"evidence ".repeat(100);
        let mut data = deflate(&content);
        let (got, unread) = read_member(&deflated(&content, &data));
        assert_eq!((got.unwrap(), unread), (content.clone(), 0));
        data.extend_from_slice(b"hidden!");
        let (got, unread) = read_member(&deflated(&content, &data));
        assert_eq!((got.unwrap(), unread), (content.clone(), 7));
        // A stream cut before its final block is an error, not a short file.
        let data = deflate(&content);
        let (got, _) = read_member(&deflated(&content, &data[..data.len() - 3]));
        assert!(got.is_err());
    }

    #[test]
    fn overlapping_members_are_marked_before_inflation() {
        // A second central entry pointing at the first member's local header.
        let zip = archive(&[("b/data/x", b"hello")]);
        let cd = central_start(&zip);
        let eocd = zip.len() - EOCD_LEN;
        let mut entry = zip[cd..eocd].to_vec();
        let name_at = CENTRAL_HEADER_LEN + "b/data/".len();
        entry[name_at] = b'y';
        let mut out = zip[..eocd].to_vec();
        out.extend_from_slice(&entry);
        let mut end = zip[eocd..].to_vec();
        end[8..12].copy_from_slice(&[2, 0, 2, 0]);
        end[12..16].copy_from_slice(&((2 * entry.len()) as u32).to_le_bytes());
        out.extend_from_slice(&end);
        let ix = index_of(&out).unwrap();
        assert!(ix.members.iter().all(|m| m.overlaps), "{:?}", ix.members);
        assert!(kinds(&ix).contains(&"member_overlaps"), "{:?}", ix.issues);
        let ix = index_of(&zip).unwrap();
        assert!(!ix.members[0].overlaps);
    }

    #[test]
    fn stored_member_with_data_descriptor_is_an_issue() {
        let mut w = ZipWriter::new(Vec::new());
        let meta = EntryMeta {
            name: "b/data/x".into(),
            mode: 0o644,
            ..EntryMeta::default()
        };
        w.begin_stream(meta, METHOD_STORED, false).unwrap();
        w.stream_data(b"content").unwrap();
        w.end_stream(crc32fast::hash(b"content"), 7).unwrap();
        let ix = index_of(&w.finish().unwrap().0).unwrap();
        assert_eq!(
            kinds(&ix),
            ["stored_with_data_descriptor"],
            "{:?}",
            ix.issues
        );
    }

    #[test]
    fn zip64_extensible_data_sector_is_an_issue() {
        let plain = archive(&[("b/data/x", b"hello")]);
        let hidden = b"hidden in the extensible data sector";
        let mut zip = with_zip64(&plain, 1, 1, 44 + hidden.len() as u64);
        // Put the sector's bytes between the record and its locator.
        let loc = zip.len() - EOCD_LEN - ZIP64_LOCATOR_LEN;
        zip.splice(loc..loc, hidden.iter().copied());
        let ix = index_of(&zip).unwrap();
        assert_eq!(kinds(&ix), ["zip64_extensible_data"], "{:?}", ix.issues);
    }

    #[test]
    fn attributes_and_flags_exhibit_never_writes_are_issues() {
        let zip = archive(&[("b/data/x", b"hello")]);
        let cd = central_start(&zip);
        // (offset in the central header, bytes, expected kinds)
        let cases: [(usize, Vec<u8>, &[&str]); 5] = [
            (38, vec![0x10], &["special_member"]),
            (38, vec![0x01], &["member_attributes"]),
            (36, vec![1, 0], &["member_attributes"]),
            (5, vec![0], &["member_attributes"]),
            (9, vec![0x20], &["unsupported_flags"]),
        ];
        for (at, bytes, want) in cases {
            let mut z = zip.clone();
            z[cd + at..cd + at + bytes.len()].copy_from_slice(&bytes);
            let ix = index_of(&z).unwrap();
            let mut got = kinds(&ix);
            got.retain(|k| *k != "local_header_mismatch");
            assert_eq!(got, want, "offset {at}: {:?}", ix.issues);
        }
    }

    #[test]
    fn a_member_without_an_owner_has_no_uid_gid_field_and_no_issue() {
        let mut w = ZipWriter::new(Vec::new());
        for owner in [Some((1000, 100)), None] {
            let meta = EntryMeta {
                name: format!("b/data/{}", owner.is_some()),
                mode: 0o644,
                owner,
                ..EntryMeta::default()
            };
            w.add_whole(meta, METHOD_STORED, crc32fast::hash(b"x"), 1, b"x")
                .unwrap();
        }
        let zip = w.finish().unwrap().0;
        let ix = index_of(&zip).unwrap();
        assert!(ix.issues.is_empty(), "{:?}", ix.issues);
        let owners: Vec<_> = ix.members.iter().map(|m| m.owner).collect();
        assert_eq!(owners, [Some((1000, 100)), None]);
    }

    #[test]
    fn forged_timestamp_and_unknown_extra_are_issues() {
        let zip = archive(&[("b/data/x", b"hello")]);
        let cd = central_start(&zip);
        // The central extended timestamp's mtime (after the 8-byte name,
        // the 4-byte field header and the flags byte).
        let at = cd + CENTRAL_HEADER_LEN + 8 + 4 + 1;
        let mut z = zip.clone();
        z[at + 3] ^= 0x60; // 1970 becomes 2021: the DOS time disagrees too

        let ix = index_of(&z).unwrap();
        assert_eq!(
            kinds(&ix),
            ["timestamp_mismatch", "timestamp_mismatch"],
            "{:?}",
            ix.issues
        );
        // Rename the uid/gid field of the local header (after the 9-byte
        // timestamp field): an unknown field, and the owner no longer agrees.
        let at = LOCAL_HEADER_LEN + 8 + 4 + 9;
        let mut z = zip.clone();
        z[at] = 0xfe;
        let ix = index_of(&z).unwrap();
        let got = kinds(&ix);
        assert!(got.contains(&"unknown_extra_field"), "{:?}", ix.issues);
    }
}
