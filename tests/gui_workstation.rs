//! The workstation driven like a user with egui_kittest: widgets are found by
//! role and label, clicked and typed into, and every assertion reads back
//! what the window shows or what landed on disk. Runs headless under plain
//! `cargo test`.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)]

use crate::util::gui::*;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use exhibit::gui::{ExhibitApp, Settings};
use std::path::Path;

fn harness() -> H {
    app(1400.0, 1600.0, Settings::default())
}

/// On the Capture screen: add `src`, write to `out`, for `case`, examiner
/// Dana Scully.
fn fill_capture_form(h: &mut H, src: &Path, out: &Path, case: &str) {
    click(h, "Capture");
    type_into(h, "Source path", &src.display().to_string());
    click(h, "Add source");
    type_into(h, "Destination folder", &out.display().to_string());
    type_into(h, "Capture case ID", case);
    type_into(h, "Capture examiner", "Dana Scully");
}

/// A small tree to capture: a few text files and a binary one.
fn evidence_tree(dir: &Path) {
    std::fs::create_dir_all(dir.join("etc/ssh")).unwrap();
    std::fs::create_dir_all(dir.join("var/log")).unwrap();
    std::fs::write(dir.join("etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    std::fs::write(dir.join("etc/ssh/sshd_config"), "PermitRootLogin no\n").unwrap();
    std::fs::write(
        dir.join("var/log/auth.log"),
        "Nov 22 10:00:00 host sshd[1]: Accepted password for root\n",
    )
    .unwrap();
    // Incompressible bytes, stored as-is in the archive: easy to tamper with.
    let mut x = 0x1234_5678u32;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(dir.join("var/log/needle.bin"), noise).unwrap();
}

fn sha256_hex(path: &Path) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn create_a_case_from_the_start_screen() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("IR-1");
    let mut h = harness();
    h.step();
    type_into(&mut h, "Case folder", &dir.display().to_string());
    type_into(&mut h, "Case ID", "IR-1");
    type_into(&mut h, "Title", "Defaced web server");
    type_into(&mut h, "Examiner", "Dana Scully");
    click(&mut h, "Create case");
    wait_until(&mut h, "the case to open", |h| {
        shows(h, "Case IR-1 — Defaced web server")
    });
    assert!(shows(&h, "Evidence archives (0)"));
    // What the window says is what is on disk.
    let raw = std::fs::read_to_string(dir.join("case.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(v["case_id"], "IR-1");
    assert_eq!(v["examiner"], "Dana Scully");
    assert_eq!(h.state().settings.recent_cases, vec![dir.clone()]);
    h.check_accessibility();
}

#[test]
fn missing_case_id_is_explained_not_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = harness();
    h.step();
    type_into(
        &mut h,
        "Case folder",
        &tmp.path().join("x").display().to_string(),
    );
    click(&mut h, "Create case");
    assert!(shows(&h, "a case ID is required"));
    assert!(!tmp.path().join("x").exists());
}

#[test]
fn capture_through_the_ui_shows_the_archive_sha256_then_browse_and_filter() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("srv");
    evidence_tree(&src);
    let out = tmp.path().join("out");
    let mut h = harness();
    h.step();
    click(&mut h, "Capture");
    // The collection profiles are listed with their descriptions.
    wait_until(&mut h, "the profiles", |h| {
        h.query_by_label("triage").is_some()
    });
    // A path that does not exist is flagged when added, and can go.
    type_into(
        &mut h,
        "Source path",
        &src.join("no-such-dir").display().to_string(),
    );
    click(&mut h, "Add source");
    assert!(shows(&h, "not found"));
    click(&mut h, "Remove source 1");
    assert!(!shows(&h, "not found"));
    type_into(&mut h, "Source path", &src.display().to_string());
    click(&mut h, "Add source");
    assert!(!shows(&h, "not found"));
    wait_until(&mut h, "the pre-scan estimate", |h| {
        shows(h, "4 files, 4.2 kB")
    });
    type_into(&mut h, "Destination folder", &out.display().to_string());
    type_into(&mut h, "Capture case ID", "IR-2");
    type_into(&mut h, "Capture examiner", "Dana Scully");
    type_into(&mut h, "Purpose", "first look");
    click(&mut h, "Start capture");
    wait_until(&mut h, "the capture to finish", |h| {
        shows(h, "Capture complete")
    });
    // The next capture is E02, and its purpose is asked again.
    assert_eq!(h.state().v::<CaptureView>().evidence_id, "E02");
    assert!(h.state().v::<CaptureView>().purpose.is_empty());
    let archive = h
        .state()
        .v::<CaptureView>()
        .result
        .clone()
        .unwrap()
        .unwrap()
        .archive;
    // The SHA-256 shown is the archive's real SHA-256, computed independently.
    let sha = sha256_hex(&archive);
    let first = &sha[..8];
    let last = &sha[56..];
    assert!(
        shows(&h, &format!("{first} ")),
        "shown hash starts with {first}"
    );
    assert!(
        shows(&h, &format!(" {last}")),
        "shown hash ends with {last}"
    );
    assert!(h.query_by_label("Copy Archive SHA-256").is_some());
    if let Ok(o) = std::process::Command::new("sha256sum")
        .arg(&archive)
        .output()
    {
        assert!(String::from_utf8_lossy(&o.stdout).starts_with(&sha));
    }

    // Open it and find a file by filter.
    click(&mut h, "Open in evidence browser");
    wait_until(&mut h, "the archive to load", |h| {
        shows(h, "of 9 entries") && h.state().v::<BrowserView>().loaded.is_some()
    });
    wait_until(&mut h, "the rows", |h| shows(h, "/etc/passwd"));
    type_into(&mut h, "Filter paths", "needle");
    wait_until(&mut h, "the filter", |h| shows(h, "1 of 9 entries"));
    wait_until(&mut h, "the filtered row", |h| {
        shows(h, "/var/log/needle.bin")
    });
    assert!(!shows(&h, "/etc/passwd"), "filtered-out rows are gone");
    h.check_accessibility();
}

#[test]
fn verify_intact_then_tampered_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("srv");
    evidence_tree(&src);
    let archive = core_capture(&src, &tmp.path().join("out"));
    let mut h = harness();
    h.step();
    click(&mut h, "Verify");
    type_into(&mut h, "Archive to verify", &archive.display().to_string());
    click(&mut h, "Run verification");
    wait_until(&mut h, "the verdict", |h| {
        shows(h, "INTACT") || shows(h, "PROBLEM")
    });
    assert!(shows(&h, "INTACT"), "an untouched archive verifies intact");

    // Flip one byte inside the stored content of needle.bin.
    let noise = std::fs::read(src.join("var/log/needle.bin")).unwrap();
    let mut zip = std::fs::read(&archive).unwrap();
    let at = zip
        .windows(64)
        .position(|w| w == &noise[1000..1064])
        .expect("content stored as-is");
    zip[at] ^= 0xff;
    let tampered = tmp.path().join("tampered.zip");
    std::fs::write(&tampered, zip).unwrap();

    replace_text(&mut h, "Archive to verify", &tampered.display().to_string());
    click(&mut h, "Run verification");
    wait_until(&mut h, "the verdict", |h| {
        shows(h, "INTACT") || shows(h, "PROBLEM")
    });
    assert!(shows(&h, "PROBLEM"), "a tampered archive is not intact");
    assert!(!shows(&h, "INTACT"));
    assert!(shows(&h, "needle.bin"), "the problem names the file");
    assert!(
        shows(&h, "SHA-256 (computed now)") && !shows(&h, "Verified SHA-256"),
        "a failed archive's hash is not called verified"
    );
    assert!(shows(&h, "contents do not match what was sealed"));
    // Naming another archive clears the verdict about this one.
    replace_text(&mut h, "Archive to verify", &archive.display().to_string());
    assert!(!shows(&h, "PROBLEM") && !shows(&h, "INTACT"));
}

/// The verdict says what failed: an edited custody event is the custody
/// log failing (naming the event), an archive swapped under its log does
/// not match its sealed hash.
#[test]
fn the_verdict_names_the_custody_log_or_the_sealed_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("srv");
    evidence_tree(&src);
    let archive = core_capture(&src, &tmp.path().join("a"));
    let log = exhibit::archive::custody_log_path(&archive);
    let mut h = harness();
    h.step();
    click(&mut h, "Verify");
    let run = |h: &mut H| {
        click(h, "Run verification");
        wait_until(h, "the verdict", |h| {
            shows(h, "INTACT") || shows(h, "PROBLEM") || shows(h, "FAILED") || shows(h, "DOES NOT")
        });
    };
    type_into(&mut h, "Archive to verify", &archive.display().to_string());
    run(&mut h);
    assert!(shows(&h, "INTACT"));

    // The first event's examiner edited: the chain breaks at event 2.
    let original = std::fs::read_to_string(&log).unwrap();
    let edited = original.replacen("\"Tess\"", "\"Someone Else\"", 1);
    assert_ne!(edited, original, "the log names the examiner");
    std::fs::write(&log, &edited).unwrap();
    run(&mut h);
    assert!(shows(&h, "CUSTODY LOG FAILED"), "edited event: custody");
    assert!(shows(&h, "event 2"), "the event is named");
    assert!(!shows(&h, "ARCHIVE DOES NOT MATCH"));

    // The log restored, the archive swapped for another capture's.
    std::fs::write(&log, &original).unwrap();
    std::fs::write(src.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    let other = core_capture(&src, &tmp.path().join("b"));
    std::fs::copy(&other, &archive).unwrap();
    run(&mut h);
    assert!(shows(&h, "ARCHIVE DOES NOT MATCH ITS SEALED HASH"));
    assert!(!shows(&h, "CUSTODY LOG FAILED"));
    assert!(shows(&h, "SHA-256 (computed now)"));
}

#[test]
fn custody_chain_add_an_event_and_export_the_form() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("srv");
    evidence_tree(&src);
    let archive = core_capture(&src, &tmp.path().join("out"));
    let log = exhibit::archive::custody_log_path(&archive);
    assert!(log.exists(), "capture starts the custody log");
    let mut h = harness();
    h.step();
    click(&mut h, "Custody");
    type_into(&mut h, "Archive", &archive.display().to_string());
    click(&mut h, "Show chain");
    wait_until(&mut h, "the chain", |h| {
        shows(h, "chain intact") || shows(h, "chain broken")
    });
    assert!(shows(&h, "chain intact (2 events)"), "acquired + sealed");
    assert!(shows(&h, "acquired") && shows(&h, "sealed"));

    type_into(&mut h, "Actor", "Fox Mulder");
    type_into(&mut h, "Released by", "Tess");
    type_into(&mut h, "Released to", "Evidence locker 3");
    click(&mut h, "Add event");
    wait_until(&mut h, "the event", |h| {
        shows(h, "event added") || shows(h, "Not done")
    });
    wait_until(&mut h, "the reloaded chain", |h| {
        shows(h, "chain intact (3 events)")
    });
    assert!(
        shows(&h, "Evidence locker 3"),
        "the new event is in the chain"
    );
    // What the window shows is what is in the log on disk.
    let text = std::fs::read_to_string(&log).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "transferred");
    assert_eq!(last["actor"]["name"], "Fox Mulder");
    assert_eq!(last["details"]["to"], "Evidence locker 3");

    let form = tmp.path().join("form.html");
    replace_text(&mut h, "Form file", &form.display().to_string());
    click(&mut h, "Export custody form");
    wait_until(&mut h, "the form", |h| {
        shows(h, "Custody form written") || shows(h, "Form not written")
    });
    let html = std::fs::read_to_string(&form).unwrap();
    assert!(html.contains("Evidence locker 3"));
    // Where the examiner looks: under the button, with a way to open it.
    let button = h.get_by_label("Export custody form").rect();
    let done = h.get_by_label("Custody form written").rect();
    assert!(
        done.top() >= button.bottom() && done.top() - button.bottom() < 80.0,
        "the result is right under the button: {button:?} {done:?}"
    );
    assert!(h.query_by_label("Open the form").is_some());
}

#[test]
fn an_edited_custody_log_is_shown_as_broken() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("srv");
    evidence_tree(&src);
    let archive = core_capture(&src, &tmp.path().join("out"));
    let log = exhibit::archive::custody_log_path(&archive);
    // Someone rewrites who acquired the evidence after the fact.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("\"Tess\""));
    std::fs::write(&log, text.replacen("\"Tess\"", "\"Mallory\"", 1)).unwrap();
    let mut h = harness();
    h.step();
    click(&mut h, "Custody");
    type_into(&mut h, "Archive", &archive.display().to_string());
    click(&mut h, "Show chain");
    wait_until(&mut h, "the chain", |h| {
        shows(h, "chain intact") || shows(h, "chain broken")
    });
    assert!(shows(&h, "chain broken"), "an edited log is not intact");
    assert!(!shows(&h, "chain intact"));
    assert!(
        shows(&h, "Mallory"),
        "the edited event is still shown, not hidden"
    );
}

#[test]
fn verifying_can_record_a_verified_event_in_the_custody_log() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("srv");
    evidence_tree(&src);
    let archive = core_capture(&src, &tmp.path().join("out"));
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 1600.0))
        .build_eframe(|_cc| {
            ExhibitApp::with_settings(Settings {
                examiner: "Eve Auditor".into(),
                ..Settings::default()
            })
        });
    h.step();
    click(&mut h, "Verify");
    type_into(&mut h, "Archive to verify", &archive.display().to_string());
    click(&mut h, "Record a verified event in the custody log");
    // The auditor's own fields, prefilled from the settings, no case open.
    assert_eq!(
        h.get_by_label("Verified by").value().as_deref(),
        Some("Eve Auditor")
    );
    replace_text(&mut h, "Role", "external auditor");
    type_into(&mut h, "Organisation", "Audit & Co");
    click(&mut h, "Run verification");
    wait_until(&mut h, "the verdict", |h| {
        shows(h, "INTACT") || shows(h, "PROBLEM")
    });
    assert!(shows(&h, "INTACT"));
    assert!(
        shows(&h, "verified event #3 recorded"),
        "the window says it was recorded"
    );
    let log = exhibit::archive::custody_log_path(&archive);
    let text = std::fs::read_to_string(&log).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "verified");
    assert_eq!(last["actor"]["name"], "Eve Auditor");
    assert_eq!(last["actor"]["role"], "external auditor");
    assert_eq!(last["actor"]["organisation"], "Audit & Co");
    assert_eq!(last["details"]["result"], "intact");
    assert_eq!(h.state().settings.verifier_role, "external auditor");
}

/// Cancel during a capture: the window says the capture did not complete
/// and why, and nothing in the destination looks like a finished archive.
#[test]
fn cancelling_a_capture_leaves_no_archive_that_looks_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("big");
    std::fs::create_dir_all(&src).unwrap();
    // Enough work that the capture is still running when Cancel is pressed
    // in the very next frames (incompressible, so no shortcut is taken).
    let mut block = vec![0u8; 1 << 20];
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    for b in block.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    for i in 0..192 {
        block[0] = i as u8;
        std::fs::write(src.join(format!("f{i:03}.bin")), &block).unwrap();
    }
    let out = tmp.path().join("out");
    let mut h = harness();
    h.step();
    fill_capture_form(&mut h, &src, &out, "IR-3");
    // The estimate of the sources ends first (its line changes the form's
    // height, which would move the button under a click).
    wait_until(&mut h, "the estimate", |h| {
        !h.state()
            .v::<CaptureView>()
            .busy()
            .iter()
            .any(|b| b == "Estimating")
    });
    click(&mut h, "Start capture");
    // The capture runs as a background job (on a loaded machine its first
    // progress may take a few frames to show).
    wait_until(&mut h, "the capture to run", |h| {
        h.state()
            .v::<CaptureView>()
            .busy()
            .iter()
            .any(|b| b.starts_with("Capturing"))
    });
    h.get_by_label("Cancel").click();
    h.step();
    wait_until(&mut h, "the capture to stop", |h| {
        h.state().v::<CaptureView>().busy().is_empty()
    });
    assert!(
        shows(&h, "The capture did not complete"),
        "the window says it stopped"
    );
    assert!(shows(&h, "capture cancelled"), "and why");
    assert!(!shows(&h, "Capture complete"));
    let names: Vec<String> = std::fs::read_dir(&out)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        names.iter().all(|n| !n.ends_with(".zip")),
        "no finished-looking archive: {names:?}"
    );
}

/// A passphrase-protected key is unlocked in the window (no ssh-agent, no
/// terminal) and signs the capture's custody events.
#[test]
fn a_passphrase_protected_key_is_unlocked_in_the_window_and_signs() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("examiner_key");
    let st = std::process::Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-C",
            "dana",
            "-N",
            "correct horse",
            "-f",
        ])
        .arg(&key)
        .status()
        .expect("ssh-keygen must be installed (openssh-client)");
    assert!(st.success());
    let src = tmp.path().join("srv");
    evidence_tree(&src);
    let out = tmp.path().join("out");
    let mut h = harness();
    h.step();
    fill_capture_form(&mut h, &src, &out, "IR-4");
    type_into(&mut h, "Signing key (optional)", &key.display().to_string());
    // A wrong passphrase is refused, readably.
    type_into(&mut h, "Key passphrase", "wrong");
    click(&mut h, "Unlock key");
    wait_until(&mut h, "the refusal", |h| shows(h, "wrong passphrase"));
    assert!(!shows(&h, "key unlocked for this session"));
    // Starting now names the problem instead of capturing unsigned.
    click(&mut h, "Start capture");
    wait_until(&mut h, "the capture to stop", |h| {
        shows(h, "did not complete") || shows(h, "Capture complete")
    });
    assert!(shows(&h, "protected by a passphrase"));
    assert!(!shows(&h, "Capture complete"));
    click(&mut h, "Dismiss");
    type_into(&mut h, "Key passphrase", "correct horse");
    click(&mut h, "Unlock key");
    wait_until(&mut h, "the key to unlock", |h| {
        shows(h, "key unlocked for this session")
    });
    click(&mut h, "Start capture");
    wait_until(&mut h, "the capture to finish", |h| {
        shows(h, "Capture complete") || shows(h, "did not complete")
    });
    assert!(shows(&h, "Capture complete"));
    let archive = h
        .state()
        .v::<CaptureView>()
        .result
        .clone()
        .unwrap()
        .unwrap()
        .archive;
    // The custody events are signed by that key, checked by the core
    // against an allowed_signers file naming it.
    let pubkey = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let signers = tmp.path().join("allowed_signers");
    std::fs::write(&signers, format!("dana {}", pubkey.trim())).unwrap();
    let log = exhibit::archive::custody_log_path(&archive);
    let sha = exhibit::custody::hash_file(&archive).unwrap();
    let check = exhibit::custody::verify_for_archive(&log, &sha, Some(&signers));
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    assert!(!check.signatures.is_empty());
    for s in &check.signatures {
        assert_eq!(s.status, "valid", "{s:?}");
    }
}

/// Times are shown in the case's zone with the offset written out, and the
/// top bar switches them back to UTC.
#[test]
fn times_are_shown_in_the_case_time_zone_or_utc() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("srv");
    evidence_tree(&src);
    let dir = tmp.path().join("IR-5");
    let archive = core_capture(&src, &dir);
    let mut h = harness();
    h.step();
    type_into(&mut h, "Case folder", &dir.display().to_string());
    type_into(&mut h, "Case ID", "IR-5");
    type_into(&mut h, "Examiner", "Dana Scully");
    replace_text(&mut h, "Time zone", "Asia/Tokyo");
    click(&mut h, "Create case");
    wait_until(&mut h, "the case to open", |h| shows(h, "Case IR-5"));
    // A case holding evidence opens on its answers; the case list is a tab away.
    assert!(
        shows(&h, "How and when the attacker got in"),
        "a case with evidence opens on the Investigation screen"
    );
    click(&mut h, "Cases");
    h.step();
    let name = archive.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        shows(&h, "Modified (Asia/Tokyo)"),
        "the case list names the zone"
    );
    assert!(shows(&h, &name));
    click(&mut h, "Open");
    wait_until(&mut h, "the archive to load", |h| {
        h.state().v::<BrowserView>().loaded.is_some() && shows(h, "Finished")
    });
    assert!(
        shows(&h, "Modified (Asia/Tokyo)"),
        "the column names the zone"
    );
    assert!(
        shows(&h, "+09:00"),
        "acquisition times carry Tokyo's offset"
    );
    click(&mut h, "Times in UTC");
    assert!(shows(&h, "Modified (UTC)"));
    assert!(!shows(&h, "+09:00"), "every time is back in UTC");
}

/// On a 1440×900 screen the Start button is on screen without scrolling,
/// even with the whole form filled in.
#[test]
fn start_capture_is_reachable_on_a_small_screen() {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1440.0, 900.0))
        .build_eframe(|_cc| ExhibitApp::with_settings(Settings::default()));
    h.step();
    click(&mut h, "Capture");
    wait_until(&mut h, "the profiles", |h| {
        h.query_by_label("triage").is_some()
    });
    let start = h.get_by_label("Start capture").rect();
    assert!(
        start.max.y <= 900.0 && start.min.y >= 0.0,
        "Start capture at {start:?} is off screen"
    );
}

/// A responder with no key makes one in the window; it is unlocked at once,
/// signs the capture, and the allowed_signers line shown makes every
/// signature valid.
#[test]
fn create_a_signing_key_in_the_window_and_sign_a_capture() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("keys/dana_ed25519");
    let src = tmp.path().join("srv");
    evidence_tree(&src);
    let out = tmp.path().join("out");
    let mut h = harness();
    h.step();
    fill_capture_form(&mut h, &src, &out, "IR-6");
    click(&mut h, "No key yet? Create one…");
    replace_text(&mut h, "New key file", &key.display().to_string());
    assert_eq!(
        h.get_by_label("Key holder").value().as_deref(),
        Some("dana.scully"),
        "the holder comes from the examiner's name"
    );
    type_into(&mut h, "New key passphrase", "a long passphrase");
    type_into(&mut h, "Repeat passphrase", "a long passphrase, typo");
    click(&mut h, "Create key");
    assert!(shows(&h, "the two passphrases differ"));
    assert!(!key.exists());
    for field in ["New key passphrase", "Repeat passphrase"] {
        replace_text(&mut h, field, "a long passphrase");
    }
    click(&mut h, "Create key");
    wait_until(&mut h, "the new key", |h| shows(h, "New signing key"));
    assert!(shows(&h, "key unlocked for this session"));
    let line = h
        .query_all_by_label_contains("namespaces=\"exhibit-custody\"")
        .find_map(|n| n.value())
        .expect("the allowed_signers line is shown");
    assert!(line.starts_with("dana.scully namespaces="), "{line}");
    click(&mut h, "Start capture");
    wait_until(&mut h, "the capture to finish", |h| {
        shows(h, "Capture complete") || shows(h, "did not complete")
    });
    assert!(shows(&h, "Capture complete"));
    let archive = h
        .state()
        .v::<CaptureView>()
        .result
        .clone()
        .unwrap()
        .unwrap()
        .archive;
    let signers = tmp.path().join("allowed_signers");
    std::fs::write(&signers, format!("{line}\n")).unwrap();
    let log = exhibit::archive::custody_log_path(&archive);
    let sha = exhibit::custody::hash_file(&archive).unwrap();
    let check = exhibit::custody::verify_for_archive(&log, &sha, Some(&signers));
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    assert_eq!(check.signatures.len(), 2, "acquired and sealed are signed");
    for s in &check.signatures {
        assert_eq!(s.status, "valid", "{s:?}");
    }
    // The private key on disk is encrypted and private to its owner.
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(matches!(
        exhibit::custody::Signer::inspect(&key).unwrap(),
        exhibit::custody::KeyFile::Encrypted(_)
    ));
}

#[test]
fn a_preview_of_content_that_is_not_the_sealed_content_says_so() {
    use exhibit::gui::views::browser::model::{Integrity, load_archive, load_preview};
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let secret = "customer-table: 4242 rows of sealed content\n".repeat(50);
    std::fs::write(src.join("customers.csv"), &secret).unwrap();
    let archive = core_capture(&src, &tmp.path().join("out"));
    let preview = |path: &Path| {
        let l = load_archive(path.to_path_buf(), &exhibit::job::NoProgress).unwrap();
        let idx = l
            .records
            .iter()
            .position(|r| r.path.ends_with("customers.csv"))
            .unwrap();
        let member = exhibit::gui::views::browser::model::content_member(&l.records, idx);
        load_preview(&l.archive, &l.manifest, idx, member).unwrap()
    };
    assert_eq!(preview(&archive).integrity, Integrity::Matches);
    // One byte of the stored content changed inside the archive file.
    let mut bytes = std::fs::read(&archive).unwrap();
    let at = bytes
        .windows(14)
        .position(|w| w == b"customer-table")
        .unwrap();
    bytes[at] = b'C';
    std::fs::write(&archive, &bytes).unwrap();
    match preview(&archive).integrity {
        Integrity::Mismatch(why) => assert!(!why.is_empty()),
        other => panic!("tampered content previewed as {other:?}"),
    }
}

/// A case holding a baseline and an incident capture opens on its answers:
/// the investigation runs by itself, the cards name the web shell and the
/// address that used it, a click on evidence opens the file in the evidence
/// browser, a leaked sample is validated with its values masked, and the
/// checklist saves with the case. At laptop size.
#[test]
fn a_case_opens_on_its_answers_and_validates_a_leak() {
    use crate::util::scenario;
    use exhibit::gui::views::investigation::InvestigationView;
    let tmp = tempfile::tempdir().unwrap();
    let trees = scenario::web_shell(tmp.path());
    let dir = tmp.path().join("IR-77");
    exhibit::case::create(
        &dir,
        exhibit::case::CaseInfo {
            case_id: "IR-77".into(),
            examiner: "Dana Scully".into(),
            ..Default::default()
        },
    )
    .unwrap();
    for (root, id) in [(&trees.baseline, "E01"), (&trees.incident, "E02")] {
        crate::util::capture(&["--root", root.to_str().unwrap(), "--evidence", id], &dir);
    }
    let mut sample = String::from("email,name\n");
    for i in 1..=12 {
        sample += &format!("client{i}@example.com,Client {i}\n");
    }
    std::fs::write(tmp.path().join("sample.csv"), &sample).unwrap();

    let mut h = app(1024.0, 700.0, Settings::default());
    h.step();
    type_into(&mut h, "Existing case folder", &dir.display().to_string());
    click(&mut h, "Open case");
    wait_until(&mut h, "the answers", |h| {
        let v = h.state().v::<InvestigationView>();
        v.model.is_some() || v.error.is_some()
    });
    let v = h.state().v::<InvestigationView>();
    assert!(v.error.is_none(), "{:?}", v.error);
    assert_eq!(v.sources.paths.len(), 2, "the case's two archives");
    h.step();
    assert!(shows(&h, "What happened, and what to do"));
    assert!(shows(&h, "How they got in"));
    assert!(
        shows(&h, scenario::WEB_IP),
        "the attacker's address is on a card"
    );
    // Evidence in an archive opens at its file in the evidence browser.
    let link = h
        .query_all_by_label_contains("/var/log/nginx/access.log")
        .next()
        .is_some();
    assert!(link, "an evidence line names the access log");
    h.get_all_by_label_contains("/var/log/nginx/access.log")
        .next()
        .unwrap()
        .click();
    h.step();
    h.step();
    wait_until(&mut h, "the file in the evidence browser", |h| {
        let b = h.state().v::<exhibit::gui::views::browser::BrowserView>();
        h.state().screen == exhibit::gui::context::Screen::EVIDENCE
            && b.jumped_to.is_some()
            && b.selected.is_some_and(|i| {
                b.loaded.as_ref().is_some_and(|l| {
                    l.records
                        .get(i)
                        .is_some_and(|r| r.path == "/var/log/nginx/access.log")
                })
            })
    });

    // A timed piece of evidence opens its minutes on the Timeline.
    click(&mut h, "Investigation");
    // (The first button so named is the tab; the next sits on the first
    // timed evidence, on screen.)
    let buttons = h
        .get_all_by_role_and_label(egui::accesskit::Role::Button, "Timeline")
        .count();
    assert!(buttons > 1, "timed evidence offers the Timeline");
    h.get_all_by_role_and_label(egui::accesskit::Role::Button, "Timeline")
        .nth(1)
        .unwrap()
        .click();
    h.step();
    wait_until(&mut h, "the timeline around the evidence", |h| {
        let t = h.state().v::<exhibit::gui::views::timeline::TimelineView>();
        t.built.is_some() && t.filter.range.is_some()
    });
    let t = h.state().v::<exhibit::gui::views::timeline::TimelineView>();
    let (from, to) = t.filter.range.unwrap();
    assert_eq!(to - from, 1_200_000_000, "ten minutes either side");
    assert_eq!(t.sources.paths.len(), 2);
    assert_eq!(h.state().screen, exhibit::gui::context::Screen::TIMELINE);

    // Validate a leak: masked by default.
    click(&mut h, "Investigation");
    click(&mut h, "Validate a leak");
    type_into(
        &mut h,
        "Leaked sample",
        &tmp.path().join("sample.csv").display().to_string(),
    );
    click(&mut h, "Validate");
    wait_until(&mut h, "the verdict", |h| {
        let v = h.state().v::<InvestigationView>();
        v.leak.is_some() || v.leak_error.is_some()
    });
    let v = h.state().v::<InvestigationView>();
    assert!(v.leak_error.is_none(), "{:?}", v.leak_error);
    assert_eq!(
        v.leak.as_ref().unwrap().verdict,
        exhibit::leak::Verdict::Genuine
    );
    h.step();
    assert!(shows(&h, "GENUINE"));
    assert!(
        !shows(&h, "client3@example.com"),
        "personal data is masked unless asked"
    );

    // The checklist is saved with the case as it is edited.
    h.get_all_by_label_contains("Checklist (")
        .next()
        .unwrap()
        .click();
    h.step();
    h.step();
    wait_until(&mut h, "the checklist", |h| {
        h.state().v::<InvestigationView>().checklist.is_some()
    });
    h.state_mut()
        .v_mut::<InvestigationView>()
        .checklist
        .as_mut()
        .unwrap()
        .steps[0]
        .note = "reported by a journalist".into();
    // An edit through the window: the owner field of the first step.
    h.get_all_by_label("Owner").next().unwrap().click();
    h.step();
    h.get_all_by_label("Owner")
        .next()
        .unwrap()
        .type_text("Dana");
    h.step();
    // Leaving the field (another part of the screen) saves.
    click(&mut h, "Answers");
    wait_until(&mut h, "the checklist saved", |_| {
        exhibit::case::checklist::Checklist::load(&dir)
            .map(|c| c.steps[0].owner == "Dana")
            .unwrap_or(false)
    });
    let saved = exhibit::case::checklist::Checklist::load(&dir).unwrap();
    assert_eq!(saved.steps[0].note, "reported by a journalist");
    assert!(!saved.steps[0].updated_at.is_empty());
}

/// The Investigation screen never shows answers drawn from an altered
/// archive as trustworthy: a case whose archive had one stored byte flipped
/// gets a red banner naming it, while an untouched one is reported intact.
#[test]
fn answers_from_an_altered_archive_carry_a_red_warning() {
    use exhibit::gui::views::investigation::InvestigationView;
    use exhibit::report::investigation::Verification;
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("srv");
    evidence_tree(&src);
    let dir = tmp.path().join("IR-88");
    exhibit::case::create(
        &dir,
        exhibit::case::CaseInfo {
            case_id: "IR-88".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let archive = core_capture(&src, &dir);
    let open = |h: &mut H| {
        type_into(h, "Existing case folder", &dir.display().to_string());
        click(h, "Open case");
        wait_until(h, "the answers", |h| {
            let v = h.state().v::<InvestigationView>();
            v.model.is_some() || v.error.is_some()
        });
    };
    let mut h = app(1024.0, 700.0, Settings::default());
    h.step();
    open(&mut h);
    let m = h.state().v::<InvestigationView>().model.as_ref().unwrap();
    assert_eq!(m.statuses.len(), 1);
    assert_eq!(m.statuses[0].verification, Verification::Intact);
    h.step();
    assert!(shows(&h, "verified intact against their seal"));
    assert!(!shows(&h, "does not match what was sealed"));

    // Flip one byte of needle.bin's stored content, in place.
    let noise = std::fs::read(src.join("var/log/needle.bin")).unwrap();
    let mut zip = std::fs::read(&archive).unwrap();
    let at = zip
        .windows(64)
        .position(|w| w == &noise[1000..1064])
        .expect("content stored as-is");
    zip[at] ^= 0xff;
    std::fs::write(&archive, zip).unwrap();
    let mut h = app(1024.0, 700.0, Settings::default());
    h.step();
    open(&mut h);
    let m = h.state().v::<InvestigationView>().model.as_ref().unwrap();
    assert_eq!(m.statuses[0].verification, Verification::Failed);
    h.step();
    let name = archive.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        shows(&h, &format!("{name} does not match what was sealed")),
        "a red banner names the altered archive"
    );
}

/// An encrypted archive (`--encrypt-to`) in a case is marked so; opening
/// it asks for the identity, refuses a key it is not encrypted to, and with
/// the right one (made by `age-keygen`) opens in the browser.
#[test]
fn an_encrypted_archive_opens_after_its_identity_is_given() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("srv");
    evidence_tree(&src);
    let keygen = |name: &str| {
        let key = tmp.path().join(name);
        crate::util::tool("age-keygen", &["-o", key.to_str().unwrap()], tmp.path());
        let recipient = crate::util::tool("age-keygen", &["-y", key.to_str().unwrap()], tmp.path());
        (key, recipient.trim().to_string())
    };
    let (key, recipient) = keygen("case-key.txt");
    let (other_key, _) = keygen("other-key.txt");
    let dir = tmp.path().join("IR-8");
    let summary = crate::util::capture(&[src.to_str().unwrap(), "--encrypt-to", &recipient], &dir);
    let archive = crate::util::archive_path(&summary);
    let name = archive.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with(".zip.age"), "{name}");

    let mut h = harness();
    h.step();
    type_into(&mut h, "Case folder", &dir.display().to_string());
    type_into(&mut h, "Case ID", "IR-8");
    type_into(&mut h, "Examiner", "Dana Scully");
    click(&mut h, "Create case");
    wait_until(&mut h, "the case to open", |h| shows(h, "Case IR-8"));
    click(&mut h, "Cases");
    wait_until(&mut h, "the case list", |h| shows(h, &name));
    assert!(shows(&h, "locked") && !shows(&h, "unlocked"));
    // Without the key, verification checks the ciphertext and says so.
    click(&mut h, "Verify…");
    wait_until(&mut h, "the verdict", |h| {
        shows(h, "CIPHERTEXT INTACT") || shows(h, "PROBLEM")
    });
    assert!(shows(&h, "CIPHERTEXT INTACT"));
    click(&mut h, "Cases");
    // Recording the verdict refreshes the case list in the background.
    wait_until(&mut h, "the case refresh", |h| !h.state().case_busy());
    click(&mut h, "Open");
    wait_until(&mut h, "the unlock window", |h| {
        shows(h, "Unlock encrypted archive")
    });
    assert!(h.state().v::<BrowserView>().loaded.is_none());
    // A key the archive is not encrypted to is refused, readably.
    replace_text(&mut h, "Identity", &other_key.display().to_string());
    click(&mut h, "Unlock");
    wait_until(&mut h, "the refusal", |h| shows(h, "Not unlocked"));
    assert!(h.state().v::<BrowserView>().loaded.is_none());
    replace_text(&mut h, "Identity", &key.display().to_string());
    click(&mut h, "Unlock");
    wait_until(&mut h, "the archive to load", |h| {
        h.state().v::<BrowserView>().loaded.is_some()
    });
    assert!(!shows(&h, "Unlock encrypted archive"), "the window closed");
    wait_until(&mut h, "the browser's rows", |h| shows(h, "passwd"));
    assert_eq!(
        h.state().settings.identity_file,
        key.display().to_string(),
        "the identity file (never its passphrase) is remembered"
    );
    // With the session's key, verification checks every file too.
    click(&mut h, "Verify this archive");
    wait_until(&mut h, "the verdict", |h| {
        shows(h, "Decrypted ZIP SHA-256") || shows(h, "PROBLEM")
    });
    assert!(!shows(&h, "CIPHERTEXT INTACT") && shows(&h, "INTACT"));
    let plain = summary["encryption"]["plaintext_sha256"].as_str().unwrap();
    assert!(
        shows(&h, &plain[..8]),
        "the decrypted ZIP's SHA-256 is the one sealed"
    );
    click(&mut h, "Cases");
    wait_until(&mut h, "the case list", |h| shows(h, "unlocked"));
}

/// A capture started in the window with an age recipient writes only the
/// encrypted archive; the standard `age` CLI turns it back into the ZIP
/// whose SHA-256 the window and the custody log show.
#[test]
fn a_capture_in_the_window_can_be_encrypted_to_an_age_recipient() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("srv");
    evidence_tree(&src);
    let out = tmp.path().join("out");
    let key = tmp.path().join("case-key.txt");
    crate::util::tool("age-keygen", &["-o", key.to_str().unwrap()], tmp.path());
    let recipient = crate::util::tool("age-keygen", &["-y", key.to_str().unwrap()], tmp.path());
    let mut h = harness();
    h.step();
    fill_capture_form(&mut h, &src, &out, "IR-10");
    type_into(&mut h, "Encrypt to (optional)", "not-a-key");
    click(&mut h, "Start capture");
    wait_until(&mut h, "the refusal", |h| shows(h, "encrypt to:"));
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
    replace_text(&mut h, "Encrypt to (optional)", recipient.trim());
    click(&mut h, "Start capture");
    wait_until(&mut h, "the capture to finish", |h| {
        shows(h, "Capture complete") || shows(h, "did not complete")
    });
    assert!(shows(&h, "Plaintext ZIP SHA-256"));
    let s = h
        .state()
        .v::<CaptureView>()
        .result
        .clone()
        .unwrap()
        .unwrap();
    assert!(s.archive.to_string_lossy().ends_with(".zip.age"));
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.ends_with(".zip")),
        "no plaintext archive: {names:?}"
    );
    let plain = tmp.path().join("plain.zip");
    crate::util::tool(
        "age",
        &[
            "-d",
            "-i",
            key.to_str().unwrap(),
            "-o",
            plain.to_str().unwrap(),
            s.archive.to_str().unwrap(),
        ],
        tmp.path(),
    );
    let plain_sha = crate::util::sha256_hex(&std::fs::read(&plain).unwrap());
    assert_eq!(s.encryption.as_ref().unwrap().plaintext_sha256, plain_sha);
    assert!(shows(&h, &plain_sha[..8]));
    crate::util::tool("unzip", &["-tq", plain.to_str().unwrap()], tmp.path());
    assert_eq!(
        h.state().settings.encrypt_to.trim(),
        recipient.trim(),
        "the recipients are remembered for the next capture"
    );
}

/// On a laptop screen the key-creation form, opened at the bottom of the
/// long capture form, scrolls into view whole.
#[test]
fn the_key_creation_form_scrolls_into_view_on_a_small_screen() {
    let mut h = app(1024.0, 700.0, Settings::default());
    h.step();
    click(&mut h, "Capture");
    // Scrolled just far enough for the button to show, as a user would.
    h.get_by_label("No key yet? Create one…").scroll_to_me();
    h.step();
    h.step();
    h.get_by_label("No key yet? Create one…").click_accesskit();
    // The scroll is animated: give it the frames (and time) it takes.
    let on_screen = |h: &H| {
        let (Some(create), Some(close), Some(start)) = (
            h.query_by_label("Create key"),
            h.query_by_label("Close"),
            h.query_by_label("Start capture"),
        ) else {
            return false;
        };
        create.rect().top() > 0.0 && close.rect().bottom() <= start.rect().top()
    };
    let start_wait = std::time::Instant::now();
    while !on_screen(&h) && start_wait.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.step();
    }
    let create = h.get_by_label("Create key").rect();
    let close = h.get_by_label("Close").rect();
    let start = h.get_by_label("Start capture").rect();
    assert!(
        create.top() > 0.0 && close.bottom() <= start.top(),
        "the form's buttons are on screen above the Start bar: {create:?} {close:?} {start:?}"
    );
}

/// A capture of this machine with a profile ticked takes the live-response
/// state first, exactly as the CLI does (the policy is the core's).
#[test]
fn a_profile_capture_of_this_machine_from_the_window_takes_live_response() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut h = harness();
    h.step();
    click(&mut h, "Capture");
    wait_until(&mut h, "the profiles", |h| {
        h.query_by_label("system").is_some()
    });
    click(&mut h, "system");
    type_into(&mut h, "Destination folder", &out.display().to_string());
    type_into(&mut h, "Capture case ID", "IR-11");
    type_into(&mut h, "Capture examiner", "Dana Scully");
    click(&mut h, "Start capture");
    wait_until(&mut h, "the capture to finish", |h| {
        shows(h, "Capture complete") || shows(h, "did not complete")
    });
    assert!(shows(&h, "Capture complete"));
    let archive = h
        .state()
        .v::<CaptureView>()
        .result
        .clone()
        .unwrap()
        .unwrap()
        .archive;
    let names: Vec<String> = crate::util::members(&archive)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(
        names.iter().any(|n| n.contains("/exhibit/live/")),
        "live-response tag files: {names:?}"
    );
}

/// At 1024×700 with a case whose title is long, every tab is on screen,
/// clear of the case title, and a click on it opens its screen.
#[test]
fn every_tab_is_reachable_by_mouse_at_1024x700() {
    use exhibit::gui::Screen;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("IR-12");
    let mut h = app(1024.0, 700.0, Settings::default());
    h.step();
    type_into(&mut h, "Case folder", &dir.display().to_string());
    type_into(&mut h, "Case ID", "IR-2026-0012");
    type_into(
        &mut h,
        "Title",
        "Compromised payment gateway web servers in the Frankfurt data centre",
    );
    type_into(&mut h, "Examiner", "Dana Scully");
    click(&mut h, "Create case");
    wait_until(&mut h, "the case to open", |h| shows(h, "IR-2026-0012"));
    // The top bar's case title (the case screen shows it again below).
    let title = h
        .query_all_by_label_contains("Compromised payment")
        .map(|n| n.rect())
        .min_by(|a, b| a.top().total_cmp(&b.top()))
        .unwrap();
    for (label, screen) in [
        ("Cases", Screen::CASES),
        ("Investigation", Screen::INVESTIGATION),
        ("Capture", Screen::CAPTURE),
        ("Evidence", Screen::EVIDENCE),
        ("Verify", Screen::VERIFY),
        ("Custody", Screen::CUSTODY),
        ("Compare", Screen::COMPARE),
        ("Findings", Screen::FINDINGS),
        ("Logs", Screen::LOGS),
        ("Timeline", Screen::TIMELINE),
    ] {
        let tab = h
            .query_all_by_label(label)
            .map(|n| n.rect())
            .min_by(|a, b| a.top().total_cmp(&b.top()))
            .unwrap_or_else(|| panic!("no {label} tab"));
        assert!(
            tab.right() <= 1024.0 && tab.bottom() <= 700.0 && tab.left() >= 0.0,
            "{label} tab off screen: {tab:?}"
        );
        assert!(
            !tab.intersects(title),
            "{label} tab under the case title: {tab:?} {title:?}"
        );
        // A real pointer click where the tab is drawn (a covered tab would
        // not get it).
        pointer_click_at(&mut h, tab.center());
        assert_eq!(h.state().screen, screen, "clicking the {label} tab");
    }
}
