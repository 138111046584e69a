//! Capture reader (pcap, pcapng, NetMon; plain, gzip, zstd).
//! The harness is `sipsleuth_fuzz::capture::run` (shared with tests/fuzz_regressions.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sipsleuth_fuzz::capture::run(data));
