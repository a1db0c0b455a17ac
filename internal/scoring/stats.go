package scoring

import "math"

// z975 is the 0.975 quantile of the standard normal distribution.
const z975 = 1.959963984540054

// Moments accumulates a group's count, sum and sum of squares, so group
// statistics can be built incrementally (one respondent at a time, or by
// merging per-school rollups) without keeping the values.
type Moments struct {
	N     int
	Sum   float64
	SumSq float64
}

// Add includes one value.
func (m *Moments) Add(x float64) {
	m.N++
	m.Sum += x
	m.SumSq += x * x
}

// Merge includes another group's values.
func (m *Moments) Merge(o Moments) {
	m.N += o.N
	m.Sum += o.Sum
	m.SumSq += o.SumSq
}

// Mean is NaN for an empty group.
func (m Moments) Mean() float64 {
	if m.N == 0 {
		return math.NaN()
	}
	return m.Sum / float64(m.N)
}

// SD is the sample standard deviation (n−1 denominator), NaN when N < 2.
func (m Moments) SD() float64 {
	if m.N < 2 {
		return math.NaN()
	}
	n := float64(m.N)
	// Rounding can push a zero variance slightly negative.
	v := math.Max(0, (m.SumSq-m.Sum*m.Sum/n)/(n-1))
	return math.Sqrt(v)
}

// SE is the standard error of the mean, SD/√N.
func (m Moments) SE() float64 {
	return m.SD() / math.Sqrt(float64(m.N))
}

// CI95 is mean ± t(0.975, N−1)·SE. On WLE measures the SD already contains
// measurement error, so this is the honest interval for a group's mean (§8).
// NaN when N < 2.
func (m Moments) CI95() (lo, hi float64) {
	if m.N < 2 {
		return math.NaN(), math.NaN()
	}
	h := TQuantile(0.975, float64(m.N-1)) * m.SE()
	mean := m.Mean()
	return mean - h, mean + h
}

// Wilson is the 95 % Wilson score interval for k successes in n trials (§8);
// unlike the Wald interval it behaves at small n and near 0 or 1. NaN when
// n = 0 or k is outside 0..n.
func Wilson(k, n int) (lo, hi float64) {
	if n <= 0 || k < 0 || k > n {
		return math.NaN(), math.NaN()
	}
	nn := float64(n)
	p := float64(k) / nn
	z2 := z975 * z975
	den := 1 + z2/nn
	center := (p + z2/(2*nn)) / den
	half := z975 * math.Sqrt(p*(1-p)/nn+z2/(4*nn*nn)) / den
	return math.Max(0, center-half), math.Min(1, center+half)
}

// GapTest compares two groups' means: diff = mean(a) − mean(b) with
// SE = √(SEa² + SEb²) (§8). The interval uses Welch's t with
// Welch–Satterthwaite degrees of freedom rather than the normal 1.96: the
// groups reported on are often near the privacy floor (n ≈ 10), where 1.96
// would flag too many chance gaps. A gap is flagged only when the interval
// excludes 0 AND |diff| ≥ minPoints, so large groups do not turn trivial gaps
// into findings. With either group below 2 nothing is flagged and the
// interval is NaN.
func GapTest(a, b Moments, minPoints float64) (diff, lo, hi float64, flagged bool) {
	diff = a.Mean() - b.Mean()
	if a.N < 2 || b.N < 2 {
		return diff, math.NaN(), math.NaN(), false
	}
	va, vb := a.SE()*a.SE(), b.SE()*b.SE()
	se := math.Sqrt(va + vb)
	if se == 0 {
		// Both groups without spread: the difference is exact.
		return diff, diff, diff, diff != 0 && math.Abs(diff) >= minPoints
	}
	df := (va + vb) * (va + vb) / (va*va/float64(a.N-1) + vb*vb/float64(b.N-1))
	h := TQuantile(0.975, df) * se
	lo, hi = diff-h, diff+h
	flagged = (lo > 0 || hi < 0) && math.Abs(diff) >= minPoints
	return diff, lo, hi, flagged
}

// TQuantile is the p-quantile of Student's t distribution with df degrees of
// freedom (df need not be an integer, as Welch's df is not). Accurate to
// about 1e-12: the exact CDF via the regularized incomplete beta function,
// inverted by Newton's method from the Cornish–Fisher expansion. NaN for p
// outside (0,1) or df ≤ 0.
func TQuantile(p, df float64) float64 {
	if !(p > 0 && p < 1) || !(df > 0) {
		return math.NaN()
	}
	if p == 0.5 {
		return 0
	}
	if p < 0.5 {
		return -TQuantile(1-p, df)
	}
	switch {
	case df == 1:
		return math.Tan(math.Pi * (p - 0.5))
	case df == 2:
		return (2*p - 1) / math.Sqrt(2*p*(1-p))
	case math.IsInf(df, 1):
		return normalQuantile(p)
	}
	z := normalQuantile(p)
	if df > 1e7 {
		// The expansion's error is far below float64 resolution here, and
		// the incomplete beta fraction would need thousands of terms.
		return cornishFisher(z, df)
	}
	tail := 1 - p // target upper-tail probability, exact for p near 1
	t := math.Max(cornishFisher(z, df), 1e-3)
	lo, hi := 0.0, math.Inf(1)
	for iter := 0; iter < 100; iter++ {
		f := tTail(t, df) - tail // decreasing in t
		if f > 0 {
			lo = t
		} else {
			hi = t
		}
		next := t + f/tDensity(t, df)
		if !(next > lo && next < hi) {
			if math.IsInf(hi, 1) {
				next = 2 * t
			} else {
				next = (lo + hi) / 2
			}
		}
		if math.Abs(next-t) <= 1e-14*t {
			return next
		}
		t = next
	}
	return t
}

// cornishFisher is the asymptotic expansion of the t quantile in 1/df
// (Abramowitz & Stegun 26.7.5).
func cornishFisher(z, df float64) float64 {
	z2 := z * z
	g1 := (z2 + 1) * z / 4
	g2 := ((5*z2+16)*z2 + 3) * z / 96
	g3 := (((3*z2+19)*z2+17)*z2 - 15) * z / 384
	g4 := ((((79*z2+776)*z2+1482)*z2-1920)*z2 - 945) * z / 92160
	return z + g1/df + g2/(df*df) + g3/(df*df*df) + g4/(df*df*df*df)
}

func normalQuantile(p float64) float64 {
	return -math.Sqrt2 * math.Erfcinv(2*p)
}

// tTail is P(T > t) for t ≥ 0: ½·I_x(df/2, ½) with x = df/(df+t²).
func tTail(t, df float64) float64 {
	return 0.5 * regIncBeta(df/(df+t*t), df/2, 0.5)
}

func tDensity(t, df float64) float64 {
	lg1, _ := math.Lgamma((df + 1) / 2)
	lg2, _ := math.Lgamma(df / 2)
	return math.Exp(lg1 - lg2 - 0.5*math.Log(df*math.Pi) - (df+1)/2*math.Log1p(t*t/df))
}

// regIncBeta is the regularized incomplete beta function I_x(a, b), by the
// continued fraction (modified Lentz), using the symmetry
// I_x(a,b) = 1 − I_{1−x}(b,a) where the fraction converges slowly.
func regIncBeta(x, a, b float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log1p(-x))
	if x < (a+1)/(a+b+2) {
		return front * betaFraction(x, a, b) / a
	}
	return 1 - front*betaFraction(1-x, b, a)/b
}

func betaFraction(x, a, b float64) float64 {
	const tiny = 1e-300
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1-qab*x/qap
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 100000; m++ {
		fm := float64(m)
		m2 := 2 * fm
		aa := fm * (b - fm) * x / ((qam + m2) * (a + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		aa = -(a + fm) * (qab + fm) * x / ((a + m2) * (qap + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-15 {
			break
		}
	}
	return h
}

// NewcombeDiff is the difference p1 − p2 of two independent proportions (k1 of n1, k2 of n2) with
// Newcombe's hybrid score interval (1998, method 10): each side's Wilson limits combined in
// quadrature. Like Wilson it stays inside −1..1 and behaves at small n and near 0 or 1, where the
// Wald interval of a difference does not. NaN when either side is not a proportion.
func NewcombeDiff(k1, n1, k2, n2 int) (diff, lo, hi float64) {
	l1, u1 := Wilson(k1, n1)
	l2, u2 := Wilson(k2, n2)
	if math.IsNaN(l1) || math.IsNaN(l2) {
		return math.NaN(), math.NaN(), math.NaN()
	}
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	diff = p1 - p2
	lo = diff - math.Sqrt((p1-l1)*(p1-l1)+(u2-p2)*(u2-p2))
	hi = diff + math.Sqrt((u1-p1)*(u1-p1)+(p2-l2)*(p2-l2))
	return diff, lo, hi
}
