//! Quantises the named layers of a built-in model and measures it before
//! and after.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use microprop::checkpoint;
use microprop::{
    AcceptsActivation, Chain, Dense, Identity, Layer, Model, QuantizedDense,
    SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, Tanh, network,
};

use super::args::QuantizeOptions;
use crate::data::files::write_atomic;
use crate::models::checkpoints::{self, Contents, resolve};
use crate::models::{Builtin, Sets, Task, TaskKind};
use crate::report::{Evaluation, evaluate_model, evaluation_line};

/// The built-in models `quantize` takes: a tanh hidden layer and a linear
/// output layer.
type TwoLayer<const D: usize, const H: usize, const O: usize> =
    network![Dense<D, H, Tanh>, Dense<H, O, Identity>];

// The built-in models are these shapes (a compile error if one changes).
const _: fn(crate::models::DigitsNet) -> TwoLayer<64, 32, 10> = |n| n;
const _: fn(crate::models::MnistNet) -> TwoLayer<784, 32, 10> = |n| n;
const _: fn(crate::models::IrisNet) -> TwoLayer<4, 16, 3> = |n| n;
const _: fn(crate::models::XorNet) -> TwoLayer<2, 8, 1> = |n| n;

/// A model's scores on its training rows and its held-out rows.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Scores {
    /// The training rows (every row when nothing is held out).
    pub train: Evaluation,
    /// The held-out rows.
    pub test: Option<Evaluation>,
}

impl Scores {
    /// The held-out rows' evaluation, or the training rows' without them.
    pub fn measured(&self) -> &Evaluation {
        self.test.as_ref().unwrap_or(&self.train)
    }
}

/// What `quantize` measured.
#[derive(Debug, Clone)]
pub struct QuantizeOutcome {
    /// The model.
    pub model: Builtin,
    /// Its float checkpoint.
    pub checkpoint: PathBuf,
    /// What the checkpoint holds.
    pub contents: Contents,
    /// The task.
    pub task: TaskKind,
    /// The layers quantised, from 0, ascending.
    pub layers: Vec<usize>,
    /// Bytes of the float network's weights and biases.
    pub float_bytes: usize,
    /// Bytes of the network with the named layers in int8 (weights, one
    /// scale and one bias a unit).
    pub int8_bytes: usize,
    /// The float model's scores.
    pub float: Scores,
    /// The int8 model's scores.
    pub int8: Scores,
    /// Where the int8 model's checkpoint was written (`--out`).
    pub out: Option<PathBuf>,
}

impl QuantizeOutcome {
    /// The change of accuracy on the held-out rows (every row without
    /// them), int8 minus float, in percentage points (`None` for
    /// regression).
    pub fn accuracy_change(&self) -> Option<f32> {
        let (a, b) = (self.float.measured(), self.int8.measured());
        Some((b.accuracy? - a.accuracy?) * 100.0)
    }

    /// The JSON object `quantize --json` prints.
    pub fn to_json(&self) -> serde_json::Value {
        let mut json = serde_json::json!({
            "command": "quantize",
            "model": self.model.name(),
            "checkpoint": self.checkpoint.display().to_string(),
            "layers": self.layers,
            "float_bytes": self.float_bytes,
            "int8_bytes": self.int8_bytes,
            "float": self.float,
            "int8": self.int8,
            "accuracy_change_points": self.accuracy_change(),
        });
        if let Some(out) = &self.out {
            json["out"] = out.display().to_string().into();
        }
        json
    }

    /// The report `quantize` prints.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "model {}: checkpoint {} ({})",
            self.model.label(),
            self.checkpoint.display(),
            self.contents
        );
        let layers: Vec<String> = self.layers.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            s,
            "int8 layers {}: one scale per unit (max|w|/127, ties to even), zero point 0",
            layers.join(",")
        );
        let _ = writeln!(
            s,
            "weights and biases: {} bytes as f32, {} bytes with int8 layers",
            self.float_bytes, self.int8_bytes
        );
        for (name, scores) in [("float", &self.float), ("int8 ", &self.int8)] {
            match &scores.test {
                Some(test) => {
                    let train = evaluation_line(self.task, "train", &scores.train);
                    let _ = writeln!(s, "{name} {train}");
                    let _ = writeln!(s, "{name} {}", evaluation_line(self.task, "test ", test));
                }
                None => {
                    let all = evaluation_line(self.task, "all", &scores.train);
                    let _ = writeln!(s, "{name} {all}");
                }
            }
        }
        if let Some(change) = self.accuracy_change() {
            let which = if self.float.test.is_some() {
                "held-out"
            } else {
                "all"
            };
            let _ = writeln!(s, "accuracy change ({which} rows): {change:+.2} points");
        }
        if let Some(out) = &self.out {
            let _ = writeln!(s, "int8 model written to {}", out.display());
        }
        s
    }
}

/// Loads the checkpoint, quantises the named layers and measures both
/// models.
///
/// # Errors
/// If the checkpoint can't be read or is for another model, the model is
/// not one `quantize` takes, a layer index is past the last layer, a weight
/// is not finite, or the data can't be loaded.
pub fn quantize(options: &QuantizeOptions) -> Result<QuantizeOutcome> {
    let (model, checkpoint) = resolve(options.model, options.checkpoint.as_deref())?;
    if let Some(out) = &options.out
        && same_file(out, &checkpoint)
    {
        bail!(
            "--out {} is the float checkpoint quantize reads; name another file",
            out.display()
        );
    }
    let run = Run {
        options,
        model,
        checkpoint,
    };
    match model {
        Builtin::Digits => run.two_layer::<SoftmaxCrossEntropy, 64, 32, 10>(),
        Builtin::Mnist => run.two_layer::<SoftmaxCrossEntropy, 784, 32, 10>(),
        Builtin::Iris => run.two_layer::<SoftmaxCrossEntropy, 4, 16, 3>(),
        Builtin::Xor => run.two_layer::<SigmoidBinaryCrossEntropy, 2, 8, 1>(),
        Builtin::Sine => bail!(
            "quantize takes the models with one hidden layer (digits, mnist, iris, xor), not {}",
            model.label()
        ),
    }
}

/// The layers to quantise of a network of `depth` layers: `layers`,
/// sorted, or every layer but the last.
fn selected(layers: Option<&[usize]>, depth: usize) -> Result<Vec<usize>> {
    let Some(layers) = layers else {
        return Ok((0..depth - 1).collect());
    };
    if layers.is_empty() {
        bail!("name at least one layer to quantise (--layers 0)");
    }
    if let Some(bad) = layers.iter().find(|&&l| l >= depth) {
        bail!(
            "--layers {bad}: the model has {depth} layers, numbered 0 to {}",
            depth - 1
        );
    }
    let mut layers = layers.to_vec();
    layers.sort_unstable();
    layers.dedup();
    Ok(layers)
}

struct Run<'a> {
    options: &'a QuantizeOptions,
    model: Builtin,
    checkpoint: PathBuf,
}

impl Run<'_> {
    fn two_layer<L, const D: usize, const H: usize, const O: usize>(self) -> Result<QuantizeOutcome>
    where
        L: Task<O> + AcceptsActivation<Identity>,
    {
        let o = self.options;
        let layers = selected(o.layers.as_deref(), 2)?;
        let (float, contents) =
            checkpoints::load_model::<TwoLayer<D, H, O>>(&self.checkpoint, self.model)?;
        let test_fraction = o.split.test_fraction_or_default(self.model);
        let sets = o.split.load::<L, D, O>(test_fraction, self.model)?;
        let first =
            || QuantizedDense::quantize(&float.net.first).context("layer 0 cannot be quantised");
        let second =
            || QuantizedDense::quantize(&float.net.second).context("layer 1 cannot be quantised");
        let (float_net, second_float) = (float.net.first, float.net.second);
        let out = o.out.as_deref();
        let (int8, int8_bytes) = match layers.as_slice() {
            [0] => measured::<_, L, D, O>(&float, Chain::new(first()?, second_float), &sets, out)?,
            [1] => measured::<_, L, D, O>(&float, Chain::new(float_net, second()?), &sets, out)?,
            _ => measured::<_, L, D, O>(&float, Chain::new(first()?, second()?), &sets, out)?,
        };
        Ok(QuantizeOutcome {
            model: self.model,
            checkpoint: self.checkpoint,
            contents,
            task: L::KIND,
            layers,
            float_bytes: size_of::<TwoLayer<D, H, O>>(),
            int8_bytes,
            float: scores::<_, L, D, O>(&float, &sets)?,
            int8,
            out: o.out.clone(),
        })
    }
}

/// `net` with `float`'s scaling of inputs and targets: its scores and its
/// size in bytes; written to `out` as a model checkpoint if given.
fn measured<N, L, const D: usize, const O: usize>(
    float: &Model<impl Layer<Input = [f32; D], Output = [f32; O]>>,
    net: N,
    sets: &Sets<L, D, O>,
    out: Option<&Path>,
) -> Result<(Scores, usize)>
where
    N: Layer<Input = [f32; D], Output = [f32; O]>,
    L: Task<O>,
{
    let mut model = Box::new(Model::new(net));
    model.input = float.input;
    model.target = float.target;
    let scores = scores::<N, L, D, O>(&model, sets)?;
    if let Some(out) = out {
        let mut blob = vec![0u8; checkpoint::model_len::<N>()];
        let len = checkpoint::save_model(&model, &mut blob).map_err(|e| anyhow!("{e}"))?;
        write_atomic(out, &blob[..len])?;
    }
    Ok((scores, size_of::<N>()))
}

/// Whether `a` and `b` name the same file (the same path, or both exist
/// and resolve to one file).
fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

fn scores<N, L, const D: usize, const O: usize>(
    model: &Model<N>,
    (train, test): &Sets<L, D, O>,
) -> Result<Scores>
where
    N: Layer<Input = [f32; D], Output = [f32; O]>,
    L: Task<O>,
{
    Ok(Scores {
        train: evaluate_model::<N, L, D, O>(model, train)?,
        test: test
            .as_ref()
            .map(|t| evaluate_model::<N, L, D, O>(model, t))
            .transpose()?,
    })
}

/// Runs `quantize` as the CLI does: measures and prints to stdout.
///
/// # Errors
/// As [`quantize`].
pub fn command(options: &QuantizeOptions) -> Result<()> {
    let outcome = quantize(options)?;
    if options.json {
        outln!("{}", serde_json::to_string(&outcome.to_json())?)?;
    } else {
        out!("{}", outcome.render())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layers_default_to_the_hidden_ones_and_are_checked() {
        assert_eq!(selected(None, 2).unwrap(), [0]);
        assert_eq!(selected(Some(&[1, 0, 1]), 2).unwrap(), [0, 1]);
        let err = selected(Some(&[2]), 2).unwrap_err().to_string();
        assert_eq!(err, "--layers 2: the model has 2 layers, numbered 0 to 1");
        assert!(selected(Some(&[]), 2).is_err());
    }
}
