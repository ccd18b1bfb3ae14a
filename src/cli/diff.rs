//! `exhibit diff OLD NEW`: compare two snapshots (archives or directories)
//! and judge the changes.

use super::{EXIT_ERROR, EXIT_FAIL, EXIT_OK, progress::Bar, report_error};
use anyhow::Context as _;
use exhibit::detect::Severity;
use exhibit::detect::files::{Finding, HashSet, HashSets};
use exhibit::diff::ChangeClass;
use exhibit::examine::{self, DiffRequest};
use std::path::PathBuf;

/// Lost lines of a rewritten log shown in the text output.
const LOST_SHOWN: usize = 20;

/// Options shared by `diff` and `scan`: rules and hash sets.
#[derive(clap::Args, Debug)]
pub struct JudgeArgs {
    /// Directory of rule files (*.toml) replacing or adding to the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Known-bad hash set (sha256sum, hashdeep or CSV); repeatable.
    #[arg(long, value_name = "FILE")]
    pub known_bad: Vec<PathBuf>,
    /// Known-good hash set: findings on files it lists are suppressed; repeatable.
    #[arg(long, value_name = "FILE")]
    pub known_good: Vec<PathBuf>,
    /// Exit with 1 when a finding is at least this severe
    /// (critical, high, medium, low, info).
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    #[command(flatten)]
    pub yara: super::yara_args::YaraArgs,
    #[command(flatten)]
    pub ioc: super::ioc::IocArgs,
}

pub fn parse_severity(s: &str) -> Result<Severity, String> {
    match s {
        "critical" => Ok(Severity::Critical),
        "high" => Ok(Severity::High),
        "medium" => Ok(Severity::Medium),
        "low" => Ok(Severity::Low),
        "info" => Ok(Severity::Info),
        _ => Err(format!(
            "unknown severity {s:?} (critical, high, medium, low, info)"
        )),
    }
}

impl JudgeArgs {
    /// Load the hash sets named on the command line.
    pub fn hash_sets(&self) -> anyhow::Result<HashSets> {
        let load = |v: &[PathBuf]| -> anyhow::Result<Vec<HashSet>> {
            v.iter()
                .map(|p| HashSet::load(p).map_err(anyhow::Error::new))
                .collect()
        };
        Ok(HashSets {
            bad: load(&self.known_bad)?,
            good: load(&self.known_good)?,
        })
    }

    /// The exit code for these findings.
    /// 1 when `--fail-on` is met or a finding rests on content that is
    /// not the sealed content, else 0.
    pub fn exit_code(&self, findings: &[Finding]) -> u8 {
        if findings.iter().any(|f| f.subject.altered.is_some()) {
            return EXIT_FAIL;
        }
        match self.fail_on {
            Some(min) if findings.iter().any(|f| f.severity >= min) => EXIT_FAIL,
            _ => EXIT_OK,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The baseline: an evidence archive or a directory (read as a target root).
    pub old: PathBuf,
    /// The snapshot to examine: an evidence archive or a directory.
    pub new: PathBuf,
    /// Print the result as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write an HTML report (findings, changes, line diffs) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// List changes only, without findings.
    #[arg(long)]
    pub no_findings: bool,
    #[command(flatten)]
    pub judge: JudgeArgs,
    /// Hold every entry of both archives in memory, as the workstation
    /// does, instead of only those the comparison reads (the same result;
    /// more memory: about 230 bytes an entry).
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

/// Print findings for people, most severe first.
pub fn print_findings(findings: &[Finding]) {
    outln!("findings: {}", findings.len());
    for f in findings {
        outln!(
            "  [{}] {}  {}",
            f.severity.as_str(),
            f.subject.path,
            f.title
        );
        outln!("      {}", f.explanation);
        if let Some(why) = &f.subject.altered {
            outln!(
                "      ALTERED: {} ({why}); this finding may rest on altered bytes",
                exhibit::archive::checked::MISMATCH_TEXT
            );
        }
        for e in &f.subject.evidence {
            outln!("      - {e}");
        }
        outln!("      rule: {}", f.rule);
    }
}

/// One stderr line per file whose findings rest on content that does not
/// match its archive's seal (the findings carry `altered` in JSON).
pub fn warn_altered(findings: &[Finding]) {
    let mut seen = std::collections::BTreeMap::new();
    for f in findings {
        if let Some(why) = &f.subject.altered {
            *seen
                .entry((f.subject.path.as_str(), why.as_str()))
                .or_insert(0u32) += 1;
        }
    }
    for ((path, why), n) in seen {
        super::warn_altered(
            why,
            &format!("{n} finding(s) on it may rest on altered bytes"),
            path,
        );
    }
}

/// The ways the two captures' scopes differ, before anything else; nothing
/// when they cover the same ground the same way.
fn print_scope(scope: &exhibit::diff::ScopeComparison) {
    if scope.differences.is_empty() {
        return;
    }
    outln!("scope: the two captures cover different ground");
    for d in &scope.differences {
        outln!("  {}", d.text);
    }
    if scope.ground_differs {
        outln!(
            "  entries outside the other capture's scope: {} not in both captures; {} undecided (kept as added/removed, with why)",
            scope.not_in_both,
            scope.undecided
        );
    }
}

fn run_inner(a: &Args) -> anyhow::Result<u8> {
    let req = DiffRequest {
        old: a.old.clone(),
        new: a.new.clone(),
        rules_dir: a.judge.rules.clone(),
        hash_sets: a.judge.hash_sets()?,
        no_findings: a.no_findings,
        yara: a.judge.yara.request()?,
        ioc: a.judge.ioc.load()?,
        stream: !a.whole,
    };
    let cancel = super::progress::cancel_on_ctrl_c();
    let bar = Bar::new(a.quiet || a.json);
    let result = examine::diff(&req, &bar, &cancel);
    bar.finish();
    let r = result?;
    if let Some(path) = &a.html {
        let html = exhibit::report::diff::render(&r, &chrono::Utc::now().to_rfc3339());
        std::fs::write(path, html)
            .with_context(|| format!("cannot write the HTML report: {}", path.display()))?;
    }
    if a.json {
        let mut doc = exhibit::report::diff::json(&r, None);
        let ioc = super::ioc::IocArgs::summary(&req.ioc);
        if let (false, Some(m)) = (ioc.is_null(), doc.as_object_mut()) {
            m.insert("ioc".into(), ioc);
        }
        super::print_json(&doc);
    } else {
        print_scope(&r.scope);
        outln!("old: {} ({} entries)", r.old.label, r.old.entries);
        outln!("new: {} ({} entries)", r.new.label, r.new.entries);
        for (name, s) in [("old", &r.old), ("new", &r.new)] {
            for p in &s.problems {
                outln!("problem in {name}: {p}");
            }
        }
        if !a.no_findings {
            print_findings(&r.findings);
        }
        if let Some(y) = &r.yara {
            super::yara_args::print_summary(y);
        }
        let counts: Vec<String> = r
            .counts()
            .iter()
            .filter(|(c, _)| *c != ChangeClass::NotInBoth)
            .map(|(c, n)| format!("{} {n}", c.as_str()))
            .collect();
        let in_both = r.changes.len() as u64 - r.scope.not_in_both;
        outln!("changes: {in_both} ({})", counts.join(", "));
        if r.scope.not_in_both > 0 {
            outln!(
                "not in both captures: {} (outside the other capture's scope, neither added nor removed)",
                r.scope.not_in_both
            );
        }
        for class in ChangeClass::ALL {
            let items: Vec<_> = r.changes.iter().filter(|c| c.change == class).collect();
            if items.is_empty() {
                continue;
            }
            outln!("{} ({}):", class.as_str(), items.len());
            for c in items {
                let mut extra = Vec::new();
                if let Some(f) = &c.renamed_from {
                    extra.push(format!("from {f}"));
                }
                if !c.rotated_to.is_empty() {
                    extra.push(format!("to {}", c.rotated_to.join(", ")));
                }
                if !c.attributes.is_empty() {
                    let at: Vec<String> = c
                        .attributes
                        .iter()
                        .map(|x| format!("{x:?}").to_lowercase())
                        .collect();
                    extra.push(at.join(","));
                }
                if let Some(d) = &c.detail {
                    extra.push(d.clone());
                }
                if let Some(n) = c.scope.as_ref().filter(|n| !n.decided) {
                    extra.push(format!("scope undecided: {}", n.reason));
                }
                if extra.is_empty() {
                    outln!("  {}", c.path);
                } else {
                    outln!("  {}  [{}]", c.path, extra.join("; "));
                }
                if let Some(lost) = &c.lost_lines {
                    outln!("      lost: {}", lost.summary());
                    if let Some(why) = &lost.altered {
                        outln!(
                            "      ALTERED: {} ({why}); these lines may be an artefact of the alteration",
                            exhibit::archive::checked::MISMATCH_TEXT
                        );
                    }
                    for l in lost.lines.iter().take(LOST_SHOWN) {
                        outln!(
                            "      {} line {}: {}",
                            if l.erased { "erased" } else { "cut" },
                            l.old_line,
                            l.text
                        );
                    }
                    let more = (lost.erased + lost.cut).saturating_sub(LOST_SHOWN);
                    if more > 0 {
                        outln!("      … {more} more lost line(s) (--json lists the first 50)");
                    }
                }
            }
        }
    }
    warn_altered(&r.findings);
    Ok(a.judge.exit_code(&r.findings))
}
