//! The boxes that hold message records, handed back by the model thread once it
//! is done with a message and filled again by the decoding threads.
//!
//! Why: every SIP message is boxed on a decoding thread (so that items stay small
//! when most of them are RTP) and dropped on the model thread. Allocated afresh,
//! a box came from pages the allocator had just given back to the system, which
//! the kernel zeroed again on first touch (issue #16). Given back here instead, the
//! same boxes go round. A box is emptied of what it owns (bytes, frames, SDP)
//! before it waits, so that a waiting box holds no chunk of message bytes
//! (`sip::chunks`) and no SDP.
//!
//! What it leaves to others: who gives boxes back. Only the model thread of
//! `analyze` does; a box not given back is freed as usual.

// The boxes are what is recycled: vectors of boxes are the point here.
#![allow(clippy::vec_box)]

use super::message::SipMessage;
use super::scan::SipHead;
use super::{Carriage, Origin, Transport};
use bytes::Bytes;
use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::Mutex;

/// Boxes moved between threads at once: one lock per this many messages.
const BUNDLE: usize = 1024;

/// Bundles waiting at most (about 19 MB of boxes): more than the messages in
/// flight between the decoding threads and the model (`pipeline::batch`).
const MAX_BUNDLES: usize = 32;

static SPARE: Mutex<Vec<Vec<Box<SipMessage>>>> = Mutex::new(Vec::new());

thread_local! {
    /// The bundle this decoding thread takes its boxes from.
    static STASH: RefCell<Vec<Box<SipMessage>>> = const { RefCell::new(Vec::new()) };
}

/// A box given back, if this thread has one or can take a bundle.
fn spare() -> Option<Box<SipMessage>> {
    STASH
        .try_with(|s| {
            let mut s = s.borrow_mut();
            if s.is_empty() {
                if let Some(bundle) = SPARE.lock().ok().and_then(|mut g| g.pop()) {
                    *s = bundle;
                }
            }
            s.pop()
        })
        .ok()
        .flatten()
}

/// `m` in a box given back, or a new one.
pub fn boxed(m: SipMessage) -> Box<SipMessage> {
    match spare() {
        Some(mut b) => {
            *b = m;
            b
        }
        None => Box::new(m),
    }
}

/// [`SipMessage::new`] in a box given back (written in place, not moved into
/// it: [`SipMessage::refill`]), or in a new one.
pub fn boxed_new(
    meta: (i64, SocketAddr, SocketAddr, Transport, Origin, Carriage),
    raw: Bytes,
    head: SipHead,
) -> Box<SipMessage> {
    match spare() {
        Some(mut b) => {
            b.refill(meta, raw, head);
            b
        }
        None => Box::new(SipMessage::new(meta, raw, head)),
    }
}

/// Gathers the boxes of messages done with, and gives them back by bundles.
#[derive(Default)]
pub struct GiveBack {
    bundle: Vec<Box<SipMessage>>,
}

impl GiveBack {
    pub fn give(&mut self, mut m: Box<SipMessage>) {
        m.release();
        self.bundle.push(m);
        if self.bundle.len() >= BUNDLE {
            let full = std::mem::replace(&mut self.bundle, Vec::with_capacity(BUNDLE));
            if let Ok(mut spare) = SPARE.lock() {
                if spare.len() < MAX_BUNDLES {
                    spare.push(full);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::tests::msg;

    /// A record refilled in place is the record `SipMessage::new` builds, whatever
    /// the box held before (here a message with more of everything).
    #[test]
    fn a_refilled_record_is_a_new_one() {
        let before = b"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKold\r\nCall-ID: old\r\nCSeq: 9 INVITE\r\nFrom: <sip:a@h>;tag=oldf\r\nTo: <sip:b@h>;tag=oldt\r\nContent-Type: application/sdp\r\nContent-Length: 55\r\n\r\nv=0\r\nc=IN IP4 10.0.0.9\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n";
        let after = b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKnew\r\nCall-ID: new\r\nCSeq: 2 INVITE\r\nFrom: <sip:a@h>;tag=f2\r\nTo: <sip:b@h>\r\n\r\n";
        let meta = |ts: i64, frame: u64| {
            let a: std::net::SocketAddr = "10.0.0.2:5062".parse().unwrap();
            let b: std::net::SocketAddr = "[2001:db8::1]:5060".parse().unwrap();
            (
                ts,
                a,
                b,
                Transport::Tcp,
                Origin { file: 3, frame },
                Carriage {
                    hep: true,
                    ..Carriage::default()
                },
            )
        };
        let head = |b: &[u8]| crate::sip::scan(b, crate::sip::Mode::Datagram).unwrap();
        let mut m = msg(before);
        m.mark(crate::sip::Defects::SNAPLEN_CUT);
        m.release();
        m.refill(meta(7, 42), Bytes::from_static(after), head(after));
        let fresh = SipMessage::new(meta(7, 42), Bytes::from_static(after), head(after));
        assert_eq!(format!("{m:?}"), format!("{fresh:?}"));
        assert_eq!(m.to_tag(), None);
        assert!(m.sdp().is_none());
    }

    #[test]
    fn boxes_given_back_are_filled_again_and_hold_nothing_meanwhile() {
        let mut back = GiveBack::default();
        let mut ptrs = std::collections::HashSet::new();
        for _ in 0..BUNDLE {
            let b = boxed(msg(b"OPTIONS sip:b@h SIP/2.0\r\nCall-ID: c1\r\n\r\n"));
            ptrs.insert(&*b as *const SipMessage as usize);
            back.give(b);
        }
        // The bundle went to the spare list emptied of its bytes.
        let spare_holds_no_bytes = SPARE
            .lock()
            .unwrap()
            .iter()
            .flatten()
            .all(|b| b.raw().is_empty());
        assert!(spare_holds_no_bytes);
        // Another test may take the bundle first; if this thread gets it, its boxes are reused.
        let b = boxed(msg(b"OPTIONS sip:b@h SIP/2.0\r\nCall-ID: c2\r\n\r\n"));
        assert_eq!(b.call_id(), Some(&b"c2"[..]));
        if STASH.with(|s| s.borrow().len()) == BUNDLE - 1 {
            assert!(ptrs.contains(&(&*b as *const SipMessage as usize)));
        }
    }
}
