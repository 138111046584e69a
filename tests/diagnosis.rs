//! End-to-end: findings on real captures. False alarms are bugs too: the public
//! captures in ../shared (ordinary calls and registrations from real equipment)
//! raise nothing at warning level or above, except the ones listed with their
//! reason; the known-truth captures raise exactly what their scenario caused.

mod common;
use common::*;
use serde_json::Value;

fn findings(path: &std::path::Path) -> Vec<Value> {
    let (_, j, _) = analyze_json(&[path]);
    j["findings"].as_array().unwrap().clone()
}

fn serious(f: &[Value]) -> Vec<String> {
    f.iter()
        .filter(|x| x["severity"] != "info")
        .map(|x| {
            format!(
                "{} {}",
                x["kind"].as_str().unwrap(),
                x["summary"].as_str().unwrap()
            )
        })
        .collect()
}

/// Public captures whose serious findings are true.
const TRUE_POSITIVES: &[(&str, &str)] = &[(
    "ntop__nDPI/tests__cfgs__default__pcap__webex.pcap",
    "NO_RESPONSE", // 22 REGISTERs, retransmitted, never answered (INDEX.tsv: "REGISTER(no resp)")
)];

#[test]
fn public_captures_raise_no_false_alarm() {
    let Some(dir) = shared_captures_or_skip() else {
        return;
    };
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).unwrap();
    let mut alarms = Vec::new();
    for line in index.lines().skip(1) {
        let file = line.split('\t').next().unwrap();
        for s in serious(&findings(&dir.join(file))) {
            let expected = TRUE_POSITIVES
                .iter()
                .any(|(f, k)| *f == file && s.starts_with(k));
            if !expected {
                alarms.push(format!("{file}: {s}"));
            }
        }
    }
    assert!(alarms.is_empty(), "false alarms:\n{}", alarms.join("\n"));
    let webex = findings(&dir.join(TRUE_POSITIVES[0].0));
    assert!(webex
        .iter()
        .any(|f| f["kind"] == "NO_RESPONSE" && f["severity"] == "critical"));
}

#[test]
fn clean_testdata_captures_raise_nothing() {
    for f in [
        "udp-register-call.pcap",
        "tcp-calls.pcap",
        "websocket.pcap",
        "calls/calls-ipv6.pcap",
    ] {
        assert_eq!(
            serious(&findings(&testdata(f))),
            Vec::<String>::new(),
            "{f}"
        );
    }
}

#[test]
fn known_truth_registrations_raise_their_findings() {
    let f = findings(&testdata("registrations/registrations.pcap"));
    let kinds: Vec<&str> = f.iter().map(|x| x["kind"].as_str().unwrap()).collect();
    // The REGISTER sent where nothing listens; the 423 given up; the 503 with Retry-After 120.
    assert_eq!(
        kinds,
        ["NO_RESPONSE", "REGISTRATION_EXPIRY", "CAPACITY_503_ONSET"]
    );
    assert_eq!(
        f[0]["evidence"]["call_ids"][0],
        "reg-ghost-noanswer@sipsleuth.test"
    );
    assert_eq!(f[2]["evidence"]["counts"]["retry_after_120s"], 1);
}

#[test]
fn a_silent_callee_is_a_no_response_finding() {
    let f = findings(&testdata("calls/calls-silent-callee.pcap"));
    let n = f
        .iter()
        .find(|x| x["kind"] == "NO_RESPONSE")
        .expect("NO_RESPONSE");
    assert_eq!(n["severity"], "critical");
    // s01's 6 retransmissions, and s02's 5: the capture ends before s02's Timer B, but
    // its retransmissions already show the silence (issue #15).
    assert_eq!(n["evidence"]["counts"]["retransmissions"], 11);
    assert_eq!(n["evidence"]["counts"]["unanswered_invite"], 2);
}
