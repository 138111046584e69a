//! The byte formats the structured fuzz targets read, shared by the targets
//! (which parse fuzz bytes into fragments, segments and frames) and by the seed
//! builder (which writes real fragments, segments and frames from the test
//! captures in the same formats, so that the fuzzer starts from real traffic).
//!
//! The formats are deliberately simple and total: every byte string parses into
//! something (a short tail is cut, never rejected), so no fuzz input is wasted.

use sipsleuth::decode::{Ctx, FragKey};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Link types the decode target chooses from by its first byte (the decoder's
/// own list, plus two it must refuse).
pub const LINKTYPES: [u32; 13] = [0, 1, 9, 12, 14, 50, 101, 108, 113, 228, 229, 276, 147];

/// The index in [`LINKTYPES`] of a link type (the seeds' inverse of the choice).
pub fn linktype_index(lt: u32) -> Option<u8> {
    LINKTYPES.iter().position(|l| *l == lt).map(|i| i as u8)
}

/// A cursor that never fails: reading past the end yields zeros or a short slice.
pub struct Bytes<'a> {
    d: &'a [u8],
}

impl<'a> Bytes<'a> {
    pub fn new(d: &'a [u8]) -> Self {
        Bytes { d }
    }
    pub fn is_empty(&self) -> bool {
        self.d.is_empty()
    }
    pub fn u8(&mut self) -> u8 {
        let (b, rest) = self.d.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.d = rest;
        b
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.d.split_at(n.min(self.d.len()));
        self.d = b;
        a
    }
}

// ---- IP fragments ----------------------------------------------------------------

/// One fragment record: `ctl:u8 offset:u16 dt:i8 len:u16 payload[len]`.
/// `ctl` bits 0-1 pick one of four datagram keys, bit 2 is "more fragments",
/// bit 3 picks TCP over UDP, bit 4 IPv6 over IPv4. `dt` moves the capture clock
/// by tenths of a second, backwards too (captures are not always in time order).
pub struct FragRecord<'a> {
    pub key: FragKey,
    pub offset: u32,
    pub more: bool,
    pub dt_ns: i64,
    pub payload: &'a [u8],
    pub ctx: Ctx,
}

pub fn frag_key(ctl: u8) -> FragKey {
    let n = ctl & 3;
    let (src, dst): (IpAddr, IpAddr) = if ctl & 16 != 0 {
        (
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(n)).into(),
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 1, 1).into(),
        )
    } else {
        (
            Ipv4Addr::new(10, 0, 0, n).into(),
            Ipv4Addr::new(10, 0, 1, 1).into(),
        )
    };
    FragKey {
        src,
        dst,
        id: u32::from(n % 2) + 7,
        proto: if ctl & 8 != 0 { 6 } else { 17 },
    }
}

pub fn next_frag<'a>(b: &mut Bytes<'a>) -> Option<FragRecord<'a>> {
    if b.is_empty() {
        return None;
    }
    let ctl = b.u8();
    let offset = u32::from(b.u16());
    let dt = b.u8() as i8;
    let len = usize::from(b.u16());
    Some(FragRecord {
        key: frag_key(ctl),
        offset,
        more: ctl & 4 != 0,
        dt_ns: i64::from(dt) * 100_000_000,
        payload: b.take(len),
        ctx: Ctx::default(),
    })
}

pub fn write_frag(
    out: &mut Vec<u8>,
    key_index: u8,
    more: bool,
    tcp: bool,
    v6: bool,
    offset: u16,
    dt: i8,
    payload: &[u8],
) {
    let ctl = (key_index & 3) | (u8::from(more) << 2) | (u8::from(tcp) << 3) | (u8::from(v6) << 4);
    out.push(ctl);
    out.extend_from_slice(&offset.to_be_bytes());
    out.push(dt as u8);
    let len = payload.len().min(usize::from(u16::MAX));
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&payload[..len]);
}

// ---- TCP segments ----------------------------------------------------------------

/// One segment record: `ctl:u8 seq:u32 dt:i8 len:u16 payload[len]`.
/// `ctl` bits 0-1 pick one of four directions (two connections, both ways),
/// bit 2 SYN, bit 3 FIN, bit 4 RST.
pub struct SegRecord<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub dt_ns: i64,
    pub payload: &'a [u8],
}

pub fn direction(i: u8) -> (SocketAddr, SocketAddr) {
    let a: SocketAddr = ([10, 0, 0, 1], 5060).into();
    let b: SocketAddr = ([10, 0, 0, 2], 5060).into();
    let c: SocketAddr = ([10, 0, 0, 3], 40000).into();
    match i & 3 {
        0 => (a, b),
        1 => (b, a),
        2 => (c, b),
        _ => (b, c),
    }
}

pub fn next_seg<'a>(b: &mut Bytes<'a>) -> Option<SegRecord<'a>> {
    if b.is_empty() {
        return None;
    }
    let ctl = b.u8();
    let seq = b.u32();
    let dt = b.u8() as i8;
    let len = usize::from(b.u16());
    let (src, dst) = direction(ctl);
    Some(SegRecord {
        src,
        dst,
        seq,
        syn: ctl & 4 != 0,
        fin: ctl & 8 != 0,
        rst: ctl & 16 != 0,
        dt_ns: i64::from(dt) * 100_000_000,
        payload: b.take(len),
    })
}

#[allow(clippy::too_many_arguments)]
pub fn write_seg(
    out: &mut Vec<u8>,
    dir: u8,
    syn: bool,
    fin: bool,
    rst: bool,
    seq: u32,
    dt: i8,
    payload: &[u8],
) {
    let ctl = (dir & 3) | (u8::from(syn) << 2) | (u8::from(fin) << 3) | (u8::from(rst) << 4);
    out.push(ctl);
    out.extend_from_slice(&seq.to_be_bytes());
    out.push(dt as u8);
    let len = payload.len().min(usize::from(u16::MAX));
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&payload[..len]);
}
