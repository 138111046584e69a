//! The findings table: one row per finding (docs/diagnosis.md).

use super::{col, Column, Table, Type::*, Value};
use crate::diagnosis::Finding;

pub static TABLE: Table<Finding> = Table {
    name: "findings",
    doc: "One row per finding (docs/diagnosis.md).",
    columns: COLUMNS,
};

#[rustfmt::skip]
static COLUMNS: &[Column<Finding>] = &[
    col("kind", Word, "the pattern found (docs/diagnosis.md)", |f, _| f.kind.name().into()),
    col("severity", Word, "critical, error, warning, info", |f, _| f.severity.name().into()),
    col("summary", Text, "what was found, in one sentence", |f, _| f.summary.as_str().into()),
    col("first", Datetime, "start of the evidence", |f, _| Value::time_opt(f.evidence.first_ns)),
    col("last", Datetime, "end of the evidence", |f, _| Value::time_opt(f.evidence.last_ns)),
    col("call_ids", List(";"), "Call-IDs involved, at most 20", |f, _| Value::list(&f.evidence.call_ids)),
    col("addresses", List(";"), "addresses involved, at most 20", |f, _| Value::list(&f.evidence.addresses)),
    col("aors", List(";"), "accounts involved, at most 20", |f, _| Value::list(&f.evidence.aors)),
    col("counts", Text, "JSON object of named counts", |f, _| serde_json::to_string(&f.evidence.counts).unwrap_or_default().into()),
    col("advice", List(" | "), "next checks, most likely first", |f, _| Value::list(&f.advice)),
];
