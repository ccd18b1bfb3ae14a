//! One module per screen, and the one list of them ([`all`]). Each view
//! owns its form state and its background jobs, drains its jobs in
//! [`View::logic`] (before the frame is drawn), draws itself in
//! [`View::ui`], and asks the app for anything beyond itself through
//! [`crate::gui::context::Command`]s. Views import
//! [`crate::gui::context`] (where the [`View`] trait lives), the widgets,
//! jobs and theme, never the app, this list, or each other.
//!
//! Adding a screen: a file here with a type implementing [`View`] (its
//! `screen()` names it), and one entry in [`all`] (whose order is the tab
//! order and gives the Ctrl+1…9, 0 shortcuts).

pub mod browser;
pub mod capture;
pub mod compare;
pub mod custody;
pub mod findings;
pub mod hosts;
pub mod investigation;
pub mod logs;
pub mod start;
pub mod timeline;
pub mod verify;

use crate::gui::context::Settings;

pub use crate::gui::context::View;

/// Every screen, in tab order: the one list of views.
pub fn all(settings: &Settings) -> Vec<Box<dyn View>> {
    vec![
        Box::new(start::StartView::new(settings)),
        Box::new(investigation::InvestigationView::default()),
        Box::new(capture::CaptureView::new(settings)),
        Box::new(browser::BrowserView::default()),
        Box::new(verify::VerifyView::default()),
        Box::new(custody::CustodyView::default()),
        Box::new(compare::CompareView::default()),
        Box::new(findings::FindingsView::default()),
        Box::new(logs::LogsView::default()),
        Box::new(timeline::TimelineView::default()),
        // Shown only for a case of several hosts; last, so that the other
        // tabs keep their shortcuts.
        Box::new(hosts::HostsView::default()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_screen_and_title_is_listed_once() {
        let views = all(&Settings::default());
        let screens: std::collections::HashSet<_> = views.iter().map(|v| v.screen()).collect();
        let mut titles: Vec<_> = views.iter().map(|v| v.title()).collect();
        assert_eq!(
            titles.first(),
            Some(&"Cases"),
            "the start screen comes first"
        );
        titles.sort_unstable();
        titles.dedup();
        assert_eq!(screens.len(), views.len());
        assert_eq!(titles.len(), views.len());
        let always: Vec<_> = views.iter().filter(|v| v.tab_shown()).collect();
        assert!(
            always.len() <= 10,
            "Ctrl+1…9 and Ctrl+0 reach every tab shown without a case"
        );
    }
}
