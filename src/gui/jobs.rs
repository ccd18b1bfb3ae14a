//! Background jobs for the workstation: every piece of file I/O, hashing,
//! capture, verification and archive loading runs on its own thread and
//! reports over a channel, so no frame ever waits on the disk.
//!
//! A [`Job`] owns the receiving end. The worker gets a [`ProgressSink`] that
//! forwards (throttled) progress snapshots and wakes the UI with
//! `request_repaint`; the UI drains the channel once per frame with
//! [`Job::poll`]. Cancelling sets the core's [`CancelToken`]; the worker
//! notices it between files and chunks and ends with an error saying so.

use crate::job::{CancelToken, Progress, ProgressSink};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

/// Minimum time between two progress messages (the last one always goes).
const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);
/// Window over which the transfer rate is averaged.
const RATE_WINDOW: Duration = Duration::from_secs(3);

enum JobEvent<T> {
    Progress(Progress),
    Done(Result<T, String>),
}

/// A running (or finished) background job producing a `T`.
pub struct Job<T> {
    /// What the job does, for display ("Capturing", "Verifying").
    pub title: String,
    rx: Receiver<JobEvent<T>>,
    cancel: CancelToken,
    /// The latest progress snapshot.
    pub progress: Progress,
    started: Instant,
    samples: VecDeque<(Instant, u64)>,
    finished: bool,
}

/// The sender with the time and phase of the last message sent.
type Throttled<T> = (Sender<JobEvent<T>>, Option<Instant>, &'static str);

/// Forwards progress from the worker thread to the UI, throttled.
struct ChannelSink<T> {
    tx: Mutex<Throttled<T>>,
    ctx: egui::Context,
}

impl<T: Send> ProgressSink for ChannelSink<T> {
    fn update(&self, progress: &Progress) {
        let Ok(mut guard) = self.tx.lock() else {
            return;
        };
        let now = Instant::now();
        let due = match guard.1 {
            None => true,
            Some(last) => now.duration_since(last) >= PROGRESS_INTERVAL,
        };
        if due || guard.2 != progress.phase {
            guard.1 = Some(now);
            guard.2 = progress.phase;
            let _ = guard.0.send(JobEvent::Progress(progress.clone()));
            self.ctx.request_repaint();
        }
    }
}

impl<T: Send + 'static> Job<T> {
    /// Start `work` on a new thread. Its error (or a panic, which the core
    /// should never have) becomes the job's readable error message.
    pub fn spawn(
        ctx: &egui::Context,
        title: impl Into<String>,
        work: impl FnOnce(&dyn ProgressSink, &CancelToken) -> anyhow::Result<T> + Send + 'static,
    ) -> Self {
        let (tx, rx) = mpsc::channel();
        let cancel = CancelToken::new();
        let worker_cancel = cancel.clone();
        let ctx2 = ctx.clone();
        let title = title.into();
        let thread_name = format!("exhibit-{}", title.to_lowercase().replace(' ', "-"));
        let done_tx = tx.clone();
        let spawned = std::thread::Builder::new()
            .name(thread_name)
            .spawn(move || {
                let sink = ChannelSink {
                    tx: Mutex::new((tx, None, "")),
                    ctx: ctx2.clone(),
                };
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    work(&sink, &worker_cancel)
                }));
                let result = match outcome {
                    Ok(Ok(v)) => Ok(v),
                    Ok(Err(e)) => Err(format!("{e:#}")),
                    Err(p) => Err(format!(
                        "internal error (please report it): {}",
                        p.downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| p.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "the job stopped unexpectedly".into())
                    )),
                };
                let _ = done_tx.send(JobEvent::Done(result));
                ctx2.request_repaint();
            });
        let mut job = Self {
            title,
            rx,
            cancel,
            progress: Progress::default(),
            started: Instant::now(),
            samples: VecDeque::new(),
            finished: false,
        };
        if let Err(e) = spawned {
            // No thread: report it as the job's result on the next poll.
            let (tx, rx) = mpsc::channel();
            let _ = tx.send(JobEvent::Done(Err(format!(
                "cannot start a background thread: {e}"
            ))));
            job.rx = rx;
        }
        job
    }

    /// Drain the channel. Returns the job's result once, when it has finished.
    pub fn poll(&mut self) -> Option<Result<T, String>> {
        if self.finished {
            return None;
        }
        loop {
            match self.rx.try_recv() {
                Ok(JobEvent::Progress(p)) => {
                    let now = Instant::now();
                    self.samples.push_back((now, p.bytes_done));
                    while self
                        .samples
                        .front()
                        .is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW)
                        && self.samples.len() > 2
                    {
                        self.samples.pop_front();
                    }
                    self.progress = p;
                }
                Ok(JobEvent::Done(r)) => {
                    self.finished = true;
                    return Some(r);
                }
                Err(TryRecvError::Empty) => return None,
                Err(TryRecvError::Disconnected) => {
                    self.finished = true;
                    return Some(Err("the background job ended without a result".into()));
                }
            }
        }
    }
}

impl<T> Job<T> {
    /// Ask the worker to stop at its next file or chunk boundary.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// True once cancellation was requested.
    pub fn is_cancelling(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// True once the result was delivered by [`Job::poll`].
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Time since the job started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Recent throughput in bytes per second, when there is enough data.
    pub fn bytes_per_sec(&self) -> Option<f64> {
        let (t0, b0) = self.samples.front()?;
        let (t1, b1) = self.samples.back()?;
        let dt = t1.duration_since(*t0).as_secs_f64();
        if dt < 0.2 || b1 < b0 {
            let total = self.started.elapsed().as_secs_f64();
            return (total > 0.5).then(|| self.progress.bytes_done as f64 / total);
        }
        Some((b1 - b0) as f64 / dt)
    }

    /// Estimated time left from the byte total and the recent rate.
    pub fn eta(&self) -> Option<Duration> {
        let total = self.progress.bytes_total?;
        let rate = self.bytes_per_sec()?;
        if rate <= 1.0 {
            return None;
        }
        let left = total.saturating_sub(self.progress.bytes_done) as f64;
        Some(Duration::from_secs_f64(left / rate))
    }

    /// Fraction done in 0..=1, by bytes when known, else by files.
    pub fn fraction(&self) -> Option<f32> {
        let p = &self.progress;
        match (p.bytes_total, p.files_total) {
            (Some(t), _) if t > 0 => Some((p.bytes_done as f64 / t as f64).min(1.0) as f32),
            (_, Some(t)) if t > 0 => Some((p.files_done as f64 / t as f64).min(1.0) as f32),
            _ => None,
        }
    }
}

/// Run a native file dialog off the UI thread (the XDG portal call blocks).
/// Under a session without a portal the dialog returns `None` at once; every
/// caller also accepts a typed or dropped path.
pub struct Picker {
    rx: Option<Receiver<(Option<std::path::PathBuf>, bool)>>,
    /// The last dialog could not be shown (see [`Picker::take_unavailable`]).
    unavailable: bool,
}

/// A dialog that closes with no choice faster than this was never shown:
/// rfd returns `None` at once when there is no XDG desktop portal, and
/// nobody opens, reads and cancels a file dialog in under a second.
pub const NO_DIALOG_WITHIN: Duration = Duration::from_millis(1000);

/// What to tell the examiner when no file dialog can be shown.
pub const NO_DIALOG_MESSAGE: &str = "no file dialog is available on this system: type the path";

/// Poll the job in `slot`: its result, once, emptying the slot when it
/// has finished (the pattern every view's `logic` uses).
pub fn poll_slot<T: Send + 'static>(slot: &mut Option<Job<T>>) -> Option<Result<T, String>> {
    let r = slot.as_mut()?.poll()?;
    *slot = None;
    Some(r)
}

/// What a [`Picker`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickKind {
    Folder,
    File,
    Archive,
    SaveHtml,
    /// Where to save a CSV file.
    SaveCsv,
}

impl Default for Picker {
    fn default() -> Self {
        Self::new()
    }
}

impl Picker {
    pub fn new() -> Self {
        Self {
            rx: None,
            unavailable: false,
        }
    }

    /// True once after a dialog closed at once without a choice: the
    /// system has no file dialog (no XDG portal); the caller says so and
    /// puts the focus in its typed path field.
    pub fn take_unavailable(&mut self) -> bool {
        std::mem::take(&mut self.unavailable)
    }

    /// True while a dialog is open.
    pub fn is_open(&self) -> bool {
        self.rx.is_some()
    }

    /// Open a dialog of this kind (ignored while one is already open).
    pub fn open(&mut self, ctx: &egui::Context, kind: PickKind, title: &str) {
        if self.rx.is_some() {
            return;
        }
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        let title = title.to_string();
        let spawned = std::thread::Builder::new()
            .name("exhibit-file-dialog".into())
            .spawn(move || {
                let opened = std::time::Instant::now();
                let d = rfd::FileDialog::new().set_title(&title);
                let picked = match kind {
                    PickKind::Folder => d.pick_folder(),
                    PickKind::File => d.pick_file(),
                    PickKind::Archive => d
                        .add_filter("Exhibit evidence archive", &["zip", "age"])
                        .pick_file(),
                    PickKind::SaveHtml => d.add_filter("HTML", &["html"]).save_file(),
                    PickKind::SaveCsv => d.add_filter("CSV", &["csv"]).save_file(),
                };
                let never_shown = picked.is_none() && opened.elapsed() < NO_DIALOG_WITHIN;
                let _ = tx.send((picked, never_shown));
                ctx.request_repaint();
            });
        if spawned.is_ok() {
            self.rx = Some(rx);
        }
    }

    /// The picked path, once, when the dialog has closed with a choice.
    pub fn poll(&mut self) -> Option<std::path::PathBuf> {
        let rx = self.rx.as_ref()?;
        match rx.try_recv() {
            Ok((p, never_shown)) => {
                self.rx = None;
                self.unavailable = never_shown;
                p
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.rx = None;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait<T: Send + 'static>(job: &mut Job<T>) -> Result<T, String> {
        for _ in 0..500 {
            if let Some(r) = job.poll() {
                return r;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err("timeout".into())
    }

    #[test]
    fn result_and_progress_arrive() {
        let ctx = egui::Context::default();
        let mut job = Job::spawn(&ctx, "count", |sink, _| {
            sink.update(&Progress {
                phase: "x",
                bytes_done: 7,
                ..Progress::default()
            });
            Ok(42)
        });
        assert_eq!(wait(&mut job), Ok(42));
        assert_eq!(job.progress.bytes_done, 7);
        assert!(job.is_finished());
        assert!(job.poll().is_none(), "the result is delivered once");
    }

    #[test]
    fn errors_and_panics_become_messages() {
        let ctx = egui::Context::default();
        let mut job: Job<()> = Job::spawn(&ctx, "fail", |_, _| anyhow::bail!("disk on fire"));
        assert_eq!(wait(&mut job), Err("disk on fire".to_string()));
        let mut job: Job<()> = Job::spawn(&ctx, "panic", |_, _| panic!("boom"));
        let e = wait(&mut job).err().unwrap_or_default();
        assert!(e.contains("boom"), "{e}");
    }

    #[test]
    fn cancel_reaches_the_worker() {
        let ctx = egui::Context::default();
        let mut job: Job<u32> = Job::spawn(&ctx, "spin", |_, cancel| {
            for _ in 0..1000 {
                if cancel.is_cancelled() {
                    anyhow::bail!("cancelled");
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(1)
        });
        job.cancel();
        assert!(job.is_cancelling());
        assert_eq!(wait(&mut job), Err("cancelled".to_string()));
    }
}
