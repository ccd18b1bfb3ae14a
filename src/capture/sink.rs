//! The writer thread: the only owner of the archive file.
//!
//! Workers hand it finished entries (small files, compressed in memory) or
//! streams of chunks (large files) over one FIFO channel; it lays them out in
//! arrival order. Memory is bounded by a byte budget: a worker waits before
//! queueing more when the budget is spent, except the worker whose stream the
//! writer is consuming right now (the "head"), which only waits for the
//! writer itself, so the pipeline cannot deadlock.

use crate::archive::encrypt::{EncryptingWriter, Hashes};
use crate::archive::seal::StoredTag;
use crate::archive::spill::Spill;
use crate::archive::zipwrite::{EntryMeta, Finished, ZipWriter};
use crossbeam_channel::{Receiver, Sender};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// One message to the writer.
pub enum ToWriter {
    Whole {
        meta: EntryMeta,
        method: u16,
        crc: u32,
        usize: u64,
        data: Vec<u8>,
    },
    Stream {
        meta: EntryMeta,
        method: u16,
        large: bool,
        is_head: Arc<AtomicBool>,
        chunks: Receiver<Chunk>,
    },
    /// A tag file too large for memory, laid out like [`ToWriter::Whole`].
    Tag { meta: EntryMeta, tag: StoredTag },
}

pub enum Chunk {
    /// Compressed data; `budgeted` when it holds budget the writer must release.
    Data {
        bytes: Vec<u8>,
        budgeted: bool,
    },
    End {
        crc: u32,
        usize: u64,
    },
}

/// A byte budget shared by producers (acquire) and the writer (release).
#[derive(Default)]
pub struct Budget {
    state: Mutex<(u64, bool)>,
    cv: Condvar,
    cap: u64,
}

impl Budget {
    pub fn new(cap: u64) -> Self {
        Self {
            state: Mutex::new((0, false)),
            cv: Condvar::new(),
            cap,
        }
    }

    /// Take `n` bytes, waiting while the budget is spent, unless `exempt`
    /// turns true. Returns false when the writer has gone away.
    pub fn acquire(&self, n: u64, exempt: Option<&AtomicBool>) -> bool {
        let Ok(mut st) = self.state.lock() else {
            return false;
        };
        loop {
            if st.1 {
                return false;
            }
            let is_exempt = exempt.is_some_and(|e| e.load(Ordering::SeqCst));
            if st.0 == 0 || st.0 + n <= self.cap || is_exempt {
                st.0 += n;
                return true;
            }
            st = match self
                .cv
                .wait_timeout(st, std::time::Duration::from_millis(50))
            {
                Ok((g, _)) => g,
                Err(_) => return false,
            };
        }
    }

    pub fn release(&self, n: u64) {
        if let Ok(mut st) = self.state.lock() {
            st.0 = st.0.saturating_sub(n);
        }
        self.cv.notify_all();
    }

    /// Wake everybody: the writer stopped.
    pub fn close(&self) {
        if let Ok(mut st) = self.state.lock() {
            st.1 = true;
        }
        self.cv.notify_all();
    }

    pub fn notify(&self) {
        self.cv.notify_all();
    }
}

/// Where the writer thread puts the archive's bytes.
pub enum ArchiveOut {
    /// The `.zip.partial` file, sealed afterwards.
    File(File),
    /// The `.zip.age.partial` file, through age encryption (`--encrypt-to`),
    /// so no plaintext byte reaches the disk.
    Age(Box<EncryptingWriter<File>>),
    /// A stream opened by the caller (the server side of a remote capture
    /// writes to its standard output): nothing goes to disk.
    Stream(Box<dyn Write + Send>),
}

impl Write for ArchiveOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            ArchiveOut::File(f) => f.write(buf),
            ArchiveOut::Age(w) => w.write(buf),
            ArchiveOut::Stream(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            ArchiveOut::File(f) => f.flush(),
            ArchiveOut::Age(w) => w.flush(),
            ArchiveOut::Stream(w) => w.flush(),
        }
    }
}

impl ArchiveOut {
    /// Finish the encryption (if any): an encrypted archive becomes its
    /// file again, with the plaintext and ciphertext hashes.
    pub fn finish(self) -> std::io::Result<(ArchiveOut, Option<Hashes>)> {
        match self {
            ArchiveOut::Age(w) => w.finish().map(|(f, h)| (ArchiveOut::File(f), Some(h))),
            other => Ok((other, None)),
        }
    }
}

/// What the writer hands back: where the archive went, the ZIP's own
/// summary (its SHA-256 is the plaintext's) and the hashes of an encrypted
/// archive.
pub type Written = (ArchiveOut, Finished, Option<Hashes>);

/// Run the writer loop until the channel closes; then finish the archive.
/// The central directory waits in `spill` until the end.
pub fn run_writer(
    file: ArchiveOut,
    rx: Receiver<ToWriter>,
    budget: Arc<Budget>,
    spill: &Spill,
) -> std::io::Result<Written> {
    let result = writer_loop(file, &rx, &budget, spill);
    budget.close();
    result
}

fn writer_loop(
    file: ArchiveOut,
    rx: &Receiver<ToWriter>,
    budget: &Budget,
    spill: &Spill,
) -> std::io::Result<Written> {
    let mut zip = ZipWriter::with_central_spill(BufWriter::with_capacity(1 << 20, file), spill)?;
    for msg in rx.iter() {
        match msg {
            ToWriter::Whole {
                meta,
                method,
                crc,
                usize,
                data,
            } => {
                let n = data.len() as u64;
                let r = zip.add_whole(meta, method, crc, usize, &data);
                budget.release(n);
                r?;
            }
            ToWriter::Tag { meta, mut tag } => {
                zip.add_whole_from(
                    meta,
                    tag.method,
                    tag.crc,
                    tag.usize,
                    tag.csize,
                    &mut tag.data,
                )?;
            }
            ToWriter::Stream {
                meta,
                method,
                large,
                is_head,
                chunks,
            } => {
                let name = meta.name.clone();
                zip.begin_stream(meta, method, large)?;
                is_head.store(true, Ordering::SeqCst);
                budget.notify();
                let mut ended = false;
                for chunk in chunks.iter() {
                    match chunk {
                        Chunk::Data { bytes, budgeted } => {
                            let r = zip.stream_data(&bytes);
                            if budgeted {
                                budget.release(bytes.len() as u64);
                            }
                            r?;
                        }
                        Chunk::End { crc, usize } => {
                            zip.end_stream(crc, usize)?;
                            ended = true;
                            break;
                        }
                    }
                }
                if !ended {
                    return Err(std::io::Error::other(format!(
                        "the reader of {name} stopped before the end of the file"
                    )));
                }
            }
        }
    }
    let (buf, finished) = zip.finish()?;
    let mut out = buf.into_inner().map_err(|e| e.into_error())?;
    out.flush()?;
    let (out, hashes) = out.finish()?;
    if let Some(h) = &hashes
        && h.plaintext_sha256 != finished.sha256
    {
        return Err(std::io::Error::other(
            "the encrypted stream's plaintext is not the archive written",
        ));
    }
    Ok((out, finished, hashes))
}

/// Sender side helpers for workers.
#[derive(Clone)]
pub struct SinkHandle {
    pub tx: Sender<ToWriter>,
    pub budget: Arc<Budget>,
}
