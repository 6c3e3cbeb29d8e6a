//! `f32` values as source literals that read back to the same bits, and
//! lists of them wrapped at about 100 columns.
//!
//! - Rust: `{:?}`, the shortest decimal that round-trips; it always has a
//!   `.` or an exponent, so it is a float literal, and rustc parses
//!   float literals correctly rounded.
//! - C: a C99 hexadecimal floating constant with the `f` suffix
//!   (`0x1.8p+1f` is 3.0). It states the value's bits exactly, so it is
//!   that value whatever the compiler's rounding of decimal constants
//!   (which the C standard leaves to the implementation).

use anyhow::{Result, bail};

/// `v` as a Rust literal.
///
/// # Errors
/// If `v` is NaN or infinite (no literal has those values).
pub fn rust(v: f32) -> Result<String> {
    finite(v)?;
    Ok(format!("{v:?}"))
}

/// `v` as a C99 hexadecimal `float` constant: `-0x1.921fb6p+1f`,
/// `0x0p+0f`, a subnormal as `0x0.000002p-126f`.
///
/// # Errors
/// If `v` is NaN or infinite.
pub fn c(v: f32) -> Result<String> {
    finite(v)?;
    let bits = v.to_bits();
    let sign = if bits >> 31 == 1 { "-" } else { "" };
    let exponent = (bits >> 23) & 0xff;
    // 23 fraction bits, shifted to 24 to make 6 whole hex digits.
    let fraction = (bits & 0x7f_ffff) << 1;
    let (lead, power) = match (exponent, fraction) {
        (0, 0) => return Ok(format!("{sign}0x0p+0f")),
        (0, _) => (0, -126),
        (e, _) => (1, e as i32 - 127),
    };
    let digits = format!("{fraction:06x}");
    let digits = digits.trim_end_matches('0');
    let point = if digits.is_empty() { "" } else { "." };
    Ok(format!("{sign}0x{lead}{point}{digits}p{power:+}f"))
}

fn finite(v: f32) -> Result<()> {
    if !v.is_finite() {
        bail!("{v} cannot be written as a constant");
    }
    Ok(())
}

/// `literals` separated by `, `, between `open` and `close`, wrapped
/// before 100 columns onto lines indented by `indent` plus four spaces;
/// `indent` is where the line holding `open` starts.
pub fn list(literals: &[String], open: &str, close: &str, indent: &str) -> String {
    let mut s = String::from(open);
    let mut line_len = indent.len() + open.len();
    for (i, lit) in literals.iter().enumerate() {
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
        s.push_str(lit);
    }
    s.push_str(close);
    s
}

/// Rust literals of `values` as an array `[a, b, c]`.
///
/// # Errors
/// As [`rust`].
pub fn rust_array(values: &[f32], indent: &str) -> Result<String> {
    let literals = values
        .iter()
        .map(|&v| rust(v))
        .collect::<Result<Vec<_>>>()?;
    Ok(list(&literals, "[", "]", indent))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a constant `c` wrote back: `[-]0x<h>[.<hex>]p<exp>f`, exactly
    /// (a 24-bit significand times a power of two fits an f64).
    fn parse_c(s: &str) -> f32 {
        let (negative, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
        let body = s.strip_prefix("0x").unwrap().strip_suffix('f').unwrap();
        let (mantissa, exponent) = body.split_once('p').unwrap();
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = format!("{whole}{fraction}");
        let significand = u64::from_str_radix(&digits, 16).unwrap() as f64;
        let power = exponent.parse::<i32>().unwrap() - 4 * fraction.len() as i32;
        let v = significand * 2f64.powi(power);
        assert_eq!(v as f32 as f64, v, "{s} is not exact in f32");
        if negative { -(v as f32) } else { v as f32 }
    }

    #[test]
    fn c_constants_have_the_bits_of_their_value() {
        let cases = [
            (3.0, "0x1.8p+1f"),
            (1.0, "0x1p+0f"),
            (-0.0, "-0x0p+0f"),
            (0.0, "0x0p+0f"),
            (0.1, "0x1.99999ap-4f"),
            (std::f32::consts::PI, "0x1.921fb6p+1f"),
            (f32::from_bits(1), "0x0.000002p-126f"),
            (f32::MIN_POSITIVE, "0x1p-126f"),
            (f32::MAX, "0x1.fffffep+127f"),
        ];
        for (v, want) in cases {
            assert_eq!(c(v).unwrap(), want);
            assert_eq!(parse_c(want).to_bits(), f32::to_bits(v), "{want}");
        }
        // A sweep over the bit patterns: every exponent, many fractions.
        let mut state = 0x1234_5678u32;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let v = f32::from_bits(state);
            if v.is_finite() {
                assert_eq!(parse_c(&c(v).unwrap()).to_bits(), state, "{v:e}");
                assert_eq!(rust(v).unwrap().parse::<f32>().unwrap().to_bits(), state);
            }
        }
        assert!(c(f32::NAN).is_err() && rust(f32::INFINITY).is_err());
    }

    #[test]
    fn lists_wrap_before_100_columns() {
        let literals: Vec<String> = (0..40).map(|i| format!("{i}.125")).collect();
        let text = list(&literals, "{", "}", "    ");
        assert!(text.lines().all(|l| l.len() + 4 < 100), "{text}");
        assert!(text.starts_with("{0.125, 1.125") && text.ends_with("39.125}"));
        assert_eq!(rust_array(&[1.0, -0.5], "").unwrap(), "[1.0, -0.5]");
    }
}
