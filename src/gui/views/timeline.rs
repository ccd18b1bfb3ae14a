//! The Timeline screen: one virtualized table merging file MACB times from
//! evidence archives, log events, log findings and custody events (built by
//! [`crate::timeline::build`] in a background job), a histogram of events
//! over time (egui_plot) where clicking a bar or dragging a range zooms the
//! table, filters by origin, kind, severity, text, star and tag, stars and
//! tags saved with the case (`timeline-marks.json` beside `case.json`), jumps
//! from a finding to its events on the Logs screen and from an event to its
//! file in the evidence browser, and exports of the visible events to
//! Timesketch JSONL or CSV.
//!
//! Like the Logs screen, the table shows a cached list of event indices and
//! histogram counts, recomputed in a background job only when the filter,
//! the zoom or the marks change; a frame only draws the visible rows.

pub use crate::viewmodel::timeline as model;

use crate::detect::Severity;
use crate::gui::context::{Command, Screen, View, ViewCtx};
use crate::gui::derived::Derived;
use crate::gui::jobs::Job;
use crate::gui::theme::{self, Tone};
use crate::gui::widgets;
use crate::gui::widgets::{SOURCES_DROP_HINT, SourceList};
use crate::timeline::{self, ExportFormat, Origin, TimelineRequest};
use crate::tz::DisplayZone;
use crate::viewmodel::format::fmt_time;
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use std::path::PathBuf;
use std::sync::Arc;

pub use model::{
    Built, Filtered, Histogram, MARKS_FILE, Mark, Marks, TlFilter, bucket_for, event_id,
    filter_timeline, load_marks, save_marks,
};

/// State of the Timeline screen.
pub struct TimelineView {
    pub sources: SourceList,
    /// Frames left to keep the selected row in view (the detail panel
    /// opening below shrinks the table under it).
    reveal_selected: u8,
    /// The examiner's rules directory (from the settings), if any.
    rules_dir: Option<PathBuf>,
    build: Option<Job<Built>>,
    /// A zoom asked for before the timeline was built (another screen's
    /// "show on the timeline").
    pending_zoom: Option<(i64, i64)>,
    pub built: Option<Built>,
    pub error: Option<String>,
    pub filter: TlFilter,
    /// The rows and histogram of `filter`, recomputed in the background.
    rows_job: Derived<TlFilter, Filtered>,
    /// Timeline event indices shown, in time order.
    pub rows: Vec<u32>,
    pub histogram: Histogram,
    pub selected: Option<u32>,
    pub marks: Marks,
    /// The case folder the marks belong to.
    marks_dir: Option<PathBuf>,
    marks_job: Option<Job<(PathBuf, Marks)>>,
    save_job: Option<Job<()>>,
    save_again: bool,
    pub new_tag: String,
    /// The note being edited, and the event id it belongs to.
    pub note_text: String,
    note_for: Option<String>,
    drag_from_s: Option<f64>,
    pub export_path: String,
    pub export_format: ExportFormat,
    export_job: Option<Job<(usize, PathBuf)>>,
    pub export_result: Option<Result<String, String>>,
    /// Where the histogram was drawn last frame (screen ↔ plot), so tests
    /// can point at a bar like a user.
    pub histogram_transform: Option<egui_plot::PlotTransform>,
    /// The case's display zone.
    pub zone: DisplayZone,
}

impl Default for TimelineView {
    fn default() -> Self {
        Self {
            rules_dir: None,
            sources: SourceList::default(),
            reveal_selected: 0,
            build: None,
            pending_zoom: None,
            built: None,
            error: None,
            filter: TlFilter::default(),
            rows_job: Derived::new("Filtering timeline"),
            rows: Vec::new(),
            histogram: Histogram::default(),
            selected: None,
            marks: Marks::default(),
            marks_dir: None,
            marks_job: None,
            save_job: None,
            save_again: false,
            new_tag: String::new(),
            note_text: String::new(),
            note_for: None,
            drag_from_s: None,
            export_path: String::new(),
            export_format: ExportFormat::Jsonl,
            export_job: None,
            export_result: None,
            histogram_transform: None,
            zone: DisplayZone::Utc,
        }
    }
}

impl View for TimelineView {
    fn screen(&self) -> Screen {
        Screen::TIMELINE
    }

    fn title(&self) -> &'static str {
        "Timeline"
    }

    /// Draw the screen. The Logs screen's sources (from the shared state)
    /// are offered as a shortcut.
    fn ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        let ctx = ui.ctx().clone();
        self.zone = vc.zone;
        self.rules_dir = vc.settings.rules_dir();
        self.follow_case(&ctx, vc);
        ui.label(RichText::new("Timeline").heading());
        self.sources.ui(ui, vc, "timeline source");
        ui.horizontal(|ui| {
            let can = !self.sources.paths.is_empty() && self.build.is_none();
            if ui
                .add_enabled(
                    can,
                    egui::Button::new(RichText::new("Build timeline").strong()),
                )
                .on_hover_text("Merge file times, log events, findings and custody events")
                .clicked()
            {
                self.start_build(&ctx);
            }
            let logs_sources = &vc.shared.log_sources;
            if !logs_sources.is_empty()
                && logs_sources != &self.sources.paths
                && ui.button("Use the Logs screen's sources").clicked()
            {
                self.sources.paths = logs_sources.clone();
            }
            if let Some(b) = &self.built {
                ui.label(format!(
                    "{} events",
                    widgets::thousands(b.timeline.events.len() as u64)
                ));
                if !b.timeline.notes.is_empty() {
                    ui.label(widgets::toned(
                        ui,
                        Tone::Warn,
                        format!("{} note(s)", b.timeline.notes.len()),
                    ))
                    .on_hover_text(
                        b.timeline
                            .notes
                            .iter()
                            .take(30)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join("\n"),
                    );
                }
            }
            if vc.case.is_none() {
                widgets::hint(ui, "Open a case to keep stars and tags.");
            }
        });
        if let Some(job) = &self.build {
            widgets::cancellable_job_ui(ui, job);
            return;
        }
        if let Some(e) = &self.error {
            widgets::message_box(ui, Tone::Bad, "Cannot build the timeline", e);
        }
        if self.built.is_none() {
            widgets::hint(
                ui,
                "Add evidence archives, log folders or files, then Build timeline.",
            );
            return;
        }
        self.refresh_rows(&ctx);
        if let Some(b) = &self.built
            && !b.timeline.altered.is_empty()
        {
            widgets::integrity_banner_ui(
                ui,
                &crate::viewmodel::integrity::banner_title(b.timeline.altered.len(), "events"),
                &b.timeline.altered,
            );
        }
        self.histogram_ui(ui);
        self.filter_bar_ui(ui);
        if self.selected.is_some() {
            // A share of what is left, scrolling inside, so on a laptop
            // screen the detail never covers the table.
            let room = ui.available_height();
            egui::Panel::bottom("timeline_event_detail")
                .resizable(true)
                .default_size((room * 0.55).clamp(120.0, 190.0))
                .max_size((room - 80.0).max(120.0))
                .show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .id_salt("timeline_event_detail_scroll")
                        .auto_shrink([false, false])
                        .show(ui, |ui| self.detail_ui(ui, vc));
                });
        }
        // A child with exactly the space left, so the table's column lines
        // stop above the detail panel.
        let rest = ui.available_rect_before_wrap();
        ui.scope_builder(egui::UiBuilder::new().max_rect(rest), |ui| {
            self.table_ui(ui)
        });
    }

    fn logic(&mut self, _ctx: &egui::Context, vc: &mut ViewCtx<'_>) {
        self.sources.poll();
        self.poll_jobs(vc.commands);
    }

    /// Titles of running jobs, for the status bar.
    fn command(
        &mut self,
        ctx: &egui::Context,
        command: Command,
        _settings: &crate::gui::context::Settings,
    ) -> Option<Command> {
        match command {
            Command::ShowOnTimeline { sources, time_us } => {
                self.show_around(ctx, sources, time_us);
                None
            }
            other => Some(other),
        }
    }

    fn busy(&self) -> Vec<String> {
        let mut v = Vec::new();
        for (j, t) in [
            (self.build.is_some(), "Building timeline"),
            (self.rows_job.is_running(), "Filtering timeline"),
            (self.export_job.is_some(), "Exporting timeline"),
            (self.save_job.is_some(), "Saving marks"),
        ] {
            if j {
                v.push(t.to_string());
            }
        }
        v
    }

    fn on_dropped_file(&mut self, path: PathBuf) -> Option<PathBuf> {
        self.sources.add(path);
        None
    }

    fn drop_hint(&self) -> Option<&'static str> {
        Some(SOURCES_DROP_HINT)
    }

    fn archives_in_use(&self) -> Vec<PathBuf> {
        self.built
            .as_ref()
            .map(|b| b.sources.clone())
            .unwrap_or_default()
    }
}

impl TimelineView {
    /// True while the timeline is being built.
    pub fn building(&self) -> bool {
        self.build.is_some()
    }

    /// Show an already built timeline (tests and benchmarks use this).
    pub fn set_built(&mut self, b: Built) {
        self.built = Some(b);
        self.rows_job.invalidate();
        self.rows.clear();
        self.selected = None;
        self.filter.range = None;
    }

    /// Build the timeline of the current sources in the background.
    pub fn start_build(&mut self, ctx: &egui::Context) {
        if let Some(j) = &self.build {
            j.cancel();
        }
        let sources = self.sources.paths.clone();
        let rules_dir = self.rules_dir.clone();
        self.error = None;
        self.built = None;
        self.rows.clear();
        self.rows_job.invalidate();
        self.selected = None;
        self.filter.range = None;
        self.build = Some(Job::spawn(ctx, "Building timeline", move |sink, cancel| {
            let tl = timeline::build(
                &TimelineRequest {
                    sources: sources.clone(),
                    rules_dir: rules_dir.clone(),
                    ..Default::default()
                },
                sink,
                cancel,
            )?;
            Ok(Built::new(sources, tl))
        }));
    }

    /// Show the timeline of `sources` around `time_us` (ten minutes either
    /// side), building it first when it is not the one shown.
    pub fn show_around(&mut self, ctx: &egui::Context, sources: Vec<PathBuf>, time_us: i64) {
        const SPAN_US: i64 = 600 * 1_000_000;
        let range = (
            time_us.saturating_sub(SPAN_US),
            time_us.saturating_add(SPAN_US),
        );
        if self.built.as_ref().is_some_and(|b| b.sources == sources) {
            self.zoom_to(range.0, range.1);
            return;
        }
        self.sources.paths = sources;
        self.start_build(ctx);
        self.pending_zoom = Some(range);
    }

    /// Zoom the table and histogram to `[from_us, to_us]`.
    pub fn zoom_to(&mut self, from_us: i64, to_us: i64) {
        let (a, b) = (from_us.min(to_us), from_us.max(to_us));
        self.filter.range = Some((a, b));
    }

    /// What a click on the histogram at `x_s` (seconds since the epoch)
    /// does: zoom to the bar under it. Returns whether it zoomed.
    pub fn click_histogram_at(&mut self, x_s: f64) -> bool {
        let t = (x_s * 1e6) as i64;
        match self.histogram.bucket_at(t) {
            Some((a, b)) => {
                self.zoom_to(a, b);
                true
            }
            None => false,
        }
    }

    /// Show the whole timeline again.
    pub fn reset_zoom(&mut self) {
        self.filter.range = None;
    }

    /// Toggle the star of a timeline event and save the marks.
    pub fn toggle_star(&mut self, ctx: &egui::Context, i: u32) {
        let Some(b) = &self.built else { return };
        let Some(e) = b.timeline.events.get(i as usize) else {
            return;
        };
        let m = self.marks.entry(e);
        m.starred = !m.starred;
        self.marks_changed(ctx);
    }

    /// Add a tag to a timeline event and save the marks.
    pub fn add_tag(&mut self, ctx: &egui::Context, i: u32, tag: &str) {
        let tag = tag.trim();
        let Some(b) = &self.built else { return };
        let Some(e) = b.timeline.events.get(i as usize) else {
            return;
        };
        if tag.is_empty() {
            return;
        }
        let m = self.marks.entry(e);
        if !m.tags.iter().any(|t| t == tag) {
            m.tags.push(tag.to_string());
            m.tags.sort();
        }
        self.marks_changed(ctx);
    }

    /// Set the note of a timeline event and save the marks.
    pub fn set_note(&mut self, ctx: &egui::Context, i: u32, note: &str) {
        let Some(b) = &self.built else { return };
        let Some(e) = b.timeline.events.get(i as usize) else {
            return;
        };
        self.marks.entry(e).note = note.trim().to_string();
        self.marks_changed(ctx);
    }

    fn remove_tag(&mut self, ctx: &egui::Context, i: u32, tag: &str) {
        let Some(b) = &self.built else { return };
        let Some(e) = b.timeline.events.get(i as usize) else {
            return;
        };
        self.marks.entry(e).tags.retain(|t| t != tag);
        self.marks_changed(ctx);
    }

    fn marks_changed(&mut self, ctx: &egui::Context) {
        self.marks.tidy();
        self.filter.marks_gen += 1;
        self.save_marks(ctx);
    }

    fn save_marks(&mut self, ctx: &egui::Context) {
        let Some(dir) = self.marks_dir.clone() else {
            return;
        };
        if self.save_job.is_some() {
            self.save_again = true;
            return;
        }
        let marks = self.marks.clone();
        self.save_job = Some(Job::spawn(ctx, "Saving marks", move |_, _| {
            save_marks(&dir, &marks)
        }));
    }

    /// Follow the open case: load its marks when it changes.
    fn follow_case(&mut self, ctx: &egui::Context, vc: &ViewCtx<'_>) {
        let dir = vc.case.map(|c| c.dir.clone());
        if dir == self.marks_dir {
            return;
        }
        if let Some(j) = &self.marks_job {
            j.cancel();
        }
        self.marks_dir = dir.clone();
        self.marks = Marks::default();
        self.filter.marks_gen += 1;
        self.marks_job = dir.map(|d| {
            Job::spawn(ctx, "Reading marks", move |_, _| {
                let m = load_marks(&d)?;
                Ok((d, m))
            })
        });
    }

    /// Drain the jobs (once per frame).
    fn poll_jobs(&mut self, commands: &mut Vec<Command>) {
        if let Some(job) = self.build.as_mut()
            && let Some(r) = job.poll()
        {
            self.build = None;
            match r {
                Ok(b) => {
                    self.set_built(b);
                    if let Some((from, to)) = self.pending_zoom.take() {
                        self.zoom_to(from, to);
                    }
                }
                Err(e) => self.error = Some(e),
            }
        }
        if let Some(x) = self.rows_job.poll() {
            self.rows = x.rows;
            self.histogram = x.histogram;
        }
        if let Some(job) = self.marks_job.as_mut()
            && let Some(r) = job.poll()
        {
            self.marks_job = None;
            match r {
                Ok((d, m)) => {
                    if Some(&d) == self.marks_dir.as_ref() {
                        // Marks set before the file arrived are kept too.
                        let mut merged = m;
                        for (k, v) in std::mem::take(&mut self.marks.events) {
                            merged.events.insert(k, v);
                        }
                        self.marks = merged;
                        self.filter.marks_gen += 1;
                    }
                }
                Err(e) => commands.push(Command::Error(e)),
            }
        }
        if let Some(job) = self.save_job.as_mut()
            && let Some(r) = job.poll()
        {
            self.save_job = None;
            if let Err(e) = r {
                commands.push(Command::Error(e));
            }
        }
        if let Some(job) = self.export_job.as_mut()
            && let Some(r) = job.poll()
        {
            self.export_job = None;
            self.export_result =
                Some(r.map(|(n, p)| format!("Exported {n} event(s) to {}", p.display())));
        }
    }

    fn refresh_rows(&mut self, ctx: &egui::Context) {
        if self.save_again && self.save_job.is_none() {
            self.save_again = false;
            self.save_marks(ctx);
        }
        let Some(b) = &self.built else { return };
        let marks = &self.marks;
        self.rows_job.request(ctx, &self.filter, || {
            let tl = Arc::clone(&b.timeline);
            let ids = Arc::clone(&b.ids);
            let f = self.filter.clone();
            let marks = marks.clone();
            move || Ok(filter_timeline(&tl, &ids, &f, &marks))
        });
    }

    fn start_export(&mut self, ctx: &egui::Context) {
        let Some(b) = &self.built else { return };
        let path = PathBuf::from(self.export_path.trim());
        if path.as_os_str().is_empty() {
            self.export_result = Some(Err("type the file to export to first".into()));
            return;
        }
        let tl = Arc::clone(&b.timeline);
        let rows = self.rows.clone();
        let format = self.export_format;
        let marks = self.marks.clone();
        self.export_result = None;
        self.export_job = Some(Job::spawn(ctx, "Exporting timeline", move |_, _| {
            let n = model::export(&tl, &rows, format, &marks, &path)?;
            Ok((n, path))
        }));
    }

    fn histogram_ui(&mut self, ui: &mut Ui) {
        let zone = self.zone;
        // Shorter on a laptop screen, so the table keeps its rows.
        let plot_height = (ui.available_height() * 0.25).clamp(72.0, 150.0);
        let h = self.histogram.clone();
        let span_s = h.bucket_us as f64 / 1e6;
        let bar_color = theme::tone_color(ui, Tone::Info);
        let bars: Vec<egui_plot::Bar> = h
            .counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, &c)| {
                let start = (h.from_us + i as i64 * h.bucket_us) as f64 / 1e6;
                egui_plot::Bar::new(start + span_s / 2.0, c as f64)
                    .width(span_s * 0.9)
                    .fill(bar_color)
            })
            .collect();
        let x0 = h.from_us as f64 / 1e6;
        let x1 = x0 + span_s * h.counts.len().max(1) as f64;
        let y1 = h.counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
        let drag_from = self.drag_from_s;
        let range = x1 - x0;
        let resp = egui_plot::Plot::new("timeline_histogram")
            .height(plot_height)
            .allow_zoom(false)
            .allow_drag(false)
            .allow_scroll(false)
            .allow_boxed_zoom(false)
            .allow_double_click_reset(false)
            .show_y(false)
            .y_axis_min_width(40.0)
            .x_axis_formatter(move |m, _| axis_label(m.value, range, zone))
            .label_formatter(|p| {
                let pos = match p {
                    egui_plot::HoverPosition::NearDataPoint { position, .. }
                    | egui_plot::HoverPosition::Elsewhere { position } => position,
                };
                Some(fmt_time((pos.x * 1e6) as i64, zone))
            })
            .show(ui, |pui| {
                pui.set_plot_bounds_x(x0..=x1);
                pui.set_plot_bounds_y(0.0..=y1);
                pui.bar_chart(egui_plot::BarChart::new("events", bars).element_formatter(
                    Box::new(move |b, _| {
                        let start = ((b.argument - span_s / 2.0) * 1e6) as i64;
                        format!("{} event(s) from {}", b.value, fmt_time(start, zone))
                    }),
                ));
                if let (Some(a), Some(p)) = (drag_from, pui.pointer_coordinate()) {
                    pui.span(
                        egui_plot::Span::new("zoom", a.min(p.x)..=a.max(p.x))
                            .fill(bar_color.gamma_multiply(0.25)),
                    );
                }
                pui.pointer_coordinate()
            });
        let pointer = resp.inner;
        self.histogram_transform = Some(resp.transform);
        let r = &resp.response;
        if r.drag_started() {
            self.drag_from_s = pointer.map(|p| p.x);
        }
        if r.drag_stopped() {
            if let (Some(a), Some(p)) = (self.drag_from_s.take(), pointer) {
                let (lo, hi) = (a.min(p.x), a.max(p.x));
                // A drag narrower than a few pixels is a click.
                if (hi - lo) > range / 200.0 {
                    self.zoom_to((lo * 1e6) as i64, (hi * 1e6) as i64);
                } else {
                    self.click_histogram_at(p.x);
                }
            }
        } else if r.clicked()
            && let Some(p) = pointer
        {
            self.click_histogram_at(p.x);
        }
    }

    fn filter_bar_ui(&mut self, ui: &mut Ui) {
        let Some(b) = &self.built else { return };
        let kinds = b.kinds.clone();
        let (lo, hi) = match (self.filter.range, b.span) {
            (Some(r), _) => r,
            (None, Some(s)) => s,
            _ => (0, 0),
        };
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!(
                "Showing {} to {} · {} event(s) · {} per bar",
                fmt_time(lo, self.zone),
                fmt_time(hi, self.zone),
                widgets::thousands(self.rows.len() as u64),
                widgets::human_duration(std::time::Duration::from_micros(
                    self.histogram.bucket_us.max(0) as u64
                )),
            )));
            if self.filter.range.is_some() && ui.button("Reset zoom").clicked() {
                self.reset_zoom();
            }
            widgets::hint(
                ui,
                "Click a bar to zoom to it; drag across bars for a range.",
            );
            if self.rows_job.is_running() {
                ui.spinner();
            }
        });
        let ctx = ui.ctx().clone();
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("Search timeline");
            ui.add(
                egui::TextEdit::singleline(&mut self.filter.text)
                    .hint_text("message or path")
                    .desired_width(180.0),
            )
            .labelled_by(l.id);
            let l = ui.label("Origin");
            let r = egui::ComboBox::from_id_salt("tl_origin")
                .selected_text(self.filter.origin.map_or("all origins", |o| o.as_str()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.origin, None, "all origins");
                    for o in [Origin::File, Origin::Log, Origin::Finding, Origin::Custody] {
                        ui.selectable_value(&mut self.filter.origin, Some(o), o.as_str());
                    }
                });
            r.response.labelled_by(l.id);
            let l = ui.label("Kind");
            let r = egui::ComboBox::from_id_salt("tl_kind")
                .selected_text(
                    self.filter
                        .kind
                        .clone()
                        .unwrap_or_else(|| "all kinds".into()),
                )
                .width(150.0)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.kind, None, "all kinds");
                    for k in kinds {
                        ui.selectable_value(&mut self.filter.kind, Some(k.clone()), k);
                    }
                });
            r.response.labelled_by(l.id);
            let l = ui.label("Severity");
            let r = egui::ComboBox::from_id_salt("tl_severity")
                .selected_text(
                    self.filter
                        .min_severity
                        .map_or("any severity".to_string(), |s| {
                            format!("findings >= {}", s.as_str())
                        }),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.min_severity, None, "any severity");
                    for s in [
                        Severity::Low,
                        Severity::Medium,
                        Severity::High,
                        Severity::Critical,
                    ] {
                        ui.selectable_value(
                            &mut self.filter.min_severity,
                            Some(s),
                            format!("findings >= {}", s.as_str()),
                        );
                    }
                });
            r.response.labelled_by(l.id);
            ui.checkbox(
                &mut self.filter.starred_only,
                format!("Starred only ({})", self.marks.starred()),
            );
            let tags = self.marks.tags();
            if !tags.is_empty() {
                let l = ui.label("Tag");
                let r = egui::ComboBox::from_id_salt("tl_tag")
                    .selected_text(self.filter.tag.clone().unwrap_or_else(|| "any tag".into()))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.filter.tag, None, "any tag");
                        for t in tags {
                            ui.selectable_value(&mut self.filter.tag, Some(t.clone()), t);
                        }
                    });
                r.response.labelled_by(l.id);
            }
            ui.separator();
            let l = ui.label("Export as");
            let r = egui::ComboBox::from_id_salt("tl_export")
                .selected_text(match self.export_format {
                    ExportFormat::Csv => "Timesketch CSV",
                    _ => "Timesketch JSONL",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(
                        &mut self.export_format,
                        ExportFormat::Jsonl,
                        "Timesketch JSONL",
                    );
                    ui.selectable_value(
                        &mut self.export_format,
                        ExportFormat::Csv,
                        "Timesketch CSV",
                    );
                });
            r.response.labelled_by(l.id);
            let l = ui.label("Export file");
            ui.add(
                egui::TextEdit::singleline(&mut self.export_path)
                    .hint_text("/path/timeline.jsonl")
                    .desired_width(200.0),
            )
            .labelled_by(l.id);
            if ui
                .add_enabled(
                    self.export_job.is_none(),
                    egui::Button::new("Export visible events"),
                )
                .clicked()
            {
                self.start_export(&ctx);
            }
        });
        match &self.export_result {
            Some(Ok(m)) => {
                ui.label(widgets::toned(ui, Tone::Good, m));
            }
            Some(Err(e)) => {
                ui.label(widgets::toned(ui, Tone::Bad, e));
            }
            None => {}
        }
    }

    fn table_ui(&mut self, ui: &mut Ui) {
        let zone = self.zone;
        let Some(b) = &self.built else { return };
        let tl = Arc::clone(&b.timeline);
        let ids = Arc::clone(&b.ids);
        let reveal = if self.reveal_selected > 0 {
            self.reveal_selected -= 1;
            self.selected
                .and_then(|s| self.rows.iter().position(|&r| r == s))
        } else {
            None
        };
        let rows = &self.rows;
        let marks = &self.marks;
        let selected = self.selected;
        let mut clicked = None;
        let mut star = None;
        let cell = |ui: &mut Ui, s: &str| {
            ui.add(egui::Label::new(s).truncate().selectable(false));
        };
        let mut table = TableBuilder::new(ui);
        if let Some(pos) = reveal {
            table = table.scroll_to_row(pos, Some(egui::Align::Center));
        }
        table
            .id_salt("timeline_table")
            .min_scrolled_height(0.0)
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .column(Column::exact(36.0))
            .column(Column::initial(if zone.is_utc() { 166.0 } else { 186.0 }).clip(true))
            .column(Column::initial(60.0).clip(true))
            .column(Column::initial(150.0).clip(true))
            .column(Column::initial(200.0).clip(true))
            .column(Column::initial(90.0).clip(true))
            .column(Column::remainder().at_least(160.0).clip(true))
            .header(22.0, |mut h| {
                let time_header = format!("Time ({})", zone.name());
                for t in [
                    "Star",
                    time_header.as_str(),
                    "Origin",
                    "What",
                    "Where",
                    "Tags",
                    "Message",
                ] {
                    h.col(|ui| {
                        ui.strong(t);
                    });
                }
            })
            .body(|body| {
                body.rows(20.0, rows.len(), |mut row| {
                    let Some(&i) = rows.get(row.index()) else {
                        return;
                    };
                    let (Some(e), Some(id)) = (tl.events.get(i as usize), ids.get(i as usize))
                    else {
                        return;
                    };
                    let mark = marks.events.get(id);
                    let starred = mark.is_some_and(|m| m.starred);
                    row.set_selected(selected == Some(i));
                    row.col(|ui| {
                        let r = widgets::star_toggle(ui, starred).on_hover_text(if starred {
                            "Unstar"
                        } else {
                            "Star"
                        });
                        if r.clicked() {
                            star = Some(i);
                        }
                    });
                    row.col(|ui| cell(ui, &fmt_time(e.time_us, zone)));
                    row.col(|ui| cell(ui, e.origin.as_str()));
                    row.col(|ui| {
                        let what = if e.origin == Origin::Log {
                            e.kind.clone()
                        } else {
                            format!("{} · {}", e.timestamp_desc, e.kind)
                        };
                        match e.severity {
                            Some(s) => {
                                let c = theme::severity_color(ui, s);
                                ui.add(
                                    egui::Label::new(RichText::new(what).color(c))
                                        .truncate()
                                        .selectable(false),
                                );
                            }
                            None => cell(ui, &what),
                        }
                    });
                    row.col(|ui| {
                        let loc = match e.line {
                            Some(l) => format!("{}:{l}", e.path),
                            None => e.path.clone(),
                        };
                        let name = e.path.rsplit('/').next().unwrap_or(&e.path);
                        let short = match e.line {
                            Some(l) => format!("{name}:{l}"),
                            None => name.to_string(),
                        };
                        if e.from_altered() {
                            let short =
                                format!("{} {short}", crate::viewmodel::integrity::ROW_MARK);
                            ui.add(
                                egui::Label::new(widgets::toned(ui, Tone::Bad, short))
                                    .truncate()
                                    .selectable(false),
                            )
                            .on_hover_text(format!(
                                "{}: {loc}",
                                crate::viewmodel::integrity::MISMATCH_TEXT
                            ));
                        } else {
                            ui.add(egui::Label::new(short).truncate().selectable(false))
                                .on_hover_text(&loc);
                        }
                    });
                    row.col(|ui| cell(ui, &mark.map(|m| m.tags.join(", ")).unwrap_or_default()));
                    row.col(|ui| {
                        let r = ui.add(
                            egui::Label::new(RichText::new(&e.message).monospace())
                                .truncate()
                                .selectable(false)
                                .sense(egui::Sense::click()),
                        );
                        if r.clicked() {
                            clicked = Some(i);
                        }
                    });
                    if row.response().clicked() {
                        clicked = Some(i);
                    }
                });
            });
        if let Some(i) = star {
            self.toggle_star(ui.ctx(), i);
        } else if let Some(i) = clicked {
            self.selected = Some(i);
            self.reveal_selected = 4;
        }
    }

    fn detail_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        let Some(b) = &self.built else { return };
        let Some(i) = self.selected else { return };
        let tl = Arc::clone(&b.timeline);
        let sources = b.sources.clone();
        let Some(e) = tl.events.get(i as usize) else {
            return;
        };
        let id = b.ids.get(i as usize).cloned().unwrap_or_default();
        let mark = self.marks.events.get(&id).cloned().unwrap_or_default();
        let ctx = ui.ctx().clone();
        let mut remove_tag = None;
        ui.horizontal_wrapped(|ui| {
            let star = if mark.starred {
                "Unstar event"
            } else {
                "Star event"
            };
            if ui.button(star).clicked() {
                self.toggle_star(&ctx, i);
            }
            let l = ui.label("New tag");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.new_tag)
                        .hint_text("exfiltration, initial access…")
                        .desired_width(160.0),
                )
                .labelled_by(l.id);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Add tag").clicked() || enter {
                let t = std::mem::take(&mut self.new_tag);
                self.add_tag(&ctx, i, &t);
            }
            for t in &mark.tags {
                if ui
                    .small_button(format!("{t} (remove)"))
                    .on_hover_text(format!("Remove tag {t}"))
                    .clicked()
                {
                    remove_tag = Some(t.clone());
                }
            }
            ui.separator();
            if let Some(a) = &e.archive
                && ui
                    .button("Open in the evidence browser")
                    .on_hover_text("Open the archive and select this file")
                    .clicked()
            {
                vc.commands.push(Command::OpenArchiveLine {
                    archive: a.clone(),
                    path: e.path.clone(),
                    line: e.line,
                });
            }
            if e.origin == Origin::Finding
                && ui
                    .button("Show the finding's events")
                    .on_hover_text(
                        "Open this finding on the Logs screen, with the evidence lines behind it",
                    )
                    .clicked()
            {
                let title = e
                    .message
                    .split_once("] ")
                    .map_or(e.message.clone(), |(_, t)| t.to_string());
                vc.commands.push(Command::ShowFinding {
                    sources,
                    rule: e.kind.clone(),
                    title,
                    first_us: Some(e.time_us),
                });
                vc.commands.push(Command::Go(Screen::LOGS));
            }
        });
        if let Some(t) = remove_tag {
            self.remove_tag(&ctx, i, &t);
        }
        if self.note_for.as_deref() != Some(id.as_str()) {
            self.note_for = Some(id.clone());
            self.note_text = mark.note.clone();
        }
        ui.horizontal(|ui| {
            let l = ui.label("Event note");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.note_text)
                        .hint_text("what this event means for the case")
                        .desired_width(360.0),
                )
                .labelled_by(l.id);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let changed = self.note_text.trim() != mark.note;
            if ui
                .add_enabled(changed, egui::Button::new("Save note"))
                .on_hover_text("Kept with the case; exported as exhibit_note for Timesketch")
                .clicked()
                || (enter && changed)
            {
                let t = self.note_text.clone();
                self.set_note(&ctx, i, &t);
            }
        });
        egui::ScrollArea::vertical()
            .id_salt("timeline_detail_scroll")
            .show(ui, |ui| {
                let loc = match (&e.archive, e.line) {
                    (Some(a), Some(l)) => format!("{}:{}:{l}", a.display(), e.path),
                    (Some(a), None) => format!("{}:{}", a.display(), e.path),
                    (None, Some(l)) => format!("{}:{l}", e.path),
                    (None, None) => e.path.clone(),
                };
                ui.label(RichText::new(loc).monospace().strong());
                if e.from_altered() {
                    ui.horizontal(|ui| {
                        widgets::badge(ui, Tone::Bad, crate::viewmodel::integrity::BADGE);
                        ui.label(widgets::toned(
                            ui,
                            Tone::Bad,
                            format!(
                                "Read from a file whose {}: this event may be altered.",
                                crate::viewmodel::integrity::MISMATCH_TEXT
                            ),
                        ));
                    });
                }
                ui.label(format!(
                    "{} · {} · {} · {}",
                    crate::logs::time::rfc3339_offset(e.time_us),
                    e.timestamp_desc,
                    e.origin.as_str(),
                    e.kind
                ));
                ui.add(
                    egui::Label::new(RichText::new(&e.message).monospace())
                        .wrap()
                        .selectable(true),
                );
                let fields: Vec<String> =
                    e.fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
                ui.label(RichText::new(fields.join("  ")).small());
            });
    }
}

/// An axis label for `x_s` (seconds since the epoch), as precise as the
/// visible range needs.
fn axis_label(x_s: f64, range_s: f64, zone: DisplayZone) -> String {
    let Some(t) = chrono::DateTime::from_timestamp(x_s as i64, 0) else {
        return String::new();
    };
    let t = zone.local(t);
    let f = if range_s > 2.0 * 86_400.0 * 365.0 {
        "%Y-%m"
    } else if range_s > 3.0 * 86_400.0 {
        "%Y-%m-%d"
    } else if range_s > 600.0 {
        "%m-%d %H:%M"
    } else {
        "%H:%M:%S"
    };
    t.format(f).to_string()
}
