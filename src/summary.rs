//! A run over several inputs: each input decoded (inputs in parallel), its
//! items counted, and the per-input results kept in the order given.

use crate::accounting::FrameCounts;
use crate::analysis::traffic::TrafficCounts;
use crate::capture::InputSpec;
use crate::pipeline::{run_input, InputReport, Limits};
use rayon::prelude::*;

pub struct InputSummary {
    pub report: InputReport,
    pub traffic: TrafficCounts,
}

pub struct Summary {
    pub inputs: Vec<InputSummary>,
    pub frames: FrameCounts,
    pub traffic: TrafficCounts,
}

impl Summary {
    /// How the run ended, for the exit code: every input read completely, some
    /// results (damage or unreadable inputs beside readable ones), or nothing.
    pub fn completeness(&self) -> Completeness {
        let readable = self
            .inputs
            .iter()
            .filter(|i| i.report.capture.is_some())
            .count();
        if readable == 0 && !self.inputs.is_empty() && self.inputs.iter().all(|i| i.report.skipped)
        {
            return Completeness::Nothing;
        }
        if readable == 0 {
            Completeness::Nothing
        } else if self.inputs.iter().all(|i| i.report.complete()) {
            Completeness::Complete
        } else {
            Completeness::Partial
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completeness {
    Complete,
    Partial,
    Nothing,
}

pub fn summarize(inputs: &[InputSpec], limits: &Limits) -> Summary {
    let per: Vec<InputSummary> = inputs
        .par_iter()
        .enumerate()
        .map(|(i, spec)| {
            let mut traffic = TrafficCounts::default();
            let report = run_input(i as u32, spec, limits, &mut |item| traffic.add(&item));
            InputSummary { report, traffic }
        })
        .collect();
    let mut frames = FrameCounts::default();
    let mut traffic = TrafficCounts::default();
    for i in &per {
        frames.merge(&i.report.frames);
        traffic.merge(&i.traffic);
    }
    Summary {
        inputs: per,
        frames,
        traffic,
    }
}
