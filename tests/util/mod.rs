//! Shared helpers for the integration tests: build source trees, run the
//! real `exhibit` binary, and read archives back with readers we did not
//! write (the `zip` crate, Info-ZIP, 7-Zip, Python).

#![allow(dead_code)]

pub mod custody;
#[cfg(feature = "gui")]
pub mod gui;
pub mod scenario;
pub mod sshd;

use assert_cmd::Command;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The `exhibit` binary under test: cargo's, or the one `EXHIBIT_BIN` names
/// (CI runs the capture tests with the static musl build this way).
pub fn exhibit() -> Command {
    Command::new(exhibit_path())
}

/// The path of the binary [`exhibit`] runs (for a `std::process::Command`).
pub fn exhibit_path() -> PathBuf {
    match std::env::var_os("EXHIBIT_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => assert_cmd::cargo::cargo_bin("exhibit"),
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Run `exhibit capture --json` and return the summary document.
pub fn capture(args: &[&str], out: &Path) -> Value {
    let mut cmd = exhibit();
    cmd.arg("capture").args(args).arg("-o").arg(out);
    cmd.args([
        "--case",
        "CASE-1",
        "--examiner",
        "Test Examiner",
        "--json",
        "-q",
    ]);
    let output = cmd.output().expect("run exhibit capture");
    assert!(
        output.status.success(),
        "capture failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    serde_json::from_slice(&output.stdout).expect("capture --json prints JSON")
}

pub fn archive_path(summary: &Value) -> PathBuf {
    host_path(summary["archive"].as_str().expect("archive path"))
}

/// A path the binary printed, as this machine names it: the Windows build
/// under Wine (scripts/windows-tests.sh) prints `Z:\tmp\x` for `/tmp/x`
/// (Wine's drive Z: is `/`).
pub fn host_path(printed: &str) -> PathBuf {
    match printed
        .strip_prefix("Z:\\")
        .or_else(|| printed.strip_prefix("\\\\?\\Z:\\"))
    {
        Some(rest) => PathBuf::from(format!("/{}", rest.replace('\\', "/"))),
        None => PathBuf::from(printed),
    }
}

/// Whether the binary under test is the Windows build (run under Wine).
pub fn under_wine() -> bool {
    std::env::var_os("EXHIBIT_BIN").is_some_and(|b| b.to_string_lossy().contains("wine"))
}

/// Run `exhibit verify --json`; returns (exit code, report).
pub fn verify(archive: &Path) -> (i32, Value) {
    let output = exhibit()
        .arg("verify")
        .arg(archive)
        .arg("--json")
        .output()
        .expect("run exhibit verify");
    let code = output.status.code().unwrap_or(-1);
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (code, report)
}

/// The problem kinds in a verify report.
pub fn problem_kinds(report: &Value) -> Vec<String> {
    report["problems"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| p["kind"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Every member (name -> content) read with the `zip` crate.
pub fn members(archive: &Path) -> Vec<(String, Vec<u8>)> {
    let f = fs::File::open(archive).expect("open archive");
    let mut z = zip::ZipArchive::new(f).expect("zip crate reads the archive");
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut m = z.by_index(i).expect("member");
        let mut data = Vec::new();
        m.read_to_end(&mut data).expect("member content");
        out.push((m.name().to_string(), data));
    }
    out
}

/// The records of `exhibit/files.jsonl`, read with the `zip` crate.
pub fn records(archive: &Path) -> Vec<Value> {
    let files = members(archive)
        .into_iter()
        .find(|(n, _)| n.ends_with("/exhibit/files.jsonl"))
        .expect("files.jsonl member")
        .1;
    String::from_utf8(files)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("record is JSON"))
        .collect()
}

pub fn record<'a>(records: &'a [Value], path: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["path"] == path)
        .unwrap_or_else(|| panic!("no record for {path}"))
}

pub fn member_content(archive: &Path, member: &str) -> Vec<u8> {
    members(archive)
        .into_iter()
        .find(|(n, _)| n == member)
        .unwrap_or_else(|| panic!("no member {member}"))
        .1
}

/// Run an external tool; panic with its output when it fails.
pub fn tool(program: &str, args: &[&str], dir: &Path) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} must be installed (scripts/install-test-tools.sh): {e}")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{program} {args:?} failed:\n{text}");
    text
}

/// Like `tool` but returns (success, output) instead of panicking on failure.
pub fn tool_status(program: &str, args: &[&str], dir: &Path) -> (bool, String) {
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} must be installed (scripts/install-test-tools.sh): {e}")
        });
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The logical path of a file under the test's temp dir (capture records
/// absolute paths with symlinks in the parent resolved).
pub fn logical(p: &Path) -> String {
    let parent = p
        .parent()
        .expect("parent")
        .canonicalize()
        .expect("canonical parent");
    parent
        .join(p.file_name().expect("name"))
        .to_string_lossy()
        .into_owned()
}

pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Write `content` to `root/rel`, creating the directories on the way.
pub fn write(root: &Path, rel: &str, content: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    fs::write(&p, content).expect("write");
}

/// A capture request for `root` read as a target root (examiner Tess),
/// written to `out`; the caller sets what else it needs.
pub fn root_request(root: &Path, out: &Path, case: &str) -> exhibit::capture::CaptureRequest {
    let mut req =
        exhibit::capture::CaptureRequest::new(Vec::new(), out.to_path_buf(), case, "Tess");
    req.root = Some(root.to_path_buf());
    req
}

/// Run a capture through the core library (no GUI, no CLI) and return the
/// archive's path.
pub fn run_capture(req: &exhibit::capture::CaptureRequest) -> PathBuf {
    exhibit::capture::capture(
        req,
        &exhibit::job::NoProgress,
        &exhibit::job::CancelToken::new(),
    )
    .expect("capture")
    .archive
}

/// Replace the content of the member whose name ends with `suffix` by
/// `content`, rewriting the archive with Python's `zipfile` (a tool we did
/// not write): every CRC and size in the ZIP is right for the new bytes,
/// and Python's own test of the archive passes; only the sealed BagIt
/// manifest still names the old content. Returns the member's name.
pub fn alter_member(archive: &Path, suffix: &str, content: &[u8]) -> String {
    // The new content goes through a file: a long one would not fit in
    // the command line.
    let dir = archive.parent().expect("parent");
    let with = tempfile::NamedTempFile::new_in(dir).expect("temporary file");
    std::fs::write(with.path(), content).expect("write the new content");
    let program = format!(
        "import sys, zipfile\n\
         src = zipfile.ZipFile(sys.argv[1])\n\
         items = [(i.filename, src.read(i)) for i in src.infolist()]\n\
         src.close()\n\
         hit = [n for n, _ in items if n.endswith('{suffix}')]\n\
         assert len(hit) == 1, hit\n\
         new = open(sys.argv[2], 'rb').read()\n\
         items = [(n, new if n == hit[0] else d) for n, d in items]\n\
         out = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\n\
         for n, d in items:\n    out.writestr(n, d)\n\
         out.close()\n\
         assert zipfile.ZipFile(sys.argv[1]).testzip() is None\n\
         print(hit[0])\n"
    );
    tool(
        "python3",
        &[
            "-c",
            &program,
            archive.to_str().expect("utf-8 path"),
            with.path().to_str().expect("utf-8 path"),
        ],
        dir,
    )
    .trim()
    .to_string()
}
