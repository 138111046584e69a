//! Deadlines in capture time — "look at this transaction or call again at t"
//! — kept in time order, so a sweep pops exactly those that are due.
//!
//! A FIFO queue was used before, "in about that order": an entry looked at and
//! put back with a later deadline went behind everything queued meanwhile, so
//! it waited for those to come due first. Calls then closed about 128 s after
//! they went quiet instead of 64 s, and a 1 GB load test held nearly every call
//! open to the end (issue #16). What each deadline means is the owner's affair.
//!
//! How: deadlines fall into buckets of about a second ([`BUCKET_SHIFT`]), one
//! vector per bucket in a ring, filled in any order; only the earliest bucket is a
//! heap, made when the sweep reaches it. One binary heap over everything — the
//! transactions of a load test's last 32 s, ~130 000 — cost a cache miss per level
//! on every pop (`BinaryHeap::pop` was 6 % of a SIP-heavy run, most of it on the
//! loads of its lower levels); the earliest bucket's heap holds a second's worth
//! and stays in cache. Entries come out in exactly the order of one heap: by
//! deadline, then id (the unit test checks it against `BinaryHeap` on random
//! sequences). Deadlines further ahead than the ring reaches, or before the
//! earliest bucket (time going backwards between captures), still come out in
//! order: the first wait in a heap of their own, the second join the earliest
//! bucket's heap.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Nanoseconds per bucket, as a shift: 2^30 ns, about 1.07 s.
const BUCKET_SHIFT: u32 = 30;
/// Buckets ahead of the earliest one at most (~73 min); later deadlines wait in `far`.
const MAX_AHEAD: i64 = 4096;

/// Items (small copyable ids) by deadline, earliest first; ties by id, so the
/// order is the same on every run.
#[derive(Debug)]
pub struct Deadlines<K: Ord + Copy> {
    /// The earliest bucket (index `base`), and anything due before it: a heap.
    front: BinaryHeap<Reverse<(i64, K)>>,
    /// Buckets `base + 1`, `base + 2`, … in arrival order, unsorted (each becomes
    /// the front heap in place: the `Reverse` is what the heap orders by).
    ahead: VecDeque<Vec<Reverse<(i64, K)>>>,
    /// The bucket number of `front` (None while nothing is held).
    base: Option<i64>,
    /// Deadlines more than [`MAX_AHEAD`] buckets past `base` when pushed.
    far: BinaryHeap<Reverse<(i64, K)>>,
    len: usize,
    /// Emptied bucket vectors, reused for later buckets.
    spare: Vec<Vec<Reverse<(i64, K)>>>,
}

impl<K: Ord + Copy> Default for Deadlines<K> {
    fn default() -> Self {
        Deadlines {
            front: BinaryHeap::new(),
            ahead: VecDeque::new(),
            base: None,
            far: BinaryHeap::new(),
            len: 0,
            spare: Vec::new(),
        }
    }
}

impl<K: Ord + Copy> Deadlines<K> {
    pub fn push(&mut self, due: i64, k: K) {
        self.len += 1;
        let bucket = due >> BUCKET_SHIFT;
        let base = *self.base.get_or_insert(bucket);
        let ahead = bucket - base;
        if ahead <= 0 {
            self.front.push(Reverse((due, k)));
        } else if ahead > MAX_AHEAD {
            self.far.push(Reverse((due, k)));
        } else {
            let i = (ahead - 1) as usize;
            while self.ahead.len() <= i {
                let v = self.spare.pop().unwrap_or_default();
                self.ahead.push_back(v);
            }
            if let Some(b) = self.ahead.get_mut(i) {
                b.push(Reverse((due, k)));
            }
        }
    }

    /// Makes the earliest non-empty bucket the front heap, if the front is empty.
    fn settle(&mut self) {
        while self.front.is_empty() {
            let Some(next) = self.ahead.pop_front() else {
                // Nothing bucketed: the next push starts the ring afresh.
                self.base = None;
                return;
            };
            self.base = self.base.map(|b| b + 1);
            // Heapified in its own buffer; the old front's buffer is kept for a later bucket.
            let old = std::mem::replace(&mut self.front, BinaryHeap::from(next));
            let mut v = old.into_vec();
            v.clear();
            self.spare.push(v);
        }
    }

    /// The earliest deadline and its item.
    pub fn first(&mut self) -> Option<(i64, K)> {
        self.settle();
        let near = self.front.peek().map(|r| r.0);
        let far = self.far.peek().map(|r| r.0);
        match (near, far) {
            (Some(n), Some(f)) => Some(n.min(f)),
            (n, f) => n.or(f),
        }
    }

    pub fn pop_first(&mut self) -> Option<(i64, K)> {
        let first = self.first()?;
        let from_far = self.far.peek().is_some_and(|r| r.0 == first)
            && self.front.peek().is_none_or(|r| r.0 != first);
        let popped = if from_far {
            self.far.pop()
        } else {
            self.front.pop()
        };
        self.len -= usize::from(popped.is_some());
        popped.map(|r| r.0)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Moves every item due at `now` into `out` (cleared first), earliest first, at
    /// most `budget` of them (`budget` counts down). They are the first a pop would
    /// give in any case: a sweep takes them together to load their records ahead of
    /// their turns.
    pub fn take_due(&mut self, now: i64, budget: &mut usize, out: &mut Vec<K>) {
        out.clear();
        while *budget > 0 {
            match self.first() {
                Some((at, k)) if at <= now => {
                    self.pop_first();
                    *budget -= 1;
                    out.push(k);
                }
                _ => break,
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `take_due` gives what popping while due gives, in that order, within its budget.
    #[test]
    fn take_due_gives_the_due_items_in_pop_order_within_the_budget() {
        let mut a = Deadlines::default();
        let mut b = Deadlines::default();
        for (i, at) in [5i64, 1, 9, 3, 3, 12, 0, 7, 2_000_000_000]
            .into_iter()
            .enumerate()
        {
            a.push(at, i as u32);
            b.push(at, i as u32);
        }
        let mut popped = Vec::new();
        while let Some((at, k)) = a.first() {
            if at > 7 {
                break;
            }
            a.pop_first();
            popped.push(k);
        }
        let (mut budget, mut out) = (100, vec![99]);
        b.take_due(7, &mut budget, &mut out);
        assert_eq!(out, popped);
        assert_eq!(budget, 100 - popped.len());
        assert_eq!(b.len(), a.len());
        let (mut budget, mut out) = (1, Vec::new());
        b.take_due(i64::MAX, &mut budget, &mut out);
        assert_eq!((out, budget), (vec![2], 0)); // 9 comes next; the budget stops there
    }

    #[test]
    fn an_entry_put_back_comes_due_at_its_own_time_not_behind_later_ones() {
        let mut d = Deadlines::default();
        d.push(64, 1u32); // a call, looked at 64 s after it began
        for k in 2..100u32 {
            d.push(64 + i64::from(k), k); // calls begun after it
        }
        let (due, k) = d.pop_first().unwrap();
        assert_eq!((due, k), (64, 1));
        d.push(70, 1); // quiet only since 6 s in: due at 70
        let order: Vec<u32> = std::iter::from_fn(|| d.pop_first().map(|x| x.1)).collect();
        let pos = order.iter().position(|&k| k == 1).unwrap();
        assert_eq!(
            pos, 4,
            "due at 70 comes after those due at 66..69 only: {order:?}"
        );
    }

    #[test]
    fn ties_are_broken_by_id() {
        let mut d = Deadlines::default();
        d.push(5, 9u32);
        d.push(5, 3u32);
        assert_eq!(d.pop_first(), Some((5, 3)));
        assert_eq!(d.first(), Some((5, 9)));
        assert_eq!(d.len(), 1);
    }

    /// The order is one heap's, whatever comes: deadlines in seconds ahead (the
    /// usual), before the earliest bucket (time going back), hours ahead (`far`),
    /// at the extremes of i64, pops between pushes.
    #[test]
    fn pops_in_the_order_of_one_binary_heap_on_random_sequences() {
        const S: i64 = 1_000_000_000;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..200 {
            let mut d = Deadlines::default();
            let mut h: BinaryHeap<Reverse<(i64, u32)>> = BinaryHeap::new();
            let mut now = (rnd() % 1_000) as i64 * S;
            for step in 0..2_000u32 {
                let r = rnd();
                match r % 10 {
                    0..=4 => {
                        let due = match (r >> 8) % 8 {
                            0 => now - ((r >> 16) % 100) as i64 * S,    // backwards
                            1 => now + ((r >> 16) % 20_000) as i64 * S, // far ahead
                            2 if round % 50 == 0 => i64::MAX - (r >> 40) as i64,
                            3 if round % 50 == 0 => i64::MIN + (r >> 40) as i64,
                            4 => now, // due at once (a released transaction)
                            _ => now + ((r >> 16) % (64 * S as u64)) as i64,
                        };
                        let k = (r >> 32) as u32 % 64 + step % 3;
                        d.push(due, k);
                        h.push(Reverse((due, k)));
                    }
                    5..=8 => {
                        // A sweep: everything due by now, in order.
                        now += ((r >> 8) % (3 * S as u64)) as i64;
                        loop {
                            let want = h.peek().map(|x| x.0).filter(|x| x.0 <= now);
                            let got = d.first().filter(|x| x.0 <= now);
                            assert_eq!(got, want, "round {round} step {step}");
                            if want.is_none() {
                                break;
                            }
                            assert_eq!(d.pop_first(), h.pop().map(|x| x.0));
                        }
                    }
                    _ => {
                        assert_eq!(d.pop_first(), h.pop().map(|x| x.0), "round {round}");
                    }
                }
                assert_eq!(d.len(), h.len());
            }
            while let Some(x) = h.pop() {
                assert_eq!(d.pop_first(), Some(x.0));
            }
            assert!(d.is_empty() && d.pop_first().is_none());
        }
    }
}
