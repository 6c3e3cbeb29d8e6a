//! Every dispatched kernel against microprop's built-in one, bit for bit, on
//! the shapes of `core/src/kernel.rs`'s tests (tile remainders of every
//! power of two) and on the 784-128-10 layers. Levels the CPU lacks are
//! skipped with a note.

#![cfg(any(target_arch = "x86", target_arch = "x86_64"))]

use microprop::kernel::GradientMode;
use microprop::kernel::{self, Kernels, ROW_TILE, TILE};
use microprop_host::{Level, kernels};

/// Mixed magnitudes, so that any change of summation order shows.
fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32 - 0.5) * if s & 1 == 0 { 1e3 } else { 1e-2 }
        })
        .collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

const SHAPES: [(usize, usize); 16] = [
    (3, 1),
    (5, 2),
    (4, 3),
    (2, 7),
    (9, 8),
    (16, 15),
    (64, 32),
    (32, 10),
    (7, 23),
    (3, 127),
    (2, 255),
    (5, 47),
    (3, 45),
    (4, 17),
    (784, 128),
    (128, 10),
];

fn check(k: &Kernels) {
    for (i, o) in SHAPES {
        let w = values(i * o, 7 + i as u32);
        let b = values(o, 3);
        for rows in [1, 2, 3, 4, 5, 7, 8, 32] {
            let x = values(rows * i, 31 + rows as u32);
            if rows == 1 {
                let (mut want, mut got) = (vec![f32::NAN; o], vec![f32::NAN; o]);
                kernel::affine_tiled::<TILE>(&x, &w, &b, &mut want);
                (k.affine)(&x, &w, &b, &mut got);
                assert_eq!(bits(&got), bits(&want), "{}: affine {i}x{o}", k.name);
            }
            let (mut want, mut got) = (vec![f32::NAN; rows * o], vec![f32::NAN; rows * o]);
            kernel::affine_rows_tiled::<TILE, ROW_TILE>(&x, i, &w, &b, &mut want);
            (k.affine_rows)(&x, i, &w, &b, &mut got);
            assert_eq!(
                bits(&got),
                bits(&want),
                "{}: affine_rows {i}x{o}, {rows} rows",
                k.name
            );
            let dz = values(rows * o, 17 + rows as u32);
            for mode in [GradientMode::Accumulate, GradientMode::Overwrite] {
                let (mut want_w, mut want_b) = (values(i * o, 23), values(o, 29));
                let (mut got_w, mut got_b) = (want_w.clone(), want_b.clone());
                kernel::weight_gradients_tiled::<TILE>(&x, &dz, &mut want_w, &mut want_b, mode);
                (k.weight_gradients)(&x, &dz, &mut got_w, &mut got_b, mode);
                let what = format!(
                    "{}: weight_gradients {i}x{o}, {rows} rows, {mode:?}",
                    k.name
                );
                assert_eq!(bits(&got_w), bits(&want_w), "{what}");
                assert_eq!(bits(&got_b), bits(&want_b), "{what}");
            }
        }
    }
}

#[test]
fn dispatched_kernels_equal_the_built_in_ones_bit_for_bit() {
    let mut checked = 0;
    for level in [Level::Avx2, Level::Avx512] {
        match kernels(level) {
            Some(k) => {
                check(k);
                checked += 1;
            }
            None => println!("note: this CPU has no {level}; its kernels are not checked"),
        }
    }
    println!("checked {checked} dispatched kernel set(s) against the built-in tile {TILE}");
}
