//! The analyst's round on any system: capture a folder, verify (intact and
//! tampered), custody signed with an OpenSSH key, capture a mounted Linux
//! image (`--root`), compare, read its logs, write the report. These run
//! with cargo's own binary here and, in CI, with the Windows build under
//! Wine (`scripts/windows-tests.sh` sets `EXHIBIT_BIN` to a wrapper), so
//! the Windows `.exe` is proven to do each of these on every push. What
//! they check is read back with tools Exhibit did not write: the `zip`
//! crate, Python's `zipfile`, `ssh-keygen -Y verify`.

use crate::util::custody::{handed_over, keygen, pubkey};
use crate::util::{self, exhibit, scenario};
use serde_json::Value;
use std::path::Path;

fn run_json(args: &[&std::ffi::OsStr]) -> (i32, Value, String) {
    let out = exhibit().args(args).output().expect("run exhibit");
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `custody show --json --trust ALLOWED ARCHIVE` of a handed-over case.
fn custody_show(c: &crate::util::custody::Case) -> (i32, Value, String) {
    run_json(&[
        os("custody"),
        os("show"),
        os("--json"),
        os("--trust"),
        c.allowed.as_os_str(),
        c.archive.as_os_str(),
    ])
}

fn os<S: AsRef<std::ffi::OsStr> + ?Sized>(s: &S) -> &std::ffi::OsStr {
    s.as_ref()
}

#[test]
fn a_folder_is_captured_whole_with_forward_slash_paths_and_verifies() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("evidence");
    // Incompressible (an LCG's high bytes), so it is stored as it is and
    // the tamper below can find it.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let binary: Vec<u8> = (0..70_000)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (x >> 56) as u8
        })
        .collect();
    util::write(&src, "notes.txt", b"first line\nsecond line\n");
    util::write(&src, "bin/tool.bin", &binary);
    util::write(&src, "caf\u{e9}/r\u{e9}sum\u{e9}.txt", b"utf-8 name\n");
    let out = t.path().join("out");
    let summary = util::capture(&[src.to_str().unwrap()], &out);
    let archive = util::archive_path(&summary);
    assert!(archive.exists(), "{}", archive.display());

    // Every file is in the archive, byte for byte, under a logical path
    // with forward slashes (on Windows: `/Z:/…`, the drive first).
    let records = util::records(&archive);
    for (rel, content) in [
        ("evidence/notes.txt", b"first line\nsecond line\n".to_vec()),
        ("evidence/bin/tool.bin", binary.clone()),
        (
            "evidence/caf\u{e9}/r\u{e9}sum\u{e9}.txt",
            b"utf-8 name\n".to_vec(),
        ),
    ] {
        let rec = records
            .iter()
            .find(|r| {
                r["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with(&format!("/{rel}")))
            })
            .unwrap_or_else(|| panic!("no record ending in {rel}: {records:?}"));
        let path = rec["path"].as_str().unwrap();
        assert!(path.starts_with('/') && !path.contains('\\'), "{path}");
        assert_eq!(rec["status"], "captured", "{rec}");
        assert_eq!(rec["sha256"], util::sha256_hex(&content), "{rel}");
        let member = rec["member"].as_str().unwrap();
        assert_eq!(util::member_content(&archive, member), content, "{rel}");
    }

    // Python's zipfile reads it and finds every CRC right.
    let (ok, text) = util::tool_status(
        "python3",
        &[
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.testzip())",
            archive.to_str().unwrap(),
        ],
        t.path(),
    );
    assert!(ok && text.trim() == "None", "{text}");

    let (code, report) = util::verify(&archive);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["problems"], serde_json::json!([]), "{report}");

    // One byte changed in the stored content: verify says so and fails.
    let tampered = t.path().join("tampered.zip");
    let mut bytes = std::fs::read(&archive).unwrap();
    let at = bytes
        .windows(64)
        .position(|w| w == &binary[30_000..30_064])
        .expect("tool.bin is stored, not compressed");
    bytes[at] ^= 0x20;
    std::fs::write(&tampered, bytes).unwrap();
    let (code, report) = util::verify(&tampered);
    assert_ne!(code, 0, "{report}");
    assert_eq!(report["ok"], false, "{report}");
    assert!(!util::problem_kinds(&report).is_empty(), "{report}");
}

#[test]
fn custody_signed_with_an_openssh_key_verifies_with_ssh_keygen() {
    let c = handed_over();
    let (code, doc, err) = custody_show(&c);
    assert_eq!(code, 0, "{err}");
    assert_eq!(doc["events"].as_array().expect("events").len(), 4, "{doc}");
    let sigs = doc["signatures"].as_array().expect("signatures");
    assert_eq!(sigs.len(), 4, "{doc}");
    assert!(sigs.iter().all(|s| s["status"] == "valid"), "{doc}");
    assert_eq!(sigs[3]["signer"], "bob@example.org", "{doc}");

    // The auditor's own tool agrees on the last event, signed by Bob with
    // his passphrase-protected key.
    let last = c.lines().pop().unwrap();
    let cut = last.rfind(",\"signature\":").unwrap();
    let msg = c.path("last.msg");
    let sig = c.path("last.sig");
    std::fs::write(&msg, format!("{}}}", &last[..cut])).unwrap();
    let v: Value = serde_json::from_str(&last).unwrap();
    std::fs::write(&sig, format!("{}\n", v["signature"].as_str().unwrap())).unwrap();
    let o = std::process::Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(&c.allowed)
        .args(["-I", "bob@example.org", "-n", "exhibit-custody", "-s"])
        .arg(&sig)
        .stdin(std::fs::File::open(&msg).unwrap())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // An event added by a new key that the allowed signers do not list is
    // signed but untrusted.
    let eve = keygen(c.dir.path(), "eve", "");
    let add = exhibit()
        .args(["custody", "add"])
        .arg(&c.archive)
        .args(["--action", "opened", "--actor", "Eve", "--sign"])
        .arg(&eve)
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let (code, doc, _) = custody_show(&c);
    assert_ne!(code, 0, "an untrusted signer is not a clean log: {doc}");
    let last = doc["signatures"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["seq"], 5, "{doc}");
    assert_ne!(last["status"], "valid", "{last}");
    assert!(!pubkey(&eve).is_empty());
}

fn archive_of(tree: &Path, out: &Path) -> std::path::PathBuf {
    scenario::capture_tree(tree, out)
}

#[test]
fn a_linux_image_is_captured_compared_its_logs_read_and_reported() {
    let t = tempfile::tempdir().unwrap();
    let tr = scenario::ssh_bruteforce(t.path());
    let out = t.path().join("archives");
    let base = archive_of(&tr.baseline, &out);
    let inc = archive_of(&tr.incident, &out);

    // Logical paths are the image's own, whatever system captured it.
    let records = util::records(&inc);
    util::record(&records, "/etc/cron.d/backup2");
    util::record(&records, "/var/log/auth.log");

    let (code, diff, err) =
        run_json(&[os("diff"), base.as_os_str(), inc.as_os_str(), os("--json")]);
    assert!(code == 0 || code == 1, "{err}");
    let text = diff.to_string();
    assert!(text.contains("/etc/cron.d/backup2"), "{text}");
    assert!(text.contains("/tmp/.x.tgz"), "{text}");

    let (code, logs, err) = run_json(&[os("logs"), inc.as_os_str(), os("--json"), os("-q")]);
    assert!(code == 0 || code == 1, "{err}");
    let findings = logs["findings"].as_array().expect("findings");
    assert!(
        findings
            .iter()
            .any(|f| f.to_string().contains(scenario::SSH_IP)),
        "the brute force's address is in a finding: {logs}"
    );

    let html = t.path().join("report.html");
    let rep = exhibit()
        .args(["report", "-q"])
        .arg(&base)
        .arg(&inc)
        .arg("-o")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(
        rep.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rep.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<html"), "an HTML report");
    assert!(
        page.contains("deploy"),
        "the account the attacker used is named"
    );
    assert!(page.contains("backup2"), "the account created is named");
}

/// A reader that stops early (`exhibit timeline ARCHIVE | head`) ends the
/// run quietly: no panic and nothing on stderr. On Windows (under Wine in
/// CI) there is no SIGPIPE: the closed pipe makes `println!` fail, which
/// `platform::stdout` turns into a quiet exit.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::io::Read as _;
    use std::process::Stdio;
    let t = tempfile::tempdir().unwrap();
    let tree = t.path().join("t");
    std::fs::create_dir_all(&tree).unwrap();
    for i in 0..2000 {
        std::fs::write(tree.join(format!("file-{i:04}.txt")), "x").unwrap();
    }
    let archive = archive_of(&tree, &t.path().join("out"));
    // Megabytes of timeline: far more than a pipe holds.
    let mut child = std::process::Command::new(util::exhibit_path())
        .arg("timeline")
        .arg(&archive)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run exhibit");
    let mut out = child.stdout.take().expect("stdout");
    let mut first = [0u8; 4096];
    out.read_exact(&mut first).expect("the first lines");
    drop(out);
    let done = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&done.stderr);
    assert!(err.trim().is_empty(), "nothing on stderr: {err}");
}
