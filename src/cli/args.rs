//! Command-line flags (clap), raw: only what the user typed, validated by clap.
//! Turning them into a run is `config`'s job.

use clap::{Args, Parser, Subcommand};

pub const EXIT_CODES: &str = "\
Exit codes:
  0  every input was read to its end
  1  partial: some input was damaged (truncated, corrupt) or unreadable; results cover the rest
  2  nothing could be read, or the command line (or the --slo file) was wrong
  3  check: a rule of the SLO failed (or had no data, and the file says that fails)";

#[derive(Parser, Debug)]
#[command(name = "sipsleuth", version, about = "Offline SIP trace analyzer: every SIP message out of any capture, fast", after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Worker threads (default: one per core; at most four per core).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
    /// No warnings on stderr (errors still go there).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Change a memory limit, e.g. --limit model.transactions=500000 (repeatable;
    /// `sipsleuth --limit help` lists the names and defaults).
    #[arg(long, global = true, value_name = "NAME=VALUE")]
    pub limit: Vec<String>,
    /// Bold table headers: auto (a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    pub color: ColorArg,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Summary tables: frames by bucket, SIP requests per method, responses per status code, transports.
    Analyze(AnalyzeArgs),
    /// One line per SIP message: time, source, destination, transport, start line, Call-ID.
    Messages(MessagesArgs),
    /// One row per call attempt: outcome, final response, PDD, answer time, duration, legs.
    Calls(RowsArgs),
    /// One row per registration attempt: outcome, failure cause, expires requested/granted, RRD.
    Registrations(RowsArgs),
    /// One row per RTP stream tied to a call by its SDP: packets, lost, max delta, jitter, MOS.
    Streams(RowsArgs),
    /// What a SIP response code means: class, meaning, causes in testing, next checks, how it counts.
    Explain(ExplainArgs),
    /// The ladder diagram of one call, all legs: one column per address, arrows with times.
    Flow(FlowArgs),
    /// Every message of one call, whole (start line, headers, body), in time order.
    Show(ShowArgs),
    /// The packets of chosen calls (all legs, every TCP segment and IP fragment) into a new capture.
    Export(ExportArgs),
    /// Judge a run against the rules of an SLO file: each rule's value, pass or fail, and why
    /// (exit 3 when a rule fails; --junit for CI).
    Check(CheckArgs),
    /// Two runs side by side (captures, or summaries saved by `analyze --out`): every metric,
    /// its change, and whether the change is significant.
    Diff(DiffArgs),
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// The rules (TOML; docs/verdict.md), e.g. testdata/loadruns/slo.toml.
    #[arg(long, value_name = "FILE.toml", required = true)]
    pub slo: std::path::PathBuf,
    /// Also write the outcome as JUnit XML (one testcase per rule), for CI test reports.
    #[arg(long, value_name = "FILE.xml")]
    pub junit: Option<std::path::PathBuf>,
    /// Print the outcome as one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The run to compare with: a capture, a directory or quoted glob of captures, or a
    /// summary.json saved by `analyze --out DIR` (or DIR itself).
    #[arg(value_name = "BASELINE")]
    pub baseline: String,
    /// The run to judge, given the same ways.
    #[arg(value_name = "CURRENT")]
    pub current: String,
    /// Print the comparison as one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// A call to export (repeat for several calls, or for the Call-IDs of several legs).
    #[arg(long = "call-id", value_name = "ID", required = true)]
    pub call_id: Vec<String>,
    /// The capture to write: nanosecond pcap, or pcapng when the frames have several link types.
    #[arg(long, short = 'o', value_name = "OUT.pcap")]
    pub output: std::path::PathBuf,
}

#[derive(Args, Debug)]
pub struct FlowArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// The call to draw: its Call-ID, or the start of one (repeat for the Call-IDs of
    /// several legs, e.g. behind a B2BUA).
    #[arg(long = "call-id", value_name = "ID", required = true)]
    pub call_id: Vec<String>,
    /// Write the diagram as SVG to this file instead of drawing it in the terminal.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<std::path::PathBuf>,
    /// Terminal width to fit (default: the terminal's, else 100).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// The call to show: its Call-ID, or the start of one (repeat for several legs).
    #[arg(long = "call-id", value_name = "ID", required = true)]
    pub call_id: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// A status code (100-699); without one, every code is listed.
    #[arg(value_name = "CODE")]
    pub code: Option<u16>,
}

#[derive(Args, Debug)]
pub struct Inputs {
    /// Capture files (pcap, pcapng, NetMon 2.x; plain, gzip or zstd), directories (walked),
    /// glob patterns (quoted, expanded here: 'archive/*.pcap.gz'), or - for stdin. All are read
    /// as one timeline, merged by time, whatever the order given.
    #[arg(required_unless_present = "files_from", value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Read more inputs from this file, one path per line (- for stdin), e.g. from `find`.
    #[arg(long, value_name = "FILE")]
    pub files_from: Option<std::path::PathBuf>,
}

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Print the summary as one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Also write summary.json and the calls, registrations, transactions, messages and findings
    /// tables as CSV and Parquet into this directory (docs/schema.md).
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
    /// Write the single-file HTML report here (with --out it is also DIR/report.html).
    #[arg(long, value_name = "FILE")]
    pub html: Option<std::path::PathBuf>,
    /// One summary row per input file (frames, SIP messages, calls, failures) in the tables,
    /// the JSON and the --out files (files.csv, files.parquet).
    #[arg(long)]
    pub per_file: bool,
    /// Add this run's calls, registrations, findings and files to a Parquet dataset under ROOT,
    /// hive-partitioned by date (ROOT/TABLE/[site=SITE/]date=YYYY-MM-DD/run-ID.parquet), so that
    /// many runs are queried together (docs/archives.md). Re-running the same inputs replaces
    /// their files.
    #[arg(long, value_name = "ROOT")]
    pub dataset: Option<std::path::PathBuf>,
    /// The site partition for --dataset (letters, digits, '-', '_', '.').
    #[arg(long, value_name = "SITE", requires = "dataset")]
    pub site: Option<String>,
    /// Compare with this run in the HTML report (a summary.json saved by `analyze --out`, or
    /// its directory): a section with `diff`'s tables. Needs --html or --out.
    #[arg(long, value_name = "SUMMARY")]
    pub baseline: Option<std::path::PathBuf>,
    /// Also follow RTP that no SDP announced (found by its header alone), as streams of no call.
    #[arg(long)]
    pub rtp_heuristic: bool,
}

#[derive(Args, Debug)]
pub struct MessagesArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// CSV with a header row instead of aligned lines.
    #[arg(long)]
    pub csv: bool,
}

#[derive(Args, Debug)]
pub struct RowsArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// CSV with a header row.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// A JSON array of rows.
    #[arg(long)]
    pub json: bool,
    /// Also follow RTP that no SDP announced (found by its header alone), as streams of no call.
    #[arg(long)]
    pub rtp_heuristic: bool,
}

/// Filters shared by analyze, calls, registrations and messages (all given must match).
#[derive(Args, Debug, Default)]
pub struct FilterArgs {
    /// Only this Call-ID (repeatable).
    #[arg(long = "call-id", value_name = "ID")]
    pub call_id: Vec<String>,
    /// Only this user part of From, To, the Request-URI or the AOR (repeatable).
    #[arg(long, value_name = "USER")]
    pub user: Vec<String>,
    /// Only traffic to or from this IP address (repeatable).
    #[arg(long, value_name = "IP")]
    pub ip: Vec<String>,
    /// From this time on (RFC 3339 such as 2024-03-01T12:00:00Z, or seconds since the epoch).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Up to this time.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Only this request method (responses by their CSeq method; repeatable).
    #[arg(long, value_name = "METHOD")]
    pub method: Vec<String>,
    /// Only this status code (final code for calls and registrations; repeatable).
    #[arg(long, value_name = "CODE")]
    pub code: Vec<u16>,
}
