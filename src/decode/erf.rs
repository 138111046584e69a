//! Endace ERF records (pcap/pcapng link type 197): a 16-byte record header,
//! optional 8-byte extension headers, then the captured frame.
//!
//! Record header: timestamp(8, little-endian fixed point), type(1), flags(1),
//! rlen(2), lctr/colour(2), wlen(2). The top bit of the type byte says an
//! extension header follows; the top bit of each extension header's first byte
//! says another one follows. Followed here: Ethernet in its plain, colour,
//! DSM-colour and hash-colour records (2-byte offset/pad before the frame),
//! IPv4 and IPv6 (the bare packet), and PoS HDLC (PPP or Cisco HDLC). Anything
//! else (ATM, multi-channel, InfiniBand, metadata records) is `unsupported_link`.

use super::{ip, link, Ctx, Decoded};
use crate::accounting::Bucket;
use crate::bytes::be16;

const RECORD_HEADER: usize = 16;
const EXTENSION: usize = 8;
/// A crafted record could chain extension headers to its end: more than this is refused.
const MAX_EXTENSIONS: usize = 64;

pub(super) fn record(d: &[u8], ctx: Ctx) -> Decoded<'_> {
    let (Some(&type_byte), Some(rlen)) = (d.get(8), be16(d, 10)) else {
        return Decoded::Done(Bucket::Truncated);
    };
    let mut at = RECORD_HEADER;
    let mut more = type_byte & 0x80 != 0;
    let mut n = 0;
    while more {
        let Some(&ext) = d.get(at) else {
            return Decoded::Done(Bucket::Truncated);
        };
        n += 1;
        if n > MAX_EXTENSIONS {
            return Decoded::Done(Bucket::BadHeader);
        }
        more = ext & 0x80 != 0;
        at += EXTENSION;
    }
    // rlen covers the whole record, padding included; a snaplen may have cut it shorter.
    let end = usize::from(rlen).min(d.len());
    let Some(body) = d.get(at..end) else {
        return Decoded::Done(if usize::from(rlen) < at {
            Bucket::BadHeader
        } else {
            Bucket::Truncated
        });
    };
    match type_byte & 0x7f {
        // Ethernet, colour Ethernet, DSM colour Ethernet, colour hash Ethernet.
        2 | 11 | 16 | 20 => match body.get(2..) {
            Some(frame) => link::ethernet(frame, ctx),
            None => Decoded::Done(Bucket::Truncated),
        },
        22 | 23 => ip::packet(body, ctx),
        // PoS HDLC and its colour variants: PPP (ff 03) or Cisco HDLC (0f/8f 00 + EtherType).
        1 | 10 | 15 | 19 => match *body {
            [0xff, 0x03, ..] => link::ppp(body, ctx),
            [0x0f | 0x8f, 0x00, hi, lo, ref rest @ ..] => {
                link::ethertype(u16::from_be_bytes([hi, lo]), rest, ctx)
            }
            [] | [_] | [_, _] | [_, _, _] => Decoded::Done(Bucket::Truncated),
            _ => Decoded::Done(Bucket::UnsupportedLink),
        },
        _ => Decoded::Done(Bucket::UnsupportedLink),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::linktype as lt;
    use crate::decode::decode_frame;

    const SIP: &[u8] = b"OPTIONS sip:b@x SIP/2.0\r\n\r\n";

    fn ipv4_udp() -> Vec<u8> {
        let total = (20 + 8 + SIP.len()) as u16;
        let mut p = vec![
            0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&5060u16.to_be_bytes());
        p.extend_from_slice(&5080u16.to_be_bytes());
        p.extend_from_slice(&((8 + SIP.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(SIP);
        p
    }

    /// An ERF record of `kind` with `ext` extension headers around `body`.
    fn erf(kind: u8, ext: usize, body: &[u8]) -> Vec<u8> {
        let mut r = vec![0u8; 8]; // timestamp
        r.push(if ext > 0 { kind | 0x80 } else { kind });
        r.push(0x04); // flags: varying-length record
        let rlen = (RECORD_HEADER + EXTENSION * ext + body.len()) as u16;
        r.extend_from_slice(&rlen.to_be_bytes());
        r.extend_from_slice(&[0, 0]);
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        for i in 0..ext {
            let more = if i + 1 < ext { 0x80 } else { 0 };
            r.extend_from_slice(&[more | 0x03, 0, 0, 0, 0, 0, 0, 1]);
        }
        r.extend_from_slice(body);
        r
    }

    fn assert_sip(d: Decoded<'_>) {
        match d {
            Decoded::Udp(dg) => assert_eq!(&*dg.payload, SIP),
            other => panic!("expected the SIP datagram, got {other:?}"),
        }
    }

    #[test]
    fn ethernet_ipv4_and_hdlc_records() {
        let mut eth = vec![0, 0]; // offset/pad
        eth.extend_from_slice(&[0; 12]);
        eth.extend_from_slice(&[0x08, 0x00]);
        eth.extend_from_slice(&ipv4_udp());
        eth.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]); // FCS
        for kind in [2, 11, 16, 20] {
            assert_sip(decode_frame(lt::ERF, &erf(kind, 0, &eth), 0));
        }
        assert_sip(decode_frame(lt::ERF, &erf(22, 0, &ipv4_udp()), 0));
        let mut ppp = vec![0xff, 0x03, 0x00, 0x21];
        ppp.extend_from_slice(&ipv4_udp());
        assert_sip(decode_frame(lt::ERF, &erf(1, 0, &ppp), 0));
        let mut chdlc = vec![0x0f, 0x00, 0x08, 0x00];
        chdlc.extend_from_slice(&ipv4_udp());
        assert_sip(decode_frame(lt::ERF, &erf(1, 0, &chdlc), 0));
    }

    #[test]
    fn extension_headers_are_chained_by_their_top_bit() {
        for n in [1, 3] {
            assert_sip(decode_frame(lt::ERF, &erf(22, n, &ipv4_udp()), 0));
        }
        // The chain runs off the end of the record.
        let mut r = erf(22, 2, &[]);
        r.truncate(RECORD_HEADER + 4);
        r[RECORD_HEADER] |= 0x80;
        assert!(matches!(
            decode_frame(lt::ERF, &r, 0),
            Decoded::Done(Bucket::Truncated)
        ));
    }

    #[test]
    fn other_record_types_are_unsupported_and_short_records_truncated() {
        assert!(matches!(
            decode_frame(lt::ERF, &erf(3, 0, &[0; 52]), 0),
            Decoded::Done(Bucket::UnsupportedLink)
        ));
        assert!(matches!(
            decode_frame(lt::ERF, &[0; 10], 0),
            Decoded::Done(Bucket::Truncated)
        ));
        // rlen shorter than the headers it claims.
        let mut r = erf(22, 1, &ipv4_udp());
        r[10..12].copy_from_slice(&8u16.to_be_bytes());
        assert!(matches!(
            decode_frame(lt::ERF, &r, 0),
            Decoded::Done(Bucket::BadHeader)
        ));
    }
}
