//! CAPACITY_503_ONSET: when 503 Service Unavailable begins, and the load at
//! that moment — calls and registrations in flight, and new ones per second
//! over the preceding window — with the Retry-After values the server sent.
//! 503 is how a SIP server says "too much": the onset is the capacity signal.

use super::{secs, Evidence, Finding, Input, Kind, Severity};
use crate::model::call::{CallRecord, Category};
use crate::model::registration::{FailureCause, RegOutcome};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

/// The rate before the onset is measured over this window.
pub const WINDOW_NS: i64 = 10_000_000_000;
/// The load at the onset is the rate over this much time before it.
pub const RECENT_NS: i64 = 2_000_000_000;

/// One 503 toward a client.
struct Refusal<'a> {
    ts: i64,
    retry_after: Option<u32>,
    what: &'static str,
    id: &'a str,
    /// The element that said 503: the deepest leg that got it (a callee, a proxy).
    origin: SocketAddr,
    source: IpAddr,
    /// The called user (Request-URI user part), for calls.
    callee: Option<&'a [u8]>,
}

fn user_of(uri: &str) -> Option<&[u8]> {
    Some(crate::sip::values::uri_user(uri.as_bytes())).filter(|u| !u.is_empty())
}

/// 503s explained by something narrower than load, set apart before calling it
/// capacity: a destination that refuses every call sent to it (ISOLATED_FAILURES
/// names it), one callee refused while the same element serves others, one source
/// refused while the same element serves others (RATE_LIMITED names it).
fn attributed(refusals: &[Refusal<'_>], input: &Input<'_>) -> Vec<bool> {
    let ok_calls: Vec<&CallRecord> = input
        .calls
        .iter()
        .filter(|c| c.category == Category::Success)
        .collect();
    // Elements that carried a successful call, and for whom (callee users, sources).
    let served = |origin: SocketAddr| {
        ok_calls
            .iter()
            .filter(move |c| *c.first_hop == origin || c.legs.iter().any(|l| *l.server == origin))
    };
    let ok_regs = |registrar: SocketAddr| {
        input
            .registrations
            .attempts
            .iter()
            .filter(move |a| a.registrar == registrar && a.outcome == RegOutcome::Registered)
    };
    let mut by_origin: BTreeMap<(SocketAddr, &str), Vec<usize>> = BTreeMap::new();
    for (i, r) in refusals.iter().enumerate() {
        by_origin.entry((r.origin, r.what)).or_default().push(i);
    }
    let mut out = vec![false; refusals.len()];
    for ((origin, what), idx) in by_origin {
        let group: Vec<&Refusal<'_>> = idx.iter().map(|i| &refusals[*i]).collect();
        let one_source = group.iter().all(|r| r.source == group[0].source);
        let one_callee =
            group[0].callee.is_some() && group.iter().all(|r| r.callee == group[0].callee);
        let explained = if what == "INVITE" {
            let mut ok = served(origin).peekable();
            if ok.peek().is_none() {
                // Refuses everything it is sent while calls elsewhere succeed: a destination.
                !ok_calls.is_empty()
            } else {
                let ok: Vec<_> = ok.collect();
                (group.len() >= 2
                    && one_callee
                    && ok
                        .iter()
                        .any(|c| user_of(&c.request_uri) != group[0].callee))
                    || (group.len() >= 2
                        && one_source
                        && ok.iter().any(|c| c.caller.ip() != group[0].source))
            }
        } else {
            group.len() >= 2
                && one_source
                && ok_regs(origin).any(|a| a.client.ip() != group[0].source)
        };
        if explained {
            for i in idx {
                out[i] = true;
            }
        }
    }
    out
}

/// New calls and registrations over a span before a moment.
struct Load {
    span: i64,
    calls: usize,
    registrations: usize,
}

impl Load {
    /// Over `span` before `at`, or as much of it as the capture shows (at least 0.1 s).
    fn before(input: &Input<'_>, at: i64, span: i64) -> Load {
        let span = at
            .saturating_sub(input.capture_start_ns)
            .clamp(100_000_000, span);
        let from = at.saturating_sub(span);
        let inside = |t: i64| t > from && t <= at;
        Load {
            span,
            calls: input.calls.iter().filter(|c| inside(c.start_ns)).count(),
            registrations: input
                .registrations
                .attempts
                .iter()
                .filter(|a| inside(a.first_ts_ns))
                .count(),
        }
    }
}

pub(super) fn detect(input: &Input<'_>, out: &mut Vec<Finding>) {
    let mut refusals: Vec<Refusal<'_>> = Vec::new();
    for c in input.calls {
        if c.final_code == Some(503) {
            let origin = c
                .legs
                .iter()
                .rev()
                .find(|l| l.final_code == Some(503))
                .map_or(*c.first_hop, |l| *l.server);
            refusals.push(Refusal {
                ts: c.final_ns.get().unwrap_or(c.start_ns),
                retry_after: c.retry_after_s,
                what: "INVITE",
                id: &c.call_id,
                origin,
                source: c.caller.ip(),
                callee: user_of(&c.request_uri),
            });
        }
    }
    for a in &input.registrations.attempts {
        if a.cause == Some(FailureCause::ServiceUnavailable) {
            refusals.push(Refusal {
                ts: a.final_ts_ns.unwrap_or(a.first_ts_ns),
                retry_after: a.retry_after_s,
                what: "REGISTER",
                id: &a.call_id,
                origin: a.registrar,
                source: a.client.ip(),
                callee: None,
            });
        }
    }
    let explained = attributed(&refusals, input);
    let mut events: Vec<(i64, Option<u32>, &'static str, &str)> = refusals
        .iter()
        .zip(explained)
        .filter(|(_, e)| !e)
        .map(|(r, _)| (r.ts, r.retry_after, r.what, r.id))
        .collect();
    if events.is_empty() {
        return;
    }
    events.sort_by_key(|e| e.0);
    let onset = events[0].0;
    let end = input.capture_end_ns;
    // In flight at the onset: started, not yet finished.
    // An answered call lasts until its BYE (or the end of the capture); the others until their final response.
    let done_at = |c: &crate::model::call::CallRecord| match c.category {
        crate::model::call::Category::Success => c.end_ns.get().unwrap_or(end),
        _ => c.final_ns.get().unwrap_or(end),
    };
    let calls_in_flight = input
        .calls
        .iter()
        .filter(|c| c.start_ns <= onset && done_at(c) > onset)
        .count();
    let regs_in_flight = input
        .registrations
        .attempts
        .iter()
        .filter(|a| a.first_ts_ns <= onset && a.final_ts_ns.unwrap_or(end) > onset)
        .count();
    // The load over the 10 s before the onset (or what the capture shows of them: an
    // onset 0.1 s into the capture, its first 0.1 s), and at the onset itself: over the
    // last RECENT_NS (a ramp's average over the whole window reads low).
    let window = Load::before(input, onset, WINDOW_NS);
    let (new_calls, new_regs, w) = (window.calls, window.registrations, secs(window.span));
    let recent = Load::before(input, onset, RECENT_NS);
    let recent_calls = recent.calls as f64 / secs(recent.span);
    let recent_regs = recent.registrations as f64 / secs(recent.span);
    let mut retry_after: BTreeMap<u32, u64> = BTreeMap::new();
    for e in &events {
        if let Some(r) = e.1 {
            *retry_after.entry(r).or_default() += 1;
        }
    }
    // Share of requests refused with 503 after the onset.
    let calls_after = input.calls.iter().filter(|c| c.start_ns >= onset).count();
    let regs_after = input
        .registrations
        .attempts
        .iter()
        .filter(|a| a.first_ts_ns >= onset && a.outcome != RegOutcome::Pending)
        .count();
    let after = calls_after + regs_after;
    let mut ev = Evidence::default();
    for e in &events {
        ev.call_id(e.3);
        ev.span(e.0);
    }
    ev.count("responses_503", events.len() as u64);
    ev.count("calls_in_flight_at_onset", calls_in_flight as u64);
    ev.count("registrations_in_flight_at_onset", regs_in_flight as u64);
    ev.count("new_calls_in_preceding_window", new_calls as u64);
    ev.count("new_registrations_in_preceding_window", new_regs as u64);
    ev.count("window_ms", (window.span / 1_000_000) as u64);
    ev.count("calls_per_second_at_onset", recent_calls.round() as u64);
    ev.count(
        "registrations_per_second_at_onset",
        recent_regs.round() as u64,
    );
    for (r, n) in &retry_after {
        ev.count(&format!("retry_after_{r}s"), *n);
    }
    ev.detail(format!(
        "load before the onset: {:.1} calls/s and {:.1} REGISTERs/s over {w:.0} s; in flight: {calls_in_flight} call(s), {regs_in_flight} registration(s)",
        new_calls as f64 / w,
        new_regs as f64 / w
    ));
    if after > 0 {
        ev.detail(format!(
            "{} of {after} request(s) from the onset on got 503",
            events.len()
        ));
    }
    let retry = if retry_after.is_empty() {
        "no Retry-After".to_string()
    } else {
        format!(
            "Retry-After {}",
            retry_after
                .keys()
                .map(|r| format!("{r} s"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut advice: Vec<String> = vec![
        "The load at the onset is the server's practical capacity for this traffic mix: compare it with the rated capacity".into(),
        "Clients must honour Retry-After; a load test should back off, not retry at once".into(),
        "Check the server's CPU, worker processes, database and license limits at that moment".into(),
    ];
    if events.iter().any(|e| e.2 == "REGISTER") {
        advice.push("Spread registrations over a longer build-up (registration storms after a restart are a classic 503 trigger)".into());
    }
    if events.iter().any(|e| e.2 == "INVITE") {
        advice.push("Ramp the call rate up in steps to find the rate at which 503s begin, and compare it with the licensed or configured call limit".into());
    }
    let (what, severity) = if events.len() >= 3 {
        ("503s begin", Severity::Critical)
    } else {
        ("a 503 appears", Severity::Warning)
    };
    out.push(Finding {
        kind: Kind::Capacity503Onset,
        severity,
        summary: format!(
            "{what} at +{:.1} s ({} in all; {retry}) at {recent_calls:.1} new calls/s and {recent_regs:.1} REGISTERs/s (the {:.0} s before; {:.1} and {:.1}/s over {w:.0} s), with {calls_in_flight} call(s) and {regs_in_flight} registration(s) in flight",
            secs(onset.saturating_sub(input.capture_start_ns)),
            events.len(),
            secs(recent.span),
            new_calls as f64 / w,
            new_regs as f64 / w
        ),
        evidence: ev,
        advice,
    });
}
