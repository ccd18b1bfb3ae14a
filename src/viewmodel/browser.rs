//! The evidence browser's model, without egui: the archive as loaded
//! (records, acquisition, folder tree), the table's query (filter and sort)
//! and its evaluation, the capped preview of a member (text or hex), and
//! the I/O behind them, run in background jobs by the view.

use crate::archive::checked::SealedManifest;
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
    /// The folder tree, built when first shown (`None` until then).
    pub tree: Option<FolderTree>,
    /// `manifest-sha256.txt`: member name -> sealed SHA-256, for checking
    /// every member the browser reads. `Err` when the manifest is unreadable.
    pub manifest: Arc<Result<SealedManifest, String>>,
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
    manifest: &Result<SealedManifest, String>,
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
        .map(|m| m.get(&member))
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
    let manifest = crate::archive::checked::read_sealed_manifest(&archive);
    Ok(Loaded {
        path,
        archive: Arc::new(archive),
        acquisition,
        records: Arc::new(records),
        bad_lines,
        tree: Some(tree),
        manifest: Arc::new(manifest),
    })
}

/// An archive whose file records are still being read: what the browser
/// shows until [`Loaded`] takes its place (the same records, in the same
/// order, so rows and the selection carry over).
#[derive(Default)]
pub struct Partial {
    /// The acquisition record, once read (it comes before any record).
    pub acquisition: Option<Result<Acquisition, String>>,
    /// The records read so far, in `files.jsonl` order.
    pub records: Vec<FileRecord>,
    /// `files.jsonl` lines that did not parse so far (line number, error).
    pub bad_lines: Vec<(usize, String)>,
    /// Uncompressed bytes of `files.jsonl` read so far, and in all.
    pub bytes_done: u64,
    pub bytes_total: u64,
}

impl Partial {
    /// Take in one event of the load job.
    pub fn apply(&mut self, event: LoadEvent) {
        match event {
            LoadEvent::Opened {
                acquisition,
                bytes_total,
            } => {
                self.acquisition = Some(*acquisition);
                self.bytes_total = bytes_total;
            }
            LoadEvent::Records {
                mut records,
                mut bad_lines,
                bytes_done,
            } => {
                if self.records.is_empty() && bytes_done > 0 {
                    // Room for all the records to come at once, guessed
                    // from the first batch's bytes per record (a frame
                    // never waits on the vector growing; growing past the
                    // guess is still right).
                    let per = bytes_done as f64 / records.len().max(1) as f64;
                    let guess = (self.bytes_total as f64 / per.max(1.0) * 1.02) as usize;
                    self.records.reserve(guess.min(50_000_000));
                }
                self.records.append(&mut records);
                self.bad_lines.append(&mut bad_lines);
                self.bytes_done = bytes_done;
            }
        }
    }

    /// The share of `files.jsonl` read, 0 to 1.
    pub fn fraction(&self) -> f32 {
        if self.bytes_total == 0 {
            0.0
        } else {
            (self.bytes_done as f64 / self.bytes_total as f64).clamp(0.0, 1.0) as f32
        }
    }
}

/// What the load job sends while it runs ([`load_archive_streaming`]).
pub enum LoadEvent {
    /// The archive opened: its acquisition record and the size of
    /// `files.jsonl`.
    Opened {
        acquisition: Box<Result<Acquisition, String>>,
        bytes_total: u64,
    },
    /// The next records in file order, the lines among them that did not
    /// parse, and how far into `files.jsonl` they reach.
    Records {
        records: Vec<FileRecord>,
        bad_lines: Vec<(usize, String)>,
        bytes_done: u64,
    },
}

/// What the load job ends with once every record was sent: the archive
/// (for previews, extraction) and its sealed manifest.
pub struct LoadRest {
    pub archive: Arc<Archive>,
    pub manifest: Arc<Result<SealedManifest, String>>,
}

/// How the load job hands out records: the first batch small (the first
/// screen), the later ones larger; and, for tests, a hold after the first
/// batch that makes "still loading" last as long as a test needs.
#[derive(Clone, Debug)]
pub struct LoadPacing {
    /// Records in the first batch.
    pub first_batch: usize,
    /// Records in each later batch (at most).
    pub batch: usize,
    /// Bytes of `files.jsonl` parsed at a time.
    pub block: usize,
    /// While set, the job waits after its first batch (it still notices a
    /// cancel).
    pub hold: Option<Arc<std::sync::atomic::AtomicBool>>,
}

impl Default for LoadPacing {
    fn default() -> Self {
        Self {
            first_batch: 2_000,
            batch: 10_000,
            block: 4 << 20,
            hold: None,
        }
    }
}

/// Open an archive and read its records in batches, each sent through
/// `send` as soon as it is parsed (the load job's work: the browser shows
/// the first batch while the rest loads). The records come from
/// `files.jsonl` found by a quick look at the central directory; the full
/// index with every structure check ([`Archive::open`]) and the sealed
/// manifest are read on a second thread meanwhile, and the load fails, as
/// it always did, when they fail. Stops with an error when `cancel` is set.
pub fn load_archive_streaming(
    path: PathBuf,
    pacing: &LoadPacing,
    send: &dyn Fn(LoadEvent),
    sink: &dyn ProgressSink,
    cancel: &crate::job::CancelToken,
) -> anyhow::Result<LoadRest> {
    sink.update(&crate::job::Progress {
        phase: "reading the archive index",
        current: path.display().to_string(),
        ..Default::default()
    });
    std::thread::scope(|s| {
        let full = s.spawn(|| -> anyhow::Result<(Arc<Archive>, ManifestRead)> {
            let archive = Archive::open(&path)?;
            let manifest = crate::archive::checked::read_sealed_manifest(&archive);
            Ok((Arc::new(archive), manifest))
        });
        let streamed = stream_records(&path, pacing, send, sink, cancel);
        let full = full
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the archive reader stopped unexpectedly")));
        // The full index's error says most (a locked or broken archive).
        let (archive, manifest) = full?;
        let read = streamed?;
        // The records shown came from the member the full index knows by
        // that name, at the same place, or they are not shown at all.
        let same = archive.member(&read.name).is_some_and(|m| {
            (m.data_start, m.csize, m.usize, m.crc, m.method)
                == (
                    read.data_start,
                    read.csize,
                    read.usize,
                    read.crc,
                    read.method,
                )
        });
        anyhow::ensure!(
            same,
            "{} is not where the central directory first said it is: the archive's structure is ambiguous (run Verify)",
            read.name
        );
        Ok(LoadRest {
            archive,
            manifest: Arc::new(manifest),
        })
    })
}

/// The sealed manifest as [`crate::archive::checked::read_sealed_manifest`] reads it.
type ManifestRead = Result<SealedManifest, String>;

/// Find `files.jsonl` and `acquisition.json` in the central directory,
/// send the acquisition, then the records in batches. Returns the member
/// the records were read from.
fn stream_records(
    path: &std::path::Path,
    pacing: &LoadPacing,
    send: &dyn Fn(LoadEvent),
    sink: &dyn ProgressSink,
    cancel: &crate::job::CancelToken,
) -> anyhow::Result<crate::archive::zipread::Member> {
    use crate::archive::{ArchiveError, zipread};
    use std::sync::atomic::Ordering;
    let progress = |phase: &'static str, done: u64, total: Option<u64>, files: u64| {
        sink.update(&crate::job::Progress {
            phase,
            current: path.display().to_string(),
            bytes_done: done,
            bytes_total: total,
            files_done: files,
            ..Default::default()
        })
    };
    let file = match crate::archive::unlocked::decrypted(path) {
        Some(f) => f,
        None if crate::archive::encrypt::is_age_file(path) => {
            return Err(ArchiveError::Locked(path.to_path_buf()).into());
        }
        None => std::fs::File::open(path),
    }
    .map_err(|e| ArchiveError::Io(e, path.to_path_buf()))?;
    let tags = zipread::ZipIndex::find_members(&file, &|n| {
        n.strip_suffix("/bagit.txt")
            .is_some_and(|s| !s.contains('/'))
            || n.ends_with(crate::archive::FILES_JSONL)
            || n.ends_with(crate::archive::ACQUISITION_JSON)
    })
    .map_err(|e| ArchiveError::Zip(e, path.to_path_buf()))?;
    let stem = tags
        .iter()
        .find_map(|m| {
            m.name
                .strip_suffix("/bagit.txt")
                .filter(|s| !s.contains('/'))
        })
        .ok_or_else(|| anyhow::anyhow!("no <stem>/bagit.txt member"))?;
    let tag = |rel: &str| {
        let name = format!("{stem}/{rel}");
        tags.iter()
            .find(|m| m.name == name)
            .ok_or_else(|| anyhow::anyhow!("missing {name}"))
    };
    let acquisition = tag(crate::archive::ACQUISITION_JSON)
        .and_then(|m| {
            let mut raw = Vec::new();
            zipread::open_member(&file, m)?
                .take(64 << 20)
                .read_to_end(&mut raw)?;
            serde_json::from_slice::<Acquisition>(&raw)
                .map_err(|e| anyhow::anyhow!("bad {}: {e}", crate::archive::ACQUISITION_JSON))
        })
        .map_err(|e| format!("{e:#}"));
    let member = tag(crate::archive::FILES_JSONL)?;
    let name = member.name.clone();
    let bytes_total = member.usize;
    send(LoadEvent::Opened {
        acquisition: Box::new(acquisition),
        bytes_total,
    });
    let reader = zipread::open_member(&file, member)
        .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
    let mut reader = reader.take(16 << 30);
    let block_len = pacing.block.max(1);
    let mut buf: Vec<u8> = Vec::with_capacity(block_len + (64 << 10));
    let mut line = 1usize;
    let mut done = 0u64;
    let mut sent_records = 0u64;
    let mut first = true;
    let mut pending: Vec<FileRecord> = Vec::new();
    let mut pending_bad: Vec<(usize, String)> = Vec::new();
    let mut eof = false;
    while !eof {
        anyhow::ensure!(!cancel.is_cancelled(), "cancelled");
        // Fill the block, then parse up to its last line end.
        let start = buf.len();
        buf.resize(start + block_len, 0);
        let mut filled = start;
        while filled < buf.len() {
            match buf.get_mut(filled..).map(|b| reader.read(b)) {
                Some(Ok(0)) | None => {
                    eof = true;
                    break;
                }
                Some(Ok(k)) => filled += k,
                Some(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Some(Err(e)) => anyhow::bail!("cannot read {name}: {e}"),
            }
        }
        buf.truncate(filled);
        let cut = if eof {
            buf.len()
        } else {
            buf.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1)
        };
        if cut == 0 && !eof {
            continue; // one line longer than a block: read on
        }
        let Some(block) = buf.get(..cut) else { break };
        let mut end = 0usize;
        for piece in block.split(|&b| b == b'\n') {
            end = (end + piece.len() + 1).min(cut);
            if !piece.is_empty() {
                match serde_json::from_slice::<FileRecord>(piece) {
                    Ok(r) => pending.push(r),
                    Err(e) => pending_bad.push((line, e.to_string())),
                }
            }
            line += 1;
            let want = if first {
                pacing.first_batch
            } else {
                pacing.batch
            }
            .max(1);
            if pending.len() >= want {
                sent_records += pending.len() as u64;
                let at = done + end as u64;
                send(LoadEvent::Records {
                    records: std::mem::take(&mut pending),
                    bad_lines: std::mem::take(&mut pending_bad),
                    bytes_done: at,
                });
                progress(
                    "reading the file records",
                    at,
                    Some(bytes_total),
                    sent_records,
                );
                if first {
                    first = false;
                    while pacing
                        .hold
                        .as_ref()
                        .is_some_and(|h| h.load(Ordering::SeqCst))
                    {
                        anyhow::ensure!(!cancel.is_cancelled(), "cancelled");
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                }
                anyhow::ensure!(!cancel.is_cancelled(), "cancelled");
            }
        }
        // The piece after a block's last line end is empty and is the
        // next block's first line: it was counted once too many.
        if !eof {
            line -= 1;
        }
        done += cut as u64;
        buf.drain(..cut);
    }
    sent_records += pending.len() as u64;
    send(LoadEvent::Records {
        records: pending,
        bad_lines: pending_bad,
        bytes_done: done,
    });
    progress(
        "checking the archive's structure",
        done,
        Some(bytes_total),
        sent_records,
    );
    Ok(member.clone())
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
            uid: Some(0),
            gid: Some(0),
            user: None,
            group: None,
            inode: Some(1),
            dev: Some(1),
            nlink: Some(1),
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

    /// An archive with a bag declaration and the given `files.jsonl`.
    fn bag_with_records(dir: &std::path::Path, jsonl: &[u8]) -> PathBuf {
        use crate::archive::zipwrite::{EntryMeta, ZipWriter};
        let mut w = ZipWriter::new(Vec::new());
        for (name, data) in [
            ("S/bagit.txt", &b"BagIt-Version: 1.0\n"[..]),
            ("S/exhibit/acquisition.json", b"{}"),
            ("S/exhibit/files.jsonl", jsonl),
            ("S/manifest-sha256.txt", b""),
        ] {
            let meta = EntryMeta {
                name: name.to_string(),
                mode: 0o644,
                ..EntryMeta::default()
            };
            w.add_whole(meta, 0, crc32fast::hash(data), data.len() as u64, data)
                .unwrap();
        }
        let path = dir.join("a.zip");
        std::fs::write(&path, w.finish().unwrap().0).unwrap();
        path
    }

    fn line(path: &str) -> String {
        format!(
            r#"{{"path":"{path}","type":"file","size":1,"mode":"0644","uid":0,"gid":0,"inode":1,"dev":1,"nlink":1,"atime":null,"mtime":null,"ctime":null,"btime":null,"status":"captured"}}"#
        )
    }

    /// The streaming load hands out, batch by batch and across block
    /// boundaries (blocks shorter than a line too), exactly the records
    /// and bad line numbers of [`Archive::records`].
    #[test]
    fn streaming_load_yields_what_records_reads() {
        let dir = tempfile::tempdir().unwrap();
        let mut jsonl = String::new();
        for i in 0..30 {
            match i {
                7 => jsonl.push_str("not json\n"),
                12 => jsonl.push('\n'),
                _ => {
                    jsonl.push_str(&line(&format!("/d/f{i:02}")));
                    jsonl.push('\n');
                }
            }
        }
        jsonl.push_str(&line("/d/last-without-newline"));
        let path = bag_with_records(dir.path(), jsonl.as_bytes());
        let (want, want_bad) = Archive::open(&path).unwrap().records().unwrap();
        assert_eq!(want_bad.len(), 1);
        for block in [40, 200, 1000, 1 << 20] {
            let pacing = LoadPacing {
                first_batch: 1,
                batch: 4,
                block,
                hold: None,
            };
            let got = std::sync::Mutex::new(Partial::default());
            let batches = std::sync::atomic::AtomicUsize::new(0);
            let rest = load_archive_streaming(
                path.clone(),
                &pacing,
                &|e| {
                    if matches!(e, LoadEvent::Records { .. }) {
                        batches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    got.lock().unwrap().apply(e);
                },
                &crate::job::NoProgress,
                &crate::job::CancelToken::new(),
            )
            .unwrap();
            let got = got.into_inner().unwrap();
            let paths = |v: &[FileRecord]| v.iter().map(|r| r.path.clone()).collect::<Vec<_>>();
            assert_eq!(paths(&got.records), paths(&want), "block {block}");
            assert_eq!(got.bad_lines, want_bad, "block {block}");
            assert!(batches.into_inner() >= 7, "sent in batches");
            assert_eq!(got.bytes_done, got.bytes_total);
            assert!(
                got.acquisition.is_some_and(|a| a.is_err()),
                "{{}} is no acquisition"
            );
            assert!(rest.manifest.as_ref().is_ok());
        }
    }

    #[test]
    fn streaming_load_stops_when_cancelled_and_fails_like_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = bag_with_records(dir.path(), line("/a").as_bytes());
        let cancel = crate::job::CancelToken::new();
        cancel.cancel();
        let r = load_archive_streaming(
            path,
            &LoadPacing::default(),
            &|_| {},
            &crate::job::NoProgress,
            &cancel,
        );
        assert!(r.is_err_and(|e| e.to_string().contains("cancelled")));
        let not_zip = dir.path().join("b.zip");
        std::fs::write(&not_zip, b"not a zip at all, long enough for an end record").unwrap();
        let r = load_archive_streaming(
            not_zip,
            &LoadPacing::default(),
            &|_| {},
            &crate::job::NoProgress,
            &crate::job::CancelToken::new(),
        );
        assert!(r.is_err());
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
