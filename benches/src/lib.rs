//! Fixed-seed data builders shared by the criterion benches in `benches/`.

/// A deterministic 64-bit generator (SplitMix64, Steele, Lea & Flood 2014) for bench data:
/// portable, seedable, no dependency.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in [0, bound).
    pub fn below(&mut self, bound: u64) -> u64 {
        ((self.next() as u128 * bound as u128) >> 64) as u64
    }
}

/// Strata like the national design: 290 municipalities × 4 areas = 1,160 strata with
/// skewed sizes (a few very large, many small), fixed seed.
pub fn national_strata(seed: u64) -> Vec<urval_design::StratumSpec> {
    let mut rng = SplitMix64::new(seed);
    (0..1160)
        .map(|i| {
            let skew = 1 + rng.below(100);
            urval_design::StratumSpec {
                name: format!("s{i}"),
                population: 20 + skew * skew * (1 + rng.below(8)),
                proportion: 0.05 + rng.below(40) as f64 / 100.0,
                cost: 1.0 + rng.below(3) as f64,
            }
        })
        .collect()
}
