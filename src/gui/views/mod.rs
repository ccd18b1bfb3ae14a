//! One module per screen. Each view owns its form state and its background
//! jobs, draws itself in `ui`, drains its jobs in `poll`, and asks the app for
//! anything beyond itself through [`crate::gui::app::Command`]s.

pub mod browser;
pub mod capture;
pub mod compare;
pub mod custody;
pub mod findings;
pub mod start;
pub mod verify;
