//! A run-time-shaped network: a [`Topology`] over a caller-owned parameter
//! buffer, and the per-layer passes the trainers share.

use rand_core::Rng;

use super::activation;
use super::topology::{Placed, Topology};
use crate::buffer::{all_finite, chunks, chunks_mut};
use crate::error::{Buffer, Error};
use crate::init::Init;
use crate::kernel;
use crate::layer::GradientMode;
use crate::layer::maxout;
use crate::loss::argmax;

/// A network whose shape is known at run time: a [`Topology`] and a
/// parameter buffer of exactly [`Topology::params_len`] floats, laid out as
/// the const-generic network of that shape lays out its
/// [`Parameters`](crate::Parameters), so weights, checkpoints and results
/// carry over bit for bit.
///
/// ```
/// use microprop::ActivationKind::{Identity, Relu};
/// use microprop::dynamic::{LayerSpec, Network, Topology};
/// let layers = [LayerSpec::dense(5, Relu), LayerSpec::dense(2, Identity)];
/// let topology = Topology::new(3, &layers).unwrap();
/// let mut params = [0.0_f32; 32]; // topology.params_len()
/// let mut net = Network::new(topology, &mut params).unwrap();
/// net.init(microprop::Init::Xavier, &mut microprop::init::seeded(1));
/// let (mut scratch, mut out) = ([0.0; 10], [0.0; 2]); // scratch_len()
/// net.predict(&[1.0, 2.0, 3.0], &mut scratch, &mut [], &mut out).unwrap();
/// assert!(out.iter().all(|v| v.is_finite()));
/// assert!(Network::new(topology, &mut [0.0; 31]).is_err());
/// ```
#[derive(Debug)]
pub struct Network<'a> {
    topology: Topology<'a>,
    params: &'a mut [f32],
}

/// Checks that a buffer holds exactly `needed` elements.
pub(crate) fn check_len(buffer: Buffer, needed: usize, given: usize) -> Result<(), Error> {
    if needed == given {
        Ok(())
    } else {
        Err(Error::BufferLength {
            buffer,
            needed,
            given,
        })
    }
}

impl<'a> Network<'a> {
    /// A network over `params`.
    ///
    /// # Errors
    /// [`Error::BufferLength`] unless `params` holds exactly
    /// [`Topology::params_len`] floats.
    pub fn new(topology: Topology<'a>, params: &'a mut [f32]) -> Result<Self, Error> {
        check_len(Buffer::Parameters, topology.params_len(), params.len())?;
        Ok(Network { topology, params })
    }

    /// The shape.
    pub fn topology(&self) -> Topology<'a> {
        self.topology
    }

    /// Every parameter, in layer order (weights, then biases).
    pub fn params(&self) -> &[f32] {
        self.params
    }

    /// Mutable [`Network::params`] (e.g. to load weights).
    pub fn params_mut(&mut self) -> &mut [f32] {
        self.params
    }

    /// Draws every layer's weights from `init` and zeroes the biases, in the
    /// order and with the fans of the const-generic network's
    /// [`Layer::init`](crate::Layer::init): the same seed gives the same
    /// weights.
    pub fn init<R: Rng + ?Sized>(&mut self, init: Init, rng: &mut R) {
        let topology = self.topology;
        for layer in topology.placed() {
            if let Some((weights, biases)) = layer_params_mut(self.params, &layer) {
                init.fill(weights, layer.inputs, layer.spec.units, rng);
                biases.fill(0.0);
            }
        }
    }

    /// The output for one input row of [`Topology::inputs`] floats, written
    /// to `out` ([`Topology::outputs`] floats), using `scratch`
    /// ([`Topology::scratch_len`] floats) and `winners`
    /// ([`Topology::scratch_winners_len`] bytes; empty without maxout).
    ///
    /// # Errors
    /// [`Error::BufferLength`] for a buffer of the wrong length,
    /// [`Error::NonFiniteInput`] for a NaN or infinite input; `out` is then
    /// unchanged.
    pub fn predict(
        &self,
        x: &[f32],
        scratch: &mut [f32],
        winners: &mut [u8],
        out: &mut [f32],
    ) -> Result<(), Error> {
        predict(&self.topology, self.params, x, scratch, winners, out)
    }

    /// The index of the largest output (the predicted class).
    ///
    /// # Errors
    /// As [`Network::predict`].
    pub fn classify(
        &self,
        x: &[f32],
        scratch: &mut [f32],
        winners: &mut [u8],
        out: &mut [f32],
    ) -> Result<usize, Error> {
        self.predict(x, scratch, winners, out)?;
        Ok(argmax(out))
    }
}

/// [`Network::predict`] over any parameter slice of `topology` (also a
/// read-only one: [`Backbone`](super::Backbone)).
pub(crate) fn predict(
    topology: &Topology<'_>,
    params: &[f32],
    x: &[f32],
    scratch: &mut [f32],
    winners: &mut [u8],
    out: &mut [f32],
) -> Result<(), Error> {
    check_len(Buffer::Input, topology.inputs(), x.len())?;
    check_len(Buffer::Output, topology.outputs(), out.len())?;
    check_len(Buffer::Scratch, topology.scratch_len(), scratch.len())?;
    check_len(
        Buffer::Winners,
        topology.scratch_winners_len(),
        winners.len(),
    )?;
    if !all_finite(x) {
        return Err(Error::NonFiniteInput { row: 0 });
    }
    let half = scratch.len() / 2;
    let (front, back) = scratch
        .split_at_mut_checked(half)
        .unwrap_or((&mut [], &mut []));
    let mut rows = [front, back];
    let last = topology.depth().saturating_sub(1);
    for layer in topology.placed() {
        let [input, output] = &mut rows;
        let source: &[f32] = if layer.index == 0 { x } else { input };
        let target = if layer.index == last {
            &mut *out
        } else {
            output.get_mut(..layer.spec.units).unwrap_or(&mut [])
        };
        let input_len = layer.inputs.min(source.len());
        forward_row(
            params,
            &layer,
            source.get(..input_len).unwrap_or(&[]),
            target,
            winners,
        );
        rows.swap(0, 1);
    }
    Ok(())
}

/// Layer `layer`'s weights and biases within `params`.
pub(crate) fn layer_params<'p>(
    params: &'p [f32],
    layer: &Placed,
) -> Option<(&'p [f32], &'p [f32])> {
    let all = params.get(layer.param_offset..)?;
    let weights = all.get(..layer.weights)?;
    let biases = all.get(layer.weights..layer.weights + layer.biases)?;
    Some((weights, biases))
}

/// Mutable [`layer_params`].
pub(crate) fn layer_params_mut<'p>(
    params: &'p mut [f32],
    layer: &Placed,
) -> Option<(&'p mut [f32], &'p mut [f32])> {
    let all = params.get_mut(layer.param_offset..)?;
    let (weights, rest) = all.split_at_mut_checked(layer.weights)?;
    Some((weights, rest.get_mut(..layer.biases)?))
}

/// One row through one layer: `out = f(x W + b)` (dense) or the maxout of
/// the pieces, writing the winners to the front of `winners`.
pub(crate) fn forward_row(
    params: &[f32],
    layer: &Placed,
    x: &[f32],
    out: &mut [f32],
    winners: &mut [u8],
) {
    let Some((weights, biases)) = layer_params(params, layer) else {
        return;
    };
    if layer.spec.is_maxout() {
        maxout::forward_row(x, weights, biases, layer.spec.pieces, out, winners);
    } else {
        kernel::affine(x, weights, biases, out);
        activation::forward(&layer.spec, out);
    }
}

/// `rows` rows through one layer (`x`: `rows·inputs`, `out`: `rows·units`,
/// `winners`: `rows·units` for maxout), as the const-generic layer's
/// `forward`.
pub(crate) fn forward_rows(
    params: &[f32],
    layer: &Placed,
    x: &[f32],
    out: &mut [f32],
    winners: &mut [u8],
) {
    let units = layer.spec.units;
    let Some((weights, biases)) = layer_params(params, layer) else {
        return;
    };
    if layer.spec.is_maxout() {
        let rows = chunks(x, layer.inputs)
            .zip(chunks_mut(out, units))
            .zip(chunks_mut(winners, units));
        for ((x, out), winners) in rows {
            maxout::forward_row(x, weights, biases, layer.spec.pieces, out, winners);
        }
    } else {
        kernel::affine_rows(x, layer.inputs, weights, biases, out);
        for out in chunks_mut(out, units) {
            activation::forward(&layer.spec, out);
        }
    }
}

/// One layer's weight gradients over the rows of `x` and `dz`, as the
/// const-generic layer's backward pass: adds (or with
/// [`GradientMode::Overwrite`] writes) dL/dW and dL/db to the layer's part
/// of `grads`.
pub(crate) fn backward_weights(
    params: &[f32],
    layer: &Placed,
    x: &[f32],
    dz: &[f32],
    winners: &[u8],
    grads: &mut [f32],
    mode: GradientMode,
) {
    let (inputs, units) = (layer.inputs, layer.spec.units);
    let (Some(_), Some((dw, db))) = (layer_params(params, layer), layer_params_mut(grads, layer))
    else {
        return;
    };
    if layer.spec.is_maxout() {
        if mode == GradientMode::Overwrite {
            dw.fill(0.0);
            db.fill(0.0);
        }
        let rows = chunks(x, inputs)
            .zip(chunks(dz, units))
            .zip(chunks(winners, units));
        for ((x, dz), winners) in rows {
            maxout::accumulate_row(x, dz, winners, dw, db);
        }
    } else {
        kernel::weight_gradients(x, dz, dw, db, mode);
    }
}

/// Turns each row of `x` (the outputs of `previous`, the layer behind this
/// one) into dL/d(previous pre-activation), from this layer's dL/dZ rows
/// `dz`, using `delta` (at least `inputs` floats) as scratch.
pub(crate) fn backward_inputs(
    params: &[f32],
    layer: &Placed,
    x: &mut [f32],
    dz: &[f32],
    winners: &[u8],
    previous: &Placed,
    delta: &mut [f32],
) {
    let (inputs, units) = (layer.inputs, layer.spec.units);
    let (Some((weights, _)), Some(delta)) = (layer_params(params, layer), delta.get_mut(..inputs))
    else {
        return;
    };
    let mut winner_rows = chunks(winners, units);
    for (x_row, dz) in chunks_mut(x, inputs).zip(chunks(dz, units)) {
        if layer.spec.is_maxout() {
            let winners = winner_rows.next().unwrap_or(&[]);
            maxout::input_gradient(weights, layer.spec.pieces, dz, winners, delta);
        } else {
            kernel::input_gradient(weights, dz, delta);
        }
        activation::backward(&previous.spec, x_row, delta);
        for (x, d) in x_row.iter_mut().zip(delta.iter()) {
            *x = *d;
        }
    }
}
