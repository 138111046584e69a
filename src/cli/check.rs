//! `sipsleuth check INPUT... --slo FILE.toml`: the rules are read and checked
//! first (a bad file is a usage error, exit 2, before any capture is read),
//! then the run (captures, or a saved summary), then every rule is judged.
//! The table (or `--json`) on stdout, `--junit FILE` beside it; exit 3 when a
//! rule fails the check, else the inputs' own code (0 complete, 1 partial,
//! 2 nothing read).

use super::args::CheckArgs;
use super::config::{filter_of, Run};
use super::destinations;
use super::outcome::{code, ignore_broken_pipe, CHECK_FAILED};
use super::runs;
use anyhow::Result;
use sipsleuth::report::export::out_dir::write_atomic;
use sipsleuth::report::verdict::check_table;
use sipsleuth::summary::Completeness;
use sipsleuth::verdict::{junit, slo};
use std::io::Write;
use std::process::ExitCode;

pub fn run(run: &Run, a: CheckArgs) -> Result<ExitCode> {
    let rules = slo::load(&a.slo)?;
    if let Some(path) = &a.junit {
        destinations::out_file("--junit", path)?;
    }
    let filter = filter_of(&a.filter)?;
    let judged = runs::load(run, &a.inputs, filter)?;
    let completeness = judged.completeness(run.quiet);
    if completeness == Completeness::Nothing {
        return Ok(ExitCode::from(code(completeness)));
    }
    let outcomes = slo::evaluate(&rules, &judged.snapshot);
    let slo_name = a.slo.display().to_string();
    if let Some(path) = &a.junit {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i64);
        let stamp = sipsleuth::report::time::utc(now)[..19].to_string();
        let xml = junit::render(&slo_name, &outcomes, &stamp);
        write_atomic(path, |f| f.write_all(xml.as_bytes()))?;
    }
    let failed = outcomes.iter().any(|o| o.fails_check);
    let mut out = std::io::stdout().lock();
    let r = if a.json {
        let j = serde_json::json!({
            "slo": slo_name,
            "passed": !failed,
            "inputs": judged.snapshot.inputs,
            "rules": outcomes,
        });
        serde_json::to_writer_pretty(&mut out, &j)
            .map_err(std::io::Error::from)
            .and_then(|_| writeln!(out))
    } else {
        write!(out, "{}", check_table(&slo_name, &outcomes))
    };
    ignore_broken_pipe(r)?;
    Ok(ExitCode::from(if failed {
        CHECK_FAILED
    } else {
        code(completeness)
    }))
}
