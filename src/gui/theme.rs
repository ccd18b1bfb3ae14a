//! The workstation's look: status colours used the same way on every screen
//! (intact green, warning amber, failure red, a severity scale for findings
//! of every kind, on the one `detect::Severity`),
//! text sizes, and the application icon drawn in code so it needs no image
//! decoder. Light and dark themes follow the system unless the user picks one.

use crate::detect::Severity;
use egui::{Color32, FontId, TextStyle, Ui};

/// What a status means, independent of the theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Intact, captured, valid.
    Good,
    /// Needs attention: changed during read, skipped, untrusted, not verified.
    Warn,
    /// Integrity failure, unreadable, invalid, data loss.
    Bad,
    /// Neutral information.
    Info,
}

/// The colour of a tone in the current theme (darker shades on light
/// backgrounds so text stays legible).
pub fn tone_color(ui: &Ui, tone: Tone) -> Color32 {
    let dark = ui.visuals().dark_mode;
    match (tone, dark) {
        (Tone::Good, true) => Color32::from_rgb(0x5c, 0xc8, 0x7a),
        (Tone::Good, false) => Color32::from_rgb(0x1b, 0x7a, 0x3a),
        (Tone::Warn, true) => Color32::from_rgb(0xf0, 0xb4, 0x3c),
        (Tone::Warn, false) => Color32::from_rgb(0x9a, 0x5b, 0x00),
        (Tone::Bad, true) => Color32::from_rgb(0xff, 0x6b, 0x6b),
        (Tone::Bad, false) => Color32::from_rgb(0xb4, 0x1c, 0x1c),
        (Tone::Info, true) => Color32::from_rgb(0x7a, 0xb8, 0xff),
        (Tone::Info, false) => Color32::from_rgb(0x1f, 0x5f, 0xb0),
    }
}

/// The colour of a finding severity (info → critical).
pub fn severity_color(ui: &Ui, s: Severity) -> Color32 {
    match s {
        Severity::Info => tone_color(ui, Tone::Info),
        Severity::Low => tone_color(ui, Tone::Good),
        Severity::Medium => tone_color(ui, Tone::Warn),
        Severity::High => {
            if ui.visuals().dark_mode {
                Color32::from_rgb(0xff, 0x8c, 0x42)
            } else {
                Color32::from_rgb(0xc2, 0x4e, 0x00)
            }
        }
        Severity::Critical => tone_color(ui, Tone::Bad),
    }
}

/// Apply the workstation style: slightly larger text, roomier spacing, and
/// the theme preference (system by default).
pub fn apply(ctx: &egui::Context, pref: egui::ThemePreference) {
    ctx.options_mut(|o| o.theme_preference = pref);
    ctx.all_styles_mut(|style| {
        style
            .text_styles
            .insert(TextStyle::Body, FontId::proportional(14.5));
        style
            .text_styles
            .insert(TextStyle::Button, FontId::proportional(14.5));
        style
            .text_styles
            .insert(TextStyle::Monospace, FontId::monospace(13.5));
        style
            .text_styles
            .insert(TextStyle::Heading, FontId::proportional(21.0));
        style
            .text_styles
            .insert(TextStyle::Small, FontId::proportional(11.5));
        style.spacing.item_spacing = egui::vec2(8.0, 6.0);
        style.spacing.button_padding = egui::vec2(8.0, 4.0);
        style.spacing.interact_size.y = 24.0;
    });
}

/// The application icon (64×64 RGBA): a document with a seal, drawn in code.
/// `assets/exhibit.png` is the same picture for desktop files.
pub fn app_icon() -> egui::IconData {
    const N: u32 = 64;
    let mut rgba = vec![0u8; (N * N * 4) as usize];
    for y in 0..N {
        for x in 0..N {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            let mut px = [0u8, 0, 0, 0];
            // Page: rounded rectangle.
            let inside_page = (10.0..46.0).contains(&fx) && (6.0..58.0).contains(&fy);
            if inside_page {
                px = [0xf4, 0xf1, 0xe8, 0xff];
                // Text lines.
                let line = ((fy - 14.0) / 7.0).fract();
                if fy > 12.0 && fy < 44.0 && line < 0.35 && (16.0..40.0).contains(&fx) {
                    px = [0x5a, 0x64, 0x78, 0xff];
                }
            }
            // Border of the page.
            let on_border =
                inside_page && (!(12.5..=43.5).contains(&fx) || !(8.5..=55.5).contains(&fy));
            if on_border {
                px = [0x2b, 0x35, 0x4a, 0xff];
            }
            // Seal: a green disc with a white check, lower right.
            let (dx, dy) = (fx - 44.0, fy - 46.0);
            let d = (dx * dx + dy * dy).sqrt();
            if d < 15.0 {
                px = [0x1b, 0x8a, 0x4a, 0xff];
                // Check mark: two strokes.
                let s1 = (dy - (dx + 1.0) * 0.9).abs() < 2.2 && (-8.0..-1.0).contains(&dx);
                let s2 = (dy + (dx - 0.0) * 1.1 - 5.0).abs() < 2.2 && (-2.0..8.0).contains(&dx);
                if s1 || s2 {
                    px = [0xff, 0xff, 0xff, 0xff];
                }
            } else if d < 16.5 {
                px = [0x10, 0x5a, 0x30, 0xff];
            }
            let i = ((y * N + x) * 4) as usize;
            if let Some(slot) = rgba.get_mut(i..i + 4) {
                slot.copy_from_slice(&px);
            }
        }
    }
    egui::IconData {
        rgba,
        width: N,
        height: N,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn icon_is_square_rgba_and_not_empty() {
        let icon = super::app_icon();
        assert_eq!(icon.rgba.len(), (icon.width * icon.height * 4) as usize);
        assert!(icon.rgba.chunks(4).filter(|p| p[3] == 0xff).count() > 1000);
    }

    /// Regenerates `assets/exhibit.png`: run with `--ignored`, then
    /// `convert -size 64x64 -depth 8 rgba:target/exhibit-icon.rgba assets/exhibit.png`.
    #[test]
    #[ignore]
    fn export_icon_rgba() {
        let icon = super::app_icon();
        std::fs::write("target/exhibit-icon.rgba", &icon.rgba).unwrap();
    }
}
