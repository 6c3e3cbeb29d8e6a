//! Four good rows of three features, with two regression targets and a
//! class label each: the batch the bad-input and guard tests poison one
//! value at a time.

/// The features.
pub const X: [[f32; 3]; 4] = [
    [0.5, -0.2, 0.1],
    [-1.0, 0.3, 0.8],
    [0.0, 0.9, -0.4],
    [0.7, 0.7, -0.7],
];

/// Regression targets, two per row.
pub const Y: [[f32; 2]; 4] = [[0.1, -0.3], [0.5, 0.5], [-1.0, 0.0], [0.2, 0.9]];

/// Class labels (two classes).
pub const LABELS: [usize; 4] = [0, 1, 1, 0];
