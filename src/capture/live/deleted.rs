//! Open-but-deleted files: files a process still holds open (or maps into
//! memory) after they were unlinked — dropped tools, wiped logs, fileless
//! payloads (`memfd:`). Their content is still readable through
//! `/proc/<pid>/fd/<n>` while the process lives.

use super::now;
use super::processes::{OpenDeleted, Scan};
use serde::{Deserialize, Serialize};

/// `live/deleted_files.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeletedDoc {
    pub collected_at: String,
    pub files: Vec<OpenDeleted>,
}

/// The deleted files the process scan found, sorted by pid then path.
pub fn from_scan(scan: &Scan) -> DeletedDoc {
    let mut files = scan.deleted.clone();
    files.sort_by(|a, b| (a.pid, &a.path, a.fd).cmp(&(b.pid, &b.path, b.fd)));
    DeletedDoc {
        collected_at: now(),
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::io::Write;

    #[test]
    fn finds_a_file_this_process_deleted() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("dropped-tool");
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(b"payload").unwrap();
        std::fs::remove_file(&p).unwrap();
        let scan = super::super::processes::collect(std::path::Path::new("/proc"), &HashMap::new());
        let doc = from_scan(&scan);
        let me = std::process::id() as i32;
        assert!(
            doc.files.iter().any(|x| x.pid == me
                && x.path.ends_with("dropped-tool")
                && x.size_bytes == Some(7)),
            "{:?}",
            doc.files.iter().filter(|x| x.pid == me).collect::<Vec<_>>()
        );
        drop(f);
    }
}
