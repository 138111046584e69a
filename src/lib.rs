//! sipsleuth: an offline SIP trace analyzer.
//!
//! The pipeline, stage by stage (each a module that knows only the one before it):
//!
//! 1. [`capture`]: pcap / pcapng files (plain, gzip, zstd; files, directories, stdin) → frames.
//! 2. [`decode`]: link layers, IP, tunnels, HEP → UDP datagrams, TCP segments, IP fragments, ICMP errors.
//! 3. [`reassembly`]: IP fragments → datagrams; TCP segments → SIP messages (and WebSocket frames).
//! 4. [`sip`]: recognising SIP by content, the zero-copy scanner, the owned message record;
//!    [`media`]: RTP/RTCP headers (read in the same parallel stage), [`sdp`] bodies, streams per call.
//! 5. [`pipeline`]: the stages above wired together, parallel where stateless, ordered where not.
//! 6. [`analysis`]: what the messages say (traffic counts so far).
//! 7. [`report`]: tables, JSON, listings.
//!
//! [`verdict`] judges a run (rules of an SLO file, a comparison with a baseline) on what the
//! analyses and the diagnosis found.
//!
//! [`extract`] runs the pipeline twice to copy the frames of chosen calls into a new capture.
//!
//! [`accounting`] is shared by all stages: every frame lands in exactly one [`accounting::Bucket`].
pub mod accounting;
pub mod alloc_count;
pub mod analysis;
mod bytes;
pub mod capture;
pub mod decode;
pub mod diagnosis;
pub mod extract;
pub mod filter;
pub mod knowledge;
pub mod media;
pub mod model;
pub mod pipeline;
pub mod prefetch;
pub mod reassembly;
pub mod report;
pub mod sdp;
pub mod sip;
pub mod summary;
pub mod verdict;
