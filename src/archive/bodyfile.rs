//! The Sleuth Kit 3.x bodyfile (`exhibit/bodyfile.txt`), readable by `mactime -b`.
//!
//! Format: `MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime`
//! with times in whole seconds since the epoch (0 when unknown). An inode,
//! uid or gid the record holds as `null` (a capture on Windows) is written
//! 0 too, as the Sleuth Kit's own tools write a value a filesystem lacks:
//! `mactime` skips a line whose inode, uid or gid is not a number, so an
//! empty field would drop the entry from the timeline. The format
//! has no escaping, so `|` and line breaks in names are written as `\|`,
//! `\n` and `\r`; symlinks are named `path -> target` as `fls` does.

use super::record::{EntryType, FileRecord};
use std::fmt::Write as _;

fn clean(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// `ls -l` style mode string, e.g. `-rwsr-xr-x`.
pub fn mode_string(kind: EntryType, mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(kind.letter());
    let bits = [
        (0o400, 'r'),
        (0o200, 'w'),
        (0o100, 'x'),
        (0o040, 'r'),
        (0o020, 'w'),
        (0o010, 'x'),
        (0o004, 'r'),
        (0o002, 'w'),
        (0o001, 'x'),
    ];
    for (i, (bit, c)) in bits.iter().enumerate() {
        let set = mode & bit != 0;
        let special = match i {
            2 => (mode & 0o4000 != 0).then_some(if set { 's' } else { 'S' }),
            5 => (mode & 0o2000 != 0).then_some(if set { 's' } else { 'S' }),
            8 => (mode & 0o1000 != 0).then_some(if set { 't' } else { 'T' }),
            _ => None,
        };
        s.push(special.unwrap_or(if set { *c } else { '-' }));
    }
    s
}

fn epoch(t: &Option<String>) -> i64 {
    t.as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.timestamp())
        .unwrap_or(0)
}

/// One bodyfile line (without the trailing newline).
pub fn line(r: &FileRecord) -> String {
    let mut name = clean(&r.path);
    if let Some(t) = &r.link_target {
        let _ = write!(name, " -> {}", clean(t));
    }
    format!(
        "0|{name}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
        r.inode.unwrap_or(0),
        mode_string(r.kind, r.mode_bits()),
        r.uid.unwrap_or(0),
        r.gid.unwrap_or(0),
        r.size,
        epoch(&r.atime),
        epoch(&r.mtime),
        epoch(&r.ctime),
        epoch(&r.btime),
    )
}

/// The whole bodyfile for a set of records.
pub fn render(records: &[FileRecord]) -> String {
    let mut out = String::new();
    for r in records {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_strings() {
        assert_eq!(mode_string(EntryType::File, 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_string(EntryType::Dir, 0o1777), "drwxrwxrwt");
        assert_eq!(mode_string(EntryType::File, 0o2644), "-rw-r-Sr--");
    }
}
