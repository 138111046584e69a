//! Each detector on small built inputs: the pattern it must find, with its
//! numbers, and the clean case where it must stay silent.

use super::*;
use crate::model::call::{CallRecord, Category, Leg};
use crate::model::registration::{FailureCause, RegOutcome, RegistrationAttempt, Registrations};
use crate::sip::Transport;
use std::net::SocketAddr;

const S: i64 = 1_000_000_000;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn reg(
    i: usize,
    aor: &str,
    client: &str,
    ts: i64,
    cause: Option<FailureCause>,
    code: Option<u16>,
) -> RegistrationAttempt {
    RegistrationAttempt {
        call_id: format!("reg-{i}"),
        aor: aor.into(),
        registrar: addr("10.0.0.1:5060"),
        client: addr(client),
        user_agent: Some("UA".into()),
        first_ts_ns: ts,
        final_ts_ns: code.map(|_| ts + S / 10),
        outcome: if cause.is_some() {
            RegOutcome::Failed
        } else {
            RegOutcome::Registered
        },
        cause,
        final_code: code,
        retry_after_s: None,
        // A rejected password: challenged, credentials sent, challenged again. A 403
        // here is a refusal before any challenge (a lock, a rate limit).
        challenges: match cause {
            Some(FailureCause::AuthRejected) => 2,
            Some(FailureCause::Forbidden) => 0,
            _ => 1,
        },
        requests: 2,
        retransmissions: 0,
        requested_expires: Some(3600),
        requested_expires_defaulted: false,
        granted_expires: if cause.is_none() { Some(3600) } else { None },
        is_deregistration: false,
        is_query: false,
        is_refresh: false,
        rrd_ms: if cause.is_none() { Some(10.0) } else { None },
        min_expires: None,
        stale_challenges: 0,
        auth_mismatch: None,
        rejected_credentials: u32::from(cause == Some(FailureCause::AuthRejected)),
        final_reason: None,
        final_warning: None,
        last_request_ns: 0,
    }
}

fn call(i: usize, ts: i64, code: Option<u16>, legs: Vec<Leg>) -> CallRecord {
    let category = match code {
        Some(c) => Category::of_final(c, false),
        None => Category::NoAnswer,
    };
    CallRecord {
        call_id: format!("call-{i}").into(),
        start_ns: ts,
        caller: addr("10.1.0.1:5060").into(),
        first_hop: addr("10.0.0.1:5060").into(),
        destination: legs
            .last()
            .map_or(addr("10.0.0.1:5060").into(), |l| l.server.clone()),
        transport: Transport::Udp,
        from_uri: "sip:a@x".into(),
        to_uri: "sip:b@x".into(),
        request_uri: "sip:b@x".into(),
        user_agent: "UA".into(),
        category,
        final_code: code,
        final_ns: code.map(|_| ts + S).into(),
        retry_after_s: if code == Some(503) { Some(30) } else { None },
        final_reason: None,
        labels: Default::default(),
        pdd_ms: None.into(),
        pdd_code: None,
        srd_ms: None.into(),
        answer_ms: None.into(),
        ring_ms: None.into(),
        duration_ms: None.into(),
        disconnect_ms: None.into(),
        end_ns: if code == Some(200) {
            Some(ts + 60 * S)
        } else {
            None
        }
        .into(),
        hangup_by: None,
        bye_final_code: None,
        auth_challenges: 0,
        invite_transmissions: 1,
        invite_retransmissions: if code.is_none() { 6 } else { 0 },
        reinvites: 0,
        early_dialogs: 0,
        legs: legs.into(),
        b2bua_call_ids: Box::default(),
        fold_keys: None,
        media: None,
    }
}

fn leg(client: &str, server: &str, code: Option<u16>) -> Leg {
    Leg {
        client: addr(client).into(),
        server: addr(server).into(),
        invites: 1,
        final_code: code,
        pdd_ms: None.into(),
        answer_ms: None.into(),
    }
}

fn run(
    calls: &[CallRecord],
    attempts: Vec<RegistrationAttempt>,
    icmp: &[crate::reassembly::IcmpEvent],
) -> Vec<Finding> {
    let regs = Registrations {
        attempts,
        ..Default::default()
    };
    diagnose(&Input {
        calls,
        registrations: &regs,
        icmp,
        capture_start_ns: 0,
        capture_end_ns: 600 * S,
    })
}

fn kinds(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.kind.name()).collect()
}

#[test]
fn a_clean_capture_raises_nothing() {
    let calls: Vec<_> = (0..20)
        .map(|i| {
            call(
                i,
                i as i64 * S,
                Some(200),
                vec![leg("10.1.0.1:5060", "10.0.0.1:5060", Some(200))],
            )
        })
        .collect();
    let regs = (0..20)
        .map(|i| {
            reg(
                i,
                &format!("sip:u{i}@x"),
                "10.2.0.1:5060",
                i as i64 * S,
                None,
                Some(200),
            )
        })
        .collect();
    assert!(run(&calls, regs, &[]).is_empty());
}

#[test]
fn account_lockout_reports_threshold_and_duration() {
    let a = "sip:alice@x";
    let regs = vec![
        reg(
            1,
            a,
            "10.2.0.1:5060",
            0,
            Some(FailureCause::AuthRejected),
            Some(401),
        ),
        reg(
            2,
            a,
            "10.2.0.1:5060",
            5 * S,
            Some(FailureCause::AuthRejected),
            Some(401),
        ),
        reg(
            3,
            a,
            "10.2.0.1:5060",
            10 * S,
            Some(FailureCause::AuthRejected),
            Some(401),
        ),
        reg(
            4,
            a,
            "10.2.0.1:5060",
            15 * S,
            Some(FailureCause::Forbidden),
            Some(403),
        ),
        reg(
            5,
            a,
            "10.2.0.1:5060",
            20 * S,
            Some(FailureCause::Forbidden),
            Some(403),
        ),
        reg(6, a, "10.2.0.1:5060", 315 * S, None, Some(200)),
    ];
    let f = run(&[], regs, &[]);
    let lock = f
        .iter()
        .find(|f| f.kind == Kind::AccountLockout)
        .expect("lockout");
    assert_eq!(lock.evidence.counts["threshold"], 3);
    assert_eq!(lock.evidence.counts["lock_seconds"], 300);
    assert!(
        kinds(&f).contains(&"AUTH_LOOP"),
        "three rejected cycles are a loop too: {:?}",
        kinds(&f)
    );
    assert!(!kinds(&f).contains(&"POOL_LOCKOUT"));
}

#[test]
fn pool_lockout_when_many_accounts_lock_together() {
    let mut regs = Vec::new();
    for (n, u) in ["a", "b", "c", "d"].iter().enumerate() {
        let aor = format!("sip:{u}@x");
        let t = n as i64 * 3 * S;
        regs.push(reg(
            n * 10,
            &aor,
            "10.2.0.1:5060",
            t,
            Some(FailureCause::AuthRejected),
            Some(401),
        ));
        regs.push(reg(
            n * 10 + 1,
            &aor,
            "10.2.0.1:5060",
            t + S,
            Some(FailureCause::AuthRejected),
            Some(401),
        ));
        regs.push(reg(
            n * 10 + 2,
            &aor,
            "10.2.0.1:5060",
            t + 2 * S,
            Some(FailureCause::Forbidden),
            Some(403),
        ));
    }
    let f = run(&[], regs, &[]);
    let pool = f
        .iter()
        .find(|f| f.kind == Kind::PoolLockout)
        .expect("pool lockout");
    assert_eq!(pool.severity, Severity::Critical);
    assert_eq!(pool.evidence.counts["accounts_locked"], 4);
    assert_eq!(f[0].kind, Kind::PoolLockout, "most severe first");
}

#[test]
fn rate_limit_per_source_reports_the_limit() {
    let mut regs: Vec<_> = (0..5)
        .map(|i| {
            reg(
                i,
                &format!("sip:u{i}@x"),
                "10.2.0.9:5060",
                i as i64 * S / 10,
                None,
                Some(200),
            )
        })
        .collect();
    regs.extend((5..12).map(|i| {
        reg(
            i,
            &format!("sip:u{i}@x"),
            "10.2.0.9:5060",
            i as i64 * S / 10,
            Some(FailureCause::Forbidden),
            Some(403),
        )
    }));
    let f = run(&[], regs, &[]);
    let r = f
        .iter()
        .find(|f| f.kind == Kind::RateLimited)
        .expect("rate limited");
    assert_eq!(r.evidence.counts["accepted_before_limit"], 5);
    assert_eq!(r.evidence.counts["refused"], 7);
    assert!(!kinds(&f).contains(&"ACCOUNT_LOCKOUT"));
}

#[test]
fn flood_blackhole_is_silence_toward_one_source_only() {
    let mut regs: Vec<_> = (0..30)
        .map(|i| {
            reg(
                i,
                &format!("sip:u{i}@x"),
                "10.2.0.7:5060",
                i as i64 * S / 20,
                None,
                Some(200),
            )
        })
        .collect();
    for i in 30..36 {
        let mut r = reg(
            i,
            &format!("sip:u{i}@x"),
            "10.2.0.7:5060",
            2 * S + (i as i64 - 30) * 20 * S,
            Some(FailureCause::NoResponse),
            None,
        );
        r.retransmissions = 9;
        regs.push(r);
    }
    // Another source is still answered meanwhile.
    regs.push(reg(
        99,
        "sip:other@x",
        "10.2.0.8:5060",
        100 * S,
        None,
        Some(200),
    ));
    let f = run(&[], regs, &[]);
    let b = f
        .iter()
        .find(|f| f.kind == Kind::FloodBlackhole)
        .expect("blackhole");
    assert_eq!(b.evidence.counts["burst_requests"], 30);
    assert_eq!(b.evidence.counts["unanswered"], 6);
    assert!(
        !kinds(&f).contains(&"NO_RESPONSE"),
        "not a dead server: {:?}",
        kinds(&f)
    );
}

#[test]
fn capacity_onset_reports_load_and_retry_after() {
    let mut calls: Vec<_> = (0..30)
        .map(|i| call(i, i as i64 * S / 3, Some(200), vec![]))
        .collect();
    calls.extend((30..36).map(|i| call(i, i as i64 * S / 3, Some(503), vec![])));
    let f = run(&calls, vec![], &[]);
    let c = f
        .iter()
        .find(|f| f.kind == Kind::Capacity503Onset)
        .expect("503 onset");
    assert_eq!(c.severity, Severity::Critical);
    assert_eq!(c.evidence.counts["responses_503"], 6);
    assert_eq!(c.evidence.counts["retry_after_30s"], 6);
    assert!(c.evidence.counts["calls_in_flight_at_onset"] >= 29);
}

#[test]
fn alternate_routing_after_a_timeout() {
    let c = call(
        1,
        0,
        Some(200),
        vec![
            leg("10.1.0.1:5060", "10.0.0.1:5060", Some(200)),
            leg("10.0.0.1:5060", "10.3.0.1:5060", Some(408)),
            leg("10.0.0.1:5060", "10.3.0.2:5060", Some(200)),
        ],
    );
    let f = run(&[c], vec![], &[]);
    let r = f
        .iter()
        .find(|f| f.kind == Kind::AlternateRouting)
        .expect("rerouted");
    assert_eq!(r.evidence.addresses, ["10.3.0.1:5060", "10.3.0.2:5060"]);
    assert_eq!(r.evidence.counts["succeeded_after_reroute"], 1);
}

#[test]
fn no_response_with_icmp_port_unreachable() {
    let c = call(
        1,
        0,
        None,
        vec![leg("10.1.0.1:5060", "10.0.0.1:5060", None)],
    );
    let icmp = crate::reassembly::IcmpEvent {
        ts_ns: S,
        origin: Default::default(),
        notice: crate::decode::IcmpNotice {
            reporter: "10.0.0.1".parse().unwrap(),
            to: "10.1.0.1".parse().unwrap(),
            v6: false,
            icmp_type: 3,
            code: 3,
            quoted_src: Some(addr("10.1.0.1:5060")),
            quoted_dst: Some(addr("10.0.0.1:5060")),
            quoted_proto: Some(17),
            quotes_sip: true,
        },
    };
    let f = run(&[c], vec![], &[icmp]);
    let n = f
        .iter()
        .find(|f| f.kind == Kind::NoResponse)
        .expect("no response");
    assert_eq!(n.severity, Severity::Critical);
    assert!(n.advice[0].contains("port unreachable"), "{:?}", n.advice);
}

#[test]
fn cac_rejection_on_488() {
    let f = run(&[call(1, 0, Some(488), vec![])], vec![], &[]);
    assert_eq!(kinds(&f), ["CAC_REJECTION"]);
}

#[test]
fn failures_isolated_to_one_registrar() {
    let mut regs: Vec<_> = (0..10)
        .map(|i| {
            reg(
                i,
                &format!("sip:u{i}@x"),
                "10.2.0.1:5060",
                i as i64 * S,
                None,
                Some(200),
            )
        })
        .collect();
    for i in 10..16 {
        let mut r = reg(
            i,
            &format!("sip:v{i}@x"),
            "10.2.0.2:5060",
            i as i64 * S,
            Some(FailureCause::ServerError),
            Some(500),
        );
        r.registrar = addr("10.0.0.2:5060");
        regs.push(r);
    }
    let f = run(&[], regs, &[]);
    assert!(
        f.iter().any(|f| f.kind == Kind::IsolatedFailures
            && f.summary.starts_with("registrar 10.0.0.2:5060")),
        "{:?}",
        kinds(&f)
    );
}

/// `host` writes an address as `Display` does, IPv4 digit by digit.
#[test]
fn a_host_is_written_as_display_writes_it() {
    let mut seed = 0x8f1b_bcdc_bfa5_3e0bu64;
    let mut addrs: Vec<std::net::IpAddr> = [
        "0.0.0.0",
        "255.255.255.255",
        "10.0.0.1",
        "100.9.10.99",
        "::1",
        "2001:db8::5",
    ]
    .iter()
    .map(|a| a.parse().unwrap())
    .collect();
    for _ in 0..100_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        addrs.push(std::net::IpAddr::V4(std::net::Ipv4Addr::from(seed as u32)));
    }
    for ip in addrs {
        let a = std::net::SocketAddr::new(ip, 5060);
        assert_eq!(super::host(&a), ip.to_string());
    }
}
