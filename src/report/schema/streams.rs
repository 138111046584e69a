//! The streams table: one row per RTP stream (one SSRC from one address to
//! another), with RFC 3550 statistics as `tshark -z rtp,streams` prints them
//! (definitions and constants: docs/metrics.md, "Media").

use super::{col, Column, Table, Type::*, Value};
use crate::media::{rtcp_check, StreamRow};

pub static TABLE: Table<StreamRow> = Table {
    name: "streams",
    doc: "One row per RTP stream: one SSRC from one address to another (definitions: docs/metrics.md, Media).",
    columns: COLUMNS,
};

fn pts(mask: u128) -> Value {
    Value::List(
        (0..128u8)
            .filter(|p| mask & (1u128 << p) != 0)
            .map(|p| p.to_string())
            .collect(),
    )
}

#[rustfmt::skip]
static COLUMNS: &[Column<StreamRow>] = &[
    col("call_id", Text, "Call-ID of the call whose SDP announced the stream (empty: found by --rtp-heuristic)", |r, _| r.call_id.as_deref().into()),
    col("direction", Word, "caller_to_callee or callee_to_caller", |r, _| r.direction.into()),
    col("src", Text, "IP:port the RTP came from", |r, _| r.stream.src.to_string().into()),
    col("dst", Text, "IP:port the RTP went to", |r, _| r.stream.dst.to_string().into()),
    col("ssrc", Text, "RTP SSRC, hexadecimal as Wireshark shows it (0x…)", |r, _| format!("0x{:08x}", r.stream.ssrc).into()),
    col("codec", Text, "the first packet's payload type, named by the receiver's SDP (rtpmap) or RFC 3551", |r, _| r.codec.as_str().into()),
    col("payload_types", List(";"), "every payload type seen", |r, _| pts(r.stream.stats.pts_seen)),
    col("unexpected_payload_types", List(";"), "payload types the receiver's SDP did not list (comfort noise 13 excepted)", |r, _| pts(r.stream.unexpected_pts)),
    col("start", Datetime, "first packet", |r, _| Value::time(r.stream.stats.first_ns)),
    col("end", Datetime, "last packet", |r, _| Value::time(r.stream.stats.last_ns)),
    col("packets", U32, "packets received", |r, _| r.stream.stats.packets.into()),
    col("expected", U64, "last sequence number − first + 1, with wraps (as tshark)", |r, _| Value::U64(r.stream.stats.expected().max(0) as u64)),
    col("lost", Text, "expected − packets; negative when duplicates outnumber losses (as tshark)", |r, _| r.stream.stats.lost().to_string().into()),
    col("max_burst", U32, "longest run of consecutive sequence numbers never received", |r, _| r.stream.stats.max_burst.into()),
    col("sequence_errors", U32, "packets whose sequence number was not the previous + 1 (loss before it, late, duplicate)", |r, _| r.stream.stats.seq_errors.into()),
    col("duplicates", U32, "packets whose sequence number had already arrived (64-packet window)", |r, _| r.stream.stats.duplicates.into()),
    col("max_delta_ms", Ms, "largest gap between consecutive regular packets (tshark's Max Delta)", |r, _| r.stream.stats.max_delta_ms.into()),
    col("max_jitter_ms", Ms, "largest RFC 3550 §6.4.1 interarrival jitter, from the payload's RTP clock", |r, _| r.stream.stats.max_jitter_ms.into()),
    col("mean_jitter_ms", Ms, "mean jitter as tshark computes it", |r, _| r.stream.stats.mean_jitter_ms.into()),
    col("clock_hz", U32, "RTP clock rate used for the jitter (0: unknown, no jitter)", |r, _| r.stream.stats.clock.into()),
    col("jitter_buffer_late", U32, "packets later than the 60 ms fixed jitter buffer of the MOS estimate", |r, _| r.stream.stats.jitter_buffer_late.into()),
    col("mos", Ms, "E-model MOS estimate (G.107, docs/metrics.md); empty without a clock rate", |r, _| r.mos.map(|m| (m * 100.0).round() / 100.0).into()),
    col("ssrc_change", Bool, "another SSRC came earlier between the same two addresses", |r, _| r.stream.ssrc_change.into()),
    col("rtcp_fraction_lost", U32, "the last RTCP report block about this SSRC: fraction lost (out of 256)", |r, _| r.stream.rtcp_report.map(|b| u32::from(b.fraction_lost)).into()),
    col("rtcp_cumulative_lost", Text, "… its cumulative number of packets lost", |r, _| r.stream.rtcp_report.map(|b| b.cumulative_lost.to_string()).into()),
    col("rtcp_jitter_ms", Ms, "… its interarrival jitter, converted to ms with clock_hz", |r, _| rtcp_check::reported_jitter_ms(&r.stream).into()),
    col("rtcp_lost_excess", Text, "… its cumulative loss minus the loss this capture had measured when it arrived: > 0 the receiver lost packets the capture saw", |r, _| rtcp_check::lost_excess(&r.stream).map(|n| n.to_string()).into()),
    col("rtcp_check", Word, "RTCP against the capture (docs/metrics.md): agree, loss_after_capture (receiver reports more loss than seen here), capture_missed (seen lost here, not by the receiver), jitter_after_capture (reported jitter > max_jitter_ms + 10); empty without a report", |r, _| rtcp_check::check(&r.stream).map(|c| c.name()).into()),
    col("xr_mos_lq", Ms, "the last RTCP-XR VoIP metrics block about this SSRC: MOS-LQ (RFC 3611 §4.7.5)", |r, _| r.stream.rtcp_xr.filter(|x| x.mos_lq != 127).map(|x| f64::from(x.mos_lq) / 10.0).into()),
    col("xr_r_factor", U32, "… its R factor", |r, _| r.stream.rtcp_xr.filter(|x| x.r_factor != 127).map(|x| u32::from(x.r_factor)).into()),
    col("first_frame", U64, "frame number of the first packet (in its input)", |r, _| r.stream.first_frame.into()),
    col("wireshark_filter", Text, "the display filter that isolates the stream in Wireshark", |r, _| format!("rtp.ssrc == 0x{:08x} && ip.src == {} && udp.srcport == {}", r.stream.ssrc, r.stream.src.ip(), r.stream.src.port()).into()),
];
