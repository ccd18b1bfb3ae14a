//! What the workstation's screens show, without egui (`viewmodel`): each
//! screen's model — the loaded evidence, typed filters and their parsing,
//! the rows a filter keeps — and the text for people (byte counts, times)
//! they share. The egui views in `gui::views` draw these and turn clicks
//! into changes of them; everything here builds and is tested without the
//! `gui` feature (`cargo test --no-default-features --lib viewmodel::`).
//!
//! - [`browser`]: the evidence browser (an archive's records as a tree,
//!   previews checked against the sealed manifest);
//! - [`compare`]: a comparison and its filtered change list;
//! - [`logs`]: the Logs screen's filters and loaded store;
//! - [`timeline`]: the built timeline, its filter, stars and tags;
//! - [`change_filter`]: the change/finding filter Compare and Findings share;
//! - [`verify`]: the Verify screen's verdict (what failed, in words);
//! - [`integrity`]: what the screens say about content that does not match
//!   its archive's seal (banner titles, badges);
//! - [`format`]: byte counts, thousands separators, times for people.

pub mod browser;
pub mod change_filter;
pub mod compare;
pub mod format;
pub mod integrity;
pub mod logs;
pub mod timeline;
pub mod verify;
