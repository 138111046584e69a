//! Deadlines in capture time — "look at this transaction or call again at t"
//! — kept in time order, so a sweep pops exactly those that are due.
//!
//! A FIFO queue was used before, "in about that order": an entry looked at and
//! put back with a later deadline went behind everything queued meanwhile, so
//! it waited for those to come due first. Calls then closed about 128 s after
//! they went quiet instead of 64 s, and a 1 GB load test held nearly every call
//! open to the end (issue #16). What each deadline means is the owner's affair.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Items (small copyable ids) by deadline, earliest first; ties by id, so the
/// order is the same on every run.
#[derive(Debug)]
pub struct Deadlines<K: Ord + Copy> {
    heap: BinaryHeap<Reverse<(i64, K)>>,
}

impl<K: Ord + Copy> Default for Deadlines<K> {
    fn default() -> Self {
        Deadlines {
            heap: BinaryHeap::new(),
        }
    }
}

impl<K: Ord + Copy> Deadlines<K> {
    pub fn push(&mut self, due: i64, k: K) {
        self.heap.push(Reverse((due, k)));
    }
    /// The earliest deadline and its item.
    pub fn first(&self) -> Option<(i64, K)> {
        self.heap.peek().map(|r| r.0)
    }
    pub fn pop_first(&mut self) -> Option<(i64, K)> {
        self.heap.pop().map(|r| r.0)
    }
    pub fn len(&self) -> usize {
        self.heap.len()
    }
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
