//! The bundled 8x8 digits as the firmware's build script stores them in
//! flash: one byte a pixel, rows in the split order of
//! [`digits::split_order`], read through the firmware's own
//! [`digits::Data`] ([`microprop_device::U8Dataset`]).

use anyhow::{Result, anyhow, bail};
use microprop_device::digits::{self, FEATURES};

use crate::data::LabelColumn;
use crate::data::bundled::{BundledData, DIGITS};

/// The digits as the firmware's build script lays them out in flash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitsBytes {
    /// Training pixels, row after row.
    pub train_pixels: Vec<u8>,
    /// Training labels.
    pub train_labels: Vec<u8>,
    /// Test pixels.
    pub test_pixels: Vec<u8>,
    /// Test labels.
    pub test_labels: Vec<u8>,
}

impl DigitsBytes {
    /// Reads `digits8x8.csv` from `data`: pixels 0..=16 and labels
    /// 0..=9 as bytes, in the split order, training rows first.
    ///
    /// # Errors
    /// If the file is missing or malformed, has another number of rows, or
    /// a value is not a byte the firmware could store (the message names the
    /// place).
    pub fn load(data: &BundledData) -> Result<DigitsBytes> {
        let table = data.csv(DIGITS, &LabelColumn::Last)?;
        if table.width != FEATURES || table.len() != digits::ROWS {
            bail!(
                "{}: {} rows of {} features; the digits job needs {} rows of {FEATURES}",
                table.source,
                table.len(),
                table.width,
                digits::ROWS
            );
        }
        let order = digits::split_order();
        let mut out = DigitsBytes {
            train_pixels: Vec::with_capacity(digits::TRAIN_ROWS * FEATURES),
            train_labels: Vec::with_capacity(digits::TRAIN_ROWS),
            test_pixels: Vec::with_capacity(digits::TEST_ROWS * FEATURES),
            test_labels: Vec::with_capacity(digits::TEST_ROWS),
        };
        for i in 0..digits::ROWS {
            let row = order.index(i);
            let (pixels, labels) = if i < digits::TRAIN_ROWS {
                (&mut out.train_pixels, &mut out.train_labels)
            } else {
                (&mut out.test_pixels, &mut out.test_labels)
            };
            for &v in &table.features[row * FEATURES..(row + 1) * FEATURES] {
                if !(v.fract() == 0.0 && (0.0..=16.0).contains(&v)) {
                    bail!("{}: pixel {v} is not in 0..=16", table.locate_row(row));
                }
                pixels.push(v as u8);
            }
            let label = table.labels[row];
            if !(label.fract() == 0.0 && (0.0..digits::CLASSES as f64).contains(&label)) {
                bail!("{}: label {label} is not a digit", table.locate_label(row));
            }
            labels.push(label as u8);
        }
        Ok(out)
    }

    /// The training set as the firmware reads it.
    ///
    /// # Errors
    /// If pixels and labels disagree in rows.
    pub fn train(&self) -> Result<digits::Data<'_>> {
        digits::Data::new(&self.train_pixels, &self.train_labels, digits::PIXEL_SCALE)
            .ok_or_else(|| anyhow!("training pixels and labels differ in rows"))
    }

    /// The test set as the firmware reads it.
    ///
    /// # Errors
    /// If pixels and labels disagree in rows.
    pub fn test(&self) -> Result<digits::Data<'_>> {
        digits::Data::new(&self.test_pixels, &self.test_labels, digits::PIXEL_SCALE)
            .ok_or_else(|| anyhow!("test pixels and labels differ in rows"))
    }
}
