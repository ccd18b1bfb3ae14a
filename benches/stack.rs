//! Stacking speed: 50 host snapshots of 100,000 entries each (a shared
//! base of system files, a few hundred files of each host's own, a few
//! programs replaced on a few hosts), stacked through the same functions
//! `exhibit stack` runs (`stack::host_facts`, `Stacker::add`,
//! `Stacker::finish`), with the peak RSS of the process (VmHWM).
//!
//! The snapshots are built in memory as snapshot entries, one host at a
//! time (each dropped once stacked, as `exhibit stack` does): capturing
//! five million files into fifty archives would time the capture and the
//! disk, not the stacking. Opening archives is timed by `benches/diff.rs`.
//!
//! The peer is the classic least-frequency-of-occurrence pipeline over the
//! same `path hash` lines, one file per host: `cat | sort | uniq -c`, then
//! the pairs seen on at most the rarity threshold of hosts (`awk`). It
//! answers less (no majority, no accounts, no ranking) and is timed
//! without writing the files; the ratio is printed.
//!
//! Run: `cargo bench --bench stack` (release build). Sizes:
//! `STACK_BENCH_HOSTS=50 STACK_BENCH_ENTRIES=100000`; `STACK_BENCH_PEER=0`
//! skips the peer.

use exhibit::snapshot::{Entry, Snapshot};
use exhibit::stack::{Exclusions, LiveDocs, Stacker, host_facts, rare_threshold};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A deterministic 32-byte "hash" of a number.
fn hash_of(n: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD6E8_FEB8_6659_FD93;
    for chunk in out.chunks_mut(8) {
        x ^= x >> 31;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 29;
        chunk.copy_from_slice(&x.to_le_bytes());
    }
    out
}

const DIRS: [&str; 8] = [
    "/usr/bin",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/share/doc",
    "/etc",
    "/opt/app/lib",
    "/usr/share/locale",
    "/srv/www/static",
    "/usr/lib/python3/dist-packages",
];

/// Host `h`'s entries: `entries - own` shared files, `own` files of its
/// own, and on every tenth host one replaced program.
fn host_entries(h: u64, entries: u64) -> Vec<Entry> {
    let own = 200.min(entries / 10);
    let mut out = Vec::with_capacity(entries as usize);
    for i in 0..entries - own {
        let dir = DIRS[(i % 8) as usize];
        let path = format!("{dir}/d{}/file{i}", i / 500 % 97);
        let mut e = Entry::file(&path, 1000 + i % 4096, hash_of(i));
        if dir == "/usr/bin" {
            e.mode = 0o755;
            if h % 10 == 3 && i % 5000 == 0 {
                e.sha256 = Some(hash_of(i ^ (h << 40)));
            }
        }
        out.push(e);
    }
    for k in 0..own {
        out.push(Entry::file(
            &format!("/srv/host{h}/data/f{k}"),
            10,
            hash_of((h << 32) | k),
        ));
    }
    out
}

fn peak_rss_mib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

fn write_lines(dir: &Path, h: u64, entries: &[Entry]) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(dir.join(format!("host{h:03}.txt")))?,
    );
    for e in entries {
        writeln!(
            w,
            "{} {}",
            e.path,
            e.sha256.map(hex::encode).unwrap_or_default()
        )?;
    }
    w.flush()
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let hosts = env("STACK_BENCH_HOSTS", 50);
    let entries = env("STACK_BENCH_ENTRIES", 100_000);
    let peer = env("STACK_BENCH_PEER", 1) != 0;
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("stack bench: no temporary folder: {e}");
            return;
        }
    };
    let ex = Exclusions::builtin();
    let live = LiveDocs::default();
    let mut stacker = Stacker::new();
    let mut stacking = Duration::ZERO;
    let mut generating = Duration::ZERO;
    for h in 0..hosts {
        let t = Instant::now();
        let snap = Snapshot::from_entries(&format!("host{h}"), host_entries(h, entries));
        if peer && let Err(e) = write_lines(dir.path(), h, &snap.entries) {
            eprintln!("stack bench: cannot write the peer's lines: {e}");
            return;
        }
        generating += t.elapsed();
        let t = Instant::now();
        let facts = host_facts(&snap, &live, &ex, false);
        drop(snap);
        stacker.add(h as u16, facts);
        stacking += t.elapsed();
    }
    let names: Vec<String> = (0..hosts).map(|h| format!("host{h}")).collect();
    let rare = rare_threshold(names.len(), None);
    let t = Instant::now();
    let keys = stacker.keys();
    let outliers = stacker.finish(&names, rare);
    stacking += t.elapsed();
    let secs = stacking.as_secs_f64();
    let rows = hosts * entries;
    println!(
        "generated {hosts} hosts x {entries} entries in {:.1} s (not timed)",
        generating.as_secs_f64()
    );
    println!(
        "exhibit stack: {rows} entries, {keys} keys, {} outliers in {secs:.2} s: {:.0} entries/s; peak RSS {} MiB",
        outliers.len(),
        rows as f64 / secs,
        peak_rss_mib().map_or("?".into(), |m| m.to_string())
    );
    if !peer {
        return;
    }
    let script = format!(
        "cat host*.txt | LC_ALL=C sort -S 1G | LC_ALL=C uniq -c | awk '$1 <= {rare}' | wc -l"
    );
    let t = Instant::now();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .output();
    let ps = t.elapsed().as_secs_f64();
    match out {
        Ok(o) if o.status.success() => println!(
            "peer (`cat | sort | uniq -c | awk '$1 <= {rare}'`): {} rare path+hash pairs in {ps:.2} s; exhibit / peer time: {:.2}",
            String::from_utf8_lossy(&o.stdout).trim(),
            secs / ps
        ),
        Ok(o) => eprintln!(
            "stack bench: peer failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => eprintln!("stack bench: peer not run: {e}"),
    }
}
