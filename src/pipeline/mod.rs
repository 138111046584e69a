//! The decoding half of the pipeline, wired: captures → decode → reassembly →
//! [`Item`]s, for any number of inputs read as one timeline.
//!
//! - [`source`]: one input (on a thread of its own when there are several); each batch of frames decoded
//!   in parallel by the stateless stage, [`frames`];
//! - [`timeline`]: the inputs merged in time order (rotated files one after the
//!   other, overlapping captures interleaved);
//! - [`ordered`]: the stateful stage on one thread (IP fragments, TCP streams, SCTP),
//!   with [`dedup`] dropping a second capture point's copy of a datagram;
//! - [`batch`]: items batched for the next thread, bounded in bytes and items.
//!
//! Because the parallel part is stateless and the merge and the ordered part
//! depend only on the data, the output is the same whatever the number of threads.

pub mod batch;
pub mod dedup;
mod frames;
mod ordered;
mod source;
pub mod timeline;

use crate::accounting::FrameCounts;
use crate::capture::CaptureInfo;
use crate::reassembly::ipfrag::{FragLimits, FragStats};
use crate::reassembly::sctp::{SctpLimits, SctpStats};
use crate::reassembly::tcp::{TcpLimits, TcpStats};
pub use timeline::{run_timeline, TimelineStats};

/// Limits on the stateful stages (documented defaults; see the README's reliability section).
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    pub fragments: FragLimits,
    pub tcp: TcpLimits,
    pub sctp: SctpLimits,
    /// Open transactions and calls in the SIP model.
    pub model: crate::model::ModelLimits,
}

/// The limits that `--limit NAME=VALUE` can set, with what each bounds.
pub const LIMIT_NAMES: &[(&str, &str)] = &[
    ("frag.bytes", "bytes held by pending IP fragments"),
    ("frag.datagrams", "pending fragmented datagrams"),
    (
        "frag.timeout_s",
        "seconds a datagram may wait for its fragments",
    ),
    (
        "tcp.ooo_stream_bytes",
        "TCP bytes waiting beyond a gap, per direction",
    ),
    (
        "tcp.ooo_total_bytes",
        "TCP bytes waiting beyond gaps, in all",
    ),
    ("tcp.streams", "TCP streams tracked at once"),
    ("tcp.idle_s", "seconds before an idle TCP stream is settled"),
    (
        "sctp.stream_bytes",
        "SCTP fragment bytes waiting, per stream",
    ),
    ("sctp.total_bytes", "SCTP fragment bytes waiting, in all"),
    (
        "sctp.streams",
        "SCTP streams with waiting fragments at once",
    ),
    (
        "sctp.idle_s",
        "seconds before an idle SCTP stream's fragments are given up",
    ),
    (
        "sip.message_bytes",
        "bytes kept of a SIP message on a stream (headers whole; the body is cut, counted)",
    ),
    ("model.transactions", "SIP transactions open at once"),
    ("model.calls", "calls open at once"),
    (
        "model.call_verdicts",
        "Call-IDs remembered as no call or in progress at the start (past it the oldest are forgotten, counted)",
    ),
    (
        "model.registration_attempts",
        "registration attempts open at once (past it the oldest is closed early, counted)",
    ),
    (
        "model.registration_chains",
        "registration chains (Call-ID + AOR) remembered (past it the least recent is forgotten, counted)",
    ),
    (
        "rows.calls",
        "call records kept for output (past it: counted, figures still exact)",
    ),
    (
        "rows.registrations",
        "registration attempts kept for output (past it: counted)",
    ),
    (
        "rows.messages",
        "message rows kept for --out (past it: counted)",
    ),
    (
        "rows.transactions",
        "transaction rows kept for --out (past it: counted)",
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    #[error("--limit {0}: expected NAME=VALUE")]
    Syntax(String),
    #[error("--limit {0}: unknown name (known: {1})")]
    Unknown(String, String),
    #[error("--limit {0}: the value must be a whole number above 0")]
    Value(String),
}

impl Limits {
    /// The value of one limit by its name in [`LIMIT_NAMES`] (seconds for `_s` names).
    pub fn get(&self, name: &str) -> Option<u64> {
        let n = |v: usize| Some(v as u64);
        let s = |ns: i64| u64::try_from(ns / 1_000_000_000).ok();
        match name {
            "frag.bytes" => n(self.fragments.max_bytes),
            "frag.datagrams" => n(self.fragments.max_datagrams),
            "frag.timeout_s" => s(self.fragments.timeout_ns),
            "tcp.ooo_stream_bytes" => n(self.tcp.max_out_of_order_per_stream),
            "tcp.ooo_total_bytes" => n(self.tcp.max_out_of_order_total),
            "tcp.streams" => n(self.tcp.max_streams),
            "tcp.idle_s" => s(self.tcp.idle_timeout_ns),
            "sctp.stream_bytes" => n(self.sctp.max_bytes_per_stream),
            "sctp.total_bytes" => n(self.sctp.max_bytes_total),
            "sctp.streams" => n(self.sctp.max_streams),
            "sctp.idle_s" => s(self.sctp.idle_timeout_ns),
            "sip.message_bytes" => n(self.tcp.max_message_bytes),
            "model.transactions" => n(self.model.transactions.max_open),
            "model.calls" => n(self.model.calls.max_open),
            "model.call_verdicts" => n(self.model.calls.max_verdicts),
            "model.registration_attempts" => n(self.model.registrations.max_open),
            "model.registration_chains" => n(self.model.registrations.max_chains),
            "rows.calls" => n(self.model.rows.calls),
            "rows.registrations" => n(self.model.rows.registrations),
            "rows.messages" => n(self.model.rows.messages),
            "rows.transactions" => n(self.model.rows.transactions),
            _ => None,
        }
    }

    /// Sets one limit from `NAME=VALUE` (names in [`LIMIT_NAMES`]).
    pub fn set(&mut self, spec: &str) -> Result<(), LimitError> {
        let (name, value) = spec
            .split_once('=')
            .ok_or_else(|| LimitError::Syntax(spec.into()))?;
        let v: u64 = value
            .trim()
            .replace('_', "")
            .parse()
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| LimitError::Value(spec.into()))?;
        let n = usize::try_from(v).unwrap_or(usize::MAX);
        let secs = i64::try_from(v)
            .unwrap_or(i64::MAX / 1_000_000_000)
            .saturating_mul(1_000_000_000);
        match name.trim() {
            "frag.bytes" => self.fragments.max_bytes = n,
            "frag.datagrams" => self.fragments.max_datagrams = n,
            "frag.timeout_s" => self.fragments.timeout_ns = secs,
            "tcp.ooo_stream_bytes" => self.tcp.max_out_of_order_per_stream = n,
            "tcp.ooo_total_bytes" => self.tcp.max_out_of_order_total = n,
            "tcp.streams" => self.tcp.max_streams = n,
            "tcp.idle_s" => self.tcp.idle_timeout_ns = secs,
            "sctp.stream_bytes" => self.sctp.max_bytes_per_stream = n,
            "sctp.total_bytes" => self.sctp.max_bytes_total = n,
            "sctp.streams" => self.sctp.max_streams = n,
            "sctp.idle_s" => self.sctp.idle_timeout_ns = secs,
            "sip.message_bytes" => self.tcp.max_message_bytes = n,
            "model.transactions" => self.model.transactions.max_open = n,
            "model.calls" => self.model.calls.max_open = n,
            "model.call_verdicts" => self.model.calls.max_verdicts = n,
            "model.registration_attempts" => self.model.registrations.max_open = n,
            "model.registration_chains" => self.model.registrations.max_chains = n,
            "rows.calls" => self.model.rows.calls = n,
            "rows.registrations" => self.model.rows.registrations = n,
            "rows.messages" => self.model.rows.messages = n,
            "rows.transactions" => self.model.rows.transactions = n,
            other => {
                let known: Vec<&str> = LIMIT_NAMES.iter().map(|(n, _)| *n).collect();
                return Err(LimitError::Unknown(other.into(), known.join(", ")));
            }
        }
        Ok(())
    }
}

/// The worker threads to start for `--threads N`: at least 1, at most four per
/// core. More buys nothing (decoding is CPU-bound) and `--threads 100000` would
/// spend memory and time on stacks, or fail to start.
pub fn worker_threads(asked: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    asked.clamp(1, 4 * cores)
}

/// What one input gave, besides its items.
#[derive(Clone, Debug, serde::Serialize)]
pub struct InputReport {
    pub index: u32,
    pub path: String,
    /// Absent when the input could not be read at all (see `error`).
    pub capture: Option<CaptureInfo>,
    pub error: Option<String>,
    /// Found by walking a directory and not a capture (a README, a checksum file): skipped, not an error.
    pub skipped: bool,
    pub frames: FrameCounts,
    pub ip_fragments: FragStats,
    pub tcp: TcpStats,
    pub sctp: SctpStats,
}

impl InputReport {
    /// Read to its natural end with no damage.
    pub fn complete(&self) -> bool {
        self.skipped
            || (self.error.is_none() && self.capture.as_ref().is_some_and(|c| c.problem.is_none()))
    }
}

/// How far the run has got, for a progress display: updated per batch of frames,
/// read from any thread. Bytes are the frames' captured bytes plus a 16-byte
/// record header each — close to the size of a pcap file.
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes: std::sync::atomic::AtomicU64,
    pub frames: std::sync::atomic::AtomicU64,
    pub inputs_done: std::sync::atomic::AtomicU64,
    /// `bytes` of the inputs already finished.
    pub bytes_of_done_inputs: std::sync::atomic::AtomicU64,
    /// Size on disk of the inputs already finished (compressed size for gzip/zstd), for an
    /// archive's position and ETA: [`Progress::disk_position`].
    pub disk_bytes_done: std::sync::atomic::AtomicU64,
}

impl Progress {
    /// Where the run is, in bytes on disk out of the inputs' total size: finished inputs
    /// by their size on disk, inputs being read by the bytes read so far (exact for plain
    /// files, an over-estimate inside a compressed one), capped at `total`.
    pub fn disk_position(&self, total: u64) -> u64 {
        use std::sync::atomic::Ordering::Relaxed;
        let done = self.disk_bytes_done.load(Relaxed);
        let current = self
            .bytes
            .load(Relaxed)
            .saturating_sub(self.bytes_of_done_inputs.load(Relaxed));
        done.saturating_add(current).min(total.max(done))
    }
}

#[cfg(test)]
mod tests {
    use super::{worker_threads, Progress};

    #[test]
    fn threads_asked_for_are_capped_at_four_per_core() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(worker_threads(0), 1);
        assert_eq!(worker_threads(1), 1);
        assert_eq!(worker_threads(1_000_000), 4 * cores);
    }
    use std::sync::atomic::Ordering::Relaxed;

    #[test]
    fn disk_position_counts_finished_inputs_by_their_size_on_disk() {
        let p = Progress::default();
        // A 100-byte gzip file that decompressed to 400 bytes, finished.
        p.bytes.store(400, Relaxed);
        p.bytes_of_done_inputs.store(400, Relaxed);
        p.disk_bytes_done.store(100, Relaxed);
        assert_eq!(p.disk_position(1_000), 100);
        // A plain file half read.
        p.bytes.fetch_add(300, Relaxed);
        assert_eq!(p.disk_position(1_000), 400);
        // Never past the total while reading.
        p.bytes.fetch_add(5_000, Relaxed);
        assert_eq!(p.disk_position(1_000), 1_000);
    }
}

#[cfg(test)]
mod limit_tests {
    use super::{Limits, LIMIT_NAMES};

    /// `--limit help` shows every default: each name readable, and what `set` writes `get` reads.
    #[test]
    fn every_limit_name_reads_back_what_was_set() {
        for (name, _) in LIMIT_NAMES {
            let mut l = Limits::default();
            assert!(l.get(name).is_some_and(|v| v > 0), "{name}");
            l.set(&format!("{name}=12345")).unwrap();
            assert_eq!(l.get(name), Some(12345), "{name}");
        }
    }
}
