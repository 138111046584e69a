//! Strings many records repeat — a load test's calls carry a handful of
//! User-Agents between them — kept once and shared. Bounded: past
//! [`Interner::MAX`] distinct strings a new one is shared with nobody (a
//! capture of random strings must not grow a table beside its records).

use std::collections::HashSet;
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Interner {
    seen: HashSet<Arc<str>, rustc_hash::FxBuildHasher>,
}

impl Interner {
    /// Distinct strings kept for sharing.
    pub const MAX: usize = 4096;

    /// The shared copy of `s` (made and kept if there is room).
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.seen.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        if self.seen.len() < Self::MAX {
            self.seen.insert(a.clone());
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_one_copy_up_to_the_bound() {
        let mut i = Interner::default();
        let a = i.get("SIPp");
        let b = i.get("SIPp");
        assert!(Arc::ptr_eq(&a, &b));
        for n in 0..Interner::MAX {
            i.get(&n.to_string());
        }
        let c = i.get("past the bound");
        let d = i.get("past the bound");
        assert_eq!(c, d);
        assert!(!Arc::ptr_eq(&c, &d));
        assert!(Arc::ptr_eq(&a, &i.get("SIPp")));
    }
}
