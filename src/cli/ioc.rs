//! The `--ioc FILE` option `scan`, `diff`, `logs` and `investigate` share
//! (not a subcommand): the indicator lists are read once, the lines that
//! gave no indicator are named on stderr (`--json` lists them all under
//! `"ioc"`), and a list that cannot be read stops the command.

use exhibit::detect::ioc::IocSet;
use std::path::PathBuf;
use std::sync::Arc;

/// Rejected lines named on stderr.
const REJECTED_SHOWN: usize = 20;

#[derive(clap::Args, Debug, Clone, Default)]
pub struct IocArgs {
    /// An indicator list (IOCs): plain text (one a line, optional `type:`
    /// prefix, `#` comments), CSV with a `type,value,comment` header, or
    /// JSON `[{"type","value","comment"}]`; addresses, CIDR ranges,
    /// domains, URLs, MD5/SHA-1/SHA-256, file names and paths (globs),
    /// user agents, emails, accounts (docs/ioc.md). Repeatable.
    #[arg(long = "ioc", value_name = "FILE", global = true)]
    pub ioc: Vec<PathBuf>,
}

impl IocArgs {
    /// Read the lists (an empty set without `--ioc`), naming the lines
    /// that gave no indicator on stderr.
    pub fn load(&self) -> anyhow::Result<Arc<IocSet>> {
        if self.ioc.is_empty() {
            return Ok(Arc::default());
        }
        let set = IocSet::load(&self.ioc)?;
        let mut n = 0usize;
        for line in set.rejected_lines() {
            if n < REJECTED_SHOWN {
                errln!("exhibit: ioc: line skipped: {line}");
            }
            n += 1;
        }
        if n > REJECTED_SHOWN {
            errln!(
                "exhibit: ioc: … {} more line(s) skipped (--json lists them all)",
                n - REJECTED_SHOWN
            );
        }
        Ok(Arc::new(set))
    }

    /// What `--json` says about the lists (`null` without `--ioc`).
    pub fn summary(set: &IocSet) -> serde_json::Value {
        if set.lists.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::to_value(set.summary()).unwrap_or(serde_json::Value::Null)
        }
    }
}
