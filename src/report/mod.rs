//! Reports: self-contained HTML renderings of results for people who do not
//! run Exhibit (the comparison, [`diff`]; the chain-of-custody form,
//! [`custody_form`]). [`text`] (the leaf module `crate::text`, re-exported
//! here) makes evidence text inert for terminals.
//! Every piece of text taken from evidence is escaped.

pub mod custody_form;
pub mod diff;
pub mod findings;
pub mod investigation;
pub mod logs;
pub use crate::archive::checked::MISMATCH_TEXT;
pub use crate::text;

/// The red ALTERED mark on what was read from content that does not match
/// its archive's sealed manifest, with what differs on hover.
pub(crate) fn altered_badge(why: &str) -> String {
    format!(
        "<span class=\"altered\" title=\"{}\">ALTERED</span> ",
        escape(&format!("{MISMATCH_TEXT}: {why}"))
    )
}

/// The boxed warning over findings resting on altered content: each file
/// and what differs.
pub(crate) fn altered_findings_html(findings: &[&crate::detect::files::Finding]) -> String {
    use std::fmt::Write as _;
    let mut files: Vec<(&str, &str)> = findings
        .iter()
        .filter_map(|f| Some((f.subject.path.as_str(), f.subject.altered.as_deref()?)))
        .collect();
    files.sort_unstable();
    files.dedup();
    if files.is_empty() {
        return String::new();
    }
    let mut h = format!(
        "<div class=\"altered-box\"><b>{} file(s) behind these findings do not match the sealed manifest:</b> \
         the findings marked <span class=\"altered\">ALTERED</span> may rest on altered bytes.<ul>",
        files.len()
    );
    for (path, why) in files {
        let _ = write!(h, "<li><code>{}</code>: {}</li>", escape(path), escape(why));
    }
    h.push_str("</ul></div>");
    h
}

/// The CSS the screen reports share (the comparison, [`diff`], and the
/// investigation, [`investigation`]): body, tables, code, and the severity
/// colours; each report appends its own rules.
pub(crate) fn base_css(extra: &str) -> String {
    let mut css = String::from(
        "body{font-family:sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;width:100%;margin-bottom:1.5em}\
td,th{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top;font-size:13px}\
th{background:#f0f0f0}code,pre{font-family:monospace;font-size:12px}\
pre{margin:0;white-space:pre-wrap;word-break:break-all}\
.critical{background:#7a0010;color:#fff}.high{background:#d43f3a;color:#fff}\
.medium{background:#f0ad4e}.low{background:#d9edf7}.info{background:#eee}\
.altered{background:#b00020;color:#fff;font-weight:bold;padding:0 4px;border-radius:3px}\
.altered-box{border:2px solid #b00020;background:#fdecee;padding:6px 10px;margin:1em 0}",
    );
    css.push_str(extra);
    css
}

/// Escape text for HTML element content and attribute values: the five
/// HTML-special characters as entities, and control characters (except
/// line feed and tab), bidirectional formatting characters and Unicode
/// line/paragraph separators as visible escapes (`\x1b`, `\u{202e}`), so
/// the page shows the examiner what the name really holds instead of letting
/// it reorder or hide text. The one HTML escaper of Exhibit.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if text::is_unsafe(c) && c != '\n' && c != '\t' => text::push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_shows_controls_and_bidi_overrides_as_visible_escapes() {
        let e = escape("evil\u{202e}gpj.exe <b>\u{1b}[2J\u{9b}\r\nnext\tcol");
        assert_eq!(
            e,
            "evil\\u{202e}gpj.exe &lt;b&gt;\\x1b[2J\\x9b\\r\nnext\tcol"
        );
        assert!(
            !e.chars()
                .any(|c| text::is_unsafe(c) && c != '\n' && c != '\t')
        );
    }
}
