//! Sealing an archive: the tag files written after the payload, and the
//! final step that turns `<stem>.zip.partial` into `<stem>.zip`.
//!
//! The write side of the format that [`super::Archive`] reads back: the
//! records in path order as `exhibit/files.jsonl` and `exhibit/bodyfile.txt`,
//! `exhibit/acquisition.json`, any extra tag files (live response) under
//! `exhibit/`, then the BagIt files (`manifest-sha256.txt` over the payload,
//! `bagit.txt`, `bag-info.txt`) and last `tagmanifest-sha256.txt` over all
//! of them. [`tally`] sums up the records, [`tag_files`] renders the tag
//! files in the order they are stored, and [`seal`] makes the finished
//! archive durable before it gets its final name.

use super::acquisition::{Acquisition, AcquisitionError, Counts};
use super::record::FileRecord;
use super::{EntryType, Status, bagit, bodyfile};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::path::Path;

/// What the records of a capture add up to.
pub struct Tally {
    pub counts: Counts,
    /// Entries that could not be captured completely, with reasons.
    pub errors: Vec<AcquisitionError>,
    /// (SHA-256, path inside the bag) of every stored file's content.
    pub payload: Vec<(String, String)>,
    /// Bytes of the stored content (for `Payload-Oxum`).
    pub payload_bytes: u64,
    /// `exhibit/files.jsonl`.
    pub files_jsonl: Vec<u8>,
    /// `exhibit/bodyfile.txt`.
    pub bodyfile: String,
}

/// Sort `records` by path (the order of `files.jsonl`) and sum them up for
/// the archive named `stem`. `errors` holds problems met outside the records
/// (files the capture refused to read); the records' own follow.
pub fn tally(stem: &str, records: &mut [FileRecord], mut errors: Vec<AcquisitionError>) -> Tally {
    records.sort_by(|a, b| a.path.cmp(&b.path));
    let mut counts = Counts {
        entries: records.len() as u64,
        ..Counts::default()
    };
    let mut payload: Vec<(String, String)> = Vec::new();
    let mut payload_bytes = 0u64;
    let mut files_jsonl = Vec::with_capacity(records.len() * 300);
    for r in records.iter() {
        match r.status {
            Status::Captured if r.kind == EntryType::File && r.member.is_some() => {}
            Status::ChangedDuringRead => counts.changed_during_read += 1,
            Status::Unreadable => counts.unreadable += 1,
            Status::Vanished => counts.vanished += 1,
            Status::Skipped => counts.skipped += 1,
            Status::MetadataOnly => counts.metadata_only += 1,
            Status::Captured => {}
        }
        if matches!(
            r.status,
            Status::ChangedDuringRead | Status::Unreadable | Status::Vanished
        ) || (r.status == Status::Skipped
            && r.reason
                .as_deref()
                .is_some_and(|x| !x.starts_with("excluded")))
        {
            errors.push(AcquisitionError {
                path: r.path.clone(),
                status: r.status.as_str().to_string(),
                reason: r.reason.clone().unwrap_or_default(),
            });
        }
        if let (Some(m), Some(sha), None) = (&r.member, &r.sha256, &r.hardlink_of) {
            counts.files_captured += 1;
            let size = r.change.as_ref().map(|c| c.bytes_read).unwrap_or(r.size);
            counts.bytes_captured += size;
            payload_bytes += size;
            let rel = m.strip_prefix(&format!("{stem}/")).unwrap_or(m).to_string();
            payload.push((sha.clone(), rel));
        }
        if let Ok(line) = serde_json::to_vec(r) {
            files_jsonl.extend_from_slice(&line);
            files_jsonl.push(b'\n');
        }
    }
    Tally {
        counts,
        errors,
        payload,
        payload_bytes,
        files_jsonl,
        bodyfile: bodyfile::render(records),
    }
}

/// The tag files of a capture, in the order they are stored.
pub struct TagFiles {
    /// (name inside the bag directory, content).
    pub files: Vec<(String, Vec<u8>)>,
    /// SHA-256 of `exhibit/acquisition.json`, for the custody log.
    pub acquisition_sha256: String,
}

/// Render the tag files of an archive: `acquisition` (with the tally's
/// counts and errors already in it), the tally's records and payload, the
/// `extra` tag files (name under `exhibit/`, content), `host_name` (the
/// name the archive was given for the examined system) and `bagging_date`
/// (`YYYY-MM-DD`) for `bag-info.txt`.
pub fn tag_files(
    acquisition: &Acquisition,
    tally: Tally,
    extra: &[(String, Vec<u8>)],
    host_name: &str,
    bagging_date: &str,
) -> TagFiles {
    let acquisition_json = serde_json::to_vec_pretty(acquisition).unwrap_or_default();
    let acquisition_sha256 = hex::encode(Sha256::digest(&acquisition_json));
    let manifest = bagit::manifest(tally.payload.iter().map(|(h, p)| (h.as_str(), p.as_str())));
    let case = &acquisition.case;
    let examiner = &acquisition.examiner;
    let bag_info = bagit::bag_info(&[
        (
            "Source-Organization",
            examiner.organisation.clone().unwrap_or_default(),
        ),
        ("Contact-Name", examiner.name.clone()),
        (
            "Contact-Email",
            examiner.contact.clone().unwrap_or_default(),
        ),
        (
            "External-Identifier",
            format!("{} / {}", case.case_id, case.evidence_id),
        ),
        (
            "External-Description",
            case.description
                .clone()
                .or_else(|| case.purpose.clone())
                .unwrap_or_else(|| format!("Evidence captured from {host_name}")),
        ),
        ("Bagging-Date", bagging_date.to_string()),
        (
            "Payload-Oxum",
            format!("{}.{}", tally.payload_bytes, tally.payload.len()),
        ),
        (
            "Bag-Software-Agent",
            format!("Exhibit {}", env!("CARGO_PKG_VERSION")),
        ),
        ("Exhibit-Format-Version", super::FORMAT_VERSION.to_string()),
        ("Exhibit-Acquisition-Start", acquisition.started_at.clone()),
        ("Exhibit-Acquisition-End", acquisition.finished_at.clone()),
        ("Exhibit-Source-Host", host_name.to_string()),
        ("Exhibit-Profile", acquisition.method.profiles.join(", ")),
    ]);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (super::ACQUISITION_JSON.into(), acquisition_json),
        (super::FILES_JSONL.into(), tally.files_jsonl),
        (super::BODYFILE.into(), tally.bodyfile.into_bytes()),
    ];
    for (name, data) in extra {
        files.push((
            format!("exhibit/{}", name.trim_start_matches('/')),
            data.clone(),
        ));
    }
    files.push((bagit::MANIFEST.into(), manifest.into_bytes()));
    files.push(("bagit.txt".into(), bagit::BAGIT_TXT.as_bytes().to_vec()));
    files.push(("bag-info.txt".into(), bag_info.into_bytes()));
    let tagmanifest = bagit::manifest(
        files
            .iter()
            .map(|(n, d)| (hex::encode(Sha256::digest(d)), n.clone()))
            .collect::<Vec<_>>()
            .iter()
            .map(|(h, n)| (h.as_str(), n.as_str())),
    );
    files.push((bagit::TAGMANIFEST.into(), tagmanifest.into_bytes()));
    TagFiles {
        files,
        acquisition_sha256,
    }
}

/// Seal a finished archive: make its data durable, then rename `partial`
/// to `final_path` (only now does it look complete) and make the rename
/// durable too.
pub fn seal(file: File, partial: &Path, final_path: &Path) -> std::io::Result<()> {
    file.sync_all()?;
    drop(file);
    std::fs::rename(partial, final_path)?;
    if let Some(dir) = final_path.parent() {
        let _ = crate::platform::files::sync_dir(dir);
    }
    Ok(())
}
