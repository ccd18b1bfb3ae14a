//! The Evidence browser: any archive opened read-only. Acquisition summary
//! (who, when, where, why, how); a virtualized file table that stays smooth
//! with a million rows (sorted and filtered in a background job); a folder
//! tree; and a preview pane showing text with line numbers or a hex dump,
//! capped in size. Nothing from the archive is executed or rendered as
//! markup: content is shown as plain monospace text only.

pub use crate::viewmodel::browser as model;

use crate::archive::record::or_unknown;
use crate::archive::{Acquisition, EntryType, FileRecord, Status};
use crate::gui::context::{Command, Screen, Settings, View, ViewCtx};
use crate::gui::derived::Derived;
use crate::gui::jobs::{Job, PickKind};
use crate::gui::theme::{self, Tone};
use crate::gui::widgets::{self, PathField};
use crate::tz::{DisplayZone, Precision};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use std::path::PathBuf;
use std::sync::Arc;

pub use model::{
    FolderNode, FolderTree, HEX_WIDTH, LoadEvent, LoadPacing, LoadRest, Loaded, PREVIEW_CAP_BYTES,
    Partial, Preview, PreviewBody, SortKey, TREE_CHILD_CAP, ViewQuery, hex_line, load_preview,
    run_query,
};

/// State of the Evidence screen.
pub struct BrowserView {
    pub path: PathField,
    load: Option<Job<LoadRest>>,
    /// The records the load job sends while it runs.
    load_events: Option<std::sync::mpsc::Receiver<LoadEvent>>,
    /// The archive being opened.
    opening: Option<PathBuf>,
    /// What is read of the archive being opened: shown (and browsable)
    /// until `loaded` takes its place.
    pub partial: Option<Partial>,
    /// How the load job hands out records (tests hold it mid-way).
    pub load_pacing: LoadPacing,
    /// The whole archive, once every record is read and the archive's
    /// structure checked.
    pub loaded: Option<Loaded>,
    /// Builds the folder tree when it is first shown.
    tree_job: Option<Job<FolderTree>>,
    pub query: ViewQuery,
    /// The rows of `query`, recomputed in the background.
    rows_job: Derived<ViewQuery, Vec<u32>>,
    /// Indices into `records`, in display order.
    pub rows: Vec<u32>,
    pub selected: Option<usize>,
    preview_job: Option<Job<Preview>>,
    pub preview: Option<Result<Preview, String>>,
    pub show_tree: bool,
    pub error: Option<String>,
    open_dialog_requested: bool,
    /// The zone times are shown in (from the frame's [`ViewCtx`]).
    zone: DisplayZone,
    /// A file to select once the archive is loaded, and the line that led
    /// there (a jump from a log event).
    pending_select: Option<(String, Option<u64>)>,
    /// The file and line a jump selected, shown in the preview.
    pub jumped_to: Option<(usize, Option<u64>)>,
    /// The preview still has to scroll to the jumped-to line (once, when
    /// it has loaded; the user scrolls freely afterwards).
    scroll_to_line: bool,
    /// The Extract bar is shown.
    pub show_extract: bool,
    /// Where "Extract" writes.
    pub extract_to: PathField,
    extract_job: Option<Job<Extraction>>,
    /// The last extraction, shown under its button.
    pub extract_result: Option<Result<Extraction, String>>,
    /// Ctrl+F in the preview.
    pub find: PreviewFind,
}

/// Most occurrences Ctrl+F counts in a preview.
pub const FIND_MAX_HITS: usize = 100_000;

/// The preview's find bar (Ctrl+F): the text, its occurrences (rows) in
/// the preview shown, the current one.
#[derive(Debug, Default)]
pub struct PreviewFind {
    pub open: bool,
    pub text: String,
    /// Row of each occurrence, in order.
    pub hits: Vec<usize>,
    /// Index into `hits`.
    pub current: usize,
    /// What `hits` was computed for: (record, text).
    key: Option<(usize, String)>,
    /// Scroll the preview to the current occurrence (once).
    scroll: bool,
    focus: bool,
}

/// An extraction and its custody event (or why it was not recorded).
#[derive(Debug, Clone)]
pub struct Extraction {
    pub report: crate::extract::ExtractReport,
    pub custody: Result<String, String>,
}

impl View for BrowserView {
    fn screen(&self) -> Screen {
        Screen::EVIDENCE
    }

    fn title(&self) -> &'static str {
        "Evidence"
    }

    fn ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        let ctx = ui.ctx().clone();
        self.zone = vc.zone;
        if self.open_dialog_requested {
            self.open_dialog_requested = false;
        }
        self.open_bar_ui(ui, vc);
        let opened = self
            .partial
            .as_ref()
            .is_some_and(|p| p.acquisition.is_some());
        if let Some(job) = &self.load {
            if !opened {
                // Until the archive's index is read there is nothing to show.
                widgets::cancellable_job_ui(ui, job);
                return;
            }
            if let Some(p) = &self.partial {
                loading_strip_ui(ui, job, p);
            }
        }
        if let Some(e) = &self.error {
            widgets::message_box(ui, Tone::Bad, "Cannot open this archive", e);
        }
        if self.loaded.is_none() && !opened {
            return;
        }
        self.select_pending(&ctx);
        self.refresh_rows(&ctx);
        self.summary_ui(ui);
        self.filter_bar_ui(ui);
        if self.show_extract {
            self.extract_ui(ui, vc);
        }
        if self.show_tree {
            egui::Panel::left("folder_tree")
                .resizable(true)
                .default_size(widgets::side_width(ui, 0.2, 180.0, 260.0))
                .show(ui, |ui| self.tree_ui(ui));
        }
        egui::Panel::right("preview_pane")
            .resizable(true)
            .default_size(widgets::side_width(ui, 0.38, 300.0, 460.0))
            .show(ui, |ui| self.preview_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            // Narrow windows scroll the columns sideways instead of hiding them.
            egui::ScrollArea::horizontal()
                .id_salt("evidence_table_h")
                .show(ui, |ui| self.table_ui(ui));
        });
    }

    fn logic(&mut self, ctx: &egui::Context, vc: &mut ViewCtx<'_>) {
        self.poll_jobs(ctx, vc.commands);
    }

    fn archives_in_use(&self) -> Vec<PathBuf> {
        self.loaded
            .iter()
            .map(|l| l.path.clone())
            .chain(self.opening.clone())
            .collect()
    }

    fn busy(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(j) = &self.load {
            v.push(j.title.clone());
        }
        v.extend(self.rows_job.busy());
        if let Some(j) = &self.tree_job {
            v.push(j.title.clone());
        }
        if let Some(j) = &self.extract_job {
            v.push(j.title.clone());
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
            Command::PickArchive => self.request_open_dialog(ctx),
            Command::OpenArchive(p) => self.open(ctx, p),
            Command::OpenArchiveAt(p, path) => {
                self.open(ctx, p);
                self.query.text = path;
            }
            Command::OpenArchiveLine {
                archive,
                path,
                line,
            } => self.open_at(ctx, archive, path, line),
            other => return Some(other),
        }
        None
    }
}

impl Default for BrowserView {
    fn default() -> Self {
        Self {
            path: PathField::default(),
            load: None,
            load_events: None,
            opening: None,
            partial: None,
            load_pacing: LoadPacing::default(),
            loaded: None,
            tree_job: None,
            query: ViewQuery::default(),
            rows_job: Derived::new("Filtering"),
            rows: Vec::new(),
            selected: None,
            preview_job: None,
            preview: None,
            show_tree: false,
            error: None,
            open_dialog_requested: false,
            zone: DisplayZone::default(),
            pending_select: None,
            jumped_to: None,
            scroll_to_line: false,
            show_extract: false,
            extract_to: PathField::default(),
            extract_job: None,
            extract_result: None,
            find: PreviewFind::default(),
        }
    }
}

impl BrowserView {
    /// Open the file dialog next frame (Ctrl+O).
    pub fn request_open_dialog(&mut self, _ctx: &egui::Context) {
        self.open_dialog_requested = true;
    }

    /// Open an archive (unless it is the one loaded) and select the file at
    /// `member_path` (a logical path), noting the line that led there.
    pub fn open_at(
        &mut self,
        ctx: &egui::Context,
        archive: PathBuf,
        member_path: String,
        line: Option<u64>,
    ) {
        let loaded = self.loaded.as_ref().is_some_and(|l| l.path == archive);
        if !loaded {
            self.open(ctx, archive);
        }
        self.pending_select = Some((member_path, line));
    }

    /// Select the pending file once the archive is loaded.
    fn select_pending(&mut self, ctx: &egui::Context) {
        let Some(l) = &self.loaded else { return };
        let Some((path, line)) = self.pending_select.take() else {
            return;
        };
        match model::find_path(&l.records, &path) {
            Some(idx) => {
                self.query = ViewQuery::default();
                self.select(ctx, idx);
                self.jumped_to = Some((idx, line));
                self.scroll_to_line = line.is_some();
            }
            None => {
                self.error = Some(format!("no file with this path in the archive: {path}"));
            }
        }
    }

    /// Load an archive in the background: its records are shown as they
    /// are read, the archive's index and sealed manifest are read meanwhile
    /// (previews, extraction, filters and sorting wait for them).
    pub fn open(&mut self, ctx: &egui::Context, path: PathBuf) {
        if let Some(j) = &self.load {
            j.cancel();
        }
        self.path.text = path.display().to_string();
        self.error = None;
        self.loaded = None;
        self.tree_job = None;
        self.rows.clear();
        self.selected = None;
        self.preview = None;
        self.rows_job.invalidate();
        self.query.folder = None;
        self.jumped_to = None;
        let (tx, rx) = std::sync::mpsc::channel();
        self.load_events = Some(rx);
        self.partial = Some(Partial::default());
        self.opening = Some(path.clone());
        let pacing = self.load_pacing.clone();
        let wake = ctx.clone();
        self.load = Some(Job::spawn(ctx, "Opening archive", move |sink, cancel| {
            let send = move |e: LoadEvent| {
                let _ = tx.send(e);
                wake.request_repaint();
            };
            model::load_archive_streaming(path, &pacing, &send, sink, cancel)
        }));
    }

    /// Take in the records the load job sent since the last frame.
    fn drain_load_events(&mut self) {
        if let (Some(rx), Some(p)) = (&self.load_events, &mut self.partial) {
            while let Ok(e) = rx.try_recv() {
                p.apply(e);
            }
        }
    }

    /// The records shown: all of them once loaded, else those read so far.
    pub fn records(&self) -> &[FileRecord] {
        match (&self.loaded, &self.partial) {
            (Some(l), _) => &l.records,
            (None, Some(p)) => &p.records,
            (None, None) => &[],
        }
    }

    /// True while the archive's records are still being read.
    pub fn loading(&self) -> bool {
        self.load.is_some()
    }

    fn poll_jobs(&mut self, ctx: &egui::Context, _commands: &mut Vec<Command>) {
        self.drain_load_events();
        if let Some(job) = self.load.as_mut()
            && let Some(r) = job.poll()
        {
            let cancelled = job.is_cancelling();
            self.load = None;
            // Everything the job sent came before its result.
            self.drain_load_events();
            self.load_events = None;
            let partial = self.partial.take().unwrap_or_default();
            let path = self.opening.take();
            match r {
                Ok(rest) => {
                    self.loaded = Some(Loaded {
                        path: path.unwrap_or_else(|| PathBuf::from(&self.path.text)),
                        archive: rest.archive,
                        acquisition: partial
                            .acquisition
                            .unwrap_or_else(|| Err("not read".into())),
                        // Moved, not copied: the rows and the selection
                        // made while loading stay valid.
                        records: Arc::new(partial.records),
                        bad_lines: partial.bad_lines,
                        tree: None,
                        manifest: rest.manifest,
                    });
                    if let Some(i) = self.selected {
                        self.select(ctx, i);
                    }
                }
                Err(_) if cancelled => {
                    self.selected = None;
                    self.error =
                        Some("Opening was cancelled: nothing of this archive is shown.".into());
                }
                Err(e) => {
                    self.selected = None;
                    self.error = Some(e);
                }
            }
        }
        if let Some(r) = crate::gui::jobs::poll_slot(&mut self.tree_job)
            && let Some(l) = self.loaded.as_mut()
        {
            // A tree that failed to build is asked for again when shown.
            l.tree = r.ok();
        }
        if let Some(rows) = self.rows_job.poll() {
            self.rows = rows;
        }
        if let Some(job) = self.preview_job.as_mut()
            && let Some(r) = job.poll()
        {
            self.preview_job = None;
            self.preview = Some(r);
        }
        if let Some(r) = crate::gui::jobs::poll_slot(&mut self.extract_job) {
            self.extract_result = Some(r);
        }
    }

    /// Ask for the rows of the current query (a job starts only when it
    /// changed).
    fn refresh_rows(&mut self, ctx: &egui::Context) {
        let Some(l) = &self.loaded else { return };
        let records = &l.records;
        self.rows_job.request(ctx, &self.query, || {
            let records = Arc::clone(records);
            let q = self.query.clone();
            move || Ok(run_query(&records, &q))
        });
    }

    fn select(&mut self, ctx: &egui::Context, idx: usize) {
        let Some(l) = &self.loaded else {
            // While loading: the record's details now, its preview once
            // the archive is open.
            self.selected = Some(idx);
            self.preview = None;
            self.preview_job = None;
            return;
        };
        self.selected = Some(idx);
        if l.records.get(idx).is_none() {
            return;
        }
        let member = model::content_member(&l.records, idx);
        let archive = Arc::clone(&l.archive);
        let manifest = Arc::clone(&l.manifest);
        self.preview = None;
        self.preview_job = Some(Job::spawn(ctx, "Loading preview", move |_, _| {
            load_preview(&archive, &manifest, idx, member)
        }));
    }

    fn open_bar_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        ui.horizontal_wrapped(|ui| {
            let changed = self.path.ui(
                ui,
                "Archive",
                PickKind::Archive,
                "/cases/IR-7/IR-7_E01_host_….zip",
            );
            let open = ui.button("Open archive").clicked();
            let picked = changed
                && crate::archive::is_archive_name(std::path::Path::new(&self.path.text))
                && self.loaded.is_none()
                && self.load.is_none();
            if open || picked {
                match self.path.path() {
                    Some(p) => vc.commands.push(Command::OpenArchive(p)),
                    None => {
                        self.error =
                            Some("type or choose an archive (.zip or .zip.age) first".into())
                    }
                }
            }
            if let Some(l) = &self.loaded {
                if ui.button("Verify this archive").clicked() {
                    vc.commands.push(Command::VerifyArchive(l.path.clone()));
                }
                if ui.button("Custody of this archive").clicked() {
                    vc.commands.push(Command::ShowCustody(l.path.clone()));
                }
                ui.toggle_value(&mut self.show_extract, "Extract…")
                    .on_hover_text(
                        "Copy the selected file or folder out of the archive, checked against \
                         the seal, and record it in the custody log",
                    );
            }
        });
        if self.loaded.is_none()
            && self.load.is_none()
            && let Some(case) = vc.case
            && !case.archives.is_empty()
        {
            ui.label("Archives of this case:");
            for a in &case.archives {
                if a.verification == crate::case::custody_log::VerificationState::Incomplete {
                    continue;
                }
                if ui.link(a.file_name()).clicked() {
                    vc.commands.push(Command::OpenArchive(a.path.clone()));
                }
            }
        }
    }

    fn summary_ui(&mut self, ui: &mut Ui) {
        let (path, acquisition, bad_lines) = match (&self.loaded, &self.partial, &self.opening) {
            (Some(l), _, _) => (&l.path, Some(&l.acquisition), &l.bad_lines),
            (None, Some(p), Some(path)) => (path, p.acquisition.as_ref(), &p.bad_lines),
            _ => return,
        };
        let Some(acquisition) = acquisition else {
            return;
        };
        let title = format!(
            "Acquisition — {}",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
        egui::CollapsingHeader::new(RichText::new(title).strong())
            .id_salt("acq_summary")
            .default_open(true)
            .show(ui, |ui| match acquisition {
                Err(e) => widgets::message_box(ui, Tone::Bad, "No readable acquisition record", e),
                Ok(a) => acquisition_grid(ui, a, self.zone),
            });
        if !bad_lines.is_empty() {
            widgets::message_box(
                ui,
                Tone::Bad,
                &format!(
                    "{} record lines in files.jsonl could not be read",
                    bad_lines.len()
                ),
                &bad_lines
                    .iter()
                    .take(5)
                    .map(|(n, e)| format!("line {n}: {e}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
    }

    fn filter_bar_ui(&mut self, ui: &mut Ui) {
        let total = self.records().len();
        let loading = self.loaded.is_none();
        ui.horizontal(|ui| {
            // Filters and sorting need every record: they wait for the load.
            ui.add_enabled_ui(!loading, |ui| self.filter_controls_ui(ui));
            if loading {
                ui.label(format!(
                    "{} entries read so far",
                    widgets::thousands(total as u64)
                ))
                .on_hover_text("Filtering, sorting and previews start once every entry is read");
                return;
            }
            let shown = if self.rows_job.shown().is_some() || self.query == ViewQuery::default() {
                self.rows().len()
            } else {
                0
            };
            ui.label(format!(
                "{} of {} entries",
                widgets::thousands(shown as u64),
                widgets::thousands(total as u64)
            ));
            if self.rows_job.is_running() {
                ui.spinner();
            }
        });
    }

    /// The rows shown, in display order: every record in file order until a
    /// query's rows are computed (that is the default query's answer).
    fn rows(&self) -> Rows<'_> {
        let all = Rows::All(self.records().len());
        if self.loaded.is_none() {
            return all;
        }
        if self.rows_job.shown().is_none() && self.query == ViewQuery::default() {
            return all;
        }
        Rows::Some(&self.rows)
    }

    fn filter_controls_ui(&mut self, ui: &mut Ui) {
        {
            let l = ui.label("Filter paths");
            ui.add(
                egui::TextEdit::singleline(&mut self.query.text)
                    .hint_text("part of a path or a SHA-256 prefix")
                    .desired_width(280.0),
            )
            .labelled_by(l.id);
            // Labels before their menus, as they read.
            let status_label = ui.label("Status");
            egui::ComboBox::from_id_salt("evidence-status")
                .selected_text(self.query.status.map_or("any status", Status::as_str))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.query.status, None, "any status");
                    for s in [
                        Status::Captured,
                        Status::ChangedDuringRead,
                        Status::Unreadable,
                        Status::Vanished,
                        Status::Skipped,
                        Status::MetadataOnly,
                    ] {
                        ui.selectable_value(&mut self.query.status, Some(s), s.as_str());
                    }
                })
                .response
                .labelled_by(status_label.id);
            let type_label = ui.label("Type");
            egui::ComboBox::from_id_salt("evidence-type")
                .selected_text(self.query.kind.map_or("any type".to_string(), kind_name))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.query.kind, None, "any type");
                    for k in [
                        EntryType::File,
                        EntryType::Dir,
                        EntryType::Symlink,
                        EntryType::Fifo,
                        EntryType::Socket,
                        EntryType::Block,
                        EntryType::Char,
                    ] {
                        ui.selectable_value(&mut self.query.kind, Some(k), kind_name(k));
                    }
                })
                .response
                .labelled_by(type_label.id);
            ui.toggle_value(&mut self.show_tree, "Folder tree");
            if let Some(f) = self.query.folder.clone() {
                ui.label(format!("in {f}"));
                if ui.small_button("Clear folder").clicked() {
                    self.query.folder = None;
                }
            }
        }
    }

    fn tree_ui(&mut self, ui: &mut Ui) {
        let Some(l) = &self.loaded else {
            widgets::hint(ui, "The folder tree is built once every entry is read.");
            return;
        };
        let Some(tree) = &l.tree else {
            // Built on first show, in the background.
            if self.tree_job.is_none() {
                let records = Arc::clone(&l.records);
                self.tree_job = Some(Job::spawn(
                    ui.ctx(),
                    "Building the folder tree",
                    move |_, _| Ok(FolderTree::build(&records)),
                ));
            }
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Building the folder tree…");
            });
            return;
        };
        let mut chosen = None;
        egui::ScrollArea::both()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                tree_node_ui(ui, tree, 0, self.query.folder.as_deref(), &mut chosen, 0);
            });
        if let Some(f) = chosen {
            self.query.folder = Some(f);
        }
    }

    fn table_ui(&mut self, ui: &mut Ui) {
        let records = self.records();
        let rows = self.rows();
        let loading = self.loaded.is_none();
        let mut clicked = None;
        let q = &self.query;
        let header = |h: &mut egui_extras::TableRow<'_, '_>, title: &str, key: SortKey| -> bool {
            let mut clicked = false;
            h.col(|ui| {
                let arrow = match (q.sort == key, q.descending) {
                    (true, false) => " (asc)",
                    (true, true) => " (desc)",
                    _ => "",
                };
                clicked = ui
                    .add(
                        egui::Button::new(RichText::new(format!("{title}{arrow}")).strong())
                            .frame(false),
                    )
                    .on_hover_text(if loading {
                        "Sorting starts once every entry is read".to_string()
                    } else {
                        format!("Sort by {title}")
                    })
                    .clicked();
            });
            clicked
        };
        let selected = self.selected;
        let zone = self.zone;
        let modified_title = format!("Modified ({})", zone.name());
        let mut sort_clicked = None;
        TableBuilder::new(ui)
            .id_salt("evidence_table")
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .column(Column::initial(420.0).at_least(120.0).clip(true))
            .column(Column::initial(48.0).clip(true))
            .column(Column::initial(70.0).clip(true))
            .column(Column::initial(150.0).clip(true))
            .column(Column::initial(46.0).clip(true))
            .column(Column::initial(60.0).clip(true))
            .column(Column::initial(80.0).clip(true))
            .column(Column::remainder().at_least(90.0).clip(true))
            .header(24.0, |mut h| {
                for (title, key) in [
                    ("Path", SortKey::Path),
                    ("Type", SortKey::Type),
                    ("Size", SortKey::Size),
                    (modified_title.as_str(), SortKey::Mtime),
                    ("Mode", SortKey::Mode),
                    ("Owner", SortKey::Owner),
                    ("Status", SortKey::Status),
                    ("SHA-256", SortKey::Sha256),
                ] {
                    if header(&mut h, title, key) {
                        sort_clicked = Some(key);
                    }
                }
            })
            .body(|body| {
                body.rows(22.0, rows.len(), |mut row| {
                    let Some(ri) = rows.get(row.index()) else {
                        return;
                    };
                    let Some(r) = records.get(ri) else { return };
                    row.set_selected(selected == Some(ri));
                    row.col(|ui| {
                        // Long paths lose their middle, never their file name.
                        widgets::path_label(ui, &r.path, 0.0);
                    });
                    row.col(|ui| {
                        ui.label(kind_name(r.kind));
                    });
                    row.col(|ui| {
                        ui.label(widgets::human_bytes(r.size))
                            .on_hover_text(format!("{} bytes", r.size));
                    });
                    row.col(|ui| {
                        ui.label(short_time(r.mtime.as_deref(), zone));
                    });
                    row.col(|ui| {
                        ui.label(RichText::new(&r.mode).monospace());
                    });
                    row.col(|ui| {
                        ui.label(r.user.clone().unwrap_or_else(|| or_unknown(r.uid)));
                    });
                    row.col(|ui| {
                        let c = widgets::status_color(ui, r.status);
                        ui.label(RichText::new(r.status.as_str()).color(c));
                    });
                    row.col(|ui| {
                        let h = r.sha256.as_deref().unwrap_or("");
                        ui.add(
                            egui::Label::new(RichText::new(h).monospace())
                                .truncate()
                                .selectable(false),
                        );
                    });
                    if row.response().clicked() {
                        clicked = Some(ri);
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
        let mut moved = None;
        if (up || down)
            && ui.ctx().memory(|m| m.focused().is_none())
            && let Some(sel) = self.selected
            && let Some(pos) = rows.position(sel)
        {
            let next = if down { pos + 1 } else { pos.saturating_sub(1) };
            moved = rows.get(next);
        }
        if let Some(key) = sort_clicked
            && !loading
        {
            if self.query.sort == key {
                self.query.descending = !self.query.descending;
            } else {
                self.query.sort = key;
                self.query.descending = false;
            }
        }
        if let Some(ri) = clicked.or(moved) {
            self.select(ui.ctx(), ri);
        }
    }

    /// What "Extract" takes: the selected entry, else the folder shown,
    /// else the whole archive.
    pub fn extract_target(&self) -> String {
        let l = self.loaded.as_ref();
        self.selected
            .and_then(|i| l.and_then(|l| l.records.get(i)))
            .map(|r| r.path.clone())
            .or_else(|| self.query.folder.clone())
            .unwrap_or_else(|| "/".into())
    }

    fn extract_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        let Some(l) = &self.loaded else { return };
        let target = self.extract_target();
        ui.horizontal_wrapped(|ui| {
            ui.label("To extract:");
            ui.label(
                RichText::new(crate::viewmodel::format::elide_middle(&target, 60))
                    .monospace()
                    .strong(),
            )
            .on_hover_text(format!(
                "{target}\nThe selected entry (a file, or a folder with everything below \
                     it); with none, the folder chosen in the tree; else the whole archive."
            ));
        });
        ui.horizontal_wrapped(|ui| {
            self.extract_to.ui(
                ui,
                "Extract to",
                PickKind::Folder,
                "a folder on the examination disk",
            );
            let busy = self.extract_job.is_some();
            if ui
                .add_enabled(!busy, egui::Button::new("Extract"))
                .on_hover_text(
                    "Each file's SHA-256 is checked against the sealed manifest on the way \
                     out; a file that differs is written as NAME.HASH-MISMATCH; nothing is \
                     overwritten; an 'exported' event goes to the custody log",
                )
                .clicked()
            {
                match self.extract_to.path() {
                    None => self.extract_result = Some(Err("choose a folder to extract to".into())),
                    Some(to) => {
                        let archive = Arc::clone(&l.archive);
                        let records = Arc::clone(&l.records);
                        let manifest = Arc::clone(&l.manifest);
                        let archive_path = l.path.clone();
                        let actor = crate::custody::Actor {
                            name: if vc.settings.examiner.trim().is_empty() {
                                "unknown".into()
                            } else {
                                vc.settings.examiner.trim().into()
                            },
                            organisation: Some(vc.settings.organisation.trim().to_string())
                                .filter(|o| !o.is_empty()),
                            ..crate::custody::Actor::default()
                        };
                        let key = Some(vc.settings.signing_key.trim().to_string())
                            .filter(|k| !k.is_empty())
                            .map(PathBuf::from);
                        let req = crate::extract::ExtractRequest {
                            paths: vec![target.clone()],
                            to,
                        };
                        self.extract_result = None;
                        self.extract_job =
                            Some(Job::spawn(ui.ctx(), "Extracting", move |sink, cancel| {
                                let signer = key
                                    .as_deref()
                                    .map(crate::gui::keyring::load_signer)
                                    .transpose()?;
                                let report = crate::extract::extract(
                                    &archive, &records, &manifest, &req, sink, cancel,
                                )?;
                                let custody = crate::extract::record_export(
                                    &archive_path,
                                    &report,
                                    actor,
                                    signer.as_deref(),
                                )
                                .map(|e| e.label())
                                .map_err(|e| format!("{e:#}"));
                                Ok(Extraction { report, custody })
                            }));
                    }
                }
            }
        });
        if let Some(j) = &self.extract_job {
            widgets::cancellable_job_ui(ui, j);
        }
        match &self.extract_result {
            None => {}
            Some(Err(e)) => widgets::message_box(ui, Tone::Bad, "Nothing extracted", e),
            Some(Ok(x)) => {
                let r = &x.report;
                let tone = if r.clean() && x.custody.is_ok() {
                    Tone::Good
                } else {
                    Tone::Bad
                };
                let mut text = r.summary();
                for f in r
                    .files
                    .iter()
                    .filter(|f| f.check == crate::extract::Check::Mismatch)
                    .take(5)
                {
                    text.push_str(&format!(
                        "\nNot as sealed: {} (written as {})",
                        f.path, f.written
                    ));
                }
                for s in r.skipped.iter().take(5) {
                    text.push_str(&format!("\nSkipped: {}: {}", s.path, s.reason));
                }
                if let Some(list) = &r.list_file {
                    text.push_str(&format!("\nHash list: {}", list.display()));
                }
                match &x.custody {
                    Ok(label) => text.push_str(&format!("\nCustody log: recorded {label}")),
                    Err(e) => text.push_str(&format!("\nNot recorded in the custody log: {e}")),
                }
                let title = if tone == Tone::Good {
                    "Extracted and checked"
                } else {
                    "Extracted with problems"
                };
                widgets::message_box(ui, tone, title, &text);
                let to = r.to.clone();
                if ui.button("Open the folder").clicked()
                    && let Err(e) = widgets::open_with_system(&to)
                {
                    self.extract_result = Some(Err(format!("cannot open {}: {e}", to.display())));
                }
            }
        }
        ui.separator();
    }

    fn preview_ui(&mut self, ui: &mut Ui) {
        let Some(idx) = self.selected else {
            widgets::hint(
                ui,
                "Select a file to see its details and a preview of its content.",
            );
            return;
        };
        let Some(r) = self.records().get(idx) else {
            return;
        };
        ui.label(RichText::new(&r.path).monospace().strong());
        if let Some((j, Some(line))) = self.jumped_to
            && j == idx
        {
            ui.label(widgets::toned(
                ui,
                Tone::Info,
                format!("Opened from the event at line {line} of this file"),
            ));
        }
        ui.horizontal(|ui| {
            widgets::copy_button(ui, "Copy path", &r.path);
            if let Some(h) = &r.sha256 {
                widgets::copy_button(ui, "Copy SHA-256", h);
            }
        });
        ui.horizontal(|ui| {
            widgets::badge(ui, widgets::status_tone(r.status), r.status.as_str());
            ui.label(format!(
                "{} · {} bytes · mode {}",
                kind_name(r.kind),
                widgets::thousands(r.size),
                r.mode
            ));
        });
        egui::CollapsingHeader::new("All record fields")
            .id_salt("record_details")
            .default_open(false)
            .show(ui, |ui| record_grid(ui, r, self.zone));
        ui.separator();
        if self.loaded.is_none() {
            ui.horizontal(|ui| {
                ui.spinner();
                widgets::hint(
                    ui,
                    "The content preview opens once the archive is fully read.",
                );
            });
            return;
        }
        match (&self.preview_job, &self.preview) {
            (Some(_), _) => {
                ui.spinner();
            }
            (None, Some(Err(e))) => widgets::message_box(ui, Tone::Bad, "Cannot preview", e),
            (None, Some(Ok(p))) if p.record == idx => {
                let focus = match self.jumped_to {
                    Some((j, line)) if j == idx => line,
                    _ => None,
                };
                find_bar_ui(ui, &mut self.find, p);
                preview_body_ui(ui, p, focus, &mut self.scroll_to_line, &mut self.find);
            }
            _ => {}
        }
    }
}

/// The table's rows in display order: every record in file order, or the
/// record indices a query returned.
#[derive(Clone, Copy)]
enum Rows<'a> {
    All(usize),
    Some(&'a [u32]),
}

impl Rows<'_> {
    fn len(self) -> usize {
        match self {
            Rows::All(n) => n,
            Rows::Some(v) => v.len(),
        }
    }

    /// The record shown at row `i`.
    fn get(self, i: usize) -> Option<usize> {
        match self {
            Rows::All(n) => (i < n).then_some(i),
            Rows::Some(v) => v.get(i).map(|&r| r as usize),
        }
    }

    /// The row showing record `record`.
    fn position(self, record: usize) -> Option<usize> {
        match self {
            Rows::All(n) => (record < n).then_some(record),
            Rows::Some(v) => v.iter().position(|&r| r as usize == record),
        }
    }
}

/// One line over the table while the records are still read: what the
/// job does, how many entries are in, how far it is, and Cancel.
fn loading_strip_ui(ui: &mut Ui, job: &Job<LoadRest>, p: &Partial) {
    ui.horizontal_wrapped(|ui| {
        ui.spinner();
        let phase = if job.progress.phase.is_empty() {
            "reading the file records"
        } else {
            job.progress.phase
        };
        ui.label(RichText::new(format!("Still loading — {phase}")).strong());
        ui.add(
            egui::ProgressBar::new(p.fraction())
                .show_percentage()
                .desired_width(160.0),
        );
        ui.label(format!(
            "{} entries read",
            widgets::thousands(p.records.len() as u64)
        ));
        if job.is_cancelling() {
            ui.label(widgets::toned(ui, Tone::Warn, "Cancelling…"));
        } else if ui
            .button(RichText::new("Cancel opening").color(theme::tone_color(ui, Tone::Bad)))
            .on_hover_text("Stop reading this archive; nothing of it stays shown")
            .clicked()
        {
            job.cancel();
        }
    });
}

fn kind_name(k: EntryType) -> String {
    match k {
        EntryType::File => "file",
        EntryType::Dir => "dir",
        EntryType::Symlink => "symlink",
        EntryType::Fifo => "fifo",
        EntryType::Socket => "socket",
        EntryType::Block => "block",
        EntryType::Char => "char",
    }
    .to_string()
}

/// `2026-11-22T23:01:00.123456789Z` → `2026-11-22 23:01:00`.
/// A record time for the table: seconds, in the display zone, without the
/// zone suffix (the column header names the zone).
fn short_time(t: Option<&str>, zone: DisplayZone) -> String {
    match t {
        None => "—".into(),
        Some(s) => {
            let shown = zone.format_stored(s, Precision::Seconds);
            match shown.rsplit_once(' ') {
                Some((time, _zone)) if shown != s => time.to_string(),
                _ => shown,
            }
        }
    }
}

fn tree_node_ui(
    ui: &mut Ui,
    tree: &FolderTree,
    id: usize,
    current: Option<&str>,
    chosen: &mut Option<String>,
    depth: usize,
) {
    let Some(node) = tree.nodes.get(id) else {
        return;
    };
    let label = format!("{}  ({})", node.name, widgets::thousands(node.entries));
    let selected = current == Some(node.path.as_str());
    if node.children.is_empty() || depth > 64 {
        if ui.selectable_label(selected, label).clicked() {
            *chosen = Some(node.path.clone());
        }
        return;
    }
    let state = egui::collapsing_header::CollapsingState::load_with_default_open(
        ui.ctx(),
        ui.make_persistent_id(("folder", &node.path)),
        id == 0,
    );
    state
        .show_header(ui, |ui| {
            if ui.selectable_label(selected, label).clicked() {
                *chosen = Some(node.path.clone());
            }
        })
        .body(|ui| {
            for &c in node.children.iter().take(TREE_CHILD_CAP) {
                tree_node_ui(ui, tree, c, current, chosen, depth + 1);
            }
            if node.children.len() > TREE_CHILD_CAP {
                ui.label(format!(
                    "… {} more folders (use the filter)",
                    node.children.len() - TREE_CHILD_CAP
                ));
            }
        });
}

fn grid_row(ui: &mut Ui, k: &str, v: impl Into<String>) -> egui::Response {
    ui.label(RichText::new(k).weak());
    let r = ui.add(egui::Label::new(v.into()).wrap().selectable(true));
    ui.end_row();
    r
}

fn acquisition_grid(ui: &mut Ui, a: &Acquisition, zone: DisplayZone) {
    ui.columns(3, |cols| {
        let [c1, c2, c3] = cols else { return };
        egui::Grid::new("acq_who_when")
            .num_columns(2)
            .show(c1, |ui| {
                let e = &a.examiner;
                grid_row(ui, "Who", &e.name);
                grid_row(
                    ui,
                    "Organisation",
                    e.organisation.clone().unwrap_or_default(),
                );
                grid_row(
                    ui,
                    "Started",
                    zone.format_stored(&a.started_at, Precision::Full),
                )
                .on_hover_text(&a.started_at);
                grid_row(
                    ui,
                    "Finished",
                    zone.format_stored(&a.finished_at, Precision::Full),
                )
                .on_hover_text(&a.finished_at);
                grid_row(ui, "Examiner time zone", &e.timezone);
            });
        egui::Grid::new("acq_where_why")
            .num_columns(2)
            .show(c2, |ui| {
                let h = &a.host;
                grid_row(ui, "Host", h.hostname.clone().unwrap_or_default());
                grid_row(ui, "OS", h.os.clone().unwrap_or_default());
                grid_row(ui, "Kernel", h.kernel.clone().unwrap_or_default());
                grid_row(
                    ui,
                    "Source",
                    if h.from_target_root {
                        "mounted image / copied tree"
                    } else {
                        "live system"
                    },
                );
                grid_row(
                    ui,
                    "Case / evidence",
                    format!("{} / {}", a.case.case_id, a.case.evidence_id),
                );
                grid_row(ui, "Purpose", a.case.purpose.clone().unwrap_or_default());
            });
        egui::Grid::new("acq_how").num_columns(2).show(c3, |ui| {
            let m = &a.method;
            grid_row(
                ui,
                "Tool",
                format!("{} {} ({})", m.tool, m.tool_version, m.interface),
            );
            grid_row(ui, "Sources", m.sources.join(", "));
            if let Some(r) = &m.root {
                grid_row(ui, "Image root", r);
            }
            if !m.profiles.is_empty() {
                grid_row(ui, "Profiles", m.profiles.join(", "));
            }
            let c = &a.counts;
            grid_row(
                ui,
                "Captured",
                format!(
                    "{} files, {} of {} entries",
                    widgets::thousands(c.files_captured),
                    widgets::human_bytes(c.bytes_captured),
                    widgets::thousands(c.entries)
                ),
            );
            let problems = c.unreadable + c.vanished + c.changed_during_read;
            ui.label(RichText::new("Problems").weak());
            if problems == 0 && a.errors.is_empty() {
                ui.label(widgets::toned(ui, Tone::Good, "none"));
            } else {
                ui.label(widgets::toned(
                    ui,
                    Tone::Warn,
                    format!(
                        "{} unreadable, {} vanished, {} changed during read, {} skipped",
                        c.unreadable, c.vanished, c.changed_during_read, c.skipped
                    ),
                ));
            }
            ui.end_row();
        });
    });
}

fn record_grid(ui: &mut Ui, r: &FileRecord, zone: DisplayZone) {
    egui::Grid::new("record_grid")
        .num_columns(2)
        .show(ui, |ui| {
            grid_row(ui, "Type", kind_name(r.kind));
            grid_row(ui, "Size", format!("{} bytes", widgets::thousands(r.size)));
            grid_row(ui, "Mode", &r.mode);
            grid_row(
                ui,
                "Owner",
                format!(
                    "{} : {}",
                    named_id(r.user.as_deref(), r.uid),
                    named_id(r.group.as_deref(), r.gid)
                ),
            );
            grid_row(
                ui,
                "Inode / links",
                format!("{} / {}", or_unknown(r.inode), or_unknown(r.nlink)),
            );
            for (k, v) in [
                ("mtime", &r.mtime),
                ("atime", &r.atime),
                ("ctime", &r.ctime),
                ("btime", &r.btime),
            ] {
                let shown = v.as_deref().map_or_else(
                    || "unknown".into(),
                    |t| zone.format_stored(t, Precision::Full),
                );
                grid_row(ui, k, shown).on_hover_text(v.as_deref().unwrap_or("not recorded"));
            }
            if let Some(t) = &r.link_target {
                grid_row(ui, "Link target", t);
            }
            if let Some(h) = &r.hardlink_of {
                grid_row(ui, "Hard link of", h);
            }
            if let Some(c) = &r.capabilities {
                grid_row(ui, "Capabilities", c);
            }
            if !r.streams.is_empty() {
                let list: Vec<String> = r
                    .streams
                    .iter()
                    .map(|s| format!("{} ({} bytes)", s.name, widgets::thousands(s.size)))
                    .collect();
                grid_row(ui, "Data streams", list.join(", ")).on_hover_text(
                    "NTFS alternate data streams: named data beside the file's content. \
                     Recorded by name and size; their content is not in the archive.",
                );
            }
            ui.label(RichText::new("Status").weak());
            ui.horizontal(|ui| {
                widgets::badge(ui, widgets::status_tone(r.status), r.status.as_str());
            });
            ui.end_row();
            if let Some(reason) = &r.reason {
                grid_row(ui, "Reason", reason);
            }
            if let Some(h) = &r.sha256 {
                ui.label(RichText::new("SHA-256").weak());
                ui.add(
                    egui::Label::new(RichText::new(h).monospace())
                        .wrap()
                        .selectable(true),
                );
                ui.end_row();
            }
            if let Some(rule) = &r.rule {
                grid_row(ui, "Profile rule", rule);
            }
        });
}

/// The preview's content. `focus` is a 1-based line to mark (the line a
/// jump came from); while `scroll` is set the text scrolls to show it, then
/// `scroll` is cleared.
/// The find bar over the preview: opens with Ctrl+F, closes with Escape;
/// Enter or "Next" goes to the next occurrence, Shift+Enter or "Previous"
/// back; the count says where it is.
fn find_bar_ui(ui: &mut Ui, f: &mut PreviewFind, p: &Preview) {
    let (ctrl_f, esc) = ui.input(|i| {
        (
            i.modifiers.command && i.key_pressed(egui::Key::F),
            i.key_pressed(egui::Key::Escape),
        )
    });
    if ctrl_f {
        f.open = true;
        f.focus = true;
    }
    if !f.open {
        return;
    }
    if esc {
        f.open = false;
        f.hits.clear();
        f.key = None;
        return;
    }
    // Wrapped: at laptop width the preview pane is narrow.
    ui.horizontal_wrapped(|ui| {
        let l = ui.label("Find in preview");
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut f.text)
                    .hint_text("text (Esc closes)")
                    .desired_width(160.0),
            )
            .labelled_by(l.id);
        if std::mem::take(&mut f.focus) {
            r.request_focus();
        }
        // Counted as typed, for the count beside it in this same frame.
        let key = (p.record, f.text.clone());
        if f.key.as_ref() != Some(&key) {
            f.hits = model::find_in_preview(&p.body, &f.text, FIND_MAX_HITS);
            f.current = 0;
            f.scroll = !f.hits.is_empty();
            f.key = Some(key);
        }
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let shift = ui.input(|i| i.modifiers.shift);
        let n = f.hits.len();
        let prev = ui
            .add_enabled(n > 0, egui::Button::new("Previous"))
            .on_hover_text("Previous occurrence (Shift+Enter)")
            .clicked()
            || (enter && shift);
        let next = ui
            .add_enabled(n > 0, egui::Button::new("Next"))
            .on_hover_text("Next occurrence (Enter)")
            .clicked()
            || (enter && !shift);
        if n > 0 && (prev || next) {
            f.current = if next {
                (f.current + 1) % n
            } else {
                (f.current + n - 1) % n
            };
            f.scroll = true;
        }
        if enter {
            r.request_focus();
        }
        let count = if f.text.is_empty() {
            String::new()
        } else if n == 0 {
            "no match".into()
        } else {
            format!(
                "{} of {}{}",
                f.current + 1,
                widgets::thousands(n as u64),
                if n >= FIND_MAX_HITS { "+" } else { "" }
            )
        };
        ui.label(count);
    });
}

fn preview_body_ui(
    ui: &mut Ui,
    p: &Preview,
    focus: Option<u64>,
    scroll: &mut bool,
    find: &mut PreviewFind,
) {
    let current_row = find
        .open
        .then(|| find.hits.get(find.current).copied())
        .flatten();
    let find_scroll = std::mem::take(&mut find.scroll)
        .then_some(current_row)
        .flatten();
    // Occurrences come in row order: a binary search finds a row's.
    let hits: &[usize] = if find.open { &find.hits } else { &[] };
    let is_hit = |row: usize| hits.binary_search(&row).is_ok();
    match &p.integrity {
        model::Integrity::Matches | model::Integrity::NoContent => {}
        model::Integrity::Mismatch(why) => {
            ui.label(widgets::toned(
                ui,
                Tone::Bad,
                format!("Not the sealed content: {why}"),
            ));
        }
        model::Integrity::NotChecked(why) => {
            ui.label(widgets::toned(
                ui,
                Tone::Warn,
                format!("Content not checked against the manifest: {why}"),
            ));
        }
    }
    if p.truncated {
        widgets::hint(
            ui,
            &format!(
                "Showing the first {} only.",
                widgets::human_bytes(PREVIEW_CAP_BYTES)
            ),
        );
    }
    let row_h = ui.text_style_height(&egui::TextStyle::Monospace);
    match &p.body {
        PreviewBody::Nothing(msg) => widgets::hint(ui, msg),
        PreviewBody::Text(lines) => {
            let width = lines.len().to_string().len();
            let focus_row = focus
                .and_then(|l| usize::try_from(l).ok())
                .and_then(|l| l.checked_sub(1));
            if let Some(r) = focus_row
                && r >= lines.len()
            {
                widgets::hint(ui, &format!("Line {} is past the part shown here.", r + 1));
            }
            let mut area = egui::ScrollArea::both()
                .id_salt("preview_text")
                .auto_shrink([false, false]);
            let step = row_h + ui.spacing().item_spacing.y;
            if *scroll {
                if let Some(r) = focus_row.filter(|&r| r < lines.len()) {
                    // A few lines of context above the marked one.
                    area = area.vertical_scroll_offset(r.saturating_sub(5) as f32 * step);
                }
                *scroll = false;
            }
            if let Some(r) = find_scroll {
                area = area.vertical_scroll_offset(r.saturating_sub(5) as f32 * step);
            }
            let mark = ui.visuals().selection.bg_fill;
            let hit_bg = theme::tone_color(ui, Tone::Warn).gamma_multiply(0.35);
            area.show_rows(ui, row_h, lines.len(), |ui, range| {
                for i in range {
                    let Some(line) = lines.get(i) else { continue };
                    let mut text = RichText::new(format!("{:>width$}  {line}", i + 1)).monospace();
                    if focus_row == Some(i) || current_row == Some(i) {
                        text = text.background_color(mark).strong();
                    } else if is_hit(i) {
                        text = text.background_color(hit_bg);
                    }
                    ui.add(egui::Label::new(text).extend());
                }
            });
        }
        PreviewBody::Hex(bytes) => {
            let n = bytes.len().div_ceil(HEX_WIDTH);
            let mut area = egui::ScrollArea::both()
                .id_salt("preview_hex")
                .auto_shrink([false, false]);
            if let Some(r) = find_scroll {
                let step = row_h + ui.spacing().item_spacing.y;
                area = area.vertical_scroll_offset(r.saturating_sub(5) as f32 * step);
            }
            let mark = ui.visuals().selection.bg_fill;
            let hit_bg = theme::tone_color(ui, Tone::Warn).gamma_multiply(0.35);
            area.show_rows(ui, row_h, n, |ui, range| {
                for i in range {
                    let start = i * HEX_WIDTH;
                    let Some(chunk) = bytes.get(start..(start + HEX_WIDTH).min(bytes.len())) else {
                        continue;
                    };
                    let mut text = RichText::new(hex_line(start, chunk)).monospace();
                    if current_row == Some(i) {
                        text = text.background_color(mark).strong();
                    } else if is_hit(i) {
                        text = text.background_color(hit_bg);
                    }
                    ui.add(egui::Label::new(text).extend());
                }
            });
        }
    }
}

/// An owner or group as the record gives it: `alice (1000)`, `? (1000)`
/// without a name, `unknown` when the capturing system could not read it.
fn named_id(name: Option<&str>, id: Option<u32>) -> String {
    match (name, id) {
        (Some(n), Some(i)) => format!("{n} ({i})"),
        (None, Some(i)) => format!("? ({i})"),
        (Some(n), None) => n.to_string(),
        (None, None) => "unknown".to_string(),
    }
}
