//! What the screens say about content that does not match its archive's
//! seal ([`crate::archive::checked`]): the red banner's title, the badge an
//! altered file and its events carry, the list of altered files each
//! screen's banner names. One wording for every screen.

use crate::archive::checked::Integrity;
use crate::logs::LogStore;

pub use crate::archive::checked::MISMATCH_TEXT;

/// The badge on an altered file (and on the events read from it).
pub const BADGE: &str = "ALTERED";

/// The marker in a table row of an event read from an altered file.
pub const ROW_MARK: &str = "[altered]";

/// The red banner over what a screen read: `files` altered files, `what`
/// the screen shows of them (events, lines).
pub fn banner_title(files: usize, what: &str) -> String {
    format!(
        "{files} source file(s) do not match the sealed manifest: the {what} below from them may be altered"
    )
}

/// The case list's mark on an archive whose file no longer hashes to its
/// `sealed` custody event.
pub const NOT_SEALED_MARK: &str = "not the sealed file";

/// The top bar's mark when the current screen uses an archive marked red.
pub const TOP_BAR_MARK: &str = "evidence failed its integrity check";

/// The banner over a screen that uses archives marked red: their last
/// verification failed, or their file is not the one sealed.
pub fn archive_banner_title(archives: usize) -> String {
    format!(
        "{archives} archive(s) used here failed their integrity check: what this screen shows from them may be altered (run Verify, compare with the custody log)"
    )
}

/// The line a badge sits on: where the file is, and what differs.
pub fn file_line(location: &str, why: &str) -> String {
    format!("{location}: {MISMATCH_TEXT} ({why})")
}

/// The log files of a store whose bytes are not the sealed ones, as
/// (`archive:path`, what differs).
pub fn altered_logs(store: &LogStore) -> Vec<(String, String)> {
    store
        .altered_sources()
        .map(|s| {
            let loc = match &s.archive {
                Some(a) => format!("{}:{}", a.display(), s.path),
                None => s.path.clone(),
            };
            let why = match &s.integrity {
                Some(Integrity::Mismatch(w)) => w.clone(),
                _ => String::new(),
            };
            (loc, why)
        })
        .collect()
}

/// The files whose findings rest on content that is not the sealed content
/// ([`crate::detect::files::mark_altered`]), as (`snapshot:path`, what
/// differs), once each.
pub fn altered_findings(findings: &[crate::detect::files::Finding]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = findings
        .iter()
        .filter_map(|f| {
            let why = f.subject.altered.as_ref()?;
            Some((
                format!("{}:{}", f.subject.snapshot, f.subject.path),
                why.clone(),
            ))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_counts_the_files_and_names_what_may_be_altered() {
        assert_eq!(
            banner_title(2, "events"),
            "2 source file(s) do not match the sealed manifest: the events below from them may be altered"
        );
        assert_eq!(
            file_line("a.zip:/var/log/auth.log", "SHA-256 x"),
            "a.zip:/var/log/auth.log: content does not match the sealed manifest (SHA-256 x)"
        );
    }
}
