//! `exhibit diff` of two archives read side by side, holding only the
//! entries the comparison reads, and `exhibit scan` of an archive judged in
//! windows of consecutive entries (issue 19, item 2; the defaults of the
//! CLI), against the same comparison or scan of the whole snapshots
//! (`--whole`, the way the workstation reads them): the JSON must be
//! identical. The trees are
//! generated from a seed, with what the findings and log classes look up
//! around a change (rotation siblings, neighbouring files, accounts, dpkg
//! lists, symlinks, hard links), captured twice with the real binary after
//! random changes. An archive whose records are not in path order is read
//! whole, with the same result.

use crate::util::{archive_path, capture, exhibit, write};
use exhibit::detect::files::{ScanRequest, scan};
use exhibit::examine::{DiffRequest, diff};
use exhibit::job::{CancelToken, NoProgress};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// xorshift64*: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const DIRS: [&str; 6] = [
    "var/www/html",
    "var/www/html/uploads",
    "home/ann",
    "home/bob/.ssh",
    "srv/data/a",
    "srv/data/b",
];

/// A server-like tree: accounts, logs with rotations, a dpkg list, web
/// files, homes, symlinks and hard links, and plenty of files no change
/// will touch.
fn base_tree(root: &Path, rng: &mut Rng) {
    write(
        root,
        "etc/passwd",
        b"root:x:0:0:root:/root:/bin/bash\nann:x:1000:1000::/home/ann:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n",
    );
    write(root, "etc/group", b"root:x:0:\nsudo:x:27:ann\n");
    write(root, "etc/hostname", b"web01\n");
    for log in ["var/log/syslog", "var/log/auth.log", "srv/data/app.log"] {
        let mut text = String::new();
        for i in 0..(5 + rng.below(20)) {
            text.push_str(&format!("Jan 1 00:00:{i:02} web01 app[1]: line {i}\n"));
        }
        write(root, log, text.as_bytes());
        if rng.chance(50) {
            write(
                root,
                &format!("{log}.1"),
                b"Dec 31 23:59:59 web01 app[1]: older\n",
            );
        }
    }
    write(root, "usr/bin/ls", b"\x7fELF ls binary\n");
    write(root, "usr/bin/ps", b"\x7fELF ps binary\n");
    write(
        root,
        "var/lib/dpkg/info/coreutils.list",
        b"/.\n/usr\n/usr/bin\n/usr/bin/ls\n/bin/ls\n/usr/bin/ps\n",
    );
    let md5 = |b: &[u8]| format!("{:x}", md5_of(b));
    write(
        root,
        "var/lib/dpkg/info/coreutils.md5sums",
        format!(
            "{}  usr/bin/ls\n{}  usr/bin/ps\n",
            md5(b"\x7fELF ls binary\n"),
            md5(b"\x7fELF ps binary\n")
        )
        .as_bytes(),
    );
    std::os::unix::fs::symlink("usr/bin", root.join("bin")).expect("symlink /bin");
    for d in DIRS {
        for i in 0..(3 + rng.below(12)) {
            let name = if d.ends_with("html") && i % 3 == 0 {
                format!("{d}/page{i}.php")
            } else {
                format!("{d}/f{i}.txt")
            };
            write(root, &name, format!("{name} {}\n", rng.next()).as_bytes());
        }
    }
    std::os::unix::fs::symlink("/etc/passwd", root.join("home/ann/pw")).expect("symlink");
    std::os::unix::fs::symlink("../b", root.join("srv/data/a/to-b")).expect("symlink");
    std::fs::hard_link(
        root.join("srv/data/a/f0.txt"),
        root.join("srv/data/b/same.txt"),
    )
    .expect("hard link");
}

fn md5_of(b: &[u8]) -> u128 {
    // A tiny MD5 is not worth a dependency here: ask Python.
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import hashlib,sys; print(hashlib.md5(sys.stdin.buffer.read()).hexdigest())",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().expect("stdin").write_all(b)?;
            c.wait_with_output()
        })
        .expect("python3");
    u128::from_str_radix(String::from_utf8_lossy(&out.stdout).trim(), 16).expect("md5 hex")
}

/// Every regular file of the tree, relative, sorted.
fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            let ft = e.file_type().expect("file type");
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() {
                let rel = p.strip_prefix(root).expect("under root");
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// A handful of the changes an incident makes. Most seeds also get the
/// changes whose findings rest on entries that did not change: a packaged
/// binary replaced (its package's lists), a file backdated among files
/// whose times agree (its folder), a log grown beside an old rotation.
fn mutate(root: &Path, rng: &mut Rng) {
    if rng.chance(70) {
        write(
            root,
            "usr/bin/ps",
            format!("\x7fELF trojan {}\n", rng.next()).as_bytes(),
        );
    }
    if rng.chance(70) {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        std::fs::File::options()
            .write(true)
            .open(root.join("srv/data/a/f1.txt"))
            .and_then(|f| {
                f.set_len(0)?;
                f.set_modified(t)
            })
            .expect("backdate");
    }
    if rng.chance(70) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(root.join("var/log/syslog"))
            .expect("syslog");
        writeln!(f, "Jan 2 00:00:00 web01 app[1]: grown").expect("append");
    }
    let n = 1 + rng.below(8);
    for _ in 0..n {
        let all = files(root);
        let pick = all[rng.below(all.len() as u64) as usize].clone();
        let p = root.join(&pick);
        match rng.below(12) {
            0 => write(
                root,
                &pick,
                format!("rewritten {}\n", rng.next()).as_bytes(),
            ),
            1 => {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&p)
                    .expect("open");
                writeln!(f, "Jan 2 00:00:00 web01 app[1]: appended").expect("append");
            }
            2 => {
                // Rotation: the log moves to .1, a fresh one takes its place.
                let _ = std::fs::rename(&p, root.join(format!("{pick}.1")));
                write(root, &pick, b"Jan 2 00:00:00 web01 app[1]: fresh\n");
            }
            3 => std::fs::write(&p, b"").expect("truncate"),
            4 => std::fs::remove_file(&p).expect("remove"),
            5 => {
                let d = DIRS[rng.below(DIRS.len() as u64) as usize];
                write(
                    root,
                    &format!("{d}/new{}.php", rng.below(1000)),
                    b"<?php system($_GET['c']); ?>\n",
                );
            }
            6 => {
                let d = DIRS[rng.below(DIRS.len() as u64) as usize];
                let to = root.join(format!("{d}/moved{}", rng.below(1000)));
                let _ = std::fs::rename(&p, to);
            }
            7 => {
                let mode = [0o4755, 0o777, 0o600, 0o2755][rng.below(4) as usize];
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
            }
            8 => {
                let t = std::time::UNIX_EPOCH
                    + std::time::Duration::from_secs(1_000_000_000 + rng.below(100_000_000));
                std::fs::File::options()
                    .write(true)
                    .open(&p)
                    .and_then(|f| f.set_modified(t))
                    .expect("set mtime");
            }
            9 => {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(root.join("etc/passwd"))
                    .expect("passwd");
                writeln!(f, "x{}:x:0:0::/root:/bin/bash", rng.below(1000)).expect("append");
            }
            10 => write(
                root,
                "usr/bin/ls",
                format!("\x7fELF trojan {}\n", rng.next()).as_bytes(),
            ),
            _ => {
                let link = root.join(format!("srv/data/b/link{}", rng.below(1000)));
                let _ = std::os::unix::fs::symlink(&pick, link);
            }
        }
    }
}

fn capture_to(root: &Path, out: &Path, evidence: &str) -> PathBuf {
    let s = capture(
        &[
            "--root",
            root.to_str().expect("utf-8"),
            "--evidence",
            evidence,
        ],
        out,
    );
    archive_path(&s)
}

/// The JSON document of a comparison, read both ways; the first one's
/// snapshots must be partial when `expect_partial`, and then hold fewer
/// entries than there are (unless most of them are on one side only).
fn both_ways(old: &Path, new: &Path, expect_partial: bool) -> (String, String) {
    compared(old, new, expect_partial, expect_partial)
}

fn compared(old: &Path, new: &Path, expect_partial: bool, fewer: bool) -> (String, String) {
    let run = |stream: bool| {
        let r = diff(
            &DiffRequest {
                old: old.to_path_buf(),
                new: new.to_path_buf(),
                stream,
                ..DiffRequest::default()
            },
            &NoProgress,
            &CancelToken::new(),
        )
        .expect("diff");
        let pair = r.snapshots.as_deref().expect("snapshots kept");
        if stream {
            assert_eq!(pair.0.is_partial(), expect_partial, "streamed: partial");
            if fewer {
                assert!(
                    (pair.0.entries.len() as u64) < pair.0.entry_count(),
                    "the streamed old side holds {} of {} entries",
                    pair.0.entries.len(),
                    pair.0.entry_count()
                );
            }
        } else {
            assert!(!pair.0.is_partial());
        }
        // The JSON, and the HTML report, whose line diffs read content from
        // the snapshots the result keeps.
        let json =
            serde_json::to_string_pretty(&exhibit::report::diff::json(&r, None)).expect("json");
        format!(
            "{json}\n{}",
            exhibit::report::diff::render(&r, "2026-12-04T00:00:00Z")
        )
    };
    (run(true), run(false))
}

#[test]
fn a_streamed_comparison_equals_the_whole_one_on_random_incidents() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for seed in 1..=10u64 {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x1000_0001));
        let root = tmp.path().join(format!("t{seed}"));
        base_tree(&root, &mut rng);
        let a = capture_to(&root, &tmp.path().join(format!("a{seed}")), "E01");
        mutate(&root, &mut rng);
        let b = capture_to(&root, &tmp.path().join(format!("b{seed}")), "E02");
        let (streamed, whole) = both_ways(&a, &b, true);
        assert!(
            streamed == whole,
            "seed {seed}: the streamed comparison differs from the whole one\n--- streamed\n{streamed}\n--- whole\n{whole}"
        );
        let doc: serde_json::Value = serde_json::Deserializer::from_str(&streamed)
            .into_iter()
            .next()
            .and_then(Result::ok)
            .expect("json first");
        assert!(
            !doc["changes"].as_array().expect("changes").is_empty(),
            "seed {seed}: no change to compare"
        );
        // And backwards: what was added is removed.
        let (streamed, whole) = both_ways(&b, &a, true);
        assert!(streamed == whole, "seed {seed}, reversed: differs");
    }
}

/// What `exhibit CMD ARCHIVES… EXTRA` prints, streamed (the default) and
/// with `--whole`.
fn cli_both_ways(cmd: &str, archives: &[&Path], extra: &[&str]) -> (String, String) {
    let run = |whole: bool| {
        let out = exhibit()
            .arg(cmd)
            .args(archives)
            .args(extra)
            .args(whole.then_some("--whole"))
            .output()
            .expect("run exhibit");
        assert!(out.status.code().is_some_and(|c| c < 2), "{cmd} failed");
        String::from_utf8(out.stdout).expect("utf-8")
    };
    (run(false), run(true))
}

#[test]
fn the_cli_streams_by_default_and_prints_what_whole_prints() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng(42);
    let root = tmp.path().join("t");
    base_tree(&root, &mut rng);
    let a = capture_to(&root, &tmp.path().join("a"), "E01");
    mutate(&root, &mut rng);
    write(
        &root,
        "var/www/html/shell.php",
        b"<?php eval($_POST['x']); ?>\n",
    );
    let b = capture_to(&root, &tmp.path().join("b"), "E02");
    for extra in [&["--json"][..], &[][..]] {
        let (streamed, whole) = cli_both_ways("diff", &[&a, &b], extra);
        assert_eq!(streamed, whole, "diff {extra:?}");
        assert!(streamed.contains("shell.php"), "{streamed}");
    }
}

/// The archive with its `files.jsonl` lines reversed (by Python's
/// `zipfile`, which rewrites the whole ZIP).
fn reversed_records(from: &Path, to: &Path) {
    let script = r#"
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        data = zin.read(info.filename)
        if info.filename.endswith("/files.jsonl"):
            lines = [l for l in data.split(b"\n") if l]
            data = b"\n".join(reversed(lines)) + b"\n"
        zout.writestr(info, data)
"#;
    let st = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(from)
        .arg(to)
        .status()
        .expect("python3");
    assert!(st.success(), "python rewrite");
}

#[test]
fn records_out_of_path_order_are_read_whole_with_the_same_result() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng(7);
    let root = tmp.path().join("t");
    base_tree(&root, &mut rng);
    let a = capture_to(&root, &tmp.path().join("a"), "E01");
    mutate(&root, &mut rng);
    let b = capture_to(&root, &tmp.path().join("b"), "E02");
    let b_rev = tmp.path().join("b-reversed.zip");
    reversed_records(&b, &b_rev);
    let (streamed, whole) = both_ways(&a, &b_rev, false);
    assert!(streamed == whole, "reversed records: the two reads differ");
    // The result is the comparison of the records, whatever their order.
    let (in_order, _) = both_ways(&a, &b, true);
    let renamed = streamed.replace(&b_rev.display().to_string(), &b.display().to_string());
    assert!(renamed == in_order, "reversed records give another result");
}

/// The scan's JSON document, of the whole snapshot or in windows of
/// `window` entries.
fn scan_json(archive: &Path, window: Option<usize>) -> String {
    let r = scan(
        &ScanRequest {
            snapshot: archive.to_path_buf(),
            stream: window.is_some(),
            window_entries: window.unwrap_or(0),
            ..ScanRequest::default()
        },
        &NoProgress,
        &CancelToken::new(),
    )
    .expect("scan");
    serde_json::to_string_pretty(&r).expect("json")
}

#[test]
fn a_scan_in_windows_equals_the_whole_scan() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for seed in 1..=6u64 {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d ^ seed.wrapping_mul(0x9e37_79b9));
        let root = tmp.path().join(format!("t{seed}"));
        base_tree(&root, &mut rng);
        mutate(&root, &mut rng);
        // What a scan flags on its own: a setuid copy of a shell, a web
        // shell, an emptied history, a history linked to /dev/null.
        write(&root, "tmp/.x/sh", b"\x7fELF shell\n");
        std::fs::set_permissions(
            root.join("tmp/.x/sh"),
            std::fs::Permissions::from_mode(0o4755),
        )
        .expect("chmod");
        write(
            &root,
            "var/www/html/uploads/c.php",
            b"<?php eval($_POST['x']); ?>\n",
        );
        write(&root, "root/.bash_history", b"");
        std::os::unix::fs::symlink("/dev/null", root.join("home/ann/.bash_history"))
            .expect("symlink");
        let a = capture_to(&root, &tmp.path().join(format!("a{seed}")), "E01");
        let whole = scan_json(&a, None);
        let doc: serde_json::Value = serde_json::from_str(&whole).expect("json");
        assert!(
            doc["findings"].as_array().is_some_and(|f| f.len() >= 3),
            "seed {seed}: the scan found too little to compare: {whole}"
        );
        for window in [1, 2, 7, 40, 1 << 17] {
            let streamed = scan_json(&a, Some(window));
            assert!(
                streamed == whole,
                "seed {seed}, windows of {window}: the scan differs\n--- windows\n{streamed}\n--- whole\n{whole}"
            );
        }
    }
}

#[test]
fn the_scan_cli_judges_in_windows_and_prints_what_whole_prints() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng(99);
    let root = tmp.path().join("t");
    base_tree(&root, &mut rng);
    write(
        &root,
        "var/www/html/uploads/c.php",
        b"<?php eval($_POST['x']); ?>\n",
    );
    let a = capture_to(&root, &tmp.path().join("a"), "E01");
    for extra in [&["--json"][..], &[][..]] {
        let (streamed, whole) = cli_both_ways("scan", &[&a], extra);
        assert_eq!(streamed, whole, "scan {extra:?}");
        assert!(streamed.contains("c.php"), "{streamed}");
    }
}

#[test]
fn a_scan_of_records_out_of_path_order_is_read_whole() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng(5);
    let root = tmp.path().join("t");
    base_tree(&root, &mut rng);
    write(
        &root,
        "var/www/html/uploads/c.php",
        b"<?php eval($_POST['x']); ?>\n",
    );
    let a = capture_to(&root, &tmp.path().join("a"), "E01");
    let rev = tmp.path().join("reversed.zip");
    reversed_records(&a, &rev);
    assert_eq!(scan_json(&rev, Some(3)), scan_json(&rev, None));
    let label = |s: String| s.replace(&rev.display().to_string(), &a.display().to_string());
    assert_eq!(label(scan_json(&rev, Some(3))), scan_json(&a, Some(3)));
}

#[test]
fn captures_of_different_ground_compare_the_same_streamed() {
    // The whole tree, then only two of its folders, then a built-in
    // profile: entries outside the other capture's scope are "not in both
    // captures", which the scope decides from the held entries and the
    // symlinks and homes it looks up.
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng(2026);
    let root = tmp.path().join("t");
    base_tree(&root, &mut rng);
    let all = capture_to(&root, &tmp.path().join("all"), "E01");
    mutate(&root, &mut rng);
    let r = root.to_str().expect("utf-8");
    let mut narrow = Vec::new();
    for (i, args) in [&["/etc", "/srv/data"][..], &["--profile", "system"][..]]
        .iter()
        .enumerate()
    {
        let out = tmp.path().join(format!("n{i}"));
        let mut a = vec!["--root", r, "--evidence", "E02"];
        a.extend_from_slice(args);
        narrow.push(archive_path(&capture(&a, &out)));
    }
    for n in &narrow {
        for (x, y) in [(&all, n), (n, &all)] {
            let (streamed, whole) = compared(x, y, true, false);
            assert!(
                streamed == whole,
                "{} against {}: differs\n--- streamed\n{streamed}\n--- whole\n{whole}",
                x.display(),
                y.display()
            );
            assert!(streamed.contains("\"ground_differs\": true"), "{streamed}");
        }
    }
}
