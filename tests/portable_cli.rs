//! The analyst's round on any system: capture a folder, verify (intact and
//! tampered), custody signed with an OpenSSH key, capture a mounted Linux
//! image (`--root`), compare, read its logs, write the report. These run
//! with cargo's own binary here and, in CI, with the Windows build under
//! Wine (`scripts/windows-tests.sh` sets `EXHIBIT_BIN` to a wrapper), so
//! the Windows `.exe` is proven to do each of these on every push. What
//! they check is read back with tools Exhibit did not write: the `zip`
//! crate, Python's `zipfile`, `ssh-keygen -Y verify`.

use crate::util::custody::{handed_over, keygen, pubkey};
use crate::util::{self, exhibit, scenario};
use serde_json::Value;
use std::path::Path;

fn run_json(args: &[&std::ffi::OsStr]) -> (i32, Value, String) {
    let out = exhibit().args(args).output().expect("run exhibit");
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `custody show --json --trust ALLOWED ARCHIVE` of a handed-over case.
fn custody_show(c: &crate::util::custody::Case) -> (i32, Value, String) {
    run_json(&[
        os("custody"),
        os("show"),
        os("--json"),
        os("--trust"),
        c.allowed.as_os_str(),
        c.archive.as_os_str(),
    ])
}

fn os<S: AsRef<std::ffi::OsStr> + ?Sized>(s: &S) -> &std::ffi::OsStr {
    s.as_ref()
}

#[test]
fn a_folder_is_captured_whole_with_forward_slash_paths_and_verifies() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("evidence");
    // Incompressible (an LCG's high bytes), so it is stored as it is and
    // the tamper below can find it.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let binary: Vec<u8> = (0..70_000)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (x >> 56) as u8
        })
        .collect();
    util::write(&src, "notes.txt", b"first line\nsecond line\n");
    util::write(&src, "bin/tool.bin", &binary);
    util::write(&src, "caf\u{e9}/r\u{e9}sum\u{e9}.txt", b"utf-8 name\n");
    let out = t.path().join("out");
    let summary = util::capture(&[src.to_str().unwrap()], &out);
    // The paths it prints are the ones people type: on Windows without the
    // `\\?\` prefix `std::fs::canonicalize` gives (`Z:\tmp\…`).
    for key in ["archive", "custody_log"] {
        let printed = summary[key].as_str().unwrap();
        assert!(!printed.starts_with(r"\\?\"), "{key}: {printed}");
    }
    let archive = util::archive_path(&summary);
    assert!(archive.exists(), "{}", archive.display());

    // Every file is in the archive, byte for byte, under a logical path
    // with forward slashes (on Windows: `/Z:/…`, the drive first).
    let records = util::records(&archive);
    for (rel, content) in [
        ("evidence/notes.txt", b"first line\nsecond line\n".to_vec()),
        ("evidence/bin/tool.bin", binary.clone()),
        (
            "evidence/caf\u{e9}/r\u{e9}sum\u{e9}.txt",
            b"utf-8 name\n".to_vec(),
        ),
    ] {
        let rec = records
            .iter()
            .find(|r| {
                r["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with(&format!("/{rel}")))
            })
            .unwrap_or_else(|| panic!("no record ending in {rel}: {records:?}"));
        let path = rec["path"].as_str().unwrap();
        assert!(path.starts_with('/') && !path.contains('\\'), "{path}");
        assert_eq!(rec["status"], "captured", "{rec}");
        assert_eq!(rec["sha256"], util::sha256_hex(&content), "{rel}");
        let member = rec["member"].as_str().unwrap();
        assert_eq!(util::member_content(&archive, member), content, "{rel}");
    }

    // What the capturing system cannot know is `null`, never a made-up 0,
    // and the acquisition record says why for each field; a member of a
    // file without a numeric owner carries no uid/gid field. Read with
    // Python's json and zipfile.
    let seen = ids_as_python_reads_them(&archive, t.path());
    let ids = ["dev", "gid", "inode", "nlink", "uid"];
    if util::under_wine() {
        for k in ids {
            assert_eq!(seen["kinds"][k], serde_json::json!(["null"]), "{k}: {seen}");
        }
        for k in ids.iter().chain(&["ctime", "mode"]) {
            assert!(
                seen["unknown"][k].as_str().is_some_and(|r| !r.is_empty()),
                "{k}: {seen}"
            );
        }
        assert_eq!(seen["owner_fields"], 0, "{seen}");
    } else {
        for k in ids {
            assert_eq!(seen["kinds"][k], serde_json::json!(["int"]), "{k}: {seen}");
        }
        assert_eq!(seen["unknown"], serde_json::json!({}), "{seen}");
        assert_eq!(seen["owner_fields"], 3, "{seen}");
    }

    // Python's zipfile reads it and finds every CRC right.
    let (ok, text) = util::tool_status(
        "python3",
        &[
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.testzip())",
            archive.to_str().unwrap(),
        ],
        t.path(),
    );
    assert!(ok && text.trim() == "None", "{text}");

    let (code, report) = util::verify(&archive);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["problems"], serde_json::json!([]), "{report}");

    // One byte changed in the stored content: verify says so and fails.
    let tampered = t.path().join("tampered.zip");
    let mut bytes = std::fs::read(&archive).unwrap();
    let at = bytes
        .windows(64)
        .position(|w| w == &binary[30_000..30_064])
        .expect("tool.bin is stored, not compressed");
    bytes[at] ^= 0x20;
    std::fs::write(&tampered, bytes).unwrap();
    let (code, report) = util::verify(&tampered);
    assert_ne!(code, 0, "{report}");
    assert_eq!(report["ok"], false, "{report}");
    assert!(!util::problem_kinds(&report).is_empty(), "{report}");
}

/// The JSON types Python's `json` finds in the identity fields of every
/// record (`kinds`), the acquisition record's `method.unknown_fields`
/// (`unknown`), and how many payload members carry the Info-ZIP uid/gid
/// extra field (`owner_fields`), as Python's `zipfile` reads them.
fn ids_as_python_reads_them(archive: &Path, dir: &Path) -> Value {
    const SCRIPT: &str = r#"
import json, struct, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
def member(suffix):
    return z.read(next(n for n in z.namelist() if n.endswith(suffix)))
kinds = {}
for line in member("/exhibit/files.jsonl").decode().splitlines():
    r = json.loads(line)
    for k in ("uid", "gid", "inode", "dev", "nlink"):
        kinds.setdefault(k, set()).add("null" if r[k] is None else type(r[k]).__name__)
owner_fields = 0
for i in z.infolist():
    if "/data/" not in i.filename:
        continue
    e = i.extra
    while len(e) >= 4:
        tag, size = struct.unpack("<HH", e[:4])
        owner_fields += tag == 0x7875
        e = e[4 + size:]
unknown = json.loads(member("/exhibit/acquisition.json"))["method"].get("unknown_fields", {})
print(json.dumps({"kinds": {k: sorted(v) for k, v in kinds.items()},
                  "unknown": unknown, "owner_fields": owner_fields}))
"#;
    let out = util::tool("python3", &["-c", SCRIPT, archive.to_str().unwrap()], dir);
    serde_json::from_str(&out).expect("the script prints JSON")
}

#[test]
fn custody_signed_with_an_openssh_key_verifies_with_ssh_keygen() {
    let c = handed_over();
    let (code, doc, err) = custody_show(&c);
    assert_eq!(code, 0, "{err}");
    assert_eq!(doc["events"].as_array().expect("events").len(), 4, "{doc}");
    let sigs = doc["signatures"].as_array().expect("signatures");
    assert_eq!(sigs.len(), 4, "{doc}");
    assert!(sigs.iter().all(|s| s["status"] == "valid"), "{doc}");
    assert_eq!(sigs[3]["signer"], "bob@example.org", "{doc}");

    // The auditor's own tool agrees on the last event, signed by Bob with
    // his passphrase-protected key.
    let last = c.lines().pop().unwrap();
    let cut = last.rfind(",\"signature\":").unwrap();
    let msg = c.path("last.msg");
    let sig = c.path("last.sig");
    std::fs::write(&msg, format!("{}}}", &last[..cut])).unwrap();
    let v: Value = serde_json::from_str(&last).unwrap();
    std::fs::write(&sig, format!("{}\n", v["signature"].as_str().unwrap())).unwrap();
    let o = std::process::Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(&c.allowed)
        .args(["-I", "bob@example.org", "-n", "exhibit-custody", "-s"])
        .arg(&sig)
        .stdin(std::fs::File::open(&msg).unwrap())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // An event added by a new key that the allowed signers do not list is
    // signed but untrusted.
    let eve = keygen(c.dir.path(), "eve", "");
    let add = exhibit()
        .args(["custody", "add"])
        .arg(&c.archive)
        .args(["--action", "opened", "--actor", "Eve", "--sign"])
        .arg(&eve)
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let (code, doc, _) = custody_show(&c);
    assert_ne!(code, 0, "an untrusted signer is not a clean log: {doc}");
    let last = doc["signatures"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["seq"], 5, "{doc}");
    assert_ne!(last["status"], "valid", "{last}");
    assert!(!pubkey(&eve).is_empty());
}

fn archive_of(tree: &Path, out: &Path) -> std::path::PathBuf {
    scenario::capture_tree(tree, out)
}

#[test]
fn a_linux_image_is_captured_compared_its_logs_read_and_reported() {
    let t = tempfile::tempdir().unwrap();
    let tr = scenario::ssh_bruteforce(t.path());
    let out = t.path().join("archives");
    let base = archive_of(&tr.baseline, &out);
    let inc = archive_of(&tr.incident, &out);

    // Logical paths are the image's own, whatever system captured it.
    let records = util::records(&inc);
    util::record(&records, "/etc/cron.d/backup2");
    util::record(&records, "/var/log/auth.log");

    let (code, diff, err) =
        run_json(&[os("diff"), base.as_os_str(), inc.as_os_str(), os("--json")]);
    assert!(code == 0 || code == 1, "{err}");
    let text = diff.to_string();
    assert!(text.contains("/etc/cron.d/backup2"), "{text}");
    assert!(text.contains("/tmp/.x.tgz"), "{text}");

    let (code, logs, err) = run_json(&[os("logs"), inc.as_os_str(), os("--json"), os("-q")]);
    assert!(code == 0 || code == 1, "{err}");
    let findings = logs["findings"].as_array().expect("findings");
    assert!(
        findings
            .iter()
            .any(|f| f.to_string().contains(scenario::SSH_IP)),
        "the brute force's address is in a finding: {logs}"
    );

    let html = t.path().join("report.html");
    let rep = exhibit()
        .args(["report", "-q"])
        .arg(&base)
        .arg(&inc)
        .arg("-o")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(
        rep.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rep.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<html"), "an HTML report");
    assert!(
        page.contains("deploy"),
        "the account the attacker used is named"
    );
    assert!(page.contains("backup2"), "the account created is named");
}

/// A capture by the binary under test (under Wine, the Windows build: no
/// owner ids, inodes, link counts or change times, recorded `null`) is read
/// by every reader: verify, show, the sweep, timeline, stack, the report,
/// and the bodyfile by the Sleuth Kit's `mactime`. Compared with a capture
/// of the same image by this system's library (which knows every field),
/// the unknowns never show as a change, in either direction, and in the
/// library here as in the binary. Natively both captures know everything
/// and the same must hold.
#[test]
fn unknown_fields_are_read_everywhere_and_never_look_changed() {
    let t = tempfile::tempdir().unwrap();
    let tr = scenario::ssh_bruteforce(t.path());
    // Directories to whole seconds too, as the files are: Windows keeps
    // times to 100 ns, so a time between would differ by rounding.
    fn whole_seconds(dir: &Path) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                whole_seconds(&e.path());
            }
        }
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_772_712_000);
        std::fs::File::open(dir)
            .unwrap()
            .set_modified(when)
            .unwrap();
    }
    whole_seconds(&tr.incident);
    let bin = archive_of(&tr.incident, &t.path().join("bin"));
    let lib = util::run_capture(&util::root_request(
        &tr.incident,
        &t.path().join("lib"),
        "CASE-1",
    ));
    let records = util::records(&bin);
    let cron = util::record(&records, "/etc/cron.d/backup2");
    let acquisition: Value = serde_json::from_slice(
        &util::members(&bin)
            .into_iter()
            .find(|(n, _)| n.ends_with("/exhibit/acquisition.json"))
            .expect("acquisition.json")
            .1,
    )
    .unwrap();
    let root = acquisition["method"]["root"].as_str().expect("root");
    assert!(
        !root.starts_with(r"\\?\"),
        "the root as people type it: {root}"
    );
    if util::under_wine() {
        assert!(cron["inode"].is_null() && cron["uid"].is_null(), "{cron}");
        assert!(
            cron.get("user").is_none(),
            "no name for an unknown owner: {cron}"
        );
    } else {
        assert!(cron["inode"].is_u64() && cron["uid"].is_u64(), "{cron}");
    }

    for a in [&bin, &lib] {
        let (code, report) = util::verify(a);
        assert_eq!(code, 0, "{report}");
    }
    for (args, shows) in [
        (vec![os("show"), bin.as_os_str()], "CASE-1"),
        (
            vec![os("show"), os("--sweep"), os("--json"), bin.as_os_str()],
            "unknown_owner",
        ),
        (vec![os("timeline"), bin.as_os_str()], "/etc/cron.d/backup2"),
        (
            vec![os("stack"), os("--json"), bin.as_os_str(), lib.as_os_str()],
            "hosts",
        ),
    ] {
        let out = exhibit().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}: {err}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(shows), "{args:?} shows {shows}: {text}");
    }

    // Either way round, the two captures differ at most in the mode, which
    // Windows derives from the read-only attribute: never in owner, inode
    // or change time, which one side does not know.
    let allowed = |attrs: &Value| {
        attrs
            .as_array()
            .is_none_or(|a| a.iter().all(|x| x == "mode"))
    };
    for (old, new) in [(&lib, &bin), (&bin, &lib), (&bin, &bin)] {
        let (code, diff, err) =
            run_json(&[os("diff"), old.as_os_str(), new.as_os_str(), os("--json")]);
        assert!(code == 0 || code == 1, "{err}");
        let changes = diff["changes"].as_array().expect("changes");
        for c in changes {
            assert!(
                c["change"] == "metadata" && allowed(&c["attributes"]),
                "{c}"
            );
        }
        let open = |a: &Path| {
            let cancel = exhibit::job::CancelToken::new();
            exhibit::snapshot::Snapshot::open(a, &exhibit::job::NoProgress, &cancel).unwrap()
        };
        for c in exhibit::diff::compare(&open(old), &open(new)) {
            let attrs = serde_json::to_value(&c.attributes).unwrap();
            assert!(
                c.change == exhibit::diff::ChangeClass::Metadata && allowed(&attrs),
                "{c:?}"
            );
        }
    }

    let html = t.path().join("report.html");
    let rep = exhibit()
        .args(["report", "-q"])
        .arg(&lib)
        .arg(&bin)
        .arg("-o")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(
        rep.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rep.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains("owner unknown") && !page.contains(":unknown"),
        "no owner change in the report"
    );

    // The Sleuth Kit's mactime keeps every entry of the bodyfile: it drops
    // lines whose inode, uid or gid is not a number, so unknowns are 0 there.
    mactime_keeps_every_record(&bin, &records, t.path());
}

/// The Sleuth Kit's `mactime` reads the archive's bodyfile and keeps a line
/// for every record (it drops lines whose inode, uid or gid is not a
/// number, so unknowns must be 0 there).
fn mactime_keeps_every_record(archive: &Path, records: &[Value], dir: &Path) {
    let body = util::members(archive)
        .into_iter()
        .find(|(n, _)| n.ends_with("/exhibit/bodyfile.txt"))
        .expect("bodyfile")
        .1;
    let body_path = dir.join("bodyfile.txt");
    std::fs::write(&body_path, &body).unwrap();
    let timeline = util::tool(
        "mactime",
        &["-b", body_path.to_str().unwrap(), "-d", "-y"],
        dir,
    );
    for r in records {
        let p = r["path"].as_str().unwrap();
        assert!(
            timeline.contains(&format!(",\"{p}")),
            "mactime lost {p}:\n{timeline}"
        );
    }
}

/// An archive the Windows build captured (tests/data/windows: a small
/// image captured with `--root` under Wine; its records hold `null` for
/// owner ids, inode, device, link count and change time) reads on any
/// system: it verifies, compares with itself and with this system's
/// capture of the same tree without a change, and its bodyfile keeps every
/// entry in the Sleuth Kit's `mactime`.
#[test]
fn an_archive_captured_on_windows_reads_everywhere() {
    let t = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/windows");
    let stem = "WIN-1_E01_winbox_20261203T232659Z";
    for ext in ["zip", "custody.jsonl"] {
        std::fs::copy(
            data.join(format!("{stem}.{ext}")),
            t.path().join(format!("{stem}.{ext}")),
        )
        .unwrap();
    }
    let win = t.path().join(format!("{stem}.zip"));
    let (code, report) = util::verify(&win);
    assert_eq!(code, 0, "{report}");
    let records = util::records(&win);
    assert!(
        records
            .iter()
            .all(|r| r["uid"].is_null() && r["inode"].is_null())
    );

    // The same tree, captured here.
    let tree = t.path().join("tree");
    for (rel, content) in [
        ("etc/hostname", "winbox\n"),
        (
            "etc/passwd",
            "root:x:0:0:root:/root:/bin/bash\ndeploy:x:1000:1000::/home/deploy:/bin/bash\n",
        ),
        ("etc/group", "root:x:0:\ndeploy:x:1000:\n"),
        (
            "var/log/auth.log",
            "Mar  5 12:00:01 winbox sshd[100]: Accepted publickey for deploy from 192.0.2.10 port 50000 ssh2\n",
        ),
        ("srv/data/a.csv", "customer,amount\nacme,10\n"),
    ] {
        util::write(&tree, rel, content.as_bytes());
    }
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_772_712_000);
    for d in ["", "etc", "var", "var/log", "srv", "srv/data"] {
        for e in std::fs::read_dir(tree.join(d)).unwrap().flatten() {
            std::fs::File::open(e.path())
                .unwrap()
                .set_modified(when)
                .unwrap();
        }
    }
    std::fs::File::open(&tree)
        .unwrap()
        .set_modified(when)
        .unwrap();
    let here = util::run_capture(&util::root_request(&tree, &t.path().join("here"), "WIN-1"));
    for (old, new) in [(&win, &win), (&here, &win), (&win, &here)] {
        let (code, diff, err) =
            run_json(&[os("diff"), old.as_os_str(), new.as_os_str(), os("--json")]);
        assert!(code == 0 || code == 1, "{err}");
        // At most the mode, which Windows derives from the read-only
        // attribute (0644, 0755 here): nothing from the unknown fields.
        for c in diff["changes"].as_array().expect("changes") {
            let attrs = c["attributes"].as_array().cloned().unwrap_or_default();
            assert!(
                c["change"] == "metadata" && attrs.iter().all(|a| a == "mode"),
                "{c}"
            );
        }
    }

    mactime_keeps_every_record(&win, &records, t.path());
}

/// A reader that stops early (`exhibit timeline ARCHIVE | head`) ends the
/// run quietly: no panic and nothing on stderr. On Windows (under Wine in
/// CI) there is no SIGPIPE: the closed pipe makes `println!` fail, which
/// `platform::stdout` turns into a quiet exit.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::io::Read as _;
    use std::process::Stdio;
    let t = tempfile::tempdir().unwrap();
    let tree = t.path().join("t");
    std::fs::create_dir_all(&tree).unwrap();
    for i in 0..2000 {
        std::fs::write(tree.join(format!("file-{i:04}.txt")), "x").unwrap();
    }
    let archive = archive_of(&tree, &t.path().join("out"));
    // Megabytes of timeline: far more than a pipe holds.
    let mut child = std::process::Command::new(util::exhibit_path())
        .arg("timeline")
        .arg(&archive)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run exhibit");
    let mut out = child.stdout.take().expect("stdout");
    let mut first = [0u8; 4096];
    out.read_exact(&mut first).expect("the first lines");
    drop(out);
    let done = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&done.stderr);
    assert!(err.trim().is_empty(), "nothing on stderr: {err}");
}
