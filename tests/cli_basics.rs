//! Behaviour every subcommand shares: exit codes and output handling.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

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
