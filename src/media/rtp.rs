//! RTP and RTCP headers (RFC 3550 §5.1, §6.4; RFC 3611 §4.7 for the VoIP
//! metrics block of RTCP-XR), checked and read in the parallel stateless stage.
//! Only small values leave: the payload bytes are never kept.
//!
//! The check is cheap and keeps most other UDP out: both ports 1024 or above
//! (RTP never uses the well-known ports of DNS, NTP, SNMP, IKE…; RFC 3551 §8
//! asks for even ports above 1023 in practice), version 2, the CSRC list,
//! header extension and padding inside the datagram, and a payload type not
//! in 72–76 (RTCP's range with the marker bit). Any other payload type
//! passes: real phones send reserved ones (Linphone's PT 95 keep-alive), and
//! Wireshark counts them in an SDP-announced stream. RTCP: version 2, packet
//! type 200–207 in the first packet of the compound, a length that fits. SIP
//! can never pass (its first byte is a letter: version bits 01). Which RTP
//! belongs to a call is decided later, from the SDP (`media::tracker`).

use crate::bytes::{be16, be32};
use crate::sip::Origin;
use std::net::SocketAddr;

/// One RTP packet, as the stream statistics need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpPacket {
    pub ts_ns: i64,
    pub origin: Origin,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub ssrc: u32,
    pub seq: u16,
    pub timestamp: u32,
    pub pt: u8,
    pub marker: bool,
    /// Payload bytes after the header, padding removed.
    pub payload_len: u16,
}

/// The first report block of an SR or RR (RFC 3550 §6.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportBlock {
    /// The SSRC of the stream this block reports on.
    pub ssrc: u32,
    /// Fraction lost since the previous report, out of 256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed).
    pub cumulative_lost: i32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
}

/// RTCP-XR VoIP metrics (RFC 3611 §4.7), the values analysts read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XrVoip {
    pub ssrc: u32,
    /// Loss rate, out of 256.
    pub loss_rate: u8,
    /// R factor (127: unavailable).
    pub r_factor: u8,
    /// MOS-LQ ×10 (127: unavailable).
    pub mos_lq: u8,
}

/// One RTCP compound packet: the sender, the first report block, the XR VoIP block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtcpPacket {
    pub ts_ns: i64,
    pub origin: Origin,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// The SSRC of the first packet's sender.
    pub sender_ssrc: u32,
    /// The first packet's type: 200 SR, 201 RR, 207 XR, …
    pub first_type: u8,
    pub report: Option<ReportBlock>,
    pub xr: Option<XrVoip>,
}

/// What a UDP payload is to the media layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaKind {
    Rtp(RtpFields),
    Rtcp(RtcpFields),
}

/// The RTP header's values, before they are placed in time and address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpFields {
    pub ssrc: u32,
    pub seq: u16,
    pub timestamp: u32,
    pub pt: u8,
    pub marker: bool,
    pub payload_len: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtcpFields {
    pub sender_ssrc: u32,
    pub first_type: u8,
    pub report: Option<ReportBlock>,
    pub xr: Option<XrVoip>,
}

/// Whether a datagram between these ports, with this first byte, may be RTP/RTCP:
/// version 2 (a SIP message never is) and no well-known port on either side.
#[inline]
pub fn may_be_media(payload: &[u8], src_port: u16, dst_port: u16) -> bool {
    src_port >= 1024 && dst_port >= 1024 && looks_v2(payload)
}

#[inline]
fn looks_v2(payload: &[u8]) -> bool {
    payload.first().is_some_and(|b| b >> 6 == 2)
}

/// RTP or RTCP by header, or None.
pub fn classify(p: &[u8]) -> Option<MediaKind> {
    if !looks_v2(p) || p.len() < 8 {
        return None;
    }
    let second = *p.get(1)?;
    if (200..=207).contains(&second) {
        return rtcp(p).map(MediaKind::Rtcp);
    }
    rtp(p).map(MediaKind::Rtp)
}

fn rtp(p: &[u8]) -> Option<RtpFields> {
    if p.len() < 12 {
        return None;
    }
    let b0 = *p.first()?;
    let b1 = *p.get(1)?;
    let pt = b1 & 0x7f;
    if (72..=76).contains(&pt) {
        return None;
    }
    let mut header = 12 + 4 * usize::from(b0 & 0x0f);
    if b0 & 0x10 != 0 {
        // Header extension: 16-bit profile, 16-bit length in words (RFC 3550 §5.3.1).
        let words = usize::from(be16(p, header + 2)?);
        header += 4 + 4 * words;
    }
    if header > p.len() {
        return None;
    }
    let padding = if b0 & 0x20 != 0 {
        usize::from(*p.last()?)
    } else {
        0
    };
    if padding > p.len() - header || (b0 & 0x20 != 0 && padding == 0) {
        return None;
    }
    Some(RtpFields {
        marker: b1 & 0x80 != 0,
        pt,
        seq: be16(p, 2)?,
        timestamp: be32(p, 4)?,
        ssrc: be32(p, 8)?,
        payload_len: u16::try_from(p.len() - header - padding).unwrap_or(u16::MAX),
    })
}

fn rtcp(p: &[u8]) -> Option<RtcpFields> {
    let mut out: Option<RtcpFields> = None;
    let mut at = 0usize;
    // Walk the compound packet; each part must be version 2 and fit.
    while at + 4 <= p.len() {
        let b0 = *p.get(at)?;
        let pt = *p.get(at + 1)?;
        if b0 >> 6 != 2 || !(192..=223).contains(&pt) {
            break;
        }
        let len = (usize::from(be16(p, at + 2)?) + 1) * 4;
        let part = p.get(at..at + len)?;
        let count = usize::from(b0 & 0x1f);
        let sender = be32(part, 4).unwrap_or(0);
        let f = out.get_or_insert(RtcpFields {
            sender_ssrc: sender,
            first_type: pt,
            report: None,
            xr: None,
        });
        let blocks_at = match pt {
            200 => Some(28),
            201 => Some(8),
            _ => None,
        };
        if let (Some(b), None, true) = (blocks_at, f.report, count > 0) {
            f.report = report_block(part, b);
        }
        if pt == 207 && f.xr.is_none() {
            f.xr = xr_voip(part);
        }
        at += len;
    }
    out
}

fn report_block(part: &[u8], at: usize) -> Option<ReportBlock> {
    let lost = be32(part, at + 4)?;
    let cumulative = (lost & 0x00ff_ffff) as i32;
    // 24-bit two's complement.
    let cumulative = if cumulative & 0x0080_0000 != 0 {
        cumulative - 0x0100_0000
    } else {
        cumulative
    };
    Some(ReportBlock {
        ssrc: be32(part, at)?,
        fraction_lost: (lost >> 24) as u8,
        cumulative_lost: cumulative,
        jitter: be32(part, at + 12)?,
    })
}

/// The VoIP metrics report block (BT=7, 36 bytes with its header) of an XR packet.
fn xr_voip(part: &[u8]) -> Option<XrVoip> {
    let mut at = 8; // after the XR header and sender SSRC
    while at + 4 <= part.len() {
        let bt = *part.get(at)?;
        let words = usize::from(be16(part, at + 2)?);
        if bt == 7 && words >= 8 {
            return Some(XrVoip {
                ssrc: be32(part, at + 4)?,
                loss_rate: *part.get(at + 8)?,
                r_factor: *part.get(at + 24)?,
                mos_lq: *part.get(at + 26)?,
            });
        }
        at += 4 + 4 * words;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtp_bytes(pt: u8, marker: bool, seq: u16, ts: u32, ssrc: u32, payload: usize) -> Vec<u8> {
        let mut v = vec![0x80, pt | if marker { 0x80 } else { 0 }];
        v.extend_from_slice(&seq.to_be_bytes());
        v.extend_from_slice(&ts.to_be_bytes());
        v.extend_from_slice(&ssrc.to_be_bytes());
        v.resize(12 + payload, 0xd5);
        v
    }

    #[test]
    fn rtp_header_values() {
        let p = rtp_bytes(8, true, 65535, 160, 0xdead_beef, 160);
        assert_eq!(
            classify(&p),
            Some(MediaKind::Rtp(RtpFields {
                ssrc: 0xdead_beef,
                seq: 65535,
                timestamp: 160,
                pt: 8,
                marker: true,
                payload_len: 160
            }))
        );
    }

    #[test]
    fn csrc_extension_and_padding_are_skipped() {
        let mut p = rtp_bytes(0, false, 1, 0, 7, 0);
        p[0] = 0x80 | 0x20 | 0x10 | 1; // padding, extension, one CSRC
        p.extend_from_slice(&[0, 0, 0, 9]); // CSRC
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 1, 2, 3, 4]); // extension, one word
        p.extend_from_slice(&[0xff; 160]);
        p.extend_from_slice(&[0, 0, 0, 4]); // 4 bytes of padding
        let Some(MediaKind::Rtp(f)) = classify(&p) else {
            panic!()
        };
        assert_eq!(f.payload_len, 160);
        // Padding longer than the packet, or a CSRC list past its end: not RTP.
        let mut bad = p.clone();
        *bad.last_mut().unwrap() = 255;
        assert_eq!(classify(&bad), None);
        let mut short = rtp_bytes(0, false, 1, 0, 7, 0);
        short[0] = 0x8f;
        assert_eq!(classify(&short), None);
    }

    #[test]
    fn what_is_not_rtp() {
        assert_eq!(classify(b"INVITE sip:a@b SIP/2.0\r\n"), None);
        assert_eq!(
            classify(&[0x80, 200 - 128, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]),
            None
        ); // RTCP's range
        assert_eq!(classify(&[0x40; 40]), None); // version 1
        assert_eq!(classify(&[0x80, 0]), None);
        assert_eq!(classify(&[]), None);
    }

    #[test]
    fn rtcp_sender_report_with_a_block_then_xr_voip() {
        // SR: one report block.
        let mut p = vec![0x81, 200, 0, 12];
        p.extend_from_slice(&0x1111_1111u32.to_be_bytes());
        p.extend_from_slice(&[0; 20]); // NTP, RTP ts, counts
        p.extend_from_slice(&0x2222_2222u32.to_be_bytes());
        p.extend_from_slice(&[25, 0xff, 0xff, 0xfe]); // 25/256, cumulative -2
        p.extend_from_slice(&[0; 4]); // highest seq
        p.extend_from_slice(&80u32.to_be_bytes()); // jitter
        p.extend_from_slice(&[0; 8]); // LSR, DLSR
                                      // XR with a VoIP metrics block: header 4 + ssrc 4 + block 36.
        let mut xr = vec![0x80, 207, 0, 10];
        xr.extend_from_slice(&0x1111_1111u32.to_be_bytes());
        xr.extend_from_slice(&[7, 0, 0, 8]);
        xr.extend_from_slice(&0x2222_2222u32.to_be_bytes());
        let mut block = [0u8; 28];
        block[0] = 12; // loss rate
        block[16] = 87; // R factor
        block[18] = 41; // MOS-LQ 4.1
        xr.extend_from_slice(&block);
        p.extend_from_slice(&xr);
        let Some(MediaKind::Rtcp(f)) = classify(&p) else {
            panic!("{:?}", classify(&p))
        };
        assert_eq!((f.sender_ssrc, f.first_type), (0x1111_1111, 200));
        assert_eq!(
            f.report,
            Some(ReportBlock {
                ssrc: 0x2222_2222,
                fraction_lost: 25,
                cumulative_lost: -2,
                jitter: 80
            })
        );
        assert_eq!(
            f.xr,
            Some(XrVoip {
                ssrc: 0x2222_2222,
                loss_rate: 12,
                r_factor: 87,
                mos_lq: 41
            })
        );
        // Its length past the datagram: not RTCP.
        assert_eq!(classify(&p[..20]), None);
    }
}
