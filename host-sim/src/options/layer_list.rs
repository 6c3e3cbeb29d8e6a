//! A layer list as the command line writes it (`--layers
//! 32:relu,16:tanh,3:identity`): each layer's width, activation and
//! setting, or maxout with its pieces, as the core's
//! [`LayerSpec`]s.
//!
//! One layer is `UNITS:ACTIVATION[:SETTING]` or `UNITS:maxout:PIECES`;
//! `UNITS:ACTIVATION=SETTING` and `UNITS:maxoutPIECES` (e.g. `8:maxout3`)
//! are read the same way.
//! The activations are the core's names ([`ActivationKind::name`]:
//! `identity`, `sigmoid`, `tanh`, `relu`, `leaky_relu`, `elu`, `softmax`;
//! `-` may stand for `_`); `SETTING` is Leaky ReLU's slope (default 0.1)
//! or ELU's alpha (default 1.0). The list is checked as the core checks a
//! [`Topology`](microprop::dynamic::Topology) (non-zero widths, 2..=256
//! pieces, a finite setting that is not negative) except for the input
//! width, which the command knows.
//!
//! ```
//! use microprop::ActivationKind;
//! use microprop::dynamic::LayerSpec;
//! use microprop_sim::options::LayerList;
//! let list: LayerList = "32:relu,16:leaky_relu:0.2,8:maxout:3,3:identity".parse().unwrap();
//! assert_eq!(list.0[0], LayerSpec::dense(32, ActivationKind::Relu));
//! assert_eq!(list.0[1], LayerSpec::dense_with(16, ActivationKind::LeakyRelu, 0.2));
//! assert_eq!(list.0[2], LayerSpec::maxout(8, 3));
//! assert_eq!(list.to_string(), "32:relu,16:leaky_relu:0.2,8:maxout:3,3:identity");
//! assert!("32:rleu".parse::<LayerList>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use microprop::ActivationKind;
use microprop::dynamic::LayerSpec;

/// The layers of a network front to back (the input width is not part of
/// it).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerList(pub Vec<LayerSpec>);

/// The most maxout pieces a unit may have (the core keeps winners as `u8`).
const MAX_PIECES: usize = 256;

impl FromStr for LayerList {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Err(
                "no layers: give them as UNITS:ACTIVATION,... (e.g. 32:relu,3:identity)".into(),
            );
        }
        s.split(',')
            .enumerate()
            .map(|(index, layer)| {
                parse_layer(layer.trim()).map_err(|e| format!("layer {index} ({layer:?}): {e}"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(LayerList)
    }
}

/// One `UNITS:ACTIVATION[:SETTING]` or `UNITS:maxout:PIECES` (also
/// `UNITS:ACTIVATION=SETTING` and `UNITS:maxoutPIECES`).
fn parse_layer(text: &str) -> Result<LayerSpec, String> {
    let text = text.replace('=', ":");
    let lower = text.to_ascii_lowercase();
    let text = match lower.find(":maxout") {
        Some(at) if lower[at + 7..].starts_with(|c: char| c.is_ascii_digit()) => {
            format!("{}:maxout:{}", &text[..at], &text[at + 7..])
        }
        _ => text,
    };
    let parts: Vec<&str> = text.split(':').map(str::trim).collect();
    let (units, name, setting) = match parts.as_slice() {
        [units, name] => (*units, *name, None),
        [units, name, setting] => (*units, *name, Some(*setting)),
        _ => return Err("expected UNITS:ACTIVATION[:SETTING] or UNITS:maxout:PIECES".into()),
    };
    let units: usize = units
        .parse()
        .ok()
        .filter(|&u| u > 0)
        .ok_or_else(|| format!("{units:?} is not a number of units (1 or more)"))?;
    let name = name.to_ascii_lowercase().replace('-', "_");
    if name == "maxout" {
        let pieces = setting
            .ok_or("maxout needs its pieces: UNITS:maxout:PIECES")?
            .parse::<usize>()
            .ok()
            .filter(|p| (2..=MAX_PIECES).contains(p))
            .ok_or_else(|| format!("maxout pieces must be 2..={MAX_PIECES}"))?;
        return Ok(LayerSpec::maxout(units, pieces));
    }
    let kind = ActivationKind::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = ActivationKind::ALL.iter().map(|k| k.name()).collect();
            format!(
                "unknown activation {name:?} (one of {}, or maxout)",
                names.join(", ")
            )
        })?;
    match (kind, setting) {
        (_, None) => Ok(LayerSpec::dense(units, kind)),
        (ActivationKind::LeakyRelu | ActivationKind::Elu, Some(value)) => {
            let parameter: f32 = value
                .parse()
                .ok()
                .filter(|v: &f32| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| {
                    format!("{value:?} is not a setting for {name} (a finite number, not negative)")
                })?;
            Ok(LayerSpec::dense_with(units, kind, parameter))
        }
        (_, Some(_)) => Err(format!(
            "{name} takes no setting (only leaky_relu and elu do)"
        )),
    }
}

/// One layer as the list writes it: `32:relu`, `16:leaky_relu:0.2`,
/// `8:maxout:3`.
pub fn describe_layer(layer: &LayerSpec) -> String {
    Layer(layer).to_string()
}

impl fmt::Display for LayerList {
    /// The list as it parses back: `32:relu,16:leaky_relu:0.2,8:maxout:3`
    /// (a setting is written only when it is not the default).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, layer) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}", Layer(layer))?;
        }
        Ok(())
    }
}

/// One layer as `--layers` writes it.
struct Layer<'a>(&'a LayerSpec);

impl fmt::Display for Layer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spec = self.0;
        if spec.is_maxout() {
            return write!(f, "{}:maxout:{}", spec.units, spec.pieces);
        }
        write!(f, "{}:{}", spec.units, spec.activation.name())?;
        if LayerSpec::dense(spec.units, spec.activation)
            .parameter
            .to_bits()
            != spec.parameter.to_bits()
        {
            write!(f, ":{}", spec.parameter)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        s.parse::<LayerList>().unwrap_err()
    }

    #[test]
    fn every_activation_and_maxout_parse_and_print_back() {
        let text = "4:identity,5:sigmoid,6:tanh,7:relu,8:leaky_relu,9:leaky_relu:0.25,\
                    10:elu,11:elu:0.5,12:softmax,13:maxout:2";
        let list: LayerList = text.parse().unwrap();
        assert_eq!(list.0.len(), 10);
        assert_eq!(list.0[4].parameter, 0.1);
        assert_eq!(list.0[6].parameter, 1.0);
        assert_eq!(list.to_string(), text);
        let spaced: LayerList = " 4 : Leaky-ReLU : 0.25 , 3:Identity".parse().unwrap();
        assert_eq!(spaced.to_string(), "4:leaky_relu:0.25,3:identity");
    }

    #[test]
    fn equals_settings_and_joined_maxout_pieces_read_the_same() {
        let list: LayerList = "16:leaky_relu=0.2,8:maxout3,6:elu=0.5,4:Maxout2"
            .parse()
            .unwrap();
        assert_eq!(
            list.to_string(),
            "16:leaky_relu:0.2,8:maxout:3,6:elu:0.5,4:maxout:2"
        );
        assert_eq!(describe_layer(&list.0[1]), "8:maxout:3");
        assert!(err("8:maxout1").contains("maxout pieces must be 2..=256"));
    }

    #[test]
    fn bad_layers_say_which_and_why() {
        assert!(err("").contains("no layers"));
        assert!(err("32:relu,0:tanh").starts_with("layer 1 (\"0:tanh\"): \"0\" is not a number"));
        assert!(err("32").contains("expected UNITS:ACTIVATION"));
        assert!(err("32:relu:1:2").contains("expected UNITS:ACTIVATION"));
        assert!(err("32:rleu").contains("unknown activation \"rleu\" (one of identity, sigmoid"));
        assert!(err("32:tanh:0.5").contains("tanh takes no setting"));
        assert!(err("32:elu:-1").contains("not a setting for elu"));
        assert!(err("32:elu:nan").contains("not a setting for elu"));
        assert!(err("8:maxout").contains("maxout needs its pieces"));
        assert!(err("8:maxout:1").contains("maxout pieces must be 2..=256"));
        assert!(err("8:maxout:257").contains("maxout pieces must be 2..=256"));
    }
}
