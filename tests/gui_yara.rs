//! The YARA setting in the workstation, driven like a user: the examiner
//! types a rules folder into the Findings screen's "YARA rules" field,
//! scans a folder, and reads the match (rule, tags, the matched string
//! with its offset and excerpt) and what YARA did not scan.
#![cfg(all(feature = "gui", feature = "yara"))]
#![allow(clippy::unwrap_used)]

use crate::util::gui::*;
use crate::util::write;
use exhibit::gui::Settings;

#[test]
fn findings_screen_runs_the_yara_rules_setting_and_shows_the_strings() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    write(
        &rules,
        "hunt.yar",
        b"rule dropper_marker : dropper\n{\n  meta:\n    description = \"Dropper marker\"\n    severity = \"high\"\n  strings:\n    $m = \"DROP-7731\"\n  condition:\n    $m\n}\n",
    );
    let tree = tmp.path().join("tree");
    write(&tree, "opt/app/run.sh", b"#!/bin/sh\necho DROP-7731\n");
    write(&tree, "opt/app/clean.sh", b"#!/bin/sh\necho hello\n");
    let mut h = app(1440.0, 1000.0, Settings::default());
    h.step();
    click(&mut h, "Findings");
    type_into(&mut h, "YARA rules", &rules.display().to_string());
    assert_eq!(
        h.state().settings.yara_rules,
        rules.display().to_string(),
        "the setting is remembered"
    );
    type_into(&mut h, "Snapshot to scan", &tree.display().to_string());
    click(&mut h, "Scan for findings");
    wait_until(&mut h, "the scan", |h| {
        h.state().v::<FindingsView>().model.is_some()
            || h.state().v::<FindingsView>().error.is_some()
    });
    let v = h.state().v::<FindingsView>();
    assert!(v.error.is_none(), "{:?}", v.error);
    let m = v.model.as_ref().unwrap();
    let f = m
        .findings
        .iter()
        .find(|f| f.rule == "yara.dropper_marker")
        .expect("the YARA match is a finding")
        .clone();
    assert_eq!(f.subject.path, "/opt/app/run.sh");
    assert!(
        !m.findings
            .iter()
            .any(|f| f.rule.starts_with("yara.") && f.subject.path == "/opt/app/clean.sh")
    );
    assert!(
        shows(&h, "YARA: 1 rules from 1 file(s)"),
        "the summary is shown"
    );
    click_link(&mut h, &f.title);
    h.step();
    h.step();
    assert!(shows(&h, "tags: dropper"));
    assert!(
        shows(&h, "string $m at 0xf (15), 9 bytes: \"DROP-7731\""),
        "the matched string, its offset and excerpt are shown"
    );
}

#[test]
fn a_rule_that_does_not_compile_is_shown_with_its_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yar");
    std::fs::write(&bad, "rule r {\n  condition:\n    nosuchthing\n}\n").unwrap();
    write(&tmp.path().join("tree"), "f.txt", b"x");
    let settings = Settings {
        yara_rules: bad.display().to_string(),
        ..Settings::default()
    };
    let mut h = app(1440.0, 1000.0, settings);
    h.step();
    click(&mut h, "Findings");
    type_into(
        &mut h,
        "Snapshot to scan",
        &tmp.path().join("tree").display().to_string(),
    );
    click(&mut h, "Scan for findings");
    wait_until(&mut h, "the error", |h| {
        h.state().v::<FindingsView>().error.is_some()
    });
    assert!(shows(&h, &format!("{}:3", bad.display())));
}
