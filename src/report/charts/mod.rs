//! Charts: pictures of what the analyses found, as SVG and PNG — the PDD
//! histogram and CDF, call outcomes by category, final response codes over
//! time, load (calls and registrations started per second, concurrent calls,
//! the 503 onset marked), registration failures by cause over time, and the
//! RTP streams' loss against jitter (one dot per stream, coloured by MOS).
//!
//! Like every report module it computes no figures of its own: it bins and
//! draws the call records, registration attempts and findings it is given
//! (percentiles come from `analysis::stats`, so they match the tables). Its
//! only reading is when a call counts as in flight (`call_end`). A chart
//! without data is not drawn. Times run from the capture's first frame, in
//! seconds, minutes, hours or days as the span needs; bucketed charts use ~60 buckets.
//!
//! Drawing is plotters with its pure-Rust backends. DejaVu Sans
//! (assets/, with its licence) is embedded and registered as "sans-serif" on
//! first use, so no system font library is needed at build or run time; PNG
//! text is rasterised here (`Raster`) to work around plotters' glyph
//! placement. The same input gives byte-identical files.

use crate::analysis::stats::percentiles;
use crate::diagnosis::{Finding, Kind};
use crate::model::call::{CallRecord, Category, TIMER_B_NS};
use crate::model::registration::{FailureCause, RegOutcome, RegistrationAttempt};
use crate::sip::codes::reason_phrase;
use crate::summary::Summary;
use ab_glyph::{Font, FontRef, ScaleFont};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendTextStyle, DrawingErrorKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Picture size in pixels (the SVG's nominal size too).
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 700;

/// Every chart this module draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChartKind {
    PddHistogram,
    PddCdf,
    Outcomes,
    FinalCodesOverTime,
    Load,
    RegistrationFailuresOverTime,
    StreamQuality,
}

impl ChartKind {
    pub const ALL: [ChartKind; 7] = [
        ChartKind::PddHistogram,
        ChartKind::PddCdf,
        ChartKind::Outcomes,
        ChartKind::FinalCodesOverTime,
        ChartKind::Load,
        ChartKind::RegistrationFailuresOverTime,
        ChartKind::StreamQuality,
    ];

    /// The file name without extension.
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::PddHistogram => "pdd_histogram",
            ChartKind::PddCdf => "pdd_cdf",
            ChartKind::Outcomes => "outcomes",
            ChartKind::FinalCodesOverTime => "final_codes_over_time",
            ChartKind::Load => "load",
            ChartKind::RegistrationFailuresOverTime => "registration_failures_over_time",
            ChartKind::StreamQuality => "rtp_loss_jitter",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ChartKind::PddHistogram => "Post-dial delay (PDD) distribution",
            ChartKind::PddCdf => "Post-dial delay (PDD), cumulative",
            ChartKind::Outcomes => "Call outcomes by category",
            ChartKind::FinalCodesOverTime => "Final response codes over time",
            ChartKind::Load => "Load: calls and registrations started, concurrent calls",
            ChartKind::RegistrationFailuresOverTime => "Registration failures by cause over time",
            ChartKind::StreamQuality => "RTP streams: packet loss and jitter",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot draw the {chart} chart: {message}")]
    Drawing {
        chart: &'static str,
        message: String,
    },
}

/// Creates `dir` and writes every chart that has data into it as NAME.svg and
/// NAME.png; returns the files written, in [`ChartKind::ALL`] order.
pub fn write_charts(dir: &Path, s: &Summary) -> Result<Vec<PathBuf>, ChartError> {
    write_all(dir, &ChartData::from_summary(s))
}

/// One chart as an SVG document (for embedding in an HTML report); `None` when
/// the summary has no data for it.
pub fn chart_svg(kind: ChartKind, s: &Summary) -> Option<String> {
    let chart = prepare(kind, &ChartData::from_summary(s))?;
    render_svg(&chart).ok()
}

// ---------------------------------------------------------------------------
// Input

/// What the charts are drawn from.
struct ChartData<'a> {
    calls: &'a [CallRecord],
    attempts: &'a [RegistrationAttempt],
    findings: &'a [Finding],
    /// RTP streams (none unless set: `from_summary` sets them).
    streams: &'a [crate::media::StreamRow],
    /// The time axis: the capture's first and last frame, widened to every item drawn.
    start_ns: i64,
    end_ns: i64,
}

impl<'a> ChartData<'a> {
    fn from_summary(s: &'a Summary) -> Self {
        ChartData {
            streams: &s.streams,
            ..ChartData::new(
                &s.calls,
                &s.registrations.attempts,
                &s.findings,
                s.first_ns,
                s.last_ns,
            )
        }
    }

    fn new(
        calls: &'a [CallRecord],
        attempts: &'a [RegistrationAttempt],
        findings: &'a [Finding],
        capture_start_ns: Option<i64>,
        capture_end_ns: Option<i64>,
    ) -> Self {
        let times = calls
            .iter()
            .flat_map(|c| [Some(c.start_ns), c.final_ns.get(), c.end_ns.get()])
            .chain(
                attempts
                    .iter()
                    .flat_map(|a| [Some(a.first_ts_ns), a.final_ts_ns]),
            )
            .chain(onsets(findings).into_iter().map(Some))
            .flatten();
        let (mut lo, mut hi) = (capture_start_ns, capture_end_ns);
        for t in times {
            lo = Some(lo.map_or(t, |l| l.min(t)));
            hi = Some(hi.map_or(t, |h| h.max(t)));
        }
        let start_ns = lo.or(hi).unwrap_or(0);
        let end_ns = hi.unwrap_or(start_ns).max(start_ns);
        ChartData {
            calls,
            attempts,
            findings,
            streams: &[],
            start_ns,
            end_ns,
        }
    }
}

/// Onset times of CAPACITY_503_ONSET findings, sorted, without repeats.
fn onsets(findings: &[Finding]) -> Vec<i64> {
    let mut v: Vec<i64> = findings
        .iter()
        .filter(|f| f.kind == Kind::Capacity503Onset)
        .filter_map(|f| f.evidence.first_ns)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

mod colours;
mod draw;
mod prepare;
mod timeline;
mod write;

// Named, not globbed: plotters' prelude has its own BLUE, RED and GREEN.
use colours::{
    category_color, cause_color, code_color, BLUE, GREEN, GREY_OTHER, LIGHT_GREEN, ORANGE, RED,
    TEXT_GREY,
};
use draw::*;
use prepare::*;
use timeline::*;
use write::*;

#[cfg(test)]
pub(crate) mod tests;
