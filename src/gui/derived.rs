//! [`Derived`]: a value recomputed in the background from a query (a
//! filter, a sort order) — the one pattern behind the evidence table, the
//! log table and the timeline. It remembers the query its last result
//! answers and the query of the job running now; [`Derived::request`]
//! starts a job only when the wanted query is neither, cancelling a job for
//! an older query; [`Derived::poll`] hands over a finished result once. The
//! UI thread never waits: until the new result arrives the view keeps
//! showing the last one.

use crate::gui::jobs::Job;

/// A background recomputation of `R` from a query `Q`.
pub struct Derived<Q, R> {
    /// Status-bar title of the job ("Filtering events").
    title: &'static str,
    /// The query the last result answers.
    shown: Option<Q>,
    /// The job running now and the query it answers.
    running: Option<(Q, Job<R>)>,
}

impl<Q, R> Default for Derived<Q, R> {
    /// A derived value whose job is called "Filtering".
    fn default() -> Self {
        Self {
            title: "Filtering",
            shown: None,
            running: None,
        }
    }
}

impl<Q, R> Derived<Q, R>
where
    Q: Clone + PartialEq,
    R: Send + 'static,
{
    pub fn new(title: &'static str) -> Self {
        Self {
            title,
            shown: None,
            running: None,
        }
    }

    /// True when the last result, or the job running now, answers `query`.
    pub fn is_current(&self, query: &Q) -> bool {
        self.shown.as_ref() == Some(query) || self.running.as_ref().is_some_and(|(q, _)| q == query)
    }

    /// Make sure a result for `query` is on its way: unless it is current,
    /// cancel the running job and start `work` in the background. `work` is
    /// only called when a job starts.
    pub fn request<W>(&mut self, ctx: &egui::Context, query: &Q, work: impl FnOnce() -> W)
    where
        W: FnOnce() -> anyhow::Result<R> + Send + 'static,
    {
        if self.is_current(query) {
            return;
        }
        self.start(ctx, query.clone(), work());
    }

    /// Like [`Derived::request`], but compute on this thread, at once, when
    /// `small` (a few thousand rows filter in well under a frame, and the
    /// view then never shows a frame without rows); the result is returned
    /// here instead of through [`Derived::poll`].
    pub fn request_small<W>(
        &mut self,
        ctx: &egui::Context,
        query: &Q,
        small: bool,
        work: impl FnOnce() -> W,
    ) -> Option<R>
    where
        W: FnOnce() -> anyhow::Result<R> + Send + 'static,
    {
        if self.is_current(query) {
            return None;
        }
        if !small {
            self.start(ctx, query.clone(), work());
            return None;
        }
        if let Some((_, j)) = self.running.take() {
            j.cancel();
        }
        let r = work()().ok()?;
        self.shown = Some(query.clone());
        Some(r)
    }

    /// Start a job for `query` now (cancelling the running one).
    pub fn start<W>(&mut self, ctx: &egui::Context, query: Q, work: W)
    where
        W: FnOnce() -> anyhow::Result<R> + Send + 'static,
    {
        if let Some((_, j)) = &self.running {
            j.cancel();
        }
        self.running = Some((query, Job::spawn(ctx, self.title, move |_, _| work())));
    }

    /// The finished result, once: the query it answers becomes the shown
    /// one. A job that failed leaves the shown query as it was.
    pub fn poll(&mut self) -> Option<R> {
        let (_, job) = self.running.as_mut()?;
        let result = job.poll()?;
        let (query, _) = self.running.take()?;
        match result {
            Ok(r) => {
                self.shown = Some(query);
                Some(r)
            }
            Err(_) => None,
        }
    }

    /// Forget the shown query and drop the running job (its data is gone:
    /// a new archive, new logs, another time zone): the next request
    /// computes again.
    pub fn invalidate(&mut self) {
        if let Some((_, j)) = self.running.take() {
            j.cancel();
        }
        self.shown = None;
    }

    /// True while a job runs.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// The job's title while it runs, for the status bar.
    pub fn busy(&self) -> Option<String> {
        self.running.as_ref().map(|_| self.title.to_string())
    }

    /// The query the last result answers.
    pub fn shown(&self) -> Option<&Q> {
        self.shown.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait<Q: Clone + PartialEq, R: Send + 'static>(d: &mut Derived<Q, R>) -> Option<R> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Some(r) = d.poll() {
                return Some(r);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    #[test]
    fn recomputes_only_when_the_query_changes() {
        let ctx = egui::Context::default();
        let mut d: Derived<u32, u32> = Derived::new("Doubling");
        let mut started = 0;
        d.request(&ctx, &2, || {
            started += 1;
            || Ok(4)
        });
        assert!(d.is_running());
        assert_eq!(d.busy().as_deref(), Some("Doubling"));
        assert_eq!(wait(&mut d), Some(4));
        assert_eq!(d.shown(), Some(&2));
        d.request(&ctx, &2, || {
            started += 1;
            || Ok(4)
        });
        assert_eq!(started, 1, "same query: no new job");
        assert!(!d.is_running());
        d.request(&ctx, &3, || || Ok(6));
        assert_eq!(wait(&mut d), Some(6));
        d.invalidate();
        assert_eq!(d.shown(), None);
    }

    #[test]
    fn a_newer_query_replaces_the_running_job_and_errors_are_dropped() {
        let ctx = egui::Context::default();
        let mut d: Derived<u32, u32> = Derived::new("Slow");
        d.request(&ctx, &1, || {
            || {
                std::thread::sleep(Duration::from_millis(200));
                Ok(1)
            }
        });
        d.request(&ctx, &2, || || anyhow::bail!("no"));
        assert!(d.is_current(&2) && !d.is_current(&1));
        let start = Instant::now();
        while d.is_running() && start.elapsed() < Duration::from_secs(10) {
            assert_eq!(d.poll(), None);
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(!d.is_running());
        assert_eq!(d.shown(), None, "a failed job shows nothing new");
    }

    #[test]
    fn small_queries_are_answered_at_once_and_large_ones_in_the_background() {
        let ctx = egui::Context::default();
        let mut d: Derived<u32, u32> = Derived::default();
        assert_eq!(d.request_small(&ctx, &1, true, || || Ok(10)), Some(10));
        assert!(!d.is_running());
        assert_eq!(d.shown(), Some(&1));
        assert_eq!(
            d.request_small(&ctx, &1, true, || || Ok(11)),
            None,
            "current"
        );
        assert_eq!(d.request_small(&ctx, &2, false, || || Ok(20)), None);
        assert!(d.is_running());
        assert_eq!(wait(&mut d), Some(20));
        assert_eq!(d.shown(), Some(&2));
    }
}
