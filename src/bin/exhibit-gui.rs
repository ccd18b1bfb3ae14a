//! `exhibit-gui`: the workstation alone, for double-clicking. On Windows it
//! is a GUI-subsystem program, so no console window opens beside it (the
//! `exhibit` binary is a console program: it opens the workstation when
//! run without a subcommand, and is the one to use from a terminal).

#![cfg_attr(windows, windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    match exhibit::gui::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // No terminal to print to when double-clicked: the error goes
            // to stderr for a terminal that has one, and the exit code says
            // it failed.
            eprintln!("exhibit-gui: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
