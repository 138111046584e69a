//! ALTERNATE_ROUTING, CAC_REJECTION, ISOLATED_FAILURES and ROUTING_LOOP.
//!
//! Routing loop: requests answered 483 Too Many Hops — Max-Forwards ran out,
//! which in practice means two elements (or one, to itself) route the request
//! back and forth. The hops seen, with the addresses that repeat, name them.
//! Alternate routing: a proxy or session manager tries a call toward one
//! address, gets 408, 500–504 or nothing, and tries the same Call-ID toward
//! another — the primary route is failing even when calls still succeed.
//! 488 Not Acceptable Here is what call admission control and codec policy
//! answer. Isolated failures: one registrar, destination, domain or user agent
//! failing while the others work — the breakdown that points at the culprit.

use super::{host, Evidence, Finding, Input, Kind, Severity};
use crate::model::call::Category;
use crate::model::registration::RegOutcome;
use std::collections::BTreeMap;

/// A group needs this many attempts to be compared with the others…
pub const GROUP_MIN_ATTEMPTS: u64 = 5;
/// …fail at least this share of them…
pub const GROUP_FAILING: f64 = 0.5;
/// …while the rest fail at most this share.
pub const OTHERS_HEALTHY: f64 = 0.1;

pub(super) fn detect(input: &Input<'_>, out: &mut Vec<Finding>) {
    routing_loop(input, out);
    alternate_routing(input, out);
    cac(input, out);
    isolated(input, out);
}

/// A call moved off a route: (Call-ID, start, the failed leg's final code, the call succeeded).
type Moved<'a> = (&'a str, i64, Option<u16>, bool);

fn alternate_routing(input: &Input<'_>, out: &mut Vec<Finding>) {
    // (from, to) → calls moved off `from` onto `to`.
    let mut moves: BTreeMap<(String, String), Vec<Moved<'_>>> = BTreeMap::new();
    for c in input.calls {
        if c.legs.len() < 2 {
            continue;
        }
        for (i, a) in c.legs.iter().enumerate() {
            let failed = matches!(a.final_code, None | Some(408 | 500..=504));
            if !failed {
                continue;
            }
            // A later leg from the same client toward another server: the retry elsewhere.
            if let Some(b) = c.legs[i + 1..]
                .iter()
                .find(|b| b.client == a.client && b.server != a.server)
            {
                moves
                    .entry((a.server.to_string(), b.server.to_string()))
                    .or_default()
                    .push((
                        &c.call_id,
                        c.start_ns,
                        a.final_code,
                        c.category == Category::Success,
                    ));
                break;
            }
        }
    }
    for ((from, to), calls) in moves {
        let mut ev = Evidence::default();
        ev.address(&from);
        ev.address(&to);
        let mut codes: BTreeMap<String, u64> = BTreeMap::new();
        for (id, ts, code, _) in &calls {
            ev.call_id(id);
            ev.span(*ts);
            *codes
                .entry(code.map_or("no answer".into(), |c| c.to_string()))
                .or_default() += 1;
        }
        let ok = calls.iter().filter(|c| c.3).count();
        ev.count("calls_rerouted", calls.len() as u64);
        ev.count("succeeded_after_reroute", ok as u64);
        let why = codes
            .iter()
            .map(|(c, n)| format!("{c} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(Finding {
            kind: Kind::AlternateRouting,
            severity: Severity::Warning,
            summary: format!("{} call(s) failed toward {from} ({why}) and were rerouted to {to}; {ok} then succeeded", calls.len()),
            evidence: ev,
            advice: vec![
                format!("The primary route {from} is failing: check it (reachability, capacity, the reason of its 5xx)"),
                "Failover adds the timeout of the first try to post-dial delay: tune the failover timer (e.g. a shorter fr_timer toward that route)".into(),
            ],
        });
    }
}

fn cac(input: &Input<'_>, out: &mut Vec<Finding>) {
    let rejected: Vec<_> = input
        .calls
        .iter()
        .filter(|c| c.final_code == Some(488) || c.legs.iter().any(|l| l.final_code == Some(488)))
        .collect();
    if rejected.is_empty() {
        return;
    }
    let mut ev = Evidence::default();
    for c in &rejected {
        ev.call_id(&c.call_id);
        ev.span(c.start_ns);
        ev.address(*c.destination);
    }
    ev.count("calls", rejected.len() as u64);
    out.push(Finding {
        kind: Kind::CacRejection,
        severity: Severity::Error,
        summary: format!("{} call(s) refused with 488 Not Acceptable Here: call admission control or no common codec", rejected.len()),
        evidence: ev,
        advice: crate::knowledge::codes::lookup(488).map_or_else(Vec::new, |i| i.next_checks.iter().map(|s| s.to_string()).collect()),
    });
}

#[derive(Default)]
struct Group {
    attempts: u64,
    failed: u64,
    ids: Vec<String>,
    /// First and last failure.
    span: Option<(i64, i64)>,
}

impl Group {
    fn add(&mut self, failed: bool, id: &str, ts: i64) {
        self.attempts += 1;
        self.failed += u64::from(failed);
        if failed {
            if self.ids.len() < 20 {
                self.ids.push(id.to_string());
            }
            let (f, l) = self.span.unwrap_or((ts, ts));
            self.span = Some((f.min(ts), l.max(ts)));
        }
    }
}

/// `by_address`: the groups are addresses (registrars, destinations), named in the evidence.
fn compare(kind: &str, by_address: bool, groups: &BTreeMap<String, Group>, out: &mut Vec<Finding>) {
    if groups.len() < 2 {
        return;
    }
    for (name, g) in groups {
        if g.attempts < GROUP_MIN_ATTEMPTS || (g.failed as f64) < GROUP_FAILING * g.attempts as f64
        {
            continue;
        }
        let (oa, of) = groups
            .iter()
            .filter(|(n, _)| *n != name)
            .fold((0, 0), |(a, f), (_, o)| (a + o.attempts, f + o.failed));
        if oa < GROUP_MIN_ATTEMPTS || of as f64 > OTHERS_HEALTHY * oa as f64 {
            continue;
        }
        let mut ev = Evidence::default();
        g.ids.iter().for_each(|i| ev.call_id(i));
        if let Some((f, l)) = g.span {
            ev.span(f);
            ev.span(l);
        }
        if by_address {
            ev.address(name);
        } else {
            ev.detail(format!("{kind}: {name}"));
        }
        ev.count("attempts", g.attempts);
        ev.count("failed", g.failed);
        ev.count("others_attempts", oa);
        ev.count("others_failed", of);
        out.push(Finding {
            kind: Kind::IsolatedFailures,
            severity: Severity::Error,
            summary: format!(
                "{kind} {name}: {} of {} failed, while the other {kind}s failed {} of {}",
                g.failed, g.attempts, of, oa
            ),
            evidence: ev,
            advice: vec![
                format!("The problem is specific to this {kind}: compare its configuration with a working one"),
                "Look at its failure causes and codes (the calls and registrations tables, filtered on it)".into(),
            ],
        });
    }
}

fn domain(uri: &str) -> String {
    let rest = uri.split_once(':').map_or(uri, |(_, r)| r);
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    host.split([';', '>', ':'])
        .next()
        .unwrap_or(host)
        .to_lowercase()
}

fn isolated(input: &Input<'_>, out: &mut Vec<Finding>) {
    let mut registrars: BTreeMap<String, Group> = BTreeMap::new();
    let mut reg_uas: BTreeMap<String, Group> = BTreeMap::new();
    for a in &input.registrations.attempts {
        if a.outcome == RegOutcome::Pending {
            continue;
        }
        let failed = a.outcome == RegOutcome::Failed;
        for (map, key) in [
            (&mut registrars, a.registrar.to_string()),
            (&mut reg_uas, a.user_agent.clone().unwrap_or_default()),
        ] {
            if key.is_empty() {
                continue;
            }
            map.entry(key)
                .or_default()
                .add(failed, &a.call_id, a.first_ts_ns);
        }
    }
    let mut dests: BTreeMap<String, Group> = BTreeMap::new();
    let mut domains: BTreeMap<String, Group> = BTreeMap::new();
    let mut call_uas: BTreeMap<String, Group> = BTreeMap::new();
    // Where the capture shows calls going past a proxy, a call that never left the proxy
    // (one leg, refused there) has the proxy as its "destination": that is the proxy's
    // decision (capacity, policy), reported by other detectors — not a failing destination.
    let multi_hop = input.calls.iter().any(|c| c.legs.len() > 1);
    for c in input.calls {
        if matches!(c.category, Category::Incomplete) {
            continue;
        }
        let stayed_at_proxy = multi_hop && c.legs.len() == 1;
        // Busy, declined and cancelled are the callee's choice, not a failure of the route.
        let failed = matches!(
            c.category,
            Category::Error | Category::NoAnswer | Category::Timeout
        );
        let dest = if stayed_at_proxy {
            String::new()
        } else {
            host(&c.destination)
        };
        for (map, key) in [
            (&mut dests, dest),
            (&mut domains, domain(&c.request_uri)),
            (&mut call_uas, c.user_agent.to_string()),
        ] {
            if key.is_empty() {
                continue;
            }
            map.entry(key)
                .or_default()
                .add(failed, &c.call_id, c.start_ns);
        }
    }
    compare("registrar", true, &registrars, out);
    compare("registering user agent", false, &reg_uas, out);
    compare("call destination", true, &dests, out);
    compare("called domain", false, &domains, out);
    compare("calling user agent", false, &call_uas, out);
}

fn routing_loop(input: &Input<'_>, out: &mut Vec<Finding>) {
    let looped: Vec<&crate::model::call::CallRecord> = input
        .calls
        .iter()
        .filter(|c| c.final_code == Some(483) || c.legs.iter().any(|l| l.final_code == Some(483)))
        .collect();
    let regs: Vec<_> = input
        .registrations
        .attempts
        .iter()
        .filter(|a| a.final_code == Some(483))
        .collect();
    if looped.is_empty() && regs.is_empty() {
        return;
    }
    let mut ev = Evidence::default();
    // Where the loop turns: the elements that received the request more than once
    // (a hop's server that is also another hop's client), then the 483's sender.
    let mut seen: BTreeMap<std::net::SocketAddr, u64> = BTreeMap::new();
    for c in &looped {
        ev.call_id(&c.call_id);
        ev.span(c.start_ns);
        for l in &c.legs {
            *seen.entry(*l.server).or_default() += 1;
        }
    }
    for a in &regs {
        ev.call_id(&a.call_id);
        ev.span(a.first_ts_ns);
        *seen.entry(a.registrar).or_default() += 1;
    }
    let mut hot: Vec<(&std::net::SocketAddr, &u64)> = seen.iter().collect();
    hot.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    hot.iter().for_each(|(a, _)| ev.address(a));
    if let Some(c) = looped.first() {
        ev.detail(format!(
            "{}: {} hop(s) before the 483: {}",
            c.call_id,
            c.legs.len(),
            c.legs
                .iter()
                .take(8)
                .map(|l| format!("{} → {}", l.client, l.server))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    ev.count("calls_483", looped.len() as u64);
    ev.count("registrations_483", regs.len() as u64);
    let n = looped.len() + regs.len();
    let top = hot.first().map(|(a, _)| a.to_string()).unwrap_or_default();
    out.push(Finding {
        kind: Kind::RoutingLoop,
        severity: if n >= 3 { Severity::Critical } else { Severity::Error },
        summary: format!(
            "{n} request(s) answered 483 Too Many Hops: a routing loop (Max-Forwards ran out); the request kept coming back to {top}"
        ),
        evidence: ev,
        advice: vec![
            format!("Look at the routing of {top} for these Request-URIs: it (or a peer) routes them back to itself — a default route, a DNS/SRV record or a dispatcher entry pointing at the wrong element"),
            "Check that each element recognises its own addresses (aliases, listen addresses behind NAT) so it does not forward to itself".into(),
            "Compare the Via headers of the looping request: the repeated entries name the elements in the loop".into(),
        ],
    });
}
