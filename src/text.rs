//! Evidence text made inert (`text`, a leaf module every other may use)
//! before it reaches a terminal, a JSON document on
//! a terminal, or an HTML page.
//!
//! Member names, file names, actor names and log lines come from the
//! evidence, which an attacker may have shaped: a name holding `ESC[2J`
//! clears the screen and can redraw a failed report to read "INTACT", a
//! carriage return overwrites a line, a right-to-left override (U+202E)
//! shows `exe.txt` for `txt.exe`. Every such character is written as a
//! visible escape instead: C0 controls, DEL and C1 controls as `\x1b`
//! (`\n`, `\r`, `\t` for those three), and the bidirectional formatting
//! characters (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069) and the
//! line/paragraph separators (U+2028/9) as `\u{202e}`. Backslashes are kept
//! as they are, so a name that already reads `\x1b` is ambiguous on a
//! terminal; `--json` gives every name exactly.
//!
//! [`inert`] is for one line of terminal text, [`inert_json`] for a JSON
//! document (it only rewrites characters inside strings into `\uXXXX`
//! escapes, so the document decodes to the same values), and
//! [`crate::report::escape`] for HTML.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for the bidirectional formatting characters and the Unicode line
/// and paragraph separators.
pub fn is_bidi_or_separator(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// True for every character [`inert`] rewrites.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_or_separator(c)
}

/// Append the visible escape of `c` (`\n`, `\x1b`, `\u{202e}`).
pub(crate) fn push_escape(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `s` with every control, bidi and separator character written as a
/// visible escape; borrowed when there is none (the common case).
pub fn inert(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`inert`] for HTML text: `\n` and `\t` are kept (they lay out `<pre>`
/// blocks), every other unsafe character becomes its visible escape.
pub fn inert_keep_layout(s: &str) -> Cow<'_, str> {
    let bad = |c: char| is_unsafe(c) && c != '\n' && c != '\t';
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A serialized JSON document made safe for a terminal: DEL, C1 controls,
/// bidi and separator characters (which JSON allows raw inside strings)
/// become `\uXXXX` escapes, so the document still decodes to exactly the
/// same values. (serde_json already escapes C0 controls.)
pub fn inert_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe_in_json) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if is_unsafe_in_json(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Characters to escape in serialized JSON. Whitespace between tokens
/// (`\n`, `\t`, `\r`) is left alone; inside strings serde has escaped it.
fn is_unsafe_in_json(c: char) -> bool {
    (is_unsafe(c)) && !matches!(c, '\n' | '\t' | '\r' | ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_visibly() {
        assert!(matches!(inert("plain /etc/passwd é"), Cow::Borrowed(_)));
        assert_eq!(
            inert("a\u{1b}[2Jb\r\n\t\u{7f}\u{9b}"),
            "a\\x1b[2Jb\\r\\n\\t\\x7f\\x9b"
        );
        assert_eq!(
            inert("x\u{202e}txt.exe\u{2066}"),
            "x\\u{202e}txt.exe\\u{2066}"
        );
        assert_eq!(inert_keep_layout("a\nb\u{1b}\tc"), "a\nb\\x1b\tc");
    }

    #[test]
    fn json_stays_the_same_document() {
        let v = serde_json::json!({"name": "a\u{1b}b\u{9b}c\u{202e}d\u{7f}\u{2028}"});
        let text = serde_json::to_string_pretty(&v).unwrap();
        let safe = inert_json(&text);
        assert!(!safe.chars().any(|c| is_unsafe(c) && c != '\n'), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }

    proptest::proptest! {
        #[test]
        fn inert_output_is_always_safe(s in "\\PC*|[\\x00-\\x{a0}\\u{2000}-\\u{2070}]{0,40}") {
            proptest::prop_assert!(!inert(&s).chars().any(is_unsafe));
            let v = serde_json::json!({ "s": s });
            let text = serde_json::to_string(&v).unwrap();
            let safe = inert_json(&text);
            proptest::prop_assert!(!safe.chars().any(is_unsafe));
            let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
            proptest::prop_assert_eq!(back, v);
        }
    }
}
