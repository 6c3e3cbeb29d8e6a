// The correct 4->8->2 network compiles (both spellings), trains and runs:
// proves the harness compiles these files against the real crate.
use microprop::{
    Chain, Dense, Identity, Inference, Layer, MeanSquaredError, Sgd, Softmax, SoftmaxCrossEntropy,
    Tanh, Trainer, network,
};

type ByChain = Chain<Dense<4, 8, Tanh>, Dense<8, 2, Identity>>;
type ByMacro = network![Dense<4, 8, Tanh>, Dense<8, 2, Identity>];
type SoftmaxOut = network![Dense<4, 8, Tanh>, Dense<8, 2, Softmax>];

fn main() {
    let mut net: ByMacro = ByChain::ZERO;
    net.init(microprop::Init::Xavier, &mut microprop::init::seeded(1));
    let _joined: ByChain = Chain::new(net.first, net.second);
    let mut trainer = Trainer::<ByMacro, _, _, 1>::new(SoftmaxCrossEntropy, Sgd);
    trainer
        .train_step(&mut net, &[[0.1, 0.2, 0.3, 0.4]], &[1], 0.1)
        .unwrap();
    assert_eq!(trainer.steps(), 1);
    let mut run = Inference::<ByMacro>::new();
    assert!(run.classify(&net, &[0.1, 0.2, 0.3, 0.4]).unwrap() < 2);

    // A softmax output is fine with a loss that accepts any activation.
    let mut soft = SoftmaxOut::ZERO;
    let mut mse = Trainer::<SoftmaxOut, _, _, 1>::new(MeanSquaredError, Sgd);
    mse.train_step(&mut soft, &[[0.0; 4]], &[[1.0, 0.0]], 0.1)
        .unwrap();
}
