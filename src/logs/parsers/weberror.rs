//! Apache (2.0–2.4) and nginx error logs. Their times carry no zone: they
//! are read at the analyst's offset, or UTC.

use super::{Format, LineParser, Method, SourceCtx, after};
use crate::logs::event::{Draft, Event, Field, Kind};
use crate::logs::time;

/// The registry entry.
pub const FORMAT: Format = Format {
    name: "web_error",
    name_hint,
    sniff_bytes: None,
    method: Method::Lines(make),
};

fn name_hint(name: &str) -> u32 {
    if name.to_ascii_lowercase().contains("error") {
        10
    } else {
        0
    }
}

fn make(ctx: &SourceCtx) -> Box<dyn LineParser> {
    Box::new(WebError {
        offset_s: ctx.tz_offset_s.unwrap_or(0),
        mtime_us: ctx.mtime_us,
        wrapped_classic: 0,
    })
}

struct WebError {
    offset_s: i64,
    /// The file's modification time: the year of syslog-wrapped lines.
    mtime_us: Option<i64>,
    /// Syslog-wrapped lines with a classic (yearless) time.
    wrapped_classic: u64,
}

impl LineParser for WebError {
    fn parse(&mut self, line: &str, d: &mut Draft) -> bool {
        if line.starts_with('[') {
            self.apache(line, d)
        } else {
            self.nginx(line, d) || self.syslog_wrapped(line, d)
        }
    }

    fn finish(&mut self, _events: &mut [Event]) -> Vec<String> {
        if self.wrapped_classic == 0 {
            return Vec::new();
        }
        vec![format!(
            "{} syslog-wrapped line(s) (`Mmm dd HH:MM:SS host httpd[pid]: ...`): year from {}, the latest that does not put the line after it",
            self.wrapped_classic,
            if self.mtime_us.is_some() {
                "the file's modification time"
            } else {
                "the current date (no modification time)"
            }
        )]
    }
}

impl WebError {
    fn apache(&self, line: &str, d: &mut Draft) -> bool {
        // [Www Mmm dd HH:MM:SS[.ffffff] yyyy]
        let b = line.as_bytes();
        let Some(m) = b.get(5..).and_then(time::month) else {
            return false;
        };
        let day = match (b.get(9), b.get(10)) {
            (Some(b' '), Some(c)) if c.is_ascii_digit() => u32::from(c - b'0'),
            _ => match b.get(9..).and_then(|x| time::digits(x, 2)) {
                Some(v) => v,
                None => return false,
            },
        };
        let Some((hh, mm, ss)) = b.get(12..).and_then(time::hms) else {
            return false;
        };
        let (us, flen) = time::fraction(b.get(20..).unwrap_or(&[]));
        let yi = 21 + flen;
        let Some(year) = b.get(yi..).and_then(|x| time::digits(x, 4)) else {
            return false;
        };
        if b.get(yi + 4) != Some(&b']') {
            return false;
        }
        let Some(t) = time::to_us(i64::from(year), m, day, hh, mm, ss, us) else {
            return false;
        };
        d.time_us = Some(time::shift(t, self.offset_s));
        d.set_sub(line, Field::Program, "apache");
        apache_rest(line, line.get(yi + 5..).unwrap_or(""), d);
        true
    }

    fn nginx(&self, line: &str, d: &mut Draft) -> bool {
        let b = line.as_bytes();
        if b.get(4) != Some(&b'/') || b.get(7) != Some(&b'/') || b.get(10) != Some(&b' ') {
            return false;
        }
        let (Some(y), Some(mo), Some(da)) = (
            time::digits(b, 4),
            b.get(5..).and_then(|x| time::digits(x, 2)),
            b.get(8..).and_then(|x| time::digits(x, 2)),
        ) else {
            return false;
        };
        let Some((hh, mm, ss)) = b.get(11..).and_then(time::hms) else {
            return false;
        };
        if b.get(19..21) != Some(b" [") {
            return false;
        }
        let Some(t) = time::to_us(i64::from(y), mo, da, hh, mm, ss, 0) else {
            return false;
        };
        d.time_us = Some(time::shift(t, self.offset_s));
        d.kind = Kind::WebError;
        d.set_sub(line, Field::Program, "nginx");
        let rest = line.get(21..).unwrap_or("");
        if let Some((level, r)) = rest.split_once("] ") {
            d.set_sub(line, Field::Detail, level);
            if let Some(pid) = r
                .split('#')
                .next()
                .filter(|p| p.bytes().all(|c| c.is_ascii_digit()))
            {
                d.set_sub(line, Field::Pid, pid);
            }
        }
        nginx_client(line, rest, d);
        if let Some(s) = after(rest, ", server: ") {
            d.set_sub(line, Field::Host, s.split(',').next().unwrap_or(s));
        }
        if let Some(r) = after(rest, ", request: \"") {
            let req = r.split('"').next().unwrap_or("");
            let mut it = req.splitn(3, ' ');
            if let (Some(m), Some(p)) = (it.next(), it.next()) {
                d.set_sub(line, Field::Method, m);
                d.set_sub(line, Field::Path, p);
            }
        } else {
            message_path(line, rest, d);
        }
        nginx_auth(line, rest, d);
        nginx_class(rest, d);
        true
    }

    /// An Apache or nginx line that went through syslog (`ErrorLog
    /// syslog`, `error_log syslog:`, the journal) and was then written into
    /// the web error log, or a log that mixes both: `Mmm dd HH:MM:SS host
    /// httpd[PID]: [authz_core:error] [client IP:PORT] ...`, or with an
    /// RFC 3339 time. The inner line is read as in a syslog file
    /// ([`syslog_message`]); other programs' lines are not this format.
    fn syslog_wrapped(&mut self, line: &str, d: &mut Draft) -> bool {
        let b = line.as_bytes();
        let (t, at, classic) = if let Some((t, n)) = time::iso(b, self.offset_s) {
            (t, n, false)
        } else {
            let Some(m) = time::month(b) else {
                return false;
            };
            let (day, tpos) = match (b.get(3), b.get(4), b.get(5), b.get(6)) {
                (Some(b' '), Some(b' '), Some(c), Some(b' ')) if c.is_ascii_digit() => {
                    (u32::from(c - b'0'), 7)
                }
                (Some(b' '), Some(a), Some(c), Some(b' '))
                    if a.is_ascii_digit() && c.is_ascii_digit() =>
                {
                    (u32::from(a - b'0') * 10 + u32::from(c - b'0'), 7)
                }
                _ => return false,
            };
            let Some((hh, mm, ss)) = b.get(tpos..).and_then(time::hms) else {
                return false;
            };
            let (us, flen) = time::fraction(b.get(tpos + 8..).unwrap_or(&[]));
            let Some(t) = self.classic_year(m, day, hh, mm, ss, us) else {
                return false;
            };
            (time::shift(t, self.offset_s), tpos + 8 + flen, true)
        };
        let Some(rest) = line.get(at..).map(|r| r.trim_start_matches(' ')) else {
            return false;
        };
        let host = super::token(rest);
        let words = rest.get(host.len()..).unwrap_or("").trim_start_matches(' ');
        let tag = super::token(words);
        let Some(tag_name) = tag.strip_suffix(':') else {
            return false;
        };
        let (name, pid) = match tag_name.split_once('[') {
            Some((n, p)) => (n, p.strip_suffix(']')),
            None => (tag_name, None),
        };
        let msg = words.get(tag.len()..).unwrap_or("").trim_start_matches(' ');
        if name.is_empty() || !syslog_message(name, msg, line, d) {
            return false;
        }
        d.time_us = Some(t);
        d.set_sub(line, Field::Host, host);
        d.set_sub(line, Field::Program, name);
        if let Some(p) = pid.filter(|p| d.get(Field::Pid).is_none() && !p.is_empty()) {
            d.set_sub(line, Field::Pid, p);
        }
        if classic {
            self.wrapped_classic += 1;
        }
        true
    }

    /// A yearless local time in the latest year that does not put it after
    /// the file's modification time (one day of slack for zones), as for
    /// the last line of a classic syslog file.
    fn classic_year(&self, m: u32, day: u32, hh: u32, mm: u32, ss: u32, us: u32) -> Option<i64> {
        let reference = self
            .mtime_us
            .unwrap_or_else(|| chrono::Utc::now().timestamp_micros());
        let (year, _, _) = time::civil_from_days(reference.div_euclid(86_400 * time::US));
        let limit = time::plus_us(reference, 86_400 * time::US);
        // Feb 29 needs a leap year: look back up to eight years.
        (0..8)
            .filter_map(|k| time::to_us(year - k, m, day, hh, mm, ss, us))
            .find(|&t| t <= limit)
    }
}

/// An Apache error line after its time: `[module:level] [pid N] [client
/// IP:PORT] AH01618: message`, with an APR status (`(70008)Partial results
/// are valid...: `) possibly before the client.
fn apache_rest(line: &str, rest: &str, d: &mut Draft) {
    d.kind = Kind::WebError;
    let mut rest = rest.trim_start();
    loop {
        if let Some(r) = rest.strip_prefix('[') {
            // "[client [2001:db8::1]:51548]": an IPv6 client in brackets.
            if let Some(c) = r
                .strip_prefix("client [")
                .or_else(|| r.strip_prefix("remote ["))
                && let Some((ip, tail)) = c.split_once(']')
            {
                if !d.has(Field::Ip) || r.starts_with("client") {
                    d.set_sub(line, Field::Ip, ip);
                }
                rest = tail.split_once(']').map_or("", |x| x.1).trim_start();
                continue;
            }
            let Some((inner, after_b)) = r.split_once(']') else {
                break;
            };
            let client = inner.strip_prefix("client ");
            // "[remote IP:PORT]" (2.4): the peer, when no client is named.
            let remote = inner.strip_prefix("remote ").filter(|_| !d.has(Field::Ip));
            if let Some(c) = client.or(remote) {
                let ip = if c.matches(':').count() == 1 {
                    c.split(':').next().unwrap_or(c)
                } else {
                    c
                };
                d.set_sub(line, Field::Ip, ip);
            } else if let Some(p) = inner.strip_prefix("pid ") {
                d.set_sub(line, Field::Pid, p.split(':').next().unwrap_or(p));
            } else if !inner.contains(' ') {
                d.set_sub(line, Field::Detail, inner);
            }
            rest = after_b.trim_start();
            continue;
        }
        // "(70008)Partial results are valid but processing is incomplete:
        // [client 1.2.3.4:5678] ...": an APR status, then the brackets.
        if rest.starts_with('(')
            && let Some(i) = rest.find(": [")
        {
            rest = &rest[i + 2..];
            continue;
        }
        break;
    }
    message_path(line, rest, d);
    apache_auth(line, rest, d);
    apache_class(rest, d);
}

/// Apache lines that are neither errors of the site nor logins: mod_ssl's
/// SNI and Host mismatches (`AH02031`–`AH02033`, a client that named
/// another host in its handshake than in its request, as scanners that
/// connect by address do) and handshake errors (`AH02008: SSL library
/// error 1 in handshake`) as [`Kind::TlsFailure`]; mod_evasive's denial as
/// [`Kind::RateLimited`].
fn apache_class(msg: &str, d: &mut Draft) {
    if d.kind != Kind::WebError {
        return;
    }
    if d.get(Field::Detail)
        .is_some_and(|x| x.starts_with("evasive"))
        && msg.contains("client denied by server configuration")
    {
        d.kind = Kind::RateLimited;
        return;
    }
    let m = msg
        .strip_prefix("AH")
        .and_then(|r| r.split_once(": "))
        .filter(|(code, _)| code.bytes().all(|b| b.is_ascii_digit()))
        .map_or(msg, |(_, tail)| tail);
    let sni = (m.starts_with("Hostname ") && m.contains(" provided via SNI"))
        || m.starts_with("No hostname was provided via SNI");
    let handshake = m.starts_with("SSL library error") && m.contains(" in handshake");
    if sni || handshake {
        d.kind = Kind::TlsFailure;
    }
}

/// nginx lines that are neither errors of the site nor logins: a TLS error
/// of the client's handshake (`SSL_do_handshake() failed (SSL: ...)`, or an
/// `SSL_read() failed (SSL: ...)` alert before any request) as
/// [`Kind::TlsFailure`]; a client refused by `limit_req`/`limit_conn`
/// (`limiting requests, excess: ...`, `limiting connections by zone`; not
/// the dry runs, not a delayed request) as [`Kind::RateLimited`]. A client
/// that only connects and leaves (a TCP health check: `client closed
/// connection while SSL handshaking`) stays a plain `web_error`.
fn nginx_class(rest: &str, d: &mut Draft) {
    if d.kind != Kind::WebError {
        return;
    }
    if rest.contains("SSL_do_handshake() failed (SSL:")
        || (rest.contains("SSL_read() failed (SSL:") && rest.contains("while waiting for request"))
    {
        d.kind = Kind::TlsFailure;
    } else if rest.contains("limiting requests, excess:")
        || rest.contains("limiting connections by zone")
    {
        d.kind = Kind::RateLimited;
    }
}

/// Apache's authentication and access failures (mod_auth_basic,
/// mod_auth_digest, mod_authz_*): failed logins of the named user from the
/// client, so web password guessing reaches the brute-force detections.
fn apache_auth(line: &str, msg: &str, d: &mut Draft) {
    // "AH01618: ", "Digest: ".
    let mut m = msg;
    if let Some(r) = m.strip_prefix("AH")
        && let Some((code, tail)) = r.split_once(": ")
        && code.bytes().all(|b| b.is_ascii_digit())
    {
        m = tail;
    }
    m = m.strip_prefix("Digest: ").unwrap_or(m);
    // mod_evasive's denials are rate limiting, not authentication.
    if d.get(Field::Detail)
        .is_some_and(|x| x.starts_with("evasive"))
    {
        return;
    }
    let failed = |d: &mut Draft, user: Option<&str>| {
        d.kind = Kind::AuthFailure;
        if let Some(u) = user {
            d.set_sub(line, Field::User, u);
        }
    };
    if let Some(r) = m.strip_prefix("user `") {
        // Digest: "user `name' in realm `realm' not found".
        if let Some((u, tail)) = r.split_once('\'')
            && tail.contains("not found")
        {
            failed(d, Some(u));
        }
    } else if let Some(r) = m.strip_prefix("user ") {
        // "user NAME not found: /path" (AH01618), "user NAME: authentication
        // failure for "/path": Password Mismatch" (AH01617), "user NAME:
        // password mismatch: /path" (digest), "user NAME: authorization
        // failure for ..." (AH01631). NAME may be empty.
        if let Some(i) = r.rfind(" not found") {
            failed(d, Some(&r[..i]));
        } else if let Some(i) = [
            ": authentication failure",
            ": password mismatch",
            ": authorization failure",
        ]
        .iter()
        .filter_map(|p| r.find(p))
        .min()
        {
            failed(d, Some(&r[..i]));
        }
    } else if let Some(r) = m.strip_prefix("Authorization of user ") {
        // AH01637 "Authorization of user NAME to access PATH failed".
        if r.contains(" failed") {
            failed(d, r.split(" to access ").next());
        }
    } else if m.starts_with("client denied by server configuration")
        || m.starts_with("client used wrong authentication scheme")
        || (m.starts_with("invalid nonce ") && !m.contains("hash is not"))
        || m.starts_with("realm mismatch")
        || m.starts_with("unknown algorithm ")
        || m.starts_with("invalid qop ")
    {
        failed(d, None);
    }
}

/// nginx's client address: the last `, client: ` before the last `,
/// server: ` (a user name in the message may itself hold `, client: `).
fn nginx_client(line: &str, rest: &str, d: &mut Draft) {
    let upto = rest.rfind(", server: ").map_or(rest, |i| &rest[..i]);
    if let Some(c) = upto.rfind(", client: ").and_then(|i| upto.get(i + 10..)) {
        d.set_sub(line, Field::Ip, c.split(',').next().unwrap_or(c));
    }
}

/// nginx `auth_basic` failures: `user "NAME": password mismatch`, `user
/// "NAME" was not found in "FILE"`, and `auth_pam`'s `PAM: user 'NAME' - not
/// authenticated`.
fn nginx_auth(line: &str, rest: &str, d: &mut Draft) {
    let Some(i) = rest.find("user \"").or_else(|| rest.find("PAM: user '")) else {
        return;
    };
    let r = &rest[i..];
    if let Some(u) = r.strip_prefix("user \"") {
        let upto = u.rfind(", client: ").map_or(u, |j| &u[..j]);
        let hit = [
            "\": password mismatch",
            "\" was not found in ",
            "\": was not found in ",
        ]
        .iter()
        .filter_map(|p| upto.rfind(p).map(|j| (j, p)))
        .max();
        if let Some((j, _)) = hit {
            d.kind = Kind::AuthFailure;
            d.set_sub(line, Field::User, &u[..j]);
        }
    } else if let Some(u) = r.strip_prefix("PAM: user '")
        && let Some((name, tail)) = u.split_once('\'')
        && tail.contains("not authenticated")
    {
        d.kind = Kind::AuthFailure;
        d.set_sub(line, Field::User, name);
    }
}

/// Apache or nginx logging through syslog (`httpd[PID]: [authz_core:error]
/// [pid N] [client IP:PORT] AH01630: ...`, `nginx: 2023/12/09 21:35:20
/// [error] ...`): the same fields as in their own files.
pub fn syslog_message(program: &str, msg: &str, line: &str, d: &mut Draft) -> bool {
    let base = program.split('/').next().unwrap_or(program);
    match base {
        "httpd" | "apache" | "apache2" => {
            if !msg.starts_with('[') {
                return false;
            }
            apache_rest(line, msg, d);
            true
        }
        "nginx" => {
            let Some(i) = msg.find("] ") else {
                return false;
            };
            d.kind = Kind::WebError;
            nginx_client(line, &msg[i..], d);
            nginx_auth(line, &msg[i..], d);
            nginx_class(&msg[i..], d);
            true
        }
        _ => false,
    }
}

fn message_path(line: &str, msg: &str, d: &mut Draft) {
    for pat in [
        "File does not exist: ",
        "script '",
        "client denied by server configuration: ",
        "Directory index forbidden by rule: ",
        "open() \"",
    ] {
        if let Some(p) = after(msg, pat) {
            let p = p.split(['\'', '"', ',', ' ']).next().unwrap_or(p);
            d.set_sub(line, Field::Path, p);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser() -> WebError {
        WebError {
            offset_s: 0,
            // 2027-01-05T00:00:00Z
            mtime_us: Some(1_799_107_200 * crate::logs::time::US),
            wrapped_classic: 0,
        }
    }

    fn p(line: &str) -> Draft {
        let mut d = Draft::default();
        d.reset(line);
        assert!(parser().parse(line, &mut d), "{line}");
        d
    }

    #[test]
    fn apache_22_and_24() {
        let d = p(
            "[Sun Dec 04 05:15:09 2005] [error] [client 222.166.160.184] Directory index forbidden by rule: /var/www/html/",
        );
        assert_eq!(d.get(Field::Ip), Some("222.166.160.184"));
        assert_eq!(d.get(Field::Path), Some("/var/www/html/"));
        let d = p(
            "[Sat Jul 20 21:34:49.453232 2013] [access_compat:error] [pid 17512:tid 140123104306944] [client 127.0.0.1:51380] AH01797: client denied by server configuration: /var/www/html/noentry/cant_get_me.html",
        );
        assert_eq!(d.get(Field::Ip), Some("127.0.0.1"));
        assert_eq!(d.get(Field::Detail), Some("access_compat:error"));
        assert_eq!(
            crate::logs::time::rfc3339(d.time_us.unwrap()),
            "2013-07-20T21:34:49.453232Z"
        );
    }

    #[test]
    fn nginx() {
        let d = p(
            r#"2012/04/09 11:53:29 [error] 2865#0: *66647 user "xyz" was not found in "/var/www/.htpasswd", client: 192.0.43.10, server: www.myhost.com, request: "GET / HTTP/1.1", host: "www.myhost.com""#,
        );
        assert_eq!(d.get(Field::Ip), Some("192.0.43.10"));
        assert_eq!(d.get(Field::Path), Some("/"));
        assert_eq!(d.get(Field::Detail), Some("error"));
    }

    #[test]
    fn syslog_wrapped_lines() {
        // A classic time takes the latest year not after the file's
        // modification time (2027-01-05): Dec 31 is 2026.
        let d = p(
            "Dec 31 23:59:00 srv httpd/backend[41]: [authz_core:error] [pid 42] [client 198.51.100.1:4000] AH01630: client denied by server configuration: /srv/www/",
        );
        assert_eq!(d.kind, Kind::AuthFailure);
        assert_eq!(d.get(Field::Ip), Some("198.51.100.1"));
        assert_eq!(d.get(Field::Program), Some("httpd/backend"));
        assert_eq!(d.get(Field::Host), Some("srv"));
        assert_eq!(d.get(Field::Pid), Some("42"));
        assert_eq!(
            crate::logs::time::rfc3339(d.time_us.unwrap()),
            "2026-12-31T23:59:00.000000Z"
        );
        let d = p(
            "Jan  4 10:00:00 srv nginx[7]: srv nginx: 2027/01/04 10:00:00 [error] 7#7: *1 PAM: user 'eve' - not authenticated: Authentication failure, client: 198.51.100.2, server: dav, request: \"GET / HTTP/1.1\"",
        );
        assert_eq!(d.kind, Kind::AuthFailure);
        assert_eq!(d.get(Field::User), Some("eve"));
        assert_eq!(d.get(Field::Ip), Some("198.51.100.2"));
        let d = p(
            "2027-01-04T10:00:01.5+01:00 srv apache2[8]: [ssl:error] [pid 8] [client 198.51.100.3:5000] AH02033: No hostname was provided via SNI for a name based virtual host",
        );
        assert_eq!(d.kind, Kind::TlsFailure);
        assert_eq!(
            crate::logs::time::rfc3339(d.time_us.unwrap()),
            "2027-01-04T09:00:01.500000Z"
        );
        // Other programs' syslog lines are not this format.
        let line =
            "Jan  4 10:00:02 srv sshd[9]: Failed password for root from 198.51.100.4 port 1 ssh2";
        let mut d = Draft::default();
        d.reset(line);
        assert!(!parser().parse(line, &mut d));
    }

    #[test]
    fn tls_failures_and_rate_limits() {
        let want = [
            (
                "2027/01/04 10:00:00 [crit] 7#7: *1 SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking, client: 198.51.100.5, server: 0.0.0.0:443",
                Kind::TlsFailure,
            ),
            (
                "2027/01/04 10:00:00 [crit] 7#7: *2 SSL_read() failed (SSL: error:0A000418:SSL routines::tlsv1 alert unknown ca:SSL alert number 48) while waiting for request, client: 198.51.100.5, server: 0.0.0.0:443",
                Kind::TlsFailure,
            ),
            // A client that connects and leaves (a TCP health check).
            (
                "2027/01/04 10:00:00 [info] 7#7: *3 client closed connection while SSL handshaking, client: 198.51.100.6, server: 0.0.0.0:443",
                Kind::WebError,
            ),
            (
                "2027/01/04 10:00:00 [error] 7#7: *4 limiting requests, excess: 5.120 by zone \"login\", client: 198.51.100.7, server: x, request: \"POST /login HTTP/1.1\", host: \"x\"",
                Kind::RateLimited,
            ),
            (
                "2027/01/04 10:00:00 [error] 7#7: *5 limiting requests, dry run, excess: 5.120 by zone \"login\", client: 198.51.100.7, server: x, request: \"POST /login HTTP/1.1\", host: \"x\"",
                Kind::WebError,
            ),
            (
                "[Mon Jan 04 10:00:00.000001 2027] [evasive20:error] [pid 9] [client 198.51.100.8:4000] client denied by server configuration: /index.php",
                Kind::RateLimited,
            ),
            (
                "[Mon Jan 04 10:00:00.000001 2027] [ssl:error] [pid 9] [client 198.51.100.9:4000] AH02032: Hostname a.example provided via SNI and hostname b.example provided via HTTP have no compatible SSL setup",
                Kind::TlsFailure,
            ),
            (
                "[Mon Jan 04 10:00:00.000001 2027] [ssl:info] [pid 9] [client 198.51.100.9:4001] AH02008: SSL library error 1 in handshake (server www.example:443)",
                Kind::TlsFailure,
            ),
        ];
        for (line, kind) in want {
            let d = p(line);
            assert_eq!(d.kind, kind, "{line}");
            assert!(d.get(Field::Ip).is_some(), "{line}");
        }
    }
}
