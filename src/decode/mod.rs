//! Frames → transport payloads.
//!
//! Peels link layers (Ethernet, 802.1Q/QinQ at any depth, Linux SLL/SLL2,
//! BSD NULL/loopback, raw IP, PPP/PPPoE, MPLS, Endace ERF records), IPv4/IPv6
//! with extension headers, ESP with NULL encryption, and tunnels (IP-in-IP, GRE
//! with PPP inside, ERSPAN I/II/III, VXLAN, GTP-U) down to a UDP datagram, a
//! TCP segment, an SCTP packet, an IP fragment, an ICMP error or a HEP packet. Pure functions over borrowed bytes: no state, so frames
//! decode in parallel. Reassembly and SIP recognition are later stages' work.
//!
//! etherparse slices the IP and transport headers (checked, zero-copy); the
//! link and tunnel dispatch is ours because etherparse's `SlicedPacket` stops at
//! the first tunnel, silently at a fourth VLAN tag, and knows neither SLL2,
//! PPPoE nor MPLS (CRATES.md).

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

mod erf;
mod esp;
pub mod hep;
mod ip;
mod link;
pub mod sctp;
mod tunnel;

use crate::accounting::Bucket;
use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

/// Encapsulations deeper than this are refused (a crafted packet could nest forever).
pub const MAX_DEPTH: u8 = 8;

/// What a frame decodes to.
#[derive(Debug)]
pub enum Decoded<'a> {
    /// Nothing more to follow: the frame's bucket is known.
    Done(Bucket),
    Udp(Datagram<'a>),
    Tcp(Segment<'a>),
    /// An SCTP packet with at least one DATA chunk.
    Sctp(sctp::SctpPacket<'a>),
    Fragment(Fragment<'a>),
    Icmp(IcmpNotice),
    Hep(hep::HepPacket<'a>),
}

/// Facts about the path a packet took through encapsulations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ctx {
    pub depth: u8,
    pub tunnelled: bool,
    /// The frame was cut by the snaplen (the payload may be incomplete).
    pub cut: bool,
}

impl Ctx {
    fn deeper(self) -> Option<Ctx> {
        (self.depth < MAX_DEPTH).then_some(Ctx {
            depth: self.depth + 1,
            tunnelled: true,
            ..self
        })
    }
}

#[derive(Debug)]
pub struct Datagram<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub payload: Cow<'a, [u8]>,
    pub ctx: Ctx,
}

#[derive(Debug)]
pub struct Segment<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
    pub ctx: Ctx,
}

/// Identifies the datagram a fragment belongs to (RFC 791 / RFC 8200).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub id: u32,
    pub proto: u8,
}

#[derive(Debug)]
pub struct Fragment<'a> {
    pub key: FragKey,
    /// Byte offset of this piece in the datagram's payload.
    pub offset: u32,
    pub more: bool,
    pub payload: &'a [u8],
    pub ctx: Ctx,
}

/// An ICMP error about a packet, with what it quotes of that packet.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct IcmpNotice {
    /// Who sent the ICMP message (a router, or the destination host).
    pub reporter: IpAddr,
    /// To whom (the sender of the quoted packet).
    pub to: IpAddr,
    pub v6: bool,
    pub icmp_type: u8,
    pub code: u8,
    /// The quoted packet's UDP/TCP addresses, when the quote holds them.
    pub quoted_src: Option<SocketAddr>,
    pub quoted_dst: Option<SocketAddr>,
    pub quoted_proto: Option<u8>,
    /// The quote starts like a SIP message (it is not counted as one).
    pub quotes_sip: bool,
}

/// Decodes one captured frame.
pub fn decode_frame(linktype: u32, data: &[u8], orig_len: u32) -> Decoded<'_> {
    let ctx = Ctx {
        depth: 0,
        tunnelled: false,
        cut: (data.len() as u64) < u64::from(orig_len),
    };
    link::by_linktype(linktype, data, ctx)
}

/// Decodes the payload of an IP datagram (protocol number + bytes); used again
/// on datagrams put back together from fragments.
pub fn ip_payload<'a>(
    proto: u8,
    src: IpAddr,
    dst: IpAddr,
    payload: &'a [u8],
    ctx: Ctx,
) -> Decoded<'a> {
    ip::transport(proto, src, dst, payload, ctx)
}

#[cfg(test)]
mod tests {
    //! Each encapsulation wraps the same inner packet (IPv4/UDP carrying a SIP
    //! OPTIONS), built from literal bytes; decoding must find that datagram.
    use super::*;
    use crate::capture::linktype as lt;

    const SIP: &[u8] = b"OPTIONS sip:b@x SIP/2.0\r\n\r\n";

    fn ipv4_udp(payload: &[u8]) -> Vec<u8> {
        let total = (20 + 8 + payload.len()) as u16;
        let mut p = vec![
            0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&5060u16.to_be_bytes());
        p.extend_from_slice(&5080u16.to_be_bytes());
        p.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(payload);
        p
    }
    fn ipv6_udp(payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0];
        p.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[17, 64]);
        p.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        p.extend_from_slice(&5060u16.to_be_bytes());
        p.extend_from_slice(&5080u16.to_be_bytes());
        p.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(payload);
        p
    }
    fn eth(ethertype: u16, inner: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(inner);
        f
    }
    fn vlan(tpid: u16, id: u16, ethertype: u16, inner: &[u8]) -> Vec<u8> {
        let mut f = tpid.to_be_bytes().to_vec();
        f.extend_from_slice(&id.to_be_bytes());
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(inner);
        f
    }
    fn outer_ipv4(proto: u8, inner: &[u8]) -> Vec<u8> {
        let total = (20 + inner.len()) as u16;
        let mut p = vec![
            0x45, 0, 0, 0, 0, 2, 0, 0, 64, proto, 0, 0, 192, 168, 0, 1, 192, 168, 0, 2,
        ];
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p.extend_from_slice(inner);
        p
    }
    fn outer_udp(dport: u16, inner: &[u8]) -> Vec<u8> {
        let mut u = 40000u16.to_be_bytes().to_vec();
        u.extend_from_slice(&dport.to_be_bytes());
        u.extend_from_slice(&((8 + inner.len()) as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u.extend_from_slice(inner);
        outer_ipv4(17, &u)
    }
    fn gre(flags: u16, proto: u16, extra: &[u8], inner: &[u8]) -> Vec<u8> {
        let mut g = flags.to_be_bytes().to_vec();
        g.extend_from_slice(&proto.to_be_bytes());
        g.extend_from_slice(extra);
        g.extend_from_slice(inner);
        outer_ipv4(47, &g)
    }

    fn assert_sip(d: Decoded<'_>, tunnelled: bool) {
        match d {
            Decoded::Udp(dg) => {
                assert_eq!(&*dg.payload, SIP);
                assert_eq!(dg.dst.port(), 5080);
                assert_eq!(dg.ctx.tunnelled, tunnelled);
            }
            other => panic!("expected the SIP datagram, got {other:?}"),
        }
    }

    #[test]
    fn link_layers() {
        let ip = ipv4_udp(SIP);
        assert_sip(decode_frame(lt::ETHERNET, &eth(0x0800, &ip), 0), false);
        assert_sip(
            decode_frame(lt::ETHERNET, &eth(0x86dd, &ipv6_udp(SIP)), 0),
            false,
        );
        assert_sip(decode_frame(lt::RAW, &ip, 0), false);
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend_from_slice(&ip);
        assert_sip(decode_frame(lt::NULL, &null, 0), false);
        let mut lo = 30u32.to_be_bytes().to_vec();
        lo.extend_from_slice(&ipv6_udp(SIP));
        assert_sip(decode_frame(lt::LOOP, &lo, 0), false);
        let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(&ip);
        assert_sip(decode_frame(lt::LINUX_SLL, &sll, 0), false);
        let mut sll2 = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ];
        sll2.extend_from_slice(&ip);
        assert_sip(decode_frame(lt::LINUX_SLL2, &sll2, 0), false);
    }

    #[test]
    fn vlan_qinq_and_deeper_stacks() {
        let ip = ipv4_udp(SIP);
        assert_sip(
            decode_frame(
                lt::ETHERNET,
                &eth(0x8100, &vlan(0x8100, 100, 0x0800, &ip)[2..]),
                0,
            ),
            false,
        );
        let qinq = vlan(0x88a8, 200, 0x8100, &vlan(0x8100, 100, 0x0800, &ip)[2..]);
        assert_sip(
            decode_frame(lt::ETHERNET, &eth(0x88a8, &qinq[2..]), 0),
            false,
        );
        // Four tags: etherparse stops at three; this decoder does not.
        let mut inner = ip.clone();
        for _ in 0..4 {
            inner =
                vlan(0x8100, 7, if inner == ip { 0x0800 } else { 0x8100 }, &inner)[2..].to_vec();
        }
        assert_sip(decode_frame(lt::ETHERNET, &eth(0x8100, &inner), 0), false);
    }

    /// Regression (#17): past 16 tags a stack was `bad_header`, though the README
    /// says any depth. 1,000 tags decode; a stack cut by the frame's end is truncated.
    #[test]
    fn a_vlan_stack_of_any_depth_decodes() {
        let ip = ipv4_udp(SIP);
        let mut inner = vlan(0x8100, 7, 0x0800, &ip)[2..].to_vec();
        for _ in 1..1_000 {
            inner = vlan(0x8100, 7, 0x8100, &inner)[2..].to_vec();
        }
        assert_sip(decode_frame(lt::ETHERNET, &eth(0x8100, &inner), 0), false);
        let cut = eth(0x8100, &inner[..2_001]);
        assert!(matches!(
            decode_frame(lt::ETHERNET, &cut, 0),
            Decoded::Done(Bucket::Truncated)
        ));
    }

    #[test]
    fn pppoe_and_mpls() {
        let ip = ipv4_udp(SIP);
        let mut pppoe = vec![0x11, 0, 0, 1];
        pppoe.extend_from_slice(&((2 + ip.len()) as u16).to_be_bytes());
        pppoe.extend_from_slice(&[0x00, 0x21]);
        pppoe.extend_from_slice(&ip);
        assert_sip(decode_frame(lt::ETHERNET, &eth(0x8864, &pppoe), 0), false);
        let mut mpls = vec![0, 1, 0, 64, 0, 2, 1, 64];
        mpls.extend_from_slice(&ip);
        assert_sip(decode_frame(lt::ETHERNET, &eth(0x8847, &mpls), 0), false);
    }

    #[test]
    fn ip_in_ip_and_gre_variants() {
        let ip = ipv4_udp(SIP);
        assert_sip(decode_frame(lt::RAW, &outer_ipv4(4, &ip), 0), true);
        assert_sip(
            decode_frame(lt::RAW, &outer_ipv4(41, &ipv6_udp(SIP)), 0),
            true,
        );
        assert_sip(decode_frame(lt::RAW, &gre(0, 0x0800, &[], &ip), 0), true);
        // GRE with key and sequence number, carrying Ethernet (transparent bridging).
        assert_sip(
            decode_frame(lt::RAW, &gre(0x3000, 0x6558, &[0; 8], &eth(0x0800, &ip)), 0),
            true,
        );
        // Enhanced GRE (v1, PPTP) with PPP inside, address/control bytes present.
        let mut ppp = vec![0xff, 0x03, 0x00, 0x21];
        ppp.extend_from_slice(&ip);
        assert_sip(
            decode_frame(lt::RAW, &gre(0x3001, 0x880b, &[0; 8], &ppp), 0),
            true,
        );
    }

    #[test]
    fn erspan_types_one_two_and_three() {
        let frame = eth(0x0800, &ipv4_udp(SIP));
        assert_sip(decode_frame(lt::RAW, &gre(0, 0x88be, &[], &frame), 0), true);
        let mut ii = vec![0x10, 0x01, 0, 0, 0, 0, 0, 0];
        ii.extend_from_slice(&frame);
        assert_sip(
            decode_frame(lt::RAW, &gre(0x1000, 0x88be, &[0; 4], &ii), 0),
            true,
        );
        let mut iii = vec![0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        iii.extend_from_slice(&frame);
        assert_sip(
            decode_frame(lt::RAW, &gre(0x1000, 0x22eb, &[0; 4], &iii), 0),
            true,
        );
        let mut iii_o = vec![0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        iii_o.extend_from_slice(&[0; 8]);
        iii_o.extend_from_slice(&frame);
        assert_sip(
            decode_frame(lt::RAW, &gre(0x1000, 0x22eb, &[0; 4], &iii_o), 0),
            true,
        );
    }

    #[test]
    fn vxlan_and_gtp_u() {
        let mut vx = vec![0x08, 0, 0, 0, 0, 0, 1, 0];
        vx.extend_from_slice(&eth(0x0800, &ipv4_udp(SIP)));
        assert_sip(decode_frame(lt::RAW, &outer_udp(4789, &vx), 0), true);
        let inner = ipv6_udp(SIP);
        let mut gtp = vec![0x30, 0xff];
        gtp.extend_from_slice(&(inner.len() as u16).to_be_bytes());
        gtp.extend_from_slice(&[0, 0, 0, 1]);
        gtp.extend_from_slice(&inner);
        assert_sip(decode_frame(lt::RAW, &outer_udp(2152, &gtp), 0), true);
    }

    #[test]
    fn nesting_is_bounded() {
        let mut p = ipv4_udp(SIP);
        for _ in 0..(MAX_DEPTH + 2) {
            p = outer_ipv4(4, &p);
        }
        assert!(matches!(
            decode_frame(lt::RAW, &p, 0),
            Decoded::Done(Bucket::UnsupportedLink)
        ));
    }

    #[test]
    fn icmp_error_quoting_sip_is_a_notice_not_a_message() {
        let quoted = ipv4_udp(SIP);
        let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&quoted);
        match decode_frame(lt::RAW, &outer_ipv4(1, &icmp), 0) {
            Decoded::Icmp(n) => {
                assert!(n.quotes_sip);
                assert_eq!(n.quoted_dst, Some("10.0.0.2:5080".parse().unwrap()));
                assert_eq!((n.icmp_type, n.code), (3, 3));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncated_and_bad_headers() {
        assert!(matches!(
            decode_frame(lt::ETHERNET, &[0; 10], 0),
            Decoded::Done(Bucket::Truncated)
        ));
        assert!(matches!(
            decode_frame(lt::RAW, &[0x45, 0, 0], 0),
            Decoded::Done(Bucket::Truncated)
        ));
        assert!(matches!(
            decode_frame(lt::RAW, &[0x75, 0, 0, 0], 0),
            Decoded::Done(Bucket::BadHeader)
        ));
        assert!(matches!(
            decode_frame(147, &[0; 40], 0),
            Decoded::Done(Bucket::UnsupportedLink)
        ));
        assert!(matches!(
            decode_frame(lt::ETHERNET, &eth(0x0806, &[0; 28]), 0),
            Decoded::Done(Bucket::NonIp)
        ));
    }
}
