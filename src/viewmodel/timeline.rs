//! The Timeline screen's model, without egui: the built timeline with its
//! event ids, kinds and span; the filters and zoom and their evaluation
//! (visible rows and histogram counts); the analyst's stars and tags and
//! their file beside `case.json`; and the export of the visible events.
//! The view runs the I/O here in background jobs.

use crate::detect::Severity;
use crate::timeline::{self, ExportFormat, Origin, Timeline, TimelineEvent};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file beside `case.json` that holds the stars and tags.
pub const MARKS_FILE: &str = "timeline-marks.json";

/// The most bars the histogram draws.
const MAX_BUCKETS: i64 = 120;

/// Bucket sizes the histogram chooses from, in seconds.
const BUCKETS_S: &[i64] = &[
    1,
    5,
    10,
    30,
    60,
    300,
    600,
    900,
    1800,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    7 * 86_400,
    30 * 86_400,
    365 * 86_400,
];

/// A stable id for a timeline event, the key of its marks: origin, archive
/// file name, logical path, line, kind, time description and time. Readable
/// on purpose, so an auditor can match a mark to its event by hand.
pub fn event_id(e: &TimelineEvent) -> String {
    let archive = e
        .archive
        .as_ref()
        .and_then(|a| a.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let line = e.line.map(|l| l.to_string()).unwrap_or_default();
    format!(
        "{}|{archive}|{}|{line}|{}|{}|{}",
        e.origin.as_str(),
        e.path,
        e.kind,
        e.timestamp_desc,
        e.time_us
    )
}

/// The marks on one event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    #[serde(default)]
    pub starred: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The analyst's note on the event (exported as a Timesketch field).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The event's time (RFC 3339 UTC) and message, so the file explains
    /// itself without the timeline.
    #[serde(default)]
    pub time: String,
    #[serde(default)]
    pub message: String,
}

/// Stars and tags of a case, keyed by [`event_id`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marks {
    #[serde(default)]
    pub version: u32,
    #[serde(default)]
    pub events: BTreeMap<String, Mark>,
}

impl Marks {
    /// How many events are starred.
    pub fn starred(&self) -> usize {
        self.events.values().filter(|m| m.starred).count()
    }

    /// Every tag in use, sorted.
    pub fn tags(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .events
            .values()
            .flat_map(|m| m.tags.iter().cloned())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The marks of an event (created empty), with its time and message.
    pub fn entry(&mut self, e: &TimelineEvent) -> &mut Mark {
        let m = self.events.entry(event_id(e)).or_default();
        m.time = crate::logs::time::rfc3339(e.time_us);
        m.message = e.message.chars().take(200).collect();
        m
    }

    /// Drop events left with neither a star, a tag nor a note.
    pub fn tidy(&mut self) {
        self.events
            .retain(|_, m| m.starred || !m.tags.is_empty() || !m.note.trim().is_empty());
    }

    /// The marks of an event as an export carries them.
    pub fn export_marks(&self, e: &TimelineEvent) -> Option<timeline::EventMarks> {
        self.events.get(&event_id(e)).map(|m| timeline::EventMarks {
            starred: m.starred,
            tags: m.tags.clone(),
            note: m.note.clone(),
        })
    }
}

/// Read a case's marks (none yet is an empty set; an unreadable file is an
/// error, never silently replaced).
pub fn load_marks(case_dir: &Path) -> anyhow::Result<Marks> {
    let p = case_dir.join(MARKS_FILE);
    match std::fs::read(&p) {
        Ok(b) => serde_json::from_slice(&b)
            .map_err(|e| anyhow::anyhow!("{MARKS_FILE} is not valid: {e}: {}", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Marks::default()),
        Err(e) => Err(anyhow::anyhow!(
            "cannot read {MARKS_FILE}: {e}: {}",
            p.display()
        )),
    }
}

/// Write a case's marks (to a temporary file, then renamed over the old).
pub fn save_marks(case_dir: &Path, marks: &Marks) -> anyhow::Result<()> {
    let p = case_dir.join(MARKS_FILE);
    let tmp = case_dir.join(format!(".{MARKS_FILE}.tmp"));
    let mut m = marks.clone();
    m.version = 1;
    let mut json = serde_json::to_vec_pretty(&m)?;
    json.push(b'\n');
    use std::io::Write as _;
    std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(&json).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, &p))
        .map_err(|e| anyhow::anyhow!("cannot save {MARKS_FILE}: {e}: {}", p.display()))
}

/// A built timeline with what the screen needs beside it.
pub struct Built {
    pub sources: Vec<PathBuf>,
    pub timeline: Arc<Timeline>,
    /// [`event_id`] of every event.
    pub ids: Arc<Vec<String>>,
    /// Distinct kinds, sorted.
    pub kinds: Vec<String>,
    /// First and last event time (µs), if any event.
    pub span: Option<(i64, i64)>,
}

impl Built {
    /// Wrap a timeline (computes ids, kinds and span).
    pub fn new(sources: Vec<PathBuf>, timeline: Timeline) -> Self {
        let ids: Vec<String> = timeline.events.iter().map(event_id).collect();
        let mut kinds: Vec<String> = timeline.events.iter().map(|e| e.kind.clone()).collect();
        kinds.sort();
        kinds.dedup();
        let span = match (timeline.events.first(), timeline.events.last()) {
            (Some(a), Some(b)) => Some((a.time_us, b.time_us)),
            _ => None,
        };
        Self {
            sources,
            timeline: Arc::new(timeline),
            ids: Arc::new(ids),
            kinds,
            span,
        }
    }
}

/// The timeline's filters and zoom.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlFilter {
    pub text: String,
    pub origin: Option<Origin>,
    pub kind: Option<String>,
    /// Findings at or above this severity (other origins pass).
    pub min_severity: Option<Severity>,
    pub starred_only: bool,
    pub tag: Option<String>,
    /// The zoomed range (inclusive, µs); `None` shows everything.
    pub range: Option<(i64, i64)>,
    /// Bumped when the marks change, so star/tag filters recompute.
    pub marks_gen: u64,
}

/// Histogram counts over the visible range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    /// Start of the first bucket (µs).
    pub from_us: i64,
    pub bucket_us: i64,
    pub counts: Vec<u64>,
}

impl Histogram {
    /// The range `[start, end]` (µs) of the bucket holding time `t_us`.
    pub fn bucket_at(&self, t_us: i64) -> Option<(i64, i64)> {
        if self.bucket_us <= 0 || t_us < self.from_us {
            return None;
        }
        let i = (t_us - self.from_us) / self.bucket_us;
        if i as usize >= self.counts.len() {
            return None;
        }
        let start = self.from_us + i * self.bucket_us;
        Some((start, start + self.bucket_us - 1))
    }
}

/// The bucket size (µs) for a visible range: the smallest listed size that
/// needs at most `MAX_BUCKETS` bars.
pub fn bucket_for(range_us: i64) -> i64 {
    let secs = (range_us / 1_000_000).max(1);
    for &b in BUCKETS_S {
        if secs / b < MAX_BUCKETS {
            return b * 1_000_000;
        }
    }
    let last = BUCKETS_S.last().copied().unwrap_or(86_400);
    (secs / MAX_BUCKETS + 1).max(last) * 1_000_000
}

/// The filter job's result.
#[derive(Debug, Clone, Default)]
pub struct Filtered {
    pub rows: Vec<u32>,
    pub histogram: Histogram,
}

/// Whether an event passes the filter's non-time parts.
fn passes(e: &TimelineEvent, id: &str, f: &TlFilter, marks: &Marks, text: &str) -> bool {
    if f.origin.is_some_and(|o| o != e.origin) {
        return false;
    }
    if f.kind.as_ref().is_some_and(|k| *k != e.kind) {
        return false;
    }
    if let Some(min) = f.min_severity
        && e.origin == Origin::Finding
        && e.severity.is_none_or(|s| s < min)
    {
        return false;
    }
    if f.starred_only || f.tag.is_some() {
        let Some(m) = marks.events.get(id) else {
            return false;
        };
        if f.starred_only && !m.starred {
            return false;
        }
        if let Some(t) = &f.tag
            && !m.tags.contains(t)
        {
            return false;
        }
    }
    if !text.is_empty()
        && !e.message.to_lowercase().contains(text)
        && !e.path.to_lowercase().contains(text)
    {
        return false;
    }
    true
}

/// Compute the visible rows and the histogram (the filter job's work).
pub fn filter_timeline(tl: &Timeline, ids: &[String], f: &TlFilter, marks: &Marks) -> Filtered {
    let text = f.text.trim().to_lowercase();
    let (lo, hi) = match f.range {
        Some(r) => r,
        None => match (tl.events.first(), tl.events.last()) {
            (Some(a), Some(b)) => (a.time_us, b.time_us),
            _ => return Filtered::default(),
        },
    };
    // Events are sorted by time: find the range by binary search.
    let start = tl.events.partition_point(|e| e.time_us < lo);
    let end = tl.events.partition_point(|e| e.time_us <= hi);
    let bucket_us = bucket_for(hi.saturating_sub(lo));
    let from_us = lo.div_euclid(bucket_us) * bucket_us;
    let n = ((hi - from_us) / bucket_us + 1).clamp(1, MAX_BUCKETS * 4) as usize;
    let mut counts = vec![0u64; n];
    let mut rows = Vec::new();
    for i in start..end.max(start) {
        let (Some(e), Some(id)) = (tl.events.get(i), ids.get(i)) else {
            continue;
        };
        if !passes(e, id, f, marks, &text) {
            continue;
        }
        rows.push(i as u32);
        let b = ((e.time_us - from_us) / bucket_us) as usize;
        if let Some(c) = counts.get_mut(b) {
            *c += 1;
        }
    }
    Filtered {
        rows,
        histogram: Histogram {
            from_us,
            bucket_us,
            counts,
        },
    }
}

/// Write the events at `rows` of `tl` to `path` (the export job's work):
/// how many were written.
pub fn export(
    tl: &Timeline,
    rows: &[u32],
    format: ExportFormat,
    marks: &Marks,
    path: &Path,
) -> anyhow::Result<usize> {
    let visible = Timeline {
        events: rows
            .iter()
            .filter_map(|&i| tl.events.get(i as usize).cloned())
            .collect(),
        notes: Vec::new(),
        altered: Vec::new(),
    };
    let f = std::fs::File::create(path)
        .map_err(|e| anyhow::anyhow!("cannot create the export: {e}: {}", path.display()))?;
    let mut w = std::io::BufWriter::new(f);
    timeline::write_marked(&visible, format, &|e| marks.export_marks(e), &mut w)
        .and_then(|()| std::io::Write::flush(&mut w))
        .map_err(|e| anyhow::anyhow!("cannot write the export: {e}: {}", path.display()))?;
    Ok(visible.events.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t_s: i64, origin: Origin, msg: &str) -> TimelineEvent {
        TimelineEvent {
            time_us: t_s * 1_000_000,
            timestamp_desc: "Log Entry".into(),
            origin,
            message: msg.into(),
            archive: None,
            path: "/var/log/auth.log".into(),
            line: Some(t_s as u64),
            kind: "auth_failure".into(),
            severity: None,
            fields: Vec::new(),
            bodyfile: None,
        }
    }

    #[test]
    fn buckets_follow_the_visible_range() {
        assert_eq!(bucket_for(0), 1_000_000);
        assert_eq!(bucket_for(60 * 1_000_000), 1_000_000);
        assert_eq!(bucket_for(3600 * 1_000_000), 60 * 1_000_000);
        assert_eq!(bucket_for(86_400 * 1_000_000), 900 * 1_000_000);
        assert!(bucket_for(i64::MAX / 2) > 0);
    }

    #[test]
    fn filter_zooms_counts_and_honours_stars() {
        let tl = Timeline {
            events: (0..100)
                .map(|i| ev(1_000 + i * 36, Origin::Log, &format!("line {i}")))
                .collect(),
            notes: Vec::new(),
            altered: Vec::new(),
        };
        let b = Built::new(Vec::new(), tl);
        let mut f = TlFilter::default();
        let all = filter_timeline(&b.timeline, &b.ids, &f, &Marks::default());
        assert_eq!(all.rows.len(), 100);
        assert_eq!(all.histogram.counts.iter().sum::<u64>(), 100);
        // Zoom to the bar holding the 10th event.
        let t = b.timeline.events[10].time_us;
        let (lo, hi) = all.histogram.bucket_at(t).unwrap();
        f.range = Some((lo, hi));
        let z = filter_timeline(&b.timeline, &b.ids, &f, &Marks::default());
        assert!(!z.rows.is_empty() && z.rows.len() < 100);
        assert!(z.rows.contains(&10));
        for &r in &z.rows {
            let t = b.timeline.events[r as usize].time_us;
            assert!(t >= lo && t <= hi);
        }
        // Stars.
        let mut marks = Marks::default();
        marks.entry(&b.timeline.events[42]).starred = true;
        let s = filter_timeline(
            &b.timeline,
            &b.ids,
            &TlFilter {
                starred_only: true,
                ..Default::default()
            },
            &marks,
        );
        assert_eq!(s.rows, vec![42]);
    }

    #[test]
    fn marks_round_trip_and_bad_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load_marks(dir.path()).unwrap(), Marks::default());
        let mut m = Marks::default();
        let e = ev(5, Origin::Log, "Failed password");
        m.entry(&e).starred = true;
        m.entry(&e).tags.push("initial access".into());
        save_marks(dir.path(), &m).unwrap();
        let back = load_marks(dir.path()).unwrap();
        let mark = back.events.get(&event_id(&e)).unwrap();
        assert!(mark.starred);
        assert_eq!(mark.tags, ["initial access"]);
        assert_eq!(mark.message, "Failed password");
        std::fs::write(dir.path().join(MARKS_FILE), b"{not json").unwrap();
        let err = load_marks(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not valid"), "{err}");
    }
}
