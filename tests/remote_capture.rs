//! `exhibit capture --remote` against real OpenSSH servers on 127.0.0.1
//! (`util::sshd`): a whole capture whose archive `exhibit verify`,
//! Info-ZIP and `sha256sum` accept and whose custody log names the server
//! and its host key as `ssh-keygen -l` prints it; a `--root` capture with
//! the binary chosen by the server's architecture; a connection killed
//! mid-stream, a stream altered in transit and a changed host key, each
//! leaving no archive and an error naming the host; an archive encrypted
//! on arrival (`--encrypt-to`) that only `age -d` turns back into what the
//! server sent.

use crate::util::sshd::{Sshd, script};
use crate::util::{self, exhibit, sha256_hex};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

fn exhibit_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("exhibit")
}

/// `exhibit capture --remote ALIAS …` with the server's ssh config.
fn remote_capture(sshd: &Sshd, extra: &[&str], out: &Path) -> Output {
    exhibit()
        .arg("capture")
        .args(["--remote", &sshd.alias, "--ssh-config"])
        .arg(&sshd.ssh_config)
        .args(extra)
        .arg("-o")
        .arg(out)
        .args([
            "--case",
            "CASE-R",
            "--examiner",
            "Remote Examiner",
            "--json",
            "-q",
        ])
        .output()
        .expect("run exhibit capture --remote")
}

fn ok_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "remote capture failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON summary")
}

fn custody_events(log: &Path) -> Vec<Value> {
    fs::read_to_string(log)
        .expect("custody log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("event JSON"))
        .collect()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Bytes that do not compress: a small xorshift generator.
fn noise(n: usize, mut seed: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(n);
    while v.len() < n {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.extend_from_slice(&seed.to_le_bytes());
    }
    v.truncate(n);
    v
}

#[test]
fn whole_capture_arrives_sealed_with_the_servers_identity_and_no_trace_left() {
    let sshd = Sshd::start("exhibit-test-whole");
    let src = tempfile::tempdir().unwrap();
    util::write(src.path(), "srv/app/config.ini", b"[db]\nhost=10.0.0.5\n");
    util::write(src.path(), "srv/app/data.bin", &noise(300_000, 7));
    let out = tempfile::tempdir().unwrap();
    let res = remote_capture(
        &sshd,
        &[
            "--upload-binary",
            exhibit_bin().to_str().unwrap(),
            src.path().join("srv").to_str().unwrap(),
        ],
        out.path(),
    );
    let doc = ok_json(&res);
    let archive = util::archive_path(&doc);

    // What arrived is what the server sent, and what sha256sum computes.
    let bytes = fs::read(&archive).unwrap();
    assert_eq!(doc["sha256"], sha256_hex(&bytes));
    assert_eq!(doc["remote"]["server_sha256"], doc["sha256"]);
    let sum = util::tool("sha256sum", &[archive.to_str().unwrap()], out.path());
    assert!(sum.starts_with(doc["sha256"].as_str().unwrap()));
    // A reader we did not write, and our own verify with its custody log.
    util::tool("unzip", &["-tq", archive.to_str().unwrap()], out.path());
    let (code, report) = util::verify(&archive);
    assert_eq!(code, 0, "verify: {report:#}");
    let records = util::records(&archive);
    let rec = util::record(
        &records,
        &util::logical(&src.path().join("srv/app/data.bin")),
    );
    assert_eq!(rec["sha256"], sha256_hex(&noise(300_000, 7)));
    assert_eq!(rec["status"], "captured");

    // The custody log: acquired and sealed name the server, transferred
    // carries both hashes; the host key is the one ssh-keygen reads.
    let events = custody_events(Path::new(doc["custody_log"].as_str().unwrap()));
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["acquired", "sealed", "transferred"]);
    let fp = sshd.host_key_fingerprint();
    for e in &events[..2] {
        let server = &e["details"]["server"];
        assert_eq!(server["transport"], "ssh");
        assert!(
            server["ssh_host_key"].as_str().unwrap().ends_with(&fp),
            "{server} vs {fp}"
        );
        assert_eq!(
            server["hostname"],
            util::tool("hostname", &[], out.path()).trim()
        );
        if let Ok(id) = fs::read_to_string("/etc/machine-id") {
            assert_eq!(server["machine_id"], id.trim());
        }
    }
    let t = &events[2]["details"];
    assert_eq!(t["medium"], "ssh");
    assert_eq!(t["server_sha256"], doc["sha256"]);
    assert_eq!(t["received_sha256"], doc["sha256"]);

    // The uploaded binary sat in RAM (tmpfs) and is gone; nothing partial.
    let bin = PathBuf::from(doc["remote"]["exhibit"]["path"].as_str().unwrap());
    assert_eq!(doc["remote"]["exhibit"]["uploaded"], true);
    assert_eq!(doc["remote"]["exhibit"]["removed"], true);
    assert_eq!(
        doc["remote"]["exhibit"]["sha256"],
        sha256_hex(&fs::read(exhibit_bin()).unwrap())
    );
    let ram_dir = bin.parent().unwrap().parent().unwrap();
    let fs_type = util::tool(
        "stat",
        &["-f", "-c", "%T", ram_dir.to_str().unwrap()],
        out.path(),
    );
    assert_eq!(fs_type.trim(), "tmpfs");
    assert!(
        !bin.parent().unwrap().exists(),
        "{} left behind",
        bin.display()
    );
    assert!(
        names_in(out.path())
            .iter()
            .all(|n| !n.ends_with(".partial"))
    );
}

#[test]
fn root_capture_uses_the_build_for_the_servers_architecture() {
    let sshd = Sshd::start("exhibit-test-root");
    let img = tempfile::tempdir().unwrap();
    util::write(img.path(), "etc/hostname", b"imaged-web01\n");
    util::write(img.path(), "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n");
    util::write(
        img.path(),
        "var/log/auth.log",
        b"Accepted publickey for root\n",
    );
    let out = tempfile::tempdir().unwrap();

    // No static build where exhibit looks: a clear error naming the file.
    let empty = tempfile::tempdir().unwrap();
    let arch = util::tool("uname", &["-m"], out.path()).trim().to_string();
    let want = format!("exhibit-{arch}-linux-musl");
    let res = exhibit()
        .env("EXHIBIT_REMOTE_BIN_DIR", empty.path())
        .arg("capture")
        .args(["--remote", &sshd.alias, "--ssh-config"])
        .arg(&sshd.ssh_config)
        .arg("--root")
        .arg(img.path())
        .arg("-o")
        .arg(out.path())
        .args(["--case", "CASE-R", "--examiner", "E", "-q"])
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(1));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains(&want) && err.contains(&sshd.alias), "{err}");
    assert!(names_in(out.path()).is_empty());

    // With the build in $EXHIBIT_REMOTE_BIN_DIR under its architecture's name.
    fs::copy(exhibit_bin(), empty.path().join(&want)).unwrap();
    let res = exhibit()
        .env("EXHIBIT_REMOTE_BIN_DIR", empty.path())
        .arg("capture")
        .args(["--remote", &sshd.alias, "--ssh-config"])
        .arg(&sshd.ssh_config)
        .arg("--root")
        .arg(img.path())
        .arg("-o")
        .arg(out.path())
        .args(["--case", "CASE-R", "--examiner", "E", "--json", "-q"])
        .output()
        .unwrap();
    let doc = ok_json(&res);
    let archive = util::archive_path(&doc);
    assert!(
        archive
            .file_name()
            .unwrap()
            .to_string_lossy()
            .contains("imaged-web01"),
        "named after the image's host: {}",
        archive.display()
    );
    let records = util::records(&archive);
    assert_eq!(util::record(&records, "/etc/passwd")["status"], "captured");
    assert_eq!(
        util::record(&records, "/var/log/auth.log")["status"],
        "captured"
    );
    assert_eq!(util::verify(&archive).0, 0);
    // No live response from an image, even though the server is running.
    assert!(
        util::members(&archive)
            .iter()
            .all(|(n, _)| !n.contains("/exhibit/live/"))
    );
    let events = custody_events(Path::new(doc["custody_log"].as_str().unwrap()));
    assert_eq!(
        events[0]["details"]["root"],
        fs::canonicalize(img.path()).unwrap().to_str().unwrap()
    );
}

/// A wrapper run as `--remote-exhibit` that passes the real exhibit's
/// output through `filter` (a shell pipeline stage).
fn wrapper(dir: &Path, filter: &str) -> PathBuf {
    let p = dir.join("exhibit-wrapper.sh");
    script(
        &p,
        &format!(
            "#!/bin/sh\n'{}' \"$@\" | {filter}\n",
            exhibit_bin().display()
        ),
    );
    p
}

fn assert_only_partial(out: &Path) {
    let names = names_in(out);
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].ends_with(".zip.partial"), "{names:?}");
}

#[test]
fn connection_killed_mid_stream_leaves_only_the_partial_file() {
    let sshd = Sshd::start("exhibit-test-killed");
    let src = tempfile::tempdir().unwrap();
    util::write(src.path(), "big/blob.bin", &noise(6 << 20, 11));
    let tools = tempfile::tempdir().unwrap();
    // The server sends about 2 MB, then stalls with the channel open.
    let slow = wrapper(tools.path(), "{ head -c 2000000; sleep 30; }");
    let out = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(exhibit_bin())
        .arg("capture")
        .args(["--remote", &sshd.alias, "--ssh-config"])
        .arg(&sshd.ssh_config)
        .args(["--remote-exhibit", slow.to_str().unwrap(), "--store"])
        .arg(src.path().join("big"))
        .arg("-o")
        .arg(out.path())
        .args(["--case", "CASE-R", "--examiner", "E", "-q"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first megabyte is on disk, then drop the connection.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let partial_size = fs::read_dir(out.path())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .next()
            .unwrap_or(0);
        if partial_size >= 1 << 20 {
            break;
        }
        assert!(Instant::now() < deadline, "the stream never started");
        assert!(child.try_wait().unwrap().is_none(), "capture ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(sshd.kill_connections() > 0);
    let res = child.wait_with_output().unwrap();
    assert_eq!(res.status.code(), Some(1));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains(&sshd.alias) && err.contains("lost") && err.contains(".partial"),
        "{err}"
    );
    assert_only_partial(out.path());
}

#[test]
fn a_stream_altered_in_transit_is_refused_as_a_mismatch() {
    let sshd = Sshd::start("exhibit-test-altered");
    let src = tempfile::tempdir().unwrap();
    util::write(src.path(), "d/blob.bin", &noise(2 << 20, 5));
    let tools = tempfile::tempdir().unwrap();
    // Flip one byte 100 kB into the stream (inside the archive's data).
    let flip = "python3 -c 'import sys; d=bytearray(sys.stdin.buffer.read()); d[100000]^=1; sys.stdout.buffer.write(d)'";
    let bad = wrapper(tools.path(), flip);
    let out = tempfile::tempdir().unwrap();
    let res = remote_capture(
        &sshd,
        &[
            "--remote-exhibit",
            bad.to_str().unwrap(),
            "--store",
            src.path().join("d").to_str().unwrap(),
        ],
        out.path(),
    );
    assert_eq!(res.status.code(), Some(1));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("not what the server sent") && err.contains(&sshd.alias),
        "{err}"
    );
    assert_only_partial(out.path());
}

#[test]
fn a_changed_host_key_is_refused_before_anything_runs() {
    let mut sshd = Sshd::start("exhibit-test-hostkey");
    sshd.restart_with_new_host_key();
    let src = tempfile::tempdir().unwrap();
    util::write(src.path(), "x/a.txt", b"a\n");
    let out = tempfile::tempdir().unwrap();
    let res = remote_capture(
        &sshd,
        &[
            "--upload-binary",
            exhibit_bin().to_str().unwrap(),
            src.path().join("x").to_str().unwrap(),
        ],
        out.path(),
    );
    assert_eq!(res.status.code(), Some(1));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("host key has changed") && err.contains(&sshd.alias),
        "{err}"
    );
    assert!(
        names_in(out.path()).is_empty(),
        "{:?}",
        names_in(out.path())
    );
}

#[test]
fn a_capture_failing_on_the_server_reports_its_message_and_leaves_nothing() {
    let sshd = Sshd::start("exhibit-test-nosuch");
    let out = tempfile::tempdir().unwrap();
    let res = remote_capture(
        &sshd,
        &[
            "--upload-binary",
            exhibit_bin().to_str().unwrap(),
            "/nonexistent/exhibit-test-path",
        ],
        out.path(),
    );
    assert_eq!(res.status.code(), Some(1));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains(&sshd.alias)
            && err.contains("/nonexistent/exhibit-test-path")
            && err.contains("no archive was started"),
        "{err}"
    );
    assert!(
        names_in(out.path()).is_empty(),
        "{:?}",
        names_in(out.path())
    );
}

#[test]
fn an_encrypted_remote_capture_stores_only_ciphertext_that_age_decrypts() {
    let sshd = Sshd::start("exhibit-test-encrypted");
    let src = tempfile::tempdir().unwrap();
    util::write(
        src.path(),
        "srv/secret.txt",
        b"SECRET-CONTENT of the server\n",
    );
    util::write(src.path(), "srv/data.bin", &noise(200_000, 3));
    let out = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("case-key.txt");
    util::tool("age-keygen", &["-o", key.to_str().unwrap()], keys.path());
    let recipient = util::tool("age-keygen", &["-y", key.to_str().unwrap()], keys.path());
    let res = remote_capture(
        &sshd,
        &[
            "--upload-binary",
            exhibit_bin().to_str().unwrap(),
            "--encrypt-to",
            recipient.trim(),
            src.path().join("srv").to_str().unwrap(),
        ],
        out.path(),
    );
    let doc = ok_json(&res);
    let archive = util::archive_path(&doc);
    assert!(
        archive.to_str().unwrap().ends_with(".zip.age"),
        "{archive:?}"
    );
    // Only the ciphertext and the custody log are here.
    let names = names_in(out.path());
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.ends_with(".zip.age") || n.ends_with(".custody.jsonl"))
    );
    let stored = fs::read(&archive).unwrap();
    assert!(!stored.windows(14).any(|w| w == b"SECRET-CONTENT"));
    assert_eq!(doc["sha256"], sha256_hex(&stored));

    // The standard age CLI gives back exactly what the server sent.
    let plain = out.path().join("plain.zip");
    util::tool(
        "age",
        &[
            "-d",
            "-i",
            key.to_str().unwrap(),
            "-o",
            plain.to_str().unwrap(),
            archive.to_str().unwrap(),
        ],
        out.path(),
    );
    let plain_sha = sha256_hex(&fs::read(&plain).unwrap());
    assert_eq!(doc["remote"]["server_sha256"], plain_sha);
    assert_eq!(doc["encryption"]["plaintext_sha256"], plain_sha);
    util::tool("unzip", &["-tq", plain.to_str().unwrap()], out.path());

    // The custody log: sealed records both hashes and the recipient;
    // transferred compares the plaintext hashes, and names the ciphertext.
    let events = custody_events(Path::new(doc["custody_log"].as_str().unwrap()));
    let sealed = events.iter().find(|e| e["action"] == "sealed").unwrap();
    assert_eq!(sealed["details"]["plaintext_sha256"], plain_sha);
    assert_eq!(sealed["archive"]["sha256"], doc["sha256"]);
    assert!(sealed.to_string().contains(recipient.trim()), "{sealed}");
    let t = events
        .iter()
        .find(|e| e["action"] == "transferred")
        .unwrap();
    assert_eq!(t["details"]["server_sha256"], plain_sha);
    assert_eq!(t["details"]["received_sha256"], plain_sha);

    // verify with the key checks the contents too.
    let v = exhibit()
        .arg("verify")
        .arg(&archive)
        .arg("--identity")
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "verify --identity: {}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}
