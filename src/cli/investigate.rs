//! `exhibit investigate EVIDENCE...`: the answers (how, when, what was taken, who, erased, left behind), the credentials to reset, the gaps.

use super::{EXIT_ERROR, EXIT_OK, print_json, progress::Bar, report_error};
use anyhow::Context as _;
use exhibit::investigate::{self, Answer, InvestigateRequest, Investigation};
use exhibit::leak::SampleFormat;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Evidence archives or folders: one or more snapshots of one or more
    /// hosts (a host's earliest capture is the baseline).
    #[arg(required = true)]
    pub evidence: Vec<PathBuf>,
    /// A published sample to validate against the evidence.
    #[arg(long, value_name = "SAMPLE")]
    pub leak: Option<PathBuf>,
    /// The sample's format (csv, json, jsonl, mysql, postgres, lines) instead of detecting it.
    #[arg(long, value_name = "F")]
    pub leak_format: Option<String>,
    /// Print the investigation as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write the credentials to rotate as CSV to this file.
    #[arg(long, value_name = "FILE")]
    pub credentials_csv: Option<PathBuf>,
    /// Real values instead of masked ones in the leak's examples (secrets are never shown).
    #[arg(long)]
    pub show_values: bool,
    /// UTC offset of the examined system's local time (e.g. +02:00) for logs without a zone.
    #[arg(long, value_name = "OFFSET", allow_hyphen_values = true)]
    pub tz_offset: Option<String>,
    /// A rules directory: `*.toml` file rules and `logs/*.toml` log
    /// detection settings over the built-in ones (docs/detections.md).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    #[command(flatten)]
    pub yara: super::yara_args::YaraArgs,
    #[command(flatten)]
    pub ioc: super::ioc::IocArgs,
    /// No progress bar and no notes on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn run(a: Args) -> u8 {
    match run_inner(a) {
        Ok(c) => c,
        Err(e) => {
            report_error(&e);
            EXIT_ERROR
        }
    }
}

fn run_inner(a: Args) -> anyhow::Result<u8> {
    let tz_offset_s = match &a.tz_offset {
        Some(t) => Some(
            super::logs::parse_tz(t)
                .with_context(|| format!("bad --tz-offset {t:?}: expected like +02:00"))?,
        ),
        None => None,
    };
    let leak_format = match &a.leak_format {
        Some(f) => Some(SampleFormat::from_name(f).with_context(|| {
            let names: Vec<&str> = SampleFormat::ALL.iter().map(|f| f.name()).collect();
            format!("unknown --leak-format {f:?} (known: {})", names.join(", "))
        })?),
        None => None,
    };
    let req = InvestigateRequest {
        evidence: a.evidence.clone(),
        leak: a.leak.clone(),
        leak_format,
        tz_offset_s,
        show_values: a.show_values,
        rules_dir: a.rules.clone(),
        yara: a.yara.request()?,
        ioc: a.ioc.load()?,
    };
    let cancel = super::progress::cancel_on_ctrl_c();
    let bar = Bar::new(a.quiet);
    let result = investigate::investigate(&req, &bar, &cancel);
    bar.finish();
    let inv = result?;
    if let Some(path) = &a.credentials_csv {
        let f = std::fs::File::create(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        investigate::write_credentials_csv(&inv.credentials, std::io::BufWriter::new(f))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if a.json {
        let mut doc = serde_json::to_value(&inv)?;
        let ioc = super::ioc::IocArgs::summary(&req.ioc);
        if let (false, Some(m)) = (ioc.is_null(), doc.as_object_mut()) {
            m.insert("ioc".into(), ioc);
        }
        print_json(&doc);
    } else {
        print_human(&inv);
    }
    if !a.quiet {
        for n in &inv.notes {
            errln!("note: {n}");
        }
    }
    // Never quiet: the answers may rest on altered bytes.
    for x in &inv.altered {
        super::warn_altered(
            &x.detail,
            "evidence drawn from it may be altered (\"altered\" in --json)",
            &format!("{}:{}", x.snapshot, x.path),
        );
    }
    Ok(EXIT_OK)
}

fn answer(title: &str, a: &Answer) {
    let conf = a.confidence.map(|c| c.as_str()).unwrap_or("none");
    outln!("{title} [{conf}]");
    outln!("  {}", a.summary);
    for d in a.details.iter().take(3) {
        outln!("  - {d}");
    }
    for e in a.evidence.iter().take(5) {
        let at = match e.line {
            Some(l) => format!("{}:{l}", e.path),
            None => e.path.clone(),
        };
        let time = e
            .time
            .as_deref()
            .map(|t| format!(" {t}"))
            .unwrap_or_default();
        outln!("    > {at}{time}: {}", e.text);
    }
    outln!();
}

fn print_human(inv: &Investigation) {
    let q = &inv.answers;
    answer("HOW did the attacker get in?", &q.how);
    answer("WHEN (first and last activity)?", &q.when);
    answer("FIRST ACCESS to the data?", &q.first_access);
    answer("EXPOSURE window?", &q.exposure);
    answer("WHAT was taken?", &q.taken);
    answer("WHO?", &q.who);
    answer("ERASED?", &q.erased);
    answer("LEFT BEHIND (to remove)?", &q.left_behind);
    answer("SYSTEMS?", &q.systems);
    outln!("CREDENTIALS to rotate ({})", inv.credentials.len());
    for c in &inv.credentials {
        outln!(
            "  [{}] {} {} on {}: {}",
            c.priority.as_str(),
            c.kind,
            c.subject,
            c.host,
            c.reason
        );
    }
    outln!();
    outln!("GAPS ({})", inv.gaps.len());
    for g in &inv.gaps {
        outln!("  - {}", g.what);
    }
    if !inv.root_causes.is_empty() {
        outln!();
        outln!("ROOT CAUSES");
        for r in &inv.root_causes {
            outln!("  - {} → {}", r.cause, r.prevention);
        }
    }
    if let Some(l) = &inv.leak {
        outln!();
        outln!(
            "LEAK: {} ({} of {} rows matched)",
            l.verdict.as_str(),
            l.matched,
            l.rows
        );
    }
    outln!();
    outln!(
        "Overall confidence: {}",
        inv.confidence.map(|c| c.as_str()).unwrap_or("none")
    );
}
