//! `exhibit extract`: copy files or folders out of an archive to a
//! directory, each checked against the sealed manifest on the way out, and
//! record it as an `exported` custody event (see [`exhibit::extract`]).

use super::{EXIT_ERROR, EXIT_FAIL, EXIT_OK, print_json, report_error};
use anyhow::Context;
use exhibit::custody;
use exhibit::extract::{self, Check, ExtractRequest};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The archive (`.zip`, or an unlocked `.zip.age`).
    pub archive: PathBuf,
    /// Logical paths to extract (files or folders, e.g. `/etc/ssh`);
    /// none: everything.
    pub paths: Vec<String>,
    /// The destination directory (created if missing; existing files are
    /// never overwritten).
    #[arg(long, value_name = "DIR")]
    pub to: PathBuf,
    /// Who extracts (for the custody log's `exported` event; default: the
    /// login name).
    #[arg(long)]
    pub actor: Option<String>,
    /// The actor's role.
    #[arg(long)]
    pub role: Option<String>,
    /// Sign the `exported` event: OpenSSH private key, its `.pub` (key in
    /// ssh-agent), or `agent`.
    #[arg(long, value_name = "KEYFILE")]
    pub sign: Option<PathBuf>,
    /// Print the result as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn run(a: Args) -> u8 {
    match extract_cmd(&a) {
        Ok(code) => code,
        Err(e) => {
            report_error(&e);
            EXIT_ERROR
        }
    }
}

fn extract_cmd(a: &Args) -> anyhow::Result<u8> {
    let signer = a
        .sign
        .as_deref()
        .map(super::custody::load_signer)
        .transpose()
        .context("cannot load the signing key")?;
    let req = ExtractRequest {
        paths: a.paths.clone(),
        to: a.to.clone(),
    };
    let bar = super::progress::Bar::new(a.quiet || a.json);
    let cancel = super::progress::cancel_on_ctrl_c();
    let report = extract::extract_archive(&a.archive, &req, &bar, &cancel);
    bar.finish();
    let report = report?;
    let name = a
        .actor
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .unwrap_or_else(|| "unknown".into());
    let actor = custody::Actor {
        name,
        role: a.role.clone(),
        organisation: None,
        contact: None,
    };
    let log = exhibit::archive::custody_log_path(&a.archive);
    let recorded = extract::record_export(&a.archive, &report, actor, signer.as_ref())
        .map_err(|e| format!("{e:#}"));
    let mut code = if report.clean() { EXIT_OK } else { EXIT_FAIL };
    if recorded.is_err() {
        code = EXIT_FAIL;
    }
    if a.json {
        let doc = serde_json::json!({
            "extract": report,
            "custody_log": log,
            "custody_event": recorded.as_ref().ok(),
            "custody_error": recorded.as_ref().err(),
        });
        print_json(&doc);
        return Ok(code);
    }
    for f in &report.files {
        if f.check == Check::Mismatch {
            outln!(
                "MISMATCH  {}  written as {} (SHA-256 {}, sealed {})",
                f.path,
                f.written,
                f.sha256,
                f.sealed_sha256.as_deref().unwrap_or("none")
            );
        }
    }
    for s in &report.skipped {
        outln!("SKIPPED   {}: {}", s.path, s.reason);
    }
    outln!("{}", report.summary());
    if let (Some(list), Some(sha)) = (&report.list_file, &report.list_sha256) {
        outln!("hash list:   {} (SHA-256 {sha})", list.display());
    }
    match &recorded {
        Ok(e) => outln!("custody log: recorded {} in {}", e.label(), log.display()),
        Err(e) => errln!("exhibit: error: the extraction is not recorded in the custody log: {e}"),
    }
    Ok(code)
}
