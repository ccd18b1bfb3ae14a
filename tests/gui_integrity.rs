//! Integrity shown wherever evidence is shown: the Logs, Timeline and
//! Compare screens read a log member rewritten with Python's `zipfile`
//! (ZIP CRCs right, only the sealed manifest disagrees) and show the red
//! banner and the ALTERED badge on that file and its events; the intact
//! archive gets neither. The case list and the top bar mark an archive
//! swapped under its custody log.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)]

use crate::integrity::intact_and_altered;
use crate::util::gui::*;
use crate::util::{alter_member, write};
use egui_kittest::kittest::Queryable as _;
use exhibit::gui::Settings;
use exhibit::viewmodel::integrity::{
    BADGE, NOT_SEALED_MARK, ROW_MARK, TOP_BAR_MARK, archive_banner_title, banner_title,
};
use std::path::{Path, PathBuf};

/// The forged line of `intact_and_altered`'s altered copy.
const FORGED_LINE: &str =
    "Nov 22 10:00:20 web1 sshd[4107]: Accepted password for root from 192.0.2.99 port 50007 ssh2";

fn harness() -> H {
    app(1024.0, 700.0, Settings::default())
}

fn badges(h: &H) -> usize {
    h.query_all_by_label(BADGE).count()
}

fn read_logs(archive: &Path) -> H {
    let mut h = harness();
    h.step();
    click(&mut h, "Logs");
    type_into(&mut h, "Add log source", &archive.display().to_string());
    click(&mut h, "Add");
    click(&mut h, "Read logs");
    wait_until(&mut h, "the archive's logs", |h| {
        h.state().v::<LogsView>().loaded.is_some() && !h.state().v::<LogsView>().rows.is_empty()
    });
    h
}

#[test]
fn logs_mark_an_altered_log_and_its_events_and_not_an_intact_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (intact, altered) = intact_and_altered(tmp.path());

    let mut h = read_logs(&altered);
    assert!(shows(&h, &banner_title(1, "events")), "the red banner");
    assert!(
        shows(
            &h,
            ":/var/log/auth.log: content does not match the sealed manifest (SHA-256 "
        ),
        "the banner names the file and what differs"
    );
    assert!(badges(&h) >= 1, "the file's badge");
    assert!(
        h.query_all_by_label_contains(ROW_MARK).count() >= 2,
        "each of its events is marked in the table"
    );
    // At 1024 points the line runs off the window: click the row by its
    // (marked) source cell.
    let r = h
        .query_all_by_label_contains(&format!("{ROW_MARK} auth.log"))
        .next()
        .unwrap()
        .rect();
    let p = r.left_center() + egui::vec2(12.0, 0.0);
    h.hover_at(p);
    h.step();
    h.drag_at(p);
    h.step();
    h.drop_at(p);
    h.step();
    wait_until(&mut h, "the event's detail", |h| {
        h.state().v::<LogsView>().selected.is_some()
    });
    assert!(shows(&h, "this line may be altered"), "the detail says so");

    let h = read_logs(&intact);
    assert!(!shows(&h, "do not match the sealed manifest"));
    assert!(!shows(&h, ROW_MARK));
    assert_eq!(badges(&h), 0);
}

fn build_timeline(archive: &Path) -> H {
    let mut h = harness();
    h.step();
    click(&mut h, "Timeline");
    type_into(
        &mut h,
        "Add timeline source",
        &archive.display().to_string(),
    );
    click(&mut h, "Add");
    click(&mut h, "Build timeline");
    wait_until(&mut h, "the timeline", |h| {
        let t = h.state().v::<TimelineView>();
        !t.building() && t.built.is_some() && !t.rows.is_empty()
    });
    h
}

#[test]
fn the_timeline_marks_events_of_an_altered_log_and_not_of_an_intact_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (intact, altered) = intact_and_altered(tmp.path());

    let mut h = build_timeline(&altered);
    assert!(shows(&h, &banner_title(1, "events")), "the red banner");
    assert!(badges(&h) >= 1, "the file's badge");
    assert!(
        h.query_all_by_label_contains(&format!("{ROW_MARK} auth.log:"))
            .count()
            >= 1,
        "its events are marked in the table"
    );
    click_row(&mut h, FORGED_LINE);
    wait_until(&mut h, "the event's detail", |h| {
        h.state().v::<TimelineView>().selected.is_some()
    });
    assert!(shows(&h, "this event may be altered"));

    let h = build_timeline(&intact);
    assert!(!shows(&h, "do not match the sealed manifest"));
    assert!(!shows(&h, ROW_MARK));
    assert_eq!(badges(&h), 0);
}

/// Baseline and incident of one server whose auth.log grew; the incident
/// archive also as a copy whose auth.log member was rewritten.
fn compare_fixture(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let capture = |root: &Path, out: &Path| {
        let mut req = crate::util::root_request(root, out, "IR-17");
        req.compression = exhibit::capture::Compression::Store;
        crate::util::run_capture(&req)
    };
    let line = "Nov 22 10:00:01 web1 sshd[4101]: Failed password for root from 203.0.113.66 port 50001 ssh2\n";
    let (before, after) = (dir.join("before"), dir.join("after"));
    write(&before, "var/log/auth.log", line.as_bytes());
    write(
        &after,
        "var/log/auth.log",
        format!("{line}Nov 22 10:00:20 web1 sshd[4107]: Accepted password for root from 203.0.113.66 port 50007 ssh2\n").as_bytes(),
    );
    let old = capture(&before, &dir.join("out-before"));
    let new = capture(&after, &dir.join("out-after"));
    let altered_dir = dir.join("altered");
    std::fs::create_dir_all(&altered_dir).unwrap();
    let altered = altered_dir.join(new.file_name().unwrap());
    std::fs::copy(&new, &altered).unwrap();
    alter_member(
        &altered,
        "/var/log/auth.log",
        format!("{line}{FORGED_LINE}\n").as_bytes(),
    );
    (old, new, altered)
}

fn compare_and_select_the_log(old: &Path, new: &Path) -> H {
    let mut h = app(1024.0, 700.0, Settings::default());
    h.step();
    click(&mut h, "Compare");
    type_into(&mut h, "Baseline (before)", &old.display().to_string());
    type_into(&mut h, "Incident (after)", &new.display().to_string());
    click(&mut h, "Run comparison");
    wait_until(&mut h, "the comparison", |h| {
        h.state().v::<CompareView>().model.is_some()
    });
    let idx = {
        let m = h.state().v::<CompareView>().model.clone().unwrap();
        m.result
            .changes
            .iter()
            .position(|c| c.path == "/var/log/auth.log")
            .expect("the log changed")
    };
    let ctx = h.ctx.clone();
    h.state_mut()
        .v_mut::<CompareView>()
        .select_change(&ctx, idx);
    wait_until(&mut h, "the content diff", |h| {
        h.state().v::<CompareView>().content.is_some()
    });
    h
}

#[test]
fn compare_marks_lines_read_from_an_altered_file_and_not_from_an_intact_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new, altered) = compare_fixture(tmp.path());

    let h = compare_and_select_the_log(&old, &altered);
    assert!(shows(&h, "192.0.2.99"), "the altered line is shown…");
    assert!(
        shows(&h, &banner_title(1, "lines")),
        "…under the red banner"
    );
    assert!(badges(&h) >= 1, "the file's badge");
    assert!(shows(&h, "the lines below may be altered"));

    let h = compare_and_select_the_log(&old, &new);
    assert!(shows(&h, "Accepted password for root from 203.0.113.66"));
    assert!(!shows(&h, "do not match the sealed manifest"));
    assert_eq!(badges(&h), 0);
}

#[test]
fn an_archive_swapped_under_its_custody_log_is_marked_in_the_case_list_and_top_bar() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    write(&root, "var/log/auth.log", FORGED_LINE.as_bytes());
    let dir = tmp.path().join("IR-17");
    exhibit::case::create(
        &dir,
        exhibit::case::CaseInfo {
            case_id: "IR-17".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let mut req = crate::util::root_request(&root, &dir, "IR-17");
    req.compression = exhibit::capture::Compression::Store;
    let archive = crate::util::run_capture(&req);

    let mut h = app(1024.0, 700.0, Settings::default());
    h.step();
    type_into(&mut h, "Existing case folder", &dir.display().to_string());
    click(&mut h, "Open case");
    wait_until(&mut h, "the case to open", |h| h.state().case.is_some());
    click(&mut h, "Cases");
    wait_until(&mut h, "every job to end", |h| shows(h, "Ready"));
    assert!(!shows(&h, NOT_SEALED_MARK), "the sealed file is not marked");
    click(&mut h, "Open");
    wait_until(&mut h, "the archive to load", |h| {
        h.state().v::<BrowserView>().loaded.is_some()
    });
    assert!(!shows(&h, TOP_BAR_MARK));

    // Another archive, written over this one (its custody log unchanged).
    alter_member(&archive, "/var/log/auth.log", b"nothing happened here\n");
    click(&mut h, "Cases");
    click(&mut h, "Refresh");
    wait_until(&mut h, "the case list's mark", |h| {
        shows(h, NOT_SEALED_MARK)
    });
    click(&mut h, "Open");
    wait_until(&mut h, "the archive to load again", |h| {
        h.state().v::<BrowserView>().loaded.is_some() && shows(h, TOP_BAR_MARK)
    });
    assert!(
        shows(&h, &archive_banner_title(1)),
        "the screen that uses it carries the red banner"
    );
    assert!(shows(&h, "its sealed custody event recorded"));

    // The Findings screen that scans it carries the same mark.
    click(&mut h, "Findings");
    type_into(&mut h, "Snapshot to scan", &archive.display().to_string());
    click(&mut h, "Scan for findings");
    wait_until(&mut h, "the scan", |h| {
        h.state().v::<FindingsView>().model.is_some()
    });
    wait_until(&mut h, "the Findings screen's banner", |h| {
        shows(h, TOP_BAR_MARK) && shows(h, &archive_banner_title(1))
    });
}

/// Findings and the investigation on a web shell whose bytes were rewritten
/// in the archive: the finding card carries the badge and the screens the
/// red banner naming the file; the intact capture of the same tree gets
/// neither.
#[test]
fn findings_and_the_investigation_mark_what_rests_on_an_altered_file() {
    use crate::integrity::{SHELL, SHELL_FORGED};
    use exhibit::gui::views::investigation::InvestigationView;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    write(&root, "var/www/html/shell.php", SHELL.as_bytes());
    let dir = tmp.path().join("IR-17");
    exhibit::case::create(
        &dir,
        exhibit::case::CaseInfo {
            case_id: "IR-17".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let capture =
        |out: &Path| crate::util::run_capture(&crate::util::root_request(&root, out, "IR-17"));
    let altered = capture(&dir);
    let intact = capture(&tmp.path().join("elsewhere"));
    alter_member(&altered, "/var/www/html/shell.php", SHELL_FORGED.as_bytes());
    let file_line = ":/var/www/html/shell.php: content does not match the sealed manifest (";

    let mut h = harness();
    h.step();
    type_into(&mut h, "Existing case folder", &dir.display().to_string());
    click(&mut h, "Open case");
    wait_until(&mut h, "the answers", |h| {
        let v = h.state().v::<InvestigationView>();
        v.model.is_some() || v.error.is_some()
    });
    h.step();
    assert!(
        shows(&h, &banner_title(1, "answers and evidence")),
        "the investigation's red banner"
    );
    assert!(shows(&h, file_line), "the banner names the file");

    let scan = |h: &mut H, archive: &Path| {
        click(h, "Findings");
        replace_text(h, "Snapshot to scan", &archive.display().to_string());
        click(h, "Scan for findings");
        wait_until(h, "the scan", |h| {
            h.state()
                .v::<FindingsView>()
                .model
                .as_ref()
                .is_some_and(|m| m.path == archive)
        });
        h.step();
    };
    scan(&mut h, &altered);
    let marked = h
        .state()
        .v::<FindingsView>()
        .model
        .as_ref()
        .unwrap()
        .findings
        .iter()
        .filter(|f| f.subject.altered.is_some())
        .count();
    assert!(marked >= 1, "the web shell's findings are marked");
    assert!(shows(&h, &banner_title(1, "findings")), "the red banner");
    assert!(shows(&h, file_line), "the banner names the file");
    // The banner's badge and one on each card of the file.
    assert!(badges(&h) > 1, "{}", badges(&h));

    scan(&mut h, &intact);
    assert!(!shows(&h, &banner_title(1, "findings")));
    assert!(!shows(&h, file_line));
    assert_eq!(badges(&h), 0);
}

/// At 1440×900 a case of three hosts (so a Hosts tab) whose archive was
/// swapped under its custody log (so the top bar's red mark): the mark
/// never covers a tab; the tabs take a row of their own when they do not
/// fit beside it.
#[test]
fn the_top_bar_mark_covers_no_tab_at_1440() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("IR-78");
    exhibit::case::create(
        &dir,
        exhibit::case::CaseInfo {
            case_id: "IR-78".into(),
            title: "Three database servers of the Lyon shop".into(),
            // Not UTC: the top bar also holds the "Times in UTC" switch.
            timezone: "Europe/Paris".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let mut archives = Vec::new();
    for host in ["db01", "db02", "db03"] {
        let root = tmp.path().join(host);
        write(&root, "etc/hostname", format!("{host}\n").as_bytes());
        write(&root, "etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n");
        archives.push(crate::util::run_capture(&crate::util::root_request(
            &root, &dir, "IR-78",
        )));
    }
    alter_member(
        &archives[1],
        "/etc/passwd",
        b"root:x:0:0::/:/bin/sh\nsysbak:x:0:0::/:/bin/sh\n",
    );

    let mut h = app(1440.0, 900.0, Settings::default());
    h.step();
    type_into(&mut h, "Existing case folder", &dir.display().to_string());
    click(&mut h, "Open case");
    wait_until(&mut h, "the red mark", |h| shows(h, TOP_BAR_MARK));
    h.step();
    let mark = h.get_by_label(TOP_BAR_MARK).rect();
    for tab in [
        "Cases",
        "Investigation",
        "Capture",
        "Evidence",
        "Verify",
        "Custody",
        "Compare",
        "Findings",
        "Logs",
        "Timeline",
        "Hosts",
    ] {
        let r = h
            .query_all_by_label(tab)
            .map(|n| n.rect())
            .min_by(|a, b| a.top().total_cmp(&b.top()))
            .unwrap_or_else(|| panic!("no {tab} tab"));
        assert!(
            !r.intersects(mark),
            "{tab} tab under the mark: {r:?} {mark:?}"
        );
        assert!(r.right() <= 1440.0, "{tab} tab off screen: {r:?}");
    }
    // The Hosts screen stacks the swapped archive: it carries the marks.
    click(&mut h, "Hosts");
    wait_until(&mut h, "the stack", |h| {
        h.state()
            .v::<exhibit::gui::views::hosts::HostsView>()
            .result
            .is_some()
    });
    h.step();
    assert!(shows(&h, TOP_BAR_MARK), "the top bar's mark on Hosts");
    assert!(shows(&h, &archive_banner_title(1)), "the archive banner");
    assert!(
        shows(&h, &banner_title(1, "accounts, keys and entries")),
        "the altered file's banner"
    );
}
