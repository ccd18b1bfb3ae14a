//! Encrypted archives (`.zip.age`) opened for this process.
//!
//! The readers of an archive ([`super::Archive::open`], and through it the
//! evidence browser, compare, logs and the timeline) need random access to
//! the ZIP. [`unlock`] decrypts an encrypted archive once, with the
//! examiner's identity, into an unnamed owner-only temporary file
//! ([`encrypt::decrypt_to_temp`]: it has no name on disk and vanishes when
//! the process exits, however it exits) and remembers it under the
//! archive's path; from then on `Archive::open` of that path reads the
//! decrypted copy. The decrypted ZIP must be the one sealed: its SHA-256 is
//! checked against the `plaintext_sha256` the custody log's `sealed` event
//! records, and an archive whose custody log says otherwise is not
//! unlocked.

use super::encrypt::{self, EncryptError, Hashes, Identities};
use crate::job::{CancelToken, Progress, ProgressSink};
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

struct Unlocked {
    file: File,
    identities: Arc<Identities>,
    hashes: Hashes,
}

/// Unlocked archives by canonical path, and the paths they were unlocked
/// or opened by (so the workstation can ask without touching the disk).
#[derive(Default)]
struct Registry {
    by_canonical: HashMap<PathBuf, Unlocked>,
    aliases: HashMap<PathBuf, PathBuf>,
}

static UNLOCKED: LazyLock<Mutex<Registry>> = LazyLock::new(|| Mutex::new(Registry::default()));

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    UNLOCKED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The key an archive is remembered under: its canonical path when it
/// resolves, as given otherwise.
fn key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

impl Registry {
    /// The entry of `path`: by a path seen before, else by its canonical
    /// form (remembered as an alias, found or not: a later unlock of the
    /// same file under any name lands on the same canonical key).
    fn find(&mut self, path: &Path) -> Option<&Unlocked> {
        let k = match self.aliases.get(path) {
            Some(k) => k.clone(),
            None => {
                let k = key(path);
                // Bounded by the archives a session names.
                if self.aliases.len() < 100_000 {
                    self.aliases.insert(path.to_path_buf(), k.clone());
                }
                k
            }
        };
        self.by_canonical.get(&k)
    }
}

/// Why an archive was not unlocked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnlockError {
    #[error(transparent)]
    Decrypt(#[from] EncryptError),
    #[error("cancelled")]
    Cancelled,
    /// The caller's check refused the decrypted archive.
    #[error("{0}")]
    Refused(String),
}

/// Decrypt the encrypted archive at `path` with `identities` and keep the
/// decrypted copy for this process. `plaintext_sha256` of the returned
/// hashes is the ZIP's. An archive unlocked already is not decrypted again.
/// Progress is the plaintext written against the ciphertext's size;
/// `cancel` stops it between chunks, and nothing is kept. `accept` sees
/// both hashes before the copy is kept and may refuse it.
pub fn unlock(
    path: &Path,
    identities: Identities,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
    accept: &dyn Fn(&Hashes) -> Result<(), String>,
) -> Result<Hashes, UnlockError> {
    if let Some(u) = registry().find(path) {
        return Ok(u.hashes.clone());
    }
    let total = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut file = encrypt::private_temp_file(None)
        .map_err(|e| EncryptError::Write(e, std::env::temp_dir()))?;
    let out = Watched {
        inner: std::io::BufWriter::with_capacity(1 << 20, &mut file),
        done: 0,
        total,
        progress,
        cancel,
    };
    let hashes = match encrypt::decrypt_to(path, &identities, out) {
        Err(_) if cancel.is_cancelled() => return Err(UnlockError::Cancelled),
        r => r?,
    };
    accept(&hashes).map_err(UnlockError::Refused)?;
    let k = key(path);
    let mut reg = registry();
    reg.aliases.insert(path.to_path_buf(), k.clone());
    reg.by_canonical.insert(
        k,
        Unlocked {
            file,
            identities: Arc::new(identities),
            hashes: hashes.clone(),
        },
    );
    Ok(hashes)
}

/// The temporary file's writer: reports progress, stops when cancelled.
struct Watched<'a, W: Write> {
    inner: W,
    done: u64,
    total: u64,
    progress: &'a dyn ProgressSink,
    cancel: &'a CancelToken,
}

impl<W: Write> Write for Watched<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.cancel.is_cancelled() {
            return Err(std::io::Error::other("cancelled"));
        }
        let n = self.inner.write(buf)?;
        self.done += n as u64;
        self.progress.update(&Progress {
            phase: "decrypting",
            bytes_done: self.done,
            bytes_total: Some(self.total),
            ..Progress::default()
        });
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The decrypted copy of an unlocked archive: a new, read-only handle with
/// its own position at the start (reopened through `/proc/self/fd`, as the
/// file has no name), so readers do not disturb each other.
pub fn decrypted(path: &Path) -> Option<std::io::Result<File>> {
    registry().find(path).map(|u| reopen(&u.file))
}

fn reopen(f: &File) -> std::io::Result<File> {
    crate::platform::files::reopen(f)
}

/// The identities an archive was unlocked with (verification with the key
/// reuses them).
pub fn identities(path: &Path) -> Option<Arc<Identities>> {
    registry().find(path).map(|u| u.identities.clone())
}

/// Whether `path` is an encrypted archive not unlocked in this process.
pub fn is_locked(path: &Path) -> bool {
    is_encrypted_name(path) && !is_unlocked(path)
}

/// Whether `path` was unlocked in this process. Asked by the path it was
/// unlocked or opened by, this reads nothing from disk.
pub fn is_unlocked(path: &Path) -> bool {
    registry().find(path).is_some()
}

/// Forget the decrypted copy of `path` (its temporary file is closed and so
/// gone).
pub fn lock(path: &Path) {
    let mut reg = registry();
    let k = reg.aliases.get(path).cloned().unwrap_or_else(|| key(path));
    reg.by_canonical.remove(&k);
    reg.aliases.retain(|_, v| *v != k);
}

/// Whether the name says an encrypted archive (`*.zip.age`).
pub fn is_encrypted_name(path: &Path) -> bool {
    path.file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|n| n.ends_with(".zip.age"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::encrypt::{EncryptingWriter, load_identities, parse_recipients};
    use crate::job::NoProgress;

    fn key_pair(dir: &Path, name: &str) -> (PathBuf, String) {
        use age::secrecy::ExposeSecret;
        let id = age::x25519::Identity::generate();
        let p = dir.join(name);
        std::fs::write(&p, format!("{}\n", id.to_string().expose_secret())).unwrap();
        (p, id.to_public().to_string())
    }

    fn encrypted(dir: &Path, name: &str, recipient: &str, plain: &[u8]) -> PathBuf {
        let r = parse_recipients(&[recipient.to_string()]).unwrap();
        let p = dir.join(name);
        let mut w = EncryptingWriter::new(File::create(&p).unwrap(), &r).unwrap();
        w.write_all(plain).unwrap();
        w.finish().unwrap();
        p
    }

    #[test]
    fn unlock_keeps_a_decrypted_copy_and_refuses_a_wrong_key() {
        let dir = tempfile::tempdir().unwrap();
        let (k1, r1) = key_pair(dir.path(), "k1.txt");
        let (k2, _) = key_pair(dir.path(), "k2.txt");
        let p = encrypted(dir.path(), "a.zip.age", &r1, b"not really a zip");
        assert!(is_locked(&p));
        assert!(decrypted(&p).is_none());
        let wrong = unlock(
            &p,
            load_identities(&k2, None).unwrap(),
            &NoProgress,
            &CancelToken::new(),
            &|_| Ok(()),
        );
        assert!(matches!(wrong, Err(UnlockError::Decrypt(_))), "{wrong:?}");
        assert!(is_locked(&p));
        let h = unlock(
            &p,
            load_identities(&k1, None).unwrap(),
            &NoProgress,
            &CancelToken::new(),
            &|_| Ok(()),
        )
        .unwrap();
        assert!(!is_locked(&p));
        let mut back = String::new();
        use std::io::Read;
        decrypted(&p)
            .unwrap()
            .unwrap()
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, "not really a zip");
        assert_eq!(h.plaintext_bytes, 16);
        assert!(identities(&p).is_some());
        lock(&p);
        assert!(is_locked(&p));
    }
}
