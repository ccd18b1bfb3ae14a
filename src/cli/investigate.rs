//! `exhibit investigate EVIDENCE...`: the answers (how, when, what was taken, who, erased, left behind), the credentials to reset, the gaps.

use super::{EXIT_ERROR, report_error};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Evidence archives or folders.
    pub evidence: Vec<PathBuf>,
}

pub fn run(a: Args) -> u8 {
    report_error(&anyhow::anyhow!(
        "not built yet: {} evidence",
        a.evidence.len()
    ));
    EXIT_ERROR
}
