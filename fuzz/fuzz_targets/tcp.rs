//! TCP reassembler over a sequence of segments.
//! The harness is `sipsleuth_fuzz::tcp::run` (shared with tests/fuzz_regressions.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sipsleuth_fuzz::tcp::run(data));
