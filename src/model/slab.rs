//! Records by slot: a record's slot is its handle, a freed slot is reused, so
//! memory follows the most records open at once. What the open transactions
//! (`transaction`) and calls (`call`) are kept in.
//!
//! Slots live in fixed chunks, never in one growing vector: doubling a vector
//! of 130,000 transactions held the old and the new copy at once (+38 MB at
//! the peak of the SIP-heavy bench) and copied them (issue #16). A record is
//! found from its slot by two loads, the chunk and the slot, where a hash map
//! of boxes took a probe of the table, its bucket and the box: on the model
//! thread each was a cache miss (issue #16).
//!
//! What it leaves to others: telling a record from the one that held its slot
//! before. A handle kept past its record (a deadline) carries something of the
//! record to check it by (`call` keeps the call's sequence number with it).

/// Slots per chunk.
const CHUNK: usize = 1024;

pub struct Slab<T> {
    chunks: Vec<Box<[Option<T>]>>,
    /// Slots handed out so far (the next new slot's number).
    used: usize,
    free: Vec<u32>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            chunks: Vec::new(),
            used: 0,
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    fn slot(&self, id: u32) -> Option<&Option<T>> {
        let i = id as usize;
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }
    fn slot_mut(&mut self, id: u32) -> Option<&mut Option<T>> {
        let i = id as usize;
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)
    }
    pub fn get(&self, id: &u32) -> Option<&T> {
        self.slot(*id)?.as_ref()
    }
    pub fn get_mut(&mut self, id: &u32) -> Option<&mut T> {
        self.slot_mut(*id)?.as_mut()
    }
    /// Records held.
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Starts loading the record in `id` (a cache hint; no effect on results).
    pub fn prefetch(&self, id: u32) {
        if let Some(slot) = self.slot(id) {
            let p: *const u8 = std::ptr::from_ref(slot).cast();
            for at in (0..std::mem::size_of_val(slot)).step_by(64) {
                crate::prefetch::line(p.wrapping_add(at));
            }
        }
    }
    /// Keeps `t` in a free slot (the last freed first), or a new one; returns the slot.
    pub fn insert(&mut self, t: T) -> u32 {
        self.len += 1;
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                if self.used == self.chunks.len() * CHUNK {
                    self.chunks
                        .push((0..CHUNK).map(|_| None).collect::<Box<[_]>>());
                }
                self.used += 1;
                (self.used - 1) as u32
            }
        };
        if let Some(slot) = self.slot_mut(id) {
            *slot = Some(t);
        }
        id
    }
    pub fn remove(&mut self, id: &u32) -> Option<T> {
        let t = self.slot_mut(*id)?.take()?;
        self.free.push(*id);
        self.len -= 1;
        Some(t)
    }
    /// The records with their slots, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> + '_ {
        self.chunks
            .iter()
            .flat_map(|c| c.iter())
            .take(self.used)
            .enumerate()
            .filter_map(|(k, t)| Some((k as u32, t.as_ref()?)))
    }
    /// Every record with its slot, in slot order; the slab is empty after.
    pub fn drain(&mut self) -> impl Iterator<Item = (u32, T)> + '_ {
        self.len = 0;
        self.used = 0;
        self.free.clear();
        self.chunks
            .drain(..)
            .flat_map(|c| c.into_vec())
            .enumerate()
            .filter_map(|(k, t)| Some((k as u32, t?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a map of slot → record: the slab hands out the last freed slot
    /// first, and past a chunk's worth of records, new chunks.
    #[test]
    fn a_slab_holds_what_a_map_of_its_slots_holds() {
        let mut slab = Slab::default();
        let mut map = std::collections::BTreeMap::new();
        let mut seed = 0x853c_49e6_748f_ea9bu64;
        for n in 0..20_000u64 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            if seed % 3 == 0 && !map.is_empty() {
                let pick = *map.keys().nth((seed >> 8) as usize % map.len()).unwrap();
                assert_eq!(slab.remove(&pick), map.remove(&pick));
            } else {
                let id = slab.insert(n);
                assert_eq!(map.insert(id, n), None, "slot {id} handed out twice");
            }
            assert_eq!(slab.len(), map.len());
        }
        assert!(slab.len() > CHUNK, "the test should reach a second chunk");
        let listed: Vec<(u32, u64)> = slab.iter().map(|(k, v)| (k, *v)).collect();
        let expected: Vec<(u32, u64)> = map.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(listed, expected);
        for (k, v) in &map {
            assert_eq!(slab.get(k), Some(v));
        }
        assert_eq!(slab.drain().collect::<Vec<_>>(), expected);
        assert!(slab.is_empty() && slab.iter().next().is_none());
    }
}
