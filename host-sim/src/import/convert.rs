//! PyTorch's `Linear` layers as a microprop network: each layer's shape
//! checked against `--layers`, `weight[out][in]` transposed to microprop's
//! input-major `w[in][out]`, the biases as they are.

use anyhow::{Result, bail};
use microprop::dynamic::LayerSpec;

use super::state_dict::Linear;
use crate::anyshape::Trained;
use crate::options::LayerList;

/// The network `layers` describes, with the weights of `linear` (one
/// `Linear` per layer, in order).
///
/// # Errors
/// If the counts differ, a layer is maxout (PyTorch's `nn` has no maxout
/// module), or a weight or bias has another shape than the layer list
/// gives (the message names the key, the expected and the actual shape).
pub fn network(linear: &[Linear], layers: &LayerList) -> Result<Trained> {
    let specs: &[LayerSpec] = &layers.0;
    if linear.len() != specs.len() {
        let keys: Vec<String> = linear
            .iter()
            .map(|l| format!("{}weight", l.prefix))
            .collect();
        bail!(
            "the file has {} Linear layers ({}), --layers {layers} gives {}",
            linear.len(),
            keys.join(", "),
            specs.len()
        );
    }
    let Some(first) = linear.first() else {
        bail!("no layers");
    };
    let inputs = first.inputs;
    let mut width = inputs;
    let mut params = Vec::new();
    for (index, (l, spec)) in linear.iter().zip(specs).enumerate() {
        if spec.is_maxout() {
            bail!(
                "layer {index} of --layers is maxout, which PyTorch's nn has no module for \
                 (import reads Linear layers)"
            );
        }
        if [l.outputs, l.inputs] != [spec.units, width] {
            bail!(
                "key {}weight: shape [{}, {}], expected [{}, {width}] (layer {index} of --layers: \
                 {} units after {width} {})",
                l.prefix,
                l.outputs,
                l.inputs,
                spec.units,
                spec.units,
                if index == 0 { "inputs" } else { "units" }
            );
        }
        // weight[o][i] (PyTorch) -> w[i][o] (microprop).
        for i in 0..l.inputs {
            params.extend((0..l.outputs).map(|o| l.weight[o * l.inputs + i]));
        }
        params.extend_from_slice(&l.bias);
        width = spec.units;
    }
    Trained::new(inputs, specs.to_vec(), params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linear(prefix: &str, outputs: usize, inputs: usize) -> Linear {
        Linear {
            prefix: prefix.into(),
            outputs,
            inputs,
            weight: (0..outputs * inputs).map(|v| v as f32).collect(),
            bias: (0..outputs).map(|v| -(v as f32)).collect(),
        }
    }

    #[test]
    fn weights_are_transposed_to_input_major() {
        let layers: LayerList = "3:relu,1:identity".parse().unwrap();
        let net = network(&[linear("0.", 3, 2), linear("2.", 1, 3)], &layers).unwrap();
        assert_eq!(net.architecture(), "2-3-1");
        // weight [[0, 1], [2, 3], [4, 5]] -> w[in][out] = [[0, 2, 4], [1, 3, 5]].
        assert_eq!(
            net.params(),
            [
                0.0, 2.0, 4.0, 1.0, 3.0, 5.0, 0.0, -1.0, -2.0, 0.0, 1.0, 2.0, 0.0
            ]
        );
    }

    #[test]
    fn shapes_that_do_not_fit_the_layer_list_name_the_key() {
        let layers: LayerList = "3:relu,1:identity".parse().unwrap();
        let err = network(&[linear("0.", 4, 2), linear("2.", 1, 4)], &layers).unwrap_err();
        assert_eq!(
            err.to_string(),
            "key 0.weight: shape [4, 2], expected [3, 2] (layer 0 of --layers: 3 units after 2 inputs)"
        );
        let err = network(&[linear("0.", 3, 2), linear("2.", 1, 4)], &layers).unwrap_err();
        assert_eq!(
            err.to_string(),
            "key 2.weight: shape [1, 4], expected [1, 3] (layer 1 of --layers: 1 units after 3 units)"
        );
        let err = network(&[linear("0.", 3, 2)], &layers).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the file has 1 Linear layers (0.weight), --layers 3:relu,1:identity gives 2"
        );
        let maxout: LayerList = "3:maxout:2".parse().unwrap();
        let err = network(&[linear("0.", 3, 2)], &maxout).unwrap_err();
        assert!(
            err.to_string()
                .contains("maxout, which PyTorch's nn has no module")
        );
    }
}
