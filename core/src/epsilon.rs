//! Where epsilon goes in an adaptive optimizer's denominator: shared by the
//! optimizers and the kernels that run their update rule.

/// Where epsilon goes in the adaptive optimizers' denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Epsilon {
    /// `g / (sqrt(s) + eps)`: PyTorch and Keras.
    #[default]
    Outside,
    /// `g / sqrt(s + eps)`: the lecture's formula.
    Inside,
}

impl Epsilon {
    /// The denominator `sqrt(s) + eps` or `sqrt(s + eps)`.
    #[inline]
    pub fn denominator(self, s: f32, eps: f32) -> f32 {
        match self {
            Epsilon::Outside => crate::math::sqrt(s) + eps,
            Epsilon::Inside => crate::math::sqrt(s + eps),
        }
    }
}
