//! The investigation report (`exhibit report`): the answers of
//! `investigate::investigate` for people who do not run Exhibit, as one
//! self-contained HTML page (inline CSS and SVG, no script, no external
//! resource; it prints to PDF with a page break before each major section)
//! or as Markdown. It holds the case header, the evidence with its
//! verification and custody status computed now ([`evidence_status`]), the
//! answers with their evidence, the ranked findings, a timeline excerpt with
//! a chart of events per phase, the leak validation, the credentials to
//! reset, the incident checklist and a post-mortem draft ([`post_mortem`])
//! prefilled from the evidence for the team to edit. Every string that comes
//! from the evidence is escaped, by [`super::escape`] in HTML and by
//! [`md_text`] / [`md_code`] in Markdown: nothing in the evidence is ever
//! rendered as markup.

use super::escape;
use crate::archive::Archive;
use crate::case::CaseInfo;
use crate::case::checklist::{Checklist, Status};
use crate::custody::SignatureStatus;
use crate::investigate::{Answer, Answers, Confidence, EvidenceRef, Investigation, KeyEvent};
use crate::job::{CancelToken, ProgressSink};
use crate::leak::{LeakReport, Verdict};
use crate::problem::ProblemKind;
use crate::tz::{DisplayZone, Precision};
use crate::verify::{self, VerifyRequest};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::Path;

/// Evidence lines shown under one answer, finding, actor or credential.
pub const MAX_EVIDENCE_LINES: usize = 25;
/// Rows of one table (findings, actors, credentials, sources...) at most.
pub const MAX_ROWS: usize = 500;
/// Key events listed in the timeline excerpt (the chart counts them all).
pub const MAX_TIMELINE_ROWS: usize = 300;
/// Characters of one piece of evidence text shown (the rest is cut, marked
/// with `…`): a report is read by people, the JSON keeps everything.
pub const MAX_TEXT_CHARS: usize = 600;

/// The report's sections, in order: (anchor id, heading). The HTML and the
/// Markdown show the same headings; the tests look for them.
pub const SECTIONS: &[(&str, &str)] = &[
    ("evidence", "Evidence"),
    ("answers", "Answers"),
    ("findings", "Findings"),
    ("timeline", "Timeline"),
    ("leak", "Leak validation"),
    ("credentials", "Credentials to reset"),
    ("actors", "Actors"),
    ("gaps", "Gaps and notes"),
    ("checklist", "Incident checklist"),
    ("post-mortem", "Post-mortem draft"),
];

/// The answers in the order the report shows them, with their headings.
fn answers_in_order(a: &Answers) -> [(&'static str, &'static str, &Answer); 9] {
    [
        ("how", "How the attacker got in", &a.how),
        ("when", "When", &a.when),
        ("systems", "Systems touched", &a.systems),
        ("first_access", "First access to the data", &a.first_access),
        ("taken", "What was taken", &a.taken),
        ("exposure", "Exposure window", &a.exposure),
        ("who", "Who", &a.who),
        ("erased", "What was erased", &a.erased),
        ("left_behind", "What was left behind", &a.left_behind),
    ]
}

/// An evidence item's state as checked when the report was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// Every check passed.
    Intact,
    /// Verification found problems (`problems` counts them).
    Failed,
    /// A folder: there is nothing sealed to check.
    NotAnArchive,
    /// The archive could not be read at all (`error` says why).
    #[default]
    Unreadable,
}

impl Verification {
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Intact => "intact",
            Verification::Failed => "failed",
            Verification::NotAnArchive => "not an archive",
            Verification::Unreadable => "unreadable",
        }
    }
}

/// The custody log beside an archive, as checked now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CustodyStatus {
    /// False when there is no custody log beside the archive.
    pub found: bool,
    pub events: u64,
    /// Events carrying a signature that verifies (trusted or not).
    pub signed: u64,
    /// Events signed by a key of the trust file (`--trust`).
    pub trusted: u64,
    /// The hash chain links every event to the one before and to the
    /// archive's SHA-256 (no chain, parse, order or archive-mismatch
    /// problem).
    pub chain_intact: bool,
    /// What the check proves, in one sentence (`verify`'s assurance).
    pub assurance: String,
}

/// One evidence item's status, computed when the report is made: what it
/// is, its SHA-256 now, who acquired it when, and whether it and its
/// custody log still check out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EvidenceStatus {
    /// The archive's (or folder's) file name.
    pub name: String,
    /// The path as given.
    pub path: String,
    /// `archive` or `directory`.
    pub kind: String,
    /// SHA-256 of the whole archive file, computed now.
    pub sha256: Option<String>,
    /// When the acquisition started and finished (acquisition.json, UTC).
    pub acquired_at: Option<String>,
    pub acquired_until: Option<String>,
    /// The examiner (and organisation) named in acquisition.json.
    pub examiner: Option<String>,
    /// The source host named in acquisition.json.
    pub host: Option<String>,
    pub case_id: Option<String>,
    pub evidence_id: Option<String>,
    pub verification: Verification,
    /// Problems verification found (custody problems included).
    pub problems: usize,
    /// Their kinds, sorted, distinct.
    pub problem_kinds: Vec<String>,
    pub custody: CustodyStatus,
    /// Why the archive could not be checked, when it could not.
    pub error: Option<String>,
}

/// Custody problems that break the chain itself (as opposed to a missing
/// or untrusted signature).
fn breaks_chain(kind: ProblemKind) -> bool {
    matches!(
        kind,
        ProblemKind::CustodyArchiveMismatch
            | ProblemKind::CustodyChainBroken
            | ProblemKind::CustodyEmpty
            | ProblemKind::CustodyNotSealed
            | ProblemKind::CustodyOrder
            | ProblemKind::CustodyParse
            | ProblemKind::CustodySeq
            | ProblemKind::CustodyTruncated
            | ProblemKind::CustodyUnreadable
    )
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Check one evidence item now: a folder is listed as such; an archive is
/// verified in full (`verify::verify`: structure, every member against the
/// manifests, the custody log beside it, with `trust` as the allowed
/// signers) and its acquisition record read. Never fails: what could not be
/// checked is the status (`unreadable`, with the reason in `error`).
pub fn evidence_status(
    path: &Path,
    trust: Option<&Path>,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> EvidenceStatus {
    let mut s = EvidenceStatus {
        name: file_name(path),
        path: path.display().to_string(),
        kind: "archive".into(),
        ..EvidenceStatus::default()
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            s.kind = "directory".into();
            s.verification = Verification::NotAnArchive;
            s.custody.assurance = "a folder has no seal and no custody log".into();
            return s;
        }
        Ok(_) => {}
        Err(e) => {
            s.error = Some(format!("cannot read: {e}"));
            return s;
        }
    }
    let req = VerifyRequest {
        archive: path.to_path_buf(),
        trust: trust.map(Path::to_path_buf),
        threads: 0,
        identity: None,
    };
    let report = match verify::verify(&req, progress, cancel) {
        Ok(r) => r,
        Err(e) => {
            s.error = Some(e.to_string());
            return s;
        }
    };
    s.sha256 = Some(report.sha256.clone());
    s.verification = if report.ok {
        Verification::Intact
    } else {
        Verification::Failed
    };
    s.problems = report.problems.len();
    let mut kinds: Vec<String> = report
        .problems
        .iter()
        .map(|p| p.kind.as_str().to_string())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    s.problem_kinds = kinds;
    let found = report.custody_log.is_some();
    let count = |f: fn(&SignatureStatus) -> bool| report.signatures.iter().filter(|x| f(x)).count();
    s.custody = CustodyStatus {
        found,
        events: report.checked.custody_events,
        signed: count(|x| x.status == "valid" || x.status == "untrusted") as u64,
        trusted: count(|x| x.status == "valid") as u64,
        chain_intact: found
            && report.checked.custody_events > 0
            && !report.problems.iter().any(|p| breaks_chain(p.kind)),
        assurance: report.custody_assurance.statement.clone(),
    };
    if let Ok(acq) = Archive::open(path).and_then(|a| a.acquisition()) {
        s.acquired_at = Some(acq.started_at.clone()).filter(|t| !t.is_empty());
        s.acquired_until = Some(acq.finished_at.clone()).filter(|t| !t.is_empty());
        let mut ex = acq.examiner.name.clone();
        if let Some(o) = acq
            .examiner
            .organisation
            .as_deref()
            .filter(|o| !o.is_empty())
        {
            let _ = write!(ex, " ({o})");
        }
        s.examiner = Some(ex).filter(|e| !e.is_empty());
        s.host = acq.host.hostname.clone();
        s.case_id = Some(acq.case.case_id.clone()).filter(|c| !c.is_empty());
        s.evidence_id = Some(acq.case.evidence_id.clone()).filter(|c| !c.is_empty());
    }
    s
}

/// What the report shows.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    pub investigation: &'a Investigation,
    /// Each evidence item's status, computed now ([`evidence_status`]).
    pub evidence_status: &'a [EvidenceStatus],
    /// The case (`case.json`), when the report is made for a case folder.
    pub case: Option<&'a CaseInfo>,
    /// The case's checklist; the default steps when `None`.
    pub checklist: Option<&'a Checklist>,
    /// When the report was made (RFC 3339 UTC).
    pub generated_at: &'a str,
}

/// The post-mortem draft, prefilled from the evidence: plain sentences for
/// the team to edit (escaped when rendered).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PostMortem {
    /// What happened: one sentence per answered question.
    pub description: Vec<String>,
    /// Lasting risks to users: the data taken, the credentials exposed.
    pub lasting_risks: Vec<String>,
    /// Immediate actions taken: the checklist's done steps.
    pub actions_taken: Vec<String>,
    /// Immediate actions still to take: the credentials to reset.
    pub actions_to_take: Vec<String>,
    /// Prevention: one item per root cause.
    pub prevention: Vec<String>,
}

/// Kinds of personal data, recognised by column name, and the risk their
/// exposure leaves users with: (name fragments, what, risk).
const DATA_KINDS: &[(&[&str], &str, &str)] = &[
    (
        &["mail"],
        "email addresses",
        "phishing and spam aimed at these users, made believable by the other leaked fields",
    ),
    (
        &["phone", "mobile", "tel", "msisdn"],
        "phone numbers",
        "SMS phishing, scam calls and SIM-swap attempts",
    ),
    (
        &["pass", "hash", "pwd", "secret"],
        "password hashes",
        "account takeover here and, for reused passwords, on other sites (credential stuffing)",
    ),
    (
        &["address", "street", "city", "zip", "postcode", "postal"],
        "postal addresses",
        "targeted fraud and physical risk",
    ),
    (
        &["birth", "dob", "ssn", "national", "passport", "tax"],
        "identity data",
        "identity theft",
    ),
    (
        &["card", "iban", "bank", "account_number", "cc_"],
        "payment data",
        "financial fraud",
    ),
    (
        &["name"],
        "names",
        "makes phishing and social engineering more convincing",
    ),
];

/// The data kinds a leak's columns hold, with the columns that show it.
fn data_kinds(leak: &LeakReport) -> Vec<(&'static str, &'static str, Vec<String>)> {
    let mut cols: Vec<String> = leak.sample.columns.clone();
    cols.extend(leak.columns.values().cloned());
    let mut out: Vec<(&'static str, &'static str, Vec<String>)> = Vec::new();
    let mut used = vec![false; cols.len()];
    for (frags, what, risk) in DATA_KINDS {
        let mut hits = Vec::new();
        for (i, c) in cols.iter().enumerate() {
            let lc = c.to_lowercase();
            if !used[i] && frags.iter().any(|f| lc.contains(f)) {
                used[i] = true;
                if !hits.contains(c) {
                    hits.push(c.clone());
                }
            }
        }
        if !hits.is_empty() {
            out.push((what, risk, hits));
        }
    }
    out
}

fn answered(a: &Answer) -> bool {
    a.confidence.is_some_and(|c| c > Confidence::None) && !a.summary.trim().is_empty()
}

/// Prefill the post-mortem draft from the investigation and the checklist.
pub fn post_mortem(inv: &Investigation, checklist: &Checklist) -> PostMortem {
    let mut pm = PostMortem::default();
    for (_, label, a) in answers_in_order(&inv.answers) {
        if answered(a) {
            pm.description
                .push(format!("{label}: {}", a.summary.trim()));
        }
    }
    if pm.description.is_empty() {
        pm.description.push(
            "The evidence does not answer how the incident happened yet: describe it here.".into(),
        );
    }

    if let Some(leak) = &inv.leak {
        if matches!(
            leak.verdict,
            Verdict::Genuine | Verdict::GenuineWithFabricatedRows
        ) {
            let records: u64 = leak.sources.iter().map(|s| s.records).max().unwrap_or(0);
            let n = records.max(leak.rows);
            for (what, risk, cols) in data_kinds(leak) {
                pm.lasting_risks.push(format!(
                    "{} ({}) of up to {n} records were exposed (the published sample holds {} rows, {} matched the evidence): {risk}.",
                    capitalise(what),
                    cols.join(", "),
                    leak.rows,
                    leak.matched
                ));
            }
            if pm.lasting_risks.is_empty() {
                pm.lasting_risks.push(format!(
                    "Records of up to {n} rows were exposed (the published sample holds {} rows, {} matched the evidence): say here what they hold and what that means for the people in them.",
                    leak.rows, leak.matched
                ));
            }
        } else {
            pm.lasting_risks.push(format!(
                "The published sample was not tied to these records (verdict: {}): the risk to users depends on where it came from.",
                leak.verdict.as_str()
            ));
        }
    }
    if answered(&inv.answers.taken) {
        pm.lasting_risks.push(format!(
            "Taken: {}: assume it stays in the attacker's hands.",
            clause(&inv.answers.taken.summary)
        ));
    }
    let mut by_kind: Vec<(&str, usize)> = Vec::new();
    for c in &inv.credentials {
        match by_kind.iter_mut().find(|(k, _)| *k == c.kind) {
            Some((_, n)) => *n += 1,
            None => by_kind.push((&c.kind, 1)),
        }
    }
    for (kind, n) in by_kind {
        let risk = match kind {
            "account" | "password_hash" => {
                "account takeover until the passwords are reset, and on other sites where users reused them"
            }
            "ssh_key" => {
                "whoever holds the keys can log in until they are removed from authorized_keys and replaced"
            }
            "secret" => "the API keys, tokens and passwords work for the attacker until rotated",
            "certificate" => "impersonation of the service until the certificates are revoked",
            _ => "misuse until they are rotated",
        };
        pm.lasting_risks
            .push(format!("{n} credential(s) of kind {kind} exposed: {risk}."));
    }
    if answered(&inv.answers.left_behind) {
        pm.lasting_risks.push(format!(
            "Left behind: {}: the attacker keeps access until it is removed.",
            clause(&inv.answers.left_behind.summary)
        ));
    }
    if pm.lasting_risks.is_empty() {
        pm.lasting_risks
            .push("No lasting risk could be derived from the evidence: assess it here.".into());
    }

    for s in checklist.steps.iter().filter(|s| s.status == Status::Done) {
        let mut line = s.title.clone();
        if !s.note.trim().is_empty() {
            let _ = write!(line, ": {}", s.note.trim());
        }
        let who_when: Vec<&str> = [s.owner.trim(), s.updated_at.trim()]
            .into_iter()
            .filter(|x| !x.is_empty())
            .collect();
        if !who_when.is_empty() {
            let _ = write!(line, " ({})", who_when.join(", "));
        }
        pm.actions_taken.push(line);
    }
    if pm.actions_taken.is_empty() {
        pm.actions_taken
            .push("No checklist step is marked done yet.".into());
    }
    for c in &inv.credentials {
        pm.actions_to_take.push(format!(
            "Reset the {} {} on {} (priority {}): {}.",
            c.kind.replace('_', " "),
            c.subject,
            if c.host.is_empty() { "?" } else { &c.host },
            c.priority.as_str(),
            clause(&c.reason)
        ));
    }

    for rc in &inv.root_causes {
        pm.prevention
            .push(format!("{} (root cause: {})", rc.prevention, rc.cause));
    }
    if pm.prevention.is_empty() {
        pm.prevention.push(
            "No root cause was established from the evidence: add the prevention items here."
                .into(),
        );
    }
    pm
}

/// A sentence as a clause of another: trimmed, without its final period.
fn clause(s: &str) -> &str {
    s.trim().trim_end_matches('.')
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// At most [`MAX_TEXT_CHARS`] characters, `…` marking a cut.
fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(MAX_TEXT_CHARS) {
        Some((at, _)) => format!("{}…", &s[..at]).into(),
        None => s.into(),
    }
}

fn confidence_text(c: Option<Confidence>) -> &'static str {
    c.unwrap_or_default().as_str()
}

/// `path:line`.
fn location(e: &EvidenceRef) -> String {
    match e.line {
        Some(l) => format!("{}:{l}", e.path),
        None => e.path.clone(),
    }
}

/// Phases in the order of an attack; others follow in name order.
const PHASES: &[(&str, &str)] = &[
    ("recon", "#6c8ebf"),
    ("access", "#d43f3a"),
    ("privilege", "#a0307a"),
    ("data", "#e08a00"),
    ("exfiltration", "#7a0010"),
    ("persistence", "#5a3fa0"),
    ("anti_forensics", "#444444"),
    ("capture", "#2e7d32"),
];
/// Lanes the chart draws at most (unknown phases beyond are counted in
/// `other`).
const MAX_LANES: usize = 12;
const CHART_BINS: usize = 24;

/// Events per phase in `CHART_BINS` equal slices of the incident's time.
struct Chart {
    lanes: Vec<(String, Vec<u64>)>,
    t0: i64,
    t1: i64,
    max: u64,
    /// Times of the `capture` events outside the attack's time range: not
    /// drawn (a capture days later would squeeze the attack into one
    /// column), named under the chart instead.
    captures_outside: Vec<i64>,
}

fn chart(inv: &Investigation) -> Option<Chart> {
    let all = &inv.timeline;
    let attack: Vec<&KeyEvent> = all.iter().filter(|e| e.phase != "capture").collect();
    let range: Vec<&KeyEvent> = if attack.is_empty() {
        all.iter().collect()
    } else {
        attack
    };
    let t0 = range.iter().map(|e| e.time_us).min()?;
    let t1 = range.iter().map(|e| e.time_us).max()?;
    let (ev, outside): (Vec<&KeyEvent>, Vec<&KeyEvent>) =
        all.iter().partition(|e| (t0..=t1).contains(&e.time_us));
    let captures_outside: Vec<i64> = outside.iter().map(|e| e.time_us).collect();
    let span = (t1 as i128 - t0 as i128).max(0);
    let bins = if span == 0 { 1 } else { CHART_BINS };
    let mut names: Vec<String> = PHASES.iter().map(|(p, _)| (*p).to_string()).collect();
    let mut others: Vec<String> = ev
        .iter()
        .map(|e| e.phase.clone())
        .filter(|p| !PHASES.iter().any(|(k, _)| k == p))
        .collect();
    others.sort();
    others.dedup();
    names.extend(others);
    let mut lanes: Vec<(String, Vec<u64>)> =
        names.into_iter().map(|n| (n, vec![0u64; bins])).collect();
    let mut other = vec![0u64; bins];
    for e in ev {
        let off = (e.time_us as i128 - t0 as i128).max(0);
        let b = if span == 0 {
            0
        } else {
            ((off * bins as i128 / (span + 1)) as usize).min(bins - 1)
        };
        match lanes.iter_mut().position(|(n, _)| *n == e.phase) {
            Some(i) if i < MAX_LANES => lanes[i].1[b] += 1,
            _ => other[b] += 1,
        }
    }
    lanes.truncate(MAX_LANES);
    if other.iter().any(|&c| c > 0) {
        lanes.push(("other".into(), other));
    }
    lanes.retain(|(_, c)| c.iter().any(|&x| x > 0));
    let max = lanes
        .iter()
        .flat_map(|(_, c)| c.iter().copied())
        .max()
        .unwrap_or(0);
    Some(Chart {
        lanes,
        t0,
        t1,
        max,
        captures_outside,
    })
}

fn phase_colour(p: &str) -> &'static str {
    PHASES
        .iter()
        .find(|(k, _)| *k == p)
        .map(|(_, c)| *c)
        .unwrap_or("#777777")
}

fn us_to_text(us: i64, zone: &DisplayZone) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| zone.format(t, Precision::Seconds))
        .unwrap_or_else(|| us.to_string())
}

/// The chart as inline SVG (no script, no link; phase names escaped).
fn chart_svg(c: &Chart, zone: &DisplayZone) -> String {
    const LEFT: usize = 130;
    const PLOT: usize = 760;
    const LANE: usize = 24;
    const TOP: usize = 8;
    let bins = c.lanes.first().map(|(_, v)| v.len()).unwrap_or(1).max(1);
    let height = TOP + LANE * c.lanes.len() + 40;
    let width = LEFT + PLOT + 10;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" \
         aria-label=\"Key events per phase over time\"><title>Key events per phase over time</title>"
    );
    let bw = PLOT as f64 / bins as f64;
    for (i, (name, counts)) in c.lanes.iter().enumerate() {
        let y = TOP + i * LANE;
        let _ = write!(
            s,
            "<text class=\"lane\" x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>\
             <line x1=\"{LEFT}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ddd\"/>",
            LEFT - 6,
            y + 16,
            escape(&short_label(name)),
            y + LANE,
            LEFT + PLOT,
            y + LANE
        );
        let colour = phase_colour(name);
        for (b, &n) in counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let x = LEFT as f64 + b as f64 * bw;
            let opacity = 0.35 + 0.65 * n as f64 / c.max.max(1) as f64;
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{}\" width=\"{:.1}\" height=\"{}\" fill=\"{colour}\" fill-opacity=\"{opacity:.2}\"><title>{}: {n}</title></rect>",
                x + 1.0,
                y + 3,
                (bw - 2.0).max(1.0),
                LANE - 6,
                escape(name)
            );
            if bw >= 16.0 {
                let _ = write!(
                    s,
                    "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#fff\">{n}</text>",
                    x + bw / 2.0,
                    y + 16
                );
            }
        }
    }
    let axis = TOP + LANE * c.lanes.len();
    let _ = write!(
        s,
        "<line x1=\"{LEFT}\" y1=\"{axis}\" x2=\"{}\" y2=\"{axis}\" stroke=\"#444\"/>\
         <text x=\"{LEFT}\" y=\"{}\" font-size=\"11\">{}</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
        LEFT + PLOT,
        axis + 16,
        escape(&us_to_text(c.t0, zone)),
        LEFT + PLOT,
        axis + 16,
        escape(&us_to_text(c.t1, zone)),
    );
    if bins > 1 {
        let slice_s = (c.t1 as i128 - c.t0 as i128) / bins as i128 / 1_000_000;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">each column: {}</text>",
            LEFT + PLOT / 2,
            axis + 32,
            escape(&duration_text(slice_s.max(1) as i64))
        );
    }
    s.push_str("</svg>");
    s
}

/// A lane label that fits the chart's label column.
fn short_label(name: &str) -> String {
    const MAX: usize = 18;
    if name.chars().count() <= MAX {
        name.to_string()
    } else {
        let head: String = name.chars().take(MAX - 1).collect();
        format!("{head}…")
    }
}

fn duration_text(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

const STYLE: &str = "body{max-width:1150px;margin:2em auto;padding:0 1em;line-height:1.4}\
h1{margin-bottom:.2em}h2{border-bottom:2px solid #333;padding-bottom:.2em;margin-top:2em}\
h3{margin:1.2em 0 .3em}.sub{color:#555;margin-top:0}\
table.meta td:first-child{width:14em;font-weight:bold}\
.hash{font-family:monospace;font-size:11px;word-break:break-all}\
table.items tbody.item{break-inside:avoid;page-break-inside:avoid}table.items td{overflow-wrap:anywhere}\
.ok{color:#1b5e20;font-weight:bold}.bad{color:#a00;font-weight:bold}.warn{color:#8a5a00;font-weight:bold}\
.conf{display:inline-block;padding:0 .5em;border-radius:3px;font-size:12px;border:1px solid #999}\
.conf-high{background:#1b5e20;color:#fff}.conf-medium{background:#f0ad4e}\
.conf-low{background:#d9edf7}.conf-none{background:#eee;color:#555}\
ul.ev{margin:.3em 0 .8em;padding-left:1.2em;font-size:13px}td.ev{font-size:13px}ul.ev li{margin:.15em 0}\
.ev code{background:#f4f4f4;padding:0 .2em}.muted{color:#666}\
.answer{border-left:4px solid #ccc;padding:.1em 0 .1em .8em;margin:1em 0}\
.answer h3{margin-top:.2em}.chart{max-width:100%;height:auto;margin:.5em 0 1em}\
.draft{border:1px dashed #999;padding:.2em 1em;margin:.6em 0;background:#fffef5}\
.legend span{display:inline-block;margin-right:1em;font-size:12px}\
@page{size:A4;margin:14mm}\
@media print{body{margin:0;max-width:none;padding:0;font-size:10pt}\
section.major{break-before:page;page-break-before:always}\
tr,li,.answer,svg{break-inside:avoid;page-break-inside:avoid}\
h2,h3{break-after:avoid;page-break-after:avoid}.draft{background:none}\
th{background:#eee!important;-webkit-print-color-adjust:exact;print-color-adjust:exact}\
.critical,.high,.medium,.low,.conf,rect{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

/// One HTML page being written, with the display zone for times.
struct Html {
    h: String,
    zone: DisplayZone,
    /// Files whose content is not the sealed content: their evidence lines
    /// carry the ALTERED mark.
    altered: Vec<crate::investigate::AlteredContent>,
}

impl Html {
    fn time(&self, t: &str) -> String {
        escape(&self.zone.format_stored(t, Precision::Seconds))
    }

    fn opt_time(&self, t: Option<&str>) -> String {
        t.map(|t| self.time(t)).unwrap_or_else(|| "—".into())
    }

    fn section(&mut self, id: &str, major: bool) {
        let title = SECTIONS
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, t)| *t)
            .unwrap_or(id);
        let _ = write!(
            self.h,
            "<section id=\"{id}\"{}><h2>{title}</h2>",
            if major { " class=\"major\"" } else { "" }
        );
    }

    fn conf(&mut self, c: Option<Confidence>) {
        let c = confidence_text(c);
        let _ = write!(
            self.h,
            "<span class=\"conf conf-{c}\">confidence: {c}</span>"
        );
    }

    fn evidence(&mut self, refs: &[EvidenceRef]) {
        if refs.is_empty() {
            return;
        }
        self.h.push_str("<ul class=\"ev\">");
        for e in refs.iter().take(MAX_EVIDENCE_LINES) {
            self.h.push_str("<li>");
            if let Some(a) = crate::investigate::AlteredContent::find(&self.altered, e) {
                let _ = write!(
                    self.h,
                    "<span class=\"altered\" title=\"{}\">ALTERED</span> ",
                    escape(&format!("{}: {}", super::MISMATCH_TEXT, a.detail))
                );
            }
            let _ = write!(
                self.h,
                "<code>{}</code> <code>{}</code>",
                escape(&e.snapshot),
                escape(&location(e))
            );
            if let Some(t) = &e.time {
                let _ = write!(self.h, " <span class=\"muted\">{}</span>", self.time(t));
            }
            if let Some(r) = &e.rule {
                let _ = write!(self.h, " <span class=\"muted\">[{}]</span>", escape(r));
            }
            let _ = write!(self.h, " — {}</li>", escape(&clip(&e.text)));
        }
        if refs.len() > MAX_EVIDENCE_LINES {
            let _ = write!(
                self.h,
                "<li class=\"muted\">{} more in <code>exhibit investigate --json</code></li>",
                refs.len() - MAX_EVIDENCE_LINES
            );
        }
        self.h.push_str("</ul>");
    }

    fn more(&mut self, total: usize, shown: usize) {
        if total > shown {
            let _ = write!(
                self.h,
                "<p class=\"muted\">{} more not shown: see <code>exhibit report --format json</code>.</p>",
                total - shown
            );
        }
    }

    fn list(&mut self, items: &[String], class: &str) {
        let _ = write!(self.h, "<ul class=\"{class}\">");
        for i in items {
            let _ = write!(self.h, "<li>{}</li>", escape(&clip(i)));
        }
        self.h.push_str("</ul>");
    }
}

fn verification_class(v: Verification) -> &'static str {
    match v {
        Verification::Intact => "ok",
        Verification::Failed | Verification::Unreadable => "bad",
        Verification::NotAnArchive => "warn",
    }
}

/// The custody status in words (`12 events, 3 signed, chain intact`).
fn custody_text(c: &CustodyStatus, kind: &str) -> (String, &'static str) {
    if kind == "directory" {
        return ("none (a folder)".into(), "warn");
    }
    if !c.found {
        return ("no custody log".into(), "bad");
    }
    let mut t = format!("{} events, {} signed", c.events, c.signed);
    if c.trusted > 0 {
        let _ = write!(t, " ({} by trusted keys)", c.trusted);
    }
    if c.chain_intact {
        t.push_str(", chain intact");
        (t, "ok")
    } else {
        t.push_str(", chain BROKEN");
        (t, "bad")
    }
}

fn zone_of(case: Option<&CaseInfo>) -> DisplayZone {
    case.map(|c| DisplayZone::parse_or_utc(&c.timezone))
        .unwrap_or_default()
}

/// Render the report as one self-contained HTML document. Long because it
/// is the page itself, written top to bottom as it reads.
pub fn render_html(input: &ReportInput<'_>) -> String {
    let inv = input.investigation;
    let default_checklist = Checklist::default();
    let checklist = input.checklist.unwrap_or(&default_checklist);
    let mut p = Html {
        h: String::with_capacity(64 << 10),
        zone: zone_of(input.case),
        altered: input.investigation.altered.clone(),
    };
    let title = match input.case {
        Some(c) if !c.title.trim().is_empty() => format!("Incident report – {}", c.title),
        Some(c) => format!("Incident report – {}", c.case_id),
        None => "Incident report".to_string(),
    };
    let _ = write!(
        p.h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{}</style></head><body>\n<header><h1>{}</h1>",
        escape(&title),
        super::base_css(STYLE),
        escape(&title)
    );
    let _ = write!(
        p.h,
        "<p class=\"sub\">Made by Exhibit {} on {}. Overall confidence: ",
        env!("CARGO_PKG_VERSION"),
        p.time(input.generated_at)
    );
    p.conf(inv.confidence);
    p.h.push_str("</p><table class=\"meta\">");
    let mut zone_name = p.zone.name();
    if let Some(c) = input.case
        && !c.timezone.trim().is_empty()
        && DisplayZone::parse(&c.timezone).is_err()
    {
        zone_name = format!(
            "{} is not a known time zone: times are shown in UTC",
            c.timezone
        );
    }
    let row = |h: &mut String, k: &str, v: &str| {
        let _ = write!(h, "<tr><td>{k}</td><td>{}</td></tr>", escape(v));
    };
    match input.case {
        Some(c) => {
            row(&mut p.h, "Case", &c.case_id);
            row(&mut p.h, "Title", &c.title);
            row(&mut p.h, "Organisation", &c.organisation);
            row(&mut p.h, "Examiner", &c.examiner);
            row(&mut p.h, "Time zone", &zone_name);
        }
        None => {
            row(&mut p.h, "Case", "no case folder given (--case)");
            row(&mut p.h, "Time zone", &zone_name);
        }
    }
    p.h.push_str("</table>\n<nav><b>Contents:</b> ");
    for (i, (id, t)) in SECTIONS.iter().enumerate() {
        let _ = write!(
            p.h,
            "{}<a href=\"#{id}\">{t}</a>",
            if i > 0 { " · " } else { "" }
        );
    }
    p.h.push_str("</nav></header>\n");

    // Evidence.
    p.section("evidence", false);
    p.h.push_str(
        "<p>Each item's SHA-256, verification and custody were computed when this report was made.</p>\
         <table class=\"items\"><tr><th>evidence</th><th>acquired</th><th>examiner</th>\
         <th>verification</th><th>custody</th></tr>",
    );
    for s in input.evidence_status.iter().take(MAX_ROWS) {
        let mut verification = s.verification.as_str().to_string();
        if s.problems > 0 {
            let _ = write!(
                verification,
                ": {} problem(s) ({})",
                s.problems,
                s.problem_kinds.join(", ")
            );
        }
        if let Some(e) = &s.error {
            let _ = write!(verification, ": {e}");
        }
        let (custody, cclass) = custody_text(&s.custody, &s.kind);
        let _ = write!(
            p.h,
            "<tbody class=\"item\"><tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td>\
             <td class=\"{}\">{}</td><td><span class=\"{cclass}\">{}</span><br><small class=\"muted\">{}</small></td></tr>\
             <tr><td colspan=\"5\">SHA-256 (now): <span class=\"hash\">{}</span></td></tr></tbody>",
            escape(&s.name),
            s.host
                .as_deref()
                .map(|h| format!("<br><small>host {}</small>", escape(h)))
                .unwrap_or_default(),
            p.opt_time(s.acquired_at.as_deref()),
            escape(s.examiner.as_deref().unwrap_or("—")),
            verification_class(s.verification),
            escape(&verification),
            escape(&custody),
            escape(&s.custody.assurance),
            escape(s.sha256.as_deref().unwrap_or("not computed"))
        );
    }
    p.h.push_str("</table>");
    p.more(input.evidence_status.len(), MAX_ROWS);
    if !inv.altered.is_empty() {
        let _ = write!(
            p.h,
            "<div class=\"altered-box\"><h3>{} file(s) read do not match the sealed manifest</h3>\
             <p>Evidence drawn from them (marked <span class=\"altered\">ALTERED</span> below) may have been altered.</p>\
             <table><tr><th>archive</th><th>file</th><th>what differs</th></tr>",
            inv.altered.len()
        );
        for a in inv.altered.iter().take(MAX_ROWS) {
            let _ = write!(
                p.h,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                escape(&a.snapshot),
                escape(&a.path),
                escape(&a.detail)
            );
        }
        p.h.push_str("</table></div>");
    }
    if !inv.evidence.is_empty() {
        p.h.push_str("<h3>The snapshots as the investigation read them</h3><table><tr><th>snapshot</th><th>kind</th><th>host</th><th>captured</th><th>role</th></tr>");
        for e in inv.evidence.iter().take(MAX_ROWS) {
            let _ = write!(
                p.h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&e.path),
                escape(&e.kind),
                escape(e.host.as_deref().unwrap_or("—")),
                p.opt_time(e.captured_at.as_deref()),
                escape(&e.role)
            );
        }
        p.h.push_str("</table>");
    }
    p.h.push_str("</section>\n");

    // Answers.
    p.section("answers", true);
    for (id, label, a) in answers_in_order(&inv.answers) {
        let _ = write!(p.h, "<div class=\"answer\" id=\"a-{id}\"><h3>{label} ");
        p.conf(a.confidence);
        let _ = write!(
            p.h,
            "</h3><p>{}</p>",
            if a.summary.trim().is_empty() {
                "The evidence does not answer this.".to_string()
            } else {
                escape(&clip(&a.summary))
            }
        );
        if !a.details.is_empty() {
            let details: Vec<String> = a.details.iter().take(MAX_ROWS).cloned().collect();
            p.list(&details, "details");
        }
        p.evidence(&a.evidence);
        p.h.push_str("</div>");
    }
    p.h.push_str("</section>\n");

    // Findings.
    p.section("findings", true);
    if inv.findings.is_empty() {
        p.h.push_str("<p>No findings.</p>");
    } else {
        p.h.push_str("<table><tr><th>#</th><th>severity</th><th>finding</th><th>evidence</th><th>rule</th></tr>");
        for (i, f) in inv.findings.iter().take(MAX_ROWS).enumerate() {
            let sev = f.severity.as_str();
            let _ = write!(
                p.h,
                "<tr><td>{}</td><td class=\"{sev}\">{sev}</td><td><b>{}</b><br>{}</td><td>",
                i + 1,
                escape(&clip(&f.title)),
                escape(&clip(&f.explanation))
            );
            p.evidence(&f.evidence);
            let _ = write!(p.h, "</td><td><code>{}</code></td></tr>", escape(&f.rule));
        }
        p.h.push_str("</table>");
        p.more(inv.findings.len(), MAX_ROWS);
    }
    p.h.push_str("</section>\n");

    // Timeline.
    p.section("timeline", true);
    match chart(inv) {
        Some(c) => {
            let _ = write!(
                p.h,
                "<p>{} key events; the chart counts them per phase from {} to {}.</p>",
                inv.timeline.len(),
                escape(&us_to_text(c.t0, &p.zone)),
                escape(&us_to_text(c.t1, &p.zone))
            );
            p.h.push_str(&chart_svg(&c, &p.zone));
            if let (Some(first), Some(last)) = (
                c.captures_outside.iter().min(),
                c.captures_outside.iter().max(),
            ) {
                let when = if first == last {
                    format!("at {}", us_to_text(*first, &p.zone))
                } else {
                    format!(
                        "from {} to {}",
                        us_to_text(*first, &p.zone),
                        us_to_text(*last, &p.zone)
                    )
                };
                let _ = write!(
                    p.h,
                    "<p class=\"muted\">Not drawn: {} evidence capture event(s) outside the attack's time range, {}.</p>",
                    c.captures_outside.len(),
                    escape(&when)
                );
            }
            p.h.push_str(
                "<table><tr><th>time</th><th>phase</th><th>what</th><th>evidence</th></tr>",
            );
            for e in inv.timeline.iter().take(MAX_TIMELINE_ROWS) {
                let _ = write!(
                    p.h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"ev\">",
                    p.time(&e.time),
                    escape(&e.phase),
                    escape(&clip(&e.what))
                );
                let _ = write!(
                    p.h,
                    "<code>{}</code> <code>{}</code> — {}</td></tr>",
                    escape(&e.evidence.snapshot),
                    escape(&location(&e.evidence)),
                    escape(&clip(&e.evidence.text))
                );
            }
            p.h.push_str("</table>");
            p.more(inv.timeline.len(), MAX_TIMELINE_ROWS);
        }
        None => p.h.push_str("<p>No key events.</p>"),
    }
    p.h.push_str("</section>\n");

    // Leak validation.
    p.section("leak", true);
    match &inv.leak {
        None => p.h.push_str(
            "<p>No published sample was given (<code>--leak SAMPLE</code>): nothing to validate.</p>",
        ),
        Some(l) => leak_html(&mut p, l),
    }
    p.h.push_str("</section>\n");

    // Credentials.
    p.section("credentials", true);
    if inv.credentials.is_empty() {
        p.h.push_str("<p>No credential to reset was found.</p>");
    } else {
        p.h.push_str("<p>The secrets themselves are never shown.</p><table><tr><th>priority</th><th>kind</th><th>what to rotate</th><th>host</th><th>why</th></tr>");
        for c in inv.credentials.iter().take(MAX_ROWS) {
            let _ = write!(
                p.h,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}",
                c.priority.as_str(),
                escape(&c.kind),
                escape(&c.subject),
                escape(&c.host),
                escape(&clip(&c.reason))
            );
            p.evidence(&c.evidence);
            p.h.push_str("</td></tr>");
        }
        p.h.push_str("</table>");
        p.more(inv.credentials.len(), MAX_ROWS);
    }
    p.h.push_str("</section>\n");

    // Actors.
    p.section("actors", true);
    if inv.actors.is_empty() {
        p.h.push_str("<p>No actor was identified.</p>");
    } else {
        p.h.push_str("<table><tr><th>score</th><th>kind</th><th>value</th><th>first</th><th>last</th><th>did</th></tr>");
        for a in inv.actors.iter().take(MAX_ROWS) {
            let did: Vec<String> = a.did.iter().take(MAX_ROWS).cloned().collect();
            let _ = write!(
                p.h,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>",
                a.score,
                escape(&a.kind),
                escape(&a.value),
                p.opt_time(a.first.as_deref()),
                p.opt_time(a.last.as_deref())
            );
            p.list(&did, "did");
            p.evidence(&a.evidence);
            p.h.push_str("</td></tr>");
        }
        p.h.push_str("</table>");
        p.more(inv.actors.len(), MAX_ROWS);
    }
    p.h.push_str("</section>\n");

    // Gaps and notes.
    p.section("gaps", true);
    if inv.gaps.is_empty() && inv.notes.is_empty() {
        p.h.push_str("<p>None recorded.</p>");
    }
    if !inv.gaps.is_empty() {
        p.h.push_str("<h3>What the evidence cannot show</h3>");
        for g in inv.gaps.iter().take(MAX_ROWS) {
            let _ = write!(p.h, "<p>{}</p>", escape(&clip(&g.what)));
            p.evidence(&g.evidence);
        }
    }
    if !inv.notes.is_empty() {
        p.h.push_str("<h3>Notes</h3>");
        let notes: Vec<String> = inv.notes.iter().take(MAX_ROWS).cloned().collect();
        p.list(&notes, "notes");
    }
    p.h.push_str("</section>\n");

    // Checklist.
    p.section("checklist", true);
    let (done, total) = checklist.progress();
    let _ = write!(
        p.h,
        "<p>{done} of {total} steps done or not applicable.</p>\
         <table><tr><th>step</th><th>status</th><th>owner</th><th>updated</th><th>note</th></tr>"
    );
    for s in checklist.steps.iter().take(MAX_ROWS) {
        let class = match s.status {
            Status::Done => "ok",
            Status::NotApplicable => "muted",
            Status::InProgress => "warn",
            Status::Open => "",
        };
        let _ = write!(
            p.h,
            "<tr><td><b>{}</b><br><small class=\"muted\">{}</small></td><td class=\"{class}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.title),
            escape(&s.guidance),
            s.status.as_str(),
            escape(&s.owner),
            if s.updated_at.is_empty() {
                String::new()
            } else {
                p.time(&s.updated_at)
            },
            escape(&s.note)
        );
    }
    p.h.push_str("</table></section>\n");

    // Post-mortem.
    let pm = post_mortem(inv, checklist);
    p.section("post-mortem", true);
    p.h.push_str(
        "<p class=\"muted\">A draft prefilled from the evidence, for the team to edit: \
         the boxes can be edited in the browser before printing (edits are not saved), \
         or edit <code>exhibit report --format md</code>.</p>",
    );
    let blocks: [(&str, &[String]); 4] = [
        ("Description", &pm.description),
        ("Lasting risks to users", &pm.lasting_risks),
        ("Immediate actions taken", &pm.actions_taken),
        ("Prevention", &pm.prevention),
    ];
    for (heading, items) in blocks {
        let _ = write!(
            p.h,
            "<h3>{heading}</h3><div class=\"draft\" contenteditable=\"true\">"
        );
        p.list(items, "pm");
        if heading == "Immediate actions taken" && !pm.actions_to_take.is_empty() {
            p.h.push_str("<p><b>Still to do: credentials to reset</b></p>");
            p.list(&pm.actions_to_take, "pm");
        }
        p.h.push_str("</div>");
    }
    p.h.push_str("</section>\n");
    let _ = writeln!(
        p.h,
        "<footer><p class=\"muted\">Generated by Exhibit {} on {}. Times are shown in {}.</p></footer></body></html>",
        env!("CARGO_PKG_VERSION"),
        escape(input.generated_at),
        escape(&p.zone.name())
    );
    p.h
}

fn leak_html(p: &mut Html, l: &LeakReport) {
    let class = match l.verdict {
        Verdict::Genuine | Verdict::GenuineWithFabricatedRows => "bad",
        Verdict::NotFromTheseRecords => "ok",
        Verdict::CannotTell => "warn",
    };
    let _ = write!(
        p.h,
        "<p>Verdict: <span class=\"{class}\" id=\"verdict\">{}</span></p>\
         <table class=\"meta\"><tr><td>sample</td><td><code>{}</code> ({})</td></tr>\
         <tr><td>sample SHA-256</td><td class=\"hash\">{}</td></tr>\
         <tr><td>rows</td><td>{}</td></tr><tr><td>matched</td><td>{}</td></tr>\
         <tr><td>partial</td><td>{}</td></tr><tr><td>fabricated</td><td>{}</td></tr>\
         <tr><td>candidate files read</td><td>{}</td></tr></table>",
        l.verdict.as_str(),
        escape(&l.sample.path),
        l.sample.format.map(|f| f.name()).unwrap_or("unknown"),
        escape(&l.sample.sha256),
        l.rows,
        l.matched,
        l.partial,
        l.fabricated.len(),
        l.candidates_read
    );
    if !l.reasons.is_empty() {
        p.h.push_str("<h3>Why</h3>");
        let reasons: Vec<String> = l.reasons.iter().take(MAX_ROWS).cloned().collect();
        p.list(&reasons, "reasons");
    }
    if !l.fabricated.is_empty() {
        let (lines, more) = l.fabricated_lines(MAX_ROWS);
        let _ = write!(
            p.h,
            "<p>Fabricated rows (sample lines): {lines}{}</p>",
            if more > 0 { " …" } else { "" }
        );
    }
    if !l.sources.is_empty() {
        p.h.push_str("<h3>Sources and who accessed them</h3><table><tr><th>source</th><th>records</th><th>matched rows</th><th>first seen</th><th>accessed by</th></tr>");
        for s in l.sources.iter().take(MAX_ROWS) {
            let _ = write!(
                p.h,
                "<tr><td>{}<code>{}</code> <code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td><td>",
                s.altered
                    .as_deref()
                    .map(super::altered_badge)
                    .unwrap_or_default(),
                escape(&s.snapshot),
                escape(&s.path),
                s.table
                    .as_deref()
                    .map(|t| format!(" table <code>{}</code>", escape(t)))
                    .unwrap_or_default(),
                s.records,
                s.matched_rows,
                p.opt_time(s.first_seen.as_deref())
            );
            if s.accessed_by.is_empty() {
                p.h.push_str("no access in the logs");
            } else {
                p.h.push_str("<ul class=\"ev\">");
                for a in s.accessed_by.iter().take(MAX_EVIDENCE_LINES) {
                    let who = a.ip.as_deref().or(a.user.as_deref()).unwrap_or("?");
                    let _ = write!(
                        p.h,
                        "<li><code>{}</code> {} ({} requests, {} bytes) {} – {} <span class=\"muted\">{}</span></li>",
                        escape(who),
                        escape(&a.how),
                        a.requests,
                        a.bytes,
                        p.opt_time(a.first.as_deref()),
                        p.opt_time(a.last.as_deref()),
                        escape(&a.evidence.join(", "))
                    );
                }
                p.h.push_str("</ul>");
            }
            p.h.push_str("</td></tr>");
        }
        p.h.push_str("</table>");
    }
    if !l.examples.is_empty() {
        p.h.push_str("<h3>Examples (masked unless asked)</h3><table><tr><th>line</th><th>state</th><th>values</th><th>source</th></tr>");
        for e in l.examples.iter().take(MAX_ROWS) {
            let values: Vec<String> = e.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = write!(
                p.h,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                e.line,
                escape(&e.state),
                escape(&clip(&values.join("; "))),
                escape(e.source.as_deref().unwrap_or(""))
            );
        }
        p.h.push_str("</table>");
    }
    if !l.notes.is_empty() {
        let notes: Vec<String> = l.notes.iter().take(MAX_ROWS).cloned().collect();
        p.list(&notes, "notes");
    }
}

/// Escape text for Markdown: one line (controls, line breaks and bidi
/// characters as visible escapes), every character Markdown could read as
/// syntax (`\`*_[]<>|` and the like) backslash-escaped, so evidence text
/// shows as written and is never emphasis, a link, an HTML tag or a table
/// cell border.
pub fn md_text(s: &str) -> String {
    let s = super::text::inert(&clip(s)).into_owned();
    let mut out = String::with_capacity(s.len() + 8);
    // A leading list marker, heading, quote or `1.` would start a block.
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    let after_digits = s.chars().nth(digits + 1);
    let numbered = digits > 0 && after_digits.is_none_or(|c| c == ' ' || c == '\t');
    for (i, c) in s.chars().enumerate() {
        let leading = (i == 0 && matches!(c, '-' | '+' | '=' | '.'))
            || (numbered && i == digits && matches!(c, '.' | ')'));
        if leading
            || matches!(
                c,
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#'
            )
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A Markdown code span holding `s` verbatim, whatever backticks it holds
/// (the fence is one backtick longer than the longest run inside), on one
/// line.
pub fn md_code(s: &str) -> String {
    let s = super::text::inert(&clip(s)).into_owned();
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || s.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// [`md_code`] for a table cell: `|` escaped too, which a table reads as
/// the end of the cell even inside a code span (GFM).
pub fn md_code_cell(s: &str) -> String {
    md_code(&s.replace('|', "\\|"))
}

struct Md {
    m: String,
    zone: DisplayZone,
    altered: Vec<crate::investigate::AlteredContent>,
}

impl Md {
    fn time(&self, t: &str) -> String {
        md_text(&self.zone.format_stored(t, Precision::Seconds))
    }

    fn opt_time(&self, t: Option<&str>) -> String {
        t.map(|t| self.time(t)).unwrap_or_else(|| "—".into())
    }

    fn section(&mut self, id: &str) {
        let title = SECTIONS
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, t)| *t)
            .unwrap_or(id);
        let _ = write!(self.m, "\n## {title}\n\n");
    }

    fn evidence(&mut self, refs: &[EvidenceRef], indent: &str) {
        for e in refs.iter().take(MAX_EVIDENCE_LINES) {
            let mark = if crate::investigate::AlteredContent::find(&self.altered, e).is_some() {
                "**ALTERED** "
            } else {
                ""
            };
            let _ = write!(
                self.m,
                "{indent}- {mark}{} {}",
                md_code(&e.snapshot),
                md_code(&location(e))
            );
            if let Some(t) = &e.time {
                let _ = write!(self.m, " {}", self.time(t));
            }
            if let Some(r) = &e.rule {
                let _ = write!(self.m, " \\[{}\\]", md_text(r));
            }
            let _ = writeln!(self.m, " — {}", md_code(&e.text));
        }
        if refs.len() > MAX_EVIDENCE_LINES {
            let _ = writeln!(
                self.m,
                "{indent}- {} more in `exhibit investigate --json`",
                refs.len() - MAX_EVIDENCE_LINES
            );
        }
    }

    fn list(&mut self, items: &[String]) {
        for i in items.iter().take(MAX_ROWS) {
            let _ = writeln!(self.m, "- {}", md_text(i));
        }
    }
}

/// Render the report as Markdown: the same sections as the HTML, evidence
/// text escaped ([`md_text`]) or in safe code spans ([`md_code`]). Long for
/// the same reason as [`render_html`]: the document, top to bottom.
pub fn render_markdown(input: &ReportInput<'_>) -> String {
    let inv = input.investigation;
    let default_checklist = Checklist::default();
    let checklist = input.checklist.unwrap_or(&default_checklist);
    let mut p = Md {
        m: String::with_capacity(32 << 10),
        zone: zone_of(input.case),
        altered: inv.altered.clone(),
    };
    let title = match input.case {
        Some(c) if !c.title.trim().is_empty() => md_text(&c.title),
        Some(c) => md_text(&c.case_id),
        None => String::new(),
    };
    let _ = writeln!(
        p.m,
        "# Incident report{}\n",
        if title.is_empty() {
            String::new()
        } else {
            format!(" – {title}")
        }
    );
    let _ = writeln!(
        p.m,
        "Made by Exhibit {} on {}. Overall confidence: **{}**.\n",
        env!("CARGO_PKG_VERSION"),
        p.time(input.generated_at),
        confidence_text(inv.confidence)
    );
    let zone_name = md_text(&p.zone.name());
    if let Some(c) = input.case {
        let _ = writeln!(
            p.m,
            "| | |\n|---|---|\n| Case | {} |\n| Title | {} |\n| Organisation | {} |\n| Examiner | {} |\n| Time zone | {zone_name} |",
            md_text(&c.case_id),
            md_text(&c.title),
            md_text(&c.organisation),
            md_text(&c.examiner)
        );
    } else {
        let _ = writeln!(
            p.m,
            "No case folder given (`--case`). Times are shown in {zone_name}."
        );
    }

    p.section("evidence");
    p.m.push_str("| evidence | SHA-256 (now) | acquired | examiner | verification | custody |\n|---|---|---|---|---|---|\n");
    for s in input.evidence_status.iter().take(MAX_ROWS) {
        let mut v = s.verification.as_str().to_string();
        if s.problems > 0 {
            let _ = write!(
                v,
                ": {} problem(s) ({})",
                s.problems,
                s.problem_kinds.join(", ")
            );
        }
        if let Some(e) = &s.error {
            let _ = write!(v, ": {e}");
        }
        let (custody, _) = custody_text(&s.custody, &s.kind);
        let _ = writeln!(
            p.m,
            "| {} | {} | {} | {} | {} | {} |",
            md_code_cell(&s.name),
            md_code_cell(s.sha256.as_deref().unwrap_or("—")),
            p.opt_time(s.acquired_at.as_deref()),
            md_text(s.examiner.as_deref().unwrap_or("—")),
            md_text(&v),
            md_text(&custody)
        );
    }

    if !inv.altered.is_empty() {
        let _ = writeln!(
            p.m,
            "\n**{} file(s) read do not match the sealed manifest**: evidence drawn from them (marked **ALTERED**) may have been altered.\n\n| archive | file | what differs |\n|---|---|---|",
            inv.altered.len()
        );
        for a in inv.altered.iter().take(MAX_ROWS) {
            let _ = writeln!(
                p.m,
                "| {} | {} | {} |",
                md_code_cell(&a.snapshot),
                md_code_cell(&a.path),
                md_text(&a.detail)
            );
        }
    }

    p.section("answers");
    for (_, label, a) in answers_in_order(&inv.answers) {
        let _ = writeln!(
            p.m,
            "### {label} (confidence: {})\n\n{}\n",
            confidence_text(a.confidence),
            if a.summary.trim().is_empty() {
                "The evidence does not answer this.".to_string()
            } else {
                md_text(&a.summary)
            }
        );
        p.list(&a.details);
        p.evidence(&a.evidence, "");
        p.m.push('\n');
    }

    p.section("findings");
    if inv.findings.is_empty() {
        p.m.push_str("No findings.\n");
    }
    for (i, f) in inv.findings.iter().take(MAX_ROWS).enumerate() {
        let _ = writeln!(
            p.m,
            "{}. **{}** {} ({}): {}",
            i + 1,
            f.severity.as_str(),
            md_text(&f.title),
            md_code(&f.rule),
            md_text(&f.explanation)
        );
        p.evidence(&f.evidence, "   ");
    }

    p.section("timeline");
    if inv.timeline.is_empty() {
        p.m.push_str("No key events.\n");
    } else {
        p.m.push_str("| time | phase | what | evidence |\n|---|---|---|---|\n");
        for e in inv.timeline.iter().take(MAX_TIMELINE_ROWS) {
            let _ = writeln!(
                p.m,
                "| {} | {} | {} | {} {} |",
                p.time(&e.time),
                md_text(&e.phase),
                md_text(&e.what),
                md_code_cell(&location(&e.evidence)),
                md_code_cell(&e.evidence.text)
            );
        }
    }

    p.section("leak");
    match &inv.leak {
        None => {
            p.m.push_str("No published sample was given (`--leak SAMPLE`): nothing to validate.\n")
        }
        Some(l) => {
            let _ = writeln!(
                p.m,
                "Verdict: **{}**\n\n- sample: {} (SHA-256 {})\n- rows: {}, matched: {}, partial: {}, fabricated: {}\n",
                l.verdict.as_str(),
                md_code(&l.sample.path),
                md_code(&l.sample.sha256),
                l.rows,
                l.matched,
                l.partial,
                l.fabricated.len()
            );
            if !l.reasons.is_empty() {
                p.m.push_str("### Why\n\n");
                p.list(&l.reasons);
            }
            if !l.fabricated.is_empty() {
                let (lines, more) = l.fabricated_lines(MAX_ROWS);
                let _ = writeln!(
                    p.m,
                    "\nFabricated rows (sample lines): {lines}{}",
                    if more > 0 { " …" } else { "" }
                );
            }
            if !l.sources.is_empty() {
                p.m.push_str("\n### Sources and who accessed them\n\n");
            }
            for s in l.sources.iter().take(MAX_ROWS) {
                let _ = writeln!(
                    p.m,
                    "- {}source {} {}{}: {} records, {} matched rows",
                    if s.altered.is_some() {
                        "**ALTERED** "
                    } else {
                        ""
                    },
                    md_code(&s.snapshot),
                    md_code(&s.path),
                    s.table
                        .as_deref()
                        .map(|t| format!(" table {}", md_code(t)))
                        .unwrap_or_default(),
                    s.records,
                    s.matched_rows
                );
                for a in s.accessed_by.iter().take(MAX_EVIDENCE_LINES) {
                    let _ = writeln!(
                        p.m,
                        "  - accessed by {} {} ({} requests) {} – {}",
                        md_code(a.ip.as_deref().or(a.user.as_deref()).unwrap_or("?")),
                        md_text(&a.how),
                        a.requests,
                        p.opt_time(a.first.as_deref()),
                        p.opt_time(a.last.as_deref())
                    );
                }
            }
            if !l.examples.is_empty() {
                p.m.push_str("\n### Examples (masked unless asked)\n\n");
            }
            for e in l.examples.iter().take(MAX_ROWS) {
                let values: Vec<String> =
                    e.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let _ = writeln!(
                    p.m,
                    "- example line {} ({}): {}",
                    e.line,
                    md_text(&e.state),
                    md_code(&values.join("; "))
                );
            }
        }
    }

    p.section("credentials");
    if inv.credentials.is_empty() {
        p.m.push_str("No credential to reset was found.\n");
    } else {
        p.m.push_str("| priority | kind | what to rotate | host | why |\n|---|---|---|---|---|\n");
        for c in inv.credentials.iter().take(MAX_ROWS) {
            let _ = writeln!(
                p.m,
                "| {} | {} | {} | {} | {} |",
                c.priority.as_str(),
                md_text(&c.kind),
                md_code_cell(&c.subject),
                md_text(&c.host),
                md_text(&c.reason)
            );
        }
    }

    p.section("actors");
    if inv.actors.is_empty() {
        p.m.push_str("No actor was identified.\n");
    }
    for a in inv.actors.iter().take(MAX_ROWS) {
        let _ = writeln!(
            p.m,
            "- {} {} (score {}, {} – {}): {}",
            md_text(&a.kind),
            md_code(&a.value),
            a.score,
            p.opt_time(a.first.as_deref()),
            p.opt_time(a.last.as_deref()),
            md_text(&a.did.join("; "))
        );
    }

    p.section("gaps");
    if inv.gaps.is_empty() && inv.notes.is_empty() {
        p.m.push_str("None recorded.\n");
    }
    for g in inv.gaps.iter().take(MAX_ROWS) {
        let _ = writeln!(p.m, "- {}", md_text(&g.what));
        p.evidence(&g.evidence, "  ");
    }
    p.list(&inv.notes);

    p.section("checklist");
    let (done, total) = checklist.progress();
    let _ = writeln!(
        p.m,
        "{done} of {total} steps done or not applicable.\n\n| step | status | owner | updated | note |\n|---|---|---|---|---|"
    );
    for s in checklist.steps.iter().take(MAX_ROWS) {
        let _ = writeln!(
            p.m,
            "| {} | {} | {} | {} | {} |",
            md_text(&s.title),
            s.status.as_str(),
            md_text(&s.owner),
            if s.updated_at.is_empty() {
                String::new()
            } else {
                p.time(&s.updated_at)
            },
            md_text(&s.note)
        );
    }

    let pm = post_mortem(inv, checklist);
    p.section("post-mortem");
    p.m.push_str("_A draft prefilled from the evidence: edit it._\n");
    let blocks: [(&str, &[String]); 4] = [
        ("Description", &pm.description),
        ("Lasting risks to users", &pm.lasting_risks),
        ("Immediate actions taken", &pm.actions_taken),
        ("Prevention", &pm.prevention),
    ];
    for (heading, items) in blocks {
        let _ = writeln!(p.m, "\n### {heading}\n");
        p.list(items);
        if heading == "Immediate actions taken" && !pm.actions_to_take.is_empty() {
            p.m.push_str("\n**Still to do: credentials to reset**\n\n");
            p.list(&pm.actions_to_take);
        }
    }
    let _ = writeln!(
        p.m,
        "\n---\nGenerated by Exhibit {} on {}.",
        env!("CARGO_PKG_VERSION"),
        md_text(input.generated_at)
    );
    p.m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_syntax_and_code_spans_survive_backticks() {
        assert_eq!(md_text("*a*_[x](y)<b>|"), "\\*a\\*\\_\\[x\\](y)\\<b\\>\\|");
        assert_eq!(md_text("a\nb\u{202e}"), "a\\\\nb\\\\u{202e}");
        assert_eq!(md_text("- 1. x"), "\\- 1. x");
        assert_eq!(md_text("12. x &lt;"), "12\\. x \\&lt;");
        assert_eq!(md_text("203.0.113.9"), "203.0.113.9");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`x"), "`` `x ``");
        assert_eq!(md_code("a|b"), "`a|b`");
        assert_eq!(md_code_cell("a|b"), "`a\\|b`");
    }

    #[test]
    fn clip_cuts_on_a_character_boundary() {
        let long = "é".repeat(MAX_TEXT_CHARS + 5);
        let c = clip(&long);
        assert_eq!(c.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(c.ends_with('…'));
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn the_chart_counts_every_event_once() {
        let mut inv = Investigation::default();
        for (i, phase) in ["access", "access", "data", "weird"].iter().enumerate() {
            inv.timeline.push(crate::investigate::KeyEvent {
                time_us: 1_000_000 * i as i64 * 3600,
                phase: (*phase).into(),
                ..Default::default()
            });
        }
        inv.timeline.push(crate::investigate::KeyEvent {
            time_us: 1_000_000 * 86_400 * 3,
            phase: "capture".into(),
            ..Default::default()
        });
        let c = chart(&inv).expect("chart");
        let total: u64 = c.lanes.iter().flat_map(|(_, v)| v.iter()).sum();
        assert_eq!(total, 4);
        assert_eq!(c.lanes.len(), 3);
        assert_eq!(c.captures_outside, [1_000_000 * 86_400 * 3]);
        assert_eq!(c.t1, 1_000_000 * 3 * 3600);
        assert!(chart(&Investigation::default()).is_none());
    }
}
