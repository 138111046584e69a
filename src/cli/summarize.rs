//! The step `analyze`, `calls` and `registrations` share: read the inputs as
//! one timeline, build the model, filter, summarise (`sipsleuth::summary`),
//! with a progress display on stderr.

use super::config::Run;
use super::progress::with_progress;
use sipsleuth::capture::InputSpec;
use sipsleuth::summary::{summarize, Options, Summary};

pub fn read_and_summarize(run: &Run, inputs: &[InputSpec], options: &Options) -> Summary {
    with_progress(inputs, run.quiet, |p| {
        summarize(inputs, &run.limits, options, p)
    })
}
