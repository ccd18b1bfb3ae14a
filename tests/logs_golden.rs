//! Golden test: the events, sources and findings that `logs::load` and
//! `detect::logs::run` produce for the test logs, reduced to one SHA-256. It pins
//! the output so that performance work can prove it changed nothing.
//!
//! When a change to the output is intended, run with `EXHIBIT_GOLDEN_DUMP=1`
//! to write the dump to `target/logs_golden.jsonl`, compare it with the dump
//! of the previous commit, and update [`GOLDEN`].

use exhibit::detect::logs::{self as detections, DetectConfig};
use exhibit::job::{CancelToken, NoProgress};
use exhibit::logs::{self, Field, LoadRequest};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::Path;

/// SHA-256 of the dump below for `tests/data/logs`.
const GOLDEN: &str = "a776f8b0970fce960d3db49968481b3c33103405ca1d275889d3270720048472";

/// A value as JSON with every object's keys in order, whether or not
/// serde_json keeps insertion order (the `yara` feature turns its
/// `preserve_order` on): the golden hash is the same in every build.
fn sorted(mut v: Value) -> String {
    v.sort_all_objects();
    v.to_string()
}

fn dump(dir: &Path) -> String {
    let store = logs::load(
        &LoadRequest {
            sources: vec![dir.to_path_buf()],
            tz_offset_s: None,
            format: None,
            threads: 0,
        },
        &NoProgress,
        &CancelToken::new(),
    )
    .expect("load");
    let findings = detections::run(&store, &DetectConfig::default());
    let mut out = String::new();
    let rel = |p: &str| {
        p.strip_prefix(&dir.display().to_string())
            .unwrap_or(p)
            .to_string()
    };
    for s in &store.sources {
        let mut v = serde_json::to_value(s).expect("source json");
        v["path"] = json!(rel(&s.path));
        v["mtime_us"] = Value::Null;
        out.push_str(&sorted(v));
        out.push('\n');
    }
    for sk in &store.skipped {
        out.push_str(&sorted(
            json!({"skipped": rel(&sk.path), "reason": sk.reason}),
        ));
        out.push('\n');
    }
    for e in &store.events {
        let fields: serde_json::Map<String, Value> = e
            .fields()
            .map(|(f, v)| (f.name().to_string(), json!(v)))
            .collect();
        let v = json!({
            "t": e.time_us, "src": e.source, "line": e.line, "kind": e.kind,
            "status": e.status, "port": e.port, "bytes": e.bytes, "count": e.count,
            "text": e.line_text(), "fields": fields, "summary": e.summary(),
            "ip": e.get(Field::Ip),
        });
        out.push_str(&sorted(v));
        out.push('\n');
    }
    out.push_str(&sorted(json!({"by_time": store.by_time})));
    out.push('\n');
    for f in &findings {
        out.push_str(&serde_json::to_string(f).expect("finding json"));
        out.push('\n');
    }
    // Finding titles name files by their full path: make it independent of
    // the temporary folder.
    out.replace(&dir.display().to_string(), "<dir>")
}

#[test]
fn events_and_findings_match_golden() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/logs");
    let tmp = tempfile::tempdir().expect("tempdir");
    // Fixed modification times: classic syslog infers year and zone from them.
    let mtime = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    let mut names: Vec<_> = std::fs::read_dir(&src)
        .expect("test data")
        .map(|e| e.expect("entry"))
        // Subfolders (journal/) have tests of their own.
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name())
        .collect();
    names.sort();
    for n in names {
        let to = tmp.path().join(&n);
        std::fs::copy(src.join(&n), &to).expect("copy");
        let f = std::fs::File::options()
            .write(true)
            .open(&to)
            .expect("open");
        f.set_modified(mtime).expect("set mtime");
    }
    let text = dump(tmp.path());
    let hash = hex::encode(Sha256::digest(text.as_bytes()));
    if std::env::var_os("EXHIBIT_GOLDEN_DUMP").is_some() {
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/logs_golden.jsonl");
        std::fs::write(&out, &text).expect("write dump");
        eprintln!("dump written to {}", out.display());
    }
    assert!(
        text.lines().count() > 4000,
        "too few lines: {}",
        text.lines().count()
    );
    assert_eq!(
        hash, GOLDEN,
        "log output changed (set EXHIBIT_GOLDEN_DUMP=1 to see it)"
    );
}
