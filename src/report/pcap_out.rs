//! Writing frames back out as a capture file, for `sipsleuth export`.
//!
//! Frames go out as they were captured: link type, timestamp, original length
//! and bytes. The format is chosen from the frames: nanosecond pcap when they
//! all share one link type and every timestamp fits pcap's 32-bit seconds;
//! otherwise pcapng, with one interface per link type (nanosecond resolution,
//! and an `if_tsoffset` when a timestamp lies before 1970). Which frames to
//! write, where the file goes and how it is made atomic are the caller's.

use std::io::{self, Write};

/// One frame to write, owned (copied out of its capture).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Nanoseconds since the Unix epoch (UTC).
    pub ts_ns: i64,
    /// LINKTYPE_ value of the interface it was captured on.
    pub linktype: u32,
    /// Length on the wire (at least `data.len()` in what is written).
    pub orig_len: u32,
    pub data: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutFormat {
    /// pcap with nanosecond timestamps (magic a1b23c4d).
    PcapNs,
    PcapNg,
}

impl OutFormat {
    pub fn name(self) -> &'static str {
        match self {
            OutFormat::PcapNs => "nanosecond pcap",
            OutFormat::PcapNg => "pcapng",
        }
    }
}

/// The snaplen written: the usual 256 KiB, or more if a frame is larger.
fn snaplen(records: &[Record]) -> u32 {
    let max = records.iter().map(|r| r.data.len()).max().unwrap_or(0);
    u32::try_from(max).unwrap_or(u32::MAX).max(262_144)
}

/// pcap when one link type and timestamps in 1970..2106; pcapng otherwise.
pub fn choose_format(records: &[Record]) -> OutFormat {
    let one_link = records.windows(2).all(|w| w[0].linktype == w[1].linktype);
    // pcap's seconds field is unsigned 32-bit (as libpcap and Wireshark read it).
    let fits = records
        .iter()
        .all(|r| (0..=i64::from(u32::MAX)).contains(&r.ts_ns.div_euclid(1_000_000_000)));
    if one_link && fits {
        OutFormat::PcapNs
    } else {
        OutFormat::PcapNg
    }
}

/// Writes `records`, in the order given, in the format [`choose_format`] picks.
pub fn write(out: &mut dyn Write, records: &[Record]) -> io::Result<OutFormat> {
    let format = choose_format(records);
    match format {
        OutFormat::PcapNs => write_pcap_ns(out, records)?,
        OutFormat::PcapNg => write_pcapng(out, records)?,
    }
    Ok(format)
}

fn caplen(r: &Record) -> io::Result<u32> {
    u32::try_from(r.data.len()).map_err(|_| io::Error::other("frame larger than 4 GiB"))
}

fn write_pcap_ns(out: &mut dyn Write, records: &[Record]) -> io::Result<()> {
    let linktype = records.first().map_or(1, |r| r.linktype);
    let mut h = Vec::with_capacity(24);
    h.extend_from_slice(&0xa1b2_3c4du32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&0i32.to_le_bytes()); // thiszone: timestamps are UTC
    h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    h.extend_from_slice(&snaplen(records).to_le_bytes());
    h.extend_from_slice(&linktype.to_le_bytes());
    out.write_all(&h)?;
    for r in records {
        let len = caplen(r)?;
        // choose_format has checked that the seconds fit.
        let secs = r.ts_ns.div_euclid(1_000_000_000) as u32;
        let nanos = r.ts_ns.rem_euclid(1_000_000_000) as u32;
        let mut rh = [0u8; 16];
        rh[0..4].copy_from_slice(&secs.to_le_bytes());
        rh[4..8].copy_from_slice(&nanos.to_le_bytes());
        rh[8..12].copy_from_slice(&len.to_le_bytes());
        rh[12..16].copy_from_slice(&r.orig_len.max(len).to_le_bytes());
        out.write_all(&rh)?;
        out.write_all(&r.data)?;
    }
    Ok(())
}

/// One pcapng block: type, total length, body padded to 32 bits, total length again.
fn block(out: &mut dyn Write, kind: u32, body: &[u8]) -> io::Result<()> {
    let pad = (4 - body.len() % 4) % 4;
    let total = u32::try_from(12 + body.len() + pad)
        .map_err(|_| io::Error::other("pcapng block larger than 4 GiB"))?;
    out.write_all(&kind.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&[0u8; 3][..pad])?;
    out.write_all(&total.to_le_bytes())
}

/// An option: code, length, value padded to 32 bits.
fn option(body: &mut Vec<u8>, code: u16, value: &[u8]) {
    body.extend_from_slice(&code.to_le_bytes());
    body.extend_from_slice(&(value.len() as u16).to_le_bytes());
    body.extend_from_slice(value);
    body.resize(body.len() + (4 - value.len() % 4) % 4, 0);
}

fn write_pcapng(out: &mut dyn Write, records: &[Record]) -> io::Result<()> {
    // Section header: byte-order magic, version 1.0, section length unknown (-1).
    let mut shb = Vec::with_capacity(16);
    shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    block(out, 0x0a0d_0d0a, &shb)?;

    // pcapng timestamps are unsigned: frames before 1970 need a (negative) offset in seconds.
    let min_secs = records
        .iter()
        .map(|r| r.ts_ns.div_euclid(1_000_000_000))
        .min()
        .unwrap_or(0);
    let offset_s = min_secs.min(0);

    // One interface per link type, in order of first appearance.
    let mut links: Vec<u32> = Vec::new();
    for r in records {
        if !links.contains(&r.linktype) {
            links.push(r.linktype);
        }
    }
    let snap = snaplen(records);
    for &lt in &links {
        let mut idb = Vec::with_capacity(32);
        // The IDB's link type field is 16 bits; LINKTYPE_ values all fit.
        idb.extend_from_slice(&((lt & 0xffff) as u16).to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&snap.to_le_bytes());
        option(&mut idb, 9, &[9]); // if_tsresol: 10^-9 s
        if offset_s != 0 {
            option(&mut idb, 14, &offset_s.to_le_bytes()); // if_tsoffset
        }
        option(&mut idb, 0, &[]); // opt_endofopt
        block(out, 1, &idb)?;
    }

    let mut epb = Vec::new();
    for r in records {
        let len = caplen(r)?;
        let iface = links.iter().position(|&l| l == r.linktype).unwrap_or(0) as u32;
        // Never negative: offset_s is at most every frame's seconds.
        let ts = (i128::from(r.ts_ns) - i128::from(offset_s) * 1_000_000_000) as u64;
        epb.clear();
        epb.extend_from_slice(&iface.to_le_bytes());
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&len.to_le_bytes());
        epb.extend_from_slice(&r.orig_len.max(len).to_le_bytes());
        epb.extend_from_slice(&r.data);
        block(out, 6, &epb)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::read_slice;
    use crate::capture::{CaptureFormat, Compression};

    fn rec(ts_ns: i64, linktype: u32, data: &[u8]) -> Record {
        Record {
            ts_ns,
            linktype,
            orig_len: data.len() as u32 + 10,
            data: data.to_vec(),
        }
    }

    /// Reads a written file back with our own reader: (format, frames as records).
    fn read_back(bytes: &[u8]) -> (CaptureFormat, Vec<Record>) {
        let mut got = Vec::new();
        let info = read_slice("out", bytes, Compression::None, &mut |batch| {
            for f in batch {
                got.push(Record {
                    ts_ns: f.ts_ns,
                    linktype: f.linktype,
                    orig_len: f.orig_len,
                    data: f.data.to_vec(),
                });
            }
        })
        .expect("readable");
        assert!(info.problem.is_none(), "{:?}", info.problem);
        (info.format, got)
    }

    #[test]
    fn one_link_type_is_nanosecond_pcap_and_reads_back_exactly() {
        let recs = vec![
            rec(1_700_000_000_123_456_789, 1, b"abc"),
            rec(1_700_000_001_000_000_001, 1, b"defgh"),
        ];
        let mut buf = Vec::new();
        assert_eq!(write(&mut buf, &recs).unwrap(), OutFormat::PcapNs);
        let (format, back) = read_back(&buf);
        assert_eq!(format, CaptureFormat::PcapNs);
        assert_eq!(back, recs);
    }

    #[test]
    fn several_link_types_are_pcapng_with_an_interface_each() {
        let recs = vec![
            rec(1_700_000_000_000_000_001, 1, b"eth"),
            rec(1_700_000_000_500_000_000, 276, b"sll2 frame"),
            rec(1_700_000_001_000_000_000, 1, b"eth again"),
        ];
        let mut buf = Vec::new();
        assert_eq!(write(&mut buf, &recs).unwrap(), OutFormat::PcapNg);
        let (format, back) = read_back(&buf);
        assert_eq!(format, CaptureFormat::PcapNg);
        assert_eq!(back, recs);
    }

    #[test]
    fn timestamps_outside_pcap_range_go_to_pcapng() {
        // Before 1970, and after 2106: pcap's unsigned 32-bit seconds cannot say either.
        for ts in [-1_500_000_000, 5_000_000_000 * 1_000_000_000] {
            let recs = vec![rec(ts, 1, b"x")];
            assert_eq!(choose_format(&recs), OutFormat::PcapNg);
            let mut buf = Vec::new();
            write(&mut buf, &recs).unwrap();
            let (_, back) = read_back(&buf);
            assert_eq!(back, recs, "ts {ts}");
        }
    }

    #[test]
    fn nothing_to_write_is_still_a_valid_file() {
        let mut buf = Vec::new();
        write(&mut buf, &[]).unwrap();
        let (_, back) = read_back(&buf);
        assert!(back.is_empty());
    }
}
