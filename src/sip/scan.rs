//! The zero-copy SIP wire scanner.
//!
//! One pass over a message's bytes records where things are — the start line,
//! the first occurrence of every header in [`Hdr`], the end of the headers, the
//! body — as [`Span`]s into the caller's buffer. Nothing is copied or decoded
//! here; values are read lazily through [`crate::sip::SipMessage`]. The scanner
//! accepts what real equipment sends: compact header forms, any case in names,
//! folded (continued) header lines, LF-only line ends, and bytes that are not
//! UTF-8. What it cannot use is recorded as [`Defects`], not as failure; only a
//! start line that is not SIP's makes a message unparseable.

use super::header::{Hdr, KNOWN_HEADERS};
use memchr::memchr;

/// A byte range into the message buffer. u32 keeps [`SipHead`] small; messages are bounded far below 4 GiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    #[inline]
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }
    #[inline]
    pub fn get<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.start as usize..self.end as usize)
            .unwrap_or(&[])
    }
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// Methods known by name; anything else that is a token is an extension method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Options,
    Prack,
    Subscribe,
    Notify,
    Publish,
    Info,
    Refer,
    Message,
    Update,
    /// Any other token (methods are case-sensitive: "REGIStER" is not REGISTER).
    Other,
}

impl Method {
    pub fn parse(b: &[u8]) -> Method {
        match b {
            b"INVITE" => Method::Invite,
            b"ACK" => Method::Ack,
            b"BYE" => Method::Bye,
            b"CANCEL" => Method::Cancel,
            b"REGISTER" => Method::Register,
            b"OPTIONS" => Method::Options,
            b"PRACK" => Method::Prack,
            b"SUBSCRIBE" => Method::Subscribe,
            b"NOTIFY" => Method::Notify,
            b"PUBLISH" => Method::Publish,
            b"INFO" => Method::Info,
            b"REFER" => Method::Refer,
            b"MESSAGE" => Method::Message,
            b"UPDATE" => Method::Update,
            _ => Method::Other,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartLine {
    Request {
        method: Method,
        method_span: Span,
        uri: Span,
    },
    Response {
        code: u16,
        reason: Span,
    },
}

/// Things wrong with a message that still parsed. Each is a bit; see [`Defects::names`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Defects(pub u16);

impl Defects {
    pub const MISSING_CALL_ID: u16 = 1 << 0;
    pub const MISSING_CSEQ: u16 = 1 << 1;
    pub const MISSING_FROM: u16 = 1 << 2;
    pub const MISSING_TO: u16 = 1 << 3;
    pub const MISSING_VIA: u16 = 1 << 4;
    pub const BAD_CSEQ: u16 = 1 << 5;
    pub const BAD_CONTENT_LENGTH: u16 = 1 << 6;
    pub const BODY_SHORTER_THAN_CONTENT_LENGTH: u16 = 1 << 7;
    pub const BYTES_AFTER_BODY: u16 = 1 << 8;
    pub const NO_END_OF_HEADERS: u16 = 1 << 9;
    pub const HEADER_LINE_WITHOUT_COLON: u16 = 1 << 10;
    pub const CSEQ_METHOD_MISMATCH: u16 = 1 << 11;
    pub const SNAPLEN_CUT: u16 = 1 << 12;
    /// The body was cut to the message-size limit (`--limit sip.message_bytes`).
    pub const BODY_TRUNCATED: u16 = 1 << 13;

    const NAMES: [(u16, &'static str); 14] = [
        (Self::MISSING_CALL_ID, "missing_call_id"),
        (Self::MISSING_CSEQ, "missing_cseq"),
        (Self::MISSING_FROM, "missing_from"),
        (Self::MISSING_TO, "missing_to"),
        (Self::MISSING_VIA, "missing_via"),
        (Self::BAD_CSEQ, "bad_cseq"),
        (Self::BAD_CONTENT_LENGTH, "bad_content_length"),
        (
            Self::BODY_SHORTER_THAN_CONTENT_LENGTH,
            "body_shorter_than_content_length",
        ),
        (Self::BYTES_AFTER_BODY, "bytes_after_body"),
        (Self::NO_END_OF_HEADERS, "no_end_of_headers"),
        (Self::HEADER_LINE_WITHOUT_COLON, "header_line_without_colon"),
        (Self::CSEQ_METHOD_MISMATCH, "cseq_method_mismatch"),
        (Self::SNAPLEN_CUT, "cut_by_snaplen"),
        (Self::BODY_TRUNCATED, "body_truncated"),
    ];

    pub fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn set(&mut self, bit: u16) {
        self.0 |= bit
    }
    /// Stable snake_case names of the defects present.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(b, _)| self.0 & b != 0)
            .map(|(_, n)| n)
    }
}

/// Where each known header's first value is. An absent header holds a span
/// starting at `u32::MAX` (no message is that long): an `Option<Span>` each
/// made every message 128 bytes bigger, and every message is moved between
/// threads several times (issue #16: `memmove` was 10–15 % of a SIP-heavy run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct HeaderSpans([Span; KNOWN_HEADERS]);

const ABSENT: Span = Span {
    start: u32::MAX,
    end: u32::MAX,
};

impl HeaderSpans {
    fn new() -> Self {
        HeaderSpans([ABSENT; KNOWN_HEADERS])
    }
    #[inline]
    fn get(&self, i: usize) -> Option<Span> {
        self.0.get(i).copied().filter(|s| *s != ABSENT)
    }
    fn get_mut(&mut self, i: usize) -> Option<&mut Span> {
        self.0.get_mut(i).filter(|s| **s != ABSENT)
    }
    /// Records the first value of header `i`; false if it was already there.
    fn set_first(&mut self, i: usize, span: Span) -> bool {
        match self.0.get_mut(i) {
            Some(slot) if *slot == ABSENT => {
                *slot = span;
                true
            }
            _ => false,
        }
    }
}

/// Where everything is in one SIP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipHead {
    pub start: StartLine,
    /// The start line without its line end.
    pub start_line: Span,
    headers: HeaderSpans,
    /// Set for a known header whose value spans folded lines (read it unfolded).
    folded: u64,
    pub via_count: u16,
    pub header_count: u16,
    pub content_length: Option<u32>,
    pub body: Span,
    /// Bytes the message occupies from the start of the buffer (headers + body).
    pub len: u32,
    pub defects: Defects,
    pub lf_only: bool,
}

impl SipHead {
    #[inline]
    pub fn span(&self, h: Hdr) -> Option<Span> {
        self.headers.get(h as usize)
    }
    pub fn is_folded(&self, h: Hdr) -> bool {
        self.folded & (1 << h as u32) != 0
    }
}

/// How the bytes given to [`scan`] are delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A whole datagram (UDP, HEP, a WebSocket message): the message is all of it.
    Datagram,
    /// The front of a byte stream (TCP): the message ends where Content-Length says.
    Stream,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanError {
    /// The bytes do not start with a SIP request or status line.
    NotSip,
    /// They start like SIP, but the start line is broken; the reason says how.
    Malformed(&'static str),
    /// Stream mode: the message continues past the end of the buffer.
    Incomplete,
    /// Stream mode: the message is larger than [`MAX_MESSAGE`]; skip past it.
    TooLarge,
}

/// Largest header block accepted in a stream before the message is declared broken.
pub const MAX_HEADERS: usize = 256 * 1024;
/// Largest message (headers + body) accepted in a stream.
pub const MAX_MESSAGE: usize = 16 * 1024 * 1024;

#[inline]
fn is_token(b: u8) -> bool {
    // RFC 3261 token: alphanum and -.!%*_+`'~
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

#[inline]
fn trim(buf: &[u8], s: usize, e: usize) -> (usize, usize) {
    let ws = |b: &&u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    // An empty or impossible range trims to itself.
    let v = buf.get(s..e).unwrap_or_default();
    let lead = v.iter().take_while(ws).count();
    let trail = v.iter().rev().take_while(ws).count().min(v.len() - lead);
    (s + lead, e - trail)
}

/// The cheapest possible "could this be SIP?" on the first bytes of a payload: RTP,
/// RTCP, DNS, TLS and most binary protocols fail on the first byte, with no scan.
#[inline]
pub fn may_start_sip(b: &[u8]) -> bool {
    match b.first() {
        Some(c) => c.is_ascii_alphabetic() && b.len() >= 8,
        None => false,
    }
}

/// Length of the line starting at `buf[0]`, without its line end, and where the next line starts.
#[inline]
fn line_at(buf: &[u8], from: usize) -> Option<(usize, usize)> {
    let nl = crate::bytes::find_byte(b'\n', buf.get(from..)?)? + from;
    let end = if nl > from && buf.get(nl - 1) == Some(&b'\r') {
        nl - 1
    } else {
        nl
    };
    Some((end, nl + 1))
}

/// Parses a start line held in `buf[..end]`.
pub fn parse_start_line(buf: &[u8], end: usize) -> Result<StartLine, ScanError> {
    let line = buf.get(..end).ok_or(ScanError::NotSip)?;
    if let Some(rest) = line
        .split_at_checked(8)
        .and_then(|(v, rest)| v.eq_ignore_ascii_case(b"SIP/2.0 ").then_some(rest))
    {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let after = rest.get(3).copied().unwrap_or(b' ');
        let (3, Some(&[a, b, c]), b' ' | b'\t') = (digits, rest.first_chunk::<3>(), after) else {
            return Err(ScanError::Malformed(
                "status line without a 3-digit status code",
            ));
        };
        let code = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
        if !(100..=699).contains(&code) {
            return Err(ScanError::Malformed("status code outside 100-699"));
        }
        let (rs, re) = trim(buf, (11 + 1).min(end), end);
        return Ok(StartLine::Response {
            code,
            reason: Span::new(rs, re),
        });
    }
    // Request-Line = Method SP Request-URI SP SIP-Version
    let m_end = line
        .iter()
        .position(|&b| b == b' ')
        .ok_or(ScanError::NotSip)?;
    let Some(uri_end) = line.len().checked_sub(8).filter(|&i| {
        line.get(i..)
            .is_some_and(|v| v.eq_ignore_ascii_case(b" SIP/2.0"))
    }) else {
        return Err(ScanError::NotSip);
    };
    let method = line.get(..m_end).unwrap_or_default();
    if method.is_empty() {
        return Err(ScanError::Malformed("request line without a method"));
    }
    if !method.iter().all(|&b| is_token(b)) {
        return Err(ScanError::Malformed("method is not a token"));
    }
    let (us, ue) = trim(buf, m_end + 1, uri_end);
    if ue <= us {
        return Err(ScanError::Malformed("request line without a Request-URI"));
    }
    // RFC 3261 §25.1: the Request-URI is an absolute URI, so it has a scheme ("sip:", "tel:", …).
    let uri = buf.get(us..ue).unwrap_or_default();
    let scheme = uri
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        .count();
    if scheme == 0
        || uri.get(scheme) != Some(&b':')
        || !uri.first().is_some_and(u8::is_ascii_alphabetic)
    {
        return Err(ScanError::Malformed("Request-URI has no scheme"));
    }
    Ok(StartLine::Request {
        method: Method::parse(method),
        method_span: Span::new(0, m_end),
        uri: Span::new(us, ue),
    })
}

/// Scans one SIP message at the start of `buf`.
pub fn scan(buf: &[u8], mode: Mode) -> Result<SipHead, ScanError> {
    if !may_start_sip(buf) {
        return Err(ScanError::NotSip);
    }
    let (sl_end, mut pos) = match line_at(buf, 0) {
        Some(x) => x,
        None => match mode {
            Mode::Stream => {
                // A start line still arriving: only worth waiting for if it is plausible.
                return if buf.len() < 8192
                    && buf.iter().all(|&b| b >= 0x20 || b == b'\t' || b == b'\r')
                {
                    Err(ScanError::Incomplete)
                } else {
                    Err(ScanError::NotSip)
                };
            }
            Mode::Datagram => (buf.len(), buf.len()),
        },
    };
    let sl_end_trim = buf
        .get(..sl_end)
        .unwrap_or_default()
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r'))
        .map_or(0, |i| i + 1);
    let start = parse_start_line(buf, sl_end_trim)?;
    let lf_only = sl_end == pos - 1 && pos <= buf.len() && pos > 0;

    let mut headers = HeaderSpans::new();
    let mut folded = 0u64;
    let mut defects = Defects::default();
    let mut via_count = 0u16;
    let mut header_count = 0u16;
    // The header whose value the next continuation line extends (index into `headers`, if recorded).
    let mut last: Option<usize> = None;
    let header_end;
    loop {
        if pos >= buf.len() {
            match mode {
                Mode::Stream => return Err(incomplete_or_too_large(pos)),
                Mode::Datagram => {
                    defects.set(Defects::NO_END_OF_HEADERS);
                    header_end = buf.len();
                    break;
                }
            }
        }
        let (end, next) = match line_at(buf, pos) {
            Some(x) => x,
            None => match mode {
                Mode::Stream => return Err(incomplete_or_too_large(buf.len())),
                Mode::Datagram => (buf.len(), buf.len()),
            },
        };
        if end == pos {
            header_end = next;
            break;
        }
        if matches!(buf.get(pos), Some(b' ' | b'\t')) {
            // Folded continuation (RFC 3261 §7.3.1): the previous value goes on.
            if let Some(i) = last {
                if let Some(s) = headers.get_mut(i) {
                    let (_, e) = trim(buf, pos, end);
                    if e > pos {
                        s.end = e as u32;
                        folded |= 1 << i;
                    }
                }
            }
            pos = next;
            continue;
        }
        header_count = header_count.saturating_add(1);
        // The colon ends a header name, a few bytes in.
        match crate::bytes::find_byte(b':', buf.get(pos..end).unwrap_or_default()) {
            None => {
                defects.set(Defects::HEADER_LINE_WITHOUT_COLON);
                last = None;
            }
            Some(c) => {
                let colon = pos + c;
                let (ns, ne) = trim(buf, pos, colon);
                last = None;
                if let Some(h) = Hdr::lookup(buf.get(ns..ne).unwrap_or_default()) {
                    if h == Hdr::Via {
                        via_count = via_count.saturating_add(1);
                    }
                    let i = h as usize;
                    let (vs, ve) = trim(buf, colon + 1, end);
                    if headers.set_first(i, Span::new(vs, ve.max(vs))) {
                        last = Some(i);
                    }
                }
            }
        }
        pos = next;
        if mode == Mode::Stream && pos > MAX_HEADERS {
            return Err(ScanError::TooLarge);
        }
    }

    let content_length = match headers.get(Hdr::ContentLength as usize) {
        None => None,
        Some(s) => {
            let v = s.get(buf);
            if !v.is_empty() && v.len() <= 10 && v.iter().all(u8::is_ascii_digit) {
                let n: u64 = v.iter().fold(0, |a, &d| a * 10 + u64::from(d - b'0'));
                if n <= u32::MAX as u64 {
                    Some(n as u32)
                } else {
                    defects.set(Defects::BAD_CONTENT_LENGTH);
                    None
                }
            } else {
                defects.set(Defects::BAD_CONTENT_LENGTH);
                None
            }
        }
    };

    let (body, len) = match mode {
        Mode::Stream => {
            // RFC 3261 §18.3: on a stream, Content-Length is mandatory; absent means no body.
            // A Content-Length that cannot be read (BAD_CONTENT_LENGTH) frames no body either.
            let cl = content_length.unwrap_or(0) as usize;
            let total = header_end.saturating_add(cl);
            if total > MAX_MESSAGE {
                return Err(ScanError::TooLarge);
            }
            if buf.len() < total {
                return Err(ScanError::Incomplete);
            }
            (Span::new(header_end, total), total)
        }
        Mode::Datagram => {
            let avail = buf.len() - header_end;
            match content_length {
                Some(cl) if (cl as usize) < avail => {
                    let end = header_end + cl as usize;
                    if buf
                        .get(end..)
                        .unwrap_or_default()
                        .iter()
                        .any(|b| !matches!(b, b'\r' | b'\n' | b' ' | b'\t' | 0))
                    {
                        defects.set(Defects::BYTES_AFTER_BODY);
                    }
                    (Span::new(header_end, end), buf.len())
                }
                Some(cl) if cl as usize > avail => {
                    defects.set(Defects::BODY_SHORTER_THAN_CONTENT_LENGTH);
                    (Span::new(header_end, buf.len()), buf.len())
                }
                _ => (Span::new(header_end, buf.len()), buf.len()),
            }
        }
    };

    for (h, bit) in [
        (Hdr::CallId, Defects::MISSING_CALL_ID),
        (Hdr::CSeq, Defects::MISSING_CSEQ),
        (Hdr::From, Defects::MISSING_FROM),
        (Hdr::To, Defects::MISSING_TO),
        (Hdr::Via, Defects::MISSING_VIA),
    ] {
        if headers.get(h as usize).is_none_or(|s| s.is_empty()) {
            defects.set(bit);
        }
    }

    Ok(SipHead {
        start,
        start_line: Span::new(0, sl_end_trim),
        headers,
        folded,
        via_count,
        header_count,
        content_length,
        body,
        len: len as u32,
        defects,
        lf_only,
    })
}

fn incomplete_or_too_large(seen: usize) -> ScanError {
    if seen > MAX_HEADERS {
        ScanError::TooLarge
    } else {
        ScanError::Incomplete
    }
}

/// Finds the next line in `buf` (after position 0) that starts a SIP message, for
/// resynchronising a stream after a gap or garbage. Returns its offset.
pub fn find_start_line(buf: &[u8]) -> Option<usize> {
    let mut pos = 0;
    while let Some(nl) = memchr(b'\n', buf.get(pos..)?) {
        let cand = pos + nl + 1;
        let line = match buf.get(cand..) {
            Some(l) if !l.is_empty() => l,
            _ => return None,
        };
        if may_start_sip(line) {
            if let Some((end, _)) = line_at(buf, cand) {
                let e = buf
                    .get(cand..end)
                    .unwrap_or_default()
                    .iter()
                    .rposition(|b| !matches!(b, b' ' | b'\t'))
                    .map_or(0, |i| i + 1);
                if parse_start_line(line, e).is_ok() {
                    return Some(cand);
                }
            } else {
                // The candidate line is not complete yet; it may be a start line.
                return Some(cand);
            }
        }
        pos = cand;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &[u8] = b"INVITE sip:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@example.com>\r\n\
From: Alice <sip:alice@example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\
\r\n\
v=0\n";

    fn hv<'a>(buf: &'a [u8], h: &SipHead, which: Hdr) -> &'a [u8] {
        h.span(which).unwrap().get(buf)
    }

    #[test]
    fn a_plain_invite() {
        let h = scan(INVITE, Mode::Datagram).unwrap();
        assert!(matches!(
            h.start,
            StartLine::Request {
                method: Method::Invite,
                ..
            }
        ));
        assert_eq!(
            hv(INVITE, &h, Hdr::CallId),
            b"a84b4c76e66710@pc33.example.com"
        );
        assert_eq!(hv(INVITE, &h, Hdr::CSeq), b"314159 INVITE");
        assert_eq!(h.content_length, Some(4));
        assert_eq!(h.body.get(INVITE), b"v=0\n");
        assert!(
            h.defects.is_empty(),
            "{:?}",
            h.defects.names().collect::<Vec<_>>()
        );
        assert_eq!(h.len as usize, INVITE.len());
    }

    /// Every header line, its colon and its CR LF at every offset from the start
    /// of the buffer (the Request-URI made longer a byte at a time), with a line
    /// longer than the vector search's first 128 bytes, a fold, a line without a
    /// colon and LF-only ends among them: the same values every time. (Written
    /// for a scanner that read 64-byte windows of the buffer, which was not kept:
    /// it took more instructions; README, issue #16.)
    #[test]
    fn values_are_the_same_wherever_the_windows_fall() {
        let long = "x".repeat(150);
        for lf_only in [false, true] {
            for pad in 0..130 {
                let uri = format!("sip:{}@h", "u".repeat(pad));
                let text = format!(
                    "INVITE {uri} SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nno colon here\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nSubject: {long}\r\nCall-ID: c@h\r\nCSeq: 1 INVITE\r\nUser-Agent: a\r\n b\r\nContact:<sip:a@h>\r\nMax-Forwards: 70\r\ni:x\r\nContent-Length: 4\r\n\r\nbody"
                );
                let text = if lf_only {
                    text.replace("\r\n", "\n")
                } else {
                    text
                };
                let buf = text.as_bytes();
                for mode in [Mode::Datagram, Mode::Stream] {
                    let h = scan(buf, mode).unwrap();
                    assert_eq!(hv(buf, &h, Hdr::Via), b"SIP/2.0/UDP h;branch=z9hG4bK1");
                    assert_eq!(hv(buf, &h, Hdr::From), b"<sip:a@h>;tag=1");
                    assert_eq!(hv(buf, &h, Hdr::To), b"<sip:b@h>");
                    assert_eq!(hv(buf, &h, Hdr::Subject), long.as_bytes());
                    assert_eq!(hv(buf, &h, Hdr::CallId), b"c@h", "{pad} {lf_only}");
                    assert_eq!(hv(buf, &h, Hdr::CSeq), b"1 INVITE");
                    assert!(h.is_folded(Hdr::UserAgent));
                    assert_eq!(hv(buf, &h, Hdr::Contact), b"<sip:a@h>");
                    assert_eq!(hv(buf, &h, Hdr::MaxForwards), b"70");
                    assert_eq!(h.content_length, Some(4));
                    assert_eq!(h.body.get(buf), b"body");
                    assert_eq!(h.header_count, 12, "{pad} {lf_only}");
                    assert!(h.defects.has(Defects::HEADER_LINE_WITHOUT_COLON));
                    assert_eq!(h.lf_only, lf_only);
                    // Cut anywhere in the headers, a stream message is incomplete, never misread.
                    let cut = buf.len() - 10 - (pad % 40);
                    assert!(matches!(
                        scan(&buf[..cut], Mode::Stream),
                        Err(ScanError::Incomplete)
                    ));
                }
            }
        }
    }

    #[test]
    fn compact_forms_and_any_case() {
        let m = b"BYE sip:x SIP/2.0\r\nv: SIP/2.0/TCP h;branch=z9hG4bKa\r\nI: abc\r\nf: <sip:a>;tag=1\r\nT: <sip:b>\r\ncseq: 2 BYE\r\nL: 0\r\n\r\n";
        let h = scan(m, Mode::Stream).unwrap();
        assert_eq!(hv(m, &h, Hdr::CallId), b"abc");
        assert_eq!(hv(m, &h, Hdr::Via), b"SIP/2.0/TCP h;branch=z9hG4bKa");
        assert_eq!(h.content_length, Some(0));
        assert!(h.defects.is_empty());
    }

    #[test]
    fn lf_only_line_ends() {
        let m = b"SIP/2.0 200 OK\nVia: SIP/2.0/UDP h\nCall-ID: lf\nFrom: a;tag=1\nTo: b;tag=2\nCSeq: 1 INVITE\nContent-Length: 0\n\n";
        let h = scan(m, Mode::Stream).unwrap();
        assert!(matches!(h.start, StartLine::Response { code: 200, .. }));
        assert_eq!(hv(m, &h, Hdr::CallId), b"lf");
        assert_eq!(h.len as usize, m.len());
        assert!(h.lf_only);
    }

    #[test]
    fn folded_header_values_are_kept_whole() {
        let m = b"OPTIONS sip:x SIP/2.0\r\nSubject: I know you're there,\r\n   pick up the phone\r\nCall-ID: f\r\n\r\n";
        let h = scan(m, Mode::Datagram).unwrap();
        assert!(h.is_folded(Hdr::Subject));
        assert_eq!(
            hv(m, &h, Hdr::Subject),
            b"I know you're there,\r\n   pick up the phone"
        );
        assert_eq!(hv(m, &h, Hdr::CallId), b"f");
    }

    #[test]
    fn non_utf8_bytes_do_not_stop_the_scan() {
        let m = b"MESSAGE sip:x SIP/2.0\r\nFrom: \"J\xf6rg\xff\" <sip:j@x>;tag=9\r\nCall-ID: u8\r\n\r\n";
        let h = scan(m, Mode::Datagram).unwrap();
        assert_eq!(hv(m, &h, Hdr::From), b"\"J\xf6rg\xff\" <sip:j@x>;tag=9");
        assert_eq!(hv(m, &h, Hdr::CallId), b"u8");
    }

    #[test]
    fn stream_framing_by_content_length() {
        let mut two = INVITE.to_vec();
        two.extend_from_slice(INVITE);
        let h = scan(&two, Mode::Stream).unwrap();
        assert_eq!(h.len as usize, INVITE.len());
        assert_eq!(
            scan(&INVITE[..INVITE.len() - 1], Mode::Stream),
            Err(ScanError::Incomplete)
        );
        assert_eq!(
            scan(&INVITE[..60], Mode::Stream),
            Err(ScanError::Incomplete)
        );
    }

    #[test]
    fn datagram_with_lying_content_length() {
        let m = b"SIP/2.0 180 Ringing\r\nCall-ID: x\r\nContent-Length: 2147483648\r\n\r\n";
        let h = scan(m, Mode::Datagram).unwrap();
        assert!(h.defects.has(Defects::BODY_SHORTER_THAN_CONTENT_LENGTH));
        assert_eq!(scan(m, Mode::Stream), Err(ScanError::TooLarge));
        let bad = b"SIP/2.0 180 Ringing\r\nl: ten\r\n\r\n";
        assert!(scan(bad, Mode::Datagram)
            .unwrap()
            .defects
            .has(Defects::BAD_CONTENT_LENGTH));
    }

    #[test]
    fn what_is_not_sip() {
        for m in [
            &b"\x80\x00\x01\x02rtp payload....."[..],
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n\r\n",
            b"short",
        ] {
            assert_eq!(
                scan(m, Mode::Datagram),
                Err(ScanError::NotSip),
                "{:?}",
                String::from_utf8_lossy(m)
            );
        }
        assert_eq!(
            scan(b"SIP/2.0 20 OK\r\n\r\n", Mode::Datagram),
            Err(ScanError::Malformed(
                "status line without a 3-digit status code"
            ))
        );
        assert_eq!(
            scan(b"INV(TE sip:x SIP/2.0\r\n\r\n", Mode::Datagram),
            Err(ScanError::Malformed("method is not a token"))
        );
        assert_eq!(
            scan(b"INVITE foo@bar SIP/2.0\r\n\r\n", Mode::Datagram),
            Err(ScanError::Malformed("Request-URI has no scheme"))
        );
    }

    #[test]
    fn extension_and_odd_case_methods_are_kept() {
        let m = b"REGIStER sip:x SIP/2.0\r\nCall-ID: c\r\n\r\n";
        let h = scan(m, Mode::Datagram).unwrap();
        match h.start {
            StartLine::Request {
                method,
                method_span,
                ..
            } => {
                assert_eq!(method, Method::Other);
                assert_eq!(method_span.get(m), b"REGIStER");
            }
            _ => panic!(),
        }
    }

    #[test]
    fn missing_mandatory_headers_are_defects_not_failures() {
        let h = scan(b"INVITE sip:x SIP/2.0\r\n\r\n", Mode::Datagram).unwrap();
        let names: Vec<_> = h.defects.names().collect();
        assert_eq!(
            names,
            [
                "missing_call_id",
                "missing_cseq",
                "missing_from",
                "missing_to",
                "missing_via"
            ]
        );
    }

    #[test]
    fn resynchronising_on_the_next_start_line() {
        let mut s = b"garbage after a gap\r\nmore\r\n".to_vec();
        let at = s.len();
        s.extend_from_slice(INVITE);
        assert_eq!(find_start_line(&s), Some(at));
        assert_eq!(find_start_line(b"no sip here\r\nnor here\r\n"), None);
    }
}
