//! SIP transactions (RFC 3261 §17): which request each response answers, and
//! which messages are retransmissions.
//!
//! A request opens a transaction keyed by its top Via branch, the Via sent-by
//! and the method (§17.2.3; ACK and CANCEL are keyed as they are matched: an
//! ACK to a non-2xx final response carries the INVITE's branch and belongs to
//! the INVITE transaction, a CANCEL has the INVITE's branch but is a transaction
//! of its own). Responses are matched by the same triple taken from their top
//! Via and CSeq (§17.1.3). Requests whose branch lacks the RFC 3261 magic cookie
//! fall back to RFC 2543 matching: Call-ID, CSeq number and method, From tag and
//! sent-by. A request seen again with the same key is a retransmission — on
//! every transport, not only UDP. Keys are 128-bit hashes of the matched fields,
//! so the hot path allocates nothing.
//!
//! This module only matches; what a transaction means for a call or a
//! registration is decided in `call` and `registration`.

use super::keys::{key128, KeyMap, SmallMap};
use super::rows::Bounded;
use super::tx_index::TxIndex;
use crate::sip::ids::method_key;
use crate::sip::{Method, SipMessage, Transport};
use std::net::SocketAddr;

pub type TxId = u32;

/// One transaction, summarised.
#[derive(Clone, Debug)]
pub struct Transaction {
    pub id: TxId,
    pub method: Method,
    pub cseq: u32,
    /// Who sent the request and to whom (first transmission).
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub transport: Transport,
    pub first_ts: i64,
    pub last_request_ts: i64,
    /// Transmissions of the request, retransmissions included.
    pub requests: u32,
    /// The request carried Authorization or Proxy-Authorization.
    pub has_credentials: bool,
    /// The request had a To tag (in-dialog).
    pub in_dialog: bool,
    pub first_provisional: Option<(u16, i64)>,
    /// First provisional other than 100 Trying (the end of RFC 6076 SRD when it comes first).
    pub first_progress: Option<(u16, i64)>,
    /// First 180 or 183, the end of post-dial delay.
    pub first_ringing: Option<(u16, i64)>,
    pub final_code: Option<u16>,
    pub final_ts: Option<i64>,
    /// Transmissions of final responses (retransmissions included).
    pub finals: u32,
    pub responses: u32,
    /// For an INVITE answered non-2xx: its ACK was seen.
    pub acked: bool,
    /// Responses seen so far (the first few): status code in the high half, a hash of
    /// the To tag in the low half. A repeat is the same code from the same leg (same
    /// To tag); a 180 from another fork of a forked INVITE is a response of its own.
    seen: [u32; 6],
    /// The last message of this transaction (retirement counts from it).
    last_ts: i64,
    /// Its key in the lookup table, to remove it when it retires.
    key: u128,
    /// `key128` of its Call-ID (None without one): with the CSeq, the method and the
    /// addresses, its key in the address index, made only once that index is.
    call_key: Option<u128>,
    /// Held by a call that is still open: not retired until the call lets go.
    pinned: bool,
}

impl Transaction {
    /// How long it is kept after its last message: Timer H/J's 32 s once it has
    /// its final response, 64 s while it waits for one.
    fn quiet_period(&self) -> i64 {
        if self.final_code.is_some() {
            COMPLETE_RETIRE_AFTER_NS
        } else {
            RETIRE_AFTER_NS
        }
    }
    pub fn is_complete(&self) -> bool {
        self.final_code.is_some()
    }
}

/// What one message did to the transaction table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxEvent {
    /// A request that opened a transaction.
    NewRequest(TxId),
    /// The same request again.
    Retransmission(TxId),
    /// The ACK of a non-2xx final response to an INVITE (part of that INVITE transaction).
    AckOfFailure(TxId),
    /// A response to a known transaction; `first` is false for a repeat of the same status.
    Response { tx: TxId, first: bool },
    /// A response to no request seen in the capture.
    StrayResponse,
    /// A message without the fields matching needs (no CSeq, no Via…).
    Unmatchable,
}

#[derive(Default, Clone, Debug, serde::Serialize)]
pub struct TxStats {
    pub transactions: u64,
    pub retransmitted_requests: u64,
    pub retransmitted_responses: u64,
    pub stray_responses: u64,
    pub unmatchable: u64,
    pub rfc2543_fallback: u64,
    /// Responses whose top Via matched no request (a broken proxy), matched instead by
    /// Call-ID, CSeq and the reverse of the request's addresses.
    pub matched_by_addresses: u64,
    /// Transactions forgotten [`COMPLETE_RETIRE_AFTER_NS`] (with a final response) or
    /// [`RETIRE_AFTER_NS`] (without) after their last message.
    pub retired: u64,
    /// Transactions forgotten early because [`TxLimits::max_open`] were open at once.
    pub evicted: u64,
    /// The most transactions open at once.
    pub peak_open: u64,
}

/// A transaction is forgotten this long after its last message: twice Timer B/F
/// (64·T1 = 32 s), past every retransmission and late response RFC 3261 allows.
/// A response arriving later is counted as stray.
pub const RETIRE_AFTER_NS: i64 = 64_000_000_000;

/// A transaction with its final response is forgotten sooner, this long after its
/// last message: 64·T1 (Timer H/J), after which RFC 3261 lets neither side send
/// more of it, and twice the longest gap between retransmissions (16 s, the
/// INVITE's sixth). The open transactions of a load test are mostly such ones
/// waiting out their quiet time: this halves them (issue #16).
pub const COMPLETE_RETIRE_AFTER_NS: i64 = 32_000_000_000;

/// Bounds on the transaction table.
#[derive(Clone, Copy, Debug)]
pub struct TxLimits {
    /// Transactions open at once; past it the least recently started are forgotten (counted).
    pub max_open: usize,
}

impl Default for TxLimits {
    fn default() -> Self {
        TxLimits {
            max_open: 2_000_000,
        }
    }
}

impl TxStats {
    pub fn merge(&mut self, o: &TxStats) {
        self.transactions += o.transactions;
        self.retransmitted_requests += o.retransmitted_requests;
        self.retransmitted_responses += o.retransmitted_responses;
        self.stray_responses += o.stray_responses;
        self.unmatchable += o.unmatchable;
        self.rfc2543_fallback += o.rfc2543_fallback;
        self.matched_by_addresses += o.matched_by_addresses;
        self.retired += o.retired;
        self.evicted += o.evicted;
        self.peak_open = self.peak_open.max(o.peak_open);
    }
}

/// Open transactions by slot ([`super::slab`]): a slot is a [`TxId`]; the
/// transaction's own `id` is its sequence number in the capture.
type Slab = super::slab::Slab<Transaction>;

impl Slab {
    /// Whether `slot` holds a transaction of key `key`.
    fn has_key(&self, slot: TxId, key: u128) -> bool {
        self.get(&slot).is_some_and(|t| t.key == key)
    }
}

/// The open transactions. Memory follows the transactions in flight, not the
/// capture: each is forgotten [`COMPLETE_RETIRE_AFTER_NS`] (complete) or
/// [`RETIRE_AFTER_NS`] (still waiting for its final response) after its last message unless a
/// call still holds it ([`Transactions::pin`]); when rows are kept (`--out`), a
/// forgotten transaction becomes a row.
#[derive(Default)]
pub struct Transactions {
    /// Transaction key (`Ids::tx`) → slot.
    by_key: TxIndex,
    /// Call-ID, CSeq and (client, server) → transaction: the fallback for responses whose
    /// Via is wrong. Built at the first response the Via key does not match, from the
    /// open transactions, and kept from then on ([`Transactions::address_index`]): a
    /// load test never needs it, and keeping it cost every request an insert and a
    /// removal in a table as large as the open transactions (two cache misses; issue #16).
    by_addresses: Option<KeyMap<TxId>>,
    open: Slab,
    next_id: TxId,
    /// Retirement candidates by the time to look at each again: (slot, sequence
    /// number), so that an entry left by a transaction already gone is known as
    /// such when its slot holds another (it is skipped, not read as the other's).
    expiry: super::deadlines::Deadlines<(TxId, TxId)>,
    /// The Call-ID of every open transaction, kept only when rows are wanted (`keep_call_ids`).
    call_ids: SmallMap<TxId, Box<str>>,
    keep_call_ids: bool,
    /// Retired transactions with their Call-IDs (only with `keep_call_ids`; the first `rows.transactions`).
    rows: Bounded<(Transaction, Box<str>)>,
    limits: TxLimits,
    pub stats: TxStats,
    /// The sweep's list of due entries, kept for its capacity.
    due: Vec<(TxId, TxId)>,
}

/// How many due entries ahead the sweep starts loading a transaction's record.
const SWEEP_AHEAD: usize = 8;

/// The fallback key: Call-ID (its key), CSeq number and method, and the request's
/// (client, server). The method is its kind: two methods outside RFC 3261's and its
/// extensions' list are one here (the Via key, tried first, tells them apart).
fn address_key(
    call_key: u128,
    cseq: u32,
    method: Method,
    client: &std::net::SocketAddr,
    server: &std::net::SocketAddr,
) -> u128 {
    let (c, s) = (sock_bytes(client), sock_bytes(server));
    key128(&[
        b"addr",
        &call_key.to_le_bytes(),
        &cseq.to_be_bytes(),
        &[method as u8],
        &c.0[..c.1],
        &s.0[..s.1],
    ])
}

impl Transaction {
    /// Its key in the address index (None for an ACK, which no response answers, and
    /// without a Call-ID).
    fn address_key(&self) -> Option<u128> {
        if self.method == Method::Ack {
            return None;
        }
        Some(address_key(
            self.call_key?,
            self.cseq,
            self.method,
            &self.client,
            &self.server,
        ))
    }
}

/// The key of a message's Call-ID, an empty one included (`Ids::call` has none for it).
fn call_key(m: &SipMessage) -> Option<u128> {
    let cid = m.call_id()?;
    Some(m.ids().call.unwrap_or_else(|| key128(&[cid])))
}

/// An address as bytes on the stack (IP octets, then the port).
fn sock_bytes(a: &std::net::SocketAddr) -> ([u8; 18], usize) {
    let mut b = [0u8; 18];
    let n = match a.ip() {
        std::net::IpAddr::V4(v) => {
            b[..4].copy_from_slice(&v.octets());
            4
        }
        std::net::IpAddr::V6(v) => {
            b[..16].copy_from_slice(&v.octets());
            16
        }
    };
    b[n..n + 2].copy_from_slice(&a.port().to_be_bytes());
    (b, n + 2)
}

impl Transactions {
    /// A table that also keeps each transaction's Call-ID, for the transactions file.
    pub fn keeping_call_ids() -> Self {
        Transactions {
            keep_call_ids: true,
            ..Default::default()
        }
    }

    /// `rows`: transactions kept as rows at most (with `keeping_call_ids`).
    pub fn with_limits(mut self, limits: TxLimits, rows: usize) -> Self {
        self.limits = limits;
        self.rows = Bounded::new(rows);
        self
    }

    /// Every transaction with its Call-ID (empty strings unless `keeping_call_ids`), in
    /// order — the first `rows.transactions` retired, then the open ones oldest first
    /// while room is left — and how many were not kept.
    pub fn into_rows(mut self) -> (Vec<(Transaction, Box<str>)>, u64) {
        let mut rows = std::mem::take(&mut self.rows);
        let mut call_ids = std::mem::take(&mut self.call_ids);
        let mut open: Vec<(TxId, Transaction)> = self.open.drain().collect();
        // By sequence number (a slot is reused, so its number says nothing of age).
        open.sort_unstable_by_key(|(_, t)| t.id);
        for (id, t) in open {
            let cid = call_ids.remove(&id).unwrap_or_default();
            let _ = rows.push((t, cid));
        }
        let not_kept = rows.not_kept;
        let mut kept = rows.into_vec();
        kept.sort_by_key(|(t, _)| t.id);
        (kept, not_kept)
    }

    /// An open transaction (None once it has been forgotten).
    /// Starts loading the record of transaction `id` (a cache hint; no effect on results).
    pub fn prefetch(&self, id: TxId) {
        self.open.prefetch(id);
    }

    /// Starts loading the index entry a message's transaction key leads to
    /// (a cache hint, a few messages ahead of the message's own turn).
    pub fn prefetch_key(&self, m: &SipMessage) {
        if let Some((key, _)) = m.ids().tx {
            self.by_key.prefetch(key);
        }
    }

    /// Starts loading the record the index entry of a message's key names (its
    /// entry asked for by [`Transactions::prefetch_key`] a few messages before).
    pub fn prefetch_record(&self, m: &SipMessage) {
        if let Some((key, _)) = m.ids().tx {
            if let Some(slot) = self.by_key.get(key, |_| true) {
                self.open.prefetch(slot);
            }
        }
    }

    pub fn get(&self, id: TxId) -> Option<&Transaction> {
        self.open.get(&id)
    }

    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// A call holds this transaction: keep it until [`Transactions::release`].
    pub fn pin(&mut self, id: TxId) {
        if let Some(t) = self.open.get_mut(&id) {
            t.pinned = true;
        }
    }

    /// The call is done with it: it retires like any other, looked at again
    /// when it will have been quiet long enough (not at `now`, only to be put
    /// back then: that was half the sweep's work on a load test).
    pub fn release(&mut self, id: TxId, now: i64) {
        if let Some(t) = self.open.get_mut(&id) {
            t.pinned = false;
            let due = now.max(t.last_ts.saturating_add(t.quiet_period()));
            self.expiry.push(due, (id, t.id));
        }
    }

    /// Forgets the transactions quiet long enough at capture time `now`,
    /// and the oldest beyond the limit.
    pub fn sweep(&mut self, now: i64) {
        // Each entry at most once per sweep (see `CallTracker::sweep`).
        let mut budget = self.expiry.len();
        // The entries due come out first whatever happens to the others: taken out
        // together, each one's record is asked for a few turns ahead of its own, so
        // that the loads of the records overlap (each was a cache miss; issue #16).
        let mut due = std::mem::take(&mut self.due);
        self.expiry.take_due(now, &mut budget, &mut due);
        for i in 0..due.len() {
            if let Some(&(ahead, _)) = due.get(i + SWEEP_AHEAD) {
                self.open.prefetch(ahead);
            }
            if let Some(&(id, seq)) = due.get(i) {
                self.look_at(id, seq, now);
            }
        }
        self.due = due;
        // Past the limit, later entries too, oldest first.
        while let Some((_, (id, seq))) = self.expiry.first() {
            if self.open.len() <= self.limits.max_open || budget == 0 {
                break;
            }
            budget -= 1;
            self.expiry.pop_first();
            self.look_at(id, seq, now);
        }
    }

    /// One deadline of the sweep: retires the transaction in `id` if it is quiet (or
    /// the table is over its limit), puts the deadline back if not.
    fn look_at(&mut self, id: TxId, seq: TxId, now: i64) {
        let over = self.open.len() > self.limits.max_open;
        // Gone, or its slot holds a later transaction (which has entries of its own).
        let Some(t) = self.open.get(&id).filter(|t| t.id == seq) else {
            return;
        };
        if t.pinned && !over {
            return; // looked at again when released
        }
        let quiet_until = t.last_ts.saturating_add(t.quiet_period());
        if quiet_until > now && !over {
            self.expiry.push(quiet_until, (id, seq));
            return;
        }
        if over {
            self.stats.evicted += 1;
        } else {
            self.stats.retired += 1;
        }
        self.retire(id);
    }

    /// The address index, built from the open transactions the first time it is
    /// asked for. Built in the order the transactions began, so that of two open ones
    /// with one address key the later holds it, as if it had been kept all along
    /// (one difference: had the later retired first, the kept index would have lost
    /// the key, the built one points to the earlier, still open — the better match).
    fn address_index(&mut self) -> &KeyMap<TxId> {
        let (open, next) = (&self.open, self.next_id);
        self.by_addresses.get_or_insert_with(|| {
            let mut all: Vec<(TxId, TxId, u128)> = open
                .iter()
                .filter_map(|(slot, t)| Some((t.id, slot, t.address_key()?)))
                .collect();
            // Oldest first, counted back from the next sequence number (it wraps).
            all.sort_unstable_by_key(|&(seq, ..)| seq.wrapping_sub(next));
            let mut index = KeyMap::default();
            index.reserve(all.len());
            for (_, slot, k) in all {
                index.insert(k, slot);
            }
            index
        })
    }

    fn retire(&mut self, id: TxId) {
        let Some(t) = self.open.remove(&id) else {
            return;
        };
        self.by_key.remove(t.key, id);
        if let (Some(index), Some(k)) = (self.by_addresses.as_mut(), t.address_key()) {
            if index.get(&k) == Some(&id) {
                index.remove(&k);
            }
        }
        if self.keep_call_ids {
            let cid = self.call_ids.remove(&id).unwrap_or_default();
            let _ = self.rows.push((t, cid));
        }
    }

    /// Matches one message (in capture order).
    pub fn on_message(&mut self, m: &SipMessage) -> TxEvent {
        let Some((cseq, cseq_method)) = m.cseq() else {
            self.stats.unmatchable += 1;
            return TxEvent::Unmatchable;
        };
        match m.method() {
            Some(_) => {
                // The key from the request's own method, hashed when it was decoded (`sip::ids`).
                let Some((key, fallback)) = m.ids().tx else {
                    self.stats.unmatchable += 1;
                    return TxEvent::Unmatchable;
                };
                let is_ack = m.method_kind() == Some(Method::Ack);
                let found = self.by_key.get(key, |s| self.open.has_key(s, key));
                if let Some((id, tx)) = found.and_then(|id| Some((id, self.open.get_mut(&id)?))) {
                    tx.last_ts = tx.last_ts.max(m.ts_ns);
                    if is_ack && tx.method == Method::Invite {
                        if tx.acked {
                            self.stats.retransmitted_requests += 1;
                        }
                        tx.acked = true;
                        return TxEvent::AckOfFailure(id);
                    }
                    if !is_ack || tx.method == Method::Ack {
                        tx.requests += 1;
                        tx.last_request_ts = m.ts_ns;
                        self.stats.retransmitted_requests += 1;
                        return TxEvent::Retransmission(id);
                    }
                }
                // An ACK to a 2xx has a branch of its own: it is a transaction of its own (no response).
                let seq = self.next_id;
                self.next_id = self.next_id.wrapping_add(1);
                let method_kind = m.method_kind().unwrap_or(Method::Other);
                let key = if is_ack {
                    key128(&[b"ack", &key.to_be_bytes()])
                } else {
                    key
                };
                let id = self.open.insert(Transaction {
                    id: seq,
                    method: method_kind,
                    cseq,
                    client: m.src,
                    server: m.dst,
                    transport: m.transport,
                    first_ts: m.ts_ns,
                    last_request_ts: m.ts_ns,
                    requests: 1,
                    has_credentials: m.head().span(crate::sip::Hdr::Authorization).is_some()
                        || m.head().span(crate::sip::Hdr::ProxyAuthorization).is_some(),
                    in_dialog: m.to_tag().is_some(),
                    first_provisional: None,
                    first_progress: None,
                    first_ringing: None,
                    final_code: None,
                    final_ts: None,
                    finals: 0,
                    responses: 0,
                    acked: false,
                    seen: [0; 6],
                    last_ts: m.ts_ns,
                    key,
                    call_key: call_key(m),
                    pinned: false,
                });
                let open = &self.open;
                self.by_key.insert(key, id, |s| open.has_key(s, key));
                if let Some(index) = self.by_addresses.as_mut() {
                    if let Some(k) = self.open.get(&id).and_then(Transaction::address_key) {
                        index.insert(k, id);
                    }
                }
                if self.keep_call_ids {
                    self.call_ids.insert(
                        id,
                        String::from_utf8_lossy(m.call_id().unwrap_or_default()).into(),
                    );
                }
                // Looked at first when it could retire if it completes; put back then if not.
                self.expiry
                    .push(m.ts_ns.saturating_add(COMPLETE_RETIRE_AFTER_NS), (id, seq));
                self.stats.transactions += 1;
                self.stats.rfc2543_fallback += u64::from(fallback);
                self.stats.peak_open = self.stats.peak_open.max(self.open.len() as u64);
                if self.open.len() > self.limits.max_open {
                    self.sweep(m.ts_ns);
                }
                TxEvent::NewRequest(id)
            }
            None => {
                let code = m.status().unwrap_or(0);
                let Some((key, _)) = m.ids().tx else {
                    self.stats.unmatchable += 1;
                    return TxEvent::Unmatchable;
                };
                let id = match self.by_key.get(key, |s| self.open.has_key(s, key)) {
                    Some(id) => id,
                    None => match call_key(m).and_then(|call| {
                        // An ACK has no response: a CSeq of ACK is taken as its INVITE's.
                        let method = Method::parse(method_key(cseq_method));
                        self.address_index()
                            .get(&address_key(call, cseq, method, &m.dst, &m.src))
                            .copied()
                    }) {
                        Some(id) => {
                            self.stats.matched_by_addresses += 1;
                            id
                        }
                        None => {
                            self.stats.stray_responses += 1;
                            return TxEvent::StrayResponse;
                        }
                    },
                };
                let Some(tx) = self.open.get_mut(&id) else {
                    self.stats.stray_responses += 1;
                    return TxEvent::StrayResponse;
                };
                tx.last_ts = tx.last_ts.max(m.ts_ns);
                if tx.method == Method::Ack {
                    self.stats.stray_responses += 1;
                    return TxEvent::StrayResponse;
                }
                tx.responses += 1;
                let tag = m.to_tag().unwrap_or_default();
                let mark = (u32::from(code) << 16) | (key128(&[tag]) as u32 & 0xffff);
                let first = !tx.seen.contains(&mark);
                if first {
                    if let Some(slot) = tx.seen.iter_mut().find(|c| **c == 0) {
                        *slot = mark;
                    }
                } else {
                    self.stats.retransmitted_responses += 1;
                }
                if code < 200 {
                    if tx.first_provisional.is_none() {
                        tx.first_provisional = Some((code, m.ts_ns));
                    }
                    if tx.first_progress.is_none() && code > 100 {
                        tx.first_progress = Some((code, m.ts_ns));
                    }
                    if tx.first_ringing.is_none() && (code == 180 || code == 183) {
                        tx.first_ringing = Some((code, m.ts_ns));
                    }
                } else {
                    tx.finals += 1;
                    if tx.final_code.is_none() {
                        tx.final_code = Some(code);
                        tx.final_ts = Some(m.ts_ns);
                    }
                }
                TxEvent::Response { tx: id, first }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_msg::msg;

    const A: &str = "10.0.0.1:5060";
    const B: &str = "10.0.0.2:5060";

    fn invite(branch: &str) -> String {
        format!("INVITE sip:b@x SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch={branch}\nFrom: <sip:a@x>;tag=1\nTo: <sip:b@x>\nCall-ID: c1\nCSeq: 1 INVITE\n\n")
    }
    fn response(code: &str, branch: &str, method: &str) -> String {
        format!("SIP/2.0 {code}\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch={branch}\nFrom: <sip:a@x>;tag=1\nTo: <sip:b@x>;tag=2\nCall-ID: c1\nCSeq: 1 {method}\n\n")
    }

    #[test]
    fn invite_retransmission_responses_and_ack_of_failure() {
        let mut t = Transactions::default();
        assert_eq!(
            t.on_message(&msg(0, A, B, &invite("z9hG4bK1"))),
            TxEvent::NewRequest(0)
        );
        assert_eq!(
            t.on_message(&msg(500, A, B, &invite("z9hG4bK1"))),
            TxEvent::Retransmission(0)
        );
        assert_eq!(
            t.on_message(&msg(
                600,
                B,
                A,
                &response("180 Ringing", "z9hG4bK1", "INVITE")
            )),
            TxEvent::Response { tx: 0, first: true }
        );
        assert_eq!(
            t.on_message(&msg(
                900,
                B,
                A,
                &response("486 Busy Here", "z9hG4bK1", "INVITE")
            )),
            TxEvent::Response { tx: 0, first: true }
        );
        assert_eq!(
            t.on_message(&msg(
                950,
                B,
                A,
                &response("486 Busy Here", "z9hG4bK1", "INVITE")
            )),
            TxEvent::Response {
                tx: 0,
                first: false
            }
        );
        let ack = invite("z9hG4bK1")
            .replace("INVITE sip", "ACK sip")
            .replace("1 INVITE", "1 ACK");
        assert_eq!(
            t.on_message(&msg(960, A, B, &ack)),
            TxEvent::AckOfFailure(0)
        );
        let tx = t.get(0).unwrap();
        assert_eq!(
            (tx.requests, tx.final_code, tx.first_ringing),
            (2, Some(486), Some((180, 600)))
        );
        assert!(tx.acked);
        assert_eq!(t.stats.retransmitted_requests, 1);
        assert_eq!(t.stats.retransmitted_responses, 1);
    }

    /// Issue #16: a transaction with its final response is forgotten 32 s (64·T1)
    /// after its last message, one still waiting for its response after 64 s; a
    /// repeat inside the quiet time is still a repeat and starts the quiet again.
    #[test]
    fn a_complete_transaction_retires_after_32_s_an_unanswered_one_after_64_s() {
        const S: i64 = 1_000_000_000;
        let busy = response("486 Busy Here", "z9hG4bK1", "INVITE");
        let mut t = Transactions::default();
        assert_eq!(
            t.on_message(&msg(0, A, B, &invite("z9hG4bK1"))),
            TxEvent::NewRequest(0)
        );
        t.on_message(&msg(1, B, A, &busy));
        assert_eq!(
            t.on_message(&msg(2, A, B, &invite("z9hG4bK2"))),
            TxEvent::NewRequest(1)
        );
        assert_eq!(
            t.on_message(&msg(20 * S, B, A, &busy)),
            TxEvent::Response {
                tx: 0,
                first: false
            }
        );
        t.sweep(33 * S);
        assert!(t.get(0).is_some(), "quiet since 20 s only");
        t.sweep(53 * S);
        assert!(t.get(0).is_none(), "complete, quiet for 33 s");
        t.sweep(64 * S);
        assert!(t.get(1).is_some(), "unanswered: waits 64 s");
        t.sweep(65 * S);
        assert!(t.get(1).is_none());
        assert_eq!(t.stats.retired, 2);
        // What comes after is a response to no request seen.
        assert_eq!(
            t.on_message(&msg(66 * S, B, A, &busy)),
            TxEvent::StrayResponse
        );
    }

    /// Regression (issue #16, the sweep keyed by slot alone): a deadline left by a
    /// transaction already forgotten was read as the one that took its slot, so the
    /// limit evicted the newest transaction instead of the oldest.
    #[test]
    fn a_stale_deadline_does_not_evict_the_transaction_now_in_its_slot() {
        const S: i64 = 1_000_000_000;
        let mut t = Transactions::default().with_limits(TxLimits { max_open: 2 }, 0);
        let at = |n: i64, branch: &str| msg(n * S, A, B, &invite(branch));
        assert_eq!(t.on_message(&at(0, "z9hG4bK0")), TxEvent::NewRequest(0));
        // A call holds it and lets go: two deadlines of it are queued.
        t.pin(0);
        t.release(0, S);
        assert_eq!(t.on_message(&at(2, "z9hG4bK1")), TxEvent::NewRequest(1));
        // Three open: the oldest (slot 0) goes; one of its deadlines stays behind.
        assert_eq!(t.on_message(&at(3, "z9hG4bK2")), TxEvent::NewRequest(2));
        assert!(t.get(0).is_none());
        // The next takes slot 0; three open again: the oldest is now slot 1's.
        assert_eq!(t.on_message(&at(4, "z9hG4bK3")), TxEvent::NewRequest(0));
        assert_eq!(t.get(0).map(|x| x.id), Some(3), "the newest stays");
        assert!(t.get(1).is_none(), "the oldest goes");
        assert_eq!(t.stats.evicted, 2);
    }

    #[test]
    fn cancel_is_its_own_transaction_and_2xx_ack_too() {
        let mut t = Transactions::default();
        t.on_message(&msg(0, A, B, &invite("z9hG4bK1")));
        let cancel = invite("z9hG4bK1")
            .replace("INVITE sip", "CANCEL sip")
            .replace("1 INVITE", "1 CANCEL");
        assert_eq!(t.on_message(&msg(1, A, B, &cancel)), TxEvent::NewRequest(1));
        assert_eq!(
            t.on_message(&msg(2, B, A, &response("200 OK", "z9hG4bK1", "CANCEL"))),
            TxEvent::Response { tx: 1, first: true }
        );
        assert_eq!(
            t.on_message(&msg(
                3,
                B,
                A,
                &response("487 Request Terminated", "z9hG4bK1", "INVITE")
            )),
            TxEvent::Response { tx: 0, first: true }
        );
        let ack2xx = invite("z9hG4bK9")
            .replace("INVITE sip", "ACK sip")
            .replace("1 INVITE", "1 ACK");
        assert_eq!(t.on_message(&msg(4, A, B, &ack2xx)), TxEvent::NewRequest(2));
        assert_eq!(t.get(2).unwrap().method, Method::Ack);
    }

    #[test]
    fn rfc2543_fallback_without_magic_cookie() {
        let mut t = Transactions::default();
        assert_eq!(
            t.on_message(&msg(0, A, B, &invite("old-style-1"))),
            TxEvent::NewRequest(0)
        );
        assert_eq!(
            t.on_message(&msg(1, B, A, &response("200 OK", "old-style-1", "INVITE"))),
            TxEvent::Response { tx: 0, first: true }
        );
        assert_eq!(t.stats.rfc2543_fallback, 1);
    }

    #[test]
    fn a_response_with_a_wrong_via_is_matched_by_addresses() {
        let mut t = Transactions::default();
        t.on_message(&msg(0, A, B, &invite("z9hG4bK1")));
        // A broken proxy answers with its own branch in the top Via.
        assert_eq!(
            t.on_message(&msg(1, B, A, &response("200 OK", "z9hG4bKother", "INVITE"))),
            TxEvent::Response { tx: 0, first: true }
        );
        assert_eq!(t.stats.matched_by_addresses, 1);
        // From another address it stays stray.
        assert_eq!(
            t.on_message(&msg(
                2,
                "10.0.0.9:5060",
                A,
                &response("200 OK", "z9hG4bKx", "INVITE")
            )),
            TxEvent::StrayResponse
        );
    }

    /// Issue #15: SIPp re-sends a looped REGISTER with a new CSeq on the same
    /// branch; taken as a retransmission, a chain 401 → … → 403 collapsed into
    /// one request and its final code was lost.
    #[test]
    fn new_cseq_on_a_reused_branch_is_a_new_request() {
        let mut t = Transactions::default();
        let reg = |n: u32| {
            format!("REGISTER sip:x SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-loop\nFrom: <sip:a@x>;tag=1\nTo: <sip:a@x>\nCall-ID: r1\nCSeq: {n} REGISTER\n\n")
        };
        let resp = |code: &str, n: u32| {
            format!("SIP/2.0 {code}\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-loop\nFrom: <sip:a@x>;tag=1\nTo: <sip:a@x>;tag=9\nCall-ID: r1\nCSeq: {n} REGISTER\n\n")
        };
        assert_eq!(t.on_message(&msg(0, A, B, &reg(1))), TxEvent::NewRequest(0));
        assert_eq!(
            t.on_message(&msg(1, A, B, &reg(1))),
            TxEvent::Retransmission(0)
        );
        t.on_message(&msg(2, B, A, &resp("401 Unauthorized", 1)));
        assert_eq!(t.on_message(&msg(3, A, B, &reg(2))), TxEvent::NewRequest(1));
        assert_eq!(
            t.on_message(&msg(4, B, A, &resp("403 Account locked", 2))),
            TxEvent::Response { tx: 1, first: true }
        );
        assert_eq!(t.get(0).unwrap().final_code, Some(401));
        assert_eq!(t.get(1).unwrap().final_code, Some(403));
        assert_eq!(t.stats.retransmitted_requests, 1);
    }

    /// Issue #15 (heplify's ipip0.pcap): a response must never be matched to a
    /// request of another Call-ID that happens to share its branch.
    #[test]
    fn a_shared_branch_never_matches_across_call_ids() {
        let mut t = Transactions::default();
        t.on_message(&msg(0, A, B, &invite("z9hG4bKsame")));
        let other = response("403 Forbidden", "z9hG4bKsame", "INVITE")
            .replace("Call-ID: c1", "Call-ID: c2");
        assert_eq!(t.on_message(&msg(1, B, A, &other)), TxEvent::StrayResponse);
        assert_eq!(t.get(0).unwrap().final_code, None);
        let req2 = invite("z9hG4bKsame").replace("Call-ID: c1", "Call-ID: c2");
        assert_eq!(t.on_message(&msg(2, A, B, &req2)), TxEvent::NewRequest(1));
    }

    /// Issue #15: the ladder labelled a forked 180 with another To tag "(retr.)".
    #[test]
    fn a_forked_response_with_another_to_tag_is_not_a_repeat() {
        let mut t = Transactions::default();
        t.on_message(&msg(0, A, B, &invite("z9hG4bK1")));
        let r180 = response("180 Ringing", "z9hG4bK1", "INVITE");
        assert_eq!(
            t.on_message(&msg(1, B, A, &r180)),
            TxEvent::Response { tx: 0, first: true }
        );
        let fork = r180.replace("tag=2", "tag=3");
        assert_eq!(
            t.on_message(&msg(2, B, A, &fork)),
            TxEvent::Response { tx: 0, first: true }
        );
        assert_eq!(
            t.on_message(&msg(3, B, A, &fork)),
            TxEvent::Response {
                tx: 0,
                first: false
            }
        );
    }

    /// The address index is built at the first response its Via does not match: as if
    /// kept all along, the later of two open requests with one address key holds it,
    /// requests after the build join it, and retired ones leave it.
    #[test]
    fn the_address_index_built_late_matches_as_the_kept_one_did() {
        let mut t = Transactions::default();
        let second = |s: String| s.replace("CSeq: 1 ", "CSeq: 2 ");
        // The same INVITE sent again with a new branch: a second transaction.
        assert_eq!(
            t.on_message(&msg(0, A, B, &invite("z9hG4bK1"))),
            TxEvent::NewRequest(0)
        );
        assert_eq!(
            t.on_message(&msg(1, A, B, &invite("z9hG4bK2"))),
            TxEvent::NewRequest(1)
        );
        assert!(t.by_addresses.is_none(), "no index before it is needed");
        assert_eq!(
            t.on_message(&msg(
                2,
                B,
                A,
                &response("180 Ringing", "z9hG4bKbad", "INVITE")
            )),
            TxEvent::Response { tx: 1, first: true }
        );
        // A request after the build is in the index.
        assert_eq!(
            t.on_message(&msg(3, A, B, &second(invite("z9hG4bK3")))),
            TxEvent::NewRequest(2)
        );
        assert_eq!(
            t.on_message(&msg(
                4,
                B,
                A,
                &second(response("200 OK", "z9hG4bKbad", "INVITE"))
            )),
            TxEvent::Response { tx: 2, first: true }
        );
        assert_eq!(t.stats.matched_by_addresses, 2);
        // Once retired, it is out of the index too.
        t.sweep(1_000_000_000_000);
        assert_eq!(t.open.len(), 0);
        assert_eq!(
            t.on_message(&msg(
                1_000_000_000_000,
                B,
                A,
                &second(response("200 OK", "z9hG4bKbad", "INVITE"))
            )),
            TxEvent::StrayResponse
        );
        assert!(t.by_addresses.as_ref().is_some_and(|i| i.is_empty()));
    }

    #[test]
    fn responses_to_unseen_requests_are_stray() {
        let mut t = Transactions::default();
        assert_eq!(
            t.on_message(&msg(0, B, A, &response("200 OK", "z9hG4bKx", "BYE"))),
            TxEvent::StrayResponse
        );
    }
}
