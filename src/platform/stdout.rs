//! Standard output read by a program that may stop reading
//! (`exhibit show ... | head`): end quietly, as other command-line tools
//! do, instead of panicking in `println!`.
//!
//! On Unix the default `SIGPIPE` action is restored, so the process ends
//! as `head`'s other writers do. Windows has no such signal: writing to a
//! closed pipe fails, and `println!` panics with "failed printing to
//! stdout"; that one panic ends the process with status 0 and nothing on
//! stderr. Every other panic goes to the default hook.

/// Whether a write failed because the reader went away: `EPIPE`, or on
/// Windows `ERROR_NO_DATA` (232, "the pipe is being closed") and
/// `ERROR_PIPE_NOT_CONNECTED` (233).
pub fn is_closed_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
        || (cfg!(windows) && matches!(e.raw_os_error(), Some(232 | 233)))
}

/// Call once, first thing in `main`.
pub fn end_quietly_when_closed() {
    #[cfg(unix)]
    sigpipe::reset();
    #[cfg(not(unix))]
    {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("");
            if msg.starts_with("failed printing to stdout") {
                std::process::exit(0);
            }
            default(info);
        }));
    }
}
