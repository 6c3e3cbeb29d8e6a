// A 4->8 layer followed by a 7->2 layer: the chain is not a `Layer`, so it
// has no `ZERO` and cannot be built, trained or run.
use microprop::{Chain, Dense, Layer};

type Net = Chain<Dense<4, 8>, Dense<7, 2>>;

fn main() {
    let _net = Net::ZERO;
}
