//! `exhibit scan SNAPSHOT`: findings on one snapshot, without a baseline.

use super::diff::{JudgeArgs, print_findings};
use super::{EXIT_ERROR, progress::Bar, report_error};
use exhibit::detect::files::{self, ScanRequest};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// An evidence archive or a directory (read as a target root).
    pub snapshot: PathBuf,
    /// Print the result as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub judge: JudgeArgs,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn run(a: Args) -> u8 {
    match run_inner(&a) {
        Ok(code) => code,
        Err(e) => {
            report_error(&e);
            EXIT_ERROR
        }
    }
}

fn run_inner(a: &Args) -> anyhow::Result<u8> {
    let req = ScanRequest {
        snapshot: a.snapshot.clone(),
        rules_dir: a.judge.rules.clone(),
        hash_sets: a.judge.hash_sets()?,
        yara: a.judge.yara.request()?,
        ioc: a.judge.ioc.load()?,
    };
    let cancel = super::progress::cancel_on_ctrl_c();
    let bar = Bar::new(a.quiet || a.json);
    let result = files::scan(&req, &bar, &cancel);
    bar.finish();
    let r = result?;
    if a.json {
        let mut doc = serde_json::json!({ "snapshot": r.snapshot, "findings": r.findings });
        if let Some(y) = &r.yara {
            doc["yara"] = serde_json::to_value(y)?;
        }
        let ioc = super::ioc::IocArgs::summary(&req.ioc);
        if let (false, Some(m)) = (ioc.is_null(), doc.as_object_mut()) {
            m.insert("ioc".into(), ioc);
        }
        super::print_json(&doc);
    } else {
        outln!(
            "snapshot: {} ({} entries)",
            r.snapshot.label,
            r.snapshot.entries
        );
        for p in &r.snapshot.problems {
            outln!("problem: {p}");
        }
        print_findings(&r.findings);
        if let Some(y) = &r.yara {
            super::yara_args::print_summary(y);
        }
    }
    Ok(a.judge.exit_code(&r.findings))
}
