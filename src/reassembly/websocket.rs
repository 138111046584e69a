//! WebSocket (RFC 6455) framing for SIP over WebSocket (RFC 7118).
//!
//! Recognises the HTTP Upgrade that opens a WebSocket connection, and parses
//! frames — masked (client to server) or not — into whole messages; each text
//! or binary message carries exactly one SIP message (RFC 7118 §5).

/// Largest WebSocket message assembled (a SIP message is far smaller).
pub const MAX_WS_MESSAGE: usize = 16 * 1024 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub enum WsStep {
    NeedMore,
    /// One frame was consumed; a data message completed if `message` is set.
    Frame {
        consumed: usize,
        message: Option<Vec<u8>>,
        control: bool,
    },
    Invalid,
}

/// Per-direction state: the fragments of a message split over continuation frames.
#[derive(Debug, Default)]
pub struct WsState {
    partial: Option<Vec<u8>>,
}

/// The length of an HTTP Upgrade request or 101 response at the start of `buf`
/// that switches the connection to WebSocket. `Some(None)`: it may be one, wait for more.
pub fn upgrade_len(buf: &[u8]) -> Option<Option<usize>> {
    let http = buf.starts_with(b"GET ")
        || buf.starts_with(b"HTTP/1.1 101")
        || buf.starts_with(b"HTTP/1.0 101");
    if !http {
        return None;
    }
    let end = match memchr::memmem::find(buf, b"\r\n\r\n") {
        Some(e) => e + 4,
        None => {
            return if buf.len() < 16 * 1024 {
                Some(None)
            } else {
                None
            }
        }
    };
    let head = buf.get(..end).unwrap_or(buf);
    let is_ws = head
        .split(|b| *b == b'\n')
        .any(|l| match l.split_at_checked(8) {
            Some((name, value)) => {
                !value.is_empty()
                    && name.eq_ignore_ascii_case(b"upgrade:")
                    && contains_ci(value, b"websocket")
            }
            None => false,
        });
    is_ws.then_some(Some(end))
}

fn contains_ci(h: &[u8], n: &[u8]) -> bool {
    h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// A first frame that holds the start of a SIP message: lets a capture that
/// began after the Upgrade still be read as WebSocket.
pub fn looks_like_sip_frame(buf: &[u8]) -> bool {
    let Some(&b0) = buf.first() else { return false };
    if b0 & 0x70 != 0 || !matches!(b0 & 0x0f, 1 | 2) {
        return false;
    }
    let Some((hlen, len, mask)) = header(buf) else {
        return false;
    };
    // The first 8 payload bytes, unmasked. `len` comes from the frame and may be
    // near usize::MAX (a 64-bit length): compare it, never add it to `hlen`.
    // A frame `next_frame` would refuse must not be taken for WebSocket either: the
    // stream would switch to WebSocket framing, get Invalid, fall back, and loop forever.
    let plausible = (8..=MAX_WS_MESSAGE).contains(&len);
    let Some(mut start) = crate::bytes::array::<8>(buf, hlen).filter(|_| plausible) else {
        return false;
    };
    let key = mask.unwrap_or_default();
    for (b, k) in start.iter_mut().zip(key.iter().cycle()) {
        *b ^= k;
    }
    start.starts_with(b"SIP/2.0 ")
        || (start.first().is_some_and(u8::is_ascii_uppercase)
            && start.iter().take_while(|b| b.is_ascii_uppercase()).count() >= 3)
}

/// Header length, payload length and masking key of the frame at `buf[0]`.
fn header(buf: &[u8]) -> Option<(usize, usize, Option<[u8; 4]>)> {
    let b1 = *buf.get(1)?;
    let masked = b1 & 0x80 != 0;
    let (mut hlen, len) = match b1 & 0x7f {
        126 => (4, u64::from(crate::bytes::be16(buf, 2)?)),
        127 => (10, u64::from_be_bytes(crate::bytes::array(buf, 2)?)),
        n => (2, u64::from(n)),
    };
    let mask = if masked {
        let m: [u8; 4] = crate::bytes::array(buf, hlen)?;
        hlen += 4;
        Some(m)
    } else {
        None
    };
    Some((hlen, usize::try_from(len).unwrap_or(usize::MAX), mask))
}

pub fn next_frame(buf: &[u8], st: &mut WsState) -> WsStep {
    let [b0, _] = match buf.first_chunk::<2>() {
        Some(b) => *b,
        None => return WsStep::NeedMore,
    };
    if b0 & 0x70 != 0 {
        return WsStep::Invalid; // reserved bits without a negotiated extension
    }
    let Some((hlen, len, mask)) = header(buf) else {
        return WsStep::NeedMore;
    };
    if len > MAX_WS_MESSAGE {
        return WsStep::Invalid;
    }
    // `len` is at most MAX_WS_MESSAGE here, so the sum cannot overflow.
    let consumed = hlen + len;
    let Some(payload) = buf.get(hlen..consumed) else {
        return WsStep::NeedMore;
    };
    let fin = b0 & 0x80 != 0;
    let opcode = b0 & 0x0f;
    let mut payload = payload.to_vec();
    if let Some(m) = mask {
        for (b, k) in payload.iter_mut().zip(m.iter().cycle()) {
            *b ^= k;
        }
    }
    match opcode {
        1 | 2 => {
            if fin {
                st.partial = None;
                WsStep::Frame {
                    consumed,
                    message: Some(payload),
                    control: false,
                }
            } else {
                st.partial = Some(payload);
                WsStep::Frame {
                    consumed,
                    message: None,
                    control: false,
                }
            }
        }
        0 => {
            let Some(p) = st.partial.as_mut() else {
                return WsStep::Invalid;
            };
            if p.len() + payload.len() > MAX_WS_MESSAGE {
                st.partial = None;
                return WsStep::Invalid;
            }
            p.extend_from_slice(&payload);
            if fin {
                WsStep::Frame {
                    consumed,
                    message: st.partial.take(),
                    control: false,
                }
            } else {
                WsStep::Frame {
                    consumed,
                    message: None,
                    control: false,
                }
            }
        }
        8..=10 => WsStep::Frame {
            consumed,
            message: None,
            control: true,
        },
        _ => WsStep::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(fin: bool, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
        let mut f = vec![(fin as u8) << 7 | opcode];
        let m = if mask.is_some() { 0x80 } else { 0 };
        if payload.len() < 126 {
            f.push(m | payload.len() as u8);
        } else {
            f.push(m | 126);
            f.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        }
        let mut p = payload.to_vec();
        if let Some(k) = mask {
            f.extend_from_slice(&k);
            for (i, b) in p.iter_mut().enumerate() {
                *b ^= k[i % 4];
            }
        }
        f.extend(p);
        f
    }

    #[test]
    fn masked_and_unmasked_text_frames() {
        let mut st = WsState::default();
        let sip = b"OPTIONS sip:x SIP/2.0\r\n\r\n";
        let f = frame(true, 1, sip, Some([1, 2, 3, 4]));
        assert!(looks_like_sip_frame(&f));
        assert_eq!(
            next_frame(&f, &mut st),
            WsStep::Frame {
                consumed: f.len(),
                message: Some(sip.to_vec()),
                control: false
            }
        );
        let g = frame(true, 1, sip, None);
        assert!(matches!(
            next_frame(&g, &mut st),
            WsStep::Frame {
                message: Some(_),
                ..
            }
        ));
        assert_eq!(next_frame(&g[..g.len() - 1], &mut st), WsStep::NeedMore);
    }

    #[test]
    fn continuation_frames_make_one_message() {
        let mut st = WsState::default();
        let a = frame(false, 1, b"SIP/2.0 200", Some([9, 9, 9, 9]));
        let b = frame(true, 0, b" OK\r\n\r\n", Some([7, 7, 7, 7]));
        assert!(matches!(
            next_frame(&a, &mut st),
            WsStep::Frame { message: None, .. }
        ));
        match next_frame(&b, &mut st) {
            WsStep::Frame {
                message: Some(m), ..
            } => assert_eq!(m, b"SIP/2.0 200 OK\r\n\r\n"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_upgrade_handshake() {
        let req = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: sip\r\n\r\n\x81\x05hello";
        assert_eq!(upgrade_len(req), Some(Some(req.len() - 7)));
        assert_eq!(upgrade_len(b"GET / HTTP/1.1\r\nHost"), Some(None));
        assert_eq!(upgrade_len(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), None);
        assert_eq!(upgrade_len(b"INVITE sip:x SIP/2.0\r\n"), None);
    }
}
