//! End-to-end: RTCP reports beside what the capture measured (issue #12). The
//! report values in the streams table are tshark's (`-T fields -e rtcp.*`, run
//! here; `-z rtp,streams` has no RTCP), and `rtcp_check` flags a receiver that
//! lost what the capture saw (a public capture) and a capture that missed what
//! the receiver got (testdata/media/rtcp-missed.pcap).

mod common;
use common::*;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// The last report block per reported SSRC, as tshark reads each RTCP packet's first one:
/// SSRC → (fraction lost, cumulative lost, jitter in timestamp units). None without tshark.
fn tshark_last_reports(file: &Path) -> Option<HashMap<String, (u64, i64, u64)>> {
    let o = match Command::new("tshark")
        .args(["-n", "-r"])
        .arg(file)
        .args([
            "-Y",
            "rtcp.ssrc.cum_nr",
            "-T",
            "fields",
            "-E",
            "occurrence=f",
        ])
        .args(["-e", "rtcp.ssrc.identifier", "-e", "rtcp.ssrc.fraction"])
        .args(["-e", "rtcp.ssrc.cum_nr", "-e", "rtcp.ssrc.jitter"])
        .output()
    {
        Ok(o) if o.status.success() => o,
        Ok(o) => panic!("tshark failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(_) => {
            skip("tshark is not installed (Debian: apt-get install tshark)");
            return None;
        }
    };
    let mut last = HashMap::new();
    for line in String::from_utf8(o.stdout).unwrap().lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let ssrc = u32::from_str_radix(f[0].trim_start_matches("0x"), 16).unwrap();
        last.insert(
            format!("0x{ssrc:08x}"),
            (
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            ),
        );
    }
    Some(last)
}

/// Every stream with a report: its RTCP columns equal tshark's last report about its SSRC,
/// and every SSRC tshark saw reported is carried by a stream of that SSRC (one SSRC can
/// be two streams: to a NAT's address and to the announced one). Returns the streams.
fn same_reports_as_tshark(file: &Path) -> Vec<serde_json::Value> {
    let streams = json_rows("streams", file);
    let Some(tshark) = tshark_last_reports(file) else {
        return streams;
    };
    let mut carried = std::collections::BTreeSet::new();
    for s in streams.iter().filter(|s| !s["rtcp_check"].is_null()) {
        let ssrc = s["ssrc"].as_str().unwrap();
        let at = format!("{} {ssrc}", file.display());
        let &(fraction, cumulative, jitter) = tshark
            .get(ssrc)
            .unwrap_or_else(|| panic!("{at}: tshark has no report"));
        assert_eq!(s["rtcp_fraction_lost"].as_u64(), Some(fraction), "{at}");
        assert_eq!(
            s["rtcp_cumulative_lost"].as_str(),
            Some(cumulative.to_string().as_str()),
            "{at}"
        );
        let clock = s["clock_hz"].as_f64().unwrap();
        let ms = s["rtcp_jitter_ms"].as_f64().unwrap();
        assert!((ms - jitter as f64 * 1000.0 / clock).abs() < 1e-9, "{at}");
        carried.insert(ssrc.to_string());
    }
    let ours: std::collections::BTreeSet<String> = streams
        .iter()
        .map(|s| s["ssrc"].as_str().unwrap().to_string())
        .filter(|s| tshark.contains_key(s))
        .collect();
    assert_eq!(
        carried,
        ours,
        "{}: reports not on their stream",
        file.display()
    );
    assert!(
        !carried.is_empty(),
        "{}: no stream with a report",
        file.display()
    );
    streams
}

fn by_ssrc<'a>(streams: &'a [serde_json::Value], ssrc: &str) -> &'a serde_json::Value {
    streams
        .iter()
        .find(|s| s["ssrc"] == ssrc)
        .unwrap_or_else(|| panic!("no stream {ssrc}"))
}

/// Two baresip phones, no loss: both reports agree with the capture.
#[test]
fn baresip_reports_agree_with_the_capture() {
    let streams = same_reports_as_tshark(&testdata("media/rtcp.pcap"));
    assert_eq!(streams.len(), 2);
    for s in &streams {
        assert_eq!(s["rtcp_check"], "agree", "{s}");
        assert_eq!(s["rtcp_lost_excess"], "0");
    }
}

/// The same call with 21 of alice's frames removed from the capture: bob's report (no
/// loss) says the capture missed them.
#[test]
fn a_capture_that_dropped_frames_is_told_by_the_receivers_report() {
    let streams = same_reports_as_tshark(&testdata("media/rtcp-missed.pcap"));
    let to_bob = streams
        .iter()
        .find(|s| s["direction"] == "caller_to_callee")
        .unwrap();
    assert_eq!(
        (
            to_bob["lost"].as_str(),
            to_bob["rtcp_cumulative_lost"].as_str()
        ),
        (Some("21"), Some("0"))
    );
    assert_eq!(to_bob["rtcp_check"], "capture_missed");
    // Lost when bob's last report left (about 10 s in): 18; the last 3 came after it.
    assert_eq!(to_bob["rtcp_lost_excess"], "-18");
    let to_alice = streams
        .iter()
        .find(|s| s["direction"] == "callee_to_caller")
        .unwrap();
    assert_eq!(to_alice["rtcp_check"], "agree");
    // The terminal table says it with the difference.
    let o = run(&[
        "streams",
        testdata("media/rtcp-missed.pcap").to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("capture_missed -18"));
}

/// Public captures with RTCP: every report equals tshark's. In the conference call the
/// phone at 192.168.0.171 reports 9 packets lost of a stream the capture (at the
/// conference host, 192.168.0.192) saw whole: loss after the capture point. In
/// pijak_sipproxy.pcapng the receiver multiplexes RTCP on its RTP port.
#[test]
fn public_captures_with_rtcp() {
    let Some(dir) = shared_captures_or_skip() else {
        return;
    };
    for name in [
        "SimonK1__Sip-Proxy/traces__pcap2.pcapng",
        "SimonK1__Sip-Proxy/traces__pcap3.pcapng",
        "misosviso__MTAA-SIP-PROXY/pcap__reroute_call.pcapng",
        "samuel-stuba__sip-proxy-mtaa/pijak_sipproxy.pcapng",
    ] {
        let streams = same_reports_as_tshark(&dir.join(name));
        for s in streams.iter().filter(|s| !s["rtcp_check"].is_null()) {
            assert_eq!(s["rtcp_check"], "agree", "{name}: {s}");
        }
    }
    let conference =
        same_reports_as_tshark(&dir.join("misosviso__MTAA-SIP-PROXY/pcap__conference_call.pcapng"));
    let s = by_ssrc(&conference, "0x0c7886c0");
    assert_eq!(
        (s["src"].as_str(), s["dst"].as_str(), s["lost"].as_str()),
        (
            Some("192.168.0.192:7078"),
            Some("192.168.0.171:7078"),
            Some("0")
        )
    );
    assert_eq!(s["rtcp_cumulative_lost"], "9");
    assert_eq!(s["rtcp_check"], "loss_after_capture");
    let flagged = conference
        .iter()
        .filter(|s| s["rtcp_check"] != "agree" && !s["rtcp_check"].is_null())
        .count();
    assert_eq!(flagged, 1, "the other three streams agree");
}
