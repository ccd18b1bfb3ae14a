//! `exhibit show ARCHIVE`: what an archive holds, read-only. The default is
//! the acquisition summary (who, when, where, how, counts, every skip and
//! limit); `--live` prints the live-response state captured with it;
//! `--sweep` lists SUID/SGID, world-writable, hidden and unknown-owner
//! entries from the records (the metadata-sweep lists).

use super::{EXIT_ERROR, EXIT_OK, report_error};
use anyhow::Context;
use exhibit::archive::{Archive, FileRecord, LIVE_DIR, Status};
use exhibit::snapshot::stream_records;
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The evidence archive (.zip).
    pub archive: PathBuf,
    /// Show the live-response state (processes, sockets, users...).
    #[arg(long, conflicts_with = "sweep")]
    pub live: bool,
    /// List SUID/SGID, world-writable, hidden and unknown-owner entries.
    #[arg(long)]
    pub sweep: bool,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

const MAX_TAG: u64 = 512 << 20;

pub fn run(a: Args) -> u8 {
    match show(&a) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            report_error(&e);
            EXIT_ERROR
        }
    }
}

fn show(a: &Args) -> anyhow::Result<()> {
    // The tag files are all `show` reads: no index of the payload.
    let ar = Archive::open_tags(&a.archive)
        .with_context(|| format!("cannot open {}", a.archive.display()))?;
    if a.live {
        live(&ar, a.json)
    } else if a.sweep {
        sweep(&ar, a.json)
    } else {
        summary(&ar, a.json)
    }
}

fn live_docs(ar: &Archive) -> anyhow::Result<BTreeMap<String, serde_json::Value>> {
    let prefix = format!("{}/{LIVE_DIR}", ar.stem);
    let mut docs = BTreeMap::new();
    for m in &ar.index.members {
        let Some(name) = m.name.strip_prefix(&prefix) else {
            continue;
        };
        let raw = ar.read_tag(&format!("{LIVE_DIR}{name}"), MAX_TAG)?;
        let v: serde_json::Value = serde_json::from_slice(&raw)
            .with_context(|| format!("bad JSON in {LIVE_DIR}{name}"))?;
        docs.insert(name.trim_end_matches(".json").to_string(), v);
    }
    Ok(docs)
}

fn s(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "-".into(),
        serde_json::Value::String(x) => x.clone(),
        other => other.to_string(),
    }
}

fn arr<'a>(v: &'a serde_json::Value, key: &str) -> &'a [serde_json::Value] {
    v.get(key)
        .and_then(|x| x.as_array())
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// `exhibit show --live`: the live-response tag files printed section by
/// section (processes, sockets, users, ...); long because it is only the
/// printing of each section, one after the other.
fn live(ar: &Archive, json: bool) -> anyhow::Result<()> {
    let docs = live_docs(ar)?;
    if json {
        super::print_json(&serde_json::json!({ "archive": ar.path, "live": docs }));
        return Ok(());
    }
    if docs.is_empty() {
        outln!(
            "{}: no live response in this archive (captured with --root, --no-live, or plain paths)",
            ar.path.display()
        );
        return Ok(());
    }
    let null = serde_json::Value::Null;
    let get = |n: &str| docs.get(n).unwrap_or(&null);
    let sys = get("system");
    outln!("System");
    for k in [
        "collected_at",
        "boot_time",
        "uptime_seconds",
        "boot_id",
        "kernel",
        "load_average",
    ] {
        outln!("  {k:<16} {}", s(sys.get(k).unwrap_or(&null)));
    }
    let procs = arr(get("processes"), "processes");
    outln!();
    outln!("Processes ({})", procs.len());
    outln!(
        "  {:>7} {:>7} {:<12} {:<24} {:<16} command",
        "PID",
        "PPID",
        "USER",
        "STARTED (UTC)",
        "NAME"
    );
    let is_kernel_thread = |p: &serde_json::Value| {
        p.get("exe").is_none_or(|e| e.is_null())
            && arr(p, "cmdline").is_empty()
            && p.get("vanished").and_then(|x| x.as_bool()) != Some(true)
    };
    let kthreads = procs.iter().filter(|p| is_kernel_thread(p)).count();
    for p in procs.iter().filter(|p| !is_kernel_thread(p)) {
        let g = |k: &str| s(p.get(k).unwrap_or(&null));
        let cmd = p
            .get("cmdline")
            .and_then(|c| c.as_array())
            .map(|c| c.iter().map(s).collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        let mut marks = Vec::new();
        if p.get("exe_deleted").and_then(|x| x.as_bool()) == Some(true) {
            marks.push(format!("[EXECUTABLE DELETED: {}]", g("exe")));
        }
        if p.get("vanished").and_then(|x| x.as_bool()) == Some(true) {
            marks.push("[exited while read]".into());
        }
        let user = p
            .get("user")
            .filter(|u| !u.is_null())
            .or(p.get("uid"))
            .map(s)
            .unwrap_or_default();
        outln!(
            "  {:>7} {:>7} {:<12} {:<24} {:<16} {} {}",
            g("pid"),
            g("ppid"),
            user,
            g("start_time"),
            g("name"),
            if cmd.is_empty() {
                format!("[{}]", g("name"))
            } else if cmd.chars().count() > 160 {
                format!("{}…", cmd.chars().take(160).collect::<String>())
            } else {
                cmd
            },
            marks.join(" ")
        );
    }
    if kthreads > 0 {
        outln!("  ({kthreads} kernel threads not shown; see --json)");
    }
    let socks = arr(get("sockets"), "sockets");
    let inet: Vec<_> = socks
        .iter()
        .filter(|x| x.get("protocol").and_then(|p| p.as_str()) != Some("unix"))
        .collect();
    outln!();
    outln!(
        "Network sockets ({} inet, {} unix)",
        inet.len(),
        socks.len() - inet.len()
    );
    outln!(
        "  {:<6} {:<40} {:<40} {:<12} owners",
        "PROTO",
        "LOCAL",
        "REMOTE",
        "STATE"
    );
    for x in inet {
        let ep = |a: &str, p: &str| {
            format!(
                "{}:{}",
                s(x.get(a).unwrap_or(&null)),
                s(x.get(p).unwrap_or(&null))
            )
        };
        let owners: Vec<String> = arr(x, "owners")
            .iter()
            .map(|o| {
                format!(
                    "{}/{}",
                    s(o.get("pid").unwrap_or(&null)),
                    s(o.get("name").unwrap_or(&null))
                )
            })
            .collect();
        outln!(
            "  {:<6} {:<40} {:<40} {:<12} {}",
            s(x.get("protocol").unwrap_or(&null)),
            ep("local_address", "local_port"),
            ep("remote_address", "remote_port"),
            s(x.get("state").unwrap_or(&null)),
            owners.join(", ")
        );
    }
    let users = get("users");
    let logged = arr(users, "logged_in");
    outln!();
    outln!(
        "Logged-in users ({}, from {})",
        logged.len(),
        s(users.get("source").unwrap_or(&null))
    );
    for u in logged {
        outln!(
            "  {:<12} {:<10} {:<30} {}",
            s(u.get("user").unwrap_or(&null)),
            s(u.get("line").unwrap_or(&null)),
            s(u.get("host").unwrap_or(&null)),
            s(u.get("time").unwrap_or(&null))
        );
    }
    let sessions = arr(users, "sessions");
    if !sessions.is_empty() {
        outln!("Login sessions (systemd-logind): {}", sessions.len());
        for x in sessions {
            outln!(
                "  {:<12} {:<8} {:<10} {:<30} leader {} since {}",
                s(x.get("user").unwrap_or(&null)),
                s(x.get("service").unwrap_or(&null)),
                s(x.get("tty").unwrap_or(&null)),
                s(x.get("remote_host").unwrap_or(&null)),
                s(x.get("leader_pid").unwrap_or(&null)),
                s(x.get("started").unwrap_or(&null))
            );
        }
    }
    let del = arr(get("deleted_files"), "files");
    outln!();
    outln!("Open but deleted files ({})", del.len());
    for d in del {
        outln!(
            "  pid {:>7} {:<16} fd {:<5} {} ({} bytes)",
            s(d.get("pid").unwrap_or(&null)),
            s(d.get("process").unwrap_or(&null)),
            s(d.get("fd").unwrap_or(&null)),
            s(d.get("path").unwrap_or(&null)),
            s(d.get("size_bytes").unwrap_or(&null))
        );
    }
    let net = get("network");
    outln!();
    outln!("Interfaces");
    for i in arr(net, "interfaces") {
        let list = |k: &str| arr(i, k).iter().map(s).collect::<Vec<_>>().join(" ");
        outln!(
            "  {:<12} {:<8} {:<18} {} {}",
            s(i.get("name").unwrap_or(&null)),
            s(i.get("state").unwrap_or(&null)),
            s(i.get("mac").unwrap_or(&null)),
            list("ipv4"),
            list("ipv6")
        );
    }
    outln!(
        "  ARP entries: {}, routes: {}",
        arr(net, "arp").len(),
        arr(net, "routes").len()
    );
    let mods = get("modules");
    let all = arr(mods, "modules");
    let tainted: Vec<String> = all
        .iter()
        .filter(|m| m.get("taint").is_some_and(|t| !t.is_null()))
        .map(|m| {
            format!(
                "{} ({})",
                s(m.get("name").unwrap_or(&null)),
                s(m.get("taint").unwrap_or(&null))
            )
        })
        .collect();
    outln!();
    outln!(
        "Kernel modules: {} loaded; kernel taint {}; tainting modules: {}",
        all.len(),
        s(mods.get("kernel_tainted").unwrap_or(&null)),
        if tainted.is_empty() {
            "none".into()
        } else {
            tainted.join(", ")
        }
    );
    outln!("Mounts: {}", arr(get("mounts"), "mounts").len());
    let problems: usize = docs
        .values()
        .map(|d| arr(d, "problems").len())
        .sum::<usize>()
        + procs
            .iter()
            .map(|p| arr(p, "problems").len())
            .sum::<usize>();
    outln!();
    outln!("Problems while collecting: {problems} (details in exhibit/live/*.json)");
    Ok(())
}

/// Paths listed per list at most (the rest are counted): a crafted
/// `files.jsonl` must not make `show` hold millions of names.
const MAX_LISTED: usize = 10_000;

/// A list of paths kept up to [`MAX_LISTED`], with the full count. In JSON
/// it is the list of paths (the counts go beside it).
#[derive(Debug, Default)]
struct Listed {
    paths: Vec<String>,
    total: u64,
}

impl serde::Serialize for Listed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.paths.serialize(s)
    }
}

impl Listed {
    fn push(&mut self, p: impl FnOnce() -> String) {
        self.total += 1;
        if self.paths.len() < MAX_LISTED {
            self.paths.push(p());
        }
    }
}

/// Entries of the metadata-sweep lists.
#[derive(Debug, Default, serde::Serialize)]
struct Lists {
    suid: Listed,
    sgid: Listed,
    world_writable: Listed,
    hidden: Listed,
    unknown_owner: Listed,
}

impl Lists {
    fn add(&mut self, r: &FileRecord) {
        let mode = r.mode_bits();
        let is_link = r.kind == exhibit::archive::EntryType::Symlink;
        if mode & 0o4000 != 0 && !is_link {
            self.suid.push(|| r.path.clone());
        }
        if mode & 0o2000 != 0 && r.kind == exhibit::archive::EntryType::File {
            self.sgid.push(|| r.path.clone());
        }
        // World-writable, except symlinks and sticky directories (/tmp).
        if mode & 0o002 != 0
            && !is_link
            && !(r.kind == exhibit::archive::EntryType::Dir && mode & 0o1000 != 0)
        {
            self.world_writable.push(|| r.path.clone());
        }
        if r.path
            .rsplit('/')
            .next()
            .is_some_and(|n| n.starts_with('.'))
        {
            self.hidden.push(|| r.path.clone());
        }
        // An owner id the target's accounts do not name; a capture that
        // could not read owners at all (Windows: `null`) has none to look up.
        if let Some((uid, gid)) = r.owner()
            && (r.user.is_none() || r.group.is_none())
        {
            self.unknown_owner
                .push(|| format!("{} (uid {uid}, gid {gid})", r.path));
        }
    }
}

fn sweep(ar: &Archive, json: bool) -> anyhow::Result<()> {
    let mut l = Lists::default();
    let stats = stream_records(ar, |r| {
        l.add(&r);
        ControlFlow::Continue(())
    })?;
    if json {
        super::print_json(&serde_json::json!({
            "archive": ar.path,
            "lists": l,
            "list_totals": {
                "suid": l.suid.total,
                "sgid": l.sgid.total,
                "world_writable": l.world_writable.total,
                "hidden": l.hidden.total,
                "unknown_owner": l.unknown_owner.total,
            },
            "unparsed_records": stats.bad_total,
        }));
        return Ok(());
    }
    for (title, v) in [
        ("SUID", &l.suid),
        ("SGID (files)", &l.sgid),
        (
            "World-writable (not symlinks, not sticky directories)",
            &l.world_writable,
        ),
        ("Hidden (name starts with a dot)", &l.hidden),
        (
            "Unknown owner or group (not in the target's passwd/group)",
            &l.unknown_owner,
        ),
    ] {
        outln!("{title}: {}", v.total);
        for p in &v.paths {
            outln!("  {p}");
        }
        if v.total > v.paths.len() as u64 {
            outln!(
                "  … and {} more (not listed)",
                v.total - v.paths.len() as u64
            );
        }
        outln!();
    }
    if stats.bad_total > 0 {
        outln!(
            "WARNING: {} record lines could not be parsed",
            stats.bad_total
        );
    }
    Ok(())
}

/// Distinct keys counted per table at most; the rest go under `(other)`.
const MAX_KEYS: usize = 1_000;
/// Keys are cut to this many characters.
const MAX_KEY_CHARS: usize = 120;

/// Count one more `key` in a bounded table.
fn count(map: &mut BTreeMap<String, u64>, key: &str) {
    let key: String = key.chars().take(MAX_KEY_CHARS).collect();
    if map.len() >= MAX_KEYS && !map.contains_key(&key) {
        *map.entry("(other)".into()).or_default() += 1;
    } else {
        *map.entry(key).or_default() += 1;
    }
}

/// `exhibit show`: the acquisition summary, one printed field after
/// another (who, when, where, how, counts, problems).
fn summary(ar: &Archive, json: bool) -> anyhow::Result<()> {
    let acq = ar.acquisition()?;
    let mut records = 0u64;
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut skipped_by_reason: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    let mut secret = Listed::default();
    let mut limited = Vec::new();
    let mut limited_total = 0u64;
    let stats = stream_records(ar, |r| {
        records += 1;
        count(&mut by_status, r.status.as_str());
        if r.status == Status::Skipped {
            let kind = r
                .reason
                .as_deref()
                .and_then(|x| x.split(':').next())
                .unwrap_or("unknown");
            count(&mut skipped_by_reason, kind);
        }
        if let Some(rule) = &r.rule {
            count(&mut by_rule, rule);
        }
        if r.flags.iter().any(|f| f == "secret") {
            secret.push(|| r.path.clone());
        }
        if r.status == Status::Skipped && r.size_limit.is_some() {
            limited_total += 1;
            if limited.len() < MAX_LISTED {
                limited.push((r.path.clone(), r.size, r.size_limit.unwrap_or(0)));
            }
        }
        ControlFlow::Continue(())
    })?;
    let live: Vec<String> = ar
        .index
        .members
        .iter()
        .filter_map(|m| {
            m.name
                .strip_prefix(&format!("{}/{LIVE_DIR}", ar.stem))
                .map(str::to_string)
        })
        .collect();
    if json {
        super::print_json(&serde_json::json!({
            "archive": ar.path,
            "acquisition": acq,
            "records": records,
            "unparsed_records": stats.bad_total,
            "by_status": by_status,
            "skipped_by_reason": skipped_by_reason,
            "by_rule": by_rule,
            "secret": secret.paths,
            "secret_total": secret.total,
            "size_limited": limited.iter().map(|(p, s, l)| serde_json::json!({"path": p, "size_bytes": s, "size_limit_bytes": l})).collect::<Vec<_>>(),
            "size_limited_total": limited_total,
            "live": live,
        }));
        return Ok(());
    }
    outln!("archive:      {}", ar.path.display());
    outln!(
        "case:         {} / {}",
        acq.case.case_id,
        acq.case.evidence_id
    );
    if let Some(p) = &acq.case.purpose {
        outln!("purpose:      {p}");
    }
    outln!(
        "examiner:     {} ({})",
        acq.examiner.name,
        acq.examiner.timezone
    );
    outln!(
        "host:         {} — {}",
        acq.host.hostname.as_deref().unwrap_or("?"),
        acq.host.os.as_deref().unwrap_or("unknown OS")
    );
    if let Some(r) = &acq.method.root {
        outln!(
            "target root:  {r} (acquired on {})",
            acq.method.acquired_on.as_deref().unwrap_or("?")
        );
    }
    outln!("acquired:     {} → {}", acq.started_at, acq.finished_at);
    outln!(
        "method:       {} {} via {}; profiles: {}",
        acq.method.tool,
        acq.method.tool_version,
        acq.method.interface,
        if acq.method.profiles.is_empty() {
            "none (paths)".into()
        } else {
            acq.method.profiles.join(", ")
        }
    );
    outln!(
        "records:      {} entries, {} files captured ({} bytes)",
        acq.counts.entries,
        acq.counts.files_captured,
        acq.counts.bytes_captured
    );
    for (k, v) in &by_status {
        outln!("  {k:<22} {v}");
    }
    if !skipped_by_reason.is_empty() {
        outln!("skipped by reason:");
        for (k, v) in &skipped_by_reason {
            outln!("  {k:<22} {v}");
        }
    }
    if limited_total > 0 {
        outln!("over a size limit (recorded, not copied): {limited_total}");
        for (p, s, l) in limited.iter().take(20) {
            outln!("  {p} ({s} bytes > {l})");
        }
    }
    if secret.total > 0 {
        outln!(
            "secret material taken (--include-secrets): {}",
            secret.total
        );
        for p in &secret.paths {
            outln!("  {p}");
        }
        if secret.total > secret.paths.len() as u64 {
            outln!(
                "  … and {} more (not listed)",
                secret.total - secret.paths.len() as u64
            );
        }
    }
    if !by_rule.is_empty() {
        outln!("entries per rule:");
        for (k, v) in &by_rule {
            outln!("  {k:<40} {v}");
        }
    }
    outln!(
        "live response: {}",
        if live.is_empty() {
            "none".into()
        } else {
            format!("{} documents (exhibit show --live)", live.len())
        }
    );
    if !acq.errors.is_empty() {
        outln!(
            "problems:     {} (exhibit/acquisition.json)",
            acq.errors.len()
        );
    }
    if stats.bad_total > 0 {
        outln!(
            "WARNING: {} record lines could not be parsed",
            stats.bad_total
        );
    }
    Ok(())
}
