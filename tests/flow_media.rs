//! End-to-end: `sipsleuth flow` draws a call's RTP streams (issue #12): an
//! arrow at each stream's first packet with the streams table's figures, and
//! "RTP stop" at its last, in the terminal and in the SVG.

mod common;
use common::*;

/// testdata/media/loss.pcap: one call, caller → callee lost 12 of 250 (media_impair.py), the
/// way back clean; tshark's rtp,streams in its truth file.
#[test]
fn the_ladder_shows_each_stream_start_and_stop() {
    let p = testdata("media/loss.pcap");
    let o = run(&[
        "flow",
        p.to_str().unwrap(),
        "--call-id",
        "loss-alice-1@sipsleuth.test",
        "--width",
        "120",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // The phones' SIP addresses are the only columns: their media (port 6000) shares them.
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["192.0.2.101:5060", "192.0.2.20:5060"],
        "{text}"
    );
    let row = |needle: &str| -> &str {
        lines
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in\n{text}"))
    };
    // tshark: 238 packets, 12 lost, max jitter 6.298 ms caller → callee, from +0.237779 s
    // (microseconds: the 100 Trying came 235 µs after the INVITE).
    let to_callee = row("RTP PT=8 (PCMA) 238 pkts, lost 12, jitter 6.3 ms");
    assert!(
        to_callee.starts_with("+0.237779s") && to_callee.contains("═>│"),
        "{text}"
    );
    // 246 packets, none lost, 7.78 ms, callee → caller from +0.312156 s.
    let to_caller = row("RTP PT=8 (PCMA) 246 pkts, lost 0, jitter 7.8 ms");
    assert!(
        to_caller.starts_with("+0.312156s") && to_caller.contains("│<═"),
        "{text}"
    );
    assert_eq!(text.matches("RTP stop").count(), 2, "{text}");
    assert!(row("RTP stop").starts_with("+5.206184s"), "{text}");
    // In time order with the signalling: the streams start after the 200 OK and ACK, stop before the BYE.
    let at = |needle: &str| lines.iter().position(|l| l.contains(needle)).unwrap();
    assert!(at("ACK") < at("238 pkts") && at("238 pkts") < at("246 pkts"));
    assert!(lines.iter().rposition(|l| l.contains("RTP stop")).unwrap() < at("BYE"));

    let d = scratch_dir("flow-media-svg");
    let svg = d.join("call.svg");
    let o = run(&[
        "flow",
        p.to_str().unwrap(),
        "--call-id",
        "loss-alice",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = std::fs::read_to_string(&svg).unwrap();
    assert!(
        s.contains(">RTP PT=8 (PCMA) 238 pkts, lost 12, jitter 6.3 ms</text>"),
        "{s}"
    );
    assert_eq!(s.matches(">RTP stop</text>").count(), 2);
    // The hover text names the media addresses the shared lifelines do not show.
    assert!(s.contains("192.0.2.101:6000 → 192.0.2.20:6000"));
    assert_eq!(s.matches(r#"class="lifeline""#).count(), 2);
    let _ = std::fs::remove_dir_all(&d);
}

/// A call whose SDP announced no media that came: the ladder is the signalling alone.
#[test]
fn no_media_no_rtp_arrows() {
    let p = testdata("media/no-media.pcap");
    let ids = json_rows("calls", &p);
    let id = ids[0]["call_id"].as_str().unwrap().to_string();
    let o = run(&[
        "flow",
        p.to_str().unwrap(),
        "--call-id",
        &id,
        "--width",
        "120",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(!text.contains("RTP"), "{text}");
}
