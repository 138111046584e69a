//! One input read: frames decoded in parallel batches ([`crate::pipeline::frames`])
//! and turned into owned, time-stamped [`Event`]s for the stateful stage —
//! sent from a thread of its own to the merge when there are several inputs
//! ([`produce`]), handed over on the reading thread (one of rayon's) when there is
//! one ([`read_events`]; [`crate::pipeline::timeline`] chooses).
//!
//! Only what the stateful stage needs travels: SIP (and malformed SIP) items,
//! ICMP errors, IP fragments, TCP segments and SCTP packets with DATA, their bytes copied out of the
//! capture buffer. Frames that are finished here (RTP, DNS, anything that is not
//! SIP) are counted here and never leave the thread, so a capture that is mostly
//! media costs the merge nothing. Sending blocks when the merge is behind: a
//! source runs at most a few batches ahead, whatever the size of its file, and a
//! batch sent holds at most [`EVENT_BATCH_BYTES`] (past one event).

use super::batch::Reuse;
use super::frames::{stage_a, Work};
use super::Progress;
use crate::accounting::{Bucket, FrameCounts};
use crate::capture::{read_capture_in, CaptureError, CaptureInfo, Frame, InputSpec, BATCH_FRAMES};
use crate::decode::sctp::SctpPacket;
use crate::decode::{Ctx, FragKey, Fragment, Segment};
use crate::reassembly::Item;
use crate::sip::Origin;
use rayon::prelude::*;

/// How many frames ahead of the one handed on [`read_events`] asks for a message's length.
const PREFETCH_AHEAD: usize = 8;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::SyncSender;

/// Something the stateful stage must see, at its place in time.
pub(crate) struct Event {
    /// The frame's capture time: the merge key.
    pub ts_ns: i64,
    pub origin: Origin,
    pub kind: EventKind,
}

#[allow(clippy::large_enum_variant)]
pub(crate) enum EventKind {
    /// A finished item and the bucket its frame falls in (counted by the stateful
    /// stage, which may yet find it a duplicate of another capture's copy).
    Item(Bucket, Item),
    Frag(OwnedFragment),
    Tcp(OwnedSegment),
    Sctp(OwnedSctp),
}

/// [`SctpPacket`] with its chunks owned, to cross threads.
pub(crate) struct OwnedSctp {
    src: SocketAddr,
    dst: SocketAddr,
    vtag: u32,
    chunks: Box<[u8]>,
    ctx: Ctx,
}

impl OwnedSctp {
    fn of(p: &SctpPacket<'_>) -> Self {
        OwnedSctp {
            src: p.src,
            dst: p.dst,
            vtag: p.vtag,
            chunks: p.chunks.into(),
            ctx: p.ctx,
        }
    }
    pub fn view(&self) -> SctpPacket<'_> {
        SctpPacket {
            src: self.src,
            dst: self.dst,
            vtag: self.vtag,
            chunks: &self.chunks,
            ctx: self.ctx,
        }
    }
}

/// [`Fragment`] with its bytes owned, to cross threads.
pub(crate) struct OwnedFragment {
    key: FragKey,
    offset: u32,
    more: bool,
    payload: Box<[u8]>,
    ctx: Ctx,
}

impl OwnedFragment {
    fn of(f: &Fragment<'_>) -> Self {
        OwnedFragment {
            key: f.key,
            offset: f.offset,
            more: f.more,
            payload: f.payload.into(),
            ctx: f.ctx,
        }
    }
    pub fn view(&self) -> Fragment<'_> {
        Fragment {
            key: self.key,
            offset: self.offset,
            more: self.more,
            payload: &self.payload,
            ctx: self.ctx,
        }
    }
}

/// [`Segment`] with its bytes owned, to cross threads.
pub(crate) struct OwnedSegment {
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    syn: bool,
    fin: bool,
    rst: bool,
    payload: Box<[u8]>,
    ctx: Ctx,
}

impl OwnedSegment {
    fn of(s: &Segment<'_>) -> Self {
        OwnedSegment {
            src: s.src,
            dst: s.dst,
            seq: s.seq,
            syn: s.syn,
            fin: s.fin,
            rst: s.rst,
            payload: s.payload.into(),
            ctx: s.ctx,
        }
    }
    pub fn view(&self) -> Segment<'_> {
        Segment {
            src: self.src,
            dst: self.dst,
            seq: self.seq,
            syn: self.syn,
            fin: self.fin,
            rst: self.rst,
            payload: &self.payload,
            ctx: self.ctx,
        }
    }
}

/// Bytes of events sent to the merge at once at most (past one event): the queue
/// between a source and the merge holds a few of these, so it is bounded in
/// bytes, not only in batches.
const EVENT_BATCH_BYTES: usize = 4 << 20;

/// The bytes an event carries.
fn event_bytes(kind: &EventKind) -> usize {
    std::mem::size_of::<Event>()
        + match kind {
            EventKind::Item(_, item) => super::batch::item_bytes(item),
            EventKind::Frag(f) => f.payload.len(),
            EventKind::Tcp(s) => s.payload.len(),
            EventKind::Sctp(p) => p.chunks.len(),
        }
}

/// How one input ended, as the source saw it.
pub(crate) struct SourceEnd {
    pub result: Result<CaptureInfo, CaptureError>,
    /// The frames finished in the stateless stage (the rest are counted downstream).
    pub counts: FrameCounts,
}

/// Reads input `index` to its end, sending its events in capture order.
/// If the receiver is gone (the run was abandoned), the rest is read and dropped.
pub(crate) fn produce(
    index: u32,
    input: &InputSpec,
    progress: &Progress,
    tx: SyncSender<Vec<Event>>,
    reuse: Reuse<Event>,
) -> SourceEnd {
    let mut open = true;
    let mut events = reuse.take(BATCH_FRAMES);
    let mut held = 0usize;
    let mut send = |events: &mut Vec<Event>| {
        if events.is_empty() {
            return;
        }
        let full = std::mem::replace(events, reuse.take(BATCH_FRAMES));
        if open && tx.send(full).is_err() {
            open = false;
        }
    };
    // Batches of 8 192 frames: a source reads on a thread of its own, outside rayon's
    // pool, where each batch's decode is handed in and waited for; smaller batches
    // made a 19-file archive of sip-heavy-500m ~5 % slower.
    read_events(index, input, progress, usize::MAX, &mut |step| match step {
        Step::Event(ev) => {
            held += event_bytes(&ev.kind);
            events.push(ev);
            // A batch of 8,192 frames of 64 KiB would queue half a gigabyte: sent in parts.
            if held >= EVENT_BATCH_BYTES {
                send(&mut events);
                held = 0;
            }
        }
        Step::BatchEnd => {
            send(&mut events);
            held = 0;
        }
    })
}

/// What [`read_events`] hands on: an event, or the end of a batch of frames (where a
/// threaded source sends what it has gathered).
pub(crate) enum Step {
    Event(Event),
    BatchEnd,
}

/// Reads input `index` to its end, handing each event to `on` in capture order, on
/// the calling thread (the frames of each batch decoded in parallel on rayon's), in
/// batches of at most `batch_bytes` of frames (and `BATCH_FRAMES` frames).
/// [`produce`] sends them to the merge; a run of one input hands them straight to
/// the stateful stage ([`super::timeline`]), one move between threads fewer.
pub(crate) fn read_events(
    index: u32,
    input: &InputSpec,
    progress: &Progress,
    batch_bytes: usize,
    on: &mut dyn FnMut(Step),
) -> SourceEnd {
    let mut counts = FrameCounts::default();
    let mut read = 0u64;
    let result = read_capture_in(input, batch_bytes, &mut |batch: &[Frame<'_>]| {
        let bytes: usize = batch.iter().map(|f| f.data.len() + 16).sum();
        read += bytes as u64;
        progress.bytes.fetch_add(bytes as u64, Relaxed);
        progress.frames.fetch_add(batch.len() as u64, Relaxed);
        let work: Vec<Work<'_>> = if batch.len() >= 64 {
            batch
                .par_iter()
                .with_min_len(256)
                .map(|f| stage_a(f, index))
                .collect()
        } else {
            batch.iter().map(|f| stage_a(f, index)).collect()
        };
        let mut work = work.into_iter();
        for f in batch {
            let Some(w) = work.next() else { break };
            // The batcher reads each message's length a few steps on, from a record
            // written on either decoding core: asked for ahead, that miss was most of
            // `ItemBatcher::push`'s time on this serial path (issue #16).
            if let Some(Work::Final(_, Some(Item::Sip(m)))) = work.as_slice().get(PREFETCH_AHEAD) {
                m.prefetch_length();
            }
            let kind = match w {
                Work::Final(b, None) => {
                    counts.add(b, 1);
                    continue;
                }
                Work::Final(b, Some(item)) => EventKind::Item(b, item),
                Work::Frag(fr) => EventKind::Frag(OwnedFragment::of(&fr)),
                Work::Tcp(seg) => EventKind::Tcp(OwnedSegment::of(&seg)),
                Work::Sctp(p) => EventKind::Sctp(OwnedSctp::of(&p)),
            };
            on(Step::Event(Event {
                ts_ns: f.ts_ns,
                origin: Origin {
                    file: index,
                    frame: f.number,
                },
                kind,
            }));
        }
        on(Step::BatchEnd);
    });
    let on_disk = match input {
        InputSpec::Path(p) | InputSpec::Walked(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
        _ => 0,
    };
    progress.disk_bytes_done.fetch_add(on_disk, Relaxed);
    progress.bytes_of_done_inputs.fetch_add(read, Relaxed);
    progress.inputs_done.fetch_add(1, Relaxed);
    SourceEnd { result, counts }
}
