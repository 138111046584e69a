//! Values many records repeat — a load test's calls carry a handful of
//! User-Agents, reason phrases and codecs, a few thousand users and addresses
//! between them — kept once and shared. Bounded: past the bound a new value is
//! shared with nobody (a capture of random strings must not grow a table beside
//! its records).

use std::collections::HashSet;
use std::hash::Hash;
use std::net::SocketAddr;
use std::sync::Arc;

/// What can be kept behind an `Arc` from a borrowed value.
pub trait Share: Hash + Eq {
    fn share(&self) -> Arc<Self>;
}

impl Share for str {
    fn share(&self) -> Arc<str> {
        Arc::from(self)
    }
}

impl Share for SocketAddr {
    fn share(&self) -> Arc<SocketAddr> {
        Arc::new(*self)
    }
}

#[derive(Debug)]
pub struct Interner<T: ?Sized = str> {
    seen: HashSet<Arc<T>, rustc_hash::FxBuildHasher>,
    max: usize,
}

impl<T: ?Sized> Default for Interner<T> {
    fn default() -> Self {
        Interner::with_max(Self::MAX)
    }
}

impl<T: ?Sized> Interner<T> {
    /// Distinct values kept for sharing, by default.
    pub const MAX: usize = 4096;

    /// An interner that keeps at most `max` distinct values (a full table of
    /// short strings or addresses costs about 80 bytes a value).
    pub fn with_max(max: usize) -> Self {
        Interner {
            seen: HashSet::default(),
            max,
        }
    }
}

impl<T: ?Sized + Share> Interner<T> {
    /// The shared copy of `v` (made and kept if there is room).
    pub fn get(&mut self, v: &T) -> Arc<T> {
        if let Some(a) = self.seen.get(v) {
            return a.clone();
        }
        let a = v.share();
        if self.seen.len() < self.max {
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
        for n in 0..Interner::<str>::MAX {
            i.get(&n.to_string());
        }
        let c = i.get("past the bound");
        let d = i.get("past the bound");
        assert_eq!(c, d);
        assert!(!Arc::ptr_eq(&c, &d));
        assert!(Arc::ptr_eq(&a, &i.get("SIPp")));
    }

    #[test]
    fn equal_addresses_share_one_copy_up_to_the_bound() {
        let mut i = Interner::<SocketAddr>::with_max(1);
        let x: SocketAddr = "10.0.0.1:5060".parse().unwrap();
        let y: SocketAddr = "[2001:db8::1]:5060".parse().unwrap();
        assert!(Arc::ptr_eq(&i.get(&x), &i.get(&x)));
        assert_eq!(*i.get(&y), y);
        assert!(!Arc::ptr_eq(&i.get(&y), &i.get(&y)));
    }
}
