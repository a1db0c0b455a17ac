package scoring

import (
	"math"
	"testing"
)

// bruteCondLogLik is the conditional log-likelihood of §3.2 computed the
// slow, obvious way: for each person, enumerate every answer vector on the
// items they answered and keep those with the same raw score.
func bruteCondLogLik(m Matrix, delta, tau []float64) float64 {
	K := m.K
	T := make([]float64, K)
	for x := 1; x < K; x++ {
		T[x] = T[x-1] + tau[x-1]
	}
	weight := func(i, x int) float64 { return -float64(x)*delta[i] - T[x] }
	ll := 0.0
	for _, row := range m.Data {
		var items []int
		r, own := 0, 0.0
		for i, x := range row {
			if x != Missing {
				items = append(items, i)
				r += int(x)
				own += weight(i, int(x))
			}
		}
		if len(items) == 0 {
			continue
		}
		// Odometer over K^len(items) vectors.
		y := make([]int, len(items))
		denom := 0.0
		for {
			s, w := 0, 0.0
			for j, i := range items {
				s += y[j]
				w += weight(i, y[j])
			}
			if s == r {
				denom += math.Exp(w)
			}
			j := 0
			for ; j < len(y); j++ {
				y[j]++
				if y[j] < K {
					break
				}
				y[j] = 0
			}
			if j == len(y) {
				break
			}
		}
		ll += own - math.Log(denom)
	}
	return ll
}

// Independent check of the CML estimator (beyond the eRm fixture): on a small
// design with missing answers, the brute-force conditional likelihood must be
// stationary at Calibrate's estimates, and its curvature must give the same
// standard errors. The conditional likelihood is concave, so a stationary
// point is the maximum.
func TestCalibrateMatchesBruteForceCML(t *testing.T) {
	delta := []float64{-0.9, -0.2, 0.3, 0.8}
	tau := []float64{-0.6, 0.6}
	m, _ := simulate(simSpec{persons: 400, delta: delta, tau: tau, thetaMean: 0.3, thetaSD: 1.3, missing: 0.2, seed: 99})
	c, err := Calibrate(m)
	if err != nil {
		t.Fatal(err)
	}
	I, mm := len(delta), len(tau)
	// Free parameters as in the package: δ_1..δ_{I−1}, τ_1..τ_{m−1}.
	free := make([]float64, 0, I-1+mm-1)
	for i := 0; i < I-1; i++ {
		free = append(free, c.Items[i].Location)
	}
	free = append(free, c.Thresholds[:mm-1]...)
	ll := func(f []float64) float64 {
		d := make([]float64, I)
		tt := make([]float64, mm)
		s := 0.0
		for i := 0; i < I-1; i++ {
			d[i] = f[i]
			s += f[i]
		}
		d[I-1] = -s
		s = 0
		for k := 0; k < mm-1; k++ {
			tt[k] = f[I-1+k]
			s += f[I-1+k]
		}
		tt[mm-1] = -s
		return bruteCondLogLik(m, d, tt)
	}
	P := len(free)
	const h = 1e-4
	for j := 0; j < P; j++ {
		f := append([]float64(nil), free...)
		f[j] += h
		up := ll(f)
		f[j] -= 2 * h
		down := ll(f)
		if g := (up - down) / (2 * h); math.Abs(g) > 1e-4 {
			t.Errorf("brute-force ∂ℓ/∂φ_%d = %.3g at the estimates, want 0", j, g)
		}
	}
	// Negative Hessian by second differences, inverted by Cholesky.
	info := make([]float64, P*P)
	base := ll(free)
	at := func(i, j int, si, sj float64) float64 {
		f := append([]float64(nil), free...)
		f[i] += si
		f[j] += sj
		return ll(f)
	}
	const hh = 1e-3
	for i := 0; i < P; i++ {
		for j := 0; j < P; j++ {
			var v float64
			if i == j {
				v = (at(i, i, hh, 0) - 2*base + at(i, i, -hh, 0)) / (hh * hh)
			} else {
				v = (at(i, j, hh, hh) - at(i, j, hh, -hh) - at(i, j, -hh, hh) + at(i, j, -hh, -hh)) / (4 * hh * hh)
			}
			info[i*P+j] = -v
		}
	}
	if !cholesky(info, P) {
		t.Fatal("brute-force information not positive definite")
	}
	cov := cholInverse(info, P)
	for i := 0; i < I-1; i++ {
		want := math.Sqrt(cov[i*P+i])
		if got := c.Items[i].SE; math.Abs(got-want) > 1e-3*want {
			t.Errorf("item %d SE %.5f, brute force %.5f", i+1, got, want)
		}
	}
}

// The aggregate shortcuts (WLE per pattern × score, fit and α from counts)
// must equal the per-person definitions.
func TestCalibrateAggregatesMatchPerPerson(t *testing.T) {
	m, _ := simulate(simSpec{persons: 1500, delta: simDelta8, tau: simTau3, thetaMean: 0.4, thetaSD: 1.2, missing: 0.15, seed: 5})
	m.Data[0] = []int8{Missing, Missing, Missing, Missing, Missing, Missing, Missing, Missing}
	c, err := Calibrate(m)
	if err != nil {
		t.Fatal(err)
	}
	I, K := len(m.Items), m.K
	var thetas, ses []float64
	infNum := make([]float64, I)
	infDen := make([]float64, I)
	out := make([]float64, I)
	nAns := make([]float64, I)
	for _, row := range m.Data {
		pm, err := c.Person(row)
		if err != nil {
			continue
		}
		thetas = append(thetas, pm.WLE)
		ses = append(ses, pm.SE)
		for i, x := range row {
			if x == Missing {
				continue
			}
			// Category probabilities written out from §3.1.
			var num [4]float64
			cum, s := 0.0, 0.0
			for y := 0; y < K; y++ {
				if y > 0 {
					cum += c.Thresholds[y-1]
				}
				num[y] = math.Exp(float64(y)*(pm.WLE-c.Items[i].Location) - cum)
				s += num[y]
			}
			e, e2 := 0.0, 0.0
			for y := 0; y < K; y++ {
				e += float64(y) * num[y] / s
				e2 += float64(y*y) * num[y] / s
			}
			w := e2 - e*e
			d := float64(x) - e
			infNum[i] += d * d
			infDen[i] += w
			out[i] += d * d / w
			nAns[i]++
		}
	}
	if c.NPersons != len(thetas) || c.NPersons != 1499 {
		t.Fatalf("NPersons %d, measured %d, want 1499", c.NPersons, len(thetas))
	}
	for i, it := range c.Items {
		if math.Abs(it.Infit-infNum[i]/infDen[i]) > 1e-9 || math.Abs(it.Outfit-out[i]/nAns[i]) > 1e-9 {
			t.Errorf("item %s infit %.6f/%.6f outfit %.6f/%.6f", it.ID, it.Infit, infNum[i]/infDen[i], it.Outfit, out[i]/nAns[i])
		}
	}
	mean, mse := 0.0, 0.0
	for k, th := range thetas {
		mean += th
		mse += ses[k] * ses[k]
	}
	n := float64(len(thetas))
	mean /= n
	mse /= n
	v := 0.0
	for _, th := range thetas {
		v += (th - mean) * (th - mean)
	}
	v /= n - 1
	if rel := (v - mse) / v; math.Abs(c.PersonReliability-rel) > 1e-9 {
		t.Errorf("person reliability %.9f, per person %.9f", c.PersonReliability, rel)
	}
	if a := naiveAlpha(m); math.Abs(c.Alpha-a) > 1e-9 {
		t.Errorf("alpha %.9f, naive pairwise %.9f", c.Alpha, a)
	}
}

// naiveAlpha is psych::alpha's raw α with cov(use = "pairwise"), written as
// the textbook double loop.
func naiveAlpha(m Matrix) float64 {
	I := len(m.Items)
	trace, total := 0.0, 0.0
	for a := 0; a < I; a++ {
		for b := 0; b < I; b++ {
			var n, sa, sb float64
			for _, row := range m.Data {
				if row[a] != Missing && row[b] != Missing {
					n++
					sa += float64(row[a])
					sb += float64(row[b])
				}
			}
			ma, mb := sa/n, sb/n
			c := 0.0
			for _, row := range m.Data {
				if row[a] != Missing && row[b] != Missing {
					c += (float64(row[a]) - ma) * (float64(row[b]) - mb)
				}
			}
			c /= n - 1
			total += c
			if a == b {
				trace += c
			}
		}
	}
	k := float64(I)
	return k / (k - 1) * (1 - trace/total)
}
