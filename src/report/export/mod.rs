//! Writing the tables out: the `--out` directory and the `--dataset`.

#[cfg(feature = "reports")]
pub mod dataset;
#[cfg(feature = "reports")]
pub mod out_dir;
