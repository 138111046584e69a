//! A call's media in one word, and its numbers per direction.
//!
//! The verdict, first that applies (docs/metrics.md, "Media verdicts"):
//! - NO_MEDIA: answered, and no RTP of it in either direction;
//! - CODEC_MISMATCH: offer and answer share no voice codec, or RTP carries a
//!   payload type its receiver's SDP did not list (comfort noise excepted);
//! - ONE_WAY: answered, RTP in one direction only, while the SDP asked for
//!   both (the sender's direction sends, the receiver's receives), no side put
//!   the call on hold (inactive, 0.0.0.0, or sendonly after an earlier offer),
//!   and every stream went to an address the SDP announced (RTP sent elsewhere
//!   — ICE candidates, a relay — means the SDP does not describe the path);
//! - LATE_MEDIA: the later direction's first RTP came more than
//!   [`LATE_MEDIA_NS`] after the 200 OK;
//! - OK otherwise.
//!
//! None when the call was not answered and had no RTP (nothing to judge), or
//! carried no SDP in a capture without any RTP (a signalling-only capture
//! says nothing about media). A call with SDP and no RTP is NO_MEDIA even
//! when the capture holds no RTP at all — `analyze` then says the capture may
//! have been filtered to SIP. Findings across calls are `diagnosis::media`'s.

use super::quality;
use super::tracker::{CallMedia, MediaTracker, Side, Stream};
use crate::model::call::{CallRecord, Category};
use crate::model::compact::{OptAddr, OptF64, OptI64};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;

/// First RTP later than this after the 200 OK is LATE_MEDIA: a person says "hello"
/// within about a second of answering, and two seconds of silence lose it.
pub const LATE_MEDIA_NS: i64 = 2_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Ok,
    OneWay,
    NoMedia,
    CodecMismatch,
    LateMedia,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::OneWay => "ONE_WAY",
            Verdict::NoMedia => "NO_MEDIA",
            Verdict::CodecMismatch => "CODEC_MISMATCH",
            Verdict::LateMedia => "LATE_MEDIA",
        }
    }
}

/// One direction of a call's media, over all its streams.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DirectionStats {
    pub streams: u32,
    pub packets: u64,
    pub lost: i64,
    pub max_jitter_ms: f64,
    pub max_delta_ms: f64,
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
    /// Estimated MOS (None without packets).
    pub mos: Option<f64>,
    /// Addresses of the first stream.
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
    /// Frame number of the first packet (in its input).
    pub first_frame: Option<u64>,
}

/// A call's RTP in each direction.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Flows {
    pub to_callee: DirectionStats,
    pub to_caller: DirectionStats,
}

const NO_FLOW: DirectionStats = DirectionStats {
    streams: 0,
    packets: 0,
    lost: 0,
    max_jitter_ms: 0.0,
    max_delta_ms: 0.0,
    first_ns: None,
    last_ns: None,
    mos: None,
    src: None,
    dst: None,
    first_frame: None,
};

impl MediaSummary {
    /// RTP caller → callee (all streams; empty without RTP).
    pub fn to_callee(&self) -> &DirectionStats {
        self.flows.as_ref().map_or(&NO_FLOW, |f| &f.to_callee)
    }
    /// RTP callee → caller.
    pub fn to_caller(&self) -> &DirectionStats {
        self.flows.as_ref().map_or(&NO_FLOW, |f| &f.to_caller)
    }
    /// An answered call of which no RTP was seen, and no SDP to say more.
    pub fn no_media() -> MediaSummary {
        MediaSummary {
            verdict: Some(Verdict::NoMedia),
            ..Default::default()
        }
    }
    fn flows_mut(&mut self) -> &mut Flows {
        self.flows.get_or_insert_with(Default::default)
    }
}

/// What a call's media amounts to (a column group of the calls table). Most
/// records carry one (every call with SDP), so it is kept small (issue #16):
/// the codec name shared, the optional numbers and addresses compact
/// (`model::compact`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct MediaSummary {
    pub verdict: Option<Verdict>,
    /// Per direction, boxed and only when RTP flowed: most calls of a SIP-only
    /// capture carry SDP and no RTP, and a record per call is what a long
    /// capture keeps (issue #16).
    flows: Option<Box<Flows>>,
    /// Audio codec of the callee's answer (else the offer), shared between the
    /// calls that name it (`MediaTracker`'s interner).
    pub codec: Option<Arc<str>>,
    /// Where each side announced its audio.
    pub caller_sdp: OptAddr,
    pub callee_sdp: OptAddr,
    /// A private c= announced from a public signalling address, per side.
    pub caller_nat: bool,
    pub callee_nat: bool,
    /// Where each side's SDP came from (signalling), and the frame that carried it.
    pub caller_signalling: Option<std::net::IpAddr>,
    pub callee_signalling: Option<std::net::IpAddr>,
    /// When each side's latest SDP was sent.
    pub caller_sdp_ns: OptI64,
    pub callee_sdp_ns: OptI64,
    pub hold: bool,
    pub no_common_codec: bool,
    /// Payload types sent that the receiver did not list.
    pub unexpected_pts: Box<[u8]>,
    /// ms from the 200 OK to the later direction's first RTP.
    pub media_delay_ms: OptF64,
    pub ssrc_changes: u32,
    /// Some RTP of the call went to an address its SDP did not announce (NAT latching, ICE,
    /// a relay): the SDP does not tell which directions to expect there.
    pub media_elsewhere: bool,
    /// RTP of any kind (audio or not) was tied to the call: which of a B2BUA's legs
    /// stands for the call's media (`model::b2bua`).
    #[serde(skip)]
    pub has_streams: bool,
}

fn mos_of(st: &Stream, codec: &str, ptime: f64) -> f64 {
    let s = &st.stats;
    let expected = s.expected().max(1) as f64;
    let lost = s.lost().max(0) as f64 + f64::from(s.jitter_buffer_late);
    quality::mos(quality::r_factor(lost / expected, codec, ptime))
}

fn add(d: &mut DirectionStats, st: &Stream, codec: &str, ptime: f64) {
    let s = &st.stats;
    d.streams += 1;
    d.packets += u64::from(s.packets);
    d.lost += s.lost().max(0);
    d.max_jitter_ms = d.max_jitter_ms.max(s.max_jitter_ms);
    d.max_delta_ms = d.max_delta_ms.max(s.max_delta_ms);
    d.first_ns = Some(d.first_ns.map_or(s.first_ns, |f| f.min(s.first_ns)));
    d.last_ns = Some(d.last_ns.map_or(s.last_ns, |l| l.max(s.last_ns)));
    // The worst stream's estimate stands for the direction.
    let m = mos_of(st, codec, ptime);
    d.mos = Some(d.mos.map_or(m, |x: f64| x.min(m)));
    d.src.get_or_insert(st.src);
    d.dst.get_or_insert(st.dst);
    d.first_frame.get_or_insert(st.first_frame);
}

/// The codec and ptime a stream is judged with: its first payload type, named by its receiver's SDP.
fn codec_of(c: &CallMedia, st: &Stream) -> (String, f64) {
    let side = c.side(st.towards.unwrap_or(Side::Callee));
    let ptime = side
        .sdp
        .as_ref()
        .and_then(|s| s.audio())
        .and_then(|m| m.ptime)
        .map_or(quality::DEFAULT_PTIME_MS, f64::from);
    (side.codec_name(st.line, st.first_pt), ptime)
}

/// The payload types set in `mask` (bit n: payload type n), ascending. The set
/// bits only: a loop over all 128 ran for every call judged.
fn payload_types(mask: u128) -> Box<[u8]> {
    std::iter::successors((mask != 0).then_some(mask), |m| {
        let rest = m & (m - 1);
        (rest != 0).then_some(rest)
    })
    .map(|m| m.trailing_zeros() as u8)
    .collect()
}

/// The media summary of `call` from `media`, the SDP state of its Call-ID (None: it
/// carried no SDP), judged as the call closes (`tracker`'s `OnCallClosed`). A
/// B2BUA's legs are judged each on its own; folding them keeps the first leg's
/// that carried RTP (`model::b2bua`).
pub fn judge(
    call: &CallRecord,
    media: Option<&CallMedia>,
    t: &MediaTracker,
    capture_has_rtp: bool,
    codecs: &mut crate::model::intern::Interner,
) -> Option<MediaSummary> {
    let answered = call.category == Category::Success;
    let Some(c) = media else {
        // No SDP at all: an answered call in a capture with RTP has no media we can tie to it.
        return (capture_has_rtp && answered).then(|| MediaSummary {
            verdict: Some(Verdict::NoMedia),
            ..Default::default()
        });
    };
    let mut s = MediaSummary {
        caller_sdp: c.side(Side::Caller).audio.into(),
        callee_sdp: c.side(Side::Callee).audio.into(),
        caller_nat: c.side(Side::Caller).nat,
        callee_nat: c.side(Side::Callee).nat,
        caller_signalling: c.side(Side::Caller).signalling,
        callee_signalling: c.side(Side::Callee).signalling,
        caller_sdp_ns: c
            .side(Side::Caller)
            .sdp
            .as_ref()
            .map(|_| c.side(Side::Caller).ts_ns)
            .into(),
        callee_sdp_ns: c
            .side(Side::Callee)
            .sdp
            .as_ref()
            .map(|_| c.side(Side::Callee).ts_ns)
            .into(),
        hold: c.hold,
        no_common_codec: c.no_common_codec,
        has_streams: !c.streams.is_empty(),
        ..Default::default()
    };
    let mut unexpected = 0u128;
    for &i in &c.streams {
        // Video and other lines are in the streams table; the verdict is about voice.
        let Some(st) = t.streams.get(i as usize).filter(|s| s.audio) else {
            continue;
        };
        let (codec, ptime) = codec_of(c, st);
        if s.codec.is_none() {
            s.codec = Some(codecs.get(&codec));
        }
        unexpected |= st.unexpected_pts;
        s.ssrc_changes += u32::from(st.ssrc_change);
        s.media_elsewhere |= st.elsewhere;
        match st.towards {
            Some(Side::Callee) => add(&mut s.flows_mut().to_callee, st, &codec, ptime),
            Some(Side::Caller) => add(&mut s.flows_mut().to_caller, st, &codec, ptime),
            None => {}
        }
    }
    s.unexpected_pts = payload_types(unexpected);
    if s.codec.is_none() {
        s.codec = [Side::Callee, Side::Caller]
            .iter()
            .filter_map(|&sd| {
                let a = c.side(sd).sdp.as_ref()?.audio()?;
                a.codecs
                    .iter()
                    .find(|x| x.is_voice())
                    .map(|x| codecs.get(&x.name))
            })
            .next();
    }
    let answered_ns = c.answered_ns.or(call.final_ns.get().filter(|_| answered));
    let firsts = (s.to_callee().first_ns, s.to_caller().first_ns);
    let later_first = firsts.0.max(firsts.1);
    if let (Some(first), Some(ans)) = (later_first, answered_ns) {
        s.media_delay_ms = Some((first - ans) as f64 / 1e6).into();
    }
    // Which directions the SDP asked for: the sender's direction must send and the receiver's receive.
    let wants = |from: Side, to: Side| {
        let dir = |sd: Side| {
            c.side(sd)
                .sdp
                .as_ref()
                .and_then(|x| x.audio().map(|a| x.direction(a)))
        };
        dir(from).is_none_or(|d| d.sends()) && dir(to).is_none_or(|d| d.receives())
    };
    let missing = (s.to_callee().packets == 0 && wants(Side::Caller, Side::Callee))
        || (s.to_caller().packets == 0 && wants(Side::Callee, Side::Caller));
    // ICE: the c= addresses are only default candidates; media may use others unseen here.
    s.media_elsewhere |= [Side::Caller, Side::Callee]
        .iter()
        .any(|&sd| c.side(sd).sdp.as_ref().is_some_and(|x| x.ice));
    let any = s.to_callee().packets + s.to_caller().packets > 0;
    s.verdict = if !any {
        answered.then_some(Verdict::NoMedia)
    } else if s.no_common_codec || !s.unexpected_pts.is_empty() {
        Some(Verdict::CodecMismatch)
    } else if !answered {
        // Early media of a call never answered: one way is the norm (ringback), nothing to judge.
        None
    } else if missing && !s.hold && !s.media_elsewhere {
        Some(Verdict::OneWay)
    } else if answered_ns
        .zip(later_first)
        .is_some_and(|(ans, first)| first - ans > LATE_MEDIA_NS)
    {
        Some(Verdict::LateMedia)
    } else {
        Some(Verdict::Ok)
    };
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::payload_types;

    #[test]
    fn payload_types_are_the_set_bits_in_order() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut masks = vec![0u128, 1, 1 << 127, u128::MAX, (1 << 8) | (1 << 101)];
        for _ in 0..1_000 {
            let (a, b, c) = (next(), next(), next());
            masks.push((u128::from(a) << 64 | u128::from(b)) & u128::from(c).wrapping_mul(0x9e37));
        }
        for m in masks {
            let all: Vec<u8> = (0..128u8).filter(|p| m & (1u128 << p) != 0).collect();
            assert_eq!(&*payload_types(m), &all[..], "{m:#x}");
        }
    }
}
