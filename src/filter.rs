//! Filters shared by `analyze`, `calls`, `registrations` and `messages`:
//! `--call-id`, `--user`, `--ip`, `--from`, `--to`, `--method`, `--code`,
//! validated once from the raw flags.
//!
//! Messages are filtered one by one (for `messages` and the traffic counts).
//! Calls and registrations are filtered as records, after the model has seen
//! every message: cutting messages before the model would break transactions
//! and turn answered calls into unanswered ones.

use crate::model::call::CallRecord;
use crate::model::registration::RegistrationAttempt;
use crate::sip::SipMessage;
use std::collections::BTreeSet;
use std::net::IpAddr;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    pub call_ids: Vec<String>,
    /// User parts (From, To, Request-URI, AOR), compared case-insensitively.
    pub users: Vec<String>,
    pub ips: Vec<IpAddr>,
    pub from_ns: Option<i64>,
    pub to_ns: Option<i64>,
    /// Request methods (a response matches by its CSeq method).
    pub methods: Vec<String>,
    pub codes: Vec<u16>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FilterError {
    #[error("--{flag} {value:?}: {why}")]
    Bad {
        flag: &'static str,
        value: String,
        why: &'static str,
    },
}

fn bad(flag: &'static str, value: &str, why: &'static str) -> FilterError {
    FilterError::Bad {
        flag,
        value: value.to_string(),
        why,
    }
}

/// The user part of a SIP URI or name-addr ("\"Al\" <sip:alice@x;t=1>" → "alice").
pub fn user_of(uri: &str) -> &str {
    let s = uri.rsplit_once('<').map_or(uri, |(_, r)| r);
    let s = s.split_once(':').map_or(s, |(_, r)| r);
    match s.split_once('@') {
        Some((u, _)) => u.split(';').next().unwrap_or(u),
        None => "",
    }
}

/// Parses a time: RFC 3339 (`2024-03-01T12:00:00Z`, fractions and offsets allowed, a space
/// instead of the T too) or seconds since the epoch (`1709294400.5`).
pub fn parse_time(s: &str) -> Option<i64> {
    let t = s.trim();
    if let Ok(secs) = t.parse::<f64>() {
        return secs.is_finite().then(|| (secs * 1e9).round() as i64);
    }
    let b = t.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &t[19..];
    let mut frac_ns = 0i64;
    if let Some(r) = rest.strip_prefix('.') {
        let digits: String = r.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.is_empty() {
            return None;
        }
        let mut padded = digits.clone();
        padded.truncate(9);
        while padded.len() < 9 {
            padded.push('0');
        }
        frac_ns = padded.parse().ok()?;
        rest = &r[digits.len()..];
    }
    let offset_s = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hh: i64 = rest.get(1..3)?.parse().ok()?;
            let mm: i64 = rest.get(4..6)?.parse().ok()?;
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            sign * (hh * 3600 + mm * 60)
        }
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    Some(((days * 86_400 + h * 3600 + mi * 60 + se - offset_s) * 1_000_000_000) + frac_ns)
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Filter {
    /// Validates the raw flag values.
    pub fn new(
        call_ids: &[String],
        users: &[String],
        ips: &[String],
        from: Option<&str>,
        to: Option<&str>,
        methods: &[String],
        codes: &[u16],
    ) -> Result<Filter, FilterError> {
        let ips = ips
            .iter()
            .map(|s| {
                s.parse::<IpAddr>()
                    .map_err(|_| bad("ip", s, "not an IPv4 or IPv6 address"))
            })
            .collect::<Result<_, _>>()?;
        let time = |flag, v: Option<&str>| -> Result<Option<i64>, FilterError> {
            v.map(|s| {
                parse_time(s).ok_or_else(|| {
                    bad(
                        flag,
                        s,
                        "not a time (use 2024-03-01T12:00:00Z or seconds since the epoch)",
                    )
                })
            })
            .transpose()
        };
        let (from_ns, to_ns) = (time("from", from)?, time("to", to)?);
        if let (Some(a), Some(b)) = (from_ns, to_ns) {
            if a > b {
                return Err(bad("to", to.unwrap_or(""), "is before --from"));
            }
        }
        for c in codes {
            if !(100..=699).contains(c) {
                return Err(bad(
                    "code",
                    &c.to_string(),
                    "status codes run from 100 to 699",
                ));
            }
        }
        Ok(Filter {
            call_ids: call_ids.to_vec(),
            users: users.iter().map(|u| u.to_lowercase()).collect(),
            ips,
            from_ns,
            to_ns,
            // `--method invite` means INVITE: methods are upper case on the wire in practice.
            methods: methods.iter().map(|m| m.to_ascii_uppercase()).collect(),
            codes: codes.to_vec(),
        })
    }

    pub fn is_empty(&self) -> bool {
        // Field by field (a new field fails to compile here until it is added), not
        // by building a default filter to compare with: this runs for every message.
        let Filter {
            call_ids,
            users,
            ips,
            from_ns,
            to_ns,
            methods,
            codes,
        } = self;
        call_ids.is_empty()
            && users.is_empty()
            && ips.is_empty()
            && from_ns.is_none()
            && to_ns.is_none()
            && methods.is_empty()
            && codes.is_empty()
    }

    fn time_ok(&self, ts: i64) -> bool {
        self.from_ns.is_none_or(|f| ts >= f) && self.to_ns.is_none_or(|t| ts <= t)
    }

    fn user_ok<'a>(&self, uris: impl IntoIterator<Item = &'a str>) -> bool {
        self.users.is_empty()
            || uris.into_iter().any(|u| {
                self.users
                    .iter()
                    .any(|w| user_of(u).eq_ignore_ascii_case(w))
            })
    }

    fn ip_ok(&self, addrs: impl IntoIterator<Item = IpAddr>) -> bool {
        self.ips.is_empty() || addrs.into_iter().any(|a| self.ips.contains(&a))
    }

    pub fn message(&self, m: &SipMessage) -> bool {
        if self.is_empty() {
            return true;
        }
        let cid = m.call_id().map(String::from_utf8_lossy);
        let lossy = |v: Option<&[u8]>| {
            v.map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default()
        };
        let method = match m.method() {
            Some(x) => lossy(Some(x)),
            None => lossy(m.cseq().map(|c| c.1)),
        };
        (self.call_ids.is_empty() || cid.is_some_and(|c| self.call_ids.iter().any(|w| *w == c)))
            && self.user_ok([
                lossy(m.from_uri()).as_str(),
                lossy(m.to_uri()).as_str(),
                lossy(m.request_uri()).as_str(),
            ])
            && self.ip_ok([m.src.ip(), m.dst.ip()])
            && self.time_ok(m.ts_ns)
            && (self.methods.is_empty()
                || self.methods.iter().any(|w| w.eq_ignore_ascii_case(&method)))
            && (self.codes.is_empty() || m.status().is_some_and(|c| self.codes.contains(&c)))
    }

    pub fn call(&self, c: &CallRecord) -> bool {
        let legs = c.legs.iter().flat_map(|l| [l.client.ip(), l.server.ip()]);
        (self.call_ids.is_empty() || self.call_ids.iter().any(|id| **id == *c.call_id))
            && self.user_ok([&*c.from_uri, &*c.to_uri, &*c.request_uri])
            && self.ip_ok(
                [c.caller.ip(), c.first_hop.ip(), c.destination.ip()]
                    .into_iter()
                    .chain(legs),
            )
            && self.time_ok(c.start_ns)
            && (self.methods.is_empty() || self.methods.iter().any(|m| m == "INVITE"))
            && (self.codes.is_empty() || c.final_code.is_some_and(|f| self.codes.contains(&f)))
    }

    pub fn registration(&self, a: &RegistrationAttempt) -> bool {
        (self.call_ids.is_empty() || self.call_ids.contains(&a.call_id))
            && self.user_ok([a.aor.as_str()])
            && self.ip_ok([a.client.ip(), a.registrar.ip()])
            && self.time_ok(a.first_ts_ns)
            && (self.methods.is_empty() || self.methods.iter().any(|m| m == "REGISTER"))
            && (self.codes.is_empty() || a.final_code.is_some_and(|f| self.codes.contains(&f)))
    }
}

/// The Call-IDs meant by those given to `flow`, `show` and `export`, among the
/// Call-IDs `seen` that start with one of them: each given ID exactly when it
/// was seen whole, else the one seen Call-ID it starts. An ID that starts
/// several is an error naming a few of them; one that starts none is left out.
pub fn resolve_call_ids(
    seen: &BTreeSet<Vec<u8>>,
    given: &[String],
) -> Result<BTreeSet<Vec<u8>>, String> {
    let mut wanted = BTreeSet::new();
    for id in given {
        let id = id.as_bytes();
        if seen.contains(id) {
            wanted.insert(id.to_vec());
            continue;
        }
        let matching: Vec<&Vec<u8>> = seen.iter().filter(|s| s.starts_with(id)).collect();
        match matching.as_slice() {
            [] => {}
            [one] => {
                wanted.insert(one.to_vec());
            }
            many => {
                let names: Vec<String> = many
                    .iter()
                    .take(5)
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect();
                return Err(format!(
                    "{} Call-IDs start with {}: {}{}; give more of it",
                    many.len(),
                    String::from_utf8_lossy(id),
                    names.join(", "),
                    if many.len() > 5 { ", …" } else { "" }
                ));
            }
        }
    }
    Ok(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_is_empty_only_with_no_condition_at_all() {
        assert!(Filter::default().is_empty());
        let set: [fn(&mut Filter); 7] = [
            |f| f.call_ids.push("c".into()),
            |f| f.users.push("u".into()),
            |f| f.ips.push("10.0.0.1".parse().unwrap()),
            |f| f.from_ns = Some(0),
            |f| f.to_ns = Some(0),
            |f| f.methods.push("INVITE".into()),
            |f| f.codes.push(404),
        ];
        for s in set {
            let mut f = Filter::default();
            s(&mut f);
            assert!(!f.is_empty(), "{f:?}");
        }
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("1970-01-01T00:00:01Z"), Some(1_000_000_000));
        assert_eq!(
            parse_time("2024-03-01T12:34:56.123456Z"),
            Some(1_709_296_496_123_456_000)
        );
        assert_eq!(
            parse_time("2024-03-01 14:34:56+02:00"),
            Some(1_709_296_496_000_000_000)
        );
        assert_eq!(parse_time("1709296496.5"), Some(1_709_296_496_500_000_000));
        for bad in [
            "yesterday",
            "2024-13-01T00:00:00Z",
            "2024-03-01T00:00:00+0200",
            "2024-03-01T00:00:00.Z",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_call_id_prefix_resolves_only_when_unique() {
        let seen: BTreeSet<Vec<u8>> = ["abc-1", "abc-2", "xyz", "xyz-long"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let got = resolve_call_ids(&seen, &ids(&["abc-1", "xyz"])).unwrap();
        assert_eq!(got.len(), 2, "exact IDs win over longer ones they start");
        let got = resolve_call_ids(&seen, &ids(&["xyz-l"])).unwrap();
        assert!(got.contains(b"xyz-long".as_slice()));
        assert!(resolve_call_ids(&seen, &ids(&["abc"]))
            .unwrap_err()
            .starts_with("2 Call-IDs start with abc"));
        assert!(resolve_call_ids(&seen, &ids(&["nope"])).unwrap().is_empty());
    }

    #[test]
    fn users_from_uris() {
        assert_eq!(user_of("sip:alice@example.com"), "alice");
        assert_eq!(user_of("\"Bob\" <sips:bob@x;transport=tls>;tag=1"), "bob");
        assert_eq!(user_of("tel:+123"), "");
    }

    #[test]
    fn flags_are_validated() {
        let none: [String; 0] = [];
        assert!(Filter::new(&none, &none, &["10.0.0.300".into()], None, None, &none, &[]).is_err());
        assert!(Filter::new(
            &none,
            &none,
            &none,
            Some("2024-03-02T00:00:00Z"),
            Some("2024-03-01T00:00:00Z"),
            &none,
            &[]
        )
        .is_err());
        assert!(Filter::new(&none, &none, &none, None, None, &none, &[99]).is_err());
        assert!(Filter::new(&none, &none, &none, None, None, &none, &[])
            .unwrap()
            .is_empty());
    }
}
