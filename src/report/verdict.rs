//! Terminal tables of the verdict: `check` (rule → value → pass/fail, with
//! the sample size and the evidence) and `diff` (each metric of both runs,
//! the change, the test, its p-value and whether it is significant). They
//! render `verdict`'s results; nothing is computed here.

use crate::report::cells::{new_table, num, text};
use crate::verdict::diff::{Diff, Direction, Quantiles};
use crate::verdict::junit::number;
use crate::verdict::slo::{Outcome, Status};
use comfy_table::{Cell, CellAlignment};
use std::fmt::Write;

fn right(s: String) -> Cell {
    Cell::new(s).set_alignment(CellAlignment::Right)
}

fn opt(v: Option<f64>) -> String {
    v.map_or("-".into(), number)
}

/// `check`: one row per rule, then the verdict line.
pub fn check_table(slo: &str, outcomes: &[Outcome]) -> String {
    let mut t = new_table(&["rule", "value", "needs", "result", "n", "evidence"]);
    for o in outcomes {
        let result = match (o.status, o.fails_check) {
            (Status::NoData, true) => "NO DATA (fails)".to_string(),
            (Status::NoData, false) => "NO DATA (allowed)".to_string(),
            (s, _) => s.label().to_string(),
        };
        t.add_row(vec![
            text(&o.name),
            right(opt(o.value)),
            Cell::new(format!("{} {}", o.op.as_str(), number(o.threshold))),
            Cell::new(result),
            num(o.sample_size),
            text(&o.evidence),
        ]);
    }
    let failed = outcomes.iter().filter(|o| o.fails_check).count();
    let mut out = format!("SLO {slo}: {} rule(s)\n{t}\n", outcomes.len());
    if failed == 0 {
        out.push_str("check passed\n");
    } else {
        let _ = writeln!(out, "check FAILED: {failed} of {} rule(s)", outcomes.len());
    }
    out
}

fn p(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(x) if x < 0.0001 => format!("{x:.1e}"),
        Some(x) => format!("{x:.4}"),
    }
}

fn q(x: &Quantiles) -> String {
    format!(
        "n={} p50 {} p95 {} p99 {}",
        x.n,
        opt(x.p50),
        opt(x.p95),
        opt(x.p99)
    )
}

fn mark(significant: bool, d: Option<Direction>) -> Cell {
    Cell::new(match (significant, d) {
        (false, _) => "",
        (true, Some(Direction::Worse)) => "YES, worse",
        (true, Some(Direction::Better)) => "YES, better",
        (true, _) => "YES",
    })
}

/// `diff`: the ratios, the distributions, then what appeared or went.
pub fn diff_table(d: &Diff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "baseline: {}\ncurrent:  {}",
        d.baseline_inputs.join(", "),
        d.current_inputs.join(", ")
    );
    let mut t = new_table(&[
        "group",
        "ratio",
        "baseline",
        "current",
        "change",
        "z-test p",
        "significant",
    ]);
    for r in &d.rates {
        // A ratio no side has (no calls to that destination in either run) says nothing.
        if r.baseline.is_none() && r.current.is_none() {
            continue;
        }
        t.add_row(vec![
            text(&r.group),
            Cell::new(&r.metric),
            right(format!(
                "{} ({}/{})",
                opt(r.baseline),
                r.baseline_count,
                r.baseline_n
            )),
            right(format!(
                "{} ({}/{})",
                opt(r.current),
                r.current_count,
                r.current_n
            )),
            right(r.change.map_or("-".into(), |c| format!("{c:+.4}"))),
            right(p(r.test.map(|t| t.p_value))),
            mark(r.significant, r.direction),
        ]);
    }
    let _ = writeln!(out, "\nRatios (two-proportion z-test)\n{t}");
    let mut t = new_table(&[
        "group",
        "ms",
        "baseline",
        "current",
        "Δp50",
        "Δp95",
        "KS D",
        "KS p",
        "significant",
    ]);
    for r in &d.distributions {
        if r.baseline.n + r.current.n == 0 {
            continue;
        }
        let ch = |c: Option<f64>| c.map_or("-".into(), |c| format!("{c:+.3}"));
        t.add_row(vec![
            text(&r.group),
            Cell::new(&r.metric),
            Cell::new(q(&r.baseline)),
            Cell::new(q(&r.current)),
            right(ch(r.change_p50)),
            right(ch(r.change_p95)),
            right(r.test.map_or("-".into(), |t| format!("{:.3}", t.d))),
            right(p(r.test.map(|t| t.p_value))),
            mark(r.significant, r.direction),
        ]);
    }
    let _ = writeln!(
        out,
        "\nDistributions (two-sample Kolmogorov–Smirnov test)\n{t}"
    );
    let codes = |rows: &[crate::verdict::diff::CountRow], which: bool| {
        rows.iter()
            .map(|c| format!("{} ×{}", c.what, if which { c.current } else { c.baseline }))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !d.new_final_codes.is_empty() {
        let _ = writeln!(out, "new final codes: {}", codes(&d.new_final_codes, true));
    }
    if !d.gone_final_codes.is_empty() {
        let _ = writeln!(
            out,
            "final codes gone: {}",
            codes(&d.gone_final_codes, false)
        );
    }
    if !d.findings.is_empty() {
        let f: Vec<String> = d
            .findings
            .iter()
            .map(|c| format!("{} {} → {}", c.what, c.baseline, c.current))
            .collect();
        let _ = writeln!(out, "findings: {}", f.join(", "));
    }
    for (label, list) in [
        ("reached only now", &d.new_destinations),
        ("reached only in the baseline", &d.gone_destinations),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "{label}: {}", list.join(", "));
        }
    }
    if d.flagged.is_empty() {
        let _ = writeln!(
            out,
            "no significant change (p < {} and a material change; docs/verdict.md)",
            d.alpha
        );
    } else {
        let _ = writeln!(
            out,
            "significant changes ({}): {}",
            d.flagged.len(),
            d.flagged.join(", ")
        );
        let _ = writeln!(
            out,
            "worse ({}): {}",
            d.worse.len(),
            if d.worse.is_empty() {
                "none".to_string()
            } else {
                d.worse.join(", ")
            }
        );
    }
    out
}

fn word(significant: bool, d: Option<Direction>) -> &'static str {
    match (significant, d) {
        (false, _) => "",
        (true, Some(Direction::Worse)) => "yes, worse",
        (true, Some(Direction::Better)) => "yes, better",
        (true, _) => "yes",
    }
}

/// The report's section comparing this run with a baseline (`analyze
/// --baseline`): what changed significantly first, then both tables of `diff`.
pub fn diff_html(d: &Diff) -> String {
    use crate::report::html::esc;
    let mut h = String::from("<h2 id=\"baseline\">Compared with the baseline</h2>\n");
    let _ = write!(
        h,
        "<p class=\"meta\">baseline: {}</p>",
        esc(&d.baseline_inputs.join(", "))
    );
    if d.flagged.is_empty() {
        let _ = write!(
            h,
            "<p>No significant change (p &lt; {} and a material change).</p>",
            d.alpha
        );
    } else {
        h.push_str("<p><b>Significant changes:</b></p><ul>");
        for f in &d.flagged {
            let worse = if d.worse.contains(f) { " (worse)" } else { "" };
            let _ = write!(h, "<li>{}{worse}</li>", esc(f));
        }
        h.push_str("</ul>");
    }
    h.push_str("<table id=\"baseline-ratios\"><thead><tr><th>group</th><th>ratio</th><th>baseline</th><th>current</th><th>change</th><th>z-test p</th><th>significant</th></tr></thead><tbody>");
    for r in d
        .rates
        .iter()
        .filter(|r| r.baseline.is_some() || r.current.is_some())
    {
        let _ = write!(
            h,
            "<tr{}><td>{}</td><td>{}</td><td class=\"n\">{} ({}/{})</td><td class=\"n\">{} ({}/{})</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            if r.direction == Some(Direction::Worse) { " class=\"ERROR\"" } else { "" },
            esc(&r.group),
            esc(&r.metric),
            opt(r.baseline),
            r.baseline_count,
            r.baseline_n,
            opt(r.current),
            r.current_count,
            r.current_n,
            r.change.map_or("-".into(), |c| format!("{c:+.4}")),
            p(r.test.map(|t| t.p_value)),
            word(r.significant, r.direction)
        );
    }
    h.push_str("</tbody></table>\n<table id=\"baseline-distributions\"><thead><tr><th>group</th><th>ms</th><th>baseline</th><th>current</th><th>Δp50</th><th>Δp95</th><th>KS D</th><th>KS p</th><th>significant</th></tr></thead><tbody>");
    for r in d
        .distributions
        .iter()
        .filter(|r| r.baseline.n + r.current.n > 0)
    {
        let ch = |c: Option<f64>| c.map_or("-".into(), |c| format!("{c:+.3}"));
        let _ = write!(
            h,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            if r.direction == Some(Direction::Worse) { " class=\"ERROR\"" } else { "" },
            esc(&r.group),
            esc(&r.metric),
            q(&r.baseline),
            q(&r.current),
            ch(r.change_p50),
            ch(r.change_p95),
            r.test.map_or("-".into(), |t| format!("{:.3}", t.d)),
            p(r.test.map(|t| t.p_value)),
            word(r.significant, r.direction)
        );
    }
    h.push_str("</tbody></table>\n");
    if !d.new_final_codes.is_empty() || !d.new_finding_kinds.is_empty() {
        let codes: Vec<String> = d
            .new_final_codes
            .iter()
            .map(|c| format!("{} ×{}", esc(&c.what), c.current))
            .collect();
        let _ = writeln!(
            h,
            "<p>New final codes: {} · new finding kinds: {}</p>",
            if codes.is_empty() {
                "none".into()
            } else {
                codes.join(", ")
            },
            if d.new_finding_kinds.is_empty() {
                "none".into()
            } else {
                esc(&d.new_finding_kinds.join(", "))
            }
        );
    }
    h
}
