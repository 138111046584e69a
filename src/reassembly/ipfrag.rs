//! IPv4 and IPv6 fragment reassembly, bounded in time and memory.
//!
//! Fragments are keyed by (source, destination, identification, protocol) and
//! may arrive in any order or more than once: the first copy of every byte
//! wins, a fragment that adds nothing is a duplicate. A datagram is complete
//! when its last fragment has fixed the length and every byte below it is
//! covered. Pending datagrams are dropped after a timeout (capture time) and,
//! oldest first, when the bytes held pass a bound; their frames are reported
//! so the caller can count them as never reassembled. A complete datagram
//! also names the frames it was made of (for `export`), a list bounded per
//! datagram and counted in the byte bound.
//!
//! etherparse has a defragmenter (`IpDefragPool`), but it takes a whole
//! `SlicedPacket` of the outer frame (so not a fragment found inside a tunnel),
//! and its documentation says it is not safe against memory exhaustion; this
//! one is small, bounded and takes fragments at any depth.

use crate::decode::{Ctx, FragKey, Fragment};
use crate::sip::{Frames, Origin, MAX_FRAMES_PER_MESSAGE};
use std::collections::{BTreeMap, HashMap};

/// Limits of the defragmenter.
#[derive(Clone, Copy, Debug)]
pub struct FragLimits {
    /// A datagram still incomplete this long after its first fragment is dropped.
    pub timeout_ns: i64,
    /// Bytes held across all pending datagrams.
    pub max_bytes: usize,
    /// Pending datagrams at once.
    pub max_datagrams: usize,
}

impl Default for FragLimits {
    fn default() -> Self {
        // 30 s is what Linux (ipfrag_time) and Wireshark-style analysers use for IPv4.
        FragLimits {
            timeout_ns: 30_000_000_000,
            max_bytes: 64 << 20,
            max_datagrams: 65_536,
        }
    }
}

/// Largest IP payload a datagram can have.
const MAX_DATAGRAM: u32 = 65_535;

struct Pending {
    first_ts: i64,
    data: Vec<u8>,
    /// Covered byte ranges, start → end, merged (no two touch). Ordered so that
    /// a fragment finds the ranges it overlaps in O(log n): a sorted Vec re-sorted
    /// per fragment made 8,191 fragments in random order cost 45 s per 819 k.
    covered: BTreeMap<u32, u32>,
    total: Option<u32>,
    frames: u32,
    /// The frames that added bytes, in arrival order, up to [`MAX_FRAMES_PER_MESSAGE`].
    origins: Vec<Origin>,
    ctx: Ctx,
}

/// What one recorded frame costs in the byte bound (the list is held as long as the data).
const ORIGIN_BYTES: usize = std::mem::size_of::<Origin>();

impl Pending {
    /// Bytes this datagram counts against [`FragLimits::max_bytes`].
    fn held(&self) -> usize {
        self.data.len() + self.origins.len() * ORIGIN_BYTES
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum FragOutcome {
    /// Held until the rest arrives.
    Pending,
    /// Added no new byte.
    Duplicate,
    /// Impossible offsets or lengths.
    Invalid,
    /// The datagram is whole. `frames` counts every fragment frame used, this
    /// one included; `parts` names them (bounded; the rest counted as omitted).
    Complete {
        payload: Vec<u8>,
        frames: u32,
        parts: Frames,
        ctx: Ctx,
    },
}

#[derive(Default, Debug, Clone, serde::Serialize)]
pub struct FragStats {
    pub reassembled: u64,
    pub duplicates: u64,
    pub invalid: u64,
    pub timed_out: u64,
    pub evicted_for_memory: u64,
    pub left_at_end: u64,
}

impl FragStats {
    pub fn merge(&mut self, o: &FragStats) {
        self.reassembled += o.reassembled;
        self.duplicates += o.duplicates;
        self.invalid += o.invalid;
        self.timed_out += o.timed_out;
        self.evicted_for_memory += o.evicted_for_memory;
        self.left_at_end += o.left_at_end;
    }
}

#[derive(Default)]
pub struct Defragmenter {
    pending: HashMap<FragKey, Pending>,
    /// Pending datagrams by first arrival (with stale entries for those already
    /// done, skipped when met): the oldest is found without a pass over the table.
    order: std::collections::VecDeque<(i64, FragKey)>,
    bytes: usize,
    limits: FragLimits,
    last_sweep_ts: i64,
    pub stats: FragStats,
}

impl Defragmenter {
    pub fn new(limits: FragLimits) -> Self {
        Defragmenter {
            limits,
            ..Default::default()
        }
    }

    /// Adds one fragment, carried by the frame `origin`. `dropped_frames`
    /// receives the frame count of datagrams abandoned to make room or because
    /// they timed out.
    pub fn push(
        &mut self,
        f: &Fragment<'_>,
        ts: i64,
        origin: Origin,
        dropped_frames: &mut u64,
    ) -> FragOutcome {
        *dropped_frames += self.sweep(ts);
        let start = f.offset;
        let Some(end) = start
            .checked_add(f.payload.len() as u32)
            .filter(|e| *e <= MAX_DATAGRAM)
        else {
            self.stats.invalid += 1;
            return FragOutcome::Invalid;
        };
        // Non-last fragments carry a multiple of 8 bytes; a zero-length one adds nothing.
        if end == start && f.more {
            self.stats.invalid += 1;
            return FragOutcome::Invalid;
        }
        if !self.pending.contains_key(&f.key) {
            while self.pending.len() >= self.limits.max_datagrams
                || (self.bytes + f.payload.len() > self.limits.max_bytes
                    && !self.pending.is_empty())
            {
                *dropped_frames += self.evict_oldest();
            }
        }
        if !self.pending.contains_key(&f.key) {
            self.order.push_back((ts, f.key));
            if self.order.len() > 2 * self.pending.len() + 1024 {
                let pending = &self.pending;
                self.order
                    .retain(|(t, k)| pending.get(k).is_some_and(|p| p.first_ts == *t));
            }
        }
        let p = self.pending.entry(f.key).or_insert_with(|| Pending {
            first_ts: ts,
            data: Vec::new(),
            covered: BTreeMap::new(),
            total: None,
            frames: 0,
            origins: Vec::new(),
            ctx: f.ctx,
        });
        if !f.more {
            match p.total {
                None if p.covered.last_key_value().is_none_or(|(_, &e)| e <= end) => {
                    p.total = Some(end)
                }
                Some(t) if t == end => {}
                _ => {
                    self.stats.invalid += 1;
                    return FragOutcome::Invalid;
                }
            }
        }
        if p.total.is_some_and(|t| end > t) {
            self.stats.invalid += 1;
            return FragOutcome::Invalid;
        }
        // Copy only the bytes not yet covered (first copy wins).
        let mut added = false;
        if p.data.len() < end as usize {
            self.bytes += end as usize - p.data.len();
            p.data.resize(end as usize, 0);
        }
        for (gs, ge) in gaps(&p.covered, start, end) {
            let (a, b) = ((gs - start) as usize, (ge - start) as usize);
            let dst = p.data.get_mut(gs as usize..ge as usize);
            if let (Some(dst), Some(src)) = (dst, f.payload.get(a..b)) {
                dst.copy_from_slice(src);
                added = true;
            }
        }
        if !added && end > start {
            self.stats.duplicates += 1;
            return FragOutcome::Duplicate;
        }
        p.frames += 1;
        if p.origins.len() < MAX_FRAMES_PER_MESSAGE {
            p.origins.push(origin);
            self.bytes += ORIGIN_BYTES;
        }
        insert_range(&mut p.covered, start, end);
        p.ctx.cut |= f.ctx.cut;
        if let Some(t) = p.total {
            if p.covered.len() == 1 && p.covered.first_key_value() == Some((&0, &t)) {
                let Some(mut p) = self.pending.remove(&f.key) else {
                    return FragOutcome::Pending;
                };
                self.bytes -= p.held();
                p.data.truncate(t as usize);
                self.stats.reassembled += 1;
                let parts = Frames {
                    omitted: p.frames.saturating_sub(p.origins.len() as u32),
                    list: p.origins.into_boxed_slice(),
                };
                return FragOutcome::Complete {
                    payload: p.data,
                    frames: p.frames,
                    parts,
                    ctx: p.ctx,
                };
            }
        }
        FragOutcome::Pending
    }

    /// Drops datagrams past the timeout; returns their frame count.
    fn sweep(&mut self, ts: i64) -> u64 {
        // At most once per capture second; each look costs only what it drops.
        // Saturating: capture times come from the file and may be anywhere in i64.
        if ts.saturating_sub(self.last_sweep_ts) < 1_000_000_000 || self.pending.is_empty() {
            return 0;
        }
        self.last_sweep_ts = ts;
        let limit = ts.saturating_sub(self.limits.timeout_ns);
        let mut frames = 0;
        while let Some(&(t, _)) = self.order.front() {
            if t >= limit {
                break;
            }
            if let Some(n) = self.drop_front() {
                frames += n;
                self.stats.timed_out += 1;
            }
        }
        frames
    }

    /// Removes the datagram at the front of `order` if it is still pending; its frame count.
    fn drop_front(&mut self) -> Option<u64> {
        let (t, key) = self.order.pop_front()?;
        if self.pending.get(&key).is_none_or(|p| p.first_ts != t) {
            return None; // completed or dropped already
        }
        let p = self.pending.remove(&key)?;
        self.bytes -= p.held();
        Some(u64::from(p.frames))
    }

    fn evict_oldest(&mut self) -> u64 {
        while !self.order.is_empty() {
            if let Some(n) = self.drop_front() {
                self.stats.evicted_for_memory += 1;
                return n;
            }
        }
        // Not reached: every pending datagram is in `order`. Clear rather than loop.
        let frames = self.pending.values().map(|p| u64::from(p.frames)).sum();
        self.stats.evicted_for_memory += self.pending.len() as u64;
        self.pending.clear();
        self.bytes = 0;
        frames
    }

    /// Ends the capture: returns the frames of datagrams never completed.
    pub fn finish(&mut self) -> u64 {
        let frames = self.pending.values().map(|p| u64::from(p.frames)).sum();
        self.stats.left_at_end += self.pending.len() as u64;
        self.pending.clear();
        self.order.clear();
        self.bytes = 0;
        frames
    }

    pub fn bytes_held(&self) -> usize {
        self.bytes
    }
}

/// The parts of `start..end` that no range in `covered` holds, in order.
fn gaps(covered: &BTreeMap<u32, u32>, start: u32, end: u32) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut cursor = start;
    // The range that starts at or before `start` may cover its beginning.
    if let Some((_, &e)) = covered.range(..=start).next_back() {
        cursor = cursor.max(e);
    }
    for (&s, &e) in covered.range(start.saturating_add(1)..end) {
        if s > cursor {
            out.push((cursor, s));
        }
        cursor = cursor.max(e);
    }
    if cursor < end {
        out.push((cursor, end));
    }
    out
}

/// Adds `s..e` to `covered`, merging every range it overlaps or touches.
fn insert_range(covered: &mut BTreeMap<u32, u32>, mut s: u32, mut e: u32) {
    if let Some((&ps, &pe)) = covered.range(..=s).next_back() {
        if pe >= s {
            s = ps;
            e = e.max(pe);
            covered.remove(&ps);
        }
    }
    while let Some((&ns, &ne)) = covered.range(s..=e).next() {
        e = e.max(ne);
        covered.remove(&ns);
    }
    covered.insert(s, e);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    /// Regression: evicting the oldest pending datagram scanned the whole table,
    /// so a million never-completing fragments at the 65,536 limit took six minutes.
    #[test]
    fn eviction_at_the_datagram_limit_is_not_quadratic() {
        let mut d = Defragmenter::new(FragLimits {
            max_datagrams: 50_000,
            ..FragLimits::default()
        });
        let mut dropped = 0;
        for k in 0..300_000u32 {
            let mut f = frag(0, true, &[0u8; 8]);
            f.key.id = k;
            let _ = d.push(&f, i64::from(k), Origin::default(), &mut dropped);
        }
        assert_eq!(dropped, 250_000);
        assert_eq!(d.stats.evicted_for_memory, 250_000);
        assert_eq!(d.finish(), 50_000);
    }

    fn frag(offset: u32, more: bool, payload: &[u8]) -> Fragment<'_> {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        Fragment {
            key: FragKey {
                src: a,
                dst: a,
                id: 7,
                proto: 17,
            },
            offset,
            more,
            payload,
            ctx: Ctx::default(),
        }
    }

    fn o() -> Origin {
        Origin::default()
    }

    fn at(frame: u64) -> Origin {
        Origin { file: 0, frame }
    }

    #[test]
    fn out_of_order_and_duplicated_fragments() {
        let mut d = Defragmenter::new(FragLimits::default());
        let mut dropped = 0;
        assert_eq!(
            d.push(&frag(16, false, b"CCCC"), 0, at(1), &mut dropped),
            FragOutcome::Pending
        );
        assert_eq!(
            d.push(&frag(8, true, b"BBBBBBBB"), 0, at(2), &mut dropped),
            FragOutcome::Pending
        );
        assert_eq!(
            d.push(&frag(8, true, b"xxxxxxxx"), 0, at(3), &mut dropped),
            FragOutcome::Duplicate
        );
        match d.push(&frag(0, true, b"AAAAAAAA"), 0, at(4), &mut dropped) {
            FragOutcome::Complete {
                payload,
                frames,
                parts,
                ..
            } => {
                assert_eq!(payload, b"AAAAAAAABBBBBBBBCCCC");
                assert_eq!(frames, 3);
                // The duplicate added nothing, so it is not one of the datagram's frames.
                assert_eq!(&*parts.list, &[at(1), at(2), at(4)]);
                assert_eq!(parts.omitted, 0);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(d.bytes_held(), 0);
        assert_eq!(dropped, 0);
    }

    #[test]
    fn the_frame_list_is_bounded_and_counts_what_it_left_out() {
        let mut d = Defragmenter::new(FragLimits::default());
        let mut dropped = 0;
        let n = MAX_FRAMES_PER_MESSAGE as u32 + 5;
        for i in 0..n - 1 {
            let out = d.push(
                &frag(i * 8, true, &[b'a'; 8]),
                0,
                at(u64::from(i)),
                &mut dropped,
            );
            assert_eq!(out, FragOutcome::Pending);
        }
        match d.push(&frag((n - 1) * 8, false, b"z"), 0, at(9999), &mut dropped) {
            FragOutcome::Complete { frames, parts, .. } => {
                assert_eq!(frames, n);
                assert_eq!(parts.list.len(), MAX_FRAMES_PER_MESSAGE);
                assert_eq!(parts.omitted, 5);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(d.bytes_held(), 0, "the list is released with the data");
    }

    /// Regression (#17): holes were a sorted Vec re-sorted per fragment, so a
    /// datagram of 8,191 fragments in random order cost ~11× one of 1,024. The
    /// ordered map must give the same bytes whatever the order and overlaps.
    #[test]
    fn fragments_in_any_order_with_overlaps_give_the_datagram() {
        let want: Vec<u8> = (0..8_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut rng = 12345u64;
        for round in 0..20 {
            let mut d = Defragmenter::new(FragLimits::default());
            let mut dropped = 0;
            // Pieces of 8..64 bytes at 8-byte offsets, some overlapping, in random order.
            let mut pieces = vec![];
            let mut off = 0;
            while off < want.len() {
                rng = rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let len = (8 * (1 + (rng >> 60) as usize)).min(want.len() - off);
                pieces.push((off, len));
                if rng >> 63 == 1 && off + len + 8 < want.len() {
                    pieces.push((off, len + 8)); // an overlapping copy
                }
                off += len;
            }
            for i in (1..pieces.len()).rev() {
                rng = rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                pieces.swap(i, (rng >> 33) as usize % (i + 1));
            }
            let mut done = None;
            for &(o, l) in &pieces {
                let f = frag(o as u32, o + l < want.len(), &want[o..o + l]);
                if let FragOutcome::Complete { payload, .. } = d.push(&f, 0, at(1), &mut dropped) {
                    done = Some(payload);
                    break; // later copies would start a new datagram
                }
            }
            assert_eq!(done.as_deref(), Some(want.as_slice()), "round {round}");
            assert_eq!(d.bytes_held(), 0);
        }
    }

    #[test]
    fn gaps_and_ranges_merge() {
        let mut c = BTreeMap::new();
        insert_range(&mut c, 16, 24);
        insert_range(&mut c, 40, 48);
        assert_eq!(gaps(&c, 0, 56), [(0, 16), (24, 40), (48, 56)]);
        assert_eq!(gaps(&c, 18, 42), [(24, 40)]);
        insert_range(&mut c, 24, 40);
        assert_eq!(c.into_iter().collect::<Vec<_>>(), [(16, 48)]);
    }

    #[test]
    fn overlaps_keep_the_first_copy() {
        let mut d = Defragmenter::new(FragLimits::default());
        let mut dropped = 0;
        d.push(&frag(0, true, b"AAAAAAAAAAAAAAAA"), 0, o(), &mut dropped);
        match d.push(&frag(8, false, b"bbbbbbbbCCCC"), 0, o(), &mut dropped) {
            FragOutcome::Complete { payload, .. } => assert_eq!(payload, b"AAAAAAAAAAAAAAAACCCC"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn timeout_and_memory_bound_drop_pending_datagrams() {
        let mut d = Defragmenter::new(FragLimits {
            timeout_ns: 10,
            max_bytes: 16,
            max_datagrams: 2,
        });
        let mut dropped = 0;
        d.push(&frag(0, true, b"AAAAAAAA"), 0, o(), &mut dropped);
        // A later, different datagram past the timeout sweeps the first one away.
        let mut f2 = frag(0, true, b"BBBBBBBB");
        f2.key.id = 8;
        d.push(&f2, 2_000_000_000, o(), &mut dropped);
        assert_eq!(dropped, 1);
        assert_eq!(d.stats.timed_out, 1);
        // The byte bound evicts the oldest.
        let mut f3 = frag(0, true, b"CCCCCCCCCCCCCCCC");
        f3.key.id = 9;
        d.push(&f3, 2_000_000_001, o(), &mut dropped);
        assert_eq!(dropped, 2);
        assert_eq!(d.stats.evicted_for_memory, 1);
        assert_eq!(d.finish(), 1);
    }

    #[test]
    fn impossible_fragments_are_invalid() {
        let mut d = Defragmenter::new(FragLimits::default());
        let mut dropped = 0;
        assert_eq!(
            d.push(&frag(65_528, true, &[0; 16]), 0, o(), &mut dropped),
            FragOutcome::Invalid
        );
    }
}
