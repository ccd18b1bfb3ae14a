//! What the workstation's forms promise, checked without a window: the
//! capture estimate equals what the capture then stores (read back with
//! Python's `zipfile`), and the CLI halves of the case's trust file and of
//! deleting an interrupted capture's `.partial`.

use crate::util::custody::{exhibit, keygen};
use exhibit::capture::{CaptureRequest, Compression, estimate};
use exhibit::job::{CancelToken, NoProgress};
use std::path::Path;
use std::process::Command as Std;

/// Payload files and bytes, and records, of an archive as Python's
/// `zipfile` reads them.
fn stored_by_python(archive: &Path) -> (u64, u64, u64) {
    let script = r#"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
data = [i for i in z.infolist() if "/data/" in i.filename and not i.filename.endswith("/")]
recs = [n for n in z.namelist() if n.endswith("/exhibit/files.jsonl")]
lines = z.read(recs[0]).decode().splitlines()
print(len(data), sum(i.file_size for i in data), len(lines))
"#;
    let o = Std::new("python3")
        .args(["-c", script])
        .arg(archive)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Vec<u64> = String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    (v[0], v[1], v[2])
}

/// An image with what a naive count gets wrong: a hard link (stored once),
/// a symlink (never followed), a FIFO and a socket-free special file,
/// a file over its profile's size limit (recorded, not stored), an
/// excluded folder, and a source given twice (inside another).
fn tricky_image(root: &Path) {
    let log = root.join("var/log");
    std::fs::create_dir_all(log.join("nginx")).unwrap();
    std::fs::write(log.join("auth.log"), vec![b'a'; 1234]).unwrap();
    std::fs::hard_link(log.join("auth.log"), log.join("auth.log.hardlink")).unwrap();
    std::fs::write(log.join("nginx/access.log"), vec![b'n'; 777]).unwrap();
    std::os::unix::fs::symlink("/etc/shadow", log.join("link-out")).unwrap();
    std::os::unix::fs::symlink("auth.log", log.join("link-in")).unwrap();
    let st = Std::new("mkfifo").arg(log.join("fifo")).status().unwrap();
    assert!(st.success());
    // lastlog: 256 MiB limit in the logs profile; sparse, so cheap here.
    let f = std::fs::File::create(log.join("lastlog")).unwrap();
    f.set_len(300 << 20).unwrap();
    // Excluded by the logs profile's app-logs rule.
    let nm = root.join("var/www/app/storage/logs/node_modules");
    std::fs::create_dir_all(&nm).unwrap();
    std::fs::write(nm.join("x.log"), b"x").unwrap();
    std::fs::write(root.join("var/www/app/storage/logs/app.log"), b"app\n").unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/shadow"), b"root:$6$secret\n").unwrap();
}

fn request(root: &Path, out: &Path, sources: &[&str], profiles: &[&str]) -> CaptureRequest {
    let mut req = CaptureRequest::new(
        sources.iter().map(Into::into).collect(),
        out.to_path_buf(),
        "IR-9",
        "Tess",
    );
    req.root = Some(root.to_path_buf());
    req.profiles = profiles.iter().map(|p| p.to_string()).collect();
    req.compression = Compression::Store;
    req
}

#[test]
fn the_estimate_is_what_the_capture_stores() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("img");
    tricky_image(&root);
    for (i, (sources, profiles)) in [
        (vec![], vec!["logs"]),
        (
            vec!["/var/log", "/var/log/nginx", "/var/log/auth.log"],
            vec![],
        ),
        (vec!["/"], vec![]),
    ]
    .into_iter()
    .enumerate()
    {
        let out = tmp.path().join(format!("out{i}"));
        let req = request(&root, &out, &sources, &profiles);
        let est = estimate::estimate(&req, &NoProgress, &CancelToken::new()).unwrap();
        assert!(!est.live_response, "no live response from an image");
        let sum = exhibit::capture::capture(&req, &NoProgress, &CancelToken::new()).unwrap();
        let (files, bytes, records) = stored_by_python(&sum.archive);
        let what = format!("{sources:?} {profiles:?}: {est:?}");
        assert_eq!((est.files, est.bytes), (files, bytes), "{what}");
        assert_eq!((est.files, est.bytes), (sum.files, sum.bytes), "{what}");
        assert_eq!(est.entries, records, "{what}");
        assert_eq!(est.entries, sum.entries, "{what}");
        if profiles.is_empty() {
            // The hard link is stored once, the symlinks and the FIFO not at all.
            assert!(est.files >= 2, "{what}");
        } else {
            assert!(est.not_stored >= 1, "lastlog is over its limit: {what}");
        }
    }
    // Bad input fails as the capture would.
    let req = request(&root, tmp.path(), &["/no/such/path"], &[]);
    assert!(estimate::estimate(&req, &NoProgress, &CancelToken::new()).is_err());
    // The running system with a profile: live response is named as not counted.
    let mut live = CaptureRequest::new(vec![], tmp.path().into(), "IR-9", "Tess");
    live.profiles = vec!["accounts".into()];
    live.sources = vec![root.join("etc")];
    assert!(live.collects_live());
    let est = estimate::estimate(&live, &NoProgress, &CancelToken::new()).unwrap();
    assert!(est.live_response);
    assert!(est.caveats().iter().any(|c| c.contains("live response")));
}

#[test]
fn the_cli_judges_a_case_archive_with_the_case_trust_file() {
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("case");
    exhibit::case::create(
        &case,
        exhibit::case::CaseInfo {
            case_id: "IR-9".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let key = keygen(tmp.path(), "ann", "");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("passwd"), "root:x:0:0\n").unwrap();
    let o = exhibit()
        .arg("capture")
        .arg(&src)
        .arg("-o")
        .arg(&case)
        .args([
            "--case",
            "IR-9",
            "--examiner",
            "Ann Responder",
            "--json",
            "-q",
            "--sign",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let archive = crate::util::host_path(v["archive"].as_str().unwrap());
    let verify = || {
        let o = exhibit()
            .arg("verify")
            .arg(&archive)
            .arg("--json")
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let statuses: Vec<String> = v["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["status"].as_str().unwrap().to_string())
            .collect();
        (statuses, String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (before, _) = verify();
    assert!(before.iter().all(|s| s == "untrusted"), "{before:?}");
    // A bad line is refused with the verifier's parser; the key is added.
    let o = exhibit()
        .args(["custody", "trust"])
        .arg(&case)
        .args(["--add", "ann ssh-ed25519 not-a-key"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let o = exhibit()
        .args(["custody", "trust"])
        .arg(&case)
        .arg("--add-key")
        .arg(key.with_extension("pub"))
        .args(["--principal", "ann.responder"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let listed = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        listed.contains("ann.responder") && listed.contains("SHA256:"),
        "{listed}"
    );
    let (after, stderr) = verify();
    assert!(after.iter().all(|s| s == "valid"), "{after:?}");
    assert!(stderr.contains("the case's trusted signers"), "{stderr}");
    // Removed again: untrusted.
    let o = exhibit()
        .args(["custody", "trust"])
        .arg(&case)
        .args(["--remove", "1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(verify().0.iter().all(|s| s == "untrusted"));
}

#[test]
fn the_cli_deletes_only_a_partial_of_a_case_and_records_it() {
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("case");
    exhibit::case::create(
        &case,
        exhibit::case::CaseInfo {
            case_id: "IR-9".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let partial = case.join("IR-9_E01_h_20260101T000000Z.zip.partial");
    std::fs::write(&partial, b"half an archive").unwrap();
    let f = std::fs::File::options().write(true).open(&partial).unwrap();
    f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(600))
        .unwrap();
    drop(f);
    let run = |file: &Path| {
        exhibit()
            .args(["custody", "delete-partial"])
            .arg(file)
            .args(["--actor", "Ann", "--reason", "capture failed: disk full"])
            .output()
            .unwrap()
    };
    // The case file itself is never deleted.
    assert!(!run(&case.join("case.json")).status.success());
    assert!(case.join("case.json").exists());
    let o = run(&partial);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!partial.exists());
    let notes = std::fs::read_to_string(case.join("notes.md")).unwrap();
    let sha = crate::util::sha256_hex(b"half an archive");
    assert!(
        notes.contains(&sha) && notes.contains("capture failed: disk full"),
        "{notes}"
    );
    // sha256sum agrees on what was recorded (of the same bytes).
    std::fs::write(tmp.path().join("copy"), b"half an archive").unwrap();
    let o = Std::new("sha256sum")
        .arg(tmp.path().join("copy"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).starts_with(&sha));
}
