//! CSV: a header row, then one line per record (`calls --csv`, `--out`
//! NAME.csv; the same bytes either way). Cells are quoted when needed, and text
//! that a spreadsheet would run as a formula gets a leading `'`.

use super::{header, text, Exporter};
use crate::report::messages::csv_cell;
use crate::report::schema::Rows;

pub struct Csv;

impl Exporter for Csv {
    fn extension(&self) -> &'static str {
        "csv"
    }

    fn write(&self, rows: &dyn Rows, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        writeln!(out, "{}", header(rows).join(","))?;
        let mut line = String::new();
        for r in 0..rows.len() {
            line.clear();
            for c in 0..rows.width() {
                if c > 0 {
                    line.push(',');
                }
                line.push_str(&csv_cell(&text(&rows.cell(r, c), rows.column(c).1)));
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}
