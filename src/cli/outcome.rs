//! How a run ends, decided in one place: the problems with inputs said on
//! stderr (once each), "no capture found" when nothing could be read, and the
//! exit code of the README's table (0 complete, 1 partial, 2 nothing or a
//! usage error, 3 a `check` rule failed).

use anyhow::{Context, Result};
use sipsleuth::pipeline::InputReport;
use sipsleuth::report::printable::printable;
use sipsleuth::summary::Completeness;
use std::process::ExitCode;

/// `check`: a rule of the SLO failed (README's exit-code table).
pub const CHECK_FAILED: u8 = 3;

/// Says what went wrong with the inputs, then the exit code their reports give.
pub fn finish(reports: &[&InputReport], quiet: bool) -> ExitCode {
    exit_code(said(reports, quiet))
}

/// Says what went wrong with the inputs; how complete they were.
pub fn said(reports: &[&InputReport], quiet: bool) -> Completeness {
    let c = Completeness::of(reports.iter().copied());
    // One input and nothing read: one line, with its reason.
    if let (Completeness::Nothing, [r]) = (c, reports) {
        if let Some(why) = unreadable(r) {
            eprintln!("sipsleuth: error: no capture found: {why}");
            return c;
        }
    }
    warn(reports, quiet);
    if c == Completeness::Nothing {
        if reports.is_empty() {
            eprintln!(
                "sipsleuth: error: no capture found: the directories or patterns given hold no file"
            );
        } else {
            eprintln!("sipsleuth: error: no capture found in the input(s) given");
        }
    }
    c
}

pub fn exit_code(c: Completeness) -> ExitCode {
    ExitCode::from(code(c))
}

pub fn code(c: Completeness) -> u8 {
    match c {
        Completeness::Complete => 0,
        Completeness::Partial => 1,
        Completeness::Nothing => 2,
    }
}

/// An error and its causes on one line, each said once: a cause whose text the
/// message already holds (an I/O error quoted by its wrapper) is not repeated.
pub fn plain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    // Causes quote file names and capture bytes: made printable for stderr.
    for cause in e.chain() {
        let text = printable(&cause.to_string()).into_owned();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// A closed pipe (`| head`) is the reader's choice, not an error.
pub fn ignore_broken_pipe(r: std::io::Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing output"),
    }
}

/// Every problem with an input, on stderr, naming the file and the byte offset;
/// Why nothing of this input could be read, if so: its error, or a capture
/// cut inside its file header (or first record).
fn unreadable(r: &InputReport) -> Option<String> {
    if let Some(e) = r.error.as_ref().filter(|_| !r.skipped) {
        return Some(printable(e).into_owned());
    }
    let c = r.capture.as_ref()?;
    let p = c.problem.as_ref().filter(|_| c.frames == 0)?;
    Some(format!(
        "{}: {}; nothing in it could be read",
        printable(&r.path),
        printable(&p.to_string())
    ))
}

/// with several inputs, a last line counting them.
fn warn(reports: &[&InputReport], quiet: bool) {
    let (mut skipped, mut unread, mut damaged) = (0, 0, 0);
    for r in reports {
        if let Some(e) = &r.error {
            if r.skipped {
                skipped += 1;
                if !quiet {
                    eprintln!("sipsleuth: note: skipped {}", printable(&e.to_string()));
                }
            } else {
                unread += 1;
                eprintln!("sipsleuth: error: {}", printable(&e.to_string()));
            }
        } else if let Some(c) = &r.capture {
            if let (Some(why), 0) = (unreadable(r), c.frames) {
                // Cut inside its file header or first record: nothing read.
                unread += 1;
                eprintln!("sipsleuth: error: {why}");
            } else if let Some(p) = &c.problem {
                damaged += 1;
                if !quiet {
                    eprintln!(
                        "sipsleuth: warning: {}: {}; results cover the {} frame(s) before it",
                        printable(&r.path),
                        printable(&p.to_string()),
                        c.frames
                    );
                }
            }
        }
    }
    if reports.len() > 1 && !quiet && skipped + unread + damaged > 0 {
        eprintln!(
            "sipsleuth: {} inputs: {} read completely, {damaged} damaged (read up to the damage), \
             {unread} unreadable, {skipped} skipped (not captures, or named twice)",
            reports.len(),
            reports.len() - skipped - unread - damaged
        );
    }
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn an_io_error_quoted_by_its_wrapper_is_said_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("/nonexistent: {0}")]
        struct Wrapper(#[source] std::io::Error);
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let text = io.to_string();
        let e = anyhow::Error::from(Wrapper(io));
        assert_eq!(plain(&e), format!("/nonexistent: {text}"));
        let e = anyhow::anyhow!("inner").context("outer");
        assert_eq!(plain(&e), "outer: inner");
    }
}
