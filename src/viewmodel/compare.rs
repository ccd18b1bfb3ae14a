//! The compare screen's data, built once in the background job that ran the
//! diff: the most severe finding of every change, a folder tree of the
//! changes with per-class counts aggregated up to the root, the filter that
//! picks the table's rows, and the side-by-side layout of a line diff. None
//! of it touches the disk; all of it is plain data a test can check.

use crate::detect::Severity;
use crate::diff::{Change, ChangeClass, ContentDiff, content::LineTag};
use crate::examine::DiffResult;
use std::collections::HashMap;
use std::sync::Arc;

pub use crate::viewmodel::change_filter::{ChangeFilter, is_noise};

/// How many change classes there are (the width of a count row).
pub const CLASSES: usize = ChangeClass::ALL.len();

/// The position of a class in [`ChangeClass::ALL`].
pub fn class_index(c: ChangeClass) -> usize {
    ChangeClass::ALL.iter().position(|x| *x == c).unwrap_or(0)
}

/// A folder holding changes, with the counts of everything below it.
#[derive(Debug, Clone, Default)]
pub struct ChangeNode {
    pub name: String,
    /// The folder's logical path (`/` for the root).
    pub path: String,
    /// Sub-folders, sorted by name.
    pub children: Vec<usize>,
    /// Changes below this folder, per class (indexed like [`ChangeClass::ALL`]).
    pub counts: [u32; CLASSES],
    /// Changes below this folder.
    pub total: u32,
    /// The most severe finding below this folder.
    pub severity: Option<Severity>,
}

/// The folders of the changed paths; node 0 is `/`.
#[derive(Debug, Clone, Default)]
pub struct ChangeTree {
    pub nodes: Vec<ChangeNode>,
}

impl ChangeTree {
    /// Build the tree of `changes`; `severity[i]` is the most severe finding
    /// of `changes[i]`.
    pub fn build(changes: &[Change], severity: &[Option<Severity>]) -> Self {
        let mut nodes = vec![ChangeNode {
            name: "/".into(),
            path: "/".into(),
            ..ChangeNode::default()
        }];
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, c) in changes.iter().enumerate() {
            let class = class_index(c.change);
            let sev = severity.get(i).copied().flatten();
            let add = |n: &mut ChangeNode| {
                if let Some(slot) = n.counts.get_mut(class) {
                    *slot += 1;
                }
                n.total += 1;
                n.severity = n.severity.max(sev);
            };
            if let Some(root) = nodes.get_mut(0) {
                add(root);
            }
            let path = c.path.as_str();
            let mut parent = 0usize;
            let mut end = 0usize;
            // Every proper ancestor folder of the path.
            while let Some(rel) = path.get(end + 1..).and_then(|s| s.find('/')) {
                end = end + 1 + rel;
                let Some(prefix) = path.get(..end) else { break };
                if prefix.is_empty() {
                    continue;
                }
                let id = match index.get(prefix) {
                    Some(&id) => id,
                    None => {
                        let id = nodes.len();
                        nodes.push(ChangeNode {
                            name: prefix.rsplit('/').next().unwrap_or(prefix).to_string(),
                            path: prefix.to_string(),
                            ..ChangeNode::default()
                        });
                        index.insert(prefix.to_string(), id);
                        if let Some(p) = nodes.get_mut(parent) {
                            p.children.push(id);
                        }
                        id
                    }
                };
                if let Some(n) = nodes.get_mut(id) {
                    add(n);
                }
                parent = id;
            }
        }
        let names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
        for n in &mut nodes {
            n.children.sort_by(|a, b| names.get(*a).cmp(&names.get(*b)));
        }
        Self { nodes }
    }

    /// The counts of a node as `(class, count)`, zero counts left out.
    pub fn counts(&self, id: usize) -> Vec<(ChangeClass, u32)> {
        let Some(n) = self.nodes.get(id) else {
            return Vec::new();
        };
        ChangeClass::ALL
            .iter()
            .zip(n.counts.iter())
            .filter(|(_, n)| **n > 0)
            .map(|(c, n)| (*c, *n))
            .collect()
    }
}

/// A finished comparison, ready to show.
pub struct DiffModel {
    pub result: Arc<DiffResult>,
    /// The most severe finding of each change (same order as `changes`).
    pub severity: Vec<Option<Severity>>,
    pub tree: ChangeTree,
    /// Findings per severity, most severe first (zero counts left out).
    pub severity_counts: Vec<(Severity, u32)>,
    /// How long the comparison took, in milliseconds.
    pub duration_ms: u128,
}

impl DiffModel {
    /// The indices of the changes `filter` shows, in path order.
    pub fn rows(&self, filter: &ChangeFilter) -> Vec<u32> {
        filter.rows(&self.result.changes, &self.severity)
    }

    /// Index the result for display.
    pub fn build(result: DiffResult, duration_ms: u128) -> Self {
        let mut severity = vec![None; result.changes.len()];
        for f in &result.findings {
            if let Some(i) = change_index(&result.changes, &f.subject.path)
                && let Some(s) = severity.get_mut(i)
            {
                *s = (*s).max(Some(f.severity));
            }
        }
        let severity_counts = crate::viewmodel::format::count_severities(&result.findings);
        let tree = ChangeTree::build(&result.changes, &severity);
        DiffModel {
            result: Arc::new(result),
            severity,
            tree,
            severity_counts,
            duration_ms,
        }
    }

    /// The index of the change at `path`.
    pub fn index_of(&self, path: &str) -> Option<usize> {
        change_index(&self.result.changes, path)
    }
}

/// The index of the change at `path` (changes are sorted by path).
pub fn change_index(changes: &[Change], path: &str) -> Option<usize> {
    changes.binary_search_by(|c| c.path.as_str().cmp(path)).ok()
}

/// One row of a side-by-side diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SbsRow {
    /// A hunk header (`@@ -12,7 +12,9 @@`).
    Hunk(String),
    /// A line on either side, with its line number. `changed` marks removed
    /// (old side) and added (new side) lines.
    Line {
        old: Option<(usize, String)>,
        new: Option<(usize, String)>,
        changed: bool,
    },
}

/// Lay out a line diff side by side: context lines on both sides, removed
/// lines on the left paired with the added lines that replace them on the
/// right.
pub fn side_by_side(diff: &ContentDiff) -> Vec<SbsRow> {
    let ContentDiff::Text { hunks, .. } = diff else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for h in hunks {
        rows.push(SbsRow::Hunk(format!(
            "@@ -{},{} +{},{} @@",
            h.old_start, h.old_lines, h.new_start, h.new_lines
        )));
        let mut removed: Vec<(usize, String)> = Vec::new();
        let mut added: Vec<(usize, String)> = Vec::new();
        let flush = |rows: &mut Vec<SbsRow>,
                     removed: &mut Vec<(usize, String)>,
                     added: &mut Vec<(usize, String)>| {
            let n = removed.len().max(added.len());
            let mut r = removed.drain(..);
            let mut a = added.drain(..);
            for _ in 0..n {
                rows.push(SbsRow::Line {
                    old: r.next(),
                    new: a.next(),
                    changed: true,
                });
            }
        };
        for l in &h.lines {
            match l.tag {
                LineTag::Removed => {
                    if !added.is_empty() {
                        flush(&mut rows, &mut removed, &mut added);
                    }
                    removed.push((l.old_line.unwrap_or(0), l.text.clone()));
                }
                LineTag::Added => added.push((l.new_line.unwrap_or(0), l.text.clone())),
                LineTag::Context => {
                    flush(&mut rows, &mut removed, &mut added);
                    rows.push(SbsRow::Line {
                        old: Some((l.old_line.unwrap_or(0), l.text.clone())),
                        new: Some((l.new_line.unwrap_or(0), l.text.clone())),
                        changed: false,
                    });
                }
            }
        }
        flush(&mut rows, &mut removed, &mut added);
    }
    rows
}

/// The Compare screen's scope banner: its title and one line per way the
/// two captures' scopes differ, then what that means for the entries;
/// `None` when both cover the same ground the same way.
pub fn scope_banner(scope: &crate::diff::ScopeComparison) -> Option<(String, String)> {
    if scope.differences.is_empty() {
        return None;
    }
    // The first differences in full (profiles, versions, hosts, sources
    // come first), the rest named: a laptop screen keeps room for the
    // table; the CLI and the report list them all.
    const FULL: usize = 2;
    let mut lines: Vec<String> = scope
        .differences
        .iter()
        .take(FULL)
        .map(|d| d.text.clone())
        .collect();
    let rest: Vec<&str> = scope
        .differences
        .iter()
        .skip(FULL)
        .map(|d| d.text.split(':').next().unwrap_or(d.field))
        .collect();
    if !rest.is_empty() {
        lines.push(format!(
            "also: {} (exhibit diff and the HTML report list them)",
            rest.join("; ")
        ));
    }
    if scope.ground_differs {
        lines.push(format!(
            "{} entries lie outside the other capture's scope: they are listed as \
             \"{}\", not as added or removed, and make no deletion finding.",
            scope.not_in_both,
            ChangeClass::NotInBoth.label()
        ));
        if scope.undecided > 0 {
            lines.push(format!(
                "{} entries could not be placed in the other capture's scope; they stay \
                 added or removed, and their details say why.",
                scope.undecided
            ));
        }
    }
    Some((
        "The two captures cover different ground".to_string(),
        lines.join("\n"),
    ))
}

/// A class as the Compare screen names it: its JSON name, "not in both
/// captures" spelled out.
pub fn class_text(c: ChangeClass) -> &'static str {
    match c {
        ChangeClass::NotInBoth => c.label(),
        c => c.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::content::{DiffLine, Hunk};

    fn change(path: &str, class: ChangeClass) -> Change {
        Change {
            path: path.into(),
            change: class,
            attributes: Vec::new(),
            renamed_from: None,
            rotated_to: Vec::new(),
            lost_lines: None,
            scope: None,
            detail: None,
            old: None,
            new: None,
        }
    }

    #[test]
    fn tree_counts_add_up_to_the_root() {
        let changes = vec![
            change("/etc/passwd", ChangeClass::Modified),
            change("/var/log/auth.log", ChangeClass::Appended),
            change("/var/log/syslog", ChangeClass::Rewritten),
            change("/var/www/up/x.php", ChangeClass::Added),
        ];
        let sev = vec![Some(Severity::High), None, Some(Severity::Medium), None];
        let t = ChangeTree::build(&changes, &sev);
        assert_eq!(t.nodes[0].total, 4);
        assert_eq!(t.nodes[0].severity, Some(Severity::High));
        let var = t.nodes.iter().position(|n| n.path == "/var").unwrap();
        assert_eq!(t.nodes[var].total, 3);
        assert_eq!(t.nodes[var].severity, Some(Severity::Medium));
        let log = t.nodes.iter().position(|n| n.path == "/var/log").unwrap();
        assert_eq!(
            t.counts(log),
            vec![(ChangeClass::Appended, 1), (ChangeClass::Rewritten, 1)]
        );
        let names: Vec<&str> = t.nodes[var]
            .children
            .iter()
            .map(|&c| t.nodes[c].name.as_str())
            .collect();
        assert_eq!(names, ["log", "www"]);
    }

    #[test]
    fn filter_by_class_severity_text_folder_and_noise() {
        let changes = vec![
            change("/etc/passwd", ChangeClass::Modified),
            change("/var/log/auth.log", ChangeClass::Appended),
            change("/var/www/up/x.php", ChangeClass::Added),
            change("/var/www/up/y.jpg", ChangeClass::Added),
        ];
        let sev = vec![
            Some(Severity::Critical),
            None,
            Some(Severity::High),
            Some(Severity::Info),
        ];
        let m =
            DiffModel {
                tree: ChangeTree::build(&changes, &sev),
                result: Arc::new(DiffResult {
                    old: crate::snapshot::SnapshotInfo::of(
                        &crate::snapshot::Snapshot::from_entries("a", Vec::new()),
                    ),
                    new: crate::snapshot::SnapshotInfo::of(
                        &crate::snapshot::Snapshot::from_entries("b", Vec::new()),
                    ),
                    scope: crate::diff::ScopeComparison::of(
                        &crate::snapshot::Snapshot::from_entries("a", Vec::new()),
                        &crate::snapshot::Snapshot::from_entries("b", Vec::new()),
                    ),
                    changes,
                    findings: Vec::new(),
                    yara: None,
                    snapshots: None,
                }),
                severity: sev,
                severity_counts: Vec::new(),
                duration_ms: 0,
            };
        let mut f = ChangeFilter::default();
        assert_eq!(m.rows(&f), [0, 1, 2, 3]);
        f.classes.insert(ChangeClass::Added);
        assert_eq!(m.rows(&f), [2, 3]);
        f.hide_noise = true;
        assert_eq!(m.rows(&f), [2]);
        f.classes.clear();
        assert_eq!(m.rows(&f), [0, 2], "appended log growth is noise");
        f.hide_noise = false;
        f.min_severity = Some(Severity::High);
        assert_eq!(m.rows(&f), [0, 2]);
        f.min_severity = None;
        f.text = "WWW".into();
        assert_eq!(m.rows(&f), [2, 3]);
        f.text.clear();
        f.folder = Some("/var/www".into());
        assert_eq!(m.rows(&f), [2, 3]);
        f.folder = Some("/var/ww".into());
        assert!(m.rows(&f).is_empty(), "a folder is not a name prefix");
    }

    #[test]
    fn replaced_lines_pair_up_side_by_side() {
        let line = |tag, o, n, t: &str| DiffLine {
            tag,
            old_line: o,
            new_line: n,
            text: t.into(),
        };
        let d = ContentDiff::Text {
            hunks: vec![Hunk {
                old_start: 1,
                old_lines: 3,
                new_start: 1,
                new_lines: 4,
                lines: vec![
                    line(LineTag::Context, Some(1), Some(1), "a"),
                    line(LineTag::Removed, Some(2), None, "b"),
                    line(LineTag::Added, None, Some(2), "B"),
                    line(LineTag::Added, None, Some(3), "B2"),
                    line(LineTag::Context, Some(3), Some(4), "c"),
                ],
            }],
            hunks_omitted: 0,
            added_lines: 2,
            removed_lines: 1,
        };
        let rows = side_by_side(&d);
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[0], SbsRow::Hunk("@@ -1,3 +1,4 @@".into()));
        assert_eq!(
            rows[2],
            SbsRow::Line {
                old: Some((2, "b".into())),
                new: Some((2, "B".into())),
                changed: true
            }
        );
        assert_eq!(
            rows[3],
            SbsRow::Line {
                old: None,
                new: Some((3, "B2".into())),
                changed: true
            }
        );
    }

    proptest::proptest! {
        #[test]
        fn tree_and_filter_never_panic(
            paths in proptest::collection::vec(".{0,40}", 0..40),
            text in ".{0,8}",
            folder in ".{0,12}",
        ) {
            let mut changes: Vec<Change> = paths
                .iter()
                .enumerate()
                .map(|(i, p)| change(p, ChangeClass::ALL[i % CLASSES]))
                .collect();
            changes.sort_by(|a, b| a.path.cmp(&b.path));
            let sev: Vec<Option<Severity>> = (0..changes.len())
                .map(|i| [None, Some(Severity::Low), Some(Severity::Critical)][i % 3])
                .collect();
            let tree = ChangeTree::build(&changes, &sev);
            proptest::prop_assert_eq!(tree.nodes[0].total as usize, changes.len());
            let f = ChangeFilter { text, folder: Some(folder), hide_noise: true, ..ChangeFilter::default() };
            for (c, s) in changes.iter().zip(&sev) {
                let _ = f.shows_change(c, *s);
            }
        }
    }
}
