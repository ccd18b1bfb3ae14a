//! Tamper tests: each way of altering a custody log or its archive makes
//! `exhibit verify` fail (exit 1) with a message naming the event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::util::custody::*;

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
    assert!(
        out.contains("assurance: the archive is the one sealed by a trusted key (ann@example.org)"),
        "{out}"
    );
    assert!(!out.contains("WARNING"), "{out}");
    assert!(out.contains("result:  INTACT\n"), "{out}");
}

/// `verify --json`: the report as a JSON document.
fn verify_json(c: &Case, trust: bool) -> (i32, serde_json::Value) {
    let mut cmd = exhibit();
    cmd.arg("verify").arg(&c.archive).arg("--json");
    if trust {
        cmd.arg("--trust").arg(&c.allowed);
    }
    let o = cmd.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        serde_json::from_slice(&o.stdout).unwrap(),
    )
}

#[test]
fn trust_without_a_custody_log_fails() {
    let c = handed_over();
    std::fs::remove_file(&c.log).unwrap();
    assert_fails_naming(&c, "custody_missing", "no custody log beside the archive");
    let (code, v) = verify_json(&c, true);
    assert_eq!(code, 1);
    assert_eq!(v["custody_assurance"]["level"], "failed");
    // Without --trust the archive is intact, and the report says plainly
    // that nothing ties it to the sealed original.
    let (code, v) = verify_json(&c, false);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["custody_assurance"]["level"], "internal_only");
    let said = v["custody_assurance"]["statement"].as_str().unwrap();
    assert!(said.contains("only internally consistent"), "{said}");
    assert!(
        said.contains("nothing ties it to the sealed original"),
        "{said}"
    );
    let o = exhibit()
        .arg("verify")
        .arg(&c.archive)
        .arg("-q")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(
            "result:  INTACT (internally consistent only: nothing ties it to the sealed original)"
        ),
        "{out}"
    );
}

#[test]
fn trust_with_a_log_nobody_signed_fails() {
    let c = handed_over();
    let other = capture(c.dir.path(), "unsigned", &[("a", "1")], &[]);
    let c = Case {
        log: exhibit::archive::custody_log_path(&other),
        archive: other,
        ..c
    };
    assert_fails_naming(&c, "custody_unsigned", "event 1 (acquired)");
    assert_fails_naming(&c, "custody_unsigned", "event 2 (sealed)");
    // `custody show --trust` judges the log the same way.
    let o = exhibit()
        .args(["custody", "show"])
        .arg(&c.archive)
        .arg("--trust")
        .arg(&c.allowed)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("custody_unsigned"), "{out}");
    // Without --trust the same log is not a failure.
    let (code, v) = verify_json(&c, false);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["custody_assurance"]["level"], "internal_only");
}

#[test]
fn stripped_and_rebuilt_log_fails_with_trust() {
    let c = handed_over();
    c.write_lines(&strip_signatures(&c.lines()));
    // The rebuilt chain is consistent: without --trust nothing is wrong...
    let (code, v) = verify_json(&c, false);
    assert_eq!(code, 0, "{v:#}");
    assert!(
        v["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "unsigned")
    );
    // ...but the auditor asked for signed custody.
    let out = assert_fails_naming(&c, "custody_unsigned", "event 2 (sealed)");
    assert!(!out.contains("custody_chain_broken"), "{out}");
    assert_fails_naming(&c, "custody_unsigned", "event 1 (acquired)");
    let (_, v) = verify_json(&c, true);
    assert_eq!(v["custody_assurance"]["level"], "failed");
}

#[test]
fn signer_who_is_not_the_actor_is_reported() {
    let c = handed_over();
    let bob = c.path("bob");
    // Bob, a trusted signer, records a note in Ann's name.
    exhibit()
        .env("EXHIBIT_KEY_PASSPHRASE", PASS)
        .args(["custody", "add"])
        .arg(&c.archive)
        .args([
            "--action",
            "note",
            "--actor",
            "Ann Responder",
            "--contact",
            "ann@example.org",
            "--note",
            "returned",
            "--sign",
        ])
        .arg(&bob)
        .assert()
        .success();
    // A warning every auditor sees, not a failure: the signature is valid
    // and Bob is trusted, but he is not the person the event names.
    let (code, out) = verify(&c);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("WARNING")
            && l.contains("custody_signer_not_actor")
            && l.contains("event 5 (note)")
            && l.contains("bob@example.org")),
        "{out}"
    );
    let (_, v) = verify_json(&c, true);
    let w = v["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{v:#}");
    assert_eq!(w[0]["kind"], "custody_signer_not_actor");
    let o = exhibit()
        .args(["custody", "show"])
        .arg(&c.archive)
        .arg("--trust")
        .arg(&c.allowed)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("WARNING: custody_signer_not_actor"), "{out}");
    // Events 1 to 4 name their signers: no other warning.
    assert_eq!(out.matches("WARNING").count(), 1, "{out}");
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
