//! End-to-end: damaged and hostile inputs give a clear message naming the file
//! and byte offset, results for everything read, and the documented exit code
//! (0 complete, 1 partial, 2 nothing readable).

mod common;
use common::*;
use std::path::Path;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn truncated_last_record_keeps_the_frames_before_it() {
    let d = scratch_dir("trunc");
    let mut bytes = std::fs::read(testdata("udp-register-call.pcap")).unwrap();
    let full = bytes.len();
    bytes.truncate(full - 10);
    let p = write(&d, "cut.pcap", &bytes);
    let (code, j, stderr) = analyze_json(&[&p]);
    assert_eq!(code, 1, "partial");
    assert_eq!(j["frames"]["total"], 49);
    assert_eq!(j["sip"]["messages"], 49);
    assert_eq!(j["complete"], false);
    assert!(
        stderr.contains("cut.pcap") && stderr.contains("truncated at byte"),
        "{stderr}"
    );
    let offset = j["inputs"][0]["capture"]["problem"]["offset"]
        .as_u64()
        .unwrap();
    assert!(offset > 24 && offset < full as u64);
}

#[test]
fn gzip_stream_cut_in_half() {
    let d = scratch_dir("gzcut");
    let bytes = std::fs::read(testdata("udp-register-call.pcap.gz")).unwrap();
    let p = write(&d, "half.pcap.gz", &bytes[..bytes.len() / 2]);
    let (code, j, stderr) = analyze_json(&[&p]);
    assert_eq!(code, 1);
    assert!(
        j["frames"]["total"].as_u64().unwrap() > 0,
        "frames before the cut are kept"
    );
    assert!(stderr.contains("half.pcap.gz"), "{stderr}");
    assert_frames_accounted(&j);
}

#[test]
fn pcapng_block_length_that_lies() {
    let d = scratch_dir("pcapng-lie");
    let mut bytes = std::fs::read(testdata("udp-register-call.pcapng")).unwrap();
    // Walk the blocks to the 10th packet block and corrupt its trailing length.
    let (mut off, mut packets) = (0usize, 0);
    loop {
        let t = u32::from_le_bytes(bytes[off..off + 4].try_into().unwrap());
        let len = u32::from_le_bytes(bytes[off + 4..off + 8].try_into().unwrap()) as usize;
        if t == 6 {
            packets += 1;
            if packets == 10 {
                bytes[off + len - 4..off + len].copy_from_slice(&7u32.to_le_bytes());
                break;
            }
        }
        off += len;
    }
    let p = write(&d, "lie.pcapng", &bytes);
    let (code, j, stderr) = analyze_json(&[&p]);
    assert_eq!(code, 1);
    assert_eq!(j["frames"]["total"], 9);
    assert!(
        stderr.contains(&format!("corrupt at byte {off}")),
        "{stderr}"
    );
}

#[test]
fn garbage_and_empty_files_are_unreadable() {
    let d = scratch_dir("garbage");
    let g = write(
        &d,
        "garbage.pcap",
        b"this is not a capture at all, just text",
    );
    let e = write(&d, "empty.pcap", b"");
    for p in [&g, &e] {
        let o = bin().arg("analyze").arg(p).output().unwrap();
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(p.file_name().unwrap().to_str().unwrap()),
            "{err}"
        );
    }
}

#[test]
fn a_bad_file_beside_good_ones_is_partial() {
    let d = scratch_dir("mixed");
    let good = d.join("a.pcap");
    std::fs::copy(testdata("udp-register-call.pcap"), &good).unwrap();
    let bad = write(&d, "b.pcap", &[0xd4, 0xc3, 0xb2, 0xa1, 1, 2]);
    let (code, j, stderr) = analyze_json(&[&good, &bad]);
    assert_eq!(code, 1);
    assert_eq!(j["sip"]["messages"], 50);
    assert!(stderr.contains("b.pcap"), "{stderr}");
}

#[test]
fn non_captures_in_a_walked_directory_are_skipped_quietly() {
    let d = scratch_dir("walk");
    std::fs::copy(testdata("udp-register-call.pcap"), d.join("a.pcap")).unwrap();
    write(&d, "notes.txt", b"operator notes");
    let (code, j, stderr) = analyze_json(&[&d]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(j["inputs"][1]["skipped"], true);
    assert!(stderr.contains("notes.txt"));
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let o = run(&["analyze", "/no/such/file.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/no/such/file.pcap"));
}

#[test]
fn content_length_beyond_the_data_over_tcp_does_not_stall_the_stream() {
    // A real TCP capture whose first Content-Length is raised to all nines (same width, so the
    // packet stays valid): that message swallows what follows as its body, but the stream
    // recovers and the rest of the capture is still read. (2^31 is a unit test in sip::scan.)
    let d = scratch_dir("cl");
    let mut bytes = std::fs::read(testdata("tcp-calls.pcap")).unwrap();
    let needle = b"Content-Length: ";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap()
        + needle.len();
    let end = at + bytes[at..].iter().position(|b| *b == b'\r').unwrap();
    let width = end - at;
    let repl = vec![b'9'; width];
    bytes[at..end].copy_from_slice(&repl);
    let p = write(&d, "bigcl.pcap", &bytes);
    let (code, j, _) = analyze_json(&[&p]);
    assert_eq!(code, 0);
    assert_frames_accounted(&j);
    assert!(
        j["sip"]["messages"].as_u64().unwrap() >= 40,
        "the rest of the capture is still read"
    );
}

/// A pcap of `n` small UDP frames (not SIP), written by hand: big enough that the
/// reader's first batch (8192 frames) ends well before the file does.
fn many_frames_pcap(n: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    let mut frame = vec![0u8; 12];
    frame.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 36, 0, 1, 0, 0, 64, 17, 0, 0]);
    frame.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    frame.extend_from_slice(&[0x13, 0x88, 0x13, 0x88, 0, 16, 0, 0]);
    frame.extend_from_slice(b"not sip!");
    for i in 0..n {
        out.extend_from_slice(&(1_700_000_000 + i / 1000).to_le_bytes());
        out.extend_from_slice(&(i % 1000 * 1000).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    out
}

/// Issue #15 §4: a capture truncated while it was memory-mapped killed the
/// process with SIGBUS and no word. Now the file and the offset are named and
/// the exit status is 1. The test runs itself again as a child process, which
/// reads a file through the library and shrinks it after the first batch.
#[test]
fn a_file_that_shrinks_while_mapped_is_named_with_exit_1_not_a_silent_sigbus() {
    const CHILD: &str = "SIPSLEUTH_TEST_SHRINK_FILE";
    if let Ok(path) = std::env::var(CHILD) {
        let input = sipsleuth::capture::InputSpec::Path(path.clone().into());
        let mut batches = 0;
        let _ = sipsleuth::capture::read_capture(&input, &mut |_frames| {
            batches += 1;
            if batches == 1 {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .unwrap()
                    .set_len(4096)
                    .unwrap();
            }
        });
        // Reached only if the shrink went unnoticed.
        std::process::exit(0);
    }
    let d = scratch_dir("shrink");
    let p = write(&d, "live.pcap", &many_frames_pcap(40_000));
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_file_that_shrinks_while_mapped_is_named_with_exit_1_not_a_silent_sigbus",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, &p)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("live.pcap") && stderr.contains("shrank while it was being read"),
        "{stderr}"
    );
}
