//! The printable chain-of-custody form: one self-contained HTML page (inline
//! CSS, A4) with the case header, the item table (archive, size, SHA-256)
//! and the custody table (time UTC, action, released by, received by,
//! purpose, location, signature status), plus blank rows for handovers on
//! paper. Everything printed is escaped with the report's one HTML escaper
//! ([`crate::report::escape`]): case fields, names and notes are user input,
//! and control or bidirectional-override characters in them are shown as
//! visible escapes rather than obeyed.

use super::escape;
use crate::archive::acquisition::Acquisition;
use crate::custody::{Action, CustodyCheck, Event};
use std::fmt::Write;

/// What the form shows.
#[derive(Debug, Clone, Copy)]
pub struct FormInput<'a> {
    /// The archive's file name.
    pub archive_file: &'a str,
    pub archive_size_bytes: Option<u64>,
    /// The archive's SHA-256 as computed now, when it was.
    pub archive_sha256: Option<&'a str>,
    pub acquisition: Option<&'a Acquisition>,
    /// The checked log (events, problems, signature verdicts).
    pub check: &'a CustodyCheck,
    /// When the form was produced (RFC 3339 UTC).
    pub generated_at: &'a str,
}

fn detail<'e>(e: &'e Event, key: &str) -> Option<&'e str> {
    e.details.get(key).and_then(|v| v.as_str())
}

fn actor_text(e: &Event) -> String {
    let mut s = if e.actor.name.trim().is_empty() {
        "(unknown)".to_string()
    } else {
        e.actor.name.clone()
    };
    if let Some(o) = &e.actor.organisation {
        s.push_str(&format!(" ({o})"));
    }
    s
}

/// Released by / received by for one event.
fn parties(e: &Event) -> (String, String) {
    let actor = actor_text(e);
    match e.action {
        Action::Acquired => {
            let host = e
                .details
                .get("source_host")
                .and_then(|h| h.get("hostname"))
                .and_then(|h| h.as_str());
            (
                match host {
                    Some(h) => format!("source system {h}"),
                    None => "source system".into(),
                },
                actor,
            )
        }
        Action::Transferred => (
            detail(e, "from").map(str::to_string).unwrap_or(actor),
            detail(e, "to").unwrap_or("").to_string(),
        ),
        Action::Received => (
            detail(e, "from").unwrap_or("").to_string(),
            detail(e, "to").map(str::to_string).unwrap_or(actor),
        ),
        _ => (actor, String::new()),
    }
}

/// A one-line summary of an event's details.
fn details_text(e: &Event) -> String {
    let mut parts = Vec::new();
    for (k, v) in &e.details {
        if matches!(k.as_str(), "from" | "to")
            && matches!(e.action, Action::Transferred | Action::Received)
        {
            continue;
        }
        let v = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Object(_) | serde_json::Value::Array(_) => continue,
            other => other.to_string(),
        };
        parts.push(format!("{k}: {v}"));
    }
    parts.join("; ")
}

const CSS: &str = "@page{size:A4;margin:14mm}body{font:10pt/1.35 sans-serif;color:#000;margin:0 auto;max-width:190mm}\
h1{font-size:16pt;margin:0 0 4mm}h2{font-size:12pt;margin:6mm 0 2mm}table{border-collapse:collapse;width:100%}\
th,td{border:1px solid #444;padding:1.5mm;text-align:left;vertical-align:top}th{background:#eee}\
.hash{font-family:monospace;font-size:8.5pt;word-break:break-all}.bad{color:#a00;font-weight:bold}\
.ok{color:#060}.blank td{height:11mm}.meta td:first-child{width:45mm;font-weight:bold}\
tr{page-break-inside:avoid}footer{margin-top:6mm;font-size:8pt;color:#444}";

/// Render the form as one HTML document. Long because it is the page
/// itself, written top to bottom as it prints.
pub fn render_form_html(input: &FormInput<'_>) -> String {
    let mut h = String::new();
    let c = input.check;
    let acq = input.acquisition;
    let first = c.log.first();
    let case_id = acq
        .map(|a| a.case.case_id.clone())
        .or_else(|| first.and_then(|e| detail(e, "case_id")).map(str::to_string))
        .unwrap_or_default();
    let evidence_id = acq
        .map(|a| a.case.evidence_id.clone())
        .or_else(|| {
            first
                .and_then(|e| detail(e, "evidence_id"))
                .map(str::to_string)
        })
        .unwrap_or_default();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Chain of custody – {}</title><style>{CSS}</style></head><body>\n",
        escape(&case_id)
    );
    h.push_str("<h1>Chain of custody form</h1>\n<table class=\"meta\">\n");
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(h, "<tr><td>{}</td><td>{}</td></tr>", escape(k), escape(v));
    };
    row("Case", &case_id);
    row("Evidence item", &evidence_id);
    if let Some(a) = acq {
        let mut ex = a.examiner.name.clone();
        if let Some(o) = &a.examiner.organisation {
            ex.push_str(&format!(", {o}"));
        }
        if let Some(ct) = &a.examiner.contact {
            ex.push_str(&format!(", {ct}"));
        }
        row("Examiner", &ex);
        row("Purpose", a.case.purpose.as_deref().unwrap_or(""));
        row(
            "Source host",
            &[
                a.host.hostname.as_deref(),
                a.host.os.as_deref(),
                a.host.kernel.as_deref(),
            ]
            .iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" · "),
        );
        row(
            "Acquired (UTC)",
            &format!("{} – {}", a.started_at, a.finished_at),
        );
        row("Examiner time zone", &a.examiner.timezone);
        row(
            "Tool",
            &format!(
                "{} {} ({})",
                a.method.tool, a.method.tool_version, a.method.interface
            ),
        );
    } else if let Some(e) = first {
        row("Purpose", e.purpose.as_deref().unwrap_or(""));
    }
    h.push_str("</table>\n<h2>Item</h2>\n<table><tr><th>Archive</th><th>Size (bytes)</th><th>SHA-256</th></tr>\n");
    let sealed = c.sealed();
    let sha = sealed
        .map(|e| e.archive.sha256.as_str())
        .or(input.archive_sha256)
        .unwrap_or("");
    let size = input
        .archive_size_bytes
        .or_else(|| {
            sealed
                .and_then(|e| e.details.get("size_bytes"))
                .and_then(|v| v.as_u64())
        })
        .map(|s| s.to_string())
        .unwrap_or_default();
    let _ = writeln!(
        h,
        "<tr><td>{}</td><td>{}</td><td class=\"hash\">{}</td></tr></table>",
        escape(input.archive_file),
        escape(&size),
        escape(sha)
    );
    match input.archive_sha256 {
        Some(now) if now == sha => {
            let _ = writeln!(
                h,
                "<p class=\"ok\">The archive's SHA-256 computed on {} matches the sealed hash.</p>",
                escape(input.generated_at)
            );
        }
        Some(now) => {
            let _ = writeln!(
                h,
                "<p class=\"bad\">The archive's SHA-256 computed on {} is {}, not the sealed hash.</p>",
                escape(input.generated_at),
                escape(now)
            );
        }
        None => {}
    }
    h.push_str(
        "<h2>Custody</h2>\n<table><tr><th>#</th><th>Date/time (UTC)</th><th>Action</th><th>Released by</th>\
         <th>Received by</th><th>Purpose</th><th>Location</th><th>Details</th><th>Signature</th></tr>\n",
    );
    for e in &c.log {
        let (rel, rec) = parties(e);
        let sig = c
            .signatures
            .iter()
            .find(|s| s.seq == e.seq)
            .map(|s| match &s.signer {
                Some(who) => format!("{} ({who})", s.status),
                None => s.status.clone(),
            })
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e.seq,
            escape(&e.at),
            escape(e.action.as_str()),
            escape(&rel),
            escape(&rec),
            escape(e.purpose.as_deref().unwrap_or("")),
            escape(e.location.as_deref().unwrap_or("")),
            escape(&details_text(e)),
            escape(&sig)
        );
    }
    for _ in 0..4 {
        h.push_str("<tr class=\"blank\"><td></td><td></td><td></td><td></td><td></td><td></td><td></td><td></td><td></td></tr>\n");
    }
    h.push_str("</table>\n");
    if let Some(head) = &c.head {
        let _ = writeln!(
            h,
            "<p>Chain head (SHA-256 of the last line, event {}): <span class=\"hash\">{}</span></p>",
            c.events,
            escape(head)
        );
    }
    if c.problems.is_empty() {
        h.push_str(
            "<p class=\"ok\">Custody chain intact: every event links to the one before.</p>\n",
        );
    } else {
        h.push_str("<h2 class=\"bad\">Custody log problems</h2>\n<ul>\n");
        for p in &c.problems {
            let _ = writeln!(
                h,
                "<li><b>{}</b>: {}</li>",
                escape(p.kind.as_str()),
                escape(&p.detail)
            );
        }
        h.push_str("</ul>\n");
    }
    if !c.warnings.is_empty() {
        h.push_str("<h2 class=\"bad\">Custody log warnings</h2>\n<ul>\n");
        for p in &c.warnings {
            let _ = writeln!(
                h,
                "<li><b>{}</b>: {}</li>",
                escape(p.kind.as_str()),
                escape(&p.detail)
            );
        }
        h.push_str("</ul>\n");
    }
    let _ = writeln!(
        h,
        "<footer>Generated {} by Exhibit {}. Signatures: valid = by a trusted key; untrusted = valid, key not in the \
         allowed signers given; unsigned = no signature. Check any event with <code>ssh-keygen -Y verify</code> \
         (namespace exhibit-custody).</footer>\n</body></html>",
        escape(input.generated_at),
        env!("CARGO_PKG_VERSION")
    );
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custody::{Actor, ArchiveRef};

    #[test]
    fn escapes_user_input() {
        let mut details = serde_json::Map::new();
        details.insert("note".into(), "<script>alert(1)</script>".into());
        let e = Event {
            seq: 1,
            at: "2026-01-01T00:00:00Z".into(),
            action: Action::Note,
            actor: Actor {
                name: "<b>Eve</b>".into(),
                ..Actor::default()
            },
            location: Some("\"room\" & 'lab'".into()),
            purpose: None,
            archive: ArchiveRef {
                file: "a<.zip".into(),
                sha256: "x".into(),
            },
            details,
            prev: None,
            signature: None,
        };
        let check = CustodyCheck {
            log: vec![e],
            ..CustodyCheck::default()
        };
        let html = render_form_html(&FormInput {
            archive_file: "a<.zip",
            archive_size_bytes: Some(1),
            archive_sha256: None,
            acquisition: None,
            check: &check,
            generated_at: "now",
        });
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("&lt;b&gt;Eve&lt;/b&gt;"));
        assert!(html.contains("&quot;room&quot; &amp; &#39;lab&#39;"));
    }

    #[test]
    fn bidi_overrides_and_controls_are_shown_not_obeyed() {
        let e = Event {
            seq: 1,
            at: "2026-01-01T00:00:00Z".into(),
            action: Action::Note,
            actor: Actor {
                name: "Eve\u{202e}rotidua\u{1b}[2J".into(),
                ..Actor::default()
            },
            location: None,
            purpose: None,
            archive: ArchiveRef {
                file: "a.zip".into(),
                sha256: "x".into(),
            },
            details: serde_json::Map::new(),
            prev: None,
            signature: None,
        };
        let check = CustodyCheck {
            log: vec![e],
            ..CustodyCheck::default()
        };
        let html = render_form_html(&FormInput {
            archive_file: "a\u{2066}.zip",
            archive_size_bytes: None,
            archive_sha256: None,
            acquisition: None,
            check: &check,
            generated_at: "now",
        });
        assert!(
            !html
                .chars()
                .any(|c| crate::report::text::is_unsafe(c) && c != '\n'),
            "raw control or bidi character in the form"
        );
        assert!(html.contains("Eve\\u{202e}rotidua\\x1b[2J"));
        assert!(html.contains("a\\u{2066}.zip"));
    }

    #[test]
    fn an_event_without_an_actor_says_unknown() {
        let e = Event {
            seq: 1,
            at: "2026-01-01T00:00:00Z".into(),
            action: Action::Note,
            actor: Actor::default(),
            location: None,
            purpose: None,
            archive: ArchiveRef {
                file: "a.zip".into(),
                sha256: "x".into(),
            },
            details: serde_json::Map::new(),
            prev: None,
            signature: None,
        };
        assert_eq!(actor_text(&e), "(unknown)");
    }
}
