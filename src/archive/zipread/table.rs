//! The members of an archive, kept compact: one fixed-size row per member
//! and every name in one buffer, about 80 bytes plus the name each instead
//! of a [`Member`] with its own allocations. [`super::CompactIndex`] reads
//! an archive into it; [`super::ZipIndex`] expands it into `Member`s.

use super::Member;
use std::borrow::Cow;
use std::sync::OnceLock;

/// One member's fields (see [`Member`] for their meaning).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Row {
    pub name_at: u64,
    pub csize: u64,
    pub usize: u64,
    pub local_offset: u64,
    /// `u64::MAX`: no usable local header.
    pub data_start: u64,
    pub mtime: i64,
    pub crc: u32,
    pub external: u32,
    pub uid: u32,
    pub gid: u32,
    pub name_len: u16,
    pub flags: u16,
    pub method: u16,
    pub made_by: u16,
    pub internal: u16,
    pub dos_time: u16,
    pub dos_date: u16,
    pub timestamp_flags: u8,
    pub bits: u8,
}

/// `mtime` and `timestamp_flags` hold the extended timestamp.
pub(super) const HAS_TIMESTAMP: u8 = 1;
/// `uid` and `gid` hold the Unix extra field's ids.
pub(super) const HAS_OWNER: u8 = 2;
pub(super) const LOCAL_ZIP64: u8 = 4;
pub(super) const OVERLAPS: u8 = 8;
/// The name is not valid UTF-8.
pub(super) const RAW_NAME: u8 = 16;

/// The members of an archive in central-directory order.
#[derive(Default)]
pub struct MemberTable {
    names: Vec<u8>,
    rows: Vec<Row>,
    /// Member numbers sorted by name text (ties in member order), made on
    /// first use.
    by_name: OnceLock<Vec<u32>>,
}

impl std::fmt::Debug for MemberTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MemberTable({} members)", self.rows.len())
    }
}

impl MemberTable {
    /// Room for `rows` members and `names` bytes of names (no growth by
    /// doubling while the central directory is read).
    pub(super) fn with_capacity(rows: usize, names: usize) -> Self {
        Self {
            names: Vec::with_capacity(names),
            rows: Vec::with_capacity(rows),
            by_name: OnceLock::new(),
        }
    }

    pub(super) fn push(&mut self, mut row: Row, name: &[u8]) {
        row.name_at = self.names.len() as u64;
        row.name_len = name.len() as u16;
        if std::str::from_utf8(name).is_err() {
            row.bits |= RAW_NAME;
        }
        self.names.extend_from_slice(name);
        self.rows.push(row);
    }

    pub(super) fn row(&self, i: usize) -> &Row {
        &self.rows[i]
    }

    pub(super) fn row_mut(&mut self, i: usize) -> &mut Row {
        &mut self.rows[i]
    }

    pub(super) fn shrink(&mut self) {
        self.names.shrink_to_fit();
        self.rows.shrink_to_fit();
    }

    /// How many members.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The exact bytes of member `i`'s name.
    pub fn name_bytes(&self, i: usize) -> &[u8] {
        let r = &self.rows[i];
        let at = r.name_at as usize;
        &self.names[at..at + r.name_len as usize]
    }

    /// Member `i`'s name as text (lossy for a name that is not UTF-8).
    pub fn name(&self, i: usize) -> Cow<'_, str> {
        String::from_utf8_lossy(self.name_bytes(i))
    }

    /// A directory member (name ending in `/`).
    pub fn is_dir(&self, i: usize) -> bool {
        self.name_bytes(i).ends_with(b"/")
    }

    /// Its bytes overlap another member's: never to be inflated.
    pub fn overlaps(&self, i: usize) -> bool {
        self.rows[i].bits & OVERLAPS != 0
    }

    /// Uncompressed size.
    pub fn usize(&self, i: usize) -> u64 {
        self.rows[i].usize
    }

    /// Compressed size.
    pub fn csize(&self, i: usize) -> u64 {
        self.rows[i].csize
    }

    /// Member `i` as a [`Member`].
    pub fn member(&self, i: usize) -> Member {
        let r = &self.rows[i];
        let bytes = self.name_bytes(i);
        let (name, raw_name) = match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_string(), None),
            Err(_) => (
                String::from_utf8_lossy(bytes).into_owned(),
                Some(bytes.to_vec().into_boxed_slice()),
            ),
        };
        let ts = r.bits & HAS_TIMESTAMP != 0;
        Member {
            name,
            raw_name,
            flags: r.flags,
            method: r.method,
            crc: r.crc,
            csize: r.csize,
            usize: r.usize,
            local_offset: r.local_offset,
            unix_mode: if r.made_by >> 8 == 3 {
                r.external >> 16
            } else {
                0
            },
            mtime: ts.then_some(r.mtime),
            owner: (r.bits & HAS_OWNER != 0).then_some((r.uid, r.gid)),
            timestamp_flags: ts.then_some(r.timestamp_flags),
            dos_datetime: (r.dos_time, r.dos_date),
            made_by: r.made_by,
            external: r.external,
            internal: r.internal,
            data_start: (r.data_start != u64::MAX).then_some(r.data_start),
            local_zip64: r.bits & LOCAL_ZIP64 != 0,
            overlaps: r.bits & OVERLAPS != 0,
        }
    }

    /// Every member as a [`Member`].
    pub fn members(&self) -> Vec<Member> {
        (0..self.len()).map(|i| self.member(i)).collect()
    }

    /// The name as the lookups compare it: its text (lossy for a name
    /// that is not UTF-8, as [`Member::name`] holds it), as bytes.
    fn key(&self, i: usize) -> Cow<'_, [u8]> {
        if self.rows[i].bits & RAW_NAME == 0 {
            Cow::Borrowed(self.name_bytes(i))
        } else {
            Cow::Owned(self.name(i).into_owned().into_bytes())
        }
    }

    /// Member numbers sorted by name text (ties in member order).
    pub(super) fn by_name(&self) -> &[u32] {
        self.by_name.get_or_init(|| {
            let mut v: Vec<u32> = (0..self.rows.len() as u32).collect();
            v.sort_by(|&a, &b| self.key(a as usize).cmp(&self.key(b as usize)));
            v
        })
    }

    /// The first member whose name reads `name` (a name that is not UTF-8
    /// is found by its lossy text, as a [`Member::name`] comparison finds
    /// it).
    pub fn find(&self, name: &str) -> Option<usize> {
        self.named(name).first().map(|&i| i as usize)
    }

    /// Every member whose name reads `name`, in member order (more than
    /// one is a `duplicate_member`, or names that differ only in bytes
    /// that are not UTF-8).
    pub fn named(&self, name: &str) -> &[u32] {
        let name = name.as_bytes();
        let sorted = self.by_name();
        let from = sorted.partition_point(|&i| self.key(i as usize).as_ref() < name);
        let to = sorted.partition_point(|&i| self.key(i as usize).as_ref() <= name);
        &sorted[from..to.max(from)]
    }

    /// Member numbers in the order of their names' text (ties in member
    /// order).
    pub fn in_name_order(&self) -> &[u32] {
        self.by_name()
    }

    /// Each name once, in name order, with the first member (in member
    /// order) that has it.
    pub fn distinct_names(&self) -> impl Iterator<Item = (usize, Cow<'_, str>)> + '_ {
        let mut last: Option<Cow<'_, str>> = None;
        self.in_name_order().iter().filter_map(move |&i| {
            let i = i as usize;
            let name = self.name(i);
            if last.as_ref() == Some(&name) {
                return None;
            }
            last = Some(name.clone());
            Some((i, name))
        })
    }
}
