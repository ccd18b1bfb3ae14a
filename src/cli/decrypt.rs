//! `exhibit decrypt`: turn an encrypted archive (`<stem>.zip.age`) back into
//! the ZIP with the examiner's identity, and record that in the custody log
//! (an `opened` event naming the copy and its SHA-256). Also the one place
//! the CLI loads an identity (`--identity`, shared with `verify`): an age
//! identity file or an OpenSSH private key, whose passphrase comes from
//! `EXHIBIT_IDENTITY_PASSPHRASE` or a prompt on the terminal.

use super::{EXIT_ERROR, EXIT_FAIL, EXIT_OK, report_error};
use anyhow::{Context, anyhow};
use exhibit::archive::encrypt::{self, EncryptError, Identities};
use exhibit::custody;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Environment variable holding the identity key's passphrase (for scripts).
pub const PASSPHRASE_ENV: &str = "EXHIBIT_IDENTITY_PASSPHRASE";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The encrypted archive (`.zip.age`).
    pub archive: PathBuf,
    /// age identity file (age-keygen) or OpenSSH private key of a recipient.
    #[arg(long, short = 'i', value_name = "FILE")]
    pub identity: PathBuf,
    /// Where to write the decrypted ZIP (must not exist).
    #[arg(short = 'o', long = "output", value_name = "OUT.zip")]
    pub output: PathBuf,
    /// Who decrypts (for the custody log's `opened` event; default: the
    /// login name).
    #[arg(long)]
    pub actor: Option<String>,
    /// Where the decryption takes place (for the custody log).
    #[arg(long)]
    pub location: Option<String>,
    /// Sign the `opened` event: OpenSSH private key, its `.pub` (key in
    /// ssh-agent), or `agent`.
    #[arg(long, value_name = "KEYFILE")]
    pub sign: Option<PathBuf>,
}

/// Load the identities in `path`, asking for the passphrase of a protected
/// SSH key (from [`PASSPHRASE_ENV`] or the terminal).
pub fn load_identity(path: &Path) -> anyhow::Result<Identities> {
    match encrypt::load_identities(path, None) {
        Err(EncryptError::PassphraseNeeded(_)) => {
            let pass = match std::env::var(PASSPHRASE_ENV) {
                Ok(p) => p,
                Err(_) => {
                    rpassword::prompt_password(format!("Passphrase for {}: ", path.display()))
                        .context("cannot read the passphrase")?
                }
            };
            Ok(encrypt::load_identities(path, Some(&pass))?)
        }
        other => Ok(other?),
    }
}

pub fn run(a: Args) -> u8 {
    match decrypt(&a) {
        Ok(code) => code,
        Err(e) => {
            report_error(&e);
            EXIT_ERROR
        }
    }
}

fn decrypt(a: &Args) -> anyhow::Result<u8> {
    let signer = a
        .sign
        .as_deref()
        .map(super::custody::load_signer)
        .transpose()
        .context("cannot load the signing key")?;
    let ids = load_identity(&a.identity)?;
    if !encrypt::is_age_file(&a.archive) {
        return Err(anyhow!(
            "not an age-encrypted archive: {}",
            a.archive.display()
        ));
    }
    let log = exhibit::archive::custody_log_path(&a.archive);
    let has_log = std::fs::symlink_metadata(&log).is_ok();
    // Written under a temporary name, owner-only, renamed when complete.
    let partial = partial_name(&a.output);
    if a.output.exists() {
        return Err(anyhow!("the output exists already: {}", a.output.display()));
    }
    let file = exhibit::platform::files::private_new_file()
        .open(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let result = encrypt::decrypt_to(
        &a.archive,
        &ids,
        std::io::BufWriter::with_capacity(1 << 20, &file),
    )
    .and_then(|h| {
        file.sync_all()
            .map_err(|e| EncryptError::Write(e, partial.clone()))?;
        Ok(h)
    });
    let hashes = match result {
        Ok(h) => h,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e.into());
        }
    };
    let mut code = EXIT_OK;
    let mut recorded = None;
    if has_log {
        let check = custody::verify_for_archive(&log, &hashes.ciphertext_sha256, None);
        let sealed_plain = check.sealed().and_then(custody::sealed_plaintext_sha256);
        if sealed_plain != Some(hashes.plaintext_sha256.as_str()) {
            let _ = std::fs::remove_file(&partial);
            return Err(anyhow!(
                "the decrypted archive's SHA-256 {} is not the one sealed ({}); nothing written: {}",
                hashes.plaintext_sha256,
                sealed_plain.unwrap_or("none recorded"),
                log.display()
            ));
        }
        let e = record(a, &hashes, &log, signer.as_ref()).inspect_err(|_| {
            let _ = std::fs::remove_file(&partial);
        })?;
        recorded = Some(e);
    } else {
        errln!(
            "exhibit: warning: no custody log beside the archive ({}): the decryption is not recorded",
            log.display()
        );
        code = EXIT_FAIL;
    }
    std::fs::rename(&partial, &a.output).with_context(|| {
        format!(
            "cannot rename {} to {}",
            partial.display(),
            a.output.display()
        )
    })?;
    outln!("decrypted:   {}", a.output.display());
    outln!("sha256:      {} (plaintext ZIP)", hashes.plaintext_sha256);
    outln!("ciphertext:  {}", hashes.ciphertext_sha256);
    if let Some(e) = recorded {
        outln!("custody log: recorded {} in {}", e.label(), log.display());
    }
    let _ = std::io::stdout().flush();
    Ok(code)
}

fn partial_name(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    out.with_file_name(name)
}

/// Append the `opened` event: who decrypted, into which file, its hash.
fn record(
    a: &Args,
    hashes: &encrypt::Hashes,
    log: &Path,
    signer: Option<&custody::Signer>,
) -> anyhow::Result<custody::Event> {
    let mut details = serde_json::Map::new();
    details.insert("decrypted_to".into(), a.output.display().to_string().into());
    details.insert(
        "plaintext_sha256".into(),
        hashes.plaintext_sha256.clone().into(),
    );
    details.insert(
        "identity".into(),
        a.identity
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .into(),
    );
    details.insert(
        "tool".into(),
        format!("exhibit {}", env!("CARGO_PKG_VERSION")).into(),
    );
    let name = a
        .actor
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .unwrap_or_else(|| "unknown".into());
    let new = custody::NewEvent {
        action: Some(custody::Action::Opened),
        actor: custody::Actor {
            name,
            role: Some("examiner".into()),
            organisation: None,
            contact: None,
        },
        location: a.location.clone(),
        purpose: Some("decrypted for examination".into()),
        details,
        archive_file: None,
        archive_sha256: Some(hashes.ciphertext_sha256.clone()),
    };
    custody::append_event(log, &new, signer).context("could not record the decryption")
}
