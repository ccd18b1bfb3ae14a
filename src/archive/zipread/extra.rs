//! The extra fields of a ZIP header, read strictly.
//!
//! Exhibit's writer (`zipwrite.rs`) puts exactly three kinds of extra field
//! in a header: ZIP64 sizes (`0x0001`), the Info-ZIP extended timestamp
//! (`0x5455`: mtime and atime in the local header, mtime in the central
//! directory) and the Info-ZIP Unix uid/gid field (`0x7875`, version 1 with
//! 4-byte ids). Anything else in an extra-field area is a place to hide
//! bytes no manifest covers, or a way to make extractors see something else:
//! Info-ZIP `unzip` and 7-Zip take the member's name from an Info-ZIP
//! Unicode Path field (`0x7075`) instead of the header. So [`parse`] accepts
//! only those three fields, each with the exact layout the writer produces,
//! and turns everything else into a finding.

use super::super::zipspec::{EXTRA_TIMESTAMP, EXTRA_UNIX_UIDGID, EXTRA_ZIP64};
use crate::problem::ProblemKind;

/// Info-ZIP Unicode Path extra field: another name for the member.
const EXTRA_UNICODE_PATH: u16 = 0x7075;

/// One finding about an extra-field area: (stable kind, detail).
pub(super) type Finding = (ProblemKind, String);

/// The extended timestamp as a header carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Timestamp {
    /// Which times the local header holds (bit 0 mtime, bit 1 atime).
    pub flags: u8,
    pub mtime: i64,
}

/// What an extra-field area holds, as far as Exhibit understands it.
#[derive(Debug, Default)]
pub(super) struct Extras<'a> {
    /// The ZIP64 field's data; its meaning depends on the header's sentinels.
    pub zip64: Option<&'a [u8]>,
    pub timestamp: Option<Timestamp>,
    /// (uid, gid) from the Unix field.
    pub owner: Option<(u32, u32)>,
    pub findings: Vec<Finding>,
}

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn where_(local: bool) -> &'static str {
    if local {
        "local header"
    } else {
        "central directory"
    }
}

/// Parse an extra-field area of a local (`local`) or central header.
pub(super) fn parse(area: &[u8], local: bool) -> Extras<'_> {
    let mut out = Extras::default();
    let mut seen: Vec<u16> = Vec::new();
    let mut rest = area;
    while !rest.is_empty() {
        let (Some(head), Some(len)) = (
            rest.get(0..2),
            rest.get(2..4)
                .map(|l| u16::from_le_bytes([l[0], l[1]]) as usize),
        ) else {
            out.findings.push((
                ProblemKind::ExtraFieldMalformed,
                format!(
                    "{} bytes after the last extra field of the {}",
                    rest.len(),
                    where_(local)
                ),
            ));
            break;
        };
        let id = u16::from_le_bytes([head[0], head[1]]);
        let Some(data) = rest.get(4..4 + len) else {
            out.findings.push((
                ProblemKind::ExtraFieldMalformed,
                format!(
                    "extra field {id:#06x} of the {} claims {len} bytes but only {} follow",
                    where_(local),
                    rest.len() - 4
                ),
            ));
            break;
        };
        rest = &rest[4 + len..];
        if seen.contains(&id) {
            out.findings.push((
                ProblemKind::ExtraFieldMalformed,
                format!(
                    "extra field {id:#06x} appears twice in the {}: readers disagree on which counts",
                    where_(local)
                ),
            ));
            continue;
        }
        seen.push(id);
        match id {
            EXTRA_ZIP64 => out.zip64 = Some(data),
            EXTRA_TIMESTAMP => timestamp(data, local, &mut out),
            EXTRA_UNIX_UIDGID => owner(data, local, &mut out),
            EXTRA_UNICODE_PATH => {
                let name = data.get(5..).map(String::from_utf8_lossy);
                out.findings.push((
                    ProblemKind::UnicodePathField,
                    format!(
                        "an Info-ZIP Unicode Path field in the {} names the member `{}`: unzip and 7-Zip extract it under that name",
                        where_(local),
                        name.unwrap_or_default()
                    ),
                ));
            }
            other => out.findings.push((
                ProblemKind::UnknownExtraField,
                format!(
                    "extra field {other:#06x} ({len} bytes) in the {} is not one Exhibit writes",
                    where_(local)
                ),
            )),
        }
    }
    out
}

/// The extended timestamp: flags 1 (mtime) or 3 (mtime, atime); the local
/// header holds every time the flags announce, the central one only mtime.
fn timestamp(data: &[u8], local: bool, out: &mut Extras<'_>) {
    let flags = data.first().copied().unwrap_or(0);
    let want_len = if local {
        1 + 4 * (flags & 0b111).count_ones() as usize
    } else {
        5
    };
    if (flags != 0b01 && flags != 0b11) || data.len() != want_len {
        out.findings.push((
            ProblemKind::ExtraFieldMalformed,
            format!(
                "extended timestamp in the {} has flags {flags:#04x} and {} bytes (Exhibit writes flags 0x01 or 0x03 and {} bytes)",
                where_(local),
                data.len(),
                if local { "5 or 9" } else { "5" }
            ),
        ));
        return;
    }
    if let Some(t) = u32_le(data, 1) {
        out.timestamp = Some(Timestamp {
            flags,
            mtime: t as i32 as i64,
        });
    }
}

/// The Unix uid/gid field: version 1, 4-byte uid, 4-byte gid.
fn owner(data: &[u8], local: bool, out: &mut Extras<'_>) {
    let layout_ok = data.len() == 11
        && data.first() == Some(&1)
        && data.get(1) == Some(&4)
        && data.get(6) == Some(&4);
    match (layout_ok, u32_le(data, 2), u32_le(data, 7)) {
        (true, Some(uid), Some(gid)) => out.owner = Some((uid, gid)),
        _ => out.findings.push((
            ProblemKind::ExtraFieldMalformed,
            format!(
                "Unix uid/gid field in the {} has {} bytes, not the version-1 layout with 4-byte ids",
                where_(local),
                data.len()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(id: u16, data: &[u8]) -> Vec<u8> {
        let mut v = id.to_le_bytes().to_vec();
        v.extend_from_slice(&(data.len() as u16).to_le_bytes());
        v.extend_from_slice(data);
        v
    }

    fn kinds(e: &Extras<'_>) -> Vec<&'static str> {
        e.findings.iter().map(|f| f.0.as_str()).collect()
    }

    #[test]
    fn the_writers_fields_are_accepted() {
        let mut area = field(EXTRA_TIMESTAMP, &[3, 1, 0, 0, 0, 2, 0, 0, 0]);
        area.extend(field(EXTRA_UNIX_UIDGID, &[1, 4, 7, 0, 0, 0, 4, 8, 0, 0, 0]));
        let e = parse(&area, true);
        assert!(e.findings.is_empty(), "{:?}", e.findings);
        assert_eq!(e.timestamp.map(|t| t.mtime), Some(1));
        assert_eq!(e.owner, Some((7, 8)));
        let central = field(EXTRA_TIMESTAMP, &[3, 0xff, 0xff, 0xff, 0xff]);
        let e = parse(&central, false);
        assert!(e.findings.is_empty(), "{:?}", e.findings);
        assert_eq!(e.timestamp.map(|t| t.mtime), Some(-1));
    }

    #[test]
    fn other_fields_and_bad_layouts_are_findings() {
        assert_eq!(
            kinds(&parse(&field(0xcafe, b"hidden"), true)),
            ["unknown_extra_field"]
        );
        assert_eq!(
            kinds(&parse(&field(0x7075, b"\x01\0\0\0\0../x"), false)),
            ["unicode_path_field"]
        );
        // Timestamp with ctime, central timestamp carrying atime, short uid.
        for (area, local) in [
            (
                field(EXTRA_TIMESTAMP, &[7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                true,
            ),
            (field(EXTRA_TIMESTAMP, &[3, 0, 0, 0, 0, 0, 0, 0, 0]), false),
            (field(EXTRA_TIMESTAMP, &[1, 0, 0, 0, 0, 9]), true),
            (field(EXTRA_UNIX_UIDGID, &[1, 2, 0, 0, 2, 0, 0]), true),
        ] {
            assert_eq!(kinds(&parse(&area, local)), ["extra_field_malformed"]);
        }
        // Duplicates, a truncated field, stray bytes at the end.
        let mut twice = field(EXTRA_TIMESTAMP, &[1, 0, 0, 0, 0]);
        twice.extend(field(EXTRA_TIMESTAMP, &[1, 5, 0, 0, 0]));
        assert_eq!(kinds(&parse(&twice, false)), ["extra_field_malformed"]);
        assert_eq!(
            kinds(&parse(&[0x55, 0x54, 9, 0, 1], false)),
            ["extra_field_malformed"]
        );
        assert_eq!(kinds(&parse(&[0, 0, 0], false)), ["extra_field_malformed"]);
    }
}
