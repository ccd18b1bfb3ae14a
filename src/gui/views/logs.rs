//! The Logs screen: choose log sources (the case's archives, typed paths,
//! file dialogs, dropped files), load and run the detections in a background
//! job, then read the events in one virtualized table with filters (text,
//! address, account, status, time range, source), the detections sorted by
//! severity (clicking one shows the evidence lines behind it), and the
//! analyst's three questions: who accessed a path, everything an address
//! did, first and last access of anything.
//!
//! Filtering never re-scans the store on a frame: the table shows a cached
//! list of event indices, recomputed in a background job only when the
//! filter changes.

pub use crate::viewmodel::logs as model;

use crate::gui::context::{Command, Screen, Settings, View, ViewCtx};
use crate::gui::derived::Derived;
use crate::gui::jobs::Job;
use crate::gui::theme::{self, Tone};
use crate::gui::widgets::{self, SOURCES_DROP_HINT, SourceList};
use crate::logs::{Event, Field, LogStore};
use crate::tz::{DisplayZone, Precision};
use crate::viewmodel::format::fmt_time;
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use std::path::PathBuf;
use std::sync::Arc;

pub use model::{
    Answer, Base, LogsFilter, LogsLoaded, Question, answer, filter_rows, parse_status, parse_time,
};

/// State of the Logs screen.
pub struct LogsView {
    pub sources: SourceList,
    /// The examiner's rules directory (from the settings), if any.
    rules_dir: Option<PathBuf>,
    /// The indicator lists (settings and case), if any.
    ioc_lists: Vec<PathBuf>,

    load: Option<Job<LogsLoaded>>,
    pub loaded: Option<LogsLoaded>,
    pub load_error: Option<String>,
    pub filter: LogsFilter,
    /// The rows of `filter`, recomputed in the background.
    rows_job: Derived<LogsFilter, Vec<u32>>,
    pub filter_error: Option<String>,
    /// Event indices shown, in display order.
    pub rows: Vec<u32>,
    pub selected: Option<u32>,
    pub question: Question,
    pub subject: String,
    answer_job: Option<Job<Answer>>,
    pub answer: Option<Answer>,
    answer_seq: u64,
    /// A finding to select once the load finishes (rule, title, first time).
    pending_finding: Option<(String, String, Option<i64>)>,
    /// The case's display zone (times shown and typed in it).
    pub zone: DisplayZone,
    /// Export of what the screen shows (HTML report and JSON).
    pub export: crate::gui::widgets::export::ExportControl,
}

impl Default for LogsView {
    fn default() -> Self {
        Self {
            rules_dir: None,
            ioc_lists: Vec::new(),
            sources: SourceList::default(),
            load: None,
            loaded: None,
            load_error: None,
            filter: LogsFilter::default(),
            rows_job: Derived::new("Filtering events"),
            filter_error: None,
            rows: Vec::new(),
            selected: None,
            question: Question::WhoAccessed,
            subject: String::new(),
            answer_job: None,
            answer: None,
            answer_seq: 0,
            pending_finding: None,
            zone: DisplayZone::Utc,
            export: Default::default(),
        }
    }
}

impl View for LogsView {
    fn screen(&self) -> Screen {
        Screen::LOGS
    }

    fn title(&self) -> &'static str {
        "Logs"
    }

    /// Draw the screen.
    fn ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        let ctx = ui.ctx().clone();
        self.rules_dir = vc.settings.rules_dir();
        self.ioc_lists = vc.settings.ioc_lists(vc.case);
        if self.zone != vc.zone {
            // Typed times mean another instant now: filter again.
            self.zone = vc.zone;
            self.rows_job.invalidate();
        }
        ui.label(RichText::new("Logs").heading());
        self.sources.ui(ui, vc, "log source");
        widgets::rules_dir_ui(ui, vc.settings);
        widgets::ioc_files_ui(ui, vc.settings, vc.case);
        ui.horizontal(|ui| {
            let can = !self.sources.paths.is_empty() && self.load.is_none();
            if ui
                .add_enabled(can, egui::Button::new(RichText::new("Read logs").strong()))
                .on_hover_text("Parse every log in the sources and run the detections")
                .clicked()
            {
                self.start_load(&ctx);
            }
            if let Some(l) = &self.loaded {
                let s = &l.store;
                let unparsed: u64 = s.sources.iter().map(|x| x.unparsed).sum();
                ui.label(format!(
                    "{} events from {} log file(s) · {} unparsed line(s) kept · {} finding(s)",
                    widgets::thousands(s.events.len() as u64),
                    s.sources.len(),
                    widgets::thousands(unparsed),
                    l.findings.len()
                ));
                self.export.toggle_ui(ui);
            }
        });
        self.export.panel_ui(ui, "logs.html", || {
            let l = self.loaded.as_ref()?;
            let (store, findings) = (Arc::clone(&l.store), Arc::clone(&l.findings));
            let note = self.filter.describe(&l.findings);
            let rows = self.rows.clone();
            Some(Box::new(move || {
                let shown = crate::report::logs::Shown {
                    events: &rows,
                    note: &note,
                };
                let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                let max = crate::report::logs::MAX_EVENTS_HTML;
                Ok((
                    crate::report::logs::render(&store, &findings, max, Some(&shown), &at),
                    crate::report::logs::findings_json(&store, &findings, max, Some(&shown)),
                ))
            }) as crate::gui::widgets::export::RenderWork)
        });
        if let Some(job) = &self.load {
            widgets::cancellable_job_ui(ui, job);
            return;
        }
        if let Some(e) = &self.load_error {
            widgets::message_box(ui, Tone::Bad, "Cannot read these logs", e);
        }
        if self.loaded.is_none() {
            widgets::hint(
                ui,
                "Add evidence archives, log folders or files, then Read logs. Lines no parser understands are kept and counted.",
            );
            return;
        }
        self.refresh_rows(&ctx);
        if let Some(l) = &self.loaded {
            let altered = crate::viewmodel::integrity::altered_logs(&l.store);
            if !altered.is_empty() {
                widgets::integrity_banner_ui(
                    ui,
                    &crate::viewmodel::integrity::banner_title(altered.len(), "events"),
                    &altered,
                );
            }
        }
        egui::Panel::left("detections_panel")
            .resizable(true)
            .default_size(widgets::side_width(ui, 0.25, 220.0, 300.0))
            .show(ui, |ui| self.detections_ui(ui));
        self.query_bar_ui(ui);
        self.filter_bar_ui(ui);
        if self.selected.is_some() {
            let room = ui.available_height();
            egui::Panel::bottom("log_event_detail")
                .resizable(true)
                .default_size((room * 0.45).clamp(120.0, 200.0))
                .max_size((room - 80.0).max(120.0))
                .show(ui, |ui| self.detail_ui(ui, vc));
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
        if vc.shared.log_sources != self.sources.paths {
            vc.shared.log_sources = self.sources.paths.clone();
        }
    }

    /// Titles of running jobs, for the status bar.
    fn busy(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(j) = &self.load {
            v.push(j.title.clone());
        }
        v.extend(self.rows_job.busy());
        v.extend(self.export.busy());
        if self.answer_job.is_some() {
            v.push("Answering".into());
        }
        v
    }

    fn command(
        &mut self,
        ctx: &egui::Context,
        command: Command,
        _settings: &Settings,
    ) -> Option<Command> {
        match command {
            Command::ShowFinding {
                sources,
                rule,
                title,
                first_us,
            } => {
                self.show_finding(ctx, sources, rule, title, first_us);
                None
            }
            other => Some(other),
        }
    }

    fn on_dropped_file(&mut self, path: PathBuf) -> Option<PathBuf> {
        // On the log screens, anything dropped is a source to read.
        self.sources.add(path);
        None
    }

    fn drop_hint(&self) -> Option<&'static str> {
        Some(SOURCES_DROP_HINT)
    }

    fn archives_in_use(&self) -> Vec<PathBuf> {
        self.loaded
            .as_ref()
            .map(|l| l.sources.clone())
            .unwrap_or_default()
    }
}

impl LogsView {
    /// True while sources are being read.
    pub fn loading(&self) -> bool {
        self.load.is_some()
    }

    /// Read the current sources and run the detections in the background.
    pub fn start_load(&mut self, ctx: &egui::Context) {
        if let Some(j) = &self.load {
            j.cancel();
        }
        let sources = self.sources.paths.clone();
        let rules_dir = self.rules_dir.clone();
        let ioc_lists = self.ioc_lists.clone();
        self.load_error = None;
        self.loaded = None;
        self.rows.clear();
        self.rows_job.invalidate();
        self.selected = None;
        self.answer = None;
        self.filter.base = Base::All;
        self.load = Some(Job::spawn(ctx, "Reading logs", move |sink, cancel| {
            let ioc = widgets::load_ioc(&ioc_lists)?;
            model::load(sources, rules_dir, &ioc, sink, cancel)
        }));
    }

    /// Show a finding's events, loading `sources` first if they are not the
    /// ones loaded (the Timeline's jump).
    pub fn show_finding(
        &mut self,
        ctx: &egui::Context,
        sources: Vec<PathBuf>,
        rule: String,
        title: String,
        first_us: Option<i64>,
    ) {
        if self.loaded.as_ref().is_some_and(|l| l.sources == sources) {
            self.select_finding(&rule, &title, first_us);
            return;
        }
        self.sources.paths = sources;
        self.start_load(ctx);
        self.pending_finding = Some((rule, title, first_us));
    }

    /// Select the finding with this rule, title and first time (or, failing
    /// that, the first with this rule and title).
    fn select_finding(&mut self, rule: &str, title: &str, first_us: Option<i64>) {
        let Some(l) = &self.loaded else { return };
        if let Some(i) = model::find_finding(&l.findings, rule, title, first_us) {
            self.filter.base = Base::Finding(i);
            self.selected = None;
        }
    }

    /// Drain the jobs (once per frame).
    fn poll_jobs(&mut self, _commands: &mut Vec<Command>) {
        if let Some(job) = self.load.as_mut()
            && let Some(r) = job.poll()
        {
            self.load = None;
            match r {
                Ok(l) => {
                    self.loaded = Some(l);
                    if let Some((rule, title, first_us)) = self.pending_finding.take() {
                        self.select_finding(&rule, &title, first_us);
                    }
                }
                Err(e) => self.load_error = Some(e),
            }
        }
        if let Some(rows) = self.rows_job.poll() {
            self.rows = rows;
        }
        if let Some(job) = self.answer_job.as_mut()
            && let Some(r) = job.poll()
        {
            self.answer_job = None;
            match r {
                Ok(a) => {
                    self.filter.base = Base::Answer(a.seq);
                    self.answer = Some(a);
                }
                Err(e) => self.load_error = Some(e),
            }
        }
    }

    /// Ask for the rows of the current filter (a job starts only when it
    /// changed; a filter that does not parse is explained instead).
    fn refresh_rows(&mut self, ctx: &egui::Context) {
        let Some(l) = &self.loaded else { return };
        if self.rows_job.is_current(&self.filter) {
            return;
        }
        let filter = match self.filter.to_filter(self.zone) {
            Ok(f) => {
                self.filter_error = None;
                f
            }
            Err(e) => {
                self.filter_error = Some(e);
                return;
            }
        };
        let store = Arc::clone(&l.store);
        let findings = Arc::clone(&l.findings);
        let answer = self.answer.clone();
        let base = self.filter.base.clone();
        self.rows_job.start(ctx, self.filter.clone(), move || {
            Ok(filter_rows(
                &store,
                &findings,
                answer.as_ref(),
                &base,
                &filter,
            ))
        });
    }

    fn ask(&mut self, ctx: &egui::Context) {
        let Some(l) = &self.loaded else { return };
        let subject = self.subject.trim().to_string();
        if subject.is_empty() {
            return;
        }
        self.answer_seq += 1;
        let seq = self.answer_seq;
        let q = self.question;
        let store = Arc::clone(&l.store);
        let zone = self.zone;
        self.answer_job = Some(Job::spawn(ctx, "Answering", move |_, _| {
            Ok(answer(&store, q, &subject, seq, zone))
        }));
    }

    fn detections_ui(&mut self, ui: &mut Ui) {
        let zone = self.zone;
        let Some(l) = &self.loaded else { return };
        let findings = Arc::clone(&l.findings);
        let store = Arc::clone(&l.store);
        widgets::section(ui, &format!("Detections ({})", findings.len()));
        if findings.is_empty() {
            widgets::hint(ui, "No detection fired on these logs.");
        }
        let mut chosen = None;
        egui::ScrollArea::vertical()
            .id_salt("detections_scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for (i, f) in findings.iter().enumerate() {
                    let color = theme::severity_color(ui, f.severity);
                    let selected = self.filter.base == Base::Finding(i);
                    egui::Frame::new()
                        .stroke(egui::Stroke::new(if selected { 2.0 } else { 1.0 }, color))
                        .corner_radius(4.0)
                        .inner_margin(6)
                        .show(ui, |ui| {
                            ui.set_width(ui.available_width());
                            ui.label(
                                RichText::new(f.severity.as_str().to_uppercase())
                                    .color(color)
                                    .strong()
                                    .small(),
                            );
                            if ui
                                .selectable_label(selected, RichText::new(&f.title).strong())
                                .on_hover_text("Show the events behind this detection")
                                .clicked()
                            {
                                chosen = Some(i);
                            }
                            ui.add(egui::Label::new(RichText::new(&f.explanation).small()).wrap());
                            let when = match (f.subject.first_us, f.subject.last_us) {
                                (Some(a), Some(b)) if a != b => {
                                    format!("{} to {}", fmt_time(a, zone), fmt_time(b, zone))
                                }
                                (Some(a), _) => fmt_time(a, zone),
                                _ => "no time".into(),
                            };
                            let first = f
                                .subject
                                .events
                                .first()
                                .and_then(|&e| store.events.get(e as usize))
                                .map(|e| store.location(e))
                                .unwrap_or_default();
                            ui.label(
                                RichText::new(format!(
                                    "{} · {} event(s) · {} · first evidence {first}",
                                    f.rule,
                                    f.subject.events.len(),
                                    when
                                ))
                                .small()
                                .weak(),
                            );
                        });
                    ui.add_space(4.0);
                }
            });
        if let Some(i) = chosen {
            self.filter.base = Base::Finding(i);
            self.selected = None;
        }
    }

    fn query_bar_ui(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        ui.horizontal(|ui| {
            let l = ui.label("Question");
            let r = egui::ComboBox::from_id_salt("question")
                .selected_text(self.question.label())
                .show_ui(ui, |ui| {
                    for q in [
                        Question::WhoAccessed,
                        Question::IpActivity,
                        Question::FirstLast,
                    ] {
                        ui.selectable_value(&mut self.question, q, q.label());
                    }
                });
            r.response.labelled_by(l.id);
            let hint = match self.question {
                Question::WhoAccessed => "/export/customers.csv (end with * for a prefix)",
                Question::IpActivity => "203.0.113.7",
                Question::FirstLast => "any text: a path, an account, an address",
            };
            let l = ui.label("Question subject");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.subject)
                        .hint_text(hint)
                        .desired_width(320.0),
                )
                .labelled_by(l.id);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Ask").clicked() || enter {
                self.ask(&ctx);
            }
            if self.answer_job.is_some() {
                ui.spinner();
            }
        });
        if let Some(a) = &self.answer {
            let active = self.filter.base == Base::Answer(a.seq);
            let mut show = false;
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    ui.label(RichText::new(&a.heading).strong());
                    if !active && ui.button("Show the answer's events").clicked() {
                        show = true;
                    }
                });
                for line in a.lines.iter().take(12) {
                    ui.add(egui::Label::new(RichText::new(line).monospace()).wrap());
                }
                if a.lines.len() > 12 {
                    widgets::hint(ui, &format!("… and {} more", a.lines.len() - 12));
                }
            });
            if show {
                self.filter.base = Base::Answer(a.seq);
            }
        }
    }

    fn filter_bar_ui(&mut self, ui: &mut Ui) {
        let Some(l) = &self.loaded else { return };
        let store = Arc::clone(&l.store);
        let findings = Arc::clone(&l.findings);
        ui.horizontal_wrapped(|ui| {
            let field = |ui: &mut Ui, label: &str, v: &mut String, hint: &str, w: f32| {
                let l = ui.label(label);
                ui.add(
                    egui::TextEdit::singleline(v)
                        .hint_text(hint)
                        .desired_width(w),
                )
                .labelled_by(l.id);
            };
            field(
                ui,
                "Text filter",
                &mut self.filter.text,
                "in the line",
                120.0,
            );
            field(ui, "IP filter", &mut self.filter.ip, "exact address", 110.0);
            field(ui, "User filter", &mut self.filter.user, "account", 70.0);
            field(
                ui,
                "Status filter",
                &mut self.filter.status,
                "404, 4xx, 400-499",
                70.0,
            );
            field(
                ui,
                &format!("From ({})", self.zone.name()),
                &mut self.filter.from,
                "YYYY-MM-DD HH:MM",
                120.0,
            );
            field(
                ui,
                &format!("To ({})", self.zone.name()),
                &mut self.filter.to,
                "YYYY-MM-DD HH:MM",
                120.0,
            );
            let name = |i: u32| {
                store
                    .sources
                    .get(i as usize)
                    .map(|s| {
                        let mark = if s.integrity.as_ref().is_some_and(|v| v.is_mismatch()) {
                            format!("{} ", crate::viewmodel::integrity::ROW_MARK)
                        } else {
                            String::new()
                        };
                        format!("{mark}{} ({})", s.path, widgets::thousands(s.events))
                    })
                    .unwrap_or_default()
            };
            let l = ui.label("Log file");
            let r = egui::ComboBox::from_id_salt("log_file_filter")
                .selected_text(match self.filter.source {
                    None => "all sources".to_string(),
                    Some(i) => name(i),
                })
                .width(220.0)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.source, None, "all sources");
                    for i in 0..store.sources.len() as u32 {
                        ui.selectable_value(&mut self.filter.source, Some(i), name(i));
                    }
                });
            r.response.labelled_by(l.id);
        });
        ui.horizontal(|ui| {
            let base = match &self.filter.base {
                Base::All => "all events".to_string(),
                Base::Finding(i) => findings
                    .get(*i)
                    .map(|f| format!("events of: {}", f.title))
                    .unwrap_or_default(),
                Base::Answer(_) => "events of the answer".to_string(),
            };
            ui.label(format!(
                "Showing {} event(s) — {base}",
                widgets::thousands(self.rows.len() as u64)
            ));
            if self.filter.base != Base::All && ui.button("Show all events").clicked() {
                self.filter.base = Base::All;
            }
            if self.filter != LogsFilter::default() && ui.button("Clear filters").clicked() {
                self.filter = LogsFilter::default();
            }
            if self.rows_job.is_running() {
                ui.spinner();
            }
            if let Some(e) = &self.filter_error {
                ui.label(widgets::toned(ui, Tone::Bad, e));
            }
        });
    }

    fn table_ui(&mut self, ui: &mut Ui) {
        let zone = self.zone;
        let Some(l) = &self.loaded else { return };
        let store = Arc::clone(&l.store);
        let rows = &self.rows;
        let selected = self.selected;
        let mut clicked = None;
        let cell = |ui: &mut Ui, s: &str| {
            ui.add(egui::Label::new(s).truncate().selectable(false));
        };
        // Logs of several snapshots: a column names each line's snapshot.
        let snapshots = crate::viewmodel::logs::several_snapshots(&store);
        let snapshot_prefix = if snapshots {
            crate::viewmodel::logs::common_snapshot_prefix(&store)
        } else {
            0
        };
        let mut table = TableBuilder::new(ui)
            .id_salt("log_events_table")
            .min_scrolled_height(0.0)
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .column(Column::initial(if zone.is_utc() { 166.0 } else { 186.0 }).clip(true))
            .column(Column::initial(50.0).clip(true))
            .column(Column::initial(96.0).clip(true));
        if snapshots {
            table = table.column(Column::initial(120.0).clip(true));
        }
        table
            .column(Column::initial(100.0).clip(true))
            .column(Column::initial(56.0).clip(true))
            .column(Column::initial(112.0).clip(true))
            .column(Column::initial(150.0).clip(true))
            .column(Column::initial(46.0).clip(true))
            .column(Column::initial(56.0).clip(true))
            .column(Column::remainder().at_least(120.0).clip(true))
            .header(22.0, |mut h| {
                let time_header = format!("Time ({})", zone.name());
                for t in [
                    time_header.as_str(),
                    "Host",
                    "Source",
                    "Snapshot",
                    "Kind",
                    "User",
                    "IP",
                    "Request",
                    "Status",
                    "Bytes",
                    "Message",
                ] {
                    if t == "Snapshot" && !snapshots {
                        continue;
                    }
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
                    let Some(e) = store.events.get(i as usize) else {
                        return;
                    };
                    row.set_selected(selected == Some(i));
                    row.col(|ui| {
                        cell(
                            ui,
                            &e.time_us.map(|t| fmt_time(t, zone)).unwrap_or_default(),
                        )
                    });
                    row.col(|ui| cell(ui, e.get(Field::Host).unwrap_or("")));
                    row.col(|ui| {
                        let src = store.source_of(e);
                        let full = src.map(|s| s.path.as_str()).unwrap_or("");
                        let short = full.rsplit('/').next().unwrap_or(full);
                        let prog = e.get(Field::Program).unwrap_or("");
                        let text = if prog.is_empty() {
                            short.to_string()
                        } else {
                            format!("{short} {prog}")
                        };
                        if store.from_altered(e) {
                            let text = format!("{} {text}", crate::viewmodel::integrity::ROW_MARK);
                            ui.add(
                                egui::Label::new(widgets::toned(ui, Tone::Bad, text))
                                    .truncate()
                                    .selectable(false),
                            )
                            .on_hover_text(format!(
                                "{}: {}",
                                crate::viewmodel::integrity::MISMATCH_TEXT,
                                store.location(e)
                            ));
                        } else {
                            ui.add(egui::Label::new(text).truncate().selectable(false))
                                .on_hover_text(store.location(e));
                        }
                    });
                    if snapshots {
                        row.col(|ui| {
                            let label = crate::viewmodel::logs::snapshot_label(&store, e);
                            let short = label.get(snapshot_prefix..).unwrap_or(&label);
                            ui.add(egui::Label::new(short).truncate().selectable(false))
                                .on_hover_text(format!(
                                    "{label}: the snapshot this line was read from; +N: N \
                                     other snapshots hold the same line"
                                ));
                        });
                    }
                    row.col(|ui| cell(ui, e.kind.as_str()));
                    row.col(|ui| cell(ui, e.get(Field::User).unwrap_or("")));
                    row.col(|ui| cell(ui, e.get(Field::Ip).unwrap_or("")));
                    row.col(|ui| {
                        let req = match (e.get(Field::Method), e.get(Field::Path)) {
                            (Some(m), Some(p)) => format!("{m} {p}"),
                            (None, Some(p)) => p.to_string(),
                            _ => String::new(),
                        };
                        cell(ui, &req);
                    });
                    row.col(|ui| {
                        let s = e.status.map(|s| s.to_string()).unwrap_or_default();
                        let tone = match e.status {
                            Some(500..) => Some(Tone::Bad),
                            Some(400..=499) => Some(Tone::Warn),
                            _ => None,
                        };
                        match tone {
                            Some(t) => {
                                ui.label(widgets::toned(ui, t, s));
                            }
                            None => cell(ui, &s),
                        }
                    });
                    row.col(|ui| cell(ui, &e.bytes.map(|b| b.to_string()).unwrap_or_default()));
                    row.col(|ui| {
                        let r = ui.add(
                            egui::Label::new(RichText::new(e.line_text()).monospace())
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
        if let Some(i) = clicked {
            self.selected = Some(i);
        }
    }

    fn detail_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        let Some(l) = &self.loaded else { return };
        let Some(e) = self.selected.and_then(|i| l.store.events.get(i as usize)) else {
            return;
        };
        event_detail_ui(ui, &l.store, e, vc);
    }
}

/// One event's evidence line, fields and location, with a jump to the file
/// in the evidence browser when it came from an archive.
pub fn event_detail_ui(ui: &mut Ui, store: &LogStore, e: &Event, vc: &mut ViewCtx<'_>) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(store.location(e)).monospace().strong());
        if let Some(s) = store.source_of(e)
            && let Some(a) = &s.archive
            && ui
                .button("Open in the evidence browser")
                .on_hover_text("Open the archive and select this log file")
                .clicked()
        {
            vc.commands.push(Command::OpenArchiveLine {
                archive: a.clone(),
                path: s.path.clone(),
                line: Some(e.line),
            });
        }
        widgets::copy_button(ui, "Copy line", e.line_text());
    });
    if store.from_altered(e) {
        ui.horizontal(|ui| {
            widgets::badge(ui, Tone::Bad, crate::viewmodel::integrity::BADGE);
            ui.label(widgets::toned(
                ui,
                Tone::Bad,
                format!(
                    "Read from a file whose {}: this line may be altered.",
                    crate::viewmodel::integrity::MISMATCH_TEXT
                ),
            ));
        });
    }
    egui::ScrollArea::vertical()
        .id_salt("log_event_detail_scroll")
        .show(ui, |ui| {
            ui.add(
                egui::Label::new(RichText::new(e.line_text()).monospace())
                    .wrap()
                    .selectable(true),
            );
            let mut parts: Vec<String> = vec![
                format!("kind={}", e.kind.as_str()),
                format!(
                    "time={}",
                    e.time_us
                        .and_then(chrono::DateTime::from_timestamp_micros)
                        .map(|t| {
                            let shown = vc.zone.format(t, Precision::Full);
                            if vc.zone.is_utc() {
                                shown
                            } else {
                                format!(
                                    "{shown} ({})",
                                    crate::logs::time::rfc3339(t.timestamp_micros())
                                )
                            }
                        })
                        .unwrap_or_else(|| "none".into())
                ),
            ];
            parts.extend(e.fields().map(|(f, v)| format!("{}={v}", f.name())));
            if let Some(s) = e.status {
                parts.push(format!("status={s}"));
            }
            if let Some(b) = e.bytes {
                parts.push(format!("bytes={b}"));
            }
            if let Some(p) = e.port {
                parts.push(format!("port={p}"));
            }
            if let Some(s) = store.source_of(e) {
                parts.push(format!("parser={}", s.parser));
            }
            ui.label(RichText::new(parts.join("  ")).small());
        });
}
