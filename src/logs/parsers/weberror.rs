//! Apache (2.0–2.4) and nginx error logs. Their times carry no zone: they
//! are read at the analyst's offset, or UTC.

use super::{Format, LineParser, Method, SourceCtx, after};
use crate::logs::event::{Draft, Field, Kind};
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
    })
}

struct WebError {
    offset_s: i64,
}

impl LineParser for WebError {
    fn parse(&mut self, line: &str, d: &mut Draft) -> bool {
        if line.starts_with('[') {
            self.apache(line, d)
        } else {
            self.nginx(line, d)
        }
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
        true
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

    fn p(line: &str) -> Draft {
        let mut d = Draft::default();
        d.reset(line);
        assert!(WebError { offset_s: 0 }.parse(line, &mut d), "{line}");
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
}
