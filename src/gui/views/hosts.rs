//! The Hosts screen: which host differs. For a case holding archives of
//! two hosts or more (its tab is hidden otherwise), the case's archives are
//! stacked in the background (`stack::stack`, as `exhibit stack` does) when
//! the screen is first shown, and the outliers come as a ranked,
//! virtualized table filtered by kind and severity. Clicking an outlier
//! shows its detail; a file's opens in the evidence browser on each host
//! that has it.

use crate::case::CaseFolder;
use crate::case::custody_log::VerificationState;
use crate::detect::Severity;
use crate::gui::context::{Command, Screen, View, ViewCtx};
use crate::gui::jobs::{self, Job};
use crate::gui::theme::{self, Tone};
use crate::gui::widgets;
use crate::stack::{Kind, Outlier, StackRequest, StackResult};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use std::path::PathBuf;

/// State of the Hosts screen.
#[derive(Default)]
pub struct HostsView {
    /// The case's complete archives, as last seen.
    archives: Vec<PathBuf>,
    /// The hosts they belong to (read in the background).
    pub hosts: Vec<String>,
    hosts_job: Option<Job<Vec<String>>>,
    /// Archives whose hosts are still to be read.
    hosts_pending: bool,
    job: Option<Job<StackResult>>,
    pub result: Option<Result<StackResult, String>>,
    /// Which archives the result is for.
    result_for: Vec<PathBuf>,
    /// Filters: one kind, or all; the least severity shown.
    pub kind: Option<Kind>,
    pub min_severity: Option<Severity>,
    /// Rows shown (indices into the outliers) and the filter they are for.
    rows: Vec<usize>,
    rows_for: Option<(Option<Kind>, Option<Severity>, usize)>,
    /// The outlier whose detail is shown.
    pub selected: Option<usize>,
}

impl View for HostsView {
    fn screen(&self) -> Screen {
        Screen("hosts")
    }

    fn archives_in_use(&self) -> Vec<PathBuf> {
        self.result_for.clone()
    }

    fn title(&self) -> &'static str {
        "Hosts"
    }

    fn tab_shown(&self) -> bool {
        self.hosts.len() >= 2
    }

    fn on_case_opened(&mut self, case: &CaseFolder) {
        let archives: Vec<PathBuf> = case
            .archives
            .iter()
            .filter(|a| {
                a.verification != VerificationState::Incomplete
                    && crate::archive::is_archive_name(&a.path)
            })
            .map(|a| a.path.clone())
            .collect();
        if archives != self.archives {
            self.archives = archives;
            self.hosts.clear();
            self.hosts_pending = true;
        }
    }

    fn logic(&mut self, ctx: &egui::Context, _vc: &mut ViewCtx<'_>) {
        if self.hosts_pending && self.hosts_job.is_none() {
            self.hosts_pending = false;
            let archives = self.archives.clone();
            self.hosts_job = Some(Job::spawn(ctx, "Reading hosts", move |_, _| {
                Ok(crate::stack::host_names(&archives))
            }));
        }
        if let Some(r) = jobs::poll_slot(&mut self.hosts_job) {
            self.hosts = r.unwrap_or_default();
        }
        if let Some(r) = jobs::poll_slot(&mut self.job) {
            self.result = Some(r);
            self.rows_for = None;
            self.selected = None;
        }
    }

    fn busy(&self) -> Vec<String> {
        self.job.iter().map(|j| j.title.clone()).collect()
    }

    fn ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        ui.label(RichText::new("Which host differs").heading());
        widgets::hint(
            ui,
            "The case's archives stacked host by host: files by path and SHA-256, accounts, \
             SSH keys, cron entries, units, SUID files, listening ports and programs. What only \
             a few hosts have, or what a minority has instead of the majority's, comes first.",
        );
        if (self.result.is_none() || self.result_for != self.archives)
            && self.job.is_none()
            && self.archives.len() >= 2
        {
            self.start(ui.ctx());
        }
        if let Some(job) = &self.job {
            widgets::cancellable_job_ui(ui, job);
            return;
        }
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} archives of {} hosts",
                self.archives.len(),
                self.hosts.len()
            ));
            if ui.button("Stack again").clicked() {
                self.start(ui.ctx());
            }
        });
        match &self.result {
            None => {
                ui.label("Open a case holding archives of two hosts or more.");
            }
            Some(Err(e)) => {
                widgets::message_box(ui, Tone::Bad, "The hosts could not be stacked", e)
            }
            Some(Ok(_)) => self.result_ui(ui, vc),
        }
    }
}

impl HostsView {
    /// Stack the case's archives in the background.
    pub fn start(&mut self, ctx: &egui::Context) {
        if self.job.is_some() {
            return;
        }
        let req = StackRequest {
            inputs: self.archives.clone(),
            ..StackRequest::default()
        };
        self.result_for = self.archives.clone();
        self.result = None;
        self.job = Some(Job::spawn(ctx, "Stacking hosts", move |sink, cancel| {
            Ok(crate::stack::stack(&req, sink, cancel)?)
        }));
    }

    /// The rows the filters leave, recomputed when a filter changes.
    fn refresh_rows(&mut self) {
        let Some(Ok(r)) = &self.result else {
            self.rows.clear();
            return;
        };
        let key = (self.kind, self.min_severity, r.outliers.len());
        if self.rows_for == Some(key) {
            return;
        }
        self.rows_for = Some(key);
        self.rows = r
            .outliers
            .iter()
            .enumerate()
            .filter(|(_, o)| {
                self.kind.is_none_or(|k| o.kind == k)
                    && self.min_severity.is_none_or(|m| o.severity >= m)
            })
            .map(|(i, _)| i)
            .collect();
    }

    fn filters_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            let kind_label = ui.label("Kind");
            egui::ComboBox::from_id_salt("hosts-kind")
                .selected_text(self.kind.map_or("every kind", Kind::as_str))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.kind, None, "every kind");
                    for k in Kind::ALL {
                        ui.selectable_value(&mut self.kind, Some(k), k.as_str());
                    }
                })
                .response
                .labelled_by(kind_label.id);
            let sev_label = ui.label("At least");
            egui::ComboBox::from_id_salt("hosts-severity")
                .selected_text(self.min_severity.map_or("any severity", Severity::as_str))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.min_severity, None, "any severity");
                    for s in [
                        Severity::Info,
                        Severity::Low,
                        Severity::Medium,
                        Severity::High,
                        Severity::Critical,
                    ] {
                        ui.selectable_value(&mut self.min_severity, Some(s), s.as_str());
                    }
                })
                .response
                .labelled_by(sev_label.id);
        });
    }

    fn result_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        self.filters_ui(ui);
        self.refresh_rows();
        let Some(Ok(r)) = &self.result else { return };
        for u in &r.unread {
            ui.label(widgets::toned(
                ui,
                Tone::Bad,
                format!("Not read, left out of the stack: {}: {}", u.error, u.source),
            ));
        }
        if !r.altered.is_empty() {
            let files = crate::investigate::AlteredContent::lines(&r.altered);
            widgets::integrity_banner_ui(
                ui,
                &crate::viewmodel::integrity::banner_title(
                    files.len(),
                    "accounts, keys and entries",
                ),
                &files,
            );
        }
        for n in r.notes.iter().take(4) {
            ui.label(widgets::toned(ui, Tone::Warn, n));
        }
        ui.label(format!(
            "{} outliers among {} hosts ({} shown); rare: on at most {} host{}",
            r.outliers.len(),
            r.hosts.len(),
            self.rows.len(),
            r.rare_threshold,
            if r.rare_threshold == 1 { "" } else { "s" }
        ));
        if let Some(o) = self.selected.and_then(|i| r.outliers.get(i)) {
            detail_ui(ui, o, r, vc.commands);
        }
        let mut clicked = None;
        TableBuilder::new(ui)
            .id_salt("hosts_outliers")
            .striped(true)
            .column(Column::exact(70.0))
            .column(Column::exact(62.0))
            .column(Column::exact(52.0))
            .column(Column::exact(44.0))
            .column(Column::remainder().at_least(220.0).clip(true))
            .column(Column::initial(230.0).at_least(120.0).clip(true))
            .column(Column::initial(120.0).at_least(60.0).clip(true))
            .header(22.0, |mut h| {
                for t in ["Severity", "Kind", "Class", "Hosts", "Key", "Value", "On"] {
                    h.col(|ui| {
                        ui.strong(t);
                    });
                }
            })
            .body(|body| {
                body.rows(22.0, self.rows.len(), |mut row| {
                    let Some(&i) = self.rows.get(row.index()) else {
                        return;
                    };
                    let Some(o) = r.outliers.get(i) else { return };
                    row.set_selected(self.selected == Some(i));
                    row.col(|ui| {
                        ui.label(
                            RichText::new(o.severity.as_str())
                                .color(theme::severity_color(ui, o.severity)),
                        );
                    });
                    row.col(|ui| {
                        ui.label(o.kind.as_str());
                    });
                    row.col(|ui| {
                        ui.label(o.class.as_str());
                    });
                    row.col(|ui| {
                        ui.label(format!("{}/{}", o.hosts.len(), o.of));
                    });
                    row.col(|ui| {
                        if ui.link(&o.key).on_hover_text(&o.detail).clicked() {
                            clicked = Some(i);
                        }
                    });
                    row.col(|ui| {
                        ui.label(&o.value).on_hover_text(&o.value);
                    });
                    row.col(|ui| {
                        ui.label(o.hosts.join(", "));
                    });
                });
            });
        if let Some(i) = clicked {
            self.selected = Some(i);
        }
    }
}

/// The selected outlier: what is unusual, and for a file a way to open it
/// on each host that has it.
fn detail_ui(ui: &mut Ui, o: &Outlier, r: &StackResult, commands: &mut Vec<Command>) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(o.severity.as_str())
                    .strong()
                    .color(theme::severity_color(ui, o.severity)),
            );
            ui.label(RichText::new(&o.key).strong());
        });
        ui.label(&o.detail);
        ui.label(format!("Value: {}", o.value));
        if let Some(m) = &o.majority {
            ui.label(format!("Majority: {m}"));
        }
        if matches!(o.kind, Kind::File | Kind::Suid) {
            ui.horizontal_wrapped(|ui| {
                for h in o.hosts.iter().take(8) {
                    let Some(src) = r.hosts.iter().find(|x| &x.name == h) else {
                        continue;
                    };
                    if ui
                        .button(format!("Open on {h} in the evidence browser"))
                        .clicked()
                    {
                        commands.push(Command::OpenArchiveLine {
                            archive: PathBuf::from(&src.source),
                            path: o.key.clone(),
                            line: None,
                        });
                    }
                }
            });
        } else {
            ui.label(format!("On: {}", o.hosts.join(", ")));
        }
    });
}
