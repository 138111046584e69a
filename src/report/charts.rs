//! Charts: pictures of what the analyses found, as SVG and PNG — the PDD
//! histogram and CDF, call outcomes by category, final response codes over
//! time, load (calls and registrations started per second, concurrent calls,
//! the 503 onset marked) and registration failures by cause over time.
//!
//! Like every report module it computes no figures of its own: it bins and
//! draws the call records, registration attempts and findings it is given
//! (percentiles come from `analysis::stats`, so they match the tables). Its
//! only reading is when a call counts as in flight (`call_end`). A chart
//! without data is not drawn. Times run from the capture's first frame, in
//! seconds, or minutes beyond 10 minutes; bucketed charts use ~60 buckets.
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
}

impl ChartKind {
    pub const ALL: [ChartKind; 6] = [
        ChartKind::PddHistogram,
        ChartKind::PddCdf,
        ChartKind::Outcomes,
        ChartKind::FinalCodesOverTime,
        ChartKind::Load,
        ChartKind::RegistrationFailuresOverTime,
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
    /// The time axis: the capture's first and last frame, widened to every item drawn.
    start_ns: i64,
    end_ns: i64,
}

impl<'a> ChartData<'a> {
    fn from_summary(s: &'a Summary) -> Self {
        ChartData::new(
            &s.calls,
            &s.registrations.attempts,
            &s.findings,
            s.first_ns,
            s.last_ns,
        )
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
            .flat_map(|c| [Some(c.start_ns), c.final_ns, c.end_ns])
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

// ---------------------------------------------------------------------------
// Writing

fn write_all(dir: &Path, data: &ChartData<'_>) -> Result<Vec<PathBuf>, ChartError> {
    let charts: Vec<Chart> = ChartKind::ALL
        .iter()
        .filter_map(|&k| prepare(k, data))
        .collect();
    if charts.is_empty() {
        return Ok(Vec::new());
    }
    std::fs::create_dir_all(dir).map_err(|source| ChartError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    for chart in &charts {
        let name = chart.kind.name();
        let svg = dir.join(format!("{name}.svg"));
        write_file(&svg, render_svg(chart)?.as_bytes())?;
        written.push(svg);
        let png = dir.join(format!("{name}.png"));
        write_file(&png, &render_png(chart)?)?;
        written.push(png);
    }
    Ok(written)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ChartError> {
    std::fs::write(path, bytes).map_err(|source| ChartError::Io {
        path: path.to_path_buf(),
        source,
    })
}

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// The embedded font, for [`Raster`]; registered with plotters (which lays text out) on first use.
fn glyph_font() -> Option<&'static FontRef<'static>> {
    static FONT_REF: std::sync::OnceLock<Option<FontRef<'static>>> = std::sync::OnceLock::new();
    FONT_REF
        .get_or_init(|| {
            let f = FontRef::try_from_slice(FONT).ok()?;
            plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).ok()?;
            Some(f)
        })
        .as_ref()
}

fn ensure_font(chart: ChartKind) -> Result<(), ChartError> {
    glyph_font().map(|_| ()).ok_or_else(|| ChartError::Drawing {
        chart: chart.name(),
        message: "the embedded font does not load".into(),
    })
}

type RasterError = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

/// plotters' bitmap backend with text drawn here: plotters 0.3.7 puts each
/// glyph at the pen position without its side bearing, so letters huddle and
/// gaps open inside words ("REJ ECTED"). Layout (widths, anchors) stays plotters'.
struct Raster<'a>(BitMapBackend<'a>);

impl DrawingBackend for Raster<'_> {
    type ErrorType = RasterError;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.present()
    }
    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.draw_pixel(point, color)
    }
    fn draw_line<S: plotters_backend::BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.draw_line(from, to, style)
    }
    fn draw_rect<S: plotters_backend::BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: plotters_backend::BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.draw_path(path, style)
    }
    fn draw_circle<S: plotters_backend::BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: plotters_backend::BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.fill_polygon(vert, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        self.0.blit_bitmap(pos, size, src)
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<RasterError>> {
        let color = style.color();
        let Some(font) = glyph_font() else {
            return Ok(());
        };
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let ((x0, y0), (x1, y1)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (w, h) = (x1 - x0, y1 - y0);
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0,
            HPos::Right => -w,
            HPos::Center => -w / 2,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0,
            VPos::Center => -h / 2,
            VPos::Bottom => -h,
        };
        let size = style.size() as f32;
        let scaled = font.as_scaled(size);
        // Capitals centred in plotters' layout box.
        let cap = scaled
            .outline_glyph(scaled.scaled_glyph('H'))
            .map_or(size * 0.6, |o| o.px_bounds().height());
        let baseline = (h as f32 + cap) / 2.0;
        let transform = style.transform();
        let (bw, bh) = self.get_size();
        let mut pixels: Vec<(i32, i32, f32)> = Vec::new();
        let (mut pen, mut prev) = (0f32, None);
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(size, ab_glyph::point(pen, baseline));
            if let Some(o) = scaled.outline_glyph(glyph) {
                let b = o.px_bounds();
                o.draw(|gx, gy, cover| {
                    if cover > 0.0 {
                        pixels.push((
                            b.min.x as i32 + gx as i32,
                            b.min.y as i32 + gy as i32,
                            cover,
                        ));
                    }
                });
            }
            pen += scaled.h_advance(id);
            prev = Some(id);
        }
        for (x, y, cover) in pixels {
            let (x, y) = transform.transform(x + dx, y + dy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && y >= 0 && (x as u32) < bw && (y as u32) < bh {
                let c = BackendColor {
                    alpha: color.alpha * f64::from(cover.min(1.0)),
                    rgb: color.rgb,
                };
                self.0.draw_pixel((x, y), c)?;
            }
        }
        Ok(())
    }
}

fn drawing_error(chart: ChartKind, e: impl std::fmt::Display) -> ChartError {
    ChartError::Drawing {
        chart: chart.name(),
        message: e.to_string(),
    }
}

fn render_svg(chart: &Chart) -> Result<String, ChartError> {
    ensure_font(chart.kind)?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, chart).map_err(|e| drawing_error(chart.kind, e))?;
        root.present().map_err(|e| drawing_error(chart.kind, e))?;
    }
    Ok(out)
}

fn render_png(chart: &Chart) -> Result<Vec<u8>, ChartError> {
    ensure_font(chart.kind)?;
    let mut rgb = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root =
            Raster(BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT))).into_drawing_area();
        draw(&root, chart).map_err(|e| drawing_error(chart.kind, e))?;
        root.present().map_err(|e| drawing_error(chart.kind, e))?;
    }
    // Encoded here rather than by plotters, so that a failed write is an I/O error with its path.
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Default);
    let mut w = enc
        .write_header()
        .map_err(|e| drawing_error(chart.kind, e))?;
    w.write_image_data(&rgb)
        .map_err(|e| drawing_error(chart.kind, e))?;
    w.finish().map_err(|e| drawing_error(chart.kind, e))?;
    Ok(out)
}

// ---------------------------------------------------------------------------
// What each chart shows, computed before any drawing

struct Chart {
    kind: ChartKind,
    body: Body,
}

enum Body {
    Histogram(PddBins),
    Cdf(Cdf),
    Outcomes(Vec<(Category, u64)>),
    Stacked(Stacked),
    Load(Load),
}

/// PDD values in bins of equal width.
struct PddBins {
    /// Left edge of the first bin, and the bin width (ms).
    lo: f64,
    width: f64,
    counts: Vec<u64>,
    stats: Vec<String>,
    /// Values left out (a long tail beyond 3 × p99), and the largest.
    hidden: usize,
    hidden_max: f64,
}

struct Cdf {
    /// (PDD ms, cumulative share %) along the curve.
    points: Vec<(f64, f64)>,
    /// (label, PDD ms, share %) for p50, p90, p99.
    marks: Vec<(&'static str, f64, f64)>,
    x_range: (f64, f64),
    stats: Vec<String>,
}

/// Counts per time bucket, one series per key, stacked in series order.
struct Stacked {
    timeline: Timeline,
    y_desc: String,
    series: Vec<Series>,
    notes: Vec<String>,
}

struct Series {
    label: String,
    color: RGBColor,
    counts: Vec<u64>,
}

struct Load {
    timeline: Timeline,
    /// Mean starts per second in each bucket (None: no calls / no registrations at all).
    calls: Option<Vec<f64>>,
    registrations: Option<Vec<f64>>,
    /// Peak calls in flight in each bucket.
    concurrent: Option<Vec<u64>>,
    onsets: Vec<i64>,
    notes: Vec<String>,
}

fn prepare(kind: ChartKind, d: &ChartData<'_>) -> Option<Chart> {
    let body = match kind {
        ChartKind::PddHistogram => Body::Histogram(pdd_histogram(&pdds(d.calls))?),
        ChartKind::PddCdf => Body::Cdf(pdd_cdf(&pdds(d.calls))?),
        ChartKind::Outcomes => Body::Outcomes(outcomes(d.calls)?),
        ChartKind::FinalCodesOverTime => Body::Stacked(final_codes(d)?),
        ChartKind::Load => Body::Load(load(d)?),
        ChartKind::RegistrationFailuresOverTime => Body::Stacked(registration_failures(d)?),
    };
    Some(Chart { kind, body })
}

/// Every finite PDD, sorted.
fn pdds(calls: &[CallRecord]) -> Vec<f64> {
    let mut v: Vec<f64> = calls
        .iter()
        .filter_map(|c| c.pdd_ms)
        .filter(|p| p.is_finite())
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// Count, percentiles and maximum, as lines for the side panel.
fn pdd_stats(sorted: &[f64]) -> Vec<String> {
    let p = percentiles(sorted.iter().copied());
    let line = |name: &str, v: Option<f64>| format!("{name} = {}", ms_text(v.unwrap_or(0.0)));
    vec![
        format!("calls with a PDD: {}", sorted.len()),
        line("p50", p.p50),
        line("p90", p.p90),
        line("p99", p.p99),
        line("max", p.max),
    ]
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `x` (x > 0).
fn nice_ceil(x: f64) -> f64 {
    let x = if x.is_finite() && x > 0.0 { x } else { 1.0 };
    let mag = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|v| *v >= x * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag)
}

fn pdd_histogram(sorted: &[f64]) -> Option<PddBins> {
    let (&min, &max) = (sorted.first()?, sorted.last()?);
    let (hi, _) = tail_cut(sorted);
    let target_bins = (sorted.len() as f64).sqrt().ceil().clamp(5.0, 40.0);
    let width = if hi > min {
        nice_ceil((hi - min) / target_bins)
    } else {
        nice_ceil((min.abs() / 10.0).max(1.0))
    };
    let lo = (min / width).floor() * width;
    let bins = (((hi - lo) / width).floor() as usize + 1).min(1000);
    let mut counts = vec![0u64; bins];
    let mut hidden = 0;
    for &v in sorted {
        if v > hi {
            hidden += 1;
            continue;
        }
        let i = (((v - lo) / width).floor().max(0.0) as usize).min(bins - 1);
        counts[i] += 1;
    }
    let mut stats = pdd_stats(sorted);
    stats.push(format!("bin width = {}", ms_text(width)));
    Some(PddBins {
        lo,
        width,
        counts,
        stats,
        hidden,
        hidden_max: max,
    })
}

/// Where to end a PDD axis, and how many values lie beyond: a long tail (a
/// few calls far above p99) would squash the rest into one bar or one step, so
/// values above 3 × p99 are left out, and the chart says so.
fn tail_cut(sorted: &[f64]) -> (f64, usize) {
    let (Some(&min), Some(&max)) = (sorted.first(), sorted.last()) else {
        return (0.0, 0);
    };
    let p99 = percentiles(sorted.iter().copied()).p99.unwrap_or(max);
    let cut = 3.0 * p99;
    if max > cut && p99 > min {
        let kept = sorted.partition_point(|v| *v <= cut);
        (sorted[kept - 1], sorted.len() - kept)
    } else {
        (max, 0)
    }
}

/// Points drawn on a CDF at most; larger sets are sampled at evenly spaced ranks.
const CDF_POINTS: usize = 2000;

fn pdd_cdf(sorted: &[f64]) -> Option<Cdf> {
    let (&min, &max) = (sorted.first()?, sorted.last()?);
    let n = sorted.len();
    let share = |rank: usize| 100.0 * rank as f64 / n as f64;
    let mut points = Vec::new();
    if n <= CDF_POINTS / 2 {
        // An exact step function.
        points.push((sorted[0], 0.0));
        for (i, &v) in sorted.iter().enumerate() {
            points.push((v, share(i)));
            points.push((v, share(i + 1)));
        }
    } else {
        points.push((sorted[0], 0.0));
        for k in 1..=CDF_POINTS {
            let rank = (k * n).div_ceil(CDF_POINTS);
            points.push((sorted[rank - 1], share(rank)));
        }
    }
    let (hi, hidden) = tail_cut(sorted);
    if hidden > 0 {
        // Up to the edge of the chart, then off it.
        let kept = n - hidden;
        points.retain(|p| p.0 <= hi);
        points.push((hi, share(kept)));
    }
    let p = percentiles(sorted.iter().copied());
    let marks = [
        ("p50", p.p50, 50.0),
        ("p90", p.p90, 90.0),
        ("p99", p.p99, 99.0),
    ]
    .into_iter()
    .filter_map(|(name, v, s)| Some((name, v?, s)))
    .collect();
    let mut stats = pdd_stats(sorted);
    if hidden > 0 {
        stats.push(format!("{hidden} above 3 × p99 off the chart"));
        stats.push(format!("(up to {})", ms_text(max)));
    }
    Some(Cdf {
        points,
        marks,
        x_range: padded(min, hi),
        stats,
    })
}

/// A range with room on both sides and never empty (plotters cannot draw an empty range).
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = if hi > lo {
        let pad = (hi - lo) * 0.04;
        (lo - pad, hi + pad)
    } else {
        let pad = (lo.abs() * 0.1).max(1.0);
        (lo - pad, hi + pad)
    };
    // PDDs are not negative: do not start the axis below 0 for want of padding.
    (
        if lo < 0.0 && hi > 0.0 {
            lo.max(0.0)
        } else {
            lo
        },
        hi,
    )
}

fn outcomes(calls: &[CallRecord]) -> Option<Vec<(Category, u64)>> {
    if calls.is_empty() {
        return None;
    }
    Some(
        Category::ALL
            .iter()
            .map(|&k| (k, calls.iter().filter(|c| c.category == k).count() as u64))
            .collect(),
    )
}

/// Final codes shown on their own; the rest are summed as "other".
const TOP_CODES: usize = 8;

fn final_codes(d: &ChartData<'_>) -> Option<Stacked> {
    let timed: Vec<(u16, i64)> = d
        .calls
        .iter()
        .filter_map(|c| Some((c.final_code?, c.final_ns.unwrap_or(c.start_ns))))
        .collect();
    if timed.is_empty() {
        return None;
    }
    let mut totals: BTreeMap<u16, u64> = BTreeMap::new();
    for (code, _) in &timed {
        *totals.entry(*code).or_default() += 1;
    }
    let mut ranked: Vec<(u16, u64)> = totals.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    // "other" stands for two codes or more: a ninth code alone is shown as itself.
    let shown = if ranked.len() > TOP_CODES + 1 {
        TOP_CODES
    } else {
        ranked.len()
    };
    let mut top: Vec<u16> = ranked.iter().take(shown).map(|r| r.0).collect();
    top.sort_unstable();
    let other_codes = ranked.len() - shown;
    let tl = Timeline::new(d.start_ns, d.end_ns);
    let mut series: Vec<Series> = top
        .iter()
        .enumerate()
        .map(|(i, &code)| Series {
            label: format!("{code} {}", reason_phrase(code).unwrap_or(""))
                .trim_end()
                .to_string(),
            color: code_color(code, i),
            counts: vec![0; tl.buckets],
        })
        .collect();
    if other_codes > 0 {
        series.push(Series {
            label: format!("{other_codes} other codes"),
            color: GREY_OTHER,
            counts: vec![0; tl.buckets],
        });
    }
    for (code, t) in timed {
        let s = top.iter().position(|c| *c == code).unwrap_or(top.len());
        series[s].counts[tl.bucket(t)] += 1;
    }
    for s in &mut series {
        let n: u64 = s.counts.iter().sum();
        s.label = format!("{} ({n})", s.label);
    }
    Some(Stacked {
        y_desc: format!("calls per {}", tl.bucket_text()),
        notes: vec![
            "each call counted once,".into(),
            "when its final response".into(),
            "reached the caller".into(),
        ],
        timeline: tl,
        series,
    })
}

fn registration_failures(d: &ChartData<'_>) -> Option<Stacked> {
    let failed: Vec<(FailureCause, i64)> = d
        .attempts
        .iter()
        .filter(|a| a.outcome == RegOutcome::Failed)
        .map(|a| {
            (
                a.cause.unwrap_or(FailureCause::Other),
                a.final_ts_ns.unwrap_or(a.first_ts_ns),
            )
        })
        .collect();
    if failed.is_empty() {
        return None;
    }
    let tl = Timeline::new(d.start_ns, d.end_ns);
    let mut by_cause: BTreeMap<FailureCause, Vec<u64>> = BTreeMap::new();
    for (cause, t) in failed {
        by_cause.entry(cause).or_insert_with(|| vec![0; tl.buckets])[tl.bucket(t)] += 1;
    }
    let series = by_cause
        .into_iter()
        .map(|(cause, counts)| Series {
            label: format!("{} ({})", cause.as_str(), counts.iter().sum::<u64>()),
            color: cause_color(cause),
            counts,
        })
        .collect();
    Some(Stacked {
        y_desc: format!("failed attempts per {}", tl.bucket_text()),
        notes: vec![
            "at the final response, or".into(),
            "the first REGISTER when".into(),
            "none came".into(),
        ],
        timeline: tl,
        series,
    })
}

fn load(d: &ChartData<'_>) -> Option<Load> {
    if d.calls.is_empty() && d.attempts.is_empty() {
        return None;
    }
    let tl = Timeline::new(d.start_ns, d.end_ns);
    let per_second = |times: &mut dyn Iterator<Item = i64>| {
        let mut v = vec![0f64; tl.buckets];
        for t in times {
            v[tl.bucket(t)] += 1.0;
        }
        let secs = tl.bucket_ns as f64 / 1e9;
        v.iter().map(|n| n / secs).collect::<Vec<f64>>()
    };
    let calls = (!d.calls.is_empty()).then(|| per_second(&mut d.calls.iter().map(|c| c.start_ns)));
    let registrations =
        (!d.attempts.is_empty()).then(|| per_second(&mut d.attempts.iter().map(|a| a.first_ts_ns)));
    let concurrent = (!d.calls.is_empty()).then(|| concurrency(d.calls, &tl, d.end_ns));
    let onsets = onsets(d.findings);
    let mut notes = Vec::new();
    if tl.bucket_ns > 1_000_000_000 {
        notes.push(format!("rates: mean over {}", tl.bucket_text()));
    }
    if concurrent.is_some() {
        notes.push("concurrent: peak per bucket".into());
    }
    Some(Load {
        timeline: tl,
        calls,
        registrations,
        concurrent,
        onsets,
        notes,
    })
}

/// When a call stops being in flight: at its final response, or for an
/// answered call at the end of its BYE; an answered call never hung up, or a
/// call with no final response yet, lasts to the end of the capture; one that
/// got none at all within Timer B stops there.
fn call_end(c: &CallRecord, capture_end_ns: i64) -> i64 {
    let answered = c.final_code.is_some_and(|f| (200..300).contains(&f));
    let end = if answered {
        c.end_ns.unwrap_or(capture_end_ns)
    } else if let Some(f) = c.final_ns {
        f
    } else if c.category == Category::NoAnswer {
        c.start_ns.saturating_add(TIMER_B_NS).min(capture_end_ns)
    } else {
        capture_end_ns
    };
    end.max(c.start_ns)
}

/// The peak number of calls in flight in each bucket.
fn concurrency(calls: &[CallRecord], tl: &Timeline, capture_end_ns: i64) -> Vec<u64> {
    let mut events: Vec<(i64, i64)> = calls
        .iter()
        .flat_map(|c| [(c.start_ns, 1), (call_end(c, capture_end_ns), -1)])
        .collect();
    events.sort_unstable();
    let mut out = vec![0u64; tl.buckets];
    let (mut level, mut j) = (0i64, 0usize);
    for (b, slot) in out.iter_mut().enumerate() {
        let bucket_end = if b + 1 == tl.buckets {
            i64::MAX
        } else {
            tl.start_ns + (b as i64 + 1) * tl.bucket_ns
        };
        // Changes at the bucket's first instant come before its peak.
        let bucket_start = tl.start_ns + b as i64 * tl.bucket_ns;
        while j < events.len() && events[j].0 <= bucket_start {
            level += events[j].1;
            j += 1;
        }
        let mut peak = level;
        while j < events.len() && events[j].0 < bucket_end {
            // Every change at one instant first, then the level: a call that ends as another starts is not two.
            let t = events[j].0;
            while j < events.len() && events[j].0 == t {
                level += events[j].1;
                j += 1;
            }
            peak = peak.max(level);
        }
        *slot = peak.max(0) as u64;
    }
    out
}

// ---------------------------------------------------------------------------
// Time axis

/// Bucket sizes (seconds) to pick from: the smallest giving at most ~60 buckets.
const BUCKETS_S: [i64; 18] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
];
const TARGET_BUCKETS: i64 = 60;

/// Time since the capture start, in seconds, or minutes beyond 10 minutes.
#[derive(Clone, Copy, Debug)]
struct Timeline {
    start_ns: i64,
    bucket_ns: i64,
    buckets: usize,
    minutes: bool,
}

impl Timeline {
    fn new(start_ns: i64, end_ns: i64) -> Self {
        let span = end_ns.saturating_sub(start_ns).max(0);
        let wanted_s = span as f64 / 1e9 / TARGET_BUCKETS as f64;
        let bucket_s = BUCKETS_S
            .iter()
            .copied()
            .find(|&b| b as f64 >= wanted_s)
            .unwrap_or_else(|| (wanted_s / 86400.0).ceil() as i64 * 86400);
        let bucket_ns = bucket_s.saturating_mul(1_000_000_000);
        // The last frame opens a bucket of its own only if it falls exactly on an edge; keep it in the last one.
        let buckets = (span / bucket_ns + i64::from(span % bucket_ns != 0)).max(1) as usize;
        Timeline {
            start_ns,
            bucket_ns,
            buckets,
            minutes: span > 600 * 1_000_000_000,
        }
    }

    fn unit_ns(&self) -> f64 {
        if self.minutes {
            60e9
        } else {
            1e9
        }
    }

    fn x(&self, t_ns: i64) -> f64 {
        t_ns.saturating_sub(self.start_ns) as f64 / self.unit_ns()
    }

    fn bucket(&self, t_ns: i64) -> usize {
        let i = t_ns.saturating_sub(self.start_ns).max(0) / self.bucket_ns;
        (i as usize).min(self.buckets - 1)
    }

    /// Left and right edge of bucket `i` on the axis.
    fn edges(&self, i: usize) -> (f64, f64) {
        let w = self.bucket_ns as f64 / self.unit_ns();
        (i as f64 * w, (i + 1) as f64 * w)
    }

    fn x_max(&self) -> f64 {
        self.edges(self.buckets - 1).1
    }

    fn x_desc(&self) -> &'static str {
        if self.minutes {
            "time since capture start (min)"
        } else {
            "time since capture start (s)"
        }
    }

    fn bucket_text(&self) -> String {
        let s = self.bucket_ns / 1_000_000_000;
        match s {
            _ if s % 3600 == 0 => format!("{} h", s / 3600),
            _ if s % 60 == 0 => format!("{} min", s / 60),
            1 => "second".into(),
            _ => format!("{s} s"),
        }
    }
}

// ---------------------------------------------------------------------------
// Colours (fixed, so that a code or a cause looks the same in every report)

const BLUE: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const GREEN: RGBColor = RGBColor(44, 160, 44);
const RED: RGBColor = RGBColor(214, 39, 40);
const LIGHT_GREEN: RGBColor = RGBColor(200, 232, 200);
const GREY_OTHER: RGBColor = RGBColor(160, 160, 160);
const TEXT_GREY: RGBColor = RGBColor(80, 80, 80);

fn category_color(c: Category) -> RGBColor {
    match c {
        Category::Success => GREEN,
        Category::Timeout => RGBColor(255, 127, 14),
        Category::Rejected => RGBColor(240, 100, 80),
        Category::Cancelled => RGBColor(150, 150, 190),
        Category::Error => RED,
        Category::Redirected => BLUE,
        Category::NoAnswer => RGBColor(150, 20, 30),
        Category::Incomplete => RGBColor(190, 190, 190),
    }
}

fn code_color(code: u16, rank: usize) -> RGBColor {
    const SPARE: [RGBColor; 8] = [
        RGBColor(219, 219, 141),
        RGBColor(57, 59, 121),
        RGBColor(247, 182, 210),
        RGBColor(140, 162, 82),
        RGBColor(189, 158, 57),
        RGBColor(132, 60, 57),
        RGBColor(123, 65, 115),
        RGBColor(82, 84, 163),
    ];
    match code {
        200 => GREEN,
        201..=299 => RGBColor(152, 223, 138),
        300..=399 => BLUE,
        401 => RGBColor(174, 199, 232),
        407 => RGBColor(158, 218, 229),
        403 => RGBColor(148, 103, 189),
        404 => RGBColor(197, 176, 213),
        408 => RGBColor(255, 187, 120),
        480 => ORANGE,
        486 => RGBColor(140, 86, 75),
        487 => RGBColor(196, 156, 148),
        500 => RGBColor(227, 119, 194),
        502 => RGBColor(188, 189, 34),
        503 => RED,
        504 => RGBColor(255, 152, 150),
        603 => RGBColor(23, 190, 207),
        _ => SPARE[rank % SPARE.len()],
    }
}

fn cause_color(c: FailureCause) -> RGBColor {
    match c {
        FailureCause::AuthRejected => BLUE,
        FailureCause::ChallengeUnanswered => RGBColor(174, 199, 232),
        FailureCause::Forbidden => RGBColor(148, 103, 189),
        FailureCause::NotFound => RGBColor(197, 176, 213),
        FailureCause::Timeout => RGBColor(255, 187, 120),
        FailureCause::IntervalTooBrief => RGBColor(188, 189, 34),
        FailureCause::ServerError => RGBColor(227, 119, 194),
        FailureCause::ServiceUnavailable => RED,
        FailureCause::NoResponse => RGBColor(90, 90, 90),
        FailureCause::NoFinalResponse => RGBColor(170, 170, 170),
        FailureCause::Other => RGBColor(23, 190, 207),
    }
}

// ---------------------------------------------------------------------------
// Drawing

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

// Text sizes as plotters counts them (an em is about 0.8 of it).
const TITLE_PX: u32 = 32;
const DESC_PX: u32 = 22;
const LABEL_PX: u32 = 19;
const LEGEND_PX: u32 = 18;
/// Width of the legend panel on the right.
const PANEL_PX: u32 = 320;

fn font(px: u32) -> TextStyle<'static> {
    TextStyle::from((FAMILY, px).into_font()).color(&BLACK)
}

/// Axis tick values without trailing zeros ("2.5", "10", "0.25").
fn num_text(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

fn ms_text(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0} ms")
    } else {
        format!("{} ms", num_text((v * 10.0).round() / 10.0))
    }
}

/// The top of a count axis, with headroom.
fn count_top(max: u64) -> u64 {
    (max + max / 10 + 1).max(1)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let area = root
        .margin(10, 0, 0, 0)
        .titled(chart.kind.title(), font(TITLE_PX))?;
    match &chart.body {
        Body::Histogram(h) => draw_histogram(&area, h),
        Body::Cdf(c) => draw_cdf(&area, c),
        Body::Outcomes(o) => draw_outcomes(&area, o),
        Body::Stacked(s) => draw_stacked(&area, s),
        Body::Load(l) => draw_load(&area, l),
    }
}

enum Mark {
    Box,
    Line,
    Dashed,
}

struct LegendEntry {
    label: String,
    color: RGBColor,
    mark: Mark,
}

/// The panel on the right: legend entries, then notes in grey.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    notes: &[String],
) -> DrawResult<DB> {
    let row = LEGEND_PX as i32 + 12;
    let mut y = 30;
    let text = font(LEGEND_PX).pos(Pos::new(HPos::Left, VPos::Center));
    for e in entries {
        match e.mark {
            Mark::Box => area.draw(&Rectangle::new(
                [(10, y - 8), (28, y + 8)],
                e.color.filled(),
            ))?,
            Mark::Line => area.draw(&PathElement::new(
                vec![(6, y), (32, y)],
                e.color.stroke_width(3),
            ))?,
            Mark::Dashed => {
                for x in [6, 17, 28] {
                    area.draw(&PathElement::new(
                        vec![(x, y), (x + 6, y)],
                        e.color.stroke_width(3),
                    ))?;
                }
            }
        }
        let label = fit(area, &e.label, &text, PANEL_PX as i32 - 50)?;
        area.draw(&Text::new(label, (40, y), text.clone()))?;
        y += row;
    }
    y += row / 2;
    let grey = font(LEGEND_PX - 1)
        .color(&TEXT_GREY)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for n in notes {
        let note = fit(area, n, &grey, PANEL_PX as i32 - 20)?;
        area.draw(&Text::new(note, (10, y), grey.clone()))?;
        y += row - 4;
    }
    Ok(())
}

/// `text`, shortened with "…" until it is at most `max_px` wide.
fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'_>,
    max_px: i32,
) -> Result<String, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chars: Vec<char> = text.chars().collect();
    let mut out = text.to_string();
    while !chars.is_empty() && area.estimate_text_size(&out, style)?.0 as i32 > max_px {
        chars.pop();
        out = chars.iter().collect::<String>().trim_end().to_string() + "…";
    }
    Ok(out)
}

fn split_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    area.split_horizontally((WIDTH - PANEL_PX) as i32)
}

fn draw_histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    h: &PddBins,
) -> DrawResult<DB> {
    let (plot, panel) = split_panel(area);
    let x_hi = h.lo + h.width * h.counts.len() as f64;
    let top = count_top(h.counts.iter().copied().max().unwrap_or(0));
    let mut chart = ChartBuilder::on(&plot)
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(h.lo..x_hi, 0u64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc("PDD (ms)")
        .y_desc("calls")
        .axis_desc_style(font(DESC_PX))
        .label_style(font(LABEL_PX))
        .x_label_formatter(&|v| num_text(*v))
        .draw()?;
    chart.draw_series(
        h.counts
            .iter()
            .enumerate()
            .filter(|c| *c.1 > 0)
            .map(|(i, &n)| {
                let x0 = h.lo + h.width * i as f64;
                let gap = h.width * 0.04;
                Rectangle::new([(x0 + gap, 0), (x0 + h.width - gap, n)], BLUE.filled())
            }),
    )?;
    let mut notes = h.stats.clone();
    if h.hidden > 0 {
        notes.push(format!("{} above 3 × p99 not shown", h.hidden));
        notes.push(format!("(up to {})", ms_text(h.hidden_max)));
    }
    notes.push(String::new());
    notes.push("PDD: INVITE to the first".into());
    notes.push("180/183 (RFC 6076)".into());
    draw_panel(&panel, &[], &notes)
}

fn draw_cdf<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, c: &Cdf) -> DrawResult<DB> {
    let (plot, panel) = split_panel(area);
    let (lo, hi) = c.x_range;
    let mut chart = ChartBuilder::on(&plot)
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(lo..hi, 0f64..100f64)?;
    chart
        .configure_mesh()
        .x_desc("PDD (ms)")
        .y_desc("calls with PDD at or below x (%)")
        .axis_desc_style(font(DESC_PX))
        .label_style(font(LABEL_PX))
        .x_label_formatter(&|v| num_text(*v))
        .y_label_formatter(&|v| num_text(*v))
        .draw()?;
    chart.draw_series(LineSeries::new(
        c.points.iter().copied(),
        BLUE.stroke_width(2),
    ))?;
    for &(name, v, share) in &c.marks {
        chart.draw_series(DashedLineSeries::new(
            [(v, 0.0), (v, share)],
            6,
            4,
            RED.stroke_width(1),
        ))?;
        // Where the rising curve leaves room: below on its right, else above on its left.
        let near_right_edge = v > lo + (hi - lo) * 0.7;
        let (dx, dy, anchor) = if near_right_edge {
            (-10, -4, Pos::new(HPos::Right, VPos::Bottom))
        } else {
            (10, 4, Pos::new(HPos::Left, VPos::Top))
        };
        let label = font(LABEL_PX).pos(anchor);
        chart.draw_series(std::iter::once(
            EmptyElement::at((v, share))
                + Circle::new((0, 0), 5, RED.filled())
                + Text::new(format!("{name} = {}", ms_text(v)), (dx, dy), label),
        ))?;
    }
    let entries = [
        LegendEntry {
            label: "share of calls".into(),
            color: BLUE,
            mark: Mark::Line,
        },
        LegendEntry {
            label: "p50, p90, p99".into(),
            color: RED,
            mark: Mark::Dashed,
        },
    ];
    draw_panel(&panel, &entries, &c.stats)
}

fn draw_outcomes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    o: &[(Category, u64)],
) -> DrawResult<DB> {
    let total: u64 = o.iter().map(|c| c.1).sum();
    let top = count_top(o.iter().map(|c| c.1).max().unwrap_or(0));
    // Category i is centred on x = i. Not plotters' segmented coordinates:
    // they always add a last, empty segment after the categories.
    let n = o.len();
    let mut chart = ChartBuilder::on(area)
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0u64..top)?;
    let name = |v: &f64| {
        let i = v.round();
        if (v - i).abs() > 1e-6 || i < 0.0 {
            return String::new();
        }
        o.get(i as usize)
            .map_or(String::new(), |c| c.0.name().to_string())
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(format!("outcome category ({total} calls)"))
        .y_desc("calls")
        .axis_desc_style(font(DESC_PX))
        .label_style(font(LABEL_PX))
        .x_labels(n)
        .x_label_formatter(&name)
        .draw()?;
    // Rectangles, not plotters' Histogram: that one sums its bars in a HashMap and draws them in random order.
    chart.draw_series(o.iter().enumerate().map(|(i, c)| {
        let x = i as f64;
        let mut bar = Rectangle::new([(x - 0.5, 0), (x + 0.5, c.1)], category_color(c.0).filled());
        bar.set_margin(0, 0, 18, 18);
        bar
    }))?;
    let label = font(LABEL_PX).pos(Pos::new(HPos::Center, VPos::Bottom));
    chart.draw_series(o.iter().enumerate().map(|(i, c)| {
        let pct = if total > 0 {
            100.0 * c.1 as f64 / total as f64
        } else {
            0.0
        };
        EmptyElement::at((i as f64, c.1))
            + Text::new(format!("{} ({pct:.1} %)", c.1), (0, -6), label.clone())
    }))?;
    Ok(())
}

fn draw_stacked<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, s: &Stacked) -> DrawResult<DB> {
    let (plot, panel) = split_panel(area);
    let tl = &s.timeline;
    let totals: Vec<u64> = (0..tl.buckets)
        .map(|b| s.series.iter().map(|x| x.counts[b]).sum())
        .collect();
    let top = count_top(totals.iter().copied().max().unwrap_or(0));
    let mut chart = ChartBuilder::on(&plot)
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..tl.x_max(), 0u64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(tl.x_desc())
        .y_desc(s.y_desc.clone())
        .axis_desc_style(font(DESC_PX))
        .label_style(font(LABEL_PX))
        .x_label_formatter(&|v| num_text(*v))
        .draw()?;
    let mut base = vec![0u64; tl.buckets];
    for series in &s.series {
        chart.draw_series(series.counts.iter().enumerate().filter(|c| *c.1 > 0).map(
            |(b, &n)| {
                let (x0, x1) = tl.edges(b);
                let gap = (x1 - x0) * 0.06;
                let y0 = base[b];
                Rectangle::new([(x0 + gap, y0), (x1 - gap, y0 + n)], series.color.filled())
            },
        ))?;
        for (b, n) in series.counts.iter().enumerate() {
            base[b] += n;
        }
    }
    // Top of the stack first, as it reads in the chart.
    let entries: Vec<LegendEntry> = s
        .series
        .iter()
        .rev()
        .map(|x| LegendEntry {
            label: x.label.clone(),
            color: x.color,
            mark: Mark::Box,
        })
        .collect();
    let mut notes = vec![format!("bucket: {}", tl.bucket_text())];
    notes.extend(s.notes.iter().cloned());
    draw_panel(&panel, &entries, &notes)
}

fn draw_load<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, l: &Load) -> DrawResult<DB> {
    let (plot, panel) = split_panel(area);
    let tl = &l.timeline;
    let rate_max = l
        .calls
        .iter()
        .chain(l.registrations.iter())
        .flatten()
        .copied()
        .fold(0f64, f64::max);
    let rate_top = if rate_max > 0.0 { rate_max * 1.1 } else { 1.0 };
    let conc_top = count_top(l.concurrent.iter().flatten().copied().max().unwrap_or(0));
    let y_desc = if tl.bucket_ns > 1_000_000_000 {
        format!("started per second (mean over {})", tl.bucket_text())
    } else {
        "started per second".to_string()
    };
    let mut chart = ChartBuilder::on(&plot)
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .right_y_label_area_size(if l.concurrent.is_some() { 80 } else { 0 })
        .build_cartesian_2d(0f64..tl.x_max(), 0f64..rate_top)?
        .set_secondary_coord(0f64..tl.x_max(), 0u64..conc_top);
    chart
        .configure_mesh()
        .x_desc(tl.x_desc())
        .y_desc(y_desc)
        .axis_desc_style(font(DESC_PX))
        .label_style(font(LABEL_PX))
        .x_label_formatter(&|v| num_text(*v))
        .y_label_formatter(&|v| num_text(*v))
        .draw()?;
    if l.concurrent.is_some() {
        chart
            .configure_secondary_axes()
            .y_desc("concurrent calls")
            .axis_desc_style(font(DESC_PX))
            .label_style(font(LABEL_PX))
            .draw()?;
    }
    // Rates as steps: flat across each bucket.
    let steps = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .flat_map(|(b, &r)| {
                let (x0, x1) = tl.edges(b);
                [(x0, r), (x1, r)]
            })
            .collect()
    };
    let mut entries = Vec::new();
    if let Some(c) = &l.concurrent {
        let pts: Vec<(f64, u64)> = c
            .iter()
            .enumerate()
            .flat_map(|(b, &n)| {
                let (x0, x1) = tl.edges(b);
                [(x0, n), (x1, n)]
            })
            .collect();
        let mut shape = pts.clone();
        shape.push((tl.x_max(), 0));
        shape.push((0.0, 0));
        chart.draw_secondary_series(std::iter::once(Polygon::new(shape, LIGHT_GREEN.filled())))?;
        chart.draw_secondary_series(LineSeries::new(pts, GREEN.stroke_width(1)))?;
        entries.push(LegendEntry {
            label: "concurrent calls (right axis)".into(),
            color: LIGHT_GREEN,
            mark: Mark::Box,
        });
    }
    if let Some(r) = &l.registrations {
        chart.draw_series(LineSeries::new(steps(r), ORANGE.stroke_width(2)))?;
        entries.push(LegendEntry {
            label: "registrations started/s".into(),
            color: ORANGE,
            mark: Mark::Line,
        });
    }
    if let Some(c) = &l.calls {
        chart.draw_series(LineSeries::new(steps(c), BLUE.stroke_width(2)))?;
        entries.push(LegendEntry {
            label: "calls started/s".into(),
            color: BLUE,
            mark: Mark::Line,
        });
    }
    let label = font(LABEL_PX)
        .color(&RED)
        .pos(Pos::new(HPos::Left, VPos::Top));
    for &t in &l.onsets {
        let x = tl.x(t);
        chart.draw_series(DashedLineSeries::new(
            [(x, 0.0), (x, rate_top)],
            8,
            5,
            RED.stroke_width(2),
        ))?;
        let unit = if tl.minutes { "min" } else { "s" };
        chart.draw_series(std::iter::once(
            EmptyElement::at((x, rate_top))
                + Text::new(
                    format!("503 onset ({} {unit})", num_text((x * 10.0).round() / 10.0)),
                    (6, 6),
                    label.clone(),
                ),
        ))?;
    }
    if !l.onsets.is_empty() {
        entries.push(LegendEntry {
            label: "503 onset".into(),
            color: RED,
            mark: Mark::Dashed,
        });
    }
    draw_panel(&panel, &entries, &l.notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::{Evidence, Severity};
    use crate::sip::Transport;

    const S: i64 = 1_000_000_000;
    const T0: i64 = 1_700_000_000 * S;

    fn call(i: usize, start: i64, code: Option<u16>, pdd_ms: Option<f64>) -> CallRecord {
        let addr = |s: &str| s.parse().unwrap();
        CallRecord {
            call_id: format!("call-{i}"),
            start_ns: start,
            caller: addr("10.1.0.1:5060"),
            first_hop: addr("10.0.0.1:5060"),
            destination: addr("10.2.0.1:5060"),
            transport: Transport::Udp,
            from_uri: "sip:a@x".into(),
            to_uri: "sip:b@x".into(),
            request_uri: "sip:b@x".into(),
            user_agent: "UA".into(),
            category: code.map_or(Category::Incomplete, |c| Category::of_final(c, c == 487)),
            final_code: code,
            final_ns: code.map(|_| start + S / 2),
            retry_after_s: None,
            final_reason: None,
            labels: vec![],
            pdd_ms,
            pdd_code: pdd_ms.map(|_| 180),
            srd_ms: None,
            answer_ms: None,
            ring_ms: None,
            duration_ms: None,
            disconnect_ms: None,
            end_ns: (code == Some(200)).then_some(start + 20 * S),
            hangup_by: None,
            bye_final_code: None,
            auth_challenges: 0,
            invite_transmissions: 1,
            invite_retransmissions: 0,
            reinvites: 0,
            early_dialogs: 0,
            legs: vec![],
            b2bua_call_ids: vec![],
            correlation_id: None,
            session_id: None,
        }
    }

    fn attempt(i: usize, ts: i64, cause: Option<FailureCause>) -> RegistrationAttempt {
        RegistrationAttempt {
            call_id: format!("reg-{i}"),
            aor: format!("sip:u{i}@x"),
            registrar: "10.0.0.1:5060".parse().unwrap(),
            client: "10.3.0.1:5060".parse().unwrap(),
            user_agent: None,
            first_ts_ns: ts,
            final_ts_ns: Some(ts + S / 10),
            outcome: if cause.is_some() {
                RegOutcome::Failed
            } else {
                RegOutcome::Registered
            },
            cause,
            final_code: None,
            retry_after_s: None,
            challenges: 0,
            requests: 1,
            retransmissions: 0,
            requested_expires: Some(3600),
            requested_expires_defaulted: false,
            granted_expires: None,
            is_deregistration: false,
            is_query: false,
            is_refresh: false,
            rrd_ms: None,
            min_expires: None,
            stale_challenges: 0,
            auth_mismatch: None,
            rejected_credentials: 0,
            final_reason: None,
            final_warning: None,
            last_request_ns: 0,
        }
    }

    fn onset(ts: i64) -> Finding {
        Finding {
            kind: Kind::Capacity503Onset,
            severity: Severity::Critical,
            summary: "503s from 10.0.0.1".into(),
            evidence: Evidence {
                first_ns: Some(ts),
                ..Default::default()
            },
            advice: vec![],
        }
    }

    /// Two minutes of traffic: calls succeed, then 503s take over at 80 s; registrations fail now and then.
    fn sample() -> (Vec<CallRecord>, Vec<RegistrationAttempt>, Vec<Finding>) {
        const CODES: [u16; 11] = [486, 487, 480, 404, 408, 603, 500, 302, 488, 481, 404];
        let calls = (0..400)
            .map(|i| {
                let start = T0 + i as i64 * S * 3 / 10;
                let code = if start >= T0 + 80 * S && i % 3 != 0 {
                    Some(503)
                } else if i % 7 == 0 {
                    Some(CODES[i / 7 % CODES.len()])
                } else if i % 50 == 1 {
                    None
                } else {
                    Some(200)
                };
                // 150–450 ms, and a long tail of two.
                let pdd = match i {
                    5 => Some(20_000.0),
                    6 => Some(15_000.0),
                    _ => Some(150.0 + ((i * 37) % 300) as f64),
                };
                call(i, start, code, pdd.filter(|_| code == Some(200)))
            })
            .collect();
        let causes = [
            FailureCause::AuthRejected,
            FailureCause::ServiceUnavailable,
            FailureCause::ChallengeUnanswered,
            FailureCause::NoResponse,
        ];
        let attempts = (0..240)
            .map(|i| {
                let cause = (i % 4 == 0).then(|| causes[i / 4 % causes.len()]);
                attempt(i, T0 + i as i64 * S / 2, cause)
            })
            .collect();
        (calls, attempts, vec![onset(T0 + 80 * S)])
    }

    fn temp_dir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("sipsleuth-charts-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    /// SIPSLEUTH_KEEP_CHARTS=DIR: copy the charts there, to look at them.
    fn keep_for_viewing(files: &[PathBuf], prefix: &str) {
        if let Ok(keep) = std::env::var("SIPSLEUTH_KEEP_CHARTS") {
            for f in files {
                let name = format!("{prefix}{}", f.file_name().unwrap().to_str().unwrap());
                std::fs::copy(f, Path::new(&keep).join(name)).unwrap();
            }
        }
    }

    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&bytes[12..16], b"IHDR");
        let be = |r: std::ops::Range<usize>| u32::from_be_bytes(bytes[r].try_into().unwrap());
        let header = (be(16..20), be(20..24));
        // And it decodes, to that size.
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut buf).unwrap();
        assert_eq!((frame.width, frame.height), header);
        header
    }

    #[test]
    fn every_chart_is_written_as_svg_and_png() {
        let (calls, attempts, findings) = sample();
        let d = ChartData::new(&calls, &attempts, &findings, Some(T0), Some(T0 + 150 * S));
        let dir = temp_dir("all");
        let written = write_all(&dir, &d).unwrap();
        let mut expected = Vec::new();
        for k in ChartKind::ALL {
            expected.push(dir.join(format!("{}.svg", k.name())));
            expected.push(dir.join(format!("{}.png", k.name())));
        }
        assert_eq!(written, expected);
        for k in ChartKind::ALL {
            let png = std::fs::read(dir.join(format!("{}.png", k.name()))).unwrap();
            assert_eq!(png_size(&png), (WIDTH, HEIGHT), "{}", k.name());
            let svg = std::fs::read_to_string(dir.join(format!("{}.svg", k.name()))).unwrap();
            assert!(svg.starts_with("<svg"), "{}", k.name());
            assert!(svg.contains(k.title()), "{}: title", k.name());
            let labels: &[&str] = match k {
                ChartKind::PddHistogram => &["PDD (ms)", "\ncalls\n", "p99 = "],
                ChartKind::PddCdf => &["PDD (ms)", "calls with PDD at or below x (%)", "p90 = "],
                ChartKind::Outcomes => &["outcome category (400 calls)", "SUCCESS", "NO_ANSWER"],
                ChartKind::FinalCodesOverTime => &[
                    "time since capture start (s)",
                    "calls per 5 s",
                    "503 Service Unavailable (",
                    " other codes (",
                ],
                ChartKind::Load => &[
                    "time since capture start (s)",
                    "started per second (mean over 5 s)",
                    "concurrent calls",
                    "503 onset (80 s)",
                ],
                ChartKind::RegistrationFailuresOverTime => &[
                    "time since capture start (s)",
                    "failed attempts per 5 s",
                    "AUTH_REJECTED (15)",
                ],
            };
            for l in labels {
                assert!(svg.contains(l), "{}: {l:?} missing", k.name());
            }
        }
        keep_for_viewing(&written, "");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn charts_of_a_real_capture() {
        // SIPp calls through kamailio (10 attempts, 9 final codes) and a registration capture, together.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let inputs = [
            crate::capture::InputSpec::Path(root.join("calls/calls-udp.pcap")),
            crate::capture::InputSpec::Path(root.join("registrations/registrations.pcap")),
        ];
        let s = crate::summary::summarize(
            &inputs,
            &Default::default(),
            &Default::default(),
            &Default::default(),
        );
        assert_eq!(s.calls.len(), 10);
        let dir = temp_dir("real");
        let written = write_charts(&dir, &s).unwrap();
        assert_eq!(written.len(), 2 * ChartKind::ALL.len());
        for f in &written {
            let bytes = std::fs::read(f).unwrap();
            if f.extension().unwrap() == "png" {
                assert_eq!(png_size(&bytes), (WIDTH, HEIGHT));
            }
        }
        let svg = chart_svg(ChartKind::Outcomes, &s).unwrap();
        assert_eq!(
            svg,
            std::fs::read_to_string(dir.join("outcomes.svg")).unwrap()
        );
        assert!(svg.contains("outcome category (10 calls)"));
        keep_for_viewing(&written, "real-");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn nothing_to_draw_writes_nothing() {
        for (start, end) in [(None, None), (Some(T0), Some(T0 + 60 * S))] {
            let d = ChartData::new(&[], &[], &[], start, end);
            assert!(ChartKind::ALL.iter().all(|&k| prepare(k, &d).is_none()));
            let dir = temp_dir("empty");
            assert_eq!(write_all(&dir, &d).unwrap(), Vec::<PathBuf>::new());
            assert!(!dir.exists());
        }
        // A finding alone draws nothing either.
        let f = [onset(T0)];
        let d = ChartData::new(&[], &[], &f, None, None);
        assert!(ChartKind::ALL.iter().all(|&k| prepare(k, &d).is_none()));
    }

    #[test]
    fn single_values_and_a_zero_length_capture_draw() {
        // One call, answered, one PDD; one failed registration; all at one instant.
        let calls = [call(0, T0, Some(200), Some(0.0))];
        let attempts = [attempt(0, T0, Some(FailureCause::Forbidden))];
        let findings = [onset(T0)];
        for (start, end) in [(None, None), (Some(T0), Some(T0))] {
            let d = ChartData::new(&calls, &attempts, &findings, start, end);
            for k in ChartKind::ALL {
                let c = prepare(k, &d).unwrap_or_else(|| panic!("{} has data", k.name()));
                assert!(render_svg(&c).unwrap().contains(k.title()));
                assert_eq!(png_size(&render_png(&c).unwrap()), (WIDTH, HEIGHT));
            }
        }
        // Calls without a final response or PDD: no PDD and no final-code chart, the rest drawn.
        let calls = [call(0, T0, None, None), call(1, T0 + S, None, None)];
        let d = ChartData::new(&calls, &[], &[], None, None);
        let kinds: Vec<_> = ChartKind::ALL
            .into_iter()
            .filter(|&k| prepare(k, &d).is_some())
            .collect();
        assert_eq!(kinds, [ChartKind::Outcomes, ChartKind::Load]);
        // Registrations only, none failed: the load chart alone.
        let attempts = [attempt(0, T0, None)];
        let d = ChartData::new(&[], &attempts, &[], None, None);
        let c = prepare(ChartKind::Load, &d).unwrap();
        let svg = render_svg(&c).unwrap();
        assert!(svg.contains("registrations started/s"), "{svg}");
        assert!(!svg.contains("concurrent calls (right axis)"), "{svg}");
        assert!(prepare(ChartKind::RegistrationFailuresOverTime, &d).is_none());
    }

    #[test]
    fn output_is_deterministic() {
        let (calls, attempts, findings) = sample();
        let d = ChartData::new(&calls, &attempts, &findings, None, None);
        for k in ChartKind::ALL {
            let c = prepare(k, &d).unwrap();
            assert_eq!(render_svg(&c).unwrap(), render_svg(&c).unwrap());
            assert_eq!(render_png(&c).unwrap(), render_png(&c).unwrap());
        }
    }

    #[test]
    fn timeline_has_about_sixty_buckets_in_seconds_or_minutes() {
        let t = Timeline::new(T0, T0 + 120 * S);
        assert_eq!((t.bucket_ns, t.buckets, t.minutes), (2 * S, 60, false));
        assert_eq!((t.bucket(T0), t.bucket(T0 + 120 * S)), (0, 59));
        assert_eq!(t.bucket_text(), "2 s");
        let t = Timeline::new(T0, T0);
        assert_eq!((t.bucket_ns, t.buckets, t.x_max()), (S, 1, 1.0));
        assert_eq!(t.bucket_text(), "second");
        let t = Timeline::new(T0, T0 + 3600 * S);
        assert_eq!((t.bucket_ns, t.buckets, t.minutes), (60 * S, 60, true));
        assert_eq!(
            (t.x(T0 + 90 * S), t.x_desc()),
            (1.5, "time since capture start (min)")
        );
        assert_eq!(t.bucket_text(), "1 min");
        let t = Timeline::new(T0, T0 + 601 * S);
        assert_eq!((t.bucket_ns, t.buckets, t.minutes), (15 * S, 41, true));
        // Three days: buckets of two hours.
        let t = Timeline::new(T0, T0 + 3 * 86400 * S);
        assert_eq!((t.bucket_text(), t.buckets), ("2 h".to_string(), 36));
    }

    #[test]
    fn concurrency_follows_calls_in_flight() {
        let mut answered = call(0, T0, Some(200), None); // until its BYE at +20 s
        answered.end_ns = Some(T0 + 20 * S);
        let never_hung_up = {
            let mut c = call(1, T0 + 5 * S, Some(200), None);
            c.end_ns = None; // to the end of the capture
            c
        };
        let busy = call(2, T0 + 10 * S, Some(486), None); // half a second
        let mut no_answer = call(3, T0 + 30 * S, None, None);
        no_answer.category = Category::NoAnswer; // Timer B: 32 s
        let calls = [answered, never_hung_up, busy, no_answer];
        let t = Timeline::new(T0, T0 + 100 * S); // 2 s buckets
        let c = concurrency(&calls, &t, T0 + 100 * S);
        assert_eq!((c[0], c[2], c[5], c[9], c[10], c[11]), (1, 2, 3, 2, 1, 1));
        assert_eq!((c[15], c[30], c[31], c[49]), (2, 2, 1, 1));
        // A call that ends when another starts is not counted twice.
        let a = {
            let mut a = call(0, T0, Some(486), None);
            a.final_ns = Some(T0 + S);
            a
        };
        let b = call(1, T0 + S, Some(486), None);
        assert_eq!(concurrency(&[a, b], &t, T0 + 100 * S)[0], 1);
    }

    #[test]
    fn final_codes_keep_the_top_eight_and_sum_the_rest() {
        let codes = [
            200, 200, 200, 486, 486, 503, 404, 408, 480, 487, 603, 500, 302,
        ];
        let calls: Vec<_> = codes
            .iter()
            .enumerate()
            .map(|(i, &c)| call(i, T0 + i as i64 * S, Some(c), None))
            .collect();
        let d = ChartData::new(&calls, &[], &[], None, None);
        let s = final_codes(&d).unwrap();
        let labels: Vec<&str> = s.series.iter().map(|x| x.label.as_str()).collect();
        // 200 and 486 lead, then the lowest codes among the singles; 503 and 603 are "other".
        assert_eq!(
            labels,
            [
                "200 OK (3)",
                "302 Moved Temporarily (1)",
                "404 Not Found (1)",
                "408 Request Timeout (1)",
                "480 Temporarily Unavailable (1)",
                "486 Busy Here (2)",
                "487 Request Terminated (1)",
                "500 Server Internal Error (1)",
                "2 other codes (2)",
            ]
        );
        let total: u64 = s.series.iter().flat_map(|x| x.counts.iter()).sum();
        assert_eq!(total, codes.len() as u64);
        // A ninth code alone is itself, not "1 other codes".
        let calls = &calls[..calls.len() - 1];
        let d = ChartData::new(calls, &[], &[], None, None);
        let s = final_codes(&d).unwrap();
        assert_eq!(s.series.len(), 9);
        assert_eq!(s.series[8].label, "603 Decline (1)");
    }

    #[test]
    fn pdd_histogram_cuts_a_long_tail_and_says_so() {
        let mut v: Vec<f64> = (0..1000).map(|i| 100.0 + (i % 200) as f64).collect();
        v.extend([30_000.0, 31_000.0]);
        v.sort_by(|a, b| a.total_cmp(b));
        let h = pdd_histogram(&v).unwrap();
        assert_eq!((h.hidden, h.hidden_max), (2, 31_000.0));
        assert_eq!((h.lo, h.width, h.counts.len()), (100.0, 10.0, 20));
        assert_eq!(h.counts.iter().sum::<u64>(), 1000);
        // One value: one bin around it.
        let h = pdd_histogram(&[250.0]).unwrap();
        assert_eq!((h.lo, h.width, h.counts.clone()), (250.0, 50.0, vec![1]));
        assert!(pdd_histogram(&[]).is_none() && pdd_cdf(&[]).is_none());
        // The CDF stops at the same place, short of 100 %, and marks nearest-rank percentiles.
        let c = pdd_cdf(&v).unwrap();
        assert_eq!(c.points.last().copied(), Some((299.0, 100_000.0 / 1002.0)));
        assert!(c.points.iter().all(|p| p.0 <= 299.0));
        assert!(c.stats.iter().any(|l| l == "2 above 3 × p99 off the chart"));
        assert!(c.x_range.1 < 310.0);
        let p50 = c.marks.iter().find(|m| m.0 == "p50").unwrap();
        assert_eq!((p50.1, p50.2), (200.0, 50.0));
        // Without a tail: every value, up to 100 %.
        let c = pdd_cdf(&v[..1000]).unwrap();
        assert_eq!(c.points.last().copied(), Some((299.0, 100.0)));
        assert_eq!(c.points.len(), 2001);
    }
}
