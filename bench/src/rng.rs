//! A seeded, deterministic random source (SplitMix64) for the benchmarks' random choices: which
//! responses the API double drops, when a simulated session turns online. The same seed gives
//! the same choices in every run and every build, so runs are comparable; no RNG crate needed.

/// SplitMix64 (Steele, Lea, Flood 2014): 64 bits of state, full period, good enough spread for
/// picking a few percent of events or a uniform moment.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// A number in `[0, 1)`, 53 bits of it.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// SplitMix64's output function: a stateless hash of `z`, for a random draw named by a key.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A draw in `[0, 1)` named by `seed` and `key`: the same pair always gives the same number.
pub fn unit(seed: u64, key: u64) -> f64 {
    (mix(seed ^ mix(key)) >> 11) as f64 / (1u64 << 53) as f64
}

/// FNV-1a of `bytes`: a stable 64-bit name for a string (the same in every build).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_draws_and_draws_are_uniform_enough() {
        let a: Vec<u64> = (0..5)
            .scan(SplitMix64::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..5)
            .scan(SplitMix64::new(7), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        let mut rng = SplitMix64::new(42);
        let draws: Vec<f64> = (0..10_000).map(|_| rng.next_f64()).collect();
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
        let below = draws.iter().filter(|d| **d < 0.03).count();
        assert!((200..400).contains(&below), "{below} of 10000 below 0.03");
        assert_eq!(unit(1, 2), unit(1, 2));
        assert_ne!(unit(1, 2), unit(1, 3));
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    }
}
