//! `sipsleuth export`: the packets of chosen calls, copied into a new capture.
//!
//! Two passes over the inputs. The first runs the whole pipeline (the inputs as
//! one timeline, so a stream cut by a file rotation is whole) and keeps, for
//! every SIP message whose Call-ID was chosen (all legs, the same selection as
//! `flow`), the numbers of every frame that carried part of it: each IP
//! fragment of its datagram and each TCP segment of its bytes, as the
//! reassemblers record them ([`SipMessage::frames`](crate::sip::SipMessage)).
//! The second pass walks the same inputs record by record and copies those
//! frames unchanged. Laying the bytes out as pcap or pcapng is
//! [`crate::report::pcap_out`]'s job; where the file goes is the caller's.
//!
//! The calls' RTP and RTCP are copied too: the first pass follows the SDP of
//! every call as `analyze` does ([`crate::media::tracker`]) and keeps the frames
//! of the streams the chosen calls announced. TCP handshakes and bare ACKs are
//! not copied. Because inputs are read twice, stdin cannot be one.

use crate::capture::{read_capture, CaptureError, Frame, InputSpec};
use crate::filter::resolve_call_ids;
use crate::media::MediaTracker;
use crate::pipeline::{run_timeline, InputReport, Limits, Progress};
use crate::reassembly::Item;
use crate::report::pcap_out::Record;
use std::collections::{BTreeMap, BTreeSet};

/// Bytes of frames held for writing (they are merged in time order before the
/// file is written). A handful of calls is kilobytes; this stops a selection
/// that is really a whole capture from exhausting memory.
pub const MAX_EXPORT_BYTES: usize = 1 << 30;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("export reads its inputs twice, so it cannot read stdin (-): save the capture to a file first")]
    Stdin,
    /// With the inputs' reports, so that the caller can say why (an input
    /// unreadable or damaged) rather than only that nothing matched.
    #[error("no SIP message with Call-ID {} in the input", .0.join(" or "))]
    UnknownCallIds(Vec<String>, Vec<InputReport>),
    /// A prefix that several Call-IDs start with.
    #[error("{0}")]
    Ambiguous(String),
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("{path}: changed between the two passes over it: {missing} frame(s) chosen in the first are not in the second")]
    InputChanged { path: String, missing: usize },
    #[error("the chosen calls' frames pass {} MiB; export fewer calls at a time", MAX_EXPORT_BYTES >> 20)]
    TooLarge,
}

/// What the first pass chose.
#[derive(Debug, Default)]
pub struct Selection {
    /// Per input (by index), the chosen frame numbers, sorted, without repeats.
    pub frames: Vec<Vec<u64>>,
    /// SIP messages of the chosen calls, per Call-ID (whole, when a prefix was given).
    pub messages: BTreeMap<String, u64>,
    /// RTP and RTCP frames of the chosen calls.
    pub media_frames: u64,
    /// Frames that carried a chosen message but were not recorded (a message
    /// over more than [`crate::sip::MAX_FRAMES_PER_MESSAGE`] frames).
    pub frames_omitted: u64,
    /// What the first pass found in each input (damage, unreadable files).
    pub reports: Vec<InputReport>,
}

impl Selection {
    pub fn message_count(&self) -> u64 {
        self.messages.values().sum()
    }
}

/// What the first pass saw of one Call-ID.
#[derive(Default)]
struct Found {
    messages: u64,
    /// Frames that carried its messages but were not recorded.
    omitted: u64,
    /// (input, frame) of every frame that carried its messages, and of its RTP/RTCP.
    frames: Vec<(u32, u64)>,
    /// RTP and RTCP frames among them.
    media_frames: u64,
}

/// Per Call-ID starting with one of `call_ids` (a given ID may be a prefix):
/// what the pipeline saw of it.
fn find(
    inputs: &[InputSpec],
    limits: &Limits,
    call_ids: &[String],
    progress: &Progress,
) -> (BTreeMap<Vec<u8>, Found>, Vec<InputReport>) {
    let mut found: BTreeMap<Vec<u8>, Found> = BTreeMap::new();
    // RTP and RTCP go with the call whose SDP announced their addresses (`media::tracker`).
    let mut media = MediaTracker::new(false);
    let chosen = |cid: &[u8]| call_ids.iter().any(|c| cid.starts_with(c.as_bytes()));
    let (reports, _) = run_timeline(inputs, limits, progress, &mut |item| {
        let (cid, origin) = match &item {
            Item::Rtp(p) => (media.on_rtp(p), p.origin),
            Item::Rtcp(p) => (media.on_rtcp(p), p.origin),
            Item::Sip(m) => {
                media.on_sip(m);
                (None, m.origin)
            }
            _ => (None, Default::default()),
        };
        if let Some(cid) = cid.filter(|c| chosen(c.as_bytes())) {
            let entry = found.entry(cid.as_bytes().to_vec()).or_default();
            entry.media_frames += 1;
            entry.frames.push((origin.file, origin.frame));
            return;
        }
        let Item::Sip(m) = item else { return };
        let Some(cid) = m.call_id() else { return };
        if !call_ids.iter().any(|c| cid.starts_with(c.as_bytes())) {
            return;
        }
        let entry = found.entry(cid.to_vec()).or_default();
        entry.messages += 1;
        entry.omitted += u64::from(m.frames.omitted);
        // A message's frames may lie in two inputs (a stream cut by a rotation).
        entry
            .frames
            .extend(m.all_frames().map(|o| (o.file, o.frame)));
    });
    (found, reports)
}

/// The frames (input index, frame number, in time order) that carried the
/// messages of each of these exact Call-IDs; a Call-ID not seen is left out.
/// One pass over the inputs, as `select`'s (`check` names a finding's frames
/// with it).
pub fn frames_of(
    inputs: &[InputSpec],
    limits: &Limits,
    call_ids: &[String],
    progress: &Progress,
) -> Result<BTreeMap<String, Vec<(u32, u64)>>, ExportError> {
    if inputs.contains(&InputSpec::Stdin) {
        return Err(ExportError::Stdin);
    }
    let (found, _) = find(inputs, limits, call_ids, progress);
    Ok(found
        .into_iter()
        .filter_map(|(cid, f)| {
            let cid = String::from_utf8_lossy(&cid).into_owned();
            call_ids.contains(&cid).then_some((cid, f.frames))
        })
        .collect())
}

/// First pass: the frames of every SIP message with one of `call_ids`.
/// A Call-ID with no message at all is an error (most likely a typo).
pub fn select(
    inputs: &[InputSpec],
    limits: &Limits,
    call_ids: &[String],
    progress: &Progress,
) -> Result<Selection, ExportError> {
    if inputs.contains(&InputSpec::Stdin) {
        return Err(ExportError::Stdin);
    }
    let (found, reports) = find(inputs, limits, call_ids, progress);
    let seen: BTreeSet<Vec<u8>> = found.keys().cloned().collect();
    let wanted = resolve_call_ids(&seen, call_ids).map_err(ExportError::Ambiguous)?;
    let unknown: Vec<String> = call_ids
        .iter()
        .filter(|c| !wanted.iter().any(|w| w.starts_with(c.as_bytes())))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(ExportError::UnknownCallIds(unknown, reports));
    }
    let mut sel = Selection {
        frames: vec![Vec::new(); inputs.len()],
        reports,
        ..Selection::default()
    };
    for cid in &wanted {
        let f = &found[cid];
        sel.messages
            .insert(String::from_utf8_lossy(cid).into_owned(), f.messages);
        sel.frames_omitted += f.omitted;
        sel.media_frames += f.media_frames;
        for &(file, frame) in &f.frames {
            if let Some(list) = sel.frames.get_mut(file as usize) {
                list.push(frame);
            }
        }
    }
    for list in sel.frames.iter_mut() {
        list.sort_unstable();
        list.dedup();
    }
    Ok(sel)
}

/// Second pass: copies the chosen frames out of the inputs, merged in time
/// order across inputs (each input keeps its own frame order).
pub fn collect(inputs: &[InputSpec], sel: &Selection) -> Result<Vec<Record>, ExportError> {
    let mut per_input: Vec<Vec<Record>> = Vec::with_capacity(inputs.len());
    let mut held = 0usize;
    for (i, spec) in inputs.iter().enumerate() {
        let wanted = sel.frames.get(i).map_or(&[][..], Vec::as_slice);
        let mut got: Vec<Record> = Vec::with_capacity(wanted.len());
        if !wanted.is_empty() {
            let mut next = 0usize;
            let mut too_large = false;
            // A damaged input ends early here as it did in the first pass; the
            // frames before the damage are all that either pass saw.
            let r = read_capture(spec, &mut |batch: &[Frame<'_>]| {
                for f in batch {
                    // Frame numbers rise within an input: a cursor, not a search.
                    while next < wanted.len() && wanted[next] < f.number {
                        next += 1;
                    }
                    if next < wanted.len() && wanted[next] == f.number && !too_large {
                        held += f.data.len();
                        too_large = held > MAX_EXPORT_BYTES;
                        got.push(Record {
                            ts_ns: f.ts_ns,
                            linktype: f.linktype,
                            orig_len: f.orig_len,
                            data: f.data.to_vec(),
                        });
                    }
                }
            });
            if too_large {
                return Err(ExportError::TooLarge);
            }
            r?;
            if got.len() != wanted.len() {
                return Err(ExportError::InputChanged {
                    path: spec.display(),
                    missing: wanted.len() - got.len(),
                });
            }
        }
        per_input.push(got);
    }
    Ok(merge_by_time(per_input))
}

/// Merges per-input lists by timestamp, keeping each list's own order (a
/// capture's frames are not always in time order, and their order is kept).
fn merge_by_time(lists: Vec<Vec<Record>>) -> Vec<Record> {
    let total = lists.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total);
    let mut iters: Vec<std::iter::Peekable<std::vec::IntoIter<Record>>> = lists
        .into_iter()
        .map(|l| l.into_iter().peekable())
        .collect();
    loop {
        // Earliest head; on equal times the earlier input wins.
        let pick = iters
            .iter_mut()
            .enumerate()
            .filter_map(|(i, it)| it.peek().map(|r| (r.ts_ns, i)))
            .min();
        let Some((_, i)) = pick else { break };
        out.extend(iters[i].next());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(ts_ns: i64, tag: u8) -> Record {
        Record {
            ts_ns,
            linktype: 1,
            orig_len: 1,
            data: vec![tag],
        }
    }

    #[test]
    fn merging_interleaves_inputs_by_time_and_keeps_each_inputs_order() {
        // Input 0 has a frame out of time order (30 before 20): it stays where it was.
        let a = vec![r(10, 1), r(30, 2), r(20, 3)];
        let b = vec![r(15, 4), r(25, 5)];
        let tags: Vec<u8> = merge_by_time(vec![a, b])
            .iter()
            .map(|r| r.data[0])
            .collect();
        assert_eq!(tags, [1, 4, 5, 2, 3]);
    }

    #[test]
    fn stdin_is_refused() {
        let e = select(
            &[InputSpec::Stdin],
            &Limits::default(),
            &["x".into()],
            &Progress::default(),
        )
        .unwrap_err();
        assert!(matches!(e, ExportError::Stdin));
    }
}
