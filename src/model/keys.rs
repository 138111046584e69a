//! The model's tables keyed by 128-bit keys: the matched fields of a message
//! (branch, sent-by, method; a Call-ID) are hashed once where the message is
//! made (`sip::ids`), so lookups allocate nothing and the maps pass the
//! ready-made key through instead of hashing it again. Maps keyed by small
//! integers (slots) use FxHash: SipHash's DoS resistance buys nothing for keys
//! the model numbers itself, and cost ~20 ns a lookup. Maps keyed by what a
//! capture writes (addresses, TCP streams, Call-IDs in the B2BUA fold) use
//! foldhash seeded per process instead: FxHash's keys are easy to make collide.

use std::hash::{BuildHasherDefault, Hasher};

pub use crate::sip::ids::key128;

/// A hasher for keys that are already hashes: it passes them through.
#[derive(Default)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64 ^ (v >> 64) as u64;
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

pub type KeyMap<V> = std::collections::HashMap<u128, V, BuildHasherDefault<PassThrough>>;

/// A map keyed by a small integer the model hands out: FxHash (rustc's hasher).
pub type SmallMap<K, V> = std::collections::HashMap<K, V, rustc_hash::FxBuildHasher>;
