//! The evidence browser's model, without egui: the archive as loaded
//! (records, acquisition, folder tree), the table's query (filter and sort)
//! and its evaluation, the capped preview of a member (text or hex), and
//! the I/O behind them, run in background jobs by the view.

use crate::archive::{Acquisition, Archive, EntryType, FileRecord, Status};
use crate::job::ProgressSink;
use std::collections::HashMap;
use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;

/// The most content the preview reads from a member.
pub const PREVIEW_CAP_BYTES: u64 = 256 * 1024;
/// Bytes per hex-dump line.
pub const HEX_WIDTH: usize = 16;
/// Children listed per folder in the tree before "… more".
pub const TREE_CHILD_CAP: usize = 2000;

/// A folder of the tree (directories only; files are in the table).
#[derive(Debug, Clone, Default)]
pub struct FolderNode {
    pub name: String,
    pub path: String,
    pub children: Vec<usize>,
    /// Entries anywhere below this folder.
    pub entries: u64,
}

/// Folders of an archive, node 0 is `/`.
#[derive(Debug, Clone, Default)]
pub struct FolderTree {
    pub nodes: Vec<FolderNode>,
}

impl FolderTree {
    /// Build the folder tree of a record list.
    pub fn build(records: &[FileRecord]) -> Self {
        let mut nodes = vec![FolderNode {
            name: "/".into(),
            path: "/".into(),
            ..FolderNode::default()
        }];
        let mut index: HashMap<String, usize> = HashMap::new();
        index.insert("/".into(), 0);
        // Records come sorted by path, so a path mostly shares its folders
        // with the one before: those are reused without hashing.
        let mut last_path = "";
        let mut last_chain: Vec<(usize, usize)> = Vec::new();
        let mut chain: Vec<(usize, usize)> = Vec::new();
        for r in records {
            if let Some(n) = nodes.get_mut(0) {
                n.entries += 1;
            }
            let mut parent = 0usize;
            let mut end = 0usize;
            let path = r.path.as_str();
            let common = path
                .bytes()
                .zip(last_path.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            chain.clear();
            // Every proper ancestor directory of the path.
            while let Some(rel) = path.get(end + 1..).and_then(|s| s.find('/')) {
                end = end + 1 + rel;
                let Some(prefix) = path.get(..end) else { break };
                if prefix.is_empty() {
                    continue;
                }
                let known = (end < common)
                    .then(|| {
                        last_chain
                            .iter()
                            .find(|(e, _)| *e == end)
                            .map(|&(_, id)| id)
                    })
                    .flatten();
                let id = match known.or_else(|| index.get(prefix).copied()) {
                    Some(id) => id,
                    None => {
                        let id = nodes.len();
                        nodes.push(FolderNode {
                            name: prefix.rsplit('/').next().unwrap_or(prefix).to_string(),
                            path: prefix.to_string(),
                            ..FolderNode::default()
                        });
                        index.insert(prefix.to_string(), id);
                        if let Some(p) = nodes.get_mut(parent) {
                            p.children.push(id);
                        }
                        id
                    }
                };
                if let Some(n) = nodes.get_mut(id) {
                    n.entries += 1;
                }
                chain.push((end, id));
                parent = id;
            }
            last_path = path;
            std::mem::swap(&mut last_chain, &mut chain);
        }
        let names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
        for n in &mut nodes {
            n.children.sort_by(|a, b| names.get(*a).cmp(&names.get(*b)));
        }
        Self { nodes }
    }
}

/// An archive loaded for browsing.
pub struct Loaded {
    pub path: PathBuf,
    pub archive: Arc<Archive>,
    pub acquisition: Result<Acquisition, String>,
    pub records: Arc<Vec<FileRecord>>,
    /// `files.jsonl` lines that did not parse (line number, error).
    pub bad_lines: Vec<(usize, String)>,
    pub tree: FolderTree,
    /// `manifest-sha256.txt`: member name -> sealed SHA-256, for checking
    /// every member the browser reads. `Err` when the manifest is unreadable.
    pub manifest: Arc<Result<HashMap<String, String>, String>>,
}

/// Table columns that can be sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Path,
    Type,
    Size,
    Mtime,
    Mode,
    Owner,
    Status,
    Sha256,
}

/// Which records the table shows, in which order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewQuery {
    pub text: String,
    pub status: Option<Status>,
    pub kind: Option<EntryType>,
    pub folder: Option<String>,
    pub sort: SortKey,
    pub descending: bool,
}

impl Default for ViewQuery {
    fn default() -> Self {
        Self {
            text: String::new(),
            status: None,
            kind: None,
            folder: None,
            sort: SortKey::Path,
            descending: false,
        }
    }
}

/// Apply a query: the indices of matching records in display order.
pub fn run_query(records: &[FileRecord], q: &ViewQuery) -> Vec<u32> {
    let needle = q.text.trim().to_lowercase();
    let folder = q.folder.as_deref().map(|f| {
        if f == "/" {
            "/".to_string()
        } else {
            format!("{f}/")
        }
    });
    let mut out: Vec<u32> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            q.status.is_none_or(|s| r.status == s)
                && q.kind.is_none_or(|k| r.kind == k)
                && folder.as_deref().is_none_or(|f| r.path.starts_with(f))
                && (needle.is_empty()
                    || r.path.to_lowercase().contains(&needle)
                    || r.sha256.as_deref().is_some_and(|h| h.starts_with(&needle)))
        })
        .filter_map(|(i, _)| u32::try_from(i).ok())
        .collect();
    let rec = |i: &u32| records.get(*i as usize);
    match q.sort {
        SortKey::Path => {} // files.jsonl is sorted by path already.
        SortKey::Type => out.sort_by_key(|i| rec(i).map(|r| r.kind.letter())),
        SortKey::Size => out.sort_by_key(|i| rec(i).map(|r| r.size)),
        SortKey::Mtime => out.sort_by(|a, b| {
            rec(a)
                .map(|r| r.mtime.as_deref())
                .cmp(&rec(b).map(|r| r.mtime.as_deref()))
        }),
        SortKey::Mode => out.sort_by(|a, b| rec(a).map(|r| &r.mode).cmp(&rec(b).map(|r| &r.mode))),
        SortKey::Owner => out.sort_by_key(|i| rec(i).map(|r| r.uid)),
        SortKey::Status => out.sort_by_key(|i| rec(i).map(|r| r.status.as_str())),
        SortKey::Sha256 => out.sort_by(|a, b| {
            rec(a)
                .map(|r| r.sha256.as_deref())
                .cmp(&rec(b).map(|r| r.sha256.as_deref()))
        }),
    }
    if q.descending {
        out.reverse();
    }
    out
}

/// What the preview pane shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewBody {
    Text(Vec<String>),
    Hex(Vec<u8>),
    Nothing(String),
}

/// A loaded preview of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub record: usize,
    pub body: PreviewBody,
    /// True when only the first [`PREVIEW_CAP_BYTES`] were read.
    pub truncated: bool,
    /// Whether the member's bytes are the ones the manifest sealed.
    pub integrity: Integrity,
}

/// The member's whole content checked against the sealed manifest (the
/// one check of [`crate::archive::checked`]).
pub use crate::archive::checked::Integrity;

/// Members up to this size are hashed whole for the preview's check.
pub const HASH_CHECK_MAX_BYTES: u64 = 256 << 20;

fn looks_like_text(bytes: &[u8]) -> bool {
    let head = bytes.get(..8192).unwrap_or(bytes);
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        // A multi-byte character cut at the cap is still text.
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 >= bytes.len(),
    }
}

/// Read the start of a member for the preview (never more than the cap),
/// and hash the whole member against the sealed manifest (`manifest`), so
/// that content which is not what was sealed is never shown without a
/// warning.
pub fn load_preview(
    archive: &Archive,
    manifest: &Result<HashMap<String, String>, String>,
    record: usize,
    member: Option<String>,
) -> anyhow::Result<Preview> {
    let Some(member) = member else {
        return Ok(Preview {
            record,
            body: PreviewBody::Nothing("No content stored for this entry (see its status).".into()),
            truncated: false,
            integrity: Integrity::NoContent,
        });
    };
    let size = archive.member(&member).map_or(0, |m| m.usize);
    let sealed = manifest
        .as_ref()
        .map(|m| m.get(&member).cloned())
        .map_err(Clone::clone);
    let inner = archive
        .open_member(&member)
        .map_err(|e| anyhow::anyhow!("cannot read the member: {e}: {member}"))?;
    let expected = archive.member(&member).map(|m| (m.usize, m.crc));
    let mut reader = crate::archive::checked::CheckedReader::new(inner, expected, sealed);
    let mut buf = Vec::new();
    (&mut reader)
        .take(PREVIEW_CAP_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| anyhow::anyhow!("cannot read the member: {e}: {member}"))?;
    let integrity = match manifest {
        Err(e) => Integrity::NotChecked(format!("the manifest cannot be read: {e}")),
        Ok(_) if size > HASH_CHECK_MAX_BYTES => Integrity::NotChecked(format!(
            "{size} bytes is too large to hash for a preview: run Verify"
        )),
        Ok(_) => match std::io::copy(&mut reader, &mut std::io::sink()) {
            Err(e) => Integrity::Mismatch(format!("the member cannot be read whole: {e}")),
            Ok(_) => reader.verdict(),
        },
    };
    let truncated = buf.len() as u64 > PREVIEW_CAP_BYTES;
    buf.truncate(PREVIEW_CAP_BYTES as usize);
    let body = if buf.is_empty() {
        PreviewBody::Nothing("Empty file.".into())
    } else if looks_like_text(&buf) {
        PreviewBody::Text(
            String::from_utf8_lossy(&buf)
                .lines()
                .map(|l| l.replace('\t', "    "))
                .collect(),
        )
    } else {
        PreviewBody::Hex(buf)
    };
    Ok(Preview {
        record,
        body,
        truncated,
        integrity,
    })
}

/// Where a search text occurs in a preview (Ctrl+F), case-insensitive
/// (ASCII and Unicode lowercase): one entry per occurrence, the row it
/// starts on (a text line, or a hex-dump line: the hex view is searched in
/// its text column, the bytes as the dump prints them, so a match may run
/// across two rows). At most `max` occurrences.
pub fn find_in_preview(body: &PreviewBody, needle: &str, max: usize) -> Vec<usize> {
    let needle = needle.to_lowercase();
    if needle.is_empty() {
        return Vec::new();
    }
    let mut hits = Vec::new();
    match body {
        PreviewBody::Nothing(_) => {}
        PreviewBody::Text(lines) => {
            for (i, line) in lines.iter().enumerate() {
                let hay = line.to_lowercase();
                let mut from = 0;
                while let Some(at) = hay.get(from..).and_then(|h| h.find(&needle)) {
                    hits.push(i);
                    if hits.len() >= max {
                        return hits;
                    }
                    from += at + needle.len().max(1);
                }
            }
        }
        PreviewBody::Hex(bytes) => {
            // The text column: printable ASCII as is, everything else `.`.
            let hay: Vec<u8> = bytes
                .iter()
                .map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        b.to_ascii_lowercase()
                    } else {
                        b'.'
                    }
                })
                .collect();
            let n = needle.as_bytes();
            let mut at = 0;
            while at + n.len() <= hay.len() {
                if hay.get(at..at + n.len()) == Some(n) {
                    hits.push(at / HEX_WIDTH);
                    if hits.len() >= max {
                        break;
                    }
                    at += n.len();
                } else {
                    at += 1;
                }
            }
        }
    }
    hits
}

/// One hex-dump line: offset, hex bytes, printable ASCII.
pub fn hex_line(offset: usize, chunk: &[u8]) -> String {
    let mut hex = String::with_capacity(HEX_WIDTH * 3);
    for (i, b) in chunk.iter().enumerate() {
        if i == 8 {
            hex.push(' ');
        }
        hex.push_str(&format!("{b:02x} "));
    }
    let ascii: String = chunk
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    format!("{offset:08x}  {hex:<49} |{ascii}|")
}

/// Open an archive and read its index, records and acquisition (the load
/// job's work).
pub fn load_archive(path: PathBuf, sink: &dyn ProgressSink) -> anyhow::Result<Loaded> {
    sink.update(&crate::job::Progress {
        phase: "reading the archive index",
        current: path.display().to_string(),
        ..Default::default()
    });
    let archive = Archive::open(&path)?;
    let acquisition = archive.acquisition().map_err(|e| format!("{e:#}"));
    sink.update(&crate::job::Progress {
        phase: "reading the file records",
        current: path.display().to_string(),
        ..Default::default()
    });
    let (records, bad_lines) = archive.records()?;
    let tree = FolderTree::build(&records);
    let manifest = crate::extract::sealed_manifest(&archive);
    Ok(Loaded {
        path,
        archive: Arc::new(archive),
        acquisition,
        records: Arc::new(records),
        bad_lines,
        tree,
        manifest: Arc::new(manifest),
    })
}

/// The member holding a record's content: its own, or the one of the file
/// it is a hard link to.
pub fn content_member(records: &[FileRecord], idx: usize) -> Option<String> {
    let rec = records.get(idx)?;
    rec.member.clone().or_else(|| {
        rec.hardlink_of.as_ref().and_then(|target| {
            records
                .binary_search_by(|r| r.path.as_str().cmp(target))
                .ok()
                .and_then(|i| records.get(i))
                .and_then(|r| r.member.clone())
        })
    })
}

/// The index of the record with this logical path.
pub fn find_path(records: &[FileRecord], path: &str) -> Option<usize> {
    records.iter().position(|r| r.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::viewmodel::format::elide_start;

    fn rec(path: &str, size: u64, status: Status) -> FileRecord {
        FileRecord {
            path: path.into(),
            path_bytes_b64: None,
            kind: EntryType::File,
            size,
            mode: "0644".into(),
            uid: 0,
            gid: 0,
            user: None,
            group: None,
            inode: 1,
            dev: 1,
            nlink: 1,
            atime: None,
            mtime: None,
            ctime: None,
            btime: None,
            link_target: None,
            link_target_bytes_b64: None,
            sha256: Some(format!("{size:064x}")),
            member: None,
            hardlink_of: None,
            streams: Vec::new(),
            status,
            reason: None,
            change: None,
            size_limit: None,
            rule: None,
            flags: Vec::new(),
            capabilities: None,
        }
    }

    #[test]
    fn query_filters_sorts_and_scopes_to_a_folder() {
        let rs = vec![
            rec("/etc/passwd", 30, Status::Captured),
            rec("/etc/shadow", 10, Status::Unreadable),
            rec("/var/log/auth.log", 20, Status::Captured),
        ];
        let all = run_query(&rs, &ViewQuery::default());
        assert_eq!(all, [0, 1, 2]);
        let q = ViewQuery {
            text: "AUTH".into(),
            ..ViewQuery::default()
        };
        assert_eq!(run_query(&rs, &q), [2]);
        let q = ViewQuery {
            status: Some(Status::Unreadable),
            ..ViewQuery::default()
        };
        assert_eq!(run_query(&rs, &q), [1]);
        let q = ViewQuery {
            sort: SortKey::Size,
            descending: true,
            ..ViewQuery::default()
        };
        assert_eq!(run_query(&rs, &q), [0, 2, 1]);
        let q = ViewQuery {
            folder: Some("/etc".into()),
            ..ViewQuery::default()
        };
        assert_eq!(run_query(&rs, &q), [0, 1]);
        // A folder filter never matches a sibling with the same prefix.
        let q = ViewQuery {
            folder: Some("/et".into()),
            ..ViewQuery::default()
        };
        assert!(run_query(&rs, &q).is_empty());
        // SHA-256 prefix search.
        let q = ViewQuery {
            text: format!("{:064x}", 20).to_uppercase(),
            ..ViewQuery::default()
        };
        assert_eq!(run_query(&rs, &q), [2]);
    }

    #[test]
    fn long_paths_keep_their_file_name() {
        assert_eq!(elide_start("/a/b", 10), "/a/b");
        assert_eq!(elide_start("/very/long/path/passwd", 8), "…/passwd");
    }

    #[test]
    fn tree_counts_entries_per_folder() {
        let rs = vec![
            rec("/etc", 0, Status::Captured),
            rec("/etc/passwd", 0, Status::Captured),
            rec("/etc/ssh/sshd_config", 0, Status::Captured),
            rec("/var/log/syslog", 0, Status::Captured),
        ];
        let t = FolderTree::build(&rs);
        let find = |p: &str| t.nodes.iter().find(|n| n.path == p).unwrap();
        assert_eq!(t.nodes[0].entries, 4);
        assert_eq!(find("/etc").entries, 2);
        assert_eq!(find("/etc/ssh").entries, 1);
        assert_eq!(find("/var/log").entries, 1);
        let root_children: Vec<_> = t.nodes[0]
            .children
            .iter()
            .map(|&c| t.nodes[c].name.clone())
            .collect();
        assert_eq!(root_children, ["etc", "var"]);
    }

    #[test]
    fn find_counts_every_occurrence_in_text_and_in_the_hex_text_column() {
        let text = PreviewBody::Text(vec![
            "root login from 10.0.0.1".into(),
            "nothing".into(),
            "ROOT and root again".into(),
        ]);
        assert_eq!(find_in_preview(&text, "root", 100), vec![0, 2, 2]);
        assert_eq!(find_in_preview(&text, "Root", 1), vec![0]);
        assert!(find_in_preview(&text, "", 100).is_empty());
        // "password" spans the first and second hex rows.
        let mut bytes = vec![0u8; 12];
        bytes.extend_from_slice(b"PassWord\x00\x01secret");
        let hex = PreviewBody::Hex(bytes);
        assert_eq!(find_in_preview(&hex, "password", 100), vec![0]);
        assert_eq!(find_in_preview(&hex, "secret", 100), vec![1]);
        // Non-printable bytes read as `.` in the text column, as shown.
        assert_eq!(find_in_preview(&hex, "d..s", 100), vec![1]);
    }

    #[test]
    fn text_and_binary_detection_and_hex_lines() {
        assert!(looks_like_text(b"hello\nworld\n"));
        assert!(!looks_like_text(b"ELF\0\x01\x02"));
        assert!(looks_like_text(
            "é".repeat(10).as_bytes().get(..19).unwrap()
        ));
        let line = hex_line(16, b"AB\x00");
        assert!(line.starts_with("00000010  41 42 00"), "{line}");
        assert!(line.ends_with("|AB.|"), "{line}");
    }

    proptest::proptest! {
        #[test]
        fn tree_and_query_never_panic(paths in proptest::collection::vec(".{0,40}", 0..40), text in ".{0,8}") {
            let rs: Vec<FileRecord> = paths.iter().map(|p| rec(p, 1, Status::Captured)).collect();
            let _ = FolderTree::build(&rs);
            let _ = run_query(&rs, &ViewQuery { text, folder: Some("/".into()), sort: SortKey::Mtime, ..ViewQuery::default() });
        }

        /// The reuse of the previous path's folders changes nothing: the
        /// tree of sorted records equals the tree of the same records in
        /// any order (same folders, same counts, same children).
        #[test]
        fn tree_of_sorted_records_equals_tree_of_shuffled(
            paths in proptest::collection::vec("(/[ab]{1,2}){1,4}", 0..40),
            seed in 0u64..1000,
        ) {
            let mut sorted = paths.clone();
            sorted.sort();
            let mut shuffled = paths;
            let n = shuffled.len().max(1) as u64;
            for i in 0..shuffled.len() {
                let j = ((seed.wrapping_mul(31).wrapping_add(i as u64 * 7)) % n) as usize;
                shuffled.swap(i, j);
            }
            let summary = |ps: &[String]| {
                let rs: Vec<FileRecord> = ps.iter().map(|p| rec(p, 1, Status::Captured)).collect();
                let t = FolderTree::build(&rs);
                let mut v: Vec<(String, u64, Vec<String>)> = t
                    .nodes
                    .iter()
                    .map(|n| {
                        let kids = n.children.iter().map(|&c| t.nodes[c].path.clone()).collect();
                        (n.path.clone(), n.entries, kids)
                    })
                    .collect();
                v.sort();
                v
            };
            proptest::prop_assert_eq!(summary(&sorted), summary(&shuffled));
        }
    }
}
