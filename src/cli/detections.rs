//! `exhibit detections`: the catalog of everything that can raise a
//! finding — file rules, file detectors, log detections — with what each
//! reads and whether it needs a baseline.

use super::{EXIT_ERROR, EXIT_OK, report_error};
use exhibit::detect::catalog::{self, Kind};
use exhibit::detect::detector::{Baseline, Input};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A rules directory: `*.toml` file rules and `logs/*.toml` log
    /// detection settings over the built-in ones.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Print the catalog as one JSON document.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> u8 {
    let entries = match catalog::catalog(a.rules.as_deref()) {
        Ok(e) => e,
        Err(e) => {
            report_error(&e.into());
            return EXIT_ERROR;
        }
    };
    if a.json {
        super::print_json(&serde_json::json!({ "detections": entries }));
        return EXIT_OK;
    }
    for (kind, heading) in [
        (
            Kind::FileRule,
            "File rules (assets/rules/*.toml and --rules)",
        ),
        (Kind::FileDetector, "File detectors"),
        (Kind::LogDetection, "Log detections"),
    ] {
        outln!("{heading}:");
        for e in entries.iter().filter(|e| e.kind == kind) {
            let input = match e.needs.input {
                Input::Files => "files",
                Input::Events => "logs",
            };
            let baseline = match e.needs.baseline {
                Baseline::Required => ", diff only",
                Baseline::Optional => "",
                Baseline::Unused => "",
            };
            let severity = e
                .severity
                .map(|s| format!(" [{}]", s.as_str()))
                .unwrap_or_default();
            let off = if e.disabled { " DISABLED" } else { "" };
            outln!("  {}{severity}{off} ({input}{baseline}): {}", e.id, e.title);
            if kind != Kind::FileRule {
                outln!("      reads: {}", e.needs.reads.join("; "));
            }
        }
        outln!();
    }
    EXIT_OK
}
