//! Fast 128-bit keys for the model's tables: the matched fields of a message
//! (branch, sent-by, method; a Call-ID) hashed once, so lookups allocate
//! nothing and the maps hash a ready-made key. Not for adversarial collision
//! resistance: a collision needs two 64-bit halves from independent seeds to
//! collide together.

use std::hash::{BuildHasherDefault, Hasher};

/// A 128-bit key over several byte strings (each length-prefixed, so ("ab","c") ≠ ("a","bc")).
pub fn key128(parts: &[&[u8]]) -> u128 {
    let (mut a, mut b) = (0x243f_6a88_85a3_08d3u64, 0x1319_8a2e_0370_7344u64);
    for p in parts {
        a = mix(a, p.len() as u64);
        b = mix(b ^ 0x9e37_79b9_7f4a_7c15, p.len() as u64);
        let mut chunks = p.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            a = mix(a, w);
            b = mix(b, w.rotate_left(29));
        }
        let mut tail = [0u8; 8];
        let r = chunks.remainder();
        tail[..r.len()].copy_from_slice(r);
        let w = u64::from_le_bytes(tail);
        a = mix(a, w);
        b = mix(b, w.rotate_left(29));
    }
    (u128::from(fmix(a)) << 64) | u128::from(fmix(b ^ a.rotate_left(17)))
}

#[inline]
fn mix(h: u64, w: u64) -> u64 {
    let m = u128::from(h ^ w) * 0x9fb2_1c65_1e98_df25u128;
    (m as u64) ^ ((m >> 64) as u64)
}

#[inline]
fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_matter_and_keys_spread() {
        assert_ne!(key128(&[b"ab", b"c"]), key128(&[b"a", b"bc"]));
        assert_ne!(key128(&[b"z9hG4bK1"]), key128(&[b"z9hG4bK2"]));
        assert_eq!(key128(&[b"same", b"parts"]), key128(&[b"same", b"parts"]));
        let mut seen = std::collections::HashSet::new();
        for i in 0..100_000u32 {
            assert!(seen.insert(key128(&[format!("call-{i}@host").as_bytes()])));
        }
    }
}
