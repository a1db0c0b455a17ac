package scoring

import "math"

// cholesky factors the n×n symmetric matrix a (row-major) in place into its
// lower triangle L with a = L·Lᵀ. It reports false when a is not positive
// definite, which for CML means the Newton step cannot be trusted.
func cholesky(a []float64, n int) bool {
	for j := 0; j < n; j++ {
		s := a[j*n+j]
		for k := 0; k < j; k++ {
			s -= a[j*n+k] * a[j*n+k]
		}
		if !(s > 0) {
			return false
		}
		d := math.Sqrt(s)
		a[j*n+j] = d
		for i := j + 1; i < n; i++ {
			t := a[i*n+j]
			for k := 0; k < j; k++ {
				t -= a[i*n+k] * a[j*n+k]
			}
			a[i*n+j] = t / d
		}
	}
	return true
}

// cholSolve solves L·Lᵀ·x = b in place in b, with L from cholesky.
func cholSolve(l []float64, n int, b []float64) {
	for i := 0; i < n; i++ {
		s := b[i]
		for k := 0; k < i; k++ {
			s -= l[i*n+k] * b[k]
		}
		b[i] = s / l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * b[k]
		}
		b[i] = s / l[i*n+i]
	}
}

// cholInverse returns the inverse of L·Lᵀ, with L from cholesky.
func cholInverse(l []float64, n int) []float64 {
	inv := make([]float64, n*n)
	col := make([]float64, n)
	for j := 0; j < n; j++ {
		clear(col)
		col[j] = 1
		cholSolve(l, n, col)
		for i := 0; i < n; i++ {
			inv[i*n+j] = col[i]
		}
	}
	return inv
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}
