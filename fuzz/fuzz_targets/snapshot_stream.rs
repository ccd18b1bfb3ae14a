//! Fuzz target: the diff and the scan reading archives as streams, against
//! the same commands holding them whole. The body is
//! [`exhibit_fuzz::snapshot_stream`], shared with the replay test in
//! `tests/fuzz_parsers.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| exhibit_fuzz::snapshot_stream(data));
