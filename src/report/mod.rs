//! Outputs: terminal tables, JSON, message listings, call-flow ladders, capture
//! files of chosen frames. Each
//! format is its own module; none of them computes anything, they only render
//! what the pipeline and the analyses produced.

pub mod calls;
pub mod cells;
#[cfg(feature = "reports")]
pub mod charts;
pub mod export;
pub mod filename;
pub mod findings;
pub mod html;
pub mod json;
pub mod ladder;
pub mod media;
pub mod messages;
pub mod pcap_out;
pub mod printable;
pub mod registrations;
pub mod schema;
pub mod table;
pub mod terminal;
pub mod time;
pub mod verdict;
