//! `microprop.Backbone`: the frozen front layers of a pretrained network,
//! for head-only fine-tuning (`microprop::dynamic::Backbone`).

use microprop::dynamic::{Backbone as CoreBackbone, LayerSpec, Topology};
use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{IntoPyArray, PyArrayDyn, PyUntypedArray};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::arrays;
use crate::error;
use crate::model::Model;
use crate::names;
use crate::params;

/// The frozen front of a pretrained network: a layer list and its
/// parameters, which nothing can change. `features(x)` maps rows to the
/// inputs of a trainable head, an ordinary `Model` whose input width is
/// the backbone's `outputs`: training the head on them is head-only
/// fine-tuning, with the bits of the same layers frozen in front of the
/// head in one network (microprop's `Frozen` front, or
/// `dynamic::Backbone` on a device).
///
/// ```python
/// import microprop as mp
/// pretrained = mp.Model([64, (32, "tanh"), (10, "identity")],
///                       loss="softmax_cross_entropy", seed=7)
/// pretrained.fit(x_old, y_old, lr=0.05, batch_size=16, epochs=5)
/// backbone = mp.Backbone.from_model(pretrained, layers=1)    # 64 -> 32, frozen
/// head = mp.Model([backbone.outputs, (10, "identity")],
///                 loss="softmax_cross_entropy", optimizer=mp.Adam())
/// head.set_weights(pretrained.get_weights()[2:])             # start from the pretrained head
/// head.fit(backbone.features(x_new), y_new, lr=0.01, batch_size=16, epochs=3)
/// ```
///
/// `Backbone(layers, weights)` builds one from a layer list (as `Model`
/// takes it) and its parameters: a list of float32 arrays in the order
/// and shapes of `Model.get_weights`, or one float32 array of
/// `param_count` values in `Model.get_params` order. Everything is
/// checked (shapes, dtype, NaN and infinity) and copied: changing the
/// arrays afterwards does not change the backbone.
#[pyclass(module = "microprop", frozen)]
#[derive(Debug, Clone)]
pub struct Backbone {
    inputs: usize,
    layers: Vec<LayerSpec>,
    params: Vec<f32>,
}

impl Backbone {
    /// The checked shape (checked at construction, so this cannot fail).
    fn topology(&self) -> PyResult<Topology<'_>> {
        Topology::new(self.inputs, &self.layers).map_err(error::core)
    }
}

#[pymethods]
impl Backbone {
    /// `Backbone(layers, weights)`.
    #[new]
    fn new(layers: &Bound<'_, PyAny>, weights: &Bound<'_, PyAny>) -> PyResult<Self> {
        let (inputs, layers) = names::layers(layers)?;
        let count = Topology::new(inputs, &layers)
            .map_err(error::core)?
            .params_len();
        let params = if weights.cast::<PyUntypedArray>().is_ok() {
            params::flat(weights, count, "backbone")?
                .values
                .as_slice()
                .to_vec()
        } else {
            params::from_blocks(inputs, &layers, count, weights, "backbone")?
        };
        Ok(Backbone {
            inputs,
            layers,
            params,
        })
    }

    /// The first `layers` layers of `model`, with a copy of their
    /// parameters (training the model further does not change the
    /// backbone).
    #[staticmethod]
    fn from_model(model: PyRef<'_, Model>, layers: usize) -> PyResult<Backbone> {
        let depth = model.layer_count();
        if layers == 0 || layers > depth {
            return Err(PyValueError::new_err(format!(
                "layers={layers}: a backbone takes 1 to {depth} of this model's {depth} layers"
            )));
        }
        let (inputs, layers, params) = model
            .front(layers)
            .ok_or_else(|| PyValueError::new_err("the model's front layers are not valid"))?;
        Ok(Backbone {
            inputs,
            layers,
            params,
        })
    }

    /// The outputs of the backbone for `x`: float32 `(n, outputs)` for `x`
    /// of shape `(n, inputs)`, `(outputs,)` for one row of shape
    /// `(inputs,)`. float32 only (another dtype is a `TypeError`); a NaN or
    /// infinity raises `MicropropError` naming its row.
    fn features<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let (x, one) = arrays::rows(x, "x", self.inputs, true)?;
        let rows = if one { 1 } else { x.shape[0] };
        let topology = self.topology()?;
        let outputs = topology.outputs();
        let backbone = CoreBackbone::new(topology, &self.params).map_err(error::core)?;
        let mut out = vec![0.0; rows * outputs];
        let mut scratch = vec![0.0; topology.scratch_len()];
        let mut winners = vec![0; topology.scratch_winners_len()];
        backbone
            .features(x.values.as_slice(), &mut scratch, &mut winners, &mut out)
            .map_err(error::core)?;
        let shape = if one {
            vec![outputs]
        } else {
            vec![rows, outputs]
        };
        let array = ArrayD::from_shape_vec(IxDyn(&shape), out)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(array.into_pyarray(py))
    }

    /// Input width.
    #[getter]
    fn inputs(&self) -> usize {
        self.inputs
    }

    /// Output width: the input width of the head.
    #[getter]
    fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.units)
    }

    /// The layer list, in the form the constructor takes.
    #[getter]
    fn layers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, names::layers_object(py, self.inputs, &self.layers)?)
    }

    /// Number of parameters (weights and biases).
    #[getter]
    fn param_count(&self) -> usize {
        self.params.len()
    }

    /// The parameters as a list of float32 arrays (copies), as
    /// `Model.get_weights` gives them.
    fn get_weights<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyArrayDyn<f32>>>> {
        params::to_blocks(py, self.inputs, &self.layers, &self.params)
    }

    /// Every parameter in one float32 array (a copy), in `Model.get_params`
    /// order: the values a C or Rust device's backbone reads (its
    /// `const float` array in flash).
    fn get_params<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArray1<f32>> {
        self.params.clone().into_pyarray(py)
    }

    /// The shapes `get_weights` returns, as tuples.
    fn weight_shapes<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        crate::run::blocks(self.inputs, &self.layers)
            .into_iter()
            .map(|(_, shape)| PyTuple::new(py, shape))
            .collect()
    }

    /// Pickling: rebuilt from the layer list and the parameters.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let backbone = slf.get();
        let layers = backbone.layers(py)?;
        let params = backbone.get_params(py);
        let args = PyTuple::new(py, [layers.into_any(), params.into_any()])?;
        Ok((py.get_type::<Backbone>().into_any(), args))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Backbone({}, param_count={})",
            self.layers(py)?.repr()?,
            self.params.len()
        ))
    }
}
