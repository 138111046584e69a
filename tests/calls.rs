//! End-to-end: call attempts, outcomes and timings on real captures whose truth
//! is plain — the SIPp/kamailio captures in testdata/ and public captures in
//! ../shared/captures (INDEX.tsv says what each holds).

mod common;
use common::*;
use std::path::Path;

fn calls_json(path: &Path) -> Vec<serde_json::Value> {
    let o = bin().arg("calls").arg("--json").arg(path).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice::<serde_json::Value>(&o.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// One line per public capture: file, then (category, final code, labels that must be present) per call in start order.
macro_rules! shared_call_case {
    ($name:ident, $file:expr, [$(($cat:expr, $code:expr, [$($label:expr),*])),*]) => {
        #[test]
        fn $name() {
            let Some(dir) = shared_captures_or_skip() else {
                return;
            };
            let calls = calls_json(&dir.join($file));
            let want: Vec<(&str, Option<u64>, Vec<&str>)> = vec![$(($cat, $code, vec![$($label),*])),*];
            assert_eq!(calls.len(), want.len(), "attempts in {}", $file);
            for (c, (cat, code, labels)) in calls.iter().zip(want) {
                assert_eq!(c["category"], cat, "{c}");
                assert_eq!(c["final_code"].as_u64(), code, "{c}");
                for l in labels {
                    assert!(c["labels"].as_array().unwrap().iter().any(|x| x == l), "label {l} in {c}");
                }
            }
        }
    };
}

shared_call_case!(
    busy_through_a_proxy,
    "Kesuera__SIP-proxy/pcap__invite_486_busy.pcap",
    [("REJECTED", Some(486), [])]
);
shared_call_case!(
    decline,
    "Kesuera__SIP-proxy/pcap__invite_decline.pcap",
    [("REJECTED", Some(603), [])]
);
shared_call_case!(
    temporarily_unavailable,
    "Kesuera__SIP-proxy/pcap__invite_480_temp_unavailable.pcap",
    [("TIMEOUT", Some(480), [])]
);
shared_call_case!(
    cancelled_by_the_caller,
    "Kesuera__SIP-proxy/pcap__invite_487_request_terminated.pcap",
    [("CANCELLED", Some(487), ["cancel_sent"])]
);
shared_call_case!(
    answered_then_bye,
    "Kesuera__SIP-proxy/pcap__invite_accept_bye.pcap",
    [("SUCCESS", Some(200), [])]
);
shared_call_case!(
    unknown_callee,
    "jakubabrahoim__MTAA-sip-proxy/tracy__trace4.pcapng",
    [("ERROR", Some(404), [])]
);
shared_call_case!(
    forked_early_dialogs_over_ipv6_fragments,
    "irontec__sngrep/tests__ipv6frag.pcap",
    [("SUCCESS", Some(200), ["forked"])]
);
shared_call_case!(
    auth_challenges_and_failures,
    "irontec__sngrep/tests__aaa.pcap",
    [
        ("TIMEOUT", Some(408), ["cancel_sent"]),
        ("ERROR", Some(403), ["auth_challenged"]),
        ("ERROR", Some(403), ["auth_challenged"]),
        ("TIMEOUT", Some(480), ["auth_challenged"])
    ]
);

#[test]
fn challenged_call_keeps_pdd_from_the_first_invite() {
    let Some(dir) = shared_captures_or_skip() else {
        return;
    };
    // 407 at +0.16 s, INVITE with credentials at +17.4 s, 183 at +17.85 s: RFC 6076 does not reset t1.
    let calls = calls_json(&dir.join("irontec__sngrep/tests__aaa.pcap"));
    let c = &calls[3];
    assert!((c["pdd_ms"].as_f64().unwrap() - 17846.0).abs() < 1.0, "{c}");
    assert_eq!(c["early_dialogs"], 1, "one 183: no forking");
    assert!(calls.iter().all(|c| !c["labels"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l == "forked")));
}

#[test]
fn answered_call_timings_through_a_proxy() {
    let Some(dir) = shared_captures_or_skip() else {
        return;
    };
    let c = &calls_json(&dir.join("Kesuera__SIP-proxy/pcap__invite_accept_bye.pcap"))[0];
    assert_eq!(c["legs"], 2);
    assert_eq!(c["hangup_by"], "callee");
    let (pdd, answer, dur) = (
        c["pdd_ms"].as_f64().unwrap(),
        c["answer_ms"].as_f64().unwrap(),
        c["duration_ms"].as_f64().unwrap(),
    );
    assert!(pdd > 0.0 && pdd < answer && dur > 0.0, "{c}");
    // The caller's leg comes first, and per-leg PDD is smaller downstream (less of the path).
    let pdd: Vec<f64> = c["leg_pdd_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().parse().unwrap())
        .collect();
    assert!(pdd[1] <= pdd[0], "{c}");
}

#[test]
fn sample_capture_calls_and_summary() {
    let calls = calls_json(&testdata("udp-register-call.pcap"));
    let cats: Vec<&str> = calls
        .iter()
        .map(|c| c["category"].as_str().unwrap())
        .collect();
    assert_eq!(cats, ["SUCCESS", "REJECTED", "SUCCESS"]);
    // SIPp's callee waits 100 ms before ringing (scripts/testdata/sipp/uas-*.xml).
    for c in [&calls[0], &calls[2]] {
        let pdd = c["pdd_ms"].as_f64().unwrap();
        assert!((100.0..130.0).contains(&pdd), "PDD {pdd}");
    }
    assert_eq!(calls[2]["pdd_code"], 183, "183 before 180 ends PDD");
    let (_, j, _) = analyze_json(&[&testdata("udp-register-call.pcap")]);
    assert_eq!(j["calls"]["attempts"], 3);
    assert_eq!(j["calls"]["asr"].as_f64(), Some(0.6667));
    assert_eq!(j["calls"]["pdd_ms"]["count"], 2);
    assert_eq!(j["calls"]["final_codes"]["486"], 1);
}

#[test]
fn the_same_calls_over_tcp() {
    let calls = calls_json(&testdata("tcp-calls.pcap"));
    let cats: Vec<&str> = calls
        .iter()
        .map(|c| c["category"].as_str().unwrap())
        .collect();
    assert_eq!(cats, ["SUCCESS", "REJECTED", "SUCCESS"]);
    assert!(calls.iter().all(|c| c["transport"] == "tcp"));
}

#[test]
fn calls_csv_has_a_row_per_attempt() {
    let o = run(&[
        "calls",
        "--csv",
        testdata("udp-register-call.pcap").to_str().unwrap(),
    ]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert_eq!(text.lines().count(), 4);
    assert!(text.starts_with("call_id,start,caller"));
}
