//! `exhibit profiles` (not implemented yet).

use super::EXIT_ERROR;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Arguments (not implemented yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

pub fn run(_a: Args) -> u8 {
    eprintln!("exhibit: error: `profiles` is not implemented yet");
    EXIT_ERROR
}
