//! sipsleuth: an offline SIP trace analyzer.
pub mod capture;
pub mod sip;
