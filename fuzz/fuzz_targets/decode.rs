//! Packet decoder, one frame at a time.
//! The harness is `sipsleuth_fuzz::decode::run` (shared with tests/fuzz_regressions.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sipsleuth_fuzz::decode::run(data));
