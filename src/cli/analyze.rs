//! `sipsleuth analyze`: the summary on stdout (tables or JSON), and the files
//! asked for: `--out DIR` (tables, charts, HTML), `--html FILE`, `--dataset ROOT`.

use super::args::AnalyzeArgs;
use super::config::{filter_of, inputs_of, Run};
use super::destinations;
use super::outcome::{finish, ignore_broken_pipe};
use super::report_files;
use super::runs;
use super::summarize::read_and_summarize;
use anyhow::Result;
use sipsleuth::report::export::{dataset, manifest, out_dir};
use sipsleuth::report::{json, table};
use sipsleuth::summary::Options;
use sipsleuth::verdict::{self, snapshot, snapshot::Snapshot};
use std::io::Write;
use std::process::ExitCode;

pub fn run(run: &Run, a: AnalyzeArgs) -> Result<ExitCode> {
    // Destinations first: a bad one is said before anything is read.
    // The --out directory last: it is created and locked, which a bad
    // --html or --dataset should not leave behind.
    if let Some(path) = &a.html {
        destinations::out_file("--html", path)?;
    }
    if let Some(root) = &a.dataset {
        destinations::dataset_root(root, a.site.as_deref())?;
    }
    // The baseline is read first too: a bad one is said before the inputs are read.
    let baseline = match &a.baseline {
        None => None,
        Some(_) if a.out.is_none() && a.html.is_none() => {
            anyhow::bail!("--baseline is shown in the HTML report: give --html FILE or --out DIR")
        }
        Some(p) => match runs::saved_summary(&p.to_string_lossy()) {
            Some(path) => Some(snapshot::read_saved(&path)?),
            None => anyhow::bail!(
                "--baseline {}: not a saved summary (give the summary.json written by analyze --out DIR, or DIR)",
                p.display()
            ),
        },
    };
    let lock = a.out.as_deref().map(destinations::out_dir).transpose()?;
    let inputs = inputs_of(&a.inputs)?;
    let options = Options {
        filter: filter_of(&a.filter)?,
        keep_rows: a.out.is_some() || a.html.is_some(),
        per_file: a.per_file,
        rtp_heuristic: a.rtp_heuristic,
    };
    let summary = read_and_summarize(run, &inputs, &options);
    let summary_json = json::summary_json(&summary);
    let snapshot = (a.out.is_some() || baseline.is_some()).then(|| Snapshot::of(&summary));
    let comparison = baseline
        .as_ref()
        .zip(snapshot.as_ref())
        .map(|(b, now)| verdict::diff::diff(b, now));
    if let Some(dir) = &a.out {
        // summary.json also keeps what `check` and `diff` need (docs/summary-format.md).
        let mut saved = summary_json.clone();
        if let Some(snap) = &snapshot {
            saved["verdict"] = serde_json::to_value(snap.for_saving())?;
        }
        let mut written = out_dir::write_all(dir, &summary, &saved)?;
        written.extend(report_files::charts_and_html(
            dir,
            a.html.as_deref(),
            &summary,
            comparison.as_ref(),
        )?);
        let removed = manifest::replace(dir, &written)?;
        drop(lock);
        if !run.quiet {
            eprintln!(
                "sipsleuth: wrote {} file(s) to {}{}",
                written.len(),
                dir.display(),
                match removed.len() {
                    0 => String::new(),
                    n => format!(" (removed {n} left by the previous run)"),
                }
            );
        }
    } else if let Some(path) = &a.html {
        report_files::html_only(path, &summary, comparison.as_ref())?;
    }
    if let Some(root) = &a.dataset {
        let written = dataset::write_dataset(root, a.site.as_deref(), &summary)?;
        if !run.quiet {
            eprintln!(
                "sipsleuth: added {} file(s) to the dataset {}",
                written.len(),
                root.display()
            );
        }
    }
    let mut out = std::io::stdout().lock();
    let r = if a.json {
        serde_json::to_writer_pretty(&mut out, &summary_json)
            .map_err(std::io::Error::from)
            .and_then(|_| writeln!(out))
    } else {
        write!(out, "{}", table::render(&summary))
    };
    ignore_broken_pipe(r)?;
    let reports: Vec<_> = summary.inputs.iter().map(|i| &i.report).collect();
    let code = finish(&reports, run.quiet);
    // The process ends next: freeing a load test's records one by one (125 000
    // calls: 30-37 ms, serial, after the output is written) is work the system
    // does at once when it takes the memory back (issue #16).
    std::mem::forget(summary);
    Ok(code)
}
