//! `sipsleuth calls` and `sipsleuth registrations`: one row per attempt, as a
//! terminal table, or CSV / JSON with the columns of docs/schema.md.

use super::args::RowsArgs;
use super::config::{filter_of, inputs_of, Run};
use super::outcome::{finish, ignore_broken_pipe};
use super::summarize::read_and_summarize;
use anyhow::Result;
use sipsleuth::report::export::{csv::Csv, json::Json, Exporter};
use sipsleuth::report::schema::{self, Rows};
use sipsleuth::report::{calls, media, registrations};
use sipsleuth::summary::{Options, Summary};
use std::io::Write;
use std::process::ExitCode;

pub fn calls(run: &Run, a: RowsArgs) -> Result<ExitCode> {
    let s = summary_of(run, &a)?;
    let rows = schema::calls::TABLE.all(&s.calls, Default::default());
    print(&a, &rows, || calls::render_table(&s.calls))?;
    Ok(finish_of(&s, run))
}

pub fn registrations(run: &Run, a: RowsArgs) -> Result<ExitCode> {
    let s = summary_of(run, &a)?;
    let attempts = &s.registrations.attempts;
    let rows = schema::registrations::TABLE.all(attempts, Default::default());
    print(&a, &rows, || registrations::render_table(attempts))?;
    Ok(finish_of(&s, run))
}

pub fn streams(run: &Run, a: RowsArgs) -> Result<ExitCode> {
    let s = summary_of(run, &a)?;
    let rows = schema::streams::TABLE.all(&s.streams, Default::default());
    print(&a, &rows, || media::render_table(&s.streams))?;
    Ok(finish_of(&s, run))
}

fn summary_of(run: &Run, a: &RowsArgs) -> Result<Summary> {
    let inputs = inputs_of(&a.inputs)?;
    let options = Options {
        filter: filter_of(&a.filter)?,
        keep_rows: false,
        per_file: false,
        rtp_heuristic: a.rtp_heuristic,
    };
    Ok(read_and_summarize(run, &inputs, &options))
}

/// The rows in the format asked for; the terminal table is drawn only when it is the one.
fn print(a: &RowsArgs, rows: &dyn Rows, table: impl FnOnce() -> String) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let r = if a.json {
        Json.write(rows, &mut out)
    } else if a.csv {
        Csv.write(rows, &mut out)
    } else {
        write!(out, "{}", table())
    };
    ignore_broken_pipe(r.and_then(|_| out.flush()))
}

fn finish_of(s: &Summary, run: &Run) -> ExitCode {
    let reports: Vec<_> = s.inputs.iter().map(|i| &i.report).collect();
    finish(&reports, run.quiet)
}
