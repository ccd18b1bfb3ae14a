//! Fuzz target: a published sample through the leak validator's readers
//! and normalisation. The body is [`exhibit_fuzz::leak_sample`], shared with
//! the replay test in `tests/fuzz_parsers.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| exhibit_fuzz::leak_sample(data));
