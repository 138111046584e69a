//! Classic pcap records (microsecond and nanosecond, either byte order, the
//! "modified" Kuznetzov variant) → frames.
//!
//! pcap-parser does the byte work; this module picks the record parser from the
//! file header itself (pcap-parser's `LegacyPcapSlice` always reads records as
//! little-endian, see CRATES.md), applies the nanosecond flag, and rejects record
//! lengths that no real packet has, so a lying length reads as corruption at a
//! known offset instead of a multi-gigabyte allocation or a false "truncated".

use super::record::{Next, RecordParser, Stop, MAX_RECORD_LEN};
use super::Frame;
use pcap_parser::nom;
use pcap_parser::pcap::{
    parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header,
};
use pcap_parser::PcapError;

#[derive(Debug, Default)]
pub(crate) struct PcapParser {
    header: Option<Header>,
    pub(crate) caplen_over_snaplen: u64,
}

#[derive(Debug, Clone, Copy)]
struct Header {
    big_endian: bool,
    modified: bool,
    nanos: bool,
    linktype: u32,
    snaplen: u32,
}

const HEADER_LEN: usize = 24;

impl RecordParser for PcapParser {
    fn next<'a>(&mut self, buf: &'a [u8]) -> Result<(usize, Next<'a>), Stop> {
        let Some(h) = self.header else {
            if buf.len() < HEADER_LEN {
                return Err(Stop::NeedMore(Some((HEADER_LEN - buf.len()) as u64)));
            }
            return match parse_pcap_header(buf) {
                Ok((_, ph)) => {
                    self.header = Some(Header {
                        big_endian: ph.is_bigendian(),
                        modified: ph.is_modified_format(),
                        nanos: ph.is_nanosecond_precision(),
                        linktype: ph.network.0 as u32,
                        snaplen: ph.snaplen,
                    });
                    Ok((HEADER_LEN, Next::Skip))
                }
                Err(_) => Err(Stop::BadHeader(
                    "the pcap global header is not recognised".into(),
                )),
            };
        };
        let rec_header = if h.modified { 24 } else { 16 };
        if buf.len() < rec_header {
            return Err(Stop::NeedMore(Some((rec_header - buf.len()) as u64)));
        }
        // Check the record's length before asking pcap-parser for it, so that a
        // garbage length is reported as corruption rather than as a short file.
        let caplen = crate::bytes::u32_in(buf, 8, h.big_endian).unwrap_or(0);
        if caplen as usize > MAX_RECORD_LEN {
            return Err(Stop::Corrupt(format!(
                "record claims {caplen} captured bytes (more than any packet; the length field is damaged)"
            )));
        }
        let parsed = if h.modified {
            parse_pcap_frame_modified(buf)
        } else if h.big_endian {
            parse_pcap_frame_be(buf)
        } else {
            parse_pcap_frame(buf)
        };
        match parsed {
            Ok((rest, rec)) => {
                let consumed = buf.len().saturating_sub(rest.len());
                if h.snaplen != 0 && rec.caplen > h.snaplen {
                    self.caplen_over_snaplen += 1;
                }
                let frac_ns = if h.nanos {
                    rec.ts_usec as i64
                } else {
                    rec.ts_usec as i64 * 1000
                };
                let frame = Frame {
                    number: 0,
                    ts_ns: rec.ts_sec as i64 * 1_000_000_000 + frac_ns,
                    linktype: h.linktype,
                    orig_len: rec.origlen,
                    data: rec.data,
                };
                Ok((consumed, Next::Frame(frame)))
            }
            Err(nom::Err::Incomplete(needed)) => Err(Stop::NeedMore(match needed {
                nom::Needed::Size(n) => Some(n.get() as u64),
                nom::Needed::Unknown => None,
            })),
            Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => Err(Stop::Corrupt(describe(&e))),
        }
    }
}

pub(crate) fn describe(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::NomError(_, kind) => format!("unparseable record ({kind:?})"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le_file(nanos: bool, recs: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&(if nanos { 0xa1b2_3c4du32 } else { 0xa1b2_c3d4 }).to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&4u16.to_le_bytes());
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_le_bytes());
        v.extend_from_slice(&1u32.to_le_bytes());
        for (s, frac, data) in recs {
            v.extend_from_slice(&s.to_le_bytes());
            v.extend_from_slice(&frac.to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(data);
        }
        v
    }

    type Parsed = (Vec<(i64, Vec<u8>)>, Result<(), Stop>);

    fn parse_all(bytes: &[u8]) -> Parsed {
        let mut p = PcapParser::default();
        let mut off = 0;
        let mut out = Vec::new();
        loop {
            match p.next(&bytes[off..]) {
                Ok((n, Next::Frame(f))) => {
                    out.push((f.ts_ns, f.data.to_vec()));
                    off += n
                }
                Ok((n, Next::Skip)) => off += n,
                Err(Stop::NeedMore(_)) if off == bytes.len() => return (out, Ok(())),
                Err(e) => return (out, Err(e)),
            }
        }
    }

    #[test]
    fn microsecond_little_endian() {
        let f = le_file(false, &[(10, 5, b"abc"), (11, 0, b"")]);
        let (frames, end) = parse_all(&f);
        assert!(end.is_ok());
        assert_eq!(
            frames,
            vec![(10_000_005_000, b"abc".to_vec()), (11_000_000_000, vec![])]
        );
    }

    #[test]
    fn nanosecond_flag_is_applied() {
        let f = le_file(true, &[(1, 7, b"x")]);
        assert_eq!(parse_all(&f).0[0].0, 1_000_000_007);
    }

    #[test]
    fn big_endian_records() {
        let mut v = Vec::new();
        v.extend_from_slice(&0xa1b2_c3d4u32.to_be_bytes());
        v.extend_from_slice(&2u16.to_be_bytes());
        v.extend_from_slice(&4u16.to_be_bytes());
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_be_bytes());
        v.extend_from_slice(&1u32.to_be_bytes());
        v.extend_from_slice(&3u32.to_be_bytes());
        v.extend_from_slice(&9u32.to_be_bytes());
        v.extend_from_slice(&2u32.to_be_bytes());
        v.extend_from_slice(&2u32.to_be_bytes());
        v.extend_from_slice(b"hi");
        let (frames, end) = parse_all(&v);
        assert!(end.is_ok());
        assert_eq!(frames, vec![(3_000_009_000, b"hi".to_vec())]);
    }

    #[test]
    fn truncated_last_record_asks_for_more() {
        let mut f = le_file(false, &[(1, 0, b"abcdef")]);
        f.truncate(f.len() - 2);
        let (frames, end) = parse_all(&f);
        assert!(frames.is_empty());
        assert!(matches!(end, Err(Stop::NeedMore(_))));
    }

    #[test]
    fn lying_record_length_is_corruption() {
        let mut f = le_file(false, &[(1, 0, b"abcdef")]);
        f[24 + 8..24 + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        assert!(matches!(parse_all(&f).1, Err(Stop::Corrupt(_))));
    }
}
