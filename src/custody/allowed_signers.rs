//! OpenSSH `allowed_signers` files: which keys an auditor trusts, and under
//! which names (principals).
//!
//! The format is the one `ssh-keygen -Y verify -f` reads (ssh-keygen(1),
//! "ALLOWED SIGNERS"): `principals [options] keytype base64 [comment]`, `#`
//! comments and blank lines ignored. This module follows OpenSSH's own
//! reader (`sshsig.c`, `misc.c`, `match.c`) rule for rule, so that Exhibit
//! trusts a signature exactly when `ssh-keygen -Y verify` would:
//!
//! - the principals field may be quoted; principals and `namespaces` are
//!   comma-separated pattern lists (`*`, `?`, `!` negation; a negated match
//!   rejects, whatever else matches; case-sensitive; no spaces trimmed);
//! - option names are case-insensitive, option values must be quoted,
//!   `cert-authority` lines only match certificates (never Exhibit's plain
//!   keys), an option given twice, an unknown option or a bad time spoils
//!   the line;
//! - `valid-after`/`valid-before` are `YYYYMMDD[HHMM[SS]]`, in UTC with a
//!   `Z` (or `UTC`) suffix and in the local time zone without one, compared
//!   with the current time (valid from `valid-after` up to and including
//!   `valid-before`);
//! - a line that cannot be read is skipped (ssh-keygen logs it and goes on);
//!   Exhibit keeps the reason in [`AllowedSigners::skipped`].

use crate::archive::regular::read_regular;
use ssh_key::PublicKey;
use ssh_key::public::KeyData;
use std::path::Path;

/// The largest allowed_signers file read (a line is ~150 bytes per key).
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Longer lines are skipped (a key line is a few hundred bytes).
pub const MAX_LINE_BYTES: usize = 64 << 10;

/// One usable line of an `allowed_signers` file.
#[derive(Debug, Clone)]
pub struct AllowedSigner {
    /// The line number (1-based).
    pub line: usize,
    /// The principals field (comma-separated patterns), unquoted.
    pub principals: String,
    pub key: KeyData,
    pub cert_authority: bool,
    /// `namespaces="..."`: comma-separated patterns.
    pub namespaces: Option<String>,
    /// `valid-after`, as Unix seconds.
    pub valid_after: Option<i64>,
    /// `valid-before`, as Unix seconds.
    pub valid_before: Option<i64>,
}

/// A parsed `allowed_signers` file.
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    pub entries: Vec<AllowedSigner>,
    /// Lines ssh-keygen would skip, each as `line N: why`.
    pub skipped: Vec<String>,
}

/// ssh-keygen's `WHITESPACE` (misc.h).
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// OpenSSH `strdelimw`: the first whitespace-delimited token of `s`, where a
/// double quote starts a quoted part running to the next quote. Returns the
/// token and the rest after the following whitespace; `None` when the line
/// has no delimiter at all or a quote is not closed.
fn strdelimw(s: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let at = s.iter().position(|&b| is_ws(b) || b == b'"')?;
    let mut token = s.get(..at)?.to_vec();
    if s.get(at) == Some(&b'"') {
        let after = s.get(at + 1..)?;
        let close = after.iter().position(|&b| b == b'"')?;
        token.extend_from_slice(after.get(..close)?);
        let rest = after.get(close + 1..)?;
        let skip = rest.iter().take_while(|&&b| is_ws(b)).count();
        return Some((token, rest.get(skip..)?));
    }
    let rest = s.get(at + 1..)?;
    let skip = rest.iter().take_while(|&&b| is_ws(b)).count();
    Some((token, rest.get(skip..)?))
}

/// OpenSSH `sshkey_read` for a plain key: `keytype base64 [comment]`.
fn read_key(s: &[u8]) -> Option<KeyData> {
    let text = std::str::from_utf8(s).ok()?;
    let mut parts = text.split([' ', '\t']).filter(|p| !p.is_empty());
    let key_type = parts.next()?;
    let blob = parts.next()?.trim_end_matches(['\r', '\n']);
    let key = PublicKey::from_openssh(&format!("{key_type} {blob}")).ok()?;
    Some(key.key_data().clone())
}

/// OpenSSH `sshkey_advance_past_options`: the end of the options field
/// (first unquoted space or tab), or `None` for an unterminated quote.
fn options_end(s: &[u8]) -> Option<usize> {
    let mut quoted = false;
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if !quoted && (b == b' ' || b == b'\t') {
            break;
        }
        if b == b'\\' && s.get(i + 1) == Some(&b'"') {
            i += 1;
        } else if b == b'"' {
            quoted = !quoted;
        }
        i += 1;
    }
    (!quoted).then_some(i)
}

/// Case-insensitive ASCII prefix test.
fn starts_with_ci(s: &[u8], prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// OpenSSH `opt_dequote`: a `"..."` value (`\"` for a quote); returns the
/// value and the rest.
fn dequote(s: &[u8]) -> Result<(Vec<u8>, &[u8]), &'static str> {
    let Some(body) = s.strip_prefix(b"\"") else {
        return Err("missing start quote");
    };
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        match body.get(i) {
            None => return Err("missing end quote"),
            Some(b'"') => return Ok((out, body.get(i + 1..).unwrap_or_default())),
            Some(b'\\') if body.get(i + 1) == Some(&b'"') => {
                out.push(b'"');
                i += 2;
            }
            Some(&b) => {
                out.push(b);
                i += 1;
            }
        }
    }
}

/// The options of one line (OpenSSH `sshsigopt_parse`).
#[derive(Debug, Default)]
struct Options {
    ca: bool,
    namespaces: Option<String>,
    valid_after: Option<i64>,
    valid_before: Option<i64>,
}

fn parse_options(mut s: &[u8]) -> Result<Options, String> {
    let mut o = Options::default();
    let time = |v: &[u8], which: &str| -> Result<i64, String> {
        parse_absolute_time(v)
            .filter(|&t| t != 0)
            .ok_or_else(|| format!("invalid \"{which}\" time"))
    };
    while !s.is_empty() {
        if starts_with_ci(s, "cert-authority") {
            o.ca = true;
            s = s.get("cert-authority".len()..).unwrap_or_default();
        } else if starts_with_ci(s, "namespaces=") {
            if o.namespaces.is_some() {
                return Err("multiple \"namespaces\" clauses".into());
            }
            let (v, rest) = dequote(s.get("namespaces=".len()..).unwrap_or_default())?;
            o.namespaces = Some(String::from_utf8_lossy(&v).into_owned());
            s = rest;
        } else if starts_with_ci(s, "valid-after=") {
            if o.valid_after.is_some() {
                return Err("multiple \"valid-after\" clauses".into());
            }
            let (v, rest) = dequote(s.get("valid-after=".len()..).unwrap_or_default())?;
            o.valid_after = Some(time(&v, "valid-after")?);
            s = rest;
        } else if starts_with_ci(s, "valid-before=") {
            if o.valid_before.is_some() {
                return Err("multiple \"valid-before\" clauses".into());
            }
            let (v, rest) = dequote(s.get("valid-before=".len()..).unwrap_or_default())?;
            o.valid_before = Some(time(&v, "valid-before")?);
            s = rest;
        }
        match s.split_first() {
            None => break,
            Some((&b',', [])) => {
                return Err("unexpected end-of-options".into());
            }
            Some((&b',', rest)) => s = rest,
            Some(_) => {
                return Err(format!(
                    "unknown key option {:?}",
                    String::from_utf8_lossy(s)
                ));
            }
        }
    }
    if let (Some(a), Some(b)) = (o.valid_after, o.valid_before)
        && b <= a
    {
        return Err("\"valid-before\" time is before \"valid-after\"".into());
    }
    Ok(o)
}

/// OpenSSH `parse_absolute_time`: `YYYYMMDD`, `YYYYMMDDHHMM` or
/// `YYYYMMDDHHMMSS`, UTC with a `Z`/`UTC` suffix (any case), otherwise local
/// time. Unix seconds; `None` when malformed or before 1970.
pub fn parse_absolute_time(s: &[u8]) -> Option<i64> {
    let (digits, utc) = if s.len() > 1 && s.last().is_some_and(|c| c.eq_ignore_ascii_case(&b'z')) {
        (s.get(..s.len() - 1)?, true)
    } else if s.len() > 3
        && s.get(s.len() - 3..)
            .is_some_and(|t| t.eq_ignore_ascii_case(b"UTC"))
    {
        (s.get(..s.len() - 3)?, true)
    } else {
        (s, false)
    };
    if !matches!(digits.len(), 8 | 12 | 14) || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num = |a: usize, b: usize| -> Option<i64> {
        std::str::from_utf8(digits.get(a..b)?).ok()?.parse().ok()
    };
    let (year, month, day) = (num(0, 4)?, num(4, 6)?, num(6, 8)?);
    let (hour, minute, second) = match digits.len() {
        8 => (0, 0, 0),
        12 => (num(8, 10)?, num(10, 12)?, 0),
        _ => (num(8, 10)?, num(10, 12)?, num(12, 14)?),
    };
    // strptime's ranges; timegm/mktime then normalise (31 February is 3 March).
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 61
    {
        return None;
    }
    let first =
        chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, u32::try_from(month).ok()?, 1)?;
    let naive = first
        .and_hms_opt(0, 0, 0)?
        .checked_add_signed(chrono::TimeDelta::try_seconds(
            ((day - 1) * 24 + hour) * 3600 + minute * 60 + second,
        )?)?;
    let t = if utc {
        naive.and_utc().timestamp()
    } else {
        use chrono::TimeZone as _;
        let local = chrono::Local.from_local_datetime(&naive);
        local.earliest().or(local.latest())?.timestamp()
    };
    (t >= 0).then_some(t)
}

/// OpenSSH `match_pattern`: `*` any run of bytes, `?` one byte.
pub fn pattern_match(pattern: &str, s: &str) -> bool {
    match_bytes(pattern.as_bytes(), s.as_bytes())
}

fn match_bytes(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == s.get(si) => {
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
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// OpenSSH `match_pattern_list(string, list, 0) == 1`: some pattern of the
/// comma-separated `list` matches and no negated (`!`) one does.
pub fn pattern_list_match(s: &str, list: &str) -> bool {
    let mut positive = false;
    for sub in list.as_bytes().split(|&b| b == b',') {
        let (negated, pat) = match sub.strip_prefix(b"!") {
            Some(p) => (true, p),
            None => (false, sub),
        };
        // OpenSSH gives up (no match) on a sub-pattern of 1023 bytes or more.
        if pat.len() >= 1023 {
            return false;
        }
        if match_bytes(pat, s.as_bytes()) {
            if negated {
                return false;
            }
            positive = true;
        }
    }
    positive
}

/// Parse one line (without its line end) as ssh-keygen does; `Ok(None)` for
/// blank and comment lines.
fn parse_line(n: usize, raw: &[u8]) -> Result<Option<AllowedSigner>, String> {
    let skip = raw.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    let line = raw.get(skip..).unwrap_or_default();
    if line.is_empty() || line.first() == Some(&b'#') {
        return Ok(None);
    }
    // getline() keeps the line end, which ends the last token.
    let mut with_end = line.to_vec();
    with_end.push(b'\n');
    let (principals, rest) = strdelimw(&with_end).ok_or("invalid line")?;
    let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
    let (options, key) = match read_key(rest) {
        Some(k) => (Options::default(), k),
        None => {
            let end = options_end(rest).ok_or("invalid options")?;
            let opts = rest.get(..end).unwrap_or_default();
            let after = rest.get(end..).unwrap_or_default();
            if after.is_empty() {
                return Err("missing key".into());
            }
            let after = after.get(1..).unwrap_or_default();
            let skip = after
                .iter()
                .take_while(|&&b| b == b' ' || b == b'\t')
                .count();
            let key = read_key(after.get(skip..).unwrap_or_default()).ok_or("invalid key")?;
            (
                parse_options(opts).map_err(|e| format!("bad options: {e}"))?,
                key,
            )
        }
    };
    Ok(Some(AllowedSigner {
        line: n,
        principals: String::from_utf8_lossy(&principals).into_owned(),
        key,
        cert_authority: options.ca,
        namespaces: options.namespaces,
        valid_after: options.valid_after,
        valid_before: options.valid_before,
    }))
}

impl AllowedSigner {
    /// Whether this line lets `key` sign in `namespace` at `now` (Unix
    /// seconds), whoever the principal (OpenSSH `check_allowed_keys_line`).
    pub fn allows(&self, key: &KeyData, namespace: &str, now: i64) -> bool {
        !self.cert_authority
            && &self.key == key
            && self
                .namespaces
                .as_deref()
                .is_none_or(|ns| pattern_list_match(namespace, ns))
            && self.valid_after.is_none_or(|t| now >= t)
            && self.valid_before.is_none_or(|t| now <= t)
    }
}

impl AllowedSigners {
    /// Read and parse a file (a regular file of at most [`MAX_FILE_BYTES`]).
    /// Fails when it cannot be read or holds no usable line at all (the
    /// wrong file, most likely).
    pub fn load(path: &Path) -> Result<Self, String> {
        let bytes =
            read_regular(path, MAX_FILE_BYTES).map_err(|e| format!("{e}: {}", path.display()))?;
        let a = Self::parse_bytes(&bytes);
        if a.entries.is_empty() {
            let why = a
                .skipped
                .first()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            return Err(format!("no usable key line{why}: {}", path.display()));
        }
        Ok(a)
    }

    /// Parse the text of a file; lines ssh-keygen would skip are listed in
    /// `skipped`.
    pub fn parse(text: &str) -> Self {
        Self::parse_bytes(text.as_bytes())
    }

    /// Parse the bytes of a file.
    pub fn parse_bytes(bytes: &[u8]) -> Self {
        let mut out = AllowedSigners::default();
        let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        if bytes.is_empty() {
            return out;
        }
        for (i, raw) in body.split(|&b| b == b'\n').enumerate() {
            let n = i + 1;
            if raw.len() > MAX_LINE_BYTES {
                out.skipped
                    .push(format!("line {n}: longer than {MAX_LINE_BYTES} bytes"));
                continue;
            }
            match parse_line(n, raw) {
                Ok(Some(e)) => out.entries.push(e),
                Ok(None) => {}
                Err(why) => out.skipped.push(format!("line {n}: {why}")),
            }
        }
        out
    }

    /// The lines that let `key` sign in `namespace` at `now` (Unix seconds).
    pub fn lines_for<'a>(
        &'a self,
        key: &'a KeyData,
        namespace: &'a str,
        now: i64,
    ) -> impl Iterator<Item = &'a AllowedSigner> + 'a {
        self.entries
            .iter()
            .filter(move |e| e.allows(key, namespace, now))
    }

    /// Exactly `ssh-keygen -Y verify -I principal -n namespace` on a
    /// signature by `key` at `now`: some line lists the principal (pattern
    /// list, negation honoured) and allows the key.
    pub fn accepts(&self, principal: &str, key: &KeyData, namespace: &str, now: i64) -> bool {
        self.lines_for(key, namespace, now)
            .any(|e| pattern_list_match(principal, &e.principals))
    }

    /// The principals fields of the lines that let `key` sign in `namespace`
    /// at `now`, joined with `, `; `None` when no line does, or when every
    /// such line lists only negated principals (nobody could sign under it).
    pub fn principals_for(&self, key: &KeyData, namespace: &str, now: i64) -> Option<String> {
        let found: Vec<&str> = self
            .lines_for(key, namespace, now)
            .filter(|e| e.principals.split(',').any(|p| !p.starts_with('!')))
            .map(|e| e.principals.as_str())
            .collect();
        (!found.is_empty()).then(|| found.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDFWM5ZJPqA+7L2HcAhWb/4cQfLhFZOuIwxXYSlUxqtH";
    /// 2026-01-01T00:00:00Z
    const NOW: i64 = 1_767_225_600;

    fn key() -> KeyData {
        PublicKey::from_openssh(KEY).unwrap().key_data().clone()
    }

    #[test]
    fn parses_plain_and_optioned_lines() {
        let text = format!(
            "# comment\n\nann@example.org {KEY} laptop\n\"bob,carl\" namespaces=\"exhibit-custody,git\",valid-after=\"20200101Z\" {KEY}\nca@x cert-authority {KEY}\n"
        );
        let a = AllowedSigners::parse(&text);
        assert_eq!(a.entries.len(), 3, "{:?}", a.skipped);
        assert_eq!(a.entries[1].principals, "bob,carl");
        assert_eq!(
            a.entries[1].namespaces.as_deref(),
            Some("exhibit-custody,git")
        );
        assert!(a.entries[2].cert_authority);
        let k = key();
        assert_eq!(
            a.principals_for(&k, "exhibit-custody", NOW).as_deref(),
            Some("ann@example.org, bob,carl")
        );
        assert_eq!(
            a.principals_for(&k, "file", NOW).as_deref(),
            Some("ann@example.org")
        );
        assert_eq!(
            a.principals_for(&k, "exhibit-custody", 1_546_300_800)
                .as_deref(),
            Some("ann@example.org")
        );
        assert!(a.accepts("carl", &k, "exhibit-custody", NOW));
        assert!(!a.accepts("ca@x", &k, "exhibit-custody", NOW));
    }

    #[test]
    fn bad_lines_are_skipped_with_their_number() {
        let a = AllowedSigners::parse("ann ssh-ed25519 notbase64\n");
        assert!(a.entries.is_empty());
        assert!(a.skipped[0].contains("line 1"), "{:?}", a.skipped);
        let a = AllowedSigners::parse(&format!("\nann bogus-opt {KEY}\nbob {KEY}\n"));
        assert_eq!(a.entries.len(), 1);
        assert!(a.skipped[0].starts_with("line 2: bad options: unknown key option"));
        for bad in [
            "namespaces=exhibit-custody",
            "namespaces=\"a\",namespaces=\"b\"",
            "valid-after=\"2026\"",
            "valid-after=\"20260101\",",
            "valid-after=\"20270101Z\",valid-before=\"20260101Z\"",
        ] {
            let a = AllowedSigners::parse(&format!("ann {bad} {KEY}\n"));
            assert!(a.entries.is_empty(), "{bad} was accepted");
        }
    }

    #[test]
    fn pattern_lists_follow_openssh() {
        assert!(pattern_match("*@example.org", "ann@example.org"));
        assert!(pattern_match("exhibit-*", "exhibit-custody"));
        assert!(pattern_match("a?c", "abc"));
        assert!(!pattern_match("a?c", "abbc"));
        assert!(!pattern_list_match("exhibit-custody", "!exhibit-custody,*"));
        assert!(!pattern_list_match("exhibit-custody", "*,!exhibit-*"));
        assert!(pattern_list_match("git", "!exhibit-custody,*"));
        assert!(!pattern_list_match("git", "!exhibit-custody"));
        assert!(!pattern_list_match(
            "exhibit-custody",
            "git, exhibit-custody"
        ));
        assert!(!pattern_list_match("Ann", "ann"));
        assert!(pattern_list_match("", "a,,b"));
    }

    #[test]
    fn times() {
        assert_eq!(parse_absolute_time(b"20260101Z"), Some(NOW));
        assert_eq!(parse_absolute_time(b"202601010000utc"), Some(NOW));
        assert_eq!(parse_absolute_time(b"20260101000000z"), Some(NOW));
        assert_eq!(parse_absolute_time(b"20251231240000Z"), None);
        assert_eq!(parse_absolute_time(b"20251132Z"), None);
        assert_eq!(parse_absolute_time(b"20251131Z"), Some(NOW - 31 * 86_400));
        assert_eq!(parse_absolute_time(b"2026010Z"), None);
        assert_eq!(parse_absolute_time(b"19600101Z"), None);
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,200}") {
            let _ = AllowedSigners::parse(&s);
        }
        #[test]
        fn parse_bytes_never_panics(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = AllowedSigners::parse_bytes(&b);
        }
        #[test]
        fn match_never_panics(p in ".{0,20}", s in ".{0,20}") {
            let _ = pattern_match(&p, &s);
            let _ = pattern_list_match(&s, &p);
        }
        #[test]
        fn time_never_panics(s in "[0-9zZUTC]{0,20}") {
            let _ = parse_absolute_time(s.as_bytes());
        }
    }
}
