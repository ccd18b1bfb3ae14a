//! Custody end to end: an auditor checks every event with the real
//! `ssh-keygen -Y verify` on bytes extracted by Python's standard library and
//! by the shell recipe in docs/custody.md; `custody show/add/form`,
//! `verify --record`, passphrase-protected keys and ssh-agent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::util::custody::*;
use std::path::Path;
use std::process::{Command as Std, Stdio};

/// Extract event `n` (1-based) with Python's stdlib: message and signature.
fn extract_with_python(
    log: &Path,
    n: usize,
    dir: &Path,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let msg = dir.join(format!("event{n}.msg"));
    let sig = dir.join(format!("event{n}.sig"));
    let script = r#"
import json, sys
line = open(sys.argv[1], "rb").read().split(b"\n")[int(sys.argv[2]) - 1]
cut = line.rindex(b',"signature":')
open(sys.argv[3], "wb").write(line[:cut] + b"}")
open(sys.argv[4], "w").write(json.loads(line)["signature"] + "\n")
"#;
    let st = Std::new("python3")
        .args(["-c", script])
        .arg(log)
        .arg(n.to_string())
        .arg(&msg)
        .arg(&sig)
        .status()
        .unwrap();
    assert!(st.success());
    (msg, sig)
}

fn ssh_keygen_verify(allowed: &Path, principal: &str, sig: &Path, msg: &Path) -> (bool, String) {
    let o = Std::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(allowed)
        .args(["-I", principal, "-n", "exhibit-custody", "-s"])
        .arg(sig)
        .stdin(std::fs::File::open(msg).unwrap())
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

#[test]
fn every_event_verifies_with_ssh_keygen_and_python() {
    let c = handed_over();
    let lines = c.lines();
    assert_eq!(lines.len(), 4);
    let who = [
        "ann@example.org",
        "ann@example.org",
        "ann@example.org",
        "bob@example.org",
    ];
    for (i, principal) in who.iter().enumerate() {
        let (msg, sig) = extract_with_python(&c.log, i + 1, c.dir.path());
        let (ok, out) = ssh_keygen_verify(&c.allowed, principal, &sig, &msg);
        assert!(ok, "event {}: {out}", i + 1);
        assert!(out.contains("Good \"exhibit-custody\" signature"), "{out}");
        // ssh-keygen -Y find-principals names the signer from the signature alone.
        let o = Std::new("ssh-keygen")
            .args(["-Y", "find-principals", "-f"])
            .arg(&c.allowed)
            .arg("-s")
            .arg(&sig)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), *principal);
        // A tampered message fails with the real tool, with and without trust.
        let mut m = std::fs::read(&msg).unwrap();
        let pos = m.windows(4).position(|w| w == b"seq\"").unwrap() + 5;
        m[pos] = b'9';
        std::fs::write(&msg, &m).unwrap();
        let (ok, out) = ssh_keygen_verify(&c.allowed, principal, &sig, &msg);
        assert!(!ok, "tampered event {} verified: {out}", i + 1);
        let o = Std::new("ssh-keygen")
            .args(["-Y", "check-novalidate", "-n", "exhibit-custody", "-s"])
            .arg(&sig)
            .stdin(std::fs::File::open(&msg).unwrap())
            .output()
            .unwrap();
        assert!(!o.status.success());
    }
    // The wrong principal is refused too.
    let (msg, sig) = extract_with_python(&c.log, 4, c.dir.path());
    assert!(!ssh_keygen_verify(&c.allowed, "ann@example.org", &sig, &msg).0);
}

#[test]
fn prev_links_check_with_python_hashlib() {
    let c = handed_over();
    let script = r#"
import hashlib, json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
assert lines[-1] == b"", "log must end with a line feed"
lines = lines[:-1]
prev = None
for n, line in enumerate(lines, 1):
    e = json.loads(line)
    assert e["seq"] == n, n
    assert e["prev"] == prev, n
    prev = hashlib.sha256(line).hexdigest()
print(len(lines))
"#;
    let o = Std::new("python3")
        .args(["-c", script])
        .arg(&c.log)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "4");
}

#[test]
fn shell_recipe_from_the_docs_works() {
    let c = handed_over();
    let recipe = r#"
set -e
N=3
sed -n "${N}p" "$LOG" | sed 's/,"signature":"[^"]*"}$/}/' | tr -d '\n' > event.msg
sed -n "${N}p" "$LOG" | sed 's/.*,"signature":"\([^"]*\)"}$/\1/; s/\\n/\n/g' > event.sig
ssh-keygen -Y verify -f "$ALLOWED" -I "$(ssh-keygen -Y find-principals -f "$ALLOWED" -s event.sig)" \
  -n exhibit-custody -s event.sig < event.msg
"#;
    let o = Std::new("sh")
        .args(["-c", recipe])
        .current_dir(c.dir.path())
        .env("LOG", &c.log)
        .env("ALLOWED", &c.allowed)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("Good \"exhibit-custody\" signature for ann@example.org"),
        "{out}"
    );
}

#[test]
fn first_events_repeat_the_acquisition() {
    let c = handed_over();
    let lines = c.lines();
    let acquired: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    let sealed: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(acquired["action"], "acquired");
    assert_eq!(acquired["prev"], serde_json::Value::Null);
    assert_eq!(acquired["location"], "Server room 2");
    assert_eq!(acquired["details"]["case_id"], "CASE-7");
    assert_eq!(acquired["details"]["evidence_id"], "E01");
    assert_eq!(acquired["actor"]["name"], "Ann Responder");
    assert!(acquired["details"]["source_host"]["hostname"].is_string());
    assert!(
        acquired["details"]["command_line"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "--sign")
    );
    // The acquisition.json hash is the hash of the member in the archive.
    let ar = exhibit::archive::Archive::open(&c.archive).unwrap();
    let bytes = ar.read_tag("exhibit/acquisition.json", 1 << 20).unwrap();
    use sha2::Digest;
    assert_eq!(
        acquired["details"]["acquisition_json_sha256"],
        hex::encode(sha2::Sha256::digest(&bytes))
    );
    // sealed records the archive's real size and SHA-256 (sha256sum-style).
    let data = std::fs::read(&c.archive).unwrap();
    assert_eq!(sealed["action"], "sealed");
    assert_eq!(
        sealed["archive"]["sha256"],
        hex::encode(sha2::Sha256::digest(&data))
    );
    assert_eq!(sealed["details"]["size_bytes"], data.len() as u64);
    assert_eq!(
        sealed["archive"]["file"],
        c.archive.file_name().unwrap().to_str().unwrap()
    );
}

#[test]
fn show_json_lists_events_and_statuses() {
    let c = handed_over();
    let o = exhibit()
        .args(["custody", "show"])
        .arg(&c.archive)
        .arg("--trust")
        .arg(&c.allowed)
        .arg("--json")
        .output()
        .unwrap();
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let events = v["events"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["acquired", "sealed", "transferred", "received"]);
    assert_eq!(events[2]["details"]["to"], "Bob Custodian");
    assert_eq!(events[2]["details"]["medium"], "USB disk SN 1234, bag 77");
    assert_eq!(v["signatures"][3]["status"], "valid");
    assert_eq!(v["signatures"][3]["signer"], "bob@example.org");
    assert_eq!(v["problems"].as_array().unwrap().len(), 0);
}

#[test]
fn append_refuses_a_broken_chain_and_says_why() {
    let c = handed_over();
    let mut lines = c.lines();
    lines.remove(2);
    c.write_lines(&lines);
    let before = std::fs::read(&c.log).unwrap();
    let o = exhibit()
        .args(["custody", "add"])
        .arg(&c.archive)
        .args(["--action", "note", "--actor", "Carol", "--note", "x"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("refusing to append") && err.contains("event 4 (received)"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&c.log).unwrap(),
        before,
        "the log must not change"
    );
}

#[test]
fn append_refuses_an_archive_that_does_not_match_sealed() {
    let c = handed_over();
    let other = capture(c.dir.path(), "other", &[("x", "y")], &[]);
    std::fs::copy(&other, &c.archive).unwrap();
    let before = std::fs::read(&c.log).unwrap();
    let o = exhibit()
        .args(["custody", "add"])
        .arg(&c.archive)
        .args(["--action", "received", "--actor", "Dan"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not match its sealed SHA-256"));
    assert_eq!(std::fs::read(&c.log).unwrap(), before);
}

#[test]
fn verify_record_appends_a_signed_verified_event() {
    let c = handed_over();
    let carol = keygen(c.dir.path(), "carol", "");
    let mut allowed = std::fs::read_to_string(&c.allowed).unwrap();
    allowed.push_str(&format!("carol@example.org {}\n", pubkey(&carol)));
    std::fs::write(&c.allowed, allowed).unwrap();
    let o = exhibit()
        .arg("verify")
        .arg(&c.archive)
        .arg("--trust")
        .arg(&c.allowed)
        .args(["--json", "--record", "--actor", "Carol Auditor", "--sign"])
        .arg(&carol)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["recorded"]["seq"], 5);
    let lines = c.lines();
    assert_eq!(lines.len(), 5);
    let e: serde_json::Value = serde_json::from_str(&lines[4]).unwrap();
    assert_eq!(e["action"], "verified");
    assert_eq!(e["details"]["result"], "intact");
    assert_eq!(e["details"]["observed_sha256"], v["sha256"]);
    // The new event verifies with Exhibit and with ssh-keygen.
    let (code, out) = verify(&c);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("custody event 5: signature valid (carol@example.org)"),
        "{out}"
    );
    let (msg, sig) = extract_with_python(&c.log, 5, c.dir.path());
    assert!(ssh_keygen_verify(&c.allowed, "carol@example.org", &sig, &msg).0);
}

#[test]
fn verify_record_of_a_failed_verification_says_failed() {
    let dir = tempfile::tempdir().unwrap();
    let archive = capture(dir.path(), "src", &[("a", "1")], &[]);
    let other = capture(dir.path(), "other", &[("b", "2")], &[]);
    std::fs::copy(&other, &archive).unwrap();
    let o = exhibit()
        .arg("verify")
        .arg(&archive)
        .args(["-q", "--record", "--actor", "Carol"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let log = exhibit::archive::custody_log_path(&archive);
    let text = std::fs::read_to_string(&log).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "verified");
    assert_eq!(last["details"]["result"], "failed");
    assert!(
        last["details"]["problem_kinds"]
            .as_str()
            .unwrap()
            .contains("custody_archive_mismatch")
    );
}

#[test]
fn wrong_passphrase_fails_before_capture() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "bob", PASS);
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("f"), "x").unwrap();
    let out = dir.path().join("out");
    let o = exhibit()
        .env("EXHIBIT_KEY_PASSPHRASE", "wrong")
        .arg("capture")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .args(["--case", "C", "--examiner", "E", "-q", "--sign"])
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("wrong passphrase"));
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
    // Without a passphrase and without a terminal: a clear error, no prompt.
    let o = exhibit()
        .arg("capture")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .args(["--case", "C", "--examiner", "E", "-q", "--sign"])
        .arg(&key)
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("EXHIBIT_KEY_PASSPHRASE"));
}

#[test]
fn form_escapes_user_input() {
    let c = handed_over();
    exhibit()
        .args(["custody", "add"])
        .arg(&c.archive)
        .args([
            "--action",
            "note",
            "--actor",
            "<img src=x onerror=alert(1)>",
        ])
        .args([
            "--note",
            "<script>alert('pwned')</script>",
            "--location",
            "R&D \"lab\"",
        ])
        .assert()
        .success();
    let html = c.path("form.html");
    exhibit()
        .args(["custody", "form"])
        .arg(&c.archive)
        .arg("-o")
        .arg(&html)
        .arg("--trust")
        .arg(&c.allowed)
        .assert()
        .success();
    let h = std::fs::read_to_string(&html).unwrap();
    assert!(!h.contains("<script"), "unescaped script");
    assert!(!h.contains("<img"), "unescaped img");
    assert!(h.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;"));
    assert!(h.contains("R&amp;D &quot;lab&quot;"));
    // Case header, item table, custody table.
    assert!(h.contains("CASE-7"));
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        std::fs::read(&c.archive).unwrap(),
    ));
    assert!(h.contains(&sha));
    assert!(h.contains("Bob Custodian"));
    assert!(h.contains("valid (bob@example.org)"));
    assert!(h.contains("unsigned"));
    assert!(h.contains("@page{size:A4"));
}

#[test]
fn ssh_agent_signs_without_the_private_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "dora", PASS);
    let sock = dir.path().join("agent.sock");
    let mut agent = Std::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&sock)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ssh-agent");
    for _ in 0..100 {
        if sock.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // ssh-add reads the passphrase through SSH_ASKPASS when there is no tty.
    let askpass = dir.path().join("askpass.sh");
    std::fs::write(&askpass, format!("#!/bin/sh\necho '{PASS}'\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&askpass, std::fs::Permissions::from_mode(0o700)).unwrap();
    let added = Std::new("ssh-add")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &sock)
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env("DISPLAY", ":0")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let result = std::panic::catch_unwind(|| {
        assert!(
            added.status.success(),
            "{}",
            String::from_utf8_lossy(&added.stderr)
        );
        let archive = capture(dir.path(), "src", &[("a", "1")], &[]);
        // The .pub names the key; the agent signs.
        exhibit()
            .env("SSH_AUTH_SOCK", &sock)
            .args(["custody", "add"])
            .arg(&archive)
            .args([
                "--action",
                "note",
                "--actor",
                "Dora",
                "--contact",
                "dora@example.org",
                "--note",
                "agent",
                "--sign",
            ])
            .arg(key.with_extension("pub"))
            .assert()
            .success();
        // The encrypted key file itself: the agent is used, no passphrase asked.
        exhibit()
            .env("SSH_AUTH_SOCK", &sock)
            .args(["custody", "add"])
            .arg(&archive)
            .args([
                "--action",
                "note",
                "--actor",
                "Dora",
                "--contact",
                "dora@example.org",
                "--note",
                "agent 2",
                "--sign",
            ])
            .arg(&key)
            .write_stdin("")
            .assert()
            .success();
        let allowed = dir.path().join("allowed");
        std::fs::write(&allowed, format!("dora@example.org {}\n", pubkey(&key))).unwrap();
        let o = exhibit()
            .arg("verify")
            .arg(&archive)
            .arg("--trust")
            .arg(&allowed)
            .arg("-q")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        // Events 1-2 are unsigned (capture without --sign), which --trust
        // does not accept; 3 and 4 are signed by the agent, as Dora.
        assert_eq!(o.status.code(), Some(1), "{out}");
        assert_eq!(out.matches("custody_unsigned").count(), 2, "{out}");
        assert!(out.contains("result:  FAILED, 2 problem(s)"), "{out}");
        assert!(!out.contains("WARNING"), "{out}");
        assert!(
            out.contains("custody event 3: signature valid (dora@example.org)"),
            "{out}"
        );
        assert!(
            out.contains("custody event 4: signature valid (dora@example.org)"),
            "{out}"
        );
    });
    let _ = agent.kill();
    let _ = agent.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// `custody keygen` makes a passphrase-protected key that signs a capture,
/// and the one line it prints is all an auditor needs: `custody show
/// --trust` and OpenSSH's `ssh-keygen -Y verify` both accept the events.
#[test]
fn keygen_key_signs_a_capture_that_its_printed_line_trusts() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("ann_ed25519");
    let o = exhibit()
        .args(["custody", "keygen", "--principal", "ann@cert.example"])
        .arg(&key)
        .env("EXHIBIT_KEY_PASSPHRASE", "long passphrase")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let line = String::from_utf8(o.stdout).unwrap();
    assert!(line.starts_with("ann@cert.example namespaces=\"exhibit-custody\" ssh-ed25519 "));
    // The key is encrypted: without the passphrase, signing is refused.
    let private = std::fs::read_to_string(&key).unwrap();
    assert!(private.contains("BEGIN OPENSSH PRIVATE KEY"));
    let again = exhibit()
        .args(["custody", "keygen", "--principal", "x", "--no-passphrase"])
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "never overwrites a key");
    assert_eq!(std::fs::read_to_string(&key).unwrap(), private);

    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a.txt"), "evidence").unwrap();
    let out = tmp.path().join("out");
    let o = exhibit()
        .arg("capture")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .args([
            "--case",
            "C-1",
            "--examiner",
            "Ann",
            "--json",
            "-q",
            "--sign",
        ])
        .arg(&key)
        .env("EXHIBIT_KEY_PASSPHRASE", "long passphrase")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let archive = std::path::PathBuf::from(v["archive"].as_str().unwrap());
    let signers = tmp.path().join("allowed_signers");
    std::fs::write(&signers, &line).unwrap();
    let o = exhibit()
        .args(["custody", "show", "--json", "--trust"])
        .arg(&signers)
        .arg(&archive)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let shown: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let text = shown.to_string();
    assert!(text.contains("ann@cert.example"), "{text}");
    let log = exhibit::archive::custody_log_path(&archive);
    let (msg, sig) = extract_with_python(&log, 1, tmp.path());
    let (ok, why) = ssh_keygen_verify(&signers, "ann@cert.example", &sig, &msg);
    assert!(ok, "{why}");
}

fn mkfifo(p: &Path) {
    assert!(Std::new("mkfifo").arg(p).status().unwrap().success());
}

/// `ssh-keygen -Y verify -I principal` under the time zone `tz`.
fn ssh_keygen_accepts(allowed: &Path, principal: &str, sig: &Path, msg: &Path, tz: &str) -> bool {
    Std::new("ssh-keygen")
        .env("TZ", tz)
        .args(["-Y", "verify", "-f"])
        .arg(allowed)
        .args(["-I", principal, "-n", "exhibit-custody", "-s"])
        .arg(sig)
        .stdin(std::fs::File::open(msg).unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// Every allowed_signers option, decided by Exhibit and by the real
/// `ssh-keygen -Y verify`: they must agree on every line. Exhibit's "yes" is
/// a `valid` signature with no `custody_signer_not_actor` warning; ssh-keygen's
/// is acceptance for one of the actor's names (name, suggested principal,
/// contact), which is how docs/custody.md defines the actor check.
#[test]
fn allowed_signers_decide_as_ssh_keygen_does() {
    let dir = tempfile::tempdir().unwrap();
    let ann = keygen(dir.path(), "ann", "");
    let other = keygen(dir.path(), "other", "");
    let sign = ann.to_str().unwrap().to_string();
    let archive = capture(
        dir.path(),
        "src",
        &[("a", "1")],
        &["--sign", &sign, "--contact", "ann@example.org"],
    );
    let log = exhibit::archive::custody_log_path(&archive);
    // Event 2 (sealed), signed by Ann; its actor is "Ann Responder".
    let (msg, sig) = extract_with_python(&log, 2, dir.path());
    let k = pubkey(&ann);
    // The examiner's clock is 5 hours behind UTC: a time without `Z` is
    // local time, for ssh-keygen and for Exhibit alike.
    let tz = "EST5";
    let hour_ago_utc = (chrono::Utc::now() - chrono::TimeDelta::hours(1))
        .format("%Y%m%d%H%M%S")
        .to_string();
    let rows: Vec<(String, bool)> = vec![
        (format!("ann@example.org {k}"), true),
        (
            format!("ann@example.org namespaces=\"exhibit-custody\" {k}"),
            true,
        ),
        (
            format!("ann@example.org NameSpaces=\"exhibit-custody\" {k}"),
            true,
        ),
        (
            format!("ann@example.org namespaces=\"!exhibit-custody,*\" {k}"),
            false,
        ),
        (
            format!("ann@example.org namespaces=\"*,!exhibit-custody\" {k}"),
            false,
        ),
        (
            format!("ann@example.org namespaces=\"!git,exhibit-custody\" {k}"),
            true,
        ),
        (format!("ann@example.org namespaces=\"!git\" {k}"), false),
        (
            format!("ann@example.org namespaces=\"!exhibit-*,exhibit-custody\" {k}"),
            false,
        ),
        (
            format!("ann@example.org namespaces=\"exhibit-*\" {k}"),
            true,
        ),
        (
            format!("ann@example.org namespaces=\"exhibit-custod?\" {k}"),
            true,
        ),
        (
            format!("ann@example.org namespaces=\"git,file\" {k}"),
            false,
        ),
        (
            format!("ann@example.org namespaces=\"git, exhibit-custody\" {k}"),
            false,
        ),
        (
            format!("ann@example.org namespaces=\"Exhibit-Custody\" {k}"),
            false,
        ),
        (
            format!("ann@example.org namespaces=exhibit-custody {k}"),
            false,
        ),
        (
            format!("ann@example.org namespaces=\"exhibit-custody\",namespaces=\"git\" {k}"),
            false,
        ),
        (
            format!("ann@example.org namespaces=\"exhibit-custody\", {k}"),
            false,
        ),
        (
            format!("ann@example.org namespaces=\"exhibit-custody\" valid-after=\"20200101\" {k}"),
            false,
        ),
        (format!("*@example.org {k}"), true),
        (format!("*@EXAMPLE.org {k}"), false),
        (format!("ann@* {k}"), true),
        (format!("!ann@example.org,*@example.org {k}"), false),
        (format!("*@example.org,!ann@* {k}"), false),
        (format!("!bob@example.org,*@example.org {k}"), true),
        (format!("!ann@example.org {k}"), false),
        (format!("\"bob@example.org,ann@example.org\" {k}"), true),
        (format!("bob@example.org,carl@example.org {k}"), false),
        (format!("Ann@Example.org {k}"), false),
        (format!("\"Ann Responder\" {k}"), true),
        (format!("ann.responder {k}"), true),
        (format!("ann.* {k}"), true),
        (
            format!("ann@example.org valid-before=\"20200101\" {k}"),
            false,
        ),
        (
            format!("ann@example.org valid-after=\"20990101\" {k}"),
            false,
        ),
        (
            format!("ann@example.org valid-after=\"20200101Z\",valid-before=\"20990101Z\" {k}"),
            true,
        ),
        (
            format!("ann@example.org valid-after=\"20200101z\" {k}"),
            true,
        ),
        (
            format!("ann@example.org valid-before=\"209901010000UTC\" {k}"),
            true,
        ),
        (
            format!("ann@example.org valid-before=\"{hour_ago_utc}\" {k}"),
            true,
        ),
        (
            format!("ann@example.org valid-before=\"{hour_ago_utc}Z\" {k}"),
            false,
        ),
        (
            format!("ann@example.org valid-after=\"{hour_ago_utc}\" {k}"),
            false,
        ),
        (
            format!("ann@example.org valid-after=\"{hour_ago_utc}Z\" {k}"),
            true,
        ),
        (format!("ann@example.org valid-after=\"2020\" {k}"), false),
        (
            format!("ann@example.org valid-before=\"20990101\",valid-after=\"20990102\" {k}"),
            false,
        ),
        (
            format!("ann@example.org valid-after=\"19690101Z\" {k}"),
            false,
        ),
        (format!("ann@example.org cert-authority {k}"), false),
        (
            format!("ann@example.org cert-authority,namespaces=\"exhibit-custody\" {k}"),
            false,
        ),
        (format!("ann@example.org restrict {k}"), false),
        (format!("ann@example.org foo=\"bar\" {k}"), false),
        (format!("ann@example.org no-touch-required {k}"), false),
        (format!("# ann@example.org {k}"), false),
        (format!("   ann@example.org {k}"), true),
        (format!("ann@example.org\t{k}"), true),
        (format!("ann@example.org {k}\r"), true),
        (
            format!("ann@example.org {}", k.replace("AAAA", "AAAB")),
            false,
        ),
        (
            format!("ann@example.org namespaces=\"git\" {k}\nann@example.org {k}"),
            true,
        ),
        (
            format!("ann@example.org bogus {k}\nann@example.org {k}"),
            true,
        ),
    ];
    let allowed = dir.path().join("allowed_signers");
    for (line, expected) in &rows {
        // Another key's line keeps the file usable when Ann's line is not.
        std::fs::write(
            &allowed,
            format!("bob@example.org {}\n{line}\n", pubkey(&other)),
        )
        .unwrap();
        let keygen_ok = ["Ann Responder", "ann.responder", "ann@example.org"]
            .iter()
            .any(|id| ssh_keygen_accepts(&allowed, id, &sig, &msg, tz));
        let o = exhibit()
            .env("TZ", tz)
            .args(["custody", "show", "--json", "--trust"])
            .arg(&allowed)
            .arg(&log)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{line}: {e}: {}", String::from_utf8_lossy(&o.stderr)));
        let not_actor = v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["detail"].as_str().unwrap().contains("event 2"));
        let exhibit_ok = v["signatures"][1]["status"] == "valid" && !not_actor;
        assert_eq!(
            exhibit_ok, keygen_ok,
            "{line:?}: Exhibit says {exhibit_ok}, ssh-keygen -Y verify says {keygen_ok}"
        );
        assert_eq!(
            keygen_ok, *expected,
            "{line:?}: the table is wrong about ssh-keygen"
        );
    }
}

/// A FIFO (or a device) named like the custody log, or given as the trust
/// file, is refused at once: it used to block `verify` and `custody show`
/// forever.
#[test]
fn fifo_named_like_the_custody_log_does_not_hang() {
    let c = handed_over();
    std::fs::remove_file(&c.log).unwrap();
    mkfifo(&c.log);
    let os = |p: &Path| p.as_os_str().to_owned();
    let o = run_with_deadline(
        &[
            &os(Path::new("verify")),
            &os(&c.archive),
            &os(Path::new("-q")),
        ],
        60,
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("custody_unreadable") && l.contains("FIFO")),
        "{out}"
    );
    let o = run_with_deadline(
        &[
            &os(Path::new("custody")),
            &os(Path::new("show")),
            &os(&c.archive),
        ],
        60,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("FIFO"));
    // A FIFO or a device as the allowed_signers file.
    let fifo = c.path("allowed_fifo");
    mkfifo(&fifo);
    for trust in [fifo.as_path(), Path::new("/dev/zero")] {
        let o = run_with_deadline(
            &[
                &os(Path::new("verify")),
                &os(&c.archive),
                &os(Path::new("-q")),
                &os(Path::new("--trust")),
                &os(trust),
            ],
            60,
        );
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // custody add hashes the archive: a FIFO there is refused too.
    let fake = c.path("fifo.zip");
    mkfifo(&fake);
    let o = run_with_deadline(
        &[
            &os(Path::new("custody")),
            &os(Path::new("add")),
            &os(&fake),
            &os(Path::new("--action")),
            &os(Path::new("note")),
            &os(Path::new("--actor")),
            &os(Path::new("Bob")),
        ],
        60,
    );
    assert_eq!(o.status.code(), Some(2));
}

/// Actor names and notes from the log cannot drive the terminal or the
/// HTML form: control and bidi-override characters are shown escaped.
#[test]
fn hostile_actor_names_are_inert_in_show_and_the_form() {
    let c = handed_over();
    let evil = "Eve\u{1b}[2J\u{1b}[H\u{202e}TCATNI\r";
    exhibit()
        .args(["custody", "add"])
        .arg(&c.archive)
        .args([
            "--action",
            "note",
            "--actor",
            evil,
            "--note",
            "\u{9b}31m\u{2066}x",
        ])
        .assert()
        .success();
    let raw = |b: &[u8]| {
        let s = String::from_utf8_lossy(b);
        s.chars().any(|ch| {
            (ch.is_control() && ch != '\n')
                || ('\u{202a}'..='\u{202e}').contains(&ch)
                || ('\u{2066}'..='\u{2069}').contains(&ch)
        })
    };
    let o = exhibit()
        .args(["custody", "show"])
        .arg(&c.archive)
        .output()
        .unwrap();
    assert!(!raw(&o.stdout), "{}", String::from_utf8_lossy(&o.stdout));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("Eve\\x1b[2J\\x1b[H\\u{202e}TCATNI\\r"),
        "{out}"
    );
    let o = exhibit()
        .args(["custody", "show", "--json"])
        .arg(&c.archive)
        .output()
        .unwrap();
    assert!(!raw(&o.stdout));
    // The JSON still holds the exact name.
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["events"][4]["actor"]["name"], evil);
    let form = c.path("form.html");
    exhibit()
        .args(["custody", "form"])
        .arg(&c.archive)
        .arg("-o")
        .arg(&form)
        .assert()
        .success();
    let html = std::fs::read(&form).unwrap();
    assert!(!raw(&html), "raw control or bidi character in the form");
    assert!(String::from_utf8_lossy(&html).contains("Eve\\x1b[2J\\x1b[H\\u{202e}TCATNI\\r"));
}
