//! Tamper tests: each way of altering a custody log or its archive makes
//! `exhibit verify` fail (exit 1) with a message naming the event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod custody_util;
use custody_util::*;

#[test]
fn untouched_chain_verifies() {
    let c = handed_over();
    let (code, out) = verify(&c);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("custody event 4: signature valid (bob@example.org)"),
        "{out}"
    );
    assert!(
        out.contains("custody event 1: signature valid (ann@example.org)"),
        "{out}"
    );
}

#[test]
fn edited_field() {
    let c = handed_over();
    let mut lines = c.lines();
    assert!(lines[2].contains("USB disk SN 1234"));
    lines[2] = lines[2].replace("USB disk SN 1234", "USB disk SN 9999");
    c.write_lines(&lines);
    assert_fails_naming(&c, "custody_signature_invalid", "event 3 (transferred)");
    // The next line's link no longer matches either.
    assert_fails_naming(&c, "custody_chain_broken", "event 4 (received)");
}

#[test]
fn edited_field_of_unsigned_event_breaks_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let archive = capture(dir.path(), "src", &[("a", "1")], &[]);
    for who in ["Bob", "Carol"] {
        exhibit()
            .args(["custody", "add"])
            .arg(&archive)
            .args(["--action", "note", "--actor", who, "--note", "checked seal"])
            .assert()
            .success();
    }
    let log = exhibit::archive::custody_log_path(&archive);
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(
        &log,
        text.replacen("\"name\":\"Bob\"", "\"name\":\"Eve\"", 1),
    )
    .unwrap();
    let o = exhibit()
        .arg("verify")
        .arg(&archive)
        .arg("-q")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.lines().any(|l| l.contains("custody_chain_broken")
            && l.contains("event 4 (note)")
            && l.contains("line 3")),
        "{out}"
    );
}

#[test]
fn deleted_event() {
    let c = handed_over();
    let mut lines = c.lines();
    lines.remove(2);
    c.write_lines(&lines);
    let out = assert_fails_naming(&c, "custody_seq", "event 4 (received)");
    assert!(out.contains("event 3 is missing"), "{out}");
    assert_fails_naming(&c, "custody_chain_broken", "event 4 (received)");
}

#[test]
fn swapped_events() {
    let c = handed_over();
    let mut lines = c.lines();
    lines.swap(2, 3);
    c.write_lines(&lines);
    assert_fails_naming(&c, "custody_seq", "event 4 (received)");
    assert_fails_naming(&c, "custody_seq", "event 3 (transferred)");
    assert_fails_naming(&c, "custody_chain_broken", "event 3 (transferred)");
}

#[test]
fn truncated_last_line() {
    let c = handed_over();
    let text = std::fs::read(&c.log).unwrap();
    let cut = text.len() - 120;
    std::fs::write(&c.log, &text[..cut]).unwrap();
    assert_fails_naming(&c, "custody_truncated", "event 4, received");
}

#[test]
fn reused_signature() {
    let c = handed_over();
    let mut lines = c.lines();
    let sig_of = |l: &str| {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        v["signature"].as_str().unwrap().to_string()
    };
    // Ann's valid signature of event 2 pasted onto event 3.
    let old = serde_json::to_string(&sig_of(&lines[2])).unwrap();
    let new = serde_json::to_string(&sig_of(&lines[1])).unwrap();
    lines[2] = lines[2].replace(&old, &new);
    c.write_lines(&lines);
    assert_fails_naming(&c, "custody_signature_invalid", "event 3 (transferred)");
}

#[test]
fn forged_signature() {
    let c = handed_over();
    let mut lines = c.lines();
    // Flip one character inside the signature blob of the last event.
    let at = lines[3].rfind("-----END").unwrap() - 12;
    let mut b = lines[3].clone().into_bytes();
    b[at] = if b[at] == b'A' { b'B' } else { b'A' };
    lines[3] = String::from_utf8(b).unwrap();
    c.write_lines(&lines);
    assert_fails_naming(&c, "custody_signature_invalid", "event 4 (received)");
}

#[test]
fn signature_by_key_not_in_allowed_signers() {
    let c = handed_over();
    let mallory = keygen(c.dir.path(), "mallory", "");
    exhibit()
        .args(["custody", "add"])
        .arg(&c.archive)
        .args([
            "--action", "note", "--actor", "Mallory", "--note", "all fine", "--sign",
        ])
        .arg(&mallory)
        .assert()
        .success();
    assert_fails_naming(&c, "custody_signature_untrusted", "event 5 (note)");
    // Without a trust file the signature is reported as untrusted, not valid,
    // and is not a failure.
    let o = exhibit()
        .arg("verify")
        .arg(&c.archive)
        .arg("-q")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("custody event 5: signature untrusted (SHA256:"),
        "{out}"
    );
    assert!(!out.contains("signature valid"), "{out}");
}

#[test]
fn archive_replaced_by_another() {
    let c = handed_over();
    let other = capture(
        c.dir.path(),
        "other",
        &[("passwd", "root:x:0:0\nmallory:x:0:0\n")],
        &[],
    );
    std::fs::copy(&other, &c.archive).unwrap();
    assert_fails_naming(&c, "custody_archive_mismatch", "event 2 (sealed)");
}

#[test]
fn log_of_another_archive() {
    let c = handed_over();
    let other = capture(c.dir.path(), "other", &[("x", "y")], &[]);
    std::fs::copy(exhibit::archive::custody_log_path(&other), &c.log).unwrap();
    assert_fails_naming(&c, "custody_archive_mismatch", "event 2 (sealed)");
    assert_fails_naming(&c, "custody_archive_mismatch", "event 1 (acquired)");
}
