//! The "Export…" control of the analysis screens (Compare, Findings,
//! Logs): a toggle that opens a row with the report file to write, a button
//! that writes a self-contained HTML report and the JSON document beside it
//! (same name, `.json`) in a background job, and the outcome under the
//! button with "Open report". What to write is the screen's business: it
//! hands over a closure producing both documents from its current result.

use crate::gui::jobs::{Job, PickKind};
use crate::gui::theme::Tone;
use crate::gui::widgets::{self, PathField};
use egui::Ui;
use std::path::{Path, PathBuf};

/// The files an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub html: PathBuf,
    pub json: PathBuf,
}

/// What an export writes: the HTML page and the JSON document.
pub type Documents = (String, serde_json::Value);

/// Work that renders both documents (runs on the job's thread).
pub type RenderWork = Box<dyn FnOnce() -> anyhow::Result<Documents> + Send>;

/// State of one screen's export control.
#[derive(Default)]
pub struct ExportControl {
    /// The export row is shown.
    pub open: bool,
    /// The HTML file to write (the JSON goes beside it).
    pub path: PathField,
    job: Option<Job<Exported>>,
    /// The last export: the files written, or why not.
    pub result: Option<Result<Exported, String>>,
}

/// The JSON file written beside an HTML report: `x.html` -> `x.json`.
pub fn json_beside(html: &Path) -> PathBuf {
    html.with_extension("json")
}

/// Write both documents (the job's work).
pub fn write_documents(html_path: &Path, docs: Documents) -> anyhow::Result<Exported> {
    let json_path = json_beside(html_path);
    if json_path == html_path {
        anyhow::bail!(
            "the report needs a name ending in .html (the JSON goes beside it): {}",
            html_path.display()
        );
    }
    let (html, json) = docs;
    std::fs::write(html_path, html)
        .map_err(|e| anyhow::anyhow!("cannot write the report: {e}: {}", html_path.display()))?;
    let mut json = json;
    json.sort_all_objects();
    let text = format!("{json:#}\n");
    std::fs::write(&json_path, text)
        .map_err(|e| anyhow::anyhow!("cannot write the JSON: {e}: {}", json_path.display()))?;
    Ok(Exported {
        html: html_path.to_path_buf(),
        json: json_path,
    })
}

impl ExportControl {
    /// The toggle that opens the export row (in the screen's header).
    pub fn toggle_ui(&mut self, ui: &mut Ui) {
        ui.toggle_value(&mut self.open, "Export…")
            .on_hover_text("Write what this screen shows as an HTML report and JSON");
    }

    /// Poll the job (each frame).
    pub fn poll(&mut self) {
        if let Some(r) = crate::gui::jobs::poll_slot(&mut self.job) {
            self.result = Some(r);
        }
    }

    /// The title of the running export, for the busy list.
    pub fn busy(&self) -> Option<String> {
        self.job.as_ref().map(|j| j.title.clone())
    }

    /// The export row, when open: file, button, progress, outcome.
    /// `render` is called when the button is clicked, on this thread, to
    /// take what the screen shows; its work then runs in the background.
    pub fn panel_ui(
        &mut self,
        ui: &mut Ui,
        hint: &str,
        render: impl FnOnce() -> Option<RenderWork>,
    ) {
        self.poll();
        if !self.open {
            return;
        }
        ui.horizontal_wrapped(|ui| {
            self.path
                .ui(ui, "Report file (.html)", PickKind::SaveHtml, hint);
            let busy = self.job.is_some();
            let clicked = ui
                .add_enabled(!busy, egui::Button::new("Write report"))
                .on_hover_text(
                    "A self-contained HTML page (no external resources) and the same \
                     result as JSON beside it",
                )
                .clicked();
            if clicked {
                match (self.path.path(), render()) {
                    (None, _) => self.result = Some(Err("choose where to write the report".into())),
                    (Some(_), None) => {
                        self.result =
                            Some(Err("nothing to export yet: run the screen first".into()))
                    }
                    (Some(p), Some(work)) => {
                        let p = if p.extension().is_none() {
                            p.with_extension("html")
                        } else {
                            p
                        };
                        self.result = None;
                        self.job = Some(Job::spawn(ui.ctx(), "Writing the report", move |_, _| {
                            write_documents(&p, work()?)
                        }));
                    }
                }
            }
        });
        if let Some(j) = &self.job {
            widgets::job_progress_ui(ui, j);
        }
        match &self.result {
            None => {}
            Some(Err(e)) => widgets::message_box(ui, Tone::Bad, "Report not written", e),
            Some(Ok(x)) => {
                let x = x.clone();
                widgets::message_box(
                    ui,
                    Tone::Good,
                    "Report written",
                    &format!("{}\n{}", x.html.display(), x.json.display()),
                );
                if ui.button("Open report").clicked()
                    && let Err(e) = widgets::open_with_system(&x.html)
                {
                    self.result = Some(Err(format!("cannot open {}: {e}", x.html.display())));
                }
            }
        }
    }
}
