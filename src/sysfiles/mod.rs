//! Unix system files that several parts of Exhibit read: the account
//! databases (`/etc/passwd`, `/etc/group`) and the login records (utmp,
//! wtmp, btmp). One parser each, so capture (owner names, home
//! directories, live response), the findings (new accounts, uid 0,
//! administrative groups) and the log loader agree on what a record means.
//!
//! These parse text already read; how it is read (inside a target root,
//! capped, from an archive) is the caller's business. This module is a leaf:
//! it imports nothing from the crate.

pub mod accounts;
pub mod utmp;
