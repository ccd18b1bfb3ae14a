//! The Findings screen: triage of one snapshot without a baseline. Pick an
//! archive or a folder, the rules and detectors run in the background (the
//! same engine as `exhibit scan`), and the findings are listed most severe
//! first. A click shows the file's recorded attributes and every finding on
//! it; for an archive, a button opens the file in the evidence browser.
//!
//! The findings list itself ([`findings_list_ui`], in
//! [`crate::gui::widgets::findings`]) is shared with the Compare screen:
//! fixed-height cards in a virtualized scroll area, so thousands of findings
//! cost no more per frame than the dozen on screen.

use crate::detect::Severity;
use crate::detect::files::{self, Finding, HashSets, Rules};
use crate::gui::context::{Command, Screen, View, ViewCtx};
use crate::gui::derived::Derived;
use crate::gui::jobs::{Job, PickKind, Picker};
use crate::gui::theme::Tone;
use crate::gui::widgets::findings::{
    entry_grid_ui, finding_detail_ui, findings_list_ui, min_severity_ui,
};
use crate::gui::widgets::{self, PathField};
use crate::snapshot::Snapshot;
use crate::snapshot::SnapshotInfo;
use crate::viewmodel::change_filter::ChangeFilter;
use crate::viewmodel::format::{count_severities, severity_summary};
use egui::{RichText, Ui};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// A finished scan.
pub struct ScanModel {
    /// The archive or folder scanned.
    pub path: PathBuf,
    pub info: SnapshotInfo,
    /// Kept open for the details of a file.
    pub snapshot: Arc<Snapshot>,
    pub findings: Vec<Finding>,
    pub severity_counts: Vec<(Severity, u32)>,
    pub duration_ms: u128,
    /// What YARA scanned and skipped, when rules were set.
    pub yara: Option<crate::detect::yara::YaraSummary>,
}

impl ScanModel {
    /// True when the snapshot is an archive (it can open in the browser).
    pub fn is_archive(&self) -> bool {
        self.info.kind == crate::snapshot::SnapshotKind::Archive
    }
}

/// Run the rules and detectors on one snapshot (what `detect::files::scan` does),
/// keeping the snapshot open for the details pane.
pub fn run_scan(
    path: PathBuf,
    rules_dir: Option<PathBuf>,
    yara_req: crate::detect::yara::YaraRequest,
    ioc_lists: &[PathBuf],
    sink: &dyn crate::job::ProgressSink,
    cancel: &crate::job::CancelToken,
) -> anyhow::Result<ScanModel> {
    use crate::detect::yara;
    let t0 = Instant::now();
    let rules = Rules::load(rules_dir.as_deref())?;
    let yara_rules = if yara_req.is_empty() {
        None
    } else {
        Some(yara::YaraRules::compile(&yara_req)?)
    };
    let ioc = widgets::load_ioc(ioc_lists)?;
    let snap = Snapshot::open(&path, sink, cancel)?;
    if cancel.is_cancelled() {
        anyhow::bail!("cancelled");
    }
    sink.update(&crate::job::Progress {
        phase: "judging",
        files_total: Some(snap.entries.len() as u64),
        ..Default::default()
    });
    let mut findings = files::on_snapshot(&snap, &rules, &HashSets::default());
    let yara = yara_rules.map(|y| {
        let r = yara::scan(
            &y,
            &snap,
            yara::Scope::All,
            &yara_req,
            &HashSets::default(),
            sink,
            cancel,
        );
        findings.extend(r.findings);
        files::sort_findings(&mut findings);
        r.summary
    });
    if cancel.is_cancelled() {
        anyhow::bail!("cancelled");
    }
    if !ioc.is_empty() {
        let more = crate::detect::ioc::files::on_snapshot(&snap, &ioc, sink, cancel);
        crate::detect::ioc::files::merge(&mut findings, more);
    }
    sink.update(&crate::job::Progress {
        phase: "checking the findings' files against the seal",
        ..Default::default()
    });
    files::mark_altered(&[&snap], &mut findings, cancel);
    Ok(ScanModel {
        yara,
        path,
        info: SnapshotInfo::of(&snap),
        severity_counts: count_severities(&findings),
        snapshot: Arc::new(snap),
        findings,
        duration_ms: t0.elapsed().as_millis(),
    })
}

/// State of the Findings screen.
#[derive(Default)]
pub struct FindingsView {
    /// The zone times are shown in (from the frame's `ViewCtx`).
    zone: crate::tz::DisplayZone,
    pub snapshot: PathField,
    /// The examiner's rules directory (from the settings), if any.
    rules_dir: Option<PathBuf>,
    /// The YARA rules (the setting and the case's `yara/` folder).
    yara: Vec<PathBuf>,
    /// The indicator lists (settings and case), if any.
    ioc_lists: Vec<PathBuf>,

    folder: Picker,
    job: Option<Job<ScanModel>>,
    /// Shared with the background filter job.
    pub model: Option<Arc<ScanModel>>,
    pub error: Option<String>,
    /// Severity, path text and noise (classes and folders do not apply).
    pub filter: ChangeFilter,
    /// `rows` for a filter, recomputed in the background.
    rows_job: Derived<ChangeFilter, Vec<u32>>,
    /// Indices of the shown findings, most severe first.
    pub rows: Vec<u32>,
    /// Index into the model's findings.
    pub selected: Option<usize>,
    /// Export of what the screen shows (HTML report and JSON).
    pub export: crate::gui::widgets::export::ExportControl,
}

impl View for FindingsView {
    fn screen(&self) -> Screen {
        Screen::FINDINGS
    }

    fn archives_in_use(&self) -> Vec<PathBuf> {
        self.model.iter().map(|m| m.path.clone()).collect()
    }

    fn title(&self) -> &'static str {
        "Findings"
    }

    fn ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        self.zone = vc.zone;
        self.rules_dir = vc.settings.rules_dir();
        self.yara = vc.settings.yara_sources(vc.case.map(|c| c.dir.as_path()));
        self.ioc_lists = vc.settings.ioc_lists(vc.case);
        ui.label(RichText::new("Findings on one snapshot").heading());
        widgets::hint(
            ui,
            "Triage without a baseline: the rules and detectors of exhibit scan judge every \
             file of an archive or a folder (read-only; a folder is read as a target root).",
        );
        if let Some(p) = self.folder.poll() {
            self.snapshot.text = p.display().to_string();
        }
        ui.horizontal(|ui| {
            self.snapshot.ui(
                ui,
                "Snapshot to scan",
                PickKind::Archive,
                "archive (.zip) or folder",
            );
            if ui
                .add_enabled(!self.folder.is_open(), egui::Button::new("Folder…"))
                .on_hover_text("Choose a folder to scan")
                .clicked()
            {
                self.folder
                    .open(ui.ctx(), PickKind::Folder, "Folder to scan");
            }
        });
        if let Some(case) = vc.case
            && !case.archives.is_empty()
        {
            ui.horizontal_wrapped(|ui| {
                ui.label("Case archives:");
                for a in &case.archives {
                    if a.verification == crate::case::custody_log::VerificationState::Incomplete {
                        continue;
                    }
                    if ui.link(a.file_name()).clicked() {
                        self.snapshot.text = a.path.display().to_string();
                    }
                }
            });
        }
        widgets::rules_dir_ui(ui, vc.settings);
        widgets::yara_rules_ui(ui, vc.settings);
        widgets::ioc_files_ui(ui, vc.settings, vc.case);
        if let Some(job) = &self.job {
            widgets::cancellable_job_ui(ui, job);
            return;
        }
        ui.horizontal(|ui| {
            if ui
                .add(
                    egui::Button::new(RichText::new("Scan for findings").size(16.0).strong())
                        .min_size(egui::vec2(120.0, 30.0)),
                )
                .clicked()
            {
                match self.snapshot.path() {
                    Some(p) => self.start(ui.ctx(), p),
                    None => {
                        self.error = Some("type or choose an archive or a folder to scan".into())
                    }
                }
            }
            if self.model.is_some() {
                self.export.toggle_ui(ui);
            }
        });
        self.export.panel_ui(ui, "findings.html", || {
            let m = self.model.clone()?;
            let filter = self.filter.clone();
            Some(Box::new(move || {
                let shown = filter.findings(&m.findings);
                let note = filter.describe();
                let r = crate::report::findings::ScanReport {
                    snapshot: &m.info,
                    findings: &m.findings,
                    yara: m.yara.as_ref(),
                    selection: Some((shown.as_slice(), note.as_str())),
                };
                let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                Ok((
                    crate::report::findings::render(&r, &at),
                    crate::report::findings::json(&r),
                ))
            }) as crate::gui::widgets::export::RenderWork)
        });
        if let Some(e) = &self.error {
            widgets::message_box(ui, Tone::Bad, "The scan could not run", e);
        }
        if self.model.is_some() {
            self.results_ui(ui, vc);
        }
    }

    fn logic(&mut self, _ctx: &egui::Context, vc: &mut ViewCtx<'_>) {
        self.poll_jobs(vc.commands);
    }

    fn busy(&self) -> Vec<String> {
        let mut v: Vec<String> = self.job.iter().map(|j| j.title.clone()).collect();
        v.extend(self.rows_job.busy());
        v.extend(self.export.busy());
        v
    }

    fn on_dropped_file(&mut self, path: PathBuf) -> Option<PathBuf> {
        self.drop_path(path);
        None
    }

    fn drop_hint(&self) -> Option<&'static str> {
        Some("Drop an archive or a folder to scan it")
    }
}

impl FindingsView {
    /// A dropped archive or folder becomes the snapshot to scan.
    pub fn drop_path(&mut self, p: PathBuf) {
        self.snapshot.text = p.display().to_string();
    }

    /// Start scanning `path` in the background.
    pub fn start(&mut self, ctx: &egui::Context, path: PathBuf) {
        if self.job.is_some() {
            return;
        }
        self.snapshot.text = path.display().to_string();
        self.error = None;
        let rules_dir = self.rules_dir.clone();
        let yara = crate::detect::yara::YaraRequest {
            sources: self.yara.clone(),
            ..Default::default()
        };
        let ioc_lists = self.ioc_lists.clone();
        self.job = Some(Job::spawn(ctx, "Scanning", move |sink, cancel| {
            run_scan(path, rules_dir, yara, &ioc_lists, sink, cancel)
        }));
    }

    fn poll_jobs(&mut self, _commands: &mut Vec<Command>) {
        if let Some(job) = self.job.as_mut()
            && let Some(r) = job.poll()
        {
            self.job = None;
            match r {
                Ok(m) => {
                    self.model = Some(Arc::new(m));
                    self.rows_job.invalidate();
                    self.rows.clear();
                    self.selected = None;
                }
                Err(e) => self.error = Some(e),
            }
        }
    }

    fn results_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        if let Some(rows) = self.rows_job.poll() {
            self.rows = rows;
        }
        if let Some(m) = &self.model {
            // A few thousand findings filter within a frame; more in the
            // background.
            let small = m.findings.len() < 20_000;
            if let Some(rows) = self
                .rows_job
                .request_small(ui.ctx(), &self.filter, small, || {
                    let m = Arc::clone(m);
                    let f = self.filter.clone();
                    move || Ok(f.findings(&m.findings))
                })
            {
                self.rows = rows;
            }
        }
        let Some(m) = &self.model else { return };
        ui.add_space(4.0);
        ui.label(
            RichText::new(format!(
                "{} — {} entries · {} findings ({}) · {} ms",
                m.info.label,
                widgets::thousands(m.info.entries),
                widgets::thousands(m.findings.len() as u64),
                severity_summary(&m.severity_counts),
                m.duration_ms
            ))
            .strong(),
        );
        for p in m.info.problems.iter().take(5) {
            ui.label(widgets::toned(ui, Tone::Warn, p));
        }
        let altered = crate::viewmodel::integrity::altered_findings(&m.findings);
        if !altered.is_empty() {
            widgets::integrity_banner_ui(
                ui,
                &crate::viewmodel::integrity::banner_title(altered.len(), "findings"),
                &altered,
            );
        }
        if let Some(y) = &m.yara {
            yara_summary_ui(ui, y);
        }
        ui.horizontal(|ui| {
            let l = ui.label("Filter findings");
            ui.add(
                egui::TextEdit::singleline(&mut self.filter.text)
                    .hint_text("part of a path")
                    .desired_width(260.0),
            )
            .labelled_by(l.id);
            min_severity_ui(ui, "scan_min_sev", &mut self.filter.min_severity, "any");
            ui.checkbox(&mut self.filter.hide_noise, "Hide info and low")
                .on_hover_text(
                    "Normal change (package files, uploads of real images) rates info or low",
                );
        });
        let shown: &[u32] = &self.rows;
        ui.label(format!(
            "Showing {} of {} findings, most severe first",
            widgets::thousands(shown.len() as u64),
            widgets::thousands(m.findings.len() as u64)
        ));
        let mut open = None;
        egui::Panel::right("scan_details")
            .resizable(true)
            .default_size(widgets::side_width(ui, 0.42, 320.0, 560.0))
            .min_size(320.0)
            .show(ui, |ui| {
                ui.set_min_width(ui.available_width());
                open = self.details_ui(ui);
            });
        let mut clicked = None;
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(m) = &self.model {
                clicked =
                    findings_list_ui(ui, "scan_findings", &m.findings, shown, self.selected, None);
            }
        });
        if let Some(fi) = clicked {
            self.selected = Some(fi);
        }
        if let Some(cmd) = open {
            vc.commands.push(cmd);
        }
    }

    fn details_ui(&self, ui: &mut Ui) -> Option<Command> {
        let m = self.model.as_ref()?;
        let Some(f) = self.selected.and_then(|i| m.findings.get(i)) else {
            widgets::hint(
                ui,
                "Click a finding to see the file and why it was flagged.",
            );
            return None;
        };
        let mut cmd = None;
        egui::ScrollArea::vertical()
            .id_salt("scan_details_scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.label(RichText::new(&f.subject.path).monospace().strong());
                if m.is_archive()
                    && ui
                        .button("Open in evidence browser")
                        .on_hover_text("Show this file's record and content in the Evidence screen")
                        .clicked()
                {
                    cmd = Some(Command::OpenArchiveAt(
                        m.path.clone(),
                        f.subject.path.clone(),
                    ));
                }
                widgets::section(ui, "File");
                match m.snapshot.get(&f.subject.path) {
                    Some(e) => entry_grid_ui(ui, "scan_entry", e, self.zone),
                    None => widgets::hint(
                        ui,
                        "Not in the snapshot (the finding names a missing file).",
                    ),
                }
                widgets::section(ui, "Findings on this file");
                for (i, g) in m
                    .findings
                    .iter()
                    .filter(|g| g.subject.path == f.subject.path)
                    .enumerate()
                {
                    if i > 0 {
                        ui.separator();
                    }
                    finding_detail_ui(ui, g);
                }
            });
        cmd
    }
}

/// The YARA pass in one line, and what it did not scan (never hidden).
fn yara_summary_ui(ui: &mut Ui, y: &crate::detect::yara::YaraSummary) {
    ui.label(format!("YARA: {}", y.line()));
    let notes = y.notes();
    if notes.is_empty() {
        return;
    }
    egui::CollapsingHeader::new(format!(
        "YARA: {} note(s) on what was not scanned",
        notes.len()
    ))
    .id_salt("scan_yara_notes")
    .show(ui, |ui| {
        for n in notes.iter().take(200) {
            ui.label(widgets::toned(ui, Tone::Warn, n));
        }
        if notes.len() > 200 {
            ui.label(format!("… and {} more", notes.len() - 200));
        }
    });
}
