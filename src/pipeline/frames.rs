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

/// An RTP or RTCP datagram as its bucket and small record (the payload is not kept).
fn media<'a>(
    payload: &[u8],
    ts_ns: i64,
    origin: Origin,
    src: std::net::SocketAddr,
    dst: std::net::SocketAddr,
) -> Option<Work<'a>> {
    use crate::media::rtp::{classify, MediaKind};
    use crate::media::{RtcpPacket, RtpPacket};
    Some(match classify(payload)? {
        MediaKind::Rtp(f) => Work::Final(
            Bucket::Rtp,
            Some(Item::Rtp(RtpPacket {
                ts_ns,
                origin,
                src,
                dst,
                ssrc: f.ssrc,
                seq: f.seq,
                timestamp: f.timestamp,
                pt: f.pt,
                marker: f.marker,
                payload_len: f.payload_len,
            })),
        ),
        MediaKind::Rtcp(f) => Work::Final(
            Bucket::Rtcp,
            Some(Item::Rtcp(Box::new(RtcpPacket {
                ts_ns,
                origin,
                src,
                dst,
                sender_ssrc: f.sender_ssrc,
                first_type: f.first_type,
                report: f.report,
                xr: f.xr,
            }))),
        ),
    })
}

pub(crate) fn resolve(d: Decoded<'_>, ts: i64, origin: Origin) -> Work<'_> {
    match d {
        Decoded::Done(b) => Work::Final(b, None),
        Decoded::Udp(dg) => {
            // RTP/RTCP first: their first byte (version 2) is never SIP's, and they are most
            // frames of a capture with media, so the SIP scan is skipped for them.
            if crate::media::rtp::may_be_media(&dg.payload, dg.src.port(), dg.dst.port()) {
                if let Some(w) = media(&dg.payload, ts, origin, dg.src, dg.dst) {
                    return w;
                }
            }
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
            Some(Item::Icmp(Box::new(IcmpEvent {
                ts_ns: ts,
                origin,
                notice,
            }))),
        ),
        Decoded::Fragment(f) => Work::Frag(f),
        Decoded::Tcp(s) => Work::Tcp(s),
        Decoded::Sctp(p) => Work::Sctp(p),
    }
}
