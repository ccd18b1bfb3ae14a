//! The workstation application: persisted settings kept apart from runtime
//! state (the open case, its job, the views), the frame layout (tabs,
//! status bar, error banner), keyboard shortcuts, dropped files, and the
//! commands views ask for, which are applied at the end of each frame.
//! Background jobs are drained in [`eframe::App::logic`], before drawing.
//! The screens come from the one list [`views::all`]; this file names none.

use crate::case::custody_log::VerificationState;
use crate::case::seal_check::SealState;
use crate::case::{self, CaseFolder};
use crate::gui::context::{Command, Screen, Settings, Shared, ThemeChoice, ViewCtx};
use crate::gui::jobs::Job;
use crate::gui::theme::{self, Tone};
use crate::gui::unlock::{self, UnlockDialog};
use crate::gui::views::{self, View};
use crate::gui::widgets;
use crate::tz::DisplayZone;
use egui::{Key, KeyboardShortcut, Modifiers, RichText};
use std::collections::HashMap;
use std::path::PathBuf;

/// Shortcut keys of the tabs, in tab order (Ctrl+1…9, then Ctrl+0).
const TAB_KEYS: [Key; 10] = [
    Key::Num1,
    Key::Num2,
    Key::Num3,
    Key::Num4,
    Key::Num5,
    Key::Num6,
    Key::Num7,
    Key::Num8,
    Key::Num9,
    Key::Num0,
];

/// An archive hashed against its `sealed` event: path, size and mtime
/// then, and the answer.
type SealChecked = (PathBuf, u64, String, SealState);

/// The workstation.
pub struct ExhibitApp {
    pub settings: Settings,
    pub screen: Screen,
    pub case: Option<CaseFolder>,
    case_job: Option<Job<CaseFolder>>,
    /// Every screen, in tab order (see [`views::all`]).
    views: Vec<Box<dyn View>>,
    /// Errors shown in the banner until dismissed.
    pub errors: Vec<String>,
    verdicts: HashMap<PathBuf, VerificationState>,
    /// Each case archive hashed against its `sealed` event, with the
    /// (size, mtime) it had then: a changed file is hashed again.
    seals: HashMap<PathBuf, (u64, String, SealState)>,
    seal_job: Option<Job<Vec<SealChecked>>>,
    /// Archives marked red, and why (see [`ViewCtx::marks`]).
    marks: HashMap<PathBuf, String>,
    shared: Shared,
    commands: Vec<Command>,
    applied_theme: Option<ThemeChoice>,
    /// The window asking for an encrypted archive's identity, when open.
    pub unlock: Option<UnlockDialog>,
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
        let views = views::all(&settings);
        Self {
            settings,
            screen: Screen::CASES,
            case: None,
            case_job: None,
            views,
            errors: Vec::new(),
            verdicts: HashMap::new(),
            seals: HashMap::new(),
            seal_job: None,
            marks: HashMap::new(),
            shared: Shared::default(),
            commands: Vec::new(),
            applied_theme: None,
            unlock: None,
        }
    }

    /// The view of type `V` (tests and tools look inside views this way).
    pub fn view<V: View>(&self) -> Option<&V> {
        self.views
            .iter()
            .find_map(|v| (v.as_ref() as &dyn std::any::Any).downcast_ref::<V>())
    }

    /// The view of type `V`, to change it.
    pub fn view_mut<V: View>(&mut self) -> Option<&mut V> {
        self.views
            .iter_mut()
            .find_map(|v| (v.as_mut() as &mut dyn std::any::Any).downcast_mut::<V>())
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

    /// What the views read during a frame, and the views themselves
    /// (borrowed apart, so a view can be given the context).
    fn frame_parts(&mut self) -> (ViewCtx<'_>, &mut [Box<dyn View>]) {
        let vc = ViewCtx {
            zone: self.display_zone(),
            case: self.case.as_ref(),
            case_busy: self.case_job.as_ref().map(|j| j.title.as_str()),
            settings: &mut self.settings,
            commands: &mut self.commands,
            verdicts: &self.verdicts,
            marks: &self.marks,
            shared: &mut self.shared,
        };
        (vc, &mut self.views)
    }

    /// The shortcut of the tab at `index`, if it has one.
    fn tab_shortcut(index: usize) -> Option<KeyboardShortcut> {
        TAB_KEYS
            .get(index)
            .map(|k| KeyboardShortcut::new(Modifiers::COMMAND, *k))
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        for (i, v) in self.views.iter().enumerate() {
            if let Some(sc) = Self::tab_shortcut(i)
                && v.tab_shown()
                && ctx.input_mut(|inp| inp.consume_shortcut(&sc))
            {
                self.screen = v.screen();
            }
        }
        if ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::N)))
        {
            self.commands.push(Command::NewCapture);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::O)))
        {
            self.route(ctx, Command::PickArchive);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::NONE, Key::F5))) {
            self.commands.push(Command::RefreshCase);
        }
    }

    /// The view shown now.
    fn current(&self) -> Option<&dyn View> {
        self.views
            .iter()
            .find(|v| v.screen() == self.screen)
            .map(|v| v.as_ref())
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
            let screen = self.screen;
            let p = match self.views.iter_mut().find(|v| v.screen() == screen) {
                Some(v) => v.on_dropped_file(p),
                None => Some(p),
            };
            let Some(p) = p else { continue };
            let name = p.to_string_lossy().to_lowercase();
            if crate::archive::is_archive_name(&p) {
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
            self.current().and_then(|v| v.drop_hint()).unwrap_or(
                "Drop folders to capture them, an archive (.zip) to open it,\nor a case.json to open its case",
            ),
            egui::FontId::proportional(22.0),
            egui::Color32::WHITE,
        );
    }

    /// Hash, in the background, the case's archives not hashed yet at
    /// their current size and mtime, against their `sealed` events.
    fn start_seal_job(&mut self, ctx: &egui::Context) {
        if self.seal_job.is_some() {
            return;
        }
        let Some(c) = &self.case else { return };
        let todo: Vec<(PathBuf, u64, String)> = c
            .archives
            .iter()
            .filter(|a| a.verification != VerificationState::Incomplete)
            .filter(|a| {
                self.seals
                    .get(&a.path)
                    .is_none_or(|(size, mtime, _)| (*size, mtime) != (a.size_bytes, &a.modified))
            })
            .map(|a| (a.path.clone(), a.size_bytes, a.modified.clone()))
            .collect();
        if todo.is_empty() {
            return;
        }
        self.seal_job = Some(Job::spawn(
            ctx,
            "Checking archives against their seals",
            move |sink, cancel| {
                let total: u64 = todo.iter().map(|t| t.1).sum();
                let mut done = 0u64;
                let mut out = Vec::with_capacity(todo.len());
                for (i, (path, size, mtime)) in todo.into_iter().enumerate() {
                    sink.update(&crate::job::Progress {
                        phase: "hashing archives against their sealed custody events",
                        files_done: i as u64,
                        bytes_done: done,
                        bytes_total: Some(total),
                        current: path.display().to_string(),
                        ..Default::default()
                    });
                    if cancel.is_cancelled() {
                        break;
                    }
                    let state = case::seal_check::check_seal(&path, cancel);
                    done += size;
                    out.push((path, size, mtime, state));
                }
                Ok(out)
            },
        ));
    }

    fn poll_seal_job(&mut self) {
        let Some(job) = self.seal_job.as_mut() else {
            return;
        };
        if let Some(result) = job.poll() {
            self.seal_job = None;
            match result {
                Ok(results) => {
                    for (path, size, mtime, state) in results {
                        self.seals.insert(path, (size, mtime, state));
                    }
                }
                Err(e) => self.errors.push(e),
            }
        }
    }

    /// Which archives are marked red now, and why: the case's (their last
    /// verification, recorded or run now, and their seal) and any other
    /// archive verified in this session.
    fn refresh_marks(&mut self) {
        self.marks.clear();
        if let Some(c) = &self.case {
            for a in &c.archives {
                if a.verification == VerificationState::Incomplete {
                    continue;
                }
                let v = self.verdicts.get(&a.path).unwrap_or(&a.verification);
                let seal = self
                    .seals
                    .get(&a.path)
                    .filter(|(size, mtime, _)| (*size, mtime) == (a.size_bytes, &a.modified))
                    .map(|(_, _, s)| s);
                if let Some(why) = case::seal_check::red_mark(v, seal) {
                    self.marks.insert(a.path.clone(), why);
                }
            }
        }
        for (p, v) in &self.verdicts {
            if !self.marks.contains_key(p)
                && let Some(why) = case::seal_check::red_mark(v, None)
            {
                self.marks.insert(p.clone(), why);
            }
        }
    }

    /// The marked archives the current screen uses, as (file name, why).
    fn marked_in_use(&self) -> Vec<(String, String)> {
        let Some(v) = self.views.iter().find(|v| v.screen() == self.screen) else {
            return Vec::new();
        };
        let mut out: Vec<(String, String)> = v
            .archives_in_use()
            .iter()
            .filter_map(|p| {
                self.marks.get(p).map(|why| {
                    let name = p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| p.display().to_string());
                    (name, why.clone())
                })
            })
            .collect();
        out.dedup();
        out
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
                    for v in &mut self.views {
                        v.on_case_opened(&folder);
                    }
                    // A case just opened that holds evidence opens on its
                    // answers; a refresh leaves the examiner where they are.
                    let newly = self.case.as_ref().map(|c| &c.dir) != Some(&folder.dir);
                    if newly && !folder.archives.is_empty() && self.screen == Screen::CASES {
                        self.screen = Screen::INVESTIGATION;
                    }
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

    /// Hand a command to the views; the one that takes it is shown.
    fn route(&mut self, ctx: &egui::Context, command: Command) {
        let mut command = command;
        for v in &mut self.views {
            match v.command(ctx, command, &self.settings) {
                None => {
                    self.screen = v.screen();
                    return;
                }
                Some(c) => command = c,
            }
        }
        // No view takes it: nothing to do (every command has a taker).
        drop(command);
    }

    fn apply_commands(&mut self, ctx: &egui::Context) {
        let commands = std::mem::take(&mut self.commands);
        for c in commands {
            match c {
                Command::OpenCase(dir) => {
                    self.screen = Screen::CASES;
                    self.start_case_job(ctx, "Opening case", move || case::open(&dir));
                }
                Command::CreateCase(dir, info) => {
                    self.settings.examiner = info.examiner.clone();
                    self.settings.organisation = info.organisation.clone();
                    self.screen = Screen::CASES;
                    self.start_case_job(ctx, "Creating case", move || case::create(&dir, info));
                }
                Command::CloseCase => {
                    self.case = None;
                    self.screen = Screen::CASES;
                }
                Command::RefreshCase => {
                    if let Some(c) = &self.case {
                        let dir = c.dir.clone();
                        self.start_case_job(ctx, "Refreshing case", move || case::open(&dir));
                    }
                }
                Command::Go(s) => self.screen = s,
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
                Command::UnlockArchive { archive, then } => {
                    self.unlock =
                        Some(UnlockDialog::new(archive, then.map(|b| *b), &self.settings));
                }
                // An encrypted archive is unlocked before a reader opens it.
                other
                    if other
                        .opened_archive()
                        .is_some_and(crate::archive::unlocked::is_locked) =>
                {
                    if let Some(p) = other.opened_archive() {
                        self.unlock = Some(UnlockDialog::new(
                            p.to_path_buf(),
                            Some(other),
                            &self.settings,
                        ));
                    }
                }
                other => self.route(ctx, other),
            }
        }
    }

    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        // The tabs sit beside the title only when they fit with what is on
        // the right (theme, UTC switch, the integrity mark, a case title
        // elided to a few words); otherwise (a laptop at 1024, a case with
        // a Hosts tab and a red mark at 1440) they get a row of their own,
        // so none is covered.
        let wide = ui.available_width() >= self.one_row_width(ui);
        ui.horizontal(|ui| {
            ui.label(RichText::new("Exhibit").heading().strong());
            ui.add_space(12.0);
            if wide {
                self.tabs_ui(ui);
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                self.case_and_theme_ui(ui);
            });
        });
        if !wide {
            ui.horizontal_wrapped(|ui| self.tabs_ui(ui));
        }
    }

    /// The width the title, the tabs and the right side need on one row.
    fn one_row_width(&self, ui: &egui::Ui) -> f32 {
        let text = |t: &str, font: egui::FontId| {
            ui.painter()
                .layout_no_wrap(t.to_string(), font, egui::Color32::WHITE)
                .size()
                .x
        };
        let gap = ui.spacing().item_spacing.x;
        let button = 2.0 * ui.spacing().button_padding.x + gap;
        let tabs: f32 = self
            .views
            .iter()
            .filter(|v| v.tab_shown())
            .map(|v| text(v.title(), egui::FontId::proportional(16.0)) + button)
            .sum();
        // Title and its space; theme menu, UTC switch and a short case
        // title on the right.
        let fixed = 110.0 + 450.0;
        let mark = if self.marked_in_use().is_empty() {
            0.0
        } else {
            text(
                crate::viewmodel::integrity::TOP_BAR_MARK,
                egui::TextStyle::Body.resolve(ui.style()),
            ) + 24.0
                + gap
        };
        fixed + tabs + mark
    }

    /// The screens' tabs, in list order, with their shortcuts on hover.
    fn tabs_ui(&mut self, ui: &mut egui::Ui) {
        for (i, v) in self.views.iter().enumerate() {
            if !v.tab_shown() {
                continue;
            }
            let (s, title) = (v.screen(), v.title());
            let hover = match Self::tab_shortcut(i) {
                Some(sc) => format!("{title} ({})", ui.ctx().format_shortcut(&sc)),
                None => title.to_string(),
            };
            let r = ui
                .selectable_label(self.screen == s, RichText::new(title).size(16.0))
                .on_hover_text(hover);
            if r.clicked() {
                self.screen = s;
            }
        }
    }

    /// Right of the title: theme, the UTC switch, the open case (elided).
    fn case_and_theme_ui(&mut self, ui: &mut egui::Ui) {
        let before = self.settings.theme;
        // Right to left: the menu first, so its label reads before it.
        let menu = egui::ComboBox::from_id_salt("theme")
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
            })
            .response;
        let label = ui.label("Theme");
        menu.labelled_by(label.id);
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
        let marked = self.marked_in_use();
        if !marked.is_empty() {
            widgets::badge(ui, Tone::Bad, crate::viewmodel::integrity::TOP_BAR_MARK).on_hover_text(
                marked
                    .iter()
                    .map(|(name, why)| format!("{name}: {why}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        match &self.case {
            Some(c) => {
                ui.add(
                    egui::Label::new(
                        RichText::new(if c.info.title.trim().is_empty() {
                            format!("Case {}", c.info.case_id)
                        } else {
                            format!("Case {} — {}", c.info.case_id, c.info.title)
                        })
                        .strong(),
                    )
                    .truncate(),
                )
                .on_hover_text(c.dir.display().to_string());
            }
            None => {
                ui.label(RichText::new("No case open").weak());
            }
        }
    }

    fn status_bar_ui(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let mut busy = Vec::new();
            if let Some(j) = &self.case_job {
                busy.push(j.title.clone());
            }
            if let Some(j) = &self.seal_job {
                busy.push(j.title.clone());
            }
            for v in &self.views {
                busy.extend(v.busy());
            }
            if busy.is_empty() {
                ui.label(RichText::new("Ready").weak());
            } else {
                ui.spinner();
                ui.label(busy.join(" · "));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.label(
                    RichText::new(
                        "Ctrl+1…9, 0 screens · Ctrl+N capture · Ctrl+O open archive · F5 refresh · Esc cancel",
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
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll_case_job();
        self.poll_seal_job();
        if self.case_job.is_none() {
            self.start_seal_job(ctx);
        }
        self.refresh_marks();
        let (mut vc, views) = self.frame_parts();
        for v in views {
            v.logic(ctx, &mut vc);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if self.applied_theme != Some(self.settings.theme) {
            theme::apply(&ctx, self.settings.theme.preference());
            self.applied_theme = Some(self.settings.theme);
        }
        self.shortcuts(&ctx);
        self.dropped_files(&ctx);

        egui::Panel::top("top_bar")
            .frame(egui::Frame::side_top_panel(ui.style()).inner_margin(8))
            .show(ui, |ui| self.top_bar_ui(ui));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            if !self.errors.is_empty() {
                self.errors_ui(ui);
                ui.add_space(6.0);
            }
            let marked = self.marked_in_use();
            if !marked.is_empty() {
                let text: Vec<String> = marked
                    .iter()
                    .map(|(name, why)| format!("{name}: {why}"))
                    .collect();
                widgets::message_box(
                    ui,
                    Tone::Bad,
                    &crate::viewmodel::integrity::archive_banner_title(marked.len()),
                    &text.join("\n"),
                );
                ui.add_space(4.0);
            }
            let screen = self.screen;
            let (mut vc, views) = self.frame_parts();
            if let Some(v) = views.iter_mut().find(|v| v.screen() == screen) {
                v.ui(ui, &mut vc);
            }
        });
        self.hovered_files_ui(ui);
        if let Some(d) = self.unlock.as_mut() {
            match d.ui(&ctx, &mut self.settings) {
                unlock::Outcome::Open => {}
                unlock::Outcome::Closed => self.unlock = None,
                unlock::Outcome::Unlocked(then) => {
                    self.unlock = None;
                    self.commands.extend(then);
                }
            }
        }
        self.apply_commands(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }
}
