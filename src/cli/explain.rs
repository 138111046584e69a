//! `sipsleuth explain [CODE]`: what a SIP response code means in testing.

use super::args::ExplainArgs;
use super::outcome::ignore_broken_pipe;
use anyhow::Result;
use std::io::Write;
use std::process::ExitCode;

pub fn run(e: ExplainArgs) -> Result<ExitCode> {
    let page = sipsleuth::knowledge::codes::explain(e.code)?;
    ignore_broken_pipe(write!(std::io::stdout().lock(), "{page}"))?;
    Ok(ExitCode::SUCCESS)
}
