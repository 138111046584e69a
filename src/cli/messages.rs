//! `sipsleuth messages`: one line per SIP message (or CSV), streamed in time
//! order across all inputs as they are read.

use super::args::MessagesArgs;
use super::config::{filter_of, inputs_of, Run};
use super::outcome::{finish, ignore_broken_pipe};
use anyhow::Result;
use sipsleuth::capture::InputSpec;
use sipsleuth::pipeline::{run_timeline, Progress};
use sipsleuth::reassembly::Item;
use sipsleuth::report::messages;
use std::io::Write;
use std::process::ExitCode;

pub fn run(run: &Run, m: MessagesArgs) -> Result<ExitCode> {
    let inputs = inputs_of(&m.inputs)?;
    let paths: Vec<String> = inputs.iter().map(InputSpec::display).collect();
    let filter = filter_of(&m.filter)?;
    // Not locked: the listing is written from the reading thread, one of rayon's
    // (`run_timeline`); the buffer takes the lock once per 64 KiB it writes.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
    if m.csv {
        ignore_broken_pipe(writeln!(out, "{}", messages::CSV_HEADER))?;
    }
    // The listing itself shows progress on stdout: no bar over it.
    let no_progress = Progress::default();
    let (reports, _) = run_timeline(&inputs, &run.limits, &no_progress, &mut |item| {
        let shown = match &item {
            Item::Sip(msg) => filter.message(msg),
            // Malformed records have no fields to filter on: listed only unfiltered.
            _ => filter.is_empty(),
        };
        if !shown {
            return;
        }
        if let Err(e) = messages::write_item(&mut out, &item, m.csv, &paths) {
            // Streaming: a closed pipe ends the run quietly, any other write error loudly.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            eprintln!("sipsleuth: error: writing output: {e}");
            std::process::exit(2);
        }
    });
    ignore_broken_pipe(out.flush())?;
    let refs: Vec<_> = reports.iter().collect();
    Ok(finish(&refs, run.quiet))
}
