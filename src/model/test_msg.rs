//! Test support: a SIP message from literal text (LF line ends turned into
//! CRLF), as the scanner would hand it to the model.

use crate::sip::scan::{scan, Mode};
use crate::sip::{Carriage, Origin, SipMessage, Transport};

pub fn msg(ts: i64, src: &str, dst: &str, text: &str) -> SipMessage {
    let raw = text.replace('\n', "\r\n").into_bytes();
    let head = scan(&raw, Mode::Datagram).expect("test messages scan");
    SipMessage::new(
        (
            ts,
            src.parse().expect("test address"),
            dst.parse().expect("test address"),
            Transport::Udp,
            Origin::default(),
            Carriage::default(),
        ),
        raw.into(),
        head,
    )
}
