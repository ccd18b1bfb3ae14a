//! IOC matching speed: 100,000 indicators (addresses, CIDR ranges,
//! domains, URLs, user agents, accounts, emails, hashes) matched over
//! 1,000,000 log events (900,000 combined-format web requests with
//! referers and user agents, 100,000 sshd lines), timed through
//! `exhibit::detect::ioc`: reading and indexing the lists, then matching
//! every event (`ioc::logs::on_logs`). Reading the logs into the event
//! store is timed apart: it is `exhibit logs`' own cost, not the matching's.
//!
//! Run: `cargo bench --bench ioc` (release build). Sizes:
//! `IOC_BENCH_INDICATORS=100000 IOC_BENCH_EVENTS=1000000`.

use exhibit::detect::ioc::{IocSet, logs as ioc_logs};
use exhibit::job::{CancelToken, NoProgress};
use exhibit::logs::{LoadRequest, load};
use std::io::{BufWriter, Write};
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

const AGENTS: [&str; 6] = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "curl/8.5.0",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
    "python-requests/2.31.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15",
];

fn ip(g: &mut Lcg) -> String {
    format!(
        "{}.{}.{}.{}",
        1 + g.next() % 223,
        g.next() % 256,
        g.next() % 256,
        1 + g.next() % 254
    )
}

/// The indicator list (plain text, untyped where the type is inferred).
fn indicators(n: u64) -> String {
    let mut g = Lcg(7);
    let mut s = String::with_capacity(n as usize * 40);
    for i in 0..n {
        match i % 20 {
            0..=7 => s += &format!("{} # ip {i}\n", ip(&mut g)),
            8 => {
                s += &format!(
                    "{}.{}.0.0/{}\n",
                    1 + g.next() % 223,
                    g.next() % 256,
                    16 + g.next() % 13
                )
            }
            9..=13 => s += &format!("bad{i}-{}.example # domain\n", g.next() % 1000),
            14 | 15 => s += &format!("hxxp://c2-{i}[.]example/gate{}.php\n", g.next() % 100),
            16 => s += &format!("ua:EvilBot-{i}/1.{}\n", g.next() % 10),
            17 => s += &format!("account:svc{i}\n"),
            18 => s += &format!("op{i}@mail{}.example\n", g.next() % 100),
            _ => s += &format!("{:064x}\n", (u128::from(g.next()) << 64) | u128::from(i)),
        }
    }
    s
}

fn main() {
    let n_ind = env("IOC_BENCH_INDICATORS", 100_000);
    let n_ev = env("IOC_BENCH_EVENTS", 1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");

    let list = dir.path().join("iocs.txt");
    std::fs::write(&list, indicators(n_ind)).expect("write list");
    let t = Instant::now();
    let set = IocSet::load(std::slice::from_ref(&list)).expect("load list");
    let load_ms = t.elapsed().as_millis();
    let rejected: usize = set.lists.iter().map(|l| l.rejected.len()).sum();
    println!(
        "lists: {} indicators ({} rejected) read and indexed in {load_ms} ms",
        set.indicators.len(),
        rejected
    );

    // The logs: listed values sprinkled in at a low rate.
    let listed_ips: Vec<String> = set
        .indicators
        .iter()
        .filter(|i| i.kind == exhibit::detect::ioc::IocKind::Ip)
        .take(50)
        .map(|i| i.value.clone())
        .collect();
    // Apart from the list, so that only the logs are read as logs.
    let logs = dir.path().join("logs/var/log");
    std::fs::create_dir_all(logs.join("apache2")).expect("mkdir");
    let mut g = Lcg(11);
    let n_web = n_ev * 9 / 10;
    let mut w =
        BufWriter::new(std::fs::File::create(logs.join("apache2/access.log")).expect("create"));
    for i in 0..n_web {
        let client = if i % 997 == 0 {
            listed_ips[(i as usize / 997) % listed_ips.len()].clone()
        } else {
            ip(&mut g)
        };
        let agent = if i % 1999 == 0 {
            format!("EvilBot-{}/1.0", (i / 1999) % 5000 * 20 + 16)
        } else {
            AGENTS[(g.next() % AGENTS.len() as u64) as usize].to_string()
        };
        let referer = if i % 1499 == 0 {
            format!(
                "http://www.bad{}-{}.example/x",
                (i / 1499) % 50000,
                g.next() % 1000
            )
        } else {
            format!(
                "https://www.site{}.example/page{}",
                g.next() % 5000,
                g.next() % 100
            )
        };
        let s = i % 60;
        let m = (i / 60) % 60;
        let h = (i / 3600) % 24;
        writeln!(
            w,
            "{client} - - [10/Mar/2026:{h:02}:{m:02}:{s:02} +0000] \"GET /shop/item{}?id={} HTTP/1.1\" 200 {} \"{referer}\" \"{agent}\"",
            g.next() % 10000,
            g.next() % 100,
            200 + g.next() % 5000
        )
        .expect("write");
    }
    w.flush().expect("flush");
    let mut w = BufWriter::new(std::fs::File::create(logs.join("auth.log")).expect("create"));
    for i in 0..(n_ev - n_web) {
        let user = if i % 501 == 0 {
            format!("svc{}", (i / 501) % 5000 * 20 + 17)
        } else {
            format!("user{}", g.next() % 500)
        };
        let s = i % 60;
        let m = (i / 60) % 60;
        writeln!(
            w,
            "2026-03-10T08:{m:02}:{s:02}.000000+00:00 web01 sshd[{}]: Failed password for {user} from {} port {} ssh2",
            1000 + i % 30000,
            ip(&mut g),
            1024 + g.next() % 60000
        )
        .expect("write");
    }
    w.flush().expect("flush");

    let t = Instant::now();
    let store = load(
        &LoadRequest {
            sources: vec![dir.path().join("logs")],
            ..LoadRequest::default()
        },
        &NoProgress,
        &CancelToken::new(),
    )
    .expect("load logs");
    let read_ms = t.elapsed().as_millis();
    println!(
        "logs: {} events read into the store in {read_ms} ms (not part of the matching)",
        store.events.len()
    );

    let t = Instant::now();
    let findings = ioc_logs::on_logs(&store, &set, &CancelToken::new());
    let match_ms = t.elapsed().as_millis();
    let events: usize = findings.iter().map(|f| f.subject.events.len()).sum();
    println!(
        "match: {} indicator(s) seen in {events} event hit(s) over {} events in {match_ms} ms ({:.1} M events/s)",
        findings.len(),
        store.events.len(),
        store.events.len() as f64 / (match_ms.max(1) as f64 * 1000.0)
    );
    println!(
        "total (lists + matching): {} ms on {} thread(s)",
        load_ms + match_ms,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    std::mem::forget(store);
}
