//! `microprop.Model`: a run-time-shaped network with its loss, optimizer
//! and training state, owned by Python.

use microprop::dynamic::{LayerSpec, LossKind, Network, Topology};
use microprop::{DecayedSgd, EpochStats, Error};
use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{IntoPyArray, PyArrayDyn};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::arrays::{self, FloatArray, TargetArray};
use crate::blob;
use crate::error;
use crate::names;
use crate::optim::Choice;
use crate::params;
use crate::run::{self, Data, Fit, Settings, State, Target};

/// A multilayer perceptron whose layer list is given at run time, trained
/// by microprop's run-time front end (`microprop::dynamic`): the same
/// kernels, losses and optimizers, in the same order, as the Rust library
/// and the firmware, so the same run gives the same bits.
///
/// ```python
/// import numpy as np, microprop as mp
/// model = mp.Model([64, (32, "tanh"), (10, "identity")],
///                  loss="softmax_cross_entropy", optimizer=mp.Adam(), seed=7)
/// report = model.fit(x, y, lr=0.01, batch_size=16, epochs=5, shuffle_seed=1)
/// model.evaluate(x_test, y_test)   # {'loss': ..., 'accuracy': ..., 'rows': ...}
/// ```
///
/// Layers: the first entry is the input width; then per layer `units`
/// (identity), `(units, activation)`, `(units, "leaky_relu", slope)`,
/// `(units, "elu", alpha)` or `(units, "maxout", pieces)`. Activations:
/// identity, sigmoid, tanh, relu, leaky_relu (slope 0.1), elu (alpha 1.0),
/// softmax. Losses: `"mse"`, `"softmax_cross_entropy"` (integer labels,
/// identity output), `"sigmoid_bce"` (targets in [0, 1], identity output),
/// `"soft_target_cross_entropy"` (one probability row per row, identity
/// output), `"binary_cross_entropy"` (targets in [0, 1], sigmoid output).
///
/// The weights are drawn at construction with `init` from `seed`
/// (`Model.init` draws them again). Arrays go in as float32 numpy arrays:
/// C-contiguous ones are read in place, others copied; no other dtype is
/// converted silently. Any refused operation raises and leaves the model
/// as it was.
#[pyclass(module = "microprop")]
#[derive(Debug, Clone)]
pub struct Model {
    inputs: usize,
    layers: Vec<LayerSpec>,
    loss: LossKind,
    optimizer: Choice,
    params: Vec<f32>,
    optimizer_state: Vec<f32>,
    steps: u32,
}

impl Model {
    /// A model of this shape with zero parameters and a fresh optimizer.
    fn zeroed(
        inputs: usize,
        layers: Vec<LayerSpec>,
        loss: LossKind,
        optimizer: Choice,
    ) -> PyResult<Self> {
        let topology = Topology::new(inputs, &layers).map_err(error::core)?;
        if let Some(last) = layers.last() {
            loss.check_output(last.activation).map_err(|e| {
                let needs = match loss {
                    LossKind::BinaryCrossEntropy => {
                        "a sigmoid output layer (it takes probabilities)"
                    }
                    LossKind::SigmoidBinaryCrossEntropy => {
                        "an identity output layer (it applies the sigmoid itself)"
                    }
                    _ => "an identity output layer (it applies the softmax itself)",
                };
                error::refused(format!(
                    "{e}: {} takes {needs}, not {}",
                    names::loss_name(loss),
                    last.activation.name()
                ))
            })?;
        }
        let params = vec![0.0; topology.params_len()];
        let optimizer_state = vec![0.0; optimizer.state_buffers() * params.len()];
        Ok(Model {
            inputs,
            layers,
            loss,
            optimizer,
            params,
            optimizer_state,
            steps: 0,
        })
    }

    /// The checked shape (checked at construction, so this cannot fail).
    fn topology(&self) -> PyResult<Topology<'_>> {
        Topology::new(self.inputs, &self.layers).map_err(error::core)
    }

    fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.units)
    }

    /// The targets `y` of `rows` rows, in the form the loss takes.
    fn targets<'py>(&self, y: &Bound<'py, PyAny>, rows: usize) -> PyResult<TargetArray<'py>> {
        match self.loss {
            LossKind::SoftmaxCrossEntropy => Ok(TargetArray::Labels(arrays::labels(
                y,
                rows,
                self.outputs(),
            )?)),
            _ => Ok(TargetArray::Values(arrays::values(
                y,
                rows,
                self.outputs(),
            )?)),
        }
    }

    /// The rows of `x` (2-D, `inputs` wide) and their number.
    fn inputs_of<'py>(&self, x: &Bound<'py, PyAny>) -> PyResult<(FloatArray<'py>, usize)> {
        let (x, _) = arrays::rows(x, "x", self.inputs, false)?;
        let rows = x.shape.first().copied().unwrap_or(0);
        if rows == 0 {
            return Err(error::core(Error::EmptyBatch));
        }
        Ok((x, rows))
    }

    fn reset_training(&mut self) {
        self.optimizer_state = vec![0.0; self.optimizer.state_buffers() * self.params.len()];
        self.steps = 0;
    }

    fn to_blob(&self, training: bool) -> PyResult<Vec<u8>> {
        let topology = Topology::new(self.inputs, &self.layers).map_err(error::core)?;
        let optimizer = training.then_some((self.optimizer_state.as_slice(), self.steps));
        // `Network` borrows its parameters mutably; encode a copy.
        let mut params = self.params.clone();
        blob::encode(topology, &mut params, optimizer).map_err(error::checkpoint)
    }
}

/// A `{"loss", "accuracy", "rows"}` dictionary of one pass's statistics.
fn stats_dict<'py>(py: Python<'py>, stats: &EpochStats) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("loss", stats.mean_loss())?;
    dict.set_item("accuracy", stats.accuracy())?;
    dict.set_item("rows", stats.rows)?;
    Ok(dict)
}

#[pymethods]
impl Model {
    /// `Model(layers, loss, optimizer=SGD(), seed=0, init="xavier")`.
    #[new]
    #[pyo3(signature = (layers, loss, optimizer = None, seed = 0, init = None))]
    fn new(
        layers: &Bound<'_, PyAny>,
        loss: &str,
        optimizer: Option<&Bound<'_, PyAny>>,
        seed: u64,
        init: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let (inputs, layers) = names::layers(layers)?;
        let loss = names::loss(loss)?;
        let optimizer = optimizer.map_or(
            Ok(Choice::Sgd(DecayedSgd { weight_decay: 0.0 })),
            Choice::from_object,
        )?;
        let mut model = Model::zeroed(inputs, layers, loss, optimizer)?;
        let scheme = init.map_or(Ok(microprop::Init::Xavier), names::init)?;
        model.draw(seed, scheme)?;
        Ok(model)
    }

    /// Draws every weight again from `scheme` with `seed` (biases zero),
    /// exactly as the Rust `Network::init` with `init::seeded(seed)`, and
    /// starts training afresh (optimizer state and step count zero).
    /// Schemes: `"xavier"` (N(0, 1/fan_in)), `"glorot_uniform"`,
    /// `"glorot_normal"`, `"he_normal"`, `"he_uniform"`,
    /// `("constant", value)`, `("normal", mean, std)`, `("uniform", limit)`.
    #[pyo3(signature = (seed, scheme = None))]
    fn init(&mut self, seed: u64, scheme: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let scheme = scheme.map_or(Ok(microprop::Init::Xavier), names::init)?;
        self.draw(seed, scheme)
    }

    /// Input width.
    #[getter]
    fn inputs(&self) -> usize {
        self.inputs
    }

    /// Output width.
    #[getter(outputs)]
    fn output_width(&self) -> usize {
        self.outputs()
    }

    /// The layer list, in the form the constructor takes.
    #[getter]
    fn layers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, names::layers_object(py, self.inputs, &self.layers)?)
    }

    /// The loss: `"mse"`, `"softmax_cross_entropy"` or `"sigmoid_bce"`.
    #[getter]
    fn loss(&self) -> &'static str {
        names::loss_name(self.loss)
    }

    /// The optimizer. Setting one of another kind (or with another state
    /// size) clears the optimizer state and the step count; setting the
    /// same kind with other hyperparameters keeps them.
    #[getter]
    fn optimizer(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.optimizer.to_object(py)
    }

    #[setter(optimizer)]
    fn set_optimizer(&mut self, optimizer: &Bound<'_, PyAny>) -> PyResult<()> {
        let choice = Choice::from_object(optimizer)?;
        let keep = choice.same_kind(self.optimizer);
        self.optimizer = choice;
        if !keep {
            self.reset_training();
        }
        Ok(())
    }

    /// Optimizer steps taken (Adam's bias correction counts them).
    #[getter]
    fn steps(&self) -> u32 {
        self.steps
    }

    /// Number of parameters (weights and biases).
    #[getter]
    fn param_count(&self) -> usize {
        self.params.len()
    }

    /// A copy of the optimizer state: its parameter-sized parts back to
    /// back (empty for SGD; Adam: first moments, then second moments).
    #[getter]
    fn optimizer_state<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArray1<f32>> {
        self.optimizer_state.clone().into_pyarray(py)
    }

    /// Clears the optimizer state and the step count (keeps the weights).
    fn reset_optimizer(&mut self) {
        self.reset_training();
    }

    /// Trains on `x` (float32, shape `(n, inputs)`) and `y` (int labels of
    /// shape `(n,)` for softmax cross-entropy; float32 `(n, outputs)`, or
    /// `(n,)` for one output, otherwise) and returns
    /// `{"loss": [...], "accuracy": [...] or None, "epochs": e, "steps": s, "rows": r}`
    /// (per-epoch mean loss and accuracy of the rows trained on).
    ///
    /// Each step takes `batch_size` rows (the last one of an epoch the
    /// rest) and applies their mean gradient with learning rate `lr`. Epoch
    /// `e` visits the rows in the order `Permutation(n, shuffle_seed ^ (e << 32))`
    /// of the Rust `fit` (data order without a seed). It stops after
    /// `epochs` epochs or `steps` steps, whichever comes first (one epoch
    /// if neither is given). `clip_norm` clips each mean gradient to that
    /// global L2 norm. The optimizer state and step count carry over from
    /// call to call.
    ///
    /// Everything is checked before the first step; a step microprop
    /// refuses (e.g. a non-finite gradient) raises `MicropropError` and
    /// restores the model to what it was before this call.
    #[pyo3(signature = (x, y, *, lr, batch_size = 32, epochs = None, steps = None, shuffle_seed = None, clip_norm = None))]
    #[allow(clippy::too_many_arguments)]
    fn fit<'py>(
        &mut self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        y: &Bound<'py, PyAny>,
        lr: f32,
        batch_size: usize,
        epochs: Option<u32>,
        steps: Option<u32>,
        shuffle_seed: Option<u64>,
        clip_norm: Option<f32>,
    ) -> PyResult<Bound<'py, PyDict>> {
        if !(lr.is_finite() && lr >= 0.0) {
            return Err(error::core(Error::InvalidLearningRate));
        }
        if batch_size == 0 {
            return Err(PyValueError::new_err("batch_size must be at least 1"));
        }
        if clip_norm.is_some_and(|c| !(c.is_finite() && c > 0.0)) {
            return Err(PyValueError::new_err(
                "clip_norm must be finite and positive",
            ));
        }
        let (x, rows) = self.inputs_of(x)?;
        let targets = self.targets(y, rows)?;
        let target = match &targets {
            TargetArray::Labels(labels) => Target::Labels(labels),
            TargetArray::Values(values) => Target::Values(values.values.as_slice()),
        };
        let settings = Settings {
            lr,
            batch: batch_size,
            epochs,
            steps,
            shuffle: shuffle_seed,
            clip: clip_norm,
        };
        let before = (
            self.params.clone(),
            self.optimizer_state.clone(),
            self.steps,
        );
        let topology = Topology::new(self.inputs, &self.layers).map_err(error::core)?;
        let fit = Fit {
            topology,
            loss: self.loss,
            state: State {
                params: &mut self.params,
                optimizer_state: &mut self.optimizer_state,
                steps: &mut self.steps,
            },
            data: Data {
                x: x.values.as_slice(),
                rows,
                target,
            },
            settings,
        };
        let report = match self.optimizer.visit(fit) {
            Ok(report) => report,
            Err(failure) => {
                (self.params, self.optimizer_state, self.steps) = before;
                return Err(error::refused(format!(
                    "{} (epoch {}, after {} steps of this fit); the model is as it was before fit()",
                    failure.error, failure.epoch, failure.step
                )));
            }
        };
        let dict = PyDict::new(py);
        let losses: Vec<f32> = report.epochs.iter().map(EpochStats::mean_loss).collect();
        let accuracy: Option<Vec<f32>> = report.epochs.iter().map(EpochStats::accuracy).collect();
        dict.set_item("loss", losses)?;
        dict.set_item("accuracy", accuracy)?;
        dict.set_item("epochs", report.epochs.len())?;
        dict.set_item("steps", report.steps)?;
        dict.set_item(
            "rows",
            report.epochs.iter().map(|e| u64::from(e.rows)).sum::<u64>(),
        )?;
        Ok(dict)
    }

    /// Mean loss and accuracy (`None` for MSE) over `x`, `y` (shapes as
    /// for `fit`): `{"loss": ..., "accuracy": ..., "rows": n}`. Changes
    /// nothing.
    fn evaluate<'py>(
        &mut self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        y: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (x, rows) = self.inputs_of(x)?;
        let targets = self.targets(y, rows)?;
        let target = match &targets {
            TargetArray::Labels(labels) => Target::Labels(labels),
            TargetArray::Values(values) => Target::Values(values.values.as_slice()),
        };
        let topology = Topology::new(self.inputs, &self.layers).map_err(error::core)?;
        let data = Data {
            x: x.values.as_slice(),
            rows,
            target,
        };
        let stats =
            run::evaluate(topology, self.loss, &mut self.params, data).map_err(error::core)?;
        stats_dict(py, &stats)
    }

    /// The network's outputs for `x`: float32 `(n, outputs)` for `x` of
    /// shape `(n, inputs)`, `(outputs,)` for one row of shape `(inputs,)`.
    /// For the fused losses these are logits (softmax or sigmoid not
    /// applied).
    fn predict<'py>(
        &mut self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let (x, one) = arrays::rows(x, "x", self.inputs, true)?;
        let rows = if one { 1 } else { x.shape[0] };
        let outputs = self.outputs();
        let topology = Topology::new(self.inputs, &self.layers).map_err(error::core)?;
        let out = run::predict(topology, &mut self.params, x.values.as_slice(), rows)
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

    /// The predicted class of each row of `x`: the index of the largest
    /// output (ties: the first), int64 `(n,)`, or an int for one row.
    fn classify<'py>(&mut self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Py<PyAny>> {
        let (x, one) = arrays::rows(x, "x", self.inputs, true)?;
        let rows = if one { 1 } else { x.shape[0] };
        let outputs = self.outputs();
        let topology = Topology::new(self.inputs, &self.layers).map_err(error::core)?;
        let out = run::predict(topology, &mut self.params, x.values.as_slice(), rows)
            .map_err(error::core)?;
        let classes: Vec<i64> = out
            .chunks(outputs.max(1))
            .map(|row| microprop::argmax(row) as i64)
            .collect();
        if one {
            Ok(classes[0].into_pyobject(py)?.into_any().unbind())
        } else {
            Ok(classes.into_pyarray(py).into_any().unbind())
        }
    }

    /// The parameters as Flower's `NDArrays`: a list of float32 arrays
    /// (copies), per layer its weights then its biases. A dense layer's
    /// weights have shape `(inputs, units)` (`y = x @ W + b`), its biases
    /// `(units,)`; a maxout layer's weights `(units, pieces, inputs)`, its
    /// biases `(units, pieces)`.
    fn get_weights<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyArrayDyn<f32>>>> {
        params::to_blocks(py, self.inputs, &self.layers, &self.params)
    }

    /// Sets every parameter from a list of float32 arrays in the order and
    /// shapes of `get_weights` (e.g. FedAvg's aggregate). All arrays are
    /// checked (count, dtype, shape, finiteness) before any is written.
    /// The optimizer state and step count are kept.
    fn set_weights(&mut self, weights: &Bound<'_, PyAny>) -> PyResult<()> {
        let checked = params::checked_blocks(self.inputs, &self.layers, weights, "model")?;
        for ((offset, _), array) in run::blocks(self.inputs, &self.layers).iter().zip(&checked) {
            let values = array.values.as_slice();
            self.params[*offset..offset + values.len()].copy_from_slice(values);
        }
        Ok(())
    }

    /// The shapes `get_weights` returns, as tuples.
    fn weight_shapes<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        run::blocks(self.inputs, &self.layers)
            .into_iter()
            .map(|(_, shape)| PyTuple::new(py, shape))
            .collect()
    }

    /// Every parameter in one float32 array (a copy), in checkpoint order:
    /// the arrays of `get_weights`, flattened and joined.
    fn get_params<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArray1<f32>> {
        self.params.clone().into_pyarray(py)
    }

    /// Sets every parameter from one float32 array of `param_count`
    /// values in `get_params` order (checked before anything is written).
    fn set_params(&mut self, params: &Bound<'_, PyAny>) -> PyResult<()> {
        let array = params::flat(params, self.params.len(), "model")?;
        let values = array.values.as_slice();
        self.params.copy_from_slice(values);
        Ok(())
    }

    /// The model as a microprop checkpoint (`bytes`): the parameters, and
    /// with `training` the optimizer state and step count too. The same
    /// bytes `microprop::checkpoint::save_network` (`save_network_training`)
    /// and the typed `checkpoint::save` (`save_training`) write.
    #[pyo3(signature = (training = false))]
    fn to_bytes<'py>(&self, py: Python<'py>, training: bool) -> PyResult<Bound<'py, PyBytes>> {
        let blob = self.to_blob(training)?;
        Ok(PyBytes::new(py, &blob))
    }

    /// Writes `to_bytes(training)` to `path`.
    #[pyo3(signature = (path, training = false))]
    fn save(&self, path: &Bound<'_, PyAny>, training: bool) -> PyResult<()> {
        let blob = self.to_blob(training)?;
        blob::write(path, &blob)
    }

    /// Loads the parameters of a checkpoint (bytes or a path) saved by any
    /// microprop `save` function (the simulator's model checkpoints too)
    /// for this layer list. The optimizer state and step count are kept.
    /// A checkpoint for another network, or a damaged one, raises
    /// `MicropropError` and changes nothing.
    fn load_weights(&mut self, source: &Bound<'_, PyAny>) -> PyResult<()> {
        let data = blob::read(source)?;
        let topology = Topology::new(self.inputs, &self.layers).map_err(error::core)?;
        let mut net = Network::new(topology, &mut self.params).map_err(error::core)?;
        microprop::checkpoint::load_network(&mut net, &data).map_err(error::checkpoint)
    }

    /// Loads parameters, optimizer state and step count from a training
    /// checkpoint (`to_bytes(training=True)`, the Rust `save_training`)
    /// saved with an optimizer of the same state size; training then
    /// resumes exactly. Changes nothing on error.
    fn load_training(&mut self, source: &Bound<'_, PyAny>) -> PyResult<()> {
        let data = blob::read(source)?;
        let topology = Topology::new(self.inputs, &self.layers).map_err(error::core)?;
        let mut net = Network::new(topology, &mut self.params).map_err(error::core)?;
        microprop::checkpoint::load_network_training(
            &mut net,
            &mut self.optimizer_state,
            &mut self.steps,
            &data,
        )
        .map_err(error::checkpoint)
    }

    /// A model built from a checkpoint's layer list, with its parameters.
    /// If the checkpoint holds optimizer state and `optimizer` is given,
    /// that state and the step count are restored too (the optimizer must
    /// have the saved state size). The loss is not stored in checkpoints.
    #[staticmethod]
    #[pyo3(signature = (source, loss, optimizer = None))]
    fn load(
        source: &Bound<'_, PyAny>,
        loss: &str,
        optimizer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Model> {
        let data = blob::read(source)?;
        let (inputs, layers) = blob::layers(&data).map_err(error::checkpoint)?;
        let restore_state = optimizer.is_some() && blob::holds_optimizer_state(&data);
        let choice = optimizer.map_or(
            Ok(Choice::Sgd(DecayedSgd { weight_decay: 0.0 })),
            Choice::from_object,
        )?;
        let mut model = Model::zeroed(inputs, layers, names::loss(loss)?, choice)?;
        let topology = Topology::new(model.inputs, &model.layers).map_err(error::core)?;
        let mut net = Network::new(topology, &mut model.params).map_err(error::core)?;
        if restore_state {
            microprop::checkpoint::load_network_training(
                &mut net,
                &mut model.optimizer_state,
                &mut model.steps,
                &data,
            )
        } else {
            microprop::checkpoint::load_network(&mut net, &data)
        }
        .map_err(error::checkpoint)?;
        Ok(model)
    }

    /// Bytes of `to_bytes(training)`.
    #[pyo3(signature = (training = false))]
    fn checkpoint_size(&self, training: bool) -> PyResult<usize> {
        let topology = self.topology()?;
        Ok(microprop::checkpoint::network_len(
            &topology,
            training.then_some(self.optimizer_state.len()),
        ))
    }

    /// An independent copy (weights, optimizer and its state).
    fn copy(&self) -> Model {
        self.clone()
    }

    fn __copy__(&self) -> Model {
        self.clone()
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> Model {
        self.clone()
    }

    /// Pickling (e.g. to send a model to a Ray worker): rebuilt by
    /// `Model.load` from a training checkpoint, with the loss and
    /// optimizer.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let load = py.get_type::<Model>().getattr("load")?;
        let model = slf.borrow();
        let blob = PyBytes::new(py, &model.to_blob(true)?);
        let loss = names::loss_name(model.loss);
        let optimizer = model.optimizer.to_object(py)?;
        let args = PyTuple::new(
            py,
            [
                blob.into_any(),
                loss.into_pyobject(py)?.into_any(),
                optimizer.into_bound(py),
            ],
        )?;
        Ok((load, args))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let layers = PyList::new(py, names::layers_object(py, self.inputs, &self.layers)?)?;
        let optimizer = self.optimizer.to_object(py)?;
        Ok(format!(
            "Model({}, loss='{}', optimizer={}, steps={})",
            layers.repr()?,
            names::loss_name(self.loss),
            optimizer.bind(py).repr()?,
            self.steps
        ))
    }
}

impl Model {
    /// Number of layers.
    pub(crate) fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// The input width, the first `depth` layers and their parameters (a
    /// copy), if the model has that many layers.
    pub(crate) fn front(&self, depth: usize) -> Option<(usize, Vec<LayerSpec>, Vec<f32>)> {
        let layers = self.layers.get(..depth)?.to_vec();
        let count = Topology::new(self.inputs, &layers).ok()?.params_len();
        Some((self.inputs, layers, self.params.get(..count)?.to_vec()))
    }

    /// Draws the weights from `scheme` with `seed` and clears the training
    /// state.
    fn draw(&mut self, seed: u64, scheme: microprop::Init) -> PyResult<()> {
        let topology = Topology::new(self.inputs, &self.layers).map_err(error::core)?;
        let mut net = Network::new(topology, &mut self.params).map_err(error::core)?;
        net.init(scheme, &mut microprop::init::seeded(seed));
        self.reset_training();
        Ok(())
    }
}
