//! SIP header names: the headers the pipeline reads, their compact forms
//! (RFC 3261 §7.3.3 and later RFCs), and case-insensitive lookup.

/// The headers whose first occurrence the scanner records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Hdr {
    CallId,
    CSeq,
    Via,
    From,
    To,
    ContentLength,
    ContentType,
    Contact,
    Expires,
    MinExpires,
    RetryAfter,
    UserAgent,
    Server,
    WwwAuthenticate,
    ProxyAuthenticate,
    Authorization,
    ProxyAuthorization,
    MaxForwards,
    Reason,
    Event,
    ReferTo,
    Supported,
    Require,
    RecordRoute,
    Route,
    Allow,
    ContentEncoding,
    Subject,
    PAssertedIdentity,
    Warning,
    SessionExpires,
    RSeq,
}

pub const KNOWN_HEADERS: usize = Hdr::RSeq as usize + 1;

impl Hdr {
    pub const ALL: [Hdr; KNOWN_HEADERS] = [
        Hdr::CallId,
        Hdr::CSeq,
        Hdr::Via,
        Hdr::From,
        Hdr::To,
        Hdr::ContentLength,
        Hdr::ContentType,
        Hdr::Contact,
        Hdr::Expires,
        Hdr::MinExpires,
        Hdr::RetryAfter,
        Hdr::UserAgent,
        Hdr::Server,
        Hdr::WwwAuthenticate,
        Hdr::ProxyAuthenticate,
        Hdr::Authorization,
        Hdr::ProxyAuthorization,
        Hdr::MaxForwards,
        Hdr::Reason,
        Hdr::Event,
        Hdr::ReferTo,
        Hdr::Supported,
        Hdr::Require,
        Hdr::RecordRoute,
        Hdr::Route,
        Hdr::Allow,
        Hdr::ContentEncoding,
        Hdr::Subject,
        Hdr::PAssertedIdentity,
        Hdr::Warning,
        Hdr::SessionExpires,
        Hdr::RSeq,
    ];

    /// The canonical (long) name.
    pub const fn name(self) -> &'static str {
        match self {
            Hdr::CallId => "Call-ID",
            Hdr::CSeq => "CSeq",
            Hdr::Via => "Via",
            Hdr::From => "From",
            Hdr::To => "To",
            Hdr::ContentLength => "Content-Length",
            Hdr::ContentType => "Content-Type",
            Hdr::Contact => "Contact",
            Hdr::Expires => "Expires",
            Hdr::MinExpires => "Min-Expires",
            Hdr::RetryAfter => "Retry-After",
            Hdr::UserAgent => "User-Agent",
            Hdr::Server => "Server",
            Hdr::WwwAuthenticate => "WWW-Authenticate",
            Hdr::ProxyAuthenticate => "Proxy-Authenticate",
            Hdr::Authorization => "Authorization",
            Hdr::ProxyAuthorization => "Proxy-Authorization",
            Hdr::MaxForwards => "Max-Forwards",
            Hdr::Reason => "Reason",
            Hdr::Event => "Event",
            Hdr::ReferTo => "Refer-To",
            Hdr::Supported => "Supported",
            Hdr::Require => "Require",
            Hdr::RecordRoute => "Record-Route",
            Hdr::Route => "Route",
            Hdr::Allow => "Allow",
            Hdr::ContentEncoding => "Content-Encoding",
            Hdr::Subject => "Subject",
            Hdr::PAssertedIdentity => "P-Asserted-Identity",
            Hdr::Warning => "Warning",
            Hdr::SessionExpires => "Session-Expires",
            Hdr::RSeq => "RSeq",
        }
    }

    /// The one-letter compact form, where the header has one.
    pub fn compact(self) -> Option<u8> {
        Some(match self {
            Hdr::CallId => b'i',
            Hdr::Via => b'v',
            Hdr::From => b'f',
            Hdr::To => b't',
            Hdr::ContentLength => b'l',
            Hdr::ContentType => b'c',
            Hdr::Contact => b'm',
            Hdr::Event => b'o',
            Hdr::ReferTo => b'r',
            Hdr::Supported => b'k',
            Hdr::ContentEncoding => b'e',
            Hdr::Subject => b's',
            Hdr::SessionExpires => b'x',
            _ => return None,
        })
    }

    /// Looks a header name up, case-insensitively, long or compact form.
    #[inline(always)]
    pub fn lookup(name: &[u8]) -> Option<Hdr> {
        if let [c] = name {
            return match c.to_ascii_lowercase() {
                b'i' => Some(Hdr::CallId),
                b'v' => Some(Hdr::Via),
                b'f' => Some(Hdr::From),
                b't' => Some(Hdr::To),
                b'l' => Some(Hdr::ContentLength),
                b'c' => Some(Hdr::ContentType),
                b'm' => Some(Hdr::Contact),
                b'o' => Some(Hdr::Event),
                b'r' => Some(Hdr::ReferTo),
                b'k' => Some(Hdr::Supported),
                b'e' => Some(Hdr::ContentEncoding),
                b's' => Some(Hdr::Subject),
                b'x' => Some(Hdr::SessionExpires),
                _ => None,
            };
        }
        let (Some(&first), Some(&last)) = (name.first(), name.last()) else {
            return None;
        };
        // One slot per long name, found by its length and its first and last letters;
        // then one comparison. (Dispatching on length and first letter took ~80
        // instructions a header line, ten lines a message: issue #16.)
        let &(canon, h) = BY_SHAPE.get(shape(name.len(), first, last))?;
        // The usual spelling first: one word-wise comparison, not a byte loop folding case.
        (crate::bytes::same(canon, name) || canon.eq_ignore_ascii_case(name)).then_some(h)
    }

    /// True if `name` (any case, long or compact) names this header.
    pub fn matches(self, name: &[u8]) -> bool {
        Hdr::lookup(name) == Some(self)
    }
}

/// The slot of a long header name in [`BY_SHAPE`]: its length and its first and
/// last bytes, case folded (`| 0x20` lower-cases a letter; what it does to other
/// bytes does not matter, the name is compared after). The multipliers were
/// searched for: no two of [`Hdr::ALL`]'s names share a slot (the build checks).
const fn shape(len: usize, first: u8, last: u8) -> usize {
    len.wrapping_add((first | 0x20) as usize * 13)
        .wrapping_add((last | 0x20) as usize * 21)
        & 63
}

/// Long name slot → the name and its header; an empty name where no name has
/// that shape (no name read from a message is empty). The name is in the table,
/// not looked up by the header: `Hdr::name`'s jump table was an indirect branch
/// mispredicted on most header lines (a build that went through it read 5 %
/// slower on sip-heavy-500m than the dispatch this replaced, with fewer instructions).
// Built by the compiler: an index out of range here fails the build, not a run.
#[allow(clippy::indexing_slicing)]
static BY_SHAPE: [(&[u8], Hdr); 64] = {
    let mut t: [(&[u8], Hdr); 64] = [(b"", Hdr::CallId); 64];
    let mut i = 0;
    while i < KNOWN_HEADERS {
        let h = Hdr::ALL[i];
        let n = h.name().as_bytes();
        let slot = shape(n.len(), n[0], n[n.len() - 1]);
        // Two names of one shape would fail to build.
        assert!(t[slot].0.is_empty(), "two header names share a slot");
        t[slot] = (n, h);
        i += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_long_and_compact_name_round_trips() {
        for h in Hdr::ALL {
            assert_eq!(Hdr::lookup(h.name().as_bytes()), Some(h), "{}", h.name());
            assert_eq!(
                Hdr::lookup(h.name().to_ascii_uppercase().as_bytes()),
                Some(h)
            );
            assert_eq!(
                Hdr::lookup(h.name().to_ascii_lowercase().as_bytes()),
                Some(h)
            );
            if let Some(c) = h.compact() {
                assert_eq!(Hdr::lookup(&[c]), Some(h));
                assert_eq!(Hdr::lookup(&[c.to_ascii_uppercase()]), Some(h));
            }
        }
    }

    /// The table against a comparison with every name, on every name with a byte
    /// changed, cut or added, in both cases.
    #[test]
    fn lookup_finds_what_comparing_every_name_finds() {
        let by_comparing = |n: &[u8]| {
            Hdr::ALL.iter().copied().find(|h| {
                h.name().as_bytes().eq_ignore_ascii_case(n)
                    || h.compact().is_some_and(|c| [c].eq_ignore_ascii_case(n))
            })
        };
        for h in Hdr::ALL {
            for spelled in [h.name().to_ascii_uppercase(), h.name().to_ascii_lowercase()] {
                let n = spelled.as_bytes();
                let mut tried = vec![n.to_vec(), n[1..].to_vec(), n[..n.len() - 1].to_vec()];
                for at in 0..n.len() {
                    for b in [b'-', b'x', b'A', 0xff, b' ', n[at] ^ 0x20, n[at] ^ 1] {
                        let mut m = n.to_vec();
                        m[at] = b;
                        tried.push(m.clone());
                        m.insert(at, b);
                        tried.push(m);
                    }
                }
                for m in tried {
                    assert_eq!(
                        Hdr::lookup(&m),
                        by_comparing(&m),
                        "{:?}",
                        String::from_utf8_lossy(&m)
                    );
                }
            }
        }
    }

    #[test]
    fn unknown_names_are_none() {
        for n in [&b"X-Foo"[..], b"", b"q", b"Call-IDs", b"Via:"] {
            assert_eq!(Hdr::lookup(n), None);
        }
    }
}
