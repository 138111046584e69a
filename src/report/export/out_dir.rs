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
///
/// The temporary is created with O_EXCL|O_NOFOLLOW under a fresh name, so a
/// symlink planted at a name we might pick is refused (and another name tried),
/// never followed; `rename` replaces a symlink at the final name instead of
/// writing through it. A failed write or fsync removes the temporary, so no
/// truncated file is ever left under the final name.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), FilesError> {
    let io = |e| FilesError::Io {
        path: path.display().to_string(),
        source: e,
    };
    let (tmp, mut f) = create_temporary(path).map_err(io)?;
    let r = write(&mut f).and_then(|_| f.sync_all());
    drop(f);
    if let Err(e) = r {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}

/// A new file beside `path`, named `.NAME.tmp-PID-N`: hidden, so that a
/// leftover from a killed run is not taken for output, and numbered, so that
/// an existing entry (a planted symlink, another thread's temporary) makes us
/// try the next name rather than open it.
fn create_temporary(path: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    use std::os::unix::fs::OpenOptionsExt;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let pid = std::process::id();
    let mut last = None;
    for n in 0..1000u32 {
        let tmp = dir.join(format!(".{name}.tmp-{pid}-{n}"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .mode(0o644)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::from(std::io::ErrorKind::AlreadyExists)))
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
        all(&schema::streams::TABLE, &s.streams, ctx),
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
