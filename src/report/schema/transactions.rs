//! The transactions table: one row per SIP transaction (RFC 3261 §17), per hop.

use super::{col, Column, Table, Type::*, Value};
use crate::model::transaction::Transaction;

/// A transaction and its Call-ID.
pub type Row = (Transaction, Box<str>);

pub static TABLE: Table<Row> = Table {
    name: "transactions",
    doc: "One row per SIP transaction (RFC 3261 §17), per hop.",
    columns: COLUMNS,
};

fn ms_since(t: &Transaction, ts: i64) -> Value {
    Value::F64((ts - t.first_ts) as f64 / 1e6)
}

#[rustfmt::skip]
static COLUMNS: &[Column<Row>] = &[
    col("call_id", Text, "Call-ID", |r, _| r.1.as_ref().into()),
    col("method", Word, "request method", |r, _| format!("{:?}", r.0.method).to_uppercase().into()),
    col("cseq", U32, "CSeq number", |r, _| r.0.cseq.into()),
    col("client", Text, "IP:port the request came from", |r, _| r.0.client.to_string().into()),
    col("server", Text, "IP:port the request went to", |r, _| r.0.server.to_string().into()),
    col("transport", Word, "udp, tcp, ws", |r, _| r.0.transport.as_str().into()),
    col("start", Datetime, "first transmission of the request", |r, _| Value::time(r.0.first_ts)),
    col("requests", U32, "request transmissions, retransmissions included", |r, _| r.0.requests.into()),
    col("responses", U32, "responses, retransmissions included", |r, _| r.0.responses.into()),
    col("first_provisional", U32, "first 1xx", |r, _| r.0.first_provisional.map(|p| p.0).into()),
    col("first_provisional_ms", Ms, "its delay after the request", |r, _| r.0.first_provisional.map_or(Value::Null, |p| ms_since(&r.0, p.1))),
    col("final_code", U32, "first final response", |r, _| r.0.final_code.into()),
    col("final_ms", Ms, "its delay after the request", |r, _| r.0.final_ts.map_or(Value::Null, |f| ms_since(&r.0, f))),
    col("has_credentials", Bool, "Authorization or Proxy-Authorization present", |r, _| r.0.has_credentials.into()),
    col("in_dialog", Bool, "To tag present", |r, _| r.0.in_dialog.into()),
];
