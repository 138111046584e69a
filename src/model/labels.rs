//! The finer labels of a call record (`auth_challenged`, `forked`, …) as a set
//! of bits: a record used to carry them as a vector of names, 24 bytes in the
//! record and 64 on the heap for one label, on every one of a load test's calls.
//! Names come out in one fixed order, the order `model::call` finds them in.

use serde::ser::{Serialize, SerializeSeq, Serializer};

/// Every label, in the order they are listed.
pub const NAMES: [&str; 10] = [
    "unanswered_at_capture_end",
    "auth_challenged",
    "cancel_sent",
    "redirected",
    "no_answer",
    "incomplete",
    "terminated_without_cancel",
    "forked",
    "reinvite",
    "bye_rejected",
];

/// A set of [`NAMES`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Labels(u16);

impl Labels {
    /// Adds `name`, one of [`NAMES`] (a name not listed there is a bug: debug
    /// builds stop on it, release builds leave it out).
    pub fn push(&mut self, name: &str) {
        match NAMES.iter().position(|n| *n == name) {
            Some(i) => self.0 |= 1 << i,
            None => debug_assert!(false, "unknown call label {name}"),
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        NAMES
            .iter()
            .position(|n| *n == name)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }

    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The names in the set, in [`NAMES`] order.
    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, n)| *n)
    }

    pub fn to_vec(&self) -> Vec<&'static str> {
        self.iter().collect()
    }
}

/// A list of names, as the vector it replaces was written.
impl Serialize for Labels {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.count_ones() as usize))?;
        for n in self.iter() {
            seq.serialize_element(n)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_out_in_the_fixed_order_whatever_the_order_added() {
        let mut l = Labels::default();
        assert!(l.is_empty());
        l.push("reinvite");
        l.push("auth_challenged");
        l.push("reinvite");
        assert_eq!(l.to_vec(), ["auth_challenged", "reinvite"]);
        assert!(l.contains("reinvite") && !l.contains("forked"));
        assert_eq!(
            serde_json::to_string(&l).unwrap(),
            r#"["auth_challenged","reinvite"]"#
        );
    }

    #[test]
    fn every_name_fits_the_bits() {
        assert!(NAMES.len() <= 16);
        let mut l = Labels::default();
        NAMES.iter().for_each(|n| l.push(n));
        assert_eq!(l.to_vec(), NAMES);
    }
}
