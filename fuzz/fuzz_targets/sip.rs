//! SIP scanner, message accessors and the SIP model.
//! The harness is `sipsleuth_fuzz::sip::run` (shared with tests/fuzz_regressions.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sipsleuth_fuzz::sip::run(data));
