//! The Findings screen: triage of one snapshot without a baseline. Pick an
//! archive or a folder, the rules and detectors run in the background (the
//! same engine as `exhibit scan`), and the findings are listed most severe
//! first. A click shows the file's recorded attributes and every finding on
//! it; for an archive, a button opens the file in the evidence browser.
//!
//! The findings list itself ([`findings_list_ui`]) is shared with the Compare
//! screen: fixed-height cards in a virtualized scroll area, so thousands of
//! findings cost no more per frame than the dozen on screen.

use crate::diff::SnapshotInfo;
use crate::diff::snapshot::{Entry, Snapshot, format_time};
use crate::findings::{self, Finding, HashSets, Rules, Severity};
use crate::gui::context::{Command, Screen, ViewCtx};
use crate::gui::jobs::{Job, PickKind, Picker};
use crate::gui::theme::{self, Tone};
use crate::gui::views::View;
use crate::gui::views::compare::model::ChangeFilter;
use crate::gui::widgets::{self, PathField};
use egui::{RichText, Ui};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Height of one finding card in the list.
const CARD_HEIGHT: f32 = 92.0;

/// The theme's severity for a finding's severity.
pub fn theme_severity(s: Severity) -> theme::Severity {
    match s {
        Severity::Info => theme::Severity::Info,
        Severity::Low => theme::Severity::Low,
        Severity::Medium => theme::Severity::Medium,
        Severity::High => theme::Severity::High,
        Severity::Critical => theme::Severity::Critical,
    }
}

/// A severity pill in its colour ("CRITICAL", "high"…).
pub fn severity_badge(ui: &mut Ui, s: Severity) -> egui::Response {
    let color = theme::severity_color(ui, theme_severity(s));
    egui::Frame::new()
        .fill(color.gamma_multiply(0.18))
        .stroke(egui::Stroke::new(1.0, color))
        .corner_radius(8.0)
        .inner_margin(egui::Margin::symmetric(6, 0))
        .show(ui, |ui| {
            ui.label(
                RichText::new(s.as_str().to_uppercase())
                    .color(color)
                    .strong()
                    .small(),
            )
        })
        .inner
}

/// Every severity, most severe first (for the filter menus).
pub const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

/// The "Minimum severity" menu. `any` is `None`.
pub fn min_severity_ui(ui: &mut Ui, id: &str, value: &mut Option<Severity>, any: &str) {
    let l = ui.label("Minimum severity");
    egui::ComboBox::from_id_salt(id)
        .selected_text(value.map_or(any, |s| s.as_str()))
        .show_ui(ui, |ui| {
            ui.selectable_value(value, None, any);
            for s in SEVERITIES {
                ui.selectable_value(value, Some(s), s.as_str());
            }
        })
        .response
        .labelled_by(l.id);
}

/// Counts per severity as `2 critical · 1 high`.
pub fn severity_summary(counts: &[(Severity, u32)]) -> String {
    if counts.is_empty() {
        return "no findings".into();
    }
    counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Findings per severity, most severe first.
pub fn count_severities(findings: &[Finding]) -> Vec<(Severity, u32)> {
    SEVERITIES
        .iter()
        .map(|s| {
            (
                *s,
                findings.iter().filter(|f| f.severity == *s).count() as u32,
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// The findings list: one fixed-height card per shown finding (severity,
/// title, path, explanation and first evidence line; the full text is on
/// hover and in the details). Returns the index of a clicked finding.
pub fn findings_list_ui(
    ui: &mut Ui,
    id: &str,
    findings: &[Finding],
    shown: &[u32],
    selected: Option<usize>,
    scroll_to: Option<usize>,
) -> Option<usize> {
    let mut clicked = None;
    if shown.is_empty() {
        widgets::hint(ui, "No findings match the filter.");
        return None;
    }
    let spacing = ui.spacing().item_spacing.y;
    let mut area = egui::ScrollArea::vertical()
        .id_salt(id)
        .auto_shrink([false, false]);
    if let Some(pos) = scroll_to.and_then(|f| shown.iter().position(|&i| i as usize == f)) {
        area = area.vertical_scroll_offset(pos as f32 * (CARD_HEIGHT + spacing));
    }
    area.show_rows(ui, CARD_HEIGHT, shown.len(), |ui, range| {
        for pos in range {
            let Some(&fi) = shown.get(pos) else { continue };
            let fi = fi as usize;
            let Some(f) = findings.get(fi) else { continue };
            if finding_card_ui(ui, f, selected == Some(fi)) {
                clicked = Some(fi);
            }
        }
    });
    clicked
}

fn finding_card_ui(ui: &mut Ui, f: &Finding, selected: bool) -> bool {
    let width = ui.available_width();
    let color = theme::severity_color(ui, theme_severity(f.severity));
    let fill = if selected {
        ui.visuals().selection.bg_fill.gamma_multiply(0.5)
    } else {
        ui.visuals().faint_bg_color
    };
    let mut clicked = false;
    let (rect, resp) = ui.allocate_exact_size(egui::vec2(width, CARD_HEIGHT), egui::Sense::click());
    if ui.is_rect_visible(rect) {
        ui.painter().rect_filled(rect, 4.0, fill);
        // The severity stripe on the left edge.
        ui.painter().rect_filled(
            egui::Rect::from_min_size(rect.min, egui::vec2(4.0, rect.height())),
            0.0,
            color,
        );
        let inner = rect.shrink2(egui::vec2(10.0, 4.0));
        let mut child = ui.new_child(
            egui::UiBuilder::new()
                .max_rect(inner)
                .layout(egui::Layout::top_down(egui::Align::Min)),
        );
        child.spacing_mut().item_spacing.y = 2.0;
        child.shrink_clip_rect(inner);
        child.horizontal(|ui| {
            severity_badge(ui, f.severity);
            if ui
                .add(egui::Link::new(RichText::new(&f.title).strong()))
                .on_hover_text(format!(
                    "{}\n(click to show the file and its changes)",
                    f.title
                ))
                .clicked()
            {
                clicked = true;
            }
        });
        child.add(
            egui::Label::new(RichText::new(&f.path).monospace())
                .truncate()
                .selectable(false),
        );
        child
            .add(
                egui::Label::new(RichText::new(&f.explanation).weak())
                    .truncate()
                    .selectable(false),
            )
            .on_hover_text(&f.explanation);
        // The most telling line: what matched, rather than the change class
        // or the hash every finding on the file repeats.
        let telling = f
            .evidence
            .iter()
            .find(|e| !e.starts_with("change: ") && !e.starts_with("sha256 "))
            .or(f.evidence.first());
        if let Some(ev) = telling {
            let more = match f.evidence.len() {
                0 | 1 => String::new(),
                n => format!("  (+{} more)", n - 1),
            };
            child
                .add(
                    egui::Label::new(RichText::new(format!("{ev}{more}")).monospace().small())
                        .truncate()
                        .selectable(false),
                )
                .on_hover_text(f.evidence.join("\n"));
        }
    }
    clicked || resp.clicked()
}

/// A finding in full: severity, title, rule, explanation and every evidence
/// line (selectable, for copying into a report).
pub fn finding_detail_ui(ui: &mut Ui, f: &Finding) {
    ui.horizontal_wrapped(|ui| {
        severity_badge(ui, f.severity);
        ui.label(RichText::new(&f.title).strong());
        ui.label(RichText::new(format!("[{}]", f.rule)).weak().small());
    });
    ui.add(egui::Label::new(&f.explanation).wrap().selectable(true));
    for e in &f.evidence {
        ui.add(
            egui::Label::new(RichText::new(format!("• {e}")).monospace())
                .wrap()
                .selectable(true),
        );
    }
}

/// The attributes of one entry as a two-column grid.
pub fn entry_grid_ui(ui: &mut Ui, id: &str, e: &Entry, zone: crate::tz::DisplayZone) {
    egui::Grid::new(id)
        .num_columns(2)
        .spacing([16.0, 3.0])
        .show(ui, |ui| {
            let mut row = |k: &str, v: String| {
                ui.label(RichText::new(k).weak());
                ui.add(egui::Label::new(RichText::new(v).monospace()).selectable(true));
                ui.end_row();
            };
            row("Type", format!("{:?}", e.kind).to_lowercase());
            row(
                "Size",
                format!("{} ({} bytes)", widgets::human_bytes(e.size), e.size),
            );
            row("Mode", format!("{:04o}", e.mode));
            row("Owner", format!("uid {} gid {}", e.uid, e.gid));
            let time = |t: Option<crate::diff::snapshot::TimeNs>| {
                t.map(|t| zone.format_stored(&format_time(t), crate::tz::Precision::Full))
                    .unwrap_or_else(|| "—".into())
            };
            row("Modified", time(e.mtime_ns));
            row("Changed", time(e.ctime_ns));
            row("Inode", e.inode.to_string());
            row("SHA-256", e.sha256_hex().unwrap_or_else(|| "—".into()));
            if let Some(t) = &e.link_target {
                row("Link target", t.clone());
            }
            if let Some(c) = &e.capabilities {
                row("Capabilities", c.clone());
            }
            let status = match &e.reason {
                Some(r) => format!("{} ({r})", e.status.as_str()),
                None => e.status.as_str().to_string(),
            };
            row("Status", status);
        });
}

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
}

impl ScanModel {
    /// True when the snapshot is an archive (it can open in the browser).
    pub fn is_archive(&self) -> bool {
        self.info.kind == crate::diff::snapshot::SnapshotKind::Archive
    }
}

/// Run the rules and detectors on one snapshot (what `findings::scan` does),
/// keeping the snapshot open for the details pane.
pub fn run_scan(
    path: PathBuf,
    sink: &dyn crate::job::ProgressSink,
    cancel: &crate::job::CancelToken,
) -> anyhow::Result<ScanModel> {
    let t0 = Instant::now();
    let rules = Rules::load(None)?;
    let snap = Snapshot::open(&path, sink, cancel)?;
    if cancel.is_cancelled() {
        anyhow::bail!("cancelled");
    }
    sink.update(&crate::job::Progress {
        phase: "judging",
        files_total: Some(snap.entries.len() as u64),
        ..Default::default()
    });
    let findings = findings::on_snapshot(&snap, &rules, &HashSets::default());
    Ok(ScanModel {
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
    folder: Picker,
    job: Option<Job<ScanModel>>,
    pub model: Option<ScanModel>,
    pub error: Option<String>,
    /// Severity, path text and noise (classes and folders do not apply).
    pub filter: ChangeFilter,
    shown: Option<(ChangeFilter, Vec<u32>)>,
    /// Index into the model's findings.
    pub selected: Option<usize>,
}

impl View for FindingsView {
    fn screen(&self) -> Screen {
        Screen::Findings
    }

    fn title(&self) -> &'static str {
        "Findings"
    }

    fn ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        self.zone = vc.zone;
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
                    if a.verification == crate::gui::custody_log::VerificationState::Incomplete {
                        continue;
                    }
                    if ui.link(a.file_name()).clicked() {
                        self.snapshot.text = a.path.display().to_string();
                    }
                }
            });
        }
        if let Some(job) = &self.job {
            widgets::cancellable_job_ui(ui, job);
            return;
        }
        if ui
            .add(
                egui::Button::new(RichText::new("Scan for findings").size(16.0).strong())
                    .min_size(egui::vec2(120.0, 30.0)),
            )
            .clicked()
        {
            match self.snapshot.path() {
                Some(p) => self.start(ui.ctx(), p),
                None => self.error = Some("type or choose an archive or a folder to scan".into()),
            }
        }
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
        self.job.iter().map(|j| j.title.clone()).collect()
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
        self.job = Some(Job::spawn(ctx, "Scanning", move |sink, cancel| {
            run_scan(path, sink, cancel)
        }));
    }

    fn poll_jobs(&mut self, _commands: &mut Vec<Command>) {
        if let Some(job) = self.job.as_mut()
            && let Some(r) = job.poll()
        {
            self.job = None;
            match r {
                Ok(m) => {
                    self.model = Some(m);
                    self.shown = None;
                    self.selected = None;
                }
                Err(e) => self.error = Some(e),
            }
        }
    }

    fn results_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
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
        if self.shown.as_ref().is_none_or(|(f, _)| *f != self.filter) {
            let rows = self.filter.findings(&m.findings);
            self.shown = Some((self.filter.clone(), rows));
        }
        let shown: &[u32] = self.shown.as_ref().map_or(&[], |(_, r)| r.as_slice());
        ui.label(format!(
            "Showing {} of {} findings, most severe first",
            widgets::thousands(shown.len() as u64),
            widgets::thousands(m.findings.len() as u64)
        ));
        let mut open = None;
        egui::Panel::right("scan_details")
            .resizable(true)
            .default_size(560.0)
            .min_size(360.0)
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
                ui.label(RichText::new(&f.path).monospace().strong());
                if m.is_archive()
                    && ui
                        .button("Open in evidence browser")
                        .on_hover_text("Show this file's record and content in the Evidence screen")
                        .clicked()
                {
                    cmd = Some(Command::OpenArchiveAt(m.path.clone(), f.path.clone()));
                }
                widgets::section(ui, "File");
                match m.snapshot.get(&f.path) {
                    Some(e) => entry_grid_ui(ui, "scan_entry", e, self.zone),
                    None => widgets::hint(
                        ui,
                        "Not in the snapshot (the finding names a missing file).",
                    ),
                }
                widgets::section(ui, "Findings on this file");
                for (i, g) in m.findings.iter().filter(|g| g.path == f.path).enumerate() {
                    if i > 0 {
                        ui.separator();
                    }
                    finding_detail_ui(ui, g);
                }
            });
        cmd
    }
}
