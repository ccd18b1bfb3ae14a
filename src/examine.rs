//! Examine snapshots: compare two and judge the changes.
//!
//! The comparison ([`crate::diff`]) only says what changed; the findings
//! engine ([`crate::detect::files`]) judges changes. [`diff`] opens both
//! snapshots ([`crate::snapshot`]), compares them, and runs the rules and
//! detectors on the changes, giving one [`DiffResult`] for the CLI's `diff`,
//! the workstation's Compare screen and the HTML report. Keeping this above
//! both means neither the comparison nor the findings depends on the other
//! the wrong way.

use crate::detect::files::{self, Finding, FindingsError, HashSets};
use crate::diff::{
    Change, ChangeClass, ContentDiff, ContentLimits, ScopeComparison, compare_scoped, content_diff,
};
use crate::job::{CancelToken, ProgressSink};
use crate::snapshot::{Snapshot, SnapshotError, SnapshotInfo};
use serde::Serialize;
use std::path::PathBuf;

/// What to compare and how.
#[derive(Debug, Clone, Default)]
pub struct DiffRequest {
    /// The baseline: an archive or a directory (read as a target root).
    pub old: PathBuf,
    /// The snapshot examined: an archive or a directory.
    pub new: PathBuf,
    /// Where to look for rule files overriding the built-in ones.
    pub rules_dir: Option<PathBuf>,
    /// Known-bad and known-good hash sets.
    pub hash_sets: HashSets,
    /// Skip the findings (changes only).
    pub no_findings: bool,
    /// YARA rules to run over the new and changed files (none by default).
    pub yara: crate::detect::yara::YaraRequest,
    /// Indicator lists (`--ioc`) matched against the newer snapshot.
    pub ioc: std::sync::Arc<crate::detect::ioc::IocSet>,
    /// Read two archives side by side and hold only the entries the
    /// comparison reads ([`crate::snapshot::partial`]): memory grows with
    /// the differences, not the entries. Same result; the snapshots kept in
    /// the result then hold only those entries. The CLI sets it; the
    /// workstation, which browses whole snapshots, does not. Ignored for
    /// directories, with `ioc` (matched against every entry), and for an
    /// archive whose records are not in path order.
    pub stream: bool,
}

/// The comparison: every change sorted by path, and the findings on them
/// sorted by severity (most severe first).
#[derive(Debug, Serialize)]
pub struct DiffResult {
    pub old: SnapshotInfo,
    pub new: SnapshotInfo,
    /// What ground each snapshot covered and how they differ.
    pub scope: ScopeComparison,
    pub changes: Vec<Change>,
    pub findings: Vec<Finding>,
    /// What YARA scanned and skipped, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yara: Option<crate::detect::yara::YaraSummary>,
    /// The opened snapshots, for content diffs on demand.
    #[serde(skip)]
    pub snapshots: Option<Box<(Snapshot, Snapshot)>>,
}

impl DiffResult {
    /// Count of changes per class, in display order, zero counts left out.
    pub fn counts(&self) -> Vec<(ChangeClass, u64)> {
        let mut m = std::collections::BTreeMap::new();
        for c in &self.changes {
            *m.entry(c.change).or_insert(0u64) += 1;
        }
        m.into_iter().collect()
    }

    /// The change at a path (changes are sorted by path).
    pub fn change(&self, path: &str) -> Option<&Change> {
        self.changes
            .binary_search_by(|c| c.path.as_str().cmp(path))
            .ok()
            .and_then(|i| self.changes.get(i))
    }

    /// The findings about a path, most severe first.
    pub fn findings_for<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.subject.path == path)
    }

    /// The line or binary diff of one change, read from the snapshots,
    /// bounded by `limits`.
    pub fn content_diff(&self, change: &Change, limits: &ContentLimits) -> ContentDiff {
        let Some(pair) = self.snapshots.as_deref() else {
            return ContentDiff::Unavailable {
                reason: "the snapshots are closed".into(),
            };
        };
        let (old, new) = (&pair.0, &pair.1);
        let old_path = change.renamed_from.as_deref().unwrap_or(&change.path);
        content_diff(old, old.get(old_path), new, new.get(&change.path), limits)
    }

    /// [`DiffResult::content_diff`], with whether each side's content is
    /// the sealed one.
    pub fn content_diff_checked(
        &self,
        change: &Change,
        limits: &ContentLimits,
    ) -> (ContentDiff, crate::diff::content::ContentChecks) {
        let Some(pair) = self.snapshots.as_deref() else {
            return (
                ContentDiff::Unavailable {
                    reason: "the snapshots are closed".into(),
                },
                Default::default(),
            );
        };
        let (old, new) = (&pair.0, &pair.1);
        let old_path = change.renamed_from.as_deref().unwrap_or(&change.path);
        crate::diff::content::content_diff_checked(
            old,
            old.get(old_path),
            new,
            new.get(&change.path),
            limits,
        )
    }
}

/// Errors that stop a comparison.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Findings(#[from] FindingsError),
    #[error(transparent)]
    Yara(#[from] crate::detect::yara::YaraError),
}

/// Open both snapshots, compare them and run the findings on the changes.
pub fn diff(
    req: &DiffRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<DiffResult, DiffError> {
    let rules = if req.no_findings {
        None
    } else {
        Some(files::Rules::load(req.rules_dir.as_deref())?)
    };
    // YARA rules that do not compile stop here, before anything is read.
    let yara_rules = if req.no_findings || req.yara.is_empty() {
        None
    } else {
        Some(crate::detect::yara::YaraRules::compile(&req.yara)?)
    };
    if req.stream
        && req.ioc.is_empty()
        && req.old.is_file()
        && req.new.is_file()
        && let Some(r) = diff_streamed(req, rules.as_ref(), yara_rules.as_ref(), progress, cancel)?
    {
        return Ok(r);
    }
    let old = Snapshot::open(&req.old, progress, cancel)?;
    let new = Snapshot::open(&req.new, progress, cancel)?;
    if cancel.is_cancelled() {
        return Err(SnapshotError::Cancelled.into());
    }
    judge(
        old,
        new,
        req,
        rules.as_ref(),
        yara_rules.as_ref(),
        progress,
        cancel,
    )
}

/// Most rounds of [`diff_streamed`] before the snapshots are read whole.
const MAX_ROUNDS: usize = 8;

/// [`diff`] on two archives read side by side, holding only the entries
/// the comparison reads: examine the held entries, fetch on both sides
/// what the examination looked up and did not find, and examine again
/// until it asks for nothing new ([`crate::snapshot::partial`]). `None`
/// when the archives cannot be read that way (records not in path order,
/// or still asking after [`MAX_ROUNDS`]): the caller reads them whole.
fn diff_streamed(
    req: &DiffRequest,
    rules: Option<&files::Rules>,
    yara_rules: Option<&crate::detect::yara::YaraRules>,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<Option<DiffResult>, DiffError> {
    use crate::snapshot::partial::{self, Requests};
    let Some((mut old, mut new)) =
        partial::open_pair(&req.old, &req.new, &Requests::default(), progress, cancel)?
    else {
        return Ok(None);
    };
    let mut met = Requests::default();
    for _ in 0..MAX_ROUNDS {
        let mut r = judge(old, new, req, rules, yara_rules, progress, cancel)?;
        let Some(pair) = r.snapshots.take() else {
            return Ok(None);
        };
        let (o, n) = *pair;
        let mut asked = o.take_requests();
        asked.extend(n.take_requests());
        let unmet = asked.unmet(&met);
        if unmet.is_empty() {
            r.snapshots = Some(Box::new((o, n)));
            return Ok(Some(r));
        }
        progress.update(&crate::job::Progress {
            phase: "reading the entries the comparison looked up",
            ..Default::default()
        });
        (old, new) = (o, n);
        partial::extend(&mut old, &mut new, &unmet, cancel)?;
        met.extend(unmet);
    }
    Ok(None)
}

/// Compare two open snapshots and judge the changes: the rules and
/// detectors, YARA, the indicators and the seal check of what the
/// findings rest on.
fn judge(
    old: Snapshot,
    new: Snapshot,
    req: &DiffRequest,
    rules: Option<&files::Rules>,
    yara_rules: Option<&crate::detect::yara::YaraRules>,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<DiffResult, DiffError> {
    progress.update(&crate::job::Progress {
        phase: "comparing",
        files_done: 0,
        files_total: Some(old.entry_count() + new.entry_count()),
        ..Default::default()
    });
    let mut result = diff_snapshots(old, new, rules, &req.hash_sets);
    if let (Some(y), Some(pair)) = (yara_rules, result.snapshots.as_deref()) {
        use crate::detect::yara;
        let r = yara::scan(
            y,
            &pair.1,
            yara::Scope::Changes(&result.changes),
            &req.yara,
            &req.hash_sets,
            progress,
            cancel,
        );
        result.findings.extend(r.findings);
        files::sort_findings(&mut result.findings);
        result.yara = Some(r.summary);
    }
    if !req.no_findings && !req.ioc.is_empty() {
        add_ioc(&mut result, &req.ioc, progress, cancel);
    }
    if let Some(pair) = result.snapshots.as_deref()
        && !result.findings.is_empty()
    {
        progress.update(&crate::job::Progress {
            phase: "checking the findings' files against the seal",
            ..Default::default()
        });
        files::mark_altered(&[&pair.1, &pair.0], &mut result.findings, cancel);
    }
    Ok(result)
}

/// Match the indicators against a comparison's snapshots and add the hits
/// to its findings ([`crate::detect::ioc::files::on_diff`]).
pub fn add_ioc(
    r: &mut DiffResult,
    ioc: &crate::detect::ioc::IocSet,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) {
    if let Some(pair) = r.snapshots.as_deref() {
        let more =
            crate::detect::ioc::files::on_diff(&pair.0, &pair.1, &r.changes, ioc, progress, cancel);
        crate::detect::ioc::files::merge(&mut r.findings, more);
    }
}

/// Compare two snapshots that are already open (the GUI keeps them open) and,
/// with `rules`, judge the changes. The result keeps the snapshots for
/// content diffs on demand.
pub fn diff_snapshots(
    old: Snapshot,
    new: Snapshot,
    rules: Option<&files::Rules>,
    hash_sets: &HashSets,
) -> DiffResult {
    let mut scope = ScopeComparison::of(&old, &new);
    let changes = compare_scoped(&old, &new, &mut scope);
    let findings = match rules {
        Some(r) => files::on_diff(&old, &new, &changes, r, hash_sets),
        None => Vec::new(),
    };
    DiffResult {
        old: SnapshotInfo::of(&old),
        new: SnapshotInfo::of(&new),
        scope,
        changes,
        findings,
        yara: None,
        snapshots: Some(Box::new((old, new))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_can_move_to_a_background_thread() {
        fn is_send_sync<T: Send + Sync>() {}
        is_send_sync::<DiffResult>();
        is_send_sync::<Snapshot>();
    }
}
