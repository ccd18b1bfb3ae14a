//! The investigation's request and answer types (`investigate::model`):
//! what `exhibit investigate --json` prints and what the report
//! (`report::investigation`) and the workstation's Investigation screen
//! show. Field names and order are part of the CLI contract
//! (docs/investigation.md).

use crate::detect::Severity;
use crate::leak::{LeakReport, SampleFormat};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What to investigate.
#[derive(Debug, Clone, Default)]
pub struct InvestigateRequest {
    /// Evidence archives or folders: one or several snapshots of one or
    /// more hosts. Snapshots of one host are ordered by capture time; the
    /// earliest is the baseline the later ones are compared with.
    pub evidence: Vec<PathBuf>,
    /// A published sample to validate against the evidence (`--leak`).
    pub leak: Option<PathBuf>,
    pub leak_format: Option<SampleFormat>,
    /// Local-time offset for logs without a zone (see `logs::LoadRequest`).
    pub tz_offset_s: Option<i64>,
    /// Real values instead of masked ones in leak examples.
    pub show_values: bool,
    /// A rules directory over the built-in rules ([`crate::detect::ruleset`]).
    pub rules_dir: Option<PathBuf>,
    /// YARA rules over each host's latest snapshot: its new and changed
    /// files against a baseline, every file without one.
    pub yara: crate::detect::yara::YaraRequest,
    /// Indicator lists (`--ioc`): their hits on files and log events are
    /// findings, and feed the *who* and *how* answers.
    pub ioc: std::sync::Arc<crate::detect::ioc::IocSet>,
}

/// How sure an answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// The evidence does not answer this.
    #[default]
    None,
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::None => "none",
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// A pointer into the evidence: a file, a line of a log, a record.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
pub struct EvidenceRef {
    /// The archive or folder (as given).
    pub snapshot: String,
    /// Logical path in it.
    pub path: String,
    /// Line (or record) number in that file, 1-based.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// When, RFC 3339 UTC, if the evidence is timed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The detection or rule behind it (`ssh_bruteforce`...), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// What it shows, in one line (an inert excerpt of the line, or a
    /// description of the file).
    pub text: String,
}

/// One answer: a short sentence, how sure it is and the evidence behind it.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Answer {
    pub summary: String,
    pub confidence: Option<Confidence>,
    /// Supporting points, most important first, each one sentence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    pub evidence: Vec<EvidenceRef>,
}

/// The questions the breach guides ask.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Answers {
    /// The initial access vector and its first trace; how privileges were
    /// raised.
    pub how: Answer,
    /// First and last attacker activity.
    pub when: Answer,
    /// Which systems (hosts, snapshots) were touched.
    pub systems: Answer,
    /// The first touch of the data.
    pub first_access: Answer,
    /// What was taken (and the leak validation, with `--leak`).
    pub taken: Answer,
    /// The exposure window: first attacker activity to containment.
    pub exposure: Answer,
    /// Addresses, accounts, keys and user agents, ranked.
    pub who: Answer,
    /// What the attacker removed or rewrote.
    pub erased: Answer,
    /// Persistence to remove.
    pub left_behind: Answer,
}

/// An actor the evidence shows: an address, account, key or user agent.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Actor {
    /// `ip`, `account`, `key` or `user_agent`.
    pub kind: String,
    pub value: String,
    /// Rank score: higher did more harm.
    pub score: u32,
    pub first: Option<String>,
    pub last: Option<String>,
    /// What it did, one short phrase each (`guessed the password of root
    /// after 412 failures`, `downloaded /backup/db.sql`).
    pub did: Vec<String>,
    pub evidence: Vec<EvidenceRef>,
}

/// A credential to rotate. The secret itself never appears.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Credential {
    /// `account`, `ssh_key`, `password_hash`, `secret` (API key, token,
    /// database password), `certificate`.
    pub kind: String,
    /// What to rotate: the account name, the key's fingerprint and comment,
    /// the file and variable name of a secret.
    pub subject: String,
    /// The host or snapshot it belongs to.
    pub host: String,
    /// Why, in one sentence.
    pub reason: String,
    /// `high` (used or taken by the attacker) to `low` (could have been
    /// read).
    pub priority: Confidence,
    pub evidence: Vec<EvidenceRef>,
}

/// One key event on the incident's timeline.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct KeyEvent {
    /// RFC 3339 UTC, and the same as microseconds for sorting and charts.
    pub time: String,
    pub time_us: i64,
    /// `recon`, `access`, `privilege`, `data`, `exfiltration`,
    /// `persistence`, `anti_forensics`, `capture`.
    pub phase: String,
    pub what: String,
    pub evidence: EvidenceRef,
}

/// A root cause, with what would have prevented it (for the post-mortem).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct RootCause {
    /// `PHP execution allowed in the uploads directory`.
    pub cause: String,
    /// `Deny script execution under /uploads/ in the web server`.
    pub prevention: String,
    pub evidence: Vec<EvidenceRef>,
}

/// A finding, ranked, for the report (log and file findings alike).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RankedFinding {
    pub rule: String,
    pub severity: Severity,
    pub title: String,
    pub explanation: String,
    pub evidence: Vec<EvidenceRef>,
}

/// An evidence item as the investigation read it.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct EvidenceItem {
    /// As given.
    pub path: String,
    /// `archive` or `directory`.
    pub kind: String,
    /// The host it was captured from (acquisition.json), if known.
    pub host: Option<String>,
    /// Capture time, RFC 3339 UTC (archives), if known.
    pub captured_at: Option<String>,
    /// Its role: `baseline`, `incident`, `only`.
    pub role: String,
}

/// What the evidence cannot show.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Gap {
    pub what: String,
    pub evidence: Vec<EvidenceRef>,
}

/// The investigation: `exhibit investigate --json`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Investigation {
    pub answers: Answers,
    pub credentials: Vec<Credential>,
    /// The key events, in time order.
    pub timeline: Vec<KeyEvent>,
    /// Overall: how well the evidence supports the answers together.
    pub confidence: Option<Confidence>,
    pub gaps: Vec<Gap>,
    pub evidence: Vec<EvidenceItem>,
    pub actors: Vec<Actor>,
    pub root_causes: Vec<RootCause>,
    pub findings: Vec<RankedFinding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leak: Option<LeakReport>,
    /// What could not be read, and assumptions made.
    pub notes: Vec<String>,
    /// Files the investigation read whose bytes are not the ones their
    /// archive sealed (log files, files behind findings, configuration
    /// read for the answers): evidence drawn from them may be altered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub altered: Vec<AlteredContent>,
}

/// A file whose content, as read, does not match its archive's sealed
/// manifest.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct AlteredContent {
    /// The archive (as given).
    pub snapshot: String,
    /// Logical path in it.
    pub path: String,
    /// What differs.
    pub detail: String,
}

impl AlteredContent {
    /// The entry of `altered` for an evidence reference's file, if its
    /// content is not the sealed content.
    pub fn find<'a>(altered: &'a [AlteredContent], r: &EvidenceRef) -> Option<&'a Self> {
        altered
            .iter()
            .find(|a| a.path == r.path && a.snapshot == r.snapshot)
    }

    /// The entries as (`archive:path`, what differs), as the integrity
    /// banners list files.
    pub fn lines(altered: &[AlteredContent]) -> Vec<(String, String)> {
        altered
            .iter()
            .map(|a| (format!("{}:{}", a.snapshot, a.path), a.detail.clone()))
            .collect()
    }
}

/// A failure that stops the investigation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvestigateError {
    #[error("no evidence given")]
    NoEvidence,
    #[error("cannot open evidence: {0}")]
    Evidence(String),
    #[error(transparent)]
    Leak(#[from] crate::leak::LeakError),
    #[error(transparent)]
    Yara(#[from] crate::detect::yara::YaraError),
    #[error("cancelled")]
    Cancelled,
}
