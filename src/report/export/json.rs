//! JSON: an array of objects, one per record, keys in column order
//! (`calls --json`, `registrations --json`). Datetimes are RFC 3339 strings
//! with nanoseconds, lists are arrays, null is null (docs/schema.md).

use super::{header, Exporter};
use crate::report::schema::{Rows, Value};
use crate::report::time::utc_ns;
use serde_json::Value as J;

pub struct Json;

fn json(v: Value) -> J {
    match v {
        Value::Null => J::Null,
        Value::Text(s) => J::String(s),
        Value::List(items) => J::Array(items.into_iter().map(J::String).collect()),
        Value::Time(ns) => J::String(utc_ns(ns)),
        Value::U32(n) => n.into(),
        Value::U64(n) => n.into(),
        // NaN and infinities have no JSON form: null.
        Value::F64(x) => serde_json::Number::from_f64(x).map_or(J::Null, J::Number),
        Value::Bool(b) => J::Bool(b),
    }
}

/// The rows as a JSON array of objects (for embedding a table in a larger
/// document, such as `per_file` in `analyze --json`): the same names and values
/// as [`Json`] writes, keys in serde_json's order.
pub fn value(rows: &dyn Rows) -> J {
    let names = header(rows);
    J::Array(
        (0..rows.len())
            .map(|r| {
                J::Object(
                    names
                        .iter()
                        .enumerate()
                        .map(|(c, n)| (n.to_string(), json(rows.cell(r, c))))
                        .collect(),
                )
            })
            .collect(),
    )
}

impl Exporter for Json {
    fn extension(&self) -> &'static str {
        "json"
    }

    fn write(&self, rows: &dyn Rows, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let names = header(rows);
        out.write_all(b"[")?;
        for r in 0..rows.len() {
            out.write_all(if r == 0 { b"\n  {" } else { b",\n  {" })?;
            for (c, name) in names.iter().enumerate() {
                if c > 0 {
                    out.write_all(b", ")?;
                }
                serde_json::to_writer(&mut *out, name)?;
                out.write_all(b": ")?;
                serde_json::to_writer(&mut *out, &json(rows.cell(r, c)))?;
            }
            out.write_all(b"}")?;
        }
        out.write_all(if rows.is_empty() { b"]\n" } else { b"\n]\n" })
    }
}
