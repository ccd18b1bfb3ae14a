//! The HTML report of a comparison: the two snapshots, the findings ranked by
//! severity with their explanations and evidence, and every change grouped by
//! class with its line diff (bounded) one click away. One self-contained
//! file, no scripts, every evidence-derived string escaped.

use super::escape;
use crate::archive::record::or_unknown;
use crate::diff::ChangeClass;
use crate::diff::compare::known_differ;
use crate::diff::content::{ContentDiff, ContentLimits, LineTag};
use crate::examine::DiffResult;
use std::fmt::Write as _;

/// Content diffs included in a report at most (the rest are listed only).
pub const MAX_CONTENT_DIFFS: usize = 500;

/// The comparison's own CSS rules, after [`super::base_css`].
const STYLE: &str =
    ".add{background:#e6ffec}.del{background:#ffebe9}.hunk{color:#666;background:#f6f8fa}";

/// A class's heading: its JSON name, "not in both captures" spelled out.
fn class_heading(c: ChangeClass) -> &'static str {
    match c {
        ChangeClass::NotInBoth => c.label(),
        c => c.as_str(),
    }
}

/// The banner saying how the two captures' scopes differ; nothing when
/// they cover the same ground the same way.
fn scope_html(h: &mut String, scope: &crate::diff::ScopeComparison) {
    if scope.differences.is_empty() {
        return;
    }
    h.push_str(
        "<div id=\"scope\" class=\"scope\"><h2>The two captures cover different ground</h2><ul>",
    );
    for d in &scope.differences {
        let _ = write!(h, "<li>{}</li>", escape(&d.text));
    }
    h.push_str("</ul>");
    if scope.ground_differs {
        let _ = write!(
            h,
            "<p>{} entries are in one capture only and outside the other's scope: they are listed as \
             <i>not in both captures</i>, not as added or removed, and no finding is made on them as \
             deletions. {} entries in one capture only could not be placed in the other's scope and are \
             kept as added or removed, with why.</p>",
            scope.not_in_both, scope.undecided
        );
    }
    h.push_str("</div>");
}

/// What part of a result a screen shows: the changes and findings its
/// filters keep (indices into the result), and the filters in words.
#[derive(Debug, Clone, Copy)]
pub struct Selection<'a> {
    pub changes: &'a [u32],
    pub findings: &'a [u32],
    /// The filters, for the reader (e.g. `class: added; severity ≥ high`).
    pub note: &'a str,
}

/// Render a diff result as an HTML document.
pub fn render(r: &DiffResult, generated_at: &str) -> String {
    render_selected(r, generated_at, None)
}

/// The result as the CLI's `exhibit diff --json` prints it, limited to
/// `sel` (with its filters under `"filter"`) when given.
pub fn json(r: &DiffResult, sel: Option<&Selection<'_>>) -> serde_json::Value {
    let pick = |all: usize, idx: Option<&[u32]>| -> Vec<usize> {
        match idx {
            None => (0..all).collect(),
            Some(i) => i.iter().map(|&i| i as usize).collect(),
        }
    };
    let changes: Vec<_> = pick(r.changes.len(), sel.map(|s| s.changes))
        .into_iter()
        .filter_map(|i| r.changes.get(i))
        .collect();
    let findings: Vec<_> = pick(r.findings.len(), sel.map(|s| s.findings))
        .into_iter()
        .filter_map(|i| r.findings.get(i))
        .collect();
    let mut doc = serde_json::json!({
        "old": r.old,
        "new": r.new,
        "scope": r.scope,
        "changes": changes,
        "findings": findings,
    });
    if let (Some(y), Some(m)) = (&r.yara, doc.as_object_mut()) {
        m.insert(
            "yara".into(),
            serde_json::to_value(y).unwrap_or(serde_json::Value::Null),
        );
    }
    if let (Some(s), Some(m)) = (sel, doc.as_object_mut()) {
        m.insert(
            "filter".into(),
            serde_json::json!({
                "note": s.note,
                "changes_shown": s.changes.len(),
                "changes_total": r.changes.len(),
                "findings_shown": s.findings.len(),
                "findings_total": r.findings.len(),
            }),
        );
    }
    doc
}

/// Render a diff result as an HTML document, limited to what `sel` keeps
/// (a screen's filters, noted at the top) when given.
pub fn render_selected(r: &DiffResult, generated_at: &str, sel: Option<&Selection<'_>>) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Exhibit comparison</title><style>{}</style></head><body>\
         <h1>Exhibit comparison</h1><table><tr><th></th><th>snapshot</th><th>kind</th><th>entries</th><th>taken at (UTC)</th></tr>",
        super::base_css(STYLE)
    );
    for (name, s) in [("old", &r.old), ("new", &r.new)] {
        let _ = write!(
            h,
            "<tr><th>{name}</th><td><code>{}</code></td><td>{:?}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.label),
            s.kind,
            s.entries,
            escape(s.taken_at.as_deref().unwrap_or("unknown"))
        );
    }
    let _ = write!(h, "</table><p>Generated {}.</p>", escape(generated_at));
    scope_html(&mut h, &r.scope);
    let mut shown_change = vec![sel.is_none(); r.changes.len()];
    let finding_order: Vec<usize> = match sel {
        None => (0..r.findings.len()).collect(),
        Some(s) => {
            for &i in s.changes {
                if let Some(b) = shown_change.get_mut(i as usize) {
                    *b = true;
                }
            }
            let _ = write!(
                h,
                "<p class=\"filter\"><b>Filtered as on screen:</b> {} — {} of {} changes, {} of {} findings.</p>",
                escape(s.note),
                s.changes.len(),
                r.changes.len(),
                s.findings.len(),
                r.findings.len()
            );
            s.findings.iter().map(|&i| i as usize).collect()
        }
    };
    let findings: Vec<_> = finding_order
        .into_iter()
        .filter_map(|i| r.findings.get(i))
        .collect();
    for (name, s) in [("old", &r.old), ("new", &r.new)] {
        if !s.problems.is_empty() {
            let _ = write!(h, "<h3>Problems reading the {name} snapshot</h3><ul>");
            for p in &s.problems {
                let _ = write!(h, "<li>{}</li>", escape(p));
            }
            h.push_str("</ul>");
        }
    }

    let _ = write!(h, "<h2>Findings ({})</h2>", findings.len());
    if findings.is_empty() {
        h.push_str("<p>No findings.</p>");
    } else {
        h.push_str(&super::altered_findings_html(&findings));
        h.push_str("<table><tr><th>severity</th><th>path</th><th>finding</th><th>evidence</th><th>rule</th></tr>");
        for f in findings {
            let sev = f.severity.as_str();
            let _ = write!(
                h,
                "<tr><td class=\"{sev}\">{sev}</td><td><a href=\"#{}\"><code>{}</code></a></td>\
                 <td>{}<b>{}</b><br>{}</td><td><pre>{}</pre></td><td><code>{}</code></td></tr>",
                anchor(&f.subject.path),
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

    let shown: Vec<_> = r
        .changes
        .iter()
        .zip(&shown_change)
        .filter(|(_, s)| **s)
        .map(|(c, _)| c)
        .collect();
    let _ = write!(h, "<h2>Changes ({})</h2><ul>", shown.len());
    let mut counts = std::collections::BTreeMap::new();
    for c in &shown {
        *counts.entry(c.change).or_insert(0u64) += 1;
    }
    for (c, n) in counts {
        let _ = write!(h, "<li>{}: {n}</li>", class_heading(c));
    }
    h.push_str("</ul>");
    let limits = ContentLimits {
        max_text_bytes: 1 << 20,
        max_hunks: 50,
        ..ContentLimits::default()
    };
    let mut diffs_left = MAX_CONTENT_DIFFS;
    for class in ChangeClass::ALL {
        let items: Vec<_> = shown
            .iter()
            .filter(|c| c.change == class)
            .copied()
            .collect();
        if items.is_empty() {
            continue;
        }
        let _ = write!(
            h,
            "<h3>{} ({})</h3><table><tr><th>path</th><th>details</th></tr>",
            class_heading(class),
            items.len()
        );
        for c in items {
            let mut details = Vec::new();
            if !c.attributes.is_empty() {
                let a: Vec<String> = c
                    .attributes
                    .iter()
                    .map(|a| format!("{a:?}").to_lowercase())
                    .collect();
                details.push(format!("attributes: {}", a.join(", ")));
            }
            if let Some(f) = &c.renamed_from {
                details.push(format!("renamed from {f}"));
            }
            if !c.rotated_to.is_empty() {
                details.push(format!("rotated to {}", c.rotated_to.join(", ")));
            }
            if let Some(d) = &c.detail {
                details.push(d.clone());
            }
            if let Some(n) = c.scope.as_ref().filter(|n| !n.decided) {
                details.push(format!("scope undecided: {}", n.reason));
            }
            if let (Some(o), Some(n)) = (&c.old, &c.new) {
                if o.size_bytes != n.size_bytes {
                    details.push(format!("size {} -> {} bytes", o.size_bytes, n.size_bytes));
                }
                if o.mode != n.mode {
                    details.push(format!("mode {} -> {}", o.mode, n.mode));
                }
                if known_differ(o.uid, n.uid) || known_differ(o.gid, n.gid) {
                    details.push(format!(
                        "owner {}:{} -> {}:{}",
                        or_unknown(o.uid),
                        or_unknown(o.gid),
                        or_unknown(n.uid),
                        or_unknown(n.gid)
                    ));
                }
                if o.mtime != n.mtime {
                    details.push(format!(
                        "mtime {} -> {}",
                        o.mtime.as_deref().unwrap_or("?"),
                        n.mtime.as_deref().unwrap_or("?")
                    ));
                }
                if o.link_target != n.link_target {
                    details.push(format!(
                        "link {} -> {}",
                        o.link_target.as_deref().unwrap_or("-"),
                        n.link_target.as_deref().unwrap_or("-")
                    ));
                }
            }
            let _ = write!(
                h,
                "<tr id=\"{}\"><td><code>{}</code></td><td><pre>{}</pre>",
                anchor(&c.path),
                escape(&c.path),
                escape(&details.join("\n"))
            );
            let wants_content = c.change.content_changed()
                && c.new
                    .as_ref()
                    .is_some_and(|s| s.kind == crate::archive::EntryType::File);
            if wants_content && diffs_left > 0 {
                diffs_left -= 1;
                let (d, checks) = r.content_diff_checked(c, &limits);
                for (side, check) in [("old", &checks.old), ("new", &checks.new)] {
                    if let Some(crate::archive::checked::Integrity::Mismatch(why)) = check {
                        let _ = write!(
                            h,
                            "<p>{}the {side} side's content does not match the sealed manifest ({}): the lines below may be altered.</p>",
                            super::altered_badge(why),
                            escape(why)
                        );
                    }
                }
                content_html(&mut h, &d);
            }
            h.push_str("</td></tr>");
        }
        h.push_str("</table>");
    }
    h.push_str("</body></html>\n");
    h
}

fn anchor(path: &str) -> String {
    let mut s = String::from("p-");
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() {
            s.push(b as char);
        } else {
            let _ = write!(s, "_{b:02x}");
        }
    }
    s
}

fn content_html(h: &mut String, d: &ContentDiff) {
    match d {
        ContentDiff::Text {
            hunks,
            hunks_omitted,
            added_lines,
            removed_lines,
        } => {
            let _ = write!(
                h,
                "<details><summary>line diff: +{added_lines} −{removed_lines}</summary><table>"
            );
            for hunk in hunks {
                let _ = write!(
                    h,
                    "<tr class=\"hunk\"><td colspan=\"3\"><code>@@ -{},{} +{},{} @@</code></td></tr>",
                    hunk.old_start, hunk.old_lines, hunk.new_start, hunk.new_lines
                );
                for l in &hunk.lines {
                    let (cls, sign) = match l.tag {
                        LineTag::Context => ("", ' '),
                        LineTag::Removed => ("del", '-'),
                        LineTag::Added => ("add", '+'),
                    };
                    let _ = write!(
                        h,
                        "<tr class=\"{cls}\"><td>{}</td><td>{}</td><td><pre>{sign}{}</pre></td></tr>",
                        l.old_line.map(|n| n.to_string()).unwrap_or_default(),
                        l.new_line.map(|n| n.to_string()).unwrap_or_default(),
                        escape(&l.text)
                    );
                }
            }
            h.push_str("</table>");
            if *hunks_omitted > 0 {
                let _ = write!(h, "<p>{hunks_omitted} more hunks not shown.</p>");
            }
            h.push_str("</details>");
        }
        ContentDiff::Binary {
            reason,
            old_size_bytes,
            new_size_bytes,
            first_difference_offset,
            old_hex,
            new_hex,
            ..
        } => {
            let _ = write!(
                h,
                "<pre>{}</pre>",
                escape(&format!(
                    "{reason}: size {} -> {} bytes; first difference at {}\nold: {old_hex}\nnew: {new_hex}",
                    old_size_bytes.map_or("-".into(), |s| s.to_string()),
                    new_size_bytes.map_or("-".into(), |s| s.to_string()),
                    first_difference_offset.map_or("-".into(), |s| format!("offset {s}")),
                ))
            );
        }
        ContentDiff::Identical => h.push_str("<p>content identical</p>"),
        ContentDiff::Unavailable { reason } => {
            let _ = write!(h, "<p>content diff unavailable: {}</p>", escape(reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_anchors() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(anchor("/a b"), "p-_2fa_20b");
    }
}
