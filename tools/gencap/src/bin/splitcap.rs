//! splitcap: cuts a classic pcap into rotated files the way `tcpdump -C` (by
//! size) or `-G` (by time) does, for sipsleuth's archive tests and benchmarks.
//! Standard library only. Records are never split; every piece gets the input's
//! file header, so each is a valid capture on its own. Cuts fall wherever the
//! size or time says — mid-call, mid-TCP-stream — which is the point.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

const USAGE: &str = "\
usage: splitcap IN.pcap OUTDIR [--bytes SIZE | --seconds S] [--prefix NAME]

  --bytes SIZE    start a new file when the current one would pass SIZE (K, M, G suffixes)
  --seconds S     start a new file every S seconds of capture time
  --prefix NAME   file names NAME_00001.pcap, NAME_00002.pcap, ... (default: capture)
Prints the number of files written.";

fn parse_size(s: &str) -> Option<u64> {
    let (num, mul) = match s.chars().last()?.to_ascii_uppercase() {
        'K' => (&s[..s.len() - 1], 1u64 << 10),
        'M' => (&s[..s.len() - 1], 1 << 20),
        'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    let v: f64 = num.parse().ok()?;
    (v > 0.0).then_some((v * mul as f64) as u64)
}

fn main() {
    if let Err(e) = run() {
        eprintln!("splitcap: {e}\n{USAGE}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut pos = Vec::new();
    let (mut bytes, mut seconds, mut prefix) = (None, None, "capture".to_string());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--bytes" => bytes = it.next().and_then(|v| parse_size(v)),
            "--seconds" => seconds = it.next().and_then(|v| v.parse::<f64>().ok()),
            "--prefix" => prefix = it.next().cloned().ok_or("--prefix needs a value")?,
            "-h" | "--help" => return Err("help".into()),
            _ => pos.push(a.clone()),
        }
    }
    let [input, outdir] = pos.as_slice() else {
        return Err("need IN.pcap and OUTDIR".into());
    };
    if bytes.is_none() == seconds.is_none() {
        return Err("give one of --bytes or --seconds".into());
    }
    let outdir = PathBuf::from(outdir);
    std::fs::create_dir_all(&outdir).map_err(|e| e.to_string())?;
    let mut r = BufReader::with_capacity(
        1 << 20,
        std::fs::File::open(input).map_err(|e| e.to_string())?,
    );
    let mut header = [0u8; 24];
    r.read_exact(&mut header)
        .map_err(|e| format!("{input}: {e}"))?;
    let (le, nanos) = match header[..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] => (true, false),
        [0x4d, 0x3c, 0xb2, 0xa1] => (true, true),
        [0xa1, 0xb2, 0xc3, 0xd4] => (false, false),
        [0xa1, 0xb2, 0x3c, 0x4d] => (false, true),
        _ => return Err(format!("{input}: not a classic pcap")),
    };
    let u32_of = |b: &[u8]| {
        let a = [b[0], b[1], b[2], b[3]];
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let mut files = 0u32;
    let mut out: Option<BufWriter<std::fs::File>> = None;
    let mut size = 0u64;
    let mut window_start: Option<f64> = None;
    let mut rec = [0u8; 16];
    let mut data = Vec::new();
    loop {
        match r.read_exact(&mut rec) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e.to_string()),
        }
        let caplen = u32_of(&rec[8..12]) as usize;
        data.resize(caplen, 0);
        r.read_exact(&mut data)
            .map_err(|e| format!("{input}: truncated record: {e}"))?;
        let t =
            u32_of(&rec[0..4]) as f64 + u32_of(&rec[4..8]) as f64 / if nanos { 1e9 } else { 1e6 };
        let rotate = match (bytes, seconds) {
            (Some(b), _) => out.is_none() || size + 16 + caplen as u64 > b,
            (_, Some(s)) => window_start.is_none_or(|w| t >= w + s),
            _ => unreachable!(),
        };
        if rotate {
            if let Some(mut w) = out.take() {
                w.flush().map_err(|e| e.to_string())?;
            }
            files += 1;
            let p = outdir.join(format!("{prefix}_{files:05}.pcap"));
            let mut w = BufWriter::with_capacity(
                1 << 20,
                std::fs::File::create(&p).map_err(|e| format!("{}: {e}", p.display()))?,
            );
            w.write_all(&header).map_err(|e| e.to_string())?;
            out = Some(w);
            size = 24;
            if let Some(s) = seconds {
                window_start = Some(window_start.map_or(t, |w| w + ((t - w) / s).floor() * s));
            }
        }
        let w = out.as_mut().ok_or("no output")?;
        w.write_all(&rec)
            .and_then(|_| w.write_all(&data))
            .map_err(|e| e.to_string())?;
        size += 16 + caplen as u64;
    }
    if let Some(mut w) = out.take() {
        w.flush().map_err(|e| e.to_string())?;
    }
    println!("{files}");
    Ok(())
}
