//! An independent f64 reference of a network's forward pass and losses:
//! plain `Vec<f64>` loops with their own activations, maxout and losses,
//! written from the definitions. Nothing is taken from microprop but the
//! parameter order (see [`crate::params`]), so a mistake in microprop cannot
//! be copied into the reference.
//!
//! A [`RefNet`] reads one flat parameter vector, layer after layer, each
//! layer its weights then its biases. [`RefNet::forward`] also reports how
//! close any input came to a kink (a ReLU-family pre-activation near 0, two
//! maxout pieces nearly tied), where a finite difference or f32-vs-f64
//! rounding could cross from one side to the other.
//!
//! [`AsRefLoss`] and [`AsRefTarget`] connect microprop's loss and target
//! types to the reference's; they take nothing from microprop but which loss
//! is meant.

use microprop::{ActivationKind, MeanSquaredError, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy};

/// Reference activations (f64, written from their definitions).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Act {
    /// a(z) = z.
    Identity,
    /// a(z) = 1 / (1 + e^-z).
    Sigmoid,
    /// a(z) = tanh z.
    Tanh,
    /// a(z) = max(z, 0).
    Relu,
    /// a(z) = z for z > 0, else slope · z.
    LeakyRelu(f64),
    /// a(z) = z for z > 0, else alpha · (e^z - 1).
    Elu(f64),
    /// a(z)_j = e^z_j / Σ_k e^z_k, over the whole row.
    Softmax,
}

impl Act {
    /// microprop's name for this activation.
    pub fn kind(self) -> ActivationKind {
        match self {
            Act::Identity => ActivationKind::Identity,
            Act::Sigmoid => ActivationKind::Sigmoid,
            Act::Tanh => ActivationKind::Tanh,
            Act::Relu => ActivationKind::Relu,
            Act::LeakyRelu(_) => ActivationKind::LeakyRelu,
            Act::Elu(_) => ActivationKind::Elu,
            Act::Softmax => ActivationKind::Softmax,
        }
    }

    /// Whether the activation has a kink at 0 the margin check must avoid.
    pub fn has_kink(self) -> bool {
        match self {
            Act::Relu | Act::LeakyRelu(_) => true,
            // ELU with alpha = 1 is C¹ at 0, but check it anyway: its second
            // derivative jumps there.
            Act::Elu(_) => true,
            _ => false,
        }
    }

    /// The activation of a row of pre-activations `z`.
    pub fn apply(self, z: &[f64]) -> Vec<f64> {
        match self {
            Act::Identity => z.to_vec(),
            Act::Sigmoid => z.iter().map(|&v| 1.0 / (1.0 + (-v).exp())).collect(),
            Act::Tanh => z.iter().map(|&v| v.tanh()).collect(),
            Act::Relu => z.iter().map(|&v| if v > 0.0 { v } else { 0.0 }).collect(),
            Act::LeakyRelu(slope) => z
                .iter()
                .map(|&v| if v > 0.0 { v } else { slope * v })
                .collect(),
            Act::Elu(alpha) => z
                .iter()
                .map(|&v| if v > 0.0 { v } else { alpha * v.exp_m1() })
                .collect(),
            Act::Softmax => {
                let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = z.iter().map(|&v| (v - max).exp()).collect();
                let s: f64 = e.iter().sum();
                e.iter().map(|v| v / s).collect()
            }
        }
    }
}

/// One reference layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RefLayer {
    /// h = act(x W + b), `W` stored input-major (`w[i][o]`), then `b[o]`.
    Dense {
        /// Inputs.
        i: usize,
        /// Outputs.
        o: usize,
        /// Activation.
        act: Act,
    },
    /// `h_o = max_k (w[o][k] · x + b[o][k])`; parameters `w[o][k][i]`, then
    /// `b[o][k]`.
    Maxout {
        /// Inputs.
        i: usize,
        /// Outputs.
        o: usize,
        /// Pieces per output.
        k: usize,
    },
}

/// A reference dense layer of `i` inputs and `o` outputs.
pub fn dense(i: usize, o: usize, act: Act) -> RefLayer {
    RefLayer::Dense { i, o, act }
}

/// A reference maxout layer of `i` inputs, `o` outputs and `k` pieces.
pub fn maxout(i: usize, o: usize, k: usize) -> RefLayer {
    RefLayer::Maxout { i, o, k }
}

impl RefLayer {
    /// Number of weights (biases excluded).
    pub fn weight_count(self) -> usize {
        match self {
            RefLayer::Dense { i, o, .. } => i * o,
            RefLayer::Maxout { i, o, k } => o * k * i,
        }
    }

    /// Number of biases.
    pub fn bias_count(self) -> usize {
        match self {
            RefLayer::Dense { o, .. } => o,
            RefLayer::Maxout { o, k, .. } => o * k,
        }
    }

    /// Number of parameters: weights, then biases.
    pub fn param_count(self) -> usize {
        self.weight_count() + self.bias_count()
    }

    /// Human-readable name of parameter `p` (0-based within this layer).
    pub fn param_name(self, p: usize) -> String {
        let nw = self.weight_count();
        match self {
            RefLayer::Dense { o, .. } if p < nw => format!("weights[{}][{}]", p / o, p % o),
            RefLayer::Dense { .. } => format!("bias[{}]", p - nw),
            RefLayer::Maxout { i, k, .. } if p < nw => {
                format!("weights[{}][{}][{}]", p / (k * i), (p / i) % k, p % i)
            }
            RefLayer::Maxout { k, .. } => format!("bias[{}][{}]", (p - nw) / k, (p - nw) % k),
        }
    }

    /// Output row for input `x` with this layer's parameters `p`; lowers
    /// `margin` to the closest approach to a kink.
    pub fn forward(self, p: &[f64], x: &[f64], margin: &mut f64) -> Vec<f64> {
        let (w, b) = p.split_at(self.weight_count());
        match self {
            RefLayer::Dense { i, o, act } => {
                assert_eq!(x.len(), i);
                let z: Vec<f64> = (0..o)
                    .map(|u| b[u] + (0..i).map(|j| x[j] * w[j * o + u]).sum::<f64>())
                    .collect();
                if act.has_kink() {
                    for v in &z {
                        *margin = margin.min(v.abs());
                    }
                }
                act.apply(&z)
            }
            RefLayer::Maxout { i, o, k } => {
                assert_eq!(x.len(), i);
                (0..o)
                    .map(|u| {
                        let mut pieces: Vec<f64> = (0..k)
                            .map(|piece| {
                                let wv = &w[(u * k + piece) * i..][..i];
                                b[u * k + piece] + x.iter().zip(wv).map(|(a, c)| a * c).sum::<f64>()
                            })
                            .collect();
                        pieces.sort_by(|a, c| c.total_cmp(a));
                        if k >= 2 {
                            *margin = margin.min(pieces[0] - pieces[1]);
                        }
                        pieces[0]
                    })
                    .collect()
            }
        }
    }
}

/// A reference network: its layers front to back.
pub struct RefNet<'a> {
    /// The layers, input first.
    pub layers: &'a [RefLayer],
}

impl RefNet<'_> {
    /// Number of parameters of all layers.
    pub fn param_count(&self) -> usize {
        self.layers.iter().map(|l| l.param_count()).sum()
    }

    /// Output for one input row, and the kink margin along the way.
    pub fn forward(&self, params: &[f64], x: &[f64], margin: &mut f64) -> Vec<f64> {
        assert_eq!(params.len(), self.param_count());
        let mut rest = params;
        let mut h = x.to_vec();
        for layer in self.layers {
            let (p, tail) = rest.split_at(layer.param_count());
            h = layer.forward(p, &h, margin);
            rest = tail;
        }
        h
    }

    /// (layer index, layer, parameter index within the layer) of flat
    /// parameter `p`.
    pub fn locate(&self, mut p: usize) -> (usize, RefLayer, usize) {
        for (n, &layer) in self.layers.iter().enumerate() {
            if p < layer.param_count() {
                return (n, layer, p);
            }
            p -= layer.param_count();
        }
        unreachable!("parameter index out of range")
    }

    /// Flat indices of all biases.
    pub fn bias_indices(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut start = 0;
        for layer in self.layers {
            out.extend(start + layer.weight_count()..start + layer.param_count());
            start += layer.param_count();
        }
        out
    }
}

/// A target row for the reference losses.
#[derive(Debug, Clone)]
pub enum RefTarget {
    /// One target value per output.
    Values(Vec<f64>),
    /// The index of the right class.
    Class(usize),
}

/// Reference losses, L_i of one row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RefLoss {
    /// 1/O Σ (o - y)².
    MeanSquared,
    /// log Σ e^z - z_y (log-sum-exp).
    SoftmaxCrossEntropy,
    /// 1/O Σ softplus(z) - z y.
    SigmoidBinaryCrossEntropy,
}

impl RefLoss {
    /// The loss of one output row against its target.
    ///
    /// # Panics
    /// If the target's kind (values or class) does not fit the loss.
    pub fn row(self, out: &[f64], target: &RefTarget) -> f64 {
        let n = out.len() as f64;
        match (self, target) {
            (RefLoss::MeanSquared, RefTarget::Values(y)) => {
                assert_eq!(y.len(), out.len());
                out.iter()
                    .zip(y)
                    .map(|(o, y)| (o - y) * (o - y))
                    .sum::<f64>()
                    / n
            }
            (RefLoss::SoftmaxCrossEntropy, &RefTarget::Class(label)) => {
                let max = out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let lse = max + out.iter().map(|z| (z - max).exp()).sum::<f64>().ln();
                lse - out[label]
            }
            (RefLoss::SigmoidBinaryCrossEntropy, RefTarget::Values(y)) => {
                assert_eq!(y.len(), out.len());
                let softplus = |z: f64| z.max(0.0) + (-z.abs()).exp().ln_1p();
                out.iter()
                    .zip(y)
                    .map(|(&z, &y)| softplus(z) - z * y)
                    .sum::<f64>()
                    / n
            }
            _ => panic!("target kind does not fit loss {self:?}"),
        }
    }
}

/// Mean loss over the rows `x` with targets `y`, and the kink margin.
pub fn batch_loss(
    net: &RefNet,
    loss: RefLoss,
    params: &[f64],
    x: &[Vec<f64>],
    y: &[RefTarget],
) -> (f64, f64) {
    let mut margin = f64::INFINITY;
    let sum: f64 = x
        .iter()
        .zip(y)
        .map(|(x, y)| loss.row(&net.forward(params, x, &mut margin), y))
        .sum();
    (sum / x.len() as f64, margin)
}

/// Which reference loss a microprop loss is (the only thing taken from the
/// loss type).
pub trait AsRefLoss {
    /// The reference loss.
    const REF: RefLoss;
}
impl AsRefLoss for MeanSquaredError {
    const REF: RefLoss = RefLoss::MeanSquared;
}
impl AsRefLoss for SoftmaxCrossEntropy {
    const REF: RefLoss = RefLoss::SoftmaxCrossEntropy;
}
impl AsRefLoss for SigmoidBinaryCrossEntropy {
    const REF: RefLoss = RefLoss::SigmoidBinaryCrossEntropy;
}

/// A microprop target converted for the reference.
pub trait AsRefTarget {
    /// The same target as a [`RefTarget`].
    fn to_ref(&self) -> RefTarget;
}
impl AsRefTarget for usize {
    fn to_ref(&self) -> RefTarget {
        RefTarget::Class(*self)
    }
}
impl<const O: usize> AsRefTarget for [f32; O] {
    fn to_ref(&self) -> RefTarget {
        RefTarget::Values(self.iter().map(|&v| f64::from(v)).collect())
    }
}

/// f32 values widened to f64 (exactly).
pub fn to_f64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference itself, on numbers worked out by hand, so a mistake in
    /// it cannot silently agree with the same mistake in microprop.
    #[test]
    fn reference_sanity() {
        let mut m = f64::INFINITY;
        // Dense 2 -> 2: W = [[1, -1], [0.5, 2]] (input-major), b = [0.1, -0.2].
        let d = dense(2, 2, Act::Identity);
        let p = [1.0, -1.0, 0.5, 2.0, 0.1, -0.2];
        let h = d.forward(&p, &[1.0, 2.0], &mut m);
        assert!(
            (h[0] - 2.1).abs() < 1e-12 && (h[1] - 2.8).abs() < 1e-12,
            "{h:?}"
        );
        // Maxout 1 -> 1, K = 2: max(x, -x + 0.5) at x = 1 is 1.
        let mo = maxout(1, 1, 2);
        assert_eq!(
            mo.forward(&[1.0, -1.0, 0.0, 0.5], &[1.0], &mut m),
            vec![1.0]
        );
        assert_eq!(m, 1.5);
        assert_eq!(mo.param_name(2), "bias[0][0]");
        assert_eq!(maxout(3, 2, 2).param_name(7), "weights[1][0][1]");
        assert_eq!(d.param_name(2), "weights[1][0]");
        assert_eq!(Act::LeakyRelu(0.1).apply(&[-2.0, 3.0]), vec![-0.2, 3.0]);
        assert!((Act::Elu(0.5).apply(&[-1.0])[0] - 0.5 * (-1.0f64).exp_m1()).abs() < 1e-15);
        assert!((Act::Sigmoid.apply(&[0.0])[0] - 0.5).abs() < 1e-15);
        let s = Act::Softmax.apply(&[0.0, 2.0_f64.ln()]);
        assert!((s[0] - 1.0 / 3.0).abs() < 1e-15 && (s[1] - 2.0 / 3.0).abs() < 1e-15);
        // MSE of (1, 3) against (0, 3): (1 + 0) / 2.
        let mse = RefLoss::MeanSquared.row(&[1.0, 3.0], &RefTarget::Values(vec![0.0, 3.0]));
        assert_eq!(mse, 0.5);
        // CE with equal logits over 4 classes: ln 4.
        let ce = RefLoss::SoftmaxCrossEntropy.row(&[0.3; 4], &RefTarget::Class(2));
        assert!((ce - 4.0_f64.ln()).abs() < 1e-15);
        // BCE at z = 0: ln 2 whatever the target.
        let bce = RefLoss::SigmoidBinaryCrossEntropy.row(&[0.0], &RefTarget::Values(vec![0.7]));
        assert!((bce - 2.0_f64.ln()).abs() < 1e-15);
    }
}
