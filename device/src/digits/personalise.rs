//! Personalisation: the digits model pretrained on the host
//! ([`PRETRAINED`], shipped in flash) adapts on the device to a new user
//! whose digits lean back ([`slant`]), a style the pretraining never saw.
//! Four ways to fine-tune, on the same stream:
//!
//! | [`Mode`] | what trains | where the pretrained backbone lives |
//! |---|---|---|
//! | [`Mode::Full`] | every weight and bias | copied into RAM |
//! | [`Mode::Head`] | the output layer | flash ([`Flash`]) |
//! | [`Mode::Bias`] | every bias (TinyTL) | RAM ([`BiasOnly`]) |
//! | [`Mode::Int8`] | the output layer | flash, as int8 ([`QuantizedDense`]) |
//!
//! The user's data are the first [`USER_ROWS`] held-out digits, slanted;
//! the device sees them [`PASSES`] times, one new sample a step with
//! [`REPLAYED_PER_STEP`] samples drawn from a replay set of the first
//! [`REPLAY_ROWS`] pretraining digits (shipped in flash with the model), so
//! the old style is not forgotten. Accuracy is measured before and after
//! on the other held-out digits, slanted (the new user) and as written
//! (everyone else). Every step is plain SGD at [`LEARNING_RATE`]: the bits
//! are the same on the host and on a Cortex-M.

use microprop::layer::FlashWeights;
use microprop::{
    BiasOnly, Chain, Dataset, Dense, Error, FitBuffers, Flash, Identity, Inference, Layer,
    QuantizedDense, Sgd, SoftmaxCrossEntropy, Tanh, Trainer, argmax, network,
};

use super::pretrained::PRETRAINED;
use super::{CLASSES, Data, FEATURES, Net, PIXEL_SCALE, TEST_ROWS, TRAIN_ROWS};
use crate::online::SplitMix64;

/// How far each of the 8 pixel rows moves right (negative: left): the top
/// moves left, the bottom right, so the digits lean back, as many
/// left-handers write.
pub const SLANT: [i8; 8] = [-2, -1, -1, 0, 0, 0, 1, 1];

/// The image `row` (8x8 pixels, row after row) as the new user writes it:
/// pixel `(r, c)` is the original's `(r, c - SLANT[r])`, 0 where that falls
/// outside the image.
///
/// ```
/// use microprop_device::digits::personalise::slant;
/// let mut column = [0u8; 64];
/// for r in 0..8 {
///     column[r * 8 + 3] = 16; // a vertical stroke in column 3
/// }
/// let leaning = slant(&column);
/// assert_eq!(leaning[1], 16); // top row: column 1
/// assert_eq!(leaning[7 * 8 + 4], 16); // bottom row: column 4
/// assert_eq!(leaning.iter().filter(|&&p| p == 16).count(), 8);
/// ```
pub fn slant(row: &[u8; FEATURES]) -> [u8; FEATURES] {
    let mut out = [0u8; FEATURES];
    for (r, (line, shift)) in out.chunks_exact_mut(8).zip(SLANT).enumerate() {
        for (c, pixel) in line.iter_mut().enumerate() {
            let source = c as isize - isize::from(shift);
            if (0..8).contains(&source) {
                *pixel = row.get(r * 8 + source as usize).copied().unwrap_or(0);
            }
        }
    }
    out
}

/// Held-out digits (test rows) in the new user's stream: the first 200.
pub const USER_ROWS: usize = 200;
/// Held-out digits the accuracy is measured on: the remaining 160, slanted
/// (new) and as written (old).
pub const EVAL_ROWS: usize = TEST_ROWS - USER_ROWS;
/// Passes over the user's stream.
pub const PASSES: u32 = 5;
/// Optimizer steps of a fine-tuning run: one a sample of a pass.
pub const STEPS: u32 = PASSES * USER_ROWS as u32;
/// Pretraining digits kept for replay: the first 32 training rows (2 KiB as
/// bytes in flash).
pub const REPLAY_ROWS: usize = 32;
/// Replayed samples in each step, beside the new one.
pub const REPLAYED_PER_STEP: usize = 3;
/// Rows of a step.
pub const BATCH: usize = 1 + REPLAYED_PER_STEP;
/// Constant learning rate of plain SGD, every mode.
pub const LEARNING_RATE: f32 = 0.05;
/// Seed of the replay draws.
pub const REPLAY_SEED: u64 = 0x5e1f;

const _: () = assert!(USER_ROWS < TEST_ROWS && REPLAY_ROWS <= TRAIN_ROWS);

/// Rows `start..start + len` of a digits table, slanted or as written,
/// widened like [`Data`].
#[derive(Debug, Clone, Copy)]
pub struct Digits<'a> {
    data: &'a Data<'a>,
    start: usize,
    len: usize,
    slanted: bool,
}

impl<'a> Digits<'a> {
    /// The view; `None` if the rows are not all in `data`.
    pub fn new(data: &'a Data<'a>, start: usize, len: usize, slanted: bool) -> Option<Self> {
        let end = start.checked_add(len)?;
        (end <= data.len()).then_some(Digits {
            data,
            start,
            len,
            slanted,
        })
    }
}

impl Dataset for Digits<'_> {
    type Input = [f32; FEATURES];
    type Target = usize;

    fn len(&self) -> usize {
        self.len
    }

    fn sample(&self, index: usize, x: &mut [f32; FEATURES]) -> Option<usize> {
        if index >= self.len {
            return None;
        }
        let (raw, label) = self.data.raw(self.start + index)?;
        let mut pixels: [u8; FEATURES] = raw.try_into().ok()?;
        if self.slanted {
            pixels = slant(&pixels);
        }
        for (x, p) in x.iter_mut().zip(pixels) {
            *x = f32::from(p) * PIXEL_SCALE;
        }
        Some(usize::from(label))
    }
}

/// The job's data, cut from the digits in flash.
#[derive(Debug, Clone, Copy)]
pub struct Split<'a> {
    /// The new user's stream: test rows `0..USER_ROWS`, slanted.
    pub stream: Digits<'a>,
    /// The new user's held-out digits: the other test rows, slanted.
    pub new: Digits<'a>,
    /// The same digits as written: what the pretrained model was good at.
    pub old: Digits<'a>,
    /// The replay set: training rows `0..REPLAY_ROWS`, as written.
    pub replay: Digits<'a>,
}

impl<'a> Split<'a> {
    /// The split of the digits job's training and test sets; `None` if
    /// either holds fewer rows than the job's.
    pub fn new(train: &'a Data<'a>, test: &'a Data<'a>) -> Option<Self> {
        Some(Split {
            stream: Digits::new(test, 0, USER_ROWS, true)?,
            new: Digits::new(test, USER_ROWS, EVAL_ROWS, true)?,
            old: Digits::new(test, USER_ROWS, EVAL_ROWS, false)?,
            replay: Digits::new(train, 0, REPLAY_ROWS, false)?,
        })
    }
}

/// The pretrained hidden layer as a `static`, so [`Mode::Head`] reads it
/// from flash.
pub static BACKBONE: Dense<FEATURES, 32, Tanh> = PRETRAINED.first;

/// The pretrained hidden layer quantised to int8 at compile time (one
/// scale per unit), for [`Mode::Int8`]: 2 KiB of weights instead of 8 KiB.
pub static INT8_BACKBONE: QuantizedDense<FEATURES, 32, Tanh> =
    match QuantizedDense::quantize(&PRETRAINED.first) {
        Ok(layer) => layer,
        Err(_) => panic!("the pretrained weights are finite"),
    };

/// [`BACKBONE`] as the weights of a [`Flash`] layer.
#[derive(Debug)]
pub struct FlashBackbone;
impl FlashWeights for FlashBackbone {
    type Layer = Dense<FEATURES, 32, Tanh>;
    const LAYER: &'static Dense<FEATURES, 32, Tanh> = &BACKBONE;
}

/// [`INT8_BACKBONE`] as the weights of a [`Flash`] layer.
#[derive(Debug)]
pub struct Int8Backbone;
impl FlashWeights for Int8Backbone {
    type Layer = QuantizedDense<FEATURES, 32, Tanh>;
    const LAYER: &'static QuantizedDense<FEATURES, 32, Tanh> = &INT8_BACKBONE;
}

/// The output layer every mode starts from.
pub type Head = Dense<32, CLASSES, Identity>;

/// [`Mode::Full`]: the whole pretrained network in RAM.
pub type FullNet = Net;
/// [`Mode::Head`]: the backbone in flash, the head in RAM.
pub type HeadNet = network![Flash<FlashBackbone>, Head];
/// [`Mode::Bias`]: both layers in RAM, only their biases train.
pub type BiasNet = network![BiasOnly<Dense<FEATURES, 32, Tanh>>, BiasOnly<Head>];
/// [`Mode::Int8`]: the int8 backbone in flash, the head in RAM.
pub type Int8Net = network![Flash<Int8Backbone>, Head];

/// [`Mode::Full`]'s network before fine-tuning.
pub const FULL: FullNet = PRETRAINED;
/// [`Mode::Head`]'s network before fine-tuning.
pub const HEAD: HeadNet = Chain::new(Flash::NEW, PRETRAINED.second);
/// [`Mode::Bias`]'s network before fine-tuning.
pub const BIAS: BiasNet = Chain::new(
    BiasOnly::new(PRETRAINED.first),
    BiasOnly::new(PRETRAINED.second),
);
/// [`Mode::Int8`]'s network before fine-tuning.
pub const INT8: Int8Net = Chain::new(Flash::NEW, PRETRAINED.second);

/// The trainer of a mode's network: softmax + cross-entropy, plain SGD,
/// batches of [`BATCH`] rows.
pub type FineTuner<N> = Trainer<N, SoftmaxCrossEntropy, Sgd, BATCH>;
/// The staging rows of one step.
pub type Batch = FitBuffers<[f32; FEATURES], usize, BATCH>;

/// A trainer for any mode (for a `static`).
pub const fn fine_tuner<N: Layer>() -> FineTuner<N> {
    Trainer::new(SoftmaxCrossEntropy, Sgd)
}

/// What is fine-tuned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Mode {
    /// Every parameter ([`FullNet`]).
    Full,
    /// The output layer over a frozen backbone in flash ([`HeadNet`]).
    Head,
    /// The biases of both layers ([`BiasNet`]).
    Bias,
    /// The output layer over an int8 backbone in flash ([`Int8Net`]).
    Int8,
}

impl Mode {
    /// The four, in the order of the README's table.
    pub const ALL: [Mode; 4] = [Mode::Full, Mode::Head, Mode::Bias, Mode::Int8];

    /// The mode's name in logs and tables.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Head => "head-only",
            Mode::Bias => "bias-only",
            Mode::Int8 => "int8-backbone",
        }
    }

    /// RAM the mode's fine-tuning takes besides the stack: the network,
    /// its trainer (gradients, caches) and the staging rows.
    pub const fn ram(self) -> usize {
        const fn of<N: Layer>() -> usize {
            size_of::<N>() + size_of::<FineTuner<N>>() + size_of::<Batch>()
        }
        match self {
            Mode::Full => of::<FullNet>(),
            Mode::Head => of::<HeadNet>(),
            Mode::Bias => of::<BiasNet>(),
            Mode::Int8 => of::<Int8Net>(),
        }
    }

    /// Flash the mode's model takes: the pretrained values it starts from
    /// (the image of the network copied into RAM, and the backbone a
    /// [`Flash`] layer reads in place) and the replay set (a byte a pixel
    /// and a label).
    pub const fn model_flash(self) -> usize {
        let replay = REPLAY_ROWS * (FEATURES + 1);
        replay
            + match self {
                Mode::Full => size_of::<FullNet>(),
                Mode::Head => size_of::<HeadNet>() + size_of::<Dense<FEATURES, 32, Tanh>>(),
                Mode::Bias => size_of::<BiasNet>(),
                Mode::Int8 => {
                    size_of::<Int8Net>() + size_of::<QuantizedDense<FEATURES, 32, Tanh>>()
                }
            }
    }
}

/// Accuracy on the new user's held-out digits and on the same digits as
/// written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Accuracy {
    /// Slanted held-out digits classified correctly.
    pub new: u32,
    /// Held-out digits as written classified correctly.
    pub old: u32,
}

impl Accuracy {
    /// The fraction of [`Self::new`] in [`EVAL_ROWS`].
    pub fn new_fraction(&self) -> f32 {
        self.new as f32 / EVAL_ROWS as f32
    }
    /// The fraction of [`Self::old`] in [`EVAL_ROWS`].
    pub fn old_fraction(&self) -> f32 {
        self.old as f32 / EVAL_ROWS as f32
    }
}

/// Correct predictions of `net` on `data`.
///
/// # Errors
/// [`Error::SampleUnavailable`] if a row cannot be read, or what
/// [`Inference::predict`] refuses.
pub fn correct<N, D>(net: &N, data: &D) -> Result<u32, Error>
where
    N: Layer<Input = [f32; FEATURES], Output = [f32; CLASSES]>,
    D: Dataset<Input = [f32; FEATURES], Target = usize>,
{
    let mut inference = Inference::new();
    let mut x = [0.0; FEATURES];
    let mut right = 0;
    for index in 0..data.len() {
        let label = data
            .sample(index, &mut x)
            .ok_or(Error::SampleUnavailable { index })?;
        right += u32::from(argmax(inference.predict(net, &x)?) == label);
    }
    Ok(right)
}

/// [`Accuracy`] of `net` on the split's held-out digits.
///
/// # Errors
/// As [`correct`].
pub fn accuracy<N>(net: &N, split: &Split<'_>) -> Result<Accuracy, Error>
where
    N: Layer<Input = [f32; FEATURES], Output = [f32; CLASSES]>,
{
    Ok(Accuracy {
        new: correct(net, &split.new)?,
        old: correct(net, &split.old)?,
    })
}

/// Fine-tunes `net` on the user's stream: [`STEPS`] SGD steps, each on the
/// next stream sample and [`REPLAYED_PER_STEP`] replay samples drawn
/// uniformly (seed [`REPLAY_SEED`]); `after_pass` runs after every pass
/// (a firmware toggles its LED). `trainer` is reset first, so one `static`
/// serves several runs.
///
/// # Errors
/// [`Error::SampleUnavailable`] if a row cannot be read, or what a step
/// refuses (the network is as the last good step left it).
pub fn fine_tune<N>(
    net: &mut N,
    trainer: &mut FineTuner<N>,
    batch: &mut Batch,
    split: &Split<'_>,
    after_pass: &mut impl FnMut(u32),
) -> Result<u32, Error>
where
    N: Layer<Input = [f32; FEATURES], Output = [f32; CLASSES]>,
    SoftmaxCrossEntropy: microprop::AcceptsActivation<N::OutputActivation>,
{
    trainer.set_steps(0);
    let mut rng = SplitMix64::new(REPLAY_SEED);
    let mut steps = 0;
    for pass in 0..PASSES {
        for index in 0..USER_ROWS {
            let rows = batch.inputs.iter_mut().zip(batch.targets.iter_mut());
            for (row, (x, y)) in rows.enumerate() {
                let (data, index) = if row == 0 {
                    (&split.stream, index)
                } else {
                    (&split.replay, rng.below(REPLAY_ROWS as u64) as usize)
                };
                *y = data
                    .sample(index, x)
                    .ok_or(Error::SampleUnavailable { index })?;
            }
            trainer.train_step(net, &batch.inputs, &batch.targets, LEARNING_RATE)?;
            steps += 1;
        }
        after_pass(pass);
    }
    Ok(steps)
}

/// One mode's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Outcome {
    /// The mode.
    pub mode: Mode,
    /// Accuracy of the pretrained model.
    pub before: Accuracy,
    /// Accuracy after fine-tuning.
    pub after: Accuracy,
    /// Steps taken.
    pub steps: u32,
}

/// The least gain on the new user's held-out digits (of [`EVAL_ROWS`]) a
/// mode must show (`cargo test -p microprop-device --test personalise --
/// --nocapture` prints what each reaches).
pub const MIN_NEW_GAIN: u32 = 16;
/// The most the accuracy on the digits as written may drop (of
/// [`EVAL_ROWS`]).
pub const MAX_OLD_LOSS: u32 = 8;

impl Outcome {
    /// Whether fine-tuning did what it is for: the new user's digits gained
    /// at least [`MIN_NEW_GAIN`] and the others lost at most
    /// [`MAX_OLD_LOSS`].
    pub fn personalised(&self) -> bool {
        self.after.new >= self.before.new + MIN_NEW_GAIN
            && self.after.old + MAX_OLD_LOSS >= self.before.old
    }
}

/// The whole job for one mode: measures `net` (the mode's pretrained
/// network), fine-tunes it, measures it again.
///
/// # Errors
/// As [`accuracy`] and [`fine_tune`].
pub fn personalise<N>(
    mode: Mode,
    net: &mut N,
    trainer: &mut FineTuner<N>,
    batch: &mut Batch,
    split: &Split<'_>,
    after_pass: &mut impl FnMut(u32),
) -> Result<Outcome, Error>
where
    N: Layer<Input = [f32; FEATURES], Output = [f32; CLASSES]>,
    SoftmaxCrossEntropy: microprop::AcceptsActivation<N::OutputActivation>,
{
    let before = accuracy(net, split)?;
    let steps = fine_tune(net, trainer, batch, split, after_pass)?;
    Ok(Outcome {
        mode,
        before,
        after: accuracy(net, split)?,
        steps,
    })
}
