//! `exhibit verify`: check an archive and its custody log.

use super::{EXIT_ERROR, EXIT_FAIL, EXIT_OK, progress::Bar, report_error};
use exhibit::custody::{self, AllowedSigners};
use exhibit::verify::{self, VerifyRequest};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The archive (`.zip`, or `.zip.age` encrypted) to verify.
    pub archive: PathBuf,
    /// Decrypt an encrypted archive with this age identity file or OpenSSH
    /// private key and verify its content too (without it, only the
    /// ciphertext is checked against the custody log).
    #[arg(long, short = 'i', value_name = "FILE")]
    pub identity: Option<PathBuf>,
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
    /// Append a `verified` event with the result to the custody log.
    #[arg(long, requires = "actor")]
    pub record: bool,
    /// Who verifies (for --record).
    #[arg(long)]
    pub actor: Option<String>,
    /// The verifier's organisation (for --record).
    #[arg(long, requires = "record")]
    pub org: Option<String>,
    /// Where the verification takes place (for --record).
    #[arg(long, requires = "record")]
    pub location: Option<String>,
    /// Sign the `verified` event: OpenSSH private key, its `.pub` (key in
    /// ssh-agent), or `agent`.
    #[arg(long, value_name = "KEYFILE", requires = "record")]
    pub sign: Option<PathBuf>,
}

pub fn run(mut a: Args) -> u8 {
    // An archive of a case is judged with the case's trusted signers.
    a.trust = super::custody::case_trust(a.trust.as_deref(), &a.archive);
    if let Some(t) = &a.trust {
        match AllowedSigners::load(t) {
            Ok(signers) => super::custody::warn_skipped(t, &signers),
            Err(e) => {
                report_error(&anyhow::anyhow!("cannot read allowed signers: {e}"));
                return EXIT_ERROR;
            }
        }
    }
    let signer = match a
        .sign
        .as_deref()
        .map(super::custody::load_signer)
        .transpose()
    {
        Ok(s) => s,
        Err(e) => {
            report_error(&e.context("cannot load the signing key"));
            return EXIT_ERROR;
        }
    };
    let identity = match a.identity.as_deref().map(super::decrypt::load_identity) {
        None => None,
        Some(Ok(i)) => Some(i),
        Some(Err(e)) => {
            report_error(&e.context("cannot load the identity"));
            return EXIT_ERROR;
        }
    };
    let log = exhibit::archive::custody_log_path(&a.archive);
    if a.record && std::fs::symlink_metadata(&log).is_err() {
        report_error(&anyhow::anyhow!(
            "--record: no custody log beside the archive: {}",
            log.display()
        ));
        return EXIT_ERROR;
    }
    let req = VerifyRequest {
        archive: a.archive.clone(),
        trust: a.trust.clone(),
        threads: a.threads,
        identity,
    };
    let cancel = super::progress::cancel_on_ctrl_c();
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
    let recorded = if a.record {
        match record(&a, &report, &log, signer.as_ref()) {
            Ok(e) => Some(e),
            Err(e) => {
                report_error(&anyhow::Error::new(e).context("could not record the verification"));
                return if report.ok { EXIT_ERROR } else { EXIT_FAIL };
            }
        }
    } else {
        None
    };
    if a.json {
        super::print_json(&serde_json::json!({
            "ok": report.ok,
            "archive": report.archive,
            "sha256": report.sha256,
            "checked": report.checked,
            "problems": report.problems,
            "warnings": report.warnings,
            "custody_log": report.custody_log,
            "custody_assurance": report.custody_assurance,
            "signatures": report.signatures,
            "encryption": report.encryption,
            "recorded": recorded,
        }));
    } else {
        print_text(&report);
    }
    if let Some(e) = &recorded {
        errln!("recorded {} in {}", e.label(), log.display());
    }
    if report.ok { EXIT_OK } else { EXIT_FAIL }
}

/// The report for people. Every line goes through `outln!`, so names from
/// the archive cannot redraw it.
fn print_text(report: &verify::VerifyReport) {
    outln!("archive: {}", report.archive.display());
    outln!("sha256:  {}", report.sha256);
    if let Some(enc) = &report.encryption {
        match &enc.plaintext_sha256 {
            Some(p) => outln!("encrypted: age; decrypted ZIP sha256 {p}, content verified"),
            None => outln!(
                "encrypted: age; only the ciphertext was checked against the custody log (give --identity to verify the content)"
            ),
        }
    }
    let c = &report.checked;
    outln!(
        "checked: {} members, {} payload files ({} bytes), {} tag files, {} records, {} custody events",
        c.members,
        c.payload_files,
        c.payload_bytes,
        c.tag_files,
        c.records,
        c.custody_events
    );
    for s in &report.signatures {
        outln!(
            "  custody event {}: signature {}{}",
            s.seq,
            s.status,
            s.signer
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        );
    }
    match &report.custody_log {
        Some(log) => outln!("custody: {}", log.display()),
        None => outln!("custody: no custody log beside the archive"),
    }
    outln!("assurance: {}", report.custody_assurance.statement);
    for w in &report.warnings {
        outln!(
            "WARNING: {:<24} {}: {}",
            w.kind,
            w.path.as_deref().unwrap_or("(archive)"),
            w.detail
        );
    }
    if report.ok {
        match report.custody_assurance.level {
            custody::AssuranceLevel::SignedCustody => outln!("result:  INTACT"),
            _ => outln!(
                "result:  INTACT (internally consistent only: nothing ties it to the sealed original)"
            ),
        }
    } else {
        outln!("result:  FAILED, {} problem(s):", report.problems.len());
        for p in &report.problems {
            outln!(
                "  {:<24} {}: {}",
                p.kind,
                p.path.as_deref().unwrap_or("(archive)"),
                p.detail
            );
        }
    }
}

/// Append the `verified` event with the result.
fn record(
    a: &Args,
    report: &verify::VerifyReport,
    log: &std::path::Path,
    signer: Option<&custody::Signer>,
) -> Result<custody::Event, custody::CustodyError> {
    let mut details = report.custody_details(&format!("exhibit {}", env!("CARGO_PKG_VERSION")));
    if let Some(t) = &a.trust {
        details.insert(
            "trust".into(),
            t.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
                .into(),
        );
    }
    let new = custody::NewEvent {
        action: Some(custody::Action::Verified),
        actor: custody::Actor {
            name: a.actor.clone().unwrap_or_default(),
            role: Some("verifier".into()),
            organisation: a.org.clone(),
            contact: None,
        },
        location: a.location.clone(),
        purpose: Some("integrity verification".into()),
        details,
        archive_file: None,
        archive_sha256: None,
    };
    custody::append_event(log, &new, signer)
}
