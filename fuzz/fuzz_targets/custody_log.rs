//! Fuzz target: the custody log checker (against a fixed trust store). The body
//! is [`exhibit_fuzz::custody_log`], shared with the replay test in
//! `tests/fuzz_parsers.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| exhibit_fuzz::custody_log(data));
