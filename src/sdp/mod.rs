//! SDP (RFC 4566) as offer/answer (RFC 3264) needs it: the connection address
//! and port of every media line, its payload types with their names and clock
//! rates (rtpmap, or RFC 3551's static table), fmtp, ptime and the direction
//! (session level, overridden per media). Then what an analyst checks on one
//! offer/answer pair: a common codec, hold, a refused stream (port 0), and a
//! private connection address announced from a public signalling address (NAT).
//!
//! Pure functions of the body's bytes: which SDP is the offer and which the
//! answer, and which call they belong to, is `media::tracker`'s business.

// Input is untrusted: no panics on packet data (README, "Reliability and limits").
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod recent;
pub use recent::parse_shared;

use crate::bytes::split_once;
use std::net::IpAddr;

/// a=sendrecv / sendonly / recvonly / inactive (RFC 3264 §5.1; sendrecv when absent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn of(attr: &[u8]) -> Option<Direction> {
        Some(match attr {
            b"sendrecv" => Direction::SendRecv,
            b"sendonly" => Direction::SendOnly,
            b"recvonly" => Direction::RecvOnly,
            b"inactive" => Direction::Inactive,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
    /// Whether the party that announced it will send media.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }
    /// Whether the party that announced it wants to receive media.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }
}

/// One payload type of a media line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Codec {
    pub pt: u8,
    /// Encoding name as written ("PCMU", "opus", "telephone-event"); empty when neither rtpmap nor the static table knows it.
    pub name: Text,
    /// RTP clock rate (Hz): what RTP timestamps count in, the unit of jitter (0 when unknown).
    pub clock: u32,
    pub fmtp: Option<Text>,
}

impl Codec {
    /// Payload type `pt` as an m= line lists it, before any rtpmap: named by
    /// RFC 3551's static table, or nameless (a dynamic type).
    fn of_payload_type(pt: u8) -> Codec {
        let (name, clock) = static_payload(pt).unwrap_or(("", 0));
        Codec {
            pt,
            name: Text::Borrowed(name),
            clock,
            fmtp: None,
        }
    }
    pub fn is_telephone_event(&self) -> bool {
        self.name.eq_ignore_ascii_case("telephone-event")
    }
    /// Comfort noise (RFC 3389): sent between talk spurts, not a voice codec.
    pub fn is_comfort_noise(&self) -> bool {
        self.name.eq_ignore_ascii_case("CN")
    }
    /// A codec that carries voice (not DTMF events, not comfort noise).
    pub fn is_voice(&self) -> bool {
        !self.is_telephone_event() && !self.is_comfort_noise()
    }
}

/// The payload types of a media line: up to four in the line itself, past that on the heap.
pub type Codecs = smallvec::SmallVec<[Codec; 4]>;

/// The m= lines of an SDP: the first in the description itself, more on the heap.
///
/// With [`Codecs`], the usual SDP (one audio line, a few codecs) is one
/// allocation, the `Arc` the decoding thread makes, instead of three (it,
/// the lines, the codecs). The model thread frees each SDP when the next one
/// of its side replaces it or its call closes, long after it was written on
/// another core: every pointer followed there was a cache miss, and freeing
/// the three was a fifth of the media tracker's time on a SIP-heavy capture
/// (issue #16). About the same bytes as before, in one place.
pub type Lines = smallvec::SmallVec<[Media; 1]>;

/// One m= line with its attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct Media {
    /// audio, video, image, application…
    pub kind: Text,
    /// 0: the stream is refused or disabled (RFC 3264 §6).
    pub port: u16,
    pub proto: Text,
    /// Payload types in the m= line's order (preference order).
    pub codecs: Codecs,
    /// Media-level c= (overrides the session's).
    pub conn: Option<IpAddr>,
    pub ptime: Option<u32>,
    /// Media-level direction attribute (overrides the session's).
    pub direction: Option<Direction>,
}

/// A parsed SDP body.
#[derive(Clone, Debug, PartialEq)]
pub struct Sdp {
    /// Session-level c=.
    pub conn: Option<IpAddr>,
    /// Session-level direction attribute.
    pub direction: Option<Direction>,
    pub media: Lines,
    /// ICE (RFC 8445: a=ice-ufrag or a=candidate): c= is only the default candidate, media may
    /// flow between other addresses.
    pub ice: bool,
}

#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum SdpError {
    #[error("not SDP: the body does not start with v=0")]
    NotSdp,
}

/// RFC 3551 table 4 and 5: the static payload types' names and clock rates.
/// G.722 is 8000 here although it samples at 16 kHz: RFC 3551 §4.5.2 keeps its RTP clock at 8000 for historical reasons.
pub fn static_payload(pt: u8) -> Option<(&'static str, u32)> {
    Some(match pt {
        0 => ("PCMU", 8000),
        3 => ("GSM", 8000),
        4 => ("G723", 8000),
        5 => ("DVI4", 8000),
        6 => ("DVI4", 16000),
        7 => ("LPC", 8000),
        8 => ("PCMA", 8000),
        9 => ("G722", 8000),
        10 | 11 => ("L16", 44100),
        12 => ("QCELP", 8000),
        13 => ("CN", 8000),
        14 => ("MPA", 90000),
        15 => ("G728", 8000),
        16 => ("DVI4", 11025),
        17 => ("DVI4", 22050),
        18 => ("G729", 8000),
        25 => ("CelB", 90000),
        26 => ("JPEG", 90000),
        28 => ("nv", 90000),
        31 => ("H261", 90000),
        32 => ("MPV", 90000),
        33 => ("MP2T", 90000),
        34 => ("H263", 90000),
        _ => return None,
    })
}

fn parse_addr(c: &[u8]) -> Option<IpAddr> {
    // c=IN IP4 192.0.2.1[/ttl[/n]]
    let addr = match c.strip_prefix(b"IN IP4 ") {
        // As nearly every c= line is written: the third field is what follows, up to
        // a space, a '/' or its end (the fields' iterator cost ~300 instructions an SDP).
        Some(rest) if rest.first().is_some_and(|b| !b.is_ascii_whitespace()) => {
            let end = rest
                .iter()
                .position(|&b| b.is_ascii_whitespace() || b == b'/')
                .unwrap_or(rest.len());
            rest.get(..end)?
        }
        _ => {
            let mut f = fields(c);
            let (_net, _family, addr) = (f.next()?, f.next()?, f.next()?);
            addr.split(|&b| b == b'/').next()?
        }
    };
    match dotted_quad(addr) {
        Some(v4) => Some(IpAddr::V4(v4)),
        None => std::str::from_utf8(addr).ok()?.parse().ok(),
    }
}

/// An IPv4 address in the form the standard library accepts (four decimal
/// parts of one to three digits, no leading zero, each at most 255), read in
/// one pass without the generic parser; anything else is `None` and left to
/// it. (Split at the dots first, it was ~390 instructions a c= line, the most
/// of any SDP line; issue #16.)
fn dotted_quad(b: &[u8]) -> Option<std::net::Ipv4Addr> {
    let mut octets = [0u8; 4];
    let (mut part, mut value, mut digits) = (0usize, 0u16, 0u8);
    for &c in b {
        match c {
            b'0'..=b'9' => {
                // A fourth digit, or a digit after a leading zero, is not the form.
                if digits == 3 || (digits == 1 && value == 0) {
                    return None;
                }
                value = value * 10 + u16::from(c - b'0');
                digits += 1;
            }
            b'.' if digits > 0 => {
                *octets.get_mut(part)? = u8::try_from(value).ok()?;
                (part, value, digits) = (part + 1, 0, 0);
            }
            _ => return None,
        }
    }
    if part != 3 || digits == 0 {
        return None;
    }
    *octets.get_mut(3)? = u8::try_from(value).ok()?;
    Some(octets.into())
}

/// The fields of an SDP value, split at ASCII whitespace as `str::split_ascii_whitespace` does.
fn fields(b: &[u8]) -> impl Iterator<Item = &[u8]> + Clone {
    b.split(|c| c.is_ascii_whitespace())
        .filter(|f| !f.is_empty())
}

/// An unsigned number as `str::parse` reads it: an optional `+` (not alone),
/// then only digits, and no overflow of `T`.
fn number<T: TryFrom<u64>>(b: &[u8]) -> Option<T> {
    let digits = match b {
        [b'+', rest @ ..] if !rest.is_empty() => rest,
        _ => b,
    };
    if digits.is_empty() {
        return None;
    }
    let mut v = 0u64;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    T::try_from(v).ok()
}

/// `b` trimmed of whitespace as `str::trim` trims it: ASCII (with the vertical
/// tab `u8::is_ascii_whitespace` leaves out) on the fast path, Unicode spaces
/// when an end is not ASCII. `b` is UTF-8 ([`parse`] converts a line that is not).
fn trim_text(b: &[u8]) -> &[u8] {
    let space = |c: &u8| c.is_ascii_whitespace() || *c == 0x0b;
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return b;
    };
    if !space(first) && !space(last) && first.is_ascii() && last.is_ascii() {
        // Nothing to trim: nearly every value.
        return b;
    }
    let start = b.iter().position(|c| !space(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !space(c)).map_or(start, |e| e + 1);
    let t = b.get(start..end).unwrap_or_default();
    if t.first().is_some_and(|c| !c.is_ascii()) || t.last().is_some_and(|c| !c.is_ascii()) {
        if let Ok(s) = std::str::from_utf8(t) {
            return s.trim().as_bytes();
        }
    }
    t
}

/// Whether `hay` contains `needle` (ASCII, any case): a Content-Type compared without a lower-cased copy.
fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// The SDP in a SIP body: the whole body (Content-Type application/sdp, or none
/// and a body starting `v=0`), or the application/sdp part of a multipart one.
pub fn in_body<'a>(content_type: &[u8], body: &'a [u8]) -> Option<&'a [u8]> {
    if body.is_empty() {
        return None;
    }
    if contains_ignore_case(content_type, b"application/sdp")
        || (content_type.is_empty() && body.starts_with(b"v=0"))
    {
        return Some(body);
    }
    if content_type
        .get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"multipart/"))
    {
        let at = memchr::memmem::find(body, b"\nv=0")? + 1;
        let rest = body.get(at..)?;
        let end = memchr::memmem::find(rest, b"\n--").map_or(rest.len(), |e| e + 1);
        return rest.get(..end);
    }
    None
}

/// Text of an SDP field: borrowed from [`COMMON`] when it is one of the usual
/// values, so that a load test's thousands of alike bodies allocate nothing per
/// media kind, transport or codec name.
pub type Text = std::borrow::Cow<'static, str>;

/// Values written as is by most equipment (exact case: a text keeps its spelling).
const COMMON: &[&str] = &[
    "audio",
    "video",
    "image",
    "application",
    "text",
    "message",
    "RTP/AVP",
    "RTP/SAVP",
    "RTP/AVPF",
    "RTP/SAVPF",
    "UDP/TLS/RTP/SAVPF",
    "udptl",
    "UDPTL",
    "t38",
    "telephone-event",
    "PCMU",
    "PCMA",
    "G722",
    "G729",
    "G723",
    "GSM",
    "CN",
    "opus",
    "AMR",
    "AMR-WB",
    "iLBC",
    "speex",
    "H264",
    "VP8",
    "red",
    "0-15",
    "0-16",
    "0-11",
    "annexb=no",
    "annexb=yes",
];

/// Longest of [`COMMON`]'s values.
const COMMON_MAX_LEN: usize = 17;

/// For each length, the values of [`COMMON`] that long (bit i: `COMMON[i]`).
// Built by the compiler: an index out of range here fails the build, not a run.
#[allow(clippy::indexing_slicing)]
static COMMON_BY_LEN: [u64; COMMON_MAX_LEN + 1] = {
    assert!(COMMON.len() <= 64, "COMMON_BY_LEN holds 64 values");
    let mut t = [0u64; COMMON_MAX_LEN + 1];
    let mut i = 0;
    while i < COMMON.len() {
        // A value longer than COMMON_MAX_LEN fails the build here.
        t[COMMON[i].len()] |= 1 << i;
        i += 1;
    }
    t
};

fn text(b: &[u8]) -> Text {
    // The values of this length only, then the first byte: one or two candidates,
    // where a walk over all of them cost ~240 instructions for "0-16" (issue #16).
    let mut candidates = COMMON_BY_LEN.get(b.len()).copied().unwrap_or(0);
    while candidates != 0 {
        let i = candidates.trailing_zeros() as usize;
        candidates &= candidates - 1;
        if let Some(c) = COMMON.get(i) {
            if c.as_bytes().first() == b.first() && crate::bytes::same(c.as_bytes(), b) {
                return Text::Borrowed(c);
            }
        }
    }
    Text::Owned(String::from_utf8_lossy(b).into_owned())
}

/// The lines of `body`, split at LF (a CR before it is trimmed with the rest).
fn lines_of(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let rest = body.get(at..).filter(|r| !r.is_empty())?;
        let end = crate::bytes::find_byte(b'\n', rest).unwrap_or(rest.len());
        at += end + 1;
        rest.get(..end)
    })
}

/// Parses an SDP body (any line ending; unknown lines ignored).
///
/// Bytes all the way: lines and colons are found with [`crate::bytes::find_byte`],
/// fields split at ASCII spaces, attribute names compared as bytes and numbers
/// read digit by digit; only the values kept as text (media kind, transport,
/// codec names, fmtp) are converted, and a line is converted whole only when it
/// is not ASCII. The text parser this replaced (`tests::parse_textwise`, kept
/// as the tests' reference) spent 8 000 instructions on the 12-line SDP of a
/// SIPp call, this one 6 500 (issue #16: a load test decodes an SDP with nearly
/// every INVITE and answer).
pub fn parse(body: &[u8]) -> Result<Sdp, SdpError> {
    let mut lines = lines_of(body)
        .map(|l| l.trim_ascii())
        .filter(|l| !l.is_empty());
    if lines.next() != Some(b"v=0".as_slice()) {
        return Err(SdpError::NotSdp);
    }
    let mut sdp = Sdp {
        conn: None,
        direction: None,
        media: Lines::new(),
        ice: false,
    };
    // Checked once for the body (a word at a time), not line by line.
    let all_ascii = body.is_ascii();
    for raw in lines {
        // Only m=, c= and a= matter here; the rest is not even looked into.
        let (key, rest) = match raw {
            [k @ (b'm' | b'c' | b'a'), b'=', rest @ ..] => (*k, rest),
            _ => continue,
        };
        // A line that is not UTF-8 is read with replacement characters, as text
        // would be (SDP is ASCII nearly always: the check is all it costs).
        let lossy;
        let rest = if all_ascii || rest.is_ascii() {
            rest
        } else {
            lossy = String::from_utf8_lossy(rest);
            lossy.as_bytes()
        };
        let value = trim_text(rest);
        match (key, sdp.media.last_mut()) {
            (b'm', _) => {
                let mut f = fields(value);
                let kind = text(f.next().unwrap_or_default());
                // m=audio 49170/2 RTP/AVP 0: the count of ports does not matter here.
                let port = f
                    .next()
                    .and_then(|p| p.split(|&b| b == b'/').next())
                    .and_then(number)
                    .unwrap_or(0);
                let proto = text(f.next().unwrap_or_default());
                let pts = f.filter_map(number::<u8>).filter(|&pt| pt < 128);
                let codecs: Codecs = pts.map(Codec::of_payload_type).collect();
                sdp.media.push(Media {
                    kind,
                    port,
                    proto,
                    codecs,
                    conn: None,
                    ptime: None,
                    direction: None,
                });
            }
            (b'c', None) => sdp.conn = parse_addr(value),
            (b'c', Some(m)) => m.conn = parse_addr(value),
            (_, media) => {
                let (name, arg) = split_once(value, b':').unwrap_or((value, b""));
                if name == b"candidate" || name == b"ice-ufrag" {
                    sdp.ice = true;
                    continue;
                }
                if let Some(d) = Direction::of(name) {
                    match media {
                        Some(m) => m.direction = Some(d),
                        None => sdp.direction = Some(d),
                    }
                    continue;
                }
                let Some(m) = media else { continue };
                match name {
                    b"rtpmap" => {
                        // a=rtpmap:96 opus/48000/2
                        let Some((pt, enc)) = split_once(arg, b' ') else {
                            continue;
                        };
                        let Some(pt) = number::<u8>(trim_text(pt)) else {
                            continue;
                        };
                        let mut e = trim_text(enc).split(|&b| b == b'/');
                        let name = e.next().unwrap_or_default();
                        let clock = e.next().and_then(number).unwrap_or(0);
                        if let Some(c) = m.codecs.iter_mut().find(|c| c.pt == pt) {
                            if c.name.as_bytes() != name {
                                c.name = text(name);
                            }
                            c.clock = clock;
                        }
                    }
                    b"fmtp" => {
                        let Some((pt, params)) = split_once(arg, b' ') else {
                            continue;
                        };
                        let Some(pt) = number::<u8>(trim_text(pt)) else {
                            continue;
                        };
                        if let Some(c) = m.codecs.iter_mut().find(|c| c.pt == pt) {
                            c.fmtp = Some(text(trim_text(params)));
                        }
                    }
                    b"ptime" => m.ptime = number(trim_text(arg)),
                    _ => {}
                }
            }
        }
    }
    Ok(sdp)
}

impl Sdp {
    /// The address media of line `m` is to be sent to: its own c=, else the session's.
    pub fn address(&self, m: &Media) -> Option<IpAddr> {
        m.conn.or(self.conn)
    }
    /// The direction of line `m`: its own attribute, else the session's, else sendrecv.
    pub fn direction(&self, m: &Media) -> Direction {
        m.direction
            .or(self.direction)
            .unwrap_or(Direction::SendRecv)
    }
    /// The first audio line, which is what a voice call's verdict is about.
    pub fn audio(&self) -> Option<&Media> {
        self.media
            .iter()
            .find(|m| m.kind.eq_ignore_ascii_case("audio"))
    }
    /// On hold: the audio line is sendonly or inactive, or its address is 0.0.0.0 (RFC 2543 style hold).
    pub fn on_hold(&self) -> bool {
        self.audio().is_some_and(|m| {
            matches!(self.direction(m), Direction::SendOnly | Direction::Inactive)
                || self.address(m).is_some_and(|a| a.is_unspecified())
        })
    }
}

/// Addresses that cannot be reached from the public Internet: RFC 1918, RFC 6598
/// shared (carrier-grade NAT), link-local, IPv6 unique-local and link-local.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private() || v4.is_link_local() || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments()[0];
            (s & 0xfe00) == 0xfc00 || (s & 0xffc0) == 0xfe80
        }
    }
}

/// A NAT sign (as sngrep/VoIPmonitor flag it): a private c= address in an SDP
/// that came from a public address. Loopback and private signalling sources say nothing.
pub fn nat_suspected(sdp: &Sdp, signalling_src: IpAddr) -> bool {
    if is_private(signalling_src) || signalling_src.is_loopback() {
        return false;
    }
    sdp.media
        .iter()
        .filter(|m| m.port != 0)
        .filter_map(|m| sdp.address(m))
        .any(is_private)
}

/// What comparing one offer with its answer shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Negotiation {
    /// The answer's audio line keeps no voice codec of the offer (or refuses audio while offering none in common).
    pub no_common_codec: bool,
    /// The answer refuses the audio stream (port 0).
    pub audio_refused: bool,
    /// Either side puts the call on hold.
    pub hold: bool,
}

/// Voice codecs are the same when their names (any case) and clock rates are: payload type numbers may differ.
fn same_codec(a: &Codec, b: &Codec) -> bool {
    !a.name.is_empty() && a.name.eq_ignore_ascii_case(&b.name) && a.clock == b.clock
}

pub fn negotiate(offer: &Sdp, answer: &Sdp) -> Negotiation {
    let (o, a) = (offer.audio(), answer.audio());
    let audio_refused = a.is_some_and(|a| a.port == 0);
    let no_common_codec = match (o, a) {
        (Some(o), Some(a)) => {
            let common = a.codecs.iter().filter(|c| c.is_voice()).any(|c| {
                o.codecs
                    .iter()
                    .any(|oc| same_codec(oc, c) || oc.pt == c.pt && c.pt < 96)
            });
            // A refusal with nothing in common is the RFC 3264 §6 way of saying "no common codec".
            !common
        }
        _ => false,
    };
    Negotiation {
        no_common_codec,
        audio_refused,
        hold: offer.on_hold() || answer.on_hold(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(s: &str) -> Text {
        match COMMON.iter().find(|c| **c == s) {
            Some(c) => Text::Borrowed(c),
            None => Text::Owned(s.to_string()),
        }
    }

    fn addr_of(c: &str) -> Option<IpAddr> {
        let mut f = c.split_ascii_whitespace();
        let (_net, _family, addr) = (f.next()?, f.next()?, f.next()?);
        addr.split('/').next()?.parse().ok()
    }

    fn direction_of(attr: &str) -> Option<Direction> {
        Direction::of(attr.as_bytes())
    }

    /// The text parser [`parse`] replaced, kept as its reference: [`parse`] must
    /// give the same description for any bytes (the randomized test below).
    fn parse_textwise(body: &[u8]) -> Result<Sdp, SdpError> {
        let mut lines = lines_of(body)
            .map(|l| l.trim_ascii())
            .filter(|l| !l.is_empty());
        if lines.next() != Some(b"v=0".as_slice()) {
            return Err(SdpError::NotSdp);
        }
        let mut sdp = Sdp {
            conn: None,
            direction: None,
            media: Lines::new(),
            ice: false,
        };
        for raw in lines {
            // Only m=, c= and a= matter here; the rest is not even read as text.
            let key = match raw {
                [k @ (b'm' | b'c' | b'a'), b'=', ..] => *k,
                _ => continue,
            };
            let rest = raw.get(2..).unwrap_or_default();
            // Text as is when it is UTF-8 (nearly always: SDP is ASCII), else with replacements.
            let value = match std::str::from_utf8(rest) {
                Ok(v) => std::borrow::Cow::Borrowed(v),
                Err(_) => String::from_utf8_lossy(rest),
            };
            let value = value.trim();
            match (key, sdp.media.last_mut()) {
                (b'm', _) => {
                    let mut f = value.split_ascii_whitespace();
                    let kind = text_of(f.next().unwrap_or_default());
                    // m=audio 49170/2 RTP/AVP 0: the count of ports does not matter here.
                    let port = f
                        .next()
                        .and_then(|p| p.split('/').next())
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(0);
                    let proto = text_of(f.next().unwrap_or_default());
                    let pts = f
                        .filter_map(|p| p.parse::<u8>().ok())
                        .filter(|&pt| pt < 128);
                    let codecs: Codecs = pts.map(Codec::of_payload_type).collect();
                    sdp.media.push(Media {
                        kind,
                        port,
                        proto,
                        codecs,
                        conn: None,
                        ptime: None,
                        direction: None,
                    });
                }
                (b'c', None) => sdp.conn = addr_of(value),
                (b'c', Some(m)) => m.conn = addr_of(value),
                (_, media) => {
                    let (name, arg) = value.split_once(':').unwrap_or((value, ""));
                    if name == "candidate" || name == "ice-ufrag" {
                        sdp.ice = true;
                        continue;
                    }
                    if let Some(d) = direction_of(name) {
                        match media {
                            Some(m) => m.direction = Some(d),
                            None => sdp.direction = Some(d),
                        }
                        continue;
                    }
                    let Some(m) = media else { continue };
                    match name {
                        "rtpmap" => {
                            // a=rtpmap:96 opus/48000/2
                            let Some((pt, enc)) = arg.split_once(' ') else {
                                continue;
                            };
                            let Ok(pt) = pt.trim().parse::<u8>() else {
                                continue;
                            };
                            let mut e = enc.trim().split('/');
                            let name = e.next().unwrap_or_default();
                            let clock = e.next().and_then(|c| c.parse().ok()).unwrap_or(0);
                            if let Some(c) = m.codecs.iter_mut().find(|c| c.pt == pt) {
                                if c.name != name {
                                    c.name = text_of(name);
                                }
                                c.clock = clock;
                            }
                        }
                        "fmtp" => {
                            let Some((pt, params)) = arg.split_once(' ') else {
                                continue;
                            };
                            let Ok(pt) = pt.trim().parse::<u8>() else {
                                continue;
                            };
                            if let Some(c) = m.codecs.iter_mut().find(|c| c.pt == pt) {
                                c.fmtp = Some(text_of(params.trim()));
                            }
                        }
                        "ptime" => m.ptime = arg.trim().parse().ok(),
                        _ => {}
                    }
                }
            }
        }
        Ok(sdp)
    }

    /// The byte parser reads every SDP as the text parser did: random bodies made
    /// of SDP's lines and of what breaks them (odd spaces, Unicode and vertical-tab
    /// whitespace, bytes that are not UTF-8, signs, overflows, leading zeros, IPv6).
    #[test]
    fn the_byte_parser_reads_what_the_text_parser_read() {
        let pieces: &[&[u8]] = &[
            b"v=0",
            b"m=",
            b"c=",
            b"a=",
            b"o=",
            b"audio",
            b"video",
            b"RTP/AVP",
            b" ",
            b"  ",
            b"\t",
            b"\x0b",
            b"\xc2\xa0",
            b"\xe3\x80\x80",
            b"\xff",
            b"\xc3",
            b"0",
            b"8",
            b"101",
            b"+5",
            b"300",
            b"65536",
            b"49170/2",
            b"IN IP4 ",
            b"IN IP6 ",
            b"192.0.2.1",
            b"010.0.0.1",
            b"1.2.3",
            b"1.2.3.4.5",
            b"256.1.1.1",
            b"0.0.0.0",
            b"::1",
            b"fe80::1",
            b"/127",
            b"/",
            b":",
            b"rtpmap:",
            b"fmtp:",
            b"ptime:",
            b"20",
            b"sendonly",
            b"inactive",
            b"sendrecv",
            b"candidate:1",
            b"ice-ufrag:x",
            b"PCMU/8000",
            b"telephone-event/8000",
            b"opus/48000/2",
            b"0-16",
            b"\r\n",
            b"\n",
            b"\n",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200_000 {
            let mut body = b"v=0\r\n".to_vec();
            for _ in 0..next() % 40 {
                body.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
            }
            assert_eq!(
                parse(&body),
                parse_textwise(&body),
                "{:?}",
                String::from_utf8_lossy(&body)
            );
        }
        for body in [OFFER, b"v=0\nc=IN IP4 203.0.113.1\nm=audio 7078 RTP/AVP 0\na=candidate:1 1 UDP 2130706431 10.0.0.5 7078 typ host\n"] {
            assert_eq!(parse(body), parse_textwise(body));
        }
        // m= lines of 0 to 40 payload types (past the 16 read into an array first),
        // some of them not payload types at all.
        for n in 0..40u8 {
            let mut body = b"v=0\r\nm=audio 4000 RTP/AVP".to_vec();
            for pt in 0..n {
                let pt = if pt % 7 == 6 { 200 } else { pt * 3 };
                body.extend_from_slice(format!(" {pt}").as_bytes());
            }
            body.extend_from_slice(b" x\r\n");
            let sdp = parse(&body).unwrap();
            assert_eq!(Ok(sdp.clone()), parse_textwise(&body), "{n}");
            assert_eq!(sdp.media[0].codecs.len(), usize::from(n - n / 7), "{n}");
        }
    }

    const OFFER: &[u8] = b"v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\n\
c=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 9 101\r\na=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\nm=video 0 RTP/AVP 31\r\n";

    #[test]
    fn offer_lines_addresses_codecs_and_attributes() {
        let s = parse(OFFER).unwrap();
        assert_eq!(s.conn, Some("192.0.2.10".parse().unwrap()));
        assert_eq!(s.media.len(), 2);
        let a = &s.media[0];
        assert_eq!((&*a.kind, a.port, &*a.proto), ("audio", 49170, "RTP/AVP"));
        let names: Vec<_> = a.codecs.iter().map(|c| (c.pt, &*c.name, c.clock)).collect();
        assert_eq!(
            names,
            [
                (0, "PCMU", 8000),
                (8, "PCMA", 8000),
                (9, "G722", 8000),
                (101, "telephone-event", 8000)
            ]
        );
        assert_eq!(a.codecs[3].fmtp.as_deref(), Some("0-16"));
        assert!(a.codecs[3].is_telephone_event());
        assert_eq!(a.ptime, Some(20));
        assert_eq!(s.direction(a), Direction::SendRecv);
        assert_eq!(s.address(a), s.conn);
        assert_eq!(s.media[1].port, 0);
        assert!(!s.on_hold());
        assert!(!s.ice);
        let ice = parse(b"v=0\nc=IN IP4 203.0.113.1\nm=audio 7078 RTP/AVP 0\na=candidate:1 1 UDP 2130706431 10.0.0.5 7078 typ host\n").unwrap();
        assert!(ice.ice);
    }

    /// The usual SDP — one m= line, up to four codecs — is the description alone,
    /// no heap of its own (issue #16: [`Lines`]); more lines or codecs go to the heap.
    #[test]
    fn the_usual_sdp_is_held_in_one_piece() {
        let one =
            parse(b"v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 6000 RTP/AVP 0 8 18 101\r\n").unwrap();
        assert_eq!(one.media.len(), 1);
        assert!(!one.media.spilled());
        assert_eq!(one.media[0].codecs.len(), 4);
        assert!(!one.media[0].codecs.spilled());
        let two = parse(OFFER).unwrap();
        assert_eq!(two.media.len(), 2);
        assert!(two.media.spilled());
        let many = parse(b"v=0\nm=audio 6000 RTP/AVP 0 8 9 18 101\n").unwrap();
        assert_eq!(many.media[0].codecs.len(), 5);
        assert!(many.media[0].codecs.spilled());
        // Not a payload type: not counted.
        let odd = parse(b"v=0\nm=audio 6000 RTP/AVP 0 x 200\n").unwrap();
        assert_eq!(odd.media[0].codecs.len(), 1);
    }

    /// Every usual value is borrowed, in its own spelling only; anything else is a copy.
    #[test]
    fn the_usual_values_are_borrowed_and_only_they() {
        for c in COMMON {
            assert!(
                matches!(text(c.as_bytes()), Text::Borrowed(b) if b == *c),
                "{c}"
            );
            let mut other = c.as_bytes().to_vec();
            other[0] ^= 0x20;
            assert!(
                !COMMON.contains(&std::str::from_utf8(&other).unwrap())
                    == matches!(text(&other), Text::Owned(_)),
                "{c}"
            );
            other.push(b'x');
            assert!(
                matches!(text(&other), Text::Owned(o) if o.as_bytes() == other),
                "{c}"
            );
        }
        assert!(matches!(text(b""), Text::Owned(o) if o.is_empty()));
    }

    #[test]
    fn not_sdp_is_an_error_not_a_panic() {
        assert_eq!(parse(b"hello"), Err(SdpError::NotSdp));
        assert_eq!(parse(b""), Err(SdpError::NotSdp));
        // Garbage after v=0 gives an empty description.
        let s = parse(b"v=0\nm=\nc=IN\na=rtpmap:x\nm=audio x RTP/AVP 300 8\n").unwrap();
        assert_eq!(s.media[1].port, 0);
        assert_eq!(s.media[1].codecs.len(), 1);
    }

    #[test]
    fn media_level_direction_and_address_override_the_session() {
        let s = parse(
            b"v=0\nc=IN IP4 203.0.113.5\na=sendonly\nt=0 0\nm=audio 4000 RTP/AVP 0\nc=IN IP4 10.1.2.3\na=recvonly\n",
        )
        .unwrap();
        let m = &s.media[0];
        assert_eq!(s.direction(m), Direction::RecvOnly);
        assert_eq!(s.address(m), Some("10.1.2.3".parse().unwrap()));
        assert!(nat_suspected(&s, "198.51.100.7".parse().unwrap()));
        assert!(!nat_suspected(&s, "192.168.1.7".parse().unwrap()));
        assert!(!nat_suspected(&s, "127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn hold_by_direction_or_by_null_address() {
        let sendonly =
            parse(b"v=0\nc=IN IP4 192.0.2.1\nm=audio 4000 RTP/AVP 0\na=sendonly\n").unwrap();
        let inactive =
            parse(b"v=0\nc=IN IP4 192.0.2.1\na=inactive\nm=audio 4000 RTP/AVP 0\n").unwrap();
        let null = parse(b"v=0\nc=IN IP4 0.0.0.0\nm=audio 4000 RTP/AVP 0\n").unwrap();
        assert!(sendonly.on_hold() && inactive.on_hold() && null.on_hold());
    }

    #[test]
    fn no_common_codec_and_refused_audio() {
        let offer = parse(b"v=0\nc=IN IP4 192.0.2.1\nm=audio 4000 RTP/AVP 0 101\na=rtpmap:101 telephone-event/8000\n").unwrap();
        let g729 = parse(b"v=0\nc=IN IP4 192.0.2.2\nm=audio 5000 RTP/AVP 18 101\na=rtpmap:101 telephone-event/8000\n").unwrap();
        let pcmu = parse(b"v=0\nc=IN IP4 192.0.2.2\nm=audio 5000 RTP/AVP 0\n").unwrap();
        let refused = parse(b"v=0\nc=IN IP4 192.0.2.2\nm=audio 0 RTP/AVP 0\n").unwrap();
        // telephone-event alone in common is not a voice codec in common.
        assert!(negotiate(&offer, &g729).no_common_codec);
        assert_eq!(negotiate(&offer, &pcmu), Negotiation::default());
        assert!(negotiate(&offer, &refused).audio_refused);
        // Dynamic payload types match by name and clock, not by number.
        let opus_o = parse(
            b"v=0\nc=IN IP4 192.0.2.1\nm=audio 4000 RTP/AVP 111\na=rtpmap:111 opus/48000/2\n",
        )
        .unwrap();
        let opus_a =
            parse(b"v=0\nc=IN IP4 192.0.2.2\nm=audio 4000 RTP/AVP 96\na=rtpmap:96 OPUS/48000/2\n")
                .unwrap();
        assert!(!negotiate(&opus_o, &opus_a).no_common_codec);
    }

    /// The one-pass reader takes exactly what the standard parser takes, and reads it the same.
    #[test]
    fn dotted_quad_is_the_standard_parser_on_its_form() {
        let mut cases: Vec<String> = [
            "10.1.8.82",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.4 ",
            "1234.1.1.1",
            "",
            "1.2.3.04",
            "a.b.c.d",
            "192.168.0.1",
            "1.2.3.999",
            "0.0.0.00",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let alphabet = b"0123456789..9x";
            let len = (x % 17) as usize;
            cases.push(
                (0..len)
                    .map(|i| char::from(alphabet[((x >> (i * 3)) % 14) as usize]))
                    .collect(),
            );
        }
        for c in cases {
            let std = c.parse::<std::net::Ipv4Addr>().ok();
            assert_eq!(dotted_quad(c.as_bytes()), std, "{c:?}");
        }
    }

    #[test]
    fn private_ranges() {
        for p in [
            "10.0.0.1",
            "172.16.5.5",
            "192.168.0.1",
            "100.64.0.1",
            "169.254.1.1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(is_private(p.parse().unwrap()), "{p}");
        }
        for p in ["192.0.2.1", "8.8.8.8", "100.128.0.1", "2001:db8::1"] {
            assert!(!is_private(p.parse().unwrap()), "{p}");
        }
    }
}
