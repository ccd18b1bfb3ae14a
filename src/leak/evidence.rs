//! The internal records the leak validator looks for in the evidence
//! (`leak::evidence`): which captured files are candidates (by name and
//! place, then by content), and reading their rows through the containers
//! they sit in (`.gz`, `.zip`, `.tar`, `.tar.gz`/`.tgz`, one level deep),
//! with caps on what one candidate and all compressed data together may
//! inflate to. Every file or member skipped or cut short gets a note.

use super::tabular::{self, Detected, ReadError, Row, SNIFF_BYTES};
use crate::job::CancelToken;
use crate::snapshot::{Entry, Snapshot};
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The most bytes read (after decompression) from one candidate file,
/// every member of a container together.
pub const MAX_CANDIDATE_BYTES: u64 = 8 << 30;
/// The most bytes inflated from compressed candidates in one run.
pub const MAX_INFLATED_TOTAL: u64 = 64 << 30;
/// Past this many inflated bytes, a member inflating more than
/// [`MAX_RATIO`] times its compressed size is treated as a bomb.
pub const RATIO_FLOOR: u64 = 64 << 20;
pub const MAX_RATIO: u64 = 100;
/// The largest ZIP file read into memory to list its members.
pub const MAX_ZIP_BYTES: u64 = 512 << 20;
/// The most members of one container looked at.
pub const MAX_MEMBERS: usize = 100_000;

const DATA_EXT: [&str; 11] = [
    "csv", "tsv", "psv", "txt", "json", "jsonl", "ndjson", "sql", "dump", "lst", "list",
];

/// Folders whose files are never internal records (system files, logs,
/// package trees): skipped without being opened.
fn system_path(p: &str) -> bool {
    const PREFIXES: [&str; 14] = [
        "/proc/",
        "/sys/",
        "/dev/",
        "/run/",
        "/boot/",
        "/bin/",
        "/sbin/",
        "/lib/",
        "/lib64/",
        "/etc/",
        "/var/log/",
        "/var/lib/dpkg/",
        "/var/cache/",
        "/usr/",
    ];
    const INSIDE: [&str; 6] = [
        "/node_modules/",
        "/.git/",
        "/vendor/",
        "/site-packages/",
        "/dist-packages/",
        "/.cache/",
    ];
    let web_root_in_usr = p.starts_with("/usr/share/nginx/") || p.starts_with("/usr/local/www/");
    (PREFIXES.iter().any(|x| p.starts_with(x)) && !web_root_in_usr)
        || INSIDE.iter().any(|x| p.contains(x))
}

/// What a file's name says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A data extension (`.csv`, `.sql`, `.json`...).
    Data,
    /// gzip (`.gz`, `.tgz`), ZIP or tar: read through.
    Container,
    /// Anything else: a candidate only if its content reads as records.
    Other,
}

pub fn name_kind(name: &str) -> NameKind {
    let n = name.to_ascii_lowercase();
    if n.ends_with(".gz") || n.ends_with(".tgz") || n.ends_with(".zip") || n.ends_with(".tar") {
        return NameKind::Container;
    }
    match n.rsplit_once('.') {
        Some((_, ext)) if DATA_EXT.contains(&ext) => NameKind::Data,
        _ => NameKind::Other,
    }
}

/// Places where exports, dumps and backups are found: files there with an
/// unknown extension are sniffed.
fn data_place(p: &str) -> bool {
    const PLACES: [&str; 10] = [
        "/srv/",
        "/var/www/",
        "/home/",
        "/root/",
        "/backup",
        "/tmp/",
        "/opt/",
        "/data/",
        "/var/backups/",
        "/usr/share/nginx/",
    ];
    PLACES.iter().any(|x| p.starts_with(x)) || p.contains("/backup") || p.contains("/export")
}

/// The snapshot's entries worth opening, in path order, and a note for
/// what was passed over on purpose (counted, not listed).
pub fn candidates(snap: &Snapshot) -> (Vec<usize>, u64) {
    let mut out = Vec::new();
    let mut unreadable = 0u64;
    for (i, e) in snap.entries.iter().enumerate() {
        if e.kind != crate::archive::EntryType::File || e.size == 0 {
            continue;
        }
        if system_path(&e.path) {
            continue;
        }
        let kind = name_kind(e.name());
        // Logs are the logs module's; but `access_list.csv` is data.
        if kind != NameKind::Data && crate::logs::load::looks_like_log(&e.path) {
            continue;
        }
        if kind == NameKind::Other && !data_place(&e.path) {
            continue;
        }
        if !e.has_content() {
            unreadable += 1;
            continue;
        }
        out.push(i);
    }
    (out, unreadable)
}

/// Shared state of one run: the inflation budget, and progress counters.
#[derive(Debug)]
pub struct Budget {
    pub inflated_left: AtomicU64,
    /// Bytes read from the evidence (compressed, as stored).
    pub bytes_read: AtomicU64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            inflated_left: AtomicU64::new(MAX_INFLATED_TOTAL),
            bytes_read: AtomicU64::new(0),
        }
    }
}

/// Counts the stored bytes read.
struct Stored<R> {
    inner: R,
    n: Arc<AtomicU64>,
    budget: Arc<Budget>,
}

impl<R: Read> Read for Stored<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n.fetch_add(n as u64, Ordering::Relaxed);
        self.budget
            .bytes_read
            .fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Caps inflated bytes: per candidate, against the run's budget, and
/// against the compression ratio (a bomb is stopped early).
struct Inflated<R> {
    inner: R,
    out: u64,
    stored: Arc<AtomicU64>,
    /// Stored size known up front (a ZIP member's), else `stored` counts.
    stored_fixed: Option<u64>,
    compressed: bool,
    left: Arc<AtomicU64>,
    budget: Arc<Budget>,
}

impl<R: Read> Read for Inflated<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let n64 = n as u64;
        self.out += n64;
        let over = |msg: String| Err(io::Error::new(io::ErrorKind::InvalidData, msg));
        if self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| l.checked_sub(n64))
            .is_err()
        {
            return over(format!(
                "stopped after {} MiB: the cap on bytes read from one candidate ({} MiB)",
                self.out >> 20,
                MAX_CANDIDATE_BYTES >> 20
            ));
        }
        if self.compressed {
            if self
                .budget
                .inflated_left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| l.checked_sub(n64))
                .is_err()
            {
                return over(format!(
                    "stopped: the cap on bytes inflated from compressed evidence in one run ({} GiB) was reached",
                    MAX_INFLATED_TOTAL >> 30
                ));
            }
            let stored = self
                .stored_fixed
                .unwrap_or_else(|| self.stored.load(Ordering::Relaxed))
                .max(1);
            if self.out > RATIO_FLOOR && self.out / stored > MAX_RATIO {
                return over(format!(
                    "stopped after inflating {} MiB from {} KiB: more than {MAX_RATIO} times its compressed size (a decompression bomb?)",
                    self.out >> 20,
                    stored >> 10
                ));
            }
        }
        Ok(n)
    }
}

/// Where a row came from: the display path of the file or member.
pub type RowSink<'s> = dyn FnMut(&str, &Row) -> ControlFlow<()> + 's;

/// Read every row of one candidate entry (and of the members of a
/// container) whose display path `want` accepts. Returns notes on what
/// could not be read; `Err` only when cancelled.
pub fn scan_entry(
    snap: &Snapshot,
    entry: &Entry,
    budget: &Arc<Budget>,
    cancel: &CancelToken,
    want: &dyn Fn(&str) -> bool,
    f: &mut RowSink<'_>,
) -> Result<Vec<String>, ReadError> {
    let mut notes = Vec::new();
    let (raw, verdict) = match snap.open_content_checked(entry) {
        Ok(r) => r,
        Err(e) => {
            notes.push(format!("{}: not read: {e}", entry.path));
            return Ok(notes);
        }
    };
    let notes = scan_content(entry, raw, budget, cancel, want, f, notes)?;
    // Read to its end, the file was checked against the seal on the way:
    // rows read from altered bytes are remembered, and said so.
    if let Some(crate::archive::checked::Integrity::Mismatch(why)) = verdict.map(|v| v.get()) {
        snap.note_altered(&entry.path, why);
    }
    Ok(notes)
}

/// [`scan_entry`] once the content is open.
fn scan_content(
    entry: &Entry,
    raw: Box<dyn Read + Send + '_>,
    budget: &Arc<Budget>,
    cancel: &CancelToken,
    want: &dyn Fn(&str) -> bool,
    f: &mut RowSink<'_>,
    mut notes: Vec<String>,
) -> Result<Vec<String>, ReadError> {
    let stored = Arc::new(AtomicU64::new(0));
    let left = Arc::new(AtomicU64::new(MAX_CANDIDATE_BYTES));
    let counted = Stored {
        inner: raw,
        n: stored.clone(),
        budget: budget.clone(),
    };
    let lower = entry.name().to_ascii_lowercase();
    let ctx = Ctx {
        budget,
        cancel,
        want,
        left: &left,
        stored: &stored,
    };
    let path = entry.path.as_str();
    if lower.ends_with(".zip") {
        zip_members(&ctx, path, entry.size, counted, f, &mut notes)?;
    } else if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
        let gz = ctx.inflated(flate2::read::MultiGzDecoder::new(counted), None, true);
        tar_members(&ctx, path, gz, f, &mut notes)?;
    } else if lower.ends_with(".tar") {
        let plain = ctx.inflated(counted, None, false);
        tar_members(&ctx, path, plain, f, &mut notes)?;
    } else if lower.ends_with(".gz") {
        if want(path) {
            let gz = ctx.inflated(flate2::read::MultiGzDecoder::new(counted), None, true);
            let inner = lower.trim_end_matches(".gz").to_string();
            one_file(&ctx, path, &inner, true, gz, f, &mut notes)?;
        }
    } else if want(path) {
        let plain = ctx.inflated(counted, None, false);
        let kind = name_kind(&lower);
        one_file(
            &ctx,
            path,
            &lower,
            kind == NameKind::Data,
            plain,
            f,
            &mut notes,
        )?;
    }
    Ok(notes)
}

struct Ctx<'a> {
    budget: &'a Arc<Budget>,
    cancel: &'a CancelToken,
    want: &'a dyn Fn(&str) -> bool,
    left: &'a Arc<AtomicU64>,
    stored: &'a Arc<AtomicU64>,
}

impl Ctx<'_> {
    fn inflated<R: Read>(&self, r: R, stored_fixed: Option<u64>, compressed: bool) -> Inflated<R> {
        Inflated {
            inner: r,
            out: 0,
            stored: self.stored.clone(),
            stored_fixed,
            compressed,
            left: self.left.clone(),
            budget: self.budget.clone(),
        }
    }
}

/// Read up to [`SNIFF_BYTES`] for detection (short reads are retried).
fn prefix<R: Read>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(SNIFF_BYTES);
    r.by_ref().take(SNIFF_BYTES as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Whether detected content is worth reading as records: structured
/// formats always, plain lists only under a data name.
fn accept(d: &Detected, by_name: bool) -> bool {
    by_name || d.format != crate::leak::SampleFormat::Lines
}

fn one_file<R: Read>(
    ctx: &Ctx,
    display: &str,
    name: &str,
    by_name: bool,
    mut r: R,
    f: &mut RowSink<'_>,
    notes: &mut Vec<String>,
) -> Result<(), ReadError> {
    let head = match prefix(&mut r) {
        Ok(h) => h,
        Err(e) => {
            notes.push(format!("{display}: not read: {e}"));
            return Ok(());
        }
    };
    let Some(d) = tabular::detect(&head).filter(|d| accept(d, by_name)) else {
        return Ok(());
    };
    let _ = name;
    let mut br = BufReader::with_capacity(256 * 1024, Cursor::new(head).chain(r));
    read_unit(ctx, display, &d, &mut br, f, notes)
}

fn read_unit(
    ctx: &Ctx,
    display: &str,
    d: &Detected,
    r: &mut dyn BufRead,
    f: &mut RowSink<'_>,
    notes: &mut Vec<String>,
) -> Result<(), ReadError> {
    let mut sink = |row: &Row| f(display, row);
    match tabular::read_rows(r, d, ctx.cancel, &mut sink) {
        Ok(stats) => {
            if stats.skipped > 0 {
                notes.push(format!(
                    "{display}: {} record(s) skipped ({})",
                    stats.skipped,
                    stats.notes.join("; ")
                ));
            }
            Ok(())
        }
        Err(ReadError::Cancelled) => Err(ReadError::Cancelled),
        Err(ReadError::Io(e)) => {
            notes.push(format!("{display}: read in part: {e}"));
            Ok(())
        }
    }
}

fn member_kind(name: &str) -> (bool, NameKind) {
    let lower = name.to_ascii_lowercase();
    let gz = lower.ends_with(".gz") && !lower.ends_with(".tar.gz");
    let inner = lower.trim_end_matches(".gz");
    (gz, name_kind(inner))
}

fn tar_members<R: Read>(
    ctx: &Ctx,
    outer: &str,
    r: R,
    f: &mut RowSink<'_>,
    notes: &mut Vec<String>,
) -> Result<(), ReadError> {
    let mut ar = tar::Archive::new(r);
    let entries = match ar.entries() {
        Ok(e) => e,
        Err(e) => {
            notes.push(format!("{outer}: not read as tar: {e}"));
            return Ok(());
        }
    };
    let mut seen = 0usize;
    for m in entries {
        if ctx.cancel.is_cancelled() {
            return Err(ReadError::Cancelled);
        }
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                notes.push(format!("{outer}: tar read in part: {e}"));
                break;
            }
        };
        seen += 1;
        if seen > MAX_MEMBERS {
            notes.push(format!(
                "{outer}: only the first {MAX_MEMBERS} members were looked at"
            ));
            break;
        }
        if m.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let name = String::from_utf8_lossy(&m.path_bytes()).into_owned();
        let display = format!("{outer}!{}", name.trim_start_matches("./"));
        member(ctx, &display, &name, m, None, f, notes)?;
    }
    Ok(())
}

fn member<R: Read>(
    ctx: &Ctx,
    display: &str,
    name: &str,
    r: R,
    stored_fixed: Option<u64>,
    f: &mut RowSink<'_>,
    notes: &mut Vec<String>,
) -> Result<(), ReadError> {
    let (gz, kind) = member_kind(name);
    let base = name.rsplit('/').next().unwrap_or(name);
    let nested = {
        let l = base.to_ascii_lowercase();
        l.ends_with(".zip") || l.ends_with(".tar") || l.ends_with(".tgz") || l.ends_with(".tar.gz")
    };
    if nested {
        notes.push(format!(
            "{display}: a container inside a container, not opened"
        ));
        return Ok(());
    }
    if !(ctx.want)(display) || (kind == NameKind::Other && !gz && system_path(&format!("/{name}")))
    {
        return Ok(());
    }
    if gz {
        let inner = ctx.inflated(flate2::read::MultiGzDecoder::new(r), stored_fixed, true);
        one_file(ctx, display, name, kind == NameKind::Data, inner, f, notes)
    } else if stored_fixed.is_some() {
        // A ZIP member, inflated here.
        let inner = ctx.inflated(r, stored_fixed, true);
        one_file(ctx, display, name, kind == NameKind::Data, inner, f, notes)
    } else {
        // A tar member: the tar stream is already counted.
        one_file(ctx, display, name, kind == NameKind::Data, r, f, notes)
    }
}

fn zip_members<R: Read>(
    ctx: &Ctx,
    outer: &str,
    size: u64,
    mut r: R,
    f: &mut RowSink<'_>,
    notes: &mut Vec<String>,
) -> Result<(), ReadError> {
    if size > MAX_ZIP_BYTES {
        notes.push(format!(
            "{outer}: a ZIP file of {} MiB, over the {} MiB read into memory: not opened",
            size >> 20,
            MAX_ZIP_BYTES >> 20
        ));
        return Ok(());
    }
    let mut bytes = Vec::new();
    if let Err(e) = r.by_ref().take(MAX_ZIP_BYTES).read_to_end(&mut bytes) {
        notes.push(format!("{outer}: not read: {e}"));
        return Ok(());
    }
    let mut z = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => {
            notes.push(format!("{outer}: not read as ZIP: {e}"));
            return Ok(());
        }
    };
    let n = z.len().min(MAX_MEMBERS);
    if z.len() > MAX_MEMBERS {
        notes.push(format!(
            "{outer}: only the first {MAX_MEMBERS} members were looked at"
        ));
    }
    for i in 0..n {
        if ctx.cancel.is_cancelled() {
            return Err(ReadError::Cancelled);
        }
        let m = match z.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                notes.push(format!("{outer}: member {i} not read: {e}"));
                continue;
            }
        };
        if !m.is_file() {
            continue;
        }
        let name = m.name().to_string();
        let stored = m.compressed_size();
        let display = format!("{outer}!{name}");
        member(ctx, &display, &name, m, Some(stored), f, notes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name_kind("clients.CSV"), NameKind::Data);
        assert_eq!(name_kind("db.sql.gz"), NameKind::Container);
        assert_eq!(name_kind("site.tgz"), NameKind::Container);
        assert_eq!(name_kind("index.php"), NameKind::Other);
        assert!(system_path("/etc/passwd"));
        assert!(system_path("/srv/app/node_modules/x/data.json"));
        assert!(!system_path("/usr/share/nginx/html/export.csv"));
        assert!(!system_path("/srv/app/exports/clients.csv"));
    }
}
