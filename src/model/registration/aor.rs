//! The state of every address of record at the end of the capture, from its
//! attempts, and the URI normalisation that names an AOR.

use super::{FailureCause, RegOutcome, RegistrationAttempt};
use serde::Serialize;
use std::collections::BTreeMap;

/// The state of an AOR at the end of the capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AorStateKind {
    /// A binding is still valid at the end of the capture.
    Registered,
    /// Registered during the capture, and the (last) binding lapsed before its end with no refresh.
    Expired,
    /// The binding that ended last was removed by a de-registration.
    Deregistered,
    /// Never registered in the capture, and at least one attempt failed.
    Failed,
    /// Never registered in the capture, and its last attempt is pending.
    Pending,
    /// Only binding queries (REGISTER without Contact) were seen: the bindings are not known.
    Unknown,
}

impl AorStateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AorStateKind::Registered => "REGISTERED",
            AorStateKind::Expired => "EXPIRED",
            AorStateKind::Deregistered => "DEREGISTERED",
            AorStateKind::Failed => "FAILED",
            AorStateKind::Pending => "PENDING",
            AorStateKind::Unknown => "UNKNOWN",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AorState {
    pub aor: String,
    pub state: AorStateKind,
    /// The outcome of the AOR's latest attempt (by first REGISTER time).
    pub last_outcome: RegOutcome,
    pub last_cause: Option<FailureCause>,
    pub last_final_code: Option<u16>,
    /// End of the binding that lasts longest: ts of the last 2xx + granted expires
    /// (the requested value when the 2xx grants none); the de-registration's 2xx time
    /// when that binding was removed.
    pub registered_until_ns: Option<i64>,
    pub attempts: u32,
    pub refreshes: u32,
    pub registered: u32,
    pub failed: u32,
    /// Chains (Call-IDs) registering this AOR: devices, or restarts of one.
    pub call_ids: u32,
}

/// The state of every AOR at `capture_end_ns`, from its attempts (sorted by first REGISTER).
pub fn aor_states(attempts: &[RegistrationAttempt], capture_end_ns: i64) -> Vec<AorState> {
    struct Acc<'a> {
        last: Option<&'a RegistrationAttempt>,
        attempts: u32,
        refreshes: u32,
        registered: u32,
        failed: u32,
        /// Per Call-ID: the end of its last binding, and whether a de-registration ended it.
        bindings: BTreeMap<&'a str, Option<(i64, bool)>>,
    }
    let mut by_aor: BTreeMap<&str, Acc<'_>> = BTreeMap::new();
    for a in attempts {
        let acc = by_aor.entry(&a.aor).or_insert_with(|| Acc {
            last: None,
            attempts: 0,
            refreshes: 0,
            registered: 0,
            failed: 0,
            bindings: BTreeMap::new(),
        });
        acc.attempts += 1;
        acc.refreshes += u32::from(a.is_refresh);
        acc.registered += u32::from(a.outcome == RegOutcome::Registered);
        acc.failed += u32::from(a.is_failed());
        if acc.last.is_none_or(|l| a.first_ts_ns >= l.first_ts_ns) {
            acc.last = Some(a);
        }
        let binding = acc.bindings.entry(&a.call_id).or_default();
        if a.outcome == RegOutcome::Registered && !a.is_query {
            let ts = a.final_ts_ns.unwrap_or(a.first_ts_ns);
            let secs = if a.is_deregistration {
                0
            } else {
                a.granted_expires.or(a.requested_expires).unwrap_or(0)
            };
            *binding = Some((ts + i64::from(secs) * 1_000_000_000, a.is_deregistration));
        }
    }
    by_aor
        .into_iter()
        .map(|(aor, acc)| {
            let last = acc.last.expect("one attempt at least");
            let bindings: Vec<(i64, bool)> = acc.bindings.values().flatten().copied().collect();
            let valid = bindings
                .iter()
                .filter(|(until, dereg)| !dereg && *until > capture_end_ns)
                .map(|b| b.0)
                .max();
            let latest = bindings
                .iter()
                .max_by_key(|(until, dereg)| (*until, *dereg));
            let (state, until) = match (valid, latest) {
                (Some(u), _) => (AorStateKind::Registered, Some(u)),
                (None, Some(&(u, true))) => (AorStateKind::Deregistered, Some(u)),
                (None, Some(&(u, false))) => (AorStateKind::Expired, Some(u)),
                (None, None) if last.outcome == RegOutcome::Pending => {
                    (AorStateKind::Pending, None)
                }
                (None, None) if acc.failed > 0 => (AorStateKind::Failed, None),
                (None, None) => (AorStateKind::Unknown, None),
            };
            AorState {
                aor: aor.to_string(),
                state,
                last_outcome: last.outcome,
                last_cause: last.cause,
                last_final_code: last.final_code,
                registered_until_ns: until,
                attempts: acc.attempts,
                refreshes: acc.refreshes,
                registered: acc.registered,
                failed: acc.failed,
                call_ids: acc.bindings.len() as u32,
            }
        })
        .collect()
}

// ---- small parsers over header values (pure) ----

/// Normalises a URI: scheme and host lowercased, user kept, no password,
/// parameters or headers; the port only when `keep_port`.
pub fn normalize_uri(uri: &[u8], keep_port: bool) -> String {
    let mut s = String::new();
    normalize_uri_into(&mut s, uri, keep_port);
    s
}

pub(super) fn normalize_uri_into(out: &mut String, uri: &[u8], keep_port: bool) {
    let uri = crate::sip::message::trim_bytes(uri);
    let uri = uri
        .strip_prefix(b"<")
        .map(|u| u.strip_suffix(b">").unwrap_or(u))
        .unwrap_or(uri);
    let (scheme, rest) = match uri.iter().position(|b| *b == b':') {
        Some(c)
            if uri[..c]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b)) =>
        {
            (&uri[..c], &uri[c + 1..])
        }
        _ => (&uri[..0], uri),
    };
    let (user, hostpart) = match rest.iter().position(|b| *b == b'@') {
        Some(at) => {
            let u = &rest[..at];
            (
                Some(&u[..u.iter().position(|b| *b == b':').unwrap_or(u.len())]),
                &rest[at + 1..],
            )
        }
        None => (None, rest),
    };
    let hostpart = &hostpart[..hostpart
        .iter()
        .position(|b| *b == b';' || *b == b'?')
        .unwrap_or(hostpart.len())];
    let host = if keep_port {
        hostpart
    } else if hostpart.first() == Some(&b'[') {
        let e = hostpart
            .iter()
            .position(|b| *b == b']')
            .map_or(hostpart.len(), |e| e + 1);
        &hostpart[..e]
    } else {
        &hostpart[..hostpart
            .iter()
            .position(|b| *b == b':')
            .unwrap_or(hostpart.len())]
    };
    if !scheme.is_empty() {
        out.push_str(&String::from_utf8_lossy(scheme).to_ascii_lowercase());
        out.push(':');
    }
    if let Some(u) = user {
        out.push_str(&String::from_utf8_lossy(u));
        out.push('@');
    }
    out.push_str(&String::from_utf8_lossy(host).to_ascii_lowercase());
}
