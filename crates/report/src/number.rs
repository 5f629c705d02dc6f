//! Numbers written for machines: the shortest decimal that reads back as the same `f64`,
//! laid out exactly as Rust's `Display` (`format!("{v}")`) lays it out.
//!
//! Why not `format!("{v}")`: the standard library's shortest-digit search (Grisu with a
//! Dragon4 fallback) took a quarter of a draw's single-threaded tail (180 ns a number; a
//! manifest of 60,000 rows writes 180,000). The digits here come from the `ryu` crate
//! (Ulf Adams 2018, "Ryū: fast float-to-string conversion", PLDI), which, like the
//! standard library, returns the shortest digit string that rounds back to the same
//! double and, among those, the one nearest the exact value. Only the layout is ours:
//! `ryu` writes `1e-7` and `1.0` where `Display` writes `0.0000001` and `1`, and the
//! files' bytes (manifests, sidecars' checksums) must stay those `Display` wrote. And the
//! two break an exact tie differently (two shortest strings equally near: ryu takes the even
//! last digit, `Display` the larger, e.g. 1658206780088562.25 is `…562.2` and `…562.3`);
//! a tie needs a value whose exact decimal expansion has at most 18 significant digits,
//! which [`tie_possible`] finds from the bits, and those few go to `Display` itself. The
//! tests compare the two on special values, ties, every power of ten and random bit
//! patterns.

/// A reusable formatter of [`Shortest::format`].
#[derive(Default)]
pub struct Shortest {
    ryu: ryu::Buffer,
    out: String,
}

impl Shortest {
    /// A formatter.
    pub fn new() -> Self {
        Self::default()
    }

    /// `v` as `format!("{v}")` writes it (`NaN`, `inf` and `-inf` included).
    pub fn format(&mut self, v: f64) -> &str {
        self.out.clear();
        if !v.is_finite() || tie_possible(v) {
            // The rare cases, left to the standard library.
            use std::fmt::Write as _;
            let _ = write!(self.out, "{v}");
            return &self.out;
        }
        let s = self.ryu.format_finite(v);
        if !s.contains('e') {
            // ryu's decimal form: only its `.0` differs from Display's.
            return s.strip_suffix(".0").unwrap_or(s);
        }
        // Scientific form (`d.ddde-7`): the significant digits and where the decimal point
        // falls.
        let (sign, s) = match s.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", s),
        };
        self.out.push_str(sign);
        let (mantissa, exp) = s
            .split_once('e')
            .map_or((s, 0), |(m, e)| (m, e.parse::<i32>().unwrap_or(0)));
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let frac = frac.trim_end_matches('0');
        let mut digits = String::with_capacity(int.len() + frac.len());
        digits.push_str(int);
        digits.push_str(frac);
        let lead = digits.len() - digits.trim_start_matches('0').len();
        let digits = digits.trim_start_matches('0');
        let point = int.len() as i64 - lead as i64 + i64::from(exp);
        if digits.is_empty() {
            self.out.push('0');
        } else if point <= 0 {
            self.out.push_str("0.");
            self.out.extend(std::iter::repeat_n(
                '0',
                usize::try_from(-point).unwrap_or(0),
            ));
            self.out.push_str(digits);
        } else {
            let point = usize::try_from(point).unwrap_or(0);
            if point >= digits.len() {
                self.out.push_str(digits);
                self.out
                    .extend(std::iter::repeat_n('0', point - digits.len()));
            } else {
                self.out.push_str(&digits[..point]);
                self.out.push('.');
                self.out.push_str(&digits[point..]);
            }
        }
        &self.out
    }
}

/// Whether two shortest decimal strings of `v` can be equally near it (then `ryu` and
/// `Display` may differ in the last digit).
///
/// A tie between two strings of L ≤ 17 significant digits puts `v` exactly halfway, so `v`'s
/// exact decimal expansion has L + 1 ≤ 18 significant digits. Write `v = m·2^e` with `m`
/// odd. For e < 0, `v = m·5^(−e) / 10^(−e)` and `m·5^(−e)` is odd, so the expansion has as
/// many significant digits as that integer: more than 18 once −e > 26 (5^27 > 10^18). For
/// e ≥ 0, `v` is an integer; below 2^53 every integer is a double, so its shortest string is
/// its own digits and nothing ties. Everything else is reported (a superset of the ties).
fn tie_possible(v: f64) -> bool {
    const TWO_POW_53: f64 = 9_007_199_254_740_992.0;
    let bits = v.to_bits();
    let exp = i32::try_from((bits >> 52) & 0x7ff).unwrap_or(0);
    let frac = bits & ((1u64 << 52) - 1);
    let (m, e) = if exp == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), exp - 1075)
    };
    if m == 0 {
        return false;
    }
    let e = e + i32::try_from(m.trailing_zeros()).unwrap_or(0);
    if e >= 0 {
        v.abs() >= TWO_POW_53
    } else {
        -e <= 26
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 1658206780088562.25 exactly: halfway between …562.2 and …562.3.
    const TIE: f64 = f64::from_bits(0x4317_9085_685d_83c9);

    fn same(v: f64) {
        let mut s = Shortest::new();
        assert_eq!(s.format(v), format!("{v}"), "bits {:#x}", v.to_bits());
    }

    #[test]
    fn writes_what_display_writes() {
        for v in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.3,
            33.358695652173914,
            0.029977191267513848,
            0.009013172413426696,
            1e-7,
            1.5e-7,
            9.999999999999999e-6,
            1e-5,
            1e15,
            1e16,
            1e17,
            1.2345678901234568e17,
            1e21,
            1e22,
            1e300,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            f64::EPSILON,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1.0 / 3.0,
            2.0 / 3.0,
            123456.789,
            (1u64 << 53) as f64,
            1.0 / (1u64 << 53) as f64,
            // Exact ties: ryu's even digit against Display's larger one.
            TIE,
            0.5,
            0.125,
            33.25,
            12345678901234567500.0,
            9_007_199_254_740_993.0,
            (1u64 << 60) as f64,
        ] {
            same(v);
        }
        for e in -330..=310 {
            let v: f64 = format!("1e{e}").parse().unwrap();
            same(v);
            same(-v);
            same(v * 7.0);
        }
        // Every k / 2^53 a PRN can be near both ends, and weights N/n.
        for k in [1u64, 2, 3, 10, 1000, (1 << 53) - 1, (1 << 52) + 1] {
            same(k as f64 / (1u64 << 53) as f64);
        }
        for big_n in [1u64, 7, 92, 3069, 1_000_000] {
            for n in [1u64, 3, 92] {
                same(big_n as f64 / n as f64);
                same(n as f64 / big_n as f64);
            }
        }
    }

    #[test]
    fn writes_what_display_writes_on_many_bit_patterns() {
        // A fixed xorshift sequence of bit patterns: every exponent and mantissa shape.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            same(f64::from_bits(x));
        }
    }

    #[test]
    fn ties_are_found_only_where_they_can_be() {
        assert!(tie_possible(TIE));
        assert!(tie_possible(0.5));
        assert!(tie_possible((1u64 << 60) as f64));
        // A PRN k/2^53 with few trailing zero bits, a weight N/n, small integers: no tie.
        assert!(!tie_possible(0.009013172413426696));
        assert!(!tie_possible(3069.0 / 92.0));
        assert!(!tie_possible(3.0));
        assert!(!tie_possible(5e-324));
        assert!(!tie_possible(0.0));
    }

    /// Rust's Display keeps the tie rule this module relies on: where the two rules part,
    /// the fallback is taken (if ryu and Display ever agree everywhere, nothing breaks).
    #[test]
    fn ryu_alone_would_differ_on_a_tie() {
        let v = TIE;
        assert_ne!(ryu::Buffer::new().format_finite(v), format!("{v}.0"));
        assert_eq!(Shortest::new().format(v), format!("{v}"));
    }

    proptest! {
        #[test]
        fn any_double(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            let mut s = Shortest::new();
            prop_assert_eq!(s.format(v), format!("{v}"));
        }

        #[test]
        fn dyadic_fractions(k in any::<u64>(), shift in 0u32..64, scale in 0i32..80) {
            // m·2^e with few bits: where ties live.
            let v = (k >> shift) as f64 * 2f64.powi(scale - 40);
            let mut s = Shortest::new();
            prop_assert_eq!(s.format(v), format!("{v}"));
        }

        #[test]
        fn unit_interval(u in 0.0f64..1.0) {
            let mut s = Shortest::new();
            prop_assert_eq!(s.format(u), format!("{u}"));
        }
    }
}
