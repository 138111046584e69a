//! End-to-end on the captures of issue #14's inputs: SIP over SCTP
//! (testdata/sctp-call.pcap), ERF records (testdata/erf-udp.pcap) and ESP with
//! NULL encryption (testdata/esp-null.pcap). Each must give the SIP messages
//! that tshark 4.0 counts (`-q -z sip,stat`, run here when tshark is
//! installed; for ESP with its NULL-encryption heuristic switched on), every
//! frame in one bucket, and the buckets that show how the input was read.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

type Counts = Vec<(String, u64)>;

/// tshark's sip,stat as (requests per method, responses per code), or None without tshark.
fn tshark_sipstat(file: &Path, opts: &[&str]) -> Option<(Counts, Counts)> {
    let o = match Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(opts)
        .args(["-q", "-z", "sip,stat"])
        .output()
    {
        Ok(o) if o.status.success() => o,
        Ok(o) => panic!("tshark failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(_) => {
            eprintln!("skipping the tshark comparison: tshark is not installed");
            return None;
        }
    };
    let (mut req, mut resp) = (Counts::new(), Counts::new());
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        // "  SIP 200 OK   :     2 Packets" or "  INVITE    :     1 Packets"
        let Some((name, n)) = line.split_once(':') else {
            continue;
        };
        let Some(n) = n.trim().strip_suffix(" Packets") else {
            continue;
        };
        let n: u64 = n.trim().parse().unwrap();
        let name = name.trim();
        match name.strip_prefix("SIP ") {
            Some(status) => resp.push((status[..3].to_string(), n)),
            None => req.push((name.to_string(), n)),
        }
    }
    req.sort();
    resp.sort();
    Some((req, resp))
}

/// Our counts for `file`, checked against tshark's; returns the JSON.
fn same_as_tshark(file: &str, tshark_opts: &[&str]) -> serde_json::Value {
    let path = testdata(file);
    let (code, j, stderr) = analyze_json(&[&path]);
    assert_eq!(code, 0, "{stderr}");
    assert_frames_accounted(&j);
    if let Some((req, resp)) = tshark_sipstat(&path, tshark_opts) {
        assert!(!req.is_empty(), "tshark sees SIP in {file}");
        assert_eq!(counts(&j["sip"]["requests"]), req, "requests in {file}");
        assert_eq!(counts(&j["sip"]["responses"]), resp, "responses in {file}");
    }
    j
}

fn pairs(v: &[(&str, u64)]) -> Counts {
    let mut p: Counts = v.iter().map(|(k, n)| (k.to_string(), *n)).collect();
    p.sort();
    p
}

#[test]
fn sip_over_sctp_with_a_fragmented_invite_and_a_retransmitted_chunk() {
    let j = same_as_tshark("sctp-call.pcap", &[]);
    assert_eq!(
        counts(&j["sip"]["requests"]),
        pairs(&[("INVITE", 1), ("ACK", 1), ("BYE", 1)])
    );
    assert_eq!(
        counts(&j["sip"]["responses"]),
        pairs(&[("100", 1), ("180", 1), ("200", 2)])
    );
    assert_eq!(j["sip"]["transports"]["sctp"], 7);
    let f = &j["frames"];
    // The INVITE's 4 DATA fragments: 3 wait, the 4th completes it.
    assert_eq!(f["sip_partial"], 3);
    assert_eq!(f["sip"], 6);
    assert_eq!(f["duplicate"], 1, "the retransmitted DATA chunk");
    assert!(
        f["sctp_control"].as_u64().unwrap() >= 7,
        "INIT…COOKIE_ACK, SACKs, SHUTDOWN…"
    );
    assert_eq!(f["other_ip_protocol"], 0);
    let s = &j["reassembly"]["sctp"];
    assert_eq!(s["fragmented_messages"], 1);
    assert_eq!(s["duplicate_chunks"], 1);
    assert_eq!(s["fragments_never_completed"], 0);
}

#[test]
fn sctp_transport_is_named_in_the_message_listing() {
    let o = run(&["messages", testdata("sctp-call.pcap").to_str().unwrap()]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    let invite = text
        .lines()
        .find(|l| l.contains("INVITE sip:"))
        .expect("the INVITE is listed");
    assert!(invite.contains("SCTP"), "{invite}");
}

/// Two DATA chunks bundled in one packet (the 180 and the 200 of the INVITE)
/// are two messages completed by the same frame.
#[test]
fn two_messages_bundled_in_one_sctp_packet_name_the_same_frame() {
    let o = run(&[
        "messages",
        "--csv",
        testdata("sctp-call.pcap").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let frame_col = header.iter().position(|c| *c == "frame").unwrap();
    let mut frames: Vec<u64> = lines
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            // Count from the end: the start line may hold commas.
            cols[cols.len() - (header.len() - frame_col)]
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(frames.len(), 7);
    frames.sort();
    frames.dedup();
    assert_eq!(frames.len(), 6, "one frame completed two messages");
}

#[test]
fn export_of_an_sctp_call_keeps_every_fragment_of_its_invite() {
    let dir = scratch_dir("sctp-export");
    let out = dir.join("call.pcap");
    let o = run(&[
        "export",
        testdata("sctp-call.pcap").to_str().unwrap(),
        "--call-id",
        "sctp-call@sipsleuth.test",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (code, j, _) = analyze_json(&[&out]);
    assert_eq!(code, 0);
    assert_eq!(j["sip"]["requests"]["INVITE"], 1, "re-read from the export");
    assert_eq!(j["sip"]["messages"], 7);
    assert_eq!(j["frames"]["sip_partial"], 3);
}

#[test]
fn erf_records_of_ethernet_and_ipv4_with_extension_headers() {
    let j = same_as_tshark("erf-udp.pcap", &[]);
    assert_eq!(j["sip"]["messages"], 50);
    assert_eq!(j["sip"]["transports"]["udp"], 50);
    assert_eq!(j["frames"]["sip"], 50);
    assert_eq!(j["frames"]["unsupported_link"], 0);
    assert_eq!(j["inputs"][0]["capture"]["linktypes"][0], 197);
}

/// The ERF capture gives the very messages of the Ethernet capture it rewraps.
#[test]
fn erf_gives_the_same_messages_as_the_plain_capture() {
    let listing = |f: &str| {
        let o = run(&["messages", "--csv", testdata(f).to_str().unwrap()]);
        assert!(o.status.success());
        String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                // Drop the file column, which names the input.
                let cols: Vec<&str> = l.split(',').collect();
                let n = cols.len();
                [&cols[..n - 3], &cols[n - 2..]].concat().join(",")
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(listing("erf-udp.pcap"), listing("udp-register-call.pcap"));
}

#[test]
fn esp_with_null_encryption_is_read_and_encrypted_esp_is_counted_apart() {
    let j = same_as_tshark(
        "esp-null.pcap",
        &["-o", "esp.enable_null_encryption_decode_heuristic:TRUE"],
    );
    // Call 1 in NULL ESP (12-byte ICV one way, 16-byte the other); call 2 under AES.
    assert_eq!(
        counts(&j["sip"]["requests"]),
        pairs(&[("INVITE", 1), ("ACK", 1), ("BYE", 1)])
    );
    assert_eq!(
        counts(&j["sip"]["responses"]),
        pairs(&[("100", 1), ("180", 1), ("200", 2)])
    );
    assert_eq!(j["frames"]["sip"], 7);
    assert_eq!(j["frames"]["esp_encrypted"], 4);
    assert_eq!(j["frames"]["other_ip_protocol"], 0);
}
