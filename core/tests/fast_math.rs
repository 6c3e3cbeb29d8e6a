//! The error of the `fast-math` approximations against `libm`, over a dense
//! sweep of the inputs the networks see, checked against the bounds
//! documented in `microprop::math` (and reported in docs/FAST_MATH.md): fails
//! if the approximation, or the micromath version behind it, changes for the
//! worse.
//!
//! `cargo test -p microprop --features fast-math --test fast_math -- --nocapture`
//! prints the measured maxima.
#![cfg(feature = "fast-math")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use microprop::math::{
    self, FAST_EXP_MAX_REL_ERROR, FAST_SIGMOID_MAX_ABS_ERROR, FAST_TANH_MAX_ABS_ERROR,
};

/// Steps of 2^-12 (exact in f32) from `lo` to `hi`, plus ±2^-k (1 + j/16)
/// down to 2^-40, so the region around 0 is swept too.
fn sweep(lo: f32, hi: f32) -> impl Iterator<Item = f32> {
    const STEPS: f32 = 4096.0;
    let grid = ((lo * STEPS) as i32..=(hi * STEPS) as i32).map(|i| i as f32 / STEPS);
    let small = (0..=40).flat_map(|k| {
        (0..16).flat_map(move |j| {
            let x = libm::ldexpf(1.0 + j as f32 / 16.0, -k);
            [x, -x]
        })
    });
    grid.chain(small.filter(move |x| (lo..=hi).contains(x)))
}

#[derive(Debug, Default)]
struct MaxError {
    abs: f32,
    abs_at: f32,
    rel: f32,
    rel_at: f32,
    points: usize,
}

impl MaxError {
    fn of(xs: impl Iterator<Item = f32>, fast: fn(f32) -> f32, exact: fn(f32) -> f32) -> Self {
        let mut m = Self::default();
        for x in xs {
            let (got, want) = (fast(x), exact(x));
            assert!(got.is_finite(), "f({x}) = {got}, exact {want}");
            // The difference in f64: exact for two f32s of these magnitudes.
            let abs = (f64::from(got) - f64::from(want)).abs();
            let rel = if want == 0.0 {
                0.0
            } else {
                abs / f64::from(want).abs()
            };
            if abs as f32 > m.abs {
                (m.abs, m.abs_at) = (abs as f32, x);
            }
            if rel as f32 > m.rel {
                (m.rel, m.rel_at) = (rel as f32, x);
            }
            m.points += 1;
        }
        m
    }

    fn print(&self, what: &str) {
        println!(
            "{what:>24}: max abs error {:.3e} (x = {}), max rel error {:.3e} (x = {}), {} points",
            self.abs, self.abs_at, self.rel, self.rel_at, self.points
        );
    }
}

/// The exact logistic function, as `math::sigmoid` computes it by default.
fn exact_sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + libm::expf(-x))
    } else {
        let e = libm::expf(x);
        e / (1.0 + e)
    }
}

#[test]
fn the_feature_is_on() {
    const { assert!(math::FAST_MATH) };
}

#[test]
fn exp_is_within_its_documented_relative_error() {
    let all = MaxError::of(sweep(-20.0, 20.0), math::exp, libm::expf);
    all.print("exp on [-20, 20]");
    // The core only ever calls exp with x <= 0 (softmax after subtracting the
    // maximum, sigmoid, softplus and tanh of -|x|).
    let used = MaxError::of(sweep(-20.0, 0.0), math::exp, libm::expf);
    used.print("exp on [-20, 0]");
    // The whole normal range.
    let wide = MaxError::of(
        (-87 * 64..=88 * 64).map(|i| i as f32 / 64.0),
        math::exp,
        libm::expf,
    );
    wide.print("exp on [-87, 88]");
    assert!(all.rel <= FAST_EXP_MAX_REL_ERROR, "{all:?}");
    assert!(wide.rel <= FAST_EXP_MAX_REL_ERROR, "{wide:?}");
    assert!(used.abs <= FAST_EXP_MAX_REL_ERROR, "{used:?}");
    // And it is the approximation (libm would be within 1.2e-7).
    assert!(all.rel > 1e-3, "{all:?}");
    // For x > 0 micromath's series runs on [0, ln 2): 4x more accurate.
    let positive = MaxError::of(sweep(0.0, 20.0), math::exp, libm::expf);
    positive.print("exp on [0, 20]");
    assert!(positive.rel <= 8e-4, "{positive:?}");
}

#[test]
fn tanh_is_within_its_documented_absolute_error() {
    let m = MaxError::of(sweep(-10.0, 10.0), math::tanh, libm::tanhf);
    m.print("tanh on [-10, 10]");
    assert!(m.abs <= FAST_TANH_MAX_ABS_ERROR, "{m:?}");
    assert!(m.abs > 1e-4, "{m:?}");
    // Relative too (the polynomial keeps it small around 0): measured 1.0e-3.
    assert!(m.rel <= 1.1e-3, "{m:?}");
}

#[test]
fn sigmoid_is_within_its_documented_absolute_error() {
    let m = MaxError::of(sweep(-10.0, 10.0), math::sigmoid, exact_sigmoid);
    m.print("sigmoid on [-10, 10]");
    assert!(m.abs <= FAST_SIGMOID_MAX_ABS_ERROR, "{m:?}");
    assert!(m.abs > 1e-4, "{m:?}");
    assert!(m.rel <= FAST_EXP_MAX_REL_ERROR, "{m:?}");
}

#[test]
fn the_ends_of_the_range_are_exact() {
    assert!(math::exp(f32::NAN).is_nan());
    assert!(math::tanh(f32::NAN).is_nan());
    assert!(math::sigmoid(f32::NAN).is_nan());
    assert_eq!(math::exp(0.0), 1.0);
    assert_eq!(math::exp(89.0), f32::INFINITY);
    assert_eq!(math::exp(1000.0), f32::INFINITY);
    assert_eq!(math::exp(f32::INFINITY), f32::INFINITY);
    assert_eq!(math::exp(-88.0), 0.0);
    assert_eq!(math::exp(f32::NEG_INFINITY), 0.0);
    for x in [20.0, 1000.0, f32::INFINITY] {
        assert_eq!(math::tanh(x), 1.0);
        assert_eq!(math::tanh(-x), -1.0);
    }
    assert_eq!(math::tanh(0.0), 0.0);
    assert_eq!(math::tanh(1e-30), 1e-30);
    assert_eq!(math::sigmoid(0.0), 0.5);
    assert_eq!(math::sigmoid(1000.0), 1.0);
    assert_eq!(math::sigmoid(-1000.0), 0.0);
}

#[test]
fn tanh_and_sigmoid_are_bounded_and_monotone_tanh_is_odd() {
    for x in sweep(-10.0, 10.0) {
        let t = math::tanh(x);
        assert_eq!(math::tanh(-x), -t, "odd at {x}");
        assert!((-1.0..=1.0).contains(&t), "tanh({x}) = {t}");
        assert!((0.0..=1.0).contains(&math::sigmoid(x)), "sigmoid({x})");
    }
    let grid = (-10 * 4096..=10 * 4096).map(|i| i as f32 / 4096.0);
    let (mut last_t, mut last_s) = (-1.0, 0.0);
    for x in grid {
        let (t, s) = (math::tanh(x), math::sigmoid(x));
        assert!(t >= last_t, "tanh not monotone at {x}: {t} < {last_t}");
        assert!(s >= last_s, "sigmoid not monotone at {x}: {s} < {last_s}");
        (last_t, last_s) = (t, s);
    }
}
