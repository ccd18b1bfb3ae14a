//! `exhibit logs` and `exhibit timeline` end to end: real sample files from
//! tests/data/logs (see tests/data/ATTRIBUTION.md) and synthetic fixtures
//! written here, checked against counts taken independently of the parsers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

use assert_cmd::Command;
use serde_json::Value;
use std::io::Write as _;
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/logs")
        .join(name)
}

fn exhibit() -> Command {
    Command::cargo_bin("exhibit").unwrap()
}

fn json(args: &[&str]) -> Value {
    let out = exhibit()
        .args(args)
        .arg("-q")
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn events(args: &[&str]) -> Vec<Value> {
    let out = exhibit()
        .arg("logs")
        .arg("events")
        .arg("-q")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

fn findings<'a>(doc: &'a Value, rule: &str) -> Vec<&'a Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

#[test]
fn real_auth_log_invalid_users_and_bruteforce() {
    let path = data("secrepo_auth.log_3000");
    let text = std::fs::read_to_string(&path).unwrap();
    let invalid = text
        .lines()
        .filter(|l| l.contains("sshd[") && l.contains(": Invalid user "))
        .count();
    // One attempt per connection (sshd process): an `Invalid user` line or,
    // for connections that left only `Received disconnect ... [preauth]`,
    // that line (src/detect/logs/auth.rs counts each connection once).
    let from_top = text
        .lines()
        .filter(|l| l.contains(" 67.205.20.23"))
        .filter_map(|l| l.split("sshd[").nth(1)?.split(']').next())
        .collect::<std::collections::HashSet<_>>()
        .len();
    let evs = events(&[path.to_str().unwrap()]);
    assert_eq!(
        evs.len(),
        text.lines().count(),
        "one event per line, none dropped"
    );
    assert_eq!(
        evs.iter().filter(|e| e["kind"] == "invalid_user").count(),
        invalid
    );
    // A specific line, field by field.
    let e = evs.iter().find(|e| e["line"] == 2999).unwrap();
    assert_eq!(e["kind"], "invalid_user");
    assert_eq!(e["fields"]["user"], "test");
    assert_eq!(e["fields"]["ip"], "67.205.20.23");
    assert_eq!(e["fields"]["host"], "ip-172-31-27-153");
    assert!(
        e["time"]
            .as_str()
            .unwrap()
            .ends_with("-12-01T08:45:03.000000Z")
    );

    let doc = json(&["logs", path.to_str().unwrap()]);
    assert_eq!(doc["sources"][0]["parser"], "syslog");
    assert_eq!(doc["sources"][0]["unparsed"], 0);
    let bf = findings(&doc, "ssh_bruteforce");
    let top = bf
        .iter()
        .find(|f| f["ips"][0] == "67.205.20.23")
        .expect("top brute-force address");
    assert_eq!(top["events"].as_u64().unwrap() as usize, from_top);
    assert!(!top["evidence"].as_array().unwrap().is_empty());
    assert!(
        top["evidence"][0]["text"]
            .as_str()
            .unwrap()
            .contains("67.205.20.23")
    );
    assert!(
        findings(&doc, "password_spraying")
            .iter()
            .any(|f| f["ips"][0] == "218.26.11.118")
    );
}

/// Independent, naive reading of a combined log line: client, path, status, bytes.
fn naive(line: &str) -> Option<(String, String, u16, u64)> {
    let parts: Vec<&str> = line.split('"').collect();
    let client = line.split(' ').next()?.to_string();
    let req: Vec<&str> = parts.get(1)?.split(' ').collect();
    let path = req.get(1)?.to_string();
    let mut tail = parts.get(2)?.split_whitespace();
    let status = tail.next()?.parse().ok()?;
    let bytes = tail.next()?.parse().unwrap_or(0);
    Some((client, path, status, bytes))
}

#[test]
fn real_access_log_who_accessed_matches_independent_count() {
    let path = data("elastic_apache_logs_1000");
    let text = std::fs::read_to_string(&path).unwrap();
    let target = "/favicon.ico";
    let mut want: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    for l in text.lines() {
        if let Some((ip, p, st, b)) = naive(l)
            && p == target
        {
            let e = want.entry(ip).or_default();
            e.0 += 1;
            if (200..300).contains(&st) {
                e.1 += b;
            }
        }
    }
    assert!(
        want.len() > 3,
        "fixture should have several clients for {target}"
    );
    let doc = json(&["logs", "who-accessed", target, path.to_str().unwrap()]);
    assert_eq!(doc["path"], target);
    let acc = doc["accesses"].as_array().unwrap();
    assert_eq!(acc.len(), want.len());
    for a in acc {
        let (n, b) = want[a["ip"].as_str().unwrap()];
        assert_eq!(a["requests"].as_u64().unwrap(), n);
        assert_eq!(a["bytes"].as_u64().unwrap(), b);
        assert!(a["first"].as_str().unwrap() <= a["last"].as_str().unwrap());
        assert!(
            a["statuses"]
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_u64().unwrap())
                .sum::<u64>()
                == n
        );
    }
    let evs = events(&[path.to_str().unwrap()]);
    assert_eq!(evs.len(), 1000);
    assert!(evs.iter().all(|e| e["kind"] == "web_request"));
    let first = &evs[0];
    assert_eq!(first["fields"]["ip"], "83.149.9.216");
    assert_eq!(first["status"], 200);
    assert_eq!(first["bytes"], 203023);
    assert_eq!(first["time"], "2015-05-17T10:05:03.000000Z");
}

#[test]
fn gzip_and_rotated_logs_read_transparently() {
    let dir = tempfile::tempdir().unwrap();
    let raw = std::fs::read(data("elastic_apache_logs_1000")).unwrap();
    let gz = dir.path().join("access.log.2.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&raw).unwrap();
    enc.finish().unwrap();
    std::fs::write(dir.path().join("access.log.1"), &raw[..1000]).unwrap();
    let doc = json(&["logs", dir.path().to_str().unwrap()]);
    let srcs = doc["sources"].as_array().unwrap();
    assert_eq!(srcs.len(), 2);
    let g = srcs
        .iter()
        .find(|s| s["path"].as_str().unwrap().ends_with(".gz"))
        .unwrap();
    assert_eq!(g["gzip"], true);
    assert_eq!(g["parser"], "access");
    assert_eq!(g["events"], 1000);
    assert_eq!(g["size_bytes"].as_u64().unwrap(), raw.len() as u64);
    // access.log.1 is cut mid-line: kept, counted, flagged.
    let cut = srcs
        .iter()
        .find(|s| s["path"].as_str().unwrap().ends_with(".1"))
        .unwrap();
    assert_eq!(cut["missing_final_newline"], true);
    assert_eq!(cut["unparsed"], 1);
    assert!(!findings(&doc, "log_truncated").is_empty());
}

#[test]
fn wtmp_matches_utmpdump_and_corrupt_records_are_kept() {
    let evs = events(&[data("utmp_wtmp.1").to_str().unwrap()]);
    // utmpdump (util-linux) shows 4 records; the file has one stray byte more.
    let dump = std::fs::read_to_string(data("utmp_wtmp.1.utmpdump.txt")).unwrap();
    assert_eq!(dump.lines().filter(|l| l.starts_with('[')).count(), 4);
    assert_eq!(evs.len(), 5);
    assert_eq!(evs[0]["kind"], "login");
    assert_eq!(evs[0]["fields"]["user"], "userA");
    assert_eq!(evs[0]["fields"]["ip"], "10.10.122.1");
    assert_eq!(evs[0]["fields"]["target"], "pts/32");
    assert_eq!(evs[0]["time"], "2011-12-01T17:36:38.432935Z");
    assert_eq!(evs[1]["kind"], "logout");
    assert_eq!(evs[1]["time"], "2011-12-02T00:21:18.725048Z");
    assert_eq!(evs[4]["kind"], "unparsed");
    let doc = json(&["logs", data("utmp_utmp_corrupted").to_str().unwrap()]);
    let s = &doc["sources"][0];
    assert_eq!(s["parser"], "utmp");
    assert!(s["unparsed"].as_u64().unwrap() > 0);
    assert!(s["events"].as_u64().unwrap() > s["unparsed"].as_u64().unwrap());
}

#[test]
fn plaso_samples_parse_with_expected_fields() {
    let ssh = events(&[data("syslog_syslog_ssh.log").to_str().unwrap()]);
    let v6 = ssh.iter().find(|e| e["line"] == 3).unwrap();
    assert_eq!(v6["kind"], "auth_success");
    assert_eq!(
        v6["fields"]["ip"],
        "2001:0db8:0a0b:12f0:0000:0000:0000:0001"
    );
    assert_eq!(v6["port"], 42532);
    let r5424 = events(&[data("syslog_syslog_rsyslog_SyslogProtocol23Format")
        .to_str()
        .unwrap()]);
    assert_eq!(r5424[0]["time"], "2021-03-06T04:07:38.251122Z");
    assert_eq!(r5424[0]["fields"]["program"], "log_tag");
    // A continuation line is kept as unparsed, not dropped.
    assert!(
        r5424
            .iter()
            .any(|e| e["kind"] == "unparsed" && e["text"] == "with another line")
    );
    let audit = events(&[data("audit_enriched.log").to_str().unwrap()]);
    assert!(
        audit
            .iter()
            .any(|e| e["kind"] == "user_add" && e["fields"]["user"] == "specimenuser")
    );
    assert!(audit.iter().any(|e| e["kind"] == "exec"));
    let bash = events(&[data("bash_history").to_str().unwrap()]);
    let c = bash.iter().find(|e| e["kind"] == "command").unwrap();
    assert_eq!(c["fields"]["command"], "/usr/lib/plaso");
    assert_eq!(c["time"], "2013-10-01T12:36:17.000000Z");
    let zsh = events(&[data("zsh_extended_history.txt").to_str().unwrap()]);
    assert_eq!(zsh[0]["fields"]["command"], "cd plaso");
    assert_eq!(zsh[0]["time"], "2016-03-12T08:26:50.000000Z");
    let dpkg = events(&[data("dpkg.log").to_str().unwrap()]);
    assert!(
        dpkg.iter()
            .any(|e| e["kind"] == "package" && e["fields"]["target"] == "base-passwd:amd64")
    );
    let apt = events(&[data("apt_history.log").to_str().unwrap()]);
    assert!(
        apt.iter()
            .any(|e| e["kind"] == "command" && e["time"] == "2019-07-10T16:38:08.000000Z")
    );
    assert!(apt.iter().all(|e| e["kind"] != "unparsed"));
}

/// A small compromised server: scan and payloads on the web, a sensitive
/// export served, SSH brute force that succeeds from the same address, a
/// root shell and a uid-0 account.
fn compromised(dir: &Path) {
    let log = dir.join("var/log");
    std::fs::create_dir_all(log.join("apache2")).unwrap();
    let mut auth = String::new();
    for i in 0..8 {
        auth.push_str(&format!(
            "Mar  6 06:3{}:1{i} web01 sshd[{}]: Failed password for root from 203.0.113.66 port 4{i}022 ssh2\r\n",
            i / 4,
            100 + i
        ));
    }
    auth.push_str("Mar  6 06:32:40 web01 sshd[120]: Accepted password for root from 203.0.113.66 port 41999 ssh2\n");
    auth.push_str("Mar  6 06:34:18 web01 useradd[2592]: new user: name=backdoor, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/1\n");
    auth.push_str("Mar  6 06:35:02 web01 sudo:    alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash\n");
    auth.push_str("Mar  6 06:36:00 web01 sshd[130]: Failed password for invalid user  from 198.51.100.7 port 2222 ssh2\n");
    let mut bytes = auth.into_bytes();
    bytes.extend_from_slice(b"\xff\xfe garbage that no parser reads, cut mid-li");
    std::fs::write(log.join("auth.log"), bytes).unwrap();
    let mut acc = String::new();
    for i in 0..40 {
        acc.push_str(&format!(
            "203.0.113.66 - - [06/Mar/2024:06:0{}:{:02} +0000] \"GET /admin{i}.php HTTP/1.1\" 404 196 \"-\" \"sqlmap/1.7\"\n",
            i / 20,
            i % 60
        ));
    }
    acc.push_str("203.0.113.66 - - [06/Mar/2024:06:10:00 +0000] \"GET /item.php?id=1%27%20UNION%20SELECT%20password%20FROM%20users-- HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0\"\n");
    acc.push_str("192.0.2.50 - - [06/Mar/2024:07:00:00 +0000] \"GET /export/customers.csv HTTP/1.1\" 200 73400320 \"-\" \"curl/8.0\"\n");
    acc.push_str("192.0.2.50 - - [06/Mar/2024:07:05:00 +0000] \"GET /export/customers.csv HTTP/1.1\" 200 73400320 \"-\" \"curl/8.0\"\n");
    acc.push_str("2001:db8::5 - - [06/Mar/2024:07:06:00 +0000] \"GET /export/customers.csv?x=1 HTTP/1.1\" 403 199 \"-\" \"curl/8.0\"\n");
    acc.push_str("10.0.0.2 - - [06/Mar/2024:07:07:00 +0000] \"GET /export/customers.csv HTTP/1.1\" 304 - \"-\" \"curl/8.0\" \"198.51.100.99\"\n");
    acc.push_str("192.0.2.77 - - [06/Mar/2024:07:10:00 +0000] \"GET /uploads/shell.php?cmd=id HTTP/1.1\" 200 40 \"-\" \"curl/8.0\"\n");
    acc.push_str("this line is not an access log line\n");
    std::fs::write(log.join("apache2/access.log"), acc).unwrap();
}

#[test]
fn compromised_server_story() {
    let dir = tempfile::tempdir().unwrap();
    compromised(dir.path());
    let doc = json(&["logs", "--tz", "+00:00", dir.path().to_str().unwrap()]);
    let total_unparsed: u64 = doc["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["unparsed"].as_u64().unwrap())
        .sum();
    assert_eq!(
        total_unparsed, 2,
        "the garbage lines are counted, not dropped"
    );
    let auth = doc["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"].as_str().unwrap().ends_with("auth.log"))
        .unwrap();
    assert_eq!(auth["invalid_utf8_lines"], 1);
    assert_eq!(auth["missing_final_newline"], true);
    let saf = findings(&doc, "success_after_failures");
    assert_eq!(saf.len(), 1);
    assert_eq!(saf[0]["severity"], "critical");
    assert_eq!(saf[0]["ips"][0], "203.0.113.66");
    assert_eq!(saf[0]["events"], 9);
    assert!(
        findings(&doc, "ssh_bruteforce")
            .iter()
            .any(|f| f["ips"][0] == "203.0.113.66")
    );
    let served = findings(&doc, "sensitive_file_served");
    assert_eq!(served.len(), 1);
    assert_eq!(served[0]["ips"][0], "192.0.2.50");
    assert_eq!(served[0]["paths"][0], "/export/customers.csv");
    assert!(
        findings(&doc, "sensitive_file_probe")
            .iter()
            .any(|f| f["ips"][0] == "2001:db8::5")
    );
    assert!(
        findings(&doc, "large_download")
            .iter()
            .any(|f| f["ips"][0] == "192.0.2.50")
    );
    assert!(
        findings(&doc, "web_scan")
            .iter()
            .any(|f| f["ips"][0] == "203.0.113.66")
    );
    assert!(
        findings(&doc, "scanner_user_agent")
            .iter()
            .any(|f| f["ips"][0] == "203.0.113.66")
    );
    assert!(
        findings(&doc, "attack_payload")
            .iter()
            .any(|f| f["title"].as_str().unwrap().starts_with("sql injection"))
    );
    assert!(
        findings(&doc, "web_shell")
            .iter()
            .any(|f| f["paths"][0] == "/uploads/shell.php")
    );
    assert!(
        findings(&doc, "sudo_shell")
            .iter()
            .any(|f| f["users"][0] == "alice")
    );
    let acct = findings(&doc, "account_change");
    assert!(
        acct.iter()
            .any(|f| f["severity"] == "critical" && f["users"][0] == "backdoor")
    );
    let pivot = findings(&doc, "cross_source_pivot");
    assert_eq!(pivot.len(), 1);
    assert_eq!(pivot[0]["severity"], "critical");
    // Empty user names are kept as empty strings.
    let evs = events(&[dir.path().join("var/log/auth.log").to_str().unwrap()]);
    assert!(
        evs.iter()
            .any(|e| e["fields"]["user"] == "" && e["fields"]["ip"] == "198.51.100.7")
    );

    // Everything this IP did, across sources, in time order.
    let ip = json(&["logs", "ip", "203.0.113.66", dir.path().to_str().unwrap()]);
    let ev = ip["events"].as_array().unwrap();
    assert_eq!(ev.len(), 8 + 1 + 41);
    let times: Vec<&str> = ev.iter().map(|e| e["time"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
    assert!(
        ev.iter()
            .any(|e| e["path"].as_str().unwrap().ends_with("auth.log"))
    );
    assert!(
        ev.iter()
            .any(|e| e["path"].as_str().unwrap().ends_with("access.log"))
    );

    let who = json(&[
        "logs",
        "who-accessed",
        "/export/customers.csv",
        dir.path().to_str().unwrap(),
    ]);
    let acc = who["accesses"].as_array().unwrap();
    assert_eq!(acc.len(), 3);
    assert_eq!(acc[2]["ip"], "10.0.0.2");
    assert_eq!(acc[2]["forwarded_for"][0], "198.51.100.99");
    assert_eq!(acc[2]["bytes"], 0);
    assert_eq!(acc[0]["ip"], "192.0.2.50");
    assert_eq!(acc[0]["requests"], 2);
    assert_eq!(acc[0]["bytes"], 2 * 73_400_320u64);
    assert_eq!(acc[0]["first"], "2024-03-06T07:00:00.000000Z");
    assert_eq!(acc[0]["last"], "2024-03-06T07:05:00.000000Z");
    assert_eq!(acc[1]["statuses"]["403"], 1);
}

#[test]
fn timeline_merges_archive_files_logs_findings_and_custody() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    compromised(&root);
    // A web shell whose modification time places its file finding.
    let shell = root.join("var/www/html/uploads/x.php");
    std::fs::create_dir_all(shell.parent().unwrap()).unwrap();
    std::fs::write(&shell, "<?php eval($_POST['c']); ?>\n").unwrap();
    let planted = chrono::DateTime::parse_from_rfc3339("2024-03-06T06:55:00Z").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&shell)
        .unwrap()
        .set_modified(std::time::SystemTime::from(planted))
        .unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    exhibit()
        .args(["capture", "-q", "--root"])
        .arg(&root)
        .arg("-o")
        .arg(&out)
        .args(["--case", "C7", "--examiner", "Tester"])
        .assert()
        .success();
    let archive = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "zip"))
        .unwrap();
    // A custody log beside the archive (read leniently: unknown fields kept,
    // a bad line reported, not fatal).
    let custody = out.join(format!(
        "{}.custody.jsonl",
        archive.file_stem().unwrap().to_str().unwrap()
    ));
    if !custody.exists() {
        std::fs::write(
            &custody,
            "{\"seq\":1,\"at\":\"2024-03-07T09:00:00Z\",\"action\":\"acquired\",\"actor\":{\"name\":\"Tester\"},\"note\":\"seized\"}\nnot json\n{\"seq\":2,\"at\":\"2024-03-08T10:30:00.5+01:00\",\"action\":\"transferred\",\"actor\":{\"name\":\"Courier\"}}\n",
        )
        .unwrap();
    }
    let tl = exhibit().args(["timeline"]).arg(&archive).output().unwrap();
    let notes = String::from_utf8_lossy(&tl.stderr);
    assert!(
        tl.status.success(),
        "{}",
        String::from_utf8_lossy(&tl.stderr)
    );
    let lines: Vec<Value> = tl
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    for l in &lines {
        // Timesketch's required fields on every line.
        assert!(l["message"].is_string());
        assert!(l["timestamp_desc"].is_string());
        let dt = l["datetime"].as_str().unwrap();
        assert!(dt.ends_with("+00:00"), "{dt}");
        let ts = l["timestamp"].as_i64().unwrap();
        let parsed = chrono::DateTime::parse_from_rfc3339(dt).unwrap();
        assert_eq!(parsed.timestamp_micros(), ts);
    }
    let origins: std::collections::BTreeSet<&str> = lines
        .iter()
        .map(|l| l["origin"].as_str().unwrap())
        .collect();
    assert!(
        origins.contains("file") && origins.contains("log") && origins.contains("finding"),
        "{origins:?}"
    );
    assert!(origins.contains("custody"), "{origins:?}");
    let cust: Vec<&Value> = lines.iter().filter(|l| l["origin"] == "custody").collect();
    assert!(cust.len() >= 2);
    if notes.contains("not JSON") {
        let t = cust
            .iter()
            .find(|l| l["kind"] == "custody_transferred")
            .unwrap();
        assert_eq!(t["datetime"], "2024-03-08T09:30:00.500000+00:00");
        assert_eq!(t["message"], "custody: transferred by Courier");
    }
    let log_line = lines.iter().find(|l| l["kind"] == "auth_success").unwrap();
    assert_eq!(log_line["source_file"], "/var/log/auth.log");
    assert_eq!(
        log_line["archive"].as_str().unwrap(),
        archive.to_str().unwrap()
    );
    assert_eq!(log_line["source_line"], 9);
    // A web request keeps its own path beside the provenance.
    let web = lines
        .iter()
        .find(|l| l["kind"] == "web_request" && l["status"] == "403")
        .unwrap();
    assert_eq!(web["path"], "/export/customers.csv?x=1");
    assert_eq!(web["source_file"], "/var/log/apache2/access.log");
    assert!(lines.iter().any(|l| l["origin"] == "file"
        && l["path"] == "/var/log/auth.log"
        && l["timestamp_desc"] == "Modification Time"));
    // File findings sit at their file's modification time, beside the log
    // findings; --no-file-findings leaves them out.
    let is_shell_finding = |l: &&Value| {
        l["origin"] == "finding"
            && l["source_file"] == "/var/www/html/uploads/x.php"
            && l["kind"].as_str().unwrap().starts_with("webshell.")
    };
    let shell_findings: Vec<&Value> = lines.iter().filter(is_shell_finding).collect();
    assert!(
        !shell_findings.is_empty(),
        "no web-shell finding on the timeline"
    );
    for f in &shell_findings {
        assert_eq!(f["timestamp_desc"], "Finding (file modified)");
        assert_eq!(f["timestamp"], planted.timestamp_micros());
    }
    let without = exhibit()
        .args(["timeline", "-q", "--no-file-findings"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(without.status.success());
    let without: Vec<Value> = without
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let file_finding = |l: &Value| {
        l["timestamp_desc"]
            .as_str()
            .unwrap()
            .starts_with("Finding (file")
    };
    assert!(
        !without
            .iter()
            .any(|l| is_shell_finding(&l) || file_finding(l))
    );
    assert_eq!(
        without.len() + lines.iter().filter(|l| file_finding(l)).count(),
        lines.len()
    );
    let ts: Vec<i64> = lines
        .iter()
        .map(|l| l["timestamp"].as_i64().unwrap())
        .collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "sorted by time");

    // --from/--to and CSV.
    let csv = exhibit()
        .args([
            "timeline",
            "-q",
            "--format",
            "csv",
            "--from",
            "2024-03-06T07:00:00Z",
            "--to",
            "2024-03-06T07:05:00Z",
        ])
        .arg(&archive)
        .output()
        .unwrap();
    let text = String::from_utf8(csv.stdout).unwrap();
    let mut rows = text.lines();
    assert!(
        rows.next()
            .unwrap()
            .starts_with("message,datetime,timestamp_desc,timestamp")
    );
    let body: Vec<&str> = rows.collect();
    assert!(
        body.iter()
            .filter(|r| r.contains("customers.csv") && r.contains(",log,web_request,"))
            .count()
            == 2,
        "{body:#?}"
    );
    assert!(body.iter().all(|r| r.contains("2024-03-06T07:0")));

    // Bodyfile, checked with mactime when it is installed.
    let bf = dir.path().join("tl.body");
    exhibit()
        .args(["timeline", "-q", "--format", "bodyfile", "-o"])
        .arg(&bf)
        .arg(&archive)
        .assert()
        .success();
    let body = std::fs::read_to_string(&bf).unwrap();
    assert!(body.lines().all(|l| l.split('|').count() >= 11));
    assert!(body.contains("/var/log/auth.log|"));
    if let Ok(out) = std::process::Command::new("mactime")
        .args(["-b"])
        .arg(&bf)
        .args(["-z", "UTC", "-d"])
        .output()
        && out.status.success()
    {
        let m = String::from_utf8_lossy(&out.stdout);
        assert!(m.contains("/var/log/auth.log"));
        assert!(m.contains("Accepted password for root"));
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    let out = exhibit()
        .args(["logs", "/nonexistent/x.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/x.log"), "{err}");
    let out = exhibit()
        .args(["timeline", "--from", "yesterday", "/tmp"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn rotation_order_fixes_the_year_of_an_older_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let newer = dir.path().join("auth.log");
    let older = dir.path().join("auth.log.1");
    std::fs::write(
        &newer,
        "Jan  2 10:00:00 h sshd[1]: Server listening on 0.0.0.0 port 22.\n",
    )
    .unwrap();
    std::fs::write(
        &older,
        "Dec 30 23:00:00 h sshd[1]: Server listening on 0.0.0.0 port 22.\n",
    )
    .unwrap();
    // The newer file was written on 2025-01-03; the older one's mtime was
    // lost (today), so on its own it would be placed in the wrong year.
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_735_900_000);
    std::fs::File::options()
        .write(true)
        .open(&newer)
        .unwrap()
        .set_modified(t)
        .unwrap();
    let evs = events(&["--tz", "UTC", dir.path().to_str().unwrap()]);
    let by = |suffix: &str| {
        evs.iter()
            .find(|e| e["path"].as_str().unwrap().ends_with(suffix))
            .unwrap()["time"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(by("auth.log"), "2025-01-02T10:00:00.000000Z");
    assert_eq!(by("auth.log.1"), "2024-12-30T23:00:00.000000Z");
}

#[test]
fn empty_rotated_log_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("access_log.3"), "\n").unwrap();
    std::fs::write(dir.path().join("access_log.2"), "").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "").unwrap();
    let doc = json(&["logs", dir.path().to_str().unwrap()]);
    let empty = findings(&doc, "empty_log");
    assert_eq!(empty.len(), 2, "{doc:#}");
    assert!(
        doc["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["path"].as_str().unwrap().ends_with("notes.txt"))
    );
}

#[test]
fn detection_config_file_changes_thresholds_and_patterns() {
    let dir = tempfile::tempdir().unwrap();
    compromised(dir.path());
    let cfg = dir.path().join("detect.toml");
    std::fs::write(
        &cfg,
        "maxretry = 100\n[rules]\nscanner_agents = [\"nothing-matches-this\"]\n",
    )
    .unwrap();
    let doc = json(&[
        "logs",
        "--config",
        cfg.to_str().unwrap(),
        dir.path().join("var").to_str().unwrap(),
    ]);
    assert!(findings(&doc, "ssh_bruteforce").is_empty());
    assert!(findings(&doc, "scanner_user_agent").is_empty());
    // Lists the file leaves out keep their defaults.
    assert!(!findings(&doc, "sensitive_file_served").is_empty());
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "maxretry = \"five\"").unwrap();
    let out = exhibit()
        .args(["logs", "-q", "--config"])
        .arg(&bad)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml"));
}

/// A rules directory tunes the log detections as data: a threshold, a
/// detection switched off, a severity set; `exhibit detections` shows the
/// switches, a misspelt detection id is an error naming the file, and the
/// same directory reaches `timeline`.
#[test]
fn a_rules_directory_tunes_the_log_detections() {
    let dir = tempfile::tempdir().unwrap();
    compromised(dir.path());
    let var = dir.path().join("var");
    let before = json(&["logs", var.to_str().unwrap()]);
    let brute = findings(&before, "ssh_bruteforce");
    assert!(!brute.is_empty());
    assert!(!findings(&before, "scanner_user_agent").is_empty());
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(rules.join("logs")).unwrap();
    std::fs::write(
        rules.join("logs/site.toml"),
        "[detection.web_scan]\nenabled = false\n\n\
         [detection.ssh_bruteforce]\nseverity = \"critical\"\n",
    )
    .unwrap();
    let after = json(&[
        "logs",
        "--rules",
        rules.to_str().unwrap(),
        var.to_str().unwrap(),
    ]);
    assert!(
        findings(&after, "scanner_user_agent").is_empty(),
        "web_scan is off"
    );
    let brute_after = findings(&after, "ssh_bruteforce");
    assert_eq!(brute_after.len(), brute.len(), "the same findings");
    assert!(brute_after.iter().all(|f| f["severity"] == "critical"));
    assert!(
        !findings(&after, "sensitive_file_served").is_empty(),
        "others run as before"
    );

    let cat = exhibit()
        .args(["detections", "--json", "--rules"])
        .arg(&rules)
        .output()
        .unwrap();
    let cat: serde_json::Value = serde_json::from_slice(&cat.stdout).unwrap();
    let entry = |id: &str| {
        cat["detections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id && e["kind"] == "log_detection")
            .cloned()
            .unwrap()
    };
    assert_eq!(entry("web_scan")["disabled"], true);
    assert_eq!(entry("ssh_bruteforce")["severity"], "critical");
    assert!(entry("accounts").get("disabled").is_none());

    let tl = exhibit()
        .args(["timeline", "-q", "--format", "jsonl", "--rules"])
        .arg(&rules)
        .arg(&var)
        .output()
        .unwrap();
    assert!(
        tl.status.success(),
        "{}",
        String::from_utf8_lossy(&tl.stderr)
    );
    let tl = String::from_utf8_lossy(&tl.stdout);
    assert!(
        !tl.contains("scanner_user_agent"),
        "the timeline uses the same rules"
    );
    assert!(tl.contains("ssh_bruteforce"));

    std::fs::write(
        rules.join("logs/typo.toml"),
        "[detection.ssh_brute]\nenabled = false\n",
    )
    .unwrap();
    let out = exhibit()
        .args(["logs", "-q", "--rules"])
        .arg(&rules)
        .arg(&var)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("typo.toml") && err.contains("ssh_brute"),
        "{err}"
    );
}

/// A gzip of one 1 GiB line (it compresses to about 1 MB) between normal
/// lines once took 3.15 GB of memory: the line driver buffered the whole
/// line. Now the line is cut at `MAX_LINE_BYTES`, named in a note, and the
/// lines after it are read. The binary runs under a 1.5 GB address-space
/// limit, which the old reader exceeded.
#[test]
fn a_gigabyte_line_in_a_small_gzip_is_cut_and_reading_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("auth.log.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    let ok =
        "Nov 22 10:00:00 web sshd[42]: Accepted password for root from 10.0.0.9 port 2222 ssh2\n";
    enc.write_all(ok.as_bytes()).unwrap();
    let chunk = vec![b'A'; 1 << 20];
    for _ in 0..1024 {
        enc.write_all(&chunk).unwrap();
    }
    enc.write_all(b"\n").unwrap();
    for _ in 0..3 {
        enc.write_all(ok.as_bytes()).unwrap();
    }
    enc.finish().unwrap();
    assert!(std::fs::metadata(&gz).unwrap().len() < 8 << 20);
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1500000 && exec \"$0\" \"$@\"")
        .arg(assert_cmd::cargo::cargo_bin("exhibit"))
        .args(["logs", "--json", "-q"])
        .arg(&gz)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &doc["sources"][0];
    assert_eq!(s["parser"], "syslog");
    assert_eq!(s["events"], 5);
    assert_eq!(s["unparsed"], 1);
    assert_eq!(s["truncated_lines"], 1);
    let notes: Vec<&str> = s["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes.contains(&"line 2 is 1073741824 bytes long: its first 1048576 bytes are kept, the rest is skipped"),
        "{notes:?}"
    );
    // The logins after the long line were read.
    let mut evs = events(&[gz.to_str().unwrap()]);
    evs.sort_by_key(|e| e["line"].as_u64());
    assert_eq!(evs.len(), 5);
    assert_eq!(evs[1]["text"].as_str().map(str::len), Some(1 << 20));
    assert!(evs[2..].iter().all(|e| e["kind"] == "auth_success"));
}

/// `: 14589914589932970:0;cmd` in a zsh history overflowed `s * US` (a
/// panic in debug builds) and was dated to the year -44295; an auditd
/// time of 10^17 s did the same. Such events now keep no time, and the
/// source says why.
#[test]
fn overflowing_times_are_dropped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let hist = dir.path().join(".zsh_history");
    std::fs::write(&hist, ": 14589914589932970:0;cmd\n: 1700000000:0;id\n").unwrap();
    let audit = dir.path().join("audit.log");
    std::fs::write(
        &audit,
        "type=USER_AUTH msg=audit(99999999999999999.123:1): pid=1 uid=0 msg='op=PAM:authentication acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=1.2.3.4 addr=1.2.3.4 terminal=ssh res=failed'\n\
         type=USER_AUTH msg=audit(1700000000.123:2): pid=1 uid=0 msg='op=PAM:authentication acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=1.2.3.4 addr=1.2.3.4 terminal=ssh res=failed'\n",
    )
    .unwrap();
    for (path, kind) in [(&hist, "command"), (&audit, "auth_failure")] {
        let mut evs = events(&[path.to_str().unwrap()]);
        evs.sort_by_key(|e| e["line"].as_u64());
        assert_eq!(evs.len(), 2, "{evs:?}");
        assert_eq!(evs[0]["kind"], kind);
        assert_eq!(evs[0]["time"], Value::Null, "{path:?}");
        let frac = if kind == "command" {
            "000000"
        } else {
            "123000"
        };
        assert_eq!(evs[1]["time"], format!("2023-11-14T22:13:20.{frac}Z"));
        let doc = json(&["logs", path.to_str().unwrap()]);
        let notes = doc["sources"][0]["notes"].to_string();
        assert!(
            notes.contains("1 line(s) carry a time outside the years 1900-9999 (corrupt or forged) and are kept without a time: line 1"),
            "{notes}"
        );
    }
}

/// A command whose log names no user (a shell history outside a home
/// folder) is said to be run by an unknown user, not by `""`.
#[test]
fn a_command_without_a_user_is_run_by_an_unknown_user() {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join(".bash_history");
    std::fs::write(&h, "ls\nrm -f /var/log/auth.log\n").unwrap();
    let doc = json(&["logs", h.to_str().unwrap()]);
    let f = findings(&doc, "tampering_command");
    assert_eq!(f.len(), 1, "{doc:#}");
    let title = f[0]["title"].as_str().unwrap();
    assert!(title.contains("run by (unknown user)"), "{title}");
    assert!(!title.contains("\"\""), "{title}");
}
