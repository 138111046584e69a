//! End-to-end: the failure patterns of issue #4 on captures made with kamailio
//! (htable lockouts, per-source limits, bans, an admission limit, failover,
//! short expiries) and SIPp (scripts/testdata/make-patterns.sh). Each
//! FILE.truth.json lists the findings the scenario must raise, their key
//! numbers, and the kinds it must not raise (false alarms are bugs too).

mod common;
use common::*;
use serde_json::Value;

fn check(name: &str) -> (Vec<Value>, Value) {
    let cap = testdata(&format!("patterns/{name}.pcap"));
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(cap.with_extension("pcap.truth.json")).unwrap(),
    )
    .unwrap();
    let (_, j, _) = analyze_json(&[&cap]);
    let findings = j["findings"].as_array().unwrap().clone();
    let kinds: Vec<&str> = findings
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    for want in truth["findings"].as_array().unwrap() {
        let k = want["kind"].as_str().unwrap();
        assert!(kinds.contains(&k), "{name}: missing {k}; got {kinds:?}");
    }
    for not in truth["must_not"].as_array().unwrap() {
        let k = not.as_str().unwrap();
        assert!(
            !kinds.contains(&k),
            "{name}: false {k}: {:?}",
            findings
                .iter()
                .find(|f| f["kind"] == k)
                .map(|f| &f["summary"])
        );
    }
    if truth["findings"].as_array().unwrap().is_empty() {
        assert!(
            findings.is_empty(),
            "{name}: a clean capture raised {kinds:?}"
        );
    }
    (findings, truth)
}

use common::{evidence_count as count, finding as find};

#[test]
fn account_lockout_threshold_and_duration() {
    let (f, _) = check("account-lockout");
    let l = find(&f, "ACCOUNT_LOCKOUT");
    assert_eq!(count(l, "threshold"), 3);
    assert!((18..=22).contains(&count(l, "lock_seconds")), "{l}");
    assert_eq!(l["evidence"]["aors"][0], "sip:alice@sipsleuth.test");
}

#[test]
fn pool_lockout_of_five_accounts() {
    let (f, _) = check("pool-lockout");
    let p = find(&f, "POOL_LOCKOUT");
    assert_eq!(count(p, "accounts_locked"), 5);
    assert_eq!(
        (count(p, "threshold_min"), count(p, "threshold_max")),
        (3, 3)
    );
    assert_eq!(f[0]["kind"], "POOL_LOCKOUT", "most severe first");
}

#[test]
fn rate_limited_after_five() {
    let (f, _) = check("rate-limited");
    let r = find(&f, "RATE_LIMITED");
    assert_eq!(count(r, "accepted_before_limit"), 5);
    assert_eq!(count(r, "refused"), 7);
    assert_eq!(r["evidence"]["addresses"][0], "192.0.2.101");
}

#[test]
fn flood_blackhole_while_others_are_answered() {
    let (f, _) = check("flood-blackhole");
    let b = find(&f, "FLOOD_BLACKHOLE");
    assert_eq!(count(b, "unanswered"), 6);
    assert!(count(b, "silence_seconds") >= 40, "{b}");
}

#[test]
fn capacity_onset_at_ten_calls_in_flight() {
    let (f, _) = check("capacity-503");
    let c = find(&f, "CAPACITY_503_ONSET");
    assert_eq!(count(c, "calls_in_flight_at_onset"), 10);
    assert!(count(c, "retry_after_30s") >= 4);
}

#[test]
fn alternate_routing_to_the_backup() {
    let (f, _) = check("alternate-routing");
    let a = find(&f, "ALTERNATE_ROUTING");
    assert_eq!(
        a["evidence"]["addresses"],
        serde_json::json!(["198.51.100.20:5060", "192.0.2.21:5060"])
    );
    assert_eq!(
        (
            count(a, "calls_rerouted"),
            count(a, "succeeded_after_reroute")
        ),
        (4, 4)
    );
}

#[test]
fn admission_control_rejections() {
    let (f, _) = check("cac-488");
    assert_eq!(count(find(&f, "CAC_REJECTION"), "calls"), 4);
}

#[test]
fn credentials_for_another_realm() {
    let (f, _) = check("realm-mismatch");
    let r = find(&f, "REALM_MISMATCH");
    assert_eq!(count(r, "attempts"), 2);
    assert!(r["evidence"]["details"][0]
        .as_str()
        .unwrap()
        .contains("wrong.example"));
}

#[test]
fn a_registration_that_lapses() {
    let (f, _) = check("registration-lapse");
    let e = find(&f, "REGISTRATION_EXPIRY");
    assert_eq!(
        e["evidence"]["aors"],
        serde_json::json!(["sip:alice@sipsleuth.test"])
    );
    assert_eq!(count(e, "granted_shorter_than_requested"), 1);
}

#[test]
fn a_healthy_load_raises_nothing() {
    check("clean");
}
