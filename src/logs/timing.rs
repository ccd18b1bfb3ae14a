//! Phase timings for maintainers: with `EXHIBIT_TIMINGS=1` in the
//! environment, the log pipeline writes how long each phase took (reading
//! and parsing, merging, indexing, each detection) to standard error. Off by
//! default; it costs one environment lookup per run.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("EXHIBIT_TIMINGS").is_some_and(|v| v != "0"))
}

/// A running phase; reports its duration when finished or dropped.
pub struct Phase {
    name: &'static str,
    start: Option<Instant>,
}

impl Phase {
    /// Start timing `name` (does nothing unless timings are on).
    pub fn start(name: &'static str) -> Self {
        Self {
            name,
            start: enabled().then(Instant::now),
        }
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some(s) = self.start {
            eprintln!(
                "[timing] {:<28} {:>9.1} ms",
                self.name,
                s.elapsed().as_secs_f64() * 1e3
            );
        }
    }
}
