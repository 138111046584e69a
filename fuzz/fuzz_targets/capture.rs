//! Capture reader: pcap, pcapng and NetMon bytes (plain, gzip or zstd) through
//! `read_capture_bytes`, the entry point `InputSpec::Bytes` and the tests use.
//! Every frame handed out must point inside the input, and the walk must end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sipsleuth::capture::read_capture_bytes;

fuzz_target!(|data: &[u8]| {
    let mut frames = 0u64;
    let mut bytes = 0usize;
    let r = read_capture_bytes("fuzz", data, &mut |batch| {
        for f in batch {
            frames += 1;
            // Touch every byte: a frame pointing outside the input shows up under ASan.
            bytes += f.data.iter().map(|b| usize::from(*b & 1)).sum::<usize>();
            assert_eq!(f.number, frames, "frames are numbered 1, 2, 3… in order");
        }
    });
    if let Ok(info) = r {
        assert_eq!(
            info.frames, frames,
            "CaptureInfo counts the frames delivered"
        );
        let _ = info.problem.map(|p| p.to_string());
    }
    std::hint::black_box(bytes);
});
