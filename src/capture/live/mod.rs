//! Live response: the volatile state of the running system, read from
//! `/proc` directly before the file walk starts.
//!
//! Collected most volatile first (network sockets, processes and their open
//! files, logged-in users, interfaces/ARP/routes, mounts, kernel modules,
//! uptime and boot id). Each artefact becomes one JSON document stored as a
//! tag file under `exhibit/live/` (covered by the tag manifest), with
//! `collected_at` in UTC and the problems met while reading it. A process
//! that exits mid-read, or a file the examiner may not read, is recorded in
//! the document; it never stops the collection.

pub mod deleted;
pub mod modules;
pub mod mounts;
pub mod net;
pub mod processes;
pub mod sockets;
pub mod system;
pub mod users;

use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where live response reads from; tests may point it elsewhere.
#[derive(Debug, Clone)]
pub struct LiveRequest {
    /// The proc filesystem (`/proc`).
    pub proc_dir: PathBuf,
    /// The sysfs mount (`/sys`).
    pub sys_dir: PathBuf,
    /// The running system's root, for `/etc/passwd` and `/run/utmp`.
    pub root: PathBuf,
}

impl Default for LiveRequest {
    fn default() -> Self {
        Self {
            proc_dir: PathBuf::from("/proc"),
            sys_dir: PathBuf::from("/sys"),
            root: PathBuf::from("/"),
        }
    }
}

/// One live-response document: its tag name (under `exhibit/`) and JSON.
#[derive(Debug, Clone)]
pub struct LiveDocument {
    pub name: String,
    pub json: Vec<u8>,
}

/// What went wrong reading one part (a file, a process): recorded, never fatal.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Problem {
    pub what: String,
    pub error: String,
}

impl Problem {
    pub(crate) fn new(what: impl Into<String>, err: &std::io::Error) -> Self {
        Self::text(what, err)
    }

    pub(crate) fn text(what: impl Into<String>, err: &impl std::fmt::Display) -> Self {
        Self {
            what: what.into(),
            error: err.to_string(),
        }
    }
}

/// Current time, RFC 3339 UTC with nanoseconds.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// Read a small text file from proc/sys, lossily decoded.
pub(crate) fn read_text(p: &Path) -> std::io::Result<String> {
    std::fs::read(p).map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn doc<T: Serialize>(name: &str, value: &T) -> LiveDocument {
    LiveDocument {
        name: format!("live/{name}"),
        json: serde_json::to_vec_pretty(value).unwrap_or_else(|e| {
            format!("{{\"error\": \"cannot serialise {name}: {e}\"}}").into_bytes()
        }),
    }
}

/// Collect every live-response artefact, most volatile first. Returns the
/// documents in collection order (names like `live/processes.json`).
pub fn collect(req: &LiveRequest) -> Vec<LiveDocument> {
    let accounts = crate::capture::accounts::Accounts::load(&req.root);
    let users = accounts.users;
    // Network tables first: connections come and go within seconds.
    let mut socks = sockets::collect(&req.proc_dir);
    let procs = processes::collect(&req.proc_dir, &users);
    sockets::attach_owners(&mut socks, &procs.fds);
    let del = deleted::from_scan(&procs);
    let mut logged_in = users::collect(&req.root);
    logged_in.problems.extend(
        accounts
            .refused
            .iter()
            .map(|(what, error)| Problem::text(what.clone(), error)),
    );
    let network = net::collect(&req.proc_dir, &req.sys_dir);
    let mnt = mounts::collect(&req.proc_dir);
    let mods = modules::collect(&req.proc_dir);
    let sys = system::collect(&req.proc_dir);
    vec![
        doc("sockets.json", &socks),
        doc("processes.json", &procs.doc),
        doc("deleted_files.json", &del),
        doc("users.json", &logged_in),
        doc("network.json", &network),
        doc("mounts.json", &mnt),
        doc("modules.json", &mods),
        doc("system.json", &sys),
    ]
}
