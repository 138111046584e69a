//! sipsleuth: an offline SIP trace analyzer.
pub mod accounting;
pub mod capture;
pub mod decode;
pub mod reassembly;
pub mod sip;
