//! Checking a custody log: every line parses in canonical form, `seq` counts
//! up from 1, every `prev` is the SHA-256 of the line before, the first event
//! is `acquired` and the second `sealed`, every event names the archive's
//! actual SHA-256, and every signature is valid (and trusted, when a trust
//! file is given). Each finding is a [`Problem`] whose detail names the event.
//!
//! With a trust file, the `acquired` and `sealed` events must carry a valid
//! signature by a trusted key (`custody_unsigned` otherwise): they are what
//! ties the archive's SHA-256 to the person who sealed it, and a log rebuilt
//! without signatures must not pass. A trusted signature whose principals do
//! not name the event's actor is a warning (`custody_signer_not_actor`).

use super::allowed_signers::AllowedSigners;
use super::event::{Action, line_hash, parse_line};
use super::signer::{Verdict, check_signature};
use super::{CustodyCheck, SignatureStatus};
use crate::problem::{Problem, ProblemKind};

fn problem(kind: ProblemKind, log: Option<&str>, detail: String) -> Problem {
    Problem::new(kind, log, detail)
}

/// Best-effort action name of an unparsable line, for messages.
fn guess_action(line: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(line);
    let at = text.find("\"action\":\"")? + 10;
    let rest = text.get(at..)?;
    let end = rest.find('"')?;
    let a = rest.get(..end)?;
    Action::parse(a).map(|a| a.as_str().to_string())
}

/// What [`check_log`] compares against.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions<'a> {
    /// The archive's actual SHA-256; `None` checks the chain only.
    pub archive_sha256: Option<&'a str>,
    /// Trusted signers; `None` reports valid signatures as `untrusted`.
    pub trust: Option<&'a AllowedSigners>,
    /// Shown in problem paths (the log's file name).
    pub log_name: Option<&'a str>,
    /// Current time (Unix seconds), for allowed_signers validity; `None`
    /// for the clock's time.
    pub now: Option<i64>,
}

/// Check the bytes of a custody log. Never panics; every defect is a
/// problem naming the event (by `seq` and action, or by line when the line
/// cannot be read).
pub fn check_log(bytes: &[u8], opt: &CheckOptions<'_>) -> CustodyCheck {
    check_lines(bytes, opt).0
}

/// One line of a log read leniently, for display: the line as JSON when it
/// is JSON at all (canonical or not), and what the check found on it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// 1-based line number.
    pub line: u64,
    /// The line as JSON, or why it is not JSON.
    pub json: Result<serde_json::Value, String>,
    /// The problems [`check_log`] reports on this line.
    pub problems: Vec<Problem>,
    /// The warnings [`check_log`] reports on this line.
    pub warnings: Vec<Problem>,
}

/// A log read leniently: every line (nothing is hidden, a line that does
/// not parse is still a line) beside the one strict check of the chain.
#[derive(Debug, Clone, Default)]
pub struct LenientLog {
    pub lines: Vec<LogLine>,
    /// Exactly what [`check_log`] returns for the same bytes and options.
    pub check: CustodyCheck,
}

/// The lenient mode of [`check_log`]: the same check, plus every line as
/// JSON with the problems found on it, so a viewer can show a damaged log
/// line by line without a second parser. Never panics.
pub fn read_lenient(bytes: &[u8], opt: &CheckOptions<'_>) -> LenientLog {
    let (check, problem_lines, warning_lines) = check_lines(bytes, opt);
    let on = |list: &[Problem], at: &[u64], n: u64| -> Vec<Problem> {
        list.iter()
            .zip(at)
            .filter(|(_, l)| **l == n)
            .map(|(p, _)| p.clone())
            .collect()
    };
    let lines = split_lines(bytes)
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let n = i as u64 + 1;
            LogLine {
                line: n,
                json: serde_json::from_slice(line).map_err(|e| e.to_string()),
                problems: on(&check.problems, &problem_lines, n),
                warnings: on(&check.warnings, &warning_lines, n),
            }
        })
        .collect();
    LenientLog { lines, check }
}

/// The lines of a log (the final line feed ends the last line; an empty
/// log has no lines).
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    if bytes.is_empty() {
        return Vec::new();
    }
    let body = if bytes.ends_with(b"\n") {
        bytes.get(..bytes.len() - 1).unwrap_or_default()
    } else {
        bytes
    };
    body.split(|&b| b == b'\n').collect()
}

/// [`check_log`], also returning the line (1-based; 0 for the whole log)
/// each problem and each warning was found on.
///
/// One pass over the lines carrying the chain's state (previous hash,
/// sequence, which events were seen); it stays one function so that every
/// rule of docs/custody.md's table can be read in order against it.
fn check_lines(bytes: &[u8], opt: &CheckOptions<'_>) -> (CustodyCheck, Vec<u64>, Vec<u64>) {
    let mut out = CustodyCheck::default();
    let mut problem_lines: Vec<u64> = Vec::new();
    let mut warning_lines: Vec<u64> = Vec::new();
    let log = opt.log_name;
    let now = opt.now.unwrap_or_else(|| chrono::Utc::now().timestamp());
    if bytes.is_empty() {
        out.problems.push(problem(
            ProblemKind::CustodyEmpty,
            log,
            "the custody log is empty: no acquired or sealed event".into(),
        ));
        return (out, vec![0], Vec::new());
    }
    let complete = bytes.ends_with(b"\n");
    let lines = split_lines(bytes);
    let last = lines.len().saturating_sub(1);
    let mut prev_line: Option<&[u8]> = None;
    let mut prev_seq: u64 = 0;
    let mut sealed_sha: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        let n = i as u64 + 1;
        let torn = !complete && i == last;
        let parsed = parse_line(line);
        let expected_prev = prev_line.map(line_hash);
        prev_line = Some(line);
        let p = match parsed {
            Ok(p) => p,
            Err(why) => {
                let what = match guess_action(line) {
                    Some(a) => format!("line {n} (event {n}, {a}?)"),
                    None => format!("line {n} (event {n}?)"),
                };
                if torn {
                    out.problems.push(problem(
                        ProblemKind::CustodyTruncated,
                        log,
                        format!("{what} is cut short: the last line has no line end and is incomplete ({why})"),
                    ));
                } else {
                    out.problems.push(problem(
                        ProblemKind::CustodyParse,
                        log,
                        format!("{what}: {why}"),
                    ));
                }
                prev_seq += 1;
                problem_lines.resize(out.problems.len(), n);
                warning_lines.resize(out.warnings.len(), n);
                continue;
            }
        };
        let e = p.event;
        let label = e.label();
        if torn {
            out.problems.push(problem(
                ProblemKind::CustodyTruncated,
                log,
                format!("{label} on the last line has no line end: the write was cut short"),
            ));
        }
        if e.seq != prev_seq + 1 {
            let detail = if e.seq > prev_seq + 1 {
                if e.seq == prev_seq + 2 {
                    format!(
                        "{label} follows event {prev_seq}: event {} is missing",
                        prev_seq + 1
                    )
                } else {
                    format!(
                        "{label} follows event {prev_seq}: events {} to {} are missing",
                        prev_seq + 1,
                        e.seq - 1
                    )
                }
            } else {
                format!(
                    "{label} on line {n} comes after event {prev_seq}: events are out of order or repeated"
                )
            };
            out.problems
                .push(problem(ProblemKind::CustodySeq, log, detail));
        }
        prev_seq = e.seq.max(prev_seq + 1);
        if e.prev != expected_prev {
            let detail = match (&expected_prev, &e.prev) {
                (None, _) => format!(
                    "{label} is the first line but has a prev hash: earlier events were removed"
                ),
                (Some(_), None) => {
                    format!("{label} on line {n} has no prev hash: the chain was restarted")
                }
                (Some(_), Some(_)) => format!(
                    "{label}: prev does not match the SHA-256 of line {}: an event before it was edited, removed or reordered",
                    n - 1
                ),
            };
            out.problems
                .push(problem(ProblemKind::CustodyChainBroken, log, detail));
        }
        if chrono::DateTime::parse_from_rfc3339(&e.at).is_err() || !e.at.ends_with('Z') {
            out.problems.push(problem(
                ProblemKind::CustodyParse,
                log,
                format!("{label}: time {:?} is not RFC 3339 UTC", e.at),
            ));
        }
        match (n, e.action) {
            (1, Action::Acquired) | (2, Action::Sealed) => {}
            (1, a) => out.problems.push(problem(
                ProblemKind::CustodyOrder,
                log,
                format!("{label}: the first event must be acquired, not {a}"),
            )),
            (2, a) => out.problems.push(problem(
                ProblemKind::CustodyOrder,
                log,
                format!("{label}: the second event must be sealed, not {a}"),
            )),
            (_, a @ (Action::Acquired | Action::Sealed)) => out.problems.push(problem(
                ProblemKind::CustodyOrder,
                log,
                format!("{label}: an archive is {a} only once, at the start of its log"),
            )),
            _ => {}
        }
        if e.action == Action::Sealed && sealed_sha.is_none() {
            sealed_sha = Some(e.archive.sha256.clone());
        }
        match opt.archive_sha256 {
            Some(actual) if e.archive.sha256 != actual => {
                let detail = if e.action == Action::Sealed {
                    format!(
                        "{label} sealed the archive with SHA-256 {}, but the archive's SHA-256 is {actual}: the archive was replaced or altered, or this log belongs to another archive",
                        e.archive.sha256
                    )
                } else {
                    format!(
                        "{label} is about an archive with SHA-256 {}, but the archive's SHA-256 is {actual}",
                        e.archive.sha256
                    )
                };
                out.problems
                    .push(problem(ProblemKind::CustodyArchiveMismatch, log, detail));
            }
            None => {
                if let Some(s) = &sealed_sha
                    && &e.archive.sha256 != s
                {
                    out.problems.push(problem(
                        ProblemKind::CustodyArchiveMismatch,
                        log,
                        format!(
                            "{label} is about an archive with SHA-256 {}, not the sealed {s}",
                            e.archive.sha256
                        ),
                    ));
                }
            }
            _ => {}
        }
        let status = match &e.signature {
            None => {
                if opt.trust.is_some() && matches!(e.action, Action::Acquired | Action::Sealed) {
                    out.problems.push(problem(
                        ProblemKind::CustodyUnsigned,
                        log,
                        format!(
                            "{label} is not signed: with a trust file the {} event must be signed by a trusted key, or nothing ties the archive to the person who sealed it",
                            e.action
                        ),
                    ));
                }
                SignatureStatus {
                    seq: e.seq,
                    status: "unsigned".into(),
                    signer: None,
                }
            }
            Some(sig) => match check_signature(sig, &p.signed_message, opt.trust, now) {
                Verdict::Valid { principals, key } => {
                    if let Some(trust) = opt.trust
                        && !super::actor_ids(&e.actor)
                            .iter()
                            .any(|id| trust.accepts(id, &key, super::NAMESPACE, now))
                    {
                        out.warnings.push(problem(
                            ProblemKind::CustodySignerNotActor,
                            log,
                            format!(
                                "{label}: the actor is {:?}, but the signing key is trusted only for {principals}: the signer may not be the person the event names",
                                e.actor.name
                            ),
                        ));
                    }
                    SignatureStatus {
                        seq: e.seq,
                        status: "valid".into(),
                        signer: Some(principals),
                    }
                }
                Verdict::Untrusted(fp) => {
                    if opt.trust.is_some() {
                        out.problems.push(problem(
                            ProblemKind::CustodySignatureUntrusted,
                            log,
                            format!(
                                "{label}: signed by {fp}, a key that is not in the allowed signers"
                            ),
                        ));
                    }
                    SignatureStatus {
                        seq: e.seq,
                        status: "untrusted".into(),
                        signer: Some(fp),
                    }
                }
                Verdict::Invalid(why) => {
                    out.problems.push(problem(
                        ProblemKind::CustodySignatureInvalid,
                        log,
                        format!("{label}: {why}"),
                    ));
                    SignatureStatus {
                        seq: e.seq,
                        status: "invalid".into(),
                        signer: None,
                    }
                }
            },
        };
        out.signatures.push(status);
        out.log.push(e);
        problem_lines.resize(out.problems.len(), n);
        warning_lines.resize(out.warnings.len(), n);
    }
    out.events = lines.len() as u64;
    out.head = lines.last().map(|l| line_hash(l));
    if sealed_sha.is_none() {
        out.problems.push(problem(
            ProblemKind::CustodyNotSealed,
            log,
            "no sealed event: the log does not record the archive's SHA-256".into(),
        ));
    }
    problem_lines.resize(out.problems.len(), 0);
    warning_lines.resize(out.warnings.len(), 0);
    (out, problem_lines, warning_lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn check_log_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = check_log(&bytes, &CheckOptions { archive_sha256: Some("ab"), ..Default::default() });
        }

        #[test]
        fn read_lenient_agrees_with_check_log(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let opt = CheckOptions::default();
            let r = read_lenient(&bytes, &opt);
            let c = check_log(&bytes, &opt);
            prop_assert_eq!(&r.check.problems, &c.problems);
            let on_lines: usize = r.lines.iter().map(|l| l.problems.len()).sum();
            prop_assert!(on_lines <= c.problems.len());
        }

        #[test]
        fn check_log_never_panics_on_lines(lines in proptest::collection::vec("[ -~]{0,80}", 0..6)) {
            let text = lines.join("\n");
            let _ = check_log(text.as_bytes(), &CheckOptions::default());
        }
    }
}
