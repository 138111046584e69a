//! Link layers → an EtherType and its payload, then on to IP.
//!
//! Ethernet II and 802.3/SNAP, VLAN tags (802.1Q, 802.1ad QinQ, legacy 0x9100)
//! at any depth, Linux cooked capture v1 and v2, BSD NULL/LOOP, raw IP, PPP
//! (also inside PPPoE and GRE) and MPLS label stacks.

use super::{ip, Ctx, Decoded};
use crate::accounting::Bucket;
use crate::capture::linktype as lt;

pub(super) fn by_linktype(linktype: u32, d: &[u8], ctx: Ctx) -> Decoded<'_> {
    match linktype {
        lt::ETHERNET => ethernet(d, ctx),
        lt::NULL | lt::LOOP => null_loopback(d, ctx),
        lt::RAW | lt::RAW_BSD12 | lt::RAW_BSD14 | lt::IPV4 | lt::IPV6 => ip::packet(d, ctx),
        lt::LINUX_SLL => {
            // pkttype(2) hatype(2) halen(2) addr(8) protocol(2)
            if d.len() < 16 {
                return Decoded::Done(Bucket::Truncated);
            }
            let hatype = u16::from_be_bytes([d[2], d[3]]);
            let proto = u16::from_be_bytes([d[14], d[15]]);
            sll_payload(hatype, proto, &d[16..], ctx)
        }
        lt::LINUX_SLL2 => {
            // protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
            if d.len() < 20 {
                return Decoded::Done(Bucket::Truncated);
            }
            let proto = u16::from_be_bytes([d[0], d[1]]);
            let hatype = u16::from_be_bytes([d[8], d[9]]);
            sll_payload(hatype, proto, &d[20..], ctx)
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
    if d.len() < 14 {
        return Decoded::Done(Bucket::Truncated);
    }
    let t = u16::from_be_bytes([d[12], d[13]]);
    if t < 0x0600 {
        // 802.3 length field: only LLC/SNAP can carry an EtherType.
        let p = &d[14..];
        if p.len() >= 8 && p[0] == 0xaa && p[1] == 0xaa && p[2] == 0x03 {
            return ethertype(u16::from_be_bytes([p[6], p[7]]), &p[8..], ctx);
        }
        return Decoded::Done(Bucket::NonIp);
    }
    ethertype(t, &d[14..], ctx)
}

pub(super) fn ethertype(mut t: u16, mut d: &[u8], ctx: Ctx) -> Decoded<'_> {
    // VLAN tags may stack (QinQ and deeper); each is TCI(2) + next EtherType(2).
    let mut tags = 0;
    while matches!(t, 0x8100 | 0x88a8 | 0x9100 | 0x9200) {
        if d.len() < 4 {
            return Decoded::Done(Bucket::Truncated);
        }
        tags += 1;
        if tags > 16 {
            return Decoded::Done(Bucket::BadHeader);
        }
        t = u16::from_be_bytes([d[2], d[3]]);
        d = &d[4..];
    }
    match t {
        0x0800 | 0x86dd => ip::packet(d, ctx),
        0x8864 => {
            // PPPoE session: ver/type(1) code(1) session(2) length(2), then PPP protocol.
            if d.len() < 8 {
                return Decoded::Done(Bucket::Truncated);
            }
            let len = u16::from_be_bytes([d[4], d[5]]) as usize;
            let body = &d[6..];
            let body = &body[..len.min(body.len())];
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
    if d.len() < 4 {
        return Decoded::Done(Bucket::Truncated);
    }
    // The address family is in the capturing host's byte order (NULL) or network order (LOOP):
    // read it both ways and take the one that is a small number.
    let le = u32::from_le_bytes([d[0], d[1], d[2], d[3]]);
    let be = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
    let family = le.min(be);
    match family {
        // AF_INET everywhere; AF_INET6 is 10 (Linux), 23 (Windows), 24/28/30 (BSDs, macOS).
        2 | 10 | 23 | 24 | 28 | 30 => ip::packet(&d[4..], ctx),
        _ => Decoded::Done(Bucket::NonIp),
    }
}

/// PPP with optional HDLC address/control bytes.
pub(super) fn ppp(d: &[u8], ctx: Ctx) -> Decoded<'_> {
    let d = if d.len() >= 2 && d[0] == 0xff && d[1] == 0x03 {
        &d[2..]
    } else {
        d
    };
    ppp_protocol(d, ctx)
}

fn ppp_protocol(d: &[u8], ctx: Ctx) -> Decoded<'_> {
    let Some(&first) = d.first() else {
        return Decoded::Done(Bucket::Truncated);
    };
    // Protocol-field compression: an odd first byte is a one-byte protocol.
    let (proto, rest) = if first & 1 == 1 {
        (u16::from(first), &d[1..])
    } else if d.len() >= 2 {
        (u16::from_be_bytes([d[0], d[1]]), &d[2..])
    } else {
        return Decoded::Done(Bucket::Truncated);
    };
    match proto {
        0x0021 | 0x0057 => ip::packet(rest, ctx),
        _ => Decoded::Done(Bucket::NonIp),
    }
}

fn mpls(mut d: &[u8], ctx: Ctx) -> Decoded<'_> {
    // Pop labels to the bottom of the stack, then guess the payload from its first nibble.
    loop {
        if d.len() < 4 {
            return Decoded::Done(Bucket::Truncated);
        }
        let bottom = d[2] & 0x01 == 1;
        d = &d[4..];
        if bottom {
            break;
        }
    }
    match d.first().map(|b| b >> 4) {
        Some(4) | Some(6) => ip::packet(d, ctx),
        // A pseudowire control word (first nibble 0) precedes an Ethernet frame.
        Some(0) if d.len() > 4 => match ctx.deeper() {
            Some(c) => ethernet(&d[4..], c),
            None => Decoded::Done(Bucket::UnsupportedLink),
        },
        Some(_) => Decoded::Done(Bucket::UnsupportedLink),
        None => Decoded::Done(Bucket::Truncated),
    }
}
