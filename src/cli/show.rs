//! `exhibit show ARCHIVE`: what an archive holds, read-only. The default is
//! the acquisition summary (who, when, where, how, counts, every skip and
//! limit); `--live` prints the live-response state captured with it;
//! `--sweep` lists SUID/SGID, world-writable, hidden and unknown-owner
//! entries from the records (the metadata-sweep lists).

use super::{EXIT_ERROR, EXIT_OK, report_error};
use anyhow::Context;
use exhibit::archive::{Archive, FileRecord, LIVE_DIR, Status};
use std::collections::BTreeMap;
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
    let ar = Archive::open(&a.archive)
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

fn live(ar: &Archive, json: bool) -> anyhow::Result<()> {
    let docs = live_docs(ar)?;
    if json {
        println!(
            "{:#}",
            serde_json::json!({ "archive": ar.path, "live": docs })
        );
        return Ok(());
    }
    if docs.is_empty() {
        println!(
            "{}: no live response in this archive (captured with --root, --no-live, or plain paths)",
            ar.path.display()
        );
        return Ok(());
    }
    let null = serde_json::Value::Null;
    let get = |n: &str| docs.get(n).unwrap_or(&null);
    let sys = get("system");
    println!("System");
    for k in [
        "collected_at",
        "boot_time",
        "uptime_seconds",
        "boot_id",
        "kernel",
        "load_average",
    ] {
        println!("  {k:<16} {}", s(sys.get(k).unwrap_or(&null)));
    }
    let procs = arr(get("processes"), "processes");
    println!("\nProcesses ({})", procs.len());
    println!(
        "  {:>7} {:>7} {:<12} {:<24} {:<16} command",
        "PID", "PPID", "USER", "STARTED (UTC)", "NAME"
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
        println!(
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
        println!("  ({kthreads} kernel threads not shown; see --json)");
    }
    let socks = arr(get("sockets"), "sockets");
    let inet: Vec<_> = socks
        .iter()
        .filter(|x| x.get("protocol").and_then(|p| p.as_str()) != Some("unix"))
        .collect();
    println!(
        "\nNetwork sockets ({} inet, {} unix)",
        inet.len(),
        socks.len() - inet.len()
    );
    println!(
        "  {:<6} {:<40} {:<40} {:<12} owners",
        "PROTO", "LOCAL", "REMOTE", "STATE"
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
        println!(
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
    println!(
        "\nLogged-in users ({}, from {})",
        logged.len(),
        s(users.get("source").unwrap_or(&null))
    );
    for u in logged {
        println!(
            "  {:<12} {:<10} {:<30} {}",
            s(u.get("user").unwrap_or(&null)),
            s(u.get("line").unwrap_or(&null)),
            s(u.get("host").unwrap_or(&null)),
            s(u.get("time").unwrap_or(&null))
        );
    }
    let sessions = arr(users, "sessions");
    if !sessions.is_empty() {
        println!("Login sessions (systemd-logind): {}", sessions.len());
        for x in sessions {
            println!(
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
    println!("\nOpen but deleted files ({})", del.len());
    for d in del {
        println!(
            "  pid {:>7} {:<16} fd {:<5} {} ({} bytes)",
            s(d.get("pid").unwrap_or(&null)),
            s(d.get("process").unwrap_or(&null)),
            s(d.get("fd").unwrap_or(&null)),
            s(d.get("path").unwrap_or(&null)),
            s(d.get("size_bytes").unwrap_or(&null))
        );
    }
    let net = get("network");
    println!("\nInterfaces");
    for i in arr(net, "interfaces") {
        let list = |k: &str| arr(i, k).iter().map(s).collect::<Vec<_>>().join(" ");
        println!(
            "  {:<12} {:<8} {:<18} {} {}",
            s(i.get("name").unwrap_or(&null)),
            s(i.get("state").unwrap_or(&null)),
            s(i.get("mac").unwrap_or(&null)),
            list("ipv4"),
            list("ipv6")
        );
    }
    println!(
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
    println!(
        "\nKernel modules: {} loaded; kernel taint {}; tainting modules: {}",
        all.len(),
        s(mods.get("kernel_tainted").unwrap_or(&null)),
        if tainted.is_empty() {
            "none".into()
        } else {
            tainted.join(", ")
        }
    );
    println!("Mounts: {}", arr(get("mounts"), "mounts").len());
    let problems: usize = docs
        .values()
        .map(|d| arr(d, "problems").len())
        .sum::<usize>()
        + procs
            .iter()
            .map(|p| arr(p, "problems").len())
            .sum::<usize>();
    println!("\nProblems while collecting: {problems} (details in exhibit/live/*.json)");
    Ok(())
}

/// Entries of the metadata-sweep lists.
#[derive(Debug, Default, serde::Serialize)]
struct Lists {
    suid: Vec<String>,
    sgid: Vec<String>,
    world_writable: Vec<String>,
    hidden: Vec<String>,
    unknown_owner: Vec<String>,
}

fn lists(records: &[FileRecord]) -> Lists {
    let mut l = Lists::default();
    for r in records {
        let mode = r.mode_bits();
        let is_link = r.kind == exhibit::archive::EntryType::Symlink;
        if mode & 0o4000 != 0 && !is_link {
            l.suid.push(r.path.clone());
        }
        if mode & 0o2000 != 0 && r.kind == exhibit::archive::EntryType::File {
            l.sgid.push(r.path.clone());
        }
        // World-writable, except symlinks and sticky directories (/tmp).
        if mode & 0o002 != 0
            && !is_link
            && !(r.kind == exhibit::archive::EntryType::Dir && mode & 0o1000 != 0)
        {
            l.world_writable.push(r.path.clone());
        }
        if r.path
            .rsplit('/')
            .next()
            .is_some_and(|n| n.starts_with('.'))
        {
            l.hidden.push(r.path.clone());
        }
        if r.user.is_none() || r.group.is_none() {
            l.unknown_owner
                .push(format!("{} (uid {}, gid {})", r.path, r.uid, r.gid));
        }
    }
    l
}

fn sweep(ar: &Archive, json: bool) -> anyhow::Result<()> {
    let (records, bad) = ar.records()?;
    let l = lists(&records);
    if json {
        println!(
            "{:#}",
            serde_json::json!({ "archive": ar.path, "lists": l, "unparsed_records": bad.len() })
        );
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
        println!("{title}: {}", v.len());
        for p in v {
            println!("  {p}");
        }
        println!();
    }
    Ok(())
}

fn summary(ar: &Archive, json: bool) -> anyhow::Result<()> {
    let acq = ar.acquisition()?;
    let (records, bad) = ar.records()?;
    let mut by_status: BTreeMap<&str, u64> = BTreeMap::new();
    let mut skipped_by_reason: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    let mut secret = Vec::new();
    let mut limited = Vec::new();
    for r in &records {
        *by_status.entry(r.status.as_str()).or_default() += 1;
        if r.status == Status::Skipped {
            let kind = r
                .reason
                .as_deref()
                .and_then(|x| x.split(':').next())
                .unwrap_or("unknown")
                .to_string();
            *skipped_by_reason.entry(kind).or_default() += 1;
        }
        if let Some(rule) = &r.rule {
            *by_rule.entry(rule.clone()).or_default() += 1;
        }
        if r.flags.iter().any(|f| f == "secret") {
            secret.push(r.path.clone());
        }
        if r.status == Status::Skipped && r.size_limit.is_some() {
            limited.push((r.path.clone(), r.size, r.size_limit.unwrap_or(0)));
        }
    }
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
        println!(
            "{:#}",
            serde_json::json!({
                "archive": ar.path,
                "acquisition": acq,
                "records": records.len(),
                "unparsed_records": bad.len(),
                "by_status": by_status,
                "skipped_by_reason": skipped_by_reason,
                "by_rule": by_rule,
                "secret": secret,
                "size_limited": limited.iter().map(|(p, s, l)| serde_json::json!({"path": p, "size_bytes": s, "size_limit_bytes": l})).collect::<Vec<_>>(),
                "live": live,
            })
        );
        return Ok(());
    }
    println!("archive:      {}", ar.path.display());
    println!(
        "case:         {} / {}",
        acq.case.case_id, acq.case.evidence_id
    );
    if let Some(p) = &acq.case.purpose {
        println!("purpose:      {p}");
    }
    println!(
        "examiner:     {} ({})",
        acq.examiner.name, acq.examiner.timezone
    );
    println!(
        "host:         {} — {}",
        acq.host.hostname.as_deref().unwrap_or("?"),
        acq.host.os.as_deref().unwrap_or("unknown OS")
    );
    if let Some(r) = &acq.method.root {
        println!(
            "target root:  {r} (acquired on {})",
            acq.method.acquired_on.as_deref().unwrap_or("?")
        );
    }
    println!("acquired:     {} → {}", acq.started_at, acq.finished_at);
    println!(
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
    println!(
        "records:      {} entries, {} files captured ({} bytes)",
        acq.counts.entries, acq.counts.files_captured, acq.counts.bytes_captured
    );
    for (k, v) in &by_status {
        println!("  {k:<22} {v}");
    }
    if !skipped_by_reason.is_empty() {
        println!("skipped by reason:");
        for (k, v) in &skipped_by_reason {
            println!("  {k:<22} {v}");
        }
    }
    if !limited.is_empty() {
        println!(
            "over a size limit (recorded, not copied): {}",
            limited.len()
        );
        for (p, s, l) in limited.iter().take(20) {
            println!("  {p} ({s} bytes > {l})");
        }
    }
    if !secret.is_empty() {
        println!(
            "secret material taken (--include-secrets): {}",
            secret.len()
        );
        for p in &secret {
            println!("  {p}");
        }
    }
    if !by_rule.is_empty() {
        println!("entries per rule:");
        for (k, v) in &by_rule {
            println!("  {k:<40} {v}");
        }
    }
    println!(
        "live response: {}",
        if live.is_empty() {
            "none".into()
        } else {
            format!("{} documents (exhibit show --live)", live.len())
        }
    );
    if !acq.errors.is_empty() {
        println!(
            "problems:     {} (exhibit/acquisition.json)",
            acq.errors.len()
        );
    }
    if !bad.is_empty() {
        println!("WARNING: {} record lines could not be parsed", bad.len());
    }
    Ok(())
}
