//! `exhibit capture`: snapshot paths or collection profiles into a new
//! evidence archive, with live response first when the running system is
//! captured with a profile. A thin mapping of the flags onto a
//! [`CaptureRequest`]: what is collected is decided by the core. With
//! `--remote` the same request runs on a server over SSH
//! ([`exhibit::remote`]); the hidden `--stream-out` is that server side
//! (the archive framed on standard output, nothing on disk).

use super::{EXIT_ERROR, EXIT_FAIL, EXIT_OK, progress::Bar, report_error};
use exhibit::archive::acquisition::{CaseInfo, Examiner};
use exhibit::capture::profile::ProfileSelector;
use exhibit::capture::{
    self, CaptureError, CaptureRequest, CaptureSummary, Compression, Interface, LivePolicy,
};
use exhibit::custody::Signer;
use exhibit::job::{Progress, ProgressSink};
use exhibit::remote::ssh::{SshOptions, SshTarget};
use exhibit::remote::{self, RemoteError, RemoteRequest, stream};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    #[arg(
        short = 'o',
        long = "output",
        value_name = "OUTDIR",
        required_unless_present = "stream_out"
    )]
    pub out_dir: Option<PathBuf>,
    /// Capture over SSH (and its server side).
    #[command(flatten)]
    pub ssh: Box<RemoteArgs>,
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

/// The flags of a capture over SSH.
#[derive(clap::Args, Debug)]
pub struct RemoteArgs {
    /// Capture this server over SSH (the system's `ssh`, your keys, agent,
    /// known_hosts and ssh config): PATHs and --root are on the server; the
    /// archive is streamed back to OUTDIR and nothing is written to the
    /// server's disks.
    #[arg(long, value_name = "[USER@]HOST[:PORT]")]
    pub remote: Option<String>,
    /// ssh configuration file to use (`ssh -F FILE`).
    #[arg(long, value_name = "FILE", requires = "remote")]
    pub ssh_config: Option<PathBuf>,
    /// An ssh option (`ssh -o OPT`, repeatable), e.g. `ProxyJump=bastion`.
    #[arg(long = "ssh-option", value_name = "OPT", requires = "remote")]
    pub ssh_options: Vec<String>,
    /// Run this exhibit already on the server instead of uploading one.
    #[arg(
        long,
        value_name = "PATH",
        requires = "remote",
        conflicts_with = "upload_binary"
    )]
    pub remote_exhibit: Option<String>,
    /// Upload this binary instead of the static build for the server's
    /// architecture (`exhibit-<arch>-linux-musl` in $EXHIBIT_REMOTE_BIN_DIR
    /// or beside this exhibit).
    #[arg(long, value_name = "PATH", requires = "remote")]
    pub upload_binary: Option<PathBuf>,
    /// Server side of --remote: write the archive, framed, to standard output.
    #[arg(long, hide = true, conflicts_with_all = ["out_dir", "remote", "sign"])]
    pub stream_out: bool,
    /// The examiner's time zone (sent by --remote; default: this machine's).
    #[arg(long, hide = true, value_name = "TZ")]
    pub examiner_timezone: Option<String>,
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
    let mut req = request(&a, command_line, signer);
    if a.ssh.stream_out {
        if encrypt_to.is_some() {
            report_error(&anyhow::anyhow!(
                "--encrypt-to is for the receiving side of --remote, not --stream-out"
            ));
            return EXIT_ERROR;
        }
        return stream_out(&req, a.quiet);
    }
    req.encrypt_to = encrypt_to;
    if let Some(dest) = &a.ssh.remote {
        return remote(&a, dest, req);
    }
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
                let mut doc = summary_json(&s);
                doc["walk"] = serde_json::json!(selector.as_ref().map(|s| s.walk_stats()));
                println!("{doc:#}");
            } else {
                print_summary(&s, selector.as_deref());
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

/// The capture request the flags describe.
fn request(a: &Args, command_line: Vec<String>, signer: Option<Arc<Signer>>) -> CaptureRequest {
    let out_dir = a.out_dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let mut req = CaptureRequest::new(a.paths.clone(), out_dir, &a.case, &a.examiner);
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
        timezone: a
            .ssh
            .examiner_timezone
            .clone()
            .unwrap_or_else(capture::local_timezone),
    };
    req.interface = Interface::Cli { command_line };
    req.compression = if a.store {
        Compression::Store
    } else {
        Compression::Deflate(a.level.unwrap_or(capture::DEFAULT_LEVEL))
    };
    let threads = capture::reader_threads(a.threads);
    if a.threads > threads && a.ssh.remote.is_none() {
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
    req.profiles = a.profiles.clone();
    req.include_secrets = a.include_secrets;
    req.live = if a.no_live {
        LivePolicy::Never
    } else if a.live {
        LivePolicy::Always
    } else {
        LivePolicy::Auto
    };
    req
}

/// `--stream-out`: the server side of `--remote`. The archive goes framed
/// to standard output, progress as JSON lines to standard error, and the
/// trailer (the server's SHA-256 of what it sent, its acquisition record)
/// after the archive.
fn stream_out(req: &CaptureRequest, quiet: bool) -> u8 {
    let opener: capture::StreamOpener = Box::new(|stem: &str| {
        let header = stream::Header {
            stem: stem.to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        let w = stream::FrameWriter::start(std::io::stdout(), &header)?;
        Ok(Box::new(w) as Box<dyn Write + Send>)
    });
    let lines = ProgressLines::new(quiet);
    let cancel = super::progress::cancel_on_ctrl_c();
    match capture::capture_stream(req, opener, &lines, &cancel) {
        Ok(streamed) => {
            let sent = serde_json::to_vec(&streamed)
                .map_err(std::io::Error::other)
                .and_then(|json| {
                    let mut out = std::io::stdout().lock();
                    stream::write_frame(&mut out, stream::TRAILER, &json)?;
                    out.flush()
                });
            match sent {
                Ok(()) => EXIT_OK,
                Err(e) => {
                    report_error(&anyhow::Error::new(e).context("sending the trailer"));
                    EXIT_FAIL
                }
            }
        }
        Err(e) => {
            report_error(&anyhow::Error::new(e).context("capture failed"));
            EXIT_FAIL
        }
    }
}

/// Progress as JSON lines on standard error (read by `--remote`), at most
/// five a second.
struct ProgressLines {
    last: Mutex<Option<Instant>>,
    quiet: bool,
}

impl ProgressLines {
    fn new(quiet: bool) -> Self {
        Self {
            last: Mutex::new(None),
            quiet,
        }
    }
}

impl ProgressSink for ProgressLines {
    fn update(&self, p: &Progress) {
        if self.quiet {
            return;
        }
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if last.is_some_and(|t| t.elapsed() < Duration::from_millis(200)) {
            return;
        }
        *last = Some(Instant::now());
        if let Ok(json) = serde_json::to_string(&remote::WireProgress::from_progress(p)) {
            eprintln!("{}{json}", remote::PROGRESS_PREFIX);
        }
    }
}

/// `--remote`: capture a server over SSH.
fn remote(a: &Args, dest: &str, req: CaptureRequest) -> u8 {
    let target = match SshTarget::parse(dest) {
        Ok(t) => t,
        Err(e) => {
            report_error(&anyhow::anyhow!("--remote: {e}"));
            return EXIT_ERROR;
        }
    };
    let rreq = RemoteRequest {
        target,
        ssh: SshOptions {
            config: a.ssh.ssh_config.clone(),
            options: a.ssh.ssh_options.clone(),
            batch_mode: !std::io::stdin().is_terminal(),
            program: None,
        },
        remote_exhibit: a.ssh.remote_exhibit.clone(),
        upload_binary: a.ssh.upload_binary.clone(),
        capture: req,
    };
    let cancel = super::progress::cancel_on_ctrl_c();
    let bar = Bar::new(a.quiet);
    let result = remote::capture_remote(&rreq, &bar, &cancel);
    bar.finish();
    match result {
        Ok(r) => {
            if a.json {
                let mut doc = summary_json(&r.capture);
                doc["remote"] = serde_json::json!({
                    "server": r.server,
                    "exhibit": r.binary,
                    "server_sha256": r.server_sha256,
                });
                println!("{doc:#}");
            } else {
                print_summary(&r.capture, None);
                let id = &r.server;
                println!(
                    "server:      {} (hostname {}, machine id {}, {})",
                    id.destination,
                    id.hostname.as_deref().unwrap_or("unknown"),
                    id.machine_id.as_deref().unwrap_or("unknown"),
                    id.arch
                );
                println!(
                    "host key:    {}",
                    id.ssh_host_key.as_deref().unwrap_or("not reported by ssh")
                );
                println!(
                    "received:    SHA-256 equal to the server's ({})",
                    r.server_sha256
                );
                match r.binary.removed {
                    Some(true) => {
                        println!("remote:      uploaded {} and removed it", r.binary.path)
                    }
                    Some(false) => println!(
                        "remote:      uploaded {} but could NOT remove it: remove it by hand",
                        r.binary.path
                    ),
                    None => println!("remote:      ran {} (already there)", r.binary.path),
                }
            }
            EXIT_OK
        }
        Err(e) => {
            let code = match e {
                RemoteError::Invalid(_) => EXIT_ERROR,
                _ => EXIT_FAIL,
            };
            report_error(&anyhow::Error::new(e).context("remote capture failed"));
            code
        }
    }
}

/// The human summary of a finished capture.
/// The `--json` summary of a capture, local or remote (callers add what
/// only they know: the walk, the server).
fn summary_json(s: &CaptureSummary) -> serde_json::Value {
    serde_json::json!({
        "archive": s.archive,
        "sha256": s.sha256,
        "files": s.files,
        "bytes": s.bytes,
        "errors": s.errors,
        "custody_log": s.custody_log,
        "entries": s.entries,
        "archive_bytes": s.archive_bytes,
        "encryption": s.encryption,
    })
}

fn print_summary(s: &CaptureSummary, selector: Option<&ProfileSelector>) {
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
    if let Some(sel) = selector {
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
