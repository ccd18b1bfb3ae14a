//! The newer sources read through the real loading path and feeding the
//! existing detections: btmp + auth.log counted once, vsftpd logins into
//! brute force and downloads into large downloads, PostgreSQL failures into
//! brute force, journald JSON into the sshd parser, auditd EXECVE joined to
//! its SYSCALL record.

use exhibit::detect::logs::{self as detections, DetectConfig};
use exhibit::job::{CancelToken, NoProgress};
use exhibit::logs::{self, Field, Kind, LoadRequest, LogStore};
use std::path::Path;

const MTIME_S: u64 = 1_709_708_400; // 2024-03-06T07:00:00Z
const T0: i64 = 1_709_706_610; // 2024-03-06T06:30:10Z

fn load(dir: &Path) -> LogStore {
    let mtime = std::time::UNIX_EPOCH + std::time::Duration::from_secs(MTIME_S);
    for e in std::fs::read_dir(dir).expect("dir") {
        let p = e.expect("entry").path();
        let f = std::fs::File::options().write(true).open(&p).expect("open");
        f.set_modified(mtime).expect("mtime");
    }
    logs::load(
        &LoadRequest {
            sources: vec![dir.to_path_buf()],
            tz_offset_s: Some(0),
            format: None,
            threads: 0,
        },
        &NoProgress,
        &CancelToken::new(),
    )
    .expect("load")
}

/// A glibc x86_64 utmp record.
fn record(typ: i16, user: &str, host: &str, sec: i64) -> Vec<u8> {
    let mut r = vec![0u8; 384];
    r[0..2].copy_from_slice(&typ.to_le_bytes());
    r[4..8].copy_from_slice(&42i32.to_le_bytes());
    r[8..13].copy_from_slice(b"ssh:n");
    r[44..44 + user.len()].copy_from_slice(user.as_bytes());
    r[76..76 + host.len()].copy_from_slice(host.as_bytes());
    r[340..344].copy_from_slice(&(sec as i32).to_le_bytes());
    r
}

fn parser_of<'a>(store: &'a LogStore, name: &str) -> &'a str {
    store
        .sources
        .iter()
        .find(|s| s.path.ends_with(name))
        .map_or("(missing)", |s| s.parser.as_str())
}

#[test]
fn btmp_and_auth_log_failures_count_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut auth = String::new();
    let mut btmp = Vec::new();
    for i in 0..6 {
        auth.push_str(&format!(
            "Mar  6 06:30:1{i} web01 sshd[{}]: Failed password for root from 203.0.113.66 port 4{i}022 ssh2\n",
            100 + i
        ));
        btmp.extend(record(7, "root", "203.0.113.66", T0 + i));
    }
    // A btmp failure the text log does not have: kept.
    btmp.extend(record(7, "oracle", "203.0.113.66", T0 + 30));
    std::fs::write(dir.path().join("auth.log"), auth).expect("write");
    std::fs::write(dir.path().join("btmp"), btmp).expect("write");
    let store = load(dir.path());
    assert_eq!(parser_of(&store, "btmp"), "utmp");
    assert_eq!(
        store.by_kind.get(&Kind::AuthFailure).map(Vec::len),
        Some(13)
    );
    let findings = detections::run(&store, &DetectConfig::default());
    let bf: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == "ssh_bruteforce")
        .collect();
    assert_eq!(bf.len(), 1, "{findings:#?}");
    assert_eq!(
        bf[0].subject.events.len(),
        7,
        "6 from auth.log, 1 only in btmp"
    );
    let from_btmp = bf[0]
        .subject
        .events
        .iter()
        .filter(|&&i| store.events[i as usize].get(Field::Program) == Some("btmp"))
        .count();
    assert_eq!(from_btmp, 1);
}

#[test]
fn ftp_postgres_journald_feed_the_detections() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ftp = String::new();
    for i in 0..6 {
        ftp.push_str(&format!(
            "Wed Mar  6 06:30:1{i} 2024 [pid 9{i}] [admin] FAIL LOGIN: Client \"198.51.100.21\"\n"
        ));
    }
    ftp.push_str("Wed Mar  6 06:31:00 2024 [pid 99] [admin] OK LOGIN: Client \"198.51.100.21\"\n");
    for i in 0..3 {
        ftp.push_str(&format!(
            "Wed Mar  6 06:3{}:00 2024 [pid 99] [admin] OK DOWNLOAD: Client \"198.51.100.21\", \"/srv/ftp/db_backup.sql\", 60000000 bytes, 9000.00Kbyte/sec\n",
            2 + i
        ));
    }
    std::fs::write(dir.path().join("vsftpd.log"), ftp).expect("write");
    let mut pg = String::new();
    for i in 0..6 {
        pg.push_str(&format!(
            "2024-03-06 06:40:1{i}.000 UTC [70{i}] LOG:  connection received: host=192.0.2.33 port=5{i}000\n\
             2024-03-06 06:40:1{i}.100 UTC [70{i}] FATAL:  password authentication failed for user \"postgres\"\n"
        ));
    }
    std::fs::write(dir.path().join("postgresql-16-main.log"), pg).expect("write");
    let mut j = String::new();
    for i in 0..6 {
        j.push_str(&format!(
            "{{\"__REALTIME_TIMESTAMP\":\"{}\",\"_HOSTNAME\":\"web01\",\"SYSLOG_IDENTIFIER\":\"sshd\",\"_PID\":\"5{i}\",\"MESSAGE\":\"Failed password for invalid user test from 203.0.113.90 port 2222 ssh2\"}}\n",
            (T0 + 600 + i) * 1_000_000
        ));
    }
    std::fs::write(dir.path().join("journal.json"), j).expect("write");
    std::fs::write(
        dir.path().join("audit.log"),
        "type=SYSCALL msg=audit(1709706700.100:77): arch=c000003e syscall=59 success=yes exit=0 ppid=10 pid=4242 auid=1000 uid=0 gid=0 euid=0 comm=\"cat\" exe=\"/usr/bin/cat\" key=(null)\n\
         type=EXECVE msg=audit(1709706700.100:77): argc=2 a0=\"cat\" a1=\"/etc/shadow\"\n",
    )
    .expect("write");
    let store = load(dir.path());
    assert_eq!(parser_of(&store, "vsftpd.log"), "vsftpd");
    assert_eq!(parser_of(&store, "postgresql-16-main.log"), "postgresql");
    assert_eq!(parser_of(&store, "journal.json"), "journald_json");
    assert_eq!(parser_of(&store, "audit.log"), "auditd");
    let exec = store
        .events
        .iter()
        .find(|e| e.kind == Kind::Exec)
        .expect("exec event");
    assert_eq!(exec.get(Field::Uid), Some("0"));
    assert_eq!(exec.get(Field::Path), Some("/usr/bin/cat"));
    let findings = detections::run(&store, &DetectConfig::default());
    let ips_of = |rule: &str| -> Vec<String> {
        findings
            .iter()
            .filter(|f| f.rule == rule)
            .flat_map(|f| f.subject.ips.clone())
            .collect()
    };
    let bf = ips_of("ssh_bruteforce");
    for ip in ["198.51.100.21", "192.0.2.33", "203.0.113.90"] {
        assert!(bf.iter().any(|x| x == ip), "{ip} not in {bf:?}");
    }
    assert!(
        ips_of("success_after_failures")
            .iter()
            .any(|x| x == "198.51.100.21"),
        "{findings:#?}"
    );
    assert!(
        ips_of("large_download")
            .iter()
            .any(|x| x == "198.51.100.21"),
        "{findings:#?}"
    );
    assert!(
        ips_of("sensitive_file_served")
            .iter()
            .any(|x| x == "198.51.100.21"),
        "{findings:#?}"
    );
}
