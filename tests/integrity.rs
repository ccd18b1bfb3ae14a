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
    let mut req =
        exhibit::capture::CaptureRequest::new(Vec::new(), dir.join("intact"), "IR-17", "Tess");
    req.root = Some(root);
    req.compression = exhibit::capture::Compression::Store;
    let intact = exhibit::capture::capture(
        &req,
        &exhibit::job::NoProgress,
        &exhibit::job::CancelToken::new(),
    )
    .unwrap()
    .archive;
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
