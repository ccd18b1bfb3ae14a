//! `exhibit stack ARCHIVE...`: which host differs. Stacks the snapshots of
//! many hosts and prints the outliers (what few hosts have, or what a
//! minority has instead of the majority's value) as a ranked table, or as
//! one JSON document.

use super::diff::parse_severity;
use super::{EXIT_ERROR, EXIT_FAIL, EXIT_OK, progress::Bar, report_error};
use exhibit::detect::Severity;
use exhibit::stack::{self, Kind, StackRequest, StackResult};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Evidence archives or directories (read as target roots), one per
    /// host; of two snapshots of one host the newest is used.
    #[arg(required = true, value_name = "ARCHIVE")]
    pub inputs: Vec<PathBuf>,
    /// Print the result as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// A key on at most N hosts is rare (default: 10 % of the hosts, at least 1).
    #[arg(long, value_name = "N")]
    pub rare: Option<usize>,
    /// Only these kinds (file, suid, account, group, ssh_key, cron, unit,
    /// port, process); repeatable.
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    pub kind: Vec<Kind>,
    /// Only outliers at least this severe (critical, high, medium, low, info).
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub min_severity: Option<Severity>,
    /// Rows of the table (0: all); JSON always holds every outlier.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub top: usize,
    /// Show authorized keys' comments (often people's addresses) unmasked.
    #[arg(long)]
    pub show_values: bool,
    /// A TOML file (`paths = [globs]`) replacing the built-in list of
    /// host-specific paths never reported as files.
    #[arg(long, value_name = "FILE")]
    pub exclusions: Option<PathBuf>,
    /// Exit with 1 when an outlier is at least this severe (an archive that
    /// could not be read always exits with 1).
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    Kind::ALL
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| {
            let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            format!("unknown kind {s:?} ({})", names.join(", "))
        })
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
    let req = StackRequest {
        inputs: a.inputs.clone(),
        rare: a.rare,
        show_values: a.show_values,
        exclusions: a.exclusions.clone(),
        threads: 0,
    };
    let cancel = super::progress::cancel_on_ctrl_c();
    let bar = Bar::new(a.quiet || a.json);
    let result = stack::stack(&req, &bar, &cancel);
    bar.finish();
    let mut r = result?;
    r.outliers.retain(|o| {
        (a.kind.is_empty() || a.kind.contains(&o.kind))
            && a.min_severity.is_none_or(|m| o.severity >= m)
    });
    if a.json {
        super::print_json(&serde_json::to_value(&r)?);
    } else {
        print_text(&r, a.top);
    }
    for x in &r.altered {
        super::warn_altered(
            &x.detail,
            "what was stacked from it may be altered",
            &format!("{}:{}", x.snapshot, x.path),
        );
    }
    Ok(match a.fail_on {
        _ if !r.unread.is_empty() || !r.altered.is_empty() => EXIT_FAIL,
        Some(min) if r.outliers.iter().any(|o| o.severity >= min) => EXIT_FAIL,
        _ => EXIT_OK,
    })
}

/// `s` cut to `max` characters, with an ellipsis.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let head: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{head}…")
    }
}

fn print_text(r: &StackResult, top: usize) {
    outln!(
        "hosts: {} (rare: on at most {} host{}; {} keys stacked)",
        r.hosts.len(),
        r.rare_threshold,
        if r.rare_threshold == 1 { "" } else { "s" },
        r.keys
    );
    for h in &r.hosts {
        outln!(
            "  {:<20} {} entries, {} facts{}{}  {}",
            h.name,
            h.entries,
            h.facts,
            if h.live { ", live response" } else { "" },
            h.captured_at
                .as_deref()
                .map(|t| format!(", captured {t}"))
                .unwrap_or_default(),
            h.source
        );
    }
    for u in &r.unread {
        outln!(
            "NOT READ (left out of the stack): {}: {}",
            u.error,
            u.source
        );
    }
    for n in &r.notes {
        outln!("note: {n}");
    }
    let mut counts = Vec::new();
    for s in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let n = r.outliers.iter().filter(|o| o.severity == s).count();
        if n > 0 {
            counts.push(format!("{} {n}", s.as_str()));
        }
    }
    outln!(
        "outliers: {}{}",
        r.outliers.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        }
    );
    if r.outliers.is_empty() {
        return;
    }
    outln!(
        "{:<8}  {:<7}  {:<7}  {:>5}  {:<48}  VALUE",
        "SEVERITY",
        "KIND",
        "CLASS",
        "HOSTS",
        "KEY"
    );
    let shown = if top == 0 { r.outliers.len() } else { top };
    for o in r.outliers.iter().take(shown) {
        outln!(
            "{:<8}  {:<7}  {:<7}  {:>5}  {:<48}  {}",
            o.severity.as_str(),
            o.kind.as_str(),
            o.class.as_str(),
            format!("{}/{}", o.hosts.len(), o.of),
            cut(&o.key, 48),
            cut(&o.value, 80)
        );
        outln!("          on: {}", cut(&o.hosts.join(", "), 200));
        outln!("          {}", o.detail);
    }
    if r.outliers.len() > shown {
        outln!(
            "… {} more (--top 0 shows all, --json prints every one)",
            r.outliers.len() - shown
        );
    }
}
