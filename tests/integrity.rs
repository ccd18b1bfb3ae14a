//! Content that does not match its archive's seal is never shown without a
//! warning: `exhibit logs` and `exhibit timeline` on an archive whose log
//! member was rewritten with Python's `zipfile` (every ZIP CRC right, only
//! the sealed manifest disagrees) warn on stderr and mark the file and its
//! events in their JSON; the same archive left intact gets no warning.

use crate::util::{alter_member, exhibit, write};
use serde_json::Value;
use std::path::{Path, PathBuf};

const AUTH: &str = "Nov 22 10:00:01 web1 sshd[4101]: Failed password for root from 203.0.113.66 port 50001 ssh2\n\
Nov 22 10:00:20 web1 sshd[4107]: Accepted password for root from 203.0.113.66 port 50007 ssh2\n";

/// The same line count, one address changed: what an intruder covering
/// their tracks would write.
const FORGED: &str = "Nov 22 10:00:01 web1 sshd[4101]: Failed password for root from 203.0.113.66 port 50001 ssh2\n\
Nov 22 10:00:20 web1 sshd[4107]: Accepted password for root from 192.0.2.99 port 50007 ssh2\n";

/// (intact archive, altered copy) of a tree holding `var/log/auth.log`.
pub fn intact_and_altered(dir: &Path) -> (PathBuf, PathBuf) {
    let root = dir.join("root");
    write(&root, "var/log/auth.log", AUTH.as_bytes());
    let mut req = crate::util::root_request(&root, &dir.join("intact"), "IR-17");
    req.compression = exhibit::capture::Compression::Store;
    let intact = crate::util::run_capture(&req);
    let altered_dir = dir.join("altered");
    std::fs::create_dir_all(&altered_dir).unwrap();
    let altered = altered_dir.join(intact.file_name().unwrap());
    std::fs::copy(&intact, &altered).unwrap();
    alter_member(&altered, "/var/log/auth.log", FORGED.as_bytes());
    (intact, altered)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = exhibit().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn logs_cli_warns_about_a_log_that_does_not_match_the_seal() {
    let tmp = tempfile::tempdir().unwrap();
    let (intact, altered) = intact_and_altered(tmp.path());

    let (code, out, err) = run(&["logs", altered.to_str().unwrap(), "--json", "-q"]);
    assert_eq!(code, 1, "altered evidence is not a clean run: {err}");
    assert!(
        err.contains("WARNING: content does not match the sealed manifest")
            && err.contains("/var/log/auth.log"),
        "{err}"
    );
    let doc: Value = serde_json::from_str(&out).unwrap();
    let src = &doc["sources"][0];
    assert_eq!(src["path"], "/var/log/auth.log");
    assert_eq!(src["integrity"]["state"], "mismatch", "{src}");
    assert!(
        src["integrity"]["detail"]
            .as_str()
            .unwrap()
            .contains(&crate::util::sha256_hex(FORGED.as_bytes())),
        "the detail names the hash of what was read: {src}"
    );
    // Every event read from it says so too.
    let (_, out, _) = run(&["logs", "events", altered.to_str().unwrap(), "-q"]);
    let evs: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!evs.is_empty(), "{out}");
    assert!(evs.iter().all(|e| e["integrity"] == "mismatch"), "{out}");

    let (code, out, err) = run(&["logs", intact.to_str().unwrap(), "--json", "-q"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("WARNING"), "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["sources"][0]["integrity"]["state"], "matches");
}

#[test]
fn timeline_cli_warns_and_marks_the_events_of_an_altered_log() {
    let tmp = tempfile::tempdir().unwrap();
    let (intact, altered) = intact_and_altered(tmp.path());
    let (code, out, err) = run(&["timeline", altered.to_str().unwrap(), "-q"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("WARNING: content does not match the sealed manifest")
            && err.contains("/var/log/auth.log"),
        "{err}"
    );
    let logs: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["origin"] == "log")
        .collect();
    assert_eq!(logs.len(), 2, "{out}");
    assert!(logs.iter().all(|e| e["integrity"] == "mismatch"), "{out}");
    assert!(
        logs.iter()
            .any(|e| e["message"].as_str().unwrap().contains("192.0.2.99"))
    );

    let (_, out, err) = run(&["timeline", intact.to_str().unwrap(), "-q"]);
    assert!(!err.contains("WARNING"), "{err}");
    assert!(!out.contains("\"integrity\""), "{out}");
}

pub const SHELL: &str = "<?php eval($_POST['cmd']); ?>\n";
/// The web shell as an intruder would leave the evidence: the same rule
/// still fires, but the bytes are not the ones sealed.
pub const SHELL_FORGED: &str = "<?php eval($_POST['zzz']); ?>\n";

/// (baseline, intact incident archive, altered copy of it) of a web root
/// whose `shell.php` became a web shell between the two captures.
fn shell_archives(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let capture = |root: &Path, out: &str| {
        crate::util::run_capture(&crate::util::root_request(root, &dir.join(out), "IR-17"))
    };
    let before = dir.join("before");
    write(
        &before,
        "var/www/html/shell.php",
        b"<?php echo 'hello'; ?>\n",
    );
    write(&before, "var/www/html/index.html", b"<p>hi</p>\n");
    let after = dir.join("after");
    write(&after, "var/www/html/shell.php", SHELL.as_bytes());
    write(&after, "var/www/html/index.html", b"<p>hi</p>\n");
    let base = capture(&before, "base");
    let intact = capture(&after, "intact");
    let altered_dir = dir.join("altered");
    std::fs::create_dir_all(&altered_dir).unwrap();
    let altered = altered_dir.join(intact.file_name().unwrap());
    std::fs::copy(&intact, &altered).unwrap();
    alter_member(&altered, "/var/www/html/shell.php", SHELL_FORGED.as_bytes());
    (base, intact, altered)
}

fn shell_finding(doc: &Value) -> &Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "webshell.eval_of_request_or_decoded_data")
        .unwrap_or_else(|| panic!("no web shell finding: {doc}"))
}

/// `exhibit CMD SNAPSHOT... --json -q --html HTML`: the exit code, the
/// JSON, stderr and the HTML page written.
fn with_report(cmd: &str, snapshots: &[&Path], html: &Path) -> (i32, Value, String, String) {
    let mut args = vec![cmd];
    args.extend(snapshots.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--json", "-q", "--html", html.to_str().unwrap()]);
    let (code, out, err) = run(&args);
    let doc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let page = std::fs::read_to_string(html).unwrap_or_default();
    (code, doc, err, page)
}

#[test]
fn scan_and_diff_mark_findings_that_rest_on_altered_content() {
    let tmp = tempfile::tempdir().unwrap();
    let (base, intact, altered) = shell_archives(tmp.path());
    let forged_sha = crate::util::sha256_hex(SHELL_FORGED.as_bytes());

    // scan: the finding says its bytes are not the sealed ones, stderr
    // warns, the exit code is not a clean run's, the report marks it.
    let html = tmp.path().join("scan.html");
    let (code, doc, err, page) = with_report("scan", &[&altered], &html);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("WARNING: content does not match the sealed manifest")
            && err.contains("/var/www/html/shell.php"),
        "{err}"
    );
    let f = shell_finding(&doc);
    let why = f["altered"].as_str().unwrap_or_else(|| panic!("{f}"));
    assert!(why.contains(&forged_sha), "{why}");
    // Only the altered file's findings are marked.
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"] != "/var/www/html/shell.php")
            .all(|f| f.get("altered").is_none()),
        "{doc}"
    );
    assert!(page.contains("class=\"altered\""), "no badge in the report");
    assert!(
        page.contains("class=\"altered-box\""),
        "no box in the report"
    );

    // The same scan of the intact archive: no mark, a clean exit, and the
    // report without a badge.
    let (code, doc, err, page) = with_report("scan", &[&intact], &html);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("WARNING"), "{err}");
    assert!(shell_finding(&doc).get("altered").is_none(), "{doc}");
    assert!(!doc.to_string().contains("\"altered\""), "{doc}");
    assert!(!page.contains("class=\"altered"));

    // diff: the finding and the line diff of the changed file say so.
    let (code, doc, err, page) = with_report("diff", &[&base, &altered], &html);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("/var/www/html/shell.php"), "{err}");
    assert!(
        shell_finding(&doc)["altered"]
            .as_str()
            .is_some_and(|w| w.contains(&forged_sha)),
        "{doc}"
    );
    assert!(
        page.contains("the new side's content does not match the sealed manifest"),
        "the line diff of the altered file is not marked"
    );
    assert!(page.contains("zzz"), "the diff shows what was read");

    let (code, _, err, page) = with_report("diff", &[&base, &intact], &html);
    assert_eq!(code, 0, "{err}");
    assert!(!page.contains("class=\"altered"));

    // Text output: the finding carries the mark.
    let (_, out, _) = run(&["scan", altered.to_str().unwrap(), "-q"]);
    assert!(
        out.contains("ALTERED: content does not match the sealed manifest"),
        "{out}"
    );
}

#[test]
fn timeline_and_investigation_mark_what_rests_on_an_altered_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, intact, altered) = shell_archives(tmp.path());

    // The timeline's file finding from the altered file.
    let (_, out, err) = run(&["timeline", altered.to_str().unwrap(), "-q"]);
    assert!(
        err.contains("WARNING: content does not match the sealed manifest")
            && err.contains("/var/www/html/shell.php"),
        "{err}"
    );
    let findings: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["origin"] == "finding" && v["path"] == "/var/www/html/shell.php")
        .collect();
    assert!(!findings.is_empty(), "{out}");
    assert!(
        findings.iter().all(|e| e["integrity"] == "mismatch"),
        "{out}"
    );
    let (_, out, err) = run(&["timeline", intact.to_str().unwrap(), "-q"]);
    assert!(!err.contains("WARNING"), "{err}");
    assert!(!out.contains("\"integrity\""), "{out}");

    // The investigation lists the file, and its report marks the evidence.
    let (code, out, err) = run(&["investigate", altered.to_str().unwrap(), "--json", "-q"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("WARNING") && err.contains("shell.php"),
        "{err}"
    );
    let doc: Value = serde_json::from_str(&out).unwrap();
    let inv = if doc.get("investigation").is_some() {
        &doc["investigation"]
    } else {
        &doc
    };
    let listed = inv["altered"].as_array().unwrap_or_else(|| panic!("{out}"));
    assert!(
        listed.iter().any(|a| a["path"] == "/var/www/html/shell.php"
            && a["snapshot"] == altered.to_str().unwrap()),
        "{out}"
    );
    let report = tmp.path().join("report.html");
    let (_, _, err) = run(&[
        "report",
        altered.to_str().unwrap(),
        "-o",
        report.to_str().unwrap(),
        "-q",
    ]);
    let page = std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert!(
        page.contains("class=\"altered-box\""),
        "no box in the report"
    );
    assert!(page.contains("class=\"altered\""), "no badge in the report");

    let (_, out, err) = run(&["investigate", intact.to_str().unwrap(), "--json", "-q"]);
    assert!(!err.contains("WARNING"), "{err}");
    assert!(!out.contains("\"altered\""), "{out}");
}

/// A file read whole through `Snapshot::read_prefix` (as the detectors and
/// the investigation read configuration) is checked on the way and
/// remembered when its bytes are not the sealed ones; a file read only in
/// part cannot be judged and is not; the intact archive remembers nothing.
#[test]
fn whole_reads_remember_altered_content_and_partial_reads_do_not() {
    use exhibit::job::{CancelToken, NoProgress};
    use exhibit::snapshot::Snapshot;
    let tmp = tempfile::tempdir().unwrap();
    let (_, intact, altered) = shell_archives(tmp.path());
    let path = "/var/www/html/shell.php";

    let snap = Snapshot::open(&altered, &NoProgress, &CancelToken::new()).unwrap();
    let e = snap.get(path).unwrap();
    let part = snap.read_prefix(e, 5).unwrap();
    assert_eq!(part, SHELL_FORGED.as_bytes()[..5].to_vec());
    assert!(snap.altered_reads().is_empty(), "a part proves nothing");
    let whole = snap.read_prefix(e, 1 << 20).unwrap();
    assert_eq!(whole, SHELL_FORGED.as_bytes(), "what was read is returned");
    let got = snap.altered_reads();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, path);
    assert!(got[0].1.contains("but the manifest sealed"), "{got:?}");

    let snap = Snapshot::open(&intact, &NoProgress, &CancelToken::new()).unwrap();
    let e = snap.get(path).unwrap();
    assert_eq!(snap.read_prefix(e, 1 << 20).unwrap(), SHELL.as_bytes());
    assert!(snap.altered_reads().is_empty());
}
