//! What the app and its views share, with no dependency on either: the
//! persisted [`Settings`], the [`Screen`] identifiers, the [`Command`]s a
//! view asks the app for, the [`ViewCtx`] every view reads during a
//! frame, and the [`View`] trait every screen implements. Views import this module, never `app.rs`, so the dependency
//! graph inside `gui/` has no cycles: `app` → `views` → `context`.

use crate::case::custody_log::VerificationState;
use crate::case::{CaseFolder, CaseInfo};
use crate::tz::DisplayZone;
use serde::{Deserialize, Serialize};
use std::any::Any;
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
    /// The egui preference this choice stands for.
    pub fn preference(self) -> egui::ThemePreference {
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
    /// The examiner's rules directory (`*.toml` file rules, `logs/*.toml`
    /// log detection settings), used by every analysis screen; empty for
    /// the built-in rules alone.
    pub rules_dir: String,
    /// The examiner's YARA rules (a rule file, a folder of them, or
    /// `builtin`) run by the analysis screens with the rules above; empty
    /// for none. A case folder's own `yara/` folder is added to it.
    pub yara_rules: String,
    /// The identity file (age or OpenSSH private key) last used to unlock
    /// an encrypted archive; never its passphrase.
    pub identity_file: String,
    /// The capture form's age recipients (public keys: no secret).
    pub encrypt_to: String,
    /// Who records `verified` events from the Verify screen (the auditor,
    /// who is not the case's examiner): name, role, organisation.
    pub verifier_name: String,
    pub verifier_role: String,
    pub verifier_organisation: String,
    /// The examiner's indicator lists (IOC files, one path a line), used
    /// by every analysis screen with the open case's own (`ioc/` in the
    /// case folder).
    pub ioc_files: String,
}

impl Settings {
    /// The rules directory, when one is set.
    pub fn rules_dir(&self) -> Option<PathBuf> {
        let t = self.rules_dir.trim();
        (!t.is_empty()).then(|| PathBuf::from(t))
    }

    /// The YARA rules to run: the setting's, and the case's `yara/`
    /// folder when it has one.
    pub fn yara_sources(&self, case_dir: Option<&std::path::Path>) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let t = self.yara_rules.trim();
        if !t.is_empty() {
            out.push(PathBuf::from(t));
        }
        if let Some(d) = case_dir.map(|d| d.join(crate::detect::yara::CASE_FOLDER))
            && d.is_dir()
        {
            out.push(d);
        }
        out
    }

    /// The indicator lists to match: the examiner's, then the open case's.
    pub fn ioc_lists(&self, case: Option<&CaseFolder>) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = self
            .ioc_files
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(PathBuf::from)
            .collect();
        if let Some(c) = case {
            v.extend(c.ioc_lists.iter().cloned());
        }
        v.dedup();
        v
    }

    /// Put a case folder first in the recent list (once, bounded).
    pub fn remember_case(&mut self, dir: PathBuf) {
        self.recent_cases.retain(|d| d != &dir);
        self.recent_cases.insert(0, dir);
        self.recent_cases.truncate(MAX_RECENT);
    }
}

/// A screen's identity: a stable name. A view names its own screen
/// (`Screen("investigation")`), so adding a screen takes its file and one
/// entry in `views::all`; the constants below are for the screens other
/// views and the app send the examiner to. Tab order, titles and shortcuts
/// come from the list of views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Screen(pub &'static str);

impl Screen {
    pub const CASES: Screen = Screen("cases");
    pub const INVESTIGATION: Screen = Screen("investigation");
    pub const CAPTURE: Screen = Screen("capture");
    pub const EVIDENCE: Screen = Screen("evidence");
    pub const VERIFY: Screen = Screen("verify");
    pub const CUSTODY: Screen = Screen("custody");
    pub const COMPARE: Screen = Screen("compare");
    pub const FINDINGS: Screen = Screen("findings");
    pub const LOGS: Screen = Screen("logs");
    pub const TIMELINE: Screen = Screen("timeline");
}

/// What a view asks the app to do; applied after the frame's UI.
#[derive(Debug, Clone)]
pub enum Command {
    OpenCase(PathBuf),
    CreateCase(PathBuf, CaseInfo),
    CloseCase,
    RefreshCase,
    Go(Screen),
    /// Open the archive file dialog of the evidence browser (Ctrl+O).
    PickArchive,
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
    /// Show the timeline of `sources` (building it if needed) zoomed to the
    /// minutes around `time_us`.
    ShowOnTimeline {
        sources: Vec<PathBuf>,
        time_us: i64,
    },
    /// Verify an archive (switches to the Verify screen and starts).
    VerifyArchive(PathBuf),
    /// Show the custody chain of an archive.
    ShowCustody(PathBuf),
    /// Add a path to the capture sources.
    AddCaptureSource(PathBuf),
    /// Show a fresh capture form (Ctrl+N): the last result and sources
    /// cleared, the case and examiner kept.
    NewCapture,
    /// Ask to delete an interrupted capture's `.partial` (its path and
    /// size as listed) from the open case.
    DeletePartial(PathBuf, u64),
    /// A verification finished: remember its verdict for the case list.
    Verified(PathBuf, VerificationState),
    /// Show an error in the banner.
    Error(String),
    /// Ask for the identity of an encrypted archive (`.zip.age`) and
    /// decrypt it for this session; then carry out `then`, if any.
    UnlockArchive {
        archive: PathBuf,
        then: Option<Box<Command>>,
    },
}

impl Command {
    /// The archive this command opens in a reader, which must be unlocked
    /// first when encrypted.
    pub fn opened_archive(&self) -> Option<&std::path::Path> {
        match self {
            Command::OpenArchive(p) | Command::OpenArchiveAt(p, _) => Some(p),
            Command::OpenArchiveLine { archive, .. } => Some(archive),
            _ => None,
        }
    }
}

/// State one view publishes for others (kept by the app between frames).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shared {
    /// The Logs screen's sources, offered on the Timeline as a shortcut.
    pub log_sources: Vec<PathBuf>,
}

/// What every view may read and ask for during a frame.
pub struct ViewCtx<'a> {
    pub case: Option<&'a CaseFolder>,
    /// The title of the running case job (opening, creating, refreshing).
    pub case_busy: Option<&'a str>,
    pub settings: &'a mut Settings,
    pub commands: &'a mut Vec<Command>,
    /// Verdicts of verifications run in this session, by archive path.
    pub verdicts: &'a HashMap<PathBuf, VerificationState>,
    /// Archives marked red (why), by path: their last verification failed
    /// or their file no longer matches their `sealed` custody event.
    pub marks: &'a HashMap<PathBuf, String>,
    /// The zone times are shown in: the case's, or UTC when no case is
    /// open or the examiner chose UTC.
    pub zone: DisplayZone,
    /// What views publish for each other.
    pub shared: &'a mut Shared,
}

/// A screen of the workstation.
pub trait View: Any {
    /// Which screen this is.
    fn screen(&self) -> Screen;

    /// The tab's title.
    fn title(&self) -> &'static str;

    /// Draw the screen (only the current screen is drawn).
    fn ui(&mut self, ui: &mut egui::Ui, vc: &mut ViewCtx<'_>);

    /// Drain finished background jobs and publish what other views read;
    /// runs for every view once per frame, before any drawing.
    fn logic(&mut self, ctx: &egui::Context, vc: &mut ViewCtx<'_>) {
        let _ = (ctx, vc);
    }

    /// Titles of running jobs, for the status bar.
    fn busy(&self) -> Vec<String> {
        Vec::new()
    }

    /// Handle a command meant for this view, or hand it back. A handled
    /// command switches to this view's screen.
    fn command(
        &mut self,
        ctx: &egui::Context,
        command: Command,
        settings: &Settings,
    ) -> Option<Command> {
        let _ = (ctx, settings);
        Some(command)
    }

    /// A file dropped while this screen is shown: take it, or hand it back
    /// for the app's default (open an archive or a case, or capture it).
    fn on_dropped_file(&mut self, path: PathBuf) -> Option<PathBuf> {
        Some(path)
    }

    /// What the drop overlay says on this screen, when it is not the app's
    /// default.
    fn drop_hint(&self) -> Option<&'static str> {
        None
    }

    /// Whether its tab is shown now: a screen that only applies to some
    /// cases (the Hosts screen, for cases of several hosts) hides it
    /// otherwise.
    fn tab_shown(&self) -> bool {
        true
    }

    /// A case was opened (or refreshed).
    fn on_case_opened(&mut self, case: &CaseFolder) {
        let _ = case;
    }

    /// The evidence archives this screen shows content of now: the app
    /// marks the screen red when one of them failed its last verification
    /// or no longer matches its seal.
    fn archives_in_use(&self) -> Vec<PathBuf> {
        Vec::new()
    }
}
