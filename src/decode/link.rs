//! Link layers → an EtherType and its payload, then on to IP.
//!
//! Ethernet II and 802.3/SNAP, VLAN tags (802.1Q, 802.1ad QinQ, legacy 0x9100)
//! at any depth, Linux cooked capture v1 and v2, BSD NULL/LOOP, raw IP, PPP
//! (also inside PPPoE and GRE) and MPLS label stacks.

use super::{erf, ip, Ctx, Decoded};
use crate::accounting::Bucket;
use crate::bytes::{array, be16};
use crate::capture::linktype as lt;

pub(super) fn by_linktype(linktype: u32, d: &[u8], ctx: Ctx) -> Decoded<'_> {
    match linktype {
        lt::ETHERNET => ethernet(d, ctx),
        lt::NULL | lt::LOOP => null_loopback(d, ctx),
        lt::ERF => erf::record(d, ctx),
        lt::RAW | lt::RAW_BSD12 | lt::RAW_BSD14 | lt::IPV4 | lt::IPV6 => ip::packet(d, ctx),
        lt::LINUX_SLL => {
            // pkttype(2) hatype(2) halen(2) addr(8) protocol(2)
            let (Some(hatype), Some(proto), Some(rest)) = (be16(d, 2), be16(d, 14), d.get(16..))
            else {
                return Decoded::Done(Bucket::Truncated);
            };
            sll_payload(hatype, proto, rest, ctx)
        }
        lt::LINUX_SLL2 => {
            // protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
            let (Some(proto), Some(hatype), Some(rest)) = (be16(d, 0), be16(d, 8), d.get(20..))
            else {
                return Decoded::Done(Bucket::Truncated);
            };
            sll_payload(hatype, proto, rest, ctx)
        }
        // PPP (9) and PPP in HDLC-like framing (50).
        9 | 50 => ppp(d, ctx),
        _ => Decoded::Done(Bucket::UnsupportedLink),
    }
}

fn sll_payload(hatype: u16, proto: u16, d: &[u8], ctx: Ctx) -> Decoded<'_> {
    match hatype {
        // Netlink captures hold no packets; FRAD/IPGRE/… carry the protocol as usual.
        824 => Decoded::Done(Bucket::NonIp),
        _ => match proto {
            // Linux uses small values for non-EtherType payloads (0x0004 = 802.2 LLC, …).
            0x0000..=0x05ff => Decoded::Done(Bucket::NonIp),
            _ => ethertype(proto, d, ctx),
        },
    }
}

pub(super) fn ethernet(d: &[u8], ctx: Ctx) -> Decoded<'_> {
    let (Some(t), Some(p)) = (be16(d, 12), d.get(14..)) else {
        return Decoded::Done(Bucket::Truncated);
    };
    if t < 0x0600 {
        // 802.3 length field: only LLC/SNAP can carry an EtherType.
        if let (Some([0xaa, 0xaa, 0x03]), Some(t), Some(rest)) =
            (array::<3>(p, 0), be16(p, 6), p.get(8..))
        {
            return ethertype(t, rest, ctx);
        }
        return Decoded::Done(Bucket::NonIp);
    }
    ethertype(t, p, ctx)
}

pub(super) fn ethertype(mut t: u16, mut d: &[u8], ctx: Ctx) -> Decoded<'_> {
    // VLAN tags may stack (QinQ and deeper); each is TCI(2) + next EtherType(2).
    // Any depth: each tag consumes 4 bytes, so the frame bounds the loop (the
    // README says "any depth"; a cap of 16 made deeper stacks `bad_header`).
    while matches!(t, 0x8100 | 0x88a8 | 0x9100 | 0x9200) {
        let (Some(next), Some(rest)) = (be16(d, 2), d.get(4..)) else {
            return Decoded::Done(Bucket::Truncated);
        };
        t = next;
        d = rest;
    }
    match t {
        0x0800 | 0x86dd => ip::packet(d, ctx),
        0x8864 => {
            // PPPoE session: ver/type(1) code(1) session(2) length(2), then PPP protocol.
            let (Some(len), Some(body)) = (be16(d, 4), d.get(6..)) else {
                return Decoded::Done(Bucket::Truncated);
            };
            if d.len() < 8 {
                return Decoded::Done(Bucket::Truncated);
            }
            let body = body.get(..usize::from(len)).unwrap_or(body);
            ppp_protocol(body, ctx)
        }
        0x8847 | 0x8848 => mpls(d, ctx),
        0x6558 => match ctx.deeper() {
            Some(c) => ethernet(d, c),
            None => Decoded::Done(Bucket::UnsupportedLink),
        },
        _ => Decoded::Done(Bucket::NonIp),
    }
}

fn null_loopback(d: &[u8], ctx: Ctx) -> Decoded<'_> {
    let (Some(b), Some(rest)) = (array::<4>(d, 0), d.get(4..)) else {
        return Decoded::Done(Bucket::Truncated);
    };
    // The address family is in the capturing host's byte order (NULL) or network order (LOOP):
    // read it both ways and take the one that is a small number.
    let family = u32::from_le_bytes(b).min(u32::from_be_bytes(b));
    match family {
        // AF_INET everywhere; AF_INET6 is 10 (Linux), 23 (Windows), 24/28/30 (BSDs, macOS).
        2 | 10 | 23 | 24 | 28 | 30 => ip::packet(rest, ctx),
        _ => Decoded::Done(Bucket::NonIp),
    }
}

/// PPP with optional HDLC address/control bytes.
pub(super) fn ppp(d: &[u8], ctx: Ctx) -> Decoded<'_> {
    let d = match d {
        [0xff, 0x03, rest @ ..] => rest,
        _ => d,
    };
    ppp_protocol(d, ctx)
}

fn ppp_protocol(d: &[u8], ctx: Ctx) -> Decoded<'_> {
    // Protocol-field compression: an odd first byte is a one-byte protocol.
    let (proto, rest) = match d {
        [first, rest @ ..] if first & 1 == 1 => (u16::from(*first), rest),
        [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]), rest),
        _ => return Decoded::Done(Bucket::Truncated),
    };
    match proto {
        0x0021 | 0x0057 => ip::packet(rest, ctx),
        _ => Decoded::Done(Bucket::NonIp),
    }
}

fn mpls(mut d: &[u8], ctx: Ctx) -> Decoded<'_> {
    // Pop labels to the bottom of the stack, then guess the payload from its first nibble.
    loop {
        let [_, _, s, _, rest @ ..] = d else {
            return Decoded::Done(Bucket::Truncated);
        };
        d = rest;
        if s & 0x01 == 1 {
            break;
        }
    }
    match d {
        [b, ..] if matches!(b >> 4, 4 | 6) => ip::packet(d, ctx),
        // A pseudowire control word (first nibble 0) precedes an Ethernet frame.
        [b, _, _, _, rest @ ..] if b >> 4 == 0 && !rest.is_empty() => match ctx.deeper() {
            Some(c) => ethernet(rest, c),
            None => Decoded::Done(Bucket::UnsupportedLink),
        },
        [_, ..] => Decoded::Done(Bucket::UnsupportedLink),
        [] => Decoded::Done(Bucket::Truncated),
    }
}
