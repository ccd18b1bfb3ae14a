//! Encrypted evidence (`capture --encrypt-to`, `verify --identity`,
//! `decrypt`): checked with tools we did not write. Keys come from Debian's
//! `age-keygen` and `ssh-keygen`, archives are decrypted with the standard
//! `age` CLI, the ZIP tested with Info-ZIP `unzip -t`, hashes taken with
//! `sha256sum`; and no plaintext ZIP may appear in the output directory at
//! any moment of the capture.

use crate::util::custody::strip_signatures;
use crate::util::{self, exhibit, tool, tool_status, write};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A source tree with a known payload.
fn source(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    write(&src, "etc/app.conf", b"SECRET-CONTENT of the evidence\n");
    write(&src, "var/log/app.log", &b"log line\n".repeat(20_000));
    src
}

/// An age X25519 key made by `age-keygen`: (identity file, recipient).
fn age_key(dir: &Path, name: &str) -> (PathBuf, String) {
    let key = dir.join(name);
    tool("age-keygen", &["-o", key.to_str().unwrap()], dir);
    let recipient = tool("age-keygen", &["-y", key.to_str().unwrap()], dir)
        .trim()
        .to_string();
    assert!(recipient.starts_with("age1"), "{recipient}");
    (key, recipient)
}

/// An unencrypted ssh-ed25519 key made by `ssh-keygen`: (private key, public line).
fn ssh_key(dir: &Path, name: &str) -> (PathBuf, String) {
    let key = crate::util::custody::keygen(dir, name, "");
    let public = crate::util::custody::pubkey(&key);
    (key, public)
}

/// Run `capture --encrypt-to RECIPIENT --store` while another thread lists
/// the output directory as fast as it can; returns the summary and every
/// name seen there during the capture.
fn capture_watched(src: &Path, out: &Path, recipient: &str) -> (Value, BTreeSet<String>) {
    std::fs::create_dir_all(out).unwrap();
    let mut cmd = std::process::Command::new(util::exhibit_path());
    cmd.arg("capture")
        .arg(src)
        .args(["--encrypt-to", recipient, "--store", "-o"])
        .arg(out)
        .args([
            "--case",
            "CASE-1",
            "--examiner",
            "Test Examiner",
            "--json",
            "-q",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("run exhibit capture");
    let seen = std::sync::Mutex::new(BTreeSet::new());
    let done = std::sync::atomic::AtomicBool::new(false);
    let output = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                if let Ok(rd) = std::fs::read_dir(out) {
                    let mut seen = seen.lock().unwrap();
                    for e in rd.flatten() {
                        seen.insert(e.file_name().to_string_lossy().into_owned());
                    }
                }
            }
        });
        let o = child.wait_with_output().unwrap();
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        o
    });
    assert!(
        output.status.success(),
        "capture failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    (summary, seen.into_inner().unwrap())
}

fn sha256sum(path: &Path) -> String {
    let out = tool("sha256sum", &[path.to_str().unwrap()], Path::new("/"));
    out.split_whitespace().next().unwrap().to_string()
}

fn sealed_event(archive: &Path) -> Value {
    let log = exhibit::archive::custody_log_path(archive);
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["action"] == "sealed")
        .expect("a sealed event")
}

fn verify_json(args: &[&std::ffi::OsStr]) -> (i32, Value, String) {
    let out = exhibit()
        .arg("verify")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `age -d -i KEY` of the archive into `plain`.
fn age_decrypt(key: &Path, archive: &Path, plain: &Path) {
    tool(
        "age",
        &[
            "-d",
            "-i",
            key.to_str().unwrap(),
            "-o",
            plain.to_str().unwrap(),
            archive.to_str().unwrap(),
        ],
        Path::new("/"),
    );
}

fn assert_no_plaintext_name(seen: &BTreeSet<String>) {
    assert!(
        seen.iter().any(|n| n.ends_with(".zip.age.partial")),
        "the watcher saw the capture in progress: {seen:?}"
    );
    for n in seen {
        assert!(
            !n.ends_with(".zip") && !n.ends_with(".zip.partial"),
            "a plaintext archive name appeared in the output directory: {n} (all: {seen:?})"
        );
    }
}

#[test]
fn capture_to_an_age_recipient_writes_only_ciphertext_that_age_decrypts() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let (key, recipient) = age_key(dir.path(), "key.txt");
    let out = dir.path().join("out");
    let (summary, seen) = capture_watched(&src, &out, &recipient);
    assert_no_plaintext_name(&seen);
    let archive = util::archive_path(&summary);
    assert!(archive.to_string_lossy().ends_with(".zip.age"));
    // Stored (not deflated): the payload would be readable if not encrypted.
    let raw = std::fs::read(&archive).unwrap();
    assert!(raw.starts_with(b"age-encryption.org/v1\n"));
    assert!(!raw.windows(14).any(|w| w == b"SECRET-CONTENT"));

    let plain = dir.path().join("plain.zip");
    age_decrypt(&key, &archive, &plain);
    tool("unzip", &["-tq", plain.to_str().unwrap()], dir.path());
    let (code, report) = util::verify(&plain);
    assert_eq!(code, 0, "{report:#}");

    let sealed = sealed_event(&archive);
    let cipher = sha256sum(&archive);
    let plain_sha = sha256sum(&plain);
    assert_eq!(sealed["archive"]["sha256"], cipher.as_str());
    assert_eq!(sealed["details"]["ciphertext_sha256"], cipher.as_str());
    assert_eq!(sealed["details"]["plaintext_sha256"], plain_sha.as_str());
    assert_eq!(sealed["details"]["encryption"], "age");
    assert_eq!(sealed["details"]["recipients"][0], recipient.as_str());
    assert_eq!(summary["sha256"], cipher.as_str());
    assert_eq!(
        summary["encryption"]["plaintext_sha256"],
        plain_sha.as_str()
    );
}

#[test]
fn capture_to_an_ssh_key_decrypts_with_age_and_verifies_with_the_identity() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let (key, public) = ssh_key(dir.path(), "id_ed25519");
    assert!(public.starts_with("ssh-ed25519 "));
    let out = dir.path().join("out");
    let (summary, seen) = capture_watched(&src, &out, &public);
    assert_no_plaintext_name(&seen);
    let archive = util::archive_path(&summary);

    let plain = dir.path().join("plain.zip");
    age_decrypt(&key, &archive, &plain);
    tool("unzip", &["-tq", plain.to_str().unwrap()], dir.path());
    assert_eq!(
        sealed_event(&archive)["details"]["plaintext_sha256"],
        sha256sum(&plain).as_str()
    );

    let (code, report, err) =
        verify_json(&[archive.as_os_str(), "--identity".as_ref(), key.as_os_str()]);
    assert_eq!(code, 0, "{report:#} {err}");
    assert_eq!(report["encryption"]["contents_checked"], true);
    assert!(report["checked"]["payload_files"].as_u64().unwrap() >= 2);
}

#[test]
fn verify_without_a_key_checks_the_ciphertext_and_catches_a_flipped_byte() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let (key, recipient) = age_key(dir.path(), "key.txt");
    let (summary, _) = capture_watched(&src, &dir.path().join("out"), &recipient);
    let archive = util::archive_path(&summary);

    let (code, report, err) = verify_json(&[archive.as_os_str()]);
    assert_eq!(code, 0, "{report:#} {err}");
    assert_eq!(report["encryption"]["contents_checked"], false);
    assert_eq!(report["sha256"], sha256sum(&archive).as_str());

    let mut raw = std::fs::read(&archive).unwrap();
    let mid = raw.len() / 2;
    raw[mid] ^= 0x01;
    std::fs::write(&archive, &raw).unwrap();
    let (code, report, _) = verify_json(&[archive.as_os_str()]);
    assert_eq!(code, 1, "{report:#}");
    assert!(util::problem_kinds(&report).contains(&"custody_archive_mismatch".to_string()));

    // With the key, the ciphertext no longer authenticates either.
    let (code, report, err) =
        verify_json(&[archive.as_os_str(), "--identity".as_ref(), key.as_os_str()]);
    assert_eq!(code, 1, "{report:#} {err}");
    let kinds = util::problem_kinds(&report);
    assert!(
        kinds.contains(&"decryption_failed".to_string()),
        "{kinds:?}"
    );
}

/// Replace `from` with `to` (same length) in the first place it occurs.
fn patch(data: &mut [u8], from: &[u8], to: &[u8]) {
    let at = data
        .windows(from.len())
        .position(|w| w == from)
        .expect("bytes to patch");
    data[at..at + to.len()].copy_from_slice(to);
}

#[test]
fn verify_with_the_identity_catches_a_re_encrypted_altered_archive() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let (key, recipient) = age_key(dir.path(), "key.txt");
    let (summary, _) = capture_watched(&src, &dir.path().join("out"), &recipient);
    let archive = util::archive_path(&summary);
    let old_cipher = sha256sum(&archive);

    // Decrypt with age, alter a stored payload byte (its CRC fixed up by
    // nobody: the manifest check must catch it anyway), re-encrypt with age
    // to the same recipient.
    let plain = dir.path().join("plain.zip");
    age_decrypt(&key, &archive, &plain);
    let mut zip = std::fs::read(&plain).unwrap();
    patch(&mut zip, b"SECRET-CONTENT", b"SECRET-CONTENX");
    let altered = dir.path().join("altered.zip");
    std::fs::write(&altered, &zip).unwrap();
    std::fs::remove_file(&archive).unwrap();
    tool(
        "age",
        &[
            "-r",
            &recipient,
            "-o",
            archive.to_str().unwrap(),
            altered.to_str().unwrap(),
        ],
        Path::new("/"),
    );
    let (code, report, err) =
        verify_json(&[archive.as_os_str(), "--identity".as_ref(), key.as_os_str()]);
    assert_eq!(code, 1, "{report:#} {err}");
    assert!(util::problem_kinds(&report).contains(&"custody_archive_mismatch".to_string()));

    // The forger also rewrites the custody log consistently (new ciphertext
    // hash, chain rebuilt): the content checks still catch it.
    let new_cipher = sha256sum(&archive);
    let log = exhibit::archive::custody_log_path(&archive);
    let text = std::fs::read_to_string(&log)
        .unwrap()
        .replace(&old_cipher, &new_cipher);
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    std::fs::write(&log, strip_signatures(&lines).join("\n") + "\n").unwrap();
    let (code, report, _) = verify_json(&[archive.as_os_str()]);
    assert_eq!(
        code, 0,
        "without a key only the ciphertext is checked: {report:#}"
    );
    let (code, report, err) =
        verify_json(&[archive.as_os_str(), "--identity".as_ref(), key.as_os_str()]);
    assert_eq!(code, 1, "{report:#} {err}");
    let kinds = util::problem_kinds(&report);
    assert!(
        !kinds.contains(&"custody_archive_mismatch".to_string()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"custody_plaintext_mismatch".to_string()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"manifest_mismatch".to_string())
            || kinds.contains(&"crc_mismatch".to_string()),
        "{kinds:?}"
    );
}

#[test]
fn decrypt_writes_the_zip_and_records_opened_and_a_wrong_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let (key, recipient) = age_key(dir.path(), "key.txt");
    let (other, _) = age_key(dir.path(), "other.txt");
    let (summary, _) = capture_watched(&src, &dir.path().join("out"), &recipient);
    let archive = util::archive_path(&summary);
    let log = exhibit::archive::custody_log_path(&archive);

    // A key that is not a recipient: a clear error, nothing written.
    let wrong = dir.path().join("wrong.zip");
    let out = exhibit()
        .arg("decrypt")
        .arg(&archive)
        .arg("--identity")
        .arg(&other)
        .arg("-o")
        .arg(&wrong)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not encrypted to any key in"), "{err}");
    assert!(!wrong.exists());
    assert!(!dir.path().join("wrong.zip.partial").exists());
    let (code, _, err) = verify_json(&[
        archive.as_os_str(),
        "--identity".as_ref(),
        other.as_os_str(),
    ]);
    assert_eq!(code, 2, "{err}");

    let zip = dir.path().join("opened.zip");
    let out = exhibit()
        .arg("decrypt")
        .arg(&archive)
        .arg("--identity")
        .arg(&key)
        .arg("-o")
        .arg(&zip)
        .args(["--actor", "Analyst"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let by_age = dir.path().join("by-age.zip");
    age_decrypt(&key, &archive, &by_age);
    assert_eq!(
        std::fs::read(&zip).unwrap(),
        std::fs::read(&by_age).unwrap()
    );
    let events: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let last = events.last().unwrap();
    assert_eq!(last["action"], "opened");
    assert_eq!(last["actor"]["name"], "Analyst");
    assert_eq!(
        last["details"]["plaintext_sha256"],
        sha256sum(&zip).as_str()
    );
    // The chain stays intact after the new event.
    let (code, report, _) = verify_json(&[archive.as_os_str()]);
    assert_eq!(code, 0, "{report:#}");
    let (ok, text) = tool_status("unzip", &["-tq", zip.to_str().unwrap()], dir.path());
    assert!(ok, "{text}");
}

#[test]
fn a_bad_recipient_is_refused_before_anything_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let out = dir.path().join("out");
    let o = exhibit()
        .arg("capture")
        .arg(&src)
        .args(["--encrypt-to", "age1notakey", "-o"])
        .arg(&out)
        .args(["--case", "C", "--examiner", "E", "-q"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("age1notakey"), "{err}");
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().count() == 0);
}

/// The readers of archives (show, diff, logs) refuse an encrypted archive
/// with a message saying what to do, instead of reading its ciphertext as
/// a log or failing on the ZIP structure.
#[test]
fn readers_refuse_a_locked_archive_and_say_how_to_open_it() {
    let tmp = tempfile::tempdir().unwrap();
    let src = source(tmp.path());
    let (_, recipient) = age_key(tmp.path(), "key.txt");
    let (summary, _) = capture_watched(&src, &tmp.path().join("out"), &recipient);
    let archive = util::archive_path(&summary);
    for args in [
        vec!["show"],
        vec!["diff", archive.to_str().unwrap()],
        vec!["logs"],
        vec!["scan"],
    ] {
        let out = exhibit().args(&args).arg(&archive).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(
            err.contains("an encrypted archive: unlock it with its identity first"),
            "{args:?}: {err}"
        );
    }
}
