//! The validated run, built from the raw flags: inputs expanded, filter parsed,
//! limits set, threads started, colours decided. A bad value is a usage error
//! (exit 2) before anything is read.

use super::args::{self, Cli, ColorArg, FilterArgs, Inputs};
use anyhow::{bail, Context, Result};
use sipsleuth::capture::{expand_inputs, InputSpec};
use sipsleuth::filter::Filter;
use sipsleuth::pipeline::{Limits, LIMIT_NAMES};
use sipsleuth::report::terminal::{self, ColorChoice};

/// What every subcommand shares.
pub struct Run {
    pub limits: Limits,
    pub quiet: bool,
}

impl Run {
    pub fn of(cli: &Cli) -> Result<Run> {
        // Named, so that a profile splits by stage (`perf report --sort comm`); 0 is
        // rayon's default, one per core.
        rayon::ThreadPoolBuilder::new()
            .num_threads(cli.threads.map_or(0, sipsleuth::pipeline::worker_threads))
            .thread_name(|i| format!("decode-{i}"))
            .build_global()
            .context("starting worker threads")?;
        terminal::set_color(match cli.color {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Never => ColorChoice::Never,
            ColorArg::Always => ColorChoice::Always,
        });
        let mut limits = Limits::default();
        for spec in cli.limit.iter().filter(|s| *s != "help") {
            limits.set(spec)?;
        }
        Ok(Run {
            limits,
            quiet: cli.quiet,
        })
    }
}

/// `--limit help`: the names, their defaults and what they bound.
pub fn limits_help() -> String {
    let d = Limits::default();
    let mut out = format!("{:<22} {:>12}  what it bounds\n", "NAME", "DEFAULT");
    for (name, what) in LIMIT_NAMES {
        let default = d.get(name).map_or("-".into(), |v| v.to_string());
        out.push_str(&format!("{name:<22} {default:>12}  {what}\n"));
    }
    out.push_str("\nChange one with --limit NAME=VALUE before or after the subcommand.\n");
    out
}

/// The inputs named on the command line and in --files-from, expanded.
pub fn inputs_of(i: &Inputs) -> Result<Vec<InputSpec>> {
    let mut names = i.inputs.clone();
    if let Some(list) = &i.files_from {
        if names.iter().any(|n| n == "-") && list.as_os_str() == "-" {
            bail!("stdin (-) cannot be both a capture and the --files-from list");
        }
        let text = if list.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).context("reading --files-from -")?
        } else {
            std::fs::read_to_string(list)
                .with_context(|| format!("reading --files-from {}", list.display()))?
        };
        names.extend(
            text.lines()
                .map(str::trim_end)
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
    }
    let inputs = expand_inputs(&names)?;
    if inputs.iter().filter(|i| **i == InputSpec::Stdin).count() > 1 {
        bail!("stdin (-) can be given only once");
    }
    Ok(inputs)
}

/// The validated filter from the raw flags.
pub fn filter_of(f: &FilterArgs) -> Result<Filter> {
    Ok(Filter::new(
        &f.call_id,
        &f.user,
        &f.ip,
        f.from.as_deref(),
        f.to.as_deref(),
        &f.method,
        &f.code,
    )?)
}

/// The width to draw a ladder at: the flag, else the terminal's, else 100.
pub fn ladder_width(f: &args::FlowArgs) -> usize {
    f.width.or_else(terminal::width).unwrap_or(100)
}
