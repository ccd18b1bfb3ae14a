//! The evidence archive (format version 1): a ZIP that is also a BagIt bag.
//!
//! ```text
//! <stem>.zip
//!   <stem>/bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt
//!   <stem>/exhibit/acquisition.json, files.jsonl, bodyfile.txt, live/*.json
//!   <stem>/data/<logical path>
//! ```
//! Writing happens in [`crate::capture`]; this module owns the layout, the
//! record types and a read-only [`Archive`] handle for everything that
//! examines archives later.

pub mod acquisition;
pub mod bagit;
pub mod bodyfile;
pub mod names;
pub mod record;
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

/// The member name of a logical path's content: `<stem>/data/<path>`.
pub fn payload_member(stem: &str, logical: &str) -> String {
    format!("{stem}/data/{}", logical.trim_start_matches('/'))
}

/// The custody log that belongs beside an archive: `<stem>.custody.jsonl`.
pub fn custody_log_path(archive: &Path) -> PathBuf {
    let name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".zip").unwrap_or(&name);
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
}

impl Archive {
    pub fn open(path: &Path) -> Result<Self, ArchiveError> {
        let file = File::open(path).map_err(|e| ArchiveError::Io(e, path.to_path_buf()))?;
        let index =
            zipread::ZipIndex::open(&file).map_err(|e| ArchiveError::Zip(e, path.to_path_buf()))?;
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
        })
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
        let mut out = Vec::new();
        let mut bad = Vec::new();
        for (i, line) in raw.split(|&b| b == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            match serde_json::from_slice::<FileRecord>(line) {
                Ok(r) => out.push(r),
                Err(e) => bad.push((i + 1, e.to_string())),
            }
        }
        Ok((out, bad))
    }

    /// A reader of one member's uncompressed content.
    pub fn open_member(&self, name: &str) -> std::io::Result<Box<dyn Read + Send + '_>> {
        let m = self
            .member(name)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, name.to_string()))?;
        zipread::member_reader(&self.file, m)
    }
}
