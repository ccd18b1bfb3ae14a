//! Fuzz target: the archive snapshot reader and the diff against a fixed
//! archive. The body is [`exhibit_fuzz::snapshot`], shared with the replay test
//! in `tests/fuzz_parsers.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| exhibit_fuzz::snapshot(data));
