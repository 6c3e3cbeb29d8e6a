// The fused batch-1 step forms each weight's gradient as an outer product
// (`FusedBackprop`); a maxout layer's gradient goes to the winning piece
// only, so a network with one is not `Fusable` and `FusedTrainer` refuses it.
use microprop::{Dense, FusedTrainer, Identity, Maxout, Sgd, SoftmaxCrossEntropy, network};

type Net = network![Maxout<4, 8, 2>, Dense<8, 3, Identity>];

fn main() {
    let _trainer = FusedTrainer::<Net, _, _>::new(SoftmaxCrossEntropy, Sgd);
}
