//! Media outputs in the terminal: the media section of `analyze` (verdicts,
//! streams, what was not tied to a call) and `sipsleuth streams` (one row per
//! RTP stream; CSV and JSON come from `report::schema::streams`), and the
//! order in which reports list streams when they list only some
//! ([`worst_first`]: the HTML report, the jitter/loss chart).

use crate::media::{MediaCounts, StreamRow, Verdict};
use crate::model::call::CallRecord;
use crate::report::cells::{group, new_listing, new_table, text};
use crate::report::time::utc;
use comfy_table::Cell;
use std::fmt::Write;

/// Every media verdict, in the order reports list them.
pub const VERDICTS: [Verdict; 5] = [
    Verdict::Ok,
    Verdict::OneWay,
    Verdict::NoMedia,
    Verdict::CodecMismatch,
    Verdict::LateMedia,
];

/// The media section of `analyze`; nothing when the capture holds neither SDP nor RTP.
pub fn render_summary(
    calls: &[CallRecord],
    streams: &[StreamRow],
    m: &MediaCounts,
    out: &mut String,
) {
    if m.rtp_packets == 0 && m.rtcp_packets == 0 && m.sdp_bodies == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "Media\n{} RTP and {} RTCP packets · {} stream(s) followed · {} RTP packets no SDP announced · {} SDP bodies ({} unreadable)",
        group(m.rtp_packets),
        group(m.rtcp_packets),
        group(streams.len() as u64),
        group(m.rtp_unannounced),
        group(m.sdp_bodies),
        group(m.sdp_unparsed)
    );
    if m.rtp_packets == 0 {
        let _ = writeln!(
            out,
            "no RTP at all in the capture: NO_MEDIA below may only mean it was captured with a SIP-only filter"
        );
    }
    let mut t = new_table(&["media verdict", "calls"]);
    for (v, n) in verdict_counts(calls) {
        t.add_row(vec![Cell::new(v.name()), Cell::new(group(n as u64))]);
    }
    let _ = writeln!(out, "{t}\n");
}

/// Share of a stream's expected packets it lost (0 when none expected; duplicates do not make it negative).
pub fn loss_share(r: &StreamRow) -> f64 {
    let s = &r.stream.stats;
    s.lost().max(0) as f64 / s.expected().max(1) as f64
}

/// The streams worst first: lowest MOS estimate, then highest loss, then
/// highest jitter; streams without an estimate (no clock rate) after those
/// with one, by loss. Ties keep their order (the order streams began).
pub fn worst_first(streams: &[StreamRow]) -> Vec<&StreamRow> {
    let mut v: Vec<&StreamRow> = streams.iter().collect();
    v.sort_by(|a, b| {
        let mos = |r: &StreamRow| r.mos.unwrap_or(f64::INFINITY);
        mos(a)
            .total_cmp(&mos(b))
            .then(loss_share(b).total_cmp(&loss_share(a)))
            .then(
                b.stream
                    .stats
                    .max_jitter_ms
                    .total_cmp(&a.stream.stats.max_jitter_ms),
            )
    });
    v
}

/// Calls per media verdict, in [`VERDICTS`] order, those with none left out.
pub fn verdict_counts(calls: &[CallRecord]) -> Vec<(Verdict, usize)> {
    VERDICTS
        .iter()
        .map(|&v| {
            let n = calls
                .iter()
                .filter(|c| c.media.as_ref().and_then(|m| m.verdict) == Some(v))
                .count();
            (v, n)
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn ms(v: f64) -> String {
    format!("{v:.1}")
}

/// The RTCP comparison in a cell: "agree", "loss_after_capture +9" (reported − seen lost), "-" without a report.
fn rtcp(r: &StreamRow) -> String {
    use crate::media::rtcp_check::{check, lost_excess, Check};
    match (check(&r.stream), lost_excess(&r.stream)) {
        (Some(c @ (Check::LossAfterCapture | Check::CaptureMissed)), Some(n)) => {
            format!("{} {n:+}", c.name())
        }
        (Some(c), _) => c.name().to_string(),
        (None, _) => "-".into(),
    }
}

/// `sipsleuth streams`: one row per stream.
pub fn render_table(streams: &[StreamRow]) -> String {
    let mut t = new_listing(&[
        "start (UTC)",
        "src → dst",
        "SSRC",
        "codec",
        "pkts",
        "lost",
        "max Δ ms",
        "max jit ms",
        "mean jit ms",
        "MOS",
        "RTCP",
        "Call-ID",
    ]);
    for r in streams {
        let s = &r.stream.stats;
        t.add_row(vec![
            Cell::new(&utc(s.first_ns)[11..23]),
            text(&format!("{} → {}", r.stream.src, r.stream.dst)),
            Cell::new(format!("0x{:08x}", r.stream.ssrc)),
            text(&r.codec),
            Cell::new(group(u64::from(s.packets))),
            Cell::new(s.lost()),
            Cell::new(ms(s.max_delta_ms)),
            Cell::new(ms(s.max_jitter_ms)),
            Cell::new(ms(s.mean_jitter_ms)),
            Cell::new(r.mos.map_or("-".into(), |m| format!("{m:.2}"))),
            Cell::new(rtcp(r)),
            text(r.call_id.as_deref().unwrap_or("-")),
        ]);
    }
    format!("{t}\n{} stream(s)\n", group(streams.len() as u64))
}
