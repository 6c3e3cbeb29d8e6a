// The same mismatch written with the `network!` macro.
use microprop::{Dense, Identity, Layer, Tanh, network};

type Net = network![Dense<4, 8, Tanh>, Dense<7, 2, Identity>];

fn main() {
    let _net = Net::ZERO;
}
