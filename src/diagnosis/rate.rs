//! RATE_LIMITED and FLOOD_BLACKHOLE: what a server does to one source address
//! that sends too much.
//!
//! Rate limiting: from one source IP, the first K requests (REGISTERs, or
//! INVITEs) succeed, then most of the rest get 403 or 503 — across several
//! accounts, which tells it from an account lockout. K is the limit, and the
//! time from the first request to the first refusal is the window.
//!
//! Blackholing: after a burst from one source IP, the server stops answering
//! that address at all — while it still answers others — for a long time.

use super::{host, secs, Evidence, Finding, Input, Kind, Severity};
use crate::model::call::Category;
use crate::model::registration::{FailureCause, RegOutcome};
use std::collections::{BTreeMap, BTreeSet};

/// Refusals after the last success needed to call it a rate limit.
pub const MIN_REFUSALS: usize = 3;
/// Unanswered requests from one source needed to call it blackholed…
pub const MIN_UNANSWERED: usize = 3;
/// …over at least this long.
pub const MIN_SILENCE_NS: i64 = 30_000_000_000;

/// One request from a source: when, to whom, for which account, and how it ended.
struct Req<'a> {
    ts: i64,
    server: String,
    account: &'a str,
    id: &'a str,
    ok: bool,
    refused: bool,
    unanswered: bool,
}

fn by_source<'a>(input: &Input<'a>) -> BTreeMap<(String, &'static str), Vec<Req<'a>>> {
    let mut m: BTreeMap<(String, &'static str), Vec<Req<'_>>> = BTreeMap::new();
    for a in &input.registrations.attempts {
        if a.outcome == RegOutcome::Pending {
            continue;
        }
        m.entry((host(&a.client), "REGISTER"))
            .or_default()
            .push(Req {
                ts: a.first_ts_ns,
                server: host(&a.registrar),
                account: &a.aor,
                id: &a.call_id,
                ok: a.outcome == RegOutcome::Registered,
                refused: matches!(
                    a.cause,
                    Some(FailureCause::Forbidden | FailureCause::ServiceUnavailable)
                ) || a.final_code == Some(429),
                unanswered: matches!(a.cause, Some(FailureCause::NoResponse)),
            });
    }
    for c in input.calls {
        if c.category == Category::Incomplete {
            continue;
        }
        m.entry((host(&c.caller), "INVITE")).or_default().push(Req {
            ts: c.start_ns,
            server: host(&c.first_hop),
            account: &c.from_uri,
            id: &c.call_id,
            // Any final response but a refusal means the server let the call through.
            ok: c.final_code.is_some() && !matches!(c.final_code, Some(403 | 503 | 429)),
            refused: matches!(c.final_code, Some(403 | 503 | 429)),
            unanswered: c.category == Category::NoAnswer,
        });
    }
    for v in m.values_mut() {
        v.sort_by_key(|r| r.ts);
    }
    m
}

pub(super) fn detect(input: &Input<'_>, out: &mut Vec<Finding>) {
    let sources = by_source(input);
    // Servers that answered someone: silence toward one source is then targeted.
    let mut answered_by: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for ((src, _), reqs) in &sources {
        for r in reqs.iter().filter(|r| !r.unanswered) {
            answered_by
                .entry(r.server.as_str())
                .or_default()
                .insert(src.as_str());
        }
    }
    for ((src, method), reqs) in &sources {
        rate_limit(src, method, reqs, out);
        blackhole(src, method, reqs, &answered_by, input.capture_end_ns, out);
    }
}

fn rate_limit(src: &str, method: &str, reqs: &[Req<'_>], out: &mut Vec<Finding>) {
    let Some(first_refusal) = reqs.iter().position(|r| r.refused) else {
        return;
    };
    let k = reqs[..first_refusal].iter().filter(|r| r.ok).count();
    if k == 0 {
        return;
    }
    let after = &reqs[first_refusal..];
    let refused = after.iter().filter(|r| r.refused).count();
    let accounts: BTreeSet<&str> = after
        .iter()
        .filter(|r| r.refused)
        .map(|r| r.account)
        .collect();
    // Most of what follows is refused, and not one account alone (that would be a lockout).
    if refused < MIN_REFUSALS || refused * 10 < after.len() * 8 || accounts.len() < 2 {
        return;
    }
    let window = reqs[first_refusal].ts - reqs[0].ts;
    let mut ev = Evidence::default();
    ev.address(src);
    after.iter().filter(|r| r.refused).for_each(|r| {
        ev.call_id(r.id);
        ev.address(&r.server);
    });
    ev.span(reqs[0].ts);
    ev.span(reqs[first_refusal].ts);
    ev.count("accepted_before_limit", k as u64);
    ev.count("refused", refused as u64);
    ev.count("accounts_refused", accounts.len() as u64);
    ev.detail(format!(
        "{k} {method}(s) accepted in {:.1} s, then {refused} of {} refused (403/503)",
        secs(window),
        after.len()
    ));
    out.push(Finding {
        kind: Kind::RateLimited,
        severity: Severity::Error,
        summary: format!("{src}: {k} {method}(s) accepted within {:.1} s, then refused: a per-source rate limit of about {k}", secs(window)),
        evidence: ev,
        advice: vec![
            format!("The server limits {method}s per source address: spread the load over more source IPs, or lower the rate from {src}"),
            "Ask for the limit (kamailio pike, an SBC's per-IP policy) and whether this address can be allow-listed".into(),
            "For a load test: lengthen the build-up so the rate stays under the limit".into(),
        ],
    });
}

fn blackhole(
    src: &str,
    method: &str,
    reqs: &[Req<'_>],
    answered_by: &BTreeMap<&str, BTreeSet<&str>>,
    end: i64,
    out: &mut Vec<Finding>,
) {
    let Some(first_silent) = reqs.iter().position(|r| r.unanswered) else {
        return;
    };
    let silent: Vec<&Req<'_>> = reqs[first_silent..]
        .iter()
        .filter(|r| r.unanswered)
        .collect();
    let answered_later = reqs[first_silent..].iter().any(|r| !r.unanswered);
    if silent.len() < MIN_UNANSWERED || answered_later {
        return;
    }
    let silence = end - reqs[first_silent].ts;
    if silence < MIN_SILENCE_NS {
        return;
    }
    // The same servers still answered other sources: this address is the one dropped.
    let servers: BTreeSet<&str> = silent.iter().map(|r| r.server.as_str()).collect();
    let others_answered = servers.iter().all(|s| {
        answered_by
            .get(s)
            .is_some_and(|set| set.iter().any(|x| *x != src))
    });
    let burst = &reqs[..first_silent];
    if !others_answered || burst.is_empty() {
        return;
    }
    let burst_secs = secs(reqs[first_silent].ts - reqs[0].ts).max(0.001);
    let mut ev = Evidence::default();
    ev.address(src);
    servers.iter().for_each(|s| ev.address(s));
    silent.iter().for_each(|r| ev.call_id(r.id));
    ev.span(reqs[0].ts);
    ev.span(end);
    ev.count("burst_requests", burst.len() as u64);
    ev.count("unanswered", silent.len() as u64);
    ev.count("silence_seconds", (silence / 1_000_000_000) as u64);
    out.push(Finding {
        kind: Kind::FloodBlackhole,
        severity: Severity::Critical,
        summary: format!(
            "{src}: after {} {method}(s) in {burst_secs:.1} s ({:.1}/s), nothing from it was answered for {:.0} s while others were",
            burst.len(),
            burst.len() as f64 / burst_secs,
            secs(silence)
        ),
        evidence: ev,
        advice: vec![
            format!("The server (or a firewall in front) blocks {src} after a burst: check fail2ban / pike / SBC flood protection and its ban time"),
            "Lower the request rate from this address, or have it allow-listed for the test".into(),
            "Until the ban expires, requests from this address are dropped silently: retries only extend it".into(),
        ],
    });
}
