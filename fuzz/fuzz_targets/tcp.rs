//! TCP reassembler: a sequence of segments over two connections, both ways
//! (records in the format of `sipsleuth_fuzz::next_seg`), with any sequence
//! numbers, flags and clock; the first byte picks tight limits (so gap skipping
//! and stream eviction run) or the defaults. Every segment must land in exactly
//! one frame bucket by the end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sipsleuth::accounting::FrameCounts;
use sipsleuth::decode::{Ctx, Segment};
use sipsleuth::reassembly::tcp::{At, TcpLimits, TcpReassembler};
use sipsleuth::reassembly::Item;
use sipsleuth::sip::{Hdr, Origin};
use sipsleuth_fuzz::{next_seg, Bytes};

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes::new(data);
    let limits = if b.u8() & 1 == 0 {
        TcpLimits {
            max_out_of_order_per_stream: 2048,
            max_out_of_order_total: 4096,
            max_streams: 2,
            idle_timeout_ns: 5_000_000_000,
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
});

fn touch(out: &mut Vec<Item>) {
    for item in out.drain(..) {
        if let Item::Sip(m) = item {
            std::hint::black_box((m.call_id(), m.cseq(), m.header(Hdr::Via), m.body().len()));
        }
    }
}
