//! `check --slo FILE.toml`: the rules file (its format is in docs/verdict.md),
//! checked whole before anything is read, and each rule evaluated on a
//! [`Snapshot`]: value, pass / fail / no data, and the evidence.
//!
//! A rule whose metric has no data (no call with a PDD, no finding of the
//! kind for a field rule, a destination the run never reached) is reported as
//! NO DATA, never as a pass or a failure in disguise; whether it fails the
//! check is the file's choice (`no_data = "fail"`, the default, or `"pass"`),
//! per rule or for the whole file. Writing the table and the exit code is the
//! command line's.

use super::metrics::{measure, Family, Metric, MetricError, Scope};
use super::snapshot::Snapshot;
use serde::{Deserialize, Serialize};

/// The version of the rules file this sipsleuth reads.
pub const SLO_VERSION: i64 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoData {
    /// A rule without data fails the check (the default: a gate that could
    /// not measure does not pass).
    Fail,
    /// A rule without data is reported and does not fail the check.
    Pass,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    version: Option<i64>,
    no_data: Option<NoData>,
    #[serde(default)]
    rule: Vec<RuleToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleToml {
    name: Option<String>,
    metric: String,
    op: String,
    value: toml::Value,
    destination: Option<String>,
    registrar: Option<String>,
    no_data: Option<NoData>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    const ALL: [(&'static str, Op); 6] = [
        ("<", Op::Lt),
        ("<=", Op::Le),
        (">", Op::Gt),
        (">=", Op::Ge),
        ("==", Op::Eq),
        ("!=", Op::Ne),
    ];
    pub fn as_str(self) -> &'static str {
        Op::ALL.iter().find(|(_, o)| *o == self).expect("listed").0
    }
    pub fn holds(self, v: f64, threshold: f64) -> bool {
        match self {
            Op::Lt => v < threshold,
            Op::Le => v <= threshold,
            Op::Gt => v > threshold,
            Op::Ge => v >= threshold,
            Op::Eq => v == threshold,
            Op::Ne => v != threshold,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub name: String,
    pub metric_name: String,
    pub metric: Metric,
    pub scope: Scope,
    pub op: Op,
    pub threshold: f64,
    pub no_data: NoData,
}

#[derive(Debug, thiserror::Error)]
pub enum SloError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Toml { path: String, message: String },
    #[error("{path}: rule {index} ({metric}): {source}")]
    Metric {
        path: String,
        index: usize,
        metric: String,
        #[source]
        source: MetricError,
    },
    #[error("{path}: rule {index} ({metric}): {message}")]
    Rule {
        path: String,
        index: usize,
        metric: String,
        message: String,
    },
    #[error("{path}: version {found}; this sipsleuth reads rules files of version {SLO_VERSION}")]
    Version { path: String, found: i64 },
    #[error("{path}: no rule (add [[rule]] tables: docs/verdict.md)")]
    Empty { path: String },
}

/// Reads and checks a rules file.
pub fn load(path: &std::path::Path) -> Result<Vec<Rule>, SloError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| SloError::Io {
        path: p.clone(),
        source: e,
    })?;
    parse(&p, &text)
}

/// Checks a rules file's text (`path` names it in errors).
pub fn parse(path: &str, text: &str) -> Result<Vec<Rule>, SloError> {
    let file: FileToml = toml::from_str(text).map_err(|e| SloError::Toml {
        path: path.to_string(),
        // toml's message holds the line, the column and the offending text
        message: e.to_string().trim_end().replace('\n', "\n  "),
    })?;
    if let Some(v) = file.version.filter(|v| *v != SLO_VERSION) {
        return Err(SloError::Version {
            path: path.to_string(),
            found: v,
        });
    }
    if file.rule.is_empty() {
        return Err(SloError::Empty {
            path: path.to_string(),
        });
    }
    let default_no_data = file.no_data.unwrap_or(NoData::Fail);
    let mut rules = Vec::new();
    for (i, r) in file.rule.into_iter().enumerate() {
        let index = i + 1;
        let err = |message: String| SloError::Rule {
            path: path.to_string(),
            index,
            metric: r.metric.clone(),
            message,
        };
        let metric = Metric::parse(&r.metric).map_err(|source| SloError::Metric {
            path: path.to_string(),
            index,
            metric: r.metric.clone(),
            source,
        })?;
        let op = Op::ALL
            .iter()
            .find(|(s, _)| *s == r.op.trim())
            .map(|(_, o)| *o)
            .ok_or_else(|| {
                err(format!(
                    "unknown op `{}`; ops: {}",
                    r.op,
                    Op::ALL.map(|(s, _)| s).join(" ")
                ))
            })?;
        let threshold = match &r.value {
            toml::Value::Integer(i) => *i as f64,
            toml::Value::Float(f) if f.is_finite() => *f,
            other => {
                return Err(err(format!(
                    "value must be a number, not {}",
                    other.type_str()
                )))
            }
        };
        let scope = match (&r.destination, &r.registrar) {
            (Some(_), Some(_)) => {
                return Err(err("give destination or registrar, not both".into()));
            }
            (Some(d), None) => Scope::Destination(d.clone()),
            (None, Some(reg)) => Scope::Registrar(reg.clone()),
            (None, None) => Scope::All,
        };
        match (metric.family(), &scope) {
            (_, Scope::All)
            | (Family::Calls, Scope::Destination(_))
            | (Family::Registrations, Scope::Registrar(_)) => {}
            (Family::Calls, _) => {
                return Err(err(
                    "a call metric takes `destination`, not `registrar`".into()
                ))
            }
            (Family::Registrations, _) => {
                return Err(err(
                    "a registration metric takes `registrar`, not `destination`".into(),
                ))
            }
            (Family::Findings, _) => {
                return Err(err(
                    "a findings metric is over the whole run (no destination or registrar)".into(),
                ))
            }
        }
        if let Scope::Destination(a) | Scope::Registrar(a) = &scope {
            if a.parse::<std::net::SocketAddr>().is_err() {
                return Err(err(format!(
                    "`{a}` is not an address with a port (as the tables print it: 192.0.2.20:5060, [2001:db8::1]:5060)"
                )));
            }
        }
        let name = r.name.clone().unwrap_or_else(|| {
            let mut n = format!("{} {} {}", r.metric, op.as_str(), threshold);
            if scope != Scope::All {
                n.push_str(&format!(" ({scope})"));
            }
            n
        });
        rules.push(Rule {
            name,
            metric_name: r.metric,
            metric,
            scope,
            op,
            threshold,
            no_data: r.no_data.unwrap_or(default_no_data),
        });
    }
    Ok(rules)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    NoData,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::NoData => "NO DATA",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub name: String,
    pub metric: String,
    pub scope: String,
    pub op: Op,
    pub threshold: f64,
    /// The value judged: for a finding field, the worst of the findings of the kind.
    pub value: Option<f64>,
    pub status: Status,
    /// Whether this rule fails the check (a failure, or no data under `no_data = "fail"`).
    pub fails_check: bool,
    /// Calls, registrations, values or findings behind the value.
    pub sample_size: u64,
    pub evidence: String,
    /// For a findings rule: the first Call-IDs of the findings.
    pub call_ids: Vec<String>,
    /// The capture frames of those calls (`FILE#FRAME`), when the run was read
    /// from captures (the command line fills them in: they need a second pass).
    pub frames: Vec<String>,
}

/// Evaluates every rule on a run.
pub fn evaluate(rules: &[Rule], s: &Snapshot) -> Vec<Outcome> {
    rules
        .iter()
        .map(|r| {
            let m = measure(s, &r.metric, &r.scope);
            // The worst value decides: the first that breaks the rule, else the
            // one closest to breaking it.
            let value =
                m.values
                    .iter()
                    .copied()
                    .find(|v| !r.op.holds(*v, r.threshold))
                    .or_else(|| {
                        m.values.iter().copied().min_by(|a, b| {
                            (a - r.threshold).abs().total_cmp(&(b - r.threshold).abs())
                        })
                    });
            let status = match value {
                None => Status::NoData,
                Some(v) if r.op.holds(v, r.threshold) => Status::Pass,
                Some(_) => Status::Fail,
            };
            Outcome {
                name: r.name.clone(),
                metric: r.metric_name.clone(),
                scope: r.scope.to_string(),
                op: r.op,
                threshold: r.threshold,
                value,
                status,
                fails_check: status == Status::Fail
                    || (status == Status::NoData && r.no_data == NoData::Fail),
                sample_size: m.n,
                evidence: m.evidence,
                call_ids: m.call_ids,
                frames: Vec::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
version = 1
no_data = "fail"

[[rule]]
metric = "asr"
op = ">="
value = 0.95

[[rule]]
name = "PDD p95 to bob"
metric = "pdd_ms.p95"
op = "<="
value = 150
destination = "192.0.2.20:5060"

[[rule]]
metric = "findings.CAPACITY_503_ONSET.calls_per_second_at_onset"
op = ">="
value = 50
no_data = "pass"
"#;

    #[test]
    fn a_rules_file_parses_with_defaults() {
        let rules = parse("slo.toml", GOOD).unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].name, "asr >= 0.95");
        assert_eq!(rules[0].no_data, NoData::Fail);
        assert_eq!(rules[1].scope, Scope::Destination("192.0.2.20:5060".into()));
        assert_eq!(rules[1].threshold, 150.0);
        assert_eq!(rules[2].no_data, NoData::Pass);
    }

    fn error(text: &str) -> String {
        parse("slo.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn errors_say_where_and_what_is_known() {
        let e = error("[[rule]]\nmetric = \"asrr\"\nop = \">=\"\nvalue = 1\n");
        assert!(
            e.starts_with(
                "slo.toml: rule 1 (asrr): unknown metric `asrr`; known metrics: asr, ner"
            ),
            "{e}"
        );
        let e = error("[[rule]]\nmetric = \"asr\"\nop = \"=>\"\nvalue = 1\n");
        assert!(e.contains("unknown op `=>`; ops: < <= > >= == !="), "{e}");
        let e = error("[[rule]]\nmetric = \"asr\"\nop = \">=\"\nvalue = \"high\"\n");
        assert!(e.contains("value must be a number, not string"), "{e}");
        let e = error("[[rule]]\nmetric = \"asr\"\nop = \">=\"\nvalue = 1\nthreshold = 2\n");
        assert!(
            e.contains("unknown field `threshold`") && e.contains("line"),
            "{e}"
        );
        let e = error("[[rule]]\nmetric = \"rrd_ms.p95\"\nop = \"<\"\nvalue = 1\ndestination = \"10.0.0.1:5060\"\n");
        assert!(e.contains("takes `registrar`"), "{e}");
        let e = error("[[rule]]\nmetric = \"asr\"\nop = \">\"\nvalue = 1\ndestination = \"bob\"\n");
        assert!(e.contains("not an address with a port"), "{e}");
        assert!(error("version = 2\n").contains("version 2"));
        assert!(error("").contains("no rule"));
    }

    #[test]
    fn no_data_is_its_own_status_and_counts_as_the_file_says() {
        let rules = parse("slo.toml", GOOD).unwrap();
        let mut s = Snapshot::default();
        s.calls.counts.attempts = 100;
        s.calls.counts.success = 90;
        let out = evaluate(&rules, &s);
        assert_eq!(out[0].status, Status::Fail);
        assert_eq!(out[0].value, Some(0.9));
        assert_eq!(
            (out[0].sample_size, out[0].evidence.as_str()),
            (100, "90 of 100 calls")
        );
        // never reached bob: no data, and the file says that fails
        assert_eq!((out[1].status, out[1].fails_check), (Status::NoData, true));
        // no capacity finding: no data, which this rule lets pass
        assert_eq!((out[2].status, out[2].fails_check), (Status::NoData, false));
    }

    #[test]
    fn a_finding_field_is_judged_on_its_worst_finding() {
        let rules = parse("slo.toml", GOOD).unwrap();
        let mut s = Snapshot::default();
        for cps in [80.0, 12.0] {
            let mut f = crate::verdict::snapshot::FindingFacts {
                kind: "CAPACITY_503_ONSET".into(),
                ..Default::default()
            };
            f.numbers.insert("calls_per_second_at_onset".into(), cps);
            s.findings.push(f);
        }
        let out = evaluate(&rules[2..], &s);
        assert_eq!(
            (out[0].status, out[0].value, out[0].sample_size),
            (Status::Fail, Some(12.0), 2)
        );
    }
}
