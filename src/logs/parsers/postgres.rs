//! PostgreSQL server logs in the default stderr format (`log_line_prefix =
//! '%m [%p] '`: `2026-11-22 10:01:02.345 UTC [4242] LOG:  message`, also
//! with `user@db` or other text between the pid and the level) and csvlog
//! (`log_destination = 'csvlog'`).
//!
//! `connection received: host=.. port=..` gives the client address of a
//! backend pid; the `connection authorized` (success) and `password
//! authentication failed` / `no pg_hba.conf entry` (failure) lines of the
//! same pid then carry that address, so database password guessing feeds
//! the brute-force detections. `statement:` lines keep the SQL as the
//! command. Zone names other than UTC/GMT are read at the analyst's offset,
//! or UTC.

use super::{Format, LineParser, Method, SourceCtx, after, kv};
use crate::logs::event::{Draft, Field, Kind};
use crate::logs::time;

/// The registry entry.
pub const FORMAT: Format = Format {
    name: "postgresql",
    name_hint,
    sniff_bytes: Some(sniff),
    method: Method::Lines(make),
};

/// The share of sampled lines that carry PostgreSQL's own prefix
/// (`2026-11-22 10:01:02.345 UTC [4242] ... LOG:  `), plus 10: those lines
/// also read as "date host message" syslog, so the more specific format
/// must win the tie whatever the file is called.
fn sniff(head: &[u8], _name: &str) -> u32 {
    let text = String::from_utf8_lossy(head);
    let lines = super::sample_lines(&text, head.len() >= super::SNIFF_BYTES);
    if lines.is_empty() {
        return 0;
    }
    // csvlog and unusual prefixes: what the parser itself accepts.
    let ctx = SourceCtx {
        path: String::new(),
        mtime_us: None,
        tz_offset_s: None,
    };
    let mut p = make(&ctx);
    let mut d = Draft::default();
    let parsed = lines
        .iter()
        .filter(|l| {
            d.reset(l);
            p.parse(l, &mut d) && d.kind != Kind::Unparsed
        })
        .count();
    let prefixed = lines.iter().filter(|l| has_prefix(l)).count();
    let share = |n: usize| (n * 100 / lines.len()) as u32;
    match share(prefixed) {
        0 => share(parsed),
        s => (s + 10).max(share(parsed)),
    }
}

/// `YYYY-MM-DD HH:MM:SS[.fff] ZONE [PID] [anything] LEVEL:`
fn has_prefix(line: &str) -> bool {
    const LEVELS: [&str; 13] = [
        "LOG:",
        "FATAL:",
        "ERROR:",
        "WARNING:",
        "DETAIL:",
        "STATEMENT:",
        "HINT:",
        "PANIC:",
        "NOTICE:",
        "INFO:",
        "CONTEXT:",
        "QUERY:",
        "LOCATION:",
    ];
    let b = line.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if !(digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && b.get(10) == Some(&b' ')
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19))
    {
        return false;
    }
    let mut rest = line.get(19..).unwrap_or("");
    // Fractional seconds belong to the time ("...:02.345 UTC").
    if let Some(frac) = rest.strip_prefix('.') {
        rest = frac.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    // "[PID]" within the prefix (`%m [%p] `, `%t:%r:%u@%d:[%p]: `), then a
    // level among the next words.
    let head = rest.get(..rest.len().min(160)).unwrap_or(rest);
    let Some(at) = pid_at(head) else {
        return false;
    };
    rest.get(at..)
        .unwrap_or("")
        .split(' ')
        .filter(|w| !w.is_empty())
        .take(5)
        .any(|w| LEVELS.contains(&w) || (w.starts_with("DEBUG") && w.ends_with(':')))
}

/// Where the first `[PID]` (or `[PID-N]`) of a prefix ends.
fn pid_at(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s.get(from..)?.find('[') {
        let open = from + i;
        let r = s.get(open + 1..)?;
        let close = r.find(']')?;
        let inner = &r[..close];
        let pid = inner.split('-').next().unwrap_or(inner);
        if !pid.is_empty() && pid.bytes().all(|c| c.is_ascii_digit()) {
            return Some(open + 1 + close + 1);
        }
        from = open + 1;
    }
    None
}

fn name_hint(name: &str) -> u32 {
    let n = name.to_ascii_lowercase();
    if n.contains("postgres") || n.starts_with("pg") {
        10
    } else {
        0
    }
}

fn make(ctx: &SourceCtx) -> Box<dyn LineParser> {
    Box::new(Postgres {
        offset_s: ctx.tz_offset_s.unwrap_or(0),
        clients: foldhash::HashMap::default(),
        last: None,
    })
}

struct Postgres {
    offset_s: i64,
    /// Backend pid -> client address, from `connection received`.
    clients: foldhash::HashMap<String, String>,
    /// The last entry read, for its DETAIL/STATEMENT/LOCATION lines and the
    /// indented lines of a multi-line message.
    last: Option<Entry>,
}

const LEVELS: [&str; 13] = [
    "LOG:",
    "FATAL:",
    "ERROR:",
    "WARNING:",
    "STATEMENT:",
    "DETAIL:",
    "HINT:",
    "PANIC:",
    "NOTICE:",
    "LOCATION:",
    "CONTEXT:",
    "QUERY:",
    "INFO:",
];

/// Levels that continue the entry before them (same pid) rather than
/// start one.
const ATTACHED: [&str; 6] = [
    "DETAIL",
    "HINT",
    "STATEMENT",
    "LOCATION",
    "CONTEXT",
    "QUERY",
];

/// The entry the next lines may continue.
#[derive(Default)]
struct Entry {
    pid: String,
    time_us: Option<i64>,
    user: Option<String>,
    ip: Option<String>,
    /// The entry is a statement (its continuation lines are SQL).
    sql: bool,
}

impl LineParser for Postgres {
    fn parse(&mut self, line: &str, d: &mut Draft) -> bool {
        let b = line.as_bytes();
        let Some((t, n)) = time::iso(b, self.offset_s) else {
            return self.continuation(line, d);
        };
        d.time_us = Some(t);
        let mut rest = line.get(n..).unwrap_or("");
        // A zone name: "UTC", "GMT" (no shift) or another (read at the offset).
        if let Some(z) = rest.strip_prefix(' ') {
            let len = z.bytes().take_while(u8::is_ascii_alphabetic).count();
            let name = z.get(..len).unwrap_or("");
            if len > 0 && matches!(z.as_bytes().get(len), None | Some(b' ' | b',' | b':')) {
                if matches!(name, "UTC" | "GMT") {
                    d.time_us = Some(time::plus_us(t, time::from_secs(self.offset_s)));
                }
                rest = z.get(len..).unwrap_or("");
            }
        }
        d.set_owned(Field::Program, "postgres");
        if rest.starts_with(',') {
            return self.csv(line, d);
        }
        // "[pid] ... LEVEL:  message", or a custom log_line_prefix with the
        // pid anywhere in it ("%t:%r:%u@%d:[%p]: ").
        let rest = rest.trim_start_matches(' ');
        let Some((lvl_at, level)) = LEVELS
            .iter()
            .filter_map(|l| rest.find(l).map(|i| (i, *l)))
            .min_by_key(|x| x.0)
        else {
            return false;
        };
        let prefix = rest.get(..lvl_at).unwrap_or("");
        let Some(end) = pid_at(prefix) else {
            return false;
        };
        let open = prefix[..end].rfind('[').unwrap_or(0);
        let inner = prefix.get(open + 1..end - 1).unwrap_or("");
        let pid = inner.split('-').next().unwrap_or(inner);
        d.set_sub(line, Field::Pid, pid);
        self.prefix_fields(line, prefix, d);
        let msg = rest
            .get(lvl_at + level.len()..)
            .unwrap_or("")
            .trim_start_matches(' ');
        let level = level.trim_end_matches(':');
        d.set_sub(line, Field::Detail, level);
        let pid = pid.to_string();
        if ATTACHED.contains(&level) {
            self.attached(line, &pid, level, msg, d);
            return true;
        }
        self.message(line, &pid, msg, d);
        let ip = d
            .get(Field::Ip)
            .or_else(|| self.clients.get(&pid).map(String::as_str))
            .map(str::to_string);
        self.last = Some(Entry {
            pid,
            time_us: d.time_us,
            user: d.get(Field::User).map(str::to_string),
            ip,
            sql: d.has(Field::Command),
        });
        true
    }
}

impl Postgres {
    /// The fields a custom `log_line_prefix` may carry: `%u@%d`, `user=%u`,
    /// `client=%h` / `host=%h` / `%r` (`IP(port)`).
    fn prefix_fields(&self, line: &str, prefix: &str, d: &mut Draft) {
        for w in prefix
            .split([' ', ',', ':', '[', ']'])
            .filter(|w| !w.is_empty())
        {
            if let Some(u) = w.strip_prefix("user=") {
                if !u.is_empty() && u != "[unknown]" {
                    d.set_sub(line, Field::User, u);
                }
            } else if let Some(h) = w
                .strip_prefix("client=")
                .or_else(|| w.strip_prefix("host="))
                .or_else(|| w.strip_prefix("remote="))
            {
                let h = h.split('(').next().unwrap_or(h);
                if !h.is_empty() && h != "[local]" {
                    d.set_sub(line, Field::Ip, h);
                }
            } else if let Some((u, _db)) = w.split_once('@') {
                if !u.is_empty() && !d.has(Field::User) {
                    d.set_sub(line, Field::User, u);
                }
            } else if let Some((ip, port)) = w.split_once('(')
                && port
                    .strip_suffix(')')
                    .is_some_and(|p| p.bytes().all(|c| c.is_ascii_digit()))
                && super::sshd::looks_like_ip(ip)
            {
                d.set_sub(line, Field::Ip, ip);
            }
        }
    }

    /// A DETAIL/HINT/STATEMENT/LOCATION/CONTEXT/QUERY line: part of the
    /// entry of the same backend before it, whose account and client it
    /// carries; a STATEMENT line keeps its SQL as the command.
    fn attached(&mut self, line: &str, pid: &str, level: &str, msg: &str, d: &mut Draft) {
        d.kind = Kind::Info;
        if level == "STATEMENT" || level == "QUERY" {
            d.set_sub(line, Field::Command, msg);
        }
        let same = self.last.as_mut().filter(|e| e.pid == pid);
        if let Some(e) = same {
            if !d.has(Field::User)
                && let Some(u) = &e.user
            {
                d.set_owned(Field::User, u);
            }
            if !d.has(Field::Ip)
                && let Some(ip) = &e.ip
            {
                d.set_owned(Field::Ip, ip);
            }
            e.sql = level == "STATEMENT" || level == "QUERY";
        }
        if !d.has(Field::Ip)
            && let Some(ip) = self.clients.get(pid)
        {
            d.set_owned(Field::Ip, ip);
        }
    }

    /// An indented line (a multi-line statement or message): the entry
    /// before it goes on; it gets that entry's time, pid, account and client.
    fn continuation(&mut self, line: &str, d: &mut Draft) -> bool {
        if !line.starts_with([' ', '\t']) {
            return false;
        }
        let Some(e) = &self.last else {
            return false;
        };
        d.time_us = e.time_us;
        d.kind = Kind::Info;
        d.set_owned(Field::Program, "postgres");
        d.set_owned(Field::Pid, &e.pid);
        d.set_owned(Field::Detail, "continuation");
        if let Some(u) = &e.user {
            d.set_owned(Field::User, u);
        }
        if let Some(ip) = &e.ip {
            d.set_owned(Field::Ip, ip);
        }
        if e.sql {
            d.set_sub(line, Field::Command, line.trim());
        }
        true
    }

    fn message(&mut self, line: &str, pid: &str, msg: &str, d: &mut Draft) {
        if let Some(r) = msg.strip_prefix("connection received: ") {
            if let Some(h) = kv(r, "host=") {
                d.set_sub(line, Field::Ip, h);
                self.clients.insert(pid.to_string(), h.to_string());
            }
            if let Some(p) = kv(r, "port=") {
                d.port = p.parse().ok();
            }
            return;
        }
        let mut client = true;
        if let Some(r) = msg.strip_prefix("connection authorized: ") {
            d.kind = Kind::AuthSuccess;
            if let Some(u) = kv(r, "user=") {
                d.set_sub(line, Field::User, u);
            }
        } else if let Some(r) = after(msg, "password authentication failed for user \"")
            .or_else(|| after(msg, "authentication failed for user \""))
        {
            d.kind = Kind::AuthFailure;
            // csvlog doubles the quotes.
            if let Some(u) = r.trim_start_matches('"').split('"').next() {
                d.set_sub(line, Field::User, u);
            }
        } else if let Some(r) = after(msg, "no pg_hba.conf entry for host \"") {
            d.kind = Kind::AuthFailure;
            if let Some(h) = r.split('"').next() {
                d.set_sub(line, Field::Ip, h);
            }
            if let Some(u) = after(r, "user \"").and_then(|u| u.split('"').next()) {
                d.set_sub(line, Field::User, u);
            }
        } else if let Some(r) = after(msg, "statement: ") {
            d.set_sub(line, Field::Command, r);
            client = false;
        } else if msg.starts_with("disconnection: ") {
            d.kind = Kind::SessionClose;
            if let Some(u) = kv(msg, "user=") {
                d.set_sub(line, Field::User, u);
            }
            if let Some(h) = kv(msg, "host=") {
                d.set_sub(line, Field::Ip, h);
            }
            self.clients.remove(pid);
            return;
        } else {
            client = false;
        }
        if client
            && !d.has(Field::Ip)
            && let Some(ip) = self.clients.get(pid)
        {
            d.set_owned(Field::Ip, ip);
        }
    }

    /// csvlog: time,user,db,pid,"host:port",session,line,tag,start,vxid,
    /// txid,severity,state,message,...
    fn csv(&mut self, line: &str, d: &mut Draft) -> bool {
        let cols = csv_fields(line);
        if cols.len() < 14 {
            return false;
        }
        let col = |i: usize| cols.get(i).copied().unwrap_or("");
        let (user, pid, host, severity, msg) = (col(1), col(3), col(4), col(11), col(13));
        if pid.is_empty() || !pid.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
        d.set_sub(line, Field::Pid, pid);
        if !user.is_empty() {
            d.set_sub(line, Field::User, user);
        }
        d.set_sub(line, Field::Detail, severity);
        let ip = host.rsplit_once(':').map_or(host, |x| x.0);
        if !ip.is_empty() {
            d.set_sub(line, Field::Ip, ip);
            self.clients.insert(pid.to_string(), ip.to_string());
        }
        let pid = pid.to_string();
        self.message(line, &pid, msg, d);
        true
    }
}

/// Split one CSV line (quotes, doubled quotes inside; no embedded newlines:
/// a multi-line value's continuation lines are kept as unparsed lines).
/// Quoted values are returned without their quotes, doubled quotes kept.
fn csv_fields(line: &str) -> Vec<&str> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        if b.get(i) == Some(&b'"') {
            let start = i + 1;
            let mut j = start;
            loop {
                match b.get(j) {
                    None => break,
                    Some(b'"') if b.get(j + 1) == Some(&b'"') => j += 2,
                    Some(b'"') => break,
                    Some(_) => j += 1,
                }
            }
            out.push(line.get(start..j).unwrap_or(""));
            i = j + 1;
        } else {
            let end = line
                .get(i..)
                .and_then(|r| r.find(','))
                .map_or(line.len(), |k| i + k);
            out.push(line.get(i..end).unwrap_or(""));
            i = end;
        }
        if b.get(i) == Some(&b',') {
            i += 1;
        } else {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sniffed(name: &str, text: &str) -> &'static str {
        let ctx = SourceCtx {
            path: format!("/var/log/{name}"),
            ..SourceCtx::default()
        };
        crate::logs::parsers::sniff_ranked(text.as_bytes(), &ctx)
            .first()
            .map_or("none", |f| f.0.name)
    }

    #[test]
    fn recognised_by_content_whatever_the_file_name() {
        let stderr = "2026-11-22 10:00:00.123 UTC [1234] LOG:  database system is ready to accept connections\n\
            2026-11-22 10:00:05.456 UTC [1240] postgres@shop FATAL:  password authentication failed for user \"postgres\"\n\
            2026-11-22 10:00:05 UTC [1240] postgres@shop DETAIL:  Connection matched pg_hba.conf line 99\n";
        // Before, a name without "postgres" or "pg" read these as syslog
        // lines from a host called "UTC".
        assert_eq!(sniffed("main.log", stderr), "postgresql");
        assert_eq!(sniffed("postgresql-16-main.log", stderr), "postgresql");
        let csv = r#"2026-11-22 10:01:02.401 UTC,"postgres","postgres",4242,"203.0.113.5:51234",65a1.1092,1,"authentication",2026-11-22 10:01:02 UTC,3/1,0,FATAL,28P01,"password authentication failed for user ""postgres""","Connection matched pg_hba.conf line 99",,,,,,,,,"","client backend",,0"#;
        assert_eq!(sniffed("postgresql-16-main.csv", csv), "postgresql");
        // Syslog with a numeric date stays syslog.
        let syslog = "2026-11-22 10:00:00 web1 sshd[42]: Failed password for root from 203.0.113.9 port 22 ssh2\n";
        assert_eq!(sniffed("auth.log", syslog), "syslog");
    }

    fn run(lines: &[&str]) -> Vec<crate::logs::Event> {
        let mut p = make(&SourceCtx::default());
        let mut d = Draft::default();
        lines
            .iter()
            .map(|l| {
                d.reset(l);
                assert!(p.parse(l, &mut d), "{l}");
                d.finish(0, 1)
            })
            .collect()
    }

    #[test]
    fn stderr_log_joins_client_address_by_pid() {
        let e = run(&[
            "2026-11-22 10:01:02.345 UTC [4242] LOG:  connection received: host=203.0.113.5 port=51234",
            "2026-11-22 10:01:02.401 UTC [4242] FATAL:  password authentication failed for user \"postgres\"",
            "2026-11-22 10:01:02.401 UTC [4242] DETAIL:  Connection matched pg_hba.conf line 99: \"host all all 0.0.0.0/0 md5\"",
            "2026-11-22 10:01:09.000 UTC [4250] app@shop LOG:  connection authorized: user=app database=shop application_name=psql",
            "2026-11-22 10:01:10.000 UTC [4250] app@shop LOG:  statement: SELECT * FROM customers;",
            "2026-11-22 10:01:11.000 UTC [4251] FATAL:  no pg_hba.conf entry for host \"198.51.100.9\", user \"admin\", database \"shop\", no encryption",
        ]);
        assert_eq!(e[0].get(Field::Ip), Some("203.0.113.5"));
        assert_eq!(e[0].port, Some(51234));
        assert_eq!(e[1].kind, Kind::AuthFailure);
        assert_eq!(e[1].get(Field::User), Some("postgres"));
        assert_eq!(e[1].get(Field::Ip), Some("203.0.113.5"));
        assert_eq!(
            crate::logs::time::rfc3339(e[1].time_us.expect("time")),
            "2026-11-22T10:01:02.401000Z"
        );
        assert_eq!(e[3].kind, Kind::AuthSuccess);
        assert_eq!(e[3].get(Field::User), Some("app"));
        assert_eq!(e[4].get(Field::Command), Some("SELECT * FROM customers;"));
        assert_eq!(e[5].kind, Kind::AuthFailure);
        assert_eq!(e[5].get(Field::Ip), Some("198.51.100.9"));
        assert_eq!(e[5].get(Field::User), Some("admin"));
    }

    #[test]
    fn csvlog() {
        let e = run(&[
            r#"2026-11-22 10:01:02.401 UTC,"postgres","postgres",4242,"203.0.113.5:51234",65a1.1092,1,"authentication",2026-11-22 10:01:02 UTC,3/1,0,FATAL,28P01,"password authentication failed for user ""postgres""","Connection matched pg_hba.conf line 99",,,,,,,,,"","client backend",,0"#,
        ]);
        assert_eq!(e[0].kind, Kind::AuthFailure);
        assert_eq!(e[0].get(Field::Ip), Some("203.0.113.5"));
        assert_eq!(e[0].get(Field::Pid), Some("4242"));
        assert_eq!(e[0].get(Field::Detail), Some("FATAL"));
        assert_eq!(e[0].get(Field::User), Some("postgres"));
    }

    proptest! {
        #[test]
        fn never_panics(s in "(2026-11-22 10:01:0[0-9](\\.[0-9]{3})?( UTC| CET)?)?( \\[[0-9]{1,5}\\])?[ ,].{0,120}") {
            let _ = crate::logs::parsers::read_all_lines(make, &s);
        }
    }
}
