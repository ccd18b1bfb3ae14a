//! Which `exhibit` binary a remote capture uploads to the server.
//!
//! The server runs whatever architecture `uname -m` reports there, and may
//! have no compatible C library: it gets a static (musl) build named
//! `exhibit-<arch>-linux-musl`, looked for in `$EXHIBIT_REMOTE_BIN_DIR`
//! and then beside the running `exhibit`. `--upload-binary PATH` overrides
//! the choice (the caller vouches that PATH runs there).

use std::path::{Path, PathBuf};

/// The environment variable naming a directory of static builds.
pub const BIN_DIR_ENV: &str = "EXHIBIT_REMOTE_BIN_DIR";

/// `uname -m` as Rust's target architecture (`arm64` is `aarch64`, `i686`
/// and friends are `i686`); `None` for an architecture with no build.
pub fn normalise_arch(uname_m: &str) -> Option<&'static str> {
    Some(match uname_m.trim() {
        "x86_64" | "amd64" => "x86_64",
        "aarch64" | "arm64" => "aarch64",
        "armv7l" | "armv7" => "armv7",
        "i386" | "i486" | "i586" | "i686" => "i686",
        "riscv64" => "riscv64gc",
        "ppc64le" => "powerpc64le",
        "s390x" => "s390x",
        _ => return None,
    })
}

/// The file name of the static build for `arch` (normalised).
pub fn binary_name(arch: &str) -> String {
    format!("exhibit-{arch}-linux-musl")
}

/// Where the static build for `uname_m` is looked for, in order.
pub fn candidates(uname_m: &str) -> Vec<PathBuf> {
    let Some(arch) = normalise_arch(uname_m) else {
        return Vec::new();
    };
    let name = binary_name(arch);
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(d) = std::env::var_os(BIN_DIR_ENV).filter(|d| !d.is_empty()) {
        dirs.push(PathBuf::from(d));
    }
    if let Some(d) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        dirs.push(d);
    }
    dirs.into_iter().map(|d| d.join(&name)).collect()
}

/// The first candidate that is a regular file.
pub fn find(uname_m: &str) -> Option<PathBuf> {
    candidates(uname_m).into_iter().find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architectures_map_to_build_names() {
        assert_eq!(
            normalise_arch("x86_64\n").map(binary_name).as_deref(),
            Some("exhibit-x86_64-linux-musl")
        );
        assert_eq!(normalise_arch("arm64"), Some("aarch64"));
        assert_eq!(normalise_arch("sparc64"), None);
        assert!(candidates("sparc64").is_empty());
        assert!(
            candidates("x86_64")
                .iter()
                .all(|p| p.ends_with("exhibit-x86_64-linux-musl"))
        );
    }
}
