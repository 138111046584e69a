//! The messages table: one row per SIP message as seen on the wire.

use super::{col, Column, Table, Type::*, Value};
use crate::summary::MessageRow;

pub static TABLE: Table<MessageRow> = Table {
    name: "messages",
    doc: "One row per SIP message, as seen on the wire (retransmissions included).",
    columns: COLUMNS,
};

#[rustfmt::skip]
static COLUMNS: &[Column<MessageRow>] = &[
    col("time", Datetime, "when the message's last frame was captured", |m, _| Value::time(m.ts_ns)),
    col("src", Text, "IP:port it came from", |m, _| m.src.to_string().into()),
    col("dst", Text, "IP:port it went to", |m, _| m.dst.to_string().into()),
    col("transport", Word, "udp, tcp, ws", |m, _| m.transport.into()),
    col("method", Text, "request method (null for responses)", |m, _| m.method.as_deref().into()),
    col("status", U32, "status code (null for requests)", |m, _| m.status.into()),
    col("call_id", Text, "Call-ID", |m, _| m.call_id.as_str().into()),
    col("cseq", U32, "CSeq number", |m, _| m.cseq.into()),
    col("cseq_method", Text, "CSeq method", |m, _| m.cseq_method.as_str().into()),
    col("from_tag", Text, "From tag", |m, _| m.from_tag.as_str().into()),
    col("to_tag", Text, "To tag", |m, _| m.to_tag.as_str().into()),
    col("via_branch", Text, "branch of the top Via", |m, _| m.branch.as_str().into()),
    col("file", Text, "the input it came from", |m, ctx| ctx.paths.get(m.file as usize).map(String::as_str).into()),
    col("frame", U64, "frame number in its file", |m, _| m.frame.into()),
    col("length", U32, "message bytes", |m, _| m.length.into()),
    col("defects", List(";"), "defect names", |m, _| Value::List(m.defects.split(';').filter(|d| !d.is_empty()).map(String::from).collect())),
];
