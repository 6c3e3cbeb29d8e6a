#![doc = include_str!("../README.md")]
#![no_std]

// Host builds (the C test, the Rust tests) link std, which brings the panic
// handler a staticlib needs; bare-metal builds get the one below.
#[cfg(not(target_os = "none"))]
extern crate std;

mod backbone;
mod checkpoint;
mod config;
mod flash;
mod layers;
mod model;
mod order;
mod plan;
mod raw;
mod status;

pub use backbone::{
    Backbone, BackboneBuffers, BackboneConfig, BackboneSizes, microprop_backbone_buffer_sizes,
    microprop_backbone_features, microprop_backbone_init,
};
pub use checkpoint::{
    microprop_checkpoint_layers, microprop_checkpoint_load, microprop_checkpoint_save,
};
pub use config::{
    Activation, Config, CustomSchedule, InitConfig, InitKind, Layer, Loss, MICROPROP_MAX_LAYERS,
    OptimizerConfig, OptimizerKind, ScheduleConfig, ScheduleKind, microprop_adagrad,
    microprop_adam, microprop_adamw, microprop_dense, microprop_dense_with, microprop_maxout,
    microprop_momentum, microprop_rmsprop, microprop_schedule_constant, microprop_schedule_cosine,
    microprop_schedule_custom, microprop_schedule_exponential, microprop_schedule_polynomial,
    microprop_schedule_step, microprop_sgd,
};
pub use flash::{
    Flash, FlashErase, FlashRead, FlashWrite, microprop_flash_load, microprop_flash_save,
};
pub use model::{
    Buffers, Digest, MICROPROP_DIGEST_ENDS, Model, Stats, microprop_buffer_sizes,
    microprop_buffers_from_arena, microprop_classify, microprop_evaluate_labels,
    microprop_evaluate_values, microprop_init_weights, microprop_learning_rate,
    microprop_model_init, microprop_predict, microprop_reset_training, microprop_set_params,
    microprop_steps, microprop_train_labels, microprop_train_values, microprop_weights_digest,
};
pub use order::{microprop_epoch_seed, microprop_shuffle_index};
pub use plan::{MICROPROP_FLASH_ALIGN, Sizes};
pub use status::{Status, microprop_error_message};

/// Bare metal: a panic (there is no reachable one: `ffi/nopanic.sh`
/// proves it by linking) ends in a permanent undefined instruction, which
/// the C firmware's HardFault handler sees.
#[cfg(all(target_os = "none", not(microprop_ffi_nopanic)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        #[cfg(target_arch = "arm")]
        // SAFETY: `udf` only raises the undefined-instruction fault; it
        // reads and writes no memory.
        unsafe {
            core::arch::asm!("udf #0", options(nomem, nostack))
        };
        #[cfg(not(target_arch = "arm"))]
        core::hint::spin_loop();
    }
}

/// The link-time proof (`ffi/nopanic.sh`): the handler calls a symbol that
/// exists nowhere, so the C link fails if any exported function can reach
/// a panic.
#[cfg(all(target_os = "none", microprop_ffi_nopanic))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    unsafe extern "C" {
        fn microprop_ffi_panic_path_reachable() -> !;
    }
    // SAFETY: never runs: linking fails unless no panic path is reachable.
    unsafe { microprop_ffi_panic_path_reachable() }
}
