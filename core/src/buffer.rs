//! Compile-time-sized buffers: constructible in `const` context, viewable as
//! slices of `f32`.

/// A value with an all-zero constant, usable in `const` and `static` items.
///
/// Every buffer type of the core implements it, so whole trainers can be
/// built with `const fn` and placed in a `static`.
pub trait Zeroed: Sized {
    /// The all-zero value.
    const ZERO: Self;
}

impl Zeroed for f32 {
    const ZERO: Self = 0.0;
}

impl Zeroed for usize {
    const ZERO: Self = 0;
}

impl Zeroed for u8 {
    const ZERO: Self = 0;
}

impl Zeroed for i8 {
    const ZERO: Self = 0;
}

impl Zeroed for () {
    const ZERO: Self = ();
}

impl<T: Zeroed + Copy, const N: usize> Zeroed for [T; N] {
    const ZERO: Self = [T::ZERO; N];
}

impl<A: Zeroed, B: Zeroed> Zeroed for (A, B) {
    const ZERO: Self = (A::ZERO, B::ZERO);
}

mod sealed {
    pub trait Sealed {}
    impl<const N: usize> Sealed for [f32; N] {}
}

/// One row of a batch: `[f32; N]`. Layers name their input and output widths
/// through this trait, which is what lets adjacent layer sizes be compared at
/// compile time on stable Rust.
pub trait Row: sealed::Sealed + Copy + Zeroed + PartialEq + core::fmt::Debug + 'static {
    /// Number of features in the row.
    const WIDTH: usize;
    /// Every feature 1.
    const ONES: Self;
    /// The row as a slice.
    fn as_slice(&self) -> &[f32];
    /// The row as a mutable slice.
    fn as_mut_slice(&mut self) -> &mut [f32];
}

impl<const N: usize> Row for [f32; N] {
    const WIDTH: usize = N;
    const ONES: Self = [1.0; N];
    #[inline]
    fn as_slice(&self) -> &[f32] {
        self
    }
    #[inline]
    fn as_mut_slice(&mut self) -> &mut [f32] {
        self
    }
}

/// Rows held from one phase of a training step to the next: `[R; B]`, or
/// `()` when nothing needs holding (see
/// [`Activation::LossGradient`](crate::Activation::LossGradient)).
pub trait HeldRows<R>: Zeroed {
    /// The rows, or `None` for `()`.
    fn rows_mut(&mut self) -> Option<&mut [R]>;
}

impl<R> HeldRows<R> for () {
    #[inline]
    fn rows_mut(&mut self) -> Option<&mut [R]> {
        None
    }
}

impl<R: Row, const B: usize> HeldRows<R> for [R; B] {
    #[inline]
    fn rows_mut(&mut self) -> Option<&mut [R]> {
        Some(self)
    }
}

/// The first `n` elements of `s` (all of `s` if it is shorter), without a
/// panic path.
#[inline]
pub(crate) fn prefix<T>(s: &[T], n: usize) -> &[T] {
    s.get(..n).unwrap_or(s)
}

/// Mutable [`prefix`].
#[inline]
pub(crate) fn prefix_mut<T>(s: &mut [T], n: usize) -> &mut [T] {
    let len = s.len();
    s.get_mut(..n.min(len)).unwrap_or(&mut [])
}

/// `true` if every element is finite.
#[inline]
pub(crate) fn all_finite(s: &[f32]) -> bool {
    s.iter().all(|v| v.is_finite())
}

/// Consecutive chunks of `n` elements of `s`, a shorter tail dropped; none
/// if `n` is 0. `chunks_exact` without its panic on `n == 0` (at opt-level
/// "z" that panic path survives in an out-of-line copy even when `n` is
/// never 0), for sizes known only at run time.
#[inline]
pub(crate) fn chunks<T>(s: &[T], n: usize) -> impl Iterator<Item = &[T]> {
    let mut rest = s;
    core::iter::from_fn(move || {
        if n == 0 {
            return None;
        }
        let (head, tail) = rest.split_at_checked(n)?;
        rest = tail;
        Some(head)
    })
}

/// Mutable [`chunks`].
#[inline]
pub(crate) fn chunks_mut<T>(s: &mut [T], n: usize) -> impl Iterator<Item = &mut [T]> {
    let mut rest = Some(s);
    core::iter::from_fn(move || {
        if n == 0 {
            return None;
        }
        let all = rest.take()?;
        match all.split_at_mut_checked(n) {
            Some((head, tail)) => {
                rest = Some(tail);
                Some(head)
            }
            None => None,
        }
    })
}
