//! Peer comparison with AIDE (the Debian `aide` package): on the same
//! generated before/after server tree, every path AIDE reports as added,
//! removed or changed is reported by `exhibit diff`, and Exhibit classes the
//! log changes that AIDE can only call "changed" (appended, truncated,
//! rewritten, rotated).
//!
//! Flow, as in a real response: AIDE database and an Exhibit capture of the
//! tree are taken first; then the tree is "compromised" in place; then
//! `aide --check` and `exhibit diff ARCHIVE TREE` run on it.
//! `scripts/install-test-tools.sh` installs AIDE.

use crate::util::write;
use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn append(root: &Path, rel: &str, content: &[u8]) {
    std::fs::OpenOptions::new()
        .append(true)
        .open(root.join(rel))
        .and_then(|mut f| f.write_all(content))
        .expect("append");
}

fn aide(conf: &Path, mode: &str) -> std::process::Output {
    std::process::Command::new("aide")
        .arg(mode)
        .arg("-c")
        .arg(conf)
        .output()
        .expect("aide is not installed: run scripts/install-test-tools.sh")
}

/// Paths in AIDE's plain report sections "Added/Removed/Changed entries".
fn aide_paths(report: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut section = None;
    for line in report.lines() {
        let l = line.trim_end();
        match l {
            "Added entries:" => section = Some("added"),
            "Removed entries:" => section = Some("removed"),
            "Changed entries:" => section = Some("changed"),
            _ if l.starts_with("Detailed information") || l.starts_with("The attributes of") => {
                section = None
            }
            _ => {
                if let Some(s) = section
                    && let Some((_, path)) = l.split_once(": /")
                {
                    out.insert((s.to_string(), format!("/{path}")));
                }
            }
        }
    }
    out
}

#[test]
fn exhibit_reports_everything_aide_reports_and_classes_logs() {
    let tmp = tempfile::tempdir().expect("tmp");
    let work = tmp.path().canonicalize().expect("canon");
    let tree = work.join("tree");
    let logs = [
        (
            "var/log/syslog",
            "Nov 1 10:00:00 web01 systemd[1]: Started cron.\n",
        ),
        (
            "var/log/auth.log",
            "Nov 1 10:00:01 web01 sshd[5]: Accepted publickey for deploy from 198.51.100.7\n",
        ),
        (
            "var/log/nginx/access.log",
            "198.51.100.7 - - [01/Nov/2026:10:00:02 +0000] \"GET / HTTP/1.1\" 200 612\n198.51.100.7 - - [01/Nov/2026:10:00:03 +0000] \"GET /about HTTP/1.1\" 200 1024\n",
        ),
        (
            "var/log/apache2/error.log",
            "[Sun Nov 01 10:00:00 2026] [notice] started\n[Sun Nov 01 10:00:05 2026] [error] client denied\n[Sun Nov 01 10:00:06 2026] [notice] ok\n",
        ),
        (
            "var/log/mail.log",
            "Nov 1 10:00:00 web01 postfix[7]: started\n",
        ),
    ];
    for (p, c) in logs {
        write(&tree, p, c.as_bytes());
    }
    write(
        &tree,
        "etc/passwd",
        b"root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n",
    );
    write(&tree, "etc/hosts", b"127.0.0.1 localhost\n");
    write(&tree, "etc/old.conf", b"obsolete=1\n");
    write(&tree, "var/www/html/index.php", b"<?php echo 'hi'; ?>\n");
    write(&tree, "usr/local/bin/tool", b"#!/bin/sh\necho tool\n");
    std::os::unix::fs::symlink("/etc/hosts", tree.join("etc/hosts.link")).expect("ln");

    let conf = work.join("aide.conf");
    let db = work.join("aide.db");
    std::fs::write(
        &conf,
        format!(
            "database_in=file:{db}\ndatabase_out=file:{db}.new\ngzip_dbout=no\nreport_url=stdout\n\
             R = p+i+n+u+g+s+m+c+sha256+ftype+l\n{tree} R\n",
            db = db.display(),
            tree = tree.display()
        ),
    )
    .expect("conf");
    let init = aide(&conf, "--init");
    assert!(
        init.status.success(),
        "aide --init: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    std::fs::rename(format!("{}.new", db.display()), &db).expect("db");

    let archives = work.join("archives");
    std::fs::create_dir_all(&archives).expect("mkdir");
    let cap = Command::cargo_bin("exhibit")
        .expect("bin")
        .args(["capture", "--root"])
        .arg(&tree)
        .arg("-o")
        .arg(&archives)
        .args(["--case", "PEER", "--examiner", "Tester", "--json", "-q"])
        .output()
        .expect("capture");
    assert!(
        cap.status.success(),
        "{}",
        String::from_utf8_lossy(&cap.stderr)
    );
    let cap: Value = serde_json::from_slice(&cap.stdout).expect("json");
    let archive = cap["archive"].as_str().expect("archive").to_string();

    // The compromise, in place.
    append(
        &tree,
        "var/log/syslog",
        b"Nov 1 11:00:00 web01 CRON[9]: (root) CMD (/tmp/.x)\n",
    );
    std::fs::OpenOptions::new()
        .write(true)
        .open(tree.join("var/log/nginx/access.log"))
        .and_then(|f| f.set_len(73))
        .expect("truncate");
    write(
        &tree,
        "var/log/apache2/error.log",
        b"[Sun Nov 01 10:00:00 2026] [notice] started\n[Sun Nov 01 10:00:06 2026] [notice] ok\n",
    );
    std::fs::rename(
        tree.join("var/log/mail.log"),
        tree.join("var/log/mail.log.1"),
    )
    .expect("rotate");
    write(
        &tree,
        "var/log/mail.log",
        b"Nov 1 12:00:00 web01 postfix[8]: started\n",
    );
    write(&tree, "etc/passwd", b"root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\nsys:x:0:0::/root:/bin/bash\n");
    std::fs::remove_file(tree.join("etc/old.conf")).expect("rm");
    write(
        &tree,
        "var/www/html/uploads/shell.php",
        b"<?php system($_GET['c']); ?>\n",
    );
    std::fs::set_permissions(
        tree.join("usr/local/bin/tool"),
        std::fs::Permissions::from_mode(0o4755),
    )
    .expect("chmod");
    std::fs::remove_file(tree.join("etc/hosts.link")).expect("rm");
    std::os::unix::fs::symlink("/dev/null", tree.join("etc/hosts.link")).expect("ln");

    let check = aide(&conf, "--check");
    let report = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(
        check.status.code().unwrap_or(0) != 0 && check.status.code().unwrap_or(0) < 14,
        "aide --check found no differences or failed: {report}\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let prefix = tree.display().to_string();
    let aide_found: BTreeSet<(String, String)> = aide_paths(&report)
        .into_iter()
        .filter_map(|(k, p)| {
            let logical = p.strip_prefix(&prefix)?;
            Some((
                k,
                if logical.is_empty() {
                    "/".into()
                } else {
                    logical.to_string()
                },
            ))
        })
        .collect();
    assert!(
        aide_found.len() >= 10,
        "AIDE report parsed: {aide_found:?}\n{report}"
    );

    let out = Command::cargo_bin("exhibit")
        .expect("bin")
        .arg("diff")
        .arg(&archive)
        .arg(&tree)
        .arg("--json")
        .output()
        .expect("diff");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut exhibit_paths = BTreeSet::new();
    let mut class = std::collections::BTreeMap::new();
    for c in v["changes"].as_array().expect("changes") {
        let p = c["path"].as_str().expect("path").to_string();
        class.insert(p.clone(), c["change"].as_str().expect("class").to_string());
        exhibit_paths.insert(p);
        if let Some(f) = c["renamed_from"].as_str() {
            exhibit_paths.insert(f.to_string());
        }
    }
    let missed: Vec<_> = aide_found
        .iter()
        .filter(|(_, p)| !exhibit_paths.contains(p))
        .collect();
    assert!(
        missed.is_empty(),
        "AIDE reported, Exhibit did not: {missed:?}"
    );

    // Where AIDE says only "changed", Exhibit says how.
    for (path, want) in [
        ("/var/log/syslog", "appended"),
        ("/var/log/nginx/access.log", "truncated"),
        ("/var/log/apache2/error.log", "rewritten"),
        ("/var/log/mail.log", "rotated"),
    ] {
        assert!(
            aide_found.contains(&("changed".to_string(), path.to_string())),
            "AIDE reports {path} as changed"
        );
        assert_eq!(class.get(path).map(String::as_str), Some(want), "{path}");
    }
    assert_eq!(
        class.get("/var/log/mail.log.1").map(String::as_str),
        Some("added")
    );
    assert_eq!(
        class.get("/etc/old.conf").map(String::as_str),
        Some("removed")
    );
}
