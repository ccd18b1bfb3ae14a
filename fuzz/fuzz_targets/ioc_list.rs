//! Fuzz target: an indicator list (`--ioc FILE`) through its reader and
//! index. The body is [`exhibit_fuzz::ioc_list`], shared with the replay
//! test in `tests/fuzz_parsers.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| exhibit_fuzz::ioc_list(data));
