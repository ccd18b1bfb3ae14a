//! Command-line front end: one module per subcommand. Each turns its clap
//! arguments into a core request, runs it, prints the result and returns an
//! exit code. Errors are one clear line naming the file.
//!
//! Output is inert: every line of text goes through [`outln!`] / [`errln!`]
//! / [`wln!`], which write it through [`exhibit::report::text::inert`], and
//! every JSON document through [`print_json`], so that no name or log line
//! from the evidence can move the cursor, clear the screen or reorder text
//! on the examiner's terminal. (A format string therefore holds no `\n`:
//! print an empty line with `outln!()` instead.)

/// `println!` with the whole line made inert (controls and bidi characters
/// shown as escapes).
macro_rules! outln {
    () => {
        println!()
    };
    ($($arg:tt)*) => {
        println!("{}", exhibit::report::text::inert(&format!($($arg)*)))
    };
}

/// `eprintln!` with the whole line made inert.
macro_rules! errln {
    ($($arg:tt)*) => {
        eprintln!("{}", exhibit::report::text::inert(&format!($($arg)*)))
    };
}

/// `writeln!` with the whole line made inert.
macro_rules! wln {
    ($w:expr) => {
        writeln!($w)
    };
    ($w:expr, $($arg:tt)*) => {
        writeln!($w, "{}", exhibit::report::text::inert(&format!($($arg)*)))
    };
}

mod capture;
mod custody;
mod decrypt;
mod detections;
mod diff;
mod extract;
mod investigate;
mod ioc;
mod leak;
mod logs;
mod profiles;
mod progress;
mod report;
mod scan;
mod show;
mod stack;
mod timeline;
mod verify;
mod yara_args;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit codes shared by every subcommand.
pub const EXIT_OK: u8 = 0;
/// An integrity failure (verify) or an incomplete result.
pub const EXIT_FAIL: u8 = 1;
/// Could not run: bad usage, unreadable input.
pub const EXIT_ERROR: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "exhibit",
    version,
    about = "Capture, verify and examine server evidence for data-breach response",
    long_about = "Exhibit snapshots server files into hashed, timestamped evidence archives \
                  (ZIP + BagIt) with a chain-of-custody log, and verifies them.\n\
                  Run without a subcommand to open the workstation (GUI builds)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Capture files into a new evidence archive.
    Capture(capture::Args),
    /// Verify an archive and its custody log.
    Verify(verify::Args),
    /// Decrypt an encrypted archive (`.zip.age`) and record it in the custody log.
    Decrypt(decrypt::Args),
    /// Show, extend or print the chain-of-custody log of an archive.
    Custody(custody::Args),
    /// Show an archive's acquisition summary, records or live-response state.
    Show(show::Args),
    /// Copy files out of an archive, checked against the seal, recorded in the custody log.
    Extract(extract::Args),
    /// List the collection profiles.
    Profiles(profiles::Args),
    /// Compare two snapshots (archives or directories).
    Diff(diff::Args),
    /// Find anomalies in one snapshot, without a baseline.
    Scan(scan::Args),
    /// List every rule and detection, with what each reads.
    Detections(detections::Args),
    /// Parse logs and run detections over archives, folders or log files.
    Logs(logs::Args),
    /// Merge file times, log events, findings and custody events into one timeline.
    Timeline(timeline::Args),
    /// Is a published sample genuine? Match it against the evidence's records.
    Leak(leak::Args),
    /// The answers: how, when, what was taken, who, whose credentials to reset.
    Investigate(investigate::Args),
    /// Write the investigation as one HTML report with a post-mortem draft.
    Report(report::Args),
    /// Which host differs: what few of many hosts have, ranked (stacking).
    Stack(stack::Args),
}

pub fn main() -> ExitCode {
    // Behave like other tools when the reader of our output goes away
    // (`exhibit show ... | head`): end quietly instead of panicking in println!.
    exhibit::platform::stdout::end_quietly_when_closed();
    let raw: Vec<String> = std::env::args().collect();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { EXIT_OK });
        }
    };
    let code = match cli.command {
        Some(Command::Capture(a)) => capture::run(a, raw),
        Some(Command::Verify(a)) => verify::run(a),
        Some(Command::Decrypt(a)) => decrypt::run(a),
        Some(Command::Custody(a)) => custody::run(a),
        Some(Command::Show(a)) => show::run(a),
        Some(Command::Extract(a)) => extract::run(a),
        Some(Command::Profiles(a)) => profiles::run(a),
        Some(Command::Diff(a)) => diff::run(a),
        Some(Command::Scan(a)) => scan::run(a),
        Some(Command::Detections(a)) => detections::run(a),
        Some(Command::Logs(a)) => logs::run(a),
        Some(Command::Timeline(a)) => timeline::run(a),
        Some(Command::Leak(a)) => leak::run(a),
        Some(Command::Investigate(a)) => investigate::run(a),
        Some(Command::Report(a)) => report::run(a),
        Some(Command::Stack(a)) => stack::run(a),
        None => no_subcommand(),
    };
    ExitCode::from(code)
}

/// No subcommand: open the workstation (GUI builds), else print help.
#[cfg(feature = "gui")]
fn no_subcommand() -> u8 {
    match exhibit::gui::run() {
        Ok(()) => EXIT_OK,
        Err(e) => {
            report_error(&e);
            eprintln!(
                "exhibit: every action also works from the command line: see `exhibit --help`"
            );
            EXIT_ERROR
        }
    }
}

/// No subcommand: open the workstation (GUI builds), else print help.
#[cfg(not(feature = "gui"))]
fn no_subcommand() -> u8 {
    use clap::CommandFactory;
    let _ = Cli::command().print_help();
    EXIT_OK
}

/// Print an error chain as one line on stderr (inert: errors name files).
pub fn report_error(err: &anyhow::Error) {
    errln!("exhibit: error: {err:#}");
}

/// Print a JSON document on stdout, pretty, with the characters JSON allows
/// raw in strings but a terminal obeys (DEL, C1, bidi) as `\uXXXX` escapes:
/// the same document, inert.
///
/// Objects are printed with their keys in order, in every build: the
/// `yara` feature (yara-x) turns on serde_json's `preserve_order`, and the
/// same command must print the same document with or without it.
/// The one stderr line for content read from bytes its archive did not
/// seal: `exhibit: WARNING: content does not match the sealed manifest
/// (WHY); CONSEQUENCE: LOCATION`. Never silenced by `-q`.
pub fn warn_altered(why: &str, consequence: &str, location: &str) {
    errln!(
        "exhibit: WARNING: {} ({why}); {consequence}: {location}",
        exhibit::archive::checked::MISMATCH_TEXT
    );
}

pub fn print_json(doc: &serde_json::Value) {
    let mut doc = doc.clone();
    doc.sort_all_objects();
    println!("{}", exhibit::report::text::inert_json(&format!("{doc:#}")));
}
