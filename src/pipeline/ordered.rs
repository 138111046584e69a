//! The stateful half of decoding, on one thread, in time order: IP fragments
//! into datagrams, TCP segments and SCTP chunks into SIP messages, for the whole timeline at
//! once — a TCP stream or a fragmented datagram that crosses from one rotated
//! file into the next is reassembled as if the capture had never been cut.
//!
//! Counting stays per input: frame counts and reassembly statistics are kept
//! for the input whose event is being handled (swapped in when the input
//! changes, so the hot path touches no table). Frames that wait in a stream are
//! counted when the stream resolves them, in the input of the frame that
//! resolved them; the run's totals are exact, and a stream crossing a file
//! boundary may move a few frames' counts to the next file.
//!
//! Messages carried in datagrams that another input already delivered within
//! [`super::dedup::WINDOW_NS`] are the same packet seen from a second capture point:
//! they are counted as duplicates and not passed on ([`super::dedup`]).

use super::dedup::{CrossCapture, Verdict};
use super::frames::{resolve, Work};
use super::source::{Event, EventKind};
use super::Limits;
use crate::accounting::{Bucket, FrameCounts};
use crate::decode::{self, Fragment};
use crate::reassembly::ipfrag::{Defragmenter, FragOutcome, FragStats};
use crate::reassembly::sctp::{SctpReassembler, SctpStats};
use crate::reassembly::tcp::{At, TcpReassembler, TcpStats};
use crate::reassembly::Item;
use crate::sip::Origin;

/// What the stateful stage counted for one input.
#[derive(Clone, Debug, Default)]
pub(crate) struct InputCounts {
    pub frames: FrameCounts,
    pub ip_fragments: FragStats,
    pub tcp: TcpStats,
    pub sctp: SctpStats,
    /// Messages dropped as another capture point's copy.
    pub duplicates: u64,
}

pub(crate) struct Ordered {
    per_input: Vec<InputCounts>,
    /// The input whose counts are live in `counts`, `defrag.stats` and `tcp.stats`.
    current: usize,
    counts: FrameCounts,
    duplicates: u64,
    defrag: Defragmenter,
    tcp: TcpReassembler,
    sctp: SctpReassembler,
    out: Vec<Item>,
    /// Only with more than one input.
    dedup: Option<CrossCapture>,
}

impl Ordered {
    pub fn new(inputs: usize, limits: &Limits) -> Self {
        Ordered {
            per_input: vec![InputCounts::default(); inputs.max(1)],
            current: 0,
            counts: FrameCounts::default(),
            duplicates: 0,
            defrag: Defragmenter::new(limits.fragments),
            tcp: TcpReassembler::new(limits.tcp),
            sctp: SctpReassembler::new(limits.sctp),
            out: Vec::new(),
            dedup: (inputs > 1).then(CrossCapture::default),
        }
    }

    /// Makes `file`'s counts the live ones.
    fn switch_to(&mut self, file: u32) {
        let file = file as usize;
        if file == self.current || file >= self.per_input.len() {
            return;
        }
        self.swap_live(self.current); // back into its slot, zeros live
        self.swap_live(file);
        self.current = file;
    }

    /// Exchanges the live counters with input `k`'s slot.
    fn swap_live(&mut self, k: usize) {
        let p = &mut self.per_input[k];
        std::mem::swap(&mut self.counts, &mut p.frames);
        std::mem::swap(&mut self.defrag.stats, &mut p.ip_fragments);
        std::mem::swap(&mut self.tcp.stats, &mut p.tcp);
        std::mem::swap(&mut self.sctp.stats, &mut p.sctp);
        std::mem::swap(&mut self.duplicates, &mut p.duplicates);
    }

    pub fn event(&mut self, ev: Event, sink: &mut dyn FnMut(Item)) {
        self.switch_to(ev.origin.file);
        match ev.kind {
            EventKind::Item(b, item) => self.finished(b, item, ev.ts_ns, sink),
            EventKind::Frag(fr) => self.fragment(&fr.view(), ev.ts_ns, ev.origin, sink),
            EventKind::Tcp(seg) => {
                self.tcp.segment(
                    &seg.view(),
                    At {
                        ts_ns: ev.ts_ns,
                        origin: ev.origin,
                    },
                    &mut self.out,
                    &mut self.counts,
                );
                self.out.drain(..).for_each(&mut *sink);
            }
            EventKind::Sctp(p) => {
                let at = At {
                    ts_ns: ev.ts_ns,
                    origin: ev.origin,
                };
                self.sctp
                    .packet(&p.view(), at, &mut self.out, &mut self.counts);
                self.out.drain(..).for_each(&mut *sink);
            }
        }
    }

    /// A frame that became one item by itself (a datagram): counted, and passed on
    /// unless another capture point's copy went first.
    fn finished(&mut self, b: Bucket, item: Item, ts: i64, sink: &mut dyn FnMut(Item)) {
        if let (Some(d), Item::Sip(m)) = (&mut self.dedup, &item) {
            if d.check(m.raw(), ts, m.origin.file) == Verdict::Duplicate {
                self.counts.add(Bucket::Duplicate, 1);
                self.duplicates += 1;
                return;
            }
        }
        self.counts.add(b, 1);
        sink(item);
    }

    fn fragment(&mut self, fr: &Fragment<'_>, ts: i64, origin: Origin, sink: &mut dyn FnMut(Item)) {
        let mut dropped = 0;
        let outcome = self.defrag.push(fr, ts, origin, &mut dropped);
        self.counts.add(Bucket::FragmentIncomplete, dropped);
        match outcome {
            FragOutcome::Pending => {}
            FragOutcome::Duplicate => self.counts.add(Bucket::Duplicate, 1),
            FragOutcome::Invalid => self.counts.add(Bucket::BadHeader, 1),
            FragOutcome::Complete {
                payload,
                frames,
                parts,
                ctx,
            } => {
                let earlier = u64::from(frames.saturating_sub(1));
                let d = decode::ip_payload(fr.key.proto, fr.key.src, fr.key.dst, &payload, ctx);
                match resolve(d, ts, origin) {
                    Work::Final(b, item) => {
                        self.counts.add(
                            if b == Bucket::Sip {
                                Bucket::SipPartial
                            } else {
                                b
                            },
                            earlier,
                        );
                        match item {
                            Some(mut i) => {
                                if let Item::Sip(m) = &mut i {
                                    m.carriage.reassembled = true;
                                    m.frames = parts;
                                }
                                self.finished(b, i, ts, sink);
                            }
                            None => self.counts.add(b, 1),
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
                    Work::Sctp(p) => {
                        // SCTP over fragmented IP: the earlier fragments belong to this packet.
                        let b = if p
                            .data_chunks()
                            .any(|c| crate::sip::scan::may_start_sip(c.user))
                        {
                            Bucket::SipPartial
                        } else {
                            Bucket::NotSip
                        };
                        self.counts.add(b, earlier);
                        self.sctp.packet(
                            &p,
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

    /// Ends the timeline: what still waits is resolved (counted in the input read
    /// last) and every input's counts come back, in input order.
    pub fn finish(mut self, sink: &mut dyn FnMut(Item)) -> Vec<InputCounts> {
        let left = self.defrag.finish();
        self.counts.add(Bucket::FragmentIncomplete, left);
        self.tcp.finish(&mut self.out, &mut self.counts);
        self.sctp.finish(&mut self.counts);
        self.out.drain(..).for_each(&mut *sink);
        self.swap_live(self.current);
        self.per_input
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{Ctx, FragKey};
    use crate::sip::Transport;

    /// The glue from the defragmenter to the SCTP reassembler: an SCTP packet
    /// cut into two IP fragments gives its SIP message, each frame counted once.
    #[test]
    fn sctp_inside_ip_fragments_is_followed() {
        let sip = b"OPTIONS sip:b@x SIP/2.0\r\nContent-Length: 0\r\n\r\n";
        let mut packet = vec![0x13, 0xc4, 0x13, 0xc4, 0, 0, 0, 1, 0, 0, 0, 0];
        packet.extend_from_slice(&[0, 3]); // DATA, B and E
        packet.extend_from_slice(&((16 + sip.len()) as u16).to_be_bytes());
        packet.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        packet.extend_from_slice(sip);
        let key = FragKey {
            src: [10, 0, 0, 1].into(),
            dst: [10, 0, 0, 2].into(),
            id: 7,
            proto: 132,
        };
        let (first, second) = packet.split_at(24);
        let mut o = Ordered::new(1, &Limits::default());
        let mut items = Vec::new();
        let mut sink = |i: Item| items.push(i);
        for (offset, more, payload, frame) in [(0, true, first, 1), (24, false, second, 2)] {
            let f = Fragment {
                key,
                offset,
                more,
                payload,
                ctx: Ctx::default(),
            };
            o.fragment(&f, frame as i64, Origin { file: 0, frame }, &mut sink);
        }
        let counts = o.finish(&mut sink);
        let [Item::Sip(m)] = &items[..] else {
            panic!("one SIP message expected, got {}", items.len())
        };
        assert_eq!(m.transport, Transport::Sctp);
        let frames = &counts[0].frames;
        assert_eq!(
            (frames.get(Bucket::Sip), frames.get(Bucket::SipPartial)),
            (1, 1)
        );
        assert_eq!(frames.total(), 2);
    }
}
