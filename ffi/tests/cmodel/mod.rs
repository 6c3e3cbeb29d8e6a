//! A model built through the C API with every buffer in a Rust `Vec`,
//! shared by the bit-for-bit tests (`same_bits.rs`, `backbone_bits.rs`);
//! each adds the calls it drives the model with.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use microprop_ffi::{
    Buffers, Config, Model, Sizes, Status, microprop_buffer_sizes, microprop_model_init,
};

/// A model built and driven through the C API.
pub struct CModel {
    pub model: Box<Model>,
    pub params: Vec<f32>,
    pub state: Vec<f32>,
    // Kept alive: the model points at them.
    _gradients: Vec<f32>,
    _cache: Vec<f32>,
    _scratch: Vec<f32>,
    _winners: Vec<u8>,
    _scratch_winners: Vec<u8>,
}

impl CModel {
    /// A model of `config` (which must be valid), and its buffer sizes.
    pub fn new(config: &Config) -> (CModel, Sizes) {
        let mut sizes = Sizes::default();
        // SAFETY: a valid config and output.
        let status = unsafe { microprop_buffer_sizes(config, &mut sizes) };
        assert_eq!(status, Status::Ok);
        let mut m = CModel {
            model: Box::default(),
            params: vec![0.0; sizes.params],
            state: vec![0.0; sizes.optimizer_state],
            _gradients: vec![0.0; sizes.gradients],
            _cache: vec![0.0; sizes.cache],
            _scratch: vec![0.0; sizes.scratch],
            _winners: vec![0; sizes.winners],
            _scratch_winners: vec![0; sizes.scratch_winners],
        };
        let buffers = Buffers {
            params: m.params.as_mut_ptr(),
            params_len: m.params.len(),
            gradients: m._gradients.as_mut_ptr(),
            gradients_len: m._gradients.len(),
            optimizer_state: m.state.as_mut_ptr(),
            optimizer_state_len: m.state.len(),
            cache: m._cache.as_mut_ptr(),
            cache_len: m._cache.len(),
            scratch: m._scratch.as_mut_ptr(),
            scratch_len: m._scratch.len(),
            winners: m._winners.as_mut_ptr(),
            winners_len: m._winners.len(),
            scratch_winners: m._scratch_winners.as_mut_ptr(),
            scratch_winners_len: m._scratch_winners.len(),
        };
        // SAFETY: the buffers live as long as the model (same struct) and
        // are used only through it.
        let status = unsafe { microprop_model_init(&mut *m.model, config, &buffers) };
        assert_eq!(status, Status::Ok);
        (m, sizes)
    }
}
