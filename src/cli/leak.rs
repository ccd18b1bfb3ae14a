//! `exhibit leak SAMPLE EVIDENCE...`: is a published sample genuine, which internal records and files does it come from, and who read them.

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
