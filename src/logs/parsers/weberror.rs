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
        d.kind = Kind::WebError;
        d.set_sub(line, Field::Program, "apache");
        let mut rest = line.get(yi + 5..).unwrap_or("").trim_start();
        while let Some(r) = rest.strip_prefix('[') {
            let Some((inner, after_b)) = r.split_once(']') else {
                break;
            };
            if let Some(c) = inner.strip_prefix("client ") {
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
        }
        message_path(line, rest, d);
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
        if let Some(c) = after(rest, ", client: ") {
            d.set_sub(line, Field::Ip, c.split(',').next().unwrap_or(c));
        }
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
        true
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
