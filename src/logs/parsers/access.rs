//! Apache and nginx access logs: common, combined, vhost_combined
//! (`host:port` first) and combined followed by a quoted X-Forwarded-For,
//! including lines wrapped in an extra pair of quotes, hostnames or IPv6 in
//! the client field, and escaped quotes inside the request.

use super::{Format, LineParser, Method, SourceCtx};
use crate::logs::event::{Draft, Field, Kind};
use crate::logs::time;

/// The registry entry.
pub const FORMAT: Format = Format {
    name: "access",
    name_hint,
    sniff_bytes: None,
    method: Method::Lines(make),
};

fn name_hint(name: &str) -> u32 {
    let n = name.to_ascii_lowercase();
    if n.contains("access") { 10 } else { 0 }
}

fn make(_: &SourceCtx) -> Box<dyn LineParser> {
    Box::new(Access)
}

struct Access;

impl LineParser for Access {
    fn parse(&mut self, line: &str, d: &mut Draft) -> bool {
        // A line wrapped in one more pair of quotes: parse the inside.
        if line.len() > 2 && line.starts_with('"') && line.ends_with('"') {
            let inner = &line[1..line.len() - 1];
            if !inner.starts_with('"') && parse(line, inner, d) {
                return true;
            }
        }
        if line.starts_with('[') {
            return ssl_request(line, d);
        }
        parse(line, line, d)
    }
}

/// `[dd/Mon/yyyy:HH:MM:SS +zzzz]` at the start of `tb` (after the `[`):
/// the time (UTC) and the index of the closing `]`.
fn clf_time(tb: &[u8]) -> Option<(i64, usize)> {
    let (Some(day), Some(mon), Some(year)) = (
        time::digits(tb, 2),
        tb.get(3..).and_then(time::month),
        tb.get(7..).and_then(|x| time::digits(x, 4)),
    ) else {
        return None;
    };
    if tb.get(2) != Some(&b'/') || tb.get(6) != Some(&b'/') || tb.get(11) != Some(&b':') {
        return None;
    }
    let (hh, mm, ss) = tb.get(12..).and_then(time::hms)?;
    let (us, flen) = time::fraction(tb.get(20..).unwrap_or(&[]));
    let mut i = 20 + flen;
    let mut off = 0;
    if tb.get(i) == Some(&b' ')
        && let Some((o, used)) = tb.get(i + 1..).and_then(time::zone)
    {
        off = o;
        i += 1 + used;
    }
    if tb.get(i) != Some(&b']') {
        return None;
    }
    let ts = time::to_us(i64::from(year), mon, day, hh, mm, ss, us)?;
    Some((time::shift(ts, off), i))
}

/// Apache mod_ssl's `ssl_request_log` (`%t %h %{SSL_PROTOCOL}x
/// %{SSL_CIPHER}x "%r" %b`): `[time] IP TLSv1.2 CIPHER "GET / HTTP/1.1" 1234`.
fn ssl_request(line: &str, d: &mut Draft) -> bool {
    let Some((ts, close)) = line.as_bytes().get(1..).and_then(clf_time) else {
        return false;
    };
    let rest = line.get(close + 2..).unwrap_or("");
    let Some(r) = rest.strip_prefix(' ') else {
        return false;
    };
    let mut it = r.splitn(4, ' ');
    let (Some(ip), Some(proto), Some(cipher), Some(tail)) =
        (it.next(), it.next(), it.next(), it.next())
    else {
        return false;
    };
    if ip.is_empty() || !tail.starts_with('"') {
        return false;
    }
    d.time_us = Some(ts);
    d.kind = Kind::WebRequest;
    d.set_sub(line, Field::Ip, ip);
    let start = line.len() - r.len() + ip.len() + 1;
    let end = start + proto.len() + 1 + cipher.len();
    d.set(Field::Detail, start, end);
    let mut pos = line.len() - tail.len();
    if let Some(req) = quoted(line, &mut pos) {
        request(line, req, d);
    }
    let bytes = line.get(pos..).unwrap_or("").trim();
    d.bytes = if bytes == "-" {
        Some(0)
    } else {
        bytes.parse().ok()
    };
    true
}

/// The client field: one address, or an X-Forwarded-For list logged in its
/// place (`10.0.0.2, 10.0.0.1, 127.0.0.1`), whose first entry is the client
/// the proxies name.
fn first_of_list(client: &str) -> &str {
    client.split(',').next().unwrap_or(client).trim()
}

/// Parse `s` (a sub-slice of `line`).
fn parse(line: &str, s: &str, d: &mut Draft) -> bool {
    let Some(open) = super::find(s, " [") else {
        return false;
    };
    let head = &s[..open];
    let mut toks = [""; 5];
    let mut starts = [0usize; 5];
    let mut n = 0;
    let mut at = 0;
    for t in head.split(' ') {
        let start = at;
        at += t.len() + 1;
        // "10.0.0.2, 10.0.0.1, 127.0.0.1": one client field.
        if n == 1 && toks[0].ends_with(',') {
            toks[0] = head.get(starts[0]..start + t.len()).unwrap_or(t);
            continue;
        }
        if n == toks.len() {
            return false;
        }
        toks[n] = t;
        starts[n] = start;
        n += 1;
    }
    let (vhost, client, user) = match n {
        3 => (None, toks[0], toks[2]),
        4 => (Some(toks[0]), toks[1], toks[3]),
        _ => return false,
    };
    if client.is_empty() {
        return false;
    }
    let b = s.as_bytes();
    let t = open + 2;
    // dd/Mon/yyyy:HH:MM:SS +zzzz]
    let tb = b.get(t..).unwrap_or(&[]);
    let (Some(day), Some(mon), Some(year)) = (
        time::digits(tb, 2),
        tb.get(3..).and_then(time::month),
        tb.get(7..).and_then(|x| time::digits(x, 4)),
    ) else {
        return false;
    };
    if tb.get(2) != Some(&b'/') || tb.get(6) != Some(&b'/') || tb.get(11) != Some(&b':') {
        return false;
    }
    let Some((hh, mm, ss)) = tb.get(12..).and_then(time::hms) else {
        return false;
    };
    let (us, flen) = time::fraction(tb.get(20..).unwrap_or(&[]));
    let mut i = 20 + flen;
    let mut off = 0;
    if tb.get(i) == Some(&b' ')
        && let Some((o, used)) = tb.get(i + 1..).and_then(time::zone)
    {
        off = o;
        i += 1 + used;
    }
    if tb.get(i) != Some(&b']') {
        return false;
    }
    let Some(ts) = time::to_us(i64::from(year), mon, day, hh, mm, ss, us) else {
        return false;
    };
    d.time_us = Some(time::shift(ts, off));
    d.kind = Kind::WebRequest;
    if let Some(v) = vhost {
        d.set_sub(line, Field::Host, v.split(':').next().unwrap_or(v));
    }
    d.set_sub(line, Field::Ip, first_of_list(client));
    if client.contains(',') {
        d.set_sub(line, Field::Forwarded, client);
    }
    if user != "-" {
        d.set_sub(line, Field::User, user);
    }
    let mut pos = t + i + 1;
    // "request"
    let Some(req) = quoted(s, &mut pos) else {
        return true;
    };
    request(line, req, d);
    // status bytes
    let rest = s.get(pos..).unwrap_or("").trim_start_matches(' ');
    let mut it = rest.splitn(3, ' ');
    let status = it.next().unwrap_or("");
    d.status = status.parse().ok();
    let bytes = it.next().unwrap_or("");
    d.bytes = if bytes == "-" {
        Some(0)
    } else {
        bytes.parse().ok()
    };
    pos = s.len() - it.next().map_or(0, str::len);
    // Optional "referer" "agent" "x-forwarded-for".
    for f in [Field::Referer, Field::Agent, Field::Forwarded] {
        match quoted(s, &mut pos) {
            Some(v) if v != "-" && !v.is_empty() => d.set_sub(line, f, v),
            Some(_) => {}
            None => break,
        }
    }
    true
}

/// Split `METHOD target PROTO`.
fn request(line: &str, req: &str, d: &mut Draft) {
    if req == "-" || req.is_empty() {
        return;
    }
    let mut parts = req.splitn(2, ' ');
    let method = parts.next().unwrap_or("");
    if method.is_empty()
        || !method
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c == b'_' || c == b'-')
    {
        d.set_sub(line, Field::Path, req);
        return;
    }
    d.set_sub(line, Field::Method, method);
    let rest = parts.next().unwrap_or("");
    match rest.rsplit_once(' ') {
        Some((target, proto)) if proto.starts_with("HTTP/") => {
            d.set_sub(line, Field::Path, target);
            d.set_sub(line, Field::Protocol, proto);
        }
        _ => {
            if !rest.is_empty() {
                d.set_sub(line, Field::Path, rest);
            }
        }
    }
}

/// Read a `"..."` field starting at or after `*pos` (skipping spaces), with
/// backslash escapes; advance `*pos` past the closing quote.
fn quoted<'a>(s: &'a str, pos: &mut usize) -> Option<&'a str> {
    let b = s.as_bytes();
    let mut i = *pos;
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let start = i + 1;
    let mut j = start;
    loop {
        // Skip to the next quote or backslash.
        j = b
            .get(j..)
            .and_then(|r| memchr::memchr2(b'"', b'\\', r))
            .map_or(b.len().max(j), |k| j + k);
        match b.get(j) {
            None => {
                // Unterminated: take the rest.
                *pos = b.len();
                return s.get(start..);
            }
            Some(b'\\') => j += 2,
            Some(b'"') => {
                // A quote that is not followed by a space or the end is part of
                // a value logged without escaping.
                if matches!(b.get(j + 1), None | Some(b' ')) {
                    break;
                }
                j += 1;
            }
            Some(_) => j += 1,
        }
    }
    *pos = j + 1;
    s.get(start..j)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::time::rfc3339;

    fn p(line: &str) -> Draft {
        let mut d = Draft::default();
        d.reset(line);
        assert!(Access.parse(line, &mut d), "{line}");
        d
    }

    #[test]
    fn combined_with_zone() {
        let d = p(
            r#"68.49.152.86 - - [22/Apr/2004:11:45:29 -0400] "GET /php72/sql/nuke.sql HTTP/1.1" 200 85576 "http://ns1.bkwconsulting.com/php72/sql/" "Mozilla/5.0""#,
        );
        assert_eq!(rfc3339(d.time_us.unwrap()), "2004-04-22T15:45:29.000000Z");
        assert_eq!(d.get(Field::Path), Some("/php72/sql/nuke.sql"));
        assert_eq!(d.status, Some(200));
        assert_eq!(d.bytes, Some(85576));
        assert_eq!(d.get(Field::Agent), Some("Mozilla/5.0"));
    }

    #[test]
    fn vhost_xff_ipv6_and_wrapped() {
        let d = p(
            r#"www.example.com:443 2001:db8::1 - bob [20/Jan/2015:19:53:28 +0100] "POST /login HTTP/1.1" 401 47 "-" "curl/8" "203.0.113.9""#,
        );
        assert_eq!(d.get(Field::Host), Some("www.example.com"));
        assert_eq!(d.get(Field::Ip), Some("2001:db8::1"));
        assert_eq!(d.get(Field::User), Some("bob"));
        assert_eq!(d.get(Field::Forwarded), Some("203.0.113.9"));
        let d = p(
            r#""192.168.4.25 - - [22/Dec/2016:16:18:49 +0300] "GET /DVWA/ HTTP/1.1" 200 1 "-" "Mozilla/5.0""#,
        );
        assert_eq!(d.get(Field::Ip), Some("192.168.4.25"));
        assert_eq!(d.get(Field::Agent), Some("Mozilla/5.0"));
    }

    #[test]
    fn common_and_garbage_request() {
        let d = p(
            r#"10.0.0.1 - - [13/Jan/2016:19:31:16 +0000] "GET /x.php?install2 HTTP/1.1" 200 494"#,
        );
        assert_eq!(d.get(Field::Path), Some("/x.php?install2"));
        let d = p(r#"1.2.3.4 - - [13/Jan/2016:19:31:16 +0000] "\x16\x03\x01" 400 - "-" "-""#);
        assert_eq!(d.status, Some(400));
        assert_eq!(d.bytes, Some(0));
        assert_eq!(d.get(Field::Method), None);
    }
}
