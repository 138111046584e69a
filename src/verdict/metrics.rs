//! The metrics a rule or a comparison can name, one catalogue: call ratios
//! (ASR, NER, SER, SEER, ISA, SCR, the share of each final code), PDD and SRD
//! statistics, registration failure rate and RRD statistics, the number of
//! findings of a kind and a finding's numeric fields. [`Metric::parse`] reads
//! a name (`pdd_ms.p95`, `findings.CAPACITY_503_ONSET.calls_per_second_at_onset`)
//! and says which names exist when it does not know one; [`measure`] reads a
//! metric off a [`Snapshot`] for a scope (all, a destination, a registrar).
//! Definitions of the ratios are `analysis::calls`' (docs/metrics.md).

use super::snapshot::{CallGroup, FindingFacts, RegistrationGroup, Snapshot};
use crate::analysis::calls::CallCounts;
use crate::analysis::stats::{percentiles, ratio, Percentiles};
use crate::diagnosis::Kind;

/// A ratio of calls (or registrations): numerator and denominator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub num: u64,
    pub den: u64,
}

impl Rate {
    pub fn value(self) -> Option<f64> {
        ratio(self.num, self.den)
    }
}

/// The named ratios of calls, with what makes them.
pub const CALL_RATES: [(&str, &str); 7] = [
    ("asr", "answer-seizure ratio: answered / attempts"),
    (
        "ner",
        "network effectiveness ratio (200, 408/480) / attempts",
    ),
    ("ner_e411", "NER as ITU-T E.411 counts it"),
    ("ser", "RFC 6076 SER: 2xx / (attempts − 3xx)"),
    (
        "seer",
        "RFC 6076 SEER: (2xx, 480, 486, 600, 603) / (attempts − 3xx)",
    ),
    ("isa", "RFC 6076 ISA: (408, 500, 503, 504) / attempts"),
    ("scr", "RFC 6076 SCR: completed sessions / attempts"),
];

pub fn call_rate(name: &str, c: &CallCounts) -> Option<Rate> {
    let r = |num, den| Some(Rate { num, den });
    match name {
        "asr" => r(c.success, c.attempts),
        "ner" => r(c.success + c.timeout, c.attempts),
        "ner_e411" => r(c.delivered_e411, c.attempts),
        "ser" => r(c.success, c.attempts - c.redirected),
        "seer" => r(c.seer_effective, c.attempts - c.redirected),
        "isa" => r(c.ineffective, c.attempts),
        "scr" => r(c.completed, c.attempts),
        _ => None,
    }
}

/// Statistics of a distribution a rule can name.
pub const STATS: [&str; 7] = ["p50", "p90", "p95", "p99", "mean", "min", "max"];

pub fn stat(p: &Percentiles, name: &str) -> Option<f64> {
    match name {
        "p50" => p.p50,
        "p90" => p.p90,
        "p95" => p.p95,
        "p99" => p.p99,
        "mean" => p.mean,
        "min" => p.min,
        "max" => p.max,
        _ => None,
    }
}

/// The per-call series of a call group.
pub const CALL_SERIES: [(&str, &str); 2] = [
    ("pdd_ms", "post-dial delay, INVITE → first 180/183"),
    ("srd_ms", "RFC 6076 session request delay"),
];

pub fn call_series<'a>(name: &str, g: &'a CallGroup) -> &'a [f64] {
    match name {
        "pdd_ms" => &g.pdd_ms,
        _ => &g.srd_ms,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Metric {
    /// A named call ratio (`asr`, …).
    CallRate(&'static str),
    /// The share of calls whose final code is this one (`code_rate.503`; `none` for none).
    CodeRate(String),
    CallAttempts,
    /// A statistic of PDD or SRD (`pdd_ms.p95`).
    CallStat(&'static str, &'static str),
    RegistrationFailureRate,
    RegistrationAttempts,
    RrdStat(&'static str),
    /// How many findings of a kind (`findings.AUTH_LOOP`).
    FindingCount(Kind),
    /// A numeric field of every finding of a kind.
    FindingField(Kind, String),
}

/// What a metric applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Calls,
    Registrations,
    Findings,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    #[error("unknown metric `{name}`; known metrics: {known}")]
    Unknown { name: String, known: String },
    #[error("unknown statistic `{stat}` in `{name}`; known: {}", STATS.join(", "))]
    Stat { name: String, stat: String },
    #[error("unknown finding kind `{kind}` in `{name}`; kinds: {}", kind_names())]
    Kind { name: String, kind: String },
    #[error("`{name}`: `code_rate.` takes a status code 100–699 or `none`")]
    Code { name: String },
}

fn kind_names() -> String {
    Kind::ALL.map(Kind::name).join(", ")
}

/// Every metric name, as the error for an unknown one lists them.
pub fn known_names() -> String {
    let mut v: Vec<String> = CALL_RATES.iter().map(|(n, _)| n.to_string()).collect();
    v.push("code_rate.CODE (e.g. code_rate.503)".into());
    v.push("attempts".into());
    for (s, _) in CALL_SERIES {
        v.push(format!("{s}.{{{}}}", STATS.join(",")));
    }
    v.push("registration_failure_rate".into());
    v.push("registration_attempts".into());
    v.push(format!("rrd_ms.{{{}}}", STATS.join(",")));
    v.push("findings.KIND (how many)".into());
    v.push(
        "findings.KIND.FIELD (e.g. findings.CAPACITY_503_ONSET.calls_per_second_at_onset)".into(),
    );
    v.join(", ")
}

fn static_stat(name: &str, s: &str) -> Result<&'static str, MetricError> {
    STATS
        .iter()
        .find(|x| **x == s)
        .copied()
        .ok_or_else(|| MetricError::Stat {
            name: name.into(),
            stat: s.into(),
        })
}

impl Metric {
    pub fn parse(name: &str) -> Result<Metric, MetricError> {
        let unknown = || MetricError::Unknown {
            name: name.into(),
            known: known_names(),
        };
        if let Some((n, _)) = CALL_RATES.iter().find(|(n, _)| *n == name) {
            return Ok(Metric::CallRate(n));
        }
        match name {
            "attempts" => return Ok(Metric::CallAttempts),
            "registration_failure_rate" => return Ok(Metric::RegistrationFailureRate),
            "registration_attempts" => return Ok(Metric::RegistrationAttempts),
            _ => {}
        }
        let (head, rest) = name.split_once('.').ok_or_else(unknown)?;
        if let Some((series, _)) = CALL_SERIES.iter().find(|(s, _)| *s == head) {
            return Ok(Metric::CallStat(series, static_stat(name, rest)?));
        }
        match head {
            "rrd_ms" => Ok(Metric::RrdStat(static_stat(name, rest)?)),
            "code_rate" => {
                let ok =
                    rest == "none" || rest.parse::<u16>().is_ok_and(|c| (100..700).contains(&c));
                if ok {
                    Ok(Metric::CodeRate(rest.to_string()))
                } else {
                    Err(MetricError::Code { name: name.into() })
                }
            }
            "findings" => {
                let (kind, field) = match rest.split_once('.') {
                    Some((k, f)) => (k, Some(f)),
                    None => (rest, None),
                };
                let k = Kind::ALL
                    .into_iter()
                    .find(|k| k.name() == kind)
                    .ok_or_else(|| MetricError::Kind {
                        name: name.into(),
                        kind: kind.into(),
                    })?;
                Ok(match field {
                    Some(f) if !f.is_empty() => Metric::FindingField(k, f.to_string()),
                    Some(_) => return Err(unknown()),
                    None => Metric::FindingCount(k),
                })
            }
            _ => Err(unknown()),
        }
    }

    pub fn family(&self) -> Family {
        match self {
            Metric::CallRate(_)
            | Metric::CodeRate(_)
            | Metric::CallAttempts
            | Metric::CallStat(..) => Family::Calls,
            Metric::RegistrationFailureRate | Metric::RegistrationAttempts | Metric::RrdStat(_) => {
                Family::Registrations
            }
            Metric::FindingCount(_) | Metric::FindingField(..) => Family::Findings,
        }
    }
}

/// Which part of the run a metric is read on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Destination(String),
    Registrar(String),
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::All => f.write_str("all"),
            Scope::Destination(d) => write!(f, "destination {d}"),
            Scope::Registrar(r) => write!(f, "registrar {r}"),
        }
    }
}

/// A metric read off a run: its value(s), the sample size behind them, and
/// the evidence in words. No value means no data (no call with a PDD, no
/// finding of that kind, a destination the run never reached).
#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    /// One value, except for a finding field: one per finding of the kind.
    pub values: Vec<f64>,
    /// Calls, registrations, values or findings the value rests on.
    pub n: u64,
    pub evidence: String,
    /// For findings: the first Call-IDs they rest on (at most [`MAX_CALL_IDS`]).
    pub call_ids: Vec<String>,
}

/// Call-IDs a finding rule names as its evidence.
pub const MAX_CALL_IDS: usize = 10;

impl Measure {
    fn none(evidence: String) -> Measure {
        Measure {
            values: Vec::new(),
            n: 0,
            evidence,
            call_ids: Vec::new(),
        }
    }
    fn rate(r: Rate, what: &str) -> Measure {
        Measure {
            values: r.value().into_iter().collect(),
            n: r.den,
            evidence: format!("{} of {} {what}", r.num, r.den),
            call_ids: Vec::new(),
        }
    }
}

/// The first Call-IDs of the findings, a few of each.
fn finding_call_ids(fs: &[&FindingFacts]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in fs {
        for c in f.call_ids.iter().take(3) {
            if out.len() < MAX_CALL_IDS && !out.contains(c) {
                out.push(c.clone());
            }
        }
    }
    out
}

fn call_group<'a>(s: &'a Snapshot, scope: &Scope) -> Result<&'a CallGroup, String> {
    match scope {
        Scope::Destination(d) => s
            .per_destination
            .get(d)
            .ok_or_else(|| format!("no call to {d} in this run")),
        _ => Ok(&s.calls),
    }
}

fn registration_group<'a>(s: &'a Snapshot, scope: &Scope) -> Result<&'a RegistrationGroup, String> {
    match scope {
        Scope::Registrar(r) => s
            .per_registrar
            .get(r)
            .ok_or_else(|| format!("no registration to {r} in this run")),
        _ => Ok(&s.registrations),
    }
}

fn series_measure(values: &[f64], st: &str, what: &str) -> Measure {
    let p = percentiles(values.iter().copied());
    Measure {
        values: stat(&p, st).into_iter().collect(),
        n: p.count,
        evidence: format!("n={} {what}", p.count),
        call_ids: Vec::new(),
    }
}

/// Where the findings of a kind are (times, first Call-IDs), in words.
pub fn finding_evidence(fs: &[&FindingFacts]) -> String {
    let mut parts = Vec::new();
    for f in fs.iter().take(3) {
        let mut p = f.summary.clone();
        if let Some(t) = f.first_ns {
            p.push_str(&format!(" (from {})", crate::report::time::utc(t)));
        }
        if !f.call_ids.is_empty() {
            let ids: Vec<&str> = f.call_ids.iter().take(3).map(String::as_str).collect();
            p.push_str(&format!("; calls {}", ids.join(", ")));
        }
        parts.push(p);
    }
    if fs.len() > 3 {
        parts.push(format!("and {} more", fs.len() - 3));
    }
    parts.join(" | ")
}

/// Reads a metric off a snapshot for a scope.
pub fn measure(s: &Snapshot, m: &Metric, scope: &Scope) -> Measure {
    match m {
        Metric::CallRate(name) => match call_group(s, scope) {
            Ok(g) => Measure::rate(
                call_rate(name, &g.counts).expect("catalogued rate"),
                "calls",
            ),
            Err(e) => Measure::none(e),
        },
        Metric::CodeRate(code) => match call_group(s, scope) {
            Ok(g) => Measure::rate(
                Rate {
                    num: g.final_codes.get(code).copied().unwrap_or(0),
                    den: g.counts.attempts,
                },
                &format!("calls ended {code}"),
            ),
            Err(e) => Measure::none(e),
        },
        Metric::CallAttempts => match call_group(s, scope) {
            Ok(g) => Measure {
                values: vec![g.counts.attempts as f64],
                n: g.counts.attempts,
                evidence: format!("{} call attempts", g.counts.attempts),
                call_ids: Vec::new(),
            },
            Err(e) => Measure::none(e),
        },
        Metric::CallStat(series, st) => match call_group(s, scope) {
            Ok(g) => series_measure(
                call_series(series, g),
                st,
                &format!(
                    "calls with {}",
                    series.trim_end_matches("_ms").to_uppercase()
                ),
            ),
            Err(e) => Measure::none(e),
        },
        Metric::RegistrationFailureRate => match registration_group(s, scope) {
            Ok(g) => Measure::rate(
                Rate {
                    num: g.failed,
                    den: g.attempts,
                },
                "registration attempts failed",
            ),
            Err(e) => Measure::none(e),
        },
        Metric::RegistrationAttempts => match registration_group(s, scope) {
            Ok(g) => Measure {
                values: vec![g.attempts as f64],
                n: g.attempts,
                evidence: format!("{} registration attempts", g.attempts),
                call_ids: Vec::new(),
            },
            Err(e) => Measure::none(e),
        },
        Metric::RrdStat(st) => match registration_group(s, scope) {
            Ok(g) => series_measure(&g.rrd_ms, st, "registrations with RRD"),
            Err(e) => Measure::none(e),
        },
        Metric::FindingCount(k) => {
            let fs: Vec<&FindingFacts> = s.findings.iter().filter(|f| f.kind == k.name()).collect();
            Measure {
                values: vec![fs.len() as f64],
                n: fs.len() as u64,
                evidence: if fs.is_empty() {
                    format!("no {} finding", k.name())
                } else {
                    finding_evidence(&fs)
                },
                call_ids: finding_call_ids(&fs),
            }
        }
        Metric::FindingField(k, field) => {
            let fs: Vec<&FindingFacts> = s.findings.iter().filter(|f| f.kind == k.name()).collect();
            if fs.is_empty() {
                return Measure::none(format!("no {} finding", k.name()));
            }
            let with: Vec<&FindingFacts> = fs
                .iter()
                .copied()
                .filter(|f| f.numbers.contains_key(field))
                .collect();
            if with.is_empty() {
                let fields: std::collections::BTreeSet<&str> = fs
                    .iter()
                    .flat_map(|f| f.numbers.keys().map(String::as_str))
                    .collect();
                return Measure::none(format!(
                    "{} findings have no field `{field}` (their fields: {})",
                    k.name(),
                    fields.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
            Measure {
                values: with.iter().map(|f| f.numbers[field]).collect(),
                n: with.len() as u64,
                evidence: finding_evidence(&with),
                call_ids: finding_call_ids(&with),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_to_metrics() {
        assert_eq!(Metric::parse("asr"), Ok(Metric::CallRate("asr")));
        assert_eq!(
            Metric::parse("pdd_ms.p95"),
            Ok(Metric::CallStat("pdd_ms", "p95"))
        );
        assert_eq!(Metric::parse("rrd_ms.p95"), Ok(Metric::RrdStat("p95")));
        assert_eq!(
            Metric::parse("code_rate.503"),
            Ok(Metric::CodeRate("503".into()))
        );
        assert_eq!(
            Metric::parse("findings.CAPACITY_503_ONSET.calls_per_second_at_onset"),
            Ok(Metric::FindingField(
                Kind::Capacity503Onset,
                "calls_per_second_at_onset".into()
            ))
        );
        assert_eq!(
            Metric::parse("findings.AUTH_LOOP"),
            Ok(Metric::FindingCount(Kind::AuthLoop))
        );
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let e = Metric::parse("asrr").unwrap_err().to_string();
        assert!(
            e.contains("unknown metric `asrr`") && e.contains("seer") && e.contains("pdd_ms.{p50"),
            "{e}"
        );
        let e = Metric::parse("pdd_ms.p42").unwrap_err().to_string();
        assert!(e.contains("`p42`") && e.contains("p95"), "{e}");
        let e = Metric::parse("findings.AUTH_LOOPS")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("AUTH_LOOPS") && e.contains("ROUTING_LOOP"),
            "{e}"
        );
        assert!(Metric::parse("code_rate.99").is_err());
    }

    #[test]
    fn a_destination_never_reached_is_no_data_not_zero() {
        let mut s = Snapshot::default();
        s.calls.counts.attempts = 10;
        s.calls.counts.success = 9;
        let m = measure(&s, &Metric::CallRate("asr"), &Scope::All);
        assert_eq!((m.values.clone(), m.n), (vec![0.9], 10));
        assert_eq!(m.evidence, "9 of 10 calls");
        let m = measure(
            &s,
            &Metric::CallRate("asr"),
            &Scope::Destination("10.0.0.9:5060".into()),
        );
        assert!(m.values.is_empty() && m.evidence.contains("no call to 10.0.0.9:5060"));
        let m = measure(&s, &Metric::CallStat("pdd_ms", "p95"), &Scope::All);
        assert!(m.values.is_empty() && m.n == 0);
        let m = measure(&s, &Metric::FindingCount(Kind::AuthLoop), &Scope::All);
        assert_eq!(m.values, vec![0.0]);
    }
}
