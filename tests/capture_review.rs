//! Regression tests from the adversarial review of the capture pipeline:
//! each names the bug it guards against.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

use crate::util::*;
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
    // `x\y` beside a directory `x` holding `y`: once `\` is a separator the
    // two are one path, and a literal `x%5Cy` takes the escaped name first.
    fs::create_dir_all(src.join("x")).unwrap();
    fs::write(src.join("x/y"), "the real x/y").unwrap();
    fs::write(src.join("x\\y"), "backslash x-y").unwrap();
    fs::write(src.join("x%5Cy"), "percent x-y").unwrap();
    let s = capture(&[src.to_str().unwrap()], &t.path().join("out"));
    let archive = archive_path(&s);
    let (code, report) = verify(&archive);
    assert_eq!(code, 0, "{report:#}");
    let recs = records(&archive);
    for (name, content) in [
        ("..\\evil", "planted name"),
        ("..\\dir/f", "inside"),
        ("ok\\name", "plain backslash"),
        ("x/y", "the real x/y"),
        ("x\\y", "backslash x-y"),
        ("x%5Cy", "percent x-y"),
    ] {
        let r = record(&recs, &logical(&src.join(name)));
        assert_eq!(r["status"], "captured", "{r:#}");
        let member = r["member"].as_str().unwrap();
        assert!(!member.split(['/', '\\']).any(|c| c == ".."), "{member}");
        assert!(!member.contains('\\'), "{member}");
        assert_eq!(member_content(&archive, member), content.as_bytes());
    }
    // Python's zipfile, which neither we nor the capture wrote, sees no two
    // members that a backslash-splitting extractor would merge.
    let script = "import sys, zipfile\n\
names = zipfile.ZipFile(sys.argv[1]).namelist()\n\
keys = [n.replace(chr(92), '/') for n in names]\n\
assert len(set(keys)) == len(keys), sorted(keys)\n\
print(len(names))\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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

/// Run `exhibit capture --json -q` with `args` under a time limit and a
/// memory limit, so a capture that blocks on a FIFO or reads a device
/// without end fails the test instead of hanging it or exhausting the
/// machine. Returns (success, stdout, stderr).
fn guarded_capture(args: &[&std::ffi::OsStr], out: &std::path::Path) -> (bool, String, String) {
    let bin = assert_cmd::cargo::cargo_bin("exhibit");
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 4194304 && exec timeout -s KILL 60 \"$@\"")
        .arg("sh")
        .arg(bin)
        .arg("capture")
        .args(args)
        .args(["--case", "C", "--examiner", "E", "--json", "-q", "-o"])
        .arg(out)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn mkfifo(p: &std::path::Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        p,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
}

#[test]
fn hostile_root_never_makes_capture_read_the_examiners_files() {
    // A target whose identity and account files are links out of the
    // image, a FIFO and a device: the examiner's own files must not reach
    // the evidence, and the capture must finish.
    let t = tempfile::tempdir().unwrap();
    let marker = "EXAMINER-SECRET-5e1f0c";
    let examiner = t.path().join("examiner");
    fs::create_dir_all(&examiner).unwrap();
    fs::write(examiner.join("shadow"), format!("{marker}\n")).unwrap();
    fs::write(
        examiner.join("passwd"),
        format!("{marker}:x:4242:4242::/:/bin/sh\n"),
    )
    .unwrap();
    let root = t.path().join("image");
    for d in ["etc", "usr/lib", "data"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    use std::os::unix::fs::symlink;
    // Absolute links to the examiner's files (like `-> /etc/shadow`).
    symlink(examiner.join("shadow"), root.join("etc/hostname")).unwrap();
    symlink(examiner.join("passwd"), root.join("etc/passwd")).unwrap();
    // A relative link climbing out of the image.
    symlink("../../examiner/passwd", root.join("etc/group")).unwrap();
    mkfifo(&root.join("etc/machine-id"));
    symlink("/dev/zero", root.join("etc/os-release")).unwrap();
    // The fallback os-release: a FIFO too.
    mkfifo(&root.join("usr/lib/os-release"));
    fs::write(root.join("data/owned"), "owned by uid 4242").unwrap();
    if is_root() {
        std::os::unix::fs::chown(root.join("data/owned"), Some(4242), Some(4242)).unwrap();
    }
    let out = t.path().join("out");
    let started = std::time::Instant::now();
    let (ok, stdout, stderr) = guarded_capture(&["--root".as_ref(), root.as_os_str()], &out);
    assert!(ok, "capture failed or hung: {stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert!(!stdout.contains(marker), "{stdout}");
    let s: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let archive = archive_path(&s);
    assert!(
        !archive.to_string_lossy().contains(marker),
        "{}",
        archive.display()
    );
    // Every member, decompressed (bag-info.txt, acquisition.json, records...).
    let all = members(&archive);
    for (name, data) in &all {
        assert!(
            !String::from_utf8_lossy(data).contains(marker),
            "the examiner's file reached {name}"
        );
    }
    let custody = fs::read_to_string(s["custody_log"].as_str().unwrap()).unwrap();
    assert!(!custody.contains(marker), "{custody}");
    let tag = |suffix: &str| {
        all.iter()
            .find(|(n, _)| n.ends_with(suffix))
            .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
            .unwrap()
    };
    // Not named after the examiner's machine either.
    assert!(
        tag("/bag-info.txt").contains("Exhibit-Source-Host: unknown"),
        "{}",
        tag("/bag-info.txt")
    );
    // What was refused is recorded, not silently dropped.
    let acq: serde_json::Value = serde_json::from_str(&tag("/exhibit/acquisition.json")).unwrap();
    assert!(acq["host"]["hostname"].is_null(), "{:#}", acq["host"]);
    assert!(acq["host"]["machine_id"].is_null());
    assert!(acq["host"]["os"].is_null());
    let errors = acq["errors"].as_array().unwrap();
    let reason = |path: &str| {
        errors
            .iter()
            .filter(|e| e["path"] == path)
            .map(|e| e["reason"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    assert!(reason("/etc/machine-id").contains("FIFO"), "{errors:#?}");
    assert!(
        reason("/usr/lib/os-release").contains("FIFO"),
        "{errors:#?}"
    );
    for p in [
        "/etc/hostname",
        "/etc/os-release",
        "/etc/passwd",
        "/etc/group",
    ] {
        assert!(
            reason(p).contains("symbolic link to nothing inside the target"),
            "{p}: {errors:#?}"
        );
    }
    let recs = records(&archive);
    let owned = record(&recs, "/data/owned");
    assert!(owned["user"].is_null(), "{owned:#}");
}

/// 2001-09-09T01:46:40Z: an access time far in the past, which `relatime`
/// updates on any read.
const OLD_ATIME: i64 = 1_000_000_000;

fn set_old_atime(p: &std::path::Path) {
    use rustix::fs::{AtFlags, Timespec, Timestamps, UTIME_OMIT};
    rustix::fs::utimensat(
        rustix::fs::CWD,
        p,
        &Timestamps {
            last_access: Timespec {
                tv_sec: OLD_ATIME,
                tv_nsec: 0,
            },
            last_modification: Timespec {
                tv_sec: 0,
                tv_nsec: UTIME_OMIT,
            },
        },
        AtFlags::SYMLINK_NOFOLLOW,
    )
    .unwrap();
}

fn atime_of(p: &std::path::Path) -> i64 {
    use std::os::unix::fs::MetadataExt;
    fs::symlink_metadata(p).unwrap().atime()
}

#[test]
fn capture_leaves_access_times_alone_and_records_the_old_ones() {
    // Capture reads the target's passwd, group, hostname, machine-id and
    // os-release before its walk: those reads must not make the capture
    // time the files' access time, in the files or in their records.
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("image");
    for d in ["etc", "usr/lib", "data"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    fs::write(root.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
    fs::write(root.join("etc/group"), "root:x:0:\n").unwrap();
    fs::write(root.join("etc/hostname"), "victim\n").unwrap();
    fs::write(root.join("etc/machine-id"), "0123456789abcdef\n").unwrap();
    fs::write(root.join("usr/lib/os-release"), "PRETTY_NAME=\"Test OS\"\n").unwrap();
    std::os::unix::fs::symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
    fs::write(root.join("data/file.txt"), "ordinary").unwrap();
    let files = [
        "etc/passwd",
        "etc/group",
        "etc/hostname",
        "etc/machine-id",
        "usr/lib/os-release",
        "data/file.txt",
    ];
    // Entries first, the directories holding them last.
    let mut all: Vec<&str> = files.to_vec();
    all.extend(["etc/os-release", "etc", "usr/lib", "usr", "data", ""]);
    for p in &all {
        set_old_atime(&root.join(p));
    }
    let out = t.path().join("out");
    let (ok, stdout, stderr) = guarded_capture(&["--root".as_ref(), root.as_os_str()], &out);
    assert!(ok, "{stderr}");
    let s: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let archive = archive_path(&s);
    let acq: serde_json::Value = serde_json::from_slice(
        &members(&archive)
            .into_iter()
            .find(|(n, _)| n.ends_with("/exhibit/acquisition.json"))
            .unwrap()
            .1,
    )
    .unwrap();
    // The identity files were read.
    assert_eq!(acq["host"]["hostname"], "victim");
    assert_eq!(acq["host"]["os"], "Test OS");
    assert_eq!(acq["host"]["machine_id"], "0123456789abcdef");
    // On disk: untouched (files and directories).
    for p in files.iter().chain(&["etc", "usr/lib", "data", ""]) {
        assert_eq!(
            atime_of(&root.join(p)),
            OLD_ATIME,
            "{p}: access time changed"
        );
    }
    // In the records: the old value, the link included (the kernel updates
    // a link's access time when it is read; its record keeps the old one).
    let recs = records(&archive);
    for p in &all {
        let logical = format!("/{p}");
        let logical = if p.is_empty() {
            "/".to_string()
        } else {
            logical
        };
        let r = record(&recs, &logical);
        assert_eq!(r["atime"], "2001-09-09T01:46:40.000000000Z", "{r:#}");
    }
}

#[test]
fn a_huge_thread_count_is_bounded() {
    // `--threads 100000000` must not try to start that many readers (each
    // with its buffers) until memory or the process table runs out.
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    for i in 0..20 {
        fs::write(src.join(format!("f{i}")), format!("file {i}")).unwrap();
    }
    let (ok, stdout, stderr) = guarded_capture(
        &[src.as_os_str(), "--threads".as_ref(), "100000000".as_ref()],
        &t.path().join("out"),
    );
    assert!(ok, "{stderr}");
    assert!(stderr.contains("using"), "{stderr}");
    let s: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(s["files"], 20);
    // The library request is bounded the same way.
    assert!(exhibit::capture::reader_threads(usize::MAX) <= exhibit::capture::MAX_THREADS);
    let mut req = CaptureRequest::new(vec![src.clone()], t.path().join("out2"), "C", "E");
    req.threads = usize::MAX;
    let s = run_capture(&req, &NoProgress, &CancelToken::new()).unwrap();
    assert_eq!(s.files, 20);
}

#[test]
fn a_path_too_long_for_a_member_name_is_counted_as_a_problem() {
    // 262 directories of 250 bytes: a path over the 65,000 bytes a ZIP
    // member name may take. Its content cannot be stored: the summary must
    // count it, not file it with what the examiner chose to exclude.
    use rustix::fs::{Mode, OFlags};
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    let name = "d".repeat(250);
    let mut dir = rustix::fs::open(&src, OFlags::PATH | OFlags::DIRECTORY, Mode::empty()).unwrap();
    for _ in 0..262 {
        rustix::fs::mkdirat(&dir, name.as_str(), Mode::from_raw_mode(0o755)).unwrap();
        dir = rustix::fs::openat(
            &dir,
            name.as_str(),
            OFlags::PATH | OFlags::DIRECTORY,
            Mode::empty(),
        )
        .unwrap();
    }
    let fd = rustix::fs::openat(
        &dir,
        "deep.txt",
        OFlags::WRONLY | OFlags::CREATE,
        Mode::from_raw_mode(0o644),
    )
    .unwrap();
    rustix::io::write(&fd, b"too deep to name").unwrap();
    drop(fd);
    fs::write(src.join("shallow.txt"), "fine").unwrap();
    let req = CaptureRequest::new(vec![src.clone()], t.path().join("out"), "C", "E");
    let s = run_capture(&req, &NoProgress, &CancelToken::new()).unwrap();
    let recs = records(&s.archive);
    let deep = recs
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with("/deep.txt"))
        .unwrap();
    assert_eq!(deep["status"], "skipped", "{}", deep["reason"]);
    assert!(deep["member"].is_null());
    let path = deep["path"].as_str().unwrap();
    assert!(path.len() > 65_000);
    let problem = s.errors.iter().find(|e| e.path == path);
    assert!(
        problem.is_some_and(|e| e.reason.starts_with("name_too_long")),
        "not counted: {:?}",
        s.errors.iter().map(|e| &e.reason).collect::<Vec<_>>()
    );
    assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
    assert_eq!(
        record(&recs, &logical(&src.join("shallow.txt")))["status"],
        "captured"
    );
}
