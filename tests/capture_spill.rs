//! Captures whose records do not fit the memory limit: with a tiny spill
//! threshold every few records go to a sorted run beside the archive and
//! the runs are merged (several levels deep) into `files.jsonl`, the
//! bodyfile and the payload manifest. The archive must be the one an
//! in-memory capture writes: same records in the same order, verified by
//! Exhibit and read by Python's `zipfile`; encrypted captures spill
//! nothing readable, streamed ones nothing at all.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

use crate::util::*;
use exhibit::capture::{self, CaptureRequest};
use exhibit::job::{CancelToken, NoProgress};
use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A few thousand entries, with names that sort differently from the walk
/// (`a` before `a.b` before `a/…`), names whose member names collide once
/// escaped, hard links and special files.
fn tree(dir: &Path) -> usize {
    for d in 0..30 {
        for f in 0..100 {
            write(
                dir,
                &format!("d{d:02}/f{f:03}.txt"),
                format!("file {d} {f}\n").as_bytes(),
            );
        }
    }
    write(dir, "a/inner", b"inner");
    write(dir, "a.b", b"dot");
    write(dir, "a-b", b"dash");
    fs::write(dir.join(OsStr::from_bytes(b"x\xff")), "invalid utf-8").unwrap();
    write(dir, "x%FF", b"a real percent name");
    write(dir, "back\\slash", b"backslash");
    write(dir, "back%5Cslash", b"escaped backslash");
    fs::hard_link(dir.join("a.b"), dir.join("z-hardlink-1")).unwrap();
    fs::hard_link(dir.join("a.b"), dir.join("0-hardlink-2")).unwrap();
    std::os::unix::fs::symlink("a.b", dir.join("link")).unwrap();
    fs::create_dir_all(dir.join("empty/dir")).unwrap();
    // The tree's entries: the root, 30 dirs + 3000 files, `a` and its
    // file, and the 11 others.
    1 + 30 + 3000 + 2 + 11
}

fn request(src: &Path, out: &Path, threshold: usize) -> CaptureRequest {
    let mut req = CaptureRequest::new(vec![src.to_path_buf()], out.to_path_buf(), "SPILL", "Tess");
    req.spill_threshold = threshold;
    req
}

fn run(req: &CaptureRequest) -> PathBuf {
    capture::capture(req, &NoProgress, &CancelToken::new())
        .unwrap()
        .archive
}

/// The tag files that list the records, with the archive's stem replaced
/// and access times left out (reading a symlink sets its access time: a
/// capture sees what the one before it did).
fn listings(members: &[(String, Vec<u8>)]) -> [String; 3] {
    let stem = members
        .iter()
        .find_map(|(n, _)| n.strip_suffix("/bagit.txt"))
        .unwrap()
        .to_string();
    [
        "exhibit/files.jsonl",
        "exhibit/bodyfile.txt",
        "manifest-sha256.txt",
    ]
    .map(|rel| {
        let (_, data) = members
            .iter()
            .find(|(n, _)| *n == format!("{stem}/{rel}"))
            .unwrap_or_else(|| panic!("no {rel}"));
        let text = String::from_utf8(data.clone())
            .unwrap()
            .replace(&stem, "STEM");
        text.lines()
            .map(|l| match rel {
                "exhibit/files.jsonl" => {
                    let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                    v.as_object_mut().unwrap().remove("atime");
                    v.to_string()
                }
                "exhibit/bodyfile.txt" => {
                    let mut f: Vec<&str> = l.split('|').collect();
                    let n = f.len();
                    f[n - 4] = "-";
                    f.join("|")
                }
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn zip_members(f: fs::File) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(f).expect("zip crate reads the archive");
    (0..z.len())
        .map(|i| {
            let mut m = z.by_index(i).unwrap();
            let mut data = Vec::new();
            m.read_to_end(&mut data).unwrap();
            (m.name().to_string(), data)
        })
        .collect()
}

#[test]
fn a_spilled_capture_writes_what_an_in_memory_one_writes() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let entries = tree(&src);

    // One run held in memory, then runs of a few records (over a hundred
    // runs: merged in two levels), and a capture streamed (nothing on disk).
    let whole = run(&request(&src, &t.path().join("whole"), usize::MAX));
    let spilled_out = t.path().join("spilled");
    let spilled = run(&request(&src, &spilled_out, 300));
    let streamed = t.path().join("streamed.zip");
    let file = fs::File::create(&streamed).unwrap();
    let sent = capture::capture_stream(
        &request(&src, &t.path().join("unused"), 300),
        Box::new(move |_stem| Ok(Box::new(file) as Box<dyn std::io::Write + Send>)),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!(sent.entries, entries as u64);

    let want = listings(&members(&whole));
    let records: Vec<&str> = want[0].lines().collect();
    assert_eq!(records.len(), entries);
    let paths: Vec<String> = records
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["path"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "files.jsonl is in path order");
    assert_eq!(listings(&members(&spilled)), want, "spilled to disk");
    assert_eq!(listings(&members(&streamed)), want, "streamed");

    // Colliding member names got their suffix, as before: the name the
    // walk met first (`%` sorts before `\` and 0xFF) keeps the plain one.
    let all_of = |p: &str| -> Vec<serde_json::Value> {
        let p = format!("{}/{p}", logical(&src));
        records
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|r| r["path"] == p.as_str())
            .collect()
    };
    let rec = |p: &str| all_of(p).remove(0);
    // `x\xff` is recorded as `x%FF` too: two records, the real name first.
    let both = all_of("x%FF");
    assert_eq!(both.len(), 2);
    assert!(both[0]["path_bytes_b64"].is_null());
    assert!(both[0]["member"].as_str().unwrap().ends_with("/x%FF"));
    assert!(both[1]["member"].as_str().unwrap().ends_with("/x%FF~2"));
    assert!(
        rec("back%5Cslash")["member"]
            .as_str()
            .unwrap()
            .ends_with("/back%5Cslash")
    );
    assert!(
        rec("back\\slash")["member"]
            .as_str()
            .unwrap()
            .ends_with("/back%5Cslash~2")
    );
    // Hard links: the first name the walk met holds the content.
    let first = rec("0-hardlink-2");
    for alias in ["a.b", "z-hardlink-1"] {
        assert_eq!(rec(alias)["hardlink_of"], first["path"], "{alias}");
        assert_eq!(rec(alias)["member"], first["member"], "{alias}");
    }

    for archive in [&whole, &spilled] {
        let (code, report) = verify(archive);
        assert_eq!(code, 0, "verify: {report:#}");
    }
    let (code, report) = verify(&streamed);
    let kinds: Vec<String> = problem_kinds(&report)
        .into_iter()
        .filter(|k| !k.starts_with("custody"))
        .collect();
    assert!(kinds.is_empty(), "{code}: {report:#}");
    let script = "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); r=z.testzip(); assert r is None, r; print(len(z.namelist()))";
    let n = tool(
        "python3",
        &["-c", script, spilled.to_str().unwrap()],
        t.path(),
    );
    // 3000 + `a/inner`, `a-b`, the four colliding names, one for the
    // three hard links; seven tag files.
    assert_eq!(
        n.trim(),
        (3000 + 7 + 7).to_string(),
        "payload and tag members"
    );
    // Nothing but the archive and its custody log is left beside it.
    let mut left: Vec<String> = fs::read_dir(&spilled_out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left.len(), 2, "{left:?}");
}

#[test]
fn an_encrypted_capture_spills_only_ciphertext() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    tree(&src);
    let key = t.path().join("key.txt");
    tool("age-keygen", &["-o", key.to_str().unwrap()], t.path());
    let recipient = tool("age-keygen", &["-y", key.to_str().unwrap()], t.path());
    let out = t.path().join("out");
    let mut req = request(&src, &out, 300);
    req.encrypt_to = Some(std::sync::Arc::new(
        exhibit::archive::encrypt::parse_recipients(&[recipient.trim().to_string()]).unwrap(),
    ));
    let archive = run(&req);
    let plain = run(&request(&src, &t.path().join("plain"), usize::MAX));

    let ids = exhibit::archive::encrypt::load_identities(&key, None).unwrap();
    let (zip, _) = exhibit::archive::encrypt::decrypt_to_temp(&archive, &ids).unwrap();
    assert_eq!(listings(&zip_members(zip)), listings(&members(&plain)));
    let (code, report, _) = {
        let o = exhibit()
            .arg("verify")
            .arg(&archive)
            .arg("--identity")
            .arg(&key)
            .arg("--json")
            .output()
            .unwrap();
        (
            o.status.code(),
            serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap(),
            (),
        )
    };
    assert_eq!(code, Some(0), "{report:#}");
}
