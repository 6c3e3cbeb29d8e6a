//! The fused batch-1 training step: no gradient buffer at all.

use core::mem::size_of;

use crate::activation::Activation;
use crate::buffer::{Row, Zeroed, all_finite};
use crate::error::Error;
use crate::layer::{Fusable, Trainable};
use crate::loss::{AcceptsActivation, Loss};
use crate::optim::{Gradient, Optimizer, StepContext, Unmeasured};
use crate::stats::StepStats;
use crate::trainer::MemoryReport;

/// Trains on one row at a time without storing a gradient: each dense
/// layer's weight gradient at batch 1 is the outer product of its input row
/// and its dL/dZ row, so the optimizer computes every `g = x[i]·dz[o]` in a
/// register as it updates the weight. RAM is the network, the optimizer
/// state and one row of activations per layer (for Adam about 3x the
/// parameters instead of 4x with [`Trainer`](crate::Trainer)); the gradient
/// is never written or read back, and no pass clears it.
///
/// A step gives **the same bits** as [`Trainer::train_step`](crate::Trainer::train_step) with batch
/// capacity 1 (same forward, same dL/dZ, same input gradients, and the
/// optimizer sees the same gradient values in the same order); the tests
/// compare the two for every optimizer. It is also atomic in the same way:
/// all dL/dZ rows are computed (from the old weights) before any weight is
/// written, and a step that would produce a non-finite value changes
/// nothing.
///
/// [`Fusable`] networks only: dense layers, also
/// [`Frozen`](crate::Frozen), [`Flash`](crate::Flash) or
/// [`BiasOnly`](crate::BiasOnly) (a [`Maxout`](crate::Maxout) layer is
/// refused at compile time: its gradient is not an outer product); no
/// gradient clipping (it needs the gradient's norm before the
/// first update).
///
/// ```
/// use microprop::{Dense, FusedTrainer, Layer, MeanSquaredError, Sgd, Sigmoid, Trainer, network};
/// type Net = network![Dense<2, 4, Sigmoid>, Dense<4, 1, Sigmoid>];
/// let mut fused_net = Net::ZERO;
/// fused_net.init(microprop::init::Init::Xavier, &mut microprop::init::seeded(1));
/// let mut net = fused_net;
/// let mut fused = FusedTrainer::<Net, _, _>::new(MeanSquaredError, Sgd);
/// let mut trainer = Trainer::<Net, _, _, 1>::new(MeanSquaredError, Sgd);
/// for (x, y) in [([0.0, 1.0], [1.0]), ([1.0, 1.0], [0.0])] {
///     fused.train_step(&mut fused_net, &x, &y, 0.5).unwrap();
///     trainer.train_step(&mut net, &[x], &[y], 0.5).unwrap();
/// }
/// assert_eq!(fused_net, net); // bit for bit
/// assert_eq!(FusedTrainer::<Net, MeanSquaredError, Sgd>::MEMORY.gradients, 0);
/// ```
pub struct FusedTrainer<N: Fusable, L, O: Optimizer> {
    cache: N::Cache<1>,
    state: O::State<N::Grads>,
    /// The loss function.
    pub loss: L,
    /// The optimizer and its hyperparameters.
    pub optimizer: O,
    steps: u32,
}

impl<N: Fusable, L: Zeroed, O: Optimizer + Zeroed> FusedTrainer<N, L, O> {
    /// A trainer whose every byte is zero, for a `static`: the loss and the
    /// optimizer are their [`Zeroed::ZERO`] values, so the linker puts the
    /// whole trainer in `.bss` (RAM cleared at start-up) instead of storing
    /// an image of it in flash for `.data`, as it must for
    /// [`FusedTrainer::new`] with non-zero hyperparameters
    /// (`Adam::PYTORCH`). Set the real hyperparameters through the public
    /// [`optimizer`](FusedTrainer::optimizer) field before the first step;
    /// an all-zero [`Adam`](crate::Adam) refuses to step
    /// ([`Error::InvalidHyperparameter`]) rather than train with β = 0 and
    /// eps = 0.
    ///
    /// ```
    /// use microprop::{network, Adam, Dense, Error, FusedTrainer, Identity, Layer, SoftmaxCrossEntropy, Tanh};
    /// type Net = network![Dense<4, 8, Tanh>, Dense<8, 3, Identity>];
    /// type T = FusedTrainer<Net, SoftmaxCrossEntropy, Adam>;
    /// // All zeros: in `.bss` on an MCU (with a `ConstStaticCell` or a
    /// // `Mutex` around it for mutable access).
    /// static TRAINER: T = T::ZEROED;
    ///
    /// let mut net = Net::ZERO;
    /// net.init(microprop::Init::Xavier, &mut microprop::init::seeded(1));
    /// let (x, y) = ([0.5, -1.0, 0.25, 0.0], 2);
    /// let mut trainer = T::ZEROED;
    /// let refused = trainer.train_step(&mut net, &x, &y, 1e-3);
    /// assert!(matches!(refused, Err(Error::InvalidHyperparameter)));
    /// trainer.optimizer = Adam::PYTORCH;
    /// assert!(trainer.train_step(&mut net, &x, &y, 1e-3).is_ok());
    /// ```
    pub const ZEROED: Self = Self::new(L::ZERO, O::ZERO);
}

impl<N: Fusable, L, O: Optimizer> FusedTrainer<N, L, O> {
    /// A trainer with zeroed buffers. Usable in `const` and `static`.
    pub const fn new(loss: L, optimizer: O) -> Self {
        FusedTrainer {
            cache: <N::Cache<1> as Zeroed>::ZERO,
            state: <O::State<N::Grads> as Zeroed>::ZERO,
            loss,
            optimizer,
            steps: 0,
        }
    }

    /// Memory of the network and of this trainer, by part (`gradients` is
    /// 0).
    pub const MEMORY: MemoryReport = MemoryReport {
        parameters: size_of::<N>(),
        gradients: 0,
        optimizer_state: size_of::<O::State<N::Grads>>(),
        caches: size_of::<N::Cache<1>>(),
        trainer: size_of::<Self>(),
        total: size_of::<N>() + size_of::<Self>(),
    };

    /// Restores the step counter (e.g. after loading a checkpoint), so
    /// schedules and Adam's bias correction continue where they were.
    pub fn set_steps(&mut self, steps: u32) {
        self.steps = steps;
    }

    /// Optimizer steps taken so far.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// Optimizer state (e.g. moments), shaped like the parameters.
    pub fn optimizer_state(&self) -> &O::State<N::Grads> {
        &self.state
    }

    /// Mutable optimizer state (for restoring a checkpoint).
    pub fn optimizer_state_mut(&mut self) -> &mut O::State<N::Grads> {
        &mut self.state
    }

    /// One training step on one row: forward, loss, the dL/dZ rows of every
    /// layer (old weights), then the update of every layer from the outer
    /// products.
    ///
    /// # Errors
    /// [`Error::NonFiniteInput`], the target and loss errors of
    /// [`Loss::row`], [`Error::InvalidLearningRate`],
    /// [`Error::NonFiniteGradient`]: the network, optimizer state and step
    /// count are then unchanged.
    pub fn train_step(
        &mut self,
        net: &mut N,
        x: &N::Input,
        target: &L::Target,
        lr: f32,
    ) -> Result<StepStats, Error>
    where
        L: Loss<N::Output> + AcceptsActivation<N::OutputActivation>,
    {
        if !all_finite(x.as_slice()) {
            return Err(Error::NonFiniteInput { row: 0 });
        }
        net.forward::<1>(core::slice::from_ref(x), &mut self.cache);
        let [out] = N::outputs(&self.cache);
        let mut dz = <N::Output as Zeroed>::ZERO;
        // The loss and its gradient dL/d(output); then backward: the output
        // activation's derivative gives dL/dZ, and the first fused pass the
        // dL/dZ of every other layer.
        let loss = self.loss.row(out, target, &mut dz, 0)?;
        let correct = self.loss.correct(out, target);
        net.output_activation()
            .backward(out.as_slice(), dz.as_mut_slice());
        net.fused_deltas(&mut self.cache, &dz, None);
        let ctx = StepContext {
            learning_rate: lr,
            grad_scale: 1.0,
            step: self.steps + 1,
        };
        let gradient = OuterProducts::<N> {
            x,
            cache: &self.cache,
            dz: &dz,
        };
        self.optimizer.update(
            &mut Trainable::new(net),
            &gradient,
            &mut self.state,
            ctx,
            Unmeasured,
        )?;
        self.steps += 1;
        Ok(StepStats {
            rows: 1,
            loss,
            correct: correct.map(u32::from),
        })
    }
}

/// The gradient of one row as the network's outer products.
struct OuterProducts<'a, N: Fusable> {
    x: &'a N::Input,
    cache: &'a N::Cache<1>,
    dz: &'a N::Output,
}

impl<N: Fusable> Gradient for OuterProducts<'_, N> {
    type Layout = N::Grads;
    #[inline]
    fn for_each_slice(&self, mut f: impl FnMut(&[f32], &[f32])) {
        N::outer_gradients(self.x, self.cache, self.dz, &mut |a, d| f(a, d));
    }
}
