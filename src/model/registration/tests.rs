//! The tracker on literal REGISTER exchanges: one test per rule of the module docs.

use super::*;
use crate::model::test_msg::msg;
use crate::model::transaction::Transactions;

const UA: &str = "10.0.0.1:5062";
const REG: &str = "10.0.0.9:5060";
const S: i64 = 1_000_000_000;

/// A REGISTER of chain `r1` for alice; `extra` holds more header lines.
fn register(cseq: u32, extra: &str) -> String {
    format!(
        "REGISTER sip:example.com SIP/2.0\n\
Via: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK-{cseq}\n\
From: <sip:alice@example.com>;tag=a1\n\
To: \"Alice\" <sip:alice@Example.COM;transport=udp>\n\
Call-ID: r1\n\
CSeq: {cseq} REGISTER\n\
Contact: <sip:alice@10.0.0.1:5062;transport=udp>\n\
User-Agent: TestPhone 1.0\n\
{extra}Content-Length: 0\n\n"
    )
}

fn auth() -> &'static str {
    "Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"n1\", uri=\"sip:example.com\", response=\"00\"\n"
}

fn reply(status: &str, cseq: u32, extra: &str) -> String {
    format!(
        "SIP/2.0 {status}\n\
Via: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK-{cseq}\n\
From: <sip:alice@example.com>;tag=a1\n\
To: \"Alice\" <sip:alice@Example.COM;transport=udp>;tag=srv\n\
Call-ID: r1\n\
CSeq: {cseq} REGISTER\n\
{extra}Content-Length: 0\n\n"
    )
}

const CHALLENGE: &str =
    "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n1\", algorithm=MD5\n";

/// Feeds (time, from the UA?, text) in order; the other side is the registrar.
fn run(steps: &[(i64, bool, String)], end: i64) -> Registrations {
    let mut txs = Transactions::default();
    let mut reg = RegistrationTracker::new();
    for (ts, from_ua, text) in steps {
        let (src, dst) = if *from_ua { (UA, REG) } else { (REG, UA) };
        let m = msg(*ts, src, dst, text);
        let ev = txs.on_message(&m);
        reg.on_message(&m, ev, &txs);
    }
    reg.finish(end).registrations
}

fn one(r: &Registrations) -> &RegistrationAttempt {
    assert_eq!(r.attempts.len(), 1, "{:#?}", r.attempts);
    &r.attempts[0]
}

fn failed(a: &RegistrationAttempt, cause: FailureCause) {
    assert_eq!(
        (a.outcome, a.cause),
        (RegOutcome::Failed, Some(cause)),
        "{a:#?}"
    );
}

#[test]
fn challenge_then_200_is_one_registered_attempt() {
    let r = run(
        &[
            (0, true, register(1, "Expires: 3600\n")),
            (10_000_000, false, reply("401 Unauthorized", 1, CHALLENGE)),
            (
                20_000_000,
                true,
                register(2, &format!("Expires: 3600\n{}", auth())),
            ),
            (
                50_000_000,
                false,
                reply(
                    "200 OK",
                    2,
                    "Contact: <sip:alice@10.0.0.1:5062;transport=udp>;expires=600\nExpires: 3600\n",
                ),
            ),
        ],
        10 * S,
    );
    let a = one(&r);
    assert_eq!(a.outcome, RegOutcome::Registered);
    assert_eq!(a.cause, None);
    assert_eq!(a.aor, "sip:alice@example.com");
    assert_eq!(a.call_id, "r1");
    assert_eq!(a.registrar, REG.parse().unwrap());
    assert_eq!(a.client, UA.parse().unwrap());
    assert_eq!(a.user_agent.as_deref(), Some("TestPhone 1.0"));
    assert_eq!((a.challenges, a.requests, a.retransmissions), (1, 2, 0));
    assert_eq!(a.rrd_ms, Some(50.0));
    assert_eq!((a.final_code, a.final_ts_ns), (Some(200), Some(50_000_000)));
    assert_eq!(
        (a.requested_expires, a.granted_expires),
        (Some(3600), Some(600))
    );
    assert!(!a.requested_expires_defaulted && !a.is_refresh && !a.is_deregistration);
    let st = &r.aors[0];
    assert_eq!(st.state, AorStateKind::Registered);
    assert_eq!(st.registered_until_ns, Some(50_000_000 + 600 * S));
    assert_eq!((st.attempts, st.refreshes, st.registered), (1, 0, 1));
}

#[test]
fn wrong_password_is_auth_rejected() {
    let r = run(
        &[
            (0, true, register(1, "")),
            (S / 100, false, reply("401 Unauthorized", 1, CHALLENGE)),
            (S / 50, true, register(2, auth())),
            (S / 25, false, reply("401 Unauthorized", 2, CHALLENGE)),
        ],
        2 * S, // the capture ends soon after: a rejected password is not pending
    );
    let a = one(&r);
    failed(a, FailureCause::AuthRejected);
    assert_eq!((a.final_code, a.challenges, a.requests), (Some(401), 2, 2));
    assert_eq!(a.rrd_ms, None);
    assert_eq!(r.aors[0].state, AorStateKind::Failed);
}

#[test]
fn interval_too_brief_then_retry_is_one_attempt() {
    let r = run(
        &[
            (0, true, register(1, "Expires: 30\n")),
            (
                S / 10,
                false,
                reply("423 Interval Too Brief", 1, "Min-Expires: 60\n"),
            ),
            (S / 5, true, register(2, "Expires: 60\n")),
            (S / 4, false, reply("200 OK", 2, "Expires: 60\n")),
        ],
        10 * S,
    );
    let a = one(&r);
    assert_eq!(a.outcome, RegOutcome::Registered);
    assert_eq!(a.min_expires, Some(60));
    // Asked 30 (the first REGISTER), told Min-Expires 60, granted 60.
    assert_eq!(
        (a.requested_expires, a.granted_expires),
        (Some(30), Some(60))
    );
    assert_eq!((a.challenges, a.requests), (0, 2));
}

#[test]
fn interval_too_brief_without_retry() {
    let steps = [
        (0, true, register(1, "Expires: 30\n")),
        (
            S / 10,
            false,
            reply("423 Interval Too Brief", 1, "Min-Expires: 300\n"),
        ),
    ];
    let a = run(&steps, 40 * S).attempts[0].clone();
    failed(&a, FailureCause::IntervalTooBrief);
    assert_eq!((a.min_expires, a.final_code), (Some(300), Some(423)));
    // The capture ended before the client had to retry.
    assert_eq!(run(&steps, 5 * S).attempts[0].outcome, RegOutcome::Pending);
}

#[test]
fn service_unavailable_keeps_retry_after() {
    let r = run(
        &[
            (0, true, register(1, "")),
            (
                S,
                false,
                reply(
                    "503 Service Unavailable",
                    1,
                    "Retry-After: 120 (maintenance);duration=60\n",
                ),
            ),
        ],
        2 * S,
    );
    let a = one(&r);
    failed(a, FailureCause::ServiceUnavailable);
    assert_eq!((a.retry_after_s, a.final_ts_ns), (Some(120), Some(S)));
}

#[test]
fn final_failure_codes_map_to_causes() {
    for (status, cause) in [
        ("403 Forbidden", FailureCause::Forbidden),
        ("404 Not Found", FailureCause::NotFound),
        ("408 Request Timeout", FailureCause::Timeout),
        ("500 Server Internal Error", FailureCause::ServerError),
        ("504 Server Time-out", FailureCause::ServerError),
        ("302 Moved Temporarily", FailureCause::Other),
        ("480 Temporarily Unavailable", FailureCause::Other),
        ("603 Decline", FailureCause::Other),
    ] {
        let r = run(
            &[(0, true, register(1, "")), (S, false, reply(status, 1, ""))],
            2 * S,
        );
        let a = one(&r);
        failed(a, cause);
        assert_eq!(a.final_code, status[..3].parse().ok());
        assert_eq!(r.aors[0].state, AorStateKind::Failed);
    }
}

#[test]
fn no_response_after_timer_f() {
    let steps: Vec<_> = [0, S / 2, 3 * S / 2, 7 * S / 2]
        .into_iter()
        .map(|t| (t, true, register(1, "")))
        .collect();
    let r = run(&steps, 40 * S);
    let a = one(&r);
    failed(a, FailureCause::NoResponse);
    assert_eq!((a.requests, a.retransmissions, a.final_code), (4, 3, None));
    assert_eq!(a.last_request_ns, 7 * S / 2);
}

/// Issue #15: a capture that ends seconds after the failure, before Timer F,
/// must still say NO_RESPONSE for a REGISTER retransmitted without an answer
/// (it said PENDING, and the finding never came).
#[test]
fn retransmitted_register_unanswered_at_capture_end_is_no_response() {
    let steps: Vec<_> = [0, S / 2, 3 * S / 2, 7 * S / 2]
        .into_iter()
        .map(|t| (t, true, register(1, "")))
        .collect();
    let r = run(&steps, 5 * S);
    failed(one(&r), FailureCause::NoResponse);
    assert_eq!(r.aors[0].state, AorStateKind::Failed);
    // Sent once, 0.3 s before the end: still pending (less than T1).
    let r = run(&[(0, true, register(1, ""))], 3 * S / 10);
    assert_eq!(
        (one(&r).outcome, one(&r).cause),
        (RegOutcome::Pending, None)
    );
    assert_eq!(r.aors[0].state, AorStateKind::Pending);
    // Sent once, 2 s before the end, never retransmitted: the UDP client would have.
    let r = run(&[(0, true, register(1, ""))], 2 * S);
    failed(one(&r), FailureCause::NoResponse);
}

#[test]
fn provisional_only_is_no_final_response() {
    let r = run(
        &[
            (0, true, register(1, "")),
            (S / 100, false, reply("100 Trying", 1, "")),
        ],
        33 * S,
    );
    failed(one(&r), FailureCause::NoFinalResponse);
}

#[test]
fn refresh_after_200_is_a_new_attempt() {
    let ok = |c| {
        reply(
            "200 OK",
            c,
            "Contact: <sip:alice@10.0.0.1:5062>;expires=60\n",
        )
    };
    let r = run(
        &[
            (0, true, register(1, "Expires: 60\n")),
            (S / 10, false, ok(1)),
            (50 * S, true, register(2, "Expires: 60\n")),
            (50 * S + S / 10, false, ok(2)),
            // A refresh that is challenged is still one attempt.
            (100 * S, true, register(3, "Expires: 60\n")),
            (
                100 * S + S / 10,
                false,
                reply("401 Unauthorized", 3, CHALLENGE),
            ),
            (
                100 * S + S / 5,
                true,
                register(4, &format!("Expires: 60\n{}", auth())),
            ),
            (100 * S + S / 2, false, ok(4)),
        ],
        120 * S,
    );
    let a = &r.attempts;
    assert_eq!(a.len(), 3);
    assert!(a.iter().all(|a| a.outcome == RegOutcome::Registered));
    assert_eq!(
        a.iter().map(|a| a.is_refresh).collect::<Vec<_>>(),
        [false, true, true]
    );
    assert_eq!(
        (a[2].challenges, a[2].requests, a[2].rrd_ms),
        (1, 2, Some(500.0))
    );
    let st = &r.aors[0];
    assert_eq!((st.attempts, st.refreshes, st.registered), (3, 2, 3));
    assert_eq!(st.state, AorStateKind::Registered);
    assert_eq!(st.registered_until_ns, Some(160 * S + S / 2));
}

#[test]
fn registration_that_lapses_is_expired() {
    let r = run(
        &[
            (0, true, register(1, "Expires: 3600\n")),
            (
                S,
                false,
                reply(
                    "200 OK",
                    1,
                    "Contact: <sip:alice@10.0.0.1:5062>;expires=60\n",
                ),
            ),
        ],
        100 * S,
    );
    assert_eq!(one(&r).granted_expires, Some(60));
    assert_eq!(r.aors[0].state, AorStateKind::Expired);
    assert_eq!(r.aors[0].registered_until_ns, Some(61 * S));
}

#[test]
fn deregistration() {
    let r = run(
        &[
            (0, true, register(1, "")),
            (
                S,
                false,
                reply(
                    "200 OK",
                    1,
                    "Contact: <sip:alice@10.0.0.1:5062>;expires=3600\n",
                ),
            ),
            (10 * S, true, register(2, "Expires: 0\n")),
            (11 * S, false, reply("200 OK", 2, "")),
        ],
        20 * S,
    );
    let a = &r.attempts;
    assert_eq!(a.len(), 2);
    assert!(a[0].requested_expires_defaulted);
    assert_eq!(a[0].requested_expires, Some(DEFAULT_EXPIRES));
    assert!(a[1].is_deregistration && a[1].is_refresh);
    assert_eq!(
        (a[1].requested_expires, a[1].granted_expires),
        (Some(0), Some(0))
    );
    assert_eq!(r.aors[0].state, AorStateKind::Deregistered);
    assert_eq!(r.aors[0].registered_until_ns, Some(11 * S));

    // The wildcard form.
    let star = register(1, "Expires: 0\n").replace(
        "Contact: <sip:alice@10.0.0.1:5062;transport=udp>",
        "Contact: *",
    );
    let r = run(
        &[(0, true, star), (S, false, reply("200 OK", 1, ""))],
        2 * S,
    );
    assert!(one(&r).is_deregistration);
    assert_eq!(r.aors[0].state, AorStateKind::Deregistered);
}

#[test]
fn first_challenge_never_answered() {
    let steps = [
        (0, true, register(1, "")),
        (S, false, reply("401 Unauthorized", 1, CHALLENGE)),
    ];
    let r = run(&steps, 60 * S);
    let a = one(&r);
    failed(a, FailureCause::ChallengeUnanswered);
    assert_eq!((a.challenges, a.final_code), (1, Some(401)));
    // The capture ended while the client could still answer.
    assert_eq!(run(&steps, 3 * S).attempts[0].outcome, RegOutcome::Pending);
}

#[test]
fn stale_nonce_is_a_challenge_to_answer() {
    let stale = "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n2\", stale=TRUE\n";
    let steps = [
        (0, true, register(1, auth())),
        (S, false, reply("401 Unauthorized", 1, stale)),
    ];
    assert_eq!(run(&steps, 3 * S).attempts[0].outcome, RegOutcome::Pending);
    failed(
        &run(&steps, 60 * S).attempts[0],
        FailureCause::ChallengeUnanswered,
    );
}

#[test]
fn new_register_without_credentials_or_late_starts_a_new_attempt() {
    let r = run(
        &[
            (0, true, register(1, "")),
            (S, false, reply("401 Unauthorized", 1, CHALLENGE)),
            (2 * S, true, register(2, "")),
            (
                3 * S,
                false,
                reply("401 Unauthorized", 2, &CHALLENGE.replace("n1", "n2")),
            ),
            // Credentials 37 s later, over an older nonce: a retry, not an answer.
            (40 * S, true, register(3, auth())),
            (41 * S, false, reply("200 OK", 3, "")),
        ],
        50 * S,
    );
    let a = &r.attempts;
    assert_eq!(a.len(), 3);
    failed(&a[0], FailureCause::ChallengeUnanswered);
    failed(&a[1], FailureCause::ChallengeUnanswered);
    assert_eq!(a[2].outcome, RegOutcome::Registered);
    assert_eq!(a[2].granted_expires, None);
    // Registered for the requested 3600 s when the 200 grants nothing explicit.
    assert_eq!(r.aors[0].registered_until_ns, Some(41 * S + 3600 * S));
}

#[test]
fn slow_answer_with_the_challenges_nonce_is_a_step() {
    // As in sngrep's aaa.pcap: the client answers 34 s later, the registrar finds the nonce old.
    let r = run(
        &[
            (0, true, register(1, "")),
            (S / 10, false, reply("401 Unauthorized", 1, CHALLENGE)),
            (34 * S, true, register(2, auth())),
            (
                34 * S + S / 10,
                false,
                reply("401 nonce has changed", 2, &CHALLENGE.replace("n1", "n2")),
            ),
        ],
        100 * S,
    );
    let a = one(&r);
    failed(a, FailureCause::AuthRejected);
    assert_eq!((a.challenges, a.requests), (2, 2));
}

#[test]
fn compact_header_forms() {
    let req = "REGISTER sip:example.com SIP/2.0\n\
v: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK-c1\n\
f: <sip:bob@example.com>;tag=b1\n\
t: sip:Bob@EXAMPLE.com:5060;user=phone\n\
i: compact-1\n\
CSeq: 7 REGISTER\n\
m: \"Bob, desk\" <sip:bob@10.0.0.1:5062>;expires=120\n\
l: 0\n\n";
    let ok = "SIP/2.0 200 OK\n\
v: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK-c1\n\
f: <sip:bob@example.com>;tag=b1\n\
t: sip:Bob@EXAMPLE.com:5060;user=phone;tag=x\n\
i: compact-1\n\
CSeq: 7 REGISTER\n\
m: <sip:bob@10.0.0.9:5999>;expires=300, <sip:bob@10.0.0.1:5062;ob>;expires=90\n\
l: 0\n\n";
    let r = run(&[(0, true, req.into()), (S / 5, false, ok.into())], S);
    let a = one(&r);
    assert_eq!(a.outcome, RegOutcome::Registered);
    assert_eq!(
        (a.call_id.as_str(), a.aor.as_str()),
        ("compact-1", "sip:Bob@example.com")
    );
    assert_eq!(
        (a.requested_expires, a.granted_expires),
        (Some(120), Some(90))
    );
    assert_eq!(a.rrd_ms, Some(200.0));
}

#[test]
fn proxied_register_is_one_attempt_on_the_first_hop() {
    const P: &str = "10.0.0.5:5060";
    let hop2 = |t: &str| {
        t.replace(
            "Via: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK-",
            "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-p",
        )
    };
    let mut txs = Transactions::default();
    let mut reg = RegistrationTracker::new();
    let mut feed = |ts: i64, src: &str, dst: &str, text: String| {
        let m = msg(ts, src, dst, &text);
        let ev = txs.on_message(&m);
        reg.on_message(&m, ev, &txs);
    };
    feed(0, UA, P, register(1, ""));
    feed(1, P, REG, hop2(&register(1, "")));
    feed(2, REG, P, hop2(&reply("401 Unauthorized", 1, CHALLENGE)));
    feed(3, P, UA, reply("401 Unauthorized", 1, CHALLENGE));
    feed(10, UA, P, register(2, auth()));
    feed(11, P, REG, hop2(&register(2, auth())));
    feed(12, REG, P, hop2(&reply("200 OK", 2, "")));
    feed(13, P, UA, reply("200 OK", 2, ""));
    let r = reg.finish(S).registrations;
    let a = one(&r);
    assert_eq!(a.outcome, RegOutcome::Registered);
    assert_eq!(
        (a.registrar, a.client),
        (P.parse().unwrap(), UA.parse().unwrap())
    );
    assert_eq!((a.requests, a.challenges, a.final_ts_ns), (2, 1, Some(13)));
    assert_eq!(r.stats.other_hop_requests, 2);
}

#[test]
fn aor_normalisation() {
    for (uri, aor) in [
        (
            &b"sip:Alice@Example.COM:5060;transport=udp"[..],
            "sip:Alice@example.com",
        ),
        (b"<SIPS:alice:secret@EXAMPLE.com>", "sips:alice@example.com"),
        (b"sip:[2001:DB8::1]:5060", "sip:[2001:db8::1]"),
        (b"sip:example.com?subject=x", "sip:example.com"),
        (
            b"tel:+1-555-0100;phone-context=example.com",
            "tel:+1-555-0100",
        ),
    ] {
        assert_eq!(normalize_uri(uri, false), aor);
    }
    assert_eq!(
        normalize_uri(b"sip:a@Host:5062;ob", true),
        "sip:a@host:5062"
    );
}

/// Feeds (time, Call-ID, from the UA?, text of chain r1) to a tracker with `limits`.
fn run_limited(
    limits: RegLimits,
    steps: &[(i64, &str, bool, String)],
    end: i64,
) -> FinishedRegistrations {
    let mut txs = Transactions::default();
    let mut reg = RegistrationTracker::with_limits(limits, usize::MAX, None);
    for (ts, call_id, from_ua, text) in steps {
        let (src, dst) = if *from_ua { (UA, REG) } else { (REG, UA) };
        let text = text.replace("Call-ID: r1\n", &format!("Call-ID: {call_id}\n"));
        let m = msg(*ts, src, dst, &text);
        let ev = txs.on_message(&m);
        reg.on_message(&m, ev, &txs);
    }
    reg.finish(end)
}

fn by_call_id<'a>(r: &'a Registrations, call_id: &str) -> Vec<&'a RegistrationAttempt> {
    r.attempts.iter().filter(|a| a.call_id == call_id).collect()
}

/// Issue #17: 333,000 unanswered REGISTERs of a million-Call-ID capture were all
/// held to the end. Past `model.registration_attempts` the attempt whose last
/// REGISTER is oldest is closed at once, judged from what was seen by then.
#[test]
fn open_attempts_past_their_limit_are_closed_early_and_counted() {
    let limits = RegLimits {
        max_open: 2,
        ..Default::default()
    };
    let f = run_limited(
        limits,
        &[
            (0, "c1", true, register(1, "")),
            (S, "c2", true, register(1, "")),
            (2 * S, "c3", true, register(1, "")),
            // c1 was closed at 2 s: its answer now comes too late to count.
            (2 * S + 1, "c1", false, reply("200 OK", 1, "")),
            (3 * S, "c2", false, reply("200 OK", 1, "")),
        ],
        60 * S,
    );
    assert_eq!(f.limits.attempts_evicted, 1);
    assert_eq!(f.limits.chains_evicted, 0);
    assert_eq!(f.limits.peak_open, 2);
    let r = &f.registrations;
    assert_eq!(r.attempts.len(), 3, "every attempt has its record");
    let c1 = by_call_id(r, "c1");
    failed(c1[0], FailureCause::NoResponse);
    assert_eq!(c1[0].last_request_ns, 0);
    assert_eq!(r.stats.late_responses, 1);
    // The rest are judged as without the limit.
    assert_eq!(by_call_id(r, "c2")[0].outcome, RegOutcome::Registered);
    failed(by_call_id(r, "c3")[0], FailureCause::NoResponse);
}

/// The least recently active attempt goes first, not the first opened: a chain
/// that registered again since is younger than one that has been silent.
#[test]
fn the_attempt_evicted_is_the_least_recently_active() {
    let limits = RegLimits {
        max_open: 2,
        ..Default::default()
    };
    let f = run_limited(
        limits,
        &[
            (0, "c1", true, register(1, "Expires: 60\n")),
            (1, "c1", false, reply("200 OK", 1, "Expires: 60\n")),
            (S, "c2", true, register(1, "Expires: 60\n")),
            (S + 1, "c2", false, reply("200 OK", 1, "Expires: 60\n")),
            // c1 refreshes: its first attempt closes, the refresh is the youngest.
            (30 * S, "c1", true, register(2, "Expires: 60\n")),
            (30 * S + 1, "c1", false, reply("200 OK", 2, "Expires: 60\n")),
            (31 * S, "c3", true, register(1, "Expires: 60\n")),
            (31 * S + 1, "c3", false, reply("200 OK", 1, "Expires: 60\n")),
        ],
        40 * S,
    );
    assert_eq!(f.limits.attempts_evicted, 1);
    let r = &f.registrations;
    // c2 was evicted at 31 s: already REGISTERED, its record is what it would have been.
    let c2 = by_call_id(r, "c2");
    assert_eq!(c2.len(), 1);
    assert_eq!(c2[0].outcome, RegOutcome::Registered);
    assert_eq!(c2[0].granted_expires, Some(60));
    let c1 = by_call_id(r, "c1");
    assert_eq!(c1.len(), 2);
    assert!(c1[1].is_refresh, "the chain is remembered: {:#?}", c1[1]);
    // AOR states cover every attempt: alice is registered (c1 and c3 until 90 s).
    assert_eq!(r.aors.len(), 1);
    assert_eq!(r.aors[0].state, AorStateKind::Registered);
}

/// Past `model.registration_chains` the least recently active chain is
/// forgotten: its open attempt closed early, its next REGISTER a new chain (not
/// a refresh); both counted.
#[test]
fn chains_past_their_limit_are_forgotten_and_counted() {
    let limits = RegLimits {
        max_chains: 2,
        ..Default::default()
    };
    let f = run_limited(
        limits,
        &[
            (0, "c1", true, register(1, "")),
            (1, "c1", false, reply("200 OK", 1, "")),
            (S, "c2", true, register(1, "")),
            (S + 1, "c2", false, reply("200 OK", 1, "")),
            (2 * S, "c3", true, register(1, "")),
            (2 * S + 1, "c3", false, reply("200 OK", 1, "")),
            // c1 was forgotten at 2 s: this refresh starts a chain of its own.
            (3 * S, "c1", true, register(2, "")),
            (3 * S + 1, "c1", false, reply("200 OK", 2, "")),
        ],
        10 * S,
    );
    assert_eq!(f.limits.chains_evicted, 2, "c1, then c2 for c1's return");
    assert_eq!(f.limits.attempts_evicted, 2);
    let r = &f.registrations;
    assert_eq!(r.stats.chains, 4);
    let c1 = by_call_id(r, "c1");
    assert_eq!(c1.len(), 2);
    assert!(c1.iter().all(|a| a.outcome == RegOutcome::Registered));
    assert!(
        !c1[1].is_refresh,
        "a forgotten chain's REGISTER is not a refresh"
    );
    assert_eq!(by_call_id(r, "c2")[0].outcome, RegOutcome::Registered);
}

/// Once a bound has been hit, each REGISTER queues one entry per order; stale
/// ones are dropped as they pile up, so a chain refreshed 20,000 times keeps the
/// queues small.
#[test]
fn the_eviction_queues_stay_within_the_state_they_order() {
    let mut txs = Transactions::default();
    let limits = RegLimits {
        max_open: 1,
        max_chains: 1,
    };
    let mut reg = RegistrationTracker::with_limits(limits, 10, None);
    let mut feed = |reg: &mut RegistrationTracker, ts: i64, from_ua: bool, text: &str| {
        let (src, dst) = if from_ua { (UA, REG) } else { (REG, UA) };
        let m = msg(ts, src, dst, text);
        let ev = txs.on_message(&m);
        reg.on_message(&m, ev, &txs);
        txs.sweep(ts);
    };
    // Another chain first: r1's first REGISTER puts the tracker past both bounds.
    feed(
        &mut reg,
        0,
        true,
        &register(1, "").replace("Call-ID: r1", "Call-ID: r0"),
    );
    for k in 1..=20_000u32 {
        let ts = i64::from(k) * S;
        feed(&mut reg, ts, true, &register(k, ""));
        feed(&mut reg, ts, false, &reply("200 OK", k, ""));
    }
    assert!(reg.queued() <= 2 * (1024 + 4), "{}", reg.queued());
    let f = reg.finish(20_001 * S);
    assert_eq!((f.limits.attempts_evicted, f.limits.chains_evicted), (1, 1));
    assert_eq!(f.limits.peak_open, 1);
    assert_eq!(f.registrations.stats.chains, 2);
}
