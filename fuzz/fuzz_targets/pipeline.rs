//! The whole pipeline on a capture: `summarize` over the bytes as one input
//! (decode, reassembly, SIP, the model, the analyses, the diagnosis), then the
//! text, JSON and HTML reports rendered from the result, as `analyze` does.
//! Frame accounting must hold: the buckets sum to the frames read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sipsleuth::capture::InputSpec;
use sipsleuth::pipeline::{Limits, Progress};
use sipsleuth::report::{html, json, table};
use sipsleuth::summary::{summarize, Options};

fuzz_target!(|data: &[u8]| {
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
    std::hint::black_box(html::render(&s, &[]).len());
});
