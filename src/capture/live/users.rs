//! Logged-in users: the running system's utmp (`/run/utmp`, decoded by
//! [`crate::sysfiles::utmp`]), and systemd-logind's
//! sessions (`/run/systemd/sessions/*`), which systems without utmp keep.
//! Both are read through [`crate::capture::target`]: regular files only,
//! `O_NOATIME`, capped.

use super::{Problem, now};
use crate::capture::target::{self, TargetReadError, UTMP_CAP};
use crate::sysfiles::utmp;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Size of one utmp record.
pub use crate::sysfiles::utmp::RECORD as UTMP_RECORD;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UtmpEntry {
    /// `USER_PROCESS`, `LOGIN_PROCESS`, `BOOT_TIME`, `DEAD_PROCESS`...
    pub kind: String,
    pub pid: i32,
    pub line: String,
    pub id: String,
    pub user: String,
    pub host: String,
    pub session: i32,
    /// Login time, RFC 3339 UTC.
    pub time: Option<String>,
    /// Remote address (IPv4 or IPv6) when recorded.
    pub addr: Option<String>,
}

/// `live/users.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UsersDoc {
    pub collected_at: String,
    pub source: Option<String>,
    /// Entries of users logged in now (`USER_PROCESS`).
    pub logged_in: Vec<UtmpEntry>,
    /// Every record of the file, for the record.
    pub records: Vec<UtmpEntry>,
    /// Bytes at the end that do not form a whole record.
    pub trailing_bytes: usize,
    /// systemd-logind sessions.
    pub sessions: Vec<Session>,
    pub problems: Vec<Problem>,
}

/// One systemd-logind session (`/run/systemd/sessions/<id>`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub user: Option<String>,
    pub uid: Option<u32>,
    pub service: Option<String>,
    pub tty: Option<String>,
    pub remote_host: Option<String>,
    pub remote_user: Option<String>,
    pub leader_pid: Option<i32>,
    pub state: Option<String>,
    /// Session start, RFC 3339 UTC.
    pub started: Option<String>,
}

/// Parse a logind session file (`KEY=value` lines).
pub fn parse_session(id: &str, text: &str) -> Session {
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
            .map(str::to_string)
            .filter(|v| !v.is_empty())
    };
    Session {
        id: id.to_string(),
        user: get("USER"),
        uid: get("UID").and_then(|v| v.parse().ok()),
        service: get("SERVICE"),
        tty: get("TTY"),
        remote_host: get("REMOTE_HOST"),
        remote_user: get("REMOTE_USER"),
        leader_pid: get("LEADER").and_then(|v| v.parse().ok()),
        state: get("STATE"),
        started: get("REALTIME")
            .and_then(|v| v.parse::<i64>().ok())
            .and_then(chrono::DateTime::from_timestamp_micros)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
    }
}

fn sessions(root: &Path, problems: &mut Vec<Problem>) -> Vec<Session> {
    const DIR: &str = "/run/systemd/sessions";
    let names = match target::list(root, DIR) {
        Ok((_, names)) => names,
        Err(TargetReadError::NotFound) => return Vec::new(),
        Err(e) => {
            problems.push(Problem::text(DIR, &e));
            return Vec::new();
        }
    };
    let mut out: Vec<Session> = names
        .into_iter()
        .filter_map(|name| {
            let id = String::from_utf8_lossy(&name).into_owned();
            // `<id>.ref` are FIFOs logind holds open: never opened.
            if id.ends_with(".ref") {
                return None;
            }
            let path = format!("{DIR}/{id}");
            match target::read(root, &path, UTMP_CAP) {
                Ok(f) if f.truncated => {
                    problems.push(Problem {
                        what: path,
                        error: format!("over {UTMP_CAP} bytes; not read"),
                    });
                    None
                }
                Ok(f) => Some(parse_session(&id, &f.text())),
                // Not a session file (a directory, a FIFO...), as before.
                Err(TargetReadError::NotRegular(_) | TargetReadError::NotFound) => None,
                Err(e) => {
                    problems.push(Problem::text(path, &e));
                    None
                }
            }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Parse utmp/wtmp bytes (little-endian records). Returns the records and
/// the number of trailing bytes that do not form a whole record.
pub fn parse_utmp(data: &[u8]) -> (Vec<UtmpEntry>, usize) {
    let mut out = Vec::new();
    let chunks = data.chunks_exact(UTMP_RECORD);
    let trailing = chunks.remainder().len();
    for r in chunks.filter_map(utmp::decode) {
        if r.typ == 0 {
            continue;
        }
        let time = chrono::DateTime::from_timestamp(
            r.sec,
            u32::try_from(r.usec.clamp(0, 999_999)).unwrap_or(0) * 1000,
        )
        .filter(|_| r.sec != 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        out.push(UtmpEntry {
            kind: utmp::type_name(r.typ)
                .map_or_else(|| format!("UNKNOWN({})", r.typ), str::to_string),
            pid: r.pid,
            line: text(r.line),
            id: text(r.id),
            user: text(r.user),
            host: text(r.host),
            session: r.session,
            time,
            addr: utmp::addr_text(&r.addr),
        });
    }
    (out, trailing)
}

/// Read the running system's utmp (inside `root`).
pub fn collect(root: &Path) -> UsersDoc {
    let mut problems = Vec::new();
    let sessions = sessions(root, &mut problems);
    for cand in ["/run/utmp", "/var/run/utmp"] {
        match target::read(root, cand, UTMP_CAP) {
            Ok(f) => {
                if f.truncated {
                    problems.push(Problem {
                        what: cand.to_string(),
                        error: format!("only the first {UTMP_CAP} bytes were read"),
                    });
                }
                let (records, trailing_bytes) = parse_utmp(&f.bytes);
                return UsersDoc {
                    collected_at: now(),
                    source: Some(cand.to_string()),
                    logged_in: records
                        .iter()
                        .filter(|r| r.kind == "USER_PROCESS")
                        .cloned()
                        .collect(),
                    records,
                    trailing_bytes,
                    sessions,
                    problems,
                };
            }
            Err(TargetReadError::NotFound) => problems.push(Problem::new(
                cand,
                &std::io::Error::from(std::io::ErrorKind::NotFound),
            )),
            Err(e) => problems.push(Problem::text(cand, &e)),
        }
    }
    UsersDoc {
        collected_at: now(),
        source: None,
        logged_in: Vec::new(),
        records: Vec::new(),
        trailing_bytes: 0,
        sessions,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn record(
        kind: i32,
        pid: i32,
        line: &str,
        user: &str,
        host: &str,
        t: i32,
        ip: [u8; 4],
    ) -> Vec<u8> {
        let mut r = vec![0u8; UTMP_RECORD];
        r[0..4].copy_from_slice(&kind.to_le_bytes());
        r[4..8].copy_from_slice(&pid.to_le_bytes());
        r[8..8 + line.len()].copy_from_slice(line.as_bytes());
        r[44..44 + user.len()].copy_from_slice(user.as_bytes());
        r[76..76 + host.len()].copy_from_slice(host.as_bytes());
        r[340..344].copy_from_slice(&t.to_le_bytes());
        r[348..352].copy_from_slice(&ip);
        r
    }

    #[test]
    fn parses_records() {
        let mut data = record(2, 0, "~", "reboot", "6.1.0", 1_700_000_000, [0; 4]);
        data.extend(record(
            7,
            4242,
            "pts/0",
            "alice",
            "203.0.113.9",
            1_700_000_100,
            [203, 0, 113, 9],
        ));
        data.extend(vec![0u8; UTMP_RECORD]);
        data.extend([1, 2, 3]);
        let (r, trailing) = parse_utmp(&data);
        assert_eq!(trailing, 3);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].kind, "BOOT_TIME");
        assert_eq!(r[1].kind, "USER_PROCESS");
        assert_eq!(r[1].user, "alice");
        assert_eq!(r[1].line, "pts/0");
        assert_eq!(r[1].pid, 4242);
        assert_eq!(r[1].addr.as_deref(), Some("203.0.113.9"));
        assert_eq!(r[1].time.as_deref(), Some("2023-11-14T22:15:00.000000Z"));
    }

    #[test]
    fn reads_utmp_inside_a_root() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("run")).unwrap();
        std::fs::write(
            d.path().join("run/utmp"),
            record(7, 1, "tty1", "root", "", 1, [0; 4]),
        )
        .unwrap();
        let doc = collect(d.path());
        assert_eq!(doc.logged_in.len(), 1);
        assert_eq!(doc.source.as_deref(), Some("/run/utmp"));
    }

    #[test]
    fn reads_logind_sessions_inside_a_root() {
        let d = tempfile::tempdir().unwrap();
        let s = d.path().join("run/systemd/sessions");
        std::fs::create_dir_all(&s).unwrap();
        std::fs::write(
            s.join("42"),
            "# This is private data.\nUID=1000\nUSER=alice\nACTIVE=1\nSTATE=active\nREMOTE=1\nTYPE=tty\nSERVICE=sshd\nREMOTE_HOST=203.0.113.9\nLEADER=4242\nREALTIME=1700000000000000\n",
        )
        .unwrap();
        std::fs::write(s.join("42.ref"), "").unwrap();
        let doc = collect(d.path());
        assert_eq!(doc.source, None);
        assert_eq!(doc.sessions.len(), 1);
        let x = &doc.sessions[0];
        assert_eq!(x.user.as_deref(), Some("alice"));
        assert_eq!(x.remote_host.as_deref(), Some("203.0.113.9"));
        assert_eq!(x.leader_pid, Some(4242));
        assert_eq!(x.started.as_deref(), Some("2023-11-14T22:13:20.000000Z"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..1200)) {
            let _ = parse_utmp(&data);
            let _ = parse_session("x", &String::from_utf8_lossy(&data));
        }
    }
}
