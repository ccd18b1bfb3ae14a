//! What a capture takes: the seam between the walker and collection profiles.
//!
//! The walker asks a [`Selector`] about every directory before listing it and
//! about every entry it finds. Capturing plain paths uses [`Everything`];
//! profiles provide their own selector, so one walk serves every rule.

use crate::archive::EntryType;

/// The decision for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Record it; for regular files also store the content, unless it is
    /// larger than `size_limit` (then it is recorded as skipped `size_limit`).
    Content {
        size_limit: Option<u64>,
        rule: Option<String>,
        flags: Vec<String>,
    },
    /// Record the metadata only; `hash` asks for the SHA-256 of a regular
    /// file's content without storing it.
    MetadataOnly { hash: bool, rule: Option<String> },
    /// Record it as skipped with reason `excluded` and this explanation.
    Excluded(String),
    /// Not of interest: no record at all. Only for entries outside every rule
    /// of a profile; plain-path captures never ignore anything.
    Ignore,
}

/// Decides what a capture takes. Paths are logical (as the examined system
/// sees them), absolute, as raw bytes.
pub trait Selector: Send + Sync {
    /// Whether to list this directory's children at all. Called for every
    /// directory the walker reaches (after `select` on the directory itself).
    fn descend(&self, logical_dir: &[u8], depth: usize) -> bool;

    /// What to do with one entry.
    fn select(&self, logical: &[u8], kind: EntryType, size: u64) -> Selection;

    /// What to do with one entry, knowing its full `st_mode` (type and
    /// permission bits), for selectors that decide on permissions (e.g. hash
    /// every executable). The walker calls this; the default asks [`select`].
    ///
    /// [`select`]: Selector::select
    fn select_entry(&self, logical: &[u8], kind: EntryType, size: u64, _mode: u32) -> Selection {
        self.select(logical, kind, size)
    }

    /// Directories where walking must start: the selector's roots. `None`
    /// means the sources given in the request.
    fn start_points(&self) -> Option<Vec<Vec<u8>>> {
        None
    }

    /// Names of the profiles behind this selector, for the record.
    fn profile_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// Every compiled profile's version (see
    /// [`crate::capture::profile::Profile::version`]), by name.
    fn profile_versions(&self) -> std::collections::BTreeMap<String, String> {
        std::collections::BTreeMap::new()
    }
}

/// Take everything below the sources, content and all.
#[derive(Debug, Default, Clone, Copy)]
pub struct Everything;

impl Selector for Everything {
    fn descend(&self, _logical_dir: &[u8], _depth: usize) -> bool {
        true
    }

    fn select(&self, _logical: &[u8], _kind: EntryType, _size: u64) -> Selection {
        Selection::Content {
            size_limit: None,
            rule: None,
            flags: Vec::new(),
        }
    }
}
