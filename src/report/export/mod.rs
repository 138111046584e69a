//! Writing the tables of `report::schema` out. One [`Exporter`] per format,
//! each in its own file (CSV, JSON, Parquet, the HTML table); the destinations
//! (stdout, the `--out` directory, the `--dataset`) pick formats and never
//! choose columns. A new format (NDJSON, Excel…) is one new file here.

pub mod csv;
#[cfg(feature = "reports")]
pub mod dataset;
pub mod html;
pub mod json;
#[cfg(feature = "reports")]
pub mod manifest;
#[cfg(feature = "reports")]
pub mod out_dir;
#[cfg(feature = "reports")]
pub mod out_lock;
#[cfg(feature = "reports")]
pub mod parquet;

use crate::report::schema::{Rows, Type, Value};
use crate::report::time::utc_ns;

/// One output format of the tables.
pub trait Exporter {
    /// The file extension, which is also the format's name.
    fn extension(&self) -> &'static str;
    /// The whole table, header included.
    fn write(&self, rows: &dyn Rows, out: &mut dyn std::io::Write) -> std::io::Result<()>;
}

/// A cell as text (CSV, HTML): datetimes in RFC 3339 with nanoseconds, lists
/// joined by their column's separator, null as "".
pub fn text(v: &Value, ty: Type) -> String {
    match v {
        Value::Null => String::new(),
        Value::Text(s) => s.clone(),
        Value::List(items) => items.join(match ty {
            Type::List(sep) => sep,
            _ => ";",
        }),
        Value::Time(ns) => utc_ns(*ns),
        Value::U32(n) => n.to_string(),
        Value::U64(n) => n.to_string(),
        Value::F64(x) => x.to_string(),
        Value::Bool(b) => b.to_string(),
    }
}

/// The column names of a table, in order.
pub fn header(rows: &dyn Rows) -> Vec<&'static str> {
    (0..rows.width()).map(|c| rows.column(c).0).collect()
}
