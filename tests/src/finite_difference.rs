//! Numerical gradients of a [`RefNet`]'s mean batch loss by central
//! differences in f64: the gradient that microprop's backpropagation is
//! checked against.
//!
//! Each parameter w is moved by h = [`H_REL`] · max(1, |w|) both ways; the
//! truncation error is ~h² · |L'''| ≈ 1e-12 and the rounding error
//! ~1e-16 / h ≈ 1e-10, so the result is exact to ~1e-9 wherever no input
//! comes near a kink (see [`RefNet::forward`]'s margin).

use crate::reference::{RefLoss, RefNet, RefTarget, batch_loss};

/// Relative step of the central difference: h = H_REL · max(1, |w|).
pub const H_REL: f64 = 1e-6;

/// Central-difference gradient of the mean loss of `net` with parameters
/// `params` over the rows `x` with targets `y`.
pub fn numerical_gradient(
    net: &RefNet,
    loss: RefLoss,
    params: &[f64],
    x: &[Vec<f64>],
    y: &[RefTarget],
) -> Vec<f64> {
    let mut p = params.to_vec();
    (0..p.len())
        .map(|n| {
            let w = p[n];
            let h = H_REL * w.abs().max(1.0);
            p[n] = w + h;
            let (plus, _) = batch_loss(net, loss, &p, x, y);
            p[n] = w - h;
            let (minus, _) = batch_loss(net, loss, &p, x, y);
            p[n] = w;
            (plus - minus) / (2.0 * h)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::{Act, dense};

    /// The difference quotient on a gradient worked out by hand.
    #[test]
    fn numerical_gradient_sanity() {
        // Numerical gradient of the 1-parameter MSE L = (w x - y)², x = 2,
        // y = 1, w = 1.5: dL/dw = 2 (w x - y) x = 8 (and dL/db = 4).
        let lin = [dense(1, 1, Act::Identity)];
        let g = numerical_gradient(
            &RefNet { layers: &lin },
            RefLoss::MeanSquared,
            &[1.5, 0.0],
            &[vec![2.0]],
            &[RefTarget::Values(vec![1.0])],
        );
        assert!(
            (g[0] - 8.0).abs() < 1e-8 && (g[1] - 4.0).abs() < 1e-8,
            "{g:?}"
        );
    }
}
