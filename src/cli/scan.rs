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
    /// Also write an HTML report (the findings with their evidence) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    #[command(flatten)]
    pub judge: JudgeArgs,
    /// Hold every entry of the archive in memory, as the workstation does,
    /// instead of judging it in windows of consecutive entries (the same
    /// findings; more memory: about 230 bytes an entry).
    #[arg(long)]
    pub whole: bool,
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
        stream: !a.whole,
        window_entries: 0,
    };
    let cancel = super::progress::cancel_on_ctrl_c();
    let bar = Bar::new(a.quiet || a.json);
    let result = files::scan(&req, &bar, &cancel);
    bar.finish();
    let r = result?;
    let report = exhibit::report::findings::ScanReport {
        snapshot: &r.snapshot,
        findings: &r.findings,
        yara: r.yara.as_ref(),
        selection: None,
    };
    if let Some(path) = &a.html {
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        std::fs::write(path, exhibit::report::findings::render(&report, &at)).map_err(|e| {
            anyhow::anyhow!("cannot write the HTML report: {e}: {}", path.display())
        })?;
    }
    if a.json {
        let mut doc = exhibit::report::findings::json(&report);
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
    super::diff::warn_altered(&r.findings);
    Ok(a.judge.exit_code(&r.findings))
}
