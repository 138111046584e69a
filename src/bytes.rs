//! Checked reads of fixed-width integers from packet bytes, and [`find_byte`],
//! the search for a line end or a colon that is usually a few bytes away (and
//! [`split_once`] on it).
//!
//! The decoding modules forbid indexing (`clippy::indexing_slicing`): a length
//! field in a capture can say anything, and an index past the end is a panic on
//! input. These return `None` instead, and compile to the same bounds check an
//! index would do, so the hot path pays nothing for them.

// Input is untrusted: no panics on packet data (README, "Reliability and limits").
// Tests may unwrap; the library may not. Reads go through `crate::bytes` or `get`.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

/// `N` bytes at `at`, or `None` if the buffer is shorter.
#[inline]
pub(crate) fn array<const N: usize>(d: &[u8], at: usize) -> Option<[u8; N]> {
    d.get(at..)?.first_chunk::<N>().copied()
}

#[inline]
pub(crate) fn be16(d: &[u8], at: usize) -> Option<u16> {
    array(d, at).map(u16::from_be_bytes)
}

#[inline]
pub(crate) fn be32(d: &[u8], at: usize) -> Option<u32> {
    array(d, at).map(u32::from_be_bytes)
}

#[inline]
pub(crate) fn le16(d: &[u8], at: usize) -> Option<u16> {
    array(d, at).map(u16::from_le_bytes)
}

#[inline]
pub(crate) fn le32(d: &[u8], at: usize) -> Option<u32> {
    array(d, at).map(u32::from_le_bytes)
}

/// A 32-bit field in the byte order given.
#[inline]
pub(crate) fn u32_in(d: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    if big_endian {
        be32(d, at)
    } else {
        le32(d, at)
    }
}

/// Where `needle` first occurs in `hay`: the first 128 bytes sixteen at a time
/// (SSE2, part of x86-64 itself: one compare and one `pmovmskb` a block), the
/// rest by memchr.
///
/// A SIP header line or an SDP line is 10 to 60 bytes long, and memchr spends
/// some 80 instructions reaching its vector loop (an indirect call, the set-up
/// of the needle, a byte loop for what is shorter than a vector), more than a
/// whole line costs this way; past 128 bytes its unrolled AVX2 loop wins (issue
/// #16: line ends were 7 % of a SIP-heavy capture's instructions).
#[inline]
pub(crate) fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    return find_sse2(needle, needle, hay);
    #[cfg(not(target_arch = "x86_64"))]
    memchr::memchr(needle, hay)
}

/// `a == b` for short strings (header and parameter names), in a few
/// overlapping word loads instead of a call to memcmp (which was half of
/// `Hdr::lookup`'s ~90 instructions, and `lookup` runs for each of a message's
/// ~10 header lines; `values::param` compares a name for every branch and tag).
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    fn word(s: &[u8], at: usize) -> u64 {
        s.get(at..)
            .and_then(|s| s.first_chunk::<8>())
            .map_or(0, |w| u64::from_le_bytes(*w))
    }
    fn half(s: &[u8], at: usize) -> u32 {
        s.get(at..)
            .and_then(|s| s.first_chunk::<4>())
            .map_or(0, |w| u32::from_le_bytes(*w))
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        // The first, middle and last byte are all of them.
        1..=3 => a.first() == b.first() && a.get(n / 2) == b.get(n / 2) && a.last() == b.last(),
        4..=8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => {
            // Whole words from the front, then the last word (overlapping the one before).
            let mut at = 0;
            while at + 8 < n {
                if word(a, at) != word(b, at) {
                    return false;
                }
                at += 8;
            }
            word(a, n - 8) == word(b, n - 8)
        }
    }
}

/// `v` split at the first `sep`, which belongs to neither side.
#[inline]
pub(crate) fn split_once(v: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    let i = find_byte(sep, v)?;
    Some((v.get(..i)?, v.get(i + 1..)?))
}

/// Where `a` or `b` first occurs in `hay`: [`find_byte`] for two needles (memchr2 past 128 bytes).
#[inline]
pub(crate) fn find_byte2(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    return find_sse2(a, b, hay);
    #[cfg(not(target_arch = "x86_64"))]
    memchr::memchr2(a, b, hay)
}

/// SSE2 is part of x86-64 itself (every x86-64 CPU has it, and the compiler
/// assumes it for every function), so its intrinsics are called without a
/// check; they are `unsafe` only because the compiler cannot see that.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn find_sse2(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is present (above).
    let (pa, pb) = unsafe { (_mm_set1_epi8(a as i8), _mm_set1_epi8(b as i8)) };
    // The lanes of a block equal to `a` or `b`, as bits.
    let hits = |block: &[u8; 16]| -> u32 {
        // SAFETY: SSE2 is present (above); the load reads the sixteen bytes of
        // `block`, a borrowed array, and `loadu` needs no alignment.
        unsafe {
            let v = _mm_loadu_si128(block.as_ptr().cast());
            _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, pa), _mm_cmpeq_epi8(v, pb))) as u32
        }
    };
    let mut base = 0;
    while base < 128 {
        let Some(block) = hay.get(base..).and_then(|h| h.first_chunk::<16>()) else {
            // Fewer than sixteen bytes left. In a haystack of sixteen or more, its
            // last sixteen bytes are one block, the lanes already looked at masked
            // off; only a shorter one goes byte by byte (a header value or a
            // parameter's rest is often 8 to 15 bytes: the byte loop was a tenth of
            // the scanner's instructions; issue #16).
            let n = hay.len();
            if let Some(last) = n
                .checked_sub(16)
                .and_then(|s| hay.get(s..)?.first_chunk::<16>())
            {
                let seen = base + 16 - n;
                let mask = hits(last) >> seen;
                return (mask != 0).then(|| base + mask.trailing_zeros() as usize);
            }
            if let (Some(lo), Some(hi)) = (
                hay.first_chunk::<8>(),
                n.checked_sub(8)
                    .and_then(|s| hay.get(s..)?.first_chunk::<8>()),
            ) {
                // Eight to fifteen bytes: two words, the second overlapping the first.
                return match swar_hits(u64::from_le_bytes(*lo), a, b) {
                    0 => match swar_hits(u64::from_le_bytes(*hi), a, b) {
                        0 => None,
                        m => Some(n - 8 + (m.trailing_zeros() / 8) as usize),
                    },
                    m => Some((m.trailing_zeros() / 8) as usize),
                };
            }
            let tail = hay.get(base..).unwrap_or_default();
            return tail
                .iter()
                .position(|&c| c == a || c == b)
                .map(|i| base + i);
        };
        let mask = hits(block);
        if mask != 0 {
            return Some(base + mask.trailing_zeros() as usize);
        }
        base += 16;
    }
    let rest = hay.get(base..)?;
    if a == b {
        memchr::memchr(a, rest)
    } else {
        memchr::memchr2(a, b, rest)
    }
    .map(|i| base + i)
}

/// The bytes of `w` equal to `a` or `b`, as the high bit of each such byte. Exact
/// for the lowest one (a borrow only runs upwards from a byte that matched), so
/// its `trailing_zeros() / 8` is the first match; bits above it may be wrong.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn swar_hits(w: u64, a: u8, b: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    zero(w ^ (ONES * u64::from(a))) | zero(w ^ (ONES * u64::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length up to past the SWAR part, the needle at every place and in
    /// none, next to bytes that differ from it by one bit or by the high bit.
    #[test]
    fn find_byte_finds_what_position_finds() {
        for needle in [b'\n', b':', 0x00, 0x80, 0xff] {
            for len in 0..200 {
                let fill: Vec<u8> = (0..len)
                    .map(|i| [needle ^ 1, needle ^ 0x80, needle.wrapping_add(1), b'a'][i % 4])
                    .collect();
                assert_eq!(find_byte(needle, &fill), None, "{needle} {len}");
                for at in 0..len {
                    let mut h = fill.clone();
                    h[at] = needle;
                    if at + 3 < len {
                        h[at + 3] = needle;
                    }
                    assert_eq!(find_byte(needle, &h), Some(at), "{needle} {len} {at}");
                    assert_eq!(
                        find_byte2(needle, b'<', &h),
                        h.iter().position(|&c| c == needle || c == b'<')
                    );
                    assert_eq!(
                        find_byte2(b'<', needle, &h),
                        h.iter().position(|&c| c == needle || c == b'<')
                    );
                }
            }
        }
    }

    /// `same` is `==` for every length up to 40, with the one differing byte at every place.
    #[test]
    fn same_is_equality() {
        for n in 0..40usize {
            let a: Vec<u8> = (0..n as u8).map(|i| b'A' + i % 26).collect();
            assert!(same(&a, &a.clone()));
            assert!(!same(&a, &a[..n.saturating_sub(1)]) || n == 0);
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 0x20;
                assert!(!same(&a, &b), "{n} {i}");
            }
        }
    }

    #[test]
    fn reads_past_the_end_are_none() {
        let d = [1, 2, 3, 4, 5];
        assert_eq!(be16(&d, 3), Some(0x0405));
        assert_eq!(be16(&d, 4), None);
        assert_eq!(le32(&d, 1), Some(0x0504_0302));
        assert_eq!(be32(&d, 2), None);
        assert_eq!(u32_in(&d, 0, true), Some(0x0102_0304));
        assert_eq!(be16(&d, usize::MAX), None);
    }
}
