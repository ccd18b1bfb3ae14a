//! Mounted filesystems, from `/proc/self/mountinfo`.

use super::{Problem, now, read_text};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Mount {
    pub mount_id: Option<u64>,
    pub parent_id: Option<u64>,
    pub device: String,
    /// Path inside the filesystem that is mounted (bind mounts).
    pub root: String,
    pub mount_point: String,
    pub options: String,
    pub fs_type: String,
    pub source: String,
    pub super_options: String,
}

/// `live/mounts.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MountsDoc {
    pub collected_at: String,
    pub mounts: Vec<Mount>,
    pub problems: Vec<Problem>,
}

/// Undo the kernel's octal escapes (`\040` for a space).
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && let Some(oct) = b.get(i + 1..i + 4)
            && oct.iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = oct
                .iter()
                .fold(0u32, |acc, c| acc * 8 + u32::from(c - b'0'));
            if let Ok(byte) = u8::try_from(v) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parse mountinfo text; lines without the `-` separator are skipped.
pub fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let sep = f.iter().position(|x| *x == "-")?;
            if sep < 6 {
                return None;
            }
            let g = |i: usize| f.get(i).map(|s| unescape(s)).unwrap_or_default();
            Some(Mount {
                mount_id: f.first().and_then(|s| s.parse().ok()),
                parent_id: f.get(1).and_then(|s| s.parse().ok()),
                device: g(2),
                root: g(3),
                mount_point: g(4),
                options: g(5),
                fs_type: g(sep + 1),
                source: g(sep + 2),
                super_options: g(sep + 3),
            })
        })
        .collect()
}

pub fn collect(proc_dir: &Path) -> MountsDoc {
    let mut problems = Vec::new();
    let mounts = match read_text(&proc_dir.join("self/mountinfo")) {
        Ok(t) => parse_mountinfo(&t),
        Err(e) => {
            problems.push(Problem::new("/proc/self/mountinfo", &e));
            Vec::new()
        }
    };
    MountsDoc {
        collected_at: now(),
        mounts,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mountinfo() {
        let m = parse_mountinfo(
            "36 35 98:0 /mnt1 /mnt/my\\040disk rw,noatime master:1 - ext3 /dev/root rw,errors=continue\nbroken line\n",
        );
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].mount_point, "/mnt/my disk");
        assert_eq!(m[0].fs_type, "ext3");
        assert_eq!(m[0].source, "/dev/root");
        assert_eq!(m[0].mount_id, Some(36));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}") { let _ = parse_mountinfo(&s); let _ = unescape(&s); }
    }
}
