//! The HTML report and JSON of a scan of one snapshot (`exhibit scan`, the
//! Findings screen): the snapshot, then the findings ranked by severity with
//! their explanations and evidence. One self-contained file, no scripts,
//! every evidence-derived string escaped.

use super::escape;
use crate::detect::files::Finding;
use crate::snapshot::SnapshotInfo;
use std::fmt::Write as _;

/// A scan's result as a report shows it.
#[derive(Debug, Clone, Copy)]
pub struct ScanReport<'a> {
    pub snapshot: &'a SnapshotInfo,
    pub findings: &'a [Finding],
    pub yara: Option<&'a crate::detect::yara::YaraSummary>,
    /// The findings a screen's filters keep (indices) and the filters in
    /// words; `None`: every finding.
    pub selection: Option<(&'a [u32], &'a str)>,
}

impl ScanReport<'_> {
    fn shown(&self) -> Vec<&Finding> {
        match self.selection {
            None => self.findings.iter().collect(),
            Some((idx, _)) => idx
                .iter()
                .filter_map(|&i| self.findings.get(i as usize))
                .collect(),
        }
    }
}

/// The result as `exhibit scan --json` prints it (without the indicator
/// lists' summary, which the CLI adds), with the screen's filters under
/// `"filter"` when given.
pub fn json(r: &ScanReport<'_>) -> serde_json::Value {
    let shown = r.shown();
    let mut doc = serde_json::json!({ "snapshot": r.snapshot, "findings": shown });
    if let (Some(y), Some(m)) = (r.yara, doc.as_object_mut()) {
        m.insert(
            "yara".into(),
            serde_json::to_value(y).unwrap_or(serde_json::Value::Null),
        );
    }
    if let (Some((idx, note)), Some(m)) = (r.selection, doc.as_object_mut()) {
        m.insert(
            "filter".into(),
            serde_json::json!({
                "note": note,
                "findings_shown": idx.len(),
                "findings_total": r.findings.len(),
            }),
        );
    }
    doc
}

/// Render a scan as an HTML document.
pub fn render(r: &ScanReport<'_>, generated_at: &str) -> String {
    let s = r.snapshot;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Exhibit findings</title><style>{}</style></head><body>\
         <h1>Exhibit findings on one snapshot</h1><table>\
         <tr><th>snapshot</th><td><code>{}</code></td></tr>\
         <tr><th>kind</th><td>{:?}</td></tr><tr><th>entries</th><td>{}</td></tr>\
         <tr><th>taken at (UTC)</th><td>{}</td></tr></table><p>Generated {}.</p>",
        super::base_css(""),
        escape(&s.label),
        s.kind,
        s.entries,
        escape(s.taken_at.as_deref().unwrap_or("unknown")),
        escape(generated_at)
    );
    if !s.problems.is_empty() {
        h.push_str("<h3>Problems reading the snapshot</h3><ul>");
        for p in &s.problems {
            let _ = write!(h, "<li>{}</li>", escape(p));
        }
        h.push_str("</ul>");
    }
    let shown = r.shown();
    if let Some((idx, note)) = r.selection {
        let _ = write!(
            h,
            "<p class=\"filter\"><b>Filtered as on screen:</b> {} — {} of {} findings.</p>",
            escape(note),
            idx.len(),
            r.findings.len()
        );
    }
    let _ = write!(h, "<h2>Findings ({})</h2>", shown.len());
    if shown.is_empty() {
        h.push_str("<p>No findings.</p>");
    } else {
        h.push_str(&super::altered_findings_html(&shown));
        h.push_str(
            "<table><tr><th>severity</th><th>path</th><th>finding</th><th>evidence</th><th>rule</th></tr>",
        );
        for f in shown {
            let sev = f.severity.as_str();
            let _ = write!(
                h,
                "<tr><td class=\"{sev}\">{sev}</td><td><code>{}</code></td>\
                 <td>{}<b>{}</b><br>{}</td><td><pre>{}</pre></td><td><code>{}</code></td></tr>",
                escape(&f.subject.path),
                f.subject
                    .altered
                    .as_deref()
                    .map(super::altered_badge)
                    .unwrap_or_default(),
                escape(&f.title),
                escape(&f.explanation),
                escape(&f.subject.evidence.join("\n")),
                escape(&f.rule)
            );
        }
        h.push_str("</table>");
    }
    if let Some(y) = r.yara {
        let _ = write!(
            h,
            "<h2>YARA</h2><pre>{}</pre>",
            escape(&serde_json::to_string_pretty(y).unwrap_or_default())
        );
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Severity;
    use crate::detect::finding::FileSubject;

    #[test]
    fn evidence_is_escaped_and_the_filter_noted() {
        let snap = SnapshotInfo {
            label: "<host>.zip".into(),
            kind: crate::snapshot::SnapshotKind::Archive,
            entries: 3,
            taken_at: None,
            problems: vec![],
        };
        let f = |path: &str, sev| Finding {
            rule: "r".into(),
            severity: sev,
            title: "t".into(),
            explanation: "e".into(),
            subject: FileSubject {
                path: path.into(),
                evidence: vec!["<?php eval($_POST['x']); ?>".into()],
                change: None,
                snapshot: "s".into(),
                altered: None,
            },
        };
        let all = [f("/a.php", Severity::High), f("/b", Severity::Low)];
        let r = ScanReport {
            snapshot: &snap,
            findings: &all,
            yara: None,
            selection: Some((&[0], "severity at least high")),
        };
        let h = render(&r, "now");
        assert!(
            h.contains("&lt;?php eval($_POST[&#39;x&#39;]); ?&gt;"),
            "{h}"
        );
        assert!(!h.contains("<?php"));
        assert!(h.contains("&lt;host&gt;.zip"));
        assert!(h.contains("severity at least high — 1 of 2 findings"));
        assert!(!h.contains("/b<"));
        let j = json(&r);
        assert_eq!(j["findings"].as_array().map(Vec::len), Some(1));
        assert_eq!(j["filter"]["findings_total"], 2);
    }
}
