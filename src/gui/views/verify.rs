//! The Verify screen: run `verify` on an archive in the background, then a
//! clear verdict (intact / N problems), a table of every problem with its
//! kind and file, the custody signatures, and what was checked.

use crate::case::custody_log::VerificationState;
use crate::gui::context::{Command, Screen, Settings, View, ViewCtx};
use crate::gui::jobs::{Job, PickKind};
use crate::gui::theme::Tone;
use crate::gui::widgets::{self, PathField};
use crate::verify::{VerifyReport, VerifyRequest};
use crate::viewmodel::verify::VerdictTone;
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use std::path::PathBuf;

/// A finished verification: the report, what happened to the `verified`
/// event (when one was asked for), and the trust file it was judged with.
type Verified = (VerifyReport, Option<String>, Option<PathBuf>);

/// State of the Verify screen.
#[derive(Default)]
pub struct VerifyView {
    pub archive: PathField,
    pub trust: PathField,
    /// Append a `verified` event to the custody log after verifying.
    pub record: bool,
    job: Option<Job<Verified>>,
    pub result: Option<Result<VerifyReport, String>>,
    /// What happened to the `verified` event, when one was asked for.
    pub recorded: Option<(Tone, String)>,
    unlock: crate::gui::keyring::UnlockField,
    /// Who the `verified` event names, when recorded.
    pub verifier: Verifier,
    /// The key that signs the `verified` event (the auditor's own).
    pub signing_key: PathField,
    keygen: crate::gui::keyring::KeygenForm,
    trust_panel: crate::gui::trust::TrustPanel,
    /// The allowed_signers file the shown result was judged with.
    pub trust_used: Option<PathBuf>,
}

/// The person recording a verification: the auditor, in their own name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verifier {
    pub name: String,
    pub role: String,
    pub organisation: String,
}

/// Append the `verified` event for a finished verification (same details as
/// `exhibit verify --record`).
fn record_verification(
    rep: &VerifyReport,
    who: &Verifier,
    key: Option<&std::path::Path>,
) -> anyhow::Result<String> {
    use crate::custody;
    let log = rep
        .custody_log
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no custody log beside the archive to record in"))?;
    if who.name.trim().is_empty() {
        anyhow::bail!("give your name (Verified by) to record who verified");
    }
    let signer = key.map(crate::gui::keyring::load_signer).transpose()?;
    let details = rep.custody_details(&format!("exhibit {} (gui)", env!("CARGO_PKG_VERSION")));
    let new = custody::NewEvent {
        action: Some(custody::Action::Verified),
        actor: custody::Actor {
            name: who.name.trim().to_string(),
            role: Some(match who.role.trim() {
                "" => "verifier".to_string(),
                r => r.to_string(),
            }),
            organisation: (!who.organisation.trim().is_empty())
                .then(|| who.organisation.trim().to_string()),
            contact: None,
        },
        details,
        ..custody::NewEvent::default()
    };
    let ev = custody::append_event(log, &new, signer.as_deref())?;
    Ok(format!(
        "verified event #{} recorded in the custody log{}",
        ev.seq,
        if signer.is_some() {
            " (signed)"
        } else {
            " (unsigned)"
        }
    ))
}

impl View for VerifyView {
    fn screen(&self) -> Screen {
        Screen::VERIFY
    }

    fn title(&self) -> &'static str {
        "Verify"
    }

    fn ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        // Scrolls: with a case's trusted signers and a new key's form open,
        // the screen is taller than a laptop's.
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| self.body_ui(ui, vc));
    }

    fn logic(&mut self, _ctx: &egui::Context, vc: &mut ViewCtx<'_>) {
        self.poll_jobs(vc.commands);
    }

    fn busy(&self) -> Vec<String> {
        self.job.iter().map(|j| j.title.clone()).collect()
    }

    fn command(
        &mut self,
        ctx: &egui::Context,
        command: Command,
        settings: &Settings,
    ) -> Option<Command> {
        match command {
            Command::VerifyArchive(p) => {
                self.start(ctx, p, settings);
                None
            }
            other => Some(other),
        }
    }
}

impl VerifyView {
    fn body_ui(&mut self, ui: &mut Ui, vc: &mut ViewCtx<'_>) {
        ui.label(RichText::new("Verify an archive").heading());
        widgets::hint(
            ui,
            "Checks the ZIP structure, every file against the BagIt manifests and the records, \
             and the custody log beside the archive. Nothing is extracted.",
        );
        if self.archive.ui(
            ui,
            "Archive to verify",
            PickKind::Archive,
            "…/IR-7_E01_host_….zip",
        ) {
            // A verdict belongs to the archive it was given for.
            self.clear_if_other_archive();
        }
        if let Some(case) = vc.case {
            // The case's own trust: one file for Custody, Verify and the CLI.
            let name = if self.verifier.name.trim().is_empty() {
                vc.settings.examiner.clone()
            } else {
                self.verifier.name.clone()
            };
            if self.trust_panel.ui(ui, &case.dir, &name) && self.job.is_none() {
                // Judge the shown result's signatures again (not recorded twice).
                if let Some(Ok(rep)) = &self.result {
                    let p = rep.archive.clone();
                    self.start_with(ui.ctx(), p, vc.settings, false);
                }
            }
        } else {
            self.trust.ui(
                ui,
                "Trusted signers (optional)",
                PickKind::File,
                "OpenSSH allowed_signers file",
            );
        }
        if let Some(case) = vc.case {
            ui.horizontal_wrapped(|ui| {
                ui.label("Case archives:");
                for a in &case.archives {
                    if a.verification == VerificationState::Incomplete {
                        continue;
                    }
                    if ui.link(a.file_name()).clicked() {
                        self.archive.text = a.path.display().to_string();
                        self.clear_if_other_archive();
                    }
                }
            });
        }
        if let Some(job) = &self.job {
            widgets::cancellable_job_ui(ui, job);
            return;
        }
        ui.checkbox(
            &mut self.record,
            "Record a verified event in the custody log",
        )
        .on_hover_text(
            "Signed with the verifier signing key below, when one is set: your own key, in your own name",
        );
        if self.record {
            // The auditor's own name, not the case examiner's.
            let v = &mut self.verifier;
            if v.name.is_empty() && v.role.is_empty() && v.organisation.is_empty() {
                let st = &vc.settings;
                v.name = if st.verifier_name.is_empty() {
                    st.examiner.clone()
                } else {
                    st.verifier_name.clone()
                };
                v.role = if st.verifier_role.is_empty() {
                    "verifier".into()
                } else {
                    st.verifier_role.clone()
                };
                v.organisation = if st.verifier_organisation.is_empty() {
                    st.organisation.clone()
                } else {
                    st.verifier_organisation.clone()
                };
            }
            widgets::labeled_text(ui, "Verified by", &mut v.name, "your name");
            widgets::labeled_text(ui, "Role", &mut v.role, "verifier, auditor…");
            widgets::labeled_text(ui, "Organisation", &mut v.organisation, "");
        }
        if self.record {
            if self.signing_key.text.is_empty() {
                self.signing_key.text = vc.settings.signing_key.clone();
            }
            self.signing_key.ui(
                ui,
                "Verifier signing key",
                PickKind::File,
                "your OpenSSH private key (optional)",
            );
            self.unlock.ui(ui, self.signing_key.path().as_deref());
            if let Some(p) = self.keygen.ui(ui, &self.verifier.name) {
                self.signing_key.text = p.display().to_string();
            }
        }
        if ui
            .add(
                egui::Button::new(RichText::new("Run verification").size(17.0).strong())
                    .min_size(egui::vec2(120.0, 32.0)),
            )
            .clicked()
        {
            if vc.case.is_none() {
                vc.settings.trust_file = self.trust.text.clone();
            }
            if self.record {
                vc.settings.signing_key = self.signing_key.text.clone();
                vc.settings.verifier_name = self.verifier.name.clone();
                vc.settings.verifier_role = self.verifier.role.clone();
                vc.settings.verifier_organisation = self.verifier.organisation.clone();
            }
            match self.archive.path() {
                Some(p) => self.start(ui.ctx(), p, vc.settings),
                None => {
                    self.result = Some(Err("type or choose the archive to verify first".into()))
                }
            }
        }
        ui.add_space(6.0);
        match &self.result {
            None => {}
            Some(Err(e)) => widgets::message_box(ui, Tone::Bad, "Verification could not run", e),
            Some(Ok(rep)) => {
                if let Some((tone, m)) = &self.recorded {
                    ui.label(widgets::toned(ui, *tone, m));
                }
                match &self.trust_used {
                    Some(t) => ui.label(format!("Signatures judged with {}", t.display())),
                    None => ui.label(widgets::toned(
                        ui,
                        Tone::Warn,
                        "No trusted signers: a valid signature shows as untrusted",
                    )),
                };
                report_ui(ui, rep, vc.commands);
            }
        }
    }

    /// Forget the shown result when the archive field names another
    /// archive than the one it is about.
    fn clear_if_other_archive(&mut self) {
        let shown = match &self.result {
            Some(Ok(r)) => Some(r.archive.clone()),
            _ => None,
        };
        if self.archive.path() != shown {
            self.result = None;
            self.recorded = None;
        }
    }

    /// Start verifying `path` (recording a `verified` event when ticked).
    pub fn start(&mut self, ctx: &egui::Context, path: PathBuf, settings: &Settings) {
        let record = self.record;
        self.start_with(ctx, path, settings, record);
    }

    /// Start verifying `path`; `record` appends the `verified` event.
    fn start_with(
        &mut self,
        ctx: &egui::Context,
        path: PathBuf,
        settings: &Settings,
        record: bool,
    ) {
        if self.job.is_some() {
            return;
        }
        self.archive.text = path.display().to_string();
        if self.trust.text.is_empty() {
            self.trust.text = settings.trust_file.clone();
        }
        // An encrypted archive unlocked in this session is verified with
        // its key (contents too); a locked one by its ciphertext alone.
        let identity = crate::archive::unlocked::identities(&path).map(|i| (*i).clone());
        let fallback = self.trust.path();
        let mut req = VerifyRequest {
            archive: path,
            trust: None,
            threads: 0,
            identity,
        };
        self.result = None;
        self.recorded = None;
        self.trust_used = None;
        let who = self.verifier.clone();
        if self.signing_key.text.is_empty() {
            self.signing_key.text = settings.signing_key.clone();
        }
        let key = self.signing_key.path();
        self.job = Some(Job::spawn(ctx, "Verifying", move |sink, cancel| {
            // An archive of a case is judged with the case's trusted signers.
            req.trust = crate::case::trust::for_archive(&req.archive).or(fallback);
            let rep = crate::verify::verify(&req, sink, cancel)?;
            let recorded = record.then(|| match record_verification(&rep, &who, key.as_deref()) {
                Ok(m) => m,
                Err(e) => format!("NOT recorded: {e:#}"),
            });
            Ok((rep, recorded, req.trust))
        }));
    }

    fn poll_jobs(&mut self, commands: &mut Vec<Command>) {
        if let Some(job) = self.job.as_mut()
            && let Some(r) = job.poll()
        {
            self.job = None;
            let r = r.map(|(rep, rec, trust)| {
                self.trust_used = trust;
                self.recorded = rec.map(|m| {
                    let tone = if m.starts_with("NOT") {
                        Tone::Bad
                    } else {
                        Tone::Good
                    };
                    (tone, m)
                });
                rep
            });
            if let Ok(rep) = &r {
                let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                let state = if rep.ok {
                    VerificationState::Intact(now)
                } else {
                    VerificationState::Problems(rep.problems.len() as u64, now)
                };
                commands.push(Command::Verified(rep.archive.clone(), state));
            }
            self.result = Some(r);
        }
    }
}

fn report_ui(ui: &mut Ui, rep: &VerifyReport, commands: &mut Vec<Command>) {
    let n = rep.problems.len();
    let v = crate::viewmodel::verify::verdict(rep);
    let tone = match v.tone {
        VerdictTone::Good => Tone::Good,
        VerdictTone::Warn => Tone::Warn,
        VerdictTone::Bad => Tone::Bad,
    };
    widgets::verdict(ui, tone, &v.headline, &v.sub);
    ui.add_space(4.0);
    widgets::hash_display(ui, v.hash_label, &rep.sha256);
    if let Some(e) = &rep.encryption
        && let Some(plain) = &e.plaintext_sha256
    {
        ui.label("Encrypted with age; decrypted with this session's identity.");
        widgets::hash_display(ui, "Decrypted ZIP SHA-256", plain);
    }
    let c = &rep.checked;
    ui.label(format!(
        "Checked {} members, {} payload files ({}), {} tag files, {} records, {} custody events.",
        widgets::thousands(c.members),
        widgets::thousands(c.payload_files),
        widgets::human_bytes(c.payload_bytes),
        c.tag_files,
        widgets::thousands(c.records),
        c.custody_events
    ));
    ui.horizontal(|ui| {
        if ui.button("Open in evidence browser").clicked() {
            commands.push(Command::OpenArchive(rep.archive.clone()));
        }
        if ui.button("Custody chain").clicked() {
            commands.push(Command::ShowCustody(rep.archive.clone()));
        }
    });
    match &rep.custody_log {
        Some(log) => {
            ui.label(format!("Custody log: {}", log.display()));
        }
        None => {
            ui.label(widgets::toned(
                ui,
                Tone::Warn,
                "No custody log beside this archive.",
            ));
        }
    }
    if !rep.signatures.is_empty() {
        widgets::section(ui, "Custody signatures");
        for s in &rep.signatures {
            ui.horizontal(|ui| {
                ui.label(format!("event {}", s.seq));
                widgets::badge(ui, widgets::signature_tone(&s.status), &s.status);
                if let Some(who) = &s.signer {
                    ui.label(who);
                }
            });
        }
    }
    if n > 0 {
        widgets::section(ui, "Problems");
        TableBuilder::new(ui)
            .id_salt("verify_problems")
            .striped(true)
            .column(Column::auto().at_least(150.0))
            .column(Column::remainder().at_least(300.0).clip(true))
            .column(Column::initial(420.0).at_least(200.0).clip(true))
            .header(22.0, |mut h| {
                for t in ["Kind", "File", "Detail"] {
                    h.col(|ui| {
                        ui.strong(t);
                    });
                }
            })
            .body(|body| {
                body.rows(24.0, n, |mut row| {
                    let Some(p) = rep.problems.get(row.index()) else {
                        return;
                    };
                    row.col(|ui| {
                        ui.label(widgets::toned(ui, Tone::Bad, p.kind.as_str()));
                    });
                    row.col(|ui| {
                        ui.label(
                            RichText::new(p.path.as_deref().unwrap_or("(archive)")).monospace(),
                        );
                    });
                    row.col(|ui| {
                        // Cut to the column; egui shows the whole text on
                        // hover when it was cut (one tooltip, not two).
                        ui.add(egui::Label::new(&p.detail).truncate());
                    });
                });
            });
    }
}
