//! pcapng blocks → frames.
//!
//! Keeps each section's interfaces (link type, timestamp unit, offset) and
//! resolves every packet block against them; several sections, several
//! interfaces with different link types and `if_tsresol`, both byte orders,
//! unknown blocks skipped. pcap-parser parses the blocks; the timestamp
//! arithmetic is done here because pcap-parser's `ts_resolution()` returns
//! `None` for every power-of-two resolution (CRATES.md).

use super::pcap::describe;
use super::record::{Next, RecordParser, Stop, MAX_RECORD_LEN};
use super::Frame;
use pcap_parser::nom;
use pcap_parser::pcapng::{parse_block_be, parse_block_le, Block};

const SHB: u32 = 0x0A0D_0D0A;
const BOM: u32 = 0x1A2B_3C4D;
/// The obsolete Packet Block (type 2), still written by old tools; parsed here by hand.
const OBSOLETE_PACKET: u32 = 0x0000_0002;

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u32,
    snaplen: u32,
    /// Timestamp units per second.
    units_per_sec: u64,
    /// Seconds added to every timestamp (`if_tsoffset`, signed).
    offset_s: i64,
}

#[derive(Debug, Default)]
pub(crate) struct PcapNgParser {
    started: bool,
    big_endian: bool,
    interfaces: Vec<Interface>,
    last_ts_ns: i64,
    pub(crate) sections: u32,
    pub(crate) interfaces_seen: u32,
    pub(crate) skipped_blocks: u64,
    pub(crate) unknown_interface: u64,
    pub(crate) linktypes: Vec<u32>,
}

/// Units per second for a raw `if_tsresol` byte: MSB clear → 10^-n, set → 2^-n.
pub(crate) fn units_per_sec(tsresol: u8) -> Option<u64> {
    let n = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        10u64.checked_pow(n)
    } else {
        1u64.checked_shl(n).filter(|_| n < 64)
    }
}

/// Nanoseconds since the epoch for a 64-bit timestamp in `units_per_sec` units.
pub(crate) fn to_ns(units: u64, units_per_sec: u64, offset_s: i64) -> i64 {
    let ups = units_per_sec.max(1) as u128;
    let ns = (units as u128 * 1_000_000_000 / ups).min(i64::MAX as u128) as i64;
    ns.saturating_add(offset_s.saturating_mul(1_000_000_000))
}

impl PcapNgParser {
    /// A 32-bit field of this section's byte order; 0 past the end (callers check
    /// lengths first, and a 0 length or size then reads as corruption).
    fn read_u32(&self, b: &[u8], at: usize) -> u32 {
        crate::bytes::u32_in(b, at, self.big_endian).unwrap_or(0)
    }

    fn obsolete_packet<'a>(&mut self, block: &'a [u8]) -> Result<Next<'a>, Stop> {
        // type(4) len(4) if_id(2) drops(2) ts_high(4) ts_low(4) caplen(4) origlen(4) data...
        if block.len() < 32 {
            return Err(Stop::Corrupt(
                "obsolete packet block shorter than its header".into(),
            ));
        }
        let if_id = if self.big_endian {
            crate::bytes::be16(block, 8)
        } else {
            crate::bytes::le16(block, 8)
        }
        .unwrap_or(0);
        let ts = (u64::from(self.read_u32(block, 12)) << 32) | u64::from(self.read_u32(block, 16));
        let caplen = self.read_u32(block, 20) as usize;
        let origlen = self.read_u32(block, 24);
        let data_end = 28usize.saturating_add(caplen);
        let Some(data) = block
            .get(28..data_end)
            .filter(|_| data_end <= block.len().saturating_sub(4))
        else {
            return Err(Stop::Corrupt(format!(
                "packet block claims {caplen} bytes, more than the block holds"
            )));
        };
        Ok(self.frame(u32::from(if_id), ts, origlen, data))
    }

    fn frame<'a>(&mut self, if_id: u32, ts_units: u64, orig_len: u32, data: &'a [u8]) -> Next<'a> {
        let (linktype, ts_ns) = match self.interfaces.get(if_id as usize) {
            Some(i) => (i.linktype, to_ns(ts_units, i.units_per_sec, i.offset_s)),
            None => {
                self.unknown_interface += 1;
                (u32::MAX, to_ns(ts_units, 1_000_000, 0))
            }
        };
        self.last_ts_ns = ts_ns;
        Next::Frame(Frame {
            number: 0,
            ts_ns,
            linktype,
            orig_len,
            data,
        })
    }
}

impl RecordParser for PcapNgParser {
    fn next<'a>(&mut self, buf: &'a [u8]) -> Result<(usize, Next<'a>), Stop> {
        if buf.len() < 12 {
            return Err(Stop::NeedMore(Some((12 - buf.len()) as u64)));
        }
        let raw_type = crate::bytes::le32(buf, 0).unwrap_or(0);
        if raw_type == SHB {
            // The byte-order magic decides how this whole section is read.
            let bom = crate::bytes::le32(buf, 8).unwrap_or(0);
            self.big_endian = match bom {
                BOM => false,
                x if x == BOM.swap_bytes() => true,
                _ => {
                    let msg = "section header has no valid byte-order magic".to_string();
                    return Err(if self.started {
                        Stop::Corrupt(msg)
                    } else {
                        Stop::BadHeader(msg)
                    });
                }
            };
        } else if !self.started {
            return Err(Stop::BadHeader(
                "pcapng must start with a section header block".into(),
            ));
        }
        let block_type = self.read_u32(buf, 0);
        let len = self.read_u32(buf, 4) as usize;
        if len < 12 || len % 4 != 0 || len > MAX_RECORD_LEN + 64 {
            return Err(Stop::Corrupt(format!(
                "block of type {block_type:#x} has an impossible length {len}"
            )));
        }
        let Some(block) = buf.get(..len) else {
            return Err(Stop::NeedMore(Some(len.saturating_sub(buf.len()) as u64)));
        };
        let trailing = self.read_u32(block, len.saturating_sub(4)) as usize;
        if trailing != len {
            return Err(Stop::Corrupt(format!(
                "block of type {block_type:#x} says {len} bytes at its start and {trailing} at its end"
            )));
        }
        if block_type == OBSOLETE_PACKET {
            return self.obsolete_packet(block).map(|n| (len, n));
        }
        let parsed = if self.big_endian {
            parse_block_be(block)
        } else {
            parse_block_le(block)
        };
        let block = match parsed {
            Ok((_, b)) => b,
            Err(nom::Err::Incomplete(_)) => {
                return Err(Stop::Corrupt(format!(
                    "block of type {block_type:#x} is shorter than its contents"
                )))
            }
            Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => {
                return Err(Stop::Corrupt(format!(
                    "block of type {block_type:#x}: {}",
                    describe(&e)
                )))
            }
        };
        let next = match block {
            Block::SectionHeader(_) => {
                self.started = true;
                self.sections += 1;
                self.interfaces.clear();
                Next::Skip
            }
            Block::InterfaceDescription(idb) => {
                let linktype = idb.linktype.0 as u32;
                self.interfaces.push(Interface {
                    linktype,
                    snaplen: idb.snaplen,
                    units_per_sec: units_per_sec(idb.if_tsresol).unwrap_or(1_000_000),
                    offset_s: idb.if_tsoffset,
                });
                self.interfaces_seen += 1;
                if !self.linktypes.contains(&linktype) {
                    self.linktypes.push(linktype);
                }
                Next::Skip
            }
            Block::EnhancedPacket(epb) => {
                let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                // `packet_data()` borrows the block; slice the padded data ourselves to keep the map's lifetime.
                let data: &'a [u8] = epb.data;
                let data = data.get(..epb.caplen as usize).unwrap_or(data);
                self.frame(epb.if_id, ts, epb.origlen, data)
            }
            Block::SimplePacket(spb) => {
                // No timestamp and no captured length: the snaplen of interface 0 caps the data.
                let snap = self.interfaces.first().map(|i| i.snaplen).unwrap_or(0);
                let mut n = (spb.origlen as usize).min(spb.data.len());
                if snap != 0 {
                    n = n.min(snap as usize);
                }
                let ts = self.last_ts_ns;
                let linktype = self
                    .interfaces
                    .first()
                    .map(|i| i.linktype)
                    .unwrap_or(u32::MAX);
                Next::Frame(Frame {
                    number: 0,
                    ts_ns: ts,
                    linktype,
                    orig_len: spb.origlen,
                    data: spb.data.get(..n).unwrap_or(spb.data),
                })
            }
            _ => {
                self.skipped_blocks += 1;
                Next::Skip
            }
        };
        Ok((len, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(t: u32, body: &[u8]) -> Vec<u8> {
        let mut body = body.to_vec();
        while body.len() % 4 != 0 {
            body.push(0);
        }
        let len = (body.len() + 12) as u32;
        let mut v = t.to_le_bytes().to_vec();
        v.extend_from_slice(&len.to_le_bytes());
        v.extend_from_slice(&body);
        v.extend_from_slice(&len.to_le_bytes());
        v
    }
    fn shb() -> Vec<u8> {
        let mut b = BOM.to_le_bytes().to_vec();
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&(-1i64).to_le_bytes());
        block(SHB, &b)
    }
    fn idb(linktype: u16, tsresol: Option<u8>) -> Vec<u8> {
        let mut b = linktype.to_le_bytes().to_vec();
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        if let Some(r) = tsresol {
            b.extend_from_slice(&9u16.to_le_bytes());
            b.extend_from_slice(&1u16.to_le_bytes());
            b.extend_from_slice(&[r, 0, 0, 0]);
            b.extend_from_slice(&[0, 0, 0, 0]);
        }
        block(1, &b)
    }
    fn epb(if_id: u32, ts: u64, data: &[u8]) -> Vec<u8> {
        let mut b = if_id.to_le_bytes().to_vec();
        b.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        b.extend_from_slice(&(ts as u32).to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(data);
        block(6, &b)
    }

    type Parsed = (Vec<(u32, i64, Vec<u8>)>, Option<Stop>);

    fn frames(bytes: &[u8]) -> Parsed {
        let mut p = PcapNgParser::default();
        let mut off = 0;
        let mut out = vec![];
        loop {
            match p.next(&bytes[off..]) {
                Ok((n, Next::Frame(f))) => {
                    out.push((f.linktype, f.ts_ns, f.data.to_vec()));
                    off += n;
                }
                Ok((n, Next::Skip)) => off += n,
                Err(Stop::NeedMore(_)) if off == bytes.len() => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[test]
    fn interfaces_with_their_own_linktype_and_resolution() {
        let mut f = shb();
        f.extend(idb(1, None)); // Ethernet, microseconds
        f.extend(idb(0, Some(9))); // NULL, nanoseconds
        f.extend(idb(113, Some(0x80 | 10))); // SLL, 2^-10 s
        f.extend(block(0x0bad_0bad, b"unknown block, skipped"));
        f.extend(epb(0, 1_500_000, b"a"));
        f.extend(epb(1, 2_000_000_001, b"b"));
        f.extend(epb(2, 3 * 1024 + 512, b"c"));
        let (fr, stop) = frames(&f);
        assert!(stop.is_none(), "{stop:?}");
        assert_eq!(
            fr,
            vec![
                (1, 1_500_000_000, b"a".to_vec()),
                (0, 2_000_000_001, b"b".to_vec()),
                (113, 3_500_000_000, b"c".to_vec()),
            ]
        );
    }

    #[test]
    fn a_second_section_resets_interfaces() {
        let mut f = shb();
        f.extend(idb(1, None));
        f.extend(shb());
        f.extend(idb(101, None));
        f.extend(epb(0, 0, b"x"));
        assert_eq!(frames(&f).0[0].0, 101);
    }

    #[test]
    fn block_lengths_that_lie_are_corruption() {
        let mut f = shb();
        f.extend(idb(1, None));
        let mut e = epb(0, 0, b"abcd");
        let n = e.len();
        e[n - 4..].copy_from_slice(&999u32.to_le_bytes());
        f.extend(e);
        assert!(matches!(frames(&f).1, Some(Stop::Corrupt(_))));
    }

    #[test]
    fn garbage_is_not_pcapng() {
        assert!(matches!(
            frames(b"this is not a capture file").1,
            Some(Stop::BadHeader(_))
        ));
    }

    #[test]
    fn power_of_two_resolution() {
        assert_eq!(units_per_sec(0x80 | 20), Some(1 << 20));
        assert_eq!(units_per_sec(6), Some(1_000_000));
        assert_eq!(units_per_sec(0x80 | 70), None);
    }
}
