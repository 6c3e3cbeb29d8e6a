//! Uniform access to parameter-shaped storage: weights, gradients and
//! optimizer state all expose themselves as the same sequence of `f32` slices.

use crate::buffer::Zeroed;

/// Storage shaped like a network's parameters, seen as a fixed sequence of
/// `f32` slices.
///
/// A network, its gradient buffer and every optimizer state buffer yield
/// slices of the same lengths in the same order, so an optimizer walks them
/// together with `zip` and needs no indexing. The order is documented per
/// layer ([`Dense`](crate::Dense): weights row by row, then bias) and layers
/// of a [`Chain`](crate::Chain) follow one another front to back.
///
/// ```
/// use microprop::Parameters;
/// // A plain array is a parameter vector too (e.g. the lecture's quadratic).
/// let mut w = [3.0_f32, -1.0];
/// assert_eq!(<[f32; 2] as Parameters>::LEN, 2);
/// for s in w.slices_mut() {
///     s.iter_mut().for_each(|v| *v *= 2.0);
/// }
/// assert_eq!(w, [6.0, -2.0]);
/// ```
pub trait Parameters {
    /// Total number of scalars.
    const LEN: usize;
    /// The slices, in order.
    fn slices(&self) -> impl Iterator<Item = &[f32]>;
    /// The slices, in order, mutably.
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [f32]>;

    /// Sets every scalar to zero.
    fn fill_zero(&mut self) {
        for s in self.slices_mut() {
            s.fill(0.0);
        }
    }

    /// Sum of squares of all scalars, accumulated in a fixed order (so the
    /// same on every target).
    fn sum_of_squares(&self) -> f32 {
        self.slices()
            .flat_map(|s| s.iter())
            .fold(0.0, |acc, v| acc + v * v)
    }

    /// `true` if every scalar is finite.
    fn all_finite(&self) -> bool {
        self.slices().all(crate::buffer::all_finite)
    }
}

impl<const N: usize> Parameters for [f32; N] {
    const LEN: usize = N;
    fn slices(&self) -> impl Iterator<Item = &[f32]> {
        core::iter::once(&self[..])
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        core::iter::once(&mut self[..])
    }
}

impl Parameters for () {
    const LEN: usize = 0;
    fn slices(&self) -> impl Iterator<Item = &[f32]> {
        core::iter::empty()
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        core::iter::empty()
    }
}

impl<A: Parameters, B: Parameters> Parameters for (A, B) {
    const LEN: usize = A::LEN + B::LEN;
    fn slices(&self) -> impl Iterator<Item = &[f32]> {
        self.0.slices().chain(self.1.slices())
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        self.0.slices_mut().chain(self.1.slices_mut())
    }
}

/// A gradient or optimizer-state buffer: parameter-shaped and all-zero
/// constructible.
pub trait ParameterBuffer: Parameters + Zeroed {}
impl<T: Parameters + Zeroed> ParameterBuffer for T {}
