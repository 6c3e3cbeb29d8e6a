//! A network as the format sees it: a const-generic [`Layer`], a run-time
//! [`Network`], or a run-time [`Backbone`] with the head trained on it.

use crate::dynamic::{Backbone, Network, Topology};
use crate::layer::{Layer, LayerKind, LayerShape, LayerValues, LayerValuesMut};

/// What the encoder and decoder need of a network: its layers with their
/// shapes (kinds included) and values, front to back.
pub(super) trait Saved {
    /// Number of layers.
    fn depth(&self) -> usize;
    /// 4-byte words of layer data a checkpoint of it holds.
    fn words(&self) -> usize;
    /// Every layer's shape and values.
    fn visit(&self, f: &mut dyn FnMut(LayerShape, LayerValues<'_>));
    /// Every layer whose values can be written.
    fn visit_mut(&mut self, f: &mut dyn FnMut(LayerShape, LayerValuesMut<'_>));
}

impl<N: Layer> Saved for N {
    fn depth(&self) -> usize {
        N::DEPTH
    }
    fn words(&self) -> usize {
        N::STORED_WORDS
    }
    fn visit(&self, f: &mut dyn FnMut(LayerShape, LayerValues<'_>)) {
        self.visit_values(0, f);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(LayerShape, LayerValuesMut<'_>)) {
        self.visit_values_mut(0, f);
    }
}

impl Saved for Network<'_> {
    fn depth(&self) -> usize {
        self.topology().depth()
    }
    fn words(&self) -> usize {
        self.topology().params_len()
    }
    fn visit(&self, f: &mut dyn FnMut(LayerShape, LayerValues<'_>)) {
        visit_flat(&self.topology(), self.params(), 0, LayerKind::Trainable, f);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(LayerShape, LayerValuesMut<'_>)) {
        let topology = self.topology();
        visit_flat_mut(&topology, self.params_mut(), 0, f);
    }
}

/// A run-time [`Backbone`] followed by the head [`Network`] trained on its
/// outputs. The backbone's read-only values are [`LayerKind::Flash`]: a
/// checkpoint holds their CRC-32, as for a const-generic
/// [`Flash`](crate::Flash) backbone.
pub(super) struct FineTuned<'b, H> {
    pub backbone: &'b Backbone<'b>,
    pub head: H,
}

impl<'n, H: AsHead<'n>> Saved for FineTuned<'_, H> {
    fn depth(&self) -> usize {
        self.backbone.topology().depth() + self.head.get().topology().depth()
    }
    fn words(&self) -> usize {
        self.backbone.topology().depth() + self.head.get().topology().params_len()
    }
    fn visit(&self, f: &mut dyn FnMut(LayerShape, LayerValues<'_>)) {
        let front = self.backbone.topology();
        visit_flat(&front, self.backbone.params(), 0, LayerKind::Flash, f);
        let head = self.head.get();
        visit_flat(
            &head.topology(),
            head.params(),
            front.depth(),
            LayerKind::Trainable,
            f,
        );
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(LayerShape, LayerValuesMut<'_>)) {
        let first = self.backbone.topology().depth();
        if let Some(head) = self.head.get_mut() {
            let topology = head.topology();
            visit_flat_mut(&topology, head.params_mut(), first, f);
        }
    }
}

/// The head of a [`FineTuned`]: borrowed to save, mutably to load.
pub(super) trait AsHead<'n> {
    fn get(&self) -> &Network<'n>;
    fn get_mut(&mut self) -> Option<&mut Network<'n>>;
}

impl<'n> AsHead<'n> for &Network<'n> {
    fn get(&self) -> &Network<'n> {
        self
    }
    fn get_mut(&mut self) -> Option<&mut Network<'n>> {
        None
    }
}

impl<'n> AsHead<'n> for &mut Network<'n> {
    fn get(&self) -> &Network<'n> {
        self
    }
    fn get_mut(&mut self) -> Option<&mut Network<'n>> {
        Some(self)
    }
}

/// The layers of `topology` over the flat `params`, numbered from `first`,
/// of kind `kind`.
fn visit_flat(
    topology: &Topology<'_>,
    params: &[f32],
    first: usize,
    kind: LayerKind,
    f: &mut dyn FnMut(LayerShape, LayerValues<'_>),
) {
    let mut rest = params;
    for (shape, placed) in topology.shapes().zip(topology.placed()) {
        let Some((weights, after)) = rest.split_at_checked(placed.weights) else {
            return;
        };
        let Some((bias, after)) = after.split_at_checked(placed.biases) else {
            return;
        };
        rest = after;
        let shape = LayerShape {
            index: first + shape.index,
            kind,
            ..shape
        };
        f(shape, LayerValues::Float { weights, bias });
    }
}

/// Mutable [`visit_flat`] (trainable layers).
fn visit_flat_mut(
    topology: &Topology<'_>,
    params: &mut [f32],
    first: usize,
    f: &mut dyn FnMut(LayerShape, LayerValuesMut<'_>),
) {
    let mut rest = params;
    for (shape, placed) in topology.shapes().zip(topology.placed()) {
        let Some((weights, after)) = rest.split_at_mut_checked(placed.weights) else {
            return;
        };
        let Some((bias, after)) = after.split_at_mut_checked(placed.biases) else {
            return;
        };
        rest = after;
        let shape = LayerShape {
            index: first + shape.index,
            ..shape
        };
        f(shape, LayerValuesMut::Float { weights, bias });
    }
}
