//! Data sets computed rather than read: the XOR truth table, points of a
//! sine, and the badly-scaled regression of the normalisation experiment.

use std::f64::consts::PI;

use anyhow::Result;
use microprop::init::{seeded, standard_normal, unit_uniform};

use super::labeled::LabeledSet;
use super::table::Table;

/// The four rows of the XOR truth table: features `a, b`, label `a XOR b`.
///
/// # Errors
/// Never in practice (the rows have one width); the signature is
/// [`Table::generated`]'s.
pub fn xor_table() -> Result<Table> {
    let rows: Vec<(Vec<f32>, f64)> = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
        .iter()
        .map(|&(a, b): &(f32, f32)| (vec![a, b], f64::from((a != b) as u8)))
        .collect();
    Table::generated("xor truth table", "a, b", &rows)
}

/// `n` points of y = sin x with x evenly spaced on [−π, π].
///
/// # Errors
/// Never in practice (the rows have one width); the signature is
/// [`Table::generated`]'s.
pub fn sine_table(n: usize) -> Result<Table> {
    let rows: Vec<(Vec<f32>, f64)> = (0..n)
        .map(|i| {
            let x = -PI + 2.0 * PI * i as f64 / (n.max(2) - 1) as f64;
            (vec![x as f32], x.sin())
        })
        .collect();
    Table::generated("sine (generated)", "x", &rows)
}

/// The formula [`badly_scaled`] draws its rows from, in words.
pub const BADLY_SCALED_FORMULA: &str =
    "y = 0.002 x1 + x2 + 0.5 + noise(σ 0.05), x1 ~ U(0, 1000), x2 ~ U(0, 1)";

/// `rows` rows of a linear regression whose two features differ in scale
/// by a factor of ~1000, the lecture's case for feature scaling:
/// x1 ~ U(0, 1000), x2 ~ U(0, 1), y = 0.002·x1 + x2 + 0.5 + ε with
/// ε ~ N(0, 0.05²) ([`BADLY_SCALED_FORMULA`]).
///
/// Each row draws x1, x2 and then ε from one generator seeded with `seed`
/// ([`microprop::init::seeded`]), so a seed always gives the same rows, in
/// `f32` as the core computes them.
///
/// ```
/// let set = microprop_sim::data::generated::badly_scaled(200, 7);
/// assert_eq!(set.len(), 200);
/// assert!(set.features.iter().all(|x| (0.0..1000.0).contains(&x[0]) && (0.0..1.0).contains(&x[1])));
/// ```
pub fn badly_scaled(rows: usize, seed: u64) -> LabeledSet<2, [f32; 1]> {
    let mut rng = seeded(seed);
    let mut set = LabeledSet {
        features: Vec::with_capacity(rows),
        labels: Vec::with_capacity(rows),
    };
    for _ in 0..rows {
        let x1 = 1000.0 * unit_uniform(&mut rng);
        let x2 = unit_uniform(&mut rng);
        let noise = 0.05 * standard_normal(&mut rng);
        set.features.push([x1, x2]);
        set.labels.push([0.002 * x1 + x2 + 0.5 + noise]);
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_points_are_evenly_spaced_on_minus_pi_to_pi() {
        let sine = sine_table(5).unwrap();
        assert_eq!(
            sine.features,
            vec![
                -PI as f32,
                (-PI / 2.0) as f32,
                0.0,
                (PI / 2.0) as f32,
                PI as f32
            ]
        );
    }

    #[test]
    fn badly_scaled_rows_follow_the_formula() {
        let a = badly_scaled(500, 3);
        assert_eq!(a, badly_scaled(500, 3));
        assert_ne!(a, badly_scaled(500, 4));
        // The residual of the noiseless formula is the noise: mean ~0, σ ~0.05.
        let residuals: Vec<f64> = a
            .features
            .iter()
            .zip(&a.labels)
            .map(|(x, y)| f64::from(y[0]) - (0.002 * f64::from(x[0]) + f64::from(x[1]) + 0.5))
            .collect();
        let mean = residuals.iter().sum::<f64>() / residuals.len() as f64;
        let var =
            residuals.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / residuals.len() as f64;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var.sqrt() - 0.05).abs() < 0.01, "{}", var.sqrt());
    }
}
