//! Exports from the window, driven like a user with egui_kittest at laptop
//! size (1024×700): the Compare, Findings and Logs screens write an HTML
//! report and JSON (read back from disk); the Timeline's Timesketch export
//! carries stars, tags and notes (the JSONL parsed); the evidence browser
//! extracts a file with its hash checked and an `exported` custody event
//! (read back with `sha256sum` and the custody log); Ctrl+F finds text in
//! a preview, in text and in the hex dump's text column.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)]

use crate::util::gui::*;

use egui_kittest::kittest::Queryable as _;
use exhibit::case::{self, CaseInfo};
use exhibit::gui::Settings;
use std::path::{Path, PathBuf};

fn laptop() -> H {
    let settings = Settings {
        examiner: "Dana Scully".into(),
        ..Settings::default()
    };
    let mut h = app(1024.0, 700.0, settings);
    h.step();
    h
}

const AUTH: &str = "Nov 22 10:00:01 web1 sshd[1]: Failed password for root from 203.0.113.66 port 1 ssh2\n\
Nov 22 10:00:03 web1 sshd[2]: Failed password for root from 203.0.113.66 port 2 ssh2\n\
Nov 22 10:00:20 web1 sshd[3]: Accepted password for root from 203.0.113.66 port 3 ssh2\n";
const SHELL: &str = "<?php eval(base64_decode($_POST['c'])); ?>\n";

/// A small server tree: a log, a web shell, a binary with a string inside.
fn server(dir: &Path) -> PathBuf {
    let root = dir.join("srv");
    crate::util::write(&root, "var/log/auth.log", AUTH.as_bytes());
    crate::util::write(&root, "var/www/html/uploads/cache.php", SHELL.as_bytes());
    let mut bin = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
    bin.extend_from_slice(&[0u8; 20]);
    bin.extend_from_slice(b"beacon-token-42\0\x01\x02");
    crate::util::write(&root, "usr/local/bin/implant", &bin);
    root
}

/// Capture a tree as a target root through the core library.
fn capture_root(root: &Path, out: &Path) -> PathBuf {
    let mut req = crate::util::root_request(root, out, "IR-8");
    req.compression = exhibit::capture::Compression::Store;
    crate::util::run_capture(&req)
}

fn open_in_browser(h: &mut H, archive: &Path) {
    click(h, "Evidence");
    type_into(h, "Archive", &archive.display().to_string());
    click(h, "Open archive");
    wait_until(h, "the archive to load", |h| {
        h.state().v::<BrowserView>().loaded.is_some()
            && !h.state().v::<BrowserView>().rows.is_empty()
    });
}

fn select_file(h: &mut H, name: &str) {
    replace_text(h, "Filter paths", name);
    wait_until(h, "the filtered row", |h| {
        h.state().v::<BrowserView>().rows.len() == 1 && shows(h, name)
    });
    click_row(h, name);
    wait_until(h, "the preview", |h| {
        h.state().v::<BrowserView>().preview.is_some()
    });
}

fn sha256sum(file: &Path) -> String {
    let out = crate::util::tool("sha256sum", &[file.to_str().unwrap()], Path::new("/"));
    out.split_whitespace().next().unwrap().to_string()
}

#[test]
fn extract_a_file_from_the_browser_checked_and_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = capture_root(&server(tmp.path()), &tmp.path().join("out"));
    let mut h = laptop();
    open_in_browser(&mut h, &archive);
    select_file(&mut h, "cache.php");
    click(&mut h, "Extract…");
    assert!(shows(&h, "/var/www/html/uploads/cache.php"));
    let to = tmp.path().join("extracted");
    type_into(&mut h, "Extract to", &to.display().to_string());
    click(&mut h, "Extract");
    wait_until(&mut h, "the extraction", |h| {
        h.state().v::<BrowserView>().extract_result.is_some()
    });
    assert!(shows(&h, "Extracted and checked"), "the outcome is shown");
    assert!(shows(&h, "1 file(s) extracted"));
    assert!(h.query_by_label("Open the folder").is_some());
    let out = to.join("var/www/html/uploads/cache.php");
    assert_eq!(std::fs::read(&out).unwrap(), SHELL.as_bytes());
    // sha256sum agrees with the archive's own record of the file.
    let rec = crate::util::records(&archive)
        .into_iter()
        .find(|r| r["path"] == "/var/www/html/uploads/cache.php")
        .unwrap();
    assert_eq!(sha256sum(&out), rec["sha256"].as_str().unwrap());
    // The exported event, as the custody log holds it.
    let log = exhibit::archive::custody_log_path(&archive);
    let events = exhibit::custody::load_log(&log).unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.action, exhibit::custody::Action::Exported);
    assert_eq!(last.actor.name, "Dana Scully");
    assert_eq!(last.details["files"], 1);
    assert_eq!(last.details["to"], to.display().to_string());
    // Extracting again never overwrites: the file is reported as skipped.
    click(&mut h, "Extract");
    wait_until(&mut h, "the second extraction", |h| {
        shows(h, "Extracted with problems")
    });
    assert!(shows(&h, "not overwritten"));
    h.check_accessibility();
}

#[test]
fn ctrl_f_finds_in_a_text_preview_and_in_the_hex_text_column() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = capture_root(&server(tmp.path()), &tmp.path().join("out"));
    let mut h = laptop();
    open_in_browser(&mut h, &archive);
    select_file(&mut h, "auth.log");
    assert!(h.query_by_label("Find in preview").is_none());
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.step();
    h.step();
    type_into(&mut h, "Find in preview", "FAILED password");
    assert!(shows(&h, "1 of 2"), "two lines match, case-insensitively");
    pointer_click(&mut h, "Next");
    assert!(
        shows(&h, "2 of 2"),
        "{:?}",
        h.state().v::<BrowserView>().find
    );
    pointer_click(&mut h, "Next");
    assert!(shows(&h, "1 of 2"), "Next wraps around");
    pointer_click(&mut h, "Previous");
    assert!(shows(&h, "2 of 2"));
    replace_text(&mut h, "Find in preview", "no such text");
    assert!(shows(&h, "no match"));
    h.key_press(egui::Key::Escape);
    h.step();
    h.step();
    assert!(
        h.query_by_label("Find in preview").is_none(),
        "Escape closes"
    );

    // A binary: found in the hex dump's text column.
    select_file(&mut h, "implant");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.step();
    h.step();
    replace_text(&mut h, "Find in preview", "beacon-token");
    assert!(shows(&h, "1 of 1"));
    h.check_accessibility();
}

/// Write the report of the current screen to `html` and read both files back.
fn export(h: &mut H, html: &Path) -> (String, serde_json::Value) {
    click(h, "Export…");
    type_into(h, "Report file (.html)", &html.display().to_string());
    click(h, "Write report");
    wait_until(h, "the report", |h| {
        shows(h, "Report written") || shows(h, "Report not written")
    });
    assert!(shows(h, "Report written"));
    assert!(h.query_by_label("Open report").is_some());
    let page = std::fs::read_to_string(html).unwrap();
    let json = serde_json::from_str(&std::fs::read_to_string(html.with_extension("json")).unwrap())
        .unwrap();
    // Self-contained: nothing loaded from elsewhere, no scripts.
    for bad in ["<script", "src=", "<link", "http://", "https://"] {
        assert!(!page.contains(bad), "{bad} in the report");
    }
    (page, json)
}

#[test]
fn findings_export_writes_the_findings_as_html_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = capture_root(&server(tmp.path()), &tmp.path().join("out"));
    let mut h = laptop();
    click(&mut h, "Findings");
    type_into(&mut h, "Snapshot to scan", &archive.display().to_string());
    click(&mut h, "Scan for findings");
    wait_until(&mut h, "the scan", |h| {
        h.state().v::<FindingsView>().model.is_some()
            || h.state().v::<FindingsView>().error.is_some()
    });
    let (page, json) = export(&mut h, &tmp.path().join("findings.html"));
    let findings = json["findings"].as_array().unwrap();
    let shell = findings
        .iter()
        .find(|f| f["path"] == "/var/www/html/uploads/cache.php")
        .unwrap_or_else(|| panic!("the web shell's finding: {json:#}"));
    assert!(shell["rule"].is_string());
    assert_eq!(json["filter"]["note"], "no filter");
    // The evidence is in the page, escaped: never live markup.
    assert!(
        page.contains("eval(base64_decode($_POST[&#39;c&#39;]))"),
        "{page}"
    );
    assert!(!page.contains("<?php"));
    assert!(page.contains("/var/www/html/uploads/cache.php"));
}

#[test]
fn compare_export_notes_the_filter() {
    let tmp = tempfile::tempdir().unwrap();
    let before = tmp.path().join("before");
    crate::util::write(&before, "var/log/auth.log", AUTH.as_bytes());
    let a = capture_root(&before, &tmp.path().join("out-a"));
    let b = capture_root(&server(tmp.path()), &tmp.path().join("out-b"));
    let mut h = laptop();
    click(&mut h, "Compare");
    type_into(&mut h, "Baseline (before)", &a.display().to_string());
    type_into(&mut h, "Incident (after)", &b.display().to_string());
    click(&mut h, "Run comparison");
    wait_until(&mut h, "the comparison", |h| {
        h.state().v::<CompareView>().model.is_some() || h.state().v::<CompareView>().error.is_some()
    });
    assert!(h.state().v::<CompareView>().error.is_none());
    type_into(&mut h, "Filter paths", "uploads");
    wait_until(&mut h, "the filter", |h| {
        let v = h.state().v::<CompareView>();
        v.filter.text == "uploads" && !v.rows.is_empty()
    });
    let (page, json) = export(&mut h, &tmp.path().join("cmp.html"));
    assert!(page.contains("path contains &quot;uploads&quot;"), "{page}");
    let changes = json["changes"].as_array().unwrap();
    assert!(!changes.is_empty());
    assert!(
        changes
            .iter()
            .all(|c| c["path"].as_str().unwrap().contains("uploads")),
        "{changes:#?}"
    );
    assert!(json["filter"]["changes_total"].as_u64().unwrap() > changes.len() as u64);
    assert!(page.contains("eval(base64_decode"));
}

#[test]
fn logs_export_writes_findings_and_the_shown_events() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = capture_root(&server(tmp.path()), &tmp.path().join("out"));
    let mut h = laptop();
    click(&mut h, "Logs");
    type_into(&mut h, "Add log source", &archive.display().to_string());
    click(&mut h, "Add");
    click(&mut h, "Read logs");
    wait_until(&mut h, "the logs", |h| {
        h.state().v::<LogsView>().loaded.is_some() && !h.state().v::<LogsView>().rows.is_empty()
    });
    let (page, json) = export(&mut h, &tmp.path().join("logs.html"));
    assert!(page.contains("Accepted password for root from 203.0.113.66"));
    let shown = json["events_shown"].as_array().unwrap();
    assert_eq!(shown.len(), 3, "{json:#}");
    assert_eq!(json["sources"].as_array().unwrap().len(), 1);
    assert!(json["findings"].is_array());
    assert_eq!(json["filter"]["note"], "no filter");
}

#[test]
fn timesketch_export_carries_stars_tags_and_notes() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("auth.log");
    std::fs::write(&log, AUTH).unwrap();
    let case_dir = tmp.path().join("case");
    case::create(
        &case_dir,
        CaseInfo {
            case_id: "IR-8".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let mut h = app(
        1024.0,
        700.0,
        Settings {
            examiner: "Dana Scully".into(),
            ..Settings::default()
        },
    );
    h.step();
    type_into(
        &mut h,
        "Existing case folder",
        &case_dir.display().to_string(),
    );
    click(&mut h, "Open case");
    wait_until(&mut h, "the case", |h| h.state().case.is_some());
    click(&mut h, "Timeline");
    type_into(&mut h, "Add timeline source", &log.display().to_string());
    click(&mut h, "Add");
    click(&mut h, "Build timeline");
    wait_until(&mut h, "the timeline", |h| {
        let t = h.state().v::<TimelineView>();
        !t.building() && t.built.is_some() && !t.rows.is_empty()
    });
    click_row(&mut h, "Accepted password for root");
    wait_until(&mut h, "the selection", |h| {
        h.state().v::<TimelineView>().selected.is_some()
    });
    let marks = case_dir.join("timeline-marks.json");
    let saved = |what: &'static str| {
        let file = marks.clone();
        move |_: &H| std::fs::read_to_string(&file).is_ok_and(|s| s.contains(what))
    };
    click(&mut h, "Star event");
    wait_until(&mut h, "the star to be saved", saved("\"starred\": true"));
    type_into(&mut h, "New tag", "initial-access");
    click(&mut h, "Add tag");
    wait_until(&mut h, "the tag to be saved", saved("initial-access"));
    type_into(&mut h, "Event note", "the attacker's first login");
    click(&mut h, "Save note");
    wait_until(&mut h, "the note to be saved", saved("first login"));
    let kept = std::fs::read_to_string(&marks).unwrap();
    assert!(
        kept.contains("initial-access") && kept.contains("\"starred\": true"),
        "{kept}"
    );
    let out = tmp.path().join("ts.jsonl");
    type_into(&mut h, "Export file", &out.display().to_string());
    click(&mut h, "Export visible events");
    wait_until(&mut h, "the export", |_| {
        std::fs::read_to_string(&out).is_ok_and(|s| s.lines().count() >= 3)
    });
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let marked: Vec<_> = lines.iter().filter(|l| l.get("tag").is_some()).collect();
    assert_eq!(marked.len(), 1, "{lines:#?}");
    let m = marked[0];
    assert!(m["message"].as_str().unwrap().contains("Accepted password"));
    assert_eq!(m["tag"], serde_json::json!(["initial-access", "starred"]));
    assert_eq!(m["exhibit_starred"], true);
    assert_eq!(m["exhibit_note"], "the attacker's first login");
    for l in &lines {
        for k in ["message", "datetime", "timestamp_desc"] {
            assert!(l[k].is_string(), "Timesketch needs {k}: {l}");
        }
    }
}
