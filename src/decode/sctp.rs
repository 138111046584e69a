//! SCTP (RFC 9260, which replaced RFC 4960): the common header and its chunk
//! list, checked once here, then read through zero-copy views.
//!
//! Only DATA chunks (type 0) carry SIP (RFC 4168); every chunk length is
//! checked against the packet before anything is handed on, so the views in
//! [`SctpPacket::data_chunks`] never meet a length that lies. A packet without
//! DATA is finished here (`sctp_control`); I-DATA (RFC 8260, type 64) is not
//! followed and its packet counts as `unsupported_link`. The CRC32c checksum is
//! not verified, like the UDP and TCP checksums (offloaded on the capturing
//! host, so often wrong in captures). The PPID is read but not required: IANA
//! has no SIP value and RFC 4168 sends 0, so SIP is found by content, on any port.

use super::{Ctx, Decoded};
use crate::accounting::Bucket;
use crate::bytes::{be16, be32};
use std::net::{IpAddr, SocketAddr};

const COMMON_HEADER: usize = 12;
const CHUNK_DATA: u8 = 0;
const CHUNK_IDATA: u8 = 64;
/// Type, flags, length, TSN, stream id, stream sequence number, PPID.
const DATA_HEADER: usize = 16;

/// One SCTP packet with at least one DATA chunk, its chunk list checked.
#[derive(Debug)]
pub struct SctpPacket<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub vtag: u32,
    /// The chunks, after the common header (every length checked by [`packet`]).
    pub chunks: &'a [u8],
    pub ctx: Ctx,
}

/// A DATA chunk (RFC 9260 §3.3.1): a user message or a fragment of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataChunk<'a> {
    pub tsn: u32,
    pub stream: u16,
    pub ssn: u16,
    pub ppid: u32,
    pub unordered: bool,
    /// First fragment of a user message (B flag).
    pub begin: bool,
    /// Last fragment of a user message (E flag); B and E together: a whole message.
    pub end: bool,
    pub user: &'a [u8],
}

impl<'a> SctpPacket<'a> {
    /// The DATA chunks, in packet order.
    pub fn data_chunks(&self) -> impl Iterator<Item = DataChunk<'a>> + 'a {
        Chunks { rest: self.chunks }.filter_map(|(kind, flags, value)| {
            if kind != CHUNK_DATA {
                return None;
            }
            Some(DataChunk {
                tsn: be32(value, 0)?,
                stream: be16(value, 4)?,
                ssn: be16(value, 6)?,
                ppid: be32(value, 8)?,
                unordered: flags & 0x04 != 0,
                begin: flags & 0x02 != 0,
                end: flags & 0x01 != 0,
                user: value.get(DATA_HEADER - 4..)?,
            })
        })
    }
}

/// Walks chunks: (type, flags, value without the 4-byte chunk header). Stops at
/// the first chunk that does not fit (there is none once [`packet`] accepted it).
struct Chunks<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Chunks<'a> {
    type Item = (u8, u8, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let (kind, flags, len) = (*self.rest.first()?, *self.rest.get(1)?, be16(self.rest, 2)?);
        let len = usize::from(len);
        let value = self.rest.get(4..len)?;
        // Chunks are padded to 4 bytes; the last one's padding may be missing.
        self.rest = self.rest.get(padded(len)..).unwrap_or_default();
        Some((kind, flags, value))
    }
}

fn padded(len: usize) -> usize {
    (len + 3) & !3
}

/// Decodes an SCTP packet (IP protocol 132).
pub(super) fn packet(src: IpAddr, dst: IpAddr, d: &[u8], ctx: Ctx) -> Decoded<'_> {
    let (Some(sp), Some(dp), Some(vtag), Some(chunks)) =
        (be16(d, 0), be16(d, 2), be32(d, 4), d.get(COMMON_HEADER..))
    else {
        return Decoded::Done(Bucket::Truncated);
    };
    let (mut data, mut idata) = (0usize, 0usize);
    let mut rest = chunks;
    while !rest.is_empty() {
        let (Some(&kind), Some(len)) = (rest.first(), be16(rest, 2)) else {
            return Decoded::Done(cut_or_bad(ctx));
        };
        let len = usize::from(len);
        if len < 4 || (kind == CHUNK_DATA && len < DATA_HEADER) {
            return Decoded::Done(Bucket::BadHeader);
        }
        if len > rest.len() {
            return Decoded::Done(cut_or_bad(ctx));
        }
        match kind {
            CHUNK_DATA => data += 1,
            CHUNK_IDATA => idata += 1,
            _ => {}
        }
        rest = rest.get(padded(len)..).unwrap_or_default();
    }
    if data == 0 {
        return Decoded::Done(if idata > 0 {
            Bucket::UnsupportedLink
        } else {
            Bucket::SctpControl
        });
    }
    Decoded::Sctp(SctpPacket {
        src: SocketAddr::new(src, sp),
        dst: SocketAddr::new(dst, dp),
        vtag,
        chunks,
        ctx,
    })
}

fn cut_or_bad(ctx: Ctx) -> Bucket {
    if ctx.cut {
        Bucket::Truncated
    } else {
        Bucket::BadHeader
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A DATA chunk's bytes: flags (B=2, E=1, U=4), TSN, stream, SSN, PPID, user data, padding.
    pub(crate) fn data_chunk(flags: u8, tsn: u32, stream: u16, ssn: u16, user: &[u8]) -> Vec<u8> {
        let mut c = vec![0, flags];
        c.extend_from_slice(&((16 + user.len()) as u16).to_be_bytes());
        c.extend_from_slice(&tsn.to_be_bytes());
        c.extend_from_slice(&stream.to_be_bytes());
        c.extend_from_slice(&ssn.to_be_bytes());
        c.extend_from_slice(&0u32.to_be_bytes());
        c.extend_from_slice(user);
        c.resize(padded(c.len()), 0);
        c
    }

    /// The common header (ports 5060 → 5080, vtag 0x01020304, checksum 0) and chunks.
    pub(crate) fn sctp(chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut p = vec![0x13, 0xc4, 0x13, 0xd8, 1, 2, 3, 4, 0, 0, 0, 0];
        for c in chunks {
            p.extend_from_slice(c);
        }
        p
    }

    fn decode(p: &[u8]) -> Decoded<'_> {
        packet(
            [10, 0, 0, 1].into(),
            [10, 0, 0, 2].into(),
            p,
            Ctx::default(),
        )
    }

    #[test]
    fn several_data_chunks_with_padding_and_a_sack_in_one_packet() {
        // SACK (type 3): cumulative TSN ack, a_rwnd, no gap blocks.
        let sack = vec![3, 0, 0, 16, 0, 0, 0, 9, 0, 1, 0, 0, 0, 0, 0, 0];
        let p = sctp(&[
            sack,
            data_chunk(3, 10, 0, 0, b"OPTIONS sip:a SIP/2.0\r\n\r\n"),
            data_chunk(2, 11, 1, 0, b"INVITE"),
        ]);
        let Decoded::Sctp(s) = decode(&p) else {
            panic!("expected SCTP")
        };
        assert_eq!(
            (s.src.port(), s.dst.port(), s.vtag),
            (5060, 5080, 0x0102_0304)
        );
        let chunks: Vec<DataChunk<'_>> = s.data_chunks().collect();
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].user, b"OPTIONS sip:a SIP/2.0\r\n\r\n");
        assert!(chunks[0].begin && chunks[0].end && !chunks[0].unordered);
        assert_eq!((chunks[1].tsn, chunks[1].stream), (11, 1));
        assert_eq!(chunks[1].user, b"INVITE", "padding is not user data");
        assert!(chunks[1].begin && !chunks[1].end);
    }

    #[test]
    fn the_last_chunk_may_lack_its_padding() {
        let mut p = sctp(&[data_chunk(3, 1, 0, 0, b"abcde")]);
        p.truncate(p.len() - 3);
        let Decoded::Sctp(s) = decode(&p) else {
            panic!("expected SCTP")
        };
        assert_eq!(s.data_chunks().next().unwrap().user, b"abcde");
    }

    #[test]
    fn control_only_idata_and_lying_lengths() {
        // INIT-like chunk only.
        let init = vec![1, 0, 0, 8, 0, 0, 0, 0];
        assert!(matches!(
            decode(&sctp(&[init])),
            Decoded::Done(Bucket::SctpControl)
        ));
        let mut idata = data_chunk(3, 1, 0, 0, b"x");
        idata[0] = 64;
        assert!(matches!(
            decode(&sctp(&[idata])),
            Decoded::Done(Bucket::UnsupportedLink)
        ));
        // A DATA chunk claiming 200 bytes in a 40-byte packet.
        let mut lying = data_chunk(3, 1, 0, 0, b"OPTIONS");
        lying[2..4].copy_from_slice(&200u16.to_be_bytes());
        assert!(matches!(
            decode(&sctp(&[lying.clone()])),
            Decoded::Done(Bucket::BadHeader)
        ));
        let p = sctp(&[lying]);
        let cut = Ctx {
            cut: true,
            ..Ctx::default()
        };
        assert!(matches!(
            packet([10, 0, 0, 1].into(), [10, 0, 0, 2].into(), &p, cut),
            Decoded::Done(Bucket::Truncated)
        ));
        // A chunk length below its header.
        let zero = vec![0, 3, 0, 0];
        assert!(matches!(
            decode(&sctp(&[zero])),
            Decoded::Done(Bucket::BadHeader)
        ));
        assert!(matches!(
            decode(&[0x13, 0xc4, 0x13]),
            Decoded::Done(Bucket::Truncated)
        ));
    }
}
