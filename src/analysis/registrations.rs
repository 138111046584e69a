//! Registration summary: attempts by outcome and failure cause, RFC 6076
//! Registration Request Delay (RRD) percentiles over successful attempts, and
//! counts per registrar. The attempts themselves and their definitions are in
//! `model::registration`; this module only counts them.

use super::stats::{percentiles, Percentiles};
use crate::model::registration::{RegFigures, RegOutcome, Registrations};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RegistrarCounts {
    pub attempts: u64,
    pub registered: u64,
    pub failed: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RegistrationSummary {
    pub attempts: u64,
    pub registered: u64,
    pub failed: u64,
    /// Undecided at the end of the capture; neither registered nor failed.
    pub pending: u64,
    /// Failed attempts by cause (`AUTH_REJECTED`, `FORBIDDEN`, …).
    pub causes: BTreeMap<&'static str, u64>,
    /// RRD in ms over the successful attempts (challenges included).
    pub rrd_ms: Percentiles,
    /// Keyed by the registrar address (destination of each attempt's first REGISTER).
    pub per_registrar: BTreeMap<String, RegistrarCounts>,
    /// Attempts that refreshed a registration of the same chain.
    pub refreshes: u64,
    pub deregistrations: u64,
    /// Registered attempts whose granted Expires is shorter than the requested one.
    pub granted_shorter_than_requested: u64,
    /// State of every AOR at the end of the capture → AORs.
    pub aor_states: BTreeMap<&'static str, u64>,
}

/// Counts every attempt: those kept, and the figures of those past
/// `rows.registrations` (`regs.not_kept`). AOR states come from the attempts kept.
pub fn summarize(regs: &Registrations) -> RegistrationSummary {
    let mut s = RegistrationSummary::default();
    let mut rrd = Vec::new();
    let figures = regs
        .attempts
        .iter()
        .map(RegFigures::of)
        .chain(regs.not_kept.iter().cloned());
    for a in figures {
        s.attempts += 1;
        s.refreshes += u64::from(a.is_refresh);
        s.deregistrations += u64::from(a.is_deregistration);
        s.granted_shorter_than_requested += u64::from(a.granted_shorter);
        let r = s.per_registrar.entry(a.registrar.to_string()).or_default();
        r.attempts += 1;
        match a.outcome {
            RegOutcome::Registered => {
                s.registered += 1;
                r.registered += 1;
                rrd.extend(a.rrd_ms);
            }
            RegOutcome::Failed => {
                s.failed += 1;
                r.failed += 1;
                if let Some(c) = a.cause {
                    *s.causes.entry(c.as_str()).or_default() += 1;
                }
            }
            RegOutcome::Pending => s.pending += 1,
        }
    }
    s.rrd_ms = percentiles(rrd);
    for a in &regs.aors {
        *s.aor_states.entry(a.state.as_str()).or_default() += 1;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::registration::{FailureCause, RegistrationAttempt};

    fn attempt(
        registrar: &str,
        outcome: RegOutcome,
        cause: Option<FailureCause>,
        rrd: Option<f64>,
    ) -> RegistrationAttempt {
        RegistrationAttempt {
            call_id: "c".into(),
            aor: "sip:a@x".into(),
            registrar: registrar.parse().unwrap(),
            client: "10.0.0.1:5060".parse().unwrap(),
            user_agent: None,
            first_ts_ns: 0,
            final_ts_ns: None,
            outcome,
            cause,
            final_code: None,
            retry_after_s: None,
            challenges: 0,
            requests: 1,
            retransmissions: 0,
            requested_expires: Some(3600),
            requested_expires_defaulted: false,
            granted_expires: None,
            is_deregistration: false,
            is_query: false,
            is_refresh: false,
            rrd_ms: rrd,
            min_expires: None,
            stale_challenges: 0,
            auth_mismatch: None,
            rejected_credentials: 0,
            final_reason: None,
            final_warning: None,
            last_request_ns: 0,
        }
    }

    #[test]
    fn counts_causes_rrd_and_registrars() {
        use FailureCause::*;
        use RegOutcome::*;
        let regs = Registrations {
            attempts: vec![
                attempt("10.0.0.9:5060", Registered, None, Some(40.0)),
                attempt("10.0.0.9:5060", Registered, None, Some(10.0)),
                attempt("10.0.0.9:5060", Failed, Some(AuthRejected), None),
                attempt("10.0.0.8:5060", Failed, Some(AuthRejected), None),
                attempt("10.0.0.8:5060", Failed, Some(NoResponse), None),
                attempt("10.0.0.8:5060", Pending, None, None),
            ],
            ..Default::default()
        };
        let s = summarize(&regs);
        assert_eq!(
            (s.attempts, s.registered, s.failed, s.pending),
            (6, 2, 3, 1)
        );
        assert_eq!(
            s.causes,
            BTreeMap::from([("AUTH_REJECTED", 2), ("NO_RESPONSE", 1)])
        );
        assert_eq!(
            (s.rrd_ms.count, s.rrd_ms.p50, s.rrd_ms.max),
            (2, Some(10.0), Some(40.0))
        );
        assert_eq!(
            s.per_registrar["10.0.0.9:5060"],
            RegistrarCounts {
                attempts: 3,
                registered: 2,
                failed: 1
            }
        );
        assert_eq!(
            s.per_registrar["10.0.0.8:5060"],
            RegistrarCounts {
                attempts: 3,
                registered: 0,
                failed: 2
            }
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["causes"]["AUTH_REJECTED"], 2);
        assert_eq!(json["rrd_ms"]["p99"], 40.0);
    }

    #[test]
    fn no_success_leaves_rrd_undefined() {
        let s = summarize(&Registrations::default());
        assert_eq!(s.attempts, 0);
        assert_eq!(s.rrd_ms, Percentiles::default());
        assert!(serde_json::to_value(&s).unwrap()["rrd_ms"]["p50"].is_null());
    }
}
