//! Diagnosis: the patterns behind mass failures, each reported as a
//! [`Finding`] with a stable kind, a severity, a one-line summary, the
//! evidence (Call-IDs, addresses, times, counts) and advice in plain words.
//!
//! Detectors are pure functions over the model's output (calls, registration
//! attempts, AOR states, ICMP errors); each lives in its own module and knows
//! nothing of the others. What each finding means, and the thresholds that
//! raise it, are in docs/diagnosis.md. A clean capture must raise nothing:
//! false alarms are bugs too.

mod auth;
mod capacity;
mod lockout;
mod media;
mod no_response;
mod rate;
mod registration_expiry;
mod routing;

use crate::model::call::CallRecord;
use crate::model::registration::Registrations;
use crate::reassembly::IcmpEvent;
use serde::Serialize;
use std::collections::BTreeMap;

/// Stable names of what a finding is about (serialised as [`Kind::name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    AuthLoop,
    AccountLockout,
    PoolLockout,
    RateLimited,
    FloodBlackhole,
    Capacity503Onset,
    RegistrationExpiry,
    NoResponse,
    AlternateRouting,
    RealmMismatch,
    CacRejection,
    IsolatedFailures,
    RoutingLoop,
    OneWayAudio,
}

impl Kind {
    /// Every kind, in the order above (rule files and `diff` list them so).
    pub const ALL: [Kind; 13] = [
        Kind::AuthLoop,
        Kind::AccountLockout,
        Kind::PoolLockout,
        Kind::RateLimited,
        Kind::FloodBlackhole,
        Kind::Capacity503Onset,
        Kind::RegistrationExpiry,
        Kind::NoResponse,
        Kind::AlternateRouting,
        Kind::RealmMismatch,
        Kind::CacRejection,
        Kind::IsolatedFailures,
        Kind::RoutingLoop,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::AuthLoop => "AUTH_LOOP",
            Kind::AccountLockout => "ACCOUNT_LOCKOUT",
            Kind::PoolLockout => "POOL_LOCKOUT",
            Kind::RateLimited => "RATE_LIMITED",
            Kind::FloodBlackhole => "FLOOD_BLACKHOLE",
            Kind::Capacity503Onset => "CAPACITY_503_ONSET",
            Kind::RegistrationExpiry => "REGISTRATION_EXPIRY",
            Kind::NoResponse => "NO_RESPONSE",
            Kind::AlternateRouting => "ALTERNATE_ROUTING",
            Kind::RealmMismatch => "REALM_MISMATCH",
            Kind::CacRejection => "CAC_REJECTION",
            Kind::IsolatedFailures => "ISOLATED_FAILURES",
            Kind::RoutingLoop => "ROUTING_LOOP",
            Kind::OneWayAudio => "ONE_WAY_AUDIO",
        }
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// How much a finding matters; findings are printed most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Calls or registrations failed at scale, or a service stopped answering.
    Critical,
    /// A failure pattern that cost calls or registrations.
    Error,
    /// Worth a look: it may cost service later or hides a misconfiguration.
    Warning,
    /// Context: behaviour that is correct but good to know (e.g. failover working).
    Info,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// What a finding rests on. Lists are capped ([`MAX_EVIDENCE`]) with the full count in `counts`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Evidence {
    pub call_ids: Vec<String>,
    pub addresses: Vec<String>,
    pub aors: Vec<String>,
    /// When the pattern starts and ends (ns since the epoch, UTC).
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
    pub counts: BTreeMap<String, u64>,
    /// Facts in plain words ("401 ×5 then 403 from 10.0.0.1").
    pub details: Vec<String>,
}

pub const MAX_EVIDENCE: usize = 20;

impl Evidence {
    pub fn call_id(&mut self, id: &str) {
        if self.call_ids.len() < MAX_EVIDENCE && !self.call_ids.iter().any(|c| c == id) {
            self.call_ids.push(id.to_string());
        }
    }
    pub fn address(&mut self, a: impl ToString) {
        let a = a.to_string();
        if self.addresses.len() < MAX_EVIDENCE && !self.addresses.contains(&a) {
            self.addresses.push(a);
        }
    }
    pub fn aor(&mut self, a: &str) {
        if self.aors.len() < MAX_EVIDENCE && !self.aors.iter().any(|x| x == a) {
            self.aors.push(a.to_string());
        }
    }
    pub fn span(&mut self, ts: i64) {
        self.first_ns = Some(self.first_ns.map_or(ts, |f| f.min(ts)));
        self.last_ns = Some(self.last_ns.map_or(ts, |l| l.max(ts)));
    }
    pub fn count(&mut self, what: &str, n: u64) {
        *self.counts.entry(what.to_string()).or_default() += n;
    }
    pub fn detail(&mut self, d: String) {
        if self.details.len() < MAX_EVIDENCE {
            self.details.push(d);
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub kind: Kind,
    pub severity: Severity,
    pub summary: String,
    pub evidence: Evidence,
    /// The next checks, in plain words, most likely first.
    pub advice: Vec<String>,
}

/// Everything the detectors look at.
pub struct Input<'a> {
    pub calls: &'a [CallRecord],
    pub registrations: &'a Registrations,
    pub icmp: &'a [IcmpEvent],
    /// First and last frame times of the capture(s).
    pub capture_start_ns: i64,
    pub capture_end_ns: i64,
}

/// A detector: reads the input, appends its findings.
type Detector = fn(&Input<'_>, &mut Vec<Finding>);

/// Every detector, in the order their findings are listed when they tie.
const DETECTORS: [Detector; 8] = [
    auth::detect,
    lockout::detect,
    rate::detect,
    capacity::detect,
    registration_expiry::detect,
    no_response::detect,
    routing::detect,
    media::detect,
];

/// Runs every detector; findings most severe first, then by kind and time.
/// The detectors share nothing, so they run in parallel (they were a third of
/// a load test's single-threaded tail); their findings are joined in the
/// order of [`DETECTORS`] before the stable sort, so the output is the same.
pub fn diagnose(input: &Input<'_>) -> Vec<Finding> {
    use rayon::prelude::*;
    let parts: Vec<Vec<Finding>> = DETECTORS
        .par_iter()
        .map(|detect| {
            let mut found = Vec::new();
            detect(input, &mut found);
            found
        })
        .collect();
    let mut out: Vec<Finding> = parts.into_iter().flatten().collect();
    out.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then(a.kind.cmp(&b.kind))
            .then(a.evidence.first_ns.cmp(&b.evidence.first_ns))
    });
    out
}

/// The IP of an address, without the port: clients and servers are grouped by host.
pub(crate) fn host(a: &std::net::SocketAddr) -> String {
    match a.ip() {
        // Written digit by digit: what `Display` writes, without the formatting
        // machinery (~800 instructions an address; the rate detectors write every
        // client's and server's, tens of thousands in a load test's tail).
        std::net::IpAddr::V4(v4) => {
            let mut s = String::with_capacity(15);
            for (i, o) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    s.push('.');
                }
                if o >= 100 {
                    s.push(char::from(b'0' + o / 100));
                }
                if o >= 10 {
                    s.push(char::from(b'0' + o / 10 % 10));
                }
                s.push(char::from(b'0' + o % 10));
            }
            s
        }
        ip => ip.to_string(),
    }
}

pub(crate) fn secs(ns: i64) -> f64 {
    ns as f64 / 1e9
}

#[cfg(test)]
mod tests;
