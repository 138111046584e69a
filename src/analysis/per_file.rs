//! One summary row per input file of an archive (`--per-file`), so that a bad
//! hour stands out: its frames, SIP messages, the calls and registrations that
//! started in it and how many of them failed.
//!
//! Messages are counted in the file that carried them. Calls and registration
//! attempts belong to the file whose time span holds their first message (they
//! are built from the whole timeline, so they have no file of their own); when
//! several files overlap that moment (two capture points), the first of them in
//! time order takes it.

use crate::analysis::traffic::TrafficCounts;
use crate::model::call::{CallRecord, Category};
use crate::model::registration::{RegOutcome, RegistrationAttempt};
use crate::pipeline::InputReport;

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct FileRow {
    pub file: String,
    /// "pcap", "pcapng", "netmon" with "+gzip"/"+zstd"; empty when unreadable.
    pub format: String,
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
    pub frames: u64,
    pub sip_messages: u64,
    pub requests: u64,
    pub responses: u64,
    /// Frames repeating another: TCP retransmissions, repeated fragments, and SIP
    /// datagrams another capture point already delivered.
    pub duplicates: u64,
    pub calls: u64,
    /// Calls that went wrong: ERROR (a 4xx/5xx/6xx other than the callee's no)
    /// or NO_ANSWER (no final response at all).
    pub calls_failed: u64,
    /// Calls the callee turned down or did not pick up: REJECTED, TIMEOUT (408/480).
    pub calls_rejected: u64,
    pub registrations: u64,
    pub registrations_failed: u64,
    /// "complete", "skipped: …", "unreadable: …" or the damage found.
    pub status: String,
}

/// One row per input, from its report and its SIP traffic (in input order).
pub fn rows(
    inputs: &[(&InputReport, &TrafficCounts)],
    calls: &[CallRecord],
    registrations: &[RegistrationAttempt],
) -> Vec<FileRow> {
    let mut rows: Vec<FileRow> = inputs.iter().map(|(r, t)| row(r, t)).collect();
    // Files with a time span, by start, to place each record.
    let mut spans: Vec<(i64, i64, usize)> = rows
        .iter()
        .enumerate()
        .filter_map(|(k, r)| Some((r.first_ns?, r.last_ns?, k)))
        .collect();
    spans.sort();
    let place = |t: i64| -> Option<usize> {
        // The last file starting at or before t; walk back over overlapping ones
        // to the first whose span still holds t.
        let end = spans.partition_point(|s| s.0 <= t);
        let last = end.checked_sub(1)?;
        let holding = spans[end.saturating_sub(64)..end]
            .iter()
            .find(|s| s.1 >= t)
            .map(|s| s.2);
        Some(holding.unwrap_or(spans[last].2))
    };
    for c in calls {
        if let Some(k) = place(c.start_ns) {
            let r = &mut rows[k];
            r.calls += 1;
            match c.category {
                Category::Error | Category::NoAnswer => r.calls_failed += 1,
                Category::Rejected | Category::Timeout => r.calls_rejected += 1,
                _ => {}
            }
        }
    }
    for a in registrations {
        if let Some(k) = place(a.first_ts_ns) {
            let r = &mut rows[k];
            r.registrations += 1;
            if a.outcome == RegOutcome::Failed {
                r.registrations_failed += 1;
            }
        }
    }
    rows
}

fn row(r: &InputReport, traffic: &TrafficCounts) -> FileRow {
    let c = r.capture.as_ref();
    // The row names the file already: errors without their leading "PATH: ".
    let reason = |e: &str| {
        e.strip_prefix(r.path.as_str())
            .and_then(|rest| rest.strip_prefix(": "))
            .unwrap_or(e)
            .to_string()
    };
    let status = match (&r.error, c.and_then(|c| c.problem.as_ref())) {
        (Some(e), _) if r.skipped => format!("skipped: {}", reason(e)),
        (Some(e), _) => format!("unreadable: {}", reason(e)),
        (None, Some(p)) => p.to_string(),
        (None, None) => "complete".into(),
    };
    FileRow {
        file: r.path.clone(),
        format: c.map_or(String::new(), |c| {
            let f = format!("{:?}", c.format).to_lowercase();
            match c.compression {
                crate::capture::Compression::None => f,
                z => format!("{f}+{}", format!("{z:?}").to_lowercase()),
            }
        }),
        first_ns: c.and_then(|c| c.first_ts_ns),
        last_ns: c.and_then(|c| c.last_ts_ns),
        frames: r.frames.total(),
        sip_messages: traffic.messages(),
        requests: traffic.requests().values().sum(),
        responses: traffic.responses().values().sum(),
        duplicates: r.frames.get(crate::accounting::Bucket::Duplicate),
        status,
        ..FileRow::default()
    }
}
