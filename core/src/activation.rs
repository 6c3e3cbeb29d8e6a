//! Activation functions: the forward map and its derivative side by side.
//!
//! Every derivative is computed from the activation's *output* (sigmoid:
//! o(1 - o), tanh: 1 - o², ReLU family: the sign of o, ELU: o + alpha,
//! softmax: its Jacobian-vector product), so a layer caches only its outputs
//! for backpropagation, never its pre-activations.

use crate::buffer::{HeldRows, Row};
use crate::math;

/// Which activation a layer applies; used in reports and model fingerprints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
#[repr(u8)]
pub enum ActivationKind {
    /// f(x) = x.
    Identity = 0,
    /// f(x) = 1 / (1 + e^-x).
    Sigmoid = 1,
    /// f(x) = tanh x.
    Tanh = 2,
    /// f(x) = max(0, x).
    Relu = 3,
    /// f(x) = x for x > 0, slope · x otherwise.
    LeakyRelu = 4,
    /// f(x) = x for x > 0, alpha (e^x - 1) otherwise.
    Elu = 5,
    /// f(x)_j = e^x_j / Σ e^x_k over the row.
    Softmax = 6,
}

impl ActivationKind {
    /// Every kind, indexed by its [`ActivationKind::code`].
    pub const ALL: [ActivationKind; 7] = [
        ActivationKind::Identity,
        ActivationKind::Sigmoid,
        ActivationKind::Tanh,
        ActivationKind::Relu,
        ActivationKind::LeakyRelu,
        ActivationKind::Elu,
        ActivationKind::Softmax,
    ];

    /// Stable one-byte code (used in checkpoints).
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The kind with this code.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }

    /// Short lowercase name, e.g. `"tanh"`.
    pub const fn name(self) -> &'static str {
        match self {
            ActivationKind::Identity => "identity",
            ActivationKind::Sigmoid => "sigmoid",
            ActivationKind::Tanh => "tanh",
            ActivationKind::Relu => "relu",
            ActivationKind::LeakyRelu => "leaky_relu",
            ActivationKind::Elu => "elu",
            ActivationKind::Softmax => "softmax",
        }
    }
}

/// An activation applied to one row of pre-activations in place.
///
/// Implementors are small `Copy` values (most are zero-sized); parameters such
/// as a Leaky ReLU's slope live in the value.
pub trait Activation: Copy {
    /// The activation with its default parameters (usable in `const`).
    const DEFAULT: Self;
    /// Which function this is.
    fn kind(&self) -> ActivationKind;
    /// Its numeric setting (Leaky ReLU's slope, ELU's alpha; 0 for the
    /// others), recorded in checkpoint fingerprints.
    fn parameter(&self) -> f32 {
        0.0
    }
    /// `z` holds pre-activations on entry and activations on return.
    fn forward(&self, z: &mut [f32]);
    /// Turns `grad` from dL/d(output) into dL/d(pre-activation), given the
    /// row's cached outputs `out`.
    fn backward(&self, out: &[f32], grad: &mut [f32]);

    /// Where a [`Trainer`](crate::Trainer) holds the loss gradient
    /// dL/d(output) of up to `B` rows `R` from
    /// [`Trainer::loss`](crate::Trainer::loss) to
    /// [`Trainer::backward`](crate::Trainer::backward) when this is the
    /// network's output activation: the rows, `[R; B]`, when the derivative
    /// needs the outputs (the cache keeps them until backward); `()` for
    /// [`Identity`], whose derivative is 1, so dL/d(output) is already
    /// dL/d(pre-activation) and takes the outputs' place at once.
    type LossGradient<R: Row, const B: usize>: HeldRows<R>;
}

/// f(x) = x. Use it on the output layer for regression, and for the logits
/// that [`SoftmaxCrossEntropy`](crate::SoftmaxCrossEntropy) and
/// [`SigmoidBinaryCrossEntropy`](crate::SigmoidBinaryCrossEntropy) expect.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Identity;

impl Activation for Identity {
    type LossGradient<R: Row, const B: usize> = ();
    const DEFAULT: Self = Identity;
    fn kind(&self) -> ActivationKind {
        ActivationKind::Identity
    }
    #[inline]
    fn forward(&self, _z: &mut [f32]) {}
    #[inline]
    fn backward(&self, _out: &[f32], _grad: &mut [f32]) {}
}

/// f(x) = 1 / (1 + e^-x), computed without overflow for large |x|;
/// f' = o (1 - o).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sigmoid;

impl Activation for Sigmoid {
    type LossGradient<R: Row, const B: usize> = [R; B];
    const DEFAULT: Self = Sigmoid;
    fn kind(&self) -> ActivationKind {
        ActivationKind::Sigmoid
    }
    #[inline]
    fn forward(&self, z: &mut [f32]) {
        sigmoid_in_place(z);
    }
    #[inline]
    fn backward(&self, out: &[f32], grad: &mut [f32]) {
        for (g, &o) in grad.iter_mut().zip(out) {
            *g *= o * (1.0 - o);
        }
    }
}

/// The element loops that call a `libm` function are out of line: one copy
/// in a firmware whatever the number of layers using them (inlined, each
/// layer would carry its own copy of `tanhf` or `expf`).
#[inline(never)]
fn sigmoid_in_place(z: &mut [f32]) {
    z.iter_mut().for_each(|v| *v = math::sigmoid(*v));
}

/// See [`sigmoid_in_place`].
#[inline(never)]
fn tanh_in_place(z: &mut [f32]) {
    z.iter_mut().for_each(|v| *v = math::tanh(*v));
}

/// See [`sigmoid_in_place`].
#[inline(never)]
fn elu_in_place(z: &mut [f32], alpha: f32) {
    for v in z.iter_mut() {
        if *v <= 0.0 {
            *v = alpha * math::exp_m1(*v);
        }
    }
}

/// f(x) = tanh x; f' = 1 - o².
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tanh;

impl Activation for Tanh {
    type LossGradient<R: Row, const B: usize> = [R; B];
    const DEFAULT: Self = Tanh;
    fn kind(&self) -> ActivationKind {
        ActivationKind::Tanh
    }
    #[inline]
    fn forward(&self, z: &mut [f32]) {
        tanh_in_place(z);
    }
    #[inline]
    fn backward(&self, out: &[f32], grad: &mut [f32]) {
        for (g, &o) in grad.iter_mut().zip(out) {
            *g *= 1.0 - o * o;
        }
    }
}

/// f(x) = max(0, x); f'(x) = 1 for x > 0, else 0 (0 at x = 0, as PyTorch).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Relu;

impl Activation for Relu {
    type LossGradient<R: Row, const B: usize> = [R; B];
    const DEFAULT: Self = Relu;
    fn kind(&self) -> ActivationKind {
        ActivationKind::Relu
    }
    #[inline]
    fn forward(&self, z: &mut [f32]) {
        // A compare and select, not `f32::max`: on the M4F that is a call to
        // compiler-builtins' `fmaxf` per element, and its sign for a -0
        // input differs from the host's `maxss`. NaN still gives 0, as `max`
        // does.
        z.iter_mut()
            .for_each(|v| *v = if *v > 0.0 { *v } else { 0.0 });
    }
    #[inline]
    fn backward(&self, out: &[f32], grad: &mut [f32]) {
        for (g, &o) in grad.iter_mut().zip(out) {
            if o <= 0.0 {
                *g = 0.0;
            }
        }
    }
}

/// f(x) = x for x > 0, `slope · x` otherwise. The lecture's slope 0.1 is the
/// default (PyTorch's is 0.01: pass it to [`LeakyRelu::new`] to match).
///
/// ```
/// use microprop::{Activation, LeakyRelu};
/// let mut row = [2.0, -2.0];
/// LeakyRelu::DEFAULT.forward(&mut row);
/// assert_eq!(row, [2.0, -0.2]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeakyRelu {
    slope: f32,
}

impl LeakyRelu {
    /// The lecture's slope.
    pub const LECTURE_SLOPE: f32 = 0.1;

    /// A Leaky ReLU with the given negative-side slope.
    ///
    /// # Panics
    /// If `slope` is negative or not finite (the derivative is read from the
    /// output's sign, which needs `slope >= 0`). In a `const` this is a
    /// compile error.
    pub const fn new(slope: f32) -> Self {
        assert!(
            slope >= 0.0 && slope.is_finite(),
            "slope must be finite and >= 0"
        );
        LeakyRelu { slope }
    }

    /// A Leaky ReLU with the given slope, or `None` if it is negative or
    /// not finite (the checked form of [`LeakyRelu::new`]).
    pub const fn try_new(slope: f32) -> Option<Self> {
        if slope >= 0.0 && slope.is_finite() {
            Some(LeakyRelu { slope })
        } else {
            None
        }
    }

    /// The negative-side slope.
    pub const fn slope(&self) -> f32 {
        self.slope
    }
}

impl Default for LeakyRelu {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl Activation for LeakyRelu {
    type LossGradient<R: Row, const B: usize> = [R; B];
    const DEFAULT: Self = LeakyRelu::new(Self::LECTURE_SLOPE);
    fn kind(&self) -> ActivationKind {
        ActivationKind::LeakyRelu
    }
    fn parameter(&self) -> f32 {
        self.slope
    }
    #[inline]
    fn forward(&self, z: &mut [f32]) {
        for v in z.iter_mut() {
            if *v <= 0.0 {
                *v *= self.slope;
            }
        }
    }
    #[inline]
    fn backward(&self, out: &[f32], grad: &mut [f32]) {
        for (g, &o) in grad.iter_mut().zip(out) {
            if o <= 0.0 {
                *g *= self.slope;
            }
        }
    }
}

/// f(x) = x for x > 0, `alpha (e^x - 1)` otherwise; f' = 1 or o + alpha.
/// Default alpha 1.0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Elu {
    alpha: f32,
}

impl Elu {
    /// An ELU with the given alpha.
    ///
    /// # Panics
    /// If `alpha` is negative or not finite (compile error in a `const`).
    pub const fn new(alpha: f32) -> Self {
        assert!(
            alpha >= 0.0 && alpha.is_finite(),
            "alpha must be finite and >= 0"
        );
        Elu { alpha }
    }

    /// An ELU with the given alpha, or `None` if it is negative or not
    /// finite (the checked form of [`Elu::new`]).
    pub const fn try_new(alpha: f32) -> Option<Self> {
        if alpha >= 0.0 && alpha.is_finite() {
            Some(Elu { alpha })
        } else {
            None
        }
    }

    /// The saturation value for large negative inputs is `-alpha`.
    pub const fn alpha(&self) -> f32 {
        self.alpha
    }
}

impl Default for Elu {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl Activation for Elu {
    type LossGradient<R: Row, const B: usize> = [R; B];
    const DEFAULT: Self = Elu::new(1.0);
    fn kind(&self) -> ActivationKind {
        ActivationKind::Elu
    }
    fn parameter(&self) -> f32 {
        self.alpha
    }
    #[inline]
    fn forward(&self, z: &mut [f32]) {
        elu_in_place(z, self.alpha);
    }
    #[inline]
    fn backward(&self, out: &[f32], grad: &mut [f32]) {
        for (g, &o) in grad.iter_mut().zip(out) {
            if o <= 0.0 {
                *g *= o + self.alpha;
            }
        }
    }
}

/// Softmax over the row, with the maximum subtracted first so `exp` never
/// overflows. For classification training prefer an [`Identity`] output with
/// the fused [`SoftmaxCrossEntropy`](crate::SoftmaxCrossEntropy) loss, which
/// is more accurate; this activation is for models that need probabilities as
/// their output (e.g. with [`MeanSquaredError`](crate::MeanSquaredError)).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Softmax;

impl Activation for Softmax {
    type LossGradient<R: Row, const B: usize> = [R; B];
    const DEFAULT: Self = Softmax;
    fn kind(&self) -> ActivationKind {
        ActivationKind::Softmax
    }
    #[inline]
    fn forward(&self, z: &mut [f32]) {
        softmax_in_place(z);
    }
    #[inline]
    fn backward(&self, out: &[f32], grad: &mut [f32]) {
        // dz_j = o_j (g_j - Σ_k g_k o_k)
        let dot = grad.iter().zip(out).fold(0.0, |acc, (g, o)| acc + g * o);
        for (g, &o) in grad.iter_mut().zip(out) {
            *g = o * (*g - dot);
        }
    }
}

/// Replaces `z` with softmax(z), stably. Turns logits from an [`Identity`]
/// output layer into probabilities.
///
/// ```
/// let mut logits = [1000.0_f32, 1000.0];
/// microprop::softmax_in_place(&mut logits);
/// assert_eq!(logits, [0.5, 0.5]);
/// ```
pub fn softmax_in_place(z: &mut [f32]) {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, math::larger);
    let mut sum = 0.0;
    for v in z.iter_mut() {
        *v = math::exp(*v - max);
        sum += *v;
    }
    let inv = 1.0 / sum;
    z.iter_mut().for_each(|v| *v *= inv);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_values() {
        let mut r = [-1.0, 0.0, 2.0];
        Relu.forward(&mut r);
        assert_eq!(r, [0.0, 0.0, 2.0]);
        let mut e = [-1.0, 3.0];
        Elu::DEFAULT.forward(&mut e);
        assert!((e[0] - (libm::expf(-1.0) - 1.0)).abs() < 1e-7);
        assert_eq!(e[1], 3.0);
        let mut t = [0.5];
        Tanh.forward(&mut t);
        assert!((t[0] - 0.462_117_16).abs() < 1e-7);
    }

    #[test]
    fn softmax_sums_to_one_and_survives_huge_logits() {
        let mut z = [1e30, 0.0, -1e30];
        softmax_in_place(&mut z);
        assert_eq!(z, [1.0, 0.0, 0.0]);
        let mut z = [1.0, 2.0, 3.0];
        softmax_in_place(&mut z);
        assert!((z.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(z[2] > z[1] && z[1] > z[0]);
    }

    #[test]
    fn derivatives_from_outputs() {
        let out = [0.25];
        let mut g = [2.0];
        Sigmoid.backward(&out, &mut g);
        assert_eq!(g, [2.0 * 0.25 * 0.75]);
        let mut g = [2.0];
        Tanh.backward(&[0.5], &mut g);
        assert_eq!(g, [1.5]);
        let mut g = [1.0, 1.0];
        LeakyRelu::DEFAULT.backward(&[-0.2, 3.0], &mut g);
        assert_eq!(g, [0.1, 1.0]);
        let mut g = [1.0];
        Elu::DEFAULT.backward(&[-0.5], &mut g);
        assert_eq!(g, [0.5]);
    }
}
