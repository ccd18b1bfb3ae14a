//! One timeline from everything Exhibit knows about a case: file MACB times
//! from the snapshots' records, file findings (placed at the modification
//! time of the file they are about: when it took the content judged), log
//! events, log findings and custody events,
//! merged in time order, with exports Timesketch imports (JSON Lines and
//! CSV with `message`, `datetime`, `timestamp_desc`, `timestamp` in
//! microseconds) and a Sleuth Kit bodyfile for `mactime`.
//!
//! [`build`] takes a [`TimelineRequest`] (archives, folders, log files and a
//! time range) and returns a [`Timeline`]; [`write`] renders it. Every event
//! names where it came from (archive, logical path, line).

use crate::archive::{self, Archive, ArchiveError, FileRecord};
use crate::detect::Severity;
use crate::detect::files;
use crate::detect::logs as detections;
use crate::job::{CancelToken, ProgressSink};
use crate::logs::time::{self, rfc3339_offset};
use crate::logs::{self, LoadRequest, LogError};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

/// What to put on the timeline.
#[derive(Debug, Clone, Default)]
pub struct TimelineRequest {
    /// Evidence archives, folders or log files.
    pub sources: Vec<PathBuf>,
    /// Keep events at or after this time (UTC microseconds).
    pub from_us: Option<i64>,
    /// Keep events at or before this time.
    pub to_us: Option<i64>,
    /// Local-time offset for logs without a zone (see [`LoadRequest`]).
    pub tz_offset_s: Option<i64>,
    /// Leave out lines no parser understood.
    pub skip_unparsed: bool,
    /// Leave out the file findings (the rules and detectors of `exhibit
    /// scan` run on each archive), which read file contents.
    pub no_file_findings: bool,
    /// A rules directory over the built-in rules ([`crate::detect::ruleset`]).
    pub rules_dir: Option<PathBuf>,
}

/// Where a timeline event comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Origin {
    File,
    Log,
    Finding,
    Custody,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::File => "file",
            Origin::Log => "log",
            Origin::Finding => "finding",
            Origin::Custody => "custody",
        }
    }
}

/// One event on the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEvent {
    pub time_us: i64,
    /// What the time means (`Modification Time`, `Log Entry`, ...).
    pub timestamp_desc: String,
    pub origin: Origin,
    pub message: String,
    /// The archive it came from, if any.
    pub archive: Option<PathBuf>,
    /// Logical path of the file (or log, or custody log).
    pub path: String,
    /// Line (or record) number, when it came from a line.
    pub line: Option<u64>,
    /// Event kind or finding rule.
    pub kind: String,
    pub severity: Option<Severity>,
    /// Extra fields (ip, user, status...), sorted.
    pub fields: Vec<(String, String)>,
    /// For file events: the bodyfile line of the record.
    #[serde(skip)]
    pub bodyfile: Option<String>,
}

/// The merged timeline.
#[derive(Debug, Default)]
pub struct Timeline {
    /// Events sorted by time, then origin, path and line.
    pub events: Vec<TimelineEvent>,
    /// What could not be read (with the reason) and assumptions made.
    pub notes: Vec<String>,
    /// Log files whose bytes are not the ones their archive sealed, as
    /// (`archive:path`, what differs); their events carry the field
    /// `integrity = mismatch` ([`INTEGRITY_FIELD`]).
    pub altered: Vec<(String, String)>,
}

/// The field an event read from altered content carries, with the value
/// `mismatch`.
pub const INTEGRITY_FIELD: &str = "integrity";

impl TimelineEvent {
    /// Whether the event was read from content that does not match its
    /// archive's sealed manifest.
    pub fn from_altered(&self) -> bool {
        self.fields
            .iter()
            .any(|(k, v)| k == INTEGRITY_FIELD && v == "mismatch")
    }
}

/// A failure that stops the timeline.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TimelineError {
    #[error(transparent)]
    Logs(#[from] LogError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Rules(#[from] crate::detect::ruleset::RuleSetError),
    #[error("cannot write timeline: {0}")]
    Write(#[from] std::io::Error),
}

/// An RFC 3339 time of a file record, in the range an event may carry
/// (`Err` when it parses but lies outside the years 1900–9999).
fn us(s: &Option<String>) -> Option<Result<i64, ()>> {
    s.as_deref()
        .and_then(|v| time::iso(v.as_bytes(), 0))
        .map(|t| {
            if time::in_range(t.0) {
                Ok(t.0)
            } else {
                Err(())
            }
        })
}

/// Add the events of one file record; returns how many of its times lie
/// outside the years 1900–9999 and were left out.
fn file_events(
    archive_path: &std::path::Path,
    r: &FileRecord,
    out: &mut Vec<TimelineEvent>,
) -> u64 {
    let mut out_of_range = 0;
    let body = archive::bodyfile::line(r);
    for (label, t) in [
        ("Modification Time", &r.mtime),
        ("Last Access Time", &r.atime),
        ("Metadata Modification Time", &r.ctime),
        ("Creation Time", &r.btime),
    ] {
        let t = match us(t) {
            Some(Ok(t)) => t,
            Some(Err(())) => {
                out_of_range += 1;
                continue;
            }
            None => continue,
        };
        let mut fields = vec![
            ("path".to_string(), r.path.clone()),
            ("size_bytes".to_string(), r.size.to_string()),
            ("mode".to_string(), r.mode.clone()),
            ("status".to_string(), r.status.as_str().to_string()),
        ];
        // No uid field where the capture could not read one (`null`).
        if let Some(u) = r.uid {
            fields.push(("uid".into(), u.to_string()));
        }
        if let Some(h) = &r.sha256 {
            fields.push(("sha256".into(), h.clone()));
        }
        if let Some(u) = &r.user {
            fields.push(("user".into(), u.clone()));
        }
        fields.sort();
        out.push(TimelineEvent {
            time_us: t,
            timestamp_desc: label.into(),
            origin: Origin::File,
            message: format!("{} {} ({} bytes, {})", label, r.path, r.size, r.mode),
            archive: Some(archive_path.to_path_buf()),
            path: r.path.clone(),
            line: None,
            kind: format!("file_{}", r.kind.letter()),
            severity: None,
            fields,
            bodyfile: Some(body.clone()),
        });
    }
    out_of_range
}

/// Add the file findings of one archive (the detection layer's rules and
/// detectors on the snapshot, as `exhibit scan` runs them), each at the
/// modification time of its file — when the file took the content judged —
/// or, without one, its metadata change time. Findings with neither are
/// counted in a note. A finding on a file whose content is not the sealed
/// content carries [`INTEGRITY_FIELD`] and the file joins `altered`.
#[allow(clippy::too_many_arguments)]
fn file_finding_events(
    archive_path: &std::path::Path,
    records: &[FileRecord],
    rules: &files::Rules,
    out: &mut Vec<TimelineEvent>,
    notes: &mut Vec<String>,
    altered: &mut Vec<(String, String)>,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) {
    let judged = crate::snapshot::Snapshot::open(archive_path, progress, cancel)
        .map_err(|e| e.to_string())
        .map(|snap| {
            let mut f = files::on_snapshot(&snap, rules, &files::HashSets::default());
            files::mark_altered(&[&snap], &mut f, cancel);
            f
        });
    let findings = match judged {
        Ok(f) => f,
        Err(e) => {
            notes.push(format!(
                "file findings left out ({e}): {}",
                archive_path.display()
            ));
            return;
        }
    };
    let by_path: std::collections::HashMap<&str, &FileRecord> =
        records.iter().map(|r| (r.path.as_str(), r)).collect();
    let mut untimed = 0u64;
    for f in findings {
        let record = by_path.get(f.subject.path.as_str());
        let timed = record.and_then(|r| {
            [
                ("Finding (file modified)", &r.mtime),
                ("Finding (file metadata changed)", &r.ctime),
            ]
            .into_iter()
            .find_map(|(desc, t)| match us(t) {
                Some(Ok(t)) => Some((desc, t)),
                _ => None,
            })
        });
        let Some((desc, t)) = timed else {
            untimed += 1;
            continue;
        };
        let mut fields = vec![("path".to_string(), f.subject.path.clone())];
        if let Some(c) = f.subject.change {
            fields.push(("change".into(), c.as_str().into()));
        }
        if let Some(e) = f.subject.evidence.first() {
            fields.push(("evidence".into(), e.chars().take(512).collect()));
        }
        if let Some(why) = &f.subject.altered {
            fields.push((INTEGRITY_FIELD.into(), "mismatch".into()));
            let loc = format!("{}:{}", archive_path.display(), f.subject.path);
            if !altered.iter().any(|(l, _)| *l == loc) {
                altered.push((loc, why.clone()));
            }
        }
        fields.sort();
        out.push(TimelineEvent {
            time_us: t,
            timestamp_desc: desc.into(),
            origin: Origin::Finding,
            message: format!("[{}] {}: {}", f.severity.as_str(), f.title, f.subject.path),
            archive: Some(archive_path.to_path_buf()),
            path: f.subject.path,
            line: None,
            kind: f.rule,
            severity: Some(f.severity),
            fields,
            bodyfile: None,
        });
    }
    if untimed > 0 {
        notes.push(format!(
            "{untimed} file finding(s) about files without a recorded time are not on the timeline: {}",
            archive_path.display()
        ));
    }
}

fn custody_events(
    archive_path: &std::path::Path,
    out: &mut Vec<TimelineEvent>,
    notes: &mut Vec<String>,
) {
    let log = archive::custody_log_path(archive_path);
    let text = match std::fs::read(&log) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            notes.push(format!(
                "no custody log beside the archive: {}",
                log.display()
            ));
            return;
        }
        Err(e) => {
            notes.push(format!("cannot read custody log: {e}: {}", log.display()));
            return;
        }
    };
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let v: serde_json::Value = match serde_json::from_slice(line) {
            Ok(v) => v,
            Err(e) => {
                notes.push(format!(
                    "custody log line {} is not JSON ({e}): {}",
                    n + 1,
                    log.display()
                ));
                continue;
            }
        };
        let Some(t) = v
            .get("at")
            .and_then(|a| a.as_str())
            .and_then(|a| time::iso(a.as_bytes(), 0))
            .map(|x| x.0)
            .filter(|&t| time::in_range(t))
        else {
            notes.push(format!(
                "custody log line {} has no usable `at` time: {}",
                n + 1,
                log.display()
            ));
            continue;
        };
        let action = v.get("action").and_then(|a| a.as_str()).unwrap_or("?");
        let actor = v
            .pointer("/actor/name")
            .and_then(|a| a.as_str())
            .unwrap_or("?");
        let mut fields = Vec::new();
        if let Some(obj) = v.as_object() {
            for (k, val) in obj {
                if matches!(
                    k.as_str(),
                    "at" | "action" | "actor" | "prev" | "hash" | "sig" | "signature"
                ) {
                    continue;
                }
                let s = match val {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if s.len() <= 512 {
                    fields.push((k.clone(), s));
                }
            }
        }
        fields.sort();
        out.push(TimelineEvent {
            time_us: t,
            timestamp_desc: "Custody Event".into(),
            origin: Origin::Custody,
            message: format!("custody: {action} by {actor}"),
            archive: Some(archive_path.to_path_buf()),
            path: log.display().to_string(),
            line: Some(n as u64 + 1),
            kind: format!("custody_{action}"),
            severity: None,
            fields,
            bodyfile: None,
        });
    }
}

/// Build the timeline: every kind of source in turn (snapshots' file times,
/// logs and their findings, custody events), then one merge in time
/// order. One function so the order of sources, which ties are broken by,
/// is in one place.
pub fn build(
    req: &TimelineRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<Timeline, TimelineError> {
    let mut tl = Timeline::default();
    let mut events = Vec::new();
    let ruleset = crate::detect::ruleset::RuleSet::load(req.rules_dir.as_deref())?;
    // Files and custody from archives.
    for src in &req.sources {
        if src.is_file() && Archive::open(src).is_ok() {
            let a = Archive::open(src)?;
            let (records, bad) = a.records()?;
            for (line, err) in bad {
                tl.notes.push(format!(
                    "files.jsonl line {line} unreadable ({err}): {}",
                    src.display()
                ));
            }
            let mut out_of_range = 0;
            for r in &records {
                out_of_range += file_events(src, r, &mut events);
            }
            if out_of_range > 0 {
                tl.notes.push(format!(
                    "{out_of_range} file time(s) outside the years 1900-9999 are not on the timeline: {}",
                    src.display()
                ));
            }
            if !req.no_file_findings {
                file_finding_events(
                    src,
                    &records,
                    &ruleset.files,
                    &mut events,
                    &mut tl.notes,
                    &mut tl.altered,
                    progress,
                    cancel,
                );
            }
            custody_events(src, &mut events, &mut tl.notes);
        }
    }
    // Logs and findings.
    let store = logs::load(
        &LoadRequest {
            sources: req.sources.clone(),
            tz_offset_s: req.tz_offset_s,
            format: None,
            threads: 0,
        },
        progress,
        cancel,
    )?;
    for s in &store.skipped {
        if s.archive.is_none() {
            tl.notes
                .push(format!("not read as a log ({}): {}", s.reason, s.path));
        }
    }
    for s in &store.sources {
        if let Some(e) = &s.error {
            tl.notes
                .push(format!("log read incompletely ({e}): {}", s.path));
        }
        if let Some(crate::archive::checked::Integrity::Mismatch(why)) = &s.integrity {
            tl.altered.push((
                format!(
                    "{}:{}",
                    s.archive
                        .as_deref()
                        .map(|a| a.display().to_string())
                        .unwrap_or_default(),
                    s.path
                ),
                why.clone(),
            ));
        }
        for n in &s.notes {
            tl.notes.push(format!("{n}: {}", s.path));
        }
    }
    let mut untimed = 0u64;
    for e in &store.events {
        if req.skip_unparsed && e.kind == logs::Kind::Unparsed {
            continue;
        }
        let Some(t) = e.time_us else {
            untimed += 1;
            continue;
        };
        let src = store.source_of(e);
        let mut fields: Vec<(String, String)> = e
            .fields()
            .map(|(f, v)| (f.name().to_string(), v.to_string()))
            .collect();
        if let Some(s) = e.status {
            fields.push(("status".into(), s.to_string()));
        }
        if let Some(b) = e.bytes {
            fields.push(("bytes".into(), b.to_string()));
        }
        if let Some(p) = src {
            fields.push(("parser".into(), p.parser.clone()));
        }
        if store.from_altered(e) {
            fields.push((INTEGRITY_FIELD.into(), "mismatch".into()));
        }
        fields.sort();
        events.push(TimelineEvent {
            time_us: t,
            timestamp_desc: "Log Entry".into(),
            origin: Origin::Log,
            message: e.line_text().to_string(),
            archive: src.and_then(|s| s.archive.clone()),
            path: src.map(|s| s.path.clone()).unwrap_or_default(),
            line: Some(e.line),
            kind: e.kind.as_str().into(),
            severity: None,
            fields,
            bodyfile: None,
        });
    }
    if untimed > 0 {
        tl.notes.push(format!(
            "{untimed} log event(s) without a time are not on the timeline"
        ));
    }
    for f in detections::run(&store, &ruleset.logs) {
        let Some(t) = f.subject.first_us else {
            continue;
        };
        let first = f
            .subject
            .events
            .first()
            .and_then(|&i| store.events.get(i as usize));
        let src = first.and_then(|e| store.source_of(e));
        let mut fields = vec![("events".to_string(), f.subject.events.len().to_string())];
        if f.subject
            .events
            .iter()
            .filter_map(|&i| store.events.get(i as usize))
            .any(|e| store.from_altered(e))
        {
            fields.push((INTEGRITY_FIELD.into(), "mismatch".into()));
        }
        for (k, v) in [
            ("ips", &f.subject.ips),
            ("users", &f.subject.users),
            ("paths", &f.subject.paths),
        ] {
            if !v.is_empty() {
                fields.push((
                    k.into(),
                    v.iter().take(20).cloned().collect::<Vec<_>>().join(" "),
                ));
            }
        }
        events.push(TimelineEvent {
            time_us: t,
            timestamp_desc: "Finding".into(),
            origin: Origin::Finding,
            message: format!("[{}] {}", f.severity.as_str(), f.title),
            archive: src.and_then(|s| s.archive.clone()),
            path: src.map(|s| s.path.clone()).unwrap_or_default(),
            line: first.map(|e| e.line),
            kind: f.rule,
            severity: Some(f.severity),
            fields,
            bodyfile: None,
        });
    }
    events.retain(|e| {
        req.from_us.is_none_or(|f| e.time_us >= f) && req.to_us.is_none_or(|x| e.time_us <= x)
    });
    events.sort_by(|a, b| {
        (
            a.time_us,
            a.origin,
            &a.archive,
            &a.path,
            a.line,
            &a.timestamp_desc,
        )
            .cmp(&(
                b.time_us,
                b.origin,
                &b.archive,
                &b.path,
                b.line,
                &b.timestamp_desc,
            ))
    });
    tl.events = events;
    Ok(tl)
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportFormat {
    /// Timesketch JSON Lines.
    Jsonl,
    /// Timesketch CSV.
    Csv,
    /// Sleuth Kit bodyfile (for `mactime -b`).
    Bodyfile,
}

/// The analyst's marks on one event, as an export carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventMarks {
    pub starred: bool,
    pub tags: Vec<String>,
    /// A free-text note (Timesketch: a comment).
    pub note: String,
}

/// The tag a starred event carries in an export: Timesketch keeps stars
/// per sketch and cannot import them, but it indexes an event's `tag`
/// list, so `tag:starred` finds them after import.
pub const STAR_TAG: &str = "starred";

impl EventMarks {
    /// The `tag` list: the analyst's tags, then [`STAR_TAG`] if starred.
    pub fn tag_list(&self) -> Vec<String> {
        let mut v = self.tags.clone();
        if self.starred && !v.iter().any(|t| t == STAR_TAG) {
            v.push(STAR_TAG.to_string());
        }
        v
    }
}

/// How an export finds an event's marks (none: `None`).
pub type MarksOf<'a> = &'a dyn Fn(&TimelineEvent) -> Option<EventMarks>;

fn json_line(e: &TimelineEvent, marks: Option<&EventMarks>) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    if let Some(mk) = marks {
        let tags = mk.tag_list();
        if !tags.is_empty() {
            m.insert("tag".into(), tags.into());
        }
        if mk.starred {
            m.insert("exhibit_starred".into(), true.into());
        }
        if !mk.note.trim().is_empty() {
            m.insert("exhibit_note".into(), mk.note.clone().into());
        }
    }
    m.insert("message".into(), e.message.clone().into());
    m.insert("datetime".into(), rfc3339_offset(e.time_us).into());
    m.insert("timestamp".into(), e.time_us.into());
    m.insert("timestamp_desc".into(), e.timestamp_desc.clone().into());
    m.insert("origin".into(), e.origin.as_str().into());
    m.insert("kind".into(), e.kind.clone().into());
    // Provenance keys are prefixed so they never hide an event's own fields
    // (a web request's `path`).
    m.insert("source_file".into(), e.path.clone().into());
    if let Some(a) = &e.archive {
        m.insert("archive".into(), a.display().to_string().into());
    }
    if let Some(l) = e.line {
        m.insert("source_line".into(), l.into());
    }
    if let Some(s) = e.severity {
        m.insert("severity".into(), s.as_str().into());
    }
    for (k, v) in &e.fields {
        if !m.contains_key(k) {
            m.insert(k.clone(), v.clone().into());
        }
    }
    // Keys in order in every build (the `yara` feature turns on
    // serde_json's `preserve_order`).
    m.sort_keys();
    serde_json::Value::Object(m)
}

/// The CSV columns, in order. Timesketch needs the first four.
pub const CSV_COLUMNS: &[&str] = &[
    "message",
    "datetime",
    "timestamp_desc",
    "timestamp",
    "origin",
    "kind",
    "severity",
    "archive",
    "source_file",
    "source_line",
    "path",
    "host",
    "program",
    "user",
    "ip",
    "method",
    "status",
    "bytes",
    "command",
    "tag",
    "exhibit_note",
];

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn bodyfile_clean(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// Write the timeline in a format.
pub fn write(tl: &Timeline, format: ExportFormat, w: &mut dyn Write) -> std::io::Result<()> {
    write_marked(tl, format, &|_| None, w)
}

/// Write the timeline in a format with the analyst's marks: in JSON Lines
/// `tag` (a list: the tags, and `starred` for a starred event),
/// `exhibit_starred` and `exhibit_note`; in CSV the `tag` column (the list
/// joined with `,`) and `exhibit_note`. The bodyfile has no place for them.
pub fn write_marked(
    tl: &Timeline,
    format: ExportFormat,
    marks: MarksOf<'_>,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        ExportFormat::Jsonl => {
            for e in &tl.events {
                writeln!(w, "{}", json_line(e, marks(e).as_ref()))?;
            }
        }
        ExportFormat::Csv => {
            writeln!(w, "{}", CSV_COLUMNS.join(","))?;
            for e in &tl.events {
                let get = |k: &str| {
                    e.fields
                        .iter()
                        .find(|(f, _)| f == k)
                        .map(|(_, v)| v.as_str())
                        .unwrap_or("")
                };
                let line = e.line.map(|l| l.to_string()).unwrap_or_default();
                let mk = marks(e).unwrap_or_default();
                let tags = mk.tag_list().join(",");
                let archive = e
                    .archive
                    .as_ref()
                    .map(|a| a.display().to_string())
                    .unwrap_or_default();
                let cols = [
                    e.message.as_str(),
                    &rfc3339_offset(e.time_us),
                    &e.timestamp_desc,
                    &e.time_us.to_string(),
                    e.origin.as_str(),
                    &e.kind,
                    e.severity.map(Severity::as_str).unwrap_or(""),
                    &archive,
                    &e.path,
                    &line,
                    get("path"),
                    get("host"),
                    get("program"),
                    get("user"),
                    get("ip"),
                    get("method"),
                    get("status"),
                    get("bytes"),
                    get("command"),
                    &tags,
                    &mk.note,
                ];
                let row: Vec<String> = cols.iter().map(|c| csv_field(c)).collect();
                writeln!(w, "{}", row.join(","))?;
            }
        }
        ExportFormat::Bodyfile => {
            // Files: their record's line, once (all four times). Others: the
            // time in all four fields (mactime prints a zero time as 1970),
            // named `[origin:kind] message`.
            let mut seen = std::collections::HashSet::new();
            for e in &tl.events {
                if let Some(b) = &e.bodyfile {
                    if seen.insert((e.archive.clone(), e.path.clone())) {
                        writeln!(w, "{b}")?;
                    }
                    continue;
                }
                let secs = e.time_us.div_euclid(time::US);
                let name = format!("[{}:{}] {}", e.origin.as_str(), e.kind, e.message);
                writeln!(
                    w,
                    "0|{}|0|0|0|0|0|{secs}|{secs}|{secs}|{secs}",
                    bodyfile_clean(&name)
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: i64, msg: &str) -> TimelineEvent {
        TimelineEvent {
            time_us: t,
            timestamp_desc: "Log Entry".into(),
            origin: Origin::Log,
            message: msg.into(),
            archive: None,
            path: "/var/log/auth.log".into(),
            line: Some(3),
            kind: "auth_failure".into(),
            severity: None,
            fields: vec![("ip".into(), "10.0.0.1".into())],
            bodyfile: None,
        }
    }

    #[test]
    fn file_and_custody_times_outside_1900_to_9999_are_left_out() {
        let r: FileRecord = serde_json::from_str(
            r#"{"path":"/etc/x","type":"file","size":1,"mode":"0644","uid":0,"gid":0,"inode":1,"dev":1,"nlink":1,"mtime":"0001-01-01T00:00:00Z","atime":"9999-12-31T23:59:59-01:00","ctime":"1900-01-01T00:30:00+00:30","btime":"2024-01-01T00:00:00Z","status":"captured"}"#,
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("a.zip");
        let mut out = Vec::new();
        assert_eq!(file_events(&archive, &r, &mut out), 2);
        let kept: Vec<(&str, i64)> = out
            .iter()
            .map(|e| (e.timestamp_desc.as_str(), e.time_us))
            .collect();
        assert_eq!(
            kept,
            [
                ("Metadata Modification Time", time::MIN_US),
                ("Creation Time", 1_704_067_200 * time::US)
            ]
        );
        std::fs::write(
            dir.path().join("a.custody.jsonl"),
            "{\"at\":\"0001-01-01T00:00:00Z\",\"action\":\"acquired\"}\n{\"at\":\"2024-01-01T00:00:00Z\",\"action\":\"sealed\"}\n",
        )
        .unwrap();
        let (mut out, mut notes) = (Vec::new(), Vec::new());
        custody_events(&archive, &mut out, &mut notes);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, "custody_sealed");
        assert!(
            notes[0].starts_with("custody log line 1 has no usable `at` time"),
            "{notes:?}"
        );
    }

    #[test]
    fn marks_become_timesketch_tags_and_a_note_field() {
        let tl = Timeline {
            events: vec![ev(1, "marked"), ev(2, "plain")],
            notes: vec![],
            altered: vec![],
        };
        let marks = |e: &TimelineEvent| {
            (e.message == "marked").then(|| EventMarks {
                starred: true,
                tags: vec!["c2".into()],
                note: "beacon, \"first\"".into(),
            })
        };
        let mut out = Vec::new();
        write_marked(&tl, ExportFormat::Jsonl, &marks, &mut out).unwrap();
        let lines: Vec<serde_json::Value> = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(lines[0]["tag"], serde_json::json!(["c2", "starred"]));
        assert_eq!(lines[0]["exhibit_starred"], true);
        assert_eq!(lines[0]["exhibit_note"], "beacon, \"first\"");
        assert!(lines[1].get("tag").is_none() && lines[1].get("exhibit_note").is_none());
        let mut out = Vec::new();
        write_marked(&tl, ExportFormat::Csv, &marks, &mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.lines().next().unwrap().ends_with(",tag,exhibit_note"));
        assert!(
            s.contains(",\"c2,starred\",\"beacon, \"\"first\"\"\"\n"),
            "{s}"
        );
    }

    #[test]
    fn timesketch_jsonl_and_csv_fields() {
        let tl = Timeline {
            events: vec![ev(1_500_000, "a, \"quoted\"\nline|x")],
            notes: vec![],
            altered: vec![],
        };
        let mut out = Vec::new();
        write(&tl, ExportFormat::Jsonl, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["datetime"], "1970-01-01T00:00:01.500000+00:00");
        assert_eq!(v["timestamp"], 1_500_000);
        assert_eq!(v["timestamp_desc"], "Log Entry");
        assert_eq!(v["ip"], "10.0.0.1");
        let mut out = Vec::new();
        write(&tl, ExportFormat::Csv, &mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("message,datetime,timestamp_desc,timestamp,"));
        assert!(s.contains(
            "\"a, \"\"quoted\"\"\nline|x\",1970-01-01T00:00:01.500000+00:00,Log Entry,1500000,"
        ));
        let mut out = Vec::new();
        write(&tl, ExportFormat::Bodyfile, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "0|[log:auth_failure] a, \"quoted\"\\nline\\|x|0|0|0|0|0|1|1|1|1\n"
        );
    }
}
