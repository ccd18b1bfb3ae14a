//! Snapshot comparison: what changed between two snapshots, classed.
//!
//! [`compare`] takes two open snapshots (archives or directories, see
//! [`crate::snapshot`]), pairs their entries by logical path and classes
//! every difference as one
//! [`Change`]: `added`, `removed`, `modified` (content), `metadata` (which
//! attributes), `type_changed` or `renamed` (same content, new path). Log files
//! get log-aware classes that say whether the change was normal growth or
//! tampering: `appended`, `rotated`, `truncated`, `rewritten`. Judging the
//! changes is not done here: [`crate::examine`] runs the comparison and then
//! the findings engine ([`crate::detect::files`]) on it. Line-level content diffs
//! are computed on demand, one path at a time, by [`content`]. A rewritten
//! log also lists the lines it lost ([`lost`]). When the two captures
//! covered different ground ([`scope`]), an entry on one side only that the
//! other capture would not have taken is "not in both captures", not added
//! or removed.

pub mod compare;
pub mod content;
pub mod lost;
pub mod scope;

use crate::snapshot::{Entry, format_time};
use serde::Serialize;

pub use compare::{compare, compare_scoped};
pub use content::{ContentDiff, ContentLimits, content_diff};
pub use scope::{ScopeComparison, ScopeNote};

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
    /// In one snapshot only, at a path outside the other capture's scope
    /// (other sources or profiles): neither added nor removed as far as
    /// the evidence shows. See [`Change::scope`].
    NotInBoth,
}

impl ChangeClass {
    /// Every class, in display order.
    pub const ALL: [ChangeClass; 11] = [
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
        ChangeClass::NotInBoth,
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
            ChangeClass::NotInBoth => "not_in_both",
        }
    }

    /// The class as people read it.
    pub fn label(self) -> &'static str {
        match self {
            ChangeClass::TypeChanged => "type changed",
            ChangeClass::NotInBoth => "not in both captures",
            c => c.as_str(),
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
    /// `null` where the snapshot does not know it.
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub inode: Option<u64>,
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
            inode: e.inode.map(std::num::NonZeroU64::get),
            mtime: e.mtime_ns.map(format_time),
            ctime: e.ctime_ns.map(format_time),
            sha256: e.sha256_hex(),
            link_target: e.link_target.as_deref().map(str::to_string),
            capabilities: e.capabilities.as_deref().map(str::to_string),
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
    /// For a `rewritten` log: the old lines the new file lacks (erased
    /// between kept lines, or cut), the first of them shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost_lines: Option<lost::LostLines>,
    /// For an entry in one snapshot only when the captures' scopes differ:
    /// outside the other's scope (`not_in_both`), or undecided (the class
    /// stays `added`/`removed`), and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeNote>,
    pub old: Option<Side>,
    pub new: Option<Side>,
}

#[cfg(test)]
mod tests {
    use super::*;

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
