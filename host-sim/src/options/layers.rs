//! The hidden layers of a run-time-shaped model (`--layers
//! 32:relu,16:tanh,8:maxout3`) and the task (`--task classify|regress`).

use std::fmt;
use std::str::FromStr;

use clap::ValueEnum;
use microprop::ActivationKind;
use microprop::dynamic::LayerSpec;

/// One hidden layer as `--layers` names it: `UNITS:ACTIVATION`, with an
/// optional setting `UNITS:leaky_relu=0.2` / `UNITS:elu=0.5`, or
/// `UNITS:maxoutK` for a maxout layer of `K` pieces.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HiddenLayer(pub LayerSpec);

/// The hidden layers, front to back (`--layers 32:relu,16:tanh`); the output
/// layer is added from the task.
///
/// ```
/// use microprop::ActivationKind;
/// use microprop_sim::options::LayerList;
/// let layers: LayerList = "32:relu,16:leaky_relu=0.2,8:maxout3".parse().unwrap();
/// assert_eq!(layers.0.len(), 3);
/// assert_eq!(layers.0[1].activation, ActivationKind::LeakyRelu);
/// assert_eq!(layers.0[1].parameter, 0.2);
/// assert_eq!(layers.0[2].pieces, 3);
/// assert_eq!(layers.to_string(), "32:relu,16:leaky_relu=0.2,8:maxout3");
/// assert!("16".parse::<LayerList>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LayerList(pub Vec<LayerSpec>);

/// The activation names `--layers` accepts.
pub const ACTIVATION_NAMES: &str =
    "identity, sigmoid, tanh, relu, leaky_relu[=SLOPE], elu[=ALPHA], softmax, maxoutK";

/// The activation called `name` (`linear` is `identity`; `-` may stand
/// for `_`).
fn activation_named(name: &str) -> Option<ActivationKind> {
    let name = name.replace('-', "_");
    if name == "linear" {
        return Some(ActivationKind::Identity);
    }
    ActivationKind::ALL.into_iter().find(|k| k.name() == name)
}

impl FromStr for HiddenLayer {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let usage = || {
            format!(
                "layer {s:?}: expected UNITS:ACTIVATION, e.g. 32:relu (activations: {ACTIVATION_NAMES})"
            )
        };
        let (units, kind) = s.trim().split_once(':').ok_or_else(usage)?;
        let units: usize = units
            .trim()
            .parse()
            .ok()
            .filter(|&u| u > 0)
            .ok_or_else(|| format!("layer {s:?}: {units:?} is not a unit count >= 1"))?;
        let kind = kind.trim().to_ascii_lowercase();
        if let Some(pieces) = kind.strip_prefix("maxout") {
            let pieces = pieces.trim_start_matches('=');
            let pieces: usize = pieces
                .parse()
                .ok()
                .filter(|p| (2..=256).contains(p))
                .ok_or_else(|| {
                    format!("layer {s:?}: maxout needs its pieces, 2..=256, e.g. {units}:maxout3")
                })?;
            return Ok(HiddenLayer(LayerSpec::maxout(units, pieces)));
        }
        let (name, setting) = match kind.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (kind.as_str(), None),
        };
        let activation = activation_named(name).ok_or_else(usage)?;
        let mut spec = LayerSpec::dense(units, activation);
        if let Some(value) = setting {
            if !matches!(activation, ActivationKind::LeakyRelu | ActivationKind::Elu) {
                return Err(format!(
                    "layer {s:?}: {name} takes no setting (only leaky_relu=SLOPE and elu=ALPHA do)"
                ));
            }
            spec.parameter = value
                .parse::<f32>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("layer {s:?}: {value:?} is not a finite number >= 0"))?;
        }
        Ok(HiddenLayer(spec))
    }
}

impl FromStr for LayerList {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let layers = s
            .split(',')
            .filter(|part| !part.trim().is_empty())
            .map(|part| part.parse::<HiddenLayer>().map(|l| l.0))
            .collect::<Result<Vec<_>, _>>()?;
        if layers.is_empty() {
            return Err("--layers names no layer: e.g. --layers 32:relu,16:tanh".into());
        }
        Ok(LayerList(layers))
    }
}

/// `32:relu`, `16:leaky_relu=0.2`, `8:maxout3`: what [`HiddenLayer`] parses.
pub fn describe_layer(spec: &LayerSpec) -> String {
    if spec.is_maxout() {
        return format!("{}:maxout{}", spec.units, spec.pieces);
    }
    let name = spec.activation.name();
    let default = LayerSpec::dense(spec.units, spec.activation).parameter;
    if matches!(
        spec.activation,
        ActivationKind::LeakyRelu | ActivationKind::Elu
    ) && spec.parameter.to_bits() != default.to_bits()
    {
        format!("{}:{name}={}", spec.units, spec.parameter)
    } else {
        format!("{}:{name}", spec.units)
    }
}

impl fmt::Display for LayerList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(describe_layer).collect();
        write!(f, "{}", parts.join(","))
    }
}

/// What a model on the user's CSV predicts (`--task`); detected from the
/// label column when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TaskChoice {
    /// One of the label column's distinct values (softmax + cross-entropy).
    Classify,
    /// The label column's number (mean squared error).
    Regress,
}

impl TaskChoice {
    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            TaskChoice::Classify => "classify",
            TaskChoice::Regress => "regress",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_and_round_trips() {
        let text = "32:relu,16:tanh,4:leaky_relu,4:leaky_relu=0.2,3:elu=0.5,8:maxout3,2:sigmoid,2:identity";
        let list: LayerList = text.parse().unwrap();
        assert_eq!(list.0.len(), 8);
        assert_eq!(list.0[2].parameter, microprop::LeakyRelu::LECTURE_SLOPE);
        assert_eq!(list.to_string(), text);
        let linear: LayerList = "4:linear, 5:Leaky-ReLU".parse().unwrap();
        assert_eq!(linear.0[0].activation, ActivationKind::Identity);
        assert_eq!(linear.0[1].activation, ActivationKind::LeakyRelu);
    }

    #[test]
    fn refuses_with_the_reason() {
        for (text, why) in [
            ("", "names no layer"),
            ("relu", "expected UNITS:ACTIVATION"),
            ("0:relu", "not a unit count"),
            ("4:swish", "expected UNITS:ACTIVATION"),
            ("4:maxout", "maxout needs its pieces"),
            ("4:maxout1", "maxout needs its pieces"),
            ("4:tanh=2", "takes no setting"),
            ("4:elu=-1", "not a finite number >= 0"),
        ] {
            let err = text.parse::<LayerList>().unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}
