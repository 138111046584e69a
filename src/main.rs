//! The command-line edge: parse flags, run, report problems on stderr, map the
//! outcome to an exit code (see `cli::EXIT_CODES`).

mod cli;
mod flow;
mod progress;
mod report_files;

use anyhow::{Context, Result};
use clap::Parser;
use cli::{Cli, Command};
use sipsleuth::capture::{expand_inputs, InputSpec};
use sipsleuth::filter::Filter;
use sipsleuth::pipeline::{run_timeline, InputReport, Limits, Progress};
use sipsleuth::report::{calls, json, messages, registrations, table};
use sipsleuth::summary::{summarize, Completeness, Options};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sipsleuth: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    if let Some(n) = cli.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(sipsleuth::pipeline::worker_threads(n))
            .build_global()
            .context("starting worker threads")?;
    }
    let mut limits = Limits::default();
    for spec in &cli.limit {
        if spec == "help" {
            for (name, what) in sipsleuth::pipeline::LIMIT_NAMES {
                println!("{name:<22} {what}");
            }
            return Ok(ExitCode::SUCCESS);
        }
        limits.set(spec)?;
    }
    match cli.command {
        Command::Analyze(a) => {
            let inputs = inputs_of(&a.inputs)?;
            check_stdin(&inputs)?;
            let keep_rows = a.out.is_some() || a.html.is_some();
            let options = Options {
                filter: filter_of(&a.filter)?,
                keep_rows,
                per_file: a.per_file,
            };
            let summary = progress::with_progress(&inputs, cli.quiet, |p| {
                summarize(&inputs, &limits, &options, p)
            });
            let reports: Vec<&InputReport> = summary.inputs.iter().map(|i| &i.report).collect();
            warn(&reports, cli.quiet);
            let summary_json = json::summary_json(&summary);
            if let Some(dir) = &a.out {
                let mut written =
                    sipsleuth::report::files::write_all(dir, &summary, &summary_json)?;
                written.extend(report_files::charts_and_html(
                    dir,
                    a.html.as_deref(),
                    &summary,
                )?);
                if !cli.quiet {
                    eprintln!(
                        "sipsleuth: wrote {} file(s) to {}",
                        written.len(),
                        dir.display()
                    );
                }
            } else if let Some(path) = &a.html {
                report_files::html_only(path, &summary)?;
            }
            if let Some(root) = &a.dataset {
                let written =
                    sipsleuth::report::dataset::write_dataset(root, a.site.as_deref(), &summary)?;
                if !cli.quiet {
                    eprintln!(
                        "sipsleuth: added {} file(s) to the dataset {}",
                        written.len(),
                        root.display()
                    );
                }
            }
            let mut out = std::io::stdout().lock();
            let r = if a.json {
                serde_json::to_writer_pretty(&mut out, &summary_json)
                    .map_err(std::io::Error::from)
                    .and_then(|_| writeln!(out))
            } else {
                write!(out, "{}", table::render(&summary))
            };
            ignore_broken_pipe(r)?;
            Ok(exit_code(summary.completeness()))
        }
        Command::Calls(a) => {
            let inputs = inputs_of(&a.inputs)?;
            check_stdin(&inputs)?;
            let options = Options {
                filter: filter_of(&a.filter)?,
                keep_rows: false,
                per_file: false,
            };
            let summary = progress::with_progress(&inputs, cli.quiet, |p| {
                summarize(&inputs, &limits, &options, p)
            });
            let reports: Vec<&InputReport> = summary.inputs.iter().map(|i| &i.report).collect();
            warn(&reports, cli.quiet);
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let r = if a.json {
                serde_json::to_writer_pretty(&mut out, &summary.calls)
                    .map_err(std::io::Error::from)
                    .and_then(|_| writeln!(out))
            } else if a.csv {
                calls::write_csv(&mut out, &summary.calls)
            } else {
                write!(out, "{}", calls::render_table(&summary.calls))
            };
            ignore_broken_pipe(r.and_then(|_| out.flush()))?;
            Ok(exit_code(summary.completeness()))
        }
        Command::Registrations(a) => {
            let inputs = inputs_of(&a.inputs)?;
            check_stdin(&inputs)?;
            let options = Options {
                filter: filter_of(&a.filter)?,
                keep_rows: false,
                per_file: false,
            };
            let summary = progress::with_progress(&inputs, cli.quiet, |p| {
                summarize(&inputs, &limits, &options, p)
            });
            let reports: Vec<&InputReport> = summary.inputs.iter().map(|i| &i.report).collect();
            warn(&reports, cli.quiet);
            let rows = &summary.registrations.attempts;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let r = if a.json {
                serde_json::to_writer_pretty(&mut out, rows)
                    .map_err(std::io::Error::from)
                    .and_then(|_| writeln!(out))
            } else if a.csv {
                registrations::write_csv(&mut out, rows)
            } else {
                write!(out, "{}", registrations::render_table(rows))
            };
            ignore_broken_pipe(r.and_then(|_| out.flush()))?;
            Ok(exit_code(summary.completeness()))
        }
        Command::Flow(f) => {
            let inputs = inputs_of(&f.inputs)?;
            check_stdin(&inputs)?;
            let (arrows, reports) = flow::collect(&inputs, &limits, &f.call_id);
            let refs: Vec<&InputReport> = reports.iter().collect();
            warn(&refs, cli.quiet);
            if arrows.is_empty() {
                anyhow::bail!(
                    "no SIP message with Call-ID {} in the input",
                    f.call_id.join(" or ")
                );
            }
            match &f.svg {
                Some(path) => {
                    let svg = sipsleuth::report::ladder::render_svg(
                        &arrows,
                        &format!("Call {}", f.call_id.join(", ")),
                    );
                    std::fs::write(path, svg)
                        .with_context(|| format!("writing {}", path.display()))?;
                }
                None => {
                    let width = f.width.or_else(terminal_width).unwrap_or(100);
                    ignore_broken_pipe(write!(
                        std::io::stdout().lock(),
                        "{}",
                        sipsleuth::report::ladder::render_text(&arrows, width)
                    ))?;
                }
            }
            let complete = reports.iter().all(|r| r.complete());
            Ok(exit_code(if complete {
                Completeness::Complete
            } else {
                Completeness::Partial
            }))
        }
        Command::Export(x) => {
            let inputs = expand_inputs(&x.inputs.inputs)?;
            let sel = progress::with_progress(&inputs, cli.quiet, |p| {
                sipsleuth::export::select(&inputs, &limits, &x.call_id, p)
            })?;
            let refs: Vec<&InputReport> = sel.reports.iter().collect();
            warn(&refs, cli.quiet);
            let records = sipsleuth::export::collect(&inputs, &sel)?;
            let mut format = None;
            sipsleuth::report::files::write_atomic(&x.output, |f| {
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
            if !cli.quiet {
                eprintln!(
                    "sipsleuth: wrote {} frame(s) carrying {} SIP message(s) with {} Call-ID(s) to {} ({})",
                    records.len(),
                    sel.message_count(),
                    sel.messages.len(),
                    x.output.display(),
                    format.map_or("?", |f| f.name()),
                );
            }
            let complete = sel.reports.iter().all(|r| r.complete());
            Ok(exit_code(if complete {
                Completeness::Complete
            } else {
                Completeness::Partial
            }))
        }
        Command::Explain(e) => {
            let page = sipsleuth::knowledge::codes::explain(e.code)?;
            ignore_broken_pipe(write!(std::io::stdout().lock(), "{page}"))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Messages(m) => {
            let inputs = inputs_of(&m.inputs)?;
            check_stdin(&inputs)?;
            let paths: Vec<String> = inputs.iter().map(InputSpec::display).collect();
            let filter = filter_of(&m.filter)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            if m.csv {
                ignore_broken_pipe(writeln!(out, "{}", messages::CSV_HEADER))?;
            }
            // The listing itself shows progress on stdout: no bar over it.
            let no_progress = Progress::default();
            // All inputs as one timeline, streamed in time order.
            let (reports, _) = run_timeline(&inputs, &limits, &no_progress, &mut |item| {
                let shown = match &item {
                    sipsleuth::reassembly::Item::Sip(msg) => filter.message(msg),
                    // Malformed records have no fields to filter on: listed only unfiltered.
                    _ => filter.is_empty(),
                };
                if !shown {
                    return;
                }
                if let Err(e) = messages::write_item(&mut out, &item, m.csv, &paths) {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        std::process::exit(0);
                    }
                    eprintln!("sipsleuth: error: writing output: {e}");
                    std::process::exit(2);
                }
            });
            ignore_broken_pipe(out.flush())?;
            let refs: Vec<&InputReport> = reports.iter().collect();
            warn(&refs, cli.quiet);
            let readable = reports.iter().any(|r| r.capture.is_some());
            let complete = reports.iter().all(|r| r.complete());
            Ok(exit_code(match (readable, complete) {
                (false, _) => Completeness::Nothing,
                (true, true) => Completeness::Complete,
                (true, false) => Completeness::Partial,
            }))
        }
    }
}

/// The inputs named on the command line and in --files-from, expanded.
fn inputs_of(i: &cli::Inputs) -> Result<Vec<InputSpec>> {
    let mut names = i.inputs.clone();
    if let Some(list) = &i.files_from {
        let text = if list.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).context("reading --files-from -")?
        } else {
            std::fs::read_to_string(list)
                .with_context(|| format!("reading --files-from {}", list.display()))?
        };
        if names.iter().any(|n| n == "-") && list.as_os_str() == "-" {
            anyhow::bail!("stdin (-) cannot be both a capture and the --files-from list");
        }
        names.extend(
            text.lines()
                .map(str::trim_end)
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
    }
    Ok(expand_inputs(&names)?)
}

/// The validated filter from the raw flags (a bad value is a usage error).
fn filter_of(f: &cli::FilterArgs) -> Result<Filter> {
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

/// The terminal's width, when stdout is one (COLUMNS as the shells set it).
fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    std::env::var("COLUMNS").ok()?.parse().ok()
}

fn check_stdin(inputs: &[InputSpec]) -> Result<()> {
    if inputs.iter().filter(|i| **i == InputSpec::Stdin).count() > 1 {
        anyhow::bail!("stdin (-) can be given only once");
    }
    Ok(())
}

/// Every problem with an input, on stderr, naming the file and the byte offset;
/// with several inputs, a last line counting them.
fn warn(reports: &[&InputReport], quiet: bool) {
    let (mut skipped, mut unreadable, mut damaged) = (0, 0, 0);
    for r in reports {
        if let Some(e) = &r.error {
            if r.skipped {
                skipped += 1;
                if !quiet {
                    eprintln!("sipsleuth: note: skipped {e}");
                }
            } else {
                unreadable += 1;
                eprintln!("sipsleuth: error: {e}");
            }
        } else if let Some(c) = &r.capture {
            if let Some(p) = &c.problem {
                damaged += 1;
                if !quiet {
                    eprintln!(
                        "sipsleuth: warning: {}: {p}; results cover the {} frame(s) before it",
                        r.path, c.frames
                    );
                }
            }
        }
    }
    if reports.len() > 1 && !quiet && skipped + unreadable + damaged > 0 {
        eprintln!(
            "sipsleuth: {} inputs: {} read completely, {damaged} damaged (read up to the damage), \
             {unreadable} unreadable, {skipped} skipped (not captures, or named twice)",
            reports.len(),
            reports.len() - skipped - unreadable - damaged
        );
    }
}

fn exit_code(c: Completeness) -> ExitCode {
    ExitCode::from(match c {
        Completeness::Complete => 0,
        Completeness::Partial => 1,
        Completeness::Nothing => 2,
    })
}

fn ignore_broken_pipe(r: std::io::Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing output"),
    }
}
