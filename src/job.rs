//! Progress reporting and cancellation shared by every long-running core job.
//!
//! The core never prints and never knows who is watching: capture, verify and
//! the other jobs report through a [`ProgressSink`] and poll a [`CancelToken`]
//! between files and between chunks. The CLI renders the snapshots as a
//! progress bar on stderr; the GUI polls them each frame.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A point-in-time view of a job's progress. Totals are `None` while unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// What the job is doing now ("walking", "capturing", "verifying", ...).
    pub phase: &'static str,
    pub files_done: u64,
    pub files_total: Option<u64>,
    pub bytes_done: u64,
    pub bytes_total: Option<u64>,
    /// The path being worked on, for display only.
    pub current: String,
    /// Problems met so far (unreadable files, integrity failures...).
    pub warnings: u64,
}

/// Receives progress snapshots. Implementations must be cheap: the core calls
/// this often (it is the receiver's job to throttle rendering).
pub trait ProgressSink: Send + Sync {
    fn update(&self, progress: &Progress);
}

/// A sink that ignores everything, for callers that do not watch.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn update(&self, _progress: &Progress) {}
}

impl<F: Fn(&Progress) + Send + Sync> ProgressSink for F {
    fn update(&self, progress: &Progress) {
        self(progress)
    }
}

/// A shared flag a job polls to stop early. Cloning shares the flag.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask the job to stop at the next file or chunk boundary.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
