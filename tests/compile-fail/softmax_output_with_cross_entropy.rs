// `SoftmaxCrossEntropy` applies softmax itself and wants logits; a network
// that already ends in `Softmax` must not be trainable with it.
use microprop::{Dense, Layer, Sgd, Softmax, SoftmaxCrossEntropy, Tanh, Trainer, network};

type Net = network![Dense<4, 8, Tanh>, Dense<8, 3, Softmax>];

fn main() {
    let mut net = Net::ZERO;
    let mut trainer = Trainer::<Net, _, _, 1>::new(SoftmaxCrossEntropy, Sgd);
    let _ = trainer.train_step(&mut net, &[[0.0; 4]], &[0], 0.1);
}
