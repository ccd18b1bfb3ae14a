//! Snapshot comparison: what changed between two snapshots, classed.
//!
//! [`diff`] opens two snapshots (archives or directories, see [`snapshot`]),
//! pairs their entries by logical path and classes every difference as one
//! [`Change`]: `added`, `removed`, `modified` (content), `metadata` (which
//! attributes), `type_changed` or `renamed` (same content, new path). Log files
//! get log-aware classes that say whether the change was normal growth or
//! tampering: `appended`, `rotated`, `truncated`, `rewritten`. The findings
//! engine ([`crate::findings`]) then judges the changes. Line-level content
//! diffs are computed on demand, one path at a time, by [`content`].

pub mod compare;
pub mod content;
pub mod snapshot;

use crate::findings::{self, Finding, FindingsError, HashSets};
use crate::job::{CancelToken, ProgressSink};
use serde::Serialize;
use snapshot::{Entry, Snapshot, SnapshotError, SnapshotKind, format_time};
use std::path::PathBuf;

pub use compare::compare;
pub use content::{ContentDiff, ContentLimits, content_diff};

/// The class of one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeClass {
    Added,
    Removed,
    /// Content changed.
    Modified,
    /// Only attributes changed; see [`Change::attributes`].
    Metadata,
    TypeChanged,
    /// The same content appeared at a new path and left the old one.
    Renamed,
    /// A log whose old content is an exact prefix of the new content.
    Appended,
    /// A log whose old content moved to a rotation sibling (`.1`, `.gz`…).
    Rotated,
    /// A log whose new content is an exact prefix of the old (or empty).
    Truncated,
    /// A log whose earlier content was altered or removed, or that was
    /// replaced by a new file under the same name.
    Rewritten,
}

impl ChangeClass {
    /// Every class, in display order.
    pub const ALL: [ChangeClass; 10] = [
        ChangeClass::Added,
        ChangeClass::Removed,
        ChangeClass::Modified,
        ChangeClass::Metadata,
        ChangeClass::TypeChanged,
        ChangeClass::Renamed,
        ChangeClass::Appended,
        ChangeClass::Rotated,
        ChangeClass::Truncated,
        ChangeClass::Rewritten,
    ];

    /// The name used in JSON, rules and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeClass::Added => "added",
            ChangeClass::Removed => "removed",
            ChangeClass::Modified => "modified",
            ChangeClass::Metadata => "metadata",
            ChangeClass::TypeChanged => "type_changed",
            ChangeClass::Renamed => "renamed",
            ChangeClass::Appended => "appended",
            ChangeClass::Rotated => "rotated",
            ChangeClass::Truncated => "truncated",
            ChangeClass::Rewritten => "rewritten",
        }
    }

    /// Parse a class name as written by [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// True for classes whose entry exists in the new snapshot with new or
    /// different content.
    pub fn content_changed(self) -> bool {
        matches!(
            self,
            ChangeClass::Added
                | ChangeClass::Modified
                | ChangeClass::Renamed
                | ChangeClass::Appended
                | ChangeClass::Rewritten
                | ChangeClass::Truncated
                | ChangeClass::TypeChanged
        )
    }
}

/// An attribute that differs between the two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Attribute {
    Content,
    Size,
    Mode,
    Owner,
    Mtime,
    Ctime,
    Inode,
    LinkTarget,
    /// File capabilities (`security.capability`), directory snapshots only.
    Capabilities,
}

/// One side of a change as it is shown: the entry's attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    #[serde(rename = "type")]
    pub kind: crate::archive::EntryType,
    pub size_bytes: u64,
    /// Permission bits as a 4-digit octal string.
    pub mode: String,
    pub uid: u32,
    pub gid: u32,
    pub inode: u64,
    pub mtime: Option<String>,
    pub ctime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
    /// File capabilities, when the file has any (directory snapshots).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<String>,
    /// The snapshot's status of the entry when it is not `captured`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
}

impl Side {
    /// The displayed side of an entry.
    pub fn of(e: &Entry) -> Self {
        Side {
            kind: e.kind,
            size_bytes: e.size,
            mode: format!("{:04o}", e.mode),
            uid: e.uid,
            gid: e.gid,
            inode: e.inode,
            mtime: e.mtime_ns.map(format_time),
            ctime: e.ctime_ns.map(format_time),
            sha256: e.sha256_hex(),
            link_target: e.link_target.clone(),
            capabilities: e.capabilities.clone(),
            status: (e.status != crate::archive::Status::Captured).then(|| e.status.as_str()),
        }
    }
}

/// One classed difference between the snapshots, at one logical path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The path in the new snapshot (the old one for `removed`).
    pub path: String,
    pub change: ChangeClass,
    /// The attributes that differ, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    /// For `renamed`: the old path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// For `rotated`: the new paths holding the old content.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rotated_to: Vec<String>,
    /// A short explanation of the class (log classes, unreadable content).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub old: Option<Side>,
    pub new: Option<Side>,
}

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
}

/// Where a side of the comparison came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotInfo {
    pub label: String,
    pub kind: SnapshotKind,
    pub entries: u64,
    pub taken_at: Option<String>,
    /// Records that could not be read, files that could not be hashed.
    pub problems: Vec<String>,
}

impl SnapshotInfo {
    /// The summary of a snapshot.
    pub fn of(s: &Snapshot) -> Self {
        SnapshotInfo {
            label: s.label.clone(),
            kind: s.kind,
            entries: s.entries.len() as u64,
            taken_at: s.taken_at_ns.map(format_time),
            problems: s.problems.clone(),
        }
    }
}

/// The comparison: every change sorted by path, and the findings on them
/// sorted by severity (most severe first).
#[derive(Debug, Serialize)]
pub struct DiffResult {
    pub old: SnapshotInfo,
    pub new: SnapshotInfo,
    pub changes: Vec<Change>,
    pub findings: Vec<Finding>,
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
        self.findings.iter().filter(move |f| f.path == path)
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
}

/// Errors that stop a comparison.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Findings(#[from] FindingsError),
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
        Some(findings::Rules::load(req.rules_dir.as_deref())?)
    };
    let old = Snapshot::open(&req.old, progress, cancel)?;
    let new = Snapshot::open(&req.new, progress, cancel)?;
    if cancel.is_cancelled() {
        return Err(SnapshotError::Cancelled.into());
    }
    progress.update(&crate::job::Progress {
        phase: "comparing",
        files_done: 0,
        files_total: Some((old.entries.len() + new.entries.len()) as u64),
        ..Default::default()
    });
    Ok(diff_snapshots(old, new, rules.as_ref(), &req.hash_sets))
}

/// Compare two snapshots that are already open (the GUI keeps them open) and,
/// with `rules`, judge the changes. The result keeps the snapshots for
/// content diffs on demand.
pub fn diff_snapshots(
    old: Snapshot,
    new: Snapshot,
    rules: Option<&findings::Rules>,
    hash_sets: &HashSets,
) -> DiffResult {
    let changes = compare(&old, &new);
    let findings = match rules {
        Some(r) => findings::on_diff(&old, &new, &changes, r, hash_sets),
        None => Vec::new(),
    };
    DiffResult {
        old: SnapshotInfo::of(&old),
        new: SnapshotInfo::of(&new),
        changes,
        findings,
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

    #[test]
    fn class_names_round_trip() {
        for c in ChangeClass::ALL {
            assert_eq!(ChangeClass::parse(c.as_str()), Some(c));
            assert_eq!(
                serde_json::to_value(c).ok(),
                Some(serde_json::Value::from(c.as_str()))
            );
        }
    }
}
