//! Frame accounting: every frame of every input lands in exactly one bucket,
//! and the buckets sum to the frame total. The bucket names are stable (they
//! appear in the JSON output and in tests).

use serde::Serialize;

/// What became of one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// Completed at least one SIP message (a datagram, the last fragment or segment of one, an SCTP packet, or a HEP packet).
    Sip,
    /// Carried part of a SIP message completed by a later frame (an IP fragment or TCP segment).
    SipPartial,
    /// A SIP keep-alive (CRLF ping or pong, RFC 5626).
    SipKeepalive,
    /// Started like SIP but its start line is broken; kept as a malformed record with the reason.
    SipMalformed,
    /// An ICMP or ICMPv6 message (errors quoting SIP included: a quote is not a SIP message).
    Icmp,
    /// A UDP datagram between ports ≥ 1024 with a valid RTP header (version 2, lengths that fit; `media::rtp`),
    /// whether or not an SDP announced it.
    Rtp,
    /// A UDP datagram with a valid RTCP header (version 2, packet type 200–207, a length that fits).
    Rtcp,
    /// UDP, TCP or SCTP payload that is neither SIP nor RTP/RTCP (DNS, TLS, HTTP, Diameter…).
    NotSip,
    /// A TCP segment without payload (handshake, ACK, FIN, RST).
    TcpControl,
    /// An SCTP packet without user data (INIT, SACK, HEARTBEAT, SHUTDOWN, …).
    SctpControl,
    /// A TCP retransmission or duplicated IP fragment: bytes already seen.
    Duplicate,
    /// TCP payload that never completed a SIP message (stream ended or lost bytes mid-message).
    TcpIncomplete,
    /// An SCTP DATA fragment whose user message never completed (end of capture, idle, memory bound).
    SctpIncomplete,
    /// An IP fragment whose datagram never completed (end of capture, timeout or memory bound).
    FragmentIncomplete,
    /// Not IP at all (ARP, LLDP, STP, …).
    NonIp,
    /// IP carrying a protocol the decoder does not follow (OSPF, IGMP, AH, …).
    OtherIpProtocol,
    /// ESP whose payload is encrypted (or NULL-encrypted in a way the heuristic cannot fit).
    EspEncrypted,
    /// A link type (or an encapsulation) the decoder does not know.
    UnsupportedLink,
    /// Cut short (snaplen or damage) before the headers needed to decode it.
    Truncated,
    /// A header that contradicts itself (bad IP version, header length, …).
    BadHeader,
}

impl Bucket {
    pub const ALL: [Bucket; 20] = [
        Bucket::Sip,
        Bucket::SipPartial,
        Bucket::SipKeepalive,
        Bucket::SipMalformed,
        Bucket::Icmp,
        Bucket::Rtp,
        Bucket::Rtcp,
        Bucket::NotSip,
        Bucket::TcpControl,
        Bucket::SctpControl,
        Bucket::Duplicate,
        Bucket::TcpIncomplete,
        Bucket::SctpIncomplete,
        Bucket::FragmentIncomplete,
        Bucket::NonIp,
        Bucket::OtherIpProtocol,
        Bucket::EspEncrypted,
        Bucket::UnsupportedLink,
        Bucket::Truncated,
        Bucket::BadHeader,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Bucket::Sip => "sip",
            Bucket::SipPartial => "sip_partial",
            Bucket::SipKeepalive => "sip_keepalive",
            Bucket::SipMalformed => "sip_malformed",
            Bucket::Icmp => "icmp",
            Bucket::Rtp => "rtp",
            Bucket::Rtcp => "rtcp",
            Bucket::NotSip => "not_sip",
            Bucket::TcpControl => "tcp_control",
            Bucket::SctpControl => "sctp_control",
            Bucket::Duplicate => "duplicate",
            Bucket::TcpIncomplete => "tcp_incomplete",
            Bucket::SctpIncomplete => "sctp_incomplete",
            Bucket::FragmentIncomplete => "fragment_incomplete",
            Bucket::NonIp => "non_ip",
            Bucket::OtherIpProtocol => "other_ip_protocol",
            Bucket::EspEncrypted => "esp_encrypted",
            Bucket::UnsupportedLink => "unsupported_link",
            Bucket::Truncated => "truncated",
            Bucket::BadHeader => "bad_header",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Bucket::Sip => "carried (or completed) SIP messages",
            Bucket::SipPartial => "part of a SIP message completed later",
            Bucket::SipKeepalive => "SIP keep-alive (CRLF)",
            Bucket::SipMalformed => "broken SIP start line (kept)",
            Bucket::Icmp => "ICMP / ICMPv6",
            Bucket::Rtp => "RTP (by its header)",
            Bucket::Rtcp => "RTCP (by its header)",
            Bucket::NotSip => "UDP/TCP payload, not SIP (DNS, TLS, …)",
            Bucket::TcpControl => "TCP without payload",
            Bucket::SctpControl => "SCTP without user data",
            Bucket::Duplicate => "retransmitted / duplicated bytes",
            Bucket::TcpIncomplete => "TCP data never completing a message",
            Bucket::SctpIncomplete => "SCTP fragment never completing a message",
            Bucket::FragmentIncomplete => "IP fragment never reassembled",
            Bucket::NonIp => "not IP (ARP, LLDP, …)",
            Bucket::OtherIpProtocol => "other IP protocol (OSPF, IGMP, …)",
            Bucket::EspEncrypted => "ESP, encrypted (not NULL)",
            Bucket::UnsupportedLink => "unsupported link type or tunnel",
            Bucket::Truncated => "truncated before its headers",
            Bucket::BadHeader => "inconsistent packet header",
        }
    }
}

/// Frame counts per bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrameCounts {
    counts: [u64; Bucket::ALL.len()],
}

impl FrameCounts {
    #[inline]
    pub fn add(&mut self, b: Bucket, n: u64) {
        self.counts[b as usize] += n;
    }
    pub fn get(&self, b: Bucket) -> u64 {
        self.counts[b as usize]
    }
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
    pub fn merge(&mut self, o: &FrameCounts) {
        for (a, b) in self.counts.iter_mut().zip(o.counts.iter()) {
            *a += b;
        }
    }
    pub fn iter(&self) -> impl Iterator<Item = (Bucket, u64)> + '_ {
        Bucket::ALL.iter().map(|b| (*b, self.counts[*b as usize]))
    }
}

impl Serialize for FrameCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(Bucket::ALL.len() + 1))?;
        m.serialize_entry("total", &self.total())?;
        for (b, n) in self.iter() {
            m.serialize_entry(b.name(), &n)?;
        }
        m.end()
    }
}
