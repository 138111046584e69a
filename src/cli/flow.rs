//! `sipsleuth flow`: the ladder diagram of one call, all legs, in the terminal
//! or as SVG, with the start and stop of each RTP stream its SDP announced.

use super::args::FlowArgs;
use super::chosen::collect_or_explain;
use super::config::{inputs_of, ladder_width, Run};
use super::outcome::{finish, ignore_broken_pipe};
use anyhow::{Context, Result};
use sipsleuth::media::MediaTracker;
use sipsleuth::report::export::out_dir::write_atomic;
use sipsleuth::report::ladder::{self, Arrow};
use std::io::Write;
use std::process::ExitCode;

pub fn run(run: &Run, f: FlowArgs) -> Result<ExitCode> {
    if let Some(path) = &f.svg {
        super::destinations::out_file("--svg", path)?;
    }
    let inputs = inputs_of(&f.inputs)?;
    let mut media = MediaTracker::new(false);
    let (chosen, reports) = collect_or_explain(
        &inputs,
        &run.limits,
        &f.call_id,
        run.quiet,
        Some(&mut media),
    )?;
    let chosen = match chosen {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let refs: Vec<_> = reports.iter().collect();
    let mut arrows: Vec<Arrow> = chosen
        .iter()
        .map(|c| Arrow::from_message(&c.message, c.retransmission))
        .collect();
    // The streams of the Call-IDs drawn (prefixes resolved: the messages carry the whole ones).
    let call_ids: std::collections::BTreeSet<&[u8]> =
        chosen.iter().filter_map(|c| c.message.call_id()).collect();
    for row in sipsleuth::media::stream_rows(&media) {
        if row
            .call_id
            .as_deref()
            .is_some_and(|c| call_ids.contains(c.as_bytes()))
        {
            arrows.extend(Arrow::rtp(&row));
        }
    }
    // Stable: a message and a stream's first packet at the same instant keep the message first.
    arrows.sort_by_key(|a| a.ts_ns);
    match &f.svg {
        Some(path) => {
            let svg = ladder::render_svg(&arrows, &format!("Call {}", f.call_id.join(", ")));
            write_atomic(path, |f| f.write_all(svg.as_bytes()))
                .with_context(|| format!("writing {}", path.display()))?;
        }
        None => ignore_broken_pipe(write!(
            std::io::stdout().lock(),
            "{}",
            ladder::render_text(&arrows, ladder_width(&f))
        ))?,
    }
    Ok(finish(&refs, run.quiet))
}
