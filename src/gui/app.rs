//! The workstation application: persisted settings (recent cases, examiner,
//! theme, key paths) kept apart from runtime state (the open case, jobs,
//! loaded archives), the frame layout (tabs, status bar, error banner),
//! keyboard shortcuts, dropped files, and the commands views ask for, which
//! are applied at the end of each frame.

use crate::gui::case::{self, CaseFolder, CaseInfo, VerificationState};
use crate::gui::jobs::Job;
use crate::gui::theme::{self, Tone};
use crate::gui::views::{
    browser::BrowserView, capture::CaptureView, compare::CompareView, custody::CustodyView,
    findings::FindingsView, logs::LogsView, start::StartView, timeline::TimelineView,
    verify::VerifyView,
};
use crate::gui::widgets;
use crate::tz::DisplayZone;
use egui::{Key, KeyboardShortcut, Modifiers, RichText};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;

/// How many recent cases the start screen remembers.
const MAX_RECENT: usize = 8;

/// Light, dark, or whatever the system says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    #[default]
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    fn preference(self) -> egui::ThemePreference {
        match self {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// Everything remembered between runs (saved by eframe).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Most recent first.
    pub recent_cases: Vec<PathBuf>,
    /// Prefilled examiner name and organisation for new cases.
    pub examiner: String,
    pub organisation: String,
    /// OpenSSH private key used to sign custody events, if any.
    pub signing_key: String,
    /// OpenSSH `allowed_signers` file used to judge signatures.
    pub trust_file: String,
    pub theme: ThemeChoice,
    /// Show times in UTC even when the case names another zone.
    pub times_in_utc: bool,
}

impl Settings {
    fn remember_case(&mut self, dir: PathBuf) {
        self.recent_cases.retain(|d| d != &dir);
        self.recent_cases.insert(0, dir);
        self.recent_cases.truncate(MAX_RECENT);
    }
}

/// The screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Cases,
    Capture,
    Evidence,
    Verify,
    Custody,
    Compare,
    Findings,
    Logs,
    Timeline,
}

impl Screen {
    pub const ALL: [Screen; 9] = [
        Screen::Cases,
        Screen::Capture,
        Screen::Evidence,
        Screen::Verify,
        Screen::Custody,
        Screen::Compare,
        Screen::Findings,
        Screen::Logs,
        Screen::Timeline,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Cases => "Cases",
            Screen::Capture => "Capture",
            Screen::Evidence => "Evidence",
            Screen::Verify => "Verify",
            Screen::Custody => "Custody",
            Screen::Compare => "Compare",
            Screen::Findings => "Findings",
            Screen::Logs => "Logs",
            Screen::Timeline => "Timeline",
        }
    }

    fn key(self) -> Key {
        match self {
            Screen::Cases => Key::Num1,
            Screen::Capture => Key::Num2,
            Screen::Evidence => Key::Num3,
            Screen::Verify => Key::Num4,
            Screen::Custody => Key::Num5,
            Screen::Compare => Key::Num6,
            Screen::Findings => Key::Num7,
            Screen::Logs => Key::Num8,
            Screen::Timeline => Key::Num9,
        }
    }
}

/// What a view asks the app to do; applied after the frame's UI.
#[derive(Debug, Clone)]
pub enum Command {
    OpenCase(PathBuf),
    CreateCase(PathBuf, CaseInfo),
    CloseCase,
    RefreshCase,
    Go(Screen),
    /// Open an archive in the evidence browser.
    OpenArchive(PathBuf),
    /// Open an archive in the evidence browser, filtered to one logical path.
    OpenArchiveAt(PathBuf, String),
    /// Open an archive in the evidence browser and select one file (a log
    /// event's file; `line` is shown beside it).
    OpenArchiveLine {
        archive: PathBuf,
        path: String,
        line: Option<u64>,
    },
    /// Show a log finding's events on the Logs screen (loading `sources`
    /// there if needed).
    ShowFinding {
        sources: Vec<PathBuf>,
        rule: String,
        title: String,
        /// The finding's first time: several findings can share a rule
        /// and a title (`Password of "test" changed`).
        first_us: Option<i64>,
    },
    /// Verify an archive (switches to the Verify screen and starts).
    VerifyArchive(PathBuf),
    /// Show the custody chain of an archive.
    ShowCustody(PathBuf),
    /// Add a path to the capture sources.
    AddCaptureSource(PathBuf),
    /// A verification finished: remember its verdict for the case list.
    Verified(PathBuf, VerificationState),
    /// Show an error in the banner.
    Error(String),
}

/// What every view may read and ask for during a frame.
pub struct ViewCtx<'a> {
    pub case: Option<&'a CaseFolder>,
    pub settings: &'a mut Settings,
    pub commands: &'a mut Vec<Command>,
    /// Verdicts of verifications run in this session, by archive path.
    pub verdicts: &'a HashMap<PathBuf, VerificationState>,
    /// The zone times are shown in: the case's, or UTC when no case is
    /// open or the examiner chose UTC.
    pub zone: DisplayZone,
}

/// The workstation.
pub struct ExhibitApp {
    pub settings: Settings,
    pub screen: Screen,
    pub case: Option<CaseFolder>,
    case_job: Option<Job<CaseFolder>>,
    pub start: StartView,
    pub capture: CaptureView,
    pub browser: BrowserView,
    pub verify: VerifyView,
    pub custody: CustodyView,
    pub compare: CompareView,
    pub findings: FindingsView,
    pub logs: LogsView,
    pub timeline: TimelineView,
    /// Errors shown in the banner until dismissed.
    pub errors: Vec<String>,
    verdicts: HashMap<PathBuf, VerificationState>,
    commands: Vec<Command>,
    applied_theme: Option<ThemeChoice>,
}

impl ExhibitApp {
    /// The app as eframe creates it: settings restored from storage.
    pub fn new(cc: &eframe::CreationContext<'_>) -> Self {
        let settings = cc
            .storage
            .and_then(|s| eframe::get_value::<Settings>(s, eframe::APP_KEY))
            .unwrap_or_default();
        Self::with_settings(settings)
    }

    /// The app with the given settings (tests start from defaults).
    pub fn with_settings(settings: Settings) -> Self {
        let start = StartView::new(&settings);
        let capture = CaptureView::new(&settings);
        Self {
            settings,
            screen: Screen::Cases,
            case: None,
            case_job: None,
            start,
            capture,
            browser: BrowserView::default(),
            verify: VerifyView::default(),
            custody: CustodyView::default(),
            compare: CompareView::default(),
            findings: FindingsView::default(),
            logs: LogsView::default(),
            timeline: TimelineView::default(),
            errors: Vec::new(),
            verdicts: HashMap::new(),
            commands: Vec::new(),
            applied_theme: None,
        }
    }

    /// The zone times are shown in (see [`ViewCtx::zone`]).
    pub fn display_zone(&self) -> DisplayZone {
        match &self.case {
            Some(c) if !self.settings.times_in_utc => DisplayZone::parse_or_utc(&c.info.timezone),
            _ => DisplayZone::Utc,
        }
    }

    /// True while the case is being opened, created or refreshed.
    pub fn case_busy(&self) -> bool {
        self.case_job.is_some()
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        for s in Screen::ALL {
            if ctx.input_mut(|i| {
                i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, s.key()))
            }) {
                self.screen = s;
            }
        }
        if ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::N)))
        {
            self.screen = Screen::Capture;
        }
        if ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::O)))
        {
            self.screen = Screen::Evidence;
            self.browser.request_open_dialog(ctx);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::NONE, Key::F5))) {
            self.commands.push(Command::RefreshCase);
        }
    }

    fn dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        for p in dropped {
            match self.screen {
                Screen::Compare => {
                    self.compare.drop_path(p);
                    continue;
                }
                Screen::Findings => {
                    self.findings.drop_path(p);
                    continue;
                }
                _ => {}
            }
            let name = p.to_string_lossy().to_lowercase();
            // On the log screens, anything dropped is a source to read.
            if self.screen == Screen::Logs {
                self.logs.sources.add(p);
            } else if self.screen == Screen::Timeline {
                self.timeline.sources.add(p);
            } else if name.ends_with(".zip") {
                self.commands.push(Command::OpenArchive(p));
            } else if name.ends_with("case.json") {
                self.commands.push(Command::OpenCase(p));
            } else {
                self.commands.push(Command::AddCaptureSource(p));
            }
        }
    }

    fn hovered_files_ui(&self, ui: &mut egui::Ui) {
        let hovering = ui.ctx().input(|i| !i.raw.hovered_files.is_empty());
        if !hovering {
            return;
        }
        let rect = ui.ctx().content_rect();
        let painter = ui.ctx().layer_painter(egui::LayerId::new(
            egui::Order::Foreground,
            egui::Id::unique("drop_overlay"),
        ));
        painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(170));
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            match self.screen {
                Screen::Compare => "Drop an archive or a folder:\nit fills the baseline, then the incident side",
                Screen::Findings => "Drop an archive or a folder to scan it",
                Screen::Logs | Screen::Timeline => {
                    "Drop log files, folders or archives to add them as sources"
                }
                _ => "Drop folders to capture them, an archive (.zip) to open it,\nor a case.json to open its case",
            },
            egui::FontId::proportional(22.0),
            egui::Color32::WHITE,
        );
    }

    fn poll_case_job(&mut self) {
        let Some(job) = self.case_job.as_mut() else {
            return;
        };
        if let Some(result) = job.poll() {
            self.case_job = None;
            match result {
                Ok(folder) => {
                    self.settings.remember_case(folder.dir.clone());
                    if !folder.info.examiner.is_empty() {
                        self.settings.examiner = folder.info.examiner.clone();
                    }
                    self.capture.prefill_from_case(&folder);
                    self.case = Some(folder);
                }
                Err(e) => self.errors.push(e),
            }
        }
    }

    fn start_case_job(
        &mut self,
        ctx: &egui::Context,
        title: &str,
        work: impl FnOnce() -> anyhow::Result<CaseFolder> + Send + 'static,
    ) {
        self.case_job = Some(Job::spawn(ctx, title, move |_, _| work()));
    }

    fn apply_commands(&mut self, ctx: &egui::Context) {
        let commands = std::mem::take(&mut self.commands);
        for c in commands {
            match c {
                Command::OpenCase(dir) => {
                    self.screen = Screen::Cases;
                    self.start_case_job(ctx, "Opening case", move || case::open(&dir));
                }
                Command::CreateCase(dir, info) => {
                    self.settings.examiner = info.examiner.clone();
                    self.settings.organisation = info.organisation.clone();
                    self.screen = Screen::Cases;
                    self.start_case_job(ctx, "Creating case", move || case::create(&dir, info));
                }
                Command::CloseCase => {
                    self.case = None;
                    self.screen = Screen::Cases;
                }
                Command::RefreshCase => {
                    if let Some(c) = &self.case {
                        let dir = c.dir.clone();
                        self.start_case_job(ctx, "Refreshing case", move || case::open(&dir));
                    }
                }
                Command::Go(s) => self.screen = s,
                Command::OpenArchive(p) => {
                    self.screen = Screen::Evidence;
                    self.browser.open(ctx, p);
                }
                Command::OpenArchiveAt(p, path) => {
                    self.screen = Screen::Evidence;
                    self.browser.open(ctx, p);
                    self.browser.query.text = path;
                }
                Command::OpenArchiveLine {
                    archive,
                    path,
                    line,
                } => {
                    self.screen = Screen::Evidence;
                    self.browser.open_at(ctx, archive, path, line);
                }
                Command::ShowFinding {
                    sources,
                    rule,
                    title,
                    first_us,
                } => {
                    self.screen = Screen::Logs;
                    self.logs.show_finding(ctx, sources, rule, title, first_us);
                }
                Command::VerifyArchive(p) => {
                    self.screen = Screen::Verify;
                    self.verify.start(ctx, p, &self.settings);
                }
                Command::ShowCustody(p) => {
                    self.screen = Screen::Custody;
                    self.custody.open(ctx, p, &self.settings);
                }
                Command::AddCaptureSource(p) => {
                    self.screen = Screen::Capture;
                    self.capture.add_source(p);
                }
                Command::Verified(p, v) => {
                    self.verdicts.insert(p, v);
                    // A recorded `verified` event changes the case list's
                    // custody counts: list the case again in the background.
                    if let Some(c) = &self.case
                        && self.case_job.is_none()
                    {
                        let dir = c.dir.clone();
                        self.start_case_job(ctx, "Refreshing case", move || case::open(&dir));
                    }
                }
                Command::Error(e) => self.errors.push(e),
            }
        }
    }

    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.label(RichText::new("Exhibit").heading().strong());
            ui.add_space(12.0);
            for s in Screen::ALL {
                let shortcut = ui
                    .ctx()
                    .format_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, s.key()));
                let r = ui
                    .selectable_label(self.screen == s, RichText::new(s.title()).size(16.0))
                    .on_hover_text(format!("{} ({shortcut})", s.title()));
                if r.clicked() {
                    self.screen = s;
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let before = self.settings.theme;
                egui::ComboBox::from_label("Theme")
                    .selected_text(match self.settings.theme {
                        ThemeChoice::System => "system",
                        ThemeChoice::Light => "light",
                        ThemeChoice::Dark => "dark",
                    })
                    .show_ui(ui, |ui| {
                        ui.selectable_value(
                            &mut self.settings.theme,
                            ThemeChoice::System,
                            "Follow the system",
                        );
                        ui.selectable_value(&mut self.settings.theme, ThemeChoice::Light, "Light");
                        ui.selectable_value(&mut self.settings.theme, ThemeChoice::Dark, "Dark");
                    });
                if before != self.settings.theme {
                    self.applied_theme = None;
                }
                if let Some(c) = &self.case {
                    let case_zone = DisplayZone::parse_or_utc(&c.info.timezone);
                    if !case_zone.is_utc() {
                        ui.checkbox(&mut self.settings.times_in_utc, "Times in UTC")
                            .on_hover_text(format!(
                                "Show every time in UTC instead of the case's zone ({})",
                                case_zone.name()
                            ));
                    }
                }
                match &self.case {
                    Some(c) => {
                        ui.label(
                            RichText::new(format!("Case {} — {}", c.info.case_id, c.info.title))
                                .strong(),
                        )
                        .on_hover_text(c.dir.display().to_string());
                    }
                    None => {
                        ui.label(RichText::new("No case open").weak());
                    }
                }
            });
        });
    }

    fn status_bar_ui(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let mut busy = Vec::new();
            if let Some(j) = &self.case_job {
                busy.push(j.title.clone());
            }
            busy.extend(self.capture.busy());
            busy.extend(self.browser.busy());
            busy.extend(self.verify.busy());
            busy.extend(self.custody.busy());
            busy.extend(self.compare.busy());
            busy.extend(self.findings.busy());
            busy.extend(self.logs.busy());
            busy.extend(self.timeline.busy());
            if busy.is_empty() {
                ui.label(RichText::new("Ready").weak());
            } else {
                ui.spinner();
                ui.label(busy.join(" · "));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.label(
                    RichText::new(
                        "Ctrl+1…9 screens · Ctrl+N capture · Ctrl+O open archive · F5 refresh · Esc cancel",
                    )
                    .small()
                    .weak(),
                );
            });
        });
    }

    fn errors_ui(&mut self, ui: &mut egui::Ui) {
        let mut dismiss = None;
        for (i, e) in self.errors.iter().enumerate() {
            ui.horizontal(|ui| {
                widgets::message_box(ui, Tone::Bad, "Error", e);
            });
            if ui.button(format!("Dismiss error {}", i + 1)).clicked() {
                dismiss = Some(i);
            }
        }
        if let Some(i) = dismiss {
            self.errors.remove(i);
        }
    }
}

impl eframe::App for ExhibitApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if self.applied_theme != Some(self.settings.theme) {
            theme::apply(&ctx, self.settings.theme.preference());
            self.applied_theme = Some(self.settings.theme);
        }
        self.shortcuts(&ctx);
        self.dropped_files(&ctx);
        self.poll_case_job();
        self.capture.poll(&mut self.commands);
        self.browser.poll(&mut self.commands);
        self.verify.poll(&mut self.commands);
        self.custody.poll(&mut self.commands);
        self.compare.poll(&mut self.commands);
        self.findings.poll(&mut self.commands);
        self.logs.poll(&mut self.commands);
        self.timeline.poll(&mut self.commands);

        egui::Panel::top("top_bar")
            .frame(egui::Frame::side_top_panel(ui.style()).inner_margin(8))
            .show(ui, |ui| self.top_bar_ui(ui));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            if !self.errors.is_empty() {
                self.errors_ui(ui);
                ui.add_space(6.0);
            }
            let zone = self.display_zone();
            let mut vc = ViewCtx {
                zone,
                case: self.case.as_ref(),
                settings: &mut self.settings,
                commands: &mut self.commands,
                verdicts: &self.verdicts,
            };
            match self.screen {
                Screen::Cases => self.start.ui(ui, &mut vc, self.case_job.as_ref()),
                Screen::Capture => self.capture.ui(ui, &mut vc),
                Screen::Evidence => self.browser.ui(ui, &mut vc),
                Screen::Verify => self.verify.ui(ui, &mut vc),
                Screen::Custody => self.custody.ui(ui, &mut vc),
                Screen::Compare => self.compare.ui(ui, &mut vc),
                Screen::Findings => self.findings.ui(ui, &mut vc),
                Screen::Logs => self.logs.ui(ui, &mut vc),
                Screen::Timeline => self.timeline.ui(ui, &mut vc, &self.logs.sources.paths),
            }
        });
        self.hovered_files_ui(ui);
        self.apply_commands(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }
}
