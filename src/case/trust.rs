//! The case's trusted signers: one OpenSSH `allowed_signers` file in the
//! case folder (`<case>/allowed_signers`), the trust the Custody and Verify
//! screens use and the one the CLI takes by default for an archive of the
//! case. It is an ordinary file `ssh-keygen -Y verify -f` reads, so an
//! auditor with OpenSSH alone judges the signatures exactly as Exhibit does.
//!
//! Lines are added only after the same parser the verifier uses
//! ([`AllowedSigners`]) accepts them, and removed by line number with the
//! line's text as a check, so an edit made meanwhile by hand is never lost
//! silently. Every function here touches the disk: call it from a job.

use crate::custody::allowed_signers::{AllowedSigners, MAX_FILE_BYTES};
use ssh_key::HashAlg;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The file's name in the case folder.
pub const TRUST_FILE: &str = "allowed_signers";

/// The case's trust file (whether it exists or not).
pub fn path(case_dir: &Path) -> PathBuf {
    case_dir.join(TRUST_FILE)
}

/// The trust file to judge `archive` with when none is given: the
/// `allowed_signers` of the case folder holding the archive, when that
/// folder is a case and the file names at least one key. `None` otherwise
/// (signatures are then reported valid but untrusted).
pub fn for_archive(archive: &Path) -> Option<PathBuf> {
    let dir = archive.parent()?;
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if std::fs::symlink_metadata(dir.join(super::CASE_FILE)).is_err() {
        return None;
    }
    for_case(dir)
}

/// The case's trust file when it exists and names at least one key (an
/// empty file would make every check fail to load it).
pub fn for_case(case_dir: &Path) -> Option<PathBuf> {
    let p = path(case_dir);
    AllowedSigners::load(&p).ok().map(|_| p)
}

/// One key line of the file, as the window lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// Line number (1-based).
    pub line: usize,
    /// The principals field (who may sign with the key).
    pub principals: String,
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// `namespaces="…"`, when the line restricts them.
    pub namespaces: Option<String>,
    /// The line as written.
    pub text: String,
}

/// The case's trust file, read: its key lines and the lines ssh-keygen
/// would skip (each `line N: why`). A missing file is an empty list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustList {
    pub path: PathBuf,
    pub keys: Vec<TrustedKey>,
    pub skipped: Vec<String>,
}

/// Read the trust file at `path` (missing: empty).
pub fn list(path: &Path) -> anyhow::Result<TrustList> {
    let text = match read(path)? {
        Some(t) => t,
        None => {
            return Ok(TrustList {
                path: path.to_path_buf(),
                ..TrustList::default()
            });
        }
    };
    let parsed = AllowedSigners::parse(&text);
    let lines: Vec<&str> = text.lines().collect();
    let keys = parsed
        .entries
        .iter()
        .map(|e| TrustedKey {
            line: e.line,
            principals: e.principals.clone(),
            fingerprint: ssh_key::PublicKey::from(e.key.clone())
                .fingerprint(HashAlg::Sha256)
                .to_string(),
            namespaces: e.namespaces.clone(),
            text: lines
                .get(e.line.saturating_sub(1))
                .map(|l| l.to_string())
                .unwrap_or_default(),
        })
        .collect();
    Ok(TrustList {
        path: path.to_path_buf(),
        keys,
        skipped: parsed.skipped,
    })
}

/// Check one `allowed_signers` line with the verifier's own parser: it must
/// be exactly one usable key line. Returns the key's fingerprint.
pub fn validate_line(line: &str) -> Result<String, String> {
    let line = line.trim();
    if line.is_empty() {
        return Err("the line is empty".into());
    }
    if line.contains(['\n', '\r']) {
        return Err("give one line".into());
    }
    let parsed = AllowedSigners::parse(line);
    if let Some(why) = parsed.skipped.first() {
        return Err(format!(
            "ssh-keygen would ignore this line ({})",
            why.trim_start_matches("line 1: ")
        ));
    }
    match parsed.entries.as_slice() {
        [e] if e.cert_authority => {
            Err("a cert-authority line never trusts Exhibit's plain keys".into())
        }
        [e] => Ok(ssh_key::PublicKey::from(e.key.clone())
            .fingerprint(HashAlg::Sha256)
            .to_string()),
        _ => Err("not a key line: principals [options] keytype base64 [comment]".into()),
    }
}

/// The line that trusts `key` for custody signatures under `principal`
/// (as `exhibit custody keygen` prints it).
pub fn line_for_key(principal: &str, key: &ssh_key::PublicKey) -> anyhow::Result<String> {
    if principal.is_empty() || principal.chars().any(|c| c.is_whitespace() || c == '"') {
        anyhow::bail!("the key holder must be one word (for example dana.scully@example.org)");
    }
    let public = key
        .to_openssh()
        .map_err(|e| anyhow::anyhow!("cannot write the public key: {e}"))?;
    Ok(format!(
        "{principal} namespaces=\"{}\" {public}",
        crate::custody::NAMESPACE
    ))
}

/// Append `line` to the trust file at `path` (created if missing) after
/// [`validate_line`]; a line already present is not added twice. Returns
/// the key's fingerprint.
pub fn add(path: &Path, line: &str) -> anyhow::Result<String> {
    let line = line.trim();
    let fingerprint = validate_line(line).map_err(|e| anyhow::anyhow!("{e}"))?;
    let old = read(path)?.unwrap_or_default();
    if old.lines().any(|l| l.trim() == line) {
        anyhow::bail!(
            "this line is already in the trusted signers: {}",
            path.display()
        );
    }
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot open the trusted signers: {e}: {}", path.display()))?;
    let sep = if old.is_empty() || old.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    f.write_all(format!("{sep}{line}\n").as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| {
            anyhow::anyhow!("cannot write the trusted signers: {e}: {}", path.display())
        })?;
    Ok(fingerprint)
}

/// Remove line `line` (1-based) from the trust file, which must still read
/// `expected` (the file may have been edited meanwhile). The file is
/// rewritten beside itself and renamed over, so a crash leaves the old or
/// the new file, never half of one.
pub fn remove(path: &Path, line: usize, expected: &str) -> anyhow::Result<()> {
    let old = read(path)?
        .ok_or_else(|| anyhow::anyhow!("no trusted signers file: {}", path.display()))?;
    let mut lines: Vec<&str> = old.lines().collect();
    match line.checked_sub(1).and_then(|i| lines.get(i)) {
        Some(l) if l.trim() == expected.trim() => {}
        _ => anyhow::bail!(
            "line {line} has changed since it was shown; look again: {}",
            path.display()
        ),
    }
    lines.remove(line - 1);
    let mut new = lines.join("\n");
    if !new.is_empty() {
        new.push('\n');
    }
    let tmp = path.with_file_name(format!("{TRUST_FILE}.partial"));
    std::fs::write(&tmp, new.as_bytes())
        .and_then(|()| std::fs::File::open(&tmp)?.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot rewrite the trusted signers: {e}: {}",
                path.display()
            )
        })
}

/// The file's text; `None` when it does not exist.
fn read(path: &Path) -> anyhow::Result<Option<String>> {
    match crate::archive::regular::read_regular(path, MAX_FILE_BYTES) {
        Ok(b) => String::from_utf8(b).map(Some).map_err(|_| {
            anyhow::anyhow!("the trusted signers file is not text: {}", path.display())
        }),
        Err(_) if std::fs::symlink_metadata(path).is_err() => Ok(None),
        Err(e) => Err(anyhow::anyhow!(
            "cannot read the trusted signers: {e}: {}",
            path.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

    #[test]
    fn add_validates_lists_and_removes() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(crate::case::CASE_FILE), b"{}").unwrap();
        let p = path(tmp.path());
        let archive = tmp.path().join("a.zip");
        assert_eq!(for_archive(&archive), None, "no file yet");
        assert!(list(&p).unwrap().keys.is_empty());
        assert!(add(&p, "dana ssh-ed25519 notbase64").is_err());
        assert!(add(&p, &format!("dana cert-authority {KEY}")).is_err());
        assert!(add(&p, &format!("dana bogus=\"x\" {KEY}")).is_err());
        let line = format!("dana.scully namespaces=\"exhibit-custody\" {KEY}");
        let fp = add(&p, &line).unwrap();
        assert!(fp.starts_with("SHA256:"), "{fp}");
        assert!(add(&p, &line).is_err(), "twice");
        add(&p, &format!("fox {KEY}")).unwrap();
        let l = list(&p).unwrap();
        assert_eq!(l.keys.len(), 2);
        assert_eq!(l.keys[0].principals, "dana.scully");
        assert_eq!(l.keys[0].fingerprint, fp);
        assert_eq!(for_archive(&archive), Some(p.clone()));
        assert!(remove(&p, 2, "someone else's line").is_err());
        remove(&p, 1, &line).unwrap();
        let l = list(&p).unwrap();
        assert_eq!(l.keys.len(), 1);
        assert_eq!(l.keys[0].principals, "fox");
        remove(&p, 1, &l.keys[0].text).unwrap();
        assert_eq!(for_archive(&archive), None, "no key left");
    }
}
