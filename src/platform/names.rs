//! File names as bytes and back.
//!
//! Archives record logical paths as bytes. On Unix a name *is* bytes and
//! the conversion is exact both ways. On Windows a name is UTF-16; it is
//! recorded as UTF-8, and a name with unpaired surrogates (which no valid
//! Unicode text has) as its lossy form, so such a name cannot be opened
//! again through the record (the capture records it as unreadable).

use std::borrow::Cow;
use std::ffi::OsStr;
use std::path::Path;

/// The bytes of a name or path.
#[cfg(unix)]
pub fn to_bytes(s: &OsStr) -> Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt as _;
    Cow::Borrowed(s.as_bytes())
}

/// The bytes of a name or path: UTF-8, lossy for unpaired surrogates.
#[cfg(not(unix))]
pub fn to_bytes(s: &OsStr) -> Cow<'_, [u8]> {
    match s.to_string_lossy() {
        Cow::Borrowed(t) => Cow::Borrowed(t.as_bytes()),
        Cow::Owned(t) => Cow::Owned(t.into_bytes()),
    }
}

/// The name or path these bytes spell.
#[cfg(unix)]
pub fn from_bytes(b: &[u8]) -> Cow<'_, OsStr> {
    use std::os::unix::ffi::OsStrExt as _;
    Cow::Borrowed(OsStr::from_bytes(b))
}

/// The name or path these bytes spell (UTF-8; invalid bytes become U+FFFD).
#[cfg(not(unix))]
pub fn from_bytes(b: &[u8]) -> Cow<'_, OsStr> {
    match String::from_utf8_lossy(b) {
        Cow::Borrowed(t) => Cow::Borrowed(OsStr::new(t)),
        Cow::Owned(t) => Cow::Owned(t.into()),
    }
}

/// The bytes of a path.
pub fn path_bytes(p: &Path) -> Cow<'_, [u8]> {
    to_bytes(p.as_os_str())
}

/// The path these bytes spell.
pub fn bytes_path(b: &[u8]) -> std::path::PathBuf {
    std::path::PathBuf::from(from_bytes(b).into_owned())
}

/// A path as people read it: on Windows without the `\\?\` (verbatim)
/// prefix that `std::fs::canonicalize` adds, where the plain path names the
/// same file (`\\?\C:\Cases\x.zip` is shown `C:\Cases\x.zip`); a path
/// that needs the prefix (too long, a reserved name such as `CON`, a
/// trailing dot) keeps it. Unchanged elsewhere. Only for showing: files
/// under a target root are opened through its verbatim form, so a file of
/// a Linux image named `con` or `x.` is the file, not a device.
pub fn shown(p: &Path) -> &Path {
    dunce::simplified(p)
}

/// A directory resolved for writing into and for showing: like
/// `std::fs::canonicalize`, without the `\\?\` prefix where the plain
/// path is the same ([`shown`]), so the archive paths capture reports are
/// the ones people type.
pub fn canonical_dir(p: &Path) -> std::io::Result<std::path::PathBuf> {
    dunce::canonicalize(p)
}

/// The logical path (as the archive records it) of an absolute path on
/// this machine. On Unix, its bytes. On Windows, forward slashes with the
/// drive as the first component: `C:\Data\x` and `\\?\C:\Data\x`
/// become `/C:/Data/x`, a share `\\srv\share\x` becomes
/// `//srv/share/x`.
pub fn logical_of(p: &Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        p.as_os_str().as_encoded_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        use std::path::{Component, Prefix};
        let mut out = Vec::new();
        for c in p.components() {
            match c {
                Component::Prefix(pre) => match pre.kind() {
                    Prefix::Disk(d) | Prefix::VerbatimDisk(d) => {
                        out.extend_from_slice(&[b'/', d.to_ascii_uppercase(), b':']);
                    }
                    Prefix::UNC(srv, share) | Prefix::VerbatimUNC(srv, share) => {
                        out.extend_from_slice(b"//");
                        out.extend_from_slice(&to_bytes(srv));
                        out.push(b'/');
                        out.extend_from_slice(&to_bytes(share));
                    }
                    _ => out.extend_from_slice(&to_bytes(pre.as_os_str())),
                },
                Component::RootDir | Component::CurDir => {}
                Component::ParentDir => out.extend_from_slice(b"/.."),
                Component::Normal(n) => {
                    out.push(b'/');
                    out.extend_from_slice(&to_bytes(n));
                }
            }
        }
        if out.is_empty() {
            out.push(b'/');
        }
        out
    }
}

/// The path on this machine of a logical path: under `root` (a mounted
/// image or copied tree) when given, else the inverse of [`logical_of`].
/// On Windows the result is a `\\?\` path, so long paths work.
pub fn physical(root: Option<&Path>, logical: &[u8]) -> std::path::PathBuf {
    #[cfg(unix)]
    {
        let rel = bytes_path(logical);
        match root {
            Some(r) => r.join(rel.strip_prefix("/").unwrap_or(&rel)),
            None => rel,
        }
    }
    #[cfg(not(unix))]
    {
        let comps = logical.split(|&b| b == b'/').filter(|c| !c.is_empty());
        let mut out = match root {
            Some(r) => r.to_path_buf(),
            None if logical.starts_with(b"//") => {
                let mut c = comps.clone();
                let (Some(srv), Some(share)) = (c.next(), c.next()) else {
                    return bytes_path(logical);
                };
                let mut p = std::path::PathBuf::from(r"\\?\UNC\");
                p.push(&*from_bytes(srv));
                p.push(&*from_bytes(share));
                for n in c {
                    p.push(&*from_bytes(n));
                }
                return p;
            }
            None => std::path::PathBuf::from(r"\\?\"),
        };
        let mut first = root.is_none();
        for n in comps {
            if first {
                // The drive: `C:` becomes `C:\`.
                out.push(format!("{}\\", String::from_utf8_lossy(n)));
                first = false;
            } else {
                out.push(&*from_bytes(n));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_paths_round_trip() {
        let here = std::env::current_dir().unwrap();
        let here = std::fs::canonicalize(here).unwrap();
        let l = logical_of(&here);
        assert!(l.starts_with(b"/"));
        assert!(!l.contains(&b'\\'));
        let back = physical(None, &l);
        assert_eq!(
            std::fs::canonicalize(back).unwrap(),
            here,
            "logical {}",
            String::from_utf8_lossy(&l)
        );
    }

    #[test]
    fn utf8_names_round_trip() {
        let p = Path::new("/srv/www/café/index.php");
        assert_eq!(bytes_path(&path_bytes(p)), p);
    }
}
