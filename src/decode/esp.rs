//! ESP (RFC 4303, IP protocol 50) with NULL encryption (RFC 2410): the payload
//! is in clear between the SPI/sequence header and the trailer, but nothing in
//! the packet says so, nor how long the integrity check value (ICV) is.
//!
//! So the inner packet is found as Wireshark's "attempt to detect/decode NULL
//! encrypted ESP payloads" does: for each ICV length in use (12 bytes for
//! HMAC-SHA1-96/MD5-96, 16 for HMAC-SHA256-128, 0 without integrity), the
//! trailer before it must fit — a next-header of UDP, TCP, SCTP, IPv4 or IPv6,
//! a pad length within the packet, pad bytes 1, 2, 3, … as RFC 4303 §2.4
//! prescribes — and the inner header must parse and agree with the length
//! left. An ESP packet that fits none is counted as `esp_encrypted`. ESP in
//! UDP on port 4500 (NAT traversal, RFC 3948) comes here too (see `ip::udp`).

use super::{ip, Ctx, Decoded};
use crate::accounting::Bucket;
use crate::bytes::be16;
use std::net::IpAddr;

/// SPI(4) and sequence number(4).
const HEADER: usize = 8;
/// The ICV lengths tried, most common first.
const ICV_LENGTHS: [usize; 3] = [12, 16, 0];

pub(super) fn packet(src: IpAddr, dst: IpAddr, d: &[u8], ctx: Ctx) -> Decoded<'_> {
    let Some(body) = d.get(HEADER..) else {
        return Decoded::Done(Bucket::Truncated);
    };
    if ctx.cut {
        // The trailer is what was cut: nothing to fit.
        return Decoded::Done(Bucket::Truncated);
    }
    for icv in ICV_LENGTHS {
        if let Some((next, inner)) = fit(body, icv) {
            return match next {
                // Tunnel mode: a whole IP packet inside.
                4 | 41 => match ctx.deeper() {
                    Some(c) => ip::packet(inner, c),
                    None => Decoded::Done(Bucket::UnsupportedLink),
                },
                // Transport mode: the outer addresses are the packet's.
                _ => ip::transport(next, src, dst, inner, ctx),
            };
        }
    }
    Decoded::Done(Bucket::EspEncrypted)
}

/// The next header and the inner packet, if `body` ends in a NULL-encryption
/// trailer followed by an ICV of `icv` bytes and the inner header agrees.
fn fit(body: &[u8], icv: usize) -> Option<(u8, &[u8])> {
    let before_icv = body.get(..body.len().checked_sub(icv)?)?;
    let [.., pad_len, next] = *before_icv else {
        return None;
    };
    let inner_len = before_icv.len().checked_sub(2 + usize::from(pad_len))?;
    let pad = before_icv.get(inner_len..before_icv.len() - 2)?;
    // RFC 4303 §2.4: the default padding is 1, 2, 3, … (monotonically increasing).
    if !pad.iter().zip(1u8..).all(|(b, want)| *b == want) {
        return None;
    }
    let inner = body.get(..inner_len)?;
    inner_agrees(next, inner).then_some((next, inner))
}

/// The inner header parses and its own length matches the bytes left.
fn inner_agrees(next: u8, d: &[u8]) -> bool {
    match next {
        // UDP: the length field covers exactly the inner bytes.
        17 => d.len() >= 8 && be16(d, 4).map(usize::from) == Some(d.len()),
        // TCP: a data offset of 5..15 words that fits.
        6 => d.get(12).is_some_and(|b| {
            let off = usize::from(b >> 4) * 4;
            off >= 20 && off <= d.len()
        }),
        // SCTP: the chunks tile the rest exactly (the last one's padding included).
        132 => {
            let mut rest = match d.get(12..) {
                Some(r) if !r.is_empty() => r,
                _ => return false,
            };
            while !rest.is_empty() {
                let Some(len) = be16(rest, 2).map(usize::from) else {
                    return false;
                };
                if len < 4 || len > rest.len() {
                    return false;
                }
                rest = rest.get((len + 3) & !3..).unwrap_or_default();
            }
            true
        }
        4 => {
            d.first().is_some_and(|b| b >> 4 == 4 && b & 0x0f >= 5)
                && be16(d, 2).map(usize::from) == Some(d.len())
        }
        41 => {
            d.first().is_some_and(|b| b >> 4 == 6)
                && be16(d, 4).map(|n| usize::from(n) + 40) == Some(d.len())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIP: &[u8] = b"OPTIONS sip:b@x SIP/2.0\r\n\r\n";

    fn udp(payload: &[u8]) -> Vec<u8> {
        let mut u = 5060u16.to_be_bytes().to_vec();
        u.extend_from_slice(&5080u16.to_be_bytes());
        u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u.extend_from_slice(payload);
        u
    }

    /// SPI, sequence, the inner packet, padding 1..=n to a 4-byte boundary, pad length, next header, ICV.
    fn esp(inner: &[u8], next: u8, icv: usize) -> Vec<u8> {
        let mut p = vec![0, 0, 0x10, 0x01, 0, 0, 0, 7];
        p.extend_from_slice(inner);
        let pad = (4 - (inner.len() + 2) % 4) % 4;
        p.extend((1..=pad as u8).collect::<Vec<u8>>());
        p.extend_from_slice(&[pad as u8, next]);
        p.extend(std::iter::repeat_n(0xa5u8, icv));
        p
    }

    fn decode(p: &[u8]) -> Decoded<'_> {
        packet(
            [10, 0, 0, 1].into(),
            [10, 0, 0, 2].into(),
            p,
            Ctx::default(),
        )
    }

    fn assert_sip(d: Decoded<'_>) {
        match d {
            Decoded::Udp(dg) => assert_eq!(&*dg.payload, SIP),
            other => panic!("expected the SIP datagram, got {other:?}"),
        }
    }

    #[test]
    fn transport_mode_with_each_icv_length() {
        for icv in [12, 16, 0] {
            assert_sip(decode(&esp(&udp(SIP), 17, icv)));
        }
    }

    #[test]
    fn tunnel_mode_carries_a_whole_ip_packet() {
        let u = udp(SIP);
        let mut ip4 = vec![
            0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 10, 9, 0, 1, 10, 9, 0, 2,
        ];
        let total = (20 + u.len()) as u16;
        ip4[2..4].copy_from_slice(&total.to_be_bytes());
        ip4.extend_from_slice(&u);
        match decode(&esp(&ip4, 4, 12)) {
            Decoded::Udp(dg) => {
                assert_eq!(dg.src.ip(), IpAddr::from([10, 9, 0, 1]));
                assert!(dg.ctx.tunnelled);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn esp_in_udp_on_port_4500_but_not_ike() {
        let outer = |payload: &[u8]| {
            let mut u = 4500u16.to_be_bytes().to_vec();
            u.extend_from_slice(&4500u16.to_be_bytes());
            u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
            u.extend_from_slice(&[0, 0]);
            u.extend_from_slice(payload);
            u
        };
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let esp_in_udp = outer(&esp(&udp(SIP), 17, 12));
        assert_sip(ip::transport(17, a, b, &esp_in_udp, Ctx::default()));
        // The non-ESP marker (4 zero bytes) is IKE: left as a UDP datagram.
        let mut ike = vec![0u8; 4];
        ike.extend_from_slice(&[0x11; 28]);
        assert!(matches!(
            ip::transport(17, a, b, &outer(&ike), Ctx::default()),
            Decoded::Udp(_)
        ));
        // Nor is SIP sent from or to port 4500.
        match ip::transport(17, a, b, &outer(SIP), Ctx::default()) {
            Decoded::Udp(dg) => assert_eq!(&*dg.payload, SIP),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn encrypted_payload_does_not_fit() {
        // Pseudo-random bytes where the trailer would be: no next header fits.
        let p: Vec<u8> = (0u32..120)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert!(matches!(decode(&p), Decoded::Done(Bucket::EspEncrypted)));
    }

    #[test]
    fn wrong_pad_bytes_or_a_lying_inner_length_do_not_fit() {
        let mut p = esp(&udp(SIP), 17, 12);
        // The pad bytes are 1, 2, 3 (the inner UDP is 35 bytes); make the first one wrong.
        let pad_at = p.len() - 12 - 2 - 3;
        assert_eq!(p[pad_at], 1);
        p[pad_at] = 9;
        assert!(matches!(decode(&p), Decoded::Done(Bucket::EspEncrypted)));
        let mut u = udp(SIP);
        u[5] += 1; // UDP length one more than the bytes there
        assert!(matches!(
            decode(&esp(&u, 17, 12)),
            Decoded::Done(Bucket::EspEncrypted)
        ));
        assert!(matches!(
            decode(&[0, 0, 1]),
            Decoded::Done(Bucket::Truncated)
        ));
    }
}
