#![doc = include_str!("../README.md")]

mod arrays;
mod backbone;
mod blob;
mod error;
mod model;
mod names;
mod optim;
mod params;
mod run;

use pyo3::prelude::*;

pub use backbone::Backbone;
pub use error::MicropropError;
pub use model::Model;
pub use optim::{AdaGrad, Adam, Momentum, RmsProp, Sgd, adamw};

/// What runs the hot loops: e.g. `"avx512 (run-time dispatch)"` or
/// `"built-in, tile 32"` (`microprop_host::active`). The kernels are
/// chosen once, when the module is imported; every choice computes the
/// same bits.
#[pyfunction]
pub fn kernels() -> String {
    microprop_host::active()
}

/// microprop: train multilayer perceptrons with the bits of the
/// microcontroller library. See `help(microprop.Model)` and
/// `help(microprop.Backbone)`.
#[pymodule]
#[pyo3(name = "microprop")]
fn microprop_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The AVX2 / AVX-512 copies of the kernels (same bits as the built-in
    // ones), once per process.
    microprop_host::init();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "CHECKPOINT_FORMAT_VERSION",
        microprop::checkpoint::FORMAT_VERSION,
    )?;
    m.add("MicropropError", m.py().get_type::<MicropropError>())?;
    m.add_class::<Model>()?;
    m.add_class::<Backbone>()?;
    m.add_class::<Sgd>()?;
    m.add_class::<Momentum>()?;
    m.add_class::<AdaGrad>()?;
    m.add_class::<RmsProp>()?;
    m.add_class::<Adam>()?;
    m.add_function(wrap_pyfunction!(adamw, m)?)?;
    m.add_function(wrap_pyfunction!(kernels, m)?)?;
    Ok(())
}
