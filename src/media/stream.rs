//! One RTP stream's statistics (RFC 3550), computed packet by packet in a
//! few dozen bytes: packets, expected and lost, the longest run of lost
//! packets, sequence errors, duplicates, interarrival jitter (§6.4.1, in ms
//! from the payload's RTP clock), the largest gap between packets, payload
//! types seen.
//!
//! The sequence, delta and jitter rules are Wireshark 4.0's RTP stream analysis
//! (ui/tap-rtp-analysis.c, `rtppacket_analyse`), so that the numbers can be
//! compared with `tshark -z rtp,streams` one for one: lost = last sequence
//! number (with its wrap count) − first + 1 − packets received; max delta and
//! jitter only over "regular" packets (not the first, not marked, not comfort
//! noise or just after it, not behind in RTP time). Duplicates and the
//! longest loss burst, which tshark does not print, come from a 64-packet
//! window over the highest sequence number. Which packets form a stream, and
//! what it is for, is `media::tracker`'s.

/// Comfort noise payload types: 13 (RFC 3389) and 19 (the old, reserved one).
const PT_CN: u8 = 13;
const PT_CN_OLD: u8 = 19;

/// What one packet brings.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub ts_ns: i64,
    pub seq: u16,
    pub timestamp: u32,
    pub pt: u8,
    pub marker: bool,
    /// RTP clock rate of this payload type (Hz); 0 when unknown or telephone-event (no jitter then, as in Wireshark).
    pub clock: u32,
}

/// The statistics of one stream (one SSRC from one source to one destination).
#[derive(Clone, Debug, Default)]
pub struct StreamStats {
    pub first_ns: i64,
    pub last_ns: i64,
    pub packets: u32,
    start_seq: u16,
    stop_seq: u16,
    seq_num: u16,
    cycles: u32,
    under: bool,
    /// Sequence numbers not one above the previous (lost before, late, duplicated).
    pub seq_errors: u32,
    last_ext_ts: i64,
    last_raw_ts: u32,
    /// Arrival of the previous packet (ms since the stream's first).
    time_ms: f64,
    /// RTP time of the last packet that updated the jitter (ms since the first packet's).
    last_nominal_ms: f64,
    pub max_delta_ms: f64,
    /// Current jitter (ms).
    pub jitter_ms: f64,
    pub max_jitter_ms: f64,
    pub mean_jitter_ms: f64,
    last_pt: u8,
    /// Payload types seen (bit n: type n).
    pub pts_seen: u128,
    /// Highest extended sequence number, and which of the 64 below it arrived.
    max_ext_seq: i64,
    base_ext_seq: i64,
    window: u64,
    pub duplicates: u32,
    /// The longest run of sequence numbers never received (before a later one came).
    pub max_burst: u32,
    /// The clock rate used for the jitter (the last non-zero one).
    pub clock: u32,
    /// RTP timestamp of the first packet (extended), and the least transit time seen (ms) relative to it.
    first_ext_ts: i64,
    min_transit_ms: f64,
    /// Packets arriving more than [`super::quality::JITTER_BUFFER_MS`] behind the earliest transit:
    /// a fixed jitter buffer of that size would have dropped them.
    pub jitter_buffer_late: u32,
    /// [`StreamStats::lost`] when the last RTCP report block about this stream arrived
    /// (what the capture had seen missing by then: `media::rtcp_check` compares the two).
    pub lost_at_report: i32,
}

impl StreamStats {
    pub fn new(s: &Sample) -> StreamStats {
        StreamStats {
            first_ns: s.ts_ns,
            last_ns: s.ts_ns,
            packets: 1,
            start_seq: s.seq,
            stop_seq: s.seq,
            seq_num: s.seq,
            last_ext_ts: i64::from(s.timestamp),
            first_ext_ts: i64::from(s.timestamp),
            last_raw_ts: s.timestamp,
            last_pt: s.pt,
            pts_seen: 1u128 << (s.pt & 0x7f),
            max_ext_seq: i64::from(s.seq),
            base_ext_seq: i64::from(s.seq),
            window: 1,
            clock: s.clock,
            ..Default::default()
        }
    }

    /// Packets the sequence numbers say were sent (Wireshark's: last − first + 1 with wraps).
    pub fn expected(&self) -> i64 {
        i64::from(self.stop_seq) + i64::from(self.cycles) * 0x10000 - i64::from(self.start_seq) + 1
    }
    /// Expected − received (negative when duplicates outnumber losses, as in tshark).
    pub fn lost(&self) -> i64 {
        self.expected() - i64::from(self.packets)
    }
    /// RFC 3550 A.3's count: highest extended sequence number − first + 1 − received (floored at 0).
    pub fn lost_rfc3550(&self) -> i64 {
        (self.max_ext_seq - self.base_ext_seq + 1 - i64::from(self.packets)).max(0)
    }
    /// An RTCP report block about this stream arrived: keep the loss measured so far beside it.
    pub fn note_report(&mut self) {
        self.lost_at_report = self.lost().clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
    }
    pub fn duration_ms(&self) -> f64 {
        (self.last_ns - self.first_ns) as f64 / 1e6
    }

    pub fn push(&mut self, s: &Sample) {
        let current_ms = (s.ts_ns - self.first_ns) as f64 / 1e6;
        self.last_ns = self.last_ns.max(s.ts_ns);
        self.pts_seen |= 1u128 << (s.pt & 0x7f);
        self.window_push(s.seq);
        // Extend the 32-bit RTP timestamp across wraps (relative to the previous packet).
        let ext_ts =
            self.last_ext_ts + i64::from(s.timestamp.wrapping_sub(self.last_raw_ts) as i32);
        self.last_ext_ts = ext_ts;
        self.last_raw_ts = s.timestamp;

        // Wireshark 4.0's rule (the tshark CI runs): a packet is in time sequence when its RTP
        // time is not before the stream's first; its expected arrival is the previous packet's
        // plus the RTP time between them, so a reordered packet counts with its real offset.
        let in_time_sequence = self.first_ext_ts <= ext_ts;
        let (mut regular, mut jitter_sample) = (in_time_sequence, None);
        // Sequence wraps (Wireshark's rule: below the start while "under" is unset).
        // (Or from 65535 to 0 when the stream started at 0.)
        let wrapped = s.seq < self.start_seq || (s.seq == 0 && self.stop_seq == 65535);
        if wrapped && in_time_sequence && !self.under {
            self.cycles += 1;
            self.under = true;
        } else if s.seq > self.start_seq && in_time_sequence && self.under {
            self.under = false;
        }
        let next = self.seq_num.wrapping_add(1);
        if in_time_sequence && next == s.seq {
            self.seq_num = s.seq;
        } else if in_time_sequence
            && (u32::from(self.seq_num) + 1 < u32::from(s.seq)
                || self.seq_num.wrapping_sub(s.seq) > 0xff00 && self.seq_num > s.seq)
        {
            self.seq_num = s.seq;
            self.seq_errors += 1;
        } else if u32::from(self.seq_num) + 1 > u32::from(s.seq) {
            self.seq_errors += 1;
        }
        let cn = s.pt == PT_CN || s.pt == PT_CN_OLD;
        let after_cn = self.last_pt == PT_CN || self.last_pt == PT_CN_OLD;
        self.last_pt = s.pt;
        if s.clock != 0 && in_time_sequence {
            self.clock = s.clock;
            let nominal_ms = (ext_ts - self.first_ext_ts) as f64 / (f64::from(s.clock) / 1000.0);
            let expected = self.time_ms + (nominal_ms - self.last_nominal_ms);
            self.last_nominal_ms = nominal_ms;
            let diff = (current_ms - expected).abs();
            self.jitter_ms = (15.0 * self.jitter_ms + diff) / 16.0;
            jitter_sample = Some(self.jitter_ms);
            let sent_ms = (ext_ts - self.first_ext_ts) as f64 / (f64::from(s.clock) / 1000.0);
            let transit = current_ms - sent_ms;
            self.min_transit_ms = self.min_transit_ms.min(transit);
            if transit - self.min_transit_ms > super::quality::JITTER_BUFFER_MS {
                self.jitter_buffer_late += 1;
            }
        }
        // The gap to the previous packet is only needed here: not kept (a stream's state stays at 176 bytes).
        let delta_ms = current_ms - self.time_ms;
        regular &= !s.marker && !cn && !after_cn;
        if regular {
            self.max_delta_ms = self.max_delta_ms.max(delta_ms);
            if let Some(j) = jitter_sample {
                self.max_jitter_ms = self.max_jitter_ms.max(j);
                // Wireshark divides by the packets so far, not by the regular ones.
                let n = f64::from(self.packets);
                self.mean_jitter_ms = (self.mean_jitter_ms * (n - 1.0) + j) / n;
            }
        }
        self.time_ms = current_ms;
        self.stop_seq = s.seq;
        self.packets += 1;
    }

    /// Duplicates and loss bursts over a 64-packet window above the highest sequence number.
    fn window_push(&mut self, seq: u16) {
        let diff = i64::from(seq.wrapping_sub(self.max_ext_seq as u16) as i16);
        let ext = self.max_ext_seq + diff;
        if diff > 0 {
            self.max_burst = self.max_burst.max((diff - 1) as u32);
            self.window = if diff >= 64 { 0 } else { self.window << diff };
            self.window |= 1;
            self.max_ext_seq = ext;
        } else {
            let back = -diff;
            if back < 64 {
                let bit = 1u64 << back;
                if self.window & bit != 0 {
                    self.duplicates += 1;
                }
                self.window |= bit;
            }
            self.base_ext_seq = self.base_ext_seq.min(ext);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 20 ms G.711 packets: sequence `seq`, arriving at `at_ms`, sent at `rtp_ms`.
    fn s(seq: u16, at_ms: f64, rtp_ms: u32) -> Sample {
        Sample {
            ts_ns: (at_ms * 1e6) as i64,
            seq,
            timestamp: rtp_ms * 8,
            pt: 0,
            marker: false,
            clock: 8000,
        }
    }

    fn run(samples: &[Sample]) -> StreamStats {
        let mut st = StreamStats::new(&samples[0]);
        samples[1..].iter().for_each(|x| st.push(x));
        st
    }

    /// Per-stream state is the benchmark's "bytes per stream" (issue #12): what the RTCP
    /// comparison added took the place of a field that did not need keeping.
    #[test]
    fn stream_state_stays_at_176_bytes() {
        assert_eq!(std::mem::size_of::<StreamStats>(), 176);
    }

    #[test]
    fn steady_stream_has_no_loss_and_no_jitter() {
        let v: Vec<_> = (0..50u16)
            .map(|i| s(i, f64::from(i) * 20.0, u32::from(i) * 20))
            .collect();
        let st = run(&v);
        assert_eq!(
            (st.packets, st.expected(), st.lost(), st.seq_errors),
            (50, 50, 0, 0)
        );
        assert!((st.max_delta_ms - 20.0).abs() < 1e-9);
        assert!(st.max_jitter_ms.abs() < 1e-9);
    }

    #[test]
    fn a_burst_of_three_lost_counts_three_and_burst_three() {
        let v: Vec<_> = (0..20u16)
            .filter(|i| !(5..8).contains(i))
            .map(|i| s(i, f64::from(i) * 20.0, u32::from(i) * 20))
            .collect();
        let st = run(&v);
        assert_eq!((st.lost(), st.max_burst, st.seq_errors), (3, 3, 1));
        assert!((st.max_delta_ms - 80.0).abs() < 1e-9);
        // The gap is in RTP time too: no jitter.
        assert!(st.max_jitter_ms.abs() < 1e-9);
    }

    #[test]
    fn jitter_follows_rfc3550_6_4_1() {
        // Packet 2 arrives 16 ms late: D = 16, J = 16/16 = 1 ms; then back on time: D = 16 again (relative), J = (15+16)/16.
        let st = run(&[s(0, 0.0, 0), s(1, 20.0, 20), s(2, 56.0, 40), s(3, 60.0, 60)]);
        assert!(
            (st.max_jitter_ms - (15.0 * 1.0 + 16.0) / 16.0).abs() < 1e-9,
            "{}",
            st.max_jitter_ms
        );
        assert!((st.max_delta_ms - 36.0).abs() < 1e-9);
    }

    #[test]
    fn duplicates_and_wrap() {
        let mut v: Vec<_> = (0..10u16)
            .map(|i| {
                let seq = 65530u16.wrapping_add(i);
                s(seq, f64::from(i) * 20.0, u32::from(i) * 20)
            })
            .collect();
        v.insert(5, v[4]); // a duplicate of the fifth
        let st = run(&v);
        assert_eq!(st.duplicates, 1);
        assert_eq!(st.expected(), 10);
        assert_eq!(
            st.lost(),
            -1,
            "tshark counts a duplicate as a negative loss"
        );
        assert_eq!(st.lost_rfc3550(), 0);
    }

    #[test]
    fn marked_and_comfort_noise_packets_are_not_regular() {
        let mut v = vec![s(0, 0.0, 0), s(1, 20.0, 20)];
        let mut talk = s(2, 500.0, 500);
        talk.marker = true; // a new talk spurt after silence suppression
        v.push(talk);
        v.push(s(3, 520.0, 520));
        let st = run(&v);
        assert!((st.max_delta_ms - 20.0).abs() < 1e-9);
    }
}
