//! Head-only fine-tuning through the C API gives the bits of the typed
//! front end: a `microprop_backbone` over a pretrained model's parameters
//! (read-only) computes the features, a head `microprop_model` trains on
//! them, and the result equals `network![Frozen<front>, head]` trained by
//! `microprop::Trainer` step for step (loss, head weights, optimizer
//! state); the backbone's parameters keep their bits.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use microprop::{
    Adam, Dense, Frozen, Identity, Inference, Init, Layer as _, LrSchedule, Maxout, Parameters,
    Schedule, SoftmaxCrossEntropy, Tanh, Trainer, Warmup, WarmupStart, network,
};
mod cmodel;
use cmodel::CModel;

use microprop_ffi::{
    Backbone, BackboneBuffers, BackboneConfig, BackboneSizes, Config, InitConfig, InitKind, Layer,
    Loss, Stats, Status, microprop_adam, microprop_backbone_buffer_sizes,
    microprop_backbone_features, microprop_backbone_init, microprop_dense, microprop_init_weights,
    microprop_maxout, microprop_schedule_cosine, microprop_set_params, microprop_train_labels,
};

/// The pretrained network: a tanh layer and a maxout layer (the frozen
/// front) and the classifier layer (the head).
type Front = network![Dense<6, 8, Tanh>, Maxout<8, 5, 2>];
type Head = Dense<5, 3, Identity>;
type FrozenFront = network![Frozen<Front>, Head];

const BATCH: usize = 4;

fn c_layers() -> [Layer; 3] {
    [
        microprop_dense(8, microprop::ActivationKind::Tanh.code()),
        microprop_maxout(5, 2),
        microprop_dense(3, microprop::ActivationKind::Identity.code()),
    ]
}

/// `rows` rows of 6 features in [-1, 1] from a fixed integer hash, three
/// classes from the features' signs.
fn data(rows: usize) -> (Vec<f32>, Vec<usize>) {
    let mut state = 0x2468_ace1u32;
    let x: Vec<f32> = (0..rows * 6)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state % 2001) as f32 / 1000.0 - 1.0
        })
        .collect();
    let labels = x
        .chunks(6)
        .map(|r| r.iter().filter(|&&v| v > 0.0).count() % 3)
        .collect();
    (x, labels)
}

fn schedule() -> Warmup<LrSchedule> {
    Warmup {
        steps: 3,
        inner: LrSchedule::Cosine {
            initial: 0.02,
            last: 0.001,
            period: 30,
        },
        start: WarmupStart::LinearLr,
    }
}

impl CModel {
    /// A classifier of `layers` over `inputs` features, Adam, warmup +
    /// cosine.
    fn classifier(inputs: u32, layers: &[Layer]) -> CModel {
        let mut schedule = microprop_schedule_cosine(0.02, 0.001, 30);
        schedule.warmup_steps = 3;
        let config = Config {
            inputs,
            layer_count: layers.len() as u32,
            layers: layers.as_ptr(),
            loss: Loss::SoftmaxCrossEntropy as u32,
            batch: BATCH as u32,
            fused: 0,
            reserved: [0; 3],
            max_grad_norm: 0.0,
            optimizer: microprop_adam(),
            schedule,
        };
        CModel::new(&config).0
    }

    fn train(&mut self, x: &[f32], labels: &[usize]) -> Stats {
        let mut stats = Stats::default();
        // SAFETY: a set-up model; distinct Rust buffers.
        let status = unsafe {
            microprop_train_labels(
                &mut *self.model,
                x.as_ptr(),
                x.len(),
                labels.as_ptr(),
                labels.len(),
                &mut stats,
            )
        };
        assert_eq!(status, Status::Ok);
        stats
    }
}

/// A backbone over `params` (read through a `const float *`), with its
/// workspace.
struct CBackbone {
    backbone: Box<Backbone>,
    sizes: BackboneSizes,
    _scratch: Vec<f32>,
    _winners: Vec<u8>,
}

impl CBackbone {
    fn new(layers: &[Layer], params: &[f32]) -> CBackbone {
        let config = BackboneConfig {
            inputs: 6,
            layer_count: layers.len() as u32,
            layers: layers.as_ptr(),
        };
        let mut sizes = BackboneSizes::default();
        // SAFETY: a valid config and output.
        let status = unsafe { microprop_backbone_buffer_sizes(&config, &mut sizes) };
        assert_eq!(status, Status::Ok);
        let mut scratch = vec![0.0; sizes.scratch];
        let mut winners = vec![0; sizes.scratch_winners];
        let buffers = BackboneBuffers {
            params: params.as_ptr(),
            params_len: params.len(),
            scratch: scratch.as_mut_ptr(),
            scratch_len: scratch.len(),
            scratch_winners: winners.as_mut_ptr(),
            scratch_winners_len: winners.len(),
        };
        let mut backbone: Box<Backbone> = Box::default();
        // SAFETY: `params` outlives the backbone in every test and is not
        // written; the workspace is the backbone's alone.
        let status = unsafe { microprop_backbone_init(&mut *backbone, &config, &buffers) };
        assert_eq!(status, Status::Ok);
        CBackbone {
            backbone,
            sizes,
            _scratch: scratch,
            _winners: winners,
        }
    }

    fn features(&mut self, x: &[f32]) -> Vec<f32> {
        let mut out = vec![f32::NAN; x.len() / self.sizes.inputs * self.sizes.outputs];
        // SAFETY: a set-up backbone; distinct Rust buffers.
        let status = unsafe {
            microprop_backbone_features(
                &mut *self.backbone,
                x.as_ptr(),
                x.len(),
                out.as_mut_ptr(),
                out.len(),
            )
        };
        assert_eq!(status, Status::Ok);
        out
    }
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

fn typed_bits<P: Parameters>(p: &P) -> Vec<u32> {
    p.slices().flatten().map(|v| v.to_bits()).collect()
}

#[test]
fn a_c_backbone_and_head_train_to_the_bits_of_a_typed_frozen_front() {
    let (x, labels) = data(48);
    let layers = c_layers();

    // Pretraining: the whole network through the C API.
    let mut full = CModel::classifier(6, &layers);
    let init = InitConfig {
        kind: InitKind::Xavier as u32,
        a: 0.0,
        b: 0.0,
    };
    // SAFETY: a set-up model.
    let status = unsafe { microprop_init_weights(&mut *full.model, init, 21) };
    assert_eq!(status, Status::Ok);
    for step in 0..12 {
        let rows = (step * BATCH) % 48..(step * BATCH) % 48 + BATCH;
        full.train(&x[rows.start * 6..rows.end * 6], &labels[rows]);
    }
    let pretrained = full.params.clone();
    let front_len = Front::LEN;

    // Fine-tuning from C: the backbone reads the pretrained array (all of
    // it: its first `params` values are the front's), the head starts from
    // the pretrained head.
    let mut backbone = CBackbone::new(&layers[..2], &pretrained);
    assert_eq!(backbone.sizes.params, front_len);
    assert_eq!(backbone.sizes.outputs, 5);
    assert_eq!(backbone.sizes.scratch_winners, 5);
    let mut head = CModel::classifier(5, &layers[2..]);
    let head_params = &pretrained[front_len..];
    // SAFETY: a set-up model; a distinct buffer.
    let status =
        unsafe { microprop_set_params(&mut *head.model, head_params.as_ptr(), head_params.len()) };
    assert_eq!(status, Status::Ok);

    // The typed front end: the same network with its front frozen.
    let mut net = FrozenFront::ZERO;
    net.copy_from(&pretrained).unwrap();
    let mut trainer = Box::new(Trainer::<FrozenFront, _, _, BATCH>::new(
        SoftmaxCrossEntropy,
        Adam::PYTORCH,
    ));
    let schedule = schedule();

    let rows_of = |chunk: &[f32]| -> Vec<[f32; 6]> {
        chunk.chunks(6).map(|r| r.try_into().unwrap()).collect()
    };
    for step in 0..40 {
        let start = (step * BATCH) % 48;
        let x_rows = &x[start * 6..(start + BATCH) * 6];
        let y_rows = &labels[start..start + BATCH];
        let features = backbone.features(x_rows);
        let c = head.train(&features, y_rows);
        let lr = schedule.learning_rate(trainer.steps());
        let typed = trainer
            .train_step(&mut net, &rows_of(x_rows), y_rows, lr)
            .unwrap();
        assert_eq!(
            c.loss.to_bits(),
            typed.loss.to_bits(),
            "loss of step {step}"
        );
        assert_eq!(c.learning_rate.to_bits(), lr.to_bits());
    }
    assert_eq!(bits(&head.params), typed_bits(&net.second), "head weights");
    assert_eq!(
        bits(&head.state),
        typed_bits(trainer.optimizer_state()),
        "optimizer state"
    );
    // The front never moved, on either side, and the features of every row
    // are the typed backbone's outputs.
    assert_eq!(bits(&pretrained), bits(&full.params));
    assert_eq!(typed_bits(&net.first.layer), bits(&pretrained[..front_len]));
    let features = backbone.features(&x);
    let mut inference = Inference::<Front>::new();
    for (row, got) in rows_of(&x).iter().zip(features.chunks(5)) {
        let want = inference.predict(&net.first.layer, row).unwrap();
        assert_eq!(bits(got), bits(want));
    }
    // The comparison can fail: another head step is other bits.
    let extra = backbone.features(&x[..BATCH * 6]);
    head.train(&extra, &labels[..BATCH]);
    assert_ne!(bits(&head.params), typed_bits(&net.second));
}

#[test]
fn the_features_are_the_dynamic_backbones_for_any_row_count() {
    let (x, _) = data(13);
    let layers = c_layers();
    let mut params = vec![0.0; Front::LEN];
    let mut front = Front::ZERO;
    front.init(Init::HeNormal, &mut microprop::init::seeded(5));
    front.copy_to(&mut params).unwrap();
    let mut backbone = CBackbone::new(&layers[..2], &params);
    let specs = [
        microprop::dynamic::LayerSpec::dense(8, microprop::ActivationKind::Tanh),
        microprop::dynamic::LayerSpec::maxout(5, 2),
    ];
    let topology = microprop::dynamic::Topology::new(6, &specs).unwrap();
    let core = microprop::dynamic::Backbone::new(topology, &params).unwrap();
    for rows in [1, 4, 13] {
        let got = backbone.features(&x[..rows * 6]);
        let mut want = vec![0.0; rows * 5];
        let (mut scratch, mut winners) = (vec![0.0; 16], vec![0; 5]);
        core.features(&x[..rows * 6], &mut scratch, &mut winners, &mut want)
            .unwrap();
        assert_eq!(bits(&got), bits(&want), "{rows} rows");
    }
}
