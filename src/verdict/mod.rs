//! The load-test verdict (issue #13): what a run measured, kept as a
//! [`snapshot::Snapshot`] that `analyze --out` saves inside summary.json;
//! rules on it (`check --slo`, [`slo`]); two runs compared with tests of
//! significance ([`diff`], over [`significance`]); JUnit XML for CI ([`junit`]).
//!
//! Everything here works on snapshots only, so a saved summary and a capture
//! read now are judged the same way. Reading captures, the terminal tables
//! and exit codes are the command line's (`cli::check`, `cli::diff`).

pub mod diff;
pub mod junit;
pub mod metrics;
pub mod significance;
pub mod slo;
pub mod snapshot;
