//! Which RTP belongs to which call: SDP bodies of each Call-ID announce where
//! each party wants to receive media (c= address, m= port); an RTP packet
//! sent to such an address — or, when the other side sends back to the
//! address media came from (symmetric RTP, NAT), from it — joins a stream of
//! that call. Streams are keyed by source, destination and SSRC, as in
//! Wireshark; a new SSRC between the same two addresses is a new stream
//! (counted as an SSRC change). RTP that no SDP announced is counted, and
//! followed as streams of no call only when asked (`heuristic`, like
//! Wireshark's "rtp_udp" heuristic, off by default).
//!
//! Sides: the party whose From tag is the first INVITE's is the caller (A);
//! a request comes from its From party, a response from the other one. An
//! SDP in a message from A describes where A receives, so a stream towards it
//! is callee → caller.
//!
//! Runs on the model thread, in capture order; per packet one hash lookup
//! and the statistics of [`super::stream`]. When the call model closes a call
//! ([`OnCallClosed`]), its media verdict goes into its record and its SDP state,
//! announced addresses and open streams are let go: memory follows the calls
//! open at once, not every call of the capture. A stream of a closed call keeps
//! the call's name and codec for its row; RTP still arriving for it after that
//! (64 s after the call ended) is counted as unannounced. What a call's media amounts to
//! (verdict, MOS) is [`super::verdict`]'s and [`super::quality`]'s.

use super::rtp::{RtcpPacket, RtpPacket};
use super::stream::{Sample, StreamStats};
use crate::model::call::{CallRecord, OnCallClosed};
use crate::model::keys::{key128, KeyMap};
use crate::sdp::{self, Sdp, SdpError};
use crate::sip::SipMessage;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

mod footprint;
pub use footprint::Footprint;

/// A or B: the caller or the callee of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Side {
    Caller,
    Callee,
}

impl Side {
    fn index(self) -> usize {
        match self {
            Side::Caller => 0,
            Side::Callee => 1,
        }
    }
    pub fn other(self) -> Side {
        match self {
            Side::Caller => Side::Callee,
            Side::Callee => Side::Caller,
        }
    }
}

/// What one party's latest SDP said.
#[derive(Clone, Debug, Default)]
pub struct Announced {
    pub sdp: Option<Arc<Sdp>>,
    /// Where its audio is to be sent (c= and m=audio port).
    pub audio: Option<SocketAddr>,
    /// Private c= from a public signalling address.
    pub nat: bool,
    /// The address the SDP came from (signalling).
    pub signalling: Option<IpAddr>,
    /// Frame number of the message that carried it (in its input), and its time.
    pub frame: u64,
    pub ts_ns: i64,
}

impl Announced {
    /// Media line `line` of this party's SDP (the audio line when out of range).
    fn line(&self, line: u8) -> Option<&sdp::Media> {
        let s = self.sdp.as_ref()?;
        s.media.get(usize::from(line)).or_else(|| s.audio())
    }
    /// Payload type numbers this party said it receives on media line `line`.
    pub fn accepts(&self, line: u8, pt: u8) -> bool {
        self.line(line)
            .is_some_and(|m| m.codecs.iter().any(|c| c.pt == pt))
    }
    /// The RTP clock of `pt` by this party's SDP (rtpmap, then RFC 3551); 0 for telephone-event or unknown.
    pub fn clock(&self, line: u8, pt: u8) -> u32 {
        let from_sdp = self
            .line(line)
            .and_then(|m| m.codecs.iter().find(|c| c.pt == pt));
        match from_sdp {
            Some(c) if c.is_telephone_event() => 0,
            Some(c) if c.clock != 0 => c.clock,
            _ => static_clock(pt),
        }
    }
    /// The codec name of `pt` by this party's SDP or RFC 3551.
    pub fn codec_name(&self, line: u8, pt: u8) -> String {
        self.line(line)
            .and_then(|m| m.codecs.iter().find(|c| c.pt == pt))
            .map(|c| c.name.to_string())
            .filter(|n| !n.is_empty())
            .or_else(|| sdp::static_payload(pt).map(|(n, _)| n.to_string()))
            .unwrap_or_else(|| pt.to_string())
    }
}

/// Wireshark's rule for a stream no SDP describes: the static table below 96, nothing for dynamic types.
fn static_clock(pt: u8) -> u32 {
    sdp::static_payload(pt).map_or(0, |(_, c)| c)
}

/// The media side of one Call-ID.
#[derive(Clone, Debug, Default)]
pub struct CallMedia {
    pub call_id: String,
    caller_tag: Box<[u8]>,
    /// Per side (caller, callee): the latest SDP.
    pub sides: [Announced; 2],
    /// The first 2xx to an INVITE (capture time).
    pub answered_ns: Option<i64>,
    /// Offer/answer comparisons that found no common voice codec.
    pub no_common_codec: bool,
    pub audio_refused: bool,
    pub hold: bool,
    /// Indexes into the tracker's streams.
    pub streams: Vec<u32>,
    /// Addresses this call's SDP announced (let go with the call).
    announced: Vec<SocketAddr>,
}

impl CallMedia {
    pub fn side(&self, s: Side) -> &Announced {
        &self.sides[s.index()]
    }
}

/// One stream as the tracker follows it.
#[derive(Clone, Debug)]
pub struct Stream {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub ssrc: u32,
    /// The call (index into the tracker's calls), None for a heuristic stream.
    pub call: Option<u32>,
    /// The side the stream goes towards (its receiver), when of a call.
    pub towards: Option<Side>,
    /// Sent to an address no SDP of its call announced (matched by its source: symmetric RTP
    /// to a NAT's address, ICE candidates, a media relay).
    pub elsewhere: bool,
    /// Which m= line of the receiver's SDP announced it, and whether it is audio.
    pub line: u8,
    pub audio: bool,
    pub stats: StreamStats,
    pub first_pt: u8,
    /// Payload types the receiver's SDP did not list (comfort noise excepted).
    pub unexpected_pts: u128,
    pub first_frame: u64,
    pub last_frame: u64,
    /// The input of the first frame (for `export`).
    pub file: u32,
    /// Cached clock of the last payload type.
    clock_pt: u8,
    clock: u32,
    /// RTCP about this SSRC: the last report block and XR VoIP block received.
    pub rtcp_report: Option<super::rtp::ReportBlock>,
    pub rtcp_xr: Option<super::rtp::XrVoip>,
    /// Which stream of the same source and destination this one follows (an SSRC change).
    pub ssrc_change: bool,
    /// What its row needs of its call, kept when the call was closed (`call` is None then).
    pub closed_call: Option<Box<ClosedCall>>,
}

/// A closed call as its streams' rows name it.
#[derive(Clone, Debug)]
pub struct ClosedCall {
    pub call_id: String,
    /// The stream's codec and packet time by its receiver's SDP.
    pub codec: String,
    pub ptime_ms: f64,
}

/// Counters of what the media layer saw.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct MediaCounts {
    pub rtp_packets: u64,
    pub rtcp_packets: u64,
    /// RTP no SDP announced (not followed unless heuristic streams are on).
    pub rtp_unannounced: u64,
    pub rtcp_unmatched: u64,
    pub sdp_bodies: u64,
    pub sdp_unparsed: u64,
}

/// Follows SDP and RTP over a whole timeline.
#[derive(Default)]
pub struct MediaTracker {
    by_call_id: crate::model::key_table::KeyTable<u32>,
    pub calls: Vec<CallMedia>,
    /// Announced receive addresses → (call, side). Seeded foldhash, not FxHash:
    /// the addresses are whatever a capture's SDP says, and FxHash's are easy to
    /// make collide (the map is only looked into, never walked, so its order is
    /// no one's business).
    endpoints: std::collections::HashMap<SocketAddr, Endpoint, foldhash::fast::RandomState>,
    /// Open streams by (src, dst, SSRC).
    active: KeyMap<u32>,
    /// Streams whose address their call withdrew (moved to T.38, say): they go on if the
    /// same call announces it again, as Wireshark keeps one stream per (src, dst, SSRC).
    dormant: KeyMap<u32>,
    /// (src, dst, SSRC) of RTP no SDP announced, so that its next packets cost one lookup
    /// (forgotten whenever an SDP announces an address: it may be theirs now).
    nobody: KeyMap<()>,
    /// The last SSRC seen per (src, dst, call), to count SSRC changes.
    pair_ssrc: KeyMap<u32>,
    pub streams: Vec<Stream>,
    /// Slots of `calls` let go with their call, to reuse.
    free: Vec<u32>,
    heuristic: bool,
    pub counts: MediaCounts,
    /// Codec names, one copy for all the call records that name them.
    codecs: crate::model::intern::Interner,
    /// The RTP lines of the SDP being read, kept between messages: a vector per SDP
    /// was one of the model thread's allocations per message (issue #16).
    lines: Vec<(SocketAddr, u8, bool)>,
}

/// Whether an m= line's transport carries RTP ("RTP/AVP", "UDP/TLS/RTP/SAVPF", any case),
/// without a copy: uppercasing it allocated twice per SDP on the model thread.
fn carries_rtp(proto: &str) -> bool {
    proto
        .as_bytes()
        .windows(3)
        .any(|w| w.eq_ignore_ascii_case(b"RTP"))
}

#[derive(Clone, Debug)]
struct Endpoint {
    call: u32,
    side: Side,
    line: u8,
    audio: bool,
    /// Streams opened through this address (closed when another call announces it).
    streams: Vec<u32>,
}

/// Writes an address's bytes at `at`; returns the next position.
fn addr_bytes(a: &SocketAddr, out: &mut [u8; 42], at: usize) -> usize {
    let mut n = at;
    match a.ip() {
        IpAddr::V4(v) => {
            for b in v.octets() {
                out[n] = b;
                n += 1;
            }
        }
        IpAddr::V6(v) => {
            for b in v.octets() {
                out[n] = b;
                n += 1;
            }
        }
    }
    for b in a.port().to_be_bytes() {
        out[n] = b;
        n += 1;
    }
    n
}

/// One hash over the addresses (and SSRC) in a stack buffer: no allocation per packet.
fn stream_key(src: &SocketAddr, dst: &SocketAddr, ssrc: Option<u32>) -> u128 {
    let mut b = [0u8; 42];
    let mut n = addr_bytes(src, &mut b, 0);
    n = addr_bytes(dst, &mut b, n);
    if let Some(s) = ssrc {
        for x in s.to_be_bytes() {
            b[n] = x;
            n += 1;
        }
    }
    key128(&[&b[..n]])
}

impl MediaTracker {
    /// `heuristic`: also follow RTP that no SDP announced, as streams of no call.
    pub fn new(heuristic: bool) -> Self {
        MediaTracker {
            heuristic,
            ..Default::default()
        }
    }

    fn call_index(&mut self, key: u128, call_id: &[u8], from_tag: &[u8]) -> u32 {
        if let Some(&i) = self.by_call_id.get(&key) {
            return i;
        }
        let media = CallMedia {
            call_id: String::from_utf8_lossy(call_id).into_owned(),
            caller_tag: from_tag.into(),
            ..Default::default()
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.calls[i as usize] = media;
                i
            }
            None => {
                self.calls.push(media);
                self.calls.len() as u32 - 1
            }
        };
        self.by_call_id.insert(key, i);
        i
    }

    /// Whether [`MediaTracker::on_sip_taking`] looks at `m`'s call: it carries SDP, or answers.
    fn may_look(m: &SipMessage) -> bool {
        m.sdp().is_some() || m.status().is_some()
    }

    /// Starts loading the table entry of a message's Call-ID (a cache hint).
    pub fn prefetch_entry(&self, m: &SipMessage) {
        if let (true, Some(key)) = (Self::may_look(m), m.ids().call) {
            self.by_call_id.prefetch(key);
        }
    }

    /// Starts loading the media record of a message's call, if it has one (a cache hint).
    pub fn prefetch_call(&self, m: &SipMessage) {
        if !Self::may_look(m) {
            return;
        }
        if let Some(c) = m
            .ids()
            .call
            .and_then(|k| self.by_call_id.get(&k))
            .and_then(|&i| self.calls.get(i as usize))
        {
            crate::prefetch::record(c);
        }
    }

    /// The media side of a Call-ID, if it carried SDP (and its call is not closed yet).
    pub fn call(&self, call_id: &str) -> Option<&CallMedia> {
        self.call_by_key(key128(&[call_id.as_bytes()]))
    }

    /// [`MediaTracker::call`] by `key128` of the Call-ID's bytes.
    pub fn call_by_key(&self, key: u128) -> Option<&CallMedia> {
        let i = *self.by_call_id.get(&key)?;
        self.calls.get(i as usize)
    }

    /// The call a stream belongs to, its codec and packet time (by its receiver's SDP):
    /// what the stream's row and MOS are reckoned with.
    pub fn stream_call<'a>(&'a self, st: &'a Stream) -> (Option<&'a str>, String, f64) {
        if let Some(c) = &st.closed_call {
            return (Some(&c.call_id), c.codec.clone(), c.ptime_ms);
        }
        let call = st.call.and_then(|c| self.calls.get(c as usize));
        let receiver = call.zip(st.towards).map(|(c, s)| c.side(s));
        let codec = receiver.map_or_else(
            || {
                sdp::static_payload(st.first_pt)
                    .map_or_else(|| st.first_pt.to_string(), |(n, _)| n.to_string())
            },
            |a| a.codec_name(st.line, st.first_pt),
        );
        let ptime = receiver
            .and_then(|a| a.sdp.as_ref()?.media.get(usize::from(st.line))?.ptime)
            .map_or(super::quality::DEFAULT_PTIME_MS, f64::from);
        (call.map(|c| c.call_id.as_str()), codec, ptime)
    }

    /// A closed call's SDP state, addresses and open streams are let go; its
    /// streams keep what their rows need.
    fn retire(&mut self, key: u128) {
        let Some(i) = self.by_call_id.remove(&key) else {
            return;
        };
        let Some(slot) = self.calls.get_mut(i as usize) else {
            return;
        };
        let c = std::mem::take(slot);
        for addr in &c.announced {
            if self.endpoints.get(addr).is_some_and(|e| e.call == i) {
                self.endpoints.remove(addr);
            }
        }
        for &s in &c.streams {
            let Some(st) = self.streams.get(s as usize) else {
                continue;
            };
            let (_, codec, ptime_ms) = self.stream_call(st);
            let k = stream_key(&st.src, &st.dst, Some(st.ssrc));
            self.active.remove(&k);
            self.dormant.remove(&k);
            self.pair_ssrc
                .remove(&stream_key(&st.src, &st.dst, Some(i)));
            if let Some(st) = self.streams.get_mut(s as usize) {
                st.call = None;
                st.closed_call = Some(Box::new(ClosedCall {
                    call_id: c.call_id.clone(),
                    codec,
                    ptime_ms,
                }));
            }
        }
        self.free.push(i);
    }

    /// A SIP message: answers noted, SDP bodies read and their addresses announced.
    pub fn on_sip(&mut self, m: &SipMessage) {
        self.on_sip_with(m, m.sdp().cloned());
    }

    /// [`MediaTracker::on_sip`] for a message the caller is done with: its SDP is
    /// moved out of it, not shared. The SDP's reference count was made on a
    /// decoding thread and sits in that core's cache: cloning it here and dropping
    /// the message's share were two cache misses, a quarter of this step's time on
    /// a SIP-heavy capture (issue #16).
    pub fn on_sip_taking(&mut self, m: &mut SipMessage) {
        let sdp = m.take_sdp();
        self.on_sip_with(m, sdp);
    }

    fn on_sip_with(&mut self, m: &SipMessage, body: Option<Result<Arc<Sdp>, SdpError>>) {
        let Some(call_id) = m.call_id() else { return };
        let is_invite_2xx = m.status().is_some_and(|s| (200..300).contains(&s))
            && m.cseq().is_some_and(|c| c.1 == b"INVITE");
        if body.is_none() && !is_invite_2xx {
            return;
        }
        let from_tag = m.from_tag().unwrap_or_default();
        let key = m.ids().call.unwrap_or_else(|| key128(&[call_id]));
        // Answers of calls that never carried SDP are not worth a record: only calls with SDP get one.
        if body.is_none() && !self.by_call_id.contains_key(&key) {
            return;
        }
        let ci = self.call_index(key, call_id, from_tag);
        let Some(call) = self.calls.get_mut(ci as usize) else {
            return;
        };
        if is_invite_2xx && call.answered_ns.is_none() {
            call.answered_ns = Some(m.ts_ns);
        }
        let Some(body) = body else { return };
        self.counts.sdp_bodies += 1;
        let Ok(sdp) = body else {
            self.counts.sdp_unparsed += 1;
            return;
        };
        let from_caller = from_tag == &*call.caller_tag;
        let side = match (m.is_request(), from_caller) {
            (true, true) | (false, false) => Side::Caller,
            _ => Side::Callee,
        };
        // The first audio line, looked for once (by name, case-insensitively).
        let audio_line = sdp.audio();
        let audio = audio_line.and_then(|a| {
            let ip = sdp.address(a)?;
            (a.port != 0 && !ip.is_unspecified()).then_some(SocketAddr::new(ip, a.port))
        });
        let other = &call.sides[side.other().index()];
        if let Some(theirs) = &other.sdp {
            // The other side spoke first: this is its answer (or a new offer; the comparison is the same).
            let n = sdp::negotiate(theirs, &sdp);
            call.no_common_codec |= n.no_common_codec;
            call.audio_refused |= n.audio_refused;
        }
        // Hold: a side that had offered media before now sends none (sendonly/inactive), or
        // 0.0.0.0 (RFC 2543). A first offer of recvonly/sendonly is a one-way session, not a hold.
        let had_sdp = call.sides[side.index()].sdp.is_some();
        let null_addr = audio_line
            .and_then(|a| sdp.address(a))
            .is_some_and(|a| a.is_unspecified());
        let inactive = audio_line.is_some_and(|a| sdp.direction(a) == sdp::Direction::Inactive);
        call.hold |= null_addr || inactive || (had_sdp && sdp.on_hold());
        let nat = sdp::nat_suspected(&sdp, m.src.ip());
        // Addresses this SDP gives to something else than RTP (T.38 over UDPTL): what comes to
        // them from now on is not RTP of this call (Wireshark hands them to the new protocol).
        let not_rtp: Vec<SocketAddr> = sdp
            .media
            .iter()
            .filter(|ml| ml.port != 0 && !carries_rtp(&ml.proto))
            .filter_map(|ml| Some(SocketAddr::new(sdp.address(ml)?, ml.port)))
            .collect();
        let mut lines = std::mem::take(&mut self.lines);
        lines.clear();
        lines.extend(sdp.media.iter().enumerate().filter_map(|(i, ml)| {
            let ip = sdp.address(ml)?;
            (ml.port != 0 && !ip.is_unspecified() && carries_rtp(&ml.proto)).then(|| {
                let audio = ml.kind.eq_ignore_ascii_case("audio");
                (SocketAddr::new(ip, ml.port), i as u8, audio)
            })
        }));
        call.sides[side.index()] = Announced {
            sdp: Some(sdp),
            audio,
            nat,
            signalling: Some(m.src.ip()),
            frame: m.origin.frame,
            ts_ns: m.ts_ns,
        };
        // An address moved elsewhere keeps its streams (Wireshark's conversations stay RTP too).
        for addr in not_rtp {
            self.withdraw(addr, ci);
        }
        for &(addr, line, is_audio) in &lines {
            self.announce(addr, ci, side, line, is_audio);
        }
        self.lines = lines;
    }

    /// `addr` no longer belongs to `call`: its streams are closed and the address forgotten.
    fn withdraw(&mut self, addr: SocketAddr, call: u32) {
        if self.endpoints.get(&addr).is_some_and(|e| e.call == call) {
            if let Some(e) = self.endpoints.remove(&addr) {
                for &s in &e.streams {
                    if let Some(st) = self.streams.get(s as usize) {
                        let k = stream_key(&st.src, &st.dst, Some(st.ssrc));
                        if let Some(i) = self.active.remove(&k) {
                            self.dormant.insert(k, i);
                        }
                    }
                }
            }
        }
    }

    fn close(&mut self, streams: &[u32]) {
        for &s in streams {
            if let Some(st) = self.streams.get(s as usize) {
                let k = stream_key(&st.src, &st.dst, Some(st.ssrc));
                self.active.remove(&k);
                self.dormant.remove(&k);
            }
        }
    }

    /// `addr` now belongs to (call, side): streams another call opened through it are closed.
    fn announce(&mut self, addr: SocketAddr, call: u32, side: Side, line: u8, audio: bool) {
        self.nobody.clear();
        let e = self.endpoints.entry(addr).or_insert(Endpoint {
            call,
            side,
            line,
            audio,
            streams: Vec::new(),
        });
        let closed = if e.call != call {
            std::mem::take(&mut e.streams)
        } else {
            Vec::new()
        };
        e.call = call;
        e.side = side;
        e.line = line;
        e.audio = audio;
        self.close(&closed);
        if let Some(c) = self.calls.get_mut(call as usize) {
            if !c.announced.contains(&addr) {
                c.announced.push(addr);
            }
        }
    }

    /// An RTP packet; returns the Call-ID of the call it belongs to, if any (for `export`).
    pub fn on_rtp(&mut self, p: &RtpPacket) -> Option<&str> {
        self.counts.rtp_packets += 1;
        let key = stream_key(&p.src, &p.dst, Some(p.ssrc));
        let idx = match self.active.get(&key) {
            Some(&idx) => {
                self.on_rtp_in(idx, p);
                idx
            }
            // A new stream starts with this packet (its first sample), or it is nobody's.
            None if self.nobody.contains_key(&key) => {
                self.counts.rtp_unannounced += 1;
                return None;
            }
            None => match self.open(p, key) {
                Some(idx) => idx,
                None => {
                    self.counts.rtp_unannounced += 1;
                    self.nobody.insert(key, ());
                    return None;
                }
            },
        };
        self.call_of_stream(idx)
    }

    fn call_of_stream(&self, idx: u32) -> Option<&str> {
        let call = self.streams.get(idx as usize)?.call?;
        self.calls.get(call as usize).map(|c| c.call_id.as_str())
    }

    /// A packet of stream `idx`.
    fn on_rtp_in(&mut self, idx: u32, p: &RtpPacket) {
        let Some(st) = self.streams.get_mut(idx as usize) else {
            return;
        };
        if st.clock_pt != p.pt {
            st.clock_pt = p.pt;
            st.clock =
                receiver(&self.calls, st).map_or(static_clock(p.pt), |a| a.clock(st.line, p.pt));
            if let Some(a) = receiver(&self.calls, st) {
                if a.sdp.is_some() && !a.accepts(st.line, p.pt) && p.pt != 13 {
                    st.unexpected_pts |= 1u128 << p.pt;
                }
            }
        }
        st.last_frame = p.origin.frame;
        st.stats.push(&Sample {
            ts_ns: p.ts_ns,
            seq: p.seq,
            timestamp: p.timestamp,
            pt: p.pt,
            marker: p.marker,
            clock: st.clock,
        });
    }

    /// A packet of no open stream: a stream of an announced address, a heuristic one, or nothing.
    fn open(&mut self, p: &RtpPacket, key: u128) -> Option<u32> {
        let elsewhere = !self.endpoints.contains_key(&p.dst);
        let via = if let Some(e) = self.endpoints.get(&p.dst) {
            Some((p.dst, e.call, e.side, e.line, e.audio))
        } else {
            self.endpoints
                .get(&p.src)
                .map(|e| (p.src, e.call, e.side.other(), e.line, e.audio))
        };
        if via.is_none() && !self.heuristic {
            return None;
        }
        // The same call announced the address again: its stream goes on.
        if let Some(&i) = self.dormant.get(&key) {
            let same_call = self
                .streams
                .get(i as usize)
                .is_some_and(|s| s.call == via.map(|v| v.1));
            if same_call {
                self.dormant.remove(&key);
                self.active.insert(key, i);
                if let Some((addr, ..)) = via {
                    if let Some(e) = self.endpoints.get_mut(&addr) {
                        e.streams.push(i);
                    }
                }
                self.on_rtp_in(i, p);
                return Some(i);
            }
        }
        let idx = self.streams.len() as u32;
        // Per call: SIPp reuses ports and SSRCs call after call, which is no SSRC change.
        let pair = stream_key(&p.src, &p.dst, Some(via.map_or(u32::MAX, |v| v.1)));
        let ssrc_change = self
            .pair_ssrc
            .insert(pair, p.ssrc)
            .is_some_and(|old| old != p.ssrc);
        let mut st = Stream {
            src: p.src,
            dst: p.dst,
            ssrc: p.ssrc,
            call: via.map(|v| v.1),
            towards: via.map(|v| v.2),
            elsewhere,
            line: via.map_or(0, |v| v.3),
            audio: via.is_none_or(|v| v.4),
            stats: StreamStats::default(),
            first_pt: p.pt,
            unexpected_pts: 0,
            first_frame: p.origin.frame,
            last_frame: p.origin.frame,
            file: p.origin.file,
            clock_pt: p.pt,
            clock: 0,
            rtcp_report: None,
            rtcp_xr: None,
            ssrc_change,
            closed_call: None,
        };
        st.clock =
            receiver(&self.calls, &st).map_or(static_clock(p.pt), |a| a.clock(st.line, p.pt));
        if let Some(a) = receiver(&self.calls, &st) {
            if a.sdp.is_some() && !a.accepts(st.line, p.pt) && p.pt != 13 {
                st.unexpected_pts |= 1u128 << p.pt;
            }
        }
        st.stats = StreamStats::new(&Sample {
            ts_ns: p.ts_ns,
            seq: p.seq,
            timestamp: p.timestamp,
            pt: p.pt,
            marker: p.marker,
            clock: st.clock,
        });
        if let Some((addr, call, ..)) = via {
            if let Some(e) = self.endpoints.get_mut(&addr) {
                e.streams.push(idx);
            }
            if let Some(c) = self.calls.get_mut(call as usize) {
                c.streams.push(idx);
            }
        }
        self.streams.push(st);
        self.active.insert(key, idx);
        Some(idx)
    }

    /// RTCP: its reports are kept on the stream of the SSRC they are about. Returns the
    /// Call-ID of the call whose announced RTP port ± 1 it was sent to or from (for `export`).
    pub fn on_rtcp(&mut self, p: &RtcpPacket) -> Option<&str> {
        self.counts.rtcp_packets += 1;
        let near = |a: SocketAddr| SocketAddr::new(a.ip(), a.port().wrapping_sub(1));
        let call = [p.dst, p.src, near(p.dst), near(p.src)]
            .iter()
            .find_map(|a| self.endpoints.get(a))
            .map(|e| e.call);
        self.rtcp_reports(p);
        let c = self.calls.get(call? as usize)?;
        Some(c.call_id.as_str())
    }

    fn rtcp_reports(&mut self, p: &RtcpPacket) {
        let about = p.report.map(|r| r.ssrc).or(p.xr.map(|x| x.ssrc));
        let Some(ssrc) = about else { return };
        // The reported stream flows towards the RTCP's sender: its RTP source is the RTCP's
        // destination (port − 1 by RFC 3550 §11), its RTP destination the RTCP's source.
        let rtp = |a: SocketAddr| SocketAddr::new(a.ip(), a.port().wrapping_sub(1));
        // One side may multiplex RTCP on its RTP port (RFC 5761) while the other uses port + 1.
        let candidates = [
            stream_key(&rtp(p.dst), &rtp(p.src), Some(ssrc)),
            stream_key(&p.dst, &p.src, Some(ssrc)),
            stream_key(&rtp(p.dst), &p.src, Some(ssrc)),
            stream_key(&p.dst, &rtp(p.src), Some(ssrc)),
        ];
        let Some(&i) = candidates.iter().find_map(|k| self.active.get(k)) else {
            self.counts.rtcp_unmatched += 1;
            return;
        };
        if let Some(st) = self.streams.get_mut(i as usize) {
            if p.report.is_some() {
                st.rtcp_report = p.report;
                st.stats.note_report();
            }
            if p.xr.is_some() {
                st.rtcp_xr = p.xr;
            }
        }
    }

    /// Calls whose media state is held (not closed yet), and announced addresses:
    /// what the tracker holds at a moment (`SIPSLEUTH_STAGE_TIMES` prints it at the end).
    pub fn held(&self) -> (usize, usize) {
        (self.by_call_id.len(), self.endpoints.len())
    }

    /// Bytes of state per stream (for the benchmark's line).
    pub fn bytes_per_stream() -> usize {
        std::mem::size_of::<Stream>()
    }
}

/// The model closed a call: its media is judged into its record (whether the
/// capture holds RTP at all is known only at its end: `summary` completes the
/// verdict of calls without SDP then), and its state let go.
impl OnCallClosed for MediaTracker {
    fn call_closed(&mut self, call_id_key: u128, record: Option<&mut CallRecord>) {
        if let Some(r) = record {
            // Taken out for the call: `judge` reads the tracker as a whole.
            let mut codecs = std::mem::take(&mut self.codecs);
            r.media =
                super::verdict::judge(r, self.call_by_key(call_id_key), self, false, &mut codecs);
            self.codecs = codecs;
        }
        self.retire(call_id_key);
    }

    fn may_close(&self, call_id_key: u128) {
        self.by_call_id.prefetch(call_id_key);
    }

    fn may_close_soon(&self, call_id_key: u128) {
        if let Some(c) = self
            .by_call_id
            .get(&call_id_key)
            .and_then(|&i| self.calls.get(i as usize))
        {
            crate::prefetch::record(c);
        }
    }
}

/// What the receiver of a stream announced.
fn receiver<'a>(calls: &'a [CallMedia], st: &Stream) -> Option<&'a Announced> {
    let c = calls.get(st.call? as usize)?;
    Some(c.side(st.towards?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_msg::msg;
    use crate::sip::Origin;

    fn rtp(src: &str, dst: &str, ssrc: u32, seq: u16, ms: i64, pt: u8) -> RtpPacket {
        RtpPacket {
            ts_ns: ms * 1_000_000,
            origin: Origin {
                file: 0,
                frame: seq as u64,
            },
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            ssrc,
            seq,
            timestamp: u32::from(seq) * 160,
            pt,
            marker: false,
            payload_len: 160,
        }
    }

    #[test]
    fn rtp_transports_are_recognised_in_any_case_without_a_copy() {
        for p in [
            "RTP/AVP",
            "rtp/avp",
            "UDP/TLS/RTP/SAVPF",
            "RTP/SAVP",
            "udp/tls/rtp/savpf",
        ] {
            assert!(carries_rtp(p), "{p}");
        }
        for p in ["udptl", "UDPTL", "TCP/MSRP", "", "RT", "TCP/BFCP"] {
            assert!(!carries_rtp(p), "{p}");
        }
    }

    fn with_sdp(
        first_line: &str,
        from_tag: &str,
        to_tag: &str,
        cseq: &str,
        ip: &str,
        port: u16,
        pts: &str,
    ) -> String {
        let body = format!(
            "v=0\no=- 1 1 IN IP4 {ip}\ns=-\nc=IN IP4 {ip}\nt=0 0\nm=audio {port} RTP/AVP {pts}\n"
        );
        // msg() turns each LF into CRLF: the length counts the CRs it adds.
        let len = body.len() + body.matches('\n').count();
        format!(
            "{first_line}\nVia: SIP/2.0/UDP {ip}:5060;branch=z9hG4bK1\nFrom: <sip:a@x>;tag={from_tag}\nTo: <sip:b@x>{to_tag}\n\
Call-ID: c1\nCSeq: {cseq}\nContent-Type: application/sdp\nContent-Length: {len}\n\n{body}"
        )
    }

    fn call_setup(t: &mut MediaTracker) {
        let invite = with_sdp(
            "INVITE sip:b@x SIP/2.0",
            "A",
            "",
            "1 INVITE",
            "192.0.2.1",
            4000,
            "0 101",
        );
        let ok = with_sdp(
            "SIP/2.0 200 OK",
            "A",
            ";tag=B",
            "1 INVITE",
            "192.0.2.2",
            5000,
            "0",
        );
        t.on_sip(&msg(0, "192.0.2.1:5060", "192.0.2.2:5060", &invite));
        t.on_sip(&msg(100_000_000, "192.0.2.2:5060", "192.0.2.1:5060", &ok));
    }

    /// Issue #16: every call's SDP and addresses were kept to the end of the capture
    /// (a 1 GB load test held 370 MB more than before media analysis).
    #[test]
    fn media_state_is_let_go_when_the_call_closes_and_its_verdict_kept() {
        use crate::model::Model;
        let mut t = MediaTracker::new(false);
        let mut model = Model::default();
        let invite = with_sdp(
            "INVITE sip:b@x SIP/2.0",
            "A",
            "",
            "1 INVITE",
            "192.0.2.1",
            4000,
            "0",
        );
        let ok = with_sdp(
            "SIP/2.0 200 OK",
            "A",
            ";tag=B",
            "1 INVITE",
            "192.0.2.2",
            5000,
            "0",
        );
        let plain = |first: &str, branch: &str, cseq: &str| {
            format!(
                "{first}\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch={branch}\nFrom: <sip:a@x>;tag=A\n\
To: <sip:b@x>;tag=B\nCall-ID: c1\nCSeq: {cseq}\nContent-Length: 0\n\n"
            )
        };
        let (a, b) = ("192.0.2.1:5060", "192.0.2.2:5060");
        let mut feed = |t: &mut MediaTracker, ms: i64, src: &str, dst: &str, text: &str| {
            let m = msg(ms * 1_000_000, src, dst, text);
            model.on_message_closing(&m, t);
            t.on_sip(&m);
        };
        feed(&mut t, 0, a, b, &invite);
        feed(&mut t, 100, b, a, &ok);
        feed(
            &mut t,
            110,
            a,
            b,
            &plain("ACK sip:b@x SIP/2.0", "z9hG4bK3", "1 ACK"),
        );
        for i in 0..10u16 {
            let ms = 200 + i64::from(i) * 20;
            t.on_rtp(&rtp("192.0.2.1:4000", "192.0.2.2:5000", 1, i, ms, 0));
            t.on_rtp(&rtp("192.0.2.2:5000", "192.0.2.1:4000", 2, i, ms, 0));
        }
        feed(
            &mut t,
            1_000,
            a,
            b,
            &plain("BYE sip:b@x SIP/2.0", "z9hG4bK2", "2 BYE"),
        );
        feed(
            &mut t,
            1_010,
            b,
            a,
            &plain("SIP/2.0 200 OK", "z9hG4bK2", "2 BYE"),
        );
        assert_eq!(t.held(), (1, 2), "held while the call is open");
        // Any message 64 s later sweeps the call closed.
        let later = "OPTIONS sip:b@x SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK9\n\
From: <sip:a@x>;tag=Z\nTo: <sip:b@x>\nCall-ID: other\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n";
        feed(&mut t, 70_000, a, b, later);
        assert_eq!(t.held(), (0, 0), "SDP state and addresses let go");
        assert!(t.call("c1").is_none());
        // The stream rows still name the call and its codec.
        let rows = crate::media::stream_rows(&t);
        assert_eq!(rows.len(), 2);
        assert!(rows
            .iter()
            .all(|r| r.call_id.as_deref() == Some("c1") && r.codec == "PCMU"));
        // RTP to the closed call's address is nobody's now.
        t.on_rtp(&rtp("192.0.2.1:4000", "192.0.2.2:5000", 1, 99, 71_000, 0));
        assert_eq!(t.counts.rtp_unannounced, 1);
        // The record got its verdict as the call closed.
        let out = model.finish_closing(Some(71_000_000_000), &mut t);
        let media = out.calls[0].media.as_ref().expect("judged at close");
        assert_eq!(media.verdict, Some(super::super::Verdict::Ok));
        assert_eq!(
            (media.to_callee().packets, media.to_caller().packets),
            (10, 10)
        );
    }

    #[test]
    fn rtp_to_announced_addresses_joins_the_call_by_direction() {
        let mut t = MediaTracker::new(false);
        call_setup(&mut t);
        for i in 0..10 {
            t.on_rtp(&rtp(
                "192.0.2.1:4000",
                "192.0.2.2:5000",
                1,
                i,
                200 + i as i64 * 20,
                0,
            ));
            t.on_rtp(&rtp(
                "192.0.2.2:5000",
                "192.0.2.1:4000",
                2,
                i,
                200 + i as i64 * 20,
                0,
            ));
        }
        // Unannounced RTP is counted, not followed.
        t.on_rtp(&rtp("192.0.2.9:7000", "192.0.2.8:7002", 3, 0, 300, 0));
        let c = t.call("c1").unwrap();
        assert_eq!(c.answered_ns, Some(100_000_000));
        assert_eq!(c.streams.len(), 2);
        let to_callee = &t.streams[c.streams[0] as usize];
        assert_eq!(
            (to_callee.towards, to_callee.stats.packets),
            (Some(Side::Callee), 10)
        );
        assert_eq!(t.streams[c.streams[1] as usize].towards, Some(Side::Caller));
        assert_eq!(t.counts.rtp_unannounced, 1);
        assert!(!c.no_common_codec);
    }

    #[test]
    fn a_payload_type_the_receiver_did_not_list_is_unexpected() {
        let mut t = MediaTracker::new(false);
        call_setup(&mut t);
        // Towards the callee, which listed only 0.
        t.on_rtp(&rtp("192.0.2.1:4000", "192.0.2.2:5000", 1, 0, 200, 8));
        let s = &t.streams[0];
        assert_eq!(s.unexpected_pts, 1 << 8);
    }

    #[test]
    fn symmetric_rtp_from_a_nat_address_matches_by_source() {
        let mut t = MediaTracker::new(false);
        call_setup(&mut t);
        // The callee's media comes from its announced address to the caller's public (NAT) address.
        t.on_rtp(&rtp("192.0.2.2:5000", "203.0.113.50:31000", 7, 0, 200, 0));
        assert_eq!(t.streams[0].towards, Some(Side::Caller));
    }

    #[test]
    fn heuristic_streams_only_when_asked() {
        let mut t = MediaTracker::new(true);
        t.on_rtp(&rtp("192.0.2.9:7000", "192.0.2.8:7002", 3, 0, 300, 0));
        assert_eq!((t.streams.len(), t.streams[0].call), (1, None));
    }
}
