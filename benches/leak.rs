//! Leak validation speed: a generated internal export of 2,000,000
//! customers (a CSV of about 200 MB under `/srv/app/exports/`) and a
//! published sample of 1,000,000 rows (950,000 of them real, in another
//! column order and delimiter; 50,000 made up), timed through
//! `exhibit::leak::validate`, with the peak RSS of the process (VmHWM).
//!
//! Run: `cargo bench --bench leak` (release build). Sizes:
//! `LEAK_BENCH_INTERNAL=2000000 LEAK_BENCH_SAMPLE=1000000`. When
//! `python3` is on the PATH, the same question answered the simplest way
//! in Python (the csv module, a set of the export's emails, each sample
//! email looked up) runs as a peer, and the ratio is printed.

use exhibit::job::{CancelToken, NoProgress};
use exhibit::leak::{self, LeakRequest};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const FIRST: [&str; 8] = [
    "John", "Mary", "Ahmed", "Li", "Sofia", "Pierre", "Anna", "José",
];
const LAST: [&str; 8] = [
    "Smith", "Garcia", "Khan", "Wang", "Rossi", "Martin", "Novak", "Silva",
];
const CITIES: [&str; 8] = [
    "Paris", "Berlin", "Madrid", "Rome", "Lisbon", "Vienna", "Oslo", "Dublin",
];

/// The fields of customer `id` (deterministic).
fn person(id: u64) -> [String; 6] {
    let mut g = Lcg(id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5bd1e995);
    let f = FIRST[(g.next() % 8) as usize];
    let l = LAST[(g.next() % 8) as usize];
    [
        id.to_string(),
        format!("{}.{}{id}@example.com", f.to_lowercase(), l.to_lowercase()),
        format!("{f} {l}"),
        format!("+44 20 {:04} {:04}", g.next() % 10000, g.next() % 10000),
        CITIES[(g.next() % 8) as usize].to_string(),
        format!(
            "202{}-{:02}-{:02}",
            g.next() % 4,
            1 + g.next() % 12,
            1 + g.next() % 28
        ),
    ]
}

fn write_files(dir: &Path, internal: u64, sample: u64) -> std::io::Result<()> {
    let exports = dir.join("server/srv/app/exports");
    std::fs::create_dir_all(&exports)?;
    let mut w =
        BufWriter::with_capacity(1 << 20, std::fs::File::create(exports.join("clients.csv"))?);
    writeln!(w, "id,email,name,phone,city,signup")?;
    for id in 1..=internal {
        writeln!(w, "{}", person(id).join(","))?;
    }
    w.flush()?;
    let logs = dir.join("server/var/log/nginx");
    std::fs::create_dir_all(&logs)?;
    std::fs::write(
        logs.join("access.log"),
        "198.18.0.5 - - [01/Mar/2024:10:22:33 +0000] \"GET /exports/clients.csv HTTP/1.1\" 200 1000 \"-\" \"curl/8\"\n",
    )?;
    // The sample: real customers spread over the table, every 20th row
    // made up; semicolons, other names, another order.
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("sample.csv"))?);
    writeln!(w, "Mail;Tel;Town;Full name")?;
    let step = (internal / sample.max(1)).max(1);
    for k in 0..sample {
        let id = if k % 20 == 19 {
            internal + 1_000_000 + k
        } else {
            1 + (k * step) % internal
        };
        let p = person(id);
        writeln!(w, "{};{};{};{}", p[1], p[3], p[4], p[2])?;
    }
    w.flush()
}

fn peak_rss_mib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

const PEER: &str = r#"
import csv, sys, time
t = time.time()
emails = set()
with open(sys.argv[1], newline='') as f:
    r = csv.reader(f)
    next(r)
    for row in r:
        emails.add(row[1].strip().lower())
found = rows = 0
with open(sys.argv[2], newline='') as f:
    r = csv.reader(f, delimiter=';')
    next(r)
    for row in r:
        rows += 1
        if row[0].strip().lower() in emails:
            found += 1
print(f"{found} {rows} {time.time() - t:.3f}")
"#;

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // useful: run only when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let internal = env("LEAK_BENCH_INTERNAL", 2_000_000);
    let sample_rows = env("LEAK_BENCH_SAMPLE", 1_000_000);
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("leak bench: no temporary folder: {e}");
            return;
        }
    };
    let t = Instant::now();
    if let Err(e) = write_files(dir.path(), internal, sample_rows) {
        eprintln!("leak bench: cannot write the data: {e}");
        return;
    }
    let csv = dir.path().join("server/srv/app/exports/clients.csv");
    let size = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0);
    let ssize = std::fs::metadata(dir.path().join("sample.csv"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "generated {internal} internal rows ({} MB) and a {sample_rows}-row sample ({} MB) in {:.1} s",
        size / 1_000_000,
        ssize / 1_000_000,
        t.elapsed().as_secs_f64()
    );
    let req = LeakRequest {
        sample: dir.path().join("sample.csv"),
        evidence: vec![dir.path().join("server")],
        ..Default::default()
    };
    let t = Instant::now();
    let r = match leak::validate(&req, &NoProgress, &CancelToken::new()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("leak bench: validate failed: {e}");
            return;
        }
    };
    let secs = t.elapsed().as_secs_f64();
    println!(
        "exhibit leak: verdict {}, {} matched, {} found nowhere, in {secs:.2} s: {:.0} sample rows/s, {:.0} internal rows/s, {:.1} MB/s of evidence; peak RSS {} MiB",
        r.verdict.as_str(),
        r.matched,
        r.fabricated.len(),
        sample_rows as f64 / secs,
        internal as f64 / secs,
        size as f64 / 1e6 / secs,
        peak_rss_mib().map_or("?".into(), |m| m.to_string())
    );
    let peer = std::process::Command::new("python3")
        .arg("-c")
        .arg(PEER)
        .arg(&csv)
        .arg(dir.path().join("sample.csv"))
        .output();
    match peer {
        Ok(o) if o.status.success() => {
            let out = String::from_utf8_lossy(&o.stdout);
            let f: Vec<&str> = out.split_whitespace().collect();
            if let [found, rows, s] = f.as_slice()
                && let Ok(ps) = s.parse::<f64>()
            {
                println!(
                    "peer (python3 csv module, a set of emails): {found} of {rows} found in {ps:.2} s; exhibit / peer time: {:.2}",
                    secs / ps
                );
            }
        }
        _ => println!("peer: python3 not available, skipped"),
    }
}
