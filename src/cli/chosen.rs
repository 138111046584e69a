//! The messages of the Call-IDs given to `flow` and `show`: read the inputs as
//! one timeline, keep the messages of those calls, mark the retransmissions
//! (the transaction layer decides). A Call-ID may be given whole or as a
//! prefix that only one Call-ID of the input has (a cut value pasted from a
//! narrow table still works). `flow` also follows the run's RTP (a
//! `MediaTracker` fed every SDP and RTP packet, as `analyze` does) to draw
//! the calls' streams.

use super::outcome::finish;
use anyhow::Result;
use sipsleuth::capture::InputSpec;
use sipsleuth::filter::resolve_call_ids;
use sipsleuth::media::MediaTracker;
use sipsleuth::model::transaction::{Transactions, TxEvent};
use sipsleuth::pipeline::{run_timeline, InputReport, Limits, Progress};
use sipsleuth::reassembly::Item;
use sipsleuth::sip::SipMessage;
use sipsleuth::summary::Completeness;
use std::collections::BTreeSet;
use std::process::ExitCode;

/// A message of a chosen call, and whether it repeats one sent before.
pub struct Chosen {
    pub message: SipMessage,
    pub retransmission: bool,
}

/// The messages of the given Call-IDs (or unique prefixes), in time order;
/// with `media`, every SIP message and RTP/RTCP packet also goes through it.
pub fn collect(
    inputs: &[InputSpec],
    limits: &Limits,
    call_ids: &[String],
    mut media: Option<&mut MediaTracker>,
) -> (Result<Vec<Chosen>>, Vec<InputReport>) {
    let mut candidates = Vec::new();
    let progress = Progress::default();
    let (reports, _) = run_timeline(inputs, limits, &progress, &mut |item| {
        let m = match (item, media.as_deref_mut()) {
            (Item::Sip(m), media) => {
                if let Some(t) = media {
                    t.on_sip(&m);
                }
                m
            }
            (Item::Rtp(p), Some(t)) => {
                t.on_rtp(&p);
                return;
            }
            (Item::Rtcp(p), Some(t)) => {
                t.on_rtcp(&p);
                return;
            }
            _ => return,
        };
        let Some(cid) = m.call_id() else { return };
        if call_ids.iter().any(|c| cid.starts_with(c.as_bytes())) {
            let mut m = *m;
            m.own_bytes();
            candidates.push(m);
        }
    });
    (choose(candidates, call_ids), reports)
}

/// The chosen messages, or the exit status when nothing could be read.
pub type Found = std::result::Result<Vec<Chosen>, ExitCode>;

/// [`collect`] for `flow` and `show`: the messages, or — when there are none —
/// the exit status `finish` decided (nothing could be read: its reason is said),
/// or an error naming the Call-IDs not found in what was read.
pub fn collect_or_explain(
    inputs: &[InputSpec],
    limits: &Limits,
    call_ids: &[String],
    quiet: bool,
    media: Option<&mut MediaTracker>,
) -> Result<(Found, Vec<InputReport>)> {
    let (chosen, reports) = collect(inputs, limits, call_ids, media);
    let chosen = chosen?;
    if chosen.is_empty() {
        let refs: Vec<_> = reports.iter().collect();
        let code = finish(&refs, quiet);
        if Completeness::of(refs.iter().copied()) == Completeness::Nothing {
            return Ok((Err(code), reports));
        }
        anyhow::bail!(
            "no SIP message with Call-ID {} in the input",
            call_ids.join(" or ")
        );
    }
    Ok((Ok(chosen), reports))
}

/// Keeps the messages of the Call-IDs meant: each given ID exactly, else the one Call-ID it starts.
fn choose(candidates: Vec<SipMessage>, call_ids: &[String]) -> Result<Vec<Chosen>> {
    let seen: BTreeSet<Vec<u8>> = candidates
        .iter()
        .filter_map(|m| m.call_id().map(<[u8]>::to_vec))
        .collect();
    let wanted = resolve_call_ids(&seen, call_ids).map_err(anyhow::Error::msg)?;
    let mut txs = Transactions::default();
    let mut chosen: Vec<Chosen> = candidates
        .into_iter()
        .filter(|m| m.call_id().is_some_and(|c| wanted.contains(c)))
        .map(|m| {
            let retransmission = matches!(
                txs.on_message(&m),
                TxEvent::Retransmission(_) | TxEvent::Response { first: false, .. }
            );
            Chosen {
                message: m,
                retransmission,
            }
        })
        .collect();
    // HEP times may disagree with capture times: time order, stable for equal times.
    chosen.sort_by_key(|c| c.message.ts_ns);
    Ok(chosen)
}
