//! Trained networks of any shape, known only at run time: the layer list,
//! the flat parameters and the normalisers of a core checkpoint
//! ([`microprop::checkpoint`]), what `export` writes out and `import`
//! builds.
//!
//! Contract: a [`Trained`] is checked when it is made
//! ([`Trained::new`], [`Trained::from_checkpoint`]): its layers form a
//! valid [`Topology`], its parameters are exactly
//! [`Topology::params_len`] finite floats in the core's layout (layer by
//! layer, a dense layer's weights input-major `w[i·O + o]`, a maxout
//! layer's by unit, piece, input; then the biases), and each normaliser
//! has the width of the input or output. After that no accessor fails, and
//! [`Trained::predict`] runs the core's run-time network
//! ([`microprop::dynamic::Network`]): the same bits as the `network!` type
//! of that shape.
//!
//! ```
//! use microprop::ActivationKind;
//! use microprop::dynamic::LayerSpec;
//! use microprop_sim::anyshape::Trained;
//! let layers = vec![LayerSpec::dense(3, ActivationKind::Tanh), LayerSpec::maxout(2, 2)];
//! let params = (0..(2 + 1) * 3 + (3 + 1) * 2 * 2).map(|i| i as f32 / 10.0).collect();
//! let net = Trained::new(2, layers, params).unwrap();
//! let blob = net.to_checkpoint().unwrap();
//! let again = Trained::from_checkpoint(&blob).unwrap();
//! assert_eq!(again, net);
//! assert_eq!(again.architecture(), "2-3-2");
//! assert_eq!(net.predict(&[1.0, -1.0]).unwrap().len(), 2);
//! ```

mod scaling;

use anyhow::{Result, anyhow, bail};
use microprop::LayerShape;
use microprop::checkpoint::{self, CheckpointError};
use microprop::dynamic::{LayerSpec, Network, Topology};

pub use scaling::Scaler;

/// A trained network of a run-time shape, with the normalisers its
/// checkpoint held.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
    inputs: usize,
    layers: Vec<LayerSpec>,
    params: Vec<f32>,
    input: Option<Scaler>,
    target: Option<Scaler>,
}

impl Trained {
    /// A network of `inputs` features and `layers` with `params` in the
    /// core's layout, without normalisers.
    ///
    /// # Errors
    /// If the layers are no valid [`Topology`] (a zero width, 0 or more
    /// than 256 maxout pieces, a maxout layer with an activation, a
    /// negative or non-finite setting), `params` has another length, or a
    /// value is not finite.
    pub fn new(inputs: usize, layers: Vec<LayerSpec>, params: Vec<f32>) -> Result<Self> {
        let topology =
            Topology::new(inputs, &layers).map_err(|e| anyhow!("invalid layer list: {e}"))?;
        if params.len() != topology.params_len() {
            bail!(
                "{} parameters for a network that has {}",
                params.len(),
                topology.params_len()
            );
        }
        if let Some(i) = params.iter().position(|v| !v.is_finite()) {
            bail!("parameter {i} is {}", params[i]);
        }
        Ok(Trained {
            inputs,
            layers,
            params,
            input: None,
            target: None,
        })
    }

    /// The network a core checkpoint holds, with its normalisers if it
    /// has them (any optimizer state is skipped). The layer list comes
    /// from the checkpoint ([`checkpoint::layers`]), so any shape loads.
    ///
    /// # Errors
    /// The core's checks ([`checkpoint::load_network`]: length, magic,
    /// version, CRC, layer list, finiteness), named as the core names
    /// them.
    pub fn from_checkpoint(blob: &[u8]) -> Result<Self, CheckpointError> {
        let depth = match checkpoint::layers(blob, &mut []) {
            Ok(_) => 0,
            Err(CheckpointError::BufferTooSmall { needed, .. }) => needed,
            Err(e) => return Err(e),
        };
        let mut layers = vec![LayerSpec::dense(1, microprop::ActivationKind::Identity); depth];
        let (inputs, _) = checkpoint::layers(blob, &mut layers)?;
        let topology = Topology::new(inputs, &layers).map_err(|_| CheckpointError::Malformed)?;
        let mut params = vec![0.0; topology.params_len()];
        let mut net =
            Network::new(topology, &mut params).map_err(|_| CheckpointError::Malformed)?;
        checkpoint::load_network(&mut net, blob)?;
        let (input, target) = scaling::read(blob, inputs, topology.outputs())?;
        Ok(Trained {
            inputs,
            layers,
            params,
            input,
            target,
        })
    }

    /// The same network with these normalisers (e.g. kept beside the
    /// checkpoint by a model file).
    ///
    /// # Errors
    /// If a normaliser's width is not the input (or output) width, or a
    /// value is not finite.
    pub fn with_scaling(mut self, input: Option<Scaler>, target: Option<Scaler>) -> Result<Self> {
        for (scaler, width, part) in [
            (&input, self.inputs, "input"),
            (&target, self.outputs(), "target"),
        ] {
            if let Some(s) = scaler {
                s.check(width)
                    .map_err(|e| anyhow!("{part} normaliser: {e}"))?;
            }
        }
        self.input = input;
        self.target = target;
        Ok(self)
    }

    /// The checked layer list.
    pub fn topology(&self) -> Topology<'_> {
        // Checked in `new` / `from_checkpoint`; cannot fail.
        Topology::new(self.inputs, &self.layers)
            .unwrap_or_else(|_| unreachable!("checked when made"))
    }

    /// Input width.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// Output width.
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.units)
    }

    /// The layers, front to back.
    pub fn layers(&self) -> &[LayerSpec] {
        &self.layers
    }

    /// Every parameter, in the core's layout.
    pub fn params(&self) -> &[f32] {
        &self.params
    }

    /// The input normaliser, if the checkpoint held one.
    pub fn input_scaling(&self) -> Option<&Scaler> {
        self.input.as_ref()
    }

    /// The target normaliser, if the checkpoint held one.
    pub fn target_scaling(&self) -> Option<&Scaler> {
        self.target.as_ref()
    }

    /// Each layer's shape (as `Layer::visit_shapes` reports it for the
    /// const-generic network), with its weights and its biases.
    pub fn parts(&self) -> Vec<(LayerShape, &[f32], &[f32])> {
        let mut rest = self.params.as_slice();
        self.topology()
            .shapes()
            .map(|shape| {
                let biases = shape.outputs * shape.pieces;
                let (weights, after) = rest.split_at(shape.inputs * biases);
                let (bias, after) = after.split_at(biases);
                rest = after;
                (shape, weights, bias)
            })
            .collect()
    }

    /// Widths from the input to the output: `4-16-3`.
    pub fn architecture(&self) -> String {
        std::iter::once(self.inputs)
            .chain(self.layers.iter().map(|l| l.units))
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// The network's output for one row (no normalisers applied).
    ///
    /// # Errors
    /// If `x` is not one row of [`Trained::inputs`] finite values.
    pub fn predict(&self, x: &[f32]) -> Result<Vec<f32>> {
        let topology = self.topology();
        let mut params = self.params.clone();
        let net = Network::new(topology, &mut params).map_err(|e| anyhow!("{e}"))?;
        let mut scratch = vec![0.0; topology.scratch_len()];
        let mut winners = vec![0u8; topology.scratch_winners_len()];
        let mut out = vec![0.0; topology.outputs()];
        net.predict(x, &mut scratch, &mut winners, &mut out)
            .map_err(|e| anyhow!("{e}"))?;
        Ok(out)
    }

    /// The output for one row of raw features, as
    /// [`Model::predict`](microprop::Model::predict) computes it: the
    /// input normaliser applied first, the network, then the target
    /// normaliser undone (each only if the checkpoint held it).
    ///
    /// # Errors
    /// As [`Trained::predict`].
    pub fn predict_scaled(&self, x: &[f32]) -> Result<Vec<f32>> {
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            bail!("input {i} is {}", x[i]);
        }
        let mut x = x.to_vec();
        if let Some(input) = &self.input {
            input.apply(&mut x);
        }
        let mut out = self.predict(&x)?;
        if let Some(target) = &self.target {
            target.invert(&mut out);
        }
        Ok(out)
    }

    /// The core checkpoint of the network ([`checkpoint::save_network`]:
    /// the parameters; normalisers are not written).
    ///
    /// # Errors
    /// Only if the core's length computation and its encoder disagree (a
    /// bug).
    pub fn to_checkpoint(&self) -> Result<Vec<u8>> {
        let topology = self.topology();
        let mut params = self.params.clone();
        let net = Network::new(topology, &mut params).map_err(|e| anyhow!("{e}"))?;
        let mut blob = vec![0u8; checkpoint::network_len(&topology, None)];
        let len = checkpoint::save_network(&net, &mut blob).map_err(|e| anyhow!("{e}"))?;
        blob.truncate(len);
        Ok(blob)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use microprop::ActivationKind as K;
    use microprop::Scaling;
    use microprop::{
        Dense, Identity, Inference, Init, Layer, LeakyRelu, Maxout, Model, Normalizer, Parameters,
        network,
    };

    type Typed = network![Dense<3, 4, LeakyRelu>, Maxout<4, 2, 3>, Dense<2, 2, Identity>];

    fn typed() -> Typed {
        let mut net = Typed::ZERO;
        net.first.first.activation = LeakyRelu::new(0.25);
        net.init(Init::Xavier, &mut microprop::init::seeded(3));
        net
    }

    #[test]
    fn a_typed_checkpoint_loads_with_its_layers_and_predicts_the_same_bits() {
        let net = typed();
        let mut blob = vec![0u8; checkpoint::params_len::<Typed>()];
        checkpoint::save(&net, &mut blob).unwrap();
        let loaded = Trained::from_checkpoint(&blob).unwrap();
        assert_eq!(
            loaded.layers(),
            [
                LayerSpec::dense_with(4, K::LeakyRelu, 0.25),
                LayerSpec::maxout(2, 3),
                LayerSpec::dense(2, K::Identity)
            ]
        );
        assert!(net.slices().flatten().eq(loaded.params().iter()));
        assert_eq!(loaded.input_scaling(), None);
        let x = [0.5, -2.0, 1.5];
        let want = *Inference::<Typed>::new().predict(&net, &x).unwrap();
        assert_eq!(loaded.predict(&x).unwrap(), want);
        assert_eq!(loaded.to_checkpoint().unwrap(), blob);
        let parts = loaded.parts();
        assert_eq!(parts.len(), 3);
        assert_eq!((parts[1].1.len(), parts[1].2.len()), (4 * 2 * 3, 2 * 3));
    }

    #[test]
    fn a_model_checkpoint_brings_its_normalisers() {
        let mut model = Model::<Typed>::new(typed());
        model.input = Normalizer {
            scaling: Scaling::Standard,
            offset: [1.0, 2.0, 3.0],
            scale: [0.5, 0.25, 0.0],
        };
        model.target.offset = [-1.0, 7.5];
        let mut blob = vec![0u8; checkpoint::model_len::<Typed>()];
        checkpoint::save_model(&model, &mut blob).unwrap();
        let loaded = Trained::from_checkpoint(&blob).unwrap();
        let input = loaded.input_scaling().unwrap();
        assert_eq!(input.scaling, Scaling::Standard);
        assert_eq!(
            (input.offset.as_slice(), input.scale.as_slice()),
            (&[1.0, 2.0, 3.0][..], &[0.5, 0.25, 0.0][..])
        );
        let target = loaded.target_scaling().unwrap();
        assert_eq!(
            (target.scaling, target.offset.as_slice()),
            (Scaling::MinMax, &[-1.0, 7.5][..])
        );
        model.target.scale = [0.5, 0.0];
        let mut blob = vec![0u8; checkpoint::model_len::<Typed>()];
        checkpoint::save_model(&model, &mut blob).unwrap();
        let loaded = Trained::from_checkpoint(&blob).unwrap();
        for x in [[0.5f32, -2.0, 1.5], [3.0, 0.25, -7.0]] {
            let want = model
                .predict(&mut Inference::new(), &mut x.clone())
                .unwrap();
            assert_eq!(loaded.predict_scaled(&x).unwrap(), want);
        }
    }

    #[test]
    fn a_training_checkpoint_skips_the_optimizer_state() {
        let layers = [
            LayerSpec::dense(2, K::Tanh),
            LayerSpec::dense_with(1, K::Elu, 0.5),
        ];
        let topology = Topology::new(2, &layers).unwrap();
        let mut params: Vec<f32> = (0..topology.params_len()).map(|i| i as f32).collect();
        let net = Network::new(topology, &mut params).unwrap();
        let state = vec![9.0; 2 * topology.params_len()];
        let mut blob = vec![0u8; checkpoint::network_len(&topology, Some(state.len()))];
        checkpoint::save_network_training(&net, &state, 12, &mut blob).unwrap();
        let loaded = Trained::from_checkpoint(&blob).unwrap();
        assert_eq!(
            loaded.params(),
            &(0..topology.params_len())
                .map(|i| i as f32)
                .collect::<Vec<_>>()[..]
        );
        assert_eq!(loaded.layers(), layers);
    }

    #[test]
    fn damaged_checkpoints_and_bad_networks_are_refused() {
        let mut blob = vec![0u8; checkpoint::params_len::<Typed>()];
        checkpoint::save(&typed(), &mut blob).unwrap();
        blob[30] ^= 4;
        assert!(matches!(
            Trained::from_checkpoint(&blob),
            Err(CheckpointError::CrcMismatch { .. })
        ));
        assert_eq!(
            Trained::from_checkpoint(b"not a checkpoint at all"),
            Err(CheckpointError::BadMagic)
        );
        let err = Trained::new(2, vec![LayerSpec::dense(1, K::Tanh)], vec![0.0; 2]).unwrap_err();
        assert_eq!(err.to_string(), "2 parameters for a network that has 3");
        let err = Trained::new(
            2,
            vec![LayerSpec::dense(1, K::Tanh)],
            vec![0.0, f32::NAN, 0.0],
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "parameter 1 is NaN");
        assert!(Trained::new(0, vec![LayerSpec::dense(1, K::Tanh)], vec![]).is_err());
    }
}
