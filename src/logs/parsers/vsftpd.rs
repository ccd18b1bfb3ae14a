//! vsftpd logs: `vsftpd.log` (`Www Mmm dd HH:MM:SS yyyy [pid N] [user] OK
//! LOGIN: Client "ip"`, `FAIL LOGIN`, `OK DOWNLOAD`, `OK UPLOAD`...) and the
//! wu-ftpd style `xferlog` it also writes (`Www Mmm dd HH:MM:SS yyyy secs
//! host size file type flag direction mode user service auth id status`).
//!
//! Logins become `auth_success` / `auth_failure` events (so FTP password
//! guessing feeds the brute-force detections). A completed download
//! becomes a `web_request` event with method `RETR`, protocol `FTP` and
//! status 226 (FTP's "transfer complete"), so the large-download and
//! sensitive-file detections see it; uploads keep method `STOR` as `info`
//! events. Times carry no zone: they are read at the analyst's offset, or
//! UTC.

use super::{Format, LineParser, Method, SourceCtx, token};
use crate::logs::event::{Draft, Field, Kind};
use crate::logs::time;

/// The registry entry.
pub const FORMAT: Format = Format {
    name: "vsftpd",
    name_hint,
    sniff_bytes: None,
    method: Method::Lines(make),
};

fn name_hint(name: &str) -> u32 {
    let n = name.to_ascii_lowercase();
    if n.contains("vsftpd") || n.contains("xferlog") || n.contains("ftp") {
        10
    } else {
        0
    }
}

fn make(ctx: &SourceCtx) -> Box<dyn LineParser> {
    Box::new(Vsftpd {
        offset_s: ctx.tz_offset_s.unwrap_or(0),
    })
}

struct Vsftpd {
    offset_s: i64,
}

/// FTP's reply code for a completed transfer.
const TRANSFER_COMPLETE: u16 = 226;

/// `Www Mmm dd HH:MM:SS yyyy` (day space- or zero-padded): UTC µs at the
/// given offset, and the bytes used.
fn ctime(b: &[u8], offset_s: i64) -> Option<(i64, usize)> {
    if b.get(3) != Some(&b' ') || !b.get(..3)?.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let m = time::month(b.get(4..)?)?;
    if b.get(7) != Some(&b' ') {
        return None;
    }
    let day = match (b.get(8), b.get(9)) {
        (Some(b' '), Some(c)) if c.is_ascii_digit() => u32::from(c - b'0'),
        _ => time::digits(b.get(8..)?, 2)?,
    };
    if b.get(10) != Some(&b' ') || b.get(19) != Some(&b' ') {
        return None;
    }
    let (hh, mm, ss) = time::hms(b.get(11..)?)?;
    let y = time::digits(b.get(20..)?, 4)?;
    let t = time::to_us(i64::from(y), m, day, hh, mm, ss, 0)?;
    Some((time::shift(t, offset_s), 24))
}

impl LineParser for Vsftpd {
    fn parse(&mut self, line: &str, d: &mut Draft) -> bool {
        let Some((t, n)) = ctime(line.as_bytes(), self.offset_s) else {
            return false;
        };
        let Some(rest) = line.get(n..) else {
            return false;
        };
        d.time_us = Some(t);
        d.set_owned(Field::Program, "vsftpd");
        if let Some(r) = rest.strip_prefix(" [pid ") {
            vsftpd_log(line, r, d)
        } else {
            xferlog(line, rest.trim_start_matches(' '), d)
        }
    }
}

/// After `[pid `: `N] [user] OK LOGIN: Client "ip"[, "file", N bytes, ...]`.
fn vsftpd_log(line: &str, r: &str, d: &mut Draft) -> bool {
    let Some((pid, r)) = r.split_once("] ") else {
        return false;
    };
    if pid.is_empty() || !pid.bytes().all(|c| c.is_ascii_digit()) {
        return false;
    }
    d.set_sub(line, Field::Pid, pid);
    let mut r = r;
    if let Some(u) = r.strip_prefix('[')
        && let Some((user, rest)) = u.split_once("] ")
    {
        d.set_sub(line, Field::User, user);
        r = rest;
    }
    let Some((action, args)) = r.split_once(": ") else {
        // "CONNECT" and the like without arguments.
        d.set_sub(line, Field::Detail, r);
        return true;
    };
    d.set_sub(line, Field::Detail, action);
    // Client "ip", "file", N bytes, rate
    let mut parts = args.splitn(3, ", ");
    let client = parts.next().unwrap_or("");
    if let Some(ip) = client
        .strip_prefix("Client \"")
        .and_then(|c| c.strip_suffix('"'))
    {
        let ip = ip.strip_prefix("::ffff:").unwrap_or(ip);
        d.set_sub(line, Field::Ip, ip);
    }
    let file = parts
        .next()
        .and_then(|f| f.strip_prefix('"'))
        .and_then(|f| f.strip_suffix('"'));
    let bytes = parts
        .next()
        .and_then(|b| b.split_once(" bytes"))
        .and_then(|(n, _)| n.trim().parse::<u64>().ok());
    let ok = action.starts_with("OK ");
    let verb = action.split_once(' ').map_or(action, |x| x.1);
    match verb {
        "LOGIN" => {
            d.kind = if ok {
                Kind::AuthSuccess
            } else {
                Kind::AuthFailure
            }
        }
        "DOWNLOAD" | "UPLOAD" => {
            d.set_owned(
                Field::Method,
                if verb == "DOWNLOAD" { "RETR" } else { "STOR" },
            );
            d.set_owned(Field::Protocol, "FTP");
            if let Some(f) = file {
                d.set_sub(line, Field::Path, f);
            }
            d.bytes = bytes;
            if ok && verb == "DOWNLOAD" {
                d.kind = Kind::WebRequest;
                d.status = Some(TRANSFER_COMPLETE);
            }
        }
        _ => {
            if let Some(f) = file {
                d.set_sub(line, Field::Path, f);
            }
        }
    }
    true
}

/// After the time: `secs host size file type flag direction mode user
/// service auth id status`. The file name may hold spaces: the fixed fields
/// are taken from both ends.
fn xferlog(line: &str, r: &str, d: &mut Draft) -> bool {
    let toks: Vec<&str> = r.split(' ').filter(|t| !t.is_empty()).collect();
    if toks.len() < 13 {
        return false;
    }
    let (Some(secs), Some(host), Some(size)) = (toks.first(), toks.get(1), toks.get(2)) else {
        return false;
    };
    let tail = &toks[toks.len() - 9..];
    let [ttype, _flag, dir, mode, user, _service, _auth, _id, status] = tail else {
        return false;
    };
    if !secs.bytes().all(|c| c.is_ascii_digit())
        || !matches!(*ttype, "a" | "b")
        || !matches!(*dir, "o" | "i" | "d")
        || !matches!(*mode, "a" | "g" | "r")
        || !matches!(*status, "c" | "i")
    {
        return false;
    }
    let Ok(bytes) = size.parse::<u64>() else {
        return false;
    };
    // The file name: from after the size to before the transfer type (the
    // tokens are slices of `r`).
    let base = r.as_ptr() as usize;
    let from = size.as_ptr() as usize - base + size.len();
    let to = ttype.as_ptr() as usize - base;
    if let Some(f) = r.get(from..to).map(str::trim) {
        d.set_sub(line, Field::Path, f);
    }
    d.set_sub(line, Field::Ip, host);
    d.set_sub(line, Field::User, user);
    d.set_owned(Field::Protocol, "FTP");
    d.set_sub(line, Field::Detail, token(status));
    d.bytes = Some(bytes);
    match *dir {
        "o" => {
            d.set_owned(Field::Method, "RETR");
            if *status == "c" {
                d.kind = Kind::WebRequest;
                d.status = Some(TRANSFER_COMPLETE);
            }
        }
        "i" => d.set_owned(Field::Method, "STOR"),
        _ => d.set_owned(Field::Method, "DELE"),
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(line: &str) -> Option<crate::logs::Event> {
        let mut d = Draft::default();
        d.reset(line);
        let mut v = Vsftpd { offset_s: 0 };
        v.parse(line, &mut d).then(|| d.finish(0, 1))
    }

    #[test]
    fn vsftpd_log_logins_and_transfers() {
        let e =
            p(r#"Sun Nov 22 10:01:02 2026 [pid 4321] [alice] FAIL LOGIN: Client "203.0.113.9""#)
                .expect("parsed");
        assert_eq!(e.kind, Kind::AuthFailure);
        assert_eq!(e.get(Field::User), Some("alice"));
        assert_eq!(e.get(Field::Ip), Some("203.0.113.9"));
        assert_eq!(e.get(Field::Pid), Some("4321"));
        assert_eq!(
            crate::logs::time::rfc3339(e.time_us.expect("time")),
            "2026-11-22T10:01:02.000000Z"
        );
        let e = p(
            r#"Sun Nov  2 10:01:09 2026 [pid 4322] [alice] OK LOGIN: Client "::ffff:203.0.113.9""#,
        )
        .expect("parsed");
        assert_eq!(e.kind, Kind::AuthSuccess);
        assert_eq!(e.get(Field::Ip), Some("203.0.113.9"));
        let e = p(r#"Sun Nov 22 10:02:00 2026 [pid 4324] [alice] OK DOWNLOAD: Client "203.0.113.9", "/srv/ftp/export/customers.csv", 73400320 bytes, 9512.33Kbyte/sec"#)
            .expect("parsed");
        assert_eq!(e.kind, Kind::WebRequest);
        assert_eq!(e.status, Some(226));
        assert_eq!(e.bytes, Some(73_400_320));
        assert_eq!(e.get(Field::Path), Some("/srv/ftp/export/customers.csv"));
        assert_eq!(e.get(Field::Method), Some("RETR"));
        let e = p(r#"Sun Nov 22 10:03:00 2026 [pid 4324] [alice] OK UPLOAD: Client "203.0.113.9", "/srv/ftp/in/x.php", 120 bytes, 1.00Kbyte/sec"#)
            .expect("parsed");
        assert_eq!(e.kind, Kind::Info);
        assert_eq!(e.get(Field::Method), Some("STOR"));
        assert_eq!(e.bytes, Some(120));
        let e = p(r#"Sun Nov 22 10:00:59 2026 [pid 4320] CONNECT: Client "203.0.113.9""#)
            .expect("parsed");
        assert_eq!(e.get(Field::Detail), Some("CONNECT"));
        assert_eq!(e.get(Field::Ip), Some("203.0.113.9"));
        assert!(p("Nov 22 10:00:59 host sshd[1]: x").is_none());
    }

    #[test]
    fn xferlog_download_with_spaces_and_upload() {
        let e = p("Sun Nov 22 10:02:00 2026 3 198.51.100.7 1048576 /home/bob/my backup.tar.gz b _ o r bob ftp 0 * c")
            .expect("parsed");
        assert_eq!(e.kind, Kind::WebRequest);
        assert_eq!(e.get(Field::Path), Some("/home/bob/my backup.tar.gz"));
        assert_eq!(e.get(Field::User), Some("bob"));
        assert_eq!(e.get(Field::Ip), Some("198.51.100.7"));
        assert_eq!(e.bytes, Some(1_048_576));
        let e = p("Sun Nov 22 10:02:00 2026 1 198.51.100.7 10 /in/a.txt a _ i r bob ftp 0 * i")
            .expect("parsed");
        assert_eq!(e.kind, Kind::Info);
        assert_eq!(e.get(Field::Method), Some("STOR"));
        assert!(
            p("Sun Nov 22 10:02:00 2026 1 198.51.100.7 10 /in/a.txt a _ x r bob ftp 0 * i")
                .is_none()
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in "(Sun Nov [ 0-9]{2} [0-9:]{8} 20[0-9]{2})?( \\[pid [0-9]{1,5}\\])?( \\[[a-z]{0,5}\\])? .{0,120}") {
            let _ = crate::logs::parsers::read_all_lines(make, &s);
        }
    }
}
