//! Drawing each prepared chart with plotters: axes, bars, lines, the legend panel.

use super::*;

pub(super) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

// Text sizes as plotters counts them (an em is about 0.8 of it).
pub(super) const TITLE_PX: u32 = 32;
pub(super) const DESC_PX: u32 = 22;
pub(super) const LABEL_PX: u32 = 19;
pub(super) const LEGEND_PX: u32 = 18;
/// Width of the legend panel on the right.
pub(super) const PANEL_PX: u32 = 320;

pub(super) fn font(px: u32) -> TextStyle<'static> {
    TextStyle::from((FAMILY, px).into_font()).color(&BLACK)
}

/// Axis tick values without trailing zeros ("2.5", "10", "0.25").
pub(super) fn num_text(v: f64) -> String {
    // A rate averaged over days is tiny: significant digits, not "0".
    if v != 0.0 && v.abs() < 0.01 {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

pub(super) fn ms_text(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0} ms")
    } else {
        format!("{} ms", num_text((v * 10.0).round() / 10.0))
    }
}

/// The top of a count axis, with headroom.
pub(super) fn count_top(max: u64) -> u64 {
    (max + max / 10 + 1).max(1)
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
) -> DrawResult<DB> {
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
        Body::Streams(st) => draw_streams(&area, st),
    }
}

pub(super) enum Mark {
    Box,
    Line,
    Dashed,
}

pub(super) struct LegendEntry {
    pub(super) label: String,
    pub(super) color: RGBColor,
    pub(super) mark: Mark,
}

/// The panel on the right: legend entries, then notes in grey.
pub(super) fn draw_panel<DB: DrawingBackend>(
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
pub(super) fn fit<DB: DrawingBackend>(
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

pub(super) fn split_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    area.split_horizontally((WIDTH - PANEL_PX) as i32)
}

pub(super) fn draw_histogram<DB: DrawingBackend>(
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

pub(super) fn draw_cdf<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &Cdf,
) -> DrawResult<DB> {
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

pub(super) fn draw_outcomes<DB: DrawingBackend>(
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

pub(super) fn draw_stacked<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &Stacked,
) -> DrawResult<DB> {
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

pub(super) fn draw_load<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    l: &Load,
) -> DrawResult<DB> {
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
        let unit = tl.unit_name();
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

pub(super) fn draw_streams<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    st: &StreamScatter,
) -> DrawResult<DB> {
    let (plot, panel) = split_panel(area);
    let mut chart = ChartBuilder::on(&plot)
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..st.x_top, 0f64..st.y_top)?;
    chart
        .configure_mesh()
        .x_desc("largest interarrival jitter (ms)")
        .y_desc("packets lost (%)")
        .axis_desc_style(font(DESC_PX))
        .label_style(font(LABEL_PX))
        .x_label_formatter(&|v| num_text(*v))
        .y_label_formatter(&|v| num_text(*v))
        .draw()?;
    chart.draw_series(st.points.iter().map(|&(x, y, band)| {
        let colour = MOS_BANDS.get(band).map_or(GREY_OTHER, |b| b.2);
        Circle::new((x, y), 6, colour.mix(0.8).filled())
    }))?;
    let entries: Vec<LegendEntry> = st
        .bands
        .iter()
        .map(|(label, color)| LegendEntry {
            label: label.clone(),
            color: *color,
            mark: Mark::Box,
        })
        .collect();
    draw_panel(&panel, &entries, &st.notes)
}
