//! Interoperability: an auditor must be able to check an archive with tools
//! we did not write. Info-ZIP `unzip -t`, 7-Zip `7z t`, Python's
//! `zipfile.testzip()`, `bagit.py --validate` on the extracted bag,
//! `sha256sum -c` inside the bag, and Sleuth Kit's `mactime -b` on the bodyfile.
//! These tools are installed by scripts/install-test-tools.sh; a missing
//! tool fails the test, it never skips.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

use crate::util::*;
use std::fs;
use std::path::Path;

fn plain_tree(dir: &Path) {
    fs::create_dir_all(dir.join("var/log/nginx")).unwrap();
    fs::create_dir_all(dir.join("etc/ssh")).unwrap();
    fs::write(dir.join("etc/ssh/sshd_config"), "PermitRootLogin no\n").unwrap();
    fs::write(
        dir.join("var/log/auth.log"),
        "Nov 22 10:00:01 web sshd[42]: Accepted publickey for root\n".repeat(500),
    )
    .unwrap();
    fs::write(
        dir.join("var/log/nginx/access.log"),
        "203.0.113.9 - - [22/Nov/2026:10:00:00 +0000] \"GET /export.csv HTTP/1.1\" 200 1048576\n"
            .repeat(300),
    )
    .unwrap();
    fs::write(dir.join("with space.txt"), "spaces are fine").unwrap();
    fs::write(dir.join("tab\tname"), "tabs too").unwrap();
    fs::write(dir.join("-leading-dash"), "dash").unwrap();
    fs::write(dir.join("caf\u{e9}.txt"), "unicode").unwrap();
    fs::write(dir.join("empty"), "").unwrap();
    let noise: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(dir.join("binary.bin"), noise).unwrap();
    // Over 8 MiB: streamed with a data descriptor (stored with --store).
    let big: Vec<u8> = (0..9_500_000u32)
        .map(|i| (i.wrapping_mul(2_246_822_519) >> 11) as u8)
        .collect();
    fs::write(dir.join("big.bin"), big).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("link")).unwrap();
}

/// Extract the way the README tells auditors to: `unzip -^` keeps control
/// characters (tabs) in names, which Info-ZIP otherwise silently strips.
fn extract(archive: &Path, into: &Path) -> std::path::PathBuf {
    fs::create_dir_all(into).unwrap();
    tool(
        "unzip",
        &[
            "-q",
            "-^",
            archive.to_str().unwrap(),
            "-d",
            into.to_str().unwrap(),
        ],
        into,
    );
    let stem = archive.file_stem().unwrap();
    into.join(stem)
}

#[test]
fn standard_zip_tools_accept_the_archive() {
    let t = tempfile::tempdir().unwrap();
    plain_tree(&t.path().join("src"));
    for store in [false, true] {
        let mut args = vec![t.path().join("src").to_str().unwrap().to_string()];
        if store {
            args.push("--store".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = t
            .path()
            .join(if store { "out-store" } else { "out-deflate" });
        let archive = archive_path(&capture(&args, &out));
        let a = archive.to_str().unwrap();
        let unzip = tool("unzip", &["-t", a], t.path());
        assert!(unzip.contains("No errors detected"), "{unzip}");
        let sevenz = tool("7z", &["t", a], t.path());
        assert!(sevenz.contains("Everything is Ok"), "{sevenz}");
        tool(
            "python3",
            &[
                "-c",
                "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); r=z.testzip(); assert r is None, r; print(len(z.namelist()))",
                a,
            ],
            t.path(),
        );
    }
}

#[test]
fn extracted_bag_validates_with_bagit_and_sha256sum() {
    let t = tempfile::tempdir().unwrap();
    plain_tree(&t.path().join("src"));
    let archive = archive_path(&capture(
        &[t.path().join("src").to_str().unwrap()],
        &t.path().join("out"),
    ));
    let bag = extract(&archive, &t.path().join("x"));
    let v = tool(
        "python3",
        &["-m", "bagit", "--validate", bag.to_str().unwrap()],
        t.path(),
    );
    assert!(v.contains("is valid"), "{v}");
    let sums = tool("sha256sum", &["-c", "manifest-sha256.txt"], &bag);
    assert!(!sums.contains("FAILED"));
    assert_eq!(
        sums.lines().filter(|l| l.ends_with(": OK")).count(),
        10,
        "{sums}"
    );
    let tags = tool("sha256sum", &["-c", "tagmanifest-sha256.txt"], &bag);
    assert!(tags.lines().all(|l| l.ends_with(": OK")), "{tags}");
}

#[test]
fn bagit_detects_a_payload_edited_after_extraction() {
    let t = tempfile::tempdir().unwrap();
    plain_tree(&t.path().join("src"));
    let archive = archive_path(&capture(
        &[t.path().join("src").to_str().unwrap()],
        &t.path().join("out"),
    ));
    let bag = extract(&archive, &t.path().join("x"));
    let f = fs::read_dir(bag.join("data"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let victim = walk_files(&f).into_iter().next().unwrap();
    fs::write(&victim, "edited").unwrap();
    let (ok, out) = tool_status(
        "python3",
        &["-m", "bagit", "--validate", bag.to_str().unwrap()],
        t.path(),
    );
    assert!(!ok, "bagit must reject an edited payload: {out}");
}

fn walk_files(p: &Path) -> Vec<std::path::PathBuf> {
    if p.is_file() {
        return vec![p.to_path_buf()];
    }
    let mut out = Vec::new();
    for e in fs::read_dir(p).unwrap() {
        out.extend(walk_files(&e.unwrap().path()));
    }
    out.sort();
    out
}

#[test]
fn names_needing_rfc8493_encoding_follow_the_rfc() {
    // `%`, CR and LF are percent-encoded in manifests as RFC 8493 requires;
    // Exhibit's verifier decodes them (bagit-python <= 1.8 does not).
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("100%.txt"), "percent").unwrap();
    fs::write(src.join("line\nbreak"), "newline").unwrap();
    let archive = archive_path(&capture(&[src.to_str().unwrap()], &t.path().join("out")));
    let manifest = members(&archive)
        .into_iter()
        .find(|(n, _)| n.ends_with("/manifest-sha256.txt"))
        .unwrap()
        .1;
    let manifest = String::from_utf8(manifest).unwrap();
    assert!(manifest.contains("100%25.txt\n"), "{manifest}");
    assert!(manifest.contains("line%0Abreak\n"), "{manifest}");
    assert_eq!(manifest.lines().count(), 2);
    assert_eq!(verify(&archive).0, 0);
}

#[test]
fn bodyfile_reads_with_mactime() {
    let t = tempfile::tempdir().unwrap();
    plain_tree(&t.path().join("src"));
    let archive = archive_path(&capture(
        &[t.path().join("src").to_str().unwrap()],
        &t.path().join("out"),
    ));
    let body = members(&archive)
        .into_iter()
        .find(|(n, _)| n.ends_with("/exhibit/bodyfile.txt"))
        .unwrap()
        .1;
    let body_path = t.path().join("bodyfile.txt");
    fs::write(&body_path, &body).unwrap();
    let out = tool(
        "mactime",
        &["-b", body_path.to_str().unwrap(), "-d", "-z", "UTC"],
        t.path(),
    );
    // Every entry appears in mactime's timeline with its mode string.
    assert!(out.contains("/var/log/nginx/access.log"), "{out}");
    assert!(out.contains("-rw-r--r--"), "{out}");
    assert!(out.contains("link -> /etc/passwd"), "{out}");
    let records = records(&archive).len();
    let body_lines = String::from_utf8(body).unwrap().lines().count();
    assert_eq!(body_lines, records);
}

#[test]
fn streamed_members_are_self_delimiting() {
    // Members over 8 MiB are streamed with a data descriptor; they must never
    // use method 0 (stored), whose end streaming extractors find only by
    // scanning for the descriptor signature, which file content can forge.
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    let mut evil: Vec<u8> = (0..9_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
        .collect();
    // A forged data descriptor in the middle of the content.
    evil[4_000_000..4_000_004].copy_from_slice(b"PK\x07\x08");
    fs::write(src.join("evil.bin"), &evil).unwrap();
    let archive = archive_path(&capture(
        &[src.to_str().unwrap(), "--store"],
        &t.path().join("out"),
    ));
    let f = fs::File::open(&archive).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    let name = z
        .file_names()
        .find(|n| n.ends_with("evil.bin"))
        .unwrap()
        .to_string();
    let m = z.by_name(&name).unwrap();
    assert_eq!(m.compression(), zip::CompressionMethod::Deflated);
    // Uncompressed blocks: barely larger than the content.
    assert!(m.compressed_size() < m.size() + m.size() / 100);
    drop(m);
    // A streaming reader (Python reading the local headers in order) gets the whole member.
    let script = "import sys, zipfile, io\nraw = open(sys.argv[1], 'rb').read()\nz = zipfile.ZipFile(io.BytesIO(raw))\nd = [z.read(i) for i in z.infolist() if i.filename.endswith('evil.bin')][0]\nassert len(d) == 9_000_000, len(d)\n";
    tool(
        "python3",
        &["-c", script, archive.to_str().unwrap()],
        t.path(),
    );
    // bsdtar reading from a pipe cannot seek to the central directory: it
    // must find every member's end from the local data alone. (Through `<`
    // its stdin would be the seekable file, and it would read the central
    // directory instead.)
    let piped = format!(
        "cat '{}' | bsdtar -xOf - '{name}' | sha256sum",
        archive.to_str().unwrap()
    );
    let out = tool("bash", &["-c", &piped], t.path());
    assert!(out.starts_with(&sha256_hex(&evil)), "{out}");
}

#[test]
fn deflate_engine_bounds_read_back_by_unzip_7z_and_python() {
    // Files held whole are deflated by libdeflate, larger ones streamed
    // through zlib-rs: 8 MiB is the streaming threshold, and with eight
    // reader threads files up to 16 MiB are held whole
    // (capture::acquire::whole_limit). Each side of both bounds, empty and
    // one-byte files, and incompressible content (stored whole, or in
    // Deflate's uncompressed blocks when streamed) must come back as the
    // same bytes through tools we did not write.
    const MIB: usize = 1 << 20;
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    let text: Vec<u8> = (0u32..)
        .flat_map(|i| format!("{i} GET /api/v1/orders/{} 200 {}\n", i % 977, i % 31).into_bytes())
        .take(17 * MIB)
        .collect();
    let mut noise = vec![0u8; 20 * MIB];
    let mut x = 0x9e37_79b9_u32;
    for b in noise.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = (x >> 7) as u8;
    }
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for n in [
        0,
        1,
        8 * MIB - 1,
        8 * MIB,
        8 * MIB + 1,
        16 * MIB - 1,
        16 * MIB,
        16 * MIB + 1,
    ] {
        files.push((format!("text-{n}.log"), text[..n].to_vec()));
    }
    files.push(("noise-3m.bin".into(), noise[..3 * MIB].to_vec()));
    files.push(("noise-12m.bin".into(), noise[..12 * MIB].to_vec()));
    files.push(("noise-20m.bin".into(), noise.clone()));
    let mut half = text[..5 * MIB].to_vec();
    half.extend_from_slice(&noise[..5 * MIB]);
    files.push(("half-10m.bin".into(), half));
    for (name, data) in &files {
        fs::write(src.join(name), data).unwrap();
    }
    let archive = archive_path(&capture(
        &[src.to_str().unwrap(), "--threads", "8"],
        &t.path().join("out"),
    ));
    let a = archive.to_str().unwrap();
    let unzip = tool("unzip", &["-t", a], t.path());
    assert!(unzip.contains("No errors detected"), "{unzip}");
    let sevenz = tool("7z", &["t", a], t.path());
    assert!(sevenz.contains("Everything is Ok"), "{sevenz}");
    let script = "import sys, zipfile, hashlib\nz = zipfile.ZipFile(sys.argv[1])\nfor i in z.infolist():\n    if '/data/' in i.filename and not i.is_dir():\n        print(i.filename.rsplit('/', 1)[1], i.compress_type, hashlib.sha256(z.read(i)).hexdigest())\n";
    let listed = tool("python3", &["-c", script, a], t.path());
    let mut deflated = 0;
    for (name, data) in &files {
        let line = listed
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} missing from the archive: {listed}"));
        assert!(line.ends_with(&sha256_hex(data)), "{name}: {line}");
        if line.contains(" 8 ") {
            deflated += 1;
        }
    }
    // The six compressible files around the bounds, the half-compressible
    // one and the streamed noise (an empty or one-byte file is stored).
    assert_eq!(deflated, 8, "{listed}");
    let verify = exhibit().arg("verify").arg(&archive).output().unwrap();
    assert!(verify.status.success(), "{verify:?}");
}
