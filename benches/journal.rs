//! Throughput of Exhibit's binary journal reader against journalctl on the
//! same file: generates a large journal (tens of MB) with systemd's own
//! writer (`systemd-journal-remote`) from an export stream shaped like a
//! real server's (journald's trusted fields, sshd/cron/kernel messages, some
//! long compressed ones), then times, median of `RUNS` (default 3):
//!
//! - the reader alone, in process (`logs::parsers::journal::read_bytes`);
//! - `exhibit logs -q --json FILE > /dev/null` (read, parse, detect, report);
//! - `journalctl --file FILE -o export > /dev/null`;
//!
//! and prints MB/s of journal file for each and the ratio to journalctl.
//! Not run in CI. Needs `/lib/systemd/systemd-journal-remote` and
//! `journalctl`. Run (the CLI build is enough):
//!
//! `cargo bench --no-default-features --bench journal`
//! (`ENTRIES=400000` sets the journal's size.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use exhibit::logs::parsers::{RecordStats, journal};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

const REMOTE: &str = "/lib/systemd/systemd-journal-remote";

fn stream(entries: usize, out: &mut impl Write) {
    let boot = "6b1f0c2a9d8e4f7a8c3b2a1908f7e6d5";
    for i in 0..entries {
        let t = 1_763_805_600_000_000u64 + i as u64 * 250_000;
        let pid = 1000 + (i % 5000);
        let (ident, unit, msg) = match i % 20 {
            0..=9 => (
                "sshd",
                "ssh.service",
                format!(
                    "Failed password for invalid user admin{} from 198.51.{}.{} port {} ssh2",
                    i % 300,
                    (i / 250) % 250,
                    i % 250,
                    30000 + i % 30000
                ),
            ),
            10..=13 => (
                "CRON",
                "cron.service",
                format!(
                    "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0) #{i}"
                ),
            ),
            14..=17 => (
                "kernel",
                "",
                format!(
                    "[UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:00:00:01 SRC=203.0.{}.{} DST=10.0.0.5 LEN=60 TTL=51 ID={i} PROTO=TCP SPT={} DPT=23",
                    i % 200,
                    i % 250,
                    40000 + i % 20000
                ),
            ),
            18 => (
                "systemd",
                "init.scope",
                format!(
                    "Started session-{}.scope - Session {} of User deploy.",
                    i, i
                ),
            ),
            _ => (
                "app",
                "app.service",
                format!("request id={i} {}", "payload ".repeat(80)),
            ),
        };
        write!(
            out,
            "__REALTIME_TIMESTAMP={t}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID={boot}\n_HOSTNAME=web1\n_MACHINE_ID=3d1219c7c4c5404aaa1f6d2a48adfda4\n_TRANSPORT=syslog\nPRIORITY=6\nSYSLOG_FACILITY=4\nSYSLOG_IDENTIFIER={ident}\n_PID={pid}\n_UID=0\n_GID=0\n_COMM={ident}\n_EXE=/usr/sbin/{ident}\n_CMDLINE=/usr/sbin/{ident} -D\n_CAP_EFFECTIVE=1ffffffffff\n_SELINUX_CONTEXT=unconfined\n_SOURCE_REALTIME_TIMESTAMP={}\n",
            5_000_000 + i as u64 * 250_000,
            t - 17
        )
        .unwrap();
        if !unit.is_empty() {
            writeln!(out, "_SYSTEMD_UNIT={unit}\n_SYSTEMD_SLICE=system.slice\n_SYSTEMD_CGROUP=/system.slice/{unit}").unwrap();
        }
        writeln!(out, "MESSAGE={msg}\n").unwrap();
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time_cmd(runs: usize, mut make: impl FnMut() -> Command) -> f64 {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                let st = make()
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .unwrap();
                assert!(st.success() || st.code() == Some(1), "{st}");
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn main() {
    if !std::path::Path::new(REMOTE).exists() {
        eprintln!("{REMOTE} not found (apt-get install systemd-journal-remote): nothing measured");
        return;
    }
    let entries: usize = std::env::var("ENTRIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300_000);
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("system.journal");
    let mut child = Command::new(REMOTE)
        .arg("-o")
        .arg(&path)
        .arg("-")
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    {
        let mut w = std::io::BufWriter::new(child.stdin.take().unwrap());
        stream(entries, &mut w);
    }
    assert!(child.wait().unwrap().success());
    // journal-remote rotates a full file: measure every file it wrote.
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    let mb = bytes as f64 / 1e6;
    println!(
        "journal: {} file(s), {mb:.1} MB, {entries} entries written (load {})",
        files.len(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );

    let reader = median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                let mut n = 0;
                for f in &files {
                    let data = std::fs::read(f).unwrap();
                    let mut out = Vec::new();
                    let mut st = RecordStats::default();
                    journal::read_bytes(&data, 0, &mut out, &mut st);
                    n += out.len();
                }
                assert!(n > 0);
                t.elapsed().as_secs_f64()
            })
            .collect(),
    );
    let exhibit = time_cmd(runs, || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_exhibit"));
        c.args(["logs", "-q", "--json"]).args(&files);
        c
    });
    let journalctl = time_cmd(runs, || {
        let mut c = Command::new("journalctl");
        for f in &files {
            c.arg("--file").arg(f);
        }
        c.args(["-o", "export", "--no-pager"]);
        c
    });
    println!(
        "reader in process        {reader:7.3} s  {:8.1} MB/s",
        mb / reader
    );
    println!(
        "exhibit logs --json      {exhibit:7.3} s  {:8.1} MB/s",
        mb / exhibit
    );
    println!(
        "journalctl -o export     {journalctl:7.3} s  {:8.1} MB/s",
        mb / journalctl
    );
    println!(
        "ratio exhibit/journalctl {:.2} (reader alone {:.2})",
        journalctl / exhibit,
        journalctl / reader
    );
}
