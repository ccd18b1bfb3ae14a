//! Signing keys for custody events, as the workstation loads them: a plain
//! OpenSSH private key file, a key held by ssh-agent, or a
//! passphrase-protected key file the examiner unlocks once per session.
//!
//! Unlocked keys live only in this process's memory (never in settings or
//! on disk) and are dropped when the app exits. Decrypting an OpenSSH key
//! runs its bcrypt KDF, which takes about a second, so [`UnlockField`] does
//! it in a background job.

use crate::custody::{KeyFile, Signer};
use crate::gui::jobs::Job;
use crate::gui::theme::Tone;
use crate::gui::widgets;
use egui::Ui;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

fn unlocked() -> &'static Mutex<HashMap<PathBuf, Arc<Signer>>> {
    static UNLOCKED: OnceLock<Mutex<HashMap<PathBuf, Arc<Signer>>>> = OnceLock::new();
    UNLOCKED.get_or_init(Mutex::default)
}

/// The key unlocked earlier in this session for `path`, if any.
fn cached(path: &Path) -> Option<Arc<Signer>> {
    unlocked().lock().ok()?.get(path).cloned()
}

/// True when `path` was unlocked with its passphrase in this session.
pub fn is_unlocked(path: &Path) -> bool {
    cached(path).is_some()
}

/// Load the signer for a key path: a key unlocked in this session, a plain
/// private key file, or (for a public key or a passphrase-protected key)
/// the matching key in ssh-agent. Blocking: call it from a job.
pub fn load_signer(path: &Path) -> anyhow::Result<Arc<Signer>> {
    if let Some(s) = cached(path) {
        return Ok(s);
    }
    let signer = match Signer::inspect(path)? {
        KeyFile::Plain => Signer::from_key_file(path, None)?,
        KeyFile::Encrypted(pk) => Signer::from_agent(Some(&pk)).map_err(|e| {
            anyhow::anyhow!(
                "the signing key is protected by a passphrase: type it under the key and \
                 press \"Unlock key\", or add the key to ssh-agent ({e}): {}",
                path.display()
            )
        })?,
        KeyFile::Public(pk) => Signer::from_agent(Some(&pk)).map_err(|e| {
            anyhow::anyhow!(
                "this is a public key; its private half must be in ssh-agent ({e}): {}",
                path.display()
            )
        })?,
        #[allow(unreachable_patterns)]
        _ => anyhow::bail!("unsupported key file: {}", path.display()),
    };
    Ok(Arc::new(signer))
}

/// Decrypt a passphrase-protected key and keep it for this session.
/// Returns the key's fingerprint. Blocking (bcrypt KDF): call it from a job.
pub fn unlock(path: &Path, passphrase: &str) -> anyhow::Result<String> {
    let signer = Signer::from_key_file(path, Some(passphrase))?;
    let fingerprint = signer.fingerprint();
    unlocked()
        .lock()
        .map_err(|_| anyhow::anyhow!("the key store is unusable after an earlier crash"))?
        .insert(path.to_path_buf(), Arc::new(signer));
    Ok(fingerprint)
}

/// A passphrase field with an "Unlock key" button, shown under a signing
/// key path. Shows "unlocked" once the key is unlocked.
#[derive(Default)]
pub struct UnlockField {
    passphrase: String,
    job: Option<Job<String>>,
    message: Option<(Tone, String)>,
}

impl UnlockField {
    /// Drain the unlock job (call once per frame, before or in `ui`).
    fn poll(&mut self) {
        if let Some(job) = self.job.as_mut()
            && let Some(result) = job.poll()
        {
            self.job = None;
            self.message = Some(match result {
                Ok(fp) => (Tone::Good, format!("key unlocked for this session ({fp})")),
                Err(e) => (Tone::Bad, e),
            });
        }
    }

    /// Draw the field for `key` (nothing when no key is set).
    pub fn ui(&mut self, ui: &mut Ui, key: Option<&Path>) {
        self.poll();
        let Some(key) = key else {
            return;
        };
        if is_unlocked(key) {
            ui.horizontal(|ui| {
                ui.add_space(154.0);
                widgets::badge(ui, Tone::Good, "key unlocked for this session");
            });
            return;
        }
        ui.horizontal(|ui| {
            let l = ui.add_sized([150.0, 20.0], egui::Label::new("Key passphrase"));
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.passphrase)
                        .password(true)
                        .hint_text("only if the key has one")
                        .desired_width(200.0),
                )
                .labelled_by(l.id);
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let busy = self.job.is_some();
            let clicked = ui
                .add_enabled(
                    !busy && !self.passphrase.is_empty(),
                    egui::Button::new("Unlock key"),
                )
                .on_hover_text("Decrypt the key in memory for this session; nothing is saved")
                .clicked();
            if busy {
                ui.spinner();
            }
            if (clicked || enter) && !busy && !self.passphrase.is_empty() {
                let pass = std::mem::take(&mut self.passphrase);
                let path = key.to_path_buf();
                self.message = None;
                self.job = Some(Job::spawn(ui.ctx(), "Unlocking key", move |_, _| {
                    unlock(&path, &pass)
                }));
            }
        });
        if let Some((tone, m)) = &self.message {
            ui.horizontal(|ui| {
                ui.add_space(154.0);
                ui.label(widgets::toned(ui, *tone, m.as_str()));
            });
        }
    }
}
