//! The bodies of the fuzz targets: each takes arbitrary bytes and drives one
//! reader of untrusted input through Exhibit's public API, the way the CLI
//! and the GUI call it. The only thing a body checks is that nothing panics
//! (plus, for logs, that every event time lies in the accepted range); any
//! panic, hang or memory blow-up is a finding.
//!
//! This file is the library of the `fuzz/` crate (built by cargo-fuzz on
//! nightly) and is also compiled into `tests/fuzz_parsers.rs`, whose replay
//! test feeds it every seed and every saved crash input on stable, so a
//! crash once found stays checked by the normal test suite.
//!
//! Inputs are written to a per-thread temporary folder because the readers
//! take paths (archives, logs) exactly as the tools do.

#![allow(clippy::expect_used, clippy::unwrap_used)] // setup failures (temp files) may panic

use exhibit::archive::Archive;
use exhibit::archive::zipread::ZipIndex;
use exhibit::custody::{AllowedSigners, CheckOptions, check_log};
use exhibit::detect::logs::{self as detect, DetectConfig};
use exhibit::diff::ContentLimits;
use exhibit::examine::diff_snapshots;
use exhibit::job::{CancelToken, NoProgress};
use exhibit::logs::{LoadRequest, load, parsers};
use exhibit::snapshot::Snapshot;
use exhibit::verify::{VerifyRequest, verify};
use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The body of a fuzz target.
pub type Body = fn(&[u8]);

/// Every target by name, as `scripts/fuzz.sh` and the replay test know them.
pub const TARGETS: &[(&str, Body)] = &[
    ("archive_verify", archive_verify),
    ("custody_log", custody_log),
    ("allowed_signers", allowed_signers),
    ("log_parsers", log_parsers),
    ("log_detect", log_detect),
    ("snapshot", snapshot),
    ("snapshot_stream", snapshot_stream),
    ("leak_sample", leak_sample),
    ("ioc_list", ioc_list),
];

/// A real evidence archive (two small files), captured by `exhibit capture
/// --sign`; its custody log and allowed_signers are the seeds beside it.
const SAMPLE_ARCHIVE: &[u8] = include_bytes!("../seeds/archive_verify/sample.zip");
/// That archive's custody log: acquired + sealed by ann, transferred by
/// ann, received by bob, all signed.
const SAMPLE_LOG: &[u8] = include_bytes!("../seeds/custody_log/signed.custody.jsonl");
/// An allowed_signers file trusting ann and bob.
const SAMPLE_SIGNERS: &str = include_str!("../seeds/allowed_signers/allowed_signers");
/// A fixed "now" for allowed_signers validity, so runs are reproducible.
/// 2026-06-01T00:00:00Z in Unix seconds.
const NOW: i64 = 1_780_272_000;

thread_local! {
    static DIR: tempfile::TempDir = tempfile::tempdir().expect("temp dir");
}

/// Write `data` to `name` in this thread's temporary folder.
fn put(name: &str, data: &[u8]) -> PathBuf {
    let p = DIR.with(|d| d.path().join(name));
    std::fs::write(&p, data).expect("write temp file");
    p
}

fn sample_sha256() -> &'static str {
    static SHA: OnceLock<String> = OnceLock::new();
    SHA.get_or_init(|| {
        use sha2::Digest;
        hex(&sha2::Sha256::digest(SAMPLE_ARCHIVE))
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The ZIP reader and the whole verifier on an archive file holding `data`;
/// then the archive handle's own readers (records, acquisition, members)
/// and the log loader reading the archive's logs (`exhibit logs ARCHIVE`).
pub fn archive_verify(data: &[u8]) {
    let p = put("fuzz.zip", data);
    if let Ok(f) = std::fs::File::open(&p) {
        let _ = ZipIndex::open(&f);
    }
    let req = VerifyRequest {
        archive: p.clone(),
        threads: 1,
        ..Default::default()
    };
    let _ = verify(&req, &NoProgress, &CancelToken::new());
    if let Ok(a) = Archive::open(&p) {
        let _ = a.acquisition();
        let _ = a.records();
        let names: Vec<String> = a
            .index
            .members
            .iter()
            .take(16)
            .map(|m| m.name.clone())
            .collect();
        for n in names {
            if let Ok(r) = a.open_member(&n) {
                let _ = r.take(1 << 20).read_to_end(&mut Vec::new());
            }
        }
    }
    let req = LoadRequest {
        sources: vec![p],
        threads: 1,
        ..Default::default()
    };
    let _ = load(&req, &NoProgress, &CancelToken::new());
}

fn sample_signers() -> &'static AllowedSigners {
    static S: OnceLock<AllowedSigners> = OnceLock::new();
    S.get_or_init(|| AllowedSigners::parse(SAMPLE_SIGNERS))
}

/// The custody log checker on log bytes `data`, against the sample
/// archive's hash and a fixed trust store (and without either).
pub fn custody_log(data: &[u8]) {
    let _ = check_log(
        data,
        &CheckOptions {
            archive_sha256: Some(sample_sha256()),
            trust: Some(sample_signers()),
            log_name: Some("fuzz.custody.jsonl"),
            now: Some(NOW),
        },
    );
    let _ = check_log(
        data,
        &CheckOptions {
            now: Some(NOW),
            ..Default::default()
        },
    );
    for line in data.split(|&b| b == b'\n').take(64) {
        let _ = exhibit::custody::event::parse_line(line);
    }
}

/// The allowed_signers parser on `data` (it keeps the lines it can use and
/// lists the rest); the fixed signed log is checked against what it kept
/// (options, namespaces, validity, principals).
pub fn allowed_signers(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let signers = AllowedSigners::parse_bytes(data);
    let _ = check_log(
        SAMPLE_LOG,
        &CheckOptions {
            archive_sha256: Some(sample_sha256()),
            trust: Some(&signers),
            log_name: None,
            now: Some(NOW),
        },
    );
    for p in text.split_whitespace().take(8) {
        let _ = exhibit::custody::allowed_signers::pattern_match(p, "ann@example.org");
    }
}

/// File names that steer sniffing towards each format (name hints).
const NAMES: &[&str] = &[
    "auth.log",
    "access.log",
    "error.log",
    "audit.log",
    "dpkg.log",
    "history.log",
    ".bash_history",
    ".zsh_history",
    "vsftpd.log",
    "postgresql.log",
    "journal.json",
    "wtmp",
    "btmp",
    "messages.1",
];

/// Every log format through the real loader (`exhibit logs FILE
/// [--format NAME] [--tz ...]`); every event's summary and time.
///
/// `data[0]` picks the format (one per registered format, or sniffing);
/// `data[1]` the file name (low 4 bits) and the time zone (high bits,
/// extreme offsets included); the rest is the file (gzip is recognised by
/// its magic, as in real use).
pub fn log_parsers(data: &[u8]) {
    let _ = load_log(data);
}

/// [`log_parsers`], then every detection on the events. A target of its
/// own: building the detections' pattern automata costs more than parsing
/// a small input, so the parsers are fuzzed faster without them.
pub fn log_detect(data: &[u8]) {
    if let Some(store) = load_log(data) {
        let _ = detect::run(&store, detect_config());
    }
}

fn load_log(data: &[u8]) -> Option<exhibit::logs::LogStore> {
    let (Some(&pick), Some(&name_tz)) = (data.first(), data.get(1)) else {
        return None;
    };
    let body = data.get(2..).unwrap_or_default();
    let formats = parsers::FORMATS;
    let format = formats
        .get(usize::from(pick) % (formats.len() + 1))
        .map(|f| f.name.to_string());
    let name = NAMES
        .get(usize::from(name_tz & 0x0f) % NAMES.len())
        .copied()
        .unwrap_or("log");
    let tz_offset_s = match name_tz >> 4 {
        0 => Some(i64::MAX),
        1 => Some(i64::MIN),
        2 => Some(-12 * 3600),
        3 => Some(14 * 3600),
        _ => None,
    };
    let p = put(name, body);
    let req = LoadRequest {
        sources: vec![p],
        tz_offset_s,
        format,
        threads: 1,
    };
    let store = load(&req, &NoProgress, &CancelToken::new()).ok()?;
    for e in store.events.iter() {
        let _ = e.summary();
        if let Some(t) = e.time_us {
            assert!(
                exhibit::logs::time::in_range(t),
                "event time {t} outside 1900-9999"
            );
            let _ = exhibit::logs::time::rfc3339(t);
        }
    }
    Some(store)
}

/// The default detections, built once (their pattern automata are costly).
fn detect_config() -> &'static DetectConfig {
    static C: OnceLock<DetectConfig> = OnceLock::new();
    C.get_or_init(DetectConfig::default)
}

fn rules() -> &'static exhibit::detect::files::rules::Rules {
    static R: OnceLock<exhibit::detect::files::rules::Rules> = OnceLock::new();
    R.get_or_init(|| exhibit::detect::files::rules::Rules::load(None).expect("built-in rules load"))
}

/// The snapshot reader on an archive holding `data`: entries, content
/// prefixes, then a diff (with findings and content diffs) against the
/// sample archive, as `exhibit diff SAMPLE FUZZED` does.
pub fn snapshot(data: &[u8]) {
    let _ = exhibit::snapshot::decode_capabilities(data);
    let _ = exhibit::snapshot::parse_time(&String::from_utf8_lossy(data));
    let p = put("fuzz-snap.zip", data);
    let Ok(new) = Snapshot::open_archive(&p) else {
        return;
    };
    for e in new.entries.iter().take(32) {
        let _ = new.read_prefix(e, 4096);
        let _ = new.prefix_sha256(e, 64);
    }
    let old_path = put("sample-snap.zip", SAMPLE_ARCHIVE);
    let Ok(old) = Snapshot::open_archive(&old_path) else {
        return;
    };
    let result = diff_snapshots(old, new, Some(rules()), &Default::default());
    let limits = ContentLimits {
        max_scan_bytes: 1 << 20,
        ..Default::default()
    };
    for c in result.changes.iter().take(16) {
        let _ = result.content_diff(c, &limits);
    }
}

/// `exhibit diff SAMPLE FUZZED` and `exhibit scan FUZZED` reading the
/// archives as streams (`snapshot::partial`: merged side by side, judged
/// in windows of two entries) against the same commands holding them
/// whole: the results (or errors) must be equal; a difference panics.
pub fn snapshot_stream(data: &[u8]) {
    use exhibit::detect::files::{ScanRequest, scan};
    use exhibit::examine::{DiffRequest, diff};
    let new = put("fuzz-stream.zip", data);
    let old = put("sample-stream.zip", SAMPLE_ARCHIVE);
    let run = |stream: bool| {
        let r = diff(
            &DiffRequest {
                old: old.clone(),
                new: new.clone(),
                stream,
                ..DiffRequest::default()
            },
            &NoProgress,
            &CancelToken::new(),
        );
        r.map(|r| exhibit::report::diff::json(&r, None).to_string())
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        run(true),
        run(false),
        "streamed diff differs from the whole one"
    );
    let run = |window: Option<usize>| {
        scan(
            &ScanRequest {
                snapshot: new.clone(),
                stream: window.is_some(),
                window_entries: window.unwrap_or(0),
                ..ScanRequest::default()
            },
            &NoProgress,
            &CancelToken::new(),
        )
        .map(|r| format!("{r:?}"))
        .map_err(|e| e.to_string())
    };
    let whole = run(None);
    assert_eq!(
        run(Some(2)),
        whole,
        "a scan in windows differs from the whole one"
    );
}

/// A published sample through the leak validator's readers: `data[0]`
/// forces one of the six formats or lets the content decide; the rest is
/// the sample. Every value of every row is normalised, fingerprinted and
/// masked, as validation does.
pub fn leak_sample(data: &[u8]) {
    use exhibit::leak::{SampleFormat, normalize, tabular};
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let prefix = &body[..body.len().min(64 * 1024)];
    let detected = match SampleFormat::ALL.get(usize::from(pick % 7)) {
        Some(&f) => Some(tabular::forced(prefix, f)),
        None => tabular::detect(prefix),
    };
    let Some(d) = detected else { return };
    let mut reader = std::io::BufReader::new(body);
    let cancel = CancelToken::new();
    let mut rows = 0u64;
    let _ = tabular::read_rows(&mut reader, &d, &cancel, &mut |row| {
        rows += 1;
        for (i, v) in row.values.iter().enumerate() {
            let column = row.columns.get(i).map_or("", String::as_str);
            let _ = normalize::fp(v);
            let _ = normalize::mask(column, v);
        }
        std::ops::ControlFlow::Continue(())
    });
}

/// An indicator list through its reader and index: `data[0]` picks the
/// list's name (plain text, CSV or JSON by its extension, or none, so the
/// content decides); the rest is the list. A list that reads is then
/// matched against its own bytes the ways files and log events are: as
/// text, and word by word as host, address, user agent, account and path.
pub fn ioc_list(data: &[u8]) {
    use exhibit::detect::ioc::IocSet;
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let names = ["list.txt", "feed.csv", "misp.json", "indicators"];
    let name = names[usize::from(pick) % names.len()];
    let text = String::from_utf8_lossy(body);
    let Ok(set) = IocSet::from_text(name, &text) else {
        return;
    };
    let ix = set.index();
    let mut hits = Vec::new();
    ix.text_hits(body, |i, _, _| hits.push(i));
    let (mut scratch, mut buf) = (String::new(), Vec::new());
    for word in text.split_whitespace().take(256) {
        ix.host_hits(word, &mut scratch, &mut hits);
        ix.agent_hits(word, &mut hits);
        ix.user_hits(word, &mut hits);
        ix.name_hits(word, &mut buf, &mut hits);
        if let Ok(a) = word.parse() {
            ix.ip_hits(a, &mut hits);
        }
    }
    for i in hits {
        if let Some(ind) = set.get(i) {
            let _ = set.source(ind);
        }
    }
}
