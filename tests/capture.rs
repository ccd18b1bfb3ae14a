//! Capture round trips on generated trees: every entry type, hostile names,
//! hard links, symlinks, and the acquisition rules (never follow, never
//! open special files, never modify the source).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

use crate::util::*;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;

/// A tree with one of everything a capture can meet.
fn hostile_tree(dir: &Path) {
    fs::create_dir_all(dir.join("etc/sub")).unwrap();
    fs::write(dir.join("etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    let log: String = (0..20_000)
        .map(|i| format!("Nov 22 10:00:{:02} host sshd[1]: line {i}\n", i % 60))
        .collect();
    fs::write(dir.join("etc/sub/big.log"), &log).unwrap();
    fs::write(dir.join("empty"), "").unwrap();
    fs::write(dir.join("already.gz"), b"\x1f\x8b\x08\x00not really gzip").unwrap();
    // Hostile names.
    fs::write(
        dir.join(OsStr::from_bytes(b"bad\xff\xfename")),
        "invalid utf-8 name",
    )
    .unwrap();
    fs::write(dir.join("new\nline"), "newline in name").unwrap();
    fs::write(dir.join("tab\there"), "tab in name").unwrap();
    fs::write(dir.join("100%.txt"), "percent").unwrap();
    fs::write(dir.join("%41%25"), "percent escapes").unwrap();
    fs::write(dir.join("-rf"), "leading dash").unwrap();
    fs::write(dir.join("pipe|name"), "pipe").unwrap();
    fs::write(dir.join("caf\u{e9} \u{1f600}"), "unicode").unwrap();
    // Links.
    fs::hard_link(dir.join("etc/passwd"), dir.join("passwd-hardlink")).unwrap();
    symlink("/etc/shadow", dir.join("abs-link")).unwrap();
    symlink("etc", dir.join("dir-link")).unwrap();
    symlink("loop-b", dir.join("loop-a")).unwrap();
    symlink("loop-a", dir.join("loop-b")).unwrap();
    symlink("missing-target", dir.join("dangling")).unwrap();
    // Special files.
    rustix::fs::mknodat(
        rustix::fs::CWD,
        dir.join("fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let _sock = std::os::unix::net::UnixListener::bind(dir.join("socket")).unwrap();
    std::mem::forget(_sock);
    // Modes.
    fs::write(dir.join("setuid"), "suid").unwrap();
    fs::set_permissions(dir.join("setuid"), fs::Permissions::from_mode(0o4755)).unwrap();
}

#[test]
fn round_trip_preserves_every_entry_and_byte() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    hostile_tree(&src);
    let out = t.path().join("out");
    let summary = capture(&[src.to_str().unwrap()], &out);
    let archive = archive_path(&summary);
    assert!(archive.extension() == Some(OsStr::new("zip")));
    assert_eq!(
        summary["sha256"].as_str().unwrap(),
        sha256_hex(&fs::read(&archive).unwrap())
    );

    let (code, report) = verify(&archive);
    assert_eq!(code, 0, "verify: {report:#}");

    let recs = records(&archive);
    let base = logical(&src);
    // Every entry of the tree has exactly one record (walk it independently).
    let mut expected = vec![base.clone()];
    for e in walk_all(&src) {
        expected.push(format!("{base}/{}", rel_string(&src, &e)));
    }
    let mut got: Vec<String> = recs
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);

    // Regular files: content read back through an independent reader equals the source.
    for r in &recs {
        if r["type"] != "file" {
            continue;
        }
        let bytes = match r["path_bytes_b64"].as_str() {
            Some(b) => {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.decode(b).unwrap()
            }
            None => r["path"].as_str().unwrap().as_bytes().to_vec(),
        };
        let source = fs::read(Path::new(OsStr::from_bytes(&bytes))).unwrap();
        let member = r["member"].as_str().expect("regular file has a member");
        assert_eq!(member_content(&archive, member), source, "{}", r["path"]);
        assert_eq!(r["sha256"].as_str().unwrap(), sha256_hex(&source));
        assert_eq!(r["status"], "captured");
    }

    // Non-UTF-8 name: escaped path, exact bytes kept.
    let bad = record(&recs, &format!("{base}/bad%FF%FEname"));
    use base64::Engine as _;
    let exact = base64::engine::general_purpose::STANDARD
        .decode(bad["path_bytes_b64"].as_str().unwrap())
        .unwrap();
    assert!(exact.ends_with(b"bad\xff\xfename"));

    // Symlinks are recorded, never followed.
    let abs = record(&recs, &format!("{base}/abs-link"));
    assert_eq!(abs["type"], "symlink");
    assert_eq!(abs["link_target"], "/etc/shadow");
    assert!(abs.get("member").is_none());
    assert_eq!(
        record(&recs, &format!("{base}/dir-link"))["type"],
        "symlink"
    );
    assert!(!recs.iter().any(|r| {
        r["path"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{base}/dir-link/"))
    }));
    assert_eq!(
        record(&recs, &format!("{base}/loop-a"))["link_target"],
        "loop-b"
    );
    assert_eq!(
        record(&recs, &format!("{base}/dangling"))["type"],
        "symlink"
    );

    // Special files are recorded and skipped with the reason.
    for (name, kind) in [("fifo", "fifo"), ("socket", "socket")] {
        let r = record(&recs, &format!("{base}/{name}"));
        assert_eq!(r["type"], kind);
        assert_eq!(r["status"], "skipped");
        assert!(r["reason"].as_str().unwrap().starts_with("special_file"));
    }

    // Hard links: one member, every name recorded.
    let a = record(&recs, &format!("{base}/etc/passwd"));
    let b = record(&recs, &format!("{base}/passwd-hardlink"));
    assert_eq!(a["member"], b["member"]);
    assert_eq!(b["hardlink_of"], a["path"]);
    assert_eq!(a["sha256"], b["sha256"]);
    let payload: Vec<String> = members(&archive)
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| n.contains("/data/"))
        .collect();
    assert_eq!(
        payload
            .iter()
            .filter(|n| n.ends_with("passwd") || n.ends_with("passwd-hardlink"))
            .count(),
        1
    );

    // Mode, owner and nanosecond times.
    let suid = record(&recs, &format!("{base}/setuid"));
    assert_eq!(suid["mode"], "4755");
    let meta = fs::symlink_metadata(src.join("setuid")).unwrap();
    assert_eq!(suid["inode"].as_u64().unwrap(), meta.ino());
    let mtime = chrono::DateTime::parse_from_rfc3339(suid["mtime"].as_str().unwrap()).unwrap();
    assert_eq!(mtime.timestamp(), meta.mtime());
    assert_eq!(mtime.timestamp_subsec_nanos() as i64, meta.mtime_nsec());

    // Already-compressed content is stored, text is deflated.
    let f = fs::File::open(&archive).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    let gz = record(&recs, &format!("{base}/already.gz"))["member"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        z.by_name(&gz).unwrap().compression(),
        zip::CompressionMethod::Stored
    );
    let log = record(&recs, &format!("{base}/etc/sub/big.log"))["member"]
        .as_str()
        .unwrap()
        .to_string();
    let m = z.by_name(&log).unwrap();
    assert_eq!(m.compression(), zip::CompressionMethod::Deflated);
    assert!(m.compressed_size() * 5 < m.size());
    assert_eq!(m.unix_mode().map(|m| m & 0o7777), Some(0o644));
}

fn walk_all(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let is_dir = fs::symlink_metadata(&p).unwrap().is_dir();
        out.push(p.clone());
        if is_dir {
            out.extend(walk_all(&p));
        }
    }
    out
}

fn rel_string(base: &Path, p: &Path) -> String {
    let (s, _) =
        exhibit::archive::names::escape_bytes(p.strip_prefix(base).unwrap().as_os_str().as_bytes());
    s
}

#[test]
fn capture_never_modifies_the_source() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    hostile_tree(&src);
    // Access times in the past (before mtime), so any read would update them
    // even under relatime.
    let old = rustix::fs::Timestamps {
        last_access: rustix::fs::Timespec {
            tv_sec: 1_000_000_000,
            tv_nsec: 0,
        },
        last_modification: rustix::fs::Timespec {
            tv_sec: 1_500_000_000,
            tv_nsec: 0,
        },
    };
    let mut before = Vec::new();
    for p in walk_all(&src) {
        if fs::symlink_metadata(&p).unwrap().file_type().is_symlink() {
            continue;
        }
        rustix::fs::utimensat(rustix::fs::CWD, &p, &old, rustix::fs::AtFlags::empty()).unwrap();
    }
    for p in walk_all(&src) {
        let m = fs::symlink_metadata(&p).unwrap();
        let content = if m.is_file() { fs::read(&p).ok() } else { None };
        before.push((p, m.atime(), m.mtime(), m.ctime(), m.size(), content));
    }
    // Reading the content above touched nothing (we set atime again).
    for (p, ..) in &before {
        if !fs::symlink_metadata(p).unwrap().file_type().is_symlink() {
            rustix::fs::utimensat(rustix::fs::CWD, p, &old, rustix::fs::AtFlags::empty()).unwrap();
        }
    }
    let ctimes: Vec<i64> = before
        .iter()
        .map(|(p, ..)| fs::symlink_metadata(p).unwrap().ctime())
        .collect();
    capture(&[src.to_str().unwrap()], &t.path().join("out"));
    for ((p, _, mtime, _, size, _), ctime) in before.iter().zip(ctimes) {
        let m = fs::symlink_metadata(p).unwrap();
        assert_eq!(m.mtime(), *mtime, "{p:?} mtime changed");
        assert_eq!(m.ctime(), ctime, "{p:?} ctime changed");
        assert_eq!(m.size(), *size, "{p:?} size changed");
        if !m.file_type().is_symlink() && is_root() {
            // O_NOATIME needs file ownership or CAP_FOWNER: as root it always applies.
            assert_eq!(m.atime(), 1_000_000_000, "{p:?} atime changed");
        }
    }
    // Content last: reading it here updates access times (hard links share them).
    for (p, _, _, _, _, content) in &before {
        if let Some(c) = content {
            assert_eq!(&fs::read(p).unwrap(), c);
        }
    }
}

#[test]
fn root_capture_resolves_links_inside_the_target() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("image");
    fs::create_dir_all(root.join("usr/bin")).unwrap();
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::write(root.join("usr/bin/ls"), "image ls").unwrap();
    symlink("usr/bin", root.join("bin")).unwrap();
    // An absolute link must mean the image's /etc/hostname, not the examiner's.
    fs::write(root.join("etc/hostname"), "victim-web01\n").unwrap();
    symlink("/etc/hostname", root.join("etc/hostname-link")).unwrap();
    let out = t.path().join("out");
    // `/bin/ls` goes through the image's usrmerge link, resolved inside the root.
    let s = capture(&["--root", root.to_str().unwrap(), "/bin/ls", "/etc"], &out);
    let archive = archive_path(&s);
    assert!(
        archive
            .file_name()
            .unwrap()
            .to_string_lossy()
            .contains("victim-web01")
    );
    let recs = records(&archive);
    let ls = record(&recs, "/usr/bin/ls");
    assert_eq!(
        member_content(&archive, ls["member"].as_str().unwrap()),
        b"image ls"
    );
    assert!(ls["member"].as_str().unwrap().ends_with("/data/usr/bin/ls"));
    let link = record(&recs, "/etc/hostname-link");
    assert_eq!(link["type"], "symlink");
    assert_eq!(link["link_target"], "/etc/hostname");
    // Nothing of the examiner's machine was recorded.
    assert!(recs.iter().all(|r| {
        !r["path"]
            .as_str()
            .unwrap()
            .starts_with(t.path().to_str().unwrap())
    }));
    let acq: serde_json::Value = serde_json::from_slice(
        &members(&archive)
            .into_iter()
            .find(|(n, _)| n.ends_with("exhibit/acquisition.json"))
            .unwrap()
            .1,
    )
    .unwrap();
    assert_eq!(acq["host"]["hostname"], "victim-web01");
    assert_eq!(acq["host"]["from_target_root"], true);
}

#[test]
fn missing_source_is_a_clear_error_and_writes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let o = exhibit()
        .args([
            "capture",
            "/nonexistent/exhibit-test",
            "--case",
            "C",
            "--examiner",
            "E",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("/nonexistent/exhibit-test"), "{err}");
    assert!(!out.exists() || fs::read_dir(&out).unwrap().next().is_none());
}

#[test]
fn acquisition_and_bag_info_describe_the_capture() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("a"), "aaaa").unwrap();
    fs::write(src.join("b"), "bb").unwrap();
    let o = exhibit()
        .args([
            "capture",
            src.to_str().unwrap(),
            "--case",
            "IR-2026-7",
            "--examiner",
            "Ana Lyst",
        ])
        .args([
            "--evidence",
            "EV 3",
            "--org",
            "ACME CERT",
            "--purpose",
            "data leak\nsecond line",
            "--json",
            "-q",
            "-o",
        ])
        .arg(t.path().join("out"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in [
        "archive",
        "sha256",
        "files",
        "bytes",
        "errors",
        "custody_log",
    ] {
        assert!(s.get(key).is_some(), "summary lacks {key}");
    }
    assert_eq!(s["files"], 2);
    assert_eq!(s["bytes"], 6);
    let archive = archive_path(&s);
    let name = archive.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("IR-2026-7_EV-3_"), "{name}");
    let all = members(&archive);
    let stem = name.strip_suffix(".zip").unwrap();
    assert!(all.iter().all(|(n, _)| n.starts_with(&format!("{stem}/"))));
    let info = String::from_utf8(
        all.iter()
            .find(|(n, _)| n.ends_with("/bag-info.txt"))
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    assert!(info.contains("Payload-Oxum: 6.2\n"), "{info}");
    assert!(info.contains("Source-Organization: ACME CERT\n"));
    assert!(info.contains("External-Identifier: IR-2026-7 / EV 3\n"));
    // User input cannot break the tag file's line structure.
    assert!(
        info.contains("External-Description: data leak second line\n"),
        "{info}"
    );
    let acq: serde_json::Value = serde_json::from_slice(
        &all.iter()
            .find(|(n, _)| n.ends_with("exhibit/acquisition.json"))
            .unwrap()
            .1,
    )
    .unwrap();
    assert_eq!(acq["case"]["case_id"], "IR-2026-7");
    assert_eq!(acq["examiner"]["name"], "Ana Lyst");
    assert_eq!(acq["method"]["interface"], "cli");
    assert!(
        acq["method"]["command_line"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "--purpose")
    );
    assert_eq!(acq["counts"]["files_captured"], 2);
    assert!(acq["host"]["hostname"].is_string());
}

#[test]
fn output_inside_the_source_is_not_captured_into_itself() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("a.log"), "line\n".repeat(1000)).unwrap();
    let out = src.join("evidence");
    let s = capture(&[src.to_str().unwrap()], &out);
    let archive = archive_path(&s);
    let recs = records(&archive);
    let own = recs
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with(".zip.partial"))
        .expect("the output file is recorded");
    assert_eq!(own["status"], "skipped");
    assert!(own["reason"].as_str().unwrap().contains("own output"));
    assert!(own.get("member").is_none());
    assert_eq!(verify(&archive).0, 0);
}

#[test]
fn a_source_on_a_pseudo_filesystem_is_recorded_not_read() {
    // /proc/kcore claims ~128 TiB; proc files change as they are read.
    let t = tempfile::tempdir().unwrap();
    let s = capture(
        &["/proc/version", "/proc/sys/kernel"],
        &t.path().join("out"),
    );
    let archive = archive_path(&s);
    let recs = records(&archive);
    let paths: Vec<&str> = recs.iter().map(|r| r["path"].as_str().unwrap()).collect();
    for p in ["/proc/version", "/proc/sys/kernel"] {
        assert!(paths.contains(&p), "{paths:?}");
        let r = record(&recs, p);
        assert_eq!(r["status"], "skipped", "{r}");
        assert!(
            r["reason"]
                .as_str()
                .unwrap()
                .starts_with("other_filesystem: proc"),
            "{r}"
        );
        assert!(r.get("member").is_none());
    }
    assert!(
        !recs
            .iter()
            .any(|r| r["path"].as_str().unwrap().starts_with("/proc/sys/kernel/"))
    );
    assert_eq!(verify(&archive).0, 0);
}
