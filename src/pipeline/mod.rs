//! The decoding half of the pipeline, wired: capture → decode → reassembly → [`Item`]s.
//!
//! Each batch of frames is decoded in parallel (link layers, IP, tunnels, and
//! the SIP scan of every UDP payload are pure functions of one frame); then the
//! batch is walked in frame order on one thread for the stateful work (IP
//! fragments, TCP streams), and items are pushed downstream in capture order.
//! Because the parallel part is stateless and the ordered part sequential, the
//! output is the same whatever the number of threads.

use crate::accounting::{Bucket, FrameCounts};
use crate::capture::{read_capture, CaptureInfo, Frame, InputSpec};
use crate::decode::{self, Decoded, Fragment, Segment};
use crate::reassembly::ipfrag::{Defragmenter, FragLimits, FragOutcome, FragStats};
use crate::reassembly::tcp::{At, TcpLimits, TcpReassembler, TcpStats};
use crate::reassembly::{IcmpEvent, Item};
use crate::sip::scan::{scan, Defects, Mode, ScanError};
use crate::sip::{Carriage, MalformedSip, Origin, SipMessage, Transport};
use rayon::prelude::*;
use std::net::SocketAddr;

/// Limits on the stateful stages (documented defaults; see the README's reliability section).
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    pub fragments: FragLimits,
    pub tcp: TcpLimits,
}

/// What one input gave, besides its items.
#[derive(Clone, Debug, serde::Serialize)]
pub struct InputReport {
    pub index: u32,
    pub path: String,
    /// Absent when the input could not be read at all (see `error`).
    pub capture: Option<CaptureInfo>,
    pub error: Option<String>,
    /// Found by walking a directory and not a capture (a README, a checksum file): skipped, not an error.
    pub skipped: bool,
    pub frames: FrameCounts,
    pub ip_fragments: FragStats,
    pub tcp: TcpStats,
}

impl InputReport {
    /// Read to its natural end with no damage.
    pub fn complete(&self) -> bool {
        self.skipped
            || (self.error.is_none() && self.capture.as_ref().is_some_and(|c| c.problem.is_none()))
    }
}

/// Work left for the ordered stage after a frame's parallel decode.
#[allow(clippy::large_enum_variant)]
enum Work<'a> {
    Final(Bucket, Option<Item>),
    Frag(Fragment<'a>),
    Tcp(Segment<'a>),
}

/// How far the run has got, for a progress display: updated per batch of frames,
/// read from any thread. Bytes are the frames' captured bytes plus a 16-byte
/// record header each — close to the size of a pcap file.
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes: std::sync::atomic::AtomicU64,
    pub frames: std::sync::atomic::AtomicU64,
    pub inputs_done: std::sync::atomic::AtomicU64,
}

/// Decodes and reassembles one input, pushing its items to `sink` in capture order.
pub fn run_input(
    index: u32,
    input: &InputSpec,
    limits: &Limits,
    progress: &Progress,
    sink: &mut dyn FnMut(Item),
) -> InputReport {
    use std::sync::atomic::Ordering::Relaxed;
    let mut st = Ordered {
        file: index,
        counts: FrameCounts::default(),
        defrag: Defragmenter::new(limits.fragments),
        tcp: TcpReassembler::new(limits.tcp),
        out: Vec::new(),
    };
    let result = read_capture(input, &mut |batch: &[Frame<'_>]| {
        let bytes: usize = batch.iter().map(|f| f.data.len() + 16).sum();
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
        for (f, w) in batch.iter().zip(work) {
            st.frame(f, w, sink);
        }
    });
    st.finish(sink);
    progress.inputs_done.fetch_add(1, Relaxed);
    let (capture, error, skipped) = match result {
        Ok(info) => (Some(info), None, false),
        Err(e) => {
            let skipped = input.walked() && e.is_not_a_capture();
            (None, Some(e.to_string()), skipped)
        }
    };
    debug_assert!(capture
        .as_ref()
        .is_none_or(|c| c.frames == st.counts.total()));
    InputReport {
        index,
        path: input.display(),
        capture,
        error,
        skipped,
        frames: st.counts,
        ip_fragments: st.defrag.stats.clone(),
        tcp: st.tcp.stats.clone(),
    }
}

/// The parallel, stateless part: one frame in, its work out.
fn stage_a<'a>(f: &Frame<'a>, file: u32) -> Work<'a> {
    let origin = Origin {
        file,
        frame: f.number,
    };
    resolve(
        decode::decode_frame(f.linktype, f.data, f.orig_len),
        f.ts_ns,
        origin,
    )
}

fn resolve(d: Decoded<'_>, ts: i64, origin: Origin) -> Work<'_> {
    match d {
        Decoded::Done(b) => Work::Final(b, None),
        Decoded::Udp(dg) => {
            let carriage = Carriage {
                tunnelled: dg.ctx.tunnelled,
                ..Carriage::default()
            };
            let (b, item) = datagram(
                &dg.payload,
                (ts, dg.src, dg.dst, Transport::Udp, origin),
                carriage,
                dg.ctx.cut,
            );
            Work::Final(b, item)
        }
        Decoded::Hep(h) => {
            if h.proto_type != decode::hep::PROTO_SIP {
                return Work::Final(Bucket::NotSip, None);
            }
            let carriage = Carriage {
                hep: true,
                ..Carriage::default()
            };
            let (b, item) = datagram(
                &h.payload,
                (h.ts_ns.unwrap_or(ts), h.src, h.dst, h.transport, origin),
                carriage,
                false,
            );
            Work::Final(b, item)
        }
        Decoded::Icmp(notice) => Work::Final(
            Bucket::Icmp,
            Some(Item::Icmp(IcmpEvent {
                ts_ns: ts,
                origin,
                notice,
            })),
        ),
        Decoded::Fragment(f) => Work::Frag(f),
        Decoded::Tcp(s) => Work::Tcp(s),
    }
}

/// One datagram-delimited payload (UDP, HEP, reassembled fragments): SIP or not.
fn datagram(
    payload: &[u8],
    meta: (i64, SocketAddr, SocketAddr, Transport, Origin),
    carriage: Carriage,
    cut: bool,
) -> (Bucket, Option<Item>) {
    if !payload.is_empty() && payload.iter().all(|b| matches!(b, b'\r' | b'\n')) {
        return (Bucket::SipKeepalive, None);
    }
    match scan(payload, Mode::Datagram) {
        Ok(head) => {
            let (ts, src, dst, transport, origin) = meta;
            let mut m = SipMessage::new(
                (ts, src, dst, transport, origin, carriage),
                payload.into(),
                head,
            );
            if cut {
                m.mark(Defects::SNAPLEN_CUT);
            }
            (Bucket::Sip, Some(Item::Sip(m)))
        }
        Err(ScanError::Malformed(reason)) => (
            Bucket::SipMalformed,
            Some(Item::Malformed(MalformedSip::new(meta, reason, payload))),
        ),
        Err(_) => (Bucket::NotSip, None),
    }
}

/// The ordered, stateful part.
struct Ordered {
    file: u32,
    counts: FrameCounts,
    defrag: Defragmenter,
    tcp: TcpReassembler,
    out: Vec<Item>,
}

impl Ordered {
    fn frame(&mut self, f: &Frame<'_>, w: Work<'_>, sink: &mut dyn FnMut(Item)) {
        let origin = Origin {
            file: self.file,
            frame: f.number,
        };
        match w {
            Work::Final(b, item) => {
                self.counts.add(b, 1);
                if let Some(i) = item {
                    sink(i);
                }
            }
            Work::Frag(fr) => self.fragment(&fr, f.ts_ns, origin, sink),
            Work::Tcp(seg) => {
                self.tcp.segment(
                    &seg,
                    At {
                        ts_ns: f.ts_ns,
                        origin,
                    },
                    &mut self.out,
                    &mut self.counts,
                );
                self.out.drain(..).for_each(&mut *sink);
            }
        }
    }

    fn fragment(&mut self, fr: &Fragment<'_>, ts: i64, origin: Origin, sink: &mut dyn FnMut(Item)) {
        let mut dropped = 0;
        let outcome = self.defrag.push(fr, ts, &mut dropped);
        self.counts.add(Bucket::FragmentIncomplete, dropped);
        match outcome {
            FragOutcome::Pending => {}
            FragOutcome::Duplicate => self.counts.add(Bucket::Duplicate, 1),
            FragOutcome::Invalid => self.counts.add(Bucket::BadHeader, 1),
            FragOutcome::Complete {
                payload,
                frames,
                ctx,
            } => {
                let earlier = u64::from(frames.saturating_sub(1));
                let d = decode::ip_payload(fr.key.proto, fr.key.src, fr.key.dst, &payload, ctx);
                match resolve(d, ts, origin) {
                    Work::Final(b, item) => {
                        self.counts.add(b, 1);
                        self.counts.add(
                            if b == Bucket::Sip {
                                Bucket::SipPartial
                            } else {
                                b
                            },
                            earlier,
                        );
                        if let Some(mut i) = item {
                            if let Item::Sip(m) = &mut i {
                                m.carriage.reassembled = true;
                            }
                            sink(i);
                        }
                    }
                    Work::Tcp(seg) => {
                        // TCP over fragmented IP: the earlier fragments belong to this segment.
                        let b = if crate::sip::scan::may_start_sip(seg.payload) {
                            Bucket::SipPartial
                        } else {
                            Bucket::NotSip
                        };
                        self.counts.add(b, earlier);
                        self.tcp.segment(
                            &seg,
                            At { ts_ns: ts, origin },
                            &mut self.out,
                            &mut self.counts,
                        );
                        self.out.drain(..).for_each(&mut *sink);
                    }
                    Work::Frag(inner) => {
                        // A fragment inside a reassembled tunnel packet: the outer pieces are spent.
                        self.counts.add(Bucket::NotSip, earlier);
                        self.fragment(&inner, ts, origin, sink);
                    }
                }
            }
        }
    }

    fn finish(&mut self, sink: &mut dyn FnMut(Item)) {
        let left = self.defrag.finish();
        self.counts.add(Bucket::FragmentIncomplete, left);
        self.tcp.finish(&mut self.out, &mut self.counts);
        self.out.drain(..).for_each(&mut *sink);
    }
}
