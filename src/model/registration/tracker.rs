//! The registration state machine: REGISTER transactions, in capture order,
//! grouped into chains (Call-ID + AOR) and attempts with their steps
//! (challenges answered, 423 retried), closed into [`RegistrationAttempt`]s
//! when the client moves on or the capture ends. Definitions: the parent module.
//!
//! The state it holds is bounded ([`RegLimits`]): the attempts open at once and
//! the chains remembered. Past either bound the least recently active goes
//! first — an attempt is closed early and judged from what was seen by then, as
//! at the end of the capture; a chain is forgotten, so its next REGISTER starts
//! a new chain (not a refresh) — and each is counted, never silent. What is
//! kept for output is bounded apart (`rows.registrations`, [`Bounded`]).

use super::aor::{aor_states, normalize_uri_into};
use super::auth::{
    challenge_realm, credential_mismatch, credential_nonces, is_challenge, read_challenge,
};
use super::*;
use crate::model::keys::{key128, KeyMap};
use crate::model::rows::Bounded;
use crate::model::transaction::{Transaction, Transactions, TxEvent, TxId};
use crate::sip::values::{
    display as lossy, first_item, leading_u32, list_items, param, split_addr,
};
use crate::sip::{Hdr, Method, SipMessage};
use std::collections::VecDeque;

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
    /// Stamp of the chain's last REGISTER: its place in `chain_order`, and in
    /// `open_order` for its open attempt. 32 bits keep a chain in 16 bytes (its
    /// table entry in 32, beside the 128-bit key); stamps wrap after 4 billion
    /// REGISTERs, which only ever compare equal to tell stale queue entries
    /// (a queue entry 2^32 REGISTERs old is long compacted away).
    touched: u32,
}

/// Bounds on the tracker's state in flight (documented defaults; README, reliability;
/// `--limit model.registration_attempts`, `model.registration_chains`).
#[derive(Clone, Copy, Debug)]
pub struct RegLimits {
    /// Attempts open at once. An attempt stays open until the next REGISTER of its
    /// chain (a refresh an hour later, for a successful one) or the end: a registrar's
    /// capture holds about one per registered device, an attack one per unanswered
    /// REGISTER. Past it the attempt whose last REGISTER is oldest is closed early.
    pub max_open: usize,
    /// Chains (Call-ID + AOR) remembered, open attempt or not. Past it the least
    /// recently active is forgotten (its open attempt closed early).
    pub max_chains: usize,
}

impl Default for RegLimits {
    fn default() -> Self {
        RegLimits {
            max_open: 500_000,
            max_chains: 2_000_000,
        }
    }
}

/// What the bounds of [`RegLimits`] cost: 0 evictions unless one was hit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RegLimitStats {
    /// The most attempts open at once.
    pub peak_open: u64,
    /// Attempts closed early at a bound (either), judged from what was seen by then.
    pub attempts_evicted: u64,
    /// Chains forgotten at `max_chains` (their next REGISTER starts a new chain).
    pub chains_evicted: u64,
}

/// Builds registration attempts from REGISTER transactions, in capture order.
#[derive(Default)]
pub struct RegistrationTracker {
    chains: KeyMap<Chain>,
    /// Attempts closed so far (the first `rows.registrations`).
    done: Bounded<RegistrationAttempt>,
    /// Figures of the attempts past the bound that `filter` keeps.
    not_kept: Vec<RegFigures>,
    filter: Option<RegFilter>,
    stats: RegStats,
    scratch: String,
    limits: RegLimits,
    limit_stats: RegLimitStats,
    /// Attempts in `chains` with an open attempt.
    open_count: usize,
    /// Stamps handed to REGISTERs, in capture order.
    next_stamp: u32,
    /// The orders below are kept only from the first time a bound is hit (made
    /// then by sorting the state by stamp): a run within the bounds pays nothing for
    /// them (they were 33 MB of the million-Call-ID capture's peak).
    ordered: bool,
    /// (stamp, chain) of each open attempt's last REGISTER, oldest first. An entry
    /// whose stamp is no longer its chain's is stale: skipped, and dropped when
    /// stale entries outnumber live ones (so each costs O(1) amortised).
    open_order: VecDeque<(u32, u128)>,
    /// (stamp, chain) of each chain's last REGISTER, oldest first; stale entries as above.
    chain_order: VecDeque<(u32, u128)>,
}

/// Keeps a closed attempt, or past the bound its figures (if the filter wants it).
fn keep(
    done: &mut Bounded<RegistrationAttempt>,
    not_kept: &mut Vec<RegFigures>,
    filter: Option<&RegFilter>,
    rec: RegistrationAttempt,
) {
    if let Some(rec) = done.push(rec) {
        if filter.is_none_or(|f| f(&rec)) {
            not_kept.push(RegFigures::of(&rec));
        }
    }
}

/// The registrations of a run, and the attempts past `rows.registrations` (counted, not kept).
pub struct FinishedRegistrations {
    pub registrations: Registrations,
    pub attempts_not_kept: u64,
    pub limits: RegLimitStats,
}

/// When an attempt is closed.
#[derive(Clone, Copy)]
enum Close {
    /// A new REGISTER of the chain starts another attempt: the client went on.
    Superseded,
    /// The capture ended at this time, or the attempt was closed early at a
    /// [`RegLimits`] bound at this time: either way judged from what was seen by then.
    End(i64),
}

impl RegistrationTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// A tracker holding at most `limits` in flight and keeping at most `rows`
    /// attempts (`--limit rows.registrations`).
    pub fn with_limits(limits: RegLimits, rows: usize, filter: Option<RegFilter>) -> Self {
        RegistrationTracker {
            done: Bounded::new(rows),
            filter,
            limits,
            ..Default::default()
        }
    }

    /// Entries in the eviction queues, stale ones included (for tests).
    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        self.open_order.len() + self.chain_order.len()
    }

    fn keep(&mut self, rec: RegistrationAttempt) {
        keep(
            &mut self.done,
            &mut self.not_kept,
            self.filter.as_ref(),
            rec,
        );
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
    /// the time of the capture's last frame) and derives the AOR states.
    pub fn finish(mut self, capture_end_ns: i64) -> FinishedRegistrations {
        let mut open: Vec<Box<Open>> = self.chains.drain().filter_map(|(_, c)| c.open).collect();
        // HashMap order is arbitrary; close in a fixed order.
        open.sort_by(|a, b| {
            (a.first_ts, &a.call_id, &a.aor).cmp(&(b.first_ts, &b.call_id, &b.aor))
        });
        // Reserved once: growing by doubling here held the old and the new buffer at once.
        self.done.reserve(open.len());
        for o in open {
            let (rec, _) = close(*o, Close::End(capture_end_ns));
            self.keep(rec);
        }
        let attempts_not_kept = self.done.not_kept;
        let mut attempts = self.done.into_vec();
        attempts.sort_by(|a, b| {
            (a.first_ts_ns, &a.call_id, &a.aor).cmp(&(b.first_ts_ns, &b.call_id, &b.aor))
        });
        let aors = aor_states(&attempts, capture_end_ns);
        FinishedRegistrations {
            registrations: Registrations {
                attempts,
                not_kept: self.not_kept,
                aors,
                stats: self.stats,
            },
            attempts_not_kept,
            limits: self.limit_stats,
        }
    }

    fn chain_key(&mut self, m: &SipMessage) -> Option<u128> {
        let call_id = m.call_id()?;
        let to = m.to_uri().filter(|u| !u.is_empty())?;
        self.scratch.clear();
        normalize_uri_into(&mut self.scratch, to, false);
        // The model's key (`sip::ids::key128`), not two SipHash passes.
        Some(key128(&[b"chain", call_id, self.scratch.as_bytes()]))
    }

    /// A REGISTER that opens a transaction: the chain's state moves on, and the
    /// bounds are enforced at its time.
    fn on_new_request(&mut self, key: u128, m: &SipMessage, tx: &Transaction) {
        self.next_stamp = self.next_stamp.wrapping_add(1);
        let stamp = self.next_stamp;
        self.apply_new_request(key, m, tx);
        if let Some(chain) = self.chains.get_mut(&key) {
            chain.touched = stamp;
            if self.ordered {
                self.chain_order.push_back((stamp, key));
            }
            if chain.open.is_some() && self.ordered {
                self.open_order.push_back((stamp, key));
            }
        }
        self.enforce_limits(m.ts_ns);
        self.limit_stats.peak_open = self.limit_stats.peak_open.max(self.open_count as u64);
    }

    /// Closes the least recently active attempts and forgets the least recently
    /// active chains beyond [`RegLimits`], at capture time `now`.
    fn enforce_limits(&mut self, now: i64) {
        let over =
            self.open_count > self.limits.max_open || self.chains.len() > self.limits.max_chains;
        if over && !self.ordered {
            self.ordered = true;
            let mut chains: Vec<(u32, u128)> =
                self.chains.iter().map(|(k, c)| (c.touched, *k)).collect();
            chains.sort_unstable();
            self.chain_order = chains.into();
            let mut open: Vec<(u32, u128)> = self
                .chains
                .iter()
                .filter(|(_, c)| c.open.is_some())
                .map(|(k, c)| (c.touched, *k))
                .collect();
            open.sort_unstable();
            self.open_order = open.into();
        }
        while self.open_count > self.limits.max_open {
            let Some((stamp, key)) = self.open_order.pop_front() else {
                break;
            };
            let Some(chain) = self.chains.get_mut(&key) else {
                continue;
            };
            if chain.touched != stamp {
                continue;
            }
            let Some(o) = chain.open.take() else {
                continue;
            };
            self.open_count -= 1;
            self.limit_stats.attempts_evicted += 1;
            let (rec, ok) = close(*o, Close::End(now));
            chain.succeeded |= ok;
            keep(
                &mut self.done,
                &mut self.not_kept,
                self.filter.as_ref(),
                rec,
            );
        }
        while self.chains.len() > self.limits.max_chains {
            let Some((stamp, key)) = self.chain_order.pop_front() else {
                break;
            };
            if self.chains.get(&key).is_none_or(|c| c.touched != stamp) {
                continue;
            }
            let Some(chain) = self.chains.remove(&key) else {
                continue;
            };
            self.limit_stats.chains_evicted += 1;
            if let Some(o) = chain.open {
                self.open_count -= 1;
                self.limit_stats.attempts_evicted += 1;
                let (rec, _) = close(*o, Close::End(now));
                self.keep(rec);
            }
        }
        // Stale entries (an attempt or chain seen again since) are dropped once they
        // outnumber the live ones: the queues stay within twice the state they order.
        if self.open_order.len() > 2 * self.open_count + 1024 {
            let chains = &self.chains;
            self.open_order.retain(|(stamp, key)| {
                chains
                    .get(key)
                    .is_some_and(|c| c.open.is_some() && c.touched == *stamp)
            });
        }
        if self.chain_order.len() > 2 * self.chains.len() + 1024 {
            let chains = &self.chains;
            self.chain_order
                .retain(|(stamp, key)| chains.get(key).is_some_and(|c| c.touched == *stamp));
        }
    }

    fn apply_new_request(&mut self, key: u128, m: &SipMessage, tx: &Transaction) {
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
            self.open_count -= 1;
            let (rec, ok) = close(*o, Close::Superseded);
            chain.succeeded |= ok;
            keep(
                &mut self.done,
                &mut self.not_kept,
                self.filter.as_ref(),
                rec,
            );
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
        self.open_count += 1;
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
        // Warning/Reason explain refusals; looking them up by name scans every header,
        // so a 2xx (most responses of a load test) is not searched.
        o.final_warning = if code >= 300 {
            m.header_values("Warning")
                .into_iter()
                .chain(m.header_values("Reason"))
                .next()
                .map(|v| lossy(&v, 300))
        } else {
            None
        };
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
