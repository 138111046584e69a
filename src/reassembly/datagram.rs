//! One message-delimited payload (a UDP datagram, a HEP packet, a datagram put
//! back together from IP fragments, an SCTP user message) → its frame's bucket
//! and the record it yields: SIP, malformed SIP, a keep-alive or not SIP.

use super::Item;
use crate::accounting::Bucket;
use crate::sip::scan::{scan, Mode, ScanError};
use crate::sip::{Carriage, Defects, MalformedSip, Origin, Transport};
use std::net::SocketAddr;

/// Classifies `payload`; `cut` marks a message the snaplen shortened.
pub(crate) fn classify(
    payload: &[u8],
    meta: (i64, SocketAddr, SocketAddr, Transport, Origin),
    carriage: Carriage,
    cut: bool,
) -> (Bucket, Option<Item>) {
    if !payload.is_empty() && payload.iter().all(|b| matches!(b, b'\r' | b'\n')) {
        return (Bucket::SipKeepalive, None);
    }
    match scan(payload, Mode::Datagram) {
        Ok(head) => {
            let (ts, src, dst, transport, origin) = meta;
            let mut m = crate::sip::recycle::boxed_new(
                (ts, src, dst, transport, origin, carriage),
                crate::sip::chunks::copy(payload),
                head,
            );
            if cut {
                m.mark(Defects::SNAPLEN_CUT);
            }
            (Bucket::Sip, Some(Item::Sip(m)))
        }
        Err(ScanError::Malformed(reason)) => (
            Bucket::SipMalformed,
            Some(Item::Malformed(Box::new(MalformedSip::new(
                meta, reason, payload,
            )))),
        ),
        Err(_) => (Bucket::NotSip, None),
    }
}
