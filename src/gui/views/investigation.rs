//! The Investigation screen: the answers the breach guides ask for, the
//! first thing an analyst sees once a case has evidence. The case's
//! archives (or any archives, folders and logs added) are investigated in
//! the background (`investigate::investigate`, the engine of `exhibit
//! investigate`) and the answers shown as cards — how, when, systems, first
//! access, what was taken, exposure, who, erased, left behind — each with
//! its confidence and the evidence behind it; a click on a piece of
//! evidence opens the file at its line in the evidence browser, the
//! detection on the Logs screen, or its minutes on the Timeline. Beside the answers: *Validate a leak*
//! (`leak::validate` on a published sample, masked unless asked), the
//! credentials to reset (with CSV export), the key events, the incident
//! checklist kept with the case, and *Export report*.
//!
//! Every piece of work — investigating, validating, loading and saving the
//! checklist, writing exports — runs as a background job; this file only
//! draws and turns clicks into jobs and commands.

use crate::case::CaseFolder;
use crate::case::checklist::{Checklist, Status};
use crate::gui::context::{Command, Screen, View, ViewCtx};
use crate::gui::jobs::{Job, PickKind, Picker, poll_slot};
use crate::gui::theme::Tone;
use crate::gui::widgets::{self, PathField, SourceList};
use crate::investigate::{
    Answer, Confidence, Credential, EvidenceRef, InvestigateRequest, Investigation,
};
use crate::leak::{LeakReport, LeakRequest, Verdict};
use crate::report::investigation::{EvidenceStatus, Verification, evidence_status};
use crate::tz::Precision;
use egui::{RichText, Ui};
use std::path::{Path, PathBuf};

/// Evidence lines shown under an answer before "show all".
const EVIDENCE_SHOWN: usize = 5;

/// The parts of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Part {
    #[default]
    Answers,
    Leak,
    Credentials,
    Events,
    Checklist,
}

/// A finished investigation and what it was run on.
pub struct Investigated {
    pub sources: Vec<PathBuf>,
    pub investigation: Investigation,
    /// Each archive among the sources, verified in the same job: answers
    /// drawn from an archive that no longer matches its seal are flagged.
    pub statuses: Vec<EvidenceStatus>,
}

/// State of the Investigation screen.
#[derive(Default)]
pub struct InvestigationView {
    part: Part,
    pub sources: SourceList,
    /// The examiner's rules directory (from the settings), if any.
    rules_dir: Option<PathBuf>,
    /// The YARA rules (the setting and the case's `yara/` folder).
    yara: Vec<PathBuf>,
    /// The indicator lists (settings and case), if any.
    ioc_lists: Vec<PathBuf>,

    job: Option<Job<Investigated>>,
    pub model: Option<Investigated>,
    pub error: Option<String>,
    /// Case folder whose archives were last taken as sources automatically.
    auto_for: Option<PathBuf>,
    /// Fold (true) or unfold (false) the evidence list on the next frame:
    /// folded when answers arrive, unfolded when a run starts.
    fold_sources: Option<bool>,
    /// Answers whose evidence list is shown whole.
    expanded: Vec<&'static str>,

    pub sample: PathField,
    leak_job: Option<Job<LeakReport>>,
    pub leak: Option<LeakReport>,
    pub leak_error: Option<String>,
    /// Show the sample's personal data unmasked (asked for explicitly).
    show_values: bool,

    case_dir: Option<PathBuf>,
    pub checklist: Option<Checklist>,
    checklist_job: Option<Job<Checklist>>,
    save_job: Option<Job<()>>,
    checklist_dirty: bool,
    pub checklist_error: Option<String>,

    report_picker: Picker,
    csv_picker: Picker,
    export_job: Option<Job<PathBuf>>,
    pub export_message: Option<(Tone, String)>,
}

impl View for InvestigationView {
    fn screen(&self) -> Screen {
        Screen::INVESTIGATION
    }

    fn archives_in_use(&self) -> Vec<PathBuf> {
        self.model
            .as_ref()
            .map(|m| m.sources.clone())
            .unwrap_or_default()
    }

    fn title(&self) -> &'static str {
        "Investigation"
    }

    fn logic(&mut self, ctx: &egui::Context, vc: &mut ViewCtx<'_>) {
        self.sources.poll();
        if let Some(r) = poll_slot(&mut self.job) {
            match r {
                Ok(m) => {
                    self.model = Some(m);
                    self.error = None;
                    self.fold_sources = Some(true);
                }
                Err(e) => self.error = Some(e),
            }
        }
        if let Some(r) = poll_slot(&mut self.leak_job) {
            match r {
                Ok(l) => {
                    self.leak = Some(l);
                    self.leak_error = None;
                }
                Err(e) => self.leak_error = Some(e),
            }
        }
        if let Some(r) = poll_slot(&mut self.checklist_job) {
            match r {
                Ok(c) => {
                    self.checklist = Some(c);
                    self.checklist_error = None;
                }
                Err(e) => self.checklist_error = Some(e),
            }
        }
        if let Some(Err(e)) = poll_slot(&mut self.save_job) {
            self.checklist_error = Some(format!("The checklist was not saved: {e}"));
            self.checklist_dirty = true;
        }
        if let Some(r) = poll_slot(&mut self.export_job) {
            self.export_message = Some(match r {
                Ok(p) => (Tone::Good, format!("Written: {}", p.display())),
                Err(e) => (Tone::Bad, e),
            });
        }
        if let Some(p) = self.report_picker.poll() {
            self.start_report_export(ctx, p, vc.case);
        }
        if let Some(p) = self.csv_picker.poll() {
            self.start_csv_export(ctx, p);
        }
        // Save the checklist once editing pauses (no text field focused),
        // never per key, whichever part is shown.
        let editing = ctx.memory(|m| m.focused().is_some());
        if self.checklist_dirty && self.save_job.is_none() && !editing {
            self.save_checklist(ctx);
        }
        let trust = vc.settings.trust_file.clone();
        self.rules_dir = vc.settings.rules_dir();
        self.yara = vc.settings.yara_sources(vc.case.map(|c| c.dir.as_path()));
        self.ioc_lists = vc.settings.ioc_lists(vc.case);
        self.take_case_archives(ctx, vc.case, &trust);
    }

    fn busy(&self) -> Vec<String> {
        [
            self.job.as_ref().map(|j| j.title.clone()),
            self.leak_job.as_ref().map(|j| j.title.clone()),
            self.export_job.as_ref().map(|j| j.title.clone()),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn on_case_opened(&mut self, case: &CaseFolder) {
        if self.case_dir.as_deref() != Some(case.dir.as_path()) {
            self.case_dir = Some(case.dir.clone());
            self.checklist = None;
            self.checklist_dirty = false;
        }
    }

    fn on_dropped_file(&mut self, path: PathBuf) -> Option<PathBuf> {
        self.sources.add(path);
        None
    }

    fn drop_hint(&self) -> Option<&'static str> {
        Some("Drop archives, folders or logs to add them to the investigation")
    }

    fn ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        if self.checklist.is_none()
            && self.checklist_job.is_none()
            && self.checklist_error.is_none()
        {
            self.load_checklist(ui.ctx());
        }
        ui.label(RichText::new("What happened, and what to do").heading());
        widgets::hint(
            ui,
            "How and when the attacker got in, what was taken, who, what they erased and left \
             behind, whose credentials to reset: from every archive, folder and log given.",
        );
        // Once answered, the evidence list folds away: the answers need the
        // height on a laptop screen.
        let n = self.sources.paths.len();
        egui::CollapsingHeader::new(format!("Evidence ({n})"))
            .id_salt("investigation-evidence")
            .default_open(self.model.is_none())
            .open(self.fold_sources.take().map(|fold| !fold))
            .show(ui, |ui| self.sources.ui(ui, vc, "evidence"));
        widgets::ioc_files_ui(ui, vc.settings, vc.case);
        ui.horizontal(|ui| {
            let can = self.job.is_none() && !self.sources.paths.is_empty();
            let label = if self.model.is_some() {
                "Investigate again"
            } else {
                "Investigate"
            };
            if ui
                .add_enabled(can, egui::Button::new(RichText::new(label).strong()))
                .on_hover_text("Read every source and answer the investigation's questions")
                .clicked()
            {
                self.start(ui.ctx(), &vc.settings.trust_file);
            }
            let exportable = self.model.is_some() && self.export_job.is_none();
            if ui
                .add_enabled(
                    exportable && !self.report_picker.is_open(),
                    egui::Button::new("Export report…"),
                )
                .on_hover_text("One self-contained HTML report with a post-mortem draft")
                .clicked()
            {
                self.report_picker
                    .open(ui.ctx(), PickKind::SaveHtml, "Save the report as");
            }
        });
        if let Some(job) = &self.job {
            widgets::cancellable_job_ui(ui, job);
        }
        if let Some(job) = &self.export_job {
            widgets::cancellable_job_ui(ui, job);
        }
        if let Some(e) = &self.error {
            widgets::message_box(ui, Tone::Bad, "The investigation stopped", e);
        }
        if let Some((tone, m)) = &self.export_message {
            widgets::message_box(ui, *tone, "Export", m);
        }
        ui.separator();
        self.parts_bar(ui);
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("investigation-part")
            .auto_shrink([false, false])
            .show(ui, |ui| match self.part {
                Part::Answers => self.answers_ui(ui, vc),
                Part::Leak => self.leak_ui(ui, vc),
                Part::Credentials => self.credentials_ui(ui, vc),
                Part::Events => self.events_ui(ui, vc),
                Part::Checklist => self.checklist_ui(ui),
            });
    }
}

impl InvestigationView {
    /// Take the open case's archives as sources once per case, and start
    /// investigating them: the screen the analyst opens on has answers.
    fn take_case_archives(&mut self, ctx: &egui::Context, case: Option<&CaseFolder>, trust: &str) {
        let Some(case) = case else { return };
        if self.auto_for.as_deref() == Some(case.dir.as_path()) {
            return;
        }
        let archives: Vec<PathBuf> = case
            .archives
            .iter()
            .filter(|a| crate::archive::is_archive_name(&a.path))
            .map(|a| a.path.clone())
            .collect();
        if archives.is_empty() {
            return;
        }
        self.auto_for = Some(case.dir.clone());
        self.sources.paths.clear();
        for a in archives {
            self.sources.add(a);
        }
        self.model = None;
        self.leak = None;
        self.start(ctx, trust);
    }

    fn start(&mut self, ctx: &egui::Context, trust: &str) {
        let sources = self.sources.paths.clone();
        let trust = (!trust.trim().is_empty()).then(|| PathBuf::from(trust.trim()));
        let rules_dir = self.rules_dir.clone();
        let yara = crate::detect::yara::YaraRequest {
            sources: self.yara.clone(),
            ..Default::default()
        };
        let ioc_lists = self.ioc_lists.clone();
        self.error = None;
        self.fold_sources = Some(false);
        self.export_message = None;
        self.job = Some(Job::spawn(ctx, "Investigating", move |sink, cancel| {
            let req = InvestigateRequest {
                evidence: sources.clone(),
                rules_dir,
                yara,
                ioc: widgets::load_ioc(&ioc_lists)?,
                ..Default::default()
            };
            let investigation = crate::investigate::investigate(&req, sink, cancel)?;
            let statuses = verify_archives(&sources, trust.as_deref(), sink, cancel)?;
            Ok(Investigated {
                sources,
                investigation,
                statuses,
            })
        }));
    }

    fn start_leak(&mut self, ctx: &egui::Context) {
        let Some(sample) = self.sample.path() else {
            return;
        };
        let req = LeakRequest {
            sample,
            evidence: self.sources.paths.clone(),
            format: None,
            show_values: self.show_values,
        };
        self.leak_error = None;
        self.leak_job = Some(Job::spawn(
            ctx,
            "Validating the leak",
            move |sink, cancel| Ok(crate::leak::validate(&req, sink, cancel)?),
        ));
    }

    fn load_checklist(&mut self, ctx: &egui::Context) {
        let Some(dir) = self.case_dir.clone() else {
            return;
        };
        self.checklist_job = Some(Job::spawn(ctx, "Reading the checklist", move |_, _| {
            Checklist::load(&dir)
        }));
    }

    fn save_checklist(&mut self, ctx: &egui::Context) {
        let (Some(dir), Some(list)) = (self.case_dir.clone(), self.checklist.clone()) else {
            return;
        };
        self.checklist_dirty = false;
        self.save_job = Some(Job::spawn(ctx, "Saving the checklist", move |_, _| {
            list.save(&dir)
        }));
    }

    fn start_report_export(
        &mut self,
        ctx: &egui::Context,
        out: PathBuf,
        case: Option<&CaseFolder>,
    ) {
        let Some(m) = &self.model else { return };
        let mut investigation = m.investigation.clone();
        if investigation.leak.is_none() {
            investigation.leak = self.leak.clone();
        }
        let job = ReportJob {
            investigation,
            statuses: m.statuses.clone(),
            case: case.cloned(),
            checklist: self.checklist.clone(),
        };
        self.export_message = None;
        self.export_job = Some(Job::spawn(ctx, "Writing the report", move |_, _| {
            write_report(job, &out)?;
            Ok(out)
        }));
    }

    fn start_csv_export(&mut self, ctx: &egui::Context, out: PathBuf) {
        let Some(m) = &self.model else { return };
        let creds = m.investigation.credentials.clone();
        self.export_message = None;
        self.export_job = Some(Job::spawn(
            ctx,
            "Writing the credential list",
            move |_, _| {
                write_credentials(&creds, &out)?;
                Ok(out)
            },
        ));
    }

    fn parts_bar(&mut self, ui: &mut Ui) {
        let creds = self
            .model
            .as_ref()
            .map_or(0, |m| m.investigation.credentials.len());
        let events = self
            .model
            .as_ref()
            .map_or(0, |m| m.investigation.timeline.len());
        let (done, all) = self.checklist.as_ref().map_or((0, 0), Checklist::progress);
        let leak = match &self.leak {
            Some(l) => format!("Validate a leak ({})", verdict_words(l.verdict).0),
            None => "Validate a leak".to_string(),
        };
        ui.horizontal_wrapped(|ui| {
            for (part, label) in [
                (Part::Answers, "Answers".to_string()),
                (Part::Leak, leak),
                (Part::Credentials, format!("Credentials to reset ({creds})")),
                (Part::Events, format!("Key events ({events})")),
                (Part::Checklist, format!("Checklist ({done}/{all})")),
            ] {
                ui.selectable_value(&mut self.part, part, label);
            }
        });
    }

    fn answers_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        let Some(m) = &self.model else {
            if self.job.is_none() {
                widgets::hint(
                    ui,
                    "No answers yet: add the evidence (the case's archives, folders, logs) and \
                     press Investigate.",
                );
            }
            return;
        };
        let inv = &m.investigation;
        integrity_ui(ui, &m.statuses);
        if !inv.altered.is_empty() {
            let files = crate::investigate::AlteredContent::lines(&inv.altered);
            widgets::integrity_banner_ui(
                ui,
                &crate::viewmodel::integrity::banner_title(files.len(), "answers and evidence"),
                &files,
            );
        }
        let ev = Ev {
            paths: &m.sources,
            altered: &inv.altered,
        };
        ui.horizontal_wrapped(|ui| {
            ui.label("Overall confidence:");
            confidence_badge(ui, inv.confidence);
            ui.label(format!(
                "· {} evidence item(s), {} finding(s), {} gap(s)",
                inv.evidence.len(),
                inv.findings.len(),
                inv.gaps.len()
            ));
        });
        let a = &inv.answers;
        let cards: [(&'static str, &str, &Answer); 9] = [
            ("how", "How they got in", &a.how),
            ("when", "When", &a.when),
            ("systems", "Which systems", &a.systems),
            ("first_access", "First access to the data", &a.first_access),
            ("taken", "What was taken", &a.taken),
            ("exposure", "Exposure window", &a.exposure),
            ("who", "Who", &a.who),
            ("erased", "What they erased", &a.erased),
            ("left_behind", "What they left behind", &a.left_behind),
        ];
        let mut toggle = None;
        for (key, title, answer) in cards {
            let expanded = self.expanded.contains(&key);
            if answer_card(ui, vc, &ev, title, answer, expanded) {
                toggle = Some(key);
            }
        }
        if let Some(k) = toggle {
            if let Some(i) = self.expanded.iter().position(|e| *e == k) {
                self.expanded.remove(i);
            } else {
                self.expanded.push(k);
            }
        }
        if !inv.gaps.is_empty() {
            widgets::section(ui, "What the evidence cannot show");
            for g in &inv.gaps {
                ui.label(widgets::toned(ui, Tone::Warn, format!("• {}", g.what)));
                for r in g.evidence.iter().take(EVIDENCE_SHOWN) {
                    evidence_row(ui, vc, &ev, r);
                }
            }
        }
        if !inv.root_causes.is_empty() {
            widgets::section(ui, "Root causes and prevention");
            for c in &inv.root_causes {
                ui.label(RichText::new(&c.cause).strong());
                ui.label(format!("Prevention: {}", c.prevention));
            }
        }
        if !inv.notes.is_empty() {
            widgets::section(ui, "Notes");
            for n in &inv.notes {
                widgets::hint(ui, n);
            }
        }
    }

    fn leak_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        widgets::hint(
            ui,
            "Is a published sample genuine? Its rows are matched field by field against every \
             table, export and dump in the evidence above; the files it comes from are tied to \
             who read them in the logs.",
        );
        self.sample.ui(
            ui,
            "Leaked sample",
            PickKind::File,
            "CSV, JSON, SQL dump or a list",
        );
        ui.horizontal(|ui| {
            let can = self.leak_job.is_none()
                && self.sample.path().is_some()
                && !self.sources.paths.is_empty();
            if ui
                .add_enabled(can, egui::Button::new(RichText::new("Validate").strong()))
                .clicked()
            {
                self.start_leak(ui.ctx());
            }
            ui.checkbox(&mut self.show_values, "Show personal data unmasked")
                .on_hover_text(
                    "The sample holds other people's data: values are masked unless you need \
                     them. Applies to the next validation.",
                );
        });
        if self.sources.paths.is_empty() {
            widgets::hint(ui, "Add the evidence to compare with first.");
        }
        if let Some(job) = &self.leak_job {
            widgets::cancellable_job_ui(ui, job);
        }
        if let Some(e) = &self.leak_error {
            widgets::message_box(ui, Tone::Bad, "The validation stopped", e);
        }
        if let Some(l) = &self.leak {
            let ev = Ev {
                paths: &self.sources.paths,
                altered: self
                    .model
                    .as_ref()
                    .map_or(&[][..], |m| &m.investigation.altered),
            };
            leak_report_ui(ui, vc, &ev, l);
        }
    }

    fn credentials_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        let Some(m) = &self.model else {
            widgets::hint(ui, "Investigate first: the list comes from the answers.");
            return;
        };
        let creds = &m.investigation.credentials;
        let ev = Ev {
            paths: &m.sources,
            altered: &m.investigation.altered,
        };
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} credential(s) to rotate. Secrets are never shown: the list names the \
                 account, key or file and variable.",
                creds.len()
            ));
            if ui
                .add_enabled(
                    !creds.is_empty() && self.export_job.is_none() && !self.csv_picker.is_open(),
                    egui::Button::new("Export CSV…"),
                )
                .clicked()
            {
                self.csv_picker
                    .open(ui.ctx(), PickKind::SaveCsv, "Save the credential list as");
            }
        });
        for c in creds {
            credential_card(ui, vc, &ev, c);
        }
    }

    fn events_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        let Some(m) = &self.model else {
            widgets::hint(ui, "Investigate first.");
            return;
        };
        let events = &m.investigation.timeline;
        let ev = Ev {
            paths: &m.sources,
            altered: &m.investigation.altered,
        };
        if events.is_empty() {
            widgets::hint(ui, "No timed key events in this evidence.");
            return;
        }
        let row_h = ui.spacing().interact_size.y + 2.0;
        egui::ScrollArea::vertical()
            .id_salt("investigation-events")
            .auto_shrink([false, true])
            .max_height(ui.available_height().max(200.0))
            .show_rows(ui, row_h, events.len(), |ui, rows| {
                for e in &events[rows] {
                    ui.horizontal(|ui| {
                        ui.label(
                            RichText::new(vc.zone.format_stored(&e.time, Precision::Seconds))
                                .monospace(),
                        );
                        widgets::badge(ui, phase_tone(&e.phase), &e.phase);
                        evidence_link(ui, vc, &ev, &e.evidence);
                        ui.add(egui::Label::new(&e.what).truncate())
                            .on_hover_text(&e.what);
                    });
                }
            });
    }

    fn checklist_ui(&mut self, ui: &mut Ui) {
        if self.case_dir.is_none() {
            widgets::hint(
                ui,
                "The checklist is kept with a case: open or create one on the Cases screen.",
            );
            return;
        }
        if let Some(e) = &self.checklist_error {
            widgets::message_box(ui, Tone::Bad, "Checklist", e);
            if ui.button("Read it again").clicked() {
                self.checklist_error = None;
            }
        }
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut changed = false;
        let Some(list) = self.checklist.as_mut() else {
            widgets::hint(ui, "Reading the checklist…");
            return;
        };
        for step in &mut list.steps {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(&step.title).strong())
                        .on_hover_text(&step.guidance);
                    let before = step.status;
                    egui::ComboBox::from_id_salt(("check-status", &step.id))
                        .selected_text(step.status.as_str())
                        .show_ui(ui, |ui| {
                            for s in Status::ALL {
                                ui.selectable_value(&mut step.status, s, s.as_str());
                            }
                        });
                    let l = ui.label("Owner");
                    let owner = ui
                        .add(egui::TextEdit::singleline(&mut step.owner).desired_width(120.0))
                        .labelled_by(l.id);
                    if step.status != before || owner.changed() {
                        step.updated_at = now.clone();
                        changed = true;
                    }
                    if !step.updated_at.is_empty() {
                        widgets::hint(ui, &format!("changed {}", step.updated_at));
                    }
                });
                widgets::hint(ui, &step.guidance);
                let note = ui.add(
                    egui::TextEdit::multiline(&mut step.note)
                        .hint_text("note")
                        .desired_rows(1)
                        .desired_width(f32::INFINITY),
                );
                if note.changed() {
                    step.updated_at = now.clone();
                    changed = true;
                }
            });
        }
        if changed {
            self.checklist_dirty = true;
        }
    }
}

/// Verify each archive among the sources (folders and log files have no
/// seal): what the integrity banner and the report's evidence table show.
fn verify_archives(
    sources: &[PathBuf],
    trust: Option<&Path>,
    sink: &dyn crate::job::ProgressSink,
    cancel: &crate::job::CancelToken,
) -> anyhow::Result<Vec<EvidenceStatus>> {
    let mut out = Vec::new();
    for p in sources {
        if p.is_dir() || crate::archive::is_archive_name(p) {
            out.push(evidence_status(p, trust, sink, cancel));
        }
        if cancel.is_cancelled() {
            anyhow::bail!("cancelled");
        }
    }
    Ok(out)
}

/// A red banner for every archive whose content no longer matches its
/// seal (or could not be read): the answers above may rest on altered
/// evidence. Intact archives get one green line.
fn integrity_ui(ui: &mut Ui, statuses: &[EvidenceStatus]) {
    let mut intact = 0;
    for s in statuses {
        match s.verification {
            Verification::Intact => intact += 1,
            Verification::NotAnArchive => {}
            Verification::Failed | Verification::Unreadable => widgets::message_box(
                ui,
                Tone::Bad,
                &format!(
                    "{} does not match what was sealed ({})",
                    s.name,
                    s.verification.as_str()
                ),
                &format!(
                    "{} problem(s){}. Answers drawn from this archive may rest on altered \
                     content: verify it on the Verify screen before relying on them.",
                    s.problems,
                    s.error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
            ),
        }
    }
    if intact > 0 {
        ui.label(widgets::toned(
            ui,
            Tone::Good,
            format!("{intact} archive(s) verified intact against their seal just now"),
        ));
    }
}

/// Draw an answer as a card; true when its "show all" was clicked.
fn answer_card(
    ui: &mut Ui,
    vc: &mut ViewCtx<'_>,
    sources: &Ev<'_>,
    title: &str,
    answer: &Answer,
    expanded: bool,
) -> bool {
    let mut toggle = false;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(title).strong().size(15.0));
            confidence_badge(ui, answer.confidence);
        });
        if answer.summary.is_empty() {
            widgets::hint(ui, "The evidence does not answer this.");
        } else {
            ui.add(egui::Label::new(&answer.summary).wrap());
        }
        for d in &answer.details {
            ui.add(egui::Label::new(format!("• {d}")).wrap());
        }
        let shown = if expanded {
            answer.evidence.len()
        } else {
            EVIDENCE_SHOWN
        };
        for r in answer.evidence.iter().take(shown) {
            evidence_row(ui, vc, sources, r);
        }
        if answer.evidence.len() > EVIDENCE_SHOWN {
            let label = if expanded {
                "show fewer".to_string()
            } else {
                format!("show all {} pieces of evidence", answer.evidence.len())
            };
            if ui.small_button(label).clicked() {
                toggle = true;
            }
        }
    });
    ui.add_space(4.0);
    toggle
}

/// What every piece of evidence on the screen is shown with: the sources
/// (for the Logs and Timeline links) and the files read whose content is
/// not the sealed content (their evidence carries the ALTERED badge).
struct Ev<'a> {
    paths: &'a [PathBuf],
    altered: &'a [crate::investigate::AlteredContent],
}

/// One piece of evidence: when, where (a link), what.
fn evidence_row(ui: &mut Ui, vc: &mut ViewCtx<'_>, sources: &Ev<'_>, r: &EvidenceRef) {
    ui.horizontal(|ui| {
        if let Some(t) = &r.time {
            ui.label(
                RichText::new(vc.zone.format_stored(t, Precision::Seconds))
                    .monospace()
                    .weak(),
            );
        }
        evidence_link(ui, vc, sources, r);
        timeline_button(ui, vc, sources, r);
        ui.add(egui::Label::new(RichText::new(&r.text).monospace()).truncate())
            .on_hover_text(&r.text);
    });
}

/// The place of a piece of evidence as a link: the file at its line in the
/// evidence browser (archives), the detection on the Logs screen.
fn evidence_link(ui: &mut Ui, vc: &mut ViewCtx<'_>, sources: &Ev<'_>, r: &EvidenceRef) {
    if let Some(a) = crate::investigate::AlteredContent::find(sources.altered, r) {
        widgets::badge(ui, Tone::Bad, crate::viewmodel::integrity::BADGE).on_hover_text(
            crate::viewmodel::integrity::file_line(
                &format!("{}:{}", a.snapshot, a.path),
                &a.detail,
            ),
        );
    }
    let place = match r.line {
        Some(l) => format!("{}:{l}", r.path),
        None => r.path.clone(),
    };
    let archive = Path::new(&r.snapshot);
    let is_archive = crate::archive::is_archive_name(archive);
    if is_archive && !r.path.is_empty() {
        if ui
            .link(RichText::new(&place).monospace())
            .on_hover_text(format!("Open in the evidence browser ({})", r.snapshot))
            .clicked()
        {
            vc.commands.push(Command::OpenArchiveLine {
                archive: archive.to_path_buf(),
                path: r.path.clone(),
                line: r.line,
            });
        }
    } else if !place.is_empty() {
        ui.label(RichText::new(&place).monospace())
            .on_hover_text(&r.snapshot);
    }
    // A log line (it has a line number) can be shown among its detection's
    // events; a file finding's rule is not a log detection.
    if let Some(rule) = &r.rule
        && r.line.is_some()
        && ui
            .small_button("Logs")
            .on_hover_text(format!(
                "Show the {rule} detection's events on the Logs screen"
            ))
            .clicked()
    {
        vc.commands.push(Command::ShowFinding {
            sources: sources.paths.to_vec(),
            rule: rule.clone(),
            title: String::new(),
            first_us: r.time.as_deref().and_then(rfc3339_us),
        });
    }
}

/// "Timeline": the minutes around a timed piece of evidence on the
/// Timeline screen, built from the same sources.
fn timeline_button(ui: &mut Ui, vc: &mut ViewCtx<'_>, sources: &Ev<'_>, r: &EvidenceRef) {
    if let Some(t) = r.time.as_deref().and_then(rfc3339_us)
        && ui
            .small_button("Timeline")
            .on_hover_text("Show the ten minutes around this on the Timeline screen")
            .clicked()
    {
        vc.commands.push(Command::ShowOnTimeline {
            sources: sources.paths.to_vec(),
            time_us: t,
        });
    }
}

fn rfc3339_us(t: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.timestamp_micros())
}

fn confidence_badge(ui: &mut Ui, c: Option<Confidence>) {
    let c = c.unwrap_or_default();
    let tone = match c {
        Confidence::High => Tone::Good,
        Confidence::Medium => Tone::Info,
        Confidence::Low => Tone::Warn,
        Confidence::None => Tone::Warn,
    };
    widgets::badge(ui, tone, &format!("confidence: {}", c.as_str()));
}

fn phase_tone(phase: &str) -> Tone {
    match phase {
        "exfiltration" | "data" | "anti_forensics" => Tone::Bad,
        "access" | "privilege" | "persistence" => Tone::Warn,
        _ => Tone::Info,
    }
}

/// The verdict in words: a headline and its tone.
fn verdict_words(v: Verdict) -> (&'static str, Tone) {
    match v {
        Verdict::Genuine => ("genuine", Tone::Bad),
        Verdict::GenuineWithFabricatedRows => ("genuine, with made-up rows", Tone::Bad),
        Verdict::NotFromTheseRecords => ("not from these records", Tone::Good),
        Verdict::CannotTell => ("cannot tell", Tone::Warn),
    }
}

fn leak_report_ui(ui: &mut Ui, vc: &mut ViewCtx<'_>, sources: &Ev<'_>, l: &LeakReport) {
    let (headline, tone) = verdict_words(l.verdict);
    let sub = format!(
        "{} row(s): {} matched, {} partly, {} found nowhere",
        l.rows,
        l.matched,
        l.partial,
        l.fabricated.len()
    );
    widgets::verdict(ui, tone, &headline.to_uppercase(), &sub);
    for r in &l.reasons {
        ui.add(egui::Label::new(format!("• {r}")).wrap());
    }
    if !l.sources.is_empty() {
        widgets::section(ui, "Where the rows come from");
        for s in &l.sources {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                let r = EvidenceRef {
                    snapshot: s.snapshot.clone(),
                    path: s.path.clone(),
                    ..Default::default()
                };
                ui.horizontal_wrapped(|ui| {
                    if let Some(why) = &s.altered {
                        widgets::badge(ui, Tone::Bad, crate::viewmodel::integrity::BADGE)
                            .on_hover_text(crate::viewmodel::integrity::file_line(
                                &format!("{}:{}", s.snapshot, s.path),
                                why,
                            ));
                    }
                    evidence_link(ui, vc, sources, &r);
                    if let Some(t) = &s.table {
                        ui.label(format!("table {t}:"));
                    }
                    ui.label(format!(
                        "{} of its {} record(s) in the sample",
                        s.matched_rows, s.records
                    ));
                    if let Some(t) = &s.first_seen {
                        widgets::hint(
                            ui,
                            &format!(
                                "first seen {}",
                                vc.zone.format_stored(t, Precision::Seconds)
                            ),
                        );
                    }
                });
                for a in &s.accessed_by {
                    let who = a.ip.as_deref().or(a.user.as_deref()).unwrap_or("?");
                    ui.label(format!(
                        "read by {who}: {} ({} request(s), {}), {} – {}",
                        a.how,
                        a.requests,
                        widgets::human_bytes(a.bytes),
                        a.first.as_deref().unwrap_or("?"),
                        a.last.as_deref().unwrap_or("?"),
                    ));
                }
            });
        }
    }
    if !l.columns.is_empty() {
        widgets::section(ui, "Columns");
        egui::Grid::new("leak-columns")
            .striped(true)
            .show(ui, |ui| {
                ui.label(RichText::new("in the sample").strong());
                ui.label(RichText::new("in the evidence").strong());
                ui.end_row();
                for (s, i) in &l.columns {
                    ui.label(s);
                    ui.label(i);
                    ui.end_row();
                }
            });
    }
    if !l.fabricated.is_empty() {
        widgets::section(ui, "Rows found nowhere in the evidence");
        let (shown, more) = l.fabricated_lines(40);
        let mut text = format!("lines {shown}");
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
        ui.add(egui::Label::new(text).wrap());
    }
    if !l.examples.is_empty() {
        widgets::section(ui, "Example rows");
        for e in &l.examples {
            let values: Vec<String> = e.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
            ui.add(
                egui::Label::new(
                    RichText::new(format!(
                        "line {} ({}): {}",
                        e.line,
                        e.state,
                        values.join("  ")
                    ))
                    .monospace(),
                )
                .truncate(),
            );
        }
    }
    for n in &l.notes {
        widgets::hint(ui, n);
    }
}

fn credential_card(ui: &mut Ui, vc: &mut ViewCtx<'_>, sources: &Ev<'_>, c: &Credential) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal_wrapped(|ui| {
            let tone = match c.priority {
                Confidence::High => Tone::Bad,
                Confidence::Medium => Tone::Warn,
                _ => Tone::Info,
            };
            widgets::badge(ui, tone, c.priority.as_str());
            widgets::badge(ui, Tone::Info, &c.kind);
            ui.label(RichText::new(&c.subject).strong().monospace());
            if !c.host.is_empty() {
                widgets::hint(ui, &format!("on {}", c.host));
            }
        });
        ui.add(egui::Label::new(&c.reason).wrap());
        for r in c.evidence.iter().take(3) {
            evidence_row(ui, vc, sources, r);
        }
    });
}

/// Write the report (HTML) of an investigation, with the archives' status
/// as the investigation's job verified them.
fn write_report(job: ReportJob, out: &Path) -> anyhow::Result<()> {
    use crate::report::investigation::{ReportInput, render_html};
    let statuses = job.statuses;
    let checklist = job.checklist.unwrap_or_default();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let html = render_html(&ReportInput {
        investigation: &job.investigation,
        evidence_status: &statuses,
        case: job.case.as_ref().map(|c| &c.info),
        checklist: Some(&checklist),
        generated_at: &now,
    });
    std::fs::write(out, html)
        .map_err(|e| anyhow::anyhow!("cannot write the report: {e}: {}", out.display()))
}

/// What a report export takes with it to its thread.
struct ReportJob {
    investigation: Investigation,
    /// The archives' statuses, from the investigation's job.
    statuses: Vec<EvidenceStatus>,
    case: Option<CaseFolder>,
    checklist: Option<Checklist>,
}

/// Write the credential list as CSV (cells that a spreadsheet would run as a
/// formula are quoted as text).
fn write_credentials(creds: &[Credential], out: &Path) -> anyhow::Result<()> {
    let f = std::fs::File::create(out)
        .map_err(|e| anyhow::anyhow!("cannot write the credential list: {e}: {}", out.display()))?;
    crate::investigate::write_credentials_csv(creds, std::io::BufWriter::new(f))
        .map_err(|e| anyhow::anyhow!("cannot write the credential list: {e}: {}", out.display()))
}
