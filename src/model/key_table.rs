//! A map from 128-bit keys that are hashes already (`sip::ids::key128`) to a
//! small value, whose entry for a key can be asked into the cache before the
//! key's turn ([`KeyTable::prefetch`]).
//!
//! The model looks every message's Call-ID up in a table of calls and one of
//! media; in `std`'s `HashMap` that is two dependent cache misses (the control
//! bytes, then the bucket), and no way to start either early. Here an entry
//! holds its key and value side by side; the home of a key is its low bits,
//! probing is linear, removal shifts the run back (no tombstones), and the
//! table is at most half full, so a lookup reads one entry, seldom two. The
//! model thread asks for the entries of the messages a few places ahead of the
//! one it models (`Model::prefetch`), so the misses overlap (issue #16).
//!
//! It leaves to its owner what a key or a value means; values are `Copy`.

/// One entry: a key, its value, and whether it is in use.
#[derive(Clone, Copy, Debug)]
struct Entry<V> {
    /// The key as two words: 8-byte aligned, so an entry of a `u32` is 24 bytes, not 32.
    key: [u64; 2],
    value: V,
    used: bool,
}

#[derive(Clone, Debug)]
pub struct KeyTable<V> {
    entries: Vec<Entry<V>>,
    len: usize,
}

impl<V> Default for KeyTable<V> {
    fn default() -> Self {
        KeyTable {
            entries: Vec::new(),
            len: 0,
        }
    }
}

fn split(key: u128) -> [u64; 2] {
    [key as u64, (key >> 64) as u64]
}

impl<V: Copy + Default> KeyTable<V> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes the table holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry<V>>()
    }

    fn mask(&self) -> usize {
        self.entries.len().wrapping_sub(1)
    }

    /// Where `key`'s probe starts: both halves folded (as the `PassThrough`
    /// hasher of `model::keys` did), then the table's low bits.
    fn home(&self, key: [u64; 2]) -> usize {
        (key[0] ^ key[1]) as usize & self.mask()
    }

    /// Where `key` is, if it is.
    fn find(&self, key: u128) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        let (k, mask) = (split(key), self.mask());
        let mut i = self.home(k);
        loop {
            let e = self.entries.get(i)?;
            if !e.used {
                return None;
            }
            if e.key == k {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Starts loading the entry where `key`'s probe begins (a cache hint; no effect on results).
    pub fn prefetch(&self, key: u128) {
        if let Some(e) = self.entries.get(self.home(split(key))) {
            let p: *const u8 = std::ptr::from_ref(e).cast();
            crate::prefetch::line(p);
            // An entry may straddle two lines.
            crate::prefetch::line(p.wrapping_add(std::mem::size_of::<Entry<V>>() - 1));
        }
    }

    pub fn get(&self, key: &u128) -> Option<&V> {
        let i = self.find(*key)?;
        self.entries.get(i).map(|e| &e.value)
    }

    pub fn contains_key(&self, key: &u128) -> bool {
        self.find(*key).is_some()
    }

    /// Sets `key`'s value; returns the value it had.
    pub fn insert(&mut self, key: u128, value: V) -> Option<V> {
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        let (k, mask) = (split(key), self.mask());
        let mut i = self.home(k);
        loop {
            let e = self.entries.get_mut(i)?;
            if !e.used {
                *e = Entry {
                    key: k,
                    value,
                    used: true,
                };
                self.len += 1;
                return None;
            }
            if e.key == k {
                return Some(std::mem::replace(&mut e.value, value));
            }
            i = (i + 1) & mask;
        }
    }

    /// Takes `key` out; returns its value.
    pub fn remove(&mut self, key: &u128) -> Option<V> {
        let mut hole = self.find(*key)?;
        let mask = self.mask();
        let value = self.entries.get(hole)?.value;
        self.len -= 1;
        // Backward shift: each later entry of the run that may move into the hole does.
        let mut i = (hole + 1) & mask;
        while let Some(&e) = self.entries.get(i).filter(|e| e.used) {
            let home = self.home(e.key);
            // `e` may fill the hole if its home is not in (hole, i] (cyclically).
            if (i.wrapping_sub(home) & mask) >= (i.wrapping_sub(hole) & mask) {
                if let Some(h) = self.entries.get_mut(hole) {
                    *h = e;
                }
                hole = i;
            }
            i = (i + 1) & mask;
        }
        if let Some(h) = self.entries.get_mut(hole) {
            h.used = false;
        }
        Some(value)
    }

    fn grow(&mut self) {
        let size = (self.entries.len() * 2).max(64);
        let free = Entry {
            key: [0; 2],
            value: V::default(),
            used: false,
        };
        let old = std::mem::replace(&mut self.entries, vec![free; size]);
        self.len = 0;
        for e in old.into_iter().filter(|e| e.used) {
            let key = u128::from(e.key[0]) | (u128::from(e.key[1]) << 64);
            self.insert(key, e.value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Inserts, overwrites and removals, with keys made to share homes and runs
    /// that wrap around the table's end, agree with a `HashMap` at every step.
    #[test]
    fn agrees_with_a_hash_map() {
        let mut t = KeyTable::<u32>::default();
        let mut m = HashMap::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for step in 0..200_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Few distinct low bits: long runs, many shared homes, wrap-arounds.
            let key = u128::from(x % 700) | (u128::from(x % 3) << 64) | ((x as u128 & 0xf0) << 60);
            match x >> 62 {
                0 | 1 => assert_eq!(t.insert(key, step), m.insert(key, step), "{step}"),
                2 => assert_eq!(t.remove(&key), m.remove(&key), "{step}"),
                _ => assert_eq!(t.get(&key), m.get(&key), "{step}"),
            }
            assert_eq!(t.len(), m.len());
            if step % 10_000 == 0 {
                for (k, v) in &m {
                    assert_eq!(t.get(k), Some(v));
                }
            }
        }
        for (k, v) in &m {
            assert_eq!(t.get(k), Some(v));
            assert!(t.contains_key(k));
        }
    }

    #[test]
    fn an_empty_table_has_nothing_and_hints_harmlessly() {
        let mut t = KeyTable::<u32>::default();
        t.prefetch(7);
        assert_eq!(t.get(&7), None);
        assert_eq!(t.remove(&7), None);
        assert!(t.is_empty());
        assert_eq!(t.insert(0, 5), None, "the key 0 is a key like any other");
        assert_eq!(t.get(&0), Some(&5));
        t.prefetch(0);
    }
}
