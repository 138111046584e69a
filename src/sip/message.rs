//! The owned SIP message record that leaves the decoding half of the pipeline.
//!
//! One allocation per message: its bytes, plus the [`SipHead`] spans the scanner
//! found in them. Every accessor reads those bytes lazily; values that RFC 3261
//! defines as case-insensitive or parameterised (tags, branch, sent-by) are
//! extracted here, so later stages never re-scan a message.

use super::header::Hdr;
use super::ids::Ids;
use super::scan::{Defects, Method, SipHead, Span, StartLine};
use super::values::{param, split_addr};
use crate::sdp::{Sdp, SdpError};
use bytes::Bytes;
use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;

/// How the message travelled, as seen in the capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Udp,
    Tcp,
    /// SIP over WebSocket (RFC 7118), on a TCP connection.
    Ws,
    /// SIP over SCTP (RFC 4168): one SIP message per SCTP user message.
    Sctp,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Ws => "ws",
            Transport::Sctp => "sctp",
        }
    }

    /// A transport that delivers or fails by itself: nothing is retransmitted on it
    /// (RFC 3261 §17.1.1.2: Timer A/E run only on unreliable transports).
    pub fn is_reliable(self) -> bool {
        !matches!(self, Transport::Udp)
    }
}

/// Where a record came from: the input file (index into the run's inputs) and frame number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Origin {
    pub file: u32,
    /// The frame that completed the message (the last fragment or segment).
    pub frame: u64,
}

/// Encapsulations the message was found inside.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Carriage {
    /// Carried in a HEP (Homer) packet; addresses and time are HEP's.
    pub hep: bool,
    /// Inside at least one tunnel (IP-in-IP, GRE, ERSPAN, VXLAN, GTP-U).
    pub tunnelled: bool,
    /// Its IP datagram was reassembled from fragments.
    pub reassembled: bool,
    /// It spanned more than one TCP segment.
    pub multi_segment: bool,
}

/// Every frame that carried part of a message: each IP fragment of its
/// datagram, each TCP segment of its bytes. Empty for a message that came
/// whole in one frame (its [`SipMessage::origin`]). The reassemblers bound the
/// list ([`MAX_FRAMES_PER_MESSAGE`]); frames past the bound are counted in
/// `omitted`, so a consumer can say the list is short rather than be wrong.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frames {
    /// In the order their bytes appear in the message (not capture order).
    pub list: Box<[Origin]>,
    pub omitted: u32,
}

/// How many contributing frames a message records (a 64 KiB datagram in
/// 1480-byte fragments is 45; a message over TCP at 1460 bytes a segment
/// reaches 1024 frames at about 1.5 MB).
pub const MAX_FRAMES_PER_MESSAGE: usize = 1024;

#[derive(Clone, Debug)]
pub struct SipMessage {
    pub ts_ns: i64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub transport: Transport,
    pub origin: Origin,
    pub carriage: Carriage,
    /// The frames that carried it, when more than `origin` alone.
    pub frames: Frames,
    /// Shared with other messages' bytes in a chunk (`sip::chunks`) or its own.
    raw: Bytes,
    head: SipHead,
    /// CSeq number and the span of its method, read once in [`SipMessage::new`].
    cseq: Option<(u32, Span)>,
    /// The From and To tags, found once in [`SipMessage::new`]: the model asks
    /// for them several times a message on its one thread.
    tags: [Option<Span>; 2],
    /// The keys the model looks up, hashed once where the message is made (a
    /// decode thread for UDP), not on the model's one thread.
    ids: Ids,
    /// The body's SDP, parsed where the message is made for the same reason
    /// (None: no SDP body). Shared, so the media tracker keeps it without a copy.
    sdp: Option<Result<Arc<Sdp>, SdpError>>,
}

impl SipMessage {
    /// Builds the record from bytes the scanner accepted (`head` must come from scanning `raw`).
    pub fn new(
        meta: (i64, SocketAddr, SocketAddr, Transport, Origin, Carriage),
        raw: Bytes,
        head: SipHead,
    ) -> SipMessage {
        let (ts_ns, src, dst, transport, origin, carriage) = meta;
        let mut m = SipMessage {
            ts_ns,
            src,
            dst,
            transport,
            origin,
            carriage,
            frames: Frames::default(),
            raw,
            head,
            cseq: None,
            tags: [None, None],
            ids: Ids::default(),
            sdp: None,
        };
        m.derive();
        m
    }

    /// [`SipMessage::new`] written into a record that is already allocated (a
    /// box going round, `sip::recycle`), field by field where it stays: built on
    /// the stack and moved into its box, a message was copied whole three times
    /// on the way (~600 bytes each; issue #16, `memcpy` under `SipMessage::new`
    /// and `recycle::boxed`).
    pub(crate) fn refill(
        &mut self,
        meta: (i64, SocketAddr, SocketAddr, Transport, Origin, Carriage),
        raw: Bytes,
        head: SipHead,
    ) {
        (
            self.ts_ns,
            self.src,
            self.dst,
            self.transport,
            self.origin,
            self.carriage,
        ) = meta;
        self.frames = Frames::default();
        self.raw = raw;
        self.head = head;
        self.cseq = None;
        self.tags = [None, None];
        self.ids = Ids::default();
        self.sdp = None;
        self.derive();
    }

    /// What [`SipMessage::new`] reads once from the bytes: CSeq, tags, the CSeq
    /// defects, the hashed keys, the SDP.
    fn derive(&mut self) {
        let m = self;
        m.cseq = m.parse_cseq().map(|(n, method)| (n, m.span_of(method)));
        m.tags = [Hdr::From, Hdr::To].map(|h| {
            m.head
                .span(h)
                .and_then(|s| addr_param(s.get(&m.raw), b"tag"))
                .map(|t| m.span_of(t))
        });
        // A CSeq that is there but does not read "number method" (RFC 3261 §20.16),
        // or whose method is not the request's (§8.1.1.5): matching falls back or fails.
        if m.head.span(Hdr::CSeq).is_some_and(|s| !s.is_empty()) {
            match m.cseq() {
                None => m.mark(Defects::BAD_CSEQ),
                Some((_, cm)) => {
                    if m.method().is_some_and(|rm| rm != cm) {
                        m.mark(Defects::CSEQ_METHOD_MISMATCH);
                    }
                }
            }
        }
        m.ids = Ids::of(m);
        m.sdp = m.read_sdp();
    }

    /// The span of `part`, a slice of `raw` (its offset is where it starts).
    fn span_of(&self, part: &[u8]) -> Span {
        let start = (part.as_ptr() as usize).saturating_sub(self.raw.as_ptr() as usize);
        Span {
            start: start as u32,
            end: (start + part.len()) as u32,
        }
    }

    fn read_sdp(&self) -> Option<Result<Arc<Sdp>, SdpError>> {
        let body = self.body();
        if body.is_empty() {
            return None;
        }
        let ct = self.header(Hdr::ContentType);
        let sdp = crate::sdp::in_body(ct.as_deref().unwrap_or_default(), body)?;
        Some(crate::sdp::parse_shared(sdp))
    }

    /// The body's SDP (None without one; an error when it is not readable SDP).
    pub fn sdp(&self) -> Option<&Result<Arc<Sdp>, SdpError>> {
        self.sdp.as_ref()
    }

    /// The body's SDP moved out of the message (it has none after).
    pub fn take_sdp(&mut self) -> Option<Result<Arc<Sdp>, SdpError>> {
        self.sdp.take()
    }

    /// The message's hashed Call-ID and transaction key.
    pub fn ids(&self) -> Ids {
        self.ids
    }

    /// Every frame that carried part of this message, `origin` included, without repeats.
    pub fn all_frames(&self) -> impl Iterator<Item = Origin> + '_ {
        let origin_listed = self.frames.list.contains(&self.origin);
        self.frames
            .list
            .iter()
            .copied()
            .chain((!origin_listed).then_some(self.origin))
    }

    /// Starts loading what the model reads of this message first: its SDP, and
    /// the bytes of its Call-ID, CSeq and tags (a cache hint; they were written
    /// on another core).
    pub fn prefetch(&self) {
        if let Some(Ok(sdp)) = &self.sdp {
            let p: *const u8 = Arc::as_ptr(sdp).cast();
            crate::prefetch::line(p);
            crate::prefetch::line(p.wrapping_add(64));
        }
        let raw = self.raw.as_ptr();
        for s in [self.cseq.map(|c| c.1), self.tags[0], self.tags[1]]
            .into_iter()
            .flatten()
        {
            crate::prefetch::line(raw.wrapping_add(s.start as usize));
        }
    }

    /// Starts loading the part of the record that says how long the message is
    /// (a cache hint for the thread that batches messages after a decoding thread made them).
    pub fn prefetch_length(&self) {
        crate::prefetch::line(std::ptr::from_ref(&self.raw).cast());
    }

    pub fn raw(&self) -> &[u8] {
        &self.raw
    }
    pub fn head(&self) -> &SipHead {
        &self.head
    }
    pub fn defects(&self) -> Defects {
        self.head.defects
    }
    pub fn mark(&mut self, defect: u16) {
        self.head.defects.set(defect)
    }

    /// Lets go of what the message owns (its bytes, frames and SDP), keeping the
    /// rest as it was: for its box to wait for reuse (`sip::recycle`) holding nothing.
    pub(crate) fn release(&mut self) {
        self.raw = Bytes::new();
        self.frames = Frames::default();
        self.sdp = None;
    }

    /// Gives the message an allocation of its own: for a message kept past the
    /// pipeline, which would otherwise keep the whole chunk it shares (`sip::chunks`).
    pub fn own_bytes(&mut self) {
        self.raw = Bytes::copy_from_slice(&self.raw);
    }

    /// Cuts the message to `max` bytes by dropping the end of its body (never
    /// a header: those are what the analysis reads), marks it
    /// [`Defects::BODY_TRUNCATED`] and returns the bytes dropped (0 if it fits).
    /// So that a stream of 15 MB bodies costs a bounded amount per message.
    pub fn truncate_body(&mut self, max: usize) -> usize {
        let (start, end) = (self.head.body.start as usize, self.head.body.end as usize);
        if self.raw.len() <= max || end <= start {
            return 0;
        }
        // Keep every header byte even if the headers alone pass `max`.
        let keep_end = start.max(max).min(end);
        let dropped = self.raw.len() - keep_end;
        if dropped == 0 {
            return 0;
        }
        // A copy, not `Bytes::truncate`: that would keep the whole allocation.
        self.raw = Bytes::copy_from_slice(self.raw.get(..keep_end).unwrap_or_default());
        self.head.body.end = keep_end as u32;
        self.head.len = keep_end as u32;
        self.head.defects.set(Defects::BODY_TRUNCATED);
        dropped
    }

    pub fn is_request(&self) -> bool {
        matches!(self.head.start, StartLine::Request { .. })
    }
    /// The method of a request (exact bytes; methods are case-sensitive).
    pub fn method(&self) -> Option<&[u8]> {
        match self.head.start {
            StartLine::Request { method_span, .. } => Some(method_span.get(&self.raw)),
            _ => None,
        }
    }
    pub fn method_kind(&self) -> Option<Method> {
        match self.head.start {
            StartLine::Request { method, .. } => Some(method),
            _ => None,
        }
    }
    pub fn request_uri(&self) -> Option<&[u8]> {
        match self.head.start {
            StartLine::Request { uri, .. } => Some(uri.get(&self.raw)),
            _ => None,
        }
    }
    pub fn status(&self) -> Option<u16> {
        match self.head.start {
            StartLine::Response { code, .. } => Some(code),
            _ => None,
        }
    }
    pub fn reason(&self) -> Option<&[u8]> {
        match self.head.start {
            StartLine::Response { reason, .. } => Some(reason.get(&self.raw)),
            _ => None,
        }
    }
    pub fn start_line(&self) -> &[u8] {
        self.head.start_line.get(&self.raw)
    }
    pub fn body(&self) -> &[u8] {
        self.head.body.get(&self.raw)
    }

    /// The first value of a known header, unfolded when it spanned several lines.
    pub fn header(&self, h: Hdr) -> Option<Cow<'_, [u8]>> {
        let s = self.head.span(h)?;
        let v = s.get(&self.raw);
        if self.head.is_folded(h) {
            Some(Cow::Owned(unfold(v)))
        } else {
            Some(Cow::Borrowed(v))
        }
    }

    /// Every value of a header by name (any case, compact forms too); the cold path.
    pub fn header_values(&self, name: &str) -> Vec<Cow<'_, [u8]>> {
        let want = Hdr::lookup(name.as_bytes());
        let mut out = Vec::new();
        let first = name.as_bytes().first().map(u8::to_ascii_lowercase);
        self.for_each_header(may_be(&[first]), |n, v| {
            if name_matches(n, name, want) {
                out.push(v);
            }
        });
        out
    }

    /// The first value of each of `names` (any case, compact forms too), in one
    /// pass over the headers — for the few unindexed headers read per call.
    pub fn first_values<const N: usize>(&self, names: [&str; N]) -> [Option<Cow<'_, [u8]>>; N] {
        let wants = names.map(|n| Hdr::lookup(n.as_bytes()));
        let mut out: [Option<Cow<'_, [u8]>>; N] = std::array::from_fn(|_| None);
        let firsts = names.map(|n| n.as_bytes().first().map(u8::to_ascii_lowercase));
        self.for_each_header(may_be(&firsts), |n, v| {
            for ((slot, name), want) in out.iter_mut().zip(names).zip(wants) {
                if slot.is_none() && name_matches(n, name, want) {
                    *slot = Some(v.clone());
                }
            }
        });
        out
    }

    /// Calls `f` with every header's name and value (trimmed; unfolded when it
    /// spanned several lines), in order, up to the blank line — of the header
    /// lines `may_match` lets through (see [`may_be`]): lines are found with
    /// memchr and the others are not even split, since this runs on the model
    /// thread for every initial INVITE (issue #16: 6 500 instructions each before).
    fn for_each_header<'a>(
        &'a self,
        may_match: impl Fn(&[u8]) -> bool,
        mut f: impl FnMut(&'a [u8], Cow<'a, [u8]>),
    ) {
        let hdrs = self
            .raw
            .get(..self.head.body.start as usize)
            .unwrap_or(&self.raw);
        let mut current: Option<(&[u8], Cow<'a, [u8]>)> = None;
        let mut skipping = false;
        let mut lines = memchr::memchr_iter(b'\n', hdrs);
        let mut at = match lines.next() {
            Some(i) => i + 1,
            None => return,
        };
        while at < hdrs.len() {
            let end = lines.next().unwrap_or(hdrs.len());
            let line = hdrs.get(at..end).unwrap_or_default();
            at = end + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                break;
            }
            if matches!(line.first(), Some(b' ' | b'\t')) {
                if skipping {
                    continue;
                }
                if let Some((_, v)) = current.as_mut() {
                    let v = v.to_mut();
                    v.push(b' ');
                    v.extend_from_slice(trim_bytes(line));
                }
                continue;
            }
            if let Some((n, v)) = current.take() {
                f(n, v);
            }
            skipping = !may_match(line);
            if skipping {
                continue;
            }
            if let Some((n, v)) = crate::bytes::split_once(line, b':') {
                current = Some((trim_bytes(n), Cow::Borrowed(trim_bytes(v))));
            }
        }
        if let Some((n, v)) = current.take() {
            f(n, v);
        }
    }

    pub fn call_id(&self) -> Option<&[u8]> {
        // Call-ID is never folded in practice; if it was, the unfolded form is on `header()`.
        self.head
            .span(Hdr::CallId)
            .map(|s| s.get(&self.raw))
            .filter(|v| !v.is_empty())
    }

    /// CSeq sequence number and method.
    pub fn cseq(&self) -> Option<(u32, &[u8])> {
        self.cseq.map(|(n, method)| (n, method.get(&self.raw)))
    }

    fn parse_cseq(&self) -> Option<(u32, &[u8])> {
        let v = self.head.span(Hdr::CSeq)?.get(&self.raw);
        // "1234 INVITE": digits, whitespace, method (RFC 3261 §20.16).
        let digits = v.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 10 {
            return None;
        }
        let (num, rest) = v.split_at_checked(digits)?;
        let n = num.iter().try_fold(0u32, |a, &d| {
            a.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        })?;
        let ws = rest
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        if ws == 0 {
            return None;
        }
        let method = rest.get(ws..)?;
        let end = method
            .iter()
            .position(|b| *b == b' ' || *b == b'\t')
            .unwrap_or(method.len());
        method.get(..end).filter(|m| !m.is_empty()).map(|m| (n, m))
    }

    /// The topmost Via value (the first header's first comma-separated entry).
    pub fn top_via(&self) -> Option<&[u8]> {
        let v = self.head.span(Hdr::Via)?.get(&self.raw);
        Some(first_list_item(v))
    }
    /// The `branch` parameter of the top Via.
    pub fn via_branch(&self) -> Option<&[u8]> {
        param(self.top_via()?, b"branch")
    }
    /// The sent-by (host[:port]) of the top Via, and its transport (UDP, TCP, TLS, WS…).
    pub fn via_sent_by(&self) -> Option<(&[u8], &[u8])> {
        via_sent_by(self.top_via()?)
    }
    pub fn from_tag(&self) -> Option<&[u8]> {
        self.tags[0].map(|s| s.get(&self.raw))
    }
    pub fn to_tag(&self) -> Option<&[u8]> {
        self.tags[1].map(|s| s.get(&self.raw))
    }
    pub fn from_uri(&self) -> Option<&[u8]> {
        self.head
            .span(Hdr::From)
            .map(|s| addr_uri(s.get(&self.raw)))
    }
    pub fn to_uri(&self) -> Option<&[u8]> {
        self.head.span(Hdr::To).map(|s| addr_uri(s.get(&self.raw)))
    }
}

/// Bytes that started like SIP but could not be parsed: kept, with the reason, never dropped.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MalformedSip {
    pub ts_ns: i64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub transport: Transport,
    pub origin: Origin,
    pub reason: &'static str,
    /// The first line (at most 200 bytes), lossily decoded for display.
    pub first_line: String,
    pub len: usize,
}

impl MalformedSip {
    pub fn new(
        meta: (i64, SocketAddr, SocketAddr, Transport, Origin),
        reason: &'static str,
        bytes: &[u8],
    ) -> Self {
        let (ts_ns, src, dst, transport, origin) = meta;
        let end = bytes
            .iter()
            .position(|b| *b == b'\r' || *b == b'\n')
            .unwrap_or(bytes.len())
            .min(200);
        MalformedSip {
            ts_ns,
            src,
            dst,
            transport,
            origin,
            reason,
            // Control bytes from a hostile capture must not reach a terminal or a report raw.
            first_line: String::from_utf8_lossy(bytes.get(..end).unwrap_or(bytes))
                .chars()
                .map(|c| if c.is_control() { '\u{fffd}' } else { c })
                .collect(),
            len: bytes.len(),
        }
    }
}

/// Joins folded lines with a single space (RFC 3261 §7.3.1).
pub fn unfold(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut bytes = v.iter().peekable();
    while let Some(&b) = bytes.next() {
        if b == b'\r' || b == b'\n' {
            while out.last().is_some_and(|b| *b == b' ' || *b == b'\t') {
                out.pop();
            }
            while bytes
                .next_if(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
                .is_some()
            {}
            out.push(b' ');
        } else {
            out.push(b);
        }
    }
    out
}

pub fn trim_bytes(v: &[u8]) -> &[u8] {
    let s = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let e = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(s, |e| e + 1);
    v.get(s..e).unwrap_or_default()
}

/// Whether a header line's name is `name` (by its known form and compact form when it has one).
/// Which header lines may hold one of the names whose first letters are `firsts`
/// (lower case): those starting with one of them, and any one-letter name (a
/// compact form, RFC 3261 §7.3.3, which starts with another letter).
fn may_be(firsts: &[Option<u8>]) -> impl Fn(&[u8]) -> bool + '_ {
    move |line| {
        let c = line.first().map(u8::to_ascii_lowercase);
        firsts.contains(&c) || matches!(line.get(1), Some(b':' | b' ' | b'\t'))
    }
}

fn name_matches(n: &[u8], name: &str, known: Option<Hdr>) -> bool {
    match known {
        Some(h) => h.matches(n),
        None => n.eq_ignore_ascii_case(name.as_bytes()),
    }
}

/// The sent-by (host[:port]) and transport of a Via value (one entry):
/// "SIP/2.0/UDP host:port;params".
pub(crate) fn via_sent_by(v: &[u8]) -> Option<(&[u8], &[u8])> {
    let sp = crate::bytes::find_byte2(b' ', b'\t', v)?;
    let (proto, rest) = v.split_at_checked(sp)?;
    let transport = proto.rsplit(|b| *b == b'/').next().unwrap_or(proto);
    let rest = trim_bytes(rest);
    let sent_by = crate::bytes::split_once(rest, b';').map_or(rest, |(s, _)| s);
    Some((trim_bytes(sent_by), transport))
}

/// The first entry of a comma-separated header value, ignoring commas inside quotes or <>.
fn first_list_item(v: &[u8]) -> &[u8] {
    // Most values hold one entry: no comma, nothing to scan (the hot path for Via).
    if crate::bytes::find_byte(b',', v).is_none() {
        return trim_bytes(v);
    }
    let (mut quoted, mut angle) = (false, false);
    for (i, &b) in v.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'<' if !quoted => angle = true,
            b'>' if !quoted => angle = false,
            b',' if !quoted && !angle => return trim_bytes(v.get(..i).unwrap_or(v)),
            _ => {}
        }
    }
    trim_bytes(v)
}

fn addr_uri(v: &[u8]) -> &[u8] {
    trim_bytes(split_addr(v).0)
}

fn addr_param<'a>(v: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let params = split_addr(v).1;
    // `param` skips what comes before the first ';', which here is empty or junk.
    param(params, name).filter(|t| !t.is_empty())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sip::scan::{scan, Mode};

    pub(crate) fn msg(b: &[u8]) -> SipMessage {
        let head = scan(b, Mode::Datagram).unwrap();
        let a: SocketAddr = "10.0.0.1:5060".parse().unwrap();
        SipMessage::new(
            (
                0,
                a,
                a,
                Transport::Udp,
                Origin { file: 0, frame: 1 },
                Carriage::default(),
            ),
            Bytes::copy_from_slice(b),
            head,
        )
    }

    #[test]
    fn tags_branch_and_sent_by() {
        let m = msg(b"INVITE sip:b@x SIP/2.0\r\n\
v: SIP/2.0/UDP 10.0.0.1:5062;rport;branch=z9hG4bK-1, SIP/2.0/TCP proxy;branch=z9hG4bK-0\r\n\
Via: SIP/2.0/UDP third\r\n\
f: \"Al;ice <x>\" <sip:a@x;transport=udp>;tag=abc\r\n\
t: sip:b@x;tag=def\r\n\
i: cid\r\nCSeq:  7   INVITE\r\n\r\n");
        assert_eq!(m.via_branch(), Some(&b"z9hG4bK-1"[..]));
        assert_eq!(m.via_sent_by(), Some((&b"10.0.0.1:5062"[..], &b"UDP"[..])));
        assert_eq!(m.head().via_count, 2);
        assert_eq!(m.from_tag(), Some(&b"abc"[..]));
        assert_eq!(m.from_uri(), Some(&b"sip:a@x;transport=udp"[..]));
        assert_eq!(m.to_tag(), Some(&b"def"[..]));
        assert_eq!(m.cseq(), Some((7, &b"INVITE"[..])));
        assert_eq!(m.call_id(), Some(&b"cid"[..]));
    }

    #[test]
    fn uri_parameters_are_not_header_parameters() {
        let m =
            msg(b"SIP/2.0 200 OK\r\nTo: <sip:b@x;tag=inside>\r\nFrom: <sip:a@x>;tag=out\r\n\r\n");
        assert_eq!(m.to_tag(), None);
        assert_eq!(m.from_tag(), Some(&b"out"[..]));
    }

    #[test]
    fn cold_path_header_values_unfold_and_repeat() {
        let m = msg(b"SIP/2.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"a\",\r\n nonce=\"1\"\r\nwww-authenticate: Digest realm=\"b\"\r\n\r\n");
        let v = m.header_values("WWW-Authenticate");
        assert_eq!(v.len(), 2);
        assert_eq!(&*v[0], b"Digest realm=\"a\", nonce=\"1\"");
        assert_eq!(
            &*m.header(Hdr::WwwAuthenticate).unwrap(),
            b"Digest realm=\"a\", nonce=\"1\""
        );
    }

    /// Two defect flags that were declared but never set (issue #11).
    #[test]
    fn bad_cseq_and_a_cseq_method_that_is_not_the_requests_are_defects() {
        let m = msg(b"OPTIONS sip:x SIP/2.0\r\nCall-ID: a\r\nCSeq: one OPTIONS\r\n\r\n");
        let names = |m: &SipMessage| m.defects().names().collect::<Vec<_>>();
        assert!(names(&m).contains(&"bad_cseq"), "{:?}", names(&m));
        let m = msg(b"OPTIONS sip:x SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n");
        assert!(names(&m).contains(&"cseq_method_mismatch"));
        let m = msg(b"OPTIONS sip:x SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 OPTIONS\r\n\r\n");
        assert!(!names(&m).contains(&"bad_cseq") && !names(&m).contains(&"cseq_method_mismatch"));
        // A response carries the request's method in CSeq: no mismatch to see.
        let m = msg(b"SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n");
        assert!(!names(&m).contains(&"cseq_method_mismatch"));
    }
}
