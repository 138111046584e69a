//! `sipsleuth flow`: gathers the messages of the chosen Call-IDs, marks the
//! retransmissions (the transaction layer decides), and hands them to the
//! ladder renderer. Inputs are read as one timeline.

use sipsleuth::capture::InputSpec;
use sipsleuth::model::transaction::{Transactions, TxEvent};
use sipsleuth::pipeline::{run_timeline, InputReport, Limits, Progress};
use sipsleuth::reassembly::Item;
use sipsleuth::report::ladder::Arrow;

pub fn collect(
    inputs: &[InputSpec],
    limits: &Limits,
    call_ids: &[String],
) -> (Vec<Arrow>, Vec<InputReport>) {
    let mut txs = Transactions::default();
    let mut arrows = Vec::new();
    let progress = Progress::default();
    let (reports, _) = run_timeline(inputs, limits, &progress, &mut |item| {
        let Item::Sip(m) = item else { return };
        let Some(cid) = m.call_id() else { return };
        if !call_ids.iter().any(|c| c.as_bytes() == cid) {
            return;
        }
        let retransmission = matches!(
            txs.on_message(&m),
            TxEvent::Retransmission(_) | TxEvent::Response { first: false, .. }
        );
        arrows.push(Arrow::from_message(&m, retransmission));
    });
    // HEP times may disagree with capture times: draw in time order, stable for equal times.
    arrows.sort_by_key(|a| a.ts_ns);
    (arrows, reports)
}
