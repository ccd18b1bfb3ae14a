//! The OS error codes capture matches on (a file gone, a link on the path,
//! permission refused for a flag).
//!
//! On Unix this is rustix's `Errno`. Elsewhere it is a small code with the
//! same names, made from `std::io::Error`, so capture's shared code reads the
//! same on every system.

#[cfg(unix)]
pub use rustix::io::Errno;

#[cfg(unix)]
/// The code of an I/O error, if it has one.
pub fn of(e: &std::io::Error) -> Errno {
    Errno::from_io_error(e).unwrap_or(Errno::IO)
}

#[cfg(not(unix))]
pub use portable::Errno;

#[cfg(not(unix))]
/// The code of an I/O error.
pub fn of(e: &std::io::Error) -> Errno {
    Errno::from_io_error(e)
}

#[cfg(not(unix))]
mod portable {
    use std::io::ErrorKind;

    /// An OS error: the raw code the system gave, or one of the names below.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Errno(Kind);

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    enum Kind {
        NotFound,
        Loop,
        Perm,
        Access,
        Inval,
        NotDir,
        NoSys,
        NameTooLong,
        Srch,
        Io,
        Raw(i32),
    }

    impl Errno {
        pub const NOENT: Errno = Errno(Kind::NotFound);
        pub const LOOP: Errno = Errno(Kind::Loop);
        pub const PERM: Errno = Errno(Kind::Perm);
        pub const ACCESS: Errno = Errno(Kind::Access);
        pub const INVAL: Errno = Errno(Kind::Inval);
        pub const NOTDIR: Errno = Errno(Kind::NotDir);
        pub const NOSYS: Errno = Errno(Kind::NoSys);
        pub const NAMETOOLONG: Errno = Errno(Kind::NameTooLong);
        pub const SRCH: Errno = Errno(Kind::Srch);
        pub const IO: Errno = Errno(Kind::Io);

        /// The code of an I/O error.
        pub fn from_io_error(e: &std::io::Error) -> Errno {
            match e.kind() {
                ErrorKind::NotFound => Errno::NOENT,
                ErrorKind::PermissionDenied => Errno::ACCESS,
                ErrorKind::InvalidInput => Errno::INVAL,
                ErrorKind::NotADirectory => Errno::NOTDIR,
                ErrorKind::InvalidFilename => Errno::NAMETOOLONG,
                _ => match e.raw_os_error() {
                    Some(c) => Errno(Kind::Raw(c)),
                    None => Errno::IO,
                },
            }
        }

        /// The system's own code, where there is one.
        pub fn raw_os_error(self) -> i32 {
            match self.0 {
                Kind::Raw(c) => c,
                // Win32 codes with the same meaning.
                Kind::NotFound => 2,
                Kind::Access | Kind::Perm => 5,
                Kind::Inval => 87,
                Kind::NotDir => 267,
                Kind::NoSys => 50,
                Kind::NameTooLong => 206,
                Kind::Loop => 1921,
                Kind::Srch => 1168,
                Kind::Io => 1117,
            }
        }
    }

    impl From<Errno> for std::io::Error {
        fn from(e: Errno) -> Self {
            match e.0 {
                Kind::Loop => std::io::Error::other(
                    "a symbolic link or reparse point is on the path (not followed)",
                ),
                _ => std::io::Error::from_raw_os_error(e.raw_os_error()),
            }
        }
    }

    impl std::fmt::Display for Errno {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            std::io::Error::from(*self).fmt(f)
        }
    }
}
