//! Fuzz target: the allowed_signers parser (checking a fixed signed log). The
//! body is [`exhibit_fuzz::allowed_signers`], shared with the replay test in
//! `tests/fuzz_parsers.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| exhibit_fuzz::allowed_signers(data));
