//! The Custody screen: the chain of custody of an archive as a timeline
//! (who, what, when, where, signature status, chain status), a form to add
//! `transferred` / `received` / `note` events, and export of the printable
//! custody form.

use crate::case::custody_log::{self, CustodyLog};
use crate::custody::CustodyCheck;
use crate::gui::context::{Command, Screen, Settings, View, ViewCtx};
use crate::gui::jobs::{Job, PickKind};
use crate::gui::keyring::UnlockField;
use crate::gui::theme::Tone;
use crate::gui::widgets::{self, PathField};
use crate::tz::{DisplayZone, Precision};
use egui::{RichText, Ui};
use sha2::{Digest, Sha256};
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// What the custody screen shows for one archive.
#[derive(Debug, Clone)]
pub struct CustodyData {
    pub archive: PathBuf,
    pub log_path: PathBuf,
    /// `None` when there is no log beside the archive.
    pub log: Option<CustodyLog>,
    pub archive_sha256: String,
    pub check: CustodyCheck,
}

/// The custody actions a user adds by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualAction {
    Transferred,
    Received,
    Note,
}

impl ManualAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ManualAction::Transferred => "transferred",
            ManualAction::Received => "received",
            ManualAction::Note => "note",
        }
    }
}

/// A custody event as entered in the form.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub action: ManualAction,
    pub actor: String,
    pub role: String,
    pub organisation: String,
    pub location: String,
    pub from: String,
    pub to: String,
    pub medium: String,
    pub note: String,
    pub signing_key: Option<PathBuf>,
}

/// State of the Custody screen.
pub struct CustodyView {
    pub archive: PathField,
    load: Option<Job<CustodyData>>,
    pub data: Option<Result<CustodyData, String>>,
    pub action: ManualAction,
    pub actor: String,
    pub role: String,
    pub organisation: String,
    pub location: String,
    pub from: String,
    pub to: String,
    pub medium: String,
    pub note: String,
    pub signing_key: PathField,
    unlock: UnlockField,
    add_job: Option<Job<()>>,
    export_job: Option<Job<PathBuf>>,
    /// The last form export: written (its path) or why not, shown under
    /// the Export button.
    form_result: Option<Result<PathBuf, String>>,
    pub form_path: PathField,
    /// Outcome of the last add or export, shown under the form.
    pub message: Option<(Tone, String)>,
    trust: Option<PathBuf>,
    trust_panel: crate::gui::trust::TrustPanel,
    load_ctx: Option<egui::Context>,
}

impl Default for CustodyView {
    fn default() -> Self {
        Self {
            archive: PathField::default(),
            load: None,
            data: None,
            action: ManualAction::Transferred,
            actor: String::new(),
            role: String::new(),
            organisation: String::new(),
            location: String::new(),
            from: String::new(),
            to: String::new(),
            medium: String::new(),
            note: String::new(),
            signing_key: PathField::default(),
            unlock: UnlockField::default(),
            add_job: None,
            export_job: None,
            form_result: None,
            form_path: PathField::default(),
            message: None,
            trust: None,
            trust_panel: Default::default(),
            load_ctx: None,
        }
    }
}

fn sha256_of(path: &Path, cancel: &crate::job::CancelToken) -> anyhow::Result<String> {
    let mut f = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("cannot open the archive: {e}: {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if cancel.is_cancelled() {
            anyhow::bail!("cancelled");
        }
        let n = f
            .read(&mut buf)
            .map_err(|e| anyhow::anyhow!("cannot read the archive: {e}: {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(buf.get(..n).unwrap_or(&[]));
    }
    Ok(hex::encode(h.finalize()))
}

/// Load the log and check it against the archive's actual hash.
pub fn load(
    archive: &Path,
    trust: Option<&Path>,
    cancel: &crate::job::CancelToken,
) -> anyhow::Result<CustodyData> {
    let log_path = crate::archive::custody_log_path(archive);
    let archive_sha256 = sha256_of(archive, cancel)?;
    // One read, one check: the core's checker in its lenient mode gives
    // both the verdict and the rows.
    let log = log_path
        .exists()
        .then(|| custody_log::read_for_archive(&log_path, &archive_sha256, trust));
    let check = log.as_ref().map(|l| l.check.clone()).unwrap_or_default();
    Ok(CustodyData {
        archive: archive.to_path_buf(),
        log_path,
        log,
        archive_sha256,
        check,
    })
}

/// Append a custody event through the core custody module.
pub fn add_event(archive: &Path, ev: &NewEvent) -> anyhow::Result<()> {
    use crate::custody::{self, Action};
    let log = crate::archive::custody_log_path(archive);
    let signer = ev
        .signing_key
        .as_deref()
        .map(crate::gui::keyring::load_signer)
        .transpose()?;
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let (action, details) = match ev.action {
        ManualAction::Transferred => (
            Action::Transferred,
            custody::transfer_details(
                Some(&ev.from),
                Some(&ev.to),
                Some(&ev.medium),
                Some(&ev.note),
            ),
        ),
        ManualAction::Received => (
            Action::Received,
            custody::transfer_details(Some(&ev.from), None, Some(&ev.medium), Some(&ev.note)),
        ),
        ManualAction::Note => (Action::Note, custody::note_details(&ev.note)),
    };
    let new = custody::NewEvent {
        action: Some(action),
        actor: custody::Actor {
            name: ev.actor.clone(),
            role: opt(&ev.role),
            organisation: opt(&ev.organisation),
            contact: None,
        },
        location: opt(&ev.location),
        details,
        ..custody::NewEvent::default()
    };
    custody::append_event(&log, &new, signer.as_deref())?;
    Ok(())
}

/// Write the printable custody form (HTML) through the core custody module.
pub fn export_form(archive: &Path, out: &Path, trust: Option<&Path>) -> anyhow::Result<PathBuf> {
    use crate::custody;
    use crate::report::custody_form as form;
    let log = crate::archive::custody_log_path(archive);
    let sha = custody::hash_file(archive)?;
    let check = custody::verify_for_archive(&log, &sha, trust);
    let acquisition = crate::archive::Archive::open(archive)
        .ok()
        .and_then(|a| a.acquisition().ok());
    let size = std::fs::metadata(archive).ok().map(|m| m.len());
    let name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let html = form::render_form_html(&form::FormInput {
        archive_file: &name,
        archive_size_bytes: size,
        archive_sha256: Some(&sha),
        acquisition: acquisition.as_ref(),
        check: &check,
        generated_at: &now,
    });
    std::fs::write(out, html)
        .map_err(|e| anyhow::anyhow!("cannot write the custody form: {e}: {}", out.display()))?;
    Ok(out.to_path_buf())
}

impl View for CustodyView {
    fn screen(&self) -> Screen {
        Screen::CUSTODY
    }

    fn title(&self) -> &'static str {
        "Custody"
    }

    fn ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        self.load_ctx = Some(ui.ctx().clone());
        ui.label(RichText::new("Chain of custody").heading());
        ui.horizontal(|ui| {
            self.archive
                .ui(ui, "Archive", PickKind::Archive, "…/IR-7_E01_host_….zip");
            if ui.button("Show chain").clicked() {
                match self.archive.path() {
                    Some(p) => self.open(ui.ctx(), p, vc.settings),
                    None => self.data = Some(Err("type or choose an archive first".into())),
                }
            }
        });
        if let Some(case) = vc.case
            && self.trust_panel.ui(ui, &case.dir, &self.actor)
            && let Some(Ok(d)) = &self.data
        {
            // The trust changed: judge the signatures again.
            let archive = d.archive.clone();
            self.reload(ui.ctx(), archive);
        }
        if let Some(j) = &self.load {
            widgets::job_progress_ui(ui, j);
            return;
        }
        let Some(data) = &self.data else {
            widgets::hint(
                ui,
                "Choose an archive to see who has held it, when and where.",
            );
            return;
        };
        let data = match data {
            Err(e) => {
                widgets::message_box(ui, Tone::Bad, "Cannot read the custody log", e);
                return;
            }
            Ok(d) => d.clone(),
        };
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                chain_ui(ui, &data, vc.zone);
                ui.separator();
                self.form_ui(ui, &data, vc);
            });
    }

    fn logic(&mut self, _ctx: &egui::Context, vc: &mut ViewCtx<'_>) {
        self.poll_jobs(vc.commands);
    }

    fn busy(&self) -> Vec<String> {
        let mut v = Vec::new();
        for j in [&self.load].into_iter().flatten() {
            v.push(j.title.clone());
        }
        if self.add_job.is_some() {
            v.push("Adding custody event".into());
        }
        if self.export_job.is_some() {
            v.push("Exporting custody form".into());
        }
        v
    }

    fn command(
        &mut self,
        ctx: &egui::Context,
        command: Command,
        settings: &Settings,
    ) -> Option<Command> {
        match command {
            Command::ShowCustody(p) => {
                self.open(ctx, p, settings);
                None
            }
            other => Some(other),
        }
    }
}

impl CustodyView {
    /// Show the chain of `archive`.
    pub fn open(&mut self, ctx: &egui::Context, archive: PathBuf, settings: &Settings) {
        self.archive.text = archive.display().to_string();
        if self.actor.is_empty() {
            self.actor = settings.examiner.clone();
        }
        if self.organisation.is_empty() {
            self.organisation = settings.organisation.clone();
        }
        if self.signing_key.text.is_empty() {
            self.signing_key.text = settings.signing_key.clone();
        }
        self.trust = (!settings.trust_file.trim().is_empty())
            .then(|| PathBuf::from(settings.trust_file.trim()));
        if self.form_path.text.is_empty()
            || self
                .data
                .as_ref()
                .is_some_and(|d| d.as_ref().is_ok_and(|d| d.archive != archive))
        {
            let name = archive
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = name.strip_suffix(".age").unwrap_or(&name);
            let stem = stem.strip_suffix(".zip").unwrap_or(stem);
            self.form_path.text = archive
                .with_file_name(format!("{stem}.custody-form.html"))
                .display()
                .to_string();
        }
        self.reload(ctx, archive);
    }

    fn reload(&mut self, ctx: &egui::Context, archive: PathBuf) {
        let trust = self.trust.clone();
        self.load = Some(Job::spawn(ctx, "Reading custody log", move |_, cancel| {
            // An archive of a case is judged with the case's trusted signers.
            let trust = crate::case::trust::for_archive(&archive).or(trust);
            load(&archive, trust.as_deref(), cancel)
        }));
    }

    fn poll_jobs(&mut self, _commands: &mut Vec<Command>) {
        if let Some(j) = self.load.as_mut()
            && let Some(r) = j.poll()
        {
            self.load = None;
            self.data = Some(r);
        }
        let mut reload = None;
        if let Some(j) = self.add_job.as_mut()
            && let Some(r) = j.poll()
        {
            self.add_job = None;
            match r {
                Ok(()) => {
                    self.message = Some((
                        Tone::Good,
                        format!("{} event added to the chain.", self.action.as_str()),
                    ));
                    self.note.clear();
                    reload = self.archive.path();
                }
                Err(e) => self.message = Some((Tone::Bad, e)),
            }
        }
        if let Some(j) = self.export_job.as_mut()
            && let Some(r) = j.poll()
        {
            self.export_job = None;
            self.form_result = Some(r);
        }
        if let Some(p) = reload
            && let Some(ctx) = self.load_ctx.take()
        {
            self.reload(&ctx, p);
        }
    }

    fn form_ui(&mut self, ui: &mut Ui, data: &CustodyData, vc: &mut ViewCtx<'_>) {
        widgets::section(ui, "Add a custody event");
        ui.horizontal(|ui| {
            ui.label("Action");
            for a in [
                ManualAction::Transferred,
                ManualAction::Received,
                ManualAction::Note,
            ] {
                ui.radio_value(&mut self.action, a, a.as_str());
            }
        });
        widgets::labeled_text(ui, "Actor", &mut self.actor, "who performs this action");
        widgets::labeled_text(
            ui,
            "Role",
            &mut self.role,
            "first responder, analyst, courier…",
        );
        widgets::labeled_text(ui, "Actor organisation", &mut self.organisation, "");
        widgets::labeled_text(ui, "Event location", &mut self.location, "where it happens");
        match self.action {
            ManualAction::Transferred => {
                widgets::labeled_text(ui, "Released by", &mut self.from, "name");
                widgets::labeled_text(ui, "Released to", &mut self.to, "name");
                widgets::labeled_text(
                    ui,
                    "Medium",
                    &mut self.medium,
                    "USB disk serial, network share…",
                );
                widgets::labeled_text(ui, "Purpose of transfer", &mut self.note, "");
            }
            ManualAction::Received => {
                widgets::labeled_text(ui, "Received from", &mut self.from, "name");
                widgets::labeled_text(ui, "Medium", &mut self.medium, "");
                widgets::labeled_text(ui, "Condition / remarks", &mut self.note, "seal intact…");
            }
            ManualAction::Note => {
                widgets::labeled_text(ui, "Note", &mut self.note, "what happened");
            }
        }
        self.signing_key.ui(
            ui,
            "Event signing key",
            PickKind::File,
            "~/.ssh/id_ed25519 (optional)",
        );
        self.unlock.ui(ui, self.signing_key.path().as_deref());
        let busy = self.add_job.is_some() || self.export_job.is_some();
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    !busy,
                    egui::Button::new(RichText::new("Add event").strong()),
                )
                .clicked()
            {
                if self.actor.trim().is_empty() {
                    self.message = Some((Tone::Bad, "the actor's name is required".into()));
                } else {
                    vc.settings.signing_key = self.signing_key.text.clone();
                    let ev = NewEvent {
                        action: self.action,
                        actor: self.actor.trim().into(),
                        role: self.role.trim().into(),
                        organisation: self.organisation.trim().into(),
                        location: self.location.trim().into(),
                        from: self.from.trim().into(),
                        to: self.to.trim().into(),
                        medium: self.medium.trim().into(),
                        note: self.note.trim().into(),
                        signing_key: self.signing_key.path(),
                    };
                    let archive = data.archive.clone();
                    self.message = None;
                    self.add_job =
                        Some(Job::spawn(ui.ctx(), "Adding custody event", move |_, _| {
                            add_event(&archive, &ev)
                        }));
                }
            }
        });
        widgets::section(ui, "Printable custody form");
        self.form_path
            .ui(ui, "Form file", PickKind::SaveHtml, "…custody-form.html");
        if ui
            .add_enabled(!busy, egui::Button::new("Export custody form"))
            .clicked()
        {
            match self.form_path.path() {
                Some(out) => {
                    let archive = data.archive.clone();
                    let trust = self.trust.clone();
                    self.export_job = Some(Job::spawn(
                        ui.ctx(),
                        "Exporting custody form",
                        move |_, _| {
                            let trust = crate::case::trust::for_archive(&archive).or(trust);
                            export_form(&archive, &out, trust.as_deref())
                        },
                    ));
                }
                None => {
                    self.form_result = Some(Err("choose where to write the form".into()));
                }
            }
        }
        // The outcome right under the button that asked for it.
        match &self.form_result {
            Some(Ok(p)) => {
                widgets::message_box(
                    ui,
                    Tone::Good,
                    "Custody form written",
                    &format!("{} — open it in a browser and print it.", p.display()),
                );
                if ui.button("Open the form").clicked()
                    && let Err(e) = widgets::open_with_system(p)
                {
                    self.form_result = Some(Err(format!("cannot open {}: {e}", p.display())));
                }
            }
            Some(Err(e)) => widgets::message_box(ui, Tone::Bad, "Form not written", e),
            None => {}
        }
        if let Some((tone, m)) = &self.message {
            widgets::message_box(
                ui,
                *tone,
                if *tone == Tone::Bad {
                    "Not done"
                } else {
                    "Done"
                },
                m,
            );
        }
    }
}

/// Hex digests are shown in monospace so they can be read out and compared.
fn looks_like_hash(v: &str) -> bool {
    v.len() >= 32 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

fn chain_ui(ui: &mut Ui, data: &CustodyData, zone: DisplayZone) {
    let Some(log) = &data.log else {
        widgets::message_box(
            ui,
            Tone::Warn,
            "No custody log beside this archive",
            &format!("Expected {}", data.log_path.display()),
        );
        return;
    };
    let problems = &data.check.problems;
    let chain_ok = problems.is_empty();
    ui.horizontal(|ui| {
        ui.label(RichText::new("Chain status").strong());
        if chain_ok {
            widgets::badge(
                ui,
                Tone::Good,
                &format!("chain intact ({} events)", log.events.len()),
            );
        } else {
            let n = problems.len();
            widgets::badge(
                ui,
                Tone::Bad,
                &format!(
                    "chain broken ({n} problem{})",
                    if n == 1 { "" } else { "s" }
                ),
            );
        }
    });
    ui.label(RichText::new(format!("Log: {}", data.log_path.display())).weak());
    for p in problems {
        ui.label(widgets::toned(
            ui,
            Tone::Bad,
            format!(
                "{}: {}{}",
                p.kind,
                p.detail,
                p.path
                    .as_deref()
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default()
            ),
        ));
    }
    for ev in &log.events {
        let sig = data
            .check
            .signatures
            .iter()
            .find(|s| Some(s.seq) == ev.seq)
            .map(|s| (s.status.clone(), s.signer.clone()))
            .unwrap_or_else(|| {
                if ev.signed {
                    ("not checked".into(), None)
                } else {
                    ("unsigned".into(), None)
                }
            });
        egui::Frame::group(ui.style())
            .inner_margin(8)
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    ui.label(
                        RichText::new(format!("#{}", ev.seq.map_or("?".into(), |s| s.to_string())))
                            .monospace()
                            .weak(),
                    );
                    ui.label(RichText::new(&ev.action).strong().size(16.0));
                    ui.label(zone.format_stored(&ev.at, Precision::Seconds))
                        .on_hover_text(format!("recorded as {}", ev.at));
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        let tone = if sig.0 == "not checked" {
                            Tone::Warn
                        } else {
                            widgets::signature_tone(&sig.0)
                        };
                        widgets::badge(ui, tone, &format!("signature: {}", sig.0))
                            .on_hover_text(sig.1.clone().unwrap_or_default());
                    });
                });
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new("by").weak());
                    if ev.actor.trim().is_empty() {
                        ui.label(RichText::new("(unknown)").italics())
                            .on_hover_text("The event names no actor");
                    } else {
                        ui.label(&ev.actor);
                    }
                    if !ev.location.is_empty() {
                        ui.label(RichText::new("at").weak());
                        ui.label(&ev.location);
                    }
                });
                if !ev.details.is_empty() {
                    egui::Grid::new(("custody_details", ev.line))
                        .num_columns(2)
                        .spacing([12.0, 2.0])
                        .show(ui, |ui| {
                            for (k, v) in &ev.details {
                                ui.label(RichText::new(k.replace('_', " ")).weak());
                                let shown = if k.ends_with("_at") {
                                    zone.format_stored(v, Precision::Full)
                                } else {
                                    v.clone()
                                };
                                let text = if looks_like_hash(v) {
                                    RichText::new(shown).monospace()
                                } else {
                                    RichText::new(shown)
                                };
                                ui.add(egui::Label::new(text).wrap().selectable(true));
                                ui.end_row();
                            }
                        });
                }
                if let Some(p) = &ev.chain_problem {
                    ui.label(widgets::toned(ui, Tone::Bad, p));
                }
            });
    }
    ui.horizontal(|ui| {
        ui.label(RichText::new("Archive SHA-256 now").weak());
        ui.label(RichText::new(&data.archive_sha256).monospace());
    });
}
