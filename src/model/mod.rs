//! The SIP model: transactions (RFC 3261 §17), calls and their legs, and
//! registrations, built from the decoded messages in capture order. State
//! machines only: parsing is done (`sip`), metrics and reports come after
//! (`analysis`, `report`).

pub mod b2bua;
pub mod call;
pub mod compact;
pub mod deadlines;
pub(crate) mod intern;
pub mod key_table;
pub mod keys;
pub mod labels;
pub mod registration;
pub mod rows;
pub mod slab;
#[cfg(test)]
pub(crate) mod test_msg;
pub mod transaction;
pub mod tx_index;

use crate::sip::SipMessage;
use call::{CallFigures, CallFilter, CallRecord, CallTracker, OnCallClosed};
use registration::{RegistrationTracker, Registrations};
use transaction::{Transactions, TxStats};

/// Feeds every message to the transaction layer, then to the trackers that build on it.
#[derive(Default)]
pub struct Model {
    txs: Transactions,
    calls: CallTracker,
    registrations: RegistrationTracker,
    last_ts: Option<i64>,
    keep_rows: bool,
    limits: ModelLimits,
    call_filter: Option<CallFilter>,
    reg_filter: Option<registration::RegFilter>,
    /// Capture time of the next sweep of finished calls and transactions.
    next_sweep: i64,
}

/// Hands memory freed inside the allocator back to the system. The open calls and
/// transactions freed at the end of a large run lie in holes glibc keeps
/// resident, and the records built next land elsewhere: without this, a
/// million-Call-ID run peaked at 0.97 GB of RSS for 0.83 GB of live heap.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's own heaps.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Finished calls and transactions are swept out this often (capture time).
const SWEEP_EVERY_NS: i64 = 1_000_000_000;

/// Bounds on the model's open state (documented defaults; README, reliability).
#[derive(Clone, Copy, Debug, Default)]
pub struct ModelLimits {
    pub transactions: transaction::TxLimits,
    pub calls: call::CallLimits,
    pub registrations: registration::RegLimits,
    /// Rows kept for output (call records, registration attempts, message and transaction rows).
    pub rows: rows::RowLimits,
}

/// How much state the model held, and whether a limit was hit.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ModelStats {
    pub peak_open_transactions: u64,
    pub peak_open_calls: u64,
    /// Forgotten early at `ModelLimits` (their calls may lack detail): 0 unless a limit was hit.
    pub transactions_evicted: u64,
    pub calls_evicted: u64,
    /// Call-IDs remembered as no call or as in progress at the start, forgotten early at
    /// `model.call_verdicts` (a later message of one is taken as new).
    pub call_verdicts_evicted: u64,
    /// The most registration attempts open at once (one per REGISTER not yet followed
    /// by the next of its Call-ID and AOR).
    pub peak_open_registrations: u64,
    /// Registration attempts closed early at `model.registration_attempts` or
    /// `model.registration_chains`, judged from what was seen by then.
    pub registrations_evicted: u64,
    /// Registration chains (Call-ID + AOR) forgotten at `model.registration_chains`:
    /// their next REGISTER starts a new chain, not a refresh.
    pub registration_chains_evicted: u64,
    /// Rows not kept for output past `--limit rows.*` (counted; the summary's figures stay exact).
    pub rows_not_kept: rows::RowsNotKept,
}

/// What the model found, once the capture is over.
pub struct ModelOutput {
    /// The call records kept (the first `rows.calls`).
    pub calls: Vec<CallRecord>,
    /// Figures of the calls past `rows.calls`, for exact call figures.
    pub calls_not_kept: Vec<CallFigures>,
    pub registrations: Registrations,
    pub transactions: TxStats,
    /// Calls already in progress when the capture began (not counted as attempts).
    pub in_progress_at_start: u64,
    /// Call records folded into another as its B2BUA leg ([`b2bua`]).
    pub b2bua_legs_merged: u64,
    /// Every transaction with its Call-ID, when the model was made with [`Model::keeping_rows`].
    pub transaction_rows: Vec<(transaction::Transaction, Box<str>)>,
    pub stats: ModelStats,
}

impl Model {
    /// A model that keeps every transaction for the output files (`--out`).
    pub fn keeping_rows() -> Self {
        Model {
            txs: Transactions::keeping_call_ids(),
            keep_rows: true,
            ..Default::default()
        }
    }

    pub fn with_limits(mut self, limits: ModelLimits) -> Self {
        self.limits = limits;
        self.txs = std::mem::take(&mut self.txs)
            .with_limits(limits.transactions, limits.rows.transactions);
        self.calls =
            CallTracker::with_limits(limits.calls, limits.rows.calls, self.call_filter.clone());
        self.registrations = RegistrationTracker::with_limits(
            limits.registrations,
            limits.rows.registrations,
            self.reg_filter.clone(),
        );
        self
    }

    /// The run's filter of calls and registration attempts: those past `rows.*`
    /// that it refuses are not counted in the figures (the records kept are
    /// filtered by the caller).
    pub fn with_filters(
        mut self,
        calls: CallFilter,
        registrations: registration::RegFilter,
    ) -> Self {
        self.call_filter = Some(calls);
        self.reg_filter = Some(registrations);
        let limits = self.limits;
        self.with_limits(limits)
    }

    /// Takes one message; says whether it repeated one already seen (a retransmission).
    pub fn on_message(&mut self, m: &SipMessage) -> bool {
        self.on_message_closing(m, &mut ())
    }

    /// [`Model::on_message`], telling `closed` of every call it closes on the way.
    pub fn on_message_closing(&mut self, m: &SipMessage, closed: &mut dyn OnCallClosed) -> bool {
        self.last_ts = Some(self.last_ts.map_or(m.ts_ns, |t| t.max(m.ts_ns)));
        let ev = self.txs.on_message(m);
        self.calls.on_message(m, ev, &mut self.txs);
        self.registrations.on_message(m, ev, &self.txs);
        if m.ts_ns >= self.next_sweep {
            // Calls first: a closed call releases its transactions to the second sweep.
            self.calls.sweep(m.ts_ns, &mut self.txs, closed);
            self.txs.sweep(m.ts_ns);
            self.next_sweep = m.ts_ns.saturating_add(SWEEP_EVERY_NS);
        }
        matches!(
            ev,
            transaction::TxEvent::Retransmission(_)
                | transaction::TxEvent::Response { first: false, .. }
        )
    }

    /// Cache hints for a message a few turns ahead: the index entries its keys
    /// lead to (no effect on results).
    pub fn prefetch_entries(&self, m: &SipMessage) {
        self.txs.prefetch_key(m);
        self.calls.prefetch_entry(m);
    }

    /// Cache hints for a message about to be modelled: the records its entries
    /// name (asked for by [`Model::prefetch_entries`] a few turns before).
    pub fn prefetch_records(&self, m: &SipMessage) {
        self.txs.prefetch_record(m);
        self.calls.prefetch_call(m);
    }

    /// Ends the model at `capture_end_ns` (the last frame's time; the last message's if None).
    pub fn finish(self, capture_end_ns: Option<i64>) -> ModelOutput {
        self.finish_closing(capture_end_ns, &mut ())
    }

    /// [`Model::finish`], telling `closed` of every call still open (before the
    /// B2BUA legs are folded: each record is settled with its own Call-ID's state).
    pub fn finish_closing(
        self,
        capture_end_ns: Option<i64>,
        closed: &mut dyn OnCallClosed,
    ) -> ModelOutput {
        let end = capture_end_ns.or(self.last_ts).unwrap_or(0);
        let in_progress_at_start = self.calls.in_progress_at_start;
        let stats = ModelStats {
            peak_open_transactions: self.txs.stats.peak_open,
            peak_open_calls: self.calls.peak_open,
            transactions_evicted: self.txs.stats.evicted,
            calls_evicted: self.calls.evicted,
            call_verdicts_evicted: self.calls.verdicts_evicted,
            rows_not_kept: Default::default(),
            ..Default::default()
        };
        let finished = self.calls.finish(&self.txs, end, closed);
        let tx_stats = self.txs.stats.clone();
        // The transaction table is let go (or turned into rows) before the
        // registrations are closed: both at once were a large run's peak.
        let (transaction_rows, transaction_rows_not_kept) = if self.keep_rows {
            self.txs.into_rows()
        } else {
            drop(self.txs);
            (Vec::new(), 0)
        };
        release_freed_memory();
        let mut calls = finished.records;
        let b2bua_legs_merged = b2bua::fold_legs(&mut calls);
        let registrations = self.registrations.finish(end);
        let mut stats = stats;
        stats.rows_not_kept.calls = finished.records_not_kept;
        stats.rows_not_kept.registrations = registrations.attempts_not_kept;
        stats.peak_open_registrations = registrations.limits.peak_open;
        stats.registrations_evicted = registrations.limits.attempts_evicted;
        stats.registration_chains_evicted = registrations.limits.chains_evicted;
        stats.rows_not_kept.transactions = transaction_rows_not_kept;
        ModelOutput {
            stats,
            calls,
            calls_not_kept: finished.not_kept,
            b2bua_legs_merged,
            registrations: registrations.registrations,
            transactions: tx_stats,
            in_progress_at_start,
            transaction_rows,
        }
    }
}
