//! Sealing an archive: the tag files written after the payload, and the
//! final step that turns `<stem>.zip.partial` into `<stem>.zip`.
//!
//! The write side of the format that [`super::Archive`] reads back: the
//! records in path order as `exhibit/files.jsonl` and `exhibit/bodyfile.txt`,
//! `exhibit/acquisition.json`, any extra tag files (live response) under
//! `exhibit/`, then the BagIt files (`manifest-sha256.txt` over the payload,
//! `bagit.txt`, `bag-info.txt`) and last `tagmanifest-sha256.txt` over all
//! of them. [`RecordTally`] sums up the records as they become final and
//! writes the three tag files that list them while it reads them back in
//! path order (spilled to disk beyond a limit, so a capture of millions of
//! entries holds none of them in memory), [`tag_files`] renders the tag
//! files in the order they are stored, and [`seal`] makes the finished
//! archive durable before it gets its final name.

use super::acquisition::{Acquisition, AcquisitionError, Counts};
use super::record::FileRecord;
use super::spill::{self, Sorter, Spill, SpillWriter, Spilled};
use super::zipspec::{METHOD_DEFLATED, METHOD_STORED};
use super::{EntryType, Status, bagit, bodyfile};
use flate2::write::DeflateEncoder;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

/// The deflate level of tag files.
pub const TAG_LEVEL: u32 = 6;

/// A tag file written as it is produced (`files.jsonl` of millions of
/// records): deflated at [`TAG_LEVEL`] into a spill, its CRC-32, SHA-256
/// and size taken on the way.
pub struct TagStream {
    /// Fed 64 KiB at a time (records arrive a few bytes at a time).
    deflate: io::BufWriter<DeflateEncoder<SpillWriter>>,
    crc: crc32fast::Hasher,
    sha: Sha256,
    len: u64,
}

impl TagStream {
    pub fn new(spill: &Spill) -> io::Result<Self> {
        Ok(Self {
            deflate: io::BufWriter::with_capacity(
                1 << 16,
                DeflateEncoder::new(spill.writer()?, flate2::Compression::new(TAG_LEVEL)),
            ),
            crc: crc32fast::Hasher::new(),
            sha: Sha256::new(),
            len: 0,
        })
    }

    pub fn finish(self) -> io::Result<StreamedTag> {
        let encoder = self.deflate.into_inner().map_err(|e| e.into_error())?;
        let deflated = encoder.finish()?.finish()?;
        Ok(StreamedTag {
            crc: self.crc.finalize(),
            len: self.len,
            sha256: hex::encode(self.sha.finalize()),
            deflated,
        })
    }
}

impl Write for TagStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.deflate.write_all(buf)?;
        self.crc.update(buf);
        self.sha.update(buf);
        self.len += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A finished [`TagStream`].
#[derive(Debug)]
pub struct StreamedTag {
    pub crc: u32,
    /// Uncompressed size.
    pub len: u64,
    pub sha256: String,
    deflated: Spilled,
}

/// How a tag file is stored, as the writer stores every tag file:
/// deflated when that makes it smaller, else stored.
pub struct StoredTag {
    pub method: u16,
    pub crc: u32,
    /// Uncompressed size.
    pub usize: u64,
    /// Size of `data`.
    pub csize: u64,
    pub data: Box<dyn Read + Send>,
}

impl StreamedTag {
    /// Its member data, deflated or stored.
    pub fn stored(self) -> io::Result<StoredTag> {
        let (crc, usize) = (self.crc, self.len);
        let deflated_len = self.deflated.len();
        let r = self.deflated.reader()?;
        Ok(if deflated_len < usize {
            StoredTag {
                method: METHOD_DEFLATED,
                crc,
                usize,
                csize: deflated_len,
                data: r,
            }
        } else {
            StoredTag {
                method: METHOD_STORED,
                crc,
                usize,
                csize: usize,
                data: Box::new(flate2::read::DeflateDecoder::new(r)),
            }
        })
    }
}

/// The content of one tag file.
pub enum TagData {
    Bytes(Vec<u8>),
    Streamed(StreamedTag),
}

impl TagData {
    fn sha256(&self) -> String {
        match self {
            TagData::Bytes(b) => hex::encode(Sha256::digest(b)),
            TagData::Streamed(t) => t.sha256.clone(),
        }
    }
}

/// What the records of a capture add up to.
pub struct Tally {
    pub counts: Counts,
    /// Entries that could not be captured completely, with reasons.
    pub errors: Vec<AcquisitionError>,
    /// Stored files (for `Payload-Oxum`).
    pub payload_files: u64,
    /// Bytes of the stored content (for `Payload-Oxum`).
    pub payload_bytes: u64,
    /// `exhibit/files.jsonl`.
    pub files_jsonl: StreamedTag,
    /// `exhibit/bodyfile.txt`.
    pub bodyfile: StreamedTag,
    /// `manifest-sha256.txt`.
    pub manifest: StreamedTag,
}

/// The records of a capture, given in any order as they become final, and
/// summed up into [`Tally`]: sorted by path (ties in the order of their
/// index, the walk's) for `files.jsonl`, the bodyfile and the payload
/// manifest, which are written as the sorted records are read back.
/// Records are kept serialized, in memory up to a limit and beyond it in
/// sorted runs in a [`Spill`]: memory does not grow with their number.
pub struct RecordTally {
    stem_prefix: String,
    spill: Spill,
    sorter: Sorter,
    counts: Counts,
    payload_files: u64,
    payload_bytes: u64,
    key: Vec<u8>,
    value: Vec<u8>,
}

const HAS_ERROR: u8 = 1;
const HAS_PAYLOAD: u8 = 2;

impl RecordTally {
    /// The tally of the archive named `stem`, holding at most about
    /// `limit` bytes of records in memory before spilling them.
    pub fn new(stem: &str, spill: Spill, limit: usize) -> Self {
        Self {
            stem_prefix: format!("{stem}/"),
            sorter: Sorter::new(spill.clone(), limit),
            spill,
            counts: Counts::default(),
            payload_files: 0,
            payload_bytes: 0,
            key: Vec::new(),
            value: Vec::new(),
        }
    }

    /// Records given so far.
    pub fn len(&self) -> u64 {
        self.counts.entries
    }

    pub fn is_empty(&self) -> bool {
        self.counts.entries == 0
    }

    /// Add the final record of walk item `index`.
    pub fn push(&mut self, index: u64, r: &FileRecord) -> io::Result<()> {
        let counts = &mut self.counts;
        counts.entries += 1;
        match r.status {
            Status::Captured if r.kind == EntryType::File && r.member.is_some() => {}
            Status::ChangedDuringRead => counts.changed_during_read += 1,
            Status::Unreadable => counts.unreadable += 1,
            Status::Vanished => counts.vanished += 1,
            Status::Skipped => counts.skipped += 1,
            Status::MetadataOnly => counts.metadata_only += 1,
            Status::Captured => {}
        }
        let error = matches!(
            r.status,
            Status::ChangedDuringRead | Status::Unreadable | Status::Vanished
        ) || (r.status == Status::Skipped
            && r.reason
                .as_deref()
                .is_some_and(|x| !x.starts_with("excluded")));
        let payload = match (&r.member, &r.sha256, &r.hardlink_of) {
            (Some(m), Some(sha), None) => {
                counts.files_captured += 1;
                let size = r.change.as_ref().map(|c| c.bytes_read).unwrap_or(r.size);
                counts.bytes_captured += size;
                self.payload_files += 1;
                self.payload_bytes += size;
                let rel = m.strip_prefix(&self.stem_prefix).unwrap_or(m);
                Some((sha.as_str(), rel))
            }
            _ => None,
        };
        let v = &mut self.value;
        v.clear();
        v.push(if error { HAS_ERROR } else { 0 } | if payload.is_some() { HAS_PAYLOAD } else { 0 });
        spill::put_bytes(v, &serde_json::to_vec(r).map_err(io::Error::other)?)?;
        spill::put_bytes(v, bodyfile::line(r).as_bytes())?;
        if error {
            spill::put_bytes(v, r.status.as_str().as_bytes())?;
            spill::put_bytes(v, r.reason.as_deref().unwrap_or_default().as_bytes())?;
        }
        if let Some((sha, rel)) = payload {
            spill::put_bytes(v, sha.as_bytes())?;
            spill::put_bytes(v, rel.as_bytes())?;
        }
        // Path order, ties in walk order (a name escaped to `%FF` sorts
        // with a real `%FF`). Paths hold no NUL byte.
        self.key.clear();
        self.key.extend_from_slice(r.path.as_bytes());
        self.key.push(0);
        self.key.extend_from_slice(&index.to_be_bytes());
        self.sorter.push(&self.key, &self.value)
    }

    /// Read the records back in path order into the tag files. `errors`
    /// holds problems met outside the records (files the capture refused
    /// to read); the records' own follow, in path order.
    pub fn finish(self, mut errors: Vec<AcquisitionError>) -> io::Result<Tally> {
        let mut files_jsonl = TagStream::new(&self.spill)?;
        let mut body = TagStream::new(&self.spill)?;
        let mut manifest = TagStream::new(&self.spill)?;
        let mut sorted = self.sorter.finish()?;
        let mut field = Vec::new();
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "a spilled record is cut short");
        while let Some((key, value)) = sorted.next()? {
            let path = key.get(..key.len().saturating_sub(9)).ok_or_else(bad)?;
            let (&flags, mut rest) = value.split_first().ok_or_else(bad)?;
            let mut next = |out: &mut Vec<u8>| -> io::Result<()> {
                if spill::get_bytes(&mut rest, out)? {
                    Ok(())
                } else {
                    Err(bad())
                }
            };
            next(&mut field)?;
            files_jsonl.write_all(&field)?;
            files_jsonl.write_all(b"\n")?;
            next(&mut field)?;
            body.write_all(&field)?;
            body.write_all(b"\n")?;
            if flags & HAS_ERROR != 0 {
                next(&mut field)?;
                let status = String::from_utf8_lossy(&field).into_owned();
                next(&mut field)?;
                errors.push(AcquisitionError {
                    path: String::from_utf8_lossy(path).into_owned(),
                    status,
                    reason: String::from_utf8_lossy(&field).into_owned(),
                });
            }
            if flags & HAS_PAYLOAD != 0 {
                next(&mut field)?;
                manifest.write_all(&field)?;
                manifest.write_all(b"  ")?;
                next(&mut field)?;
                let rel = String::from_utf8_lossy(&field);
                manifest.write_all(bagit::encode_path(&rel).as_bytes())?;
                manifest.write_all(b"\n")?;
            }
        }
        Ok(Tally {
            counts: self.counts,
            errors,
            payload_files: self.payload_files,
            payload_bytes: self.payload_bytes,
            files_jsonl: files_jsonl.finish()?,
            bodyfile: body.finish()?,
            manifest: manifest.finish()?,
        })
    }
}

/// Sum up `records` (in any order) for the archive named `stem`, in memory:
/// [`RecordTally`] with nothing spilled to disk.
pub fn tally(
    stem: &str,
    records: &[FileRecord],
    errors: Vec<AcquisitionError>,
) -> io::Result<Tally> {
    let mut t = RecordTally::new(stem, Spill::memory(), usize::MAX);
    for (i, r) in records.iter().enumerate() {
        t.push(i as u64, r)?;
    }
    t.finish(errors)
}

/// The tag files of a capture, in the order they are stored.
pub struct TagFiles {
    /// (name inside the bag directory, content).
    pub files: Vec<(String, TagData)>,
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
            format!("{}.{}", tally.payload_bytes, tally.payload_files),
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
    let mut files: Vec<(String, TagData)> = vec![
        (
            super::ACQUISITION_JSON.into(),
            TagData::Bytes(acquisition_json),
        ),
        (
            super::FILES_JSONL.into(),
            TagData::Streamed(tally.files_jsonl),
        ),
        (super::BODYFILE.into(), TagData::Streamed(tally.bodyfile)),
    ];
    for (name, data) in extra {
        files.push((
            format!("exhibit/{}", name.trim_start_matches('/')),
            TagData::Bytes(data.clone()),
        ));
    }
    files.push((bagit::MANIFEST.into(), TagData::Streamed(tally.manifest)));
    files.push((
        "bagit.txt".into(),
        TagData::Bytes(bagit::BAGIT_TXT.as_bytes().to_vec()),
    ));
    files.push(("bag-info.txt".into(), TagData::Bytes(bag_info.into_bytes())));
    let sums: Vec<(String, String)> = files.iter().map(|(n, d)| (d.sha256(), n.clone())).collect();
    let tagmanifest = bagit::manifest(sums.iter().map(|(h, n)| (h.as_str(), n.as_str())));
    files.push((
        bagit::TAGMANIFEST.into(),
        TagData::Bytes(tagmanifest.into_bytes()),
    ));
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::archive::record::ReadChange;
    use proptest::prelude::*;

    fn stored_bytes(t: StreamedTag) -> (u16, u64, Vec<u8>) {
        let mut s = t.stored().unwrap();
        let mut data = Vec::new();
        s.data.read_to_end(&mut data).unwrap();
        assert_eq!(data.len() as u64, s.csize);
        (s.method, s.usize, data)
    }

    /// A whole buffer deflated at once, as the writer deflates a small tag.
    fn whole(data: &[u8]) -> Vec<u8> {
        let mut c = flate2::Compress::new(flate2::Compression::new(TAG_LEVEL), false);
        let mut out = Vec::with_capacity(data.len() + 1024);
        c.compress_vec(data, &mut out, flate2::FlushCompress::Finish)
            .unwrap();
        out
    }

    #[test]
    fn a_streamed_tag_inflates_back_to_what_was_written() {
        let text: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{{\"path\":\"/srv/{i}\",\"size\":{}}}\n", i % 977).into_bytes())
            .collect();
        for chunk in [1usize, 7, 4096, 65_536, 1 << 20] {
            let mut t = TagStream::new(&Spill::memory()).unwrap();
            for c in text.chunks(chunk) {
                t.write_all(c).unwrap();
            }
            let t = t.finish().unwrap();
            assert_eq!(t.sha256, hex::encode(Sha256::digest(&text)));
            assert_eq!(t.crc, crc32fast::hash(&text));
            let (method, usize, data) = stored_bytes(t);
            assert_eq!((method, usize), (METHOD_DEFLATED, text.len() as u64));
            let mut back = Vec::new();
            flate2::read::DeflateDecoder::new(&data[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, text, "chunks of {chunk}");
            // As small as deflating it whole (the streams differ: zlib-rs
            // output depends on how the input is cut).
            assert!(
                data.len() <= whole(&text).len() * 101 / 100,
                "chunks of {chunk}"
            );
        }
    }

    #[test]
    fn a_tag_that_does_not_deflate_is_stored() {
        for data in [Vec::new(), b"x".to_vec()] {
            let mut t = TagStream::new(&Spill::memory()).unwrap();
            t.write_all(&data).unwrap();
            let (method, usize, stored) = stored_bytes(t.finish().unwrap());
            assert_eq!(
                (method, usize, stored),
                (METHOD_STORED, data.len() as u64, data)
            );
        }
    }

    fn record(path: &str, status: Status, member: bool) -> FileRecord {
        FileRecord {
            path: path.to_string(),
            path_bytes_b64: None,
            kind: EntryType::File,
            size: 10,
            mode: "0644".into(),
            uid: Some(0),
            gid: Some(0),
            user: None,
            group: None,
            inode: Some(1),
            dev: Some(1),
            nlink: Some(1),
            atime: None,
            mtime: Some("2026-01-02T03:04:05.000000006Z".into()),
            ctime: None,
            btime: None,
            link_target: None,
            link_target_bytes_b64: None,
            sha256: member.then(|| "ab".repeat(32)),
            member: member.then(|| format!("S/data{path}")),
            hardlink_of: None,
            status,
            reason: (status != Status::Captured).then(|| "why".to_string()),
            change: (status == Status::ChangedDuringRead).then_some(ReadChange {
                size_before: 10,
                size_after: 12,
                mtime_before: None,
                mtime_after: None,
                bytes_read: 11,
            }),
            size_limit: None,
            rule: None,
            flags: Vec::new(),
            capabilities: None,
            streams: Vec::new(),
        }
    }

    fn text(t: StreamedTag) -> String {
        let mut r = t.deflated.reader().unwrap();
        let mut z = Vec::new();
        r.read_to_end(&mut z).unwrap();
        let mut out = String::new();
        flate2::read::DeflateDecoder::new(&z[..])
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        /// Whatever the order records come in and however small the
        /// memory limit, the tally is the one of the records sorted by
        /// path (ties in index order): `files.jsonl`, the bodyfile, the
        /// manifest, the counts and the errors in order.
        #[test]
        fn the_tally_does_not_depend_on_order_or_limit(
            picks in proptest::collection::vec((0usize..40, 0u8..4, any::<bool>()), 1..60),
            limit in 1usize..2000,
            seed in any::<u64>(),
        ) {
            let statuses = [Status::Captured, Status::Unreadable, Status::ChangedDuringRead, Status::Skipped];
            let records: Vec<FileRecord> = picks
                .iter()
                .map(|&(p, s, m)| record(&format!("/d/{p:02}"), statuses[s as usize], m))
                .collect();
            // The expected: a stable sort by path, as capture always did.
            let mut sorted: Vec<(usize, &FileRecord)> = records.iter().enumerate().collect();
            sorted.sort_by(|a, b| a.1.path.cmp(&b.1.path));
            let want_jsonl: String = sorted
                .iter()
                .map(|(_, r)| format!("{}\n", serde_json::to_string(r).unwrap()))
                .collect();
            let want_body: String = sorted.iter().map(|(_, r)| format!("{}\n", bodyfile::line(r))).collect();
            let want_errors: Vec<String> = sorted
                .iter()
                .filter(|(_, r)| r.status != Status::Captured)
                .map(|(_, r)| r.path.clone())
                .collect();
            // Pushed in a shuffled order, with their walk index.
            let mut order: Vec<usize> = (0..records.len()).collect();
            let mut x = seed | 1;
            for i in (1..order.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                order.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let dir = tempfile::tempdir().unwrap();
            let mut t = RecordTally::new("S", Spill::disk(dir.path()), limit);
            for &i in &order {
                t.push(i as u64, &records[i]).unwrap();
            }
            let tally = t.finish(Vec::new()).unwrap();
            prop_assert_eq!(tally.counts.entries, records.len() as u64);
            prop_assert_eq!(
                tally.errors.iter().map(|e| e.path.clone()).collect::<Vec<_>>(),
                want_errors
            );
            let files = records.iter().filter(|r| r.member.is_some()).count() as u64;
            prop_assert_eq!(tally.payload_files, files);
            prop_assert_eq!(text(tally.files_jsonl), want_jsonl);
            prop_assert_eq!(text(tally.bodyfile), want_body);
            let manifest = text(tally.manifest);
            prop_assert_eq!(manifest.lines().count() as u64, files);
            prop_assert!(manifest.lines().all(|l| l.starts_with(&"ab".repeat(32))));
        }
    }
}
