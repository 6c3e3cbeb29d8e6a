//! The bit-identity reference for the Python bindings: one training run
//! through `microprop::dynamic`, written straight from Rust, with none of
//! the bindings' code, and its result written as a checkpoint
//! (`checkpoint::save_network_training`: parameters, optimizer state and
//! step count). `python/tests/test_bit_identity.py` runs the same
//! configuration through the bindings and compares the two checkpoints
//! byte for byte.
//!
//! ```text
//! microprop-python-reference --x X.f32 --y Y.bin --layers 64,32:tanh,10:identity
//!     --loss softmax_cross_entropy --optimizer adam --lr 0.01 --batch 16
//!     --epochs 2 [--steps N] --seed 7 [--init xavier] [--shuffle 3]
//!     [--clip 1.0] [--backbone 64,32:tanh --backbone-params P.f32]
//!     --out checkpoint.bin
//! ```
//! `X.f32`: the rows, little-endian f32, row after row. `Y.bin`: one
//! little-endian u32 label per row (softmax cross-entropy) or the target
//! rows as little-endian f32. Layers: the input width, then
//! `units:activation[:setting]` or `units:maxout:pieces`. Optimizers:
//! `sgd`, `momentum[:beta]`, `nesterov[:beta]`, `adagrad`, `rmsprop`,
//! `adam`, `adamw[:decay]`, each with PyTorch's defaults otherwise.
//!
//! The loop is the bindings' documented `fit`: epochs in the order
//! `Permutation::new(n, shuffle ^ (epoch << 32))` (or data order), one
//! `Trainer::train_step` per `batch` rows (the last step of an epoch takes
//! the rest), stopping after `epochs` epochs or `steps` steps, whichever
//! comes first.
//!
//! With `--backbone`, the rows of `X.f32` are that layer list's inputs:
//! a `dynamic::Backbone` over the parameters in `P.f32` (little-endian
//! f32, the frozen layers' `get_params`) maps each batch to the rows the
//! network of `--layers` (the head) trains on, batch by batch, as a
//! device fine-tuning its head would.

use std::process::ExitCode;

use microprop::dynamic::{
    Backbone, Buffers, FlatOptimizer, LayerSpec, LossKind, Network, Targets, Topology, Trainer,
};
use microprop::{
    ActivationKind, AdaGrad, Adam, Init, Momentum, Permutation, RmsProp, Sgd, checkpoint,
};

/// One run's settings, from the command line.
struct Run {
    x: Vec<f32>,
    y: Vec<u8>,
    inputs: usize,
    layers: Vec<LayerSpec>,
    loss: LossKind,
    optimizer: String,
    lr: f32,
    batch: usize,
    epochs: Option<u32>,
    steps: Option<u32>,
    seed: u64,
    init: Init,
    shuffle: Option<u64>,
    clip: Option<f32>,
    /// The frozen front: its input width, layers and parameters.
    backbone: Option<(usize, Vec<LayerSpec>, Vec<f32>)>,
    out: String,
}

fn main() -> ExitCode {
    match parse(std::env::args().skip(1).collect()).and_then(|run| run.execute()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("microprop-python-reference: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The value of `--name` in `args`.
fn value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn required<'a>(args: &'a [String], name: &str) -> Result<&'a str, String> {
    value(args, name).ok_or(format!("{name} is required"))
}

fn number<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{what}: not a number: {text}"))
}

fn parse(args: Vec<String>) -> Result<Run, String> {
    let read = |name| {
        let path = required(&args, name)?;
        std::fs::read(path).map_err(|e| format!("{path}: {e}"))
    };
    let floats = |bytes: Vec<u8>| -> Vec<f32> {
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    };
    let x = floats(read("--x")?);
    let y = read("--y")?;
    let (inputs, layers) = layer_list(required(&args, "--layers")?)?;
    let backbone = match value(&args, "--backbone") {
        Some(list) => {
            let (inputs, layers) = layer_list(list)?;
            Some((inputs, layers, floats(read("--backbone-params")?)))
        }
        None => None,
    };
    let loss = match required(&args, "--loss")? {
        "mse" => LossKind::MeanSquaredError,
        "softmax_cross_entropy" => LossKind::SoftmaxCrossEntropy,
        "sigmoid_bce" => LossKind::SigmoidBinaryCrossEntropy,
        other => return Err(format!("unknown loss {other}")),
    };
    let optional = |name| value(&args, name).map(|v| number(v, name)).transpose();
    let init = match value(&args, "--init").unwrap_or("xavier") {
        "xavier" => Init::Xavier,
        "glorot_uniform" => Init::GlorotUniform,
        "glorot_normal" => Init::GlorotNormal,
        "he_normal" => Init::HeNormal,
        "he_uniform" => Init::HeUniform,
        other => return Err(format!("unknown init {other}")),
    };
    Ok(Run {
        x,
        y,
        inputs,
        layers,
        loss,
        optimizer: required(&args, "--optimizer")?.to_owned(),
        lr: number(required(&args, "--lr")?, "--lr")?,
        batch: number(required(&args, "--batch")?, "--batch")?,
        epochs: optional("--epochs")?,
        steps: optional("--steps")?,
        seed: number(required(&args, "--seed")?, "--seed")?,
        init,
        shuffle: value(&args, "--shuffle")
            .map(|v| number(v, "--shuffle"))
            .transpose()?,
        clip: value(&args, "--clip")
            .map(|v| number(v, "--clip"))
            .transpose()?,
        backbone,
        out: required(&args, "--out")?.to_owned(),
    })
}

/// `inputs,layer,layer,...`: the input width and the layers.
fn layer_list(text: &str) -> Result<(usize, Vec<LayerSpec>), String> {
    let mut specs = text.split(',');
    let inputs = number(specs.next().unwrap_or(""), "input width")?;
    let layers = specs.map(layer).collect::<Result<_, _>>()?;
    Ok((inputs, layers))
}

/// `units:activation[:setting]` or `units:maxout:pieces`.
fn layer(text: &str) -> Result<LayerSpec, String> {
    let mut parts = text.split(':');
    let units = number(parts.next().unwrap_or(""), "units")?;
    let name = parts.next().unwrap_or("identity");
    let setting = parts.next();
    if name == "maxout" {
        return Ok(LayerSpec::maxout(
            units,
            number(setting.unwrap_or("2"), "pieces")?,
        ));
    }
    let kind = ActivationKind::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or(format!("unknown activation {name}"))?;
    Ok(match setting {
        Some(s) => LayerSpec::dense_with(units, kind, number(s, "setting")?),
        None => LayerSpec::dense(units, kind),
    })
}

impl Run {
    fn execute(&self) -> Result<(), String> {
        let (name, setting) = match self.optimizer.split_once(':') {
            Some((name, setting)) => (name, Some(number::<f32>(setting, "optimizer setting")?)),
            None => (self.optimizer.as_str(), None),
        };
        let beta = setting.unwrap_or(0.9);
        match name {
            "sgd" => match setting {
                Some(weight_decay) => self.train(Sgd::with_weight_decay(weight_decay)),
                None => self.train(Sgd),
            },
            "momentum" => self.train(Momentum::new(beta)),
            "nesterov" => self.train(Momentum {
                nesterov: true,
                ..Momentum::new(beta)
            }),
            "adagrad" => self.train(AdaGrad {
                initial_accumulator: setting.unwrap_or(0.0),
                ..AdaGrad::PYTORCH
            }),
            "rmsprop" => self.train(RmsProp::PYTORCH),
            "adam" => self.train(Adam::PYTORCH),
            "adamw" => self.train(Adam::adamw(setting.unwrap_or(0.01))),
            other => Err(format!("unknown optimizer {other}")),
        }
    }

    fn train<O: FlatOptimizer>(&self, optimizer: O) -> Result<(), String> {
        let error = |e: microprop::Error| e.to_string();
        let topology = Topology::new(self.inputs, &self.layers).map_err(error)?;
        let outputs = topology.outputs();
        let front = match &self.backbone {
            Some((inputs, layers, params)) => {
                let topology = Topology::new(*inputs, layers).map_err(error)?;
                Some(Backbone::new(topology, params).map_err(error)?)
            }
            None => None,
        };
        // The width of the rows of `x`: the backbone's inputs, if any.
        let width = front.map_or(self.inputs, |b| b.topology().inputs());
        let n = self.x.len() / width;
        let mut features = Vec::new();
        let (mut front_scratch, mut front_winners) = match front {
            Some(b) => (
                vec![0.0; b.topology().scratch_len()],
                vec![0; b.topology().scratch_winners_len()],
            ),
            None => (Vec::new(), Vec::new()),
        };
        let labels: Vec<usize> = self
            .y
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .collect();
        let values: Vec<f32> = self
            .y
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();

        let mut params = vec![0.0; topology.params_len()];
        let mut gradients = vec![0.0; topology.params_len()];
        let mut state = vec![0.0; O::STATE_BUFFERS * topology.params_len()];
        let mut cache = vec![0.0; topology.cache_len(self.batch).unwrap_or(0)];
        let mut winners = vec![0; topology.winners_len(self.batch).unwrap_or(0)];
        let mut net = Network::new(topology, &mut params).map_err(error)?;
        net.init(self.init, &mut microprop::init::seeded(self.seed));
        let buffers = Buffers {
            gradients: &mut gradients,
            optimizer_state: &mut state,
            cache: &mut cache,
            winners: &mut winners,
        };
        let mut trainer =
            Trainer::new(topology, buffers, self.batch, self.loss, optimizer).map_err(error)?;
        trainer.max_grad_norm = self.clip;

        let (mut batch_x, mut batch_labels, mut batch_values) =
            (Vec::new(), Vec::new(), Vec::new());
        let mut taken = 0u32;
        let epochs = self
            .epochs
            .unwrap_or(if self.steps.is_some() { u32::MAX } else { 1 });
        'epochs: for epoch in 0..epochs {
            let order = self
                .shuffle
                .map(|s| Permutation::new(n, s ^ (u64::from(epoch) << 32)));
            let mut position = 0;
            while position < n {
                if self.steps.is_some_and(|s| taken >= s) {
                    break 'epochs;
                }
                let rows = self.batch.min(n - position);
                batch_x.clear();
                batch_labels.clear();
                batch_values.clear();
                for i in position..position + rows {
                    let sample = order.map_or(i, |p| p.index(i));
                    batch_x.extend_from_slice(&self.x[sample * width..][..width]);
                    if self.loss == LossKind::SoftmaxCrossEntropy {
                        batch_labels.push(labels[sample]);
                    } else {
                        batch_values.extend_from_slice(&values[sample * outputs..][..outputs]);
                    }
                }
                let targets = if self.loss == LossKind::SoftmaxCrossEntropy {
                    Targets::Labels(&batch_labels)
                } else {
                    Targets::Values(&batch_values)
                };
                let rows_in = match front {
                    Some(b) => {
                        features.clear();
                        features.resize(rows * self.inputs, 0.0);
                        b.features(
                            &batch_x,
                            &mut front_scratch,
                            &mut front_winners,
                            &mut features,
                        )
                        .map_err(error)?;
                        &features
                    }
                    None => &batch_x,
                };
                trainer
                    .train_step(&mut net, rows_in, targets, self.lr)
                    .map_err(error)?;
                taken += 1;
                position += rows;
            }
            if self.steps.is_some_and(|s| taken >= s) {
                break;
            }
        }

        let steps = trainer.steps();
        let state = trainer.optimizer_state().to_vec();
        let mut blob = vec![0; checkpoint::network_len(&topology, Some(state.len()))];
        let len = checkpoint::save_network_training(&net, &state, steps, &mut blob)
            .map_err(|e| e.to_string())?;
        std::fs::write(&self.out, &blob[..len]).map_err(|e| format!("{}: {e}", self.out))
    }
}
