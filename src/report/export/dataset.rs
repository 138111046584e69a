//! `analyze --dataset ROOT`: this run's tables added to a Parquet dataset that
//! many runs share (one per day, per site), laid out the way DuckDB, Spark and
//! polars read hive-partitioned data without conversion:
//!
//! ```text
//! ROOT/calls/[site=SITE/]date=YYYY-MM-DD/run-ID.parquet
//! ROOT/registrations/…   ROOT/findings/…   ROOT/files/…
//! ```
//!
//! Rows go to the date (UTC) of their own start, so a run across midnight
//! writes into two dates. The schema is the one of `--out` (docs/schema.md)
//! plus a `run_id` column (`report::schema`); the partition columns (`date`, `site`) come from the
//! folder names. ID is a digest of the inputs (paths, sizes, modification
//! times): re-running the same archive replaces its files instead of adding
//! a second copy. Files are written atomically, like every output.
//!
//! Many runs share a root, so it is locked (`ROOT/.sipsleuth.lock`, as an
//! `--out` directory is) only while a run writes its files; a run finding it
//! locked waits up to [`LOCK_PATIENCE`] (the analysis is done by then, and
//! writing takes seconds). Each run ID keeps a manifest,
//! `ROOT/.sipsleuth-manifest-run-ID`: re-running the same inputs removes the
//! files of its previous run it did not write again (a date with no rows this
//! time, another `--site`), so a re-run never leaves stale rows beside its new
//! ones; other runs' files are never touched.

use super::out_dir::{write_atomic, FilesError};
use super::parquet::write_rows;
use super::{manifest, out_lock};
use crate::report::schema::{self, Context, Table};
use crate::report::time::civil_from_days;
use crate::summary::Summary;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

/// The UTC date of a timestamp, as the partition value `YYYY-MM-DD`.
fn date(ts_ns: i64) -> String {
    let (y, m, d) = civil_from_days(ts_ns.div_euclid(86_400_000_000_000));
    format!("{y:04}-{m:02}-{d:02}")
}

/// A digest of what was read: the same inputs give the same run ID.
pub fn run_id(s: &Summary) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for i in &s.inputs {
        let path = std::fs::canonicalize(&i.report.path)
            .map_or_else(|_| i.report.path.clone(), |p| p.display().to_string());
        path.hash(&mut h);
        if let Ok(m) = std::fs::metadata(&i.report.path) {
            m.len().hash(&mut h);
            m.modified().ok().hash(&mut h);
        }
        i.report.frames.total().hash(&mut h);
    }
    format!("{:016x}", h.finish())
}

/// A site name safe as a folder name: letters, digits, '-', '_', '.'; not empty, not dots only.
pub fn check_site(site: &str) -> Result<(), FilesError> {
    let ok = !site.is_empty()
        && site.len() <= 64
        && site
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !site.chars().all(|c| c == '.');
    if ok {
        Ok(())
    } else {
        Err(FilesError::Io {
            path: site.to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a --site name has only letters, digits, '-', '_' and '.'",
            ),
        })
    }
}

/// Groups row indexes by the date of their timestamp (rows without one go to `fallback`'s date).
fn by_date(ts: impl Iterator<Item = Option<i64>>, fallback: i64) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (k, t) in ts.enumerate() {
        out.entry(date(t.unwrap_or(fallback))).or_default().push(k);
    }
    out
}

/// Writes one table's rows, one file per date, under `root`.
fn put<R>(
    root: &Path,
    site: Option<&str>,
    id: &str,
    table: &'static Table<R>,
    records: &[R],
    groups: BTreeMap<String, Vec<usize>>,
    written: &mut Vec<PathBuf>,
) -> Result<(), FilesError> {
    for (day, rows) in groups {
        let mut dir = root.join(table.name);
        if let Some(site) = site {
            dir = dir.join(format!("site={site}"));
        }
        dir = dir.join(format!("date={day}"));
        let io = |e: std::io::Error| FilesError::Io {
            path: dir.display().to_string(),
            source: e,
        };
        let bound = table.rows(
            rows.iter().map(|&k| &records[k]).collect(),
            Context::default(),
        );
        std::fs::create_dir_all(&dir).map_err(io)?;
        let path = dir.join(format!("run-{id}.parquet"));
        write_atomic(&path, |f| write_rows(&bound, Some(id), f))?;
        written.push(path);
    }
    Ok(())
}

/// How long a run waits for another to finish writing into the same dataset.
pub const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(120);

/// Writes this run's partitions under `root`, holding its lock, and records them
/// in this run ID's manifest (removing what the previous run of the same ID wrote
/// and this one did not); returns the files written.
pub fn write_dataset(
    root: &Path,
    site: Option<&str>,
    s: &Summary,
) -> Result<Vec<PathBuf>, FilesError> {
    if let Some(site) = site {
        check_site(site)?;
    }
    std::fs::create_dir_all(root).map_err(|e| FilesError::Io {
        path: root.display().to_string(),
        source: e,
    })?;
    let _lock = out_lock::lock_waiting(root, LOCK_PATIENCE)?;
    let id = run_id(s);
    let written = write_partitions(root, site, &id, s)?;
    manifest::replace_named(root, &format!(".sipsleuth-manifest-run-{id}"), &written)?;
    Ok(written)
}

fn write_partitions(
    root: &Path,
    site: Option<&str>,
    id: &str,
    s: &Summary,
) -> Result<Vec<PathBuf>, FilesError> {
    let start = s.first_ns.unwrap_or(0);
    let mut written = Vec::new();
    let calls = by_date(s.calls.iter().map(|c| Some(c.start_ns)), start);
    put(
        root,
        site,
        id,
        &schema::calls::TABLE,
        &s.calls,
        calls,
        &mut written,
    )?;
    let regs = &s.registrations.attempts;
    let groups = by_date(regs.iter().map(|a| Some(a.first_ts_ns)), start);
    put(
        root,
        site,
        id,
        &schema::registrations::TABLE,
        regs,
        groups,
        &mut written,
    )?;
    let groups = by_date(s.findings.iter().map(|f| f.evidence.first_ns), start);
    put(
        root,
        site,
        id,
        &schema::findings::TABLE,
        &s.findings,
        groups,
        &mut written,
    )?;
    let groups = by_date(s.per_file.iter().map(|f| f.first_ns), start);
    put(
        root,
        site,
        id,
        &schema::files::TABLE,
        &s.per_file,
        groups,
        &mut written,
    )?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(86_400_000_000_000 - 1), "1970-01-01");
        assert_eq!(date(1_763_683_200_000_000_000), "2025-11-21");
        assert_eq!(date(-1), "1969-12-31");
    }

    #[test]
    fn site_names_cannot_leave_the_dataset() {
        for bad in ["", "..", "a/b", "../x", "a\nb", "é"] {
            assert!(check_site(bad).is_err(), "{bad:?}");
        }
        for good in ["paris-1", "site_2", "eu.west"] {
            assert!(check_site(good).is_ok(), "{good}");
        }
    }
}
