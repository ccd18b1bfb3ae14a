//! Temporary storage for what a long job must keep but memory need not
//! hold, and the external sort built on it.
//!
//! A capture of millions of entries cannot keep a record per entry in
//! memory: the records are written to a [`Spill`] as they are produced and
//! read back once, in order ([`Sorter`]: sorted runs merged). A spill is a
//! file with no name (`O_TMPFILE` on Linux; created owner-only and
//! unlinked at once on other Unixes; deleted when closed on Windows, see
//! [`crate::platform::files::spill_file`]) in a directory the caller
//! chooses (capture: the `.partial`'s own), so nothing is left behind when
//! the process dies; encrypted to a key that lives only in
//! this process when the archive itself is encrypted (no plaintext byte of
//! it may reach the disk); or memory, when nothing may be written to disk
//! at all (a capture streamed to another machine).
//!
//! Every spill is written once, front to back, then read once, front to
//! back.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where spilled data goes.
#[derive(Clone)]
pub struct Spill {
    backing: Backing,
}

#[derive(Clone)]
enum Backing {
    Memory,
    Disk {
        dir: PathBuf,
        /// Encrypts every spill file to this key (it never leaves memory).
        key: Option<Arc<age::x25519::Identity>>,
    },
}

impl std::fmt::Debug for Spill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.backing {
            Backing::Memory => f.write_str("Spill(memory)"),
            Backing::Disk { dir, key } => write!(
                f,
                "Spill({}{})",
                dir.display(),
                if key.is_some() { ", encrypted" } else { "" }
            ),
        }
    }
}

const BUF: usize = 1 << 16;

impl Spill {
    /// Keep everything in memory (serialized, compact, but not bounded).
    pub fn memory() -> Self {
        Self {
            backing: Backing::Memory,
        }
    }

    /// Unnamed files in `dir`.
    pub fn disk(dir: &Path) -> Self {
        Self {
            backing: Backing::Disk {
                dir: dir.to_path_buf(),
                key: None,
            },
        }
    }

    /// Unnamed files in `dir`, each age-encrypted to a key generated now
    /// and held only in memory: what is spilled cannot be read back by
    /// anyone once this process is gone.
    pub fn encrypted(dir: &Path) -> Self {
        Self {
            backing: Backing::Disk {
                dir: dir.to_path_buf(),
                key: Some(Arc::new(age::x25519::Identity::generate())),
            },
        }
    }

    /// True when nothing goes to disk.
    pub fn in_memory(&self) -> bool {
        matches!(self.backing, Backing::Memory)
    }

    /// A new spill to write.
    pub fn writer(&self) -> io::Result<SpillWriter> {
        let out = match &self.backing {
            Backing::Memory => Out::Memory(Vec::new()),
            Backing::Disk { dir, key } => {
                let file = crate::platform::files::spill_file(dir)?;
                let file = BufWriter::with_capacity(BUF, file);
                match key {
                    None => Out::File(file),
                    Some(key) => {
                        let recipient = key.to_public();
                        let enc = age::Encryptor::with_recipients(std::iter::once(
                            &recipient as &dyn age::Recipient,
                        ))
                        .map_err(io::Error::other)?;
                        Out::Age(enc.wrap_output(file)?, key.clone())
                    }
                }
            }
        };
        Ok(SpillWriter { out, len: 0 })
    }
}

enum Out {
    Memory(Vec<u8>),
    File(BufWriter<File>),
    Age(
        age::stream::StreamWriter<BufWriter<File>>,
        Arc<age::x25519::Identity>,
    ),
}

/// A spill being written.
pub struct SpillWriter {
    out: Out,
    len: u64,
}

impl Write for SpillWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.out {
            Out::Memory(v) => {
                v.extend_from_slice(buf);
                buf.len()
            }
            Out::File(f) => f.write(buf)?,
            Out::Age(w, _) => w.write(buf)?,
        };
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            Out::Memory(_) => Ok(()),
            Out::File(f) => f.flush(),
            Out::Age(w, _) => w.flush(),
        }
    }
}

impl SpillWriter {
    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Finish writing: what was written, ready to be read back.
    pub fn finish(self) -> io::Result<Spilled> {
        let src = match self.out {
            Out::Memory(v) => Src::Memory(v),
            Out::File(f) => Src::File(f.into_inner().map_err(|e| e.into_error())?),
            Out::Age(w, key) => {
                let f = w.finish()?;
                Src::Age(f.into_inner().map_err(|e| e.into_error())?, key)
            }
        };
        Ok(Spilled { src, len: self.len })
    }
}

enum Src {
    Memory(Vec<u8>),
    File(File),
    Age(File, Arc<age::x25519::Identity>),
}

/// A finished spill.
pub struct Spilled {
    src: Src,
    len: u64,
}

impl std::fmt::Debug for Spilled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Spilled({} bytes)", self.len)
    }
}

impl Spilled {
    /// Bytes written (before any encryption).
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Read it back from the start, once.
    pub fn reader(self) -> io::Result<Box<dyn Read + Send>> {
        Ok(match self.src {
            Src::Memory(v) => Box::new(io::Cursor::new(v)),
            Src::File(mut f) => {
                f.rewind()?;
                Box::new(BufReader::with_capacity(BUF, f).take(self.len))
            }
            Src::Age(mut f, key) => {
                f.rewind()?;
                let dec = age::Decryptor::new_buffered(BufReader::with_capacity(BUF, f))
                    .map_err(io::Error::other)?;
                let r = dec
                    .decrypt(std::iter::once(key.as_ref() as &dyn age::Identity))
                    .map_err(io::Error::other)?;
                Box::new(BufReader::with_capacity(BUF, r))
            }
        })
    }
}

/// Write `bytes` with its length (u32, little-endian) in front.
pub fn put_bytes(w: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    let len = u32::try_from(bytes.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "spilled item over 4 GiB"))?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(bytes)
}

/// Read what [`put_bytes`] wrote into `out` (cleared first); `false` at a
/// clean end of the stream.
pub fn get_bytes(r: &mut impl Read, out: &mut Vec<u8>) -> io::Result<bool> {
    let mut len = [0u8; 4];
    match r.read(&mut len[..1])? {
        0 => return Ok(false),
        _ => r.read_exact(&mut len[1..])?,
    }
    let len = u32::from_le_bytes(len) as usize;
    out.clear();
    out.resize(len, 0);
    r.read_exact(out)?;
    Ok(true)
}

/// How many runs one merge reads at once.
const FAN_IN: usize = 64;

/// An external sort of (key, value) byte strings by key: items are kept in
/// memory until they hold `limit` bytes, then sorted and written to the
/// spill as one run; [`Sorter::finish`] merges the runs. Items with equal
/// keys come out in the order they were pushed. Memory: `limit` plus 16
/// bytes per item of the current run, and one buffer per run merged.
pub struct Sorter {
    spill: Spill,
    limit: usize,
    arena: Vec<u8>,
    /// (start in the arena, key length, value length).
    items: Vec<(usize, u32, u32)>,
    runs: Vec<Spilled>,
    count: u64,
}

impl Sorter {
    /// A sorter spilling to `spill` every `limit` bytes (never, in memory).
    pub fn new(spill: Spill, limit: usize) -> Self {
        let limit = if spill.in_memory() {
            usize::MAX
        } else {
            limit.max(1)
        };
        Self {
            spill,
            limit,
            arena: Vec::new(),
            items: Vec::new(),
            runs: Vec::new(),
            count: 0,
        }
    }

    /// Items pushed so far.
    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn push(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        let (Ok(k), Ok(v)) = (u32::try_from(key.len()), u32::try_from(value.len())) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "sort item over 4 GiB",
            ));
        };
        self.items.push((self.arena.len(), k, v));
        self.arena.extend_from_slice(key);
        self.arena.extend_from_slice(value);
        self.count += 1;
        if self.arena.len() >= self.limit {
            self.spill_run()?;
        }
        Ok(())
    }

    fn sort_items(&mut self) {
        let arena = &self.arena;
        let key = |&(at, k, _): &(usize, u32, u32)| &arena[at..at + k as usize];
        // Stable: equal keys keep their order.
        self.items.sort_by(|a, b| key(a).cmp(key(b)));
    }

    fn spill_run(&mut self) -> io::Result<()> {
        if self.items.is_empty() {
            return Ok(());
        }
        self.sort_items();
        let mut w = self.spill.writer()?;
        for &(at, k, v) in &self.items {
            let (k, v) = (k as usize, v as usize);
            put_bytes(&mut w, &self.arena[at..at + k])?;
            put_bytes(&mut w, &self.arena[at + k..at + k + v])?;
        }
        self.runs.push(w.finish()?);
        // Bounded open files: the oldest runs are merged into one.
        if self.runs.len() >= 2 * FAN_IN {
            self.runs = merge_oldest(&self.spill, std::mem::take(&mut self.runs))?;
        }
        self.arena.clear();
        self.items.clear();
        if self.arena.capacity() > self.limit.saturating_mul(2) {
            self.arena.shrink_to(self.limit);
        }
        Ok(())
    }

    /// Every item, sorted by key.
    pub fn finish(mut self) -> io::Result<Sorted> {
        if self.runs.is_empty() {
            self.sort_items();
            return Ok(Sorted {
                inner: Inner::Memory {
                    arena: self.arena,
                    items: self.items,
                    next: 0,
                },
            });
        }
        self.spill_run()?;
        let mut runs = std::mem::take(&mut self.runs);
        while runs.len() > FAN_IN {
            runs = merge_oldest(&self.spill, runs)?;
        }
        Ok(Sorted {
            inner: Inner::Merge(Merge::new(runs)?),
        })
    }
}

/// Merge the [`FAN_IN`] oldest of `runs` into one run that takes their
/// place: merging oldest first keeps equal keys in their order.
fn merge_oldest(spill: &Spill, mut runs: Vec<Spilled>) -> io::Result<Vec<Spilled>> {
    let rest = runs.split_off(FAN_IN.min(runs.len()));
    let mut merged = Merge::new(runs)?;
    let mut w = spill.writer()?;
    while let Some((k, v)) = merged.next()? {
        put_bytes(&mut w, k)?;
        put_bytes(&mut w, v)?;
    }
    let mut out = Vec::with_capacity(rest.len() + 1);
    out.push(w.finish()?);
    out.extend(rest);
    Ok(out)
}

/// The sorted items of a [`Sorter`], read one at a time.
pub struct Sorted {
    inner: Inner,
}

enum Inner {
    Memory {
        arena: Vec<u8>,
        items: Vec<(usize, u32, u32)>,
        next: usize,
    },
    Merge(Merge),
}

impl Sorted {
    /// The next (key, value), or `None` after the last.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> io::Result<Option<(&[u8], &[u8])>> {
        match &mut self.inner {
            Inner::Memory { arena, items, next } => {
                let Some(&(at, k, v)) = items.get(*next) else {
                    return Ok(None);
                };
                *next += 1;
                let (k, v) = (k as usize, v as usize);
                Ok(Some((&arena[at..at + k], &arena[at + k..at + k + v])))
            }
            Inner::Merge(m) => m.next(),
        }
    }
}

/// One run being merged: its reader and its current item.
struct Run {
    r: Box<dyn Read + Send>,
    key: Vec<u8>,
    value: Vec<u8>,
}

impl Run {
    /// Read the next item; `false` at the end of the run.
    fn advance(&mut self) -> io::Result<bool> {
        if !get_bytes(&mut self.r, &mut self.key)? {
            return Ok(false);
        }
        if !get_bytes(&mut self.r, &mut self.value)? {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "spilled run ends inside an item",
            ));
        }
        Ok(true)
    }
}

/// A k-way merge of sorted runs: a binary min-heap of run numbers ordered
/// by (current key, run number), so equal keys come from older runs first.
struct Merge {
    runs: Vec<Run>,
    heap: Vec<usize>,
    /// The run whose item was handed out last: advanced on the next call.
    taken: Option<usize>,
}

impl Merge {
    fn new(spilled: Vec<Spilled>) -> io::Result<Self> {
        let mut runs = Vec::with_capacity(spilled.len());
        let mut heap = Vec::with_capacity(spilled.len());
        for s in spilled {
            let mut run = Run {
                r: s.reader()?,
                key: Vec::new(),
                value: Vec::new(),
            };
            if run.advance()? {
                heap.push(runs.len());
            }
            runs.push(run);
        }
        let mut m = Self {
            runs,
            heap,
            taken: None,
        };
        for i in (0..m.heap.len() / 2).rev() {
            m.sift_down(i);
        }
        Ok(m)
    }

    fn less(&self, a: usize, b: usize) -> bool {
        let (ra, rb) = (&self.runs[a], &self.runs[b]);
        (ra.key.as_slice(), a) < (rb.key.as_slice(), b)
    }

    fn sift_down(&mut self, mut i: usize) {
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut min = i;
            if l < self.heap.len() && self.less(self.heap[l], self.heap[min]) {
                min = l;
            }
            if r < self.heap.len() && self.less(self.heap[r], self.heap[min]) {
                min = r;
            }
            if min == i {
                return;
            }
            self.heap.swap(i, min);
            i = min;
        }
    }

    fn next(&mut self) -> io::Result<Option<(&[u8], &[u8])>> {
        if let Some(run) = self.taken.take() {
            if self.runs[run].advance()? {
                self.sift_down(0);
            } else {
                let last = self.heap.len() - 1;
                self.heap.swap(0, last);
                self.heap.pop();
                self.sift_down(0);
            }
        }
        let Some(&top) = self.heap.first() else {
            return Ok(None);
        };
        self.taken = Some(top);
        let run = &self.runs[top];
        Ok(Some((&run.key, &run.value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn drain(mut s: Sorted) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some((k, v)) = s.next().expect("read back") {
            out.push((k.to_vec(), v.to_vec()));
        }
        out
    }

    fn spills(dir: &Path) -> [Spill; 3] {
        [Spill::memory(), Spill::disk(dir), Spill::encrypted(dir)]
    }

    #[test]
    fn spills_read_back_what_was_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        for spill in spills(dir.path()) {
            let mut w = spill.writer().expect("writer");
            let data: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
            w.write_all(&data).expect("write");
            assert_eq!(w.len(), data.len() as u64);
            let done = w.finish().expect("finish");
            let mut back = Vec::new();
            done.reader()
                .expect("reader")
                .read_to_end(&mut back)
                .expect("read");
            assert_eq!(back, data, "{spill:?}");
        }
        // Nothing is left in the directory: the files have no name.
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0);
    }

    #[test]
    fn an_encrypted_spill_holds_no_plaintext() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spill = Spill::encrypted(dir.path());
        let mut w = spill.writer().expect("writer");
        let secret = b"/home/alice/.ssh/id_ed25519 ".repeat(1000);
        w.write_all(&secret).expect("write");
        let Out::Age(stream, _) = w.out else {
            panic!("not encrypted")
        };
        let file = stream.finish().expect("finish");
        let mut f = file.into_inner().expect("flush");
        f.rewind().expect("rewind");
        let mut raw = Vec::new();
        f.read_to_end(&mut raw).expect("read");
        assert!(raw.starts_with(b"age-encryption.org/v1"));
        assert!(!raw.windows(12).any(|w| w == b"/home/alice/"));
    }

    #[test]
    fn equal_keys_keep_their_order_across_runs() {
        let dir = tempfile::tempdir().expect("tempdir");
        for spill in spills(dir.path()) {
            let mut s = Sorter::new(spill, 40);
            for i in 0..500u32 {
                s.push(format!("k{}", i % 7).as_bytes(), &i.to_be_bytes())
                    .expect("push");
            }
            let out = drain(s.finish().expect("finish"));
            assert_eq!(out.len(), 500);
            for w in out.windows(2) {
                assert!(w[0].0 <= w[1].0);
                if w[0].0 == w[1].0 {
                    assert!(w[0].1 < w[1].1, "order of equal keys kept");
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Whatever the run size (so whatever the number of runs and merge
        /// levels), the output is the input stably sorted by key.
        #[test]
        fn sorts_like_a_stable_sort(
            items in proptest::collection::vec(
                (proptest::collection::vec(0u8..4, 0..4), proptest::collection::vec(any::<u8>(), 0..6)),
                0..400,
            ),
            limit in 1usize..200,
            encrypted: bool,
        ) {
            let dir = tempfile::tempdir().expect("tempdir");
            let spill = if encrypted { Spill::encrypted(dir.path()) } else { Spill::disk(dir.path()) };
            let mut s = Sorter::new(spill, limit);
            for (k, v) in &items {
                s.push(k, v).expect("push");
            }
            prop_assert_eq!(s.len(), items.len() as u64);
            let got = drain(s.finish().expect("finish"));
            let mut want = items.clone();
            want.sort_by(|a, b| a.0.cmp(&b.0));
            prop_assert_eq!(got, want);
        }
    }
}
