//! Behaviour every subcommand shares: exit codes and output handling.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

use crate::util::exhibit;
use std::io::Read;
use std::process::{Command, Stdio};

#[test]
fn a_closed_output_pipe_ends_quietly_not_with_a_panic() {
    // `exhibit profiles -v | head -c 16`: the reader goes away early.
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("exhibit"))
        .args(["profiles", "-v"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // stdout is dropped (closed) here.
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let out = Command::new(assert_cmd::cargo::cargo_bin("exhibit"))
        .args(["capture", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

use std::path::Path;

/// True when `b` holds a character a terminal would obey rather than show:
/// a control character other than the line feed, a bidi override or
/// isolate, or a line/paragraph separator.
fn has_raw_control(b: &[u8]) -> bool {
    String::from_utf8_lossy(b).chars().any(|c| {
        (c.is_control() && c != '\n')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
            || matches!(
                c,
                '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{2028}' | '\u{2029}'
            )
    })
}

/// A file name that clears the screen, homes the cursor and reverses text.
const EVIL: &str = ".evil\u{1b}[2J\u{1b}[H\u{202e}txt.exe\u{9b}0m";

/// Capture a tree holding a file named [`EVIL`]; returns the archive.
fn capture_evil(dir: &Path, content: &str, out: &str) -> std::path::PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join(EVIL), content).unwrap();
    std::fs::write(src.join("plain"), "x").unwrap();
    crate::util::archive_path(&crate::util::capture(
        &[src.to_str().unwrap()],
        &dir.join(out),
    ))
}

#[test]
fn hostile_file_names_are_inert_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let first = capture_evil(dir.path(), "one", "out1");
    let second = capture_evil(dir.path(), "two", "out2");
    let shown = "\\x1b[2J\\x1b[H\\u{202e}txt.exe\\x9b0m";

    // show --sweep lists the hidden file by name.
    let o = crate::util::exhibit()
        .args(["show", "--sweep"])
        .arg(&first)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!has_raw_control(&o.stdout), "{out:?}");
    assert!(out.contains(shown), "{out}");

    // diff names the changed file.
    let o = crate::util::exhibit()
        .args(["diff", "-q"])
        .arg(&first)
        .arg(&second)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!has_raw_control(&o.stdout), "{out:?}");
    assert!(out.contains(shown), "{out}");
    // ... and its JSON is the same document, without raw controls.
    let o = crate::util::exhibit()
        .args(["diff", "-q", "--json"])
        .arg(&first)
        .arg(&second)
        .output()
        .unwrap();
    assert!(!has_raw_control(&o.stdout));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v.to_string().contains("\\u001b[2J"),
        "the exact name is kept"
    );
    assert!(
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["path"].as_str().unwrap().ends_with(EVIL))
    );

    // verify names the member whose content was altered: flip a byte of
    // the evil file's stored content so that the report must name it.
    let data = {
        let f = std::fs::File::open(&first).unwrap();
        let mut z = zip::ZipArchive::new(f).unwrap();
        let i = (0..z.len())
            .find(|&i| z.by_index(i).unwrap().name().ends_with(EVIL))
            .expect("the evil member");
        z.by_index(i).unwrap().data_start() as usize
    };
    let mut bytes = std::fs::read(&first).unwrap();
    bytes[data] ^= 0x20;
    std::fs::write(&first, &bytes).unwrap();
    let o = crate::util::exhibit()
        .args(["verify", "-q"])
        .arg(&first)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(!has_raw_control(&o.stdout), "{out:?}");
    assert!(out.contains(shown), "{out}");
    assert!(out.contains("result:  FAILED"), "{out}");
    let o = crate::util::exhibit()
        .args(["verify", "--json"])
        .arg(&first)
        .output()
        .unwrap();
    assert!(!has_raw_control(&o.stdout));
    serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap();
}

/// One member of a hand-made ZIP: name, method, CRC-32, uncompressed size,
/// stored bytes.
struct RawMember {
    name: String,
    method: u16,
    crc: u32,
    size: u32,
    data: Vec<u8>,
}

/// Write a plain ZIP (no ZIP64, no extra fields) from raw members.
fn write_zip(path: &Path, members: &[RawMember]) {
    let mut out: Vec<u8> = Vec::new();
    let mut central: Vec<u8> = Vec::new();
    for m in members {
        let offset = out.len() as u32;
        let name = m.name.as_bytes();
        let fixed = |buf: &mut Vec<u8>, sig: u32, central: bool| {
            buf.extend(sig.to_le_bytes());
            if central {
                buf.extend(0x031eu16.to_le_bytes()); // made by Unix, 3.0
            }
            buf.extend(20u16.to_le_bytes());
            buf.extend(0x0800u16.to_le_bytes()); // UTF-8 names
            buf.extend(m.method.to_le_bytes());
            buf.extend(0u16.to_le_bytes());
            buf.extend(0x21u16.to_le_bytes()); // 1980-01-01
            buf.extend(m.crc.to_le_bytes());
            buf.extend((m.data.len() as u32).to_le_bytes());
            buf.extend(m.size.to_le_bytes());
            buf.extend((name.len() as u16).to_le_bytes());
            buf.extend(0u16.to_le_bytes());
            if central {
                buf.extend([0u8; 6]); // comment length, disk, internal attributes
                buf.extend((0o100644u32 << 16).to_le_bytes());
                buf.extend(offset.to_le_bytes());
            }
            buf.extend(name);
        };
        fixed(&mut out, 0x04034b50, false);
        out.extend(&m.data);
        fixed(&mut central, 0x02014b50, true);
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x06054b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    std::fs::write(path, out).unwrap();
}

/// A raw deflate stream of `chunk` repeated `times` times, a few KiB per
/// MiB: each copy is one fully flushed block that stands alone.
fn deflate_repeated(chunk: &[u8], times: u32) -> (Vec<u8>, u32) {
    let mut c = flate2::Compress::new(flate2::Compression::best(), false);
    let mut block = Vec::with_capacity(chunk.len() + 4096);
    c.compress_vec(chunk, &mut block, flate2::FlushCompress::Full)
        .unwrap();
    assert_eq!(c.total_in() as usize, chunk.len());
    let mut data = Vec::with_capacity(block.len() * times as usize + 5);
    let mut crc = crc32fast::Hasher::new();
    let mut one = crc32fast::Hasher::new();
    one.update(chunk);
    for _ in 0..times {
        data.extend_from_slice(&block);
        crc.combine(&one);
    }
    data.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]); // final empty block
    (data, crc.finalize())
}

/// A real archive whose `files.jsonl` is replaced by `chunk` × `times`.
fn files_jsonl_bomb(dir: &Path, chunk: &[u8], times: u32, name: &str) -> std::path::PathBuf {
    let real = crate::util::archive_path(&crate::util::capture(
        &[dir.join("src").to_str().unwrap()],
        &dir.join(format!("{name}-real")),
    ));
    let mut members = Vec::new();
    for (n, content) in crate::util::members(&real) {
        if n.ends_with("/exhibit/files.jsonl") {
            let (data, crc) = deflate_repeated(chunk, times);
            members.push(RawMember {
                name: n,
                method: 8,
                crc,
                size: (chunk.len() as u64 * u64::from(times)) as u32,
                data,
            });
        } else {
            members.push(RawMember {
                name: n,
                method: 0,
                crc: crc32fast::hash(&content),
                size: content.len() as u32,
                data: content,
            });
        }
    }
    let bomb = dir.join(format!("{name}.zip"));
    write_zip(&bomb, &members);
    bomb
}

/// Run `exhibit ARGS` with its address space limited to `limit_mib` MiB, as
/// an examiner's small VM would: reading `files.jsonl` whole fails there.
fn exhibit_limited(args: &[&std::ffi::OsStr], limit_mib: u64) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {}; exec \"$0\" \"$@\"",
            limit_mib * 1024
        ))
        .arg(assert_cmd::cargo::cargo_bin("exhibit"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn show_and_scan_stream_files_jsonl_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a"), "1").unwrap();
    // 256 MiB of the same record (1.3 million lines) in a few MiB of archive.
    let real = crate::util::archive_path(&crate::util::capture(
        &[src.to_str().unwrap()],
        &dir.path().join("probe"),
    ));
    let line = crate::util::member_content(
        &real,
        &format!(
            "{}/exhibit/files.jsonl",
            real.file_stem().unwrap().to_str().unwrap()
        ),
    );
    let first = line.split(|&b| b == b'\n').next().unwrap().to_vec();
    let mut chunk = Vec::new();
    while chunk.len() < (1 << 20) - first.len() {
        chunk.extend_from_slice(&first);
        chunk.push(b'\n');
    }
    let bomb = files_jsonl_bomb(dir.path(), &chunk, 256, "records");
    assert!(std::fs::metadata(&bomb).unwrap().len() < 16 << 20);
    let lines = (chunk.iter().filter(|&&b| b == b'\n').count() * 256) as u64;
    // One line of 1 GiB, no line end at all.
    let long = files_jsonl_bomb(dir.path(), &vec![b'a'; 1 << 20], 1024, "line");

    let os = |s: &str| std::ffi::OsString::from(s);
    let limit = 768;
    let o = exhibit_limited(&[&os("show"), &os("--json"), bomb.as_os_str()], limit);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "show: {err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["records"], lines);

    let o = exhibit_limited(&[&os("show"), long.as_os_str()], limit);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "show: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("WARNING: 1 record lines could not be parsed"),
        "{out}"
    );

    let o = exhibit_limited(&[&os("scan"), &os("-q"), bomb.as_os_str()], limit);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "scan: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("duplicate path records ignored"), "{out}");

    let o = exhibit_limited(&[&os("scan"), &os("-q"), long.as_os_str()], limit);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "scan: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("files.jsonl line 1 does not parse: longer than 1048576 bytes"),
        "{out}"
    );
}

/// `exhibit detections` lists every rule and detection with what it needs,
/// including a rule from a user directory.
#[test]
fn detections_lists_rules_and_detectors_with_what_they_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("local.toml"),
        "[[rule]]\nid = \"local.backup_in_webroot\"\nseverity = \"high\"\ntitle = \"Backup in the web root\"\nexplanation = \"x\"\npaths = [\"/var/www/**/*.bak\"]\n",
    )
    .unwrap();
    let out = exhibit()
        .args(["detections", "--json", "--rules"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = v["detections"].as_array().unwrap();
    let find = |id: &str, kind: &str| {
        all.iter()
            .find(|e| e["id"] == id && e["kind"] == kind)
            .unwrap_or_else(|| panic!("{id} ({kind}) listed"))
    };
    let brute = find("ssh_bruteforce", "log_detection");
    assert_eq!(brute["needs"]["input"], "events");
    assert!(
        brute["needs"]["reads"][0]
            .as_str()
            .unwrap()
            .contains("auth")
    );
    let anti = find("antiforensics", "file_detector");
    assert_eq!(anti["needs"]["baseline"], "required");
    let local = find("local.backup_in_webroot", "file_rule");
    assert_eq!(local["severity"], "high");
    assert_eq!(
        local["needs"]["baseline"], "required",
        "no scan severity: diff only"
    );
    // The human listing names the same entries.
    let text = exhibit().arg("detections").output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Log detections:") && text.contains("ssh_bruteforce"));
    assert!(text.contains("reads: "));
}
