//! One module per screen, and the one list of them ([`all`]). Each view
//! owns its form state and its background jobs, drains its jobs in
//! [`View::logic`] (before the frame is drawn), draws itself in
//! [`View::ui`], and asks the app for anything beyond itself through
//! [`Command`]s. Views import [`crate::gui::context`], never the app.
//!
//! Adding a screen: a file here with a type implementing [`View`], a
//! variant of [`Screen`], and one entry in [`all`] (whose order is the tab
//! order and gives the Ctrl+1…9 shortcuts).

pub mod browser;
pub mod capture;
pub mod compare;
pub mod custody;
pub mod findings;
pub mod logs;
pub mod start;
pub mod timeline;
pub mod verify;

use crate::gui::case::CaseFolder;
use crate::gui::context::{Command, Screen, Settings, ViewCtx};
use std::any::Any;
use std::path::PathBuf;

/// A screen of the workstation.
pub trait View: Any {
    /// Which screen this is.
    fn screen(&self) -> Screen;

    /// The tab's title.
    fn title(&self) -> &'static str;

    /// Draw the screen (only the current screen is drawn).
    fn ui(&mut self, ui: &mut egui::Ui, vc: &mut ViewCtx<'_>);

    /// Drain finished background jobs and publish what other views read;
    /// runs for every view once per frame, before any drawing.
    fn logic(&mut self, ctx: &egui::Context, vc: &mut ViewCtx<'_>) {
        let _ = (ctx, vc);
    }

    /// Titles of running jobs, for the status bar.
    fn busy(&self) -> Vec<String> {
        Vec::new()
    }

    /// Handle a command meant for this view, or hand it back. A handled
    /// command switches to this view's screen.
    fn command(
        &mut self,
        ctx: &egui::Context,
        command: Command,
        settings: &Settings,
    ) -> Option<Command> {
        let _ = (ctx, settings);
        Some(command)
    }

    /// A file dropped while this screen is shown: take it, or hand it back
    /// for the app's default (open an archive or a case, or capture it).
    fn on_dropped_file(&mut self, path: PathBuf) -> Option<PathBuf> {
        Some(path)
    }

    /// What the drop overlay says on this screen, when it is not the app's
    /// default.
    fn drop_hint(&self) -> Option<&'static str> {
        None
    }

    /// A case was opened (or refreshed).
    fn on_case_opened(&mut self, case: &CaseFolder) {
        let _ = case;
    }
}

/// Every screen, in tab order: the one list of views.
pub fn all(settings: &Settings) -> Vec<Box<dyn View>> {
    vec![
        Box::new(start::StartView::new(settings)),
        Box::new(capture::CaptureView::new(settings)),
        Box::new(browser::BrowserView::default()),
        Box::new(verify::VerifyView::default()),
        Box::new(custody::CustodyView::default()),
        Box::new(compare::CompareView::default()),
        Box::new(findings::FindingsView::default()),
        Box::new(logs::LogsView::default()),
        Box::new(timeline::TimelineView::default()),
    ]
}
