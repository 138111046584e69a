//! UTC timestamps for display and CSV, from nanoseconds since the epoch.

/// `2024-03-01T12:34:56.123456Z` (microseconds, like Wireshark's default).
pub fn utc(ts_ns: i64) -> String {
    let secs = ts_ns.div_euclid(1_000_000_000);
    let micros = ts_ns.rem_euclid(1_000_000_000) / 1000;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

/// `2024-03-01T12:34:56.123456789Z`: RFC 3339 with every digit, the text form
/// of `datetime` columns in the output tables (docs/schema.md).
pub fn utc_ns(ts_ns: i64) -> String {
    let u = utc(ts_ns);
    format!("{}{:03}Z", &u[..u.len() - 1], ts_ns.rem_euclid(1000))
}

/// A duration for people: `50.315 s`, `26 min 6.6 s`, `5 h 12 min`, `3 d 4 h`,
/// `16 y 242 d` (a year is 365 days here), so that inputs years apart give a
/// readable span instead of nine digits of seconds.
pub fn span(ns: i64) -> String {
    let s = ns as f64 / 1e9;
    let whole = ns.max(0) / 1_000_000_000;
    let (min, hour, day, year) = (60, 3600, 86_400, 365 * 86_400);
    if s < 120.0 {
        format!("{s:.3} s")
    } else if whole < 2 * hour {
        format!(
            "{} min {:.1} s",
            whole / min,
            s - (whole / min * min) as f64
        )
    } else if whole < 2 * day {
        format!("{} h {} min", whole / hour, whole % hour / min)
    } else if whole < year {
        format!("{} d {} h", whole / day, whole % day / hour)
    } else {
        format!("{} y {} d", whole / year, whole % year / day)
    }
}

/// Howard Hinnant's days → (year, month, day) for the proleptic Gregorian calendar.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_instants() {
        assert_eq!(super::utc(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            super::utc(1_709_296_496_123_456_789),
            "2024-03-01T12:34:56.123456Z"
        );
        assert_eq!(super::utc(-1_000), "1969-12-31T23:59:59.999999Z");
        assert_eq!(
            super::utc_ns(1_709_296_496_123_456_789),
            "2024-03-01T12:34:56.123456789Z"
        );
        assert_eq!(super::utc_ns(-1), "1969-12-31T23:59:59.999999999Z");
    }

    #[test]
    fn spans_years_apart_stay_readable() {
        assert_eq!(super::span(50_315_000_000), "50.315 s");
        assert_eq!(super::span(1_566_588_000_000), "26 min 6.6 s");
        assert_eq!(super::span(18_720_000_000_000), "5 h 12 min");
        assert_eq!(super::span(525_675_405_208_000_000), "16 y 244 d");
    }
}
