//! Exhibit's integration tests, in one test binary: one link instead of
//! one per file, and one set of shared helpers ([`util`]: building source
//! trees, running the real `exhibit` binary, reading archives back with
//! tools Exhibit did not write; [`util::custody`] for the signed custody
//! fixtures; `util::gui` for driving the workstation in egui_kittest).
//!
//! Each module below is one area; run one with
//! `cargo test --all-features --test tests AREA::` (e.g. `verify_tamper::`).
//! The GUI modules need the `gui` feature.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod util;

mod aide_peer;
mod architecture;
mod capture;
mod capture_faults;
mod capture_review;
mod capture_spill;
mod cli_basics;
mod custody_cli;
mod custody_tamper;
mod diff_findings;
mod diff_real_logs;
mod diff_scope;
mod encrypt;
mod examine_stream;
mod extract;
mod fleet_ansible;
mod forms;
mod fuzz_parsers;
#[cfg(feature = "gui")]
mod gui_browser_load;
#[cfg(feature = "gui")]
mod gui_compare;
#[cfg(feature = "gui")]
mod gui_compare_scope;
#[cfg(feature = "gui")]
mod gui_exports;
#[cfg(feature = "gui")]
mod gui_forms;
#[cfg(feature = "gui")]
mod gui_hosts;
#[cfg(feature = "gui")]
mod gui_integrity;
#[cfg(feature = "gui")]
mod gui_ioc;
#[cfg(feature = "gui")]
mod gui_logs;
#[cfg(feature = "gui")]
mod gui_remote;
#[cfg(feature = "gui")]
mod gui_workstation;
#[cfg(feature = "gui")]
mod gui_yara;
mod integrity;
mod interop;
mod investigate;
mod ioc;
mod leak;
mod live;
mod logs_cli;
mod logs_golden;
mod logs_journal;
mod logs_more_sources;
mod logs_shapes;
mod logs_snapshots;
mod logs_wtmpdb;
mod portable_cli;
mod profiles;
mod remote_capture;
mod report_investigation;
mod stack;
mod verify_tamper;
mod yara;
