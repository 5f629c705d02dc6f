//! Distribution functions the design math needs: the standard normal CDF and quantile,
//! log-gamma, the regularized incomplete beta function and its inverse, and the binomial,
//! hypergeometric and Poisson cumulative distribution functions.
//!
//! Everything here is `f64`, deterministic and free of I/O. Accuracy is close to machine
//! precision for the arguments the design math uses (tested against published values).

use std::f64::consts::{PI, SQRT_2};

/// Standard normal cumulative distribution function Φ(x) = ½·erfc(−x/√2).
///
/// Source: Abramowitz & Stegun (1964) 7.1.2 and 26.2.2; `erfc` from the `libm` crate
/// (a port of FreeBSD's msun, accurate to < 1 ulp).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / SQRT_2)
}

/// Standard normal density φ(x) = exp(−x²/2)/√(2π).
pub fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

/// Upper-tail standard normal quantile: the x with Q(x) = 1 − Φ(x) = `q`, for q in (0, 1).
///
/// Starts from Abramowitz & Stegun (1964) 26.2.23 (|error| < 4.5·10⁻⁴) and refines with
/// three Halley steps on Q(x) = ½·erfc(x/√2), which brings it to machine precision.
/// Working on the upper tail directly keeps full relative precision for small `q`
/// (q = (1 − C)/2 for a two-sided interval at confidence C).
pub fn normal_upper_quantile(q: f64) -> f64 {
    if q.is_nan() || q <= 0.0 {
        return f64::INFINITY;
    }
    if q >= 1.0 {
        return f64::NEG_INFINITY;
    }
    if q > 0.5 {
        return -normal_upper_quantile(1.0 - q);
    }
    if q == 0.5 {
        return 0.0;
    }
    let t = (-2.0 * q.ln()).sqrt();
    let mut x = t
        - (2.515517 + 0.802853 * t + 0.010328 * t * t)
            / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
    for _ in 0..3 {
        let f = 0.5 * libm::erfc(x / SQRT_2) - q;
        let pdf = normal_pdf(x);
        if pdf == 0.0 {
            break;
        }
        // Halley step for f(x) = Q(x) − q with f' = −φ(x), f'' = x·φ(x).
        let u = -f / pdf;
        x -= u / (1.0 + 0.5 * u * x);
    }
    x
}

/// Standard normal quantile Φ⁻¹(p) for p in (0, 1).
pub fn normal_quantile(p: f64) -> f64 {
    if p < 0.5 {
        -normal_upper_quantile(p)
    } else {
        normal_upper_quantile(1.0 - p)
    }
}

/// The two-sided critical value z = Φ⁻¹(1 − (1 − C)/2) for confidence C in (0, 1)
/// (C = 0.95 gives 1.959963984540054).
pub fn z_two_sided(confidence: f64) -> f64 {
    normal_upper_quantile((1.0 - confidence) / 2.0)
}

/// Natural logarithm of the gamma function, ln Γ(x), x > 0 (`libm::lgamma`).
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// ln C(n, k), the logarithm of the binomial coefficient, via ln Γ. `k ≤ n`.
pub fn ln_choose(n: u64, k: u64) -> f64 {
    debug_assert!(k <= n);
    if k == 0 || k == n {
        return 0.0;
    }
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// Continued fraction for the incomplete beta function, evaluated by the modified Lentz
/// method. Source: Press et al., *Numerical Recipes* (3rd ed., 2007) §6.4, `betacf`.
fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const MAX_ITER: usize = 100_000;
    const EPS: f64 = 1e-16;
    const FPMIN: f64 = 1e-300;
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < FPMIN {
        d = FPMIN;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=MAX_ITER {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < FPMIN {
            d = FPMIN;
        }
        c = 1.0 + aa / c;
        if c.abs() < FPMIN {
            c = FPMIN;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < FPMIN {
            d = FPMIN;
        }
        c = 1.0 + aa / c;
        if c.abs() < FPMIN {
            c = FPMIN;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// Regularized incomplete beta function I_x(a, b), a, b > 0, x in [0, 1].
///
/// Source: Press et al., *Numerical Recipes* (3rd ed., 2007) §6.4 (continued fraction,
/// with the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) for x > (a + 1)/(a + b + 2)).
pub fn reg_inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (-x).ln_1p();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b
    }
}

/// Quantile of the Beta(a, b) distribution: the x in [0, 1] with I_x(a, b) = p.
///
/// Solved by bisection on the monotone I_x(a, b) to an absolute tolerance below 10⁻¹⁶;
/// slow next to Newton, but it cannot diverge, which matters more for interval bounds.
pub fn beta_quantile(p: f64, a: f64, b: f64) -> f64 {
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi || hi - lo < 1e-17 {
            break;
        }
        if reg_inc_beta(a, b, mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Two-sided Student t critical value t_{df, 1 − (1 − C)/2} for df > 0 degrees of freedom.
///
/// From the relation P(|T| > t) = I_{df/(df + t²)}(df/2, 1/2) (Abramowitz & Stegun 1964,
/// 26.7.1 and 26.5.27): x = B⁻¹(1 − C; df/2, 1/2), t = √(df·(1 − x)/x).
pub fn t_two_sided(confidence: f64, df: f64) -> f64 {
    let x = beta_quantile(1.0 - confidence, df / 2.0, 0.5);
    if x <= 0.0 {
        return f64::INFINITY;
    }
    (df * (1.0 - x) / x).sqrt()
}

/// Binomial CDF P(X ≤ k) for X ~ Binomial(n, p): I_{1−p}(n − k, k + 1).
///
/// Source: Abramowitz & Stegun (1964) 26.5.24.
pub fn binomial_cdf(k: u64, n: u64, p: f64) -> f64 {
    if k >= n {
        return 1.0;
    }
    if p <= 0.0 {
        return 1.0;
    }
    if p >= 1.0 {
        return 0.0;
    }
    reg_inc_beta((n - k) as f64, k as f64 + 1.0, 1.0 - p)
}

/// Relative tolerance under which a tail probability counts as equal to the risk α it is
/// compared with. Exact arithmetic puts some tails exactly at α (n = 1, k = 0, M = 0.975·N:
/// P = 0.025); floating point puts them a few ulps to either side. Every "tail ≤ α" decision
/// in urval ([`within_risk`]) treats a tail within a relative 10⁻¹⁰ of α as equal to it, as
/// the published tables do (P ≤ α).
pub const RISK_TOLERANCE: f64 = 1e-10;

/// Whether a tail probability is at most α, with [`RISK_TOLERANCE`].
pub fn within_risk(tail: f64, alpha: f64) -> bool {
    tail <= alpha * (1.0 + RISK_TOLERANCE)
}

const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Stirling's error δ(n) = ln n! − (n + ½) ln n + n − ln √(2π), for n > 0: directly for
/// n ≤ 15, by its asymptotic series 1/12n − 1/360n³ + 1/1260n⁵ − 1/1680n⁷ + 1/1188n⁹ above
/// (Loader 2000, "Fast and accurate computation of binomial probabilities").
fn stirling_error(n: f64) -> f64 {
    if n <= 15.0 {
        return ln_gamma(n + 1.0) - (n + 0.5) * n.ln() + n - LN_SQRT_2PI;
    }
    let nn = n * n;
    (1.0 / 12.0
        - (1.0 / 360.0 - (1.0 / 1260.0 - (1.0 / 1680.0 - 1.0 / 1188.0 / nn) / nn) / nn) / nn)
        / n
}

/// The deviance term D(x, np) = x ln(x/np) + np − x, by its series when x is near np so that
/// no digits cancel (Loader 2000).
fn deviance(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        let mut ej = 2.0 * x * v;
        let v2 = v * v;
        for j in 1..1000 {
            ej *= v2;
            let s1 = s + ej / f64::from(2 * j + 1);
            if s1 == s {
                return s1;
            }
            s = s1;
        }
        return s;
    }
    x * (x / np).ln() + np - x
}

/// The binomial probability C(n, x) pˣ qⁿ⁻ˣ in Loader's saddle-point form, accurate to a few
/// ulps for n up to 10¹⁸ (no difference of large logarithms).
fn binomial_pmf_raw(x: f64, n: f64, p: f64, q: f64) -> f64 {
    if p <= 0.0 {
        return if x == 0.0 { 1.0 } else { 0.0 };
    }
    if q <= 0.0 {
        return if x == n { 1.0 } else { 0.0 };
    }
    if x == 0.0 {
        if n == 0.0 {
            return 1.0;
        }
        let lc = if p < 0.1 {
            -deviance(n, n * q) - n * p
        } else {
            n * q.ln()
        };
        return lc.exp();
    }
    if x == n {
        let lc = if q < 0.1 {
            -deviance(n, n * p) - n * q
        } else {
            n * p.ln()
        };
        return lc.exp();
    }
    if x < 0.0 || x > n {
        return 0.0;
    }
    let lc = stirling_error(n)
        - stirling_error(x)
        - stirling_error(n - x)
        - deviance(x, n * p)
        - deviance(n - x, n * q);
    let lf = 2.0 * LN_SQRT_2PI + x.ln() + (-x / n).ln_1p();
    (lc - 0.5 * lf).exp()
}

/// The hypergeometric probability P(X = x) = C(M, x)·C(N − M, n − x)/C(N, n), as a ratio of
/// three binomial probabilities at p = n/N (Loader 2000; the method of R's `dhyper`).
pub fn hypergeometric_pmf(x: u64, population: u64, marked: u64, n: u64) -> f64 {
    let (big, m, n) = (population, marked.min(population), n.min(population));
    if x > n || x > m || n - x > big - m {
        return 0.0;
    }
    let bf = big as f64;
    let p = n as f64 / bf;
    let q = (big - n) as f64 / bf;
    let p1 = binomial_pmf_raw(x as f64, m as f64, p, q);
    let p2 = binomial_pmf_raw((n - x) as f64, (big - m) as f64, p, q);
    let p3 = binomial_pmf_raw(n as f64, bf, p, q);
    p1 * p2 / p3
}

/// Σ of the pmf from `x` away from the mode (down when `down`), by the ratio of successive
/// terms, until the terms no longer change the sum.
fn hypergeometric_tail_sum(x: u64, big: u64, m: u64, n: u64, down: bool) -> f64 {
    let (lo, hi) = ((n + m).saturating_sub(big), n.min(m));
    let mut term = hypergeometric_pmf(x, big, m, n);
    let mut sum = term;
    let mut i = x;
    loop {
        if term == 0.0 || term < sum * 1e-18 {
            break;
        }
        let xf = i as f64;
        if down {
            if i <= lo {
                break;
            }
            // pmf(x − 1)/pmf(x) = x (N − M − n + x) / ((M − x + 1)(n − x + 1)).
            term *= xf * (big - m + i - n) as f64 / ((m - i + 1) as f64 * (n - i + 1) as f64);
            i -= 1;
        } else {
            if i >= hi {
                break;
            }
            // pmf(x + 1)/pmf(x) = (M − x)(n − x) / ((x + 1)(N − M − n + x + 1)).
            term *= (m - i) as f64 * (n - i) as f64 / ((xf + 1.0) * (big - m + i + 1 - n) as f64);
            i += 1;
        }
        sum += term;
    }
    sum
}

/// Hypergeometric CDF P(X ≤ k) for X the number of marked units in a simple random sample
/// of `n` from a population of `population` units of which `marked` are marked
/// (Cochran 1977 §3.2; Johnson, Kemp & Kotz, *Univariate Discrete Distributions*, ch. 6).
///
/// The smaller tail is summed from its end nearest the mode by the ratio of successive
/// probabilities, starting from [`hypergeometric_pmf`] (Loader's form), so a tail near a
/// risk α is accurate to about 10⁻¹³ relative even for N = 10⁶ and beyond (a sum of
/// exp(ln C − ln C) terms loses about 10⁻⁹ there).
pub fn hypergeometric_cdf(k: u64, population: u64, marked: u64, n: u64) -> f64 {
    let big_n = population;
    let m = marked.min(big_n);
    let n = n.min(big_n);
    let x_min = (n + m).saturating_sub(big_n);
    let x_max = n.min(m);
    if k < x_min {
        return 0.0;
    }
    if k >= x_max {
        return 1.0;
    }
    let mode = ((n as f64 + 1.0) * (m as f64 + 1.0) / (big_n as f64 + 2.0)).floor() as u64;
    if k <= mode {
        hypergeometric_tail_sum(k, big_n, m, n, true).min(1.0)
    } else {
        (1.0 - hypergeometric_tail_sum(k + 1, big_n, m, n, false)).clamp(0.0, 1.0)
    }
}

/// The upper tail P(X ≥ k) of the hypergeometric distribution, summed directly when it is
/// the smaller tail (see [`hypergeometric_cdf`]).
pub fn hypergeometric_upper_tail(k: u64, population: u64, marked: u64, n: u64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let big_n = population;
    let m = marked.min(big_n);
    let n = n.min(big_n);
    let x_max = n.min(m);
    if k > x_max {
        return 0.0;
    }
    let mode = ((n as f64 + 1.0) * (m as f64 + 1.0) / (big_n as f64 + 2.0)).floor() as u64;
    if k > mode {
        hypergeometric_tail_sum(k, big_n, m, n, false).min(1.0)
    } else {
        (1.0 - hypergeometric_cdf(k - 1, big_n, m, n)).clamp(0.0, 1.0)
    }
}

/// Poisson CDF P(X ≤ k) for X ~ Poisson(λ): Σ_{x ≤ k} e^{−λ} λ^x / x!, summed in log space.
pub fn poisson_cdf(k: u64, lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 1.0;
    }
    let ln_lambda = lambda.ln();
    let mut sum = 0.0;
    for x in 0..=k {
        let xf = x as f64;
        sum += (-lambda + xf * ln_lambda - ln_gamma(xf + 1.0)).exp();
    }
    sum.min(1.0)
}

/// SplitMix64 uniforms in [0, 1) (Steele, Lea & Flood 2014): a plain, reproducible stream
/// for the simulation tests.
#[cfg(test)]
pub(crate) fn splitmix(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as f64 / 2f64.powi(64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn normal_quantiles_match_published_values() {
        // Abramowitz & Stegun Table 26.5 / any statistics text: z_{0.975} = 1.959963984540054.
        assert_relative_eq!(z_two_sided(0.95), 1.959_963_984_540_054, epsilon = 1e-14);
        assert_relative_eq!(z_two_sided(0.90), 1.644_853_626_951_472_2, epsilon = 1e-14);
        assert_relative_eq!(z_two_sided(0.99), 2.575_829_303_548_900_4, epsilon = 1e-13);
        assert_relative_eq!(normal_quantile(0.5), 0.0);
        assert_relative_eq!(
            normal_quantile(0.025),
            -1.959_963_984_540_054,
            epsilon = 1e-14
        );
        assert_relative_eq!(
            normal_upper_quantile(1e-10),
            6.361_340_902_404_056,
            epsilon = 1e-12
        );
        for &p in &[1e-12, 1e-6, 0.01, 0.2, 0.49, 0.51, 0.8, 0.99, 1.0 - 1e-9] {
            assert_relative_eq!(normal_cdf(normal_quantile(p)), p, max_relative = 1e-10);
        }
    }

    #[test]
    fn student_t_published_values() {
        // Any t table: t_{0.975} with 1, 10 and 30 degrees of freedom.
        assert_relative_eq!(
            t_two_sided(0.95, 1.0),
            12.706_204_736_174_7,
            max_relative = 1e-9
        );
        assert_relative_eq!(
            t_two_sided(0.95, 10.0),
            2.228_138_851_986_274,
            max_relative = 1e-9
        );
        assert_relative_eq!(
            t_two_sided(0.95, 30.0),
            2.042_272_456_301_238,
            max_relative = 1e-9
        );
        assert!((t_two_sided(0.95, 1e6) - z_two_sided(0.95)).abs() < 1e-5);
    }

    #[test]
    fn incomplete_beta_known_values() {
        // I_x(1, b) = 1 − (1 − x)^b and I_x(a, 1) = x^a.
        assert_relative_eq!(
            reg_inc_beta(1.0, 29.0, 0.1),
            1.0 - 0.9_f64.powi(29),
            epsilon = 1e-15
        );
        assert_relative_eq!(reg_inc_beta(3.0, 1.0, 0.4), 0.064, epsilon = 1e-15);
        // Symmetric: I_0.5(a, a) = 0.5.
        assert_relative_eq!(reg_inc_beta(7.5, 7.5, 0.5), 0.5, epsilon = 1e-14);
        assert_relative_eq!(
            beta_quantile(0.95, 1.0, 29.0),
            1.0 - 0.05_f64.powf(1.0 / 29.0),
            epsilon = 1e-14
        );
    }

    #[test]
    fn binomial_and_poisson_cdfs() {
        assert_relative_eq!(
            binomial_cdf(0, 29, 0.1),
            0.9_f64.powi(29),
            max_relative = 1e-13
        );
        assert_relative_eq!(
            binomial_cdf(0, 59, 0.05),
            0.95_f64.powi(59),
            max_relative = 1e-13
        );
        // P(X ≤ 1) = (1−p)^n + n p (1−p)^{n−1}.
        let exact = 0.95_f64.powi(93) + 93.0 * 0.05 * 0.95_f64.powi(92);
        assert_relative_eq!(binomial_cdf(1, 93, 0.05), exact, max_relative = 1e-12);
        assert_relative_eq!(poisson_cdf(0, 3.0), (-3.0_f64).exp(), max_relative = 1e-14);
        assert_relative_eq!(
            poisson_cdf(2, 1.0),
            2.5 * (-1.0_f64).exp(),
            max_relative = 1e-14
        );
    }

    #[test]
    fn hypergeometric_cdf_small_case() {
        // N = 10, M = 3, n = 4: P(X = 0) = C(7,4)/C(10,4) = 35/210.
        assert_relative_eq!(
            hypergeometric_cdf(0, 10, 3, 4),
            35.0 / 210.0,
            max_relative = 1e-12
        );
        // P(X ≤ 1) = (35 + 3·35)/210 = 140/210.
        assert_relative_eq!(
            hypergeometric_cdf(1, 10, 3, 4),
            140.0 / 210.0,
            max_relative = 1e-12
        );
        assert_eq!(hypergeometric_cdf(3, 10, 3, 4), 1.0);
        // A census (n = N) observes exactly M.
        assert_eq!(hypergeometric_cdf(2, 10, 3, 10), 0.0);
        assert_eq!(hypergeometric_cdf(3, 10, 3, 10), 1.0);
    }

    fn choose_exact(n: u64, k: u64) -> u128 {
        let mut c: u128 = 1;
        for i in 0..k.min(n - k) {
            c = c * u128::from(n - i) / u128::from(i + 1);
        }
        c
    }

    proptest::proptest! {
        /// The CDF and upper tail agree with exact integer arithmetic (C(N, n) in u128) to
        /// 10⁻¹² relative, in both tails.
        #[test]
        fn hypergeometric_tails_match_exact_rationals(big in 1u64..=90, m in 0u64..=90, n in 0u64..=90, k in 0u64..=90) {
            let (m, n) = (m.min(big), n.min(big));
            let k = k.min(n);
            let den = choose_exact(big, n) as f64;
            let pmf = |x: u64| -> f64 {
                if x > m || n - x > big - m { 0.0 } else {
                    (choose_exact(m, x) * choose_exact(big - m, n - x)) as f64 / den
                }
            };
            let lower: f64 = (0..=k).map(pmf).sum();
            let upper: f64 = (k..=n).map(pmf).sum();
            let got = hypergeometric_cdf(k, big, m, n);
            proptest::prop_assert!((got - lower).abs() <= 1e-12 * lower.max(1e-300) + 1e-15, "cdf {} vs {}", got, lower);
            let got = hypergeometric_upper_tail(k, big, m, n);
            proptest::prop_assert!((got - upper).abs() <= 1e-12 * upper.max(1e-300) + 1e-15, "sf {} vs {}", got, upper);
        }
    }

    #[test]
    fn hypergeometric_tails_are_accurate_at_a_million() {
        // n = 1, k = 0: P(X = 0) = (N − M)/N exactly.
        for m in [0u64, 1, 25_000, 974_999, 975_000, 999_999] {
            let want = (1_000_000 - m) as f64 / 1e6;
            assert_relative_eq!(
                hypergeometric_cdf(0, 1_000_000, m, 1),
                want,
                max_relative = 1e-14
            );
        }
        // n = 2, k = 0: (N − M)(N − M − 1)/(N(N − 1)).
        let (big, m) = (1_000_000u64, 160_000u64);
        let want = ((big - m) as f64 * (big - m - 1) as f64) / (big as f64 * (big - 1) as f64);
        assert_relative_eq!(hypergeometric_cdf(0, big, m, 2), want, max_relative = 1e-14);
        assert!(within_risk(0.025, 1.0 - 0.975));
        assert!(!within_risk(0.025_000_01, 0.025));
    }
}
