//! Packet decoder: one frame through `decode_frame`, the link type chosen by the
//! first byte (every type the decoder knows, and two it must refuse), the
//! original length by the next two (to exercise snaplen-cut frames).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sipsleuth::decode::{self, Decoded};
use sipsleuth_fuzz::{Bytes, LINKTYPES};

fuzz_target!(|data: &[u8]| {
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
        Decoded::Icmp(n) => {
            std::hint::black_box(n);
        }
        Decoded::Done(b) => {
            std::hint::black_box(b);
        }
    }
});
