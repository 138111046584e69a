//! `diff BASELINE CURRENT`: two runs side by side, metric by metric, each
//! with its change and whether that change is significant.
//!
//! - Ratios (ASR, NER, SER, SEER, ISA, SCR, the share of each final code,
//!   the registration failure rate): the two-proportion z-test, with both
//!   numerators and denominators.
//! - Distributions (PDD, SRD, RRD): p50, p95, p99 and the two-sample
//!   Kolmogorov–Smirnov test over every value, with both sample sizes.
//! - Final codes and finding kinds present in one run and not the other.
//!
//! Every group is compared: all calls, each destination, all registrations,
//! each registrar. A change is *significant* when it is both unlikely to be
//! noise (p < [`ALPHA`]) and large enough to matter: a ratio moving at least
//! [`MIN_RATE_CHANGE`] (one percentage point), a distribution whose p50 or p95
//! moves at least [`MIN_LATENCY_CHANGE_MS`] and [`MIN_LATENCY_CHANGE_SHARE`]
//! of its baseline value (a KS test on hundreds of calls finds a 0.3 ms shift
//! "significant"; no one acts on it). docs/verdict.md says why these values.

use super::metrics::{call_rate, call_series, Rate, CALL_RATES, CALL_SERIES};
use super::significance::{kolmogorov_smirnov, two_proportions, KsTest, ProportionTest};
use super::snapshot::{CallGroup, RegistrationGroup, Snapshot};
use crate::analysis::stats::percentiles;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The p-value under which a change may be significant.
pub const ALPHA: f64 = 0.01;
/// The smallest change of a ratio that counts (absolute, 0–1).
pub const MIN_RATE_CHANGE: f64 = 0.01;
/// The smallest change of a latency p50 or p95 that counts, in ms …
pub const MIN_LATENCY_CHANGE_MS: f64 = 5.0;
/// … and as a share of the baseline's value.
pub const MIN_LATENCY_CHANGE_SHARE: f64 = 0.10;

/// Which way a significant change goes for the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Better,
    Worse,
    /// The share of a final code that is neither success nor failure by itself (3xx, `none`…).
    Changed,
}

/// Whether a higher value of a ratio is better (ASR), worse (ISA, a 503
/// share) or neither (the share of redirections).
fn higher_is_better(metric: &str) -> Option<bool> {
    match metric {
        "asr" | "ner" | "ner_e411" | "ser" | "seer" | "scr" => Some(true),
        "isa" | "registration_failure_rate" => Some(false),
        m => match m
            .strip_prefix("code_rate.")
            .and_then(|c| c.parse::<u16>().ok())
        {
            Some(c) if (200..300).contains(&c) => Some(true),
            Some(c) if c >= 400 => Some(false),
            _ => m
                .strip_prefix("code_rate.")
                .filter(|c| *c == "none")
                .map(|_| false),
        },
    }
}

fn direction(
    significant: bool,
    change: Option<f64>,
    higher_better: Option<bool>,
) -> Option<Direction> {
    let c = change.filter(|_| significant)?;
    Some(match higher_better {
        None => Direction::Changed,
        Some(h) if (c > 0.0) == h => Direction::Better,
        Some(_) => Direction::Worse,
    })
}

#[derive(Clone, Debug, Serialize)]
pub struct RateRow {
    /// `all`, `destination ADDR`, `registrations`, `registrar ADDR`.
    pub group: String,
    pub metric: String,
    pub baseline: Option<f64>,
    pub current: Option<f64>,
    pub change: Option<f64>,
    pub baseline_count: u64,
    pub baseline_n: u64,
    pub current_count: u64,
    pub current_n: u64,
    pub test: Option<ProportionTest>,
    pub significant: bool,
    /// For a significant change: better or worse for the service.
    pub direction: Option<Direction>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Quantiles {
    pub n: u64,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DistributionRow {
    pub group: String,
    pub metric: String,
    pub baseline: Quantiles,
    pub current: Quantiles,
    pub change_p50: Option<f64>,
    pub change_p95: Option<f64>,
    pub change_p99: Option<f64>,
    pub test: Option<KsTest>,
    pub significant: bool,
    /// For a significant change: better (faster) or worse (slower), by the p95.
    pub direction: Option<Direction>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CountRow {
    pub what: String,
    pub baseline: u64,
    pub current: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    pub baseline_inputs: Vec<String>,
    pub current_inputs: Vec<String>,
    pub alpha: f64,
    pub rates: Vec<RateRow>,
    pub distributions: Vec<DistributionRow>,
    /// Final codes of the current run that the baseline never had (code, calls).
    pub new_final_codes: Vec<CountRow>,
    /// Final codes of the baseline gone from the current run.
    pub gone_final_codes: Vec<CountRow>,
    /// Findings per kind, where either run has one.
    pub findings: Vec<CountRow>,
    pub new_finding_kinds: Vec<String>,
    pub gone_finding_kinds: Vec<String>,
    /// Destinations (and registrars) only the current run reached, and only the baseline.
    pub new_destinations: Vec<String>,
    pub gone_destinations: Vec<String>,
    /// What changed significantly, as `METRIC (GROUP)`, plus new finding kinds.
    pub flagged: Vec<String>,
    /// The flagged changes that are worse for the service, and new finding kinds.
    pub worse: Vec<String>,
}

fn quantiles(sorted: &[f64]) -> Quantiles {
    let p = percentiles(sorted.iter().copied());
    Quantiles {
        n: p.count,
        p50: p.p50,
        p95: p.p95,
        p99: p.p99,
    }
}

fn change(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(((b? - a?) * 10_000.0).round() / 10_000.0)
}

fn rate_row(group: &str, metric: &str, a: Option<Rate>, b: Option<Rate>) -> RateRow {
    let a = a.unwrap_or(Rate { num: 0, den: 0 });
    let b = b.unwrap_or(Rate { num: 0, den: 0 });
    let test = two_proportions(a.num, a.den, b.num, b.den);
    let ch = change(a.value(), b.value());
    let significant = test.is_some_and(|t| t.p_value < ALPHA)
        && ch.is_some_and(|c| c.abs() >= MIN_RATE_CHANGE - 1e-12);
    RateRow {
        group: group.to_string(),
        metric: metric.to_string(),
        baseline: a.value(),
        current: b.value(),
        change: ch,
        baseline_count: a.num,
        baseline_n: a.den,
        current_count: b.num,
        current_n: b.den,
        significant,
        direction: direction(significant, ch, higher_is_better(metric)),
        test,
    }
}

fn material(base: Option<f64>, ch: Option<f64>) -> bool {
    match (base, ch) {
        (Some(b), Some(c)) => {
            c.abs() >= MIN_LATENCY_CHANGE_MS && c.abs() >= MIN_LATENCY_CHANGE_SHARE * b.abs()
        }
        _ => false,
    }
}

fn distribution_row(group: &str, metric: &str, a: &[f64], b: &[f64]) -> DistributionRow {
    let (qa, qb) = (quantiles(a), quantiles(b));
    let test = kolmogorov_smirnov(a, b);
    let (c50, c95, c99) = (
        change(qa.p50, qb.p50),
        change(qa.p95, qb.p95),
        change(qa.p99, qb.p99),
    );
    let significant =
        test.is_some_and(|t| t.p_value < ALPHA) && (material(qa.p50, c50) || material(qa.p95, c95));
    DistributionRow {
        group: group.to_string(),
        metric: metric.to_string(),
        significant,
        direction: direction(significant, c95.or(c50), Some(false)),
        baseline: qa,
        current: qb,
        change_p50: c50,
        change_p95: c95,
        change_p99: c99,
        test,
    }
}

fn call_rows(
    group: &str,
    a: Option<&CallGroup>,
    b: Option<&CallGroup>,
    rates: &mut Vec<RateRow>,
    dists: &mut Vec<DistributionRow>,
) {
    for (name, _) in CALL_RATES {
        rates.push(rate_row(
            group,
            name,
            a.and_then(|g| call_rate(name, &g.counts)),
            b.and_then(|g| call_rate(name, &g.counts)),
        ));
    }
    let codes: BTreeSet<&String> = a
        .iter()
        .chain(b.iter())
        .flat_map(|g| g.final_codes.keys())
        .collect();
    for code in codes {
        let r = |g: Option<&CallGroup>| {
            g.map(|g| Rate {
                num: g.final_codes.get(code).copied().unwrap_or(0),
                den: g.counts.attempts,
            })
        };
        rates.push(rate_row(group, &format!("code_rate.{code}"), r(a), r(b)));
    }
    for (series, _) in CALL_SERIES {
        let v = |g: Option<&CallGroup>| {
            g.map(|g| call_series(series, g).to_vec())
                .unwrap_or_default()
        };
        dists.push(distribution_row(group, series, &v(a), &v(b)));
    }
}

fn registration_rows(
    group: &str,
    a: Option<&RegistrationGroup>,
    b: Option<&RegistrationGroup>,
    rates: &mut Vec<RateRow>,
    dists: &mut Vec<DistributionRow>,
) {
    let r = |g: Option<&RegistrationGroup>| {
        g.map(|g| Rate {
            num: g.failed,
            den: g.attempts,
        })
    };
    rates.push(rate_row(group, "registration_failure_rate", r(a), r(b)));
    let v = |g: Option<&RegistrationGroup>| g.map(|g| g.rrd_ms.clone()).unwrap_or_default();
    dists.push(distribution_row(group, "rrd_ms", &v(a), &v(b)));
}

fn kind_counts(s: &Snapshot) -> BTreeMap<&str, u64> {
    let mut m = BTreeMap::new();
    for f in &s.findings {
        *m.entry(f.kind.as_str()).or_default() += 1;
    }
    m
}

/// Compares two runs.
pub fn diff(a: &Snapshot, b: &Snapshot) -> Diff {
    let (mut rates, mut dists) = (Vec::new(), Vec::new());
    call_rows(
        "all",
        Some(&a.calls),
        Some(&b.calls),
        &mut rates,
        &mut dists,
    );
    let dests: BTreeSet<&String> = a
        .per_destination
        .keys()
        .chain(b.per_destination.keys())
        .collect();
    for d in dests {
        call_rows(
            &format!("destination {d}"),
            a.per_destination.get(d),
            b.per_destination.get(d),
            &mut rates,
            &mut dists,
        );
    }
    if a.registrations.attempts + b.registrations.attempts > 0 {
        registration_rows(
            "registrations",
            Some(&a.registrations),
            Some(&b.registrations),
            &mut rates,
            &mut dists,
        );
        let regs: BTreeSet<&String> = a
            .per_registrar
            .keys()
            .chain(b.per_registrar.keys())
            .collect();
        for r in regs {
            registration_rows(
                &format!("registrar {r}"),
                a.per_registrar.get(r),
                b.per_registrar.get(r),
                &mut rates,
                &mut dists,
            );
        }
    }
    let codes = |s: &Snapshot| s.calls.final_codes.clone();
    let (ca, cb) = (codes(a), codes(b));
    let new_final_codes = cb
        .iter()
        .filter(|(k, _)| !ca.contains_key(*k))
        .map(|(k, n)| CountRow {
            what: k.clone(),
            baseline: 0,
            current: *n,
        })
        .collect();
    let gone_final_codes = ca
        .iter()
        .filter(|(k, _)| !cb.contains_key(*k))
        .map(|(k, n)| CountRow {
            what: k.clone(),
            baseline: *n,
            current: 0,
        })
        .collect();
    let (ka, kb) = (kind_counts(a), kind_counts(b));
    let kinds: BTreeSet<&str> = ka.keys().chain(kb.keys()).copied().collect();
    let findings: Vec<CountRow> = kinds
        .iter()
        .map(|k| CountRow {
            what: k.to_string(),
            baseline: ka.get(k).copied().unwrap_or(0),
            current: kb.get(k).copied().unwrap_or(0),
        })
        .collect();
    let new_finding_kinds: Vec<String> = kinds
        .iter()
        .filter(|k| !ka.contains_key(*k))
        .map(|k| k.to_string())
        .collect();
    let gone_finding_kinds = kinds
        .iter()
        .filter(|k| !kb.contains_key(*k))
        .map(|k| k.to_string())
        .collect();
    let mut flagged: Vec<String> = rates
        .iter()
        .filter(|r| r.significant)
        .map(|r| format!("{} ({})", r.metric, r.group))
        .chain(
            dists
                .iter()
                .filter(|d| d.significant)
                .map(|d| format!("{} ({})", d.metric, d.group)),
        )
        .collect();
    flagged.extend(new_finding_kinds.iter().map(|k| format!("new finding {k}")));
    let mut worse: Vec<String> = rates
        .iter()
        .filter(|r| r.direction == Some(Direction::Worse))
        .map(|r| format!("{} ({})", r.metric, r.group))
        .chain(
            dists
                .iter()
                .filter(|d| d.direction == Some(Direction::Worse))
                .map(|d| format!("{} ({})", d.metric, d.group)),
        )
        .collect();
    worse.extend(new_finding_kinds.iter().map(|k| format!("new finding {k}")));
    let only = |x: &Snapshot, y: &Snapshot| -> Vec<String> {
        let dests = x
            .per_destination
            .keys()
            .filter(|k| !y.per_destination.contains_key(*k))
            .map(|k| format!("destination {k}"));
        let regs = x
            .per_registrar
            .keys()
            .filter(|k| !y.per_registrar.contains_key(*k))
            .map(|k| format!("registrar {k}"));
        dests.chain(regs).collect()
    };
    Diff {
        baseline_inputs: a.inputs.clone(),
        current_inputs: b.inputs.clone(),
        alpha: ALPHA,
        rates,
        distributions: dists,
        new_final_codes,
        gone_final_codes,
        findings,
        new_finding_kinds,
        gone_finding_kinds,
        new_destinations: only(b, a),
        gone_destinations: only(a, b),
        flagged,
        worse,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(success: u64, attempts: u64, pdd: impl Iterator<Item = f64>) -> Snapshot {
        let mut s = Snapshot::default();
        s.calls.counts.attempts = attempts;
        s.calls.counts.success = success;
        s.calls.final_codes.insert("200".into(), success);
        if attempts > success {
            s.calls.final_codes.insert("503".into(), attempts - success);
        }
        s.calls.pdd_ms = pdd.collect();
        s.calls.pdd_ms.sort_by(f64::total_cmp);
        s
    }

    #[test]
    fn a_ten_point_asr_drop_and_a_pdd_tail_are_flagged() {
        let a = run(300, 300, (0..300).map(|i| 36.0 + (i % 7) as f64 * 0.1));
        let b = run(
            270,
            300,
            (0..270).map(|i| if i % 2 == 0 { 36.0 } else { 308.0 }),
        );
        let d = diff(&a, &b);
        assert!(
            d.flagged.contains(&"asr (all)".to_string()),
            "{:?}",
            d.flagged
        );
        assert!(
            d.flagged.contains(&"pdd_ms (all)".to_string()),
            "{:?}",
            d.flagged
        );
        assert!(
            d.flagged.contains(&"code_rate.503 (all)".to_string()),
            "{:?}",
            d.flagged
        );
        assert_eq!(d.new_final_codes[0].what, "503");
        // all of them worse, the 200 share included
        assert_eq!(d.worse, d.flagged);
        let ok = d
            .rates
            .iter()
            .find(|r| r.metric == "code_rate.200")
            .unwrap();
        assert_eq!(ok.direction, Some(Direction::Worse));
        let asr = d.rates.iter().find(|r| r.metric == "asr").unwrap();
        assert_eq!(
            (asr.baseline_n, asr.current_count, asr.change),
            (300, 270, Some(-0.1))
        );
    }

    #[test]
    fn a_sub_millisecond_shift_is_not_flagged_even_when_ks_sees_it() {
        let a = run(300, 300, (0..300).map(|i| 36.0 + (i % 10) as f64 * 0.01));
        let b = run(300, 300, (0..300).map(|i| 36.5 + (i % 10) as f64 * 0.01));
        let d = diff(&a, &b);
        let pdd = d
            .distributions
            .iter()
            .find(|r| r.group == "all" && r.metric == "pdd_ms")
            .unwrap();
        assert!(pdd.test.unwrap().p_value < ALPHA);
        assert!(!pdd.significant && d.flagged.is_empty(), "{:?}", d.flagged);
        assert_eq!(pdd.direction, None);
    }

    #[test]
    fn faster_and_fewer_503s_are_better() {
        let a = run(
            270,
            300,
            (0..270).map(|i| if i % 2 == 0 { 36.0 } else { 308.0 }),
        );
        let b = run(300, 300, (0..300).map(|i| 36.0 + (i % 7) as f64 * 0.1));
        let d = diff(&a, &b);
        assert!(d.worse.is_empty(), "{:?}", d.worse);
        let dir = |m: &str| {
            d.rates
                .iter()
                .chain(std::iter::empty())
                .find(|r| r.metric == m)
                .and_then(|r| r.direction)
        };
        assert_eq!(
            (dir("asr"), dir("code_rate.503")),
            (Some(Direction::Better), Some(Direction::Better))
        );
        let pdd = d
            .distributions
            .iter()
            .find(|r| r.metric == "pdd_ms")
            .unwrap();
        assert_eq!(pdd.direction, Some(Direction::Better));
    }
}
