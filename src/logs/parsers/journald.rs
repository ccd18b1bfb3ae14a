//! systemd journal exported as JSON (`journalctl -o json`, one object per
//! line), not the binary journal files. The time is
//! `__REALTIME_TIMESTAMP` (UTC microseconds), the host `_HOSTNAME`, the
//! program `SYSLOG_IDENTIFIER` (or `_COMM`), the pid `_PID`; `MESSAGE` is
//! handed to the same program parsers as syslog (sshd, sudo, PAM...), so a
//! journal feeds the same detections as `auth.log`.
//!
//! Fields are kept as ranges of the evidence line when their JSON text has
//! no escapes; a value with escapes is decoded and stored after the line,
//! and its message is then classified (kind) without byte ranges for the
//! message's own fields. `journalctl -o export` (multi-line records) is not
//! read by this parser.

use super::{Format, LineParser, Method, SourceCtx};
use crate::logs::event::{Draft, Field};
use serde::Deserialize;
use std::borrow::Cow;

/// The registry entry.
pub const FORMAT: Format = Format {
    name: "journald_json",
    name_hint,
    sniff_bytes: None,
    method: Method::Lines(make),
};

fn name_hint(name: &str) -> u32 {
    let n = name.to_ascii_lowercase();
    if n.contains("journal") { 10 } else { 0 }
}

fn make(_: &SourceCtx) -> Box<dyn LineParser> {
    Box::new(Journald)
}

struct Journald;

/// A journal field: text, or an array of bytes for binary values.
#[derive(Deserialize)]
#[serde(untagged)]
enum Value<'a> {
    #[serde(borrow)]
    Text(Cow<'a, str>),
    Bytes(Vec<u8>),
    #[allow(dead_code)]
    Other(serde::de::IgnoredAny),
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct Entry<'a> {
    #[serde(borrow)]
    __REALTIME_TIMESTAMP: Option<Cow<'a, str>>,
    #[serde(borrow)]
    _HOSTNAME: Option<Value<'a>>,
    #[serde(borrow)]
    SYSLOG_IDENTIFIER: Option<Value<'a>>,
    #[serde(borrow)]
    _COMM: Option<Value<'a>>,
    #[serde(borrow)]
    _PID: Option<Value<'a>>,
    #[serde(borrow)]
    MESSAGE: Option<Value<'a>>,
}

/// Store a value: a range of the line when borrowed, else after the line.
fn put(line: &str, d: &mut Draft, f: Field, v: &Value<'_>) {
    match v {
        Value::Text(Cow::Borrowed(s)) => d.set_sub(line, f, s),
        Value::Text(Cow::Owned(s)) => d.set_owned(f, s),
        Value::Bytes(b) => d.set_owned(f, &String::from_utf8_lossy(b)),
        Value::Other(_) => {}
    }
}

impl LineParser for Journald {
    fn parse(&mut self, line: &str, d: &mut Draft) -> bool {
        if !line.starts_with('{') {
            return false;
        }
        let Ok(e) = serde_json::from_str::<Entry<'_>>(line) else {
            return false;
        };
        let Some(t) = e
            .__REALTIME_TIMESTAMP
            .as_deref()
            .and_then(|t| t.parse::<i64>().ok())
        else {
            return false;
        };
        d.time_us = Some(t);
        if let Some(h) = &e._HOSTNAME {
            put(line, d, Field::Host, h);
        }
        let prog = e.SYSLOG_IDENTIFIER.as_ref().or(e._COMM.as_ref());
        if let Some(p) = prog {
            put(line, d, Field::Program, p);
        }
        if let Some(p) = &e._PID {
            put(line, d, Field::Pid, p);
        }
        let program = d.get(Field::Program).unwrap_or("").to_string();
        match &e.MESSAGE {
            Some(Value::Text(Cow::Borrowed(m))) => {
                super::syslog::message(&program, m, line, d);
            }
            Some(Value::Text(Cow::Owned(m))) => classify_owned(&program, m, d),
            Some(Value::Bytes(b)) => classify_owned(&program, &String::from_utf8_lossy(b), d),
            _ => {}
        }
        true
    }
}

/// A decoded message is not a range of the line: classify it on a scratch
/// draft and keep its kind and counters (its fields would point elsewhere).
fn classify_owned(program: &str, msg: &str, d: &mut Draft) {
    let mut scratch = Draft::default();
    scratch.reset(msg);
    super::syslog::message(program, msg, msg, &mut scratch);
    d.kind = scratch.kind;
    d.count = scratch.count;
    d.port = scratch.port;
    for f in [Field::User, Field::Ip, Field::Command, Field::Target] {
        if let Some(v) = scratch.get(f) {
            d.set_owned(f, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::event::Kind;
    use proptest::prelude::*;

    fn p(line: &str) -> Option<crate::logs::Event> {
        let mut d = Draft::default();
        d.reset(line);
        Journald.parse(line, &mut d).then(|| d.finish(0, 1))
    }

    #[test]
    fn sshd_failure_from_the_journal() {
        let e = p(r#"{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1763805662123456","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"sshd","_PID":"4242","PRIORITY":"6","MESSAGE":"Failed password for root from 203.0.113.5 port 51234 ssh2"}"#)
            .expect("parsed");
        assert_eq!(e.kind, Kind::AuthFailure);
        assert_eq!(e.time_us, Some(1_763_805_662_123_456));
        assert_eq!(e.get(Field::Host), Some("web1"));
        assert_eq!(e.get(Field::Program), Some("sshd"));
        assert_eq!(e.get(Field::Pid), Some("4242"));
        assert_eq!(e.get(Field::User), Some("root"));
        assert_eq!(e.get(Field::Ip), Some("203.0.113.5"));
        assert_eq!(e.port, Some(51234));
    }

    #[test]
    fn escaped_and_binary_messages() {
        let e = p(r#"{"__REALTIME_TIMESTAMP":"1763805662000000","_COMM":"sudo","MESSAGE":"alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/echo \"hi\""}"#)
            .expect("parsed");
        assert_eq!(e.kind, Kind::Sudo);
        assert_eq!(e.get(Field::User), Some("alice"));
        let e = p(r#"{"__REALTIME_TIMESTAMP":"1763805662000000","SYSLOG_IDENTIFIER":"app","MESSAGE":[104,105,255]}"#)
            .expect("parsed");
        assert_eq!(e.get(Field::Program), Some("app"));
        assert!(p(r#"{"MESSAGE":"no time"}"#).is_none());
        assert!(p("Nov 22 10:00:00 h sshd[1]: x").is_none());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\{(\"[A-Z_]{1,20}\":(\"[ -~]{0,30}\"|\\[[0-9,]{0,10}\\]|[0-9]{1,16}),?){0,6}\\}?") {
            let _ = crate::logs::parsers::read_all_lines(make, &s);
        }
    }
}
