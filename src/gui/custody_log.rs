//! A lenient reader of a custody log (`<stem>.custody.jsonl`) for display:
//! every line becomes an event row, a line that does not parse becomes a row
//! saying so (nothing is hidden), and the hash chain (`prev` = SHA-256 of the
//! previous line's exact bytes, `seq` in order) is checked line by line.
//! Signature verdicts come from the core's custody check, not from here.

use crate::gui::case::VerificationState;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The largest custody log the viewer reads (a log is a few kB per event).
const MAX_LOG_BYTES: u64 = 64 << 20;

/// One line of the log, as shown in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// 1-based line number in the file.
    pub line: usize,
    pub seq: Option<u64>,
    pub at: String,
    pub action: String,
    pub actor: String,
    pub location: String,
    /// Action-specific details as `key: value` pairs, sorted.
    pub details: Vec<(String, String)>,
    /// True when the event carries a signature.
    pub signed: bool,
    /// Why this line breaks the chain or could not be read, if it does.
    pub chain_problem: Option<String>,
    /// The full JSON value, when the line parsed.
    pub raw: Option<Value>,
}

/// A read log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustodyLog {
    pub events: Vec<EventRow>,
}

impl CustodyLog {
    /// True when every line parsed and links to the one before.
    pub fn chain_ok(&self) -> bool {
        self.events.iter().all(|e| e.chain_problem.is_none())
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A detail value as a person reads it: strings bare, lists joined, objects
/// as `key value` pairs without JSON punctuation (nulls and empty values
/// left out). The raw JSON stays available through [`EventRow::raw`].
fn humane(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "none".into(),
        Value::Array(a) => a.iter().map(humane).collect::<Vec<_>>().join(", "),
        Value::Object(o) => o
            .iter()
            .filter_map(|(k, v)| {
                let t = humane(v);
                (!t.is_empty()).then(|| format!("{} {t}", k.replace('_', " ")))
            })
            .collect::<Vec<_>>()
            .join(" · "),
        other => other.to_string(),
    }
}

fn actor_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::Object(o)) => {
            let mut s = text(o.get("name"));
            let extra: Vec<String> = ["role", "organisation"]
                .iter()
                .map(|k| text(o.get(*k)))
                .filter(|t| !t.is_empty())
                .collect();
            if !extra.is_empty() {
                s.push_str(&format!(" ({})", extra.join(", ")));
            }
            s
        }
        other => text(other),
    }
}

/// Parse a log's bytes.
pub fn parse(raw: &[u8]) -> CustodyLog {
    let mut events = Vec::new();
    let mut prev_line: Option<&[u8]> = None;
    let mut prev_seq: Option<u64> = None;
    for (i, line) in raw.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() || line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let row = match serde_json::from_slice::<Value>(line) {
            Ok(v) => {
                let seq = v.get("seq").and_then(Value::as_u64);
                let mut problem = None;
                let expected_prev = prev_line.map(|p| hex::encode(Sha256::digest(p)));
                let prev = v.get("prev").and_then(Value::as_str).map(str::to_string);
                if prev != expected_prev {
                    problem = Some(match expected_prev {
                        None => "the first event must have no previous hash".to_string(),
                        Some(_) => {
                            "does not link to the previous line (hash chain broken)".to_string()
                        }
                    });
                }
                if let (Some(a), Some(b)) = (prev_seq, seq)
                    && b != a + 1
                {
                    problem.get_or_insert(format!("sequence jumps from {a} to {b}"));
                }
                let details = match v.get("details") {
                    Some(Value::Object(o)) => {
                        let mut d: Vec<(String, String)> =
                            o.iter().map(|(k, v)| (k.clone(), humane(v))).collect();
                        d.sort();
                        d
                    }
                    Some(Value::Null) | None => Vec::new(),
                    Some(other) => vec![("details".into(), other.to_string())],
                };
                prev_seq = seq;
                EventRow {
                    line: i + 1,
                    seq,
                    at: text(v.get("at")),
                    action: text(v.get("action")),
                    actor: actor_text(v.get("actor")),
                    location: text(v.get("location")),
                    details,
                    signed: v.get("signature").is_some_and(|s| !s.is_null()),
                    chain_problem: problem,
                    raw: Some(v),
                }
            }
            Err(e) => EventRow {
                line: i + 1,
                seq: None,
                at: String::new(),
                action: "(unreadable line)".into(),
                actor: String::new(),
                location: String::new(),
                details: vec![("error".into(), e.to_string())],
                signed: false,
                chain_problem: Some(format!("line {} is not valid JSON: {e}", i + 1)),
                raw: None,
            },
        };
        events.push(row);
        prev_line = Some(line);
    }
    CustodyLog { events }
}

/// Read and parse a log file (bounded in size).
pub fn read(path: &Path) -> anyhow::Result<CustodyLog> {
    use std::io::Read as _;
    let f = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("cannot open the custody log: {e}: {}", path.display()))?;
    let mut raw = Vec::new();
    f.take(MAX_LOG_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| anyhow::anyhow!("cannot read the custody log: {e}: {}", path.display()))?;
    if raw.len() as u64 > MAX_LOG_BYTES {
        anyhow::bail!(
            "the custody log is larger than {MAX_LOG_BYTES} bytes: {}",
            path.display()
        );
    }
    Ok(parse(&raw))
}

/// The verification state recorded by the last `verified` event.
pub fn last_verification(events: &[EventRow]) -> VerificationState {
    let Some(ev) = events.iter().rev().find(|e| e.action == "verified") else {
        return VerificationState::NotVerified;
    };
    let details = ev.raw.as_ref().and_then(|v| v.get("details"));
    let get = |k: &str| details.and_then(|d| d.get(k));
    let ok = get("ok").and_then(Value::as_bool).or_else(|| {
        get("result")
            .and_then(Value::as_str)
            .map(|r| r == "intact" || r == "ok")
    });
    let problems = get("problems")
        .and_then(|p| p.as_u64().or_else(|| p.as_array().map(|a| a.len() as u64)))
        .unwrap_or(0);
    match ok {
        Some(true) => VerificationState::Intact(ev.at.clone()),
        Some(false) => VerificationState::Problems(problems.max(1), ev.at.clone()),
        None if problems > 0 => VerificationState::Problems(problems, ev.at.clone()),
        None => VerificationState::NotVerified,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(lines: &[&str]) -> Vec<u8> {
        // Build a valid chain by filling in `prev`.
        let mut out: Vec<u8> = Vec::new();
        let mut prev: Option<String> = None;
        for l in lines {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v["prev"] = prev.clone().map_or(Value::Null, Value::String);
            let s = serde_json::to_string(&v).unwrap();
            prev = Some(hex::encode(Sha256::digest(s.as_bytes())));
            out.extend_from_slice(s.as_bytes());
            out.push(b'\n');
        }
        out
    }

    #[test]
    fn valid_chain_reads_back() {
        let raw = chain(&[
            r#"{"seq":1,"at":"2026-01-01T00:00:00Z","action":"acquired","actor":{"name":"Dana","role":"first responder"}}"#,
            r#"{"seq":2,"at":"2026-01-01T00:01:00Z","action":"verified","actor":{"name":"Eve"},"details":{"ok":true},"signature":"x"}"#,
        ]);
        let log = parse(&raw);
        assert_eq!(log.events.len(), 2);
        assert!(log.chain_ok(), "{:?}", log.events);
        assert_eq!(log.events[0].actor, "Dana (first responder)");
        assert!(log.events[1].signed);
        assert_eq!(
            last_verification(&log.events),
            VerificationState::Intact("2026-01-01T00:01:00Z".into())
        );
    }

    #[test]
    fn tampered_and_garbage_lines_are_shown_as_problems() {
        let mut raw = chain(&[
            r#"{"seq":1,"at":"t1","action":"acquired","actor":{"name":"Dana"}}"#,
            r#"{"seq":2,"at":"t2","action":"note","actor":{"name":"Dana"},"details":{"text":"hello"}}"#,
        ]);
        // Alter the first line after the fact: the second no longer links.
        let pos = raw.iter().position(|&b| b == b'D').unwrap();
        raw[pos] = b'X';
        raw.extend_from_slice(b"not json\n");
        let log = parse(&raw);
        assert_eq!(log.events.len(), 3);
        assert!(log.events[0].chain_problem.is_none());
        assert!(
            log.events[1]
                .chain_problem
                .as_deref()
                .unwrap()
                .contains("chain broken")
        );
        assert!(
            log.events[2]
                .chain_problem
                .as_deref()
                .unwrap()
                .contains("line 3")
        );
        assert!(!log.chain_ok());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let log = parse(&raw);
            let _ = last_verification(&log.events);
        }
    }
}
