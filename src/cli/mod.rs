//! The command line: raw flags (`args`), the validated run (`config`), one
//! module per subcommand, the shared "read → model → filter → summary" step
//! (`summarize`), and how a run ends (`outcome`: messages and exit codes).

pub mod analyze;
pub mod args;
pub mod check;
pub mod chosen;
pub mod config;
pub mod destinations;
pub mod diff;
pub mod explain;
pub mod export;
pub mod flow;
pub mod messages;
pub mod outcome;
pub mod progress;
pub mod report_files;
pub mod rows;
pub mod runs;
pub mod show;
pub mod summarize;

use anyhow::Result;
use args::{Cli, Command};
use clap::CommandFactory;
use std::process::ExitCode;

/// Runs the subcommand the flags name.
pub fn run(cli: Cli) -> Result<ExitCode> {
    if cli.limit.iter().any(|l| l == "help") {
        print!("{}", config::limits_help());
        return Ok(ExitCode::SUCCESS);
    }
    let run = config::Run::of(&cli)?;
    let Some(command) = cli.command else {
        Cli::command()
            .error(
                clap::error::ErrorKind::MissingSubcommand,
                "a subcommand is required (try --help)",
            )
            .exit()
    };
    match command {
        Command::Analyze(a) => analyze::run(&run, a),
        Command::Messages(m) => messages::run(&run, m),
        Command::Calls(a) => rows::calls(&run, a),
        Command::Registrations(a) => rows::registrations(&run, a),
        Command::Streams(a) => rows::streams(&run, a),
        Command::Explain(e) => explain::run(e),
        Command::Flow(f) => flow::run(&run, f),
        Command::Show(s) => show::run(&run, s),
        Command::Export(x) => export::run(&run, x),
        Command::Check(c) => check::run(&run, c),
        Command::Diff(d) => diff::run(&run, d),
    }
}
