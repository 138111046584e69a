//! End-to-end: the filters shared by analyze, calls, registrations and messages.

mod common;
use common::*;

fn json(args: &[&str]) -> serde_json::Value {
    let o = run(args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn calls_by_code_user_and_call_id() {
    let f = testdata("calls/calls-udp.pcap");
    let p = f.to_str().unwrap();
    let busy = json(&["calls", "--json", "--code", "486", p]);
    assert_eq!(busy.as_array().unwrap().len(), 1);
    assert_eq!(busy[0]["call_id"], "c03-busy@sipsleuth.test");
    let by_id = json(&[
        "calls",
        "--json",
        "--call-id",
        "c01-answered@sipsleuth.test",
        "--call-id",
        "c03-busy@sipsleuth.test",
        p,
    ]);
    assert_eq!(by_id.as_array().unwrap().len(), 2);
    let nobody = json(&["calls", "--json", "--user", "zz-no-such-user", p]);
    assert_eq!(
        json(&["calls", "--json", "--user", "nobody", p])[0]["call_id"],
        "c09-unknown-callee@sipsleuth.test"
    );
    assert!(nobody.as_array().unwrap().is_empty());
}

#[test]
fn analyze_summarises_only_what_passes() {
    let f = testdata("calls/calls-udp.pcap");
    let j = json(&["analyze", "--json", "--code", "200", f.to_str().unwrap()]);
    assert_eq!(j["calls"]["attempts"], 2);
    assert_eq!(j["calls"]["asr"].as_f64(), Some(1.0));
    // Traffic counts follow the filter message by message: only 200 responses remain.
    assert_eq!(j["sip"]["requests_total"], 0);
    assert_eq!(
        j["sip"]["responses"]["200"].as_u64(),
        j["sip"]["messages"].as_u64()
    );
}

#[test]
fn messages_by_method_and_time() {
    let f = testdata("udp-register-call.pcap");
    let p = f.to_str().unwrap();
    let o = run(&["messages", "--method", "REGISTER", p]);
    let text = String::from_utf8(o.stdout).unwrap();
    // REGISTERs and their responses (by CSeq method).
    assert_eq!(text.lines().count(), 6 + 6);
    assert!(text
        .lines()
        .all(|l| l.contains("REGISTER") || l.contains("SIP/2.0 ")));
    let o = run(&["messages", "--from", "2099-01-01T00:00:00Z", p]);
    assert!(o.stdout.is_empty());
}

#[test]
fn bad_filter_values_are_usage_errors() {
    let p = testdata("udp-register-call.pcap");
    for args in [["--ip", "300.1.1.1"], ["--from", "soon"], ["--code", "42"]] {
        let o = bin().arg("calls").args(args).arg(&p).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}
