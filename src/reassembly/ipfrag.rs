//! IPv4 and IPv6 fragment reassembly, bounded in time and memory.
//!
//! Fragments are keyed by (source, destination, identification, protocol) and
//! may arrive in any order or more than once: the first copy of every byte
//! wins, a fragment that adds nothing is a duplicate. A datagram is complete
//! when its last fragment has fixed the length and every byte below it is
//! covered. Pending datagrams are dropped after a timeout (capture time) and,
//! oldest first, when the bytes held pass a bound; their frames are reported
//! so the caller can count them as never reassembled.
//!
//! etherparse has a defragmenter (`IpDefragPool`), but it takes a whole
//! `SlicedPacket` of the outer frame (so not a fragment found inside a tunnel),
//! and its documentation says it is not safe against memory exhaustion; this
//! one is small, bounded and takes fragments at any depth.

use crate::decode::{Ctx, FragKey, Fragment};
use std::collections::HashMap;

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
    /// Covered byte ranges, sorted and merged.
    covered: Vec<(u32, u32)>,
    total: Option<u32>,
    frames: u32,
    ctx: Ctx,
}

#[derive(Debug, PartialEq, Eq)]
pub enum FragOutcome {
    /// Held until the rest arrives.
    Pending,
    /// Added no new byte.
    Duplicate,
    /// Impossible offsets or lengths.
    Invalid,
    /// The datagram is whole. `frames` counts every fragment frame used, this one included.
    Complete {
        payload: Vec<u8>,
        frames: u32,
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

    /// Adds one fragment. `dropped_frames` receives the frame count of datagrams
    /// abandoned to make room or because they timed out.
    pub fn push(&mut self, f: &Fragment<'_>, ts: i64, dropped_frames: &mut u64) -> FragOutcome {
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
        let p = self.pending.entry(f.key).or_insert_with(|| Pending {
            first_ts: ts,
            data: Vec::new(),
            covered: Vec::new(),
            total: None,
            frames: 0,
            ctx: f.ctx,
        });
        if !f.more {
            match p.total {
                None if p.covered.last().is_none_or(|&(_, e)| e <= end) => p.total = Some(end),
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
        let mut cursor = start;
        for &(cs, ce) in p
            .covered
            .iter()
            .chain(std::iter::once(&(u32::MAX, u32::MAX)))
        {
            if ce <= cursor {
                continue;
            }
            let gap_end = cs.min(end);
            if gap_end > cursor {
                let (a, b) = ((cursor - start) as usize, (gap_end - start) as usize);
                let dst = p.data.get_mut(cursor as usize..gap_end as usize);
                if let (Some(dst), Some(src)) = (dst, f.payload.get(a..b)) {
                    dst.copy_from_slice(src);
                    added = true;
                }
            }
            cursor = cursor.max(ce);
            if cursor >= end {
                break;
            }
        }
        if !added && end > start {
            self.stats.duplicates += 1;
            return FragOutcome::Duplicate;
        }
        p.frames += 1;
        insert_range(&mut p.covered, start, end);
        p.ctx.cut |= f.ctx.cut;
        if let Some(t) = p.total {
            if p.covered.as_slice() == [(0, t)] {
                let Some(mut p) = self.pending.remove(&f.key) else {
                    return FragOutcome::Pending;
                };
                self.bytes -= p.data.len();
                p.data.truncate(t as usize);
                self.stats.reassembled += 1;
                return FragOutcome::Complete {
                    payload: p.data,
                    frames: p.frames,
                    ctx: p.ctx,
                };
            }
        }
        FragOutcome::Pending
    }

    /// Drops datagrams past the timeout; returns their frame count.
    fn sweep(&mut self, ts: i64) -> u64 {
        // Sweeping costs a pass over the table: do it at most once per capture second.
        // Saturating: capture times come from the file and may be anywhere in i64.
        if ts.saturating_sub(self.last_sweep_ts) < 1_000_000_000 || self.pending.is_empty() {
            return 0;
        }
        self.last_sweep_ts = ts;
        let limit = ts.saturating_sub(self.limits.timeout_ns);
        let mut frames = 0;
        let mut freed = 0;
        let mut count = 0;
        self.pending.retain(|_, p| {
            if p.first_ts < limit {
                frames += u64::from(p.frames);
                freed += p.data.len();
                count += 1;
                false
            } else {
                true
            }
        });
        self.bytes -= freed;
        self.stats.timed_out += count;
        frames
    }

    fn evict_oldest(&mut self) -> u64 {
        let Some(key) = self
            .pending
            .iter()
            .min_by_key(|(_, p)| p.first_ts)
            .map(|(k, _)| *k)
        else {
            return 0;
        };
        let Some(p) = self.pending.remove(&key) else {
            return 0;
        };
        self.bytes -= p.data.len();
        self.stats.evicted_for_memory += 1;
        u64::from(p.frames)
    }

    /// Ends the capture: returns the frames of datagrams never completed.
    pub fn finish(&mut self) -> u64 {
        let frames = self.pending.values().map(|p| u64::from(p.frames)).sum();
        self.stats.left_at_end += self.pending.len() as u64;
        self.pending.clear();
        self.bytes = 0;
        frames
    }

    pub fn bytes_held(&self) -> usize {
        self.bytes
    }
}

fn insert_range(v: &mut Vec<(u32, u32)>, s: u32, e: u32) {
    v.push((s, e));
    v.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(v.len());
    for &(a, b) in v.iter() {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    *v = out;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

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

    #[test]
    fn out_of_order_and_duplicated_fragments() {
        let mut d = Defragmenter::new(FragLimits::default());
        let mut dropped = 0;
        assert_eq!(
            d.push(&frag(16, false, b"CCCC"), 0, &mut dropped),
            FragOutcome::Pending
        );
        assert_eq!(
            d.push(&frag(8, true, b"BBBBBBBB"), 0, &mut dropped),
            FragOutcome::Pending
        );
        assert_eq!(
            d.push(&frag(8, true, b"xxxxxxxx"), 0, &mut dropped),
            FragOutcome::Duplicate
        );
        match d.push(&frag(0, true, b"AAAAAAAA"), 0, &mut dropped) {
            FragOutcome::Complete {
                payload, frames, ..
            } => {
                assert_eq!(payload, b"AAAAAAAABBBBBBBBCCCC");
                assert_eq!(frames, 3);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(d.bytes_held(), 0);
        assert_eq!(dropped, 0);
    }

    #[test]
    fn overlaps_keep_the_first_copy() {
        let mut d = Defragmenter::new(FragLimits::default());
        let mut dropped = 0;
        d.push(&frag(0, true, b"AAAAAAAAAAAAAAAA"), 0, &mut dropped);
        match d.push(&frag(8, false, b"bbbbbbbbCCCC"), 0, &mut dropped) {
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
        d.push(&frag(0, true, b"AAAAAAAA"), 0, &mut dropped);
        // A later, different datagram past the timeout sweeps the first one away.
        let mut f2 = frag(0, true, b"BBBBBBBB");
        f2.key.id = 8;
        d.push(&f2, 2_000_000_000, &mut dropped);
        assert_eq!(dropped, 1);
        assert_eq!(d.stats.timed_out, 1);
        // The byte bound evicts the oldest.
        let mut f3 = frag(0, true, b"CCCCCCCCCCCCCCCC");
        f3.key.id = 9;
        d.push(&f3, 2_000_000_001, &mut dropped);
        assert_eq!(dropped, 2);
        assert_eq!(d.stats.evicted_for_memory, 1);
        assert_eq!(d.finish(), 1);
    }

    #[test]
    fn impossible_fragments_are_invalid() {
        let mut d = Defragmenter::new(FragLimits::default());
        let mut dropped = 0;
        assert_eq!(
            d.push(&frag(65_528, true, &[0; 16]), 0, &mut dropped),
            FragOutcome::Invalid
        );
    }
}
