//! Parquet through polars (zstd): `--out` NAME.parquet and the dataset's
//! partitions. Datetimes are `Datetime(ns, UTC)`, lists are joined text (the
//! CSV's cells), numbers and booleans their own types; every column nullable.

use super::{text, Exporter};
use crate::report::schema::{Rows, Type, Value};
use polars::prelude::*;

pub struct Parquet;

/// The table as a polars frame, column types from the declaration.
pub fn frame(rows: &dyn Rows) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let mut columns = Vec::with_capacity(rows.width());
    for c in 0..rows.width() {
        let (name, ty) = rows.column(c);
        let cells = (0..n).map(|r| rows.cell(r, c));
        let name: PlSmallStr = name.into();
        let column = match ty {
            Type::Text | Type::Word | Type::List(_) => Column::new(
                name,
                cells
                    .map(|v| (v != Value::Null).then(|| text(&v, ty)))
                    .collect::<Vec<_>>(),
            ),
            Type::Datetime => Column::new(
                name,
                cells
                    .map(|v| match v {
                        Value::Time(ns) => Some(ns),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            )
            .cast(&DataType::Datetime(
                TimeUnit::Nanoseconds,
                Some(TimeZone::UTC),
            ))?,
            Type::U32 => Column::new(
                name,
                cells
                    .map(|v| match v {
                        Value::U32(x) => Some(x),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
            Type::U64 => Column::new(
                name,
                cells
                    .map(|v| match v {
                        Value::U64(x) => Some(x),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
            Type::Ms => Column::new(
                name,
                cells
                    .map(|v| match v {
                        Value::F64(x) => Some(x),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
            Type::Bool => Column::new(
                name,
                cells
                    .map(|v| match v {
                        Value::Bool(x) => Some(x),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
        };
        columns.push(column);
    }
    DataFrame::new(n, columns)
}

/// Writes a frame (the dataset adds its `run_id` column to [`frame`]'s).
pub fn write_frame(df: &mut DataFrame, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    ParquetWriter::new(out)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(df)
        .map(|_| ())
        .map_err(std::io::Error::other)
}

impl Exporter for Parquet {
    fn extension(&self) -> &'static str {
        "parquet"
    }

    fn write(&self, rows: &dyn Rows, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut df = frame(rows).map_err(std::io::Error::other)?;
        write_frame(&mut df, out)
    }
}
