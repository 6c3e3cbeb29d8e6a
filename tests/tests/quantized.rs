//! int8 frozen layers (`QuantizedDense`): quantisation stays within half a
//! step of every weight; the layer computes `core::quantize`'s documented
//! arithmetic to the bit and stays within the stated bound of the float
//! layer; a head behind an int8 backbone trains exactly as a network of
//! its own on the backbone's outputs (batch and fused step, RAM and
//! flash); the int8 values never move; the memory report shows the
//! saving; bad input is refused with nothing changed.

use std::mem::size_of;

use microprop::init::{Init, seeded};
use microprop::layer::{Cache, FlashWeights, Grads, Zeroed};
use microprop::{
    Adam, Dense, Error, Flash, Frozen, FusedTrainer, Identity, Inference, Layer, MeanSquaredError,
    Parameters, QuantizedDense, Relu, Sgd, SoftmaxCrossEntropy, Tanh, Trainer, network,
};
use microprop_tests::for_each_optimizer;
use microprop_tests::params::bits;

type Backbone = network![QuantizedDense<5, 7, Tanh>, QuantizedDense<7, 4, Relu>];
type FloatBackbone = network![Dense<5, 7, Tanh>, Dense<7, 4, Relu>];
type Head = Dense<4, 3, Identity>;
type Int8Front = network![QuantizedDense<5, 7, Tanh>, QuantizedDense<7, 4, Relu>, Head];
/// An int8 layer between trainable ones.
type Int8Middle = network![Dense<5, 7, Tanh>, QuantizedDense<7, 4, Relu>, Head];
/// The same with the dequantised float layer, frozen.
type FloatMiddle = network![Dense<5, 7, Tanh>, Frozen<Dense<7, 4, Relu>>, Head];

const B: usize = 4;

fn rows() -> ([[f32; 5]; B], [usize; B]) {
    (
        [
            [0.5, -1.0, 2.0, 0.1, -0.3],
            [1.5, 0.25, -0.75, 0.9, 0.0],
            [-0.3, 0.8, 0.1, -2.2, 1.1],
            [2.0, -0.5, -1.25, 0.4, 0.6],
        ],
        [0, 2, 1, 2],
    )
}

fn float_backbone() -> FloatBackbone {
    let mut net = FloatBackbone::ZERO;
    net.init(Init::HeNormal, &mut seeded(21));
    for (o, b) in net.first.params.bias.iter_mut().enumerate() {
        *b = 0.05 * o as f32 - 0.1;
    }
    net.second.params.bias = [0.1, -0.05, 0.2, 0.0];
    net
}

fn quantized<const I: usize, const O: usize, A: microprop::Activation>(
    dense: &Dense<I, O, A>,
) -> QuantizedDense<I, O, A> {
    QuantizedDense::quantize(dense).expect("finite weights")
}

fn int8_backbone() -> Backbone {
    let float = float_backbone();
    microprop::Chain::new(quantized(&float.first), quantized(&float.second))
}

fn int8_front() -> Int8Front {
    let mut net = Int8Front::ZERO;
    net.first = int8_backbone();
    net.second.init(Init::Xavier, &mut seeded(5));
    net
}

/// Every weight is within half a step of its dequantised value, the
/// largest of each unit maps to ±127, biases and activation are copied,
/// and the values load back through `from_int8`.
#[test]
fn quantisation_stays_within_half_a_step() {
    let mut dense = Dense::<9, 6, Tanh>::ZERO;
    dense.init(Init::HeNormal, &mut seeded(3));
    dense.params.bias = [0.5, -0.25, 0.0, 1.0, 2.0, -3.0];
    dense.params.weights[4][2] = 0.0; // a zero weight stays zero
    for i in 0..9 {
        dense.params.weights[i][5] = 0.0; // an all-zero unit
    }
    let q = quantized(&dense);
    let back = q.dequantize();
    for o in 0..6 {
        let scale = q.scales[o];
        let max = (0..9)
            .map(|i| dense.params.weights[i][o].abs())
            .fold(0.0f32, f32::max);
        assert_eq!(scale, max / 127.0, "unit {o}");
        if o < 5 {
            assert_eq!(q.weights[o].iter().map(|w| w.abs()).max(), Some(127));
        }
        for i in 0..9 {
            let (w, d) = (dense.params.weights[i][o], back.params.weights[i][o]);
            assert!(
                (w - d).abs() <= scale / 2.0 * (1.0 + 1e-6),
                "w[{i}][{o}] = {w}, dequantised {d}, scale {scale}"
            );
            assert!((-127..=127).contains(&q.weights[o][i]));
        }
    }
    assert_eq!(q.weights[2][4], 0);
    assert_eq!(q.weights[5], [0; 9]);
    assert_eq!(q.scales[5], 0.0);
    assert_eq!(back.params.bias, dense.params.bias);
    let again = QuantizedDense::<9, 6, Tanh>::from_int8(q.weights, q.scales, q.bias);
    assert_eq!(again, q);
    // Quantising the dequantised layer gives the same int8 values.
    assert_eq!(quantized(&back).weights, q.weights);
}

#[test]
fn non_finite_weights_are_refused_naming_the_unit() {
    let mut dense = Dense::<3, 4, Relu>::ZERO;
    dense.params.weights[1][2] = f32::NAN;
    assert_eq!(
        QuantizedDense::quantize(&dense),
        Err(Error::NonFiniteWeight { unit: 2 })
    );
    dense.params.weights[1][2] = 0.0;
    dense.params.bias[3] = f32::INFINITY;
    assert_eq!(
        QuantizedDense::quantize(&dense),
        Err(Error::NonFiniteWeight { unit: 3 })
    );
    dense.params.weights[0][0] = f32::NEG_INFINITY;
    assert_eq!(
        QuantizedDense::quantize(&dense).unwrap_err().to_string(),
        "a weight or bias of unit 0 is not finite"
    );
}

/// The documented arithmetic, written out: the row quantised with
/// `max|x| / 127` (ties to even), integer sums, then `b + (s_x·s_w)·acc`.
fn reference<const I: usize, const O: usize>(
    layer: &QuantizedDense<I, O, Identity>,
    x: &[f32; I],
) -> [f32; O] {
    let max = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let s_x = max / 127.0;
    let xq: Vec<i64> = x
        .iter()
        .map(|v| (v / s_x).round_ties_even().clamp(-127.0, 127.0) as i64)
        .collect();
    std::array::from_fn(|o| {
        let acc: i64 = (0..I).map(|i| i64::from(layer.weights[o][i]) * xq[i]).sum();
        layer.bias[o] + (s_x * layer.scales[o]) * acc as f32
    })
}

/// The layer's output is the reference's bits, in inference and in the
/// training forward pass, and within the stated bound of the float layer:
/// |y_int8 − y_float| ≤ (s_w/2)·Σ|x| + (s_x/2)·Σ|ŵ| (+ float rounding),
/// the weight error times the input plus the input error times the
/// dequantised weights ŵ.
#[test]
fn the_layer_computes_the_documented_bits_within_the_stated_bound() {
    let mut dense = Dense::<16, 8, Identity>::ZERO;
    dense.init(Init::HeNormal, &mut seeded(8));
    dense.params.bias = std::array::from_fn(|o| 0.1 * o as f32 - 0.3);
    let q = quantized(&dense);
    let deq = q.dequantize();
    let mut run = Inference::<QuantizedDense<16, 8, Identity>>::new();
    let mut float_run = Inference::<Dense<16, 8, Identity>>::new();
    let mut worst = 0.0f32;
    for seed in 0..200u32 {
        let x: [f32; 16] = std::array::from_fn(|i| {
            let h = (seed.wrapping_mul(2_654_435_761) ^ (i as u32).wrapping_mul(40_503)) % 20_001;
            (h as f32 / 10_000.0 - 1.0) * (1.0 + (seed % 7) as f32)
        });
        let y = *run.predict(&q, &x).expect("finite");
        let want = reference(&q, &x);
        assert_eq!(bits_of(&y), bits_of(&want), "row {seed}");
        let mut cache = <Cache<QuantizedDense<16, 8, Identity>, 1> as Zeroed>::ZERO;
        microprop::layer::Backprop::forward::<1>(&q, &[x], &mut cache);
        assert_eq!(
            bits_of(&cache.outputs[0]),
            bits_of(&want),
            "forward, row {seed}"
        );

        let float = *float_run.predict(&dense, &x).expect("finite");
        let s_x = x.iter().fold(0.0f32, |m, v| m.max(v.abs())) / 127.0;
        let sum_x: f32 = x.iter().map(|v| v.abs()).sum();
        for o in 0..8 {
            let sum_w: f32 = (0..16).map(|i| deq.params.weights[i][o].abs()).sum();
            let bound = q.scales[o] / 2.0 * sum_x + s_x / 2.0 * sum_w;
            let err = (y[o] - float[o]).abs();
            assert!(
                err <= bound * 1.001 + 1e-5,
                "row {seed}, unit {o}: {err} > {bound}"
            );
            worst = worst.max(err / bound);
        }
    }
    // The bound is not slack beyond reason.
    assert!(worst > 0.05, "{worst}");
    // An odd number of units (the kernel sums units in pairs, the last
    // alone) and one unit: the same documented bits.
    let mut odd = Dense::<5, 7, Identity>::ZERO;
    odd.init(Init::HeNormal, &mut seeded(9));
    let odd = quantized(&odd);
    let mut one = Dense::<5, 1, Identity>::ZERO;
    one.init(Init::HeNormal, &mut seeded(10));
    let one = quantized(&one);
    for x in rows().0 {
        let y = *Inference::new().predict(&odd, &x).expect("finite");
        assert_eq!(bits_of(&y), bits_of(&reference(&odd, &x)));
        let y = *Inference::new().predict(&one, &x).expect("finite");
        assert_eq!(bits_of(&y), bits_of(&reference(&one, &x)));
    }
    // A non-finite row gives NaN outputs.
    let mut bad = [0.5; 16];
    bad[3] = f32::NAN;
    let mut out = [0.0; 8];
    q.infer(&bad, &mut out, &mut [0; 16]);
    assert!(out.iter().all(|v| v.is_nan()));
}

fn bits_of(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Behind an int8 backbone, the head trains exactly as a network of its
/// own on the backbone's outputs, with every optimizer, and the int8
/// values keep their bits.
#[test]
fn a_head_behind_an_int8_backbone_trains_as_a_network_of_its_own() {
    let (x, y) = rows();
    let net = int8_front();
    let mut run = Inference::<Backbone>::new();
    let features: Vec<[f32; 4]> = x
        .iter()
        .map(|r| *run.predict(&net.first, r).expect("finite"))
        .collect();
    assert!(features.windows(2).all(|w| w[0] != w[1]), "{features:?}");
    for_each_optimizer!(|name, o, adaptive| {
        let mut a = net;
        let mut head = net.second;
        let mut t_net = Box::new(Trainer::<Int8Front, _, _, B>::new(SoftmaxCrossEntropy, o));
        let mut t_head = Box::new(Trainer::<Head, _, _, B>::new(SoftmaxCrossEntropy, o));
        let lr = if adaptive { 1e-2 } else { 5e-2 };
        let first = t_net.evaluate(&a, &x, &y).expect("evaluate").loss;
        for _ in 0..40 {
            let p = t_net.train_step(&mut a, &x, &y, lr).expect("int8 front");
            let q = t_head
                .train_step(&mut head, &features, &y, lr)
                .expect("head");
            assert_eq!(p.loss.to_bits(), q.loss.to_bits(), "{name}");
        }
        assert!(
            t_net.evaluate(&a, &x, &y).expect("evaluate").loss < first,
            "{name}"
        );
        assert_eq!(bits(&a.second), bits(&head), "{name}");
        assert_eq!(a.first, net.first, "{name}: an int8 value moved");
        assert_eq!(
            bits(t_net.optimizer_state()),
            bits(t_head.optimizer_state()),
            "{name}"
        );
    });
    // The fused batch-1 step: the same bits as the head's own.
    let mut a = net;
    let mut head = net.second;
    let mut f_net = FusedTrainer::<Int8Front, _, _>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    let mut f_head = FusedTrainer::<Head, _, _>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    for step in 0..12 {
        let r = step % B;
        let p = f_net.train_step(&mut a, &x[r], &y[r], 1e-2).expect("fused");
        let q = f_head
            .train_step(&mut head, &features[r], &y[r], 1e-2)
            .expect("fused head");
        assert_eq!(p.loss.to_bits(), q.loss.to_bits(), "fused step {step}");
    }
    assert_eq!(bits(&a.second), bits(&head));
    assert_eq!(a.first, net.first);

    // Wrapped in `Frozen` (one cached row inside instead of B): the same bits.
    type Wrapped = network![Frozen<Backbone>, Head];
    let mut w = Wrapped::ZERO;
    w.first.layer = net.first;
    w.second = net.second;
    let mut a = net;
    let mut t_w = Trainer::<Wrapped, _, _, B>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    let mut t_a = Trainer::<Int8Front, _, _, B>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    for _ in 0..10 {
        let p = t_w.train_step(&mut w, &x, &y, 1e-2).expect("wrapped");
        let q = t_a.train_step(&mut a, &x, &y, 1e-2).expect("int8 front");
        assert_eq!(p.loss.to_bits(), q.loss.to_bits());
    }
    assert_eq!(bits(&w.second), bits(&a.second));
}

/// Between trainable layers the gradient passes through the dequantised
/// weights: the layers in front get the gradient of the float network with
/// the dequantised layer frozen, up to the input rounding of the int8
/// forward pass; the fused step gives the batch step's bits.
#[test]
fn an_int8_layer_between_trainable_ones_passes_the_gradient_on() {
    let (x, y) = rows();
    let float = float_backbone();
    let mut middle = Int8Middle::ZERO;
    middle.init(Init::Xavier, &mut seeded(9));
    middle.first.second = quantized(&float.second);
    let mut reference = FloatMiddle::ZERO;
    reference.first.first = middle.first.first;
    reference.first.second.layer = middle.first.second.dequantize();
    reference.second = middle.second;

    let mut t_int8 = Trainer::<Int8Middle, _, _, B>::new(SoftmaxCrossEntropy, Sgd);
    let mut t_float = Trainer::<FloatMiddle, _, _, B>::new(SoftmaxCrossEntropy, Sgd);
    t_int8.accumulate(&middle, &x, &y).expect("int8");
    t_float.accumulate(&reference, &x, &y).expect("float");
    let a: Vec<f32> = t_int8.gradient_sum().slices().flatten().copied().collect();
    let b: Vec<f32> = t_float.gradient_sum().slices().flatten().copied().collect();
    assert_eq!(a.len(), 5 * 7 + 7 + 4 * 3 + 3);
    assert_eq!(a.len(), b.len());
    let norm = |v: &[f32]| v.iter().map(|g| g * g).sum::<f32>().sqrt();
    let diff: Vec<f32> = a.iter().zip(&b).map(|(p, q)| p - q).collect();
    assert!(norm(&a[..42]) > 1e-3, "the front layer gets a gradient");
    assert!(
        norm(&diff) <= 0.02 * norm(&b),
        "{} vs {}",
        norm(&diff),
        norm(&b)
    );

    // The fused step and the batch-1 step give the same bits.
    let (mut p, mut q) = (middle, middle);
    let mut fused = FusedTrainer::<Int8Middle, _, _>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    let mut batch = Trainer::<Int8Middle, _, _, 1>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    for step in 0..8 {
        let r = step % B;
        let s = fused.train_step(&mut p, &x[r], &y[r], 1e-2).expect("fused");
        let t = batch
            .train_step(&mut q, &x[r..=r], &y[r..=r], 1e-2)
            .expect("batch");
        assert_eq!(s.loss.to_bits(), t.loss.to_bits(), "step {step}");
        assert_eq!(bits(&p), bits(&q), "step {step}");
    }
    assert_eq!(p.first.second, middle.first.second);
}

/// The memory report: the int8 layers hold a byte a weight plus a scale a
/// unit; no gradient or optimizer state for them; their caches are the
/// output rows and one quantised input row.
#[test]
fn memory_shows_the_int8_saving() {
    type Float = network![Dense<5, 7, Tanh>, Dense<7, 4, Relu>, Head];
    type FloatT = Trainer<Float, SoftmaxCrossEntropy, Adam, B>;
    type FrozenT = Trainer<network![Frozen<FloatBackbone>, Head], SoftmaxCrossEntropy, Adam, B>;
    type Int8T = Trainer<Int8Front, SoftmaxCrossEntropy, Adam, B>;
    let (float, frozen, int8) = (FloatT::MEMORY, FrozenT::MEMORY, Int8T::MEMORY);
    // 4 bytes a weight become 1, plus one f32 scale a unit (and the
    // padding of the i8 array to the f32s' alignment).
    let int8_layer = |i: usize, o: usize| (i * o + 4 * o + 4 * o).next_multiple_of(4);
    assert_eq!(size_of::<Backbone>(), int8_layer(5, 7) + int8_layer(7, 4));
    assert_eq!(size_of::<FloatBackbone>(), (5 * 7 + 7 + 7 * 4 + 4) * 4);
    assert_eq!(
        float.parameters - int8.parameters,
        size_of::<FloatBackbone>() - size_of::<Backbone>()
    );
    assert_eq!(
        size_of::<FloatBackbone>() - size_of::<Backbone>(),
        296 - 152
    );
    assert_eq!(int8.gradients, size_of::<Grads<Head>>());
    assert_eq!(int8.gradients, frozen.gradients);
    assert_eq!(int8.optimizer_state, frozen.optimizer_state);
    assert_eq!(int8.optimizer_state, 2 * int8.gradients);
    // Each int8 layer caches B output rows and one quantised input row
    // (padded to 4 bytes); the chain one row between them.
    assert_eq!(
        size_of::<Cache<QuantizedDense<5, 7, Tanh>, B>>(),
        (B * 7 * 4 + 5).next_multiple_of(4)
    );
    assert_eq!(
        size_of::<Cache<Backbone, B>>(),
        (B * 7 * 4 + 5).next_multiple_of(4) + (B * 4 * 4 + 7).next_multiple_of(4) + 7 * 4
    );
    // Wrapped in `Frozen`, the int8 backbone caches what a frozen float one
    // does, with the one inner row quantised.
    type FrozenInt8T = Trainer<network![Frozen<Backbone>, Head], SoftmaxCrossEntropy, Adam, B>;
    let frozen_int8 = FrozenInt8T::MEMORY;
    assert_eq!(frozen_int8.parameters, int8.parameters);
    assert_eq!(frozen_int8.gradients, int8.gradients);
    assert_eq!(
        frozen_int8.caches,
        frozen.caches - size_of::<Cache<FloatBackbone, 1>>() + size_of::<Cache<Backbone, 1>>()
    );
    // Against the float network: the same output rows, plus the two
    // quantised input rows.
    assert_eq!(
        int8.caches,
        float.caches + 5usize.next_multiple_of(4) + 7usize.next_multiple_of(4)
    );
    assert_eq!(int8.total, int8.parameters + int8.trainer);
    assert!(int8.total < frozen.total);
}

/// Bad input is refused and changes nothing: a non-finite row, a label out
/// of range.
#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let (mut x, y) = rows();
    let mut net = int8_front();
    let before = net;
    let mut trainer = Trainer::<Int8Front, _, _, B>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    trainer
        .train_step(&mut net, &x, &y, 1e-2)
        .expect("good step");
    let trained = net;
    let state = bits(trainer.optimizer_state());
    x[2][1] = f32::NAN;
    assert_eq!(
        trainer.train_step(&mut net, &x, &y, 1e-2),
        Err(Error::NonFiniteInput { row: 2 })
    );
    let (x, mut y) = rows();
    y[3] = 3;
    assert!(matches!(
        trainer.train_step(&mut net, &x, &y, 1e-2),
        Err(Error::LabelOutOfRange { row: 3, .. })
    ));
    assert_eq!(net, trained);
    assert_eq!(net.first, before.first);
    assert_eq!(bits(trainer.optimizer_state()), state);
    assert_eq!(trainer.steps(), 1);
}

/// A `static` int8 layer computed at build time, in flash behind `Flash`:
/// trains as the same layer in RAM, and the network holds only the head.
#[test]
fn an_int8_backbone_in_flash_trains_as_one_in_ram() {
    static FLOAT: Dense<5, 7, Tanh> = Dense::from_params(
        [
            [0.5, -1.0, 0.25, 0.1, -0.2, 0.3, 0.9],
            [2.0, 0.75, -0.5, 0.0, 0.4, -0.6, 0.2],
            [-0.3, 0.2, 0.1, 1.1, -0.9, 0.05, 0.7],
            [0.6, -0.4, 0.8, -0.1, 0.3, 0.5, -0.25],
            [0.0, 0.15, -0.35, 0.45, 0.55, -0.65, 0.1],
        ],
        [0.1, 0.0, -0.1, 0.2, 0.05, -0.05, 0.0],
    );
    static INT8: QuantizedDense<5, 7, Tanh> = match QuantizedDense::quantize(&FLOAT) {
        Ok(q) => q,
        Err(_) => panic!("not finite"),
    };
    struct InFlash;
    impl FlashWeights for InFlash {
        type Layer = QuantizedDense<5, 7, Tanh>;
        const LAYER: &'static QuantizedDense<5, 7, Tanh> = &INT8;
    }
    type FlashNet = network![Flash<InFlash>, Dense<7, 3, Identity>];
    type RamNet = network![QuantizedDense<5, 7, Tanh>, Dense<7, 3, Identity>];
    assert_eq!(
        INT8,
        quantized(&FLOAT),
        "const and run-time quantisation agree"
    );
    let mut ram = RamNet::ZERO;
    ram.first = INT8;
    ram.second.init(Init::Xavier, &mut seeded(2));
    let mut flash = FlashNet::ZERO;
    flash.second = ram.second;
    let (x, y) = rows();
    let mut t_ram = Trainer::<RamNet, _, _, B>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    let mut t_flash = Trainer::<FlashNet, _, _, B>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    for _ in 0..20 {
        let p = t_ram.train_step(&mut ram, &x, &y, 1e-2).expect("ram");
        let q = t_flash.train_step(&mut flash, &x, &y, 1e-2).expect("flash");
        assert_eq!(p.loss.to_bits(), q.loss.to_bits());
    }
    assert_eq!(bits(&ram.second), bits(&flash.second));
    assert_eq!(size_of::<FlashNet>(), size_of::<Dense<7, 3, Identity>>());
    assert_eq!(
        Trainer::<FlashNet, MeanSquaredError, Sgd, B>::MEMORY.parameters,
        Trainer::<RamNet, MeanSquaredError, Sgd, B>::MEMORY.parameters
            - size_of::<QuantizedDense<5, 7, Tanh>>()
    );
    // Shapes are visible; the int8 weights are not f32 parameters.
    let mut shapes = Vec::new();
    flash.visit_shapes(0, &mut |s| shapes.push((s.inputs, s.outputs)));
    assert_eq!(shapes, [(5, 7), (7, 3)]);
    assert!(ram.layer(0).is_none());
    assert_eq!(ram.layer(1).map(|l| l.weights.len()), Some(21));
    assert_eq!(RamNet::LEN, 7 * 3 + 3);
}
