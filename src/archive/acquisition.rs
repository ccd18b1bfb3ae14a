//! `exhibit/acquisition.json`: who captured what, when, where, why and how.
//!
//! The fields follow the NIST sample chain-of-custody form plus what digital
//! evidence needs (source host identity, tool, exact command line, counts).
//! All times are UTC; the examiner's time zone is kept for display.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Examiner {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// IANA name or UTC offset of the examiner's local time, for display only.
    pub timezone: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseInfo {
    pub case_id: String,
    pub evidence_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Identity of the examined system.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    pub hostname: Option<String>,
    pub os: Option<String>,
    pub kernel: Option<String>,
    pub boot_id: Option<String>,
    pub machine_id: Option<String>,
    /// True when the host was read from a target root (mounted image), not
    /// from the running system.
    pub from_target_root: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Method {
    pub tool: String,
    pub tool_version: String,
    /// `cli` or `gui`.
    pub interface: String,
    /// The exact command line, for CLI captures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_line: Option<Vec<String>>,
    pub profiles: Vec<String>,
    /// The version of every profile the capture compiled (those named and
    /// those they include): the SHA-256 of its definition, so a later
    /// comparison knows whether it judges with the same rules. Absent for
    /// captures without profiles and archives of older versions.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub profile_versions: std::collections::BTreeMap<String, String>,
    /// Logical paths requested.
    pub sources: Vec<String>,
    /// Target root on the examiner's machine (`--root`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    pub compression: String,
    /// Acquisition host (where Exhibit ran), when different from the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquired_on: Option<String>,
    /// The file records carry `capabilities` for every regular file that
    /// has them (archives of older versions did not read them).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub records_capabilities: bool,
    /// Record fields the capturing system could not read (Windows: inode,
    /// device, owner ids, link count, change time, Unix mode), each with
    /// why. The records hold `null` for each of them but `mode`, whose
    /// value is derived (the reason says how), not read. Empty (and absent)
    /// for captures on Linux and macOS.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub unknown_fields: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub entries: u64,
    pub files_captured: u64,
    pub bytes_captured: u64,
    pub changed_during_read: u64,
    pub unreadable: u64,
    pub vanished: u64,
    pub skipped: u64,
    pub metadata_only: u64,
}

/// One problem met during acquisition (also present as a record's reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcquisitionError {
    pub path: String,
    pub status: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acquisition {
    pub format: String,
    pub format_version: u32,
    pub stem: String,
    pub case: CaseInfo,
    pub examiner: Examiner,
    pub host: HostInfo,
    pub method: Method,
    pub started_at: String,
    pub finished_at: String,
    pub counts: Counts,
    pub errors: Vec<AcquisitionError>,
}
