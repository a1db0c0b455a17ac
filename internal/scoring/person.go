package scoring

import (
	"fmt"
	"math"
)

// PersonMeasure is one respondent's measure on a calibrated scale.
type PersonMeasure struct {
	Raw       int     // sum of the answered categories
	NAnswered int     // items answered
	WLE       float64 // Warm's weighted likelihood estimate, logits on the centred item scale
	SE        float64 // 1/sqrt(test information at WLE)
}

// Person scores one answer vector aligned with c.Items (Missing allowed) with
// the calibration's parameters held fixed — anchored scoring (§9), so every
// wave lands on the calibration's scale. Zero answered items give ErrNoAnswers.
func (c Calibration) Person(answers []int8) (PersonMeasure, error) {
	K, err := c.categories()
	if err != nil {
		return PersonMeasure{}, err
	}
	if len(answers) != len(c.Items) {
		return PersonMeasure{}, fmt.Errorf("scoring: %d answers for %d calibrated items", len(answers), len(c.Items))
	}
	// Stack buffers keep the common case (≤ 64 items, ≤ 16 categories) free of allocation.
	var locBuf [64]float64
	var cBuf, pBuf [16]float64
	locs := locBuf[:0]
	if len(answers) > len(locBuf) {
		locs = make([]float64, 0, len(answers))
	}
	cw, p := cBuf[:], pBuf[:]
	if K > len(cBuf) {
		cw, p = make([]float64, K), make([]float64, K)
	}
	cw, p = cw[:K], p[:K]
	m := PersonMeasure{}
	for i, x := range answers {
		if x == Missing {
			continue
		}
		if x < 0 || int(x) >= K {
			return PersonMeasure{}, fmt.Errorf("scoring: item %s: answer %d outside 0..%d", c.Items[i].ID, x, K-1)
		}
		m.Raw += int(x)
		m.NAnswered++
		locs = append(locs, c.Items[i].Location)
	}
	if m.NAnswered == 0 {
		return m, ErrNoAnswers
	}
	categoryWeights(c.Thresholds, cw)
	m.WLE, m.SE = wle(locs, cw, m.Raw, wleStart(locs, K-1, m.Raw), p)
	return m, nil
}

// categories is K, falling back to the thresholds for parameter files written
// without a "categories" field.
func (c Calibration) categories() (int, error) {
	K := c.K
	if K == 0 {
		K = len(c.Thresholds) + 1
	}
	if K < 2 || len(c.Thresholds) != K-1 {
		return 0, fmt.Errorf("scoring: calibration has %d categories but %d thresholds", K, len(c.Thresholds))
	}
	return K, nil
}

// categoryWeights fills w[x] = exp(-(τ_1+…+τ_x)), scaled so the largest is 1
// to keep products of many items inside float64 range.
func categoryWeights(tau []float64, w []float64) {
	t, hi := 0.0, 0.0
	w[0] = 0
	for k, v := range tau {
		t -= v
		w[k+1] = t
		hi = math.Max(hi, t)
	}
	for x := range w {
		w[x] = math.Exp(w[x] - hi)
	}
}

// itemMoments returns the mean, variance and third and fourth central moments
// of the response to one item at d = θ - δ, leaving the probabilities in p.
// Only one exp per call: P(x) ∝ a^x·w[x], with a = e^d, or written from the
// top category when d > 0 so the powers never overflow.
func itemMoments(d float64, w, p []float64) (e, v, m3, m4 float64) {
	m := len(w) - 1
	sum := 0.0
	if d <= 0 {
		a, pow := math.Exp(d), 1.0
		for x := 0; x <= m; x++ {
			p[x] = pow * w[x]
			sum += p[x]
			pow *= a
		}
	} else {
		a, pow := math.Exp(-d), 1.0
		for x := m; x >= 0; x-- {
			p[x] = pow * w[x]
			sum += p[x]
			pow *= a
		}
	}
	inv := 1 / sum
	for x := 0; x <= m; x++ {
		p[x] *= inv
		e += float64(x) * p[x]
	}
	// Central moments in a second pass: near the extremes the variance is tiny
	// and E[x²]-E[x]² would cancel to noise.
	for x := 0; x <= m; x++ {
		dx := float64(x) - e
		d2 := dx * dx * p[x]
		v += d2
		m3 += d2 * dx
		m4 += d2 * dx * dx
	}
	return e, v, m3, m4
}

// wleStart is a cheap guess close enough that Newton needs a few steps.
func wleStart(locs []float64, m, r int) float64 {
	mean := 0.0
	for _, d := range locs {
		mean += d
	}
	mean /= float64(len(locs))
	top := float64(m * len(locs))
	return mean + math.Log((float64(r)+0.5)/(top-float64(r)+0.5))
}

// wle solves Warm's estimating equation r - ΣE + J/(2I) = 0 (§4) for the
// person who answered items at locs with raw score r. The equation has a
// finite root for every r including 0 and the maximum, which is why WLE
// needs no extrapolation rule for extreme scores.
func wle(locs, w []float64, r int, theta float64, p []float64) (est, se float64) {
	lo, hi := math.Inf(-1), math.Inf(1)
	info := 0.0
	for iter := 0; iter < 200; iter++ {
		var sumE, sumI, sumJ, dJ float64
		for _, d := range locs {
			e, v, m3, m4 := itemMoments(theta-d, w, p)
			sumE += e
			sumI += v
			sumJ += m3
			dJ += m4 - 3*v*v
		}
		info = sumI
		f := float64(r) - sumE + sumJ/(2*sumI)
		if f > 0 {
			lo = theta
		} else {
			hi = theta
		}
		fp := -sumI + (dJ*sumI-sumJ*sumJ)/(2*sumI*sumI)
		// f decreases in θ, so the root lies in the direction of sign(f); a
		// Newton step pointing elsewhere comes from a region where the
		// curvature misleads, and one logit towards the root is safer.
		step := -f / fp
		if !(fp < 0) || step*f < 0 {
			step = math.Copysign(1, f)
		}
		// Damping: far from the root the Newton step can overshoot wildly.
		step = math.Max(-2, math.Min(2, step))
		if math.Abs(step) < 1e-10 {
			theta += step
			break
		}
		next := theta + step
		if next <= lo || next >= hi {
			// Only reachable with both ends of the bracket known: bisect.
			next = (lo + hi) / 2
		}
		theta = next
	}
	return theta, 1 / math.Sqrt(info)
}
