package scoring

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// simSpec describes rating-scale data generated from known parameters.
type simSpec struct {
	persons   int
	delta     []float64 // item locations, should sum to 0
	tau       []float64 // thresholds, should sum to 0
	thetaMean float64
	thetaSD   float64
	missing   float64 // probability that a cell is Missing, independently
	form      int     // if > 0, each person answers exactly this many random items
	seed      uint64
}

// simulate draws answers from the rating scale model written out directly
// (not through the package's kernels) so tests do not check code against itself.
func simulate(s simSpec) (Matrix, []float64) {
	rng := rand.New(rand.NewPCG(s.seed, 0x7275737470756c73))
	I, K := len(s.delta), len(s.tau)+1
	m := Matrix{K: K, Items: make([]string, I), Persons: make([]string, s.persons), Data: make([][]int8, s.persons)}
	for i := range m.Items {
		m.Items[i] = fmt.Sprintf("q%d", i+1)
	}
	theta := make([]float64, s.persons)
	logits := make([]float64, K)
	order := make([]int, I)
	for n := range m.Data {
		m.Persons[n] = fmt.Sprintf("p%05d", n+1)
		theta[n] = s.thetaMean + s.thetaSD*rng.NormFloat64()
		row := make([]int8, I)
		for i, d := range s.delta {
			cum, hi := 0.0, 0.0
			for x := 0; x < K; x++ {
				if x > 0 {
					cum += s.tau[x-1]
				}
				logits[x] = float64(x)*(theta[n]-d) - cum
				hi = math.Max(hi, logits[x])
			}
			total := 0.0
			for x := range logits {
				logits[x] = math.Exp(logits[x] - hi)
				total += logits[x]
			}
			u := rng.Float64() * total
			x := 0
			for ; x < K-1; x++ {
				u -= logits[x]
				if u < 0 {
					break
				}
			}
			row[i] = int8(x)
			if s.missing > 0 && rng.Float64() < s.missing {
				row[i] = Missing
			}
		}
		if s.form > 0 {
			for i := range order {
				order[i] = i
			}
			rng.Shuffle(I, func(a, b int) { order[a], order[b] = order[b], order[a] })
			for _, i := range order[s.form:] {
				row[i] = Missing
			}
		}
		m.Data[n] = row
	}
	return m, theta
}

// The standard designs of the tests: 8 items and 4 categories as in a TrustPulse measure.
var (
	simDelta8 = []float64{-1.2, -0.8, -0.35, -0.1, 0.15, 0.4, 0.75, 1.15}
	simTau3   = []float64{-1.4, 0.1, 1.3}
)

func TestSimulateIsRSM(t *testing.T) {
	// Guard on the simulator itself: with θ = δ and symmetric thresholds the
	// expected answer is (K-1)/2.
	m, _ := simulate(simSpec{persons: 20000, delta: []float64{0}, tau: []float64{-1, 1}, thetaSD: 0, seed: 1})
	sum := 0.0
	for _, row := range m.Data {
		sum += float64(row[0])
	}
	if got := sum / 20000; math.Abs(got-1) > 0.02 {
		t.Fatalf("mean answer %.3f, want 1 ± 0.02", got)
	}
}
