//! Optional numbers in the width of the number. A call record carries eight
//! optional durations and timestamps; as `Option<f64>` and `Option<i64>` each
//! took 16 bytes (the tag padded to the value's alignment) where the value takes
//! 8, and a long capture keeps a record per call (issue #16). Here a value the
//! model never produces stands for "none": NaN for a duration in ms (all are a
//! difference of two integer timestamps divided by 10⁶), `i64::MIN` for a
//! timestamp in ns (capture times are counted from 1970, and saturate at
//! `i64::MIN` only for a frame stamped at the start of time, which then reads as
//! "none"). An optional address takes 16 bytes, not 32: IPv4 inline, IPv6
//! (rare in SDP) boxed. All serialize and print exactly as the `Option` they
//! stand for.

use serde::{Serialize, Serializer};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// What makes each type below stand for its `Option`: built from one, equal to
/// one, and printed and serialized as the `Option` it holds.
macro_rules! like_option {
    ($t:ty, $v:ty) => {
        impl From<Option<$v>> for $t {
            fn from(v: Option<$v>) -> Self {
                <$t>::new(v)
            }
        }

        impl PartialEq<Option<$v>> for $t {
            fn eq(&self, other: &Option<$v>) -> bool {
                self.get() == *other
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.get().fmt(f)
            }
        }

        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.get().serialize(s)
            }
        }
    };
}

like_option!(OptF64, f64);
like_option!(OptI64, i64);
like_option!(OptAddr, SocketAddr);

/// An optional f64 (a duration in ms): NaN is none.
#[derive(Clone, Copy)]
pub struct OptF64(f64);

impl OptF64 {
    pub const NONE: OptF64 = OptF64(f64::NAN);

    /// `Some(NaN)` is stored as none: NaN is not a duration.
    pub const fn new(v: Option<f64>) -> Self {
        match v {
            Some(x) => OptF64(x),
            None => Self::NONE,
        }
    }

    pub fn get(self) -> Option<f64> {
        (!self.0.is_nan()).then_some(self.0)
    }

    pub fn is_some(self) -> bool {
        !self.0.is_nan()
    }

    pub fn is_none(self) -> bool {
        self.0.is_nan()
    }
}

impl Default for OptF64 {
    fn default() -> Self {
        Self::NONE
    }
}

impl From<OptF64> for Option<f64> {
    fn from(v: OptF64) -> Self {
        v.get()
    }
}

impl PartialEq for OptF64 {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

/// An optional i64 (a timestamp in ns): `i64::MIN` is none.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OptI64(i64);

impl OptI64 {
    pub const NONE: OptI64 = OptI64(i64::MIN);

    /// `Some(i64::MIN)` is stored as none (see the module's doc).
    pub const fn new(v: Option<i64>) -> Self {
        match v {
            Some(x) => OptI64(x),
            None => Self::NONE,
        }
    }

    pub fn get(self) -> Option<i64> {
        (self.0 != i64::MIN).then_some(self.0)
    }

    pub fn is_some(self) -> bool {
        self.0 != i64::MIN
    }

    pub fn is_none(self) -> bool {
        self.0 == i64::MIN
    }
}

impl Default for OptI64 {
    fn default() -> Self {
        Self::NONE
    }
}

impl From<OptI64> for Option<i64> {
    fn from(v: OptI64) -> Self {
        v.get()
    }
}

/// An optional socket address: `Option<SocketAddr>` in 16 bytes.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum OptAddr {
    #[default]
    None,
    V4(Ipv4Addr, u16),
    V6(Box<SocketAddrV6>),
}

impl OptAddr {
    pub fn new(v: Option<SocketAddr>) -> Self {
        match v {
            None => OptAddr::None,
            Some(SocketAddr::V4(a)) => OptAddr::V4(*a.ip(), a.port()),
            Some(SocketAddr::V6(a)) => OptAddr::V6(Box::new(a)),
        }
    }

    pub fn get(&self) -> Option<SocketAddr> {
        match self {
            OptAddr::None => None,
            OptAddr::V4(ip, port) => Some(SocketAddr::V4(SocketAddrV4::new(*ip, *port))),
            OptAddr::V6(a) => Some(SocketAddr::V6(**a)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_bytes_each() {
        assert_eq!(std::mem::size_of::<OptF64>(), 8);
        assert_eq!(std::mem::size_of::<OptI64>(), 8);
        assert_eq!(std::mem::size_of::<OptAddr>(), 16);
    }

    #[test]
    fn an_address_reads_back_as_it_went_in() {
        for a in [
            None,
            Some("10.1.8.82:32020"),
            Some("0.0.0.0:0"),
            Some("[2001:db8::1]:5004"),
            Some("[fe80::1%3]:5004"),
        ] {
            let v: Option<SocketAddr> = a.map(|a| a.parse().unwrap());
            let c = OptAddr::new(v);
            assert_eq!(c.get(), v);
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                serde_json::to_string(&v).unwrap()
            );
            assert_eq!(format!("{c:?}"), format!("{v:?}"));
        }
    }

    #[test]
    fn they_read_serialize_and_print_as_the_option_they_stand_for() {
        for v in [
            None,
            Some(0.0),
            Some(-0.0),
            Some(73.71),
            Some(-1.5),
            Some(1e300),
        ] {
            let c = OptF64::new(v);
            assert_eq!(c.get().map(f64::to_bits), v.map(f64::to_bits));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                serde_json::to_string(&v).unwrap()
            );
            assert_eq!(format!("{c:?}"), format!("{v:?}"));
        }
        assert_eq!(OptF64::new(Some(f64::NAN)).get(), None);
        assert_eq!(OptF64::default().get(), None);
        for v in [
            None,
            Some(0),
            Some(-1),
            Some(i64::MAX),
            Some(1_710_252_000_013_643_000),
        ] {
            let c = OptI64::new(v);
            assert_eq!(c.get(), v);
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                serde_json::to_string(&v).unwrap()
            );
            assert_eq!(format!("{c:?}"), format!("{v:?}"));
        }
        assert_eq!(OptI64::default().get(), None);
    }
}
