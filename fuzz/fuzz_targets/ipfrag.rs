//! IP defragmenter over a sequence of fragments.
//! The harness is `sipsleuth_fuzz::ipfrag::run` (shared with tests/fuzz_regressions.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sipsleuth_fuzz::ipfrag::run(data));
