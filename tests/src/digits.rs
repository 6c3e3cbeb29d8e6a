//! The bundled 8x8 digits, every row, in file order (no split, no shuffle).

/// All 1797 rows of `data/digits8x8.csv`: 64 pixels 0..=16 scaled to
/// [0, 1], and the digit.
///
/// # Panics
/// If the file cannot be read or a field is not a number.
pub fn all() -> (Vec<[f32; 64]>, Vec<usize>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/digits8x8.csv");
    let text = std::fs::read_to_string(path).expect("data/digits8x8.csv");
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for line in text.lines().skip(1) {
        let fields: Vec<f32> = line.split(',').map(|f| f.trim().parse().unwrap()).collect();
        let (label, pixels) = fields.split_last().unwrap();
        xs.push(core::array::from_fn(|i| pixels[i] / 16.0));
        ys.push(*label as usize);
    }
    (xs, ys)
}
