//! Analyses over the decoded items: traffic counts (the same counting as
//! `tshark -q -z sip,stat`: every message on the wire, retransmissions
//! included), registration summaries, and the statistics they share.

pub mod registrations;
pub mod stats;
pub mod traffic;
