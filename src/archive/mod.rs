//! The evidence archive (format version 1): a ZIP that is also a BagIt bag.
//!
//! ```text
//! <stem>.zip
//!   <stem>/bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt
//!   <stem>/exhibit/acquisition.json, files.jsonl, bodyfile.txt, live/*.json
//!   <stem>/data/<logical path>
//! ```
//! The payload is written by [`crate::capture`]; this module owns the
//! layout, the record types, the tag files and the seal ([`seal`]), and a
//! read-only [`Archive`] handle for everything that examines archives later.

pub mod acquisition;
pub mod bagit;
pub mod bodyfile;
pub mod capabilities;
pub mod checked;
pub mod encrypt;
pub mod names;
pub mod record;
pub mod regular;
pub mod seal;
pub mod spill;
pub mod unlocked;
pub mod zipread;
pub mod zipspec;
pub mod zipwrite;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use acquisition::Acquisition;
pub use record::{EntryType, FileRecord, Status};

pub const FORMAT_NAME: &str = "exhibit-evidence-archive";
pub const FORMAT_VERSION: u32 = 1;

/// Tag file paths inside the bag directory.
pub const ACQUISITION_JSON: &str = "exhibit/acquisition.json";
pub const FILES_JSONL: &str = "exhibit/files.jsonl";
pub const BODYFILE: &str = "exhibit/bodyfile.txt";
pub const LIVE_DIR: &str = "exhibit/live/";

/// The member name of a logical path's content: `<stem>/data/<path>`, with
/// every `\` written `%5C`. Some extractors (Windows ones, 7-Zip, bsdtar on
/// request) take `\` for a separator: unescaped, a file named `x\y` would
/// land on `x/y`, over another file or out of its directory. The record
/// keeps the true path; a name already taken gets a `~N` suffix.
pub fn payload_member(stem: &str, logical: &str) -> String {
    format!(
        "{stem}/data/{}",
        logical.trim_start_matches('/').replace('\\', "%5C")
    )
}

/// The member name earlier versions gave `logical`: `\` kept, except where
/// it formed a `..` component. Verify accepts it in archives they sealed.
pub fn legacy_payload_member(stem: &str, logical: &str) -> String {
    let name = format!("{stem}/data/{}", logical.trim_start_matches('/'));
    match zipread::unsafe_name(&name) {
        Some(_) => name.replace('\\', "%5C"),
        None => name,
    }
}

/// Whether a member name is a payload file's: `<stem>/data/…`.
fn is_payload_name(name: &[u8]) -> bool {
    name.iter()
        .position(|&b| b == b'/')
        .is_some_and(|slash| name[slash + 1..].starts_with(b"data/"))
}

/// Whether the name is an evidence archive's: `*.zip`, or `*.zip.age` when
/// encrypted (see [`unlocked`]).
pub fn is_archive_name(path: &Path) -> bool {
    path.file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|n| n.ends_with(".zip") || n.ends_with(".zip.age"))
}

/// The custody log that belongs beside an archive: `<stem>.custody.jsonl`.
pub fn custody_log_path(archive: &Path) -> PathBuf {
    let name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".age").unwrap_or(&name);
    let stem = stem.strip_suffix(".zip").unwrap_or(stem);
    archive.with_file_name(format!("{stem}.custody.jsonl"))
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    #[error("{0}: {1}")]
    Zip(zipread::ZipReadError, PathBuf),
    #[error("cannot open archive: {0}: {1}")]
    Io(std::io::Error, PathBuf),
    #[error("not an Exhibit archive ({0}): {1}")]
    Format(String, PathBuf),
    #[error(
        "an encrypted archive: unlock it with its identity first (exhibit verify/decrypt --identity, or the workstation's Unlock): {0}"
    )]
    Locked(PathBuf),
}

/// All records of an archive, plus (line number, error) for lines that did not parse.
pub type RecordsRead = (Vec<FileRecord>, Vec<(usize, String)>);

/// A read-only view of an evidence archive. Opening parses the structure and
/// the tag files; content is streamed on demand and never extracted.
pub struct Archive {
    pub path: PathBuf,
    pub file: File,
    pub index: zipread::ZipIndex,
    pub stem: String,
    /// The sealed manifest, read once on first use ([`Archive::sealed_manifest`]).
    sealed: std::sync::OnceLock<Result<checked::SealedManifest, String>>,
}

impl Archive {
    /// Open the archive at `path`; an encrypted one (`.zip.age`) reads its
    /// decrypted copy once [`unlocked::unlock`] made one, and is
    /// [`ArchiveError::Locked`] until then.
    pub fn open(path: &Path) -> Result<Self, ArchiveError> {
        Self::open_with(path, None)
    }

    /// [`Archive::open`] keeping only the tag files (every member outside
    /// `<stem>/data/`) and checking nothing but their headers: what reads
    /// the records and the acquisition of an archive of millions of files
    /// (`exhibit show`) without an index of its payload.
    pub fn open_tags(path: &Path) -> Result<Self, ArchiveError> {
        Self::open_with(path, Some(&|name: &[u8]| !is_payload_name(name)))
    }

    fn open_with(path: &Path, keep: Option<zipread::KeepName<'_>>) -> Result<Self, ArchiveError> {
        let file = match unlocked::decrypted(path) {
            Some(f) => f,
            None if encrypt::is_age_file(path) => {
                return Err(ArchiveError::Locked(path.to_path_buf()));
            }
            None => File::open(path),
        }
        .map_err(|e| ArchiveError::Io(e, path.to_path_buf()))?;
        let index = match keep {
            None => zipread::ZipIndex::open(&file),
            Some(keep) => zipread::ZipIndex::open_only(&file, keep),
        }
        .map_err(|e| ArchiveError::Zip(e, path.to_path_buf()))?;
        let stem = index
            .members
            .iter()
            .find_map(|m| {
                m.name
                    .strip_suffix("/bagit.txt")
                    .filter(|s| !s.contains('/'))
            })
            .map(str::to_string)
            .ok_or_else(|| {
                ArchiveError::Format("no <stem>/bagit.txt member".into(), path.to_path_buf())
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            index,
            stem,
            sealed: std::sync::OnceLock::new(),
        })
    }

    /// The payload members (`<stem>/data/…`) in a compact table (about 80
    /// bytes and the name each), their local headers read and nothing else
    /// checked: content lookups by member name in an archive opened with
    /// [`Archive::open_tags`].
    pub fn payload_members(&self) -> Result<zipread::MemberTable, ArchiveError> {
        zipread::CompactIndex::open_only(&self.file, &is_payload_name)
            .map(|c| c.members)
            .map_err(|e| ArchiveError::Zip(e, self.path.clone()))
    }

    /// The member with this exact name.
    pub fn member(&self, name: &str) -> Option<&zipread::Member> {
        self.index.members.iter().find(|m| m.name == name)
    }

    /// Read a tag file (bag-relative path) fully, refusing absurd sizes.
    pub fn read_tag(&self, rel: &str, max: u64) -> Result<Vec<u8>, ArchiveError> {
        let name = format!("{}/{rel}", self.stem);
        let err = |msg: String| ArchiveError::Format(msg, self.path.clone());
        let m = self
            .member(&name)
            .ok_or_else(|| err(format!("missing {name}")))?;
        if m.usize > max {
            return Err(err(format!("{name} is {} bytes, more than {max}", m.usize)));
        }
        // Never trust a declared size for an allocation.
        let mut out = Vec::with_capacity(m.usize.min(64 << 20) as usize);
        zipread::member_reader(&self.file, m)
            .and_then(|r| r.take(max + 1).read_to_end(&mut out))
            .map_err(|e| err(format!("cannot read {name}: {e}")))?;
        Ok(out)
    }

    pub fn acquisition(&self) -> Result<Acquisition, ArchiveError> {
        let raw = self.read_tag(ACQUISITION_JSON, 64 << 20)?;
        serde_json::from_slice(&raw).map_err(|e| {
            ArchiveError::Format(format!("bad {ACQUISITION_JSON}: {e}"), self.path.clone())
        })
    }

    /// All file records. Lines that do not parse are returned as errors with
    /// their line numbers rather than failing the whole read.
    pub fn records(&self) -> Result<RecordsRead, ArchiveError> {
        let raw = self.read_tag(FILES_JSONL, 16 << 30)?;
        // Parse in as many slices as there are cores, each cut at a line
        // end; the slices are joined back in order.
        let threads = crate::job::threads(0, usize::MAX);
        let chunks = split_lines(&raw, if raw.len() < (4 << 20) { 1 } else { threads });
        let parsed: Vec<RecordsRead> = crate::job::par_map(
            &chunks,
            threads,
            &crate::job::CancelToken::new(),
            |&(first_line, chunk)| {
                std::panic::catch_unwind(|| parse_records(chunk, first_line)).ok()
            },
            None,
        )
        .into_iter()
        .map(|r| {
            r.flatten()
                .unwrap_or_else(|| (Vec::new(), vec![(0, "parser thread failed".into())]))
        })
        .collect();
        let mut out = Vec::with_capacity(parsed.iter().map(|p| p.0.len()).sum());
        let mut bad = Vec::new();
        for (records, errors) in parsed {
            out.extend(records);
            bad.extend(errors);
        }
        Ok((out, bad))
    }

    /// A reader of one member's uncompressed content, unchecked: content
    /// shown to anyone goes through [`Archive::open_member_checked`].
    pub fn open_member(&self, name: &str) -> std::io::Result<Box<dyn Read + Send + '_>> {
        let m = self
            .member(name)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, name.to_string()))?;
        zipread::member_reader(&self.file, m)
    }
}

/// Cut `raw` into at most `n` slices ending at line ends, each with the
/// number of the line it starts at (1-based).
fn split_lines(raw: &[u8], n: usize) -> Vec<(usize, &[u8])> {
    let n = n.max(1);
    let mut out = Vec::with_capacity(n);
    let mut start = 0usize;
    let mut line = 1usize;
    for k in 1..=n {
        if start >= raw.len() {
            break;
        }
        let mut end = if k == n {
            raw.len()
        } else {
            (raw.len() * k / n).max(start)
        };
        if end < raw.len() {
            end = raw
                .get(end..)
                .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
                .map_or(raw.len(), |p| end + p + 1);
        }
        let Some(chunk) = raw.get(start..end) else {
            break;
        };
        out.push((line, chunk));
        line += chunk.iter().filter(|&&b| b == b'\n').count();
        start = end;
    }
    out
}

/// Parse `files.jsonl` lines; `first_line` numbers the first one.
fn parse_records(chunk: &[u8], first_line: usize) -> RecordsRead {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in chunk.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<FileRecord>(line) {
            Ok(r) => out.push(r),
            Err(e) => bad.push((first_line + i, e.to_string())),
        }
    }
    (out, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_property_test_line_is_a_valid_record() {
        let line = br#"{"path":"/a/b","type":"file","size":1,"mode":"0644","uid":0,"gid":0,"inode":1,"dev":1,"nlink":1,"atime":null,"mtime":null,"ctime":null,"btime":null,"status":"captured"}"#;
        let (ok, bad) = parse_records(line, 7);
        assert_eq!((ok.len(), bad.len()), (1, 0), "{bad:?}");
        let (ok, bad) = parse_records(b"\nnope\n", 7);
        assert_eq!((ok.len(), bad), (0, vec![(8, bad_text())]));
    }

    fn bad_text() -> String {
        serde_json::from_slice::<FileRecord>(b"nope")
            .unwrap_err()
            .to_string()
    }

    proptest::proptest! {
        /// Parsing in slices gives exactly what one serial pass gives,
        /// including the line numbers of bad lines.
        #[test]
        fn sliced_parse_equals_serial_parse(
            lines in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(String::new()),
                    proptest::strategy::Just("not json".to_string()),
                    proptest::strategy::Strategy::prop_map("[a-z/]{1,12}", |p| format!(
                        "{{\"path\":\"/{p}\",\"type\":\"file\",\"size\":1,\"mode\":\"0644\",\"uid\":0,\"gid\":0,\"inode\":1,\"dev\":1,\"nlink\":1,\"atime\":null,\"mtime\":null,\"ctime\":null,\"btime\":null,\"status\":\"captured\"}}"
                    )),
                ],
                0..60,
            ),
            n in 1usize..9,
            trailing_newline: bool,
        ) {
            let mut raw = lines.join("\n");
            if trailing_newline {
                raw.push('\n');
            }
            let raw = raw.into_bytes();
            let chunks = split_lines(&raw, n);
            let joined: Vec<u8> = chunks.iter().flat_map(|c| c.1.iter().copied()).collect();
            proptest::prop_assert_eq!(&joined, &raw);
            let mut recs = Vec::new();
            let mut bad = Vec::new();
            for (first, c) in chunks {
                let (r, b) = parse_records(c, first);
                recs.extend(r.into_iter().map(|r| r.path));
                bad.extend(b.into_iter().map(|b| b.0));
            }
            let (sr, sb) = parse_records(&raw, 1);
            proptest::prop_assert_eq!(recs, sr.into_iter().map(|r| r.path).collect::<Vec<_>>());
            proptest::prop_assert_eq!(bad, sb.into_iter().map(|b| b.0).collect::<Vec<_>>());
        }
    }
}
