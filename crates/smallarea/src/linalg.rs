//! The little dense linear algebra the area-level models need: symmetric positive definite
//! p × p systems (p the number of covariates, a handful), by Cholesky decomposition.

// The textbook index loops of the Cholesky factor and its solves read as the algorithm.
#![allow(clippy::needless_range_loop)]

/// A square matrix, row-major.
pub(crate) type Matrix = Vec<Vec<f64>>;

/// A p × p matrix of zeros.
pub(crate) fn zeros(p: usize) -> Matrix {
    vec![vec![0.0; p]; p]
}

/// The inverse of a symmetric positive definite matrix by its Cholesky factor L (A = LLᵀ;
/// Golub & Van Loan 2013, §4.2). `None` when A is not positive definite to working
/// precision (a pivot below 10⁻¹² of the diagonal's scale).
pub(crate) fn spd_inverse(a: &Matrix) -> Option<Matrix> {
    let p = a.len();
    let scale = (0..p).map(|i| a[i][i].abs()).fold(0.0_f64, f64::max);
    if p == 0 || scale <= 0.0 || !scale.is_finite() {
        return if p == 0 { Some(Vec::new()) } else { None };
    }
    let mut l = zeros(p);
    for j in 0..p {
        let mut d = a[j][j];
        for k in 0..j {
            d -= l[j][k] * l[j][k];
        }
        if d.is_nan() || d <= 1e-12 * scale {
            return None;
        }
        let djj = d.sqrt();
        l[j][j] = djj;
        for i in j + 1..p {
            let mut s = a[i][j];
            for k in 0..j {
                s -= l[i][k] * l[j][k];
            }
            l[i][j] = s / djj;
        }
    }
    // Solve L·Lᵀ·X = I column by column.
    let mut inv = zeros(p);
    for c in 0..p {
        let mut z = vec![0.0; p];
        for i in 0..p {
            let mut s = if i == c { 1.0 } else { 0.0 };
            for k in 0..i {
                s -= l[i][k] * z[k];
            }
            z[i] = s / l[i][i];
        }
        for i in (0..p).rev() {
            let mut s = z[i];
            for k in i + 1..p {
                s -= l[k][i] * inv[k][c];
            }
            inv[i][c] = s / l[i][i];
        }
    }
    Some(inv)
}

/// The product of two p × p matrices.
pub(crate) fn product(a: &Matrix, b: &Matrix) -> Matrix {
    let p = a.len();
    let mut c = zeros(p);
    for i in 0..p {
        for k in 0..p {
            let aik = a[i][k];
            for j in 0..p {
                c[i][j] += aik * b[k][j];
            }
        }
    }
    c
}

/// tr(AB) for p × p matrices.
pub(crate) fn trace_of_product(a: &Matrix, b: &Matrix) -> f64 {
    let p = a.len();
    let mut t = 0.0;
    for i in 0..p {
        for k in 0..p {
            t += a[i][k] * b[k][i];
        }
    }
    t
}

/// The quadratic form xᵀAx.
pub(crate) fn quadratic(a: &Matrix, x: &[f64]) -> f64 {
    let p = x.len();
    let mut s = 0.0;
    for i in 0..p {
        for j in 0..p {
            s += x[i] * a[i][j] * x[j];
        }
    }
    s
}

/// A·x.
pub(crate) fn apply(a: &Matrix, x: &[f64]) -> Vec<f64> {
    a.iter()
        .map(|row| row.iter().zip(x).map(|(r, v)| r * v).sum())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn the_inverse_times_the_matrix_is_the_identity() {
        let a = vec![
            vec![4.0, 1.0, 0.5],
            vec![1.0, 3.0, 0.2],
            vec![0.5, 0.2, 2.0],
        ];
        let inv = spd_inverse(&a).expect("positive definite");
        let id = product(&a, &inv);
        for (i, row) in id.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                assert_relative_eq!(*v, if i == j { 1.0 } else { 0.0 }, epsilon = 1e-14);
            }
        }
        assert_relative_eq!(trace_of_product(&a, &inv), 3.0, epsilon = 1e-14);
        assert_relative_eq!(quadratic(&a, &[1.0, 0.0, 1.0]), 7.0);
    }

    #[test]
    fn a_singular_matrix_has_no_inverse() {
        assert!(spd_inverse(&vec![vec![1.0, 1.0], vec![1.0, 1.0]]).is_none());
        assert!(spd_inverse(&vec![vec![0.0]]).is_none());
    }
}
