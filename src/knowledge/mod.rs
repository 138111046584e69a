//! Knowledge: what sipsleuth knows about SIP independently of any capture —
//! what each response code means, what typically produces it in a lab, a load
//! test or a customer trace, what to check next, and how it counts in the
//! outcome categories, ASR, NER and the registration causes (docs/metrics.md).
//!
//! It is static reference data (`&'static` tables, nothing allocated until a
//! page is rendered), read by `sipsleuth explain CODE` and by the findings
//! that give advice. It knows nothing of captures; the counting rules it
//! states are pinned by tests to the model that applies them
//! ([`crate::model::call::Category::of_final`], the registration causes).
pub mod codes;

pub use codes::{all, class_of, lookup, Class, CodeInfo};
