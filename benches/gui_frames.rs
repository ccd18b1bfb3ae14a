//! Frame times of the evidence browser with a large archive loaded.
//!
//! Drives the real workstation headlessly with egui_kittest: opens the
//! archive through the Evidence screen, then measures how long each frame
//! takes while the file table is scrolled by mouse-wheel and page jumps,
//! while a path filter runs, and after sorting by size. A kittest frame also
//! rebuilds the accessibility tree, which the desktop app does only when a
//! screen reader asks, so these are upper bounds on the app's CPU cost per
//! frame; GPU painting is not included (see docs/workstation.md for the
//! Xvfb check of the real window).
//!
//! ```text
//! EXHIBIT_FRAMES_ARCHIVE=/path/to/big.zip cargo bench --bench gui_frames
//! ```
//! Without `EXHIBIT_FRAMES_ARCHIVE`, it captures a generated tree of
//! `EXHIBIT_FRAMES_ENTRIES` files (default 20,000) into a temporary folder.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use exhibit::gui::views::{View as _, browser::BrowserView};
use exhibit::gui::{ExhibitApp, Settings};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

type H = Harness<'static, ExhibitApp>;

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = match std::env::var_os("EXHIBIT_FRAMES_ARCHIVE") {
        Some(p) => PathBuf::from(p),
        None => {
            let n: usize = std::env::var("EXHIBIT_FRAMES_ENTRIES")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(20_000);
            generated_archive(tmp.path(), n)
        }
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1440.0, 900.0))
        .build_eframe(|_cc| ExhibitApp::with_settings(Settings::default()));
    h.step();
    h.get_by_label("Evidence").click();
    h.step();
    h.get_by_label("Archive").click();
    h.step();
    h.get_by_label("Archive")
        .type_text(&archive.display().to_string());
    h.step();
    h.get_by_label("Open archive").click();
    let t = Instant::now();
    let load_frames = wait(&mut h, |h| {
        h.state()
            .view::<BrowserView>()
            .expect("the evidence view")
            .loaded
            .is_some()
            && h.state()
                .view::<BrowserView>()
                .expect("the evidence view")
                .busy()
                .is_empty()
    });
    let load = t.elapsed();
    let entries = h
        .state()
        .view::<BrowserView>()
        .expect("the evidence view")
        .loaded
        .as_ref()
        .map_or(0, |l| l.records.len());
    println!(
        "archive: {} ({} entries)",
        archive.display(),
        thousands(entries)
    );
    println!(
        "open + load + index: {:.2} s ({} frames meanwhile, worst {:.1} ms); RSS after load {}",
        load.as_secs_f64(),
        load_frames.len(),
        max_ms(&load_frames),
        rss()
    );

    // Hover the table so wheel events scroll it.
    h.hover_at(egui::pos2(700.0, 600.0));
    h.step();
    let first_before = first_row(&h);
    let mut wheel = Vec::new();
    for _ in 0..300 {
        h.event(wheel_event(egui::MouseWheelUnit::Point, -60.0));
        wheel.push(timed_step(&mut h));
    }
    report("scroll by wheel (300 frames)", &wheel);
    let mut pages = Vec::new();
    for _ in 0..100 {
        h.event(wheel_event(egui::MouseWheelUnit::Page, -200.0));
        pages.push(timed_step(&mut h));
    }
    report("jump 200 pages per frame (100 frames)", &pages);
    let first_after = first_row(&h);
    println!(
        "first visible row: {first_before:?} -> {first_after:?} ({})",
        if first_before == first_after {
            "DID NOT SCROLL"
        } else {
            "scrolled"
        }
    );

    h.get_by_label("Filter paths").click();
    h.step();
    h.get_by_label("Filter paths").type_text("file0999");
    let t = Instant::now();
    let filter_frames = wait(&mut h, |h| {
        let b = &h.state().view::<BrowserView>().expect("the evidence view");
        b.busy().is_empty() && b.rows.len() < entries
    });
    println!(
        "filter 'file0999': {:.0} ms to {} rows; frames meanwhile p50 {:.1} ms, worst {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3,
        thousands(
            h.state()
                .view::<BrowserView>()
                .expect("the evidence view")
                .rows
                .len()
        ),
        pct(&filter_frames, 0.5),
        max_ms(&filter_frames)
    );
    h.get_by_label("Filter paths").click();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.key_press(egui::Key::Backspace);
    h.step();
    wait(&mut h, |h| {
        let b = &h.state().view::<BrowserView>().expect("the evidence view");
        b.busy().is_empty() && b.rows.len() == entries
    });
    let unsorted_first = first_row(&h);
    h.get_by_label("Size").click();
    let t = Instant::now();
    let sort_frames = wait(&mut h, |h| {
        h.state()
            .view::<BrowserView>()
            .expect("the evidence view")
            .busy()
            .is_empty()
            && first_row(h) != unsorted_first
    });
    println!(
        "sort by size: {:.0} ms; frames meanwhile p50 {:.1} ms, worst {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3,
        pct(&sort_frames, 0.5),
        max_ms(&sort_frames)
    );
    let mut idle = Vec::new();
    for _ in 0..100 {
        idle.push(timed_step(&mut h));
    }
    report("idle frames after sorting (100)", &idle);
    println!("RSS at end {}", rss());
}

fn generated_archive(dir: &Path, n: usize) -> PathBuf {
    let src = dir.join("tree");
    for i in 0..n {
        let d = src.join(format!("srv/dir{:04}", i / 1000));
        if i % 1000 == 0 {
            std::fs::create_dir_all(&d).unwrap();
        }
        std::fs::write(d.join(format!("file{:04}.txt", i % 1000)), format!("{i}\n")).unwrap();
    }
    let mut req =
        exhibit::capture::CaptureRequest::new(vec![src], dir.join("out"), "BENCH", "bench");
    req.compression = exhibit::capture::Compression::Store;
    exhibit::capture::capture(
        &req,
        &exhibit::job::NoProgress,
        &exhibit::job::CancelToken::new(),
    )
    .unwrap()
    .archive
}

fn wheel_event(unit: egui::MouseWheelUnit, dy: f32) -> egui::Event {
    egui::Event::MouseWheel {
        unit,
        delta: egui::vec2(0.0, dy),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    }
}

/// One frame: the app's UI plus tessellation of what it drew.
fn timed_step(h: &mut H) -> Duration {
    let t = Instant::now();
    h.step();
    let shapes = h.output().shapes.clone();
    let _ = h.ctx.tessellate(shapes, 1.0);
    t.elapsed()
}

/// Step until `done`, returning each frame's time (bounded at 10 minutes).
fn wait(h: &mut H, done: impl Fn(&H) -> bool) -> Vec<Duration> {
    let start = Instant::now();
    let mut frames = Vec::new();
    while !done(h) {
        assert!(start.elapsed() < Duration::from_secs(600), "timed out");
        std::thread::sleep(Duration::from_millis(10));
        frames.push(timed_step(h));
    }
    frames
}

fn first_row(h: &H) -> Option<String> {
    h.query_all_by_label_contains("file")
        .filter_map(|n| n.value())
        .find(|l| l.contains('/'))
}

fn pct(v: &[Duration], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut ms: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let i = ((ms.len() - 1) as f64 * p).round() as usize;
    ms[i]
}

fn max_ms(v: &[Duration]) -> f64 {
    pct(v, 1.0)
}

fn report(what: &str, v: &[Duration]) {
    let mean = v.iter().map(Duration::as_secs_f64).sum::<f64>() / v.len().max(1) as f64;
    println!(
        "{what}: mean {:.1} ms ({:.0} fps), p50 {:.1} ms, p95 {:.1} ms, worst {:.1} ms",
        mean * 1e3,
        1.0 / mean.max(1e-9),
        pct(v, 0.5),
        pct(v, 0.95),
        max_ms(v)
    );
}

fn rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(|l| l.trim_start_matches("VmRSS:").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
