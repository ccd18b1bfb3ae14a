//! Chain of custody: the append-only, hash-chained custody log beside each
//! archive (`<stem>.custody.jsonl`), OpenSSH signatures, and the printable form.
//!
//! (Interface stub: the full implementation lands with the custody work.)

use std::path::{Path, PathBuf};

/// Who performed a custody action.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Actor {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// A loaded signing key (OpenSSH Ed25519).
#[derive(Debug)]
pub struct Signer {
    _private: (),
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CustodyError {
    #[error("cannot write custody log: {0}: {1}")]
    Io(std::io::Error, PathBuf),
}

/// What capture knows when it seals an archive.
#[derive(Debug)]
pub struct AcquisitionEvents<'a> {
    pub archive_path: &'a Path,
    pub archive_sha256: &'a str,
    pub archive_size: u64,
    pub acquisition_sha256: &'a str,
    pub actor: Actor,
    pub location: Option<String>,
    pub case_id: String,
    pub evidence_id: String,
    pub purpose: Option<String>,
    pub signer: Option<&'a Signer>,
}

/// Start the custody log of a freshly sealed archive with its `acquired` and
/// `sealed` events. Returns the log's path.
pub fn record_acquisition(ev: &AcquisitionEvents<'_>) -> Result<PathBuf, CustodyError> {
    Ok(crate::archive::custody_log_path(ev.archive_path))
}

/// A custody event's signature verdict, for reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignatureStatus {
    pub seq: u64,
    /// `valid`, `untrusted`, `invalid` or `unsigned`.
    pub status: String,
    pub signer: Option<String>,
}

/// The custody part of a verification.
#[derive(Debug, Clone, Default)]
pub struct CustodyCheck {
    pub events: u64,
    pub problems: Vec<crate::verify::Problem>,
    pub signatures: Vec<SignatureStatus>,
}

/// Verify the custody log of an archive whose actual SHA-256 is `archive_sha256`.
pub fn verify_for_archive(
    _log: &Path,
    _archive_sha256: &str,
    _trust: Option<&Path>,
) -> CustodyCheck {
    CustodyCheck::default()
}
