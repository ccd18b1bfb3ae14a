//! `exhibit report EVIDENCE... -o report.html`: the investigation as one
//! self-contained HTML (or Markdown, or JSON) report with the evidence's
//! verification and custody status computed now, the incident checklist and
//! a post-mortem draft. It runs `investigate::investigate`, checks every
//! evidence item with `report::investigation::evidence_status`, and renders
//! with `report::investigation`.

use super::{EXIT_ERROR, EXIT_FAIL, EXIT_OK, progress::Bar, report_error};
use anyhow::Context as _;
use exhibit::case::checklist::Checklist;
use exhibit::investigate::{self, InvestigateRequest};
use exhibit::leak::SampleFormat;
use exhibit::report::investigation::{self as inv_report, EvidenceStatus, ReportInput};
use std::path::{Path, PathBuf};

/// The report's formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One self-contained HTML page (prints to PDF from a browser).
    Html,
    /// Markdown, to edit the post-mortem draft.
    Md,
    /// `{investigation, evidence_status, checklist}` as JSON.
    Json,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Evidence archives or folders.
    #[arg(required = true)]
    pub evidence: Vec<PathBuf>,
    /// A published sample to validate against the evidence.
    #[arg(long, value_name = "SAMPLE")]
    pub leak: Option<PathBuf>,
    /// The sample's format (default: detected): csv, json, jsonl, mysql,
    /// postgres, lines.
    #[arg(long, value_name = "FORMAT", value_parser = parse_sample_format, requires = "leak")]
    pub leak_format: Option<SampleFormat>,
    /// The case folder: its case.json heads the report, its checklist.json
    /// is printed (the default steps without it).
    #[arg(long, value_name = "DIR")]
    pub case: Option<PathBuf>,
    /// Where to write the report (required for html and md; json goes to
    /// stdout without it).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Html)]
    pub format: Format,
    /// OpenSSH allowed_signers file: whose custody signatures to trust when
    /// checking the evidence.
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub trust: Option<PathBuf>,
    /// UTC offset of the examined system's local time (e.g. +02:00), for
    /// logs that write no zone. Default: inferred, else UTC.
    #[arg(long, value_name = "OFFSET", allow_hyphen_values = true)]
    pub tz: Option<String>,
    /// Real values instead of masked ones in the leak examples.
    #[arg(long)]
    pub show_values: bool,
    /// A rules directory: `*.toml` file rules and `logs/*.toml` log
    /// detection settings over the built-in ones (docs/detections.md).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    #[command(flatten)]
    pub ioc: super::ioc::IocArgs,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn parse_sample_format(s: &str) -> Result<SampleFormat, String> {
    SampleFormat::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = SampleFormat::ALL.iter().map(|f| f.name()).collect();
        format!("unknown sample format `{s}` (one of {})", names.join(", "))
    })
}

/// True when `a` and `b` name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
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
    if a.format != Format::Json && a.output.is_none() {
        anyhow::bail!("-o FILE is required for the html and md formats");
    }
    if let Some(out) = &a.output {
        let inputs = a.evidence.iter().chain(a.leak.iter());
        if let Some(p) = inputs.clone().find(|p| same_file(p, out)) {
            anyhow::bail!(
                "refusing to overwrite evidence with the report: {}",
                p.display()
            );
        }
    }
    if let Some(t) = &a.trust {
        let signers = exhibit::custody::AllowedSigners::load(t)
            .map_err(|e| anyhow::anyhow!("cannot read allowed signers: {e}"))?;
        super::custody::warn_skipped(t, &signers);
    }
    let case = a
        .case
        .as_deref()
        .map(exhibit::case::open)
        .transpose()
        .context("cannot open the case")?;
    let checklist = match &case {
        Some(c) => Checklist::load(&c.dir).context("cannot read the case's checklist")?,
        None => Checklist::default(),
    };

    let tz_offset_s = match &a.tz {
        None => None,
        Some(t) => Some(
            super::logs::parse_tz(t)
                .with_context(|| format!("bad --tz {t:?}: expected like +02:00"))?,
        ),
    };
    let cancel = super::progress::cancel_on_ctrl_c();
    let bar = Bar::new(a.quiet || (a.format == Format::Json && a.output.is_none()));
    let req = InvestigateRequest {
        evidence: a.evidence.clone(),
        leak: a.leak.clone(),
        leak_format: a.leak_format,
        tz_offset_s,
        show_values: a.show_values,
        rules_dir: a.rules.clone(),
        ioc: a.ioc.load()?,
        ..InvestigateRequest::default()
    };
    let investigation = investigate::investigate(&req, &bar, &cancel);
    let investigation = match investigation {
        Ok(i) => i,
        Err(e) => {
            bar.finish();
            return Err(anyhow::Error::new(e).context("cannot investigate the evidence"));
        }
    };
    let mut statuses: Vec<EvidenceStatus> = Vec::with_capacity(a.evidence.len());
    for p in &a.evidence {
        statuses.push(inv_report::evidence_status(
            p,
            a.trust.as_deref(),
            &bar,
            &cancel,
        ));
        if cancel.is_cancelled() {
            bar.finish();
            anyhow::bail!("cancelled");
        }
    }
    bar.finish();

    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let input = ReportInput {
        investigation: &investigation,
        evidence_status: &statuses,
        case: case.as_ref().map(|c| &c.info),
        checklist: Some(&checklist),
        generated_at: &now,
    };
    match a.format {
        Format::Json => {
            let doc = serde_json::json!({
                "investigation": investigation,
                "evidence_status": statuses,
                "checklist": checklist,
            });
            match &a.output {
                Some(out) => write(out, &format!("{doc:#}\n"))?,
                None => super::print_json(&doc),
            }
        }
        Format::Html => write(output(a)?, &inv_report::render_html(&input))?,
        Format::Md => write(output(a)?, &inv_report::render_markdown(&input))?,
    }
    if let Some(out) = &a.output {
        outln!("report: {}", out.display());
    }
    let failed: Vec<&EvidenceStatus> = statuses
        .iter()
        .filter(|s| {
            matches!(
                s.verification,
                inv_report::Verification::Failed | inv_report::Verification::Unreadable
            )
        })
        .collect();
    for s in &failed {
        errln!(
            "exhibit: warning: {} did not verify ({}, {} problem(s)); the report says so",
            s.path,
            s.verification.as_str(),
            s.problems
        );
    }
    Ok(if failed.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAIL
    })
}

fn output(a: &Args) -> anyhow::Result<&Path> {
    a.output
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("-o FILE is required"))
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
