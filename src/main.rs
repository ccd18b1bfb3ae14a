//! The `exhibit` binary: parse the command line, run it, map the result to an
//! exit code. Everything else lives in the library and `cli`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
