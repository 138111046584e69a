//! Analyses over the decoded items and the model: traffic counts (the same
//! counting as `tshark -q -z sip,stat`: every message on the wire,
//! retransmissions included), call figures (ASR, NER, PDD, RFC 6076),
//! registration summaries, and the statistics they share.

pub mod calls;
pub mod per_file;
pub mod registrations;
pub mod stats;
pub mod traffic;
