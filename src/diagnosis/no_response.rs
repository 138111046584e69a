//! NO_RESPONSE: requests toward an address that were never answered — only
//! retransmissions until Timer B (INVITE) or Timer F (REGISTER) expired — with
//! ICMP unreachable errors as evidence when the network sent them. Silence
//! from a server that answers nobody hints at DNS, routing, a firewall or a
//! transport mismatch (UDP sent where only TCP listens); silence toward a
//! single source is a blackhole (see `rate`).

use super::{Evidence, Finding, Input, Kind, Severity};
use crate::model::call::Category;
use crate::model::registration::{FailureCause, RegOutcome};
use std::collections::BTreeMap;
use std::net::SocketAddr;

#[derive(Default)]
struct Server<'a> {
    unanswered: Vec<(&'a str, i64, &'static str)>,
    answered: u64,
    retransmissions: u64,
}

pub(super) fn detect(input: &Input<'_>, out: &mut Vec<Finding>) {
    let mut servers: BTreeMap<SocketAddr, Server<'_>> = BTreeMap::new();
    for c in input.calls {
        let s = servers.entry(*c.first_hop).or_default();
        match c.category {
            Category::NoAnswer => {
                s.unanswered.push((&c.call_id, c.start_ns, "INVITE"));
                s.retransmissions += u64::from(c.invite_retransmissions);
            }
            Category::Incomplete => {}
            _ => s.answered += 1,
        }
    }
    for a in &input.registrations.attempts {
        let s = servers.entry(a.registrar).or_default();
        match (a.outcome, a.cause) {
            (RegOutcome::Failed, Some(FailureCause::NoResponse)) => {
                s.unanswered.push((&a.call_id, a.first_ts_ns, "REGISTER"));
                s.retransmissions += u64::from(a.retransmissions);
            }
            (RegOutcome::Pending, _) => {}
            _ => s.answered += 1,
        }
    }
    let blackholed = super::rate::blackholed_servers(input);
    for (addr, s) in &servers {
        if s.unanswered.is_empty() || blackholed.contains(&super::host(addr)) {
            continue;
        }
        // ICMP errors about packets sent to this address.
        let icmp: Vec<_> = input
            .icmp
            .iter()
            .filter(|e| e.notice.quoted_dst == Some(*addr))
            .collect();
        // Silence toward one source while others are answered is the blackhole detector's.
        let sources: std::collections::BTreeSet<_> = input
            .calls
            .iter()
            .filter(|c| *c.first_hop == *addr && c.category == Category::NoAnswer)
            .map(|c| c.caller.ip())
            .chain(
                input
                    .registrations
                    .attempts
                    .iter()
                    .filter(|a| a.registrar == *addr && a.cause == Some(FailureCause::NoResponse))
                    .map(|a| a.client.ip()),
            )
            .collect();
        if s.answered > 0 && sources.len() == 1 && s.unanswered.len() >= super::rate::MIN_UNANSWERED
        {
            continue;
        }
        // An unanswered UDP request is retransmitted (Timer A/E). Never retransmitted means the
        // client got its answer: the capture missed it (one direction not captured, or a
        // response the matching could not place). Not a server failure; say so, quietly.
        if s.retransmissions == 0 && icmp.is_empty() {
            let mut ev = Evidence::default();
            ev.address(addr);
            s.unanswered.iter().for_each(|(id, ts, _)| {
                ev.call_id(id);
                ev.span(*ts);
            });
            ev.count(
                "requests_without_response_or_retransmission",
                s.unanswered.len() as u64,
            );
            out.push(Finding {
                kind: Kind::NoResponse,
                severity: Severity::Info,
                summary: format!(
                    "{} request(s) to {addr} have no response in the capture, but were never retransmitted: the responses were probably not captured",
                    s.unanswered.len()
                ),
                evidence: ev,
                advice: vec![
                    "Capture both directions (and every interface the responses may take) to see these responses".into(),
                    "If the responses exist, compare their top Via with the request's: a proxy that rewrites it breaks matching".into(),
                ],
            });
            continue;
        }
        let mut ev = Evidence::default();
        ev.address(addr);
        let mut methods: BTreeMap<&str, u64> = BTreeMap::new();
        for (id, ts, m) in &s.unanswered {
            ev.call_id(id);
            ev.span(*ts);
            *methods.entry(m).or_default() += 1;
        }
        for (m, n) in &methods {
            ev.count(&format!("unanswered_{}", m.to_lowercase()), *n);
        }
        ev.count("retransmissions", s.retransmissions);
        ev.count("answered", s.answered);
        // How long the silence is known to have lasted: from the first unanswered request
        // to the end of the capture. A capture cut before Timer B/F still shows it.
        let first_unanswered = s
            .unanswered
            .iter()
            .map(|u| u.1)
            .min()
            .unwrap_or(input.capture_end_ns);
        let covered = input.capture_end_ns.saturating_sub(first_unanswered);
        ev.count("silence_ms", (covered / 1_000_000).max(0) as u64);
        ev.detail(format!(
            "unanswered for {:.1} s, from +{:.3} s to the end of the capture",
            super::secs(covered),
            super::secs(first_unanswered.saturating_sub(input.capture_start_ns))
        ));
        let mut advice = Vec::new();
        if !icmp.is_empty() {
            ev.count("icmp_errors", icmp.len() as u64);
            let first = &icmp[0].notice;
            ev.detail(format!(
                "ICMP{} type {} code {} from {} about packets to {addr}",
                if first.v6 { "v6" } else { "" },
                first.icmp_type,
                first.code,
                first.reporter
            ));
            let port_unreachable = (!first.v6 && first.icmp_type == 3 && first.code == 3)
                || (first.v6 && first.icmp_type == 1 && first.code == 4);
            if port_unreachable {
                advice.push(format!("ICMP port unreachable: nothing listens on {addr} for this transport — check the port and UDP vs TCP"));
            } else {
                advice.push(format!("ICMP destination unreachable: a router cannot reach {} — check routing and firewalls", addr.ip()));
            }
        }
        advice.push(format!(
            "Check that {} resolves and is reachable from the client (DNS, routing, firewall, NAT)",
            addr
        ));
        advice.push(
            "Check the transport: a server listening on TCP or TLS only never answers UDP".into(),
        );
        advice.push("If the server is up, check its logs for these Call-IDs: an overloaded server drops requests silently".into());
        let severity = if s.answered == 0 {
            Severity::Critical
        } else {
            Severity::Error
        };
        let methods_text = methods
            .iter()
            .map(|(m, n)| format!("{n} {m}"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(Finding {
            kind: Kind::NoResponse,
            severity,
            summary: format!(
                "{addr} never answered {methods_text} ({} retransmission(s), {}){}{}",
                s.retransmissions,
                if covered >= crate::model::call::TIMER_B_NS {
                    format!(
                        "Timer {} expired",
                        if methods.contains_key("INVITE") {
                            "B"
                        } else {
                            "F"
                        }
                    )
                } else {
                    format!(
                        "still unanswered {:.1} s later when the capture ends",
                        super::secs(covered)
                    )
                },
                if s.answered == 0 {
                    "; it answered nothing at all"
                } else {
                    ""
                },
                if icmp.is_empty() {
                    String::new()
                } else {
                    format!("; {} ICMP unreachable", icmp.len())
                }
            ),
            evidence: ev,
            advice,
        });
    }
}
