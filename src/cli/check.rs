//! `sipsleuth check INPUT... --slo FILE.toml`: the rules are read and checked
//! first (a bad file is a usage error, exit 2, before any capture is read),
//! then the run (captures, or a saved summary), then every rule is judged.
//! The table (or `--json`) on stdout, `--junit FILE` beside it; exit 3 when a
//! rule fails the check, else the inputs' own code (0 complete, 1 partial,
//! 2 nothing read). A findings rule with findings names their calls' frames
//! (a second pass over the captures, made only then).

use super::args::CheckArgs;
use super::config::{filter_of, Run};
use super::destinations;
use super::outcome::{code, ignore_broken_pipe, CHECK_FAILED};
use super::progress::with_progress;
use super::runs;
use anyhow::Result;
use sipsleuth::extract;
use sipsleuth::report::export::out_dir::write_atomic;
use sipsleuth::report::printable::printable;
use sipsleuth::report::verdict::check_table;
use sipsleuth::summary::Completeness;
use sipsleuth::verdict::{junit, slo};
use std::io::Write;
use std::process::ExitCode;

/// Frames named per findings rule, at most.
const MAX_FRAMES: usize = 12;

/// The capture frames of the calls behind findings rules, `FILE#FRAME`: one
/// more pass over the captures, made only when such a rule has findings (not
/// for a saved summary, nor stdin, which cannot be read twice).
fn name_frames(run: &Run, judged: &runs::Judged, outcomes: &mut [slo::Outcome]) {
    let Some(reports) = &judged.reports else {
        return;
    };
    let mut wanted: Vec<String> = outcomes.iter().flat_map(|o| o.call_ids.clone()).collect();
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        return;
    }
    let found = with_progress(&judged.inputs, run.quiet, |p| {
        extract::frames_of(&judged.inputs, &run.limits, &wanted, p)
    });
    let Ok(found) = found else {
        return;
    };
    let path = |file: u32| {
        printable(reports.get(file as usize).map_or("?", |r| r.path.as_str())).into_owned()
    };
    for o in outcomes.iter_mut() {
        let frames: Vec<(u32, u64)> = o
            .call_ids
            .iter()
            .filter_map(|c| found.get(c))
            .flatten()
            .take(MAX_FRAMES)
            .copied()
            .collect();
        // In the evidence, grouped by file: "frames of run.pcap: 411, 412".
        let mut by_file: std::collections::BTreeMap<u32, Vec<String>> = Default::default();
        for (file, frame) in &frames {
            by_file.entry(*file).or_default().push(frame.to_string());
        }
        for (file, list) in by_file {
            o.evidence
                .push_str(&format!("; frames of {}: {}", path(file), list.join(", ")));
        }
        o.frames = frames
            .iter()
            .map(|(file, frame)| format!("{}#{frame}", path(*file)))
            .collect();
    }
}

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
    let mut outcomes = slo::evaluate(&rules, &judged.snapshot);
    name_frames(run, &judged, &mut outcomes);
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
