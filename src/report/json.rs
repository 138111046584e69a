//! The summary as one JSON object (`analyze --json`). Field names are stable:
//! `frames.total` and the bucket names, `sip.messages`, `sip.requests` (method →
//! count), `sip.responses` (status code as a string → count), …

use crate::accounting::FrameCounts;
use crate::analysis::traffic::TrafficJson;
use crate::capture::CaptureInfo;
use crate::pipeline::InputReport;
use crate::reassembly::ipfrag::FragStats;
use crate::reassembly::sctp::SctpStats;
use crate::reassembly::tcp::TcpStats;
use crate::summary::Summary;
use serde::Serialize;

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct InputJson<'a> {
    path: &'a str,
    complete: bool,
    skipped: bool,
    error: Option<&'a str>,
    capture: Option<&'a CaptureInfo>,
    frames: &'a FrameCounts,
    sip: TrafficJson,
}

#[derive(Serialize)]
struct Reassembly {
    ip_fragments: FragStats,
    tcp: TcpStats,
    sctp: SctpStats,
}

#[derive(Serialize)]
struct Icmp {
    errors: u64,
    quoting_sip: u64,
}

#[derive(Serialize)]
struct MediaJson<'a> {
    #[serde(flatten)]
    counts: &'a crate::media::MediaCounts,
    streams: usize,
    /// Calls per media verdict (docs/metrics.md, Media).
    verdicts: std::collections::BTreeMap<&'static str, u64>,
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    tool: Tool,
    complete: bool,
    frames: &'a FrameCounts,
    sip: TrafficJson,
    calls: &'a crate::analysis::calls::CallSummary,
    registrations: &'a crate::analysis::registrations::RegistrationSummary,
    /// RTP/RTCP and SDP counts, streams followed, media verdicts of the calls.
    media: MediaJson<'a>,
    findings: &'a [crate::diagnosis::Finding],
    transactions: &'a crate::model::transaction::TxStats,
    /// The model's open state at its peak, and limits hit.
    model: &'a crate::model::ModelStats,
    icmp: Icmp,
    reassembly: Reassembly,
    /// How the inputs were merged into one timeline.
    timeline: &'a crate::pipeline::TimelineStats,
    inputs: Vec<InputJson<'a>>,
    /// With `--per-file`: the files table (docs/schema.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    per_file: Option<serde_json::Value>,
}

fn sum_reassembly(inputs: &[&InputReport]) -> Reassembly {
    let mut f = FragStats::default();
    let mut t = TcpStats::default();
    let mut s = SctpStats::default();
    for r in inputs {
        f.merge(&r.ip_fragments);
        t.merge(&r.tcp);
        s.merge(&r.sctp);
    }
    Reassembly {
        ip_fragments: f,
        tcp: t,
        sctp: s,
    }
}

pub fn summary_json(s: &Summary) -> serde_json::Value {
    let reports: Vec<&InputReport> = s.inputs.iter().map(|i| &i.report).collect();
    let j = SummaryJson {
        tool: Tool {
            name: "sipsleuth",
            version: env!("CARGO_PKG_VERSION"),
        },
        complete: s.inputs.iter().all(|i| i.report.complete()),
        frames: &s.frames,
        sip: TrafficJson::from(&s.traffic),
        calls: &s.call_summary,
        registrations: &s.registration_summary,
        media: MediaJson {
            counts: &s.media,
            streams: s.streams.len(),
            verdicts: s
                .calls
                .iter()
                .filter_map(|c| c.media.as_ref()?.verdict)
                .fold(Default::default(), |mut m, v| {
                    *m.entry(v.name()).or_default() += 1;
                    m
                }),
        },
        findings: &s.findings,
        transactions: &s.transactions,
        model: &s.model,
        icmp: Icmp {
            errors: s.traffic.icmp_errors,
            quoting_sip: s.traffic.icmp_quoting_sip,
        },
        reassembly: sum_reassembly(&reports),
        timeline: &s.timeline,
        per_file: s.show_per_file.then(|| {
            crate::report::export::json::value(
                &crate::report::schema::files::TABLE.all(&s.per_file, Default::default()),
            )
        }),
        inputs: s
            .inputs
            .iter()
            .map(|i| InputJson {
                path: &i.report.path,
                complete: i.report.complete(),
                skipped: i.report.skipped,
                error: i.report.error.as_deref(),
                capture: i.report.capture.as_ref(),
                frames: &i.report.frames,
                sip: TrafficJson::from(&i.traffic),
            })
            .collect(),
    };
    serde_json::to_value(j).expect("summary serialises")
}
