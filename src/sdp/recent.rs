//! The SDP bodies parsed last on this thread, kept so that the same bytes
//! seen again get the same parse without parsing it again.
//!
//! Why: a capture taken at a proxy (or at a B2BUA that leaves media alone)
//! holds each offer and answer twice, once per leg and a few frames apart, and
//! a retransmitted INVITE or 200 carries its SDP again. On the SIP-heavy load
//! test of issue #16 (proxied, authenticated calls) 44 % of the SDP bodies were
//! among the eight parsed before them; a parse costs ~5 000 instructions, a
//! body found here ~200. [`super::parse`] is a function of the bytes alone, so
//! handing out the same `Arc` changes no result.
//!
//! What it leaves to others: parsing ([`super::parse`]). A body that is not
//! SDP is not kept (its error is found again in a few instructions), nor one
//! longer than [`MAX_KEPT_LEN`] (a kept body is a copy).

use super::{parse, Sdp, SdpError};
use std::cell::RefCell;
use std::sync::Arc;

/// Bodies kept per thread: a proxied message's other leg comes a few frames later.
const KEPT: usize = 8;
/// Longer bodies are parsed each time (the usual SDP is 200 to 400 bytes).
const MAX_KEPT_LEN: usize = 1024;

#[derive(Default)]
struct Recent {
    /// `key128` of each kept body (its low half), looked at before its bytes.
    hashes: [u64; KEPT],
    bodies: [Vec<u8>; KEPT],
    parsed: [Option<Arc<Sdp>>; KEPT],
    /// The entry the next body parsed replaces (the oldest).
    next: usize,
}

thread_local! {
    static RECENT: RefCell<Recent> = RefCell::new(Recent::default());
}

/// [`super::parse`], shared: the parse of the same bytes parsed recently on this thread, or a new one.
pub fn parse_shared(body: &[u8]) -> Result<Arc<Sdp>, SdpError> {
    if body.len() > MAX_KEPT_LEN {
        return parse(body).map(Arc::new);
    }
    RECENT
        .try_with(|r| r.borrow_mut().parse(body))
        // Only while this thread is being torn down.
        .unwrap_or_else(|_| parse(body).map(Arc::new))
}

impl Recent {
    fn parse(&mut self, body: &[u8]) -> Result<Arc<Sdp>, SdpError> {
        let hash = crate::sip::ids::key128(&[body]) as u64;
        for i in 0..KEPT {
            if self.hashes.get(i) == Some(&hash)
                && self.bodies.get(i).is_some_and(|b| b.as_slice() == body)
            {
                if let Some(Some(sdp)) = self.parsed.get(i) {
                    return Ok(Arc::clone(sdp));
                }
            }
        }
        let sdp = Arc::new(parse(body)?);
        let i = self.next;
        self.next = (i + 1) % KEPT;
        if let (Some(h), Some(b), Some(p)) = (
            self.hashes.get_mut(i),
            self.bodies.get_mut(i),
            self.parsed.get_mut(i),
        ) {
            *h = hash;
            b.clear();
            b.extend_from_slice(body);
            *p = Some(Arc::clone(&sdp));
        }
        Ok(sdp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(port: u16) -> Vec<u8> {
        format!("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio {port} RTP/AVP 0 8\r\na=sendrecv\r\n").into_bytes()
    }

    /// The same bytes get the same parse, shared while kept; other bytes their own;
    /// past eight other bodies the first is parsed again (and equal to its first parse).
    #[test]
    fn the_same_bytes_share_one_parse_and_others_do_not() {
        let a = parse_shared(&body(4000)).unwrap();
        let again = parse_shared(&body(4000)).unwrap();
        assert!(Arc::ptr_eq(&a, &again));
        let b = parse_shared(&body(4002)).unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
        assert_eq!(b.media[0].port, 4002);
        for p in 0..KEPT as u16 {
            parse_shared(&body(5000 + p)).unwrap();
        }
        let later = parse_shared(&body(4000)).unwrap();
        assert!(!Arc::ptr_eq(&a, &later), "forgotten after {KEPT} others");
        assert_eq!(*a, *later);
        assert_eq!(*a, parse(&body(4000)).unwrap());
    }

    #[test]
    fn not_sdp_and_long_bodies_are_parsed_each_time() {
        assert!(parse_shared(b"hello").is_err());
        assert!(parse_shared(b"hello").is_err());
        let mut long = body(4000);
        long.extend(std::iter::repeat_n(b"a=x-filler\r\n".as_slice(), 100).flatten());
        let x = parse_shared(&long).unwrap();
        let y = parse_shared(&long).unwrap();
        assert!(!Arc::ptr_eq(&x, &y));
        assert_eq!(x, y);
    }
}
