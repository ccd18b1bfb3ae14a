//! `exhibit stack`: five host trees that share their files, one of them
//! (`web3`) with a replaced `/usr/bin/ps`, an extra uid-0 account, an extra
//! authorized key, an extra cron entry and an extra SUID file, each
//! captured with the real `exhibit capture --root`. The stack must name
//! exactly those on `web3` (checked against `sha256sum` and `ssh-keygen`,
//! which we did not write), leave identical and host-specific files alone,
//! use the newest of two snapshots of one host (not a newer one of
//! narrower scope), and find nothing rare among two hosts.

use crate::util::scenario::capture_tree;
use crate::util::{exhibit, tool, write};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
                      daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
                      alice:x:1000:1000:Alice:/home/alice:/bin/bash\n";
const CRONTAB: &str = "SHELL=/bin/sh\n\
                       # m h dom mon dow user command\n\
                       17 *  * * *  root  cd / && run-parts --report /etc/cron.hourly\n";
const UNIT: &str = "[Unit]\nDescription=App\n[Service]\nExecStart=/usr/local/bin/app --serve\n";

/// A fresh ed25519 public key line, made by ssh-keygen, and its
/// fingerprint as ssh-keygen prints it.
fn keypair(dir: &Path, name: &str) -> (String, String) {
    let key = dir.join(name);
    tool(
        "ssh-keygen",
        &[
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            &format!("{name}@example.org"),
            "-f",
            key.to_str().unwrap(),
        ],
        dir,
    );
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let fp = tool(
        "ssh-keygen",
        &["-l", "-f", key.with_extension("pub").to_str().unwrap()],
        dir,
    );
    let fp = fp.split_whitespace().nth(1).unwrap().to_string();
    (public.trim().to_string(), fp)
}

fn chmod(root: &Path, rel: &str, mode: u32) {
    std::fs::set_permissions(root.join(rel), std::fs::Permissions::from_mode(mode)).unwrap();
}

/// One host's tree: the shared files, its own identity and log.
pub(crate) fn host_tree(base: &Path, name: &str, admin_key: &str) -> PathBuf {
    let root = base.join(name);
    write(&root, "etc/hostname", format!("{name}\n").as_bytes());
    write(
        &root,
        "etc/machine-id",
        format!("{:0>32}\n", name.len() * 7 + name.as_bytes()[3] as usize).as_bytes(),
    );
    write(&root, "etc/passwd", PASSWD.as_bytes());
    write(&root, "etc/group", b"root:x:0:\nsudo:x:27:alice\n");
    write(&root, "etc/crontab", CRONTAB.as_bytes());
    write(&root, "etc/ssh/sshd_config", b"PermitRootLogin no\n");
    write(&root, "etc/systemd/system/app.service", UNIT.as_bytes());
    write(&root, "usr/bin/ps", b"\x7fELF the real ps\n");
    write(&root, "usr/bin/ls", b"\x7fELF the real ls\n");
    write(&root, "usr/bin/sudo", b"\x7fELF sudo\n");
    chmod(&root, "usr/bin/ps", 0o755);
    chmod(&root, "usr/bin/ls", 0o755);
    chmod(&root, "usr/bin/sudo", 0o4755);
    write(
        &root,
        "root/.ssh/authorized_keys",
        format!("{admin_key}\n").as_bytes(),
    );
    // Differs on every host, and is host-specific anyway.
    write(
        &root,
        "var/log/syslog",
        format!("Mar 11 10:00:00 {name} boot\n").as_bytes(),
    );
    root
}

fn stack(args: &[&Path], extra: &[&str]) -> Value {
    let out = exhibit()
        .arg("stack")
        .args(args)
        .args(extra)
        .args(["--json", "-q"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stack failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The outliers as (kind, key, value, hosts).
fn outliers(doc: &Value) -> Vec<(String, String, String, Vec<String>)> {
    doc["outliers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap().to_string(),
                o["key"].as_str().unwrap().to_string(),
                o["value"].as_str().unwrap().to_string(),
                o["hosts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| h.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn the_one_host_with_a_trojan_and_a_backdoor_stands_out() {
    let dir = tempfile::tempdir().unwrap();
    let trees = dir.path().join("trees");
    let (admin, _) = keypair(dir.path(), "admin");
    let (intruder, intruder_fp) = keypair(dir.path(), "intruder");
    let names = ["web1", "web2", "web3", "web4", "web5"];
    let roots: Vec<PathBuf> = names.iter().map(|n| host_tree(&trees, n, &admin)).collect();
    let web3 = &roots[2];
    write(web3, "usr/bin/ps", b"\x7fELF a ps that hides the miner\n");
    write(
        web3,
        "etc/passwd",
        format!("{PASSWD}toor:x:0:0::/root:/bin/bash\n").as_bytes(),
    );
    write(
        web3,
        "root/.ssh/authorized_keys",
        format!("{admin}\n{intruder}\n").as_bytes(),
    );
    write(
        web3,
        "etc/crontab",
        format!("{CRONTAB}*/5 * * * * root /usr/local/bin/.update >/dev/null 2>&1\n").as_bytes(),
    );
    write(web3, "usr/local/bin/.update", b"#!/bin/sh\n");
    chmod(web3, "usr/local/bin/.update", 0o4755);
    // A file the first snapshot of web1 has and the second not: the
    // newest snapshot must be the one stacked.
    write(&roots[0], "opt/old-only.txt", b"gone later\n");

    let out = dir.path().join("out");
    let old_web1 = capture_tree(&roots[0], &out.join("first"));
    std::fs::remove_file(roots[0].join("opt/old-only.txt")).unwrap();
    let mut archives: Vec<PathBuf> = roots.iter().map(|r| capture_tree(r, &out)).collect();
    archives.push(old_web1.clone());
    let paths: Vec<&Path> = archives.iter().map(PathBuf::as_path).collect();
    let doc = stack(&paths, &[]);

    // Five hosts, named by their hostnames; web1's older snapshot replaced.
    let hosts: Vec<&str> = doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, names, "{doc:#}");
    let web1 = &doc["hosts"][0];
    assert_eq!(
        web1["replaced"][0].as_str().unwrap(),
        old_web1.display().to_string()
    );
    assert!(
        doc["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("newest is used")),
        "{doc:#}"
    );

    let found = outliers(&doc);
    let has = |kind: &str, key: &str| found.iter().find(|o| o.0 == kind && o.1 == key);
    let only_web3 = |kind: &str, key: &str| {
        let o = has(kind, key).unwrap_or_else(|| panic!("no {kind} outlier {key}: {found:#?}"));
        assert_eq!(o.3, vec!["web3".to_string()], "{o:?}");
        o.clone()
    };
    // The trojaned ps: its hash (as sha256sum reads it) against the majority's.
    let ps = only_web3("file", "/usr/bin/ps");
    let sum = tool(
        "sha256sum",
        &[web3.join("usr/bin/ps").to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(
        ps.2,
        format!("sha256:{}", sum.split_whitespace().next().unwrap())
    );
    let ps_doc = doc["outliers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"] == "/usr/bin/ps")
        .unwrap();
    assert_eq!(ps_doc["class"], "differs");
    assert_eq!(ps_doc["of"], 5);
    assert_eq!(ps_doc["majority_hosts"], 4);
    let good = tool(
        "sha256sum",
        &[roots[0].join("usr/bin/ps").to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(
        ps_doc["majority"].as_str().unwrap(),
        format!("sha256:{}", good.split_whitespace().next().unwrap())
    );
    assert_eq!(ps_doc["severity"], "critical");

    let toor = only_web3("account", "toor");
    assert!(toor.2.starts_with("uid 0"), "{toor:?}");
    let key = only_web3(
        "ssh_key",
        &format!("/root/.ssh/authorized_keys {intruder_fp}"),
    );
    // The key's comment names a person: masked unless asked.
    assert!(key.2.starts_with("ssh-ed25519 i***@example.org"), "{key:?}");
    only_web3(
        "cron",
        "/etc/crontab: */5 * * * * root /usr/local/bin/.update >/dev/null 2>&1",
    );
    only_web3("suid", "/usr/local/bin/.update");
    only_web3("file", "/usr/local/bin/.update");

    // Identical on every host, or host-specific: never reported.
    for key in [
        "/usr/bin/ls",
        "/usr/bin/sudo",
        "/etc/ssh/sshd_config",
        "/etc/hostname",
        "/etc/machine-id",
        "/var/log/syslog",
        "/opt/old-only.txt",
        "app.service",
        "root",
    ] {
        assert!(
            !found.iter().any(|o| o.1 == key),
            "{key} reported: {found:#?}"
        );
    }
    assert!(
        found.iter().all(|o| o.3 == vec!["web3".to_string()]),
        "an outlier on another host: {found:#?}"
    );
    // The passwd and crontab files themselves differ on web3 too.
    only_web3("file", "/etc/passwd");
    assert_eq!(found.len(), 9, "{found:#?}");
    // Ranked: the critical ones first.
    assert_eq!(doc["outliers"][0]["severity"], "critical");

    // The table names the same ones; --kind filters.
    let text = exhibit()
        .arg("stack")
        .args(&paths)
        .arg("-q")
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("/usr/bin/ps") && text.contains("outliers: 9"),
        "{text}"
    );
    let only = stack(&paths, &["--kind", "account"]);
    assert_eq!(outliers(&only).len(), 1);
    // --show-values shows the comment.
    let shown = stack(&paths, &["--kind", "ssh_key", "--show-values"]);
    assert!(
        outliers(&shown)[0].2.ends_with("intruder@example.org"),
        "{shown:#?}"
    );
    // --fail-on critical exits 1.
    let code = exhibit()
        .arg("stack")
        .args(&paths)
        .args(["-q", "--fail-on", "critical"])
        .output()
        .unwrap()
        .status
        .code();
    assert_eq!(code, Some(1));
}

#[test]
fn two_hosts_give_no_outliers_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let trees = dir.path().join("trees");
    let a = host_tree(
        &trees,
        "db01",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b",
    );
    let b = host_tree(
        &trees,
        "db02",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b",
    );
    write(&b, "usr/bin/ps", b"different\n");
    write(&b, "opt/only-here", b"x\n");
    let out = dir.path().join("out");
    let archives = [capture_tree(&a, &out), capture_tree(&b, &out)];
    let doc = stack(&[archives[0].as_path(), archives[1].as_path()], &[]);
    assert_eq!(doc["hosts"].as_array().unwrap().len(), 2);
    assert!(doc["outliers"].as_array().unwrap().is_empty(), "{doc:#}");
    assert!(
        doc["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("three hosts or more")),
        "{doc:#}"
    );

    // A third "archive" that is not one: listed as unread, the two others
    // still stacked, exit code 1 (incomplete).
    let bad = dir.path().join("db03.zip");
    std::fs::write(&bad, b"not a zip").unwrap();
    let out = exhibit()
        .arg("stack")
        .args(&archives)
        .arg(&bad)
        .args(["--json", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["hosts"].as_array().unwrap().len(), 2);
    assert_eq!(
        doc["unread"][0]["source"].as_str().unwrap(),
        bad.display().to_string()
    );
}

#[test]
fn no_input_or_a_missing_file_is_an_error() {
    let out = exhibit().arg("stack").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = exhibit()
        .args([
            "stack",
            "/nonexistent/a.zip",
            "/nonexistent/b.zip",
            "/nonexistent/c.zip",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/"), "{err}");
}

/// An account file rewritten in one archive behind its seal (a uid-0
/// account planted with Python's zipfile): the stack still runs, but says
/// the accounts it read there may be altered, on stderr and in `altered`,
/// and exits 1; the intact archives say nothing of the kind.
#[test]
fn accounts_read_from_altered_bytes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let trees = dir.path().join("trees");
    let key =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b";
    let out = dir.path().join("out");
    let archives: Vec<PathBuf> = ["db01", "db02", "db03"]
        .iter()
        .map(|n| capture_tree(&host_tree(&trees, n, key), &out))
        .collect();
    let doc = stack(&[&archives[0], &archives[1], &archives[2]], &[]);
    assert!(doc.get("altered").is_none(), "{doc:#}");

    let forged = format!("{PASSWD}sysbak:x:0:0::/root:/bin/bash\n");
    crate::util::alter_member(&archives[1], "/etc/passwd", forged.as_bytes());
    let run = exhibit()
        .arg("stack")
        .args(&archives)
        .args(["--json", "-q"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("WARNING: content does not match the sealed manifest")
            && stderr.contains("/etc/passwd"),
        "{stderr}"
    );
    let doc: Value = serde_json::from_slice(&run.stdout).unwrap();
    let altered = doc["altered"].as_array().unwrap();
    assert_eq!(altered.len(), 1, "{doc:#}");
    assert_eq!(altered[0]["path"], "/etc/passwd");
    assert_eq!(altered[0]["snapshot"], archives[1].display().to_string());
    // What was read is still stacked: the planted account stands out.
    assert!(
        outliers(&doc).iter().any(|o| o.1.contains("sysbak")),
        "{doc:#}"
    );
}

/// A host captured whole, then again with the `logs` profile only: the
/// newer capture holds none of the files, accounts or units stacking reads,
/// so stacking it would hide what the whole one shows (here a trojaned
/// `ps`). The whole capture is used, and the result says why.
#[test]
fn a_newer_capture_of_narrower_scope_does_not_replace_a_whole_one() {
    let dir = tempfile::tempdir().unwrap();
    let trees = dir.path().join("trees");
    let key =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b";
    let roots: Vec<PathBuf> = ["app01", "app02", "app03", "app04"]
        .iter()
        .map(|n| host_tree(&trees, n, key))
        .collect();
    write(&roots[1], "usr/bin/ps", b"\x7fELF a trojaned ps\n");
    let out = dir.path().join("out");
    let mut archives: Vec<PathBuf> = roots.iter().map(|r| capture_tree(r, &out)).collect();
    let whole = archives[1].clone();
    let logs_out = out.join("app02-logs");
    std::fs::create_dir_all(&logs_out).unwrap();
    let summary = crate::util::capture(
        &["--root", roots[1].to_str().unwrap(), "--profile", "logs"],
        &logs_out,
    );
    let narrow = crate::util::archive_path(&summary);
    archives.push(narrow.clone());

    let args: Vec<&Path> = archives.iter().map(PathBuf::as_path).collect();
    let doc = stack(&args, &[]);
    let hosts = doc["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 4, "{doc:#}");
    let app02 = hosts.iter().find(|h| h["name"] == "app02").unwrap();
    assert_eq!(
        app02["source"].as_str().unwrap(),
        whole.display().to_string()
    );
    assert_eq!(
        app02["replaced"][0].as_str().unwrap(),
        narrow.display().to_string()
    );
    assert!(
        doc["notes"].as_array().unwrap().iter().any(|n| {
            let n = n.as_str().unwrap();
            n.contains("app02") && n.contains("newest covers less")
        }),
        "{doc:#}"
    );
    assert!(
        outliers(&doc)
            .iter()
            .any(|(kind, key, _, hosts)| kind == "file"
                && key == "/usr/bin/ps"
                && hosts == &["app02".to_string()]),
        "{doc:#}"
    );

    // Of two whole captures, the newest is still the one used.
    let again = out.join("app02-again");
    std::fs::create_dir_all(&again).unwrap();
    let newer = crate::util::archive_path(&crate::util::capture(
        &["--root", roots[1].to_str().unwrap()],
        &again,
    ));
    let args2 = [whole.as_path(), newer.as_path(), args[0], args[2], args[3]];
    let doc = stack(&args2, &[]);
    let app02 = doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "app02")
        .unwrap()
        .clone();
    assert_eq!(
        app02["source"].as_str().unwrap(),
        newer.display().to_string()
    );
    assert!(
        doc["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("the newest is used")),
        "{doc:#}"
    );
}
