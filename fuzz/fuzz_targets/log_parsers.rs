//! Fuzz target: every log format through the real loader. The body is
//! [`exhibit_fuzz::log_parsers`], shared with the replay test in
//! `tests/fuzz_parsers.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| exhibit_fuzz::log_parsers(data));
