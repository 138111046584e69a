//! ACCOUNT_LOCKOUT and POOL_LOCKOUT.
//!
//! An account is locked when its answers turn from 401/407 (credentials
//! rejected) to 403 Forbidden or to silence and the registrar stopped judging
//! the password (see [`locks`] for what proves it). The number of rejected
//! passwords before the turn is the registrar's threshold; when a later attempt
//! succeeds, the time from the turn to that success is how long the lock lasted. Many accounts locked within a short
//! window is a pool lockout: one bad credential pushed to a pool of endpoints.

use super::{host, secs, Evidence, Finding, Input, Kind, Severity};
use crate::model::registration::{FailureCause, RegOutcome, RegistrationAttempt};
use std::collections::BTreeMap;

/// Accounts locked within this window of each other make a pool lockout…
pub const POOL_WINDOW_NS: i64 = 60_000_000_000;
/// …when they are at least this many.
pub const POOL_MIN_ACCOUNTS: usize = 3;

struct Lock<'a> {
    aor: &'a str,
    threshold: u32,
    locked_at: i64,
    /// How the lock showed: "403 Forbidden", "403 Account locked", "no response".
    how: String,
    /// Why we call it a lock (the registrar's words, or its behaviour).
    proof: String,
    unlocked_after_ns: Option<i64>,
    /// The lock response's reason phrase and Warning/Reason header, as sent.
    words: Vec<String>,
    clients: Vec<String>,
    call_ids: Vec<&'a str>,
}

/// Words registrars put in a lock's reason phrase, Warning or Reason header.
const LOCK_WORDS: [&str; 6] = ["lock", "block", "suspend", "disabled", "too many", "banned"];

fn says_locked(a: &RegistrationAttempt) -> Option<String> {
    [a.final_reason.as_deref(), a.final_warning.as_deref()]
        .into_iter()
        .flatten()
        .find(|t| {
            let t = t.to_ascii_lowercase();
            LOCK_WORDS.iter().any(|w| t.contains(w))
        })
        .map(str::to_string)
}

/// A refusal without judging a password: 403 before any challenge, or silence.
fn refused_unheard(a: &RegistrationAttempt) -> bool {
    a.challenges == 0
        && matches!(
            a.cause,
            Some(FailureCause::Forbidden | FailureCause::NoResponse)
        )
}

/// An account is locked when, after rejected passwords, the registrar stops
/// judging them. Many registrars answer a wrong password with 403 after the
/// challenge, so a 403 alone is not a lock; it is one when
/// - its reason phrase, Warning or Reason says so ("Account locked"), or
/// - it (or silence) came without a challenge, or the next attempt is refused so:
///   the registrar no longer asks for credentials.
///
/// A 403 followed by a fresh challenge that the registrar then accepts is a wrong
/// password answered with 403, not a lock.
fn locks<'a>(input: &Input<'a>) -> Vec<Lock<'a>> {
    let mut by_aor: BTreeMap<&str, Vec<&RegistrationAttempt>> = BTreeMap::new();
    for a in &input.registrations.attempts {
        if !a.is_query {
            by_aor.entry(&a.aor).or_default().push(a);
        }
    }
    let mut out = Vec::new();
    for (aor, mut atts) in by_aor {
        atts.sort_by_key(|a| a.first_ts_ns);
        let mut rejected = 0u32;
        let mut i = 0;
        while i < atts.len() {
            let a = atts[i];
            rejected += a.rejected_credentials;
            let refusal = matches!(
                a.cause,
                Some(FailureCause::Forbidden | FailureCause::NoResponse)
            );
            if a.outcome == RegOutcome::Registered {
                rejected = 0;
            } else if refusal && rejected > 0 {
                let next = atts.get(i + 1);
                let proof = if let Some(words) = says_locked(a) {
                    Some(format!("the registrar said \"{words}\""))
                } else if refused_unheard(a) {
                    Some(format!(
                        "{} without a challenge after {rejected} rejected password(s)",
                        if a.cause == Some(FailureCause::Forbidden) {
                            "refused"
                        } else {
                            "no answer"
                        }
                    ))
                } else if next.is_some_and(|b| refused_unheard(b)) {
                    Some("the next attempt was refused without a challenge".to_string())
                } else {
                    None
                };
                if let Some(proof) = proof {
                    let unlocked = atts[i + 1..]
                        .iter()
                        .find(|b| b.outcome == RegOutcome::Registered);
                    let mut clients: Vec<String> =
                        atts[..=i].iter().map(|b| host(&b.client)).collect();
                    clients.sort();
                    clients.dedup();
                    out.push(Lock {
                        aor,
                        threshold: rejected,
                        locked_at: a.final_ts_ns.unwrap_or(a.first_ts_ns),
                        how: match (a.cause, a.final_code) {
                            (Some(FailureCause::NoResponse), _) => "no response".into(),
                            (_, Some(code)) => format!(
                                "{code} {}",
                                a.final_reason.as_deref().unwrap_or("Forbidden")
                            ),
                            _ => "a refusal".into(),
                        },
                        proof,
                        words: [a.final_reason.as_deref(), a.final_warning.as_deref()]
                            .into_iter()
                            .flatten()
                            .map(str::to_string)
                            .collect(),
                        unlocked_after_ns: unlocked.map(|u| {
                            u.first_ts_ns
                                .saturating_sub(a.final_ts_ns.unwrap_or(a.first_ts_ns))
                        }),
                        clients,
                        call_ids: atts[..=i].iter().map(|b| b.call_id.as_str()).collect(),
                    });
                    // The lock ends at the success (if any); look for a new lock after it.
                    rejected = 0;
                    match atts[i + 1..]
                        .iter()
                        .position(|b| b.outcome == RegOutcome::Registered)
                    {
                        Some(p) => {
                            i += p + 1;
                            continue;
                        }
                        None => break,
                    }
                }
            }
            // A 403 answering credentials (after a challenge) is this registrar's way of
            // rejecting a password: it counts towards a later lock.
            if a.challenges > 0 && a.final_code == Some(403) && a.outcome != RegOutcome::Registered
            {
                rejected += 1;
            }
            i += 1;
        }
    }
    out
}

pub(super) fn detect(input: &Input<'_>, out: &mut Vec<Finding>) {
    let mut found = locks(input);
    if found.is_empty() {
        return;
    }
    found.sort_by_key(|l| l.locked_at);
    // Pool lockout: the largest group of locks within the window.
    let mut best = (0usize, 0usize);
    for i in 0..found.len() {
        let j = found[i..]
            .iter()
            .take_while(|l| l.locked_at.saturating_sub(found[i].locked_at) <= POOL_WINDOW_NS)
            .count();
        if j > best.1 - best.0 {
            best = (i, i + j);
        }
    }
    if best.1 - best.0 >= POOL_MIN_ACCOUNTS {
        let pool = &found[best.0..best.1];
        let mut ev = Evidence::default();
        let mut thresholds: Vec<u32> = pool.iter().map(|l| l.threshold).collect();
        thresholds.sort_unstable();
        for l in pool {
            ev.aor(l.aor);
            ev.span(l.locked_at);
            l.clients.iter().for_each(|c| ev.address(c));
            l.call_ids.iter().for_each(|c| ev.call_id(c));
        }
        let mut words: Vec<&str> = pool
            .iter()
            .flat_map(|l| l.words.iter().map(String::as_str))
            .collect();
        words.sort_unstable();
        words.dedup();
        for w in words {
            ev.detail(format!("the lock responses say \"{w}\""));
        }
        ev.count("accounts_locked", pool.len() as u64);
        ev.count("threshold_min", u64::from(thresholds[0]));
        ev.count("threshold_max", u64::from(thresholds[thresholds.len() - 1]));
        let span = secs(pool[pool.len() - 1].locked_at - pool[0].locked_at);
        out.push(Finding {
            kind: Kind::PoolLockout,
            severity: Severity::Critical,
            summary: format!(
                "{} accounts locked within {span:.0} s after {}–{} rejected logins each: one bad credential across a pool of endpoints",
                pool.len(),
                thresholds[0],
                thresholds[thresholds.len() - 1]
            ),
            evidence: ev,
            advice: vec![
                "Find the credential the pool shares (a provisioning template, a default password) and fix it before unlocking".into(),
                "Unlock the accounts on the registrar (or wait for the lock to expire) only once the clients stop retrying".into(),
                "Stagger the endpoints' start so that a bad credential locks a few accounts, not all".into(),
            ],
        });
    }
    for l in found.iter().take(10) {
        let mut ev = Evidence::default();
        ev.aor(l.aor);
        ev.span(l.locked_at);
        l.clients.iter().for_each(|c| ev.address(c));
        l.call_ids.iter().for_each(|c| ev.call_id(c));
        ev.count("threshold", u64::from(l.threshold));
        ev.detail(format!("{}: {}", l.aor, l.proof));
        for w in &l.words {
            ev.detail(format!("{}: the lock response says \"{w}\"", l.aor));
        }
        let lasted = match l.unlocked_after_ns {
            Some(d) => {
                ev.count(
                    "lock_seconds",
                    (d.saturating_add(500_000_000) / 1_000_000_000) as u64,
                );
                ev.span(l.locked_at.saturating_add(d));
                format!(
                    "; a later attempt registered {:.0} s after the lock",
                    secs(d)
                )
            }
            None => "; still locked at the end of the capture".into(),
        };
        out.push(Finding {
            kind: Kind::AccountLockout,
            severity: Severity::Error,
            summary: format!("{} locked after {} rejected password(s): answers turned from 401 to {} ({}){lasted}", l.aor, l.threshold, l.how, l.proof),
            evidence: ev,
            advice: vec![
                format!("The registrar locks an account after about {} failed authentications: fix the password first", l.threshold),
                "Check the registrar's lock duration and unlock procedure; retries during the lock may extend it".into(),
                "If the 403s come without earlier 401s elsewhere, check the source IP allow list instead".into(),
            ],
        });
    }
    if found.len() > 10 {
        let mut ev = Evidence::default();
        found[10..].iter().for_each(|l| ev.aor(l.aor));
        ev.count("accounts", (found.len() - 10) as u64);
        out.push(Finding {
            kind: Kind::AccountLockout,
            severity: Severity::Error,
            summary: format!("{} more account(s) locked the same way", found.len() - 10),
            evidence: ev,
            advice: vec!["See the account lockouts above".into()],
        });
    }
}
