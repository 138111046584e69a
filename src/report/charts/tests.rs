//! Chart tests: binning, colours, time axes, and byte-identical output.

use super::*;
use crate::diagnosis::{Evidence, Severity};
use crate::sip::Transport;

const S: i64 = 1_000_000_000;
const T0: i64 = 1_700_000_000 * S;

/// A call record for tests (also the HTML report's).
pub(crate) fn call(i: usize, start: i64, code: Option<u16>, pdd_ms: Option<f64>) -> CallRecord {
    let addr = |s: &str| std::sync::Arc::new(s.parse().unwrap());
    CallRecord {
        call_id: format!("call-{i}").into(),
        start_ns: start,
        caller: addr("10.1.0.1:5060"),
        first_hop: addr("10.0.0.1:5060"),
        destination: addr("10.2.0.1:5060"),
        transport: Transport::Udp,
        from_uri: "sip:a@x".into(),
        to_uri: "sip:b@x".into(),
        request_uri: "sip:b@x".into(),
        user_agent: "UA".into(),
        category: code.map_or(Category::Incomplete, |c| Category::of_final(c, c == 487)),
        final_code: code,
        final_ns: code.map(|_| start + S / 2).into(),
        retry_after_s: None,
        final_reason: None,
        labels: Default::default(),
        pdd_ms: pdd_ms.into(),
        pdd_code: pdd_ms.map(|_| 180),
        srd_ms: None.into(),
        answer_ms: None.into(),
        ring_ms: None.into(),
        duration_ms: None.into(),
        disconnect_ms: None.into(),
        end_ns: (code == Some(200)).then_some(start + 20 * S).into(),
        hangup_by: None,
        bye_final_code: None,
        auth_challenges: 0,
        invite_transmissions: 1,
        invite_retransmissions: 0,
        reinvites: 0,
        early_dialogs: 0,
        legs: Box::default(),
        b2bua_call_ids: Box::default(),
        fold_keys: None,
        media: None,
    }
}

fn attempt(i: usize, ts: i64, cause: Option<FailureCause>) -> RegistrationAttempt {
    RegistrationAttempt {
        call_id: format!("reg-{i}"),
        aor: format!("sip:u{i}@x"),
        registrar: "10.0.0.1:5060".parse().unwrap(),
        client: "10.3.0.1:5060".parse().unwrap(),
        user_agent: None,
        first_ts_ns: ts,
        final_ts_ns: Some(ts + S / 10),
        outcome: if cause.is_some() {
            RegOutcome::Failed
        } else {
            RegOutcome::Registered
        },
        cause,
        final_code: None,
        retry_after_s: None,
        challenges: 0,
        requests: 1,
        retransmissions: 0,
        requested_expires: Some(3600),
        requested_expires_defaulted: false,
        granted_expires: None,
        is_deregistration: false,
        is_query: false,
        is_refresh: false,
        rrd_ms: None,
        min_expires: None,
        stale_challenges: 0,
        auth_mismatch: None,
        rejected_credentials: 0,
        final_reason: None,
        final_warning: None,
        last_request_ns: 0,
    }
}

fn onset(ts: i64) -> Finding {
    Finding {
        kind: Kind::Capacity503Onset,
        severity: Severity::Critical,
        summary: "503s from 10.0.0.1".into(),
        evidence: Evidence {
            first_ns: Some(ts),
            ..Default::default()
        },
        advice: vec![],
    }
}

/// Two minutes of traffic: calls succeed, then 503s take over at 80 s; registrations fail now and then.
fn sample() -> (Vec<CallRecord>, Vec<RegistrationAttempt>, Vec<Finding>) {
    const CODES: [u16; 11] = [486, 487, 480, 404, 408, 603, 500, 302, 488, 481, 404];
    let calls = (0..400)
        .map(|i| {
            let start = T0 + i as i64 * S * 3 / 10;
            let code = if start >= T0 + 80 * S && i % 3 != 0 {
                Some(503)
            } else if i % 7 == 0 {
                Some(CODES[i / 7 % CODES.len()])
            } else if i % 50 == 1 {
                None
            } else {
                Some(200)
            };
            // 150–450 ms, and a long tail of two.
            let pdd = match i {
                5 => Some(20_000.0),
                6 => Some(15_000.0),
                _ => Some(150.0 + ((i * 37) % 300) as f64),
            };
            call(i, start, code, pdd.filter(|_| code == Some(200)))
        })
        .collect();
    let causes = [
        FailureCause::AuthRejected,
        FailureCause::ServiceUnavailable,
        FailureCause::ChallengeUnanswered,
        FailureCause::NoResponse,
    ];
    let attempts = (0..240)
        .map(|i| {
            let cause = (i % 4 == 0).then(|| causes[i / 4 % causes.len()]);
            attempt(i, T0 + i as i64 * S / 2, cause)
        })
        .collect();
    (calls, attempts, vec![onset(T0 + 80 * S)])
}

/// `n` RTP streams of 100 G.711 packets (heuristic: no call), stream k losing 2k packets
/// and arriving with up to 3k ms of jitter: from clean to bad (also the HTML report's).
pub(crate) fn streams(n: usize) -> Vec<crate::media::StreamRow> {
    let mut t = crate::media::MediaTracker::new(true);
    for k in 0..n {
        let src: std::net::SocketAddr = format!("10.9.0.1:{}", 10_000 + 2 * k).parse().unwrap();
        let dst: std::net::SocketAddr = format!("10.9.0.2:{}", 20_000 + 2 * k).parse().unwrap();
        for seq in (0..100u16).filter(|s| !(10..10 + 2 * k as u16).contains(s)) {
            let late_ms = if seq % 2 == 1 { 3 * k as i64 } else { 0 };
            t.on_rtp(&crate::media::RtpPacket {
                ts_ns: T0 + (i64::from(seq) * 20 + late_ms) * 1_000_000,
                origin: Default::default(),
                src,
                dst,
                ssrc: k as u32,
                seq,
                timestamp: u32::from(seq) * 160,
                pt: 0,
                marker: false,
                payload_len: 160,
            });
        }
    }
    crate::media::stream_rows(&t)
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sipsleuth-charts-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// SIPSLEUTH_KEEP_CHARTS=DIR: copy the charts there, to look at them.
fn keep_for_viewing(files: &[PathBuf], prefix: &str) {
    if let Ok(keep) = std::env::var("SIPSLEUTH_KEEP_CHARTS") {
        for f in files {
            let name = format!("{prefix}{}", f.file_name().unwrap().to_str().unwrap());
            std::fs::copy(f, Path::new(&keep).join(name)).unwrap();
        }
    }
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |r: std::ops::Range<usize>| u32::from_be_bytes(bytes[r].try_into().unwrap());
    let header = (be(16..20), be(20..24));
    // And it decodes, to that size.
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).unwrap();
    assert_eq!((frame.width, frame.height), header);
    header
}

#[test]
fn every_chart_is_written_as_svg_and_png() {
    let (calls, attempts, findings) = sample();
    let streams = streams(12);
    let d = ChartData {
        streams: &streams,
        ..ChartData::new(&calls, &attempts, &findings, Some(T0), Some(T0 + 150 * S))
    };
    let dir = temp_dir("all");
    let written = write_all(&dir, &d).unwrap();
    let mut expected = Vec::new();
    for k in ChartKind::ALL {
        expected.push(dir.join(format!("{}.svg", k.name())));
        expected.push(dir.join(format!("{}.png", k.name())));
    }
    assert_eq!(written, expected);
    for k in ChartKind::ALL {
        let png = std::fs::read(dir.join(format!("{}.png", k.name()))).unwrap();
        assert_eq!(png_size(&png), (WIDTH, HEIGHT), "{}", k.name());
        let svg = std::fs::read_to_string(dir.join(format!("{}.svg", k.name()))).unwrap();
        assert!(svg.starts_with("<svg"), "{}", k.name());
        assert!(svg.contains(k.title()), "{}: title", k.name());
        let labels: &[&str] = match k {
            ChartKind::PddHistogram => &["PDD (ms)", "\ncalls\n", "p99 = "],
            ChartKind::PddCdf => &["PDD (ms)", "calls with PDD at or below x (%)", "p90 = "],
            ChartKind::Outcomes => &["outcome category (400 calls)", "SUCCESS", "NO_ANSWER"],
            ChartKind::FinalCodesOverTime => &[
                "time since capture start (s)",
                "calls per 5 s",
                "503 Service Unavailable (",
                " other codes (",
            ],
            ChartKind::Load => &[
                "time since capture start (s)",
                "started per second (mean over 5 s)",
                "concurrent calls",
                "503 onset (80 s)",
            ],
            ChartKind::RegistrationFailuresOverTime => &[
                "time since capture start (s)",
                "failed attempts per 5 s",
                "AUTH_REJECTED (15)",
            ],
            ChartKind::StreamQuality => &[
                "largest interarrival jitter (ms)",
                "packets lost (%)",
                "MOS ≥ 4.0 (",
                "MOS &lt; 3.1 (",
                "streams: 12",
            ],
        };
        for l in labels {
            assert!(svg.contains(l), "{}: {l:?} missing", k.name());
        }
    }
    keep_for_viewing(&written, "");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn charts_of_a_real_capture() {
    // SIPp calls through kamailio (10 attempts, 9 final codes), a registration capture and
    // a call with RTP (its two streams: one with loss), together.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let inputs = [
        crate::capture::InputSpec::Path(root.join("calls/calls-udp.pcap")),
        crate::capture::InputSpec::Path(root.join("registrations/registrations.pcap")),
        crate::capture::InputSpec::Path(root.join("media/loss.pcap")),
    ];
    let s = crate::summary::summarize(
        &inputs,
        &Default::default(),
        &Default::default(),
        &Default::default(),
    );
    assert_eq!((s.calls.len(), s.streams.len()), (11, 2));
    let dir = temp_dir("real");
    let written = write_charts(&dir, &s).unwrap();
    assert_eq!(written.len(), 2 * ChartKind::ALL.len());
    for f in &written {
        let bytes = std::fs::read(f).unwrap();
        if f.extension().unwrap() == "png" {
            assert_eq!(png_size(&bytes), (WIDTH, HEIGHT));
        }
    }
    let svg = chart_svg(ChartKind::Outcomes, &s).unwrap();
    assert_eq!(
        svg,
        std::fs::read_to_string(dir.join("outcomes.svg")).unwrap()
    );
    assert!(svg.contains("outcome category (11 calls)"));
    let rtp = chart_svg(ChartKind::StreamQuality, &s).unwrap();
    assert!(
        rtp.contains("streams: 2") && rtp.contains("with loss: 1"),
        "{rtp}"
    );
    keep_for_viewing(&written, "real-");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn nothing_to_draw_writes_nothing() {
    for (start, end) in [(None, None), (Some(T0), Some(T0 + 60 * S))] {
        let d = ChartData::new(&[], &[], &[], start, end);
        assert!(ChartKind::ALL.iter().all(|&k| prepare(k, &d).is_none()));
        let dir = temp_dir("empty");
        assert_eq!(write_all(&dir, &d).unwrap(), Vec::<PathBuf>::new());
        assert!(!dir.exists());
    }
    // A finding alone draws nothing either.
    let f = [onset(T0)];
    let d = ChartData::new(&[], &[], &f, None, None);
    assert!(ChartKind::ALL.iter().all(|&k| prepare(k, &d).is_none()));
}

#[test]
fn single_values_and_a_zero_length_capture_draw() {
    // One call, answered, one PDD; one failed registration; all at one instant.
    let calls = [call(0, T0, Some(200), Some(0.0))];
    let attempts = [attempt(0, T0, Some(FailureCause::Forbidden))];
    let findings = [onset(T0)];
    let one_stream = streams(1);
    for (start, end) in [(None, None), (Some(T0), Some(T0))] {
        let d = ChartData {
            streams: &one_stream,
            ..ChartData::new(&calls, &attempts, &findings, start, end)
        };
        for k in ChartKind::ALL {
            let c = prepare(k, &d).unwrap_or_else(|| panic!("{} has data", k.name()));
            assert!(render_svg(&c).unwrap().contains(k.title()));
            assert_eq!(png_size(&render_png(&c).unwrap()), (WIDTH, HEIGHT));
        }
    }
    // Calls without a final response or PDD: no PDD and no final-code chart, the rest drawn.
    let calls = [call(0, T0, None, None), call(1, T0 + S, None, None)];
    let d = ChartData::new(&calls, &[], &[], None, None);
    let kinds: Vec<_> = ChartKind::ALL
        .into_iter()
        .filter(|&k| prepare(k, &d).is_some())
        .collect();
    assert_eq!(kinds, [ChartKind::Outcomes, ChartKind::Load]);
    // Registrations only, none failed: the load chart alone.
    let attempts = [attempt(0, T0, None)];
    let d = ChartData::new(&[], &attempts, &[], None, None);
    let c = prepare(ChartKind::Load, &d).unwrap();
    let svg = render_svg(&c).unwrap();
    assert!(svg.contains("registrations started/s"), "{svg}");
    assert!(!svg.contains("concurrent calls (right axis)"), "{svg}");
    assert!(prepare(ChartKind::RegistrationFailuresOverTime, &d).is_none());
}

#[test]
fn output_is_deterministic() {
    let (calls, attempts, findings) = sample();
    let streams = streams(5);
    let d = ChartData {
        streams: &streams,
        ..ChartData::new(&calls, &attempts, &findings, None, None)
    };
    for k in ChartKind::ALL {
        let c = prepare(k, &d).unwrap();
        assert_eq!(render_svg(&c).unwrap(), render_svg(&c).unwrap());
        assert_eq!(render_png(&c).unwrap(), render_png(&c).unwrap());
    }
}

#[test]
fn timeline_has_about_sixty_buckets_in_seconds_or_minutes() {
    let t = Timeline::new(T0, T0 + 120 * S);
    assert_eq!((t.bucket_ns, t.buckets, t.unit_s), (2 * S, 60, 1));
    assert_eq!((t.bucket(T0), t.bucket(T0 + 120 * S)), (0, 59));
    assert_eq!(t.bucket_text(), "2 s");
    let t = Timeline::new(T0, T0);
    assert_eq!((t.bucket_ns, t.buckets, t.x_max()), (S, 1, 1.0));
    assert_eq!(t.bucket_text(), "second");
    let t = Timeline::new(T0, T0 + 3600 * S);
    assert_eq!((t.bucket_ns, t.buckets, t.unit_s), (60 * S, 60, 60));
    assert_eq!(
        (t.x(T0 + 90 * S), t.x_desc().as_str()),
        (1.5, "time since capture start (min)")
    );
    assert_eq!(t.bucket_text(), "1 min");
    let t = Timeline::new(T0, T0 + 601 * S);
    assert_eq!((t.bucket_ns, t.buckets, t.unit_s), (15 * S, 41, 60));
    // Three days: buckets of two hours.
    let t = Timeline::new(T0, T0 + 3 * 86400 * S);
    assert_eq!((t.bucket_text(), t.buckets), ("2 h".to_string(), 36));
    assert_eq!(t.x_desc(), "time since capture start (h)");
}

/// Two unrelated captures 16 years apart: the axis counts days, not millions of minutes.
#[test]
fn inputs_years_apart_get_a_time_axis_in_days() {
    let t = Timeline::new(T0, T0 + 6084 * 86400 * S);
    assert_eq!(t.x_desc(), "time since capture start (d)");
    assert_eq!(t.bucket_text(), "102 d");
    assert!(t.x_max() < 7000.0, "{}", t.x_max());
}

#[test]
fn concurrency_follows_calls_in_flight() {
    let mut answered = call(0, T0, Some(200), None); // until its BYE at +20 s
    answered.end_ns = Some(T0 + 20 * S).into();
    let never_hung_up = {
        let mut c = call(1, T0 + 5 * S, Some(200), None);
        c.end_ns = None.into(); // to the end of the capture
        c
    };
    let busy = call(2, T0 + 10 * S, Some(486), None); // half a second
    let mut no_answer = call(3, T0 + 30 * S, None, None);
    no_answer.category = Category::NoAnswer; // Timer B: 32 s
    let calls = [answered, never_hung_up, busy, no_answer];
    let t = Timeline::new(T0, T0 + 100 * S); // 2 s buckets
    let c = concurrency(&calls, &t, T0 + 100 * S);
    assert_eq!((c[0], c[2], c[5], c[9], c[10], c[11]), (1, 2, 3, 2, 1, 1));
    assert_eq!((c[15], c[30], c[31], c[49]), (2, 2, 1, 1));
    // A call that ends when another starts is not counted twice.
    let a = {
        let mut a = call(0, T0, Some(486), None);
        a.final_ns = Some(T0 + S).into();
        a
    };
    let b = call(1, T0 + S, Some(486), None);
    assert_eq!(concurrency(&[a, b], &t, T0 + 100 * S)[0], 1);
}

#[test]
fn final_codes_keep_the_top_eight_and_sum_the_rest() {
    let codes = [
        200, 200, 200, 486, 486, 503, 404, 408, 480, 487, 603, 500, 302,
    ];
    let calls: Vec<_> = codes
        .iter()
        .enumerate()
        .map(|(i, &c)| call(i, T0 + i as i64 * S, Some(c), None))
        .collect();
    let d = ChartData::new(&calls, &[], &[], None, None);
    let s = final_codes(&d).unwrap();
    let labels: Vec<&str> = s.series.iter().map(|x| x.label.as_str()).collect();
    // 200 and 486 lead, then the lowest codes among the singles; 503 and 603 are "other".
    assert_eq!(
        labels,
        [
            "200 OK (3)",
            "302 Moved Temporarily (1)",
            "404 Not Found (1)",
            "408 Request Timeout (1)",
            "480 Temporarily Unavailable (1)",
            "486 Busy Here (2)",
            "487 Request Terminated (1)",
            "500 Server Internal Error (1)",
            "2 other codes (2)",
        ]
    );
    let total: u64 = s.series.iter().flat_map(|x| x.counts.iter()).sum();
    assert_eq!(total, codes.len() as u64);
    // A ninth code alone is itself, not "1 other codes".
    let calls = &calls[..calls.len() - 1];
    let d = ChartData::new(calls, &[], &[], None, None);
    let s = final_codes(&d).unwrap();
    assert_eq!(s.series.len(), 9);
    assert_eq!(s.series[8].label, "603 Decline (1)");
}

#[test]
fn pdd_histogram_cuts_a_long_tail_and_says_so() {
    let mut v: Vec<f64> = (0..1000).map(|i| 100.0 + (i % 200) as f64).collect();
    v.extend([30_000.0, 31_000.0]);
    v.sort_by(|a, b| a.total_cmp(b));
    let h = pdd_histogram(&v).unwrap();
    assert_eq!((h.hidden, h.hidden_max), (2, 31_000.0));
    assert_eq!((h.lo, h.width, h.counts.len()), (100.0, 10.0, 20));
    assert_eq!(h.counts.iter().sum::<u64>(), 1000);
    // One value: one bin around it.
    let h = pdd_histogram(&[250.0]).unwrap();
    assert_eq!((h.lo, h.width, h.counts.clone()), (250.0, 50.0, vec![1]));
    assert!(pdd_histogram(&[]).is_none() && pdd_cdf(&[]).is_none());
    // The CDF stops at the same place, short of 100 %, and marks nearest-rank percentiles.
    let c = pdd_cdf(&v).unwrap();
    assert_eq!(c.points.last().copied(), Some((299.0, 100_000.0 / 1002.0)));
    assert!(c.points.iter().all(|p| p.0 <= 299.0));
    assert!(c.stats.iter().any(|l| l == "2 above 3 × p99 off the chart"));
    assert!(c.x_range.1 < 310.0);
    let p50 = c.marks.iter().find(|m| m.0 == "p50").unwrap();
    assert_eq!((p50.1, p50.2), (200.0, 50.0));
    // Without a tail: every value, up to 100 %.
    let c = pdd_cdf(&v[..1000]).unwrap();
    assert_eq!(c.points.last().copied(), Some((299.0, 100.0)));
    assert_eq!(c.points.len(), 2001);
}
