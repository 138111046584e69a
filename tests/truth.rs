//! End-to-end against known truth: captures made by SIPp and kamailio on
//! loopback (scripts/testdata/make-truth-*.sh), each with a FILE.truth.json
//! written from the scenario. Every call and every registration attempt must
//! come out with the category, final code, cause and expires the scenario
//! produced; PDD within a few ms of the callee's configured delay.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn rows(cmd: &str, capture: &Path) -> Vec<Value> {
    json_rows(cmd, capture)
}

fn truth(capture: &Path) -> Value {
    let p = capture.with_file_name(format!(
        "{}.truth.json",
        capture.file_name().unwrap().to_str().unwrap()
    ));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Non-zero counts; our "none" (no final response) has no key in the truth files.
fn nonzero(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
        .filter(|(k, n)| *n > 0 && k != "none")
        .collect()
}

fn check_calls(file: &str) {
    let cap = testdata(file);
    let t = truth(&cap);
    let calls = rows("calls", &cap);
    assert_eq!(
        calls.len() as u64,
        t["attempts"].as_u64().unwrap(),
        "attempts in {file}"
    );
    let (_, j, _) = analyze_json(&[&cap]);
    assert_eq!(
        nonzero(&j["calls"]["outcomes"]),
        nonzero(&t["outcomes"]),
        "outcomes in {file}"
    );
    assert_eq!(
        nonzero(&j["calls"]["final_codes"]),
        nonzero(&t["final_codes"]),
        "final codes in {file}"
    );
    let configured = t["pdd_ms_configured"].as_f64();
    for want in t["calls"].as_array().unwrap() {
        let id = want["call_id"].as_str().unwrap();
        let got = calls
            .iter()
            .find(|c| c["call_id"] == id)
            .unwrap_or_else(|| panic!("{id} missing in {file}"));
        assert_eq!(got["category"], want["category"], "{id}");
        assert_eq!(got["final_code"], want["final"], "{id}");
        match (want["pdd_ms_approx"].as_f64(), got["pdd_ms"].as_f64()) {
            (Some(_), Some(pdd)) => {
                let c = configured.unwrap();
                assert!(
                    (pdd - c).abs() < 25.0,
                    "{id}: PDD {pdd} ms, configured {c} ms"
                );
                if let Some(m) = want["pdd_ms_measured"].as_f64() {
                    assert!(
                        (pdd - m).abs() < 1.0,
                        "{id}: PDD {pdd} ms, measured from the capture {m} ms"
                    );
                }
                assert_eq!(got["pdd_code"], want["first_18x"], "{id}");
            }
            (None, None) => {}
            (w, g) => panic!("{id}: PDD expected {w:?}, got {g:?}"),
        }
        // The truth counts transmissions of each INVITE (a challenged call sends two INVITEs once each).
        if let Some(n) = want["invite_transmissions"].as_u64() {
            assert_eq!(
                got["invite_retransmissions"].as_u64(),
                Some(n - 1),
                "{id}: INVITE retransmissions"
            );
        }
    }
}

fn check_registrations(file: &str) {
    let cap = testdata(file);
    let t = truth(&cap);
    let regs = rows("registrations", &cap);
    assert_eq!(
        regs.len() as u64,
        t["attempts"].as_u64().unwrap(),
        "attempts in {file}"
    );
    let (_, j, _) = analyze_json(&[&cap]);
    let r = &j["registrations"];
    assert_eq!(r["registered"], t["registered"], "{file}");
    assert_eq!(r["failed"], t["failed"], "{file}");
    assert_eq!(
        nonzero(&r["causes"]),
        nonzero(&t["causes"]),
        "causes in {file}"
    );
    if let Some(d) = t["deregistrations"].as_u64() {
        assert_eq!(r["deregistrations"].as_u64(), Some(d));
    }
    // Both lists are in time order: the n-th truth attempt of a Call-ID is our n-th attempt of it.
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for want in t["attempts_list"].as_array().unwrap() {
        let id = want["call_id"].as_str().unwrap();
        let n = seen.entry(id).or_default();
        let ours: Vec<&Value> = regs.iter().filter(|a| a["call_id"] == id).collect();
        let got = ours
            .get(*n)
            .unwrap_or_else(|| panic!("{id}: attempt {} missing", *n + 1));
        *n += 1;
        assert_eq!(
            (&got["outcome"], &got["cause"]),
            (&want["outcome"], &want["cause"]),
            "{id}"
        );
        assert_eq!(got["aor"], want["aor"], "{id}");
        if want["outcome"] == "REGISTERED" {
            assert_eq!(
                got["requested_expires_s"], want["requested_expires"],
                "{id}: requested"
            );
            assert_eq!(
                got["granted_expires_s"], want["granted_expires"],
                "{id}: granted"
            );
        }
        if let Some(ra) = want["retry_after"]
            .as_u64()
            .or(want["retry_after_s"].as_u64())
        {
            assert_eq!(got["retry_after_s"].as_u64(), Some(ra), "{id}: Retry-After");
        }
    }
}

#[test]
fn calls_over_udp_through_kamailio() {
    check_calls("calls/calls-udp.pcap");
}

#[test]
fn calls_over_tcp_through_kamailio() {
    check_calls("calls/calls-tcp.pcap");
}

#[test]
fn calls_over_ipv6() {
    check_calls("calls/calls-ipv6.pcap");
}

#[test]
fn a_silent_callee_is_no_answer_after_timer_b_and_incomplete_before() {
    check_calls("calls/calls-silent-callee.pcap");
}

#[test]
fn registrations_over_udp_with_every_cause() {
    check_registrations("registrations/registrations.pcap");
}

#[test]
fn registrations_over_tcp() {
    check_registrations("registrations/registrations-tcp.pcap");
}
