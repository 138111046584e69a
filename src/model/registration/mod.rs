//! Registrations: REGISTER transactions grouped into chains and attempts, each
//! attempt with its outcome and failure cause, and the state of every address
//! of record (AOR) at the end of the capture.
//!
//! The tracker is fed every message in capture order together with the
//! [`TxEvent`] the transaction layer returned for it; it looks only at REGISTER
//! transactions. Matching requests to responses and spotting retransmissions
//! is the transaction layer's job (`transaction`); summaries and percentiles
//! are the analysis layer's (`analysis::registrations`).
//!
//! # Definitions
//!
//! * **Chain**: the REGISTERs sharing a Call-ID and an AOR. The AOR is the To
//!   URI normalised: scheme and host lowercased, user kept as written, no
//!   password, port, parameters or headers (`<sip:Alice@Example.COM:5060;transport=udp>`
//!   → `sip:Alice@example.com`).
//! * **Attempt**: starts with a REGISTER that opens a transaction;
//!   retransmissions are not new attempts. Within an attempt, these are
//!   *steps*, not new attempts:
//!   - a 401/407 challenge followed by a new REGISTER of the chain (a new
//!     CSeq) carrying Authorization or Proxy-Authorization, either within
//!     [`STEP_WINDOW_NS`] (32 s) or, at any delay, with the nonce of that
//!     challenge (it answers that challenge, however slowly: some clients take
//!     17 s and more, and a registrar may then say the nonce is too old);
//!   - a 423 Interval Too Brief followed, within 8 s ([`RETRY_423_WINDOW_NS`]:
//!     the retry is automatic, no one types anything), by a new REGISTER of the
//!     chain (the retry, normally asking for the Min-Expires value).
//!
//!   Anything else after a final response — a refresh after a 200, a retry after
//!   a 403 or a 503, a REGISTER without credentials after a 401, credentials
//!   more than 32 s later with another nonce (a retry after a back-off) —
//!   starts a new attempt.
//! * **Same request on another hop**: a new transaction with the CSeq of the
//!   attempt's current REGISTER is that request again: sent by another address
//!   it is the copy a proxy forwards (the attempt stays with the first hop
//!   seen, whose request and response counts it reports; copies are counted in
//!   the tracker statistics); sent by the same client it is a re-send on a new
//!   branch (failover) and counts as a transmission of the attempt.
//! * **Outcome**: `REGISTERED` (a final 2xx), `REGISTRATION_FAILED` with a
//!   [`FailureCause`], or `PENDING` (not counted as failed): the capture ended
//!   less than 32 s (Timer F) after the last REGISTER of the attempt, which had
//!   no final response yet, or less than 32 s after a challenge (8 s after a
//!   423) the client is expected to answer.
//! * **Causes**: see [`FailureCause`]. The final response of the last step
//!   decides; a 401/407 to a request that carried credentials is
//!   `AUTH_REJECTED` unless the attempt goes on and succeeds (or fails
//!   otherwise). The first 401/407 (to a request without credentials, or with
//!   `stale=true`) never answered is `CHALLENGE_UNANSWERED`. No final response
//!   at all, with the capture (or the client, by sending a new REGISTER) going
//!   on, is `NO_RESPONSE` when nothing at all answered and `NO_FINAL_RESPONSE`
//!   when only provisional responses did.
//! * **Expires**: requested = the `expires` parameter of the first Contact, else
//!   the Expires header, else 3600 (RFC 3261 §10.2.1.1's recommended default;
//!   `requested_expires_defaulted` tells). The Contact parameter wins over the
//!   header, as RFC 3261 §10.2.1.1 says it does for the registrar. Taken from
//!   the first REGISTER of the attempt: what the client asked for (after a 423
//!   the retry asks for Min-Expires, kept in `min_expires`). A
//!   REGISTER without Contact is a query of the bindings (§10.2.3): no
//!   requested expires, no effect on the AOR state. Granted (from the 2xx) = the
//!   `expires` parameter of the Contact matching the request's Contact (scheme,
//!   user, host and port compared, parameters ignored), else that of the only
//!   Contact when the 2xx lists one (a registrar behind NAT may rewrite it),
//!   else the Expires header; 0 for a de-registration.
//! * **De-registration**: requested expires 0, or `Contact: *`.
//! * **Refresh**: an attempt of a chain in which an earlier attempt succeeded.
//! * **RRD** (RFC 6076 Registration Request Delay): first transmission of the
//!   attempt's first REGISTER (challenges included) → its final 2xx, in ms; only
//!   for successful attempts.
//! * **AOR state** at the end of the capture ([`AorStateKind`]): per Call-ID,
//!   the last successful non-query attempt gives a binding lasting until its
//!   2xx + granted expires (the requested value if the 2xx grants none; the 2xx
//!   itself for a de-registration). `REGISTERED` if a binding is still valid,
//!   else `DEREGISTERED` or `EXPIRED` after the binding that ended last; with no
//!   binding ever, `PENDING` (last attempt pending), `FAILED` (an attempt
//!   failed) or `UNKNOWN` (binding queries only). A failed refresh or
//!   de-registration leaves a valid binding in place, as at the registrar.
//!
//! Memory: a chain with no attempt open costs a 128-bit key, a flag and an empty slot; an
//! open attempt holds two short strings (Call-ID, AOR), the user agent and the
//! normalised Contact, copied once. No message is kept. Both are bounded
//! ([`RegLimits`]: `--limit model.registration_attempts`, `model.registration_chains`);
//! the AOR states are made at the end from the attempts kept, so
//! `rows.registrations` bounds them.

//!
//! Layout: this file holds the definitions and the records; [`tracker`] the state
//! machine that builds attempts from REGISTER transactions, [`auth`] what it reads
//! of Digest challenges and credentials, [`aor`] the AOR states at the end and URI
//! normalisation. Header values are parsed by [`crate::sip::values`].

mod aor;
mod auth;
mod tracker;

pub use aor::{aor_states, normalize_uri, AorState, AorStateKind};
pub use tracker::{FinishedRegistrations, RegLimitStats, RegLimits, RegistrationTracker};

use serde::Serialize;
use std::net::SocketAddr;

/// Timer F (64 × T1 = 32 s): how long a client waits for a final response to a
/// non-INVITE request, and how long we wait for the answer to a challenge.
pub const TIMER_F_NS: i64 = 32_000_000_000;
/// A REGISTER answering a 401/407/423 must follow it within this delay to be a step of the same
/// attempt (unless it carries the challenge's nonce).
pub const STEP_WINDOW_NS: i64 = TIMER_F_NS;
/// A client retries a 423 at once (no human in the loop, unlike a password prompt after a
/// challenge): no retry within this window means it gave up, INTERVAL_TOO_BRIEF.
pub const RETRY_423_WINDOW_NS: i64 = 8_000_000_000;
/// T1 (RFC 3261 §17.1.1.1): a UDP client retransmits an unanswered request after 500 ms.
/// At the end of a capture, an unanswered UDP REGISTER sent once less than T1 ago
/// is still PENDING; one retransmitted, or older than T1, was not answered.
pub const T1_NS: i64 = 500_000_000;
/// Over TCP, TLS or WebSocket nothing is retransmitted, so silence is judged by
/// time alone: an unanswered REGISTER older than T2 (4 s) at the end of the capture
/// is NO_RESPONSE (registrars answer in milliseconds).
pub const T2_NS: i64 = 4_000_000_000;
/// Requested expiry when the REGISTER says nothing (RFC 3261 §10.2.1.1).
pub const DEFAULT_EXPIRES: u32 = 3600;

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RegOutcome {
    /// A final 2xx.
    #[serde(rename = "REGISTERED")]
    Registered,
    /// A final failure, or none in time; see the cause.
    #[serde(rename = "REGISTRATION_FAILED")]
    Failed,
    /// Undecided when the capture ended (within 32 s of the last REGISTER or of
    /// a challenge the client is expected to answer). Not counted as failed.
    #[serde(rename = "PENDING")]
    Pending,
}

impl RegOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RegOutcome::Registered => "REGISTERED",
            RegOutcome::Failed => "REGISTRATION_FAILED",
            RegOutcome::Pending => "PENDING",
        }
    }
}

/// Why an attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailureCause {
    /// 401/407 to a request that carried credentials (wrong user, password,
    /// realm or algorithm), and the attempt did not go on to succeed.
    AuthRejected,
    /// A first 401/407 (to a request without credentials, or `stale=true`) that
    /// the client never answered (no REGISTER with credentials within 32 s,
    /// and the capture went on at least 32 s).
    ChallengeUnanswered,
    /// 403 (IP not allowed, account disabled or locked, rate limited).
    Forbidden,
    /// 404 (unknown user or domain).
    NotFound,
    /// 408 from the server side.
    Timeout,
    /// 423 not followed by a retry (`min_expires` holds its Min-Expires).
    IntervalTooBrief,
    /// 500 and any other 5xx except 503.
    ServerError,
    /// 503 (`retry_after` holds its Retry-After seconds).
    ServiceUnavailable,
    /// No response at all (only retransmissions), and the capture went on at
    /// least 32 s after the REGISTER or the client sent a new one (DNS,
    /// firewall, transport mismatch, registrar down).
    NoResponse,
    /// Provisional responses only, no final one, in the same circumstances.
    NoFinalResponse,
    /// Any other final response (3xx, other 4xx, 6xx); `final_code` keeps it.
    Other,
}

impl FailureCause {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCause::AuthRejected => "AUTH_REJECTED",
            FailureCause::ChallengeUnanswered => "CHALLENGE_UNANSWERED",
            FailureCause::Forbidden => "FORBIDDEN",
            FailureCause::NotFound => "NOT_FOUND",
            FailureCause::Timeout => "TIMEOUT",
            FailureCause::IntervalTooBrief => "INTERVAL_TOO_BRIEF",
            FailureCause::ServerError => "SERVER_ERROR",
            FailureCause::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            FailureCause::NoResponse => "NO_RESPONSE",
            FailureCause::NoFinalResponse => "NO_FINAL_RESPONSE",
            FailureCause::Other => "OTHER",
        }
    }

    /// The cause of a final failure response other than 401/407/423.
    fn of_code(code: u16) -> FailureCause {
        match code {
            403 => FailureCause::Forbidden,
            404 => FailureCause::NotFound,
            408 => FailureCause::Timeout,
            503 => FailureCause::ServiceUnavailable,
            500..=599 => FailureCause::ServerError,
            _ => FailureCause::Other,
        }
    }
}

/// One registration attempt (see the module documentation for the definitions).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RegistrationAttempt {
    pub call_id: String,
    /// The normalised To URI.
    pub aor: String,
    /// Destination of the attempt's first REGISTER (a proxy, when one is in the way).
    pub registrar: SocketAddr,
    /// Source of the attempt's first REGISTER.
    pub client: SocketAddr,
    /// User-Agent of the first REGISTER (control characters replaced, at most 200 bytes).
    pub user_agent: Option<String>,
    /// First transmission of the first REGISTER.
    pub first_ts_ns: i64,
    /// The final response that decided the outcome.
    pub final_ts_ns: Option<i64>,
    pub outcome: RegOutcome,
    /// Set when the outcome is `REGISTRATION_FAILED`.
    pub cause: Option<FailureCause>,
    pub final_code: Option<u16>,
    /// Retry-After seconds of the deciding final response (a 503's, typically).
    pub retry_after_s: Option<u32>,
    /// 401/407 responses within the attempt.
    pub challenges: u32,
    /// REGISTER transmissions on the client's hop, retransmissions included.
    pub requests: u32,
    pub retransmissions: u32,
    /// None for a query (a REGISTER without Contact).
    pub requested_expires: Option<u32>,
    /// The REGISTER said nothing and 3600 was assumed.
    pub requested_expires_defaulted: bool,
    pub granted_expires: Option<u32>,
    pub is_deregistration: bool,
    /// A REGISTER without Contact: it asks for the bindings and changes none.
    pub is_query: bool,
    pub is_refresh: bool,
    /// RFC 6076 Registration Request Delay, successful attempts only.
    pub rrd_ms: Option<f64>,
    /// Min-Expires of a 423 in the attempt.
    pub min_expires: Option<u32>,
    /// Challenges that said `stale=true` (the nonce was old, the password fine).
    pub stale_challenges: u32,
    /// Credentials whose realm or algorithm differ from the challenge they answer.
    pub auth_mismatch: Option<String>,
    /// 401/407 answers to requests that carried credentials (not `stale=true`):
    /// rejected passwords within this attempt, however the attempt ended.
    pub rejected_credentials: u32,
    /// Reason phrase of the deciding final response ("Account locked", "Rate Limit Exceeded").
    pub final_reason: Option<String>,
    /// Warning (RFC 3261 §20.43) or Reason (RFC 3326) header of the deciding final response.
    pub final_warning: Option<String>,
    /// Last transmission of the attempt's last REGISTER (how long silence lasted).
    pub last_request_ns: i64,
}

impl RegistrationAttempt {
    pub fn is_failed(&self) -> bool {
        self.outcome == RegOutcome::Failed
    }
}

/// What the registration summary counts of one attempt: kept for the attempts
/// past `--limit rows.registrations`, so the summary's counts, causes, per-registrar
/// figures and RRD percentiles cover every attempt (AOR states cover those kept).
#[derive(Clone, Debug, PartialEq)]
pub struct RegFigures {
    pub registrar: SocketAddr,
    pub outcome: RegOutcome,
    pub cause: Option<FailureCause>,
    pub is_refresh: bool,
    pub is_deregistration: bool,
    /// Registered (not a deregistration) with a granted Expires shorter than requested.
    pub granted_shorter: bool,
    pub rrd_ms: Option<f64>,
}

impl RegFigures {
    pub fn of(a: &RegistrationAttempt) -> Self {
        RegFigures {
            registrar: a.registrar,
            outcome: a.outcome,
            cause: a.cause,
            is_refresh: a.is_refresh,
            is_deregistration: a.is_deregistration,
            granted_shorter: a.outcome == RegOutcome::Registered
                && !a.is_deregistration
                && matches!((a.granted_expires, a.requested_expires), (Some(g), Some(r)) if g < r),
            rrd_ms: a.rrd_ms,
        }
    }
}

/// Decides which attempts past the bound still count (the run's filter).
pub type RegFilter = std::sync::Arc<dyn Fn(&RegistrationAttempt) -> bool + Send + Sync>;

/// What the tracker could not attribute, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RegStats {
    /// (Call-ID, AOR) chains seen.
    pub chains: u64,
    /// REGISTER copies forwarded by a proxy on another hop (and their retransmissions).
    pub other_hop_requests: u64,
    /// Final responses to an earlier request of the chain, after a newer REGISTER.
    pub late_responses: u64,
    /// Retransmissions of a REGISTER whose attempt is closed.
    pub late_retransmissions: u64,
    /// REGISTER responses to no request seen in the capture.
    pub stray_responses: u64,
    /// REGISTER messages without Call-ID or To URI.
    pub unkeyed: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Registrations {
    /// In order of first REGISTER (the first `rows.registrations`).
    pub attempts: Vec<RegistrationAttempt>,
    /// Figures of the attempts past `rows.registrations` that the run's filter keeps.
    #[serde(skip)]
    pub not_kept: Vec<RegFigures>,
    /// In AOR order.
    pub aors: Vec<AorState>,
    pub stats: RegStats,
}

#[cfg(test)]
mod tests;
