//! The activation of a run-time layer: its [`ActivationKind`] dispatched to
//! the same implementation the const-generic layers use (same bits).

use super::topology::LayerSpec;
use crate::activation::{
    Activation, ActivationKind, Elu, Identity, LeakyRelu, Relu, Sigmoid, Softmax, Tanh,
};

/// `z` holds pre-activations on entry and activations on return.
pub(crate) fn forward(spec: &LayerSpec, z: &mut [f32]) {
    match spec.activation {
        ActivationKind::Identity => Identity.forward(z),
        ActivationKind::Sigmoid => Sigmoid.forward(z),
        ActivationKind::Tanh => Tanh.forward(z),
        ActivationKind::Relu => Relu.forward(z),
        ActivationKind::LeakyRelu => {
            if let Some(a) = LeakyRelu::try_new(spec.parameter) {
                a.forward(z);
            }
        }
        ActivationKind::Elu => {
            if let Some(a) = Elu::try_new(spec.parameter) {
                a.forward(z);
            }
        }
        ActivationKind::Softmax => Softmax.forward(z),
    }
}

/// Turns `grad` from dL/d(output) into dL/d(pre-activation), given the
/// row's outputs `out`.
pub(crate) fn backward(spec: &LayerSpec, out: &[f32], grad: &mut [f32]) {
    match spec.activation {
        ActivationKind::Identity => Identity.backward(out, grad),
        ActivationKind::Sigmoid => Sigmoid.backward(out, grad),
        ActivationKind::Tanh => Tanh.backward(out, grad),
        ActivationKind::Relu => Relu.backward(out, grad),
        ActivationKind::LeakyRelu => {
            if let Some(a) = LeakyRelu::try_new(spec.parameter) {
                a.backward(out, grad);
            }
        }
        ActivationKind::Elu => {
            if let Some(a) = Elu::try_new(spec.parameter) {
                a.backward(out, grad);
            }
        }
        ActivationKind::Softmax => Softmax.backward(out, grad),
    }
}
