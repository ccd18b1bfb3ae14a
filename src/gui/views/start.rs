//! The Cases screen: create or open a case folder, recent cases, and the open
//! case's archives with their verification state and actions.

use crate::case::custody_log::VerificationState;
use crate::case::{CaseFolder, CaseInfo};
use crate::gui::context::{Command, Screen, Settings, View, ViewCtx};
use crate::gui::jobs::PickKind;
use crate::gui::theme::Tone;
use crate::gui::widgets::{self, PathField};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

/// Form state of the Cases screen.
pub struct StartView {
    pub new_folder: PathField,
    pub case_id: String,
    pub title: String,
    pub organisation: String,
    pub examiner: String,
    pub timezone: String,
    pub open_folder: PathField,
    form_error: Option<String>,
    /// The open *Delete incomplete capture* window.
    delete_partial: Option<crate::gui::partial::DeletePartialDialog>,
    /// What the last deletion did.
    deleted: Option<String>,
}

impl View for StartView {
    fn screen(&self) -> Screen {
        Screen::CASES
    }

    fn title(&self) -> &'static str {
        "Cases"
    }

    fn ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        self.draw(ui, vc);
        self.delete_partial_ui(ui, vc);
    }

    fn command(
        &mut self,
        _ctx: &egui::Context,
        command: Command,
        settings: &Settings,
    ) -> Option<Command> {
        match command {
            Command::DeletePartial(file, size) => {
                let dir = file
                    .parent()
                    .map(std::path::Path::to_path_buf)
                    .unwrap_or_default();
                self.deleted = None;
                self.delete_partial = Some(crate::gui::partial::DeletePartialDialog::new(
                    dir,
                    file,
                    size,
                    &settings.examiner,
                ));
                None
            }
            other => Some(other),
        }
    }
}

impl StartView {
    pub fn new(settings: &Settings) -> Self {
        Self {
            new_folder: PathField::default(),
            case_id: String::new(),
            title: String::new(),
            organisation: settings.organisation.clone(),
            examiner: settings.examiner.clone(),
            timezone: crate::capture::local_timezone(),
            open_folder: PathField::default(),
            form_error: None,
            delete_partial: None,
            deleted: None,
        }
    }

    fn delete_partial_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        // Only a .partial of the case open now.
        if self
            .delete_partial
            .as_ref()
            .is_some_and(|d| vc.case.map(|c| &c.dir) != Some(&d.case_dir))
        {
            self.delete_partial = None;
        }
        if let Some(d) = self.delete_partial.as_mut() {
            match d.ui(ui.ctx()) {
                crate::gui::partial::Outcome::Open => {}
                crate::gui::partial::Outcome::Closed => self.delete_partial = None,
                crate::gui::partial::Outcome::Deleted(m) => {
                    self.delete_partial = None;
                    self.deleted = Some(m);
                    vc.commands.push(Command::RefreshCase);
                }
            }
        }
    }

    fn draw(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        // The busy line keeps its height when idle, so a refresh ending
        // never moves the case list under the examiner's pointer.
        ui.horizontal(|ui| {
            ui.set_min_height(ui.spacing().interact_size.y);
            if let Some(title) = vc.case_busy {
                ui.spinner();
                ui.label(format!("{title}…"));
            }
        });
        if let Some(m) = &self.deleted {
            ui.label(widgets::toned(ui, Tone::Good, m.as_str()));
        }
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| match vc.case {
                Some(case) => case_ui(ui, case, vc.commands, vc.verdicts, vc.marks, vc.zone),
                None => self.no_case_ui(ui, vc),
            });
    }

    fn no_case_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        ui.label(RichText::new("Start with a case").heading());
        widgets::hint(
            ui,
            "A case is a folder holding case.json and every evidence archive of the case, \
             each with its custody log beside it.",
        );
        ui.columns(2, |cols| {
            let [left, right] = cols else { return };
            egui::Frame::group(left.style())
                .inner_margin(12)
                .show(left, |ui| {
                    widgets::section(ui, "New case");
                    self.new_folder
                        .ui(ui, "Case folder", PickKind::Folder, "/cases/IR-2026-014");
                    widgets::labeled_text(ui, "Case ID", &mut self.case_id, "IR-2026-014");
                    widgets::labeled_text(ui, "Title", &mut self.title, "Compromised web server");
                    widgets::labeled_text(ui, "Organisation", &mut self.organisation, "");
                    widgets::labeled_text(ui, "Examiner", &mut self.examiner, "your name");
                    widgets::labeled_text(
                        ui,
                        "Time zone",
                        &mut self.timezone,
                        "Europe/Berlin or +02:00",
                    )
                    .on_hover_text(
                        "Times are shown in this zone (the top bar can switch to UTC); \
                         evidence always records UTC",
                    );
                    if let Some(e) = &self.form_error {
                        ui.label(widgets::toned(ui, Tone::Bad, e));
                    }
                    if ui.button(RichText::new("Create case").strong()).clicked() {
                        match self.validated() {
                            Ok((dir, info)) => {
                                self.form_error = None;
                                vc.commands.push(Command::CreateCase(dir, info));
                            }
                            Err(e) => self.form_error = Some(e),
                        }
                    }
                });
            egui::Frame::group(right.style())
                .inner_margin(12)
                .show(right, |ui| {
                    widgets::section(ui, "Open a case");
                    self.open_folder.ui(
                        ui,
                        "Existing case folder",
                        PickKind::Folder,
                        "folder with case.json",
                    );
                    if ui.button("Open case").clicked() {
                        match self.open_folder.path() {
                            Some(p) => vc.commands.push(Command::OpenCase(p)),
                            None => vc
                                .commands
                                .push(Command::Error("type or choose a case folder first".into())),
                        }
                    }
                    widgets::section(ui, "Recent cases");
                    if vc.settings.recent_cases.is_empty() {
                        widgets::hint(ui, "None yet.");
                    }
                    let mut forget = None;
                    for (i, dir) in vc.settings.recent_cases.iter().enumerate() {
                        ui.horizontal(|ui| {
                            if ui
                                .link(dir.display().to_string())
                                .on_hover_text("Open this case")
                                .clicked()
                            {
                                vc.commands.push(Command::OpenCase(dir.clone()));
                            }
                            if ui
                                .small_button(format!("Forget recent {}", i + 1))
                                .clicked()
                            {
                                forget = Some(i);
                            }
                        });
                    }
                    if let Some(i) = forget {
                        vc.settings.recent_cases.remove(i);
                    }
                    widgets::section(ui, "Without a case");
                    ui.horizontal(|ui| {
                        if ui.button("Open an archive…").clicked() {
                            vc.commands.push(Command::Go(Screen::EVIDENCE));
                        }
                        if ui.button("Verify an archive…").clicked() {
                            vc.commands.push(Command::Go(Screen::VERIFY));
                        }
                    });
                });
        });
    }

    fn validated(&self) -> Result<(std::path::PathBuf, CaseInfo), String> {
        let dir = self
            .new_folder
            .path()
            .ok_or("choose a folder for the case (it is created if missing)")?;
        if self.case_id.trim().is_empty() {
            return Err("a case ID is required".into());
        }
        if self.examiner.trim().is_empty() {
            return Err("the examiner's name is required".into());
        }
        let zone = crate::tz::DisplayZone::parse(&self.timezone).map_err(|e| e.to_string())?;
        Ok((
            dir,
            CaseInfo {
                case_id: self.case_id.trim().to_string(),
                title: self.title.trim().to_string(),
                organisation: self.organisation.trim().to_string(),
                examiner: self.examiner.trim().to_string(),
                timezone: zone.name(),
                created_at: String::new(),
            },
        ))
    }
}

/// The verification badge of an archive in the case list.
pub fn verification_badge(ui: &mut Ui, v: &VerificationState) {
    match v {
        VerificationState::NotVerified => widgets::badge(ui, Tone::Warn, "not verified"),
        VerificationState::Intact(at) => {
            widgets::badge(ui, Tone::Good, "intact").on_hover_text(format!("verified {at}"))
        }
        VerificationState::Problems(n, at) => widgets::badge(
            ui,
            Tone::Bad,
            &format!("{n} problem{}", if *n == 1 { "" } else { "s" }),
        )
        .on_hover_text(format!("verified {at}")),
        VerificationState::Incomplete => widgets::badge(ui, Tone::Bad, "incomplete — not evidence")
            .on_hover_text(
                "An interrupted capture left this .partial file; it must not be used as evidence",
            ),
    };
}

fn case_ui(
    ui: &mut Ui,
    case: &CaseFolder,
    commands: &mut Vec<Command>,
    verdicts: &std::collections::HashMap<std::path::PathBuf, VerificationState>,
    marks: &std::collections::HashMap<std::path::PathBuf, String>,
    zone: crate::tz::DisplayZone,
) {
    let i = &case.info;
    ui.label(
        RichText::new(format!("Case {}", i.case_id))
            .heading()
            .strong(),
    );
    let created = zone.format_stored(&i.created_at, crate::tz::Precision::Seconds);
    egui::Grid::new("case_info_grid")
        .num_columns(2)
        .spacing([20.0, 4.0])
        .show(ui, |ui| {
            for (k, v) in [
                ("Title", i.title.as_str()),
                ("Organisation", i.organisation.as_str()),
                ("Examiner", i.examiner.as_str()),
                ("Time zone", i.timezone.as_str()),
                ("Created", created.as_str()),
            ] {
                ui.label(RichText::new(k).weak());
                ui.label(v);
                ui.end_row();
            }
            ui.label(RichText::new("Folder").weak());
            ui.label(RichText::new(case.dir.display().to_string()).monospace());
            ui.end_row();
        });
    ui.horizontal(|ui| {
        if ui
            .button(RichText::new("New capture").strong())
            .on_hover_text("Ctrl+N")
            .clicked()
        {
            commands.push(Command::NewCapture);
        }
        if ui.button("Refresh").on_hover_text("F5").clicked() {
            commands.push(Command::RefreshCase);
        }
        if ui.button("Close case").clicked() {
            commands.push(Command::CloseCase);
        }
    });
    widgets::section(ui, &format!("Evidence archives ({})", case.archives.len()));
    if case.archives.is_empty() {
        widgets::hint(
            ui,
            "No archives yet. Start a capture; its archive is written into this folder.",
        );
        return;
    }
    let modified_title = format!("Modified ({})", zone.name());
    TableBuilder::new(ui)
        .id_salt("case_archives")
        .striped(true)
        .column(Column::remainder().at_least(260.0).clip(true))
        .column(Column::auto().at_least(80.0))
        .column(Column::auto().at_least(150.0))
        .column(Column::auto().at_least(60.0))
        .column(Column::auto().at_least(130.0))
        .column(Column::auto().at_least(220.0))
        .header(24.0, |mut h| {
            for t in [
                "Archive",
                "Size",
                modified_title.as_str(),
                "Custody",
                "Verification",
                "Actions",
            ] {
                h.col(|ui| {
                    ui.strong(t);
                });
            }
        })
        .body(|mut body| {
            for a in &case.archives {
                body.row(28.0, |mut row| {
                    let name = a.file_name();
                    row.col(|ui| {
                        ui.horizontal(|ui| {
                            // The marker first: a long name is cut, not it.
                            if crate::archive::unlocked::is_encrypted_name(&a.path) {
                                let (tone, text, hover) =
                                    if crate::archive::unlocked::is_unlocked(&a.path) {
                                        (
                                            Tone::Good,
                                            "unlocked",
                                            "Encrypted with age; decrypted for this session",
                                        )
                                    } else {
                                        (
                                            Tone::Info,
                                            "locked",
                                            "Encrypted with age: Open asks for the identity",
                                        )
                                    };
                                widgets::badge(ui, tone, text).on_hover_text(hover);
                            }
                            ui.label(RichText::new(&name).monospace());
                        });
                    });
                    row.col(|ui| {
                        ui.label(widgets::human_bytes(a.size_bytes));
                    });
                    row.col(|ui| {
                        let shown = zone.format_stored(&a.modified, crate::tz::Precision::Seconds);
                        ui.label(shown.rsplit_once(' ').map_or(shown.as_str(), |(t, _)| t))
                            .on_hover_text(&a.modified);
                    });
                    row.col(|ui| {
                        ui.label(format!("{} events", a.custody_events));
                    });
                    row.col(|ui| {
                        let v = verdicts.get(&a.path).unwrap_or(&a.verification);
                        let v = if a.verification == VerificationState::Incomplete {
                            &a.verification
                        } else {
                            v
                        };
                        match marks.get(&a.path) {
                            // A file swapped or altered since it was sealed:
                            // never the green "intact" of an older check.
                            Some(why) if !matches!(v, VerificationState::Problems(..)) => {
                                widgets::badge(
                                    ui,
                                    Tone::Bad,
                                    crate::viewmodel::integrity::NOT_SEALED_MARK,
                                )
                                .on_hover_text(why);
                            }
                            _ => verification_badge(ui, v),
                        }
                    });
                    row.col(|ui| {
                        ui.horizontal(|ui| {
                            if a.verification == VerificationState::Incomplete {
                                if ui
                                    .small_button("Delete…")
                                    .on_hover_text(format!(
                                        "Delete {name} (recorded in the case notes)"
                                    ))
                                    .clicked()
                                {
                                    commands
                                        .push(Command::DeletePartial(a.path.clone(), a.size_bytes));
                                }
                                return;
                            }
                            if ui
                                .small_button("Open")
                                .on_hover_text(format!("Open {name}"))
                                .clicked()
                            {
                                commands.push(Command::OpenArchive(a.path.clone()));
                            }
                            if ui
                                .small_button("Verify…")
                                .on_hover_text(format!("Verify {name}"))
                                .clicked()
                            {
                                commands.push(Command::VerifyArchive(a.path.clone()));
                            }
                            if ui
                                .small_button("Custody…")
                                .on_hover_text(format!("Custody of {name}"))
                                .clicked()
                            {
                                commands.push(Command::ShowCustody(a.path.clone()));
                            }
                        });
                    });
                });
            }
        });
}
