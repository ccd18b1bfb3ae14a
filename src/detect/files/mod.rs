//! File findings (`detect::files`, the file half of the detection layer):
//! anomalies judged on a comparison or on a single snapshot.
//!
//! A [`Finding`] (the detection layer's one `Finding` with a
//! [`FileSubject`]) says which rule fired, how severe it is (the one
//! [`Severity`] scale of [`crate::detect`]), on which path, and
//! explains itself with evidence an analyst can check. Two kinds of logic
//! produce findings:
//!
//! - **rules as data** ([`rules`]): `assets/rules/*.toml`, embedded in the
//!   binary and overridable file by file from a user directory: path globs,
//!   change classes, entry types, mode bits, link targets, magic bytes,
//!   content patterns for small text files, size and entropy thresholds;
//! - **detectors** ([`detectors`]): logic that needs code (account files,
//!   package-manager hashes, timestamps, anti-forensics, hash sets), one per
//!   file, registered in one list.
//!
//! The same engine runs on a diff ([`on_diff`]: only what changed is judged)
//! and on one snapshot ([`scan`]: triage without a baseline). Known-good hash
//! sets suppress findings on files whose content they list.

pub mod detectors;
pub mod hashsets;
pub mod rules;

use crate::detect::{FileSubject, Severity};
use crate::diff::{Change, ChangeClass};
use crate::job::{CancelToken, ProgressSink};
use crate::snapshot::SnapshotInfo;
use crate::snapshot::{Entry, Snapshot, SnapshotError};
use serde::Serialize;
use std::path::PathBuf;

pub use hashsets::{HashSet, HashSets};
pub use rules::Rules;

/// One anomaly about a path, explained: the detection layer's
/// [`crate::detect::Finding`] with a [`FileSubject`].
pub type Finding = crate::detect::Finding<FileSubject>;

/// Errors loading rules or hash sets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FindingsError {
    #[error("bad rule file: {0}: {1}")]
    Rule(String, String),
    #[error("cannot read: {0}: {1}")]
    Io(std::io::Error, PathBuf),
    #[error("bad hash set ({0}): {1}")]
    HashSet(String, PathBuf),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Yara(#[from] crate::detect::yara::YaraError),
}

/// What the rules and detectors look at: the snapshot judged, the baseline
/// and the changes when there is one.
pub struct Context<'a> {
    pub new: &'a Snapshot,
    pub old: Option<&'a Snapshot>,
    /// `None` on a scan.
    pub changes: Option<&'a [Change]>,
    pub hash_sets: &'a HashSets,
}

/// One thing to judge: an entry (new side, or old side when removed) and its
/// change on a diff.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub entry: &'a Entry,
    /// The old entry at the same (or renamed-from) path, on a diff.
    pub old: Option<&'a Entry>,
    pub change: Option<&'a Change>,
    /// The snapshot holding `entry`.
    pub snapshot: &'a Snapshot,
}

impl<'a> Context<'a> {
    /// Every subject: on a diff the changed entries, on a scan all entries.
    /// Made one at a time as they are visited: a scan of millions of
    /// entries holds no list of them.
    pub fn subjects(&self) -> Box<dyn Iterator<Item = Subject<'a>> + 'a> {
        let new = self.new;
        match (self.changes, self.old) {
            (Some(changes), Some(old)) => Box::new(changes.iter().filter_map(move |c| {
                let old_path = c.renamed_from.as_deref().unwrap_or(&c.path);
                let o = old.get(old_path);
                match new.get(&c.path) {
                    Some(e) if c.change != ChangeClass::Removed => Some(Subject {
                        entry: e,
                        old: o,
                        change: Some(c),
                        snapshot: new,
                    }),
                    _ => o.map(|e| Subject {
                        entry: e,
                        old: Some(e),
                        change: Some(c),
                        snapshot: old,
                    }),
                }
            })),
            _ => Box::new(new.judged().map(move |e| Subject {
                entry: e,
                old: None,
                change: None,
                snapshot: new,
            })),
        }
    }

    /// A finding about a path in the judged snapshot.
    pub fn finding(
        &self,
        rule: &str,
        severity: Severity,
        path: &str,
        title: impl Into<String>,
        explanation: impl Into<String>,
        evidence: Vec<String>,
    ) -> Finding {
        Finding {
            rule: rule.to_string(),
            severity,
            title: title.into(),
            explanation: explanation.into(),
            subject: FileSubject {
                path: path.to_string(),
                evidence,
                change: self
                    .changes
                    .and_then(|cs| {
                        cs.binary_search_by(|c| c.path.as_str().cmp(path))
                            .ok()
                            .and_then(|i| cs.get(i))
                    })
                    .map(|c| c.change),
                snapshot: self.new.label.clone(),
                altered: None,
            },
        }
    }
}

/// Run every rule and detector on a diff's changes.
pub fn on_diff(
    old: &Snapshot,
    new: &Snapshot,
    changes: &[Change],
    rules: &Rules,
    hash_sets: &HashSets,
) -> Vec<Finding> {
    let ctx = Context {
        new,
        old: Some(old),
        changes: Some(changes),
        hash_sets,
    };
    run(&ctx, rules)
}

/// Run every rule and detector on one snapshot.
pub fn on_snapshot(snap: &Snapshot, rules: &Rules, hash_sets: &HashSets) -> Vec<Finding> {
    let ctx = Context {
        new: snap,
        old: None,
        changes: None,
        hash_sets,
    };
    run(&ctx, rules)
}

fn run(ctx: &Context<'_>, rules: &Rules) -> Vec<Finding> {
    let mut out = Vec::new();
    rules.apply(ctx, &mut out);
    for d in detectors::registry() {
        d.run(ctx, &[], &mut out);
    }
    // Files exactly as their package installed them are normal change:
    // findings on them drop to `low` and say why. A package's md5sums vouch
    // for content, never for mode, owner or capabilities: a finding about
    // those (a rule on mode bits, file capabilities, or any finding on a
    // change of metadata only) keeps its severity — `chmod u+s
    // /usr/bin/find` leaves the content as packaged.
    let mode_rules: std::collections::HashSet<&str> = rules
        .rules
        .iter()
        .filter(|r| r.judges_mode())
        .map(|r| r.id.as_str())
        .collect();
    let about_metadata = |f: &Finding| {
        mode_rules.contains(f.rule.as_str())
            || f.rule == detectors::capabilities::RULE
            || f.rule == detectors::shell_escape::RULE
            || f.subject.change == Some(crate::diff::ChangeClass::Metadata)
    };
    if out.iter().any(|f| f.severity > Severity::Low) {
        let index = detectors::dpkg::package_index(ctx.new);
        if !index.is_empty() {
            for f in out.iter_mut() {
                if f.severity <= Severity::Low
                    || f.rule.starts_with("packages.")
                    || f.rule == detectors::known_hashes::RULE_BAD
                    || about_metadata(f)
                {
                    continue;
                }
                if let (Some(l), Some(e)) =
                    (index.get(&f.subject.path), ctx.new.get(&f.subject.path))
                    && detectors::dpkg::md5_of(ctx.new, e) == Some(l.md5)
                {
                    f.subject.evidence.push(format!(
                        "content matches package {} ({}): rated low, as installed by the package manager",
                        l.package, l.list
                    ));
                    f.severity = Severity::Low;
                }
            }
        }
    }
    // Known-good content suppresses everything but known-bad matches.
    if !ctx.hash_sets.good.is_empty() {
        out.retain(|f| {
            f.rule == detectors::known_hashes::RULE_BAD
                || !ctx
                    .new
                    .get(&f.subject.path)
                    .and_then(|e| e.sha256)
                    .is_some_and(|h| ctx.hash_sets.is_known_good(&h))
        });
    }
    sort_findings(&mut out);
    out
}

/// The most content [`mark_altered`] reads back in one call; files beyond
/// it are left unmarked and counted in its result.
pub const MAX_ALTERED_CHECK_BYTES: u64 = 16 << 30;

/// What [`mark_altered`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlteredCheck {
    /// Files whose content was read back through the seal check.
    pub files_checked: u64,
    /// Findings marked as resting on altered content.
    pub findings_marked: u64,
    /// Files not checked: over [`MAX_ALTERED_CHECK_BYTES`], or cancelled.
    pub files_unchecked: u64,
}

/// Mark the findings that rest on altered content: the content of each
/// path a finding names is read back in full through the seal check
/// ([`crate::archive::checked`]) in every snapshot given (the judged one
/// and, on a diff, its baseline), and a finding whose file's bytes are not
/// the ones its archive sealed gets [`FileSubject::altered`] with what
/// differs (the first snapshot is the judged one; what differs in another
/// names it). The detectors read content for speed without the check (a
/// prefix, a sample); this pass is what keeps a finding's evidence from
/// being shown as trustworthy when it was read from altered bytes. Each
/// file is read once whatever the number of its findings, and only files
/// with a finding are read.
pub fn mark_altered(
    snapshots: &[&Snapshot],
    findings: &mut [Finding],
    cancel: &CancelToken,
) -> AlteredCheck {
    let mut done = AlteredCheck::default();
    let mut paths: Vec<&str> = findings.iter().map(|f| f.subject.path.as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    let mut budget = MAX_ALTERED_CHECK_BYTES;
    let mut altered: std::collections::HashMap<String, String> = Default::default();
    for path in paths {
        for (k, snap) in snapshots.iter().enumerate() {
            let Some(e) = snap.get(path) else { continue };
            if !e.has_content() || snap.archive().is_none() {
                continue;
            }
            // Read whole already by a detector and found altered: no need
            // to read it again.
            let why = match snap.altered_read(path) {
                Some(why) => Some(why),
                None if cancel.is_cancelled() || e.size > budget => {
                    done.files_unchecked += 1;
                    continue;
                }
                None => {
                    budget -= e.size;
                    done.files_checked += 1;
                    match snap.check_content(e) {
                        Some(crate::archive::checked::Integrity::Mismatch(why)) => Some(why),
                        _ => None,
                    }
                }
            };
            if let Some(why) = why {
                // The judged snapshot is the finding's own; another one
                // (a diff's baseline) is named.
                let note = if k == 0 {
                    why
                } else {
                    format!("in the baseline {}: {why}", snap.label)
                };
                altered
                    .entry(path.to_string())
                    .and_modify(|w| {
                        w.push_str("; ");
                        w.push_str(&note);
                    })
                    .or_insert(note);
            }
        }
    }
    for f in findings.iter_mut() {
        if let Some(why) = altered.get(&f.subject.path) {
            f.subject.altered = Some(why.clone());
            done.findings_marked += 1;
        }
    }
    done
}

/// Most severe first, then by path and rule; exact duplicates removed.
pub fn sort_findings(v: &mut Vec<Finding>) {
    v.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.subject.path.cmp(&b.subject.path))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    v.dedup_by(|b, a| a.rule == b.rule && a.subject.path == b.subject.path);
}

/// What to scan.
#[derive(Debug, Clone, Default)]
pub struct ScanRequest {
    /// An archive or a directory (read as a target root).
    pub snapshot: PathBuf,
    pub rules_dir: Option<PathBuf>,
    pub hash_sets: HashSets,
    /// YARA rules to run over every file's content (none by default).
    pub yara: crate::detect::yara::YaraRequest,
    /// Indicator lists (`--ioc`) matched against the snapshot's files.
    pub ioc: std::sync::Arc<crate::detect::ioc::IocSet>,
    /// Read an archive as a stream of windows of entries
    /// ([`crate::snapshot::partial::Windows`]) instead of holding them
    /// all: memory stays bounded whatever the number of entries, with the
    /// same findings. The CLI sets it. Ignored for a directory, with YARA
    /// or indicators (which read the whole snapshot), and for an archive
    /// whose records are not in path order.
    pub stream: bool,
    /// Entries a window holds at most when streaming (0: [`SCAN_WINDOW`]).
    pub window_entries: usize,
}

/// The findings on one snapshot.
#[derive(Debug, Serialize)]
pub struct ScanResult {
    pub snapshot: SnapshotInfo,
    pub findings: Vec<Finding>,
    /// What YARA scanned and skipped, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yara: Option<crate::detect::yara::YaraSummary>,
}

/// Entries a window of a streamed [`scan`] holds at most (about 230 bytes
/// each, so about 30 MB): larger windows save little time (10M entries
/// judged in 30 s with these, 34 s with four times as many entries a
/// window) and cost memory.
pub const SCAN_WINDOW: usize = 1 << 17;

/// Most rounds of [`scan_streamed`] before the archive is read whole.
const MAX_ROUNDS: usize = 8;

/// [`scan`] of an archive read as windows of consecutive entries: judge
/// each window's own entries with the entries earlier rounds fetched
/// beside them, fetch what the judging looked up outside its window, and
/// judge again until nothing new is asked for. `None` when the archive
/// cannot be read that way (records out of path order, or still asking
/// after [`MAX_ROUNDS`]).
fn scan_streamed(
    req: &ScanRequest,
    rules: &Rules,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<Option<ScanResult>, FindingsError> {
    use crate::snapshot::partial::{Fetched, Requests, Windows};
    let size = match req.window_entries {
        0 => SCAN_WINDOW,
        n => n,
    };
    let windows = Windows::new(&req.snapshot, size);
    let mut fetched = Fetched::default();
    // What the judging looks up whatever the entries (the account files,
    // the package lists) is fetched before the first round, so that most
    // archives are judged in one.
    let mut met = windows.probe(|snap| {
        on_snapshot(snap, rules, &req.hash_sets);
    })?;
    windows.fetch(&mut fetched, &met, cancel)?;
    for _ in 0..MAX_ROUNDS {
        let mut findings = Vec::new();
        let mut asked = Requests::default();
        let mut info = None;
        let totals = windows.each(&fetched, progress, cancel, |snap| {
            let mut found = on_snapshot(snap, rules, &req.hash_sets);
            mark_altered(&[snap], &mut found, cancel);
            findings.extend(found);
            asked.extend(snap.take_requests());
            info.get_or_insert_with(|| SnapshotInfo::of(snap));
        })?;
        let Some(totals) = totals else {
            return Ok(None);
        };
        let unmet = asked.unmet(&met);
        if unmet.is_empty() {
            sort_findings(&mut findings);
            let mut snapshot = info.unwrap_or(SnapshotInfo {
                label: totals.label.clone(),
                kind: crate::snapshot::SnapshotKind::Archive,
                entries: 0,
                taken_at: None,
                problems: Vec::new(),
            });
            snapshot.entries = totals.entries;
            snapshot.problems = totals.problems;
            snapshot.taken_at = totals.taken_at_ns.map(crate::snapshot::format_time);
            return Ok(Some(ScanResult {
                snapshot,
                findings,
                yara: None,
            }));
        }
        progress.update(&crate::job::Progress {
            phase: "reading the entries the judging looked up",
            ..Default::default()
        });
        windows.fetch(&mut fetched, &unmet, cancel)?;
        met.extend(unmet);
    }
    Ok(None)
}

/// Open a snapshot and find anomalies without a baseline.
pub fn scan(
    req: &ScanRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<ScanResult, FindingsError> {
    use crate::detect::yara;
    let rules = Rules::load(req.rules_dir.as_deref())?;
    // Rules that do not compile stop the scan before anything is read.
    let yara_rules = if req.yara.is_empty() {
        None
    } else {
        Some(yara::YaraRules::compile(&req.yara)?)
    };
    if req.stream
        && yara_rules.is_none()
        && req.ioc.is_empty()
        && req.snapshot.is_file()
        && let Some(r) = scan_streamed(req, &rules, progress, cancel)?
    {
        return Ok(r);
    }
    let snap = Snapshot::open(&req.snapshot, progress, cancel)?;
    let mut findings = on_snapshot(&snap, &rules, &req.hash_sets);
    let yara = yara_rules.map(|y| {
        let r = yara::scan(
            &y,
            &snap,
            yara::Scope::All,
            &req.yara,
            &req.hash_sets,
            progress,
            cancel,
        );
        findings.extend(r.findings);
        sort_findings(&mut findings);
        r.summary
    });
    if !req.ioc.is_empty() {
        let more = crate::detect::ioc::files::on_snapshot(&snap, &req.ioc, progress, cancel);
        crate::detect::ioc::files::merge(&mut findings, more);
    }
    mark_altered(&[&snap], &mut findings, cancel);
    Ok(ScanResult {
        snapshot: SnapshotInfo::of(&snap),
        findings,
        yara,
    })
}
