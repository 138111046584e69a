//! SCTP user messages (RFC 9260 §6.9, SIP over SCTP per RFC 4168): DATA
//! chunks → SIP messages, one SIP message per user message.
//!
//! A chunk with both B and E flags is a whole message. Fragments wait per
//! (source, destination, stream) and a message is put together as soon as a
//! run of consecutive TSNs from a B to an E fragment is there, whatever order
//! they came in. A TSN already seen in that direction is a retransmission:
//! counted as a duplicate, first copy wins (the memory of TSNs is bounded per
//! direction). A new verification tag on the same addresses is a new
//! association: what the old one left is settled. Waiting fragments are
//! bounded in bytes per stream and in all, in streams tracked and in idle
//! time; a limit hit settles fragments as `sctp_incomplete` and is counted,
//! never fatal.
//!
//! Frame accounting: one packet may carry several chunks, for several
//! messages and streams. A frame whose chunk completes a message counts as
//! `sip` (or `sip_malformed`, `not_sip`) at once; a frame whose fragments wait
//! is counted when the last of them is settled, as the best of what they came
//! to (part of a message completed later, never completed, …), so every frame
//! is counted exactly once.

use super::datagram::classify;
use super::tcp::At;
use super::Item;
use crate::accounting::{Bucket, FrameCounts};
use crate::decode::sctp::SctpPacket;
use crate::sip::{Carriage, Frames, Origin, Transport, MAX_FRAMES_PER_MESSAGE};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;

#[derive(Clone, Copy, Debug)]
pub struct SctpLimits {
    /// Fragment bytes waiting in one stream before its fragments are given up.
    pub max_bytes_per_stream: usize,
    /// Fragment bytes waiting in all streams.
    pub max_bytes_total: usize,
    /// Streams with waiting fragments (and directions remembered) at once.
    pub max_streams: usize,
    /// A stream idle this long (capture time) has its fragments given up.
    pub idle_timeout_ns: i64,
}

impl Default for SctpLimits {
    fn default() -> Self {
        SctpLimits {
            max_bytes_per_stream: 16 << 20,
            max_bytes_total: 256 << 20,
            max_streams: 1 << 16,
            idle_timeout_ns: 600_000_000_000,
        }
    }
}

#[derive(Default, Debug, Clone, serde::Serialize)]
pub struct SctpStats {
    /// Directions of associations seen (addresses and verification tag).
    pub associations: u64,
    pub data_chunks: u64,
    /// User messages completed (SIP or not).
    pub messages: u64,
    /// Of those, put together from more than one fragment.
    pub fragmented_messages: u64,
    /// Retransmitted DATA chunks (a TSN already seen).
    pub duplicate_chunks: u64,
    /// Fragments given up: end of capture, idle, a new association or a limit.
    pub fragments_never_completed: u64,
    /// Streams whose fragments were given up at a limit (bytes or streams).
    pub streams_evicted: u64,
}

impl SctpStats {
    pub fn merge(&mut self, o: &SctpStats) {
        self.associations += o.associations;
        self.data_chunks += o.data_chunks;
        self.messages += o.messages;
        self.fragmented_messages += o.fragmented_messages;
        self.duplicate_chunks += o.duplicate_chunks;
        self.fragments_never_completed += o.fragments_never_completed;
        self.streams_evicted += o.streams_evicted;
    }
}

type Dir = (SocketAddr, SocketAddr);
type StreamKey = (SocketAddr, SocketAddr, u16);

/// TSNs remembered per direction to tell retransmissions: well over a window's worth.
const TSN_MEMORY: usize = 4096;

struct Direction {
    vtag: u32,
    seen: HashSet<u32>,
    order: VecDeque<u32>,
    last_ts: i64,
}

impl Direction {
    fn new(vtag: u32, ts: i64) -> Self {
        Direction {
            vtag,
            seen: HashSet::new(),
            order: VecDeque::new(),
            last_ts: ts,
        }
    }
    /// False if `tsn` was seen already.
    fn remember(&mut self, tsn: u32) -> bool {
        if !self.seen.insert(tsn) {
            return false;
        }
        self.order.push_back(tsn);
        if self.order.len() > TSN_MEMORY {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }
}

struct Piece {
    begin: bool,
    end: bool,
    user: Vec<u8>,
    origin: Origin,
}

#[derive(Default)]
struct Partial {
    /// By TSN (consecutive TSNs are found by lookup, so wrapping needs no care).
    pieces: BTreeMap<u32, Piece>,
    bytes: usize,
    last_ts: i64,
    tunnelled: bool,
}

/// A frame's fragments still waiting, and the best of what its chunks came to so far.
#[derive(Clone, Copy, Debug, Default)]
struct Pending {
    left: u32,
    best: Option<Bucket>,
    /// Already counted (it completed a message itself).
    counted: bool,
}

pub struct SctpReassembler {
    dirs: HashMap<Dir, Direction>,
    partials: HashMap<StreamKey, Partial>,
    waiting: HashMap<Origin, Pending>,
    /// The frame being handled, and its pending state (not yet in `waiting`).
    current: Option<Origin>,
    current_pending: Pending,
    bytes_total: usize,
    limits: SctpLimits,
    last_sweep_ts: i64,
    pub stats: SctpStats,
}

/// Which outcome wins when one frame's chunks come to different things.
fn rank(b: Bucket) -> u8 {
    match b {
        Bucket::Sip => 7,
        Bucket::SipMalformed => 6,
        Bucket::SipPartial => 5,
        Bucket::SipKeepalive => 4,
        Bucket::SctpIncomplete => 3,
        Bucket::NotSip => 2,
        _ => 1,
    }
}

fn better(a: Option<Bucket>, b: Bucket) -> Option<Bucket> {
    match a {
        Some(a) if rank(a) >= rank(b) => Some(a),
        _ => Some(b),
    }
}

impl SctpReassembler {
    pub fn new(limits: SctpLimits) -> Self {
        SctpReassembler {
            dirs: HashMap::new(),
            partials: HashMap::new(),
            waiting: HashMap::new(),
            current: None,
            current_pending: Pending::default(),
            bytes_total: 0,
            limits,
            last_sweep_ts: i64::MIN,
            stats: SctpStats::default(),
        }
    }

    /// Takes one packet with DATA chunks; counts its frame now or when its fragments settle.
    pub fn packet(
        &mut self,
        pkt: &SctpPacket<'_>,
        at: At,
        out: &mut Vec<Item>,
        counts: &mut FrameCounts,
    ) {
        self.sweep(at.ts_ns, counts);
        self.current = Some(at.origin);
        self.current_pending = Pending::default();
        let dir = (pkt.src, pkt.dst);
        self.direction(dir, pkt.vtag, at.ts_ns, counts);
        let carriage = Carriage {
            tunnelled: pkt.ctx.tunnelled,
            ..Carriage::default()
        };
        for c in pkt.data_chunks() {
            self.stats.data_chunks += 1;
            let fresh = self.dirs.get_mut(&dir).is_none_or(|d| d.remember(c.tsn));
            let key = (pkt.src, pkt.dst, c.stream);
            let held = self
                .partials
                .get(&key)
                .is_some_and(|p| p.pieces.contains_key(&c.tsn));
            if !fresh || held {
                self.stats.duplicate_chunks += 1;
                self.note_current(Bucket::Duplicate);
                continue;
            }
            if c.begin && c.end {
                self.stats.messages += 1;
                let meta = (at.ts_ns, pkt.src, pkt.dst, Transport::Sctp, at.origin);
                let (b, item) = classify(c.user, meta, carriage, pkt.ctx.cut);
                out.extend(item);
                self.note_current(b);
                continue;
            }
            let piece = Piece {
                begin: c.begin,
                end: c.end,
                user: c.user.to_vec(),
                origin: at.origin,
            };
            self.store(key, c.tsn, piece, at, carriage, out, counts);
        }
        // Settle this frame now, or leave it waiting for its fragments.
        let p = self.current_pending;
        self.current = None;
        if p.left == 0 {
            counts.add(p.best.unwrap_or(Bucket::NotSip), 1);
        } else {
            let counted = matches!(p.best, Some(Bucket::Sip | Bucket::SipMalformed));
            if let (true, Some(b)) = (counted, p.best) {
                counts.add(b, 1);
            }
            self.waiting.insert(at.origin, Pending { counted, ..p });
        }
    }

    fn note_current(&mut self, b: Bucket) {
        self.current_pending.best = better(self.current_pending.best, b);
    }

    /// Tracks the direction; a new verification tag is a new association on the same addresses.
    fn direction(&mut self, dir: Dir, vtag: u32, ts: i64, counts: &mut FrameCounts) {
        match self.dirs.get_mut(&dir) {
            Some(d) if d.vtag == vtag => d.last_ts = ts,
            Some(d) => {
                *d = Direction::new(vtag, ts);
                self.stats.associations += 1;
                let mut keys: Vec<StreamKey> = self
                    .partials
                    .keys()
                    .filter(|k| (k.0, k.1) == dir)
                    .copied()
                    .collect();
                keys.sort();
                for k in keys {
                    self.give_up(k, counts);
                }
            }
            None => {
                if self.dirs.len() >= self.limits.max_streams {
                    // Forget the least recent sixteenth (only their TSN memory).
                    let n = (self.dirs.len() / 16).max(1);
                    let mut ages: Vec<(i64, Dir)> =
                        self.dirs.iter().map(|(k, d)| (d.last_ts, *k)).collect();
                    ages.sort();
                    for (_, k) in ages.into_iter().take(n) {
                        self.dirs.remove(&k);
                    }
                }
                self.dirs.insert(dir, Direction::new(vtag, ts));
                self.stats.associations += 1;
            }
        }
    }

    /// Keeps a fragment; puts its message together if that completes it.
    #[allow(clippy::too_many_arguments)]
    fn store(
        &mut self,
        key: StreamKey,
        tsn: u32,
        piece: Piece,
        at: At,
        carriage: Carriage,
        out: &mut Vec<Item>,
        counts: &mut FrameCounts,
    ) {
        self.current_pending.left += 1;
        if !self.partials.contains_key(&key) && self.partials.len() >= self.limits.max_streams {
            self.evict_least_recent(counts);
        }
        let len = piece.user.len();
        let part = self.partials.entry(key).or_default();
        part.last_ts = at.ts_ns;
        part.tunnelled |= carriage.tunnelled;
        part.pieces.insert(tsn, piece);
        part.bytes += len;
        self.bytes_total += len;
        if let Some((first, last)) = complete_run(&part.pieces, tsn) {
            let mut run = Vec::new();
            let mut t = first;
            loop {
                if let Some(p) = part.pieces.remove(&t) {
                    part.bytes -= p.user.len();
                    self.bytes_total -= p.user.len();
                    run.push(p);
                }
                if t == last {
                    break;
                }
                t = t.wrapping_add(1);
            }
            let carriage = Carriage {
                tunnelled: part.tunnelled,
                ..carriage
            };
            if part.pieces.is_empty() {
                self.partials.remove(&key);
            }
            self.complete(key, run, at, carriage, out, counts);
            return;
        }
        if part.bytes > self.limits.max_bytes_per_stream {
            self.stats.streams_evicted += 1;
            self.give_up(key, counts);
        }
        while self.bytes_total > self.limits.max_bytes_total && !self.partials.is_empty() {
            self.stats.streams_evicted += 1;
            self.evict_one_least_recent(counts);
        }
    }

    /// A message put together from its fragments (in TSN order).
    fn complete(
        &mut self,
        key: StreamKey,
        run: Vec<Piece>,
        at: At,
        carriage: Carriage,
        out: &mut Vec<Item>,
        counts: &mut FrameCounts,
    ) {
        self.stats.messages += 1;
        self.stats.fragmented_messages += 1;
        let bytes: Vec<u8> = run.iter().flat_map(|p| p.user.iter().copied()).collect();
        let meta = (at.ts_ns, key.0, key.1, Transport::Sctp, at.origin);
        let (b, mut item) = classify(&bytes, meta, carriage, false);
        if let Some(Item::Sip(m)) = &mut item {
            m.frames = frames_of(&run, at.origin);
        }
        out.extend(item);
        let partial = match b {
            Bucket::Sip | Bucket::SipMalformed => Bucket::SipPartial,
            other => other,
        };
        for p in run {
            let outcome = if p.origin == at.origin { b } else { partial };
            self.settle(p.origin, outcome, counts);
        }
    }

    /// One of a frame's waiting fragments came to `b`; counts the frame when it was its last.
    fn settle(&mut self, o: Origin, b: Bucket, counts: &mut FrameCounts) {
        if self.current == Some(o) {
            let p = &mut self.current_pending;
            p.left = p.left.saturating_sub(1);
            p.best = better(p.best, b);
            return;
        }
        let Some(p) = self.waiting.get_mut(&o) else {
            return;
        };
        p.left = p.left.saturating_sub(1);
        p.best = better(p.best, b);
        if p.left == 0 {
            if !p.counted {
                counts.add(p.best.unwrap_or(b), 1);
            }
            self.waiting.remove(&o);
        }
    }

    /// Gives up a stream's waiting fragments.
    fn give_up(&mut self, key: StreamKey, counts: &mut FrameCounts) {
        let Some(part) = self.partials.remove(&key) else {
            return;
        };
        self.bytes_total -= part.bytes;
        for (_, p) in part.pieces {
            self.stats.fragments_never_completed += 1;
            self.settle(p.origin, Bucket::SctpIncomplete, counts);
        }
    }

    fn evict_one_least_recent(&mut self, counts: &mut FrameCounts) {
        if let Some(k) = self
            .partials
            .iter()
            .map(|(k, p)| (p.last_ts, *k))
            .min()
            .map(|(_, k)| k)
        {
            self.give_up(k, counts);
        }
    }

    /// Gives up the least recently active sixteenth of the streams in one pass.
    fn evict_least_recent(&mut self, counts: &mut FrameCounts) {
        let n = (self.partials.len() / 16).max(1);
        let mut ages: Vec<(i64, StreamKey)> =
            self.partials.iter().map(|(k, p)| (p.last_ts, *k)).collect();
        ages.sort();
        for (_, k) in ages.into_iter().take(n) {
            self.stats.streams_evicted += 1;
            self.give_up(k, counts);
        }
    }

    fn sweep(&mut self, ts: i64, counts: &mut FrameCounts) {
        if ts.saturating_sub(self.last_sweep_ts) < 10_000_000_000 {
            return;
        }
        self.last_sweep_ts = ts;
        let limit = ts.saturating_sub(self.limits.idle_timeout_ns);
        let mut idle: Vec<StreamKey> = self
            .partials
            .iter()
            .filter(|(_, p)| p.last_ts < limit)
            .map(|(k, _)| *k)
            .collect();
        idle.sort();
        for k in idle {
            self.give_up(k, counts);
        }
        self.dirs.retain(|_, d| d.last_ts >= limit);
    }

    /// Ends the capture: every waiting fragment is given up, every frame counted.
    pub fn finish(&mut self, counts: &mut FrameCounts) {
        let mut keys: Vec<StreamKey> = self.partials.keys().copied().collect();
        keys.sort();
        for k in keys {
            self.give_up(k, counts);
        }
        // Nothing should be left waiting; if it is, it is still counted once.
        let mut left: Vec<(Origin, Pending)> = self.waiting.drain().collect();
        left.sort_by_key(|(o, _)| *o);
        for (_, p) in left {
            if !p.counted {
                counts.add(p.best.unwrap_or(Bucket::SctpIncomplete), 1);
            }
        }
    }
}

/// The TSNs of the B and E fragments around `tsn`, if every fragment between is there.
fn complete_run(pieces: &BTreeMap<u32, Piece>, tsn: u32) -> Option<(u32, u32)> {
    let mut first = tsn;
    loop {
        let p = pieces.get(&first)?;
        if p.begin {
            break;
        }
        if p.end && first != tsn {
            // The end of an earlier message: this one's beginning is missing.
            return None;
        }
        first = first.wrapping_sub(1);
    }
    let mut last = tsn;
    loop {
        let p = pieces.get(&last)?;
        if p.end {
            break;
        }
        if p.begin && last != tsn {
            return None;
        }
        last = last.wrapping_add(1);
    }
    Some((first, last))
}

/// The frames that carried a message's fragments, in TSN order (bounded).
fn frames_of(run: &[Piece], completing: Origin) -> Frames {
    let mut list: Vec<Origin> = Vec::new();
    for p in run {
        if list.last() != Some(&p.origin) {
            list.push(p.origin);
        }
    }
    if list.len() <= 1 && list.first().is_none_or(|o| *o == completing) {
        return Frames::default();
    }
    let omitted = list.len().saturating_sub(MAX_FRAMES_PER_MESSAGE);
    list.truncate(MAX_FRAMES_PER_MESSAGE);
    Frames {
        list: list.into_boxed_slice(),
        omitted: u32::try_from(omitted).unwrap_or(u32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::sctp::tests::{data_chunk, sctp};
    use crate::decode::{Ctx, Decoded};

    const INVITE: &[u8] = b"INVITE sip:b@x SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 0\r\n\r\n";
    const OK: &[u8] = b"SIP/2.0 200 OK\r\nCall-ID: 1\r\nContent-Length: 0\r\n\r\n";

    /// Feeds packets (each a list of chunks) as frames 1, 2, …; returns start lines@frame and the counts.
    fn run_with(
        limits: SctpLimits,
        packets: &[Vec<Vec<u8>>],
    ) -> (Vec<String>, FrameCounts, SctpStats) {
        let mut r = SctpReassembler::new(limits);
        let (mut out, mut counts) = (Vec::new(), FrameCounts::default());
        for (i, chunks) in packets.iter().enumerate() {
            let bytes = sctp(chunks);
            let at = At {
                ts_ns: i as i64 * 1_000_000,
                origin: Origin {
                    file: 0,
                    frame: i as u64 + 1,
                },
            };
            match decode(&bytes) {
                Decoded::Sctp(p) => r.packet(&p, at, &mut out, &mut counts),
                Decoded::Done(b) => counts.add(b, 1),
                other => panic!("{other:?}"),
            }
        }
        r.finish(&mut counts);
        assert_eq!(
            counts.total(),
            packets.len() as u64,
            "every frame counted once"
        );
        let lines = out
            .iter()
            .map(|i| match i {
                Item::Sip(m) => {
                    let mut l = format!(
                        "{}@{}",
                        String::from_utf8_lossy(m.start_line()),
                        m.origin.frame
                    );
                    if !m.frames.list.is_empty() {
                        let f: Vec<String> =
                            m.frames.list.iter().map(|o| o.frame.to_string()).collect();
                        l += &format!("[{}]", f.join(","));
                    }
                    l
                }
                Item::Malformed(m) => format!("malformed:{}", m.reason),
                Item::Icmp(_) => "icmp".into(),
                Item::Rtp(_) => "rtp".into(),
                Item::Rtcp(_) => "rtcp".into(),
            })
            .collect();
        (lines, counts, r.stats)
    }

    fn decode(bytes: &[u8]) -> Decoded<'_> {
        let (a, b) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        crate::decode::ip_payload(132, a, b, bytes, Ctx::default())
    }

    fn run(packets: &[Vec<Vec<u8>>]) -> (Vec<String>, FrameCounts, SctpStats) {
        run_with(SctpLimits::default(), packets)
    }

    #[test]
    fn two_whole_messages_bundled_in_one_packet() {
        let (m, c, s) = run(&[vec![
            data_chunk(3, 1, 0, 0, INVITE),
            data_chunk(3, 2, 1, 0, OK),
        ]]);
        assert_eq!(m, ["INVITE sip:b@x SIP/2.0@1", "SIP/2.0 200 OK@1"]);
        assert_eq!(c.get(Bucket::Sip), 1);
        assert_eq!((s.messages, s.data_chunks), (2, 2));
    }

    #[test]
    fn a_fragmented_message_is_put_together_in_tsn_order_whatever_the_arrival_order() {
        let (a, rest) = INVITE.split_at(10);
        let (b, e) = rest.split_at(20);
        // Frames: the end first, then the beginning, then the middle.
        let (m, c, s) = run(&[
            vec![data_chunk(1, 12, 3, 0, e)],
            vec![data_chunk(2, 10, 3, 0, a)],
            vec![data_chunk(0, 11, 3, 0, b)],
        ]);
        assert_eq!(m, ["INVITE sip:b@x SIP/2.0@3[2,3,1]"]);
        assert_eq!(c.get(Bucket::Sip), 1);
        assert_eq!(c.get(Bucket::SipPartial), 2);
        assert_eq!(s.fragmented_messages, 1);
    }

    #[test]
    fn a_retransmitted_tsn_is_a_duplicate() {
        let (a, e) = INVITE.split_at(30);
        let (m, c, s) = run(&[
            vec![data_chunk(2, 7, 0, 0, a)],
            vec![data_chunk(2, 7, 0, 0, a)],
            vec![data_chunk(1, 8, 0, 0, e)],
            vec![data_chunk(3, 9, 0, 1, OK)],
            vec![data_chunk(3, 9, 0, 1, OK)],
        ]);
        assert_eq!(m, ["INVITE sip:b@x SIP/2.0@3[1,3]", "SIP/2.0 200 OK@4"]);
        assert_eq!(c.get(Bucket::Duplicate), 2);
        assert_eq!(c.get(Bucket::SipPartial), 1);
        assert_eq!(c.get(Bucket::Sip), 2);
        assert_eq!(s.duplicate_chunks, 2);
    }

    #[test]
    fn streams_are_kept_apart_and_a_frame_with_fragments_of_two_is_counted_once() {
        let (a1, e1) = INVITE.split_at(25);
        let (a2, e2) = OK.split_at(12);
        // Frame 1 starts a message on stream 1 and on stream 2; frames 2 and 3 end them.
        let (m, c, _) = run(&[
            vec![data_chunk(2, 1, 1, 0, a1), data_chunk(2, 2, 2, 0, a2)],
            vec![data_chunk(1, 3, 2, 0, e2)],
            vec![data_chunk(1, 4, 1, 0, e1)],
        ]);
        assert_eq!(m, ["SIP/2.0 200 OK@2[1,2]"]);
        assert_eq!(
            c.get(Bucket::SctpIncomplete),
            1,
            "TSNs 1 and 4 are not consecutive: no message over a gap"
        );
        assert_eq!(
            c.get(Bucket::SipPartial),
            1,
            "frame 1: part of the 200, and of a message never completed"
        );
        // With consecutive TSNs per message (as a sender assigns them).
        let (m, c, _) = run(&[
            vec![data_chunk(2, 1, 1, 0, a1), data_chunk(2, 3, 2, 0, a2)],
            vec![data_chunk(1, 4, 2, 0, e2)],
            vec![data_chunk(1, 2, 1, 0, e1)],
        ]);
        assert_eq!(
            m,
            ["SIP/2.0 200 OK@2[1,2]", "INVITE sip:b@x SIP/2.0@3[1,3]"]
        );
        assert_eq!(c.get(Bucket::SipPartial), 1, "frame 1, once");
        assert_eq!(c.get(Bucket::Sip), 2);
    }

    #[test]
    fn a_fragment_never_completed_is_counted_at_the_end() {
        let (m, c, s) = run(&[
            vec![data_chunk(2, 1, 0, 0, &INVITE[..20])],
            // A SACK alone.
            vec![vec![3, 0, 0, 16, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]],
        ]);
        assert!(m.is_empty());
        assert_eq!(c.get(Bucket::SctpIncomplete), 1);
        assert_eq!(c.get(Bucket::SctpControl), 1);
        assert_eq!(s.fragments_never_completed, 1);
    }

    #[test]
    fn fragments_past_the_stream_bound_are_given_up_and_counted() {
        let limits = SctpLimits {
            max_bytes_per_stream: 64,
            ..SctpLimits::default()
        };
        let big = [b'x'; 40];
        let (m, c, s) = run_with(
            limits,
            &[
                vec![data_chunk(2, 1, 0, 0, b"MESSAGE sip:a SIP/2.0\r\n")],
                vec![data_chunk(0, 2, 0, 0, &big)],
                vec![data_chunk(0, 3, 0, 0, &big)],
                vec![data_chunk(1, 4, 0, 0, b"\r\n")],
                vec![data_chunk(3, 5, 0, 1, OK)],
            ],
        );
        assert_eq!(m, ["SIP/2.0 200 OK@5"]);
        assert_eq!(s.streams_evicted, 1);
        assert_eq!(c.get(Bucket::SctpIncomplete), 4);
    }

    #[test]
    fn not_sip_user_messages_are_not_sip() {
        let (m, c, _) = run(&[vec![data_chunk(
            3,
            1,
            0,
            0,
            b"\x01\x00\x03\x01 diameter-ish",
        )]]);
        assert!(m.is_empty());
        assert_eq!(c.get(Bucket::NotSip), 1);
    }

    #[test]
    fn a_new_verification_tag_settles_the_old_association() {
        let mut r = SctpReassembler::new(SctpLimits::default());
        let (mut out, mut counts) = (Vec::new(), FrameCounts::default());
        let first = sctp(&[data_chunk(2, 1, 0, 0, &INVITE[..20])]);
        let mut second = sctp(&[data_chunk(3, 1, 0, 0, OK)]);
        second[4..8].copy_from_slice(&[9, 9, 9, 9]);
        for (i, b) in [first, second].iter().enumerate() {
            let Decoded::Sctp(p) = decode(b) else {
                panic!()
            };
            let at = At {
                ts_ns: 0,
                origin: Origin {
                    file: 0,
                    frame: i as u64 + 1,
                },
            };
            r.packet(&p, at, &mut out, &mut counts);
        }
        r.finish(&mut counts);
        assert_eq!(
            out.len(),
            1,
            "TSN 1 again, but of a new association: not a duplicate"
        );
        assert_eq!(counts.get(Bucket::SctpIncomplete), 1);
        assert_eq!(counts.get(Bucket::Sip), 1);
        assert_eq!(r.stats.associations, 2);
    }
}
