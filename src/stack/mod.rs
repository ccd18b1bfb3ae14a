//! Which host differs: least-frequency-of-occurrence stacking over the
//! snapshots of many hosts (`exhibit stack`, the workstation's Hosts view).
//!
//! Every snapshot is reduced to [`Fact`]s, one per thing a host has: a file
//! by path and SHA-256 (`files`), a SUID/SGID file (`files`), an account or
//! a privileged group membership and an authorized SSH key (`accounts`), a
//! cron entry and a systemd unit with what it runs (`persistence`), a
//! listening port and a running program from live response (`live`). The
//! facts of all hosts are stacked into key → value → hosts (`table`), and
//! two kinds of [`Outlier`] come out: a key only few hosts have (`rare`:
//! at most `max(1, 10 %)` of the hosts, only among three hosts or more),
//! and a key whose value differs on a minority while a majority shares one
//! value (`differs`: the trojaned `/usr/bin/ps` on 1 of 20). Outliers are
//! ranked by how unusual (the share of hosts) and how dangerous (the
//! fact's danger: executables in system directories, SUID files, uid 0
//! accounts, authorized keys, cron entries and units that run commands,
//! listening ports, programs running from `/tmp` or deleted are high;
//! configuration medium; the rest low).
//!
//! Paths that naturally differ per host (logs, `/etc/hostname`, the
//! machine id, SSH host keys, `/var/lib/…`) are left out of the file facts
//! by a list kept as data (`assets/stack/host-specific.toml`). Two
//! snapshots of one host (same hostname and machine id): the newest of
//! those whose capture covered the most of the stacked ground is used
//! ([`choose_snapshot`]), and the result says so. Hosts are read a few at a time on the
//! worker pool ([`crate::job::par_map`]) and reduced to facts before the
//! next ones are opened; paths and values are interned, so memory grows
//! with the distinct keys, not with hosts × entries.

mod accounts;
mod files;
mod live;
mod persistence;
mod table;

pub use files::Exclusions;
pub use table::Stacker;

use crate::archive::{Archive, LIVE_DIR};
use crate::capture::live::{processes::ProcessesDoc, sockets::SocketsDoc};
use crate::detect::Severity;
use crate::job::{CancelToken, Progress, ProgressSink};
use crate::snapshot::{Snapshot, SnapshotError, SnapshotKind, TimeNs, format_time};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The most bytes read of one small text file of a snapshot (passwd,
/// group, a crontab, a unit, an authorized_keys file).
pub const MAX_TEXT: u64 = 1 << 20;

/// The most bytes read of one live-response document.
const MAX_LIVE_DOC: u64 = 256 << 20;

/// What kind of thing a fact or an outlier is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A file, symlink, by path; its value the SHA-256 (or link target).
    File,
    /// A SUID or SGID file, by path; its value its mode and owner.
    Suid,
    /// An account of `/etc/passwd`, by name; its value uid, home, shell.
    Account,
    /// A member of a privileged group (`group: member`).
    Group,
    /// An authorized SSH key (`file fingerprint`); its value the algorithm
    /// and (masked) comment.
    SshKey,
    /// A cron entry (`file: line`).
    Cron,
    /// A systemd unit, by name; its value the commands it runs.
    Unit,
    /// A listening port from live response (`tcp/22`); its value the
    /// programs holding it.
    Port,
    /// A running program from live response, by executable path.
    Process,
}

impl Kind {
    /// Every kind, in display order.
    pub const ALL: [Kind; 9] = [
        Kind::File,
        Kind::Suid,
        Kind::Account,
        Kind::Group,
        Kind::SshKey,
        Kind::Cron,
        Kind::Unit,
        Kind::Port,
        Kind::Process,
    ];

    /// The name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Suid => "suid",
            Kind::Account => "account",
            Kind::Group => "group",
            Kind::SshKey => "ssh_key",
            Kind::Cron => "cron",
            Kind::Unit => "unit",
            Kind::Port => "port",
            Kind::Process => "process",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The value of a fact: a content hash, a short text, or unknown (a file
/// whose content was not read: it counts as present, never as different).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FactValue {
    Hash([u8; 32]),
    Text(Box<str>),
    Unknown,
}

impl FactValue {
    /// The value as shown: `sha256:<hex>`, the text, or `unknown`.
    pub fn display(&self) -> String {
        match self {
            FactValue::Hash(h) => format!("sha256:{}", hex::encode(h)),
            FactValue::Text(t) => t.to_string(),
            FactValue::Unknown => "unknown".into(),
        }
    }

    pub(crate) fn text(s: impl Into<Box<str>>) -> Self {
        FactValue::Text(s.into())
    }
}

/// One thing a host has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub kind: Kind,
    pub key: String,
    pub value: FactValue,
    /// How dangerous an unusual one is (low, medium or high).
    pub danger: Severity,
    /// Why it is that dangerous, for people.
    pub why: &'static str,
}

/// How an outlier is unusual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutlierClass {
    /// The key exists on few hosts.
    Rare,
    /// The key exists on most hosts, and these have another value than the
    /// majority.
    Differs,
}

impl OutlierClass {
    pub fn as_str(self) -> &'static str {
        match self {
            OutlierClass::Rare => "rare",
            OutlierClass::Differs => "differs",
        }
    }
}

/// A key (with one value) that only a few hosts have.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outlier {
    pub kind: Kind,
    pub class: OutlierClass,
    pub key: String,
    /// The value these hosts have.
    pub value: String,
    /// The hosts that have it (names as in [`StackResult::hosts`]).
    pub hosts: Vec<String>,
    /// Out of how many hosts.
    pub of: usize,
    /// The majority's value, for `differs`.
    pub majority: Option<String>,
    /// How many hosts hold the majority's value, for `differs`.
    pub majority_hosts: Option<usize>,
    /// What is unusual, for people.
    pub detail: String,
    pub severity: Severity,
    /// Rank: danger × rarity (higher is more unusual and more dangerous).
    pub score: f64,
}

/// What to stack.
#[derive(Debug, Clone, Default)]
pub struct StackRequest {
    /// Archives or directories (read as target roots), one host or more
    /// each; two of the same host: the newest is used.
    pub inputs: Vec<PathBuf>,
    /// A key on at most this many hosts is rare; `None`: `max(1, 10 %)`.
    pub rare: Option<usize>,
    /// Show authorized keys' comments unmasked (they often name people).
    pub show_values: bool,
    /// A file replacing the built-in list of host-specific paths.
    pub exclusions: Option<PathBuf>,
    /// Hosts read at once; 0: one per core, at most four.
    pub threads: usize,
}

/// One host of the stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostSummary {
    /// The name outliers use: the hostname, else the archive's or folder's
    /// name; made unique with `#2`, `#3` when two hosts share a hostname.
    pub name: String,
    pub machine_id: Option<String>,
    /// The archive or folder used.
    pub source: String,
    /// When it was captured (UTC), when known.
    pub captured_at: Option<String>,
    /// Entries in its snapshot.
    pub entries: usize,
    /// Facts read from it.
    pub facts: usize,
    /// Whether it held live response (ports, processes).
    pub live: bool,
    /// Older snapshots of the same host that were not used.
    pub replaced: Vec<String>,
}

/// The stack: its hosts and the ranked outliers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StackResult {
    pub hosts: Vec<HostSummary>,
    /// Most unusual and dangerous first.
    pub outliers: Vec<Outlier>,
    /// The rarity threshold used (a key on at most this many hosts).
    pub rare_threshold: usize,
    /// Keys stacked, all kinds.
    pub keys: usize,
    /// What the examiner should know: too few hosts, replaced snapshots,
    /// unreadable parts.
    pub notes: Vec<String>,
    /// Snapshots that could not be read: the stack is of the others.
    pub unread: Vec<Unread>,
    /// Files read for the stack (accounts, keys, cron tables, units) whose
    /// bytes are not the ones their archive sealed: what was stacked from
    /// them may be altered.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub altered: Vec<crate::investigate::AlteredContent>,
}

/// A snapshot that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unread {
    pub source: String,
    pub error: String,
}

/// Why the stack could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StackError {
    #[error("no evidence given")]
    NoInput,
    #[error("cannot open snapshot: {0}")]
    Snapshot(#[from] SnapshotError),
    #[error("bad exclusion list: {0}: {1}")]
    Exclusions(String, PathBuf),
    #[error("more than {max} hosts", max = u16::MAX)]
    TooManyHosts,
    #[error("cancelled")]
    Cancelled,
}

/// Live-response documents of one snapshot (archives only).
#[derive(Debug, Clone, Default)]
pub struct LiveDocs {
    pub processes: Option<ProcessesDoc>,
    pub sockets: Option<SocketsDoc>,
}

/// Who a snapshot belongs to, before it is opened.
#[derive(Debug, Clone)]
struct Identity {
    path: PathBuf,
    hostname: Option<String>,
    machine_id: Option<String>,
    /// The archive's or folder's file name, when there is no hostname.
    stem: String,
    taken_ns: Option<TimeNs>,
}

impl Identity {
    fn of(path: &Path, notes: &mut Vec<String>) -> Self {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let clean = |s: Option<String>| {
            s.map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty() && s.len() < 256)
        };
        if path.is_dir() {
            let h = crate::capture::host::host_info(Some(path)).info;
            return Identity {
                path: path.to_path_buf(),
                hostname: clean(h.hostname),
                machine_id: clean(h.machine_id),
                stem,
                taken_ns: None,
            };
        }
        match Archive::open(path).and_then(|a| a.acquisition()) {
            Ok(a) => Identity {
                path: path.to_path_buf(),
                hostname: clean(a.host.hostname),
                machine_id: clean(a.host.machine_id),
                stem,
                taken_ns: crate::snapshot::parse_time(&a.started_at),
            },
            Err(e) => {
                notes.push(format!(
                    "acquisition.json not read ({e}); the host is named after the file: {}",
                    path.display()
                ));
                Identity {
                    path: path.to_path_buf(),
                    hostname: None,
                    machine_id: None,
                    stem,
                    taken_ns: None,
                }
            }
        }
    }

    fn name(&self) -> &str {
        self.hostname.as_deref().unwrap_or(&self.stem)
    }

    /// What makes two snapshots the same host: the hostname and the
    /// machine id (clones of one image share a machine id, so it alone is
    /// not enough); none without a hostname.
    fn host_key(&self) -> Option<(String, Option<String>)> {
        self.hostname.clone().map(|h| (h, self.machine_id.clone()))
    }
}

/// One host to read: the snapshot used and the others of the same host.
struct Planned {
    id: Identity,
    name: String,
    /// The host's other snapshots, newest first; one of them replaces `id`
    /// when [`choose_snapshot`] finds it covers more of the stacked ground.
    others: Vec<Identity>,
    replaced: Vec<String>,
}

/// Group the inputs by host, newest snapshot of each first, names unique.
fn plan(inputs: &[PathBuf], notes: &mut Vec<String>) -> Vec<Planned> {
    let mut out: Vec<Planned> = Vec::new();
    // (hostname, machine id) -> index in `out`, for hosts with a hostname.
    let mut by_identity: std::collections::HashMap<(String, Option<String>), usize> =
        std::collections::HashMap::new();
    for p in inputs {
        let id = Identity::of(p, notes);
        let known = id.host_key().and_then(|k| by_identity.get(&k).copied());
        match known.and_then(|i| out.get_mut(i)) {
            Some(h) => {
                let newer = id.taken_ns.unwrap_or(i64::MIN) > h.id.taken_ns.unwrap_or(i64::MIN);
                if newer {
                    h.others.push(std::mem::replace(&mut h.id, id));
                } else {
                    h.others.push(id);
                }
                h.others
                    .sort_by_key(|o| std::cmp::Reverse(o.taken_ns.unwrap_or(i64::MIN)));
            }
            None => {
                if let Some(k) = id.host_key() {
                    by_identity.insert(k, out.len());
                }
                out.push(Planned {
                    name: String::new(),
                    id,
                    others: Vec::new(),
                    replaced: Vec::new(),
                })
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for h in &mut out {
        let base = h.id.name().to_string();
        let mut name = base.clone();
        let mut n = 1;
        while seen.contains(&name) {
            n += 1;
            name = format!("{base}#{n}");
        }
        seen.insert(name.clone());
        h.name = name;
    }
    out
}

/// Places stacking reads facts from, one of each kind: a capture that
/// would take none of them (a `logs` profile, `/var/www` alone) tells the
/// stack little about its host.
const STACKED_GROUND: &[&str] = &[
    "/etc/passwd",
    "/etc/group",
    "/root/.ssh/authorized_keys",
    "/etc/crontab",
    "/etc/systemd/system/exhibit-probe.service",
    "/usr/bin/ps",
    "/usr/sbin/sshd",
];

/// How much of [`STACKED_GROUND`] a snapshot's capture covered (places its
/// scope surely takes, plus one for live response), or why it cannot be
/// read.
fn ground_covered(id: &Identity) -> Result<usize, StackError> {
    if id.path.is_dir() {
        return Ok(STACKED_GROUND.len());
    }
    let snap = Snapshot::open_archive(&id.path)?;
    let scope = crate::diff::scope::Scope::of(&snap);
    let matcher = crate::diff::scope::ScopeMatcher::new(&scope, &snap);
    let places = STACKED_GROUND
        .iter()
        .filter(|p| {
            matcher.contains(p, crate::archive::EntryType::File) == crate::diff::scope::InScope::Yes
        })
        .count();
    Ok(places + usize::from(scope.live_response))
}

/// Of a host's snapshots, the one to stack: the one covering the most of
/// the stacked ground, the newest of those. A newer capture of a narrower
/// scope (its logs only) is not used in place of a whole one, because the
/// host would then seem to lack every file, account and unit it did not
/// take. Says which was used and why.
fn choose_snapshot(h: &mut Planned, notes: &mut Vec<String>, cancel: &CancelToken) {
    if h.others.is_empty() {
        return;
    }
    let mut all = vec![h.id.clone()];
    all.append(&mut h.others);
    let mut best = 0;
    let mut covered = Vec::with_capacity(all.len());
    for (i, id) in all.iter().enumerate() {
        let c = if cancel.is_cancelled() {
            None
        } else {
            ground_covered(id).ok()
        };
        // Newest first: a later snapshot wins only by covering more.
        if c.unwrap_or(0) > covered.get(best).copied().flatten().unwrap_or(0) {
            best = i;
        }
        covered.push(c);
    }
    let keep = all.remove(best);
    let why = if best == 0 {
        "the newest is used".to_string()
    } else {
        format!(
            "the newest covers less of what stacking reads ({} of {} places against {}), so an older one is used",
            covered[0].unwrap_or(0),
            STACKED_GROUND.len() + 1,
            covered[best].unwrap_or(0)
        )
    };
    for drop in &all {
        notes.push(format!(
            "{}: two snapshots of this host; {why} ({}), not {}",
            keep.name(),
            keep.path.display(),
            drop.path.display()
        ));
        h.replaced.push(drop.path.display().to_string());
    }
    h.id = keep;
}

/// The hosts the inputs belong to (names as a stack would give them), read
/// from the archives' acquisition metadata or the folders' identity files
/// without opening the snapshots: what a front end asks before offering a
/// stack.
pub fn host_names(inputs: &[PathBuf]) -> Vec<String> {
    plan(inputs, &mut Vec::new())
        .into_iter()
        .map(|h| h.name)
        .collect()
}

/// Read an archive's live-response documents, when it holds them.
pub fn read_live(path: &Path) -> (LiveDocs, Vec<String>) {
    let mut notes = Vec::new();
    let Ok(a) = Archive::open(path) else {
        return (LiveDocs::default(), notes);
    };
    let prefix = format!("{}/{LIVE_DIR}", a.stem);
    let has = |name: &str| a.member(&format!("{prefix}{name}")).is_some();
    let mut docs = LiveDocs::default();
    let read = |name: &str, notes: &mut Vec<String>| -> Option<Vec<u8>> {
        if !has(name) {
            return None;
        }
        match a.read_tag(&format!("{LIVE_DIR}{name}"), MAX_LIVE_DOC) {
            Ok(b) => Some(b),
            Err(e) => {
                notes.push(format!("{LIVE_DIR}{name} not read: {e}"));
                None
            }
        }
    };
    if let Some(b) = read("processes.json", &mut notes) {
        match serde_json::from_slice(&b) {
            Ok(d) => docs.processes = Some(d),
            Err(e) => notes.push(format!(
                "{LIVE_DIR}processes.json does not parse: {e}: {}",
                path.display()
            )),
        }
    }
    if let Some(b) = read("sockets.json", &mut notes) {
        match serde_json::from_slice(&b) {
            Ok(d) => docs.sockets = Some(d),
            Err(e) => notes.push(format!(
                "{LIVE_DIR}sockets.json does not parse: {e}: {}",
                path.display()
            )),
        }
    }
    (docs, notes)
}

/// Every fact of one host: its files, SUID files, accounts, keys, cron
/// entries, units (from the snapshot) and its ports and programs (from live
/// response).
pub fn host_facts(
    snapshot: &Snapshot,
    live: &LiveDocs,
    ex: &Exclusions,
    show_values: bool,
) -> Vec<Fact> {
    let mut out = Vec::with_capacity(snapshot.entries.len() + 64);
    files::facts(snapshot, ex, &mut out);
    accounts::facts(snapshot, show_values, &mut out);
    persistence::facts(snapshot, &mut out);
    live::facts(live, &mut out);
    out
}

/// What one host gave: its summary, facts, notes and the files read from
/// altered bytes, or why it gave none.
type HostRead = Result<
    (
        HostSummary,
        Vec<Fact>,
        Vec<String>,
        Vec<crate::investigate::AlteredContent>,
    ),
    StackError,
>;

fn read_host(h: &Planned, ex: &Exclusions, show_values: bool) -> HostRead {
    let snapshot = if h.id.path.is_dir() {
        Snapshot::open_directory(&h.id.path, &crate::job::NoProgress, &CancelToken::new())?
    } else {
        Snapshot::open_archive(&h.id.path)?
    };
    let (live, mut notes) = if snapshot.kind == SnapshotKind::Archive {
        read_live(&h.id.path)
    } else {
        (LiveDocs::default(), Vec::new())
    };
    for p in snapshot.problems.iter().take(3) {
        notes.push(format!("{}: {p}", h.name));
    }
    let facts = host_facts(&snapshot, &live, ex, show_values);
    let summary = HostSummary {
        name: h.name.clone(),
        machine_id: h.id.machine_id.clone(),
        source: h.id.path.display().to_string(),
        captured_at: h.id.taken_ns.or(snapshot.taken_at_ns).map(format_time),
        entries: snapshot.entries.len(),
        facts: facts.len(),
        live: live.processes.is_some() || live.sockets.is_some(),
        replaced: h.replaced.clone(),
    };
    let altered = snapshot
        .altered_reads()
        .into_iter()
        .map(|(path, detail)| crate::investigate::AlteredContent {
            snapshot: summary.source.clone(),
            path,
            detail,
        })
        .collect();
    Ok((summary, facts, notes, altered))
}

/// Stack the hosts' snapshots and rank what is unusual.
pub fn stack(
    req: &StackRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<StackResult, StackError> {
    if req.inputs.is_empty() {
        return Err(StackError::NoInput);
    }
    let ex = match &req.exclusions {
        Some(p) => Exclusions::load(p)?,
        None => Exclusions::builtin(),
    };
    let mut altered = Vec::new();
    let mut notes = Vec::new();
    let mut planned = plan(&req.inputs, &mut notes);
    for h in &mut planned {
        choose_snapshot(h, &mut notes, cancel);
    }
    if planned.len() > usize::from(u16::MAX) {
        return Err(StackError::TooManyHosts);
    }
    let threads = crate::job::threads(req.threads, 4);
    let mut stacker = Stacker::new();
    let mut hosts = Vec::with_capacity(planned.len());
    let mut unread = Vec::new();
    let mut first_error = None;
    for (chunk_no, chunk) in planned.chunks(threads).enumerate() {
        if cancel.is_cancelled() {
            return Err(StackError::Cancelled);
        }
        progress.update(&Progress {
            phase: "stacking",
            files_done: (chunk_no * threads) as u64,
            files_total: Some(planned.len() as u64),
            current: chunk.first().map(|h| h.name.clone()).unwrap_or_default(),
            ..Progress::default()
        });
        let read = crate::job::par_map(
            chunk,
            threads,
            cancel,
            |h| read_host(h, &ex, req.show_values),
            None,
        );
        for (r, h) in read.into_iter().zip(chunk) {
            let (summary, facts, host_notes, host_altered) = match r.ok_or(StackError::Cancelled)? {
                Ok(x) => x,
                Err(StackError::Cancelled) => return Err(StackError::Cancelled),
                // One unreadable archive does not hide the other hosts: it
                // is listed, and the result is incomplete.
                Err(e) => {
                    unread.push(Unread {
                        source: h.id.path.display().to_string(),
                        error: e.to_string(),
                    });
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            let host = u16::try_from(hosts.len()).map_err(|_| StackError::TooManyHosts)?;
            stacker.add(host, facts);
            notes.extend(host_notes);
            altered.extend(host_altered);
            hosts.push(summary);
        }
    }
    progress.update(&Progress {
        phase: "stacking",
        files_done: planned.len() as u64,
        files_total: Some(planned.len() as u64),
        ..Progress::default()
    });
    if hosts.is_empty()
        && let Some(e) = first_error
    {
        return Err(e);
    }
    let names: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
    let rare = rare_threshold(names.len(), req.rare);
    if names.len() < 3 {
        notes.push(format!(
            "{} host{}: stacking needs three hosts or more to tell the rare from the common; compare two hosts with `exhibit diff`",
            names.len(),
            if names.len() == 1 { "" } else { "s" }
        ));
    }
    let keys = stacker.keys();
    let outliers = stacker.finish(&names, rare);
    Ok(StackResult {
        hosts,
        outliers,
        rare_threshold: rare,
        keys,
        unread,
        notes,
        altered,
    })
}

/// A key on at most this many hosts is rare: the request's, else
/// `max(1, 10 % of the hosts)`.
pub fn rare_threshold(hosts: usize, asked: Option<usize>) -> usize {
    asked.unwrap_or((hosts / 10).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rarity_threshold_is_ten_percent_at_least_one() {
        assert_eq!(rare_threshold(3, None), 1);
        assert_eq!(rare_threshold(20, None), 2);
        assert_eq!(rare_threshold(50, None), 5);
        assert_eq!(rare_threshold(50, Some(3)), 3);
    }

    #[test]
    fn same_host_needs_hostname_and_machine_id_equal() {
        let id = |h: Option<&str>, m: Option<&str>| Identity {
            path: PathBuf::from("/x.zip"),
            hostname: h.map(str::to_string),
            machine_id: m.map(str::to_string),
            stem: "x".into(),
            taken_ns: None,
        };
        let same =
            |a: Identity, b: Identity| a.host_key().is_some() && a.host_key() == b.host_key();
        assert!(same(id(Some("a"), Some("1")), id(Some("a"), Some("1"))));
        // Clones of one image share a machine id.
        assert!(!same(id(Some("a"), Some("1")), id(Some("b"), Some("1"))));
        assert!(!same(id(None, None), id(None, None)));
    }
}
