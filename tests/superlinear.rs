//! Super-linear paths (issue #17): inputs whose cost grew faster than their size.
//! Each generator here makes a capture that once took quadratic time — thousands
//! of overlapping input files, a SIP header section growing one byte per TCP
//! segment, IP fragments in random order — and the tests check, at a small size,
//! that each is read whole and right. The timing is `bench/superlinear.sh`'s
//! business: it writes each at two sizes with the same code
//! (`SUPERLINEAR_OUT=DIR SUPERLINEAR_SIZE=1|2 cargo test --release --test
//! superlinear write_superlinear_captures`) and prints the time ratio.

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// A classic pcap (LE, µs, Ethernet, IPv4) built frame by frame.
struct Pcap(Vec<u8>);

impl Pcap {
    fn new() -> Self {
        let mut b = Vec::with_capacity(1 << 16);
        b.extend_from_slice(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&65535u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        Pcap(b)
    }

    /// An IPv4 packet; `frag` is (id, more fragments, offset in 8-byte units).
    fn ip(&mut self, t_us: u64, proto: u8, src: [u8; 4], frag: (u16, bool, u16), l4: &[u8]) {
        let mut f = Vec::with_capacity(34 + l4.len());
        f.extend_from_slice(&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
        f.extend_from_slice(&[0x45, 0]);
        f.extend_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
        f.extend_from_slice(&frag.0.to_be_bytes());
        f.extend_from_slice(&((u16::from(frag.1) << 13) | (frag.2 & 0x1fff)).to_be_bytes());
        f.extend_from_slice(&[64, proto, 0, 0]);
        f.extend_from_slice(&src);
        f.extend_from_slice(&[10, 0, 0, 2]);
        f.extend_from_slice(l4);
        let b = &mut self.0;
        b.extend_from_slice(&((t_us / 1_000_000) as u32).to_le_bytes());
        b.extend_from_slice(&((t_us % 1_000_000) as u32).to_le_bytes());
        b.extend_from_slice(&(f.len() as u32).to_le_bytes());
        b.extend_from_slice(&(f.len() as u32).to_le_bytes());
        b.extend_from_slice(&f);
    }

    fn udp(&mut self, t_us: u64, src: [u8; 4], payload: &[u8]) {
        let l4 = udp_datagram(payload);
        self.ip(t_us, 17, src, (1, false, 0), &l4);
    }

    fn tcp(&mut self, t_us: u64, seq: u32, payload: &[u8]) {
        let mut t = Vec::with_capacity(20 + payload.len());
        t.extend_from_slice(&40000u16.to_be_bytes());
        t.extend_from_slice(&5060u16.to_be_bytes());
        t.extend_from_slice(&seq.to_be_bytes());
        t.extend_from_slice(&[0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
        t.extend_from_slice(payload);
        self.ip(t_us, 6, [10, 0, 0, 1], (1, false, 0), &t);
    }

    fn write(&self, p: &Path) {
        std::fs::write(p, &self.0).unwrap();
    }
}

fn udp_datagram(payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::with_capacity(8 + payload.len());
    u.extend_from_slice(&5060u16.to_be_bytes());
    u.extend_from_slice(&5060u16.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

fn options(call_id: &str, body: usize) -> Vec<u8> {
    let mut m = format!(
        "OPTIONS sip:a@x SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK{call_id}\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: {body}\r\n\r\n"
    )
    .into_bytes();
    m.resize(m.len() + body, b'b');
    m
}

/// `n` capture files that all overlap in time (as `n` capture points would), ten
/// requests each: the merge interleaves them all. Was 25 s at 4,000 files; 35,000
/// aborted on `failed to spawn thread` (one thread per overlapping input).
fn overlapping_inputs(dir: &Path, n: usize) -> PathBuf {
    let d = dir.join(format!("overlapping-{n}"));
    std::fs::create_dir_all(&d).unwrap();
    for k in 0..n {
        let mut p = Pcap::new();
        for j in 0..10u64 {
            let msg = options(&format!("ov-{k}-{j}"), 0);
            p.udp(
                1_000_000 + j * 1_000_000 + k as u64,
                [10, 3, (k >> 8) as u8, k as u8],
                &msg,
            );
        }
        p.write(&d.join(format!("cap-{k:05}.pcap")));
    }
    d
}

/// One TCP stream whose only request has a header section growing by one byte
/// per segment, `n` bytes of short header lines: was re-scanned whole per
/// segment (2× input, 4.3× time).
fn growing_header(dir: &Path, n: usize) -> PathBuf {
    let mut p = Pcap::new();
    let head = b"OPTIONS sip:a@x SIP/2.0\r\n";
    assert_eq!(n % 8, 0, "whole header lines");
    let lines = b"X-G: a\r\n".repeat(n / 8);
    let mut seq = 1000u32;
    let mut t = 1_000_000u64;
    p.tcp(t, seq, head);
    seq += head.len() as u32;
    for b in &lines {
        t += 1;
        p.tcp(t, seq, std::slice::from_ref(b));
        seq += 1;
    }
    let tail = b"Via: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bKg\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: grow\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    p.tcp(t + 1, seq, tail);
    let f = dir.join(format!("growing-header-{n}.pcap"));
    p.write(&f);
    f
}

/// `datagrams` UDP datagrams of `per` 8-byte fragments each (the last one shorter
/// is fine: it ends the datagram), every datagram's fragments in a random order.
/// Was 3.9 s at 1,024 per datagram and 45 s at 8,191 for the same 819 k fragments.
fn random_fragments(dir: &Path, datagrams: usize, per: usize) -> PathBuf {
    assert!(per * 8 <= 65_528);
    let mut p = Pcap::new();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut t = 1_000_000u64;
    for d in 0..datagrams {
        // A UDP datagram of exactly `per * 8` bytes carrying one request.
        let id = format!("frag-{d}");
        let want = per * 8 - 8;
        let mut body = want - options(&id, 0).len();
        // The Content-Length digits count too.
        while options(&id, body).len() > want {
            body -= options(&id, body).len() - want;
        }
        let msg = options(&id, body);
        let dgram = udp_datagram(&msg);
        assert_eq!(dgram.len(), per * 8);
        let mut order: Vec<usize> = (0..per).collect();
        for i in (1..order.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            order.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        for i in order {
            let piece = &dgram[i * 8..i * 8 + 8];
            t += 1;
            p.ip(
                t,
                17,
                [10, 4, 0, 1],
                (d as u16, i + 1 < per, i as u16),
                piece,
            );
        }
    }
    let f = dir.join(format!("random-fragments-{datagrams}x{per}.pcap"));
    p.write(&f);
    f
}

/// The three captures at size 1 (small, for tests) or at the bench's base size
/// times `size`: 2,000 files, a 120,000-byte header, 50 datagrams of 4,096 fragments.
fn write_all(dir: &Path, bench_size: Option<usize>) -> [PathBuf; 3] {
    std::fs::create_dir_all(dir).unwrap();
    let (files, header, datagrams, per) = match bench_size {
        None => (150, 20_000, 4, 8_191),
        Some(s) => (2_000 * s, 120_000 * s, 50, 4_096 * s),
    };
    [
        overlapping_inputs(dir, files),
        growing_header(dir, header),
        random_fragments(dir, datagrams, per.min(8_191)),
    ]
}

/// With `SUPERLINEAR_OUT=DIR` and `SUPERLINEAR_SIZE=1|2`, writes the bench's
/// captures and prints their paths; otherwise does nothing (the tests below write
/// the small ones).
#[test]
fn write_superlinear_captures() {
    let Ok(dir) = std::env::var("SUPERLINEAR_OUT") else {
        return;
    };
    let size = std::env::var("SUPERLINEAR_SIZE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    for p in write_all(Path::new(&dir), Some(size)) {
        println!("{}", p.display());
    }
}

/// More overlapping inputs than may be open at once: every request is read, the
/// inputs past the bound are counted as merged late, nothing aborts.
#[test]
fn more_overlapping_inputs_than_the_pool_holds_are_all_read() {
    let d = scratch_dir("superlinear-overlap");
    let [dir, _, _] = write_all(&d, None);
    let (code, j, stderr) = analyze_json(&[&dir]);
    assert_eq!(code, 0, "{stderr}");
    assert_frames_accounted(&j);
    assert_eq!(j["sip"]["requests_total"].as_u64().unwrap(), 10 * 150);
    assert_eq!(j["timeline"]["overlapping_inputs"].as_u64().unwrap(), 150);
    let late = j["timeline"]["inputs_merged_late"].as_u64().unwrap();
    assert!(late > 0 && late < 150, "inputs merged late: {late}");
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn a_header_growing_one_byte_per_segment_is_one_request() {
    let d = scratch_dir("superlinear-header");
    let [_, f, _] = write_all(&d, None);
    let (code, j, stderr) = analyze_json(&[&f]);
    assert_eq!(code, 0, "{stderr}");
    assert_frames_accounted(&j);
    assert_eq!(j["sip"]["requests_total"].as_u64().unwrap(), 1);
    assert_eq!(j["frames"]["sip"].as_u64().unwrap(), 1);
    assert_eq!(j["frames"]["sip_partial"].as_u64().unwrap(), 20_001);
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn fragments_in_random_order_are_reassembled() {
    let d = scratch_dir("superlinear-frag");
    let [_, _, f] = write_all(&d, None);
    let (code, j, stderr) = analyze_json(&[&f]);
    assert_eq!(code, 0, "{stderr}");
    assert_frames_accounted(&j);
    assert_eq!(j["sip"]["requests_total"].as_u64().unwrap(), 4);
    assert_eq!(
        j["reassembly"]["ip_fragments"]["reassembled"]
            .as_u64()
            .unwrap(),
        4
    );
    assert_eq!(j["frames"]["fragment_incomplete"].as_u64().unwrap(), 0);
    std::fs::remove_dir_all(d).unwrap();
}
