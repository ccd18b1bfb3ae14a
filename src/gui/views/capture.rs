//! The Capture screen: sources (typed, picked or dropped), live system or
//! mounted image, a quick pre-scan estimate, destination and case details,
//! then the capture as a background job with progress and Cancel, and the
//! result: archive name, SHA-256 for the paper form, warnings with reasons.
//! A third kind of source, *Remote server over SSH*, runs the same capture
//! on a server through the system's `ssh` ([`crate::remote`]), the archive
//! streamed back to the destination folder.

use crate::capture::{CaptureRequest, CaptureSummary, Interface, LivePolicy};
use crate::case::CaseFolder;
use crate::gui::context::{Command, Screen, Settings, View, ViewCtx};
use crate::gui::jobs::{Job, PickKind, Picker};
use crate::gui::theme::Tone;
use crate::gui::widgets::{self, PathField};
use crate::job::{CancelToken, ProgressSink};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use std::path::{Path, PathBuf};

/// Where the sources live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceMode {
    /// The running system: paths are local paths.
    ThisMachine,
    /// A mounted image or copied tree: paths are logical paths inside it.
    MountedImage,
    /// A server reached with the system's `ssh`: paths (and the optional
    /// image root) are on the server.
    RemoteServer,
}

/// The Remote server fields of the form.
#[derive(Default)]
pub struct RemoteForm {
    /// `[user@]host[:port]`.
    pub host: String,
    pub ssh_config: PathField,
    /// A mounted image on the server (its `/`); empty for its running system.
    pub root: String,
    /// An exhibit already on the server, run instead of uploading one.
    pub remote_exhibit: String,
    /// The binary to upload instead of the static build for the server.
    pub upload_binary: PathField,
}

/// A validated capture: of this machine (or an image), or of a server.
enum Planned {
    Local(Box<CaptureRequest>),
    Remote(Box<crate::remote::RemoteRequest>),
}

/// What the pre-scan found: the capture's own count (`capture::estimate`).
pub use crate::capture::estimate::Estimate;

/// Sources, image root and profiles an estimate (or a running pre-scan) belongs to.
type ScanKey = (Vec<String>, Option<String>, Vec<String>);

/// Form and job state of the Capture screen.
pub struct CaptureView {
    pub sources: Vec<String>,
    pub new_source: String,
    source_picker: Picker,
    /// Add folder… found no file dialog: say so until a path is typed.
    source_no_dialog: bool,
    pub mode: SourceMode,
    pub root: PathField,
    pub remote: RemoteForm,
    pub destination: PathField,
    pub case_id: String,
    pub evidence_id: String,
    /// Sources that did not exist when added (shown flagged).
    pub missing: std::collections::HashSet<String>,
    pub examiner: String,
    pub organisation: String,
    pub timezone: String,
    pub purpose: String,
    pub location: String,
    pub signing_key: PathField,
    /// age recipients (`age1…`, SSH public key lines, or files of them),
    /// one per line or comma-separated: the archive is written encrypted.
    pub encrypt_to: String,
    unlock: crate::gui::keyring::UnlockField,
    keygen: crate::gui::keyring::KeygenForm,
    /// Known profiles (name, description), loaded in the background.
    pub profiles: Option<Result<Vec<(String, String)>, String>>,
    profiles_job: Option<Job<Vec<(String, String)>>>,
    /// Profiles ticked for this capture.
    pub chosen_profiles: Vec<String>,
    prescan: Option<(ScanKey, Job<Estimate>)>,
    pub estimate: Option<(ScanKey, Result<Estimate, String>)>,
    job: Option<Job<CaptureSummary>>,
    /// The last capture's outcome.
    pub result: Option<Result<CaptureSummary, String>>,
    form_error: Option<String>,
}

impl View for CaptureView {
    fn screen(&self) -> Screen {
        Screen::CAPTURE
    }

    fn title(&self) -> &'static str {
        "Capture"
    }

    fn ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        self.draw(ui, vc);
    }

    fn logic(&mut self, _ctx: &egui::Context, vc: &mut ViewCtx<'_>) {
        self.poll_jobs(vc.commands);
    }

    fn busy(&self) -> Vec<String> {
        CaptureView::busy(self)
    }

    fn command(
        &mut self,
        _ctx: &egui::Context,
        command: Command,
        _settings: &Settings,
    ) -> Option<Command> {
        match command {
            Command::AddCaptureSource(p) => {
                self.add_source(p);
                None
            }
            Command::NewCapture => {
                self.new_form();
                None
            }
            other => Some(other),
        }
    }

    fn on_case_opened(&mut self, case: &CaseFolder) {
        self.prefill_from_case(case);
    }
}

impl CaptureView {
    pub fn new(settings: &Settings) -> Self {
        Self {
            sources: Vec::new(),
            new_source: String::new(),
            source_picker: Picker::new(),
            source_no_dialog: false,
            mode: SourceMode::ThisMachine,
            root: PathField::default(),
            remote: RemoteForm::default(),
            destination: PathField::default(),
            case_id: String::new(),
            evidence_id: String::new(),
            missing: Default::default(),
            examiner: settings.examiner.clone(),
            organisation: settings.organisation.clone(),
            timezone: crate::capture::local_timezone(),
            purpose: String::new(),
            location: String::new(),
            signing_key: PathField::new(settings.signing_key.clone()),
            encrypt_to: settings.encrypt_to.clone(),
            unlock: Default::default(),
            keygen: Default::default(),
            profiles: None,
            profiles_job: None,
            chosen_profiles: Vec::new(),
            prescan: None,
            estimate: None,
            job: None,
            result: None,
            form_error: None,
        }
    }

    /// Fill case, examiner and destination from an opened case.
    pub fn prefill_from_case(&mut self, case: &CaseFolder) {
        self.case_id = case.info.case_id.clone();
        if !case.info.examiner.is_empty() {
            self.examiner = case.info.examiner.clone();
        }
        if !case.info.organisation.is_empty() {
            self.organisation = case.info.organisation.clone();
        }
        if !case.info.timezone.is_empty() {
            self.timezone = case.info.timezone.clone();
        }
        self.destination.text = case.dir.display().to_string();
        // Never an ID an archive of the case already carries.
        let start = match self.evidence_id.trim() {
            "" => "E01".to_string(),
            id => id.to_string(),
        };
        self.evidence_id = case.free_evidence_id(&start);
    }

    /// Add a source path (typed, picked or dropped), once. A local path
    /// (on this machine, or inside the image root) that does not exist is
    /// flagged, not refused: it may appear before the capture starts.
    pub fn add_source(&mut self, p: PathBuf) {
        let s = p.display().to_string();
        if !s.trim().is_empty() && !self.sources.contains(&s) {
            let on_disk = match self.mode {
                SourceMode::ThisMachine => Some(p.clone()),
                SourceMode::MountedImage => self
                    .root
                    .path()
                    .map(|r| r.join(p.strip_prefix("/").unwrap_or(&p))),
                SourceMode::RemoteServer => None,
            };
            if let Some(d) = on_disk
                && std::fs::symlink_metadata(&d).is_err()
            {
                self.missing.insert(s.clone());
            }
            self.sources.push(s);
        }
    }

    /// A fresh form for the next capture (Ctrl+N): the last result, the
    /// sources and the purpose cleared; case, examiner, destination, keys,
    /// profiles and the (advanced) evidence ID kept. A running capture is
    /// left alone and shown.
    pub fn new_form(&mut self) {
        if self.job.is_some() {
            return;
        }
        self.result = None;
        self.form_error = None;
        self.sources.clear();
        self.missing.clear();
        self.new_source.clear();
        self.purpose.clear();
    }

    /// What is running, for the status bar.
    pub fn busy(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(j) = &self.job {
            v.push(format!(
                "{} {}",
                j.title,
                j.fraction()
                    .map(|f| format!("{:.0}%", f * 100.0))
                    .unwrap_or_default()
            ));
        }
        if self.prescan.is_some() {
            v.push("Estimating".into());
        }
        v
    }

    /// True while a capture runs.
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    fn poll_jobs(&mut self, commands: &mut Vec<Command>) {
        if let Some(p) = self.source_picker.poll() {
            self.add_source(p);
        }
        if let Some(job) = self.profiles_job.as_mut()
            && let Some(r) = job.poll()
        {
            self.profiles_job = None;
            self.profiles = Some(r);
        }
        if let Some((key, job)) = self.prescan.as_mut()
            && let Some(r) = job.poll()
        {
            self.estimate = Some((std::mem::take(key), r));
            self.prescan = None;
        }
        if let Some(job) = self.job.as_mut()
            && let Some(r) = job.poll()
        {
            self.job = None;
            if r.is_ok() {
                commands.push(Command::RefreshCase);
                // The next capture is another piece of evidence, for its
                // own reason: E01 -> E02, and the purpose asked again.
                let used = match self.evidence_id.trim() {
                    "" => "E01",
                    id => id,
                };
                self.evidence_id = next_evidence_id(used);
                self.purpose.clear();
            }
            self.result = Some(r);
        }
    }

    fn root_key(&self) -> Option<String> {
        match self.mode {
            SourceMode::ThisMachine | SourceMode::RemoteServer => None,
            SourceMode::MountedImage => Some(self.root.text.trim().to_string()),
        }
    }

    /// Start (or restart) the pre-scan when the sources changed.
    fn refresh_estimate(&mut self, ctx: &egui::Context) {
        let key: ScanKey = (
            self.sources.clone(),
            self.root_key(),
            self.chosen_profiles.clone(),
        );
        let current = self
            .prescan
            .as_ref()
            .map(|(k, _)| k)
            .or(self.estimate.as_ref().map(|(k, _)| k));
        if current == Some(&key) {
            return;
        }
        if let Some((_, old)) = &self.prescan {
            old.cancel();
        }
        self.estimate = None;
        if key.0.is_empty() && key.1.as_deref().is_none_or(str::is_empty) && key.2.is_empty() {
            self.prescan = None;
            return;
        }
        let (sources, root, profiles) = key.clone();
        let job = Job::spawn(ctx, "Estimating", move |sink, cancel| {
            prescan(
                &sources,
                root.as_deref().map(Path::new),
                &profiles,
                sink,
                cancel,
            )
        });
        self.prescan = Some((key, job));
    }

    fn validated(&self, ctx_case: Option<&CaseFolder>) -> Result<Planned, String> {
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        let root = match self.mode {
            SourceMode::ThisMachine => None,
            SourceMode::MountedImage => Some(
                self.root
                    .path()
                    .ok_or("choose the folder where the image is mounted (its /)")?,
            ),
            SourceMode::RemoteServer => opt(&self.remote.root).map(PathBuf::from),
        };
        let remote = self.mode == SourceMode::RemoteServer;
        if remote && self.remote.host.trim().is_empty() {
            return Err("enter the server to capture: [user@]host[:port]".into());
        }
        if self.sources.is_empty() && root.is_none() && self.chosen_profiles.is_empty() {
            return Err("add at least one folder or file to capture, or tick a profile".into());
        }
        let out = self
            .destination
            .path()
            .or_else(|| ctx_case.map(|c| c.dir.clone()))
            .ok_or("choose a destination folder for the archive")?;
        if self.case_id.trim().is_empty() {
            return Err("a case ID is required".into());
        }
        if self.examiner.trim().is_empty() {
            return Err("the examiner's name is required".into());
        }
        let sources = self.sources.iter().map(PathBuf::from).collect();
        let mut req = CaptureRequest::new(sources, out, self.case_id.trim(), self.examiner.trim());
        req.root = root;
        req.interface = Interface::Gui;
        req.case.evidence_id = self.evidence_id.trim().to_string();
        req.case.purpose = opt(&self.purpose);
        req.examiner.organisation = opt(&self.organisation);
        if let Some(tz) = opt(&self.timezone) {
            req.examiner.timezone = tz;
        }
        req.location = opt(&self.location);
        req.profiles = self.chosen_profiles.clone();
        req.live = LivePolicy::Auto;
        let specs: Vec<String> = self
            .encrypt_to
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if !specs.is_empty() {
            let r = crate::archive::encrypt::parse_recipients(&specs)
                .map_err(|e| format!("encrypt to: {e}"))?;
            req.encrypt_to = Some(std::sync::Arc::new(r));
        }
        if !remote {
            return Ok(Planned::Local(Box::new(req)));
        }
        let target = crate::remote::ssh::SshTarget::parse(&self.remote.host)
            .map_err(|e| format!("server: {e}"))?;
        Ok(Planned::Remote(Box::new(crate::remote::RemoteRequest {
            target,
            ssh: crate::remote::ssh::SshOptions {
                config: self.remote.ssh_config.path(),
                options: Vec::new(),
                // Nobody can answer a prompt: keys and the agent only.
                batch_mode: true,
                program: None,
            },
            remote_exhibit: opt(&self.remote.remote_exhibit),
            upload_binary: self.remote.upload_binary.path(),
            capture: req,
        })))
    }

    /// Start the capture job.
    pub fn start(&mut self, ctx: &egui::Context, case: Option<&CaseFolder>) {
        let planned = match self.validated(case) {
            Ok(p) => p,
            Err(e) => {
                self.form_error = Some(e);
                return;
            }
        };
        self.form_error = None;
        self.result = None;
        let key = self.signing_key.path();
        self.job = Some(Job::spawn(ctx, "Capturing", move |sink, cancel| {
            let signer = match &key {
                Some(k) => Some(crate::gui::keyring::load_signer(k)?),
                None => None,
            };
            match planned {
                Planned::Local(mut req) => {
                    req.signer = signer;
                    Ok(crate::capture::capture(&req, sink, cancel)?)
                }
                Planned::Remote(mut req) => {
                    req.capture.signer = signer;
                    Ok(crate::remote::capture_remote(&req, sink, cancel)?.capture)
                }
            }
        }));
    }

    fn draw(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        if let Some(job) = &self.job {
            ui.label(RichText::new("Capture in progress").heading());
            widgets::hint(
                ui,
                "The archive is written as .zip.partial and only renamed once complete and hashed.",
            );
            widgets::cancellable_job_ui(ui, job);
            return;
        }
        if self.result.is_none() {
            egui::Panel::bottom("capture_start_bar")
                .frame(egui::Frame::NONE.inner_margin(egui::Margin::symmetric(0, 6)))
                .show(ui, |ui| self.start_bar_ui(ui, vc));
        }
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                if let Some(r) = &self.result {
                    // The outcome alone, at the top: nothing to scroll past.
                    let mut dismiss = false;
                    result_ui(ui, r, vc.commands, &mut dismiss);
                    if dismiss {
                        self.result = None;
                    }
                } else {
                    self.form_ui(ui);
                }
            });
    }

    fn profiles_ui(&mut self, ui: &mut Ui) {
        if self.profiles.is_none() && self.profiles_job.is_none() {
            self.profiles_job = Some(Job::spawn(ui.ctx(), "Loading profiles", |_, _| {
                let set = crate::capture::profile::ProfileSet::load(
                    crate::capture::profile::user_profile_dir().as_deref(),
                )?;
                Ok(set
                    .profiles
                    .values()
                    .map(|p| (p.name.clone(), p.description.trim().to_string()))
                    .collect())
            }));
        }
        ui.label(RichText::new("Collection profiles").strong());
        widgets::hint(
            ui,
            "Tick profiles to take the places that matter on a server (logs, accounts, persistence…). \
             With no profile ticked, the sources above are captured completely.",
        );
        match &self.profiles {
            None => {
                ui.spinner();
            }
            Some(Err(e)) => {
                ui.label(widgets::toned(
                    ui,
                    Tone::Bad,
                    format!("cannot load profiles: {e}"),
                ));
            }
            Some(Ok(list)) => {
                egui::Grid::new("profile_grid")
                    .num_columns(2)
                    .spacing([12.0, 2.0])
                    .show(ui, |ui| {
                        for (name, desc) in list {
                            let mut on = self.chosen_profiles.contains(name);
                            if ui
                                .checkbox(&mut on, RichText::new(name).monospace())
                                .changed()
                            {
                                if on {
                                    self.chosen_profiles.push(name.clone());
                                } else {
                                    self.chosen_profiles.retain(|n| n != name);
                                }
                            }
                            ui.add(egui::Label::new(RichText::new(desc).weak()).truncate())
                                .on_hover_text(desc);
                            ui.end_row();
                        }
                    });
            }
        }
    }

    fn form_ui(&mut self, ui: &mut Ui) {
        ui.label(RichText::new("New capture").heading());
        widgets::section(ui, "1. What to capture");
        ui.horizontal(|ui| {
            ui.radio_value(
                &mut self.mode,
                SourceMode::ThisMachine,
                "This machine (live system)",
            );
            ui.radio_value(
                &mut self.mode,
                SourceMode::MountedImage,
                "Mounted image / copied tree",
            );
            ui.radio_value(
                &mut self.mode,
                SourceMode::RemoteServer,
                "Remote server over SSH",
            );
        });
        if self.mode == SourceMode::RemoteServer {
            self.remote_ui(ui);
        }
        if self.mode == SourceMode::MountedImage {
            self.root.ui(
                ui,
                "Image root",
                PickKind::Folder,
                "/mnt/evidence (the image's /)",
            );
            widgets::hint(
                ui,
                "Paths are recorded as the examined system sees them (/mnt/evidence/etc is recorded as /etc); \
                 with no sources the whole image is captured.",
            );
        }
        let mut remove = None;
        for (i, s) in self.sources.iter().enumerate() {
            ui.horizontal(|ui| {
                ui.label(RichText::new(s).monospace());
                if self.missing.contains(s) {
                    widgets::badge(ui, Tone::Warn, "not found").on_hover_text(
                        "Nothing at this path when it was added: the capture will \
                         record it as an error",
                    );
                }
                if ui
                    .small_button(format!("Remove source {}", i + 1))
                    .clicked()
                {
                    remove = Some(i);
                }
            });
        }
        if let Some(i) = remove {
            let gone = self.sources.remove(i);
            self.missing.remove(&gone);
        }
        let focus = self.source_picker.take_unavailable();
        self.source_no_dialog |= focus;
        ui.horizontal(|ui| {
            let l = ui.add_sized([150.0, 20.0], egui::Label::new("Source path"));
            let hint = match self.mode {
                SourceMode::ThisMachine => "/var/log or /etc/passwd",
                SourceMode::MountedImage => "/var/log (inside the image)",
                SourceMode::RemoteServer => "/var/log (on the server)",
            };
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.new_source)
                        .hint_text(hint)
                        .desired_width(360.0),
                )
                .labelled_by(l.id);
            if focus {
                r.request_focus();
            }
            if r.changed() {
                self.source_no_dialog = false;
            }
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button("Add source").clicked() || enter) && !self.new_source.trim().is_empty() {
                let p = PathBuf::from(self.new_source.trim());
                self.add_source(p);
                self.new_source.clear();
            }
            if self.mode != SourceMode::RemoteServer
                && ui
                    .add_enabled(
                        !self.source_picker.is_open(),
                        egui::Button::new("Add folder…"),
                    )
                    .clicked()
            {
                self.source_picker
                    .open(ui.ctx(), PickKind::Folder, "Folder to capture");
            }
        });
        if self.source_no_dialog {
            widgets::no_dialog_ui(ui);
        }
        widgets::hint(ui, "Tip: drop folders on the window to add them.");
        ui.add_space(4.0);
        self.profiles_ui(ui);
        if self.mode == SourceMode::RemoteServer {
            widgets::hint(
                ui,
                "The server's files are counted by the capture itself; progress shows them as they are read.",
            );
        } else {
            self.estimate_ui(ui);
        }
        self.destination_ui(ui);
    }

    /// The server, how to reach it, and which exhibit runs there.
    fn remote_ui(&mut self, ui: &mut Ui) {
        widgets::labeled_text(ui, "Server", &mut self.remote.host, "[user@]host[:port]");
        self.remote.ssh_config.ui(
            ui,
            "SSH config file (optional)",
            PickKind::File,
            "~/.ssh/config",
        );
        widgets::labeled_text(
            ui,
            "Image root on the server (optional)",
            &mut self.remote.root,
            "/mnt/evidence; empty for its running system",
        );
        self.remote.upload_binary.ui(
            ui,
            "Binary to upload (optional)",
            PickKind::File,
            "exhibit-<arch>-linux-musl beside this exhibit",
        );
        widgets::labeled_text(
            ui,
            "Exhibit on the server (optional)",
            &mut self.remote.remote_exhibit,
            "/media/usb/exhibit, instead of uploading",
        );
        widgets::hint(
            ui,
            "Uses your ssh (keys, agent, known_hosts; no password prompts here). The static exhibit for the \
             server's architecture is uploaded to RAM, checked, run and removed; the archive is streamed \
             back and nothing is written to the server's disks.",
        );
    }

    fn estimate_ui(&mut self, ui: &mut Ui) {
        self.refresh_estimate(ui.ctx());
        ui.horizontal(|ui| {
            ui.label(RichText::new("Estimate").strong());
            match (&self.prescan, &self.estimate) {
                (Some((_, job)), _) => {
                    ui.spinner();
                    ui.label(format!(
                        "scanning… {} files, {} so far",
                        widgets::thousands(job.progress.files_done),
                        widgets::human_bytes(job.progress.bytes_done)
                    ));
                }
                (None, Some((_, Ok(e)))) => {
                    let not_stored = if e.not_stored > 0 {
                        format!(", {} more files recorded but not stored", widgets::thousands(e.not_stored))
                    } else {
                        String::new()
                    };
                    ui.label(format!(
                        "{} files, {} to store ({} entries in all{not_stored})",
                        widgets::thousands(e.files),
                        widgets::human_bytes(e.bytes),
                        widgets::thousands(e.entries)
                    ))
                    .on_hover_text(format!(
                        "Counted by the capture's own walk, profiles and limits. It can still differ: {}.",
                        e.caveats().join("; ")
                    ));
                }
                (None, Some((_, Err(e)))) => {
                    ui.label(widgets::toned(
                        ui,
                        Tone::Warn,
                        format!("cannot estimate: {e}"),
                    ));
                }
                (None, None) => widgets::hint(ui, "add a source to see how much will be captured"),
            }
        });
        // Always shown, so the form does not move when an estimate ends.
        widgets::hint(
            ui,
            "Counted by the capture's own rules. Not in it: files that change, appear or vanish \
             before they are read, and live response (taken at capture time).",
        );
    }

    fn destination_ui(&mut self, ui: &mut Ui) {
        widgets::section(ui, "2. Where the archive goes");
        self.destination.ui(
            ui,
            "Destination folder",
            PickKind::Folder,
            "the case folder",
        );
        widgets::section(ui, "3. Case and examiner");
        widgets::labeled_text(ui, "Capture case ID", &mut self.case_id, "IR-2026-014");
        widgets::labeled_text(ui, "Evidence ID", &mut self.evidence_id, "E01 (default)");
        widgets::labeled_text(ui, "Capture examiner", &mut self.examiner, "your name");
        widgets::labeled_text(ui, "Capture organisation", &mut self.organisation, "");
        widgets::labeled_text(ui, "Purpose", &mut self.purpose, "why this capture is made");
        widgets::labeled_text(
            ui,
            "Location",
            &mut self.location,
            "where you are (for the custody log)",
        );
        self.signing_key.ui(
            ui,
            "Signing key (optional)",
            PickKind::File,
            "~/.ssh/id_ed25519",
        );
        self.unlock.ui(ui, self.signing_key.path().as_deref());
        if let Some(p) = self.keygen.ui(ui, &self.examiner) {
            self.signing_key.text = p.display().to_string();
        }
        ui.horizontal(|ui| {
            let l = ui.add_sized([150.0, 20.0], egui::Label::new("Encrypt to (optional)"));
            ui.add(
                egui::TextEdit::multiline(&mut self.encrypt_to)
                    .desired_rows(1)
                    .desired_width(ui.available_width().clamp(120.0, 420.0))
                    .hint_text("age1… or ssh-ed25519 AAAA… or a file of them; one per line")
                    .font(egui::TextStyle::Monospace),
            )
            .labelled_by(l.id)
            .on_hover_text(
                "The archive is encrypted with age while it is written (.zip.age): \
                 no plaintext copy on disk. Any one of these keys decrypts it.",
            );
        });
    }

    /// The Start button (and why the capture cannot start), pinned below the
    /// form so it is reachable on a small screen without scrolling.
    fn start_bar_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        if let Some(e) = &self.form_error {
            widgets::message_box(ui, Tone::Bad, "Cannot start the capture", e);
        }
        ui.add_space(4.0);
        let start = ui
            .add(
                egui::Button::new(RichText::new("Start capture").size(18.0).strong())
                    .min_size(egui::vec2(180.0, 36.0)),
            )
            .on_hover_text("Ctrl+Enter");
        let shortcut = ui.ctx().input_mut(|i| {
            i.consume_shortcut(&egui::KeyboardShortcut::new(
                egui::Modifiers::COMMAND,
                egui::Key::Enter,
            ))
        });
        if start.clicked() || shortcut {
            vc.settings.signing_key = self.signing_key.text.clone();
            vc.settings.encrypt_to = self.encrypt_to.clone();
            self.start(ui.ctx(), vc.case);
        }
    }
}

fn result_ui(
    ui: &mut Ui,
    r: &Result<CaptureSummary, String>,
    commands: &mut Vec<Command>,
    dismiss: &mut bool,
) {
    match r {
        Err(e) => {
            widgets::message_box(ui, Tone::Bad, "The capture did not complete", e);
            if ui.button("Dismiss").clicked() {
                *dismiss = true;
            }
        }
        Ok(s) => {
            let name = s
                .archive
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let (tone, headline) = if s.errors.is_empty() {
                (Tone::Good, "Capture complete".to_string())
            } else {
                (
                    Tone::Warn,
                    format!("Capture complete with {} warnings", s.errors.len()),
                )
            };
            widgets::verdict(
                ui,
                tone,
                &headline,
                &format!(
                    "{} files, {} captured into {} ({}) ",
                    widgets::thousands(s.files),
                    widgets::human_bytes(s.bytes),
                    name,
                    widgets::human_bytes(s.archive_bytes)
                ),
            );
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                ui.label(RichText::new("Archive").strong());
                ui.label(RichText::new(s.archive.display().to_string()).monospace());
                widgets::copy_button(ui, "Copy archive path", &s.archive.display().to_string());
            });
            widgets::hash_display(ui, "Archive SHA-256", &s.sha256);
            if let Some(h) = &s.encryption {
                ui.label("Encrypted with age: the SHA-256 above is the .zip.age file's.");
                widgets::hash_display(ui, "Plaintext ZIP SHA-256", &h.plaintext_sha256);
            }
            widgets::hint(ui, "Write this SHA-256 on the paper custody form.");
            ui.horizontal(|ui| {
                if ui.button("Open in evidence browser").clicked() {
                    commands.push(Command::OpenArchive(s.archive.clone()));
                }
                if ui.button("Verify now").clicked() {
                    commands.push(Command::VerifyArchive(s.archive.clone()));
                }
                if ui.button("Custody and printable form").clicked() {
                    commands.push(Command::ShowCustody(s.archive.clone()));
                }
                if ui.button("New capture").on_hover_text("Ctrl+N").clicked() {
                    commands.push(Command::NewCapture);
                }
            });
            if !s.errors.is_empty() {
                widgets::section(
                    ui,
                    "Warnings (every entry is in the archive's records with its reason)",
                );
                TableBuilder::new(ui)
                    .id_salt("capture_warnings")
                    .striped(true)
                    .max_scroll_height(240.0)
                    .column(Column::remainder().at_least(300.0).clip(true))
                    .column(Column::auto().at_least(140.0))
                    .column(Column::remainder().at_least(200.0))
                    .header(22.0, |mut h| {
                        for t in ["Path", "Status", "Reason"] {
                            h.col(|ui| {
                                ui.strong(t);
                            });
                        }
                    })
                    .body(|body| {
                        body.rows(22.0, s.errors.len(), |mut row| {
                            let Some(e) = s.errors.get(row.index()) else {
                                return;
                            };
                            row.col(|ui| {
                                ui.label(RichText::new(&e.path).monospace());
                            });
                            row.col(|ui| {
                                ui.label(widgets::toned(ui, Tone::Warn, &e.status));
                            });
                            row.col(|ui| {
                                ui.label(&e.reason);
                            });
                        });
                    });
            }
        }
    }
}

/// Count what a capture of `sources` (inside `root`, with `profiles`)
/// would store, with the capture's own walk, selection and planner
/// ([`crate::capture::estimate::estimate`]), without reading any content.
pub fn prescan(
    sources: &[String],
    root: Option<&Path>,
    profiles: &[String],
    sink: &dyn ProgressSink,
    cancel: &CancelToken,
) -> anyhow::Result<Estimate> {
    if cancel.is_cancelled() {
        anyhow::bail!("estimate cancelled");
    }
    // The same request the form makes (validated()), minus what does not
    // change what is taken (case, examiner, destination, keys).
    let mut req = CaptureRequest::new(
        sources.iter().map(PathBuf::from).collect(),
        PathBuf::new(),
        "estimate",
        "estimate",
    );
    req.root = root.map(Path::to_path_buf);
    req.profiles = profiles.to_vec();
    req.live = LivePolicy::Auto;
    Ok(crate::capture::estimate::estimate(&req, sink, cancel)?)
}

pub use crate::case::next_evidence_id;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_ids_advance_keeping_their_width() {
        assert_eq!(next_evidence_id("E01"), "E02");
        assert_eq!(next_evidence_id("E09"), "E10");
        assert_eq!(next_evidence_id("E99"), "E100");
        assert_eq!(next_evidence_id("HD-099"), "HD-100");
        assert_eq!(next_evidence_id("disk"), "disk-2");
        assert_eq!(next_evidence_id("7"), "8");
    }

    #[test]
    fn prescan_counts_files_and_bytes_without_following_links() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("etc/ssh")).unwrap();
        std::fs::write(tmp.path().join("etc/passwd"), b"root:x:0:0\n").unwrap();
        std::fs::write(tmp.path().join("etc/ssh/sshd_config"), vec![b'x'; 1000]).unwrap();
        std::os::unix::fs::symlink("/usr", tmp.path().join("etc/loop")).unwrap();
        let e = prescan(
            &["/etc".into()],
            Some(tmp.path()),
            &[],
            &crate::job::NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
        assert_eq!((e.files, e.bytes, e.entries), (2, 1011, 5));
        let cancel = CancelToken::new();
        cancel.cancel();
        assert!(prescan(&[], Some(tmp.path()), &[], &crate::job::NoProgress, &cancel).is_err());
    }
}
