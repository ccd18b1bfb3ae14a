//! Signing custody events with the user's OpenSSH key, and checking
//! signatures.
//!
//! Signatures are standard SSHSIG (the format of `ssh-keygen -Y sign`) in the
//! namespace [`NAMESPACE`] with SHA-512, armored as
//! `-----BEGIN SSH SIGNATURE-----`. A [`Signer`] is either an Ed25519 private
//! key read from an OpenSSH key file (decrypted with its passphrase when it
//! has one) or an identity held by the running `ssh-agent`, reached through
//! `SSH_AUTH_SOCK` with the agent protocol's two messages (list identities,
//! sign).

use super::CustodyError;
use super::allowed_signers::AllowedSigners;
use ssh_key::public::KeyData;
use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey, Signature, SshSig};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The SSHSIG namespace of custody signatures.
pub const NAMESPACE: &str = "exhibit-custody";

enum Backend {
    Key(Box<PrivateKey>),
    Agent(PathBuf),
}

/// A loaded signing identity: an OpenSSH Ed25519 private key, or an
/// ssh-agent identity.
pub struct Signer {
    backend: Backend,
    public: PublicKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kind", &self.kind())
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

/// What a key file holds, before any passphrase is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyFile {
    /// An unencrypted private key.
    Plain,
    /// A passphrase-protected private key, with its (clear) public key.
    Encrypted(PublicKey),
    /// A public key only (`.pub`): the private half must be in ssh-agent.
    Public(PublicKey),
}

fn key_error(path: &Path, why: impl std::fmt::Display) -> CustodyError {
    CustodyError::Key(why.to_string(), path.to_path_buf())
}

/// A signing key made by [`generate_key`].
#[derive(Debug)]
pub struct NewKey {
    /// The signer, ready to use (no need to decrypt the file again).
    pub signer: Signer,
    /// The private key file (mode 0600).
    pub private_path: PathBuf,
    /// The public key file (`<private>.pub`).
    pub public_path: PathBuf,
    /// The line an auditor adds to an OpenSSH `allowed_signers` file to
    /// trust this key for custody signatures (`principal
    /// namespaces="exhibit-custody" ssh-ed25519 AAAA... comment`).
    pub allowed_signers_line: String,
}

/// Make a new Ed25519 signing key as `ssh-keygen -t ed25519` would: the
/// private key in OpenSSH format at `path` (mode 0600, encrypted with
/// `passphrase` when one is given, AES-256-CTR with bcrypt-pbkdf) and the
/// public key beside it as `<path>.pub`. Never overwrites a file.
/// `principal` names the key holder (used as the key's comment and in the
/// allowed_signers line); it must not contain whitespace.
pub fn generate_key(
    path: &Path,
    principal: &str,
    passphrase: Option<&str>,
) -> Result<NewKey, CustodyError> {
    if principal.is_empty()
        || principal
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(key_error(
            path,
            "the key holder's name must be one word (for example dana.scully@example.org)",
        ));
    }
    let mut pub_name = path.as_os_str().to_os_string();
    pub_name.push(".pub");
    let public_path = PathBuf::from(pub_name);
    for p in [path, public_path.as_path()] {
        if std::fs::symlink_metadata(p).is_ok() {
            return Err(key_error(
                p,
                "a file already exists there; choose another name",
            ));
        }
    }
    let mut rng = ssh_key::rand_core::OsRng;
    let mut key =
        PrivateKey::random(&mut rng, Algorithm::Ed25519).map_err(|e| key_error(path, e))?;
    key.set_comment(principal);
    let stored = match passphrase {
        Some(p) if !p.is_empty() => key.encrypt(&mut rng, p).map_err(|e| key_error(path, e))?,
        _ => key.clone(),
    };
    let pem = stored
        .to_openssh(LineEnding::LF)
        .map_err(|e| key_error(path, e))?;
    let public_line = key
        .public_key()
        .to_openssh()
        .map_err(|e| key_error(path, e))?;
    write_new(path, pem.as_bytes(), 0o600)?;
    if let Err(e) = write_new(&public_path, format!("{public_line}\n").as_bytes(), 0o644) {
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    let allowed_signers_line = format!("{principal} namespaces=\"{NAMESPACE}\" {public_line}");
    let public = key.public_key().clone();
    Ok(NewKey {
        signer: Signer {
            backend: Backend::Key(Box::new(key)),
            public,
        },
        private_path: path.to_path_buf(),
        public_path,
        allowed_signers_line,
    })
}

/// Create `path` (never replacing anything) with `mode`, write and fsync.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), CustodyError> {
    let io = |e| CustodyError::Io(e, path.to_path_buf());
    let mut f = crate::platform::files::new_file_with_mode(mode)
        .open(path)
        .map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)
}

impl Signer {
    /// Look at a key file: plain, encrypted or public.
    pub fn inspect(path: &Path) -> Result<KeyFile, CustodyError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| CustodyError::Io(e, path.to_path_buf()))?;
        if text
            .trim_start()
            .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----")
        {
            let key = PrivateKey::from_openssh(&text).map_err(|e| key_error(path, e))?;
            if key.is_encrypted() {
                Ok(KeyFile::Encrypted(key.public_key().clone()))
            } else {
                Ok(KeyFile::Plain)
            }
        } else if text.trim_start().starts_with("-----BEGIN") {
            Err(key_error(
                path,
                "not an OpenSSH private key (convert it with `ssh-keygen -p -f KEY`)",
            ))
        } else {
            PublicKey::from_openssh(text.trim())
                .map(KeyFile::Public)
                .map_err(|e| key_error(path, format!("not an OpenSSH key ({e})")))
        }
    }

    /// Load an OpenSSH Ed25519 private key, decrypting it with `passphrase`
    /// when it is protected.
    pub fn from_key_file(path: &Path, passphrase: Option<&str>) -> Result<Signer, CustodyError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| CustodyError::Io(e, path.to_path_buf()))?;
        let mut key = PrivateKey::from_openssh(&text).map_err(|e| key_error(path, e))?;
        if key.is_encrypted() {
            let Some(pass) = passphrase else {
                return Err(key_error(path, "the key is protected by a passphrase"));
            };
            key = key
                .decrypt(pass)
                .map_err(|_| key_error(path, "wrong passphrase"))?;
        }
        if key.algorithm() != Algorithm::Ed25519 {
            return Err(key_error(
                path,
                format!("{} keys are not supported, use Ed25519", key.algorithm()),
            ));
        }
        let public = key.public_key().clone();
        Ok(Signer {
            backend: Backend::Key(Box::new(key)),
            public,
        })
    }

    /// Use an identity held by ssh-agent (`SSH_AUTH_SOCK`): the one whose
    /// public key is `want`, or the first Ed25519 identity when `None`.
    pub fn from_agent(want: Option<&PublicKey>) -> Result<Signer, CustodyError> {
        let sock = std::env::var_os("SSH_AUTH_SOCK")
            .map(PathBuf::from)
            .ok_or_else(|| CustodyError::Agent("SSH_AUTH_SOCK is not set".into()))?;
        let ids = agent::identities(&sock)?;
        let public = ids
            .into_iter()
            .find(|k| match want {
                Some(w) => k.key_data() == w.key_data(),
                None => k.algorithm() == Algorithm::Ed25519,
            })
            .ok_or_else(|| {
                CustodyError::Agent(match want {
                    Some(w) => format!(
                        "the agent does not hold the key {}",
                        w.fingerprint(HashAlg::Sha256)
                    ),
                    None => "the agent holds no Ed25519 key".into(),
                })
            })?;
        if public.algorithm() != Algorithm::Ed25519 {
            return Err(CustodyError::Agent(format!(
                "{} keys are not supported, use Ed25519",
                public.algorithm()
            )));
        }
        Ok(Signer {
            backend: Backend::Agent(sock),
            public,
        })
    }

    /// `key` or `agent`.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Key(_) => "key",
            Backend::Agent(_) => "agent",
        }
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// `SHA256:...`, as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self) -> String {
        self.public.fingerprint(HashAlg::Sha256).to_string()
    }

    /// Sign `msg`: an armored SSHSIG in the custody namespace.
    pub fn sign(&self, msg: &[u8]) -> Result<String, CustodyError> {
        let sig = match &self.backend {
            Backend::Key(k) => k
                .sign(NAMESPACE, HashAlg::Sha512, msg)
                .map_err(|e| CustodyError::Sign(e.to_string()))?,
            Backend::Agent(sock) => {
                let data = SshSig::signed_data(NAMESPACE, HashAlg::Sha512, msg)
                    .map_err(|e| CustodyError::Sign(e.to_string()))?;
                let raw = agent::sign(sock, &self.public, &data)?;
                let sig = SshSig::new(
                    self.public.key_data().clone(),
                    NAMESPACE,
                    HashAlg::Sha512,
                    raw,
                )
                .map_err(|e| CustodyError::Sign(e.to_string()))?;
                // The agent is outside our control: check what it returned.
                self.public.verify(NAMESPACE, msg, &sig).map_err(|e| {
                    CustodyError::Agent(format!("the agent returned a bad signature ({e})"))
                })?;
                sig
            }
        };
        sig.to_pem(LineEnding::LF)
            .map_err(|e| CustodyError::Sign(e.to_string()))
    }
}

/// The verdict on one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Cryptographically valid, and the key is in the trust file for this
    /// namespace and time.
    Valid {
        /// The principals fields of the trusting lines, joined with `, `.
        principals: String,
        /// The signing key, to ask the trust file about principals.
        key: KeyData,
    },
    /// Cryptographically valid, by a key not in the trust file (or no trust
    /// file given); carries the key's fingerprint.
    Untrusted(String),
    /// Not a valid signature of this event; carries the reason.
    Invalid(String),
}

/// Check an armored SSHSIG over `msg`; `now` (Unix seconds) is the time the
/// trust file's `valid-after`/`valid-before` are compared with.
pub fn check_signature(
    armored: &str,
    msg: &[u8],
    trust: Option<&AllowedSigners>,
    now: i64,
) -> Verdict {
    let sig = match SshSig::from_pem(armored) {
        Ok(s) => s,
        Err(e) => return Verdict::Invalid(format!("unreadable signature ({e})")),
    };
    if sig.namespace() != NAMESPACE {
        return Verdict::Invalid(format!(
            "signature is for namespace {:?}, not {NAMESPACE:?}",
            sig.namespace()
        ));
    }
    let key = PublicKey::from(sig.public_key().clone());
    let fp = key.fingerprint(HashAlg::Sha256).to_string();
    if let Err(e) = key.verify(NAMESPACE, msg, &sig) {
        return Verdict::Invalid(format!("signature by {fp} does not match the event ({e})"));
    }
    match trust.and_then(|t| t.principals_for(sig.public_key(), NAMESPACE, now)) {
        Some(principals) => Verdict::Valid {
            principals,
            key: sig.public_key().clone(),
        },
        None => Verdict::Untrusted(fp),
    }
}

/// A minimal ssh-agent client: list identities, sign (draft-miller-ssh-agent).
mod agent {
    use super::*;

    const FAILURE: u8 = 5;
    const REQUEST_IDENTITIES: u8 = 11;
    const IDENTITIES_ANSWER: u8 = 12;
    const SIGN_REQUEST: u8 = 13;
    const SIGN_RESPONSE: u8 = 14;
    const MAX_REPLY: usize = 256 * 1024;

    fn put_string(out: &mut Vec<u8>, s: &[u8]) {
        out.extend_from_slice(&(s.len() as u32).to_be_bytes());
        out.extend_from_slice(s);
    }

    struct Cursor<'a>(&'a [u8]);
    impl<'a> Cursor<'a> {
        fn u32(&mut self) -> Option<u32> {
            let (h, t) = self.0.split_at_checked(4)?;
            self.0 = t;
            Some(u32::from_be_bytes(h.try_into().ok()?))
        }
        fn string(&mut self) -> Option<&'a [u8]> {
            let n = self.u32()? as usize;
            let (h, t) = self.0.split_at_checked(n)?;
            self.0 = t;
            Some(h)
        }
    }

    fn request(sock: &Path, msg: &[u8]) -> Result<Vec<u8>, CustodyError> {
        let err = |e: std::io::Error| CustodyError::Agent(format!("{e}: {}", sock.display()));
        let mut s = crate::platform::files::connect_local(sock).map_err(err)?;
        let mut framed = Vec::with_capacity(msg.len() + 4);
        put_string(&mut framed, msg);
        s.write_all(&framed).map_err(err)?;
        let mut len = [0u8; 4];
        s.read_exact(&mut len).map_err(err)?;
        let n = u32::from_be_bytes(len) as usize;
        if n == 0 || n > MAX_REPLY {
            return Err(CustodyError::Agent(format!("bad reply length {n}")));
        }
        let mut reply = vec![0u8; n];
        s.read_exact(&mut reply).map_err(err)?;
        Ok(reply)
    }

    pub(super) fn identities(sock: &Path) -> Result<Vec<PublicKey>, CustodyError> {
        let reply = request(sock, &[REQUEST_IDENTITIES])?;
        let bad = || CustodyError::Agent("malformed identities answer".into());
        let (&kind, rest) = reply.split_first().ok_or_else(bad)?;
        if kind != IDENTITIES_ANSWER {
            return Err(CustodyError::Agent(format!("unexpected reply {kind}")));
        }
        let mut c = Cursor(rest);
        let n = c.u32().ok_or_else(bad)?;
        let mut out = Vec::new();
        for _ in 0..n {
            let blob = c.string().ok_or_else(bad)?;
            let _comment = c.string().ok_or_else(bad)?;
            // Keys of types we cannot parse (certificates...) are skipped.
            if let Ok(k) = PublicKey::from_bytes(blob) {
                out.push(k);
            }
        }
        Ok(out)
    }

    pub(super) fn sign(
        sock: &Path,
        key: &PublicKey,
        data: &[u8],
    ) -> Result<Signature, CustodyError> {
        let blob = key
            .to_bytes()
            .map_err(|e| CustodyError::Agent(e.to_string()))?;
        let mut msg = vec![SIGN_REQUEST];
        put_string(&mut msg, &blob);
        put_string(&mut msg, data);
        msg.extend_from_slice(&0u32.to_be_bytes());
        let reply = request(sock, &msg)?;
        let bad = || CustodyError::Agent("malformed sign response".into());
        let (&kind, rest) = reply.split_first().ok_or_else(bad)?;
        match kind {
            SIGN_RESPONSE => {}
            FAILURE => {
                return Err(CustodyError::Agent(
                    "the agent refused to sign (key locked or confirmation denied)".into(),
                ));
            }
            k => return Err(CustodyError::Agent(format!("unexpected reply {k}"))),
        }
        let mut c = Cursor(rest);
        let sig_blob = c.string().ok_or_else(bad)?;
        let mut s = Cursor(sig_blob);
        let alg = s.string().ok_or_else(bad)?;
        let raw = s.string().ok_or_else(bad)?;
        let alg = std::str::from_utf8(alg)
            .ok()
            .and_then(|a| Algorithm::new(a).ok())
            .ok_or_else(bad)?;
        Signature::new(alg, raw.to_vec()).map_err(|e| CustodyError::Agent(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-01T00:00:00Z
    const NOW: i64 = 1_767_225_600;

    fn test_key() -> Signer {
        // A throwaway key for this test only.
        let key = PrivateKey::from(ssh_key::private::Ed25519Keypair::from_seed(&[7u8; 32]));
        let public = key.public_key().clone();
        Signer {
            backend: Backend::Key(Box::new(key)),
            public,
        }
    }

    #[test]
    fn sign_and_check() {
        let s = test_key();
        let pem = s.sign(b"hello").unwrap();
        assert!(pem.starts_with("-----BEGIN SSH SIGNATURE-----"));
        assert!(
            matches!(check_signature(&pem, b"hello", None, NOW), Verdict::Untrusted(fp) if fp == s.fingerprint())
        );
        assert!(matches!(
            check_signature(&pem, b"hellO", None, NOW),
            Verdict::Invalid(_)
        ));
        let trust = AllowedSigners::parse(&format!(
            "ann@example.org {}\n",
            s.public_key().to_openssh().unwrap()
        ));
        assert!(matches!(
            check_signature(&pem, b"hello", Some(&trust), NOW),
            Verdict::Valid { principals, .. } if principals == "ann@example.org"
        ));
        assert!(matches!(
            check_signature("garbage", b"hello", None, NOW),
            Verdict::Invalid(_)
        ));
    }

    #[test]
    fn generated_key_is_readable_back_signs_and_is_trusted_by_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dana_ed25519");
        let made = generate_key(&path, "dana@example.org", Some("s3cret pass")).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        if let Some(mode) = crate::platform::files::permission_bits(&meta) {
            assert_eq!(mode & 0o777, 0o600);
        }
        // Read back through the real path: encrypted, and the passphrase opens it.
        assert!(matches!(
            Signer::inspect(&path).unwrap(),
            KeyFile::Encrypted(_)
        ));
        assert!(Signer::from_key_file(&path, Some("wrong")).is_err());
        let loaded = Signer::from_key_file(&path, Some("s3cret pass")).unwrap();
        assert_eq!(loaded.fingerprint(), made.signer.fingerprint());
        let public = std::fs::read_to_string(&made.public_path).unwrap();
        assert!(public.starts_with("ssh-ed25519 "), "{public}");
        assert!(public.trim_end().ends_with("dana@example.org"));
        // The allowed_signers line it prints makes its signatures valid.
        let trust = AllowedSigners::parse(&made.allowed_signers_line);
        let pem = loaded.sign(b"event").unwrap();
        assert!(matches!(
            check_signature(&pem, b"event", Some(&trust), NOW),
            Verdict::Valid { principals, .. } if principals == "dana@example.org"
        ));
        // Never overwrites, and refuses a name with spaces.
        assert!(generate_key(&path, "dana@example.org", None).is_err());
        assert!(generate_key(&dir.path().join("k2"), "Dana Scully", None).is_err());
        let plain = generate_key(&dir.path().join("k3"), "ann", None).unwrap();
        assert!(matches!(
            Signer::inspect(&plain.private_path).unwrap(),
            KeyFile::Plain
        ));
    }

    /// OpenSSH itself reads the generated key and verifies a signature made
    /// with it against the printed allowed_signers line.
    #[test]
    fn generated_key_works_with_openssh() {
        if std::process::Command::new("ssh-keygen")
            .arg("-?")
            .output()
            .is_err()
        {
            panic!("ssh-keygen must be installed (openssh-client; scripts/install-test-tools.sh)");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let made = generate_key(&path, "eve", Some("pw")).unwrap();
        let out = std::process::Command::new("ssh-keygen")
            .args(["-y", "-P", "pw", "-f"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let derived = String::from_utf8_lossy(&out.stdout);
        let on_disk = std::fs::read_to_string(&made.public_path).unwrap();
        let key_part = |s: &str| s.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        assert_eq!(key_part(&derived), key_part(&on_disk));
        let msg = dir.path().join("msg");
        std::fs::write(&msg, b"custody line").unwrap();
        let pem = made.signer.sign(b"custody line").unwrap();
        std::fs::write(dir.path().join("msg.sig"), pem).unwrap();
        let signers = dir.path().join("allowed_signers");
        std::fs::write(&signers, format!("{}\n", made.allowed_signers_line)).unwrap();
        let out = std::process::Command::new("ssh-keygen")
            .args(["-Y", "verify", "-n", NAMESPACE, "-I", "eve", "-f"])
            .arg(&signers)
            .arg("-s")
            .arg(dir.path().join("msg.sig"))
            .stdin(std::fs::File::open(&msg).unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
