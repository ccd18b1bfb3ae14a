//! OpenSSH `allowed_signers` files: which keys an auditor trusts, and under
//! which names (principals).
//!
//! The format is the one `ssh-keygen -Y verify -f` reads (see ssh-keygen(1),
//! "ALLOWED SIGNERS"): `principals [options] keytype base64 [comment]`, `#`
//! comments and blank lines ignored. The options `namespaces="..."`,
//! `valid-after="..."` and `valid-before="..."` are honoured as ssh-keygen
//! does (the times against the current time); `cert-authority` lines are
//! read but never match, because Exhibit signs with plain keys.

use ssh_key::PublicKey;
use ssh_key::public::KeyData;
use std::path::Path;

/// One line of an `allowed_signers` file.
#[derive(Debug, Clone)]
pub struct AllowedSigner {
    /// The principals field as written (comma-separated patterns).
    pub principals: String,
    pub key: KeyData,
    pub cert_authority: bool,
    /// `namespaces="..."`, comma-separated patterns.
    pub namespaces: Option<String>,
    pub valid_after: Option<String>,
    pub valid_before: Option<String>,
}

/// A parsed `allowed_signers` file.
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    pub entries: Vec<AllowedSigner>,
}

/// Split a line into whitespace-separated tokens; double quotes group.
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            c => {
                cur.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(cur);
    }
    out
}

fn looks_like_key_type(t: &str) -> bool {
    t.starts_with("ssh-")
        || t.starts_with("ecdsa-")
        || t.starts_with("sk-")
        || t.starts_with("rsa-")
}

/// Split an options field on commas outside quotes.
fn split_options(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

impl AllowedSigners {
    /// Read and parse a file. Lines that cannot be parsed are reported with
    /// their number.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{e}: {}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{e}: {}", path.display()))
    }

    /// Parse the text of a file.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let t = tokens(line);
            let bad = |why: &str| format!("allowed_signers line {}: {why}", n + 1);
            let principals = t
                .first()
                .ok_or_else(|| bad("empty"))?
                .trim_matches('"')
                .to_string();
            let (options, kt_index) = match t.get(1) {
                Some(k) if looks_like_key_type(k) => (None, 1),
                Some(o) => (Some(o.clone()), 2),
                None => return Err(bad("no key")),
            };
            let key_type = t.get(kt_index).ok_or_else(|| bad("no key type"))?;
            let key_b64 = t.get(kt_index + 1).ok_or_else(|| bad("no key"))?;
            let key = PublicKey::from_openssh(&format!("{key_type} {key_b64}"))
                .map_err(|e| bad(&format!("unreadable key ({e})")))?;
            let mut entry = AllowedSigner {
                principals,
                key: key.key_data().clone(),
                cert_authority: false,
                namespaces: None,
                valid_after: None,
                valid_before: None,
            };
            for opt in options.as_deref().map(split_options).unwrap_or_default() {
                let (name, value) = match opt.split_once('=') {
                    Some((n, v)) => (n.to_ascii_lowercase(), Some(v.to_string())),
                    None => (opt.to_ascii_lowercase(), None),
                };
                match (name.as_str(), value) {
                    ("cert-authority", _) => entry.cert_authority = true,
                    ("namespaces", v) => entry.namespaces = v,
                    ("valid-after", v) => entry.valid_after = v,
                    ("valid-before", v) => entry.valid_before = v,
                    (other, _) => return Err(bad(&format!("unknown option {other:?}"))),
                }
            }
            entries.push(entry);
        }
        Ok(AllowedSigners { entries })
    }

    /// The principals that may sign in `namespace` with `key` at time `now`
    /// (`YYYYMMDDHHMMSS`, UTC), joined with commas; `None` when the key is
    /// not trusted.
    pub fn principals_for(&self, key: &KeyData, namespace: &str, now: &str) -> Option<String> {
        let found: Vec<&str> = self
            .entries
            .iter()
            .filter(|e| !e.cert_authority && &e.key == key)
            .filter(|e| {
                e.namespaces
                    .as_deref()
                    .is_none_or(|ns| ns.split(',').any(|p| pattern_match(p.trim(), namespace)))
            })
            .filter(|e| {
                e.valid_after
                    .as_deref()
                    .is_none_or(|t| norm_time(t).as_str() <= now)
            })
            .filter(|e| {
                e.valid_before
                    .as_deref()
                    .is_none_or(|t| now < norm_time(t).as_str())
            })
            .map(|e| e.principals.as_str())
            .collect();
        if found.is_empty() {
            None
        } else {
            Some(found.join(","))
        }
    }
}

/// `YYYYMMDD[HHMM[SS]][Z]` padded to 14 digits for comparison.
fn norm_time(t: &str) -> String {
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    format!("{digits:0<14}")
}

/// OpenSSH wildcard match: `*` any run, `?` one character.
pub fn pattern_match(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == s.get(si) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDFWM5ZJPqA+7L2HcAhWb/4cQfLhFZOuIwxXYSlUxqtH";

    #[test]
    fn parses_plain_and_optioned_lines() {
        let text = format!(
            "# comment\n\nann@example.org {KEY} laptop\n\"bob,carl\" namespaces=\"exhibit-custody,git\",valid-after=\"20200101\" {KEY}\nca@x cert-authority {KEY}\n"
        );
        let a = AllowedSigners::parse(&text).unwrap();
        assert_eq!(a.entries.len(), 3);
        assert_eq!(a.entries[1].principals, "bob,carl");
        assert_eq!(
            a.entries[1].namespaces.as_deref(),
            Some("exhibit-custody,git")
        );
        assert!(a.entries[2].cert_authority);
        let key = a.entries[0].key.clone();
        assert_eq!(
            a.principals_for(&key, "exhibit-custody", "20260101000000")
                .as_deref(),
            Some("ann@example.org,bob,carl")
        );
        assert_eq!(
            a.principals_for(&key, "file", "20260101000000").as_deref(),
            Some("ann@example.org")
        );
        assert_eq!(
            a.principals_for(&key, "exhibit-custody", "20190101000000")
                .as_deref(),
            Some("ann@example.org")
        );
    }

    #[test]
    fn bad_lines_name_their_number() {
        let err = AllowedSigners::parse("ann ssh-ed25519 notbase64\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
        let err = AllowedSigners::parse(&format!("\nann bogus-opt {KEY}\n")).unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn wildcards() {
        assert!(pattern_match("*@example.org", "ann@example.org"));
        assert!(pattern_match("exhibit-*", "exhibit-custody"));
        assert!(pattern_match("a?c", "abc"));
        assert!(!pattern_match("a?c", "abbc"));
        assert!(!pattern_match("git", "exhibit-custody"));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,200}") {
            let _ = AllowedSigners::parse(&s);
        }
        #[test]
        fn match_never_panics(p in ".{0,20}", s in ".{0,20}") {
            let _ = pattern_match(&p, &s);
        }
    }
}
