//! REGISTRATION_EXPIRY: bindings that lapse while the capture goes on (no
//! refresh in time — often because the registrar granted less than the client
//! asked and the client refreshes on its own schedule), and 423 Interval Too
//! Brief that the client does not resolve.

use super::{secs, Evidence, Finding, Input, Kind, Severity};
use crate::model::registration::{AorStateKind, FailureCause};

pub(super) fn detect(input: &Input<'_>, out: &mut Vec<Finding>) {
    let regs = input.registrations;
    let lapsed: Vec<_> = regs
        .aors
        .iter()
        .filter(|a| a.state == AorStateKind::Expired)
        .collect();
    if !lapsed.is_empty() {
        let mut ev = Evidence::default();
        for a in &lapsed {
            ev.aor(&a.aor);
            if let Some(u) = a.registered_until_ns {
                ev.span(u);
                ev.detail(format!(
                    "{} lapsed at +{:.0} s",
                    a.aor,
                    secs(u.saturating_sub(input.capture_start_ns))
                ));
            }
        }
        // Registrations that were granted less than asked: the usual reason.
        let shortened: Vec<_> = regs
            .attempts
            .iter()
            .filter(|t| lapsed.iter().any(|l| l.aor == t.aor))
            .filter(
                |t| matches!((t.granted_expires, t.requested_expires), (Some(g), Some(r)) if g < r),
            )
            .collect();
        for t in shortened.iter().take(5) {
            ev.detail(format!(
                "{}: asked {} s, granted {} s",
                t.aor,
                t.requested_expires.unwrap_or(0),
                t.granted_expires.unwrap_or(0)
            ));
        }
        ev.count("aors_lapsed", lapsed.len() as u64);
        ev.count("granted_shorter_than_requested", shortened.len() as u64);
        out.push(Finding {
            kind: Kind::RegistrationExpiry,
            severity: Severity::Error,
            summary: format!(
                "{} AOR(s) let their registration lapse with no refresh while the capture went on{}",
                lapsed.len(),
                if shortened.is_empty() { String::new() } else { format!(" ({} had been granted less than they asked)", shortened.len()) }
            ),
            evidence: ev,
            advice: vec![
                "A client must refresh before the granted Expires (the 200's Contact expires), not the one it asked for".into(),
                "Check the registrar's max_expires against the clients' refresh interval; calls to a lapsed AOR fail with 404/480".into(),
            ],
        });
    }
    let brief: Vec<_> = regs
        .attempts
        .iter()
        .filter(|a| a.cause == Some(FailureCause::IntervalTooBrief))
        .collect();
    if !brief.is_empty() {
        let mut ev = Evidence::default();
        for a in &brief {
            ev.aor(&a.aor);
            ev.call_id(&a.call_id);
            ev.span(a.first_ts_ns);
            ev.detail(format!(
                "{}: asked {} s, Min-Expires {}",
                a.aor,
                a.requested_expires.unwrap_or(0),
                a.min_expires.map_or("?".into(), |m| m.to_string())
            ));
        }
        ev.count("attempts", brief.len() as u64);
        out.push(Finding {
            kind: Kind::RegistrationExpiry,
            severity: Severity::Error,
            summary: format!("{} REGISTER(s) were refused 423 Interval Too Brief and not retried with Min-Expires", brief.len()),
            evidence: ev,
            advice: vec![
                "Raise the client's registration interval to at least the registrar's Min-Expires".into(),
                "A client must retry a 423 with the Min-Expires value (RFC 3261 §10.2.8); this one gave up".into(),
            ],
        });
    }
}
