//! `exhibit timeline`: merge file times, log events, findings and custody
//! events into one timeline; export for Timesketch (JSONL, CSV) or mactime
//! (bodyfile).

use super::{EXIT_ERROR, EXIT_OK, progress::Bar, report_error};
use anyhow::Context as _;
use exhibit::logs::time::parse_bound;
use exhibit::timeline::{self, ExportFormat, TimelineRequest};
use std::io::{IsTerminal as _, Write};
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Format {
    /// Timesketch JSON Lines.
    Jsonl,
    /// Timesketch CSV.
    Csv,
    /// Sleuth Kit bodyfile (mactime -b).
    Bodyfile,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Evidence archives, folders or log files.
    #[arg(required = true)]
    pub sources: Vec<PathBuf>,
    /// Only events at or after this time (RFC 3339, YYYY-MM-DD or Unix seconds; UTC).
    #[arg(long)]
    pub from: Option<String>,
    /// Only events at or before this time.
    #[arg(long)]
    pub to: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: Format,
    /// Write to this file instead of stdout.
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
    /// UTC offset of the examined system's local time (e.g. +02:00).
    #[arg(long, value_name = "OFFSET", allow_hyphen_values = true)]
    pub tz: Option<String>,
    /// Leave out log lines no parser understood.
    #[arg(long)]
    pub skip_unparsed: bool,
    /// Leave out file findings (the rules and detectors of `exhibit scan`,
    /// placed at the modification time of their file): faster on large
    /// archives, since they read file contents.
    #[arg(long)]
    pub no_file_findings: bool,
    /// A rules directory: `*.toml` file rules and `logs/*.toml` log
    /// detection settings over the built-in ones (docs/detections.md).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// The analyst's stars, tags and notes to carry into the export: a
    /// case folder (its `timeline-marks.json`, kept by the workstation's
    /// Timeline) or such a file. JSONL gets `tag`, `exhibit_starred` and
    /// `exhibit_note`; CSV the `tag` and `exhibit_note` columns.
    #[arg(long, value_name = "CASE_DIR|FILE")]
    pub marks: Option<PathBuf>,
    /// No progress bar and no notes on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn load_marks(p: &std::path::Path) -> anyhow::Result<exhibit::viewmodel::timeline::Marks> {
    use exhibit::viewmodel::timeline as vm;
    if p.is_dir() {
        return vm::load_marks(p);
    }
    let b = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
    serde_json::from_slice(&b).with_context(|| format!("not a marks file: {}", p.display()))
}

pub fn run(a: Args) -> u8 {
    match run_inner(a) {
        Ok(c) => c,
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(exhibit::platform::stdout::is_closed_pipe) =>
        {
            EXIT_OK
        }
        Err(e) => {
            report_error(&e);
            EXIT_ERROR
        }
    }
}

fn run_inner(a: Args) -> anyhow::Result<u8> {
    let bound = |s: &Option<String>| -> anyhow::Result<Option<i64>> {
        s.as_deref()
            .map(|v| {
                parse_bound(v).with_context(|| {
                    format!("bad time {v:?}: expected RFC 3339, YYYY-MM-DD or Unix seconds")
                })
            })
            .transpose()
    };
    let tz = match &a.tz {
        Some(t) => Some(
            super::logs::parse_tz(t)
                .with_context(|| format!("bad --tz {t:?}: expected like +02:00"))?,
        ),
        None => None,
    };
    let req = TimelineRequest {
        sources: a.sources.clone(),
        from_us: bound(&a.from)?,
        to_us: bound(&a.to)?,
        tz_offset_s: tz,
        skip_unparsed: a.skip_unparsed,
        no_file_findings: a.no_file_findings,
        rules_dir: a.rules.clone(),
    };
    let marks = a.marks.as_deref().map(load_marks).transpose()?;
    let marks_of = |e: &timeline::TimelineEvent| marks.as_ref().and_then(|m| m.export_marks(e));
    let cancel = super::progress::cancel_on_ctrl_c();
    let bar = Bar::new(a.quiet);
    let tl = timeline::build(&req, &bar, &cancel);
    bar.finish();
    let tl = tl?;
    let format = match a.format {
        Format::Jsonl => ExportFormat::Jsonl,
        Format::Csv => ExportFormat::Csv,
        Format::Bodyfile => ExportFormat::Bodyfile,
    };
    match &a.output {
        Some(p) => {
            let f = std::fs::File::create_new(p)
                .with_context(|| format!("cannot create {}", p.display()))?;
            let mut w = std::io::BufWriter::new(f);
            timeline::write_marked(&tl, format, &marks_of, &mut w)
                .with_context(|| format!("cannot write {}", p.display()))?;
            w.flush()
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
        None => {
            // JSON Lines are always made inert (same values); CSV and
            // bodyfile only on a terminal, so a pipe gets the exact data.
            let stdout = std::io::stdout();
            let json = matches!(format, ExportFormat::Jsonl);
            let escape = json || stdout.is_terminal();
            let mut w = std::io::BufWriter::new(InertLines {
                inner: stdout.lock(),
                line: Vec::new(),
                json,
                escape,
            });
            timeline::write_marked(&tl, format, &marks_of, &mut w)?;
            w.flush()?;
        }
    }
    for (loc, why) in &tl.altered {
        super::warn_altered(
            why,
            "the events read from it may be altered (field integrity=mismatch)",
            loc,
        );
    }
    if !a.quiet {
        for n in &tl.notes {
            errln!("exhibit: note: {n}");
        }
        errln!("exhibit: {} timeline event(s)", tl.events.len());
    }
    Ok(EXIT_OK)
}

/// A writer that passes whole lines on, each made inert (JSON lines with
/// `inert_json`, other text with `inert`) when `escape` is set.
struct InertLines<W: Write> {
    inner: W,
    line: Vec<u8>,
    json: bool,
    escape: bool,
}

impl<W: Write> InertLines<W> {
    fn emit(&mut self) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(&self.line);
        let safe = if self.json {
            exhibit::report::text::inert_json(&text)
        } else {
            exhibit::report::text::inert(&text)
        };
        self.inner.write_all(safe.as_bytes())?;
        self.line.clear();
        Ok(())
    }
}

impl<W: Write> Write for InertLines<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.escape {
            return self.inner.write(buf);
        }
        for part in buf.split_inclusive(|&b| b == b'\n') {
            match part.strip_suffix(b"\n") {
                Some(body) => {
                    self.line.extend_from_slice(body);
                    self.emit()?;
                    self.inner.write_all(b"\n")?;
                }
                None => self.line.extend_from_slice(part),
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.line.is_empty() {
            self.emit()?;
        }
        self.inner.flush()
    }
}
