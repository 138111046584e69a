//! The command line: raw flags (`args`), and what each subcommand does with them.

pub mod args;
pub mod flow;
pub mod progress;
pub mod report_files;
