//! Capture over SSH: run `exhibit capture` on a server and receive the
//! archive on this workstation, with nothing written to the server's disks.
//!
//! [`capture_remote`] connects with the system's OpenSSH client ([`ssh`]),
//! learns the server's architecture, identity and a RAM-backed (tmpfs)
//! directory, uploads the matching static binary there ([`binary`]) and
//! checks its SHA-256 on the server (or uses an `exhibit` already there),
//! runs the capture with the archive streamed back over the SSH channel
//! ([`stream`]: the server hashes what it sends and says so in a trailer),
//! writes it to `<stem>.zip.partial` while hashing what arrives, and seals
//! it only when both hashes and lengths agree. The custody log then holds
//! `acquired` and `sealed` (with the server's hostname, machine id and SSH
//! host key) and `transferred` (server to workstation, both hashes). The
//! uploaded binary is removed afterwards, on error too (best effort, and
//! the summary says whether it was). A failed, cancelled or cut transfer
//! leaves only the `.partial` file and an error naming the host.

pub mod binary;
pub mod ssh;
pub mod stream;

use crate::archive::encrypt::{EncryptingWriter, Hashes, Recipients};
use crate::archive::seal;
use crate::capture::{self, CaptureRequest, CaptureSummary, Compression, LivePolicy, Streamed};
use crate::custody::{self, Action, Actor, NewEvent};
use crate::job::{CancelToken, Progress, ProgressSink};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use ssh::{SshOptions, SshTarget};
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use stream::{Frame, FrameError, FrameReader};

/// Prefix of the server's progress lines on its standard error.
pub const PROGRESS_PREFIX: &str = "EXHIBIT-PROGRESS ";

/// A capture of a server over SSH.
pub struct RemoteRequest {
    pub target: SshTarget,
    pub ssh: SshOptions,
    /// An `exhibit` already on the server, run instead of uploading one.
    pub remote_exhibit: Option<String>,
    /// Upload this binary instead of the static build chosen by the
    /// server's architecture ([`binary::find`]).
    pub upload_binary: Option<PathBuf>,
    /// What to capture (`sources` and `root` are paths on the server; a
    /// caller-made `selector` and `extra_tags` are not sent) and what this
    /// workstation does with it (`out_dir`, `signer`, `location`).
    pub capture: CaptureRequest,
}

/// Who the server is, as this workstation saw it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ServerIdentity {
    /// How the server was named (`user@host:port`).
    pub destination: String,
    pub hostname: Option<String>,
    pub machine_id: Option<String>,
    /// `uname -m`.
    pub arch: String,
    /// The host key `ssh` verified for this connection (`TYPE SHA256:…`).
    pub ssh_host_key: Option<String>,
}

/// The `exhibit` that ran on the server.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RemoteBinary {
    pub path: String,
    /// SHA-256 computed on the server.
    pub sha256: String,
    /// Uploaded by this capture (else `--remote-exhibit`).
    pub uploaded: bool,
    /// The binary uploaded from this workstation.
    pub local_path: Option<PathBuf>,
    /// Whether the uploaded binary's directory was removed afterwards.
    pub removed: Option<bool>,
}

/// What a remote capture produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RemoteSummary {
    pub capture: CaptureSummary,
    pub server: ServerIdentity,
    pub binary: RemoteBinary,
    /// The SHA-256 the server computed of what it sent.
    pub server_sha256: String,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("cannot run ssh: {0}")]
    Spawn(std::io::Error),
    #[error("{what} on {host} failed: {detail}")]
    Ssh {
        what: &'static str,
        host: String,
        detail: String,
    },
    #[error(
        "no exhibit binary for {arch} to upload to {host} (looked for {looked}); build one with scripts/build-static.sh, or give --upload-binary PATH or --remote-exhibit PATH"
    )]
    NoBinary {
        arch: String,
        host: String,
        looked: String,
    },
    #[error(
        "no writable RAM-backed (tmpfs) directory on {0} ($XDG_RUNTIME_DIR, /dev/shm, /run/user/UID); Exhibit does not write to the server's disks: give --remote-exhibit PATH to run an exhibit already there"
    )]
    NoRamDir(String),
    #[error(
        "the exhibit binary uploaded to {host} does not match (sent SHA-256 {sent}, the server computed {got}); it was not run"
    )]
    UploadMismatch {
        host: String,
        sent: String,
        got: String,
    },
    #[error("cannot read the binary to upload: {0}: {1}")]
    ReadBinary(std::io::Error, PathBuf),
    #[error("the capture on {host} failed: {detail}; {partial}")]
    Capture {
        host: String,
        detail: String,
        partial: Left,
    },
    #[error("the connection to {host} was lost: {detail}; {partial}")]
    Lost {
        host: String,
        detail: String,
        partial: Left,
    },
    #[error(
        "the archive received from {host} is not what the server sent (server: {sent_bytes} bytes, SHA-256 {sent}; received: {got_bytes} bytes, SHA-256 {got}); it was left as {partial} and must not be used as evidence"
    )]
    Mismatch {
        host: String,
        sent: String,
        sent_bytes: u64,
        got: String,
        got_bytes: u64,
        partial: PathBuf,
    },
    #[error("capture cancelled; {0}")]
    Cancelled(Left),
    #[error("cannot write the archive: {0}: {1}")]
    Create(std::io::Error, PathBuf),
    #[error("the archive was sealed but its custody log could not be written: {0}")]
    Custody(#[from] custody::CustodyError),
}

/// What a failed capture left in the output folder: an incomplete
/// `.partial` archive, or nothing.
#[derive(Debug, Clone)]
pub struct Left(pub Option<PathBuf>);

impl std::fmt::Display for Left {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(p) => write!(
                f,
                "the incomplete archive was left as {} and must not be used as evidence",
                p.display()
            ),
            None => write!(f, "no archive was started"),
        }
    }
}

/// What the probe learnt about the server.
struct Probe {
    identity: ServerIdentity,
    ram_dir: Option<String>,
}

/// The probe: one connection with `ssh -v` (whose debug output names the
/// host key it verified), printing `key=value` lines.
const PROBE: &str = r#"echo "arch=$(uname -m)"; echo "hostname=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"; echo "machine_id=$(cat /etc/machine-id 2>/dev/null)"; for d in "${XDG_RUNTIME_DIR:-}" /dev/shm "/run/user/$(id -u)"; do if [ -n "$d" ] && [ -d "$d" ] && [ -w "$d" ] && [ "$(stat -f -c %T "$d" 2>/dev/null)" = tmpfs ]; then echo "ram_dir=$d"; break; fi; done"#;

/// Capture the server `req.target` over SSH into `req.capture.out_dir`.
pub fn capture_remote(
    req: &RemoteRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<RemoteSummary, RemoteError> {
    let args = server_args(&req.capture)?;
    phase(progress, "connecting");
    let probe = probe(req)?;
    let mut bin = if let Some(path) = &req.remote_exhibit {
        existing_binary(req, path)?
    } else {
        upload(req, &probe)?
    };
    let result = run_and_receive(req, &probe, &bin, &args, progress, cancel);
    if bin.uploaded {
        bin.removed = Some(remove_binary(req, &bin.path));
    }
    let (summary, server_sha256) = result?;
    Ok(RemoteSummary {
        capture: summary,
        server: probe.identity,
        binary: bin,
        server_sha256,
    })
}

fn phase(progress: &dyn ProgressSink, phase: &'static str) {
    progress.update(&Progress {
        phase,
        ..Progress::default()
    });
}

/// Run an ssh command to completion with `stdin` fed to it; returns
/// (stdout, stderr) or the error naming the host.
fn run_ssh(
    req: &RemoteRequest,
    what: &'static str,
    script: &str,
    verbose: bool,
    stdin: Option<&Path>,
) -> Result<(String, String), RemoteError> {
    let mut cmd = ssh::command(&req.target, &req.ssh, script, verbose);
    let file = stdin
        .map(|p| File::open(p).map_err(|e| RemoteError::ReadBinary(e, p.to_path_buf())))
        .transpose()?;
    if let Some(f) = file {
        cmd.stdin(Stdio::from(f));
    }
    let out = cmd.output().map_err(RemoteError::Spawn)?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(ssh_failure(req, what, &stderr, out.status));
    }
    Ok((stdout, stderr))
}

fn ssh_failure(
    req: &RemoteRequest,
    what: &'static str,
    stderr: &str,
    status: std::process::ExitStatus,
) -> RemoteError {
    let tail = ssh::tail_of(stderr, 3);
    let detail = match ssh::diagnose(stderr) {
        Some(d) => format!("{d} [{tail}]"),
        None if tail.is_empty() => format!("ssh exited with {status}"),
        None => format!("{tail} (ssh exited with {status})"),
    };
    RemoteError::Ssh {
        what,
        host: req.target.display(),
        detail,
    }
}

fn probe(req: &RemoteRequest) -> Result<Probe, RemoteError> {
    let (stdout, stderr) = run_ssh(req, "connecting", PROBE, true, None)?;
    let value = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let arch = value("arch").ok_or_else(|| RemoteError::Ssh {
        what: "probing the server",
        host: req.target.display(),
        detail: format!(
            "no answer from uname (the remote shell printed {:?})",
            stdout.chars().take(200).collect::<String>()
        ),
    })?;
    Ok(Probe {
        identity: ServerIdentity {
            destination: req.target.display(),
            hostname: value("hostname"),
            machine_id: value("machine_id"),
            arch,
            ssh_host_key: ssh::host_key_from_debug(&stderr),
        },
        ram_dir: value("ram_dir"),
    })
}

/// `--remote-exhibit PATH`: hash it there; nothing is uploaded.
fn existing_binary(req: &RemoteRequest, path: &str) -> Result<RemoteBinary, RemoteError> {
    let (stdout, _) = run_ssh(
        req,
        "checking the remote exhibit",
        &format!("sha256sum -- {}", ssh::quote(path)),
        false,
        None,
    )?;
    Ok(RemoteBinary {
        path: path.to_string(),
        sha256: first_hash(&stdout).unwrap_or_default(),
        uploaded: false,
        local_path: None,
        removed: None,
    })
}

fn first_hash(s: &str) -> Option<String> {
    s.lines()
        .filter_map(|l| l.split_whitespace().next())
        .find(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase)
}

/// Upload the static build for the server's architecture into a fresh
/// directory in its RAM-backed directory and check its SHA-256 there.
fn upload(req: &RemoteRequest, probe: &Probe) -> Result<RemoteBinary, RemoteError> {
    let host = req.target.display();
    let local = match &req.upload_binary {
        Some(p) => p.clone(),
        None => binary::find(&probe.identity.arch).ok_or_else(|| RemoteError::NoBinary {
            arch: probe.identity.arch.clone(),
            host: host.clone(),
            looked: {
                let c = binary::candidates(&probe.identity.arch);
                if c.is_empty() {
                    "no static build exists for this architecture".to_string()
                } else {
                    c.iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            },
        })?,
    };
    let ram = probe
        .ram_dir
        .clone()
        .ok_or_else(|| RemoteError::NoRamDir(host.clone()))?;
    let sent = hash_local(&local)?;
    let script = format!(
        r#"umask 077 && d=$(mktemp -d {}/exhibit.XXXXXXXX) && echo "dir=$d" && cat > "$d/exhibit" && chmod 700 "$d/exhibit" && sha256sum "$d/exhibit""#,
        ssh::quote(&ram)
    );
    let (stdout, _) = run_ssh(req, "uploading exhibit", &script, false, Some(&local))?;
    let dir = stdout
        .lines()
        .find_map(|l| l.strip_prefix("dir="))
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    let got = first_hash(&stdout).unwrap_or_default();
    let path = format!("{dir}/exhibit");
    if dir.is_empty() || got != sent {
        if !dir.is_empty() {
            remove_binary(req, &path);
        }
        return Err(RemoteError::UploadMismatch {
            host,
            sent,
            got: if got.is_empty() {
                "nothing".into()
            } else {
                got
            },
        });
    }
    Ok(RemoteBinary {
        path,
        sha256: got,
        uploaded: true,
        local_path: Some(local),
        removed: None,
    })
}

fn hash_local(path: &Path) -> Result<String, RemoteError> {
    let err = |e| RemoteError::ReadBinary(e, path.to_path_buf());
    let mut f = File::open(path).map_err(err)?;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(err)?;
        if n == 0 {
            break;
        }
        sha.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hex::encode(sha.finalize()))
}

/// Remove the uploaded binary's directory; true when it is gone.
fn remove_binary(req: &RemoteRequest, path: &str) -> bool {
    let Some(dir) = path.strip_suffix("/exhibit") else {
        return false;
    };
    let script = format!("rm -rf -- {d}; test ! -e {d}", d = ssh::quote(dir));
    run_ssh(req, "removing the uploaded exhibit", &script, false, None).is_ok()
}

/// The server's `exhibit capture` arguments for `req`.
fn server_args(req: &CaptureRequest) -> Result<Vec<String>, RemoteError> {
    if req.case.case_id.trim().is_empty() {
        return Err(RemoteError::Invalid("a case id is required".into()));
    }
    if req.examiner.name.trim().is_empty() {
        return Err(RemoteError::Invalid("an examiner name is required".into()));
    }
    let utf8 = |p: &Path| {
        p.to_str()
            .map(str::to_string)
            .ok_or_else(|| RemoteError::Invalid(format!("not UTF-8: {}", p.display())))
    };
    let mut a: Vec<String> = vec!["capture".into(), "--stream-out".into()];
    let mut opt = |flag: &str, v: &str| {
        a.push(flag.to_string());
        a.push(v.to_string());
    };
    opt("--case", &req.case.case_id);
    opt("--examiner", &req.examiner.name);
    if !req.case.evidence_id.trim().is_empty() {
        opt("--evidence", &req.case.evidence_id);
    }
    for (flag, v) in [
        ("--org", &req.examiner.organisation),
        ("--contact", &req.examiner.contact),
        ("--purpose", &req.case.purpose),
    ] {
        if let Some(v) = v {
            opt(flag, v);
        }
    }
    opt("--examiner-timezone", &req.examiner.timezone);
    if let Some(r) = &req.root {
        opt("--root", &utf8(r)?);
    }
    for p in &req.profiles {
        opt("--profile", p);
    }
    match req.compression {
        Compression::Store => a.push("--store".into()),
        Compression::Deflate(l) => {
            a.push("--level".into());
            a.push(l.clamp(1, 9).to_string());
        }
    }
    if req.threads > 0 {
        a.push("--threads".into());
        a.push(req.threads.to_string());
    }
    if req.include_secrets {
        a.push("--include-secrets".into());
    }
    match req.live {
        LivePolicy::Never => a.push("--no-live".into()),
        LivePolicy::Always if req.root.is_none() => a.push("--live".into()),
        _ => {}
    }
    if req.all_filesystems {
        a.push("--all-filesystems".into());
    }
    if req.one_file_system {
        a.push("--one-file-system".into());
    }
    a.push("--".into());
    for s in &req.sources {
        a.push(utf8(s)?);
    }
    Ok(a)
}

/// Run the capture on the server and receive its archive.
fn run_and_receive(
    req: &RemoteRequest,
    probe: &Probe,
    bin: &RemoteBinary,
    args: &[String],
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<(CaptureSummary, String), RemoteError> {
    let host = req.target.display();
    let words: Vec<String> = args.iter().map(|a| ssh::quote(a)).collect();
    let mut script = format!("{} {}", ssh::quote(&bin.path), words.join(" "));
    if bin.uploaded
        && let Some(dir) = bin.path.strip_suffix("/exhibit")
    {
        // Removed even if this workstation goes away before it can.
        script = format!("{script}; rc=$?; rm -rf -- {}; exit $rc", ssh::quote(dir));
    }
    let out_dir = &req.capture.out_dir;
    std::fs::create_dir_all(out_dir).map_err(|e| RemoteError::Create(e, out_dir.clone()))?;
    let out_dir = crate::platform::names::canonical_dir(out_dir)
        .map_err(|e| RemoteError::Create(e, out_dir.clone()))?;
    let mut child = ssh::command(&req.target, &req.ssh, &script, false)
        .spawn()
        .map_err(RemoteError::Spawn)?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(RemoteError::Spawn(std::io::Error::other("no pipes to ssh")));
    };
    let child = Arc::new(Mutex::new(child));
    let done = Arc::new(AtomicBool::new(false));
    let watcher = spawn_cancel_watcher(child.clone(), done.clone(), cancel.clone());
    let server_messages = Arc::new(Mutex::new(String::new()));
    let (received, status) = std::thread::scope(|s| {
        let messages = server_messages.clone();
        let reader = s.spawn(move || read_server_stderr(stderr, progress, &messages));
        let r = receive(stdout, &out_dir, req.capture.encrypt_to.as_deref());
        // A stream cut short ends ssh by itself; anything else this side
        // gave up on stops ssh (and through it the server).
        let grace = match &r {
            Err(ReceiveError {
                kind: ReceiveFailure::Frame(FrameError::Truncated(_)),
                ..
            })
            | Ok(_) => std::time::Duration::from_secs(30),
            Err(_) => std::time::Duration::ZERO,
        };
        let status = wait_or_kill(&child, grace, cancel);
        let _ = reader.join();
        (r, status)
    });
    done.store(true, Ordering::SeqCst);
    let _ = watcher.join();
    let messages = server_messages
        .lock()
        .map(|m| m.clone())
        .unwrap_or_default();
    if cancel.is_cancelled() {
        let p = match &received {
            Ok(r) => Some(r.partial.clone()),
            Err(e) => e.partial.clone(),
        };
        return Err(RemoteError::Cancelled(Left(p)));
    }
    let ok_exit = status.is_some_and(|s| s.success());
    let received = match received {
        Ok(r) if ok_exit => r,
        Ok(r) => {
            return Err(RemoteError::Capture {
                host,
                detail: server_detail(&messages, status),
                partial: Left(Some(r.partial)),
            });
        }
        Err(e) => {
            let partial = Left(e.partial.clone());
            let server_said = server_detail(&messages, status);
            return Err(match e.kind {
                ReceiveFailure::Frame(FrameError::Truncated(n)) => {
                    if status.and_then(|s| s.code()) == Some(255) || status.is_none() {
                        RemoteError::Lost {
                            host,
                            detail: format!(
                                "the stream stopped after {n} bytes of archive; {server_said}"
                            ),
                            partial,
                        }
                    } else {
                        RemoteError::Capture {
                            host,
                            detail: server_said,
                            partial,
                        }
                    }
                }
                ReceiveFailure::Frame(f) => RemoteError::Capture {
                    host,
                    detail: format!("{f}; {server_said}"),
                    partial,
                },
                ReceiveFailure::Write(io) => {
                    RemoteError::Create(io, partial.0.unwrap_or_else(|| out_dir.clone()))
                }
            });
        }
    };
    seal_received(req, probe, bin, received, &out_dir, progress)
}

/// Wait up to `grace` for ssh to exit, then kill it; `None` when it was
/// killed (by this side or anyone else).
fn wait_or_kill(
    child: &Mutex<Child>,
    grace: std::time::Duration,
    cancel: &CancelToken,
) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + grace;
    loop {
        let Ok(mut c) = child.lock() else {
            return None;
        };
        match c.try_wait() {
            Ok(Some(s)) => return Some(s),
            Ok(None) if std::time::Instant::now() < deadline && !cancel.is_cancelled() => {}
            _ => {
                let _ = c.kill();
                return c.wait().ok();
            }
        }
        drop(c);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// What the server's standard error said, for an error message.
fn server_detail(messages: &str, status: Option<std::process::ExitStatus>) -> String {
    let diagnosis = ssh::diagnose(messages);
    let tail = ssh::tail_of(messages, 3);
    let exit = match status.and_then(|s| s.code()) {
        Some(255) => "ssh exited with 255 (connection failed or lost)".to_string(),
        Some(c) => format!("the remote command exited with {c}"),
        None => "ssh was killed".to_string(),
    };
    match (diagnosis, tail.is_empty()) {
        (Some(d), _) => format!("{d} [{tail}]"),
        (None, true) => exit,
        (None, false) => format!("{tail} ({exit})"),
    }
}

/// Kill ssh when the capture is cancelled.
fn spawn_cancel_watcher(
    child: Arc<Mutex<Child>>,
    done: Arc<AtomicBool>,
    cancel: CancelToken,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !done.load(Ordering::SeqCst) {
            if cancel.is_cancelled() {
                if let Ok(mut c) = child.lock() {
                    let _ = c.kill();
                }
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    })
}

/// The longest line of the server's standard error kept.
const MAX_LINE: u64 = 16 << 10;
/// Lines of the server's messages kept for errors.
const KEPT_LINES: usize = 40;

/// Pass the server's progress lines on, keep its last other lines.
fn read_server_stderr(stderr: impl Read, progress: &dyn ProgressSink, messages: &Mutex<String>) {
    let mut r = BufReader::new(stderr);
    let mut kept: VecDeque<String> = VecDeque::new();
    loop {
        let mut line = Vec::new();
        match r.by_ref().take(MAX_LINE).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end();
        if let Some(json) = text.strip_prefix(PROGRESS_PREFIX) {
            if let Ok(p) = serde_json::from_str::<WireProgress>(json) {
                progress.update(&p.into_progress());
            }
            continue;
        }
        if kept.len() == KEPT_LINES {
            kept.pop_front();
        }
        kept.push_back(crate::text::inert(text).into_owned());
    }
    if let Ok(mut m) = messages.lock() {
        *m = kept.into_iter().collect::<Vec<_>>().join("\n");
    }
}

/// A progress snapshot as the server prints it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct WireProgress {
    pub phase: String,
    pub files_done: u64,
    pub files_total: Option<u64>,
    pub bytes_done: u64,
    pub bytes_total: Option<u64>,
    pub current: String,
    pub warnings: u64,
}

impl WireProgress {
    pub fn from_progress(p: &Progress) -> Self {
        Self {
            phase: p.phase.to_string(),
            files_done: p.files_done,
            files_total: p.files_total,
            bytes_done: p.bytes_done,
            bytes_total: p.bytes_total,
            current: p.current.clone(),
            warnings: p.warnings,
        }
    }

    fn into_progress(self) -> Progress {
        let phase = match self.phase.as_str() {
            "walking" => "walking (server)",
            "capturing" => "capturing (server)",
            "sealing" => "sealing (server)",
            "live response" => "live response (server)",
            _ => "server",
        };
        Progress {
            phase,
            files_done: self.files_done,
            files_total: self.files_total,
            bytes_done: self.bytes_done,
            bytes_total: self.bytes_total,
            current: self.current,
            warnings: self.warnings,
        }
    }
}

/// The archive as it arrived.
struct Received {
    stem: String,
    partial: PathBuf,
    final_path: PathBuf,
    /// SHA-256 and size of the archive the server sent (the plaintext ZIP).
    sha256: String,
    bytes: u64,
    /// The hashes of the `.zip.age` file, when encrypted on arrival.
    encryption: Option<Hashes>,
    trailer: Streamed,
}

enum ReceiveFailure {
    Frame(FrameError),
    Write(std::io::Error),
}

struct ReceiveError {
    kind: ReceiveFailure,
    partial: Option<PathBuf>,
}

/// Where received bytes go on their way to the `.partial` file: straight
/// in, or through age encryption (`--encrypt-to`), so no plaintext byte of
/// the archive reaches this machine's disk either.
enum Sink {
    Plain(std::io::BufWriter<File>),
    Age(Box<EncryptingWriter<std::io::BufWriter<File>>>),
}

impl Sink {
    fn open(file: File, encrypt_to: Option<&Recipients>) -> std::io::Result<Self> {
        let buf = std::io::BufWriter::with_capacity(1 << 20, file);
        Ok(match encrypt_to {
            None => Sink::Plain(buf),
            Some(r) => Sink::Age(Box::new(
                EncryptingWriter::new(buf, r).map_err(std::io::Error::other)?,
            )),
        })
    }

    fn write_all(&mut self, d: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Plain(w) => w.write_all(d),
            Sink::Age(w) => w.write_all(d),
        }
    }

    /// Flush everything to the file; the hashes of an encrypted one.
    fn finish(self) -> std::io::Result<Option<Hashes>> {
        match self {
            Sink::Plain(mut w) => w.flush().map(|()| None),
            Sink::Age(w) => {
                let (mut buf, hashes) = w.finish()?;
                buf.flush()?;
                Ok(Some(hashes))
            }
        }
    }
}

/// Read the stream: the header names the archive, its data goes to
/// `<stem>.zip.partial` through [`open_sink`] while hashed, the trailer
/// says what the server sent.
fn receive(
    stdout: impl Read,
    out_dir: &Path,
    encrypt_to: Option<&Recipients>,
) -> Result<Received, ReceiveError> {
    let frame_err = |partial: Option<&PathBuf>| {
        let partial = partial.cloned();
        move |e: FrameError| ReceiveError {
            kind: ReceiveFailure::Frame(e),
            partial,
        }
    };
    let mut r = FrameReader::new(stdout).map_err(frame_err(None))?;
    let header = match r.next_frame().map_err(frame_err(None))? {
        Frame::Header(h) => serde_json::from_slice::<stream::Header>(&h)
            .map_err(|e| frame_err(None)(FrameError::Garbled(format!("bad header: {e}"))))?,
        _ => {
            return Err(frame_err(None)(FrameError::Garbled("no header".into())));
        }
    };
    let stem = header.stem;
    if stem.is_empty() || stem.contains('/') || stem.starts_with('.') {
        return Err(frame_err(None)(FrameError::Garbled(format!(
            "bad archive name {stem:?}"
        ))));
    }
    let ext = if encrypt_to.is_some() {
        "zip.age"
    } else {
        "zip"
    };
    let final_path = out_dir.join(format!("{stem}.{ext}"));
    let partial = out_dir.join(format!("{stem}.{ext}.partial"));
    let write_err = |p: &PathBuf| {
        let p = p.clone();
        move |e: std::io::Error| ReceiveError {
            kind: ReceiveFailure::Write(e),
            partial: Some(p),
        }
    };
    if final_path.exists() {
        return Err(ReceiveError {
            kind: ReceiveFailure::Write(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "archive already exists",
            )),
            partial: Some(final_path),
        });
    }
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .map_err(|e| ReceiveError {
            kind: ReceiveFailure::Write(e),
            partial: None,
        })?;
    let mut sink = Sink::open(file, encrypt_to).map_err(write_err(&partial))?;
    let mut sha = Sha256::new();
    let mut bytes = 0u64;
    let trailer = loop {
        match r.next_frame().map_err(frame_err(Some(&partial)))? {
            Frame::Data(d) => {
                sha.update(&d);
                bytes += d.len() as u64;
                sink.write_all(&d).map_err(write_err(&partial))?;
            }
            Frame::Trailer(t) => break t,
            Frame::Header(_) => {
                return Err(frame_err(Some(&partial))(FrameError::Garbled(
                    "a second header".into(),
                )));
            }
        }
    };
    let encryption = sink.finish().map_err(write_err(&partial))?;
    let trailer: Streamed = serde_json::from_slice(&trailer)
        .map_err(|e| frame_err(Some(&partial))(FrameError::Garbled(format!("bad trailer: {e}"))))?;
    Ok(Received {
        stem,
        partial,
        final_path,
        sha256: hex::encode(sha.finalize()),
        bytes,
        encryption,
        trailer,
    })
}

/// Check what arrived against what the server sent, seal it, and write
/// the custody log.
fn seal_received(
    req: &RemoteRequest,
    probe: &Probe,
    bin: &RemoteBinary,
    r: Received,
    out_dir: &Path,
    progress: &dyn ProgressSink,
) -> Result<(CaptureSummary, String), RemoteError> {
    let host = req.target.display();
    let t = &r.trailer;
    if t.sha256 != r.sha256 || t.archive_bytes != r.bytes || t.stem != r.stem {
        return Err(RemoteError::Mismatch {
            host,
            sent: t.sha256.clone(),
            sent_bytes: t.archive_bytes,
            got: r.sha256,
            got_bytes: r.bytes,
            partial: r.partial,
        });
    }
    let file = File::open(&r.partial).map_err(|e| RemoteError::Create(e, r.partial.clone()))?;
    seal::seal(file, &r.partial, &r.final_path)
        .map_err(|e| RemoteError::Create(e, r.partial.clone()))?;
    phase(progress, "sealed");

    let c = &req.capture;
    let actor = Actor {
        name: c.examiner.name.clone(),
        role: Some("first responder".into()),
        organisation: c.examiner.organisation.clone(),
        contact: c.examiner.contact.clone(),
    };
    let here = capture::host::local_hostname();
    let location = c.location.clone().or_else(|| Some(here.clone()));
    let server = server_details(probe, bin);
    // What is stored: the ciphertext of an encrypted archive.
    let (stored_sha256, stored_bytes) = match &r.encryption {
        Some(h) => (h.ciphertext_sha256.clone(), h.ciphertext_bytes),
        None => (r.sha256.clone(), r.bytes),
    };
    let log = custody::record_acquisition(&custody::AcquisitionEvents {
        archive_path: &r.final_path,
        archive_sha256: &stored_sha256,
        archive_size: stored_bytes,
        encryption: r.encryption.as_ref().map(|hashes| custody::Encryption {
            hashes,
            recipients: c
                .encrypt_to
                .as_ref()
                .map(|r| r.labels.clone())
                .unwrap_or_default(),
        }),
        acquisition_sha256: &t.acquisition_sha256,
        actor: actor.clone(),
        location: location.clone(),
        case_id: c.case.case_id.clone(),
        evidence_id: t.acquisition.case.evidence_id.clone(),
        purpose: c.case.purpose.clone(),
        signer: c.signer.as_deref(),
        acquisition: Some(&t.acquisition),
        extra_details: server.clone(),
    })?;
    let from = format!(
        "{} ({})",
        probe.identity.destination,
        probe.identity.hostname.as_deref().unwrap_or("unknown host")
    );
    let to = format!("{here}:{}", out_dir.display());
    let mut details = custody::transfer_details(Some(&from), Some(&to), Some("ssh"), None);
    details.insert("server_sha256".into(), json!(t.sha256));
    details.insert("received_sha256".into(), json!(r.sha256));
    details.insert("size_bytes".into(), json!(r.bytes));
    if let Some(k) = &probe.identity.ssh_host_key {
        details.insert("ssh_host_key".into(), json!(k));
    }
    custody::append_event(
        &log,
        &NewEvent {
            action: Some(Action::Transferred),
            actor,
            location,
            purpose: None,
            details,
            archive_file: None,
            archive_sha256: Some(stored_sha256.clone()),
        },
        c.signer.as_deref(),
    )?;
    let summary = CaptureSummary {
        archive: r.final_path,
        sha256: stored_sha256,
        encryption: r.encryption,
        files: t.files,
        bytes: t.bytes,
        errors: t.errors.clone(),
        custody_log: log,
        archive_bytes: stored_bytes,
        entries: t.entries,
        stem: r.stem,
    };
    Ok((summary, t.sha256.clone()))
}

/// The server identity both the `acquired` and `sealed` events carry.
fn server_details(probe: &Probe, bin: &RemoteBinary) -> Map<String, Value> {
    let id = &probe.identity;
    let mut server = Map::new();
    server.insert("transport".into(), json!("ssh"));
    server.insert("destination".into(), json!(id.destination));
    server.insert("hostname".into(), json!(id.hostname));
    server.insert("machine_id".into(), json!(id.machine_id));
    server.insert("arch".into(), json!(id.arch));
    server.insert("ssh_host_key".into(), json!(id.ssh_host_key));
    server.insert("exhibit_path".into(), json!(bin.path));
    server.insert("exhibit_sha256".into(), json!(bin.sha256));
    server.insert("exhibit_uploaded".into(), json!(bin.uploaded));
    let mut d = Map::new();
    d.insert("server".into(), Value::Object(server));
    d
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn server_arguments_carry_the_request_and_end_options_before_paths() {
        let mut req = CaptureRequest::new(
            vec![PathBuf::from("-etc")],
            PathBuf::from("out"),
            "CASE 1",
            "Ann O'Neil",
        );
        req.profiles = vec!["triage".into()];
        req.root = Some(PathBuf::from("/mnt/img"));
        let a = server_args(&req).unwrap();
        assert_eq!(a.get(..2).unwrap(), ["capture", "--stream-out"]);
        let dd = a.iter().position(|x| x == "--").unwrap();
        assert_eq!(a.get(dd + 1).map(String::as_str), Some("-etc"));
        for w in ["--root", "/mnt/img", "--profile", "triage", "Ann O'Neil"] {
            assert!(a.iter().any(|x| x == w), "{w} missing from {a:?}");
        }
        req.case.case_id = " ".into();
        assert!(server_args(&req).is_err());
    }

    #[test]
    fn hashes_are_found_in_sha256sum_output() {
        let h = "a".repeat(64);
        assert_eq!(
            first_hash(&format!("dir=/dev/shm/x\n{h}  /dev/shm/x/exhibit\n")),
            Some(h)
        );
        assert_eq!(first_hash("dir=/x\n"), None);
    }
}
