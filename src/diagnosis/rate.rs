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
use foldhash::{HashMap, HashMapExt};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Refusals after the last success needed to call it a rate limit.
pub const MIN_REFUSALS: usize = 3;
/// Unanswered requests from one source needed to call it blackholed…
pub const MIN_UNANSWERED: usize = 3;
/// …over at least this long, or each retransmitted at least this often (a capture
/// that ends sooner still shows the silence).
pub const MIN_SILENCE_NS: i64 = 30_000_000_000;
pub const MIN_RETRANSMISSIONS: u32 = 2;

/// One request from a source: when, to whom, for which account, and how it ended.
struct Req<'a> {
    ts: i64,
    server: &'a str,
    account: &'a str,
    id: &'a str,
    ok: bool,
    refused: bool,
    unanswered: bool,
    /// Retransmissions of an unanswered request: silence seen, not merely assumed.
    retransmitted: u32,
    /// Reason phrase of the refusal ("Rate Limit Exceeded").
    reason: Option<&'a str>,
}

/// The host (IP) of every address the requests name, written once each: a load
/// test has a million requests from a few hundred addresses, and writing each
/// request's two IPs afresh was a tenth of the run's single-threaded tail.
#[derive(Default)]
struct Hosts(HashMap<IpAddr, String>);

impl Hosts {
    fn of(input: &Input<'_>) -> Self {
        let mut h = Hosts::default();
        let mut add = |a: &std::net::SocketAddr| {
            h.0.entry(a.ip()).or_insert_with(|| host(a));
        };
        for a in &input.registrations.attempts {
            add(&a.client);
            add(&a.registrar);
        }
        for c in input.calls {
            add(&c.caller);
            add(&c.first_hop);
        }
        h
    }

    fn name(&self, a: &std::net::SocketAddr) -> &str {
        self.ip_name(&a.ip())
    }

    fn ip_name(&self, ip: &IpAddr) -> &str {
        // Every address was added by `of` from the same input.
        self.0.get(ip).map_or("", String::as_str)
    }
}

type BySource<'a> = BTreeMap<(&'a str, &'static str), Vec<Req<'a>>>;

fn by_source<'a>(input: &Input<'a>, hosts: &'a Hosts) -> BySource<'a> {
    // Grouped by address first (hashing an IP is cheaper than comparing two
    // written ones), then ordered by the written host as the findings are.
    let mut m: HashMap<(IpAddr, &'static str), Vec<Req<'a>>> = HashMap::new();
    for a in &input.registrations.attempts {
        if a.outcome == RegOutcome::Pending {
            continue;
        }
        m.entry((a.client.ip(), "REGISTER")).or_default().push(Req {
            ts: a.first_ts_ns,
            server: hosts.name(&a.registrar),
            account: &a.aor,
            id: &a.call_id,
            ok: a.outcome == RegOutcome::Registered,
            refused: matches!(
                a.cause,
                Some(FailureCause::Forbidden | FailureCause::ServiceUnavailable)
            ) || a.final_code == Some(429),
            unanswered: matches!(a.cause, Some(FailureCause::NoResponse)),
            retransmitted: a.retransmissions,
            reason: a.final_reason.as_deref(),
        });
    }
    for c in input.calls {
        if c.category == Category::Incomplete {
            continue;
        }
        m.entry((c.caller.ip(), "INVITE")).or_default().push(Req {
            ts: c.start_ns,
            server: hosts.name(&c.first_hop),
            account: &c.from_uri,
            id: &c.call_id,
            // Any final response but a refusal means the server let the call through.
            ok: c.final_code.is_some() && !matches!(c.final_code, Some(403 | 503 | 429)),
            refused: matches!(c.final_code, Some(403 | 503 | 429)),
            unanswered: c.category == Category::NoAnswer,
            retransmitted: c.invite_retransmissions,
            reason: c.final_reason.as_deref(),
        });
    }
    m.into_iter()
        .map(|((ip, method), mut v)| {
            v.sort_by_key(|r| r.ts);
            ((hosts.ip_name(&ip), method), v)
        })
        .collect()
}

pub(super) fn detect(input: &Input<'_>, out: &mut Vec<Finding>) {
    let hosts = Hosts::of(input);
    let sources = by_source(input, &hosts);
    // Servers that answered someone: silence toward one source is then targeted.
    let mut answered_by: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for ((src, _), reqs) in &sources {
        for r in reqs.iter().filter(|r| !r.unanswered) {
            answered_by.entry(r.server).or_default().insert(*src);
        }
    }
    let wide = server_blackholes(&sources);
    for ((src, method), reqs) in &sources {
        rate_limit(src, method, reqs, out);
        // A source inside a server-wide blackhole is reported with it, not alone.
        if !wide.iter().any(|b| b.sources.contains(src)) {
            blackhole(src, method, reqs, &answered_by, input.capture_end_ns, out);
        }
    }
    for b in wide {
        out.push(b.finding(input.capture_start_ns));
    }
}

/// The servers (host) that went silent for everyone after a burst: the
/// NO_RESPONSE detector leaves them to this one.
pub(super) fn blackholed_servers(input: &Input<'_>) -> BTreeSet<String> {
    let hosts = Hosts::of(input);
    let sources = by_source(input, &hosts);
    server_blackholes(&sources)
        .into_iter()
        .map(|b| b.server)
        .collect()
}

/// Requests around the onset of a server-wide silence are measured over ±this.
pub const BURST_NS: i64 = 5_000_000_000;
/// A server-wide blackhole needs this many unanswered requests…
pub const MIN_FLOOD_UNANSWERED: usize = 10;
/// …from at least this many source addresses…
pub const MIN_FLOOD_SOURCES: usize = 3;
/// …after a burst of at least this many requests per second around the onset.
pub const MIN_BURST_RATE: f64 = 5.0;

/// A server that stopped answering everyone right after a burst.
struct ServerBlackhole<'a> {
    server: String,
    onset: i64,
    answered_before: usize,
    unanswered: Vec<&'a Req<'a>>,
    sources: BTreeSet<&'a str>,
    burst: usize,
    burst_secs: f64,
    base_rate: Option<f64>,
    methods: BTreeSet<&'static str>,
    last_answered: i64,
}

/// Servers that answered requests, then — right after a burst of them from many
/// sources — answered nobody at all until the capture ended: flood protection
/// that blocks every source (or a server the burst brought down). Without the
/// burst the same silence is a server that stopped answering (NO_RESPONSE).
fn server_blackholes<'a>(sources: &'a BySource<'a>) -> Vec<ServerBlackhole<'a>> {
    let mut by_server: BTreeMap<&str, Vec<(&'a str, &'static str, &'a Req<'a>)>> = BTreeMap::new();
    for ((src, method), reqs) in sources {
        for r in reqs {
            by_server
                .entry(r.server)
                .or_default()
                .push((src, method, r));
        }
    }
    let mut out = Vec::new();
    for (server, mut reqs) in by_server {
        reqs.sort_by_key(|(_, _, r)| r.ts);
        // The silent tail: from the first request of the final unanswered run on.
        let tail = reqs
            .iter()
            .rev()
            .take_while(|(_, _, r)| r.unanswered)
            .count();
        let onset_i = reqs.len() - tail;
        if tail < MIN_FLOOD_UNANSWERED || onset_i == 0 {
            continue;
        }
        let silent = &reqs[onset_i..];
        let srcs: BTreeSet<&str> = silent.iter().map(|(s, _, _)| *s).collect();
        if srcs.len() < MIN_FLOOD_SOURCES
            || !silent
                .iter()
                .all(|(_, _, r)| r.retransmitted >= MIN_RETRANSMISSIONS)
        {
            continue;
        }
        let onset = silent[0].2.ts;
        let (from, to) = (
            onset.saturating_sub(BURST_NS),
            onset.saturating_add(BURST_NS),
        );
        let burst = reqs
            .iter()
            .filter(|(_, _, r)| r.ts >= from && r.ts <= to)
            .count();
        let first_ts = reqs[0].2.ts;
        let last_ts = reqs[reqs.len() - 1].2.ts;
        let burst_secs = secs(to.min(last_ts).saturating_sub(from.max(first_ts))).max(1.0);
        let rate = burst as f64 / burst_secs;
        let base_span = from.saturating_sub(first_ts).max(0);
        let base_rate = (base_span >= BURST_NS)
            .then(|| reqs.iter().filter(|(_, _, r)| r.ts < from).count() as f64 / secs(base_span));
        if rate < MIN_BURST_RATE || base_rate.is_some_and(|b| rate < 3.0 * b) {
            continue;
        }
        out.push(ServerBlackhole {
            server: server.to_string(),
            onset,
            answered_before: onset_i,
            sources: srcs,
            burst,
            burst_secs,
            base_rate,
            methods: silent.iter().map(|(_, m, _)| *m).collect(),
            last_answered: reqs[onset_i - 1].2.ts,
            unanswered: silent.iter().map(|(_, _, r)| *r).collect(),
        });
    }
    out
}

impl ServerBlackhole<'_> {
    fn finding(&self, capture_start: i64) -> Finding {
        let mut ev = Evidence::default();
        ev.address(&self.server);
        self.sources.iter().for_each(|s| ev.address(s));
        self.unanswered.iter().for_each(|r| ev.call_id(r.id));
        ev.span(self.last_answered);
        ev.span(self.unanswered.last().map_or(self.onset, |r| r.ts));
        let retrans: u64 = self
            .unanswered
            .iter()
            .map(|r| u64::from(r.retransmitted))
            .sum();
        ev.count("unanswered", self.unanswered.len() as u64);
        ev.count("sources", self.sources.len() as u64);
        ev.count("answered_before", self.answered_before as u64);
        ev.count("burst_requests", self.burst as u64);
        ev.count("retransmissions", retrans);
        ev.detail(format!(
            "last answered request at +{:.3} s; first unanswered at +{:.3} s",
            secs(self.last_answered.saturating_sub(capture_start)),
            secs(self.onset.saturating_sub(capture_start))
        ));
        ev.detail(format!(
            "{} requests in the {:.0} s around the onset ({:.1}/s){}",
            self.burst,
            self.burst_secs,
            self.burst as f64 / self.burst_secs,
            self.base_rate
                .map(|b| format!(", against {b:.1}/s before"))
                .unwrap_or_default()
        ));
        let methods = self.methods.iter().copied().collect::<Vec<_>>().join("/");
        Finding {
            kind: Kind::FloodBlackhole,
            severity: Severity::Critical,
            summary: format!(
                "{}: after a burst of {} {methods}(s) in {:.0} s, nothing was answered any more: {} request(s) from {} source(s) unanswered (each retransmitted), {} answered before",
                self.server,
                self.burst,
                self.burst_secs,
                self.unanswered.len(),
                self.sources.len(),
                self.answered_before
            ),
            evidence: ev,
            advice: vec![
                format!("Flood protection in front of or inside {} (kamailio pike, fail2ban, an SBC's DoS policy) blocks every source after a burst: check its thresholds and ban time", self.server),
                "Check that the server process is still up and not overloaded: a burst can also crash or wedge it".into(),
                "For a load test: ramp the rate up instead of starting at full load, and stop retrying while blocked".into(),
            ],
        }
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
    // Most of what follows is refused, and — for REGISTER — not one account alone (that
    // would be a lockout; a load generator's calls often share one From).
    if refused < MIN_REFUSALS
        || refused * 10 < after.len() * 8
        || (method == "REGISTER" && accounts.len() < 2)
    {
        return;
    }
    let reasons: BTreeSet<&str> = after
        .iter()
        .filter(|r| r.refused)
        .filter_map(|r| r.reason)
        .collect();
    let window = reqs[first_refusal].ts.saturating_sub(reqs[0].ts);
    let mut ev = Evidence::default();
    ev.address(src);
    after.iter().filter(|r| r.refused).for_each(|r| {
        ev.call_id(r.id);
        ev.address(r.server);
    });
    ev.span(reqs[0].ts);
    ev.span(reqs[first_refusal].ts);
    ev.count("accepted_before_limit", k as u64);
    ev.count("refused", refused as u64);
    ev.count("accounts_refused", accounts.len() as u64);
    ev.count("limit", k as u64);
    ev.detail(format!(
        "{k} {method}(s) accepted in {:.1} s, then {refused} of {} refused (403/503)",
        secs(window),
        after.len()
    ));
    for r in &reasons {
        ev.detail(format!("refused with \"{r}\""));
    }
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
    let silence = end.saturating_sub(reqs[first_silent].ts);
    // Silence is proven by time (30 s) or, in a capture that stops sooner, by the
    // clients' own retransmissions: each unanswered request was sent again and again.
    let retransmitted = silent
        .iter()
        .all(|r| r.retransmitted >= MIN_RETRANSMISSIONS);
    if silence < MIN_SILENCE_NS && !retransmitted {
        return;
    }
    // The same servers still answered other sources: this address is the one dropped.
    let servers: BTreeSet<&str> = silent.iter().map(|r| r.server).collect();
    let others_answered = servers.iter().all(|s| {
        answered_by
            .get(s)
            .is_some_and(|set| set.iter().any(|x| *x != src))
    });
    let burst = &reqs[..first_silent];
    if !others_answered || burst.is_empty() {
        return;
    }
    let burst_secs = secs(reqs[first_silent].ts.saturating_sub(reqs[0].ts)).max(0.001);
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
