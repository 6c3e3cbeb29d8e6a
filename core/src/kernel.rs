//! The dense layer's inner loops over slices with run-time lengths, tiled so
//! that accumulators live in registers, and (on x86) the hook through which
//! a std crate installs copies of them compiled for the CPU's vector units.
//!
//! Contract: every function takes flat row-major slices and derives the
//! shape from their lengths (a layer of `I` inputs and `O` units has `I·O`
//! weights, input-major: `w[i·O + o]`). A slice that is too short for the
//! shape shortens the work instead of panicking; the callers (the
//! const-generic layers and the run-time `dynamic` front end) check
//! the lengths first. The entry points the layers call are not generic over
//! the shape and are kept out of line, so a firmware holds one copy of each
//! loop whatever its layer widths are (one per tile width, below).
//!
//! Every sum keeps the order of the plain loop (inputs in index order, then
//! rows in batch order), so the tiles change the instruction count, never a
//! bit: each output `o` is `((b[o] + x[0]·w[0][o]) + x[1]·w[1][o]) + …`,
//! whatever the tile width. Rust never contracts `a * b + c` into a fused
//! multiply-add, so the Cortex-M4F's `VMLA.F32` (which rounds the product)
//! and x86's separate multiply and add give the same bits.
//!
//! Outputs are processed [`TILE`] at a time: one pass over the inputs keeps
//! `TILE` partial sums in floating-point registers (the M4F has 32) and reads
//! each weight once. Widths that are not a multiple of `TILE` finish with one
//! tile of each smaller power of two that the remainder needs (at most one
//! each).
//!
//! # Run-time dispatch (x86 only): the extension point
//!
//! `TILE` is chosen when `microprop` is compiled, from the target features
//! (`-C target-cpu`); a default x86-64 build is SSE2 only. The generic
//! `*_tiled` functions ([`affine_tiled`], [`affine_rows_tiled`],
//! [`weight_gradients_tiled`], [`AdamStep::update_rows`]) are the same loops
//! with the tile widths as const parameters, `#[inline(always)]`, so a crate
//! that instantiates them inside a `#[target_feature(enable = "avx2")]`
//! function gets them vectorised for AVX2. Such a crate (`microprop-host`
//! does it for AVX2 and AVX-512) fills a `Kernels` table with safe
//! wrappers and `install`s it once after checking the CPU; from then on
//! the layers and Adam call the table's functions instead of the built-in
//! ones. Tile widths change no bit, and `target_feature(enable = "avx2")`
//! does not enable FMA, so the results stay those of the SSE2 build. The
//! core itself detects nothing and holds no `unsafe` for this: the table is
//! a `once_cell::race::OnceRef`, and on Arm none of it exists.

use crate::buffer::{chunks, chunks_mut};
use crate::epsilon::Epsilon;

/// Whether a backward pass adds its gradient to the buffer or replaces the
/// buffer's contents with it.
///
/// [`Trainer`](crate::Trainer) overwrites the first time after a step or
/// [`Trainer::zero_grad`](crate::Trainer::zero_grad), so a training step
/// never spends a pass clearing the gradient buffer. Both modes sum each
/// entry in the same order; `Overwrite` equals `Accumulate` onto zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GradientMode {
    /// `grads += dL/dθ`.
    Accumulate,
    /// `grads = dL/dθ` (the old contents are ignored).
    Overwrite,
}

/// Outputs per tile: 8 accumulators + 8 weights + 1 input fit the M4F's 32
/// single-precision registers.
#[cfg(target_arch = "arm")]
pub const TILE: usize = 8;
/// Outputs per tile on other targets: 32 accumulators are 8 SSE registers,
/// and a 784-128 layer takes 4 passes over its inputs instead of 16. With
/// AVX2 (16 registers of 8) tiles of 64, with AVX-512 (32 of 16) of 128: one
/// pass over a 128-wide layer's weights. The tile width changes no bit.
#[cfg(all(not(target_arch = "arm"), not(target_feature = "avx2")))]
pub const TILE: usize = 32;
/// See the SSE `TILE` above.
#[cfg(all(
    not(target_arch = "arm"),
    target_feature = "avx2",
    not(target_feature = "avx512f")
))]
pub const TILE: usize = 64;
/// See the SSE `TILE` above.
#[cfg(all(not(target_arch = "arm"), target_feature = "avx512f"))]
pub const TILE: usize = 128;

/// Rows [`affine_rows_tiled`] takes at a time: each weight tile it loads
/// serves four rows, which quarters the weight traffic of a batch (a 784-128
/// layer is 401 KB, more than L1). Off Arm only: the M4F has no registers
/// for 4 x 8 partial sums beside the weights, and its benchmarks are batch 1.
pub const ROWS: usize = 4;

/// Outputs per tile of the four-row pass of [`affine_rows_tiled`] in the
/// built-in kernels: 4 rows x 16 outputs = 8 AVX or 16 SSE registers of
/// partial sums.
pub const ROW_TILE: usize = 16;

/// Calls `$f::<T>(args.., start)` (which answers `None` if a slice is too
/// short, and then the calling kernel returns) with `T` a const tile width
/// and `start` its first output, for tiles covering `0..$o`: full tiles of `$width` (a
/// power of two, at most 128), then one tile of each smaller power of two
/// the remainder needs. The loop count is a run-time value; each tile width
/// is compiled once.
macro_rules! for_each_tile {
    ($o:expr, $width:ident, $f:ident $(::<$($g:ident),+>)? ($($arg:expr),*)) => {{
        const { assert!($width.is_power_of_two() && $width <= 128) };
        let o: usize = $o;
        let mut start = 0;
        while o - start >= $width {
            if $f::<$($($g,)+)? $width>($($arg,)* start).is_none() {
                return;
            }
            start += $width;
        }
        for_each_tile!(@rest o, start, $width, 64, $f::<$($($g,)+)?>($($arg),*));
        for_each_tile!(@rest o, start, $width, 32, $f::<$($($g,)+)?>($($arg),*));
        for_each_tile!(@rest o, start, $width, 16, $f::<$($($g,)+)?>($($arg),*));
        for_each_tile!(@rest o, start, $width, 8, $f::<$($($g,)+)?>($($arg),*));
        for_each_tile!(@rest o, start, $width, 4, $f::<$($($g,)+)?>($($arg),*));
        for_each_tile!(@rest o, start, $width, 2, $f::<$($($g,)+)?>($($arg),*));
        if $width > 1 && o - start >= 1 && $f::<$($($g,)+)? 1>($($arg,)* start).is_none() {
            return;
        }
    }};
    (@rest $o:ident, $start:ident, $width:ident, $n:literal, $f:ident::<$($g:ident,)*>($($arg:expr),*)) => {
        if $width > $n && $o - $start >= $n {
            if $f::<$($g,)* $n>($($arg,)* $start).is_none() {
                return;
            }
            $start += $n;
        }
    };
}

/// The `T` values of `s` from `start`, if there are that many.
#[inline(always)]
fn tile<const T: usize>(s: &[f32], start: usize) -> Option<&[f32; T]> {
    s.get(start..).and_then(<[f32]>::first_chunk)
}

/// Mutable [`tile`].
#[inline(always)]
fn tile_mut<const T: usize>(s: &mut [f32], start: usize) -> Option<&mut [f32; T]> {
    s.get_mut(start..).and_then(<[f32]>::first_chunk_mut)
}

/// The kernels installed with [`install`], if any (x86 only).
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
static INSTALLED: once_cell::race::OnceRef<'static, Kernels> = once_cell::race::OnceRef::new();

/// Copies of the hot loops for one set of vector units, installed with
/// [`install`] (x86 only; `microprop-host` builds them for AVX2 and
/// AVX-512).
///
/// Every function must compute exactly what the generic kernel it replaces
/// computes, bit for bit: instantiate [`affine_tiled`],
/// [`affine_rows_tiled`], [`weight_gradients_tiled`] and
/// [`AdamStep::update_rows`] (any tile widths) inside functions compiled
/// with more target features, and enable no feature that changes float
/// results (`fma` is not needed for, and not used by, these loops: Rust
/// never contracts `a * b + c`).
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[derive(Debug, Clone, Copy)]
pub struct Kernels {
    /// What they are compiled for, e.g. `"avx2"` (for reports).
    pub name: &'static str,
    /// Replaces [`affine_tiled`].
    pub affine: AffineFn,
    /// Replaces [`affine_rows_tiled`].
    pub affine_rows: AffineRowsFn,
    /// Replaces [`weight_gradients_tiled`].
    pub weight_gradients: WeightGradientsFn,
    /// Replaces [`AdamStep::update_rows`].
    pub adam: AdamFn,
}

/// [`Kernels::affine`]: `(x, weights, bias, out)` as [`affine_tiled`].
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub type AffineFn = fn(&[f32], &[f32], &[f32], &mut [f32]);
/// [`Kernels::affine_rows`]: `(x, inputs, weights, bias, out)` as
/// [`affine_rows_tiled`].
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub type AffineRowsFn = fn(&[f32], usize, &[f32], &[f32], &mut [f32]);
/// [`Kernels::weight_gradients`]: `(x, dz, dw, db, mode)` as
/// [`weight_gradients_tiled`].
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub type WeightGradientsFn = fn(&[f32], &[f32], &mut [f32], &mut [f32], GradientMode);
/// [`Kernels::adam`]: `(step, a_r, w, m, v, d)` as
/// [`AdamStep::update_rows`] `(a_r, w, m, v, d)`.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub type AdamFn = fn(&AdamStep, f32, &mut [f32], &mut [f32], &mut [f32], &[f32]);

/// Makes every later kernel call (from any thread) use `kernels` instead of
/// the built-in loops. The first installation wins: returns `false` (and
/// changes nothing) if a table is already installed. x86 only.
///
/// The caller promises that `kernels` computes the same bits as the
/// built-in loops (see [`Kernels`]); the results of the whole library rest
/// on it.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub fn install(kernels: &'static Kernels) -> bool {
    INSTALLED.set(kernels).is_ok()
}

/// The installed [`Kernels`], or `None` while the built-in loops (tile
/// width [`TILE`]) run. x86 only.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[inline]
pub fn installed() -> Option<&'static Kernels> {
    INSTALLED.get()
}

/// [`affine_tiled`]: the installed kernel if any, else the built-in one
/// with [`TILE`].
#[inline(never)]
pub(crate) fn affine(x: &[f32], weights: &[f32], bias: &[f32], out: &mut [f32]) {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if let Some(k) = installed() {
        return (k.affine)(x, weights, bias, out);
    }
    affine_tiled::<TILE>(x, weights, bias, out);
}

/// `out = bias + x W` for one row: `out[o] = b[o] + Σ_i x[i]·w[i·O + o]`,
/// inputs in index order. `O = min(bias.len(), out.len())`, `I = x.len()`;
/// nothing is written unless `weights` holds `I·O` values. Tiles of `TILE`
/// outputs (a power of two, at most 128; checked at compile time), which
/// change no bit. Generic and always inlined: the extension point for
/// `Kernels` (x86); the layers call one built-in instance.
#[inline(always)]
pub fn affine_tiled<const TILE: usize>(x: &[f32], weights: &[f32], bias: &[f32], out: &mut [f32]) {
    let o = bias.len().min(out.len());
    let Some(weights) = weights.get(..x.len() * o) else {
        return;
    };
    if o == 0 {
        return;
    }
    for_each_tile!(o, TILE, affine_tile(x, weights, o, bias, out));
}

/// The outputs `start..start + T` of [`affine_tiled`].
#[inline(always)]
fn affine_tile<const T: usize>(
    x: &[f32],
    weights: &[f32],
    o: usize,
    bias: &[f32],
    out: &mut [f32],
    start: usize,
) -> Option<()> {
    let (Some(b), Some(out)) = (tile::<T>(bias, start), tile_mut::<T>(out, start)) else {
        return None;
    };
    let mut acc = *b;
    // Four input rows a pass: one length check per four rows (the row
    // slices of a block are cut from a block of known length), in the
    // order of the plain loop.
    let block = o.checked_mul(4)?;
    let (x4, x1) = x.as_chunks::<4>();
    let mut rest = weights;
    for xs in x4 {
        let (rows, tail) = rest.split_at_checked(block)?;
        rest = tail;
        let (r0, rows) = rows.split_at_checked(o)?;
        let (r1, rows) = rows.split_at_checked(o)?;
        let (r2, r3) = rows.split_at_checked(o)?;
        for (xi, row) in xs.iter().zip([r0, r1, r2, r3]) {
            let w = tile::<T>(row, start)?;
            for (a, w) in acc.iter_mut().zip(w) {
                *a += xi * w;
            }
        }
    }
    for (xi, row) in x1.iter().zip(chunks(rest, o)) {
        let w = tile::<T>(row, start)?;
        for (a, w) in acc.iter_mut().zip(w) {
            *a += xi * w;
        }
    }
    *out = acc;
    Some(())
}

/// [`affine_rows_tiled`]: the installed kernel if any, else the built-in
/// one with [`TILE`] and [`ROW_TILE`].
#[inline(never)]
pub(crate) fn affine_rows(
    x: &[f32],
    inputs: usize,
    weights: &[f32],
    bias: &[f32],
    out: &mut [f32],
) {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if let Some(k) = installed() {
        return (k.affine_rows)(x, inputs, weights, bias, out);
    }
    affine_rows_tiled::<TILE, ROW_TILE>(x, inputs, weights, bias, out);
}

/// [`affine_tiled`] for the rows of `x` (`rows·I` values, `I = inputs`,
/// `rows = min(x.len() / I, out.len() / O)`, `O = bias.len()`):
/// `out[r] = bias + x[r] W`, each output of each row summed in exactly the
/// order of [`affine_tiled`] (so the same bits). Tiles of `TILE` outputs
/// for single rows and of `ROW_TILE` outputs for the passes that share each
/// weight tile among [`ROWS`] rows (off Arm; on Arm the rows go one by
/// one); both powers of two, at most 128. Generic and always inlined: the
/// extension point for `Kernels` (x86).
#[inline(always)]
pub fn affine_rows_tiled<const TILE: usize, const ROW_TILE: usize>(
    x: &[f32],
    inputs: usize,
    weights: &[f32],
    bias: &[f32],
    out: &mut [f32],
) {
    let o = bias.len();
    if o == 0 || inputs == 0 {
        return;
    }
    let rows = (x.len() / inputs).min(out.len() / o);
    let (Some(x), Some(out)) = (x.get(..rows * inputs), out.get_mut(..rows * o)) else {
        return;
    };
    let mut done = 0;
    if cfg!(not(target_arch = "arm")) {
        let Some(weights) = weights.get(..inputs * o) else {
            return;
        };
        for (x, out) in chunks(x, ROWS * inputs).zip(chunks_mut(out, ROWS * o)) {
            let x: [&[f32]; ROWS] = core::array::from_fn(|r| x.get(r * inputs..).unwrap_or(&[]));
            for_each_tile!(o, ROW_TILE, four_rows_tile(&x, weights, bias, out));
            done += ROWS;
        }
    }
    let x = x.get(done * inputs..).unwrap_or(&[]);
    let out = out.get_mut(done * o..).unwrap_or(&mut []);
    for (x, out) in chunks(x, inputs).zip(chunks_mut(out, o)) {
        affine_tiled::<TILE>(x, weights, bias, out);
    }
}

/// The outputs `start..start + T` of [`ROWS`] rows of [`affine_rows_tiled`]
/// sharing each weight tile.
#[inline(always)]
fn four_rows_tile<const T: usize>(
    x: &[&[f32]; ROWS],
    weights: &[f32],
    bias: &[f32],
    out: &mut [f32],
    start: usize,
) -> Option<()> {
    let o = bias.len();
    let b = tile::<T>(bias, start)?;
    let mut acc = [*b; ROWS];
    for (i, row) in chunks(weights, o).enumerate() {
        let w = tile::<T>(row, start)?;
        for (acc, x) in acc.iter_mut().zip(x) {
            let xi = x.get(i).copied().unwrap_or(0.0);
            for (a, w) in acc.iter_mut().zip(w) {
                *a += xi * w;
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        if let Some(out) = tile_mut::<T>(out, r * o + start) {
            *out = *acc;
        }
    }
    Some(())
}

/// [`weight_gradients_tiled`]: the installed kernel if any, else the
/// built-in one with [`TILE`].
#[inline(never)]
pub(crate) fn weight_gradients(
    x: &[f32],
    dz: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    mode: GradientMode,
) {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if let Some(k) = installed() {
        return (k.weight_gradients)(x, dz, dw, db, mode);
    }
    weight_gradients_tiled::<TILE>(x, dz, dw, db, mode);
}

/// The weight and bias gradients of a batch:
/// `dw[i·O + o] (+)= Σ_r x[r][i]·dz[r][o]` and `db[o] (+)= Σ_r dz[r][o]`,
/// summed row by row in batch order (onto the buffer's value with
/// [`GradientMode::Accumulate`], which is what adding one row at a time
/// gives), each entry loaded and stored once per batch. `O = db.len()`,
/// `I = dw.len() / O`, rows = `dz.len() / O`; `x` holds `rows·I` values.
/// Tiles of `TILE` outputs (a power of two, at most 128), which change no
/// bit. Generic and always inlined: the extension point for `Kernels`
/// (x86).
#[inline(always)]
pub fn weight_gradients_tiled<const TILE: usize>(
    x: &[f32],
    dz: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    mode: GradientMode,
) {
    match mode {
        GradientMode::Accumulate => weight_gradients_onto::<TILE, true>(x, dz, dw, db),
        GradientMode::Overwrite => weight_gradients_onto::<TILE, false>(x, dz, dw, db),
    }
}

#[inline(always)]
fn weight_gradients_onto<const TILE: usize, const ADD: bool>(
    x: &[f32],
    dz: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
) {
    let o = db.len();
    if o == 0 {
        return;
    }
    let inputs = dw.len() / o;
    let rows = (dz.len() / o).min(x.len().checked_div(inputs).unwrap_or(0));
    if rows == 0 || inputs == 0 {
        return;
    }
    let (Some(x), Some(dz), Some(dw)) = (
        x.get(..rows * inputs),
        dz.get(..rows * o),
        dw.get_mut(..inputs * o),
    ) else {
        return;
    };
    let (Some((x_first, x_rest)), Some((dz_first, dz_rest))) =
        (x.split_at_checked(inputs), dz.split_at_checked(o))
    else {
        return;
    };
    for (i, (g_row, &x0)) in chunks_mut(dw, o).zip(x_first).enumerate() {
        let input = (i, inputs, x0);
        for_each_tile!(
            o,
            TILE,
            weight_tile::<ADD>(input, x_rest, dz_first, dz_rest, g_row)
        );
    }
    for_each_tile!(o, TILE, bias_tile::<ADD>(dz_first, dz_rest, db));
}

/// Outputs `start..start + T` of input `i`'s weight-gradient row (`g_row`)
/// in [`weight_gradients_onto`]; `input` = (i, inputs, the first row's
/// `x[i]`).
#[inline(always)]
fn weight_tile<const ADD: bool, const T: usize>(
    (i, inputs, x0): (usize, usize, f32),
    x_rest: &[f32],
    dz_first: &[f32],
    dz_rest: &[f32],
    g_row: &mut [f32],
    start: usize,
) -> Option<()> {
    let o = dz_first.len();
    let (Some(d), Some(g)) = (tile::<T>(dz_first, start), tile_mut::<T>(g_row, start)) else {
        return None;
    };
    let mut acc = [0.0; T];
    if ADD {
        acc = *g;
        for (a, d) in acc.iter_mut().zip(d) {
            *a += x0 * d;
        }
    } else {
        for (a, d) in acc.iter_mut().zip(d) {
            *a = x0 * d;
        }
    }
    for (x_row, dz_row) in chunks(x_rest, inputs).zip(chunks(dz_rest, o)) {
        let xi = x_row.get(i).copied().unwrap_or(0.0);
        let d = tile::<T>(dz_row, start)?;
        for (a, d) in acc.iter_mut().zip(d) {
            *a += xi * d;
        }
    }
    *g = acc;
    Some(())
}

/// Outputs `start..start + T` of the bias gradient in
/// [`weight_gradients_onto`].
#[inline(always)]
fn bias_tile<const ADD: bool, const T: usize>(
    dz_first: &[f32],
    dz_rest: &[f32],
    db: &mut [f32],
    start: usize,
) -> Option<()> {
    let o = dz_first.len();
    let (Some(d), Some(b)) = (tile::<T>(dz_first, start), tile_mut::<T>(db, start)) else {
        return None;
    };
    let mut acc = *d;
    if ADD {
        for (a, o) in acc.iter_mut().zip(b.iter()) {
            *a += o;
        }
    }
    for dz_row in chunks(dz_rest, o) {
        let d = tile::<T>(dz_row, start)?;
        for (a, d) in acc.iter_mut().zip(d) {
            *a += d;
        }
    }
    *b = acc;
    Some(())
}

/// The bias gradient alone, `db[o] (+)= Σ_r dz[r][o]` with `O = db.len()`
/// and rows = `dz.len() / O` (a layer of which only the biases train):
/// the first row, plus the buffer's old value with
/// [`GradientMode::Accumulate`], then the other rows in batch order, which
/// are the operations and the order of [`weight_gradients`]' `db`, so the
/// same bits.
#[inline(never)]
pub(crate) fn bias_gradients(dz: &[f32], db: &mut [f32], mode: GradientMode) {
    let mut rows = chunks(dz, db.len());
    let Some(first) = rows.next() else {
        return;
    };
    for (b, d) in db.iter_mut().zip(first) {
        *b = match mode {
            GradientMode::Accumulate => d + *b,
            GradientMode::Overwrite => *d,
        };
    }
    for row in rows {
        for (b, d) in db.iter_mut().zip(row) {
            *b += d;
        }
    }
}

/// `delta = W dz` for one row: `delta[i] = Σ_o w[i·O + o]·dz[o]`, summed
/// from 0 in unit order (the gradient with respect to the layer's input).
/// `O = dz.len()`, `I = delta.len()`. A serial sum per input: vector units
/// would have to reorder it, so there is no tiled or dispatched copy.
#[inline(never)]
pub(crate) fn input_gradient(weights: &[f32], dz: &[f32], delta: &mut [f32]) {
    let o = dz.len();
    if o == 0 {
        delta.fill(0.0);
        return;
    }
    for (d, w_row) in delta.iter_mut().zip(chunks(weights, o)) {
        *d = w_row.iter().zip(dz).fold(0.0, |acc, (w, g)| acc + w * g);
    }
}

/// The constants of one Adam step, built by [`crate::Adam`] (fields
/// private), and its per-parameter rule: what `Kernels::adam` (x86) applies.
///
/// For each parameter, `g = a_r·d[o]` (times the gradient scale unless it
/// is 1), then with weight decay `w' = w·shrink`, `g' = g + l2·w`, and
/// m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g², and
/// w ← w − step·m / (√v / √c2 + eps) (or the lecture's form with epsilon
/// inside the root): exactly [`crate::Adam`]'s arithmetic, which calls the
/// same rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamStep {
    pub(crate) beta1: f32,
    pub(crate) beta2: f32,
    pub(crate) eps: f32,
    pub(crate) epsilon: Epsilon,
    pub(crate) lr: f32,
    pub(crate) step_size: f32,
    pub(crate) correction1: f32,
    pub(crate) correction2: f32,
    pub(crate) sqrt_correction2: f32,
    pub(crate) l2: f32,
    pub(crate) shrink: f32,
    pub(crate) scale: f32,
}

impl AdamStep {
    /// `(w', m', v')` from `(w, g, m, v)` without weight decay (`g` scaled
    /// already).
    #[inline(always)]
    pub(crate) fn rule(&self, w: f32, g: f32, m: f32, v: f32) -> (f32, f32, f32) {
        let m = self.beta1 * m + (1.0 - self.beta1) * g;
        let v = self.beta2 * v + (1.0 - self.beta2) * g * g;
        let denominator = match self.epsilon {
            Epsilon::Outside => crate::math::sqrt(v) / self.sqrt_correction2 + self.eps,
            Epsilon::Inside => crate::math::sqrt(v / self.correction2 + self.eps),
        };
        let update = match self.epsilon {
            Epsilon::Outside => self.step_size * m / denominator,
            Epsilon::Inside => self.lr * (m / self.correction1) / denominator,
        };
        (w - update, m, v)
    }

    /// Whether the step has weight decay (L2 or decoupled); without it
    /// `g + 0·w = g` and `w·1 = w` for every finite `w`, and the rule skips
    /// both operations.
    #[inline(always)]
    pub(crate) fn decays(&self) -> bool {
        !(self.l2 == 0.0 && self.shrink == 1.0)
    }

    /// Applies the step to one row of an outer-product gradient slice:
    /// parameters `w`, moments `m` and `v`, gradient `a_r·d[o]` (the
    /// optimizers' outer-product view of a gradient), element by element
    /// over the shortest of the four slices. Generic over nothing but always inlined: instantiated
    /// in a function with more target features it is vectorised for them
    /// (the extension point for `Kernels::adam`, x86).
    #[inline(always)]
    pub fn update_rows(&self, a_r: f32, w: &mut [f32], m: &mut [f32], v: &mut [f32], d: &[f32]) {
        match (self.decays(), self.scale == 1.0, self.epsilon) {
            (false, true, Epsilon::Outside) => self.row::<false, false, true>(a_r, w, m, v, d),
            (false, false, Epsilon::Outside) => self.row::<false, true, true>(a_r, w, m, v, d),
            (false, true, Epsilon::Inside) => self.row::<false, false, false>(a_r, w, m, v, d),
            (false, false, Epsilon::Inside) => self.row::<false, true, false>(a_r, w, m, v, d),
            (true, true, Epsilon::Outside) => self.row::<true, false, true>(a_r, w, m, v, d),
            (true, false, Epsilon::Outside) => self.row::<true, true, true>(a_r, w, m, v, d),
            (true, true, Epsilon::Inside) => self.row::<true, false, false>(a_r, w, m, v, d),
            (true, false, Epsilon::Inside) => self.row::<true, true, false>(a_r, w, m, v, d),
        }
    }

    /// [`AdamStep::update_rows`] with the branches of the rule fixed.
    #[inline(always)]
    fn row<const DECAY: bool, const SCALED: bool, const OUTSIDE: bool>(
        &self,
        a_r: f32,
        w: &mut [f32],
        m: &mut [f32],
        v: &mut [f32],
        d: &[f32],
    ) {
        let step = AdamStep {
            epsilon: if OUTSIDE {
                Epsilon::Outside
            } else {
                Epsilon::Inside
            },
            ..*self
        };
        for ((w, (m, v)), &dv) in w.iter_mut().zip(m.iter_mut().zip(v.iter_mut())).zip(d) {
            let mut g = a_r * dv;
            if SCALED {
                g *= step.scale;
            }
            let (new, first, second) = if DECAY {
                step.rule(*w * step.shrink, g + step.l2 * *w, *m, *v)
            } else {
                step.rule(*w, g, *m, *v)
            };
            (*w, *m, *v) = (new, first, second);
        }
    }
}

/// [`AdamStep::update_rows`] through the installed kernel if any (x86),
/// else inline. x86 only: on Arm, Adam keeps its closure over
/// [`AdamStep::rule`].
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn adam_rows(
    step: &AdamStep,
    a_r: f32,
    w: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    d: &[f32],
) {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if let Some(k) = installed() {
        return (k.adam)(step, a_r, w, m, v, d);
    }
    step.update_rows(a_r, w, m, v, d);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain loops the kernels replace, for bit-for-bit comparison.
    fn affine_reference<const I: usize, const O: usize>(
        x: &[f32; I],
        w: &[[f32; O]; I],
        b: &[f32; O],
    ) -> [f32; O] {
        let mut out = *b;
        for (xi, row) in x.iter().zip(w) {
            for (o, wv) in out.iter_mut().zip(row) {
                *o += xi * wv;
            }
        }
        out
    }

    fn values<const N: usize>(seed: u32) -> [f32; N] {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        core::array::from_fn(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            // Mixed magnitudes so that rounding differs with the order.
            (s as f32 / u32::MAX as f32 - 0.5) * if s & 1 == 0 { 1e3 } else { 1e-2 }
        })
    }

    fn check_affine<const I: usize, const O: usize>() {
        let x = values::<I>(1);
        let w: [[f32; O]; I] = core::array::from_fn(|i| values::<O>(i as u32 + 7));
        let b = values::<O>(3);
        let mut out = [f32::NAN; O];
        affine(&x, w.as_flattened(), &b, &mut out);
        let want = affine_reference(&x, &w, &b);
        assert_eq!(out.map(f32::to_bits), want.map(f32::to_bits), "{I}x{O}");
    }

    #[test]
    fn affine_equals_the_plain_loop_bit_for_bit_for_every_tile_remainder() {
        check_affine::<3, 1>();
        check_affine::<5, 2>();
        check_affine::<4, 3>();
        check_affine::<2, 7>();
        check_affine::<9, 8>();
        check_affine::<16, 15>();
        check_affine::<64, 32>();
        check_affine::<32, 10>();
        check_affine::<7, 23>();
        check_affine::<3, 127>();
        check_affine::<2, 255>();
    }

    #[test]
    fn short_weights_write_nothing() {
        let mut out = [7.0; 3];
        affine(&[1.0, 2.0], &[1.0; 5], &[0.0; 3], &mut out);
        assert_eq!(out, [7.0; 3]);
    }

    fn check_affine_rows<const I: usize, const O: usize>() {
        let x: [[f32; I]; 7] = core::array::from_fn(|r| values::<I>(r as u32 + 31));
        let w: [[f32; O]; I] = core::array::from_fn(|i| values::<O>(i as u32 + 37));
        let b = values::<O>(41);
        for rows in 1..=7 {
            let mut out = [[f32::NAN; O]; 7];
            affine_rows(
                x[..rows].as_flattened(),
                I,
                w.as_flattened(),
                &b,
                out[..rows].as_flattened_mut(),
            );
            for (x, out) in x.iter().zip(&out).take(rows) {
                let want = affine_reference(x, &w, &b);
                assert_eq!(
                    out.map(f32::to_bits),
                    want.map(f32::to_bits),
                    "{I}x{O}, {rows} rows"
                );
            }
        }
    }

    #[test]
    fn affine_rows_equals_the_plain_loop_bit_for_bit() {
        check_affine_rows::<3, 1>();
        check_affine_rows::<9, 23>();
        check_affine_rows::<16, 16>();
        check_affine_rows::<64, 32>();
        check_affine_rows::<5, 47>();
    }

    fn check_gradients<const I: usize, const O: usize>(rows: usize) {
        let x: [[f32; I]; 11] = core::array::from_fn(|r| values::<I>(r as u32 + 11));
        let dz: [[f32; O]; 11] = core::array::from_fn(|r| values::<O>(r as u32 + 17));
        let start_w: [[f32; O]; I] = core::array::from_fn(|i| values::<O>(i as u32 + 23));
        let start_b = values::<O>(29);
        let run = |w: &mut [[f32; O]; I], b: &mut [f32; O], mode| {
            weight_gradients(
                x[..rows].as_flattened(),
                dz[..rows].as_flattened(),
                w.as_flattened_mut(),
                b,
                mode,
            );
        };
        let (mut dw, mut db) = (start_w, start_b);
        run(&mut dw, &mut db, GradientMode::Accumulate);
        // Overwriting garbage equals accumulating onto zeros.
        let (mut over_w, mut over_b) = (start_w, start_b);
        run(&mut over_w, &mut over_b, GradientMode::Overwrite);
        let (mut zero_w, mut zero_b) = ([[0.0; O]; I], [0.0; O]);
        run(&mut zero_w, &mut zero_b, GradientMode::Accumulate);
        let (mut want_w, mut want_b) = (start_w, start_b);
        for (x_row, dz_row) in x.iter().zip(&dz).take(rows) {
            for (xi, g_row) in x_row.iter().zip(want_w.iter_mut()) {
                for (g, d) in g_row.iter_mut().zip(dz_row) {
                    *g += xi * d;
                }
            }
            for (g, d) in want_b.iter_mut().zip(dz_row) {
                *g += d;
            }
        }
        let bits = |w: &[[f32; O]; I]| w.map(|r| r.map(f32::to_bits));
        assert_eq!(bits(&dw), bits(&want_w), "{I}x{O}, {rows} rows");
        assert_eq!(db.map(f32::to_bits), want_b.map(f32::to_bits));
        // Equal up to the sign of zero (0 + -0 is +0).
        assert_eq!(over_w, zero_w);
        assert_eq!(over_b, zero_b);
    }

    #[test]
    fn weight_gradients_equal_row_by_row_accumulation_bit_for_bit() {
        for rows in 1..=11 {
            check_gradients::<3, 1>(rows);
            check_gradients::<2, 7>(rows);
            check_gradients::<5, 10>(rows);
            check_gradients::<4, 17>(rows);
            check_gradients::<3, 45>(rows);
        }
    }

    #[test]
    fn input_gradient_sums_units_in_order() {
        let w: [[f32; 5]; 3] = core::array::from_fn(|i| values::<5>(i as u32 + 3));
        let dz = values::<5>(9);
        let mut delta = [f32::NAN; 3];
        input_gradient(w.as_flattened(), &dz, &mut delta);
        for (d, row) in delta.iter().zip(&w) {
            let want = row.iter().zip(&dz).fold(0.0, |a, (w, g)| a + w * g);
            assert_eq!(d.to_bits(), want.to_bits());
        }
    }
}
