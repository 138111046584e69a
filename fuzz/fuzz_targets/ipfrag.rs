//! IP defragmenter: a sequence of fragments of four datagrams (records in the
//! format of `sipsleuth_fuzz::next_frag`), in any order, overlapping, with the
//! clock going back and forth; the first byte picks tight limits (so eviction
//! and timeouts run) or the defaults. Every fragment must be accounted for:
//! completed, pending, duplicate, invalid or dropped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sipsleuth::decode::{self, Fragment};
use sipsleuth::reassembly::ipfrag::{Defragmenter, FragLimits, FragOutcome};
use sipsleuth_fuzz::{next_frag, Bytes};

fuzz_target!(|data: &[u8]| {
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
        match d.push(&f, ts, &mut dropped) {
            FragOutcome::Pending => {}
            FragOutcome::Duplicate | FragOutcome::Invalid => done += 1,
            FragOutcome::Complete {
                payload,
                frames,
                ctx,
            } => {
                done += u64::from(frames);
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
});
