//! Matched bytes shown to people: a short text excerpt when the bytes are
//! printable (made inert: no terminal escapes, no bidi tricks), always a
//! hex excerpt, and the offsets.

use super::StringMatch;

/// Bytes of a match kept for the excerpt.
pub const EXCERPT_BYTES: usize = 48;

/// A [`StringMatch`] from a pattern's matches: its id, how many, the first
/// offsets and the first match's bytes.
pub fn string_match(id: &str, count: usize, offsets: Vec<u64>, first: &[u8]) -> StringMatch {
    let shown = first.get(..EXCERPT_BYTES).unwrap_or(first);
    let more = if first.len() > shown.len() { "…" } else { "" };
    StringMatch {
        id: id.to_string(),
        count,
        offsets,
        length: first.len(),
        text: printable(shown).map(|t| format!("{t}{more}")),
        hex: format!("{}{more}", hex_spaced(shown)),
    }
}

/// The bytes as text when they are (nearly all) printable UTF-8.
fn printable(b: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(b).ok()?;
    let bad = s
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        .count();
    (bad == 0 && !s.is_empty()).then(|| inert_line(s, EXCERPT_BYTES * 4))
}

fn hex_spaced(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// One line of evidence text, inert and at most `max` characters.
pub fn inert_line(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let t = crate::text::inert(&flat);
    if t.chars().count() > max {
        let cut: String = t.chars().take(max).collect();
        format!("{cut}…")
    } else {
        t.into_owned()
    }
}

/// `$a at 0x1f (31), 12 bytes: "eval($_POST[" [65 76 …]` and the other
/// offsets.
pub fn describe(s: &StringMatch) -> String {
    let at: Vec<String> = s.offsets.iter().map(|o| format!("0x{o:x} ({o})")).collect();
    let more = s.count.saturating_sub(s.offsets.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    let what = match &s.text {
        Some(t) => format!("\"{t}\" [{}]", s.hex),
        None => format!("[{}]", s.hex),
    };
    format!(
        "string {} at {}{more}, {} bytes: {what}",
        s.id,
        at.join(", "),
        s.length
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_when_printable_hex_always() {
        let m = string_match("$a", 5, vec![16, 40], b"eval($_POST[");
        assert_eq!(m.text.as_deref(), Some("eval($_POST["));
        assert_eq!(m.hex, "65 76 61 6c 28 24 5f 50 4f 53 54 5b");
        let d = describe(&m);
        assert_eq!(
            d,
            "string $a at 0x10 (16), 0x28 (40) and 3 more, 12 bytes: \"eval($_POST[\" [65 76 61 6c 28 24 5f 50 4f 53 54 5b]"
        );
        let b = string_match("$h", 1, vec![0], b"\x7fELF\x02\x01");
        assert_eq!(b.text, None);
        assert_eq!(
            describe(&b),
            "string $h at 0x0 (0), 6 bytes: [7f 45 4c 46 02 01]"
        );
    }

    #[test]
    fn long_and_hostile_matches_are_cut_and_inert() {
        let long = vec![b'A'; 100];
        let m = string_match("$l", 1, vec![0], &long);
        assert_eq!(m.length, 100);
        assert!(m.text.as_deref().unwrap().ends_with('…'));
        assert_eq!(m.hex.matches(' ').count(), EXCERPT_BYTES - 1);
        let m = string_match("$e", 1, vec![0], "a\u{202e}b".as_bytes());
        assert!(!m.text.unwrap().contains('\u{202e}'));
        let m = string_match("$c", 1, vec![0], b"x\x1b[2Jy");
        assert_eq!(m.text, None);
    }
}
