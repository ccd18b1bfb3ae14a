//! BagIt (RFC 8493) pieces of the archive: tag files, manifests and the
//! path encoding of manifest lines.
//!
//! RFC 8493 §2.1.3 requires CR, LF and `%` in manifest paths to be
//! percent-encoded. Some validators (bagit-python up to 1.8) do not decode
//! `%25`; Exhibit follows the RFC.

use std::fmt::Write as _;

pub const BAGIT_TXT: &str = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
pub const MANIFEST: &str = "manifest-sha256.txt";
pub const TAGMANIFEST: &str = "tagmanifest-sha256.txt";

/// Percent-encode CR, LF and `%` as RFC 8493 requires for manifest paths.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Decode a manifest path: `%25`, `%0D`, `%0A` (any case); other `%` sequences
/// are left as they are.
pub fn decode_path(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let code = tail.get(1..3).map(str::to_ascii_uppercase);
        match code.as_deref() {
            Some("25") => out.push('%'),
            Some("0D") => out.push('\r'),
            Some("0A") => out.push('\n'),
            _ => {
                out.push('%');
                rest = &tail[1..];
                continue;
            }
        }
        rest = &tail[3..];
    }
    out.push_str(rest);
    out
}

/// One manifest line per (hash, bag-relative path), in the given order.
pub fn manifest<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (hash, path) in entries {
        let _ = writeln!(out, "{hash}  {}", encode_path(path));
    }
    out
}

/// A parsed manifest line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestLine {
    pub line_no: usize,
    pub hash: String,
    /// Decoded, bag-relative path.
    pub path: String,
}

/// A checksum algorithm of a BagIt manifest (`manifest-<name>.txt`), among
/// those bagit-python writes and checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    /// Every algorithm, in a fixed order.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::Md5,
        Algorithm::Sha1,
        Algorithm::Sha224,
        Algorithm::Sha256,
        Algorithm::Sha384,
        Algorithm::Sha512,
    ];

    /// The name used in manifest file names (`sha256`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "md5",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha224 => "sha224",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// The algorithm of a manifest file name's `<name>` part.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Length of a digest in hex digits.
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Md5 => 32,
            Algorithm::Sha1 => 40,
            Algorithm::Sha224 => 56,
            Algorithm::Sha256 => 64,
            Algorithm::Sha384 => 96,
            Algorithm::Sha512 => 128,
        }
    }
}

/// Which manifest a bag-root tag file name is: (`tag` manifest?, the name
/// of its algorithm), e.g. `tagmanifest-md5.txt` gives `(true, "md5")`.
pub fn manifest_kind(rel: &str) -> Option<(bool, &str)> {
    let (tag, rest) = match rel.strip_prefix("tagmanifest-") {
        Some(rest) => (true, rest),
        None => (false, rel.strip_prefix("manifest-")?),
    };
    let alg = rest.strip_suffix(".txt")?;
    (!alg.is_empty() && !alg.contains('/')).then_some((tag, alg))
}

/// Parse a SHA-256 manifest; malformed lines are returned as errors with
/// their line number instead of aborting the whole parse.
pub fn parse_manifest(text: &str) -> (Vec<ManifestLine>, Vec<(usize, String)>) {
    parse_manifest_of(text, Algorithm::Sha256)
}

/// Parse a manifest of `alg` digests; malformed lines are returned as
/// errors with their line number.
pub fn parse_manifest_of(text: &str, alg: Algorithm) -> (Vec<ManifestLine>, Vec<(usize, String)>) {
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        match parse_manifest_line(raw, i + 1, alg) {
            Ok(Some(l)) => lines.push(l),
            Ok(None) => {}
            Err(b) => bad.push(b),
        }
    }
    (lines, bad)
}

/// Parse line `line_no` of a manifest of `alg` digests (without its `\n`):
/// `None` for an empty line, the line number and text of a malformed one.
pub fn parse_manifest_line(
    raw: &str,
    line_no: usize,
    alg: Algorithm,
) -> Result<Option<ManifestLine>, (usize, String)> {
    let raw = raw.strip_suffix('\r').unwrap_or(raw);
    if raw.is_empty() {
        return Ok(None);
    }
    let Some((hash, path)) = raw.split_once([' ', '\t']) else {
        return Err((line_no, raw.to_string()));
    };
    let path = path.trim_start_matches([' ', '\t']);
    let path = path.strip_prefix('*').unwrap_or(path);
    if hash.len() != alg.hex_len()
        || !hash.bytes().all(|b| b.is_ascii_hexdigit())
        || path.is_empty()
    {
        return Err((line_no, raw.to_string()));
    }
    Ok(Some(ManifestLine {
        line_no,
        hash: hash.to_ascii_lowercase(),
        path: decode_path(path),
    }))
}

/// Make a value safe for a single-line `Label: value` tag (no line breaks).
pub fn tag_value(value: &str) -> String {
    value
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Build `bag-info.txt` from ordered labels; empty values are left out.
pub fn bag_info(fields: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (label, value) in fields {
        let v = tag_value(value);
        if !v.is_empty() {
            let _ = writeln!(out, "{label}: {v}");
        }
    }
    out
}

/// Parse `bag-info.txt` into (label, value) pairs, joining continuation lines.
pub fn parse_bag_info(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc8493_encoding() {
        assert_eq!(encode_path("data/a%b\nc\rd"), "data/a%25b%0Ac%0Dd");
        assert_eq!(decode_path("data/a%25b%0ac%0Dd%41"), "data/a%b\nc\rd%41");
    }

    #[test]
    fn manifest_round_trip_and_bad_lines() {
        let h = "a".repeat(64);
        let text = manifest([(h.as_str(), "data/x y"), (h.as_str(), "data/100%\n")]);
        let text = format!("{text}garbage\n");
        let (lines, bad) = parse_manifest(&text);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].path, "data/x y");
        assert_eq!(lines[1].path, "data/100%\n");
        assert_eq!(bad, vec![(3, "garbage".to_string())]);
    }

    #[test]
    fn manifest_names_and_algorithms() {
        assert_eq!(manifest_kind("manifest-md5.txt"), Some((false, "md5")));
        assert_eq!(
            manifest_kind("tagmanifest-sha512.txt"),
            Some((true, "sha512"))
        );
        assert_eq!(manifest_kind("manifest-.txt"), None);
        assert_eq!(manifest_kind("bag-info.txt"), None);
        assert_eq!(Algorithm::from_name("sha1"), Some(Algorithm::Sha1));
        assert_eq!(Algorithm::from_name("blake2b"), None);
        let md5 = format!("{}  data/x\n{}  data/y\n", "a".repeat(32), "b".repeat(64));
        let (lines, bad) = parse_manifest_of(&md5, Algorithm::Md5);
        assert_eq!((lines.len(), bad.len()), (1, 1));
    }

    proptest! {
        #[test]
        fn encode_decode_is_identity(s in "\\PC*") {
            prop_assert_eq!(decode_path(&encode_path(&s)), s);
        }

        #[test]
        fn parse_manifest_never_panics(s in "\\PC*") {
            let _ = parse_manifest(&s);
            let _ = parse_bag_info(&s);
        }
    }
}
