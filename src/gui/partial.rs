//! The *Delete incomplete capture* window: confirms the deletion of a
//! cancelled or failed capture's `.partial` listed in the case, naming the
//! file and its size, asks who deletes it and why, and runs
//! [`crate::case::partial::delete`] in the background (which records the
//! deletion in the case notes first, with the file's SHA-256).

use crate::gui::jobs::Job;
use crate::gui::theme::Tone;
use crate::gui::widgets;
use std::path::PathBuf;

pub struct DeletePartialDialog {
    pub case_dir: PathBuf,
    pub file: PathBuf,
    pub size_bytes: u64,
    pub who: String,
    pub why: String,
    job: Option<Job<crate::case::partial::Deleted>>,
    error: Option<String>,
}

/// What the window asks its owner to do.
pub enum Outcome {
    Open,
    Closed,
    /// Deleted: what to tell the examiner.
    Deleted(String),
}

impl DeletePartialDialog {
    pub fn new(case_dir: PathBuf, file: PathBuf, size_bytes: u64, who: &str) -> Self {
        Self {
            case_dir,
            file,
            size_bytes,
            who: who.to_string(),
            why: "interrupted capture, not evidence".into(),
            job: None,
            error: None,
        }
    }

    /// Draw the window.
    pub fn ui(&mut self, ctx: &egui::Context) -> Outcome {
        if let Some(r) = crate::gui::jobs::poll_slot(&mut self.job) {
            match r {
                Ok(d) => {
                    return Outcome::Deleted(format!(
                        "Deleted {} ({} bytes); recorded in {}",
                        d.path.display(),
                        d.size_bytes,
                        d.notes.display()
                    ));
                }
                Err(e) => self.error = Some(e),
            }
        }
        let name = self
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut outcome = Outcome::Open;
        let modal = egui::Modal::new(egui::Id::unique("delete-partial")).show(ctx, |ui| {
            ui.set_max_width(620.0);
            ui.heading("Delete incomplete capture");
            ui.label(egui::RichText::new(&name).monospace().strong());
            ui.label(format!(
                "{} ({} bytes)",
                widgets::human_bytes(self.size_bytes),
                widgets::thousands(self.size_bytes)
            ));
            widgets::hint(
                ui,
                "An interrupted capture left this file; it is not evidence. The deletion is \
                 written first to the case notes (notes.md): who, when, the file, its size, \
                 its SHA-256 and why.",
            );
            let busy = self.job.is_some();
            ui.add_enabled_ui(!busy, |ui| {
                widgets::labeled_text(ui, "Deleted by", &mut self.who, "your name");
                widgets::labeled_text(ui, "Reason for deleting", &mut self.why, "why");
            });
            if let Some(e) = &self.error {
                ui.label(widgets::toned(ui, Tone::Bad, e.as_str()));
            }
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(!busy, egui::Button::new(format!("Delete {name}")))
                    .clicked()
                {
                    self.start(ctx);
                }
                if busy {
                    ui.spinner();
                }
                if ui
                    .add_enabled(!busy, egui::Button::new("Keep it"))
                    .clicked()
                {
                    outcome = Outcome::Closed;
                }
            });
        });
        if modal.should_close() && self.job.is_none() {
            outcome = Outcome::Closed;
        }
        outcome
    }

    fn start(&mut self, ctx: &egui::Context) {
        self.error = None;
        let (dir, file) = (self.case_dir.clone(), self.file.clone());
        let (who, why) = (self.who.clone(), self.why.clone());
        self.job = Some(Job::spawn(
            ctx,
            "Deleting incomplete capture",
            move |_, cancel| crate::case::partial::delete(&dir, &file, &who, &why, cancel),
        ));
    }
}
