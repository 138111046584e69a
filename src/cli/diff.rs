//! `sipsleuth diff BASELINE CURRENT`: each side read as `runs` reads it (a
//! saved summary, or captures), compared by `verdict::diff`; tables or
//! `--json` on stdout. The exit code is the inputs' (0, 1, 2): a difference,
//! significant or not, is the answer, not an error.

use super::args::{DiffArgs, Inputs};
use super::config::Run;
use super::outcome::{code, ignore_broken_pipe};
use super::runs;
use anyhow::Result;
use sipsleuth::filter::Filter;
use sipsleuth::report::verdict::diff_table;
use sipsleuth::summary::Completeness;
use sipsleuth::verdict::diff::diff;
use std::io::Write;
use std::process::ExitCode;

pub fn run(run: &Run, a: DiffArgs) -> Result<ExitCode> {
    let mut worst = 0;
    let mut sides = Vec::new();
    for name in [&a.baseline, &a.current] {
        let given = Inputs {
            inputs: vec![name.clone()],
            files_from: None,
        };
        let judged = runs::load(run, &given, Filter::default())?;
        let c = judged.completeness(run.quiet);
        if c == Completeness::Nothing {
            return Ok(ExitCode::from(code(c)));
        }
        worst = worst.max(code(c));
        sides.push(judged.snapshot);
    }
    let d = diff(&sides[0], &sides[1]);
    let mut out = std::io::stdout().lock();
    let r = if a.json {
        serde_json::to_writer_pretty(&mut out, &d)
            .map_err(std::io::Error::from)
            .and_then(|_| writeln!(out))
    } else {
        write!(out, "{}", diff_table(&d))
    };
    ignore_broken_pipe(r)?;
    Ok(ExitCode::from(worst))
}
