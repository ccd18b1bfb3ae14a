//! The Compare screen: what changed between two snapshots, and which of
//! those changes are the attacker's.
//!
//! Pick a baseline and an incident snapshot (a case archive, a typed path, a
//! file dialog, a dropped file, or a folder for either side); the diff and
//! its findings run in a background job that also builds the display model
//! ([`model::DiffModel`]), so nothing is computed per frame beyond the rows
//! on screen. The results: change counts per class (click to filter), a
//! folder tree with badges and counts aggregated up the tree, a virtualized
//! change table filtered by class, severity, path text and folder, the
//! findings panel sorted by severity, and for the selected change its
//! attributes, its findings and a side-by-side line diff (or a binary
//! summary) computed in the background within [`ContentLimits`].

pub use crate::viewmodel::compare as model;

use crate::archive::record::or_unknown;
use crate::detect::Severity;
use crate::diff::{Change, ChangeClass, ContentDiff, ContentLimits, Side};
use crate::examine::DiffRequest;
use crate::gui::context::{Command, Screen, View, ViewCtx};
use crate::gui::derived::Derived;
use crate::gui::jobs::{Job, PickKind, Picker};
use crate::gui::theme::{self, Tone};
use crate::gui::widgets::export::ExportControl;
use crate::gui::widgets::findings::{
    finding_detail_ui, findings_list_ui, min_severity_ui, severity_badge,
};
use crate::gui::widgets::{self, PathField};
use crate::viewmodel::format::severity_summary;
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use model::{ChangeFilter, ChangeTree, DiffModel, SbsRow, side_by_side};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Sub-folders listed per folder in the tree before "… more".
const TREE_CHILD_CAP: usize = 500;

/// A content diff ready to show: the diff and its side-by-side rows.
pub type ContentView = (ContentDiff, Vec<SbsRow>);

/// Files read for a content diff that do not match their seal, as
/// (`archive:path`, what differs).
pub type Altered = Vec<(String, String)>;

/// The tone of a change class (green growth, red tampering, neutral rest).
pub fn class_tone(c: ChangeClass) -> Tone {
    match c {
        ChangeClass::Added | ChangeClass::Appended | ChangeClass::Rotated => Tone::Good,
        ChangeClass::Removed | ChangeClass::Truncated | ChangeClass::Rewritten => Tone::Bad,
        ChangeClass::Modified | ChangeClass::TypeChanged => Tone::Warn,
        _ => Tone::Info,
    }
}

/// Below this many changes the table is filtered on the UI thread (well
/// under a millisecond); above, in the background.
const INLINE_ROWS: usize = 20_000;

/// State of the Compare screen.
#[derive(Default)]
pub struct CompareView {
    /// The zone times are shown in (from the frame's `ViewCtx`).
    zone: crate::tz::DisplayZone,
    pub old: PathField,
    /// The examiner's rules directory (from the settings), if any.
    rules_dir: Option<PathBuf>,
    /// The YARA rules (the setting and the case's `yara/` folder).
    yara: Vec<PathBuf>,
    /// The indicator lists (settings and case), if any.
    ioc_lists: Vec<PathBuf>,

    pub new: PathField,
    old_folder: Picker,
    new_folder: Picker,
    job: Option<Job<DiffModel>>,
    /// Shared with the background filter jobs.
    pub model: Option<Arc<DiffModel>>,
    pub error: Option<String>,
    pub filter: ChangeFilter,
    /// `rows` and `finding_rows` for a filter, recomputed in the
    /// background (a million changes take a noticeable moment).
    rows_job: Derived<ChangeFilter, (Vec<u32>, Vec<u32>)>,
    /// Indices of the shown changes, in path order.
    pub rows: Vec<u32>,
    /// Indices of the shown findings, most severe first.
    pub finding_rows: Vec<u32>,
    /// The selected change (index into the changes).
    pub selected: Option<usize>,
    pub selected_finding: Option<usize>,
    diff_job: Option<(usize, Job<(ContentView, Altered)>)>,
    /// The content diff of a change, once computed.
    pub content: Option<(usize, Result<ContentView, String>)>,
    /// The sides of the shown content diff whose bytes are not the sealed
    /// ones, as (`archive:path`, what differs).
    pub content_altered: Altered,
    scroll_to_row: Option<usize>,
    scroll_to_finding: Option<usize>,
    /// A path whose folders the tree opens, and for how many more frames
    /// (nested folders open one level per frame).
    reveal: Option<(String, u8)>,
    /// Show the snapshot pickers although results are shown.
    choose: bool,
    /// The folder tree shown or hidden by the user; unset, it shows on
    /// windows wide enough to leave the table its room.
    pub show_tree: Option<bool>,
    /// Export of what the screen shows (HTML report and JSON).
    pub export: ExportControl,
}

/// Below this window width the side tree starts hidden.
const TREE_MIN_WINDOW: f32 = 1200.0;

impl View for CompareView {
    fn screen(&self) -> Screen {
        Screen::COMPARE
    }

    fn title(&self) -> &'static str {
        "Compare"
    }

    fn ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        self.zone = vc.zone;
        ui.horizontal(|ui| {
            ui.label(RichText::new("Compare snapshots").heading());
            if self.model.is_some() && !self.choose && ui.button("Change snapshots").clicked() {
                self.choose = true;
            }
            if self.model.is_some() {
                self.export.toggle_ui(ui);
            }
        });
        self.export.panel_ui(ui, "comparison.html", || {
            let m = self.model.clone()?;
            let filter = self.filter.clone();
            Some(Box::new(move || {
                let changes = m.rows(&filter);
                let findings = filter.findings(&m.result.findings);
                let note = filter.describe();
                let sel = crate::report::diff::Selection {
                    changes: &changes,
                    findings: &findings,
                    note: &note,
                };
                let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                Ok((
                    crate::report::diff::render_selected(&m.result, &at, Some(&sel)),
                    crate::report::diff::json(&m.result, Some(&sel)),
                ))
            }) as crate::gui::widgets::export::RenderWork)
        });
        if self.model.is_none() || self.choose || self.job.is_some() {
            self.pickers_ui(ui, vc);
        }
        if let Some(job) = &self.job {
            widgets::cancellable_job_ui(ui, job);
            return;
        }
        if let Some(e) = &self.error {
            widgets::message_box(ui, Tone::Bad, "The comparison could not run", e);
        }
        if self.model.is_some() {
            if !self.content_altered.is_empty() && self.diff_job.is_none() {
                widgets::integrity_banner_ui(
                    ui,
                    &crate::viewmodel::integrity::banner_title(self.content_altered.len(), "lines"),
                    &self.content_altered,
                );
            }
            if let Some(m) = &self.model {
                let altered = crate::viewmodel::integrity::altered_findings(&m.result.findings);
                if !altered.is_empty() {
                    widgets::integrity_banner_ui(
                        ui,
                        &crate::viewmodel::integrity::banner_title(altered.len(), "findings"),
                        &altered,
                    );
                }
            }
            self.refresh_rows(ui.ctx());
            self.results_ui(ui, vc.commands);
        }
    }

    fn logic(&mut self, _ctx: &egui::Context, vc: &mut ViewCtx<'_>) {
        self.poll_jobs(vc.commands);
    }

    fn busy(&self) -> Vec<String> {
        let mut v: Vec<String> = self.job.iter().map(|j| j.title.clone()).collect();
        if self.diff_job.is_some() {
            v.push("Diffing content".into());
        }
        v.extend(self.rows_job.busy());
        v.extend(self.export.busy());
        v
    }

    fn on_dropped_file(&mut self, path: PathBuf) -> Option<PathBuf> {
        self.drop_path(path);
        None
    }

    fn drop_hint(&self) -> Option<&'static str> {
        Some("Drop an archive or a folder:\nit fills the baseline, then the incident side")
    }

    fn archives_in_use(&self) -> Vec<PathBuf> {
        self.model
            .as_ref()
            .map(|m| {
                vec![
                    PathBuf::from(&m.result.old.label),
                    PathBuf::from(&m.result.new.label),
                ]
            })
            .unwrap_or_default()
    }
}

impl CompareView {
    /// Whether the folder tree is shown: the user's choice, else by the
    /// window's width.
    fn tree_shown(&self, ui: &Ui) -> bool {
        self.show_tree
            .unwrap_or_else(|| ui.ctx().content_rect().width() >= TREE_MIN_WINDOW)
    }

    /// A dropped archive or folder fills the baseline first, then the
    /// incident side.
    pub fn drop_path(&mut self, p: PathBuf) {
        let text = p.display().to_string();
        if self.old.text.trim().is_empty() || !self.new.text.trim().is_empty() {
            if !self.new.text.trim().is_empty() {
                self.new.text.clear();
            }
            self.old.text = text;
        } else {
            self.new.text = text;
        }
        self.choose = true;
    }

    /// Compare the two chosen snapshots in the background.
    pub fn start(&mut self, ctx: &egui::Context) {
        if self.job.is_some() {
            return;
        }
        let (Some(old), Some(new)) = (self.old.path(), self.new.path()) else {
            self.error = Some("choose both snapshots first: a baseline and an incident".into());
            return;
        };
        self.error = None;
        let mut req = DiffRequest {
            old,
            new,
            rules_dir: self.rules_dir.clone(),
            yara: crate::detect::yara::YaraRequest {
                sources: self.yara.clone(),
                ..Default::default()
            },
            ..DiffRequest::default()
        };
        let ioc_lists = self.ioc_lists.clone();
        self.job = Some(Job::spawn(ctx, "Comparing", move |sink, cancel| {
            let t0 = Instant::now();
            req.ioc = widgets::load_ioc(&ioc_lists)?;
            let result = crate::examine::diff(&req, sink, cancel)?;
            sink.update(&crate::job::Progress {
                phase: "indexing the changes",
                ..Default::default()
            });
            Ok(DiffModel::build(result, t0.elapsed().as_millis()))
        }));
    }

    /// Show a finished comparison (the job's result; tests and benches).
    pub fn set_model(&mut self, model: DiffModel) {
        self.model = Some(Arc::new(model));
        self.rows_job.invalidate();
        self.rows.clear();
        self.finding_rows.clear();
        self.selected = None;
        self.selected_finding = None;
        self.content = None;
        self.content_altered.clear();
        self.diff_job = None;
        self.filter.folder = None;
        self.choose = false;
    }

    fn poll_jobs(&mut self, _commands: &mut Vec<Command>) {
        if let Some(job) = self.job.as_mut()
            && let Some(r) = job.poll()
        {
            self.job = None;
            match r {
                Ok(m) => self.set_model(m),
                Err(e) => self.error = Some(e),
            }
        }
        if let Some((idx, job)) = self.diff_job.as_mut()
            && let Some(r) = job.poll()
        {
            let idx = *idx;
            self.diff_job = None;
            match r {
                Ok((view, altered)) => {
                    self.content = Some((idx, Ok(view)));
                    self.content_altered = altered;
                }
                Err(e) => {
                    self.content = Some((idx, Err(e)));
                    self.content_altered.clear();
                }
            }
        }
    }

    /// Select a change and compute its content diff in the background.
    pub fn select_change(&mut self, ctx: &egui::Context, idx: usize) {
        let Some(m) = &self.model else { return };
        let Some(change) = m.result.changes.get(idx).cloned() else {
            return;
        };
        self.selected = Some(idx);
        if self.content.as_ref().is_some_and(|(i, _)| *i == idx) {
            return;
        }
        self.content = None;
        self.content_altered.clear();
        let result = Arc::clone(&m.result);
        self.diff_job = Some((
            idx,
            Job::spawn(ctx, "Diffing content", move |_, _| {
                let (d, checks) = result.content_diff_checked(&change, &ContentLimits::default());
                let rows = side_by_side(&d);
                let old_path = change.renamed_from.as_deref().unwrap_or(&change.path);
                let altered: Altered = [
                    (&checks.old, &result.old.label, old_path),
                    (&checks.new, &result.new.label, change.path.as_str()),
                ]
                .into_iter()
                .filter_map(|(c, label, path)| match c {
                    Some(crate::archive::checked::Integrity::Mismatch(why)) => {
                        Some((format!("{label}:{path}"), why.clone()))
                    }
                    _ => None,
                })
                .collect();
                Ok(((d, rows), altered))
            }),
        ));
    }

    /// Jump to a finding's file: select its change (clearing filters that
    /// would hide it), open its folders in the tree, scroll the table to it.
    pub fn select_finding(&mut self, ctx: &egui::Context, fi: usize) {
        let Some(m) = &self.model else { return };
        let Some(f) = m.result.findings.get(fi) else {
            return;
        };
        self.selected_finding = Some(fi);
        let path = f.subject.path.clone();
        let Some(idx) = m.index_of(&path) else {
            self.selected = None;
            self.content = None;
            return;
        };
        let sev = m.severity.get(idx).copied().flatten();
        if let Some(c) = m.result.changes.get(idx)
            && !self.filter.shows_change(c, sev)
        {
            self.filter.classes.clear();
            self.filter.text.clear();
            self.filter.folder = None;
        }
        self.reveal = Some((path, 16));
        self.scroll_to_row = Some(idx);
        self.select_change(ctx, idx);
    }

    /// Take finished rows and make sure rows for the current filter are
    /// on their way; until they arrive the table shows the last ones.
    fn refresh_rows(&mut self, ctx: &egui::Context) {
        if let Some((rows, finding_rows)) = self.rows_job.poll() {
            self.rows = rows;
            self.finding_rows = finding_rows;
        }
        let Some(m) = &self.model else { return };
        let small = m.result.changes.len() < INLINE_ROWS;
        if let Some((rows, finding_rows)) =
            self.rows_job.request_small(ctx, &self.filter, small, || {
                let m = Arc::clone(m);
                let f = self.filter.clone();
                move || Ok((m.rows(&f), f.findings(&m.result.findings)))
            })
        {
            self.rows = rows;
            self.finding_rows = finding_rows;
        }
    }

    fn pickers_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        widgets::hint(
            ui,
            "Each side is an evidence archive or a folder (read-only, as a target root). \
             Drop an archive or a folder on the window to fill the next empty side.",
        );
        self.rules_dir = vc.settings.rules_dir();
        self.yara = vc.settings.yara_sources(vc.case.map(|c| c.dir.as_path()));
        self.ioc_lists = vc.settings.ioc_lists(vc.case);
        if let Some(p) = self.old_folder.poll() {
            self.old.text = p.display().to_string();
        }
        if let Some(p) = self.new_folder.poll() {
            self.new.text = p.display().to_string();
        }
        for (field, picker, label, folder_label) in [
            (
                &mut self.old,
                &mut self.old_folder,
                "Baseline (before)",
                "Baseline folder…",
            ),
            (
                &mut self.new,
                &mut self.new_folder,
                "Incident (after)",
                "Incident folder…",
            ),
        ] {
            ui.horizontal(|ui| {
                field.ui(ui, label, PickKind::Archive, "archive (.zip) or folder");
                if ui
                    .add_enabled(!picker.is_open(), egui::Button::new(folder_label))
                    .on_hover_text("Compare a folder on this machine")
                    .clicked()
                {
                    picker.open(ui.ctx(), PickKind::Folder, label);
                }
            });
        }
        if let Some(case) = vc.case
            && !case.archives.is_empty()
        {
            egui::CollapsingHeader::new("Archives of this case")
                .default_open(true)
                .show(ui, |ui| {
                    egui::Grid::new("compare_case_archives")
                        .num_columns(3)
                        .show(ui, |ui| {
                            for a in &case.archives {
                                if a.verification
                                    == crate::case::custody_log::VerificationState::Incomplete
                                {
                                    continue;
                                }
                                ui.label(RichText::new(a.file_name()).monospace());
                                if ui.small_button("as baseline").clicked() {
                                    self.old.text = a.path.display().to_string();
                                }
                                if ui.small_button("as incident").clicked() {
                                    self.new.text = a.path.display().to_string();
                                }
                                ui.end_row();
                            }
                        });
                });
        }
        widgets::rules_dir_ui(ui, vc.settings);
        widgets::yara_rules_ui(ui, vc.settings);
        widgets::ioc_files_ui(ui, vc.settings, vc.case);
        if self.job.is_none()
            && ui
                .add(
                    egui::Button::new(RichText::new("Run comparison").size(16.0).strong())
                        .min_size(egui::vec2(120.0, 30.0)),
                )
                .on_hover_text("Compare the two snapshots and judge the changes")
                .clicked()
        {
            self.start(ui.ctx());
        }
    }

    fn results_ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        let Some(m) = &self.model else { return };
        let r = &m.result;
        ui.label(
            RichText::new(format!(
                "{} changes · {} findings ({}) · baseline {}, incident {} · {} + {} entries in {} ms",
                widgets::thousands(r.changes.len() as u64),
                widgets::thousands(r.findings.len() as u64),
                severity_summary(&m.severity_counts),
                short_label(&r.old.label),
                short_label(&r.new.label),
                widgets::thousands(r.old.entries),
                widgets::thousands(r.new.entries),
                m.duration_ms
            ))
            .strong(),
        )
        .on_hover_text(format!("baseline: {}\nincident: {}", r.old.label, r.new.label));
        for p in r.old.problems.iter().chain(r.new.problems.iter()).take(5) {
            ui.label(widgets::toned(ui, Tone::Warn, p));
        }
        if let Some((title, text)) = model::scope_banner(&r.scope) {
            widgets::message_box(ui, Tone::Warn, &title, &text);
        }
        // Class counts double as the class filter.
        let counts = m.tree.counts(0);
        ui.horizontal_wrapped(|ui| {
            ui.label("Classes:");
            for (class, n) in counts {
                let on = self.filter.classes.contains(&class);
                let color = theme::tone_color(ui, class_tone(class));
                let text = RichText::new(format!(
                    "{} ({})",
                    model::class_text(class),
                    widgets::thousands(n as u64)
                ))
                .color(color)
                .strong();
                if ui
                    .selectable_label(on, text)
                    .on_hover_text(format!(
                        "Show only {} changes (click again to undo)",
                        model::class_text(class)
                    ))
                    .clicked()
                {
                    if on {
                        self.filter.classes.remove(&class);
                    } else {
                        self.filter.classes.insert(class);
                    }
                }
            }
            if !self.filter.classes.is_empty() && ui.button("All classes").clicked() {
                self.filter.classes.clear();
            }
        });
        ui.horizontal(|ui| {
            let l = ui.label("Filter paths");
            ui.add(
                egui::TextEdit::singleline(&mut self.filter.text)
                    .hint_text("part of a path")
                    .desired_width(240.0),
            )
            .labelled_by(l.id);
            min_severity_ui(
                ui,
                "compare_min_sev",
                &mut self.filter.min_severity,
                "any change",
            );
            ui.checkbox(&mut self.filter.hide_noise, "Hide noise")
                .on_hover_text(
                    "Hide normal change: log growth and rotation nobody flagged, and changes \
                     whose findings are only info or low",
                );
            let mut tree = self.tree_shown(ui);
            if ui
                .toggle_value(&mut tree, "Folder tree")
                .on_hover_text("Show or hide the folder tree beside the changes")
                .changed()
            {
                self.show_tree = Some(tree);
            }
            if let Some(f) = self.filter.folder.clone() {
                ui.label(format!("Folder: {f}"));
                if ui.button("All folders").clicked() {
                    self.filter.folder = None;
                }
            }
        });
        self.refresh_rows(ui.ctx());
        let ctx = ui.ctx().clone();
        let mut chosen_folder = None;
        if self.tree_shown(ui) {
            egui::Panel::left("compare_tree")
                .resizable(true)
                .default_size(widgets::side_width(ui, 0.2, 180.0, 270.0))
                .show(ui, |ui| {
                    if let Some(m) = &self.model {
                        let reveal = self.reveal.as_ref().map(|(p, _)| p.as_str());
                        chosen_folder = tree_ui(ui, &m.tree, self.filter.folder.as_deref(), reveal);
                    }
                });
        }
        self.reveal = match self.reveal.take() {
            Some((p, n)) if n > 0 && chosen_folder.is_none() => {
                ui.ctx().request_repaint();
                Some((p, n - 1))
            }
            _ => None,
        };
        if let Some(f) = chosen_folder {
            self.filter.folder = Some(f);
        }
        let mut finding_clicked = None;
        egui::Panel::right("compare_findings")
            .resizable(true)
            .default_size(widgets::side_width(ui, 0.3, 260.0, 370.0))
            .show(ui, |ui| {
                let Some(m) = &self.model else { return };
                ui.label(
                    RichText::new(format!(
                        "Findings ({} of {})",
                        widgets::thousands(self.finding_rows.len() as u64),
                        widgets::thousands(m.result.findings.len() as u64)
                    ))
                    .strong(),
                );
                finding_clicked = findings_list_ui(
                    ui,
                    "compare_findings_list",
                    &m.result.findings,
                    &self.finding_rows,
                    self.selected_finding,
                    self.scroll_to_finding.take(),
                );
            });
        if let Some(fi) = finding_clicked {
            self.select_finding(&ctx, fi);
        }
        let mut row_clicked = None;
        egui::CentralPanel::default().show(ui, |ui| {
            let h = ui.available_height();
            // The detail pane opens with a selection; until then the
            // table has the whole height (a laptop screen shows twice
            // the rows).
            if self.selected.is_some() {
                egui::Panel::bottom("compare_diff")
                    .resizable(true)
                    .default_size((h * 0.52).max(220.0))
                    .min_size((h * 0.3).max(160.0))
                    .show(ui, |ui| {
                        ui.set_min_height(ui.available_height());
                        self.detail_ui(ui, commands);
                    });
            } else {
                egui::Panel::bottom("compare_diff_hint").show(ui, |ui| {
                    self.detail_ui(ui, commands);
                });
            }
            egui::CentralPanel::default().show(ui, |ui| {
                egui::ScrollArea::horizontal()
                    .id_salt("compare_table_h")
                    .show(ui, |ui| row_clicked = self.table_ui(ui));
            });
        });
        if let Some(idx) = row_clicked {
            // The detail pane opening takes half the table's height: keep
            // the clicked row in view (later clicks leave the table where
            // the examiner scrolled it).
            if self.selected.is_none() {
                self.scroll_to_row = Some(idx);
            }
            self.select_change(&ctx, idx);
            // The finding list follows the selected file.
            if let Some(m) = &self.model
                && let Some(c) = m.result.changes.get(idx)
            {
                self.selected_finding = m
                    .result
                    .findings
                    .iter()
                    .position(|f| f.subject.path == c.path);
                self.scroll_to_finding = self.selected_finding;
            }
        }
    }

    fn table_ui(&mut self, ui: &mut Ui) -> Option<usize> {
        let m = self.model.as_ref()?;
        let rows = &self.rows;
        let mut clicked = None;
        ui.label(format!(
            "Showing {} of {} changes",
            widgets::thousands(rows.len() as u64),
            widgets::thousands(m.result.changes.len() as u64)
        ));
        // The path column takes what the other columns leave, so a laptop
        // screen shows whole rows without scrolling sideways.
        let path_width =
            (ui.available_width() - 78.0 - 96.0 - 110.0 - 100.0 - 40.0).clamp(160.0, 420.0);
        let mut table = TableBuilder::new(ui)
            .id_salt("compare_table")
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .column(Column::initial(78.0).clip(true))
            .column(Column::initial(96.0).clip(true))
            .column(Column::initial(path_width).at_least(120.0).clip(true))
            .column(Column::initial(110.0).clip(true))
            .column(Column::remainder().at_least(100.0).clip(true));
        if let Some(idx) = self.scroll_to_row.take()
            && let Some(pos) = rows.iter().position(|&r| r as usize == idx)
        {
            table = table.scroll_to_row(pos, Some(egui::Align::Center));
        }
        let selected = self.selected;
        table
            .header(22.0, |mut h| {
                for t in ["Severity", "Change", "Path", "Size", "What changed"] {
                    h.col(|ui| {
                        ui.strong(t);
                    });
                }
            })
            .body(|body| {
                body.rows(22.0, rows.len(), |mut row| {
                    let Some(&i) = rows.get(row.index()) else {
                        return;
                    };
                    let i = i as usize;
                    let Some(c) = m.result.changes.get(i) else {
                        return;
                    };
                    row.set_selected(selected == Some(i));
                    row.col(|ui| match m.severity.get(i).copied().flatten() {
                        Some(s) => {
                            severity_badge(ui, s);
                        }
                        None => {
                            ui.label(RichText::new("—").weak());
                        }
                    });
                    row.col(|ui| {
                        let color = theme::tone_color(ui, class_tone(c.change));
                        ui.label(RichText::new(model::class_text(c.change)).color(color));
                    });
                    row.col(|ui| {
                        // Long paths lose their middle, never their file name.
                        widgets::path_label(ui, &c.path, 0.0);
                    });
                    row.col(|ui| {
                        ui.label(size_change(c));
                    });
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(what_changed(c))
                                .truncate()
                                .selectable(false),
                        );
                    });
                    if row.response().clicked() {
                        clicked = Some(i);
                    }
                });
            });
        // Keyboard: up/down move the selection within the shown rows.
        let (up, down) = ui.input(|i| {
            (
                i.key_pressed(egui::Key::ArrowUp),
                i.key_pressed(egui::Key::ArrowDown),
            )
        });
        if (up || down)
            && clicked.is_none()
            && ui.ctx().memory(|m| m.focused().is_none())
            && let Some(sel) = self.selected
            && let Some(pos) = rows.iter().position(|&r| r as usize == sel)
        {
            let next = if down { pos + 1 } else { pos.saturating_sub(1) };
            if let Some(&n) = rows.get(next) {
                clicked = Some(n as usize);
                self.scroll_to_row = Some(n as usize);
            }
        }
        clicked
    }

    fn detail_ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        let Some(m) = &self.model else { return };
        let Some(c) = self.selected.and_then(|i| m.result.changes.get(i)) else {
            widgets::hint(
                ui,
                "Select a change in the table, or click a finding, to see its attributes, \
                 its findings and the line-level diff.",
            );
            return;
        };
        // The side holding the entry: the incident, or the baseline for a
        // removed file (or one only the baseline holds); archives open in
        // the evidence browser.
        let (side, path) = if c.new.is_none() {
            (&m.result.old, c.path.as_str())
        } else {
            (&m.result.new, c.path.as_str())
        };
        ui.horizontal(|ui| {
            let color = theme::tone_color(ui, class_tone(c.change));
            ui.label(
                RichText::new(model::class_text(c.change))
                    .color(color)
                    .strong(),
            );
            if side.kind == crate::snapshot::SnapshotKind::Archive
                && ui
                    .small_button("Open in evidence browser")
                    .on_hover_text(format!(
                        "Show this file's record and content in {}",
                        side.label
                    ))
                    .clicked()
            {
                commands.push(Command::OpenArchiveAt(
                    PathBuf::from(&side.label),
                    path.to_string(),
                ));
            }
            ui.add(egui::Label::new(RichText::new(&c.path).monospace().strong()).truncate());
        });
        let findings: Vec<_> = m.result.findings_for(&c.path).collect();
        // Long hashes scroll inside this area instead of widening the pane.
        let width = ui.available_width();
        egui::ScrollArea::both()
            .id_salt("compare_detail_facts")
            .max_height((ui.available_height() * 0.4).max(90.0))
            .max_width(width)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                if let Some(d) = &c.detail {
                    ui.label(d);
                }
                if let Some(n) = c.scope.as_ref().filter(|n| !n.decided) {
                    ui.label(widgets::toned(
                        ui,
                        Tone::Warn,
                        format!("scope undecided: {}", n.reason),
                    ));
                }
                if let Some(from) = &c.renamed_from {
                    ui.label(format!("renamed from {from}"));
                }
                if !c.rotated_to.is_empty() {
                    ui.label(format!("old content now in {}", c.rotated_to.join(", ")));
                }
                for f in findings {
                    finding_detail_ui(ui, f);
                    ui.separator();
                }
                sides_grid_ui(ui, c, self.zone);
            });
        ui.separator();
        let idx = self.selected;
        if self.diff_job.is_some() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Computing the content diff…");
            });
            return;
        }
        if self.content.as_ref().is_some_and(|(i, _)| Some(*i) == idx) {
            for (loc, _) in &self.content_altered {
                ui.horizontal(|ui| {
                    widgets::badge(ui, Tone::Bad, crate::viewmodel::integrity::BADGE);
                    ui.label(widgets::toned(
                        ui,
                        Tone::Bad,
                        format!(
                            "{}: {loc} — the lines below may be altered",
                            crate::viewmodel::integrity::MISMATCH_TEXT
                        ),
                    ));
                });
            }
        }
        match &self.content {
            Some((i, Ok((diff, rows)))) if Some(*i) == idx => content_ui(ui, diff, rows, width),
            Some((i, Err(e))) if Some(*i) == idx => {
                widgets::message_box(ui, Tone::Bad, "No content diff", e)
            }
            _ => {}
        }
    }
}

/// The last path component of a snapshot label.
fn short_label(label: &str) -> &str {
    let l = label.trim_end_matches('/');
    l.rsplit('/').next().unwrap_or(l)
}

/// `1.2 kB to 1.4 kB`, or one size for added/removed entries.
fn size_change(c: &Change) -> String {
    match (&c.old, &c.new) {
        (Some(o), Some(n)) if o.size_bytes != n.size_bytes => format!(
            "{} to {}",
            widgets::human_bytes(o.size_bytes),
            widgets::human_bytes(n.size_bytes)
        ),
        (_, Some(s)) | (Some(s), None) => widgets::human_bytes(s.size_bytes),
        (None, None) => String::new(),
    }
}

/// The changed attributes and the change's short explanation.
fn what_changed(c: &Change) -> String {
    let attrs: Vec<String> = c
        .attributes
        .iter()
        .map(|a| format!("{a:?}").to_lowercase())
        .collect();
    let mut out = attrs.join(", ");
    if let Some(from) = &c.renamed_from {
        out = format!("from {from}");
    }
    if let Some(d) = &c.detail {
        if !out.is_empty() {
            out.push_str(" — ");
        }
        out.push_str(d);
    }
    out
}

/// An attribute's name and how to show it from a side: the text, and
/// whether the side knows the value (a capture on Windows knows no owner
/// ids, inode or change time).
type SideField<'a> = (&'a str, &'a dyn Fn(&Side) -> (String, bool));

/// Old and new attributes side by side; values that differ are
/// highlighted, never a value one side does not know (as the comparison
/// itself judges, `diff::compare::known_differ`).
fn sides_grid_ui(ui: &mut Ui, c: &Change, zone: crate::tz::DisplayZone) {
    let get = |s: &Option<Side>, f: &dyn Fn(&Side) -> (String, bool)| s.as_ref().map(f);
    let time = |t: &Option<String>| {
        t.as_deref()
            .map(|t| zone.format_stored(t, crate::tz::Precision::Full))
            .unwrap_or_default()
    };
    let known = |s: String| (s, true);
    let rows: [SideField<'_>; 9] = [
        ("Type", &|s| known(format!("{:?}", s.kind).to_lowercase())),
        ("Size", &|s| known(format!("{} bytes", s.size_bytes))),
        ("Mode", &|s| known(s.mode.clone())),
        ("Owner", &|s| {
            (
                format!("{}:{}", or_unknown(s.uid), or_unknown(s.gid)),
                s.uid.is_some() && s.gid.is_some(),
            )
        }),
        ("Modified", &|s| known(time(&s.mtime))),
        ("Changed", &|s| match &s.ctime {
            Some(_) => known(time(&s.ctime)),
            None => ("unknown".into(), false),
        }),
        ("Inode", &|s| (or_unknown(s.inode), s.inode.is_some())),
        ("SHA-256", &|s| known(s.sha256.clone().unwrap_or_default())),
        ("Link target", &|s| {
            known(s.link_target.clone().unwrap_or_default())
        }),
    ];
    let warn = theme::tone_color(ui, Tone::Warn);
    egui::Grid::new("compare_sides")
        .num_columns(3)
        .spacing([14.0, 2.0])
        .striped(true)
        .show(ui, |ui| {
            ui.label("");
            ui.strong("Baseline");
            ui.strong("Incident");
            ui.end_row();
            for (name, f) in rows {
                let o = get(&c.old, f);
                let n = get(&c.new, f);
                let text = |v: &Option<(String, bool)>| v.as_ref().map(|v| v.0.clone());
                let (ot, nt) = (text(&o), text(&n));
                if ot.as_deref().unwrap_or("").is_empty() && nt.as_deref().unwrap_or("").is_empty()
                {
                    continue;
                }
                let differs = matches!((&o, &n), (Some((a, true)), Some((b, true))) if a != b);
                ui.label(RichText::new(name).weak());
                for v in [ot, nt] {
                    let t = RichText::new(v.unwrap_or_else(|| "—".into())).monospace();
                    ui.add(
                        egui::Label::new(if differs { t.color(warn) } else { t }).selectable(true),
                    );
                }
                ui.end_row();
            }
        });
}

/// A content diff: side-by-side lines, or the binary summary.
fn content_ui(ui: &mut Ui, diff: &ContentDiff, rows: &[SbsRow], width: f32) {
    match diff {
        ContentDiff::Text {
            hunks_omitted,
            added_lines,
            removed_lines,
            ..
        } => {
            ui.label(format!(
                "Line diff: {added_lines} added, {removed_lines} removed{}",
                if *hunks_omitted > 0 {
                    format!(" ({hunks_omitted} more hunks left out)")
                } else {
                    String::new()
                }
            ));
            side_by_side_ui(ui, rows, width);
        }
        ContentDiff::Binary {
            reason,
            old_size_bytes,
            new_size_bytes,
            old_sha256,
            new_sha256,
            first_difference_offset,
            old_hex,
            new_hex,
        } => {
            ui.label(format!(
                "No line diff ({}): size and hash change, and the first differing bytes",
                reason.replace('_', " ")
            ));
            let opt = |v: &Option<u64>| v.map_or("—".to_string(), |n| format!("{n} bytes"));
            egui::Grid::new("compare_binary")
                .num_columns(3)
                .spacing([14.0, 2.0])
                .show(ui, |ui| {
                    ui.label("");
                    ui.strong("Baseline");
                    ui.strong("Incident");
                    ui.end_row();
                    ui.label("Size");
                    ui.label(opt(old_size_bytes));
                    ui.label(opt(new_size_bytes));
                    ui.end_row();
                    ui.label("SHA-256");
                    for h in [old_sha256, new_sha256] {
                        ui.label(
                            RichText::new(h.as_deref().unwrap_or("—"))
                                .monospace()
                                .small(),
                        );
                    }
                    ui.end_row();
                    ui.label("First difference");
                    ui.label(
                        first_difference_offset.map_or("not found within the limit".into(), |o| {
                            format!("offset {o} (0x{o:x})")
                        }),
                    );
                    ui.end_row();
                    ui.label("Hex at that row");
                    for h in [old_hex, new_hex] {
                        ui.label(RichText::new(if h.is_empty() { "—" } else { h }).monospace());
                    }
                    ui.end_row();
                });
        }
        ContentDiff::Identical => {
            ui.label("Same content on both sides: only attributes changed.");
        }
        ContentDiff::Unavailable { reason } => {
            ui.label(widgets::toned(
                ui,
                Tone::Warn,
                format!("No content diff: {reason}"),
            ));
        }
    }
}

/// The side-by-side rows in a virtualized table: removed lines red on the
/// left, added lines green on the right, context on both.
fn side_by_side_ui(ui: &mut Ui, rows: &[SbsRow], width: f32) {
    let bad = theme::tone_color(ui, Tone::Bad).gamma_multiply(0.22);
    let good = theme::tone_color(ui, Tone::Good).gamma_multiply(0.22);
    let info = theme::tone_color(ui, Tone::Info);
    let half = ((width.min(ui.available_width()) - 120.0) / 2.0).max(160.0);
    TableBuilder::new(ui)
        .id_salt("compare_sbs")
        .striped(false)
        .column(Column::exact(44.0))
        .column(Column::exact(half).clip(true))
        .column(Column::exact(44.0))
        .column(Column::remainder().at_least(160.0).clip(true))
        .header(20.0, |mut h| {
            for t in ["", "Baseline", "", "Incident"] {
                h.col(|ui| {
                    ui.strong(t);
                });
            }
        })
        .body(|body| {
            body.rows(18.0, rows.len(), |mut row| {
                let Some(r) = rows.get(row.index()) else {
                    return;
                };
                match r {
                    SbsRow::Hunk(h) => {
                        row.col(|_| {});
                        row.col(|ui| {
                            ui.label(RichText::new(h).monospace().color(info));
                        });
                        row.col(|_| {});
                        row.col(|ui| {
                            ui.label(RichText::new(h).monospace().color(info));
                        });
                    }
                    SbsRow::Line { old, new, changed } => {
                        for (side, fill, mark) in [(old, bad, "- "), (new, good, "+ ")] {
                            row.col(|ui| {
                                if let Some((n, _)) = side {
                                    ui.label(RichText::new(n.to_string()).monospace().weak());
                                }
                            });
                            row.col(|ui| {
                                if let Some((_, text)) = side {
                                    if *changed {
                                        ui.painter().rect_filled(ui.max_rect(), 0.0, fill);
                                    }
                                    let prefix = if *changed { mark } else { "  " };
                                    ui.add(
                                        egui::Label::new(
                                            RichText::new(format!("{prefix}{text}")).monospace(),
                                        )
                                        .truncate()
                                        .selectable(false),
                                    )
                                    .on_hover_text(text);
                                }
                            });
                        }
                    }
                }
            });
        });
}

/// The folder tree with per-class counts; returns a clicked folder.
fn tree_ui(
    ui: &mut Ui,
    tree: &ChangeTree,
    current: Option<&str>,
    reveal: Option<&str>,
) -> Option<String> {
    let mut chosen = None;
    ui.label(RichText::new("Folders").strong());
    egui::ScrollArea::both()
        .id_salt("compare_tree_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            tree_node_ui(ui, tree, 0, current, reveal, &mut chosen, 0);
        });
    chosen
}

fn tree_node_ui(
    ui: &mut Ui,
    tree: &ChangeTree,
    id: usize,
    current: Option<&str>,
    reveal: Option<&str>,
    chosen: &mut Option<String>,
    depth: usize,
) {
    let Some(node) = tree.nodes.get(id) else {
        return;
    };
    let selected = current == Some(node.path.as_str()) || (current.is_none() && id == 0);
    let header = |ui: &mut Ui, chosen: &mut Option<String>| {
        ui.horizontal(|ui| {
            let text = format!("{}  {}", node.name, widgets::thousands(node.total as u64));
            let r = ui.selectable_label(selected, text);
            let mut tip = String::new();
            for (c, n) in tree.counts(id) {
                tip.push_str(&format!("{} {n}\n", c.as_str()));
            }
            if r.on_hover_text(tip.trim_end()).clicked() {
                *chosen = Some(node.path.clone());
            }
            if let Some(s) = node.severity.filter(|s| *s >= Severity::Medium) {
                severity_badge(ui, s);
            }
            let counts = tree.counts(id);
            for (c, n) in counts.iter().take(1) {
                let color = theme::tone_color(ui, class_tone(*c));
                ui.label(
                    RichText::new(format!("{} {n}", c.as_str()))
                        .color(color)
                        .small(),
                );
            }
            if counts.len() > 1 {
                ui.label(RichText::new("…").small());
            }
        });
    };
    if node.children.is_empty() || depth > 64 {
        header(ui, chosen);
        return;
    }
    let mut state = egui::collapsing_header::CollapsingState::load_with_default_open(
        ui.ctx(),
        ui.make_persistent_id(("compare_folder", &node.path)),
        depth < 2,
    );
    if let Some(r) = reveal
        && (node.path == "/" || r.starts_with(&format!("{}/", node.path)))
    {
        state.set_open(true);
    }
    state.show_header(ui, |ui| header(ui, chosen)).body(|ui| {
        for &c in node.children.iter().take(TREE_CHILD_CAP) {
            tree_node_ui(ui, tree, c, current, reveal, chosen, depth + 1);
        }
        if node.children.len() > TREE_CHILD_CAP {
            ui.label(format!(
                "… {} more folders (use the path filter)",
                node.children.len() - TREE_CHILD_CAP
            ));
        }
    });
}
