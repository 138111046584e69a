//! The output does not depend on the number of threads: decoding is split into
//! parallel batches inside one file and across files, and the result must be
//! byte-for-byte the same with 1 thread or 4.

mod common;
use common::*;

/// A capture of 20 000+ frames (several batches) built from real records of the
/// test captures — UDP, TCP, fragments, WebSocket — repeated with shifted times.
/// The capture's path, and the directory that holds it (removed when dropped).
fn big_mixed_capture() -> (std::path::PathBuf, ScratchDir) {
    let d = scratch_dir("determinism");
    let mut out = Vec::new();
    let mut header = None;
    let sources = [
        "udp-register-call.pcap",
        "tcp-calls.pcap",
        "ipv4-fragments-disorder.pcap",
        "websocket.pcap",
        "tcp-multi-per-segment.pcap",
    ];
    let records: Vec<Vec<Vec<u8>>> = sources
        .iter()
        .map(|f| {
            let b = std::fs::read(testdata(f)).unwrap();
            header.get_or_insert_with(|| b[..24].to_vec());
            let mut recs = Vec::new();
            let mut off = 24;
            while off + 16 <= b.len() {
                let caplen = u32::from_le_bytes(b[off + 8..off + 12].try_into().unwrap()) as usize;
                recs.push(b[off..off + 16 + caplen].to_vec());
                off += 16 + caplen;
            }
            recs
        })
        .collect();
    out.extend(header.unwrap());
    for round in 0u32..80 {
        for recs in &records {
            for r in recs {
                let mut r = r.clone();
                let sec = u32::from_le_bytes(r[0..4].try_into().unwrap()) + round * 60;
                r[0..4].copy_from_slice(&sec.to_le_bytes());
                out.extend(r);
            }
        }
    }
    let p = d.join("mixed.pcap");
    std::fs::write(&p, out).unwrap();
    (p, d)
}

#[test]
fn output_is_identical_with_one_thread_or_four() {
    let (p, _dir) = big_mixed_capture();
    let p2 = testdata("udp-register-call.pcap.gz");
    let listing = |threads: &str| {
        run(&[
            "--threads",
            threads,
            "messages",
            "--csv",
            p.to_str().unwrap(),
            p2.to_str().unwrap(),
        ])
    };
    let summary = |threads: &str| {
        run(&[
            "--threads",
            threads,
            "analyze",
            "--json",
            p.to_str().unwrap(),
            p2.to_str().unwrap(),
        ])
    };
    let (a, b) = (listing("1"), listing("4"));
    assert!(a.status.success() && b.status.success());
    assert!(a.stdout.len() > 1_000_000, "a real workload");
    assert!(
        a.stdout == b.stdout,
        "messages differ between 1 and 4 threads"
    );
    let (a, b) = (summary("1"), summary("4"));
    assert_eq!(
        String::from_utf8_lossy(&a.stdout),
        String::from_utf8_lossy(&b.stdout)
    );
    let j: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert!(j["frames"]["total"].as_u64().unwrap() > 20_000);
    assert_frames_accounted(&j);
}
