//! Tests of `exhibit investigate`: the scenarios of [`util::scenario`]
//! (SSH brute force, web shell, rewritten log) written as host trees, read
//! as folders and as archives captured with the real binary, and the
//! answers, credentials, gaps and CSV checked against what the scenario
//! did. The planted database password must appear in no output.

use crate::util::scenario::{self, DB_PASSWORD, EVIL_FP, SSH_IP, WEB_IP};
use crate::util::{exhibit, write};
use serde_json::Value;
use std::path::Path;

/// Run `exhibit investigate ARGS --json -q`: (exit code, document, stdout, stderr).
fn investigate_json(args: &[&Path], extra: &[&str]) -> (i32, Value, String, String) {
    let out = exhibit()
        .arg("investigate")
        .args(args)
        .args(extra)
        .args(["--json", "-q"])
        .output()
        .expect("run exhibit investigate");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), doc, stdout, stderr)
}

fn human(args: &[&Path]) -> (i32, String) {
    let out = exhibit()
        .arg("investigate")
        .args(args)
        .arg("-q")
        .output()
        .expect("run exhibit investigate");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn s(v: &Value) -> String {
    v.to_string()
}

fn credential<'a>(doc: &'a Value, kind: &str, subject_has: &str) -> Option<&'a Value> {
    doc["credentials"].as_array()?.iter().find(|c| {
        c["kind"] == kind
            && c["subject"]
                .as_str()
                .is_some_and(|x| x.contains(subject_has))
    })
}

/// What every SSH scenario run must say, folders or archives.
fn check_ssh(doc: &Value, raw: &str) {
    let how = &doc["answers"]["how"];
    let how_s = how["summary"].as_str().unwrap_or("");
    assert!(how_s.contains("SSH password of deploy"), "{how_s}");
    assert!(how_s.contains(SSH_IP), "{how_s}");
    assert!(how_s.contains("40 failures"), "{how_s}");
    assert!(how_s.contains("2026-03-10 08:05:00"), "{how_s}");
    assert!(
        how_s.contains("sudo"),
        "privilege escalation named: {how_s}"
    );
    assert_eq!(how["confidence"], "high");
    // The first trace is the accepted login line of auth.log.
    let ev = how["evidence"].as_array().unwrap();
    assert!(
        ev.iter().any(|e| e["path"] == "/var/log/auth.log"
            && e["text"]
                .as_str()
                .unwrap()
                .contains("Accepted password for deploy")
            && e["line"].as_u64().is_some()),
        "{}",
        s(&how["evidence"])
    );
    let when = doc["answers"]["when"]["summary"].as_str().unwrap();
    assert!(
        when.contains("First attacker activity at 2026-03-10 08:00:00"),
        "{when}"
    );
    assert!(
        when.contains("last at 2026-03-10 08:19:00"),
        "history emptied last: {when}"
    );
    let taken = s(&doc["answers"]["taken"]);
    assert!(taken.contains("/tmp/.x.tgz"), "{taken}");
    assert!(taken.contains("/srv/app/exports"), "{taken}");
    let first = doc["answers"]["first_access"]["summary"].as_str().unwrap();
    assert!(first.contains("2026-03-10 08:15:00"), "{first}");
    // Who: the address first, then the account.
    let actors = doc["actors"].as_array().unwrap();
    assert_eq!(actors[0]["value"], SSH_IP, "{}", s(&doc["actors"]));
    assert!(
        actors
            .iter()
            .any(|a| a["kind"] == "account" && a["value"] == "deploy")
    );
    assert!(
        actors
            .iter()
            .any(|a| a["kind"] == "key" && a["value"].as_str().unwrap().contains(EVIL_FP))
    );
    // Left behind: the account, the key, the cron job.
    let left = s(&doc["answers"]["left_behind"]);
    assert!(left.contains("backup2"), "{left}");
    assert!(
        left.contains("/home/backup2/.ssh/authorized_keys"),
        "{left}"
    );
    assert!(left.contains("/etc/cron.d/backup2"), "{left}");
    // Erased: root's history.
    let erased = s(&doc["answers"]["erased"]);
    assert!(erased.contains("/root/.bash_history"), "{erased}");
    // Credentials: deploy (logged in from the attacker), backup2 (created),
    // the added key, DB_PASSWORD named without its value.
    let deploy = credential(doc, "account", "deploy").expect("deploy");
    assert_eq!(deploy["priority"], "high");
    assert!(
        credential(doc, "account", "backup2").is_some(),
        "{}",
        s(&doc["credentials"])
    );
    let key = credential(doc, "ssh_key", EVIL_FP).expect("added key");
    assert!(key["subject"].as_str().unwrap().contains("evil@attacker"));
    assert_eq!(key["priority"], "high");
    assert!(credential(doc, "secret", "/srv/app/.env: DB_PASSWORD").is_some());
    assert!(
        credential(doc, "password_hash", "deploy").is_some(),
        "root access: hashes readable"
    );
    // Root cause from sshd_config.
    let rc = s(&doc["root_causes"]);
    assert!(
        rc.contains("Password authentication enabled for SSH"),
        "{rc}"
    );
    assert!(rc.contains("PasswordAuthentication"), "{rc}");
    // Timeline phases in order.
    let phases: Vec<&str> = doc["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["phase"].as_str().unwrap())
        .collect();
    let pos = |p: &str| {
        phases
            .iter()
            .position(|x| *x == p)
            .unwrap_or_else(|| panic!("{p} in {phases:?}"))
    };
    assert!(
        pos("recon") < pos("access")
            && pos("access") < pos("privilege")
            && pos("privilege") < pos("data"),
        "{phases:?}"
    );
    assert!(
        !raw.contains(DB_PASSWORD),
        "the secret leaked into the output"
    );
}

#[test]
fn ssh_bruteforce_from_folders() {
    let t = tempfile::tempdir().unwrap();
    let tr = scenario::ssh_bruteforce(t.path());
    let csv = t.path().join("creds.csv");
    let (code, doc, raw, err) = investigate_json(
        &[&tr.baseline, &tr.incident],
        &["--credentials-csv", csv.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    check_ssh(&doc, &raw);
    assert_eq!(doc["evidence"][0]["role"], "baseline");
    assert_eq!(doc["evidence"][1]["role"], "incident");
    assert_eq!(doc["evidence"][1]["host"], "web01");
    // Folders have no capture time: the gap says so.
    assert!(
        s(&doc["gaps"]).contains("no capture time"),
        "{}",
        s(&doc["gaps"])
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.starts_with("kind,subject,host,priority,reason,evidence\n"),
        "{text}"
    );
    assert!(text.contains("/srv/app/.env: DB_PASSWORD"), "{text}");
    assert!(text.contains(EVIL_FP), "{text}");
    assert!(!text.contains(DB_PASSWORD));
    // Human output: headings, the vector, credentials, gaps; no secret.
    let (code, out) = human(&[&tr.baseline, &tr.incident]);
    assert_eq!(code, 0);
    assert!(out.contains("HOW did the attacker get in? [high]"), "{out}");
    assert!(
        out.contains("SSH password of deploy guessed by 203.0.113.7"),
        "{out}"
    );
    assert!(out.contains("CREDENTIALS to rotate"), "{out}");
    assert!(out.contains("GAPS"), "{out}");
    assert!(!out.contains(DB_PASSWORD));
}

#[test]
fn ssh_bruteforce_from_archives() {
    let t = tempfile::tempdir().unwrap();
    let tr = scenario::ssh_bruteforce(t.path());
    let out = t.path().join("archives");
    let base = scenario::capture_tree(&tr.baseline, &out);
    let inc = scenario::capture_tree(&tr.incident, &out);
    // Given out of order: the capture times put the baseline first.
    let (code, doc, raw, err) = investigate_json(&[&inc, &base], &[]);
    assert_eq!(code, 0, "{err}");
    check_ssh(&doc, &raw);
    let ev = doc["evidence"].as_array().unwrap();
    assert_eq!(ev[0]["path"], base.display().to_string());
    assert_eq!(ev[0]["role"], "baseline");
    assert_eq!(ev[1]["role"], "incident");
    assert_eq!(ev[1]["kind"], "archive");
    assert!(ev[1]["captured_at"].is_string());
    // The exposure runs to the incident's capture.
    let exp = doc["answers"]["exposure"]["summary"].as_str().unwrap();
    assert!(exp.starts_with("From 2026-03-10 08:00:00 UTC to "), "{exp}");
    assert!(exp.contains("(capture)"), "{exp}");
    // Evidence points into the archive.
    let how = &doc["answers"]["how"]["evidence"];
    assert!(
        how.as_array()
            .unwrap()
            .iter()
            .any(|e| e["snapshot"] == inc.display().to_string()),
        "{}",
        s(how)
    );
}

#[test]
fn web_shell_upload_use_and_download() {
    let t = tempfile::tempdir().unwrap();
    let tr = scenario::web_shell(t.path());
    let (code, doc, raw, err) = investigate_json(&[&tr.baseline, &tr.incident], &[]);
    assert_eq!(code, 0, "{err}");
    let how = doc["answers"]["how"]["summary"].as_str().unwrap();
    assert!(how.contains("web shell"), "{how}");
    assert!(how.contains("/uploads/img.php"), "{how}");
    assert!(how.contains("uploaded"), "{how}");
    assert!(how.contains(WEB_IP), "{how}");
    let details = s(&doc["answers"]["how"]["details"]);
    assert!(details.contains("POST /upload.php"), "{details}");
    assert!(
        details.contains("/var/www/html/uploads/img.php"),
        "{details}"
    );
    let taken = s(&doc["answers"]["taken"]);
    assert!(
        taken.contains("/srv/app/.env read through the web shell"),
        "{taken}"
    );
    assert!(taken.contains("/exports/clients.csv"), "{taken}");
    assert!(
        taken.contains("/srv/app/exports/clients.csv"),
        "mapped onto the file: {taken}"
    );
    let when = doc["answers"]["when"]["summary"].as_str().unwrap();
    assert!(when.contains("2026-03-10 09:00:00"), "{when}");
    assert!(when.contains("2026-03-10 09:10:00"), "{when}");
    assert_eq!(doc["actors"][0]["value"], WEB_IP);
    // The secret read through the shell: high priority, named not shown.
    let c = credential(&doc, "secret", "/srv/app/.env: DB_PASSWORD").expect("secret");
    assert_eq!(c["priority"], "high");
    assert!(credential(&doc, "secret", "APP_NAME").is_none());
    let rc = s(&doc["root_causes"]);
    assert!(
        rc.contains("PHP execution allowed in the uploads directory"),
        "{rc}"
    );
    assert!(rc.contains("Data exports reachable from the web"), "{rc}");
    let left = s(&doc["answers"]["left_behind"]);
    assert!(left.contains("/var/www/html/uploads/img.php"), "{left}");
    assert!(!raw.contains(DB_PASSWORD));
    // The hostile user agent is inert in JSON and in text.
    assert!(!raw.contains('\u{1b}'));
    let (_, out) = human(&[&tr.baseline, &tr.incident]);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'));
    assert!(!out.contains(DB_PASSWORD));
}

#[test]
fn web_shell_from_archives() {
    let t = tempfile::tempdir().unwrap();
    let tr = scenario::web_shell(t.path());
    let out = t.path().join("archives");
    let base = scenario::capture_tree(&tr.baseline, &out);
    let inc = scenario::capture_tree(&tr.incident, &out);
    let (code, doc, raw, err) = investigate_json(&[&base, &inc], &[]);
    assert_eq!(code, 0, "{err}");
    let how = doc["answers"]["how"]["summary"].as_str().unwrap();
    assert!(
        how.contains("web shell") && how.contains("/uploads/img.php"),
        "{how}"
    );
    assert!(credential(&doc, "secret", "/srv/app/.env: DB_PASSWORD").is_some());
    assert!(!raw.contains(DB_PASSWORD));
}

#[test]
fn rewritten_auth_log_is_a_gap() {
    let t = tempfile::tempdir().unwrap();
    let tr = scenario::rewritten_log(t.path());
    let out = t.path().join("archives");
    let base = scenario::capture_tree(&tr.baseline, &out);
    let inc = scenario::capture_tree(&tr.incident, &out);
    let (code, doc, _, err) = investigate_json(&[&base, &inc], &[]);
    assert_eq!(code, 0, "{err}");
    let gaps = s(&doc["gaps"]);
    assert!(gaps.contains("/var/log/auth.log was rewritten"), "{gaps}");
    assert!(gaps.contains("now starts at 2026-03-10 10:00:00"), "{gaps}");
    assert!(gaps.contains("from 2026-03-01 09:00:00"), "{gaps}");
    let erased = s(&doc["answers"]["erased"]);
    assert!(erased.contains("/var/log/auth.log"), "{erased}");
    // The login is gone from the logs: no SSH vector is claimed...
    let how = doc["answers"]["how"]["summary"].as_str().unwrap();
    assert!(!how.contains("SSH password"), "{how}");
    assert!(s(&doc["answers"]["how"]["details"]).contains("may have been erased"));
    // ...but what the files show is still there.
    let left = s(&doc["answers"]["left_behind"]);
    assert!(left.contains("/etc/cron.d/backup2"), "{left}");
    assert!(credential(&doc, "ssh_key", EVIL_FP).is_some());
}

#[test]
fn one_snapshot_has_no_baseline() {
    let t = tempfile::tempdir().unwrap();
    let tr = scenario::ssh_bruteforce(t.path());
    let (code, doc, raw, err) = investigate_json(&[&tr.incident], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(doc["evidence"][0]["role"], "only");
    assert!(
        s(&doc["gaps"]).contains("Only one snapshot of web01"),
        "{}",
        s(&doc["gaps"])
    );
    // The logs still tell the vector.
    let how = doc["answers"]["how"]["summary"].as_str().unwrap();
    assert!(how.contains("SSH password of deploy"), "{how}");
    assert!(credential(&doc, "account", "deploy").is_some());
    assert!(!raw.contains(DB_PASSWORD));
}

#[test]
fn no_web_logs_is_a_gap_and_bad_input_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("host");
    write(&root, "etc/hostname", b"db01\n");
    write(&root, "etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n");
    let (code, doc, _, err) = investigate_json(&[&root], &[]);
    assert_eq!(code, 0, "{err}");
    let gaps = s(&doc["gaps"]);
    assert!(gaps.contains("No web server logs"), "{gaps}");
    assert!(gaps.contains("No authentication logs"), "{gaps}");
    // The detections that had nothing to read are named (from what each
    // declares it reads).
    assert!(
        gaps.contains("web_shell") && gaps.contains("ssh_bruteforce"),
        "{gaps}"
    );
    assert_eq!(doc["answers"]["how"]["confidence"], "none");
    assert_eq!(doc["confidence"], "none");
    // Missing evidence: a clear error naming the path, exit 2.
    let missing = t.path().join("nope.zip");
    let out = exhibit().arg("investigate").arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.zip"));
    // Bad options: clear errors, exit 2.
    let out = exhibit()
        .arg("investigate")
        .arg(&root)
        .args(["--leak-format", "xls", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown --leak-format"));
    let out = exhibit()
        .arg("investigate")
        .arg(&root)
        .args(["--tz-offset", "+02:00", "-q", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // A leak sample that cannot be validated is a note, not a failure.
    let sample = t.path().join("sample.csv");
    write(t.path(), "sample.csv", b"email\nclient1@example.com\n");
    let (code, doc, _, err) = investigate_json(&[&root], &["--leak", sample.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(doc["leak"].is_null() || doc["leak"].is_object());
    if doc["leak"].is_null() {
        assert!(
            s(&doc["notes"]).contains("leak validation failed"),
            "{}",
            s(&doc["notes"])
        );
    }
}

#[test]
fn exploited_endpoint_in_one_snapshot() {
    let t = tempfile::tempdir().unwrap();
    let root = scenario::sql_injection(t.path());
    let (code, doc, raw, err) = investigate_json(&[&root], &[]);
    assert_eq!(code, 0, "{err}");
    let how = &doc["answers"]["how"];
    let summary = how["summary"].as_str().unwrap();
    assert!(summary.contains("vulnerable endpoint"), "{summary}");
    assert!(summary.contains("/product.php"), "{summary}");
    assert!(summary.contains(WEB_IP), "{summary}");
    assert!(summary.contains("2026-03-11 14:03:00"), "{summary}");
    assert_eq!(how["confidence"], "medium");
    assert!(s(&doc["root_causes"]).contains("A vulnerable endpoint: /product.php"));
    assert_eq!(doc["actors"][0]["value"], WEB_IP);
    assert!(!raw.contains(DB_PASSWORD));
}

/// The whole case, as the "done" asks: a baseline and an incident
/// snapshot captured with the real binary, and a sample the attacker
/// published (renamed columns, five rows made up). The investigation says
/// the leak is genuine with made-up rows, where the rows come from and who
/// took them; the report a lawyer reads says the same, with the archives'
/// hashes, and neither prints the customers' addresses or the password.
#[test]
fn a_case_with_a_leaked_sample_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let trees = scenario::web_shell(dir.path());
    let out = dir.path().join("evidence");
    std::fs::create_dir_all(&out).unwrap();
    let base = scenario::capture_tree(&trees.baseline, &out.join("base"));
    let inc = scenario::capture_tree(&trees.incident, &out.join("inc"));
    // The published sample: JSON Lines, keys renamed, no id, 30 real rows
    // then 5 invented ones.
    let mut sample = String::new();
    for i in 1..=30 {
        sample += &format!(
            "{{\"full_name\":\"Client {i}\",\"mail\":\"CLIENT{i}@EXAMPLE.COM\",\"tel\":\"(555) 01{i:02}\"}}\n"
        );
    }
    for i in 1..=5 {
        sample += &format!(
            "{{\"full_name\":\"Invented {i}\",\"mail\":\"nobody{i}@example.org\",\"tel\":\"555-99{i:02}\"}}\n"
        );
    }
    let leak = dir.path().join("dump.jsonl");
    write(dir.path(), "dump.jsonl", sample.as_bytes());

    let (code, doc, raw, err) =
        investigate_json(&[&base, &inc], &["--leak", leak.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let l = &doc["leak"];
    assert_eq!(l["verdict"], "genuine_with_fabricated_rows", "{}", s(l));
    assert_eq!(l["rows"], 35);
    assert_eq!(l["fabricated"], serde_json::json!([31, 32, 33, 34, 35]));
    let src = l["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["path"] == "/srv/app/exports/clients.csv")
        .unwrap_or_else(|| panic!("the export is the source: {}", s(&l["sources"])));
    assert_eq!(src["matched_rows"], 30);
    assert!(
        src["accessed_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["ip"] == WEB_IP),
        "{}",
        s(&src["accessed_by"])
    );
    let taken = s(&doc["answers"]["taken"]);
    assert!(taken.contains("clients.csv"), "{taken}");
    assert!(s(&doc["answers"]["who"]).contains(WEB_IP));
    assert!(credential(&doc, "secret", "DB_PASSWORD").is_some());
    for secret in [DB_PASSWORD, "client7@example.com", "CLIENT7@EXAMPLE.COM"] {
        assert!(!raw.contains(secret), "{secret} printed");
    }

    // The report: every archive's hash computed now, the verdict, the
    // address, and the post-mortem draft; no personal data, no password.
    let html = dir.path().join("report.html");
    let rep = exhibit()
        .args(["report", "-q", "--leak"])
        .arg(&leak)
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
    for archive in [&base, &inc] {
        let sha = crate::util::sha256_hex(&std::fs::read(archive).unwrap());
        assert!(
            page.contains(&sha),
            "the report names {}",
            archive.display()
        );
    }
    assert!(page.contains(WEB_IP));
    assert!(page.contains("clients.csv"));
    assert!(page.to_lowercase().contains("post-mortem"));
    assert!(page.contains("genuine"), "the verdict is in the report");
    for secret in [DB_PASSWORD, "client7@example.com", "CLIENT7@EXAMPLE.COM"] {
        assert!(!page.contains(secret), "{secret} in the report");
    }
}

#[test]
fn lines_erased_between_two_archives_reach_the_answers() {
    let t = tempfile::tempdir().unwrap();
    let tr = scenario::ssh_bruteforce(t.path());
    let out = t.path().join("archives");
    // The first capture is taken after the break-in: auth.log holds it.
    let first = scenario::capture_tree(&tr.incident, &out.join("a"));
    // Then the intruder deletes every line naming the address, and the log
    // goes on.
    let log = tr.incident.join("var/log/auth.log");
    let mut kept: String = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter(|l| !l.contains(SSH_IP))
        .map(|l| format!("{l}\n"))
        .collect();
    kept += &scenario::syslog(
        "2026-03-10T09:00:00",
        "CRON[900]",
        "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
    );
    write(&tr.incident, "var/log/auth.log", kept.as_bytes());
    scenario::touch(&tr.incident, "var/log/auth.log", "2026-03-10T09:00:00Z");
    let second = scenario::capture_tree(&tr.incident, &out.join("b"));

    // The second capture alone no longer shows the way in...
    let (code, alone, _, err) = investigate_json(&[&second], &[]);
    assert_eq!(code, 0, "{err}");
    let how = alone["answers"]["how"]["summary"].as_str().unwrap();
    assert!(!how.contains(SSH_IP), "{how}");

    // ...both together do: each host's archives are read as one log, the
    // erased lines are named, and the brute force they held is found.
    let (code, doc, _, err) = investigate_json(&[&second, &first], &[]);
    assert_eq!(code, 0, "{err}");
    let erased = s(&doc["answers"]["erased"]);
    assert!(
        erased.contains("line(s) erased from /var/log/auth.log"),
        "{erased}"
    );
    assert!(erased.contains(&format!("mentioning {SSH_IP}")), "{erased}");
    assert!(
        doc["answers"]["erased"]["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["snapshot"] == first.display().to_string()
                && e["text"].as_str().unwrap_or("").contains(SSH_IP)),
        "the erased line's evidence is in the first archive: {erased}"
    );
    let how = doc["answers"]["how"]["summary"].as_str().unwrap();
    assert!(how.contains("SSH password of deploy"), "{how}");
    assert!(how.contains(SSH_IP), "{how}");
    assert!(how.contains("40 failures"), "{how}");
    let findings = s(&doc["findings"]);
    assert!(findings.contains("erased_lines"), "{findings}");
}

/// An encrypted archive nobody unlocked is left out with a note naming it,
/// and the answers come from the rest of the evidence (it used to stop the
/// whole investigation).
#[test]
fn a_locked_archive_is_left_out_with_a_note_not_a_stop() {
    let t = tempfile::tempdir().unwrap();
    let tr = scenario::ssh_bruteforce(t.path());
    let out = t.path().join("archives");
    let base = scenario::capture_tree(&tr.baseline, &out);
    let inc = scenario::capture_tree(&tr.incident, &out);
    let identity = t.path().join("identity.txt");
    let keygen = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&identity)
        .output()
        .expect("age-keygen (scripts/install-test-tools.sh)");
    assert!(keygen.status.success());
    let recipient = std::process::Command::new("age-keygen")
        .arg("-y")
        .arg(&identity)
        .output()
        .unwrap();
    let recipient = String::from_utf8(recipient.stdout).unwrap();
    let locked_dir = t.path().join("locked");
    let status = exhibit()
        .args([
            "capture",
            "--case",
            "IR-9",
            "--examiner",
            "Tess",
            "--encrypt-to",
        ])
        .arg(recipient.trim())
        .arg("-o")
        .arg(&locked_dir)
        .arg("--root")
        .arg(&tr.incident)
        .arg("-q")
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let locked = std::fs::read_dir(&locked_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".zip.age"))
        .expect("the encrypted archive");
    let (code, doc, raw, err) = investigate_json(&[&base, &inc, &locked], &[]);
    assert_eq!(code, 0, "{err}");
    check_ssh(&doc, &raw);
    assert!(
        raw.contains("left out, encrypted and not unlocked") && raw.contains("zip.age"),
        "{raw}"
    );
}
