//! Media: RTP and RTCP streams tied to calls by their SDP, their RFC 3550
//! statistics, a MOS estimate, and each call's media verdict.
//!
//! - [`rtp`]: header checks and values, in the parallel stateless stage;
//! - [`stream`]: one stream's statistics (Wireshark's rules, RFC 3550 jitter);
//! - [`tracker`]: SDP announcements → streams of calls, on the model thread;
//! - [`quality`]: the E-model (G.107) estimate;
//! - [`verdict`]: per call, OK / ONE_WAY / NO_MEDIA / CODEC_MISMATCH / LATE_MEDIA;
//! - [`rtcp_check`]: RTCP reports compared with the loss and jitter measured.
//!
//! The SDP parser is [`crate::sdp`]; the tables are declared in
//! `report::schema::streams` and the calls table.

pub mod quality;
pub mod rtcp_check;
pub mod rtp;
pub mod stream;
pub mod tracker;
pub mod verdict;

pub use rtp::{RtcpPacket, RtpPacket};
pub use tracker::{MediaCounts, MediaTracker, Side, Stream};
pub use verdict::{MediaSummary, Verdict};

/// One stream as a row of the streams table.
#[derive(Clone, Debug)]
pub struct StreamRow {
    pub stream: Stream,
    pub call_id: Option<String>,
    /// caller_to_callee / callee_to_caller, None for a stream of no call.
    pub direction: Option<&'static str>,
    pub codec: String,
    pub mos: Option<f64>,
}

/// The streams of a run, in the order they began.
pub fn stream_rows(t: &MediaTracker) -> Vec<StreamRow> {
    t.streams
        .iter()
        .map(|st| {
            let (call_id, codec, ptime) = t.stream_call(st);
            let s = &st.stats;
            let lost = s.lost().max(0) as f64 + f64::from(s.jitter_buffer_late);
            let mos = (s.clock != 0).then(|| {
                quality::mos(quality::r_factor(
                    lost / s.expected().max(1) as f64,
                    &codec,
                    ptime,
                ))
            });
            StreamRow {
                call_id: call_id.map(str::to_string),
                direction: st.towards.map(|s| match s {
                    Side::Callee => "caller_to_callee",
                    Side::Caller => "callee_to_caller",
                }),
                codec,
                mos,
                stream: st.clone(),
            }
        })
        .collect()
}
