//! The byte formats the structured fuzz targets read, shared by the targets
//! (which parse fuzz bytes into fragments, segments and frames) and by the seed
//! builder (which writes real fragments, segments and frames from the test
//! captures in the same formats, so that the fuzzer starts from real traffic).
//!
//! The formats are deliberately simple and total: every byte string parses into
//! something (a short tail is cut, never rejected), so no fuzz input is wasted.
//!
//! The harnesses themselves are here too, one function per target (the modules
//! below), so that `tests/fuzz_regressions.rs` in the main crate runs a kept
//! crasher through exactly the code the fuzzer ran (it includes this file).

use sipsleuth::decode::{Ctx, FragKey};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Link types the decode target chooses from by its first byte (the decoder's
/// own list, plus two it must refuse).
pub const LINKTYPES: [u32; 14] = [0, 1, 9, 12, 14, 50, 101, 108, 113, 228, 229, 276, 147, 197];

/// The index in [`LINKTYPES`] of a link type (the seeds' inverse of the choice).
pub fn linktype_index(lt: u32) -> Option<u8> {
    LINKTYPES.iter().position(|l| *l == lt).map(|i| i as u8)
}

/// A cursor that never fails: reading past the end yields zeros or a short slice.
pub struct Bytes<'a> {
    d: &'a [u8],
}

impl<'a> Bytes<'a> {
    pub fn new(d: &'a [u8]) -> Self {
        Bytes { d }
    }
    pub fn is_empty(&self) -> bool {
        self.d.is_empty()
    }
    pub fn u8(&mut self) -> u8 {
        let (b, rest) = self.d.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.d = rest;
        b
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.d.split_at(n.min(self.d.len()));
        self.d = b;
        a
    }
}

// ---- IP fragments ----------------------------------------------------------------

/// One fragment record: `ctl:u8 offset:u16 dt:i8 len:u16 payload[len]`.
/// `ctl` bits 0-1 pick one of four datagram keys, bit 2 is "more fragments",
/// bit 3 picks TCP over UDP, bit 4 IPv6 over IPv4. `dt` moves the capture clock
/// by tenths of a second, backwards too (captures are not always in time order).
pub struct FragRecord<'a> {
    pub key: FragKey,
    pub offset: u32,
    pub more: bool,
    pub dt_ns: i64,
    pub payload: &'a [u8],
    pub ctx: Ctx,
}

pub fn frag_key(ctl: u8) -> FragKey {
    let n = ctl & 3;
    let (src, dst): (IpAddr, IpAddr) = if ctl & 16 != 0 {
        (
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(n)).into(),
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 1, 1).into(),
        )
    } else {
        (
            Ipv4Addr::new(10, 0, 0, n).into(),
            Ipv4Addr::new(10, 0, 1, 1).into(),
        )
    };
    FragKey {
        src,
        dst,
        id: u32::from(n % 2) + 7,
        proto: if ctl & 8 != 0 { 6 } else { 17 },
    }
}

pub fn next_frag<'a>(b: &mut Bytes<'a>) -> Option<FragRecord<'a>> {
    if b.is_empty() {
        return None;
    }
    let ctl = b.u8();
    let offset = u32::from(b.u16());
    let dt = b.u8() as i8;
    let len = usize::from(b.u16());
    Some(FragRecord {
        key: frag_key(ctl),
        offset,
        more: ctl & 4 != 0,
        dt_ns: i64::from(dt) * 100_000_000,
        payload: b.take(len),
        ctx: Ctx::default(),
    })
}

#[allow(clippy::too_many_arguments)]
pub fn write_frag(
    out: &mut Vec<u8>,
    key_index: u8,
    more: bool,
    tcp: bool,
    v6: bool,
    offset: u16,
    dt: i8,
    payload: &[u8],
) {
    let ctl = (key_index & 3) | (u8::from(more) << 2) | (u8::from(tcp) << 3) | (u8::from(v6) << 4);
    out.push(ctl);
    out.extend_from_slice(&offset.to_be_bytes());
    out.push(dt as u8);
    let len = payload.len().min(usize::from(u16::MAX));
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&payload[..len]);
}

// ---- TCP segments ----------------------------------------------------------------

/// One segment record: `ctl:u8 seq:u32 dt:i8 len:u16 payload[len]`.
/// `ctl` bits 0-1 pick one of four directions (two connections, both ways),
/// bit 2 SYN, bit 3 FIN, bit 4 RST.
pub struct SegRecord<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub dt_ns: i64,
    pub payload: &'a [u8],
}

pub fn direction(i: u8) -> (SocketAddr, SocketAddr) {
    let a: SocketAddr = ([10, 0, 0, 1], 5060).into();
    let b: SocketAddr = ([10, 0, 0, 2], 5060).into();
    let c: SocketAddr = ([10, 0, 0, 3], 40000).into();
    match i & 3 {
        0 => (a, b),
        1 => (b, a),
        2 => (c, b),
        _ => (b, c),
    }
}

pub fn next_seg<'a>(b: &mut Bytes<'a>) -> Option<SegRecord<'a>> {
    if b.is_empty() {
        return None;
    }
    let ctl = b.u8();
    let seq = b.u32();
    let dt = b.u8() as i8;
    let len = usize::from(b.u16());
    let (src, dst) = direction(ctl);
    Some(SegRecord {
        src,
        dst,
        seq,
        syn: ctl & 4 != 0,
        fin: ctl & 8 != 0,
        rst: ctl & 16 != 0,
        dt_ns: i64::from(dt) * 100_000_000,
        payload: b.take(len),
    })
}

#[allow(clippy::too_many_arguments)]
pub fn write_seg(
    out: &mut Vec<u8>,
    dir: u8,
    syn: bool,
    fin: bool,
    rst: bool,
    seq: u32,
    dt: i8,
    payload: &[u8],
) {
    let ctl = (dir & 3) | (u8::from(syn) << 2) | (u8::from(fin) << 3) | (u8::from(rst) << 4);
    out.push(ctl);
    out.extend_from_slice(&seq.to_be_bytes());
    out.push(dt as u8);
    let len = payload.len().min(usize::from(u16::MAX));
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&payload[..len]);
}

pub mod capture {
    //! Capture reader: pcap, pcapng and NetMon bytes (plain, gzip or zstd) through
    //! `read_capture_bytes`, the entry point `InputSpec::Bytes` and the tests use.
    //! Every frame handed out must point inside the input, and the walk must end.

    use sipsleuth::capture::read_capture_bytes;

    pub fn run(data: &[u8]) {
        let mut frames = 0u64;
        let mut bytes = 0usize;
        let r = read_capture_bytes("fuzz", data, &mut |batch| {
            for f in batch {
                frames += 1;
                // Touch every byte: a frame pointing outside the input shows up under ASan.
                bytes += f.data.iter().map(|b| usize::from(*b & 1)).sum::<usize>();
                assert_eq!(f.number, frames, "frames are numbered 1, 2, 3… in order");
            }
        });
        if let Ok(info) = r {
            assert_eq!(
                info.frames, frames,
                "CaptureInfo counts the frames delivered"
            );
            let _ = info.problem.map(|p| p.to_string());
        }
        std::hint::black_box(bytes);
    }
}

pub mod decode {
    //! Packet decoder: one frame through `decode_frame`, the link type chosen by the
    //! first byte (every type the decoder knows, and two it must refuse), the
    //! original length by the next two (to exercise snaplen-cut frames).

    use super::{Bytes, LINKTYPES};
    use sipsleuth::decode::{self, Decoded};

    pub fn run(data: &[u8]) {
        let mut b = Bytes::new(data);
        let lt = LINKTYPES[usize::from(b.u8()) % LINKTYPES.len()];
        let extra = u32::from(b.u16());
        let frame = b.take(usize::MAX);
        let orig_len = (frame.len() as u32).saturating_add(extra);
        match decode::decode_frame(lt, frame, orig_len) {
            Decoded::Udp(d) => {
                std::hint::black_box(d.payload.iter().map(|b| u32::from(*b)).sum::<u32>());
            }
            Decoded::Tcp(s) => {
                std::hint::black_box(s.payload.iter().map(|b| u32::from(*b)).sum::<u32>());
            }
            Decoded::Fragment(f) => {
                // What the pipeline does with a reassembled datagram: decode its payload again.
                let d = decode::ip_payload(f.key.proto, f.key.src, f.key.dst, f.payload, f.ctx);
                std::hint::black_box(format!("{d:?}"));
            }
            Decoded::Hep(h) => {
                std::hint::black_box(h.payload.len());
            }
            Decoded::Sctp(p) => {
                // Its chunks through the SCTP reassembler: the frame is counted exactly once.
                use sipsleuth::reassembly::sctp::SctpReassembler;
                let mut r = SctpReassembler::new(Default::default());
                let (mut out, mut counts) = (Vec::new(), Default::default());
                r.packet(&p, Default::default(), &mut out, &mut counts);
                r.finish(&mut counts);
                assert_eq!(counts.total(), 1);
                std::hint::black_box(out.len());
            }
            Decoded::Icmp(n) => {
                std::hint::black_box(n);
            }
            Decoded::Done(b) => {
                std::hint::black_box(b);
            }
        }
    }
}

pub mod ipfrag {
    //! IP defragmenter: a sequence of fragments of four datagrams (records in the
    //! format of `sipsleuth_fuzz::next_frag`), in any order, overlapping, with the
    //! clock going back and forth; the first byte picks tight limits (so eviction
    //! and timeouts run) or the defaults. Every fragment must be accounted for:
    //! completed, pending, duplicate, invalid or dropped.

    use super::{next_frag, Bytes};
    use sipsleuth::decode::{self, Fragment};
    use sipsleuth::reassembly::ipfrag::{Defragmenter, FragLimits, FragOutcome};

    pub fn run(data: &[u8]) {
        let mut b = Bytes::new(data);
        let limits = if b.u8() & 1 == 0 {
            FragLimits {
                timeout_ns: 3_000_000_000,
                max_bytes: 4096,
                max_datagrams: 3,
            }
        } else {
            FragLimits::default()
        };
        let mut d = Defragmenter::new(limits);
        let mut ts = 1_000_000_000_000i64;
        let (mut pushed, mut done, mut dropped) = (0u64, 0u64, 0u64);
        while let Some(r) = next_frag(&mut b) {
            ts = ts.saturating_add(r.dt_ns);
            let f = Fragment {
                key: r.key,
                offset: r.offset,
                more: r.more,
                payload: r.payload,
                ctx: r.ctx,
            };
            pushed += 1;
            let origin = sipsleuth::sip::Origin {
                file: 0,
                frame: pushed,
            };
            match d.push(&f, ts, origin, &mut dropped) {
                FragOutcome::Pending => {}
                FragOutcome::Duplicate | FragOutcome::Invalid => done += 1,
                FragOutcome::Complete {
                    payload,
                    frames,
                    parts,
                    ctx,
                } => {
                    done += u64::from(frames);
                    // Every fragment that went in is named (below the per-message bound).
                    assert!(
                        parts.list.len() as u64 + u64::from(parts.omitted) == u64::from(frames)
                    );
                    let out = decode::ip_payload(f.key.proto, f.key.src, f.key.dst, &payload, ctx);
                    std::hint::black_box(format!("{out:?}"));
                }
            }
        }
        let left = d.finish();
        assert_eq!(
            done + dropped + left,
            pushed,
            "every fragment frame is counted exactly once"
        );
    }
}

pub mod tcp {
    //! TCP reassembler: a sequence of segments over two connections, both ways
    //! (records in the format of `sipsleuth_fuzz::next_seg`), with any sequence
    //! numbers, flags and clock; the first byte picks tight limits (so gap skipping
    //! and stream eviction run) or the defaults. Every segment must land in exactly
    //! one frame bucket by the end.

    use super::{next_seg, Bytes};
    use sipsleuth::accounting::FrameCounts;
    use sipsleuth::decode::{Ctx, Segment};
    use sipsleuth::reassembly::tcp::{At, TcpLimits, TcpReassembler};
    use sipsleuth::reassembly::Item;
    use sipsleuth::sip::{Hdr, Origin};

    pub fn run(data: &[u8]) {
        let mut b = Bytes::new(data);
        let limits = if b.u8() & 1 == 0 {
            TcpLimits {
                max_out_of_order_per_stream: 2048,
                max_out_of_order_total: 4096,
                max_streams: 2,
                idle_timeout_ns: 5_000_000_000,
                // Small, so that cutting bodies runs too.
                max_message_bytes: 300,
            }
        } else {
            TcpLimits::default()
        };
        let mut r = TcpReassembler::new(limits);
        let mut counts = FrameCounts::default();
        let mut out: Vec<Item> = Vec::new();
        let mut ts = 1_000_000_000_000i64;
        let mut frames = 0u64;
        while let Some(s) = next_seg(&mut b) {
            ts = ts.saturating_add(s.dt_ns);
            frames += 1;
            let seg = Segment {
                src: s.src,
                dst: s.dst,
                seq: s.seq,
                syn: s.syn,
                fin: s.fin,
                rst: s.rst,
                payload: s.payload,
                ctx: Ctx::default(),
            };
            let at = At {
                ts_ns: ts,
                origin: Origin {
                    file: 0,
                    frame: frames,
                },
            };
            r.segment(&seg, at, &mut out, &mut counts);
            touch(&mut out);
        }
        r.finish(&mut out, &mut counts);
        touch(&mut out);
        assert_eq!(
            counts.total(),
            frames,
            "every segment lands in exactly one bucket"
        );
    }
    fn touch(out: &mut Vec<Item>) {
        for item in out.drain(..) {
            if let Item::Sip(m) = item {
                std::hint::black_box((m.call_id(), m.cseq(), m.header(Hdr::Via), m.body().len()));
            }
        }
    }
}

pub mod sip {
    //! SIP parser: the scanner in datagram mode over the whole input and in stream
    //! mode message after message (as a TCP stream is framed), every accessor of
    //! each message found, and the SIP model (transactions, calls, registrations)
    //! over the messages of the stream, so that header values reach the code that
    //! interprets them (CSeq, Via, tags, Digest parameters, Expires…).

    use sipsleuth::model::Model;
    use sipsleuth::sip::message::{trim_bytes, unfold};
    use sipsleuth::sip::scan::{find_start_line, may_start_sip};
    use sipsleuth::sip::{
        scan, Carriage, Hdr, MalformedSip, Mode, Origin, ScanError, SipMessage, Transport,
    };
    use std::net::SocketAddr;

    fn message(raw: &[u8], head: sipsleuth::sip::SipHead, n: u64) -> SipMessage {
        let src: SocketAddr = ([10, 0, 0, 1], 5060).into();
        let dst: SocketAddr = ([10, 0, 0, 2], 5060).into();
        let ts = 1_000_000_000_000 + n as i64 * 10_000_000;
        let origin = Origin { file: 0, frame: n };
        SipMessage::new(
            (ts, src, dst, Transport::Udp, origin, Carriage::default()),
            raw.to_vec().into(),
            head,
        )
    }

    fn accessors(m: &SipMessage) {
        let mut sum = 0usize;
        sum += m.raw().len() + m.start_line().len() + m.body().len();
        sum += usize::from(m.is_request()) + m.defects().names().count();
        sum += m.method().map_or(0, <[u8]>::len) + m.request_uri().map_or(0, <[u8]>::len);
        sum += usize::from(m.status().unwrap_or(0)) + m.reason().map_or(0, <[u8]>::len);
        let _ = m.method_kind();
        for h in Hdr::ALL {
            sum += m.header(h).map_or(0, |v| v.len());
            sum += m.header_values(h.name()).len();
        }
        sum += m.header_values("X-Unknown").len();
        sum += m.call_id().map_or(0, <[u8]>::len);
        sum += m.cseq().map_or(0, |(n, meth)| n as usize + meth.len());
        sum += m.top_via().map_or(0, <[u8]>::len) + m.via_branch().map_or(0, <[u8]>::len);
        sum += m.via_sent_by().map_or(0, |(h, p)| h.len() + p.len());
        sum += m.from_tag().map_or(0, <[u8]>::len) + m.to_tag().map_or(0, <[u8]>::len);
        sum += m.from_uri().map_or(0, <[u8]>::len) + m.to_uri().map_or(0, <[u8]>::len);
        std::hint::black_box(sum);
    }

    pub fn run(data: &[u8]) {
        std::hint::black_box((
            may_start_sip(data),
            find_start_line(data),
            unfold(data).len(),
            trim_bytes(data).len(),
        ));
        match scan(data, Mode::Datagram) {
            Ok(head) => accessors(&message(data, head, 0)),
            Err(ScanError::Malformed(reason)) => {
                let src: SocketAddr = ([10, 0, 0, 1], 5060).into();
                let meta = (0, src, src, Transport::Udp, Origin::default());
                std::hint::black_box(MalformedSip::new(meta, reason, data));
            }
            Err(_) => {}
        }
        // Stream mode: frame message after message, resynchronising as the TCP reassembler does.
        let mut model = Model::default();
        let mut rest = data;
        let mut n = 0u64;
        while !rest.is_empty() && n < 1000 {
            n += 1;
            match scan(rest, Mode::Stream) {
                Ok(head) => {
                    let len = head.len as usize;
                    assert!(
                        len > 0 && len <= rest.len(),
                        "a message lies inside the buffer"
                    );
                    let m = message(&rest[..len], head, n);
                    accessors(&m);
                    model.on_message(&m);
                    rest = &rest[len..];
                }
                Err(ScanError::Incomplete) => break,
                Err(_) => match find_start_line(rest.get(1..).unwrap_or_default()) {
                    Some(i) => rest = &rest[i + 1..],
                    None => break,
                },
            }
        }
        let out = model.finish(None);
        std::hint::black_box((out.calls.len(), out.registrations.attempts.len()));
    }
}

pub mod pipeline {
    //! The whole pipeline on a capture: `summarize` over the bytes as one input
    //! (decode, reassembly, SIP, the model, the analyses, the diagnosis), then the
    //! text, JSON and HTML reports rendered from the result, as `analyze` does.
    //! Frame accounting must hold: the buckets sum to the frames read.

    use sipsleuth::capture::InputSpec;
    use sipsleuth::pipeline::{Limits, Progress};
    use sipsleuth::report::{html, json, table};
    use sipsleuth::summary::{summarize, Options};

    /// Whatever the input (at most 64 KiB here), the whole run ends within this:
    /// every loop over capture time must finish (issue #15: a saturated timestamp
    /// once made the call sweep spin forever). libFuzzer's -timeout backs it up.
    pub const MAX_SECONDS: u64 = 10;

    pub fn run(data: &[u8]) {
        let started = std::time::Instant::now();
        let input = InputSpec::Bytes {
            name: "fuzz.pcap".into(),
            data: data.into(),
        };
        let options = Options {
            keep_rows: true,
            ..Options::default()
        };
        let s = summarize(&[input], &Limits::default(), &options, &Progress::default());
        for i in &s.inputs {
            if let Some(c) = &i.report.capture {
                assert_eq!(
                    i.report.frames.total(),
                    c.frames,
                    "the buckets sum to the frames read"
                );
            }
        }
        std::hint::black_box(json::summary_json(&s).to_string().len());
        std::hint::black_box(table::render(&s).len());
        std::hint::black_box(html::render(&s, &[], None).len());
        assert!(
            started.elapsed().as_secs() < MAX_SECONDS,
            "the pipeline took {:?} on {} bytes",
            started.elapsed(),
            data.len()
        );
    }
}
