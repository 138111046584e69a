//! gencap: generates large, realistic SIP (+RTP) captures for sipsleuth's
//! benchmarks and counting tests. Standard library only, deterministic per seed.
//!
//! The capture is taken at a SIP proxy during a load test: UACs (10.1.x.y)
//! call UASs (10.2.x.y) through the proxy 10.0.0.10; media flows directly
//! between the endpoints. The run starts in steady state (calls already
//! talking, UAs already registered) unless `--no-warm` is given.

mod pcap;
mod rng;
mod sip;

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use pcap::{Ep, Pcap, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN};
use rng::{mix, Rng};
use sip::{
    ip4, CallInfo, Hop, Method, Msg, Orig, Tag, PROXY_IP, TXN_ACK2XX, TXN_BYE, TXN_INVITE,
    TXN_INVITE_AUTH,
};

const MS: u64 = 1_000;
const SEC: u64 = 1_000_000;

const N_UAC: u32 = 4000;
const N_UAS: u32 = 300;
const REG_EXPIRES: u32 = 600;
const OPTIONS_INTERVAL: u64 = 30 * SEC;
const RTP_PTIME: u64 = 20 * MS;
const RTCP_INTERVAL: u64 = 5 * SEC;

const TOS_SIP: u8 = 0x60;
const TOS_RTP: u8 = 0xb8;

// ---------------------------------------------------------------- options

#[derive(Clone, Copy, PartialEq, Eq)]
enum Profile {
    Rtp,
    SipOnly,
}

struct Config {
    out: PathBuf,
    size: u64,
    profile: Profile,
    seed: u64,
    cps: f64,
    min_dur: f64,
    max_dur: f64,
    tcp_share: f64,
    warm: bool,
    quiet: bool,
}

const USAGE: &str = "\
usage: gencap --out FILE [--size SIZE] [--profile rtp|sip-only] [--seed N] [--format pcap]
              [--cps RATE] [--min-dur S] [--max-dur S] [--tcp-share F] [--no-warm] [--quiet]

  --out FILE         capture to write (classic pcap, little-endian, microseconds, Ethernet)
  --size SIZE        stop once the file reaches SIZE bytes; suffixes K, M, G (powers of 1024). Default 1G
  --profile P        rtp (SIP + G.711 RTP/RTCP, default) or sip-only (signalling only)
  --seed N           PRNG seed (default 1); same seed and options -> same file
  --format pcap      the only format supported
  --cps RATE         new calls per second (default 50 for rtp, 500 for sip-only)
  --min-dur/--max-dur S   talk time of answered calls, uniform (default 20..120 s)
  --tcp-share F      fraction of calls signalled over TCP (default 0.05)
  --no-warm          start from an idle system instead of steady state
  --quiet            print nothing (FILE.expected.json is still written)

Writes FILE.expected.json with the SIP counts on the wire (every message,
retransmissions included; a TCP segment holding two messages counts two).";

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mul) = match s.chars().last()?.to_ascii_uppercase() {
        'K' => (&s[..s.len() - 1], 1u64 << 10),
        'M' => (&s[..s.len() - 1], 1 << 20),
        'G' => (&s[..s.len() - 1], 1 << 30),
        'T' => (&s[..s.len() - 1], 1 << 40),
        _ => (s, 1),
    };
    let v: f64 = num.parse().ok()?;
    if v.is_nan() || v <= 0.0 {
        return None;
    }
    Some((v * mul as f64) as u64)
}

fn parse_args() -> Result<Config, String> {
    let mut out = None;
    let mut size = 1u64 << 30;
    let mut profile = Profile::Rtp;
    let mut seed = 1u64;
    let mut cps = None;
    let mut min_dur = 20.0;
    let mut max_dur = 120.0;
    let mut tcp_share = 0.05;
    let mut warm = true;
    let mut quiet = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut val = |name: &str| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args.next().ok_or_else(|| format!("{name} needs a value")),
            }
        };
        let bad = |name: &str, v: &str| format!("bad value for {name}: {v}");
        match key.as_str() {
            "--out" | "-o" => out = Some(PathBuf::from(val("--out")?)),
            "--size" | "-s" => {
                let v = val("--size")?;
                size = parse_size(&v).ok_or_else(|| bad("--size", &v))?;
            }
            "--profile" => {
                let v = val("--profile")?;
                profile = match v.as_str() {
                    "rtp" => Profile::Rtp,
                    "sip-only" | "sip" => Profile::SipOnly,
                    _ => return Err(bad("--profile", &v)),
                }
            }
            "--seed" => {
                let v = val("--seed")?;
                seed = v.parse().map_err(|_| bad("--seed", &v))?;
            }
            "--format" => {
                let v = val("--format")?;
                if v != "pcap" {
                    return Err(format!("unsupported --format {v} (only pcap)"));
                }
            }
            "--cps" => {
                let v = val("--cps")?;
                let x: f64 = v.parse().map_err(|_| bad("--cps", &v))?;
                if x.is_nan() || x <= 0.0 {
                    return Err(bad("--cps", &v));
                }
                cps = Some(x);
            }
            "--min-dur" => {
                let v = val("--min-dur")?;
                min_dur = v.parse().map_err(|_| bad("--min-dur", &v))?;
            }
            "--max-dur" => {
                let v = val("--max-dur")?;
                max_dur = v.parse().map_err(|_| bad("--max-dur", &v))?;
            }
            "--tcp-share" => {
                let v = val("--tcp-share")?;
                tcp_share = v.parse().map_err(|_| bad("--tcp-share", &v))?;
            }
            "--no-warm" => warm = false,
            "--quiet" | "-q" => quiet = true,
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => return Err(format!("unknown argument: {a}")),
        }
    }
    let out = out.ok_or("--out FILE is required")?;
    if !(min_dur >= 1.0 && max_dur > min_dur) {
        return Err("need 1 <= --min-dur < --max-dur".into());
    }
    if !(0.0..=1.0).contains(&tcp_share) {
        return Err("--tcp-share must be within 0..1".into());
    }
    let cps = cps.unwrap_or(match profile {
        Profile::Rtp => 50.0,
        Profile::SipOnly => 500.0,
    });
    Ok(Config {
        out,
        size,
        profile,
        seed,
        cps,
        min_dur,
        max_dur,
        tcp_share,
        warm,
        quiet,
    })
}

// ---------------------------------------------------------------- model

#[derive(Clone, Copy, PartialEq, Eq)]
enum Act {
    Sip,
    RtpStart,
    Close,
}

const F_COALESCE: u8 = 1; // TCP: send this message and the next in one segment
const F_SPLIT: u8 = 2; // TCP: send this message in two segments

#[derive(Clone, Copy)]
struct Step {
    t: u64,
    act: Act,
    flags: u8,
    msg: Msg,
}

#[derive(Clone, Copy, Default)]
struct Conn {
    open: bool,
    c_port: u16,
    c_seq: u32,
    s_seq: u32,
}

#[derive(Clone, Copy, Default)]
struct RtpDir {
    ssrc: u32,
    seq: u16,
    ts: u32,
    next: u64,
    pkts: u32,
    octets: u32,
    marker: bool,
}

struct Call {
    gen: u32,
    info: CallInfo,
    conn: [Conn; 2],
    rtp: [RtpDir; 2],
    rtp_end: u64,
    steps: Vec<Step>,
    next: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Answered,
    Busy,
    Cancelled,
    Unavailable,
    Timeout,
    NoAnswer,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    NewCall,
    Step,
    Rtp,
    Rtcp,
    Reg,
    Opt,
}

#[derive(Clone, Copy)]
struct Ev {
    t: u64,
    seq: u64,
    kind: Kind,
    sub: u8,
    id: u32,
    gen: u32,
}
impl PartialEq for Ev {
    fn eq(&self, o: &Self) -> bool {
        self.t == o.t && self.seq == o.seq
    }
}
impl Eq for Ev {}
impl PartialOrd for Ev {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ev {
    // reversed: BinaryHeap is a max-heap, we want the earliest event first
    fn cmp(&self, o: &Self) -> Ordering {
        (o.t, o.seq).cmp(&(self.t, self.seq))
    }
}

struct Uac {
    ip: u32,
    /// next ephemeral TCP port for connections to the proxy
    port_next: u16,
    user: u32,
    ua: u8,
    cseq: u32,
    registered: bool,
    challenge: bool,
}
struct Uas {
    ip: u32,
    /// next ephemeral port of the proxy's connections to this UAS
    port_next: u16,
    ua: u8,
    pings: u32,
}

#[derive(Default)]
struct Stats {
    req: [u64; 6],
    resp: Vec<u64>,
    rtp: u64,
    rtcp: u64,
    tcp_segments: u64,
    calls: u64,
    warm_calls: u64,
    tcp_calls: u64,
}
impl Stats {
    fn count(&mut self, code: u16, m: Method) {
        if code == 0 {
            self.req[m as usize] += 1;
        } else {
            self.resp[code as usize] += 1;
        }
    }
    fn sip_total(&self) -> u64 {
        self.req.iter().sum::<u64>() + self.resp.iter().sum::<u64>()
    }
}

struct Gen {
    cfg: Config,
    rng: Rng,
    out: Pcap,
    st: Stats,
    heap: BinaryHeap<Ev>,
    evseq: u64,
    calls: Vec<Call>,
    free: Vec<u32>,
    uac: Vec<Uac>,
    uas: Vec<Uas>,
    buf: Vec<u8>,
    body: Vec<u8>,
    payload: Vec<u8>,
    next_call: u64,
}

// ---------------------------------------------------------------- helpers

const EPH_LO: u16 = 32768;
const EPH_HI: u16 = 60999;

fn next_port(p: &mut u16) -> u16 {
    let v = *p;
    *p = if v >= EPH_HI { EPH_LO } else { v + 1 };
    v
}

/// Random duration in microseconds, uniform in [lo_ms, hi_ms).
fn dms(rng: &mut Rng, lo_ms: f64, hi_ms: f64) -> u64 {
    ((lo_ms + (hi_ms - lo_ms) * rng.unit()) * 1000.0) as u64
}

fn uac_ip(i: u32) -> u32 {
    ip4(10, 1, (i / 250) as u8, (i % 250 + 1) as u8)
}
fn uas_ip(i: u32) -> u32 {
    ip4(10, 2, (i / 250) as u8, (i % 250 + 1) as u8)
}

/// 8 KiB of G.711 mu-law-like audio (low-level noise around the zero codes).
fn make_payload(rng: &mut Rng) -> Vec<u8> {
    (0..8192)
        .map(|_| {
            let mag = (rng.below(24)) as u8; // quiet signal
            let sign = if rng.chance(0.5) { 0x80 } else { 0x00 };
            (0x7f - mag) | sign
        })
        .collect()
}

/// One TCP connection end-point pair: (client, server).
fn conn_eps(c: &Call, k: usize) -> (Ep, Ep) {
    let cn = &c.conn[k];
    if k == 0 {
        (
            Ep {
                ip: c.info.a_ip,
                port: cn.c_port,
            },
            Ep {
                ip: PROXY_IP,
                port: 5060,
            },
        )
    } else {
        (
            Ep {
                ip: PROXY_IP,
                port: cn.c_port,
            },
            Ep {
                ip: c.info.b_ip,
                port: 5060,
            },
        )
    }
}

const SYN_OPTS: [u8; 8] = [0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02]; // MSS 1460, NOP NOP SACK_PERM

impl Gen {
    fn new(cfg: Config) -> std::io::Result<Self> {
        let out = Pcap::create(&cfg.out)?;
        let mut rng = Rng::new(cfg.seed);
        let payload = make_payload(&mut rng);
        let uac = (0..N_UAC)
            .map(|i| Uac {
                ip: uac_ip(i),
                port_next: rng.range(EPH_LO as u64, EPH_HI as u64 + 1) as u16,
                user: 100_000 + i,
                ua: rng.below(sip::UAC_AGENTS.len() as u64) as u8,
                cseq: 1 + rng.below(5000) as u32,
                registered: false,
                challenge: false,
            })
            .collect();
        let uas = (0..N_UAS)
            .map(|i| Uas {
                ip: uas_ip(i),
                port_next: rng.range(EPH_LO as u64, EPH_HI as u64 + 1) as u16,
                ua: rng.below(sip::UAS_AGENTS.len() as u64) as u8,
                pings: 0,
            })
            .collect();
        let st = Stats {
            resp: vec![0; 700],
            ..Default::default()
        };
        Ok(Gen {
            cfg,
            rng,
            out,
            st,
            heap: BinaryHeap::with_capacity(1 << 16),
            evseq: 0,
            calls: Vec::new(),
            free: Vec::new(),
            uac,
            uas,
            buf: Vec::with_capacity(4096),
            body: Vec::with_capacity(1024),
            payload,
            next_call: 1,
        })
    }

    fn push(&mut self, t: u64, kind: Kind, sub: u8, id: u32, gen: u32) {
        self.evseq += 1;
        self.heap.push(Ev {
            t,
            seq: self.evseq,
            kind,
            sub,
            id,
            gen,
        });
    }

    fn rtp_on(&self) -> bool {
        self.cfg.profile == Profile::Rtp
    }

    /// A fresh call slot with new identity; returns the slot index.
    fn alloc_call(&mut self) -> usize {
        let rng = &mut self.rng;
        let id = self.next_call;
        self.next_call += 1;
        let a = rng.below(N_UAC as u64) as u32;
        let b = rng.below(N_UAS as u64) as u32;
        let tcp = rng.chance(self.cfg.tcp_share);
        let info = CallInfo {
            id: mix(self.cfg.seed, id),
            a_ip: self.uac[a as usize].ip,
            a_user: self.uac[a as usize].user,
            b_ip: self.uas[b as usize].ip,
            dialed: 15_550_000_000 + rng.below(10_000_000),
            tcp,
            auth: 0,
            a_rtp: 2 * rng.range(8192, 16383) as u16,
            b_rtp: 2 * rng.range(5000, 15000) as u16,
            ua_a: self.uac[a as usize].ua,
            ua_b: self.uas[b as usize].ua,
        };
        let mut conn = [Conn::default(); 2];
        if tcp {
            // sequential ephemeral ports (as a real stack): no two live
            // connections share a 4-tuple
            conn[0].c_port = next_port(&mut self.uac[a as usize].port_next);
            conn[1].c_port = next_port(&mut self.uas[b as usize].port_next);
        }
        for c in conn.iter_mut() {
            c.c_seq = rng.next_u32();
            c.s_seq = rng.next_u32();
        }
        let mut rtp = [RtpDir::default(); 2];
        for r in rtp.iter_mut() {
            r.ssrc = rng.next_u32();
            r.seq = rng.next_u32() as u16;
            r.ts = rng.next_u32();
            r.marker = true;
        }
        self.st.calls += 1;
        if tcp {
            self.st.tcp_calls += 1;
        }
        let slot = match self.free.pop() {
            Some(s) => s as usize,
            None => {
                self.calls.push(Call {
                    gen: 0,
                    info,
                    conn,
                    rtp,
                    rtp_end: 0,
                    steps: Vec::with_capacity(32),
                    next: 0,
                });
                return self.calls.len() - 1;
            }
        };
        let c = &mut self.calls[slot];
        c.gen = c.gen.wrapping_add(1);
        c.info = info;
        c.conn = conn;
        c.rtp = rtp;
        c.rtp_end = 0;
        c.steps.clear();
        c.next = 0;
        slot
    }

    // ------------------------------------------------------------ planning

    /// Plans a new call starting at t0: the full SIP ladder as seen at the proxy.
    fn plan_new_call(&mut self, slot: usize, t0: u64) {
        use Hop::*;
        use Method::*;
        let rng = &mut self.rng;
        let rtp_on = self.cfg.profile == Profile::Rtp;
        let (min_dur, max_dur) = (self.cfg.min_dur, self.cfg.max_dur);
        let c = &mut self.calls[slot];
        let tcp = c.info.tcp;
        let u = rng.unit();
        let outcome = if u < 0.80 {
            Outcome::Answered
        } else if u < 0.85 {
            Outcome::Busy
        } else if u < 0.90 {
            Outcome::Cancelled
        } else if u < 0.93 {
            Outcome::Unavailable
        } else if u < 0.95 {
            Outcome::Timeout
        } else {
            Outcome::NoAnswer
        };
        c.info.auth = if rng.chance(0.15) {
            if rng.chance(0.7) {
                1
            } else {
                2
            }
        } else {
            0
        };
        let auth = c.info.auth;
        let mut p = Plan {
            v: &mut c.steps,
            cseq: 1 + rng.below(900) as u32,
            txn: TXN_INVITE,
        };
        let mut t = t0;

        p.req(t, AP, Invite, Orig::A, Tag::No);
        if !tcp && rng.chance(0.04) {
            // no 100 Trying within Timer A: the UAC retransmits
            t += 500 * MS;
            p.req(t, AP, Invite, Orig::A, Tag::No);
        }
        if auth != 0 {
            let code = if auth == 1 { 407 } else { 401 };
            t += dms(rng, 0.2, 1.5);
            p.resp(t, PA, code, Invite, Orig::A, Tag::P, true);
            t += dms(rng, 0.5, 3.0);
            p.req(t, AP, Ack, Orig::A, Tag::P);
            t += dms(rng, 2.0, 25.0);
            p.cseq += 1;
            p.txn = TXN_INVITE_AUTH;
            p.req(t, AP, Invite, Orig::A, Tag::No);
        }
        t += dms(rng, 0.2, 1.5);
        p.resp(t, PA, 100, Invite, Orig::A, Tag::No, true);

        let mut rtp_end = 0;
        match outcome {
            Outcome::Unavailable => {
                t += dms(rng, 1.0, 5.0);
                p.resp(t, PA, 503, Invite, Orig::A, Tag::P, true);
                t += dms(rng, 0.5, 3.0);
                p.req(t, AP, Ack, Orig::A, Tag::P);
            }
            Outcome::Timeout => {
                t += dms(rng, 0.2, 2.0);
                let t_fwd = t;
                p.req(t, PB, Invite, Orig::A, Tag::No);
                // B never answers: the proxy retransmits (UDP) and gives up after Timer B
                if !tcp {
                    let mut iv = 500 * MS;
                    let mut tt = t_fwd;
                    for _ in 0..6 {
                        tt += iv;
                        iv *= 2;
                        p.req(tt, PB, Invite, Orig::A, Tag::No);
                    }
                }
                t = t_fwd + 32 * SEC;
                p.resp(t, PA, 408, Invite, Orig::A, Tag::P, true);
                t += dms(rng, 0.5, 3.0);
                p.req(t, AP, Ack, Orig::A, Tag::P);
            }
            _ => {
                t += dms(rng, 0.2, 2.0);
                p.req(t, PB, Invite, Orig::A, Tag::No);
                t += dms(rng, 0.5, 5.0);
                let i100 = p.v.len();
                p.resp(t, BP, 100, Invite, Orig::A, Tag::No, false);
                if outcome == Outcome::Busy {
                    t += dms(rng, 5.0, 60.0);
                    p.fail(&mut t, rng, 486);
                } else {
                    let early = rng.chance(0.3);
                    if early {
                        t += dms(rng, 20.0, 200.0);
                        p.resp(t, BP, 183, Invite, Orig::A, Tag::B, false);
                        t += dms(rng, 0.2, 1.5);
                        p.resp(t, PA, 183, Invite, Orig::A, Tag::B, false);
                    }
                    if tcp && !early && rng.chance(0.5) {
                        // B writes 100 and 180 at once: one TCP segment, two messages
                        p.v[i100].flags |= F_COALESCE;
                    } else {
                        t += dms(rng, 10.0, 120.0);
                    }
                    p.resp(t, BP, 180, Invite, Orig::A, Tag::B, false);
                    t += dms(rng, 0.2, 1.5);
                    p.resp(t, PA, 180, Invite, Orig::A, Tag::B, false);
                    match outcome {
                        Outcome::Answered => {
                            t += dms(rng, 1000.0, 8000.0);
                            p.resp(t, BP, 200, Invite, Orig::A, Tag::B, false);
                            t += dms(rng, 0.2, 1.5);
                            p.resp(t, PA, 200, Invite, Orig::A, Tag::B, false);
                            t += dms(rng, 1.0, 40.0);
                            p.txn = TXN_ACK2XX;
                            p.req(t, AP, Ack, Orig::A, Tag::B);
                            t += dms(rng, 0.2, 1.5);
                            p.req(t, PB, Ack, Orig::A, Tag::B);
                            if rtp_on {
                                let m = p.v[0].msg;
                                p.v.push(Step {
                                    t,
                                    act: Act::RtpStart,
                                    flags: 0,
                                    msg: m,
                                });
                            }
                            t += (1e6 * (min_dur + (max_dur - min_dur) * rng.unit())) as u64;
                            rtp_end = t;
                            let b_cseq = 1 + rng.below(900) as u32;
                            plan_bye(p.v, rng, &mut t, p.cseq + 1, b_cseq);
                        }
                        Outcome::Cancelled => {
                            t += dms(rng, 2000.0, 15000.0);
                            p.req(t, AP, Cancel, Orig::A, Tag::No);
                            t += dms(rng, 0.2, 1.5);
                            p.resp(t, PA, 200, Cancel, Orig::A, Tag::P, true);
                            t += dms(rng, 0.1, 1.0);
                            p.req(t, PB, Cancel, Orig::P, Tag::No);
                            t += dms(rng, 0.5, 5.0);
                            let i200 = p.v.len();
                            p.resp(t, BP, 200, Cancel, Orig::P, Tag::B, false);
                            if tcp && rng.chance(0.5) {
                                p.v[i200].flags |= F_COALESCE; // 200 (CANCEL) + 487 in one segment
                            } else {
                                t += dms(rng, 0.1, 2.0);
                            }
                            p.fail(&mut t, rng, 487);
                        }
                        _ => {
                            // ring-no-answer timer on the UAS
                            t += dms(rng, 30_000.0, 60_000.0);
                            p.fail(&mut t, rng, 480);
                        }
                    }
                }
            }
        }
        if tcp {
            // some messages are written in two segments
            for s in p.v.iter_mut() {
                if s.act == Act::Sip
                    && s.flags == 0
                    && s.msg.method == Method::Invite
                    && rng.chance(0.15)
                {
                    s.flags |= F_SPLIT;
                }
            }
            t += dms(rng, 10.0, 500.0);
            let m = p.v[0].msg;
            p.v.push(Step {
                t,
                act: Act::Close,
                flags: 0,
                msg: m,
            });
        }
        c.rtp_end = rtp_end;
    }

    /// A call already talking when the capture starts: media, then BYE.
    fn plan_warm_call(&mut self, slot: usize, remaining: u64) {
        let rng = &mut self.rng;
        let rtp_on = self.cfg.profile == Profile::Rtp;
        let c = &mut self.calls[slot];
        if c.info.tcp {
            c.conn[0].open = true;
            c.conn[1].open = true;
        }
        let dummy = Msg {
            hop: Hop::AP,
            code: 0,
            method: Method::Invite,
            cseq: 0,
            txn: TXN_INVITE,
            orig: Orig::A,
            tag: Tag::No,
            by_p: false,
        };
        if rtp_on {
            c.steps.push(Step {
                t: 0,
                act: Act::RtpStart,
                flags: 0,
                msg: dummy,
            });
        }
        let mut t = remaining;
        c.rtp_end = t;
        let cseq = 2 + rng.below(900) as u32;
        let b_cseq = 1 + rng.below(900) as u32;
        plan_bye(&mut c.steps, rng, &mut t, cseq, b_cseq);
        if c.info.tcp {
            t += dms(rng, 10.0, 500.0);
            c.steps.push(Step {
                t,
                act: Act::Close,
                flags: 0,
                msg: dummy,
            });
        }
    }

    // ------------------------------------------------------------ running

    fn start_call(&mut self, slot: usize) {
        let c = &self.calls[slot];
        let (t, gen) = (c.steps[0].t, c.gen);
        self.push(t, Kind::Step, 0, slot as u32, gen);
    }

    fn on_step(&mut self, slot: usize, gen: u32, now: u64) -> std::io::Result<()> {
        if self.calls[slot].gen != gen {
            return Ok(());
        }
        let mut t = now;
        loop {
            let c = &self.calls[slot];
            if c.next >= c.steps.len() {
                // call done: release the slot (stale RTP events are ignored by gen)
                self.calls[slot].gen = self.calls[slot].gen.wrapping_add(1);
                self.free.push(slot as u32);
                return Ok(());
            }
            let s = c.steps[c.next];
            if s.t > now {
                self.push(s.t, Kind::Step, 0, slot as u32, gen);
                return Ok(());
            }
            t = t.max(s.t);
            match s.act {
                Act::RtpStart => {
                    let rng = &mut self.rng;
                    let c = &mut self.calls[slot];
                    c.next += 1;
                    let mut starts = [0u64; 2];
                    for (d, r) in c.rtp.iter_mut().enumerate() {
                        r.next = t + rng.below(RTP_PTIME) + d as u64 * 3 * MS;
                        starts[d] = r.next;
                    }
                    let end = c.rtp_end;
                    for (d, st) in starts.into_iter().enumerate() {
                        if st < end {
                            self.push(st, Kind::Rtp, d as u8, slot as u32, gen);
                            let first = st + self.rng.range(SEC, RTCP_INTERVAL);
                            self.push(first, Kind::Rtcp, d as u8, slot as u32, gen);
                        }
                    }
                }
                Act::Close => {
                    self.calls[slot].next += 1;
                    for k in 0..2 {
                        if self.calls[slot].conn[k].open {
                            self.tcp_close(slot, k, &mut t)?;
                        }
                    }
                }
                Act::Sip => {
                    let coalesce = s.flags & F_COALESCE != 0;
                    let c = &mut self.calls[slot];
                    c.next += 1;
                    self.buf.clear();
                    sip::build_call_msg(&mut self.buf, &mut self.body, &c.info, &s.msg);
                    let mut n_msgs = 1;
                    let mut second = None;
                    if coalesce && c.info.tcp && c.next < c.steps.len() {
                        let s2 = c.steps[c.next];
                        c.next += 1;
                        sip::build_call_msg(&mut self.buf, &mut self.body, &c.info, &s2.msg);
                        n_msgs = 2;
                        second = Some(s2.msg);
                    }
                    if c.info.tcp {
                        let split = if s.flags & F_SPLIT != 0 {
                            // header/body boundary if there is a body, else the middle
                            let hdr_end = find_hdr_end(&self.buf);
                            Some(if hdr_end < self.buf.len() {
                                hdr_end
                            } else {
                                self.buf.len() / 2
                            })
                        } else {
                            None
                        };
                        self.tcp_data(slot, s.msg.hop, &mut t, split)?;
                    } else {
                        let (src, dst) = udp_eps(&c.info, s.msg.hop);
                        self.out.udp(t, src, dst, TOS_SIP, &[&self.buf])?;
                        t += 1;
                    }
                    self.st.count(s.msg.code, s.msg.method);
                    if n_msgs == 2 {
                        let m2 = second.unwrap();
                        self.st.count(m2.code, m2.method);
                    }
                }
            }
        }
    }

    /// Sends self.buf on the TCP connection of `hop`, then the peer's ACK.
    fn tcp_data(
        &mut self,
        slot: usize,
        hop: Hop,
        t: &mut u64,
        split: Option<usize>,
    ) -> std::io::Result<()> {
        let k = match hop {
            Hop::AP | Hop::PA => 0,
            Hop::PB | Hop::BP => 1,
        };
        let from_client = matches!(hop, Hop::AP | Hop::PB);
        if !self.calls[slot].conn[k].open {
            self.tcp_open(slot, k, t)?;
        }
        let len = self.buf.len();
        let cuts: [(usize, usize); 2] = match split {
            Some(p) if p > 0 && p < len => [(0, p), (p, len)],
            _ => [(0, len), (len, len)],
        };
        for (a, b) in cuts {
            if a == b {
                continue;
            }
            let c = &mut self.calls[slot];
            let (cl, sv) = conn_eps(c, k);
            let cn = &mut c.conn[k];
            let seg = &self.buf[a..b];
            if from_client {
                self.out
                    .tcp(*t, cl, sv, cn.c_seq, cn.s_seq, TCP_PSH | TCP_ACK, &[], seg)?;
                cn.c_seq = cn.c_seq.wrapping_add(seg.len() as u32);
                *t += 15 + self.rng.below(200);
                self.out
                    .tcp(*t, sv, cl, cn.s_seq, cn.c_seq, TCP_ACK, &[], &[])?;
            } else {
                self.out
                    .tcp(*t, sv, cl, cn.s_seq, cn.c_seq, TCP_PSH | TCP_ACK, &[], seg)?;
                cn.s_seq = cn.s_seq.wrapping_add(seg.len() as u32);
                *t += 15 + self.rng.below(200);
                self.out
                    .tcp(*t, cl, sv, cn.c_seq, cn.s_seq, TCP_ACK, &[], &[])?;
            }
            self.st.tcp_segments += 2;
            *t += 5 + self.rng.below(50);
        }
        Ok(())
    }

    fn tcp_open(&mut self, slot: usize, k: usize, t: &mut u64) -> std::io::Result<()> {
        let c = &mut self.calls[slot];
        let (cl, sv) = conn_eps(c, k);
        let cn = &mut c.conn[k];
        self.out
            .tcp(*t, cl, sv, cn.c_seq, 0, TCP_SYN, &SYN_OPTS, &[])?;
        cn.c_seq = cn.c_seq.wrapping_add(1);
        *t += 40 + self.rng.below(300);
        self.out.tcp(
            *t,
            sv,
            cl,
            cn.s_seq,
            cn.c_seq,
            TCP_SYN | TCP_ACK,
            &SYN_OPTS,
            &[],
        )?;
        cn.s_seq = cn.s_seq.wrapping_add(1);
        *t += 40 + self.rng.below(300);
        self.out
            .tcp(*t, cl, sv, cn.c_seq, cn.s_seq, TCP_ACK, &[], &[])?;
        *t += 5 + self.rng.below(50);
        cn.open = true;
        self.st.tcp_segments += 3;
        Ok(())
    }

    fn tcp_close(&mut self, slot: usize, k: usize, t: &mut u64) -> std::io::Result<()> {
        let c = &mut self.calls[slot];
        let (cl, sv) = conn_eps(c, k);
        let cn = &mut c.conn[k];
        self.out
            .tcp(*t, cl, sv, cn.c_seq, cn.s_seq, TCP_FIN | TCP_ACK, &[], &[])?;
        cn.c_seq = cn.c_seq.wrapping_add(1);
        *t += 40 + self.rng.below(300);
        self.out
            .tcp(*t, sv, cl, cn.s_seq, cn.c_seq, TCP_FIN | TCP_ACK, &[], &[])?;
        cn.s_seq = cn.s_seq.wrapping_add(1);
        *t += 40 + self.rng.below(300);
        self.out
            .tcp(*t, cl, sv, cn.c_seq, cn.s_seq, TCP_ACK, &[], &[])?;
        *t += 5;
        cn.open = false;
        self.st.tcp_segments += 3;
        Ok(())
    }

    fn on_rtp(&mut self, slot: usize, gen: u32, d: usize, now: u64) -> std::io::Result<()> {
        let c = &mut self.calls[slot];
        if c.gen != gen || now >= c.rtp_end {
            return Ok(());
        }
        let (src, dst) = rtp_eps(&c.info, d, 0);
        let r = &mut c.rtp[d];
        let mut h = [0u8; 12];
        h[0] = 0x80;
        h[1] = if r.marker { 0x80 } else { 0x00 }; // PT 0 (PCMU)
        r.marker = false;
        h[2..4].copy_from_slice(&r.seq.to_be_bytes());
        h[4..8].copy_from_slice(&r.ts.to_be_bytes());
        h[8..12].copy_from_slice(&r.ssrc.to_be_bytes());
        let off = ((r.seq as usize).wrapping_mul(37) ^ (r.ssrc as usize & 0xfff))
            % (self.payload.len() - 160);
        let off = off & !1;
        self.out
            .udp(now, src, dst, TOS_RTP, &[&h, &self.payload[off..off + 160]])?;
        r.seq = r.seq.wrapping_add(1);
        r.ts = r.ts.wrapping_add(160);
        r.pkts += 1;
        r.octets += 160;
        r.next += RTP_PTIME;
        let next = r.next + self.rng.below(400); // scheduling jitter
        self.st.rtp += 1;
        self.push(next, Kind::Rtp, d as u8, slot as u32, gen);
        Ok(())
    }

    fn on_rtcp(&mut self, slot: usize, gen: u32, d: usize, now: u64) -> std::io::Result<()> {
        let c = &self.calls[slot];
        if c.gen != gen || now >= c.rtp_end {
            return Ok(());
        }
        let (src, dst) = rtp_eps(&c.info, d, 1);
        let r = &c.rtp[d];
        let b = &mut self.buf;
        b.clear();
        // SR
        b.extend_from_slice(&[0x80, 200, 0, 6]);
        b.extend_from_slice(&r.ssrc.to_be_bytes());
        let abs = pcap::BASE_EPOCH_S * SEC + now;
        let ntp_s = (abs / SEC + 2_208_988_800) as u32;
        let ntp_f = (((abs % SEC) << 32) / SEC) as u32;
        b.extend_from_slice(&ntp_s.to_be_bytes());
        b.extend_from_slice(&ntp_f.to_be_bytes());
        b.extend_from_slice(&r.ts.to_be_bytes());
        b.extend_from_slice(&r.pkts.to_be_bytes());
        b.extend_from_slice(&r.octets.to_be_bytes());
        // SDES CNAME
        let start = b.len();
        b.extend_from_slice(&[0x81, 202, 0, 0]);
        b.extend_from_slice(&r.ssrc.to_be_bytes());
        let mut cname = [0u8; 64];
        let n = {
            let mut cur = std::io::Cursor::new(&mut cname[..]);
            let user = if d == 0 {
                c.info.a_user as u64
            } else {
                c.info.dialed
            };
            let _ = write!(cur, "{}@{}", user, sip::Ip(src.ip));
            cur.position() as usize
        };
        b.push(1);
        b.push(n as u8);
        b.extend_from_slice(&cname[..n]);
        b.push(0);
        while (b.len() - start) & 3 != 0 {
            b.push(0);
        }
        let words = ((b.len() - start) / 4 - 1) as u16;
        b[start + 2..start + 4].copy_from_slice(&words.to_be_bytes());
        self.out.udp(now, src, dst, TOS_RTP, &[&self.buf])?;
        self.st.rtcp += 1;
        let next = now + RTCP_INTERVAL - SEC / 2 + self.rng.below(SEC);
        self.push(next, Kind::Rtcp, d as u8, slot as u32, gen);
        Ok(())
    }

    /// Registration machine of one UAC (phases: see sip::build_register).
    fn on_reg(&mut self, i: usize, phase: u8, now: u64) -> std::io::Result<()> {
        let u = &mut self.uac[i];
        let ep = Ep {
            ip: u.ip,
            port: 5060,
        };
        let px = Ep {
            ip: PROXY_IP,
            port: 5060,
        };
        self.buf.clear();
        let rng = &mut self.rng;
        let (code, m, next) = match phase {
            0 => {
                u.cseq += 1;
                // first registration, or a refresh whose nonce went stale
                u.challenge = !u.registered || rng.chance(0.2);
                sip::build_register(
                    &mut self.buf,
                    u.ip,
                    u.user,
                    u.ua,
                    u.cseq,
                    0,
                    u.registered,
                    REG_EXPIRES,
                );
                let nph = if u.challenge { 1 } else { 3 };
                (0, Method::Register, Some((now + dms(rng, 0.5, 3.0), nph)))
            }
            1 => {
                sip::build_register(
                    &mut self.buf,
                    u.ip,
                    u.user,
                    u.ua,
                    u.cseq,
                    1,
                    false,
                    REG_EXPIRES,
                );
                (401, Method::Register, Some((now + dms(rng, 5.0, 40.0), 2)))
            }
            2 => {
                u.cseq += 1;
                sip::build_register(
                    &mut self.buf,
                    u.ip,
                    u.user,
                    u.ua,
                    u.cseq,
                    2,
                    false,
                    REG_EXPIRES,
                );
                (0, Method::Register, Some((now + dms(rng, 0.5, 3.0), 3)))
            }
            _ => {
                sip::build_register(
                    &mut self.buf,
                    u.ip,
                    u.user,
                    u.ua,
                    u.cseq,
                    3,
                    false,
                    REG_EXPIRES,
                );
                u.registered = true;
                // refresh at ~90 % of the expiry
                let refresh = REG_EXPIRES as u64 * SEC * 9 / 10 - 15 * SEC + rng.below(30 * SEC);
                (200, Method::Register, Some((now + refresh, 0)))
            }
        };
        let (src, dst) = if code == 0 { (ep, px) } else { (px, ep) };
        self.out.udp(now, src, dst, TOS_SIP, &[&self.buf])?;
        self.st.count(code, m);
        if let Some((t, ph)) = next {
            self.push(t, Kind::Reg, ph, i as u32, 0);
        }
        Ok(())
    }

    fn on_opt(&mut self, i: usize, phase: u8, now: u64) -> std::io::Result<()> {
        let u = &mut self.uas[i];
        let ep = Ep {
            ip: u.ip,
            port: 5060,
        };
        let px = Ep {
            ip: PROXY_IP,
            port: 5060,
        };
        self.buf.clear();
        sip::build_options(&mut self.buf, u.ip, i as u32, u.ua, u.pings, phase);
        if phase == 0 {
            self.out.udp(now, px, ep, TOS_SIP, &[&self.buf])?;
            self.st.count(0, Method::Options);
            let t = now + dms(&mut self.rng, 0.3, 4.0);
            self.push(t, Kind::Opt, 1, i as u32, 0);
        } else {
            self.out.udp(now, ep, px, TOS_SIP, &[&self.buf])?;
            self.st.count(200, Method::Options);
            u.pings += 1;
            let t = now + OPTIONS_INTERVAL - 500 * MS + self.rng.below(SEC);
            self.push(t, Kind::Opt, 0, i as u32, 0);
        }
        Ok(())
    }

    fn seed_world(&mut self) {
        let cfg_warm = self.cfg.warm;
        // registrations
        for i in 0..N_UAC as usize {
            let t = if cfg_warm && !self.rng.chance(0.02) {
                self.uac[i].registered = true;
                self.rng.below(REG_EXPIRES as u64 * SEC * 9 / 10)
            } else {
                self.rng.below(60 * SEC)
            };
            self.push(t, Kind::Reg, 0, i as u32, 0);
        }
        // OPTIONS pings
        for i in 0..N_UAS as usize {
            let t = self.rng.below(OPTIONS_INTERVAL);
            self.push(t, Kind::Opt, 0, i as u32, 0);
        }
        // calls in progress
        if cfg_warm {
            let (min_d, max_d, cps) = (self.cfg.min_dur, self.cfg.max_dur, self.cfg.cps);
            let window = max_d + 12.0;
            let n = (cps * window) as u64;
            for _ in 0..n {
                let age = window * self.rng.unit();
                if !self.rng.chance(0.8) {
                    continue;
                }
                let setup = 1.5 + 8.0 * self.rng.unit();
                let dur = min_d + (max_d - min_d) * self.rng.unit();
                if age > setup && age < setup + dur {
                    let remaining = ((setup + dur - age) * 1e6) as u64;
                    let slot = self.alloc_call();
                    self.st.warm_calls += 1;
                    self.plan_warm_call(slot, remaining);
                    self.start_call(slot);
                }
            }
        }
        let first = (self.rng.exp(1.0 / self.cfg.cps) * 1e6) as u64;
        self.push(first, Kind::NewCall, 0, 0, 0);
    }

    fn run(&mut self) -> std::io::Result<()> {
        self.seed_world();
        let size = self.cfg.size;
        let rtp_on = self.rtp_on();
        while self.out.bytes < size {
            let ev = match self.heap.pop() {
                Some(e) => e,
                None => break,
            };
            let now = ev.t;
            match ev.kind {
                Kind::Rtp => self.on_rtp(ev.id as usize, ev.gen, ev.sub as usize, now)?,
                Kind::Rtcp => {
                    if rtp_on {
                        self.on_rtcp(ev.id as usize, ev.gen, ev.sub as usize, now)?
                    }
                }
                Kind::Step => self.on_step(ev.id as usize, ev.gen, now)?,
                Kind::NewCall => {
                    let slot = self.alloc_call();
                    self.plan_new_call(slot, now);
                    self.on_step(slot, self.calls[slot].gen, now)?;
                    let next = now + 1 + (self.rng.exp(1.0 / self.cfg.cps) * 1e6) as u64;
                    self.push(next, Kind::NewCall, 0, 0, 0);
                }
                Kind::Reg => self.on_reg(ev.id as usize, ev.sub, now)?,
                Kind::Opt => self.on_opt(ev.id as usize, ev.sub, now)?,
            }
        }
        Ok(())
    }
}

/// Appends the SIP steps of one call.
struct Plan<'a> {
    v: &'a mut Vec<Step>,
    cseq: u32,
    txn: u8,
}
impl Plan<'_> {
    fn req(&mut self, t: u64, hop: Hop, method: Method, orig: Orig, tag: Tag) {
        self.push(t, hop, 0, method, orig, tag, false);
    }
    #[allow(clippy::too_many_arguments)]
    fn resp(
        &mut self,
        t: u64,
        hop: Hop,
        code: u16,
        method: Method,
        orig: Orig,
        tag: Tag,
        by_p: bool,
    ) {
        self.push(t, hop, code, method, orig, tag, by_p);
    }
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        t: u64,
        hop: Hop,
        code: u16,
        method: Method,
        orig: Orig,
        tag: Tag,
        by_p: bool,
    ) {
        let m = Msg {
            hop,
            code,
            method,
            cseq: self.cseq,
            txn: self.txn,
            orig,
            tag,
            by_p,
        };
        self.v.push(Step {
            t,
            act: Act::Sip,
            flags: 0,
            msg: m,
        });
    }
    /// Final non-2xx from B, the proxy's hop-by-hop ACK, the forwarded response and A's ACK.
    fn fail(&mut self, t: &mut u64, rng: &mut Rng, code: u16) {
        self.resp(*t, Hop::BP, code, Method::Invite, Orig::A, Tag::B, false);
        *t += dms(rng, 0.1, 1.0);
        self.req(*t, Hop::PB, Method::Ack, Orig::P, Tag::B);
        *t += dms(rng, 0.1, 1.0);
        self.resp(*t, Hop::PA, code, Method::Invite, Orig::A, Tag::B, false);
        *t += dms(rng, 0.5, 3.0);
        self.req(*t, Hop::AP, Method::Ack, Orig::A, Tag::B);
    }
}

/// BYE from either side, forwarded by the proxy, and the 200s.
fn plan_bye(steps: &mut Vec<Step>, rng: &mut Rng, t: &mut u64, a_cseq: u32, b_cseq: u32) {
    let mut sip = |t: u64, hop: Hop, code: u16, cseq: u32, orig: Orig| {
        steps.push(Step {
            t,
            act: Act::Sip,
            flags: 0,
            msg: Msg {
                hop,
                code,
                method: Method::Bye,
                cseq,
                txn: TXN_BYE,
                orig,
                tag: Tag::B,
                by_p: false,
            },
        });
    };
    if rng.chance(0.6) {
        sip(*t, Hop::AP, 0, a_cseq, Orig::A);
        *t += dms(rng, 0.2, 1.5);
        sip(*t, Hop::PB, 0, a_cseq, Orig::A);
        *t += dms(rng, 1.0, 20.0);
        sip(*t, Hop::BP, 200, a_cseq, Orig::A);
        *t += dms(rng, 0.2, 1.5);
        sip(*t, Hop::PA, 200, a_cseq, Orig::A);
    } else {
        sip(*t, Hop::BP, 0, b_cseq, Orig::B);
        *t += dms(rng, 0.2, 1.5);
        sip(*t, Hop::PA, 0, b_cseq, Orig::B);
        *t += dms(rng, 1.0, 20.0);
        sip(*t, Hop::AP, 200, b_cseq, Orig::B);
        *t += dms(rng, 0.2, 1.5);
        sip(*t, Hop::PB, 200, b_cseq, Orig::B);
    }
}

fn find_hdr_end(b: &[u8]) -> usize {
    b.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .unwrap_or(b.len())
}

fn udp_eps(c: &CallInfo, hop: Hop) -> (Ep, Ep) {
    let a = Ep {
        ip: c.a_ip,
        port: 5060,
    };
    let b = Ep {
        ip: c.b_ip,
        port: 5060,
    };
    let p = Ep {
        ip: PROXY_IP,
        port: 5060,
    };
    match hop {
        Hop::AP => (a, p),
        Hop::PA => (p, a),
        Hop::PB => (p, b),
        Hop::BP => (b, p),
    }
}

/// RTP (rtcp = 0) or RTCP (rtcp = 1) endpoints of direction d (0: A->B).
fn rtp_eps(c: &CallInfo, d: usize, rtcp: u16) -> (Ep, Ep) {
    let a = Ep {
        ip: c.a_ip,
        port: c.a_rtp + rtcp,
    };
    let b = Ep {
        ip: c.b_ip,
        port: c.b_rtp + rtcp,
    };
    if d == 0 {
        (a, b)
    } else {
        (b, a)
    }
}

// ---------------------------------------------------------------- output

fn write_expected(path: &Path, g: &Gen, elapsed: f64) -> std::io::Result<()> {
    let st = &g.st;
    let mut s = String::new();
    use std::fmt::Write as _;
    let _ = write!(
        s,
        "{{\"packets\":{},\"sip_messages\":{},\"requests\":{{",
        g.out.packets,
        st.sip_total()
    );
    let mut first = true;
    let mut order: Vec<usize> = (0..6).collect();
    order.sort_by_key(|&i| sip::METHOD_NAMES[i]);
    for i in order {
        if st.req[i] > 0 {
            let _ = write!(
                s,
                "{}\"{}\":{}",
                if first { "" } else { "," },
                sip::METHOD_NAMES[i],
                st.req[i]
            );
            first = false;
        }
    }
    s.push_str("},\"responses\":{");
    first = true;
    for (code, &n) in st.resp.iter().enumerate() {
        if n > 0 {
            let _ = write!(s, "{}\"{}\":{}", if first { "" } else { "," }, code, n);
            first = false;
        }
    }
    let profile = match g.cfg.profile {
        Profile::Rtp => "rtp",
        Profile::SipOnly => "sip-only",
    };
    let _ = writeln!(
        s,
        "}},\"bytes\":{},\"rtp_packets\":{},\"rtcp_packets\":{},\"tcp_segments\":{},\"calls\":{},\"warm_calls\":{},\"tcp_calls\":{},\"capture_seconds\":{:.3},\"profile\":\"{}\",\"seed\":{},\"cps\":{},\"generator_seconds\":{:.3}}}",
        g.out.bytes,
        st.rtp,
        st.rtcp,
        st.tcp_segments,
        st.calls,
        st.warm_calls,
        st.tcp_calls,
        g.out.last_ts as f64 / 1e6,
        profile,
        g.cfg.seed,
        g.cfg.cps,
        elapsed
    );
    std::fs::write(path, s)
}

fn main() {
    let cfg = match parse_args() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gencap: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    let out_path = cfg.out.clone();
    let quiet = cfg.quiet;
    let t0 = Instant::now();
    let mut g = match Gen::new(cfg) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("gencap: cannot create {}: {e}", out_path.display());
            std::process::exit(1);
        }
    };
    if let Err(e) = g.run() {
        eprintln!("gencap: write error on {}: {e}", out_path.display());
        std::process::exit(1);
    }
    if let Err(e) = g.out.finish() {
        eprintln!("gencap: write error on {}: {e}", out_path.display());
        std::process::exit(1);
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let (packets, bytes) = (g.out.packets, g.out.bytes);
    let capture_s = g.out.last_ts as f64 / 1e6;
    let mut exp_path = out_path.clone().into_os_string();
    exp_path.push(".expected.json");
    let exp_path = PathBuf::from(exp_path);
    // no JSON next to a device (e.g. --out /dev/null for a speed test)
    let regular = std::fs::metadata(&out_path)
        .map(|m| m.is_file())
        .unwrap_or(false);
    if regular {
        if let Err(e) = write_expected(&exp_path, &g, elapsed) {
            eprintln!("gencap: cannot write {}: {e}", exp_path.display());
            std::process::exit(1);
        }
    }
    if quiet {
        return;
    }
    let st = &g.st;
    println!(
        "gencap: wrote {} ({} bytes, {:.1} MiB) in {:.2} s ({:.0} MB/s)",
        out_path.display(),
        bytes,
        bytes as f64 / (1u64 << 20) as f64,
        elapsed,
        bytes as f64 / 1e6 / elapsed
    );
    println!(
        "  packets: {}  capture span: {:.1} s  calls: {} (+{} already up at start, {} over TCP)",
        packets,
        capture_s,
        st.calls - st.warm_calls,
        st.warm_calls,
        st.tcp_calls
    );
    println!(
        "  RTP: {} ({:.2} %)  RTCP: {}  TCP segments: {}",
        st.rtp,
        100.0 * st.rtp as f64 / packets.max(1) as f64,
        st.rtcp,
        st.tcp_segments
    );
    println!("  SIP messages: {}", st.sip_total());
    {
        let mut line = String::from("  requests: ");
        for (i, n) in st.req.iter().enumerate() {
            if *n > 0 {
                line.push_str(&format!(" {}={}", sip::METHOD_NAMES[i], n));
            }
        }
        println!("{line}");
        let mut line = String::from("  responses:");
        for (code, n) in st.resp.iter().enumerate() {
            if *n > 0 {
                line.push_str(&format!(" {}={}", code, n));
            }
        }
        println!("{line}");
    }
    if regular {
        println!("  expected counts: {}", exp_path.display());
    }
}

#[cfg(test)]
mod tests {
    //! Reads generated captures back with an independent minimal parser:
    //! framing, lengths, checksums, time order, and the SIP counts
    //! (UDP datagrams and reassembled TCP streams).
    use super::*;
    use std::collections::HashMap;

    fn cfg(name: &str, profile: Profile, size: u64, tcp_share: f64, warm: bool) -> Config {
        let out =
            std::env::temp_dir().join(format!("gencap-test-{}-{name}.pcap", std::process::id()));
        let cps = if profile == Profile::Rtp { 50.0 } else { 400.0 };
        Config {
            out,
            size,
            profile,
            seed: 7,
            cps,
            min_dur: 20.0,
            max_dur: 120.0,
            tcp_share,
            warm,
            quiet: true,
        }
    }

    #[derive(Default, Debug, PartialEq)]
    struct Counts {
        req: HashMap<String, u64>,
        resp: HashMap<u16, u64>,
        packets: u64,
        rtp: u64,
        rtcp: u64,
    }

    fn count_msg(c: &mut Counts, msg: &[u8]) {
        let line_end = msg.iter().position(|&b| b == b'\r').unwrap();
        let line = std::str::from_utf8(&msg[..line_end]).unwrap();
        if let Some(rest) = line.strip_prefix("SIP/2.0 ") {
            *c.resp.entry(rest[..3].parse().unwrap()).or_default() += 1;
        } else {
            assert!(line.ends_with(" SIP/2.0"), "bad start line {line}");
            *c.req
                .entry(line.split(' ').next().unwrap().to_string())
                .or_default() += 1;
        }
    }

    /// Splits a byte stream into SIP messages by Content-Length; returns the rest.
    fn drain_messages(c: &mut Counts, buf: &mut Vec<u8>) {
        loop {
            let Some(he) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                return;
            };
            let head = std::str::from_utf8(&buf[..he]).unwrap();
            let cl: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .expect("Content-Length")
                .trim()
                .parse()
                .unwrap();
            let total = he + 4 + cl;
            if buf.len() < total {
                return;
            }
            if cl > 0 {
                let body = std::str::from_utf8(&buf[he + 4..total]).unwrap();
                assert!(
                    body.starts_with("v=0\r\n") && body.ends_with("a=sendrecv\r\n"),
                    "body {body:?}"
                );
            }
            count_msg(c, &buf[..total]);
            buf.drain(..total);
        }
    }

    fn read_back(path: &Path) -> Counts {
        let data = std::fs::read(path).unwrap();
        assert_eq!(&data[0..4], &0xa1b2_c3d4u32.to_le_bytes());
        assert_eq!(u32::from_le_bytes(data[20..24].try_into().unwrap()), 1);
        let mut c = Counts::default();
        type Flow = (u32, u16, u32, u16);
        let mut streams: HashMap<Flow, (u32, Vec<u8>)> = HashMap::new();
        let mut off = 24;
        let mut last = 0u64;
        while off < data.len() {
            let h = &data[off..off + 16];
            let ts = u32::from_le_bytes(h[0..4].try_into().unwrap()) as u64 * SEC
                + u32::from_le_bytes(h[4..8].try_into().unwrap()) as u64;
            assert!(ts >= last, "time order");
            last = ts;
            let incl = u32::from_le_bytes(h[8..12].try_into().unwrap()) as usize;
            assert_eq!(h[8..12], h[12..16]);
            let f = &data[off + 16..off + 16 + incl];
            off += 16 + incl;
            c.packets += 1;
            assert_eq!(&f[12..14], &[0x08, 0x00]);
            let ip = &f[14..34];
            assert_eq!(ip[0], 0x45);
            assert_eq!(
                u16::from_be_bytes([ip[2], ip[3]]) as usize,
                incl - 14,
                "IP total length"
            );
            assert_eq!(
                pcap::csum_fold(pcap::csum_add(0, ip)),
                0xffff,
                "IPv4 header checksum"
            );
            let src = u32::from_be_bytes(ip[12..16].try_into().unwrap());
            let dst = u32::from_be_bytes(ip[16..20].try_into().unwrap());
            let l4 = &f[34..];
            let pseudo = (src >> 16) as u64
                + (src & 0xffff) as u64
                + (dst >> 16) as u64
                + (dst & 0xffff) as u64;
            assert_eq!(
                pcap::csum_fold(pcap::csum_add(pseudo + ip[9] as u64 + l4.len() as u64, l4)),
                0xffff,
                "L4 checksum"
            );
            let sport = u16::from_be_bytes([l4[0], l4[1]]);
            let dport = u16::from_be_bytes([l4[2], l4[3]]);
            match ip[9] {
                17 => {
                    assert_eq!(
                        u16::from_be_bytes([l4[4], l4[5]]) as usize,
                        l4.len(),
                        "UDP length"
                    );
                    let p = &l4[8..];
                    if sport == 5060 || dport == 5060 {
                        let mut v = p.to_vec();
                        drain_messages(&mut c, &mut v);
                        assert!(v.is_empty(), "one whole message per datagram");
                    } else if sport & 1 == 0 {
                        assert_eq!(p.len(), 172);
                        assert_eq!(p[0], 0x80);
                        assert_eq!(p[1] & 0x7f, 0);
                        c.rtp += 1;
                    } else {
                        assert_eq!(p[1], 200);
                        c.rtcp += 1;
                    }
                }
                6 => {
                    let seq = u32::from_be_bytes(l4[4..8].try_into().unwrap());
                    let flags = l4[13];
                    let p = &l4[(l4[12] >> 4) as usize * 4..];
                    let st = streams
                        .entry((src, sport, dst, dport))
                        .or_insert((seq, Vec::new()));
                    if flags & TCP_SYN != 0 {
                        st.0 = seq.wrapping_add(1);
                    } else if !p.is_empty() {
                        assert_eq!(st.0, seq, "TCP sequence continuity");
                        st.0 = seq.wrapping_add(p.len() as u32);
                        st.1.extend_from_slice(p);
                        drain_messages(&mut c, &mut st.1);
                    }
                }
                _ => panic!("unexpected protocol"),
            }
        }
        for (_, (_, rest)) in streams {
            assert!(
                rest.is_empty(),
                "no partial SIP message left in a TCP stream"
            );
        }
        c
    }

    fn check(cfg: Config) -> Counts {
        let path = cfg.out.clone();
        let mut g = Gen::new(cfg).unwrap();
        g.run().unwrap();
        g.out.finish().unwrap();
        let got = read_back(&path);
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), g.out.bytes);
        assert!(meta.len() >= g.cfg.size);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(got.packets, g.out.packets);
        assert_eq!(got.rtp, g.st.rtp);
        assert_eq!(got.rtcp, g.st.rtcp);
        for (i, name) in sip::METHOD_NAMES.iter().enumerate() {
            assert_eq!(
                got.req.get(*name).copied().unwrap_or(0),
                g.st.req[i],
                "{name}"
            );
        }
        for (code, &n) in g.st.resp.iter().enumerate() {
            assert_eq!(
                got.resp.get(&(code as u16)).copied().unwrap_or(0),
                n,
                "{code}"
            );
        }
        assert_eq!(
            got.req.values().sum::<u64>() + got.resp.values().sum::<u64>(),
            g.st.sip_total()
        );
        got
    }

    #[test]
    fn sip_only_counts_match_the_wire() {
        let got = check(cfg("sip", Profile::SipOnly, 32 << 20, 0.3, true));
        for m in ["INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS"] {
            assert!(got.req.get(m).copied().unwrap_or(0) > 0, "{m} present");
        }
        for code in [100, 180, 183, 200, 401, 407, 486, 487, 503] {
            assert!(
                got.resp.get(&code).copied().unwrap_or(0) > 0,
                "{code} present"
            );
        }
    }

    #[test]
    fn rtp_profile_is_mostly_rtp() {
        let got = check(cfg("rtp", Profile::Rtp, 8 << 20, 0.05, true));
        assert!(got.rtp * 100 >= got.packets * 90);
        // a cold start over a longer span: full calls, RTCP, TCP, timeouts
        let mut c = cfg("cold", Profile::Rtp, 40 << 20, 0.3, false);
        c.cps = 10.0;
        let got = check(c);
        assert!(got.rtcp > 0);
        assert!(got.req.get("REGISTER").copied().unwrap_or(0) > 0);
    }

    #[test]
    fn same_seed_same_file() {
        let a = cfg("det-a", Profile::SipOnly, 1 << 20, 0.2, true);
        let b = cfg("det-b", Profile::SipOnly, 1 << 20, 0.2, true);
        let (pa, pb) = (a.out.clone(), b.out.clone());
        for c in [a, b] {
            let mut g = Gen::new(c).unwrap();
            g.run().unwrap();
            g.out.finish().unwrap();
        }
        let (da, db) = (std::fs::read(&pa).unwrap(), std::fs::read(&pb).unwrap());
        std::fs::remove_file(&pa).unwrap();
        std::fs::remove_file(&pb).unwrap();
        assert!(da == db);
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("20m"), Some(20 << 20));
        assert_eq!(parse_size("1.5K"), Some(1536));
        assert_eq!(parse_size("123"), Some(123));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size("0"), None);
    }
}
