//! The Exhibit workstation: an eframe/egui desktop application over the core
//! library. It is built only with the `gui` feature and nothing in the core
//! imports it.
//!
//! - [`app`]: the application: frame layout, shortcuts, dropped files, and
//!   the commands views ask for;
//! - [`context`]: what the app and views share (settings, screens,
//!   commands, the per-frame [`context::ViewCtx`]);
//! - [`jobs`]: background jobs (capture, verify, loading) and file dialogs;
//!   [`derived`]: a value recomputed in the background from a query;
//! - [`case`]: case folders (`case.json` beside the archives);
//! - [`custody_log`]: custody-log rows for display, from the core's lenient
//!   check;
//! - [`keyring`]: signing keys of the session; [`trust`]: the case's
//!   trusted signers panel; [`partial`] and [`unlock`]: dialogs;
//! - [`views`]: one module per screen and the one list of them;
//!   [`widgets`] and [`theme`]: shared look.
//!
//! Imports go one way: `app` → `views` → `context`, `widgets`, `jobs`,
//! `derived`, `theme`, `case` → `custody_log`; nothing imports `app`.

pub mod app;
pub mod context;
pub mod derived;
pub mod jobs;
pub mod keyring;
pub mod partial;
pub mod theme;
pub mod trust;
pub mod unlock;
pub mod views;
pub mod widgets;

pub use app::ExhibitApp;
pub use context::{Screen, Settings};

/// Open the workstation window and run until it is closed.
pub fn run() -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Exhibit — evidence workstation")
            .with_app_id("exhibit")
            .with_inner_size([1360.0, 860.0])
            .with_min_inner_size([960.0, 620.0])
            .with_icon(theme::app_icon())
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "exhibit",
        options,
        Box::new(|cc| Ok(Box::new(ExhibitApp::new(cc)))),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the workstation window: {e}"))
}
