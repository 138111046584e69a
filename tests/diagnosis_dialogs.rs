//! End-to-end: the dialog-level items of issue #15 (§3 forks in the ladder,
//! §5 calls the model gets wrong) on real captures made with kamailio and
//! SIPp (scripts/testdata/make-diag-dialogs.sh): a parallel fork, rejected
//! BYEs, calls already in progress when the capture starts, INVITEs in
//! Call-IDs that began with a REGISTER, and B2BUA legs with a new Call-ID.
//! Each NAME.pcap.truth.json (testdata/diagnosis/dialogs/README.md) says what
//! the calls are; the tests compare sipsleuth's `calls --json`, `analyze` and
//! `flow` with it.

mod common;
use common::*;
use serde_json::Value;
use std::path::PathBuf;

fn capture(name: &str) -> PathBuf {
    testdata(&format!("diagnosis/dialogs/{name}.pcap"))
}

fn truth(name: &str) -> Value {
    let p = capture(name).with_extension("pcap.truth.json");
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// `calls --json`: one record per call attempt.
fn calls(name: &str) -> Vec<Value> {
    json_rows("calls", &capture(name))
}

fn record<'a>(calls: &'a [Value], call_id: &str) -> &'a Value {
    calls
        .iter()
        .find(|c| c["call_id"] == call_id)
        .unwrap_or_else(|| {
            let ids: Vec<&Value> = calls.iter().map(|c| &c["call_id"]).collect();
            panic!("no call record {call_id}; records: {ids:?}")
        })
}

fn labels(c: &Value) -> Vec<&str> {
    c["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect()
}

/// The truth's per-call expectations that every capture states the same way.
fn assert_per_call(name: &str, calls: &[Value]) {
    for want in truth(name)["calls"]["per_call"].as_array().unwrap() {
        let id = want["call_id"].as_str().unwrap();
        let got = record(calls, id);
        assert_eq!(got["category"], want["category"], "{name} {id}: {got}");
        assert_eq!(got["final_code"], want["final_code"], "{name} {id}: {got}");
        for l in want["labels_include"].as_array().into_iter().flatten() {
            assert!(
                labels(got).contains(&l.as_str().unwrap()),
                "{name} {id}: label {l} missing in {:?}",
                labels(got)
            );
        }
    }
}

fn assert_attempts(name: &str, calls: &[Value]) {
    let t = truth(name);
    let want = &t["calls"];
    assert_eq!(
        calls.len() as u64,
        want["attempts"].as_u64().unwrap(),
        "{name}: call attempts {:?}",
        calls.iter().map(|c| &c["call_id"]).collect::<Vec<_>>()
    );
    for (cat, n) in want["outcomes"].as_object().unwrap() {
        let got = calls
            .iter()
            .filter(|c| c["category"] == cat.as_str())
            .count() as u64;
        assert_eq!(got, n.as_u64().unwrap(), "{name}: {cat} calls");
    }
}

#[test]
fn forked_call_is_one_success_with_two_early_dialogs() {
    let name = "fork-parallel";
    let c = calls(name);
    assert_attempts(name, &c);
    assert_per_call(name, &c);
    let want = &truth(name)["calls"]["per_call"][0];
    let got = record(&c, want["call_id"].as_str().unwrap());
    assert_eq!(got["early_dialogs"], want["early_dialogs"], "{got}");
}

#[test]
fn forked_180_is_not_a_retransmission_in_the_ladder() {
    let t = truth("fork-parallel");
    let id = t["ladder"]["call_id"].as_str().unwrap();
    let o = run(&[
        "flow",
        capture("fork-parallel").to_str().unwrap(),
        "--call-id",
        id,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    // Two 180s on the caller's leg and one from each branch: four arrows. The two on
    // the caller's leg are marked with their fork ("180 [fork 2] Ringing").
    let ringing: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("180 Ring") || l.contains("180 [fork"))
        .collect();
    assert_eq!(ringing.len(), 4, "{text}");
    assert!(
        text.contains("180 [fork 1]") && text.contains("180 [fork 2]"),
        "{text}"
    );
    // The label may be cut short ("(re…"), and a retransmission is drawn dashed.
    for l in &ringing {
        assert!(
            !l.contains("(re") && !l.contains('┄'),
            "a forked 180 (another To tag) drawn as a retransmission:\n{l}\n\n{text}"
        );
    }
    assert_eq!(
        t["ladder"]["retransmissions"], 0,
        "the capture holds no retransmission at all"
    );
    assert!(!text.contains("(retr.)") && !text.contains('┄'), "{text}");
}

#[test]
fn rejected_bye_does_not_end_the_call() {
    let name = "bye-rejected";
    let c = calls(name);
    assert_attempts(name, &c);
    let want = &truth(name)["calls"]["per_call"][1];
    let got = record(&c, want["call_id"].as_str().unwrap());
    assert_eq!(got["category"], want["category"], "{got}");
    assert!(
        got["end"].is_null(),
        "a BYE answered 500 ended the call: {got}"
    );
    assert!(got["duration_ms"].is_null(), "{got}");
    assert!(got["hangup_by"].is_null(), "{got}");
    assert!(
        want["bye_final_code_any_of"]
            .as_array()
            .unwrap()
            .contains(&got["bye_final_code"]),
        "{got}"
    );
    assert!(labels(got).contains(&"bye_rejected"), "{:?}", labels(got));
}

#[test]
fn call_ends_at_the_bye_answered_2xx_not_at_the_rejected_one() {
    let name = "bye-rejected";
    let c = calls(name);
    let want = &truth(name)["calls"]["per_call"][0];
    let got = record(&c, want["call_id"].as_str().unwrap());
    assert_eq!(got["bye_final_code"], 200, "{got}");
    assert_eq!(got["hangup_by"], want["hangup_by"], "{got}");
    let dur = got["duration_ms"].as_f64().unwrap_or(f64::NAN);
    let want_dur = want["duration_ms_approx"].as_f64().unwrap();
    assert!(
        (dur - want_dur).abs() < 5.0,
        "duration {dur} ms, to the BYE answered 200: {want_dur} ms"
    );
    let end = rfc3339_ns(&got["end"]).unwrap_or(0);
    let want_end = want["end_ns"].as_i64().unwrap();
    assert!(
        (end - want_end).abs() < 1_000_000,
        "end {end}, the 200 to the second BYE: {want_end}"
    );
}

#[test]
fn scr_counts_the_call_whose_second_bye_got_2xx() {
    // RFC 6076 SCR: answered attempts whose BYE got a 2xx. Call 1's second BYE
    // did; call 2's only BYE did not.
    let (_, j, _) = analyze_json(&[&capture("bye-rejected")]);
    assert_eq!(
        j["calls"]["rfc6076"]["scr"],
        truth("bye-rejected")["calls"]["rfc6076_scr"],
        "{}",
        j["calls"]["rfc6076"]
    );
}

#[test]
fn calls_in_progress_at_start_are_not_attempts() {
    let name = "in-progress-at-start";
    let c = calls(name);
    assert_attempts(name, &c);
    assert_per_call(name, &c);
}

#[test]
fn calls_in_progress_at_start_are_counted() {
    let name = "in-progress-at-start";
    let want = truth(name)["calls"]["in_progress_at_start"].clone();
    let (_, j, _) = analyze_json(&[&capture(name)]);
    assert_eq!(
        j["calls"]["in_progress_at_start"], want,
        "calls in progress when the capture started: {}",
        j["calls"]
    );
    // And the table says so.
    let o = run(&["analyze", capture(name).to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout);
    let n = want.to_string();
    assert!(
        text.lines()
            .any(|l| l.to_lowercase().contains("in progress") && l.contains(&n)),
        "analyze does not show the {n} calls in progress at the start:\n{text}"
    );
}

#[test]
fn in_progress_at_start_is_zero_when_every_call_is_whole() {
    // The same key on a capture that holds every call from its INVITE.
    let (_, j, _) = analyze_json(&[&capture("fork-parallel")]);
    assert_eq!(
        j["calls"]["in_progress_at_start"],
        truth("fork-parallel")["calls"]["in_progress_at_start"],
        "{}",
        j["calls"]
    );
}

#[test]
fn invite_in_a_callid_that_began_with_register_is_a_call() {
    let name = "register-then-invite-same-callid";
    let c = calls(name);
    assert_attempts(name, &c);
    assert_per_call(name, &c);
    // The REGISTERs before the INVITE still make their registrations.
    let (_, j, _) = analyze_json(&[&capture(name)]);
    let want = &truth(name)["registrations"];
    assert_eq!(j["registrations"]["attempts"], want["attempts"]);
    assert_eq!(j["registrations"]["registered"], want["registered"]);
}

#[test]
fn b2bua_leg_with_new_callid_is_one_user_call() {
    let name = "b2bua-legs";
    let t = truth(name);
    let c = calls(name);
    assert_attempts(name, &c);
    assert_per_call(name, &c);
    for id in t["calls"]["not_attempts"].as_array().unwrap() {
        assert!(
            !c.iter().any(|r| r["call_id"] == *id),
            "the B2BUA leg {id} counted as a call of its own"
        );
    }
    for want in t["calls"]["per_call"].as_array().unwrap() {
        let got = record(&c, want["call_id"].as_str().unwrap());
        assert_eq!(got["b2bua_call_ids"], want["b2bua_call_ids"], "{got}");
    }
    let (_, j, _) = analyze_json(&[&capture(name)]);
    assert_eq!(j["calls"]["attempts"], t["calls"]["attempts"]);
    assert_eq!(
        j["calls"]["b2bua_legs_merged"], t["calls"]["b2bua_legs_merged"],
        "{}",
        j["calls"]
    );
}

#[test]
fn dialog_captures_raise_no_false_findings() {
    for name in [
        "fork-parallel",
        "bye-rejected",
        "in-progress-at-start",
        "register-then-invite-same-callid",
        "b2bua-legs",
    ] {
        let (_, j, _) = analyze_json(&[&capture(name)]);
        let kinds: Vec<&str> = j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap())
            .collect();
        for not in truth(name)["must_not"].as_array().unwrap() {
            assert!(
                !kinds.contains(&not.as_str().unwrap()),
                "{name}: false {not}"
            );
        }
    }
}
