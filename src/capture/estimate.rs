//! The pre-scan estimate: what a capture request would store, counted by
//! the capture's own code (its root, selector, start points, walk and
//! planner) without reading any content, so the number shown before a
//! capture is the number its records will hold.
//!
//! It can still differ from the capture for reasons no pre-scan can know,
//! which [`Estimate::caveats`] names: files that grow, shrink, appear,
//! vanish or cannot be read between the estimate and the read, and live
//! response (taken at capture time, stored as tag files, not counted).

use super::{CaptureError, plan, request_selector, resolve_root, start_points, walk};
use crate::archive::EntryType;
use crate::job::{CancelToken, Progress, ProgressSink};

/// What a capture would take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Estimate {
    /// Records (every walked entry: files, folders, links, skipped ones).
    pub entries: u64,
    /// Regular files whose content would be stored (hard-linked names
    /// count once, as the archive stores them once).
    pub files: u64,
    /// Their bytes, at the time of the walk.
    pub bytes: u64,
    /// Regular files that are planned but not stored: hashed only, over
    /// their profile's size limit, or excluded.
    pub not_stored: u64,
    /// Live response will be taken too (not counted above).
    pub live_response: bool,
}

impl Estimate {
    /// Why the capture's own counts may still differ, for people.
    pub fn caveats(&self) -> Vec<&'static str> {
        let mut v = vec![
            "files that grow, shrink, appear, vanish or cannot be read before the capture reads them change its count",
        ];
        if self.live_response {
            v.push("live response (processes, connections, logins) is taken at capture time and is not counted");
        }
        v
    }
}

/// Count what `capture(req)` would store now. Fails as the capture would
/// (a missing source, a bad root or profile); never reads file content and
/// never creates the archive.
pub fn estimate(
    req: &super::CaptureRequest,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<Estimate, CaptureError> {
    let root = resolve_root(req.root.as_deref())?;
    let selector = request_selector(req)?;
    let starts = start_points(req, root.as_deref(), selector.as_ref())?;
    let on_progress = |n: u64, p: &[u8]| {
        progress.update(&Progress {
            phase: "estimating",
            files_done: n,
            current: String::from_utf8_lossy(p).into_owned(),
            ..Progress::default()
        })
    };
    let opts = walk::WalkOptions {
        root: root.as_deref(),
        selector: selector.as_ref(),
        all_filesystems: req.all_filesystems,
        one_file_system: req.one_file_system,
        // The capture excludes only its own .partial, which does not exist yet.
        exclude: Vec::new(),
        cancel,
        on_progress: &on_progress,
    };
    let acc = super::accounts::Accounts::default();
    let mut planner = plan::Planner::new("estimate", root.as_deref(), &acc);
    let mut est = Estimate {
        live_response: req.collects_live(),
        ..Estimate::default()
    };
    let mut index = 0usize;
    walk::walk_each(&starts, &opts, &mut |item| {
        let (_, p) = planner.plan(index, &item);
        index += 1;
        est.entries += 1;
        match p {
            plan::Plan::Read(job) if job.member.is_some() => {
                est.files += 1;
                est.bytes += job.walk_size;
            }
            plan::Plan::Alias(..) => {}
            _ if item.stat.kind == Some(EntryType::File) => est.not_stored += 1,
            _ => {}
        }
        true
    })
    .map_err(|_| CaptureError::Invalid("the estimate was cancelled".into()))?;
    Ok(est)
}
