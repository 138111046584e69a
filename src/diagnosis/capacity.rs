//! CAPACITY_503_ONSET: when 503 Service Unavailable begins, and the load at
//! that moment — calls and registrations in flight, and new ones per second
//! over the preceding window — with the Retry-After values the server sent.
//! 503 is how a SIP server says "too much": the onset is the capacity signal.

use super::{secs, Evidence, Finding, Input, Kind, Severity};
use crate::model::registration::{FailureCause, RegOutcome};
use std::collections::BTreeMap;

/// The rate before the onset is measured over this window.
pub const WINDOW_NS: i64 = 10_000_000_000;

pub(super) fn detect(input: &Input<'_>, out: &mut Vec<Finding>) {
    // Every 503 toward a client: (time, Retry-After, what, id).
    let mut events: Vec<(i64, Option<u32>, &'static str, &str)> = Vec::new();
    for c in input.calls {
        if c.final_code == Some(503) {
            events.push((
                c.final_ns.unwrap_or(c.start_ns),
                c.retry_after_s,
                "INVITE",
                &c.call_id,
            ));
        }
    }
    for a in &input.registrations.attempts {
        if a.cause == Some(FailureCause::ServiceUnavailable) {
            events.push((
                a.final_ts_ns.unwrap_or(a.first_ts_ns),
                a.retry_after_s,
                "REGISTER",
                &a.call_id,
            ));
        }
    }
    if events.is_empty() {
        return;
    }
    events.sort_by_key(|e| e.0);
    let onset = events[0].0;
    let end = input.capture_end_ns;
    // In flight at the onset: started, not yet finished.
    // An answered call lasts until its BYE (or the end of the capture); the others until their final response.
    let done_at = |c: &crate::model::call::CallRecord| match c.category {
        crate::model::call::Category::Success => c.end_ns.unwrap_or(end),
        _ => c.final_ns.unwrap_or(end),
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
    let from = onset - WINDOW_NS;
    let new_calls = input
        .calls
        .iter()
        .filter(|c| c.start_ns > from && c.start_ns <= onset)
        .count();
    let new_regs = input
        .registrations
        .attempts
        .iter()
        .filter(|a| a.first_ts_ns > from && a.first_ts_ns <= onset)
        .count();
    let w = secs(WINDOW_NS);
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
    ev.count("new_calls_in_preceding_10s", new_calls as u64);
    ev.count("new_registrations_in_preceding_10s", new_regs as u64);
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
    let (what, severity) = if events.len() >= 3 {
        ("503s begin", Severity::Critical)
    } else {
        ("a 503 appears", Severity::Warning)
    };
    out.push(Finding {
        kind: Kind::Capacity503Onset,
        severity,
        summary: format!(
            "{what} at +{:.1} s ({} in all; {retry}) with {calls_in_flight} call(s) and {regs_in_flight} registration(s) in flight, {:.1} new calls/s and {:.1} REGISTERs/s before",
            secs(onset - input.capture_start_ns),
            events.len(),
            new_calls as f64 / w,
            new_regs as f64 / w
        ),
        evidence: ev,
        advice: vec![
            "The load at the onset is the server's practical capacity for this traffic mix: compare it with the rated capacity".into(),
            "Clients must honour Retry-After; a load test should back off, not retry at once".into(),
            "Check the server's CPU, worker processes, database and license limits at that moment".into(),
            "Spread registrations over a longer build-up (registration storms after a restart are a classic 503 trigger)".into(),
        ],
    });
}
