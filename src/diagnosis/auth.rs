//! AUTH_LOOP and REALM_MISMATCH: clients that keep sending credentials the
//! server keeps rejecting, and credentials that do not answer the challenge
//! they follow.
//!
//! An account's rejected credentials are counted across its attempts: every
//! 401/407 answering a request that carried credentials is one cycle, whether
//! the attempt then failed with it, with a 403, or went on to succeed. Three or
//! more make a loop (one rejection is a typo; three is a configuration). Loops
//! on `stale=true` challenges are reported apart: there the password is right
//! and the nonce handling is wrong.

use super::{host, Evidence, Finding, Input, Kind, Severity};
use std::collections::BTreeMap;

/// Rejected credential cycles for one account that make a loop.
pub const LOOP_CYCLES: u32 = 3;

#[derive(Default)]
struct Account {
    cycles: u32,
    stale: u32,
    registered_after: bool,
    first: Option<i64>,
    last: Option<i64>,
    clients: Vec<String>,
}

pub(super) fn detect(input: &Input<'_>, out: &mut Vec<Finding>) {
    let mut accounts: BTreeMap<&str, Account> = BTreeMap::new();
    let mut mismatches = Evidence::default();
    let mut n_mismatch = 0u64;
    for a in &input.registrations.attempts {
        if let Some(m) = &a.auth_mismatch {
            n_mismatch += 1;
            mismatches.aor(&a.aor);
            mismatches.call_id(&a.call_id);
            mismatches.address(host(&a.client));
            mismatches.span(a.first_ts_ns);
            mismatches.detail(format!("{}: {m}", a.aor));
        }
        let acc = accounts.entry(&a.aor).or_default();
        // Every 401/407 to a request with credentials is a rejected cycle, however
        // the attempt ended: a chain 401, 401, …, 403 Account locked loops too.
        let rejected = a.rejected_credentials;
        if rejected > 0 || a.stale_challenges > 0 {
            acc.cycles += rejected;
            acc.stale += a.stale_challenges;
            acc.first.get_or_insert(a.first_ts_ns);
            acc.last = Some(a.final_ts_ns.unwrap_or(a.first_ts_ns));
            let c = host(&a.client);
            if !acc.clients.contains(&c) {
                acc.clients.push(c);
            }
        } else if acc.cycles > 0 && a.outcome == crate::model::registration::RegOutcome::Registered
        {
            acc.registered_after = true;
        }
    }
    if n_mismatch > 0 {
        mismatches.count("attempts", n_mismatch);
        out.push(Finding {
            kind: Kind::RealmMismatch,
            severity: Severity::Error,
            summary: format!(
                "{n_mismatch} REGISTER(s) answered a challenge with credentials for another realm or algorithm ({} account(s))",
                mismatches.aors.len()
            ),
            evidence: mismatches,
            advice: vec![
                "Set the account's realm (or 'auth domain') on the client to the realm the registrar's challenge names".into(),
                "Check the digest algorithm: a client without SHA-256 support answering an SHA-256 challenge with MD5 is rejected".into(),
                "Behind a proxy or SBC, check which element challenges: the realm changes when the challenger does".into(),
            ],
        });
    }

    let loops: Vec<(&&str, &Account)> = accounts
        .iter()
        .filter(|(_, a)| a.cycles >= LOOP_CYCLES)
        .collect();
    if !loops.is_empty() {
        let mut ev = Evidence::default();
        let total: u32 = loops.iter().map(|(_, a)| a.cycles).sum();
        for (aor, a) in &loops {
            ev.aor(aor);
            if let (Some(f), Some(l)) = (a.first, a.last) {
                ev.span(f);
                ev.span(l);
            }
            for c in &a.clients {
                ev.address(c);
            }
            ev.detail(format!(
                "{aor}: {} rejected credential cycle(s){}",
                a.cycles,
                if a.registered_after {
                    ", registered later"
                } else {
                    ", never registered after"
                }
            ));
        }
        ev.count("accounts", loops.len() as u64);
        ev.count("rejected_cycles", u64::from(total));
        let never = loops.iter().filter(|(_, a)| !a.registered_after).count();
        out.push(Finding {
            kind: Kind::AuthLoop,
            severity: if never > 0 { Severity::Error } else { Severity::Warning },
            summary: format!(
                "{} account(s) re-sent rejected credentials {} time(s) in all (≥ {LOOP_CYCLES} each); {never} never registered afterwards",
                loops.len(),
                total
            ),
            evidence: ev,
            advice: vec![
                "Check the password and the authentication user name (often not the same as the extension) of these accounts".into(),
                "A client that retries a rejected password without pause triggers lockout and rate limits: configure a back-off".into(),
                "Compare with an account that registers: same realm, same user name format (user vs user@domain)?".into(),
            ],
        });
    }

    let stale: Vec<(&&str, &Account)> = accounts
        .iter()
        .filter(|(_, a)| a.stale >= LOOP_CYCLES)
        .collect();
    if !stale.is_empty() {
        let mut ev = Evidence::default();
        for (aor, a) in &stale {
            ev.aor(aor);
            ev.detail(format!("{aor}: {} stale-nonce challenge(s)", a.stale));
            if let Some(f) = a.first {
                ev.span(f);
            }
        }
        ev.count("accounts", stale.len() as u64);
        out.push(Finding {
            kind: Kind::AuthLoop,
            severity: Severity::Warning,
            summary: format!("{} account(s) loop on stale nonces (stale=true): the password is right, the nonce handling is not", stale.len()),
            evidence: ev,
            advice: vec![
                "The client should answer stale=true with the new nonce at once, without asking the user".into(),
                "Check the registrar's nonce lifetime against the clients' answer delay and clock".into(),
            ],
        });
    }

    // Calls challenged again after sending credentials.
    let calls: Vec<_> = input
        .calls
        .iter()
        .filter(|c| c.auth_challenges >= 2)
        .collect();
    // A second challenge means the credentials of that INVITE were rejected.
    if !calls.is_empty() {
        let mut ev = Evidence::default();
        for c in &calls {
            ev.call_id(&c.call_id);
            ev.address(host(&c.caller));
            ev.span(c.start_ns);
        }
        ev.count("calls", calls.len() as u64);
        out.push(Finding {
            kind: Kind::AuthLoop,
            severity: Severity::Error,
            summary: format!("{} call(s) were challenged again after sending credentials (INVITE 401/407 loop)", calls.len()),
            evidence: ev,
            advice: vec![
                "Check the caller's credentials for outbound calls (some servers use separate trunk credentials)".into(),
                "Check that the realm in Proxy-Authorization matches the 407's Proxy-Authenticate".into(),
            ],
        });
    }
}
