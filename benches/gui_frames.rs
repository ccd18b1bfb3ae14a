//! Frame times of the evidence browser with a large archive loaded.
//!
//! Drives the real workstation headlessly with egui_kittest: opens the
//! archive through the Evidence screen, takes the time to the first usable
//! frame (one that lists entries while the rest loads) and the frame times
//! while scrolling during the load, then measures how long each frame
//! takes while the file table is scrolled by mouse-wheel and page jumps,
//! while a path filter runs, and after sorting by size. With
//! `EXHIBIT_FRAMES_BREAKDOWN=1` it first times each step of an open on one
//! thread and runs the previous loader and the streaming one side by side. A kittest frame also
//! rebuilds the accessibility tree, which the desktop app does only when a
//! screen reader asks, so these are upper bounds on the app's CPU cost per
//! frame; GPU painting is not included (see docs/workstation.md for the
//! Xvfb check of the real window).
//!
//! ```text
//! EXHIBIT_FRAMES_ARCHIVE=/path/to/big.zip cargo bench --bench gui_frames
//! python3 benches/gen_browser_archive.py /tmp/big   # a 1,001,002-entry archive
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
    if std::env::var_os("EXHIBIT_FRAMES_BREAKDOWN").is_some() {
        breakdown(&archive);
    }
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
    // The first usable frame: one that lists records (they can be
    // scrolled and selected; the rest is still being read).
    let first_frames = wait(&mut h, |h| {
        !h.state()
            .view::<BrowserView>()
            .expect("the evidence view")
            .records()
            .is_empty()
    });
    let first_at = t.elapsed();
    let first_rows = first_row(&h);
    let shown_at_first = h
        .state()
        .view::<BrowserView>()
        .expect("the evidence view")
        .records()
        .len();
    // Scroll while the rest loads: these frames are what a user sees.
    h.hover_at(egui::pos2(700.0, 600.0));
    let mut loading_frames = first_frames.clone();
    let mut while_loading = Vec::new();
    while h
        .state()
        .view::<BrowserView>()
        .expect("the evidence view")
        .loading()
        && while_loading.len() < 100_000
    {
        h.event(wheel_event(egui::MouseWheelUnit::Point, -60.0));
        std::thread::sleep(Duration::from_millis(10));
        while_loading.push(timed_step(&mut h));
    }
    loading_frames.extend_from_slice(&while_loading);
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
        "first usable frame: {:.2} s after Open ({} entries listed, first row {:?})",
        first_at.as_secs_f64(),
        thousands(shown_at_first),
        first_rows
    );
    report("frames while loading, scrolling by wheel", &while_loading);
    loading_frames.extend_from_slice(&load_frames);
    println!(
        "open + load + index: {:.2} s ({} frames meanwhile, p50 {:.1} ms, worst {:.1} ms); RSS after load {}",
        load.as_secs_f64(),
        loading_frames.len(),
        pct(&loading_frames, 0.5),
        max_ms(&loading_frames),
        rss()
    );
    // Back to the top for the scroll figures below.
    for _ in 0..50 {
        h.event(wheel_event(egui::MouseWheelUnit::Page, 200.0));
        h.step();
    }

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

/// Where an open's time goes, step by step on this thread (the steps the
/// browser's load runs, without the GUI).
fn breakdown(archive: &Path) {
    use exhibit::archive::Archive;
    let t = Instant::now();
    let a = Archive::open(archive).unwrap();
    let open = t.elapsed();
    let t = Instant::now();
    let _ = a.acquisition();
    let acq = t.elapsed();
    let t = Instant::now();
    let raw = a.read_tag("exhibit/files.jsonl", 16 << 30).unwrap();
    let read = t.elapsed();
    let jsonl = raw.len();
    drop(raw);
    let t = Instant::now();
    let (records, _) = a.records().unwrap();
    let recs = t.elapsed();
    let t = Instant::now();
    let tree = exhibit::viewmodel::browser::FolderTree::build(&records);
    let tree_t = t.elapsed();
    let t = Instant::now();
    let m = exhibit::archive::checked::read_sealed_manifest(&a);
    let man = t.elapsed();
    println!(
        "breakdown: zip index {:.2} s ({} members), acquisition {:.3} s, files.jsonl read+inflate {:.2} s ({} MB), \
         records read+parse {:.2} s ({} records), folder tree {:.2} s ({} folders), manifest {:.2} s ({} lines)",
        open.as_secs_f64(),
        thousands(a.index.members.len()),
        acq.as_secs_f64(),
        read.as_secs_f64(),
        jsonl >> 20,
        recs.as_secs_f64(),
        thousands(records.len()),
        tree_t.as_secs_f64(),
        thousands(tree.nodes.len()),
        man.as_secs_f64(),
        thousands(m.as_ref().map_or(0, |m| m.len())),
    );
    drop((a, records, tree, m));
    // The two loaders side by side, headless: the previous one (all of the
    // above before anything is shown) and the streaming one the browser
    // runs now (records sent in batches while the index is checked).
    let t = Instant::now();
    let old =
        exhibit::viewmodel::browser::load_archive(archive.to_path_buf(), &exhibit::job::NoProgress)
            .unwrap();
    let old_t = t.elapsed();
    drop(old);
    let first = std::cell::Cell::new(None);
    let n = std::cell::Cell::new(0usize);
    let t = Instant::now();
    let rest = exhibit::viewmodel::browser::load_archive_streaming(
        archive.to_path_buf(),
        &exhibit::viewmodel::browser::LoadPacing::default(),
        &|e| {
            if let exhibit::viewmodel::browser::LoadEvent::Records { records, .. } = e {
                if first.get().is_none() {
                    first.set(Some(t.elapsed()));
                }
                n.set(n.get() + records.len());
            }
        },
        &exhibit::job::NoProgress,
        &exhibit::job::CancelToken::new(),
    )
    .unwrap();
    let new_t = t.elapsed();
    drop(rest);
    let first = first.get().unwrap_or_default();
    println!(
        "loaders: previous {:.2} s to anything shown; streaming: first records after {:.3} s \
         ({:.0}x sooner), all {} records + checked index + manifest after {:.2} s ({:.2}x the previous)",
        old_t.as_secs_f64(),
        first.as_secs_f64(),
        old_t.as_secs_f64() / first.as_secs_f64().max(1e-9),
        thousands(n.get()),
        new_t.as_secs_f64(),
        new_t.as_secs_f64() / old_t.as_secs_f64().max(1e-9),
    );
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
