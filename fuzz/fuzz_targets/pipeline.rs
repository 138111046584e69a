//! The whole pipeline on a capture, reports included.
//! The harness is `sipsleuth_fuzz::pipeline::run` (shared with tests/fuzz_regressions.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sipsleuth_fuzz::pipeline::run(data));
