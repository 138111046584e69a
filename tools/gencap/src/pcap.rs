//! Streaming writer of classic little-endian microsecond pcap files,
//! linktype Ethernet, with IPv4/UDP/TCP headers and correct checksums.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Capture start: 2024-03-12 14:00:00 UTC.
pub const BASE_EPOCH_S: u64 = 1_710_252_000;

#[derive(Clone, Copy, Debug)]
pub struct Ep {
    pub ip: u32,
    pub port: u16,
}

pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_PSH: u8 = 0x08;
pub const TCP_ACK: u8 = 0x10;

pub struct Pcap {
    w: BufWriter<File>,
    pub bytes: u64,
    pub packets: u64,
    pub last_ts: u64,
    ip_id: u16,
}

/// One's-complement accumulation. Summing big-endian 32-bit words is
/// equivalent to summing 16-bit words once folded (2^16 == 1 mod 0xffff), so
/// only the parity of each part's starting offset matters: every part except
/// the last must have an even length.
#[inline]
pub fn csum_add(mut acc: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        acc += u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as u64;
    }
    let r = chunks.remainder();
    if !r.is_empty() {
        let mut p = [0u8; 4];
        p[..r.len()].copy_from_slice(r);
        acc += u32::from_be_bytes(p) as u64;
    }
    acc
}

#[inline]
pub fn csum_fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

impl Pcap {
    pub fn create(path: &Path) -> io::Result<Self> {
        let f = File::create(path)?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        // thiszone = 0, sigfigs = 0
        h[16..20].copy_from_slice(&262_144u32.to_le_bytes());
        h[20..24].copy_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
        w.write_all(&h)?;
        Ok(Pcap {
            w,
            bytes: 24,
            packets: 0,
            last_ts: 0,
            ip_id: 0x1000,
        })
    }

    /// Record header; timestamps never go backwards (clamped).
    #[inline]
    fn record(&mut self, ts_us: u64, len: usize) -> io::Result<()> {
        let ts = ts_us.max(self.last_ts);
        self.last_ts = ts;
        let secs = BASE_EPOCH_S + ts / 1_000_000;
        let usecs = ts % 1_000_000;
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&(secs as u32).to_le_bytes());
        h[4..8].copy_from_slice(&(usecs as u32).to_le_bytes());
        h[8..12].copy_from_slice(&(len as u32).to_le_bytes());
        h[12..16].copy_from_slice(&(len as u32).to_le_bytes());
        self.w.write_all(&h)?;
        self.bytes += 16 + len as u64;
        self.packets += 1;
        Ok(())
    }

    #[inline]
    fn eth_ip(&mut self, h: &mut [u8], src: u32, dst: u32, tos: u8, proto: u8, ip_len: usize) {
        // Ethernet: locally administered MACs derived from the IPs.
        h[0] = 0x02;
        h[1] = 0x42;
        h[2..6].copy_from_slice(&dst.to_be_bytes());
        h[6] = 0x02;
        h[7] = 0x42;
        h[8..12].copy_from_slice(&src.to_be_bytes());
        h[12] = 0x08;
        h[13] = 0x00;
        let ip = &mut h[14..34];
        ip[0] = 0x45;
        ip[1] = tos;
        ip[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
        self.ip_id = self.ip_id.wrapping_add(1);
        ip[4..6].copy_from_slice(&self.ip_id.to_be_bytes());
        ip[6] = 0x40; // DF
        ip[7] = 0;
        ip[8] = 64;
        ip[9] = proto;
        ip[10] = 0;
        ip[11] = 0;
        ip[12..16].copy_from_slice(&src.to_be_bytes());
        ip[16..20].copy_from_slice(&dst.to_be_bytes());
        let c = !csum_fold(csum_add(0, ip));
        ip[10..12].copy_from_slice(&c.to_be_bytes());
    }

    /// UDP datagram whose payload is the concatenation of `parts`
    /// (all parts but the last of even length).
    pub fn udp(&mut self, ts: u64, src: Ep, dst: Ep, tos: u8, parts: &[&[u8]]) -> io::Result<()> {
        let plen: usize = parts.iter().map(|p| p.len()).sum();
        let udp_len = 8 + plen;
        let ip_len = 20 + udp_len;
        let mut h = [0u8; 42];
        self.eth_ip(&mut h, src.ip, dst.ip, tos, 17, ip_len);
        {
            let u = &mut h[34..42];
            u[0..2].copy_from_slice(&src.port.to_be_bytes());
            u[2..4].copy_from_slice(&dst.port.to_be_bytes());
            u[4..6].copy_from_slice(&(udp_len as u16).to_be_bytes());
        }
        let mut acc = (src.ip >> 16) as u64
            + (src.ip & 0xffff) as u64
            + (dst.ip >> 16) as u64
            + (dst.ip & 0xffff) as u64
            + 17
            + udp_len as u64;
        acc = csum_add(acc, &h[34..42]);
        for p in parts {
            acc = csum_add(acc, p);
        }
        let mut c = !csum_fold(acc);
        if c == 0 {
            c = 0xffff;
        }
        h[40..42].copy_from_slice(&c.to_be_bytes());
        self.record(ts, 14 + ip_len)?;
        self.w.write_all(&h)?;
        for p in parts {
            self.w.write_all(p)?;
        }
        Ok(())
    }

    /// TCP segment. `opts` must be a multiple of 4 bytes.
    #[allow(clippy::too_many_arguments)]
    pub fn tcp(
        &mut self,
        ts: u64,
        src: Ep,
        dst: Ep,
        seq: u32,
        ack: u32,
        flags: u8,
        opts: &[u8],
        payload: &[u8],
    ) -> io::Result<()> {
        let thl = 20 + opts.len();
        let tcp_len = thl + payload.len();
        let ip_len = 20 + tcp_len;
        let mut h = [0u8; 54];
        self.eth_ip(&mut h, src.ip, dst.ip, 0x60, 6, ip_len);
        {
            let t = &mut h[34..54];
            t[0..2].copy_from_slice(&src.port.to_be_bytes());
            t[2..4].copy_from_slice(&dst.port.to_be_bytes());
            t[4..8].copy_from_slice(&seq.to_be_bytes());
            t[8..12].copy_from_slice(&ack.to_be_bytes());
            t[12] = ((thl / 4) as u8) << 4;
            t[13] = flags;
            t[14..16].copy_from_slice(&64_240u16.to_be_bytes());
        }
        let mut acc = (src.ip >> 16) as u64
            + (src.ip & 0xffff) as u64
            + (dst.ip >> 16) as u64
            + (dst.ip & 0xffff) as u64
            + 6
            + tcp_len as u64;
        acc = csum_add(acc, &h[34..54]);
        acc = csum_add(acc, opts);
        acc = csum_add(acc, payload);
        let c = !csum_fold(acc);
        h[50..52].copy_from_slice(&c.to_be_bytes());
        self.record(ts, 14 + ip_len)?;
        self.w.write_all(&h)?;
        self.w.write_all(opts)?;
        self.w.write_all(payload)?;
        Ok(())
    }

    pub fn finish(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}
