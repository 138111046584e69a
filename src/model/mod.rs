//! The SIP model: transactions (RFC 3261 §17), calls and their legs, and
//! registrations, built from the decoded messages in capture order. State
//! machines only: parsing is done (`sip`), metrics and reports come after
//! (`analysis`, `report`).

pub mod registration;
pub mod transaction;
