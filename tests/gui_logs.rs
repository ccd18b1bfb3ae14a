//! The Logs and Timeline screens driven like a user with egui_kittest: read
//! a small compromised server's logs, see the detections, click one and see
//! its evidence lines, filter by address, ask who accessed a file, star a
//! timeline event and find it starred after reopening the case, zoom the
//! histogram by clicking and dragging on it, jump from an event to its file
//! in the evidence browser and from a finding to its events.
//!
//! One `#[ignore]` test measures frame times with a million events (see
//! docs/logs.md for the command and figures).
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)]

use crate::util::gui::*;

use egui_kittest::kittest::Queryable as _;
use exhibit::case::{self, CaseInfo};
use exhibit::gui::Screen;
use exhibit::gui::Settings;
use exhibit::logs::Field;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ACCEPTED: &str =
    "Nov 22 10:00:20 web1 sshd[4107]: Accepted password for root from 203.0.113.66 port 50007 ssh2";

fn harness() -> H {
    app(1400.0, 1200.0, Settings::default())
}

fn add_source(h: &mut H, label: &str, p: &Path) {
    type_into(h, label, &p.display().to_string());
    click(h, "Add");
}

/// An auth.log with six failed root logins from one address then a
/// success from it, and an access log where /export/customers.csv is served
/// to another address an hour later.
fn fixtures(dir: &Path) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let mut auth = String::new();
    for i in 0..6 {
        auth.push_str(&format!(
            "Nov 22 10:00:{:02} web1 sshd[{}]: Failed password for root from 203.0.113.66 port {} ssh2\n",
            1 + 2 * i,
            4101 + i,
            50001 + i
        ));
    }
    auth.push_str(ACCEPTED);
    auth.push('\n');
    auth.push_str(
        "Nov 22 10:05:00 web1 sshd[4200]: Accepted publickey for deploy from 192.0.2.10 port 40000 ssh2\n",
    );
    let access = "\
198.51.100.23 - - [22/Nov/2026:11:00:00 +0000] \"GET /index.html HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"
198.51.100.23 - - [22/Nov/2026:11:02:00 +0000] \"GET /export/customers.csv HTTP/1.1\" 200 4242424 \"-\" \"curl/8.4.0\"
192.0.2.10 - - [22/Nov/2026:11:03:00 +0000] \"GET /index.html HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"
";
    let a = dir.join("auth.log");
    let w = dir.join("access.log");
    std::fs::write(&a, auth).unwrap();
    std::fs::write(&w, access).unwrap();
    for p in [&a, &w] {
        set_mtime_2026(p);
    }
    (a, w)
}

/// Classic syslog has no year: it comes from the file's time, set here to
/// 2026-11-22 12:00 UTC so that the tests mean the same thing in any year.
fn set_mtime_2026(p: &Path) {
    std::fs::File::options()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(std::time::UNIX_EPOCH + Duration::from_secs(1_795_348_800))
        .unwrap();
}

/// The Logs screen with an archive's logs read.
fn logs_of_archive(archive: &Path) -> H {
    let mut h = harness();
    h.step();
    click(&mut h, "Logs");
    add_source(&mut h, "Add log source", archive);
    click(&mut h, "Read logs");
    wait_until(&mut h, "the archive's logs", |h| {
        h.state().v::<LogsView>().loaded.is_some() && !h.state().v::<LogsView>().rows.is_empty()
    });
    h
}

fn open_case(h: &mut H, dir: &Path) {
    type_into(h, "Existing case folder", &dir.display().to_string());
    click(h, "Open case");
    wait_until(h, "the case to open", |h| h.state().case.is_some());
}

fn build_timeline(h: &mut H, src: &Path) {
    click(h, "Timeline");
    add_source(h, "Add timeline source", src);
    click(h, "Build timeline");
    wait_until(h, "the timeline", |h| {
        let t = &h.state().v::<TimelineView>();
        !t.building() && t.built.is_some() && !t.rows.is_empty()
    });
}

#[test]
fn logs_detections_filters_and_questions() {
    let tmp = tempfile::tempdir().unwrap();
    let (auth, access) = fixtures(&tmp.path().join("logs"));
    let mut h = harness();
    h.step();
    click(&mut h, "Logs");
    add_source(&mut h, "Add log source", &auth);
    add_source(&mut h, "Add log source", &access);
    click(&mut h, "Read logs");
    wait_until(&mut h, "the logs to load", |h| {
        h.state().v::<LogsView>().loaded.is_some() && !h.state().v::<LogsView>().rows.is_empty()
    });
    assert!(shows(&h, "11 events from 2 log file(s)"));

    // The worst finding comes first: the brute force that worked.
    let (title, rule) = {
        let l = h.state().v::<LogsView>().loaded.as_ref().unwrap();
        let f = &l.findings[0];
        (f.title.clone(), f.rule.clone())
    };
    assert_eq!(rule, "success_after_failures", "{title}");
    assert!(title.contains("203.0.113.66"), "{title}");
    assert!(shows(&h, &title));
    assert!(shows(&h, "CRITICAL"));
    assert!(shows(&h, "failed 6 times"), "the finding explains itself");

    // Clicking it shows the seven evidence lines behind it.
    h.get_by_label(&title).click();
    wait_until(&mut h, "the finding's events", |h| {
        h.state().v::<LogsView>().rows.len() == 7
    });
    assert!(shows(&h, "Showing 7 event(s) — events of: Login as"));
    assert!(shows(&h, ACCEPTED));
    assert!(!shows(&h, "GET /index.html"), "other events are hidden");

    // Filter every event by address.
    click(&mut h, "Show all events");
    type_into(&mut h, "IP filter", "198.51.100.23");
    wait_until(&mut h, "the address filter", |h| {
        shows(h, "Showing 2 event(s) — all events")
    });
    {
        let st = h.state();
        let store = &st.v::<LogsView>().loaded.as_ref().unwrap().store;
        for &i in &st.v::<LogsView>().rows {
            assert_eq!(
                store.events[i as usize].get(Field::Ip),
                Some("198.51.100.23")
            );
        }
    }
    assert!(shows(&h, "GET /export/customers.csv"));
    assert!(!shows(&h, "Failed password"));

    // Who accessed the export?
    click(&mut h, "Clear filters");
    type_into(&mut h, "Question subject", "/export/customers.csv");
    click(&mut h, "Ask");
    wait_until(&mut h, "the answer", |h| {
        shows(
            h,
            "Who accessed this path \"/export/customers.csv\": 1 event(s)",
        )
    });
    assert!(shows(&h, "198.51.100.23 — 1 request(s)"));
    assert!(shows(&h, "first 2026-11-22 11:02:00"));
    assert!(shows(&h, "status 200x1"));
    wait_until(&mut h, "the answer's events", |h| {
        shows(h, "Showing 1 event(s) — events of the answer")
    });
    h.check_accessibility();
}

#[test]
fn timeline_star_survives_reopening_and_histogram_zooms() {
    let tmp = tempfile::tempdir().unwrap();
    let (auth, _) = fixtures(&tmp.path().join("logs"));
    let case_dir = tmp.path().join("case");
    case::create(
        &case_dir,
        CaseInfo {
            case_id: "IR-7".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let marks_file = case_dir.join("timeline-marks.json");
    {
        let mut h = harness();
        h.step();
        open_case(&mut h, &case_dir);
        build_timeline(&mut h, &auth);
        assert!(shows(&h, "Starred only (0)"));
        click_row(&mut h, ACCEPTED);
        wait_until(&mut h, "the selection", |h| {
            h.state().v::<TimelineView>().selected.is_some()
        });
        click(&mut h, "Star event");
        wait_until(&mut h, "the marks to be saved", |_| {
            std::fs::read_to_string(&marks_file).is_ok_and(|s| s.contains("Accepted password"))
        });
        assert!(shows(&h, "Starred only (1)"));
        let saved: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&marks_file).unwrap()).unwrap();
        let (id, mark) = saved["events"].as_object().unwrap().iter().next().unwrap();
        assert!(id.starts_with("log||"), "{id}");
        assert!(id.contains("auth.log|7|auth_success"), "{id}");
        assert_eq!(mark["starred"], true);

        // Clicking a bar of the histogram zooms the table to that bar: point
        // at the bar holding 10:05:00 and click, like a user.
        let total = h.state().v::<TimelineView>().rows.len();
        let t_deploy = {
            let t = &h.state().v::<TimelineView>();
            let tl = &t.built.as_ref().unwrap().timeline;
            tl.events
                .iter()
                .find(|e| e.message.contains("deploy"))
                .unwrap()
                .time_us
        };
        let at = |h: &H, t_us: i64| {
            let tr = h.state().v::<TimelineView>().histogram_transform.unwrap();
            let y = tr.frame().center().y;
            egui::pos2(tr.position_from_point_x(t_us as f64 / 1e6 + 1.0), y)
        };
        let p = at(&h, t_deploy);
        h.hover_at(p);
        h.step();
        h.drag_at(p);
        h.step();
        h.drop_at(p);
        wait_until(&mut h, "the zoom", |h| {
            h.state().v::<TimelineView>().filter.range.is_some()
                && h.state().v::<TimelineView>().rows.len() < total
        });
        {
            let t = &h.state().v::<TimelineView>();
            let (lo, hi) = t.filter.range.unwrap();
            assert!(lo <= t_deploy && t_deploy <= hi);
            assert!(hi - lo < 60_000_000, "one bar, not the whole day");
            let tl = &t.built.as_ref().unwrap().timeline;
            for &r in &t.rows {
                let e = &tl.events[r as usize];
                assert!(e.time_us >= lo && e.time_us <= hi);
            }
        }
        assert!(shows(&h, "Showing 2026-11-22 10:05:00"));
        assert!(shows(&h, "deploy"));
        assert!(
            !shows(&h, "Failed password"),
            "the zoom hides other bars' events"
        );
        click(&mut h, "Reset zoom");
        wait_until(&mut h, "the reset", |h| {
            h.state().v::<TimelineView>().rows.len() == total
        });

        // Dragging across bars zooms to the dragged range.
        let t0 = {
            let tl = &h
                .state()
                .v::<TimelineView>()
                .built
                .as_ref()
                .unwrap()
                .timeline;
            tl.events[0].time_us
        };
        let from = at(&h, t0);
        let to = at(&h, t0 + 12_000_000);
        h.drag_at(from);
        h.step();
        for k in 1..=5 {
            h.hover_at(from + (to - from) * (k as f32 / 5.0));
            h.step();
        }
        h.drop_at(to);
        wait_until(&mut h, "the drag zoom", |h| {
            h.state().v::<TimelineView>().filter.range.is_some()
                && h.state().v::<TimelineView>().rows.len() < total
        });
        let (lo, hi) = h.state().v::<TimelineView>().filter.range.unwrap();
        assert!(lo <= t0 + 2_000_000 && hi >= t0 + 10_000_000, "{lo} {hi}");
        assert!(hi < t_deploy, "the drag did not reach 10:05");
        h.check_accessibility();
    }

    // A new session: open the case again, the star is still there.
    let mut h = harness();
    h.step();
    open_case(&mut h, &case_dir);
    build_timeline(&mut h, &auth);
    wait_until(&mut h, "the marks to load", |h| {
        shows(h, "Starred only (1)")
    });
    click(&mut h, "Starred only (1)");
    wait_until(&mut h, "the starred events", |h| {
        h.state().v::<TimelineView>().rows.len() == 1
    });
    assert!(shows(&h, ACCEPTED));
    assert!(
        h.query_all_by_label("Starred").next().is_some(),
        "the star is shown filled"
    );
    assert!(
        h.query_all_by_label("Not starred").next().is_none(),
        "and only starred rows"
    );

    // Jump from the finding to its evidence lines on the Logs screen.
    click(&mut h, "Starred only (1)");
    wait_until(&mut h, "all events again", |h| {
        h.state().v::<TimelineView>().rows.len() > 1
    });
    let finding_row = {
        let tl = &h
            .state()
            .v::<TimelineView>()
            .built
            .as_ref()
            .unwrap()
            .timeline;
        tl.events
            .iter()
            .find(|e| e.message.starts_with("[critical] Login as"))
            .unwrap()
            .message
            .clone()
    };
    click_row(&mut h, &finding_row);
    wait_until(&mut h, "the finding selected", |h| {
        h.state().v::<TimelineView>().selected.is_some()
    });
    click(&mut h, "Show the finding's events");
    wait_until(&mut h, "the Logs screen with the finding's events", |h| {
        h.state().screen == Screen::LOGS
            && h.state().v::<LogsView>().loaded.is_some()
            && h.state().v::<LogsView>().rows.len() == 7
    });
    assert!(shows(&h, "events of: Login as"));
}

#[test]
fn a_log_event_opens_its_file_in_the_evidence_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let srv = tmp.path().join("srv");
    fixtures(&srv.join("var/log"));
    let archive = core_capture(&srv, &tmp.path().join("out"));
    let mut h = logs_of_archive(&archive);
    click_row(&mut h, ACCEPTED);
    wait_until(&mut h, "the event", |h| {
        h.state().v::<LogsView>().selected.is_some()
    });
    assert!(shows(&h, "/var/log/auth.log:7"));
    click(&mut h, "Open in the evidence browser");
    wait_until(&mut h, "the browser on auth.log", |h| {
        h.state().screen == Screen::EVIDENCE
            && h.state().v::<BrowserView>().selected.is_some()
            && shows(h, "Opened from the event at line 7 of this file")
    });
    let st = h.state();
    let l = st.v::<BrowserView>().loaded.as_ref().unwrap();
    let r = &l.records[st.v::<BrowserView>().selected.unwrap()];
    assert!(r.path.ends_with("/var/log/auth.log"), "{}", r.path);
}

/// A jump to a line far down its file scrolls the preview there and marks
/// it: the line is drawn although 300 lines come before it.
#[test]
fn a_jump_scrolls_the_preview_to_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let log_dir = tmp.path().join("srv/var/log");
    std::fs::create_dir_all(&log_dir).unwrap();
    let mut auth = String::new();
    for i in 0..300 {
        auth.push_str(&format!(
            "Nov 22 09:{:02}:{:02} web1 CRON[{}]: pam_unix(cron:session): session closed for user root\n",
            i / 60,
            i % 60,
            1000 + i
        ));
    }
    auth.push_str(ACCEPTED);
    auth.push('\n');
    let a = log_dir.join("auth.log");
    std::fs::write(&a, auth).unwrap();
    set_mtime_2026(&a);
    let archive = core_capture(&tmp.path().join("srv"), &tmp.path().join("out"));
    let mut h = logs_of_archive(&archive);
    type_into(&mut h, "Text filter", "Accepted");
    wait_until(&mut h, "the filter", |h| {
        h.state().v::<LogsView>().rows.len() == 1
    });
    click_row(&mut h, ACCEPTED);
    wait_until(&mut h, "the event", |h| {
        h.state().v::<LogsView>().selected.is_some()
    });
    click(&mut h, "Open in the evidence browser");
    wait_until(&mut h, "the preview at line 301", |h| {
        h.state().screen == Screen::EVIDENCE
            && shows(h, "Opened from the event at line 301 of this file")
            && h.query_all_by_label_contains(ACCEPTED).next().is_some()
    });
    // Line 1 scrolled out of view (only visible rows are drawn).
    assert!(
        h.query_all_by_label_contains("CRON[1000]").next().is_none(),
        "the preview starts near the marked line, not at the top"
    );
}

/// Frame times with a million events on both screens. Run with
/// `cargo test --release --test gui_logs -- --ignored --nocapture million`.
#[test]
#[ignore]
fn a_million_events_scroll_smoothly() {
    use exhibit::timeline::{Origin, Timeline, TimelineEvent};
    const N: usize = 1_000_000;
    let t0 = 1_795_300_000_000_000i64;
    let events: Vec<TimelineEvent> = (0..N)
        .map(|i| TimelineEvent {
            time_us: t0 + (i as i64) * 250_000,
            timestamp_desc: "Log Entry".into(),
            origin: Origin::Log,
            message: format!(
                "Nov 22 10:00:00 web1 sshd[{i}]: Failed password for root from 203.0.{}.{} port 22 ssh2",
                (i / 256) % 256,
                i % 256
            ),
            archive: None,
            path: "/var/log/auth.log".into(),
            line: Some(i as u64 + 1),
            kind: "auth_failure".into(),
            severity: None,
            fields: vec![("ip".into(), format!("203.0.{}.{}", (i / 256) % 256, i % 256))],
            bodyfile: None,
        })
        .collect();
    let mut h = harness();
    h.step();
    h.state_mut().screen = Screen::TIMELINE;
    h.state_mut()
        .v_mut::<TimelineView>()
        .set_built(exhibit::gui::views::timeline::Built::new(
            Vec::new(),
            Timeline {
                events,
                notes: Vec::new(),
                altered: Vec::new(),
            },
        ));
    let start = Instant::now();
    wait_until(&mut h, "the first filter", |h| {
        h.state().v::<TimelineView>().rows.len() == N
    });
    let first_filter = start.elapsed();
    let frames = scroll_frames(&mut h);
    report("timeline", &frames, first_filter);

    // A filter change: frames keep coming while the job runs.
    h.state_mut().v_mut::<TimelineView>().filter.text = "203.0.7.".into();
    let start = Instant::now();
    let mut during = Vec::new();
    while h.state().v::<TimelineView>().rows.len() == N {
        let f = Instant::now();
        h.step();
        during.push(f.elapsed());
        assert!(start.elapsed() < Duration::from_secs(120));
    }
    let filtered = start.elapsed();
    during.sort();
    eprintln!(
        "timeline text filter over {N} events: {:.0} ms in the background; slowest frame meanwhile {:.1} ms over {} frames",
        filtered.as_secs_f64() * 1e3,
        during.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        during.len()
    );
}

/// The Logs screen with a million access-log events (built in memory).
#[test]
#[ignore]
fn a_million_log_events_scroll_smoothly() {
    use exhibit::logs::event::Draft;
    use exhibit::logs::{Kind, LogStore, SourceInfo};
    const N: usize = 1_000_000;
    let mut d = Draft::default();
    let mut events = Vec::with_capacity(N);
    for i in 0..N {
        let ip = format!("203.0.{}.{}", (i / 256) % 256, i % 256);
        let line = format!(
            "{ip} - - [22/Nov/2026:10:00:00 +0000] \"GET /page/{i} HTTP/1.1\" 200 {i} \"-\" \"curl\""
        );
        d.reset(&line);
        d.kind = Kind::WebRequest;
        d.time_us = Some(1_795_300_000_000_000 + i as i64 * 250_000);
        d.status = Some(200);
        d.bytes = Some(i as u64);
        d.set(Field::Ip, 0, ip.len());
        events.push(d.finish(0, i as u64 + 1));
    }
    let by_time: Vec<u32> = (0..N as u32).collect();
    let store = LogStore {
        sources: vec![SourceInfo {
            path: "/var/log/apache2/access.log".into(),
            parser: "access".into(),
            events: N as u64,
            ..Default::default()
        }],
        events: events.into(),
        rank: by_time.clone(),
        by_time,
        ..Default::default()
    };
    let mut h = harness();
    h.step();
    h.state_mut().screen = Screen::LOGS;
    h.state_mut().v_mut::<LogsView>().loaded = Some(exhibit::gui::views::logs::LogsLoaded {
        sources: Vec::new(),
        store: std::sync::Arc::new(store),
        findings: std::sync::Arc::new(Vec::new()),
    });
    let start = Instant::now();
    wait_until(&mut h, "the first filter", |h| {
        h.state().v::<LogsView>().rows.len() == N
    });
    let first = start.elapsed();
    let frames = scroll_frames(&mut h);
    report("logs", &frames, first);
    h.state_mut().v_mut::<LogsView>().filter.text = "GET /page/99".into();
    let start = Instant::now();
    let mut slowest = Duration::ZERO;
    while h.state().v::<LogsView>().rows.len() == N {
        let f = Instant::now();
        h.step();
        slowest = slowest.max(f.elapsed());
        assert!(start.elapsed() < Duration::from_secs(120));
    }
    eprintln!(
        "logs text filter over {N} events: {:.0} ms in the background; slowest frame meanwhile {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3,
        slowest.as_secs_f64() * 1e3
    );
}

fn scroll_frames(h: &mut H) -> Vec<Duration> {
    let over_table = egui::pos2(700.0, 900.0);
    h.hover_at(over_table);
    let mut frames = Vec::new();
    for k in 0..300 {
        let delta = if k < 200 { -400.0 } else { 4000.0 };
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, delta),
            phase: egui::TouchPhase::Move,
            modifiers: egui::Modifiers::NONE,
            source: egui::MouseWheelSource::Wheel,
        });
        let f = Instant::now();
        h.step();
        frames.push(f.elapsed());
    }
    frames
}

fn report(what: &str, frames: &[Duration], first_filter: Duration) {
    let mut v: Vec<f64> = frames.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let p95 = v[(v.len() * 95) / 100];
    let max = v[v.len() - 1];
    eprintln!(
        "{what}: 1,000,000 events; first filter {:.0} ms (background); {} scrolling frames: mean {mean:.1} ms, p95 {p95:.1} ms, max {max:.1} ms",
        first_filter.as_secs_f64() * 1e3,
        v.len()
    );
}

/// The Logs and Timeline screens show and read times in the case's zone:
/// with a case in Asia/Tokyo, columns name the zone, an event logged at
/// 10:00:20 UTC reads 19:00:20 +09:00, and a typed "From" time is Tokyo
/// time.
#[test]
fn log_times_follow_the_case_time_zone() {
    let tmp = tempfile::tempdir().unwrap();
    let (auth, access) = fixtures(&tmp.path().join("logs"));
    let mut h = harness();
    h.step();
    type_into(
        &mut h,
        "Case folder",
        &tmp.path().join("IR-9").display().to_string(),
    );
    type_into(&mut h, "Case ID", "IR-9");
    type_into(&mut h, "Examiner", "Dana Scully");
    replace_text(&mut h, "Time zone", "Asia/Tokyo");
    click(&mut h, "Create case");
    wait_until(&mut h, "the case to open", |h| h.state().case.is_some());
    click(&mut h, "Logs");
    add_source(&mut h, "Add log source", &auth);
    add_source(&mut h, "Add log source", &access);
    click(&mut h, "Read logs");
    wait_until(&mut h, "the logs to load", |h| {
        h.state().v::<LogsView>().loaded.is_some() && h.state().v::<LogsView>().rows.len() == 11
    });
    assert!(shows(&h, "Time (Asia/Tokyo)"), "the column names the zone");
    assert!(
        h.query_all_by_label_contains("2026-11-22 19:00:20 +09:00")
            .next()
            .is_some(),
        "10:00:20 UTC is shown as Tokyo time"
    );
    // 19:00:10 in Tokyo is 10:00:10 UTC: one failure, both logins and the
    // three web requests are at or after it (read as UTC it would be none).
    type_into(&mut h, "From (Asia/Tokyo)", "2026-11-22 19:00:10");
    wait_until(&mut h, "the filter", |h| {
        h.state().v::<LogsView>().rows.len() == 6
    });

    build_timeline(&mut h, &auth);
    assert!(
        shows(&h, "Time (Asia/Tokyo)"),
        "the timeline names the zone too"
    );
    assert!(
        h.query_all_by_label_contains("19:00:20 +09:00")
            .next()
            .is_some()
    );
}

/// Logs of two snapshots of one host read together: each line once, and a
/// Snapshot column names the archive it was read from and how many other
/// snapshots hold it; one archive alone has no such column.
#[test]
fn logs_of_two_snapshots_name_each_lines_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let host = tmp.path().join("host");
    let (auth, _) = fixtures(&host.join("var/log"));
    let a = core_capture(&host, &tmp.path().join("a"));
    let mut more = std::fs::read_to_string(&auth).unwrap();
    more.push_str("Nov 22 11:00:00 web1 sshd[4300]: Accepted publickey for ops from 192.0.2.77 port 40001 ssh2\n");
    std::fs::write(&auth, more).unwrap();
    set_mtime_2026(&auth);
    let b = core_capture(&host, &tmp.path().join("b"));

    let mut h = logs_of_archive(&a);
    assert!(!shows(&h, "Snapshot"), "one snapshot: no column");
    add_source(&mut h, "Add log source", &b);
    click(&mut h, "Read logs");
    wait_until(&mut h, "both snapshots' logs", |h| {
        h.state()
            .v::<LogsView>()
            .loaded
            .as_ref()
            .is_some_and(|l| l.store.sources.len() >= 4)
            && !h.state().v::<LogsView>().rows.is_empty()
    });
    assert!(shows(&h, "Snapshot"));
    let an = a.file_name().unwrap().to_string_lossy().into_owned();
    let bn = b.file_name().unwrap().to_string_lossy().into_owned();
    assert!(shows(&h, &format!("{an} +1")), "a line both snapshots hold");
    assert!(shows(&h, &bn), "the line only the second holds");
}

/// On a 1024×700 laptop screen the event detail opens below the table
/// without covering it: its Star button takes a real pointer click, and
/// the rows above it stay where the pointer finds them.
#[test]
fn timeline_detail_fits_a_laptop_screen_and_takes_clicks() {
    let tmp = tempfile::tempdir().unwrap();
    let (auth, _) = fixtures(&tmp.path().join("logs"));
    let case_dir = tmp.path().join("case");
    case::create(
        &case_dir,
        CaseInfo {
            case_id: "IR-7".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let mut h = app(1024.0, 700.0, Settings::default());
    h.step();
    open_case(&mut h, &case_dir);
    build_timeline(&mut h, &auth);
    click_row(&mut h, ACCEPTED);
    wait_until(&mut h, "the selection", |h| {
        h.state().v::<TimelineView>().selected.is_some()
    });
    let star = h.get_by_label("Star event").rect();
    assert!(star.bottom() <= 700.0 && star.right() <= 1024.0, "{star:?}");
    // The selected row scrolls back into view above the detail panel.
    wait_until(&mut h, "the selected row in view", |h| {
        h.query_all_by_label(ACCEPTED).count() == 2
    });
    for row in h.query_all_by_label(ACCEPTED).map(|n| n.rect()) {
        assert!(
            row.bottom() <= star.top() || row.top() >= star.bottom(),
            "{row:?} overlaps the detail's buttons {star:?}"
        );
    }
    pointer_click(&mut h, "Star event");
    wait_until(&mut h, "the star", |h| shows(h, "Starred only (1)"));
}
