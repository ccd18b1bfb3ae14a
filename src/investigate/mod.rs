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
    // YARA rules that do not compile stop here, before anything is read.
    let yara_rules = if req.yara.is_empty() {
        None
    } else {
        Some(crate::detect::yara::YaraRules::compile(&req.yara)?)
    };
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
        let r = match (h.baseline(), h.latest()) {
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
        let mut r = r;
        if let (Some(y), Some(latest)) = (&yara_rules, h.latest()) {
            use crate::detect::yara;
            let scope = if h.baseline().is_some() {
                yara::Scope::Changes(&r.changes)
            } else {
                yara::Scope::All
            };
            let s = yara::scan(
                y,
                &latest.snapshot,
                scope,
                &req.yara,
                &hash_sets,
                progress,
                cancel,
            );
            r.findings.extend(s.findings);
            files::sort_findings(&mut r.findings);
            notes.extend(s.summary.notes());
        }
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
        let snaps: Vec<&crate::snapshot::Snapshot> = [h.latest(), h.baseline()]
            .into_iter()
            .flatten()
            .map(|s| &s.snapshot)
            .collect();
        files::mark_altered(&snaps, &mut r.findings, cancel);
        results.push(r);
        check()?;
    }

    // Logs: every snapshot of a host whose archives the log loader merges
    // line by line (each names the same host, `logs::merge`), as `exhibit
    // logs` reads them: each line is one event, older lines rotated away
    // before the incident are read, and the lines a later snapshot lost
    // reach the `erased_lines` detection. Otherwise (folders, archives
    // naming no host or different ones) only the latest snapshot: two
    // copies of a log would count each line twice. The baselines of those
    // hosts are read on their own only to date rewritten files.
    progress.update(&Progress {
        phase: "reading logs",
        ..Progress::default()
    });
    let mut latest = Vec::new();
    let mut baselines = Vec::new();
    for h in &hosts {
        if h.snaps.len() > 1 && merged_by_loader(h) {
            latest.extend(h.snaps.iter().map(|s| s.path.clone()));
            continue;
        }
        latest.extend(h.latest().map(|s| s.path.clone()));
        baselines.extend(h.baseline().map(|s| s.path.clone()));
    }
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
    // The baselines' sources: those read with their host's later
    // snapshots, and those read on their own.
    let mut baseline_sources = store.sources.clone();
    baseline_sources.extend(baseline_store.sources.iter().cloned());
    let inputs = Inputs {
        hosts: &hosts,
        results: &results,
        store: &store,
        log_findings: &log_findings,
        baseline_sources: &baseline_sources,
        leak: leak.as_ref(),
    };
    let mut inv = analyze::analyze(&inputs);
    inv.leak = leak;
    notes.append(&mut inv.notes);
    inv.notes = notes;
    inv.altered = altered_content(
        &hosts,
        &results,
        [&store, &baseline_store],
        inv.leak.as_ref(),
    );
    Ok(inv)
}

/// What the investigation read that is not what its archives sealed: the
/// log files whose bytes differ, the files behind findings marked
/// [`files::mark_altered`], the files read whole for the answers
/// (configuration, account databases) and the leak's sources whose bytes
/// differ.
fn altered_content(
    hosts: &[evidence::Host],
    results: &[HostResult],
    stores: [&LogStore; 2],
    leak: Option<&crate::leak::LeakReport>,
) -> Vec<model::AlteredContent> {
    let mut out = Vec::new();
    for s in leak.iter().flat_map(|l| l.sources.iter()) {
        if let Some(why) = &s.altered {
            out.push(model::AlteredContent {
                snapshot: s.snapshot.clone(),
                path: s.path.clone(),
                detail: why.clone(),
            });
        }
    }
    for store in stores {
        for s in store.altered_sources() {
            if let Some(crate::archive::checked::Integrity::Mismatch(why)) = &s.integrity {
                out.push(model::AlteredContent {
                    snapshot: s
                        .archive
                        .as_deref()
                        .map(|a| a.display().to_string())
                        .unwrap_or_default(),
                    path: s.path.clone(),
                    detail: why.clone(),
                });
            }
        }
    }
    for r in results {
        for f in &r.findings {
            if let Some(why) = &f.subject.altered {
                out.push(model::AlteredContent {
                    snapshot: f.subject.snapshot.clone(),
                    path: f.subject.path.clone(),
                    detail: why.clone(),
                });
            }
        }
    }
    for s in hosts.iter().flat_map(|h| h.snaps.iter()) {
        for (path, why) in s.snapshot.altered_reads() {
            out.push(model::AlteredContent {
                snapshot: s.snapshot.label.clone(),
                path,
                detail: why,
            });
        }
    }
    out.sort();
    out.dedup_by(|b, a| a.snapshot == b.snapshot && a.path == b.path);
    out
}

/// Whether the log loader merges the logs of all of a host's snapshots:
/// every one an archive naming the same host the way `logs::merge` reads it
/// (the acquisition's machine id or host name, else the captured
/// `/etc/machine-id` or `/etc/hostname`).
fn merged_by_loader(h: &evidence::Host) -> bool {
    let mut first: Option<String> = None;
    for s in &h.snaps {
        if s.snapshot.kind != crate::snapshot::SnapshotKind::Archive {
            return false;
        }
        let acq = crate::archive::Archive::open(&s.path)
            .ok()
            .and_then(|a| a.acquisition().ok());
        let Some(id) = crate::logs::merge::host_identity(acq.as_ref(), |p| {
            evidence::read_text(&s.snapshot, p, 256)
        }) else {
            return false;
        };
        match &first {
            Some(f) if *f != id => return false,
            Some(_) => {}
            None => first = Some(id),
        }
    }
    true
}
