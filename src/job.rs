//! Progress reporting and cancellation shared by every long-running core job.
//!
//! The core never prints and never knows who is watching: capture, verify and
//! the other jobs report through a [`ProgressSink`] and poll a [`CancelToken`]
//! between files and between chunks. The CLI renders the snapshots as a
//! progress bar on stderr; the GUI polls them each frame.
//!
//! [`par_map`] is the one worker pool of the core: the jobs that spread
//! independent pieces of work over the cores (verify's members, log files,
//! a folder snapshot's hashes, `files.jsonl` slices) all run through it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

/// How many worker threads a job uses: `requested`, or with 0 the machine's
/// cores, at most `max`.
pub fn threads(requested: usize, max: usize) -> usize {
    match requested {
        0 => std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(max),
        n => n,
    }
    .max(1)
}

/// Apply `f` to every item on up to `threads` scoped threads and return the
/// results in item order. Workers take the next item from a shared counter,
/// so a slow item never holds up the others (items of very different
/// sizes, as files are, balance themselves). Once `cancel` is set no new
/// item starts; the items not run are `None`. If `f` panics on an item (a
/// bug), the other items still run, and then the first panic is raised
/// again in the caller: a bug never passes as a silently missing result,
/// and never leaves `watch` waiting for a worker that is gone.
///
/// With `watch`, the calling thread calls it every `interval` while the
/// workers run, with the number of items started so far, and once more at
/// the end (progress reporting that does not depend on the items' pace).
///
/// Scoped threads over a shared counter (rather than a global pool such as
/// rayon's) keep each job's own thread count (`--threads`, the GUI's
/// choice) and let `f` borrow from the caller's stack; it is the mechanism
/// the five copies this replaced each had, so their speed is unchanged.
pub fn par_map<T, R, F>(
    items: &[T],
    threads: usize,
    cancel: &CancelToken,
    f: F,
    mut watch: Option<(Duration, &mut dyn FnMut(usize))>,
) -> Vec<Option<R>>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let panicked: Mutex<Option<Box<dyn std::any::Any + Send>>> = Mutex::new(None);
    let next = AtomicUsize::new(0);
    let running = AtomicUsize::new(0);
    let workers = threads.max(1).min(items.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            running.fetch_add(1, Ordering::SeqCst);
            s.spawn(|| {
                loop {
                    if cancel.is_cancelled() {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(item))) {
                        Ok(r) => {
                            if let Some(Ok(mut slot)) = slots.get(i).map(Mutex::lock) {
                                *slot = Some(r);
                            }
                        }
                        Err(payload) => {
                            if let Ok(mut p) = panicked.lock() {
                                p.get_or_insert(payload);
                            }
                        }
                    }
                }
                running.fetch_sub(1, Ordering::SeqCst);
            });
        }
        if let Some((interval, watch)) = watch.as_mut() {
            while running.load(Ordering::SeqCst) > 0 && !cancel.is_cancelled() {
                watch(next.load(Ordering::Relaxed).min(items.len()));
                std::thread::sleep(*interval);
            }
        }
    });
    if let Some((_, watch)) = watch.as_mut() {
        watch(next.load(Ordering::Relaxed).min(items.len()));
    }
    if let Some(payload) = panicked.into_inner().ok().flatten() {
        std::panic::resume_unwind(payload);
    }
    slots
        .into_iter()
        .map(|m| m.into_inner().ok().flatten())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn par_map_keeps_order_and_stops_on_cancel() {
        let items: Vec<u64> = (0..1000).collect();
        let out = par_map(&items, 4, &CancelToken::new(), |x| x * 2, None);
        assert_eq!(out.len(), 1000);
        assert!(
            out.iter()
                .enumerate()
                .all(|(i, r)| *r == Some(2 * i as u64))
        );

        let cancel = CancelToken::new();
        let seen = AtomicUsize::new(0);
        let out = par_map(
            &items,
            2,
            &cancel,
            |x| {
                if seen.fetch_add(1, Ordering::SeqCst) == 10 {
                    cancel.cancel();
                }
                *x
            },
            None,
        );
        let ran = out.iter().filter(|r| r.is_some()).count();
        assert!((11..1000).contains(&ran), "{ran}");
    }

    #[test]
    fn par_map_watches_and_raises_a_panic_after_the_other_items() {
        let items: Vec<u32> = (0..50).collect();
        let mut calls = 0;
        let mut last = 0;
        let mut watch = |started: usize| {
            calls += 1;
            last = started;
        };
        let out = par_map(
            &items,
            3,
            &CancelToken::new(),
            |x| {
                std::thread::sleep(Duration::from_millis(1));
                *x
            },
            Some((Duration::from_millis(2), &mut watch)),
        );
        assert!(out.iter().all(Option::is_some));
        let ran = AtomicUsize::new(0);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            par_map(
                &items,
                3,
                &CancelToken::new(),
                |x| {
                    assert!(*x != 7, "a bug in one item");
                    ran.fetch_add(1, Ordering::SeqCst);
                },
                None,
            )
        }));
        assert!(caught.is_err(), "the panic reaches the caller");
        assert_eq!(ran.load(Ordering::SeqCst), 49, "the other items still ran");
        assert!(calls >= 1 && last == 50, "{calls} {last}");
        assert_eq!(threads(3, 8), 3);
        assert!((1..=8).contains(&threads(0, 8)));
    }
}
