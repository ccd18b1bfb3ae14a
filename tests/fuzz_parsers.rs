//! Property-based fuzzing of everything that parses untrusted archive bytes:
//! the structural ZIP reader and the whole verifier must return a report (or
//! a clean error) for any input — arbitrary bytes, and real archives with
//! bytes flipped, cut or inserted — and never panic.
//!
//! It also replays, on stable, every seed and every saved crash input of the
//! cargo-fuzz targets (`fuzz/seeds/<target>/`, `fuzz/regressions/<target>/`)
//! through the very bodies the fuzzer runs (`fuzz/src/harness.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

use exhibit::archive::zipread::ZipIndex;
use exhibit::capture::{CaptureRequest, capture};
use exhibit::job::{CancelToken, NoProgress};
use exhibit::verify::{VerifyRequest, verify};
use proptest::prelude::*;
use std::fs;
use std::path::Path;
use std::sync::OnceLock;

#[path = "../fuzz/src/harness.rs"]
mod harness;

/// One small valid archive, built once per test binary.
fn sample() -> &'static [u8] {
    static SAMPLE: OnceLock<Vec<u8>> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let t = tempfile::tempdir().unwrap();
        let src = t.path().join("src");
        fs::create_dir_all(src.join("d")).unwrap();
        fs::write(src.join("a.txt"), "hello\n".repeat(100)).unwrap();
        fs::write(src.join("d/b.bin"), [0u8, 1, 2, 3, 255]).unwrap();
        fs::write(src.join("d/c.gz"), b"\x1f\x8bstored").unwrap();
        let req = CaptureRequest::new(vec![src], t.path().join("out"), "F", "fuzz");
        let s = capture(&req, &NoProgress, &CancelToken::new()).unwrap();
        fs::read(s.archive).unwrap()
    })
}

fn check(bytes: &[u8]) {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("x.zip");
    fs::write(&p, bytes).unwrap();
    let f = fs::File::open(&p).unwrap();
    let _ = ZipIndex::open(&f);
    let req = VerifyRequest {
        archive: p,
        trust: None,
        threads: 1,
        identity: None,
    };
    let report = verify(&req, &NoProgress, &CancelToken::new())
        .expect("verify reports, never errors, on a readable file");
    if bytes != sample() {
        // Anything but the original must not pass as intact... unless the
        // change hit a byte no reader interprets (e.g. DOS time in a header);
        // those are rare, so only check the report is well-formed here.
        assert_eq!(report.ok, report.problems.is_empty());
    }
}

#[test]
fn the_sample_is_intact() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("x.zip");
    fs::write(&p, sample()).unwrap();
    let r = verify(
        &VerifyRequest {
            archive: p,
            trust: None,
            threads: 1,
            identity: None,
        },
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert!(r.ok, "{:?}", r.problems);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        check(&bytes);
    }

    #[test]
    fn arbitrary_bytes_with_an_end_record(mut bytes in proptest::collection::vec(any::<u8>(), 0..2048), entries in any::<u16>(), cd_size in any::<u32>(), cd_off in any::<u32>()) {
        bytes.extend_from_slice(b"PK\x05\x06\0\0\0\0");
        bytes.extend_from_slice(&entries.to_le_bytes());
        bytes.extend_from_slice(&entries.to_le_bytes());
        bytes.extend_from_slice(&cd_size.to_le_bytes());
        bytes.extend_from_slice(&cd_off.to_le_bytes());
        bytes.extend_from_slice(&[0, 0]);
        check(&bytes);
    }

    #[test]
    fn flipped_bytes(flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..8)) {
        let mut bytes = sample().to_vec();
        for (i, x) in flips {
            let at = i.index(bytes.len());
            bytes[at] ^= x;
        }
        check(&bytes);
    }

    #[test]
    fn truncated(cut in any::<prop::sample::Index>()) {
        let bytes = sample();
        check(&bytes[..cut.index(bytes.len())]);
    }

    #[test]
    fn inserted(at in any::<prop::sample::Index>(), junk in proptest::collection::vec(any::<u8>(), 1..64)) {
        let mut bytes = sample().to_vec();
        let i = at.index(bytes.len());
        bytes.splice(i..i, junk);
        check(&bytes);
    }
}

/// Every file under `dir`, recursively, sorted.
fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut paths: Vec<_> = rd.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Crash inputs found by `scripts/fuzz.sh` stay tests: each file under
/// `fuzz/regressions/<target>/` (and each seed) runs through the target's
/// body without panicking.
#[test]
fn fuzz_seeds_and_regressions_replay_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = std::collections::BTreeMap::new();
    for kind in ["seeds", "regressions"] {
        let Ok(rd) = fs::read_dir(root.join(kind)) else {
            continue;
        };
        for d in rd {
            let d = d.unwrap().path();
            let name = d.file_name().unwrap().to_string_lossy().into_owned();
            let (_, body) = harness::TARGETS
                .iter()
                .find(|t| t.0 == name)
                .unwrap_or_else(|| panic!("fuzz/{kind}/{name}: no fuzz target of that name"));
            let mut inputs = Vec::new();
            files_under(&d, &mut inputs);
            for input in inputs {
                let bytes = fs::read(&input).unwrap();
                let run = std::panic::catch_unwind(|| body(&bytes));
                assert!(run.is_ok(), "{} panics in {name}", input.display());
                *replayed.entry(name.clone()).or_insert(0) += 1;
            }
        }
    }
    // Every target has seeds.
    for (name, _) in harness::TARGETS {
        assert!(
            replayed.get(*name).is_some_and(|&n| n > 0),
            "no seed for {name}"
        );
    }
}
