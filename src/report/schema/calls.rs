//! The calls table: one row per call attempt (definitions: docs/metrics.md).

use super::{col, Column, Table, Type::*, Value};
use crate::media::MediaSummary;
use crate::model::call::{CallRecord, Leg};

pub static TABLE: Table<CallRecord> = Table {
    name: "calls",
    doc: "One row per call attempt (definitions: docs/metrics.md).",
    columns: COLUMNS,
};

#[rustfmt::skip]
static COLUMNS: &[Column<CallRecord>] = &[
    col("call_id", Text, "Call-ID", |c, _| (&*c.call_id).into()),
    col("start", Datetime, "first transmission of the first INVITE", |c, _| Value::time(c.start_ns)),
    col("caller", Text, "IP:port of the caller", |c, _| c.caller.to_string().into()),
    col("first_hop", Text, "IP:port where the caller sent the INVITE (a proxy, or the callee)", |c, _| c.first_hop.to_string().into()),
    col("destination", Text, "IP:port of the last leg's server", |c, _| c.destination.to_string().into()),
    col("transport", Word, "udp, tcp, ws", |c, _| c.transport.as_str().into()),
    col("from_uri", Text, "From of the first INVITE", |c, _| (&*c.from_uri).into()),
    col("to_uri", Text, "To of the first INVITE", |c, _| (&*c.to_uri).into()),
    col("request_uri", Text, "Request-URI of the first INVITE", |c, _| (&*c.request_uri).into()),
    col("user_agent", Text, "User-Agent of the first INVITE", |c, _| (&*c.user_agent).into()),
    col("category", Word, "SUCCESS, TIMEOUT, REJECTED, CANCELLED, ERROR, REDIRECTED, NO_ANSWER, INCOMPLETE", |c, _| c.category.name().into()),
    col("final_code", U32, "final response the caller saw", |c, _| c.final_code.into()),
    col("final_time", Datetime, "when the caller got it", |c, _| Value::time_opt(c.final_ns.get())),
    col("final_reason", Text, "reason phrase of that response (\"Rate Limit Exceeded\")", |c, _| c.final_reason.as_deref().into()),
    col("labels", List(";"), "auth_challenged, cancel_sent, forked, redirected, no_answer, incomplete, reinvite, terminated_without_cancel, bye_rejected, unanswered_at_capture_end", |c, _| Value::list(&c.labels.to_vec())),
    col("pdd_ms", Ms, "post-dial delay: INVITE → first 180/183", |c, _| c.pdd_ms.into()),
    col("pdd_code", U32, "the 180 or 183 that ended PDD", |c, _| c.pdd_code.into()),
    col("srd_ms", Ms, "RFC 6076 SRD: INVITE → first response that is neither 100 nor a 401/407 challenge", |c, _| c.srd_ms.into()),
    col("answer_ms", Ms, "INVITE → 2xx", |c, _| c.answer_ms.into()),
    col("ring_ms", Ms, "first 18x → 2xx", |c, _| c.ring_ms.into()),
    col("duration_ms", Ms, "2xx → BYE", |c, _| c.duration_ms.into()),
    col("disconnect_ms", Ms, "BYE → its response (RFC 6076 SDD)", |c, _| c.disconnect_ms.into()),
    col("end", Datetime, "end of the call (the response to the BYE that ended it; empty while every BYE was refused)", |c, _| Value::time_opt(c.end_ns.get())),
    col("hangup_by", Word, "caller or callee (who sent the BYE)", |c, _| c.hangup_by.map(|p| p.name()).into()),
    col("bye_final_code", U32, "final response to the BYE", |c, _| c.bye_final_code.into()),
    col("retry_after_s", U32, "Retry-After (seconds) on the failure response", |c, _| c.retry_after_s.into()),
    col("auth_challenges", U32, "401/407 challenges to the caller's INVITEs", |c, _| c.auth_challenges.into()),
    col("invite_transmissions", U32, "initial INVITEs sent on the caller's leg, retransmissions included", |c, _| c.invite_transmissions.into()),
    col("invite_retransmissions", U32, "retransmissions among them", |c, _| c.invite_retransmissions.into()),
    col("reinvites", U32, "re-INVITEs in the dialog", |c, _| c.reinvites.into()),
    col("early_dialogs", U32, "distinct To tags in responses on the caller's leg (more than one: forking)", |c, _| c.early_dialogs.into()),
    col("legs", U32, "hops the INVITE took (legs seen)", |c, _| (c.legs.len() as u32).into()),
    col("leg_path", List(" | "), "`client>server:final` per leg, the caller's first", |c, _| Value::List(c.legs.iter().map(leg_path).collect())),
    col("leg_pdd_ms", List(";"), "PDD per leg in ms, in leg_path's order (empty: none)", |c, _| Value::List(c.legs.iter().map(|l| l.pdd_ms.get().map_or(String::new(), |p| p.to_string())).collect())),
    col("b2bua_call_ids", List(";"), "Call-IDs of the legs a B2BUA re-originated this call with (docs/metrics.md)", |c, _| Value::list(&c.b2bua_call_ids)),
    col("media_verdict", Word, "OK, ONE_WAY, NO_MEDIA, CODEC_MISMATCH, LATE_MEDIA (docs/metrics.md, Media); empty: not answered and no RTP, or no RTP in the whole capture", |c, _| media(c).and_then(|m| m.verdict).map(|v| v.name()).into()),
    col("codec", Text, "audio codec of the first stream (else of the SDP answer)", |c, _| media(c).and_then(|m| m.codec.as_deref()).into()),
    col("caller_media", Text, "IP:port where the caller's SDP asked for audio", |c, _| media(c).and_then(|m| m.caller_sdp.get()).map(|a| a.to_string()).into()),
    col("callee_media", Text, "IP:port where the callee's SDP asked for audio", |c, _| media(c).and_then(|m| m.callee_sdp.get()).map(|a| a.to_string()).into()),
    col("media_flags", List(";"), "caller_nat, callee_nat (private c= from a public address), hold, no_common_codec, ssrc_change, media_elsewhere (RTP sent to an address no SDP of the call announced, or ICE in the SDP)", |c, _| Value::list(&media(c).map(flags).unwrap_or_default())),
    col("unexpected_payload_types", List(";"), "RTP payload types the receiver's SDP did not list", |c, _| Value::list(&media(c).map(|m| m.unexpected_pts.clone()).unwrap_or_default())),
    col("media_delay_ms", Ms, "200 OK → the later direction's first RTP", |c, _| media(c).and_then(|m| m.media_delay_ms.get()).into()),
    col("rtp_to_callee_packets", U64, "RTP packets caller → callee (all streams)", |c, _| media(c).map(|m| m.to_callee().packets).into()),
    col("rtp_to_callee_lost", Text, "… lost (tshark's count, floored at 0 per stream)", |c, _| media(c).map(|m| m.to_callee().lost.to_string()).into()),
    col("rtp_to_callee_max_jitter_ms", Ms, "… largest jitter", |c, _| media(c).filter(|m| m.to_callee().packets > 0).map(|m| m.to_callee().max_jitter_ms).into()),
    col("rtp_to_callee_mos", Ms, "… MOS estimate (the worst stream's)", |c, _| media(c).and_then(|m| m.to_callee().mos).map(round2).into()),
    col("rtp_to_caller_packets", U64, "RTP packets callee → caller (all streams)", |c, _| media(c).map(|m| m.to_caller().packets).into()),
    col("rtp_to_caller_lost", Text, "… lost", |c, _| media(c).map(|m| m.to_caller().lost.to_string()).into()),
    col("rtp_to_caller_max_jitter_ms", Ms, "… largest jitter", |c, _| media(c).filter(|m| m.to_caller().packets > 0).map(|m| m.to_caller().max_jitter_ms).into()),
    col("rtp_to_caller_mos", Ms, "… MOS estimate (the worst stream's)", |c, _| media(c).and_then(|m| m.to_caller().mos).map(round2).into()),
    col("wireshark_filter", Text, "the display filter that isolates the call in Wireshark", |c, _| call_filter(c).into()),
];

fn media(c: &CallRecord) -> Option<&MediaSummary> {
    c.media.as_ref()
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn flags(m: &MediaSummary) -> Vec<&'static str> {
    [
        (m.caller_nat, "caller_nat"),
        (m.callee_nat, "callee_nat"),
        (m.hold, "hold"),
        (m.no_common_codec, "no_common_codec"),
        (m.ssrc_changes > 0, "ssrc_change"),
        (m.media_elsewhere, "media_elsewhere"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect()
}

fn leg_path(l: &Leg) -> String {
    format!(
        "{}>{}:{}",
        l.client,
        l.server,
        l.final_code.map_or("-".into(), |f| f.to_string())
    )
}

/// The filter for a call and its B2BUA legs (each leg has its own Call-ID).
fn call_filter(c: &CallRecord) -> String {
    std::iter::once(&c.call_id)
        .chain(c.b2bua_call_ids.iter())
        .map(|id| wireshark_filter(id))
        .collect::<Vec<_>>()
        .join(" || ")
}

/// The Wireshark display filter that isolates one call (all legs share its Call-ID).
pub fn wireshark_filter(call_id: &str) -> String {
    format!(
        "sip.Call-ID == \"{}\"",
        call_id.replace('\\', "\\\\").replace('"', "\\\"")
    )
}
