//! The run `check` and `diff` judge, in one of two forms: a summary saved by
//! `analyze --out` (its summary.json, or the directory holding it), read
//! without any capture; or captures (files, directories, globs) read now.
//! Either way the verdict sees a `Snapshot`; only captures have input reports
//! (and so a say in the exit code).

use super::args::Inputs;
use super::config::{inputs_of, Run};
use super::outcome::said;
use super::summarize::read_and_summarize;
use anyhow::Result;
use sipsleuth::capture::InputSpec;
use sipsleuth::filter::Filter;
use sipsleuth::pipeline::InputReport;
use sipsleuth::report::printable::printable;
use sipsleuth::summary::{Completeness, Options};
use sipsleuth::verdict::snapshot::{read_saved, Snapshot};
use std::path::{Path, PathBuf};

pub struct Judged {
    pub snapshot: Snapshot,
    /// The captures' reports (None for a saved summary).
    pub reports: Option<Vec<InputReport>>,
    /// The captures read (empty for a saved summary).
    pub inputs: Vec<InputSpec>,
}

impl Judged {
    /// How completely the run was read, said on stderr as for any command: a
    /// saved summary of a partial read is partial too.
    pub fn completeness(&self, quiet: bool) -> Completeness {
        if let Some(r) = &self.reports {
            let reports: Vec<&InputReport> = r.iter().collect();
            return said(&reports, quiet);
        }
        if self.snapshot.complete {
            return Completeness::Complete;
        }
        if !quiet {
            eprintln!(
                "sipsleuth: warning: the saved summary of {} covers a partial read (an input was damaged or unreadable when it was written)",
                printable(&self.snapshot.inputs.join(", "))
            );
        }
        Completeness::Partial
    }
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
                reports: None,
                inputs: Vec::new(),
            });
        }
    }
    let inputs = inputs_of(given)?;
    let options = Options {
        filter,
        keep_rows: false,
        per_file: false,
        // check and diff judge signalling; announced RTP is followed, as analyze does by default.
        rtp_heuristic: false,
    };
    let summary = read_and_summarize(run, &inputs, &options);
    Ok(Judged {
        snapshot: Snapshot::of(&summary),
        reports: Some(summary.inputs.into_iter().map(|i| i.report).collect()),
        inputs,
    })
}
