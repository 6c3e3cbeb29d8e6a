//! The XOR problem: four points, the class 1 where exactly one input is 1.

/// The inputs (x1, x2).
pub const X: [[f32; 2]; 4] = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];

/// The targets x1 XOR x2, one output per row.
pub const Y: [[f32; 1]; 4] = [[0.0], [1.0], [1.0], [0.0]];
