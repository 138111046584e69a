//! Checked reads of fixed-width integers from packet bytes.
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

#[cfg(test)]
mod tests {
    use super::*;

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
