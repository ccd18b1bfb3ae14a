//! Known-bad and known-good SHA-256 hash sets supplied by the user.
//!
//! Three formats are read, detected from the content:
//! - `sha256sum` output: `<64 hex>  <name>` (or ` *<name>`), one per line;
//! - hashdeep: a `%%%% HASHDEEP-1.0` header, a `%%%% size,md5,sha256,filename`
//!   column line, `##` comments, then CSV rows;
//! - plain CSV: a header with a `sha256` column (any case), or rows where one
//!   field is 64 hex digits.
//!
//! Lines that hold no SHA-256 are counted, not silently dropped.

use super::FindingsError;
use std::collections::HashMap;
use std::path::Path;

/// One loaded set.
#[derive(Debug, Clone, Default)]
pub struct HashSet {
    /// The set's name (its file name), shown in findings.
    pub name: String,
    /// Hash -> the file name the set gives for it (may be empty).
    pub hashes: HashMap<[u8; 32], String>,
    /// Non-empty, non-comment lines that held no SHA-256.
    pub unparsed_lines: u64,
}

/// The hash sets of a scan or diff.
#[derive(Debug, Clone, Default)]
pub struct HashSets {
    pub bad: Vec<HashSet>,
    pub good: Vec<HashSet>,
}

impl HashSets {
    /// The bad set (name, listed file name) holding this hash, if any.
    pub fn known_bad(&self, h: &[u8; 32]) -> Option<(&str, &str)> {
        self.bad
            .iter()
            .find_map(|s| s.hashes.get(h).map(|n| (s.name.as_str(), n.as_str())))
    }

    /// True when a good set holds this hash.
    pub fn is_known_good(&self, h: &[u8; 32]) -> bool {
        self.good.iter().any(|s| s.hashes.contains_key(h))
    }
}

fn sha(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

impl HashSet {
    /// Read a hash set file.
    pub fn load(path: &Path) -> Result<Self, FindingsError> {
        let raw = std::fs::read(path).map_err(|e| FindingsError::Io(e, path.into()))?;
        let text = String::from_utf8_lossy(&raw);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let set = Self::parse(&name, &text);
        if set.hashes.is_empty() {
            return Err(FindingsError::HashSet(
                format!(
                    "no SHA-256 found ({} lines without one); expected sha256sum, hashdeep or CSV",
                    set.unparsed_lines
                ),
                path.into(),
            ));
        }
        Ok(set)
    }

    /// Parse a hash set's text.
    pub fn parse(name: &str, text: &str) -> Self {
        let mut set = HashSet {
            name: name.to_string(),
            ..Default::default()
        };
        let mut sha_col: Option<usize> = None;
        let mut name_col: Option<usize> = None;
        let mut first = true;
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix("%%%%") {
                let cols: Vec<String> = rest
                    .trim()
                    .split(',')
                    .map(|c| c.trim().to_ascii_lowercase())
                    .collect();
                if let Some(i) = cols.iter().position(|c| c == "sha256") {
                    sha_col = Some(i);
                    name_col = cols.iter().position(|c| c == "filename");
                }
                continue;
            }
            let was_first = first;
            first = false;
            // sha256sum: "<hex>  name" or "<hex> *name".
            if let Some((h, rest)) = line.split_once(' ')
                && let Some(d) = sha(h)
                && sha_col.is_none()
            {
                let n = rest.trim_start_matches([' ', '*']);
                set.hashes.insert(d, n.to_string());
                continue;
            }
            let fields: Vec<&str> = line
                .split(',')
                .map(|f| f.trim().trim_matches('"'))
                .collect();
            if was_first && sha_col.is_none() {
                let lower: Vec<String> = fields.iter().map(|f| f.to_ascii_lowercase()).collect();
                if let Some(i) = lower.iter().position(|c| c == "sha256" || c == "sha-256") {
                    sha_col = Some(i);
                    name_col = lower
                        .iter()
                        .position(|c| matches!(c.as_str(), "filename" | "name" | "path" | "file"));
                    continue;
                }
            }
            let digest = match sha_col {
                Some(i) => fields.get(i).and_then(|f| sha(f)),
                None => fields.iter().find_map(|f| sha(f)),
            };
            match digest {
                Some(d) => {
                    let n = name_col
                        .and_then(|i| fields.get(i))
                        .map(|s| s.to_string())
                        .unwrap_or_default();
                    set.hashes.insert(d, n);
                }
                None => set.unparsed_lines += 1,
            }
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H1: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    const H2: &str = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";

    #[test]
    fn sha256sum_format() {
        let s = HashSet::parse("s", &format!("{H1}  evil.php\n{H2} *bin/x\n\ngarbage\n"));
        assert_eq!(s.hashes.len(), 2);
        assert_eq!(s.unparsed_lines, 1);
        assert_eq!(
            s.hashes.get(&sha(H2).expect("hex")).map(String::as_str),
            Some("bin/x")
        );
    }

    #[test]
    fn hashdeep_format() {
        let t = format!(
            "%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n## Invoked from: /root\n## $ hashdeep -c md5,sha256 x\n##\n5,d41d8cd98f00b204e9800998ecf8427e,{H1},/tmp/x\n"
        );
        let s = HashSet::parse("h", &t);
        assert_eq!(
            s.hashes.get(&sha(H1).expect("hex")).map(String::as_str),
            Some("/tmp/x")
        );
    }

    #[test]
    fn csv_format() {
        let s = HashSet::parse("c", &format!("name,SHA256,note\nweb.php,{H1},bad\n"));
        assert_eq!(
            s.hashes.get(&sha(H1).expect("hex")).map(String::as_str),
            Some("web.php")
        );
        let s = HashSet::parse("c2", &format!("x,{H2}\n"));
        assert!(s.hashes.contains_key(&sha(H2).expect("hex")));
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(s in "\\PC{0,300}") {
            let _ = HashSet::parse("p", &s);
        }
    }
}
