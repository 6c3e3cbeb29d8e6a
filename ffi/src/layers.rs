//! A checked layer list: the input width and at most
//! [`MICROPROP_MAX_LAYERS`] C layers decoded into the core's
//! [`LayerSpec`]s, held by value so a `Topology` can borrow them for one
//! call (what a model and a backbone both describe).

use microprop::dynamic::{LayerSpec, Topology};

use crate::config::{Layer, MICROPROP_MAX_LAYERS};
use crate::status::Status;

/// The input width and the layers, checked by the core.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerList {
    layers: [LayerSpec; MICROPROP_MAX_LAYERS],
    depth: usize,
    inputs: usize,
}

/// A placeholder layer for the unused entries.
const UNUSED: LayerSpec = LayerSpec::dense(1, microprop::ActivationKind::Identity);

impl LayerList {
    /// Decodes and checks `layers` behind an input width of `inputs`.
    ///
    /// # Errors
    /// [`Status::TooManyLayers`], [`Status::InvalidLayer`].
    pub(crate) fn new(inputs: u32, layers: &[Layer]) -> Result<LayerList, Status> {
        if layers.len() > MICROPROP_MAX_LAYERS {
            return Err(Status::TooManyLayers);
        }
        let mut specs = [UNUSED; MICROPROP_MAX_LAYERS];
        for (spec, layer) in specs.iter_mut().zip(layers) {
            *spec = layer.spec()?;
        }
        let list = LayerList {
            layers: specs,
            depth: layers.len(),
            inputs: inputs as usize,
        };
        list.topology()?;
        Ok(list)
    }

    /// The layer list as the core checks it.
    ///
    /// # Errors
    /// [`Status::InvalidLayer`].
    pub(crate) fn topology(&self) -> Result<Topology<'_>, Status> {
        let layers = self.layers.get(..self.depth).ok_or(Status::TooManyLayers)?;
        Ok(Topology::new(self.inputs, layers)?)
    }

    /// The widest row a forward pass holds: the input or a layer's output.
    pub(crate) fn widest(&self) -> usize {
        self.layers
            .iter()
            .take(self.depth)
            .map(|l| l.units)
            .fold(self.inputs, usize::max)
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::{microprop_dense, microprop_maxout};
    use microprop::ActivationKind;

    #[test]
    fn decodes_checks_and_measures_the_list() {
        let layers = [
            microprop_maxout(9, 3),
            microprop_dense(4, ActivationKind::Tanh.code()),
        ];
        let list = LayerList::new(5, &layers).unwrap();
        let topology = list.topology().unwrap();
        assert_eq!(topology.depth(), 2);
        assert_eq!(topology.params_len(), 6 * 9 * 3 + 10 * 4);
        assert_eq!(2 * list.widest(), topology.scratch_len());
        assert_eq!(LayerList::new(0, &layers).err(), Some(Status::InvalidLayer));
        assert_eq!(LayerList::new(5, &[]).err(), Some(Status::InvalidLayer));
        let many = [microprop_dense(2, 0); MICROPROP_MAX_LAYERS + 1];
        assert_eq!(LayerList::new(5, &many).err(), Some(Status::TooManyLayers));
    }
}
