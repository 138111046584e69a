//! Builds the seed corpora of the fuzz targets from the repository's test
//! captures, so that fuzzing starts from real traffic rather than from nothing:
//!
//! - capture, pipeline: the capture files themselves (up to a size bound);
//! - decode: every frame, prefixed by its link type's index and a snaplen cut of 0;
//! - ipfrag: the IP fragments of each capture, in capture order, as fragment records;
//! - tcp: the TCP segments of each capture, in capture order, as segment records;
//! - sip: every SIP message (UDP payloads and reassembled TCP messages), one a
//!   file, and each capture's messages concatenated (a stream).
//!
//! Usage: `seeds TESTDATA_DIR CORPUS_DIR` (writes CORPUS_DIR/TARGET/NAME).
//! Files are named by content hash, so running it again adds nothing twice.

use sipsleuth::accounting::FrameCounts;
use sipsleuth::capture::{expand_inputs, read_capture, Frame};
use sipsleuth::decode::{self, Decoded};
use sipsleuth::reassembly::tcp::{At, TcpLimits, TcpReassembler};
use sipsleuth::reassembly::Item;
use sipsleuth_fuzz::{linktype_index, write_frag, write_seg};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::path::Path;

/// Larger seeds slow every execution; the captures above this add little.
const MAX_CAPTURE_SEED: usize = 64 * 1024;
const MAX_RECORD_SEED: usize = 16 * 1024;

fn put(dir: &Path, target: &str, data: &[u8]) -> std::io::Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    let mut h = DefaultHasher::new();
    data.hash(&mut h);
    let d = dir.join(target);
    std::fs::create_dir_all(&d)?;
    std::fs::write(d.join(format!("{:016x}", h.finish())), data)
}

/// Cuts a record stream into seeds of at most MAX_RECORD_SEED bytes at record boundaries.
struct Chunker {
    buf: Vec<u8>,
    prefix: u8,
}

impl Chunker {
    fn new(prefix: u8) -> Self {
        Chunker {
            buf: vec![prefix],
            prefix,
        }
    }
    fn add(&mut self, dir: &Path, target: &str, rec: &[u8]) -> std::io::Result<()> {
        if self.buf.len() + rec.len() > MAX_RECORD_SEED && self.buf.len() > 1 {
            self.flush(dir, target)?;
        }
        self.buf.extend_from_slice(rec);
        Ok(())
    }
    fn flush(&mut self, dir: &Path, target: &str) -> std::io::Result<()> {
        if self.buf.len() > 1 {
            put(dir, target, &self.buf)?;
        }
        self.buf = vec![self.prefix];
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [testdata, out] = args.as_slice() else {
        return Err("usage: seeds TESTDATA_DIR CORPUS_DIR".into());
    };
    let out = Path::new(out);
    let inputs = expand_inputs(&[testdata])?;
    for spec in &inputs {
        let name = spec.display();
        if name.ends_with(".json") || name.ends_with(".md") {
            continue;
        }
        let raw = std::fs::read(&name)?;
        let mut frags = Chunker::new(0);
        let mut segs = Chunker::new(1);
        let mut frag_keys: HashMap<decode::FragKey, u8> = HashMap::new();
        let mut dirs: HashMap<(SocketAddr, SocketAddr), u8> = HashMap::new();
        let mut messages: Vec<Vec<u8>> = Vec::new();
        let mut last_ts: Option<i64> = None;
        let mut tcp = TcpReassembler::new(TcpLimits::default());
        let mut tcp_counts = FrameCounts::default();
        let mut tcp_out: Vec<Item> = Vec::new();
        let mut err: Option<std::io::Error> = None;
        let r = read_capture(spec, &mut |batch: &[Frame<'_>]| {
            for f in batch {
                let res = (|| -> std::io::Result<()> {
                    let dt =
                        last_ts.map_or(0, |l| ((f.ts_ns - l) / 100_000_000).clamp(-128, 127) as i8);
                    last_ts = Some(f.ts_ns);
                    if let Some(i) = linktype_index(f.linktype) {
                        let mut seed = vec![i, 0, 0];
                        seed.extend_from_slice(f.data);
                        put(out, "decode", &seed)?;
                    }
                    match decode::decode_frame(f.linktype, f.data, f.orig_len) {
                        Decoded::Fragment(fr) => {
                            let n = frag_keys.len() as u8;
                            let k = *frag_keys.entry(fr.key).or_insert(n);
                            let mut rec = Vec::new();
                            write_frag(
                                &mut rec,
                                k,
                                fr.more,
                                fr.key.proto == 6,
                                fr.key.src.is_ipv6(),
                                fr.offset.min(u32::from(u16::MAX)) as u16,
                                dt,
                                fr.payload,
                            );
                            frags.add(out, "ipfrag", &rec)?;
                        }
                        Decoded::Tcp(s) => {
                            let n = dirs.len() as u8;
                            let d = *dirs.entry((s.src, s.dst)).or_insert(n);
                            let mut rec = Vec::new();
                            write_seg(&mut rec, d, s.syn, s.fin, s.rst, s.seq, dt, s.payload);
                            segs.add(out, "tcp", &rec)?;
                            let at = At {
                                ts_ns: f.ts_ns,
                                origin: Default::default(),
                            };
                            tcp.segment(&s, at, &mut tcp_out, &mut tcp_counts);
                            for item in tcp_out.drain(..) {
                                if let Item::Sip(m) = item {
                                    messages.push(m.raw().to_vec());
                                }
                            }
                        }
                        Decoded::Udp(d) => {
                            if sipsleuth::sip::scan(&d.payload, sipsleuth::sip::Mode::Datagram)
                                .is_ok()
                            {
                                messages.push(d.payload.to_vec());
                            }
                        }
                        Decoded::Hep(h) => messages.push(h.payload.to_vec()),
                        _ => {}
                    }
                    Ok(())
                })();
                if let Err(e) = res {
                    err.get_or_insert(e);
                }
            }
        });
        if let Some(e) = err {
            return Err(e.into());
        }
        if r.is_err() {
            continue; // not a capture
        }
        if raw.len() <= MAX_CAPTURE_SEED {
            put(out, "capture", &raw)?;
            put(out, "pipeline", &raw)?;
        }
        frags.flush(out, "ipfrag")?;
        segs.flush(out, "tcp")?;
        let mut stream = Vec::new();
        for m in &messages {
            put(out, "sip", m)?;
            if stream.len() + m.len() <= MAX_RECORD_SEED {
                stream.extend_from_slice(m);
            }
        }
        put(out, "sip", &stream)?;
    }
    for t in ["capture", "decode", "ipfrag", "tcp", "sip", "pipeline"] {
        let n = std::fs::read_dir(out.join(t)).map_or(0, |d| d.count());
        println!("seeds: {t}: {n} files");
    }
    Ok(())
}
