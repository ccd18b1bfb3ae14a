//! Driving the workstation like a user in egui_kittest tests: build the
//! app, type into and click widgets found by their label, and wait for
//! background jobs by stepping frames with real time passing.
#![allow(dead_code, unused_imports, clippy::unwrap_used)]

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
pub use exhibit::gui::views::{
    View, browser::BrowserView, capture::CaptureView, compare::CompareView, findings::FindingsView,
    logs::LogsView, timeline::TimelineView,
};
use exhibit::gui::{ExhibitApp, Settings};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub type H = Harness<'static, ExhibitApp>;

/// A view of the app by its type (every view is in the app's list).
pub trait Views {
    fn v<V: View>(&self) -> &V;
    fn v_mut<V: View>(&mut self) -> &mut V;
}

impl Views for ExhibitApp {
    fn v<V: View>(&self) -> &V {
        self.view::<V>().expect("the view is in the app's list")
    }
    fn v_mut<V: View>(&mut self) -> &mut V {
        self.view_mut::<V>().expect("the view is in the app's list")
    }
}

/// The whole app in a window of `width`×`height` points.
pub fn app(width: f32, height: f32, settings: Settings) -> H {
    Harness::builder()
        .with_size(egui::vec2(width, height))
        .build_eframe(move |_cc| ExhibitApp::with_settings(settings.clone()))
}

/// Step frames (with real time passing for background jobs) until `done`.
pub fn wait_until(h: &mut H, what: &str, done: impl Fn(&H) -> bool) {
    let start = Instant::now();
    while !done(h) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.step();
}

/// Click the labelled field and type `text` after what it holds.
pub fn type_into(h: &mut H, label: &str, text: &str) {
    h.get_by_label(label).click();
    h.step();
    h.get_by_label(label).type_text(text);
    h.step();
}

/// Click the labelled field, select all it holds and type `text` over it.
pub fn replace_text(h: &mut H, label: &str, text: &str) {
    h.get_by_label(label).click();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label(label).type_text(text);
    h.step();
}

pub fn click(h: &mut H, label: &str) {
    // A click lands where the widget was last drawn: when a background job
    // has just finished, the layout can still move, so wait (a few frames
    // at most) until the widget holds still, like a user's eye would.
    for _ in 0..10 {
        let before = h.get_by_label(label).rect();
        h.step();
        if h.get_by_label(label).rect() == before {
            break;
        }
    }
    h.get_by_label(label).click();
    h.step();
    h.step();
}

/// Step frames until a link labelled `label` is shown (lists are filtered
/// in the background, so their rows arrive a few frames after the data),
/// then click it.
pub fn click_link(h: &mut H, label: &str) {
    wait_until(h, label, |h| {
        h.query_all_by_role_and_label(Role::Link, label)
            .next()
            .is_some()
    });
    h.get_all_by_role_and_label(Role::Link, label)
        .next()
        .unwrap()
        .click();
    h.step();
}

/// A real pointer press and release at `p`: it reaches the widget drawn
/// there only if nothing covers it (unlike an accessibility click).
pub fn pointer_click_at(h: &mut H, p: egui::Pos2) {
    h.hover_at(p);
    h.step();
    h.drag_at(p);
    h.step();
    h.drop_at(p);
    h.step();
    h.step();
}

/// A real pointer click at the centre of the widget labelled `label`.
pub fn pointer_click(h: &mut H, label: &str) {
    let p = h.get_by_label(label).rect().center();
    pointer_click_at(h, p);
}

/// Click a table row by its text (the cell that shows exactly `text`, else
/// the first that contains it), just inside the cell's left edge: long
/// texts run past the window.
pub fn click_row(h: &mut H, text: &str) {
    let r = h
        .query_all_by_label(text)
        .next()
        .or_else(|| h.query_all_by_label_contains(text).next())
        .unwrap_or_else(|| panic!("no row showing {text}"))
        .rect();
    pointer_click_at(h, r.left_center() + egui::vec2(12.0, 0.0));
}

/// Whether some widget's label contains `text`.
pub fn shows(h: &H, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

/// Capture `src` with the core library (no GUI), stored, for case IR-9.
pub fn core_capture(src: &Path, out: &Path) -> PathBuf {
    let mut req = exhibit::capture::CaptureRequest::new(
        vec![src.to_path_buf()],
        out.to_path_buf(),
        "IR-9",
        "Tess",
    );
    req.compression = exhibit::capture::Compression::Store;
    super::run_capture(&req)
}
