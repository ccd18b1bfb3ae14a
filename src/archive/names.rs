//! Turning raw file-name bytes into the strings the archive stores.
//!
//! Linux file names are bytes; ZIP member names, JSON and BagIt manifests are
//! UTF-8. Valid UTF-8 is kept as is (newlines, tabs, `%` and leading dashes
//! included); each byte of an invalid sequence becomes `%XX`. The exact bytes
//! are always kept beside the escaped form (`path_bytes_b64`), and member names
//! are made unique by the writer, so no two names can collide.

use base64::Engine as _;

/// The display form of a byte string: UTF-8 kept, invalid bytes as `%XX`.
/// Returns whether any byte had to be escaped.
pub fn escape_bytes(bytes: &[u8]) -> (String, bool) {
    let mut out = String::with_capacity(bytes.len());
    let mut escaped = false;
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("%{b:02X}"));
            escaped = true;
        }
    }
    (out, escaped)
}

/// The escaped form plus, when escaping was needed, the base64 of the exact bytes.
pub fn path_fields(bytes: &[u8]) -> (String, Option<String>) {
    let (s, escaped) = escape_bytes(bytes);
    let b64 = escaped.then(|| base64::engine::general_purpose::STANDARD.encode(bytes));
    (s, b64)
}

/// Replace characters that are unsafe in a file name (the archive stem) with `-`.
pub fn safe_component(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches(|c| c == '.' || c == '-');
    if trimmed.is_empty() {
        "unknown".to_string()
    } else {
        trimmed.chars().take(64).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_utf8_is_kept_exactly() {
        let (s, e) = escape_bytes("a\nb\t-c%d é".as_bytes());
        assert_eq!(s, "a\nb\t-c%d é");
        assert!(!e);
    }

    #[test]
    fn invalid_bytes_are_escaped_and_flagged() {
        let (s, b64) = path_fields(b"bad\xff\xfename");
        assert_eq!(s, "bad%FF%FEname");
        let b64 = b64.expect("escaped names carry their bytes");
        let back = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("valid base64");
        assert_eq!(back, b"bad\xff\xfename");
    }

    #[test]
    fn stem_components_are_safe() {
        assert_eq!(safe_component("CASE 42/x"), "CASE-42-x");
        assert_eq!(safe_component("../.."), "unknown");
        assert_eq!(safe_component("web-01.example.org"), "web-01.example.org");
    }
}
