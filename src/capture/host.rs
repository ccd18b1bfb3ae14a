//! Identity of the examined system: from the running kernel for a live
//! capture, from the target's own files for a mounted image.

use crate::archive::acquisition::HostInfo;
use std::path::Path;

fn read_trim(p: &Path) -> Option<String> {
    let s = std::fs::read_to_string(p).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn os_release(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join("etc/os-release"))
        .or_else(|_| std::fs::read_to_string(root.join("usr/lib/os-release")))
        .ok()?;
    text.lines().find_map(|l| {
        l.strip_prefix("PRETTY_NAME=")
            .map(|v| v.trim_matches('"').to_string())
    })
}

/// Host identity. `target_root` is `Some` for a mounted image or copied tree.
pub fn host_info(target_root: Option<&Path>) -> HostInfo {
    match target_root {
        Some(root) => HostInfo {
            hostname: read_trim(&root.join("etc/hostname")),
            os: os_release(root),
            kernel: None,
            boot_id: None,
            machine_id: read_trim(&root.join("etc/machine-id")),
            from_target_root: true,
        },
        None => {
            let uname = rustix::system::uname();
            HostInfo {
                hostname: Some(uname.nodename().to_string_lossy().into_owned()),
                os: os_release(Path::new("/")),
                kernel: Some(format!(
                    "{} {} {}",
                    uname.sysname().to_string_lossy(),
                    uname.release().to_string_lossy(),
                    uname.version().to_string_lossy()
                )),
                boot_id: read_trim(Path::new("/proc/sys/kernel/random/boot_id")),
                machine_id: read_trim(Path::new("/etc/machine-id")),
                from_target_root: false,
            }
        }
    }
}

/// The name of the machine Exhibit itself runs on.
pub fn local_hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}
