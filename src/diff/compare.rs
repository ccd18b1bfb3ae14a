//! Pairing two snapshots' entries by path and classing each difference.
//!
//! Both entry lists are sorted by path, so pairing is one merge pass. Content
//! is compared by SHA-256; the content itself is read only for log files whose
//! hash changed, to tell growth (`appended`), rotation, truncation and
//! rewriting apart, and those reads hash a prefix as a stream, so memory stays
//! bounded whatever the log's size.

use super::scope::{InScope, ScopeComparison, ScopeMatcher, ScopeNote};
use super::{Attribute, Change, ChangeClass, Side};
use crate::archive::EntryType;
use crate::snapshot::{Entry, Snapshot};
use std::collections::HashMap;

/// True when a path is treated as a log: below `/var/log`, or named `*.log`.
pub fn is_log_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path.starts_with("/var/log/") || name.ends_with(".log") || name.contains(".log.")
}

/// An entry's inode number when it is known: `None` for `null` (a capture
/// on Windows) and for 0 ([`Entry::inode`]).
fn inode_of(e: &Entry) -> Option<u64> {
    e.inode.map(std::num::NonZeroU64::get)
}

/// Whether two values differ, `false` when either side is unknown: an
/// unknown value is neither equal to nor different from another.
pub fn known_differ<T: PartialEq>(a: Option<T>, b: Option<T>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a != b)
}

/// True when the two snapshots' inode numbers can be compared: most entries
/// at the same path keep their inode (same filesystem, in place). A copy of a
/// tree gets new inodes everywhere; then inode changes mean nothing.
pub fn inodes_comparable(old: &Snapshot, new: &Snapshot) -> bool {
    // A pair read side by side holds only some entries: the merge judged
    // this on all of them.
    if let Some(c) = old
        .pair_inodes_comparable()
        .or(new.pair_inodes_comparable())
    {
        return c;
    }
    let (mut pairs, mut same) = (0u64, 0u64);
    let (a, b) = (&old.entries, &new.entries);
    let (mut i, mut j) = (0, 0);
    while let (Some(o), Some(n)) = (a.get(i), b.get(j)) {
        match o.path.cmp(&n.path) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                if let (Some(a), Some(b)) = (inode_of(o), inode_of(n)) {
                    pairs += 1;
                    same += u64::from(a == b);
                }
                i += 1;
                j += 1;
            }
        }
    }
    pairs == 0 || same * 2 >= pairs
}

/// Compare two snapshots; the changes come back sorted by path.
pub fn compare(old: &Snapshot, new: &Snapshot) -> Vec<Change> {
    compare_scoped(old, new, &mut ScopeComparison::of(old, new))
}

/// [`compare`] knowing the two snapshots' scopes: when their ground
/// differs, an entry on one side only that lies outside the other's scope
/// is `not_in_both` (never renamed or rotated), and one whose place the
/// records cannot decide keeps its class with a note. Fills the scope's
/// counts.
pub fn compare_scoped(old: &Snapshot, new: &Snapshot, scope: &mut ScopeComparison) -> Vec<Change> {
    let cmp = Comparable {
        inodes: inodes_comparable(old, new),
        capabilities: old.knows_capabilities && new.knows_capabilities,
    };
    let mut changes = Vec::new();
    let (a, b) = (&old.entries, &new.entries);
    let (mut i, mut j) = (0, 0);
    let mut removed: Vec<&Entry> = Vec::new();
    let mut added: Vec<&Entry> = Vec::new();
    loop {
        match (a.get(i), b.get(j)) {
            (Some(o), Some(n)) => match o.path.cmp(&n.path) {
                std::cmp::Ordering::Less => {
                    removed.push(o);
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    added.push(n);
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    if let Some(c) = pair(old, o, new, n, cmp) {
                        changes.push(c);
                    }
                    i += 1;
                    j += 1;
                }
            },
            (Some(o), None) => {
                removed.push(o);
                i += 1;
            }
            (None, Some(n)) => {
                added.push(n);
                j += 1;
            }
            (None, None) => break,
        }
    }

    let mut notes: HashMap<&str, ScopeNote> = HashMap::new();
    if scope.ground_differs {
        let old_scope = ScopeMatcher::new(&scope.old, old);
        let new_scope = ScopeMatcher::new(&scope.new, new);
        for (list, other, only_in) in [
            (&mut added, &old_scope, "new"),
            (&mut removed, &new_scope, "old"),
        ] {
            list.retain(|&e| match other.contains(&e.path, e.kind) {
                InScope::Yes => true,
                InScope::Undecided(reason) => {
                    notes.insert(e.path.as_str(), note(only_in, false, reason));
                    true
                }
                InScope::No(reason) => {
                    changes.push(not_in_both(e, only_in, reason));
                    false
                }
            });
        }
        scope.not_in_both = changes
            .iter()
            .filter(|c| c.change == ChangeClass::NotInBoth)
            .count() as u64;
        scope.undecided = notes.len() as u64;
    }

    // Renames: a removed file whose exact (non-empty) content appears at an
    // added path. Pairs are made in path order, one to one.
    let mut by_hash: HashMap<[u8; 32], Vec<&Entry>> = HashMap::new();
    for r in &removed {
        if r.kind == EntryType::File
            && r.size > 0
            && let Some(h) = r.sha256
        {
            by_hash.entry(h).or_default().push(r);
        }
    }
    for v in by_hash.values_mut() {
        v.reverse();
    }
    let mut renamed_from: HashMap<&str, &Entry> = HashMap::new();
    for n in &added {
        if n.kind == EntryType::File
            && n.size > 0
            && let Some(h) = n.sha256
            && let Some(v) = by_hash.get_mut(&h)
            && let Some(o) = v.pop()
        {
            renamed_from.insert(n.path.as_str(), o);
        }
    }
    let consumed: std::collections::HashSet<&str> =
        renamed_from.values().map(|o| o.path.as_str()).collect();

    for n in &added {
        let mut c = Change {
            path: n.path.clone(),
            change: ChangeClass::Added,
            attributes: Vec::new(),
            renamed_from: None,
            rotated_to: Vec::new(),
            detail: None,
            lost_lines: None,
            scope: notes.get(n.path.as_str()).cloned(),
            old: None,
            new: Some(Side::of(n)),
        };
        if let Some(o) = renamed_from.get(n.path.as_str()) {
            c.change = ChangeClass::Renamed;
            c.renamed_from = Some(o.path.clone());
            c.attributes = attributes(o, n, cmp)
                .into_iter()
                .filter(|a| *a != Attribute::Content)
                .collect();
            c.old = Some(Side::of(o));
        }
        changes.push(c);
    }
    for o in removed {
        if consumed.contains(o.path.as_str()) {
            continue;
        }
        let mut c = Change {
            path: o.path.clone(),
            change: ChangeClass::Removed,
            attributes: Vec::new(),
            renamed_from: None,
            rotated_to: Vec::new(),
            detail: None,
            lost_lines: None,
            scope: notes.get(o.path.as_str()).cloned(),
            old: Some(Side::of(o)),
            new: None,
        };
        if o.kind == EntryType::File && is_log_path(&o.path) {
            let to = rotation_targets(old, o, new);
            if !to.is_empty() {
                c.change = ChangeClass::Rotated;
                c.detail = Some("the log was rotated away: its content is now in a sibling".into());
                c.rotated_to = to;
            }
        }
        changes.push(c);
    }
    changes.sort_by(|x, y| x.path.cmp(&y.path));
    changes
}

fn note(only_in: &'static str, decided: bool, reason: String) -> ScopeNote {
    ScopeNote {
        only_in,
        decided,
        reason,
    }
}

/// The change of an entry in one snapshot only, outside the other's scope.
fn not_in_both(e: &Entry, only_in: &'static str, reason: String) -> Change {
    let other = if only_in == "new" { "older" } else { "newer" };
    let side = Some(Side::of(e));
    Change {
        path: e.path.clone(),
        change: ChangeClass::NotInBoth,
        attributes: Vec::new(),
        renamed_from: None,
        rotated_to: Vec::new(),
        detail: Some(format!("outside the {other} capture's scope: {reason}")),
        lost_lines: None,
        scope: Some(note(only_in, true, reason)),
        old: if only_in == "old" { side.clone() } else { None },
        new: if only_in == "new" { side } else { None },
    }
}

/// Which attributes the two snapshots allow to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comparable {
    /// Inode numbers (see [`inodes_comparable`]).
    pub inodes: bool,
    /// File capabilities (both snapshots read them).
    pub capabilities: bool,
}

/// The attributes that differ between two entries at the same path, among
/// those `cmp` allows.
pub fn attributes(o: &Entry, n: &Entry, cmp: Comparable) -> Vec<Attribute> {
    let inodes = cmp.inodes;
    let mut v = Vec::new();
    if o.kind == EntryType::File && n.kind == EntryType::File {
        let differs = match (o.sha256, n.sha256) {
            (Some(x), Some(y)) => x != y,
            _ => o.size != n.size,
        };
        if differs {
            v.push(Attribute::Content);
        }
    }
    if o.size != n.size && o.kind != EntryType::Dir {
        v.push(Attribute::Size);
    }
    if o.mode != n.mode {
        v.push(Attribute::Mode);
    }
    if known_differ(o.uid, n.uid) || known_differ(o.gid, n.gid) {
        v.push(Attribute::Owner);
    }
    if o.mtime_ns != n.mtime_ns {
        v.push(Attribute::Mtime);
    }
    // A capture on Windows has no change time (`null`): unknown, not changed.
    if known_differ(o.ctime_ns, n.ctime_ns) {
        v.push(Attribute::Ctime);
    }
    if inodes && known_differ(inode_of(o), inode_of(n)) {
        v.push(Attribute::Inode);
    }
    if o.link_target != n.link_target {
        v.push(Attribute::LinkTarget);
    }
    if cmp.capabilities && o.capabilities != n.capabilities {
        v.push(Attribute::Capabilities);
    }
    v
}

fn pair(old: &Snapshot, o: &Entry, new: &Snapshot, n: &Entry, cmp: Comparable) -> Option<Change> {
    let type_changed = o.kind != n.kind;
    let attrs = if type_changed {
        Vec::new()
    } else {
        let a = attributes(o, n, cmp);
        if a.is_empty() {
            return None;
        }
        a
    };
    let mut c = Change {
        path: n.path.clone(),
        change: ChangeClass::Metadata,
        attributes: attrs,
        renamed_from: None,
        rotated_to: Vec::new(),
        detail: None,
        lost_lines: None,
        scope: None,
        old: Some(Side::of(o)),
        new: Some(Side::of(n)),
    };
    if type_changed {
        c.change = ChangeClass::TypeChanged;
        c.detail = Some(format!("was {:?}, now {:?}", o.kind, n.kind).to_lowercase());
        return Some(c);
    }
    if c.attributes.contains(&Attribute::Content) {
        c.change = ChangeClass::Modified;
        if o.sha256.is_none() || n.sha256.is_none() {
            c.detail = Some("content not read on one side; compared by size".into());
        } else if is_log_path(&n.path) {
            classify_log(old, o, new, n, cmp.inodes, &mut c);
        }
    } else if n.kind == EntryType::File
        && is_log_path(&n.path)
        && c.attributes.contains(&Attribute::Inode)
        && n.size > 0
    {
        c.change = ChangeClass::Rewritten;
        c.detail = Some("same content, but the log was replaced by a new file (new inode)".into());
    }
    Some(c)
}

fn classify_log(
    old: &Snapshot,
    o: &Entry,
    new: &Snapshot,
    n: &Entry,
    inodes: bool,
    c: &mut Change,
) {
    let new_inode = inodes && known_differ(inode_of(o), inode_of(n));
    if old.open_content(o).is_err() || new.open_content(n).is_err() {
        c.detail = Some("log content not readable on one side: log class unknown".into());
        return;
    }
    let to = rotation_targets(old, o, new);
    if !to.is_empty() {
        c.change = ChangeClass::Rotated;
        c.detail = Some("the old content moved to a rotation sibling".into());
        c.rotated_to = to;
        return;
    }
    if let Some(from) = shifted_from(old, n) {
        c.change = ChangeClass::Rotated;
        c.detail = Some(format!(
            "rotation shifted copies: now holds what was in {from}"
        ));
        return;
    }
    if n.size >= o.size && o.sha256.is_some() && new.prefix_sha256(n, o.size) == o.sha256 {
        if new_inode {
            c.change = ChangeClass::Rewritten;
            c.detail = Some(format!(
                "the old content is a prefix of the new, but the file was replaced by a new inode ({} -> {})",
                crate::archive::record::or_unknown(o.inode),
                crate::archive::record::or_unknown(n.inode)
            ));
        } else {
            c.change = ChangeClass::Appended;
            c.detail = Some(format!("{} bytes appended", n.size - o.size));
        }
        return;
    }
    if n.size < o.size && n.sha256.is_some() && old.prefix_sha256(o, n.size) == n.sha256 {
        c.change = ChangeClass::Truncated;
        c.detail = Some(format!(
            "{} bytes cut from the end ({} -> {} bytes)",
            o.size - n.size,
            o.size,
            n.size
        ));
        return;
    }
    c.change = ChangeClass::Rewritten;
    c.detail = Some(if new_inode {
        "earlier content altered or removed, and the file was replaced by a new inode".into()
    } else {
        "earlier content altered or removed".into()
    });
    c.lost_lines = super::lost::lost(old, o, new, n);
}

/// The log a rotation file belongs to: `syslog.2.gz` -> `syslog`,
/// `auth.log-20261101` -> `auth.log`, `messages.old` -> `messages`. A name
/// without a rotation suffix is its own base.
pub fn rotation_base(name: &str) -> &str {
    let mut n = name;
    for ext in [".gz", ".bz2", ".xz", ".zst", ".Z"] {
        if let Some(x) = n.strip_suffix(ext) {
            n = x;
            break;
        }
    }
    if let Some(x) = n.strip_suffix(".old") {
        return x;
    }
    if let Some((head, tail)) = n.rsplit_once(['.', '-'])
        && !head.is_empty()
        && !tail.is_empty()
        && tail.bytes().all(|b| b.is_ascii_digit())
    {
        return head;
    }
    n
}

/// For a rotated copy (`syslog.3.gz`) whose content changed: the old
/// sibling of the same log whose exact content it now holds, i.e. the copies
/// were shifted by log rotation.
fn shifted_from(old: &Snapshot, n: &Entry) -> Option<String> {
    let (dir, name) = n.path.rsplit_once('/')?;
    let base = rotation_base(name);
    if base == name {
        return None;
    }
    let h = n.sha256?;
    let prefix = format!("{dir}/{base}");
    old.with_prefix(&prefix)
        .find(|s| {
            s.path != n.path
                && s.sha256 == Some(h)
                && s.path
                    .get(dir.len() + 1..)
                    .is_some_and(|r| !r.contains('/') && rotation_base(r) == base)
        })
        .map(|s| s.path.clone())
}

/// New-snapshot siblings of a log (`name.1`, `name-20240101`, `name.1.gz`…)
/// that start with the old log's whole content.
fn rotation_targets(old: &Snapshot, o: &Entry, new: &Snapshot) -> Vec<String> {
    let Some(old_hash) = o.sha256 else {
        return Vec::new();
    };
    if o.size == 0 {
        return Vec::new();
    }
    let (dir, name) = match o.path.rsplit_once('/') {
        Some((d, n)) => (d, n),
        None => return Vec::new(),
    };
    let base = rotation_base(name);
    let prefix = format!("{dir}/{base}");
    let mut out = Vec::new();
    for s in new.with_prefix(&prefix) {
        let Some(rest) = s.path.get(dir.len() + 1..) else {
            continue;
        };
        if rest.contains('/') || rest == name || s.kind != EntryType::File || !s.has_content() {
            continue;
        }
        let Some(suffix) = rest.strip_prefix(base) else {
            continue;
        };
        if !(suffix.starts_with('.') || suffix.starts_with('-')) || rotation_base(rest) != base {
            continue;
        }
        // A sibling that existed unchanged before is old rotation, not this one.
        if let Some(prev) = old.get(&s.path)
            && prev.sha256 == s.sha256
        {
            continue;
        }
        let matches = if s.sha256 == Some(old_hash) {
            true
        } else if suffix.ends_with(".gz") || suffix.ends_with(".Z") {
            gz_prefix_sha256(new, s, o.size) == Some(old_hash)
        } else {
            s.size >= o.size && new.prefix_sha256(s, o.size) == Some(old_hash)
        };
        if matches {
            out.push(s.path.clone());
        }
    }
    out
}

fn gz_prefix_sha256(snap: &Snapshot, e: &Entry, len: u64) -> Option<[u8; 32]> {
    let r = snap.open_content(e).ok()?;
    crate::snapshot::sha256_of_first(flate2::read::MultiGzDecoder::new(r), len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(path: &str, size: u64, h: u8) -> Entry {
        Entry::file(path, size, [h; 32])
    }

    /// What a capture on Windows records: no owner ids, inode, link count
    /// or change time.
    fn unknown_ids(mut e: Entry) -> Entry {
        (e.uid, e.gid, e.inode, e.ctime_ns) = (None, None, None, None);
        e
    }

    #[test]
    fn an_unknown_owner_inode_or_change_time_is_neither_changed_nor_equal() {
        let mut known = f("/var/log/app.log", 5, 1);
        (known.uid, known.gid, known.inode, known.ctime_ns) = (
            Some(1000),
            Some(1000),
            std::num::NonZeroU64::new(42),
            Some(1_700_000_000_000_000_000),
        );
        let unknown = unknown_ids(known.clone());
        let all = Comparable {
            inodes: true,
            capabilities: true,
        };
        for (o, n) in [(&known, &unknown), (&unknown, &known), (&unknown, &unknown)] {
            assert!(attributes(o, n, all).is_empty(), "{o:?} -> {n:?}");
        }
        // Known on both sides, they still count.
        let mut moved = known.clone();
        (moved.uid, moved.inode, moved.ctime_ns) =
            (Some(0), std::num::NonZeroU64::new(43), Some(1));
        assert_eq!(
            attributes(&known, &moved, all),
            [Attribute::Owner, Attribute::Ctime, Attribute::Inode]
        );
        // Snapshots whose inodes are unknown on one side give no pairs to
        // judge by: comparable, and still no inode change.
        let old = Snapshot::from_entries("old", vec![known.clone()]);
        let new = Snapshot::from_entries("new", vec![unknown.clone()]);
        assert!(inodes_comparable(&old, &new));
        assert!(compare(&old, &new).is_empty());
    }

    #[test]
    fn classes_added_removed_modified_metadata_renamed() {
        let mut moded = f("/etc/mode", 1, 9);
        let old = Snapshot::from_entries(
            "old",
            vec![
                f("/a", 1, 1),
                f("/b", 1, 2),
                f("/c", 1, 3),
                f("/etc/mode", 1, 9),
                f("/same", 1, 7),
            ],
        );
        moded.mode = 0o4755;
        let new = Snapshot::from_entries(
            "new",
            vec![
                f("/a", 2, 4),
                f("/d", 1, 5),
                moded,
                f("/moved", 1, 3),
                f("/same", 1, 7),
            ],
        );
        let c = compare(&old, &new);
        let got: Vec<(&str, ChangeClass)> = c.iter().map(|c| (c.path.as_str(), c.change)).collect();
        assert_eq!(
            got,
            vec![
                ("/a", ChangeClass::Modified),
                ("/b", ChangeClass::Removed),
                ("/d", ChangeClass::Added),
                ("/etc/mode", ChangeClass::Metadata),
                ("/moved", ChangeClass::Renamed),
            ]
        );
        assert_eq!(c[3].attributes, vec![Attribute::Mode]);
        assert_eq!(c[4].renamed_from.as_deref(), Some("/c"));
        assert_eq!(c[0].attributes, vec![Attribute::Content, Attribute::Size]);
    }

    #[test]
    fn rotation_bases() {
        assert_eq!(rotation_base("syslog.2.gz"), "syslog");
        assert_eq!(rotation_base("syslog.1"), "syslog");
        assert_eq!(rotation_base("auth.log-20261101"), "auth.log");
        assert_eq!(rotation_base("auth.log-20261101.gz"), "auth.log");
        assert_eq!(rotation_base("messages.old"), "messages");
        assert_eq!(rotation_base("syslog"), "syslog");
        assert_eq!(rotation_base("app.log"), "app.log");
        assert_eq!(rotation_base(".1"), ".1");
    }

    #[test]
    fn type_change_and_link_target() {
        let mut l1 = f("/l", 0, 0);
        l1.kind = EntryType::Symlink;
        l1.sha256 = None;
        l1.link_target = Some("/a".into());
        let mut l2 = l1.clone();
        l2.link_target = Some("/dev/null".into());
        let old = Snapshot::from_entries("o", vec![l1, f("/t", 3, 1)]);
        let mut t2 = f("/t", 3, 1);
        t2.kind = EntryType::Symlink;
        let new = Snapshot::from_entries("n", vec![l2, t2]);
        let c = compare(&old, &new);
        assert_eq!(c[0].change, ChangeClass::Metadata);
        assert_eq!(c[0].attributes, vec![Attribute::LinkTarget]);
        assert_eq!(c[1].change, ChangeClass::TypeChanged);
    }
}
