//! Loading sources into the event store: log files, folders (recursively)
//! and evidence archives; gzip-compressed and rotated logs read
//! transparently; files parsed in parallel, results kept in a stable order
//! (sources sorted by archive and path, events in file order).

use super::event::{Draft, Event, Events, Kind, TextArena};
use super::merge::{AlsoIn, ErasedLine, SnapshotInfo};
use super::parsers::{self, Format, Method, SNIFF_BYTES, SourceCtx};
use crate::archive::checked::{Integrity, Verdict};
use crate::archive::{Archive, ArchiveError};
use crate::job::{CancelToken, Progress, ProgressSink};
use serde::Serialize;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// What to load.
#[derive(Debug, Clone, Default)]
pub struct LoadRequest {
    /// Log files, folders or evidence archives.
    pub sources: Vec<PathBuf>,
    /// Offset of the examined system's local time from UTC, in seconds, for
    /// formats that write no zone. `None`: infer (classic syslog) or UTC.
    pub tz_offset_s: Option<i64>,
    /// Force one format (by [`parsers::Format::name`]) instead of sniffing.
    pub format: Option<String>,
    /// Worker threads (0: one per core, at most 8).
    pub threads: usize,
}

/// A failure that stops the whole load (a named source that cannot be read
/// at all). Problems with single files inside a folder or an archive are
/// recorded on their [`SourceInfo`] instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    #[error("cannot read log source: {0}: {1}")]
    Io(std::io::Error, PathBuf),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("unknown log format {0:?} (known: {1})")]
    UnknownFormat(String, String),
    #[error("cancelled")]
    Cancelled,
}

/// One file that was read (or could not be).
#[derive(Debug, Clone, Serialize, Default)]
pub struct SourceInfo {
    /// The evidence archive holding the file, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive: Option<PathBuf>,
    /// Logical path (in an archive) or the file's path.
    pub path: String,
    /// The format that read it.
    pub parser: String,
    /// Events produced (parsed and unparsed lines/records).
    pub events: u64,
    /// Lines or records no parser understood (kept as unparsed events).
    pub unparsed: u64,
    /// Bytes read after decompression.
    pub size_bytes: u64,
    /// Whether the file was gzip-compressed.
    pub gzip: bool,
    /// The file's modification time (UTC microseconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtime_us: Option<i64>,
    /// The last line has no line ending (it may have been cut).
    pub missing_final_newline: bool,
    /// Lines that were not valid UTF-8 (read lossily).
    pub invalid_utf8_lines: u64,
    /// Lines longer than [`MAX_LINE_BYTES`]: their first [`MAX_LINE_BYTES`]
    /// are kept, the rest skipped (each named in a note).
    #[serde(skip_serializing_if = "is_zero")]
    pub truncated_lines: u64,
    /// Steps where a line's time is earlier than the previous line's.
    pub backwards_steps: u64,
    /// Earliest and latest event times.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_us: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_us: Option<i64>,
    /// The year of the times was inferred (classic syslog).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub year_inferred: bool,
    /// Assumptions made while reading (year, zone...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Why the file could not be read completely.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Lines that an earlier snapshot of the same host holds too: they are
    /// that snapshot's events, not repeated (see [`super::merge`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub merged_lines: u64,
    /// The snapshot (index into [`LogStore::snapshots`]) the file was read
    /// from, when its archive names its host.
    #[serde(skip)]
    pub snapshot: Option<u32>,
    /// For a file read from an archive: whether its bytes are the ones the
    /// manifest sealed (checked as they were read, see
    /// [`crate::archive::checked`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<Integrity>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The longest line the line driver keeps: the first this-many bytes of a
/// longer line are kept (cut back to a character boundary), the rest is
/// read and dropped without being buffered, and the source gets a note. A
/// single line (a gzip bomb of one 1 GiB line, say) cannot take more memory
/// than this.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Notes naming single over-long lines, per source; more are only counted.
const TRUNCATION_NOTES: u64 = 10;

/// A file that was looked at but not read as a log, with the reason.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive: Option<PathBuf>,
    pub path: String,
    pub reason: String,
}

/// Every event of every source, with the sources' summaries.
#[derive(Debug, Default)]
pub struct LogStore {
    pub sources: Vec<SourceInfo>,
    pub events: Events,
    pub skipped: Vec<Skipped>,
    /// Event indices sorted by (time, source, line); untimed events last.
    pub by_time: Vec<u32>,
    /// Position of each event in `by_time`.
    pub rank: Vec<u32>,
    /// Event indices of each kind, in time order.
    pub by_kind: std::collections::HashMap<Kind, Vec<u32>>,
    /// The evidence archives that name their host, as given.
    pub snapshots: Vec<SnapshotInfo>,
    /// Where else a merged event's line was read, sorted by the kept
    /// event's (source, line); see [`LogStore::also_in`].
    pub also_in: Vec<AlsoIn>,
    /// Lines of an earlier snapshot that a later one of the same host lost
    /// from the middle of its log, by event.
    pub erased: Vec<ErasedLine>,
}

impl LogStore {
    /// The indices of the events of one kind, in time order (empty when
    /// the logs hold none).
    pub fn of_kind(&self, kind: Kind) -> &[u32] {
        self.by_kind.get(&kind).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The sources whose bytes are not the ones their archive sealed.
    pub fn altered_sources(&self) -> impl Iterator<Item = &SourceInfo> {
        self.sources
            .iter()
            .filter(|s| s.integrity.as_ref().is_some_and(Integrity::is_mismatch))
    }

    /// Whether an event was read from a file whose bytes are not the
    /// sealed ones.
    pub fn from_altered(&self, e: &Event) -> bool {
        self.source_of(e)
            .and_then(|s| s.integrity.as_ref())
            .is_some_and(Integrity::is_mismatch)
    }

    /// The source of an event.
    pub fn source_of(&self, e: &Event) -> Option<&SourceInfo> {
        self.sources.get(e.source as usize)
    }

    /// The other snapshots' copies of an event's line (empty unless several
    /// snapshots of one host were merged).
    pub fn also_in(&self, e: &Event) -> &[AlsoIn] {
        let lo = self
            .also_in
            .partition_point(|a| (a.source, a.line) < (e.source, e.line));
        let n = self.also_in.get(lo..).map_or(0, |r| {
            r.partition_point(|a| (a.source, a.line) == (e.source, e.line))
        });
        self.also_in.get(lo..lo + n).unwrap_or(&[])
    }

    /// `archive:path:line` (or `path:line`) of an event, for evidence lines.
    pub fn location(&self, e: &Event) -> String {
        match self.source_of(e) {
            Some(s) => match &s.archive {
                Some(a) => format!("{}:{}:{}", a.display(), s.path, e.line),
                None => format!("{}:{}", s.path, e.line),
            },
            None => format!("?:{}", e.line),
        }
    }
}

enum Origin {
    Fs(PathBuf),
    Member(String),
}

struct Input {
    /// Expected size in bytes (to size buffers), 0 when unknown.
    size: u64,
    archive: Option<usize>,
    path: String,
    origin: Origin,
    mtime_us: Option<i64>,
    forced: Option<&'static Format>,
    /// The snapshot of its host the file belongs to.
    snapshot: Option<u32>,
}

/// Whether a logical path inside an archive looks like a log worth reading.
pub fn looks_like_log(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    let name = p.rsplit('/').next().unwrap_or(&p);
    p.contains("/log/")
        || p.contains("/logs/")
        || name.contains(".log")
        || name.ends_with("_log")
        || name.contains("history")
        || name.contains("wtmp")
        || name.contains("btmp")
        || name.contains("utmp")
        || (name.contains("lastlog") && name.ends_with(".db"))
        || name.ends_with(".journal")
        || name.ends_with(".journal~")
        || name.starts_with("access")
        || name.starts_with("error")
        || ["auth", "secure", "messages", "syslog"]
            .iter()
            .any(|n| name.starts_with(n))
}

fn mtime_of(md: &std::fs::Metadata) -> Option<i64> {
    let t = md.modified().ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_micros()).ok()
}

fn rfc_us(s: &Option<String>) -> Option<i64> {
    s.as_deref()
        .and_then(|s| super::time::iso(s.as_bytes(), 0))
        .map(|t| t.0)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, skipped: &mut Vec<Skipped>) {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            skipped.push(Skipped {
                archive: None,
                path: dir.display().to_string(),
                reason: format!("cannot list folder: {e}"),
            });
            return;
        }
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        match std::fs::symlink_metadata(&p) {
            Ok(md) if md.is_dir() => walk(&p, out, skipped),
            Ok(md) if md.is_file() => out.push(p),
            Ok(_) => skipped.push(Skipped {
                archive: None,
                path: p.display().to_string(),
                reason: "not a regular file".into(),
            }),
            Err(e) => skipped.push(Skipped {
                archive: None,
                path: p.display().to_string(),
                reason: format!("cannot stat: {e}"),
            }),
        }
    }
}

/// Whether `p` is an evidence archive: a ZIP, or an encrypted one (age),
/// which `Archive::open` reads once unlocked and refuses clearly before.
fn is_zip(p: &Path) -> bool {
    let mut magic = [0u8; 4];
    let zip = std::fs::File::open(p)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == b"PK\x03\x04";
    zip || crate::archive::encrypt::is_age_file(p)
}

/// Load every source into one store.
///
/// The phases in order (list, read and parse on all cores, merge, number,
/// index by time), each timed under `EXHIBIT_TIMINGS=1`; kept in one function
/// so the phases and their timing read as the pipeline they are.
pub fn load(
    req: &LoadRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<LogStore, LogError> {
    let forced = match &req.format {
        Some(name) => Some(parsers::by_name(name).ok_or_else(|| {
            LogError::UnknownFormat(
                name.clone(),
                parsers::FORMATS
                    .iter()
                    .map(|f| f.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })?),
        None => None,
    };
    let mut archives: Vec<Archive> = Vec::new();
    let mut inputs: Vec<Input> = Vec::new();
    let mut skipped = Vec::new();
    let mut snapshots: Vec<SnapshotInfo> = Vec::new();
    for src in &req.sources {
        let md = std::fs::metadata(src).map_err(|e| LogError::Io(e, src.clone()))?;
        if md.is_dir() {
            let mut files = Vec::new();
            walk(src, &mut files, &mut skipped);
            for f in files {
                let mtime_us = std::fs::metadata(&f).ok().as_ref().and_then(mtime_of);
                let size = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
                inputs.push(Input {
                    size,
                    archive: None,
                    path: f.display().to_string(),
                    origin: Origin::Fs(f),
                    mtime_us,
                    forced,
                    snapshot: None,
                });
            }
        } else if is_zip(src) {
            let a = Archive::open(src)?;
            let (records, bad) = a.records()?;
            for (line, err) in bad {
                skipped.push(Skipped {
                    archive: Some(src.clone()),
                    path: format!("files.jsonl line {line}"),
                    reason: format!("unreadable file record: {err}"),
                });
            }
            let ai = archives.len();
            let snapshot = super::merge::snapshot_of(&a, &records).map(|info| {
                snapshots.push(info);
                snapshots.len() as u32 - 1
            });
            for r in records {
                if r.kind != crate::archive::EntryType::File || !looks_like_log(&r.path) {
                    continue;
                }
                match (&r.member, r.status.has_content()) {
                    (Some(m), true) => inputs.push(Input {
                        size: r.size,
                        archive: Some(ai),
                        path: r.path.clone(),
                        origin: Origin::Member(m.clone()),
                        mtime_us: rfc_us(&r.mtime),
                        forced,
                        snapshot,
                    }),
                    _ => skipped.push(Skipped {
                        archive: Some(src.clone()),
                        path: r.path.clone(),
                        reason: format!(
                            "not captured ({}{})",
                            r.status.as_str(),
                            r.reason
                                .as_deref()
                                .map(|x| format!(": {x}"))
                                .unwrap_or_default()
                        ),
                    }),
                }
            }
            archives.push(a);
        } else {
            inputs.push(Input {
                size: md.len(),
                archive: None,
                path: src.display().to_string(),
                origin: Origin::Fs(src.clone()),
                mtime_us: mtime_of(&md),
                // A file named explicitly is read even when nothing sniffs it.
                forced: forced.or(Some(&UNKNOWN)),
                snapshot: None,
            });
        }
    }
    let total = inputs.len() as u64;
    let done = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let threads = crate::job::threads(req.threads, 8).min(inputs.len().max(1));
    let phase = super::timing::Phase::start("read + parse");
    let results = crate::job::par_map(
        &inputs,
        threads,
        cancel,
        |input| {
            let archive = input.archive.and_then(|a| archives.get(a));
            let parsed = parse_input(input, archive, req.tz_offset_s);
            let b =
                bytes.fetch_add(parsed.info.size_bytes, Ordering::Relaxed) + parsed.info.size_bytes;
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress.update(&Progress {
                phase: "reading logs",
                files_done: d,
                files_total: Some(total),
                bytes_done: b,
                bytes_total: None,
                current: input.path.clone(),
                warnings: 0,
            });
            parsed
        },
        None,
    );
    drop(phase);
    if cancel.is_cancelled() {
        return Err(LogError::Cancelled);
    }
    let phase = super::timing::Phase::start("merge sources");
    let mut store = LogStore {
        skipped,
        ..Default::default()
    };
    let mut order: Vec<(usize, Parsed)> = Vec::new();
    for (i, p) in results.into_iter().enumerate() {
        if let Some(p) = p {
            order.push((i, p));
        }
    }
    let mut kept: Vec<Parsed> = Vec::with_capacity(order.len());
    for (i, mut p) in order {
        let Some(input) = inputs.get(i) else { continue };
        if p.info.parser.is_empty() {
            store.skipped.push(Skipped {
                archive: p.info.archive.clone(),
                path: input.path.clone(),
                reason: p
                    .info
                    .error
                    .take()
                    .unwrap_or_else(|| "not a recognised log format".into()),
            });
            continue;
        }
        kept.push(p);
    }
    // Sources sorted by (archive, path) for deterministic output; each
    // source's events stay the block its thread filled (never copied).
    kept.sort_by(|x, y| (&x.info.archive, &x.info.path).cmp(&(&y.info.archive, &y.info.path)));
    let mut blocks: Vec<Vec<Event>> = Vec::with_capacity(kept.len());
    for p in kept {
        store.sources.push(p.info);
        blocks.push(p.events);
    }
    // Several snapshots of one host: each line once.
    let merged = if snapshots.len() > 1 {
        super::merge::merge(&mut store.sources, &mut blocks, &snapshots)
    } else {
        super::merge::Outcome::default()
    };
    store.snapshots = snapshots;
    store.also_in = merged.also_in;
    // Number the events' sources, on all cores.
    let slots: Vec<Mutex<(u32, Vec<Event>)>> = blocks
        .into_iter()
        .enumerate()
        .map(|(i, b)| Mutex::new((i as u32, b)))
        .collect();
    crate::job::par_map(
        &slots,
        threads,
        &CancelToken::new(),
        |slot| {
            if let Ok(mut g) = slot.lock() {
                let (idx, ref mut evs) = *g;
                for e in evs.iter_mut() {
                    e.source = idx;
                }
            }
        },
        None,
    );
    for m in slots {
        if let Ok((_, b)) = m.into_inner() {
            store.events.push_block(b);
        }
    }
    store
        .skipped
        .sort_by(|a, b| (&a.archive, &a.path).cmp(&(&b.archive, &b.path)));
    if !merged.erased.is_empty() {
        // Event indices of the erased lines: one pass over the events,
        // looking up only the (few) erased ones.
        let mut want: std::collections::HashMap<(u32, u64), Vec<(u32, u32)>> =
            std::collections::HashMap::new();
        for &(s, l, before, after) in &merged.erased {
            want.entry((s, l)).or_default().push((before, after));
        }
        for (i, e) in store.events.iter().enumerate() {
            if let Some(pairs) = want.get(&(e.source, e.line)) {
                for &(before, after) in pairs {
                    store.erased.push(ErasedLine {
                        event: i as u32,
                        before,
                        after,
                    });
                }
            }
        }
        store.erased.sort_unstable();
    }
    rotation_years(&mut store);
    drop(phase);
    let _phase = super::timing::Phase::start("time index");
    // Events are stored by (source, line), so the index breaks ties in that
    // order; sorting compact keys keeps the sort in cache.
    let mut keys: Vec<(i64, u32)> = Vec::with_capacity(store.events.len());
    let mut kinds: Vec<Kind> = Vec::with_capacity(store.events.len());
    for (i, e) in store.events.iter().enumerate() {
        keys.push((e.time_us.unwrap_or(i64::MAX), i as u32));
        kinds.push(e.kind);
    }
    // A stable sort finds the runs already in time order (each log mostly
    // is) and merges them; keys are unique, so it orders as any sort would.
    keys.sort();
    let by_time: Vec<u32> = keys.into_iter().map(|(_, i)| i).collect();
    let mut rank = vec![0u32; by_time.len()];
    // Grouped by kind through a table indexed by the kind's number.
    let mut per_kind: Vec<(Kind, Vec<u32>)> = Vec::new();
    for (pos, &i) in by_time.iter().enumerate() {
        if let Some(r) = rank.get_mut(i as usize) {
            *r = pos as u32;
        }
        if let Some(&k) = kinds.get(i as usize) {
            let slot = k as usize;
            if per_kind.len() <= slot {
                per_kind.resize_with(slot + 1, || (Kind::Unparsed, Vec::new()));
            }
            if let Some(g) = per_kind.get_mut(slot) {
                g.0 = k;
                g.1.push(i);
            }
        }
    }
    let by_kind: std::collections::HashMap<Kind, Vec<u32>> =
        per_kind.into_iter().filter(|g| !g.1.is_empty()).collect();
    store.by_time = by_time;
    store.rank = rank;
    store.by_kind = by_kind;
    Ok(store)
}

/// The pseudo-format of a file nothing recognises: every line unparsed.
static UNKNOWN: Format = Format {
    name: "unknown",
    name_hint: parsers::no_hint,
    sniff_bytes: None,
    method: Method::Lines(|_| Box::new(Unknown)),
};

struct Unknown;

impl parsers::LineParser for Unknown {
    fn parse(&mut self, _line: &str, _d: &mut Draft) -> bool {
        false
    }
}

struct Parsed {
    info: SourceInfo,
    events: Vec<Event>,
}

/// Open an input; a member of an archive is read through the seal check,
/// whose verdict is put in `verdict`.
fn open<'a>(
    input: &Input,
    archive: Option<&'a Archive>,
    verdict: &mut Option<Verdict>,
) -> std::io::Result<Box<dyn Read + Send + 'a>> {
    match (&input.origin, archive) {
        (Origin::Fs(p), _) => Ok(Box::new(std::fs::File::open(p)?)),
        (Origin::Member(m), Some(a)) => {
            let r = a.open_member_checked(m)?;
            *verdict = Some(r.verdict_handle());
            Ok(Box::new(r))
        }
        (Origin::Member(m), None) => Err(std::io::Error::other(format!("no archive for {m}"))),
    }
}

/// Parse one input; a file read from an archive gets its integrity
/// verdict. A parser that stopped before the end (an empty-looking file, a
/// binary format read by its header) leaves the member unchecked: the rest
/// is then read once more, only to be hashed, so that no event is shown
/// from a member nobody checked.
fn parse_input(input: &Input, archive: Option<&Archive>, tz: Option<i64>) -> Parsed {
    let mut verdict = None;
    let mut parsed = parse_source(input, archive, tz, &mut verdict);
    if let (Some(v), Origin::Member(m), Some(a)) = (verdict, &input.origin, archive) {
        parsed.info.integrity = Some(if v.is_final() {
            v.get()
        } else {
            a.check_member(m)
        });
    }
    parsed
}

fn parse_source(
    input: &Input,
    archive: Option<&Archive>,
    tz: Option<i64>,
    verdict: &mut Option<Verdict>,
) -> Parsed {
    let mut info = SourceInfo {
        archive: archive.map(|a| a.path.clone()),
        path: input.path.clone(),
        mtime_us: input.mtime_us,
        snapshot: input.snapshot,
        ..Default::default()
    };
    // About one event per 150 bytes of plain text (capped: compressed input
    // or a wrong estimate only costs a regrowth).
    let mut events = Vec::with_capacity(((input.size / 150) as usize).min(4 << 20));
    let ctx = SourceCtx {
        path: input.path.clone(),
        mtime_us: input.mtime_us,
        tz_offset_s: tz,
    };
    let raw = match open(input, archive, verdict) {
        Ok(r) => r,
        Err(e) => {
            info.error = Some(format!("cannot open: {e}"));
            info.parser = "none".into();
            return Parsed { info, events };
        }
    };
    let mut raw = BufReader::with_capacity(256 * 1024, raw);
    let gzip = raw
        .fill_buf()
        .map(|b| b.starts_with(&[0x1f, 0x8b]))
        .unwrap_or(false);
    info.gzip = gzip;
    let reader: Box<dyn Read + Send> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let mut counted = CountingReader {
        inner: reader,
        n: 0,
    };
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    if let Err(e) = (&mut counted)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
    {
        info.error = Some(format!("read error: {e}"));
    }
    // Sniff unless forced; a forced "unknown" (explicit file) is a fallback.
    let ranked = parsers::sniff_ranked(&head, &ctx);
    let sniffed = ranked.first().filter(|(_, s)| *s >= 30).map(|(f, _)| *f);
    let format = match (input.forced, sniffed) {
        (Some(f), _) if f.name != "unknown" => Some(f),
        (_, Some(s)) => Some(s),
        (Some(f), None) => Some(f),
        (None, None) => None,
    };
    if head.iter().all(u8::is_ascii_whitespace) && info.error.is_none() {
        // Empty (or blank) files are logs too: an emptied log is a finding.
        info.size_bytes = head.len() as u64;
        if input.forced.is_some() || looks_like_log(&input.path) {
            info.parser = "empty".into();
        } else {
            info.error = Some("empty file".into());
        }
        return Parsed { info, events };
    }
    let Some(format) = format else {
        info.size_bytes = head.len() as u64;
        return Parsed { info, events };
    };
    info.parser = format.name.into();
    let mut chained = std::io::Cursor::new(head).chain(counted);
    match &format.method {
        Method::Records(read) => match read(&mut chained, &ctx, 0, &mut events) {
            Ok(st) => {
                info.unparsed = st.unparsed;
                info.notes = st.notes;
                info.error = st.error;
            }
            Err(e) => info.error = Some(format!("read error after {} records: {e}", events.len())),
        },
        Method::Lines(make) => {
            let mut p = make(&ctx);
            // Other line formats seen in the sample read the lines the main
            // one does not understand (files that mix formats). Formats that
            // fix times at the end (syslog) only serve as the main format.
            let mut fallbacks: Vec<Box<dyn parsers::LineParser>> = ranked
                .iter()
                .filter(|(f, s)| *s >= 10 && f.name != format.name && f.name != "syslog")
                .filter_map(|(f, _)| match f.method {
                    Method::Lines(mk) => Some(mk(&ctx)),
                    Method::Records(_) => None,
                })
                .collect();
            let mut br = BufReader::with_capacity(256 * 1024, &mut chained);
            read_lines(&mut br, p.as_mut(), &mut fallbacks, &mut events, &mut info);
            let notes = p.finish(&mut events);
            info.notes.extend(notes);
            info.year_inferred = p.year_inferred();
        }
    }
    let (_, counted) = chained.into_inner();
    info.size_bytes = counted.n;
    let unit = match format.method {
        Method::Records(_) => "record",
        Method::Lines(_) => "line",
    };
    drop_out_of_range_times(&mut info, &mut events, unit);
    summarize(&mut info, &events);
    Parsed { info, events }
}

struct CountingReader<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

/// Times outside the years 1900–9999 come from corrupt or hostile fields
/// (or from arithmetic that saturated on them): such events keep no time,
/// and the source gets a note naming the first few lines (or records).
fn drop_out_of_range_times(info: &mut SourceInfo, events: &mut [Event], unit: &str) {
    let mut count = 0u64;
    let mut first: Vec<String> = Vec::new();
    for e in events.iter_mut() {
        if e.time_us.is_some_and(|t| !super::time::in_range(t)) {
            e.time_us = None;
            count += 1;
            if first.len() < 5 {
                first.push(e.line.to_string());
            }
        }
    }
    if count > 0 {
        info.notes.push(format!(
            "{count} {unit}(s) carry a time outside the years 1900-9999 (corrupt or forged) and are kept without a time: {unit} {}{}",
            first.join(", "),
            if count > first.len() as u64 { ", ..." } else { "" }
        ));
    }
}

/// One line as [`read_line_bounded`] read it.
pub(crate) struct LineRead {
    /// Bytes consumed from the reader, line ending included (0: end).
    pub consumed: u64,
    /// Bytes of the line that were dropped (beyond the bound).
    pub dropped: u64,
    /// The line ended with `\n` (not with the end of the input).
    pub newline: bool,
}

/// Read one line into `buf` (without its `\n`), keeping at most `max`
/// bytes of it: the rest of an over-long line is read and dropped chunk by
/// chunk, never buffered.
pub(crate) fn read_line_bounded(
    r: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<LineRead> {
    let mut line = LineRead {
        consumed: 0,
        dropped: 0,
        newline: false,
    };
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(line);
        }
        let end = memchr::memchr(b'\n', avail);
        let content = avail.get(..end.unwrap_or(avail.len())).unwrap_or_default();
        let keep = content.len().min(max.saturating_sub(buf.len()));
        buf.extend_from_slice(content.get(..keep).unwrap_or_default());
        line.dropped += (content.len() - keep) as u64;
        let used = content.len() + usize::from(end.is_some());
        line.consumed += used as u64;
        r.consume(used);
        if end.is_some() {
            line.newline = true;
            return Ok(line);
        }
    }
}

/// Cut a partial UTF-8 character off the end of `buf` (left by cutting a
/// line at a byte count), so that the kept text decodes cleanly.
fn cut_partial_char(buf: &mut Vec<u8>) {
    for k in 1..=buf.len().min(4) {
        let at = buf.len() - k;
        let Some(&b) = buf.get(at) else { return };
        if b < 0x80 {
            return;
        }
        if b >= 0xC0 {
            let needed = b.leading_ones() as usize;
            if needed > k {
                buf.truncate(at);
            }
            return;
        }
    }
}

/// The shared line driver: split lines, strip CR, decode lossily, hand each
/// line to the parser, keep what it does not understand. A line longer
/// than [`MAX_LINE_BYTES`] is cut to that length and noted.
pub fn read_lines(
    r: &mut dyn BufRead,
    p: &mut dyn parsers::LineParser,
    fallbacks: &mut [Box<dyn parsers::LineParser>],
    events: &mut Vec<Event>,
    info: &mut SourceInfo,
) {
    read_lines_bounded(r, p, fallbacks, events, info, MAX_LINE_BYTES);
}

fn read_lines_bounded(
    r: &mut dyn BufRead,
    p: &mut dyn parsers::LineParser,
    fallbacks: &mut [Box<dyn parsers::LineParser>],
    events: &mut Vec<Event>,
    info: &mut SourceInfo,
    max_line: usize,
) {
    let mut buf = Vec::with_capacity(4096);
    let mut d = Draft::default();
    let mut arena = TextArena::new(events, &mut d);
    let mut lines = Lines {
        p,
        fallbacks,
        d: &mut d,
        arena: &mut arena,
        events,
        info,
        lineno: 0,
    };
    loop {
        // The lines wholly in the reader's buffer are parsed where they
        // lie; a line cut by the buffer's end, or too long, is read into
        // `buf` (it is copied once more).
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                lines.info.error = Some(format!("read error after line {}: {e}", lines.lineno));
                break;
            }
        };
        let mut used = 0;
        while let Some(rest) = avail.get(used..)
            && let Some(end) = memchr::memchr(b'\n', rest)
            && end <= max_line
        {
            lines.line(rest.get(..end).unwrap_or_default());
            used += end + 1;
        }
        if used > 0 {
            r.consume(used);
            continue;
        }
        buf.clear();
        let read = match read_line_bounded(r, &mut buf, max_line) {
            Ok(l) if l.consumed == 0 => break,
            Ok(l) => l,
            Err(e) => {
                lines.info.error = Some(format!("read error after line {}: {e}", lines.lineno));
                break;
            }
        };
        if !read.newline {
            lines.info.missing_final_newline = true;
        }
        if read.dropped > 0 {
            let total = buf.len() as u64 + read.dropped;
            cut_partial_char(&mut buf);
            lines.info.truncated_lines += 1;
            if lines.info.truncated_lines <= TRUNCATION_NOTES {
                lines.info.notes.push(format!(
                    "line {} is {total} bytes long: its first {} bytes are kept, the rest is skipped",
                    lines.lineno + 1,
                    buf.len()
                ));
            }
        }
        lines.line(&buf);
    }
    lines.arena.finish(lines.d, lines.events);
    if info.truncated_lines > TRUNCATION_NOTES {
        info.notes.push(format!(
            "{} more line(s) longer than {max_line} bytes were cut the same way ({} in all)",
            info.truncated_lines - TRUNCATION_NOTES,
            info.truncated_lines
        ));
    }
}

/// The line driver's state: what one line is handed to.
struct Lines<'a> {
    p: &'a mut dyn parsers::LineParser,
    fallbacks: &'a mut [Box<dyn parsers::LineParser>],
    d: &'a mut Draft,
    arena: &'a mut TextArena,
    events: &'a mut Vec<Event>,
    info: &'a mut SourceInfo,
    lineno: u64,
}

impl Lines<'_> {
    /// One line, without its `\n`: strip CR, skip blank lines, decode
    /// lossily, parse (the main parser, then the fallbacks), keep the event.
    fn line(&mut self, bytes: &[u8]) {
        self.lineno += 1;
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        if bytes.iter().all(|c| c.is_ascii_whitespace()) {
            return;
        }
        let lossy;
        let line = match std::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(_) => {
                self.info.invalid_utf8_lines += 1;
                lossy = String::from_utf8_lossy(bytes).into_owned();
                &lossy
            }
        };
        let d = &mut *self.d;
        d.reset(line);
        if !self.p.parse(line, d) {
            let mut ok = false;
            for f in self.fallbacks.iter_mut() {
                d.reset(line);
                if f.parse(line, d) {
                    ok = true;
                    break;
                }
            }
            if !ok {
                d.reset(line);
                d.kind = Kind::Unparsed;
            }
        }
        if d.kind == Kind::Unparsed {
            self.info.unparsed += 1;
        }
        self.arena.push(d, 0, self.lineno, self.events);
    }
}

/// `auth.log.2.gz` -> (`auth.log`, 2); `auth.log` -> (`auth.log`, 0).
pub fn rotation(path: &str) -> (&str, u32) {
    let p = path.strip_suffix(".gz").unwrap_or(path);
    if let Some((base, n)) = p.rsplit_once('.')
        && !n.is_empty()
        && n.len() <= 4
        && n.bytes().all(|c| c.is_ascii_digit())
    {
        return (base, n.parse().unwrap_or(0));
    }
    (p, 0)
}

/// The same time a year earlier; unchanged when that would leave the
/// valid range (before 1900).
fn minus_year(t: i64) -> i64 {
    let us = super::time::US;
    let days = t.div_euclid(86_400 * us);
    let sod = t.rem_euclid(86_400 * us);
    let (y, m, d) = super::time::civil_from_days(days);
    let d = if m == 2 && d == 29 { 28 } else { d };
    super::time::to_us(y - 1, m, d, 0, 0, 0, 0)
        .map(|x| super::time::plus_us(x, sod))
        .filter(|&x| super::time::in_range(x))
        .unwrap_or(t)
}

/// Rotation order corrects inferred years: an older rotation (`auth.log.1`)
/// must end before the next newer one (`auth.log`) begins. When it does not
/// (its modification time was lost, say), its times move back a year at a
/// time while that makes them fit.
fn rotation_years(store: &mut LogStore) {
    use std::collections::BTreeMap;
    let slack = 86_400 * super::time::US;
    // (archive, rotation base) -> [(rotation number, source index)]
    type Group = (Option<PathBuf>, String);
    let mut groups: BTreeMap<Group, Vec<(u32, usize)>> = BTreeMap::new();
    for (i, s) in store.sources.iter().enumerate() {
        if s.parser == "syslog" {
            let (base, n) = rotation(&s.path);
            groups
                .entry((s.archive.clone(), base.to_string()))
                .or_default()
                .push((n, i));
        }
    }
    for (_, mut files) in groups {
        if files.len() < 2 {
            continue;
        }
        files.sort();
        for w in 1..files.len() {
            let (Some(&(_, newer)), Some(&(_, older))) = (files.get(w - 1), files.get(w)) else {
                continue;
            };
            let Some(newer_first) = store.sources.get(newer).and_then(|s| s.first_us) else {
                continue;
            };
            let mut moved = 0;
            while moved < 5 {
                let Some(src) = store.sources.get(older) else {
                    break;
                };
                let Some(last) = src.last_us else { break };
                if !src.year_inferred
                    || last <= newer_first + slack
                    || minus_year(last) > newer_first + slack
                {
                    break;
                }
                for e in store
                    .events
                    .iter_mut()
                    .filter(|e| e.source as usize == older)
                {
                    e.time_us = e.time_us.map(minus_year);
                }
                if let Some(s) = store.sources.get_mut(older) {
                    s.first_us = s.first_us.map(minus_year);
                    s.last_us = s.last_us.map(minus_year);
                }
                moved += 1;
            }
            if moved > 0 {
                let newer_path = store
                    .sources
                    .get(newer)
                    .map(|s| s.path.clone())
                    .unwrap_or_default();
                if let Some(s) = store.sources.get_mut(older) {
                    s.notes.push(format!(
                        "times moved back {moved} year(s) so that this rotation ends before {newer_path} begins"
                    ));
                }
            }
        }
    }
}

fn summarize(info: &mut SourceInfo, events: &[Event]) {
    info.events = events.len() as u64;
    let mut prev: Option<i64> = None;
    for e in events {
        let Some(t) = e.time_us else { continue };
        info.first_us = Some(info.first_us.map_or(t, |f| f.min(t)));
        info.last_us = Some(info.last_us.map_or(t, |l| l.max(t)));
        if prev.is_some_and(|p| t < p) {
            info.backwards_steps += 1;
        }
        prev = Some(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::Field;

    fn read(text: &[u8], max_line: usize) -> (Vec<Event>, SourceInfo) {
        let ctx = SourceCtx {
            path: "/root/.bash_history".into(),
            ..Default::default()
        };
        let mut p = (match parsers::history::FORMAT.method {
            Method::Lines(make) => Some(make),
            Method::Records(_) => None,
        })
        .expect("history is line-based")(&ctx);
        let mut events = Vec::new();
        let mut info = SourceInfo::default();
        let mut r = text;
        read_lines_bounded(
            &mut r,
            p.as_mut(),
            &mut [],
            &mut events,
            &mut info,
            max_line,
        );
        (events, info)
    }

    #[test]
    fn an_over_long_line_is_cut_noted_and_reading_goes_on() {
        let mut text = b"#1700000000\nfirst\n".to_vec();
        text.extend(std::iter::repeat_n(b'A', 100));
        text.extend(b"\r\nafter\n");
        let (events, info) = read(&text, 16);
        let lines: Vec<&str> = events.iter().map(Event::line_text).collect();
        assert_eq!(lines, ["#1700000000", "first", &"A".repeat(16), "after"]);
        assert_eq!(events[3].line, 4);
        assert_eq!(events[3].get(Field::Command), Some("after"));
        assert_eq!(info.truncated_lines, 1);
        assert_eq!(
            info.notes,
            ["line 3 is 101 bytes long: its first 16 bytes are kept, the rest is skipped"]
        );
        assert!(!info.missing_final_newline);
    }

    #[test]
    fn a_cut_line_ends_on_a_character_boundary() {
        // 15 ASCII bytes then "é" (2 bytes): the cut at 16 splits it.
        let text = format!("{}éééé\n", "x".repeat(15));
        let (events, info) = read(text.as_bytes(), 16);
        assert_eq!(events[0].line_text(), "x".repeat(15));
        assert_eq!(info.invalid_utf8_lines, 0);
        for (bytes, kept) in [
            (&b"ab\xe2\x82"[..], 2),
            (b"ab\xe2\x82\xac", 5),
            (b"\xf0\x9f\x98", 0),
            (b"a\x80", 2),
        ] {
            let mut b = bytes.to_vec();
            cut_partial_char(&mut b);
            assert_eq!(b.len(), kept, "{bytes:?}");
        }
    }

    #[test]
    fn many_over_long_lines_are_counted_beyond_the_first_notes() {
        let text = format!("{}\n", "y".repeat(40)).repeat(13);
        let (events, info) = read(text.as_bytes(), 8);
        assert_eq!(events.len(), 13);
        assert_eq!(info.truncated_lines, 13);
        assert_eq!(info.notes.len(), 11);
        assert_eq!(
            info.notes.last().map(String::as_str),
            Some("3 more line(s) longer than 8 bytes were cut the same way (13 in all)")
        );
    }

    #[test]
    fn a_last_line_without_newline_and_one_exactly_at_the_bound() {
        let (events, info) = read(b"12345678\nabc", 8);
        assert_eq!(events.len(), 2);
        assert_eq!(info.truncated_lines, 0);
        assert!(info.missing_final_newline);
        assert_eq!(events[1].line_text(), "abc");
    }

    #[test]
    fn rotation_never_moves_a_time_before_1900() {
        let t = super::super::time::to_us(1900, 6, 1, 12, 0, 0, 0).expect("valid");
        assert_eq!(minus_year(t), t);
        let t = super::super::time::to_us(2024, 2, 29, 12, 0, 0, 0).expect("valid");
        assert_eq!(
            super::super::time::rfc3339(minus_year(t)),
            "2023-02-28T12:00:00.000000Z"
        );
    }

    #[test]
    fn times_outside_1900_to_9999_are_dropped_with_a_note() {
        let (mut events, mut info) = read(
            b": 14589914589932970:0;cmd\n: 1700000000:0;ok\n: -99999999999:0;old\n",
            MAX_LINE_BYTES,
        );
        drop_out_of_range_times(&mut info, &mut events, "line");
        let times: Vec<Option<i64>> = events.iter().map(|e| e.time_us).collect();
        assert_eq!(times, [None, Some(1_700_000_000_000_000), None]);
        assert_eq!(
            info.notes,
            [
                "2 line(s) carry a time outside the years 1900-9999 (corrupt or forged) and are kept without a time: line 1, 3"
            ]
        );
    }
}
