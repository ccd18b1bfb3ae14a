//! The evidence browser opens an archive in stages: the first records are
//! shown (and can be selected) while the rest are still read, with the
//! progress and a Cancel; once the load ends, every record is there with
//! its hash, and previews are checked against the sealed manifest as
//! before. The load job is held after its first batch (`LoadPacing::hold`)
//! so that "still loading" lasts as long as the test needs; the archive
//! itself is a real capture.

use crate::util::gui::*;
use crate::util::{alter_member, records, write};
use egui_kittest::kittest::Queryable as _;
use exhibit::gui::Settings;
use exhibit::gui::views::browser::LoadPacing;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

const FILES: usize = 40;

/// A capture of `FILES` small text files (plus their folders).
fn fixture(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    for i in 0..FILES {
        write(
            &src,
            &format!("data/f{i:03}.txt"),
            format!("line of file {i}\n").as_bytes(),
        );
    }
    core_capture(&src, &dir.join("out"))
}

/// The position of the first file's record (folders come first).
fn first_file(expected: &[serde_json::Value]) -> usize {
    expected.iter().position(|r| r["type"] == "file").unwrap()
}

/// The app on the Evidence screen, its loads held after `first` records
/// while `hold` is set, the archive opened.
fn open_held(archive: &Path, first: usize, hold: &Arc<AtomicBool>) -> H {
    let mut h = app(1024.0, 700.0, Settings::default());
    h.step();
    h.state_mut().v_mut::<BrowserView>().load_pacing = LoadPacing {
        first_batch: first,
        batch: 1000,
        hold: Some(Arc::clone(hold)),
        ..LoadPacing::default()
    };
    click(&mut h, "Evidence");
    type_into(&mut h, "Archive", &archive.display().to_string());
    click(&mut h, "Open archive");
    wait_until(&mut h, "the first records", |h| {
        h.state()
            .v::<BrowserView>()
            .partial
            .as_ref()
            .is_some_and(|p| !p.records.is_empty())
    });
    h
}

#[test]
fn the_first_records_show_while_loading_then_every_record_with_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let archive = fixture(dir.path());
    let expected = records(&archive);
    assert!(expected.len() > FILES, "files and their folders");
    let n = first_file(&expected) + 2;
    let hold = Arc::new(AtomicBool::new(true));
    let mut h = open_held(&archive, n, &hold);

    // Still loading: the first n records are listed, nothing more, and
    // the window says the load goes on and can be cancelled.
    h.step();
    let b = h.state().v::<BrowserView>();
    assert!(b.loaded.is_none() && b.loading());
    assert_eq!(b.records().len(), n);
    for r in expected.iter().take(n) {
        let p = r["path"].as_str().unwrap();
        assert!(shows(&h, p), "row {p} is listed while loading");
    }
    let unread = expected[n..].iter().find(|r| r["type"] == "file").unwrap()["path"]
        .as_str()
        .unwrap();
    assert!(!shows(&h, unread), "{unread} is not read yet");
    assert!(shows(&h, "Still loading"));
    assert!(shows(&h, &format!("{n} entries read so far")));
    assert!(h.query_by_label("Cancel opening").is_some());
    assert!(shows(&h, "Finished"), "the acquisition summary is shown");

    // A row can be selected now: its record at once, its preview later.
    let pick = expected
        .iter()
        .take(n)
        .find(|r| r["type"] == "file")
        .map(|r| r["path"].as_str().unwrap().to_string())
        .expect("a file among the first records");
    click_row(&mut h, &pick);
    assert!(shows(&h, "Copy path"));
    assert!(shows(
        &h,
        "The content preview opens once the archive is fully read"
    ));

    // Let the load finish.
    hold.store(false, Ordering::SeqCst);
    wait_until(&mut h, "the whole archive", |h| {
        let b = h.state().v::<BrowserView>();
        b.loaded.is_some() && b.busy().is_empty() && b.preview.is_some()
    });
    assert!(shows(
        &h,
        &format!("{n} of {n} entries", n = expected.len())
    ));
    assert!(!shows(&h, "Still loading"));
    let b = h.state().v::<BrowserView>();
    let l = b.loaded.as_ref().unwrap();
    assert!(b.partial.is_none());
    assert_eq!(l.records.len(), expected.len());
    for (got, want) in l.records.iter().zip(&expected) {
        assert_eq!(got.path, want["path"].as_str().unwrap());
        assert_eq!(got.sha256.as_deref(), want["sha256"].as_str());
        assert_eq!(got.size, want["size"].as_u64().unwrap());
    }
    assert!(l.bad_lines.is_empty());
    assert!(l.manifest.as_ref().as_ref().is_ok_and(|m| !m.is_empty()));
    // The selection made while loading stays, and its preview came.
    let sel = b.selected.expect("still selected");
    assert_eq!(l.records[sel].path, pick);
    let p = b.preview.as_ref().unwrap().as_ref().unwrap();
    assert_eq!(
        p.integrity,
        exhibit::gui::views::browser::model::Integrity::Matches
    );
    let i: usize = pick
        .rsplit('f')
        .next()
        .and_then(|s| s.strip_suffix(".txt"))
        .and_then(|s| s.parse().ok())
        .unwrap();
    assert!(shows(&h, &format!("line of file {i}")));
    // Every row is reachable: the last record's row after a filter.
    let last = expected.last().unwrap()["path"].as_str().unwrap();
    type_into(&mut h, "Filter paths", last.rsplit('/').next().unwrap());
    wait_until(&mut h, "the filter", |h| shows(h, last));
    h.check_accessibility();
}

#[test]
fn cancel_while_loading_leaves_nothing_of_the_archive_shown() {
    let dir = tempfile::tempdir().unwrap();
    let archive = fixture(dir.path());
    let expected = records(&archive);
    let n = first_file(&expected) + 1;
    let hold = Arc::new(AtomicBool::new(true));
    let mut h = open_held(&archive, n, &hold);
    let first = expected[n - 1]["path"].as_str().unwrap();
    h.step();
    assert!(shows(&h, first));
    click(&mut h, "Cancel opening");
    wait_until(&mut h, "the load to stop", |h| {
        !h.state().v::<BrowserView>().loading()
    });
    let b = h.state().v::<BrowserView>();
    assert!(b.loaded.is_none() && b.partial.is_none());
    assert!(b.records().is_empty());
    assert!(b.archives_in_use().is_empty());
    assert!(shows(&h, "Opening was cancelled"));
    assert!(!shows(&h, first), "no row of the cancelled archive stays");
    // The hold was never released: the job noticed the cancel while held.
    assert!(hold.load(Ordering::SeqCst));

    // Opening it again works.
    hold.store(false, Ordering::SeqCst);
    click(&mut h, "Open archive");
    wait_until(&mut h, "the archive", |h| {
        h.state().v::<BrowserView>().loaded.is_some()
    });
    assert_eq!(
        h.state()
            .v::<BrowserView>()
            .loaded
            .as_ref()
            .unwrap()
            .records
            .len(),
        expected.len()
    );
}

#[test]
fn a_file_selected_while_loading_of_an_altered_archive_is_marked_once_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let archive = fixture(dir.path());
    alter_member(&archive, "/data/f000.txt", b"not what was captured\n");
    let expected = records(&archive);
    let target = expected
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_string())
        .find(|p| p.ends_with("/data/f000.txt"))
        .unwrap();
    let pos = expected
        .iter()
        .position(|r| r["path"] == target.as_str())
        .unwrap();
    let hold = Arc::new(AtomicBool::new(true));
    let mut h = open_held(&archive, pos + 1, &hold);
    h.step();
    click_row(&mut h, &target);
    assert!(shows(
        &h,
        "The content preview opens once the archive is fully read"
    ));
    hold.store(false, Ordering::SeqCst);
    wait_until(&mut h, "the preview", |h| {
        let b = h.state().v::<BrowserView>();
        b.loaded.is_some() && b.preview.is_some()
    });
    assert!(
        shows(&h, "Not the sealed content"),
        "the checked reader still marks altered content"
    );
    let b = h.state().v::<BrowserView>();
    let p = b.preview.as_ref().unwrap().as_ref().unwrap();
    assert!(matches!(
        p.integrity,
        exhibit::gui::views::browser::model::Integrity::Mismatch(_)
    ));
}
