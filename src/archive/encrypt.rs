//! Encrypted evidence: archives written as `<stem>.zip.age` with age.
//!
//! The archive bytes are encrypted on the fly, as they are written: no
//! plaintext copy ever reaches the disk. [`parse_recipients`] turns the
//! `--encrypt-to` arguments (an age X25519 recipient `age1…`, an OpenSSH
//! public key line, or a file of them) into [`Recipients`];
//! [`EncryptingWriter`] wraps any `Write` of archive bytes in age's
//! streaming encryption and hashes both sides (SHA-256 of the plaintext ZIP
//! before encryption, of the ciphertext after), the two hashes the custody
//! log's `sealed` event records. On the reading side [`load_identities`]
//! reads an age identity file or an OpenSSH private key (decrypted with its
//! passphrase), [`decrypt_to`] decrypts an archive as a stream into any
//! writer with both hashes, and [`private_temp_file`] gives the verifier
//! and the workstation an unnamed, owner-only file to decrypt into when they
//! need random access. The format is age v1 (<https://age-encryption.org/v1>),
//! so the standard `age -d -i KEY` decrypts these archives too.

use age::secrecy::SecretString;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The first bytes of every age v1 file.
pub const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// File name suffix of an encrypted archive (after `.zip`).
pub const AGE_SUFFIX: &str = ".age";

/// Largest recipients or identity file read (they hold a few keys).
const MAX_KEY_FILE_BYTES: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncryptError {
    #[error("no recipient given to encrypt to")]
    NoRecipients,
    #[error(
        "not an age recipient (age1…), an SSH public key or a readable file of them ({0}): {1}"
    )]
    BadRecipient(String, String),
    #[error("line {0}: not an age recipient or SSH public key ({1}): {2}")]
    BadRecipientLine(usize, String, PathBuf),
    #[error("cannot read {0}: {1}")]
    Read(io::Error, PathBuf),
    #[error("cannot encrypt: {0}")]
    Encrypt(String),
    #[error("not an age identity file or OpenSSH private key ({0}): {1}")]
    BadIdentity(String, PathBuf),
    #[error("the key is protected by a passphrase: {0}")]
    PassphraseNeeded(PathBuf),
    #[error("cannot decrypt ({0}): {1}")]
    Decrypt(String, PathBuf),
    #[error("the encrypted archive does not decrypt intact ({0}): {1}")]
    Corrupt(String, PathBuf),
    #[error("cannot write the decrypted archive: {0}: {1}")]
    Write(io::Error, PathBuf),
}

/// Recipients an archive is encrypted to, with the text each was given as
/// (for the custody log).
pub struct Recipients {
    keys: Vec<Box<dyn age::Recipient + Send + Sync>>,
    /// Each recipient as an age or OpenSSH public key string.
    pub labels: Vec<String>,
}

impl std::fmt::Debug for Recipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recipients")
            .field("labels", &self.labels)
            .finish()
    }
}

impl Recipients {
    /// The recipients as age takes them.
    pub fn iter(&self) -> impl Iterator<Item = &dyn age::Recipient> {
        self.keys.iter().map(|k| k.as_ref() as &dyn age::Recipient)
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// One recipient string: `age1…` or an OpenSSH public key line
/// (`ssh-ed25519 AAAA… comment`, `ssh-rsa …`). `Err` carries the reason.
fn parse_one(line: &str) -> Result<(Box<dyn age::Recipient + Send + Sync>, String), String> {
    let line = line.trim();
    if line.starts_with("age1") {
        let r: age::x25519::Recipient = line.parse().map_err(|e: &str| e.to_string())?;
        let label = r.to_string();
        return Ok((Box::new(r), label));
    }
    if line.starts_with("ssh-") {
        let r: age::ssh::Recipient = line.parse().map_err(|e| match e {
            age::ssh::ParseRecipientKeyError::Ignore => "an ignored SSH key type".to_string(),
            age::ssh::ParseRecipientKeyError::Invalid(why) => why.to_string(),
            age::ssh::ParseRecipientKeyError::RsaModulusTooLarge => {
                "an RSA key larger than age supports".to_string()
            }
            age::ssh::ParseRecipientKeyError::RsaModulusTooSmall => {
                "an RSA key smaller than 2048 bits".to_string()
            }
            age::ssh::ParseRecipientKeyError::Unsupported(t) => {
                format!("unsupported SSH key type {t}")
            }
            _ => "not a supported SSH public key".to_string(),
        })?;
        let label = r.to_string();
        return Ok((Box::new(r), label));
    }
    Err("neither age1… nor ssh-…".to_string())
}

/// Parse `--encrypt-to` arguments: each an age X25519 recipient (`age1…`),
/// an OpenSSH public key line, or the path of a file with one of those per
/// line (`#` comments and blank lines skipped, as `age -R` reads them).
pub fn parse_recipients(specs: &[String]) -> Result<Recipients, EncryptError> {
    let mut out = Recipients {
        keys: Vec::new(),
        labels: Vec::new(),
    };
    for spec in specs {
        match parse_one(spec) {
            Ok((k, l)) => {
                out.keys.push(k);
                out.labels.push(l);
            }
            Err(why) => {
                let path = Path::new(spec);
                if spec.starts_with("age1") || spec.starts_with("ssh-") || !path.is_file() {
                    return Err(EncryptError::BadRecipient(why, spec.clone()));
                }
                let text = read_small(path)?;
                for (n, line) in text.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    let (k, l) = parse_one(line)
                        .map_err(|why| EncryptError::BadRecipientLine(n + 1, why, path.into()))?;
                    out.keys.push(k);
                    out.labels.push(l);
                }
            }
        }
    }
    if out.keys.is_empty() {
        return Err(EncryptError::NoRecipients);
    }
    Ok(out)
}

/// Read a small key file (at most [`MAX_KEY_FILE_BYTES`]) as text.
fn read_small(path: &Path) -> Result<String, EncryptError> {
    let f = super::regular::open_regular(path).map_err(|e| EncryptError::Read(e, path.into()))?;
    let mut text = String::new();
    f.take(MAX_KEY_FILE_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| EncryptError::Read(e, path.into()))?;
    Ok(text)
}

/// A writer that hashes (SHA-256) and counts what passes through it.
pub struct HashingWriter<W: Write> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            sha: Sha256::new(),
            bytes: 0,
        }
    }

    /// The inner writer, the hex SHA-256 and the byte count.
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.sha.finalize()), self.bytes)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes (SHA-256) and counts what is read through it.
pub struct HashingReader<R: Read> {
    inner: R,
    sha: Sha256,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            sha: Sha256::new(),
            bytes: 0,
        }
    }

    /// Read what is left (unhashed bytes would make the hash a lie), then
    /// return the hex SHA-256 and the byte count.
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((hex::encode(self.sha.finalize()), self.bytes))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// The two hashes of an encrypted archive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hashes {
    /// SHA-256 of the ZIP archive before encryption.
    pub plaintext_sha256: String,
    pub plaintext_bytes: u64,
    /// SHA-256 of the `.zip.age` file as stored.
    pub ciphertext_sha256: String,
    pub ciphertext_bytes: u64,
}

/// Encrypts whatever is written to it to [`Recipients`] as an age v1
/// stream into `W`, hashing the plaintext on the way in and the ciphertext
/// on the way out. [`EncryptingWriter::finish`] must be called: without it
/// the output is truncated and does not decrypt.
pub struct EncryptingWriter<W: Write> {
    stream: age::stream::StreamWriter<HashingWriter<W>>,
    plain: Sha256,
    plain_bytes: u64,
}

impl<W: Write> EncryptingWriter<W> {
    /// Write the age header for `recipients` to `out` and start encrypting.
    pub fn new(out: W, recipients: &Recipients) -> Result<Self, EncryptError> {
        let enc = age::Encryptor::with_recipients(recipients.iter())
            .map_err(|e| EncryptError::Encrypt(e.to_string()))?;
        let stream = enc
            .wrap_output(HashingWriter::new(out))
            .map_err(|e| EncryptError::Encrypt(e.to_string()))?;
        Ok(Self {
            stream,
            plain: Sha256::new(),
            plain_bytes: 0,
        })
    }

    /// Write the final chunk and return the inner writer and both hashes.
    pub fn finish(self) -> io::Result<(W, Hashes)> {
        let hashing = self.stream.finish()?;
        let (inner, ciphertext_sha256, ciphertext_bytes) = hashing.finish();
        Ok((
            inner,
            Hashes {
                plaintext_sha256: hex::encode(self.plain.finalize()),
                plaintext_bytes: self.plain_bytes,
                ciphertext_sha256,
                ciphertext_bytes,
            },
        ))
    }
}

impl<W: Write> Write for EncryptingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.stream.write(buf)?;
        self.plain.update(&buf[..n]);
        self.plain_bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// Whether the file at `path` is an age file (by its first bytes).
pub fn is_age_file(path: &Path) -> bool {
    let Ok(f) = super::regular::open_regular(path) else {
        return false;
    };
    let mut head = Vec::with_capacity(AGE_MAGIC.len());
    f.take(AGE_MAGIC.len() as u64)
        .read_to_end(&mut head)
        .is_ok_and(|_| head == AGE_MAGIC)
}

/// Identities that can decrypt archives: from an age identity file or an
/// OpenSSH private key.
#[derive(Clone)]
pub struct Identities {
    keys: Vec<Arc<dyn age::Identity + Send + Sync>>,
    /// The identity file they came from.
    pub source: PathBuf,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identities")
            .field("source", &self.source)
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl Identities {
    fn iter(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.keys.iter().map(|k| k.as_ref() as &dyn age::Identity)
    }
}

/// Callbacks that answer age's passphrase request with the one given.
#[derive(Clone)]
struct GivenPassphrase(Option<String>);

impl age::Callbacks for GivenPassphrase {
    fn display_message(&self, _: &str) {}
    fn confirm(&self, _: &str, _: &str, _: Option<&str>) -> Option<bool> {
        None
    }
    fn request_public_string(&self, _: &str) -> Option<String> {
        None
    }
    fn request_passphrase(&self, _: &str) -> Option<SecretString> {
        self.0.clone().map(SecretString::from)
    }
}

/// Load the identities of `path`: an age identity file (`AGE-SECRET-KEY-1…`
/// lines, as `age-keygen` writes) or an OpenSSH private key. A
/// passphrase-protected SSH key needs `passphrase`
/// ([`EncryptError::PassphraseNeeded`] without it); a wrong one is reported
/// when decryption is tried.
pub fn load_identities(path: &Path, passphrase: Option<&str>) -> Result<Identities, EncryptError> {
    let text = read_small(path)?;
    let source = path.to_path_buf();
    if text.contains("-----BEGIN") {
        let id = age::ssh::Identity::from_buffer(io::Cursor::new(text.as_bytes()), None)
            .map_err(|e| EncryptError::BadIdentity(e.to_string(), source.clone()))?;
        let key: Arc<dyn age::Identity + Send + Sync> = match id {
            age::ssh::Identity::Unsupported(_) => {
                return Err(EncryptError::BadIdentity(
                    "an SSH key type age does not support (use ed25519 or rsa)".into(),
                    source,
                ));
            }
            age::ssh::Identity::Encrypted(_) => {
                let Some(pass) = passphrase else {
                    return Err(EncryptError::PassphraseNeeded(source));
                };
                Arc::new(id.with_callbacks(GivenPassphrase(Some(pass.to_string()))))
            }
            age::ssh::Identity::Unencrypted(_) => Arc::new(id),
        };
        return Ok(Identities {
            keys: vec![key],
            source,
        });
    }
    let file = age::IdentityFile::from_buffer(io::Cursor::new(text.as_bytes()))
        .map_err(|e| EncryptError::BadIdentity(e.to_string(), source.clone()))?;
    let keys: Vec<Arc<dyn age::Identity + Send + Sync>> = file
        .into_identities()
        .map_err(|e| EncryptError::BadIdentity(e.to_string(), source.clone()))?
        .into_iter()
        .map(Arc::from)
        .collect();
    if keys.is_empty() {
        return Err(EncryptError::BadIdentity(
            "no identity in the file".into(),
            source,
        ));
    }
    Ok(Identities { keys, source })
}

/// Whether the key file at `path` is a passphrase-protected OpenSSH key
/// (so a front end knows to ask before [`load_identities`]).
pub fn needs_passphrase(path: &Path) -> bool {
    matches!(
        load_identities(path, None),
        Err(EncryptError::PassphraseNeeded(_))
    )
}

/// Decrypt the age file `archive` with `ids` as a stream into `out`,
/// hashing the ciphertext as read and the plaintext as written. A wrong
/// identity fails before a byte is written; a ciphertext that does not
/// authenticate (altered, truncated) fails part-way: the caller must
/// discard what was written.
pub fn decrypt_to(
    archive: &Path,
    ids: &Identities,
    out: impl Write,
) -> Result<Hashes, EncryptError> {
    let file =
        super::regular::open_regular(archive).map_err(|e| EncryptError::Read(e, archive.into()))?;
    let mut cipher = HashingReader::new(io::BufReader::with_capacity(1 << 20, file));
    let dec = |e: String| EncryptError::Decrypt(e, archive.to_path_buf());
    let mut plain = HashingWriter::new(out);
    {
        let decryptor = age::Decryptor::new_buffered(io::BufReader::new(&mut cipher))
            .map_err(|e| dec(e.to_string()))?;
        let mut reader = decryptor
            .decrypt(ids.iter())
            .map_err(|e| dec(decrypt_reason(&e, ids)))?;
        copy_plain(&mut reader, &mut plain).map_err(|e| match e {
            CopyError::Read(e) => EncryptError::Corrupt(e.to_string(), archive.to_path_buf()),
            CopyError::Write(e) => EncryptError::Write(e, archive.to_path_buf()),
        })?;
    }
    let (_, plaintext_sha256, plaintext_bytes) = plain.finish();
    let (ciphertext_sha256, ciphertext_bytes) = cipher
        .finish()
        .map_err(|e| EncryptError::Read(e, archive.into()))?;
    Ok(Hashes {
        plaintext_sha256,
        plaintext_bytes,
        ciphertext_sha256,
        ciphertext_bytes,
    })
}

/// A clear reason for a failed decryption: naming the identity file when
/// none of its keys is a recipient.
fn decrypt_reason(e: &age::DecryptError, ids: &Identities) -> String {
    match e {
        age::DecryptError::NoMatchingKeys => format!(
            "the archive is not encrypted to any key in {}",
            ids.source.display()
        ),
        age::DecryptError::KeyDecryptionFailed => {
            format!("wrong passphrase for the key {}", ids.source.display())
        }
        other => other.to_string(),
    }
}

enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

fn copy_plain(r: &mut impl Read, w: &mut impl Write) -> Result<(), CopyError> {
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        w.write_all(&buf[..n]).map_err(CopyError::Write)?;
    }
    w.flush().map_err(CopyError::Write)
}

/// A new, empty file readable only by its owner (0600) with no name on
/// disk: created in a fresh 0700 directory under `dir` (the system's
/// temporary directory when `None`), then unlinked with its directory
/// before it is returned, so its content disappears when the file is
/// closed, even if the process dies (on Windows: delete-on-close, see
/// [`crate::platform::files::anonymous_file`]).
pub fn private_temp_file(dir: Option<&Path>) -> io::Result<File> {
    let base = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    crate::platform::files::anonymous_file(&base)
}

/// Decrypt `archive` into a [`private_temp_file`] and return it (rewound)
/// with both hashes: for readers that need random access to the ZIP.
pub fn decrypt_to_temp(archive: &Path, ids: &Identities) -> Result<(File, Hashes), EncryptError> {
    let mut f =
        private_temp_file(None).map_err(|e| EncryptError::Write(e, std::env::temp_dir()))?;
    let hashes = decrypt_to(archive, ids, io::BufWriter::with_capacity(1 << 20, &mut f))?;
    use std::io::Seek;
    f.seek(io::SeekFrom::Start(0))
        .map_err(|e| EncryptError::Write(e, std::env::temp_dir()))?;
    Ok((f, hashes))
}

/// Read an age identity's public recipient string, for messages and tests:
/// the lines of `path` that are `# public key: age1…` comments.
pub fn public_keys_in(path: &Path) -> Vec<String> {
    let Ok(f) = super::regular::open_regular(path) else {
        return Vec::new();
    };
    io::BufReader::new(f.take(MAX_KEY_FILE_BYTES))
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| l.strip_prefix("# public key: ").map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipients_and_identity() -> (Recipients, Identities, tempfile::TempDir) {
        let id = age::x25519::Identity::generate();
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.txt");
        use age::secrecy::ExposeSecret;
        std::fs::write(&key, format!("{}\n", id.to_string().expose_secret())).unwrap();
        let r = parse_recipients(&[id.to_public().to_string()]).unwrap();
        (r, load_identities(&key, None).unwrap(), dir)
    }

    #[test]
    fn round_trip_hashes_both_sides() {
        let (r, ids, dir) = recipients_and_identity();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut w = EncryptingWriter::new(Vec::new(), &r).unwrap();
        w.write_all(&data).unwrap();
        let (ct, h) = w.finish().unwrap();
        assert_eq!(h.plaintext_sha256, hex::encode(Sha256::digest(&data)));
        assert_eq!(h.ciphertext_sha256, hex::encode(Sha256::digest(&ct)));
        assert!(ct.starts_with(AGE_MAGIC));
        let p = dir.path().join("a.zip.age");
        std::fs::write(&p, &ct).unwrap();
        assert!(is_age_file(&p));
        let mut out = Vec::new();
        let h2 = decrypt_to(&p, &ids, &mut out).unwrap();
        assert_eq!(out, data);
        assert_eq!(h, h2);
    }

    #[test]
    fn bad_recipients_are_refused_with_the_reason() {
        assert!(matches!(
            parse_recipients(&["age1nope".into()]),
            Err(EncryptError::BadRecipient(..))
        ));
        assert!(matches!(
            parse_recipients(&["/no/such/file".into()]),
            Err(EncryptError::BadRecipient(..))
        ));
        assert!(matches!(
            parse_recipients(&[]),
            Err(EncryptError::NoRecipients)
        ));
    }

    #[cfg(unix)]
    #[test]
    fn private_temp_file_has_no_name_and_owner_only_mode() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let f = private_temp_file(Some(dir.path())).unwrap();
        assert_eq!(f.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(f.metadata().unwrap().nlink(), 0);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
