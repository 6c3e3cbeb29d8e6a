//! The models the checkpoint targets load into, and the checks every load
//! must pass: a refused load changes nothing, an accepted one holds only
//! finite values and survives a save/load round trip unchanged.

use microprop::checkpoint;
use microprop::layer::FlashWeights;
use microprop::{
    Adam, BiasOnly, Dense, Flash, Frozen, Identity, Layer, Maxout, Model, Parameters,
    QuantizedDense, SoftmaxCrossEntropy, Tanh, Trainer, network,
};

/// Three layers of two kinds, so the fingerprint has something to check.
pub type Net = network![Dense<4, 6, Tanh>, Maxout<6, 5, 2>, Dense<5, 3, Identity>];
pub type Opt = Trainer<Net, SoftmaxCrossEntropy, Adam, 2>;

pub fn bits<P: Parameters>(p: &P) -> Vec<u32> {
    p.slices().flatten().map(|v| v.to_bits()).collect()
}

/// A model with recognisable, non-zero values.
pub fn net() -> Net {
    let mut net = Net::ZERO;
    for (i, v) in net.slices_mut().flatten().enumerate() {
        *v = (i as f32 * 0.37).sin();
    }
    net
}

/// An int8 backbone in flash.
static FRONT: QuantizedDense<4, 6, Tanh> =
    QuantizedDense::from_int8([[5, -3, 0, 127]; 6], [0.01; 6], [0.1; 6]);
pub struct Front;
impl FlashWeights for Front {
    type Layer = QuantizedDense<4, 6, Tanh>;
    const LAYER: &'static QuantizedDense<4, 6, Tanh> = &FRONT;
}

/// A fine-tuned network of every layer kind: int8 in flash, int8, frozen,
/// bias-only and trainable.
pub type FineTuned = network![
    Flash<Front>,
    QuantizedDense<6, 5, Tanh>,
    Frozen<Dense<5, 5, Tanh>>,
    BiasOnly<Dense<5, 4, Tanh>>,
    Dense<4, 3, Identity>,
];
pub type FineOpt = Trainer<FineTuned, SoftmaxCrossEntropy, Adam, 2>;

/// A fine-tuned model with recognisable, non-zero values.
pub fn fine_tuned() -> FineTuned {
    let mut net = FineTuned::ZERO;
    for (i, v) in net.slices_mut().flatten().enumerate() {
        *v = (i as f32 * 0.53).cos();
    }
    net.first.first.first.second = QuantizedDense::from_int8(
        core::array::from_fn(|o| core::array::from_fn(|i| (o * 7 + i * 13) as i8 % 100 - 50)),
        [0.02; 5],
        [0.5, -0.5, 0.25, 0.0, 1.0],
    );
    net
}

/// The loaders into the fine-tuned network: a refused load changes
/// nothing, an accepted one round-trips.
fn check_fine_tuned(data: &[u8]) {
    let mut target = fine_tuned();
    let before = target;
    match checkpoint::load(&mut target, data) {
        Err(_) => assert_eq!(target, before, "refused load changed the model"),
        Ok(()) => {
            let mut blob = vec![0u8; checkpoint::params_len::<FineTuned>()];
            checkpoint::save(&target, &mut blob).unwrap();
            let mut again = FineTuned::ZERO;
            checkpoint::load(&mut again, &blob).unwrap();
            assert_eq!(again, target);
        }
    }
    let mut target = fine_tuned();
    let mut trainer = Box::new(FineOpt::new(SoftmaxCrossEntropy, Adam::PYTORCH));
    trainer.set_steps(3);
    let before = (target, bits(trainer.optimizer_state()), trainer.steps());
    match checkpoint::load_training(&mut target, &mut *trainer, data) {
        Err(_) => assert!(
            (target, bits(trainer.optimizer_state()), trainer.steps()) == before,
            "refused load_training changed the state"
        ),
        Ok(()) => {
            assert!(target.all_finite() && trainer.optimizer_state().all_finite());
            let mut blob = vec![0u8; checkpoint::training_len::<FineTuned, Adam>()];
            checkpoint::save_training(&target, &trainer, &mut blob).unwrap();
            let mut again = FineTuned::ZERO;
            let mut t2 = Box::new(FineOpt::new(SoftmaxCrossEntropy, Adam::PYTORCH));
            checkpoint::load_training(&mut again, &mut *t2, &blob).unwrap();
            assert_eq!(again, target);
            assert_eq!(bits(t2.optimizer_state()), bits(trainer.optimizer_state()));
        }
    }
}

/// Runs every loader on `data` and checks their contracts.
pub fn check_all_loaders(data: &[u8]) {
    check_fine_tuned(data);
    let arch = checkpoint::inspect(data);

    // Parameters only.
    let mut target = net();
    let before = bits(&target);
    match checkpoint::load(&mut target, data) {
        Err(_) => assert_eq!(bits(&target), before, "refused load changed the model"),
        Ok(()) => {
            assert!(arch.is_ok(), "load accepted what inspect refused");
            assert!(target.all_finite());
            round_trip_params(&target);
        }
    }

    // Training state.
    let mut target = net();
    let mut trainer = Box::new(Opt::new(SoftmaxCrossEntropy, Adam::PYTORCH));
    trainer.set_steps(7);
    let before = (
        bits(&target),
        bits(trainer.optimizer_state()),
        trainer.steps(),
    );
    match checkpoint::load_training(&mut target, &mut *trainer, data) {
        Err(_) => assert_eq!(
            (
                bits(&target),
                bits(trainer.optimizer_state()),
                trainer.steps()
            ),
            before,
            "refused load_training changed the state"
        ),
        Ok(()) => {
            assert!(target.all_finite() && trainer.optimizer_state().all_finite());
            let mut blob = vec![0u8; checkpoint::training_len::<Net, Adam>()];
            checkpoint::save_training(&target, &trainer, &mut blob).unwrap();
            let mut again = Net::ZERO;
            let mut t2 = Box::new(Opt::new(SoftmaxCrossEntropy, Adam::PYTORCH));
            checkpoint::load_training(&mut again, &mut *t2, &blob).unwrap();
            assert_eq!(bits(&again), bits(&target));
            assert_eq!(bits(t2.optimizer_state()), bits(trainer.optimizer_state()));
            assert_eq!(t2.steps(), trainer.steps());
        }
    }

    // A model with normalisers.
    let mut model = Model::<Net>::new(net());
    let before = model;
    match checkpoint::load_model(&mut model, data) {
        Err(_) => assert!(
            bits(&model.net) == bits(&before.net)
                && model.input.offset.map(f32::to_bits) == before.input.offset.map(f32::to_bits)
                && model.input.scale.map(f32::to_bits) == before.input.scale.map(f32::to_bits)
                && model.target.offset.map(f32::to_bits) == before.target.offset.map(f32::to_bits)
                && model.target.scale.map(f32::to_bits) == before.target.scale.map(f32::to_bits)
                && model.input.scaling == before.input.scaling
                && model.target.scaling == before.target.scaling,
            "refused load_model changed the model"
        ),
        Ok(()) => {
            let mut blob = vec![0u8; checkpoint::model_len::<Net>()];
            checkpoint::save_model(&model, &mut blob).unwrap();
            let mut again = Model::<Net>::new(Net::ZERO);
            checkpoint::load_model(&mut again, &blob).unwrap();
            assert_eq!(bits(&again.net), bits(&model.net));
        }
    }
}

fn round_trip_params(net: &Net) {
    let mut blob = vec![0u8; checkpoint::params_len::<Net>()];
    checkpoint::save(net, &mut blob).unwrap();
    let mut again = Net::ZERO;
    checkpoint::load(&mut again, &blob).unwrap();
    assert_eq!(bits(&again), bits(net));
}
