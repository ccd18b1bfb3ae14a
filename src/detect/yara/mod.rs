//! YARA rules over evidence (`--yara DIR_OR_FILE`, docs/yara.md): the
//! examiner's rule files (and the starter set shipped in
//! `assets/rules/yara/`, named `builtin`) compiled once, then every file of
//! a snapshot with content — streamed from the archive's members into
//! memory, never extracted to disk — scanned on all cores.
//!
//! - A match is one [`Finding`] per file and rule: rule `yara.<name>`, the
//!   severity from the rule's `severity` or `score` meta (or
//!   [`DEFAULT_SEVERITY`]), and as evidence the rule's namespace, file,
//!   tags and meta (author, description, reference) and its matched strings
//!   with offsets and a short text or hex excerpt. The same facts, as data,
//!   are in [`YaraSummary::matches`].
//! - A file larger than the size cap ([`YaraRequest::max_file_bytes`]) is
//!   not scanned and is listed in [`YaraSummary::skipped`] with its size
//!   and the cap (so is a file that could not be read, or whose scan timed
//!   out): a file is never dropped silently.
//! - In a live capture the executables of the running processes
//!   (`exhibit/live/processes.json`: their paths and SHA-256) are found
//!   among the captured files, by path or by content hash, and always
//!   scanned; a match on one says which process runs it, and executables
//!   with no captured copy are listed in [`YaraSummary::processes`].
//!
//! The engine is yara-x (`engine`, cargo feature `yara`); a build without
//! it still parses the options and answers [`YaraError::NotBuilt`].

#[cfg(feature = "yara")]
mod engine;
pub mod excerpt;
pub mod sources;

use crate::capture::live::processes::{Process, ProcessesDoc};
use crate::detect::files::{Finding, HashSets};
use crate::detect::{FileSubject, Severity};
use crate::diff::{Change, ChangeClass};
use crate::job::{CancelToken, Progress, ProgressSink};
use crate::snapshot::{Entry, Snapshot};
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

pub use sources::{BUILTIN, BUILTIN_NAME, RuleSource};

/// The severity of a match whose rule names none (no `severity` or `score`
/// meta): someone chose these rules to hunt with, so a hit matters.
pub const DEFAULT_SEVERITY: Severity = Severity::High;

/// A case folder's own rules: `<case>/yara/`, used by the workstation's
/// analysis screens with the examiner's YARA setting.
pub const CASE_FOLDER: &str = "yara";

/// The default size cap: larger files are listed as skipped, not scanned.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 128 << 20;

/// A scan of one file stops after this long (a pathological rule); the
/// file is then listed as skipped with the reason.
pub const SCAN_TIMEOUT_SECS: u64 = 60;

/// Matched strings kept per finding (each with up to this many offsets).
#[cfg_attr(not(feature = "yara"), allow(dead_code))]
const STRINGS_SHOWN: usize = 8;
#[cfg_attr(not(feature = "yara"), allow(dead_code))]
const OFFSETS_PER_STRING: usize = 3;

/// What YARA should do, as the CLI and the GUI give it.
#[derive(Debug, Clone)]
pub struct YaraRequest {
    /// Rule files and folders of rule files (`*.yar`, `*.yara`, searched
    /// recursively), or [`BUILTIN_NAME`] for the starter set. Empty: no
    /// YARA.
    pub sources: Vec<PathBuf>,
    /// Files larger than this are not scanned (listed as skipped).
    pub max_file_bytes: u64,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
}

impl Default for YaraRequest {
    fn default() -> Self {
        Self {
            sources: Vec::new(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            threads: 0,
        }
    }
}

impl YaraRequest {
    /// True when no rules were asked for.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
}

/// Errors before any file is scanned: the rules could not be read or
/// compiled, or this build has no YARA.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum YaraError {
    #[error(
        "this build of exhibit has no YARA support (built without the `yara` feature, as the \
         static server build is); scan the evidence with the workstation build instead"
    )]
    NotBuilt,
    #[error("cannot read YARA rules: {0}: {1}")]
    Io(std::io::Error, PathBuf),
    #[error("no YARA rule files (*.yar, *.yara) in {0}")]
    NoRuleFiles(PathBuf),
    /// A rule that does not compile: where, and yara-x's own report.
    #[error("YARA rule does not compile: {message}: {file}:{line}")]
    Compile {
        message: String,
        file: String,
        line: usize,
        /// yara-x's full report, with the offending source line.
        report: String,
    },
}

/// Whether this build can scan with YARA.
pub const fn available() -> bool {
    cfg!(feature = "yara")
}

/// A compiled rule set, ready to scan many files.
pub struct YaraRules {
    #[cfg(feature = "yara")]
    compiled: engine::Compiled,
    /// The rule files compiled, as given (`builtin:NAME` for the starter set).
    pub files: Vec<String>,
    /// Rules compiled.
    pub rules: usize,
    /// Rules left out, with why (a module this build does not have).
    pub rules_skipped: Vec<String>,
    /// (namespace, rule file) of each file.
    namespaces: Vec<(String, String)>,
}

impl std::fmt::Debug for YaraRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YaraRules")
            .field("files", &self.files)
            .field("rules", &self.rules)
            .finish()
    }
}

impl YaraRules {
    /// Read and compile every rule file the request names. A rule that does
    /// not compile stops here, naming its file and line.
    pub fn compile(req: &YaraRequest) -> Result<Self, YaraError> {
        let files = sources::collect(&req.sources)?;
        Self::compile_sources(&files)
    }

    /// Compile rule texts already read.
    pub fn compile_sources(files: &[RuleSource]) -> Result<Self, YaraError> {
        #[cfg(feature = "yara")]
        {
            let namespaces = sources::namespaces(files);
            let (compiled, rules, rules_skipped) = engine::compile(files, &namespaces)?;
            Ok(Self {
                compiled,
                files: files.iter().map(|f| f.origin.clone()).collect(),
                rules,
                rules_skipped,
                namespaces: namespaces
                    .into_iter()
                    .zip(files.iter().map(|f| f.origin.clone()))
                    .collect(),
            })
        }
        #[cfg(not(feature = "yara"))]
        {
            let _ = files;
            Err(YaraError::NotBuilt)
        }
    }
}

#[cfg(feature = "yara")]
impl YaraRules {
    /// The names of the rules matching `data` (tests, benchmarks).
    pub fn matching_rules(&self, data: &[u8]) -> Result<Vec<String>, String> {
        let mut s = engine::FileScanner::new(&self.compiled);
        match s.scan(data, "") {
            Ok(hits) => Ok(hits.into_iter().map(|h| h.rule).collect()),
            Err(engine::ScanFailure::Timeout) => Err("timeout".into()),
            Err(engine::ScanFailure::Other(m)) => Err(m),
        }
    }
}

/// Which files of a snapshot to scan.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every file with content (a scan).
    All,
    /// The files a diff found new or changed in content, on the new side
    /// (`added`, `modified`, `type_changed`, `renamed`, and the log
    /// classes); the running executables are scanned either way.
    Changes(&'a [Change]),
}

/// A file that was not scanned, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SkippedFile {
    pub path: String,
    pub size_bytes: u64,
    /// `size_limit` (bigger than `max_file_bytes`), `unreadable` or
    /// `timeout`.
    pub reason: String,
    pub detail: String,
}

/// One matched string of a rule.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StringMatch {
    /// The pattern's identifier (`$a`).
    pub id: String,
    /// Every match of it in the file (the first ones are in `offsets`).
    pub count: usize,
    pub offsets: Vec<u64>,
    /// Length of the first match.
    pub length: usize,
    /// The first match as text (inert) when it is printable, else `None`.
    pub text: Option<String>,
    /// The first match's first bytes in hex.
    pub hex: String,
}

/// One rule matching one file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct YaraMatch {
    pub path: String,
    pub rule: String,
    pub namespace: String,
    /// The rule file it came from.
    pub rule_file: String,
    pub tags: Vec<String>,
    /// Every meta of the rule, in order, values as JSON.
    pub meta: Vec<(String, serde_json::Value)>,
    pub severity: Severity,
    pub strings: Vec<StringMatch>,
    /// The running processes whose executable this file is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<String>,
}

/// A running executable no copy of which was captured.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UncapturedExecutable {
    pub exe: String,
    pub sha256: Option<String>,
    /// `pid name` of each process running it.
    pub processes: Vec<String>,
}

/// The running processes' executables, in a live capture.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct ProcessCoverage {
    /// Distinct executables of the running processes.
    pub executables: usize,
    /// Of those, how many have a captured copy that was scanned.
    pub scanned: usize,
    pub not_captured: Vec<UncapturedExecutable>,
    /// Why the process list could not be read, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// What a YARA pass did: the rules, what was scanned, what was not.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct YaraSummary {
    pub rule_files: Vec<String>,
    pub rules: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules_skipped: Vec<String>,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub max_file_bytes: u64,
    pub duration_ms: u64,
    pub skipped: Vec<SkippedFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processes: Option<ProcessCoverage>,
    pub matches: Vec<YaraMatch>,
}

impl YaraSummary {
    /// One line for people: rules, files, bytes, time, skipped.
    pub fn line(&self) -> String {
        let mb = self.bytes_scanned as f64 / 1e6;
        let secs = (self.duration_ms as f64 / 1000.0).max(0.001);
        let mut s = format!(
            "{} rules from {} file(s); {} files ({:.1} MB) scanned in {:.1} s ({:.0} MB/s); {} match(es)",
            self.rules,
            self.rule_files.len(),
            self.files_scanned,
            mb,
            secs,
            mb / secs,
            self.matches.len(),
        );
        if !self.skipped.is_empty() {
            s.push_str(&format!("; {} file(s) NOT scanned", self.skipped.len()));
        }
        s
    }

    /// The notes a report should carry: skipped rules and files, uncaptured
    /// executables.
    pub fn notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.rules_skipped {
            out.push(format!("YARA rule not used: {r}"));
        }
        for s in &self.skipped {
            out.push(format!("YARA did not scan {} ({})", s.path, s.detail));
        }
        if let Some(p) = &self.processes {
            if let Some(e) = &p.problem {
                out.push(format!("YARA: running processes not read: {e}"));
            }
            for u in &p.not_captured {
                out.push(format!(
                    "YARA: running executable {} ({}) was not captured, so not scanned",
                    u.exe,
                    u.processes.join(", ")
                ));
            }
        }
        out
    }
}

/// A YARA pass over a snapshot: its findings and its summary.
#[derive(Debug, Clone)]
pub struct YaraScan {
    pub findings: Vec<Finding>,
    pub summary: YaraSummary,
}

/// What the engine reports for one rule on one file.
#[derive(Debug, Clone)]
pub(crate) struct RuleHit {
    pub rule: String,
    pub namespace: String,
    pub tags: Vec<String>,
    pub meta: Vec<(String, serde_json::Value)>,
    pub strings: Vec<StringMatch>,
}

/// What scanning one file gave (only the engine makes one).
#[derive(Debug)]
#[cfg_attr(not(feature = "yara"), allow(dead_code))]
pub(crate) enum Outcome {
    Scanned { bytes: u64, hits: Vec<RuleHit> },
    Skipped(SkippedFile),
}

/// Scan a snapshot's files. Findings on content a known-good hash set
/// lists are left out, as for every other file finding.
pub fn scan(
    rules: &YaraRules,
    snap: &Snapshot,
    scope: Scope<'_>,
    req: &YaraRequest,
    hash_sets: &HashSets,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> YaraScan {
    let t0 = Instant::now();
    let (procs, proc_problem) = running_processes(snap);
    let by_exe = ExeIndex::new(snap, &procs);
    let mut targets: Vec<&Entry> = match scope {
        Scope::All => snap.entries.iter().filter(|e| e.has_content()).collect(),
        Scope::Changes(changes) => changes
            .iter()
            .filter(|c| content_change(c.change))
            .filter_map(|c| snap.get(&c.path))
            .filter(|e| e.has_content())
            .collect(),
    };
    targets.extend(by_exe.entries.iter().filter_map(|p| snap.get(p)));
    targets.sort_by(|a, b| a.path.cmp(&b.path));
    targets.dedup_by(|b, a| a.path == b.path);

    let outcomes = scan_entries(rules, snap, &targets, req, progress, cancel);

    let changes = match scope {
        Scope::Changes(c) => Some(c),
        Scope::All => None,
    };
    let mut summary = YaraSummary {
        rule_files: rules.files.clone(),
        rules: rules.rules,
        rules_skipped: rules.rules_skipped.clone(),
        max_file_bytes: req.max_file_bytes,
        ..YaraSummary::default()
    };
    let mut findings = Vec::new();
    for (e, outcome) in targets.iter().zip(outcomes) {
        match outcome {
            None => summary.skipped.push(SkippedFile {
                path: e.path.clone(),
                size_bytes: e.size,
                reason: "cancelled".into(),
                detail: "the scan was cancelled before this file".into(),
            }),
            Some(Outcome::Skipped(s)) => summary.skipped.push(s),
            Some(Outcome::Scanned { bytes, hits }) => {
                summary.files_scanned += 1;
                summary.bytes_scanned += bytes;
                if hits.is_empty()
                    || e.sha256
                        .as_ref()
                        .is_some_and(|h| hash_sets.is_known_good(h))
                {
                    continue;
                }
                let running = by_exe.processes_of(e);
                for h in hits {
                    let m = to_match(rules, e, h, &running);
                    findings.push(finding(&m, e, changes, &snap.label));
                    summary.matches.push(m);
                }
            }
        }
    }
    if snap.kind == crate::snapshot::SnapshotKind::Archive
        && (proc_problem.is_some() || procs.is_some())
    {
        summary.processes = Some(by_exe.coverage(proc_problem, &summary.skipped));
    }
    summary.duration_ms = t0.elapsed().as_millis() as u64;
    YaraScan { findings, summary }
}

/// A change whose new side has new content to scan.
fn content_change(c: ChangeClass) -> bool {
    !matches!(c, ChangeClass::Removed | ChangeClass::Metadata)
}

/// Scan the entries on all cores: batches of files, one yara-x scanner per
/// batch (creating one costs more than scanning a small file).
fn scan_entries(
    rules: &YaraRules,
    snap: &Snapshot,
    targets: &[&Entry],
    req: &YaraRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Vec<Option<Outcome>> {
    let threads = if req.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        req.threads
    };
    let batches = batches(targets, req.max_file_bytes, threads);
    let total_bytes: u64 = targets.iter().map(|e| e.size.min(req.max_file_bytes)).sum();
    let done_files = std::sync::atomic::AtomicU64::new(0);
    let done_bytes = std::sync::atomic::AtomicU64::new(0);
    let report = |current: &str| {
        use std::sync::atomic::Ordering::Relaxed;
        progress.update(&Progress {
            phase: "YARA",
            files_done: done_files.load(Relaxed),
            files_total: Some(targets.len() as u64),
            bytes_done: done_bytes.load(Relaxed),
            bytes_total: Some(total_bytes),
            current: current.to_string(),
            warnings: 0,
        });
    };
    report("");
    let per_batch = crate::job::par_map(
        &batches,
        threads,
        cancel,
        |range: &std::ops::Range<usize>| {
            let batch = targets.get(range.clone()).unwrap_or_default();
            scan_batch(
                rules,
                snap,
                batch,
                req.max_file_bytes,
                cancel,
                &|e: &Entry, n| {
                    use std::sync::atomic::Ordering::Relaxed;
                    done_files.fetch_add(1, Relaxed);
                    done_bytes.fetch_add(n, Relaxed);
                    report(&e.path);
                },
            )
        },
        None,
    );
    let mut out: Vec<Option<Outcome>> = Vec::with_capacity(targets.len());
    for (range, r) in batches.iter().zip(per_batch) {
        match r {
            Some(v) => out.extend(v.into_iter().map(Some)),
            None => out.extend(range.clone().map(|_| None)),
        }
    }
    out
}

/// Consecutive runs of files, about `BATCH_BYTES` or `BATCH_FILES` each,
/// and at least four per worker when there are enough files.
fn batches(targets: &[&Entry], cap: u64, threads: usize) -> Vec<std::ops::Range<usize>> {
    const BATCH_FILES: usize = 256;
    let total: u64 = targets.iter().map(|e| e.size.min(cap)).sum();
    let batch_bytes = (total / (threads as u64 * 4).max(1)).clamp(1 << 20, 256 << 20);
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0usize, 0u64);
    for (i, e) in targets.iter().enumerate() {
        bytes += e.size.min(cap);
        if bytes >= batch_bytes || i + 1 - start >= BATCH_FILES {
            out.push(start..i + 1);
            start = i + 1;
            bytes = 0;
        }
    }
    if start < targets.len() {
        out.push(start..targets.len());
    }
    out
}

/// Scan one batch with one scanner, reading each file into one reused
/// buffer (at most the cap plus one byte).
#[cfg(feature = "yara")]
fn scan_batch(
    rules: &YaraRules,
    snap: &Snapshot,
    batch: &[&Entry],
    cap: u64,
    cancel: &CancelToken,
    done: &(dyn Fn(&Entry, u64) + Sync),
) -> Vec<Outcome> {
    let mut scanner = engine::FileScanner::new(&rules.compiled);
    let mut buf = Vec::new();
    let mut out = Vec::with_capacity(batch.len());
    for e in batch {
        if cancel.is_cancelled() {
            out.push(Outcome::Skipped(SkippedFile {
                path: e.path.clone(),
                size_bytes: e.size,
                reason: "cancelled".into(),
                detail: "the scan was cancelled before this file".into(),
            }));
            continue;
        }
        let o = scan_one(&mut scanner, snap, e, cap, &mut buf);
        done(
            e,
            if let Outcome::Scanned { bytes, .. } = &o {
                *bytes
            } else {
                0
            },
        );
        out.push(o);
    }
    out
}

#[cfg(not(feature = "yara"))]
fn scan_batch(
    _rules: &YaraRules,
    _snap: &Snapshot,
    _batch: &[&Entry],
    _cap: u64,
    _cancel: &CancelToken,
    _done: &(dyn Fn(&Entry, u64) + Sync),
) -> Vec<Outcome> {
    // `YaraRules` cannot be built without the feature.
    Vec::new()
}

#[cfg(feature = "yara")]
fn scan_one(
    scanner: &mut engine::FileScanner<'_>,
    snap: &Snapshot,
    e: &Entry,
    cap: u64,
    buf: &mut Vec<u8>,
) -> Outcome {
    use std::io::Read;
    let skipped = |reason: &str, detail: String| {
        Outcome::Skipped(SkippedFile {
            path: e.path.clone(),
            size_bytes: e.size,
            reason: reason.into(),
            detail,
        })
    };
    let over = |size: u64| {
        skipped(
            "size_limit",
            format!("{size} bytes, over the YARA size cap of {cap} bytes (--yara-max-size)"),
        )
    };
    if e.size > cap {
        return over(e.size);
    }
    buf.clear();
    let read = snap
        .open_content(e)
        .and_then(|r| r.take(cap + 1).read_to_end(buf));
    match read {
        Err(err) => skipped("unreadable", format!("content not readable: {err}")),
        Ok(n) if n as u64 > cap => over(n as u64),
        Ok(n) => match scanner.scan(buf, &e.path) {
            Ok(hits) => Outcome::Scanned {
                bytes: n as u64,
                hits,
            },
            Err(engine::ScanFailure::Timeout) => skipped(
                "timeout",
                format!("the scan took longer than {SCAN_TIMEOUT_SECS} s and was stopped"),
            ),
            Err(engine::ScanFailure::Other(m)) => skipped("error", format!("scan failed: {m}")),
        },
    }
}

/// The rule's severity from its meta: `severity` (a name, or a number read
/// as a score) or `score` (0–100: 80 critical, 60 high, 40 medium, 20 low),
/// else [`DEFAULT_SEVERITY`].
pub fn severity_of(meta: &[(String, serde_json::Value)]) -> Severity {
    let get = |k: &str| {
        meta.iter()
            .find(|(m, _)| m.eq_ignore_ascii_case(k))
            .map(|(_, v)| v)
    };
    let from_score = |n: f64| match n {
        n if n >= 80.0 => Severity::Critical,
        n if n >= 60.0 => Severity::High,
        n if n >= 40.0 => Severity::Medium,
        n if n >= 20.0 => Severity::Low,
        _ => Severity::Info,
    };
    if let Some(v) = get("severity") {
        if let Some(s) = v.as_str() {
            let named = match s.trim().to_ascii_lowercase().as_str() {
                "critical" | "crit" => Some(Severity::Critical),
                "high" | "alert" | "error" => Some(Severity::High),
                "medium" | "moderate" | "warning" | "warn" => Some(Severity::Medium),
                "low" => Some(Severity::Low),
                "info" | "informational" | "notice" => Some(Severity::Info),
                other => other.parse::<f64>().ok().map(from_score),
            };
            if let Some(s) = named {
                return s;
            }
        } else if let Some(n) = v.as_f64() {
            return from_score(n);
        }
    }
    if let Some(n) = get("score").and_then(|v| {
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    }) {
        return from_score(n);
    }
    DEFAULT_SEVERITY
}

fn meta_text(meta: &[(String, serde_json::Value)], key: &str) -> Option<String> {
    meta.iter()
        .find(|(m, _)| m.eq_ignore_ascii_case(key))
        .map(|(_, v)| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .filter(|s| !s.trim().is_empty())
}

fn to_match(rules: &YaraRules, e: &Entry, h: RuleHit, running: &[String]) -> YaraMatch {
    let rule_file = rules
        .namespaces
        .iter()
        .find(|(ns, _)| *ns == h.namespace)
        .map(|(_, f)| f.clone())
        .unwrap_or_default();
    YaraMatch {
        path: e.path.clone(),
        severity: severity_of(&h.meta),
        rule: h.rule,
        namespace: h.namespace,
        rule_file,
        tags: h.tags,
        meta: h.meta,
        strings: h.strings,
        processes: running.to_vec(),
    }
}

/// The finding for one match: what an analyst reads first.
fn finding(m: &YaraMatch, e: &Entry, changes: Option<&[Change]>, snapshot: &str) -> Finding {
    let description = meta_text(&m.meta, "description");
    let title = match &description {
        Some(d) => format!(
            "YARA rule {} matched: {}",
            m.rule,
            excerpt::inert_line(d, 120)
        ),
        None => format!("YARA rule {} matched", m.rule),
    };
    let mut explanation = format!(
        "The file's content matches the YARA rule {} ({}).",
        m.rule,
        if m.rule_file.is_empty() {
            m.namespace.clone()
        } else {
            m.rule_file.clone()
        }
    );
    if !m.processes.is_empty() {
        explanation.push_str(" It is the executable of a running process.");
    }
    let mut evidence = vec![format!(
        "rule: {}:{} ({})",
        m.namespace, m.rule, m.rule_file
    )];
    if !m.tags.is_empty() {
        evidence.push(format!("tags: {}", m.tags.join(", ")));
    }
    for key in ["author", "description", "reference", "date"] {
        if let Some(v) = meta_text(&m.meta, key) {
            evidence.push(format!("{key}: {}", excerpt::inert_line(&v, 200)));
        }
    }
    for s in &m.strings {
        evidence.push(excerpt::describe(s));
    }
    for p in &m.processes {
        evidence.push(format!("running: {p}"));
    }
    Finding {
        rule: format!("yara.{}", m.rule),
        severity: m.severity,
        title,
        explanation,
        subject: FileSubject {
            path: e.path.clone(),
            evidence,
            change: changes.and_then(|cs| {
                cs.binary_search_by(|c| c.path.as_str().cmp(&e.path))
                    .ok()
                    .and_then(|i| cs.get(i))
                    .map(|c| c.change)
            }),
            snapshot: snapshot.to_string(),
            altered: None,
        },
    }
}

/// The most bytes of `processes.json` read.
const MAX_PROCESSES_DOC: u64 = 256 << 20;

/// The running processes recorded in an archive's live response; `None`
/// without live response (or for a directory).
fn running_processes(snap: &Snapshot) -> (Option<Vec<Process>>, Option<String>) {
    let Some(a) = snap.archive() else {
        return (None, None);
    };
    let name = format!("{}processes.json", crate::archive::LIVE_DIR);
    if a.member(&format!("{}/{name}", a.stem)).is_none() {
        return (None, None);
    }
    match a.read_tag(&name, MAX_PROCESSES_DOC) {
        Ok(b) => match serde_json::from_slice::<ProcessesDoc>(&b) {
            Ok(d) => (Some(d.processes), None),
            Err(e) => (None, Some(format!("{name} does not parse: {e}"))),
        },
        Err(e) => (None, Some(format!("{name} not read: {e}"))),
    }
}

/// The running executables and their captured copies.
struct ExeIndex {
    /// Executable (as recorded) → `pid name` of its processes, with its hash.
    exes: Vec<(String, Option<String>, Vec<String>)>,
    /// Captured path → indices into `exes`.
    copies: HashMap<String, Vec<usize>>,
    /// Captured paths holding a running executable.
    entries: Vec<String>,
}

impl ExeIndex {
    fn new(snap: &Snapshot, procs: &Option<Vec<Process>>) -> Self {
        let mut by_exe: std::collections::BTreeMap<(String, Option<String>), Vec<String>> =
            Default::default();
        for p in procs.iter().flatten() {
            let Some(exe) = &p.exe else { continue };
            by_exe
                .entry((exe.clone(), p.exe_sha256.clone()))
                .or_default()
                .push(format!(
                    "pid {} ({}){}",
                    p.pid,
                    p.name.as_deref().unwrap_or("?"),
                    p.user
                        .as_deref()
                        .map(|u| format!(" as {u}"))
                        .unwrap_or_default()
                ));
        }
        let exes: Vec<_> = by_exe.into_iter().map(|((e, h), p)| (e, h, p)).collect();
        let mut copies: HashMap<String, Vec<usize>> = HashMap::new();
        if !exes.is_empty() {
            let mut by_hash: HashMap<[u8; 32], Vec<&str>> = HashMap::new();
            for e in snap.entries.iter().filter(|e| e.has_content()) {
                if let Some(h) = e.sha256 {
                    by_hash.entry(h).or_default().push(&e.path);
                }
            }
            for (i, (exe, hash, _)) in exes.iter().enumerate() {
                let path = exe.strip_suffix(" (deleted)").unwrap_or(exe);
                let want = hash.as_deref().and_then(|h| {
                    let mut b = [0u8; 32];
                    hex::decode_to_slice(h, &mut b).ok().map(|()| b)
                });
                let mut found: Vec<&str> = Vec::new();
                if let Some(e) = snap.get(path).filter(|e| e.has_content())
                    && (want.is_none() || e.sha256 == want)
                {
                    found.push(&e.path);
                }
                if let Some(h) = want {
                    found.extend(by_hash.get(&h).into_iter().flatten().copied());
                }
                found.sort_unstable();
                found.dedup();
                for f in found {
                    copies.entry(f.to_string()).or_default().push(i);
                }
            }
        }
        let mut entries: Vec<String> = copies.keys().cloned().collect();
        entries.sort();
        Self {
            exes,
            copies,
            entries,
        }
    }

    /// The processes running this file's content.
    fn processes_of(&self, e: &Entry) -> Vec<String> {
        self.copies
            .get(&e.path)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.exes.get(i))
            .flat_map(|(exe, _, p)| {
                p.iter().map(move |p| {
                    if exe.strip_suffix(" (deleted)").unwrap_or(exe) == e.path {
                        p.clone()
                    } else {
                        format!("{p}, started from {exe}")
                    }
                })
            })
            .collect()
    }

    fn coverage(&self, problem: Option<String>, skipped: &[SkippedFile]) -> ProcessCoverage {
        let mut scanned = vec![false; self.exes.len()];
        for (path, idx) in &self.copies {
            if skipped.iter().any(|s| &s.path == path) {
                continue;
            }
            for &i in idx {
                if let Some(s) = scanned.get_mut(i) {
                    *s = true;
                }
            }
        }
        let not_captured = self
            .exes
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.copies.values().any(|v| v.contains(i)))
            .map(|(_, (exe, h, p))| UncapturedExecutable {
                exe: exe.clone(),
                sha256: h.clone(),
                processes: p.clone(),
            })
            .collect();
        ProcessCoverage {
            executables: self.exes.len(),
            scanned: scanned.iter().filter(|s| **s).count(),
            not_captured,
            problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(pairs: &[(&str, serde_json::Value)]) -> Vec<(String, serde_json::Value)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn severity_from_meta_name_score_or_default() {
        assert_eq!(severity_of(&[]), DEFAULT_SEVERITY);
        assert_eq!(
            severity_of(&meta(&[("severity", json!("Critical"))])),
            Severity::Critical
        );
        assert_eq!(
            severity_of(&meta(&[("severity", json!("warning"))])),
            Severity::Medium
        );
        assert_eq!(
            severity_of(&meta(&[("score", json!(85))])),
            Severity::Critical
        );
        assert_eq!(severity_of(&meta(&[("score", json!(60))])), Severity::High);
        assert_eq!(
            severity_of(&meta(&[("score", json!("45"))])),
            Severity::Medium
        );
        assert_eq!(severity_of(&meta(&[("score", json!(10))])), Severity::Info);
        // A named severity wins over a score; an unknown name falls back.
        assert_eq!(
            severity_of(&meta(&[("score", json!(90)), ("severity", json!("low"))])),
            Severity::Low
        );
        assert_eq!(
            severity_of(&meta(&[("severity", json!("bogus")), ("score", json!(45))])),
            Severity::Medium
        );
    }

    #[test]
    fn batches_cover_every_file_once_in_order() {
        let entries: Vec<Entry> = (0..1000)
            .map(|i| Entry::file(&format!("/f{i:04}"), (i % 7) as u64 * 300_000, [0; 32]))
            .collect();
        let refs: Vec<&Entry> = entries.iter().collect();
        let b = batches(&refs, 1 << 20, 2);
        assert!(b.len() >= 8, "{}", b.len());
        let mut next = 0;
        for r in &b {
            assert_eq!(r.start, next);
            assert!(r.end > r.start);
            next = r.end;
        }
        assert_eq!(next, refs.len());
        assert!(batches(&[], 1, 2).is_empty());
    }

    #[test]
    fn without_the_feature_compiling_says_so() {
        let r = YaraRules::compile_sources(&[RuleSource {
            origin: "t.yar".into(),
            text: "rule t { condition: true }".into(),
            dir: None,
        }]);
        if available() {
            assert!(r.is_ok(), "{r:?}");
        } else {
            let e = r.unwrap_err();
            assert!(matches!(e, YaraError::NotBuilt));
            assert!(e.to_string().contains("no YARA support"), "{e}");
        }
    }
}
