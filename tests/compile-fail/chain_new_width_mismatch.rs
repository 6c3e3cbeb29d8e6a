// Joining the two layers by value is rejected the same way.
use microprop::{Chain, Dense, Layer};

fn main() {
    let _net = Chain::new(Dense::<4, 8>::ZERO, Dense::<7, 2>::ZERO);
}
