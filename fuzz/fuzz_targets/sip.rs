//! SIP parser: the scanner in datagram mode over the whole input and in stream
//! mode message after message (as a TCP stream is framed), every accessor of
//! each message found, and the SIP model (transactions, calls, registrations)
//! over the messages of the stream, so that header values reach the code that
//! interprets them (CSeq, Via, tags, Digest parameters, Expires…).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sipsleuth::model::Model;
use sipsleuth::sip::message::{trim_bytes, unfold};
use sipsleuth::sip::scan::{find_start_line, may_start_sip};
use sipsleuth::sip::{
    scan, Carriage, Hdr, MalformedSip, Mode, Origin, ScanError, SipMessage, Transport,
};
use std::net::SocketAddr;

fn message(raw: &[u8], head: sipsleuth::sip::SipHead, n: u64) -> SipMessage {
    let src: SocketAddr = ([10, 0, 0, 1], 5060).into();
    let dst: SocketAddr = ([10, 0, 0, 2], 5060).into();
    let ts = 1_000_000_000_000 + n as i64 * 10_000_000;
    let origin = Origin { file: 0, frame: n };
    SipMessage::new(
        (ts, src, dst, Transport::Udp, origin, Carriage::default()),
        raw.into(),
        head,
    )
}

fn accessors(m: &SipMessage) {
    let mut sum = 0usize;
    sum += m.raw().len() + m.start_line().len() + m.body().len();
    sum += usize::from(m.is_request()) + m.defects().names().count();
    sum += m.method().map_or(0, <[u8]>::len) + m.request_uri().map_or(0, <[u8]>::len);
    sum += usize::from(m.status().unwrap_or(0)) + m.reason().map_or(0, <[u8]>::len);
    let _ = m.method_kind();
    for h in Hdr::ALL {
        sum += m.header(h).map_or(0, |v| v.len());
        sum += m.header_values(h.name()).len();
    }
    sum += m.header_values("X-Unknown").len();
    sum += m.call_id().map_or(0, <[u8]>::len);
    sum += m.cseq().map_or(0, |(n, meth)| n as usize + meth.len());
    sum += m.top_via().map_or(0, <[u8]>::len) + m.via_branch().map_or(0, <[u8]>::len);
    sum += m.via_sent_by().map_or(0, |(h, p)| h.len() + p.len());
    sum += m.from_tag().map_or(0, <[u8]>::len) + m.to_tag().map_or(0, <[u8]>::len);
    sum += m.from_uri().map_or(0, <[u8]>::len) + m.to_uri().map_or(0, <[u8]>::len);
    std::hint::black_box(sum);
}

fuzz_target!(|data: &[u8]| {
    std::hint::black_box((
        may_start_sip(data),
        find_start_line(data),
        unfold(data).len(),
        trim_bytes(data).len(),
    ));
    match scan(data, Mode::Datagram) {
        Ok(head) => accessors(&message(data, head, 0)),
        Err(ScanError::Malformed(reason)) => {
            let src: SocketAddr = ([10, 0, 0, 1], 5060).into();
            let meta = (0, src, src, Transport::Udp, Origin::default());
            std::hint::black_box(MalformedSip::new(meta, reason, data));
        }
        Err(_) => {}
    }
    // Stream mode: frame message after message, resynchronising as the TCP reassembler does.
    let mut model = Model::default();
    let mut rest = data;
    let mut n = 0u64;
    while !rest.is_empty() && n < 1000 {
        n += 1;
        match scan(rest, Mode::Stream) {
            Ok(head) => {
                let len = head.len as usize;
                assert!(
                    len > 0 && len <= rest.len(),
                    "a message lies inside the buffer"
                );
                let m = message(&rest[..len], head, n);
                accessors(&m);
                model.on_message(&m);
                rest = &rest[len..];
            }
            Err(ScanError::Incomplete) => break,
            Err(_) => match find_start_line(rest.get(1..).unwrap_or_default()) {
                Some(i) => rest = &rest[i + 1..],
                None => break,
            },
        }
    }
    let out = model.finish(None);
    std::hint::black_box((out.calls.len(), out.registrations.attempts.len()));
});
