//! Live response on the machine running the tests: a capture of the running
//! system with a tiny profile must find this test process and a TCP listener
//! it opened, stored as JSON tag files under `exhibit/live/` that the tag
//! manifest covers, and `exhibit show --live` must print them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

use assert_cmd::Command;
use exhibit::archive::Archive;
use sha2::{Digest, Sha256};
use std::net::TcpListener;

#[test]
fn live_response_finds_this_process_and_its_listener() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("note.txt"), "hello\n").unwrap();
    let profile = dir.path().join("tiny.toml");
    std::fs::write(
        &profile,
        format!(
            "name = \"tiny\"\ndescription = \"one test file\"\n[[rule]]\nname = \"note\"\npaths = [\"{}/*.txt\"]\n",
            data.display()
        ),
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let out = Command::cargo_bin("exhibit")
        .unwrap()
        .env("EXHIBIT_PROFILE_DIR", dir.path().join("none"))
        .args(["capture", "--profile"])
        .arg(&profile)
        .arg("-o")
        .arg(&out_dir)
        .args(["--case", "L1", "--examiner", "Test", "--json", "-q"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let path = std::path::PathBuf::from(doc["archive"].as_str().unwrap());
    let a = Archive::open(&path).unwrap();

    // The profile's file was taken.
    let (recs, _) = a.records().unwrap();
    let note = format!("{}/note.txt", data.display());
    assert!(recs.iter().any(|r| r.path == note && r.member.is_some()));

    let read = |name: &str| -> serde_json::Value {
        serde_json::from_slice(
            &a.read_tag(&format!("exhibit/live/{name}"), 1 << 28)
                .unwrap(),
        )
        .unwrap()
    };
    let me = std::process::id() as i64;
    let procs = read("processes.json");
    assert!(procs["collected_at"].as_str().unwrap().ends_with('Z'));
    let mine = procs["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pid"].as_i64() == Some(me))
        .expect("the test process is listed");
    assert!(mine["exe_sha256"].as_str().is_some_and(|h| h.len() == 64));
    assert_eq!(mine["exe_deleted"], false);
    assert!(mine["start_time"].as_str().is_some());
    // The exhibit child is listed as a child of this process.
    assert!(
        procs["processes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["ppid"].as_i64() == Some(me) && p["name"] == "exhibit")
    );

    let socks = read("sockets.json");
    let l = socks["sockets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["protocol"] == "tcp" && s["local_port"].as_u64() == Some(u64::from(port)))
        .expect("the test's listener is listed");
    assert_eq!(l["state"], "LISTEN");
    assert_eq!(l["local_address"], "127.0.0.1");
    assert!(
        l["owners"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["pid"].as_i64() == Some(me)),
        "{l}"
    );

    for name in [
        "system.json",
        "users.json",
        "mounts.json",
        "modules.json",
        "network.json",
        "deleted_files.json",
    ] {
        assert!(read(name)["collected_at"].is_string(), "{name}");
    }
    assert!(
        read("mounts.json")["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["mount_point"] == "/")
    );

    // Covered by the tag manifest, with the right hash.
    let tm = String::from_utf8(a.read_tag("tagmanifest-sha256.txt", 1 << 20).unwrap()).unwrap();
    let raw = a.read_tag("exhibit/live/processes.json", 1 << 28).unwrap();
    let line = format!(
        "{}  exhibit/live/processes.json",
        hex::encode(Sha256::digest(&raw))
    );
    assert!(tm.lines().any(|l| l == line), "{tm}");

    // The archive verifies, and `show --live` prints the listener.
    Command::cargo_bin("exhibit")
        .unwrap()
        .arg("verify")
        .arg(&path)
        .assert()
        .success();
    let shown = Command::cargo_bin("exhibit")
        .unwrap()
        .args(["show", "--live"])
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let shown = String::from_utf8_lossy(&shown);
    assert!(shown.contains(&format!("127.0.0.1:{port}")), "{shown}");
    assert!(shown.contains("LISTEN"));
    drop(listener);
}

#[test]
fn a_plain_path_capture_has_no_live_response() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.txt"), "x").unwrap();
    let out = Command::cargo_bin("exhibit")
        .unwrap()
        .arg("capture")
        .arg(dir.path().join("f.txt"))
        .arg("-o")
        .arg(dir.path().join("out"))
        .args(["--case", "L2", "--examiner", "T", "--json", "-q"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let a = Archive::open(std::path::Path::new(doc["archive"].as_str().unwrap())).unwrap();
    assert!(
        a.index
            .members
            .iter()
            .all(|m| !m.name.contains("/exhibit/live/"))
    );
}

#[test]
fn hashing_a_running_executable_leaves_its_access_time_alone() {
    // Live response hashes every running executable through
    // /proc/<pid>/exe: with O_NOATIME, or the binary's access time becomes
    // the time of the capture (relatime updates a time this old on a read).
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("sleep-copy");
    std::fs::copy("/bin/sleep", &exe).unwrap();
    let mut child = std::process::Command::new(&exe).arg("30").spawn().unwrap();
    // Let exec finish reading the binary, then age its access time.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let old = rustix::fs::Timespec {
        tv_sec: 1_000_000_000,
        tv_nsec: 0,
    };
    rustix::fs::utimensat(
        rustix::fs::CWD,
        &exe,
        &rustix::fs::Timestamps {
            last_access: old,
            last_modification: rustix::fs::Timespec {
                tv_sec: 0,
                tv_nsec: rustix::fs::UTIME_OMIT,
            },
        },
        rustix::fs::AtFlags::empty(),
    )
    .unwrap();
    let scan = exhibit::capture::live::processes::collect(
        std::path::Path::new("/proc"),
        &std::collections::HashMap::new(),
    );
    let atime = std::fs::metadata(&exe).unwrap().atime();
    let _ = child.kill();
    let _ = child.wait();
    let me = scan
        .doc
        .processes
        .iter()
        .find(|p| p.pid == child.id() as i32)
        .expect("the child process is listed");
    let want = hex::encode(Sha256::digest(std::fs::read(&exe).unwrap()));
    assert_eq!(me.exe_sha256.as_deref(), Some(want.as_str()), "{me:?}");
    assert_eq!(atime, 1_000_000_000, "hashing changed the access time");
}
