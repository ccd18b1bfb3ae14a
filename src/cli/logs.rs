//! `exhibit logs`: parse logs in archives, folders or files, run the
//! detections, and answer the analyst's questions (`who-accessed`, `ip`,
//! `first-last`); `events` dumps every event as JSON Lines.

use super::{EXIT_ERROR, EXIT_FAIL, EXIT_OK, progress::Bar, report_error};
use anyhow::Context as _;
use exhibit::detect::Severity;
use exhibit::detect::logs::{self as detections, Finding};
use exhibit::detect::ruleset::RuleSet;
use exhibit::logs::time::{parse_bound, rfc3339};
use exhibit::logs::{LoadRequest, LogStore, query};
use exhibit::report::text::inert_json;
use serde_json::json;
use std::io::Write as _;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    pub question: Option<Question>,
    /// Log files, folders (read recursively) or evidence archives.
    #[arg(required = true)]
    pub sources: Vec<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// Print one JSON document on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// UTC offset of the examined system's local time (e.g. +02:00), for
    /// formats that write no zone. Default: inferred, else UTC.
    #[arg(long, global = true, value_name = "OFFSET", allow_hyphen_values = true)]
    pub tz: Option<String>,
    /// Read every file with this format instead of sniffing.
    #[arg(long, global = true, value_name = "NAME")]
    pub format: Option<String>,
    /// Evidence lines shown per finding.
    #[arg(long, global = true, default_value_t = 5)]
    pub evidence: usize,
    /// Also write the findings as an HTML report to FILE (sources,
    /// findings with their evidence lines; without a question only).
    #[arg(long, global = true, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Hide findings below this severity (info, low, medium, high, critical).
    #[arg(long, global = true, default_value = "info")]
    pub min_severity: String,
    /// Detection thresholds and pattern lists (TOML: `maxretry = 3`,
    /// `[rules] scanner_agents = [...]`; what it leaves out keeps its default).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A rules directory: its `logs/*.toml` set thresholds, pattern lists
    /// and per-detection switches over the built-in ones (--config is read
    /// after them).
    #[arg(long, global = true, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Failures within --findtime that make a brute force (default 5).
    #[arg(long, global = true)]
    pub maxretry: Option<u32>,
    /// Window for --maxretry, in seconds (default 600).
    #[arg(long, global = true)]
    pub findtime: Option<i64>,
    /// No progress bar.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    #[command(flatten)]
    pub ioc: super::ioc::IocArgs,
}

#[derive(clap::Subcommand, Debug)]
pub enum Question {
    /// Who accessed PATH (web requests): per address first, last, requests, bytes, statuses.
    /// PATH is compared without the query string; a trailing `*` matches a prefix.
    WhoAccessed {
        path: String,
        #[arg(required = true)]
        sources: Vec<PathBuf>,
    },
    /// Everything one address did, across sources, in time order.
    Ip {
        ip: String,
        #[arg(required = true)]
        sources: Vec<PathBuf>,
    },
    /// First and last line containing TEXT, across sources.
    FirstLast {
        text: String,
        #[arg(required = true)]
        sources: Vec<PathBuf>,
    },
    /// Every event as JSON Lines (time, kind, fields, provenance).
    Events {
        #[arg(required = true)]
        sources: Vec<PathBuf>,
        /// Only events at or after this time (RFC 3339, date or Unix seconds).
        #[arg(long)]
        from: Option<String>,
        /// Only events at or before this time.
        #[arg(long)]
        to: Option<String>,
    },
}

/// Parse `+02:00`, `-0500`, `+2`, `Z` or `UTC` into seconds east of UTC.
pub fn parse_tz(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("utc") || s == "Z" {
        return Some(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => (1, s),
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?),
        None if rest.len() == 4 => (rest[..2].parse().ok()?, rest[2..].parse().ok()?),
        None => (rest.parse().ok()?, 0),
    };
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

fn severity(s: &str) -> Option<Severity> {
    Some(match s {
        "info" => Severity::Info,
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        _ => return None,
    })
}

/// Load the sources. The store is never dropped: freeing millions of events
/// one by one costs a noticeable part of a run, and the process exits right
/// after printing (the operating system takes the memory back at once).
fn load(sources: &[PathBuf], c: &Common) -> anyhow::Result<std::mem::ManuallyDrop<LogStore>> {
    let tz = match &c.tz {
        Some(t) => {
            Some(parse_tz(t).with_context(|| format!("bad --tz {t:?}: expected like +02:00"))?)
        }
        None => None,
    };
    let req = LoadRequest {
        sources: sources.to_vec(),
        tz_offset_s: tz,
        format: c.format.clone(),
        threads: 0,
    };
    let cancel = super::progress::cancel_on_ctrl_c();
    let bar = Bar::new(c.quiet || c.json);
    let r = exhibit::logs::load(&req, &bar, &cancel);
    bar.finish();
    let store = r?;
    warn_altered(&store);
    Ok(std::mem::ManuallyDrop::new(store))
}

/// One stderr line per log file whose bytes are not the ones its archive
/// sealed: its events are shown, but may be altered.
pub fn warn_altered(store: &LogStore) {
    for s in store.altered_sources() {
        let why = match &s.integrity {
            Some(exhibit::archive::checked::Integrity::Mismatch(why)) => why.as_str(),
            _ => "",
        };
        let archive = s
            .archive
            .as_deref()
            .map(|a| a.display().to_string())
            .unwrap_or_default();
        super::warn_altered(
            why,
            "the events read from it may be altered",
            &format!("{archive}:{}", s.path),
        );
    }
}

use exhibit::report::logs::{event_json, t};

pub fn run(a: Args) -> u8 {
    match run_inner(a) {
        Ok(code) => code,
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(exhibit::platform::stdout::is_closed_pipe) =>
        {
            EXIT_OK
        }
        Err(e) => {
            report_error(&e);
            EXIT_ERROR
        }
    }
}

/// `exhibit logs [QUESTION]`: one branch per question (none: the
/// findings; or one of the queries), each loading, asking the core and
/// printing as text or JSON. Long because each branch is mostly printing,
/// read top to bottom; the work itself is in `exhibit::logs` and `detect`.
fn run_inner(a: Args) -> anyhow::Result<u8> {
    let c = &a.common;
    let min = severity(&c.min_severity)
        .with_context(|| format!("bad --min-severity {:?}", c.min_severity))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match a.question {
        None => {
            let ioc = c.ioc.load()?;
            let store = load(&a.sources, c)?;
            let mut set = RuleSet::load(c.rules.as_deref())?;
            if let Some(p) = &c.config {
                set = set.with_log_file(p)?;
            }
            let mut cfg = set.logs;
            if let Some(m) = c.maxretry {
                cfg.maxretry = m;
            }
            if let Some(f) = c.findtime {
                cfg.findtime_s = f;
            }
            let phase = exhibit::logs::timing::Phase::start("detections (all)");
            let mut findings: Vec<Finding> = detections::run(&store, &cfg);
            drop(phase);
            let phase = exhibit::logs::timing::Phase::start("indicators (--ioc)");
            findings.extend(exhibit::detect::ioc::logs::on_logs(
                &store,
                &ioc,
                &exhibit::job::CancelToken::new(),
            ));
            findings.retain(|f| f.severity >= min);
            drop(phase);
            let _phase = exhibit::logs::timing::Phase::start("output");
            if let Some(path) = &c.html {
                let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                let html =
                    exhibit::report::logs::render(&store, &findings, c.evidence.max(1), None, &at);
                std::fs::write(path, html)
                    .with_context(|| format!("cannot write the HTML report: {}", path.display()))?;
            }
            if c.json {
                let mut doc = exhibit::report::logs::findings_json(
                    &store,
                    &findings,
                    c.evidence.max(1),
                    None,
                );
                let ioc_doc = super::ioc::IocArgs::summary(&ioc);
                if let (false, Some(m)) = (ioc_doc.is_null(), doc.as_object_mut()) {
                    m.insert("ioc".into(), ioc_doc);
                }
                writeln!(out, "{}", inert_json(&format!("{doc:#}")))?;
            } else {
                wln!(
                    out,
                    "{} source(s), {} events",
                    store.sources.len(),
                    store.events.len()
                )?;
                if !store.also_in.is_empty() || !store.erased.is_empty() {
                    wln!(
                        out,
                        "  {} line(s) held by several snapshots of one host counted once; {} line(s) erased between snapshots",
                        store.also_in.len(),
                        store.erased.len()
                    )?;
                }
                for s in &store.sources {
                    let loc = match &s.archive {
                        Some(ar) => format!("{}:{}", ar.display(), s.path),
                        None => s.path.clone(),
                    };
                    wln!(
                        out,
                        "  {loc}  [{}] {} events, {} unparsed{}{}{}",
                        s.parser,
                        s.events,
                        s.unparsed,
                        if s.gzip { ", gzip" } else { "" },
                        if s.merged_lines > 0 {
                            format!(", {} also in an earlier snapshot", s.merged_lines)
                        } else {
                            String::new()
                        },
                        s.error
                            .as_deref()
                            .map(|e| format!(", ERROR: {e}"))
                            .unwrap_or_default()
                    )?;
                    if let Some(exhibit::archive::checked::Integrity::Mismatch(why)) = &s.integrity
                    {
                        wln!(
                            out,
                            "      ALTERED: {} ({why})",
                            exhibit::archive::checked::MISMATCH_TEXT
                        )?;
                    }
                    for n in &s.notes {
                        wln!(out, "      note: {n}")?;
                    }
                }
                for s in &store.skipped {
                    wln!(out, "  skipped {}: {}", s.path, s.reason)?;
                }
                wln!(out)?;
                wln!(out, "{} finding(s)", findings.len())?;
                for f in &findings {
                    wln!(out)?;
                    wln!(
                        out,
                        "[{}] {} ({})",
                        f.severity.as_str().to_uppercase(),
                        f.title,
                        f.rule
                    )?;
                    wln!(out, "  {}", f.explanation)?;
                    if let (Some(a), Some(b)) = (f.subject.first_us, f.subject.last_us) {
                        wln!(out, "  from {} to {}", rfc3339(a), rfc3339(b))?;
                    }
                    for &i in f.subject.events.iter().take(c.evidence) {
                        if let Some(e) = store.events.get(i as usize) {
                            wln!(out, "    {}: {}", store.location(e), e.line_text())?;
                        }
                    }
                    if f.subject.events.len() > c.evidence {
                        wln!(
                            out,
                            "    … {} more event(s)",
                            f.subject.events.len() - c.evidence
                        )?;
                    }
                }
            }
            let incomplete = store.sources.iter().any(|s| s.error.is_some())
                || store.altered_sources().next().is_some();
            out.flush()?;
            Ok(if incomplete { EXIT_FAIL } else { EXIT_OK })
        }
        Some(Question::WhoAccessed { path, sources }) => {
            let store = load(&sources, c)?;
            let acc = query::who_accessed(&store, &path);
            if c.json {
                let doc = json!({
                    "path": path,
                    "accesses": acc.iter().map(|x| json!({
                        "ip": x.ip,
                        "first": t(x.first_us),
                        "last": t(x.last_us),
                        "requests": x.requests,
                        "bytes": x.bytes,
                        "statuses": x.statuses.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
                        "forwarded_for": x.forwarded_for,
                    })).collect::<Vec<_>>(),
                });
                writeln!(out, "{}", inert_json(&format!("{doc:#}")))?;
            } else {
                wln!(out, "{} address(es) requested {path}", acc.len())?;
                for x in &acc {
                    let st: Vec<String> =
                        x.statuses.iter().map(|(k, v)| format!("{k}×{v}")).collect();
                    wln!(
                        out,
                        "  {}  first {}  last {}  {} request(s)  {} bytes  [{}]",
                        x.ip,
                        x.first_us.map(rfc3339).unwrap_or_else(|| "-".into()),
                        x.last_us.map(rfc3339).unwrap_or_else(|| "-".into()),
                        x.requests,
                        x.bytes,
                        st.join(" ")
                    )?;
                }
            }
            out.flush()?;
            Ok(EXIT_OK)
        }
        Some(Question::Ip { ip, sources }) => {
            let store = load(&sources, c)?;
            let evs = query::ip_activity(&store, &ip);
            if c.json {
                let doc = json!({
                    "ip": ip,
                    "events": evs.iter().filter_map(|&i| store.events.get(i as usize)).map(|e| event_json(&store, e)).collect::<Vec<_>>(),
                });
                writeln!(out, "{}", inert_json(&format!("{doc:#}")))?;
            } else {
                wln!(out, "{} event(s) name {ip}", evs.len())?;
                for &i in &evs {
                    if let Some(e) = store.events.get(i as usize) {
                        wln!(
                            out,
                            "  {}  {:<14} {}  ({})",
                            e.time_us.map(rfc3339).unwrap_or_else(|| "-".into()),
                            e.kind.as_str(),
                            e.line_text(),
                            store.location(e)
                        )?;
                    }
                }
            }
            out.flush()?;
            Ok(EXIT_OK)
        }
        Some(Question::FirstLast { text, sources }) => {
            let store = load(&sources, c)?;
            let r = query::first_last(&store, &text);
            let ev = |i: u32| store.events.get(i as usize).map(|e| event_json(&store, e));
            if c.json {
                let doc = match r {
                    Some((f, l, n)) => {
                        json!({"text": text, "count": n, "first": ev(f), "last": ev(l)})
                    }
                    None => json!({"text": text, "count": 0, "first": null, "last": null}),
                };
                writeln!(out, "{}", inert_json(&format!("{doc:#}")))?;
            } else {
                match r {
                    Some((f, l, n)) => {
                        for (label, i) in [("first", f), ("last", l)] {
                            if let Some(e) = store.events.get(i as usize) {
                                wln!(
                                    out,
                                    "{label}: {}  {}  ({})",
                                    e.time_us.map(rfc3339).unwrap_or_default(),
                                    e.line_text(),
                                    store.location(e)
                                )?;
                            }
                        }
                        wln!(out, "{n} timed line(s) contain {text:?}")?;
                    }
                    None => wln!(out, "no timed line contains {text:?}")?,
                }
            }
            out.flush()?;
            Ok(EXIT_OK)
        }
        Some(Question::Events { sources, from, to }) => {
            let store = load(&sources, c)?;
            let bound = |s: &Option<String>| -> anyhow::Result<Option<i64>> {
                s.as_deref()
                    .map(|v| parse_bound(v).with_context(|| format!("bad time {v:?}")))
                    .transpose()
            };
            let filter = query::Filter {
                from_us: bound(&from)?,
                to_us: bound(&to)?,
                ..Default::default()
            };
            let order: Vec<u32> = if filter.from_us.is_some() || filter.to_us.is_some() {
                filter.apply(&store)
            } else {
                (0..store.events.len() as u32).collect()
            };
            for i in order {
                if let Some(e) = store.events.get(i as usize) {
                    writeln!(out, "{}", inert_json(&event_json(&store, e).to_string()))?;
                }
            }
            out.flush()?;
            Ok(EXIT_OK)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_tz;

    #[test]
    fn tz() {
        assert_eq!(parse_tz("+02:00"), Some(7200));
        assert_eq!(parse_tz("-0530"), Some(-19800));
        assert_eq!(parse_tz("UTC"), Some(0));
        assert_eq!(parse_tz("+25"), None);
    }
}
