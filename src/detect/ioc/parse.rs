//! Reading indicator lists (`detect::ioc::parse`): the three formats, the
//! type names and prefixes, type inference for untyped values, defanged
//! values, and the normal form each type is matched in.
//!
//! Every line that holds something but yields no indicator becomes a
//! [`Rejected`] with its line number and the reason; only a list that
//! cannot be read at all (unreadable, not JSON, a CSV without a value
//! column, no indicator in it) is an error.

use super::{IocError, IocKind, Rejected};
use ipnet::IpNet;
use std::net::IpAddr;
use std::path::Path;

/// The largest list read (a list of a million indicators is ~60 MiB).
pub const MAX_LIST_BYTES: u64 = 512 << 20;

/// The format of a list, from its name or its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Csv,
    Json,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    /// `.json` and `.csv` by name; otherwise JSON when the content starts
    /// with `[`, CSV when the first line that is not a comment is a header
    /// naming a `value` column, plain text else.
    pub fn detect(path: &Path, text: &str) -> Self {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("json") => return Format::Json,
            Some("csv") => return Format::Csv,
            _ => {}
        }
        let body = text.trim_start_matches('\u{feff}').trim_start();
        if body.starts_with('[') {
            return Format::Json;
        }
        let first = body
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        let is_header = first.contains(',')
            && first.split(',').any(|c| {
                VALUE_COLUMNS.contains(&c.trim().trim_matches('"').to_ascii_lowercase().as_str())
            });
        if is_header { Format::Csv } else { Format::Text }
    }
}

const VALUE_COLUMNS: &[&str] = &["value", "indicator", "ioc"];
const TYPE_COLUMNS: &[&str] = &["type", "kind", "ioc_type", "indicator_type"];
const COMMENT_COLUMNS: &[&str] = &["comment", "comments", "description", "note", "notes"];

/// One indicator as read, before the set dedups and indexes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub kind: IocKind,
    /// The normal form it is matched in.
    pub value: String,
    /// As written in the list (possibly defanged).
    pub written: String,
    pub comment: String,
    pub line: u64,
}

/// What one list gave.
#[derive(Debug, Default)]
pub struct ParsedList {
    pub indicators: Vec<Parsed>,
    pub rejected: Vec<Rejected>,
}

impl ParsedList {
    fn add(&mut self, line: u64, type_name: Option<&str>, value: &str, comment: &str) {
        let value = value.trim();
        if value.is_empty() {
            if type_name.is_some_and(|t| !t.trim().is_empty()) || !comment.trim().is_empty() {
                self.reject(line, value, "no value".into());
            }
            return;
        }
        match classify(type_name, value) {
            Ok((kind, norm)) => self.indicators.push(Parsed {
                kind,
                value: norm,
                written: value.to_string(),
                comment: comment.trim().to_string(),
                line,
            }),
            Err(reason) => self.reject(line, value, reason),
        }
    }

    fn reject(&mut self, line: u64, text: &str, reason: String) {
        self.rejected.push(Rejected {
            line,
            text: text.chars().take(200).collect(),
            reason,
        });
    }
}

/// Parse a list's text in a format. `path` names the list in errors.
pub fn parse(path: &Path, format: Format, text: &str) -> Result<ParsedList, IocError> {
    let text = text.trim_start_matches('\u{feff}');
    match format {
        Format::Text => Ok(parse_text(text)),
        Format::Csv => parse_csv(path, text),
        Format::Json => parse_json(path, text),
    }
}

/// Plain text: one indicator a line, `type:value` or an untyped value,
/// `# comment` lines, and ` # comment` after a value (whitespace before the
/// `#`, so a URL's `#fragment` stays in the value).
pub fn parse_text(text: &str) -> ParsedList {
    let mut out = ParsedList::default();
    for (i, raw) in text.lines().enumerate() {
        let line = (i + 1) as u64;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let (body, comment) = split_comment(l);
        let (type_name, value) = split_prefix(body);
        out.add(line, type_name, value, comment);
    }
    out
}

/// `value # comment` → (`value`, `comment`).
fn split_comment(l: &str) -> (&str, &str) {
    let b = l.as_bytes();
    for i in 1..b.len() {
        if b.get(i) == Some(&b'#') && b.get(i - 1).is_some_and(|c| *c == b' ' || *c == b'\t') {
            return (l[..i].trim_end(), l[i + 1..].trim());
        }
    }
    (l, "")
}

/// `type:value` when the text before the first `:` is a known type name.
fn split_prefix(l: &str) -> (Option<&str>, &str) {
    if let Some((t, v)) = l.split_once(':')
        && type_of(t).is_some()
        // `file:///etc/x` is a URL, not a file name.
        && !v.starts_with("//")
    {
        return (Some(t.trim()), v.trim());
    }
    (None, l)
}

/// CSV with a header naming the columns (`type,value,comment`; only the
/// value column is required); `#` lines are comments.
pub fn parse_csv(path: &Path, text: &str) -> Result<ParsedList, IocError> {
    let bad = |m: String| IocError::Csv(m, path.to_path_buf());
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = rdr
        .headers()
        .map_err(|e| bad(e.to_string()))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect::<Vec<_>>();
    let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let Some(vc) = col(VALUE_COLUMNS) else {
        return Err(bad(format!(
            "the header ({}) names no value column: expected `type,value,comment`",
            header.join(",")
        )));
    };
    let (tc, cc) = (col(TYPE_COLUMNS), col(COMMENT_COLUMNS));
    let mut out = ParsedList::default();
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line = rec.position().map_or(0, |p| p.line());
                if rec.iter().all(str::is_empty) {
                    continue;
                }
                let value = rec.get(vc).unwrap_or("");
                if value.is_empty() {
                    out.reject(
                        line,
                        &rec.iter().collect::<Vec<_>>().join(","),
                        "no value".into(),
                    );
                    continue;
                }
                let t = tc.and_then(|i| rec.get(i)).filter(|t| !t.is_empty());
                let c = cc.and_then(|i| rec.get(i)).unwrap_or("");
                out.add(line, t, value, c);
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => {
                        out.reject(line, "", format!("not UTF-8: {e}"));
                    }
                    _ => return Err(bad(e.to_string())),
                }
            }
        }
    }
    Ok(out)
}

/// Simple JSON: an array of `{"type", "value", "comment"}` objects (only
/// `value` required). The document is checked whole first; then each
/// element is read on its own, so that a bad one is named by its line.
pub fn parse_json(path: &Path, text: &str) -> Result<ParsedList, IocError> {
    let bad = |m: String| {
        IocError::Json(
            format!("{m} (expected an array of {{\"type\", \"value\", \"comment\"}})"),
            path.to_path_buf(),
        )
    };
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    if !doc.is_array() {
        return Err(bad("the document is not an array".into()));
    }
    let b = text.as_bytes();
    let skip_ws = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    let mut out = ParsedList::default();
    // After the opening `[`.
    let mut pos = skip_ws(0) + 1;
    loop {
        pos = skip_ws(pos);
        match b.get(pos) {
            None | Some(b']') => break,
            Some(b',') => {
                pos += 1;
                continue;
            }
            _ => {}
        }
        let rest = text.get(pos..).unwrap_or("");
        let mut it = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
        let item = match it.next() {
            Some(Ok(v)) => v,
            // The whole document parsed: an element cannot fail.
            _ => break,
        };
        let line = text.get(..pos).map_or(0, |s| s.matches('\n').count()) as u64 + 1;
        let shown: String = rest
            .get(..it.byte_offset())
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        pos += it.byte_offset().max(1);
        add_json_item(&mut out, line, &shown, item);
    }
    Ok(out)
}

/// One element of a JSON list.
fn add_json_item(out: &mut ParsedList, line: u64, shown: &str, item: serde_json::Value) {
    let serde_json::Value::Object(o) = item else {
        out.reject(line, shown, "not an indicator object".into());
        return;
    };
    let text_of = |keys: &[&str]| {
        keys.iter().find_map(|k| match o.get(*k) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
    };
    let Some(value) = text_of(&["value", "indicator"]).filter(|v| !v.trim().is_empty()) else {
        out.reject(line, shown, "no string \"value\"".into());
        return;
    };
    let kind = text_of(&["type", "kind"]).filter(|t| !t.trim().is_empty());
    let comment = text_of(&["comment", "description"]).unwrap_or_default();
    out.add(line, kind.as_deref(), &value, &comment);
}

/// A type name as lists write it (our prefixes, MISP and STIX names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TypeName {
    /// An address, or a range when the value has a `/`.
    Address,
    Cidr,
    Domain,
    Url,
    /// A hash whose length says which.
    Hash,
    Md5,
    Sha1,
    Sha256,
    FileName,
    Path,
    UserAgent,
    Email,
    Account,
}

fn type_of(name: &str) -> Option<TypeName> {
    let n = name.trim().to_ascii_lowercase().replace('_', "-");
    Some(match n.as_str() {
        "ip" | "ipv4" | "ipv6" | "ip-src" | "ip-dst" | "ipv4-addr" | "ipv6-addr" | "address"
        | "addr" | "ip-address" => TypeName::Address,
        "cidr" | "net" | "network" | "subnet" | "ip-range" | "range" => TypeName::Cidr,
        "domain" | "hostname" | "host" | "fqdn" | "domain-name" => TypeName::Domain,
        "url" | "uri" | "link" => TypeName::Url,
        "hash" | "filehash" | "file-hash" => TypeName::Hash,
        "md5" => TypeName::Md5,
        "sha1" | "sha-1" => TypeName::Sha1,
        "sha256" | "sha-256" => TypeName::Sha256,
        "filename" | "file-name" | "file" | "name" => TypeName::FileName,
        "path" | "filepath" | "file-path" | "glob" => TypeName::Path,
        "user-agent" | "useragent" | "ua" | "http-user-agent" => TypeName::UserAgent,
        "email" | "mail" | "e-mail" | "email-src" | "email-dst" | "email-addr" => TypeName::Email,
        "account" | "user" | "username" | "user-name" | "login" | "user-account"
        | "target-user" => TypeName::Account,
        _ => return None,
    })
}

/// The type names a list may use, for error messages.
pub const KNOWN_TYPES: &str =
    "ip, cidr, domain, url, md5, sha1, sha256, hash, filename, path, user_agent, email, account";

/// Undo the usual defanging: `hxxp://`, `[.]`, `(.)`, `[dot]`, `[:]`,
/// `[@]`, `[at]`, `[://]`, `\.`.
pub fn refang(v: &str) -> String {
    let mut s = v.trim().to_string();
    for (from, to) in [
        ("[://]", "://"),
        ("[:]", ":"),
        ("[.]", "."),
        ("(.)", "."),
        ("{.}", "."),
        ("[dot]", "."),
        ("(dot)", "."),
        ("[DOT]", "."),
        ("\\.", "."),
        ("[@]", "@"),
        ("[at]", "@"),
        ("(at)", "@"),
        ("[AT]", "@"),
        ("[/]", "/"),
    ] {
        if s.contains(from) {
            s = s.replace(from, to);
        }
    }
    let lower = s.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    for (from, to) in [
        ("hxxps", "https"),
        ("hxxp", "http"),
        ("hxtps", "https"),
        ("hxtp", "http"),
        ("fxp", "ftp"),
    ] {
        if lower.starts_with(from)
            && s.get(from.len()..)
                .is_some_and(|r| r.starts_with("://") || r.starts_with(':'))
        {
            s = format!("{to}{}", &s[from.len()..]);
            break;
        }
    }
    s
}

/// The type and normal form of a value, explicit type first.
pub fn classify(type_name: Option<&str>, value: &str) -> Result<(IocKind, String), String> {
    match type_name {
        Some(t) => {
            let Some(tn) = type_of(t) else {
                return Err(format!("unknown type {t:?} (known: {KNOWN_TYPES})"));
            };
            typed(tn, value)
        }
        None => infer(value),
    }
}

fn typed(tn: TypeName, value: &str) -> Result<(IocKind, String), String> {
    let r = refang(value);
    let v = r.as_str();
    match tn {
        TypeName::Address | TypeName::Cidr => {
            if let Some(ip) = ip(v) {
                Ok((IocKind::Ip, ip.to_string()))
            } else if let Some(n) = cidr(v) {
                Ok(n)
            } else {
                Err("not an IP address or CIDR range".into())
            }
        }
        TypeName::Domain => domain(v)
            .map(|d| (IocKind::Domain, d))
            .ok_or_else(|| "not a domain name".into()),
        TypeName::Url => {
            let with_scheme = if v.contains("://") {
                v.to_string()
            } else {
                format!("http://{v}")
            };
            url(&with_scheme)
                .map(|u| (IocKind::Url, u))
                .ok_or_else(|| "not a URL".into())
        }
        TypeName::Hash => {
            hash(v).ok_or_else(|| "not an MD5, SHA-1 or SHA-256 (32, 40 or 64 hex digits)".into())
        }
        TypeName::Md5 | TypeName::Sha1 | TypeName::Sha256 => {
            let want = match tn {
                TypeName::Md5 => IocKind::Md5,
                TypeName::Sha1 => IocKind::Sha1,
                _ => IocKind::Sha256,
            };
            match hash(v) {
                Some((k, h)) if k == want => Ok((k, h)),
                _ => Err(format!(
                    "not a {} ({} hex digits)",
                    want.name(),
                    match want {
                        IocKind::Md5 => 32,
                        IocKind::Sha1 => 40,
                        _ => 64,
                    }
                )),
            }
        }
        TypeName::FileName => {
            let v = value.trim();
            if v.contains('/') {
                path_glob(v).map(|p| (IocKind::Path, p))
            } else {
                glob_ok(v).map(|()| (IocKind::FileName, v.to_string()))
            }
        }
        TypeName::Path => path_glob(value.trim()).map(|p| (IocKind::Path, p)),
        TypeName::UserAgent => {
            let v = value.trim();
            if v.chars().count() < 3 {
                Err(
                    "a user agent of fewer than 3 characters would match almost every request"
                        .into(),
                )
            } else {
                Ok((IocKind::UserAgent, v.to_string()))
            }
        }
        TypeName::Email => email(v)
            .map(|e| (IocKind::Email, e))
            .ok_or_else(|| "not an email address".into()),
        TypeName::Account => {
            let v = value.trim();
            if v.chars().any(char::is_whitespace) || v.len() > 256 {
                Err("not an account name (no spaces, at most 256 bytes)".into())
            } else {
                Ok((IocKind::Account, v.to_string()))
            }
        }
    }
}

/// Extensions that make a dotted name a file name rather than a domain
/// (`shell.php`, `x.sh`); write `domain:x.sh` for the domain.
const FILE_EXTENSIONS: &[&str] = &[
    "php", "php3", "php4", "php5", "php7", "phtml", "phar", "jsp", "jspx", "asp", "aspx", "ashx",
    "cgi", "sh", "bash", "py", "pl", "rb", "js", "exe", "dll", "elf", "so", "ko", "bin", "o",
    "ps1", "bat", "cmd", "vbs", "jar", "war", "class", "txt", "log", "tar", "gz", "tgz", "bz2",
    "xz", "zip", "rar", "7z", "conf", "cfg", "ini", "json", "xml", "yml", "yaml", "sql", "bak",
    "old", "tmp", "swp", "out", "c", "deb", "rpm", "apk", "msi", "doc", "docx", "xls", "xlsx",
    "pdf", "lnk", "hta", "service", "timer", "socket", "desktop", "pem", "key",
];

/// Type inference for an untyped value.
fn infer(value: &str) -> Result<(IocKind, String), String> {
    let r = refang(value);
    let v = r.as_str();
    if let Some(ip) = ip(v) {
        return Ok((IocKind::Ip, ip.to_string()));
    }
    if let Some(n) = cidr(v) {
        return Ok(n);
    }
    if let Some(h) = hash(v) {
        return Ok(h);
    }
    let raw = value.trim();
    if v.chars().any(char::is_whitespace) {
        // `Name/1.0 (...)`: a user agent.
        let first = v.split_whitespace().next().unwrap_or("");
        if first.contains('/')
            && first
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
        {
            return Ok((IocKind::UserAgent, raw.to_string()));
        }
        return Err(
            "cannot tell the type of a value with spaces: prefix it (ua:, user:, filename:, ...)"
                .into(),
        );
    }
    if v.contains("://") {
        return url(v)
            .map(|u| (IocKind::Url, u))
            .ok_or_else(|| "looks like a URL but does not parse as one".into());
    }
    if raw.starts_with('/') {
        return path_glob(raw).map(|p| (IocKind::Path, p));
    }
    if v.contains('@')
        && let Some(e) = email(v)
    {
        return Ok((IocKind::Email, e));
    }
    if v.contains(['*', '?', '[']) {
        return if raw.contains('/') {
            path_glob(raw).map(|p| (IocKind::Path, p))
        } else {
            glob_ok(raw).map(|()| (IocKind::FileName, raw.to_string()))
        };
    }
    if let Some((host, _)) = v.split_once('/') {
        if domain(host).is_some() || ip(host).is_some() {
            return url(&format!("http://{v}"))
                .map(|u| (IocKind::Url, u))
                .ok_or_else(|| {
                    "looks like a URL without a scheme but does not parse as one".into()
                });
        }
        return path_glob(raw).map(|p| (IocKind::Path, p));
    }
    if let Some(d) = domain(v) {
        let last = d.rsplit('.').next().unwrap_or("");
        if FILE_EXTENSIONS.contains(&last) && !value.contains("[.]") {
            return Ok((IocKind::FileName, raw.to_string()));
        }
        return Ok((IocKind::Domain, d));
    }
    Err(format!(
        "cannot tell the type: prefix it with one of {KNOWN_TYPES} (e.g. account:{raw})"
    ))
}

/// An address, `[v6]` accepted; an IPv4-mapped IPv6 address is the IPv4
/// address.
pub fn ip(v: &str) -> Option<IpAddr> {
    let v = v.trim();
    let v = v
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(v);
    let a: IpAddr = v.parse().ok()?;
    Some(canonical_ip(a))
}

/// IPv4-mapped IPv6 as IPv4.
pub fn canonical_ip(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        a => a,
    }
}

/// A CIDR range in its normal form (host bits cleared); a full-length
/// prefix is an address.
fn cidr(v: &str) -> Option<(IocKind, String)> {
    let n: IpNet = v.trim().parse().ok()?;
    let n = n.trunc();
    if n.prefix_len() == n.max_prefix_len() {
        return Some((IocKind::Ip, canonical_ip(n.addr()).to_string()));
    }
    Some((IocKind::Cidr, n.to_string()))
}

fn hash(v: &str) -> Option<(IocKind, String)> {
    let v = v.trim();
    if !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let kind = match v.len() {
        32 => IocKind::Md5,
        40 => IocKind::Sha1,
        64 => IocKind::Sha256,
        _ => return None,
    };
    Some((kind, v.to_ascii_lowercase()))
}

/// A host name in its normal form: lowercase, no trailing dot, a leading
/// `*.` dropped (subdomains match anyway); at least two labels, the last
/// not numeric.
pub fn domain(v: &str) -> Option<String> {
    let v = v.trim().trim_end_matches('.');
    let v = v.strip_prefix("*.").unwrap_or(v);
    if v.is_empty() || v.len() > 253 {
        return None;
    }
    let d = v.to_lowercase();
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 {
        return None;
    }
    for l in &labels {
        if l.is_empty()
            || l.len() > 63
            || l.starts_with('-')
            || !l
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            return None;
        }
    }
    let tld = labels.last()?;
    if tld.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(d)
}

fn email(v: &str) -> Option<String> {
    let (local, dom) = v.trim().rsplit_once('@')?;
    if local.is_empty()
        || local.len() > 64
        || !local
            .chars()
            .all(|c| c.is_alphanumeric() || "._%+-!#$&'*/=?^`{|}~".contains(c))
    {
        return None;
    }
    let d = domain(dom)?;
    Some(format!("{}@{d}", local.to_lowercase()))
}

/// The parts of a URL as matched: host (lowercase, no default port), path
/// (unreserved characters percent-decoded, `/` when empty) and query; the
/// scheme, user info and fragment are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// `host` or `host:port`.
    pub host: String,
    pub path: String,
    pub query: Option<String>,
}

impl UrlParts {
    /// `host/path?query`: the form URLs are indexed and compared in.
    pub fn key(&self) -> String {
        match &self.query {
            Some(q) => format!("{}{}?{q}", self.host, self.path),
            None => format!("{}{}", self.host, self.path),
        }
    }

    /// The host without its port.
    pub fn hostname(&self) -> &str {
        if self.host.starts_with('[') {
            return self
                .host
                .split(']')
                .next()
                .map_or("", |h| h.trim_start_matches('['));
        }
        self.host.split(':').next().unwrap_or("")
    }
}

/// Split and normalise a URL (`scheme://host/path?query#fragment`, or
/// `host/path` without a scheme when `need_scheme` is false).
pub fn url_parts(v: &str, need_scheme: bool) -> Option<UrlParts> {
    let v = v.trim();
    let (scheme, rest) = match v.split_once("://") {
        Some((s, r))
            if !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)) =>
        {
            (s.to_ascii_lowercase(), r)
        }
        _ if need_scheme => return None,
        _ => (String::new(), v),
    };
    let rest = rest.split('#').next().unwrap_or("");
    let (authority, path_query) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let authority = authority.rsplit('@').next().unwrap_or("");
    let (host, port) = if let Some(h6) = authority.strip_prefix('[') {
        let (h, p) = h6.split_once(']')?;
        let ip: std::net::Ipv6Addr = h.parse().ok()?;
        (format!("[{ip}]"), p.strip_prefix(':').unwrap_or(""))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p),
            None => (authority.to_string(), ""),
        }
    };
    let host = if host.starts_with('[') {
        host
    } else if let Some(a) = ip(&host) {
        a.to_string()
    } else {
        domain(&host)?
    };
    if !port.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let default = matches!(
        (scheme.as_str(), port),
        ("http", "80") | ("https", "443") | ("ftp", "21")
    );
    let host = if port.is_empty() || default {
        host
    } else {
        format!("{host}:{port}")
    };
    let (path, query) = match path_query.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (path_query, None),
    };
    let path = if path.is_empty() {
        "/".to_string()
    } else {
        decode_unreserved(path)
    };
    Some(UrlParts {
        host,
        path,
        query: query.filter(|q| !q.is_empty()),
    })
}

fn url(v: &str) -> Option<String> {
    let p = url_parts(v, true)?;
    Some(p.key())
}

/// `%41` → `A` for unreserved characters only (RFC 3986 §6.2.2.2); other
/// escapes kept, in upper case.
pub fn decode_unreserved(p: &str) -> String {
    if !p.contains('%') {
        return p.to_string();
    }
    let b = p.as_bytes();
    let mut out = String::with_capacity(p.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (b.get(i + 1), b.get(i + 2))
            && let (Some(h), Some(l)) = ((*h as char).to_digit(16), (*l as char).to_digit(16))
        {
            let c = (h * 16 + l) as u8;
            if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
                out.push(c as char);
            } else {
                out.push('%');
                out.push_str(&format!("{c:02X}"));
            }
            i += 3;
            continue;
        }
        let ch = p[i..].chars().next().unwrap_or('\u{fffd}');
        out.push(ch);
        i += ch.len_utf8().max(1);
    }
    out
}

fn glob_ok(g: &str) -> Result<(), String> {
    if g.is_empty() {
        return Err("empty file name".into());
    }
    globset::GlobBuilder::new(g)
        .literal_separator(true)
        .build()
        .map(|_| ())
        .map_err(|e| format!("not a valid glob: {e}"))
}

/// A path glob: absolute as written, a relative one anywhere (`**/`).
fn path_glob(g: &str) -> Result<String, String> {
    let g = if g.starts_with('/') || g.starts_with("**") {
        g.to_string()
    } else {
        format!("**/{g}")
    };
    glob_ok(&g).map(|()| g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(v: &str) -> (IocKind, String) {
        infer(v).unwrap_or_else(|e| panic!("{v}: {e}"))
    }

    #[test]
    fn infers_each_type() {
        assert_eq!(k("203.0.113.7"), (IocKind::Ip, "203.0.113.7".into()));
        assert_eq!(k("2001:DB8::1"), (IocKind::Ip, "2001:db8::1".into()));
        assert_eq!(
            k("::ffff:198.51.100.2"),
            (IocKind::Ip, "198.51.100.2".into())
        );
        assert_eq!(
            k("198.51.100.9/24"),
            (IocKind::Cidr, "198.51.100.0/24".into())
        );
        assert_eq!(k("10.1.2.3/32"), (IocKind::Ip, "10.1.2.3".into()));
        assert_eq!(k("D41D8CD98F00B204E9800998ECF8427E").0, IocKind::Md5);
        assert_eq!(k(&"a".repeat(40)).0, IocKind::Sha1);
        assert_eq!(k(&"b".repeat(64)).0, IocKind::Sha256);
        assert_eq!(
            k("Evil.Example.COM."),
            (IocKind::Domain, "evil.example.com".into())
        );
        assert_eq!(
            k("HTTP://Evil.example:80/a%7Eb/X.sh?q=1#frag"),
            (IocKind::Url, "evil.example/a~b/X.sh?q=1".into())
        );
        assert_eq!(
            k("evil.example/drop.sh"),
            (IocKind::Url, "evil.example/drop.sh".into())
        );
        assert_eq!(
            k("Bad.Actor@Evil.Example"),
            (IocKind::Email, "bad.actor@evil.example".into())
        );
        assert_eq!(k("/tmp/.x/*"), (IocKind::Path, "/tmp/.x/*".into()));
        assert_eq!(k("*.phtml"), (IocKind::FileName, "*.phtml".into()));
        assert_eq!(k("shell.php"), (IocKind::FileName, "shell.php".into()));
        assert_eq!(
            k("sqlmap/1.7.2#stable (https://sqlmap.org)").0,
            IocKind::UserAgent
        );
        assert!(infer("backdoor").is_err(), "a bare word needs a prefix");
        assert!(infer("two words").is_err());
    }

    #[test]
    fn defanged_values_are_refanged() {
        assert_eq!(
            k("hxxp://evil[.]example/x"),
            (IocKind::Url, "evil.example/x".into())
        );
        assert_eq!(
            k("hXXps[://]evil(.)example"),
            (IocKind::Url, "evil.example/".into())
        );
        assert_eq!(k("203.0.113[.]7"), (IocKind::Ip, "203.0.113.7".into()));
        assert_eq!(k("example[.]com"), (IocKind::Domain, "example.com".into()));
        assert_eq!(
            k("a[@]evil[dot]example"),
            (IocKind::Email, "a@evil.example".into())
        );
        // A defanged dotted name is a domain even with a file-like ending.
        assert_eq!(k("evil[.]sh"), (IocKind::Domain, "evil.sh".into()));
    }

    #[test]
    fn explicit_types_win_and_are_checked() {
        assert_eq!(
            classify(Some("domain"), "x.sh").unwrap(),
            (IocKind::Domain, "x.sh".into())
        );
        assert_eq!(
            classify(Some("user"), "deploy").unwrap(),
            (IocKind::Account, "deploy".into())
        );
        assert_eq!(
            classify(Some("ip-dst"), "10.0.0.0/8").unwrap().0,
            IocKind::Cidr
        );
        assert_eq!(
            classify(Some("URL"), "evil.example").unwrap(),
            (IocKind::Url, "evil.example/".into())
        );
        assert!(classify(Some("md5"), &"a".repeat(64)).is_err());
        assert!(
            classify(Some("colour"), "red")
                .unwrap_err()
                .contains("unknown type")
        );
        assert_eq!(
            classify(Some("filename"), "/var/www/x.php").unwrap().0,
            IocKind::Path
        );
        assert_eq!(
            classify(Some("path"), "uploads/*.php").unwrap(),
            (IocKind::Path, "**/uploads/*.php".into())
        );
    }

    #[test]
    fn text_lists_keep_comments_and_report_bad_lines() {
        let l = parse_text(
            "# header\n\n203.0.113.7 # tor exit\nua: curl/8.1 # scripted\nhttp://evil.example/a#frag\nnonsense-word\nmd5: 1234\n",
        );
        assert_eq!(l.indicators.len(), 3);
        assert_eq!(l.indicators[0].comment, "tor exit");
        assert_eq!(l.indicators[0].line, 3);
        assert_eq!(l.indicators[1].kind, IocKind::UserAgent);
        assert_eq!(l.indicators[1].value, "curl/8.1");
        assert_eq!(l.indicators[2].value, "evil.example/a");
        let lines: Vec<u64> = l.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, [6, 7]);
    }

    #[test]
    fn csv_and_json_lists() {
        let p = Path::new("x");
        let l = parse_csv(
            p,
            "Type,Value,Comment\nip,203.0.113.7,scanner\n,evil.example,\"C2, stage 2\"\nfoo,bar,\n",
        )
        .unwrap();
        assert_eq!(l.indicators.len(), 2);
        assert_eq!(l.indicators[1].comment, "C2, stage 2");
        assert_eq!(l.indicators[1].line, 3);
        assert_eq!(l.rejected.len(), 1);
        assert_eq!(l.rejected[0].line, 4);
        assert!(parse_csv(p, "a,b\n1,2\n").is_err());
        let j = "[\n {\"type\": \"domain\", \"value\": \"evil.example\", \"comment\": \"c2\"},\n {\"value\": \"198.51.100.0/24\"},\n {\"type\": \"sha256\", \"value\": \"xyz\"},\n 7\n]";
        let l = parse_json(p, j).unwrap();
        assert_eq!(l.indicators.len(), 2);
        assert_eq!(l.indicators[1].line, 3);
        let lines: Vec<u64> = l.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, [4, 5]);
        assert!(parse_json(p, "{not json").is_err());
    }

    #[test]
    fn formats_are_detected() {
        assert_eq!(Format::detect(Path::new("a.txt"), "[{}]"), Format::Json);
        assert_eq!(
            Format::detect(Path::new("a"), "# c\ntype,value\n"),
            Format::Csv
        );
        assert_eq!(Format::detect(Path::new("a"), "1.2.3.4\n"), Format::Text);
        assert_eq!(Format::detect(Path::new("a.CSV"), "x"), Format::Csv);
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,200}") {
            let _ = parse_text(&s);
            let _ = parse_csv(Path::new("p"), &s);
            let _ = parse_json(Path::new("p"), &s);
            let _ = refang(&s);
            let _ = url_parts(&s, false);
        }
    }
}
