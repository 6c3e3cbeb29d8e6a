//! Byte counts as the command line writes them: `4096`, `64k`, `64KiB`,
//! `1m`.

/// Parses a byte count: digits, then an optional unit (`b`, `k`/`kb`/`kib`
/// for 1024, `m`/`mb`/`mib` for 1024²; any case).
///
/// # Errors
/// A message naming the text when it is not a count or the unit is unknown.
pub fn parse_bytes(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, ""),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a byte count (e.g. 4096 or 64k)"))?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use k or m)")),
    };
    n.checked_mul(scale)
        .ok_or_else(|| format!("{s:?} is too many bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert_eq!(parse_bytes("64k"), Ok(64 * 1024));
        assert_eq!(parse_bytes("64KiB"), Ok(64 * 1024));
        assert_eq!(parse_bytes("1m"), Ok(1024 * 1024));
        assert!(parse_bytes("12q").is_err());
        assert!(parse_bytes("k").is_err());
    }
}
