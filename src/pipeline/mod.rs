//! The decoding half of the pipeline, wired: captures → decode → reassembly →
//! [`Item`]s, for any number of inputs read as one timeline.
//!
//! - [`source`]: one input on a thread of its own; each batch of frames decoded
//!   in parallel by the stateless stage, [`frames`];
//! - [`timeline`]: the inputs merged in time order (rotated files one after the
//!   other, overlapping captures interleaved);
//! - [`ordered`]: the stateful stage on one thread (IP fragments, TCP streams),
//!   with [`dedup`] dropping a second capture point's copy of a datagram.
//!
//! Because the parallel part is stateless and the merge and the ordered part
//! depend only on the data, the output is the same whatever the number of threads.

pub mod dedup;
mod frames;
mod ordered;
mod source;
pub mod timeline;

use crate::accounting::FrameCounts;
use crate::capture::{CaptureInfo, InputSpec};
use crate::reassembly::ipfrag::{FragLimits, FragStats};
use crate::reassembly::tcp::{TcpLimits, TcpStats};
use crate::reassembly::Item;
pub use timeline::{run_timeline, TimelineStats};

/// Limits on the stateful stages (documented defaults; see the README's reliability section).
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    pub fragments: FragLimits,
    pub tcp: TcpLimits,
    /// Open transactions and calls in the SIP model.
    pub model: crate::model::ModelLimits,
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
}

/// Reads one input alone (a timeline of one).
pub fn run_input(
    input: &InputSpec,
    limits: &Limits,
    progress: &Progress,
    sink: &mut dyn FnMut(Item),
) -> InputReport {
    let (mut reports, _) = run_timeline(std::slice::from_ref(input), limits, progress, sink);
    reports.pop().unwrap_or_else(|| InputReport {
        index: 0,
        path: input.display(),
        capture: None,
        error: Some("not read".into()),
        skipped: false,
        frames: FrameCounts::default(),
        ip_fragments: FragStats::default(),
        tcp: TcpStats::default(),
    })
}
