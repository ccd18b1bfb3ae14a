//! `exhibit custody`: show, extend and print the chain-of-custody log of an
//! archive. Also holds the signing-key loader shared by `capture --sign` and
//! `verify --record --sign` (passphrase from `EXHIBIT_KEY_PASSPHRASE`, from
//! ssh-agent when it holds the key, or from a prompt on the terminal).

use super::{EXIT_ERROR, EXIT_FAIL, EXIT_OK, report_error};
use anyhow::{Context, anyhow};
use exhibit::archive::{self, Archive};
use exhibit::custody::{
    self, Action, Actor, AllowedSigners, CheckOptions, CustodyError, KeyFile, NewEvent, Signer,
};
use exhibit::report::custody_form as form;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Environment variable holding the signing key's passphrase (for scripts).
pub const PASSPHRASE_ENV: &str = "EXHIBIT_KEY_PASSPHRASE";

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(clap::Subcommand, Debug)]
pub enum Sub {
    /// Print the custody events of an archive and check the chain.
    Show(ShowArgs),
    /// Append an event (transfer, receipt, note...) to an archive's custody log.
    Add(Box<AddArgs>),
    /// Write the printable chain-of-custody form (HTML).
    Form(FormArgs),
    /// Make a new Ed25519 signing key (like `ssh-keygen -t ed25519`) and
    /// print the allowed_signers line an auditor needs to trust it.
    Keygen(KeygenArgs),
    /// List, add or remove the trusted signers of a case (its
    /// `allowed_signers` file, used by default for the case's archives).
    Trust(TrustArgs),
    /// Delete an interrupted capture's `.zip.partial` from its case folder,
    /// recorded first in the case notes (`notes.md`).
    DeletePartial(DeletePartialArgs),
}

#[derive(clap::Args, Debug)]
pub struct TrustArgs {
    /// The case folder.
    pub case: PathBuf,
    /// Add this allowed_signers line (checked as ssh-keygen reads it).
    #[arg(long, value_name = "LINE", conflicts_with_all = ["add_key", "remove"])]
    pub add: Option<String>,
    /// Add this public key (`.pub` file) for custody signatures by --principal.
    #[arg(
        long,
        value_name = "FILE.pub",
        requires = "principal",
        conflicts_with = "remove"
    )]
    pub add_key: Option<PathBuf>,
    /// Who holds the key added with --add-key (one word, e.g. dana.scully).
    #[arg(long)]
    pub principal: Option<String>,
    /// Remove the key line with this line number (as listed).
    #[arg(long, value_name = "LINE_NO")]
    pub remove: Option<usize>,
}

#[derive(clap::Args, Debug)]
pub struct DeletePartialArgs {
    /// The `.zip.partial` (or `.zip.age.partial`) in a case folder.
    pub file: PathBuf,
    /// Who deletes it (recorded in the case notes).
    #[arg(long)]
    pub actor: String,
    /// Why (recorded in the case notes).
    #[arg(long)]
    pub reason: String,
}

#[derive(clap::Args, Debug)]
pub struct KeygenArgs {
    /// Where to write the private key (the public key goes to `<FILE>.pub`).
    /// Existing files are never replaced.
    #[arg(value_name = "FILE")]
    pub output: PathBuf,
    /// Who holds the key, as one word (e.g. dana.scully@example.org): the
    /// key's comment and the principal of the allowed_signers line.
    #[arg(long)]
    pub principal: String,
    /// Write the private key unencrypted (otherwise the passphrase comes
    /// from EXHIBIT_KEY_PASSPHRASE or is asked twice on the terminal).
    #[arg(long)]
    pub no_passphrase: bool,
}

#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// The archive (`.zip`) or its custody log (`.custody.jsonl`).
    pub archive: PathBuf,
    /// OpenSSH allowed_signers file: whose signatures to trust.
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub trust: Option<PathBuf>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// The archive (`.zip`).
    pub archive: PathBuf,
    /// transferred, received, verified, opened, exported or note.
    #[arg(long)]
    pub action: String,
    /// Who performs the action (name).
    #[arg(long)]
    pub actor: String,
    /// The actor's role (e.g. "evidence custodian").
    #[arg(long)]
    pub role: Option<String>,
    /// The actor's organisation.
    #[arg(long)]
    pub org: Option<String>,
    /// The actor's contact (e-mail or phone).
    #[arg(long)]
    pub contact: Option<String>,
    /// Who releases the evidence (transfers, receipts).
    #[arg(long)]
    pub from: Option<String>,
    /// Who receives the evidence (transfers).
    #[arg(long)]
    pub to: Option<String>,
    /// How it travels (e.g. "USB disk SN 1234, sealed bag 77").
    #[arg(long)]
    pub medium: Option<String>,
    /// Where the action takes place.
    #[arg(long)]
    pub location: Option<String>,
    /// Why.
    #[arg(long)]
    pub purpose: Option<String>,
    /// A free-text note.
    #[arg(long)]
    pub note: Option<String>,
    /// Sign the event: OpenSSH private key, its `.pub` (key in ssh-agent), or `agent`.
    #[arg(long, value_name = "KEYFILE")]
    pub sign: Option<PathBuf>,
    /// Do not re-hash the archive (the event then repeats the sealed hash
    /// without checking it).
    #[arg(long)]
    pub no_hash: bool,
    /// Print the new event as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct FormArgs {
    /// The archive (`.zip`).
    pub archive: PathBuf,
    /// Output HTML file.
    #[arg(short = 'o', long = "output", value_name = "FILE.html")]
    pub output: PathBuf,
    /// OpenSSH allowed_signers file: whose signatures to trust.
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub trust: Option<PathBuf>,
}

pub fn run(a: Args) -> u8 {
    match a.command {
        Sub::Show(s) => show(s),
        Sub::Add(s) => add(*s),
        Sub::Form(s) => form_cmd(s),
        Sub::Keygen(k) => keygen(k),
        Sub::Trust(t) => trust_cmd(t),
        Sub::DeletePartial(d) => delete_partial(d),
    }
}

/// The trust to judge `archive` with: the one given, else its case's
/// `allowed_signers` (said on stderr), else none.
pub fn case_trust(given: Option<&Path>, archive: &Path) -> Option<PathBuf> {
    if let Some(t) = given {
        return Some(t.to_path_buf());
    }
    let t = exhibit::case::trust::for_archive(archive)?;
    errln!(
        "exhibit: judging signatures with the case's trusted signers (--trust to use another file): {}",
        t.display()
    );
    Some(t)
}

fn trust_cmd(t: TrustArgs) -> u8 {
    use exhibit::case::trust;
    let run = || -> anyhow::Result<()> {
        if std::fs::symlink_metadata(t.case.join(exhibit::case::CASE_FILE)).is_err() {
            anyhow::bail!("not a case folder (no case.json): {}", t.case.display());
        }
        let file = trust::path(&t.case);
        if let Some(line) = &t.add {
            let fp = trust::add(&file, line)?;
            outln!("added {fp} to {}", file.display());
        }
        if let Some(k) = &t.add_key {
            let text = std::fs::read_to_string(k)
                .map_err(|e| anyhow!("cannot read the public key: {e}: {}", k.display()))?;
            let key = ssh_key::PublicKey::from_openssh(text.trim())
                .map_err(|e| anyhow!("not an OpenSSH public key: {e}: {}", k.display()))?;
            let line = trust::line_for_key(t.principal.as_deref().unwrap_or_default(), &key)?;
            let fp = trust::add(&file, &line)?;
            outln!("added {fp} to {}", file.display());
        }
        if let Some(n) = t.remove {
            let list = trust::list(&file)?;
            let k = list
                .keys
                .iter()
                .find(|k| k.line == n)
                .ok_or_else(|| anyhow!("no key on line {n}: {}", file.display()))?;
            trust::remove(&file, n, &k.text)?;
            outln!(
                "removed line {n} ({}) from {}",
                k.fingerprint,
                file.display()
            );
        }
        let list = trust::list(&file)?;
        for k in &list.keys {
            outln!("{:>4}  {}  {}", k.line, k.fingerprint, k.principals);
        }
        for s in &list.skipped {
            errln!(
                "exhibit: warning: {}: {s}: ignored, as ssh-keygen ignores it",
                file.display()
            );
        }
        if list.keys.is_empty() {
            errln!("exhibit: no trusted signers in {}", file.display());
        }
        Ok(())
    };
    match run() {
        Ok(()) => EXIT_OK,
        Err(e) => {
            report_error(&e);
            EXIT_ERROR
        }
    }
}

fn delete_partial(d: DeletePartialArgs) -> u8 {
    let file = std::path::absolute(&d.file).unwrap_or(d.file.clone());
    let case = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let cancel = super::progress::cancel_on_ctrl_c();
    match exhibit::case::partial::delete(&case, &file, &d.actor, &d.reason, &cancel) {
        Ok(del) => {
            outln!(
                "deleted {} ({} bytes, SHA-256 {}); recorded in {}",
                del.path.display(),
                del.size_bytes,
                del.sha256.as_deref().unwrap_or("not computed"),
                del.notes.display()
            );
            EXIT_OK
        }
        Err(e) => {
            report_error(&e);
            EXIT_ERROR
        }
    }
}

fn keygen(k: KeygenArgs) -> u8 {
    let pass = if k.no_passphrase {
        None
    } else if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        Some(p)
    } else if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Passphrase for the new key: ");
        let again = rpassword::prompt_password("Same passphrase again: ");
        match (first, again) {
            (Ok(a), Ok(b)) if a == b && !a.is_empty() => Some(a),
            (Ok(a), Ok(b)) if a != b => {
                report_error(&anyhow!("the two passphrases differ; no key was written"));
                return EXIT_ERROR;
            }
            _ => {
                report_error(&anyhow!(
                    "no passphrase given (use --no-passphrase for an unencrypted key); no key was written"
                ));
                return EXIT_ERROR;
            }
        }
    } else {
        report_error(&anyhow!(
            "set {PASSPHRASE_ENV}, run on a terminal, or pass --no-passphrase; no key was written"
        ));
        return EXIT_ERROR;
    };
    match custody::generate_key(&k.output, &k.principal, pass.as_deref()) {
        Ok(made) => {
            errln!(
                "Wrote {} ({}) and {}",
                made.private_path.display(),
                if pass.is_some() {
                    "encrypted"
                } else {
                    "NOT encrypted"
                },
                made.public_path.display()
            );
            errln!("Key fingerprint: {}", made.signer.fingerprint());
            errln!("Give this line to whoever verifies your custody records (allowed_signers):");
            outln!("{}", made.allowed_signers_line);
            EXIT_OK
        }
        Err(e) => {
            report_error(&anyhow::Error::from(e));
            EXIT_ERROR
        }
    }
}

/// Load a signing identity for `--sign`: a private key file (asking for its
/// passphrase when needed), a public key whose private half is in ssh-agent,
/// or `agent` for the agent's first Ed25519 key.
pub fn load_signer(path: &Path) -> anyhow::Result<Signer> {
    if path.as_os_str() == "agent" {
        return Ok(Signer::from_agent(None)?);
    }
    match Signer::inspect(path)? {
        KeyFile::Plain => Ok(Signer::from_key_file(path, None)?),
        KeyFile::Public(pk) => Ok(Signer::from_agent(Some(&pk))?),
        KeyFile::Encrypted(pk) => {
            if let Ok(pass) = std::env::var(PASSPHRASE_ENV) {
                return Ok(Signer::from_key_file(path, Some(&pass))?);
            }
            if std::env::var_os("SSH_AUTH_SOCK").is_some()
                && let Ok(s) = Signer::from_agent(Some(&pk))
            {
                return Ok(s);
            }
            if std::io::stdin().is_terminal() {
                let pass =
                    rpassword::prompt_password(format!("Passphrase for {}: ", path.display()))
                        .context("cannot read the passphrase")?;
                return Ok(Signer::from_key_file(path, Some(&pass))?);
            }
            Err(anyhow!(
                "the key is protected by a passphrase: add it to ssh-agent, set {PASSPHRASE_ENV} or run on a terminal: {}",
                path.display()
            ))
        }
        _ => Err(anyhow!("unsupported key file: {}", path.display())),
    }
}

/// The archive and log paths for an argument that names either.
fn paths(arg: &Path) -> (PathBuf, PathBuf) {
    let name = arg
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.strip_suffix(".custody.jsonl") {
        Some(stem) => (arg.with_file_name(format!("{stem}.zip")), arg.to_path_buf()),
        None => (arg.to_path_buf(), archive::custody_log_path(arg)),
    }
}

fn load_trust(trust: Option<&Path>) -> anyhow::Result<Option<AllowedSigners>> {
    let Some(t) = trust else { return Ok(None) };
    let signers =
        AllowedSigners::load(t).map_err(|e| anyhow!("cannot read allowed signers: {e}"))?;
    warn_skipped(t, &signers);
    Ok(Some(signers))
}

/// Say which allowed_signers lines are ignored (as ssh-keygen ignores them).
pub fn warn_skipped(path: &Path, signers: &AllowedSigners) {
    for s in &signers.skipped {
        errln!(
            "exhibit: warning: {}: {s}: ignored, as ssh-keygen ignores it",
            path.display()
        );
    }
}

fn show(a: ShowArgs) -> u8 {
    let (archive_path, log) = paths(&a.archive);
    let given = case_trust(a.trust.as_deref(), &archive_path);
    let trust = match load_trust(given.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            report_error(&e);
            return EXIT_ERROR;
        }
    };
    let bytes = match custody::read_log_bytes(&log) {
        Ok(b) => b,
        Err(e) => {
            report_error(&anyhow::Error::new(e));
            return EXIT_ERROR;
        }
    };
    let log_name = log
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let c = custody::check_log(
        &bytes,
        &CheckOptions {
            trust: trust.as_ref(),
            log_name: Some(&log_name),
            ..CheckOptions::default()
        },
    );
    if a.json {
        super::print_json(&serde_json::json!({
            "custody_log": log,
            "archive": archive_path,
            "events": c.log,
            "signatures": c.signatures,
            "problems": c.problems,
            "warnings": c.warnings,
            "head": c.head,
        }));
    } else {
        print_log(&log, &c);
    }
    if c.problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAIL
    }
}

/// The log for people, one inert line at a time.
fn print_log(log: &Path, c: &custody::CustodyCheck) {
    outln!("custody log: {}", log.display());
    for e in &c.log {
        let sig = c
            .signatures
            .iter()
            .find(|s| s.seq == e.seq)
            .map(|s| match &s.signer {
                Some(w) => format!("{} ({w})", s.status),
                None => s.status.clone(),
            })
            .unwrap_or_default();
        outln!(
            "{:>3}  {}  {:<11}  {}{}",
            e.seq,
            e.at,
            e.action.as_str(),
            e.actor.name,
            e.actor
                .organisation
                .as_deref()
                .map(|o| format!(" ({o})"))
                .unwrap_or_default()
        );
        if let Some(l) = &e.location {
            outln!("       location:  {l}");
        }
        if let Some(p) = &e.purpose {
            outln!("       purpose:   {p}");
        }
        for (k, v) in &e.details {
            if let Some(s) = v.as_str() {
                outln!("       {k}: {s}");
            } else if v.is_number() || v.is_boolean() {
                outln!("       {k}: {v}");
            }
        }
        outln!(
            "       archive:   {} sha256 {}",
            e.archive.file,
            e.archive.sha256
        );
        outln!("       signature: {sig}");
    }
    if let Some(h) = &c.head {
        outln!("chain head:  {h} (SHA-256 of line {})", c.events);
    }
    for w in &c.warnings {
        outln!("WARNING: {:<28} {}", w.kind, w.detail);
    }
    if c.problems.is_empty() {
        outln!(
            "chain:       intact ({} events; run `exhibit verify` to check the archive against it)",
            c.events
        );
    } else {
        outln!("chain:       BROKEN, {} problem(s):", c.problems.len());
        for p in &c.problems {
            outln!("  {:<28} {}", p.kind, p.detail);
        }
    }
}

fn add(a: AddArgs) -> u8 {
    let (archive_path, log) = paths(&a.archive);
    let Some(action) = Action::parse(&a.action) else {
        report_error(&anyhow!(
            "unknown action {:?} (transferred, received, verified, opened, exported, note)",
            a.action
        ));
        return EXIT_ERROR;
    };
    let signer = match a.sign.as_deref().map(load_signer).transpose() {
        Ok(s) => s,
        Err(e) => {
            report_error(&e);
            return EXIT_ERROR;
        }
    };
    let archive_sha256 = if a.no_hash {
        None
    } else {
        match custody::hash_file(&archive_path) {
            Ok(h) => Some(h),
            Err(e) => {
                report_error(&anyhow::Error::new(e).context("cannot hash the archive"));
                return EXIT_ERROR;
            }
        }
    };
    let new = NewEvent {
        action: Some(action),
        actor: Actor {
            name: a.actor.clone(),
            role: a.role.clone(),
            organisation: a.org.clone(),
            contact: a.contact.clone(),
        },
        location: a.location.clone(),
        purpose: a.purpose.clone(),
        details: custody::transfer_details(
            a.from.as_deref(),
            a.to.as_deref(),
            a.medium.as_deref(),
            a.note.as_deref(),
        ),
        archive_file: archive_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
        archive_sha256,
    };
    match custody::append_event(&log, &new, signer.as_ref()) {
        Ok(e) => {
            if a.json {
                let doc = serde_json::json!({"custody_log": log, "event": e});
                println!("{}", exhibit::report::text::inert_json(&doc.to_string()));
            } else {
                outln!(
                    "appended {} to {}{}",
                    e.label(),
                    log.display(),
                    signer
                        .as_ref()
                        .map(|s| format!(", signed with {}", s.fingerprint()))
                        .unwrap_or_default()
                );
            }
            EXIT_OK
        }
        Err(e) => {
            let code = match e {
                CustodyError::Broken(..) | CustodyError::ArchiveMismatch(..) => EXIT_FAIL,
                _ => EXIT_ERROR,
            };
            report_error(&anyhow::Error::new(e));
            code
        }
    }
}

fn form_cmd(a: FormArgs) -> u8 {
    let (archive_path, log) = paths(&a.archive);
    let run = || -> anyhow::Result<bool> {
        let given = case_trust(a.trust.as_deref(), &archive_path);
        let trust = load_trust(given.as_deref())?;
        let bytes = custody::read_log_bytes(&log)?;
        let actual = custody::hash_file(&archive_path).ok();
        let size = std::fs::metadata(&archive_path).ok().map(|m| m.len());
        let acquisition = Archive::open(&archive_path)
            .ok()
            .and_then(|ar| ar.acquisition().ok());
        let log_name = log
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let check = custody::check_log(
            &bytes,
            &CheckOptions {
                archive_sha256: actual.as_deref(),
                trust: trust.as_ref(),
                log_name: Some(&log_name),
                now: None,
            },
        );
        let file = archive_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let html = form::render_form_html(&form::FormInput {
            archive_file: &file,
            archive_size_bytes: size,
            archive_sha256: actual.as_deref(),
            acquisition: acquisition.as_ref(),
            check: &check,
            generated_at: &now,
        });
        std::fs::write(&a.output, html)
            .with_context(|| format!("cannot write {}", a.output.display()))?;
        outln!("form: {}", a.output.display());
        if !check.problems.is_empty() {
            errln!(
                "exhibit: warning: the custody log has {} problem(s); they are listed on the form",
                check.problems.len()
            );
        }
        Ok(check.problems.is_empty())
    };
    match run() {
        Ok(true) => EXIT_OK,
        Ok(false) => EXIT_FAIL,
        Err(e) => {
            report_error(&e);
            EXIT_ERROR
        }
    }
}
