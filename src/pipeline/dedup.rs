//! Recognises the same SIP datagram captured twice — by two capture points on
//! the same path, or by two overlapping captures of one interface — so that a
//! merged archive does not count it twice.
//!
//! The rule: a message whose bytes are identical to one that a *different*
//! input delivered less than [`WINDOW_NS`] earlier is a copy. Identical bytes
//! within one input are never copies here: they are retransmissions, and the
//! transaction layer counts those. The window is well under RFC 3261's T1
//! (500 ms), so a retransmission that happens to fall into the next rotated file
//! is still a retransmission. Addresses are not compared: a NAT between two
//! capture points changes them, and a proxy between them changes the bytes (its
//! Via), which rightly makes the two a different hop each.
//!
//! Only messages carried in datagrams pass through here; TCP copies of the same
//! connection are already dropped by the reassembler (first copy wins).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};

/// How far apart two copies of one message may be in time.
pub const WINDOW_NS: i64 = 250_000_000;

/// Digests remembered at once; past this, the oldest are forgotten early
/// (a burst of over a million messages in a quarter second).
const MAX_REMEMBERED: usize = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    First,
    Duplicate,
}

#[derive(Default)]
pub struct CrossCapture {
    /// Digest → (time, input) of the most recent delivery.
    seen: HashMap<u64, (i64, u32)>,
    /// Deliveries in arrival order, to forget them after the window.
    order: VecDeque<(i64, u64)>,
}

impl CrossCapture {
    pub fn check(&mut self, bytes: &[u8], ts: i64, file: u32) -> Verdict {
        while let Some(&(t, d)) = self.order.front() {
            if ts.saturating_sub(t) <= WINDOW_NS && self.order.len() < MAX_REMEMBERED {
                break;
            }
            self.order.pop_front();
            if self.seen.get(&d).is_some_and(|&(seen_t, _)| seen_t == t) {
                self.seen.remove(&d);
            }
        }
        let mut h = DefaultHasher::new();
        bytes.hash(&mut h);
        let digest = h.finish();
        if let Some(&(t, f)) = self.seen.get(&digest) {
            if f != file && ts.saturating_sub(t).abs() <= WINDOW_NS {
                return Verdict::Duplicate;
            }
        }
        self.seen.insert(digest, (ts, file));
        self.order.push_back((ts, digest));
        Verdict::First
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n";

    #[test]
    fn the_same_bytes_from_another_input_within_the_window_are_a_copy() {
        let mut d = CrossCapture::default();
        assert_eq!(d.check(MSG, 1_000, 0), Verdict::First);
        assert_eq!(d.check(MSG, 1_000 + 3_000_000, 1), Verdict::Duplicate);
    }

    #[test]
    fn the_same_bytes_from_the_same_input_are_a_retransmission_not_a_copy() {
        let mut d = CrossCapture::default();
        assert_eq!(d.check(MSG, 0, 0), Verdict::First);
        assert_eq!(d.check(MSG, 1_000_000, 0), Verdict::First);
    }

    #[test]
    fn a_retransmission_in_the_next_rotated_file_is_not_a_copy() {
        let mut d = CrossCapture::default();
        assert_eq!(d.check(MSG, 0, 0), Verdict::First);
        // T1 later, in the next file.
        assert_eq!(d.check(MSG, 500_000_000, 1), Verdict::First);
    }

    #[test]
    fn different_bytes_are_different_messages() {
        let mut d = CrossCapture::default();
        assert_eq!(d.check(MSG, 0, 0), Verdict::First);
        assert_eq!(
            d.check(b"OPTIONS sip:a@c SIP/2.0\r\n\r\n", 0, 1),
            Verdict::First
        );
    }
}
