//! Uniform access to parameter-shaped storage: weights, gradients and
//! optimizer state all expose themselves as the same sequence of `f32` slices.

use crate::buffer::Zeroed;
use crate::error::{Buffer, Error};

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

    /// Number of scalars, counted over the slices ([`Parameters::LEN`]
    /// for every type with a compile-time size).
    fn count(&self) -> usize {
        self.slices().map(<[f32]>::len).sum()
    }

    /// Copies every scalar, in [`Parameters::slices`] order, into `out`:
    /// a network's weights (or a gradient buffer, or optimizer state) as
    /// one flat vector, layer by layer.
    ///
    /// ```
    /// use microprop::{Dense, Identity, Layer, Parameters, network};
    /// type Net = network![Dense<2, 2, Identity>, Dense<2, 1, Identity>];
    /// let mut net = Net::ZERO;
    /// let values: [f32; Net::LEN] = core::array::from_fn(|i| (i + 1) as f32);
    /// net.copy_from(&values).unwrap();
    /// assert_eq!(net.first.params.weights, [[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(net.first.params.bias, [5.0, 6.0]);
    /// assert_eq!(net.second.params.bias, [9.0]);
    /// let mut back = [0.0; Net::LEN];
    /// net.copy_to(&mut back).unwrap();
    /// assert_eq!(back, values);
    /// assert!(net.copy_to(&mut back[1..]).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::BufferLength`] (naming [`Buffer::Parameters`]) unless `out`
    /// holds exactly [`Parameters::count`] values; `out` is unchanged then.
    fn copy_to(&self, out: &mut [f32]) -> Result<(), Error> {
        check_count(self.count(), out.len())?;
        for (o, v) in out.iter_mut().zip(self.slices().flatten()) {
            *o = *v;
        }
        Ok(())
    }

    /// Sets every scalar from `values`, in [`Parameters::slices`] order
    /// (the inverse of [`Parameters::copy_to`]). The values are copied as
    /// given: a non-finite weight makes the next training step fail, it is
    /// not refused here.
    ///
    /// # Errors
    /// [`Error::BufferLength`] (naming [`Buffer::Parameters`]) unless
    /// `values` holds exactly [`Parameters::count`] values; nothing is
    /// written then.
    fn copy_from(&mut self, values: &[f32]) -> Result<(), Error> {
        check_count(self.count(), values.len())?;
        for (p, v) in self.slices_mut().flatten().zip(values) {
            *p = *v;
        }
        Ok(())
    }
}

/// `Ok` if a flat buffer of `given` values fits `needed` scalars exactly.
fn check_count(needed: usize, given: usize) -> Result<(), Error> {
    if needed == given {
        Ok(())
    } else {
        Err(Error::BufferLength {
            buffer: Buffer::Parameters,
            needed,
            given,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_copies_round_trip_and_check_the_length() {
        let mut p = ([1.0_f32, 2.0], [3.0_f32; 3]);
        assert_eq!(p.count(), 5);
        let mut out = [0.0; 5];
        assert_eq!(p.copy_to(&mut out), Ok(()));
        assert_eq!(out, [1.0, 2.0, 3.0, 3.0, 3.0]);
        assert_eq!(p.copy_from(&[5.0, 4.0, 3.0, 2.0, 1.0]), Ok(()));
        assert_eq!(p, ([5.0, 4.0], [3.0, 2.0, 1.0]));
        let short = Error::BufferLength {
            buffer: Buffer::Parameters,
            needed: 5,
            given: 4,
        };
        assert_eq!(p.copy_from(&[0.0; 4]), Err(short));
        assert_eq!(p.copy_to(&mut out[..4]), Err(short));
        assert_eq!(p, ([5.0, 4.0], [3.0, 2.0, 1.0]));
        assert_eq!(out, [1.0, 2.0, 3.0, 3.0, 3.0]);
    }
}
