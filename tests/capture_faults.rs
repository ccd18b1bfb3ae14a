//! Capture under adverse conditions: permission denied, files that grow or
//! vanish while read, a full destination disk, interruption, and archives
//! that need ZIP64. Whatever happens, nothing is dropped silently and no
//! incomplete archive can pass for complete.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

use crate::util::*;
use exhibit::archive::{EntryType, Status};
use exhibit::capture::select::{Selection, Selector};
use exhibit::capture::{CaptureError, CaptureRequest, capture as run_capture};
use exhibit::job::{CancelToken, NoProgress};
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn no_zip_in(dir: &Path) -> bool {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .all(|e| !e.file_name().to_string_lossy().ends_with(".zip"))
        })
        .unwrap_or(true)
}

fn partials_in(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".zip.partial"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn permission_denied_is_recorded_when_not_root() {
    assert!(
        is_root(),
        "this test drops to `nobody` and must start as root (CI runs as root)"
    );
    let t = tempfile::tempdir().unwrap();
    fs::set_permissions(t.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(src.join("locked-dir")).unwrap();
    fs::write(src.join("readable"), "ok").unwrap();
    fs::write(src.join("secret"), "no").unwrap();
    fs::write(src.join("locked-dir/inside"), "hidden").unwrap();
    fs::set_permissions(src.join("secret"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::set_permissions(src.join("locked-dir"), fs::Permissions::from_mode(0o700)).unwrap();
    let out = t.path().join("out");
    fs::create_dir_all(&out).unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o777)).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("exhibit");
    let o = std::process::Command::new(bin)
        .args([
            "capture",
            src.to_str().unwrap(),
            "--case",
            "C",
            "--examiner",
            "E",
            "--json",
            "-q",
            "-o",
        ])
        .arg(&out)
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let archive = archive_path(&s);
    let recs = records(&archive);
    let base = logical(&src);
    let secret = record(&recs, &format!("{base}/secret"));
    assert_eq!(secret["status"], "unreadable");
    assert!(
        secret["reason"]
            .as_str()
            .unwrap()
            .contains("Permission denied"),
        "{secret}"
    );
    let dir = record(&recs, &format!("{base}/locked-dir"));
    assert_eq!(dir["status"], "unreadable");
    assert!(
        dir["reason"]
            .as_str()
            .unwrap()
            .contains("cannot list directory")
    );
    assert_eq!(
        record(&recs, &format!("{base}/readable"))["status"],
        "captured"
    );
    // Both problems are in the summary and the archive still verifies.
    let errs = s["errors"].as_array().unwrap();
    assert!(errs.iter().any(|e| e["path"] == format!("{base}/secret")));
    assert!(
        errs.iter()
            .any(|e| e["path"] == format!("{base}/locked-dir"))
    );
    assert_eq!(verify(&archive).0, 0);
}

#[test]
fn file_appended_during_capture_is_marked_changed() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    let log = src.join("growing.log");
    // Large enough that reading it takes a while, so appends land mid-read.
    let mut f = fs::File::create(&log).unwrap();
    let line = vec![b'x'; 1023];
    for _ in 0..(48 * 1024) {
        f.write_all(&line).unwrap();
        f.write_all(b"\n").unwrap();
    }
    drop(f);
    let stop = Arc::new(AtomicBool::new(false));
    let appender = {
        let stop = stop.clone();
        let log = log.clone();
        std::thread::spawn(move || {
            let mut f = fs::OpenOptions::new().append(true).open(&log).unwrap();
            while !stop.load(Ordering::Relaxed) {
                f.write_all(b"appended while the capture ran\n").unwrap();
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(20));
    let s = capture(&[src.to_str().unwrap()], &t.path().join("out"));
    stop.store(true, Ordering::Relaxed);
    appender.join().unwrap();
    let archive = archive_path(&s);
    let recs = records(&archive);
    let r = record(&recs, &logical(&log));
    assert_eq!(r["status"], "changed_during_read", "{r}");
    let change = &r["change"];
    assert!(change["size_after"].as_u64().unwrap() > change["size_before"].as_u64().unwrap());
    // What was stored is exactly what was read, and hashed as such.
    let content = member_content(&archive, r["member"].as_str().unwrap());
    assert_eq!(content.len() as u64, change["bytes_read"].as_u64().unwrap());
    assert_eq!(r["sha256"].as_str().unwrap(), sha256_hex(&content));
    assert!(
        s["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["status"] == "changed_during_read")
    );
    assert_eq!(verify(&archive).0, 0);
}

/// Deletes one file after the walk has listed it and before it is read.
struct DeleteDuringWalk {
    victim: Vec<u8>,
}

impl Selector for DeleteDuringWalk {
    fn descend(&self, _: &[u8], _: usize) -> bool {
        true
    }
    fn select(&self, logical: &[u8], _: EntryType, _: u64) -> Selection {
        if logical == self.victim.as_slice() {
            let _ = fs::remove_file(std::ffi::OsStr::from_bytes(logical));
        }
        Selection::Content {
            size_limit: None,
            rule: None,
            flags: Vec::new(),
        }
    }
}

#[test]
fn file_vanishing_between_listing_and_reading_is_recorded() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("stays"), "here").unwrap();
    fs::write(src.join("goes"), "gone soon").unwrap();
    let victim = logical(&src.join("goes"));
    let mut req = CaptureRequest::new(vec![src.clone()], t.path().join("out"), "C", "E");
    req.selector = Some(Arc::new(DeleteDuringWalk {
        victim: victim.as_bytes().to_vec(),
    }));
    let s = run_capture(&req, &NoProgress, &CancelToken::new()).unwrap();
    let recs = records(&s.archive);
    let r = record(&recs, &victim);
    assert_eq!(r["status"], "vanished");
    assert!(r.get("member").is_none());
    assert!(
        s.errors
            .iter()
            .any(|e| e.path == victim && e.status == Status::Vanished.as_str())
    );
    assert_eq!(verify(&s.archive).0, 0);
}

#[test]
fn full_disk_leaves_no_archive_that_looks_complete() {
    assert!(
        is_root(),
        "this test mounts a 1 MiB tmpfs and must run as root (CI runs as root)"
    );
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    // Random data does not compress: 4 MiB cannot fit in 1 MiB.
    let mut noise = vec![0u8; 4 << 20];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in noise.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    fs::write(src.join("noise.bin"), &noise).unwrap();
    let out = t.path().join("small-disk");
    fs::create_dir_all(&out).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(mounted.success(), "mount tmpfs failed");
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _guard = Unmount(&out);
    let o = exhibit()
        .args([
            "capture",
            src.to_str().unwrap(),
            "--case",
            "C",
            "--examiner",
            "E",
            "-q",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("No space left on device"), "{err}");
    assert!(
        err.contains(".zip.partial"),
        "the error names the partial file: {err}"
    );
    assert!(no_zip_in(&out), "a .zip was left on a full disk");
    assert_eq!(partials_in(&out).len(), 1);
}

#[test]
fn cancelled_capture_leaves_only_a_partial_file() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    for i in 0..40 {
        fs::write(
            src.join(format!("f{i}")),
            vec![b'a' + (i % 26) as u8; 2 << 20],
        )
        .unwrap();
    }
    let out = t.path().join("out");
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    let req = CaptureRequest::new(vec![src.clone()], out.clone(), "C", "E");
    let progress = move |p: &exhibit::job::Progress| {
        if p.files_done >= 3 {
            c2.cancel();
        }
    };
    match run_capture(&req, &progress, &cancel) {
        Err(CaptureError::Cancelled(partial)) => {
            assert!(partial.to_string_lossy().ends_with(".zip.partial"));
            assert!(partial.exists());
        }
        other => panic!("expected a cancelled capture, got {other:?}"),
    }
    assert!(no_zip_in(&out));
}

#[test]
fn sigint_and_sigkill_leave_no_archive() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    for i in 0..64 {
        fs::write(
            src.join(format!("f{i}")),
            vec![b'0' + (i % 10) as u8; 4 << 20],
        )
        .unwrap();
    }
    for signal in [rustix::process::Signal::INT, rustix::process::Signal::KILL] {
        let out = t.path().join(format!("out-{}", signal.as_raw()));
        let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("exhibit"))
            .args([
                "capture",
                src.to_str().unwrap(),
                "--case",
                "C",
                "--examiner",
                "E",
                "-q",
                "--threads",
                "1",
                "-o",
            ])
            .arg(&out)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until the partial archive exists, then interrupt.
        for _ in 0..200 {
            if !partials_in(&out).is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        rustix::process::kill_process(pid, signal).unwrap();
        let o = child.wait_with_output().unwrap();
        assert!(!o.status.success(), "interrupted capture must not succeed");
        assert!(no_zip_in(&out), "a .zip exists after {signal:?}");
        if signal == rustix::process::Signal::INT {
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                err.contains("cancelled") && err.contains(".zip.partial"),
                "{err}"
            );
        }
    }
}

#[test]
fn zip64_for_a_member_over_4_gib() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    let sparse = fs::File::create(src.join("sparse.img")).unwrap();
    sparse.set_len(5 << 30).unwrap();
    drop(sparse);
    fs::write(src.join("after.txt"), "a member after the big one").unwrap();
    let s = capture(&[src.to_str().unwrap()], &t.path().join("out"));
    let archive = archive_path(&s);
    let (code, report) = verify(&archive);
    assert_eq!(code, 0, "{report:#}");
    // Readers we did not write agree.
    let f = fs::File::open(&archive).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    let name = z
        .file_names()
        .find(|n| n.ends_with("sparse.img"))
        .unwrap()
        .to_string();
    assert_eq!(z.by_name(&name).unwrap().size(), 5 << 30);
    tool("unzip", &["-tq", archive.to_str().unwrap()], t.path());
    tool(
        "python3",
        &[
            "-c",
            "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); i=[i for i in z.infolist() if i.filename.endswith('sparse.img')][0]; assert i.file_size==5<<30, i.file_size; assert z.testzip() is None",
            archive.to_str().unwrap(),
        ],
        t.path(),
    );
    let recs = records(&archive);
    let r = record(&recs, &logical(&src.join("sparse.img")));
    assert_eq!(r["size"], 5u64 << 30);
    assert_eq!(r["status"], "captured");
}

#[test]
fn zip64_for_more_than_65535_entries() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    for d in 0..70 {
        let dir = src.join(format!("d{d:02}"));
        fs::create_dir_all(&dir).unwrap();
        for i in 0..1000 {
            fs::write(dir.join(format!("{i}")), format!("{d}/{i}")).unwrap();
        }
    }
    let s = capture(&[src.to_str().unwrap()], &t.path().join("out"));
    assert_eq!(s["files"], 70_000);
    let archive = archive_path(&s);
    let (code, report) = verify(&archive);
    assert_eq!(code, 0, "{report:#}");
    let f = fs::File::open(&archive).unwrap();
    let z = zip::ZipArchive::new(f).unwrap();
    assert!(z.len() > 70_000);
    tool(
        "python3",
        &[
            "-c",
            "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert len(z.infolist())>70000; assert z.testzip() is None",
            archive.to_str().unwrap(),
        ],
        t.path(),
    );
    tool("unzip", &["-tq", archive.to_str().unwrap()], t.path());
}
