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
    pub fn name(self) -> &'static str {
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
    #[inline]
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
        // Dispatch on length and first letter so that most names cost one comparison.
        let first = name.first()?.to_ascii_lowercase();
        let candidates: &[Hdr] = match (name.len(), first) {
            (7, b'c') => &[Hdr::CallId, Hdr::Contact],
            (4, b'c') => &[Hdr::CSeq],
            (3, b'v') => &[Hdr::Via],
            (4, b'f') => &[Hdr::From],
            (2, b't') => &[Hdr::To],
            (14, b'c') => &[Hdr::ContentLength],
            (12, b'c') => &[Hdr::ContentType, Hdr::RecordRoute],
            (12, b'r') => &[Hdr::RecordRoute],
            (7, b'e') => &[Hdr::Expires],
            (11, b'm') => &[Hdr::MinExpires],
            (11, b'r') => &[Hdr::RetryAfter],
            (10, b'u') => &[Hdr::UserAgent],
            (6, b's') => &[Hdr::Server],
            (16, b'w') => &[Hdr::WwwAuthenticate],
            (18, b'p') => &[Hdr::ProxyAuthenticate],
            (13, b'a') => &[Hdr::Authorization],
            (19, b'p') => &[Hdr::ProxyAuthorization, Hdr::PAssertedIdentity],
            (12, b'm') => &[Hdr::MaxForwards],
            (6, b'r') => &[Hdr::Reason],
            (5, b'e') => &[Hdr::Event],
            (8, b'r') => &[Hdr::ReferTo],
            (9, b's') => &[Hdr::Supported],
            (7, b'r') => &[Hdr::Require],
            (5, b'r') => &[Hdr::Route],
            (5, b'a') => &[Hdr::Allow],
            (16, b'c') => &[Hdr::ContentEncoding],
            (7, b's') => &[Hdr::Subject],
            (7, b'w') => &[Hdr::Warning],
            (15, b's') => &[Hdr::SessionExpires],
            (4, b'r') => &[Hdr::RSeq],
            _ => return None,
        };
        candidates.iter().copied().find(|h| {
            let canon = h.name().as_bytes();
            // The usual spelling first: one word-wise comparison, not a byte loop folding case.
            crate::bytes::same(canon, name) || canon.eq_ignore_ascii_case(name)
        })
    }

    /// True if `name` (any case, long or compact) names this header.
    pub fn matches(self, name: &[u8]) -> bool {
        Hdr::lookup(name) == Some(self)
    }
}

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

    #[test]
    fn unknown_names_are_none() {
        for n in [&b"X-Foo"[..], b"", b"q", b"Call-IDs", b"Via:"] {
            assert_eq!(Hdr::lookup(n), None);
        }
    }
}
