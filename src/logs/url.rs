//! Web request paths as log detections and queries read them: without the
//! query string ([`strip_query`]) and percent-decoded ([`decode_url`]).
//! Shared by `logs::query` and the log detections (`crate::detect::logs`),
//! so it lives here, below both.

/// A path without its query string.
pub fn strip_query(p: &str) -> &str {
    p.split(['?', '#']).next().unwrap_or(p)
}

/// Percent-decode (and `+` to space) for pattern matching, lossily. Text
/// with nothing to decode is borrowed. Case is kept: matching is
/// case-insensitive.
pub fn decode_url(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.bytes().any(|c| c == b'%' || c == b'+') {
        return std::borrow::Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%'
            && let Some(v) = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if c == b'+' { b' ' } else { c });
        i += 1;
    }
    std::borrow::Cow::Owned(match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_decoding() {
        assert_eq!(decode_url("/a%20B+c%2e%2E/%zz"), "/a B c../%zz");
        assert!(matches!(
            decode_url("/plain"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
