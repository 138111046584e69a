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
//! normalised Contact, copied once. No message is kept.

use crate::model::transaction::{Transaction, Transactions, TxEvent, TxId};
use crate::sip::{Hdr, Method, SipMessage};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
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
    /// In order of first REGISTER.
    pub attempts: Vec<RegistrationAttempt>,
    /// In AOR order.
    pub aors: Vec<AorState>,
    pub stats: RegStats,
}

/// The deciding final response of the attempt's current request.
#[derive(Clone, Copy, Debug)]
struct Final {
    code: u16,
    ts: i64,
    /// Seen on the attempt's own hop (a proxy's copy gives way to it).
    primary: bool,
    /// A 401/407 with `stale=true`: the credentials were fine, the nonce old.
    stale: bool,
    /// Hash of the nonce of a 401/407 (of its first challenge that has one).
    nonce: Option<u64>,
}

/// An attempt in progress.
struct Open {
    call_id: String,
    aor: String,
    registrar: SocketAddr,
    client: SocketAddr,
    user_agent: Option<String>,
    first_ts: i64,
    is_refresh: bool,
    // The current (last) REGISTER of the attempt.
    tx: TxId,
    cseq: u32,
    tx_first_ts: i64,
    has_credentials: bool,
    /// Normalised Contact URI; "*" for the wildcard; None for a query.
    contact: Option<Box<str>>,
    requested_expires: Option<u32>,
    expires_defaulted: bool,
    is_deregistration: bool,
    provisional: bool,
    last: Option<Final>,
    requests: u32,
    retransmissions: u32,
    challenges: u32,
    retry_after: Option<u32>,
    min_expires: Option<u32>,
    granted: Option<u32>,
    /// Realm and algorithm of the last challenge, to compare with the credentials that answer it.
    challenge: Option<(Box<str>, Box<str>)>,
    stale_challenges: u32,
    auth_mismatch: Option<String>,
    rejected_credentials: u32,
    /// The transport does not retransmit (TCP, TLS, WebSocket).
    reliable: bool,
    /// Transmissions of the current REGISTER, and the last one's time.
    tx_transmissions: u32,
    tx_last_ts: i64,
    final_reason: Option<String>,
    final_warning: Option<String>,
}

#[derive(Default)]
struct Chain {
    /// An attempt of this chain succeeded: the next ones are refreshes.
    succeeded: bool,
    open: Option<Box<Open>>,
}

/// Builds registration attempts from REGISTER transactions, in capture order.
#[derive(Default)]
pub struct RegistrationTracker {
    chains: HashMap<u128, Chain>,
    done: Vec<RegistrationAttempt>,
    stats: RegStats,
    scratch: String,
}

/// When an attempt is closed.
#[derive(Clone, Copy)]
enum Close {
    /// A new REGISTER of the chain starts another attempt: the client went on.
    Superseded,
    /// The capture ended at this time.
    End(i64),
}

impl RegistrationTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one message with the event the transaction layer returned for it.
    pub fn on_message(&mut self, m: &SipMessage, ev: TxEvent, txs: &Transactions) {
        let id = match ev {
            TxEvent::NewRequest(id) | TxEvent::Retransmission(id) => id,
            TxEvent::Response { tx, .. } => tx,
            TxEvent::StrayResponse => {
                if m.cseq().is_some_and(|(_, meth)| meth == b"REGISTER") {
                    self.stats.stray_responses += 1;
                }
                return;
            }
            TxEvent::AckOfFailure(_) | TxEvent::Unmatchable => return,
        };
        let Some(tx) = txs.get(id) else { return };
        if tx.method != Method::Register {
            return;
        }
        let Some(key) = self.chain_key(m) else {
            self.stats.unkeyed += 1;
            return;
        };
        match ev {
            TxEvent::NewRequest(_) => self.on_new_request(key, m, tx),
            TxEvent::Retransmission(_) => self.on_retransmission(key, tx, m.ts_ns),
            TxEvent::Response { first, .. } => self.on_response(key, m, tx, first),
            _ => {}
        }
    }

    /// Closes every open attempt (PENDING or failed, against `capture_end_ns`:
    /// the time of the capture's last frame) and derives the AOR states. `txs`
    /// is the table the messages were matched with.
    pub fn finish(mut self, capture_end_ns: i64, _txs: &Transactions) -> Registrations {
        let mut open: Vec<Box<Open>> = self.chains.drain().filter_map(|(_, c)| c.open).collect();
        // HashMap order is arbitrary; close in a fixed order.
        open.sort_by(|a, b| {
            (a.first_ts, &a.call_id, &a.aor).cmp(&(b.first_ts, &b.call_id, &b.aor))
        });
        for o in open {
            let (rec, _) = close(*o, Close::End(capture_end_ns));
            self.done.push(rec);
        }
        let mut attempts = self.done;
        attempts.sort_by(|a, b| {
            (a.first_ts_ns, &a.call_id, &a.aor).cmp(&(b.first_ts_ns, &b.call_id, &b.aor))
        });
        let aors = aor_states(&attempts, capture_end_ns);
        Registrations {
            attempts,
            aors,
            stats: self.stats,
        }
    }

    fn chain_key(&mut self, m: &SipMessage) -> Option<u128> {
        let call_id = m.call_id()?;
        let to = m.to_uri().filter(|u| !u.is_empty())?;
        self.scratch.clear();
        normalize_uri_into(&mut self.scratch, to, false);
        let mut a = std::collections::hash_map::DefaultHasher::new();
        let mut b = std::collections::hash_map::DefaultHasher::new();
        0x7e6_u64.hash(&mut b);
        for h in [&mut a, &mut b] {
            call_id.hash(h);
            self.scratch.hash(h);
        }
        Some((u128::from(a.finish()) << 64) | u128::from(b.finish()))
    }

    fn on_new_request(&mut self, key: u128, m: &SipMessage, tx: &Transaction) {
        let chain = self.chains.entry(key).or_insert_with(|| {
            self.stats.chains += 1;
            Chain::default()
        });
        if let Some(o) = chain.open.as_deref_mut() {
            if tx.cseq == o.cseq {
                if m.src == o.client {
                    // The client sent its request again on a new branch (failover).
                    o.requests += 1;
                    o.tx_transmissions += 1;
                    o.tx_last_ts = m.ts_ns;
                    if o.last.is_none() {
                        o.tx = tx.id;
                        o.tx_first_ts = m.ts_ns;
                    }
                } else {
                    self.stats.other_hop_requests += 1;
                }
                return;
            }
            let step = o.last.is_some_and(|f| {
                let in_time = m.ts_ns.saturating_sub(f.ts) <= STEP_WINDOW_NS;
                match f.code {
                    401 | 407 if tx.has_credentials => {
                        in_time || f.nonce.is_some_and(|n| credential_nonces(m).contains(&n))
                    }
                    423 => m.ts_ns.saturating_sub(f.ts) <= RETRY_423_WINDOW_NS,
                    _ => false,
                }
            });
            if step {
                o.tx = tx.id;
                o.cseq = tx.cseq;
                o.tx_first_ts = m.ts_ns;
                o.tx_transmissions = 1;
                o.tx_last_ts = m.ts_ns;
                o.has_credentials = tx.has_credentials;
                o.provisional = false;
                o.last = None;
                o.requests += 1;
                o.granted = None;
                o.retry_after = None;
                // "Requested" is what the client first asked for: after a 423 the retry asks
                // for Min-Expires, which `min_expires` already tells.
                let (asked, defaulted) = (o.requested_expires, o.expires_defaulted);
                read_request(o, m);
                if tx.has_credentials && o.auth_mismatch.is_none() {
                    o.auth_mismatch = o.challenge.as_ref().and_then(|c| credential_mismatch(c, m));
                }
                if asked.is_some() && !o.is_deregistration {
                    (o.requested_expires, o.expires_defaulted) = (asked, defaulted);
                }
                return;
            }
            let o = chain.open.take().expect("checked above");
            let (rec, ok) = close(*o, Close::Superseded);
            chain.succeeded |= ok;
            self.done.push(rec);
        }
        let mut o = Box::new(Open {
            call_id: lossy(m.call_id().unwrap_or_default(), 256),
            aor: self.scratch.clone(),
            registrar: m.dst,
            client: m.src,
            user_agent: m.header(Hdr::UserAgent).map(|v| lossy(&v, 200)),
            first_ts: m.ts_ns,
            is_refresh: chain.succeeded,
            tx: tx.id,
            cseq: tx.cseq,
            tx_first_ts: m.ts_ns,
            has_credentials: tx.has_credentials,
            contact: None,
            requested_expires: None,
            expires_defaulted: false,
            is_deregistration: false,
            provisional: false,
            last: None,
            requests: 1,
            retransmissions: 0,
            challenges: 0,
            retry_after: None,
            min_expires: None,
            granted: None,
            challenge: None,
            stale_challenges: 0,
            auth_mismatch: None,
            rejected_credentials: 0,
            reliable: tx.transport.is_reliable(),
            tx_transmissions: 1,
            tx_last_ts: m.ts_ns,
            final_reason: None,
            final_warning: None,
        });
        read_request(&mut o, m);
        chain.open = Some(o);
    }

    fn on_retransmission(&mut self, key: u128, tx: &Transaction, ts: i64) {
        match self
            .chains
            .get_mut(&key)
            .and_then(|c| c.open.as_deref_mut())
        {
            Some(o) if o.tx == tx.id => {
                o.requests += 1;
                o.retransmissions += 1;
                o.tx_transmissions += 1;
                o.tx_last_ts = o.tx_last_ts.max(ts);
            }
            Some(o) if o.cseq == tx.cseq => self.stats.other_hop_requests += 1,
            _ => self.stats.late_retransmissions += 1,
        }
    }

    fn on_response(&mut self, key: u128, m: &SipMessage, tx: &Transaction, first: bool) {
        let code = m.status().unwrap_or(0);
        let open = self
            .chains
            .get_mut(&key)
            .and_then(|c| c.open.as_deref_mut());
        let Some(o) = open.filter(|o| o.cseq == tx.cseq) else {
            if code >= 200 && first {
                self.stats.late_responses += 1;
            }
            return;
        };
        let primary = tx.id == o.tx;
        if code < 200 {
            o.provisional = true;
            return;
        }
        // Only the first final response of a transaction counts (tx.finals counts repeats).
        if !first || tx.finals != 1 {
            return;
        }
        // A final seen on a proxy's hop gives way to the one on the client's hop.
        match o.last {
            None => {}
            Some(f) if !f.primary && primary => {
                o.challenges -= u32::from(is_challenge(f.code));
                o.rejected_credentials -=
                    u32::from(is_challenge(f.code) && o.has_credentials && !f.stale);
            }
            Some(_) => return,
        }
        let (stale, nonce) = if is_challenge(code) {
            read_challenge(m, code)
        } else {
            (false, None)
        };
        if is_challenge(code) {
            o.stale_challenges += u32::from(stale);
            o.challenge = challenge_realm(m, code);
        }
        o.last = Some(Final {
            code,
            ts: m.ts_ns,
            primary,
            stale,
            nonce,
        });
        if is_challenge(code) {
            o.challenges += 1;
            if o.has_credentials && !stale {
                o.rejected_credentials += 1;
            }
        }
        o.final_reason = m.reason().map(|r| lossy(r, 200)).filter(|r| !r.is_empty());
        o.final_warning = m
            .header_values("Warning")
            .into_iter()
            .chain(m.header_values("Reason"))
            .next()
            .map(|v| lossy(&v, 300));
        o.retry_after = m.header(Hdr::RetryAfter).and_then(|v| leading_u32(&v));
        if code == 423 {
            if let Some(v) = m.header(Hdr::MinExpires).and_then(|v| leading_u32(&v)) {
                o.min_expires = Some(v);
            }
        }
        o.granted = if (200..300).contains(&code) {
            if o.is_deregistration {
                Some(0)
            } else if o.contact.is_some() {
                granted_expires(m, o.contact.as_deref())
            } else {
                None
            }
        } else {
            None
        };
    }
}

fn is_challenge(code: u16) -> bool {
    code == 401 || code == 407
}

/// The realm and algorithm (MD5 when absent, RFC 2617) of a challenge's first Digest header.
fn challenge_realm(m: &SipMessage, code: u16) -> Option<(Box<str>, Box<str>)> {
    let name = if code == 401 {
        "WWW-Authenticate"
    } else {
        "Proxy-Authenticate"
    };
    let v = m.header_values(name).into_iter().next()?;
    let realm = digest_param(&v, b"realm")?;
    let alg = digest_param(&v, b"algorithm").unwrap_or(b"MD5");
    Some((lossy(realm, 128).into(), lossy(alg, 32).into()))
}

/// Credentials whose realm or algorithm differ from the challenge they answer, described.
fn credential_mismatch(challenge: &(Box<str>, Box<str>), m: &SipMessage) -> Option<String> {
    let v = [Hdr::Authorization, Hdr::ProxyAuthorization]
        .into_iter()
        .find_map(|h| m.header(h))?;
    let realm = lossy(digest_param(&v, b"realm")?, 128);
    let alg = lossy(digest_param(&v, b"algorithm").unwrap_or(b"MD5"), 32);
    let (c_realm, c_alg) = challenge;
    let realm_differs = realm != **c_realm;
    let alg_differs = !alg.eq_ignore_ascii_case(c_alg);
    (realm_differs || alg_differs).then(|| {
        format!("challenge realm \"{c_realm}\" algorithm {c_alg}; credentials realm \"{realm}\" algorithm {alg}")
    })
}

/// A challenge's `stale=true` flag, and the hash of its nonce.
fn read_challenge(m: &SipMessage, code: u16) -> (bool, Option<u64>) {
    let name = if code == 401 {
        "WWW-Authenticate"
    } else {
        "Proxy-Authenticate"
    };
    let (mut stale, mut nonce) = (false, None);
    for v in m.header_values(name) {
        stale |= digest_param(&v, b"stale").is_some_and(|s| s.eq_ignore_ascii_case(b"true"));
        nonce = nonce.or(digest_param(&v, b"nonce").map(hash64));
    }
    (stale, nonce)
}

/// Hashes of the nonces a request's credentials were computed over.
fn credential_nonces(m: &SipMessage) -> Vec<u64> {
    [Hdr::Authorization, Hdr::ProxyAuthorization]
        .into_iter()
        .filter_map(|h| m.header(h))
        .filter_map(|v| digest_param(&v, b"nonce").map(hash64))
        .collect()
}

fn hash64(v: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// A parameter of a Digest challenge or credentials (`Digest a="x", b=y`), unquoted.
fn digest_param<'a>(v: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let v = trim(v);
    // Skip the scheme ("Digest").
    let v = match v.iter().position(|b| b.is_ascii_whitespace()) {
        Some(sp) if !v[..sp].contains(&b'=') => &v[sp..],
        _ => v,
    };
    list_items(v).find_map(|item| {
        let eq = item.iter().position(|b| *b == b'=')?;
        trim(&item[..eq]).eq_ignore_ascii_case(name).then(|| {
            let val = trim(&item[eq + 1..]);
            val.strip_prefix(b"\"")
                .and_then(|x| x.strip_suffix(b"\""))
                .unwrap_or(val)
        })
    })
}

/// Reads what the attempt keeps from a REGISTER: Contact, expiry, de-registration.
fn read_request(o: &mut Open, m: &SipMessage) {
    let contact = m
        .header(Hdr::Contact)
        .map(|v| first_item(&v).to_vec())
        .filter(|c| !c.is_empty());
    let expires_hdr = m.header(Hdr::Expires).and_then(|v| leading_u32(&v));
    match contact {
        None => {
            o.contact = None;
            o.requested_expires = None;
            o.expires_defaulted = false;
            o.is_deregistration = false;
        }
        Some(c) if c == b"*" => {
            o.contact = Some("*".into());
            o.requested_expires = Some(expires_hdr.unwrap_or(0));
            o.expires_defaulted = false;
            o.is_deregistration = true;
        }
        Some(c) => {
            let (uri, params) = split_addr(&c);
            let mut s = String::new();
            normalize_uri_into(&mut s, uri, true);
            let param = param(params, b"expires").and_then(leading_u32);
            let req = param.or(expires_hdr);
            o.contact = Some(s.into_boxed_str());
            o.requested_expires = Some(req.unwrap_or(DEFAULT_EXPIRES));
            o.expires_defaulted = req.is_none();
            o.is_deregistration = req == Some(0);
        }
    }
}

/// The expiry a 2xx grants to the request's contact (see the module docs).
fn granted_expires(m: &SipMessage, contact: Option<&str>) -> Option<u32> {
    let values = m.header_values("Contact");
    let mut listed = 0;
    let mut only: Option<u32> = None;
    let mut uri = String::new();
    for v in &values {
        for item in list_items(v) {
            let (u, params) = split_addr(item);
            let exp = param(params, b"expires").and_then(leading_u32);
            uri.clear();
            normalize_uri_into(&mut uri, u, true);
            if contact == Some(uri.as_str()) {
                if let Some(e) = exp {
                    return Some(e);
                }
            }
            listed += 1;
            only = exp;
        }
    }
    if listed == 1 {
        if let Some(e) = only {
            return Some(e);
        }
    }
    m.header(Hdr::Expires).and_then(|v| leading_u32(&v))
}

/// Ends an attempt: its record, and whether it succeeded.
fn close(o: Open, how: Close) -> (RegistrationAttempt, bool) {
    let end_within = |t: i64| matches!(how, Close::End(end) if end.saturating_sub(t) < TIMER_F_NS);
    let (outcome, cause) = match o.last {
        Some(f) if (200..300).contains(&f.code) => (RegOutcome::Registered, None),
        Some(f) if is_challenge(f.code) => {
            if o.has_credentials && !f.stale {
                (RegOutcome::Failed, Some(FailureCause::AuthRejected))
            } else if end_within(f.ts) {
                (RegOutcome::Pending, None)
            } else {
                (RegOutcome::Failed, Some(FailureCause::ChallengeUnanswered))
            }
        }
        Some(f) if f.code == 423 => {
            if matches!(how, Close::End(end) if end.saturating_sub(f.ts) < RETRY_423_WINDOW_NS) {
                (RegOutcome::Pending, None)
            } else {
                (RegOutcome::Failed, Some(FailureCause::IntervalTooBrief))
            }
        }
        Some(f) => (RegOutcome::Failed, Some(FailureCause::of_code(f.code))),
        // Provisional answers only: the server is working on it until Timer F.
        None if o.provisional && end_within(o.tx_first_ts) => (RegOutcome::Pending, None),
        None if o.provisional => (RegOutcome::Failed, Some(FailureCause::NoFinalResponse)),
        // Nothing at all. Judged at the end of the capture from what was seen, not only
        // from Timer F (customer captures end seconds after the failure): a UDP REGISTER
        // retransmitted, or older than T1, was not answered; over a reliable transport,
        // one older than T2. Only a request just sent is still pending.
        None if matches!(how, Close::End(end) if o.tx_transmissions <= 1
            && end.saturating_sub(o.tx_first_ts) < if o.reliable { T2_NS } else { T1_NS }) =>
        {
            (RegOutcome::Pending, None)
        }
        None => (RegOutcome::Failed, Some(FailureCause::NoResponse)),
    };
    let ok = outcome == RegOutcome::Registered;
    let rec = RegistrationAttempt {
        call_id: o.call_id,
        aor: o.aor,
        registrar: o.registrar,
        client: o.client,
        user_agent: o.user_agent,
        first_ts_ns: o.first_ts,
        final_ts_ns: o.last.map(|f| f.ts),
        outcome,
        cause,
        final_code: o.last.map(|f| f.code),
        retry_after_s: o.retry_after,
        challenges: o.challenges,
        requests: o.requests,
        retransmissions: o.retransmissions,
        requested_expires: o.requested_expires,
        requested_expires_defaulted: o.expires_defaulted,
        granted_expires: if ok { o.granted } else { None },
        is_deregistration: o.is_deregistration,
        is_query: o.contact.is_none(),
        is_refresh: o.is_refresh,
        rrd_ms: o
            .last
            .filter(|_| ok)
            .map(|f| f.ts.saturating_sub(o.first_ts) as f64 / 1e6),
        min_expires: o.min_expires,
        stale_challenges: o.stale_challenges,
        auth_mismatch: o.auth_mismatch,
        rejected_credentials: o.rejected_credentials,
        final_reason: o.last.and(o.final_reason),
        final_warning: o.last.and(o.final_warning),
        last_request_ns: o.tx_last_ts,
    };
    (rec, ok)
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

fn normalize_uri_into(out: &mut String, uri: &[u8], keep_port: bool) {
    let uri = trim(uri);
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

fn trim(v: &[u8]) -> &[u8] {
    crate::sip::message::trim_bytes(v)
}

/// Leading decimal digits as a number (saturating), e.g. "120 (busy);duration=60" → 120.
fn leading_u32(v: &[u8]) -> Option<u32> {
    let v = trim(v);
    let n = v.iter().take_while(|b| b.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    Some(v[..n].iter().fold(0u64, |acc, d| {
        (acc * 10 + u64::from(d - b'0')).min(u64::from(u32::MAX))
    }) as u32)
}

/// The entries of a comma-separated header value, ignoring commas inside quotes or <>.
fn list_items(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    let (mut quoted, mut angle, mut start) = (false, false, 0);
    let mut cuts = Vec::new();
    for (i, &b) in v.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'<' if !quoted => angle = true,
            b'>' if !quoted => angle = false,
            b',' if !quoted && !angle => {
                cuts.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    cuts.push((start, v.len()));
    cuts.into_iter()
        .map(move |(s, e)| trim(&v[s..e]))
        .filter(|i| !i.is_empty())
}

fn first_item(v: &[u8]) -> &[u8] {
    list_items(v).next().unwrap_or(&[])
}

/// Splits a name-addr / addr-spec into (URI, header parameters).
fn split_addr(v: &[u8]) -> (&[u8], &[u8]) {
    let mut quoted = false;
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b'"' => quoted = !quoted,
            b'\\' if quoted => i += 1,
            b'<' if !quoted => {
                return match v[i..].iter().position(|b| *b == b'>') {
                    Some(c) => (&v[i + 1..i + c], &v[i + c + 1..]),
                    None => (&v[i + 1..], &[]),
                };
            }
            _ => {}
        }
        i += 1;
    }
    let v = trim(v);
    match v.iter().position(|b| *b == b';') {
        Some(s) => (&v[..s], &v[s..]),
        None => (v, &[]),
    }
}

/// A `;name=value` parameter (name case-insensitive, value unquoted).
fn param<'a>(params: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    params.split(|b| *b == b';').skip(1).find_map(|p| {
        let p = trim(p);
        let eq = p.iter().position(|b| *b == b'=')?;
        trim(&p[..eq]).eq_ignore_ascii_case(name).then(|| {
            let v = trim(&p[eq + 1..]);
            v.strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(v)
        })
    })
}

/// Bytes from a capture as a display string: lossy UTF-8, no control characters, bounded.
fn lossy(v: &[u8], max: usize) -> String {
    let v = &v[..v.len().min(max)];
    String::from_utf8_lossy(v)
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::scan::{scan, Mode};
    use crate::sip::{Carriage, Origin, Transport};

    const UA: &str = "10.0.0.1:5062";
    const REG: &str = "10.0.0.9:5060";
    const S: i64 = 1_000_000_000;

    fn msg(ts: i64, src: &str, dst: &str, text: &str) -> SipMessage {
        let raw = text.replace('\n', "\r\n").into_bytes();
        let head = scan(&raw, Mode::Datagram).unwrap();
        SipMessage::new(
            (
                ts,
                src.parse().unwrap(),
                dst.parse().unwrap(),
                Transport::Udp,
                Origin::default(),
                Carriage::default(),
            ),
            raw.into(),
            head,
        )
    }

    /// A REGISTER of chain `r1` for alice; `extra` holds more header lines.
    fn register(cseq: u32, extra: &str) -> String {
        format!(
            "REGISTER sip:example.com SIP/2.0\n\
Via: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK-{cseq}\n\
From: <sip:alice@example.com>;tag=a1\n\
To: \"Alice\" <sip:alice@Example.COM;transport=udp>\n\
Call-ID: r1\n\
CSeq: {cseq} REGISTER\n\
Contact: <sip:alice@10.0.0.1:5062;transport=udp>\n\
User-Agent: TestPhone 1.0\n\
{extra}Content-Length: 0\n\n"
        )
    }

    fn auth() -> &'static str {
        "Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"n1\", uri=\"sip:example.com\", response=\"00\"\n"
    }

    fn reply(status: &str, cseq: u32, extra: &str) -> String {
        format!(
            "SIP/2.0 {status}\n\
Via: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK-{cseq}\n\
From: <sip:alice@example.com>;tag=a1\n\
To: \"Alice\" <sip:alice@Example.COM;transport=udp>;tag=srv\n\
Call-ID: r1\n\
CSeq: {cseq} REGISTER\n\
{extra}Content-Length: 0\n\n"
        )
    }

    const CHALLENGE: &str =
        "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n1\", algorithm=MD5\n";

    /// Feeds (time, from the UA?, text) in order; the other side is the registrar.
    fn run(steps: &[(i64, bool, String)], end: i64) -> Registrations {
        let mut txs = Transactions::default();
        let mut reg = RegistrationTracker::new();
        for (ts, from_ua, text) in steps {
            let (src, dst) = if *from_ua { (UA, REG) } else { (REG, UA) };
            let m = msg(*ts, src, dst, text);
            let ev = txs.on_message(&m);
            reg.on_message(&m, ev, &txs);
        }
        reg.finish(end, &txs)
    }

    fn one(r: &Registrations) -> &RegistrationAttempt {
        assert_eq!(r.attempts.len(), 1, "{:#?}", r.attempts);
        &r.attempts[0]
    }

    fn failed(a: &RegistrationAttempt, cause: FailureCause) {
        assert_eq!(
            (a.outcome, a.cause),
            (RegOutcome::Failed, Some(cause)),
            "{a:#?}"
        );
    }

    #[test]
    fn challenge_then_200_is_one_registered_attempt() {
        let r = run(
            &[
                (0, true, register(1, "Expires: 3600\n")),
                (10_000_000, false, reply("401 Unauthorized", 1, CHALLENGE)),
                (20_000_000, true, register(2, &format!("Expires: 3600\n{}", auth()))),
                (
                    50_000_000,
                    false,
                    reply(
                        "200 OK",
                        2,
                        "Contact: <sip:alice@10.0.0.1:5062;transport=udp>;expires=600\nExpires: 3600\n",
                    ),
                ),
            ],
            10 * S,
        );
        let a = one(&r);
        assert_eq!(a.outcome, RegOutcome::Registered);
        assert_eq!(a.cause, None);
        assert_eq!(a.aor, "sip:alice@example.com");
        assert_eq!(a.call_id, "r1");
        assert_eq!(a.registrar, REG.parse().unwrap());
        assert_eq!(a.client, UA.parse().unwrap());
        assert_eq!(a.user_agent.as_deref(), Some("TestPhone 1.0"));
        assert_eq!((a.challenges, a.requests, a.retransmissions), (1, 2, 0));
        assert_eq!(a.rrd_ms, Some(50.0));
        assert_eq!((a.final_code, a.final_ts_ns), (Some(200), Some(50_000_000)));
        assert_eq!(
            (a.requested_expires, a.granted_expires),
            (Some(3600), Some(600))
        );
        assert!(!a.requested_expires_defaulted && !a.is_refresh && !a.is_deregistration);
        let st = &r.aors[0];
        assert_eq!(st.state, AorStateKind::Registered);
        assert_eq!(st.registered_until_ns, Some(50_000_000 + 600 * S));
        assert_eq!((st.attempts, st.refreshes, st.registered), (1, 0, 1));
    }

    #[test]
    fn wrong_password_is_auth_rejected() {
        let r = run(
            &[
                (0, true, register(1, "")),
                (S / 100, false, reply("401 Unauthorized", 1, CHALLENGE)),
                (S / 50, true, register(2, auth())),
                (S / 25, false, reply("401 Unauthorized", 2, CHALLENGE)),
            ],
            2 * S, // the capture ends soon after: a rejected password is not pending
        );
        let a = one(&r);
        failed(a, FailureCause::AuthRejected);
        assert_eq!((a.final_code, a.challenges, a.requests), (Some(401), 2, 2));
        assert_eq!(a.rrd_ms, None);
        assert_eq!(r.aors[0].state, AorStateKind::Failed);
    }

    #[test]
    fn interval_too_brief_then_retry_is_one_attempt() {
        let r = run(
            &[
                (0, true, register(1, "Expires: 30\n")),
                (
                    S / 10,
                    false,
                    reply("423 Interval Too Brief", 1, "Min-Expires: 60\n"),
                ),
                (S / 5, true, register(2, "Expires: 60\n")),
                (S / 4, false, reply("200 OK", 2, "Expires: 60\n")),
            ],
            10 * S,
        );
        let a = one(&r);
        assert_eq!(a.outcome, RegOutcome::Registered);
        assert_eq!(a.min_expires, Some(60));
        // Asked 30 (the first REGISTER), told Min-Expires 60, granted 60.
        assert_eq!(
            (a.requested_expires, a.granted_expires),
            (Some(30), Some(60))
        );
        assert_eq!((a.challenges, a.requests), (0, 2));
    }

    #[test]
    fn interval_too_brief_without_retry() {
        let steps = [
            (0, true, register(1, "Expires: 30\n")),
            (
                S / 10,
                false,
                reply("423 Interval Too Brief", 1, "Min-Expires: 300\n"),
            ),
        ];
        let a = run(&steps, 40 * S).attempts[0].clone();
        failed(&a, FailureCause::IntervalTooBrief);
        assert_eq!((a.min_expires, a.final_code), (Some(300), Some(423)));
        // The capture ended before the client had to retry.
        assert_eq!(run(&steps, 5 * S).attempts[0].outcome, RegOutcome::Pending);
    }

    #[test]
    fn service_unavailable_keeps_retry_after() {
        let r = run(
            &[
                (0, true, register(1, "")),
                (
                    S,
                    false,
                    reply(
                        "503 Service Unavailable",
                        1,
                        "Retry-After: 120 (maintenance);duration=60\n",
                    ),
                ),
            ],
            2 * S,
        );
        let a = one(&r);
        failed(a, FailureCause::ServiceUnavailable);
        assert_eq!((a.retry_after_s, a.final_ts_ns), (Some(120), Some(S)));
    }

    #[test]
    fn final_failure_codes_map_to_causes() {
        for (status, cause) in [
            ("403 Forbidden", FailureCause::Forbidden),
            ("404 Not Found", FailureCause::NotFound),
            ("408 Request Timeout", FailureCause::Timeout),
            ("500 Server Internal Error", FailureCause::ServerError),
            ("504 Server Time-out", FailureCause::ServerError),
            ("302 Moved Temporarily", FailureCause::Other),
            ("480 Temporarily Unavailable", FailureCause::Other),
            ("603 Decline", FailureCause::Other),
        ] {
            let r = run(
                &[(0, true, register(1, "")), (S, false, reply(status, 1, ""))],
                2 * S,
            );
            let a = one(&r);
            failed(a, cause);
            assert_eq!(a.final_code, status[..3].parse().ok());
            assert_eq!(r.aors[0].state, AorStateKind::Failed);
        }
    }

    #[test]
    fn no_response_after_timer_f() {
        let steps: Vec<_> = [0, S / 2, 3 * S / 2, 7 * S / 2]
            .into_iter()
            .map(|t| (t, true, register(1, "")))
            .collect();
        let r = run(&steps, 40 * S);
        let a = one(&r);
        failed(a, FailureCause::NoResponse);
        assert_eq!((a.requests, a.retransmissions, a.final_code), (4, 3, None));
        assert_eq!(a.last_request_ns, 7 * S / 2);
    }

    /// Issue #15: a capture that ends seconds after the failure, before Timer F,
    /// must still say NO_RESPONSE for a REGISTER retransmitted without an answer
    /// (it said PENDING, and the finding never came).
    #[test]
    fn retransmitted_register_unanswered_at_capture_end_is_no_response() {
        let steps: Vec<_> = [0, S / 2, 3 * S / 2, 7 * S / 2]
            .into_iter()
            .map(|t| (t, true, register(1, "")))
            .collect();
        let r = run(&steps, 5 * S);
        failed(one(&r), FailureCause::NoResponse);
        assert_eq!(r.aors[0].state, AorStateKind::Failed);
        // Sent once, 0.3 s before the end: still pending (less than T1).
        let r = run(&[(0, true, register(1, ""))], 3 * S / 10);
        assert_eq!(
            (one(&r).outcome, one(&r).cause),
            (RegOutcome::Pending, None)
        );
        assert_eq!(r.aors[0].state, AorStateKind::Pending);
        // Sent once, 2 s before the end, never retransmitted: the UDP client would have.
        let r = run(&[(0, true, register(1, ""))], 2 * S);
        failed(one(&r), FailureCause::NoResponse);
    }

    #[test]
    fn provisional_only_is_no_final_response() {
        let r = run(
            &[
                (0, true, register(1, "")),
                (S / 100, false, reply("100 Trying", 1, "")),
            ],
            33 * S,
        );
        failed(one(&r), FailureCause::NoFinalResponse);
    }

    #[test]
    fn refresh_after_200_is_a_new_attempt() {
        let ok = |c| {
            reply(
                "200 OK",
                c,
                "Contact: <sip:alice@10.0.0.1:5062>;expires=60\n",
            )
        };
        let r = run(
            &[
                (0, true, register(1, "Expires: 60\n")),
                (S / 10, false, ok(1)),
                (50 * S, true, register(2, "Expires: 60\n")),
                (50 * S + S / 10, false, ok(2)),
                // A refresh that is challenged is still one attempt.
                (100 * S, true, register(3, "Expires: 60\n")),
                (
                    100 * S + S / 10,
                    false,
                    reply("401 Unauthorized", 3, CHALLENGE),
                ),
                (
                    100 * S + S / 5,
                    true,
                    register(4, &format!("Expires: 60\n{}", auth())),
                ),
                (100 * S + S / 2, false, ok(4)),
            ],
            120 * S,
        );
        let a = &r.attempts;
        assert_eq!(a.len(), 3);
        assert!(a.iter().all(|a| a.outcome == RegOutcome::Registered));
        assert_eq!(
            a.iter().map(|a| a.is_refresh).collect::<Vec<_>>(),
            [false, true, true]
        );
        assert_eq!(
            (a[2].challenges, a[2].requests, a[2].rrd_ms),
            (1, 2, Some(500.0))
        );
        let st = &r.aors[0];
        assert_eq!((st.attempts, st.refreshes, st.registered), (3, 2, 3));
        assert_eq!(st.state, AorStateKind::Registered);
        assert_eq!(st.registered_until_ns, Some(160 * S + S / 2));
    }

    #[test]
    fn registration_that_lapses_is_expired() {
        let r = run(
            &[
                (0, true, register(1, "Expires: 3600\n")),
                (
                    S,
                    false,
                    reply(
                        "200 OK",
                        1,
                        "Contact: <sip:alice@10.0.0.1:5062>;expires=60\n",
                    ),
                ),
            ],
            100 * S,
        );
        assert_eq!(one(&r).granted_expires, Some(60));
        assert_eq!(r.aors[0].state, AorStateKind::Expired);
        assert_eq!(r.aors[0].registered_until_ns, Some(61 * S));
    }

    #[test]
    fn deregistration() {
        let r = run(
            &[
                (0, true, register(1, "")),
                (
                    S,
                    false,
                    reply(
                        "200 OK",
                        1,
                        "Contact: <sip:alice@10.0.0.1:5062>;expires=3600\n",
                    ),
                ),
                (10 * S, true, register(2, "Expires: 0\n")),
                (11 * S, false, reply("200 OK", 2, "")),
            ],
            20 * S,
        );
        let a = &r.attempts;
        assert_eq!(a.len(), 2);
        assert!(a[0].requested_expires_defaulted);
        assert_eq!(a[0].requested_expires, Some(DEFAULT_EXPIRES));
        assert!(a[1].is_deregistration && a[1].is_refresh);
        assert_eq!(
            (a[1].requested_expires, a[1].granted_expires),
            (Some(0), Some(0))
        );
        assert_eq!(r.aors[0].state, AorStateKind::Deregistered);
        assert_eq!(r.aors[0].registered_until_ns, Some(11 * S));

        // The wildcard form.
        let star = register(1, "Expires: 0\n").replace(
            "Contact: <sip:alice@10.0.0.1:5062;transport=udp>",
            "Contact: *",
        );
        let r = run(
            &[(0, true, star), (S, false, reply("200 OK", 1, ""))],
            2 * S,
        );
        assert!(one(&r).is_deregistration);
        assert_eq!(r.aors[0].state, AorStateKind::Deregistered);
    }

    #[test]
    fn first_challenge_never_answered() {
        let steps = [
            (0, true, register(1, "")),
            (S, false, reply("401 Unauthorized", 1, CHALLENGE)),
        ];
        let r = run(&steps, 60 * S);
        let a = one(&r);
        failed(a, FailureCause::ChallengeUnanswered);
        assert_eq!((a.challenges, a.final_code), (1, Some(401)));
        // The capture ended while the client could still answer.
        assert_eq!(run(&steps, 3 * S).attempts[0].outcome, RegOutcome::Pending);
    }

    #[test]
    fn stale_nonce_is_a_challenge_to_answer() {
        let stale = "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n2\", stale=TRUE\n";
        let steps = [
            (0, true, register(1, auth())),
            (S, false, reply("401 Unauthorized", 1, stale)),
        ];
        assert_eq!(run(&steps, 3 * S).attempts[0].outcome, RegOutcome::Pending);
        failed(
            &run(&steps, 60 * S).attempts[0],
            FailureCause::ChallengeUnanswered,
        );
    }

    #[test]
    fn new_register_without_credentials_or_late_starts_a_new_attempt() {
        let r = run(
            &[
                (0, true, register(1, "")),
                (S, false, reply("401 Unauthorized", 1, CHALLENGE)),
                (2 * S, true, register(2, "")),
                (
                    3 * S,
                    false,
                    reply("401 Unauthorized", 2, &CHALLENGE.replace("n1", "n2")),
                ),
                // Credentials 37 s later, over an older nonce: a retry, not an answer.
                (40 * S, true, register(3, auth())),
                (41 * S, false, reply("200 OK", 3, "")),
            ],
            50 * S,
        );
        let a = &r.attempts;
        assert_eq!(a.len(), 3);
        failed(&a[0], FailureCause::ChallengeUnanswered);
        failed(&a[1], FailureCause::ChallengeUnanswered);
        assert_eq!(a[2].outcome, RegOutcome::Registered);
        assert_eq!(a[2].granted_expires, None);
        // Registered for the requested 3600 s when the 200 grants nothing explicit.
        assert_eq!(r.aors[0].registered_until_ns, Some(41 * S + 3600 * S));
    }

    #[test]
    fn slow_answer_with_the_challenges_nonce_is_a_step() {
        // As in sngrep's aaa.pcap: the client answers 34 s later, the registrar finds the nonce old.
        let r = run(
            &[
                (0, true, register(1, "")),
                (S / 10, false, reply("401 Unauthorized", 1, CHALLENGE)),
                (34 * S, true, register(2, auth())),
                (
                    34 * S + S / 10,
                    false,
                    reply("401 nonce has changed", 2, &CHALLENGE.replace("n1", "n2")),
                ),
            ],
            100 * S,
        );
        let a = one(&r);
        failed(a, FailureCause::AuthRejected);
        assert_eq!((a.challenges, a.requests), (2, 2));
    }

    #[test]
    fn compact_header_forms() {
        let req = "REGISTER sip:example.com SIP/2.0\n\
v: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK-c1\n\
f: <sip:bob@example.com>;tag=b1\n\
t: sip:Bob@EXAMPLE.com:5060;user=phone\n\
i: compact-1\n\
CSeq: 7 REGISTER\n\
m: \"Bob, desk\" <sip:bob@10.0.0.1:5062>;expires=120\n\
l: 0\n\n";
        let ok = "SIP/2.0 200 OK\n\
v: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK-c1\n\
f: <sip:bob@example.com>;tag=b1\n\
t: sip:Bob@EXAMPLE.com:5060;user=phone;tag=x\n\
i: compact-1\n\
CSeq: 7 REGISTER\n\
m: <sip:bob@10.0.0.9:5999>;expires=300, <sip:bob@10.0.0.1:5062;ob>;expires=90\n\
l: 0\n\n";
        let r = run(&[(0, true, req.into()), (S / 5, false, ok.into())], S);
        let a = one(&r);
        assert_eq!(a.outcome, RegOutcome::Registered);
        assert_eq!(
            (a.call_id.as_str(), a.aor.as_str()),
            ("compact-1", "sip:Bob@example.com")
        );
        assert_eq!(
            (a.requested_expires, a.granted_expires),
            (Some(120), Some(90))
        );
        assert_eq!(a.rrd_ms, Some(200.0));
    }

    #[test]
    fn proxied_register_is_one_attempt_on_the_first_hop() {
        const P: &str = "10.0.0.5:5060";
        let hop2 = |t: &str| {
            t.replace(
                "Via: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK-",
                "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-p",
            )
        };
        let mut txs = Transactions::default();
        let mut reg = RegistrationTracker::new();
        let mut feed = |ts: i64, src: &str, dst: &str, text: String| {
            let m = msg(ts, src, dst, &text);
            let ev = txs.on_message(&m);
            reg.on_message(&m, ev, &txs);
        };
        feed(0, UA, P, register(1, ""));
        feed(1, P, REG, hop2(&register(1, "")));
        feed(2, REG, P, hop2(&reply("401 Unauthorized", 1, CHALLENGE)));
        feed(3, P, UA, reply("401 Unauthorized", 1, CHALLENGE));
        feed(10, UA, P, register(2, auth()));
        feed(11, P, REG, hop2(&register(2, auth())));
        feed(12, REG, P, hop2(&reply("200 OK", 2, "")));
        feed(13, P, UA, reply("200 OK", 2, ""));
        let r = reg.finish(S, &txs);
        let a = one(&r);
        assert_eq!(a.outcome, RegOutcome::Registered);
        assert_eq!(
            (a.registrar, a.client),
            (P.parse().unwrap(), UA.parse().unwrap())
        );
        assert_eq!((a.requests, a.challenges, a.final_ts_ns), (2, 1, Some(13)));
        assert_eq!(r.stats.other_hop_requests, 2);
    }

    #[test]
    fn aor_normalisation() {
        for (uri, aor) in [
            (
                &b"sip:Alice@Example.COM:5060;transport=udp"[..],
                "sip:Alice@example.com",
            ),
            (b"<SIPS:alice:secret@EXAMPLE.com>", "sips:alice@example.com"),
            (b"sip:[2001:DB8::1]:5060", "sip:[2001:db8::1]"),
            (b"sip:example.com?subject=x", "sip:example.com"),
            (
                b"tel:+1-555-0100;phone-context=example.com",
                "tel:+1-555-0100",
            ),
        ] {
            assert_eq!(normalize_uri(uri, false), aor);
        }
        assert_eq!(
            normalize_uri(b"sip:a@Host:5062;ob", true),
            "sip:a@host:5062"
        );
    }

    #[test]
    fn header_value_helpers() {
        assert_eq!(leading_u32(b" 120 (x);duration=5"), Some(120));
        assert_eq!(leading_u32(b"99999999999"), Some(u32::MAX));
        assert_eq!(leading_u32(b"soon"), None);
        let items: Vec<_> = list_items(b"\"a, b\" <sip:a@x>;expires=1, <sip:b,c@y>").collect();
        assert_eq!(
            items,
            [&b"\"a, b\" <sip:a@x>;expires=1"[..], b"<sip:b,c@y>"]
        );
        let ch = b"Digest realm=\"a,b\", nonce=\"N1\",stale=FALSE, algorithm=MD5";
        assert_eq!(digest_param(ch, b"nonce"), Some(&b"N1"[..]));
        assert_eq!(digest_param(ch, b"realm"), Some(&b"a,b"[..]));
        assert_eq!(digest_param(ch, b"STALE"), Some(&b"FALSE"[..]));
        assert_eq!(digest_param(ch, b"qop"), None);
        let (uri, params) = split_addr(b"sip:a@x;expires=\"30\"");
        assert_eq!(
            (uri, param(params, b"EXPIRES")),
            (&b"sip:a@x"[..], Some(&b"30"[..]))
        );
    }
}
