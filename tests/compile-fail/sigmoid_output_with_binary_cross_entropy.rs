// `SigmoidBinaryCrossEntropy` applies the sigmoid itself and wants logits; a
// network ending in `Sigmoid` must not be trainable with it, not even one
// batch at a time with `accumulate`.
use microprop::{Dense, Layer, Sgd, Sigmoid, SigmoidBinaryCrossEntropy, Tanh, Trainer, network};

type Net = network![Dense<2, 4, Tanh>, Dense<4, 1, Sigmoid>];

fn main() {
    let net = Net::ZERO;
    let mut trainer = Trainer::<Net, _, _, 1>::new(SigmoidBinaryCrossEntropy, Sgd);
    let _ = trainer.accumulate(&net, &[[0.0; 2]], &[[1.0]]);
}
