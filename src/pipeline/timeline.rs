//! Many inputs read as one capture: the frames of every input merged in time
//! order before the stateful stage, so that a call whose INVITE is in one
//! rotated file and whose BYE is in the next is one call, and a TCP stream cut
//! by a rotation is one stream.
//!
//! How: each input's first timestamp is probed (a few hundred kilobytes read);
//! inputs are opened in that order, each on a thread of its own
//! ([`super::source`]), a few ahead of the merge so that decoding runs in
//! parallel with it. An input joins the merge when the merge reaches its first
//! timestamp; the merge then takes, from the input with the earliest pending
//! event, every event up to the next input's — for rotated files, which do not
//! overlap, that is each file whole, one after the other; for captures that
//! overlap (two capture points, two interfaces), their events interleave.
//! The inputs being merged sit in a heap keyed by their next event's time, so
//! each step costs O(log n) in the number of overlapping inputs.
//! Memory is bounded by the inputs open at once (the overlapping ones plus the
//! look-ahead, at most [`MAX_OPEN_INPUTS`]), each a few batches ahead, never by
//! the size of the archive.
//!
//! A run of one input has nothing to merge: it is read on one of rayon's threads
//! (the caller waits), in small batches, and its events go straight to the
//! stateful stage (one move between threads fewer).
//!
//! The same file named twice (a directory and a file inside it, a glob and a
//! list) is read once; the second is reported as skipped.

use super::batch::{recycling, GiveBack};
use super::ordered::Ordered;
use super::source::{produce, read_events, Event, SourceEnd, Step};
use super::{InputReport, Limits, Progress};
use crate::capture::{probe_first_ts, InputSpec};
use crate::reassembly::Item;
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::ScopedJoinHandle;

/// Batches a source may have decoded ahead of the merge.
const SOURCE_QUEUE: usize = 2;

/// Inputs open at once (each is a thread and a few batches in memory), look-ahead
/// included. Past this many overlapping inputs, the next waits until one ends and is
/// then merged late: its events before the merge front reach the stateful stage out of
/// time order, and the input is counted in [`TimelineStats::inputs_merged_late`]. One
/// thread per input made 35,000 overlapping one-frame files abort on `failed to spawn thread`.
pub const MAX_OPEN_INPUTS: usize = 64;

/// The bytes of frames in a batch of a single input's walk (and at most
/// `capture::BATCH_FRAMES` frames). With the reading thread in rayon's pool:
/// sip-heavy-1g wall −4.5 % (median of nine interleaved runs), sip-heavy-500m −5 %,
/// rtp-1g −2.6 % (fifteen runs) against batches of 8 192 frames read from outside
/// the pool (issue #16). 256 KiB measured the same on SIP and 3 % slower on RTP.
const SINGLE_INPUT_BATCH_BYTES: usize = 512 << 10;

/// How the inputs were read.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct TimelineStats {
    /// Input indexes in the order they were opened (time order of their first frames).
    pub read_order: Vec<u32>,
    /// Inputs that overlapped in time with another one (several capture points, or a
    /// capture split with overlap): their events were interleaved.
    pub overlapping_inputs: u64,
    /// SIP messages dropped as another input's copy of the same datagram.
    pub duplicate_messages: u64,
    /// Inputs given twice (the same file by two names): read once.
    pub repeated_inputs: u64,
    /// Inputs that joined the merge after it had passed their first frame, because
    /// [`MAX_OPEN_INPUTS`] inputs were already open: their earlier events came late.
    pub inputs_merged_late: u64,
}

/// Reads every input as one timeline, pushing items to `sink` in time order.
/// Reports come back in the order the inputs were given.
pub fn run_timeline(
    inputs: &[InputSpec],
    limits: &Limits,
    progress: &Progress,
    sink: &mut (dyn FnMut(Item) + Send),
) -> (Vec<InputReport>, TimelineStats) {
    let mut stats = TimelineStats::default();
    let repeats = repeated(inputs);
    stats.repeated_inputs = repeats.iter().filter(|r| r.is_some()).count() as u64;
    // Probing reads little per input, but archives have thousands of inputs: in parallel.
    let first_ts: Vec<Option<i64>> = inputs
        .par_iter()
        .zip(&repeats)
        .map(|(i, r)| if r.is_some() { None } else { probe_first_ts(i) })
        .collect();
    let mut order: Vec<usize> = (0..inputs.len())
        .filter(|&i| repeats[i].is_none())
        .collect();
    // Unknown first times (stdin, unreadable, not a capture) first: read at once, errors early.
    order.sort_by_key(|&i| (first_ts[i].is_some(), first_ts[i], i));
    stats.read_order = order.iter().map(|&i| i as u32).collect();

    let mut ends: Vec<Option<SourceEnd>> = (0..inputs.len()).map(|_| None).collect();
    let mut ordered = Ordered::new(inputs.len(), limits);
    if let [only] = order[..] {
        // One input: nothing to merge, so its events go straight to the stateful stage on
        // the reading thread instead of through a reader thread's queue (one move of every
        // event between threads fewer; issue #16). That thread is one of rayon's, so each
        // batch's decode is split with the other workers from inside the pool (from
        // outside, each batch was handed in and waited for, the caller put to sleep and
        // woken), and batches are small: their bytes are still in the cache when they are
        // decoded (`SINGLE_INPUT_BATCH_BYTES`).
        let end = rayon::scope(|_| {
            read_events(
                only as u32,
                &inputs[only],
                progress,
                SINGLE_INPUT_BATCH_BYTES,
                &mut |step| {
                    if let Step::Event(ev) = step {
                        ordered.event(ev, sink);
                    }
                },
            )
        });
        ends[only] = Some(end);
    } else {
        merge(
            inputs,
            &order,
            &first_ts,
            &mut ends,
            &mut ordered,
            &mut stats,
            progress,
            sink,
        );
    }
    let counts = ordered.finish(sink);
    let mut reports = Vec::with_capacity(inputs.len());
    for (i, (spec, (end, c))) in inputs.iter().zip(ends.into_iter().zip(counts)).enumerate() {
        stats.duplicate_messages += c.duplicates;
        let (capture, error, skipped, mut frames) = match (end, repeats[i]) {
            (_, Some(first)) => (
                None,
                Some(format!(
                    "{}: the same file as input {} ({}); read once",
                    spec.display(),
                    first + 1,
                    inputs[first].display()
                )),
                true,
                Default::default(),
            ),
            (Some(SourceEnd { result, counts }), None) => match result {
                Ok(info) => (Some(info), None, false, counts),
                Err(e) => {
                    // Walked files that are not captures, and links a walk could not follow.
                    let skipped = spec.walked()
                        && (e.is_not_a_capture() || crate::capture::is_broken_link(spec));
                    (None, Some(e.to_string()), skipped, counts)
                }
            },
            // Every input in `order` is started and ended above; this is only for safety.
            (None, None) => (
                None,
                Some("not read".to_string()),
                false,
                Default::default(),
            ),
        };
        frames.merge(&c.frames);
        reports.push(InputReport {
            index: i as u32,
            path: spec.display(),
            capture,
            error,
            skipped,
            frames,
            ip_fragments: c.ip_fragments,
            tcp: c.tcp,
            sctp: c.sctp,
        });
    }
    (reports, stats)
}

/// Several inputs: each read on a thread of its own, their events merged in time
/// order into the stateful stage (see the module's doc).
#[allow(clippy::too_many_arguments)]
fn merge(
    inputs: &[InputSpec],
    order: &[usize],
    first_ts: &[Option<i64>],
    ends: &mut [Option<SourceEnd>],
    ordered: &mut Ordered,
    stats: &mut TimelineStats,
    progress: &Progress,
    sink: &mut dyn FnMut(Item),
) {
    let lookahead = rayon::current_num_threads().clamp(2, 8);
    let max_open = MAX_OPEN_INPUTS;
    std::thread::scope(|scope| {
        let mut queue: VecDeque<usize> = order.iter().copied().collect();
        let mut started: VecDeque<Source<'_>> = VecDeque::new();
        // The inputs being merged, by input index, and a heap of their pending heads:
        // picking the earliest input and the bound it may run to costs O(log n), not a
        // pass over every open input per event (quadratic with thousands of overlapping files).
        let mut joined: Vec<Option<Source<'_>>> = (0..inputs.len()).map(|_| None).collect();
        let mut heads: BinaryHeap<Reverse<(i64, usize)>> = BinaryHeap::new();
        let mut overlapped = vec![false; inputs.len()];
        // The first input to join while others were merging marks them all; later
        // joiners mark only themselves (marking every open input each time was quadratic).
        let mut all_marked = false;
        // The latest event time passed on, to tell an input that joins late.
        let mut merged_to: Option<i64> = None;
        loop {
            while started.len() < lookahead && heads.len() + started.len() < max_open {
                let Some(i) = queue.pop_front() else { break };
                let (tx, rx) = sync_channel(SOURCE_QUEUE);
                let (give_back, reuse) = recycling(SOURCE_QUEUE + 1);
                let spec = &inputs[i];
                let handle = std::thread::Builder::new()
                    .name(format!("read-{i}"))
                    .spawn_scoped(scope, move || produce(i as u32, spec, progress, tx, reuse))
                    .expect("an input's reader thread starts");
                started.push_back(Source {
                    index: i,
                    first_ts: first_ts[i],
                    rx,
                    batch: VecDeque::new(),
                    give_back,
                    handle,
                });
            }
            // The merge front: the earliest pending event among the inputs being merged.
            let front = heads.peek().map(|Reverse((ts, _))| *ts);
            // Inputs join when the merge reaches their first frame, or when none is merging.
            let joins = started.front().is_some_and(|s| match (front, s.first_ts) {
                (None, _) | (_, None) => true,
                (Some(f), Some(t)) => t <= f,
            });
            if joins {
                if let Some(mut s) = started.pop_front() {
                    if let (Some(f), Some(t)) = (merged_to, s.first_ts) {
                        stats.inputs_merged_late += u64::from(t < f);
                    }
                    if !heads.is_empty() {
                        overlapped[s.index] = true;
                        if !all_marked {
                            heads
                                .iter()
                                .for_each(|Reverse((_, j))| overlapped[*j] = true);
                            all_marked = true;
                        }
                    } else {
                        all_marked = false;
                    }
                    let i = s.index;
                    match s.refill().then(|| s.head()).flatten() {
                        Some(ts) => {
                            heads.push(Reverse((ts, i)));
                            joined[i] = Some(s);
                        }
                        None => ends[i] = Some(s.end()),
                    }
                }
                continue;
            }
            let Some(Reverse((_, pick))) = heads.pop() else {
                if started.is_empty() && queue.is_empty() {
                    break; // nothing merging, nothing left to start
                }
                continue;
            };
            // Take from it up to the next input's pending event or first frame.
            let bound = heads
                .peek()
                .map(|Reverse((ts, _))| *ts)
                .into_iter()
                .chain(started.front().and_then(|s| s.first_ts))
                .min()
                .unwrap_or(i64::MAX);
            let Some(s) = joined[pick].as_mut() else {
                continue; // not reached: every index in the heap has its source
            };
            // At least one event per round, so the merge always moves on.
            let mut took = false;
            loop {
                match s.head() {
                    Some(ts) if ts <= bound || !took => {}
                    Some(_) => break,
                    None => {
                        if !s.refill() {
                            break;
                        }
                        continue;
                    }
                }
                if let Some(ev) = s.batch.pop_front() {
                    merged_to = Some(merged_to.map_or(ev.ts_ns, |m| m.max(ev.ts_ns)));
                    ordered.event(ev, sink);
                    took = true;
                }
            }
            match s.head().or_else(|| s.refill().then(|| s.head()).flatten()) {
                Some(ts) => heads.push(Reverse((ts, pick))),
                None => {
                    if let Some(s) = joined[pick].take() {
                        ends[pick] = Some(s.end());
                    }
                }
            }
        }
        stats.overlapping_inputs = overlapped.iter().filter(|o| **o).count() as u64;
    });
}

/// For each input, the earlier input naming the same file, if any.
fn repeated(inputs: &[InputSpec]) -> Vec<Option<usize>> {
    let mut seen: HashMap<std::path::PathBuf, usize> = HashMap::new();
    inputs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let (InputSpec::Path(p) | InputSpec::Walked(p)) = spec else {
                return None;
            };
            let key = std::fs::canonicalize(p).ok()?;
            match seen.get(&key) {
                Some(&first) => Some(first),
                None => {
                    seen.insert(key, i);
                    None
                }
            }
        })
        .collect()
}

/// An input being read: its thread, and the batch of events the merge is taking from.
struct Source<'scope> {
    index: usize,
    first_ts: Option<i64>,
    rx: Receiver<Vec<Event>>,
    /// A deque only to take events from its front and give the emptied vector back
    /// (`Vec` ⇄ `VecDeque` conversions keep the allocation).
    batch: VecDeque<Event>,
    give_back: GiveBack<Event>,
    handle: ScopedJoinHandle<'scope, SourceEnd>,
}

impl Source<'_> {
    fn head(&self) -> Option<i64> {
        self.batch.front().map(|e| e.ts_ns)
    }

    /// Makes sure a batch is pending; false once the input is exhausted.
    fn refill(&mut self) -> bool {
        while self.batch.is_empty() {
            match self.rx.recv() {
                Ok(b) => {
                    let done = std::mem::replace(&mut self.batch, VecDeque::from(b));
                    self.give_back.give(Vec::from(done));
                }
                Err(_) => return false,
            }
        }
        true
    }

    fn end(self) -> SourceEnd {
        drop(self.rx);
        match self.handle.join() {
            Ok(end) => end,
            // A panic in a source thread is a bug; report it as an unreadable input.
            Err(_) => SourceEnd {
                result: Err(crate::capture::CaptureError::Io {
                    path: String::new(),
                    source: std::io::Error::other("internal error while reading this input"),
                }),
                counts: Default::default(),
            },
        }
    }
}
