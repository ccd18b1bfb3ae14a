//! The Capture screen's third source kind, *Remote server over SSH*, driven
//! like a user against a real `sshd` on 127.0.0.1 (`util::sshd`): the
//! archive arrives in the destination, `exhibit verify` accepts it, and its
//! custody log records the transfer from the server.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)]

use crate::util::gui::*;
use crate::util::sshd::Sshd;
use exhibit::gui::Settings;

#[test]
fn a_server_is_captured_over_ssh_from_the_capture_screen() {
    let sshd = Sshd::start("exhibit-test-gui");
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("srv");
    crate::util::write(&src, "etc/app.conf", b"listen 8080\n");
    let out = tmp.path().join("out");
    let bin = assert_cmd::cargo::cargo_bin("exhibit");

    let mut h = app(1400.0, 1800.0, Settings::default());
    h.step();
    click(&mut h, "Capture");
    click(&mut h, "Remote server over SSH");
    type_into(&mut h, "Server", &sshd.alias);
    type_into(
        &mut h,
        "SSH config file (optional)",
        &sshd.ssh_config.display().to_string(),
    );
    type_into(
        &mut h,
        "Binary to upload (optional)",
        &bin.display().to_string(),
    );
    type_into(&mut h, "Source path", &src.display().to_string());
    click(&mut h, "Add source");
    type_into(&mut h, "Destination folder", &out.display().to_string());
    type_into(&mut h, "Capture case ID", "IR-SSH");
    type_into(&mut h, "Capture examiner", "Dana Scully");
    click(&mut h, "Start capture");
    wait_until(&mut h, "the remote capture to finish", |h| {
        shows(h, "Capture complete") || shows(h, "did not complete")
    });
    let result = h.state().v::<CaptureView>().result.clone().unwrap();
    let summary = result.unwrap_or_else(|e| panic!("remote capture failed: {e}"));
    let (code, report) = crate::util::verify(&summary.archive);
    assert_eq!(code, 0, "{report:#}");
    let log = std::fs::read_to_string(&summary.custody_log).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "transferred");
    assert_eq!(last["details"]["medium"], "ssh");
    assert_eq!(last["actor"]["name"], "Dana Scully");
}
