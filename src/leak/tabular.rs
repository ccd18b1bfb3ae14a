//! Tabular data in the formats leaks and internal exports come in
//! (`leak::tabular`): format detection from a file's first bytes, and one
//! streaming reader per format that hands every row to a callback with its
//! table, column names and line number. Used for the published sample and
//! for every candidate file in the evidence alike.
//!
//! Nothing here holds more than one row (or one record of a JSON array) in
//! memory: delimited records, JSON elements, lines and SQL values all have
//! byte caps, and hitting one is reported, never a reason to buffer more.

use super::model::SampleFormat;
use crate::job::CancelToken;
use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::ops::ControlFlow;
use std::rc::Rc;

/// How many leading bytes format detection looks at.
pub const SNIFF_BYTES: usize = 64 * 1024;
/// The longest line of a line-based format (JSON Lines, lists, COPY data).
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// The longest single record: a delimited record (quoted fields may span
/// lines) or one element of a JSON array.
pub const MAX_RECORD_BYTES: u64 = 16 << 20;
/// The longest SQL value kept (the rest is read and dropped).
pub const MAX_SQL_VALUE_BYTES: usize = 1 << 20;

/// A detected (or forced) format with what its reader needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    pub format: SampleFormat,
    /// The delimiter of delimited text; `:` for `user:hash` lists.
    pub delimiter: Option<u8>,
    /// The first delimited record is a header.
    pub header: bool,
}

/// One row handed to the callback.
#[derive(Debug)]
pub struct Row<'a> {
    /// The SQL table name; empty for the other formats.
    pub table: &'a str,
    /// Column names, at least as many as `values`.
    pub columns: &'a [String],
    /// Line number where the record is (starts, for delimited text and SQL;
    /// ends, for a JSON array element).
    pub line: u64,
    /// Values as text; SQL NULL and JSON null are empty.
    pub values: &'a [String],
}

/// What a reader met besides rows.
#[derive(Debug, Default, Clone)]
pub struct ReadStats {
    pub rows: u64,
    /// Records skipped as malformed or over a cap.
    pub skipped: u64,
    /// Why (the first few).
    pub notes: Vec<String>,
}

impl ReadStats {
    fn skip(&mut self, why: String) {
        self.skipped += 1;
        if self.notes.len() < 5 {
            self.notes.push(why);
        }
    }
}

/// Why reading stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("cancelled")]
    Cancelled,
}

type Sink<'s> = dyn FnMut(&Row) -> ControlFlow<()> + 's;

fn is_text(b: &[u8]) -> bool {
    if b.is_empty() {
        return false;
    }
    let bad = b
        .iter()
        .filter(|&&c| c == 0 || (c < 0x20 && !b"\t\n\r\x0c".contains(&c)) || c == 0x7f)
        .count();
    bad == 0 || (b.len() > 512 && bad * 100 < b.len())
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b)
}

/// Detect the format of a file from its first bytes ([`SNIFF_BYTES`]).
/// `None` when it holds no text Exhibit can read as rows.
pub fn detect(prefix: &[u8]) -> Option<Detected> {
    let p = strip_bom(prefix);
    if !is_text(p) {
        return None;
    }
    let trimmed = p.trim_ascii_start();
    if trimmed.is_empty() {
        return None;
    }
    if matches!(trimmed.first(), Some(b'[' | b'{')) {
        return Some(json_kind(trimmed));
    }
    if let Some(f) = sql_kind(p) {
        return Some(Detected {
            format: f,
            delimiter: None,
            header: false,
        });
    }
    if let Some((delim, header)) = sniff_delimited(p) {
        return Some(Detected {
            format: SampleFormat::Csv,
            delimiter: Some(delim),
            header,
        });
    }
    Some(lines_kind(p))
}

/// The reader settings for a format the user forced.
pub fn forced(prefix: &[u8], format: SampleFormat) -> Detected {
    let p = strip_bom(prefix);
    match format {
        SampleFormat::Csv => {
            let (delimiter, header) = sniff_delimited(p).unwrap_or((b',', false));
            Detected {
                format,
                delimiter: Some(delimiter),
                header,
            }
        }
        SampleFormat::Lines => lines_kind(p),
        f => Detected {
            format: f,
            delimiter: None,
            header: false,
        },
    }
}

fn complete_lines(p: &[u8]) -> impl Iterator<Item = &[u8]> {
    // Drop a last line cut by the prefix's end.
    let end = if p.len() >= SNIFF_BYTES {
        memchr::memrchr(b'\n', p).unwrap_or(p.len())
    } else {
        p.len()
    };
    p.get(..end)
        .unwrap_or_default()
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

fn records(v: &serde_json::Value) -> bool {
    matches!(v, serde_json::Value::Array(items)
        if !items.is_empty() && items.iter().all(|v| v.is_object() || v.is_array()))
}

fn json_kind(p: &[u8]) -> Detected {
    let mut lines = complete_lines(p).filter(|l| !l.trim_ascii().is_empty());
    let format = match lines
        .next()
        .map(serde_json::from_slice::<serde_json::Value>)
    {
        Some(Ok(serde_json::Value::Array(items)))
            if items.iter().all(|v| v.is_object() || v.is_array()) && !items.is_empty() =>
        {
            // One array of records on one line: a document, unless more
            // arrays follow on the next lines (JSON Lines of arrays).
            match lines.next() {
                Some(l) if l.trim_ascii_start().first() == Some(&b'[') => SampleFormat::JsonLines,
                _ => SampleFormat::Json,
            }
        }
        // One object on the only line, holding an array of records:
        // `{"data": [...]}`, a document.
        Some(Ok(serde_json::Value::Object(m)))
            if m.values().any(records) && lines.next().is_none() =>
        {
            SampleFormat::Json
        }
        Some(Ok(_)) => SampleFormat::JsonLines,
        _ => SampleFormat::Json,
    };
    Detected {
        format,
        delimiter: None,
        header: false,
    }
}

fn sql_kind(p: &[u8]) -> Option<SampleFormat> {
    let text = String::from_utf8_lossy(p).to_ascii_lowercase();
    let starts = |kw: &str| text.lines().any(|l| l.trim_start().starts_with(kw));
    let copy = text
        .lines()
        .any(|l| l.trim_start().starts_with("copy ") && l.contains("from stdin"));
    let insert = starts("insert into") || starts("insert ignore into") || starts("replace into");
    let create = starts("create table");
    let postgres = text.contains("postgresql database dump");
    if copy && (!insert || postgres) {
        Some(SampleFormat::PostgresCopy)
    } else if insert || create {
        Some(if postgres {
            SampleFormat::PostgresCopy
        } else {
            SampleFormat::MysqlDump
        })
    } else {
        None
    }
}

/// The delimiter and whether there is a header, when the text reads as
/// delimited records of a consistent width (two fields or more).
fn sniff_delimited(p: &[u8]) -> Option<(u8, bool)> {
    let end = if p.len() >= SNIFF_BYTES {
        memchr::memrchr(b'\n', p).unwrap_or(p.len())
    } else {
        p.len()
    };
    let sample = p.get(..end)?;
    let mut best: Option<(u8, f64, usize)> = None;
    for d in [b',', b'\t', b';', b'|'] {
        if !sample.contains(&d) {
            continue;
        }
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(d)
            .has_headers(false)
            .flexible(true)
            .from_reader(sample);
        let widths: Vec<usize> = rdr
            .byte_records()
            .take(100)
            .filter_map(Result::ok)
            .map(|r| r.len())
            .collect();
        if widths.is_empty() {
            continue;
        }
        let mut counts = std::collections::HashMap::new();
        for w in &widths {
            *counts.entry(*w).or_insert(0usize) += 1;
        }
        let Some((&mode, &n)) = counts.iter().max_by_key(|(w, n)| (**n, **w)) else {
            continue;
        };
        let share = n as f64 / widths.len() as f64;
        if mode < 2 || share < 0.8 {
            continue;
        }
        if best.is_none_or(|(_, s, w)| (share, mode) > (s, w)) {
            best = Some((d, share, mode));
        }
    }
    let (d, _, _) = best?;
    Some((d, has_header(sample, d)))
}

fn identifier_like(f: &[u8]) -> bool {
    let f = f.trim_ascii();
    !f.is_empty()
        && f.len() <= 64
        && f.first()
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        && f.iter()
            .all(|c| c.is_ascii_alphanumeric() || b" _-.#()/".contains(c))
}

fn has_header(sample: &[u8], d: u8) -> bool {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(d)
        .has_headers(false)
        .flexible(true)
        .from_reader(sample);
    let recs: Vec<csv::ByteRecord> = rdr.byte_records().take(50).filter_map(Result::ok).collect();
    let Some((first, rest)) = recs.split_first() else {
        return false;
    };
    if !first.iter().all(identifier_like) {
        return false;
    }
    // A first record of names over records that are not all name-like.
    rest.is_empty() || rest.iter().any(|r| !r.iter().all(identifier_like))
}

fn lines_kind(p: &[u8]) -> Detected {
    let lines: Vec<&[u8]> = complete_lines(p)
        .filter(|l| !l.trim_ascii().is_empty())
        .take(200)
        .collect();
    let pairs = lines
        .iter()
        .filter(|l| {
            memchr::memchr(b':', l).is_some_and(|i| {
                i > 0
                    && !l.get(..i).unwrap_or_default().contains(&b' ')
                    && l.get(i + 1..i + 3) != Some(b"//")
            })
        })
        .count();
    let split = !lines.is_empty() && pairs * 10 >= lines.len() * 8;
    Detected {
        format: SampleFormat::Lines,
        delimiter: split.then_some(b':'),
        header: false,
    }
}

/// Counts lines, and bytes since the last [`Budget::reset`], of the bytes
/// read through it; fails with `InvalidData` once one record goes over its
/// cap (an unbalanced quote would otherwise make one record of the rest of
/// the file).
struct Counted<R> {
    inner: R,
    state: Rc<Budget>,
}

struct Budget {
    lines: Cell<u64>,
    since_reset: Cell<u64>,
    cap: u64,
    what: &'static str,
}

impl Budget {
    fn reset(&self) {
        self.since_reset.set(0);
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let got = buf.get(..n).unwrap_or_default();
        let nl = memchr::memchr_iter(b'\n', got).count() as u64;
        self.state.lines.set(self.state.lines.get() + nl);
        let s = self.state.since_reset.get() + n as u64;
        self.state.since_reset.set(s);
        if s > self.state.cap {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} longer than {} MiB near line {} (an unbalanced quote or a file that is not records)",
                    self.state.what,
                    self.state.cap >> 20,
                    self.state.lines.get() + 1
                ),
            ));
        }
        Ok(n)
    }
}

/// Read every row of `r` in format `d`, calling `f` for each; `f` stops the
/// read with `Break`.
pub fn read_rows(
    r: &mut dyn BufRead,
    d: &Detected,
    cancel: &CancelToken,
    f: &mut Sink<'_>,
) -> Result<ReadStats, ReadError> {
    // A BOM is not part of the first value.
    if r.fill_buf()?.starts_with(b"\xef\xbb\xbf") {
        r.consume(3);
    }
    match d.format {
        SampleFormat::Csv => read_csv(r, d.delimiter.unwrap_or(b','), d.header, cancel, f),
        SampleFormat::Json => read_json(r, cancel, f),
        SampleFormat::JsonLines => read_json_lines(r, cancel, f),
        SampleFormat::MysqlDump => Sql::new(r, true).run(cancel, f),
        SampleFormat::PostgresCopy => Sql::new(r, false).run(cancel, f),
        SampleFormat::Lines => read_list(r, d.delimiter == Some(b':'), cancel, f),
    }
}

fn column_names(n: usize, names: &mut Vec<String>) {
    while names.len() < n {
        names.push(format!("column_{}", names.len() + 1));
    }
}

fn read_csv(
    r: &mut dyn BufRead,
    delim: u8,
    header: bool,
    cancel: &CancelToken,
    f: &mut Sink<'_>,
) -> Result<ReadStats, ReadError> {
    let budget = Rc::new(Budget {
        lines: Cell::new(0),
        since_reset: Cell::new(0),
        cap: MAX_RECORD_BYTES,
        what: "a delimited record",
    });
    let counted = Counted {
        inner: r,
        state: budget.clone(),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(counted);
    let mut stats = ReadStats::default();
    let mut columns: Vec<String> = Vec::new();
    let mut rec = csv::ByteRecord::new();
    let mut values: Vec<String> = Vec::new();
    let mut first = true;
    loop {
        if stats.rows.is_multiple_of(4096) && cancel.is_cancelled() {
            return Err(ReadError::Cancelled);
        }
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(_) => {
                    let msg = e.to_string();
                    return Err(ReadError::Io(io::Error::new(
                        io::ErrorKind::InvalidData,
                        msg,
                    )));
                }
                _ => {
                    stats.skip(format!("unreadable record: {e}"));
                    continue;
                }
            },
        }
        budget.reset();
        let line = rec.position().map_or(0, |p| p.line());
        values.clear();
        values.extend(rec.iter().map(|v| String::from_utf8_lossy(v).into_owned()));
        if first {
            first = false;
            if header {
                columns = values.iter().map(|v| v.trim().to_string()).collect();
                continue;
            }
        }
        if values.len() == 1 && values.first().is_some_and(|v| v.trim().is_empty()) {
            continue; // a blank line
        }
        column_names(values.len(), &mut columns);
        stats.rows += 1;
        let row = Row {
            table: "",
            columns: &columns,
            line,
            values: &values,
        };
        if f(&row).is_break() {
            break;
        }
    }
    Ok(stats)
}

/// Reads one line into `buf` (without its ending), keeping at most
/// [`MAX_LINE_BYTES`]; returns `None` at the end, else whether the line was
/// cut.
fn read_line_capped(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> io::Result<Option<bool>> {
    buf.clear();
    let mut cut = false;
    let mut any = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        let room = MAX_LINE_BYTES.saturating_sub(buf.len());
        if take > room {
            cut = true;
        }
        buf.extend_from_slice(chunk.get(..take.min(room)).unwrap_or_default());
        r.consume(if done { take + 1 } else { take });
        if done {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(cut))
}

fn read_list(
    r: &mut dyn BufRead,
    split: bool,
    cancel: &CancelToken,
    f: &mut Sink<'_>,
) -> Result<ReadStats, ReadError> {
    let columns: Vec<String> = if split {
        vec!["user".into(), "password_or_hash".into()]
    } else {
        vec!["value".into()]
    };
    let mut stats = ReadStats::default();
    let mut buf = Vec::new();
    let mut line = 0u64;
    let mut values: Vec<String> = Vec::new();
    while let Some(cut) = read_line_capped(r, &mut buf)? {
        line += 1;
        if line.is_multiple_of(4096) && cancel.is_cancelled() {
            return Err(ReadError::Cancelled);
        }
        if cut {
            stats.skip(format!("line {line} is longer than {MAX_LINE_BYTES} bytes"));
            continue;
        }
        let text = String::from_utf8_lossy(&buf);
        let t = text.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        values.clear();
        match (split, t.split_once(':')) {
            (true, Some((u, h))) => {
                values.push(u.to_string());
                values.push(h.to_string());
            }
            _ => values.push(t.to_string()),
        }
        stats.rows += 1;
        if f(&Row {
            table: "",
            columns: &columns,
            line,
            values: &values,
        })
        .is_break()
        {
            break;
        }
    }
    Ok(stats)
}

/// JSON values as rows: object keys become columns (one level of nested
/// objects flattened as `a.b`), arrays are positional.
struct JsonRows {
    columns: Vec<String>,
    index: std::collections::HashMap<String, usize>,
    values: Vec<String>,
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

impl JsonRows {
    fn new() -> Self {
        Self {
            columns: Vec::new(),
            index: std::collections::HashMap::new(),
            values: Vec::new(),
        }
    }

    fn set(&mut self, key: String, v: String) {
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                let i = self.columns.len();
                self.columns.push(key.clone());
                self.index.insert(key, i);
                i
            }
        };
        if self.values.len() <= i {
            self.values.resize(i + 1, String::new());
        }
        if let Some(slot) = self.values.get_mut(i) {
            *slot = v;
        }
    }

    /// Fill `values` from one record; false when it is not a record.
    fn fill(&mut self, v: serde_json::Value) -> bool {
        self.values.clear();
        match v {
            serde_json::Value::Object(mut m) => {
                // Keys in order whatever map serde_json was built with (the
                // `yara` feature turns on its `preserve_order`).
                m.sort_keys();
                for (k, v) in m {
                    match v {
                        serde_json::Value::Object(mut inner) => {
                            inner.sort_keys();
                            for (k2, v2) in inner {
                                self.set(format!("{k}.{k2}"), scalar(&v2));
                            }
                        }
                        other => self.set(k, scalar(&other)),
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.set(format!("column_{}", i + 1), scalar(v));
                }
            }
            _ => return false,
        }
        self.values.resize(self.columns.len(), String::new());
        true
    }
}

fn read_json_lines(
    r: &mut dyn BufRead,
    cancel: &CancelToken,
    f: &mut Sink<'_>,
) -> Result<ReadStats, ReadError> {
    let mut stats = ReadStats::default();
    let mut rows = JsonRows::new();
    let mut buf = Vec::new();
    let mut line = 0u64;
    while let Some(cut) = read_line_capped(r, &mut buf)? {
        line += 1;
        if line.is_multiple_of(4096) && cancel.is_cancelled() {
            return Err(ReadError::Cancelled);
        }
        if cut {
            stats.skip(format!("line {line} is longer than {MAX_LINE_BYTES} bytes"));
            continue;
        }
        if buf.trim_ascii().is_empty() {
            continue;
        }
        let v = match serde_json::from_slice::<serde_json::Value>(&buf) {
            Ok(v) => v,
            Err(e) => {
                stats.skip(format!("line {line} is not JSON: {e}"));
                continue;
            }
        };
        if !rows.fill(v) {
            stats.skip(format!("line {line} is not an object or an array"));
            continue;
        }
        stats.rows += 1;
        if f(&Row {
            table: "",
            columns: &rows.columns,
            line,
            values: &rows.values,
        })
        .is_break()
        {
            break;
        }
    }
    Ok(stats)
}

/// Error text serde carries when the callback asked to stop.
const STOP: &str = "\u{0}exhibit-stop";

struct JsonWalk<'a, 's> {
    rows: JsonRows,
    stats: ReadStats,
    budget: Rc<Budget>,
    cancel: &'a CancelToken,
    f: &'a mut Sink<'s>,
}

struct Top<'w, 'a, 's>(&'w mut JsonWalk<'a, 's>);

impl<'de> serde::de::DeserializeSeed<'de> for Top<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Top<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of records, or an object holding one")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let w = self.0;
        w.budget.reset();
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            w.budget.reset();
            if w.stats.rows.is_multiple_of(4096) && w.cancel.is_cancelled() {
                return Err(serde::de::Error::custom(STOP));
            }
            if !w.rows.fill(v) {
                w.stats
                    .skip("an array element that is not an object or an array".into());
                continue;
            }
            w.stats.rows += 1;
            let row = Row {
                table: "",
                columns: &w.rows.columns,
                line: w.budget.lines.get() + 1,
                values: &w.rows.values,
            };
            if (w.f)(&row).is_break() {
                return Err(serde::de::Error::custom(STOP));
            }
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let w = self.0;
        let mut done = false;
        while let Some(_key) = map.next_key::<serde::de::IgnoredAny>()? {
            if done {
                map.next_value::<serde::de::IgnoredAny>()?;
            } else {
                // The first array of records: `{"data": [...]}`.
                map.next_value_seed(Top(&mut *w))?;
                done = w.stats.rows > 0;
            }
        }
        Ok(())
    }

    fn visit_str<E: serde::de::Error>(self, _v: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: serde::de::Error>(self, _v: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, _v: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, _v: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, _v: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

fn read_json(
    r: &mut dyn BufRead,
    cancel: &CancelToken,
    f: &mut Sink<'_>,
) -> Result<ReadStats, ReadError> {
    let budget = Rc::new(Budget {
        lines: Cell::new(0),
        since_reset: Cell::new(0),
        cap: MAX_RECORD_BYTES,
        what: "one JSON record",
    });
    let counted = Counted {
        inner: r,
        state: budget.clone(),
    };
    let mut walk = JsonWalk {
        rows: JsonRows::new(),
        stats: ReadStats::default(),
        budget,
        cancel,
        f,
    };
    let mut de = serde_json::Deserializer::from_reader(counted);
    let res = serde::de::DeserializeSeed::deserialize(Top(&mut walk), &mut de);
    let mut stats = walk.stats;
    match res {
        Ok(()) => {}
        Err(e) if e.to_string().starts_with(STOP) => {
            if cancel.is_cancelled() {
                return Err(ReadError::Cancelled);
            }
        }
        Err(e) if e.is_io() => return Err(ReadError::Io(io::Error::other(e.to_string()))),
        Err(e) => {
            if stats.rows == 0 {
                return Err(ReadError::Io(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("not a JSON array of records: {e}"),
                )));
            }
            stats.skip(format!("the JSON document ends badly: {e}"));
        }
    }
    Ok(stats)
}

/// A lexical token of an SQL dump.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Ident(String),
    Punct(u8),
    Eof,
}

/// A streaming reader of SQL dumps: `CREATE TABLE` (for column names),
/// `INSERT INTO ... VALUES (...),(...);` and `COPY ... FROM stdin;` data
/// blocks. Everything else is skipped statement by statement.
struct Sql<'r> {
    r: &'r mut dyn BufRead,
    line: u64,
    backslash: bool,
    tables: std::collections::HashMap<String, Vec<String>>,
    stats: ReadStats,
    stop: bool,
}

fn eq(t: &Tok, kw: &str) -> bool {
    matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
}

impl<'r> Sql<'r> {
    fn new(r: &'r mut dyn BufRead, backslash: bool) -> Self {
        Sql {
            r,
            line: 1,
            backslash,
            tables: std::collections::HashMap::new(),
            stats: ReadStats::default(),
            stop: false,
        }
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        loop {
            match self.r.fill_buf() {
                Ok(b) => return Ok(b.first().copied()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn bump(&mut self) -> io::Result<Option<u8>> {
        let c = self.peek()?;
        if let Some(c) = c {
            self.r.consume(1);
            if c == b'\n' {
                self.line += 1;
            }
        }
        Ok(c)
    }

    fn skip_line(&mut self) -> io::Result<()> {
        while let Some(c) = self.bump()? {
            if c == b'\n' {
                break;
            }
        }
        Ok(())
    }

    fn quoted(&mut self, q: u8, escapes: bool) -> io::Result<String> {
        let mut out: Vec<u8> = Vec::new();
        let mut cut = false;
        let mut push = |out: &mut Vec<u8>, b: u8| {
            if out.len() < MAX_SQL_VALUE_BYTES {
                out.push(b);
            } else {
                cut = true;
            }
        };
        while let Some(c) = self.bump()? {
            if c == q {
                if self.peek()? == Some(q) {
                    self.bump()?;
                    push(&mut out, q);
                    continue;
                }
                break;
            }
            if c == b'\\' && escapes {
                let Some(e) = self.bump()? else { break };
                let b = match e {
                    b'0' => 0,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'Z' => 0x1a,
                    b'b' => 0x08,
                    other => other,
                };
                push(&mut out, b);
                continue;
            }
            push(&mut out, c);
        }
        if cut {
            self.stats.skip(format!(
                "a value longer than {MAX_SQL_VALUE_BYTES} bytes was cut (line {})",
                self.line
            ));
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn token(&mut self) -> io::Result<Tok> {
        loop {
            let Some(c) = self.peek()? else {
                return Ok(Tok::Eof);
            };
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | 0x0c => {
                    self.bump()?;
                }
                b'#' => self.skip_line()?,
                b'-' => {
                    self.bump()?;
                    if self.peek()? == Some(b'-') {
                        self.skip_line()?;
                    } else {
                        let mut w = String::from("-");
                        self.word_rest(&mut w)?;
                        return Ok(Tok::Word(w));
                    }
                }
                b'/' => {
                    self.bump()?;
                    if self.peek()? == Some(b'*') {
                        self.bump()?;
                        let mut prev = 0u8;
                        while let Some(c) = self.bump()? {
                            if prev == b'*' && c == b'/' {
                                break;
                            }
                            prev = c;
                        }
                    } else {
                        return Ok(Tok::Punct(b'/'));
                    }
                }
                b'\'' => {
                    self.bump()?;
                    let esc = self.backslash;
                    return Ok(Tok::Str(self.quoted(b'\'', esc)?));
                }
                b'`' => {
                    self.bump()?;
                    return Ok(Tok::Ident(self.quoted(b'`', false)?));
                }
                b'"' => {
                    self.bump()?;
                    let esc = self.backslash;
                    return Ok(Tok::Ident(self.quoted(b'"', esc)?));
                }
                c if c.is_ascii_alphanumeric() || b"_.$+".contains(&c) || c >= 0x80 => {
                    let mut w = String::new();
                    self.word_rest(&mut w)?;
                    return Ok(Tok::Word(w));
                }
                other => {
                    self.bump()?;
                    return Ok(Tok::Punct(other));
                }
            }
        }
    }

    fn word_rest(&mut self, w: &mut String) -> io::Result<()> {
        let mut bytes = Vec::new();
        while let Some(c) = self.peek()? {
            if c.is_ascii_alphanumeric() || b"_.$+-:".contains(&c) || c >= 0x80 {
                if bytes.len() < MAX_SQL_VALUE_BYTES {
                    bytes.push(c);
                }
                self.bump()?;
            } else {
                break;
            }
        }
        w.push_str(&String::from_utf8_lossy(&bytes));
        Ok(())
    }

    /// Skip to the end of the statement (`;` outside parentheses).
    fn skip_statement(&mut self, mut t: Tok) -> io::Result<()> {
        let mut depth = 0i64;
        loop {
            match t {
                Tok::Eof => return Ok(()),
                Tok::Punct(b'(') => depth += 1,
                Tok::Punct(b')') => depth -= 1,
                Tok::Punct(b';') if depth <= 0 => return Ok(()),
                _ => {}
            }
            t = self.token()?;
        }
    }

    /// A possibly qualified name (`db`.`t`, public.t): its last part.
    fn name(&mut self, first: Tok) -> io::Result<(Option<String>, Tok)> {
        let mut name = match first {
            Tok::Word(w) | Tok::Ident(w) => w,
            other => return Ok((None, other)),
        };
        loop {
            let t = self.token()?;
            if t == Tok::Punct(b'.') {
                match self.token()? {
                    Tok::Word(w) | Tok::Ident(w) => name = w,
                    other => return Ok((Some(name), other)),
                }
            } else {
                let last = name.rsplit('.').next().unwrap_or(&name).to_string();
                return Ok((Some(last), t));
            }
        }
    }

    /// `( a, b, c )` after its `(`: the identifiers.
    fn ident_list(&mut self) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        loop {
            match self.token()? {
                Tok::Word(w) | Tok::Ident(w) => out.push(w),
                Tok::Punct(b')') | Tok::Eof => return Ok(out),
                _ => {}
            }
        }
    }

    fn run(mut self, cancel: &CancelToken, f: &mut Sink<'_>) -> Result<ReadStats, ReadError> {
        loop {
            if self.stop {
                break;
            }
            if cancel.is_cancelled() {
                return Err(ReadError::Cancelled);
            }
            let t = self.token()?;
            if t == Tok::Eof {
                break;
            }
            if eq(&t, "INSERT") || eq(&t, "REPLACE") {
                self.insert(cancel, f)?;
            } else if eq(&t, "CREATE") {
                self.create()?;
            } else if eq(&t, "COPY") {
                self.copy(cancel, f)?;
            } else if t != Tok::Punct(b';') {
                self.skip_statement(t)?;
            }
        }
        Ok(self.stats)
    }

    fn create(&mut self) -> io::Result<()> {
        let mut t = self.token()?;
        while eq(&t, "TEMPORARY") || eq(&t, "UNLOGGED") || eq(&t, "GLOBAL") || eq(&t, "LOCAL") {
            t = self.token()?;
        }
        if !eq(&t, "TABLE") {
            return self.skip_statement(t);
        }
        let mut t = self.token()?;
        if eq(&t, "IF") {
            // IF NOT EXISTS
            self.token()?;
            self.token()?;
            t = self.token()?;
        }
        let (name, t) = self.name(t)?;
        let Some(name) = name else {
            return self.skip_statement(t);
        };
        if t != Tok::Punct(b'(') {
            return self.skip_statement(t);
        }
        const NOT_COLUMNS: [&str; 12] = [
            "PRIMARY",
            "KEY",
            "UNIQUE",
            "CONSTRAINT",
            "INDEX",
            "FOREIGN",
            "FULLTEXT",
            "SPATIAL",
            "CHECK",
            "LIKE",
            "EXCLUDE",
            "PERIOD",
        ];
        let mut cols = Vec::new();
        let mut depth = 1i64;
        let mut at_start = true;
        loop {
            let t = self.token()?;
            match &t {
                Tok::Eof => break,
                Tok::Punct(b'(') => depth += 1,
                Tok::Punct(b')') => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Tok::Punct(b',') if depth == 1 => {
                    at_start = true;
                    continue;
                }
                Tok::Ident(w) if at_start && depth == 1 => cols.push(w.clone()),
                Tok::Word(w)
                    if at_start
                        && depth == 1
                        && !NOT_COLUMNS.iter().any(|k| w.eq_ignore_ascii_case(k)) =>
                {
                    cols.push(w.clone())
                }
                _ => {}
            }
            at_start = false;
        }
        self.tables.insert(name, cols);
        let t = self.token()?;
        self.skip_statement(t)
    }

    fn columns_for(&self, table: &str, listed: Vec<String>) -> Vec<String> {
        if !listed.is_empty() {
            return listed;
        }
        self.tables.get(table).cloned().unwrap_or_default()
    }

    fn insert(&mut self, cancel: &CancelToken, f: &mut Sink<'_>) -> Result<(), ReadError> {
        let mut t = self.token()?;
        while eq(&t, "LOW_PRIORITY")
            || eq(&t, "DELAYED")
            || eq(&t, "HIGH_PRIORITY")
            || eq(&t, "IGNORE")
        {
            t = self.token()?;
        }
        if eq(&t, "INTO") {
            t = self.token()?;
        }
        let (name, mut t) = self.name(t)?;
        let Some(table) = name else {
            return Ok(self.skip_statement(t)?);
        };
        let mut listed = Vec::new();
        if t == Tok::Punct(b'(') {
            listed = self.ident_list()?;
            t = self.token()?;
        }
        if !(eq(&t, "VALUES") || eq(&t, "VALUE")) {
            return Ok(self.skip_statement(t)?);
        }
        let mut columns = self.columns_for(&table, listed);
        let mut values: Vec<String> = Vec::new();
        loop {
            let t = self.token()?;
            match t {
                Tok::Punct(b'(') => {}
                Tok::Punct(b',') => continue,
                Tok::Punct(b';') | Tok::Eof => return Ok(()),
                other => return Ok(self.skip_statement(other)?),
            }
            let line = self.line;
            values.clear();
            let mut cur = String::new();
            let mut had_str = false;
            let mut depth = 0i64;
            loop {
                let t = self.token()?;
                match t {
                    Tok::Eof => return Ok(()),
                    Tok::Punct(b'(') => {
                        depth += 1;
                    }
                    Tok::Punct(b')') if depth > 0 => depth -= 1,
                    Tok::Punct(b',') | Tok::Punct(b')') if depth == 0 => {
                        values.push(std::mem::take(&mut cur));
                        had_str = false;
                        if t == Tok::Punct(b')') {
                            break;
                        }
                    }
                    Tok::Str(s) | Tok::Ident(s) => {
                        // `_binary 'x'`, `X'..'`: the string is the value.
                        cur = s;
                        had_str = true;
                    }
                    Tok::Word(w) => {
                        if !had_str {
                            if w.eq_ignore_ascii_case("NULL") {
                                cur.clear();
                            } else if !w.starts_with('_') {
                                cur.push_str(&w);
                            }
                        }
                    }
                    Tok::Punct(_) => {}
                }
            }
            if cancel.is_cancelled() {
                return Err(ReadError::Cancelled);
            }
            column_names(values.len(), &mut columns);
            self.stats.rows += 1;
            if f(&Row {
                table: &table,
                columns: &columns,
                line,
                values: &values,
            })
            .is_break()
            {
                self.stop = true;
                return Ok(());
            }
        }
    }

    fn copy(&mut self, cancel: &CancelToken, f: &mut Sink<'_>) -> Result<(), ReadError> {
        let t = self.token()?;
        let (name, mut t) = self.name(t)?;
        let Some(table) = name else {
            return Ok(self.skip_statement(t)?);
        };
        let mut listed = Vec::new();
        if t == Tok::Punct(b'(') {
            listed = self.ident_list()?;
            t = self.token()?;
        }
        if !eq(&t, "FROM") {
            return Ok(self.skip_statement(t)?);
        }
        let t = self.token()?;
        if !eq(&t, "stdin") {
            return Ok(self.skip_statement(t)?);
        }
        let t = self.token()?;
        self.skip_statement(t)?;
        // The data starts on the next line.
        self.skip_line()?;
        let mut columns = self.columns_for(&table, listed);
        let mut buf = Vec::new();
        let mut values: Vec<String> = Vec::new();
        loop {
            let line = self.line;
            let Some(cut) = read_line_capped(self.r, &mut buf)? else {
                return Ok(());
            };
            self.line += 1;
            if buf == b"\\." {
                return Ok(());
            }
            if cut {
                self.stats
                    .skip(format!("line {line} is longer than {MAX_LINE_BYTES} bytes"));
                continue;
            }
            if line.is_multiple_of(4096) && cancel.is_cancelled() {
                return Err(ReadError::Cancelled);
            }
            values.clear();
            values.extend(buf.split(|&b| b == b'\t').map(copy_unescape));
            column_names(values.len(), &mut columns);
            self.stats.rows += 1;
            if f(&Row {
                table: &table,
                columns: &columns,
                line,
                values: &values,
            })
            .is_break()
            {
                self.stop = true;
                return Ok(());
            }
        }
    }
}

/// A field of PostgreSQL's COPY text format: `\N` is NULL, backslash
/// escapes.
fn copy_unescape(f: &[u8]) -> String {
    if f == b"\\N" {
        return String::new();
    }
    if !f.contains(&b'\\') {
        return String::from_utf8_lossy(f).into_owned();
    }
    let mut out = Vec::with_capacity(f.len());
    let mut i = 0;
    while let Some(&c) = f.get(i) {
        if c == b'\\'
            && let Some(&e) = f.get(i + 1)
        {
            out.push(match e {
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'b' => 0x08,
                b'f' => 0x0c,
                b'v' => 0x0b,
                other => other,
            });
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (table, line, column names, values) of each row.
    type Rows = Vec<(String, u64, Vec<String>, Vec<String>)>;

    fn rows(text: &str) -> (Detected, Rows) {
        let d = detect(text.as_bytes()).expect("detected");
        let mut out = Vec::new();
        let mut r = text.as_bytes();
        read_rows(&mut r, &d, &CancelToken::new(), &mut |row: &Row| {
            out.push((
                row.table.to_string(),
                row.line,
                row.columns[..row.values.len()].to_vec(),
                row.values.to_vec(),
            ));
            ControlFlow::Continue(())
        })
        .expect("read");
        (d, out)
    }

    #[test]
    fn csv_with_header_and_quotes() {
        let (d, r) = rows(
            "id,email,name\n1,a@x.org,\"Doe, John\"\n2,b@x.org,\"Multi\nLine\"\n3,c@x.org,Z\n",
        );
        assert_eq!(d.format, SampleFormat::Csv);
        assert_eq!(d.delimiter, Some(b','));
        assert!(d.header);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].2, ["id", "email", "name"]);
        assert_eq!(r[0].3, ["1", "a@x.org", "Doe, John"]);
        assert_eq!(r[1].1, 3);
        assert_eq!(r[2].1, 5);
    }

    #[test]
    fn tsv_and_semicolon_without_header() {
        let (d, r) = rows("1\ta@x.org\tAnn\n2\tb@x.org\tBob\n");
        assert_eq!(d.delimiter, Some(b'\t'));
        assert!(!d.header);
        assert_eq!(r[1].2, ["column_1", "column_2", "column_3"]);
        let (d, _) = rows("a@x.org;Ann;Paris\nb@x.org;Bob;Rome\n");
        assert_eq!(d.delimiter, Some(b';'));
    }

    #[test]
    fn json_documents_and_lines() {
        let (d, r) = rows(
            "[\n {\"id\": 1, \"email\": \"a@x.org\", \"addr\": {\"city\": \"Paris\"}},\n {\"id\": 2, \"email\": null}\n]\n",
        );
        assert_eq!(d.format, SampleFormat::Json);
        assert_eq!(r.len(), 2);
        // Keys in serde_json's (sorted) order.
        assert_eq!(r[0].2, ["addr.city", "email", "id"]);
        assert_eq!(r[1].3, ["", "", "2"]);
        let (d, r) = rows("{\"data\": [[1, \"a@x.org\"], [2, \"b@x.org\"]]}");
        assert_eq!(d.format, SampleFormat::Json);
        assert_eq!(r[1].3, ["2", "b@x.org"]);
        let (d, r) = rows("{\"e\": \"a@x.org\"}\n{\"e\": \"b@x.org\"}\n");
        assert_eq!(d.format, SampleFormat::JsonLines);
        assert_eq!(r[1].1, 2);
    }

    #[test]
    fn mysql_dump() {
        let dump = "-- MySQL dump\n/*!40101 SET NAMES utf8 */;\nCREATE TABLE `clients` (\n  `id` int NOT NULL,\n  `email` varchar(255) DEFAULT NULL,\n  `name` varchar(64),\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\nINSERT INTO `clients` VALUES (1,'a@x.org','O\\'Brien'),(2,'b@x.org',NULL);\nINSERT INTO clients (email, id) VALUES ('c@x.org', 3);\n";
        let (d, r) = rows(dump);
        assert_eq!(d.format, SampleFormat::MysqlDump);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].0, "clients");
        assert_eq!(r[0].2, ["id", "email", "name"]);
        assert_eq!(r[0].3, ["1", "a@x.org", "O'Brien"]);
        assert_eq!(r[1].3, ["2", "b@x.org", ""]);
        assert_eq!(r[2].2, ["email", "id"]);
        assert_eq!(r[0].1, 9);
    }

    #[test]
    fn postgres_copy() {
        let dump = "--\n-- PostgreSQL database dump\n--\nCOPY public.clients (id, email, note) FROM stdin;\n1\ta@x.org\t\\N\n2\tb@x.org\ttab\\there\n\\.\nSELECT 1;\n";
        let (d, r) = rows(dump);
        assert_eq!(d.format, SampleFormat::PostgresCopy);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].2, ["id", "email", "note"]);
        assert_eq!(r[0].3, ["1", "a@x.org", ""]);
        assert_eq!(r[1].3[2], "tab\there");
        assert_eq!(r[0].1, 5);
    }

    #[test]
    fn plain_lists() {
        let (d, r) = rows("alice@example.com\nbob@example.com\n");
        assert_eq!(d.format, SampleFormat::Lines);
        assert_eq!(r[1].3, ["bob@example.com"]);
        let (d, r) = rows("alice:$2y$10$abc\nbob:5f4dcc3b5aa765d61d8327deb882cf99\n");
        assert_eq!(d.delimiter, Some(b':'));
        assert_eq!(r[0].3, ["alice", "$2y$10$abc"]);
    }

    #[test]
    fn binary_is_not_tabular() {
        assert!(detect(b"\x00\x01\x02PK\x03\x04garbage").is_none());
        assert!(detect(b"").is_none());
        assert!(detect(b"   \n  ").is_none());
    }

    #[test]
    fn an_unbalanced_quote_is_an_error_not_a_huge_record() {
        let mut text = String::from("a,b\n1,\"open\n");
        text.push_str(&"x".repeat((MAX_RECORD_BYTES + (1 << 20)) as usize));
        let d = Detected {
            format: SampleFormat::Csv,
            delimiter: Some(b','),
            header: true,
        };
        let mut r = text.as_bytes();
        let res = read_rows(&mut r, &d, &CancelToken::new(), &mut |_row: &Row| {
            ControlFlow::Continue(())
        });
        assert!(res.is_err());
    }
}
