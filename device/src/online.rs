//! Online learning: samples arrive one at a time from a [`SampleSource`];
//! the model predicts each before learning from it (prequential accuracy),
//! then takes one optimizer step on a small batch made of the new sample
//! and samples replayed from a fixed-capacity [`ReplayBuffer`], so new data
//! does not erase what was learned from old data.

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{Error as _, OutputPin};
use microprop::layer::Zeroed;
use microprop::{
    AcceptsActivation, Dataset, Error, FitBuffers, Inference, Layer, Loss, Optimizer, Permutation,
    Row, Trainer, argmax,
};

use crate::learn::{Board, RunError};

/// Where an online learner's samples come from: a sensor, a radio, a data
/// set replayed as a stream. Pulled one sample at a time.
pub trait SampleSource {
    /// One input row, `[f32; D]`.
    type Input: Row;
    /// Its target (a class label or a row of values).
    type Target: Copy;

    /// Writes the next sample into `x` and returns its target; `None` when
    /// the stream has ended (`x` may have been written anyway).
    fn next_sample(&mut self, x: &mut Self::Input) -> Option<Self::Target>;
}

impl<S: SampleSource + ?Sized> SampleSource for &mut S {
    type Input = S::Input;
    type Target = S::Target;
    fn next_sample(&mut self, x: &mut Self::Input) -> Option<Self::Target> {
        (**self).next_sample(x)
    }
}

/// SplitMix64: a tiny, seedable generator with the same output on every
/// target; any state (0 included) is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The generator for `seed`.
    pub const fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (0 for `n == 0`) by Lemire's
    /// multiply-shift on 32 random bits; `n` is capped at 2³² − 1.
    pub fn below(&mut self, n: u64) -> u64 {
        let r = self.next_u64() >> 32;
        (r * n.min(0xFFFF_FFFF)) >> 32
    }
}

/// A fixed-capacity sample of everything offered to it: reservoir sampling
/// (Vitter's algorithm R), so after `n ≥ R` offers each offered sample is
/// held with probability `R / n`, whatever the order they came in. Old
/// classes therefore stay represented after the stream has moved on.
///
/// `R` samples of `(I, T)` are stored inline ([`heapless::Vec`]); a
/// `ReplayBuffer` built by [`ReplayBuffer::new`] with seed 0 is all zeros,
/// so a `static` of it costs RAM (`.bss`) but no flash.
///
/// ```
/// use microprop_device::ReplayBuffer;
/// let mut replay = ReplayBuffer::<[f32; 1], usize, 4>::new(7);
/// for i in 0..100 {
///     replay.offer(&[i as f32], i);
/// }
/// assert_eq!(replay.len(), 4);
/// assert_eq!(replay.seen(), 100);
/// let (x, y) = *replay.draw().unwrap();
/// assert_eq!(x, [y as f32]);
/// ```
#[derive(Debug, Clone)]
pub struct ReplayBuffer<I, T, const R: usize> {
    items: heapless::Vec<(I, T), R>,
    seen: u64,
    rng: SplitMix64,
}

impl<I: Copy, T: Copy, const R: usize> ReplayBuffer<I, T, R> {
    /// An empty buffer whose random choices follow `seed`. Usable in
    /// `const` and `static`.
    pub const fn new(seed: u64) -> Self {
        ReplayBuffer {
            items: heapless::Vec::new(),
            seen: 0,
            rng: SplitMix64::new(seed),
        }
    }

    /// Empties the buffer and restarts its random choices from `seed`.
    pub fn reset(&mut self, seed: u64) {
        self.items.clear();
        self.seen = 0;
        self.rng = SplitMix64::new(seed);
    }

    /// Samples held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// `true` before the first offer.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// `R`.
    pub const fn capacity(&self) -> usize {
        R
    }

    /// Samples offered so far.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// The samples held, in slot order.
    pub fn items(&self) -> &[(I, T)] {
        &self.items
    }

    /// Offers a sample: kept while there is room, afterwards it replaces a
    /// random slot with probability `R / seen`. Returns whether it was kept.
    pub fn offer(&mut self, x: &I, y: T) -> bool {
        self.seen += 1;
        if self.items.push((*x, y)).is_ok() {
            return true;
        }
        let slot = self.rng.below(self.seen);
        match usize::try_from(slot)
            .ok()
            .and_then(|s| self.items.get_mut(s))
        {
            Some(item) => {
                *item = (*x, y);
                true
            }
            None => false,
        }
    }

    /// A uniformly chosen held sample (with replacement); `None` if empty.
    pub fn draw(&mut self) -> Option<&(I, T)> {
        let slot = self.rng.below(self.items.len() as u64);
        self.items.get(usize::try_from(slot).ok()?)
    }
}

/// How an [`OnlineLearner`] learns.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct OnlineConfig {
    /// The (constant) learning rate of every step.
    pub learning_rate: f32,
    /// Replayed samples mixed into each step's batch beside the new one
    /// (fewer while the buffer holds fewer; at most the trainer's `B − 1`).
    /// 0 = plain one-sample-at-a-time learning.
    pub replay_per_step: usize,
    /// Whether new samples are offered to the replay buffer. Off together
    /// with `replay_per_step == 0` the buffer is not touched at all.
    pub remember: bool,
}

impl OnlineConfig {
    /// No replay: each step sees only the new sample.
    pub const fn without_replay(learning_rate: f32) -> Self {
        OnlineConfig {
            learning_rate,
            replay_per_step: 0,
            remember: false,
        }
    }

    /// `replay_per_step` replayed samples beside each new one; every new
    /// sample is offered to the buffer.
    pub const fn with_replay(learning_rate: f32, replay_per_step: usize) -> Self {
        OnlineConfig {
            learning_rate,
            replay_per_step,
            remember: true,
        }
    }
}

/// Counts over a stretch of the stream.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct OnlineStats {
    /// Samples learned from.
    pub samples: u32,
    /// Of those, predicted correctly *before* learning from them
    /// (prequential accuracy; `None` for regression losses).
    pub correct: Option<u32>,
    /// Sum of the steps' mean batch losses.
    pub loss_sum: f32,
    /// Rows trained on (new and replayed).
    pub rows: u32,
}

impl OnlineStats {
    /// Empty counts.
    pub const fn new() -> Self {
        OnlineStats {
            samples: 0,
            correct: None,
            loss_sum: 0.0,
            rows: 0,
        }
    }

    /// Fraction predicted correctly before the update.
    pub fn accuracy(&self) -> Option<f32> {
        let n = self.samples.max(1) as f32;
        self.correct.map(|c| c as f32 / n)
    }

    /// Mean of the steps' batch losses.
    pub fn mean_loss(&self) -> f32 {
        self.loss_sum / self.samples.max(1) as f32
    }

    fn add(&mut self, step: &OnlineStep) {
        self.samples += 1;
        if let Some(ok) = step.correct {
            self.correct = Some(self.correct.unwrap_or(0) + u32::from(ok));
        }
        self.loss_sum += step.loss;
        self.rows += step.rows;
    }
}

/// What learning from one sample did.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct OnlineStep {
    /// Whether the model's prediction before the step was right (`None`
    /// for regression losses).
    pub correct: Option<bool>,
    /// Mean loss of the step's batch (before the step).
    pub loss: f32,
    /// Rows in the step's batch: 1 + replayed.
    pub rows: u32,
}

/// Reported every [`run_online`] window.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct OnlineReport {
    /// Samples learned from since the learner started (or was reset).
    pub total_samples: u32,
    /// The window just ended.
    pub window: OnlineStats,
    /// Samples in the replay buffer.
    pub replay_len: u32,
}

/// The caller-owned state of online learning, each part can live in a
/// `static`: the network, the trainer (batch capacity `B`: the new sample
/// and up to `B − 1` replayed ones), the staging rows of a batch and the
/// replay buffer of `R` samples.
pub struct OnlineLearner<
    'a,
    N: Layer,
    L: Loss<N::Output>,
    O: Optimizer,
    const B: usize,
    const R: usize,
> {
    /// The network being trained.
    pub net: &'a mut N,
    /// Its training buffers.
    pub trainer: &'a mut Trainer<N, L, O, B>,
    /// One batch of rows.
    pub batch: &'a mut FitBuffers<N::Input, L::Target, B>,
    /// Past samples.
    pub replay: &'a mut ReplayBuffer<N::Input, L::Target, R>,
    /// How to learn.
    pub config: OnlineConfig,
    /// Counts since the start (or [`OnlineLearner::reset_stats`]).
    pub total: OnlineStats,
}

impl<'a, N, L, O, const B: usize, const R: usize> OnlineLearner<'a, N, L, O, B, R>
where
    N: Layer,
    L: Loss<N::Output> + AcceptsActivation<N::OutputActivation>,
    L::Target: Copy + Zeroed,
    O: Optimizer,
{
    /// Borrows the parts.
    pub fn new(
        net: &'a mut N,
        trainer: &'a mut Trainer<N, L, O, B>,
        batch: &'a mut FitBuffers<N::Input, L::Target, B>,
        replay: &'a mut ReplayBuffer<N::Input, L::Target, R>,
        config: OnlineConfig,
    ) -> Self {
        OnlineLearner {
            net,
            trainer,
            batch,
            replay,
            config,
            total: OnlineStats::new(),
        }
    }

    /// Clears the running counts.
    pub fn reset_stats(&mut self) {
        self.total = OnlineStats::new();
    }

    /// Predicts `y` from `x` with the current weights, then takes one step
    /// on `x` plus [`OnlineConfig::replay_per_step`] replayed samples, then
    /// offers `x` to the replay buffer (if [`OnlineConfig::remember`]).
    ///
    /// The prediction is the forward pass of the step itself (the new
    /// sample is row 0 of the batch), so it costs nothing extra.
    ///
    /// # Errors
    /// Any error of [`Trainer`]'s phases (non-finite input, bad target,
    /// non-finite loss or gradient, a bad learning rate): the network, the
    /// optimizer state and the replay buffer are then unchanged.
    pub fn learn(&mut self, x: &N::Input, y: L::Target) -> Result<OnlineStep, Error> {
        let wanted = self.config.replay_per_step.min(B.saturating_sub(1));
        let replayed = wanted.min(self.replay.len());
        let rows = 1 + replayed;
        let FitBuffers { inputs, targets } = &mut *self.batch;
        let (Some((x0, xs)), Some((y0, ys))) =
            (inputs.split_first_mut(), targets.split_first_mut())
        else {
            return Err(Error::BatchTooLarge { rows, capacity: B });
        };
        *x0 = *x;
        *y0 = y;
        for (xi, yi) in xs.iter_mut().zip(ys.iter_mut()).take(replayed) {
            if let Some((rx, ry)) = self.replay.draw() {
                *xi = *rx;
                *yi = *ry;
            }
        }
        let (Some(x), Some(y)) = (inputs.get(..rows), targets.get(..rows)) else {
            return Err(Error::BatchTooLarge { rows, capacity: B });
        };
        self.trainer.zero_grad();
        // The new sample's output row, copied before the loss turns the
        // cached outputs into gradients.
        let first = self.trainer.forward(self.net, x)?.first().copied();
        let correct = match (first, y.first()) {
            (Some(out), Some(target)) => self.trainer.loss.correct(&out, target),
            _ => None,
        };
        let stats = self.trainer.loss(y)?;
        self.trainer.backward(self.net, x)?;
        self.trainer.step(self.net, self.config.learning_rate)?;
        if let (true, Some(x0), Some(&y0)) = (self.config.remember, x.first(), y.first()) {
            self.replay.offer(x0, y0);
        }
        let step = OnlineStep {
            correct,
            loss: stats.loss,
            rows: rows as u32,
        };
        self.total.add(&step);
        Ok(step)
    }
}

/// Pulls up to `max_samples` samples from `source` (fewer if it ends) and
/// learns from each with [`OnlineLearner::learn`]. Every `report_every`
/// samples (and at the end, for a partial window) the LED is toggled and
/// `report` receives the window's counts. Returns the counts of this call.
///
/// # Errors
/// [`RunError::Train`] if a step is refused (the samples before it were
/// learned); [`RunError::Led`] if the LED failed (after the samples were
/// learned).
#[allow(clippy::too_many_arguments)]
pub fn run_online<N, L, O, S, Led, Delay, F, const B: usize, const R: usize>(
    learner: &mut OnlineLearner<'_, N, L, O, B, R>,
    source: &mut S,
    max_samples: u32,
    report_every: u32,
    board: &mut Board<Led, Delay>,
    report: &mut F,
) -> Result<OnlineStats, RunError>
where
    N: Layer,
    L: Loss<N::Output> + AcceptsActivation<N::OutputActivation>,
    L::Target: Copy + Zeroed,
    O: Optimizer,
    S: SampleSource<Input = N::Input, Target = L::Target>,
    Led: OutputPin,
    Delay: DelayNs,
    F: FnMut(&OnlineReport),
{
    let mut led_error = None;
    let mut led_on = false;
    let mut all = OnlineStats::new();
    let mut window = OnlineStats::new();
    let mut x = <N::Input as Zeroed>::ZERO;
    let report_every = report_every.max(1);
    let mut flush = |window: &mut OnlineStats, learner: &OnlineLearner<'_, N, L, O, B, R>| {
        led_on = !led_on;
        let driven = if led_on {
            board.led.set_high()
        } else {
            board.led.set_low()
        };
        if let Err(e) = driven {
            led_error.get_or_insert(e.kind());
        }
        if board.epoch_pause_us > 0 {
            board.delay.delay_us(board.epoch_pause_us);
        }
        report(&OnlineReport {
            total_samples: learner.total.samples,
            window: *window,
            replay_len: learner.replay.len() as u32,
        });
        *window = OnlineStats::new();
    };
    while all.samples < max_samples {
        let Some(y) = source.next_sample(&mut x) else {
            break;
        };
        let step = learner.learn(&x, y)?;
        all.add(&step);
        window.add(&step);
        if window.samples >= report_every {
            flush(&mut window, learner);
        }
    }
    if window.samples > 0 {
        flush(&mut window, learner);
    }
    match led_error {
        Some(kind) => Err(RunError::Led(kind)),
        None => Ok(all),
    }
}

/// Replays a classification [`Dataset`] as an endless stream whose class
/// balance changes by [`Phase`]: each phase yields its number of samples,
/// drawn only from its classes, in a shuffled order that is fresh for every
/// pass over the data set. After the last phase the stream ends.
#[derive(Debug, Clone)]
pub struct PhasedStream<'a, D, const P: usize> {
    data: &'a D,
    phases: [Phase; P],
    seed: u64,
    phase: usize,
    in_phase: u32,
    pass: u64,
    position: usize,
    order: Permutation,
}

/// One stretch of a [`PhasedStream`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Phase {
    /// Bit `c` set: class `c` may appear (classes 0..32).
    pub classes: u32,
    /// Samples in this phase.
    pub samples: u32,
}

impl Phase {
    /// Classes `first..=last`, `samples` of them.
    pub const fn classes(first: u32, last: u32, samples: u32) -> Self {
        let mut classes = 0u32;
        let mut c = first;
        while c <= last && c < 32 {
            classes |= 1 << c;
            c += 1;
        }
        Phase { classes, samples }
    }

    /// Whether `label` may appear in this phase.
    pub const fn allows(&self, label: usize) -> bool {
        label < 32 && self.classes & (1 << label) != 0
    }
}

impl<'a, D: Dataset<Target = usize>, const P: usize> PhasedStream<'a, D, P> {
    /// The stream over `data`; `seed` picks the orders.
    pub fn new(data: &'a D, phases: [Phase; P], seed: u64) -> Self {
        PhasedStream {
            data,
            phases,
            seed,
            phase: 0,
            in_phase: 0,
            pass: 0,
            position: 0,
            order: Permutation::new(data.len(), seed),
        }
    }

    /// The index of the phase the next sample belongs to (`P` once the
    /// stream has ended).
    pub fn phase(&self) -> usize {
        let mut phase = self.phase;
        let mut in_phase = self.in_phase;
        while let Some(p) = self.phases.get(phase) {
            if in_phase < p.samples {
                break;
            }
            phase += 1;
            in_phase = 0;
        }
        phase
    }

    /// The phases.
    pub fn phases(&self) -> &[Phase; P] {
        &self.phases
    }
}

impl<D: Dataset<Target = usize>, const P: usize> SampleSource for PhasedStream<'_, D, P> {
    type Input = D::Input;
    type Target = usize;

    fn next_sample(&mut self, x: &mut D::Input) -> Option<usize> {
        let n = self.data.len();
        loop {
            let phase = *self.phases.get(self.phase)?;
            if self.in_phase >= phase.samples {
                self.phase += 1;
                self.in_phase = 0;
                continue;
            }
            // One full pass without a row of the phase's classes: the data
            // set has none, the stream ends.
            for _ in 0..n {
                let row = self.order.index(self.position);
                self.position += 1;
                if self.position >= n {
                    self.position = 0;
                    self.pass += 1;
                    self.order = Permutation::new(n, self.seed.wrapping_add(self.pass));
                }
                let label = self.data.sample(row, x)?;
                if phase.allows(label) {
                    self.in_phase += 1;
                    return Some(label);
                }
            }
            return None;
        }
    }
}

/// Per-class accuracy of a classifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ClassAccuracy<const C: usize> {
    /// Rows of each class classified correctly.
    pub correct: [u32; C],
    /// Rows of each class.
    pub rows: [u32; C],
}

impl<const C: usize> ClassAccuracy<C> {
    /// Accuracy over the classes whose bit is set in `classes`; `None` if
    /// there are no such rows.
    pub fn of(&self, classes: u32) -> Option<f32> {
        let (mut correct, mut rows) = (0u32, 0u32);
        for (c, (&ok, &n)) in self.correct.iter().zip(&self.rows).enumerate() {
            if c < 32 && classes & (1 << c) != 0 {
                correct += ok;
                rows += n;
            }
        }
        (rows > 0).then(|| correct as f32 / rows as f32)
    }

    /// Accuracy over every row.
    pub fn overall(&self) -> Option<f32> {
        self.of(u32::MAX)
    }

    /// Accuracy of class `c` alone.
    pub fn class(&self, c: usize) -> Option<f32> {
        match (self.correct.get(c), self.rows.get(c)) {
            (Some(&ok), Some(&n)) if n > 0 => Some(ok as f32 / n as f32),
            _ => None,
        }
    }
}

/// How well `net` classifies each of the `C` classes of `data`, one row at
/// a time through `inference` (no training buffers needed). Rows whose
/// label is `C` or more are counted nowhere.
///
/// # Errors
/// [`Error::SampleUnavailable`] if a row cannot be read,
/// [`Error::NonFiniteInput`] for a row with NaN or infinity.
pub fn class_accuracy<N, D, const C: usize>(
    net: &N,
    inference: &mut Inference<N>,
    data: &D,
) -> Result<ClassAccuracy<C>, Error>
where
    N: Layer,
    D: Dataset<Input = N::Input, Target = usize>,
{
    let mut result = ClassAccuracy {
        correct: [0; C],
        rows: [0; C],
    };
    let mut x = <N::Input as Zeroed>::ZERO;
    for index in 0..data.len() {
        let label = data
            .sample(index, &mut x)
            .ok_or(Error::SampleUnavailable { index })?;
        let predicted = argmax(inference.predict(net, &x)?.as_slice());
        if let (Some(ok), Some(n)) = (result.correct.get_mut(label), result.rows.get_mut(label)) {
            *ok += u32::from(predicted == label);
            *n += 1;
        }
    }
    Ok(result)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use microprop::SliceDataset;

    #[test]
    fn reservoir_keeps_a_uniform_sample() {
        // Offer 0..1000 into 100 slots, many times: every value should be
        // kept about 10 % of the time, early and late ones alike.
        let mut kept = [0u32; 1000];
        for seed in 0..200 {
            let mut replay = ReplayBuffer::<[f32; 1], usize, 100>::new(seed);
            for i in 0..1000 {
                replay.offer(&[i as f32], i);
            }
            assert_eq!(replay.len(), 100);
            for &(x, y) in replay.items() {
                assert_eq!(x[0], y as f32);
                kept[y] += 1;
            }
        }
        let first: u32 = kept[..500].iter().sum();
        let last: u32 = kept[500..].iter().sum();
        assert_eq!(first + last, 200 * 100);
        assert!(
            (first as f32 / last as f32 - 1.0).abs() < 0.1,
            "{first} vs {last}"
        );
    }

    #[test]
    fn phased_stream_follows_its_phases() {
        let x: [[f32; 1]; 10] = core::array::from_fn(|i| [i as f32]);
        let y: [usize; 10] = core::array::from_fn(|i| i % 5);
        let data = SliceDataset::new(&x, &y).unwrap();
        let phases = [
            Phase::classes(0, 1, 7),
            Phase::classes(3, 4, 5),
            Phase::classes(7, 9, 3), // no such class: ends the stream
        ];
        let mut stream = PhasedStream::new(&data, phases, 1);
        let mut row = [0.0];
        for _ in 0..7 {
            assert_eq!(stream.phase(), 0);
            let label = stream.next_sample(&mut row).unwrap();
            assert!(label <= 1);
            assert_eq!(label, row[0] as usize % 5);
        }
        for _ in 0..5 {
            assert_eq!(stream.phase(), 1);
            assert!((3..=4).contains(&stream.next_sample(&mut row).unwrap()));
        }
        assert_eq!(stream.phase(), 2);
        assert_eq!(stream.next_sample(&mut row), None);
    }

    #[test]
    fn class_accuracy_adds_up() {
        let acc = ClassAccuracy::<3> {
            correct: [1, 2, 0],
            rows: [2, 2, 0],
        };
        assert_eq!(acc.of(0b001), Some(0.5));
        assert_eq!(acc.of(0b011), Some(0.75));
        assert_eq!(acc.of(0b100), None);
        assert_eq!(acc.overall(), Some(0.75));
        assert_eq!(acc.class(2), None);
    }
}
