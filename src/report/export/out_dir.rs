//! `analyze --out DIR`: `summary.json` and every table of `report::schema` —
//! calls, registrations, transactions, messages, findings, and files with
//! `--per-file` — as CSV and Parquet. Every file is written to a temporary
//! name and renamed, so an error never leaves half a file.

use super::csv::Csv;
use super::parquet::Parquet;
use super::Exporter;
use crate::report::schema::{self, Context, Rows, Table};
use crate::summary::Summary;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Writes to `path` through a temporary file in the same directory, then renames it.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), FilesError> {
    let io = |e| FilesError::Io {
        path: path.display().to_string(),
        source: e,
    };
    let tmp = path.with_extension(format!(
        "{}.tmp-{}",
        path.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ));
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    let r = write(&mut f).and_then(|_| f.sync_all());
    if let Err(e) = r {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    std::fs::rename(&tmp, path).map_err(io)
}

/// Every table of a summary, bound to its declaration, in docs/schema.md's order.
pub fn tables<'a>(s: &'a Summary, paths: &'a [String]) -> Vec<Box<dyn Rows + 'a>> {
    fn all<'a, R>(t: &'static Table<R>, rows: &'a [R], ctx: Context<'a>) -> Box<dyn Rows + 'a> {
        Box::new(t.all(rows, ctx))
    }
    let ctx = Context { paths };
    let mut out = vec![
        all(&schema::calls::TABLE, &s.calls, ctx),
        all(
            &schema::registrations::TABLE,
            &s.registrations.attempts,
            ctx,
        ),
        all(&schema::transactions::TABLE, &s.transaction_rows, ctx),
        all(&schema::messages::TABLE, &s.messages, ctx),
        all(&schema::findings::TABLE, &s.findings, ctx),
    ];
    if s.show_per_file {
        out.push(all(&schema::files::TABLE, &s.per_file, ctx));
    }
    out
}

/// Writes summary.json and every table in every format into `dir`; returns the files written.
pub fn write_all(
    dir: &Path,
    s: &Summary,
    summary_json: &serde_json::Value,
) -> Result<Vec<PathBuf>, FilesError> {
    std::fs::create_dir_all(dir).map_err(|e| FilesError::Io {
        path: dir.display().to_string(),
        source: e,
    })?;
    let mut written = Vec::new();
    let sj = dir.join("summary.json");
    write_atomic(&sj, |f| {
        serde_json::to_writer_pretty(&mut *f, summary_json)?;
        std::io::Write::write_all(f, b"\n")
    })?;
    written.push(sj);
    let paths: Vec<String> = s.inputs.iter().map(|i| i.report.path.clone()).collect();
    let exporters: [&dyn Exporter; 2] = [&Csv, &Parquet];
    for table in tables(s, &paths) {
        for e in exporters {
            let path = dir.join(format!("{}.{}", table.name(), e.extension()));
            write_atomic(&path, |f| {
                let mut w = std::io::BufWriter::new(f);
                e.write(table.as_ref(), &mut w)?;
                std::io::Write::flush(&mut w)
            })?;
            written.push(path);
        }
    }
    Ok(written)
}
