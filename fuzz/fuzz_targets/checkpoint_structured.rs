//! Structure-aware: starts from a valid checkpoint (parameters, training
//! state with Adam, a model with normalisers, or the training state of a
//! fine-tuned network with int8, flash, frozen and bias-only layers), applies the fuzzer's
//! edits (byte writes, u16/u32 field writes, truncation or extension), then
//! by default fixes the length field and the CRC-32 so the blob passes the
//! envelope checks and reaches the header, fingerprint and payload parsing.
#![no_main]

#[path = "common.rs"]
mod common;

use common::{FineOpt, FineTuned, Net, Opt};
use microprop::checkpoint;
use microprop::{Adam, Model, NormalizerFit, Scaling, SoftmaxCrossEntropy};

/// CRC-32 (ISO-HDLC) bit by bit, independent of the core's.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn base(kind: u8) -> Vec<u8> {
    let net = common::net();
    match kind % 4 {
        0 => {
            let mut blob = vec![0u8; checkpoint::params_len::<Net>()];
            checkpoint::save(&net, &mut blob).unwrap();
            blob
        }
        1 => {
            let mut trainer = Box::new(Opt::new(SoftmaxCrossEntropy, Adam::PYTORCH));
            let mut n = net;
            trainer
                .train_step(&mut n, &[[0.1, 0.2, 0.3, 0.4]], &[1], 0.01)
                .unwrap();
            let mut blob = vec![0u8; checkpoint::training_len::<Net, Adam>()];
            checkpoint::save_training(&n, &trainer, &mut blob).unwrap();
            blob
        }
        3 => {
            let mut trainer = Box::new(FineOpt::new(SoftmaxCrossEntropy, Adam::PYTORCH));
            let mut n = common::fine_tuned();
            trainer
                .train_step(&mut n, &[[0.1, 0.2, 0.3, 0.4]], &[1], 0.01)
                .unwrap();
            let mut blob = vec![0u8; checkpoint::training_len::<FineTuned, Adam>()];
            checkpoint::save_training(&n, &trainer, &mut blob).unwrap();
            blob
        }
        _ => {
            let mut model = Model::<Net>::new(net);
            let mut fit = NormalizerFit::<4>::new();
            fit.observe(&[1.0, 2.0, 3.0, 4.0]);
            fit.observe(&[-1.0, 0.0, 5.0, 4.0]);
            model.input = fit.finish(Scaling::Standard);
            let mut blob = vec![0u8; checkpoint::model_len::<Net>()];
            checkpoint::save_model(&model, &mut blob).unwrap();
            blob
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&[kind, mode, resize], edits)) = data.split_first_chunk::<3>() else {
        return;
    };
    let mut blob = base(kind);
    // Each edit: 1 byte op, 2 bytes offset, 4 bytes value.
    for edit in edits.chunks_exact(7) {
        let op = edit[0];
        let at = usize::from(u16::from_le_bytes([edit[1], edit[2]])) % (blob.len() + 1);
        let value = [edit[3], edit[4], edit[5], edit[6]];
        let width = match op % 4 {
            0 => 1,
            1 => 2,
            2 => 4,
            // Small integers where counts live: layer count, widths, lengths.
            _ => {
                let v = u32::from(edit[3] % 16);
                if let Some(dst) = blob.get_mut(at..at + 4) {
                    dst.copy_from_slice(&v.to_le_bytes());
                }
                continue;
            }
        };
        if let Some(dst) = blob.get_mut(at..at + width) {
            dst.copy_from_slice(&value[..width]);
        }
    }
    // Truncate or extend.
    match resize % 4 {
        1 => blob.truncate(blob.len().saturating_sub(usize::from(resize / 4) * 4)),
        2 => blob.extend(std::iter::repeat_n(resize, usize::from(resize / 4) * 4)),
        _ => {}
    }
    // Fix the envelope (most of the time) so the deeper checks are reached.
    if mode % 8 != 0 && blob.len() >= 16 {
        if mode % 8 != 1 {
            let total = blob.len() as u32;
            blob[8..12].copy_from_slice(&total.to_le_bytes());
        }
        let n = blob.len();
        let crc = crc32(&blob[..n - 4]);
        blob[n - 4..].copy_from_slice(&crc.to_le_bytes());
    }
    common::check_all_loaders(&blob);
});
