//! A run over any number of inputs, read as one timeline
//! ([`crate::pipeline::timeline`]): one SIP model over every message, traffic
//! counted per input, then the analyses and the diagnosis over the whole.

use crate::accounting::FrameCounts;
use crate::analysis::calls::{self, CallSummary};
use crate::analysis::per_file::{self, FileRow};
use crate::analysis::registrations::{self as reg_analysis, RegistrationSummary};
use crate::analysis::traffic::TrafficCounts;
use crate::capture::InputSpec;
use crate::diagnosis::{self, Finding};
use crate::filter::Filter;
use crate::media::MediaTracker;
use crate::model::call::CallRecord;
use crate::model::registration::Registrations;
use crate::model::transaction::TxStats;
use crate::model::Model;
use crate::pipeline::{run_timeline, InputReport, Limits, Progress, TimelineStats};
use crate::reassembly::{IcmpEvent, Item};

/// One SIP message as a row of the messages file (kept only for `--out`).
#[derive(Clone, Debug)]
pub struct MessageRow {
    pub ts_ns: i64,
    pub src: std::net::SocketAddr,
    pub dst: std::net::SocketAddr,
    pub transport: &'static str,
    pub method: Option<String>,
    pub status: Option<u16>,
    pub call_id: String,
    pub cseq: Option<u32>,
    pub cseq_method: String,
    pub from_tag: String,
    pub to_tag: String,
    pub branch: String,
    pub file: u32,
    pub frame: u64,
    pub length: u32,
    pub defects: String,
    /// The reason phrase of a response.
    pub reason: String,
    /// The transaction layer saw this message before (same request or same status again).
    pub retransmission: bool,
}

impl MessageRow {
    fn of(m: &crate::sip::SipMessage) -> MessageRow {
        let s = |v: Option<&[u8]>| {
            v.map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default()
        };
        MessageRow {
            ts_ns: m.ts_ns,
            src: m.src,
            dst: m.dst,
            transport: m.transport.as_str(),
            method: m.method().map(|b| String::from_utf8_lossy(b).into_owned()),
            status: m.status(),
            call_id: s(m.call_id()),
            cseq: m.cseq().map(|c| c.0),
            cseq_method: s(m.cseq().map(|c| c.1)),
            from_tag: s(m.from_tag()),
            to_tag: s(m.to_tag()),
            branch: s(m.via_branch()),
            file: m.origin.file,
            frame: m.origin.frame,
            length: m.raw().len() as u32,
            defects: m.defects().names().collect::<Vec<_>>().join(";"),
            reason: s(m.reason()),
            retransmission: false,
        }
    }
}

/// What a run keeps besides the figures.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub filter: Filter,
    /// Keep every message and transaction as rows (for the files of `--out`).
    pub keep_rows: bool,
    /// Show one row per input in the reports (`--per-file`).
    pub per_file: bool,
    /// Follow RTP that no SDP announced, as streams of no call (`--rtp-heuristic`).
    pub rtp_heuristic: bool,
}

pub struct InputSummary {
    pub report: InputReport,
    /// SIP traffic of this input (messages are counted in the input that carried them).
    pub traffic: TrafficCounts,
}

/// ICMP errors kept as evidence for the diagnosis.
pub const MAX_ICMP_KEPT: usize = 100_000;

pub struct Summary {
    pub inputs: Vec<InputSummary>,
    pub frames: FrameCounts,
    pub traffic: TrafficCounts,
    /// Every call attempt of every input, in start order.
    pub calls: Vec<CallRecord>,
    pub call_summary: CallSummary,
    /// Every registration attempt and AOR state of every input.
    pub registrations: Registrations,
    pub registration_summary: RegistrationSummary,
    pub transactions: TxStats,
    /// How much state the model held at most.
    pub model: crate::model::ModelStats,
    /// What went wrong, most severe first.
    pub findings: Vec<Finding>,
    /// Rows kept for `--out` (empty unless `Options::keep_rows`), in input then capture order.
    pub messages: Vec<MessageRow>,
    pub transaction_rows: Vec<(crate::model::transaction::Transaction, Box<str>)>,
    /// Every RTP stream followed (those of calls, and heuristic ones when asked), in start order.
    pub streams: Vec<crate::media::StreamRow>,
    /// What the media layer counted (RTP/RTCP packets, unannounced RTP, SDP bodies).
    pub media: crate::media::MediaCounts,
    /// How the inputs were merged into one timeline.
    pub timeline: TimelineStats,
    /// The first and the last frame of all inputs (None when nothing was read).
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
    /// One row per input (always computed; shown in full with `Options::per_file`).
    pub per_file: Vec<FileRow>,
    pub show_per_file: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completeness {
    Complete,
    Partial,
    Nothing,
}

impl Completeness {
    /// From the inputs' reports: nothing when no input could be read as a
    /// capture, complete when every input was read to its end (skipped
    /// non-captures beside readable ones included), else partial.
    pub fn of<'a>(reports: impl IntoIterator<Item = &'a InputReport>) -> Completeness {
        let (mut readable, mut complete) = (false, true);
        for r in reports {
            // A capture cut inside its file header (or at its first record)
            // gave nothing: it counts as unreadable, not as a damaged capture.
            readable |= r
                .capture
                .as_ref()
                .is_some_and(|c| c.problem.is_none() || c.frames > 0);
            complete &= r.complete();
        }
        match (readable, complete) {
            (false, _) => Completeness::Nothing,
            (true, true) => Completeness::Complete,
            (true, false) => Completeness::Partial,
        }
    }
}

/// Batches queued between the decoding side and the model thread.
const MODEL_QUEUE: usize = 4;
/// How many messages ahead of the one modelled the model thread asks for a
/// message's record, then for the table entries its keys lead to, then for the
/// records those entries name (each step needs the one before it in cache).
const PREFETCH_MESSAGE: usize = 11;
const PREFETCH_ENTRIES: usize = 6;
const PREFETCH_RECORDS: usize = 2;

/// What the model thread hands back.
struct Modelled {
    per_input: Vec<TrafficCounts>,
    model: Model,
    icmp: Vec<IcmpEvent>,
    messages: crate::model::rows::Bounded<MessageRow>,
    media: MediaTracker,
}

/// Reads every input as one timeline and, on a thread of its own, runs the SIP
/// model over it: the model (sequential by nature) overlaps with decoding.
pub fn summarize(
    inputs: &[InputSpec],
    limits: &Limits,
    options: &Options,
    progress: &Progress,
) -> Summary {
    let filter = &options.filter;
    let mut stages = StageTimes::start();
    let stage_times = stages.last.is_some();
    let (reports, timeline, modelled) = std::thread::scope(|scope| {
        // Four batches queued ahead of the model: enough to ride out a slow
        // moment of either side; sixteen held 64 MB of messages waiting on a
        // model that is the slower stage anyway (issue #16).
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Item>>(MODEL_QUEUE);
        let (give_back, reuse) = crate::pipeline::batch::recycling(MODEL_QUEUE + 2);
        let n_inputs = inputs.len();
        let model_thread = std::thread::Builder::new()
            .name("model".into())
            .spawn_scoped(scope, move || {
            let mut per_input = vec![TrafficCounts::default(); n_inputs.max(1)];
            let (call_filter, reg_filter) = (filter.clone(), filter.clone());
            let mut model = if options.keep_rows {
                Model::keeping_rows()
            } else {
                Model::default()
            }
            .with_limits(limits.model)
            .with_filters(
                std::sync::Arc::new(move |c| call_filter.call(c)),
                std::sync::Arc::new(move |a| reg_filter.registration(a)),
            );
            let mut messages = crate::model::rows::Bounded::new(limits.model.rows.messages);
            let mut icmp = Vec::new();
            let mut media = MediaTracker::new(options.rtp_heuristic);
            let mut boxes = crate::sip::recycle::GiveBack::default();
            for mut batch in rx {
                let mut items = batch.drain(..);
                while let Some(item) = items.next() {
                    // Cache hints for the messages next in line (issue #16): what the model
                    // reads of a message was written on another core, and its tables'
                    // entries and records are far apart, so each was a miss in turn; asked
                    // for ahead, in three steps (the record, then the entries its keys lead
                    // to, then the records those name), they overlap.
                    let sip = |i: usize| match items.as_slice().get(i) {
                        Some(Item::Sip(m)) => Some(&**m),
                        _ => None,
                    };
                    if let Some(m) = sip(PREFETCH_MESSAGE) {
                        crate::prefetch::record(m);
                    }
                    if let Some(m) = sip(PREFETCH_ENTRIES) {
                        m.prefetch();
                        model.prefetch_entries(m);
                        media.prefetch_entry(m);
                    }
                    if let Some(m) = sip(PREFETCH_RECORDS) {
                        model.prefetch_records(m);
                        media.prefetch_call(m);
                    }
                    // Traffic counts follow the filter message by message; the model sees
                    // everything (its records are filtered afterwards).
                    let (counted, file) = match &item {
                        Item::Sip(m) => (filter.message(m), m.origin.file),
                        Item::Malformed(m) => (filter.is_empty(), m.origin.file),
                        Item::Icmp(e) => (filter.is_empty(), e.origin.file),
                        Item::Rtp(p) => {
                            media.on_rtp(p);
                            continue;
                        }
                        Item::Rtcp(p) => {
                            media.on_rtcp(p);
                            continue;
                        }
                    };
                    if counted {
                        if let Some(t) = per_input.get_mut(file as usize) {
                            t.add(&item);
                        }
                    }
                    match item {
                        Item::Sip(mut m) => {
                            // Calls the model closes settle their media (verdict into the
                            // record, SDP state let go) before this message's SDP is read.
                            let repeated = model.on_message_closing(&m, &mut media);
                            media.on_sip_taking(&mut m);
                            if options.keep_rows && counted {
                                let mut row = MessageRow::of(&m);
                                row.retransmission = repeated;
                                let _ = messages.push(row);
                            }
                            boxes.give(m);
                        }
                        Item::Icmp(e) if icmp.len() < MAX_ICMP_KEPT => icmp.push(*e),
                        _ => {}
                    }
                }
                drop(items);
                give_back.give(batch);
            }
            if stage_times {
                eprintln!("model thread cpu: {:.3} s", thread_cpu_s());
                let (calls, addrs) = media.held();
                eprintln!("media state held at the end: {calls} calls, {addrs} addresses");
                let f = media.footprint();
                eprintln!(
                    "media state: {} streams, {} B per stream held ({} B record + indexes, {} B at least); calls' media {} B",
                    f.streams,
                    f.per_stream().unwrap_or(0),
                    f.stream_record,
                    f.per_stream_min,
                    f.call_bytes
                );
            }
            Modelled {
                per_input,
                model,
                icmp,
                messages,
                media,
            }
        })
            // As `scope.spawn` would: a thread that cannot start is not an input's fault.
            .expect("the model thread starts");
        let mut buf = crate::pipeline::batch::ItemBatcher::reusing(reuse);
        let (reports, timeline) = run_timeline(inputs, limits, progress, &mut |item| {
            if let Some(batch) = buf.push(item) {
                // Only fails if the model thread is gone (it panicked): its join reports that.
                let _ = tx.send(batch);
            }
        });
        if let Some(batch) = buf.finish() {
            let _ = tx.send(batch);
        }
        drop(tx);
        let modelled = model_thread
            .join()
            .expect("the model thread does not panic");
        (reports, timeline, modelled)
    });
    let Modelled {
        per_input,
        model,
        icmp,
        messages,
        mut media,
    } = modelled;
    let first_ns = reports
        .iter()
        .filter_map(|r| r.capture.as_ref()?.first_ts_ns)
        .min();
    let last_ns = reports
        .iter()
        .filter_map(|r| r.capture.as_ref()?.last_ts_ns)
        .max();
    stages.mark("read+model");
    let out = model.finish_closing(last_ns, &mut media);
    stages.mark("model.finish");
    let start = first_ns.unwrap_or(0);
    let end = last_ns.unwrap_or(start);
    let mut frames = FrameCounts::default();
    let mut traffic = TrafficCounts::default();
    for r in &reports {
        frames.merge(&r.frames);
    }
    for t in &per_input {
        traffic.merge(t);
    }
    let per: Vec<InputSummary> = reports
        .into_iter()
        .zip(
            per_input
                .into_iter()
                .chain(std::iter::repeat_with(Default::default)),
        )
        .map(|(report, traffic)| InputSummary { report, traffic })
        .collect();
    let mut model_stats = out.stats;
    model_stats.rows_not_kept.messages = messages.not_kept;
    let messages = messages.into_vec();
    let mut all_calls = out.calls;
    all_calls.retain(|c| filter.call(c));
    let mut registrations = out.registrations;
    registrations.attempts.retain(|a| filter.registration(a));
    if !filter.is_empty() {
        let kept: std::collections::BTreeSet<&str> = registrations
            .attempts
            .iter()
            .map(|a| a.aor.as_str())
            .collect();
        let aors = std::mem::take(&mut registrations.aors);
        registrations.aors = aors
            .into_iter()
            .filter(|a| kept.contains(a.aor.as_str()))
            .collect();
    }
    all_calls.sort_by(|a, b| {
        a.start_ns
            .cmp(&b.start_ns)
            .then_with(|| a.call_id.cmp(&b.call_id))
    });
    // Each record's media was judged as its call closed; an answered call without
    // SDP is NO_MEDIA only in a capture that holds RTP (else it says nothing).
    let has_rtp = media.counts.rtp_packets > 0;
    for c in &mut all_calls {
        if has_rtp && c.media.is_none() && c.category == crate::model::call::Category::Success {
            c.media = Some(crate::media::MediaSummary::no_media());
        }
    }
    registrations.attempts.sort_by_key(|a| a.first_ts_ns);
    let inputs: Vec<_> = per.iter().map(|i| (&i.report, &i.traffic)).collect();
    // Each reads the records and none writes them: run side by side (this tail
    // is single-threaded otherwise, and a load test's is a tenth of its run).
    let ((mut call_summary, registration_summary), (findings, (per_file, streams))) = rayon::join(
        || {
            rayon::join(
                || calls::summarize(&all_calls, &out.calls_not_kept),
                || reg_analysis::summarize(&registrations),
            )
        },
        || {
            rayon::join(
                || {
                    diagnosis::diagnose(&diagnosis::Input {
                        calls: &all_calls,
                        registrations: &registrations,
                        icmp: &icmp,
                        capture_start_ns: start,
                        capture_end_ns: end,
                    })
                },
                || {
                    rayon::join(
                        || per_file::rows(&inputs, &all_calls, &registrations.attempts),
                        || crate::media::stream_rows(&media),
                    )
                },
            )
        },
    );
    call_summary.in_progress_at_start = out.in_progress_at_start;
    call_summary.b2bua_legs_merged = out.b2bua_legs_merged;
    stages.mark("analysis+diagnosis");
    stages.per_message(traffic.messages());
    Summary {
        per_file,
        show_per_file: options.per_file,
        inputs: per,
        frames,
        traffic,
        calls: all_calls,
        call_summary,
        registrations,
        registration_summary,
        transactions: out.transactions,
        model: model_stats,
        findings,
        messages,
        transaction_rows: out.transaction_rows,
        streams,
        media: media.counts,
        timeline,
        first_ns,
        last_ns,
    }
}

/// Wall time per stage, printed to stderr when `SIPSLEUTH_STAGE_TIMES` is set
/// (the benchmark's breakdown; see bench/README.md); with `SIPSLEUTH_COUNT_ALLOCS`
/// also the heap allocations of each stage ([`crate::alloc_count`]).
struct StageTimes {
    last: Option<std::time::Instant>,
    allocs: (u64, u64),
}

impl StageTimes {
    fn start() -> StageTimes {
        StageTimes {
            last: std::env::var_os("SIPSLEUTH_STAGE_TIMES").map(|_| std::time::Instant::now()),
            allocs: crate::alloc_count::counts().unwrap_or_default(),
        }
    }

    fn mark(&mut self, stage: &str) {
        if let Some(last) = self.last {
            let now = std::time::Instant::now();
            eprintln!("stage {stage}: {:.3} s", (now - last).as_secs_f64());
            self.last = Some(now);
        }
        if let Some((a, r)) = crate::alloc_count::counts() {
            let (a0, r0) = std::mem::replace(&mut self.allocs, (a, r));
            eprintln!(
                "stage {stage}: {} allocations, {} reallocations",
                a - a0,
                r - r0
            );
        }
    }

    /// Allocations per SIP message over the whole run, with `SIPSLEUTH_COUNT_ALLOCS`.
    fn per_message(&self, sip_messages: u64) {
        if let Some((a, r)) = crate::alloc_count::counts() {
            let per = |n: u64| n as f64 / sip_messages.max(1) as f64;
            eprintln!(
                "allocations per SIP message: {:.2} (+ {:.2} reallocations; {sip_messages} messages)",
                per(a),
                per(r)
            );
        }
    }
}

/// CPU time of the calling thread (user + system), for the stage report: wall
/// times on a busy machine say little, a thread's CPU time says what it costs.
fn thread_cpu_s() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut u) } != 0 {
        return f64::NAN;
    }
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    s(u.ru_utime) + s(u.ru_stime)
}
