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
    sniff_bytes: None,
    method: Method::Lines(make),
};

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
    })
}

struct Postgres {
    offset_s: i64,
    /// Backend pid -> client address, from `connection received`.
    clients: foldhash::HashMap<String, String>,
}

const LEVELS: [&str; 9] = [
    "LOG:",
    "FATAL:",
    "ERROR:",
    "WARNING:",
    "STATEMENT:",
    "DETAIL:",
    "HINT:",
    "PANIC:",
    "NOTICE:",
];

impl LineParser for Postgres {
    fn parse(&mut self, line: &str, d: &mut Draft) -> bool {
        let b = line.as_bytes();
        let Some((t, n)) = time::iso(b, self.offset_s) else {
            return false;
        };
        d.time_us = Some(t);
        let mut rest = line.get(n..).unwrap_or("");
        // A zone name: "UTC", "GMT" (no shift) or another (read at the offset).
        if let Some(z) = rest.strip_prefix(' ') {
            let len = z.bytes().take_while(u8::is_ascii_alphabetic).count();
            let name = z.get(..len).unwrap_or("");
            if len > 0 && matches!(z.as_bytes().get(len), None | Some(b' ' | b',')) {
                if matches!(name, "UTC" | "GMT") {
                    d.time_us = Some(t + self.offset_s * time::US);
                }
                rest = z.get(len..).unwrap_or("");
            }
        }
        d.set_owned(Field::Program, "postgres");
        if rest.starts_with(',') {
            return self.csv(line, d);
        }
        // "[pid] ... LEVEL:  message"
        let rest = rest.trim_start_matches(' ');
        let Some(r) = rest.strip_prefix('[') else {
            return false;
        };
        let Some((pid, r)) = r.split_once(']') else {
            return false;
        };
        let pid = pid.split('-').next().unwrap_or(pid);
        if pid.is_empty() || !pid.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
        d.set_sub(line, Field::Pid, pid);
        let Some((lvl_at, level)) = LEVELS
            .iter()
            .filter_map(|l| r.find(l).map(|i| (i, *l)))
            .min_by_key(|x| x.0)
        else {
            return false;
        };
        // "user@db" in the prefix.
        let between = r.get(..lvl_at).unwrap_or("").trim();
        if let Some((u, _db)) = between.split_once('@')
            && !u.is_empty()
            && !u.contains(' ')
        {
            d.set_sub(line, Field::User, u);
        }
        let msg = r
            .get(lvl_at + level.len()..)
            .unwrap_or("")
            .trim_start_matches(' ');
        d.set_sub(line, Field::Detail, level.trim_end_matches(':'));
        let pid = pid.to_string();
        self.message(line, &pid, msg, d);
        true
    }
}

impl Postgres {
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
    use crate::logs::load::{SourceInfo, read_lines};
    use proptest::prelude::*;

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
            let mut parser = make(&SourceCtx::default());
            let mut events = Vec::new();
            let mut info = SourceInfo::default();
            let mut r = s.as_bytes();
            read_lines(&mut r, parser.as_mut(), &mut [], &mut events, &mut info);
            for e in &events {
                let _ = e.summary();
            }
        }
    }
}
