//! What a run measured, in the form a verdict needs: per group of calls
//! (all, and per destination) the counts behind every ratio, the final codes
//! and every call's PDD and SRD; per group of registrations (all, and per
//! registrar) the counts and every RRD; each finding's kind and numbers.
//!
//! It is saved in `summary.json` under `verdict` by `analyze --out`
//! (docs/summary-format.md, [`VERSION`]), so that `check` and `diff` work on a
//! run whose captures are gone. The per-call values are kept whole, not
//! sketched: the Kolmogorov–Smirnov test and the percentiles of a saved
//! summary are then exactly those of the capture.

use crate::analysis::calls::CallCounts;
use crate::model::call::CallRecord;
use crate::model::registration::{RegOutcome, RegistrationAttempt};
use crate::summary::Summary;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the snapshot's layout; a reader refuses another.
pub const VERSION: u32 = 1;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CallGroup {
    #[serde(flatten)]
    pub counts: CallCounts,
    /// Final status code (as a string; "none" for no final response) → calls.
    pub final_codes: BTreeMap<String, u64>,
    /// Every call's PDD in ms (calls with a 180/183), sorted.
    pub pdd_ms: Vec<f64>,
    /// Every call's SRD in ms (RFC 6076 §4.1, successful and failed), sorted.
    pub srd_ms: Vec<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RegistrationGroup {
    pub attempts: u64,
    pub registered: u64,
    pub failed: u64,
    /// Every successful attempt's RRD in ms, sorted.
    pub rrd_ms: Vec<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FindingFacts {
    pub kind: String,
    pub severity: String,
    pub summary: String,
    /// The finding's numeric evidence (`calls_per_second_at_onset`, …).
    pub numbers: BTreeMap<String, f64>,
    /// The first Call-IDs it rests on (capped as the finding caps them).
    pub call_ids: Vec<String>,
    pub addresses: Vec<String>,
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    /// The inputs read (paths as given), for the reader of a saved summary.
    pub inputs: Vec<String>,
    /// Every input was read to its end (false: the figures cover what could be read).
    #[serde(default = "yes")]
    pub complete: bool,
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
    pub calls: CallGroup,
    /// Keyed by the destination of the last leg (as `calls` reports it).
    pub per_destination: BTreeMap<String, CallGroup>,
    pub registrations: RegistrationGroup,
    /// Keyed by the registrar address.
    pub per_registrar: BTreeMap<String, RegistrationGroup>,
    pub findings: Vec<FindingFacts>,
}

fn yes() -> bool {
    true
}

/// Values in ms to the microsecond (as the summaries print them), sorted.
fn sorted_ms(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values
        .filter(|x| x.is_finite())
        .map(|x| (x * 1000.0).round() / 1000.0)
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

impl CallGroup {
    pub fn of(calls: &[&CallRecord]) -> CallGroup {
        let mut final_codes: BTreeMap<String, u64> = BTreeMap::new();
        for c in calls {
            *final_codes
                .entry(c.final_code.map_or("none".to_string(), |f| f.to_string()))
                .or_default() += 1;
        }
        CallGroup {
            counts: CallCounts::of_records(calls.iter().copied()),
            final_codes,
            pdd_ms: sorted_ms(calls.iter().filter_map(|c| c.pdd_ms.get())),
            srd_ms: sorted_ms(calls.iter().filter_map(|c| c.srd_ms.get())),
        }
    }
}

impl RegistrationGroup {
    pub fn of(attempts: &[&RegistrationAttempt]) -> RegistrationGroup {
        let outcome = |o| attempts.iter().filter(|a| a.outcome == o).count() as u64;
        RegistrationGroup {
            attempts: attempts.len() as u64,
            registered: outcome(RegOutcome::Registered),
            failed: outcome(RegOutcome::Failed),
            rrd_ms: sorted_ms(
                attempts
                    .iter()
                    .filter(|a| a.outcome == RegOutcome::Registered)
                    .filter_map(|a| a.rrd_ms),
            ),
        }
    }
}

impl Snapshot {
    pub fn of(s: &Summary) -> Snapshot {
        let all: Vec<&CallRecord> = s.calls.iter().collect();
        let mut by_dest: BTreeMap<String, Vec<&CallRecord>> = BTreeMap::new();
        for c in &s.calls {
            by_dest
                .entry(c.destination.to_string())
                .or_default()
                .push(c);
        }
        let attempts: Vec<&RegistrationAttempt> = s.registrations.attempts.iter().collect();
        let mut by_registrar: BTreeMap<String, Vec<&RegistrationAttempt>> = BTreeMap::new();
        for a in &s.registrations.attempts {
            by_registrar
                .entry(a.registrar.to_string())
                .or_default()
                .push(a);
        }
        Snapshot {
            version: VERSION,
            inputs: s.inputs.iter().map(|i| i.report.path.clone()).collect(),
            complete: s.inputs.iter().all(|i| i.report.complete()),
            first_ns: s.first_ns,
            last_ns: s.last_ns,
            calls: CallGroup::of(&all),
            per_destination: by_dest
                .into_iter()
                .map(|(k, v)| (k, CallGroup::of(&v)))
                .collect(),
            registrations: RegistrationGroup::of(&attempts),
            per_registrar: by_registrar
                .into_iter()
                .map(|(k, v)| (k, RegistrationGroup::of(&v)))
                .collect(),
            findings: s
                .findings
                .iter()
                .map(|f| FindingFacts {
                    kind: f.kind.name().to_string(),
                    severity: f.severity.name().to_string(),
                    summary: f.summary.clone(),
                    numbers: f
                        .evidence
                        .counts
                        .iter()
                        .map(|(k, v)| (k.clone(), *v as f64))
                        .collect(),
                    call_ids: f.evidence.call_ids.clone(),
                    addresses: f.evidence.addresses.clone(),
                    first_ns: f.evidence.first_ns,
                    last_ns: f.evidence.last_ns,
                })
                .collect(),
        }
    }
}

impl Snapshot {
    /// The form saved in summary.json: every call is in exactly one
    /// destination's group, so the overall PDD and SRD series (the union of
    /// the destinations') are left out, and [`from_summary_json`] merges them
    /// back. That halves the saved size of a big run.
    pub fn for_saving(&self) -> Snapshot {
        let mut s = self.clone();
        s.calls.pdd_ms.clear();
        s.calls.srd_ms.clear();
        s
    }

    /// The overall series from the destinations' (see [`Snapshot::for_saving`]).
    fn merge_overall_series(&mut self) {
        let merged = |pick: fn(&CallGroup) -> &Vec<f64>, groups: &BTreeMap<String, CallGroup>| {
            let mut v: Vec<f64> = groups
                .values()
                .flat_map(|g| pick(g).iter().copied())
                .collect();
            v.sort_by(|a, b| a.total_cmp(b));
            v
        };
        if self.calls.pdd_ms.is_empty() {
            self.calls.pdd_ms = merged(|g| &g.pdd_ms, &self.per_destination);
        }
        if self.calls.srd_ms.is_empty() {
            self.calls.srd_ms = merged(|g| &g.srd_ms, &self.per_destination);
        }
    }
}

/// Why a saved summary could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SavedError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not JSON: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: no saved summary in it (no `verdict` object: write one with `analyze --out DIR`, sipsleuth 0.1 or later)")]
    NoSnapshot { path: String },
    #[error("{path}: saved summary version {found}; this sipsleuth reads version {VERSION}")]
    Version { path: String, found: u64 },
    #[error("{path}: saved summary malformed: {source}")]
    Malformed {
        path: String,
        #[source]
        source: serde_json::Error,
    },
}

/// Reads the snapshot saved in a summary.json (`analyze --out`).
pub fn read_saved(path: &std::path::Path) -> Result<Snapshot, SavedError> {
    let p = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| SavedError::Io {
        path: p.clone(),
        source: e,
    })?;
    from_summary_json(&p, &bytes)
}

pub fn from_summary_json(path: &str, bytes: &[u8]) -> Result<Snapshot, SavedError> {
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| SavedError::Json {
        path: path.to_string(),
        source: e,
    })?;
    let Some(snap) = v.get("verdict") else {
        return Err(SavedError::NoSnapshot {
            path: path.to_string(),
        });
    };
    let found = snap.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
    if found != u64::from(VERSION) {
        return Err(SavedError::Version {
            path: path.to_string(),
            found,
        });
    }
    let mut s = Snapshot::deserialize(snap).map_err(|e| SavedError::Malformed {
        path: path.to_string(),
        source: e,
    })?;
    s.merge_overall_series();
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_snapshot_reads_back_equal() {
        let mut s = Snapshot {
            version: VERSION,
            ..Default::default()
        };
        s.calls.counts.attempts = 3;
        s.calls.counts.success = 2;
        s.calls.pdd_ms = vec![1.5, 2.25, 300.125];
        s.calls.srd_ms = vec![2.0, 3.0];
        s.calls.final_codes.insert("503".into(), 1);
        // every call in one destination's group, as Snapshot::of makes them
        let a = CallGroup {
            pdd_ms: vec![2.25],
            srd_ms: vec![3.0],
            ..Default::default()
        };
        let b = CallGroup {
            pdd_ms: vec![1.5, 300.125],
            srd_ms: vec![2.0],
            ..Default::default()
        };
        s.per_destination.insert("10.0.0.1:5060".into(), a);
        s.per_destination.insert("10.0.0.2:5060".into(), b);
        let saved = s.for_saving();
        assert!(saved.calls.pdd_ms.is_empty() && saved.calls.srd_ms.is_empty());
        let json = serde_json::json!({ "tool": {}, "verdict": saved });
        let back = from_summary_json("x", json.to_string().as_bytes()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn another_version_or_no_snapshot_is_refused_by_name() {
        let e = from_summary_json("old.json", br#"{"calls": {}}"#).unwrap_err();
        assert!(matches!(e, SavedError::NoSnapshot { .. }), "{e}");
        let e = from_summary_json("new.json", br#"{"verdict": {"version": 2}}"#).unwrap_err();
        assert!(e.to_string().contains("version 2"), "{e}");
        let e = from_summary_json("bad.json", b"{").unwrap_err();
        assert!(matches!(e, SavedError::Json { .. }), "{e}");
    }
}
