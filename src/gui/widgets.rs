//! Widgets shared by the views: status badges, the SHA-256 display with its
//! copy button, labelled inputs (every input has a label, for screen readers
//! and for tests that look widgets up by label), path fields that accept a
//! typed path or a native dialog, the job progress panel, and error banners.

use crate::archive::Status;
use crate::gui::context::ViewCtx;
use crate::gui::jobs::{Job, PickKind, Picker};
use crate::gui::theme::{Tone, tone_color};
use egui::{Color32, RichText, Ui};
use std::path::PathBuf;
use std::time::Duration;

pub use crate::viewmodel::format::{human_bytes, thousands};

pub mod export;
pub mod findings;

/// The rules directory setting, shared by every analysis screen: a path
/// field with a hint on what the folder holds.
pub fn rules_dir_ui(ui: &mut Ui, settings: &mut crate::gui::context::Settings) {
    ui.horizontal(|ui| {
        let l = ui.label("Rules folder");
        ui.add(
            egui::TextEdit::singleline(&mut settings.rules_dir)
                .hint_text("built-in rules only")
                .desired_width(260.0),
        )
        .labelled_by(l.id)
        .on_hover_text(
            "Your rules directory: *.toml file rules and logs/*.toml log detection \
             settings over the built-in ones (docs/logs.md). Used by Compare, Findings, \
             Logs, Timeline and Investigation.",
        );
    });
}

/// The YARA rules setting, beside the rules folder on every analysis
/// screen: a rule file, a folder of `*.yar`, or `builtin`.
pub fn yara_rules_ui(ui: &mut Ui, settings: &mut crate::gui::context::Settings) {
    ui.horizontal(|ui| {
        let l = ui.label("YARA rules");
        let hint = if crate::detect::yara::available() {
            "none (a .yar file, a folder, or builtin)"
        } else {
            "this build has no YARA"
        };
        ui.add_enabled(
            crate::detect::yara::available(),
            egui::TextEdit::singleline(&mut settings.yara_rules)
                .hint_text(hint)
                .desired_width(260.0),
        )
        .labelled_by(l.id)
        .on_hover_text(
            "YARA rules run over every captured file's content: a .yar file, a folder of \
             .yar/.yara files, or builtin for the starter set (web shells, miners, reverse \
             shells). A case folder's own yara/ folder is added. Used by Compare, Findings \
             and Investigation (docs/yara.md).",
        );
    });
}

/// The indicator lists setting (IOC files), shared by every analysis
/// screen like the rules folder: the examiner's files, one a line, plus the
/// open case's `ioc/` folder; the lists are read in the background and what
/// they hold (or why one cannot be used) is shown beside them.
pub fn ioc_files_ui(
    ui: &mut Ui,
    settings: &mut crate::gui::context::Settings,
    case: Option<&crate::case::CaseFolder>,
) {
    ui.horizontal(|ui| {
        let l = ui.label("IOC lists");
        ui.add(
            egui::TextEdit::multiline(&mut settings.ioc_files)
                .hint_text("none (one file a line)")
                .desired_rows(1)
                .desired_width(260.0),
        )
        .labelled_by(l.id)
        .on_hover_text(
            "Indicator lists, one file a line: plain text (type:value # comment), CSV \
             (type,value,comment) or JSON ([{type, value, comment}]) of addresses, ranges, \
             domains, URLs, hashes, file names, user agents, emails and accounts (docs/ioc.md). \
             Files in the case folder's ioc/ folder are used too. Used by Compare, Findings, \
             Logs and Investigation.",
        );
        if let Some(c) = case
            && !c.ioc_lists.is_empty()
        {
            let names: Vec<String> = c
                .ioc_lists
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            ui.label(format!("+ {} from the case", c.ioc_lists.len()))
                .on_hover_text(names.join("\n"));
        }
        let lists = settings.ioc_lists(case);
        if !lists.is_empty() {
            ioc_check_ui(ui, &lists);
        }
    });
}

/// The last check of the indicator lists (kept in egui's memory).
#[derive(Default)]
struct IocCheck {
    lists: Vec<PathBuf>,
    job: Option<Job<(String, String)>>,
    result: Option<Result<(String, String), String>>,
}

/// Read the lists in the background whenever they change; show the count
/// of indicators and skipped lines (each named on hover), or the error.
fn ioc_check_ui(ui: &mut Ui, lists: &[PathBuf]) {
    let id = egui::Id::unique("exhibit_ioc_check");
    let state = ui.data_mut(|d| {
        d.get_temp_mut_or_default::<std::sync::Arc<std::sync::Mutex<IocCheck>>>(id)
            .clone()
    });
    let Ok(mut st) = state.lock() else { return };
    if st.lists != lists {
        st.lists = lists.to_vec();
        st.result = None;
        let l = lists.to_vec();
        st.job = Some(Job::spawn(
            ui.ctx(),
            "Reading the IOC lists",
            move |_, _| {
                let set = crate::detect::ioc::IocSet::load(&l)?;
                let skipped: Vec<String> = set.rejected_lines().collect();
                let text = format!(
                    "{} indicator(s) from {} list(s){}",
                    thousands(set.indicators.len() as u64),
                    set.lists.len(),
                    if skipped.is_empty() {
                        String::new()
                    } else {
                        format!(", {} line(s) skipped", skipped.len())
                    }
                );
                let hover = if skipped.is_empty() {
                    "Every line was read.".to_string()
                } else {
                    let mut h: Vec<String> = skipped.iter().take(20).cloned().collect();
                    if skipped.len() > 20 {
                        h.push(format!("… {} more", skipped.len() - 20));
                    }
                    h.join("\n")
                };
                Ok((text, hover))
            },
        ));
    }
    if let Some(r) = crate::gui::jobs::poll_slot(&mut st.job) {
        st.result = Some(r);
    }
    match &st.result {
        None => {
            ui.label("reading the lists…");
        }
        Some(Ok((text, hover))) => {
            ui.label(text.as_str()).on_hover_text(hover.as_str());
        }
        Some(Err(e)) => {
            ui.colored_label(tone_color(ui, Tone::Bad), format!("IOC list error: {e}"));
        }
    }
}

/// Read the indicator lists for a job: an empty set when there are none.
pub fn load_ioc(lists: &[PathBuf]) -> anyhow::Result<std::sync::Arc<crate::detect::ioc::IocSet>> {
    if lists.is_empty() {
        return Ok(std::sync::Arc::default());
    }
    Ok(std::sync::Arc::new(crate::detect::ioc::IocSet::load(
        lists,
    )?))
}

/// A duration as `1 h 02 min`, `3 min 05 s` or `12 s`.
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

/// The tone of a record status.
pub fn status_tone(s: Status) -> Tone {
    match s {
        Status::Captured => Tone::Good,
        Status::ChangedDuringRead | Status::Skipped | Status::MetadataOnly => Tone::Warn,
        Status::Unreadable | Status::Vanished => Tone::Bad,
    }
}

/// A small coloured pill with text.
pub fn badge(ui: &mut Ui, tone: Tone, text: &str) -> egui::Response {
    let color = tone_color(ui, tone);
    let fill = color.gamma_multiply(0.18);
    egui::Frame::new()
        .fill(fill)
        .stroke(egui::Stroke::new(1.0, color))
        .corner_radius(8.0)
        .inner_margin(egui::Margin::symmetric(6, 1))
        .show(ui, |ui| ui.label(RichText::new(text).color(color).strong()))
        .inner
}

/// Colour-only text in a tone.
pub fn toned(ui: &Ui, tone: Tone, text: impl Into<String>) -> RichText {
    RichText::new(text.into()).color(tone_color(ui, tone))
}

/// A copy button that puts `text` on the clipboard; the label names what is
/// copied so several can live on one screen.
pub fn copy_button(ui: &mut Ui, label: &str, text: &str) {
    if ui
        .button(label)
        .on_hover_text("Copy to the clipboard")
        .clicked()
    {
        ui.ctx().copy_text(text.to_string());
    }
}

/// A SHA-256 in large monospace, in two groups of 32 so it can be read aloud
/// and written on a paper form, with a copy button.
pub fn hash_display(ui: &mut Ui, label: &str, sha256: &str) {
    ui.label(RichText::new(label).strong());
    ui.horizontal_wrapped(|ui| {
        let grouped = sha256
            .as_bytes()
            .chunks(8)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        ui.add(
            egui::Label::new(RichText::new(grouped).monospace().size(20.0).strong())
                .selectable(true),
        );
    });
    copy_button(ui, &format!("Copy {label}"), sha256);
}

/// A labelled single-line text input. The label is linked to the input so
/// screen readers (and tests) find it by name.
pub fn labeled_text(ui: &mut Ui, label: &str, value: &mut String, hint: &str) -> egui::Response {
    ui.horizontal(|ui| {
        let l = ui.add_sized([150.0, 20.0], egui::Label::new(label));
        ui.add(
            egui::TextEdit::singleline(value)
                .hint_text(hint)
                .desired_width(ui.available_width().clamp(120.0, 420.0)),
        )
        .labelled_by(l.id)
    })
    .inner
}

/// A path input: typed, or chosen with a native dialog ("Browse…"). Returns
/// true when the path changed (typed or picked).
#[derive(Default)]
pub struct PathField {
    pub text: String,
    picker: Picker,
    /// Browse… found no file dialog: say so until the path is typed.
    no_dialog: bool,
}

impl PathField {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            picker: Picker::new(),
            no_dialog: false,
        }
    }

    /// The trimmed path, or `None` when empty.
    pub fn path(&self) -> Option<std::path::PathBuf> {
        let t = self.text.trim();
        (!t.is_empty()).then(|| std::path::PathBuf::from(t))
    }

    pub fn ui(&mut self, ui: &mut Ui, label: &str, kind: PickKind, hint: &str) -> bool {
        let mut changed = false;
        if let Some(p) = self.picker.poll() {
            self.text = p.display().to_string();
            changed = true;
        }
        let focus = self.picker.take_unavailable();
        self.no_dialog |= focus;
        ui.horizontal(|ui| {
            let l = ui.add_sized([150.0, 20.0], egui::Label::new(label));
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.text)
                        .hint_text(hint)
                        .desired_width((ui.available_width() - 90.0).clamp(120.0, 420.0)),
                )
                .labelled_by(l.id);
            if focus {
                r.request_focus();
            }
            if r.changed() {
                self.no_dialog = false;
            }
            changed |= r.changed();
            let browse = ui
                .add_enabled(!self.picker.is_open(), egui::Button::new("Browse…"))
                .on_hover_text(format!("Choose {label} with a file dialog"));
            if browse.clicked() {
                self.picker.open(ui.ctx(), kind, label);
            }
        });
        if self.no_dialog {
            no_dialog_ui(ui);
        }
        changed
    }
}

/// The line shown under a path field whose Browse… found no file dialog.
pub fn no_dialog_ui(ui: &mut Ui) {
    ui.horizontal(|ui| {
        ui.add_space(154.0);
        ui.label(toned(ui, Tone::Warn, crate::gui::jobs::NO_DIALOG_MESSAGE));
    });
}

/// The progress of a running job: bar, counts, rate, ETA, current item,
/// warnings, and a Cancel button. Returns true when Cancel was clicked.
pub fn job_progress_ui<T>(ui: &mut Ui, job: &Job<T>) -> bool {
    let p = &job.progress;
    let phase = if p.phase.is_empty() {
        "starting"
    } else {
        p.phase
    };
    ui.horizontal(|ui| {
        ui.spinner();
        // "Capturing — capturing" says nothing twice: the phase is shown
        // only when it adds to the title.
        let text = if phase.eq_ignore_ascii_case(&job.title) {
            job.title.clone()
        } else {
            format!("{} — {phase}", job.title)
        };
        ui.label(RichText::new(text).strong());
    });
    let frac = job.fraction();
    let bar = match frac {
        Some(f) => egui::ProgressBar::new(f).show_percentage(),
        None => egui::ProgressBar::new(0.0).animate(true),
    };
    ui.add(bar.desired_height(18.0));
    egui::Grid::new("job_progress_grid")
        .num_columns(2)
        .spacing([24.0, 4.0])
        .show(ui, |ui| {
            ui.label("Files");
            ui.label(match p.files_total {
                Some(t) => format!("{} / {}", thousands(p.files_done), thousands(t)),
                None => thousands(p.files_done),
            });
            ui.end_row();
            ui.label("Bytes");
            ui.label(match p.bytes_total {
                Some(t) => format!("{} / {}", human_bytes(p.bytes_done), human_bytes(t)),
                None => human_bytes(p.bytes_done),
            });
            ui.end_row();
            ui.label("Speed");
            ui.label(match job.bytes_per_sec() {
                Some(r) => format!("{:.1} MB/s", r / 1e6),
                None => "—".into(),
            });
            ui.end_row();
            ui.label("Time left");
            ui.label(match job.eta() {
                Some(d) => format!("about {}", human_duration(d)),
                None => "—".into(),
            });
            ui.end_row();
            ui.label("Elapsed");
            ui.label(human_duration(job.elapsed()));
            ui.end_row();
            ui.label("Warnings");
            if p.warnings > 0 {
                ui.label(toned(ui, Tone::Warn, thousands(p.warnings)).strong());
            } else {
                ui.label("0");
            }
            ui.end_row();
        });
    ui.horizontal(|ui| {
        ui.label("Current:");
        ui.add(egui::Label::new(RichText::new(&p.current).monospace()).truncate());
    });
    if job.is_cancelling() {
        ui.label(toned(
            ui,
            Tone::Warn,
            "Cancelling… waiting for the current file to finish",
        ));
        false
    } else {
        ui.button(RichText::new("Cancel").color(tone_color(ui, Tone::Bad)))
            .on_hover_text("Stop the job; nothing incomplete is left looking complete (Esc)")
            .clicked()
    }
}

/// [`job_progress_ui`] for a job the user may stop: Cancel or Esc cancels it.
pub fn cancellable_job_ui<T>(ui: &mut Ui, job: &Job<T>) {
    let esc = ui.ctx().input(|i| i.key_pressed(egui::Key::Escape));
    if job_progress_ui(ui, job) || esc {
        job.cancel();
    }
}

/// A star toggle drawn as a five-pointed star (the bundled fonts have no
/// star glyph): filled in the warning tone when starred, an outline
/// otherwise. Screen readers (and tests) read it as "Starred" or "Not
/// starred".
pub fn star_toggle(ui: &mut Ui, starred: bool) -> egui::Response {
    let size = egui::vec2(18.0, 18.0);
    let (rect, r) = ui.allocate_exact_size(size, egui::Sense::click());
    r.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Button,
            true,
            if starred { "Starred" } else { "Not starred" },
        )
    });
    if ui.is_rect_visible(rect) {
        let c = rect.center();
        let (outer, inner) = (7.5_f32, 3.2_f32);
        let points: Vec<egui::Pos2> = (0..10)
            .map(|k| {
                let a = std::f32::consts::PI * (k as f32) / 5.0 - std::f32::consts::FRAC_PI_2;
                let rad = if k % 2 == 0 { outer } else { inner };
                c + egui::vec2(a.cos() * rad, a.sin() * rad)
            })
            .collect();
        let hover = r.hovered();
        let color = if starred {
            crate::gui::theme::tone_color(ui, Tone::Warn)
        } else if hover {
            ui.visuals().strong_text_color()
        } else {
            ui.visuals().weak_text_color()
        };
        if starred {
            // A concave star filled as five triangles around the centre.
            for k in 0..10 {
                let (a, b) = (points[k], points[(k + 1) % 10]);
                ui.painter().add(egui::Shape::convex_polygon(
                    vec![c, a, b],
                    color,
                    egui::Stroke::NONE,
                ));
            }
        } else {
            ui.painter().add(egui::Shape::closed_line(
                points,
                egui::Stroke::new(1.2, color),
            ));
        }
    }
    r
}

/// Open a file with the desktop's default application (a browser for an
/// HTML report). The opener is started and not waited for.
pub fn open_with_system(path: &std::path::Path) -> std::io::Result<()> {
    let mut cmd = if cfg!(target_os = "windows") {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else {
        std::process::Command::new("xdg-open")
    };
    let mut child = cmd
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    // Reap it in the background so no zombie is left.
    std::thread::spawn(move || child.wait());
    Ok(())
}

/// A boxed message in a tone (errors in red, with the full text selectable).
pub fn message_box(ui: &mut Ui, tone: Tone, title: &str, text: &str) {
    let color = tone_color(ui, tone);
    egui::Frame::new()
        .fill(color.gamma_multiply(0.10))
        .stroke(egui::Stroke::new(1.0, color))
        .corner_radius(6.0)
        .inner_margin(10)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(title).color(color).strong());
            if !text.is_empty() {
                ui.add(egui::Label::new(text).selectable(true).wrap());
            }
        });
}

/// The red banner over content read from files that do not match their
/// archive's sealed manifest: its title, then each file with its badge.
pub fn integrity_banner_ui(ui: &mut Ui, title: &str, files: &[(String, String)]) {
    let color = tone_color(ui, Tone::Bad);
    egui::Frame::new()
        .fill(color.gamma_multiply(0.10))
        .stroke(egui::Stroke::new(2.0, color))
        .corner_radius(6.0)
        .inner_margin(8)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(title).color(color).strong());
            for (loc, why) in files.iter().take(20) {
                ui.horizontal(|ui| {
                    badge(ui, Tone::Bad, crate::viewmodel::integrity::BADGE);
                    ui.add(
                        egui::Label::new(crate::viewmodel::integrity::file_line(loc, why))
                            .truncate()
                            .selectable(true),
                    );
                });
            }
            if files.len() > 20 {
                ui.label(format!("… and {} more", files.len() - 20));
            }
        });
}

/// A section heading with a little space above.
pub fn section(ui: &mut Ui, title: &str) {
    ui.add_space(8.0);
    ui.label(RichText::new(title).heading().size(17.0));
    ui.add_space(2.0);
}

/// A large verdict banner ("INTACT" / "3 PROBLEMS").
pub fn verdict(ui: &mut Ui, tone: Tone, headline: &str, sub: &str) {
    let color = tone_color(ui, tone);
    egui::Frame::new()
        .fill(color.gamma_multiply(0.15))
        .stroke(egui::Stroke::new(2.0, color))
        .corner_radius(8.0)
        .inner_margin(14)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(headline).size(28.0).strong().color(color));
            if !sub.is_empty() {
                ui.label(sub);
            }
        });
}

/// A muted explanatory line.
/// A path in monospace that fits the room it is given: too long, it loses
/// its middle (never the file name) and shows the whole path on hover.
/// `extra` is the room to leave for widgets drawn after it on the line.
pub fn path_label(ui: &mut Ui, path: &str, extra: f32) -> egui::Response {
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let glyph = ui.ctx().fonts_mut(|f| f.glyph_width(&font, '0')).max(1.0);
    let max = ((ui.available_width() - extra) / glyph).max(8.0) as usize;
    let shown = crate::viewmodel::format::elide_middle(path, max);
    let elided = shown.len() != path.len();
    let r = ui.add(
        egui::Label::new(RichText::new(shown.as_ref()).monospace())
            .truncate()
            .selectable(false),
    );
    if elided { r.on_hover_text(path) } else { r }
}

/// The width a side panel opens at: `share` of the window, kept between
/// `min` and `max`, so a laptop screen leaves the centre its room.
pub fn side_width(ui: &Ui, share: f32, min: f32, max: f32) -> f32 {
    (ui.ctx().content_rect().width() * share).clamp(min, max)
}

pub fn hint(ui: &mut Ui, text: &str) {
    ui.label(RichText::new(text).weak());
}

/// Colour for table text of a status (kept here so every table agrees).
pub fn status_color(ui: &Ui, s: Status) -> Color32 {
    tone_color(ui, status_tone(s))
}

/// The tone of a signature verdict.
pub fn signature_tone(status: &str) -> Tone {
    match status {
        "valid" => Tone::Good,
        "untrusted" | "unsigned" => Tone::Warn,
        _ => Tone::Bad,
    }
}
/// What the drop overlay says on the log screens.
pub const SOURCES_DROP_HINT: &str = "Drop log files, folders or archives to add them as sources";

/// A list of sources to read: typed paths, file and folder dialogs, the
/// open case's archives, dropped files.
#[derive(Default)]
pub struct SourceList {
    pub paths: Vec<PathBuf>,
    /// The path being typed.
    pub typed: String,
    picker: Picker,
}

impl SourceList {
    /// Add a source (once).
    pub fn add(&mut self, p: PathBuf) {
        if !self.paths.contains(&p) {
            self.paths.push(p);
        }
    }

    /// The list with its add/remove controls. `what` names the screen in
    /// labels ("log source", "timeline source") so they stay unique.
    /// Take the path a file dialog picked, if one did (once per frame).
    pub fn poll(&mut self) {
        if let Some(p) = self.picker.poll() {
            self.add(p);
        }
    }

    pub fn ui(&mut self, ui: &mut Ui, vc: &ViewCtx<'_>, what: &str) {
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(format!("Add {what}"));
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.typed)
                        .hint_text("log file, folder or evidence archive (.zip)")
                        .desired_width(360.0),
                )
                .labelled_by(l.id);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button("Add").clicked() || enter) && !self.typed.trim().is_empty() {
                self.add(PathBuf::from(self.typed.trim()));
                self.typed.clear();
            }
            let open = !self.picker.is_open();
            if ui.add_enabled(open, egui::Button::new("File…")).clicked() {
                self.picker
                    .open(ui.ctx(), PickKind::File, "Choose a log file or archive");
            }
            if ui.add_enabled(open, egui::Button::new("Folder…")).clicked() {
                self.picker
                    .open(ui.ctx(), PickKind::Folder, "Choose a folder of logs");
            }
            if let Some(case) = vc.case {
                let archives: Vec<PathBuf> = case
                    .archives
                    .iter()
                    .filter(|a| crate::archive::is_archive_name(&a.path))
                    .map(|a| a.path.clone())
                    .collect();
                if !archives.is_empty()
                    && ui
                        .button(format!("Add the case's {} archive(s)", archives.len()))
                        .clicked()
                {
                    for a in archives {
                        self.add(a);
                    }
                }
            }
        });
        let mut remove = None;
        if self.paths.is_empty() {
            hint(
                ui,
                "No source yet: type a path, choose one, or drop files here.",
            );
        }
        // One source a line, its remove button first so it stays in
        // reach; long paths lose their middle, not their name.
        for (i, p) in self.paths.iter().enumerate() {
            let name = p.display().to_string();
            ui.horizontal(|ui| {
                if ui
                    .small_button("remove")
                    .on_hover_text(format!("Remove {name}"))
                    .clicked()
                {
                    remove = Some(i);
                }
                path_label(ui, &name, 0.0);
            });
        }
        if let Some(i) = remove {
            self.paths.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_figures() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
        assert_eq!(human_duration(Duration::from_secs(65)), "1 min 05 s");
        assert_eq!(human_duration(Duration::from_secs(3725)), "1 h 02 min");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }
}
