//! Tunnels: GRE (versions 0 and 1, PPP inside), ERSPAN types I, II and III,
//! VXLAN and GTP-U. Each peels its header and hands the inner packet back to
//! the link or IP decoder one level deeper.

use super::{ip, link, Ctx, Decoded};
use crate::accounting::Bucket;
use crate::bytes::be16;

pub(super) fn gre(d: &[u8], ctx: Ctx) -> Decoded<'_> {
    let (Some(flags), Some(proto)) = (be16(d, 0), be16(d, 2)) else {
        return Decoded::Done(Bucket::Truncated);
    };
    let version = flags & 0x0007;
    let has_csum = flags & 0x8000 != 0;
    let has_key = flags & 0x2000 != 0;
    let has_seq = flags & 0x1000 != 0;
    let has_ack = version == 1 && flags & 0x0080 != 0;
    if version > 1 {
        return Decoded::Done(Bucket::UnsupportedLink);
    }
    let hlen = 4 + 4 * (has_csum as usize + has_key as usize + has_seq as usize + has_ack as usize);
    let Some(inner) = d.get(hlen..) else {
        return Decoded::Done(Bucket::Truncated);
    };
    match proto {
        0x0800 | 0x86dd => ip::packet(inner, ctx),
        0x6558 => link::ethernet(inner, ctx),
        0x880b => link::ppp(inner, ctx),
        0x8847 | 0x8848 => link::ethertype(proto, inner, ctx),
        // ERSPAN type II (sequence number present) has an 8-byte header; type I has none.
        0x88be => {
            if has_seq {
                match inner.get(8..) {
                    Some(e) => link::ethernet(e, ctx),
                    None => Decoded::Done(Bucket::Truncated),
                }
            } else {
                link::ethernet(inner, ctx)
            }
        }
        // ERSPAN type III: 12-byte header, plus an 8-byte platform sub-header when the O bit is set.
        0x22eb => {
            let Some(b11) = inner.get(11) else {
                return Decoded::Done(Bucket::Truncated);
            };
            let o_bit = b11 & 0x01 != 0;
            let skip = if o_bit { 20 } else { 12 };
            match inner.get(skip..) {
                Some(e) => link::ethernet(e, ctx),
                None => Decoded::Done(Bucket::Truncated),
            }
        }
        _ => Decoded::Done(Bucket::UnsupportedLink),
    }
}

/// VXLAN (RFC 7348): 8-byte header with the I flag, then an Ethernet frame.
pub(super) fn vxlan(d: &[u8], ctx: Ctx) -> Option<Decoded<'_>> {
    let flags = *d.first()?;
    if d.len() < 8 + 14 || flags & 0x08 == 0 {
        return None;
    }
    let c = ctx.deeper()?;
    Some(link::ethernet(d.get(8..)?, c))
}

/// GTP-U (3GPP TS 29.281): a T-PDU (message type 255) carries an IP packet.
pub(super) fn gtp_u(d: &[u8], ctx: Ctx) -> Option<Decoded<'_>> {
    let [flags, msg_type, ..] = *d else {
        return None;
    };
    if d.len() < 8 || flags >> 5 != 1 || flags & 0x10 == 0 || msg_type != 0xff {
        return None;
    }
    let mut off = 8;
    if flags & 0x07 != 0 {
        // Sequence number, N-PDU number and next-extension-type fields are present together.
        let mut next = *d.get(11)?;
        off = 12;
        while next != 0 {
            let len = usize::from(*d.get(off)?) * 4;
            if len == 0 {
                return None;
            }
            next = *d.get(off + len - 1)?;
            off += len;
        }
    }
    let inner = d.get(off..)?;
    let c = ctx.deeper()?;
    match inner.first().map(|b| b >> 4) {
        Some(4) | Some(6) => Some(ip::packet(inner, c)),
        _ => None,
    }
}
