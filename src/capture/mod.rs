//! Capture: snapshot files into a hashed, timestamped evidence archive.
//!
//! [`capture`] takes a validated [`CaptureRequest`] and runs it in parts:
//! collect live response when the request's [`LivePolicy`] says so (most
//! volatile first, before a single file is read); walk the sources once,
//! recording every entry ([`walk`]); plan the records, member names and
//! hard links (`plan`); read the regular files on all cores (hash +
//! compress in one pass) while a writer thread lays out the ZIP (`pipeline`,
//! [`acquire`], [`sink`]); then render the tag files and seal the archive
//! ([`crate::archive::seal`]: records, bodyfile, acquisition, BagIt
//! manifests), and start the custody log. The archive is written as
//! `<stem>.zip.partial` and renamed only once complete and synced, so an
//! interrupted capture never leaves a file that looks complete.
//!
//! Every front end (CLI, GUI) fills a [`CaptureRequest`] and calls
//! [`capture`]: what is collected (profiles, secrets, live response) is
//! decided here, so they all capture the same way.

pub mod accounts;
pub mod acquire;
pub mod atime;
pub mod compress;
pub mod estimate;
pub mod fstype;
pub mod host;
pub mod live;
mod pipeline;
mod plan;
pub mod profile;
pub mod select;
pub mod sink;
pub(crate) mod sys;
pub mod target;
pub mod walk;

use crate::archive::acquisition::{Acquisition, AcquisitionError, CaseInfo, Examiner, Method};
use crate::archive::encrypt::{EncryptingWriter, Hashes, Recipients};
use crate::archive::spill::Spill;
use crate::archive::{self, Status, names, seal};
use crate::custody;
use crate::job::{CancelToken, Progress, ProgressSink};
use pipeline::Pipeline;
use profile::{ProfileError, ProfileSelector};
use select::{Everything, Selector};
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use walk::WalkOptions;

/// How payload content is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Deflate where it pays (per file), at this level (1-9).
    Deflate(u32),
    /// Store everything uncompressed (fastest, largest).
    Store,
}

impl Default for Compression {
    fn default() -> Self {
        Compression::Deflate(DEFAULT_LEVEL)
    }
}

/// Default deflate level (zlib's scale): level 2 compresses as well as
/// `zip -6` on logs at several times the speed of level 6. Files held
/// whole use libdeflate's level 1, as small and faster (`compress`).
pub const DEFAULT_LEVEL: u32 = 2;

/// Reason prefix of a file whose path is too long for a ZIP member name:
/// recorded `skipped`, and counted as a problem (its content is missing).
pub const NAME_TOO_LONG: &str = "name_too_long";

/// The most reader threads a capture starts, whatever it is asked for.
pub const MAX_THREADS: usize = 64;

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

/// Reader threads a capture asked for `requested` threads uses: one per
/// core for 0, else `requested`, at most four per core and at most
/// [`MAX_THREADS`] (each holds buffers and compressors; reading is bound by
/// the disk long before that).
pub fn reader_threads(requested: usize) -> usize {
    let max = cores().saturating_mul(4).clamp(1, MAX_THREADS);
    match requested {
        0 => cores().clamp(1, MAX_THREADS),
        n => n.min(max),
    }
}

/// Which front end asked for the capture (recorded in the acquisition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interface {
    Cli { command_line: Vec<String> },
    Gui,
}

/// When a capture collects live response (the running system's processes,
/// sockets, users… under `exhibit/live/`). Never with a target root: an
/// image has no running system, and the examiner's own is not evidence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LivePolicy {
    /// When the running system is captured with collection profiles (no
    /// root, at least one profile): what a first responder wants.
    #[default]
    Auto,
    /// Whenever the running system is captured, profiles or not.
    Always,
    /// Never.
    Never,
}

/// Everything a capture needs, validated by the caller (CLI or GUI).
pub struct CaptureRequest {
    /// Paths to capture. With `root`, logical paths inside the root
    /// (`/etc`); without, local paths. Empty with a root means the whole root.
    pub sources: Vec<PathBuf>,
    /// A mounted image or copied tree whose `/` is this directory.
    pub root: Option<PathBuf>,
    /// Collection profiles (built-in names or `*.toml` files) that decide
    /// what is taken. [`capture`] prepares them into `selector` unless the
    /// caller did ([`CaptureRequest::prepare_profiles`]).
    pub profiles: Vec<String>,
    /// Also take what the profiles mark secret (shadow, private keys),
    /// flagged `secret` in the records; otherwise they are recorded as
    /// excluded.
    pub include_secrets: bool,
    /// When to collect live response first.
    pub live: LivePolicy,
    /// Decides what is taken; `None` takes everything below the sources
    /// (or what `profiles` select). A selector given here wins over
    /// `profiles`, which then only count for the live-response policy.
    pub selector: Option<Arc<dyn Selector>>,
    pub out_dir: PathBuf,
    pub case: CaseInfo,
    pub examiner: Examiner,
    pub interface: Interface,
    pub compression: Compression,
    /// Worker threads; 0 = one per core. More than [`reader_threads`]
    /// allows is reduced to that.
    pub threads: usize,
    pub all_filesystems: bool,
    pub one_file_system: bool,
    /// Signs the custody events written at the end.
    pub signer: Option<Arc<custody::Signer>>,
    /// Where the acquisition took place (free text for the custody log).
    pub location: Option<String>,
    /// Extra tag files (name under `exhibit/`, content), stored after the
    /// live response.
    pub extra_tags: Vec<(String, Vec<u8>)>,
    /// Encrypt the archive to these age recipients as it is written: the
    /// output is `<stem>.zip.age` and no plaintext copy touches the disk.
    pub encrypt_to: Option<Arc<Recipients>>,
    /// Bytes of serialized records held in memory before they are sorted
    /// and spilled beside the archive ([`DEFAULT_SPILL_THRESHOLD`]); tests
    /// make it tiny to go through the spilling path.
    pub spill_threshold: usize,
}

/// Records held in memory (serialized) before a sorted run of them is
/// spilled: peak memory does not grow with the number of entries.
pub const DEFAULT_SPILL_THRESHOLD: usize = 32 << 20;

impl CaptureRequest {
    /// A request with defaults for everything but the essentials.
    pub fn new(sources: Vec<PathBuf>, out_dir: PathBuf, case_id: &str, examiner: &str) -> Self {
        Self {
            sources,
            root: None,
            profiles: Vec::new(),
            include_secrets: false,
            live: LivePolicy::Auto,
            selector: None,
            out_dir,
            case: CaseInfo {
                case_id: case_id.to_string(),
                evidence_id: String::new(),
                purpose: None,
                description: None,
            },
            examiner: Examiner {
                name: examiner.to_string(),
                organisation: None,
                contact: None,
                timezone: local_timezone(),
            },
            interface: Interface::Gui,
            compression: Compression::default(),
            threads: 0,
            all_filesystems: false,
            one_file_system: false,
            signer: None,
            location: None,
            extra_tags: Vec::new(),
            encrypt_to: None,
            spill_threshold: DEFAULT_SPILL_THRESHOLD,
        }
    }

    /// Compile `profiles` (for `root`, with `include_secrets`) into the
    /// request's selector, and return it (for its walk statistics). `None`
    /// without profiles. A front end calls this to report a bad profile
    /// before anything is read; [`capture`] does it otherwise.
    pub fn prepare_profiles(&mut self) -> Result<Option<Arc<ProfileSelector>>, ProfileError> {
        if self.profiles.is_empty() {
            return Ok(None);
        }
        let sel = Arc::new(profile::prepare(
            &self.profiles,
            self.root.as_deref(),
            self.include_secrets,
        )?);
        self.selector = Some(sel.clone());
        Ok(Some(sel))
    }

    /// Whether this capture collects live response (see [`LivePolicy`]).
    pub fn collects_live(&self) -> bool {
        self.root.is_none()
            && match self.live {
                LivePolicy::Auto => !self.profiles.is_empty(),
                LivePolicy::Always => true,
                LivePolicy::Never => false,
            }
    }
}

/// What a finished capture produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaptureSummary {
    pub archive: PathBuf,
    /// SHA-256 of the archive file as stored (the ciphertext when
    /// encrypted): the hash to write on the custody form.
    pub sha256: String,
    /// An encrypted archive's hashes (ciphertext and plaintext ZIP).
    pub encryption: Option<Hashes>,
    /// Regular files whose content is in the archive.
    pub files: u64,
    /// Payload bytes stored (uncompressed).
    pub bytes: u64,
    /// Entries that could not be captured completely, with reasons.
    pub errors: Vec<AcquisitionError>,
    pub custody_log: PathBuf,
    pub archive_bytes: u64,
    pub entries: u64,
    pub stem: String,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("source does not exist or cannot be examined: {1}: {0}")]
    Source(std::io::Error, PathBuf),
    #[error("cannot create the archive: {0}: {1}")]
    Create(std::io::Error, PathBuf),
    #[error("cannot start encrypting the archive: {0}: {1}")]
    Encrypt(crate::archive::encrypt::EncryptError, PathBuf),
    #[error(
        "writing the archive failed ({0}); the incomplete archive was left as {1} and must not be used as evidence"
    )]
    Write(std::io::Error, PathBuf),
    #[error(
        "capture cancelled; the incomplete archive was left as {0} and must not be used as evidence"
    )]
    Cancelled(PathBuf),
    #[error("preparing profiles: {0}")]
    Profiles(ProfileError),
    #[error("the archive was sealed but its custody log could not be started: {0}")]
    Custody(#[from] custody::CustodyError),
}

/// The examiner's time zone: `$TZ`, `/etc/timezone`, the `/etc/localtime`
/// link, or `UTC`.
pub fn local_timezone() -> String {
    if let Ok(tz) = std::env::var("TZ")
        && !tz.trim().is_empty()
    {
        return tz.trim().trim_start_matches(':').to_string();
    }
    // On a live capture these are files of the examined system too: read
    // like the target's own (regular file, `O_NOATIME`, capped), the link's
    // access time noted for its record.
    if let Ok(tz) = target::read(Path::new("/"), "/etc/timezone", 4096)
        && !tz.truncated
        && !tz.text().trim().is_empty()
    {
        return tz.text().trim().to_string();
    }
    let localtime = Path::new("/etc/localtime");
    let before = std::fs::symlink_metadata(localtime);
    let link = std::fs::read_link(localtime);
    if let Ok(before) = &before {
        atime::note_path(localtime, before);
    }
    if let Ok(link) = link {
        let s = link.to_string_lossy();
        if let Some((_, zone)) = s.split_once("zoneinfo/") {
            return zone.to_string();
        }
    }
    "UTC".to_string()
}

/// The archive stem: `<case>_<evidence>_<host>_<YYYYMMDDTHHMMSSZ>`.
pub fn make_stem(
    case: &str,
    evidence: &str,
    host: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> String {
    format!(
        "{}_{}_{}_{}",
        names::safe_component(case),
        names::safe_component(evidence),
        names::safe_component(host),
        at.format("%Y%m%dT%H%M%SZ")
    )
}

/// The archive being written: its name, and where it goes once sealed.
struct Output {
    stem: String,
    final_path: PathBuf,
    partial: PathBuf,
}

/// Where a capture puts its archive.
pub enum Destination {
    /// `<stem>.zip` in the request's `out_dir`, sealed there, with its
    /// custody log.
    Dir,
    /// A stream the caller opens once the archive's stem is known (the
    /// server side of `exhibit capture --remote` writes to its standard
    /// output): nothing is written to disk, and no custody log is started
    /// (the receiver writes it).
    Stream(StreamOpener),
}

/// Opens the stream a [`Destination::Stream`] capture writes to, given the
/// archive's stem.
pub type StreamOpener =
    Box<dyn FnOnce(&str) -> std::io::Result<Box<dyn std::io::Write + Send>> + Send>;

/// What a capture to a stream produced: everything the receiver needs to
/// check what it received and to write the custody log.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Streamed {
    pub stem: String,
    /// SHA-256 of every byte of the archive written to the stream.
    pub sha256: String,
    pub archive_bytes: u64,
    /// The archive's `exhibit/acquisition.json`, and the SHA-256 of its bytes.
    pub acquisition: Acquisition,
    pub acquisition_sha256: String,
    pub files: u64,
    pub bytes: u64,
    pub entries: u64,
    pub errors: Vec<AcquisitionError>,
}

/// A finished archive not sealed yet.
struct Built {
    stem: String,
    /// Where it went: the `.zip.partial` file, or the caller's stream.
    out: Option<Output>,
    archive: sink::ArchiveOut,
    finished: archive::zipwrite::Finished,
    /// The plaintext and ciphertext hashes of an encrypted archive.
    encryption: Option<Hashes>,
    acquisition: Acquisition,
    acquisition_sha256: String,
}

/// Run a capture. Progress goes to `progress`; `cancel` stops it cleanly.
pub fn capture(
    req: &CaptureRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<CaptureSummary, CaptureError> {
    let built = build(req, Destination::Dir, progress, cancel)?;
    let (Some(out), sink::ArchiveOut::File(file)) = (built.out, built.archive) else {
        return Err(CaptureError::Invalid(
            "the archive was not written to a file".into(),
        ));
    };
    // Seal: durable data, then the rename that makes it an archive.
    seal::seal(file, &out.partial, &out.final_path)
        .map_err(|e| CaptureError::Write(e, out.partial.clone()))?;
    progress.update(&Progress {
        phase: "sealed",
        ..Progress::default()
    });
    let custody_log = start_custody(
        req,
        &out.final_path,
        &built.finished,
        built.encryption.as_ref(),
        &built.acquisition_sha256,
        &built.acquisition,
    )?;
    let counts = &built.acquisition.counts;
    let encryption = built.encryption;
    Ok(CaptureSummary {
        archive: out.final_path,
        sha256: encryption
            .as_ref()
            .map(|h| h.ciphertext_sha256.clone())
            .unwrap_or(built.finished.sha256),
        archive_bytes: encryption
            .as_ref()
            .map(|h| h.ciphertext_bytes)
            .unwrap_or(built.finished.bytes),
        encryption,
        files: counts.files_captured,
        bytes: counts.bytes_captured,
        errors: built.acquisition.errors.clone(),
        custody_log,
        entries: counts.entries,
        stem: out.stem,
    })
}

/// Run a capture whose archive goes to the stream `open` returns (given
/// the stem) instead of a file: nothing is written to disk. The caller
/// sends the returned [`Streamed`] after the archive so the receiver can
/// check it.
pub fn capture_stream(
    req: &CaptureRequest,
    open: StreamOpener,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<Streamed, CaptureError> {
    let built = build(req, Destination::Stream(open), progress, cancel)?;
    let mut archive = built.archive;
    std::io::Write::flush(&mut archive)
        .map_err(|e| CaptureError::Write(e, stream_label(&built.stem)))?;
    drop(archive);
    let counts = &built.acquisition.counts;
    Ok(Streamed {
        sha256: built.finished.sha256,
        archive_bytes: built.finished.bytes,
        files: counts.files_captured,
        bytes: counts.bytes_captured,
        entries: counts.entries,
        errors: built.acquisition.errors.clone(),
        stem: built.stem,
        acquisition_sha256: built.acquisition_sha256,
        acquisition: built.acquisition,
    })
}

/// How a streamed archive is named in errors.
fn stream_label(stem: &str) -> PathBuf {
    PathBuf::from(format!("{stem}.zip (streamed)"))
}

/// Walk, read and write the whole archive to `dest`; it is not sealed yet.
fn build(
    req: &CaptureRequest,
    dest: Destination,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<Built, CaptureError> {
    let started = chrono::Utc::now();
    if req.case.case_id.trim().is_empty() {
        return Err(CaptureError::Invalid("a case id is required".into()));
    }
    if req.examiner.name.trim().is_empty() {
        return Err(CaptureError::Invalid("an examiner name is required".into()));
    }
    let root = resolve_root(req.root.as_deref())?;
    let selector = request_selector(req)?;
    let starts = start_points(req, root.as_deref(), selector.as_ref())?;
    // Most volatile first: before a single file is read.
    let live_tags = live_response(req, progress);

    let host::HostRead {
        info: host,
        refused: host_refused,
    } = host::host_info(root.as_deref());
    // An image without a readable hostname is not named after the
    // examiner's own machine.
    let host_name = match (&host.hostname, &root) {
        (Some(h), _) => h.clone(),
        (None, Some(_)) => "unknown".to_string(),
        (None, None) => host::local_hostname(),
    };
    let evidence_id = if req.case.evidence_id.trim().is_empty() {
        "E01".to_string()
    } else {
        req.case.evidence_id.clone()
    };
    let stem = make_stem(&req.case.case_id, &evidence_id, &host_name, started);
    let (archive_out, exclude, out) = match dest {
        Destination::Dir => {
            let out = Output::new(&req.out_dir, stem.clone(), req.encrypt_to.is_some())?;
            let (file, exclude) = out.create_partial(req.encrypt_to.as_deref())?;
            (file, exclude, Some(out))
        }
        Destination::Stream(_) if req.encrypt_to.is_some() => {
            return Err(CaptureError::Invalid(
                "a streamed archive is encrypted by its receiver, not by the capture".into(),
            ));
        }
        Destination::Stream(open) => {
            let w = open(&stem).map_err(|e| CaptureError::Write(e, stream_label(&stem)))?;
            (sink::ArchiveOut::Stream(w), Vec::new(), None)
        }
    };
    let partial = out
        .as_ref()
        .map(|o| o.partial.clone())
        .unwrap_or_else(|| stream_label(&stem));
    // Owner names come from the target's own account files: those of the
    // image (`--root`), or this machine's when it has numeric owners at
    // all (not Windows, whose ids are placeholders: no names for them).
    let acc = match root.as_deref() {
        Some(r) => accounts::Accounts::load(r),
        None if crate::platform::meta::OWNER_IDS => accounts::Accounts::load(Path::new("/")),
        None => accounts::Accounts::default(),
    };

    // Records and pending reads are spilled beside the archive (encrypted
    // when it is), or kept in memory when nothing may touch the disk.
    let spill = match &out {
        Some(o) => {
            let dir = o.partial.parent().unwrap_or(Path::new("."));
            if req.encrypt_to.is_some() {
                Spill::encrypted(dir)
            } else {
                Spill::disk(dir)
            }
        }
        None => Spill::memory(),
    };
    let write_err = |e: std::io::Error| CaptureError::Write(e, partial.clone());

    // 1. Walk, and plan each item as it is found: records that are final
    // go to the tally, files to read wait in the spill.
    let mut prog = Progress {
        phase: "walking",
        ..Progress::default()
    };
    progress.update(&prog);
    let walk = WalkOptions {
        root: root.as_deref(),
        selector: selector.as_ref(),
        all_filesystems: req.all_filesystems,
        one_file_system: req.one_file_system,
        exclude,
        cancel,
        on_progress: &|n: u64, p: &[u8]| walk_progress(progress, n, p),
    };
    let mut records = seal::RecordTally::new(&stem, spill.clone(), req.spill_threshold);
    let mut pending = plan::PendingReads::new(&spill).map_err(write_err)?;
    let mut planner = plan::Planner::new(&stem, root.as_deref(), &acc);
    let mut aliases: Vec<plan::Alias> = Vec::new();
    let mut index = 0usize;
    let mut failed: Option<std::io::Error> = None;
    let walked = walk::walk_each(&starts, &walk, &mut |mut item| {
        // Access times Exhibit changed before the walk met the entry and
        // could not avoid changing (links read while resolving) are put
        // back as they were before.
        item.stat.atime = atime::original_now(item.stat.dev, item.stat.ino, item.stat.atime);
        let i = index;
        index += 1;
        let (rec, plan) = planner.plan(i, &item);
        let kept = match plan {
            plan::Plan::Done => records.push(i as u64, &rec),
            plan::Plan::Read(job) => pending.push(&job, &rec),
            plan::Plan::Alias(first, job) => {
                aliases.push(plan::Alias {
                    index: i,
                    first,
                    job,
                    rec,
                    done: false,
                });
                Ok(())
            }
        };
        match kept {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    });
    atime::take();
    if let Some(e) = failed {
        return Err(write_err(e));
    }
    if walked.is_err() {
        return Err(CaptureError::Cancelled(partial.clone()));
    }

    // 2. Read on all cores; the writer thread lays out the ZIP. Then a
    // hard-linked file whose first name vanished is read under its next.
    let jobs_total = pending.len();
    let pending = pending.finish(root.as_deref()).map_err(write_err)?;
    let firsts_wanted: std::collections::HashSet<usize> = aliases.iter().map(|a| a.first).collect();
    let mut firsts = std::collections::HashMap::new();
    prog.phase = "capturing";
    prog.files_total = Some(planner.files_total);
    prog.bytes_total = Some(planner.bytes_total);
    let pipeline = Pipeline::start(archive_out, req.compression, &partial, &spill)?.read_pending(
        pending,
        jobs_total,
        &mut records,
        &firsts_wanted,
        &mut firsts,
        reader_threads(req.threads),
        &mut prog,
        progress,
        cancel,
    )?;
    pipeline.read_vanished_hard_links(&mut aliases, &mut firsts, &mut planner.members)?;
    drop(firsts);

    // 3. Hard-link aliases share their first name's result (done above);
    // their records join the others.
    for a in &aliases {
        records.push(a.index as u64, &a.rec).map_err(write_err)?;
    }
    drop(aliases);

    // 4. The records in path order, into the tag files written last by the
    // still-running writer.
    prog.phase = "sealing";
    progress.update(&prog);
    let finished_at = chrono::Utc::now();
    let refused = refused_reads(host_refused.iter().chain(&acc.refused));
    let tally = records.finish(refused).map_err(write_err)?;
    let acquisition = Acquisition {
        format: archive::FORMAT_NAME.into(),
        format_version: archive::FORMAT_VERSION,
        stem: stem.clone(),
        case: CaseInfo {
            evidence_id: evidence_id.clone(),
            ..req.case.clone()
        },
        examiner: req.examiner.clone(),
        host,
        method: method(req, selector.as_ref(), &starts, root.as_deref()),
        started_at: started.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        finished_at: finished_at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        counts: tally.counts.clone(),
        errors: tally.errors.clone(),
    };
    let extra: Vec<(String, Vec<u8>)> = live_tags
        .into_iter()
        .chain(req.extra_tags.iter().cloned())
        .collect();
    let tags = seal::tag_files(
        &acquisition,
        tally,
        &extra,
        &host_name,
        &finished_at.format("%Y-%m-%d").to_string(),
    );
    let (archive, finished, encryption) = pipeline.finish(tags.files, &stem)?;
    Ok(Built {
        stem,
        out,
        archive,
        finished,
        encryption,
        acquisition,
        acquisition_sha256: tags.acquisition_sha256,
    })
}

/// The request's selector: the one given, its profiles compiled, or
/// everything.
fn request_selector(req: &CaptureRequest) -> Result<Arc<dyn Selector>, CaptureError> {
    Ok(match &req.selector {
        Some(s) => s.clone(),
        None if !req.profiles.is_empty() => Arc::new(
            profile::prepare(&req.profiles, req.root.as_deref(), req.include_secrets)
                .map_err(CaptureError::Profiles)?,
        ),
        None => Arc::new(Everything),
    })
}

fn walk_progress(progress: &dyn ProgressSink, n: u64, path: &[u8]) {
    progress.update(&Progress {
        phase: "walking",
        files_done: n,
        current: String::from_utf8_lossy(path).into_owned(),
        ..Progress::default()
    })
}

/// Identity and account files of the target that were not read (path,
/// reason): not records of the walk, but what the capture refused to read.
fn refused_reads<'a>(refused: impl Iterator<Item = &'a (String, String)>) -> Vec<AcquisitionError> {
    refused
        .map(|(path, reason)| AcquisitionError {
            path: path.clone(),
            status: Status::Skipped.as_str().to_string(),
            reason: reason.clone(),
        })
        .collect()
}

/// Start the custody log of the sealed archive at `archive`.
fn start_custody(
    req: &CaptureRequest,
    archive: &Path,
    finished: &archive::zipwrite::Finished,
    encryption: Option<&Hashes>,
    acquisition_sha256: &str,
    acquisition: &Acquisition,
) -> Result<PathBuf, CaptureError> {
    Ok(custody::record_acquisition(&custody::AcquisitionEvents {
        archive_path: archive,
        archive_sha256: encryption.map_or(&finished.sha256, |h| &h.ciphertext_sha256),
        archive_size: encryption.map_or(finished.bytes, |h| h.ciphertext_bytes),
        encryption: encryption.map(|hashes| custody::Encryption {
            hashes,
            recipients: req
                .encrypt_to
                .as_ref()
                .map(|r| r.labels.clone())
                .unwrap_or_default(),
        }),
        acquisition_sha256,
        actor: custody::Actor {
            name: req.examiner.name.clone(),
            role: Some("first responder".into()),
            organisation: req.examiner.organisation.clone(),
            contact: req.examiner.contact.clone(),
        },
        location: req
            .location
            .clone()
            .or_else(|| Some(host::local_hostname())),
        case_id: req.case.case_id.clone(),
        evidence_id: acquisition.case.evidence_id.clone(),
        purpose: req.case.purpose.clone(),
        signer: req.signer.as_deref(),
        acquisition: Some(acquisition),
        extra_details: serde_json::Map::new(),
    })?)
}

/// The target root, resolved; it must be a directory.
fn resolve_root(root: Option<&Path>) -> Result<Option<PathBuf>, CaptureError> {
    let Some(r) = root else {
        return Ok(None);
    };
    let c = std::fs::canonicalize(r).map_err(|e| CaptureError::Source(e, r.to_path_buf()))?;
    if !c.is_dir() {
        return Err(CaptureError::Invalid(format!(
            "--root is not a directory: {}",
            r.display()
        )));
    }
    Ok(Some(c))
}

/// The live-response tag files (name under `exhibit/`, content) the
/// request's [`LivePolicy`] asks for; none otherwise.
fn live_response(req: &CaptureRequest, progress: &dyn ProgressSink) -> Vec<(String, Vec<u8>)> {
    if !req.collects_live() {
        return Vec::new();
    }
    progress.update(&Progress {
        phase: "live response",
        ..Progress::default()
    });
    live::collect(&live::LiveRequest::default())
        .into_iter()
        .map(|d| (d.name, d.json))
        .collect()
}

/// Where the walk starts, as logical paths: the request's sources (or the
/// selector's own places, or the whole root), resolved the way the user
/// meant them, without duplicates and without one inside another.
fn start_points(
    req: &CaptureRequest,
    root: Option<&Path>,
    selector: &dyn Selector,
) -> Result<Vec<Vec<u8>>, CaptureError> {
    let requested: Vec<PathBuf> = match (root, req.sources.is_empty(), selector.start_points()) {
        (_, _, Some(points)) if req.sources.is_empty() => points
            .into_iter()
            .map(|p| crate::platform::names::bytes_path(&p))
            .collect(),
        (Some(_), true, _) => vec![PathBuf::from("/")],
        (None, true, _) => {
            return Err(CaptureError::Invalid(
                "nothing to capture: give at least one path".into(),
            ));
        }
        _ => req.sources.clone(),
    };
    let explicit = !req.sources.is_empty();
    let mut starts: Vec<Vec<u8>> = Vec::new();
    for src in &requested {
        let logical = logical_source(root, src)?;
        if explicit {
            let phys = walk::physical(root, &logical);
            std::fs::symlink_metadata(&phys).map_err(|e| CaptureError::Source(e, src.clone()))?;
        }
        if !starts.contains(&logical) {
            starts.push(logical);
        }
    }
    // A start inside another start would be walked twice.
    starts.sort();
    let mut deduped: Vec<Vec<u8>> = Vec::new();
    for s in starts {
        let covered = deduped
            .iter()
            .any(|d| d.as_slice() == b"/" || s.starts_with(d) && s.get(d.len()) == Some(&b'/'));
        if !covered {
            deduped.push(s);
        }
    }
    Ok(deduped)
}

/// The logical path of source `src`: resolved inside `root`, or on this
/// machine with its parent resolved but never its final component.
fn logical_source(root: Option<&Path>, src: &Path) -> Result<Vec<u8>, CaptureError> {
    let source_err = |e| CaptureError::Source(e, src.to_path_buf());
    if let Some(r) = root {
        let l = crate::platform::names::path_bytes(src);
        let l = if l.starts_with(b"/") {
            l.to_vec()
        } else {
            [b"/".as_slice(), &l].concat()
        };
        return walk::resolve_in_root(r, &l, false).map_err(source_err);
    }
    // Resolve the parent (the user typed it), never the final component.
    let abs = std::path::absolute(src).map_err(source_err)?;
    let parent = abs
        .parent()
        .map(std::fs::canonicalize)
        .transpose()
        .map_err(source_err)?;
    Ok(match (parent, abs.file_name()) {
        (Some(p), Some(name)) => crate::platform::names::logical_of(&p.join(name)),
        // `/` or a path ending in `..` (which `absolute` keeps):
        // a directory the user named; resolve it.
        _ => crate::platform::names::logical_of(&std::fs::canonicalize(&abs).map_err(source_err)?),
    })
}

impl Output {
    /// Name the archive `stem` in `out_dir` (created if need be; `.zip.age`
    /// when `encrypted`); it must not exist yet.
    fn new(out_dir: &Path, stem: String, encrypted: bool) -> Result<Self, CaptureError> {
        std::fs::create_dir_all(out_dir)
            .map_err(|e| CaptureError::Create(e, out_dir.to_path_buf()))?;
        let out_dir = crate::platform::names::canonical_dir(out_dir)
            .map_err(|e| CaptureError::Create(e, out_dir.to_path_buf()))?;
        let ext = if encrypted { "zip.age" } else { "zip" };
        let final_path = out_dir.join(format!("{stem}.{ext}"));
        let partial = out_dir.join(format!("{stem}.{ext}.partial"));
        if final_path.exists() {
            return Err(CaptureError::Create(
                std::io::Error::new(std::io::ErrorKind::AlreadyExists, "archive already exists"),
                final_path,
            ));
        }
        Ok(Self {
            stem,
            final_path,
            partial,
        })
    }

    /// Create the `.partial` file, wrapped in age encryption to `encrypt_to`
    /// when given; also returns its (dev, inode), which the walk must never
    /// take.
    fn create_partial(
        &self,
        encrypt_to: Option<&Recipients>,
    ) -> Result<(sink::ArchiveOut, Vec<(u64, u64)>), CaptureError> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&self.partial)
            .map_err(|e| CaptureError::Create(e, self.partial.clone()))?;
        let meta = file
            .metadata()
            .map_err(|e| CaptureError::Create(e, self.partial.clone()))?;
        let out = match encrypt_to {
            None => sink::ArchiveOut::File(file),
            Some(r) => sink::ArchiveOut::Age(Box::new(
                EncryptingWriter::new(file, r)
                    .map_err(|e| CaptureError::Encrypt(e, self.partial.clone()))?,
            )),
        };
        Ok((out, vec![crate::platform::meta::identity(&meta)]))
    }
}

/// How the capture was made, for `acquisition.json`.
fn method(
    req: &CaptureRequest,
    selector: &dyn Selector,
    starts: &[Vec<u8>],
    root: Option<&Path>,
) -> Method {
    let (command_line, interface) = match &req.interface {
        Interface::Cli { command_line } => (Some(command_line.clone()), "cli"),
        Interface::Gui => (None, "gui"),
    };
    Method {
        tool: "exhibit".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        interface: interface.into(),
        command_line,
        profiles: selector.profile_names(),
        profile_versions: selector.profile_versions(),
        sources: starts.iter().map(|s| names::escape_bytes(s).0).collect(),
        root: root.map(|r| crate::platform::names::shown(r).display().to_string()),
        compression: match req.compression {
            Compression::Deflate(l) => {
                format!("deflate level {l} where it pays, stored otherwise")
            }
            Compression::Store => "stored".into(),
        },
        acquired_on: root.map(|_| host::local_hostname()),
        records_capabilities: sys::READS_CAPABILITIES,
        unknown_fields: crate::platform::meta::UNKNOWN
            .iter()
            .map(|(f, why)| ((*f).to_string(), (*why).to_string()))
            .collect(),
    }
}
