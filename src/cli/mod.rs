//! Command-line front end: one module per subcommand. Each turns its clap
//! arguments into a core request, runs it, prints the result and returns an
//! exit code. Errors are one clear line naming the file.

mod capture;
mod progress;
mod verify;

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
}

pub fn main() -> ExitCode {
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
        None => {
            use clap::CommandFactory;
            let _ = Cli::command().print_help();
            EXIT_OK
        }
    };
    ExitCode::from(code)
}

/// Print an error chain as one line on stderr.
pub fn report_error(err: &anyhow::Error) {
    eprintln!("exhibit: error: {err:#}");
}
