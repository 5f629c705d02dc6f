//! The one rounding rule of urval: sample sizes are rounded **up**, and a value within a
//! relative 10⁻⁹ of an integer counts as that integer, so floating-point noise
//! (384.00000000000006) never adds a record and a mathematically exact bound
//! (T·N = 0.1 · 1000 = 100) is never pushed to the next integer.

/// Tolerance under which a value counts as the integer next to it.
pub const INTEGER_TOLERANCE: f64 = 1e-9;

/// Round a non-negative size up: the smallest integer ≥ `x`, with values within
/// [`INTEGER_TOLERANCE`] (relative, at least absolute) of an integer snapped to it.
/// Negative and NaN inputs give 0; values beyond `u64::MAX` saturate.
pub fn ceil_count(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    let nearest = x.round();
    if (x - nearest).abs() <= INTEGER_TOLERANCE * x.max(1.0) {
        return nearest as u64;
    }
    x.ceil() as u64
}

/// The integer part of a non-negative value with the same snapping as [`ceil_count`].
pub fn floor_count(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    let nearest = x.round();
    if (x - nearest).abs() <= INTEGER_TOLERANCE * x.max(1.0) {
        return nearest as u64;
    }
    x.floor() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_up_but_ignores_float_noise() {
        assert_eq!(ceil_count(256.18), 257);
        assert_eq!(ceil_count(384.146), 385);
        assert_eq!(ceil_count(0.1 * 1000.0), 100);
        assert_eq!(ceil_count(0.1 * 767.0), 77);
        assert_eq!(ceil_count(384.000_000_000_000_06), 384);
        assert_eq!(ceil_count(0.0), 0);
        assert_eq!(ceil_count(-3.0), 0);
        assert_eq!(ceil_count(f64::NAN), 0);
        assert_eq!(floor_count(3.999_999_999_999_9), 4);
        assert_eq!(floor_count(3.5), 3);
    }
}
