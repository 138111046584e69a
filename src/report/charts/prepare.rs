//! What each chart shows, computed before any drawing: bins, CDF points,
//! stacked series, the load over time.

use super::*;

pub(super) struct Chart {
    pub(super) kind: ChartKind,
    pub(super) body: Body,
}

pub(super) enum Body {
    Histogram(PddBins),
    Cdf(Cdf),
    Outcomes(Vec<(Category, u64)>),
    Stacked(Stacked),
    Load(Load),
    Streams(StreamScatter),
}

/// One dot per RTP stream: largest jitter (x) against the share lost (y), coloured by MOS band.
pub(super) struct StreamScatter {
    /// (max jitter ms, loss %, band index into `bands`), worst stream last (drawn on top).
    pub(super) points: Vec<(f64, f64, usize)>,
    pub(super) x_top: f64,
    pub(super) y_top: f64,
    /// (label with its count, colour) per MOS band, best first.
    pub(super) bands: Vec<(String, RGBColor)>,
    pub(super) notes: Vec<String>,
}

/// PDD values in bins of equal width.
pub(super) struct PddBins {
    /// Left edge of the first bin, and the bin width (ms).
    pub(super) lo: f64,
    pub(super) width: f64,
    pub(super) counts: Vec<u64>,
    pub(super) stats: Vec<String>,
    /// Values left out (a long tail beyond 3 × p99), and the largest.
    pub(super) hidden: usize,
    pub(super) hidden_max: f64,
}

pub(super) struct Cdf {
    /// (PDD ms, cumulative share %) along the curve.
    pub(super) points: Vec<(f64, f64)>,
    /// (label, PDD ms, share %) for p50, p90, p99.
    pub(super) marks: Vec<(&'static str, f64, f64)>,
    pub(super) x_range: (f64, f64),
    pub(super) stats: Vec<String>,
}

/// Counts per time bucket, one series per key, stacked in series order.
pub(super) struct Stacked {
    pub(super) timeline: Timeline,
    pub(super) y_desc: String,
    pub(super) series: Vec<Series>,
    pub(super) notes: Vec<String>,
}

pub(super) struct Series {
    pub(super) label: String,
    pub(super) color: RGBColor,
    pub(super) counts: Vec<u64>,
}

pub(super) struct Load {
    pub(super) timeline: Timeline,
    /// Mean starts per second in each bucket (None: no calls / no registrations at all).
    pub(super) calls: Option<Vec<f64>>,
    pub(super) registrations: Option<Vec<f64>>,
    /// Peak calls in flight in each bucket.
    pub(super) concurrent: Option<Vec<u64>>,
    pub(super) onsets: Vec<i64>,
    pub(super) notes: Vec<String>,
}

pub(super) fn prepare(kind: ChartKind, d: &ChartData<'_>) -> Option<Chart> {
    let body = match kind {
        ChartKind::PddHistogram => Body::Histogram(pdd_histogram(&pdds(d.calls))?),
        ChartKind::PddCdf => Body::Cdf(pdd_cdf(&pdds(d.calls))?),
        ChartKind::Outcomes => Body::Outcomes(outcomes(d.calls)?),
        ChartKind::FinalCodesOverTime => Body::Stacked(final_codes(d)?),
        ChartKind::Load => Body::Load(load(d)?),
        ChartKind::RegistrationFailuresOverTime => Body::Stacked(registration_failures(d)?),
        ChartKind::StreamQuality => Body::Streams(stream_scatter(d.streams)?),
    };
    Some(Chart { kind, body })
}

/// Every finite PDD, sorted.
pub(super) fn pdds(calls: &[CallRecord]) -> Vec<f64> {
    let mut v: Vec<f64> = calls
        .iter()
        .filter_map(|c| c.pdd_ms.get())
        .filter(|p| p.is_finite())
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// Count, percentiles and maximum, as lines for the side panel.
pub(super) fn pdd_stats(sorted: &[f64]) -> Vec<String> {
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
pub(super) fn nice_ceil(x: f64) -> f64 {
    let x = if x.is_finite() && x > 0.0 { x } else { 1.0 };
    let mag = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|v| *v >= x * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag)
}

pub(super) fn pdd_histogram(sorted: &[f64]) -> Option<PddBins> {
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
pub(super) fn tail_cut(sorted: &[f64]) -> (f64, usize) {
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
pub(super) const CDF_POINTS: usize = 2000;

pub(super) fn pdd_cdf(sorted: &[f64]) -> Option<Cdf> {
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
pub(super) fn padded(lo: f64, hi: f64) -> (f64, f64) {
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

pub(super) fn outcomes(calls: &[CallRecord]) -> Option<Vec<(Category, u64)>> {
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
pub(super) const TOP_CODES: usize = 8;

pub(super) fn final_codes(d: &ChartData<'_>) -> Option<Stacked> {
    let timed: Vec<(u16, i64)> = d
        .calls
        .iter()
        .filter_map(|c| Some((c.final_code?, c.final_ns.get().unwrap_or(c.start_ns))))
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

pub(super) fn registration_failures(d: &ChartData<'_>) -> Option<Stacked> {
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

pub(super) fn load(d: &ChartData<'_>) -> Option<Load> {
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
pub(super) fn call_end(c: &CallRecord, capture_end_ns: i64) -> i64 {
    let answered = c.final_code.is_some_and(|f| (200..300).contains(&f));
    let end = if answered {
        c.end_ns.get().unwrap_or(capture_end_ns)
    } else if let Some(f) = c.final_ns.get() {
        f
    } else if c.category == Category::NoAnswer {
        c.start_ns.saturating_add(TIMER_B_NS).min(capture_end_ns)
    } else {
        capture_end_ns
    };
    end.max(c.start_ns)
}

/// The peak number of calls in flight in each bucket.
pub(super) fn concurrency(calls: &[CallRecord], tl: &Timeline, capture_end_ns: i64) -> Vec<u64> {
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

/// Streams drawn at most: the worst ones (a load test has hundreds of thousands; the
/// SVG would not open).
pub(super) const MAX_STREAM_POINTS: usize = 5000;

/// MOS bands (lower bound, name, colour), best first; the last holds streams without an estimate.
pub(super) const MOS_BANDS: [(f64, &str, RGBColor); 5] = [
    (4.0, "MOS ≥ 4.0", GREEN),
    (3.6, "MOS 3.6–4.0", RGBColor(188, 189, 34)),
    (3.1, "MOS 3.1–3.6", ORANGE),
    (f64::NEG_INFINITY, "MOS < 3.1", RED),
    (f64::NAN, "no MOS (no clock rate)", GREY_OTHER),
];

fn mos_band(mos: Option<f64>) -> usize {
    match mos {
        Some(m) => MOS_BANDS.iter().position(|b| m >= b.0).unwrap_or(3),
        None => 4,
    }
}

pub(super) fn stream_scatter(streams: &[crate::media::StreamRow]) -> Option<StreamScatter> {
    if streams.is_empty() {
        return None;
    }
    let worst = crate::report::media::worst_first(streams);
    let mut counts = [0u64; 5];
    for r in streams {
        counts[mos_band(r.mos)] += 1;
    }
    let drawn = &worst[..worst.len().min(MAX_STREAM_POINTS)];
    // Best first, so that the worst are drawn last, on top.
    let points: Vec<(f64, f64, usize)> = drawn
        .iter()
        .rev()
        .map(|r| {
            let j = r.stream.stats.max_jitter_ms;
            let j = if j.is_finite() { j.max(0.0) } else { 0.0 };
            (
                j,
                100.0 * crate::report::media::loss_share(r),
                mos_band(r.mos),
            )
        })
        .collect();
    let x_max = points.iter().map(|p| p.0).fold(0.0, f64::max);
    let y_max = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let bands = MOS_BANDS
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(b, n)| (format!("{} ({n})", b.1), b.2))
        .collect();
    let mut notes = vec![format!("streams: {}", streams.len())];
    if drawn.len() < streams.len() {
        notes.push(format!("the {} worst drawn", drawn.len()));
    }
    let lossy = streams.iter().filter(|r| r.stream.stats.lost() > 0).count();
    notes.push(format!("with loss: {lossy}"));
    notes.push(String::new());
    notes.push("x: largest RFC 3550 jitter".into());
    notes.push("y: lost / expected packets".into());
    notes.push("MOS: E-model estimate".into());
    Some(StreamScatter {
        points,
        x_top: nice_ceil((x_max * 1.1).max(1.0)),
        y_top: nice_ceil((y_max * 1.1).max(1.0)).min(100.0),
        bands,
        notes,
    })
}
