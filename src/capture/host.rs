//! Identity of the examined system: from the running kernel for a live
//! capture, from the target's own files for a mounted image. Every file is
//! read through [`super::target`]: inside the target root, regular files
//! only, `O_NOATIME`, at most [`super::target::IDENTITY_CAP`] bytes.

use super::target::{self, IDENTITY_CAP, TargetReadError};
use crate::archive::acquisition::HostInfo;
use std::path::Path;

/// The host identity, and what could not be read for it.
#[derive(Debug, Clone)]
pub struct HostRead {
    pub info: HostInfo,
    /// Identity files that exist but were not read, or not read whole:
    /// (logical path, why). A missing file is not a problem.
    pub refused: Vec<(String, String)>,
}

struct Reader<'a> {
    root: &'a Path,
    refused: Vec<(String, String)>,
}

impl Reader<'_> {
    /// The file's text, or `None` when it is missing, refused or empty.
    fn text(&mut self, logical: &str) -> Option<String> {
        match target::read(self.root, logical, IDENTITY_CAP) {
            Ok(f) => {
                if f.truncated {
                    self.refused.push((
                        logical.to_string(),
                        format!("host identity: over {IDENTITY_CAP} bytes; not used"),
                    ));
                    return None;
                }
                Some(f.text())
            }
            Err(TargetReadError::NotFound) => {
                if target::exists(self.root, logical) {
                    self.refused.push((
                        logical.to_string(),
                        "host identity: a symbolic link to nothing inside the target (links resolve inside it); not used".to_string(),
                    ));
                }
                None
            }
            Err(e) => {
                self.refused
                    .push((logical.to_string(), format!("host identity: not read: {e}")));
                None
            }
        }
    }

    fn trimmed(&mut self, logical: &str) -> Option<String> {
        let s = self.text(logical)?;
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_string())
    }

    fn os_release(&mut self) -> Option<String> {
        let text = self
            .text("/etc/os-release")
            .or_else(|| self.text("/usr/lib/os-release"))?;
        text.lines().find_map(|l| {
            l.strip_prefix("PRETTY_NAME=")
                .map(|v| v.trim_matches('"').to_string())
        })
    }
}

/// Host identity. `target_root` is `Some` for a mounted image or copied tree.
pub fn host_info(target_root: Option<&Path>) -> HostRead {
    let mut r = Reader {
        root: target_root.unwrap_or(Path::new("/")),
        refused: Vec::new(),
    };
    let info = match target_root {
        Some(_) => HostInfo {
            hostname: r.trimmed("/etc/hostname"),
            os: r.os_release(),
            kernel: None,
            boot_id: None,
            machine_id: r.trimmed("/etc/machine-id"),
            from_target_root: true,
        },
        None => HostInfo {
            hostname: Some(crate::platform::host::hostname()),
            os: r.os_release(),
            kernel: crate::platform::host::kernel(),
            boot_id: r.trimmed("/proc/sys/kernel/random/boot_id"),
            machine_id: r.trimmed("/etc/machine-id"),
            from_target_root: false,
        },
    };
    HostRead {
        info,
        refused: r.refused,
    }
}

/// The name of the machine Exhibit itself runs on.
pub fn local_hostname() -> String {
    crate::platform::host::hostname()
}
