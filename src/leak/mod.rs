//! Leak validation (`exhibit leak`): is a published sample genuine, and
//! which internal records, and which files in the evidence, does it come
//! from? The sample is read in whatever format it was published in, its
//! rows matched field by field against every tabular file in the evidence,
//! and the files it matched tied to who read them in the evidence's logs.
//!
//! The matching is a hash join on fingerprints of normalised values
//! ([`normalize`]), in two passes over the candidates ([`evidence`]):
//!
//! 1. every candidate's columns are measured against the sample's: which
//!    internal column holds the values of which sample column (by value
//!    overlap, never by name), and how distinctive each internal column is
//!    (distinct values / rows, estimated with a k-minimum-values sketch);
//! 2. the candidates that share a distinctive column with the sample are
//!    read again, and every internal record is looked up in an index of
//!    the sample's distinctive values; a sample row keeps its best record
//!    (most distinctive fields equal, fewest different).
//!
//! Only fingerprints of the sample and per-column counters of the
//! candidates are held, never the internal rows.

pub mod access;
pub mod evidence;
pub mod model;
pub mod normalize;
pub mod tabular;

pub use model::*;

use crate::job::{self, CancelToken, Progress, ProgressSink};
use crate::snapshot::Snapshot;
use normalize::Fp;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{BufReader, Read};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tabular::{Detected, ReadError, Row};

/// The most sample rows read; the rest are left out (with a note).
pub const MAX_SAMPLE_ROWS: usize = 20_000_000;
/// The most sample columns considered.
pub const MAX_COLUMNS: usize = 64;
/// A field is distinctive when its internal column holds at least this
/// many distinct values per row (emails, ids, phones: about 1; cities far
/// less; dates of a table of a few thousand rows, about 0.6: a made-up
/// date is likely to equal some record's, so they are not).
pub const DISTINCTIVE: f64 = 0.8;
/// The most sample rows sharing one value that a lookup walks (a value
/// that common is not distinctive in the sample anyway).
const MAX_CHAIN: usize = 64;
/// Line numbers listed in `fabricated` at most.
pub const MAX_FABRICATED_LISTED: usize = 1_000_000;
/// Example rows per state.
const EXAMPLES: usize = 5;

/// No value (empty, null) in a fingerprint slot.
const NONE: Fp = 0;

fn fp_of(v: &str) -> Fp {
    match normalize::fp(v) {
        Some(NONE) => 1,
        Some(f) => f,
        None => NONE,
    }
}

/// The sample's rows of one table, as fingerprints.
#[derive(Default)]
struct SampleTable {
    columns: Vec<String>,
    lines: Vec<u64>,
    /// Row r's fingerprints are `fps[starts[r]..starts[r + 1]]`.
    fps: Vec<Fp>,
    starts: Vec<usize>,
}

impl SampleTable {
    fn rows(&self) -> usize {
        self.lines.len()
    }

    fn get(&self, r: usize, i: usize) -> Fp {
        let (Some(&a), b) = (self.starts.get(r), self.starts.get(r + 1).copied()) else {
            return NONE;
        };
        let b = b.unwrap_or(self.fps.len());
        if a + i < b {
            self.fps.get(a + i).copied().unwrap_or(NONE)
        } else {
            NONE
        }
    }
}

/// A k-minimum-values sketch of the distinct values of a column.
#[derive(Default, Clone)]
struct Kmv {
    mins: BTreeSet<u64>,
}

const KMV_K: usize = 512;

impl Kmv {
    fn add(&mut self, h: u64) {
        // Mix again: the set of kept values must be uniform in [0, 2^64).
        let h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(31);
        if self.mins.len() < KMV_K {
            self.mins.insert(h);
        } else if self.mins.last().is_some_and(|&m| h < m) && self.mins.insert(h) {
            self.mins.pop_last();
        }
    }

    fn estimate(&self) -> f64 {
        match self.mins.last() {
            Some(&max) if self.mins.len() >= KMV_K => {
                (KMV_K as f64 - 1.0) * (u64::MAX as f64) / (max as f64).max(1.0)
            }
            _ => self.mins.len() as f64,
        }
    }
}

/// Pass 1's account of one internal table (a file, a member, or one table
/// of a dump).
#[derive(Default)]
struct Unit {
    snap: usize,
    entry: usize,
    display: String,
    table: String,
    columns: Vec<String>,
    rows: u64,
    nonempty: Vec<u64>,
    kmv: Vec<Kmv>,
    /// Fingerprints of this column also found in the sample.
    hits: Vec<HashSet<Fp>>,
}

impl Unit {
    fn grow(&mut self, n: usize) {
        if self.nonempty.len() < n {
            self.nonempty.resize(n, 0);
            self.kmv.resize(n, Kmv::default());
            self.hits.resize(n, HashSet::new());
        }
    }

    fn distinctiveness(&self, j: usize) -> f64 {
        let n = self.nonempty.get(j).copied().unwrap_or(0);
        if n == 0 {
            return 0.0;
        }
        let d = self.kmv.get(j).map_or(0.0, Kmv::estimate);
        (d / n as f64).min(1.0)
    }
}

/// A sample column matched to an internal column of a unit.
#[derive(Debug, Clone)]
struct Pair {
    sample: usize,
    internal: usize,
    weight: f64,
}

impl Pair {
    fn distinctive(&self) -> bool {
        self.weight >= DISTINCTIVE
    }
}

/// A unit worth the second pass.
struct Relevant {
    unit: usize,
    pairs: Vec<Pair>,
}

/// A sample row's best record.
#[derive(Debug, Clone, Copy, Default)]
struct Best {
    /// Distinctive fields equal and different.
    eq: u16,
    neq: u16,
    unit: u32,
    line: u64,
}

impl Best {
    fn better_than(&self, o: &Best) -> bool {
        let (a, b) = (
            i32::from(self.eq) - i32::from(self.neq),
            i32::from(o.eq) - i32::from(o.neq),
        );
        a > b || (a == b && self.eq > o.eq)
    }

    /// Found in the evidence: equal on more distinctive fields than it
    /// differs on. Every distinctive field counts the same (their measured
    /// distinctiveness is an estimate); a tie, such as a made-up row whose
    /// phone number happens to be a customer's while its email is no
    /// one's, is not enough.
    fn found(&self) -> bool {
        self.eq > self.neq
    }
}

fn progress(
    sink: &dyn ProgressSink,
    phase: &'static str,
    done: u64,
    total: Option<u64>,
    bytes: u64,
    current: &str,
) {
    sink.update(&Progress {
        phase,
        files_done: done,
        files_total: total,
        bytes_done: bytes,
        bytes_total: None,
        current: current.to_string(),
        warnings: 0,
    });
}

fn sample_err(e: std::io::Error, p: &Path) -> LeakError {
    LeakError::Sample(e, p.to_path_buf())
}

/// Hash the sample and read its first bytes.
fn sample_head(p: &Path) -> Result<(String, Vec<u8>), LeakError> {
    let f = std::fs::File::open(p).map_err(|e| sample_err(e, p))?;
    if !f.metadata().map_err(|e| sample_err(e, p))?.is_file() {
        return Err(sample_err(
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
            p,
        ));
    }
    let mut r = BufReader::with_capacity(1 << 20, f);
    let mut h = Sha256::new();
    let mut head = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf).map_err(|e| sample_err(e, p))?;
        if n == 0 {
            break;
        }
        let chunk = buf.get(..n).unwrap_or_default();
        h.update(chunk);
        if head.len() < tabular::SNIFF_BYTES {
            let take = (tabular::SNIFF_BYTES - head.len()).min(n);
            head.extend_from_slice(chunk.get(..take).unwrap_or_default());
        }
    }
    Ok((hex::encode(h.finalize()), head))
}

fn open_sample(p: &Path) -> Result<BufReader<std::fs::File>, LeakError> {
    let f = std::fs::File::open(p).map_err(|e| sample_err(e, p))?;
    Ok(BufReader::with_capacity(1 << 20, f))
}

/// Read the sample's rows; keep the table with the most rows.
fn read_sample(
    p: &Path,
    d: &Detected,
    cancel: &CancelToken,
    notes: &mut Vec<String>,
) -> Result<(String, SampleTable), LeakError> {
    let mut tables: HashMap<String, SampleTable> = HashMap::new();
    let mut total = 0usize;
    let mut capped = false;
    let mut r = open_sample(p)?;
    let res = tabular::read_rows(&mut r, d, cancel, &mut |row: &Row| {
        if total >= MAX_SAMPLE_ROWS {
            capped = true;
            return ControlFlow::Break(());
        }
        total += 1;
        let t = tables.entry(row.table.to_string()).or_default();
        if t.columns.len() < row.columns.len().min(MAX_COLUMNS) {
            t.columns = row.columns.iter().take(MAX_COLUMNS).cloned().collect();
        }
        t.starts.push(t.fps.len());
        t.lines.push(row.line);
        t.fps
            .extend(row.values.iter().take(MAX_COLUMNS).map(|v| fp_of(v)));
        ControlFlow::Continue(())
    });
    let stats = match res {
        Ok(s) => s,
        Err(ReadError::Cancelled) => return Err(LeakError::Cancelled),
        Err(ReadError::Io(e)) => return Err(sample_err(e, p)),
    };
    if capped {
        notes.push(format!(
            "the sample has more than {MAX_SAMPLE_ROWS} rows: only the first {MAX_SAMPLE_ROWS} were read"
        ));
    }
    if stats.skipped > 0 {
        notes.push(format!(
            "sample: {} record(s) skipped ({})",
            stats.skipped,
            stats.notes.join("; ")
        ));
    }
    let mut names: Vec<(usize, String)> =
        tables.iter().map(|(k, t)| (t.rows(), k.clone())).collect();
    names.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let Some((_, main)) = names.first().cloned() else {
        return Err(LeakError::EmptySample(
            format!("no rows in it as {}", d.format.name()),
            p.to_path_buf(),
        ));
    };
    for (n, other) in names.iter().skip(1) {
        notes.push(format!(
            "the sample's table {other:?} ({n} rows) was left out: only the largest table, {main:?}, is validated"
        ));
    }
    let t = tables.remove(&main).unwrap_or_default();
    Ok((main, t))
}

/// Per sample column: its values (fingerprint → columns holding it) and
/// the share of distinct values among its non-empty rows.
struct SampleValues {
    masks: HashMap<Fp, u64>,
    distinct: Vec<u64>,
    nonempty: Vec<u64>,
}

fn sample_values(t: &SampleTable) -> SampleValues {
    let n = t.columns.len();
    let mut masks: HashMap<Fp, u64> = HashMap::new();
    let mut distinct = vec![0u64; n];
    let mut nonempty = vec![0u64; n];
    for r in 0..t.rows() {
        for (i, ne) in nonempty.iter_mut().enumerate() {
            let v = t.get(r, i);
            if v == NONE {
                continue;
            }
            *ne += 1;
            let m = masks.entry(v).or_insert(0);
            if *m & (1 << i) == 0 {
                *m |= 1 << i;
                if let Some(d) = distinct.get_mut(i) {
                    *d += 1;
                }
            }
        }
    }
    SampleValues {
        masks,
        distinct,
        nonempty,
    }
}

impl SampleValues {
    fn ratio(&self, i: usize) -> f64 {
        let n = self.nonempty.get(i).copied().unwrap_or(0);
        if n == 0 {
            0.0
        } else {
            self.distinct.get(i).copied().unwrap_or(0) as f64 / n as f64
        }
    }
}

/// Which unit a row belongs to, by (display path, table), with a cache of
/// the last one.
struct UnitIndex {
    by: HashMap<(String, String), usize>,
    last: Option<(String, String, usize)>,
}

impl UnitIndex {
    fn new() -> Self {
        UnitIndex {
            by: HashMap::new(),
            last: None,
        }
    }

    fn find(&mut self, display: &str, table: &str) -> Option<usize> {
        if let Some((d, t, u)) = &self.last
            && d == display
            && t == table
        {
            return Some(*u);
        }
        let u = *self.by.get(&(display.to_string(), table.to_string()))?;
        self.last = Some((display.to_string(), table.to_string(), u));
        Some(u)
    }
}

/// Pass 1 over one candidate entry: its units' column statistics.
fn measure(
    snap: &Snapshot,
    si: usize,
    ei: usize,
    sv: &SampleValues,
    budget: &Arc<evidence::Budget>,
    cancel: &CancelToken,
) -> Result<(Vec<Unit>, Vec<String>), ReadError> {
    let Some(entry) = snap.entries.get(ei) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let mut units: Vec<Unit> = Vec::new();
    let mut index = UnitIndex::new();
    let mut fps: Vec<Fp> = Vec::new();
    let notes = evidence::scan_entry(
        snap,
        entry,
        budget,
        cancel,
        &|_| true,
        &mut |display, row| {
            let u = match index.find(display, row.table) {
                Some(u) => u,
                None => {
                    units.push(Unit {
                        snap: si,
                        entry: ei,
                        display: display.to_string(),
                        table: row.table.to_string(),
                        ..Unit::default()
                    });
                    let u = units.len() - 1;
                    index
                        .by
                        .insert((display.to_string(), row.table.to_string()), u);
                    u
                }
            };
            let Some(unit) = units.get_mut(u) else {
                return ControlFlow::Continue(());
            };
            if unit.columns.len() < row.columns.len() {
                unit.columns = row.columns.to_vec();
            }
            unit.grow(row.values.len());
            unit.rows += 1;
            fps.clear();
            fps.extend(row.values.iter().map(|v| fp_of(v)));
            for (j, &f) in fps.iter().enumerate() {
                if f == NONE {
                    continue;
                }
                if let Some(n) = unit.nonempty.get_mut(j) {
                    *n += 1;
                }
                if let Some(k) = unit.kmv.get_mut(j) {
                    k.add(f);
                }
                if sv.masks.contains_key(&f)
                    && let Some(h) = unit.hits.get_mut(j)
                {
                    h.insert(f);
                }
            }
            ControlFlow::Continue(())
        },
    )?;
    Ok((units, notes))
}

/// Map sample columns to a unit's columns by shared values.
fn pair_columns(unit: &Unit, sv: &SampleValues) -> Vec<Pair> {
    let ns = sv.distinct.len();
    let mut shared: Vec<(u64, usize, usize)> = Vec::new();
    for (j, hits) in unit.hits.iter().enumerate() {
        let mut per = vec![0u64; ns];
        for f in hits {
            let m = sv.masks.get(f).copied().unwrap_or(0);
            for (i, c) in per.iter_mut().enumerate() {
                if m & (1 << i) != 0 {
                    *c += 1;
                }
            }
        }
        for (i, c) in per.into_iter().enumerate() {
            if c > 0 {
                shared.push((c, i, j));
            }
        }
    }
    shared.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut used_s = vec![false; ns];
    let mut used_i = vec![false; unit.columns.len().max(unit.hits.len())];
    let mut pairs = Vec::new();
    for (c, i, j) in shared {
        let distinct = sv.distinct.get(i).copied().unwrap_or(0);
        let coverage = c as f64 / distinct.max(1) as f64;
        // Enough shared values to be more than chance: two, or all of a
        // one-value column, and at least 2% of the sample column's values.
        if c < 2.min(distinct) || coverage < 0.02 {
            continue;
        }
        if used_s.get(i).copied().unwrap_or(true) || used_i.get(j).copied().unwrap_or(true) {
            continue;
        }
        if let Some(u) = used_s.get_mut(i) {
            *u = true;
        }
        if let Some(u) = used_i.get_mut(j) {
            *u = true;
        }
        let d = unit.distinctiveness(j);
        // A sample column of repeated values is not distinctive either
        // (judged once the sample has enough rows to say).
        let weight = if sv.nonempty.get(i).copied().unwrap_or(0) >= 20 {
            d.min(sv.ratio(i).max(0.0))
        } else {
            d
        };
        pairs.push(Pair {
            sample: i,
            internal: j,
            weight,
        });
    }
    pairs.sort_by_key(|p| p.sample);
    pairs
}

/// The sample's index on its distinctive columns: value → first row, and
/// each row's next row with the same value.
struct SampleIndex {
    heads: Vec<Option<HashMap<Fp, u32>>>,
    /// `next[r * ncols + i]`.
    next: Vec<u32>,
    ncols: usize,
}

const END: u32 = u32::MAX;

fn build_index(t: &SampleTable, cols: &BTreeSet<usize>) -> SampleIndex {
    let ncols = t.columns.len();
    let mut heads: Vec<Option<HashMap<Fp, u32>>> = (0..ncols)
        .map(|i| cols.contains(&i).then(HashMap::new))
        .collect();
    let mut next = vec![END; t.rows() * ncols];
    for r in (0..t.rows()).rev() {
        for i in cols {
            let v = t.get(r, *i);
            if v == NONE {
                continue;
            }
            if let Some(Some(h)) = heads.get_mut(*i) {
                let prev = h.insert(v, r as u32).unwrap_or(END);
                if let Some(n) = next.get_mut(r * ncols + *i) {
                    *n = prev;
                }
            }
        }
    }
    SampleIndex { heads, next, ncols }
}

/// Pass 2's answer for one entry: per unit, each touched sample row's
/// best record; and the notes.
type Joined = (HashMap<usize, HashMap<u32, Best>>, Vec<String>);

/// Pass 2 over one candidate entry: each touched sample row's best record
/// in each relevant unit of the entry.
#[allow(clippy::too_many_arguments)]
fn join(
    snap: &Snapshot,
    ei: usize,
    relevant: &HashMap<(String, String), usize>,
    rel: &[Relevant],
    t: &SampleTable,
    idx: &SampleIndex,
    budget: &Arc<evidence::Budget>,
    cancel: &CancelToken,
) -> Result<Joined, ReadError> {
    let Some(entry) = snap.entries.get(ei) else {
        return Ok((HashMap::new(), Vec::new()));
    };
    let displays: HashSet<&str> = relevant.keys().map(|(d, _)| d.as_str()).collect();
    let mut out: HashMap<usize, HashMap<u32, Best>> = HashMap::new();
    let mut fps: Vec<Fp> = Vec::new();
    let mut seen: Vec<u32> = Vec::new();
    let want = |d: &str| displays.contains(d);
    let notes = evidence::scan_entry(snap, entry, budget, cancel, &want, &mut |display, row| {
        let Some(&ri) = relevant.get(&(display.to_string(), row.table.to_string())) else {
            return ControlFlow::Continue(());
        };
        let Some(r) = rel.get(ri) else {
            return ControlFlow::Continue(());
        };
        // Only the mapped columns are compared: normalise only those.
        fps.clear();
        fps.resize(row.values.len(), NONE);
        for p in r.pairs.iter().filter(|p| p.distinctive()) {
            if let (Some(slot), Some(v)) = (fps.get_mut(p.internal), row.values.get(p.internal)) {
                *slot = fp_of(v);
            }
        }
        let at = |j: usize| fps.get(j).copied().unwrap_or(NONE);
        seen.clear();
        for p in r.pairs.iter().filter(|p| p.distinctive()) {
            let v = at(p.internal);
            if v == NONE {
                continue;
            }
            let Some(Some(h)) = idx.heads.get(p.sample) else {
                continue;
            };
            let mut s = h.get(&v).copied().unwrap_or(END);
            let mut walked = 0;
            while s != END && walked < MAX_CHAIN {
                walked += 1;
                if !seen.contains(&s) {
                    seen.push(s);
                }
                s = idx
                    .next
                    .get(s as usize * idx.ncols + p.sample)
                    .copied()
                    .unwrap_or(END);
            }
        }
        if seen.is_empty() {
            return ControlFlow::Continue(());
        }
        let bests = out.entry(r.unit).or_default();
        for &s in &seen {
            let mut b = Best {
                unit: r.unit as u32,
                line: row.line,
                ..Best::default()
            };
            for p in r.pairs.iter().filter(|p| p.distinctive()) {
                let sv = t.get(s as usize, p.sample);
                let iv = at(p.internal);
                if sv == NONE || iv == NONE {
                    continue;
                }
                if sv == iv {
                    b.eq = b.eq.saturating_add(1);
                } else {
                    b.neq = b.neq.saturating_add(1);
                }
            }
            if !b.found() {
                continue;
            }
            let slot = bests.entry(s).or_default();
            if b.better_than(slot) {
                *slot = b;
            }
        }
        ControlFlow::Continue(())
    })?;
    Ok((out, notes))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Matched,
    Partial,
    Fabricated,
    /// No distinctive value to judge it by.
    Blank,
}

fn join_names(names: &[String]) -> String {
    match names.len() {
        0 => String::new(),
        1 => names.first().cloned().unwrap_or_default(),
        _ => {
            let (last, head) = names.split_last().unwrap_or((&names[0], &[]));
            format!("{} and {last}", head.join(", "))
        }
    }
}

fn lines_text(lines: &[u64]) -> String {
    let shown: Vec<String> = lines.iter().take(20).map(u64::to_string).collect();
    if lines.len() > 20 {
        format!("{}, … ({} in all)", shown.join(", "), lines.len())
    } else {
        shown.join(", ")
    }
}

/// Validate a sample against the evidence: read the sample, list the
/// candidate files, map columns and weigh them (pass 1), look every
/// internal row up in the sample's index (pass 2), tie the matching files to
/// who read them, and decide. Kept as one function, its passes marked by
/// comments, because the passes share the column map, the index and the
/// notes, and the order of reading is the algorithm.
pub fn validate(
    req: &LeakRequest,
    progress_sink: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<LeakReport, LeakError> {
    let mut notes: Vec<String> = Vec::new();
    let sample_path = req.sample.as_path();

    // The sample.
    progress(
        progress_sink,
        "reading the sample",
        0,
        None,
        0,
        &req.sample.display().to_string(),
    );
    let (sha256, head) = sample_head(sample_path)?;
    let detected = match req.format {
        Some(f) => {
            if !head.is_empty() && tabular::detect(&head).is_none() {
                return Err(LeakError::EmptySample(
                    "binary data, not text".into(),
                    req.sample.clone(),
                ));
            }
            tabular::forced(&head, f)
        }
        None => tabular::detect(&head).ok_or_else(|| {
            LeakError::EmptySample(
                if head.trim_ascii().is_empty() {
                    "it is empty".into()
                } else {
                    "binary data, not text".into()
                },
                req.sample.clone(),
            )
        })?,
    };
    let (table, sample) = read_sample(sample_path, &detected, cancel, &mut notes)?;
    let sv = sample_values(&sample);
    let mut info = SampleInfo {
        path: req.sample.display().to_string(),
        sha256,
        format: Some(detected.format),
        delimiter: detected.delimiter.map(|d| match d {
            b'\t' => "\\t".to_string(),
            other => char::from(other).to_string(),
        }),
        columns: sample.columns.clone(),
    };
    if !table.is_empty() {
        notes.push(format!(
            "the sample's rows are those of its table {table:?}"
        ));
    }

    // The evidence.
    let mut snaps: Vec<Snapshot> = Vec::new();
    for (k, p) in req.evidence.iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(LeakError::Cancelled);
        }
        progress(
            progress_sink,
            "opening evidence",
            k as u64,
            Some(req.evidence.len() as u64),
            0,
            &p.display().to_string(),
        );
        let s = Snapshot::open(p, &job::NoProgress, cancel).map_err(|e| match e {
            crate::snapshot::SnapshotError::Cancelled => LeakError::Cancelled,
            e => LeakError::Evidence(format!("{e}")),
        })?;
        for pr in s.problems.iter().take(5) {
            notes.push(format!("{}: {pr}", s.label));
        }
        snaps.push(s);
    }
    let mut work: Vec<(usize, usize)> = Vec::new();
    for (si, s) in snaps.iter().enumerate() {
        let (c, unreadable) = evidence::candidates(s);
        if unreadable > 0 {
            notes.push(format!(
                "{}: {unreadable} candidate file(s) have no content in the snapshot (not captured)",
                s.label
            ));
        }
        work.extend(c.into_iter().map(|e| (si, e)));
    }
    let threads = job::threads(0, 4);
    let budget = Arc::new(evidence::Budget::default());

    // Pass 1: measure every candidate.
    let total = work.len() as u64;
    let measured = {
        let mut watch = |n: usize| {
            progress(
                progress_sink,
                "measuring candidates",
                n as u64,
                Some(total),
                budget.bytes_read.load(std::sync::atomic::Ordering::Relaxed),
                "",
            )
        };
        job::par_map(
            &work,
            threads,
            cancel,
            |&(si, ei)| match snaps.get(si) {
                Some(s) => measure(s, si, ei, &sv, &budget, cancel),
                None => Ok((Vec::new(), Vec::new())),
            },
            Some((Duration::from_millis(200), &mut watch)),
        )
    };
    if cancel.is_cancelled() {
        return Err(LeakError::Cancelled);
    }
    let mut units: Vec<Unit> = Vec::new();
    let mut candidates_read = 0u64;
    for m in measured.into_iter().flatten() {
        match m {
            Ok((us, ns)) => {
                candidates_read += 1;
                notes.extend(ns);
                units.extend(us);
            }
            Err(ReadError::Cancelled) => return Err(LeakError::Cancelled),
            Err(ReadError::Io(e)) => notes.push(format!("a candidate could not be read: {e}")),
        }
    }

    // Column mapping, distinctiveness, relevant units.
    let mut rel: Vec<Relevant> = Vec::new();
    let mut any_pairs = false;
    let mut best_weight = vec![0f64; sample.columns.len()];
    let mut mapped_anywhere = vec![false; sample.columns.len()];
    for (u, unit) in units.iter().enumerate() {
        let pairs = pair_columns(unit, &sv);
        if pairs.is_empty() {
            continue;
        }
        any_pairs = true;
        for p in &pairs {
            if let Some(w) = best_weight.get_mut(p.sample) {
                *w = w.max(p.weight);
            }
            if let Some(m) = mapped_anywhere.get_mut(p.sample) {
                *m = true;
            }
        }
        if pairs.iter().any(Pair::distinctive) {
            rel.push(Relevant { unit: u, pairs });
        }
    }
    // The sample's distinctive columns: distinctive where some internal
    // column holds them, or (held nowhere) unique within the sample.
    let distinctive_cols: Vec<usize> = (0..sample.columns.len())
        .filter(|&i| {
            if mapped_anywhere.get(i).copied().unwrap_or(false) {
                best_weight.get(i).copied().unwrap_or(0.0) >= DISTINCTIVE
            } else {
                sv.ratio(i) >= 0.8 && sv.distinct.get(i).copied().unwrap_or(0) >= 2
            }
        })
        .collect();

    // Pass 2: join the relevant units.
    let mut index_cols: BTreeSet<usize> = BTreeSet::new();
    for r in &rel {
        index_cols.extend(r.pairs.iter().filter(|p| p.distinctive()).map(|p| p.sample));
    }
    let mut best: Vec<Best> = vec![Best::default(); sample.rows()];
    let mut found_in: Vec<u64> = vec![0; units.len()];
    if !rel.is_empty() {
        let idx = build_index(&sample, &index_cols);
        let mut relevant: HashMap<(String, String), usize> = HashMap::new();
        let mut entries: BTreeSet<(usize, usize)> = BTreeSet::new();
        for (k, r) in rel.iter().enumerate() {
            if let Some(u) = units.get(r.unit) {
                relevant.insert((u.display.clone(), u.table.clone()), k);
                entries.insert((u.snap, u.entry));
            }
        }
        let entries: Vec<(usize, usize)> = entries.into_iter().collect();
        let total = entries.len() as u64;
        let joined = {
            let mut watch = |n: usize| {
                progress(
                    progress_sink,
                    "matching rows",
                    n as u64,
                    Some(total),
                    budget.bytes_read.load(std::sync::atomic::Ordering::Relaxed),
                    "",
                )
            };
            job::par_map(
                &entries,
                threads,
                cancel,
                |&(si, ei)| {
                    // Only the relevant units of this snapshot and entry.
                    let mine: HashMap<(String, String), usize> = relevant
                        .iter()
                        .filter(|(_, k)| {
                            rel.get(**k)
                                .and_then(|r| units.get(r.unit))
                                .is_some_and(|u| u.snap == si && u.entry == ei)
                        })
                        .map(|(key, k)| (key.clone(), *k))
                        .collect();
                    match snaps.get(si) {
                        Some(s) => join(s, ei, &mine, &rel, &sample, &idx, &budget, cancel),
                        None => Ok((HashMap::new(), Vec::new())),
                    }
                },
                Some((Duration::from_millis(200), &mut watch)),
            )
        };
        if cancel.is_cancelled() {
            return Err(LeakError::Cancelled);
        }
        for j in joined.into_iter().flatten() {
            match j {
                Ok((per_unit, ns)) => {
                    for n in ns {
                        if !notes_has(&notes, &n) {
                            notes.push(n);
                        }
                    }
                    for (u, rows) in per_unit {
                        if let Some(c) = found_in.get_mut(u) {
                            *c = rows.len() as u64;
                        }
                        for (s, b) in rows {
                            if let Some(slot) = best.get_mut(s as usize)
                                && b.better_than(slot)
                            {
                                *slot = b;
                            }
                        }
                    }
                }
                Err(ReadError::Cancelled) => return Err(LeakError::Cancelled),
                Err(ReadError::Io(e)) => notes.push(format!("a candidate could not be read: {e}")),
            }
        }
    }

    // Each row's state.
    let states: Vec<State> = (0..sample.rows())
        .map(|r| {
            let b = best.get(r).copied().unwrap_or_default();
            if b.found() && b.neq == 0 {
                State::Matched
            } else if b.found() {
                State::Partial
            } else if distinctive_cols.iter().any(|&i| sample.get(r, i) != NONE) {
                State::Fabricated
            } else {
                State::Blank
            }
        })
        .collect();
    let count = |s: State| states.iter().filter(|&&x| x == s).count() as u64;
    let (matched, partial, fabricated_n, blank) = (
        count(State::Matched),
        count(State::Partial),
        count(State::Fabricated),
        count(State::Blank),
    );
    let mut fabricated: Vec<u64> = states
        .iter()
        .enumerate()
        .filter(|(_, s)| **s == State::Fabricated)
        .filter_map(|(r, _)| sample.lines.get(r).copied())
        .collect();
    fabricated.dedup();
    if fabricated.len() > MAX_FABRICATED_LISTED {
        fabricated.truncate(MAX_FABRICATED_LISTED);
        notes.push(format!(
            "only the first {MAX_FABRICATED_LISTED} line numbers of rows found nowhere are listed"
        ));
    }

    // Sources, best first.
    let mut src_units: Vec<usize> = rel
        .iter()
        .map(|r| r.unit)
        .filter(|&u| found_in.get(u).copied().unwrap_or(0) > 0)
        .collect();
    src_units.sort_by_key(|&u| {
        (
            std::cmp::Reverse(found_in.get(u).copied().unwrap_or(0)),
            units.get(u).map(|x| x.display.clone()),
        )
    });
    let col_name = |unit: &Unit, j: usize| {
        unit.columns
            .get(j)
            .cloned()
            .unwrap_or_else(|| format!("column_{}", j + 1))
    };
    let mut columns: std::collections::BTreeMap<String, String> = Default::default();
    if let Some(top) = src_units
        .first()
        .and_then(|&u| rel.iter().find(|r| r.unit == u))
        && let Some(unit) = units.get(top.unit)
    {
        for p in &top.pairs {
            if let Some(sc) = sample.columns.get(p.sample) {
                columns.insert(sc.clone(), col_name(unit, p.internal));
            }
        }
    }

    // Who read the sources.
    let store = if src_units.is_empty() || req.evidence.is_empty() {
        None
    } else {
        progress(progress_sink, "reading logs", 0, None, 0, "");
        let lr = crate::logs::load::LoadRequest {
            sources: req.evidence.clone(),
            ..Default::default()
        };
        match crate::logs::load::load(&lr, &job::NoProgress, cancel) {
            Ok(s) => Some(s),
            Err(crate::logs::load::LogError::Cancelled) => return Err(LeakError::Cancelled),
            Err(e) => {
                notes.push(format!("the logs could not be read, so no accessors: {e}"));
                None
            }
        }
    };
    let sources: Vec<LeakSource> = src_units
        .iter()
        .filter_map(|&u| units.get(u).map(|x| (u, x)))
        .map(|(u, unit)| {
            let snap = snaps.get(unit.snap);
            let entry = snap.and_then(|s| s.entries.get(unit.entry));
            let outer = unit.display.split('!').next().unwrap_or(&unit.display);
            LeakSource {
                snapshot: snap.map(|s| s.label.clone()).unwrap_or_default(),
                path: unit.display.clone(),
                table: (!unit.table.is_empty()).then(|| unit.table.clone()),
                records: unit.rows,
                matched_rows: found_in.get(u).copied().unwrap_or(0),
                first_seen: entry
                    .and_then(|e| e.mtime_ns)
                    .map(crate::snapshot::format_time),
                accessed_by: store
                    .as_ref()
                    .map(|s| access::accessors(s, outer))
                    .unwrap_or_default(),
                altered: snap.and_then(|s| s.altered_read(outer)),
            }
        })
        .collect();

    // The verdict.
    let judged = matched + partial + fabricated_n;
    let found = matched + partial;
    let dnames: Vec<String> = distinctive_cols
        .iter()
        .filter_map(|&i| sample.columns.get(i).cloned())
        .collect();
    let weak: Vec<String> = (0..sample.columns.len())
        .filter(|i| {
            !distinctive_cols.contains(i) && mapped_anywhere.get(*i).copied().unwrap_or(false)
        })
        .filter_map(|i| sample.columns.get(i).cloned())
        .collect();
    let mut reasons: Vec<String> = Vec::new();
    let verdict = if distinctive_cols.is_empty() {
        reasons.push(if any_pairs {
            format!(
                "The sample's values ({}) are in the evidence, but they repeat across many records: equal values prove nothing about where the rows come from.",
                join_names(&weak)
            )
        } else {
            "The sample has no distinctive column (such as an email, id or phone) to compare, and none of its values are in the evidence.".to_string()
        });
        Verdict::CannotTell
    } else if found == 0 {
        reasons.push(if units.is_empty() {
            "The evidence holds no tabular records (exports, dumps, backups) to compare with.".to_string()
        } else {
            format!(
                "None of the sample's {} rows is in the {} tabular file(s) read from the evidence: no record has their {}.",
                sample.rows(),
                candidates_read,
                join_names(&dnames)
            )
        });
        Verdict::NotFromTheseRecords
    } else if fabricated_n == 0 {
        Verdict::Genuine
    } else if found * 2 >= judged {
        Verdict::GenuineWithFabricatedRows
    } else {
        reasons.push(format!(
            "Only {found} of {judged} rows are in the evidence: a few shared values (people are in many databases) do not make the sample genuine."
        ));
        Verdict::NotFromTheseRecords
    };
    if found > 0 {
        let top = sources.first().map(|s| s.path.clone()).unwrap_or_default();
        reasons.push(format!(
            "{matched} of {} rows equal a record of the evidence on every distinctive field ({}); the most are in {top}.",
            sample.rows(),
            join_names(&dnames)
        ));
        if partial > 0 {
            reasons.push(format!(
                "{partial} row(s) equal a record on some distinctive fields and differ on others (edited, or changed since)."
            ));
        }
    }
    if fabricated_n > 0 && found > 0 {
        reasons.push(format!(
            "{fabricated_n} row(s) found nowhere in the evidence (lines {}).",
            lines_text(&fabricated)
        ));
    }
    if !weak.is_empty() && verdict != Verdict::CannotTell {
        reasons.push(format!(
            "Not used to decide (values shared by many records): {}.",
            join_names(&weak)
        ));
    }
    if blank > 0 {
        reasons.push(format!(
            "{blank} rows have no value in a distinctive column and were not judged."
        ));
    }

    // Examples, read again from the sample.
    let examples = examples(
        req, &detected, &table, &sample, &states, &best, &units, cancel,
    )?;
    info.columns = sample.columns.clone();

    progress(progress_sink, "done", total, Some(total), 0, "");
    Ok(LeakReport {
        verdict,
        rows: sample.rows() as u64,
        matched,
        partial,
        fabricated,
        columns,
        sources,
        reasons,
        sample: info,
        examples,
        candidates_read,
        notes,
    })
}

fn notes_has(notes: &[String], n: &str) -> bool {
    notes.iter().any(|x| x == n)
}

#[allow(clippy::too_many_arguments)]
fn examples(
    req: &LeakRequest,
    d: &Detected,
    table: &str,
    sample: &SampleTable,
    states: &[State],
    best: &[Best],
    units: &[Unit],
    cancel: &CancelToken,
) -> Result<Vec<RowExample>, LeakError> {
    let mut want: HashMap<usize, State> = HashMap::new();
    for s in [State::Matched, State::Partial, State::Fabricated] {
        for (r, _) in states
            .iter()
            .enumerate()
            .filter(|(_, x)| **x == s)
            .take(EXAMPLES)
        {
            want.insert(r, s);
        }
    }
    if want.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<(usize, RowExample)> = Vec::new();
    let mut ordinal = 0usize;
    let mut r = open_sample(&req.sample)?;
    let res = tabular::read_rows(&mut r, d, cancel, &mut |row: &Row| {
        if row.table != table {
            return ControlFlow::Continue(());
        }
        let k = ordinal;
        ordinal += 1;
        if let Some(state) = want.get(&k) {
            let values = row
                .columns
                .iter()
                .zip(row.values)
                .take(MAX_COLUMNS)
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(c, v)| (c.clone(), normalize::shown(c, v, req.show_values)))
                .collect();
            let b = best.get(k).copied().unwrap_or_default();
            let source = b
                .found()
                .then(|| units.get(b.unit as usize))
                .flatten()
                .map(|u| format!("{}:{}", u.display, b.line));
            out.push((
                k,
                RowExample {
                    line: row.line,
                    state: match state {
                        State::Matched => "matched",
                        State::Partial => "partial",
                        _ => "fabricated",
                    }
                    .into(),
                    values,
                    source,
                },
            ));
        }
        if out.len() >= want.len() || k >= sample.rows() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    match res {
        Ok(_) => {}
        Err(ReadError::Cancelled) => return Err(LeakError::Cancelled),
        Err(ReadError::Io(e)) => return Err(sample_err(e, &req.sample)),
    }
    let order = |s: &str| match s {
        "matched" => 0,
        "partial" => 1,
        _ => 2,
    };
    out.sort_by_key(|(k, e)| (order(&e.state), *k));
    Ok(out.into_iter().map(|(_, e)| e).collect())
}
