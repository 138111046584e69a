//! Tests of significance for `diff`: the two-proportion z-test (rates such as
//! ASR) and the two-sample Kolmogorov–Smirnov test (PDD, SRD, RRD
//! distributions), each with its p-value. Pure arithmetic, no dependency:
//! the normal tail from a Chebyshev fit of erfc (Numerical Recipes, relative
//! error < 1.2e-7), the Kolmogorov distribution from its alternating series
//! with the small-sample correction of Stephens (1970).

use serde::Serialize;

/// Complementary error function, fractional error below 1.2e-7 everywhere.
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ProportionTest {
    /// z = (p2 − p1) / SE with the pooled proportion.
    pub z: f64,
    /// Two-sided.
    pub p_value: f64,
}

/// Two-proportion z-test of x1/n1 against x2/n2 (pooled). None when a side
/// has no trials. Both sides all-success or all-failure: no difference
/// (z 0, p 1) rather than 0/0.
pub fn two_proportions(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<ProportionTest> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (x1, n1, x2, n2) = (x1 as f64, n1 as f64, x2 as f64, n2 as f64);
    let pooled = (x1 + x2) / (n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if se == 0.0 {
        return Some(ProportionTest {
            z: 0.0,
            p_value: 1.0,
        });
    }
    let z = (x2 / n2 - x1 / n1) / se;
    Some(ProportionTest {
        z,
        p_value: erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct KsTest {
    /// The largest distance between the two empirical distribution functions.
    pub d: f64,
    pub p_value: f64,
}

/// Q_KS(λ) = 2 Σ (−1)^(j−1) exp(−2 j² λ²), the Kolmogorov tail.
fn kolmogorov_tail(lambda: f64) -> f64 {
    if lambda < 1e-3 {
        return 1.0;
    }
    let mut sum = 0.0;
    let mut sign = 1.0;
    let mut last = 0.0_f64;
    for j in 1..=100 {
        let term = sign * 2.0 * (-2.0 * (j * j) as f64 * lambda * lambda).exp();
        sum += term;
        if term.abs() <= 1e-10 * last.abs().max(sum.abs()) || term.abs() < 1e-300 {
            return sum.clamp(0.0, 1.0);
        }
        last = term;
        sign = -sign;
    }
    // The series did not converge: λ is tiny, the distributions agree.
    1.0
}

/// Two-sample Kolmogorov–Smirnov test on sorted samples. None when a side is empty.
pub fn kolmogorov_smirnov(a: &[f64], b: &[f64]) -> Option<KsTest> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let (n1, n2) = (a.len(), b.len());
    let (mut i, mut j, mut d) = (0, 0, 0.0_f64);
    while i < n1 && j < n2 {
        let x = a[i].min(b[j]);
        // Step past every value equal to x on both sides (ties move together).
        while i < n1 && a[i] <= x {
            i += 1;
        }
        while j < n2 && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n1 as f64 - j as f64 / n2 as f64).abs());
    }
    let ne = (n1 * n2) as f64 / (n1 + n2) as f64;
    let lambda = (ne.sqrt() + 0.12 + 0.11 / ne.sqrt()) * d;
    Some(KsTest {
        d,
        p_value: kolmogorov_tail(lambda),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_known_values() {
        // erfc(0) = 1, erfc(1) = 0.157299207..., erfc(-1) = 1.842700792...
        assert!((erfc(0.0) - 1.0).abs() < 1e-7);
        assert!((erfc(1.0) - 0.157_299_207).abs() < 1e-7);
        assert!((erfc(-1.0) - 1.842_700_793).abs() < 1e-7);
        // two-sided p of z = 1.96 is 0.05
        assert!((erfc(1.96 / std::f64::consts::SQRT_2) - 0.049_996).abs() < 1e-5);
    }

    #[test]
    fn proportions_asr_drop_of_ten_points_on_300_calls_is_significant() {
        // 300/300 against 270/300: z = -5.6, p ≈ 2e-8
        let t = two_proportions(300, 300, 270, 300).unwrap();
        assert!(t.z < -5.0 && t.p_value < 1e-6, "{t:?}");
        // 285/300 against 282/300: noise
        let t = two_proportions(285, 300, 282, 300).unwrap();
        assert!(t.p_value > 0.5, "{t:?}");
        // identical all-success: no difference, not NaN
        assert_eq!(two_proportions(5, 5, 9, 9).unwrap().p_value, 1.0);
        assert_eq!(two_proportions(0, 0, 1, 2), None);
    }

    #[test]
    fn ks_separates_a_shift_and_not_a_resample() {
        let a: Vec<f64> = (0..200).map(|i| 30.0 + (i % 10) as f64 * 0.1).collect();
        let mut a = a;
        a.sort_by(f64::total_cmp);
        let mut shifted: Vec<f64> = a.iter().map(|x| x + 5.0).collect();
        shifted.sort_by(f64::total_cmp);
        let t = kolmogorov_smirnov(&a, &shifted).unwrap();
        assert_eq!(t.d, 1.0);
        assert!(t.p_value < 1e-20, "{t:?}");
        let same = kolmogorov_smirnov(&a, &a).unwrap();
        assert_eq!((same.d, same.p_value), (0.0, 1.0));
        // D = 0.5 with n = m = 10: λ ≈ 1.18, p ≈ 0.12 (tables: 0.1678 exact; the
        // asymptotic form with Stephens' correction is close, not equal)
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let y: Vec<f64> = (5..15).map(f64::from).collect();
        let t = kolmogorov_smirnov(&x, &y).unwrap();
        assert_eq!(t.d, 0.5);
        assert!(t.p_value > 0.08 && t.p_value < 0.2, "{t:?}");
        assert_eq!(kolmogorov_smirnov(&[], &x), None);
    }
}
