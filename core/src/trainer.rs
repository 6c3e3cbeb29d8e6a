//! The training step: zero gradients, forward, loss, backward, optimizer step.

use core::marker::PhantomData;
use core::mem::size_of;

use crate::activation::Activation;
use crate::buffer::{HeldRows, Row, Zeroed, all_finite, prefix, prefix_mut};
use crate::error::Error;
use crate::layer::{Backprop, GradientMode, Layer, Trainable};
use crate::loss::{AcceptsActivation, Loss};
use crate::optim::{Optimizer, SquaredChange, StepContext, Unmeasured};
use crate::params::Parameters;
use crate::stats::StepStats;

/// Where a trainer is within a step; makes out-of-order calls an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Idle,
    Forwarded { rows: usize },
    Scored { rows: usize },
}

/// The rows of the loss gradient dL/d(output) a [`Trainer`] holds from
/// [`Trainer::loss`] to [`Trainer::backward`]: none behind an
/// [`Identity`](crate::Identity) output ([`Activation::LossGradient`]).
type HeldGradient<N, const B: usize> =
    <<N as Backprop>::OutputActivation as Activation>::LossGradient<<N as Backprop>::Output, B>;

/// Every buffer needed to train network `N` with loss `L` and optimizer `O`
/// on batches of up to `B` rows: gradients, cached activations and optimizer
/// state, all sized at compile time.
///
/// The network itself is not inside: it is passed to each call, so the same
/// weights can be used by an [`Inference`](crate::Inference) elsewhere and a
/// firmware can keep the model in one `static` and the trainer in another.
///
/// ```
/// use microprop::{network, Dense, Identity, Layer, MeanSquaredError, Sgd, Tanh, Trainer};
/// type Net = network![Dense<2, 4, Tanh>, Dense<4, 1, Identity>];
/// // Both fit in statics; nothing is allocated.
/// static mut TRAINER: Trainer<Net, MeanSquaredError, Sgd, 4> = Trainer::new(MeanSquaredError, Sgd);
///
/// let mut net = Net::ZERO;
/// net.init(microprop::Init::Xavier, &mut microprop::init::seeded(1));
/// let mut trainer = Trainer::<Net, _, _, 4>::new(MeanSquaredError, Sgd);
/// let x = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
/// let y = [[0.0], [1.0], [1.0], [0.0]];
/// let first = trainer.train_step(&mut net, &x, &y, 0.1).unwrap();
/// for _ in 0..2000 {
///     trainer.train_step(&mut net, &x, &y, 0.1).unwrap();
/// }
/// let last = trainer.evaluate(&net, &x, &y).unwrap();
/// assert!(last.loss < first.loss / 10.0);
/// ```
pub struct Trainer<N: Layer, L, O: Optimizer, const B: usize> {
    cache: N::Cache<B>,
    loss_gradient: HeldGradient<N, B>,
    grads: N::Grads,
    state: O::State<N::Grads>,
    /// The loss function.
    pub loss: L,
    /// The optimizer and its hyperparameters.
    pub optimizer: O,
    /// Clip the mean gradient to this global L2 norm before each step
    /// (PyTorch's `clip_grad_norm_`); `None` = no clipping.
    pub max_grad_norm: Option<f32>,
    accumulated_rows: u32,
    steps: u32,
    phase: Phase,
    network: PhantomData<fn(&N)>,
}

/// What one optimizer step did.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StepReport {
    /// The learning rate used.
    pub learning_rate: f32,
    /// L2 norm of the mean gradient (before clipping).
    pub grad_norm: f32,
    /// L2 norm of the change of all parameters, |w(k+1) − w(k)|.
    pub change_norm: f32,
}

/// Bytes of each part of a training setup, from `size_of` of the real types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MemoryReport {
    /// The network: weights, biases and activation settings (not the
    /// weights of a [`Flash`](crate::Flash) layer, which stay in flash).
    pub parameters: usize,
    /// The gradient buffer: the parameters that train (none of a
    /// [`Frozen`](crate::Frozen) layer, the biases of a
    /// [`BiasOnly`](crate::BiasOnly) one).
    pub gradients: usize,
    /// Optimizer state (0 for SGD), shaped like the gradient buffer.
    pub optimizer_state: usize,
    /// Cached activations for `B` rows plus the boundary rows of backprop
    /// (and, behind an output activation other than identity, the `B` rows
    /// of the loss gradient held from `loss` to `backward`).
    pub caches: usize,
    /// The whole [`Trainer`] (gradients + state + caches + a few counters).
    pub trainer: usize,
    /// Parameters plus trainer: all RAM a training run needs besides the
    /// data and the stack.
    pub total: usize,
}

impl<N: Layer, L: Zeroed, O: Optimizer + Zeroed, const B: usize> Trainer<N, L, O, B> {
    /// A trainer whose every byte is zero, for a `static`: the loss and the
    /// optimizer are their [`Zeroed::ZERO`] values, so the whole value is
    /// zeros and the linker puts it in `.bss` (RAM cleared at start-up)
    /// instead of storing an image of it in flash for `.data`, as it must
    /// for [`Trainer::new`] with non-zero hyperparameters (`Adam::PYTORCH`).
    /// Set the real hyperparameters through the public
    /// [`optimizer`](Trainer::optimizer) field before the first step; an
    /// all-zero [`Adam`](crate::Adam) refuses to step
    /// ([`Error::InvalidHyperparameter`]) rather than train with β = 0 and
    /// eps = 0.
    ///
    /// ```
    /// use microprop::{network, Adam, Dense, Error, Identity, Layer, SoftmaxCrossEntropy, Tanh, Trainer};
    /// type Net = network![Dense<4, 8, Tanh>, Dense<8, 3, Identity>];
    /// type T = Trainer<Net, SoftmaxCrossEntropy, Adam, 1>;
    /// // All zeros: in `.bss` on an MCU (with a `ConstStaticCell` or a
    /// // `Mutex` around it for mutable access).
    /// static TRAINER: T = T::ZEROED;
    ///
    /// let mut net = Net::ZERO;
    /// net.init(microprop::Init::Xavier, &mut microprop::init::seeded(1));
    /// let (x, y) = ([[0.5, -1.0, 0.25, 0.0]], [2]);
    /// let mut trainer = T::ZEROED;
    /// let refused = trainer.train_step(&mut net, &x, &y, 1e-3);
    /// assert!(matches!(refused, Err(Error::InvalidHyperparameter)));
    /// trainer.optimizer = Adam::PYTORCH;
    /// assert!(trainer.train_step(&mut net, &x, &y, 1e-3).is_ok());
    /// ```
    pub const ZEROED: Self = Self::new(L::ZERO, O::ZERO);
}

impl<N: Layer, L, O: Optimizer, const B: usize> Trainer<N, L, O, B> {
    /// A trainer with zeroed buffers. Usable in `const` and `static`.
    pub const fn new(loss: L, optimizer: O) -> Self {
        const { assert!(B > 0, "batch capacity B must be at least 1") };
        Trainer {
            cache: <N::Cache<B> as Zeroed>::ZERO,
            loss_gradient: <HeldGradient<N, B> as Zeroed>::ZERO,
            grads: <N::Grads as Zeroed>::ZERO,
            state: <O::State<N::Grads> as Zeroed>::ZERO,
            loss,
            optimizer,
            max_grad_norm: None,
            accumulated_rows: 0,
            steps: 0,
            phase: Phase::Idle,
            network: PhantomData,
        }
    }

    /// Memory of the network and of this trainer, by part.
    pub const MEMORY: MemoryReport = MemoryReport {
        parameters: size_of::<N>(),
        gradients: size_of::<N::Grads>(),
        optimizer_state: size_of::<O::State<N::Grads>>(),
        caches: size_of::<N::Cache<B>>() + size_of::<HeldGradient<N, B>>(),
        trainer: size_of::<Self>(),
        total: size_of::<N>() + size_of::<Self>(),
    };

    /// The same trainer, clipping the mean gradient to global L2 norm
    /// `max_norm` before every step. Usable in `const`. A `max_norm` that is
    /// not positive and finite makes every step fail with
    /// [`Error::InvalidHyperparameter`].
    pub const fn with_grad_clipping(mut self, max_norm: f32) -> Self {
        self.max_grad_norm = Some(max_norm);
        self
    }

    /// Restores the step counter (e.g. after loading a checkpoint), so
    /// schedules and Adam's bias correction continue where they were.
    pub fn set_steps(&mut self, steps: u32) {
        self.steps = steps;
    }

    /// Optimizer steps taken so far.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// Rows whose gradients are accumulated and not yet applied.
    pub fn accumulated_rows(&self) -> u32 {
        self.accumulated_rows
    }

    /// The gradient buffer: the **sum** over the accumulated rows of
    /// dL_i/dθ, not the gradient of the mean loss that [`Loss::batch`]
    /// returns and [`Trainer::step`] applies (that is
    /// [`Trainer::mean_gradient`]: this times `1 / accumulated_rows()`).
    /// Sums let a step average over chunks accumulated one after another.
    ///
    /// A step does not clear the buffer (that would cost a pass over it):
    /// with `accumulated_rows() == 0` it still holds the sum of the last
    /// step, which the next backward pass overwrites.
    /// [`Trainer::zero_grad`] clears it.
    pub fn gradient_sum(&self) -> &N::Grads {
        &self.grads
    }

    /// Writes the gradient of the mean loss over the accumulated rows into
    /// `out`: [`Trainer::gradient_sum`] times `1 / accumulated_rows()`, the
    /// very values (same bits) the next [`Trainer::step`] hands the
    /// optimizer when no clipping applies, and the batch gradient of
    /// [`Loss::batch`] carried back to the parameters.
    ///
    /// ```
    /// use microprop::layer::{Grads, Zeroed};
    /// use microprop::{Dense, Identity, Layer, MeanSquaredError, Sgd, Trainer};
    /// type Net = Dense<1, 1, Identity>;
    /// let net = Net::ZERO; // output 0 for every input
    /// let mut trainer = Trainer::<Net, _, _, 2>::new(MeanSquaredError, Sgd);
    /// // L = 1/2 Σ (0 − y_i)², dL/db = 1/2 Σ 2 (0 − y_i) = −(y_1 + y_2).
    /// trainer.accumulate(&net, &[[0.0], [0.0]], &[[1.0], [3.0]])?;
    /// let mut mean = <Grads<Net> as Zeroed>::ZERO;
    /// trainer.mean_gradient(&mut mean)?;
    /// assert_eq!(trainer.gradient_sum().bias, [-8.0]);
    /// assert_eq!(mean.bias, [-4.0]);
    /// # Ok::<(), microprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::NothingAccumulated`] when no rows are accumulated (also right
    /// after a step); `out` is then untouched.
    pub fn mean_gradient(&self, out: &mut N::Grads) -> Result<(), Error> {
        if self.accumulated_rows == 0 {
            return Err(Error::NothingAccumulated);
        }
        // The scale `step_context` starts from.
        let scale = 1.0 / self.accumulated_rows as f32;
        for (out, sum) in out.slices_mut().zip(self.grads.slices()) {
            for (o, g) in out.iter_mut().zip(sum) {
                *o = g * scale;
            }
        }
        Ok(())
    }

    /// Mutable optimizer state (e.g. to restore it from a checkpoint).
    pub fn optimizer_state_mut(&mut self) -> &mut O::State<N::Grads> {
        &mut self.state
    }

    /// Optimizer state (e.g. moments), shaped like the parameters.
    pub fn optimizer_state(&self) -> &O::State<N::Grads> {
        &self.state
    }

    /// Clears the gradient buffer and any half-done step.
    pub fn zero_grad(&mut self) {
        self.grads.fill_zero();
        self.discard_gradients();
    }

    /// Forgets the accumulated rows and any half-done step without writing
    /// the buffer: the next backward pass overwrites it
    /// ([`GradientMode::Overwrite`]).
    pub(crate) fn discard_gradients(&mut self) {
        self.accumulated_rows = 0;
        self.phase = Phase::Idle;
    }

    /// Forward pass over 1..=B rows, caching activations for backward.
    /// Returns the output rows.
    ///
    /// # Errors
    /// [`Error::EmptyBatch`], [`Error::BatchTooLarge`],
    /// [`Error::NonFiniteInput`]. Nothing is computed then.
    pub fn forward(&mut self, net: &N, x: &[N::Input]) -> Result<&[N::Output], Error> {
        self.phase = Phase::Idle;
        check_rows(x.len(), B)?;
        if let Some(row) = x.iter().position(|r| !all_finite(r.as_slice())) {
            return Err(Error::NonFiniteInput { row });
        }
        net.forward::<B>(x, &mut self.cache);
        self.phase = Phase::Forwarded { rows: x.len() };
        Ok(prefix(N::outputs(&self.cache), x.len()))
    }

    /// The loss of the rows of the last forward pass; with `keep_gradient`
    /// also each row's dL/d(output) for backward: over the cached outputs
    /// behind an identity output (where it is dL/dZ), in the held rows
    /// otherwise. Step counter and gradient buffer are left alone.
    fn score(&mut self, targets: &[L::Target], keep_gradient: bool) -> Result<StepStats, Error>
    where
        L: Loss<N::Output>,
    {
        let Phase::Forwarded { rows } = self.phase else {
            return Err(Error::OutOfOrder);
        };
        self.phase = Phase::Idle;
        if targets.len() != rows {
            return Err(Error::RowCountMismatch {
                inputs: rows,
                targets: targets.len(),
            });
        }
        let outputs = prefix_mut(N::outputs_mut(&mut self.cache), rows);
        let mut held = self.loss_gradient.rows_mut();
        let mut loss_sum = 0.0;
        let mut correct: Option<u32> = None;
        for (row, (out, target)) in outputs.iter_mut().zip(targets).enumerate() {
            let mut grad = <N::Output as Zeroed>::ZERO;
            loss_sum += self.loss.row(out, target, &mut grad, row)?;
            if let Some(ok) = self.loss.correct(out, target) {
                correct = Some(correct.unwrap_or(0) + u32::from(ok));
            }
            if keep_gradient {
                // The output activation's derivative is backward's: it
                // needs the outputs, so dL/d(output) waits beside them;
                // behind an identity output it is dL/dZ already.
                match held.as_deref_mut().and_then(|rows| rows.get_mut(row)) {
                    Some(slot) => *slot = grad,
                    None => *out = grad,
                }
            }
        }
        if keep_gradient {
            self.phase = Phase::Scored { rows };
        }
        Ok(StepStats {
            rows: rows as u32,
            loss: loss_sum / rows as f32,
            correct,
        })
    }

    /// Loss of the rows from the last [`Trainer::forward`] against
    /// `targets`, and its gradient dL/d(output) of every row, kept for
    /// [`Trainer::backward`].
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] without a preceding `forward`,
    /// [`Error::RowCountMismatch`], and the target and loss errors of
    /// [`Loss::row`]. The gradient buffer is untouched; `forward` must be run
    /// again.
    pub fn loss(&mut self, targets: &[L::Target]) -> Result<StepStats, Error>
    where
        L: Loss<N::Output> + AcceptsActivation<N::OutputActivation>,
    {
        self.score(targets, true)
    }

    /// Backpropagates the last [`Trainer::loss`]: turns its dL/d(output)
    /// into dL/d(pre-activation) through the output activation's
    /// derivative, then runs the layers' backward passes, last layer first,
    /// and adds dL_i/dθ of each row to the gradient buffer. `x` must be the
    /// rows given to `forward`.
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] without a preceding `loss` over as many rows.
    pub fn backward(&mut self, net: &N, x: &[N::Input]) -> Result<(), Error> {
        match self.phase {
            Phase::Scored { rows } if rows == x.len() => {}
            _ => return Err(Error::OutOfOrder),
        }
        self.phase = Phase::Idle;
        if let Some(held) = self.loss_gradient.rows_mut() {
            let activation = net.output_activation();
            let outputs = prefix_mut(N::outputs_mut(&mut self.cache), x.len());
            for (out, grad) in outputs.iter_mut().zip(held.iter_mut()) {
                activation.backward(out.as_slice(), grad.as_mut_slice());
                *out = *grad;
            }
        }
        let mode = if self.accumulated_rows == 0 {
            GradientMode::Overwrite
        } else {
            GradientMode::Accumulate
        };
        net.backward_first::<B>(x, &mut self.cache, &mut self.grads, mode);
        self.accumulated_rows += x.len() as u32;
        Ok(())
    }

    /// Forward, loss and backward for one batch: adds its gradient to the
    /// buffer without updating the weights. Call it for several batches and
    /// then [`Trainer::step`] once to take a step over more rows than the
    /// buffer holds (full-batch gradient descent with a small `B`).
    ///
    /// # Errors
    /// As [`Trainer::forward`] and [`Trainer::loss`]; a rejected batch adds
    /// nothing to the gradient buffer.
    pub fn accumulate(
        &mut self,
        net: &N,
        x: &[N::Input],
        targets: &[L::Target],
    ) -> Result<StepStats, Error>
    where
        L: Loss<N::Output> + AcceptsActivation<N::OutputActivation>,
    {
        check_same_rows(x.len(), targets.len())?;
        self.forward(net, x)?;
        let stats = self.loss(targets)?;
        self.backward(net, x)?;
        Ok(stats)
    }

    /// Applies the mean of the accumulated gradients with learning rate `lr`,
    /// then clears the buffer and counts the step.
    ///
    /// # Errors
    /// [`Error::NothingAccumulated`], [`Error::InvalidLearningRate`],
    /// [`Error::InvalidHyperparameter`] (a bad clipping norm),
    /// [`Error::NonFiniteGradient`]: the network, optimizer state and step
    /// count are then unchanged (the gradient buffer is kept for inspection;
    /// [`Trainer::zero_grad`] clears it).
    pub fn step(&mut self, net: &mut N, lr: f32) -> Result<(), Error> {
        self.apply_step(net, lr, false).map(|_| ())
    }

    /// [`Trainer::step`], also reporting the norms the stopping criteria
    /// watch (one extra read of the gradient buffer).
    ///
    /// # Errors
    /// As [`Trainer::step`].
    pub fn step_measured(&mut self, net: &mut N, lr: f32) -> Result<StepReport, Error> {
        self.apply_step(net, lr, true)
    }

    /// The step; the gradient norm is only computed when `measure` is set
    /// or clipping needs it (it costs a pass over the gradients).
    fn apply_step(&mut self, net: &mut N, lr: f32, measure: bool) -> Result<StepReport, Error> {
        let (ctx, grad_norm) = step_context(
            &self.grads,
            self.accumulated_rows,
            self.steps,
            self.max_grad_norm,
            lr,
            measure,
        )?;
        // The change norm is a serial sum over every parameter: only
        // computed when asked for.
        // The optimizer sees the parameters that train (all of them
        // unless layers are frozen or bias-only), laid out as the gradients.
        let mut params = Trainable::new(net);
        let change = if measure {
            let (grads, state) = (&self.grads, &mut self.state);
            self.optimizer
                .update(&mut params, grads, state, ctx, SquaredChange)?
        } else {
            let (grads, state) = (&self.grads, &mut self.state);
            self.optimizer
                .update(&mut params, grads, state, ctx, Unmeasured)?;
            f32::NAN
        };
        self.steps += 1;
        self.discard_gradients();
        Ok(StepReport {
            learning_rate: lr,
            grad_norm,
            change_norm: crate::math::sqrt(change),
        })
    }

    /// One complete training step on one batch: zero gradients, forward,
    /// loss, backward, update.
    ///
    /// # Errors
    /// Any error of the phases; the network, optimizer state and step count
    /// are then unchanged.
    pub fn train_step(
        &mut self,
        net: &mut N,
        x: &[N::Input],
        targets: &[L::Target],
        lr: f32,
    ) -> Result<StepStats, Error>
    where
        L: Loss<N::Output> + AcceptsActivation<N::OutputActivation>,
    {
        self.discard_gradients();
        let stats = self.accumulate(net, x, targets)?;
        self.step(net, lr)?;
        Ok(stats)
    }

    /// Loss and accuracy of the network on a batch, without touching the
    /// gradient buffer.
    ///
    /// # Errors
    /// As [`Trainer::forward`] and [`Trainer::loss`].
    pub fn evaluate(
        &mut self,
        net: &N,
        x: &[N::Input],
        targets: &[L::Target],
    ) -> Result<StepStats, Error>
    where
        L: Loss<N::Output>,
    {
        check_same_rows(x.len(), targets.len())?;
        self.forward(net, x)?;
        self.score(targets, false)
    }
}

/// The context of the step after `steps` steps over a gradient buffer
/// holding the sum of `accumulated_rows` rows' gradients, and the mean
/// gradient's L2 norm (computed only with `measure` or clipping; NaN
/// otherwise). Clipping to `max_grad_norm` folds into the gradient scale.
pub(crate) fn step_context<P: Parameters>(
    grads: &P,
    accumulated_rows: u32,
    steps: u32,
    max_grad_norm: Option<f32>,
    lr: f32,
    measure: bool,
) -> Result<(StepContext, f32), Error> {
    if accumulated_rows == 0 {
        return Err(Error::NothingAccumulated);
    }
    let mut grad_scale = 1.0 / accumulated_rows as f32;
    let grad_norm = if measure || max_grad_norm.is_some() {
        global_norm(grads) * grad_scale
    } else {
        f32::NAN
    };
    if let Some(max_norm) = max_grad_norm {
        if !(max_norm > 0.0 && max_norm.is_finite()) {
            return Err(Error::InvalidHyperparameter);
        }
        grad_scale *= crate::optim::clip_factor(grad_norm, max_norm);
    }
    let ctx = StepContext {
        learning_rate: lr,
        grad_scale,
        step: steps + 1,
    };
    Ok((ctx, grad_norm))
}

/// L2 norm of all gradients. The plain sum of squares overflows for
/// components beyond ~1.8e19; then the norm is recomputed scaled by the
/// largest magnitude, so any finite gradient has a finite norm (up to
/// `f32::MAX`) and only non-finite gradients give a non-finite norm.
pub(crate) fn global_norm<P: Parameters>(grads: &P) -> f32 {
    let sum = grads.sum_of_squares();
    if sum.is_finite() {
        return crate::math::sqrt(sum);
    }
    let largest = grads
        .slices()
        .flat_map(|s| s.iter())
        .fold(0.0f32, |m, v| m.max(v.abs()));
    if !largest.is_finite() || largest == 0.0 {
        return f32::INFINITY;
    }
    let inv = 1.0 / largest;
    let scaled = grads
        .slices()
        .flat_map(|s| s.iter())
        .fold(0.0f32, |acc, v| acc + (v * inv) * (v * inv));
    largest * crate::math::sqrt(scaled)
}

/// Checks that inputs and targets have as many rows.
pub(crate) fn check_same_rows(inputs: usize, targets: usize) -> Result<(), Error> {
    if inputs == targets {
        Ok(())
    } else {
        Err(Error::RowCountMismatch { inputs, targets })
    }
}

/// Checks `1 <= rows <= capacity`.
pub(crate) fn check_rows(rows: usize, capacity: usize) -> Result<(), Error> {
    if rows == 0 {
        Err(Error::EmptyBatch)
    } else if rows > capacity {
        Err(Error::BatchTooLarge { rows, capacity })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{Identity, Sigmoid};
    use crate::init::Init;
    use crate::layer::{Cache, Dense, Grads, Layer};
    use crate::loss::MeanSquaredError;
    use crate::optim::{Momentum, Sgd};
    use crate::{Tanh, network};

    /// `loss` leaves the output activation's derivative to `backward`: one
    /// sigmoid unit, w = b = 0, x = 1, y = 1 gives o = 1/2,
    /// dL/do = 2(o − y) = −1, dL/dz = dL/do · o(1 − o) = −1/4, and so
    /// dW = db = −1/4 (every value exact in f32).
    #[test]
    fn backward_applies_the_output_derivative() -> Result<(), Error> {
        let net = Dense::<1, 1, Sigmoid>::ZERO;
        let mut t = Trainer::<_, _, _, 2>::new(MeanSquaredError, Sgd);
        t.forward(&net, &[[1.0]])?;
        t.loss(&[[1.0]])?;
        t.backward(&net, &[[1.0]])?;
        assert_eq!(t.gradient_sum().weights, [[-0.25]]);
        assert_eq!(t.gradient_sum().bias, [-0.25]);
        Ok(())
    }

    /// Behind an identity output the loss gradient is dL/dZ already and
    /// takes the outputs' place: no rows are held, the caches are the
    /// layers' own.
    #[test]
    fn identity_outputs_hold_no_loss_gradient() {
        type Net = Dense<3, 2, Identity>;
        type T = Trainer<Net, MeanSquaredError, Sgd, 4>;
        assert_eq!(T::MEMORY.caches, size_of::<Cache<Net, 4>>());
        type S = Trainer<Dense<3, 2, Sigmoid>, MeanSquaredError, Sgd, 4>;
        assert_eq!(S::MEMORY.caches, 2 * size_of::<Cache<Net, 4>>());
    }

    /// `Sgd::with_weight_decay` takes the steps of `Momentum` with momentum 0
    /// and the same decay, bit for bit, through a trainer (gradient mean,
    /// several steps of a tanh network).
    #[test]
    fn weight_decay_matches_momentum_zero() -> Result<(), Error> {
        type Net = network![Dense<3, 5, Tanh>, Dense<5, 2, Tanh>];
        let mut net = Net::ZERO;
        net.init(Init::Xavier, &mut crate::init::seeded(3));
        let mut other = net;
        let decay = 0.03;
        let momentum = Momentum {
            momentum: 0.0,
            nesterov: false,
            weight_decay: decay,
        };
        let sgd = Sgd::with_weight_decay(decay);
        let mut a = Trainer::<Net, _, _, 2>::new(MeanSquaredError, sgd);
        let mut b = Trainer::<Net, _, _, 2>::new(MeanSquaredError, momentum);
        let x = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]];
        let y = [[0.2, -0.4], [-0.1, 0.3]];
        for _ in 0..20 {
            a.train_step(&mut net, &x, &y, 0.1)?;
            b.train_step(&mut other, &x, &y, 0.1)?;
        }
        let mut pairs = net.slices().flatten().zip(other.slices().flatten());
        assert!(pairs.all(|(p, q)| p.to_bits() == q.to_bits()));
        assert_eq!(net.slices().flatten().count(), Net::LEN);
        Ok(())
    }

    /// `mean_gradient` is what the step applies: SGD with rate 1 moves every
    /// parameter by exactly the mean gradient.
    #[test]
    fn the_mean_gradient_is_what_a_step_applies() {
        type Net = crate::network![Dense<2, 3, Tanh>, Dense<3, 1>];
        let mut net = Net::ZERO;
        net.init(Init::Xavier, &mut crate::init::seeded(9));
        let mut trainer = Trainer::<Net, _, _, 2>::new(MeanSquaredError, Sgd);
        let mut mean = <Grads<Net> as Zeroed>::ZERO;
        assert_eq!(
            trainer.mean_gradient(&mut mean),
            Err(Error::NothingAccumulated)
        );
        // Three rows in two chunks: the mean is over all three.
        let x = [[0.5, -1.0], [2.0, 0.25], [-1.5, 0.75]];
        let y = [[1.0], [-0.5], [0.3]];
        assert!(trainer.accumulate(&net, &x[..2], &y[..2]).is_ok());
        assert!(trainer.accumulate(&net, &x[2..], &y[2..]).is_ok());
        assert_eq!(trainer.accumulated_rows(), 3);
        assert_eq!(trainer.mean_gradient(&mut mean), Ok(()));
        let sum_and_mean = trainer.gradient_sum().slices().zip(mean.slices());
        for (sum, mean) in sum_and_mean {
            for (s, m) in sum.iter().zip(mean) {
                assert_eq!(*m, s * (1.0 / 3.0));
            }
        }
        let before = net;
        assert!(trainer.step(&mut net, 1.0).is_ok());
        let moved = before.slices().zip(net.slices()).zip(mean.slices());
        for ((before, after), mean) in moved {
            for ((b, a), m) in before.iter().zip(after).zip(mean) {
                assert_eq!(a.to_bits(), (b - m).to_bits());
            }
        }
        // After the step nothing is accumulated; the sum is still readable.
        assert_eq!(
            trainer.mean_gradient(&mut mean),
            Err(Error::NothingAccumulated)
        );
    }
}
