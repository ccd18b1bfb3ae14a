//! `exhibit leak SAMPLE EVIDENCE...`: is a published sample genuine, which
//! internal records and files does it come from, and who read them. Prints
//! the verdict as a sentence first, then the sources, the column mapping,
//! the rows found nowhere and the reasons; `--json` prints the
//! [`LeakReport`]. Personal data appears only with `--show-values`.

use super::{EXIT_ERROR, EXIT_OK, progress::Bar, report_error};
use exhibit::leak::{self, LeakReport, LeakRequest, SampleFormat, Verdict};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The published sample: CSV/TSV, JSON, JSON Lines, a MySQL or
    /// PostgreSQL dump, or a plain list (one email, username or user:hash
    /// a line).
    pub sample: PathBuf,
    /// Evidence archives or folders.
    #[arg(required = true)]
    pub evidence: Vec<PathBuf>,
    /// Print the report as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Show the sample's real values in examples (secrets stay hidden).
    #[arg(long)]
    pub show_values: bool,
    /// The sample's format, instead of detecting it.
    #[arg(long, value_parser = ["csv", "json", "jsonl", "mysql", "postgres", "lines"])]
    pub format: Option<String>,
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
    let req = LeakRequest {
        sample: a.sample.clone(),
        evidence: a.evidence.clone(),
        format: a.format.as_deref().and_then(SampleFormat::from_name),
        show_values: a.show_values,
    };
    let cancel = super::progress::cancel_on_ctrl_c();
    let bar = Bar::new(a.quiet || a.json);
    let result = leak::validate(&req, &bar, &cancel);
    bar.finish();
    let r = result?;
    if a.json {
        super::print_json(&serde_json::to_value(&r)?);
    } else {
        print_human(&r);
    }
    for x in &r.sources {
        if let Some(why) = &x.altered {
            super::warn_altered(
                why,
                "the rows read from it may be altered",
                &format!("{}:{}", x.snapshot, x.path),
            );
        }
    }
    Ok(EXIT_OK)
}

fn rows(n: u64) -> String {
    if n == 1 {
        "1 row is".into()
    } else {
        format!("{n} rows are")
    }
}

fn headline(r: &LeakReport) -> String {
    let top = r.sources.first();
    let who = top
        .and_then(|s| s.accessed_by.first())
        .map(|a| {
            let id = a.ip.as_deref().or(a.user.as_deref()).unwrap_or("someone");
            let verb = if a.how.starts_with("http") || a.how.starts_with("ftp") || a.how == "sftp" {
                "downloaded"
            } else {
                "read"
            };
            match &a.first {
                Some(t) => format!(", which {id} {verb} at {t} ({})", a.how),
                None => format!(", which {id} {verb} ({})", a.how),
            }
        })
        .unwrap_or_default();
    let path = top.map(|s| s.path.as_str()).unwrap_or("?");
    match r.verdict {
        Verdict::Genuine => format!("Genuine: the sample's {} rows match {path}{who}.", r.rows),
        Verdict::GenuineWithFabricatedRows => format!(
            "Genuine with fabricated rows: {} of {} rows match {path}{who}; {} found nowhere in the evidence.",
            r.matched + r.partial,
            r.rows,
            rows(r.fabricated.len() as u64)
        ),
        Verdict::NotFromTheseRecords if r.matched + r.partial > 0 => format!(
            "Not from these records: only {} of the sample's {} rows are in the evidence.",
            r.matched + r.partial,
            r.rows
        ),
        Verdict::NotFromTheseRecords => format!(
            "Not from these records: none of the sample's {} rows is in the evidence.",
            r.rows
        ),
        Verdict::CannotTell => format!(
            "Cannot tell: the sample's {} rows have too few distinctive fields to decide.",
            r.rows
        ),
    }
}

fn print_human(r: &LeakReport) {
    outln!("{}", headline(r));
    outln!("verdict: {}", r.verdict.as_str());
    outln!(
        "sample: {} ({}, sha256 {}), {} rows: {} matched, {} partial, {} found nowhere",
        r.sample.path,
        r.sample.format.map_or("?", |f| f.name()),
        r.sample.sha256,
        r.rows,
        r.matched,
        r.partial,
        r.fabricated.len()
    );
    if !r.sources.is_empty() {
        outln!();
        outln!("sources:");
    }
    for s in &r.sources {
        let table = s
            .table
            .as_deref()
            .map(|t| format!(" (table {t})"))
            .unwrap_or_default();
        outln!(
            "  {}{table} in {}: {} of its {} records in the sample; modified {}",
            s.path,
            s.snapshot,
            s.matched_rows,
            s.records,
            s.first_seen.as_deref().unwrap_or("?")
        );
        if let Some(why) = &s.altered {
            outln!(
                "    ALTERED: {} ({why}); its rows may have been altered",
                exhibit::archive::checked::MISMATCH_TEXT
            );
        }
        for a in &s.accessed_by {
            let id = a.ip.as_deref().or(a.user.as_deref()).unwrap_or("?");
            let bytes = if a.bytes > 0 {
                format!(", {} bytes", a.bytes)
            } else {
                String::new()
            };
            outln!(
                "    read by {id}: {} ({} times{bytes}) from {} to {} [{}]",
                a.how,
                a.requests,
                a.first.as_deref().unwrap_or("?"),
                a.last.as_deref().unwrap_or("?"),
                a.evidence.join(", ")
            );
        }
    }
    if !r.columns.is_empty() {
        outln!();
        outln!("columns (sample → internal):");
        for (s, i) in &r.columns {
            outln!("  {s} → {i}");
        }
    }
    if !r.fabricated.is_empty() && r.verdict != Verdict::NotFromTheseRecords {
        outln!();
        let (first, more) = r.fabricated_lines(20);
        if more > 0 {
            outln!("found nowhere, lines: {first} and {more} more");
        } else {
            outln!("found nowhere, lines: {first}");
        }
    }
    if !r.reasons.is_empty() {
        outln!();
        outln!("reasons:");
        for x in &r.reasons {
            outln!("  - {x}");
        }
    }
    if !r.examples.is_empty() {
        outln!();
        outln!("examples:");
        for e in &r.examples {
            let vals: Vec<String> = e.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let src = e
                .source
                .as_deref()
                .map(|s| format!(" ← {s}"))
                .unwrap_or_default();
            outln!("  line {} {}: {}{src}", e.line, e.state, vals.join(" "));
        }
    }
    outln!();
    outln!("candidates read: {}", r.candidates_read);
    for n in &r.notes {
        outln!("note: {n}");
    }
}
