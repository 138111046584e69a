//! A message's identities, hashed once where the message is made — on the
//! parallel decode threads for UDP — so that the one model thread only looks
//! them up (issue #16: hashing and CSeq parsing were a fifth of its time).
//!
//! Two keys: the Call-ID's, and the transaction key of RFC 3261 §17 (branch,
//! sent-by, method, plus the Call-ID and CSeq number — see [`tx_key`] for why).
//! What the keys mean to a transaction or a call is the model's business
//! (`model::transaction`, `model::call`); this module only computes them.

use super::message::SipMessage;

/// The branch prefix of RFC 3261 (§8.1.1.7): a branch without it is from an
/// RFC 2543 client and cannot be trusted to be unique.
pub const MAGIC_COOKIE: &[u8] = b"z9hG4bK";

/// The hashed identities of one message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ids {
    /// `key128` of the Call-ID (None without a non-empty Call-ID).
    pub call: Option<u128>,
    /// The transaction key, and whether it is the RFC 2543 fallback (None when
    /// the message has no CSeq, no Via sent-by, or — for the fallback — no Call-ID).
    pub tx: Option<(u128, bool)>,
}

impl Ids {
    pub fn of(m: &SipMessage) -> Ids {
        let tx = m.cseq().and_then(|(n, cseq_method)| {
            // A request is matched by its own method, a response by its CSeq's.
            tx_key(m, m.method().unwrap_or(cseq_method), n)
        });
        Ids {
            call: m.call_id().map(|c| key128(&[c])),
            tx,
        }
    }
}

/// An ACK to a non-2xx response matches its INVITE's transaction (§17.2.3).
pub fn method_key(m: &[u8]) -> &[u8] {
    if m == b"ACK" {
        b"INVITE"
    } else {
        m
    }
}

/// The transaction key of a message, from its top Via and CSeq (or the RFC 2543 fallback).
///
/// RFC 3261 §17.2.3 matches on branch, sent-by and method alone, trusting the
/// branch to be unique. Real clients break that promise: SIPp re-sends a
/// looped request with a new CSeq on the same branch, and a response can
/// carry a branch shared with another Call-ID. So the Call-ID and the CSeq
/// number are part of the key too: a retransmission repeats them exactly, a
/// new request changes the CSeq, and a response is never matched across
/// Call-IDs (tshark counts these as new requests as well).
pub fn tx_key(m: &SipMessage, method: &[u8], cseq: u32) -> Option<(u128, bool)> {
    // The top Via found once for its sent-by and its branch (it is split out of
    // a list of entries when there are several).
    let via = m.top_via()?;
    let (sent_by, _) = super::message::via_sent_by(via)?;
    match super::values::param(via, b"branch") {
        Some(b) if b.starts_with(MAGIC_COOKIE) => Some((
            key128(&[
                b"3261",
                b,
                sent_by,
                method_key(method),
                m.call_id().unwrap_or_default(),
                &cseq.to_be_bytes(),
            ]),
            false,
        )),
        _ => {
            let call_id = m.call_id()?;
            let from_tag = m.from_tag().unwrap_or_default();
            Some((
                key128(&[
                    b"2543",
                    call_id,
                    &cseq.to_be_bytes(),
                    method_key(method),
                    from_tag,
                    sent_by,
                ]),
                true,
            ))
        }
    }
}

/// A 128-bit key over several byte strings (each part's length is hashed with
/// it, so ("ab","c") ≠ ("a","bc")).
///
/// Two 64-bit lanes, each folding 16 bytes per 64×64→128-bit multiply (the
/// product's halves xored, as in wyhash), each lane reading both words of a
/// block: a difference anywhere reaches both halves of the key. A part's last
/// block — its tail read as overlapping words, or an empty block after a whole
/// number of blocks — carries the part's length in the multiplier. This reads 16
/// bytes a step where the previous key read 8, and its tail without a copy: 4×
/// faster on a transaction key's six parts, which the decode threads hash for
/// every message (issue #16; key128 was ~4 % of the SIP-heavy profile).
///
/// Not for adversarial collision resistance (there is no secret seed): crafted
/// bytes can make two keys of a capture collide, which merges what the capture's
/// author made collide; no more work follows, the maps are keyed by the key.
/// The constants hold a 0xFE byte, which UTF-8 text never contains, so the
/// block that would zero a lane is not in any textual header.
pub fn key128(parts: &[&[u8]]) -> u128 {
    let (mut a, mut b) = (0x243f_6a88_85a3_08d3u64, 0x1319_8a2e_0370_7344u64);
    for p in parts {
        let mut blocks = p.chunks_exact(16);
        for c in &mut blocks {
            let (w0, w1) = (word(c, 0), word(c, 8));
            a = fold(a ^ w0, w1 ^ KA);
            b = fold(b ^ w1, w0 ^ KB);
        }
        let (w0, w1) = tail(blocks.remainder());
        let len = p.len() as u64;
        a = fold(a ^ w0, w1 ^ KA ^ len.wrapping_mul(LEN_A));
        b = fold(b ^ w1, w0 ^ KB ^ len.wrapping_mul(LEN_B));
    }
    (u128::from(fmix(a)) << 64) | u128::from(fmix(b ^ a.rotate_left(17)))
}

const KA: u64 = 0xe783_fed1_a0b4_a8db;
const KB: u64 = 0x8ebc_fe6e_a2d9_9793;
/// Odd multipliers: a part's length changes every byte of a lane's multiplier.
const LEN_A: u64 = 0x0101_0101_0101_0101;
const LEN_B: u64 = 0x0100_0100_0100_0101;

/// Eight bytes at `at` (little-endian); 0 past the end (never reached: callers read inside `b`).
#[inline]
fn word(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
        .map_or(0, u64::from_le_bytes)
}

#[inline]
fn half_word(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 4)
        .and_then(|w| <[u8; 4]>::try_from(w).ok())
        .map_or(0, |w| u64::from(u32::from_le_bytes(w)))
}

/// The last 0–15 bytes of a part as two words, every byte read (overlapping
/// reads for 4–15 bytes, as wyhash does): for one length, different bytes give
/// different words; the length itself goes into the multiplier.
#[inline]
fn tail(r: &[u8]) -> (u64, u64) {
    let n = r.len();
    let byte = |i: usize| u64::from(r.get(i).copied().unwrap_or(0));
    if n >= 8 {
        (word(r, 0), word(r, n - 8))
    } else if n >= 4 {
        (half_word(r, 0) | (half_word(r, n - 4) << 32), 0)
    } else if n > 0 {
        (byte(0) | (byte(n / 2) << 8) | (byte(n - 1) << 16), 0)
    } else {
        (0, 0)
    }
}

/// The 128-bit product of `x` and `y`, its halves xored.
#[inline]
fn fold(x: u64, y: u64) -> u64 {
    let m = u128::from(x) * u128::from(y);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::tests::msg;

    #[test]
    fn boundaries_matter_and_keys_spread() {
        assert_ne!(key128(&[b"ab", b"c"]), key128(&[b"a", b"bc"]));
        assert_ne!(key128(&[b"z9hG4bK1"]), key128(&[b"z9hG4bK2"]));
        assert_eq!(key128(&[b"same", b"parts"]), key128(&[b"same", b"parts"]));
        // Lengths against the zero padding and the overlapping reads of a tail.
        assert_ne!(key128(&[b"b"]), key128(&[b"a\0"]));
        assert_ne!(key128(&[b"a", b""]), key128(&[b"", b"a"]));
        assert_ne!(key128(&[&[0u8; 16]]), key128(&[&[]]));
        assert_ne!(key128(&[&[]]), key128(&[&[], &[]]));
        assert_ne!(key128(&[]), key128(&[&[]]));
        for n in 0..40 {
            // Every byte of every length counts: flip each in turn.
            let base: Vec<u8> = (0..n as u8).map(|i| i.wrapping_mul(37)).collect();
            let k = key128(&[&base]);
            for i in 0..n {
                let mut v = base.clone();
                v[i] ^= 0x01;
                assert_ne!(key128(&[&v]), k, "byte {i} of {n}");
            }
            let mut longer = base.clone();
            longer.push(0);
            assert_ne!(key128(&[&longer]), k, "length {n}");
        }
        let mut seen = std::collections::HashSet::new();
        for i in 0..100_000u32 {
            assert!(seen.insert(key128(&[format!("call-{i}@host").as_bytes()])));
        }
    }

    #[test]
    fn an_ack_to_a_failure_shares_its_invites_key_and_a_response_its_requests() {
        let invite = msg(b"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx\r\nCall-ID: c1\r\nCSeq: 7 INVITE\r\nFrom: <sip:a@h>;tag=f\r\nTo: <sip:b@h>\r\n\r\n");
        let ack = msg(b"ACK sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx\r\nCall-ID: c1\r\nCSeq: 7 ACK\r\nFrom: <sip:a@h>;tag=f\r\nTo: <sip:b@h>;tag=t\r\n\r\n");
        let busy = msg(b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx\r\nCall-ID: c1\r\nCSeq: 7 INVITE\r\nFrom: <sip:a@h>;tag=f\r\nTo: <sip:b@h>;tag=t\r\n\r\n");
        let other_call = msg(b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx\r\nCall-ID: c2\r\nCSeq: 7 INVITE\r\nFrom: <sip:a@h>;tag=f\r\nTo: <sip:b@h>;tag=t\r\n\r\n");
        let (i, a, b, o) = (invite.ids(), ack.ids(), busy.ids(), other_call.ids());
        assert!(i.tx.is_some());
        assert_eq!(i.tx, a.tx);
        assert_eq!(i.tx, b.tx);
        assert_ne!(i.tx, o.tx);
        assert_eq!(i.call, Some(key128(&[b"c1"])));
        assert_ne!(i.call, o.call);
    }

    #[test]
    fn no_cseq_no_transaction_key() {
        let m = msg(b"OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx\r\nCall-ID: c1\r\n\r\n");
        assert_eq!(m.ids().tx, None);
        assert!(m.ids().call.is_some());
    }
}
