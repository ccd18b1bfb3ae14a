//! Diff speed: two synthetic snapshots of 1,000,000 entries each, 1% changed
//! (modified, metadata, added, removed, renamed), compared and judged by the
//! rules and detectors.
//!
//! `cargo bench --bench diff` runs it under criterion. For one timed run that
//! `/usr/bin/time -v` can measure (peak memory), run the bench binary with
//! `EXHIBIT_BENCH_ONCE=1`; it prints the build and diff times.

use criterion::{Criterion, criterion_group};
use exhibit::archive::EntryType;
use exhibit::detect::files::{self, HashSets, Rules};
use exhibit::diff::compare;
use exhibit::snapshot::{Entry, Snapshot};
use std::hint::black_box;
use std::time::Instant;

const N: usize = 1_000_000;

fn sha(i: usize, salt: u8) -> [u8; 32] {
    let mut h = [0u8; 32];
    h[..8].copy_from_slice(&(i as u64).to_le_bytes());
    h[8] = salt;
    h
}

fn entry(i: usize) -> Entry {
    let dir = i / 1000;
    let path = match i % 10 {
        0 => format!("/var/www/html/site{}/uploads/img{:07}.jpg", dir % 50, i),
        1 => format!("/var/log/app{}/part{:07}.log", dir % 20, i),
        2 => format!("/usr/lib/pkg{:04}/lib{:07}.so", dir, i),
        _ => format!("/srv/data/d{:04}/f{:07}.dat", dir, i),
    };
    let mut e = Entry::file(&path, 4096 + (i as u64 % 1000), sha(i, 0));
    e.inode = std::num::NonZeroU64::new(i as u64 + 100);
    e.mtime_ns = Some(1_700_000_000_000_000_000 + i as i64 * 1_000_000);
    e.ctime_ns = e.mtime_ns;
    e.uid = Some(1000);
    e.gid = Some(1000);
    e
}

/// (old, new): 1% of the entries differ, spread over the change classes.
fn snapshots() -> (Snapshot, Snapshot) {
    let old: Vec<Entry> = (0..N).map(entry).collect();
    let mut new: Vec<Entry> = Vec::with_capacity(N + N / 100);
    for (i, e) in old.iter().enumerate() {
        let mut n = e.clone();
        if i % 100 == 7 {
            match (i / 100) % 5 {
                0 => {
                    n.sha256 = Some(sha(i, 1));
                    n.size += 1;
                    n.mtime_ns = n.mtime_ns.map(|t| t + 1);
                }
                1 => n.mode = 0o755,
                2 => continue,                  // removed
                3 => n.path.push_str(".moved"), // renamed
                _ => {
                    n.uid = Some(0);
                    n.ctime_ns = n.ctime_ns.map(|t| t + 5);
                }
            }
        }
        new.push(n);
    }
    for i in 0..N / 500 {
        let mut e = entry(N + i);
        e.path = format!("/srv/new/n{i:07}.bin");
        e.kind = EntryType::File;
        new.push(e);
    }
    (
        Snapshot::from_entries("old", old),
        Snapshot::from_entries("new", new),
    )
}

fn run(old: &Snapshot, new: &Snapshot, rules: &Rules) -> (usize, usize) {
    let changes = compare(old, new);
    let f = files::on_diff(old, new, &changes, rules, &HashSets::default());
    (changes.len(), f.len())
}

fn bench(c: &mut Criterion) {
    let (old, new) = snapshots();
    let rules = Rules::load(None).expect("rules");
    let mut g = c.benchmark_group("diff");
    g.sample_size(10);
    g.bench_function("compare_1M_1pct", |b| {
        b.iter(|| black_box(compare(&old, &new).len()))
    });
    g.bench_function("compare_and_findings_1M_1pct", |b| {
        b.iter(|| black_box(run(&old, &new, &rules)))
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    if std::env::var_os("EXHIBIT_BENCH_ONCE").is_some() {
        let t0 = Instant::now();
        let (old, new) = snapshots();
        let rules = Rules::load(None).expect("rules");
        let built = t0.elapsed();
        let t1 = Instant::now();
        let changes = compare(&old, &new);
        let compared = t1.elapsed();
        let f = files::on_diff(&old, &new, &changes, &rules, &HashSets::default());
        let diffed = t1.elapsed();
        println!(
            "entries old={} new={} changes={} findings={} build_ms={} compare_ms={} diff_and_findings_ms={}",
            old.entries.len(),
            new.entries.len(),
            changes.len(),
            f.len(),
            built.as_millis(),
            compared.as_millis(),
            diffed.as_millis()
        );
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
