//! Syslog files: classic BSD lines (`auth.log`, `secure`, `messages`,
//! `syslog`: `Mmm dd HH:MM:SS host program[pid]: message`), rsyslog's
//! high-precision RFC 3339 headers and RFC 5424 (`<pri>1 time host app
//! procid msgid sd message`).
//!
//! Classic lines carry neither year nor zone. The year comes from the file's
//! modification time: the last classic line is placed in the latest year
//! that does not put it after the mtime, and every Dec→Jan step seen while
//! reading moves the earlier lines back a year. The zone is the analyst's
//! `tz_offset_s` when given; otherwise, when the last line lies within 14
//! hours of the mtime at a whole quarter-hour distance (the usual case for a
//! log written up to the moment it was copied), that distance; otherwise
//! UTC. Each assumption is written into the source's notes.
//!
//! The message is then handed to the program parsers (sshd, PAM, sudo/su,
//! account management, cron) listed in [`MESSAGES`].

use super::{Format, LineParser, Method, SourceCtx};
use crate::logs::event::{Draft, Event, Field, Kind};
use crate::logs::time::{self, US};

/// The registry entry.
pub const FORMAT: Format = Format {
    name: "syslog",
    name_hint,
    sniff_bytes: None,
    method: Method::Lines(make),
};

fn name_hint(name: &str) -> u32 {
    let n = name.to_ascii_lowercase();
    if [
        "auth", "secure", "messages", "syslog", "daemon", "kern", "cron", "mail",
    ]
    .iter()
    .any(|p| n.starts_with(p))
    {
        10
    } else {
        0
    }
}

fn make(ctx: &SourceCtx) -> Box<dyn LineParser> {
    Box::new(Syslog {
        ctx: ctx.clone(),
        marks: Vec::new(),
        rollovers: 0,
        prev_month: 0,
        last_classic: None,
        sshd_ips: foldhash::HashMap::default(),
        unplaced: foldhash::HashMap::default(),
    })
}

/// A message parser: `(program, message, line, draft) -> understood`.
/// `message` is a sub-slice of `line`.
pub type MessageParser = fn(&str, &str, &str, &mut Draft) -> bool;

/// Program message parsers, tried in order; the first that understands the
/// message wins. Adding one is a file plus a line here.
pub static MESSAGES: &[MessageParser] = &[
    super::sshd::parse,
    super::sudo::parse,
    super::accounts::parse,
    super::cron::parse,
    super::pam::parse,
    super::ftpauth::parse,
    super::weberror::syslog_message,
];

/// Provisional year for classic lines (leap, so Feb 29 parses).
const PROVISIONAL_YEAR: i64 = 2000;
const NO_MARK: u16 = u16::MAX;

struct Syslog {
    ctx: SourceCtx,
    /// Per parsed line: the year offset (rollovers seen so far) of a classic
    /// line, or NO_MARK when the time needs no year inference.
    marks: Vec<u16>,
    rollovers: u16,
    prev_month: u32,
    /// Provisional time (local, year 2000 + offset) of the last classic line.
    last_classic: Option<(u16, u32, u32, i64)>,
    /// sshd/dropbear process id -> the client address it last named
    /// (cleared at 65,536 processes, so memory stays bounded).
    sshd_ips: foldhash::HashMap<String, String>,
    /// sshd process id -> the detail of its pre-authentication failure
    /// that named no address while none was known yet (bounded the same
    /// way).
    unplaced: foldhash::HashMap<String, String>,
}

impl LineParser for Syslog {
    fn year_inferred(&self) -> bool {
        self.last_classic.is_some()
    }

    fn parse(&mut self, line: &str, d: &mut Draft) -> bool {
        let mut mark = NO_MARK;
        let ok = self.parse_inner(line, d, &mut mark);
        self.marks.push(if ok { mark } else { NO_MARK });
        ok
    }

    fn finish(&mut self, events: &mut [Event]) -> Vec<String> {
        let mut notes = Vec::new();
        let Some((k_last, m, d, sod_us)) = self.last_classic else {
            return notes;
        };
        // The last classic line, in the mtime's year, must not be later than
        // the mtime (one day of slack for zone differences).
        let (ref_us, ref_what) = match self.ctx.mtime_us {
            Some(t) => (t, "the file's modification time"),
            None => (
                chrono::Utc::now().timestamp_micros(),
                "the current date (no modification time)",
            ),
        };
        let (ref_year, _, _) = time::civil_from_days(ref_us.div_euclid(86_400 * US));
        let local = |y: i64| -> Option<i64> {
            time::to_us(y, m, d, 0, 0, 0, 0).map(|t| time::plus_us(t, sod_us))
        };
        let mut last_year = ref_year;
        if local(ref_year).is_none_or(|t| t > time::plus_us(ref_us, 86_400 * US)) {
            last_year -= 1;
        }
        let base = last_year - i64::from(k_last);
        // Zone.
        let offset_s = if let Some(o) = self.ctx.tz_offset_s {
            notes.push(format!("classic syslog times read at UTC{}", fmt_off(o)));
            o
        } else if let (Some(mt), Some(lt)) = (self.ctx.mtime_us, local(last_year)) {
            let diff_s = lt.saturating_sub(mt).div_euclid(US);
            let q = (diff_s as f64 / 900.0).round() as i64 * 900;
            if diff_s.abs() <= 14 * 3600 && (diff_s - q).abs() <= 120 && q != 0 {
                notes.push(format!(
                    "classic syslog zone inferred as UTC{} from the last line and the file's modification time",
                    fmt_off(q)
                ));
                q
            } else {
                notes.push("classic syslog times assumed UTC (zone unknown)".into());
                0
            }
        } else {
            notes.push("classic syslog times assumed UTC (zone unknown)".into());
            0
        };
        notes.push(format!(
            "classic syslog year inferred from {ref_what}: {}{}",
            base,
            if self.rollovers > 0 {
                format!("..{} ({} year roll-over(s))", last_year, self.rollovers)
            } else {
                String::new()
            }
        ));
        let mut leap_fix = 0u64;
        for (ev, &mark) in events.iter_mut().zip(&self.marks) {
            if mark == NO_MARK {
                continue;
            }
            let Some(t) = ev.time_us else { continue };
            let days = t.div_euclid(86_400 * US);
            let sod = t.rem_euclid(86_400 * US);
            let (_, mo, da) = time::civil_from_days(days);
            let y = base + i64::from(mark);
            let fixed = time::to_us(y, mo, da, 0, 0, 0, 0).or_else(|| {
                leap_fix += 1;
                time::to_us(y, 3, 1, 0, 0, 0, 0)
            });
            ev.time_us = fixed.map(|f| time::shift(time::plus_us(f, sod), offset_s));
        }
        if leap_fix > 0 {
            notes.push(format!(
                "{leap_fix} line(s) dated Feb 29 in a non-leap year were placed on Mar 1"
            ));
        }
        notes
    }
}

fn fmt_off(s: i64) -> String {
    let sign = if s < 0 { '-' } else { '+' };
    // `unsigned_abs`: a caller's offset can be any i64, even i64::MIN.
    let a = s.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
}

impl Syslog {
    fn parse_inner(&mut self, line: &str, d: &mut Draft, mark: &mut u16) -> bool {
        let b = line.as_bytes();
        let mut i = 0;
        // Optional <PRI>.
        if b.first() == Some(&b'<')
            && let Some(end) = b.iter().take(5).position(|&c| c == b'>')
            && b.get(1..end)
                .is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit))
        {
            i = end + 1;
        }
        let rest = &b[i..];
        // RFC 5424: VERSION SP TIMESTAMP SP HOST SP APP SP PROCID SP MSGID SP SD [SP MSG]
        if i > 0 && rest.first() == Some(&b'1') && rest.get(1) == Some(&b' ') {
            return self.rfc5424(line, i + 2, d);
        }
        // rsyslog RFC 3339.
        if let Some((t, n)) = time::iso(rest, self.ctx.tz_offset_s.unwrap_or(0)) {
            d.time_us = Some(t);
            return self.after_time(line, i + n, d, true);
        }
        // Classic: "Mmm dd HH:MM:SS" (day space-padded).
        let Some(m) = time::month(rest) else {
            return false;
        };
        if rest.get(3) != Some(&b' ') {
            return false;
        }
        // "Mmm dd", "Mmm  d" or (seen in the wild) "Mmm d".
        let (day, tpos) = match (rest.get(4), rest.get(5)) {
            (Some(b' '), Some(c)) if c.is_ascii_digit() => (u32::from(c - b'0'), 7),
            (Some(a), Some(b' ')) if a.is_ascii_digit() => (u32::from(a - b'0'), 6),
            (Some(a), Some(c)) if a.is_ascii_digit() && c.is_ascii_digit() => {
                (u32::from(a - b'0') * 10 + u32::from(c - b'0'), 7)
            }
            _ => return false,
        };
        if rest.get(tpos - 1) != Some(&b' ') {
            return false;
        }
        let Some((hh, mm, ss)) = rest.get(tpos..).and_then(time::hms) else {
            return false;
        };
        let (us, flen) = time::fraction(rest.get(tpos + 8..).unwrap_or(&[]));
        if m + 1 < self.prev_month {
            self.rollovers = self.rollovers.saturating_add(1);
        }
        self.prev_month = m;
        let k = self.rollovers;
        let Some(t) = time::to_us(PROVISIONAL_YEAR, m, day, hh, mm, ss, us) else {
            return false;
        };
        d.time_us = Some(t);
        *mark = k;
        self.last_classic = Some((
            k,
            m,
            day,
            i64::from(hh * 3600 + mm * 60 + ss) * US + i64::from(us),
        ));
        let mut j = i + tpos + 8 + flen;
        // "Mar 11 09:39:39: --- last message repeated 5 times ---"
        if b.get(j) == Some(&b':') {
            j += 1;
        }
        self.after_time(line, j, d, true)
    }

    /// After the timestamp: `host program[pid]: message`.
    fn after_time(&mut self, line: &str, at: usize, d: &mut Draft, with_host: bool) -> bool {
        let Some(rest) = line.get(at..) else {
            return false;
        };
        let rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            return true;
        }
        let mut words = rest;
        if with_host {
            let host = super::token(rest);
            // A token ending in ':' right after the time is a program (no
            // host), and so is "[sshd]".
            if !host.ends_with(':') && !host.starts_with('-') && !host.starts_with('[') {
                d.set_sub(line, Field::Host, host);
                words = rest.get(host.len()..).unwrap_or("").trim_start_matches(' ');
            }
        }
        let prog = super::token(words);
        // "[sshd]: msg" and "[sshd] msg" (some embedded systems).
        let bracketed = prog
            .strip_prefix('[')
            .map(|p| p.strip_suffix(':').unwrap_or(p))
            .and_then(|p| p.strip_suffix(']'))
            .filter(|p| p.starts_with(|c: char| c.is_ascii_alphabetic()) && !p.contains('['));
        // ProFTPD: "proftpd[12345] server (host[ip]): ..." (no colon).
        let bare = prog
            .strip_suffix(']')
            .and_then(|p| p.split_once('['))
            .filter(|(n, pid)| {
                !n.is_empty()
                    && n.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    && !pid.is_empty()
                    && pid.bytes().all(|b| b.is_ascii_digit())
            })
            .map(|_| prog);
        let Some(tag) = bracketed.or(prog.strip_suffix(':')).or(bare) else {
            // No program tag: the whole rest is the message.
            return true;
        };
        let (name, pid) = match tag.find('[').filter(|_| bracketed.is_none()) {
            Some(p) => (
                &tag[..p],
                tag.get(p + 1..).and_then(|s| s.strip_suffix(']')),
            ),
            None => (tag, None),
        };
        if name.is_empty() {
            return true;
        }
        d.set_sub(line, Field::Program, name);
        if let Some(pid) = pid {
            d.set_sub(line, Field::Pid, pid);
        }
        let msg = words
            .get(prog.len()..)
            .unwrap_or("")
            .trim_start_matches(' ');
        message(name, msg, line, d);
        if let Some(pid) = pid {
            self.sshd_addr(name, pid, msg, d);
        }
        true
    }

    /// sshd names the client's address on a connection's first lines only
    /// (`Connection from`, `Failed password ... from`): a later failure of
    /// the same process without one (`Disconnecting: Too many
    /// authentication failures`, `kex_exchange_identification: ...`) gets
    /// it from them.
    ///
    /// A pre-authentication failure that names no address before any line
    /// of its process did (OpenSSH 8 and later log a client that closes
    /// without sending its banner as `error: kex_exchange_identification:
    /// Connection closed by remote host`, then `Connection closed by IP port
    /// N` without `[preauth]`) is carried by the process's next line that
    /// names the address when that line closes the connection: it becomes
    /// the failure (same detail), so the attempt counts from that address.
    fn sshd_addr(&mut self, program: &str, pid: &str, msg: &str, d: &mut Draft) {
        if !(program == "sshd" || program.starts_with("sshd-") || program == "dropbear") {
            return;
        }
        if d.has(Field::Ip)
            && let Some(what) = self.unplaced.remove(pid)
            && d.kind == Kind::Info
            && [
                "Connection closed by ",
                "Connection reset by ",
                "Disconnected from ",
            ]
            .iter()
            .any(|p| msg.starts_with(p))
        {
            d.kind = Kind::AuthFailure;
            d.set_owned(Field::Detail, &what);
        }
        match d.get(Field::Ip) {
            Some(ip) => {
                if self.sshd_ips.get(pid).map(String::as_str) != Some(ip) {
                    if self.sshd_ips.len() >= 65_536 {
                        self.sshd_ips.clear();
                    }
                    let ip = ip.to_string();
                    self.sshd_ips.insert(pid.to_string(), ip);
                }
            }
            None => {
                if !matches!(d.kind, Kind::AuthFailure | Kind::InvalidUser) {
                    return;
                }
                if let Some(ip) = self.sshd_ips.get(pid) {
                    let ip = ip.clone();
                    d.set_owned(Field::Ip, &ip);
                } else if let Some(what) = d
                    .get(Field::Detail)
                    .filter(|x| x.starts_with(super::sshd::PREAUTH))
                {
                    if self.unplaced.len() >= 65_536 {
                        self.unplaced.clear();
                    }
                    let what = what.to_string();
                    self.unplaced.insert(pid.to_string(), what);
                }
            }
        }
    }

    fn rfc5424(&self, line: &str, at: usize, d: &mut Draft) -> bool {
        let Some(rest) = line.get(at..) else {
            return false;
        };
        let mut parts = rest.splitn(6, ' ');
        let (Some(ts), Some(host), Some(app), Some(procid), Some(_msgid), sd_msg) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return false;
        };
        if ts != "-" {
            match time::iso(ts.as_bytes(), self.ctx.tz_offset_s.unwrap_or(0)) {
                Some((t, n)) if n == ts.len() => d.time_us = Some(t),
                _ => return false,
            }
        }
        if host != "-" {
            d.set_sub(line, Field::Host, host);
        }
        if app != "-" {
            d.set_sub(line, Field::Program, app);
        }
        if procid != "-" {
            d.set_sub(line, Field::Pid, procid);
        }
        let sd_msg = sd_msg.unwrap_or("");
        // Structured data: "-" or one or more [..] blocks.
        let msg = if let Some(m) = sd_msg.strip_prefix('-') {
            m
        } else if sd_msg.starts_with('[') {
            skip_sd(sd_msg)
        } else {
            sd_msg
        };
        let msg = msg.trim_start_matches(' ').trim_start_matches('\u{feff}');
        if app != "-" {
            message(app, msg, line, d);
        }
        true
    }
}

fn skip_sd(s: &str) -> &str {
    let b = s.as_bytes();
    let mut i = 0;
    let mut depth = 0;
    let mut esc = false;
    let mut quoted = false;
    while let Some(&c) = b.get(i) {
        i += 1;
        if esc {
            esc = false;
            continue;
        }
        match c {
            b'\\' => esc = true,
            b'"' => quoted = !quoted,
            b'[' if !quoted => depth += 1,
            b']' if !quoted => {
                depth -= 1;
                if depth == 0 && b.get(i) != Some(&b'[') {
                    break;
                }
            }
            _ => {}
        }
    }
    s.get(i..).unwrap_or("")
}

/// Hand a message to the program parsers, unwrapping
/// `message repeated N times: [ ... ]` first.
pub fn message(program: &str, msg: &str, line: &str, d: &mut Draft) {
    let mut msg = msg;
    if let Some(r) = msg.strip_prefix("message repeated ") {
        let n = super::token(r);
        if let (Ok(n), Some(inner)) = (n.parse::<u32>(), super::after(r, "times: [")) {
            d.count = n;
            msg = inner
                .trim_start()
                .strip_suffix(']')
                .unwrap_or(inner)
                .trim_end();
        }
    }
    for p in MESSAGES {
        if p(program, msg, line, d) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::event::Kind;
    use crate::logs::time::rfc3339;

    fn run(lines: &[&str], mtime: Option<&str>) -> (Vec<Event>, Vec<String>) {
        let ctx = SourceCtx {
            path: "/var/log/auth.log".into(),
            mtime_us: mtime.and_then(|m| time::iso(m.as_bytes(), 0)).map(|t| t.0),
            tz_offset_s: None,
        };
        let mut p = make(&ctx);
        let mut d = Draft::default();
        let mut evs = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            d.reset(l);
            let ok = p.parse(l, &mut d);
            if !ok {
                d.reset(l);
                d.kind = Kind::Unparsed;
            }
            evs.push(d.finish(0, i as u64 + 1));
        }
        let notes = p.finish(&mut evs);
        (evs, notes)
    }

    #[test]
    fn year_rollover_and_mtime() {
        let (evs, notes) = run(
            &[
                "Dec 31 23:59:58 h sshd[1]: Server listening on 0.0.0.0 port 22.",
                "Jan  1 00:00:02 h sshd[1]: Server listening on :: port 22.",
            ],
            Some("2021-01-05T00:00:00Z"),
        );
        assert_eq!(
            rfc3339(evs[0].time_us.unwrap()),
            "2020-12-31T23:59:58.000000Z"
        );
        assert_eq!(
            rfc3339(evs[1].time_us.unwrap()),
            "2021-01-01T00:00:02.000000Z"
        );
        assert!(notes.iter().any(|n| n.contains("roll-over")), "{notes:?}");
    }

    #[test]
    fn last_line_after_mtime_goes_to_previous_year() {
        let (evs, _) = run(
            &[
                "Dec 10 07:13:43 LabSZ sshd[24227]: Failed password for root from 5.36.59.76 port 42393 ssh2",
            ],
            Some("2026-11-22T22:46:00Z"),
        );
        assert_eq!(
            rfc3339(evs[0].time_us.unwrap()),
            "2025-12-10T07:13:43.000000Z"
        );
        assert_eq!(evs[0].kind, Kind::AuthFailure);
        assert_eq!(evs[0].get(Field::Ip), Some("5.36.59.76"));
        assert_eq!(evs[0].get(Field::Host), Some("LabSZ"));
    }

    #[test]
    fn zone_inferred_from_mtime() {
        let (evs, notes) = run(
            &["Mar  6 08:00:00 h cron[2]: (root) CMD (true)"],
            Some("2024-03-06T07:00:10Z"),
        );
        assert_eq!(
            rfc3339(evs[0].time_us.unwrap()),
            "2024-03-06T07:00:00.000000Z"
        );
        assert!(notes.iter().any(|n| n.contains("UTC+01:00")), "{notes:?}");
    }

    #[test]
    fn rfc3339_and_5424() {
        let (evs, _) = run(
            &[
                "2020-05-31T00:00:45.738158+00:00 localhost systemd[1]: Reloaded System Logging Service.",
                "<15>1 2021-03-06T04:07:38.251122+00:00 hostname log_tag - 123 -  this is debug",
                "<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 [exampleSDID@32473 iut=\"3\"] 'su root' failed for lonvick on /dev/pts/8",
            ],
            None,
        );
        assert_eq!(
            rfc3339(evs[0].time_us.unwrap()),
            "2020-05-31T00:00:45.738158Z"
        );
        assert_eq!(evs[0].get(Field::Program), Some("systemd"));
        assert_eq!(evs[1].get(Field::Host), Some("hostname"));
        assert_eq!(evs[1].get(Field::Pid), None);
        assert_eq!(evs[2].get(Field::Program), Some("su"));
        assert_eq!(evs[2].kind, Kind::AuthFailure);
        assert_eq!(evs[2].get(Field::User), Some("lonvick"));
    }

    #[test]
    fn repeated_message_counts() {
        let (evs, _) = run(
            &[
                "Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]",
            ],
            None,
        );
        assert_eq!(evs[0].kind, Kind::AuthFailure);
        assert_eq!(evs[0].count, 5);
        assert_eq!(evs[0].get(Field::User), Some("root"));
    }

    #[test]
    fn closing_line_carries_an_addressless_preauth_failure() {
        let (evs, _) = run(
            &[
                // OpenSSH 8+: a client that closes before sending its banner.
                "Dec  2 09:00:00 h sshd[500]: error: kex_exchange_identification: Connection closed by remote host",
                "Dec  2 09:00:00 h sshd[500]: Connection closed by 198.51.100.20 port 4100",
                // The address known first (LogLevel VERBOSE): the failure
                // line has it, the close stays a close.
                "Dec  2 09:00:01 h sshd[501]: Connection from 198.51.100.21 port 4101 on 192.0.2.1 port 22",
                "Dec  2 09:00:01 h sshd[501]: error: kex_exchange_identification: Connection closed by remote host",
                "Dec  2 09:00:01 h sshd[501]: Connection closed by 198.51.100.21 port 4101",
                // A session's logout is no failure.
                "Dec  2 09:00:02 h sshd[502]: Accepted password for alice from 192.0.2.60 port 4200 ssh2",
                "Dec  2 09:00:09 h sshd[502]: Connection closed by 192.0.2.60 port 4200",
            ],
            None,
        );
        assert_eq!(evs[0].kind, Kind::AuthFailure);
        assert_eq!(evs[0].get(Field::Ip), None);
        assert_eq!(evs[1].kind, Kind::AuthFailure);
        assert_eq!(evs[1].get(Field::Ip), Some("198.51.100.20"));
        assert_eq!(
            evs[1].get(Field::Detail),
            Some("preauth: key exchange failed")
        );
        assert_eq!(evs[3].kind, Kind::AuthFailure);
        assert_eq!(evs[3].get(Field::Ip), Some("198.51.100.21"));
        assert_eq!(evs[4].kind, Kind::Info);
        assert_eq!(evs[6].kind, Kind::Info);
    }
}
