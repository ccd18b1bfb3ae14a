//! Shared fixture for the custody tests: a captured, signed and handed-over
//! archive built with the real `exhibit` binary and keys made by the real
//! `ssh-keygen`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub const PASS: &str = "correct horse battery";

pub struct Case {
    pub dir: tempfile::TempDir,
    pub archive: PathBuf,
    pub log: PathBuf,
    pub allowed: PathBuf,
}

impl Case {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    pub fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
    pub fn write_lines(&self, lines: &[String]) {
        let mut s = lines.join("\n");
        s.push('\n');
        std::fs::write(&self.log, s).unwrap();
    }
}

pub fn exhibit() -> Command {
    let mut c = super::exhibit();
    c.env_remove("SSH_AUTH_SOCK")
        .env_remove("EXHIBIT_KEY_PASSPHRASE");
    c
}

pub fn keygen(dir: &Path, name: &str, pass: &str) -> PathBuf {
    let key = dir.join(name);
    let st = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-C", name, "-N", pass, "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen must be installed (openssh-client)");
    assert!(st.success());
    key
}

pub fn pubkey(key: &Path) -> String {
    std::fs::read_to_string(key.with_extension("pub"))
        .unwrap()
        .trim()
        .to_string()
}

/// Capture `files` from a fresh source tree into `out`; returns the archive.
pub fn capture(dir: &Path, src_name: &str, files: &[(&str, &str)], extra: &[&str]) -> PathBuf {
    let src = dir.join(src_name);
    std::fs::create_dir_all(&src).unwrap();
    for (n, c) in files {
        std::fs::write(src.join(n), c).unwrap();
    }
    let out = dir.join(format!("{src_name}-out"));
    let o = exhibit()
        .arg("capture")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .args([
            "--case",
            "CASE-7",
            "--examiner",
            "Ann Responder",
            "--org",
            "CERT",
            "--json",
            "-q",
        ])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "capture failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    super::host_path(v["archive"].as_str().unwrap())
}

/// Ann captures and signs, transfers to Bob (signed), Bob receives (signed
/// with his passphrase-protected key). allowed_signers trusts Ann and Bob
/// under their e-mail addresses, which the events give as the actors'
/// contacts.
pub fn handed_over() -> Case {
    let dir = tempfile::tempdir().unwrap();
    let ann = keygen(dir.path(), "ann", "");
    let bob = keygen(dir.path(), "bob", PASS);
    let allowed = dir.path().join("allowed_signers");
    std::fs::write(
        &allowed,
        format!(
            "ann@example.org {}\nbob@example.org namespaces=\"exhibit-custody\" {}\n",
            pubkey(&ann),
            pubkey(&bob)
        ),
    )
    .unwrap();
    let sign = ann.to_str().unwrap().to_string();
    let archive = capture(
        dir.path(),
        "src",
        &[
            ("passwd", "root:x:0:0\n"),
            ("auth.log", "Accepted password for root\n"),
        ],
        &[
            "--sign",
            &sign,
            "--location",
            "Server room 2",
            "--contact",
            "ann@example.org",
        ],
    );
    exhibit()
        .args(["custody", "add"])
        .arg(&archive)
        .args([
            "--action",
            "transferred",
            "--actor",
            "Ann Responder",
            "--contact",
            "ann@example.org",
            "--from",
            "Ann Responder",
        ])
        .args([
            "--to",
            "Bob Custodian",
            "--medium",
            "USB disk SN 1234, bag 77",
            "--sign",
        ])
        .arg(&ann)
        .assert()
        .success();
    exhibit()
        .env("EXHIBIT_KEY_PASSPHRASE", PASS)
        .args(["custody", "add"])
        .arg(&archive)
        .args([
            "--action",
            "received",
            "--actor",
            "Bob Custodian",
            "--contact",
            "bob@example.org",
            "--from",
            "Ann Responder",
        ])
        .args(["--location", "Evidence locker", "--sign"])
        .arg(&bob)
        .assert()
        .success();
    let log = exhibit::archive::custody_log_path(&archive);
    Case {
        dir,
        archive,
        log,
        allowed,
    }
}

/// Run `exhibit verify --trust`; returns (exit code, stdout).
pub fn verify(c: &Case) -> (i32, String) {
    let o = exhibit()
        .arg("verify")
        .arg(&c.archive)
        .arg("--trust")
        .arg(&c.allowed)
        .arg("-q")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

/// Assert `verify` fails (exit 1) with a problem of `kind` whose line names `event`.
pub fn assert_fails_naming(c: &Case, kind: &str, event: &str) -> String {
    let (code, out) = verify(c);
    assert_eq!(code, 1, "verify should fail:\n{out}");
    assert!(
        out.lines().any(|l| l.contains(kind) && l.contains(event)),
        "expected a {kind} problem naming {event:?}:\n{out}"
    );
    out
}

/// Run `exhibit` with `args`, failing the test if it has not finished within
/// `secs` seconds (it is then killed): for inputs that used to hang it.
pub fn run_with_deadline(args: &[&std::ffi::OsStr], secs: u64) -> std::process::Output {
    use std::process::Stdio;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("exhibit"))
        .args(args)
        .env_remove("SSH_AUTH_SOCK")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("exhibit {args:?} still running after {secs} s: it hangs");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The log's lines with every signature removed and every `prev` recomputed:
/// a consistent chain nobody signed, as a forger without the keys would
/// rebuild it.
pub fn strip_signatures(lines: &[String]) -> Vec<String> {
    use sha2::Digest;
    let mut out: Vec<String> = Vec::new();
    for l in lines {
        let body = match l.rfind(",\"signature\":") {
            Some(cut) => format!("{}}}", &l[..cut]),
            None => l.clone(),
        };
        let cut = body.rfind(",\"prev\":").unwrap();
        let prev = match out.last() {
            Some(p) => format!("\"{}\"", hex::encode(sha2::Sha256::digest(p.as_bytes()))),
            None => "null".into(),
        };
        out.push(format!("{},\"prev\":{prev}}}", &body[..cut]));
    }
    out
}
