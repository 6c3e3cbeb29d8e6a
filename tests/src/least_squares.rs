//! The exact answer for a linear model y = w1 x1 + w2 x2 + b under the mean
//! squared error, in f64: the optimum's loss, and the extreme eigenvalues of
//! the loss's Hessian, which set gradient descent's largest stable learning
//! rate (2 / λmax) and its slowest rate of convergence (set by λmin).

/// What least squares says about a two-feature linear regression.
#[derive(Debug, Clone, Copy)]
pub struct LeastSquares {
    /// The mean squared error at the optimum.
    pub mse: f64,
    /// The largest eigenvalue of the MSE's Hessian 2/n Xᵀ X (X with a column
    /// of ones), by power iteration.
    pub lambda_max: f64,
    /// The smallest eigenvalue of that Hessian, by inverse iteration.
    pub lambda_min: f64,
}

/// Solves the 3x3 system `a z = b` (Gaussian elimination, partial pivoting).
#[allow(clippy::needless_range_loop)] // textbook index arithmetic
fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> [f64; 3] {
    for col in 0..3 {
        let pivot = (col..3)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..3 {
            let f = a[row][col] / a[col][col];
            for k in col..3 {
                a[row][k] -= f * a[col][k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut z = [0.0; 3];
    for row in (0..3).rev() {
        let s: f64 = (row + 1..3).map(|k| a[row][k] * z[k]).sum();
        z[row] = (b[row] - s) / a[row][row];
    }
    z
}

/// Least squares of targets `y` on features `x` (plus an intercept).
#[allow(clippy::needless_range_loop)]
pub fn least_squares(x: &[[f32; 2]], y: &[[f32; 1]]) -> LeastSquares {
    let n = x.len() as f64;
    let rows: Vec<[f64; 3]> = x
        .iter()
        .map(|r| [f64::from(r[0]), f64::from(r[1]), 1.0])
        .collect();
    let mut gram = [[0.0f64; 3]; 3];
    let mut rhs = [0.0f64; 3];
    for (r, t) in rows.iter().zip(y) {
        for i in 0..3 {
            for j in 0..3 {
                gram[i][j] += r[i] * r[j];
            }
            rhs[i] += r[i] * f64::from(t[0]);
        }
    }
    let z = solve3(gram, rhs);
    let mse = rows
        .iter()
        .zip(y)
        .map(|(r, t)| {
            let e = r[0] * z[0] + r[1] * z[1] + z[2] - f64::from(t[0]);
            e * e
        })
        .sum::<f64>()
        / n;
    let mut v = [1.0f64; 3];
    let mut lambda = 0.0;
    for _ in 0..200 {
        let mut next = [0.0; 3];
        for i in 0..3 {
            next[i] = (0..3).map(|j| 2.0 / n * gram[i][j] * v[j]).sum();
        }
        lambda = next.iter().map(|a| a * a).sum::<f64>().sqrt();
        v = next.map(|a| a / lambda);
    }
    let hessian = gram.map(|row| row.map(|g| 2.0 / n * g));
    let mut u = [1.0f64, -1.0, 0.5];
    let mut lambda_min = 0.0;
    for _ in 0..100 {
        let next = solve3(hessian, u);
        let size = next.iter().map(|a| a * a).sum::<f64>().sqrt();
        lambda_min = 1.0 / size;
        u = next.map(|a| a / size);
    }
    LeastSquares {
        mse,
        lambda_max: lambda,
        lambda_min,
    }
}
