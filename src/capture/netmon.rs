//! Microsoft Network Monitor 2.x captures (magic "GMBU") → frames.
//!
//! A NetMon file is not a stream of records: a header names a frame table (one
//! u32 file offset per frame, normally written last), and the frames are wherever
//! the table says, in table order, which need not be file order (Wireshark's
//! netmon.c has seen captures whose statistics record is first in the file and
//! last in the table). So this parser works on the whole file held in memory and
//! does not implement the sequential [`RecordParser`](super::record::RecordParser);
//! `reader.rs` hands it the memory map, or the whole decompressed stream.
//!
//! It reads the header, walks the table, and turns each record (8-byte µs delta,
//! original and captured length, data, and from version 2.1 on a trailer with the
//! frame's own media type) into a [`Frame`] with a LINKTYPE_ value and a UTC
//! timestamp. Metadata records that are not frames are skipped. What the frames
//! carry, and whether their link type can be decoded, is left to
//! [`crate::decode`]. NetMon 1.x ("RTSS") is not read.
//!
//! Every length and offset comes from the file, so every access is checked: a
//! table or a frame outside the file, or a length that lies, ends the walk with
//! the offset where it went wrong, after the frames read before it.

use super::linktype;
use super::record::{Stop, MAX_RECORD_LEN};
use super::Frame;
use crate::bytes::{le16, le32};

/// The fields of the file header; NetMon pads it to 128 bytes, but only the
/// frame table matters for reading, so a file whose first frame starts earlier
/// is still read.
const HEADER_LEN: usize = 64;
/// Delta time (u64), original length (u32), captured length (u32).
const RECORD_HEADER_LEN: usize = 16;

/// A frame whose media type has no LINKTYPE_ equivalent (FDDI stored
/// bit-swapped, ATM with NetMon's own pseudo-header, NetMon's 802.11 metadata,
/// ETW events…): the decoder reports it as unsupported. pcapng.rs uses the same
/// value for packets on an undescribed interface.
const NO_LINKTYPE: u32 = u32::MAX;
const LINKTYPE_IEEE802_5: u32 = 6;
const LINKTYPE_IEEE802_11: u32 = 105;

/// FILETIME (100 ns units since 1601-01-01 UTC) of the Unix epoch.
const FILETIME_UNIX_EPOCH: i128 = 116_444_736_000_000_000;

/// Where the walk stopped, and why.
pub(crate) type Damage = (u64, Stop);

/// The LINKTYPE_ value for a NetMon media type, or `None` for a metadata record
/// that holds no frame. Follows Wireshark's netmon.c, which maps from what the
/// frames hold rather than from the NDIS names: 0 carries Ethernet headers
/// (NetMon 3.4 VPN captures), 7–9 are raw IP in format 2.x.
fn linktype_of(network: u16) -> Option<u32> {
    Some(match network {
        0 | 1 => linktype::ETHERNET,
        2 => LINKTYPE_IEEE802_5,
        7..=9 => linktype::RAW,
        // Microsoft Message Analyzer's own types: only "WiFi Message" is plain 802.11.
        0xE080 => LINKTYPE_IEEE802_11,
        0xE081..=0xE08A => NO_LINKTYPE,
        // A pcap file converted by NetMon: the low 12 bits are the pcap link type.
        n if n & 0xF000 == 0xE000 => u32::from(n & 0x0FFF),
        // Payload header of a reassembled fake frame, adapter list, DNS cache.
        0xFFFC..=0xFFFE => return None,
        _ => NO_LINKTYPE,
    })
}

fn le64(d: &[u8], at: usize) -> Option<u64> {
    crate::bytes::array(d, at).map(u64::from_le_bytes)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Nanoseconds since the epoch for the header's SYSTEMTIME, read as UTC.
///
/// The file does not say which zone the capturing machine was in. Wireshark
/// reads it in the analyst's local zone (`mktime`); UTC keeps our results the
/// same on every machine, and equal to tshark's under `TZ=UTC`. Out-of-range
/// fields carry over as `mktime` carries them (month 13 is January next year).
fn systemtime_ns(f: [u16; 7]) -> i64 {
    let [year, month, day, hour, min, sec, msec] = f.map(i64::from);
    let m0 = month - 1;
    let days = days_from_civil(year + m0.div_euclid(12), m0.rem_euclid(12) + 1, 1) + day - 1;
    let secs = days * 86_400 + hour * 3_600 + min * 60 + sec;
    secs.saturating_mul(1_000_000_000)
        .saturating_add(msec * 1_000_000)
}

/// A NetMon 2.x file held whole in memory, walked through its frame table.
/// Yields frames in table order; after an error it yields nothing more.
pub(crate) struct NetmonParser<'a> {
    data: &'a [u8],
    minor: u8,
    /// Version 2.0 has one media type for the file; later versions one per frame.
    file_linktype: Option<u32>,
    start_ns: i64,
    /// The whole entries of the frame table that lie inside the file.
    table: &'a [u8],
    /// Why the table is shorter than the header says, reported after its frames.
    table_damage: Option<Damage>,
    next: usize,
    done: bool,
    /// Link types of the frames read so far (the file's own for version 2.0).
    pub(crate) linktypes: Vec<u32>,
}

impl<'a> NetmonParser<'a> {
    /// Reads the header and locates the frame table. `data` must be the whole file.
    pub(crate) fn open(data: &'a [u8]) -> Result<Self, Damage> {
        if data.len() < HEADER_LEN {
            return Err((0, Stop::NeedMore(Some((HEADER_LEN - data.len()) as u64))));
        }
        let h = |at| le16(data, at).unwrap_or(0);
        let w = |at| le32(data, at).unwrap_or(0);
        if data.get(..4) != Some(b"GMBU".as_slice()) {
            return Err((
                0,
                Stop::BadHeader("not a Network Monitor 2.x file (no GMBU magic)".into()),
            ));
        }
        let [minor, major] = crate::bytes::array(data, 4).unwrap_or_default();
        if major != 2 {
            return Err((
                5,
                Stop::BadHeader(format!(
                    "Network Monitor format {major}.{minor} is not supported (only 2.x)"
                )),
            ));
        }
        let file_linktype = (minor == 0).then(|| linktype_of(h(6)).unwrap_or(NO_LINKTYPE));
        // SYSTEMTIME: year, month, day of week (unused), day, hour, minute, second, millisecond.
        let start_ns = systemtime_ns([h(8), h(10), h(14), h(16), h(18), h(20), h(22)]);

        let table_off = w(24) as usize;
        let table_len = w(28) as usize;
        // Use the whole entries that are in the file, so that a file cut inside
        // its table (or a table length that is not a multiple of 4) still gives
        // the frames it lists, and say afterwards what was wrong.
        let in_file = data.len().saturating_sub(table_off).min(table_len);
        let table = data
            .get(table_off..table_off + in_file - in_file % 4)
            .unwrap_or(&[]);
        let table_damage = if table_len == 0 {
            Some(
                "the header lists no frame table (length 0): the capture was not closed, or the header is damaged"
                    .into(),
            )
        } else if in_file < table_len {
            Some(format!(
                "the frame table ({table_len} bytes at byte {table_off}) runs past the end of the file ({} bytes): \
                 the file was cut short or the header is damaged",
                data.len()
            ))
        } else if table_len % 4 != 0 {
            Some(format!(
                "the frame table length {table_len} is not a whole number of 4-byte entries"
            ))
        } else {
            None
        };
        Ok(NetmonParser {
            data,
            minor,
            file_linktype,
            start_ns,
            table,
            table_damage: table_damage.map(|r| (table_off as u64, Stop::Corrupt(r))),
            next: 0,
            done: false,
            linktypes: file_linktype.into_iter().collect(),
        })
    }

    /// Checks the header at the front of a stream before the stream is held whole:
    /// magic and version. Returns where the frame table ends (the bytes the file
    /// must have at least, by its own header).
    pub(crate) fn check_header(head: &[u8]) -> Result<u64, Damage> {
        let head = head.get(..HEADER_LEN).unwrap_or(head);
        NetmonParser::open(head)?;
        let w = |at| u64::from(le32(head, at).unwrap_or(0));
        Ok(w(24) + w(28))
    }

    /// Trailer after the frame data: none in 2.0; media type (2 bytes) from 2.1,
    /// process index (4) from 2.2, UTC FILETIME (8) and time zone index (1) from 2.3.
    fn trailer_len(&self) -> usize {
        match self.minor {
            0 => 0,
            1 => 2,
            2 => 6,
            _ => 15,
        }
    }

    /// The frame at `off` (entry `index` of the table), or `None` for a metadata record.
    fn record(&mut self, index: usize, off: usize) -> Result<Option<Frame<'a>>, Stop> {
        let len = self.data.len();
        let n = index + 1;
        // Offsets inside the record are taken from its own slice, so that no sum
        // of file values can overflow.
        let rec: &'a [u8] = self.data.get(off..).unwrap_or(&[]);
        let (Some(delta), Some(orig_len), Some(caplen)) =
            (le64(rec, 0), le32(rec, 8), le32(rec, 12))
        else {
            return Err(Stop::Corrupt(if off >= len {
                format!("frame {n} is listed at byte {off}, past the end of the file ({len} bytes)")
            } else {
                format!("the file ends inside the header of frame {n}")
            }));
        };
        if caplen as usize > MAX_RECORD_LEN {
            return Err(Stop::Corrupt(format!(
                "frame {n} claims {caplen} captured bytes (more than any packet; the length field is damaged)"
            )));
        }
        let data_end = RECORD_HEADER_LEN + caplen as usize;
        let trailer = rec.get(data_end..data_end + self.trailer_len());
        let (Some(data), Some(trailer)) = (rec.get(RECORD_HEADER_LEN..data_end), trailer) else {
            return Err(Stop::Corrupt(format!(
                "frame {n} claims {caplen} captured bytes, but the file ends at byte {len}"
            )));
        };

        // Microsoft documents the delta as unsigned microseconds but writes negative
        // ones; like Wireshark, scale it to 100 ns units as u64, then read it as signed.
        let delta_ns = (delta.wrapping_mul(10) as i64).saturating_mul(100);
        let mut ts_ns = self.start_ns.saturating_add(delta_ns);
        let linktype = match self.file_linktype {
            Some(lt) => lt,
            None => match le16(trailer, 0).map(linktype_of) {
                Some(Some(lt)) => lt,
                _ => return Ok(None),
            },
        };
        // From 2.3 each frame has its own UTC time, which wins over start + delta;
        // a FILETIME outside what i64 nanoseconds hold (before 1677, e.g. a zeroed
        // field) is ignored rather than clamped to a false date.
        if let Some(ft) = le64(trailer, 6) {
            let ns = (i128::from(ft) - FILETIME_UNIX_EPOCH) * 100;
            if let Ok(ns) = i64::try_from(ns) {
                ts_ns = ns;
            }
        }
        if !self.linktypes.contains(&linktype) {
            self.linktypes.push(linktype);
        }
        Ok(Some(Frame {
            number: 0,
            ts_ns,
            linktype,
            orig_len,
            data,
        }))
    }
}

impl<'a> Iterator for NetmonParser<'a> {
    type Item = Result<Frame<'a>, Damage>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let Some(off) = le32(self.table, self.next * 4) else {
                self.done = true;
                return self.table_damage.take().map(Err);
            };
            let index = self.next;
            self.next += 1;
            match self.record(index, off as usize) {
                Ok(Some(frame)) => return Some(Ok(frame)),
                Ok(None) => {}
                Err(stop) => {
                    self.done = true;
                    return Some(Err((u64::from(off), stop)));
                }
            }
        }
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal NetMon 2.0 file: the 64 header bytes that matter, two Ethernet
    /// frames right after them (NetMon pads the header to 128; the table is what
    /// locates frames, so this is still valid), then the frame table.
    #[rustfmt::skip]
    pub(crate) const TWO_FRAMES: &[u8] = &[
        b'G', b'M', b'B', b'U', 0x00, 0x02,       // magic, version 2.0
        0x01, 0x00,                               // network type 1: Ethernet
        0xd5, 0x07, 0x07, 0x00, 0x00, 0x00, 0x11, 0x00, // 2005-07 (Sunday) 17
        0x0f, 0x00, 0x27, 0x00, 0x14, 0x00, 0xf6, 0x01, // 15:39:20.502
        0x67, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, // frame table at 103, 8 bytes
        0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0, // user data, comments,
        0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0, // process and network info
        // frame 1 at 64: delta 0, 4 of 4 bytes
        0, 0, 0, 0, 0, 0, 0, 0,  0x04, 0, 0, 0,  0x04, 0, 0, 0,  b'a', b'b', b'c', b'd',
        // frame 2 at 84: delta 1.5 s = 1 500 000 µs, 3 of 6 bytes
        0x60, 0xe3, 0x16, 0, 0, 0, 0, 0,  0x06, 0, 0, 0,  0x03, 0, 0, 0,  b'x', b'y', b'z',
        // frame table at 103
        0x40, 0x00, 0x00, 0x00,  0x54, 0x00, 0x00, 0x00,
    ];

    /// 2005-07-17 15:39:20.502 UTC.
    const START_NS: i64 = 1_121_614_760_502_000_000;

    type Walk = (Vec<(u32, i64, u32, Vec<u8>)>, Option<Damage>);

    fn walk(bytes: &[u8]) -> Walk {
        let mut p = match NetmonParser::open(bytes) {
            Ok(p) => p,
            Err(e) => return (vec![], Some(e)),
        };
        let mut out = vec![];
        for r in p.by_ref() {
            match r {
                Ok(f) => out.push((f.linktype, f.ts_ns, f.orig_len, f.data.to_vec())),
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    fn corrupt_at(d: &Option<Damage>) -> Option<u64> {
        match d {
            Some((off, Stop::Corrupt(_))) => Some(*off),
            _ => None,
        }
    }

    #[test]
    fn two_ethernet_frames() {
        assert_eq!(TWO_FRAMES.len(), 111);
        let (frames, damage) = walk(TWO_FRAMES);
        assert!(damage.is_none(), "{damage:?}");
        assert_eq!(
            frames,
            vec![
                (1, START_NS, 4, b"abcd".to_vec()),
                (1, START_NS + 1_500_000_000, 6, b"xyz".to_vec()),
            ]
        );
    }

    #[test]
    fn header_time_is_utc_systemtime() {
        assert_eq!(systemtime_ns([1970, 1, 1, 0, 0, 0, 0]), 0);
        assert_eq!(systemtime_ns([2005, 7, 17, 15, 39, 20, 502]), START_NS);
        assert_eq!(
            systemtime_ns([2024, 2, 29, 0, 0, 0, 0]),
            1_709_164_800_000_000_000
        );
        // Month 13 carries into the next year, as mktime does.
        assert_eq!(systemtime_ns([1969, 13, 1, 0, 0, 0, 0]), 0);
    }

    #[test]
    fn frame_table_cut_short() {
        // The file ends 2 bytes into the table's second entry: frame 1 is still read.
        let (frames, damage) = walk(&TWO_FRAMES[..109]);
        assert_eq!(frames.len(), 1);
        assert_eq!(corrupt_at(&damage), Some(103));
        // The table lies entirely beyond the end of the file.
        let mut f = TWO_FRAMES.to_vec();
        f[24..28].copy_from_slice(&5000u32.to_le_bytes());
        let (frames, damage) = walk(&f);
        assert!(frames.is_empty());
        assert_eq!(corrupt_at(&damage), Some(5000));
    }

    #[test]
    fn frame_offset_past_the_end() {
        let mut f = TWO_FRAMES.to_vec();
        f[107..111].copy_from_slice(&0x1000u32.to_le_bytes());
        let (frames, damage) = walk(&f);
        assert_eq!(frames.len(), 1);
        assert_eq!(corrupt_at(&damage), Some(0x1000));
    }

    #[test]
    fn captured_lengths_that_lie() {
        // Frame 2 claims 255 captured bytes: the data would run past the end of the file.
        let mut f = TWO_FRAMES.to_vec();
        f[96] = 0xff;
        let (frames, damage) = walk(&f);
        assert_eq!(frames.len(), 1);
        assert_eq!(corrupt_at(&damage), Some(84));
        // Frame 1 claims more than any packet.
        let mut f = TWO_FRAMES.to_vec();
        f[76..80].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        let (frames, damage) = walk(&f);
        assert!(frames.is_empty());
        assert_eq!(corrupt_at(&damage), Some(64));
    }

    #[test]
    fn bad_headers() {
        assert!(matches!(
            walk(&TWO_FRAMES[..40]).1,
            Some((0, Stop::NeedMore(Some(24))))
        ));
        let mut f = TWO_FRAMES.to_vec();
        f[5] = 3;
        assert!(matches!(walk(&f).1, Some((5, Stop::BadHeader(_)))));
        let mut f = TWO_FRAMES.to_vec();
        f[28] = 0; // no frame table
        let (frames, damage) = walk(&f);
        assert!(frames.is_empty());
        assert_eq!(corrupt_at(&damage), Some(103));
    }

    #[test]
    fn no_damage_panics() {
        // Every prefix, and every byte set to 0xff or 0x00, reads without a panic.
        for n in 0..=TWO_FRAMES.len() {
            walk(&TWO_FRAMES[..n]);
        }
        for i in 0..TWO_FRAMES.len() {
            for v in [0x00, 0x7f, 0xff] {
                let mut f = TWO_FRAMES.to_vec();
                f[i] = v;
                walk(&f);
            }
        }
    }

    /// A NetMon 2.`minor` file with a trailer on each record; `records` are
    /// (delta µs, media type, FILETIME, data), `order` the frame table as indexes.
    fn v2x(minor: u8, records: &[(u64, u16, u64, &[u8])], order: &[usize]) -> Vec<u8> {
        let mut v = b"GMBU".to_vec();
        v.extend_from_slice(&[minor, 2, 1, 0]);
        for x in [1970u16, 1, 4, 1, 0, 0, 10, 0] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        v.resize(128, 0);
        let mut offsets = vec![];
        for (delta, network, filetime, data) in records {
            offsets.push(v.len() as u32);
            v.extend_from_slice(&delta.to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(data);
            v.extend_from_slice(&network.to_le_bytes());
            if minor >= 2 {
                v.extend_from_slice(&7u32.to_le_bytes());
            }
            if minor >= 3 {
                v.extend_from_slice(&filetime.to_le_bytes());
                v.push(0);
            }
        }
        let table_off = v.len() as u32;
        for &i in order {
            v.extend_from_slice(&offsets[i].to_le_bytes());
        }
        v[24..28].copy_from_slice(&table_off.to_le_bytes());
        v[28..32].copy_from_slice(&((order.len() * 4) as u32).to_le_bytes());
        v
    }

    #[test]
    fn per_frame_media_types_and_table_order() {
        let records: &[(u64, u16, u64, &[u8])] = &[
            (3, 0xFFFD, 0, b"adapter list"), // metadata, not a frame
            (1, 1, 0, b"eth"),
            (2, 0xE000 | 113, 0, b"sll"), // converted pcap: LINKTYPE_LINUX_SLL
            (0, 3, 0, b"fddi"),           // no LINKTYPE_ equivalent
            (0, 9, 0, b"ip"),             // raw IP
        ];
        let f = v2x(1, records, &[1, 0, 2, 3, 4]);
        let (frames, damage) = walk(&f);
        assert!(damage.is_none(), "{damage:?}");
        let s = 10_000_000_000;
        let got: Vec<(u32, i64)> = frames.iter().map(|f| (f.0, f.1)).collect();
        assert_eq!(
            got,
            vec![(1, s + 1000), (113, s + 2000), (NO_LINKTYPE, s), (101, s)]
        );
        // The table, not the file, decides the order.
        let f = v2x(1, records, &[2, 1]);
        assert_eq!(
            walk(&f).0.iter().map(|f| f.0).collect::<Vec<_>>(),
            vec![113, 1]
        );
    }

    #[test]
    fn utc_filetime_in_version_2_3() {
        // 2005-07-17 15:39:20.5020001 UTC as a FILETIME; the 100 ns digit is kept.
        let ft = (START_NS as i128 / 100 + FILETIME_UNIX_EPOCH + 1) as u64;
        let f = v2x(3, &[(42, 1, ft, b"a"), (5, 1, 0, b"b")], &[0, 1]);
        let (frames, damage) = walk(&f);
        assert!(damage.is_none(), "{damage:?}");
        assert_eq!(frames[0].1, START_NS + 100);
        // A zeroed FILETIME (1601) cannot be held in i64 nanoseconds: start + delta.
        assert_eq!(frames[1].1, 10_000_005_000);
        // The 15-byte trailers are skipped correctly: the data is intact.
        assert_eq!(
            (frames[0].3.as_slice(), frames[1].3.as_slice()),
            (&b"a"[..], &b"b"[..])
        );
    }

    #[test]
    fn negative_delta_as_wireshark_reads_it() {
        let f = v2x(1, &[((-2_000_000i64) as u64, 1, 0, b"a")], &[0]);
        assert_eq!(walk(&f).0[0].1, 8_000_000_000);
    }
}
