//! End-to-end: every capture in testdata/ (made with SIPp, kamailio and tcpdump,
//! see testdata/README.md) gives exactly the SIP messages its scenario sent.

mod common;
use common::*;

/// One line per capture: file, requests, responses, transport, and buckets that must be non-zero.
macro_rules! capture_case {
    ($name:ident, $file:expr, req: [$(($m:expr, $mn:expr)),*], resp: [$(($c:expr, $cn:expr)),*], transport: $t:expr $(, buckets: [$(($b:expr, $bn:expr)),*])?) => {
        #[test]
        fn $name() {
            let (code, j, stderr) = analyze_json(&[&testdata($file)]);
            assert_eq!(code, 0, "{stderr}");
            assert_frames_accounted(&j);
            let mut req: Vec<(String, u64)> = vec![$(($m.to_string(), $mn)),*];
            req.sort();
            let mut resp: Vec<(String, u64)> = vec![$(($c.to_string(), $cn)),*];
            resp.sort();
            assert_eq!(counts(&j["sip"]["requests"]), req, "requests");
            assert_eq!(counts(&j["sip"]["responses"]), resp, "responses");
            let n: u64 = req.iter().chain(resp.iter()).map(|(_, n)| n).sum();
            assert_eq!(j["sip"]["transports"][$t].as_u64(), Some(n), "transport");
            $($(assert_eq!(j["frames"][$b].as_u64(), Some($bn), "bucket {}", $b);)*)?
        }
    };
}

const REG_CALL_REQ: [(&str, u64); 4] = [("REGISTER", 6), ("INVITE", 6), ("ACK", 6), ("BYE", 4)];

macro_rules! register_call_case {
    ($name:ident, $file:expr, $t:expr) => {
        capture_case!($name, $file,
            req: [("REGISTER", 6), ("INVITE", 6), ("ACK", 6), ("BYE", 4)],
            resp: [("100", 6), ("180", 4), ("183", 2), ("200", 10), ("401", 4), ("486", 2)],
            transport: $t);
    };
}

register_call_case!(udp_register_call, "udp-register-call.pcap", "udp");
register_call_case!(gzip_compressed, "udp-register-call.pcap.gz", "udp");
register_call_case!(zstd_compressed, "udp-register-call.pcap.zst", "udp");
register_call_case!(pcapng_variant, "udp-register-call.pcapng", "udp");
register_call_case!(nanosecond_pcap, "udp-register-call-nsec.pcap", "udp");
register_call_case!(big_endian_pcap, "udp-register-call-be.pcap", "udp");
register_call_case!(
    gzip_detected_by_magic_not_name,
    "compressed-without-extension.pcapng",
    "udp"
);
register_call_case!(vlan_8021q, "vlan-udp.pcap", "udp");
register_call_case!(qinq_8021ad, "qinq-udp.pcap", "udp");
register_call_case!(tcp_calls_through_kamailio, "tcp-calls.pcap", "tcp");

capture_case!(linux_sll2, "sll2-udp.pcap",
    req: [("INVITE", 1), ("ACK", 1), ("BYE", 1)], resp: [("100", 1), ("180", 1), ("200", 2)], transport: "udp");
capture_case!(ipv4_fragments, "ipv4-fragments.pcap",
    req: [("INVITE", 1), ("ACK", 1), ("BYE", 1)], resp: [("100", 1), ("180", 1), ("200", 2)], transport: "udp",
    buckets: [("sip_partial", 2)]);
capture_case!(ipv6_fragments, "ipv6-fragments.pcap",
    req: [("INVITE", 1), ("ACK", 1), ("BYE", 1)], resp: [("100", 1), ("180", 1), ("200", 2)], transport: "udp",
    buckets: [("sip_partial", 2)]);
capture_case!(ipv4_fragments_out_of_order_and_duplicated, "ipv4-fragments-disorder.pcap",
    req: [("INVITE", 1), ("ACK", 1), ("BYE", 1)], resp: [("100", 1), ("180", 1), ("200", 2)], transport: "udp",
    buckets: [("sip_partial", 2), ("duplicate", 1)]);
capture_case!(tcp_several_messages_per_segment_and_out_of_order, "tcp-multi-per-segment.pcap",
    req: [("INVITE", 1), ("ACK", 1), ("BYE", 1)], resp: [("100", 1), ("180", 1), ("200", 2)], transport: "tcp",
    buckets: [("duplicate", 1)]);
capture_case!(sip_over_websocket, "websocket.pcap",
    req: [("REGISTER", 4), ("OPTIONS", 1), ("MESSAGE", 2), ("INVITE", 1), ("ACK", 1)],
    resp: [("200", 5), ("401", 2), ("404", 1)], transport: "ws");
capture_case!(sip_on_a_port_tshark_does_not_know, "udp-nonstandard-port.pcap",
    req: [("INVITE", 2), ("ACK", 2), ("BYE", 1)], resp: [("100", 2), ("180", 1), ("200", 2), ("486", 1)], transport: "udp");

#[test]
fn fragmented_invite_is_marked_reassembled() {
    let (_, j, _) = analyze_json(&[&testdata("ipv4-fragments.pcap")]);
    assert_eq!(j["sip"]["carried"]["reassembled_from_ip_fragments"], 1);
}

#[test]
fn a_message_over_three_segments_is_marked() {
    let (_, j, _) = analyze_json(&[&testdata("tcp-multi-per-segment.pcap")]);
    assert!(
        j["sip"]["carried"]["over_several_tcp_segments"]
            .as_u64()
            .unwrap()
            >= 1
    );
}

/// The same traffic stored in every container and compression gives the same messages.
#[test]
fn every_container_gives_identical_messages() {
    let listing = |f: &str| {
        let o = run(&["messages", "--csv", testdata(f).to_str().unwrap()]);
        assert!(o.status.success());
        // Drop the file column, which names the input.
        String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let cols: Vec<&str> = l.split(',').collect();
                let n = cols.len();
                [&cols[..n - 3], &cols[n - 2..]].concat().join(",")
            })
            .collect::<Vec<_>>()
    };
    let reference = listing("udp-register-call.pcap");
    assert_eq!(reference.len(), 51, "header + 50 messages");
    for f in [
        "udp-register-call.pcap.gz",
        "udp-register-call.pcap.zst",
        "udp-register-call.pcapng",
        "udp-register-call-nsec.pcap",
        "udp-register-call-be.pcap",
        "compressed-without-extension.pcapng",
        "vlan-udp.pcap",
        "qinq-udp.pcap",
    ] {
        assert_eq!(listing(f), reference, "{f}");
    }
}

#[test]
fn several_inputs_are_summed_and_listed_per_file() {
    let a = testdata("udp-register-call.pcap");
    let b = testdata("tcp-calls.pcap");
    let (code, j, _) = analyze_json(&[&a, &b]);
    assert_eq!(code, 0);
    assert_eq!(j["sip"]["messages"], 100);
    assert_eq!(j["inputs"].as_array().unwrap().len(), 2);
    assert_eq!(j["inputs"][1]["sip"]["messages"], 50);
    assert_eq!(j["frames"]["total"], 50 + 143);
    let _ = REG_CALL_REQ;
}

#[test]
fn directories_are_walked() {
    let (code, j, _) = analyze_json(&[&testdata("")]);
    assert_eq!(code, 0, "every file in testdata/ is a capture");
    assert_frames_accounted(&j);
    assert!(j["inputs"].as_array().unwrap().len() >= 17);
}

#[test]
fn stdin_input_with_compression() {
    use std::io::Write;
    use std::process::Stdio;
    let bytes = std::fs::read(testdata("udp-register-call.pcap.zst")).unwrap();
    let mut child = bin()
        .args(["analyze", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["sip"]["messages"], 50);
}

#[test]
fn messages_lists_one_line_per_message() {
    let o = run(&[
        "messages",
        testdata("tcp-multi-per-segment.pcap").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 7);
    assert!(lines[0].contains("INVITE sip:"), "{}", lines[0]);
    assert!(lines.iter().all(|l| l.contains(" TCP ")));
}
