//! End-to-end: `sipsleuth flow` draws one call, all legs.

mod common;
use common::*;

#[test]
fn a_cancelled_call_through_a_proxy() {
    let p = testdata("calls/calls-udp.pcap");
    let o = run(&[
        "flow",
        p.to_str().unwrap(),
        "--call-id",
        "c06-cancelled@sipsleuth.test",
        "--width",
        "100",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    // Caller, proxy, callee: three columns in order of appearance.
    let header = text.lines().nth(1).unwrap();
    let cols: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(cols, ["127.0.0.1:5106", "127.0.0.1:5060", "127.0.0.1:5070"]);
    for label in [
        "INVITE (SDP)",
        "CANCEL",
        "487 Request Terminated",
        "180 Ringing",
    ] {
        assert!(text.contains(label), "{label}");
    }
    assert!(text.lines().all(|l| l.chars().count() <= 100));
}

#[test]
fn retransmissions_are_marked_and_svg_is_written() {
    let p = testdata("calls/calls-silent-callee.pcap");
    let o = run(&[
        "flow",
        p.to_str().unwrap(),
        "--call-id",
        "s01-no-answer@sipsleuth.test",
    ]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert_eq!(text.matches("(retr.)").count(), 6, "{text}");
    let d = scratch_dir("flow-svg");
    let svg = d.join("call.svg");
    let o = run(&[
        "flow",
        p.to_str().unwrap(),
        "--call-id",
        "s01-no-answer@sipsleuth.test",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let s = std::fs::read_to_string(svg).unwrap();
    assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
}

#[test]
fn an_unknown_call_id_is_an_error() {
    let o = run(&[
        "flow",
        testdata("udp-register-call.pcap").to_str().unwrap(),
        "--call-id",
        "nope",
    ]);
    assert_eq!(o.status.code(), Some(2));
}
