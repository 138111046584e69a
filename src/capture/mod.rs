//! Capture files → frames.
//!
//! This stage turns the bytes of a capture (pcap, pcapng or NetMon 2.x; plain,
//! gzip or zstd; from a file, a directory walk or stdin) into [`Frame`]s: a
//! timestamp, a link type and the captured bytes, borrowed from a memory map or
//! a read buffer.
//! It knows nothing of what the frames carry; decoding is [`crate::decode`]'s job.
//!
//! Damage is data, not a crash: a truncated last record, a block whose length
//! lies, or garbage after a good prefix ends the file with a [`CaptureProblem`]
//! naming the byte offset, and every frame read before it is still delivered.

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

mod input;
mod netmon;
mod pcap;
mod pcapng;
mod reader;
mod record;
mod shrunk;

pub use input::{expand_inputs, is_broken_link, InputSpec};
pub use reader::{
    probe_first_ts, read_capture, read_capture_bytes, read_capture_in, read_slice, CaptureFormat,
    CaptureInfo, Compression, BATCH_FRAMES,
};

use std::fmt;

/// Link-layer header types (the pcap LINKTYPE_ registry values) that the decoder knows.
pub mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    pub const RAW: u32 = 101;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
    /// Endace ERF records (the ERF header before the frame).
    pub const ERF: u32 = 197;
    /// Some BSDs write raw IP as linktype 12 or 14.
    pub const RAW_BSD12: u32 = 12;
    pub const RAW_BSD14: u32 = 14;
}

/// One captured frame, borrowed from the capture's bytes.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// 1-based frame number within its file, as Wireshark numbers them.
    pub number: u64,
    /// Capture time, nanoseconds since the Unix epoch (UTC).
    pub ts_ns: i64,
    /// LINKTYPE_ value of the interface the frame was captured on.
    pub linktype: u32,
    /// Length of the packet on the wire (may exceed `data.len()` when the snaplen cut it).
    pub orig_len: u32,
    /// The captured bytes.
    pub data: &'a [u8],
}

/// Why a capture stopped before its natural end. Frames before `offset` were delivered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CaptureProblem {
    /// Byte offset in the (decompressed) capture stream where reading stopped.
    pub offset: u64,
    pub kind: ProblemKind,
    /// The input is gzip or zstd: `offset` counts decompressed bytes, not bytes of the file.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub decompressed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProblemKind {
    /// The stream ended inside a record: a capture cut off (full disk, killed writer).
    Truncated { missing: Option<u64> },
    /// A record or block is inconsistent (a length that lies, an impossible size).
    Corrupt { reason: String },
    /// The decompressor or the file system failed part-way.
    Io { reason: String },
}

impl fmt::Display for CaptureProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // "byte N", or for a compressed input "byte N of the decompressed stream".
        let at = if self.decompressed {
            format!("byte {} of the decompressed stream", self.offset)
        } else {
            format!("byte {}", self.offset)
        };
        match &self.kind {
            ProblemKind::Truncated { missing: Some(n) } => write!(
                f,
                "truncated at {at}: the last record needs {n} more byte(s)"
            ),
            ProblemKind::Truncated { missing: None } => {
                write!(f, "truncated at {at}: the last record is incomplete")
            }
            ProblemKind::Corrupt { reason } => write!(f, "corrupt at {at}: {reason}"),
            ProblemKind::Io { reason } => write!(f, "read error at {at}: {reason}"),
        }
    }
}

/// Errors that prevent a capture from being read at all.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: empty file (0 bytes)")]
    Empty { path: String },
    #[error("{path}: not a pcap, pcapng or NetMon capture (first bytes: {magic})")]
    UnknownFormat { path: String, magic: String },
    #[error("{path}: {format} is not supported (only pcap, pcapng and NetMon 2.x; convert with `editcap -F pcapng`)")]
    UnsupportedFormat { path: String, format: &'static str },
    /// NetMon captures are read whole; from a stream that means holding them in memory.
    #[error("{path}: NetMon capture over {limit_mib} MiB decompressed (it is read whole); decompress it to a file")]
    TooLarge { path: String, limit_mib: u64 },
    #[error("{path}: bad {what} header at byte {offset}: {reason}")]
    BadHeader {
        path: String,
        what: &'static str,
        offset: u64,
        reason: String,
    },
}

impl CaptureError {
    /// The input is simply not a capture (as opposed to a capture that is damaged or unreadable).
    pub fn is_not_a_capture(&self) -> bool {
        matches!(
            self,
            CaptureError::UnknownFormat { .. } | CaptureError::Empty { .. }
        )
    }
}
