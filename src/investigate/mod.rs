//! The investigation (`exhibit investigate`): from the evidence to the
//! answers the breach guides ask for — how and when the attacker got in,
//! what was taken, who, what was erased and left behind, whose credentials
//! to reset — each with the evidence behind it and how sure it is. It reads
//! through the modules that already understand the evidence (`snapshot`,
//! `diff` and `detect::files` as `examine` runs them, `logs`,
//! `detect::logs`, `leak`) and re-parses nothing.
//!
//! [`evidence`] opens and groups the snapshots, [`analyze`] turns findings,
//! changes and events into answers, [`secrets`] holds the small pure
//! readers (secret variable names, key fingerprints, shell commands) and
//! the credentials CSV.

pub mod analyze;
pub mod evidence;
pub mod model;
pub mod secrets;

pub use model::*;
pub use secrets::write_credentials_csv;

use crate::detect::files::{self, HashSets};
use crate::detect::ioc;
use crate::job::{CancelToken, Progress, ProgressSink};
use crate::logs::load::{LoadRequest, LogStore, load};
use analyze::{HostResult, Inputs};

/// Investigate the evidence.
pub fn investigate(
    req: &InvestigateRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<Investigation, InvestigateError> {
    if req.evidence.is_empty() {
        return Err(InvestigateError::NoEvidence);
    }
    let mut notes: Vec<String> = Vec::new();
    let hosts = evidence::open_all(&req.evidence, progress, cancel, &mut notes)?;
    let check = || {
        if cancel.is_cancelled() {
            Err(InvestigateError::Cancelled)
        } else {
            Ok(())
        }
    };
    check()?;

    // Files: baseline → latest changes and their findings, or a scan.
    progress.update(&Progress {
        phase: "judging files",
        ..Progress::default()
    });
    let ruleset = crate::detect::ruleset::RuleSet::load(req.rules_dir.as_deref())
        .map_err(|e| InvestigateError::Evidence(e.to_string()))?;
    let rules = &ruleset.files;
    let hash_sets = HashSets::default();
    let mut results = Vec::new();
    for h in &hosts {
        let mut r = match (h.baseline(), h.latest()) {
            (Some(old), Some(new)) => {
                let changes = crate::diff::compare(&old.snapshot, &new.snapshot);
                let findings =
                    files::on_diff(&old.snapshot, &new.snapshot, &changes, rules, &hash_sets);
                HostResult { changes, findings }
            }
            (None, Some(only)) => HostResult {
                changes: Vec::new(),
                findings: files::on_snapshot(&only.snapshot, rules, &hash_sets),
            },
            _ => HostResult {
                changes: Vec::new(),
                findings: Vec::new(),
            },
        };
        if !req.ioc.is_empty() {
            let more = match (h.baseline(), h.latest()) {
                (Some(old), Some(new)) => ioc::files::on_diff(
                    &old.snapshot,
                    &new.snapshot,
                    &r.changes,
                    &req.ioc,
                    progress,
                    cancel,
                ),
                (None, Some(only)) => {
                    ioc::files::on_snapshot(&only.snapshot, &req.ioc, progress, cancel)
                }
                _ => Vec::new(),
            };
            ioc::files::merge(&mut r.findings, more);
        }
        results.push(r);
        check()?;
    }

    // Logs: the latest snapshot of each host (the baselines' logs are read
    // only to date rewritten files).
    progress.update(&Progress {
        phase: "reading logs",
        ..Progress::default()
    });
    let latest: Vec<_> = hosts
        .iter()
        .filter_map(|h| h.latest().map(|s| s.path.clone()))
        .collect();
    let baselines: Vec<_> = hosts
        .iter()
        .filter_map(|h| h.baseline().map(|s| s.path.clone()))
        .collect();
    let load_logs = |sources: Vec<std::path::PathBuf>, notes: &mut Vec<String>| {
        if sources.is_empty() {
            return Ok(LogStore::default());
        }
        let lr = LoadRequest {
            sources,
            tz_offset_s: req.tz_offset_s,
            ..LoadRequest::default()
        };
        match load(&lr, progress, cancel) {
            Ok(s) => Ok(s),
            Err(crate::logs::load::LogError::Cancelled) => Err(InvestigateError::Cancelled),
            Err(e) => {
                notes.push(format!("logs could not be read: {e}"));
                Ok(LogStore::default())
            }
        }
    };
    let store = load_logs(latest, &mut notes)?;
    // The loader's assumptions (a year or zone inferred, lines cut) bear on
    // every time in the answers.
    for src in &store.sources {
        for n in src.notes.iter().take(3) {
            if notes.len() < 40 {
                notes.push(format!("{}: {n}", src.path));
            }
        }
    }
    check()?;
    let baseline_store = load_logs(baselines, &mut notes)?;
    check()?;
    progress.update(&Progress {
        phase: "running detections",
        ..Progress::default()
    });
    let mut log_findings = crate::detect::logs::run(&store, &ruleset.logs);
    log_findings.extend(ioc::logs::on_logs(&store, &req.ioc, cancel));
    check()?;

    // The leak sample, when given.
    let mut leak = None;
    if let Some(sample) = &req.leak {
        let lr = crate::leak::LeakRequest {
            sample: sample.clone(),
            evidence: req.evidence.clone(),
            format: req.leak_format,
            show_values: req.show_values,
        };
        match crate::leak::validate(&lr, progress, cancel) {
            Ok(r) => leak = Some(r),
            Err(crate::leak::LeakError::Cancelled) => return Err(InvestigateError::Cancelled),
            Err(e) => notes.push(format!("leak validation failed: {e}")),
        }
    }

    progress.update(&Progress {
        phase: "answering",
        ..Progress::default()
    });
    let inputs = Inputs {
        hosts: &hosts,
        results: &results,
        store: &store,
        log_findings: &log_findings,
        baseline_sources: &baseline_store.sources,
        leak: leak.as_ref(),
    };
    let mut inv = analyze::analyze(&inputs);
    inv.leak = leak;
    notes.append(&mut inv.notes);
    inv.notes = notes;
    Ok(inv)
}
