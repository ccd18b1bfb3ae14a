//! The HTML report and JSON of a log analysis (`exhibit logs`, the Logs
//! screen): the sources read, then the findings ranked by severity with
//! their evidence lines and where each came from. The JSON is the one
//! `exhibit logs --json` prints; the page is self-contained, no scripts,
//! every evidence-derived string escaped.

use super::escape;
use crate::detect::logs::Finding;
use crate::logs::time::rfc3339;
use crate::logs::{Event, LogStore};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// A time in microseconds as RFC 3339 UTC, or `null`.
pub fn t(v: Option<i64>) -> Value {
    v.map_or(Value::Null, |t| Value::String(rfc3339(t)))
}

/// One event as JSON, with its provenance.
pub fn event_json(store: &LogStore, e: &Event) -> Value {
    let src = store.source_of(e);
    let mut fields = serde_json::Map::new();
    for (f, v) in e.fields() {
        fields.insert(f.name().into(), Value::String(v.to_string()));
    }
    let mut o = json!({
        "time": t(e.time_us),
        "kind": e.kind.as_str(),
        "fields": fields,
        "archive": src.and_then(|s| s.archive.as_ref()).map(|a| a.display().to_string()),
        "path": src.map(|s| s.path.clone()),
        "line": e.line,
        "text": e.line_text(),
    });
    if let Some(m) = o.as_object_mut() {
        if store.from_altered(e) {
            m.insert("integrity".into(), json!("mismatch"));
        }
        if let Some(s) = e.status {
            m.insert("status".into(), json!(s));
        }
        if let Some(b) = e.bytes {
            m.insert("bytes".into(), json!(b));
        }
        if let Some(p) = e.port {
            m.insert("port".into(), json!(p));
        }
        if e.count > 1 {
            m.insert("count".into(), json!(e.count));
        }
        if let Some(a) = also_in_json(store, e) {
            m.insert("also_in".into(), a);
        }
    }
    o
}

/// The other snapshots holding an event's line, when several snapshots of
/// one host were merged.
fn also_in_json(store: &LogStore, e: &Event) -> Option<Value> {
    let copies = store.also_in(e);
    if copies.is_empty() {
        return None;
    }
    Some(Value::Array(
        copies
            .iter()
            .map(|c| {
                let src = store.sources.get(c.in_source as usize);
                json!({
                    "archive": src.and_then(|s| s.archive.as_ref()).map(|a| a.display().to_string()),
                    "path": src.map(|s| s.path.clone()),
                    "line": c.in_line,
                })
            })
            .collect(),
    ))
}

/// One finding as JSON, with at most `max` events of evidence.
pub fn finding_json(store: &LogStore, f: &Finding, max: usize) -> Value {
    let evidence: Vec<Value> = f
        .subject
        .events
        .iter()
        .take(max)
        .filter_map(|&i| store.events.get(i as usize))
        .map(|e| {
            let src = store.source_of(e);
            let mut v = json!({
                "archive": src.and_then(|s| s.archive.as_ref()).map(|a| a.display().to_string()),
                "path": src.map(|s| s.path.clone()),
                "line": e.line,
                "time": t(e.time_us),
                "text": e.line_text(),
            });
            if let (Some(a), Some(m)) = (also_in_json(store, e), v.as_object_mut()) {
                m.insert("also_in".into(), a);
            }
            v
        })
        .collect();
    json!({
        "rule": f.rule,
        "severity": f.severity,
        "title": f.title,
        "explanation": f.explanation,
        "first": t(f.subject.first_us),
        "last": t(f.subject.last_us),
        "ips": f.subject.ips,
        "users": f.subject.users,
        "paths": f.subject.paths,
        "events": f.subject.events.len(),
        "evidence": evidence,
    })
}

/// Events a report lists at most (the JSON, ten times as many).
pub const MAX_EVENTS_HTML: usize = 1000;

/// What a screen's event table shows: the events its filters keep, in
/// display order, and the filters in words.
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a> {
    pub events: &'a [u32],
    pub note: &'a str,
}

/// The findings document of `exhibit logs --json` (without the indicator
/// lists' summary, which the CLI adds): the sources, what was skipped, the
/// findings with at most `max` evidence events each, and for several
/// snapshots of one host how they were merged. With `shown` (a screen's
/// event table), its filters are noted under `"filter"` and its events
/// (at most ten times [`MAX_EVENTS_HTML`]) listed under `"events_shown"`.
pub fn findings_json(
    store: &LogStore,
    findings: &[Finding],
    max: usize,
    shown: Option<&Shown<'_>>,
) -> Value {
    let mut doc = json!({
        "sources": store.sources.iter().map(|s| {
            let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
            if let Some(m) = v.as_object_mut() {
                m.insert("first".into(), t(s.first_us));
                m.insert("last".into(), t(s.last_us));
                m.remove("first_us");
                m.remove("last_us");
                m.remove("mtime_us");
            }
            v
        }).collect::<Vec<_>>(),
        "skipped": store.skipped,
        "findings": findings.iter().map(|f| finding_json(store, f, max)).collect::<Vec<_>>(),
    });
    // Several snapshots: which archives are which host, and how
    // many events the merged store holds (one per line).
    if store.snapshots.len() > 1
        && let Some(m) = doc.as_object_mut()
    {
        m.insert(
            "snapshots".into(),
            json!(
                store
                    .snapshots
                    .iter()
                    .map(|s| json!({
                        "archive": s.archive.display().to_string(),
                        "host": s.host,
                        "acquired": t(s.acquired_us),
                    }))
                    .collect::<Vec<_>>()
            ),
        );
        m.insert("events".into(), json!(store.events.len()));
        m.insert("merged_lines".into(), json!(store.also_in.len()));
        m.insert("erased_lines".into(), json!(store.erased.len()));
    }
    if let (Some(sh), Some(m)) = (shown, doc.as_object_mut()) {
        m.insert(
            "filter".into(),
            json!({ "note": sh.note, "events_shown": sh.events.len(), "events_total": store.events.len() }),
        );
        m.insert(
            "events_shown".into(),
            Value::Array(
                sh.events
                    .iter()
                    .take(MAX_EVENTS_HTML * 10)
                    .filter_map(|&i| store.events.get(i as usize))
                    .map(|e| event_json(store, e))
                    .collect(),
            ),
        );
    }
    doc
}

/// Render the log analysis as an HTML document: sources, then findings
/// with up to `max` evidence lines each; with `shown`, the screen's
/// filters noted at the top and its events (at most [`MAX_EVENTS_HTML`])
/// at the end.
pub fn render(
    store: &LogStore,
    findings: &[Finding],
    max: usize,
    shown: Option<&Shown<'_>>,
    generated_at: &str,
) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Exhibit log analysis</title><style>{}</style></head><body>\
         <h1>Exhibit log analysis</h1><p>{} source(s), {} events. Generated {}.</p>",
        super::base_css(""),
        store.sources.len(),
        store.events.len(),
        escape(generated_at)
    );
    if let Some(sh) = shown {
        let _ = write!(
            h,
            "<p class=\"filter\"><b>Event table filtered as on screen:</b> {} — {} of {} events.</p>",
            escape(sh.note),
            sh.events.len(),
            store.events.len()
        );
    }
    h.push_str("<h2>Sources</h2><table><tr><th>source</th><th>format</th><th>events</th><th>unparsed</th><th>first</th><th>last</th><th>notes</th></tr>");
    for s in &store.sources {
        let loc = match &s.archive {
            Some(a) => format!("{}:{}", a.display(), s.path),
            None => s.path.clone(),
        };
        let mut notes = s.notes.clone();
        if let Some(e) = &s.error {
            notes.insert(0, format!("ERROR: {e}"));
        }
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&loc),
            escape(&s.parser),
            s.events,
            s.unparsed,
            s.first_us.map(rfc3339).unwrap_or_default(),
            s.last_us.map(rfc3339).unwrap_or_default(),
            escape(&notes.join("; "))
        );
    }
    h.push_str("</table>");
    if !store.skipped.is_empty() {
        h.push_str("<h3>Skipped</h3><ul>");
        for s in &store.skipped {
            let _ = write!(
                h,
                "<li><code>{}</code>: {}</li>",
                escape(&s.path),
                escape(&s.reason)
            );
        }
        h.push_str("</ul>");
    }
    let _ = write!(h, "<h2>Findings ({})</h2>", findings.len());
    if findings.is_empty() {
        h.push_str("<p>No findings.</p>");
    }
    for f in findings {
        let sev = f.severity.as_str();
        let _ = write!(
            h,
            "<h3><span class=\"{sev}\">&nbsp;{sev}&nbsp;</span> {} <code>{}</code></h3><p>{}</p>",
            escape(&f.title),
            escape(&f.rule),
            escape(&f.explanation)
        );
        if let (Some(a), Some(b)) = (f.subject.first_us, f.subject.last_us) {
            let _ = write!(h, "<p>From {} to {}.</p>", rfc3339(a), rfc3339(b));
        }
        h.push_str("<table><tr><th>where</th><th>time (UTC)</th><th>line</th></tr>");
        for &i in f.subject.events.iter().take(max) {
            if let Some(e) = store.events.get(i as usize) {
                let _ = write!(
                    h,
                    "<tr><td><code>{}</code></td><td>{}</td><td><pre>{}</pre></td></tr>",
                    escape(&store.location(e)),
                    e.time_us.map(rfc3339).unwrap_or_default(),
                    escape(e.line_text())
                );
            }
        }
        h.push_str("</table>");
        if f.subject.events.len() > max {
            let _ = write!(
                h,
                "<p>… {} more event(s) (the JSON and the Logs screen list them).</p>",
                f.subject.events.len() - max
            );
        }
    }
    if let Some(sh) = shown {
        let _ = write!(h, "<h2>Events shown ({})</h2>", sh.events.len());
        h.push_str("<table><tr><th>where</th><th>time (UTC)</th><th>line</th></tr>");
        for e in sh
            .events
            .iter()
            .take(MAX_EVENTS_HTML)
            .filter_map(|&i| store.events.get(i as usize))
        {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td><pre>{}</pre></td></tr>",
                escape(&store.location(e)),
                e.time_us.map(rfc3339).unwrap_or_default(),
                escape(e.line_text())
            );
        }
        h.push_str("</table>");
        if sh.events.len() > MAX_EVENTS_HTML {
            let _ = write!(
                h,
                "<p>… {} more event(s) (the JSON lists up to {}).</p>",
                sh.events.len() - MAX_EVENTS_HTML,
                MAX_EVENTS_HTML * 10
            );
        }
    }
    h.push_str("</body></html>\n");
    h
}
