//! A frozen front of a run-time-shaped network: read-only parameters (in
//! flash if the caller's slice is), no training buffers.

use super::network::{check_len, predict};
use super::topology::Topology;
use crate::buffer::{all_finite, chunks, chunks_mut};
use crate::error::{Buffer, Error};

/// The frozen front layers of a run-time network (a pretrained backbone):
/// a [`Topology`] over a **read-only** parameter slice, so the weights can
/// be a `static` in flash. It has no gradient, no optimizer state and no
/// training cache: [`Backbone::features`] maps a batch to the rows the
/// first trainable layer reads, and a [`Network`](super::Network) of the
/// trainable layers trains on them with an ordinary
/// [`Trainer`](super::Trainer) whose buffers are sized by the head's
/// topology alone. Backward stops at the head's first layer, as it does
/// behind a [`Frozen`](crate::Frozen) front of the const-generic front
/// end, and the bits are that network's (`tests/tests/finetune.rs`).
///
/// ```
/// use microprop::ActivationKind::{Identity, Tanh};
/// use microprop::dynamic::{Backbone, Buffers, LayerSpec, LossKind, Network, Targets, Topology, Trainer};
/// use microprop::Sgd;
/// // Pretrained 3 -> 4 (tanh); in a firmware a `static` in flash.
/// static BACKBONE: [f32; 16] = [0.5, -0.5, 0.25, 1.0, -0.25, 0.75, 0.5, -1.0,
///                               1.0, 0.25, -0.75, 0.5, 0.1, 0.0, -0.1, 0.2];
/// let front_layers = [LayerSpec::dense(4, Tanh)];
/// let backbone = Backbone::new(Topology::new(3, &front_layers)?, &BACKBONE)?;
///
/// // The head trains on the backbone's 4 outputs.
/// let head_layers = [LayerSpec::dense(2, Identity)];
/// let head = Topology::new(4, &head_layers)?;
/// let (mut params, mut grads, mut cache) = ([0.0; 10], [0.0; 10], [0.0; 3 * 2]);
/// let mut net = Network::new(head, &mut params)?;
/// let buffers = Buffers { gradients: &mut grads, optimizer_state: &mut [], cache: &mut cache, winners: &mut [] };
/// let mut trainer = Trainer::new(head, buffers, 2, LossKind::MeanSquaredError, Sgd)?;
///
/// let x = [0.5, -1.0, 2.0, 1.0, 0.0, -1.0]; // two rows
/// let (mut features, mut scratch) = ([0.0; 2 * 4], [0.0; 8]);
/// backbone.features(&x, &mut scratch, &mut [], &mut features)?;
/// let first = trainer.train_step(&mut net, &features, Targets::Values(&[1.0, 0.0, 0.0, 1.0]), 0.1)?;
/// let next = trainer.train_step(&mut net, &features, Targets::Values(&[1.0, 0.0, 0.0, 1.0]), 0.1)?;
/// assert!(next.loss < first.loss);
/// // A row count the output buffer does not fit is refused.
/// assert!(backbone.features(&x, &mut scratch, &mut [], &mut features[..4]).is_err());
/// # Ok::<(), microprop::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Backbone<'a> {
    topology: Topology<'a>,
    params: &'a [f32],
}

impl<'a> Backbone<'a> {
    /// The frozen layers of `topology` with parameters `params` (laid out
    /// as a [`Network`](super::Network)'s).
    ///
    /// # Errors
    /// [`Error::BufferLength`] unless `params` holds exactly
    /// [`Topology::params_len`] floats.
    pub fn new(topology: Topology<'a>, params: &'a [f32]) -> Result<Self, Error> {
        check_len(Buffer::Parameters, topology.params_len(), params.len())?;
        Ok(Backbone { topology, params })
    }

    /// The shape.
    pub fn topology(&self) -> Topology<'a> {
        self.topology
    }

    /// The parameters.
    pub fn params(&self) -> &'a [f32] {
        self.params
    }

    /// The outputs of the rows of `x` (rows of [`Topology::inputs`]
    /// floats), written to `out` (as many rows of [`Topology::outputs`]),
    /// one row at a time through `scratch` ([`Topology::scratch_len`]
    /// floats) and `winners` ([`Topology::scratch_winners_len`] bytes):
    /// the bits of a training forward pass of these layers. Returns the
    /// number of rows.
    ///
    /// # Errors
    /// [`Error::BufferLength`] for an `x` that is not whole rows, an `out`
    /// of another row count, or a `scratch` or `winners` of the wrong
    /// length; [`Error::NonFiniteInput`] for a row with a NaN or infinite
    /// value. Nothing is written then.
    pub fn features(
        &self,
        x: &[f32],
        scratch: &mut [f32],
        winners: &mut [u8],
        out: &mut [f32],
    ) -> Result<usize, Error> {
        let (inputs, outputs) = (self.topology.inputs(), self.topology.outputs());
        let rows = x.len().checked_div(inputs).unwrap_or(0);
        if rows * inputs != x.len() {
            return Err(Error::BufferLength {
                buffer: Buffer::Input,
                needed: (rows + 1) * inputs,
                given: x.len(),
            });
        }
        check_len(Buffer::Output, rows * outputs, out.len())?;
        check_len(Buffer::Scratch, self.topology.scratch_len(), scratch.len())?;
        check_len(
            Buffer::Winners,
            self.topology.scratch_winners_len(),
            winners.len(),
        )?;
        if let Some(row) = chunks(x, inputs).position(|r| !all_finite(r)) {
            return Err(Error::NonFiniteInput { row });
        }
        for (x_row, out_row) in chunks(x, inputs).zip(chunks_mut(out, outputs)) {
            predict(
                &self.topology,
                self.params,
                x_row,
                scratch,
                winners,
                out_row,
            )?;
        }
        Ok(rows)
    }
}
