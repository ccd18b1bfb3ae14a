//! The forms that prevent mistakes and the auditor's trust, driven like a
//! user at 1024×700: Ctrl+N gives a fresh capture form from any screen;
//! Browse… without a file dialog says so and leaves the typed path
//! focused; an interrupted capture's `.partial` is deleted only after a
//! confirmation naming it, and recorded in the case notes; a key created in
//! the window is trusted in one click, turning its signature from
//! "untrusted" to "valid", in a file `ssh-keygen -Y verify` accepts.

use crate::util::gui::*;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use exhibit::gui::Settings;
use std::path::Path;
use std::process::Command as Std;
use std::time::{Duration, SystemTime};

fn settings() -> Settings {
    Settings {
        examiner: "Ann Auditor".into(),
        ..Settings::default()
    }
}

/// Age a file past the "a capture may still write it" window.
fn aged(p: &Path) {
    let f = std::fs::File::options().write(true).open(p).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(600))
        .unwrap();
}

fn open_case(h: &mut H, dir: &Path) {
    type_into(h, "Existing case folder", &dir.display().to_string());
    click(h, "Open case");
    wait_until(h, "the case", |h| h.state().case.is_some());
}

#[test]
fn ctrl_n_opens_a_fresh_capture_form_from_any_screen() {
    let mut h = app(1024.0, 700.0, settings());
    h.step();
    {
        let c = h.state_mut().v_mut::<CaptureView>();
        c.sources.push("/srv/old".into());
        c.purpose = "the last capture's reason".into();
        c.result = Some(Err("the last capture failed".into()));
    }
    click(&mut h, "Logs");
    assert!(!shows(&h, "The capture did not complete"));
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::N);
    h.step();
    h.step();
    // The capture form, not the last result, and nothing of the last capture.
    assert!(shows(&h, "New capture"), "the capture form is shown");
    assert!(h.query_by_label("Source path").is_some());
    assert!(!shows(&h, "The capture did not complete"));
    assert!(!shows(&h, "/srv/old"));
    assert_eq!(h.get_by_label("Purpose").value().as_deref(), Some(""));
    // From the Verify screen too.
    click(&mut h, "Verify");
    h.state_mut()
        .v_mut::<CaptureView>()
        .sources
        .push("/srv/again".into());
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::N);
    h.step();
    h.step();
    assert!(h.query_by_label("Source path").is_some());
    assert!(!shows(&h, "/srv/again"));
}

#[test]
fn browse_without_a_file_dialog_says_so_and_focuses_the_typed_path() {
    // No XDG portal under the test harness: rfd returns no choice at once.
    let mut h = app(1024.0, 700.0, settings());
    h.step();
    click(&mut h, "Verify");
    assert!(!shows(&h, "no file dialog is available"));
    h.get_all_by_label("Browse…").next().unwrap().click();
    wait_until(&mut h, "the no-dialog message", |h| {
        shows(
            h,
            "no file dialog is available on this system: type the path",
        )
    });
    assert!(
        h.get_by_label("Archive to verify").is_focused(),
        "the typed path field has the focus"
    );
    // Typing goes straight into it, and the message goes away.
    h.event(egui::Event::Text("/cases/a.zip".into()));
    h.step();
    assert_eq!(
        h.get_by_label("Archive to verify").value().as_deref(),
        Some("/cases/a.zip")
    );
    assert!(!shows(&h, "no file dialog is available"));
    // The capture screen's "Add folder…" says it too, under Source path.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::N);
    h.step();
    click(&mut h, "Add folder…");
    wait_until(&mut h, "the no-dialog message", |h| {
        shows(
            h,
            "no file dialog is available on this system: type the path",
        )
    });
    assert!(h.get_by_label("Source path").is_focused());
}

#[test]
fn a_partial_is_deleted_after_a_confirmation_and_recorded_in_the_case_notes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    exhibit::case::create(
        &dir,
        exhibit::case::CaseInfo {
            case_id: "IR-9".into(),
            examiner: "Ann Auditor".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let name = "IR-9_E02_web1_20260101T000000Z.zip.partial";
    let partial = dir.join(name);
    std::fs::write(&partial, vec![7u8; 5000]).unwrap();
    aged(&partial);
    let sha = crate::util::sha256_hex(&[7u8; 5000]);
    let mut h = app(1024.0, 700.0, settings());
    h.step();
    open_case(&mut h, &dir);
    // A case with archives opens on its answers: back to the case list.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num1);
    h.step();
    wait_until(&mut h, "the partial in the list", |h| shows(h, name));
    click(&mut h, "Delete…");
    h.step();
    // The confirmation names the file and its size.
    assert!(shows(&h, "Delete incomplete capture"));
    assert!(shows(&h, "(5,000 bytes)"), "the size is shown");
    assert_eq!(
        h.get_by_label("Deleted by").value().as_deref(),
        Some("Ann Auditor")
    );
    replace_text(
        &mut h,
        "Reason for deleting",
        "capture cancelled: wrong host",
    );
    // Keep it: nothing happens.
    click(&mut h, "Keep it");
    assert!(partial.exists());
    assert!(!exhibit::case::notes::path(&dir).exists());
    click(&mut h, "Delete…");
    h.step();
    replace_text(
        &mut h,
        "Reason for deleting",
        "capture cancelled: wrong host",
    );
    click(&mut h, &format!("Delete {name}"));
    wait_until(&mut h, "the deletion", |h| shows(h, "recorded in"));
    assert!(!partial.exists());
    assert!(dir.join("case.json").exists(), "nothing else deleted");
    let notes = std::fs::read_to_string(exhibit::case::notes::path(&dir)).unwrap();
    for want in [
        name,
        "5000 bytes",
        sha.as_str(),
        "by: Ann Auditor",
        "why: capture cancelled: wrong host",
    ] {
        assert!(notes.contains(want), "{want:?} in the notes:\n{notes}");
    }
    wait_until(&mut h, "the list refreshed", |h| {
        h.state()
            .case
            .as_ref()
            .is_some_and(|c| c.archives.is_empty())
    });
    assert!(h.query_by_label("Delete…").is_none());

    // A .partial a capture may still be writing is refused, and kept.
    let fresh = dir.join("IR-9_E03_web1_20260101T000000Z.zip.partial");
    std::fs::write(&fresh, b"being written").unwrap();
    click(&mut h, "Refresh");
    wait_until(&mut h, "the fresh partial", |h| {
        shows(h, "IR-9_E03_web1_20260101T000000Z.zip.partial")
    });
    click(&mut h, "Delete…");
    h.step();
    click(&mut h, "Delete IR-9_E03_web1_20260101T000000Z.zip.partial");
    wait_until(&mut h, "the refusal", |h| {
        shows(h, "a capture may still be writing it")
    });
    assert!(fresh.exists());
}

/// Python's stdlib cuts event `n` of a custody log into the signed message
/// and the signature, as an auditor without Exhibit would.
fn extract_event(log: &Path, n: usize, dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let msg = dir.join(format!("event{n}.msg"));
    let sig = dir.join(format!("event{n}.sig"));
    let script = r#"
import json, sys
line = open(sys.argv[1], "rb").read().split(b"\n")[int(sys.argv[2]) - 1]
cut = line.rindex(b',"signature":')
open(sys.argv[3], "wb").write(line[:cut] + b"}")
open(sys.argv[4], "w").write(json.loads(line)["signature"] + "\n")
"#;
    let st = Std::new("python3")
        .args(["-c", script])
        .arg(log)
        .arg(n.to_string())
        .arg(&msg)
        .arg(&sig)
        .status()
        .unwrap();
    assert!(st.success());
    (msg, sig)
}

fn badges(h: &H, status: &str) -> usize {
    h.query_all_by_label(status).count()
}

#[test]
fn a_key_created_in_the_window_is_trusted_in_one_click_and_ssh_keygen_agrees() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    exhibit::case::create(
        &dir,
        exhibit::case::CaseInfo {
            case_id: "IR-9".into(),
            examiner: "Tess".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let src = tmp.path().join("srv");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("passwd"), "root:x:0:0\n").unwrap();
    let archive = core_capture(&src, &dir);
    let mut h = app(1024.0, 700.0, settings());
    h.step();
    open_case(&mut h, &dir);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num5);
    h.step();
    assert!(shows(&h, "Trusted signers of this case"));
    type_into(&mut h, "Archive to verify", &archive.display().to_string());
    click(&mut h, "Record a verified event in the custody log");
    // The auditor makes their own key in the window.
    click(&mut h, "No key yet? Create one…");
    let key = tmp.path().join("keys/ann_ed25519");
    replace_text(&mut h, "New key file", &key.display().to_string());
    replace_text(&mut h, "Key holder", "ann.auditor");
    type_into(&mut h, "New key passphrase", "correct horse");
    type_into(&mut h, "Repeat passphrase", "correct horse");
    click(&mut h, "Create key");
    wait_until(&mut h, "the new key", |h| shows(h, "New signing key"));
    assert_eq!(
        h.get_by_label("Verifier signing key").value().as_deref(),
        Some(key.display().to_string().as_str())
    );
    click(&mut h, "Run verification");
    wait_until(&mut h, "the recorded event", |h| {
        shows(h, "verified event #3 recorded in the custody log (signed)")
    });
    // Judge the signature: valid, but by a key nobody trusts yet.
    click(&mut h, "Record a verified event in the custody log");
    click(&mut h, "Run verification");
    wait_until(&mut h, "the signatures", |h| shows(h, "Custody signatures"));
    assert_eq!(badges(&h, "untrusted"), 1, "event 3 is untrusted");
    assert_eq!(badges(&h, "valid"), 0);
    // One click.
    click(&mut h, "Trust this key as ann.auditor");
    wait_until(&mut h, "the signature judged again", |h| {
        h.query_all_by_label("valid").next().is_some()
    });
    assert_eq!(badges(&h, "valid"), 1);
    assert_eq!(badges(&h, "untrusted"), 0);
    assert!(shows(&h, "Signatures judged with"));
    assert!(
        h.query_all_by_role_and_label(Role::Button, "Trust this key as ann.auditor")
            .next()
            .is_none(),
        "a trusted key is not offered again"
    );
    // The file is the case's, and OpenSSH's own verifier accepts the event.
    let allowed = dir.join("allowed_signers");
    let text = std::fs::read_to_string(&allowed).unwrap();
    assert!(
        text.starts_with("ann.auditor namespaces=\"exhibit-custody\" ssh-ed25519 "),
        "{text}"
    );
    let log = exhibit::archive::custody_log_path(&archive);
    let (msg, sig) = extract_event(&log, 3, tmp.path());
    let o = Std::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(&allowed)
        .args(["-I", "ann.auditor", "-n", "exhibit-custody", "-s"])
        .arg(&sig)
        .stdin(std::fs::File::open(&msg).unwrap())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("Good \"exhibit-custody\" signature for ann.auditor"),
        "{out}"
    );
    // Removing it in the window makes the signature untrusted again.
    click(&mut h, "Edit trusted signers");
    click(&mut h, "Remove trusted key 1");
    wait_until(&mut h, "the signature judged again", |h| {
        h.query_all_by_label("untrusted").next().is_some()
    });
    assert!(
        !std::fs::read_to_string(&allowed)
            .unwrap()
            .contains("ssh-ed25519")
    );
}
