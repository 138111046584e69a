//! IPv4 and IPv6 (with extension headers) → transport, fragments, ICMP errors,
//! and the tunnels that ride on IP (IP-in-IP, GRE) or UDP (VXLAN, GTP-U, HEP).
//!
//! Header slicing is etherparse's, in its lax form so that a frame cut by the
//! snaplen, or an IPv4 total length of 0 (TCP segmentation offload on the
//! capturing host), still yields what it holds.

use super::{
    esp, hep, sctp, tunnel, Ctx, Datagram, Decoded, FragKey, Fragment, IcmpNotice, Segment,
};
use crate::accounting::Bucket;
use crate::bytes::be16;
use etherparse::{Ipv6ExtensionSlice, LaxIpv4Slice, LaxIpv6Slice, TcpSlice, UdpSlice};
use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

pub(super) fn packet(d: &[u8], ctx: Ctx) -> Decoded<'_> {
    match d.first().map(|b| b >> 4) {
        Some(4) => v4(d, ctx),
        Some(6) => v6(d, ctx),
        Some(_) => Decoded::Done(Bucket::BadHeader),
        None => Decoded::Done(Bucket::Truncated),
    }
}

fn v4(d: &[u8], mut ctx: Ctx) -> Decoded<'_> {
    let ip = match LaxIpv4Slice::from_slice(d) {
        Ok((ip, _auth_err)) => ip,
        Err(etherparse::err::ipv4::HeaderSliceError::Len(_)) => {
            return Decoded::Done(Bucket::Truncated)
        }
        Err(_) => return Decoded::Done(Bucket::BadHeader),
    };
    let h = ip.header();
    let src = IpAddr::from(h.source());
    let dst = IpAddr::from(h.destination());
    let payload = ip.payload();
    ctx.cut |= payload.incomplete;
    let proto = payload.ip_number.0;
    if payload.fragmented {
        return Decoded::Fragment(Fragment {
            key: FragKey {
                src,
                dst,
                id: u32::from(h.identification()),
                proto,
            },
            offset: u32::from(h.fragments_offset().value()) * 8,
            more: h.more_fragments(),
            payload: payload.payload,
            ctx,
        });
    }
    transport(proto, src, dst, payload.payload, ctx)
}

fn v6(d: &[u8], mut ctx: Ctx) -> Decoded<'_> {
    let ip = match LaxIpv6Slice::from_slice(d) {
        Ok((ip, _ext_err)) => ip,
        Err(etherparse::err::ipv6::HeaderSliceError::Len(_)) => {
            return Decoded::Done(Bucket::Truncated)
        }
        Err(_) => return Decoded::Done(Bucket::BadHeader),
    };
    let h = ip.header();
    let src = IpAddr::from(h.source());
    let dst = IpAddr::from(h.destination());
    let payload = ip.payload();
    ctx.cut |= payload.incomplete;
    let proto = payload.ip_number.0;
    if payload.fragmented {
        for ext in ip.extensions().clone() {
            if let Ipv6ExtensionSlice::Fragment(f) = ext {
                if f.is_fragmenting_payload() {
                    return Decoded::Fragment(Fragment {
                        key: FragKey {
                            src,
                            dst,
                            id: f.identification(),
                            proto,
                        },
                        offset: u32::from(f.fragment_offset().value()) * 8,
                        more: f.more_fragments(),
                        payload: payload.payload,
                        ctx,
                    });
                }
            }
        }
        return Decoded::Done(Bucket::BadHeader);
    }
    transport(proto, src, dst, payload.payload, ctx)
}

/// What an IP payload holds, by protocol number.
pub(super) fn transport<'a>(
    proto: u8,
    src: IpAddr,
    dst: IpAddr,
    d: &'a [u8],
    ctx: Ctx,
) -> Decoded<'a> {
    match proto {
        17 => udp(src, dst, d, ctx),
        6 => tcp(src, dst, d, ctx),
        132 => sctp::packet(src, dst, d, ctx),
        50 => esp::packet(src, dst, d, ctx),
        1 => icmp(false, src, dst, d),
        58 => icmp(true, src, dst, d),
        4 | 41 => match ctx.deeper() {
            Some(c) => packet(d, c),
            None => Decoded::Done(Bucket::UnsupportedLink),
        },
        47 => match ctx.deeper() {
            Some(c) => tunnel::gre(d, c),
            None => Decoded::Done(Bucket::UnsupportedLink),
        },
        // IPv6 extension headers after a reassembled fragment (hop-by-hop, routing, destination options).
        0 | 43 | 60 => {
            let [next, hlen, ..] = *d else {
                return Decoded::Done(Bucket::Truncated);
            };
            let len = (usize::from(hlen) + 1) * 8;
            match d.get(len..) {
                Some(rest) => transport(next, src, dst, rest, ctx),
                None => Decoded::Done(Bucket::Truncated),
            }
        }
        59 => Decoded::Done(Bucket::OtherIpProtocol),
        _ => Decoded::Done(Bucket::OtherIpProtocol),
    }
}

fn udp<'a>(src: IpAddr, dst: IpAddr, d: &'a [u8], ctx: Ctx) -> Decoded<'a> {
    let u = match UdpSlice::from_slice_lax(d) {
        Ok(u) => u,
        Err(_) => return Decoded::Done(Bucket::Truncated),
    };
    let (sp, dp) = (u.source_port(), u.destination_port());
    let payload = u.payload();
    // UDP tunnels are recognised by port and checked by content.
    if dp == 4789 || sp == 4789 {
        if let Some(inner) = tunnel::vxlan(payload, ctx) {
            return inner;
        }
    }
    if dp == 2152 || sp == 2152 {
        if let Some(inner) = tunnel::gtp_u(payload, ctx) {
            return inner;
        }
    }
    // ESP in UDP (NAT traversal, RFC 3948): a non-zero SPI; zero marks IKE, a lone 0xff a
    // keep-alive. SIP itself may use port 4500 (found by content on any port): what does
    // not fit NULL ESP and may start SIP stays a datagram.
    if (dp == 4500 || sp == 4500) && payload.len() > 8 && payload.get(..4) != Some(&[0; 4]) {
        let d = esp::packet(src, dst, payload, ctx);
        if !matches!(d, Decoded::Done(Bucket::EspEncrypted))
            || !crate::sip::scan::may_start_sip(payload)
        {
            return d;
        }
    }
    if let Some(h) = hep::parse(payload) {
        return Decoded::Hep(h);
    }
    Decoded::Udp(Datagram {
        src: SocketAddr::new(src, sp),
        dst: SocketAddr::new(dst, dp),
        payload: Cow::Borrowed(payload),
        ctx,
    })
}

fn tcp<'a>(src: IpAddr, dst: IpAddr, d: &'a [u8], ctx: Ctx) -> Decoded<'a> {
    let t = match TcpSlice::from_slice(d) {
        Ok(t) => t,
        Err(etherparse::err::tcp::HeaderSliceError::Len(_)) => {
            return Decoded::Done(Bucket::Truncated)
        }
        Err(_) => return Decoded::Done(Bucket::BadHeader),
    };
    Decoded::Tcp(Segment {
        src: SocketAddr::new(src, t.source_port()),
        dst: SocketAddr::new(dst, t.destination_port()),
        seq: t.sequence_number(),
        syn: t.syn(),
        fin: t.fin(),
        rst: t.rst(),
        payload: t.payload(),
        ctx,
    })
}

/// ICMP errors quote the start of the packet that caused them. The quote is
/// parsed for its addresses, and whether it is SIP, but never counted as SIP.
fn icmp(v6: bool, reporter: IpAddr, to: IpAddr, d: &[u8]) -> Decoded<'_> {
    let (Some(&[t, code]), Some(quote)) = (d.first_chunk::<2>(), d.get(8..)) else {
        return Decoded::Done(Bucket::Icmp);
    };
    let is_error = if v6 {
        t < 128
    } else {
        matches!(t, 3 | 4 | 5 | 11 | 12)
    };
    if !is_error {
        return Decoded::Done(Bucket::Icmp);
    }
    let mut n = IcmpNotice {
        reporter,
        to,
        v6,
        icmp_type: t,
        code,
        quoted_src: None,
        quoted_dst: None,
        quoted_proto: None,
        quotes_sip: false,
    };
    // The quoted IP header, then at least 8 bytes of its payload.
    let parsed = if v6 {
        LaxIpv6Slice::from_slice(quote).ok().map(|(ip, _)| {
            let h = ip.header();
            (
                IpAddr::from(h.source()),
                IpAddr::from(h.destination()),
                ip.payload().ip_number.0,
                ip.payload().payload,
            )
        })
    } else {
        LaxIpv4Slice::from_slice(quote).ok().map(|(ip, _)| {
            let h = ip.header();
            (
                IpAddr::from(h.source()),
                IpAddr::from(h.destination()),
                ip.payload().ip_number.0,
                ip.payload().payload,
            )
        })
    };
    if let Some((qs, qd, proto, qp)) = parsed {
        n.quoted_proto = Some(proto);
        if let (true, Some(sp), Some(dp)) = (proto == 17 || proto == 6, be16(qp, 0), be16(qp, 2)) {
            n.quoted_src = Some(SocketAddr::new(qs, sp));
            n.quoted_dst = Some(SocketAddr::new(qd, dp));
            match qp.get(8..) {
                Some(sip) if proto == 17 && !sip.is_empty() => {
                    n.quotes_sip = crate::sip::scan::may_start_sip(sip)
                        && crate::sip::scan::parse_start_line(sip, first_line_len(sip)).is_ok();
                }
                _ => {}
            }
        }
    }
    Decoded::Icmp(n)
}

fn first_line_len(b: &[u8]) -> usize {
    let end = memchr::memchr(b'\n', b).unwrap_or(b.len());
    match b.get(..end) {
        Some([.., b'\r']) => end - 1,
        _ => end,
    }
}
