//! What the record walk (`reader`) and the format parsers (pcap, pcapng,
//! NetMon) share: one record parsed from the front of a buffer, or why not.
//! Kept apart so that the parsers do not depend on the reader that drives them.

use super::Frame;

/// No real packet record is larger than this (Wireshark's own limit is 256 KiB for
/// most link types; a few USB/D-Bus captures go higher). A length above it is damage.
pub(crate) const MAX_RECORD_LEN: usize = 64 * 1024 * 1024;

pub(crate) enum Next<'a> {
    Frame(Frame<'a>),
    /// A block that carries no packet (headers, interface descriptions, statistics…).
    Skip,
}

#[derive(Debug)]
pub(crate) enum Stop {
    /// The record continues past the end of the bytes given (how many more, if known).
    NeedMore(Option<u64>),
    Corrupt(String),
    /// The file header is wrong: nothing in this file can be read.
    BadHeader(String),
}

pub(crate) trait RecordParser {
    /// Parses one record from the start of `buf`; returns the bytes it used.
    fn next<'a>(&mut self, buf: &'a [u8]) -> Result<(usize, Next<'a>), Stop>;
}
