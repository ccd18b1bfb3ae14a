//! The custody log (`<stem>.custody.jsonl`) as the workstation shows it.
//! Reading and checking is the core's one chain checker in its lenient mode
//! ([`crate::custody::read_lenient`]): every line becomes an event row, a
//! line that does not parse becomes a row saying so (nothing is hidden), and
//! each row carries the problems the check found on it. This module only
//! turns those lines into display rows and derives the case list's
//! [`VerificationState`]. It has no GUI types, so it lives in the core and
//! its tests run without the `gui` feature.

use crate::custody::{CheckOptions, CustodyCheck, LenientLog};
use serde_json::Value;
use std::path::Path;

/// What is known about an archive's integrity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerificationState {
    /// Never verified (no `verified` event and none this session).
    NotVerified,
    /// Verified intact at this time.
    Intact(String),
    /// Verified with problems at this time.
    Problems(u64, String),
    /// `<stem>.zip.partial`: an interrupted capture, not evidence.
    Incomplete,
}

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
    /// What the chain check found on this line (problems joined), if
    /// anything.
    pub chain_problem: Option<String>,
    /// The full JSON value, when the line parsed.
    pub raw: Option<Value>,
}

/// A read log: one row per line, and the check they come from.
#[derive(Debug, Clone, Default)]
pub struct CustodyLog {
    pub events: Vec<EventRow>,
    pub check: CustodyCheck,
}

impl CustodyLog {
    /// True when the check found no problem.
    pub fn chain_ok(&self) -> bool {
        self.check.problems.is_empty()
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

/// Display rows of a log read by the core's lenient check.
pub fn rows(log: LenientLog) -> CustodyLog {
    let events = log
        .lines
        .into_iter()
        .map(|l| {
            let line = usize::try_from(l.line).unwrap_or(usize::MAX);
            let problem = (!l.problems.is_empty()).then(|| {
                l.problems
                    .iter()
                    .map(|p| p.detail.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            });
            match l.json {
                Ok(v) => {
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
                    EventRow {
                        line,
                        seq: v.get("seq").and_then(Value::as_u64),
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
                    line,
                    seq: None,
                    at: String::new(),
                    action: "(unreadable line)".into(),
                    actor: String::new(),
                    location: String::new(),
                    details: vec![("error".into(), e.clone())],
                    signed: false,
                    chain_problem: Some(
                        problem.unwrap_or_else(|| format!("line {line} is not valid JSON: {e}")),
                    ),
                    raw: None,
                },
            }
        })
        .collect();
    CustodyLog {
        events,
        check: log.check,
    }
}

/// Parse a log's bytes (the chain only: no archive hash, no trust file).
pub fn parse(raw: &[u8]) -> CustodyLog {
    rows(crate::custody::read_lenient(raw, &CheckOptions::default()))
}

/// Read and parse a log file (bounded in size; a FIFO or device is refused).
pub fn read(path: &Path) -> anyhow::Result<CustodyLog> {
    let raw = crate::custody::read_log_bytes(path)
        .map_err(|e| anyhow::anyhow!("cannot read the custody log: {e}"))?;
    Ok(parse(&raw))
}

/// Read a log file and check it against the archive's actual SHA-256 and an
/// optional `allowed_signers` file (what the custody screen shows).
pub fn read_for_archive(log: &Path, archive_sha256: &str, trust: Option<&Path>) -> CustodyLog {
    rows(crate::custody::read_for_archive(log, archive_sha256, trust))
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
    use crate::custody::{Action, Actor, ArchiveRef, Event};

    /// A valid canonical chain of `actions` (details per event).
    fn chain(events: &[(Action, &str, serde_json::Map<String, Value>)]) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::new();
        let mut prev: Option<String> = None;
        for (i, (action, at, details)) in events.iter().enumerate() {
            let e = Event {
                seq: i as u64 + 1,
                at: (*at).into(),
                action: *action,
                actor: Actor {
                    name: "Dana".into(),
                    role: Some("first responder".into()),
                    ..Actor::default()
                },
                location: None,
                purpose: None,
                archive: ArchiveRef {
                    file: "a.zip".into(),
                    sha256: "ab".repeat(32),
                },
                details: details.clone(),
                prev: prev.clone(),
                signature: None,
            };
            let line = e.line();
            prev = Some(crate::custody::event::line_hash(line.as_bytes()));
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        out
    }

    fn details(json: &str) -> serde_json::Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn valid_chain_reads_back() {
        let raw = chain(&[
            (Action::Acquired, "2026-01-01T00:00:00Z", details("{}")),
            (Action::Sealed, "2026-01-01T00:00:30Z", details("{}")),
            (
                Action::Verified,
                "2026-01-01T00:01:00Z",
                details(r#"{"ok":true}"#),
            ),
        ]);
        let log = parse(&raw);
        assert_eq!(log.events.len(), 3);
        assert!(log.chain_ok(), "{:?}", log.check.problems);
        assert_eq!(log.events[0].actor, "Dana (first responder)");
        assert!(!log.events[2].signed);
        assert_eq!(
            last_verification(&log.events),
            VerificationState::Intact("2026-01-01T00:01:00Z".into())
        );
    }

    #[test]
    fn tampered_and_garbage_lines_are_shown_as_problems() {
        let mut raw = chain(&[
            (Action::Acquired, "2026-01-01T00:00:00Z", details("{}")),
            (Action::Sealed, "2026-01-01T00:00:30Z", details("{}")),
            (
                Action::Note,
                "2026-01-01T00:01:00Z",
                details(r#"{"note":"hello"}"#),
            ),
        ]);
        // Alter the second line after the fact: the third no longer links.
        let pos = raw.iter().position(|&b| b == b'\n').unwrap() + 1;
        let d = pos + raw[pos..].iter().position(|&b| b == b'D').unwrap();
        raw[d] = b'X';
        raw.extend_from_slice(b"not json\n");
        let log = parse(&raw);
        assert_eq!(log.events.len(), 4);
        assert!(log.events[0].chain_problem.is_none());
        assert!(log.events[1].chain_problem.is_none());
        let third = log.events[2].chain_problem.as_deref().unwrap();
        assert!(third.contains("prev does not match"), "{third}");
        assert_eq!(log.events[3].action, "(unreadable line)");
        assert!(
            log.events[3]
                .chain_problem
                .as_deref()
                .unwrap()
                .contains("line 4")
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
