//! The case's trusted signers in the window: the `allowed_signers` file of
//! the case folder (`case::trust`) listed (principals, key fingerprints),
//! a line added after the verifier's own parser accepts it, a line removed,
//! and "Trust this key" for a key created or unlocked in this session, so
//! the examiner's or auditor's own fresh signature reads "valid". Reading
//! and writing the file run as background jobs.

use crate::case::trust::{self, TrustList};
use crate::gui::jobs::{Job, poll_slot};
use crate::gui::theme::Tone;
use crate::gui::widgets;
use egui::{RichText, Ui};
use ssh_key::HashAlg;
use std::path::{Path, PathBuf};

/// State of the trusted-signers panel.
#[derive(Default)]
pub struct TrustPanel {
    /// The file listed (the list is read again when it changes).
    file: Option<PathBuf>,
    list: Option<Result<TrustList, String>>,
    load: Option<Job<TrustList>>,
    edit: Option<Job<String>>,
    /// The line being typed.
    pub new_line: String,
    message: Option<(Tone, String)>,
    /// Editor shown (list, add, remove).
    editing: bool,
}

/// The principal a session key is trusted under: its comment when that is
/// one word (what `exhibit custody keygen` and the window's "Create key"
/// write), else the signer's name as `dana.scully`.
fn principal_for(key: &ssh_key::PublicKey, name: &str) -> String {
    let c = key.comment().trim();
    if !c.is_empty() && !c.contains(char::is_whitespace) && !c.contains('"') {
        return c.to_string();
    }
    crate::custody::principal_from_name(name)
}

impl TrustPanel {
    /// Draw the panel for the case folder `case_dir`; `name` is who signs
    /// (for the principal of a session key). Returns true once after the
    /// file changed, so the caller can judge its signatures again.
    pub fn ui(&mut self, ui: &mut Ui, case_dir: &Path, name: &str) -> bool {
        let file = trust::path(case_dir);
        let mut changed = false;
        if let Some(r) = poll_slot(&mut self.load) {
            self.list = Some(r);
        }
        if let Some(r) = poll_slot(&mut self.edit) {
            match r {
                Ok(m) => {
                    self.message = Some((Tone::Good, m));
                    self.new_line.clear();
                    changed = true;
                }
                Err(e) => self.message = Some((Tone::Bad, e)),
            }
            self.file = None;
        }
        if self.file.as_ref() != Some(&file) && self.load.is_none() {
            self.file = Some(file.clone());
            let f = file.clone();
            self.load = Some(Job::spawn(
                ui.ctx(),
                "Reading trusted signers",
                move |_, _| trust::list(&f),
            ));
        }
        let busy = self.load.is_some() || self.edit.is_some();
        let keys = match &self.list {
            Some(Ok(l)) => l.keys.clone(),
            _ => Vec::new(),
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Trusted signers of this case").strong());
            let summary = match &self.list {
                None => "reading…".to_string(),
                Some(Err(e)) => e.clone(),
                Some(Ok(l)) if l.keys.is_empty() => {
                    "none yet: signatures show as valid but untrusted".to_string()
                }
                Some(Ok(l)) => format!(
                    "{} key{}",
                    l.keys.len(),
                    if l.keys.len() == 1 { "" } else { "s" }
                ),
            };
            ui.label(summary);
            let label = if self.editing {
                "Hide trusted signers"
            } else {
                "Edit trusted signers"
            };
            if ui.small_button(label).clicked() {
                self.editing = !self.editing;
            }
        });
        // One click for a key made or unlocked in this window.
        if self.list.as_ref().is_some_and(Result::is_ok) {
            for (path, key) in crate::gui::keyring::session_keys() {
                let fp = key.fingerprint(HashAlg::Sha256).to_string();
                if keys.iter().any(|k| k.fingerprint == fp) {
                    continue;
                }
                let principal = principal_for(&key, name);
                ui.horizontal_wrapped(|ui| {
                    let b = ui
                        .add_enabled(
                            !busy,
                            egui::Button::new(format!("Trust this key as {principal}")),
                        )
                        .on_hover_text(format!(
                            "Add {} ({fp}) to {}",
                            path.display(),
                            file.display()
                        ));
                    ui.label(RichText::new(format!("{} ({fp})", path.display())).weak());
                    if b.clicked() {
                        match trust::line_for_key(&principal, &key) {
                            Ok(line) => self.start_add(ui.ctx(), &file, line),
                            Err(e) => self.message = Some((Tone::Bad, format!("{e:#}"))),
                        }
                    }
                });
            }
        }
        if self.editing {
            self.editor_ui(ui, &file, &keys, busy);
        }
        if let Some((tone, m)) = &self.message {
            ui.label(widgets::toned(ui, *tone, m.as_str()));
        }
        changed
    }

    fn editor_ui(&mut self, ui: &mut Ui, file: &Path, keys: &[trust::TrustedKey], busy: bool) {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            widgets::hint(
                ui,
                &format!(
                    "OpenSSH allowed_signers file {}: the Custody and Verify screens and \
                     exhibit verify judge this case's signatures with it; an auditor can \
                     give it to ssh-keygen -Y verify -f.",
                    file.display()
                ),
            );
            for (i, k) in keys.iter().enumerate() {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(&k.principals).monospace().strong());
                    ui.label(RichText::new(&k.fingerprint).monospace());
                    if let Some(ns) = &k.namespaces {
                        ui.label(RichText::new(format!("namespaces {ns}")).weak());
                    }
                    if ui
                        .add_enabled(
                            !busy,
                            egui::Button::new(format!("Remove trusted key {}", i + 1)).small(),
                        )
                        .on_hover_text(format!("Remove line {} of {}", k.line, file.display()))
                        .clicked()
                    {
                        let (f, line, text) = (file.to_path_buf(), k.line, k.text.clone());
                        let who = k.principals.clone();
                        self.message = None;
                        self.edit = Some(Job::spawn(
                            ui.ctx(),
                            "Removing a trusted signer",
                            move |_, _| {
                                trust::remove(&f, line, &text)?;
                                Ok(format!("{who} is no longer trusted"))
                            },
                        ));
                    }
                });
            }
            if let Some(Ok(l)) = &self.list {
                for s in &l.skipped {
                    ui.label(widgets::toned(
                        ui,
                        Tone::Warn,
                        format!("{s}: ignored, as ssh-keygen ignores it"),
                    ));
                }
            }
            widgets::labeled_text(
                ui,
                "Trusted signer line",
                &mut self.new_line,
                "dana.scully namespaces=\"exhibit-custody\" ssh-ed25519 AAAA…",
            );
            ui.horizontal(|ui| {
                ui.add_space(154.0);
                if ui
                    .add_enabled(
                        !busy && !self.new_line.trim().is_empty(),
                        egui::Button::new("Add trusted signer"),
                    )
                    .clicked()
                {
                    let line = self.new_line.trim().to_string();
                    match trust::validate_line(&line) {
                        Ok(_) => self.start_add(ui.ctx(), file, line),
                        Err(e) => self.message = Some((Tone::Bad, e)),
                    }
                }
            });
        });
    }

    fn start_add(&mut self, ctx: &egui::Context, file: &Path, line: String) {
        let f = file.to_path_buf();
        self.message = None;
        self.edit = Some(Job::spawn(ctx, "Adding a trusted signer", move |_, _| {
            let fp = trust::add(&f, &line)?;
            Ok(format!("{fp} is now trusted in {}", f.display()))
        }));
    }
}
