//! Regression tests from the adversarial review of the capture pipeline:
//! each names the bug it guards against.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use common::*;
use exhibit::archive::EntryType;
use exhibit::capture::select::{Selection, Selector};
use exhibit::capture::{CaptureRequest, capture as run_capture};
use exhibit::job::{CancelToken, NoProgress};
use std::fs;
use std::sync::Arc;

/// Metadata (with hash) for paths containing `cache`, content for the rest.
struct CacheIsMetadataOnly;

impl Selector for CacheIsMetadataOnly {
    fn descend(&self, _dir: &[u8], _depth: usize) -> bool {
        true
    }
    fn select(&self, logical: &[u8], _kind: EntryType, _size: u64) -> Selection {
        if logical.windows(5).any(|w| w == b"cache") {
            Selection::MetadataOnly {
                hash: true,
                rule: Some("cache".into()),
            }
        } else {
            Selection::Content {
                size_limit: None,
                rule: Some("keep".into()),
                flags: Vec::new(),
            }
        }
    }
}

#[test]
fn hard_link_whose_first_name_is_metadata_only_still_stores_the_content() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(src.join("a-cache")).unwrap();
    fs::create_dir_all(src.join("etc")).unwrap();
    // Walk order: a-cache/x (metadata only) comes before etc/x (content).
    fs::write(src.join("a-cache/x"), "evidence the rule asks to keep").unwrap();
    fs::hard_link(src.join("a-cache/x"), src.join("etc/x")).unwrap();
    let mut req = CaptureRequest::new(vec![src.clone()], t.path().join("out"), "C", "E");
    req.selector = Some(Arc::new(CacheIsMetadataOnly));
    let s = run_capture(&req, &NoProgress, &CancelToken::new()).unwrap();
    let recs = records(&s.archive);
    let kept = record(&recs, &logical(&src.join("etc/x")));
    assert_eq!(kept["status"], "captured", "{kept:#}");
    let member = kept["member"].as_str().expect("content stored");
    assert_eq!(
        member_content(&s.archive, member),
        b"evidence the rule asks to keep"
    );
    let cached = record(&recs, &logical(&src.join("a-cache/x")));
    assert_eq!(cached["status"], "metadata_only", "{cached:#}");
    assert_eq!(verify(&s.archive).0, 0);
}

#[test]
fn deep_tree_is_captured_under_a_low_open_file_limit() {
    // The walker holds one directory descriptor per level. Many systems
    // start processes with a soft limit of 1024; a tree deeper than that
    // must not end in "Too many open files". Scaled down: 200 levels, 128.
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let mut deep = src.clone();
    for _ in 0..200 {
        deep.push("d");
    }
    fs::create_dir_all(&deep).unwrap();
    fs::write(deep.join("hidden.txt"), "at the bottom").unwrap();
    let out = t.path().join("out");
    let bin = assert_cmd::cargo::cargo_bin("exhibit");
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -Sn 128 && exec \"$@\"")
        .arg("sh")
        .arg(bin)
        .args(["capture", src.to_str().unwrap(), "--case", "C"])
        .args(["--examiner", "E", "--json", "-q", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let archive = archive_path(&s);
    let recs = records(&archive);
    let r = record(&recs, &logical(&deep.join("hidden.txt")));
    assert_eq!(r["status"], "captured", "{r:#}");
    assert_eq!(
        member_content(&archive, r["member"].as_str().unwrap()),
        b"at the bottom"
    );
}

#[test]
fn backslash_dot_dot_names_on_the_source_still_verify() {
    // `..\x` is an ordinary Linux file name, but a `..` component to any
    // extractor that splits on backslashes: the member name must not carry
    // it, or the responder's honest archive can never verify.
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(src.join("..\\dir")).unwrap();
    fs::write(src.join("..\\evil"), "planted name").unwrap();
    fs::write(src.join("..\\dir/f"), "inside").unwrap();
    fs::write(src.join("ok\\name"), "plain backslash").unwrap();
    let s = capture(&[src.to_str().unwrap()], &t.path().join("out"));
    let archive = archive_path(&s);
    let (code, report) = verify(&archive);
    assert_eq!(code, 0, "{report:#}");
    let recs = records(&archive);
    for (name, content) in [
        ("..\\evil", "planted name"),
        ("..\\dir/f", "inside"),
        ("ok\\name", "plain backslash"),
    ] {
        let r = record(&recs, &logical(&src.join(name)));
        assert_eq!(r["status"], "captured", "{r:#}");
        let member = r["member"].as_str().unwrap();
        assert!(!member.split(['/', '\\']).any(|c| c == ".."), "{member}");
        assert_eq!(member_content(&archive, member), content.as_bytes());
    }
}

#[test]
fn source_ending_in_dot_dot_is_resolved() {
    // `exhibit capture ..` must record `/…/parent/x`, not `/…/child/../x`
    // (a `..` in every member name, which verify rightly rejects).
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(src.join("sub")).unwrap();
    fs::write(src.join("f.txt"), "content").unwrap();
    let out = t.path().join("out");
    let o = exhibit()
        .current_dir(src.join("sub"))
        .args([
            "capture",
            "..",
            "--case",
            "C",
            "--examiner",
            "E",
            "--json",
            "-q",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let archive = archive_path(&s);
    let (code, report) = verify(&archive);
    assert_eq!(code, 0, "{report:#}");
    let recs = records(&archive);
    let r = record(&recs, &logical(&src.join("f.txt")));
    assert_eq!(r["status"], "captured", "{r:#}");
}

/// Rewrites `victim` after the walk examined it: same size, mtime put back.
struct RewriteKeepingMtime {
    victim: Vec<u8>,
}

impl Selector for RewriteKeepingMtime {
    fn descend(&self, _dir: &[u8], _depth: usize) -> bool {
        true
    }
    fn select(&self, logical: &[u8], _kind: EntryType, _size: u64) -> Selection {
        if logical == self.victim.as_slice() {
            let p = std::path::Path::new(std::ffi::OsStr::from_bytes(logical));
            let mtime = fs::metadata(p).unwrap().modified().unwrap();
            // Let the clock tick so the status change time moves.
            std::thread::sleep(std::time::Duration::from_millis(20));
            fs::write(p, "TAMPERED").unwrap();
            fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(mtime)
                .unwrap();
        }
        Selection::Content {
            size_limit: None,
            rule: None,
            flags: Vec::new(),
        }
    }
}

use std::os::unix::ffi::OsStrExt;

#[test]
fn file_rewritten_with_same_size_and_restored_mtime_is_marked_changed() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("log"), "original").unwrap();
    let victim = logical(&src.join("log"));
    let mut req = CaptureRequest::new(vec![src.clone()], t.path().join("out"), "C", "E");
    req.selector = Some(Arc::new(RewriteKeepingMtime {
        victim: victim.as_bytes().to_vec(),
    }));
    let s = run_capture(&req, &NoProgress, &CancelToken::new()).unwrap();
    let recs = records(&s.archive);
    let r = record(&recs, &victim);
    assert_eq!(
        member_content(&s.archive, r["member"].as_str().unwrap()),
        b"TAMPERED"
    );
    assert_eq!(r["status"], "changed_during_read", "{r:#}");
}

/// Deletes `first` when the walk reaches `second` (another name of it).
struct UnlinkFirstName {
    first: Vec<u8>,
    second: Vec<u8>,
}

impl Selector for UnlinkFirstName {
    fn descend(&self, _dir: &[u8], _depth: usize) -> bool {
        true
    }
    fn select(&self, logical: &[u8], _kind: EntryType, _size: u64) -> Selection {
        if logical == self.second.as_slice() {
            fs::remove_file(std::ffi::OsStr::from_bytes(&self.first)).unwrap();
        }
        Selection::Content {
            size_limit: None,
            rule: None,
            flags: Vec::new(),
        }
    }
}

#[test]
fn hard_link_whose_first_name_vanished_is_read_under_its_other_name() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("a"), "still here under b").unwrap();
    fs::hard_link(src.join("a"), src.join("b")).unwrap();
    let (a, b) = (logical(&src.join("a")), logical(&src.join("b")));
    let mut req = CaptureRequest::new(vec![src.clone()], t.path().join("out"), "C", "E");
    req.selector = Some(Arc::new(UnlinkFirstName {
        first: a.as_bytes().to_vec(),
        second: b.as_bytes().to_vec(),
    }));
    let s = run_capture(&req, &NoProgress, &CancelToken::new()).unwrap();
    let recs = records(&s.archive);
    assert_eq!(record(&recs, &a)["status"], "vanished");
    let rb = record(&recs, &b);
    // Unlinking `a` after `b` was listed changed the inode's ctime.
    assert_eq!(rb["status"], "changed_during_read", "{rb:#}");
    assert!(rb.get("hardlink_of").is_none(), "{rb:#}");
    assert_eq!(
        member_content(&s.archive, rb["member"].as_str().unwrap()),
        b"still here under b"
    );
    assert_eq!(verify(&s.archive).0, 0);
}
