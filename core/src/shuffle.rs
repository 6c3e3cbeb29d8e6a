//! Per-epoch sample orders without allocation.

use crate::init::{SeededRng, seeded};
use rand_core::Rng;

/// A pseudo-random permutation of `0..n` that needs no storage: a 4-round
/// Feistel network over the smallest even number of bits covering `n`, with
/// cycle-walking to stay inside `0..n`. Same seed, same order on every target.
///
/// ```
/// use microprop::Permutation;
/// let p = Permutation::new(10, 42);
/// let mut seen: [usize; 10] = core::array::from_fn(|i| p.index(i));
/// seen.sort();
/// assert_eq!(seen, core::array::from_fn::<usize, 10, _>(|i| i));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Permutation {
    n: u32,
    half_bits: u32,
    keys: [u32; 4],
}

impl Permutation {
    /// The permutation of `0..n` (n < 2³¹) for `seed`.
    pub fn new(n: usize, seed: u64) -> Self {
        let n = n.min(i32::MAX as usize) as u32;
        let bits = u32::BITS - n.saturating_sub(1).leading_zeros();
        let half_bits = bits.div_ceil(2).max(1);
        let mut rng = seeded(seed);
        let keys = [
            rng.next_u32(),
            rng.next_u32(),
            rng.next_u32(),
            rng.next_u32(),
        ];
        Permutation { n, half_bits, keys }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.n as usize
    }

    /// `true` for the permutation of nothing.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The element at position `i` (for `i < len()`; other `i` map to
    /// themselves).
    pub fn index(&self, i: usize) -> usize {
        if i >= self.len() {
            return i;
        }
        let mut v = i as u32;
        // Cycle-walking: the domain is at most 4n, so a few rounds suffice
        // on average; each walk is a bijection, so this terminates.
        loop {
            v = self.encrypt(v);
            if v < self.n {
                return v as usize;
            }
        }
    }

    fn encrypt(&self, v: u32) -> u32 {
        let mask = (1u32 << self.half_bits) - 1;
        let (mut left, mut right) = (v >> self.half_bits, v & mask);
        for &key in &self.keys {
            let mixed = mix(right ^ key) & mask;
            (left, right) = (right, left ^ mixed);
        }
        (left << self.half_bits) | right
    }
}

/// A 32-bit integer hash (lowbias32).
fn mix(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}

/// Fisher–Yates shuffle of a caller-owned buffer (e.g. `u16` sample indices),
/// deterministic from `rng`.
pub fn shuffle_in_place<T>(items: &mut [T], rng: &mut SeededRng) {
    for i in (1..items.len()).rev() {
        // Multiply-shift maps 32 random bits to 0..=i without division.
        let j = ((rng.next_u32() as u64 * (i as u64 + 1)) >> 32) as usize;
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_a_permutation_for_many_sizes_and_differs_by_seed() {
        for n in [1usize, 2, 3, 7, 16, 100, 1000, 1797] {
            let p = Permutation::new(n, n as u64);
            let mut hit = [false; 2048];
            for i in 0..n {
                let j = p.index(i);
                assert!(j < n && !hit[j], "n={n} i={i} j={j}");
                hit[j] = true;
            }
        }
        let a: [usize; 20] = core::array::from_fn(|i| Permutation::new(20, 1).index(i));
        let b: [usize; 20] = core::array::from_fn(|i| Permutation::new(20, 2).index(i));
        assert_ne!(a, b);
        let identity: [usize; 20] = core::array::from_fn(|i| i);
        assert_ne!(a, identity);
    }

    #[test]
    fn fisher_yates_permutes() {
        let mut v = [0u16, 1, 2, 3, 4, 5, 6, 7];
        shuffle_in_place(&mut v, &mut seeded(3));
        let mut sorted = v;
        sorted.sort();
        assert_eq!(sorted, [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_ne!(v, [0, 1, 2, 3, 4, 5, 6, 7]);
    }
}
