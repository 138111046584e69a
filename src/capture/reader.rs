//! The record walk: opens one input, sniffs compression and format from magic
//! bytes, and drives the pcap or pcapng record parser over a memory map (plain
//! files) or a refilled buffer (gzip, zstd, stdin), handing frames downstream in
//! batches. A batch borrows the bytes it points into, so nothing is copied on
//! the memory-mapped path. NetMon files are found through a frame table at their
//! end, so they are walked whole: the memory map, or the whole decompressed
//! stream read into memory (up to [`NETMON_MAX_STREAM`]).

use super::input::InputSpec;
use super::netmon::NetmonParser;
use super::pcap::PcapParser;
use super::pcapng::PcapNgParser;
use super::record::{Next, RecordParser, Stop, MAX_RECORD_LEN};
use super::{CaptureError, CaptureProblem, Frame, ProblemKind};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};

/// Frames handed downstream per batch at most.
pub const BATCH_FRAMES: usize = 8192;
/// Walked pages of a memory map are given back in steps of this many bytes, not
/// after every batch: each `madvise` interrupts every core running one of our
/// threads to flush its TLB (rtp-1g −7.5 % wall with 8 MiB steps in place of
/// batches of 256 KiB; the resident set holds up to one step more; issue #16).
const RELEASE_STEP: usize = 8 << 20;
/// Maps the step of `map` from `at` into the page table in one call, ahead of
/// the walk: a page the walk reaches unmapped is a fault on the reading thread
/// (the kernel maps 64 KiB a fault), and a prefetch into an unmapped page is
/// dropped, so the walk's own prefetch ([`PREFETCH_AHEAD`]) missed after every
/// fault. Two steps ahead of the walk are resident instead of one (8 MiB more).
/// sip-heavy-1g, 7 interleaved runs: wall min 2.12 -> 2.05 s, median 2.17 -> 2.11 s;
/// rtp-1g the same (issue #16). Linux 5.14+; elsewhere, or on an older kernel, a no-op.
fn populate(map: &memmap2::Mmap, at: usize) {
    #[cfg(target_os = "linux")]
    {
        let upto = at.saturating_add(RELEASE_STEP).min(map.len());
        if upto > at {
            let _ = map.advise_range(memmap2::Advice::PopulateRead, at, upto - at);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (map, at);
}

/// Read-buffer size on the streaming path (grows for records larger than this).
const STREAM_BUF: usize = 8 * 1024 * 1024;
/// Largest NetMon capture read from a stream (gzip, zstd, stdin), which must be
/// held whole. NetMon's own offsets are 32-bit, but real captures are small.
pub(crate) const NETMON_MAX_STREAM: usize = 1 << 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaptureFormat {
    Pcap,
    PcapNs,
    PcapNg,
    /// Microsoft Network Monitor 2.x.
    Netmon,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// What reading one input found, besides its frames.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CaptureInfo {
    pub path: String,
    pub format: CaptureFormat,
    pub compression: Compression,
    pub big_endian: bool,
    /// Bytes of capture data walked (after decompression).
    pub bytes: u64,
    pub frames: u64,
    /// Link types seen (pcap: the file's; pcapng: every interface's; NetMon: every frame's).
    pub linktypes: Vec<u32>,
    pub first_ts_ns: Option<i64>,
    pub last_ts_ns: Option<i64>,
    /// Why reading stopped early, if it did.
    pub problem: Option<CaptureProblem>,
    /// Records whose captured length exceeds the file's snaplen (kept, counted).
    pub caplen_over_snaplen: u64,
    /// pcapng packets naming an interface that was never described (kept as an unknown link).
    pub unknown_interface: u64,
    pub pcapng_sections: u32,
    pub pcapng_skipped_blocks: u64,
}

enum Parser {
    Pcap(PcapParser),
    PcapNg(PcapNgParser),
}

impl Parser {
    fn next<'a>(&mut self, buf: &'a [u8]) -> Result<(usize, Next<'a>), Stop> {
        match self {
            Parser::Pcap(p) => p.next(buf),
            Parser::PcapNg(p) => p.next(buf),
        }
    }
}

const GZIP: [u8; 2] = [0x1f, 0x8b];
const ZSTD: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

fn sniff_format(path: &str, head: &[u8]) -> Result<(CaptureFormat, bool), CaptureError> {
    let m = |b: &[u8]| head.get(..4) == Some(b);
    Ok(match () {
        _ if m(&[0xd4, 0xc3, 0xb2, 0xa1]) || m(&[0x34, 0xcd, 0xb2, 0xa1]) => {
            (CaptureFormat::Pcap, false)
        }
        _ if m(&[0xa1, 0xb2, 0xc3, 0xd4]) => (CaptureFormat::Pcap, true),
        _ if m(&[0x4d, 0x3c, 0xb2, 0xa1]) => (CaptureFormat::PcapNs, false),
        _ if m(&[0xa1, 0xb2, 0x3c, 0x4d]) => (CaptureFormat::PcapNs, true),
        _ if m(&[0x0a, 0x0d, 0x0d, 0x0a]) => (CaptureFormat::PcapNg, false),
        _ if m(b"GMBU") => (CaptureFormat::Netmon, false),
        _ if m(b"RTSS") => {
            return Err(CaptureError::UnsupportedFormat {
                path: path.into(),
                format: "Microsoft Network Monitor 1.x",
            })
        }
        _ if head.starts_with(b"snoop\0") => {
            return Err(CaptureError::UnsupportedFormat {
                path: path.into(),
                format: "Sun snoop",
            })
        }
        _ if head.starts_with(b"XCP\0") => {
            return Err(CaptureError::UnsupportedFormat {
                path: path.into(),
                format: "NetXray/Sniffer",
            })
        }
        _ => {
            let magic = head
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ");
            return Err(CaptureError::UnknownFormat {
                path: path.into(),
                magic,
            });
        }
    })
}

fn new_parser(format: CaptureFormat) -> Parser {
    match format {
        CaptureFormat::PcapNg => Parser::PcapNg(PcapNgParser::default()),
        _ => Parser::Pcap(PcapParser::default()),
    }
}

/// Walks `data` from its start, handing frames to `on_batch` in batches.
/// Returns the bytes consumed and why it stopped (None: it used everything).
/// How far ahead of the record being parsed [`walk`] prefetches: a few records of
/// a typical SIP or RTP capture. Measured (bench/ab.sh, rtp-1g, ten runs each):
/// 1 KiB 0.68 s, 2 KiB 0.61–0.63 s, 4 KiB 0.66 s; none 0.84 s.
const PREFETCH_AHEAD: usize = 2048;

fn walk<'a>(
    parser: &mut Parser,
    data: &'a [u8],
    frame_no: &mut u64,
    info: &mut CaptureInfo,
    batch_bytes: usize,
    on_batch: &mut dyn FnMut(&[Frame<'_>]),
    on_done: &mut dyn FnMut(usize),
) -> (usize, Option<Stop>) {
    let mut off = 0usize;
    let mut batch: Vec<Frame<'a>> = Vec::with_capacity(BATCH_FRAMES.min(1024));
    let mut held = 0usize;
    let stop = loop {
        let rest = match data.get(off..) {
            Some(rest) if !rest.is_empty() => rest,
            _ => break None,
        };
        // The next records' headers on their way into the cache while this one is
        // parsed: reading each record's length from a freshly mapped page was a
        // cache miss per frame, 90 % of the parser's time (issue #16, `perf annotate`).
        crate::prefetch::line(rest.as_ptr().wrapping_add(PREFETCH_AHEAD));
        match parser.next(rest) {
            // A parser that consumes nothing would loop forever on the same bytes.
            Ok((0, _)) => break Some(Stop::Corrupt("record of length 0".into())),
            Ok((n, next)) => {
                off = off.saturating_add(n);
                if let Next::Frame(mut f) = next {
                    *frame_no += 1;
                    f.number = *frame_no;
                    info.first_ts_ns.get_or_insert(f.ts_ns);
                    info.last_ts_ns = Some(f.ts_ns);
                    held += f.data.len();
                    batch.push(f);
                    if batch.len() == BATCH_FRAMES || held >= batch_bytes {
                        held = 0;
                        on_batch(&batch);
                        batch.clear();
                        on_done(off);
                    }
                }
            }
            Err(stop) => break Some(stop),
        }
    };
    if !batch.is_empty() {
        on_batch(&batch);
    }
    (off, stop)
}

fn finish_info(info: &mut CaptureInfo, parser: &Parser, frames: u64) {
    info.frames = frames;
    match parser {
        Parser::Pcap(p) => info.caplen_over_snaplen = p.caplen_over_snaplen,
        Parser::PcapNg(p) => {
            info.unknown_interface = p.unknown_interface;
            info.pcapng_sections = p.sections;
            info.pcapng_skipped_blocks = p.skipped_blocks;
            info.linktypes = p.linktypes.clone();
        }
    }
}

fn stop_to_problem(
    path: &str,
    offset: u64,
    stop: Stop,
    at_eof: bool,
    frames: u64,
) -> Result<Option<CaptureProblem>, CaptureError> {
    match stop {
        Stop::NeedMore(missing) => {
            if at_eof {
                Ok(Some(CaptureProblem {
                    offset,
                    kind: ProblemKind::Truncated { missing },
                    decompressed: false,
                }))
            } else {
                Ok(None)
            }
        }
        Stop::Corrupt(reason) => Ok(Some(CaptureProblem {
            offset,
            kind: ProblemKind::Corrupt { reason },
            decompressed: false,
        })),
        Stop::BadHeader(reason) if frames == 0 && offset < 64 => Err(CaptureError::BadHeader {
            path: path.into(),
            what: "capture",
            offset,
            reason,
        }),
        Stop::BadHeader(reason) => Ok(Some(CaptureProblem {
            offset,
            kind: ProblemKind::Corrupt { reason },
            decompressed: false,
        })),
    }
}

fn pcap_linktype(head: &[u8], big_endian: bool) -> Vec<u32> {
    crate::bytes::u32_in(head, 20, big_endian)
        .into_iter()
        .collect()
}

/// Reads one input to its end (or to the first damage), calling `on_batch` with
/// every frame in order. Errors are for inputs that cannot be read at all; damage
/// part-way is reported in [`CaptureInfo::problem`].
pub fn read_capture(
    input: &InputSpec,
    on_batch: &mut dyn FnMut(&[Frame<'_>]),
) -> Result<CaptureInfo, CaptureError> {
    read_capture_in(input, usize::MAX, on_batch)
}

/// [`read_capture`], a batch ending also once its frames hold `batch_bytes`: the
/// consumer then decodes bytes the walk has just brought into the cache (a batch
/// of 8 192 SIP frames is ~4 MB, twice a core's L2).
pub fn read_capture_in(
    input: &InputSpec,
    batch_bytes: usize,
    on_batch: &mut dyn FnMut(&[Frame<'_>]),
) -> Result<CaptureInfo, CaptureError> {
    read_capture_at(input, batch_bytes, on_batch).map(offsets_named)
}

/// A problem's offset in a gzip or zstd input is an offset in the decompressed
/// stream (the only one the reader knows): the problem says so.
fn offsets_named(mut info: CaptureInfo) -> CaptureInfo {
    if info.compression != Compression::None {
        if let Some(p) = info.problem.as_mut() {
            p.decompressed = true;
        }
    }
    info
}

fn read_capture_at(
    input: &InputSpec,
    batch_bytes: usize,
    on_batch: &mut dyn FnMut(&[Frame<'_>]),
) -> Result<CaptureInfo, CaptureError> {
    let path = input.display();
    let io_err = |source| CaptureError::Io {
        path: path.clone(),
        source,
    };
    let mut reader: Box<dyn Read + Send> = match input {
        InputSpec::Stdin => Box::new(std::io::stdin()),
        InputSpec::Bytes { name, data } => {
            return read_bytes_at(name, data, batch_bytes, on_batch).map(offsets_named)
        }
        InputSpec::Path(p) | InputSpec::Walked(p) => {
            let file = File::open(p).map_err(io_err)?;
            let meta = file.metadata().map_err(io_err)?;
            if meta.is_dir() {
                // Only a walk gets here: through a symbolic link back up the tree.
                return Err(io_err(std::io::Error::other(
                    "a directory reached again through a symbolic link (a loop)",
                )));
            }
            if !meta.is_file() {
                // A FIFO, `<(cat x.pcap)`, a device: it can be read once only, so it is
                // opened once and streamed, the format sniffed from the buffered start.
                // Its size says nothing: `/dev/zero` is "not a capture", not "empty".
                Box::new(file)
            } else {
                if meta.len() == 0 {
                    return Err(CaptureError::Empty { path });
                }
                let mut head = [0u8; 4];
                let n = read_up_to(&mut &file, &mut head).map_err(io_err)?;
                if n == 4 && head[..2] != GZIP && head != ZSTD {
                    // A plain capture: walk it in place over a memory map.
                    // SAFETY: the map is read-only. A file truncated while mapped raises
                    // SIGBUS on the next page past its new end: `shrunk` names the file and
                    // the offset and exits 1 instead of dying without a word.
                    let map = unsafe { memmap2::MmapOptions::new().map(&file) }.map_err(io_err)?;
                    let _watch = super::shrunk::watch(&path, &map);
                    #[cfg(unix)]
                    let _ = map.advise(memmap2::Advice::Sequential);
                    // Pages already walked are handed back as we go, so the resident set stays
                    // small however big the file (they stay in the page cache).
                    let mut released = 0usize;
                    let mut release = |upto: usize| {
                        let page = 1 << 16;
                        let end = upto / page * page;
                        if end >= released + RELEASE_STEP {
                            #[cfg(unix)]
                            // SAFETY: DontNeed on a read-only file mapping only drops our view of pages
                            // we have finished with; touching them again would re-read the file.
                            let _ = unsafe {
                                map.unchecked_advise_range(
                                    memmap2::UncheckedAdvice::DontNeed,
                                    released,
                                    end - released,
                                )
                            };
                            released = end;
                            populate(&map, end + RELEASE_STEP);
                        }
                    };
                    populate(&map, 0);
                    populate(&map, RELEASE_STEP);
                    return read_slice_releasing(
                        &path,
                        &map,
                        Compression::None,
                        batch_bytes,
                        on_batch,
                        &mut release,
                    );
                }
                // A regular file can be opened again, from its start.
                drop(file);
                Box::new(File::open(p).map_err(io_err)?)
            }
        }
    };
    // The streaming path: sniff compression, then the capture format, from the bytes.
    let mut compression = Compression::None;
    let mut buffered = BufReader::with_capacity(1 << 16, reader);
    let head = buffered.fill_buf().map_err(io_err)?.to_vec();
    if head.is_empty() {
        return Err(CaptureError::Empty { path });
    }
    if head.starts_with(&GZIP) {
        compression = Compression::Gzip;
        reader = Box::new(flate2::read::MultiGzDecoder::new(buffered));
    } else if head.starts_with(&ZSTD) {
        compression = Compression::Zstd;
        let dec = zstd::stream::read::Decoder::with_buffer(buffered).map_err(io_err)?;
        reader = Box::new(dec);
    } else {
        reader = Box::new(buffered);
    }
    read_stream(&path, reader, compression, batch_bytes, on_batch)
}

/// Bytes of (decompressed) capture read to find the first frame's time: enough
/// for the file header, the pcapng section and interface blocks, and a first packet.
const PROBE_BYTES: usize = 256 << 10;

/// The time of the first frame of a capture file, from its first few hundred
/// kilobytes (decompressed when gzip or zstd), without reading the rest. Used to
/// put the inputs of an archive in time order before reading them. None when the
/// input cannot be probed (stdin, unreadable, not a capture, NetMon, a first
/// record too big): such inputs are simply read first.
pub fn probe_first_ts(input: &InputSpec) -> Option<i64> {
    let (InputSpec::Path(p) | InputSpec::Walked(p)) = input else {
        return None;
    };
    // A FIFO or a device is read once, by the reader: probing would eat its start.
    if !std::fs::metadata(p).ok()?.is_file() {
        return None;
    }
    let mut file = File::open(p).ok()?;
    let mut head = vec![0u8; PROBE_BYTES];
    let n = read_up_to(&mut file, &mut head).ok()?;
    head.truncate(n);
    if head.starts_with(&GZIP) || head.starts_with(&ZSTD) {
        let raw = std::io::Cursor::new(std::mem::take(&mut head));
        let mut dec: Box<dyn Read> = if raw.get_ref().starts_with(&GZIP) {
            Box::new(flate2::read::MultiGzDecoder::new(raw))
        } else {
            Box::new(zstd::stream::read::Decoder::new(raw).ok()?)
        };
        head = vec![0u8; PROBE_BYTES];
        // A prefix of a compressed stream decodes to a prefix of the capture, then errors: fine.
        let mut got = 0;
        while got < head.len() {
            let Some(rest) = head.get_mut(got..) else {
                break;
            };
            match dec.read(rest) {
                Ok(0) | Err(_) => break,
                Ok(k) => got += k,
            }
        }
        head.truncate(got);
    }
    let (format, _) = sniff_format("", &head).ok()?;
    if format == CaptureFormat::Netmon {
        return None;
    }
    let mut first = None;
    let _ = read_slice("", &head, Compression::None, &mut |batch| {
        if first.is_none() {
            first = batch.first().map(|f| f.ts_ns);
        }
    });
    first
}

/// Reads a capture held in memory, plain, gzip or zstd, as [`read_capture`]
/// reads a file with the same bytes: the one entry point for tests and fuzzing
/// that covers both the in-place walk and the refilled-buffer walk.
pub fn read_capture_bytes(
    name: &str,
    data: &[u8],
    on_batch: &mut dyn FnMut(&[Frame<'_>]),
) -> Result<CaptureInfo, CaptureError> {
    read_bytes_at(name, data, usize::MAX, on_batch).map(offsets_named)
}

fn read_bytes_at(
    name: &str,
    data: &[u8],
    batch_bytes: usize,
    on_batch: &mut dyn FnMut(&[Frame<'_>]),
) -> Result<CaptureInfo, CaptureError> {
    let io_err = |source| CaptureError::Io {
        path: name.to_string(),
        source,
    };
    if data.is_empty() {
        return Err(CaptureError::Empty { path: name.into() });
    }
    if data.starts_with(&GZIP) {
        let dec = flate2::read::MultiGzDecoder::new(data);
        read_stream(
            name,
            Box::new(dec),
            Compression::Gzip,
            batch_bytes,
            on_batch,
        )
    } else if data.starts_with(&ZSTD) {
        let dec = zstd::stream::read::Decoder::with_buffer(data).map_err(io_err)?;
        read_stream(
            name,
            Box::new(dec),
            Compression::Zstd,
            batch_bytes,
            on_batch,
        )
    } else {
        read_slice_releasing(
            name,
            data,
            Compression::None,
            batch_bytes,
            on_batch,
            &mut |_| {},
        )
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let Some(rest) = buf.get_mut(n..) else { break };
        match r.read(rest) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn new_info(
    path: &str,
    format: CaptureFormat,
    compression: Compression,
    big_endian: bool,
) -> CaptureInfo {
    CaptureInfo {
        path: path.to_string(),
        format,
        compression,
        big_endian,
        bytes: 0,
        frames: 0,
        linktypes: vec![],
        first_ts_ns: None,
        last_ts_ns: None,
        problem: None,
        caplen_over_snaplen: 0,
        unknown_interface: 0,
        pcapng_sections: 0,
        pcapng_skipped_blocks: 0,
    }
}

/// Reads a capture held whole in memory (a memory map, or bytes a test built).
pub fn read_slice(
    path: &str,
    data: &[u8],
    compression: Compression,
    on_batch: &mut dyn FnMut(&[Frame<'_>]),
) -> Result<CaptureInfo, CaptureError> {
    read_slice_releasing(path, data, compression, usize::MAX, on_batch, &mut |_| {})
}

fn read_slice_releasing(
    path: &str,
    data: &[u8],
    compression: Compression,
    batch_bytes: usize,
    on_batch: &mut dyn FnMut(&[Frame<'_>]),
    release: &mut dyn FnMut(usize),
) -> Result<CaptureInfo, CaptureError> {
    let (format, big_endian) = sniff_format(path, data)?;
    if format == CaptureFormat::Netmon {
        return read_netmon(path, data, compression, on_batch);
    }
    let mut info = new_info(path, format, compression, big_endian);
    if format != CaptureFormat::PcapNg {
        info.linktypes = pcap_linktype(data, big_endian);
    }
    let mut parser = new_parser(format);
    let mut frame_no = 0;
    let (used, stop) = walk(
        &mut parser,
        data,
        &mut frame_no,
        &mut info,
        batch_bytes,
        on_batch,
        release,
    );
    info.bytes = used as u64;
    if let Some(stop) = stop {
        info.problem = stop_to_problem(path, used as u64, stop, true, frame_no)?;
    }
    finish_info(&mut info, &parser, frame_no);
    Ok(info)
}

fn read_stream<'r>(
    path: &str,
    mut reader: Box<dyn Read + Send + 'r>,
    compression: Compression,
    batch_bytes: usize,
    on_batch: &mut dyn FnMut(&[Frame<'_>]),
) -> Result<CaptureInfo, CaptureError> {
    let mut buf = vec![0u8; STREAM_BUF];
    let (mut start, mut end) = (0usize, 0usize);
    let mut eof = false;
    let mut offset = 0u64; // stream offset of buf[start]
    let mut read_problem: Option<String> = None;
    let mut fill =
        |buf: &mut Vec<u8>, end: &mut usize, eof: &mut bool, problem: &mut Option<String>| {
            while *end < buf.len() && !*eof {
                let Some(rest) = buf.get_mut(*end..) else {
                    break;
                };
                match reader.read(rest) {
                    Ok(0) => *eof = true,
                    Ok(n) => *end += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        *problem = Some(e.to_string());
                        *eof = true;
                    }
                }
            }
        };
    fill(&mut buf, &mut end, &mut eof, &mut read_problem);
    if end == 0 {
        if let Some(reason) = read_problem {
            return Err(CaptureError::Io {
                path: path.into(),
                source: std::io::Error::other(reason),
            });
        }
        return Err(CaptureError::Empty { path: path.into() });
    }
    let (format, big_endian) = sniff_format(path, buf.get(..end).unwrap_or_default())?;
    if format == CaptureFormat::Netmon {
        // The frame table is at the end: hold the whole stream, within a limit. The
        // header is checked first (a zstd bomb that starts "GMBU" was read to 1 GiB
        // before it was found not to be NetMon 2.x), and a header whose frame table
        // ends past the limit is refused before anything more is read.
        let too_large = || CaptureError::TooLarge {
            path: path.into(),
            limit_mib: (NETMON_MAX_STREAM >> 20) as u64,
        };
        match NetmonParser::check_header(buf.get(..end).unwrap_or_default()) {
            Err((offset, Stop::BadHeader(reason))) => {
                return Err(CaptureError::BadHeader {
                    path: path.into(),
                    what: "Network Monitor",
                    offset,
                    reason,
                })
            }
            Ok(table_end) if table_end > NETMON_MAX_STREAM as u64 => return Err(too_large()),
            // A header cut short: the walk below reports it.
            _ => {}
        }
        while !eof {
            if end == buf.len() {
                if buf.len() > NETMON_MAX_STREAM {
                    return Err(too_large());
                }
                // One byte over the limit tells a stream of exactly the limit from a longer one.
                let new_len = (buf.len() * 2).min(NETMON_MAX_STREAM + 1);
                // Refused, not aborted, when the memory is not there.
                if buf.try_reserve_exact(new_len - buf.len()).is_err() {
                    return Err(too_large());
                }
                buf.resize(new_len, 0);
            }
            fill(&mut buf, &mut end, &mut eof, &mut read_problem);
        }
        let mut info = read_netmon(
            path,
            buf.get(..end).unwrap_or_default(),
            compression,
            on_batch,
        )?;
        if let Some(reason) = read_problem {
            // Whatever the walk found wrong, the cause is the failed read.
            info.problem = Some(CaptureProblem {
                offset: end as u64,
                kind: ProblemKind::Io { reason },
                decompressed: false,
            });
        }
        return Ok(info);
    }
    let mut info = new_info(path, format, compression, big_endian);
    if format != CaptureFormat::PcapNg {
        info.linktypes = pcap_linktype(buf.get(..end).unwrap_or_default(), big_endian);
    }
    let mut parser = new_parser(format);
    let mut frame_no = 0u64;
    loop {
        let (used, stop) = walk(
            &mut parser,
            buf.get(start..end).unwrap_or_default(),
            &mut frame_no,
            &mut info,
            batch_bytes,
            on_batch,
            &mut |_| {},
        );
        start += used;
        offset += used as u64;
        let at_eof = eof;
        match stop {
            None if eof => break,
            Some(Stop::NeedMore(missing)) if eof => {
                info.problem = if let Some(reason) = read_problem.take() {
                    Some(CaptureProblem {
                        offset,
                        kind: ProblemKind::Io { reason },
                        decompressed: false,
                    })
                } else {
                    Some(CaptureProblem {
                        offset,
                        kind: ProblemKind::Truncated { missing },
                        decompressed: false,
                    })
                };
                break;
            }
            None | Some(Stop::NeedMore(_)) => {
                // Keep the unread tail, make room (growing for a record bigger than the buffer), refill.
                buf.copy_within(start..end, 0);
                end -= start;
                start = 0;
                if end == buf.len() {
                    let grown = (buf.len() * 2).min(MAX_RECORD_LEN + (1 << 20));
                    if grown == buf.len() {
                        info.problem = Some(CaptureProblem {
                            offset,
                            kind: ProblemKind::Corrupt {
                                reason: "record larger than any packet".into(),
                            },
                            decompressed: false,
                        });
                        break;
                    }
                    buf.resize(grown, 0);
                }
                fill(&mut buf, &mut end, &mut eof, &mut read_problem);
            }
            Some(stop) => {
                info.problem = stop_to_problem(path, offset, stop, at_eof, frame_no)?;
                break;
            }
        }
    }
    if info.problem.is_none() {
        if let Some(reason) = read_problem {
            info.problem = Some(CaptureProblem {
                offset,
                kind: ProblemKind::Io { reason },
                decompressed: false,
            });
        }
    }
    info.bytes = offset;
    finish_info(&mut info, &parser, frame_no);
    Ok(info)
}

/// Reads a NetMon 2.x capture held whole in memory, in frame-table order.
fn read_netmon(
    path: &str,
    data: &[u8],
    compression: Compression,
    on_batch: &mut dyn FnMut(&[Frame<'_>]),
) -> Result<CaptureInfo, CaptureError> {
    let mut info = new_info(path, CaptureFormat::Netmon, compression, false);
    info.bytes = data.len() as u64;
    let mut parser = match NetmonParser::open(data) {
        Ok(p) => p,
        Err((offset, stop)) => {
            info.problem = stop_to_problem(path, offset, stop, true, 0)?;
            return Ok(info);
        }
    };
    let mut frame_no = 0u64;
    let mut batch: Vec<Frame<'_>> = Vec::with_capacity(BATCH_FRAMES.min(1024));
    for item in parser.by_ref() {
        match item {
            Ok(mut f) => {
                frame_no += 1;
                f.number = frame_no;
                info.first_ts_ns.get_or_insert(f.ts_ns);
                info.last_ts_ns = Some(f.ts_ns);
                batch.push(f);
                if batch.len() == BATCH_FRAMES {
                    on_batch(&batch);
                    batch.clear();
                }
            }
            Err((offset, stop)) => {
                // Frame damage is Corrupt, never a header error: this cannot return early.
                info.problem = stop_to_problem(path, offset, stop, true, frame_no)?;
                break;
            }
        }
    }
    if !batch.is_empty() {
        on_batch(&batch);
    }
    info.frames = frame_no;
    info.linktypes = parser.linktypes.clone();
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::netmon::tests::TWO_FRAMES;
    use std::io::Write;

    /// Regression (#17): the offset of damage in a gzip input is an offset in the
    /// decompressed stream; the message said "byte N" as if it were the file's.
    #[test]
    fn damage_in_a_compressed_input_names_a_decompressed_offset() {
        let mut pcap = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        pcap.extend_from_slice(&[0; 8]);
        pcap.extend_from_slice(&65535u32.to_le_bytes());
        pcap.extend_from_slice(&1u32.to_le_bytes());
        // One record header announcing 100 bytes, and only 10 of them.
        pcap.extend_from_slice(&[0; 8]);
        pcap.extend_from_slice(&100u32.to_le_bytes());
        pcap.extend_from_slice(&100u32.to_le_bytes());
        pcap.extend_from_slice(&[0; 10]);
        let plain = read_capture_bytes("p", &pcap, &mut |_| {}).unwrap();
        let p = plain.problem.unwrap();
        assert!(!p.decompressed);
        assert_eq!(
            p.to_string(),
            "truncated at byte 24: the last record needs 90 more byte(s)"
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&pcap).unwrap();
        let zipped = gz.finish().unwrap();
        let info = read_capture_bytes("z", &zipped, &mut |_| {}).unwrap();
        let p = info.problem.unwrap();
        assert!(p.decompressed);
        assert_eq!(
            p.to_string(),
            "truncated at byte 24 of the decompressed stream: the last record needs 90 more byte(s)"
        );
    }

    /// An endless stream that starts with `head`, then zeros; counts what was read.
    struct Endless {
        head: Vec<u8>,
        read: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            use std::sync::atomic::Ordering::Relaxed;
            let at = self.read.load(Relaxed);
            for (i, b) in buf.iter_mut().enumerate() {
                *b = self.head.get(at + i).copied().unwrap_or(0);
            }
            self.read.fetch_add(buf.len(), Relaxed);
            Ok(buf.len())
        }
    }

    /// Regression (#17): a (decompressed) stream starting "GMBU" was read whole, up
    /// to 1 GiB, before its header was checked. A bad header, or a frame table
    /// past the limit, is now refused after the first buffer.
    #[test]
    fn a_netmon_stream_header_is_checked_before_the_stream_is_held() {
        let mut bad_version = b"GMBU\x00\x03".to_vec();
        bad_version.resize(128, 0);
        let mut table_far = b"GMBU\x02\x02".to_vec();
        table_far.resize(128, 0);
        table_far[24..28].copy_from_slice(&0xF000_0000u32.to_le_bytes());
        table_far[28..32].copy_from_slice(&64u32.to_le_bytes());
        for (head, want) in [
            (bad_version, "bad Network Monitor header"),
            (table_far, "1024"),
        ] {
            let read = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let r = Endless {
                head,
                read: read.clone(),
            };
            let e = read_stream("x", Box::new(r), Compression::Zstd, usize::MAX, &mut |_| {})
                .unwrap_err();
            assert!(e.to_string().contains(want), "{e}");
            let n = read.load(std::sync::atomic::Ordering::Relaxed);
            assert!(n <= STREAM_BUF, "read {n} bytes before refusing");
        }
    }

    fn collect(on: &mut Vec<(u64, Vec<u8>)>) -> impl FnMut(&[Frame<'_>]) + '_ {
        |b: &[Frame<'_>]| on.extend(b.iter().map(|f| (f.number, f.data.to_vec())))
    }

    #[test]
    fn netmon_from_a_slice_and_from_a_gzip_stream() {
        let mut direct = vec![];
        let info = read_slice(
            "t.cap",
            TWO_FRAMES,
            Compression::None,
            &mut collect(&mut direct),
        )
        .unwrap();
        assert_eq!(
            (info.format, info.frames, info.linktypes.as_slice()),
            (CaptureFormat::Netmon, 2, &[1][..])
        );
        assert_eq!(direct, vec![(1, b"abcd".to_vec()), (2, b"xyz".to_vec())]);
        assert_eq!(
            info.last_ts_ns.zip(info.first_ts_ns).map(|(l, f)| l - f),
            Some(1_500_000_000)
        );
        assert!(info.problem.is_none());

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(TWO_FRAMES).unwrap();
        let stream = std::io::Cursor::new(gz.finish().unwrap());
        let reader: Box<dyn Read + Send> = Box::new(flate2::read::MultiGzDecoder::new(stream));
        let mut streamed = vec![];
        let info = read_stream(
            "t.cap.gz",
            reader,
            Compression::Gzip,
            usize::MAX,
            &mut collect(&mut streamed),
        )
        .unwrap();
        assert_eq!(
            (info.format, info.compression, info.bytes),
            (CaptureFormat::Netmon, Compression::Gzip, 111)
        );
        assert_eq!(streamed, direct);
    }

    #[test]
    fn bytes_in_memory_read_like_the_file_plain_gzip_or_zstd() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let mut from_file = vec![];
        let spec = InputSpec::Path(dir.join("udp-register-call.pcap"));
        let want = read_capture(&spec, &mut collect(&mut from_file)).unwrap();
        for (name, compression) in [
            ("udp-register-call.pcap", Compression::None),
            ("udp-register-call.pcap.gz", Compression::Gzip),
            ("udp-register-call.pcap.zst", Compression::Zstd),
        ] {
            let data: std::sync::Arc<[u8]> = std::fs::read(dir.join(name)).unwrap().into();
            let spec = InputSpec::Bytes {
                name: name.into(),
                data,
            };
            let mut got = vec![];
            let info = read_capture(&spec, &mut collect(&mut got)).unwrap();
            assert_eq!((info.compression, info.frames), (compression, want.frames));
            assert_eq!(info.path, name);
            assert_eq!(got, from_file, "{name}");
        }
        assert!(matches!(
            read_capture_bytes("e", &[], &mut |_| {}),
            Err(CaptureError::Empty { .. })
        ));
    }

    #[test]
    fn damaged_netmon_is_a_problem_after_the_good_frames() {
        let mut f = TWO_FRAMES.to_vec();
        f[107..111].copy_from_slice(&0x1000u32.to_le_bytes());
        let mut got = vec![];
        let info = read_slice("t.cap", &f, Compression::None, &mut collect(&mut got)).unwrap();
        assert_eq!(got.len(), 1);
        let p = info.problem.unwrap();
        assert_eq!(p.offset, 0x1000);
        assert!(matches!(p.kind, ProblemKind::Corrupt { .. }));
        // A bad version is an error for the whole file, not a problem.
        f[5] = 1;
        assert!(matches!(
            read_slice("t.cap", &f, Compression::None, &mut |_| {}),
            Err(CaptureError::BadHeader { .. })
        ));
    }
}
