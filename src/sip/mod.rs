//! SIP: recognising messages by their content, scanning them without copying,
//! and the owned record that later stages consume.
//!
//! `scan` is the hot path (one pass, spans only); `message` is the record and
//! its lazy accessors; `header` knows header names. Stream framing (several
//! messages per TCP segment, one message over several) uses `scan` in
//! [`scan::Mode::Stream`] and lives with the TCP reassembler.
//!
//! rsip is deliberately not used: CRATES.md measured it 22× slower than this
//! scan and found it misreads compact forms and rejects folded, LF-only and
//! non-UTF-8 headers, all of which real captures contain.

// Input is untrusted: no panics on packet data (README, "Reliability and limits").
// Tests may unwrap; the library may not. Reads go through `crate::bytes` or `get`.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod chunks;
pub mod codes;
pub mod header;
pub mod ids;
pub mod message;
pub mod recycle;
pub mod scan;
pub mod values;

pub use header::Hdr;
pub use message::{
    Carriage, Frames, MalformedSip, Origin, SipMessage, Transport, MAX_FRAMES_PER_MESSAGE,
};
pub use scan::{scan, Defects, Method, Mode, ScanError, SipHead, StartLine};
