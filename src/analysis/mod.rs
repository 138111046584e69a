//! Analyses over the decoded items and the model: traffic counts (the same
//! counting as `tshark -q -z sip,stat`), call figures (ASR, NER, PDD, RFC 6076).

pub mod calls;
pub mod stats;
pub mod traffic;
