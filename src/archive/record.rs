//! The per-entry record stored one per line in `exhibit/files.jsonl`.
//!
//! Every entry the capture sees gets exactly one record, whatever its type and
//! whatever happened to it: a file that could not be read is a record with a
//! status and a reason, never a missing line.

use serde::{Deserialize, Serialize};

/// The type of a filesystem entry, as `lstat` saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryType {
    File,
    Dir,
    Symlink,
    Fifo,
    Socket,
    Block,
    Char,
}

impl EntryType {
    /// The one-letter type used by `ls -l` and the Sleuth Kit bodyfile.
    pub fn letter(self) -> char {
        match self {
            EntryType::File => '-',
            EntryType::Dir => 'd',
            EntryType::Symlink => 'l',
            EntryType::Fifo => 'p',
            EntryType::Socket => 's',
            EntryType::Block => 'b',
            EntryType::Char => 'c',
        }
    }

    /// The type from the `S_IFMT` bits of a mode, `None` for an unknown type.
    pub fn from_mode(mode: u32) -> Option<Self> {
        Some(match mode & 0o170000 {
            0o100000 => EntryType::File,
            0o040000 => EntryType::Dir,
            0o120000 => EntryType::Symlink,
            0o010000 => EntryType::Fifo,
            0o140000 => EntryType::Socket,
            0o060000 => EntryType::Block,
            0o020000 => EntryType::Char,
            _ => return None,
        })
    }
}

/// What happened to an entry during acquisition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Read completely (files) or recorded completely (other types), unchanged
    /// between the start and the end of the read.
    Captured,
    /// Captured, but the file changed while it was read; see `change`.
    ChangedDuringRead,
    /// Could not be opened or read; `reason` holds the OS error. A partial
    /// read is kept as a member and says so in `reason`.
    Unreadable,
    /// Gone between listing and reading.
    Vanished,
    /// Deliberately not read; `reason` says why (`special_file`, `size_limit`,
    /// `other_filesystem`, `excluded`).
    Skipped,
    /// Selected for metadata only (a profile rule said so): no content stored.
    MetadataOnly,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Captured => "captured",
            Status::ChangedDuringRead => "changed_during_read",
            Status::Unreadable => "unreadable",
            Status::Vanished => "vanished",
            Status::Skipped => "skipped",
            Status::MetadataOnly => "metadata_only",
        }
    }

    /// True when the entry's content (for files) is in the archive.
    pub fn has_content(self) -> bool {
        matches!(self, Status::Captured | Status::ChangedDuringRead)
    }
}

/// Size and modification time before and after a read that saw a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadChange {
    pub size_before: u64,
    pub size_after: u64,
    pub mtime_before: Option<String>,
    pub mtime_after: Option<String>,
    /// Bytes actually read and stored.
    pub bytes_read: u64,
}

/// One line of `files.jsonl`. Field names are part of the archive format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Logical path as the examined system sees it. When the name is not valid
    /// UTF-8, invalid bytes appear as `%XX` and `path_bytes_b64` holds the
    /// exact bytes.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_bytes_b64: Option<String>,
    #[serde(rename = "type")]
    pub kind: EntryType,
    pub size: u64,
    /// Permission bits including setuid/setgid/sticky, as a 4-digit octal string.
    pub mode: String,
    /// Numeric owner; `null` where the capturing system has none (Windows:
    /// the acquisition record's `method.unknown_fields` says why). The field
    /// is always present, like `inode`, `dev` and `nlink`.
    #[serde(deserialize_with = "Option::deserialize")]
    pub uid: Option<u32>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub gid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// File identity and link count; `null` where the capturing system
    /// cannot read them (see `uid`).
    #[serde(deserialize_with = "Option::deserialize")]
    pub inode: Option<u64>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub dev: Option<u64>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub nlink: Option<u64>,
    pub atime: Option<String>,
    pub mtime: Option<String>,
    pub ctime: Option<String>,
    pub btime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_target_bytes_b64: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Name of the ZIP member holding the content, when stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// For the second and later names of a hard-linked file: the path whose
    /// member holds the shared content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardlink_of: Option<String>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<ReadChange>,
    /// The size limit that applied to this entry, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_limit: Option<u64>,
    /// The profile rule that selected this entry, when profiles were used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Free-form markers, e.g. `secret` for credential stores taken on request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// File capabilities (`security.capability`, decoded:
    /// `cap_net_raw=ep`) of a regular file that has them. Archives whose
    /// acquisition says `records_capabilities` read them for every file, so
    /// a record without the field has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<String>,
    /// NTFS alternate data streams of the file (Windows captures): each
    /// named stream's name and size; their content is not captured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub streams: Vec<AltStream>,
}

/// A field that may be `null` as people read it: the value, or `unknown`.
pub fn or_unknown<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "unknown".to_string(), |v| v.to_string())
}

/// A named data stream of a file besides its content
/// ([`crate::platform::streams`]).
pub use crate::platform::streams::AltStream;

impl FileRecord {
    /// `(uid, gid)` when both are known.
    pub fn owner(&self) -> Option<(u32, u32)> {
        self.uid.zip(self.gid)
    }

    /// Permission bits parsed back from `mode`.
    pub fn mode_bits(&self) -> u32 {
        u32::from_str_radix(&self.mode, 8).unwrap_or(0)
    }

    /// The exact path bytes, decoding `path_bytes_b64` when present.
    pub fn path_bytes(&self) -> Vec<u8> {
        use base64::Engine as _;
        self.path_bytes_b64
            .as_deref()
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .unwrap_or_else(|| self.path.as_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"path":"/a","type":"file","size":1,"mode":"0644","uid":0,"gid":0,"inode":7,"dev":2049,"nlink":1,"atime":null,"mtime":null,"ctime":null,"btime":null,"status":"captured"}"#;

    #[test]
    fn known_ids_are_written_as_numbers_and_unknown_ones_as_null() {
        let mut r: FileRecord = serde_json::from_str(LINE).unwrap();
        assert_eq!((r.uid, r.inode, r.dev), (Some(0), Some(7), Some(2049)));
        assert_eq!(serde_json::to_string(&r).unwrap(), LINE);
        (r.uid, r.gid, r.inode, r.dev, r.nlink) = (None, None, None, None, None);
        let line = serde_json::to_string(&r).unwrap();
        assert!(line.contains(r#""uid":null,"gid":null,"inode":null,"dev":null,"nlink":null"#));
        let back: FileRecord = serde_json::from_str(&line).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.owner(), None);
    }

    #[test]
    fn a_record_without_its_identity_fields_is_malformed() {
        let line = LINE.replace(r#""inode":7,"#, "");
        let e = serde_json::from_str::<FileRecord>(&line).unwrap_err();
        assert!(e.to_string().contains("missing field `inode`"), "{e}");
    }
}
