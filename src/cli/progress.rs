//! Renders core progress snapshots as a progress bar on stderr.

use exhibit::job::{Progress, ProgressSink};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Bar {
    bar: ProgressBar,
    last: Mutex<(Instant, &'static str)>,
}

impl Bar {
    /// A bar on stderr; hidden when `quiet` or stderr is not a terminal.
    pub fn new(quiet: bool) -> Self {
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr_with_hz(8)
        };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.enable_steady_tick(Duration::from_millis(250));
        Self {
            bar,
            last: Mutex::new((Instant::now(), "")),
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn short(path: &str) -> String {
    let n = path.chars().count();
    if n <= 48 {
        path.to_string()
    } else {
        let tail: String = path.chars().skip(n - 47).collect();
        format!("…{tail}")
    }
}

impl ProgressSink for Bar {
    fn update(&self, p: &Progress) {
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if last.1 != p.phase {
            last.1 = p.phase;
            let style = match p.bytes_total {
                Some(_) => ProgressStyle::with_template(
                    "{prefix:>10} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
                ),
                None => ProgressStyle::with_template("{prefix:>10} {spinner} {pos} entries {msg}"),
            };
            if let Ok(s) = style {
                self.bar.set_style(s.progress_chars("=> "));
            }
            self.bar.set_prefix(p.phase);
        }
        if last.0.elapsed() < Duration::from_millis(50)
            && p.bytes_total.is_some_and(|t| p.bytes_done < t)
        {
            return;
        }
        last.0 = Instant::now();
        match p.bytes_total {
            Some(t) => {
                self.bar.set_length(t);
                self.bar.set_position(p.bytes_done);
            }
            None => self.bar.set_position(p.files_done),
        }
        let files = match p.files_total {
            Some(t) => format!("{}/{} files", p.files_done, t),
            None => String::new(),
        };
        let warn = if p.warnings > 0 {
            format!(" {} warnings", p.warnings)
        } else {
            String::new()
        };
        self.bar.set_message(format!(
            "{files}{warn} {}",
            exhibit::report::text::inert(&short(&p.current))
        ));
    }
}

/// A cancel token that Ctrl+C sets: the running core job stops between
/// files and the command ends with "cancelled", leaving nothing that
/// passes for complete.
pub fn cancel_on_ctrl_c() -> exhibit::job::CancelToken {
    let cancel = exhibit::job::CancelToken::new();
    let on_signal = cancel.clone();
    let _ = ctrlc::set_handler(move || on_signal.cancel());
    cancel
}
