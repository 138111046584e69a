//! RTCP compared with what the capture measured, per stream: the receiver's
//! last report block (RFC 3550 §6.4.1: cumulative packets lost, interarrival
//! jitter) beside the loss and jitter counted from the RTP the capture saw.
//!
//! The two disagree for a reason worth knowing. A receiver that reports more
//! loss than the capture saw lost packets after the capture point (the network
//! between the capture and the phone, or the phone itself): the capture alone
//! would call the stream clean. A capture that saw loss the receiver did not
//! report missed packets itself (a mirror port or tcpdump dropping, or the
//! media taking a second path). The loss is compared at the moment the report
//! arrived (`StreamStats::lost_at_report`), not at the stream's end, so that
//! losses after the last report do not count as a disagreement. Jitter is
//! compared with the largest the capture measured: the receiver's estimate
//! uses the same RFC 3550 filter, so one far above it says the delay varied
//! after the capture point.
//!
//! Only judged here; the numbers are in the streams table (`report::schema::streams`),
//! the thresholds in docs/metrics.md.

use super::tracker::Stream;

/// A loss difference smaller than this many packets is noise: packets in flight
/// between the capture and the receiver when it wrote its report.
pub const LOSS_SLACK_PACKETS: i64 = 3;
/// … or than this share of the packets expected.
pub const LOSS_SLACK_SHARE: f64 = 0.01;
/// Reported jitter this far above the largest measured (ms) is jitter after the capture point.
pub const JITTER_SLACK_MS: f64 = 10.0;

/// How a stream's RTCP reports compare with the capture's own measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Reports within the slack of what was measured.
    Agree,
    /// The receiver lost packets the capture saw.
    LossAfterCapture,
    /// The capture saw loss the receiver did not report.
    CaptureMissed,
    /// The receiver's jitter is well above the largest measured.
    JitterAfterCapture,
}

impl Check {
    pub fn name(self) -> &'static str {
        match self {
            Check::Agree => "agree",
            Check::LossAfterCapture => "loss_after_capture",
            Check::CaptureMissed => "capture_missed",
            Check::JitterAfterCapture => "jitter_after_capture",
        }
    }
}

/// Reported cumulative loss minus the loss the capture had measured when the report
/// arrived: positive when the receiver lost more. None without a report block.
pub fn lost_excess(st: &Stream) -> Option<i64> {
    let r = st.rtcp_report?;
    Some(i64::from(r.cumulative_lost) - i64::from(st.stats.lost_at_report))
}

/// The receiver's last reported interarrival jitter in ms (None without a report or a clock).
pub fn reported_jitter_ms(st: &Stream) -> Option<f64> {
    let r = st.rtcp_report?;
    (st.stats.clock != 0).then(|| f64::from(r.jitter) * 1000.0 / f64::from(st.stats.clock))
}

/// The comparison, loss first (it matters more); None without a report block.
pub fn check(st: &Stream) -> Option<Check> {
    let excess = lost_excess(st)?;
    let slack =
        LOSS_SLACK_PACKETS.max((st.stats.expected().max(0) as f64 * LOSS_SLACK_SHARE) as i64);
    if excess > slack {
        return Some(Check::LossAfterCapture);
    }
    if -excess > slack {
        return Some(Check::CaptureMissed);
    }
    let jitter_high =
        reported_jitter_ms(st).is_some_and(|j| j > st.stats.max_jitter_ms + JITTER_SLACK_MS);
    Some(if jitter_high {
        Check::JitterAfterCapture
    } else {
        Check::Agree
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::rtp::{ReportBlock, RtcpPacket, RtpPacket};
    use crate::media::MediaTracker;
    use crate::sip::Origin;
    use std::net::SocketAddr;

    const A: &str = "192.0.2.1:4000";
    const B: &str = "192.0.2.2:5000";

    fn rtp(seq: u16) -> RtpPacket {
        RtpPacket {
            ts_ns: i64::from(seq) * 20_000_000,
            origin: Origin::default(),
            src: A.parse().unwrap(),
            dst: B.parse().unwrap(),
            ssrc: 7,
            seq,
            timestamp: u32::from(seq) * 160,
            pt: 0,
            marker: false,
            payload_len: 160,
        }
    }

    /// B's receiver report about A's stream, sent from B's RTCP port to A's.
    fn rr(ts_ns: i64, cumulative_lost: i32, jitter: u32) -> RtcpPacket {
        let next = |a: &str| {
            let a: SocketAddr = a.parse().unwrap();
            SocketAddr::new(a.ip(), a.port() + 1)
        };
        RtcpPacket {
            ts_ns,
            origin: Origin::default(),
            src: next(B),
            dst: next(A),
            sender_ssrc: 9,
            first_type: 201,
            report: Some(ReportBlock {
                ssrc: 7,
                fraction_lost: 0,
                cumulative_lost,
                jitter,
            }),
            xr: None,
        }
    }

    /// 100 packets A → B of which `missing` never reached the capture; RTCP after packet 60
    /// (then 40 more packets, one of them lost after the report).
    fn stream(missing: &[u16], report: RtcpPacket) -> Stream {
        let mut t = MediaTracker::new(true);
        for seq in (0..100u16).filter(|s| !missing.contains(s)) {
            t.on_rtp(&rtp(seq));
            if seq == 60 {
                t.on_rtcp(&report);
            }
        }
        assert_eq!(t.streams.len(), 1);
        t.streams[0].clone()
    }

    #[test]
    fn reports_that_match_the_capture_agree() {
        // 2 lost before the report, the receiver says 2; one more lost later does not count.
        let st = stream(&[10, 11, 80], rr(1_300_000_000, 2, 8));
        assert_eq!(st.stats.lost(), 3);
        assert_eq!(lost_excess(&st), Some(0));
        assert_eq!(check(&st), Some(Check::Agree));
        assert_eq!(reported_jitter_ms(&st), Some(1.0));
    }

    #[test]
    fn the_receiver_lost_what_the_capture_saw() {
        let st = stream(&[], rr(1_300_000_000, 9, 8));
        assert_eq!(lost_excess(&st), Some(9));
        assert_eq!(check(&st), Some(Check::LossAfterCapture));
        // Within the slack: packets in flight.
        let st = stream(&[], rr(1_300_000_000, 3, 8));
        assert_eq!(check(&st), Some(Check::Agree));
    }

    #[test]
    fn the_capture_missed_what_the_receiver_got() {
        let st = stream(&[20, 21, 22, 23, 24, 25], rr(1_300_000_000, 0, 8));
        assert_eq!(lost_excess(&st), Some(-6));
        assert_eq!(check(&st), Some(Check::CaptureMissed));
    }

    #[test]
    fn jitter_far_above_the_measured_is_after_the_capture() {
        // 400 units at 8 kHz = 50 ms; the capture measured none.
        let st = stream(&[], rr(1_300_000_000, 0, 400));
        assert_eq!(check(&st), Some(Check::JitterAfterCapture));
        assert_eq!(
            check(&stream(&[], rr(1_300_000_000, 0, 40))),
            Some(Check::Agree)
        );
    }

    /// pijak_sipproxy.pcapng (public): the receiver sends its RTCP from its RTP port
    /// (rtcp-mux) to the sender's RTP port + 1; the report still finds its stream.
    #[test]
    fn a_report_from_a_multiplexed_port_finds_its_stream() {
        let mut t = MediaTracker::new(true);
        for seq in 0..10 {
            t.on_rtp(&rtp(seq));
        }
        let mut r = rr(300_000_000, 0, 8);
        r.src = B.parse().unwrap();
        t.on_rtcp(&r);
        assert_eq!(check(&t.streams[0]), Some(Check::Agree));
        assert_eq!(t.counts.rtcp_unmatched, 0);
    }

    #[test]
    fn no_report_no_judgement() {
        let mut t = MediaTracker::new(true);
        t.on_rtp(&rtp(0));
        assert_eq!(
            (check(&t.streams[0]), lost_excess(&t.streams[0])),
            (None, None)
        );
    }
}
