//! `packaging/ansible/collect.yml` run by Debian's `ansible-playbook`
//! against four real OpenSSH servers on 127.0.0.1 (`util::sshd`), each
//! pointed at its own generated target root with `exhibit_root`: three
//! hosts arrive in the case folder with an archive `exhibit verify`
//! accepts and a custody log holding acquired, sealed, transferred and
//! received; the fourth host's archive is altered after sealing, before it
//! is fetched, and only that host fails.

use crate::util;
use crate::util::sshd::{Sshd, script};
use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn playbook() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/ansible/collect.yml")
}

/// A host's target tree: its own hostname, accounts and a log.
fn target_tree(dir: &Path, name: &str) {
    util::write(dir, "etc/hostname", format!("{name}\n").as_bytes());
    util::write(
        dir,
        "etc/passwd",
        format!("root:x:0:0:root:/root:/bin/sh\n{name}-svc:x:1001:1001::/srv:/bin/sh\n").as_bytes(),
    );
    util::write(
        dir,
        "var/log/auth.log",
        format!("Dec  2 10:00:00 {name} sshd[1]: Accepted publickey for root\n").as_bytes(),
    );
}

fn host_vars(s: &Sshd, root: &Path) -> Value {
    json!({
        "ansible_host": "127.0.0.1",
        "ansible_port": s.port,
        "ansible_user": "root",
        "ansible_ssh_private_key_file": s.client_key,
        "ansible_ssh_common_args": format!(
            "-o UserKnownHostsFile={} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes",
            s.known_hosts.display()
        ),
        "ansible_python_interpreter": "/usr/bin/python3",
        "exhibit_root": root,
    })
}

/// `name : ok=… failed=N …` from the play recap.
fn failed_count(recap: &str, host: &str) -> Option<u32> {
    recap.lines().find_map(|l| {
        let (h, rest) = l.split_once(" : ")?;
        if h.trim() != host {
            return None;
        }
        rest.split_whitespace()
            .find_map(|kv| kv.strip_prefix("failed="))
            .and_then(|n| n.parse().ok())
    })
}

#[test]
fn playbook_collects_every_host_and_fails_only_the_altered_one() {
    let bin = assert_cmd::cargo::cargo_bin("exhibit");
    let work = tempfile::tempdir().unwrap();
    let hosts = ["web1", "web2", "db1", "tampered"];
    let servers: Vec<Sshd> = hosts
        .iter()
        .map(|h| Sshd::start(&format!("fleet-{h}")))
        .collect();
    let mut inv_hosts = serde_json::Map::new();
    for (h, s) in hosts.iter().zip(&servers) {
        let root = work.path().join("targets").join(h);
        target_tree(&root, h);
        let mut vars = host_vars(s, &root);
        vars["exhibit_bin"] = json!(bin);
        if *h == "tampered" {
            // The archive is altered on the host after it was sealed (a
            // host variable: `-e` would override it for every host).
            let wrapper = work.path().join("exhibit-tamper.sh");
            script(
                &wrapper,
                &format!(
                    "#!/bin/sh\n'{}' \"$@\"; rc=$?\nfor f in \"$(dirname \"$0\")\"/out/*.zip; do\n  \
                     python3 -c 'import sys; p=sys.argv[1]; d=bytearray(open(p,\"rb\").read()); d[300]^=1; open(p,\"wb\").write(d)' \"$f\"\n\
                     done\nexit $rc\n",
                    bin.display()
                ),
            );
            vars["exhibit_bin"] = json!(wrapper);
        }
        inv_hosts.insert(h.to_string(), vars);
    }
    let inventory = work.path().join("inventory.yml");
    fs::write(
        &inventory,
        serde_json::to_vec_pretty(&json!({"all": {"hosts": inv_hosts}})).unwrap(),
    )
    .unwrap();
    let cfg = work.path().join("ansible.cfg");
    fs::write(
        &cfg,
        format!(
            "[defaults]\nforks = 8\nretry_files_enabled = False\nlocal_tmp = {lt}\n\
             [ssh_connection]\npipelining = True\ncontrol_path_dir = {cp}\n",
            lt = work.path().join("ansible-local").display(),
            cp = work.path().join("cp").display(),
        ),
    )
    .unwrap();
    let case_dir = work.path().join("case");
    let out = Command::new("ansible-playbook")
        .env("ANSIBLE_CONFIG", &cfg)
        .env("ANSIBLE_NOCOLOR", "1")
        .arg("-i")
        .arg(&inventory)
        .arg(playbook())
        .arg("-e")
        .arg(
            json!({
                "exhibit_controller_bin": bin,
                "exhibit_case": "FLEET-1",
                "exhibit_examiner": "Fleet Examiner",
                "exhibit_case_dir": case_dir,
                "exhibit_profile": "triage",
            })
            .to_string(),
        )
        .output()
        .expect("ansible-playbook must be installed (scripts/install-test-tools.sh)");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // One host failed: the play fails, the others do not.
    assert_eq!(out.status.code(), Some(2), "{log}");
    let recap = log.rsplit("PLAY RECAP").next().unwrap_or_default();
    for h in &hosts[..3] {
        assert_eq!(failed_count(recap, h), Some(0), "{h}: {log}");
    }
    assert_eq!(failed_count(recap, "tampered"), Some(1), "{log}");
    assert!(log.contains("does not match its seal"), "{log}");

    for h in &hosts[..3] {
        let folder = case_dir.join(h);
        let names: Vec<String> = fs::read_dir(&folder)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let zip = names
            .iter()
            .find(|n| n.ends_with(".zip"))
            .unwrap_or_else(|| panic!("{h}: {names:?}"));
        // Named after the host's own tree: exhibit_root reached each host.
        assert!(zip.contains(h), "{zip}");
        let archive = folder.join(zip);
        let (code, report) = util::verify(&archive);
        assert_eq!(code, 0, "{h}: {report:#}");
        let records = util::records(&archive);
        let passwd = util::record(&records, "/etc/passwd");
        assert_eq!(passwd["status"], "captured");
        let content = util::member_content(&archive, passwd["member"].as_str().unwrap());
        assert!(String::from_utf8_lossy(&content).contains(&format!("{h}-svc")));
        let log = archive.with_file_name(zip.replace(".zip", ".custody.jsonl"));
        let actions: Vec<String> = fs::read_to_string(&log)
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["action"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            actions,
            ["acquired", "sealed", "transferred", "received"],
            "{h}"
        );
    }
    // The altered archive arrived, was not accepted, and got no custody events.
    let bad = case_dir.join("tampered");
    let logs: Vec<PathBuf> = fs::read_dir(&bad)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".custody.jsonl"))
        .collect();
    assert_eq!(logs.len(), 1);
    assert_eq!(fs::read_to_string(&logs[0]).unwrap().lines().count(), 2);
    let archive = PathBuf::from(logs[0].to_string_lossy().replace(".custody.jsonl", ".zip"));
    assert_eq!(util::verify(&archive).0, 1);
}
