//! `exhibit verify`: check an archive and its custody log.

use super::{EXIT_ERROR, EXIT_FAIL, EXIT_OK, progress::Bar, report_error};
use exhibit::job::CancelToken;
use exhibit::verify::{self, VerifyRequest};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The archive (`.zip`) to verify.
    pub archive: PathBuf,
    /// OpenSSH allowed_signers file: whose custody signatures to trust.
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub trust: Option<PathBuf>,
    /// Print the report as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Verifier threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn run(a: Args) -> u8 {
    let req = VerifyRequest {
        archive: a.archive.clone(),
        trust: a.trust.clone(),
        threads: a.threads,
    };
    let cancel = CancelToken::new();
    let on_signal = cancel.clone();
    let _ = ctrlc::set_handler(move || on_signal.cancel());
    let bar = Bar::new(a.quiet || a.json);
    let result = verify::verify(&req, &bar, &cancel);
    bar.finish();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            report_error(&anyhow::Error::new(e));
            return EXIT_ERROR;
        }
    };
    if a.json {
        let doc = serde_json::json!({
            "ok": report.ok,
            "archive": report.archive,
            "sha256": report.sha256,
            "checked": report.checked,
            "problems": report.problems,
            "custody_log": report.custody_log,
            "signatures": report.signatures,
        });
        println!("{doc:#}");
    } else {
        println!("archive: {}", report.archive.display());
        println!("sha256:  {}", report.sha256);
        let c = &report.checked;
        println!(
            "checked: {} members, {} payload files ({} bytes), {} tag files, {} records, {} custody events",
            c.members, c.payload_files, c.payload_bytes, c.tag_files, c.records, c.custody_events
        );
        for s in &report.signatures {
            println!(
                "  custody event {}: signature {}{}",
                s.seq,
                s.status,
                s.signer
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            );
        }
        if report.ok {
            println!("result:  INTACT");
        } else {
            println!("result:  FAILED, {} problem(s):", report.problems.len());
            for p in &report.problems {
                println!(
                    "  {:<24} {}: {}",
                    p.kind,
                    p.path.as_deref().unwrap_or("(archive)"),
                    p.detail
                );
            }
        }
    }
    if report.ok { EXIT_OK } else { EXIT_FAIL }
}
