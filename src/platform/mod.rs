//! What differs between the systems Exhibit runs on, one module per concern.
//!
//! Capturing a live Linux server uses Linux system calls (`openat2`,
//! `statx`, `O_PATH`, `O_NOATIME`, `/proc`); everything else — opening,
//! verifying, custody, comparing, logs, reports, and capturing a folder or a
//! mounted image — runs on Linux, Windows and macOS. Code outside this
//! module and `capture::sys` does not carry `#[cfg(unix)]`/`#[cfg(windows)]`:
//! it calls these functions, each with a Unix and a portable (Windows)
//! implementation.
//!
//! - [`names`]: file names as bytes (the archive's logical paths) and back;
//! - [`meta`]: file identity, owner, mode and times from `Metadata`, and
//!   what a system cannot know;
//! - [`files`]: reading at an offset, private files and folders, locking a
//!   folder, flushing a folder's entries;
//! - [`errno`]: the OS error codes capture matches on;
//! - [`host`]: the name and kernel of the machine Exhibit runs on;
//! - [`stdout`]: ending quietly when the reader of our output goes away;
//! - [`streams`]: NTFS alternate data streams (Windows; the crate's one
//!   `unsafe` call).

pub mod errno;
pub mod files;
pub mod host;
pub mod meta;
pub mod names;
pub mod stdout;
pub mod streams;
