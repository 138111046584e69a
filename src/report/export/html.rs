//! An HTML `<table>` of chosen columns of a table (the report's call table):
//! headers are the column names of docs/schema.md, numbers right-aligned with
//! one decimal for milliseconds, words (category, outcome…) also a CSS class for
//! their colour, Call-IDs in `<code>`. Text goes through `html::esc`.

use super::{text, Exporter};
use crate::report::html::esc;
use crate::report::schema::{Rows, Type, Value};

pub struct HtmlTable {
    /// The `id` of the `<table>` (the report's script finds it by it).
    pub id: &'static str,
    /// The columns to show, by name, in this order; a name the table lacks is an error.
    pub columns: &'static [&'static str],
}

impl Exporter for HtmlTable {
    fn extension(&self) -> &'static str {
        "html"
    }

    fn write(&self, rows: &dyn Rows, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let cols: Vec<usize> = self
            .columns
            .iter()
            .map(|n| {
                rows.position(n).ok_or_else(|| {
                    std::io::Error::other(format!("{} has no column {n}", rows.name()))
                })
            })
            .collect::<Result<_, _>>()?;
        write!(out, "<table id=\"{}\"><thead><tr>", self.id)?;
        for &c in &cols {
            write!(out, "<th>{}</th>", rows.column(c).0)?;
        }
        out.write_all(b"</tr></thead><tbody>\n")?;
        for r in 0..rows.len() {
            out.write_all(b"<tr>")?;
            for &c in &cols {
                let ty = rows.column(c).1;
                let v = rows.cell(r, c);
                let shown = match &v {
                    Value::Null => "–".to_string(),
                    // A MOS estimate reads in hundredths (4.41, 3.87); durations in tenths of ms.
                    Value::F64(x) if rows.column(c).0 == "mos" => format!("{x:.2}"),
                    Value::F64(x) => format!("{x:.1}"),
                    v => esc(&text(v, ty)),
                };
                match ty {
                    Type::U32 | Type::U64 | Type::Ms => {
                        write!(out, "<td class=\"n\">{shown}</td>")?
                    }
                    Type::Word if v != Value::Null => {
                        write!(out, "<td class=\"{shown}\">{shown}</td>")?
                    }
                    Type::Text if rows.column(c).0 == "call_id" => {
                        write!(out, "<td><code>{shown}</code></td>")?
                    }
                    _ => write!(out, "<td>{shown}</td>")?,
                }
            }
            out.write_all(b"</tr>\n")?;
        }
        out.write_all(b"</tbody></table>")
    }
}
