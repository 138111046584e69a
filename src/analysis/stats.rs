//! Descriptive statistics shared by the analyses: count, min, mean, max and
//! nearest-rank percentiles of a sample (delays in ms, typically).
//!
//! Nearest-rank: the p-th percentile of n sorted values is the value at rank
//! ⌈p/100 × n⌉ (1-based), always one of the values, never interpolated. Over an
//! empty sample every statistic is undefined (`None`), not 0.

use serde::Serialize;

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
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

/// The statistics of `values`, which are sorted in place (NaN is not expected; it would sort last).
pub fn percentiles(values: &mut [f64]) -> Percentiles {
    let n = values.len();
    if n == 0 {
        return Percentiles::default();
    }
    values.sort_unstable_by(f64::total_cmp);
    let rank = |p: u32| {
        // ⌈p × n / 100⌉ in integers, at least 1.
        let r = (p as usize * n).div_ceil(100).max(1);
        Some(values[r - 1])
    };
    Percentiles {
        count: n as u64,
        min: Some(values[0]),
        mean: Some(values.iter().sum::<f64>() / n as f64),
        p50: rank(50),
        p90: rank(90),
        p95: rank(95),
        p99: rank(99),
        max: Some(values[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sample_is_undefined() {
        let p = percentiles(&mut []);
        assert_eq!(p.count, 0);
        assert_eq!(
            (p.min, p.mean, p.p50, p.p99, p.max),
            (None, None, None, None, None)
        );
    }

    #[test]
    fn nearest_rank() {
        // 1..=20 shuffled: p50 = rank 10, p90 = rank 18, p95 = rank 19, p99 = rank 20.
        let mut v: Vec<f64> = (1..=20).rev().map(f64::from).collect();
        let p = percentiles(&mut v);
        assert_eq!(p.count, 20);
        assert_eq!((p.min, p.max, p.mean), (Some(1.0), Some(20.0), Some(10.5)));
        assert_eq!(
            (p.p50, p.p90, p.p95, p.p99),
            (Some(10.0), Some(18.0), Some(19.0), Some(20.0))
        );

        let p = percentiles(&mut [7.0]);
        assert_eq!(
            (p.min, p.p50, p.p99, p.max),
            (Some(7.0), Some(7.0), Some(7.0), Some(7.0))
        );

        // The textbook example: 15, 20, 35, 40, 50 → p30 would be 20; p50 = 35, p90 = p95 = p99 = 50.
        let p = percentiles(&mut [50.0, 15.0, 40.0, 35.0, 20.0]);
        assert_eq!(
            (p.p50, p.p90, p.p95, p.p99),
            (Some(35.0), Some(50.0), Some(50.0), Some(50.0))
        );
    }
}
