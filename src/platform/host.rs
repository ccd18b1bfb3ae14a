//! The name and kernel of the machine Exhibit runs on.

/// The machine's host name.
#[cfg(unix)]
pub fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// The machine's host name (`COMPUTERNAME`).
#[cfg(not(unix))]
pub fn hostname() -> String {
    std::env::var("COMPUTERNAME").unwrap_or_else(|_| "unknown".to_string())
}

/// The running kernel: `uname -srv`.
#[cfg(unix)]
pub fn kernel() -> Option<String> {
    let u = rustix::system::uname();
    Some(format!(
        "{} {} {}",
        u.sysname().to_string_lossy(),
        u.release().to_string_lossy(),
        u.version().to_string_lossy()
    ))
}

/// The running system's family; Windows gives no kernel string through
/// the standard library.
#[cfg(not(unix))]
pub fn kernel() -> Option<String> {
    Some(std::env::consts::OS.to_string())
}
