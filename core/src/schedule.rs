//! Learning-rate schedules: pure functions of the step count.
//!
//! `t` is the number of optimizer steps already taken (0 for the first step),
//! i.e. [`Trainer::steps`](crate::Trainer::steps). Because a schedule keeps no
//! state, a run resumed from a checkpoint at step t continues the schedule
//! exactly.

use crate::math;

/// A learning rate for every step.
///
/// Implemented by [`LrSchedule`], [`Warmup`], a constant `f32`,
/// [`FnSchedule`] (any closure of the step, so a custom schedule can carry
/// parameters), references to a schedule (`&S`, `&mut S`, `&dyn Schedule`)
/// and, with the `alloc` feature, `Box<S>` (`Box<dyn Schedule>`). Implement
/// it for your own type for a custom schedule that must be a `const` (a
/// firmware's configuration in flash).
///
/// ```
/// use microprop::{FnSchedule, LrSchedule, Schedule, Warmup};
/// // A step decay with its parameters captured by the closure.
/// let (initial, drop, every) = (0.1f32, 0.5f32, 10u32);
/// let step_decay = FnSchedule(move |t: u32| initial * drop.powi((t / every) as i32));
/// assert_eq!(step_decay.learning_rate(25), 0.025);
/// // Chosen at run time, behind a reference to a trait object.
/// let cosine = LrSchedule::Cosine { initial: 0.1, last: 0.0, period: 100 };
/// let chosen: &dyn Schedule = if true { &step_decay } else { &cosine };
/// assert_eq!(Warmup::from_zero(5, chosen).learning_rate(5), 0.1);
/// ```
pub trait Schedule {
    /// The learning rate of step `t` (0-based).
    fn learning_rate(&self, t: u32) -> f32;
}

impl<S: Schedule + ?Sized> Schedule for &S {
    fn learning_rate(&self, t: u32) -> f32 {
        (**self).learning_rate(t)
    }
}

impl<S: Schedule + ?Sized> Schedule for &mut S {
    fn learning_rate(&self, t: u32) -> f32 {
        (**self).learning_rate(t)
    }
}

/// With the `alloc` feature: a boxed schedule, e.g. `Box<dyn Schedule>`
/// chosen at run time.
#[cfg(feature = "alloc")]
impl<S: Schedule + ?Sized> Schedule for alloc::boxed::Box<S> {
    fn learning_rate(&self, t: u32) -> f32 {
        (**self).learning_rate(t)
    }
}

/// Any function or closure of the step as a [`Schedule`]: η(t) = f(t).
/// Unlike [`LrSchedule::Custom`]'s plain `fn`, a closure can capture its
/// parameters.
///
/// ```
/// use microprop::{FnSchedule, Schedule};
/// let peak = 0.4f32;
/// let triangle = FnSchedule(move |t: u32| peak * (1.0 - (t as f32 / 50.0 - 1.0).abs()));
/// assert_eq!(triangle.learning_rate(50), 0.4);
/// assert_eq!(triangle.learning_rate(100), 0.0);
/// ```
#[derive(Clone, Copy)]
pub struct FnSchedule<F>(pub F);

impl<F: Fn(u32) -> f32> Schedule for FnSchedule<F> {
    fn learning_rate(&self, t: u32) -> f32 {
        (self.0)(t)
    }
}

impl<F> core::fmt::Debug for FnSchedule<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("FnSchedule(..)")
    }
}

/// The lecture's schedules.
///
/// ```
/// use microprop::{LrSchedule, Schedule};
/// let cosine = LrSchedule::Cosine { initial: 0.1, last: 0.001, period: 100 };
/// assert_eq!(cosine.learning_rate(0), 0.1);
/// assert!((cosine.learning_rate(50) - 0.0505).abs() < 1e-6);
/// assert_eq!(cosine.learning_rate(100), 0.001);
/// assert_eq!(cosine.learning_rate(1000), 0.001);
/// ```
#[derive(Debug, Clone, Copy)]
pub enum LrSchedule {
    /// η(t) = η.
    Constant(f32),
    /// η(t+1) = η(t)·α every `every` steps, not below `min`:
    /// η(t) = max(η0 · α^⌊t/every⌋, min).
    Factor {
        /// η0.
        initial: f32,
        /// α in (0, 1).
        factor: f32,
        /// Steps between reductions (1 = every step).
        every: u32,
        /// Floor.
        min: f32,
    },
    /// η(t) = η0 · α^t.
    Exponential {
        /// η0.
        initial: f32,
        /// α in (0, 1).
        decay: f32,
    },
    /// η(t) = η0 / (1 + α t)^β.
    Polynomial {
        /// η0.
        initial: f32,
        /// α > 0.
        alpha: f32,
        /// β in (0, 1).
        power: f32,
    },
    /// η(t) = η_T + (η0 − η_T)/2 · (1 + cos(π t / T)) for t ≤ T, η_T after.
    Cosine {
        /// η0.
        initial: f32,
        /// η_T.
        last: f32,
        /// T, in steps.
        period: u32,
    },
    /// Any function of the step. A plain `fn` keeps the enum `Copy` and
    /// usable in a `const`; for a closure that captures parameters, use
    /// [`FnSchedule`].
    Custom(fn(u32) -> f32),
}

impl Schedule for LrSchedule {
    fn learning_rate(&self, t: u32) -> f32 {
        match *self {
            LrSchedule::Constant(lr) => lr,
            LrSchedule::Factor {
                initial,
                factor,
                every,
                min,
            } => (initial * math::pow(factor, (t / every.max(1)) as f32)).max(min),
            LrSchedule::Exponential { initial, decay } => initial * math::pow(decay, t as f32),
            LrSchedule::Polynomial {
                initial,
                alpha,
                power,
            } => initial / math::pow(1.0 + alpha * t as f32, power),
            LrSchedule::Cosine {
                initial,
                last,
                period,
            } => {
                if t >= period {
                    last
                } else {
                    // cos(π t / T) as t / 2T turns: f32 arithmetic only.
                    let turns = 0.5 * t as f32 / period as f32;
                    last + (initial - last) * 0.5 * (1.0 + math::cos_turns(turns))
                }
            }
            LrSchedule::Custom(f) => f(t),
        }
    }
}

impl Schedule for f32 {
    fn learning_rate(&self, _t: u32) -> f32 {
        *self
    }
}

/// Where a [`Warmup`]'s linear ramp starts. With k = [`Warmup::steps`] and
/// η₀ = the inner schedule's first rate:
///
/// ```
/// use microprop::{LrSchedule, Schedule, Warmup, WarmupStart};
/// let inner = LrSchedule::Constant(1.0);
/// let zero = Warmup { steps: 4, inner, start: WarmupStart::Zero };
/// let linear_lr = Warmup { steps: 4, inner, start: WarmupStart::LinearLr };
/// let rates = |s: &Warmup<LrSchedule>| (0..6).map(|t| s.learning_rate(t)).collect::<Vec<_>>();
/// assert_eq!(rates(&zero), [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]);
/// assert_eq!(rates(&linear_lr), [0.2, 0.4, 0.6, 0.8, 1.0, 1.0]);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WarmupStart {
    /// From 0, the lecture's "raise the rate from 0": η(t) = η₀ · t / k for
    /// t < k. The first step has rate 0 (it moves no weight, but counts as a
    /// step: Adam's moments and the step counter advance).
    #[default]
    Zero,
    /// From η₀ / (k + 1): η(t) = η₀ · (t + 1) / (k + 1) for t < k, so no step
    /// has rate 0. PyTorch's `LinearLR(start_factor=1/(k+1), total_iters=k)`
    /// chained before the inner schedule (`SequentialLR`).
    LinearLr,
}

/// Linear warmup wrapped around any schedule: for the first `steps` steps
/// the rate rises linearly towards `inner`'s first rate η₀, from 0 or from
/// η₀ / (steps + 1) as [`start`](Warmup::start) says; after that `inner`
/// runs from its own step 0, η(t) = inner(t − steps).
///
/// ```
/// use microprop::{LrSchedule, Schedule, Warmup};
/// let s = Warmup::from_zero(4, LrSchedule::Constant(0.8));
/// let rates: Vec<f32> = (0..6).map(|t| s.learning_rate(t)).collect();
/// assert_eq!(rates, [0.0, 0.2, 0.4, 0.6, 0.8, 0.8]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Warmup<S> {
    /// Length of the warmup, in steps (k). With 0, `inner` alone.
    pub steps: u32,
    /// The schedule that follows.
    pub inner: S,
    /// Where the ramp starts.
    pub start: WarmupStart,
}

impl<S> Warmup<S> {
    /// A warmup from rate 0 ([`WarmupStart::Zero`]). Usable in `const`.
    pub const fn from_zero(steps: u32, inner: S) -> Self {
        Warmup {
            steps,
            inner,
            start: WarmupStart::Zero,
        }
    }

    /// PyTorch's warmup, from η₀ / (steps + 1) ([`WarmupStart::LinearLr`]).
    /// Usable in `const`.
    pub const fn linear_lr(steps: u32, inner: S) -> Self {
        Warmup {
            steps,
            inner,
            start: WarmupStart::LinearLr,
        }
    }
}

impl<S: Schedule> Schedule for Warmup<S> {
    fn learning_rate(&self, t: u32) -> f32 {
        if t < self.steps {
            let first = self.inner.learning_rate(0);
            match self.start {
                WarmupStart::Zero => first * t as f32 / self.steps as f32,
                WarmupStart::LinearLr => first * (t + 1) as f32 / (self.steps + 1) as f32,
            }
        } else {
            self.inner.learning_rate(t - self.steps)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_schedule_follows_its_formula() {
        let f = LrSchedule::Factor {
            initial: 1.0,
            factor: 0.5,
            every: 2,
            min: 0.1,
        };
        let rates: [f32; 9] = core::array::from_fn(|t| f.learning_rate(t as u32));
        assert_eq!(rates, [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.1]);
        let e = LrSchedule::Exponential {
            initial: 2.0,
            decay: 0.5,
        };
        assert_eq!(e.learning_rate(3), 0.25);
        let p = LrSchedule::Polynomial {
            initial: 1.0,
            alpha: 1.0,
            power: 0.5,
        };
        assert_eq!(p.learning_rate(3), 0.5);
        fn halving(t: u32) -> f32 {
            1.0 / (1 << t) as f32
        }
        assert_eq!(LrSchedule::Custom(halving).learning_rate(2), 0.25);
    }

    #[test]
    fn warmup_wraps_cosine_and_resumes_it() {
        let s = Warmup::linear_lr(
            4,
            LrSchedule::Cosine {
                initial: 1.0,
                last: 0.0,
                period: 10,
            },
        );
        assert_eq!(s.learning_rate(0), 0.2);
        assert_eq!(s.learning_rate(4), 1.0);
        assert!(s.learning_rate(9) > 0.49 && s.learning_rate(9) < 0.51);
        assert_eq!(s.learning_rate(14), 0.0);
    }

    #[test]
    fn warmup_from_zero_starts_at_zero_and_reaches_the_inner_rate_at_step_k() {
        let inner = LrSchedule::Exponential {
            initial: 0.5,
            decay: 0.9,
        };
        for k in [1u32, 3, 10, 30] {
            let s = Warmup::from_zero(k, inner);
            assert_eq!(s.learning_rate(0), 0.0, "k = {k}");
            assert_eq!(s.learning_rate(k), inner.learning_rate(0), "k = {k}");
            assert_eq!(s.learning_rate(k + 2), inner.learning_rate(2), "k = {k}");
            for t in 1..k {
                let (before, now) = (s.learning_rate(t - 1), s.learning_rate(t));
                assert!(before < now && now < 0.5, "k = {k}, t = {t}: {now}");
                assert_eq!(now, 0.5 * t as f32 / k as f32);
            }
        }
    }

    #[test]
    fn linear_lr_warmup_is_pytorchs_form() {
        let s = Warmup::linear_lr(3, LrSchedule::Constant(0.4));
        let rates: [f32; 5] = core::array::from_fn(|t| s.learning_rate(t as u32));
        assert_eq!(rates, [0.1, 0.2, 0.3, 0.4, 0.4]);
        // No warmup: the inner schedule alone, in either form.
        for start in [WarmupStart::Zero, WarmupStart::LinearLr] {
            let none = Warmup {
                steps: 0,
                inner: LrSchedule::Constant(0.4),
                start,
            };
            assert_eq!(none.learning_rate(0), 0.4);
        }
    }

    #[test]
    fn closures_references_and_trait_objects_are_schedules() {
        let factor = 0.5f32;
        let closure = FnSchedule(move |t: u32| factor * t as f32);
        assert_eq!(closure.learning_rate(3), 1.5);
        let by_ref: &dyn Schedule = &closure;
        assert_eq!(Warmup::from_zero(0, by_ref).learning_rate(4), 2.0);
        fn owned<S: Schedule>(s: S, t: u32) -> f32 {
            s.learning_rate(t)
        }
        let mut constant = LrSchedule::Constant(0.25);
        let by_mut: &mut dyn Schedule = &mut constant;
        assert_eq!(owned(by_mut, 9), 0.25);
        let table: [&dyn Schedule; 3] = [&closure, &constant, &0.125f32];
        let rates: [f32; 3] = core::array::from_fn(|i| table[i].learning_rate(2));
        assert_eq!(rates, [1.0, 0.25, 0.125]);
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn a_boxed_trait_object_is_a_schedule() {
        use alloc::boxed::Box;
        let chosen: Box<dyn Schedule> = Box::new(Warmup::from_zero(
            2,
            FnSchedule(|t: u32| 1.0 / (t + 1) as f32),
        ));
        let warm = Warmup::linear_lr(0, chosen);
        assert_eq!(warm.learning_rate(1), 0.5);
        assert_eq!(warm.learning_rate(3), 0.5);
    }
}
