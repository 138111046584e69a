//! `sipsleuth show INPUT --call-id ID`: every message of a call, whole
//! (start line, headers, body), in time order, each under a line saying when,
//! from where to where and from which frame — like sngrep's message pane.
//! Control characters other than tab are shown as `�`, so a capture cannot
//! drive the terminal.

use super::args::ShowArgs;
use super::chosen::{collect_or_explain, Chosen};
use super::config::{inputs_of, Run};
use super::outcome::{finish, ignore_broken_pipe};
use anyhow::Result;
use sipsleuth::capture::InputSpec;
use sipsleuth::report::time::utc_ns;
use std::io::Write;
use std::process::ExitCode;

pub fn run(run: &Run, a: ShowArgs) -> Result<ExitCode> {
    let inputs = inputs_of(&a.inputs)?;
    let (chosen, reports) = collect_or_explain(&inputs, &run.limits, &a.call_id, run.quiet, None)?;
    let chosen = match chosen {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let refs: Vec<_> = reports.iter().collect();
    let paths: Vec<String> = inputs.iter().map(InputSpec::display).collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let r = chosen
        .iter()
        .try_for_each(|c| write_message(&mut out, c, &paths))
        .and_then(|_| out.flush());
    ignore_broken_pipe(r)?;
    Ok(finish(&refs, run.quiet))
}

fn write_message(out: &mut dyn Write, c: &Chosen, paths: &[String]) -> std::io::Result<()> {
    let m = &c.message;
    let file = paths
        .get(m.origin.file as usize)
        .map_or("?", String::as_str);
    writeln!(
        out,
        "── {} {} → {} {}{} · frame {} of {}",
        utc_ns(m.ts_ns),
        m.src,
        m.dst,
        m.transport.as_str(),
        if c.retransmission {
            " · retransmission"
        } else {
            ""
        },
        m.origin.frame,
        file
    )?;
    writeln!(out, "{}", printable(m.raw()))
}

/// The message as text: lines ended by LF, no control characters but tab.
fn printable(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_codes_in_a_message_cannot_reach_the_terminal() {
        assert_eq!(
            super::printable(b"SIP/2.0 200 OK\r\nX: \x1b[2Jhi\r\n\r\nv=0\r\n"),
            "SIP/2.0 200 OK\nX: \u{fffd}[2Jhi\n\nv=0\n"
        );
    }
}
