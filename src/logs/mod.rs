//! Log analysis: read the logs inside evidence archives, folders and plain
//! files into one in-memory event store and answer the analyst's questions ("who accessed this path", "everything this IP
//! did", "first and last access of X").
//!
//! - [`load`] turns a [`LoadRequest`] into a [`LogStore`]: every source file
//!   with its parser and counts, every event with its provenance (archive,
//!   logical path, line). Lines no parser understands are kept as
//!   [`Kind::Unparsed`] events and counted, never dropped.
//! - [`merge`] merges the logs of several snapshots of one host (a
//!   baseline and an incident capture): each line is one event listing
//!   every snapshot that holds it, and lines a later snapshot lost from the
//!   middle of a log are named.
//! - [`parsers`] holds the formats, one file each, registered in one list.
//! - [`url`] reads web request paths (query string, percent-decoding) the
//!   same way for queries and detections.
//! - [`query`] answers the analyst's questions and filters events (for the
//!   GUI's tables).
//!
//! The detections over the store live one layer up, in `crate::detect::logs`
//! (this module never imports them).
//!
//! The core never prints: the CLI and the GUI render these results.

pub mod event;
pub mod load;
pub mod merge;
pub mod parsers;
pub mod query;
pub mod time;
pub mod timing;
pub mod url;

pub use event::{Event, Field, Kind};
pub use load::{LoadRequest, LogError, LogStore, Skipped, SourceInfo, load};
