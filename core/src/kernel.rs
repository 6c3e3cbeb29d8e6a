//! The dense layer's inner loops, tiled so that accumulators live in
//! registers.
//!
//! Every sum keeps the order of the plain loop it replaces (inputs in index
//! order, then rows in batch order), so the tiles change the instruction
//! count, never a bit: each output `o` is still
//! `((b[o] + x[0]·w[0][o]) + x[1]·w[1][o]) + …`, whatever the tile width.
//! Rust never contracts `a * b + c` into a fused multiply-add, so the
//! Cortex-M4F's `VMLA.F32` (which rounds the product) and x86's separate
//! multiply and add give the same bits.
//!
//! Outputs are processed [`TILE`] at a time: one pass over the inputs keeps
//! `TILE` partial sums in floating-point registers (the M4F has 32) and reads
//! each weight once, so a multiply-accumulate costs a `VMLA` plus a share of
//! one multiple-register load (`VLDM`), instead of a load, a multiply, an add
//! and a store of the running output. Widths that are not a multiple of
//! `TILE` finish with tiles of 4, 2 and 1 (chosen at compile time).

use crate::layer::GradientMode;

/// Outputs per tile: 8 accumulators + 8 weights + 1 input fit the M4F's 32
/// single-precision registers.
#[cfg(target_arch = "arm")]
pub(crate) const TILE: usize = 8;
/// Outputs per tile on other targets: 32 accumulators are 8 SSE registers,
/// and a 784-128 layer takes 4 passes over its inputs instead of 16
/// (measured with criterion on x86-64: inference 784-128-10 at 8 outputs a
/// tile ran at half the speed of an untiled loop). With AVX2 (16 registers
/// of 8) tiles of 64, with AVX-512 (32 of 16) of 128: one pass over a
/// 128-wide layer's weights, row after row. The tile width changes no bit:
/// each output's sum keeps its order.
#[cfg(all(not(target_arch = "arm"), not(target_feature = "avx2")))]
pub(crate) const TILE: usize = 32;
/// See the SSE `TILE` above.
#[cfg(all(
    not(target_arch = "arm"),
    target_feature = "avx2",
    not(target_feature = "avx512f")
))]
pub(crate) const TILE: usize = 64;
/// See the SSE `TILE` above.
#[cfg(all(not(target_arch = "arm"), target_feature = "avx512f"))]
pub(crate) const TILE: usize = 128;

/// Calls `f::<T>(start)` for tiles covering `0..O`: full [`TILE`]s, then
/// 16 (on a 32-wide target), 8, 4, 2 and 1 for the remainder. The branches depend on `O` only, so they
/// fold away at compile time.
macro_rules! for_each_tile {
    ($o:expr, |$start:ident, $t:ident| $body:expr) => {
        for_each_tile!($o, TILE, |$start, $t| $body)
    };
    ($o:expr, $width:expr, |$start:ident, $t:ident| $body:expr) => {{
        const WIDTH: usize = $width;
        let full = $o / WIDTH * WIDTH;
        let mut $start = 0;
        while $start < full {
            {
                const $t: usize = WIDTH;
                $body;
            }
            $start += WIDTH;
        }
        let rest = $o - full;
        if WIDTH > 64 && rest & 64 != 0 {
            {
                const $t: usize = 64;
                $body;
            }
            $start += 64;
        }
        if WIDTH > 32 && rest & 32 != 0 {
            {
                const $t: usize = 32;
                $body;
            }
            $start += 32;
        }
        if WIDTH > 16 && rest & 16 != 0 {
            {
                const $t: usize = 16;
                $body;
            }
            $start += 16;
        }
        if WIDTH > 8 && rest & 8 != 0 {
            {
                const $t: usize = 8;
                $body;
            }
            $start += 8;
        }
        if rest & 4 != 0 {
            {
                const $t: usize = 4;
                $body;
            }
            $start += 4;
        }
        if rest & 2 != 0 {
            {
                const $t: usize = 2;
                $body;
            }
            $start += 2;
        }
        if rest & 1 != 0 {
            const $t: usize = 1;
            $body;
        }
    }};
}

/// `T` consecutive values from `start` (a no-op copy the optimiser turns
/// into register loads; the bounds are known at compile time).
#[inline(always)]
fn load<const T: usize>(s: &[f32], start: usize) -> [f32; T] {
    let mut out = [0.0; T];
    if let Some(chunk) = s.get(start..start + T) {
        out.copy_from_slice(chunk);
    }
    out
}

#[inline(always)]
fn store<const T: usize>(s: &mut [f32], start: usize, values: &[f32; T]) {
    if let Some(chunk) = s.get_mut(start..start + T) {
        chunk.copy_from_slice(values);
    }
}

/// `out = bias + x W`: `out[o] = b[o] + Σ_i x[i]·w[i][o]`, inputs in index
/// order.
#[inline]
pub(crate) fn affine<const I: usize, const O: usize>(
    x: &[f32; I],
    weights: &[[f32; O]; I],
    bias: &[f32; O],
    out: &mut [f32; O],
) {
    for_each_tile!(O, |start, T| {
        let mut acc = load::<T>(bias, start);
        for (xi, row) in x.iter().zip(weights) {
            let w = load::<T>(row, start);
            for (a, w) in acc.iter_mut().zip(&w) {
                *a += xi * w;
            }
        }
        store(out, start, &acc);
    });
}

/// Rows [`affine_rows`] takes at a time: each weight tile it loads serves
/// four rows, which quarters the weight traffic of a batch (a 784-128 layer
/// is 401 KB, more than L1). Off Arm only: the M4F has no registers for 4 x
/// 8 partial sums beside the weights, and its benchmarks are batch 1.
pub(crate) const ROWS: usize = 4;

/// Outputs per tile in [`affine_rows`]: 4 rows x 16 outputs = 8 AVX or 16
/// SSE registers of partial sums.
const ROW_TILE: usize = 16;

/// [`affine`] for several rows: `out[r] = bias + x[r] W`, each output of
/// each row summed in exactly the order of [`affine`] (so the same bits),
/// [`ROWS`] rows per pass over a weight tile, the rest one by one.
#[inline]
pub(crate) fn affine_rows<const I: usize, const O: usize>(
    x: &[[f32; I]],
    weights: &[[f32; O]; I],
    bias: &[f32; O],
    out: &mut [[f32; O]],
) {
    let (x4, x1) = x.as_chunks::<ROWS>();
    let (out4, out1) = out.as_chunks_mut::<ROWS>();
    for (x, out) in x4.iter().zip(out4.iter_mut()) {
        for_each_tile!(O, ROW_TILE, |start, T| {
            let b = load::<T>(bias, start);
            let mut acc = [b; ROWS];
            for (i, row) in weights.iter().enumerate() {
                let w = load::<T>(row, start);
                for (acc, x) in acc.iter_mut().zip(x) {
                    let xi = x.get(i).copied().unwrap_or(0.0);
                    for (a, w) in acc.iter_mut().zip(&w) {
                        *a += xi * w;
                    }
                }
            }
            for (acc, out) in acc.iter().zip(out.iter_mut()) {
                store(out, start, acc);
            }
        });
    }
    for (x, out) in x1.iter().zip(out1.iter_mut()) {
        affine(x, weights, bias, out);
    }
}

/// The weight and bias gradients of a batch:
/// `dw[i][o] (+)= Σ_r x[r][i]·dz[r][o]` and `db[o] (+)= Σ_r dz[r][o]`,
/// summed row by row in batch order (onto the buffer's value with
/// [`GradientMode::Accumulate`], which is what adding one row at a time
/// gives), each entry loaded and stored once per batch.
#[inline]
pub(crate) fn weight_gradients<const I: usize, const O: usize>(
    x: &[[f32; I]],
    dz: &[[f32; O]],
    dw: &mut [[f32; O]; I],
    db: &mut [f32; O],
    mode: GradientMode,
) {
    match mode {
        GradientMode::Accumulate => weight_gradients_onto::<I, O, true>(x, dz, dw, db),
        GradientMode::Overwrite => weight_gradients_onto::<I, O, false>(x, dz, dw, db),
    }
}

#[inline(always)]
fn weight_gradients_onto<const I: usize, const O: usize, const ADD: bool>(
    x: &[[f32; I]],
    dz: &[[f32; O]],
    dw: &mut [[f32; O]; I],
    db: &mut [f32; O],
) {
    let Some(((x_first, x_rest), (dz_first, dz_rest))) = x.split_first().zip(dz.split_first())
    else {
        return;
    };
    for (i, g_row) in dw.iter_mut().enumerate() {
        let x0 = x_first.get(i).copied().unwrap_or(0.0);
        for_each_tile!(O, |start, T| {
            let d = load::<T>(dz_first, start);
            let mut acc = [0.0; T];
            if ADD {
                acc = load::<T>(g_row, start);
                for (a, d) in acc.iter_mut().zip(&d) {
                    *a += x0 * d;
                }
            } else {
                for (a, d) in acc.iter_mut().zip(&d) {
                    *a = x0 * d;
                }
            }
            for (x_row, dz_row) in x_rest.iter().zip(dz_rest) {
                let xi = x_row.get(i).copied().unwrap_or(0.0);
                let d = load::<T>(dz_row, start);
                for (a, d) in acc.iter_mut().zip(&d) {
                    *a += xi * d;
                }
            }
            store(g_row, start, &acc);
        });
    }
    for_each_tile!(O, |start, T| {
        let mut acc = load::<T>(dz_first, start);
        if ADD {
            let old = load::<T>(db, start);
            for (a, o) in acc.iter_mut().zip(&old) {
                *a += o;
            }
        }
        for dz_row in dz_rest {
            let d = load::<T>(dz_row, start);
            for (a, d) in acc.iter_mut().zip(&d) {
                *a += d;
            }
        }
        store(db, start, &acc);
    });
}

/// `delta = W dz` for one row: `delta[i] = Σ_o w[i][o]·dz[o]`, summed from
/// 0 in unit order (the gradient with respect to the layer's input).
#[inline]
pub(crate) fn input_gradient<const I: usize, const O: usize>(
    weights: &[[f32; O]; I],
    dz: &[f32; O],
    delta: &mut [f32; I],
) {
    for (d, w_row) in delta.iter_mut().zip(weights) {
        *d = w_row.iter().zip(dz).fold(0.0, |acc, (w, g)| acc + w * g);
    }
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
        affine(&x, &w, &b, &mut out);
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
    }

    fn check_affine_rows<const I: usize, const O: usize>() {
        let x: [[f32; I]; 7] = core::array::from_fn(|r| values::<I>(r as u32 + 31));
        let w: [[f32; O]; I] = core::array::from_fn(|i| values::<O>(i as u32 + 37));
        let b = values::<O>(41);
        for rows in 1..=7 {
            let mut out = [[f32::NAN; O]; 7];
            affine_rows(&x[..rows], &w, &b, &mut out[..rows]);
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
        let x: [[f32; I]; 3] = core::array::from_fn(|r| values::<I>(r as u32 + 11));
        let dz: [[f32; O]; 3] = core::array::from_fn(|r| values::<O>(r as u32 + 17));
        let start_w: [[f32; O]; I] = core::array::from_fn(|i| values::<O>(i as u32 + 23));
        let start_b = values::<O>(29);
        let (mut dw, mut db) = (start_w, start_b);
        weight_gradients(
            &x[..rows],
            &dz[..rows],
            &mut dw,
            &mut db,
            GradientMode::Accumulate,
        );
        // Overwriting garbage equals accumulating onto zeros.
        let (mut over_w, mut over_b) = (start_w, start_b);
        weight_gradients(
            &x[..rows],
            &dz[..rows],
            &mut over_w,
            &mut over_b,
            GradientMode::Overwrite,
        );
        let (mut zero_w, mut zero_b) = ([[0.0; O]; I], [0.0; O]);
        weight_gradients(
            &x[..rows],
            &dz[..rows],
            &mut zero_w,
            &mut zero_b,
            GradientMode::Accumulate,
        );
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
        for rows in 1..=3 {
            check_gradients::<3, 1>(rows);
            check_gradients::<2, 7>(rows);
            check_gradients::<5, 10>(rows);
            check_gradients::<4, 17>(rows);
        }
    }
}
