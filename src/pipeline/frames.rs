//! The stateless half of decoding: one captured frame in, what is left to do
//! with it out. Link layers, IP, tunnels, HEP and the SIP scan of a whole
//! datagram are pure functions of one frame, so this runs in parallel over a
//! batch ([`crate::pipeline::source`]). Fragments and TCP segments come out as
//! [`Work::Frag`] / [`Work::Tcp`] / [`Work::Sctp`] for the stateful stage
//! ([`crate::pipeline::ordered`]), which must see them in time order.

use crate::accounting::Bucket;
use crate::capture::Frame;
use crate::decode::sctp::SctpPacket;
use crate::decode::{self, Decoded, Fragment, Segment};
use crate::reassembly::datagram::classify as datagram;
use crate::reassembly::{IcmpEvent, Item};
use crate::sip::{Carriage, Origin, Transport};

/// Work left for the ordered stage after a frame's parallel decode.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Work<'a> {
    Final(Bucket, Option<Item>),
    Frag(Fragment<'a>),
    Tcp(Segment<'a>),
    Sctp(SctpPacket<'a>),
}

/// The parallel, stateless part: one frame in, its work out.
pub(crate) fn stage_a<'a>(f: &Frame<'a>, file: u32) -> Work<'a> {
    let origin = Origin {
        file,
        frame: f.number,
    };
    resolve(
        decode::decode_frame(f.linktype, f.data, f.orig_len),
        f.ts_ns,
        origin,
    )
}

pub(crate) fn resolve(d: Decoded<'_>, ts: i64, origin: Origin) -> Work<'_> {
    match d {
        Decoded::Done(b) => Work::Final(b, None),
        Decoded::Udp(dg) => {
            let carriage = Carriage {
                tunnelled: dg.ctx.tunnelled,
                ..Carriage::default()
            };
            let (b, item) = datagram(
                &dg.payload,
                (ts, dg.src, dg.dst, Transport::Udp, origin),
                carriage,
                dg.ctx.cut,
            );
            Work::Final(b, item)
        }
        Decoded::Hep(h) => {
            if h.proto_type != decode::hep::PROTO_SIP {
                return Work::Final(Bucket::NotSip, None);
            }
            let carriage = Carriage {
                hep: true,
                ..Carriage::default()
            };
            let (b, item) = datagram(
                &h.payload,
                (h.ts_ns.unwrap_or(ts), h.src, h.dst, h.transport, origin),
                carriage,
                false,
            );
            Work::Final(b, item)
        }
        Decoded::Icmp(notice) => Work::Final(
            Bucket::Icmp,
            Some(Item::Icmp(IcmpEvent {
                ts_ns: ts,
                origin,
                notice,
            })),
        ),
        Decoded::Fragment(f) => Work::Frag(f),
        Decoded::Tcp(s) => Work::Tcp(s),
        Decoded::Sctp(p) => Work::Sctp(p),
    }
}
