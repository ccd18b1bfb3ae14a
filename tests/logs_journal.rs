//! Binary systemd journal files read by Exhibit's own reader, checked
//! against systemd's tools: the fixtures in `tests/data/logs/journal/` were
//! written by `systemd-journal-remote` from `attack.export`
//! (`scripts/make-journal-fixtures.sh`); every entry Exhibit reads is
//! compared with `journalctl --file X -o export` when journalctl is present,
//! and with the export stream the file was built from otherwise. When
//! `systemd-journal-remote` is present a fresh journal is built from a
//! stream this test writes. The detections must find on the journal what
//! they find on the same messages as an auth.log; damaged files read as far
//! as they are sound, with the damage's offset in the notes.

use crate::util::exhibit;
use exhibit::logs::parsers::RecordStats;
use exhibit::logs::parsers::journal::{self, file::Journal};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

const REMOTE: &str = "/lib/systemd/systemd-journal-remote";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/logs/journal")
        .join(name)
}

/// A committed journal, decompressed.
fn fixture(name: &str) -> Vec<u8> {
    let gz = std::fs::read(data(&format!("{name}.gz"))).unwrap();
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut out)
        .unwrap();
    out
}

type Fields = Vec<(String, Vec<u8>)>;

/// Parse the journal export format (systemd docs/JOURNAL_EXPORT_FORMATS.md):
/// `KEY=value` lines, or `KEY`, a little-endian 64-bit size and the bytes;
/// entries end with a blank line.
fn parse_export(b: &[u8]) -> Vec<Fields> {
    let mut entries = Vec::new();
    let mut cur: Fields = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let end = b[i..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |p| i + p);
        let line = &b[i..end];
        i = end + 1;
        if line.is_empty() {
            if !cur.is_empty() {
                entries.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some(eq) = line.iter().position(|&c| c == b'=') {
            cur.push((
                String::from_utf8(line[..eq].to_vec()).unwrap(),
                line[eq + 1..].to_vec(),
            ));
        } else {
            let n = u64::from_le_bytes(b[i..i + 8].try_into().unwrap()) as usize;
            cur.push((
                String::from_utf8(line.to_vec()).unwrap(),
                b[i + 8..i + 8 + n].to_vec(),
            ));
            i += 8 + n + 1;
        }
    }
    if !cur.is_empty() {
        entries.push(cur);
    }
    entries
}

fn get<'a>(e: &'a Fields, k: &str) -> Option<&'a [u8]> {
    e.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_slice())
}

/// What Exhibit's reader gives for every entry: realtime, boot id and the
/// fields as `journalctl -o export` names them (sorted, `__` fields out).
fn read_entries(bytes: &[u8]) -> Vec<(u64, String, Fields)> {
    let (j, problems) = Journal::open(bytes).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let walk = j.walk();
    assert!(walk.problems.is_empty(), "{:?}", walk.problems);
    let mut scratch = Vec::new();
    walk.entries
        .iter()
        .map(|&off| {
            let e = j.entry(off).unwrap();
            let mut fields = Vec::new();
            let mut p = exhibit::logs::parsers::journal::file::Problems::default();
            j.fields(&e, &mut scratch, &mut p, |_, f| {
                let eq = f.iter().position(|&c| c == b'=').unwrap();
                fields.push((
                    String::from_utf8(f[..eq].to_vec()).unwrap(),
                    f[eq + 1..].to_vec(),
                ));
            });
            assert!(p.is_empty(), "{p:?}");
            fields.sort();
            (e.realtime, hex::encode(e.boot_id), fields)
        })
        .collect()
}

/// The reference entries in the same shape, from an export stream.
fn reference(export: &[u8]) -> Vec<(u64, String, Fields)> {
    parse_export(export)
        .into_iter()
        .map(|e| {
            let t = std::str::from_utf8(get(&e, "__REALTIME_TIMESTAMP").unwrap())
                .unwrap()
                .parse()
                .unwrap();
            let boot = String::from_utf8(get(&e, "_BOOT_ID").unwrap().to_vec()).unwrap();
            let mut fields: Fields = e
                .into_iter()
                .filter(|(k, _)| !k.starts_with("__"))
                .collect();
            fields.sort();
            (t, boot, fields)
        })
        .collect()
}

fn journalctl_export(path: &Path) -> Option<Vec<u8>> {
    let out = std::process::Command::new("journalctl")
        .args(["--file"])
        .arg(path)
        .args(["-o", "export", "--no-pager"])
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "journalctl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

fn logs_json(args: &[&std::ffi::OsStr]) -> (i32, Value) {
    let out = exhibit()
        .arg("logs")
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), doc)
}

/// The attack findings: (rule, title, addresses, accounts).
fn attack_findings(doc: &Value) -> BTreeSet<(String, String, String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            [
                "ssh_bruteforce",
                "success_after_failures",
                "sudo_shell",
                "account_change",
            ]
            .contains(&f["rule"].as_str().unwrap())
        })
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["title"].as_str().unwrap().to_string(),
                f["ips"].to_string(),
                f["users"].to_string(),
            )
        })
        .collect()
}

/// The same messages as an RFC 3339 auth.log, from the export stream.
fn auth_log(export: &[u8]) -> String {
    let mut s = String::new();
    for e in parse_export(export) {
        let ident = String::from_utf8_lossy(get(&e, "SYSLOG_IDENTIFIER").unwrap_or(b"-"));
        if !["sshd", "sudo", "useradd", "CRON"].contains(&ident.as_ref()) {
            continue;
        }
        let t: i64 = std::str::from_utf8(get(&e, "__REALTIME_TIMESTAMP").unwrap())
            .unwrap()
            .parse()
            .unwrap();
        let time = chrono::DateTime::from_timestamp_micros(t)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%S%.6f+00:00");
        s.push_str(&format!(
            "{time} web1 {ident}[{}]: {}\n",
            String::from_utf8_lossy(get(&e, "_PID").unwrap()),
            String::from_utf8_lossy(get(&e, "MESSAGE").unwrap())
        ));
    }
    s
}

#[test]
fn every_entry_matches_journalctl_or_the_export_it_was_built_from() {
    let dir = tempfile::tempdir().unwrap();
    let export = std::fs::read(data("attack.export")).unwrap();
    for name in ["system.journal", "regular.journal"] {
        let bytes = fixture(name);
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let ours = read_entries(&bytes);
        assert_eq!(ours.len(), 146, "{name}");
        // The stream systemd-journal-remote was given.
        assert_eq!(ours, reference(&export), "{name} against attack.export");
        if let Some(theirs) = journalctl_export(&path) {
            assert_eq!(ours, reference(&theirs), "{name} against journalctl");
        } else {
            eprintln!("journalctl not found: compared with attack.export only");
        }
    }
}

#[test]
fn events_carry_the_journal_fields_and_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("system.journal");
    std::fs::write(&path, fixture("system.journal")).unwrap();
    let out = exhibit()
        .args(["logs", "events"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let events: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let reference = parse_export(&std::fs::read(data("attack.export")).unwrap());
    assert_eq!(events.len(), reference.len());
    for (n, (ev, e)) in events.iter().zip(&reference).enumerate() {
        let s = |k: &str| String::from_utf8_lossy(get(e, k).unwrap()).into_owned();
        assert_eq!(ev["line"], n as u64 + 1);
        let t: i64 = s("__REALTIME_TIMESTAMP").parse().unwrap();
        let time = chrono::DateTime::from_timestamp_micros(t)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        assert_eq!(ev["time"], time.as_str());
        assert_eq!(ev["fields"]["host"], "web1");
        assert_eq!(ev["fields"]["program"], s("SYSLOG_IDENTIFIER").as_str());
        assert_eq!(ev["fields"]["pid"], s("_PID").as_str());
        let text = ev["text"].as_str().unwrap();
        let head = format!(
            "web1 {}[{}]: {}",
            s("SYSLOG_IDENTIFIER"),
            s("_PID"),
            s("MESSAGE")
        );
        assert!(text.starts_with(&head), "{text}");
        assert!(
            text.contains(&format!("_BOOT_ID={}", s("_BOOT_ID"))),
            "{text}"
        );
        assert!(text.contains(" offset="), "{text}");
    }
    let sudo = events.iter().find(|e| e["kind"] == "sudo").unwrap();
    assert_eq!(sudo["fields"]["user"], "deploy");
    assert_eq!(sudo["fields"]["command"], "/bin/bash");
    assert!(
        sudo["text"]
            .as_str()
            .unwrap()
            .contains("_UID=1000 _SYSTEMD_UNIT=session-3.scope]")
    );
}

#[test]
fn the_journal_finds_what_the_same_auth_log_finds() {
    let dir = tempfile::tempdir().unwrap();
    let export = std::fs::read(data("attack.export")).unwrap();
    let auth = dir.path().join("auth.log");
    std::fs::write(&auth, auth_log(&export)).unwrap();
    let (_, text_doc) = logs_json(&[auth.as_os_str()]);
    let want = attack_findings(&text_doc);
    let rules: BTreeSet<&str> = want.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        rules,
        BTreeSet::from([
            "account_change",
            "ssh_bruteforce",
            "success_after_failures",
            "sudo_shell"
        ])
    );
    for name in ["system.journal", "regular.journal"] {
        let path = dir.path().join(name);
        std::fs::write(&path, fixture(name)).unwrap();
        let (code, doc) = logs_json(&[path.as_os_str()]);
        assert_eq!(code, 0, "{doc}");
        assert_eq!(attack_findings(&doc), want, "{name}");
        let src = &doc["sources"][0];
        assert_eq!(src["parser"], "journal");
        assert_eq!(src["events"], 146);
        let note = src["notes"][0].as_str().unwrap();
        assert!(note.contains("146 entries read of 146 listed"), "{note}");
        assert!(note.contains("2 boot(s)"), "{note}");
        assert!(note.contains("state offline, not sealed"), "{note}");
        // The six hours of silence between the boots.
        let gap = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "log_gap")
            .unwrap_or_else(|| panic!("no log_gap in {doc}"));
        assert!(gap["title"].as_str().unwrap().contains("6 h"), "{gap}");
        let bf = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "ssh_bruteforce")
            .unwrap();
        assert_eq!(bf["ips"][0], "203.0.113.7");
    }
}

/// The offsets of the entries, read with the library.
fn entry_offsets(bytes: &[u8]) -> Vec<u64> {
    Journal::open(bytes).unwrap().0.walk().entries
}

#[test]
fn a_damaged_entry_is_kept_and_named_by_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fixture("system.journal");
    let offsets = entry_offsets(&bytes);
    let victim = offsets[50]; // a cron entry
    bytes[victim as usize] = 0; // the entry object's type
    let path = dir.path().join("system.journal");
    std::fs::write(&path, &bytes).unwrap();
    let (code, doc) = logs_json(&[path.as_os_str()]);
    assert_eq!(code, 1, "a damaged file is not read completely");
    let src = &doc["sources"][0];
    assert_eq!(src["events"], 146);
    assert_eq!(src["unparsed"], 1);
    let want = format!("offset {victim} (0x{victim:x}): not an entry object (type 0)");
    let notes = src["notes"].to_string();
    assert!(notes.contains(&want), "{notes}");
    assert!(src["error"].as_str().unwrap().contains(&want), "{src}");
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "log_unreadable")
    );
    // The attack is still found around the damaged entry.
    assert!(attack_findings(&doc).len() >= 4, "{doc}");
}

#[test]
fn a_truncated_journal_reads_up_to_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = fixture("regular.journal");
    let offsets = entry_offsets(&bytes);
    // Cut inside entry 100: the arrays after it and every later object go.
    let cut = offsets[99] as usize + 20;
    let path = dir.path().join("system.journal");
    std::fs::write(&path, &bytes[..cut]).unwrap();
    let (code, doc) = logs_json(&[path.as_os_str()]);
    assert_eq!(code, 1);
    let src = &doc["sources"][0];
    let notes = src["notes"].to_string();
    assert!(
        notes.contains(&format!("offset {cut} (0x{cut:x}): the file is cut short")),
        "{notes}"
    );
    // Entries before the cut whose arrays survived are read; nothing past it.
    let events = src["events"].as_u64().unwrap();
    assert!((1..=100).contains(&events), "{events}");
}

#[test]
fn a_broken_array_chain_is_recovered_by_scanning_objects() {
    let mut bytes = fixture("system.journal");
    let head = u64::from_le_bytes(bytes[176..184].try_into().unwrap());
    // The first entry array's type byte: the chain cannot be followed.
    bytes[head as usize] = 0x55;
    let mut out = Vec::new();
    let mut stats = RecordStats::default();
    journal::read_bytes(&bytes, 0, &mut out, &mut stats);
    assert_eq!(out.len(), 146, "{:?}", stats.notes);
    let notes = stats.notes.join("\n");
    assert!(
        notes.contains(&format!("offset {head} (0x{head:x})")),
        "{notes}"
    );
    assert!(
        notes.contains("146 entries were found by scanning"),
        "{notes}"
    );
    assert!(stats.error.is_some());
}

#[test]
fn hostile_bytes_never_panic() {
    let clean = fixture("regular.journal");
    let offsets = entry_offsets(&clean);
    let start = offsets[0] as usize - 4096;
    let end = (*offsets.last().unwrap() as usize + 4096).min(clean.len());
    // A deterministic stream of positions and values (xorshift).
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..300 {
        let mut b = clean.clone();
        for _ in 0..(1 + round % 40) {
            let at = start + (next() as usize) % (end - start);
            b[at] = next() as u8;
        }
        if round % 7 == 0 {
            // A field of the header (sizes, offsets, counts).
            let at = 88 + (next() as usize % 14) * 8;
            b[at..at + 8].copy_from_slice(&next().to_le_bytes());
        }
        if round % 11 == 0 {
            b.truncate(start + (next() as usize) % (end - start));
        }
        let mut out = Vec::new();
        let mut stats = RecordStats::default();
        journal::read_bytes(&b, 0, &mut out, &mut stats);
        for e in &out {
            let _ = e.summary();
        }
    }
}

#[test]
fn archived_and_volatile_journals_in_a_folder_and_an_evidence_archive() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let id = "3d1219c7c4c5404aaa1f6d2a48adfda4";
    let persistent = root.join("var/log/journal").join(id);
    let volatile = root.join("run/log/journal").join(id);
    std::fs::create_dir_all(&persistent).unwrap();
    std::fs::create_dir_all(&volatile).unwrap();
    std::fs::write(persistent.join("system.journal"), fixture("system.journal")).unwrap();
    // An archived copy: the name journald gives on rotation, state 2.
    let mut archived = fixture("regular.journal");
    archived[16] = 2;
    let archived_name =
        "system@f4c1b91a0ed74bd8a4d06e83620b126f-0000000000000001-0006442c01efb380.journal~";
    std::fs::write(persistent.join(archived_name), &archived).unwrap();
    std::fs::write(
        volatile.join("user-1000.journal"),
        fixture("system.journal"),
    )
    .unwrap();

    let check = |doc: &Value| {
        let sources = doc["sources"].as_array().unwrap();
        assert_eq!(sources.len(), 3, "{doc}");
        for s in sources {
            assert_eq!(s["parser"], "journal", "{s}");
            assert_eq!(s["events"], 146, "{s}");
        }
        let archived = sources
            .iter()
            .find(|s| s["path"].as_str().unwrap().ends_with(".journal~"))
            .unwrap();
        assert!(
            archived["notes"][0]
                .as_str()
                .unwrap()
                .contains("state archived"),
            "{archived}"
        );
        let f = attack_findings(doc);
        assert!(
            f.iter()
                .any(|f| f.0 == "success_after_failures" && f.2.contains("203.0.113.7"))
        );
    };
    let (code, doc) = logs_json(&[root.as_os_str()]);
    assert_eq!(code, 0, "{doc}");
    check(&doc);

    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    exhibit()
        .args(["capture", "-q", "--root"])
        .arg(&root)
        .arg("-o")
        .arg(&out)
        .args(["--case", "J1", "--examiner", "Tester"])
        .assert()
        .success();
    let archive = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "zip"))
        .unwrap();
    let (code, doc) = logs_json(&[archive.as_os_str()]);
    assert_eq!(code, 0, "{doc}");
    check(&doc);
    let paths: BTreeSet<&str> = doc["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(format!("/run/log/journal/{id}/user-1000.journal").as_str()),
        "{paths:?}"
    );
    assert!(
        paths.contains(format!("/var/log/journal/{id}/{archived_name}").as_str()),
        "{paths:?}"
    );
}

/// An export stream with more variety than the fixtures: many entries (so
/// the entry-array chain has several links), large fields (compressed),
/// binary values, many fields per entry, two boots.
fn stream(n: usize) -> Vec<u8> {
    let mut s = Vec::new();
    let boots = [
        "11111111111111111111111111111111",
        "22222222222222222222222222222222",
    ];
    for i in 0..n {
        let boot = boots[usize::from(i >= n / 2)];
        let t = 1_763_805_600_000_000u64 + i as u64 * 1_234_567;
        s.extend(
            format!(
                "__REALTIME_TIMESTAMP={t}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID={boot}\n_HOSTNAME=host{}\n",
                1_000_000 + i,
                i % 3
            )
            .as_bytes(),
        );
        let ident = if i % 10 >= 2 {
            "sshd".to_string()
        } else {
            format!("prog{}", i % 5)
        };
        s.extend(format!("SYSLOG_IDENTIFIER={ident}\n_PID={}\n", 100 + i).as_bytes());
        for k in 0..(i % 9) {
            s.extend(format!("FIELD_{k}=value {k} of entry {}\n", i % 17).as_bytes());
        }
        match i % 10 {
            0 => s.extend(format!("MESSAGE={}\n", "long message ".repeat(60 + i % 50)).as_bytes()),
            1 => {
                let v = format!("multi\nline\x01 {i}");
                s.extend(b"MESSAGE\n");
                s.extend((v.len() as u64).to_le_bytes());
                s.extend(v.as_bytes());
                s.push(b'\n');
            }
            _ => s.extend(
                format!(
                    "MESSAGE=Failed password for user{} from 198.51.100.{} port {} ssh2\n",
                    i % 7,
                    i % 5,
                    40000 + i
                )
                .as_bytes(),
            ),
        }
        s.push(b'\n');
    }
    s
}

#[test]
fn a_fresh_journal_from_systemd_journal_remote_matches_journalctl() {
    if !Path::new(REMOTE).exists() {
        eprintln!("{REMOTE} not found: only the committed fixtures are checked");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let export = stream(1500);
    let src = dir.path().join("in.export");
    std::fs::write(&src, &export).unwrap();
    for (name, compact) in [("compact.journal", "1"), ("regular.journal", "0")] {
        let out = dir.path().join(name);
        let st = std::process::Command::new(REMOTE)
            .env("SYSTEMD_JOURNAL_COMPACT", compact)
            .arg("-o")
            .arg(&out)
            .arg(&src)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        let bytes = std::fs::read(&out).unwrap();
        let ours = read_entries(&bytes);
        assert_eq!(ours.len(), 1500);
        assert_eq!(ours, reference(&export), "{name} against its input");
        if let Some(theirs) = journalctl_export(&out) {
            assert_eq!(ours, reference(&theirs), "{name} against journalctl");
        }
        let (code, doc) = logs_json(&[out.as_os_str()]);
        assert_eq!(code, 0, "{doc}");
        assert_eq!(doc["sources"][0]["events"], 1500);
        assert!(
            doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule"] == "ssh_bruteforce")
        );
    }
}

#[test]
fn lz4_and_xz_fields_decompress_like_zstd_ones() {
    // systemd 252 on Debian writes Zstd only; the other two algorithms are
    // checked on payloads compressed by independent encoders.
    let text = b"MESSAGE="
        .iter()
        .chain(b"x".repeat(3000).iter())
        .copied()
        .collect::<Vec<u8>>();
    let mut lz4 = (text.len() as u64).to_le_bytes().to_vec();
    lz4.extend(lz4_flex::block::compress(&text));
    let mut out = Vec::new();
    journal::file::decompress(2, &lz4, &mut out, 1 << 20).unwrap();
    assert_eq!(out, text);
    // A size claim beyond the limit is refused before anything is allocated.
    let mut huge = u64::MAX.to_le_bytes().to_vec();
    huge.extend(&lz4[8..]);
    assert!(journal::file::decompress(2, &huge, &mut out, 1 << 20).is_err());
    // XZ from the `xz` tool, when present.
    let xz = std::process::Command::new("xz")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(&text)?;
            c.wait_with_output()
        });
    if let Ok(o) = xz {
        out.clear();
        journal::file::decompress(1, &o.stdout, &mut out, 1 << 20).unwrap();
        assert_eq!(out, text);
        out.clear();
        assert!(journal::file::decompress(1, &o.stdout, &mut out, 100).is_err());
    }
}
