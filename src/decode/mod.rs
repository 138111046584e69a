//! Frames → transport payloads.
//!
//! Peels link layers (Ethernet, 802.1Q/QinQ at any depth, Linux SLL/SLL2,
//! BSD NULL/loopback, raw IP, PPP/PPPoE, MPLS), IPv4/IPv6 with extension
//! headers, and tunnels (IP-in-IP, GRE with PPP inside, ERSPAN I/II/III, VXLAN,
//! GTP-U) down to a UDP datagram, a TCP segment, an IP fragment, an ICMP error
//! or a HEP packet. Pure functions over borrowed bytes: no state, so frames
//! decode in parallel. Reassembly and SIP recognition are later stages' work.
//!
//! etherparse slices the IP and transport headers (checked, zero-copy); the
//! link and tunnel dispatch is ours because etherparse's `SlicedPacket` stops at
//! the first tunnel, silently at a fourth VLAN tag, and knows neither SLL2,
//! PPPoE nor MPLS (CRATES.md).

pub mod hep;
mod ip;
mod link;
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
