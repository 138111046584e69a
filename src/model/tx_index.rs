//! The open transactions' index: transaction key → slot, in 8 bytes an entry.
//!
//! A `HashMap<u128, u32>` spends 33 bytes a bucket (the key, the slot, padding,
//! a control byte); a load test holds ~130 000 open transactions, so its table
//! was ~8 MB, and every message's lookup, every new transaction's insert and
//! every retirement's removal missed the cache (`perf annotate` of the sweep:
//! 43 % of its samples on the one load of the bucket; issue #16). Here an entry
//! is 32 bits of the key (the tag) and the slot: the same transactions in a
//! quarter of the memory. The rest of the key is not kept: the caller checks it
//! in the transaction a tag leads to (`is`), which it reads next anyway.
//!
//! Open addressing, linear probing from the tag's low bits (keys are hashes
//! already, `sip::ids::key128`), removal by backward shift (no tombstones), at
//! most 7/8 full. It leaves to its owner what a key means and which slot is
//! whose; it never looks at a transaction itself.

/// An entry: a tag and a slot; `slot == EMPTY` is a free entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    tag: u32,
    slot: u32,
}

const EMPTY: u32 = u32::MAX;
const FREE: Entry = Entry {
    tag: 0,
    slot: EMPTY,
};

/// The index. `is(slot)` arguments answer "does the transaction in `slot` have
/// the key asked for?".
#[derive(Debug, Default)]
pub struct TxIndex {
    entries: Vec<Entry>,
    len: usize,
}

/// The 32 bits of a key kept in its entry (the high half's: `sip::ids` mixes every
/// bit of the key, so any 32 do).
fn tag(key: u128) -> u32 {
    (key >> 96) as u32
}

impl TxIndex {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn mask(&self) -> usize {
        self.entries.len().wrapping_sub(1)
    }

    /// Where `tag`'s probe starts.
    fn home(&self, tag: u32) -> usize {
        tag as usize & self.mask()
    }

    /// Starts loading the entry where `key`'s probe begins (a cache hint; no effect on results).
    pub fn prefetch(&self, key: u128) {
        if let Some(e) = self.entries.get(self.home(tag(key))) {
            crate::prefetch::line(std::ptr::from_ref(e).cast());
        }
    }

    /// The slot indexed for `key`: the first whose tag matches and for which `is` says yes.
    pub fn get(&self, key: u128, is: impl Fn(u32) -> bool) -> Option<u32> {
        if self.entries.is_empty() {
            return None;
        }
        let (t, mask) = (tag(key), self.mask());
        let mut i = self.home(t);
        loop {
            let e = *self.entries.get(i)?;
            if e.slot == EMPTY {
                return None;
            }
            if e.tag == t && is(e.slot) {
                return Some(e.slot);
            }
            i = (i + 1) & mask;
        }
    }

    /// Indexes `slot` for `key`, in place of the slot held for it before, if any
    /// (`is` tells that one by its key). `slot` must not be `u32::MAX`.
    pub fn insert(&mut self, key: u128, slot: u32, is: impl Fn(u32) -> bool) {
        debug_assert_ne!(slot, EMPTY);
        if (self.len + 1) * 8 > self.entries.len() * 7 {
            self.grow();
        }
        let (t, mask) = (tag(key), self.mask());
        let mut i = self.home(t);
        loop {
            let Some(e) = self.entries.get_mut(i) else {
                return;
            };
            if e.slot == EMPTY {
                *e = Entry { tag: t, slot };
                self.len += 1;
                return;
            }
            if e.tag == t && is(e.slot) {
                e.slot = slot;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Drops the entry of `key` if it holds `slot` (an entry a later transaction of
    /// the same key took over is left to that one). Says whether it did.
    pub fn remove(&mut self, key: u128, slot: u32) -> bool {
        if self.entries.is_empty() {
            return false;
        }
        let (t, mask) = (tag(key), self.mask());
        let mut i = self.home(t);
        loop {
            let Some(&e) = self.entries.get(i) else {
                return false;
            };
            if e.slot == EMPTY {
                return false;
            }
            if e.tag == t && e.slot == slot {
                break;
            }
            i = (i + 1) & mask;
        }
        // Backward shift: each entry after the hole that may move into it (its
        // home is not between the hole and itself) does, until a free entry.
        let mut hole = i;
        let mut j = (i + 1) & mask;
        while let Some(&e) = self.entries.get(j) {
            if e.slot == EMPTY {
                break;
            }
            let home = self.home(e.tag);
            // Cyclic distance from home: the entry may fill the hole if the hole
            // lies on its probe path, i.e. no further from its home than it is.
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                if let Some(h) = self.entries.get_mut(hole) {
                    *h = e;
                }
                hole = j;
            }
            j = (j + 1) & mask;
        }
        if let Some(h) = self.entries.get_mut(hole) {
            *h = FREE;
        }
        self.len -= 1;
        true
    }

    /// Twice the entries (16 to begin with), every entry placed again from its tag.
    fn grow(&mut self) {
        let n = (self.entries.len() * 2).max(16);
        let old = std::mem::replace(&mut self.entries, vec![FREE; n]);
        let mask = self.mask();
        for e in old.into_iter().filter(|e| e.slot != EMPTY) {
            let mut i = self.home(e.tag);
            while self.entries.get(i).is_some_and(|x| x.slot != EMPTY) {
                i = (i + 1) & mask;
            }
            if let Some(x) = self.entries.get_mut(i) {
                *x = e;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Random inserts and removals, keys chosen to collide in their tags' low bits
    /// (long probe runs, wrapping at the end) and some with equal tags: the index
    /// answers every lookup as a `HashMap` of the full keys does.
    #[test]
    fn answers_as_a_hash_map_of_the_full_keys() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..20 {
            let mut index = TxIndex::default();
            // slot -> key (what the model's slab says), key -> slot (the reference).
            let mut slots: HashMap<u32, u128> = HashMap::new();
            let mut reference: HashMap<u128, u32> = HashMap::new();
            let keys: Vec<u128> = (0..300u32)
                .map(|i| {
                    let r = next();
                    // Few distinct low tag bits: long runs of probing. Every fifth pair
                    // shares the whole tag and differs below it.
                    let tag = if round % 2 == 0 {
                        (r % 7) as u32
                    } else {
                        (r as u32) | 0xffff_fff0
                    };
                    let low = if i % 5 == 0 {
                        u128::from(i / 2)
                    } else {
                        u128::from(next())
                    };
                    (u128::from(tag) << 96) | low
                })
                .collect();
            let mut next_slot = 0u32;
            for _ in 0..3000 {
                let key = keys[(next() % keys.len() as u64) as usize];
                if next() % 3 == 0 {
                    // Retire a transaction of this key, if one is held.
                    if let Some((&slot, _)) = slots.iter().find(|(_, &k)| k == key) {
                        slots.remove(&slot);
                        let held = reference.get(&key) == Some(&slot);
                        if held {
                            reference.remove(&key);
                        }
                        assert_eq!(index.remove(key, slot), held);
                    }
                } else {
                    let slot = next_slot;
                    next_slot += 1;
                    slots.insert(slot, key);
                    let is = |s: u32| slots.get(&s) == Some(&key);
                    index.insert(key, slot, is);
                    reference.insert(key, slot);
                }
                assert_eq!(index.len(), reference.len());
            }
            for &key in &keys {
                let is = |s: u32| slots.get(&s) == Some(&key);
                assert_eq!(
                    index.get(key, is),
                    reference.get(&key).copied(),
                    "round {round}"
                );
            }
        }
    }

    #[test]
    fn an_empty_index_finds_nothing_and_removes_nothing() {
        let mut index = TxIndex::default();
        assert_eq!(index.get(7, |_| true), None);
        assert!(!index.remove(7, 0));
        index.prefetch(7);
        assert!(index.is_empty());
    }

    /// A slot left by a retired transaction's removal is found again by the keys
    /// probed past it (the backward shift closed the gap).
    #[test]
    fn removal_keeps_later_keys_of_a_probe_run_reachable() {
        let mut index = TxIndex::default();
        let key = |n: u128| (3u128 << 96) | n; // one tag: one probe run
        let slot_key = |s: u32| key(u128::from(s) + 100);
        for s in 0..10u32 {
            index.insert(slot_key(s), s, |x| slot_key(x) == slot_key(s));
        }
        assert!(index.remove(slot_key(0), 0));
        assert!(index.remove(slot_key(4), 4));
        for s in (1..10u32).filter(|&s| s != 4) {
            assert_eq!(
                index.get(slot_key(s), |x| slot_key(x) == slot_key(s)),
                Some(s)
            );
        }
        assert_eq!(index.get(slot_key(4), |x| slot_key(x) == slot_key(4)), None);
        assert_eq!(index.len(), 8);
    }
}
