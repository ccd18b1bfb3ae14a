//! The Logs screen's model, without egui: typed filters and their parsing
//! in the case's zone, the rows a filter shows, the analyst's questions and
//! their answers, which finding a jump selects, and the load (parse every
//! source, run the detections) the view runs in a background job.

use crate::detect::logs::{self as detections, Finding};
use crate::job::{CancelToken, ProgressSink};
use crate::logs::query::{self, Filter};
use crate::logs::{LoadRequest, LogStore};
use crate::tz::DisplayZone;
use crate::viewmodel::format::fmt_time;
use std::path::PathBuf;
use std::sync::Arc;

/// Parse a typed time in the case's zone (`Z` at the end: UTC):
/// `2026-11-22`, `2026-11-22 10:00`, `2026-11-22T10:00:05Z`... A date alone
/// means its first second, or its last second when `end` is set. Empty text
/// is `Ok(None)`.
pub fn parse_time(text: &str, end: bool, zone: DisplayZone) -> Result<Option<i64>, String> {
    let trimmed = text.trim();
    let zone = if trimmed.ends_with('Z') {
        DisplayZone::Utc
    } else {
        zone
    };
    let t = trimmed.trim_end_matches('Z').replace('T', " ");
    if t.is_empty() {
        return Ok(None);
    }
    let instant = |dt: chrono::NaiveDateTime| {
        zone.to_utc(dt)
            .map(|u| Some(u.timestamp_micros()))
            .ok_or_else(|| {
                format!(
                    "{} does not exist in {} (clocks skipped it)",
                    trimmed,
                    zone.name()
                )
            })
    };
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(&t, f) {
            return instant(dt);
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d") {
        let time = if end {
            d.and_hms_micro_opt(23, 59, 59, 999_999)
        } else {
            d.and_hms_opt(0, 0, 0)
        };
        if let Some(dt) = time {
            return instant(dt);
        }
    }
    Err(format!(
        "not a time (use YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS], in {}): {}",
        zone.name(),
        text.trim()
    ))
}

/// Parse a status filter: `404`, `4xx`, `400-499`. Empty is `Ok(None)`.
pub fn parse_status(text: &str) -> Result<Option<(u16, u16)>, String> {
    let t = text.trim().to_ascii_lowercase();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || format!("not a status (use 404, 4xx or 400-499): {}", text.trim());
    if let Some(d) = t.strip_suffix("xx") {
        let d: u16 = d.parse().map_err(|_| bad())?;
        return Ok(Some((d * 100, d * 100 + 99)));
    }
    if let Some((a, b)) = t.split_once('-') {
        let a: u16 = a.trim().parse().map_err(|_| bad())?;
        let b: u16 = b.trim().parse().map_err(|_| bad())?;
        return Ok(Some((a.min(b), a.max(b))));
    }
    let s: u16 = t.parse().map_err(|_| bad())?;
    Ok(Some((s, s)))
}

/// What a load produced.
pub struct LogsLoaded {
    pub sources: Vec<PathBuf>,
    pub store: Arc<LogStore>,
    /// Sorted by severity (worst first), then time.
    pub findings: Arc<Vec<Finding>>,
}

/// Which events the table starts from before the filters apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Base {
    #[default]
    All,
    /// The events behind one finding (index into the findings).
    Finding(usize),
    /// The events of the current answer (by its sequence number).
    Answer(u64),
}

/// The table's filters, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogsFilter {
    pub text: String,
    pub ip: String,
    pub user: String,
    pub status: String,
    pub from: String,
    pub to: String,
    pub source: Option<u32>,
    pub base: Base,
}

impl LogsFilter {
    /// The filters in words, for an exported report (`no filter` when the
    /// table shows every event).
    pub fn describe(&self, findings: &[Finding]) -> String {
        let mut parts = Vec::new();
        for (name, v) in [
            ("text", &self.text),
            ("address", &self.ip),
            ("user", &self.user),
            ("status", &self.status),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.trim().is_empty() {
                parts.push(format!("{name} {:?}", v.trim()));
            }
        }
        if let Some(s) = self.source {
            parts.push(format!("source #{s}"));
        }
        match &self.base {
            Base::All => {}
            Base::Finding(i) => parts.push(format!(
                "events of the finding {:?}",
                findings.get(*i).map(|f| f.title.as_str()).unwrap_or("?")
            )),
            Base::Answer(_) => parts.push("events of the current answer".into()),
        }
        if parts.is_empty() {
            "no filter".into()
        } else {
            parts.join("; ")
        }
    }

    /// The core filter, or the first input that does not parse.
    pub fn to_filter(&self, zone: DisplayZone) -> Result<Filter, String> {
        let opt = |s: &str| {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        };
        let from_us = parse_time(&self.from, false, zone)?;
        let to_us = parse_time(&self.to, true, zone)?;
        Ok(Filter {
            text: opt(&self.text),
            ip: opt(&self.ip),
            user: opt(&self.user),
            status: parse_status(&self.status)?,
            from_us,
            to_us,
            source: self.source,
            kinds: Vec::new(),
        })
    }
}

/// The analyst's questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    WhoAccessed,
    IpActivity,
    FirstLast,
}

impl Question {
    pub fn label(self) -> &'static str {
        match self {
            Question::WhoAccessed => "Who accessed this path",
            Question::IpActivity => "Everything this IP did",
            Question::FirstLast => "First and last access of",
        }
    }
}

/// An answer: summary lines and the events behind it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub seq: u64,
    pub heading: String,
    pub lines: Vec<String>,
    pub events: Arc<Vec<u32>>,
}

/// Whether the store holds logs of more than one evidence archive (the
/// Logs table then names each event's snapshot).
pub fn several_snapshots(store: &LogStore) -> bool {
    let mut first = None;
    store
        .sources
        .iter()
        .filter_map(|s| s.archive.as_ref())
        .any(|a| {
            let other = first.is_some_and(|f| f != a);
            first.get_or_insert(a);
            other
        })
}

/// How many leading bytes every snapshot's archive name shares, cut just
/// after a `_` (`IR-7_E01_web01_….zip` and `IR-7_E02_web01_….zip` share
/// `IR-7_`): the Logs table leaves them out, so a narrow column still tells
/// the snapshots apart. 0 with fewer than two archives.
pub fn common_snapshot_prefix(store: &LogStore) -> usize {
    let mut names = store
        .sources
        .iter()
        .filter_map(|s| s.archive.as_ref()?.file_name()?.to_str());
    let Some(first) = names.next() else { return 0 };
    let mut common = first.len();
    let mut several = false;
    for n in names {
        if n != first {
            several = true;
        }
        common = first
            .bytes()
            .zip(n.bytes())
            .take(common)
            .take_while(|(a, b)| a == b)
            .count();
    }
    if !several {
        return 0;
    }
    first
        .get(..common)
        .and_then(|p| p.rfind('_'))
        .map_or(0, |i| i + 1)
}

/// The snapshot an event was read from, for the Logs table: the archive's
/// file name ("folder" for a log read from disk), and "+N" when the same
/// line is also in N other snapshots merged into it.
pub fn snapshot_label(store: &LogStore, e: &crate::logs::event::Event) -> String {
    let name = store
        .source_of(e)
        .and_then(|s| s.archive.as_ref())
        .and_then(|a| a.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "folder".into());
    match store.also_in(e).len() {
        0 => name,
        n => format!("{name} +{n}"),
    }
}

/// Compute the events a filter shows (the work of the filter job).
pub fn filter_rows(
    store: &LogStore,
    findings: &[Finding],
    answer: Option<&Answer>,
    base: &Base,
    filter: &Filter,
) -> Vec<u32> {
    let base: &[u32] = match base {
        Base::All => &store.by_time,
        Base::Finding(i) => findings
            .get(*i)
            .map_or(&[], |f| f.subject.events.as_slice()),
        Base::Answer(_) => answer.map_or(&[], |a| a.events.as_slice()),
    };
    filter.apply_to(store, base)
}

/// Answer a question over the store.
pub fn answer(store: &LogStore, q: Question, subject: &str, seq: u64, zone: DisplayZone) -> Answer {
    let mut lines = Vec::new();
    let t = |v: Option<i64>| v.map_or_else(|| "no time".to_string(), |v| fmt_time(v, zone));
    let events = match q {
        Question::WhoAccessed => {
            let acc = query::who_accessed(store, subject);
            for a in &acc {
                let statuses: Vec<String> =
                    a.statuses.iter().map(|(s, n)| format!("{s}x{n}")).collect();
                let fwd = if a.forwarded_for.is_empty() {
                    String::new()
                } else {
                    format!(" · for {}", a.forwarded_for.join(", "))
                };
                lines.push(format!(
                    "{} — {} request(s), {} served, first {}, last {}, status {}{fwd}",
                    a.ip,
                    a.requests,
                    crate::viewmodel::format::human_bytes(a.bytes),
                    t(a.first_us),
                    t(a.last_us),
                    statuses.join(" "),
                ));
            }
            let mut ev: Vec<u32> = acc.into_iter().flat_map(|a| a.events).collect();
            ev.sort_by_key(|&i| store.rank.get(i as usize).copied().unwrap_or(u32::MAX));
            ev
        }
        Question::IpActivity => {
            let ev = query::ip_activity(store, subject);
            let mut per_source: std::collections::BTreeMap<String, u64> = Default::default();
            for &i in &ev {
                if let Some(s) = store
                    .events
                    .get(i as usize)
                    .and_then(|e| store.source_of(e))
                {
                    *per_source.entry(s.path.clone()).or_default() += 1;
                }
            }
            for (p, n) in per_source {
                lines.push(format!("{n} event(s) in {p}"));
            }
            ev
        }
        Question::FirstLast => match query::first_last(store, subject) {
            Some((f, l, n)) => {
                let when = |i: u32| {
                    store
                        .events
                        .get(i as usize)
                        .map(|e| format!("{} at {}", t(e.time_us), store.location(e)))
                        .unwrap_or_default()
                };
                lines.push(format!("{n} line(s) mention it"));
                lines.push(format!("first: {}", when(f)));
                lines.push(format!("last: {}", when(l)));
                if f == l { vec![f] } else { vec![f, l] }
            }
            None => Vec::new(),
        },
    };
    let heading = if events.is_empty() {
        format!("{} {subject:?}: nothing in these logs", q.label())
    } else {
        format!("{} {subject:?}: {} event(s)", q.label(), events.len())
    };
    Answer {
        seq,
        heading,
        lines,
        events: Arc::new(events),
    }
}

/// Read the sources and run the detections (the load job's work); the
/// findings come worst first.
pub fn load(
    sources: Vec<PathBuf>,
    rules_dir: Option<PathBuf>,
    ioc: &crate::detect::ioc::IocSet,
    sink: &dyn ProgressSink,
    cancel: &CancelToken,
) -> anyhow::Result<LogsLoaded> {
    let store = crate::logs::load(
        &LoadRequest {
            sources: sources.clone(),
            ..Default::default()
        },
        sink,
        cancel,
    )?;
    sink.update(&crate::job::Progress {
        phase: "running detections",
        ..Default::default()
    });
    let cfg = crate::detect::ruleset::RuleSet::load(rules_dir.as_deref())?.logs;
    let mut findings = detections::run(&store, &cfg);
    findings.extend(crate::detect::ioc::logs::on_logs(&store, ioc, cancel));
    // Worst first (the core's order already; kept explicit).
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Ok(LogsLoaded {
        sources,
        store: Arc::new(store),
        findings: Arc::new(findings),
    })
}

/// The finding a jump selects: the one with this rule, title and first
/// time, or failing that the first with this rule and title.
pub fn find_finding(
    findings: &[Finding],
    rule: &str,
    title: &str,
    first_us: Option<i64>,
) -> Option<usize> {
    let same = |f: &&Finding| f.rule == rule && f.title == title;
    let exact = findings
        .iter()
        .position(|f| same(&f) && first_us.is_none_or(|t| f.subject.first_us == Some(t)));
    exact
        .or_else(|| findings.iter().position(|f| same(&f)))
        // A jump that knows only the rule and a time (the Investigation
        // screen's evidence): that rule's finding at that time, or its first.
        .or_else(|| {
            findings.iter().position(|f| {
                f.rule == rule && first_us.is_some_and(|t| f.subject.first_us == Some(t))
            })
        })
        .or_else(|| findings.iter().position(|f| f.rule == rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snapshot_column_leaves_out_the_names_shared_start() {
        use crate::logs::load::{LogStore, SourceInfo};
        let store = |names: &[&str]| LogStore {
            sources: names
                .iter()
                .map(|n| SourceInfo {
                    archive: Some(std::path::PathBuf::from(format!("/cases/IR-7/{n}"))),
                    ..SourceInfo::default()
                })
                .collect(),
            ..LogStore::default()
        };
        let a = "IR-2026-041_E01_web01_20261203T141744Z.zip";
        let b = "IR-2026-041_E02_web01_20261203T141745Z.zip";
        let cut = common_snapshot_prefix(&store(&[a, b, a]));
        assert_eq!(&a[cut..], "E01_web01_20261203T141744Z.zip");
        assert_eq!(&b[cut..], "E02_web01_20261203T141745Z.zip");
        // One snapshot, or names with nothing in common: nothing cut.
        assert_eq!(common_snapshot_prefix(&store(&[a, a])), 0);
        assert_eq!(common_snapshot_prefix(&store(&[a, "other.zip"])), 0);
        assert_eq!(common_snapshot_prefix(&store(&[])), 0);
    }
    use crate::detect::Severity;

    #[test]
    fn a_jump_selects_the_finding_with_its_time_among_equal_titles() {
        let finding = |t: i64| Finding {
            rule: "account_change".into(),
            severity: Severity::Low,
            title: "Password of \"test\" changed".into(),
            explanation: String::new(),
            subject: crate::detect::EventSubject {
                first_us: Some(t),
                last_us: Some(t),
                ..Default::default()
            },
        };
        let findings = vec![finding(10), finding(20), finding(30)];
        let title = "Password of \"test\" changed";
        assert_eq!(
            find_finding(&findings, "account_change", title, Some(20)),
            Some(1)
        );
        assert_eq!(
            find_finding(&findings, "account_change", title, Some(30)),
            Some(2)
        );
        // No finding at that time: the first with the title.
        assert_eq!(
            find_finding(&findings, "account_change", title, Some(99)),
            Some(0)
        );
        assert_eq!(find_finding(&findings, "other", title, None), None);
    }

    #[test]
    fn filters_parse_in_the_zone_and_pick_their_base() {
        let f = LogsFilter {
            status: "4xx".into(),
            from: "1970-01-01 00:01".into(),
            ..LogsFilter::default()
        };
        let core = f.to_filter(DisplayZone::Utc).unwrap();
        assert_eq!(core.status, Some((400, 499)));
        assert_eq!(core.from_us, Some(60_000_000));
        let bad = LogsFilter {
            to: "tomorrow".into(),
            ..LogsFilter::default()
        };
        assert!(bad.to_filter(DisplayZone::Utc).is_err());
        let store = LogStore::default();
        let answer = Answer {
            seq: 1,
            heading: String::new(),
            lines: vec![],
            events: Arc::new(vec![]),
        };
        let rows = filter_rows(&store, &[], Some(&answer), &Base::Answer(1), &core);
        assert!(rows.is_empty());
    }

    #[test]
    fn times_and_statuses_parse_or_explain() {
        assert_eq!(parse_time("", false, DisplayZone::Utc), Ok(None));
        assert_eq!(
            parse_time("1970-01-01 00:01", false, DisplayZone::Utc),
            Ok(Some(60_000_000))
        );
        assert_eq!(
            parse_time("1970-01-01T00:00:01Z", false, DisplayZone::Utc),
            Ok(Some(1_000_000))
        );
        assert_eq!(
            parse_time("1970-01-01", true, DisplayZone::Utc),
            Ok(Some(86_400_000_000 - 1))
        );
        assert!(parse_time("yesterday", false, DisplayZone::Utc).is_err());
        assert_eq!(parse_status("4xx"), Ok(Some((400, 499))));
        assert_eq!(parse_status("500-404"), Ok(Some((404, 500))));
        assert_eq!(parse_status(" 200 "), Ok(Some((200, 200))));
        assert!(parse_status("ok").is_err());
        assert_eq!(fmt_time(0, DisplayZone::Utc), "1970-01-01 00:00:00 UTC");
        let paris = DisplayZone::parse("Europe/Paris").expect("zone");
        assert_eq!(fmt_time(0, paris), "1970-01-01 01:00:00 +01:00");
        // Typed times are the case's wall clock; a final Z means UTC.
        assert_eq!(parse_time("1970-01-01 01:00", false, paris), Ok(Some(0)));
        assert_eq!(
            parse_time("1970-01-01T01:00:00Z", false, paris),
            Ok(Some(3_600_000_000))
        );
        // 02:30 on 2026-03-29 does not exist in Paris (clocks jump 02:00 -> 03:00).
        assert!(parse_time("2026-03-29 02:30", false, paris).is_err());
        // 02:30 on 2026-10-25 happens twice: the first (summer time, +02:00).
        assert_eq!(
            parse_time("2026-10-25 02:30", false, paris),
            Ok(Some(1_792_888_200_000_000))
        );
    }
}
