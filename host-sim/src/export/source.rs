//! The Rust source `export` writes: the network type, one `DenseParams`
//! const per layer and the `MODEL` const with its normalisers, every `f32`
//! written so that it reads back to the same bits.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Result, bail};
use microprop::{AcceptsActivation, ActivationKind, Layer, LayerShape, Model, Normalizer, Scaling};

use crate::models::checkpoints;
use crate::models::{Builtin, ModelVisitor, Task};

/// Generated source and what it holds.
pub(super) struct Generated {
    /// The Rust source.
    pub(super) text: String,
    /// `size_of::<Model<N, D, O>>()`.
    pub(super) const_bytes: usize,
    /// Parameters of the network.
    pub(super) parameters: usize,
}

/// The source `export` writes for the model checkpoint at `path` (the
/// round-trip test compares it with a committed file).
///
/// # Errors
/// As [`super::export`].
pub fn source_for(model: Builtin, path: &Path) -> Result<String> {
    generate(model, path).map(|g| g.text)
}

/// The source for the model checkpoint at `path`, and what it holds.
///
/// # Errors
/// As [`super::export`].
pub(super) fn generate(model: Builtin, path: &Path) -> Result<Generated> {
    struct Visit<'a>(&'a Path);
    impl ModelVisitor for Visit<'_> {
        type Output = Result<Generated>;
        fn visit<N, L, const D: usize, const O: usize>(self, model: Builtin) -> Self::Output
        where
            N: Layer<Input = [f32; D], Output = [f32; O]> + Clone + 'static,
            L: Task<O> + AcceptsActivation<N::OutputActivation>,
        {
            let (loaded, _) = checkpoints::load_model::<N, D, O>(self.0, model)?;
            let file = self.0.file_name().map_or_else(
                || self.0.display().to_string(),
                |f| f.to_string_lossy().into_owned(),
            );
            let origin = format!(
                "`microprop-sim export --model {}` from {file}",
                model.name()
            );
            Ok(Generated {
                text: rust_source(&loaded, &model.label(), &origin)?,
                const_bytes: size_of::<Model<N, D, O>>(),
                parameters: N::LEN,
            })
        }
    }
    model.visit(Visit(path))
}

/// An `f32` as a Rust literal that reads back to the same bits: `{:?}`
/// writes the shortest decimal that round-trips and always has a `.` or an
/// exponent, so it is a float literal.
fn literal(v: f32) -> Result<String> {
    if !v.is_finite() {
        bail!("{v} cannot be written as a constant");
    }
    Ok(format!("{v:?}"))
}

/// `[a, b, c]`, wrapped at about 100 columns with `indent`.
fn array(values: &[f32], indent: &str) -> Result<String> {
    let mut s = String::from("[");
    let mut line_len = indent.len() + 1;
    for (i, &v) in values.iter().enumerate() {
        let lit = literal(v)?;
        if i > 0 {
            s.push(',');
            if line_len + lit.len() + 2 > 100 {
                s.push('\n');
                s.push_str(indent);
                s.push_str("    ");
                line_len = indent.len() + 4;
            } else {
                s.push(' ');
                line_len += 1;
            }
        }
        line_len += lit.len() + 1;
        s.push_str(&lit);
    }
    s.push(']');
    Ok(s)
}

/// On each generated const: trained values that happen to be near π or e
/// are not approximations of them (clippy's `approx_constant` is deny by
/// default).
const ALLOW: &str = "#[allow(clippy::approx_constant)]";

/// The activation's type and its value as a const expression.
fn activation(shape: &LayerShape) -> Result<(String, String)> {
    let plain = |name: &str| {
        (
            format!("::microprop::{name}"),
            format!("::microprop::{name}"),
        )
    };
    Ok(match shape.activation {
        ActivationKind::Identity => plain("Identity"),
        ActivationKind::Sigmoid => plain("Sigmoid"),
        ActivationKind::Tanh => plain("Tanh"),
        ActivationKind::Relu => plain("Relu"),
        ActivationKind::Softmax => plain("Softmax"),
        ActivationKind::LeakyRelu => (
            "::microprop::LeakyRelu".into(),
            format!(
                "::microprop::LeakyRelu::new({})",
                literal(shape.activation_parameter)?
            ),
        ),
        ActivationKind::Elu => (
            "::microprop::Elu".into(),
            format!(
                "::microprop::Elu::new({})",
                literal(shape.activation_parameter)?
            ),
        ),
        other => bail!(
            "layer {}: no source form for the {} activation",
            shape.index,
            other.name()
        ),
    })
}

/// A normaliser's parts, whatever its width.
struct NormParts<'a> {
    scaling: Scaling,
    offset: &'a [f32],
    scale: &'a [f32],
}

impl<'a, const K: usize> From<&'a Normalizer<[f32; K]>> for NormParts<'a> {
    fn from(n: &'a Normalizer<[f32; K]>) -> Self {
        NormParts {
            scaling: n.scaling,
            offset: &n.offset,
            scale: &n.scale,
        }
    }
}

fn normalizer(n: &NormParts<'_>, indent: &str) -> Result<String> {
    let scaling = match n.scaling {
        Scaling::MinMax => "MinMax",
        Scaling::Standard => "Standard",
    };
    let inner = format!("{indent}    ");
    Ok(format!(
        "::microprop::Normalizer {{\n{inner}scaling: ::microprop::Scaling::{scaling},\n\
         {inner}offset: {},\n{inner}scale: {},\n{indent}}}",
        array(n.offset, &inner)?,
        array(n.scale, &inner)?
    ))
}

/// Rust source for `model`: the network type `Net`, one `DenseParams` const
/// per layer (`LAYER_0`, ...), and `MODEL` with the normalisers. `label`
/// and `origin` go into the header comment.
///
/// # Errors
/// If a layer is not a dense layer (maxout), or a value is not finite.
pub fn rust_source<N, const D: usize, const O: usize>(
    model: &Model<N, D, O>,
    label: &str,
    origin: &str,
) -> Result<String>
where
    N: Layer<Input = [f32; D], Output = [f32; O]>,
{
    let mut shapes = Vec::new();
    model.net.visit_shapes(0, &mut |s| shapes.push(s));
    let slices: Vec<&[f32]> = model.net.slices().collect();
    render(
        &shapes,
        &slices,
        [(&model.input).into(), (&model.target).into()],
        [D, O],
        label,
        origin,
    )
}

/// The source, from the layers' shapes and parameter slices (the
/// non-generic part of [`rust_source`], compiled once).
fn render(
    shapes: &[LayerShape],
    slices: &[&[f32]],
    [input, target]: [NormParts<'_>; 2],
    [inputs, outputs]: [usize; 2],
    label: &str,
    origin: &str,
) -> Result<String> {
    // Parameters come as each layer's weights (row by row), then its bias.
    if slices.len() != 2 * shapes.len() {
        bail!(
            "the network has {} parameter blocks for {} layers: only dense layers can be exported",
            slices.len(),
            shapes.len()
        );
    }
    let mut s = String::new();
    let _ = writeln!(s, "// {label}: generated by {origin}.");
    let _ = writeln!(
        s,
        "// Do not edit; regenerate it. Every f32 is written so it reads back to\n\
         // the same bits as the checkpoint. Include it in a module:\n\
         //     mod trained {{ include!(\"this-file.rs\"); }}\n\
         // and use `trained::MODEL` (a `microprop::Model`, flash-resident as a\n\
         // `static` or `const`) with `microprop::Inference`."
    );
    let mut layer_types = Vec::new();
    let mut layer_values = Vec::new();
    for (shape, pair) in shapes.iter().zip(slices.chunks(2)) {
        if shape.pieces != 1 {
            bail!(
                "layer {}: maxout layers can't be exported as source yet",
                shape.index
            );
        }
        let (ty, value) = activation(shape)?;
        let (i, o) = (shape.inputs, shape.outputs);
        let [weights, bias] = pair else {
            bail!("layer {}: missing parameters", shape.index);
        };
        if weights.len() != i * o || bias.len() != o {
            bail!(
                "layer {}: {} weights and {} biases for {i} inputs and {o} units",
                shape.index,
                weights.len(),
                bias.len()
            );
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "/// Layer {}: {i} inputs -> {o} units, {}; `weights[input][unit]`.",
            shape.index,
            shape.activation.name()
        );
        let _ = writeln!(s, "{ALLOW}");
        let _ = writeln!(
            s,
            "pub const LAYER_{}: ::microprop::layer::DenseParams<{i}, {o}> = ::microprop::layer::DenseParams {{",
            shape.index
        );
        let _ = writeln!(s, "    weights: [");
        for row in weights.chunks(o) {
            let _ = writeln!(s, "        {},", array(row, "        ")?);
        }
        let _ = writeln!(s, "    ],");
        let _ = writeln!(s, "    bias: {},", array(bias, "    ")?);
        let _ = writeln!(s, "}};");
        layer_types.push(format!("::microprop::Dense<{i}, {o}, {ty}>"));
        layer_values.push(format!(
            "::microprop::Dense {{ params: LAYER_{}, activation: {value} }}",
            shape.index
        ));
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "/// The network: {label}.");
    let _ = writeln!(
        s,
        "pub type Net = ::microprop::network![\n    {},\n];",
        layer_types.join(",\n    ")
    );
    let net = chain(&layer_values, "    ");
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "/// The trained network with the scaling of its inputs and targets."
    );
    let _ = writeln!(s, "{ALLOW}");
    let _ = writeln!(
        s,
        "pub const MODEL: ::microprop::Model<Net, {inputs}, {outputs}> = ::microprop::Model {{"
    );
    let _ = writeln!(s, "    net: {net},");
    let _ = writeln!(s, "    input: {},", normalizer(&input, "    ")?);
    let _ = writeln!(s, "    target: {},", normalizer(&target, "    ")?);
    let _ = writeln!(s, "}};");
    Ok(s)
}

/// The left-nested `Chain` of `network!` as a value:
/// `Chain::new(Chain::new(a, b), c)`, indented from `indent`.
fn chain(values: &[String], indent: &str) -> String {
    match values.split_last() {
        None => String::new(),
        Some((only, [])) => only.clone(),
        Some((last, front)) => {
            let inner = format!("{indent}    ");
            format!(
                "::microprop::Chain::new(\n{inner}{},\n{inner}{last},\n{indent})",
                chain(front, &inner)
            )
        }
    }
}
