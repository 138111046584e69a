//! TCP byte streams, one per direction, framed into SIP messages.
//!
//! Per direction: wrapping sequence arithmetic; segments ahead of the next
//! expected byte wait in an ordered map; bytes already delivered are
//! retransmissions (first copy wins); when the waiting data passes a bound, the
//! gap is given up on and the stream resynchronises on the next SIP start line.
//! Data is delivered in sequence order whatever the ACKs say (a capture may miss
//! them). On top, SIP framing by Content-Length (several messages per segment,
//! one message over many) and, after an HTTP Upgrade or when frames are seen
//! mid-connection, WebSocket frames carrying one SIP message each.
//!
//! Frame accounting: a segment whose bytes wait in a stream is counted when the
//! stream resolves them — as the frame that completed a message, as part of a
//! message completed later, as non-SIP, or as never completed.
//!
//! Frame lists: each stream remembers which frame brought which of its
//! buffered bytes, so every message names all the segments it was cut from
//! (`SipMessage::frames`, for `export`). That record is bounded per stream;
//! past the bound, new segments are merged into the last entry and counted.

use super::websocket::{self, WsState, WsStep};
use super::Item;
use crate::accounting::{Bucket, FrameCounts};
use crate::decode::Segment;
use crate::sip::scan::{find_start_line, scan, Mode, ScanError, MAX_HEADERS};
use crate::sip::{
    Carriage, Frames, MalformedSip, Origin, SipMessage, Transport, MAX_FRAMES_PER_MESSAGE,
};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;

#[derive(Clone, Copy, Debug)]
pub struct TcpLimits {
    /// Bytes waiting beyond a gap in one direction before the gap is skipped.
    pub max_out_of_order_per_stream: usize,
    /// Bytes waiting beyond gaps across all streams.
    pub max_out_of_order_total: usize,
    /// Streams tracked at once (the least recently active are resolved first).
    pub max_streams: usize,
    /// A stream idle this long (capture time) is resolved and forgotten.
    pub idle_timeout_ns: i64,
    /// Largest message passed on: a longer body is cut (headers kept) and counted
    /// in [`TcpStats::bodies_truncated`]. Messages are queued between threads and
    /// held by the analysis; without this, 240 INVITEs with 15 MB bodies held 5 GB.
    pub max_message_bytes: usize,
}

impl Default for TcpLimits {
    fn default() -> Self {
        TcpLimits {
            max_out_of_order_per_stream: 1 << 20,
            max_out_of_order_total: 256 << 20,
            max_streams: 1 << 20,
            idle_timeout_ns: 600_000_000_000,
            max_message_bytes: 1 << 20,
        }
    }
}

#[derive(Default, Debug, Clone, serde::Serialize)]
pub struct TcpStats {
    pub streams: u64,
    pub messages: u64,
    pub websocket_messages: u64,
    pub gaps_skipped: u64,
    pub bytes_lost_in_gaps: u64,
    pub non_sip_bytes_skipped: u64,
    pub retransmitted_segments: u64,
    pub out_of_order_segments: u64,
    pub streams_evicted: u64,
    /// Streams forgotten [`CLOSED_LINGER_NS`] after their FIN or RST.
    pub streams_closed: u64,
    pub incomplete_at_end: u64,
    /// Segments whose sequence number jumped beyond any window: a new connection on the same ports.
    pub sequence_jumps: u64,
    /// Messages whose body was cut to [`TcpLimits::max_message_bytes`], and the bytes cut.
    pub bodies_truncated: u64,
    pub body_bytes_truncated: u64,
}

/// A segment further than this from the next expected byte is not part of the same byte stream
/// (ports reused by a new connection whose SYN was not captured, or two captures spliced).
const MAX_SEQ_DISTANCE: i64 = 16 << 20;

/// A direction that sent FIN or RST is forgotten this long after (capture time),
/// once quiet as long: late retransmissions still find it. Without this, a load
/// test with a connection per call held every closed connection until the
/// 10-minute idle sweep, about 4 KB each (issue #16).
pub const CLOSED_LINGER_NS: i64 = 30_000_000_000;

impl TcpStats {
    pub fn merge(&mut self, o: &TcpStats) {
        self.streams += o.streams;
        self.messages += o.messages;
        self.websocket_messages += o.websocket_messages;
        self.gaps_skipped += o.gaps_skipped;
        self.bytes_lost_in_gaps += o.bytes_lost_in_gaps;
        self.non_sip_bytes_skipped += o.non_sip_bytes_skipped;
        self.retransmitted_segments += o.retransmitted_segments;
        self.out_of_order_segments += o.out_of_order_segments;
        self.streams_evicted += o.streams_evicted;
        self.streams_closed += o.streams_closed;
        self.incomplete_at_end += o.incomplete_at_end;
        self.sequence_jumps += o.sequence_jumps;
        self.bodies_truncated += o.bodies_truncated;
        self.body_bytes_truncated += o.body_bytes_truncated;
    }
}

type Key = (SocketAddr, SocketAddr);

#[derive(Default)]
struct Stream {
    /// Next expected sequence number, once known.
    next_seq: Option<u32>,
    /// Bytes delivered in order and not yet framed.
    buf: Vec<u8>,
    /// Segments past a gap, by sequence offset from `next_seq`'s stream position.
    ooo: BTreeMap<u64, (Vec<u8>, u64, At)>,
    ooo_bytes: usize,
    /// Stream position (bytes delivered so far) of `next_seq`.
    pos: u64,
    /// Frames whose bytes are in `buf` and are not yet counted.
    pending_frames: u64,
    /// Which frame brought which bytes of `buf`, in stream order (bounded: see [`Carrier`]).
    carriers: VecDeque<Carrier>,
    ws: Option<WsState>,
    /// The newest frame whose bytes reached `buf`: messages completed now carry its time and number.
    latest: At,
    last_ts: i64,
    tunnelled: bool,
    /// Where the last scan of an incomplete message stopped, so that the next
    /// segment resumes there instead of re-scanning the whole header section.
    wait: Option<Wait>,
    /// When this direction sent FIN or RST (cleared by a new SYN).
    closed_ts: Option<i64>,
}

/// An incomplete message at stream position `start`, and what must arrive before
/// a new scan of it can tell more. Without it, a header section growing by one
/// byte per segment was scanned whole per segment (2× input, 4.3× time).
#[derive(Clone, Copy, Debug)]
struct Wait {
    /// Stream position of the message's first byte.
    start: u64,
    /// Headers not ended yet: the buffer (from `start`) was searched for the
    /// blank line up to here. Headers ended: the message's whole length.
    upto: usize,
    headers_ended: bool,
}

impl Wait {
    /// After a scan said the message at `buf[0]` (stream position `start`) is
    /// incomplete: what to wait for. None when the start line itself is still
    /// arriving (bounded by the scanner at 8 KiB; scanned again each time).
    fn after(start: u64, buf: &[u8]) -> Option<Wait> {
        let first_nl = memchr::memchr(b'\n', buf)?;
        match header_end(buf, first_nl) {
            None => Some(Wait {
                start,
                upto: buf.len(),
                headers_ended: false,
            }),
            Some(h) => {
                let head = scan(buf.get(..h)?, Mode::Datagram).ok()?;
                let total = h.checked_add(head.content_length? as usize)?;
                Some(Wait {
                    start,
                    upto: total,
                    headers_ended: true,
                })
            }
        }
    }

    /// Whether the message at `buf[0]` may now scan differently; searches only the
    /// bytes that came since the last look.
    fn ready(&mut self, buf: &[u8]) -> bool {
        if self.headers_ended {
            return buf.len() >= self.upto;
        }
        if buf.len() > MAX_HEADERS {
            return true; // the scanner now says "too large"
        }
        // Back up over a line end split across segments ("\n" then "\r\n").
        let from = self.upto.saturating_sub(2);
        self.upto = buf.len();
        header_end(buf, from).is_some()
    }
}

/// Where the header section of the message in `buf` ends (just past its blank
/// line), searching from `from`, which must be at or after the start line's end.
fn header_end(buf: &[u8], from: usize) -> Option<usize> {
    let tail = buf.get(from..)?;
    memchr::memchr_iter(b'\n', tail).find_map(|i| match tail.get(i + 1..) {
        Some([b'\n', ..]) => Some(from + i + 2),
        Some([b'\r', b'\n', ..]) => Some(from + i + 3),
        _ => None,
    })
}

/// The stream bytes `start..end` (stream positions) came in frame `origin`.
/// When a stream holds [`MAX_FRAMES_PER_MESSAGE`] of these, a new segment's
/// bytes extend the last one instead and `merged` counts it, so that one
/// message cut into thousands of tiny segments costs bounded memory.
#[derive(Clone, Copy, Debug)]
struct Carrier {
    start: u64,
    end: u64,
    origin: Origin,
    merged: u32,
}

pub struct TcpReassembler {
    /// foldhash, seeded per process: SipHash was 1 % of a SIP-heavy run, on the one
    /// thread that reassembles; an unseeded hash (FxHash) would let a capture's
    /// author make every stream's key collide. Settled in sorted order, never in
    /// the map's.
    streams: HashMap<Key, Stream, foldhash::fast::RandomState>,
    limits: TcpLimits,
    ooo_total: usize,
    last_sweep_ts: i64,
    pub stats: TcpStats,
}

/// Where a frame is, for records emitted while it is processed.
#[derive(Clone, Copy, Debug, Default)]
pub struct At {
    pub ts_ns: i64,
    pub origin: Origin,
}

impl TcpReassembler {
    pub fn new(limits: TcpLimits) -> Self {
        TcpReassembler {
            streams: HashMap::default(),
            limits,
            ooo_total: 0,
            last_sweep_ts: i64::MIN,
            stats: TcpStats::default(),
        }
    }

    /// Takes one segment. Counts the frame in `counts` now or, if its bytes wait
    /// in the stream, when they are resolved.
    pub fn segment(
        &mut self,
        seg: &Segment<'_>,
        at: At,
        out: &mut Vec<Item>,
        counts: &mut FrameCounts,
    ) {
        self.sweep(at.ts_ns, out, counts);
        let key = (seg.src, seg.dst);
        if !self.streams.contains_key(&key) {
            if self.streams.len() >= self.limits.max_streams {
                self.evict_least_recent(out, counts);
            }
            self.stats.streams += 1;
        }
        let st = self.streams.entry(key).or_default();
        st.last_ts = at.ts_ns;
        st.tunnelled |= seg.ctx.tunnelled;
        if seg.fin || seg.rst {
            st.closed_ts.get_or_insert(at.ts_ns);
        }
        let mut seq = seg.seq;
        if seg.syn {
            st.closed_ts = None;
            // A new connection on this 4-tuple: settle what the old one left.
            if !st.buf.is_empty() || !st.ooo.is_empty() {
                Self::resolve_leftovers(
                    st,
                    key,
                    out,
                    counts,
                    &mut self.stats,
                    &mut self.ooo_total,
                    self.limits.max_message_bytes,
                );
            }
            st.next_seq = Some(seq.wrapping_add(1));
            st.ws = None;
            seq = seq.wrapping_add(1);
        }
        if seg.payload.is_empty() {
            counts.add(Bucket::TcpControl, 1);
            return;
        }
        let mut next = *st.next_seq.get_or_insert(seq);
        if (seq.wrapping_sub(next) as i32 as i64).abs() > MAX_SEQ_DISTANCE {
            self.stats.sequence_jumps += 1;
            Self::resolve_leftovers(
                st,
                key,
                out,
                counts,
                &mut self.stats,
                &mut self.ooo_total,
                self.limits.max_message_bytes,
            );
            st.ws = None;
            st.next_seq = Some(seq);
            next = seq;
        }
        let rel = seq.wrapping_sub(next) as i32 as i64;
        let mut payload = seg.payload;
        if rel < 0 {
            let overlap = usize::try_from(-rel).unwrap_or(usize::MAX);
            match payload.get(overlap..) {
                Some(rest) if !rest.is_empty() => payload = rest,
                _ => {
                    self.stats.retransmitted_segments += 1;
                    counts.add(Bucket::Duplicate, 1);
                    return;
                }
            }
        } else if rel > 0 {
            let at_pos = st.pos + rel as u64;
            if st.ooo.contains_key(&at_pos) {
                self.stats.retransmitted_segments += 1;
                counts.add(Bucket::Duplicate, 1);
                return;
            }
            self.stats.out_of_order_segments += 1;
            st.ooo.insert(at_pos, (payload.to_vec(), 1, at));
            st.ooo_bytes += payload.len();
            self.ooo_total += payload.len();
            if st.ooo_bytes > self.limits.max_out_of_order_per_stream
                || self.ooo_total > self.limits.max_out_of_order_total
            {
                Self::skip_gap(st, &mut self.stats, &mut self.ooo_total, counts);
                Self::pull_in_order(st, &mut self.ooo_total);
                Self::drain(
                    st,
                    key,
                    out,
                    counts,
                    &mut self.stats,
                    self.limits.max_message_bytes,
                );
            }
            return;
        }
        st.buf.extend_from_slice(payload);
        st.pending_frames += 1;
        st.latest = at;
        Self::note_carrier(st, payload.len(), at.origin);
        Self::advance(st, payload.len());
        Self::pull_in_order(st, &mut self.ooo_total);
        Self::drain(
            st,
            key,
            out,
            counts,
            &mut self.stats,
            self.limits.max_message_bytes,
        );
    }

    /// Records that the next `n` bytes of the stream came in frame `origin`.
    fn note_carrier(st: &mut Stream, n: usize, origin: Origin) {
        let (start, end) = (st.pos, st.pos + n as u64);
        let full = st.carriers.len() >= MAX_FRAMES_PER_MESSAGE;
        match st.carriers.back_mut() {
            Some(last) if full => {
                last.end = end;
                last.merged = last.merged.saturating_add(1);
            }
            _ => st.carriers.push_back(Carrier {
                start,
                end,
                origin,
                merged: 0,
            }),
        }
    }

    /// The frames that carried the stream bytes `start..end`, in stream order.
    fn frames_of(st: &Stream, start: u64, end: u64, completing: Origin) -> Frames {
        let mut list = Vec::new();
        let mut omitted = 0u32;
        for c in st.carriers.iter() {
            if c.start >= end {
                break;
            }
            if c.end > start {
                list.push(c.origin);
                omitted = omitted.saturating_add(c.merged);
            }
        }
        // A message wholly inside the frame that completed it needs no list.
        if omitted == 0 && list.len() <= 1 && list.first().is_none_or(|o| *o == completing) {
            return Frames::default();
        }
        Frames {
            list: list.into_boxed_slice(),
            omitted,
        }
    }

    /// Forgets the carriers of bytes before stream position `upto` (consumed).
    fn forget_carriers(st: &mut Stream, upto: u64) {
        while st.carriers.front().is_some_and(|c| c.end <= upto) {
            st.carriers.pop_front();
        }
    }

    fn advance(st: &mut Stream, n: usize) {
        st.pos += n as u64;
        st.next_seq = st.next_seq.map(|s| s.wrapping_add(n as u32));
    }

    /// Moves waiting segments that now follow on into the buffer.
    fn pull_in_order(st: &mut Stream, ooo_total: &mut usize) {
        while let Some(first) = st.ooo.first_entry() {
            if *first.key() > st.pos {
                break;
            }
            let (p, (bytes, frames, at)) = first.remove_entry();
            if at.origin.frame >= st.latest.origin.frame {
                st.latest = at;
            }
            st.ooo_bytes -= bytes.len();
            *ooo_total -= bytes.len();
            let overlap = usize::try_from(st.pos - p).unwrap_or(usize::MAX);
            if let Some(rest) = bytes.get(overlap..).filter(|r| !r.is_empty()) {
                st.buf.extend_from_slice(rest);
                Self::note_carrier(st, rest.len(), at.origin);
                Self::advance(st, rest.len());
            }
            // A segment wholly overlapped is a retransmission; its frame still resolves with the stream.
            st.pending_frames += frames;
        }
    }

    /// Gives up on the bytes missing before the first waiting segment.
    fn skip_gap(
        st: &mut Stream,
        stats: &mut TcpStats,
        ooo_total: &mut usize,
        counts: &mut FrameCounts,
    ) {
        let Some((&p, _)) = st.ooo.first_key_value() else {
            return;
        };
        stats.gaps_skipped += 1;
        stats.bytes_lost_in_gaps += p - st.pos;
        // Whatever message was in progress cannot be completed.
        if st.pending_frames > 0 {
            let b = if st.buf.is_empty() {
                Bucket::NotSip
            } else {
                Bucket::TcpIncomplete
            };
            counts.add(b, st.pending_frames);
            st.pending_frames = 0;
        }
        st.buf.clear();
        st.carriers.clear();
        if let Some(ws) = st.ws.as_mut() {
            *ws = WsState::default();
        }
        let jump = p - st.pos;
        st.pos = p;
        st.next_seq = st.next_seq.map(|s| s.wrapping_add(jump as u32));
        let _ = ooo_total;
    }

    /// Frames SIP (or WebSocket) messages off the front of the buffer.
    fn drain(
        st: &mut Stream,
        key: Key,
        out: &mut Vec<Item>,
        counts: &mut FrameCounts,
        stats: &mut TcpStats,
        max_message: usize,
    ) {
        let at = st.latest;
        let mut emitted = 0u64;
        let mut malformed = 0u64;
        let mut keepalive = false;
        let mut consumed = 0usize;
        let multi = st.pending_frames > 1;
        // Stream position of buf[0], to name the frames of each message.
        let base = st.pos - st.buf.len() as u64;
        loop {
            Self::forget_carriers(st, base + consumed as u64);
            let buf = match st.buf.get(consumed..) {
                Some(b) if !b.is_empty() => b,
                _ => break,
            };
            if let Some(ws) = st.ws.as_mut() {
                match websocket::next_frame(buf, ws) {
                    WsStep::NeedMore => break,
                    WsStep::Invalid => {
                        // Not (or no longer) WebSocket: fall back to plain SIP framing.
                        st.ws = None;
                        continue;
                    }
                    WsStep::Frame {
                        consumed: n,
                        message,
                        ..
                    } => {
                        let range = (base + consumed as u64, base + (consumed + n) as u64);
                        consumed += n;
                        if let Some(m) = message {
                            match scan(&m, Mode::Datagram) {
                                Ok(head) => {
                                    emitted += 1;
                                    stats.websocket_messages += 1;
                                    let mut msg = SipMessage::new(
                                        (
                                            at.ts_ns,
                                            key.0,
                                            key.1,
                                            Transport::Ws,
                                            at.origin,
                                            carriage(st, multi),
                                        ),
                                        m.into(),
                                        head,
                                    );
                                    msg.frames = Self::frames_of(st, range.0, range.1, at.origin);
                                    truncate(&mut msg, max_message, stats);
                                    out.push(Item::Sip(crate::sip::recycle::boxed(msg)));
                                }
                                Err(ScanError::Malformed(reason)) => {
                                    malformed += 1;
                                    out.push(Item::Malformed(Box::new(MalformedSip::new(
                                        (at.ts_ns, key.0, key.1, Transport::Ws, at.origin),
                                        reason,
                                        &m,
                                    ))));
                                }
                                Err(_) => stats.non_sip_bytes_skipped += m.len() as u64,
                            }
                        }
                        continue;
                    }
                }
            }
            // CRLF keep-alives between messages (RFC 5626 §4.4.1).
            let crlf = buf
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            if crlf > 0 {
                consumed += crlf;
                keepalive = true;
                continue;
            }
            let start = base + consumed as u64;
            if let Some(w) = st.wait.as_mut().filter(|w| w.start == start) {
                if !w.ready(buf) {
                    break;
                }
            }
            match scan(buf, Mode::Stream) {
                Ok(head) => {
                    let len = head.len as usize;
                    // The scanner's length lies inside what it scanned; stop rather than trust it blindly.
                    let Some(raw) = buf.get(..len).filter(|r| !r.is_empty()) else {
                        break;
                    };
                    emitted += 1;
                    stats.messages += 1;
                    let mut msg = SipMessage::new(
                        (
                            at.ts_ns,
                            key.0,
                            key.1,
                            Transport::Tcp,
                            at.origin,
                            carriage(st, multi),
                        ),
                        crate::sip::chunks::copy(raw),
                        head,
                    );
                    msg.frames = Self::frames_of(st, start, start + len as u64, at.origin);
                    truncate(&mut msg, max_message, stats);
                    out.push(Item::Sip(crate::sip::recycle::boxed(msg)));
                    consumed += len;
                }
                Err(ScanError::Incomplete) => {
                    st.wait = Wait::after(start, buf);
                    break;
                }
                Err(ScanError::Malformed(reason)) => {
                    malformed += 1;
                    out.push(Item::Malformed(Box::new(MalformedSip::new(
                        (at.ts_ns, key.0, key.1, Transport::Tcp, at.origin),
                        reason,
                        buf,
                    ))));
                    consumed += line_len(buf);
                }
                Err(ScanError::TooLarge) => {
                    malformed += 1;
                    out.push(Item::Malformed(Box::new(MalformedSip::new(
                        (at.ts_ns, key.0, key.1, Transport::Tcp, at.origin),
                        "message larger than the framing limit (headers 256 KiB, message 16 MiB)",
                        buf,
                    ))));
                    consumed += line_len(buf);
                }
                Err(ScanError::NotSip) => {
                    match websocket::upgrade_len(buf) {
                        Some(None) => break,
                        Some(Some(n)) => {
                            consumed += n;
                            stats.non_sip_bytes_skipped += n as u64;
                            st.ws = Some(WsState::default());
                            continue;
                        }
                        None => {}
                    }
                    if websocket::looks_like_sip_frame(buf) {
                        st.ws = Some(WsState::default());
                        continue;
                    }
                    // Resynchronise on the next line that starts a SIP message; keep a
                    // last partial line only if it could still become a start line.
                    let skip = match find_start_line(buf) {
                        Some(at) => at,
                        None => {
                            let tail = memchr::memrchr(b'\n', buf).map_or(0, |nl| nl + 1);
                            if could_become_start_line(buf.get(tail..).unwrap_or_default()) {
                                tail
                            } else {
                                buf.len()
                            }
                        }
                    };
                    if skip == 0 {
                        break;
                    }
                    stats.non_sip_bytes_skipped += skip as u64;
                    consumed += skip;
                }
            }
        }
        st.buf.drain(..consumed);
        Self::forget_carriers(st, base + consumed as u64);
        // Settle the frames whose bytes were used.
        if emitted + malformed > 0 {
            let b = if emitted > 0 {
                Bucket::Sip
            } else {
                Bucket::SipMalformed
            };
            counts.add(b, 1);
            counts.add(Bucket::SipPartial, st.pending_frames.saturating_sub(1));
            st.pending_frames = 0;
        } else if st.buf.is_empty() && st.pending_frames > 0 {
            let b = if keepalive && consumed <= 4 * st.pending_frames as usize {
                Bucket::SipKeepalive
            } else {
                Bucket::NotSip
            };
            counts.add(b, st.pending_frames);
            st.pending_frames = 0;
        }
    }

    /// Settles a stream that will get no more bytes: skip its gaps, frame what
    /// can be framed, and count what is left as never completed.
    fn resolve_leftovers(
        st: &mut Stream,
        key: Key,
        out: &mut Vec<Item>,
        counts: &mut FrameCounts,
        stats: &mut TcpStats,
        ooo_total: &mut usize,
        max_message: usize,
    ) {
        while !st.ooo.is_empty() {
            Self::skip_gap(st, stats, ooo_total, counts);
            Self::pull_in_order(st, ooo_total);
            Self::drain(st, key, out, counts, stats, max_message);
        }
        if st.pending_frames > 0 {
            let looks_sip = crate::sip::scan::may_start_sip(&st.buf);
            let b = if looks_sip {
                Bucket::TcpIncomplete
            } else {
                Bucket::NotSip
            };
            if looks_sip {
                stats.incomplete_at_end += 1;
            }
            counts.add(b, st.pending_frames);
            st.pending_frames = 0;
        }
        st.buf.clear();
        st.carriers.clear();
    }

    fn sweep(&mut self, ts: i64, out: &mut Vec<Item>, counts: &mut FrameCounts) {
        if ts.saturating_sub(self.last_sweep_ts) < 10_000_000_000 {
            return;
        }
        self.last_sweep_ts = ts;
        // Saturating: capture times come from the file and may be anywhere in i64.
        let limit = ts.saturating_sub(self.limits.idle_timeout_ns);
        let closed_limit = ts.saturating_sub(CLOSED_LINGER_NS);
        let mut idle = Vec::new();
        let mut closed = Vec::new();
        for (k, s) in &self.streams {
            if s.last_ts < limit {
                idle.push(*k);
            } else if s.last_ts < closed_limit && s.closed_ts.is_some_and(|c| c < closed_limit) {
                closed.push(*k);
            }
        }
        // Settled in a fixed order, as at the end: what they still hold comes out
        // now, and the hash map's order is not the capture's.
        idle.sort_unstable();
        closed.sort_unstable();
        for k in idle {
            self.evict(k, out, counts);
        }
        for k in closed {
            if self.settle(k, out, counts) {
                self.stats.streams_closed += 1;
            }
        }
    }

    /// Settles a stream's leftovers and forgets it (counted as evicted).
    fn evict(&mut self, k: Key, out: &mut Vec<Item>, counts: &mut FrameCounts) {
        if self.settle(k, out, counts) {
            self.stats.streams_evicted += 1;
        }
    }

    /// Settles a stream's leftovers and forgets it; false if there was none.
    fn settle(&mut self, k: Key, out: &mut Vec<Item>, counts: &mut FrameCounts) -> bool {
        let Some(mut st) = self.streams.remove(&k) else {
            return false;
        };
        Self::resolve_leftovers(
            &mut st,
            k,
            out,
            counts,
            &mut self.stats,
            &mut self.ooo_total,
            self.limits.max_message_bytes,
        );
        true
    }

    /// Settles the least recently active sixteenth of the streams. Found in one
    /// pass and settled together, so that a flood of new streams at the limit costs
    /// a constant amount per stream (one stream per pass made it quadratic).
    fn evict_least_recent(&mut self, out: &mut Vec<Item>, counts: &mut FrameCounts) {
        let n = (self.streams.len() / 16).max(1);
        let mut ages: Vec<(i64, Key)> = self.streams.iter().map(|(k, s)| (s.last_ts, *k)).collect();
        if ages.len() > n {
            ages.select_nth_unstable_by_key(n - 1, |a| a.0);
            ages.truncate(n);
        }
        // Oldest first, ties by address: not in the hash map's order (see `sweep`).
        ages.sort_unstable();
        for (_, k) in ages {
            self.evict(k, out, counts);
        }
    }

    /// Ends the capture: settles every stream.
    pub fn finish(&mut self, out: &mut Vec<Item>, counts: &mut FrameCounts) {
        let mut keys: Vec<Key> = self.streams.keys().copied().collect();
        // Settle in a fixed order so output does not depend on hash order.
        keys.sort();
        for k in keys {
            if let Some(mut st) = self.streams.remove(&k) {
                Self::resolve_leftovers(
                    &mut st,
                    k,
                    out,
                    counts,
                    &mut self.stats,
                    &mut self.ooo_total,
                    self.limits.max_message_bytes,
                );
            }
        }
    }
}

/// Cuts a message's body to `max` bytes in all, counted.
fn truncate(msg: &mut SipMessage, max: usize, stats: &mut TcpStats) {
    let cut = msg.truncate_body(max);
    if cut > 0 {
        stats.bodies_truncated += 1;
        stats.body_bytes_truncated += cut as u64;
    }
}

fn carriage(st: &Stream, multi: bool) -> Carriage {
    Carriage {
        tunnelled: st.tunnelled,
        multi_segment: multi,
        ..Carriage::default()
    }
}

/// True for the first bytes of what may be a SIP start line still arriving.
fn could_become_start_line(t: &[u8]) -> bool {
    t.len() < 8192
        && t.first().is_none_or(|b| b.is_ascii_alphabetic())
        && t.iter()
            .all(|&b| (0x20..0x7f).contains(&b) || b == b'\r' || b == b'\t')
}

fn line_len(buf: &[u8]) -> usize {
    memchr::memchr(b'\n', buf).map_or(buf.len(), |n| n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Ctx;

    const A: &[u8] = b"OPTIONS sip:a SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 5\r\n\r\nabc\r\n";
    const B: &[u8] = b"SIP/2.0 200 OK\r\nCall-ID: 1\r\nl: 0\r\n\r\n";

    /// Issue #16: a connection per call kept every closed connection for the
    /// 10-minute idle timeout; a FIN lets it go 30 s after, a late retransmission
    /// before that still finds it (and is a duplicate, not a new message).
    #[test]
    fn a_closed_connection_is_forgotten_after_its_linger_not_the_idle_timeout() {
        let mut r = TcpReassembler::new(TcpLimits::default());
        let (mut out, mut counts) = (Vec::new(), FrameCounts::default());
        let at = |s: i64| At {
            ts_ns: s * 1_000_000_000,
            origin: Origin::default(),
        };
        r.segment(&seg(1, A), at(0), &mut out, &mut counts);
        let mut fin = seg(1 + A.len() as u32, b"");
        fin.fin = true;
        r.segment(&fin, at(1), &mut out, &mut counts);
        // A retransmission inside the linger is recognised.
        r.segment(&seg(1, A), at(20), &mut out, &mut counts);
        assert_eq!((out.len(), r.stats.retransmitted_segments), (1, 1));
        // Another connection's segment 45 s later sweeps the closed one away.
        let mut other = seg(1, B);
        other.src = "10.0.0.3:5060".parse().unwrap();
        r.segment(&other, at(65), &mut out, &mut counts);
        assert_eq!(r.streams.len(), 1);
        assert_eq!((r.stats.streams_closed, r.stats.streams_evicted), (1, 0));
        r.finish(&mut out, &mut counts);
        assert_eq!(out.len(), 2);
    }

    /// Regression: streams settled by the idle sweep gave what they held (here a
    /// message after a gap) in the hash map's order, which std's randomly seeded
    /// hasher made different from one run to the next.
    #[test]
    fn streams_settled_by_the_idle_sweep_give_their_messages_in_a_fixed_order() {
        let run = || {
            let mut r = TcpReassembler::new(TcpLimits::default());
            let (mut out, mut counts) = (Vec::new(), FrameCounts::default());
            for k in 0..40u16 {
                let at = At {
                    ts_ns: 0,
                    origin: Origin {
                        file: 0,
                        frame: u64::from(k),
                    },
                };
                let mut start = seg(1, b"OPT");
                start.src.set_port(6000 + k);
                r.segment(&start, at, &mut out, &mut counts);
                // After a gap: only the sweep lets it out.
                let mut later = seg(1000, A);
                later.src.set_port(6000 + k);
                r.segment(&later, at, &mut out, &mut counts);
            }
            assert!(out.is_empty());
            let mut other = seg(1, B);
            other.src = "10.0.0.3:5060".parse().unwrap();
            let late = At {
                ts_ns: 700_000_000_000,
                origin: Origin {
                    file: 0,
                    frame: 999,
                },
            };
            r.segment(&other, late, &mut out, &mut counts);
            out.iter()
                .filter_map(|i| match i {
                    Item::Sip(m) if m.origin.frame != 999 => Some(m.origin.frame),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first.len(), 40);
        for _ in 0..4 {
            assert_eq!(run(), first);
        }
        assert!(first.windows(2).all(|w| w[0] < w[1]), "{first:?}");
    }

    /// Regression: at the stream limit, each new stream scanned every stream to
    /// settle one; a flood of SYN-less streams was quadratic.
    #[test]
    fn a_flood_of_streams_at_the_limit_is_settled_in_batches() {
        let mut r = TcpReassembler::new(TcpLimits {
            max_streams: 1_000,
            ..TcpLimits::default()
        });
        let (mut out, mut counts) = (Vec::new(), FrameCounts::default());
        for k in 0..200_000u32 {
            let mut s = seg(1, b"x");
            s.src = std::net::SocketAddr::new(
                std::net::IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + k)),
                5060,
            );
            let at = At {
                ts_ns: i64::from(k),
                origin: Origin::default(),
            };
            r.segment(&s, at, &mut out, &mut counts);
        }
        r.finish(&mut out, &mut counts);
        assert!(r.stats.streams_evicted >= 199_000);
        assert_eq!(counts.total(), 200_000, "every segment counted once");
    }

    fn seg(seq: u32, payload: &[u8]) -> Segment<'_> {
        Segment {
            src: "10.0.0.1:5060".parse().unwrap(),
            dst: "10.0.0.2:5060".parse().unwrap(),
            seq,
            syn: false,
            fin: false,
            rst: false,
            payload,
            ctx: Ctx::default(),
        }
    }

    fn run(segs: &[(u32, &[u8])]) -> (Vec<String>, FrameCounts) {
        let mut r = TcpReassembler::new(TcpLimits::default());
        let mut out = vec![];
        let mut counts = FrameCounts::default();
        for (i, (s, p)) in segs.iter().enumerate() {
            let at = At {
                ts_ns: i as i64,
                origin: Origin {
                    file: 0,
                    frame: i as u64 + 1,
                },
            };
            r.segment(&seg(*s, p), at, &mut out, &mut counts);
        }
        r.finish(&mut out, &mut counts);
        assert_eq!(
            counts.total(),
            segs.len() as u64,
            "every frame counted once"
        );
        let lines = out
            .iter()
            .map(|i| match i {
                Item::Sip(m) => {
                    let mut line = format!(
                        "{}@{}",
                        String::from_utf8_lossy(m.start_line()),
                        m.origin.frame
                    );
                    // The frame list, when the message has one: "[1,4,2]".
                    if !m.frames.list.is_empty() {
                        let l: Vec<String> =
                            m.frames.list.iter().map(|o| o.frame.to_string()).collect();
                        line += &format!("[{}]", l.join(","));
                    }
                    line
                }
                Item::Malformed(m) => format!("malformed:{}", m.reason),
                Item::Icmp(_) => "icmp".into(),
                Item::Rtp(_) => "rtp".into(),
                Item::Rtcp(_) => "rtcp".into(),
            })
            .collect();
        (lines, counts)
    }

    /// Regression (#17): a header section growing one byte per segment was scanned
    /// whole per segment. The resumed scan must still see every way a header
    /// section can end across segments ("\n" | "\r\n", "\n\n" split) and the body.
    #[test]
    fn a_message_arriving_one_byte_per_segment_is_framed_as_in_one() {
        for msg in [A, B, b"OPTIONS sip:a SIP/2.0\nl: 2\n\nhi".as_slice()] {
            let mut both = msg.to_vec();
            both.extend_from_slice(B);
            let segs: Vec<(u32, &[u8])> = (0..both.len())
                .map(|i| (1000 + i as u32, &both[i..i + 1]))
                .collect();
            let (m, c) = run(&segs);
            assert_eq!(m.len(), 2, "{m:?}");
            assert!(m[1].starts_with("SIP/2.0 200 OK@"), "{m:?}");
            assert_eq!(c.get(Bucket::Sip), 2);
        }
    }

    /// The wait never hides a verdict: at every prefix of a message, when the
    /// wait says nothing new can be told, a full scan says "incomplete" too.
    #[test]
    fn a_resumed_scan_waits_only_while_a_full_scan_would() {
        let mut msg =
            b"INVITE sip:b SIP/2.0\r\nX-A: 1\r\n folded\r\nContent-Length: 3\r\n\r\nabc".to_vec();
        msg.extend_from_slice(B);
        let mut wait: Option<Wait> = None;
        // Below 8 bytes the scanner does not look (the stream keeps them as a possible start line).
        for n in 8..=msg.len() {
            let buf = &msg[..n];
            if let Some(w) = wait.as_mut() {
                if !w.ready(buf) {
                    assert_eq!(
                        scan(buf, Mode::Stream).err(),
                        Some(ScanError::Incomplete),
                        "at {n}"
                    );
                    continue;
                }
            }
            match scan(buf, Mode::Stream) {
                Err(ScanError::Incomplete) => wait = Wait::after(0, buf),
                Ok(head) => {
                    assert_eq!(head.len as usize, msg.len() - B.len(), "framed at {n}");
                    assert_eq!(n, head.len as usize, "framed as soon as whole");
                    return;
                }
                other => panic!("at {n}: {other:?}"),
            }
        }
        panic!("never framed");
    }

    #[test]
    fn two_messages_in_one_segment() {
        let mut both = A.to_vec();
        both.extend_from_slice(B);
        let (m, c) = run(&[(1000, &both)]);
        assert_eq!(m, ["OPTIONS sip:a SIP/2.0@1", "SIP/2.0 200 OK@1"]);
        assert_eq!(c.get(Bucket::Sip), 1);
    }

    #[test]
    fn one_message_over_three_segments_out_of_order_with_a_retransmission() {
        let (p1, rest) = A.split_at(10);
        let (p2, p3) = rest.split_at(20);
        let s2 = 1000 + p1.len() as u32;
        let s3 = s2 + p2.len() as u32;
        let (m, c) = run(&[(1000, p1), (s3, p3), (1000, p1), (s2, p2)]);
        // Frames in stream order; the retransmitted frame 3 carried nothing new.
        assert_eq!(m, ["OPTIONS sip:a SIP/2.0@4[1,4,2]"]);
        assert_eq!(c.get(Bucket::Sip), 1);
        assert_eq!(c.get(Bucket::SipPartial), 2);
        assert_eq!(c.get(Bucket::Duplicate), 1);
    }

    #[test]
    fn a_segment_shared_by_two_messages_is_in_both_frame_lists() {
        // Frame 1: A and the first 10 bytes of B; frame 2: the rest of B.
        let mut first = A.to_vec();
        first.extend_from_slice(&B[..10]);
        let s2 = 1000 + first.len() as u32;
        let (m, _) = run(&[(1000, &first), (s2, &B[10..])]);
        assert_eq!(m, ["OPTIONS sip:a SIP/2.0@1", "SIP/2.0 200 OK@2[1,2]"]);
    }

    #[test]
    fn the_frame_list_of_a_stream_is_bounded() {
        // A message cut into 1-byte segments: more than the bound.
        let n = MAX_FRAMES_PER_MESSAGE + 10;
        let mut msg = b"OPTIONS sip:a SIP/2.0\r\nl: ".to_vec();
        let body_len = n.saturating_sub(msg.len() + 10);
        msg.extend_from_slice(format!("{body_len:05}\r\n\r\n").as_bytes());
        msg.resize(msg.len() + body_len, b'x');
        let segs: Vec<(u32, &[u8])> = (0..msg.len())
            .map(|i| (1000 + i as u32, &msg[i..i + 1]))
            .collect();
        let mut r = TcpReassembler::new(TcpLimits::default());
        let (mut out, mut counts) = (vec![], FrameCounts::default());
        for (i, (seq, p)) in segs.iter().enumerate() {
            let at = At {
                ts_ns: 0,
                origin: Origin {
                    file: 0,
                    frame: i as u64 + 1,
                },
            };
            r.segment(&seg(*seq, p), at, &mut out, &mut counts);
        }
        let [Item::Sip(m)] = &out[..] else {
            panic!("one message expected, got {}", out.len())
        };
        assert_eq!(m.frames.list.len(), MAX_FRAMES_PER_MESSAGE);
        assert_eq!(
            m.frames.list.len() + m.frames.omitted as usize,
            msg.len(),
            "every segment is listed or counted"
        );
    }

    #[test]
    fn sequence_numbers_wrap() {
        let (p1, p2) = A.split_at(7);
        let start = u32::MAX - 3;
        let (m, _) = run(&[(start, p1), (start.wrapping_add(7), p2)]);
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn a_lost_segment_resynchronises_on_the_next_message() {
        let (p1, rest) = A.split_at(10);
        let (_lost, p3) = rest.split_at(20);
        let s3 = 1000 + 30;
        let s4 = s3 + p3.len() as u32;
        let (m, c) = run(&[(1000, p1), (s3, p3), (s4, B)]);
        assert_eq!(m, ["SIP/2.0 200 OK@3"]);
        assert_eq!(c.get(Bucket::TcpIncomplete), 1);
    }

    #[test]
    fn a_message_cut_by_the_end_of_capture_is_incomplete() {
        let (m, c) = run(&[(1, &A[..20])]);
        assert!(m.is_empty());
        assert_eq!(c.get(Bucket::TcpIncomplete), 1);
    }

    #[test]
    fn a_sequence_jump_is_a_new_stream_not_a_gap() {
        let (m, c) = run(&[(1000, A), (0x8000_0000, B)]);
        assert_eq!(m, ["OPTIONS sip:a SIP/2.0@1", "SIP/2.0 200 OK@2"]);
        assert_eq!(c.get(Bucket::Sip), 2);
    }

    #[test]
    fn keepalives_and_non_sip() {
        let (m, c) = run(&[
            (1, b"\r\n\r\n"),
            (5, b"\x16\x03\x01 tls bytes"),
            (23, b"\r\n"),
        ]);
        assert!(m.is_empty());
        assert_eq!(c.get(Bucket::SipKeepalive), 2);
        assert_eq!(c.get(Bucket::NotSip), 1);
    }
}
