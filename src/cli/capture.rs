//! `exhibit capture`: snapshot paths or collection profiles into a new
//! evidence archive, with live response first when the running system is
//! captured with a profile. A thin mapping of the flags onto a
//! [`CaptureRequest`]: what is collected is decided by the core.

use super::{EXIT_ERROR, EXIT_FAIL, EXIT_OK, progress::Bar, report_error};
use exhibit::archive::acquisition::{CaseInfo, Examiner};
use exhibit::capture::{self, CaptureError, CaptureRequest, Compression, Interface, LivePolicy};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Paths to capture. With --root, paths inside the target root (default: all of it,
    /// or the profile's own places with --profile).
    pub paths: Vec<PathBuf>,
    /// Treat DIR as the examined system's `/` (a mounted image or a copied tree).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Collection profile (repeatable; see `exhibit profiles`), or a profile file
    /// (`*.toml`). `triage` is what a first responder wants.
    #[arg(long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
    /// Also take what profiles mark secret (shadow, gshadow, private keys), flagged
    /// `secret` in the records. Without it they are recorded as excluded.
    #[arg(long, requires = "profiles")]
    pub include_secrets: bool,
    /// Skip live response (processes, sockets, users... of the running system),
    /// which a profile capture without --root collects first.
    #[arg(long, conflicts_with = "live")]
    pub no_live: bool,
    /// Collect live response even for a plain path capture (never with --root).
    #[arg(long, conflicts_with = "root")]
    pub live: bool,
    /// Directory to write the archive and its custody log into.
    #[arg(short = 'o', long = "output", value_name = "OUTDIR")]
    pub out_dir: PathBuf,
    /// Case identifier (goes into the archive name and every record).
    #[arg(long)]
    pub case: String,
    /// Examiner's name.
    #[arg(long)]
    pub examiner: String,
    /// Evidence item identifier (default E01).
    #[arg(long)]
    pub evidence: Option<String>,
    /// Examiner's organisation.
    #[arg(long)]
    pub org: Option<String>,
    /// Examiner's contact (e-mail or phone).
    #[arg(long)]
    pub contact: Option<String>,
    /// Why this evidence is taken.
    #[arg(long)]
    pub purpose: Option<String>,
    /// Where the acquisition takes place (for the custody log).
    #[arg(long)]
    pub location: Option<String>,
    /// Store content uncompressed (fastest; larger archive).
    #[arg(long, conflicts_with = "level")]
    pub store: bool,
    /// Deflate level 1-9 (default 2), applied per file where it pays.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=9))]
    pub level: Option<u32>,
    /// Reader threads (default: one per core; at most four per core and 64).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Also enter pseudo and network filesystems (proc, sysfs, nfs, fuse...).
    #[arg(long)]
    pub all_filesystems: bool,
    /// Do not cross into any other filesystem.
    #[arg(long, short = 'x')]
    pub one_file_system: bool,
    /// Sign the custody events: OpenSSH Ed25519 private key, its `.pub`
    /// (key held by ssh-agent), or `agent`.
    #[arg(long, value_name = "KEYFILE")]
    pub sign: Option<PathBuf>,
    /// Encrypt the archive with age as it is written (`<stem>.zip.age`, no
    /// plaintext copy on disk): an age recipient `age1…`, an SSH public key
    /// line, or a file of them (repeatable).
    #[arg(long = "encrypt-to", value_name = "RECIPIENT")]
    pub encrypt_to: Vec<String>,
    /// Print the summary as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn run(a: Args, command_line: Vec<String>) -> u8 {
    // Load the key first, so a wrong passphrase fails before any reading.
    let signer = match a
        .sign
        .as_deref()
        .map(super::custody::load_signer)
        .transpose()
    {
        Ok(s) => s.map(Arc::new),
        Err(e) => {
            report_error(&e.context("cannot load the signing key"));
            return EXIT_ERROR;
        }
    };
    let encrypt_to = if a.encrypt_to.is_empty() {
        None
    } else {
        match exhibit::archive::encrypt::parse_recipients(&a.encrypt_to) {
            Ok(r) => Some(Arc::new(r)),
            Err(e) => {
                report_error(&anyhow::Error::new(e).context("--encrypt-to"));
                return EXIT_ERROR;
            }
        }
    };
    let mut req = CaptureRequest::new(a.paths.clone(), a.out_dir.clone(), &a.case, &a.examiner);
    req.root = a.root.clone();
    req.case = CaseInfo {
        case_id: a.case.clone(),
        evidence_id: a.evidence.clone().unwrap_or_default(),
        purpose: a.purpose.clone(),
        description: None,
    };
    req.examiner = Examiner {
        name: a.examiner.clone(),
        organisation: a.org.clone(),
        contact: a.contact.clone(),
        timezone: capture::local_timezone(),
    };
    req.interface = Interface::Cli { command_line };
    req.compression = if a.store {
        Compression::Store
    } else {
        Compression::Deflate(a.level.unwrap_or(capture::DEFAULT_LEVEL))
    };
    let threads = capture::reader_threads(a.threads);
    if a.threads > threads {
        eprintln!(
            "exhibit: note: --threads {} is more than this machine can use; using {threads} reader threads",
            a.threads
        );
    }
    req.threads = a.threads;
    req.all_filesystems = a.all_filesystems;
    req.one_file_system = a.one_file_system;
    req.location = a.location.clone();
    req.signer = signer;
    req.encrypt_to = encrypt_to;

    req.profiles = a.profiles.clone();
    req.include_secrets = a.include_secrets;
    req.live = if a.no_live {
        LivePolicy::Never
    } else if a.live {
        LivePolicy::Always
    } else {
        LivePolicy::Auto
    };
    // Compiled here so a bad profile is reported before anything is read,
    // and the selector's walk statistics can be printed.
    let selector = match req.prepare_profiles() {
        Ok(s) => s,
        Err(e) => {
            report_error(&anyhow::Error::new(e).context("preparing profiles"));
            return EXIT_ERROR;
        }
    };
    if req.collects_live() && !a.quiet {
        // The capture collects it first: before a single file is read.
        eprintln!("exhibit: collecting live response from /proc ...");
    }

    let cancel = super::progress::cancel_on_ctrl_c();
    let bar = Bar::new(a.quiet);
    let result = capture::capture(&req, &bar, &cancel);
    bar.finish();
    match result {
        Ok(s) => {
            if a.json {
                let doc = serde_json::json!({
                    "archive": s.archive,
                    "sha256": s.sha256,
                    "files": s.files,
                    "bytes": s.bytes,
                    "errors": s.errors,
                    "custody_log": s.custody_log,
                    "entries": s.entries,
                    "archive_bytes": s.archive_bytes,
                    "encryption": s.encryption,
                    "walk": selector.as_ref().map(|s| s.walk_stats()),
                });
                println!("{doc:#}");
            } else {
                println!("archive:     {}", s.archive.display());
                println!("sha256:      {}", s.sha256);
                if let Some(h) = &s.encryption {
                    println!(
                        "encrypted:   age; plaintext ZIP sha256 {}",
                        h.plaintext_sha256
                    );
                }
                println!(
                    "entries:     {} ({} files, {} bytes captured)",
                    s.entries, s.files, s.bytes
                );
                println!("custody log: {}", s.custody_log.display());
                if let Some(sel) = &selector {
                    let w = sel.walk_stats();
                    println!(
                        "walk:        one pass: {} directories listed ({} twice), {} entries examined",
                        w.dirs_listed, w.dirs_listed_again, w.entries_examined
                    );
                }
                if s.errors.is_empty() {
                    println!("problems:    none");
                } else {
                    println!(
                        "problems:    {} (listed in exhibit/acquisition.json)",
                        s.errors.len()
                    );
                    for e in s.errors.iter().take(20) {
                        println!("  {:<20} {}  ({})", e.status, e.path, e.reason);
                    }
                    if s.errors.len() > 20 {
                        println!("  … and {} more", s.errors.len() - 20);
                    }
                }
            }
            EXIT_OK
        }
        Err(e) => {
            let code = match e {
                CaptureError::Invalid(_) | CaptureError::Source(..) | CaptureError::Profiles(_) => {
                    EXIT_ERROR
                }
                _ => EXIT_FAIL,
            };
            report_error(&anyhow::Error::new(e).context("capture failed"));
            code
        }
    }
}
