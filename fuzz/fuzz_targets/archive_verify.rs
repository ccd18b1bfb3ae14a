//! Fuzz target: the ZIP reader and the whole verifier. The body is
//! [`exhibit_fuzz::archive_verify`], shared with the replay test in
//! `tests/fuzz_parsers.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| exhibit_fuzz::archive_verify(data));
