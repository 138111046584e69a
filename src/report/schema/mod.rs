//! Every output table declared once: an ordered list of columns, each with its
//! name, type, one doc line and how to get its value from the record. The
//! exporters (`report::export`: CSV, JSON, Parquet, the dataset, the HTML call
//! table) take their columns from here and nowhere else, and docs/schema.md is
//! generated from it ([`markdown`], checked by a test). Adding a column is one
//! line in the table's file; adding a format is one exporter.

pub mod calls;
pub mod files;
pub mod findings;
pub mod messages;
pub mod registrations;
pub mod streams;
pub mod transactions;

/// A column's type, as every format writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// Free text.
    Text,
    /// A word from a fixed set (category, outcome, severity…): text, and a CSS class in HTML.
    Word,
    /// Several texts: an array in JSON, joined by this separator in CSV, Parquet and HTML.
    List(&'static str),
    /// A UTC instant, nanoseconds: `Datetime(ns, UTC)` in Parquet, RFC 3339 text elsewhere.
    Datetime,
    U32,
    U64,
    /// A duration in milliseconds (float).
    Ms,
    Bool,
}

impl Type {
    /// The type's name in docs/schema.md.
    pub fn doc_name(self) -> &'static str {
        match self {
            Type::Text | Type::Word => "string",
            Type::List(_) => "list",
            Type::Datetime => "datetime",
            Type::U32 => "u32",
            Type::U64 => "u64",
            Type::Ms => "ms",
            Type::Bool => "bool",
        }
    }
}

/// One cell. `Null` is "not applicable or not seen".
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    List(Vec<String>),
    /// Nanoseconds since the epoch, UTC.
    Time(i64),
    U32(u32),
    U64(u64),
    F64(f64),
    Bool(bool),
}

impl Value {
    pub fn time(ns: i64) -> Value {
        Value::Time(ns)
    }
    pub fn time_opt(ns: Option<i64>) -> Value {
        ns.map_or(Value::Null, Value::Time)
    }
    pub fn list<S: ToString>(items: &[S]) -> Value {
        Value::List(items.iter().map(ToString::to_string).collect())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Value {
        Value::U32(v)
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Value {
        Value::U64(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::F64(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}
impl From<u16> for Value {
    fn from(v: u16) -> Value {
        Value::U32(u32::from(v))
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl From<crate::model::compact::OptF64> for Value {
    fn from(v: crate::model::compact::OptF64) -> Value {
        v.get().into()
    }
}

/// What a getter may need besides its record: the input paths (messages name their file by index).
#[derive(Clone, Copy, Default)]
pub struct Context<'a> {
    pub paths: &'a [String],
}

/// One column of a table of `R` records.
pub struct Column<R> {
    pub name: &'static str,
    pub ty: Type,
    pub doc: &'static str,
    pub get: fn(&R, &Context) -> Value,
}

/// A column, declared in one line.
pub const fn col<R>(
    name: &'static str,
    ty: Type,
    doc: &'static str,
    get: fn(&R, &Context) -> Value,
) -> Column<R> {
    Column { name, ty, doc, get }
}

/// A table: its name (the file name in `--out`), what one row is, its columns in order.
pub struct Table<R: 'static> {
    pub name: &'static str,
    pub doc: &'static str,
    pub columns: &'static [Column<R>],
}

/// A table's name, row description and column names, types and docs, without its record type.
pub struct Shape {
    pub name: &'static str,
    pub doc: &'static str,
    pub columns: Vec<(&'static str, Type, &'static str)>,
}

impl<R> Table<R> {
    pub fn shape(&self) -> Shape {
        Shape {
            name: self.name,
            doc: self.doc,
            columns: self.columns.iter().map(|c| (c.name, c.ty, c.doc)).collect(),
        }
    }

    /// These records, ready for an exporter.
    pub fn rows<'a>(&'static self, rows: Vec<&'a R>, ctx: Context<'a>) -> Bound<'a, R> {
        Bound {
            table: self,
            rows,
            ctx,
        }
    }

    pub fn all<'a>(&'static self, rows: &'a [R], ctx: Context<'a>) -> Bound<'a, R> {
        self.rows(rows.iter().collect(), ctx)
    }
}

/// A table's rows as exporters see them: whatever the record type, cells by (row, column).
pub trait Rows {
    fn name(&self) -> &'static str;
    fn width(&self) -> usize;
    /// Name and type of column `c`.
    fn column(&self, c: usize) -> (&'static str, Type);
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn cell(&self, row: usize, c: usize) -> Value;
    /// The index of the column of this name.
    fn position(&self, name: &str) -> Option<usize> {
        (0..self.width()).find(|&c| self.column(c).0 == name)
    }
}

/// Records of one table bound to its declaration.
pub struct Bound<'a, R: 'static> {
    table: &'static Table<R>,
    rows: Vec<&'a R>,
    ctx: Context<'a>,
}

impl<R> Rows for Bound<'_, R> {
    fn name(&self) -> &'static str {
        self.table.name
    }
    fn width(&self) -> usize {
        self.table.columns.len()
    }
    fn column(&self, c: usize) -> (&'static str, Type) {
        let col = &self.table.columns[c];
        (col.name, col.ty)
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn cell(&self, row: usize, c: usize) -> Value {
        (self.table.columns[c].get)(self.rows[row], &self.ctx)
    }
}

/// Every table, in the order of docs/schema.md.
pub fn shapes() -> Vec<Shape> {
    vec![
        calls::TABLE.shape(),
        registrations::TABLE.shape(),
        transactions::TABLE.shape(),
        messages::TABLE.shape(),
        streams::TABLE.shape(),
        findings::TABLE.shape(),
        files::TABLE.shape(),
    ]
}

const PREAMBLE: &str = "\
# Output tables

<!-- Generated from src/report/schema/ by `SIPSLEUTH_WRITE_SCHEMA=1 cargo test --release --lib schema`; do not edit by hand. -->

Every table below is declared once (`src/report/schema/`) and written with the
same columns, in the same order, wherever it goes:

- `analyze --out DIR`: `DIR/NAME.csv` and `DIR/NAME.parquet` (zstd-compressed),
  with `DIR/summary.json` (what `analyze --json` prints, plus the saved summary `check` and
  `diff` read: docs/summary-format.md); `files` only with `--per-file`;
- `calls --csv` / `--json` and `registrations --csv` / `--json` on stdout;
- `analyze --dataset ROOT`: calls, registrations, findings and files, plus `run_id`;
- the HTML report's call table (a chosen few of the calls columns).

Files are written to a temporary name and renamed, so a failed run never leaves
half a file.

Types: `datetime` is a UTC instant with nanosecond resolution:
`Datetime(ns, \"UTC\")` in Parquet, and RFC 3339 text with nine decimals
(`2024-03-01T12:34:56.123456789Z`) in CSV, JSON and HTML. `ms` columns are
durations in milliseconds (float); `u32` and `u64` are unsigned integers, `bool`
true/false; `list` is an array of strings in JSON and its items joined by the
separator given in CSV, Parquet and HTML. Empty cells, nulls, mean \"not
applicable or not seen\". Text from captures that would start a spreadsheet
formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'` in CSV only.

Read the files with pandas (`pd.read_parquet`), polars (`pl.read_parquet`) or
DuckDB (`SELECT * FROM 'DIR/calls.parquet'`).
";

const POSTSCRIPT: &str = "
## The dataset of many runs (`--dataset ROOT`)

`calls`, `registrations`, `findings` and `files` as above, plus `run_id`
(string), in `ROOT/TABLE/[site=SITE/]date=YYYY-MM-DD/run-ID.parquet`; `site` and
`date` are hive partition columns. Layout and a DuckDB query over a month:
[archives.md](archives.md).
";

/// docs/schema.md, from the declarations.
pub fn markdown() -> String {
    let mut s = String::from(PREAMBLE);
    for t in shapes() {
        s.push_str(&format!(
            "\n## {}\n\n{}\n\n| column | type | meaning |\n|---|---|---|\n",
            t.name, t.doc
        ));
        for (name, ty, doc) in t.columns {
            let ty = match ty {
                Type::List(sep) => format!("list (`{}`)", sep.replace('|', "\\|")),
                t => t.doc_name().to_string(),
            };
            s.push_str(&format!(
                "| {name} | {ty} | {} |\n",
                doc.replace('|', "\\|")
            ));
        }
    }
    s.push_str(POSTSCRIPT);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/schema.md is what the declarations say; regenerate it with the
    /// variable set when a column changes.
    #[test]
    fn docs_schema_md_is_generated_from_the_declarations() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/schema.md");
        let want = markdown();
        if std::env::var_os("SIPSLEUTH_WRITE_SCHEMA").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap();
        assert!(
            have == want,
            "docs/schema.md is out of date: run `SIPSLEUTH_WRITE_SCHEMA=1 cargo test --release --lib schema`"
        );
    }

    #[test]
    fn column_names_are_unique_snake_case() {
        for t in shapes() {
            let mut seen = std::collections::BTreeSet::new();
            for (name, _, doc) in &t.columns {
                assert!(seen.insert(*name), "{}: {name} twice", t.name);
                assert!(
                    name.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                    "{}: {name}",
                    t.name
                );
                assert!(!doc.is_empty(), "{}: {name} has no doc line", t.name);
            }
        }
    }
}
