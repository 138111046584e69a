//! Bounds on the rows kept for output — call records, registration attempts,
//! and with `--out` one row per SIP message and per transaction — and the
//! count of rows not kept once a bound is hit.
//!
//! Open state (transactions, calls in flight) is bounded by [`super::ModelLimits`];
//! what is bounded here is what a run keeps to print at the end, which without a
//! bound grows with the capture (a million distinct Call-IDs held about 1 GB,
//! 2 GB with `--out`). Rows past a bound are counted, never silently lost, and
//! the figures over calls stay exact: a call past the bound keeps its figures
//! ([`super::call::CallFigures`], about a tenth of its record). What a dropped
//! row would have fed besides — findings, the tables of `--out`, the HTML — is
//! said to cover the rows kept (README, reliability). Which rows are kept: the
//! first ones in capture order (a run's start explains its end more often than
//! the reverse, and "the first N" is a rule a reader can check).

use serde::Serialize;

/// How many rows of each kind a run keeps (documented defaults; `--limit rows.*`).
#[derive(Clone, Copy, Debug)]
pub struct RowLimits {
    /// Call records (calls.csv, the HTML, findings).
    pub calls: usize,
    /// Registration attempts (registrations.csv, findings, AOR states).
    pub registrations: usize,
    /// One row per SIP message (messages.csv, `--out` only).
    pub messages: usize,
    /// One row per transaction (transactions.csv, `--out` only).
    pub transactions: usize,
}

impl Default for RowLimits {
    fn default() -> Self {
        RowLimits {
            calls: 500_000,
            registrations: 200_000,
            messages: 500_000,
            transactions: 500_000,
        }
    }
}

/// Rows not kept because a [`RowLimits`] bound was hit: 0 unless one was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RowsNotKept {
    /// Call records past `rows.calls` (their figures still count in the call summary).
    pub calls: u64,
    /// Registration attempts past `rows.registrations` (their outcomes still count).
    pub registrations: u64,
    /// Message rows past `rows.messages` (`--out`; traffic counts are unaffected).
    pub messages: u64,
    /// Transaction rows past `rows.transactions` (`--out`; transaction counts are unaffected).
    pub transactions: u64,
}

impl RowsNotKept {
    pub fn any(&self) -> bool {
        self.calls + self.registrations + self.messages + self.transactions > 0
    }

    /// "calls 12 (rows.calls), messages 3 (rows.messages)": the bounds hit, for a one-line note.
    pub fn describe(&self) -> String {
        [
            (self.calls, "calls", "rows.calls"),
            (
                self.registrations,
                "registration attempts",
                "rows.registrations",
            ),
            (self.messages, "message rows", "rows.messages"),
            (self.transactions, "transaction rows", "rows.transactions"),
        ]
        .iter()
        .filter(|(n, ..)| *n > 0)
        .map(|(n, what, limit)| format!("{n} {what} (--limit {limit})"))
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// A vector that keeps its first `limit` items and counts the rest (unbounded by
/// default). A plain vector: kept in chunks instead (to spare the spare capacity of
/// growth by doubling) the peak RSS of a million-Call-ID capture went up, not down
/// (1.04 GB against 0.97 GB; freed chunks stay resident in the allocator). Tried
/// again with mimalloc (1 MiB chunks moved into one exact vector at the end):
/// sip-heavy-1g 446 -> 480 MB, the end's copy costing more than growth saved.
///
/// What it does instead: once past [`SMALL_ROWS`] items it reserves the address
/// space of its whole bound at once (up to [`RESERVE_BYTES`]). Pages of a
/// reservation become resident only when written, so the vector then grows in
/// place: no doubling copy, which held the old and the new buffer at once (a
/// 25 MB spike on a 1 GB load test, the run's peak). Small runs never reserve.
#[derive(Clone, Debug)]
pub struct Bounded<T> {
    kept: Vec<T>,
    pub not_kept: u64,
    limit: usize,
}

/// Items a [`Bounded`] holds before it reserves its bound's address space.
pub const SMALL_ROWS: usize = 4096;

/// The most address space one [`Bounded`] reserves ahead (past it, growth by doubling).
pub const RESERVE_BYTES: usize = 256 << 20;

impl<T> Default for Bounded<T> {
    fn default() -> Self {
        Bounded::new(usize::MAX)
    }
}

impl<T> Bounded<T> {
    pub fn new(limit: usize) -> Self {
        Bounded {
            kept: Vec::new(),
            not_kept: 0,
            limit,
        }
    }

    /// Keeps `item` if there is room; else counts it and hands it back.
    pub fn push(&mut self, item: T) -> Option<T> {
        if self.kept.len() >= self.limit {
            self.not_kept += 1;
            return Some(item);
        }
        if self.kept.len() == self.kept.capacity() && self.kept.len() >= SMALL_ROWS {
            // About to grow past the small size: reserve the whole bound once (see above).
            let whole = self
                .limit
                .min(RESERVE_BYTES / std::mem::size_of::<T>().max(1));
            if whole > self.kept.len() {
                self.kept.reserve_exact(whole - self.kept.len());
            }
        }
        self.kept.push(item);
        None
    }

    /// Items kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// Room left before the bound.
    pub fn room(&self) -> usize {
        self.limit.saturating_sub(self.kept.len())
    }

    /// Makes room for `n` more items at once (at most up to the bound), exactly.
    pub fn reserve(&mut self, n: usize) {
        self.kept.reserve_exact(n.min(self.room()));
    }

    /// The items kept, in the order pushed.
    pub fn into_vec(self) -> Vec<T> {
        self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::{Bounded, RowsNotKept};

    #[test]
    fn a_bounded_vector_keeps_the_first_items_and_counts_the_rest() {
        let mut b = Bounded::new(2);
        assert_eq!(b.push(1), None);
        assert_eq!(b.push(2), None);
        assert_eq!(b.push(3), Some(3));
        assert_eq!(b.push(4), Some(4));
        assert_eq!(b.not_kept, 2);
        assert_eq!(b.room(), 0);
        assert_eq!(b.into_vec(), vec![1, 2]);
    }

    #[test]
    fn a_large_bounded_vector_grows_in_place_once_past_the_small_size() {
        let mut b = Bounded::new(100_000);
        for i in 0..=super::SMALL_ROWS {
            b.push([i as u64; 4]);
        }
        let at = b.kept.as_ptr();
        for i in 0..50_000 {
            b.push([i; 4]);
        }
        assert_eq!(b.kept.as_ptr(), at, "moved: grew by copying");
        assert_eq!(b.kept.capacity(), 100_000);
        // Small runs never reserve; an unbounded vector reserves at most RESERVE_BYTES.
        let mut small = Bounded::new(100_000);
        small.push(1u8);
        assert!(small.kept.capacity() < 1000);
        let mut unbounded = Bounded::default();
        for i in 0..=super::SMALL_ROWS {
            unbounded.push([i as u64; 4]);
        }
        assert_eq!(unbounded.kept.capacity(), super::RESERVE_BYTES / 32);
    }

    #[test]
    fn rows_not_kept_name_the_limit_to_raise() {
        let r = RowsNotKept {
            calls: 5,
            messages: 7,
            ..Default::default()
        };
        assert!(r.any());
        assert_eq!(
            r.describe(),
            "5 calls (--limit rows.calls), 7 message rows (--limit rows.messages)"
        );
        assert!(!RowsNotKept::default().any());
    }
}
