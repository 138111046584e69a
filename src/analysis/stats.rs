//! Distribution summaries: count, min, mean, nearest-rank percentiles, max.

use serde::Serialize;

/// A distribution of durations in milliseconds. Every field but `count` is
/// undefined (null) when there are no values: an empty set has no mean, not 0.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub min: Option<f64>,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

/// Nearest-rank percentile (the smallest value with at least p % of values at or below it).
fn rank(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let r = ((p / 100.0) * n as f64).ceil() as usize;
    sorted[r.clamp(1, n) - 1]
}

pub fn percentiles(values: impl IntoIterator<Item = f64>) -> Percentiles {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return Percentiles::default();
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    Percentiles {
        count: v.len() as u64,
        min: Some(round(v[0])),
        mean: Some(round(v.iter().sum::<f64>() / v.len() as f64)),
        p50: Some(round(rank(&v, 50.0))),
        p90: Some(round(rank(&v, 90.0))),
        p95: Some(round(rank(&v, 95.0))),
        p99: Some(round(rank(&v, 99.0))),
        max: Some(round(v[v.len() - 1])),
    }
}

/// A ratio that is undefined (None) when its denominator is zero.
pub fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| ((num as f64 / den as f64) * 10_000.0).round() / 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let p = percentiles((1..=100).map(f64::from));
        assert_eq!(
            (p.count, p.min, p.p50, p.p90, p.p99, p.max),
            (
                100,
                Some(1.0),
                Some(50.0),
                Some(90.0),
                Some(99.0),
                Some(100.0)
            )
        );
        assert_eq!(p.mean, Some(50.5));
        let one = percentiles([7.0]);
        assert_eq!((one.p50, one.p99), (Some(7.0), Some(7.0)));
    }

    #[test]
    fn empty_is_undefined_not_zero() {
        let p = percentiles(std::iter::empty());
        assert_eq!(p.count, 0);
        assert_eq!(p.mean, None);
        assert_eq!(ratio(0, 0), None);
        assert_eq!(ratio(1, 4), Some(0.25));
    }
}
