//! Run-time CPU dispatch for `microprop` on x86 hosts.
//!
//! `microprop` is `no_std` and chooses its kernels' tile width when it is
//! compiled, so a default x86-64 build (no `-C target-cpu`) runs SSE2
//! code. [`init`] asks the CPU (`is_x86_feature_detected!`) for AVX-512F or
//! AVX2 and installs ([`microprop::kernel::install`]) copies of the hot
//! loops compiled for them: the dense forward pass of one row and of a
//! batch, the weight gradients, and Adam's per-parameter update. Each copy
//! is `microprop`'s own generic kernel instantiated inside a
//! `#[target_feature(enable = "avx2")]` (or `"avx512f"`) function, so the
//! arithmetic is the same operations in the same order and the results are
//! the same bits as the SSE2 build's (Rust never contracts `a * b + c`
//! into a fused multiply-add, whatever features are enabled); only the
//! register width and the tile widths differ. The crate's tests compare
//! every kernel and a short MNIST Adam run bit for bit.
//!
//! ```
//! let level = microprop_host::init();
//! println!("microprop kernels: {}", microprop_host::active());
//! # let _ = level;
//! ```
//!
//! The environment variable `MICROPROP_KERNELS` (`baseline`, `avx2`,
//! `avx512`) caps what [`init`] installs, for comparisons and benchmarks.
//! On other architectures everything here is a no-op.

use std::fmt;

/// The vector units a set of kernels is compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `microprop`'s built-in kernels (what it was compiled for: SSE2 in a
    /// default x86-64 build).
    Baseline,
    /// AVX2 (256-bit registers): tiles of 64 outputs.
    Avx2,
    /// AVX-512F (512-bit registers): tiles of 128 outputs.
    Avx512,
}

impl Level {
    /// `"baseline"`, `"avx2"` or `"avx512"`: the names `MICROPROP_KERNELS`
    /// takes.
    pub const fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }

    /// The level named `name` (as [`Level::name`] gives it).
    pub fn from_name(name: &str) -> Option<Level> {
        [Level::Baseline, Level::Avx2, Level::Avx512]
            .into_iter()
            .find(|l| l.name() == name)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The best level this CPU runs and this crate has kernels for.
pub fn detect() -> Level {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Level::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return Level::Avx2;
        }
    }
    Level::Baseline
}

/// The kernels of `level`, if this CPU runs them (`None` for
/// [`Level::Baseline`], which is what runs when nothing is installed, and
/// on other architectures).
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub fn kernels(level: Level) -> Option<&'static microprop::kernel::Kernels> {
    match level {
        Level::Baseline => None,
        Level::Avx2 => std::arch::is_x86_feature_detected!("avx2").then_some(&avx2::KERNELS),
        Level::Avx512 => std::arch::is_x86_feature_detected!("avx512f").then_some(&avx512::KERNELS),
    }
}

/// Installs the best kernels this CPU runs (at most the level named by the
/// environment variable `MICROPROP_KERNELS`, if set) and returns the level
/// that runs from now on. Call it once at the start of a program, before
/// any training; later calls (or a second installer) change nothing and
/// return the level already installed.
pub fn init() -> Level {
    let cap = std::env::var("MICROPROP_KERNELS")
        .ok()
        .and_then(|name| Level::from_name(name.trim()));
    init_at_most(cap.unwrap_or(Level::Avx512))
}

/// As [`init`], with the cap given instead of read from the environment.
pub fn init_at_most(cap: Level) -> Level {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        let level = detect().min(cap);
        if let Some(k) = kernels(level) {
            microprop::kernel::install(k);
        }
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    let _ = cap;
    installed()
}

/// The level whose kernels run now.
pub fn installed() -> Level {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if let Some(k) = microprop::kernel::installed() {
        return Level::from_name(k.name).unwrap_or(Level::Baseline);
    }
    Level::Baseline
}

/// What runs now, for logs and benchmark reports: e.g. `"avx512 (run-time
/// dispatch)"` or `"built-in, tile 32"`.
pub fn active() -> String {
    match installed() {
        Level::Baseline => format!("built-in, tile {}", microprop::kernel::TILE),
        level => format!("{level} (run-time dispatch)"),
    }
}

/// [`init`], then [`active`]: one call for a program's start that also
/// says what runs.
pub fn active_after_init() -> String {
    init();
    active()
}

/// Writes one module of kernels compiled with `target_feature(enable =
/// $feature)`: a `#[target_feature]` function per kernel that instantiates
/// microprop's generic loop with the given tile widths, a safe wrapper
/// that calls it, and the `KERNELS` table of the wrappers.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
macro_rules! kernels_for {
    ($module:ident, $feature:literal, $level:expr, $tile:literal, $row_tile:literal) => {
        mod $module {
            use microprop::kernel::GradientMode;
            use microprop::kernel::{self, AdamStep, Kernels};

            /// The table `kernels` hands out only after checking the CPU.
            pub(super) static KERNELS: Kernels = Kernels {
                name: $level.name(),
                affine,
                affine_rows,
                weight_gradients,
                adam,
            };

            // The wrappers below are reachable only through `KERNELS`
            // (private to the crate), and `kernels()` returns `KERNELS`
            // only when `is_x86_feature_detected!` found the feature;
            // `install` puts nothing else into microprop's table.

            #[target_feature(enable = $feature)]
            fn affine_simd(x: &[f32], w: &[f32], b: &[f32], out: &mut [f32]) {
                kernel::affine_tiled::<$tile>(x, w, b, out);
            }

            fn affine(x: &[f32], w: &[f32], b: &[f32], out: &mut [f32]) {
                // SAFETY: the CPU has the feature (see above).
                unsafe { affine_simd(x, w, b, out) }
            }

            #[target_feature(enable = $feature)]
            fn affine_rows_simd(x: &[f32], i: usize, w: &[f32], b: &[f32], out: &mut [f32]) {
                kernel::affine_rows_tiled::<$tile, $row_tile>(x, i, w, b, out);
            }

            fn affine_rows(x: &[f32], i: usize, w: &[f32], b: &[f32], out: &mut [f32]) {
                // SAFETY: the CPU has the feature (see above).
                unsafe { affine_rows_simd(x, i, w, b, out) }
            }

            #[target_feature(enable = $feature)]
            fn weight_gradients_simd(
                x: &[f32],
                dz: &[f32],
                dw: &mut [f32],
                db: &mut [f32],
                mode: GradientMode,
            ) {
                kernel::weight_gradients_tiled::<$tile>(x, dz, dw, db, mode);
            }

            fn weight_gradients(
                x: &[f32],
                dz: &[f32],
                dw: &mut [f32],
                db: &mut [f32],
                mode: GradientMode,
            ) {
                // SAFETY: the CPU has the feature (see above).
                unsafe { weight_gradients_simd(x, dz, dw, db, mode) }
            }

            #[target_feature(enable = $feature)]
            fn adam_simd(
                step: &AdamStep,
                a_r: f32,
                w: &mut [f32],
                m: &mut [f32],
                v: &mut [f32],
                d: &[f32],
            ) {
                step.update_rows(a_r, w, m, v, d);
            }

            fn adam(
                step: &AdamStep,
                a_r: f32,
                w: &mut [f32],
                m: &mut [f32],
                v: &mut [f32],
                d: &[f32],
            ) {
                // SAFETY: the CPU has the feature (see above).
                unsafe { adam_simd(step, a_r, w, m, v, d) }
            }
        }
    };
}

// AVX2: 16 registers of 8; 64 partial sums for one row, 4 rows x 16 in the
// batch pass (8 registers, the rest for weights and inputs).
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
kernels_for!(avx2, "avx2", super::Level::Avx2, 64, 16);
// AVX-512: 32 registers of 16; 128 partial sums for one row (one pass over
// a 128-wide layer's weights), 4 rows x 64 in the batch pass.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
kernels_for!(avx512, "avx512f", super::Level::Avx512, 128, 64);
