//! The run `check` and `diff` judge, in one of two forms: a summary saved by
//! `analyze --out` (its summary.json, or the directory holding it), read
//! without any capture; or captures (files, directories, globs) read now.
//! Either way the verdict sees a `Snapshot`; only captures have input reports
//! (and so a say in the exit code).

use super::args::Inputs;
use super::config::{inputs_of, Run};
use super::summarize::read_and_summarize;
use anyhow::Result;
use sipsleuth::filter::Filter;
use sipsleuth::pipeline::InputReport;
use sipsleuth::summary::Options;
use sipsleuth::verdict::snapshot::{read_saved, Snapshot};
use std::path::{Path, PathBuf};

pub struct Judged {
    pub snapshot: Snapshot,
    /// The captures' reports (empty for a saved summary).
    pub reports: Vec<InputReport>,
}

/// The summary.json a name stands for, if it names a saved summary: a file
/// ending in `.json`, or a directory holding summary.json (an `--out` DIR).
pub fn saved_summary(name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    if p.is_dir() {
        let s = p.join("summary.json");
        return s.is_file().then_some(s);
    }
    name.ends_with(".json").then(|| p.to_path_buf())
}

/// Reads one run given as command-line inputs.
pub fn load(run: &Run, given: &Inputs, filter: Filter) -> Result<Judged> {
    if let ([one], None) = (given.inputs.as_slice(), &given.files_from) {
        if let Some(path) = saved_summary(one) {
            if !filter.is_empty() {
                anyhow::bail!(
                    "{}: a saved summary cannot be filtered (filter when it is written: analyze --out with the filter)",
                    path.display()
                );
            }
            return Ok(Judged {
                snapshot: read_saved(&path)?,
                reports: Vec::new(),
            });
        }
    }
    let inputs = inputs_of(given)?;
    let options = Options {
        filter,
        keep_rows: false,
        per_file: false,
    };
    let summary = read_and_summarize(run, &inputs, &options);
    Ok(Judged {
        snapshot: Snapshot::of(&summary),
        reports: summary.inputs.into_iter().map(|i| i.report).collect(),
    })
}
