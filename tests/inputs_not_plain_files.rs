//! Inputs that are not plain capture files (issue #17): a FIFO and a process
//! substitution are opened once and streamed (the probe of their first frame
//! time used to eat their start, and their size of 0 made them "empty");
//! `/dev/zero` is not a capture; a dangling symbolic link or a link loop under a
//! walked directory is named and skipped while the readable captures are read.

mod common;
use common::*;
use std::process::Command;

fn frames(j: &serde_json::Value) -> u64 {
    j["frames"]["total"].as_u64().unwrap()
}

#[cfg(unix)]
#[test]
fn a_fifo_is_read_once_as_a_stream() {
    let d = scratch_dir("fifo");
    let fifo = d.join("capture.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let src = testdata("calls/calls-udp.pcap");
    let (_, want, _) = analyze_json(&[&src]);
    // The writer blocks until sipsleuth opens the FIFO, and can write it only once.
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(&fifo, std::fs::read(src).unwrap()))
    };
    let (code, j, stderr) = analyze_json(&[&fifo]);
    writer.join().unwrap().unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(frames(&j), frames(&want));
    assert_eq!(j["calls"], want["calls"]);
    std::fs::remove_dir_all(d).unwrap();
}

#[cfg(target_os = "linux")]
#[test]
fn dev_zero_is_not_a_capture_rather_than_empty() {
    let o = bin()
        .args(["analyze", "--json", "/dev/zero"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("not a pcap, pcapng or NetMon capture"),
        "{stderr}"
    );
    assert!(!stderr.contains("empty"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn dangling_links_and_link_loops_in_a_walked_directory_are_skipped_and_named() {
    use std::os::unix::fs::symlink;
    let d = scratch_dir("links");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::copy(testdata("calls/calls-udp.pcap"), d.join("calls.pcap")).unwrap();
    symlink(d.join("gone.pcap"), d.join("dangling.pcap")).unwrap();
    symlink(d.join("loop"), d.join("loop")).unwrap();
    symlink(&d, d.join("sub/up")).unwrap();
    let (_, want, _) = analyze_json(&[&testdata("calls/calls-udp.pcap")]);
    let (code, j, stderr) = analyze_json(&[&d]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        frames(&j),
        frames(&want),
        "the readable capture is read whole"
    );
    for name in ["dangling.pcap", "loop", "up"] {
        assert!(stderr.contains(name), "{name} not named: {stderr}");
    }
    std::fs::remove_dir_all(d).unwrap();
}
