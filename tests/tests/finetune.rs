//! Fine-tuning: `Frozen` and `BiasOnly` layers. A frozen parameter never
//! moves under any optimizer; the trainable part gets exactly the
//! gradient the unfrozen network would give it; a frozen front trains the
//! rest as if it were the whole network; the memory report drops by
//! exactly the parts removed; bad input is refused with nothing changed.
//! (The trainable part against PyTorch with `requires_grad=False`:
//! `pytorch_fixtures.rs`, `frozen_and_bias_only_training_matches_pytorch`.)

use std::mem::size_of;

use microprop::init::{Init, seeded};
use microprop::layer::{Cache, FlashWeights, Grads, MaxoutParams, Trainable};
use microprop::{
    Adam, BiasOnly, Buffer, Dense, Error, Flash, Frozen, Identity, Inference, Layer, Maxout,
    MeanSquaredError, Optimizer, Parameters, Relu, Sgd, SoftmaxCrossEntropy, Tanh, Trainer,
    network,
};
use microprop_tests::for_each_optimizer;
use microprop_tests::params::{bits, flat};

/// The unfrozen network of most tests, and its variants.
type Full = network![Dense<3, 6, Tanh>, Maxout<6, 5, 2>, Dense<5, 4, Relu>, Dense<4, 2, Identity>];
/// The first three layers frozen as one backbone.
type Backbone = network![Dense<3, 6, Tanh>, Maxout<6, 5, 2>, Dense<5, 4, Relu>];
type Head = Dense<4, 2, Identity>;
type FrozenFront = network![Frozen<Backbone>, Head];
/// A frozen maxout layer and a frozen chain between trainable layers.
type FrozenMiddle = network![
    Dense<3, 6, Tanh>,
    Frozen<network![Maxout<6, 5, 2>, Dense<5, 4, Relu>]>,
    Dense<4, 2, Identity>,
];
/// TinyTL: the dense layers train their biases, the maxout layer nothing,
/// the head everything.
type Tiny = network![
    BiasOnly<Dense<3, 6, Tanh>>,
    Frozen<Maxout<6, 5, 2>>,
    BiasOnly<Dense<5, 4, Relu>>,
    Dense<4, 2, Identity>,
];

const B: usize = 4;

fn rows() -> ([[f32; 3]; B], [[f32; 2]; B]) {
    (
        [
            [0.5, -1.0, 2.0],
            [1.5, 0.25, -0.75],
            [-0.3, 0.8, 0.1],
            [2.0, -0.5, -1.25],
        ],
        [[0.2, -0.4], [-0.1, 0.3], [0.6, 0.0], [-0.5, 0.5]],
    )
}

/// A network of type `N` holding the parameters of `full` (the same layer
/// list, so the same flat parameter order).
fn like<N: Layer>(full: &Full) -> N {
    let mut net = N::ZERO;
    net.copy_from(&flat(full)).expect("same layer list");
    net
}

fn initialised() -> Full {
    let mut full = Full::ZERO;
    full.init(Init::HeNormal, &mut seeded(11));
    // Non-zero biases, so bias-only training starts from somewhere.
    for (i, b) in full.first.first.first.params.bias.iter_mut().enumerate() {
        *b = 0.1 * i as f32 - 0.2;
    }
    full
}

/// Which of the flat parameters of `Full` train in each variant, slice by
/// slice (each layer: weights, then biases).
const FRONT_TRAINS: [bool; 8] = [false, false, false, false, false, false, true, true];
const MIDDLE_TRAINS: [bool; 8] = [true, true, false, false, false, false, true, true];
const TINY_TRAINS: [bool; 8] = [false, true, false, false, false, true, true, true];

/// The values of `p`'s slices where `trains` says so, flattened.
fn selected<P: Parameters>(p: &P, trains: &[bool]) -> Vec<u32> {
    assert_eq!(p.slices().count(), trains.len());
    p.slices()
        .zip(trains)
        .filter(|(_, t)| **t)
        .flat_map(|(s, _)| s.iter().map(|v| v.to_bits()))
        .collect()
}

/// One batch through `N` gives, for its trainable parameters, the very
/// bits of the unfrozen network's gradient, and its outputs are the
/// unfrozen network's.
fn same_gradient<N: Layer<Input = [f32; 3], Output = [f32; 2]>>(trains: &[bool]) {
    let full = initialised();
    let net: N = like(&full);
    let (x, y) = rows();
    for rows in [1, 3, B] {
        let mut t_full = Trainer::<Full, _, _, B>::new(MeanSquaredError, Sgd);
        let mut t_net = Trainer::<N, _, _, B>::new(MeanSquaredError, Sgd);
        let a = t_full
            .accumulate(&full, &x[..rows], &y[..rows])
            .expect("full");
        let b = t_net
            .accumulate(&net, &x[..rows], &y[..rows])
            .expect("frozen");
        assert_eq!(a.loss.to_bits(), b.loss.to_bits(), "loss, {rows} rows");
        assert_eq!(
            selected(t_full.gradient_sum(), trains),
            bits(t_net.gradient_sum()),
            "gradient, {rows} rows"
        );
        assert_eq!(t_net.gradient_sum().count(), trains_len(trains));
    }
}

fn trains_len(trains: &[bool]) -> usize {
    let full = Full::ZERO;
    full.slices()
        .zip(trains)
        .filter(|(_, t)| **t)
        .map(|(s, _)| s.len())
        .sum()
}

#[test]
fn the_trainable_part_gets_the_unfrozen_gradient() {
    same_gradient::<FrozenFront>(&FRONT_TRAINS);
    same_gradient::<FrozenMiddle>(&MIDDLE_TRAINS);
    same_gradient::<Tiny>(&TINY_TRAINS);
    same_gradient::<Full>(&[true; 8]);
}

/// Many steps with every optimizer: every frozen value keeps its bits,
/// every trainable slice moves, and the loss goes down.
fn never_moves<N>(trains: &[bool])
where
    N: Layer<Input = [f32; 3], Output = [f32; 2]>,
{
    let full = initialised();
    let (x, y) = rows();
    let frozen: Vec<bool> = trains.iter().map(|t| !t).collect();
    for_each_optimizer!(|name, o, adaptive| {
        let mut net: N = like(&full);
        let before = flat(&net);
        let mut trainer = Box::new(Trainer::<N, _, _, B>::new(MeanSquaredError, o));
        let lr = if adaptive { 1e-2 } else { 5e-2 };
        let first = trainer.evaluate(&net, &x, &y).expect("evaluate").loss;
        for step in 0..200 {
            trainer
                .train_step(&mut net, &x, &y, lr)
                .unwrap_or_else(|e| panic!("{name}, step {step}: {e:?}"));
        }
        let last = trainer.evaluate(&net, &x, &y).expect("evaluate").loss;
        assert!(last < first, "{name}: loss {first} -> {last}");
        assert_eq!(
            selected(&net, &frozen),
            selected(&like::<Full>(&full), &frozen),
            "{name}: a frozen value moved"
        );
        let after = flat(&net);
        let mut offset = 0;
        for (slice, trains) in full.slices().zip(trains) {
            let range = offset..offset + slice.len();
            offset += slice.len();
            if *trains {
                assert_ne!(
                    before[range.clone()],
                    after[range],
                    "{name}: a trainable slice stayed"
                );
            }
        }
    });
}

#[test]
fn frozen_values_never_move_with_any_optimizer() {
    never_moves::<FrozenFront>(&FRONT_TRAINS);
    never_moves::<FrozenMiddle>(&MIDDLE_TRAINS);
    never_moves::<Tiny>(&TINY_TRAINS);
}

/// Behind a frozen front, the head trains exactly as a network of its own
/// on the backbone's outputs: backward stops at it.
#[test]
fn a_frozen_front_trains_the_head_as_a_network_of_its_own() {
    let full = initialised();
    let mut net: FrozenFront = like(&full);
    let mut head: Head = net.second;
    let (x, y) = rows();
    let mut run = Inference::<Backbone>::new();
    let features: Vec<[f32; 4]> = x
        .iter()
        .map(|r| *run.predict(&net.first.layer, r).expect("finite"))
        .collect();
    let mut t_net = Trainer::<FrozenFront, _, _, B>::new(MeanSquaredError, Adam::PYTORCH);
    let mut t_head = Trainer::<Head, _, _, B>::new(MeanSquaredError, Adam::PYTORCH);
    for _ in 0..50 {
        let a = t_net.train_step(&mut net, &x, &y, 1e-2).expect("frozen");
        let b = t_head
            .train_step(&mut head, &features, &y, 1e-2)
            .expect("head");
        assert_eq!(a.loss.to_bits(), b.loss.to_bits());
    }
    assert_eq!(bits(&net.second), bits(&head));
    assert_eq!(
        bits(t_net.optimizer_state()),
        bits(t_head.optimizer_state())
    );
}

/// The memory report shrinks by exactly what is not kept: gradients and
/// optimizer state of the frozen values, the weight gradients (and their
/// state) of bias-only layers, and the backbone's inner cache rows.
#[test]
fn memory_drops_by_exactly_the_parts_removed() {
    type State<O, N> = <O as Optimizer>::State<Grads<N>>;
    type FullT = Trainer<Full, MeanSquaredError, Adam, B>;
    type FrontT = Trainer<FrozenFront, MeanSquaredError, Adam, B>;
    type TinyT = Trainer<Tiny, MeanSquaredError, Adam, B>;
    let (full, front, tiny) = (FullT::MEMORY, FrontT::MEMORY, TinyT::MEMORY);

    // The parameters stay: they are the same network.
    assert_eq!(front.parameters, full.parameters);
    assert_eq!(tiny.parameters, full.parameters);

    let backbone_grads = size_of::<Grads<Backbone>>();
    assert_eq!(backbone_grads, Backbone::LEN * 4);
    assert_eq!(front.gradients, full.gradients - backbone_grads);
    assert_eq!(front.gradients, size_of::<Grads<Head>>());
    // Adam: two moments a trainable value.
    assert_eq!(
        front.optimizer_state,
        full.optimizer_state - size_of::<State<Adam, Backbone>>()
    );
    assert_eq!(front.optimizer_state, 2 * front.gradients);
    // The backbone keeps its B output rows and one row of its inner cache
    // instead of B rows of every inner layer.
    assert_eq!(
        front.caches,
        full.caches - size_of::<Cache<Backbone, B>>()
            + size_of::<[[f32; 4]; B]>()
            + size_of::<Cache<Backbone, 1>>()
    );
    assert!(front.caches < full.caches);
    assert_eq!(
        front.trainer,
        full.trainer
            - (full.gradients - front.gradients)
            - (full.optimizer_state - front.optimizer_state)
            - (full.caches - front.caches)
    );

    // TinyTL: no weight gradients for the two bias-only layers and none at
    // all for the frozen maxout; the caches are the unfrozen ones except
    // the maxout's, which keeps outputs and one row.
    let removed = (3 * 6) + (6 * 5 * 2 + 5 * 2) + (5 * 4);
    assert_eq!(tiny.gradients, full.gradients - removed * 4);
    assert_eq!(tiny.optimizer_state, full.optimizer_state - 2 * removed * 4);
    assert_eq!(
        tiny.caches,
        full.caches - size_of::<Cache<Maxout<6, 5, 2>, B>>()
            + size_of::<[[f32; 5]; B]>()
            + size_of::<Cache<Maxout<6, 5, 2>, 1>>()
    );
    assert_eq!(tiny.total, tiny.parameters + tiny.trainer);
}

/// Frozen and bias-only layers give the unfrozen outputs (inference and the
/// training forward pass), and a frozen network's checkpoint holds the
/// unfrozen network's values, tagged frozen: each loads into the other.
#[test]
fn frozen_networks_compute_and_save_what_the_unfrozen_one_does() {
    let full = initialised();
    let front: FrozenFront = like(&full);
    let tiny: Tiny = like(&full);
    let (x, _) = rows();
    let mut t_full = Trainer::<Full, _, _, B>::new(MeanSquaredError, Sgd);
    let mut t_front = Trainer::<FrozenFront, _, _, B>::new(MeanSquaredError, Sgd);
    let mut t_tiny = Trainer::<Tiny, _, _, B>::new(MeanSquaredError, Sgd);
    let want: Vec<u32> = t_full
        .forward(&full, &x)
        .expect("full")
        .as_flattened()
        .iter()
        .map(|v| v.to_bits())
        .collect();
    let got: Vec<u32> = t_front
        .forward(&front, &x)
        .expect("front")
        .as_flattened()
        .iter()
        .map(|v| v.to_bits())
        .collect();
    assert_eq!(got, want);
    let got: Vec<u32> = t_tiny
        .forward(&tiny, &x)
        .expect("tiny")
        .as_flattened()
        .iter()
        .map(|v| v.to_bits())
        .collect();
    assert_eq!(got, want);
    let mut a = Inference::<Full>::new();
    let mut b = Inference::<FrozenFront>::new();
    for r in &x {
        let (p, q) = (
            *a.predict(&full, r).expect("full"),
            *b.predict(&front, r).expect("front"),
        );
        assert_eq!(p.map(f32::to_bits), q.map(f32::to_bits));
    }
    let mut saved_full = vec![0u8; microprop::checkpoint::params_len::<Full>()];
    let mut saved_front = vec![0u8; microprop::checkpoint::params_len::<FrozenFront>()];
    microprop::checkpoint::save(&full, &mut saved_full).expect("save");
    microprop::checkpoint::save(&front, &mut saved_front).expect("save");
    // The same bytes but the kind of layers 0..3 (byte 15 of each
    // 16-byte layer record after the 16-byte header) and the CRC.
    let kind_bytes = [16 + 11, 32 + 11, 48 + 11];
    assert_eq!(saved_full.len(), saved_front.len());
    for (i, (a, b)) in saved_full.iter().zip(&saved_front).enumerate() {
        if kind_bytes.contains(&i) {
            assert_eq!((*a, *b), (0, 1), "byte {i}");
        } else if i < saved_full.len() - 4 {
            assert_eq!(a, b, "byte {i}");
        }
    }
    let mut loaded = FrozenFront::ZERO;
    microprop::checkpoint::load(&mut loaded, &saved_full).expect("load");
    assert_eq!(bits(&loaded), bits(&full));
    let mut unfrozen = Full::ZERO;
    microprop::checkpoint::load(&mut unfrozen, &saved_front).expect("load");
    assert_eq!(bits(&unfrozen), bits(&full));
    let mut saved_tiny = vec![0u8; microprop::checkpoint::params_len::<Tiny>()];
    microprop::checkpoint::save(&tiny, &mut saved_tiny).expect("save");
    let mut unfrozen = Full::ZERO;
    microprop::checkpoint::load(&mut unfrozen, &saved_tiny).expect("load");
    assert_eq!(bits(&unfrozen), bits(&full));
}

/// Bad input is refused as for any network, and nothing changes: a step on
/// a non-finite row, too many rows, a wrong-length flat parameter buffer.
#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let full = initialised();
    let mut net: Tiny = like(&full);
    let (mut x, y) = rows();
    let mut trainer = Trainer::<Tiny, _, _, B>::new(MeanSquaredError, Adam::PYTORCH);
    trainer
        .train_step(&mut net, &x, &y, 1e-2)
        .expect("a good step");
    let (before, state) = (bits(&net), bits(trainer.optimizer_state()));

    x[2][1] = f32::NAN;
    assert_eq!(
        trainer.train_step(&mut net, &x, &y, 1e-2),
        Err(Error::NonFiniteInput { row: 2 })
    );
    let five = [[0.0; 3]; 5];
    assert_eq!(
        trainer.train_step(&mut net, &five, &[[0.0; 2]; 5], 1e-2),
        Err(Error::BatchTooLarge {
            rows: 5,
            capacity: B
        })
    );
    assert_eq!(
        trainer.train_step(&mut net, &x[..0], &y[..0], 1e-2),
        Err(Error::EmptyBatch)
    );
    let short = vec![0.0; Tiny::LEN - 1];
    assert_eq!(
        net.copy_from(&short),
        Err(Error::BufferLength {
            buffer: Buffer::Parameters,
            needed: Tiny::LEN,
            given: Tiny::LEN - 1
        })
    );
    let mut out = vec![0.0; Tiny::LEN + 1];
    assert!(net.copy_to(&mut out).is_err());
    let mut view = Trainable::new(&mut net);
    let trainable = <Trainable<'_, Tiny> as Parameters>::LEN;
    assert_eq!(view.count(), trainable);
    assert!(view.copy_from(&vec![1.0; trainable + 1]).is_err());
    assert_eq!(bits(&net), before);
    assert_eq!(bits(trainer.optimizer_state()), state);
    assert_eq!(trainer.steps(), 1);

    // A gradient step that would overflow is refused with the weights and
    // the state as they were.
    x[2][1] = 0.5;
    let huge = [[1e38, -1e38]; B];
    assert!(trainer.train_step(&mut net, &x, &huge, 1e-2).is_err());
    assert_eq!(bits(&net), before);
    assert_eq!(bits(trainer.optimizer_state()), state);
}

/// A frozen network with the classifier loss: the fused loss's checks hold
/// behind a frozen front too (a bad label is refused, nothing moves).
#[test]
fn a_bad_label_behind_a_frozen_front_changes_nothing() {
    type Net = network![Frozen<Dense<3, 4, Tanh>>, Dense<4, 3, Identity>];
    let mut net = Net::ZERO;
    net.init(Init::Xavier, &mut seeded(2));
    let before = bits(&net);
    let mut trainer = Trainer::<Net, _, _, 2>::new(SoftmaxCrossEntropy, Sgd);
    let x = [[0.5, -1.0, 2.0], [1.0, 0.0, -1.0]];
    assert!(trainer.train_step(&mut net, &x, &[1, 3], 0.1).is_err());
    assert_eq!(bits(&net), before);
    assert!(trainer.train_step(&mut net, &x, &[1, 2], 0.1).is_ok());
    assert_eq!(bits(&net.first), before[..Dense::<3, 4, Tanh>::LEN]);
}

/// The backbone of [`FrozenFront`] with fixed weights, as a `static` for a
/// [`Flash`] layer.
static PRETRAINED: Backbone = microprop::Chain::new(
    microprop::Chain::new(
        Dense::from_params(
            [
                [0.5, -0.25, 0.75, -1.0, 0.125, 0.25],
                [-0.5, 1.0, 0.25, 0.5, -0.75, 0.375],
                [0.25, 0.5, -0.5, 0.75, 1.0, -0.125],
            ],
            [0.1, -0.1, 0.2, -0.2, 0.05, 0.0],
        ),
        Maxout {
            params: MaxoutParams {
                // Unit u, piece k, input i: a pattern of signs and sizes.
                weights: [
                    [
                        [0.5, -0.25, 0.125, 1.0, -0.5, 0.25],
                        [-0.75, 0.5, 0.25, -0.125, 1.0, 0.5],
                    ],
                    [
                        [0.25, 0.75, -0.5, 0.5, 0.125, -1.0],
                        [1.0, -0.5, 0.25, 0.75, -0.25, 0.125],
                    ],
                    [
                        [-0.125, 0.25, 1.0, -0.75, 0.5, 0.25],
                        [0.5, 0.5, -0.25, 0.125, -1.0, 0.75],
                    ],
                    [
                        [0.75, -1.0, 0.5, 0.25, 0.25, -0.5],
                        [-0.25, 0.125, 0.75, -0.5, 0.5, 1.0],
                    ],
                    [
                        [1.0, 0.25, -0.125, -0.5, 0.75, 0.5],
                        [0.125, -0.75, 0.5, 1.0, 0.25, -0.25],
                    ],
                ],
                bias: [
                    [0.1, -0.1],
                    [0.0, 0.2],
                    [-0.2, 0.05],
                    [0.15, 0.0],
                    [0.0, -0.05],
                ],
            },
        },
    ),
    Dense::from_params(
        [
            [0.5, -0.5, 0.25, 1.0],
            [-0.25, 0.75, 0.5, -1.0],
            [1.0, 0.25, -0.75, 0.5],
            [0.125, -0.5, 1.0, 0.25],
            [-1.0, 0.5, 0.25, -0.25],
        ],
        [0.0, 0.1, -0.1, 0.2],
    ),
);

struct Pretrained;
impl FlashWeights for Pretrained {
    type Layer = Backbone;
    const LAYER: &'static Backbone = &PRETRAINED;
}

type InFlash = network![Flash<Pretrained>, Head];

/// A backbone in flash trains the head to the bits of the same backbone
/// frozen in RAM, the network value holds only the head, and the trainer
/// is the same size.
#[test]
fn a_backbone_in_flash_trains_as_one_frozen_in_ram() {
    let mut ram = FrozenFront::ZERO;
    ram.first.layer = PRETRAINED;
    ram.second.init(Init::Xavier, &mut seeded(4));
    let mut flash = InFlash::ZERO;
    flash.second = ram.second;
    let mut run = Inference::<Backbone>::new();
    let features: Vec<[f32; 4]> = rows()
        .0
        .iter()
        .map(|r| *run.predict(&PRETRAINED, r).expect("finite"))
        .collect();
    assert!(
        features.iter().all(|f| f.iter().any(|v| *v > 0.0)),
        "{features:?}"
    );
    assert!(features.windows(2).all(|w| w[0] != w[1]), "{features:?}");
    assert_eq!(flash.count(), Head::LEN);
    let (x, y) = rows();
    for_each_optimizer!(|name, o, adaptive| {
        let (mut a, mut b) = (ram, flash);
        let mut t_ram = Box::new(Trainer::<FrozenFront, _, _, B>::new(MeanSquaredError, o));
        let mut t_flash = Box::new(Trainer::<InFlash, _, _, B>::new(MeanSquaredError, o));
        let lr = if adaptive { 1e-2 } else { 5e-2 };
        for _ in 0..30 {
            let p = t_ram.train_step(&mut a, &x, &y, lr).expect("ram");
            let q = t_flash.train_step(&mut b, &x, &y, lr).expect("flash");
            assert_eq!(p.loss.to_bits(), q.loss.to_bits(), "{name}");
        }
        assert_eq!(bits(&a.second), bits(&b.second), "{name}");
        assert_eq!(bits(&a.first), bits(&PRETRAINED), "{name}");
    });
    type RamT = Trainer<FrozenFront, MeanSquaredError, Adam, B>;
    type FlashT = Trainer<InFlash, MeanSquaredError, Adam, B>;
    assert_eq!(size_of::<InFlash>(), size_of::<Head>());
    assert_eq!(
        FlashT::MEMORY.parameters,
        RamT::MEMORY.parameters - size_of::<Backbone>()
    );
    assert_eq!(FlashT::MEMORY.trainer, RamT::MEMORY.trainer);
    assert_eq!(
        FlashT::MEMORY.total,
        RamT::MEMORY.total - size_of::<Backbone>()
    );
    // The shapes and weights are readable, not writable.
    let mut shapes = Vec::new();
    flash.visit_shapes(0, &mut |s| shapes.push((s.inputs, s.outputs)));
    assert_eq!(shapes, [(3, 6), (6, 5), (5, 4), (4, 2)]);
    assert_eq!(
        flash.layer(0).map(|l| l.bias),
        Some(&PRETRAINED.first.first.params.bias[..])
    );
    assert!(flash.layer_mut(2).is_none());
    assert!(flash.layer_mut(3).is_some());

    // A checkpoint holds the head's values and a CRC-32 of each flash
    // layer: it loads back into the same type, and into the RAM network
    // if that holds the same backbone; a RAM network with another
    // backbone refuses it, naming the layer, and keeps its weights.
    use microprop::checkpoint::{self, CheckpointError};
    let mut blob = vec![0u8; checkpoint::params_len::<InFlash>()];
    assert_eq!(
        blob.len(),
        checkpoint::params_len::<FrozenFront>() - 4 * (Backbone::LEN - 3)
    );
    checkpoint::save(&flash, &mut blob).expect("save");
    let mut back = InFlash::ZERO;
    checkpoint::load(&mut back, &blob).expect("load");
    assert_eq!(bits(&back), bits(&flash));
    let mut same = ram;
    same.second = Head::ZERO;
    checkpoint::load(&mut same, &blob).expect("same backbone");
    assert_eq!(bits(&same), bits(&ram));
    let mut other = ram;
    other.first.layer.first.second.params.bias[1][0] += 1.0;
    let before = bits(&other);
    let err = checkpoint::load(&mut other, &blob).unwrap_err();
    assert!(
        matches!(err, CheckpointError::FlashMismatch { layer: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("layer 1: "), "{err}");
    assert_eq!(bits(&other), before);
    // The RAM network's checkpoint, holding the backbone's values, loads
    // into the flash network when they are the flash values.
    let mut full_blob = vec![0u8; checkpoint::params_len::<FrozenFront>()];
    checkpoint::save(&ram, &mut full_blob).expect("save");
    let mut back = InFlash::ZERO;
    checkpoint::load(&mut back, &full_blob).expect("load");
    assert_eq!(bits(&back), bits(&flash));
    checkpoint::save(&other, &mut full_blob).expect("save");
    let mut back = InFlash::ZERO;
    let err = checkpoint::load(&mut back, &full_blob).unwrap_err();
    assert!(
        matches!(err, CheckpointError::FlashMismatch { layer: 1, .. }),
        "{err:?}"
    );
    assert_eq!(bits(&back), bits(&InFlash::ZERO));
}

/// The run-time front end: a `dynamic::Backbone` over read-only
/// parameters and a head `Network` trained on its features give the bits
/// of the const-generic `network![Frozen<Backbone>, Head]`, and its
/// buffers are checked.
#[test]
fn a_run_time_backbone_trains_the_head_to_the_typed_bits() {
    use microprop::ActivationKind;
    use microprop::dynamic::{self, LayerSpec, LossKind, Targets, Topology};
    let full = initialised();
    let mut typed: FrozenFront = like(&full);
    let front_layers = [
        LayerSpec::dense(6, ActivationKind::Tanh),
        LayerSpec::maxout(5, 2),
        LayerSpec::dense(4, ActivationKind::Relu),
    ];
    let head_layers = [LayerSpec::dense(2, ActivationKind::Identity)];
    let front = Topology::new(3, &front_layers).expect("front");
    let head = Topology::new(4, &head_layers).expect("head");
    let backbone_params = flat(&typed.first);
    let backbone = dynamic::Backbone::new(front, &backbone_params).expect("backbone");
    assert!(dynamic::Backbone::new(front, &backbone_params[1..]).is_err());

    let mut head_params = flat(&typed.second);
    let n = head.params_len();
    assert_eq!(n, Head::LEN);
    let (mut grads, mut state) = (vec![0.0; n], vec![0.0; 2 * n]);
    let mut cache = vec![0.0; head.cache_len(B).expect("fits")];
    let mut net = dynamic::Network::new(head, &mut head_params).expect("head");
    let buffers = dynamic::Buffers {
        gradients: &mut grads,
        optimizer_state: &mut state,
        cache: &mut cache,
        winners: &mut [],
    };
    let mut trainer =
        dynamic::Trainer::new(head, buffers, B, LossKind::MeanSquaredError, Adam::PYTORCH)
            .expect("trainer");
    let mut t_typed = Trainer::<FrozenFront, _, _, B>::new(MeanSquaredError, Adam::PYTORCH);

    let (x, y) = rows();
    let (mut scratch, mut winners) = (
        vec![0.0; front.scratch_len()],
        vec![0u8; front.scratch_winners_len()],
    );
    let mut features = vec![0.0; B * 4];
    for _ in 0..25 {
        let count = backbone
            .features(x.as_flattened(), &mut scratch, &mut winners, &mut features)
            .expect("features");
        assert_eq!(count, B);
        let a = trainer
            .train_step(&mut net, &features, Targets::Values(y.as_flattened()), 1e-2)
            .expect("run-time");
        let b = t_typed.train_step(&mut typed, &x, &y, 1e-2).expect("typed");
        assert_eq!(a.loss.to_bits(), b.loss.to_bits());
    }
    assert_eq!(
        microprop_tests::params::slice_bits(net.params()),
        bits(&typed.second)
    );

    // Bad buffers are refused and write nothing.
    let before = features.clone();
    let mut bad = x;
    bad[1][0] = f32::INFINITY;
    assert_eq!(
        backbone.features(
            bad.as_flattened(),
            &mut scratch,
            &mut winners,
            &mut features
        ),
        Err(Error::NonFiniteInput { row: 1 })
    );
    assert!(matches!(
        backbone.features(
            &x.as_flattened()[1..],
            &mut scratch,
            &mut winners,
            &mut features
        ),
        Err(Error::BufferLength {
            buffer: Buffer::Input,
            ..
        })
    ));
    assert!(matches!(
        backbone.features(
            x.as_flattened(),
            &mut scratch,
            &mut winners,
            &mut features[1..]
        ),
        Err(Error::BufferLength {
            buffer: Buffer::Output,
            ..
        })
    ));
    assert!(matches!(
        backbone.features(
            x.as_flattened(),
            &mut scratch[1..],
            &mut winners,
            &mut features
        ),
        Err(Error::BufferLength {
            buffer: Buffer::Scratch,
            ..
        })
    ));
    assert!(matches!(
        backbone.features(x.as_flattened(), &mut scratch, &mut [], &mut features),
        Err(Error::BufferLength {
            buffer: Buffer::Winners,
            ..
        })
    ));
    assert_eq!(features, before);
}
