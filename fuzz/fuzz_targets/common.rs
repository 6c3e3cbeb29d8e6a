//! The models the checkpoint targets load into, and the checks every load
//! must pass: a refused load changes nothing, an accepted one holds only
//! finite values and survives a save/load round trip unchanged.

use microprop::checkpoint;
use microprop::{
    Adam, Dense, Identity, Layer, Maxout, Model, Parameters, SoftmaxCrossEntropy, Tanh, Trainer,
    network,
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

/// Runs every loader on `data` and checks their contracts.
pub fn check_all_loaders(data: &[u8]) {
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
