//! End-to-end: the registration failures of issue #15 on captures cut right
//! after the failure, as customer captures are (kamailio + SIPp,
//! scripts/testdata/make-diag-registrations.sh; what each shows in
//! testdata/diagnosis/registrations/README.md). Each FILE.truth.json lists the
//! findings the capture must raise with their key numbers, the kinds it must
//! not raise, and the outcome, cause and final code of every registration
//! attempt; the numbers were measured from the capture with tshark
//! (scripts/testdata/diagreg.py), not copied from sipsleuth's output.

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

struct Case {
    name: &'static str,
    truth: Value,
    /// `analyze --json`
    json: Value,
    /// rows of `registrations --json`
    rows: Vec<Value>,
}

impl Case {
    fn findings(&self) -> &[Value] {
        self.json["findings"].as_array().unwrap()
    }
    fn all(&self, kind: &str) -> Vec<&Value> {
        self.findings()
            .iter()
            .filter(|f| f["kind"] == kind)
            .collect()
    }
    fn find(&self, kind: &str) -> &Value {
        self.all(kind)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{}: no {kind}", self.name))
    }
}

fn load(name: &'static str) -> Case {
    let cap = testdata(&format!("diagnosis/registrations/{name}.pcap"));
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(cap.with_extension("pcap.truth.json")).unwrap(),
    )
    .unwrap();
    let (code, json, stderr) = analyze_json(&[&cap]);
    assert_eq!(code, 0, "{name}: analyze failed: {stderr}");
    let out = run(&["registrations", cap.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{name}: registrations --json failed");
    let rows: Value = serde_json::from_slice(&out.stdout).expect("registrations --json");
    let rows = rows.as_array().expect("a list of attempts").clone();
    Case {
        name,
        truth,
        json,
        rows,
    }
}

/// The truth's findings are all there and none of its `must_not` kinds is.
fn check_kinds(c: &Case) {
    let kinds: BTreeSet<&str> = c
        .findings()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    for want in c.truth["findings"].as_array().unwrap() {
        let k = want["kind"].as_str().unwrap();
        assert!(
            kinds.contains(k),
            "{}: missing {k}; got {kinds:?} (registrations {})",
            c.name,
            c.json["registrations"]["causes"]
        );
    }
    for not in c.truth["must_not"].as_array().unwrap() {
        let k = not.as_str().unwrap();
        assert!(
            !kinds.contains(k),
            "{}: false {k}: {}",
            c.name,
            c.find(k)["summary"]
        );
    }
}

/// Totals, counts per (outcome, cause, final_code), and every attempt's row
/// (matched by Call-ID, in time order) against the truth's `attempts`.
fn check_attempts(c: &Case) {
    let t = &c.truth["attempts"];
    let r = &c.json["registrations"];
    for (got, want) in [
        ("attempts", "total"),
        ("registered", "registered"),
        ("failed", "failed"),
        ("pending", "pending"),
    ] {
        assert_eq!(r[got], t[want], "{}: registrations.{got}", c.name);
    }
    let key = |v: &Value| {
        format!(
            "{} {} {}",
            v["outcome"].as_str().unwrap(),
            v["cause"].as_str().unwrap_or("-"),
            v["final_code"]
        )
    };
    let mut got: BTreeMap<String, u64> = BTreeMap::new();
    for row in &c.rows {
        *got.entry(key(row)).or_default() += 1;
    }
    let want: BTreeMap<String, u64> = t["by_outcome"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (key(g), g["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        got, want,
        "{}: attempts by outcome, cause, final code",
        c.name
    );
    let mut causes: BTreeMap<String, u64> = BTreeMap::new();
    for g in t["by_outcome"].as_array().unwrap() {
        if g["outcome"] == "REGISTRATION_FAILED" {
            *causes
                .entry(g["cause"].as_str().unwrap().to_string())
                .or_default() += g["count"].as_u64().unwrap();
        }
    }
    assert_eq!(counts(&r["causes"]), causes.into_iter().collect::<Vec<_>>());

    let mut by_call: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    let mut rows: Vec<&Value> = c.rows.iter().collect();
    rows.sort_by_key(|r| r["first_ts_ns"].as_i64());
    for row in rows {
        by_call
            .entry(row["call_id"].as_str().unwrap())
            .or_default()
            .push(row);
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for want in t["rows"].as_array().unwrap() {
        let id = want["call_id"].as_str().unwrap();
        let i = seen.entry(id).or_default();
        let got = by_call
            .get(id)
            .and_then(|v| v.get(*i))
            .unwrap_or_else(|| panic!("{}: no attempt #{} for {id}", c.name, *i + 1));
        *i += 1;
        for (field, value) in want.as_object().unwrap() {
            if field == "call_id" {
                continue;
            }
            assert_eq!(
                &got[field], value,
                "{}: {field} of attempt #{} of {id}: {got}",
                c.name, *i
            );
        }
    }
}

use common::evidence_count as count;

/// The truth's key numbers of its first finding of `kind`.
fn key<'a>(c: &'a Case, kind: &str) -> &'a Value {
    &c.truth["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == kind)
        .unwrap()["key"]
}

fn details(f: &Value) -> String {
    f["evidence"]["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .unwrap_or_default()
}

/// NO_RESPONSE names the registrar and counts what the capture shows.
fn check_no_response(c: &Case) {
    let k = key(c, "NO_RESPONSE");
    let f = c.find("NO_RESPONSE");
    let registrar = k["registrar"].as_str().unwrap();
    assert!(
        f["evidence"]["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == registrar),
        "{}: NO_RESPONSE does not name {registrar}: {f}",
        c.name
    );
    assert_eq!(
        count(f, "retransmissions"),
        k["retransmissions"].as_u64().unwrap(),
        "{}",
        c.name
    );
    let icmp = k["icmp_errors"].as_u64().unwrap();
    assert_eq!(
        f["evidence"]["counts"]["icmp_errors"].as_u64().unwrap_or(0),
        icmp,
        "{}: ICMP errors in {f}",
        c.name
    );
    if icmp > 0 {
        let d = details(f);
        assert!(
            d.contains("type 3 code 3"),
            "{}: ICMP type/code not in {d}",
            c.name
        );
    }
}

#[test]
fn cut_capture_unanswered_register_with_icmp_is_no_response() {
    let c = load("no-answer-icmp");
    check_kinds(&c);
    check_no_response(&c);
    check_attempts(&c);
}

#[test]
fn register_retransmitted_until_just_before_timer_f_is_no_response() {
    let c = load("no-answer-icmp-long");
    check_kinds(&c);
    check_no_response(&c);
    check_attempts(&c);
}

#[test]
fn silent_registrar_is_no_response_but_a_request_seen_once_in_the_last_t1_stays_pending() {
    let c = load("no-answer-silent");
    check_kinds(&c);
    check_no_response(&c);
    check_attempts(&c);
}

#[test]
fn silence_to_many_sources_after_answering_is_flood_blackhole_not_capacity() {
    let c = load("flood-blackhole-many");
    check_kinds(&c);
    let k = key(&c, "FLOOD_BLACKHOLE");
    let f = c.find("FLOOD_BLACKHOLE");
    assert_eq!(count(f, "unanswered"), k["unanswered"].as_u64().unwrap());
    assert_eq!(count(f, "sources"), k["sources"].as_u64().unwrap());
    // The evidence starts at the last answer (within a second: the request or
    // its response), before the first unanswered REGISTER: when it stopped.
    let (answered, silent) = (
        k["last_answered_ns"].as_i64().unwrap(),
        k["first_unanswered_ns"].as_i64().unwrap(),
    );
    let first = f["evidence"]["first_ns"].as_i64().unwrap();
    assert!(
        (answered - 1_000_000_000..=silent).contains(&first),
        "evidence starts at {first}, not at the last answer {answered}: {f}"
    );
    assert!(f["evidence"]["last_ns"].as_i64().unwrap() >= silent, "{f}");
    check_attempts(&c);
}

#[test]
fn lockout_threshold_counts_rejected_credentials_not_one() {
    let c = load("lockout-loop");
    check_kinds(&c);
    let pk = key(&c, "POOL_LOCKOUT");
    let p = c.find("POOL_LOCKOUT");
    assert_eq!(
        count(p, "accounts_locked"),
        pk["accounts_locked"].as_u64().unwrap()
    );
    assert_eq!(
        (count(p, "threshold_min"), count(p, "threshold_max")),
        (
            pk["threshold_min"].as_u64().unwrap(),
            pk["threshold_max"].as_u64().unwrap()
        )
    );
    // Every account's own lockout says 5 rejections preceded it, and the
    // ACCOUNT_LOCKOUT findings (a few listed one by one, the rest summed up)
    // cover all 20 accounts.
    let want: BTreeSet<&str> = pk["aors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let mut locked: BTreeSet<&str> = BTreeSet::new();
    let mut thresholds = 0;
    let mut evidence = String::new();
    for f in c.all("ACCOUNT_LOCKOUT") {
        if let Some(t) = f["evidence"]["counts"]["threshold"].as_u64() {
            assert_eq!(t, key(&c, "ACCOUNT_LOCKOUT")["threshold"], "{f}");
            thresholds += 1;
        }
        for a in f["evidence"]["aors"].as_array().unwrap() {
            locked.insert(a.as_str().unwrap());
        }
        evidence.push_str(&details(f));
    }
    assert!(thresholds > 0, "no ACCOUNT_LOCKOUT with a threshold");
    assert_eq!(locked, want, "accounts in ACCOUNT_LOCKOUT findings");
    // The registrar said why: the reason phrase and the Warning text.
    let ak = key(&c, "ACCOUNT_LOCKOUT");
    for text in [&ak["reason"], &ak["warning_text"]] {
        let text = text.as_str().unwrap();
        assert!(
            evidence.contains(text),
            "{text} not in the lockout evidence: {evidence:?}"
        );
    }
    let lk = key(&c, "AUTH_LOOP");
    let l = c.find("AUTH_LOOP");
    assert_eq!(count(l, "accounts"), lk["accounts"].as_u64().unwrap());
    assert_eq!(
        count(l, "rejected_cycles"),
        lk["rejected_cycles"].as_u64().unwrap()
    );
    check_attempts(&c);
}

#[test]
fn new_cseq_on_reused_branch_is_a_new_request() {
    // SIPp re-sends the looped REGISTER with a new CSeq on the same Via branch:
    // six requests (one per CSeq) answered 401 ×5 then 403, not one request
    // retransmitted; the attempt's final code is the 403 that ends the chain.
    let c = load("lockout-loop");
    check_attempts(&c);
    for row in &c.rows {
        assert_eq!(
            (
                &row["requests"],
                &row["retransmissions"],
                &row["challenges"],
                &row["final_code"]
            ),
            (&7.into(), &0.into(), &6.into(), &403.into()),
            "{row}"
        );
    }
}

#[test]
fn forbidden_then_fresh_challenge_that_succeeds_is_not_a_lockout() {
    let c = load("forbidden-then-fresh-challenge");
    check_kinds(&c);
    check_attempts(&c);
}

#[test]
fn refresh_before_expiry_is_a_new_registered_attempt() {
    let c = load("refresh-short-expires");
    check_kinds(&c);
    assert!(
        c.findings().is_empty(),
        "a healthy refresh raised {:?}",
        c.findings()
    );
    check_attempts(&c);
    assert_eq!(c.json["registrations"]["refreshes"], 2);
}
