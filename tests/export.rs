//! End-to-end: `sipsleuth export` writes the frames of chosen calls — every TCP
//! segment and IP fragment of their messages — and the output, read back by
//! sipsleuth (and by tshark when it is installed), holds the same messages.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// The SIP messages of a capture (optionally one Call-ID) as "METHOD" or "CODE", in listing order.
fn message_labels(capture: &Path, call_id: Option<&str>) -> Vec<String> {
    let mut args = vec!["messages", "--csv", capture.to_str().unwrap()];
    if let Some(id) = call_id {
        args.extend(["--call-id", id]);
    }
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            // time,src,dst,transport,kind,method,status,…: nothing before `status` holds a comma.
            let f: Vec<&str> = l.splitn(8, ',').collect();
            if f[5].is_empty() {
                f[6].to_string()
            } else {
                f[5].to_string()
            }
        })
        .collect()
}

/// `analyze --json`'s frame buckets of a capture.
fn frames(capture: &Path) -> serde_json::Value {
    let (code, j, stderr) = analyze_json(&[capture]);
    assert_eq!(code, 0, "{stderr}");
    assert_frames_accounted(&j);
    j["frames"].clone()
}

fn export(inputs: &[&Path], call_ids: &[&str], out: &Path) -> std::process::Output {
    let mut c = bin();
    c.arg("export").args(inputs).arg("-o").arg(out);
    for id in call_ids {
        c.args(["--call-id", id]);
    }
    c.output().expect("run sipsleuth")
}

/// tshark's SIP messages in a file as "METHOD" or "CODE" tokens (several per
/// frame when a segment carries several), or None when tshark is not installed.
fn tshark_labels(file: &Path, extra: &[&str]) -> Option<Vec<String>> {
    let o = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(extra)
        .args(["-Y", "sip", "-T", "fields"])
        .args(["-e", "sip.Method", "-e", "sip.Status-Code"])
        .output();
    let o = match o {
        Ok(o) if o.status.success() => o,
        Ok(o) => panic!("tshark failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(_) => {
            skip("the tshark check: tshark is not installed");
            return None;
        }
    };
    Some(
        String::from_utf8(o.stdout)
            .unwrap()
            .split(['\t', '\n', ','])
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Exports one call and checks the output: the same messages as the call has
/// in the original, `frames` frames, every one of them used by a message (no
/// partial leftovers), and tshark seeing the same messages.
fn check_call(capture: &str, call_id: &str, frames_expected: u64, tshark_opts: &[&str]) {
    let src = testdata(capture);
    let d = scratch_dir(&format!("export-{}", capture.replace('/', "-")));
    let out = d.join("call.pcap");
    let o = export(&[&src], &[call_id], &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let want = message_labels(&src, Some(call_id));
    assert!(!want.is_empty());
    let got = message_labels(&out, None);
    assert_eq!(got, want, "the call's messages, in order");
    assert_eq!(
        message_labels(&out, Some(call_id)).len(),
        got.len(),
        "only that call"
    );

    let f = frames(&out);
    assert_eq!(f["total"], frames_expected, "{f}");
    // Every frame written carried SIP bytes, and every message is whole again.
    let sip = f["sip"].as_u64().unwrap() + f["sip_partial"].as_u64().unwrap();
    assert_eq!(sip, frames_expected, "{f}");
    for b in [
        "tcp_incomplete",
        "fragment_incomplete",
        "not_sip",
        "duplicate",
    ] {
        assert_eq!(f[b], 0, "{b}: {f}");
    }

    if let Some(t) = tshark_labels(&out, tshark_opts) {
        assert_eq!(sorted(t), sorted(want), "tshark's view of {capture}");
    }
}

#[test]
fn tcp_message_over_out_of_order_segments() {
    // 9 data segments carry the call; the 10th is a retransmission that adds nothing.
    // tshark needs out-of-order reassembly to see the INVITE (testdata/README.md).
    check_call(
        "tcp-multi-per-segment.pcap",
        "call1-answered@sipsleuth.test",
        8,
        &["-o", "tcp.reassemble_out_of_order:TRUE"],
    );
    // The same count, from the original's own accounting: every frame that was
    // SIP or part of SIP there, and nothing else.
    let f = frames(&testdata("tcp-multi-per-segment.pcap"));
    assert_eq!(
        f["sip"].as_u64().unwrap() + f["sip_partial"].as_u64().unwrap(),
        8
    );
}

#[test]
fn ipv4_fragments_all_go_out() {
    // The INVITE's 3 fragments and 6 single-frame messages.
    check_call("ipv4-fragments.pcap", "frag-ipv4@sipsleuth.test", 9, &[]);
}

#[test]
fn ipv6_fragments_all_go_out() {
    check_call("ipv6-fragments.pcap", "frag-ipv6@sipsleuth.test", 9, &[]);
}

#[test]
fn out_of_order_fragments_without_the_duplicate() {
    // 10 frames in the original; the exact duplicate of the first fragment added nothing.
    check_call(
        "ipv4-fragments-disorder.pcap",
        "frag-ipv4@sipsleuth.test",
        9,
        &[],
    );
}

#[test]
fn one_call_of_several_over_tcp_both_hops() {
    // call3-early through the proxy: 8 messages on each hop, one segment each.
    check_call("tcp-calls.pcap", "call3-early@sipsleuth.test", 16, &[]);
}

#[test]
fn one_call_of_several_over_udp_both_hops() {
    check_call(
        "udp-register-call.pcap",
        "call1-answered@sipsleuth.test",
        14,
        &[],
    );
}

/// Splits a little-endian pcap after its first `n` records, as a rotating capture would.
fn split_pcap(src: &Path, n: usize, a: &Path, b: &Path) {
    let bytes = std::fs::read(src).unwrap();
    assert_eq!(
        bytes[..4],
        [0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian µs pcap"
    );
    let mut at = 24;
    for _ in 0..n {
        let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + len;
    }
    std::fs::write(a, &bytes[..at]).unwrap();
    let mut second = bytes[..24].to_vec();
    second.extend_from_slice(&bytes[at..]);
    std::fs::write(b, second).unwrap();
}

#[test]
fn a_message_cut_by_a_file_rotation_comes_out_whole() {
    // Frames 1-5 in one file, 6-21 in the next: the INVITE's missing middle
    // segment (frame 7) is in the second file, its other two in the first.
    let d = scratch_dir("export-rotated");
    let (a, b) = (d.join("part1.pcap"), d.join("part2.pcap"));
    let src = testdata("tcp-multi-per-segment.pcap");
    split_pcap(&src, 5, &a, &b);
    let out = d.join("call.pcap");
    let o = export(&[&a, &b], &["call1-answered@sipsleuth.test"], &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        message_labels(&out, None),
        message_labels(&src, Some("call1-answered@sipsleuth.test"))
    );
    let f = frames(&out);
    assert_eq!(f["total"], 8, "{f}");
    assert_eq!(f["tcp_incomplete"], 0, "{f}");
}

#[test]
fn two_link_types_make_a_pcapng_with_both_calls() {
    let (a, b) = (
        testdata("udp-register-call.pcap"),
        testdata("sll2-udp.pcap"),
    );
    let d = scratch_dir("export-two-links");
    let out = d.join("both.pcap");
    let o = export(
        &[&a, &b],
        &["call2-busy@sipsleuth.test", "sll2-call@sipsleuth.test"],
        &out,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(
        bytes[..4],
        [0x0a, 0x0d, 0x0d, 0x0a],
        "pcapng section header"
    );
    let (_, j, _) = analyze_json(&[&out]);
    let links = &j["inputs"][0]["capture"]["linktypes"];
    assert_eq!(links, &serde_json::json!([1, 276]), "{links}");
    assert_eq!(j["sip"]["messages"], 8 + 7);
    assert_eq!(j["frames"]["total"], 8 + 7);
    if let Some(t) = tshark_labels(&out, &[]) {
        assert_eq!(t.len(), 15);
    }
}

#[test]
fn an_unknown_call_id_is_an_error_and_writes_nothing() {
    let src = testdata("udp-register-call.pcap");
    let d = scratch_dir("export-unknown");
    let out = d.join("none.pcap");
    for ids in [&["nope"][..], &["call1-answered@sipsleuth.test", "nope"]] {
        let o = export(&[&src], ids, &out);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("no SIP message with Call-ID nope"), "{err}");
        assert!(!out.exists());
    }
    assert_eq!(
        std::fs::read_dir(&d).unwrap().count(),
        0,
        "no temporary file left"
    );
}

#[test]
fn stdin_is_refused_with_a_reason() {
    let o = bin()
        .args(["export", "-", "--call-id", "x", "-o"])
        .arg(scratch_dir("export-stdin").join("x.pcap"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read stdin"));
}
