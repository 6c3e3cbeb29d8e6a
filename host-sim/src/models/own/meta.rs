//! The model file's metadata: JSON that people can read, with every
//! `f32` written in its shortest form and read back to the same bits.

use anyhow::{Result, bail};
use microprop::Scaling;
use microprop::dynamic::LayerSpec;
use serde::{Deserialize, Serialize};

use super::{OwnModel, OwnTask, SplitRecord};
use crate::data::ColumnScaler;
use crate::options::describe_layer;

/// What the model file says besides the core checkpoint (which holds the
/// layers and parameters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Feature column names, in the network's input order.
    pub features: Vec<String>,
    /// The label column's name.
    pub label: String,
    /// `classify` or `regress`.
    pub task: String,
    /// Class names in output order (classify).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    /// Every layer as `--layers` writes it, the output layer last (checked
    /// against the checkpoint's).
    pub layers: Vec<String>,
    /// Input scaling, if any.
    #[serde(default)]
    pub input_scaling: Option<ScalingMeta>,
    /// Regression target scaling, if any.
    #[serde(default)]
    pub target_scaling: Option<ScalingMeta>,
    /// The split of the training file.
    pub split: SplitMeta,
    /// How it was trained (for people).
    #[serde(default)]
    pub training: serde_json::Value,
}

/// A [`ColumnScaler`] in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingMeta {
    /// `minmax` or `standard`.
    pub scaling: String,
    /// Per-column offsets.
    #[serde(with = "exact_f32s")]
    pub offset: Vec<f32>,
    /// Per-column scales.
    #[serde(with = "exact_f32s")]
    pub scale: Vec<f32>,
}

/// A [`SplitRecord`] in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitMeta {
    /// The training file as given.
    pub file: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Its rows.
    pub rows: usize,
    /// The shuffle's seed.
    pub seed: u64,
    /// Fraction held out for testing.
    #[serde(with = "exact_f32")]
    pub test_fraction: f32,
    /// Fraction held out for validation.
    #[serde(with = "exact_f32")]
    pub validation_fraction: f32,
    /// Test rows.
    pub test_rows: usize,
    /// Validation rows.
    pub validation_rows: usize,
    /// SHA-256 of the test rows' indices.
    pub test_digest: String,
}

impl ScalingMeta {
    fn of(s: &ColumnScaler) -> Self {
        ScalingMeta {
            scaling: match s.scaling {
                Scaling::MinMax => "minmax",
                Scaling::Standard => "standard",
            }
            .to_string(),
            offset: s.offset.clone(),
            scale: s.scale.clone(),
        }
    }

    fn scaler(&self, what: &str, width: usize) -> Result<ColumnScaler> {
        let scaling = match self.scaling.as_str() {
            "minmax" => Scaling::MinMax,
            "standard" => Scaling::Standard,
            other => bail!("{what}: unknown scaling {other:?}"),
        };
        if self.offset.len() != width || self.scale.len() != width {
            bail!(
                "{what} has {} offsets and {} scales for {width} columns",
                self.offset.len(),
                self.scale.len()
            );
        }
        Ok(ColumnScaler {
            scaling,
            offset: self.offset.clone(),
            scale: self.scale.clone(),
        })
    }
}

impl Metadata {
    /// The metadata of `model`.
    pub fn of(model: &OwnModel) -> Self {
        let s = &model.split;
        Metadata {
            features: model.features.clone(),
            label: model.label.clone(),
            task: model.task.name().to_string(),
            classes: model.task.classes().to_vec(),
            layers: model.layers.iter().map(describe_layer).collect(),
            input_scaling: model.input.as_ref().map(ScalingMeta::of),
            target_scaling: match &model.task {
                OwnTask::Regress { target: Some(t) } => Some(ScalingMeta::of(t)),
                _ => None,
            },
            split: SplitMeta {
                file: s.file.clone(),
                sha256: s.sha256.clone(),
                rows: s.rows,
                seed: s.seed,
                test_fraction: s.test_fraction,
                validation_fraction: s.validation_fraction,
                test_rows: s.test_rows,
                validation_rows: s.validation_rows,
                test_digest: s.test_digest.clone(),
            },
            training: model.training.clone(),
        }
    }

    /// The model these metadata describe, with the checkpoint's layers and
    /// parameters.
    ///
    /// # Errors
    /// If the metadata contradict themselves or the checkpoint (feature
    /// count, outputs, layer list, scaler widths).
    pub fn into_model(self, layers: Vec<LayerSpec>, params: Vec<f32>) -> Result<OwnModel> {
        let written: Vec<String> = layers.iter().map(describe_layer).collect();
        if written != self.layers {
            bail!(
                "the metadata name the layers {} but the checkpoint holds {}",
                self.layers.join(","),
                written.join(",")
            );
        }
        let outputs = layers.last().map_or(0, |l| l.units);
        let task = match self.task.as_str() {
            "classify" => {
                if self.classes.len() != outputs {
                    bail!("{} class names for {outputs} outputs", self.classes.len());
                }
                OwnTask::Classify {
                    classes: self.classes,
                }
            }
            "regress" => {
                if outputs != 1 {
                    bail!("a regression model with {outputs} outputs (expected 1)");
                }
                OwnTask::Regress {
                    target: self
                        .target_scaling
                        .map(|t| t.scaler("the target scaling", 1))
                        .transpose()?,
                }
            }
            other => bail!("unknown task {other:?} (expected classify or regress)"),
        };
        let input = self
            .input_scaling
            .map(|s| s.scaler("the input scaling", self.features.len()))
            .transpose()?;
        let s = self.split;
        Ok(OwnModel {
            features: self.features,
            label: self.label,
            task,
            input,
            layers,
            params,
            split: SplitRecord {
                file: s.file,
                sha256: s.sha256,
                rows: s.rows,
                seed: s.seed,
                test_fraction: s.test_fraction,
                validation_fraction: s.validation_fraction,
                test_rows: s.test_rows,
                validation_rows: s.validation_rows,
                test_digest: s.test_digest,
            },
            training: self.training,
        })
    }
}

/// An `f32` parsed from the JSON text with Rust's correctly rounded
/// parser (serde_json would go through `f64`, rounding twice).
fn parse_exact<E: serde::de::Error>(text: &str) -> Result<f32, E> {
    text.trim()
        .parse::<f32>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| E::custom(format!("{text} is not a finite 32-bit number")))
}

/// `Vec<f32>` written shortest and read back exactly.
mod exact_f32s {
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_json::value::RawValue;

    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        let raw: Vec<Box<RawValue>> = Deserialize::deserialize(d)?;
        raw.iter().map(|r| super::parse_exact(r.get())).collect()
    }
}

/// One `f32` written shortest and read back exactly.
mod exact_f32 {
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_json::value::RawValue;

    pub fn serialize<S: Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f32(*v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
        let raw: Box<RawValue> = Deserialize::deserialize(d)?;
        super::parse_exact(raw.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_values_come_back_with_their_bits() {
        let values: Vec<f32> = [0.1f32, 1.0 / 3.0, 4.3, 1e-7, 3.4e38, -0.0, 16_777_217.0]
            .into_iter()
            .chain((1..2000).map(|i| (i as f32).sqrt() / 7.0))
            .collect();
        let meta = ScalingMeta {
            scaling: "standard".into(),
            offset: values.clone(),
            scale: values.clone(),
        };
        let text = serde_json::to_string(&meta).unwrap();
        assert!(text.contains("[0.1,"), "{text}");
        let back: ScalingMeta = serde_json::from_str(&text).unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.offset), bits(&values));
        assert!(
            serde_json::from_str::<ScalingMeta>(
                r#"{"scaling":"minmax","offset":["x"],"scale":[1]}"#
            )
            .is_err()
        );
    }
}
