//! End-to-end on the 115 public captures in ../shared/captures (real equipment,
//! test suites): per capture, the SIP requests per method and responses per
//! status code must equal `tshark -r FILE -q -z sip,stat` (tests/data/tshark_sipstat.tsv,
//! made by scripts/tshark-baseline.sh with tshark 4.0.17), except where tshark is
//! wrong — each such capture is listed below with what we count instead and why.
//!
//! A user's clone has no ../shared: the test then says so and passes.

mod common;
use common::*;
use std::collections::BTreeMap;

type Counts = BTreeMap<String, u64>;

struct Tshark {
    frames: u64,
    requests: Counts,
    responses: Counts,
}

fn baseline() -> BTreeMap<String, Tshark> {
    let tsv = include_str!("data/tshark_sipstat.tsv");
    let mut out: BTreeMap<String, Tshark> = BTreeMap::new();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let e = out.entry(f[0].to_string()).or_insert_with(|| Tshark {
            frames: 0,
            requests: Counts::new(),
            responses: Counts::new(),
        });
        let n: u64 = f[3].parse().unwrap();
        match f[1] {
            "frames" => e.frames = n,
            "request" => {
                e.requests.insert(f[2].to_string(), n);
            }
            "response" => {
                e.responses.insert(f[2].to_string(), n);
            }
            _ => {}
        }
    }
    out
}

/// Captures where tshark's count is wrong, what sipsleuth counts, and why.
/// (file, requests, responses, reason)
type Difference = (
    &'static str,
    &'static [(&'static str, u64)],
    &'static [(&'static str, u64)],
    &'static str,
);
const TSHARK_IS_WRONG: &[Difference] = &[
    (
        "sipcapture__hep-wireshark/pcap__hep.pcap",
        &[("INVITE", 1), ("OPTIONS", 1), ("PUBLISH", 1)],
        &[("100", 1), ("200", 1), ("407", 1)],
        "HEP3 on UDP 9060: tshark 4.0 has no HEP dissector and sees no SIP",
    ),
    (
        "sipcapture__hep-wireshark/pcap__hep3_compressed.pcap.pcapng",
        &[("REGISTER", 12)],
        &[("200", 3), ("401", 6)],
        "HEP3 with zlib-compressed SIP chunks: tshark 4.0 has no HEP dissector",
    ),
    (
        "seladb__PcapPlusPlus/Tests__Packet++Test__PacketExamples__sip_reqs.pcap",
        &[("ACK", 1), ("BYE", 1), ("CANCEL", 1), ("INVITE", 1)],
        &[],
        "the BYE ends in a header line without a colon ('Content-Lengt'); tshark's dissector throws and the \
         message never reaches sip,stat; sipsleuth counts it with the defect header_line_without_colon",
    ),
    (
        "ntop__nDPI/tests__cfgs__default__pcap__fuzz-2006-06-26-2594.pcap",
        &[("ACK", 4), ("CANCEL", 7), ("INVITE", 7), ("REGISTER", 9), ("REGIStER", 1)],
        &[("100", 3), ("183", 1), ("200", 3), ("401", 11), ("403", 3), ("407", 3), ("408", 1), ("480", 1)],
        "a fuzzed capture: 23 frames raise exceptions in tshark's SIP dissector (and one stops on a 310-byte \
         CSeq), so tshark counts 28 of the 51 messages whose start lines are valid; sipsleuth counts all 51 \
         and reports their damage as defects (5 more start lines are broken: kept as malformed records)",
    ),
];

fn to_counts(v: &serde_json::Value) -> Counts {
    counts(v).into_iter().collect()
}

#[test]
fn every_shared_capture_matches_tshark_or_a_documented_difference() {
    let Some(dir) = shared_captures_or_skip() else {
        return;
    };
    let base = baseline();
    assert!(base.len() >= 115, "baseline has {} captures", base.len());
    let mut failures = Vec::new();
    for (file, t) in &base {
        let path = dir.join(file);
        let (code, j, stderr) = analyze_json(&[&path]);
        if code != 0 {
            failures.push(format!("{file}: exit {code}: {stderr}"));
            continue;
        }
        assert_frames_accounted(&j);
        let (req, resp) = (
            to_counts(&j["sip"]["requests"]),
            to_counts(&j["sip"]["responses"]),
        );
        let (want_req, want_resp) = match TSHARK_IS_WRONG.iter().find(|d| d.0 == file) {
            Some((_, r, s, _)) => (
                r.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
                s.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
            ),
            None => (t.requests.clone(), t.responses.clone()),
        };
        if j["frames"]["total"] != t.frames {
            failures.push(format!(
                "{file}: {} frames, tshark {}",
                j["frames"]["total"], t.frames
            ));
        }
        if req != want_req || resp != want_resp {
            failures.push(format!(
                "{file}: requests {req:?} responses {resp:?}; expected {want_req:?} {want_resp:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} capture(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// ICMP errors quote the SIP message that caused them; the quote is not a SIP message.
#[test]
fn icmp_quotes_of_sip_are_not_counted() {
    let Some(dir) = shared_captures_or_skip() else {
        return;
    };
    let (_, j, _) =
        analyze_json(&[&dir.join("misosviso__MTAA-SIP-PROXY/pcap__registration.pcapng")]);
    assert_eq!(j["sip"]["messages"], 4);
    assert_eq!(j["icmp"]["quoting_sip"], 2);
}
