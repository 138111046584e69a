//! `sipsleuth export`: the frames of chosen calls into a new capture
//! (`sipsleuth::extract` finds and copies them, `report::pcap_out` writes).

use super::args::ExportArgs;
use super::config::{inputs_of, Run};
use super::outcome::finish;
use super::progress::with_progress;
use anyhow::{Context, Result};
use sipsleuth::extract::ExportError;
use sipsleuth::report::export::out_dir::write_atomic;
use sipsleuth::summary::Completeness;
use std::io::Write;
use std::process::ExitCode;

pub fn run(run: &Run, x: ExportArgs) -> Result<ExitCode> {
    super::destinations::out_file("--output", &x.output)?;
    let inputs = inputs_of(&x.inputs)?;
    let sel = match with_progress(&inputs, run.quiet, |p| {
        sipsleuth::extract::select(&inputs, &run.limits, &x.call_id, p)
    }) {
        // Why nothing matched comes first: an unreadable or damaged input.
        Err(ExportError::UnknownCallIds(ids, reports)) => {
            let refs: Vec<_> = reports.iter().collect();
            let code = finish(&refs, run.quiet);
            if Completeness::of(refs.iter().copied()) == Completeness::Nothing {
                return Ok(code);
            }
            return Err(ExportError::UnknownCallIds(ids, Vec::new()).into());
        }
        r => r?,
    };
    let records = sipsleuth::extract::collect(&inputs, &sel)?;
    let mut format = None;
    write_atomic(&x.output, |f| {
        let mut w = std::io::BufWriter::new(f);
        format = Some(sipsleuth::report::pcap_out::write(&mut w, &records)?);
        w.flush()
    })
    .with_context(|| format!("writing {}", x.output.display()))?;
    if sel.frames_omitted > 0 {
        eprintln!(
            "sipsleuth: warning: {} frame(s) of very long messages were not recorded and are missing from the output",
            sel.frames_omitted
        );
    }
    if !run.quiet {
        eprintln!(
            "sipsleuth: wrote {} frame(s) carrying {} SIP message(s) with {} Call-ID(s) to {} ({})",
            records.len(),
            sel.message_count(),
            sel.messages.len(),
            x.output.display(),
            format.map_or("?", |f| f.name()),
        );
    }
    let refs: Vec<_> = sel.reports.iter().collect();
    Ok(finish(&refs, run.quiet))
}
