//! `exhibit extract`: files copied out of an archive, checked against the
//! sealed manifest on the way out (read back with `sha256sum`, Python's
//! `zipfile`), names kept inside the destination, nothing overwritten, and
//! the `exported` custody event read back through `custody show` and
//! `verify`.

use crate::util::{self, custody::exhibit, logical, sha256_hex, tool, tool_status};
use serde_json::Value;
use std::path::{Path, PathBuf};

struct Fixture {
    dir: tempfile::TempDir,
    archive: PathBuf,
    /// The source folder's logical path in the archive.
    src: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    util::write(&src, "a.txt", b"alpha\n");
    util::write(&src, "sub/b.bin", b"\x00\x01binary\xff");
    util::write(&src, "CON", b"a reserved Windows name\n");
    util::write(&src, "c:d", b"a drive-letter colon\n");
    util::write(&src, "back\\..\\slash", b"a backslash name\n");
    let summary = util::capture(&[src.to_str().unwrap()], &dir.path().join("out"));
    let archive = util::archive_path(&summary);
    Fixture {
        src: logical(&src),
        dir,
        archive,
    }
}

fn extract(archive: &Path, paths: &[&str], to: &Path) -> (i32, Value, String) {
    let o = exhibit()
        .arg("extract")
        .arg(archive)
        .args(paths)
        .arg("--to")
        .arg(to)
        .args(["--actor", "Eve Examiner", "--json"])
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (
        o.status.code().unwrap_or(-1),
        doc,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The archive's sealed manifest (`data/<path>` -> SHA-256), read by Python.
fn manifest(archive: &Path) -> Vec<(String, String)> {
    let text = tool(
        "python3",
        &[
            "-c",
            "import sys, zipfile\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             n = [i for i in z.namelist() if i.endswith('/manifest-sha256.txt') and i.count('/') == 1][0]\n\
             sys.stdout.write(z.read(n).decode())",
            archive.to_str().unwrap(),
        ],
        archive.parent().unwrap(),
    );
    text.lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(h, p)| (p.to_string(), h.to_string()))
        .collect()
}

fn sealed(archive: &Path, logical_path: &str) -> String {
    let want = format!("data{logical_path}");
    manifest(archive)
        .into_iter()
        .find(|(p, _)| *p == want)
        .unwrap_or_else(|| panic!("no manifest line for {want}"))
        .1
}

fn sha256sum(file: &Path) -> String {
    let out = tool("sha256sum", &[file.to_str().unwrap()], Path::new("/"));
    out.split_whitespace().next().unwrap().to_string()
}

fn custody_events(archive: &Path) -> (i32, Value) {
    let o = exhibit()
        .args(["custody", "show"])
        .arg(archive)
        .arg("--json")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        serde_json::from_slice(&o.stdout).unwrap(),
    )
}

fn list_file(doc: &Value) -> PathBuf {
    util::host_path(doc["extract"]["list_file"].as_str().unwrap())
}

#[test]
fn extracted_files_match_the_seal_by_sha256sum_and_are_recorded() {
    let fx = fixture();
    let to = fx.dir.path().join("extracted");
    let (code, doc, err) = extract(&fx.archive, &[&fx.src], &to);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    let base = to.join(fx.src.trim_start_matches('/'));
    // Every file's bytes, hashed by sha256sum, are the ones the manifest sealed.
    for (name, written) in [
        ("a.txt", "a.txt"),
        ("sub/b.bin", "sub/b.bin"),
        ("CON", "%43ON"),
        ("c:d", "c%3Ad"),
    ] {
        let f = base.join(written);
        assert_eq!(
            sha256sum(&f),
            sealed(&fx.archive, &format!("{}/{name}", fx.src)),
            "{}",
            f.display()
        );
    }
    assert_eq!(
        std::fs::read(base.join("back%5C..%5Cslash")).unwrap(),
        b"a backslash name\n"
    );
    assert_eq!(doc["extract"]["files"].as_array().unwrap().len(), 5);
    // The list checks out with sha256sum -c, run in the destination.
    let list = list_file(&doc);
    assert_eq!(list.parent().unwrap(), to);
    let (ok, out) = tool_status(
        "sha256sum",
        &["-c", list.file_name().unwrap().to_str().unwrap()],
        &to,
    );
    assert!(ok, "{out}");
    assert_eq!(out.matches(": OK").count(), 5, "{out}");
    // The custody event, read back through the CLI.
    let (code, log) = custody_events(&fx.archive);
    assert_eq!(code, 0, "{log:#}");
    let events = log["events"].as_array().unwrap();
    let ev = events.last().unwrap();
    assert_eq!(ev["action"], "exported", "{ev:#}");
    assert_eq!(ev["actor"]["name"], "Eve Examiner");
    let d = &ev["details"];
    assert_eq!(d["files"], 5);
    assert_eq!(d["files_mismatched"], 0);
    assert_eq!(d["paths"], serde_json::json!([fx.src]));
    assert_eq!(d["to"], to.display().to_string());
    assert_eq!(d["list_sha256"].as_str().unwrap(), sha256sum(&list));
    let a = d["sha256"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == format!("{}/a.txt", fx.src))
        .unwrap();
    assert_eq!(a["sha256"].as_str().unwrap(), sha256_hex(b"alpha\n"));
    // The archive still verifies, its custody chain included.
    let (code, report) = util::verify(&fx.archive);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn a_tampered_member_is_written_as_a_mismatch_and_reported() {
    let fx = fixture();
    // Python's zipfile rewrites the member with correct CRCs: only the
    // manifest can tell.
    let program = "import sys, zipfile\n\
         src = zipfile.ZipFile(sys.argv[1])\n\
         items = [(i.filename, src.read(i)) for i in src.infolist()]\n\
         src.close()\n\
         items = [(n, b'planted\\n' if n.endswith('/a.txt') else d) for n, d in items]\n\
         out = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\n\
         for n, d in items:\n    out.writestr(n, d)\n\
         out.close()\n";
    tool(
        "python3",
        &["-c", program, fx.archive.to_str().unwrap()],
        fx.dir.path(),
    );
    let to = fx.dir.path().join("x");
    let a = format!("{}/a.txt", fx.src);
    let (code, doc, err) = extract(&fx.archive, &[&a, &format!("{}/sub", fx.src)], &to);
    assert_eq!(code, 1, "{err}\n{doc:#}");
    let base = to.join(fx.src.trim_start_matches('/'));
    assert!(
        !base.join("a.txt").exists(),
        "a mismatch never takes the name"
    );
    let bad = base.join("a.txt.HASH-MISMATCH");
    assert_eq!(std::fs::read(&bad).unwrap(), b"planted\n");
    assert_eq!(
        sha256sum(&base.join("sub/b.bin")),
        sealed(&fx.archive, &format!("{}/sub/b.bin", fx.src))
    );
    let files = doc["extract"]["files"].as_array().unwrap();
    let f = files.iter().find(|f| f["path"] == a).unwrap();
    assert_eq!(f["check"], "mismatch");
    assert_eq!(f["sha256"].as_str().unwrap(), sha256_hex(b"planted\n"));
    assert_eq!(f["sealed_sha256"].as_str().unwrap(), sha256_hex(b"alpha\n"));
    // sha256sum -c over the list fails for the planted file only.
    let list = list_file(&doc);
    let (ok, out) = tool_status(
        "sha256sum",
        &["-c", list.file_name().unwrap().to_str().unwrap()],
        &to,
    );
    assert!(!ok, "{out}");
    assert!(out.contains("a.txt.HASH-MISMATCH: FAILED"), "{out}");
    assert!(out.contains("b.bin: OK"), "{out}");
    let (_, log) = custody_events(&fx.archive);
    let ev = log["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(ev["action"], "exported");
    assert_eq!(ev["details"]["files_mismatched"], 1, "{ev:#}");
}

#[test]
fn hostile_recorded_names_stay_inside_the_destination() {
    let fx = fixture();
    // Rewrite the record of a.txt to climb out of any directory.
    let program = "import sys, zipfile, json\n\
         src = zipfile.ZipFile(sys.argv[1])\n\
         items = [(i.filename, src.read(i)) for i in src.infolist()]\n\
         src.close()\n\
         def fix(d):\n\
         \x20   out = []\n\
         \x20   for l in d.decode().splitlines():\n\
         \x20       r = json.loads(l)\n\
         \x20       if r['path'].endswith('/a.txt'): r['path'] = '/../../../../escaped.txt'\n\
         \x20       out.append(json.dumps(r))\n\
         \x20   return ('\\n'.join(out) + '\\n').encode()\n\
         items = [(n, fix(d) if n.endswith('/exhibit/files.jsonl') else d) for n, d in items]\n\
         out = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\n\
         for n, d in items:\n    out.writestr(n, d)\n\
         out.close()\n";
    tool(
        "python3",
        &["-c", program, fx.archive.to_str().unwrap()],
        fx.dir.path(),
    );
    let to = fx.dir.path().join("deep/er/dest");
    let (code, doc, err) = extract(&fx.archive, &["/../../../../escaped.txt"], &to);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    for p in [
        fx.dir.path().join("escaped.txt"),
        fx.dir.path().join("deep/escaped.txt"),
        fx.dir.path().join("deep/er/escaped.txt"),
        PathBuf::from("/escaped.txt"),
    ] {
        assert!(!p.exists(), "{} written outside", p.display());
    }
    let inside = to.join("%2E%2E/%2E%2E/%2E%2E/%2E%2E/escaped.txt");
    assert_eq!(std::fs::read(&inside).unwrap(), b"alpha\n");
}

#[test]
fn an_existing_file_is_never_overwritten() {
    let fx = fixture();
    let to = fx.dir.path().join("dest");
    let base = to.join(fx.src.trim_start_matches('/'));
    util::write(&base, "a.txt", b"the examiner's own notes\n");
    let (code, doc, err) = extract(&fx.archive, &[&fx.src], &to);
    assert_eq!(code, 1, "{err}\n{doc:#}");
    assert_eq!(
        std::fs::read(base.join("a.txt")).unwrap(),
        b"the examiner's own notes\n"
    );
    let skipped = doc["extract"]["skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["path"] == format!("{}/a.txt", fx.src)
                && s["reason"].as_str().unwrap().contains("not overwritten")),
        "{skipped:#?}"
    );
    // The others were written all the same.
    assert_eq!(
        std::fs::read(base.join("sub/b.bin")).unwrap(),
        b"\x00\x01binary\xff"
    );
    assert!(!base.join("a.txt.exhibit-part").exists());
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_in_the_destination_is_not_followed() {
    let fx = fixture();
    let to = fx.dir.path().join("dest");
    let base = to.join(fx.src.trim_start_matches('/'));
    std::fs::create_dir_all(&base).unwrap();
    let elsewhere = fx.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, base.join("sub")).unwrap();
    let (code, doc, err) = extract(&fx.archive, &[&fx.src], &to);
    assert_eq!(code, 1, "{err}\n{doc:#}");
    assert!(!elsewhere.join("b.bin").exists());
    assert!(
        doc["extract"]["skipped"]
            .to_string()
            .contains("symbolic link on the way"),
        "{doc:#}"
    );
}
