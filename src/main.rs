//! The command-line edge: parse the flags, run the subcommand (`cli`), say an
//! error once on stderr; the exit code is `cli::outcome`'s (README: 0 complete,
//! 1 partial, 2 nothing read or a usage error).

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run(cli::args::Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sipsleuth: error: {}", cli::outcome::plain(&e));
            ExitCode::from(2)
        }
    }
}
