//! Inputs that crashed, hung or broke an invariant in a fuzz target (or were
//! found while making the decoding modules panic-free), kept as regression
//! tests. Each file in `tests/data/fuzz-regressions/` is named
//! `TARGET-what-went-wrong.bin` and runs through the same harness the fuzzer
//! ran (`fuzz/src/lib.rs`, included here), so a test fails exactly when the
//! fuzz target would. One test per bug, named after it; one more runs every
//! kept file, so a new crasher needs only its file to be checked.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod sipsleuth_fuzz;

use std::path::{Path, PathBuf};
use std::time::Duration;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz-regressions")
}

/// The harness of the target a kept file is for (the part of its name before the first '-').
fn harness(name: &str) -> fn(&[u8]) {
    match name.split('-').next().unwrap_or_default() {
        "capture" => sipsleuth_fuzz::capture::run,
        "decode" => sipsleuth_fuzz::decode::run,
        "ipfrag" => sipsleuth_fuzz::ipfrag::run,
        "tcp" => sipsleuth_fuzz::tcp::run,
        "sip" => sipsleuth_fuzz::sip::run,
        "pipeline" => sipsleuth_fuzz::pipeline::run,
        other => panic!("{name}: no fuzz target named {other:?}"),
    }
}

/// Runs a kept input through its target; a hang fails the test instead of hanging it.
fn replay(name: &str) {
    let data = std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let run = harness(name);
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        run(&data);
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(()) => worker.join().expect("the harness returned"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            // The harness panicked: re-raise its message.
            if let Err(p) = worker.join() {
                std::panic::resume_unwind(p);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: still running after 60 s (a hang)")
        }
    }
}

/// A WebSocket frame whose 64-bit length is over the 16 MiB message bound but
/// whose first bytes read "SIP/2.0 ": `looks_like_sip_frame` switched the stream
/// to WebSocket framing, `next_frame` refused the frame, the stream fell back to
/// SIP framing, and round again, forever.
#[test]
fn tcp_websocket_frame_over_the_limit_that_looks_like_sip_no_longer_loops() {
    replay("tcp-websocket-over-limit-loop.bin");
}

/// A WebSocket frame with a 64-bit length near u64::MAX: `hlen + len` overflowed
/// in `looks_like_sip_frame` (a panic with overflow checks, an out-of-range
/// slice without them).
#[test]
fn tcp_websocket_length_near_u64_max_no_longer_overflows() {
    replay("tcp-websocket-length-overflow.bin");
}

/// Issue #15 §4: an answered call without BYE, then a frame whose pcapng
/// timestamp saturates to the largest capture time. The call sweep pushed the
/// open call back to "now + 64 s", which saturated to now, and looked at it
/// again, forever (100 % CPU). Made by scripts/testdata/make-max-timestamp.py.
#[test]
fn pipeline_answered_call_then_a_frame_at_the_end_of_time_finishes() {
    replay("pipeline-answered-call-then-max-timestamp.bin");
}

#[test]
fn every_kept_input_passes_its_target() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("tests/data/fuzz-regressions exists")
        .map(|e| {
            e.expect("readable")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".bin"))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for n in names {
        replay(&n);
    }
}
