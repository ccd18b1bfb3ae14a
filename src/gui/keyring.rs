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

/// The public halves of the keys created or unlocked in this session, by
/// key file (sorted), for "Trust this key".
pub fn session_keys() -> Vec<(PathBuf, ssh_key::PublicKey)> {
    let mut v: Vec<(PathBuf, ssh_key::PublicKey)> = unlocked()
        .lock()
        .map(|m| {
            m.iter()
                .map(|(p, s)| (p.clone(), s.public_key().clone()))
                .collect()
        })
        .unwrap_or_default();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
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

/// Where the workstation offers to keep new keys:
/// `$XDG_CONFIG_HOME/exhibit/keys` or `~/.config/exhibit/keys` (never the
/// case folder: keys must not travel with the evidence).
pub fn default_key_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("exhibit/keys"));
    }
    std::env::var_os("HOME")
        .filter(|d| !d.is_empty())
        .map(|h| PathBuf::from(h).join(".config/exhibit/keys"))
}

/// The key holder's principal from a display name: `Dana Scully` →
/// `dana.scully`.
fn principal_from(name: &str) -> String {
    name.split_whitespace()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join(".")
}

/// What a finished key creation produced.
struct Made {
    path: PathBuf,
    fingerprint: String,
    allowed_signers_line: String,
}

/// "No key yet? Create one": makes a passphrase-protected Ed25519 key in a
/// background job, unlocks it for the session, and shows the
/// allowed_signers line to hand to the auditor.
#[derive(Default)]
pub struct KeygenForm {
    open: bool,
    /// The form just opened: scroll it into view on its first frame.
    just_opened: bool,
    path: String,
    principal: String,
    pass: String,
    again: String,
    job: Option<Job<Made>>,
    made: Option<Made>,
    error: Option<String>,
}

impl KeygenForm {
    /// Draw the form. Returns the new key's path once it is created (the
    /// caller puts it in its signing-key field).
    pub fn ui(&mut self, ui: &mut Ui, examiner: &str) -> Option<PathBuf> {
        let mut created = None;
        if let Some(job) = self.job.as_mut()
            && let Some(r) = job.poll()
        {
            self.job = None;
            match r {
                Ok(m) => {
                    created = Some(m.path.clone());
                    self.made = Some(m);
                    self.open = false;
                }
                Err(e) => self.error = Some(e),
            }
        }
        if let Some(m) = &self.made {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.label(widgets::toned(
                    ui,
                    Tone::Good,
                    format!("New signing key {} ({})", m.path.display(), m.fingerprint),
                ));
                ui.label(
                    "Give this line to whoever verifies your custody records; it goes in \
                     their allowed_signers file:",
                );
                ui.add(
                    egui::Label::new(egui::RichText::new(&m.allowed_signers_line).monospace())
                        .wrap(),
                );
                widgets::copy_button(ui, "Copy allowed_signers line", &m.allowed_signers_line);
            });
        }
        if !self.open {
            if ui
                .small_button("No key yet? Create one…")
                .on_hover_text("Make a passphrase-protected Ed25519 key (like ssh-keygen)")
                .clicked()
            {
                self.open = true;
                self.just_opened = true;
                self.error = None;
                if self.principal.is_empty() {
                    self.principal = principal_from(examiner);
                }
                if self.path.is_empty() {
                    let file = format!(
                        "{}_ed25519",
                        if self.principal.is_empty() {
                            "exhibit"
                        } else {
                            &self.principal
                        }
                    );
                    self.path = default_key_dir()
                        .map(|d| d.join(&file).display().to_string())
                        .unwrap_or(file);
                }
            }
            return created;
        }
        let form = egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(egui::RichText::new("Create a signing key").strong());
            widgets::labeled_text(ui, "New key file", &mut self.path, "where to keep the key");
            widgets::labeled_text(
                ui,
                "Key holder",
                &mut self.principal,
                "dana.scully@example.org",
            );
            for (label, value) in [
                ("New key passphrase", &mut self.pass),
                ("Repeat passphrase", &mut self.again),
            ] {
                ui.horizontal(|ui| {
                    let l = ui.add_sized([150.0, 20.0], egui::Label::new(label));
                    ui.add(
                        egui::TextEdit::singleline(value)
                            .password(true)
                            .desired_width(200.0),
                    )
                    .labelled_by(l.id);
                });
            }
            if let Some(e) = &self.error {
                ui.label(widgets::toned(ui, Tone::Bad, e.as_str()));
            }
            ui.horizontal(|ui| {
                let busy = self.job.is_some();
                if ui
                    .add_enabled(!busy, egui::Button::new("Create key"))
                    .clicked()
                {
                    self.start(ui.ctx());
                }
                if busy {
                    ui.spinner();
                }
                if ui.button("Close").clicked() {
                    self.open = false;
                }
            });
        });
        // Opened below the fold of a long form: bring all of it into view.
        if std::mem::take(&mut self.just_opened) {
            form.response.scroll_to_me(Some(egui::Align::Max));
        }
        created
    }

    fn start(&mut self, ctx: &egui::Context) {
        let path = PathBuf::from(self.path.trim());
        let principal = self.principal.trim().to_string();
        if self.path.trim().is_empty() {
            self.error = Some("choose where to write the key".into());
            return;
        }
        if self.pass.is_empty() {
            self.error = Some("a passphrase is required: the key signs evidence records".into());
            return;
        }
        if self.pass != self.again {
            self.error = Some("the two passphrases differ".into());
            return;
        }
        let pass = std::mem::take(&mut self.pass);
        self.again.clear();
        self.error = None;
        self.job = Some(Job::spawn(ctx, "Creating key", move |_, _| {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                crate::platform::files::private_dir_builder()
                    .recursive(true)
                    .create(dir)
                    .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
            }
            let made = crate::custody::generate_key(&path, &principal, Some(&pass))?;
            let fingerprint = made.signer.fingerprint();
            unlocked()
                .lock()
                .map_err(|_| anyhow::anyhow!("the key store is unusable after an earlier crash"))?
                .insert(path.clone(), Arc::new(made.signer));
            Ok(Made {
                path,
                fingerprint,
                allowed_signers_line: made.allowed_signers_line,
            })
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_is_one_lowercase_word() {
        assert_eq!(principal_from("Dana  Scully"), "dana.scully");
        assert_eq!(principal_from(""), "");
    }
}
