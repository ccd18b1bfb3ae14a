//! The case's notes: `notes.md` in the case folder, a Markdown file the
//! workstation only ever appends to (one `##` entry per action it records,
//! with when, who and why), and the examiner may extend by hand. It is the
//! record of what was done to the case folder that is not evidence itself,
//! such as an interrupted capture's `.partial` deleted.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The file's name in the case folder.
pub const NOTES_FILE: &str = "notes.md";

/// The case's notes file (whether it exists or not).
pub fn path(case_dir: &Path) -> PathBuf {
    case_dir.join(NOTES_FILE)
}

/// One entry: a title and its `key: value` lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// When (RFC 3339 UTC); now when empty.
    pub at: String,
    pub title: String,
    pub fields: Vec<(String, String)>,
}

impl Entry {
    /// The entry as Markdown; values are kept on one line each.
    pub fn to_markdown(&self) -> String {
        let one_line = |s: &str| s.replace(['\r', '\n'], " ");
        let mut s = format!(
            "\n## {} — {}\n\n",
            one_line(&self.at),
            one_line(&self.title)
        );
        for (k, v) in &self.fields {
            s.push_str(&format!("- {}: {}\n", one_line(k), one_line(v)));
        }
        s
    }
}

/// Append `entry` to the case's notes (created with a heading if missing)
/// and flush it to disk.
pub fn append(case_dir: &Path, mut entry: Entry) -> anyhow::Result<PathBuf> {
    if entry.at.is_empty() {
        entry.at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    }
    let p = path(case_dir);
    let fresh = std::fs::symlink_metadata(&p).is_err();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&p)
        .map_err(|e| anyhow::anyhow!("cannot open the case notes: {e}: {}", p.display()))?;
    let mut text = String::new();
    if fresh {
        text.push_str("# Case notes\n\nWhat was done to this case folder besides its evidence.\n");
    }
    text.push_str(&entry.to_markdown());
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| anyhow::anyhow!("cannot write the case notes: {e}: {}", p.display()))?;
    Ok(p)
}
