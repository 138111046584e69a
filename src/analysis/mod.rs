//! Analyses over the decoded items. For now: traffic counts, the same counting
//! as `tshark -q -z sip,stat` (every message on the wire, retransmissions included).

pub mod traffic;
