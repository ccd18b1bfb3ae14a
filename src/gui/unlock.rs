//! The *Unlock encrypted archive* window: asks for the identity of a
//! `.zip.age` archive (an age identity file or an OpenSSH private key, and
//! its passphrase when it has one), decrypts the archive in the background
//! into an unnamed temporary file ([`crate::archive::unlocked`]), then
//! carries out what the examiner was doing (opening it in the browser).
//! The passphrase is kept only while the window is open.

use crate::archive::encrypt;
use crate::gui::context::{Command, Settings};
use crate::gui::jobs::{Job, PickKind};
use crate::gui::theme::Tone;
use crate::gui::widgets::{self, PathField};
use egui::Ui;
use std::path::PathBuf;

/// What a finished unlock job returns.
type Unlocked = crate::archive::encrypt::Hashes;

pub struct UnlockDialog {
    pub archive: PathBuf,
    then: Option<Command>,
    identity: PathField,
    passphrase: String,
    /// Whether the identity is a passphrase-protected SSH key (read when
    /// the field changes, not every frame).
    needs_pass: bool,
    job: Option<Job<Unlocked>>,
    error: Option<String>,
}

/// What the window asks the app to do once closed.
pub enum Outcome {
    /// Keep it open.
    Open,
    /// Closed without unlocking.
    Closed,
    /// Unlocked: carry out this command, if any.
    Unlocked(Option<Command>),
}

impl UnlockDialog {
    pub fn new(archive: PathBuf, then: Option<Command>, settings: &Settings) -> Self {
        let identity = PathField::new(settings.identity_file.clone());
        let needs_pass = identity
            .path()
            .is_some_and(|p| encrypt::needs_passphrase(&p));
        Self {
            archive,
            then,
            identity,
            passphrase: String::new(),
            needs_pass,
            job: None,
            error: None,
        }
    }

    fn start(&mut self, ctx: &egui::Context) {
        self.error = None;
        let Some(key) = self.identity.path() else {
            self.error = Some("choose the identity file first".into());
            return;
        };
        let pass = (!self.passphrase.is_empty()).then(|| self.passphrase.clone());
        let archive = self.archive.clone();
        self.job = Some(Job::spawn(
            ctx,
            "Decrypting archive",
            move |sink, cancel| {
                let ids = encrypt::load_identities(&key, pass.as_deref())?;
                Ok(crate::verify::unlock(&archive, ids, sink, cancel)?)
            },
        ));
    }

    /// Draw the window; `Outcome` says whether it stays.
    pub fn ui(&mut self, ctx: &egui::Context, settings: &mut Settings) -> Outcome {
        if let Some(job) = self.job.as_mut()
            && let Some(r) = job.poll()
        {
            self.job = None;
            match r {
                Ok(_) => {
                    settings.identity_file = self.identity.text.clone();
                    self.passphrase.clear();
                    return Outcome::Unlocked(self.then.take());
                }
                Err(e) => self.error = Some(e),
            }
        }
        let mut outcome = Outcome::Open;
        let name = self
            .archive
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let modal = egui::Modal::new(egui::Id::unique("unlock-archive")).show(ctx, |ui| {
            ui.set_max_width(620.0);
            ui.heading("Unlock encrypted archive");
            ui.label(egui::RichText::new(&name).monospace());
            ui.add_space(4.0);
            widgets::hint(
                ui,
                "The archive is decrypted into an unnamed temporary file that only \
                 this session can read and that disappears when Exhibit closes. Its \
                 SHA-256 is checked against the one the custody log sealed.",
            );
            ui.add_space(6.0);
            self.form_ui(ui, &mut outcome);
        });
        if modal.should_close() && self.job.is_none() {
            outcome = Outcome::Closed;
        }
        outcome
    }

    fn form_ui(&mut self, ui: &mut Ui, outcome: &mut Outcome) {
        let busy = self.job.is_some();
        ui.add_enabled_ui(!busy, |ui| {
            if self.identity.ui(
                ui,
                "Identity",
                PickKind::File,
                "age identity file or OpenSSH private key",
            ) {
                self.needs_pass = self
                    .identity
                    .path()
                    .is_some_and(|p| encrypt::needs_passphrase(&p));
            }
            if self.needs_pass || !self.passphrase.is_empty() {
                ui.horizontal(|ui| {
                    ui.label("Passphrase");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.passphrase)
                            .password(true)
                            .desired_width(260.0),
                    );
                });
            }
        });
        if let Some(e) = &self.error {
            widgets::message_box(ui, Tone::Bad, "Not unlocked", e);
        }
        ui.add_space(6.0);
        if let Some(job) = &self.job {
            widgets::cancellable_job_ui(ui, job);
            return;
        }
        ui.horizontal(|ui| {
            if ui.button("Unlock").clicked() {
                self.start(ui.ctx());
            }
            if ui.button("Cancel").clicked() {
                *outcome = Outcome::Closed;
            }
        });
    }
}
