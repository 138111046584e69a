//! HEP (Homer Encapsulation Protocol) v1, v2 and v3 carried in UDP.
//!
//! A HEP packet wraps one captured payload with the original addresses, ports
//! and capture time. HEP3 chunks may hold the payload zlib-compressed (chunk
//! 0x10); it is inflated here, with a size bound. Recognised by content, on
//! any port: "HEP3" magic, or a v1/v2 header whose lengths and families agree.

use crate::bytes::{array, be16, be32, le32};
use crate::sip::Transport;
use std::borrow::Cow;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Payload type of HEP that is SIP (HEP3 chunk 0x0b; v1/v2 carry only SIP).
pub const PROTO_SIP: u8 = 1;
/// Largest inflated payload accepted from a compressed chunk.
const MAX_INFLATED: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HepPacket<'a> {
    pub version: u8,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub transport: Transport,
    /// Original capture time, when the packet gives one.
    pub ts_ns: Option<i64>,
    /// HEP payload type (1 = SIP, 5 = RTCP, 100 = log, …).
    pub proto_type: u8,
    pub payload: Cow<'a, [u8]>,
}

pub fn parse(d: &[u8]) -> Option<HepPacket<'_>> {
    if d.starts_with(b"HEP3") {
        return v3(d);
    }
    match d.first() {
        Some(1) | Some(2) => v1v2(d),
        _ => None,
    }
}

fn v3(d: &[u8]) -> Option<HepPacket<'_>> {
    let total = usize::from(be16(d, 4)?);
    let d = d.get(..total).unwrap_or(d);
    let mut off = 6;
    let (mut family, mut proto, mut ptype) = (0u8, 0u8, PROTO_SIP);
    let (mut s4, mut d4, mut s6, mut d6) = (None, None, None, None);
    let (mut sp, mut dp) = (0u16, 0u16);
    let (mut sec, mut usec) = (None, 0u32);
    let mut payload: Option<Cow<'_, [u8]>> = None;
    // Chunks: vendor(2) type(2) length(2, header included) value.
    while let (Some(vendor), Some(typ), Some(len)) =
        (be16(d, off), be16(d, off + 2), be16(d, off + 4))
    {
        let len = usize::from(len);
        let Some(v) = d.get(off + 6..off + len) else {
            break;
        };
        off += len;
        if vendor != 0 {
            continue;
        }
        let u8v = || v.first().copied();
        let u16v = || be16(v, 0);
        let u32v = || be32(v, 0);
        match typ {
            1 => family = u8v()?,
            2 => proto = u8v()?,
            3 => s4 = <[u8; 4]>::try_from(v).ok().map(Ipv4Addr::from),
            4 => d4 = <[u8; 4]>::try_from(v).ok().map(Ipv4Addr::from),
            5 => s6 = <[u8; 16]>::try_from(v).ok().map(Ipv6Addr::from),
            6 => d6 = <[u8; 16]>::try_from(v).ok().map(Ipv6Addr::from),
            7 => sp = u16v()?,
            8 => dp = u16v()?,
            9 => sec = u32v(),
            10 => usec = u32v().unwrap_or(0),
            11 => ptype = u8v()?,
            15 => payload = Some(Cow::Borrowed(v)),
            16 => payload = inflate(v).map(Cow::Owned),
            _ => {}
        }
    }
    let (src, dst): (IpAddr, IpAddr) = match (family, s4, d4, s6, d6) {
        (2, Some(s), Some(d), _, _) => (s.into(), d.into()),
        (10, _, _, Some(s), Some(d)) => (s.into(), d.into()),
        (_, Some(s), Some(d), _, _) => (s.into(), d.into()),
        (_, _, _, Some(s), Some(d)) => (s.into(), d.into()),
        _ => return None,
    };
    Some(HepPacket {
        version: 3,
        src: SocketAddr::new(src, sp),
        dst: SocketAddr::new(dst, dp),
        // The IP protocol the agent saw the message on.
        transport: match proto {
            6 => Transport::Tcp,
            132 => Transport::Sctp,
            _ => Transport::Udp,
        },
        ts_ns: sec.map(|s| i64::from(s) * 1_000_000_000 + i64::from(usec) * 1000),
        proto_type: ptype,
        payload: payload?,
    })
}

fn inflate(v: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(v)
        .take(MAX_INFLATED)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

fn v1v2(d: &[u8]) -> Option<HepPacket<'_>> {
    // version(1) hdr_len(1) family(1) proto(1) sport(2) dport(2) src dst [v2: sec(4) usec(4) capt_id(2) pad(2)]
    let [version, hlen, family, proto] = *d.first_chunk::<4>()?;
    let hlen = usize::from(hlen);
    let alen = match family {
        2 => 4,
        10 => 16,
        _ => return None,
    };
    if hlen != 8 + 2 * alen || !matches!(proto, 6 | 17) {
        return None;
    }
    let (sp, dp) = (be16(d, 4)?, be16(d, 6)?);
    let (src, dst): (IpAddr, IpAddr) = if alen == 4 {
        (
            Ipv4Addr::from(array::<4>(d, 8)?).into(),
            Ipv4Addr::from(array::<4>(d, 12)?).into(),
        )
    } else {
        (
            Ipv6Addr::from(array::<16>(d, 8)?).into(),
            Ipv6Addr::from(array::<16>(d, 24)?).into(),
        )
    };
    let (ts_ns, off) = if version == 2 {
        d.get(hlen..hlen + 12)?;
        // captagent writes the timeval in the sender's byte order (little-endian in practice).
        let (sec, usec) = (le32(d, hlen)?, le32(d, hlen + 4)?);
        (
            Some(i64::from(sec) * 1_000_000_000 + i64::from(usec.min(999_999)) * 1000),
            hlen + 12,
        )
    } else {
        (None, hlen)
    };
    let payload = d.get(off..)?;
    // v1/v2 have no magic: accept them only when what they carry is SIP.
    if !crate::sip::scan::may_start_sip(payload) {
        return None;
    }
    Some(HepPacket {
        version,
        src: SocketAddr::new(src, sp),
        dst: SocketAddr::new(dst, dp),
        transport: if proto == 6 {
            Transport::Tcp
        } else {
            Transport::Udp
        },
        ts_ns,
        proto_type: PROTO_SIP,
        payload: Cow::Borrowed(payload),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(t: u16, v: &[u8]) -> Vec<u8> {
        let mut c = 0u16.to_be_bytes().to_vec();
        c.extend_from_slice(&t.to_be_bytes());
        c.extend_from_slice(&((v.len() + 6) as u16).to_be_bytes());
        c.extend_from_slice(v);
        c
    }

    fn hep3(payload_chunk: Vec<u8>) -> Vec<u8> {
        hep3_proto(17, payload_chunk)
    }

    fn hep3_proto(ip_proto: u8, payload_chunk: Vec<u8>) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(chunk(1, &[2]));
        body.extend(chunk(2, &[ip_proto]));
        body.extend(chunk(3, &[10, 0, 0, 1]));
        body.extend(chunk(4, &[10, 0, 0, 2]));
        body.extend(chunk(7, &5060u16.to_be_bytes()));
        body.extend(chunk(8, &5080u16.to_be_bytes()));
        body.extend(chunk(9, &100u32.to_be_bytes()));
        body.extend(chunk(10, &5u32.to_be_bytes()));
        body.extend(chunk(11, &[1]));
        body.extend(payload_chunk);
        let mut p = b"HEP3".to_vec();
        p.extend_from_slice(&((body.len() + 6) as u16).to_be_bytes());
        p.extend(body);
        p
    }

    #[test]
    fn hep3_plain_payload() {
        let p = hep3(chunk(15, b"OPTIONS sip:x SIP/2.0\r\n\r\n"));
        let h = parse(&p).unwrap();
        assert_eq!(h.src, "10.0.0.1:5060".parse().unwrap());
        assert_eq!(h.dst, "10.0.0.2:5080".parse().unwrap());
        assert_eq!(h.ts_ns, Some(100_000_005_000));
        assert_eq!(&*h.payload, b"OPTIONS sip:x SIP/2.0\r\n\r\n");
    }

    #[test]
    fn hep3_ip_protocol_names_the_transport() {
        let sip = || chunk(15, b"OPTIONS sip:x SIP/2.0\r\n\r\n");
        assert_eq!(parse(&hep3(sip())).unwrap().transport, Transport::Udp);
        assert_eq!(
            parse(&hep3_proto(6, sip())).unwrap().transport,
            Transport::Tcp
        );
        assert_eq!(
            parse(&hep3_proto(132, sip())).unwrap().transport,
            Transport::Sctp
        );
    }

    #[test]
    fn hep3_zlib_payload() {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"SIP/2.0 200 OK\r\n\r\n").unwrap();
        let p = hep3(chunk(16, &z.finish().unwrap()));
        assert_eq!(&*parse(&p).unwrap().payload, b"SIP/2.0 200 OK\r\n\r\n");
    }

    #[test]
    fn hep2_header_then_sip() {
        let mut p = vec![2, 16, 2, 17];
        p.extend_from_slice(&5060u16.to_be_bytes());
        p.extend_from_slice(&5060u16.to_be_bytes());
        p.extend_from_slice(&[192, 168, 0, 1, 192, 168, 0, 2]);
        p.extend_from_slice(&7u32.to_le_bytes());
        p.extend_from_slice(&0u32.to_le_bytes());
        p.extend_from_slice(&[0; 4]);
        p.extend_from_slice(b"BYE sip:x SIP/2.0\r\n\r\n");
        let h = parse(&p).unwrap();
        assert_eq!(h.version, 2);
        assert_eq!(h.ts_ns, Some(7_000_000_000));
        assert!(h.payload.starts_with(b"BYE"));
    }

    #[test]
    fn rtp_is_not_hep() {
        assert!(parse(&[0x80, 0x00, 0x12, 0x34, 0, 0, 0, 0, 1, 2, 3, 4]).is_none());
        assert!(parse(&[2, 16, 2, 17, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0x80, 0, 1]).is_none());
    }
}
