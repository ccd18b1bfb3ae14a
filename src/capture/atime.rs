//! Access times Exhibit changed and could not avoid changing, so that the
//! records still hold the value from before Exhibit touched the entry.
//!
//! Files are read with `O_NOATIME` and directories listed with it, which
//! leaves their access times alone. Two things the kernel does not let a
//! reader avoid: reading a symbolic link (`readlink`, and following one
//! while resolving a path inside a target root) updates the link's access
//! time on a filesystem mounted `strictatime` or `relatime`, and
//! `O_NOATIME` is refused on a file that is not the reader's own without
//! `CAP_FOWNER`. Whatever Exhibit reads before the walk (host identity,
//! accounts, profile start points, live response) notes here the access
//! time before and after it touched an entry; the capture then records the
//! value from before for an entry whose access time is still the one
//! Exhibit left (nobody else has touched it since).

use super::walk::Time;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Access times of one inode, before and after Exhibit touched it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touched {
    pub before: Time,
    pub after: Time,
}

/// At most this many inodes are remembered (bounded memory).
const MAX_NOTED: usize = 65_536;

static NOTED: Mutex<BTreeMap<(u64, u64), Touched>> = Mutex::new(BTreeMap::new());

/// Note that Exhibit changed the access time of inode (`dev`, `ino`) from
/// `before` to `after`. Nothing is noted when it did not change; an inode
/// noted twice keeps its first `before`.
pub fn note(dev: u64, ino: u64, before: Time, after: Time) {
    if before == after {
        return;
    }
    let mut noted = NOTED.lock().unwrap_or_else(|e| e.into_inner());
    if noted.len() >= MAX_NOTED && !noted.contains_key(&(dev, ino)) {
        return;
    }
    noted
        .entry((dev, ino))
        .and_modify(|t| t.after = after)
        .or_insert(Touched { before, after });
}

/// Note the access-time change of the entry `path` (not followed if it is a
/// symbolic link) whose metadata before the touch was `before`.
pub fn note_path(path: &std::path::Path, before: &std::fs::Metadata) {
    use crate::platform::meta;
    let Ok(after) = std::fs::symlink_metadata(path) else {
        return;
    };
    let (b, a) = (meta::of(before), meta::of(&after));
    // Without an identity (Windows) nothing can be matched to the walk.
    if (b.dev, b.ino) == (0, 0) || (a.dev, a.ino) != (b.dev, b.ino) {
        return;
    }
    if let (Some(bt), Some(at)) = (b.atime, a.atime) {
        note(b.dev, b.ino, bt, at);
    }
}

/// A `(seconds, nanoseconds)` time from `stat` fields.
pub use crate::platform::meta::time_of;

/// Take every noted change (the capture does, once its walk has seen the
/// entries).
pub fn take() -> BTreeMap<(u64, u64), Touched> {
    std::mem::take(&mut *NOTED.lock().unwrap_or_else(|e| e.into_inner()))
}

/// [`original`] against the changes noted so far: for an entry as the walk
/// meets it (a change noted later happened after the walk saw the entry).
pub fn original_now(dev: u64, ino: u64, seen: Option<Time>) -> Option<Time> {
    let noted = NOTED.lock().unwrap_or_else(|e| e.into_inner());
    original(&noted, dev, ino, seen)
}

/// The access time to record for inode (`dev`, `ino`) whose access time the
/// walk saw as `seen`: the one from before Exhibit touched it when `seen` is
/// the one Exhibit left, `seen` otherwise.
pub fn original(
    noted: &BTreeMap<(u64, u64), Touched>,
    dev: u64,
    ino: u64,
    seen: Option<Time>,
) -> Option<Time> {
    match (noted.get(&(dev, ino)), seen) {
        (Some(t), Some(s)) if t.after == s => Some(t.before),
        _ => seen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_untouched_since_value_is_replaced() {
        let mut m = BTreeMap::new();
        m.insert(
            (1, 2),
            Touched {
                before: (100, 0),
                after: (200, 5),
            },
        );
        assert_eq!(original(&m, 1, 2, Some((200, 5))), Some((100, 0)));
        // Someone read it after Exhibit did: their time stands.
        assert_eq!(original(&m, 1, 2, Some((300, 0))), Some((300, 0)));
        assert_eq!(original(&m, 1, 3, Some((200, 5))), Some((200, 5)));
        assert_eq!(original(&m, 1, 2, None), None);
    }
}
