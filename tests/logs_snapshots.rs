//! Several snapshots of one host: a generated host tree is captured with
//! the real `exhibit capture`, changed the way a running system or an
//! intruder changes it (auth.log rotated and appended to, a whole file
//! truncated, 17 lines about one address deleted, the journal rotated),
//! captured again, and both archives are read together. Each line must be
//! one event (the count is the union, checked against `sort -u` of the
//! files and `journalctl`), rotation and truncation are not erasure, and
//! deleted lines are named with the address they mention.

use crate::util::scenario::{capture_tree, syslog};
use crate::util::{exhibit, tool, write};
use serde_json::Value;
use std::path::{Path, PathBuf};

const IP: &str = "198.18.7.7";

/// `n` auth.log lines from `start` minutes after 2026-03-01 08:00, one a
/// minute; the lines numbered in `ip_lines` are failed passwords from
/// `IP`, the others cron sessions.
fn lines(start: u32, n: u32, ip_lines: &[u32]) -> String {
    let mut s = String::new();
    for k in start..start + n {
        let time = format!("2026-03-01T{:02}:{:02}:00", 8 + k / 60, k % 60);
        if ip_lines.contains(&k) {
            s += &syslog(
                &time,
                &format!("sshd[{}]", 2000 + k),
                &format!("Failed password for root from {IP} port {} ssh2", 40000 + k),
            );
        } else {
            s += &syslog(
                &time,
                "CRON[77]",
                &format!(
                    "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0) job {k}"
                ),
            );
        }
    }
    s
}

fn host(dir: &Path) -> PathBuf {
    let root = dir.join("web01");
    write(&root, "etc/hostname", b"web01\n");
    write(&root, "etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n");
    root
}

/// `exhibit logs A B --json` and `exhibit logs events A B` (one JSON per line).
fn logs(archives: &[&Path]) -> (Value, Vec<Value>) {
    let out = exhibit()
        .arg("logs")
        .args(archives)
        .args(["--json", "-q", "--evidence", "100"])
        .output()
        .expect("run exhibit logs");
    assert!(
        out.status.code() == Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let ev = exhibit()
        .args(["logs", "events"])
        .args(archives)
        .arg("-q")
        .output()
        .expect("run exhibit logs events");
    assert!(ev.status.success());
    let events = String::from_utf8(ev.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("event json"))
        .collect();
    (doc, events)
}

fn findings<'a>(doc: &'a Value, rule: &str) -> Vec<&'a Value> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// The number of distinct lines in some files, by `sort -u` (gzip through
/// `zcat`).
fn union_count(files: &[PathBuf], dir: &Path) -> usize {
    let mut all = Vec::new();
    for f in files {
        let text = if f.extension().is_some_and(|e| e == "gz") {
            tool("zcat", &[f.to_str().unwrap()], dir)
        } else {
            std::fs::read_to_string(f).unwrap()
        };
        all.push(text);
    }
    let joined = dir.join("joined.txt");
    std::fs::write(&joined, all.concat()).unwrap();
    tool("sort", &["-u", joined.to_str().unwrap()], dir)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn rotated_logs_are_one_event_per_line_and_not_erasure() {
    let t = tempfile::tempdir().unwrap();
    let root = host(t.path());
    // Baseline: auth.log.1 (older) and auth.log, with a brute force of
    // six failures in auth.log.
    let older = lines(0, 30, &[]);
    let live = lines(30, 40, &[40, 41, 42, 43, 44, 45]);
    write(&root, "var/log/auth.log.1", older.as_bytes());
    write(&root, "var/log/auth.log", live.as_bytes());
    let a = capture_tree(&root, &t.path().join("a"));
    let base_files = [
        root.join("var/log/auth.log.1"),
        root.join("var/log/auth.log"),
    ];
    let base_copy = t.path().join("base");
    for f in &base_files {
        write(
            &base_copy,
            f.file_name().unwrap().to_str().unwrap(),
            &std::fs::read(f).unwrap(),
        );
    }
    // logrotate: auth.log.1 -> auth.log.2.gz, auth.log -> auth.log.1, a
    // new auth.log goes on.
    std::fs::remove_file(root.join("var/log/auth.log.1")).unwrap();
    write(&root, "var/log/auth.log.2.gz", &gzip(older.as_bytes()));
    std::fs::rename(
        root.join("var/log/auth.log"),
        root.join("var/log/auth.log.1"),
    )
    .unwrap();
    write(&root, "var/log/auth.log", lines(70, 25, &[]).as_bytes());
    let b = capture_tree(&root, &t.path().join("b"));

    let mut files = vec![
        base_copy.join("auth.log.1"),
        base_copy.join("auth.log"),
        root.join("var/log/auth.log.2.gz"),
        root.join("var/log/auth.log.1"),
        root.join("var/log/auth.log"),
    ];
    let union = union_count(&files, t.path());
    assert_eq!(union, 95);
    files.clear();

    let (doc, events) = logs(&[&a, &b]);
    assert_eq!(events.len(), union, "each line once");
    assert_eq!(doc["events"], union);
    assert_eq!(doc["merged_lines"], 70);
    assert_eq!(doc["erased_lines"], 0);
    assert!(findings(&doc, "erased_lines").is_empty(), "{doc:#}");
    // The brute force is counted once, not twice.
    let brute = findings(&doc, "ssh_bruteforce");
    assert_eq!(brute.len(), 1, "{doc:#}");
    assert_eq!(brute[0]["events"], 6);
    // A baseline line names the incident's copy (moved to auth.log.1).
    let first_fail = events
        .iter()
        .find(|e| e["text"].as_str().unwrap().contains("port 40040"))
        .expect("the failure");
    assert_eq!(first_fail["archive"], a.display().to_string());
    assert_eq!(first_fail["path"], "/var/log/auth.log");
    let also = first_fail["also_in"].as_array().expect("also_in");
    assert_eq!(also.len(), 1);
    assert_eq!(also[0]["archive"], b.display().to_string());
    assert_eq!(also[0]["path"], "/var/log/auth.log.1");
    assert_eq!(also[0]["line"], first_fail["line"]);
    // The oldest lines, now in auth.log.2.gz, too.
    let oldest = events
        .iter()
        .find(|e| e["text"].as_str().unwrap().contains("job 0"))
        .unwrap();
    assert_eq!(oldest["also_in"][0]["path"], "/var/log/auth.log.2.gz");
    // A line only the incident has lists no other copy.
    let new = events
        .iter()
        .find(|e| e["text"].as_str().unwrap().contains("job 90"))
        .unwrap();
    assert!(new.get("also_in").is_none());

    // The timeline holds each log line once too.
    let tl = exhibit()
        .args(["timeline", "-q", "--no-file-findings"])
        .args([&a, &b])
        .output()
        .expect("run exhibit timeline");
    assert!(
        tl.status.success(),
        "{}",
        String::from_utf8_lossy(&tl.stderr)
    );
    let log_rows = String::from_utf8(tl.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("jsonl"))
        .filter(|v| v["origin"] == "log")
        .count();
    assert_eq!(log_rows, union);

    // Each archive alone is unchanged by the merge: no also_in, no
    // snapshot keys.
    let (alone, alone_events) = logs(&[&a]);
    assert_eq!(alone_events.len(), 70);
    assert!(alone.get("snapshots").is_none() && alone.get("events").is_none());
    assert!(alone_events.iter().all(|e| e.get("also_in").is_none()));

    // The Logs screen's snapshot column: the archive each line was read
    // from, and how many other snapshots hold it.
    let load = |sources: Vec<PathBuf>| {
        exhibit::logs::load(
            &exhibit::logs::LoadRequest {
                sources,
                tz_offset_s: None,
                format: None,
                threads: 0,
            },
            &exhibit::job::NoProgress,
            &exhibit::job::CancelToken::new(),
        )
        .unwrap()
    };
    use exhibit::viewmodel::logs::{several_snapshots, snapshot_label};
    let store = load(vec![a.clone(), b.clone()]);
    assert!(several_snapshots(&store));
    let (an, bn) = (
        a.file_name().unwrap().to_string_lossy().into_owned(),
        b.file_name().unwrap().to_string_lossy().into_owned(),
    );
    let label = |needle: &str| {
        let e = store
            .events
            .iter()
            .find(|e| store.location(e).contains("auth") && e.line_text().contains(needle))
            .expect(needle);
        snapshot_label(&store, e)
    };
    assert_eq!(label("port 40040"), format!("{an} +1"));
    assert_eq!(label("job 90"), bn);

    assert!(!several_snapshots(&load(vec![a.clone()])));
    assert_eq!(
        exhibit::viewmodel::logs::common_snapshot_prefix(&load(vec![a.clone()])),
        0
    );
}

#[test]
fn a_whole_file_truncated_or_emptied_is_not_erasure() {
    let t = tempfile::tempdir().unwrap();
    let root = host(t.path());
    write(&root, "var/log/auth.log.1", lines(0, 20, &[]).as_bytes());
    write(
        &root,
        "var/log/auth.log",
        lines(20, 30, &[25, 26]).as_bytes(),
    );
    write(&root, "var/log/syslog", lines(100, 10, &[]).as_bytes());
    let a = capture_tree(&root, &t.path().join("a"));
    // auth.log cut to nothing and written again; syslog emptied.
    write(&root, "var/log/auth.log", lines(60, 5, &[]).as_bytes());
    write(&root, "var/log/syslog", b"");
    let b = capture_tree(&root, &t.path().join("b"));
    let (doc, events) = logs(&[&a, &b]);
    assert_eq!(events.len(), 20 + 30 + 10 + 5);
    assert_eq!(doc["erased_lines"], 0, "{doc:#}");
    assert!(findings(&doc, "erased_lines").is_empty());
    // The emptied log is still reported by the integrity detection.
    assert!(
        findings(&doc, "empty_log")
            .iter()
            .any(|f| f["title"].as_str().unwrap().contains("/var/log/syslog")),
        "{doc:#}"
    );
}

/// Baseline auth.log: 100 lines, 17 of them (spread through the middle)
/// failures from `IP`; the incident's: the same without those 17, plus 10
/// new lines.
fn deleted_lines(dir: &Path) -> (PathBuf, PathBuf, String, String) {
    let root = host(dir);
    let ip_lines: Vec<u32> = (0..17).map(|k| 10 + k * 5).collect();
    let old = lines(0, 100, &ip_lines);
    write(&root, "var/log/auth.log", old.as_bytes());
    let a = capture_tree(&root, &dir.join("a"));
    let mut new: String = old
        .lines()
        .filter(|l| !l.contains(IP))
        .map(|l| format!("{l}\n"))
        .collect();
    new += &lines(100, 10, &[]);
    write(&root, "var/log/auth.log", new.as_bytes());
    let b = capture_tree(&root, &dir.join("b"));
    (a, b, old, new)
}

#[test]
fn deleted_lines_are_named_with_the_address_they_mention() {
    let t = tempfile::tempdir().unwrap();
    let (a, b, old, new) = deleted_lines(t.path());
    // What `diff` (GNU diffutils) calls deleted lines is what we call erased.
    std::fs::write(t.path().join("old.log"), &old).unwrap();
    std::fs::write(t.path().join("new.log"), &new).unwrap();
    let (_, d) = crate::util::tool_status("diff", &["old.log", "new.log"], t.path());
    let gnu_deleted: Vec<&str> = d.lines().filter(|l| l.starts_with("< ")).collect();
    assert_eq!(gnu_deleted.len(), 17);
    assert!(gnu_deleted.iter().all(|l| l.contains(IP)));

    let (doc, events) = logs(&[&a, &b]);
    assert_eq!(
        events.len(),
        110,
        "the union: 100 baseline lines and 10 new"
    );
    assert_eq!(doc["erased_lines"], 17);
    let erased = findings(&doc, "erased_lines");
    assert_eq!(erased.len(), 1, "{doc:#}");
    let f = erased[0];
    assert_eq!(f["severity"], "high");
    assert_eq!(f["events"], 17);
    assert_eq!(f["paths"][0], "/var/log/auth.log");
    assert!(f["ips"].as_array().unwrap().iter().any(|i| i == IP));
    let title = f["title"].as_str().unwrap();
    assert!(title.contains(&format!("17 mentioning {IP}")), "{title}");
    let expl = f["explanation"].as_str().unwrap();
    assert!(
        expl.contains(&format!(
            "17 lines mentioning {IP} were removed from /var/log/auth.log between the two captures"
        )),
        "{expl}"
    );
    assert!(expl.contains("17 lines of account root"), "{expl}");
    // The evidence lines are exactly the lines GNU diff says were deleted.
    let mut shown: Vec<String> = f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("< {}", e["text"].as_str().unwrap()))
        .collect();
    shown.sort();
    let mut want: Vec<String> = gnu_deleted.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(shown, want);

    // Given in the other order, the archives are still ordered by
    // acquisition time: the same finding.
    let (doc2, _) = logs(&[&b, &a]);
    assert_eq!(doc2["erased_lines"], 17);
}

#[test]
fn a_journal_rotated_between_captures_is_merged_entry_by_entry() {
    let t = tempfile::tempdir().unwrap();
    let root = host(t.path());
    let gz = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/logs/journal/system.journal.gz"),
    )
    .unwrap();
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut raw).unwrap();
    let dir = "var/log/journal/0123456789abcdef0123456789abcdef";
    write(&root, &format!("{dir}/system.journal"), &raw);
    let a = capture_tree(&root, &t.path().join("a"));
    // journald rotates: the file is renamed to an archived name.
    std::fs::rename(
        root.join(format!("{dir}/system.journal")),
        root.join(format!(
            "{dir}/system@0123456789abcdef0123456789abcdef-0000000000000001-0006000000000000.journal"
        )),
    )
    .unwrap();
    let b = capture_tree(&root, &t.path().join("b"));
    let export = tool(
        "journalctl",
        &[
            "--file",
            root.join(dir).join("*.journal").to_str().unwrap(),
            "-o",
            "export",
        ],
        t.path(),
    );
    let entries = export.matches("__CURSOR=").count();
    assert!(entries > 10, "{entries}");
    let (doc, events) = logs(&[&a, &b]);
    assert_eq!(events.len(), entries, "each entry once");
    assert_eq!(doc["merged_lines"], entries);
    assert_eq!(doc["erased_lines"], 0);
}

/// `exhibit diff A B --json` and its text output.
fn diff(a: &Path, b: &Path) -> (Value, String) {
    let out = exhibit()
        .args(["diff", "-q", "--json"])
        .args([a, b])
        .output()
        .expect("run exhibit diff");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = serde_json::from_slice(&out.stdout).expect("json");
    let text = exhibit()
        .args(["diff", "-q"])
        .args([a, b])
        .output()
        .expect("diff");
    (doc, String::from_utf8(text.stdout).expect("utf-8"))
}

fn change<'a>(doc: &'a Value, path: &str) -> &'a Value {
    doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == path)
        .unwrap_or_else(|| panic!("no change for {path}: {doc:#}"))
}

#[test]
fn diff_lists_the_lines_a_rewritten_log_lost() {
    let t = tempfile::tempdir().unwrap();
    let (a, b, old, new) = deleted_lines(t.path());
    std::fs::write(t.path().join("old.log"), &old).unwrap();
    std::fs::write(t.path().join("new.log"), &new).unwrap();
    let (_, d) = crate::util::tool_status("diff", &["old.log", "new.log"], t.path());
    let mut gnu: Vec<String> = d
        .lines()
        .filter_map(|l| l.strip_prefix("< "))
        .map(str::to_string)
        .collect();
    gnu.sort();

    let (doc, text) = diff(&a, &b);
    let c = change(&doc, "/var/log/auth.log");
    assert_eq!(c["change"], "rewritten");
    let lost = &c["lost_lines"];
    assert_eq!(lost["erased"], 17, "{lost:#}");
    assert_eq!(lost["cut"], 0);
    assert_eq!(lost["addresses"][0]["address"], IP);
    assert_eq!(lost["addresses"][0]["lines"], 17);
    let mut shown: Vec<String> = lost["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap().to_string())
        .collect();
    shown.sort();
    assert_eq!(shown, gnu);
    assert_eq!(lost["lines"][0]["old_line"], 11);
    assert!(
        text.contains("lost: 17 line(s) erased between kept lines; mentioning 198.18.7.7 ×17"),
        "{text}"
    );
    assert!(text.contains("erased line 11: "), "{text}");
}

#[test]
fn diff_of_a_log_replaced_as_a_whole_lists_cut_lines_not_erased_ones() {
    let t = tempfile::tempdir().unwrap();
    let tr = crate::util::scenario::rewritten_log(t.path());
    let out = t.path().join("archives");
    let a = capture_tree(&tr.baseline, &out);
    let b = capture_tree(&tr.incident, &out);
    let old_lines = std::fs::read_to_string(tr.baseline.join("var/log/auth.log"))
        .unwrap()
        .lines()
        .count();
    let (doc, _) = diff(&a, &b);
    let c = change(&doc, "/var/log/auth.log");
    assert_eq!(c["change"], "rewritten");
    assert_eq!(c["lost_lines"]["erased"], 0);
    assert_eq!(c["lost_lines"]["cut"], old_lines);
    // Read together, the two snapshots show no erased lines either.
    let (logs_doc, _) = logs(&[&a, &b]);
    assert_eq!(logs_doc["erased_lines"], 0);
}

#[test]
fn lines_deleted_from_a_log_that_was_then_rotated_are_still_named() {
    let t = tempfile::tempdir().unwrap();
    let root = host(t.path());
    let ip_lines: Vec<u32> = (0..17).map(|k| 5 + k * 3).collect();
    let old = lines(0, 60, &ip_lines);
    write(&root, "var/log/auth.log", old.as_bytes());
    let a = capture_tree(&root, &t.path().join("a"));
    // The intruder's lines go, then logrotate moves the file on.
    let kept: String = old
        .lines()
        .filter(|l| !l.contains(IP))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::remove_file(root.join("var/log/auth.log")).unwrap();
    write(&root, "var/log/auth.log.1", kept.as_bytes());
    write(&root, "var/log/auth.log", lines(60, 5, &[]).as_bytes());
    let b = capture_tree(&root, &t.path().join("b"));

    let (doc, events) = logs(&[&a, &b]);
    assert_eq!(events.len(), 65);
    assert_eq!(doc["erased_lines"], 17);
    let (d, _) = diff(&a, &b);
    let c = change(&d, "/var/log/auth.log");
    assert_eq!(c["change"], "rewritten", "{c:#}");
    assert_eq!(c["lost_lines"]["erased"], 17, "{c:#}");
    assert_eq!(c["lost_lines"]["cut"], 0);
    assert_eq!(c["lost_lines"]["lines"][0]["old_line"], 6);
}

/// The baseline's log rewritten behind its seal (a line planted with
/// Python's zipfile): the planted line counts as lost, so the lost lines
/// say the comparison read altered bytes, in JSON and in the text.
#[test]
fn lost_lines_read_from_an_altered_log_say_so() {
    let t = tempfile::tempdir().unwrap();
    let (a, b, old, _) = deleted_lines(t.path());
    let planted = format!(
        "{old}Mar 11 11:59:59 web1 sshd[9]: Accepted password for root from 192.0.2.250 port 1 ssh2\n"
    );
    crate::util::alter_member(&a, "/var/log/auth.log", planted.as_bytes());
    let run = |json: bool| {
        let mut c = exhibit();
        c.args(["diff", "-q"]);
        if json {
            c.arg("--json");
        }
        let out = c.args([&a, &b]).output().expect("run exhibit diff");
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let doc: Value = serde_json::from_str(&run(true)).expect("json");
    let lost = &change(&doc, "/var/log/auth.log")["lost_lines"];
    assert_eq!(lost["erased"], 17, "{lost:#}");
    assert_eq!(lost["cut"], 1, "the planted last line: {lost:#}");
    let why = lost["altered"]
        .as_str()
        .unwrap_or_else(|| panic!("{lost:#}"));
    assert!(
        why.contains("/var/log/auth.log in ") && why.contains("but the manifest sealed"),
        "{why}"
    );
    let text = run(false);
    assert!(
        text.contains("ALTERED: content does not match the sealed manifest"),
        "{text}"
    );
    // The intact pair: no mark.
    let doc_intact = {
        let t2 = tempfile::tempdir().unwrap();
        let (a2, b2, _, _) = deleted_lines(t2.path());
        diff(&a2, &b2).0
    };
    assert!(
        change(&doc_intact, "/var/log/auth.log")["lost_lines"]
            .get("altered")
            .is_none()
    );
}
