//! Sample orders without storage: the permutation `microprop::fit` shuffles
//! each epoch with, so a C training loop can visit the rows in the order a
//! Rust one does.

use microprop::Permutation;

/// The row at `position` of the pseudo-random permutation of `0..n` for
/// `seed` (`microprop::Permutation`: a Feistel network, no storage, the
/// same order on every target). `position` ≥ `n` is returned unchanged;
/// `n` is capped at 2³¹ − 1.
#[unsafe(no_mangle)]
pub extern "C" fn microprop_shuffle_index(n: usize, seed: u64, position: usize) -> usize {
    Permutation::new(n, seed).index(position)
}

/// The seed `microprop::fit` shuffles epoch `epoch` (from 0) with, given
/// its `shuffle_seed`: `shuffle_seed ^ (epoch << 32)`. With
/// `microprop_shuffle_index(n, microprop_epoch_seed(seed, e), i)` a C loop
/// visits row `i` of epoch `e` as `fit` does.
#[unsafe(no_mangle)]
pub extern "C" fn microprop_epoch_seed(shuffle_seed: u64, epoch: u32) -> u64 {
    shuffle_seed ^ (u64::from(epoch) << 32)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn is_the_core_permutation() {
        let p = Permutation::new(1437, microprop_epoch_seed(11, 3));
        for i in [0, 1, 700, 1436, 1437, 5000] {
            assert_eq!(microprop_shuffle_index(1437, 11 ^ (3 << 32), i), p.index(i));
        }
    }
}
