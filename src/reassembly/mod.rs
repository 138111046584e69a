//! Reassembly: IP fragments → datagrams, TCP segments and SCTP DATA chunks → SIP messages.
//!
//! The stateful half of decoding, run in frame order on one thread per input
//! (the stateless half runs in parallel in [`crate::pipeline`]). Everything here
//! is bounded: pending fragments, out-of-order TCP data and SCTP fragments have limits in bytes
//! and time, and hitting one is counted, never fatal.

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

pub(crate) mod datagram;
pub mod ipfrag;
pub mod sctp;
pub mod tcp;
pub mod websocket;

use crate::decode::IcmpNotice;
use crate::sip::{MalformedSip, Origin, SipMessage};

/// What the decoding half of the pipeline hands on, in capture order.
/// A SIP message is boxed: RTP is most items of a capture with media, and each item is
/// moved several times between the stages and threads — inline, every RTP packet moved the
/// 584 bytes of a message record (memmove was 37 % of an RTP-heavy run). The rare
/// kinds are boxed too, so that an item is the size of an RTP packet's values: at
/// 144 bytes (a malformed record inline), moving items between the stages was 3 %
/// of a SIP-heavy run (issue #16); RTCP is one packet in hundreds of RTP.
#[derive(Debug)]
pub enum Item {
    Sip(Box<SipMessage>),
    Malformed(Box<MalformedSip>),
    Icmp(Box<IcmpEvent>),
    /// An RTP packet's header values (no payload): `crate::media`.
    Rtp(crate::media::RtpPacket),
    /// An RTCP compound packet's sender and reports.
    Rtcp(Box<crate::media::RtcpPacket>),
}

/// An ICMP error, placed in time and in the capture.
#[derive(Clone, Debug, serde::Serialize)]
pub struct IcmpEvent {
    pub ts_ns: i64,
    pub origin: Origin,
    pub notice: IcmpNotice,
}

#[cfg(test)]
mod tests {
    /// Every item is moved several times between the stages and threads (issue #16):
    /// it stays the size of an RTP packet's values and its tag, whatever else is added.
    #[test]
    fn an_item_is_no_bigger_than_an_rtp_packet_and_its_tag() {
        let rtp = std::mem::size_of::<crate::media::RtpPacket>();
        assert!(
            std::mem::size_of::<super::Item>() <= rtp + 8,
            "Item is {} bytes, RtpPacket {rtp}",
            std::mem::size_of::<super::Item>()
        );
    }
}
