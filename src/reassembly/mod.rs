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
/// 584 bytes of a message record (memmove was 37 % of an RTP-heavy run).
#[derive(Debug)]
pub enum Item {
    Sip(Box<SipMessage>),
    Malformed(MalformedSip),
    Icmp(IcmpEvent),
    /// An RTP packet's header values (no payload): `crate::media`.
    Rtp(crate::media::RtpPacket),
    /// An RTCP compound packet's sender and reports.
    Rtcp(crate::media::RtcpPacket),
}

/// An ICMP error, placed in time and in the capture.
#[derive(Clone, Debug, serde::Serialize)]
pub struct IcmpEvent {
    pub ts_ns: i64,
    pub origin: Origin,
    pub notice: IcmpNotice,
}
