//! Widgets for file findings (`detect::files::Finding`), shared by the
//! Findings and Compare screens: severity badges and menus (on the one
//! `detect::Severity`, so they suit log findings too), the virtualized list
//! of finding cards, a finding's details and a snapshot entry's recorded
//! attributes.

use crate::archive::record::or_unknown;
use crate::detect::Severity;
use crate::detect::files::Finding;
use crate::gui::theme;
use crate::gui::widgets;
use crate::snapshot::{Entry, format_time};
use crate::viewmodel::format::SEVERITIES;
use egui::{RichText, Ui};

/// Height of one finding card in the list.
const CARD_HEIGHT: f32 = 92.0;

/// A severity pill in its colour ("CRITICAL", "high"…).
pub fn severity_badge(ui: &mut Ui, s: Severity) -> egui::Response {
    let color = theme::severity_color(ui, s);
    egui::Frame::new()
        .fill(color.gamma_multiply(0.18))
        .stroke(egui::Stroke::new(1.0, color))
        .corner_radius(8.0)
        .inner_margin(egui::Margin::symmetric(6, 0))
        .show(ui, |ui| {
            ui.label(
                RichText::new(s.as_str().to_uppercase())
                    .color(color)
                    .strong()
                    .small(),
            )
        })
        .inner
}

/// The "Minimum severity" menu. `any` is `None`.
pub fn min_severity_ui(ui: &mut Ui, id: &str, value: &mut Option<Severity>, any: &str) {
    let l = ui.label("Minimum severity");
    egui::ComboBox::from_id_salt(id)
        .selected_text(value.map_or(any, |s| s.as_str()))
        .show_ui(ui, |ui| {
            ui.selectable_value(value, None, any);
            for s in SEVERITIES {
                ui.selectable_value(value, Some(s), s.as_str());
            }
        })
        .response
        .labelled_by(l.id);
}

/// The findings list: one fixed-height card per shown finding (severity,
/// title, path, explanation and first evidence line; the full text is on
/// hover and in the details). Returns the index of a clicked finding.
pub fn findings_list_ui(
    ui: &mut Ui,
    id: &str,
    findings: &[Finding],
    shown: &[u32],
    selected: Option<usize>,
    scroll_to: Option<usize>,
) -> Option<usize> {
    let mut clicked = None;
    if shown.is_empty() {
        widgets::hint(ui, "No findings match the filter.");
        return None;
    }
    let spacing = ui.spacing().item_spacing.y;
    let mut area = egui::ScrollArea::vertical()
        .id_salt(id)
        .auto_shrink([false, false]);
    if let Some(pos) = scroll_to.and_then(|f| shown.iter().position(|&i| i as usize == f)) {
        area = area.vertical_scroll_offset(pos as f32 * (CARD_HEIGHT + spacing));
    }
    area.show_rows(ui, CARD_HEIGHT, shown.len(), |ui, range| {
        for pos in range {
            let Some(&fi) = shown.get(pos) else { continue };
            let fi = fi as usize;
            let Some(f) = findings.get(fi) else { continue };
            if finding_card_ui(ui, f, selected == Some(fi)) {
                clicked = Some(fi);
            }
        }
    });
    clicked
}

fn finding_card_ui(ui: &mut Ui, f: &Finding, selected: bool) -> bool {
    let width = ui.available_width();
    let color = theme::severity_color(ui, f.severity);
    let fill = if selected {
        ui.visuals().selection.bg_fill.gamma_multiply(0.5)
    } else {
        ui.visuals().faint_bg_color
    };
    let mut clicked = false;
    let (rect, resp) = ui.allocate_exact_size(egui::vec2(width, CARD_HEIGHT), egui::Sense::click());
    if ui.is_rect_visible(rect) {
        ui.painter().rect_filled(rect, 4.0, fill);
        // The severity stripe on the left edge.
        ui.painter().rect_filled(
            egui::Rect::from_min_size(rect.min, egui::vec2(4.0, rect.height())),
            0.0,
            color,
        );
        let inner = rect.shrink2(egui::vec2(10.0, 4.0));
        let mut child = ui.new_child(
            egui::UiBuilder::new()
                .max_rect(inner)
                .layout(egui::Layout::top_down(egui::Align::Min)),
        );
        child.spacing_mut().item_spacing.y = 2.0;
        child.shrink_clip_rect(inner);
        child.horizontal(|ui| {
            severity_badge(ui, f.severity);
            if let Some(why) = &f.subject.altered {
                widgets::badge(ui, widgets::Tone::Bad, crate::viewmodel::integrity::BADGE)
                    .on_hover_text(format!(
                        "The file's {} ({why}): this finding may rest on altered bytes.",
                        crate::viewmodel::integrity::MISMATCH_TEXT
                    ));
            }
            if ui
                .add(egui::Link::new(RichText::new(&f.title).strong()))
                .on_hover_text(format!(
                    "{}\n(click to show the file and its changes)",
                    f.title
                ))
                .clicked()
            {
                clicked = true;
            }
        });
        child.add(
            egui::Label::new(RichText::new(&f.subject.path).monospace())
                .truncate()
                .selectable(false),
        );
        child
            .add(
                egui::Label::new(RichText::new(&f.explanation).weak())
                    .truncate()
                    .selectable(false),
            )
            .on_hover_text(&f.explanation);
        // The most telling line: what matched, rather than the change class
        // or the hash every finding on the file repeats.
        let telling = f
            .subject
            .evidence
            .iter()
            .find(|e| !e.starts_with("change: ") && !e.starts_with("sha256 "))
            .or(f.subject.evidence.first());
        if let Some(ev) = telling {
            let more = match f.subject.evidence.len() {
                0 | 1 => String::new(),
                n => format!("  (+{} more)", n - 1),
            };
            child
                .add(
                    egui::Label::new(RichText::new(format!("{ev}{more}")).monospace().small())
                        .truncate()
                        .selectable(false),
                )
                .on_hover_text(f.subject.evidence.join("\n"));
        }
    }
    clicked || resp.clicked()
}

/// A finding in full: severity, title, rule, explanation and every evidence
/// line (selectable, for copying into a report).
pub fn finding_detail_ui(ui: &mut Ui, f: &Finding) {
    ui.horizontal_wrapped(|ui| {
        severity_badge(ui, f.severity);
        ui.label(RichText::new(&f.title).strong());
        ui.label(RichText::new(format!("[{}]", f.rule)).weak().small());
    });
    if let Some(why) = &f.subject.altered {
        ui.horizontal_wrapped(|ui| {
            widgets::badge(ui, widgets::Tone::Bad, crate::viewmodel::integrity::BADGE);
            ui.add(
                egui::Label::new(widgets::toned(
                    ui,
                    widgets::Tone::Bad,
                    format!(
                        "The file's {} ({why}): the evidence below may have been read from altered bytes.",
                        crate::viewmodel::integrity::MISMATCH_TEXT
                    ),
                ))
                .wrap()
                .selectable(true),
            );
        });
    }
    ui.add(egui::Label::new(&f.explanation).wrap().selectable(true));
    for e in &f.subject.evidence {
        ui.add(
            egui::Label::new(RichText::new(format!("• {e}")).monospace())
                .wrap()
                .selectable(true),
        );
    }
}

/// The attributes of one entry as a two-column grid.
pub fn entry_grid_ui(ui: &mut Ui, id: &str, e: &Entry, zone: crate::tz::DisplayZone) {
    egui::Grid::new(id)
        .num_columns(2)
        .spacing([16.0, 3.0])
        .show(ui, |ui| {
            let mut row = |k: &str, v: String| {
                ui.label(RichText::new(k).weak());
                ui.add(egui::Label::new(RichText::new(v).monospace()).selectable(true));
                ui.end_row();
            };
            row("Type", format!("{:?}", e.kind).to_lowercase());
            row(
                "Size",
                format!("{} ({} bytes)", widgets::human_bytes(e.size), e.size),
            );
            row("Mode", format!("{:04o}", e.mode));
            row(
                "Owner",
                format!("uid {} gid {}", or_unknown(e.uid), or_unknown(e.gid)),
            );
            let time = |t: Option<crate::snapshot::TimeNs>| {
                t.map(|t| zone.format_stored(&format_time(t), crate::tz::Precision::Full))
                    .unwrap_or_else(|| "—".into())
            };
            row("Modified", time(e.mtime_ns));
            row("Changed", time(e.ctime_ns));
            row("Inode", or_unknown(e.inode));
            row("SHA-256", e.sha256_hex().unwrap_or_else(|| "—".into()));
            if let Some(t) = &e.link_target {
                row("Link target", t.to_string());
            }
            if let Some(c) = &e.capabilities {
                row("Capabilities", c.to_string());
            }
            let status = match &e.reason {
                Some(r) => format!("{} ({r})", e.status.as_str()),
                None => e.status.as_str().to_string(),
            };
            row("Status", status);
        });
}
