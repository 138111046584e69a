//! Figures over all call attempts: outcome counts, ASR and NER, PDD
//! percentiles, final codes, per destination, and RFC 6076 metrics.
//! Definitions (and why) are in docs/metrics.md.

use super::stats::{percentiles, ratio, Percentiles};
use crate::model::call::{CallFigures, CallRecord, Category};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize)]
pub struct Rfc6076 {
    /// Session Request Delay for attempts that succeeded / failed (RFC 6076 §4.1).
    pub srd_success_ms: Percentiles,
    pub srd_failure_ms: Percentiles,
    /// Session Disconnect Delay: BYE → its final response (§4.2).
    pub sdd_ms: Percentiles,
    /// Session Duration Time: 2xx → BYE, for sessions that ended in the capture (§4.3).
    pub sdt_ms: Percentiles,
    /// Session Establishment Ratio: 2xx / (attempts − 3xx) (§4.6).
    pub ser: Option<f64>,
    /// Session Establishment Effectiveness Ratio: (2xx, 480, 486, 600, 603) / (attempts − 3xx) (§4.7).
    pub seer: Option<f64>,
    /// Ineffective Session Attempts: (408, 500, 503, 504) / attempts (§4.8).
    pub isa: Option<f64>,
    /// Session Completion Ratio: answered sessions ended by a BYE that got its 2xx / attempts (§4.9).
    pub scr: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct DestinationStats {
    pub attempts: u64,
    pub success: u64,
    pub asr: Option<f64>,
    pub pdd_p50_ms: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CallSummary {
    pub attempts: u64,
    /// Category → count (every category present, zeros included).
    pub outcomes: BTreeMap<&'static str, u64>,
    /// Answer-seizure ratio: SUCCESS / attempts (0–1).
    pub asr: Option<f64>,
    /// Network effectiveness ratio: (SUCCESS + TIMEOUT) / attempts (0–1). Busy (486,
    /// 600) and decline (603) are not counted: that is this tool's mapping table
    /// ([`NER_NOTE`]), not ITU-T E.411's.
    pub ner: Option<f64>,
    /// NER as ITU-T E.411 reads it: the network delivered the call when the callee
    /// answered, was busy (486, 600), declined (603), did not answer (408, 480), or
    /// rang until the caller gave up (487 after CANCEL, with a 180/183 first).
    pub ner_e411: Option<f64>,
    /// What NER counts, said beside it ([`NER_NOTE`]).
    pub ner_note: &'static str,
    /// Calls already in progress when the capture began (their INVITE was not
    /// captured): counted here, never as attempts.
    pub in_progress_at_start: u64,
    /// B2BUA legs folded into the calls they carried (not counted as attempts).
    pub b2bua_legs_merged: u64,
    pub pdd_ms: Percentiles,
    /// Answered attempts that had no 180/183 (so no PDD).
    pub answered_without_ringing: u64,
    pub answer_ms: Percentiles,
    pub duration_ms: Percentiles,
    /// Final status code (as a string) → attempts; "none" for no final response.
    pub final_codes: BTreeMap<String, u64>,
    pub auth_challenged: u64,
    /// The busiest destinations (at most [`MAX_DESTINATIONS`]).
    pub per_destination: BTreeMap<String, DestinationStats>,
    /// Destinations left out of `per_destination` (0 unless there were more than [`MAX_DESTINATIONS`]).
    pub destinations_omitted: u64,
    pub rfc6076: Rfc6076,
}

/// Said beside NER wherever it is printed: readers who know ITU-T E.411 expect busy
/// and decline to count as delivered.
pub const NER_NOTE: &str = "NER counts 200 and 408/480 only; busy (486/600) and decline (603) are excluded by this definition (ITU-T E.411 counts them: see NER (E.411))";

/// The counts every call ratio is made of (numerator and denominator), kept
/// apart from the ratios so that a saved summary (`verdict::snapshot`) can
/// hold them and a test of proportions can use them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CallCounts {
    pub attempts: u64,
    pub success: u64,
    pub timeout: u64,
    /// Final response 3xx (left out of SER and SEER's denominator).
    pub redirected: u64,
    /// SEER's numerator: success, 480, 486, 600, 603.
    pub seer_effective: u64,
    /// ISA's numerator: 408, 500, 503, 504.
    pub ineffective: u64,
    /// SCR's numerator: answered and ended by a BYE that got its 2xx.
    pub completed: u64,
    /// NER (E.411)'s numerator.
    pub delivered_e411: u64,
}

impl CallCounts {
    pub fn of<'a>(calls: impl IntoIterator<Item = &'a CallFigures>) -> CallCounts {
        let code_in =
            |c: &CallFigures, set: &[u16]| c.final_code().is_some_and(|f| set.contains(&f));
        let mut n = CallCounts::default();
        for c in calls {
            let success = c.category == Category::Success;
            n.attempts += 1;
            n.success += u64::from(success);
            n.timeout += u64::from(c.category == Category::Timeout);
            n.redirected += u64::from(c.final_code().is_some_and(|f| (300..400).contains(&f)));
            n.seer_effective += u64::from(success || code_in(c, &[480, 486, 600, 603]));
            n.ineffective += u64::from(code_in(c, &[408, 500, 503, 504]));
            n.completed +=
                u64::from(success && c.bye_final_code().is_some_and(|f| (200..300).contains(&f)));
            n.delivered_e411 += u64::from(
                matches!(
                    c.category,
                    Category::Success | Category::Timeout | Category::Rejected
                ) || (c.category == Category::Cancelled && c.pdd_ms().is_some()),
            );
        }
        n
    }

    /// The counts of call records (kept rows only).
    pub fn of_records<'a>(calls: impl IntoIterator<Item = &'a CallRecord>) -> CallCounts {
        let figures: Vec<CallFigures> = calls.into_iter().map(CallFigures::of).collect();
        CallCounts::of(&figures)
    }

    pub fn asr(&self) -> Option<f64> {
        ratio(self.success, self.attempts)
    }
    pub fn ner(&self) -> Option<f64> {
        ratio(self.success + self.timeout, self.attempts)
    }
    pub fn ner_e411(&self) -> Option<f64> {
        ratio(self.delivered_e411, self.attempts)
    }
    pub fn ser(&self) -> Option<f64> {
        ratio(self.success, self.attempts - self.redirected)
    }
    pub fn seer(&self) -> Option<f64> {
        ratio(self.seer_effective, self.attempts - self.redirected)
    }
    pub fn isa(&self) -> Option<f64> {
        ratio(self.ineffective, self.attempts)
    }
    pub fn scr(&self) -> Option<f64> {
        ratio(self.completed, self.attempts)
    }
}

/// Figures over every call: the records kept, and the figures of the calls past
/// `--limit rows.calls` (`not_kept`), so counts, ratios and percentiles stay exact.
pub fn summarize(kept: &[CallRecord], not_kept: &[CallFigures]) -> CallSummary {
    let calls: Vec<CallFigures> = kept
        .iter()
        .map(CallFigures::of)
        .chain(not_kept.iter().cloned())
        .collect();
    summarize_figures(&calls)
}

fn summarize_figures(calls: &[CallFigures]) -> CallSummary {
    let n = CallCounts::of(calls);
    let count = |c: Category| calls.iter().filter(|x| x.category == c).count() as u64;
    let outcomes = Category::ALL
        .iter()
        .map(|c| (c.name(), count(*c)))
        .collect();
    let mut final_codes: BTreeMap<String, u64> = BTreeMap::new();
    for c in calls {
        *final_codes
            .entry(c.final_code().map_or("none".to_string(), |f| f.to_string()))
            .or_default() += 1;
    }
    let mut per_destination: BTreeMap<String, DestinationStats> = BTreeMap::new();
    let mut pdd_by_dest: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for c in calls {
        let key = c.destination.to_string();
        let d = per_destination.entry(key.clone()).or_default();
        d.attempts += 1;
        d.success += u64::from(c.category == Category::Success);
        if let Some(p) = c.pdd_ms() {
            pdd_by_dest.entry(key).or_default().push(p);
        }
    }
    for (k, d) in per_destination.iter_mut() {
        d.asr = ratio(d.success, d.attempts);
        d.pdd_p50_ms = pdd_by_dest.remove(k).and_then(|v| percentiles(v).p50);
    }
    let destinations_omitted = cap_destinations(&mut per_destination);
    CallSummary {
        attempts: n.attempts,
        ner_e411: n.ner_e411(),
        ner_note: NER_NOTE,
        in_progress_at_start: 0,
        b2bua_legs_merged: 0,
        outcomes,
        asr: n.asr(),
        ner: n.ner(),
        pdd_ms: percentiles(calls.iter().filter_map(|c| c.pdd_ms())),
        answered_without_ringing: calls
            .iter()
            .filter(|c| c.category == Category::Success && c.pdd_ms().is_none())
            .count() as u64,
        answer_ms: percentiles(calls.iter().filter_map(|c| c.answer_ms())),
        duration_ms: percentiles(calls.iter().filter_map(|c| c.duration_ms())),
        final_codes,
        auth_challenged: calls.iter().filter(|c| c.auth_challenged).count() as u64,
        per_destination,
        destinations_omitted,
        rfc6076: Rfc6076 {
            srd_success_ms: percentiles(
                calls
                    .iter()
                    .filter(|c| c.category == Category::Success)
                    .filter_map(|c| c.srd_ms()),
            ),
            srd_failure_ms: percentiles(
                calls
                    .iter()
                    .filter(|c| c.category != Category::Success)
                    .filter_map(|c| c.srd_ms()),
            ),
            sdd_ms: percentiles(calls.iter().filter_map(|c| c.disconnect_ms())),
            sdt_ms: percentiles(calls.iter().filter_map(|c| c.duration_ms())),
            ser: n.ser(),
            seer: n.seer(),
            isa: n.isa(),
            scr: n.scr(),
        },
    }
}

/// Destinations listed at most in `per_destination`: the ones with the most attempts.
/// A capture can hold a call to each of a million addresses (a scan, a spoofed flood);
/// the overall figures count them all.
pub const MAX_DESTINATIONS: usize = 1_000;

/// Keeps the [`MAX_DESTINATIONS`] destinations with the most attempts (ties: by
/// address); returns how many were left out.
fn cap_destinations(per: &mut BTreeMap<String, DestinationStats>) -> u64 {
    if per.len() <= MAX_DESTINATIONS {
        return 0;
    }
    let mut by_attempts: Vec<(u64, String)> =
        per.iter().map(|(k, d)| (d.attempts, k.clone())).collect();
    by_attempts.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let omitted = by_attempts.split_off(MAX_DESTINATIONS);
    for (_, k) in &omitted {
        per.remove(k);
    }
    omitted.len() as u64
}

#[cfg(test)]
mod tests {
    use super::{cap_destinations, DestinationStats, MAX_DESTINATIONS};
    use std::collections::BTreeMap;

    #[test]
    fn a_million_destinations_keep_the_busiest_thousand_and_count_the_rest() {
        let mut per: BTreeMap<String, DestinationStats> = (0..MAX_DESTINATIONS + 5)
            .map(|k| {
                let d = DestinationStats {
                    attempts: if k < 3 { 100 } else { 1 },
                    ..Default::default()
                };
                (format!("10.0.{}.{}:5060", k / 256, k % 256), d)
            })
            .collect();
        assert_eq!(cap_destinations(&mut per), 5);
        assert_eq!(per.len(), MAX_DESTINATIONS);
        // The three busiest are kept whatever their order as text.
        for k in 0..3 {
            assert!(per.contains_key(&format!("10.0.0.{k}:5060")));
        }
    }
}
